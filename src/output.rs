//! How commands print (DESIGN.md section 3): tables for people by default, or JSON / CSV whose keys
//! equal the CSV headers; single values as a bare line or one JSON object.

use std::io::Write;

use clap::ValueEnum;
use serde::Serialize;
use serde_json::{Map, Value};

mod csv_row;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    Table,
    Json,
    Csv,
}

impl TableFormat {
    /// A table for a person (not JSON or CSV for a machine).
    pub fn is_table(self) -> bool {
        self == TableFormat::Table
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValueFormat {
    Plain,
    Json,
}

/// Chinese labels for the column keys people see in tables.
pub fn header_label(key: &str) -> Option<&'static str> {
    Some(match key {
        "licence_no" => "许可证编号",
        "credit_code" => "统一社会信用代码",
        "enterprise" | "name" => "企业名称",
        "prefecture" => "所属地州市",
        "county" => "所属区县",
        "category" => "产品类别",
        "rule" | "rule_label" => "规则",
        "status" | "status_label" => "状态",
        "due" => "期限",
        "workdays_left" => "剩余工作日",
        "provisional" => "暂定",
        "detail" => "说明",
        "procedure" => "审批程序",
        "grant_date" => "发证日期",
        "expiry" => "有效期至",
        "field" => "项目",
        "value" => "内容",
        "count" => "数量",
        "file" => "文件",
        "kind" => "类型",
        "read" => "读取",
        "inserted" => "新增",
        "updated" => "更新",
        "unchanged" => "未变",
        "rejected" => "拒收",
        "message" => "说明",
        "rank" => "排名",
        "category_code" => "类别代码",
        "category_name" => "产品类别",
        "level" => "风险等级",
        "level_label" => "风险等级",
        "score" => "风险分值",
        "insufficient_data" => "数据不足",
        "likelihood" => "可能性",
        "likelihood_class" => "可能性等级",
        "severity" => "严重度",
        "scale_factor" => "产业规模",
        "scale_contribution" => "产业规模贡献",
        "active_enterprises" => "在证企业数",
        "new_licence_share" => "新发证占比",
        "simplified_share" => "简化程序占比",
        "technical_factor" => "技术现状",
        "technical_contribution" => "技术现状贡献",
        "nonconforming_review_share" => "审查不符合率",
        "awaiting_review_share" => "待审查占比",
        "overdue_reviews" => "逾期审查数",
        "checks_factor" => "抽查状况",
        "checks_contribution" => "抽查状况贡献",
        "checks" => "抽查批次",
        "failures" => "不合格批次",
        "failure_rate" => "不合格率",
        "smoothed_failure_rate" => "修正不合格率",
        "previous_smoothed_failure_rate" => "上期修正不合格率",
        "trend" => "趋势",
        "measures" => "防范措施",
        "previous_period" => "上期",
        "previous_rank" => "上期排名",
        "previous_level" => "上期等级",
        "rank_change" => "排名变化",
        "level_change" => "等级变化",
        "tier" => "风险分级",
        "points" => "分值",
        "reasons" => "原因",
        "check_date" => "抽查日期",
        "result" => "检验结论",
        "items" => "不合格项目",
        "campaign" => "任务编号",
        "address" => "生产地址",
        "role" => "本人职责",
        "inspector" => "检查人员",
        "lead" => "组长",
        "team" => "同组人员",
        _ => return None,
    })
}

/// Serializes one row to a JSON object, keeping field order.
fn to_object<T: Serialize>(row: &T) -> serde_json::Result<Map<String, Value>> {
    Ok(match serde_json::to_value(row)? {
        Value::Object(map) => map,
        other => Map::from_iter([("value".to_string(), other)]),
    })
}

fn to_objects<T: Serialize>(rows: &[T]) -> serde_json::Result<Vec<Map<String, Value>>> {
    rows.iter().map(to_object).collect()
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(true) => "是".into(),
        Value::Bool(false) => "否".into(),
        other => other.to_string(),
    }
}

