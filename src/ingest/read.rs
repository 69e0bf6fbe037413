//! Reading the files bureaus really have into rows of cells: CSV in UTF-8 (with or without BOM) or
//! GB18030/GBK, XLSX/XLS workbooks (calamine), Parquet (polars) and JSON (an array or lines).
//! Reading knows nothing of kinds; a problem here makes the whole file unreadable, while a bad row
//! is left for validation to quarantine.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use calamine::{Data, Reader};
use chrono::NaiveDate;
use clap::ValueEnum;

/// Longest field accepted, in characters; a longer one is a bad row, not a crash.
pub const MAX_FIELD_CHARS: usize = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
}

impl Cell {
    fn from_text(s: String) -> Cell {
        if s.trim().is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s)
        }
    }

    /// The cell as text, as a person would read it (integral numbers without a decimal point);
    /// text cells are borrowed, not copied.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(s) => Cow::Borrowed(s),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => {
                Cow::Owned(format!("{}", *n as i64))
            }
            Cell::Number(n) => Cow::Owned(n.to_string()),
            Cell::Date(d) => Cow::Owned(d.to_string()),
            Cell::Bool(b) => Cow::Owned(b.to_string()),
        }
    }
}

/// One data row; `number` is the spreadsheet's row number (the header is row 1).
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    pub number: usize,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Encoding {
    Auto,
    #[value(name = "utf-8")]
    Utf8,
    Gb18030,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("is binary, not a CSV, JSON, XLSX or Parquet file")]
    Binary,
    #[error("is empty (no header row)")]
    Empty,
    #[error("row {row}: {message}")]
    Row { row: usize, message: String },
    #[error("workbook: {0}")]
    Workbook(String),
    #[error("Parquet: {0}")]
    Parquet(String),
    #[error("JSON {0}")]
    Json(String),
    #[error("could not be parsed (the reader gave up: {0}); nothing of it applied")]
    Crashed(String),
}

/// A file's header and its rows, streamed where the format allows.
pub struct Table {
    pub format: &'static str,
    pub header: Vec<String>,
    pub rows: Box<dyn Iterator<Item = Result<RawRow, ReadError>> + Send>,
}

enum Format {
    Csv,
    Workbook,
    Parquet,
    Json,
}

/// Tells the format by the file's first bytes, then by its extension.
fn format_of(path: &Path, head: &[u8]) -> Format {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Format::Workbook;
    }
    if head.starts_with(b"PAR1") {
        return Format::Parquet;
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("xlsx" | "xlsm" | "xls" | "xlsb" | "ods") => Format::Workbook,
        Some("parquet") => Format::Parquet,
        Some("json" | "jsonl" | "ndjson") => Format::Json,
        _ => {
            let first = head
                .iter()
                .copied()
                .find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
            if matches!(first, Some(b'[' | b'{')) {
                Format::Json
            } else {
                Format::Csv
            }
        }
    }
}

pub fn open(path: &Path, encoding: Encoding, sheet: Option<&str>) -> Result<Table, ReadError> {
    let mut head = Vec::with_capacity(64 * 1024);
    File::open(path)?.take(64 * 1024).read_to_end(&mut head)?;
    match format_of(path, &head) {
        Format::Workbook => read_workbook(path, sheet),
        Format::Parquet => read_parquet(path),
        Format::Json => read_json(path, &head, encoding),
        Format::Csv => read_csv(path, &head, encoding),
    }
}

/// Chooses the text encoding: a BOM or valid UTF-8 means UTF-8; anything else is read as GB18030,
/// the superset of GBK that Chinese Windows exports use.
fn text_encoding(
    head: &[u8],
    asked: Encoding,
) -> Result<&'static encoding_rs::Encoding, ReadError> {
    if head.contains(&0) && !head.starts_with(&[0xFF, 0xFE]) && !head.starts_with(&[0xFE, 0xFF]) {
        return Err(ReadError::Binary);
    }
    Ok(match asked {
        Encoding::Utf8 => encoding_rs::UTF_8,
        Encoding::Gb18030 => encoding_rs::GB18030,
        Encoding::Auto => match std::str::from_utf8(head) {
            Ok(_) => encoding_rs::UTF_8,
            // Cut mid-character at the end of the sample: still UTF-8.
            Err(e) if e.error_len().is_none() => encoding_rs::UTF_8,
            Err(_) => encoding_rs::GB18030,
        },
    })
}

