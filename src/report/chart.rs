//! The reports' pictures (PNG: inline in the mail, beside the HTML on disk): the risk ranking as
//! bars, each category's level over the last four quarters as a grid, and the open flags of each
//! prefecture as stacked bars. Chinese labels render from Noto Sans SC (SIL Open Font License
//! 1.1), subset to the GB 2312 characters and compiled into the binary: `reports/fonts/`, no system
//! font needed. One font and one palette for all of them.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, SegmentedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordusize;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::risk::Ranked;

static FONT: &[u8] = include_bytes!("../../reports/fonts/NotoSansSC-Regular-GB2312.ttf");
const FAMILY: &str = "licwatch-cjk";
/// The reports' dark blue (headings, bars without a level).
const INK: RGBColor = RGBColor(0x1F, 0x4E, 0x79);

#[derive(Debug, thiserror::Error)]
#[error("drawing a chart: {0}")]
pub struct ChartError(String);

fn err(e: &dyn std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

fn level_colour(level: u8) -> RGBColor {
    match level {
        1 => RGBColor(0xC0, 0x39, 0x2B),
        2 => RGBColor(0xE6, 0x7E, 0x22),
        3 => RGBColor(0xF1, 0xC4, 0x0F),
        _ => RGBColor(0x2E, 0x86, 0xC1),
    }
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// A `w` × `h` white canvas handed to `draw`, returned as PNG bytes.
fn png(
    w: u32,
    h: u32,
    draw: impl FnOnce(&Area) -> Result<(), ChartError>,
) -> Result<Vec<u8>, ChartError> {
    // Registering twice is harmless; the first registration wins.
    register_font(FAMILY, FontStyle::Normal, FONT).map_err(|_| ChartError("font".into()))?;
    let mut pixels = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        draw(&root)?;
        root.present().map_err(|e| err(&e))?;
    }
    let image = image::RgbImage::from_raw(w, h, pixels)
        .ok_or_else(|| ChartError("pixel buffer size".into()))?;
    let mut out = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(|e| err(&e))?;
    Ok(out)
}

type Bars<'a, 'b, X> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<X, SegmentedCoord<RangedCoordusize>>>;

/// The frame of a horizontal bar chart: `names` one per row from the bottom up, the value axis
/// `x` described by `x_desc`, the names in a column `label_width` px wide.
fn bars<'a, 'b, X>(
    root: &'a Area<'b>,
    title: &str,
    x: X,
    names: &[String],
    label_width: u32,
    x_desc: &str,
) -> Result<Bars<'a, 'b, X::CoordDescType>, ChartError>
where
    X: AsRangedCoord,
    X::CoordDescType: ValueFormatter<<X::CoordDescType as Ranged>::ValueType>,
{
    let n = names.len().max(1);
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FAMILY, 24))
        .margin(16)
        .x_label_area_size(36)
        .y_label_area_size(label_width)
        .build_cartesian_2d(x, (0..n - 1).into_segmented())
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .y_labels(n)
        .y_label_style((FAMILY, 16))
        .x_label_style((FAMILY, 14))
        .x_desc(x_desc)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .draw()
        .map_err(|e| err(&e))?;
    Ok(chart)
}

/// A PNG of the categories' scores, ranked top down, coloured by level.
pub fn risk_chart(rows: &[Ranked], title: &str) -> Result<Vec<u8>, ChartError> {
    let (w, h) = (900u32, 120 + 34 * rows.len().max(1) as u32);
    png(w, h, |root| {
        // Room to the right of the longest bar for its label.
        let top = rows.iter().map(|r| r.risk.score).fold(0.0, f64::max);
        let x_max = ((top * 1.25 / 10.0).ceil() * 10.0).clamp(10.0, 100.0);
        let names: Vec<String> = rows
            .iter()
            .rev()
            .map(|r| format!("{} {}", r.risk.rank, r.risk.category_name))
            .collect();
        let mut chart = bars(root, title, 0f64..x_max, &names, 190, "风险分值")?;
        chart
            .draw_series(rows.iter().rev().enumerate().map(|(i, r)| {
                let colour = level_colour(r.risk.level);
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(i)),
                        (r.risk.score, SegmentValue::Exact(i + 1)),
                    ],
                    colour.filled(),
                );
                bar.set_margin(4, 4, 0, 0);
                bar
            }))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(rows.iter().rev().enumerate().map(|(i, r)| {
                Text::new(
                    format!("{:.1} {}", r.risk.score, short(r.risk.level)),
                    (r.risk.score + 1.0, SegmentValue::CenterOf(i)),
                    (FAMILY, 14).into_font(),
                )
            }))
            .map_err(|e| err(&e))?;
        Ok(())
    })
}

