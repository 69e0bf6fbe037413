//! An inspector's own assignments from a draw: their enterprises, addresses, categories, team mates
//! and lead — and nobody else's. Read on a phone: one card per check (where, what, with whom, by
//! when, the check list), a calendar file with one all-day event per check spanning its window, and
//! the table as a workbook for the office.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use icalendar::{Calendar, Component, Event, EventLike};
use rayon::prelude::*;
use serde::Serialize;

use super::{Card, Document, Field, Figure, ReportKind, Table};
use crate::draw::record::Record;
use crate::mail::split_addresses;

/// What the mail needs beyond the record: names for codes and the directories' contact details.
pub struct Directory<'a> {
    pub category: &'a dyn Fn(&str) -> String,
    pub division: &'a dyn Fn(&str) -> String,
    /// inspector id → (name, email)
    pub inspectors: &'a HashMap<String, (String, Option<String>)>,
    /// The domain of the sender, which names the calendar events (their UID).
    pub domain: &'a str,
    /// credit code → address
    pub addresses: &'a HashMap<String, String>,
    /// Whether each mail carries its checks as a workbook too (`[reports] assignment_workbook`).
    pub workbook: bool,
}

#[derive(Serialize)]
struct Line {
    enterprise: String,
    credit_code: String,
    address: String,
    prefecture: String,
    county: String,
    category: String,
    #[serde(skip)]
    category_code: String,
    role: &'static str,
    lead: String,
    team: String,
    /// Team mates with how to reach them, for the card.
    #[serde(skip)]
    mates: Vec<String>,
}

/// The table's columns, in order (the workbook's, and the bench's).
pub const COLUMNS: &[&str] = &[
    "enterprise",
    "credit_code",
    "address",
    "prefecture",
    "county",
    "category",
    "role",
    "lead",
    "team",
];

/// One document per inspector with at least one assignment, in inspector-id order.
/// Each inspector's own list from draw `draw_id`. The key's scope names the draw, so the lists of a
/// redraw are new messages, never mistaken for the ones already sent.
pub fn documents(record: &Record, draw_id: i64, dir: &Directory, period: &str) -> Vec<Document> {
    let person = |id: &str| match dir.inspectors.get(id) {
        Some((name, _)) => format!("{name}（{id}）"),
        None => id.to_string(),
    };
    let reach = |id: &str| match dir.inspectors.get(id) {
        Some((name, Some(email))) => format!("{name}（{id}）{email}"),
        _ => person(id),
    };
    let (from, by) = (record.as_of, record.plan.check_by(record.as_of));
    let mut own: BTreeMap<&str, Vec<Line>> = BTreeMap::new();
    for a in &record.result.assignments {
        for member in &a.team {
            let others: Vec<&String> = a.team.iter().filter(|m| *m != member).collect();
            let mates: Vec<String> = others.iter().map(|m| person(m)).collect();
            own.entry(member.as_str()).or_default().push(Line {
                enterprise: a.enterprise.clone(),
                credit_code: a.credit_code.clone(),
                address: dir
                    .addresses
                    .get(&a.credit_code)
                    .cloned()
                    .unwrap_or_default(),
                prefecture: (dir.division)(&a.prefecture),
                county: (dir.division)(&a.county),
                category: (dir.category)(&a.category),
                category_code: a.category.clone(),
                role: if *member == a.lead {
                    "组长"
                } else {
                    "组员"
                },
                lead: person(&a.lead),
                team: mates.join("、"),
                mates: others
                    .iter()
                    .map(|m| {
                        let role = if **m == a.lead { "组长" } else { "组员" };
                        format!("{role} {}", reach(m))
                    })
                    .collect(),
            });
        }
    }
    // Each inspector's document (calendar, table, cards) is built on the cores: 20,000 of them.
    // (The flag is copied: `dir`'s lookups cannot cross threads.)
    let workbook = dir.workbook;
    own.into_par_iter()
        .map(|(id, lines)| {
            let (name, email) = dir
                .inspectors
                .get(id)
                .cloned()
                .unwrap_or_else(|| (id.to_string(), None));
            let leads = lines.iter().filter(|l| l.role == "组长").count();
            // The cards carry the list in the body; the workbook, when there is one, the table.
            let (tables, attached) = if workbook {
                let mut table = Table::from_rows("我的检查任务", &lines, COLUMNS);
                table.shown = 0;
                (vec![table], "可导入手机日历，每项检查一个日程；工作簿列出全部任务")
            } else {
                (Vec::new(), "可导入手机日历，每项检查一个日程")
            };
            let calendar = calendar(record, draw_id, id, &lines, dir.domain);
            Document {
                kind: ReportKind::Assignment,
                period: period.into(),
                scope: format!("{}/{draw_id}/{id}", record.campaign),
                title: format!("{} 双随机抽查任务通知（{}）", record.plan.name, record.campaign),
                subtitle: format!("{name} 同志 · 执法证号 {id} · 抽取日 {}", record.as_of),
                paragraphs: vec![
                    format!(
                        "{name} 同志：根据“双随机、一公开”抽查计划《{}》，您被随机选派参加以下 {} 项检查，其中担任组长 {} 项。",
                        record.plan.name,
                        lines.len(),
                        leads
                    ),
                    format!(
                        "请于 {from} 至 {by} 期间完成检查。附件中的日历文件（.ics）{attached}。"
                    ),
                    "名单在检查前不得公开或告知被检查企业。如与被检查企业存在利害关系，请立即申请回避。".into(),
                ],
                headline: vec![
                    Figure::new("检查任务", lines.len(), false),
                    Figure::new("担任组长", leads, false),
                ],
                cards: lines
                    .iter()
                    .map(|l| card(l, &record.plan.checks.items, from, by))
                    .collect(),
                tables,
                charts: Vec::new(),
                // Names repeat; the inspector id keeps each file apart.
                stem: format!(
                    "抽查任务-{}-{}-{}",
                    super::file_safe(&record.campaign),
                    super::file_safe(&name),
                    super::file_safe(id)
                ),
                recipients: email.as_deref().map(split_addresses).unwrap_or_default(),
                files: vec![(
                    super::file_name(&format!("抽查日程-{}-{}", record.campaign, id), "ics"),
                    ICS,
                    calendar.into_bytes(),
                )],
            }
        })
        .collect()
}