fn decoder(
    path: &Path,
    encoding: &'static encoding_rs::Encoding,
) -> Result<impl Read + use<>, ReadError> {
    Ok(encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .build(BufReader::with_capacity(1 << 20, File::open(path)?)))
}

fn read_csv(path: &Path, head: &[u8], asked: Encoding) -> Result<Table, ReadError> {
    let encoding = text_encoding(head, asked)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(decoder(path, encoding)?);
    // One record read into again and again, rather than a new one a row.
    let mut record = csv::StringRecord::new();
    let header = loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Err(ReadError::Empty),
            Err(e) => return Err(csv_error(e)),
            Ok(true) if record.iter().all(|f| f.trim().is_empty()) => continue,
            Ok(true) => break record.iter().map(str::to_string).collect::<Vec<_>>(),
        }
    };
    // Rows count as a spreadsheet shows them: a quoted field's line breaks stay within its row.
    let mut number = 1;
    let rows = std::iter::from_fn(move || match reader.read_record(&mut record) {
        Ok(false) => None,
        Err(e) => Some(Err(csv_error(e))),
        Ok(true) => {
            number += 1;
            Some(Ok(RawRow {
                number,
                cells: record
                    .iter()
                    .map(|f| Cell::from_text(f.to_string()))
                    .collect(),
            }))
        }
    });
    Ok(Table {
        format: if encoding == encoding_rs::UTF_8 {
            "csv (utf-8)"
        } else {
            "csv (gb18030)"
        },
        header,
        rows: Box::new(rows),
    })
}

fn csv_error(e: csv::Error) -> ReadError {
    let row = e.position().map_or(0, |p| p.line() as usize);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => ReadError::Io(io),
        other => ReadError::Row {
            row,
            message: format!("{other:?}"),
        },
    }
}

/// Workbooks larger than this are refused: they are read whole, and CSV streams instead.
const MAX_WORKBOOK_BYTES: u64 = 256 << 20;
/// Non-empty cells read from one sheet at most (a national spot-check file is about 35 million).
const MAX_WORKBOOK_CELLS: usize = 60_000_000;

/// Reads one sheet. XLSX is read cell by cell, so a sheet whose used range spans the whole grid
/// (a stray cell at XFD1048576) costs what its cells cost, not the rectangle; other workbook
/// formats are bounded by the file size.
fn read_workbook(path: &Path, sheet: Option<&str>) -> Result<Table, ReadError> {
    let err = |e: calamine::Error| ReadError::Workbook(e.to_string());
    let size = std::fs::metadata(path)?.len();
    if size > MAX_WORKBOOK_BYTES {
        return Err(ReadError::Workbook(format!(
            "is {} MiB; workbooks over {} MiB are refused — save the sheet as CSV",
            size >> 20,
            MAX_WORKBOOK_BYTES >> 20
        )));
    }
    let mut book = calamine::open_workbook_auto(path).map_err(err)?;
    let name = match sheet {
        Some(name) => name.to_string(),
        None => book
            .sheet_names()
            .first()
            .cloned()
            .ok_or_else(|| ReadError::Workbook("has no sheets".into()))?,
    };
    let too_many = || {
        ReadError::Workbook(format!(
            "sheet {name} holds over {MAX_WORKBOOK_CELLS} cells — split it or save it as CSV"
        ))
    };
    let mut cells: Vec<((u32, u32), Cell)> = Vec::new();
    match &mut book {
        calamine::Sheets::Xlsx(xlsx) => {
            let xerr = |e: calamine::XlsxError| ReadError::Workbook(e.to_string());
            let mut reader = xlsx.worksheet_cells_reader(&name).map_err(xerr)?;
            while let Some(cell) = reader.next_cell().map_err(xerr)? {
                let data = Data::from(cell.get_value().clone());
                if data != Data::Empty {
                    if cells.len() >= MAX_WORKBOOK_CELLS {
                        return Err(too_many());
                    }
                    cells.push((cell.get_position(), cell_of(&data)));
                }
            }
        }
        other => {
            let range = other.worksheet_range(&name).map_err(err)?;
            let (r0, c0) = range.start().unwrap_or((0, 0));
            for (r, c, data) in range.used_cells() {
                if cells.len() >= MAX_WORKBOOK_CELLS {
                    return Err(too_many());
                }
                cells.push(((r0 + r as u32, c0 + c as u32), cell_of(data)));
            }
        }
    }
    cells.sort_by_key(|(pos, _)| *pos);
    let first_col = cells.iter().map(|((_, c), _)| *c).min().unwrap_or(0);
    // Rows in sheet order; the spreadsheet's own row numbers (the header is row 1).
    let mut rows: Vec<RawRow> = Vec::new();
    for ((r, c), cell) in cells {
        let number = r as usize + 1;
        if rows.last().is_none_or(|row| row.number != number) {
            rows.push(RawRow {
                number,
                cells: Vec::new(),
            });
        }
        let row = rows.last_mut().expect("pushed above");
        let at = (c - first_col) as usize;
        if row.cells.len() <= at {
            row.cells.resize(at + 1, Cell::Empty);
        }
        row.cells[at] = cell;
    }
    let mut rows = rows.into_iter();
    let header = rows
        .next()
        .ok_or(ReadError::Empty)?
        .cells
        .iter()
        .map(|c| c.text().into_owned())
        .collect();
    Ok(Table {
        format: "workbook",
        header,
        rows: Box::new(rows.map(Ok)),
    })
}