/// Each category's level in each period (a quarter): a grid of coloured cells, one row per
/// category, `—` where no ranking was stored. `columns` name the periods, oldest first.
pub fn level_grid(
    rows: &[(String, Vec<Option<u8>>)],
    columns: &[String],
    title: &str,
) -> Result<Vec<u8>, ChartError> {
    let (label_w, cell_w, cell_h, top) = (200u32, 160u32, 30u32, 90u32);
    let w = label_w + cell_w * columns.len().max(1) as u32 + 20;
    let h = top + cell_h * rows.len().max(1) as u32 + 20;
    png(w, h, |root| {
        let text = |size: u32| (FAMILY, size).into_font().color(&BLACK);
        root.draw(&Text::new(
            title,
            (16, 14),
            (FAMILY, 22).into_font().color(&INK),
        ))
        .map_err(|e| err(&e))?;
        for (c, name) in columns.iter().enumerate() {
            let x = (label_w + cell_w * c as u32 + 8) as i32;
            root.draw(&Text::new(name.as_str(), (x, (top - 28) as i32), text(15)))
                .map_err(|e| err(&e))?;
        }
        for (r, (name, levels)) in rows.iter().enumerate() {
            let y = (top + cell_h * r as u32) as i32;
            root.draw(&Text::new(name.as_str(), (16, y + 6), text(15)))
                .map_err(|e| err(&e))?;
            for (c, level) in levels.iter().enumerate() {
                let x = (label_w + cell_w * c as u32) as i32;
                let corners = [
                    (x + 2, y + 2),
                    (x + cell_w as i32 - 2, y + cell_h as i32 - 2),
                ];
                let (fill, label) = match level {
                    Some(l) => (level_colour(*l), short(*l)),
                    None => (RGBColor(0xEE, 0xEE, 0xEE), "—"),
                };
                root.draw(&Rectangle::new(corners, fill.filled()))
                    .map_err(|e| err(&e))?;
                let ink = if matches!(level, Some(1) | Some(4)) {
                    WHITE
                } else {
                    BLACK
                };
                root.draw(&Text::new(
                    label,
                    (x + 12, y + 6),
                    (FAMILY, 15).into_font().color(&ink),
                ))
                .map_err(|e| err(&e))?;
            }
        }
        Ok(())
    })
}

/// Open flags per prefecture, stacked by kind: one bar per prefecture (most flags on top), one
/// colour per kind with a legend. `kinds` names the kinds in the order of each row's counts.
pub fn flags_chart(
    rows: &[(String, Vec<usize>)],
    kinds: &[&str],
    title: &str,
) -> Result<Vec<u8>, ChartError> {
    const COLOURS: [RGBColor; 4] = [
        RGBColor(0xC0, 0x39, 0x2B),
        RGBColor(0xE6, 0x7E, 0x22),
        RGBColor(0x2E, 0x86, 0xC1),
        RGBColor(0x7D, 0x3C, 0x98),
    ];
    let mut rows: Vec<&(String, Vec<usize>)> = rows.iter().collect();
    rows.sort_by_key(|(name, counts)| {
        (
            std::cmp::Reverse(counts.iter().sum::<usize>()),
            name.clone(),
        )
    });
    let n = rows.len();
    let (w, h) = (900u32, 150 + 30 * n.max(1) as u32);
    let top = rows
        .iter()
        .map(|(_, c)| c.iter().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    let x_max = ((top as f64 * 1.15).ceil() as usize).max(top + 1);
    png(w, h, |root| {
        let names: Vec<String> = rows.iter().rev().map(|(name, _)| name.clone()).collect();
        let mut chart = bars(root, title, 0..x_max, &names, 170, "待处理事项（条）")?;
        for (k, kind) in kinds.iter().enumerate() {
            let colour = COLOURS[k % COLOURS.len()];
            chart
                .draw_series(
                    rows.iter()
                        .rev()
                        .enumerate()
                        .filter_map(|(i, (_, counts))| {
                            let start: usize = counts[..k].iter().sum();
                            let end = start + counts.get(k).copied().unwrap_or(0);
                            (end > start).then(|| {
                                let mut bar = Rectangle::new(
                                    [
                                        (start, SegmentValue::Exact(i)),
                                        (end, SegmentValue::Exact(i + 1)),
                                    ],
                                    colour.filled(),
                                );
                                bar.set_margin(4, 4, 0, 0);
                                bar
                            })
                        }),
                )
                .map_err(|e| err(&e))?
                .label(*kind)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled())
                });
        }
        chart
            .draw_series(rows.iter().rev().enumerate().map(|(i, (_, counts))| {
                let total: usize = counts.iter().sum();
                Text::new(
                    total.to_string(),
                    (total, SegmentValue::CenterOf(i)),
                    (FAMILY, 14).into_font(),
                )
            }))
            .map_err(|e| err(&e))?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((FAMILY, 15))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(|e| err(&e))?;
        Ok(())
    })
}

