//! The leadership risk ranking: the 17 categories with level, score, each factor's contribution and
//! the change since the last period, with the bar chart inline.

use super::chart::{level_grid, risk_chart};
use super::{Chart, Document, Figure, ReportKind, Table};
use crate::risk::Ranked;

/// Columns of the ranking table, in the order a reader scans them.
pub const RANKING_COLUMNS: &[&str] = &[
    "rank",
    "category_name",
    "level_label",
    "score",
    "scale_contribution",
    "technical_contribution",
    "checks_contribution",
    "severity",
    "checks",
    "failures",
    "smoothed_failure_rate",
    "insufficient_data",
    "previous_rank",
    "rank_change",
    "level_change",
    "trend",
    "measures",
];

/// The ranking as a table (also the weekly report's risk snapshot).
pub fn ranking_table(rows: &[Ranked]) -> Table {
    Table::from_rows("风险排名", rows, RANKING_COLUMNS)
}

pub fn document(
    period: &str,
    as_of: chrono::NaiveDate,
    rows: &[Ranked],
    recipients: Vec<String>,
) -> anyhow::Result<Document> {
    let count = |level: u8| rows.iter().filter(|r| r.risk.level == level).count();
    let up: Vec<String> = rows
        .iter()
        .filter(|r| r.level_change.is_some_and(|c| c > 0))
        .map(|r| format!("{}（{}）", r.risk.category_name, r.risk.level_label))
        .collect();
    // 预警 (measures 三(四): 风险监测、预警): a category whose level rose is said first, and in the
    // title the mail's subject carries.
    let title = if up.is_empty() {
        format!("{period} 工业产品生产许可简化程序 产品类别风险排名")
    } else {
        format!(
            "{period} 工业产品生产许可简化程序 产品类别风险排名（预警：{} 类等级上升）",
            up.len()
        )
    };
    let thin: Vec<&str> = rows
        .iter()
        .filter(|r| r.risk.insufficient_data)
        .map(|r| r.risk.category_name.as_str())
        .collect();
    let mut paragraphs = Vec::new();
    if !up.is_empty() {
        paragraphs.push(format!(
            "【预警】与上期相比，风险等级上升的类别：{}。请按其等级的防控措施或本类预案及时处置（三(四)）。",
            up.join("、")
        ));
    }
    paragraphs.push(format!(
        "截至 {as_of}，17 类简化审批产品按产业规模、技术现状、质量抽查状况和产品自身属性四项因素评定风险等级\
         （三(四)）。分值 = 可能性 × 严重度 × 100，三项数据因素的贡献之和即为分值；等级由可能性与严重度的 \
         4×4 矩阵确定（权重与矩阵为本地政策）。"
    ));
    if up.is_empty() {
        paragraphs.push("与上期相比，没有类别的风险等级上升。".into());
    }
    if !thin.is_empty() {
        paragraphs.push(format!(
            "以下类别近期抽查批次不足，结论仅供参考（数据不足，不视为低风险）：{}。",
            thin.join("、")
        ));
    }
    let mut measures = Vec::new();
    for level in 1..=4u8 {
        if let Some(r) = rows.iter().find(|r| r.risk.level == level) {
            measures.push(format!("{}：{}", r.risk.level_label, r.risk.measures));
        }
    }
    paragraphs.extend(measures);
    Ok(Document {
        kind: ReportKind::Risk,
        period: period.into(),
        scope: "all".into(),
        subtitle: format!("评估日 {as_of} · 周期 {period}"),
        charts: vec![
            Chart {
                name: "ranking",
                alt: format!("{title}：各类别风险分值柱状图"),
                png: risk_chart(rows, &title)?,
            },
            quarters_picture(rows)?,
        ],
        cards: Vec::new(),
        files: Vec::new(),
        title,
        paragraphs,
        headline: vec![
            Figure::new("等级上升", up.len(), !up.is_empty()),
            Figure::new("一级（高风险）", count(1), count(1) > 0),
            Figure::new("二级", count(2), false),
            Figure::new("三级", count(3), false),
            Figure::new("四级", count(4), false),
            Figure::new("数据不足", thin.len(), false),
        ],
        tables: vec![ranking_table(rows)],
        stem: format!("产品风险排名-{period}"),
        recipients,
    })
}

/// Each category's level over the last quarters, in ranking order: where a level has held or moved.
fn quarters_picture(rows: &[Ranked]) -> anyhow::Result<Chart> {
    let columns: Vec<String> = rows
        .first()
        .map(|r| r.quarters.iter().map(|(q, _)| q.clone()).collect())
        .unwrap_or_default();
    let grid: Vec<(String, Vec<Option<u8>>)> = rows
        .iter()
        .map(|r| {
            (
                r.risk.category_name.clone(),
                r.quarters.iter().map(|(_, level)| *level).collect(),
            )
        })
        .collect();
    let title = "近四个季度风险等级（各季度末排名，— 为无记录）";
    Ok(Chart {
        name: "quarters",
        alt: format!("{title}：{}", columns.join("、")),
        png: level_grid(&grid, &columns, title)?,
    })
}