pub const ICS: &str = "text/calendar; charset=utf-8; method=PUBLISH";

/// One check as a card: what a phone shows.
fn card(l: &Line, items: &[String], from: NaiveDate, by: NaiveDate) -> Card {
    let checklist: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(i, item)| format!("（{}）{item}", i + 1))
        .collect();
    Card {
        title: l.enterprise.clone(),
        link: None,
        fields: vec![
            Field::new("本人职责", l.role),
            Field::new("生产地址", &l.address),
            Field::new("所在地", format!("{} {}", l.prefecture, l.county)),
            Field::new("产品类别", &l.category),
            Field::new("统一社会信用代码", &l.credit_code),
            Field::new(
                "同组人员",
                if l.mates.is_empty() {
                    "（无）".to_string()
                } else {
                    l.mates.join("；")
                },
            ),
            Field::new("检查期限", format!("{from} 至 {by}")),
            Field::new("检查内容", checklist.join(" ")),
        ],
    }
}

/// The inspector's checks as an iCalendar file: one all-day event per check over its window, with
/// a UID stable across renders (draw, inspector, enterprise, category) and a DTSTAMP fixed by the
/// draw, so a message rendered again is byte-identical and a calendar updates rather than
/// duplicates an event.
fn calendar(
    record: &Record,
    draw_id: i64,
    inspector: &str,
    lines: &[Line],
    domain: &str,
) -> String {
    let (from, by) = (record.as_of, record.plan.check_by(record.as_of));
    let stamp = format!("{}T000000Z", record.as_of.format("%Y%m%d"));
    let mut cal = Calendar::new();
    cal.name(&format!("双随机抽查 {}", record.campaign));
    for l in lines {
        let uid = format!(
            "{}-{draw_id}-{inspector}-{}-{}@{domain}",
            record.campaign, l.credit_code, l.category_code
        );
        let mut description = vec![
            format!("本人职责：{}", l.role),
            format!("产品类别：{}", l.category),
            format!("统一社会信用代码：{}", l.credit_code),
        ];
        if !l.mates.is_empty() {
            description.push(format!("同组人员：{}", l.mates.join("；")));
        }
        description.push("检查内容：".into());
        description.extend(record.plan.checks.items.iter().map(|i| format!("- {i}")));
        cal.push(
            Event::new()
                .uid(&uid)
                .add_property("DTSTAMP", &stamp)
                .summary(&format!("双随机抽查：{}", l.enterprise))
                .location(&l.address)
                .description(&description.join("\n"))
                // DTEND of an all-day event is the day after the last.
                .starts(from)
                .ends(by + chrono::Days::new(1))
                .done(),
        );
    }
    cal.done().to_string()
}

/// Corrections to the inspectors who were mailed their list of a draw that a redraw superseded:
/// `mailed` holds (outbox scope, address) of each list sent.
pub fn corrections(
    campaign: &str,
    superseded: i64,
    reason: &str,
    mailed: &[(String, String)],
    period: &str,
) -> Vec<Document> {
    mailed
        .iter()
        .map(|(scope, address)| {
            let inspector = scope.rsplit('/').next().unwrap_or(scope);
            Document {
                kind: ReportKind::Correction,
                period: period.into(),
                scope: scope.clone(),
                title: format!("抽查任务更正通知（{campaign}）"),
                subtitle: format!("执法证号 {inspector} · 任务编号 {campaign}"),
                paragraphs: vec![
                    format!(
                        "您此前收到的任务编号 {campaign} 第 {superseded} 次抽取的检查任务清单已作废（重新抽取原因：{reason}）。"
                    ),
                    "请以重新抽取后的任务通知为准；新通知未列入您的，无需前往检查。名单在检查前不得公开或告知被检查企业。"
                        .into(),
                ],
                headline: Vec::new(),
                tables: Vec::new(),
                charts: Vec::new(),
                cards: Vec::new(),
                files: Vec::new(),
                stem: format!(
                    "抽查任务更正-{}-{}",
                    super::file_safe(campaign),
                    super::file_safe(inspector)
                ),
                recipients: vec![address.clone()],
            }
        })
        .collect()
}
