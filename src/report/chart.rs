//! The risk ranking as a horizontal bar chart (PNG, embedded inline in the leadership mail).
//! Chinese labels render from Noto Sans SC (SIL Open Font License 1.1), subset to the GB 2312
//! characters and compiled into the binary: `reports/fonts/`, no system font needed.

use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::risk::Ranked;

static FONT: &[u8] = include_bytes!("../../reports/fonts/NotoSansSC-Regular-GB2312.ttf");
const FAMILY: &str = "licwatch-cjk";

#[derive(Debug, thiserror::Error)]
#[error("drawing the risk chart: {0}")]
pub struct ChartError(String);

fn level_colour(level: u8) -> RGBColor {
    match level {
        1 => RGBColor(0xC0, 0x39, 0x2B),
        2 => RGBColor(0xE6, 0x7E, 0x22),
        3 => RGBColor(0xF1, 0xC4, 0x0F),
        _ => RGBColor(0x2E, 0x86, 0xC1),
    }
}

/// A PNG of the categories' scores, ranked top down, coloured by level.
pub fn risk_chart(rows: &[Ranked], title: &str) -> Result<Vec<u8>, ChartError> {
    let err = |e: &dyn std::fmt::Display| ChartError(e.to_string());
    // Registering twice is harmless; the first registration wins.
    register_font(FAMILY, FontStyle::Normal, FONT).map_err(|_| ChartError("font".into()))?;
    let (w, h) = (900u32, 120 + 34 * rows.len().max(1) as u32);
    let mut pixels = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let n = rows.len();
        // Room to the right of the longest bar for its label.
        let top = rows.iter().map(|r| r.risk.score).fold(0.0, f64::max);
        let x_max = ((top * 1.25 / 10.0).ceil() * 10.0).clamp(10.0, 100.0);
        let names: Vec<String> = rows
            .iter()
            .rev()
            .map(|r| format!("{} {}", r.risk.rank, r.risk.category_name))
            .collect();
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FAMILY, 24))
            .margin(16)
            .x_label_area_size(36)
            .y_label_area_size(190)
            .build_cartesian_2d(0f64..x_max, (0..n.max(1) - 1).into_segmented())
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(TRANSPARENT)
            .y_labels(n.max(1))
            .y_label_style((FAMILY, 16))
            .x_label_style((FAMILY, 14))
            .x_desc("风险分值 score")
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()
            .map_err(|e| err(&e))?;
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
        root.present().map_err(|e| err(&e))?;
    }
    let image = image::RgbImage::from_raw(w, h, pixels)
        .ok_or_else(|| ChartError("pixel buffer size".into()))?;
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| err(&e))?;
    Ok(png)
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