fn csv_cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Writes `rows` in `format`. `columns` chooses the keys shown in a table (all when empty); JSON and
/// CSV always carry every key.
pub fn write_table<T: Serialize>(
    out: &mut dyn Write,
    format: TableFormat,
    rows: &[T],
    columns: &[&str],
) -> anyhow::Result<()> {
    // JSON and CSV stream row by row: `deadlines --all` at national scale is ~450,000 rows.
    match format {
        TableFormat::Json => {
            writeln!(out, "[")?;
            for (i, row) in rows.iter().enumerate() {
                let separator = if i + 1 < rows.len() { "," } else { "" };
                // A row is a struct, written as an object straight from it rather than through a
                // `serde_json::Value` map a row; any other value is wrapped as `{"value": …}`, as
                // CSV and the table show it.
                let mut text = serde_json::to_string_pretty(row)?;
                if !text.starts_with('{') {
                    text = serde_json::to_string_pretty(&to_object(row)?)?;
                }
                writeln!(out, "  {}{separator}", text.replace('\n', "\n  "))?;
            }
            writeln!(out, "]")?;
        }
        TableFormat::Csv => {
            let mut writer = csv::Writer::from_writer(out);
            for (i, row) in rows.iter().enumerate() {
                // A struct of plain values is written straight from its fields; anything else as
                // its JSON object, whose cells those are.
                if let Ok((keys, cells)) = csv_row::cells(row) {
                    if i == 0 {
                        writer.write_record(keys)?;
                    }
                    writer.write_record(&cells)?;
                    continue;
                }
                let object = to_object(row)?;
                if i == 0 {
                    writer.write_record(object.keys())?;
                }
                writer.write_record(object.values().map(csv_cell))?;
            }
            writer.flush()?;
        }
        TableFormat::Table => {
            let objects = to_objects(rows)?;
            let keys: Vec<String> = match objects.first() {
                None => {
                    writeln!(out, "(无记录 no rows)")?;
                    return Ok(());
                }
                Some(first) if columns.is_empty() => first.keys().cloned().collect(),
                Some(_) => columns.iter().map(|c| c.to_string()).collect(),
            };
            let mut table = comfy_table::Table::new();
            table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            table.set_header(keys.iter().map(|k| match header_label(k) {
                Some(label) => format!("{label}\n{k}"),
                None => k.clone(),
            }));
            for object in &objects {
                table.add_row(
                    keys.iter()
                        .map(|k| object.get(k).map(cell).unwrap_or_default()),
                );
            }
            writeln!(out, "{table}")?;
        }
    }
    Ok(())
}

/// A text cell made safe for spreadsheets: one that Excel or WPS would read as a formula (it begins
/// with `=`, `+`, `-` or `@`) gets a leading apostrophe. Numbers are not text and stay as they are.
pub fn spreadsheet_safe(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// Writes rows as a CSV file for people: UTF-8 with a BOM (so Excel and WPS show the Chinese) and
/// formula-looking text neutralised.
pub fn write_csv_report<T: Serialize>(path: &std::path::Path, rows: &[T]) -> anyhow::Result<()> {
    use anyhow::Context as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        for (i, row) in rows.iter().enumerate() {
            let object = to_object(row)?;
            if i == 0 {
                writer.write_record(object.keys())?;
            }
            writer.write_record(object.values().map(|v| match v {
                Value::String(s) => spreadsheet_safe(s),
                other => csv_cell(other),
            }))?;
        }
        writer.flush()?;
    }
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}

/// Writes one value: `plain` prints `plain`, JSON prints `object`.
pub fn write_value<T: Serialize>(
    out: &mut dyn Write,
    format: ValueFormat,
    plain: &str,
    object: &T,
) -> anyhow::Result<()> {
    match format {
        ValueFormat::Plain => writeln!(out, "{plain}")?,
        ValueFormat::Json => {
            serde_json::to_writer(&mut *out, object)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row {
        licence_no: &'static str,
        workdays_left: i64,
        provisional: bool,
    }

    fn render(format: TableFormat) -> String {
        let rows = [
            Row {
                licence_no: "XK-1",
                workdays_left: -3,
                provisional: false,
            },
            Row {
                licence_no: "XK-2",
                workdays_left: 4,
                provisional: true,
            },
        ];
        let mut out = Vec::new();
        write_table(&mut out, format, &rows, &[]).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_keys_equal_csv_headers() {
        let json: Vec<Map<String, Value>> =
            serde_json::from_str(&render(TableFormat::Json)).unwrap();
        let csv = render(TableFormat::Csv);
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let keys: Vec<&str> = json[0].keys().map(String::as_str).collect();
        assert_eq!(header, keys);
        assert_eq!(csv.lines().nth(2).unwrap(), "XK-2,4,true");
        assert_eq!(json[0]["workdays_left"], -3);
    }

    #[test]
    fn json_is_one_indented_object_a_row_and_a_value_not_an_object_is_wrapped() {
        assert_eq!(
            render(TableFormat::Json),
            "[\n  {\n    \"licence_no\": \"XK-1\",\n    \"workdays_left\": -3,\n    \
             \"provisional\": false\n  },\n  {\n    \"licence_no\": \"XK-2\",\n    \
             \"workdays_left\": 4,\n    \"provisional\": true\n  }\n]\n"
        );
        let mut out = Vec::new();
        write_table(&mut out, TableFormat::Json, &["甲", "乙"], &[]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "[\n  {\n    \"value\": \"甲\"\n  },\n  {\n    \"value\": \"乙\"\n  }\n]\n"
        );
    }

    #[test]
    fn formula_looking_text_is_neutralised_but_numbers_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        #[derive(Serialize)]
        struct R {
            name: &'static str,
            left: i64,
        }
        write_csv_report(
            &path,
            &[R {
                name: "=HYPERLINK(\"x\")",
                left: -3,
            }],
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "\u{feff}name,left\n\"'=HYPERLINK(\"\"x\"\")\",-3\n");
        assert_eq!(spreadsheet_safe("@sum"), "'@sum");
        assert_eq!(spreadsheet_safe("天山"), "天山");
    }

    #[test]
    fn tables_carry_chinese_labels_first() {
        let table = render(TableFormat::Table);
        assert!(table.contains("许可证编号"), "{table}");
        assert!(table.contains("XK-2"));
    }
}
