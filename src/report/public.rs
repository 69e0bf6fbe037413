//! 一公开: the plan notice before the checks (what is checked and how it was drawn, never the drawn
//! list nor the seed) and the results notice after them (enterprise, product, result, date — no
//! personal data, no inspector names).

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::{Document, Figure, ReportKind, Table};
use crate::draw::record::Record;
use crate::model::SpotCheck;

/// One line of the results notice.
#[derive(Debug, Clone, Serialize)]
pub struct ResultLine {
    pub enterprise: String,
    pub credit_code: String,
    pub category: String,
    pub check_date: NaiveDate,
    pub result: &'static str,
    pub items: String,
}

pub const RESULT_COLUMNS: &[&str] = &[
    "enterprise",
    "credit_code",
    "category",
    "check_date",
    "result",
    "items",
];

/// The recorded checks of the campaign that its draw selected, with the names people read.
pub fn result_lines(
    record: &Record,
    checks: Vec<SpotCheck>,
    category: &dyn Fn(&str) -> String,
) -> Vec<ResultLine> {
    let drawn: HashMap<(&str, &str), &str> = record
        .result
        .assignments
        .iter()
        .map(|a| {
            (
                (a.credit_code.as_str(), a.category.as_str()),
                a.enterprise.as_str(),
            )
        })
        .collect();
    checks
        .into_iter()
        .filter_map(|c| {
            let enterprise = drawn.get(&(c.credit_code.as_str(), c.category.as_str()))?;
            Some(ResultLine {
                enterprise: enterprise.to_string(),
                category: category(&c.category),
                credit_code: c.credit_code,
                check_date: c.check_date,
                result: c.result.label(),
                items: c.items.unwrap_or_default(),
            })
        })
        .collect()
}

/// The plan notice: published before the checks.
pub fn plan_notice(
    record: &Record,
    draw_id: i64,
    record_sha256: &str,
    seed_source: &str,
    period: &str,
    category: &dyn Fn(&str) -> String,
    recipients: Vec<String>,
) -> Document {
    let plan = &record.plan;
    let categories: Vec<String> = if plan.categories.is_empty() {
        vec!["全部 17 类简化审批产品".into()]
    } else {
        plan.categories.iter().map(|c| category(c)).collect()
    };
    let scope = if plan.scope.prefectures.is_empty() && plan.scope.counties.is_empty() {
        "全区".to_string()
    } else {
        [plan.scope.prefectures.clone(), plan.scope.counties.clone()]
            .concat()
            .join("、")
    };
    let s = &plan.sampling;
    Document {
        kind: ReportKind::PlanNotice,
        period: period.into(),
        scope: format!("{}/{draw_id}", record.campaign),
        title: format!("{} 抽查计划公告", plan.name),
        subtitle: format!("任务编号 {} · 公告日 {}", record.campaign, record.as_of),
        paragraphs: vec![
            format!("抽查范围：{scope}；抽查产品：{}。", categories.join("、")),
            format!(
                "抽取方式：从检查对象名录库随机抽取企业，从执法检查人员名录库随机选派检查人员，每组不少于 {} 人；\
                 风险分级 A/B/C/D 企业抽取比例分别为 {}%/{}%/{}%/{}%，简化审批产品抽查比例提高。",
                plan.teams.size,
                s.tier_a_percent,
                s.tier_b_percent,
                s.tier_c_percent,
                s.tier_d_percent
            ),
            format!(
                "随机种子来源：{}；种子摘要 SHA-256：{}。抽取记录摘要 SHA-256：{record_sha256}，抽取算法 {}，\
                 抽查结束后公开种子，任何人可据此复核抽取结果。",
                if seed_source.is_empty() {
                    "见抽取记录"
                } else {
                    seed_source
                },
                record.seed_sha256.clone(),
                record.algorithm
            ),
            "被抽取企业名单在检查前不予公开。".into(),
        ],
        headline: vec![Figure::new(
            "抽查企业（户次）",
            record.result.assignments.len() + record.result.unstaffed.len(),
            false,
        )],
        tables: Vec::new(),
        charts: Vec::new(),
        cards: Vec::new(),
        files: Vec::new(),
        stem: format!("抽查计划公告-{}", super::file_safe(&record.campaign)),
        recipients,
    }
}

/// The results notice: published after the checks.
pub fn results_notice(
    record: &Record,
    lines: &[ResultLine],
    period: &str,
    recipients: Vec<String>,
) -> Document {
    let failed = lines.iter().filter(|l| l.result == "不合格").count();
    Document {
        kind: ReportKind::ResultsNotice,
        period: period.into(),
        scope: record.campaign.clone(),
        title: format!("{} 抽查结果公告", record.plan.name),
        subtitle: format!("任务编号 {}", record.campaign),
        paragraphs: vec![format!(
            "本次抽查已完成 {} 户次，其中不合格 {failed} 户次。结果如下。",
            lines.len()
        )],
        headline: vec![
            Figure::new("已完成", lines.len(), false),
            Figure::new("不合格", failed, failed > 0),
        ],
        tables: vec![
            Table::from_rows(
                "不合格产品及企业",
                &lines
                    .iter()
                    .filter(|l| l.result == "不合格")
                    .collect::<Vec<_>>(),
                RESULT_COLUMNS,
            ),
            Table::from_rows("抽查结果", lines, RESULT_COLUMNS),
        ],
        charts: Vec::new(),
        cards: Vec::new(),
        files: Vec::new(),
        stem: format!("抽查结果公告-{}", super::file_safe(&record.campaign)),
        recipients,
    }
}