fn cell_of(data: &Data) -> Cell {
    use calamine::DataType;
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::from_text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        // A date cell far outside any calendar (-1e300) is read as its number, which validation
        // then refuses; calamine is never asked to turn it into a date.
        Data::DateTime(d) if !(-1e7..=3e6).contains(&d.as_f64()) => {
            Cell::Text(d.as_f64().to_string())
        }
        Data::DateTime(_) | Data::DateTimeIso(_) => match data.as_date() {
            Some(d) => Cell::Date(d),
            None => Cell::Text(data.to_string()),
        },
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Text(format!("#{e:?}")),
    }
}

fn read_parquet(path: &Path) -> Result<Table, ReadError> {
    use polars::prelude::*;
    let err = |e: PolarsError| ReadError::Parquet(e.to_string());
    let df = ParquetReader::new(File::open(path)?)
        .finish()
        .map_err(err)?;
    let header: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    // Dates and timestamps become dates; everything else is read as its text.
    let mut columns: Vec<Vec<Cell>> = Vec::with_capacity(header.len());
    for column in df.columns() {
        let column = match column.dtype() {
            DataType::Datetime(_, _) => column.cast(&DataType::Date).map_err(err)?,
            _ => column.clone(),
        };
        let is_date = column.dtype() == &DataType::Date;
        let text = column.cast(&DataType::String).map_err(err)?;
        let cells = text
            .str()
            .map_err(err)?
            .iter()
            .map(|v| match v {
                None => Cell::Empty,
                Some(s) if is_date => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_or_else(|_| Cell::Text(s.to_string()), Cell::Date),
                Some(s) => Cell::from_text(s.to_string()),
            })
            .collect();
        columns.push(cells);
    }
    let height = df.height();
    let rows = (0..height).map(move |i| {
        Ok(RawRow {
            number: i + 2,
            cells: columns.iter().map(|c| c[i].clone()).collect(),
        })
    });
    Ok(Table {
        format: "parquet",
        header,
        rows: Box::new(rows.collect::<Vec<_>>().into_iter()),
    })
}

/// JSON: an array of objects, or one object per line. The header is every key in order of first
/// appearance; the first object is row 2, as if a header row came first.
fn read_json(path: &Path, head: &[u8], asked: Encoding) -> Result<Table, ReadError> {
    let encoding = text_encoding(head, asked)?;
    let mut text = String::new();
    decoder(path, encoding)?.read_to_string(&mut text)?;
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let objects: Vec<(usize, serde_json::Map<String, serde_json::Value>)> =
        if trimmed.starts_with('[') {
            let values: Vec<serde_json::Value> = serde_json::from_str(trimmed)
                .map_err(|e| ReadError::Json(format!("line {}: {e}", e.line())))?;
            values
                .into_iter()
                .enumerate()
                .map(|(i, v)| json_object(i + 2, v))
                .collect::<Result<_, _>>()?
        } else {
            trimmed
                .lines()
                .enumerate()
                .filter(|(_, line)| !line.trim().is_empty())
                .map(|(i, line)| {
                    let v = serde_json::from_str(line).map_err(|e| ReadError::Row {
                        row: i + 2,
                        message: format!("not a JSON object: {e}"),
                    })?;
                    json_object(i + 2, v)
                })
                .collect::<Result<_, _>>()?
        };
    let mut header: Vec<String> = Vec::new();
    for (_, object) in &objects {
        for key in object.keys() {
            if !header.contains(key) {
                header.push(key.clone());
            }
        }
    }
    if header.is_empty() {
        return Err(ReadError::Empty);
    }
    let rows: Vec<_> = objects
        .into_iter()
        .map(|(number, object)| {
            let cells = header
                .iter()
                .map(|k| match object.get(k) {
                    None | Some(serde_json::Value::Null) => Cell::Empty,
                    Some(serde_json::Value::String(s)) => Cell::from_text(s.clone()),
                    Some(serde_json::Value::Number(n)) => n
                        .as_f64()
                        .map_or_else(|| Cell::Text(n.to_string()), Cell::Number),
                    Some(serde_json::Value::Bool(b)) => Cell::Bool(*b),
                    Some(other) => Cell::Text(other.to_string()),
                })
                .collect();
            Ok(RawRow { number, cells })
        })
        .collect();
    Ok(Table {
        format: "json",
        header,
        rows: Box::new(rows.into_iter()),
    })
}

