//! Workbooks that open cleanly in Excel and WPS: a sheet per section, the header frozen, dates as
//! real date cells, widths fitted to the content, formula-looking text neutralised — and that print:
//! A4 landscape, fitted to one page wide, the header row repeated on every page, the report's title
//! and period in the page header and the page number in the footer.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

use super::table::{Cell, Table};
use crate::output::spreadsheet_safe;

/// Excel refuses sheet names longer than 31 characters or holding `[]:*?/\`.
fn sheet_name(title: &str, index: usize) -> String {
    let clean: String = title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(28)
        .collect();
    if clean.is_empty() {
        format!("Sheet{}", index + 1)
    } else {
        clean
    }
}

/// Display width of text, counting a CJK character as two.
fn width(text: &str) -> f64 {
    text.chars()
        .map(|c| if c.is_ascii() { 1.0 } else { 2.0 })
        .sum()
}

/// A4 in the paper-size codes of the XLSX format.
const A4: u8 = 9;

/// `heading` (the report's title and period) goes in every page's header.
pub fn workbook(tables: &[&Table], heading: &str) -> Result<Vec<u8>, XlsxError> {
    // `&` starts a header code; a literal one is doubled.
    // Excel caps a header at 255 characters, codes included.
    let heading: String = heading.chars().take(120).collect();
    let page_header = format!("&C&\"宋体,Bold\"{}", heading.replace('&', "&&"));
    let mut book = Workbook::new();
    // The fastest deflate: twenty thousand small workbooks a draw, a few per cent larger each.
    book.set_zip_compression_level(1);
    let header = Format::new()
        .set_bold()
        .set_background_color("#DCE6F1")
        .set_font_name("宋体");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (index, table) in tables.iter().enumerate() {
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(&table.title, index))?;
        let mut widths: Vec<f64> = table.headers.iter().map(|h| width(h)).collect();
        for (col, h) in table.headers.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, h, &header)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (col, cell) in row.iter().enumerate() {
                let c = col as u16;
                match cell {
                    Cell::Text(s) => {
                        sheet.write_string(r, c, spreadsheet_safe(s))?;
                    }
                    Cell::Number(n) => {
                        sheet.write_number(r, c, *n)?;
                    }
                    // Excel holds dates from 1900 on; an older one (a typo in old data) is
                    // written as text rather than failing the whole workbook.
                    Cell::Date(d) => match excel_date(*d) {
                        Some(value) => {
                            sheet.write_datetime_with_format(r, c, &value, &date)?;
                        }
                        None => {
                            sheet.write_string(r, c, d.to_string())?;
                        }
                    },
                    Cell::Empty => {}
                }
                if let Some(w) = widths.get_mut(col) {
                    *w = w.max(width(&cell.display()));
                }
            }
        }
        for (col, w) in widths.iter().enumerate() {
            sheet.set_column_width(col as u16, (w + 2.0).clamp(8.0, 60.0))?;
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.set_landscape();
        sheet.set_paper_size(A4);
        sheet.set_print_fit_to_pages(1, 0);
        sheet.set_repeat_rows(0, 0)?;
        sheet.set_header(&page_header);
        sheet.set_footer("&C第 &P 页，共 &N 页");
    }
    if tables.is_empty() {
        book.add_worksheet();
    }
    book.save_to_buffer()
}

/// The date as an Excel date cell, when Excel can hold it (1900-01-01 to 9999-12-31).
fn excel_date(d: chrono::NaiveDate) -> Option<ExcelDateTime> {
    use chrono::Datelike;
    if !(1900..=9999).contains(&d.year()) {
        return None;
    }
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};
    use serde::Serialize;

    #[derive(Serialize)]
    struct Row {
        enterprise: &'static str,
        due: chrono::NaiveDate,
        workdays_left: i64,
    }

    #[test]
    fn the_workbook_reads_back_with_real_dates_and_safe_text() {
        let table = Table::from_rows(
            "逾期现场审查",
            &[Row {
                enterprise: "@乌鲁木齐钢丝绳厂",
                due: chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
                workdays_left: -2,
            }],
            &["enterprise", "due", "workdays_left"],
        );
        let bytes = workbook(&[&table], "乌鲁木齐市 每周监管报告 2026-W48 & 附表").unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
        assert_eq!(book.sheet_names(), vec!["逾期现场审查"]);
        // Print setup, as the sheet's XML states it: A4 landscape, one page wide, header row
        // repeated, the title in the page header.
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
            &mut xml,
        )
        .unwrap();
        for expected in [
            r#"paperSize="9""#,
            r#"orientation="landscape""#,
            r#"fitToHeight="0""#,
            r#"<pageSetUpPr fitToPage="1"/>"#,
            "每周监管报告 2026-W48 &amp;&amp; 附表",
        ] {
            assert!(xml.contains(expected), "{expected} not in {xml}");
        }
        let mut names = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("xl/workbook.xml").unwrap(), &mut names)
            .unwrap();
        assert!(names.contains("_xlnm.Print_Titles"), "{names}");
        let range = book.worksheet_range("逾期现场审查").unwrap();
        assert_eq!(range.get((0, 0)), Some(&Data::String("企业名称".into())));
        assert_eq!(
            range.get((1, 0)),
            Some(&Data::String("'@乌鲁木齐钢丝绳厂".into()))
        );
        let Some(Data::DateTime(d)) = range.get((1, 1)) else {
            panic!("a real date cell: {:?}", range.get((1, 1)));
        };
        assert_eq!(d.as_datetime().unwrap().date().to_string(), "2026-11-30");
        assert_eq!(range.get((1, 2)), Some(&Data::Float(-2.0)));
    }

    #[test]
    fn a_date_excel_cannot_hold_is_written_as_text() {
        let table = Table::from_rows(
            "旧数据",
            &[Row {
                enterprise: "企业",
                due: chrono::NaiveDate::from_ymd_opt(1019, 1, 2).unwrap(),
                workdays_left: 0,
            }],
            &["enterprise", "due", "workdays_left"],
        );
        let bytes = workbook(&[&table], "旧数据").unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("旧数据").unwrap();
        assert_eq!(range.get((1, 1)), Some(&Data::String("1019-01-02".into())));
    }
}
