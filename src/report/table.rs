//! A report section as a table of cells: built from any serializable rows, with Chinese headers,
//! rendered alike into HTML, plain text, XLSX and CSV.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use crate::output::header_label;

/// One cell, typed so that a spreadsheet gets real dates and numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Empty,
}

impl Cell {
    fn from_json(value: &Value) -> Cell {
        match value {
            Value::Null => Cell::Empty,
            Value::Bool(true) => Cell::Text("是".into()),
            Value::Bool(false) => Cell::Text("否".into()),
            Value::Number(n) => n.as_f64().map_or(Cell::Empty, Cell::Number),
            // Dates travel through serde as YYYY-MM-DD text; the shape is checked before the
            // parse, which is the dearer test for the many cells that are names.
            Value::String(s) => match s.as_bytes() {
                [_, _, _, _, b'-', _, _, b'-', _, _] => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_or_else(|_| Cell::Text(s.clone()), Cell::Date),
                _ => Cell::Text(s.clone()),
            },
            other => Cell::Text(other.to_string()),
        }
    }

    /// As people read it.
    pub fn display(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => format!("{n}"),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// A titled table: the sheet of a workbook, the section of a mail.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    /// Section title, also the sheet name (Chinese first).
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Rows shown in the mail body; the attachment carries them all.
    pub shown: usize,
}

/// How many rows of a section a mail body shows before pointing to the attachment.
pub const ROWS_IN_BODY: usize = 30;

impl Table {
    /// `columns` picks and orders the keys; each header is the key's Chinese label (a reader never
    /// sees an English code: a column without a label is a bug the tests catch).
    pub fn from_rows<T: Serialize>(title: &str, rows: &[T], columns: &[&str]) -> Table {
        let headers = columns
            .iter()
            .map(|c| {
                let label = header_label(c);
                debug_assert!(label.is_some(), "column '{c}' has no Chinese header");
                label.map_or(c.to_string(), str::to_string)
            })
            .collect();
        let rows: Vec<Vec<Cell>> = rows
            .iter()
            .map(|row| {
                let value = serde_json::to_value(row).expect("report rows serialise");
                columns
                    .iter()
                    .map(|c| value.get(*c).map_or(Cell::Empty, Cell::from_json))
                    .collect()
            })
            .collect();
        Table {
            title: title.into(),
            headers,
            shown: rows.len().min(ROWS_IN_BODY),
            rows,
        }
    }

    /// The rows as text for templates: `rows_text[i][j]`.
    pub fn text_rows(&self, limit: usize) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .take(limit)
            .map(|r| r.iter().map(Cell::display).collect())
            .collect()
    }

    /// UTF-8 CSV with a BOM (Excel and WPS then show the Chinese), formula-looking text
    /// neutralised.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut out = b"\xEF\xBB\xBF".to_vec();
        {
            let mut writer = csv::Writer::from_writer(&mut out);
            writer
                .write_record(&self.headers)
                .expect("writing to memory");
            for row in &self.rows {
                writer
                    .write_record(row.iter().map(|c| match c {
                        Cell::Text(s) => crate::output::spreadsheet_safe(s),
                        other => other.display(),
                    }))
                    .expect("writing to memory");
            }
            writer.flush().expect("writing to memory");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row {
        licence_no: &'static str,
        due: NaiveDate,
        workdays_left: i64,
        provisional: bool,
    }

    #[test]
    fn cells_keep_their_types_and_headers_are_chinese_first() {
        let t = Table::from_rows(
            "逾期",
            &[Row {
                licence_no: "=1+1",
                due: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
                workdays_left: -3,
                provisional: false,
            }],
            &["licence_no", "due", "workdays_left", "provisional"],
        );
        assert_eq!(t.headers[0], "许可证编号");
        assert_eq!(
            t.rows[0][1],
            Cell::Date(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap())
        );
        assert_eq!(t.rows[0][2], Cell::Number(-3.0));
        assert_eq!(t.rows[0][3].display(), "否");
        let csv = String::from_utf8(t.to_csv()).unwrap();
        assert!(csv.starts_with("\u{feff}许可证编号,"));
        assert!(csv.contains("'=1+1,2026-11-30,-3,否"), "{csv}");
    }

    #[test]
    fn only_text_that_is_a_day_becomes_a_date() {
        let cell = |s: &str| Cell::from_json(&Value::String(s.into()));
        assert_eq!(
            cell("2026-02-28"),
            Cell::Date(NaiveDate::from_ymd_opt(2026, 2, 28).unwrap())
        );
        for text in [
            "2026-02-30",
            "2026-2-28",
            "2026/02/28",
            "XK16-10-8A",
            "2026-02-28 ",
        ] {
            assert_eq!(cell(text), Cell::Text(text.into()), "{text}");
        }
    }
}
