//! The weekly department report of one jurisdiction (or the whole region): headline counts, every
//! deadline flag of DESIGN.md section 5, the week's spot checks and failures, new and withdrawn
//! licences, and the category risk snapshot of its area.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Chart, Document, Figure, ReportKind, Table, chart::flags_chart, risk::ranking_table};
use crate::deadlines::{DeadlineRow, Rule, Status, Subject};
use crate::model::{CheckResult, LicenceStatus};
use crate::risk::Ranked;

/// A spot check as the report lists it.
#[derive(Debug, Clone, Serialize)]
pub struct CheckLine {
    pub check_date: NaiveDate,
    pub credit_code: String,
    pub enterprise: String,
    pub prefecture: String,
    pub category: String,
    pub result: &'static str,
    pub items: String,
    pub campaign: String,
    #[serde(skip)]
    pub failed: bool,
}

#[derive(Debug, Clone, Serialize)]
struct LicenceLine<'a> {
    licence_no: &'a str,
    credit_code: &'a str,
    enterprise: &'a str,
    prefecture: &'a str,
    category: &'a str,
    procedure: &'static str,
    grant_date: NaiveDate,
    status: &'static str,
}

/// What one jurisdiction's report is made of.
pub struct WeeklyData<'a> {
    pub period: &'a str,
    /// Division code, or `all`.
    pub scope: &'a str,
    /// 乌鲁木齐市, or 全区.
    pub scope_name: &'a str,
    /// The report covers (from, to], the seven days up to the as-of day.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Every licence of the jurisdiction, any status.
    pub subjects: &'a [&'a Subject],
    /// The flags needing attention.
    pub flags: &'a [&'a DeadlineRow],
    pub checks: &'a [&'a CheckLine],
    pub risk: &'a [Ranked],
    pub recipients: Vec<String>,
}

const FLAG_COLUMNS: &[&str] = &[
    "licence_no",
    "enterprise",
    "prefecture",
    "category",
    "status_label",
    "due",
    "workdays_left",
    "detail",
];

const LICENCE_COLUMNS: &[&str] = &[
    "licence_no",
    "credit_code",
    "enterprise",
    "prefecture",
    "category",
    "procedure",
    "grant_date",
    "status",
];

const CHECK_COLUMNS: &[&str] = &[
    "check_date",
    "enterprise",
    "credit_code",
    "prefecture",
    "category",
    "result",
    "items",
    "campaign",
];

/// The sections of the flags, one per rule, in the order a bureau acts on them.
const FLAG_SECTIONS: &[(Rule, &str)] = &[
    (Rule::OnsiteReview, "证后现场审查"),
    (Rule::Renewal, "延续申请窗口"),
    (Rule::ECertificate, "电子证书推送"),
    (Rule::Expiry, "有效期届满仍显示有效"),
    (Rule::ExitReview, "快速退出核查"),
    (Rule::FollowUp, "不合格企业后处理"),
];

fn licence_line(s: &Subject) -> LicenceLine<'_> {
    LicenceLine {
        licence_no: &s.licence.licence_no,
        credit_code: &s.licence.credit_code,
        enterprise: &s.enterprise,
        prefecture: &s.prefecture_name,
        category: &s.category_name,
        procedure: s.licence.procedure.label(),
        grant_date: s.licence.grant_date,
        status: s.licence.status.label(),
    }
}

/// Where each figure of the flags comes from, as the report's footnote: the measures by section,
/// national rules, or local policy.
pub const SOURCES: &str = "依据：《新疆维吾尔自治区试行简化工业产品生产许可审批程序改革工作实施办法》——获证后 30 个工作日内完成\
     证后监督性现场审查（二(三)4）；有效期届满 30 个工作日前申请、生产条件无重大变化且有效期内无违法行为的直接延续\
     并免于现场审查（二(三)5）；决定后 10 个工作日内生成并推送电子证书（二(三)6、四(二)）；快速退出（三(一)）、\
     依法查处（三(二)）、不合格企业后处理（三(三)）。许可证有效期 5 年依国家生产许可规定；延续提醒窗口（60、10 \
     个工作日）为本地规定。";

/// The kinds of open flag the region's chart stacks, by rule and statuses.
const CHARTED: &[(&str, Rule, &[Status])] = &[
    ("现场审查逾期", Rule::OnsiteReview, &[Status::Overdue]),
    ("延续即将截止", Rule::Renewal, &[Status::Closing]),
    ("电子证书超期", Rule::ECertificate, &[Status::Late]),
    (
        "快速退出核查",
        Rule::ExitReview,
        &[Status::Candidate, Status::Investigate],
    ),
];

/// The region's picture: open flags of each prefecture (where the enterprise is), stacked by kind.
fn flags_picture(data: &WeeklyData) -> Result<Chart, super::chart::ChartError> {
    let mut by_prefecture: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for f in data.flags {
        if let Some(k) = CHARTED
            .iter()
            .position(|(_, rule, statuses)| f.rule == *rule && statuses.contains(&f.status))
        {
            by_prefecture
                .entry(f.prefecture.as_str())
                .or_insert_with(|| vec![0; CHARTED.len()])[k] += 1;
        }
    }
    let rows: Vec<(String, Vec<usize>)> = by_prefecture
        .into_iter()
        .map(|(name, counts)| (name.to_string(), counts))
        .collect();
    let kinds: Vec<&str> = CHARTED.iter().map(|(label, ..)| *label).collect();
    let title = format!("各地州市待处理事项（截至 {}）", data.to);
    Ok(Chart {
        name: "flags",
        alt: format!("{title}：{}", kinds.join("、")),
        png: flags_chart(&rows, &kinds, &title)?,
    })
}