fn json_object(
    row: usize,
    value: serde_json::Value,
) -> Result<(usize, serde_json::Map<String, serde_json::Value>), ReadError> {
    match value {
        serde_json::Value::Object(map) => Ok((row, map)),
        other => Err(ReadError::Row {
            row,
            message: format!("expected an object, found {other}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    fn all(table: Table) -> (Vec<String>, Vec<RawRow>) {
        let rows = table.rows.collect::<Result<Vec<_>, _>>().unwrap();
        (table.header, rows)
    }

    #[test]
    fn gb18030_csv_is_detected_and_transcoded() {
        let (text, _, _) = encoding_rs::GB18030.encode("企业名称,地址\r\n天山电缆,乌鲁木齐\r\n");
        let (_d, path) = write("gbk.csv", &text);
        let table = open(&path, Encoding::Auto, None).unwrap();
        assert_eq!(table.format, "csv (gb18030)");
        let (header, rows) = all(table);
        assert_eq!(header, vec!["企业名称", "地址"]);
        assert_eq!(rows[0].cells[0], Cell::Text("天山电缆".into()));
        assert_eq!(rows[0].number, 2);
    }

    #[test]
    fn utf8_with_bom_quotes_newlines_and_blank_lines() {
        let (_d, path) = write(
            "u.csv",
            "\u{feff}name,note\n\n\"a \"\"b\"\"\",\"two\nlines\"\nc,d\n".as_bytes(),
        );
        let (header, rows) = all(open(&path, Encoding::Auto, None).unwrap());
        assert_eq!(header, vec!["name", "note"]);
        assert_eq!(rows[0].cells[0], Cell::Text("a \"b\"".into()));
        assert_eq!(rows[0].cells[1], Cell::Text("two\nlines".into()));
        assert_eq!((rows[0].number, rows[1].number), (2, 3));
    }

    #[test]
    fn binary_files_are_refused() {
        let (_d, path) = write("x.csv", &[0x00, 0x01, 0x02, 0xff, 0x00]);
        assert!(matches!(
            open(&path, Encoding::Auto, None),
            Err(ReadError::Binary)
        ));
    }

    #[test]
    fn json_array_and_lines() {
        let (_d, path) = write("a.json", br#"[{"a": "x", "b": 2}, {"b": 3.5, "c": null}]"#);
        let (header, rows) = all(open(&path, Encoding::Auto, None).unwrap());
        assert_eq!(header, vec!["a", "b", "c"]);
        assert_eq!(
            rows[1].cells,
            vec![Cell::Empty, Cell::Number(3.5), Cell::Empty]
        );
        let (_d, path) = write("a.jsonl", b"{\"a\": \"x\"}\n\n{\"a\": \"y\"}\n");
        let (_, rows) = all(open(&path, Encoding::Auto, None).unwrap());
        assert_eq!(rows[1].number, 4);
        let (_d, path) = write("bad.jsonl", b"{\"a\": \"x\"}\n{\"a\": \n");
        assert!(matches!(
            open(&path, Encoding::Auto, None),
            Err(ReadError::Row { row: 3, .. })
        ));
    }

    #[test]
    fn integral_numbers_read_as_integers() {
        assert_eq!(Cell::Number(65010020190001.0).text(), "65010020190001");
        assert_eq!(Cell::Number(2.5).text(), "2.5");
    }
}
