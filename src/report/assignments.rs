//! An inspector's own assignments from a draw: their enterprises, addresses, categories, team mates
//! and lead — and nobody else's.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{Document, Figure, ReportKind, Table};
use crate::draw::record::Record;
use crate::mail::split_addresses;

/// What the mail needs beyond the record: names for codes and the directories' contact details.
pub struct Directory<'a> {
    pub category: &'a dyn Fn(&str) -> String,
    pub division: &'a dyn Fn(&str) -> String,
    /// inspector id → (name, email)
    pub inspectors: &'a HashMap<String, (String, Option<String>)>,
    /// credit code → address
    pub addresses: &'a HashMap<String, String>,
}

#[derive(Serialize)]
struct Line {
    enterprise: String,
    credit_code: String,
    address: String,
    prefecture: String,
    county: String,
    category: String,
    role: &'static str,
    lead: String,
    team: String,
}

const COLUMNS: &[&str] = &[
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
    let mut own: BTreeMap<&str, Vec<Line>> = BTreeMap::new();
    for a in &record.result.assignments {
        for member in &a.team {
            let mates: Vec<String> = a
                .team
                .iter()
                .filter(|m| *m != member)
                .map(|m| person(m))
                .collect();
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
                role: if *member == a.lead {
                    "组长"
                } else {
                    "组员"
                },
                lead: person(&a.lead),
                team: mates.join("、"),
            });
        }
    }
    own.into_iter()
        .map(|(id, lines)| {
            let (name, email) = dir
                .inspectors
                .get(id)
                .cloned()
                .unwrap_or_else(|| (id.to_string(), None));
            let leads = lines.iter().filter(|l| l.role == "组长").count();
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
                    "名单在检查前不得公开或告知被检查企业。如与被检查企业存在利害关系，请立即申请回避。".into(),
                ],
                headline: vec![
                    Figure::new("检查任务", lines.len(), false),
                    Figure::new("担任组长", leads, false),
                ],
                tables: vec![Table::from_rows("我的检查任务", &lines, COLUMNS)],
                chart: None,
                // Names repeat; the inspector id keeps each file apart.
                stem: format!(
                    "抽查任务-{}-{}-{}",
                    super::file_safe(&record.campaign),
                    super::file_safe(&name),
                    super::file_safe(id)
                ),
                recipients: email.as_deref().map(split_addresses).unwrap_or_default(),
            }
        })
        .collect()
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
                chart: None,
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