pub fn document(data: &WeeklyData) -> Document {
    let in_week = |d: NaiveDate| d > data.from && d <= data.to;
    let count = |rule: Rule, status: Status| {
        data.flags
            .iter()
            .filter(|f| f.rule == rule && f.status == status)
            .count()
    };
    let new: Vec<LicenceLine> = data
        .subjects
        .iter()
        .filter(|s| in_week(s.licence.grant_date))
        .map(|s| licence_line(s))
        .collect();
    let withdrawn: Vec<LicenceLine> = data
        .subjects
        .iter()
        .filter(|s| {
            matches!(
                s.licence.status,
                LicenceStatus::Revoked | LicenceStatus::Annulled | LicenceStatus::Cancelled
            )
        })
        .map(|s| licence_line(s))
        .collect();
    let failed: Vec<&CheckLine> = data.checks.iter().copied().filter(|c| c.failed).collect();
    let active = data
        .subjects
        .iter()
        .filter(|s| s.licence.status == LicenceStatus::Active)
        .count();

    let mut tables: Vec<Table> = FLAG_SECTIONS
        .iter()
        .map(|(rule, title)| {
            let rows: Vec<&DeadlineRow> = data
                .flags
                .iter()
                .copied()
                .filter(|f| f.rule == *rule)
                .collect();
            Table::from_rows(title, &rows, FLAG_COLUMNS)
        })
        .collect();
    tables.push(Table::from_rows("本周抽查不合格", &failed, CHECK_COLUMNS));
    tables.push(Table::from_rows("本周抽查", data.checks, CHECK_COLUMNS));
    tables.push(Table::from_rows("本周新发证", &new, LICENCE_COLUMNS));
    tables.push(Table::from_rows(
        "注销、撤销、吊销的许可证",
        &withdrawn,
        LICENCE_COLUMNS,
    ));
    let mut ranking = ranking_table(data.risk);
    ranking.title = "本辖区产品风险".into();
    tables.push(ranking);

    let overdue = count(Rule::OnsiteReview, Status::Overdue);
    let missed = count(Rule::Renewal, Status::Missed);
    let late = count(Rule::ECertificate, Status::Late);
    Document {
        kind: ReportKind::Weekly,
        period: data.period.into(),
        scope: data.scope.into(),
        title: format!(
            "{} 工业产品生产许可证后监管周报（{}）",
            data.scope_name, data.period
        ),
        subtitle: format!(
            "统计区间 {} 至 {} · 本辖区企业及本局发证的许可证",
            data.from.succ_opt().unwrap_or(data.from),
            data.to
        ),
        paragraphs: vec![
            format!(
                "本辖区在证有效许可证 {active} 张。以下为截至 {} 需要关注的期限事项、本周抽查情况、许可证变动及本辖区产品风险概况；\
                 完整清单见附件（每个部分一张工作表）。证后现场审查和电子证书事项列入发证机关（含受委托的地州市局）的报告。",
                data.to
            ),
            SOURCES.into(),
        ],
        headline: vec![
            Figure::new("有效许可证", active, false),
            Figure::new("现场审查逾期", overdue, overdue > 0),
            Figure::new(
                "延续窗口开启",
                count(Rule::Renewal, Status::WindowOpen) + count(Rule::Renewal, Status::Closing),
                false,
            ),
            Figure::new("延续逾期未申请", missed, missed > 0),
            Figure::new("电子证书超期", late, late > 0),
            Figure::new("本周抽查", data.checks.len(), false),
            Figure::new("本周不合格", failed.len(), !failed.is_empty()),
            Figure::new("本周新发证", new.len(), false),
        ],
        tables,
        // The region's report opens with the picture of every prefecture; a bureau's has its own
        // tables only.
        charts: if data.scope == "all" {
            match flags_picture(data) {
                Ok(chart) => vec![chart],
                Err(e) => {
                    tracing::warn!(error = %e, "the flags chart could not be drawn; the report goes without it");
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        },
        cards: Vec::new(),
        files: Vec::new(),
        stem: format!(
            "{}-每周监管报告-{}",
            super::file_safe(data.scope_name),
            data.period
        ),
        recipients: data.recipients.clone(),
    }
}

impl CheckLine {
    pub fn new(
        check: &crate::model::SpotCheck,
        enterprise: &str,
        prefecture: &str,
        category: &str,
    ) -> CheckLine {
        CheckLine {
            check_date: check.check_date,
            credit_code: check.credit_code.clone(),
            enterprise: enterprise.into(),
            prefecture: prefecture.into(),
            category: category.into(),
            result: check.result.label(),
            items: check.items.clone().unwrap_or_default(),
            campaign: check.campaign.clone().unwrap_or_default(),
            failed: check.result == CheckResult::Fail,
        }
    }
}
