//! The daily alert to a bureau: what falls due within a few working days or is already late —
//! on-site reviews, renewal filings, electronic certificates. Keyed by the day, so each day's alert
//! goes once; a day with nothing to say sends nothing.

use super::{Document, Figure, ReportKind, Table};
use crate::deadlines::{DeadlineRow, Rule, Status};

/// Working days ahead that count as "about to fall due".
pub const WITHIN_WORKDAYS: i64 = 5;

const COLUMNS: &[&str] = &[
    "licence_no",
    "enterprise",
    "category",
    "rule_label",
    "status_label",
    "due",
    "workdays_left",
];

/// Whether a flag belongs in the daily alert.
pub fn urgent(f: &DeadlineRow) -> bool {
    match (f.rule, f.status) {
        (Rule::OnsiteReview, Status::Overdue)
        | (Rule::Renewal, Status::Missed)
        | (Rule::ECertificate, Status::Late) => true,
        // A licence a rule cannot judge needs a person to look at its record.
        (_, Status::Error) => true,
        (Rule::OnsiteReview, Status::Due)
        | (Rule::Renewal, Status::Closing)
        | (Rule::ECertificate, Status::Pending) => f.workdays_left <= WITHIN_WORKDAYS,
        _ => false,
    }
}

/// The alert of one jurisdiction on `day`, or None when nothing is urgent.
pub fn document(
    day: chrono::NaiveDate,
    scope: &str,
    scope_name: &str,
    flags: &[&DeadlineRow],
    recipients: Vec<String>,
) -> Option<Document> {
    let rows: Vec<&DeadlineRow> = flags.iter().copied().filter(|f| urgent(f)).collect();
    if rows.is_empty() {
        return None;
    }
    let late = rows.iter().filter(|f| f.workdays_left < 0).count();
    Some(Document {
        kind: ReportKind::Alert,
        period: day.to_string(),
        scope: scope.into(),
        title: format!("{scope_name} 证后监管期限提醒（{day}）"),
        subtitle: format!("{day} · {WITHIN_WORKDAYS} 个工作日内到期及已逾期事项 · 本局负责的事项"),
        paragraphs: vec![
            format!(
                "以下 {} 项证后现场审查、延续申请或电子证书推送将在 {WITHIN_WORKDAYS} 个工作日内到期，或已逾期（{late} 项），请及时督办。",
                rows.len()
            ),
            super::weekly::SOURCES.into(),
        ],
        headline: vec![
            Figure::new("即将到期", rows.len() - late, false),
            Figure::new("已逾期", late, late > 0),
        ],
        tables: vec![Table::from_rows("期限提醒", &rows, COLUMNS)],
        charts: Vec::new(),
        cards: Vec::new(),
        files: Vec::new(),
        stem: format!("{}-期限提醒-{day}", super::file_safe(scope_name)),
        recipients,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn flag(rule: Rule, status: Status, left: i64) -> DeadlineRow {
        DeadlineRow {
            licence_no: format!("XK-{}-{}-{left}", rule.code(), status.code()),
            credit_code: String::new(),
            enterprise: "测试企业".into(),
            prefecture: "乌鲁木齐市".into(),
            bureau: Some("650100".into()),
            category: "钢丝绳".into(),
            rule,
            status,
            due: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            workdays_left: left,
            provisional: false,
            rule_label: "",
            status_label: "",
            detail: String::new(),
        }
    }

    #[test]
    fn only_what_is_late_or_due_within_five_working_days() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let flags = [
            flag(Rule::OnsiteReview, Status::Overdue, -3),
            flag(Rule::OnsiteReview, Status::Due, 5),
            flag(Rule::OnsiteReview, Status::Due, 6),
            flag(Rule::Renewal, Status::WindowOpen, 40),
            flag(Rule::Renewal, Status::Closing, 2),
            flag(Rule::ECertificate, Status::Late, -1),
            flag(Rule::ExitReview, Status::Candidate, 0),
        ];
        let flags: Vec<&DeadlineRow> = flags.iter().collect();
        let doc = document(day, "650100", "乌鲁木齐市", &flags, vec![]).unwrap();
        let listed: Vec<String> = doc.tables[0].rows.iter().map(|r| r[0].display()).collect();
        assert_eq!(
            listed,
            vec![
                "XK-onsite_review-overdue--3",
                "XK-onsite_review-due-5",
                "XK-renewal-closing-2",
                "XK-e_certificate-late--1"
            ]
        );
        assert_eq!(doc.period, "2026-11-27", "one alert per day");
        assert!(document(day, "650100", "乌鲁木齐市", &flags[2..4], vec![]).is_none());
    }
}
