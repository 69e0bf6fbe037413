//! The renewal reminder to an enterprise whose licence has entered its renewal window. Keyed by the
//! licence and its last filing day, so each window sends one reminder however often the job runs.

use super::{Document, Figure, ReportKind};
use crate::deadlines::{DeadlineRow, Rule, Status};
use crate::mail::split_addresses;

/// A reminder for each `renewal` flag that is `window_open` or `closing`, to the enterprise's address
/// on file (`emails`: credit code → address); flags without an address are skipped.
pub fn documents(flags: &[DeadlineRow], emails: &dyn Fn(&str) -> Option<String>) -> Vec<Document> {
    flags
        .iter()
        .filter(|f| {
            f.rule == Rule::Renewal && matches!(f.status, Status::WindowOpen | Status::Closing)
        })
        .filter_map(|f| {
            let email = emails(&f.credit_code)?;
            Some(Document {
                kind: ReportKind::RenewalReminder,
                // One reminder per licence and window: the window is named by its last filing day.
                period: f.due.to_string(),
                scope: f.licence_no.clone(),
                title: format!("工业产品生产许可证延续申请提醒（{}）", f.licence_no),
                subtitle: format!("{} · {}", f.enterprise, f.category),
                paragraphs: vec![
                    format!("{}：", f.enterprise),
                    format!(
                        "贵单位持有的工业产品生产许可证（编号 {}，产品类别 {}）即将届满。请于 {} 前（尚余 {} 个工作日，\
                         即有效期届满 30 个工作日前）提出延续申请：生产条件无重大变化、有效期内无违法行为的，\
                         可直接延续，免于证后监督性现场审查。",
                        f.licence_no, f.category, f.due, f.workdays_left
                    ),
                    "该日期之后提出的延续申请不能直接延续，获证后将实施证后监督性现场审查。\
                     依据：《新疆维吾尔自治区试行简化工业产品生产许可审批程序改革工作实施办法》二(三)5。\
                     本邮件由系统自动发送，请勿直接回复。"
                        .into(),
                ],
                headline: vec![
                    Figure::new("最迟申请日", f.due, false),
                    Figure::new("剩余工作日", f.workdays_left, f.status == Status::Closing),
                ],
                tables: Vec::new(),
                charts: Vec::new(),
                cards: Vec::new(),
                files: Vec::new(),
                stem: format!("延续申请提醒-{}", super::file_safe(&f.licence_no)),
                recipients: split_addresses(&email),
            })
        })
        .collect()
}