fn short(level: u8) -> &'static str {
    match level {
        1 => "一级",
        2 => "二级",
        3 => "三级",
        _ => "四级",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::{CategoryFacts, RiskParams, assess, history::compare};

    /// Dark pixels in a rectangle of a PNG: where text was drawn.
    fn dark(png: &[u8], xs: std::ops::Range<u32>, ys: std::ops::Range<u32>) -> usize {
        let img = image::load_from_memory(png).unwrap().to_rgb8();
        xs.flat_map(|x| ys.clone().map(move |y| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c < 100))
            .count()
    }

    #[test]
    fn the_level_grid_colours_each_cell_by_its_level() {
        let rows = vec![
            (
                "救生设备".to_string(),
                vec![None, Some(2), Some(1), Some(1)],
            ),
            ("化肥".to_string(), vec![Some(4), Some(4), Some(3), Some(4)]),
        ];
        let columns: Vec<String> = ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
            .map(String::from)
            .to_vec();
        let png = level_grid(&rows, &columns, "近四个季度风险等级").unwrap();
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        // Row 0, column 2 is 一级 red; row 1, column 0 is 四级 blue; row 0, column 0 grey.
        assert_eq!(
            img.get_pixel(200 + 2 * 160 + 100, 90 + 20).0,
            [0xC0, 0x39, 0x2B]
        );
        assert_eq!(img.get_pixel(200 + 100, 90 + 30 + 20).0, [0x2E, 0x86, 0xC1]);
        assert_eq!(img.get_pixel(200 + 100, 90 + 20).0, [0xEE, 0xEE, 0xEE]);
        assert!(
            dark(&png, 16..190, 90..150) > 100,
            "the category names were drawn"
        );
    }

    #[test]
    fn the_flags_chart_stacks_each_prefectures_kinds() {
        let rows = vec![
            ("乌鲁木齐市".to_string(), vec![3, 2, 0, 1]),
            ("克拉玛依市".to_string(), vec![0, 0, 0, 0]),
        ];
        let png = flags_chart(
            &rows,
            &["现场审查逾期", "延续临近", "电子证书超期", "快速退出核查"],
            "各地待处理事项",
        )
        .unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        let red = img.pixels().filter(|p| p.0 == [0xC0, 0x39, 0x2B]).count();
        let purple = img.pixels().filter(|p| p.0 == [0x7D, 0x3C, 0x98]).count();
        let blue = img.pixels().filter(|p| p.0 == [0x2E, 0x86, 0xC1]).count();
        // Three overdue reviews are three times one quick-exit candidate (the legend adds a swatch
        // of each); there are no late e-certificates, so blue shows only in the legend.
        assert!(red > 2 * purple && purple > 0, "red {red}, purple {purple}");
        assert!(blue < purple, "blue {blue}");
        assert!(dark(&png, 0..180, 60..120) > 100, "prefecture names drawn");
    }

    #[test]
    fn the_chart_is_a_png_with_ink_where_the_labels_are() {
        let facts: Vec<CategoryFacts> = ["lifesaving", "wire-rope", "fertilizer"]
            .iter()
            .enumerate()
            .map(|(i, code)| CategoryFacts {
                category_code: code.to_string(),
                category_name: ["救生设备", "钢丝绳", "化肥"][i].into(),
                checks: 100,
                failures: 5 * i as u64,
                ..CategoryFacts::default()
            })
            .collect();
        let rows = compare(
            assess(&facts, &RiskParams::default()),
            &[],
            &[],
            "2026-11-27".parse().unwrap(),
            4,
        );
        let png = risk_chart(&rows, "产品类别风险排名").unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        // The label column (left of the bars) holds dark pixels: the Chinese names were drawn.
        let dark = (0..190)
            .flat_map(|x| (60..img.height() - 40).map(move |y| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c < 100))
            .count();
        assert!(dark > 200, "{dark} dark pixels in the label column");
    }
}
