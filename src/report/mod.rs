//! Reports (README "Reports and mail"): each audience gets one document — a jurisdiction's weekly
//! report, leadership's risk ranking, an inspector's own assignments, an enterprise's renewal
//! reminder, the 一公开 notices. A [`Document`] is plain data built by the module named after it;
//! [`render`] turns it into HTML (inline CSS, table layout), plain text, an XLSX workbook and CSVs.

pub mod alerts;
pub mod assignments;
pub mod chart;
pub mod index;
pub mod public;
pub mod reminder;
pub mod risk;
pub mod table;
pub mod weekly;
pub mod xlsx;

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use minijinja::value::Serde;
use minijinja::{Environment, context};
use serde::Serialize;
use sha2::Digest as _;

pub use table::{Cell, Table};

/// The kinds of report; the code is the first part of an outbox key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Weekly,
    Alert,
    Risk,
    Assignment,
    RenewalReminder,
    PlanNotice,
    ResultsNotice,
    /// To an inspector mailed an assignment list of a draw that was drawn again: that list is void.
    Correction,
    /// The week's index page (never mailed).
    Index,
}

impl ReportKind {
    pub fn code(self) -> &'static str {
        match self {
            ReportKind::Weekly => "weekly",
            ReportKind::Alert => "alert",
            ReportKind::Risk => "risk",
            ReportKind::Assignment => "assignment",
            ReportKind::RenewalReminder => "renewal_reminder",
            ReportKind::PlanNotice => "plan_notice",
            ReportKind::ResultsNotice => "results_notice",
            ReportKind::Correction => "correction",
            ReportKind::Index => "index",
        }
    }

    /// Mail to one person each (thousands a run): on disk only its page is kept; the workbook and
    /// calendar travel in the mail (and its `.eml` file), not as thousands more files in one
    /// folder, and no CSV copy of the workbook's tables is attached.
    pub fn per_person(self) -> bool {
        matches!(
            self,
            ReportKind::Assignment | ReportKind::RenewalReminder | ReportKind::Correction
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            ReportKind::Weekly => "每周监管报告",
            ReportKind::Alert => "期限提醒",
            ReportKind::Risk => "产品风险排名",
            ReportKind::Assignment => "抽查任务通知",
            ReportKind::RenewalReminder => "延续申请提醒",
            ReportKind::PlanNotice => "抽查计划公告",
            ReportKind::ResultsNotice => "抽查结果公告",
            ReportKind::Correction => "抽查任务更正通知",
            ReportKind::Index => "报告索引",
        }
    }
}

/// A key figure at the top of a report.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub label: String,
    pub value: String,
    /// Shown in red: something needs doing.
    pub alert: bool,
}

impl Figure {
    pub fn new(label: &str, value: impl ToString, alert: bool) -> Figure {
        Figure {
            label: label.into(),
            value: value.to_string(),
            alert,
        }
    }
}

/// One report for one audience, before rendering.
#[derive(Debug, Clone)]
pub struct Document {
    pub kind: ReportKind,
    /// ISO week, or for a reminder the window it is about.
    pub period: String,
    /// Whose it is: a prefecture code, `all`, an inspector id, a licence number, a campaign.
    pub scope: String,
    pub title: String,
    pub subtitle: String,
    pub paragraphs: Vec<String>,
    pub headline: Vec<Figure>,
    pub tables: Vec<Table>,
    /// Pictures at the top, in order: inline in the mail, beside the HTML on disk.
    pub charts: Vec<Chart>,
    /// Cards before the tables (an inspector's checks).
    pub cards: Vec<Card>,
    /// Files attached as they are, beside the workbook: (file name, content type, bytes).
    pub files: Vec<(String, &'static str, Vec<u8>)>,
    /// File name stem, Chinese: `乌鲁木齐市-每周监管报告-2026-W48`.
    pub stem: String,
    pub recipients: Vec<String>,
}

/// One thing a reader acts on — an inspector's check — as a card of labelled lines, which reads on a
/// phone where a wide table would scroll sideways.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub title: String,
    /// Where the title links to (the week's index), if anywhere.
    pub link: Option<String>,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub label: String,
    pub value: String,
}

impl Field {
    pub fn new(label: &str, value: impl ToString) -> Field {
        Field {
            label: label.into(),
            value: value.to_string(),
        }
    }
}

/// A picture of a report: a PNG with its short ASCII name (the mail's Content-ID and the file
/// name's suffix) and the text a reader without images sees.
#[derive(Debug, Clone)]
pub struct Chart {
    pub name: &'static str,
    pub alt: String,
    pub png: Vec<u8>,
}

impl Chart {
    /// The PNG's file name beside a document's HTML on disk.
    pub fn file(&self, stem: &str) -> String {
        file_name(&format!("{stem}-{}", self.name), "png")
    }
}

/// A rendered document: the mail bodies, the page written to disk, and the attachments.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The mail's HTML: pictures by `cid:`.
    pub html: String,
    /// The same page for the file on disk: pictures by the PNG file beside it.
    pub page: String,
    pub text: String,
    /// (file name, content type, bytes)
    pub attachments: Vec<(String, &'static str, Vec<u8>)>,
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV: &str = "text/csv; charset=utf-8";

/// The templates, parsed once per process.
fn environment() -> &'static Environment<'static> {
    static ENV: std::sync::OnceLock<Environment<'static>> = std::sync::OnceLock::new();
    ENV.get_or_init(templates)
}

fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    // `.html` templates are auto-escaped; `.txt` ones are not.
    env.add_template(
        "report.html",
        include_str!("../../reports/templates/report.html"),
    )
    .expect("the HTML template parses");
    env.add_template(
        "report.txt",
        include_str!("../../reports/templates/report.txt"),
    )
    .expect("the text template parses");
    env
}

#[derive(Serialize)]
struct TableView<'a> {
    title: &'a str,
    headers: &'a [String],
    rows: Vec<Vec<String>>,
    total: usize,
    /// Shown in the body (a table whose `shown` is 0 travels as the attachment only).
    in_body: bool,
}

pub fn render(doc: &Document, footer: &str) -> anyhow::Result<Rendered> {
    let env = environment();
    let workbook = file_name(&doc.stem, "xlsx");
    let tables: Vec<TableView> = doc
        .tables
        .iter()
        .map(|t| TableView {
            title: &t.title,
            headers: &t.headers,
            rows: t.text_rows(t.shown),
            total: t.rows.len(),
            in_body: t.shown > 0 || t.rows.is_empty(),
        })
        .collect();
    // What every rendering shares; each HTML adds its pictures' sources.
    let base = context! {
        title => &doc.title,
        subtitle => &doc.subtitle,
        paragraphs => &doc.paragraphs,
        headline => Serde(&doc.headline),
        tables => Serde(&tables),
        cards => Serde(&doc.cards),
        attachment => &workbook,
        footer => footer,
    };
    let page = |src: &dyn Fn(&Chart) -> String| -> anyhow::Result<String> {
        let charts: Vec<_> = doc
            .charts
            .iter()
            .map(|c| context! { src => src(c), alt => &c.alt })
            .collect();
        let ctx = context! { charts => charts, ..base.clone() };
        Ok(env.get_template("report.html")?.render(&ctx)?)
    };
    let html = page(&|c| format!("cid:{}", c.name))?;
    let on_disk = if doc.charts.is_empty() {
        html.clone()
    } else {
        page(&|c| c.file(&doc.stem))?
    };
    let text = env.get_template("report.txt")?.render(&base)?;
    let mut attachments = Vec::new();
    if !doc.tables.is_empty() {
        let sheets: Vec<&Table> = doc.tables.iter().collect();
        let heading = format!("{} {}", doc.title, doc.subtitle);
        attachments.push((workbook, XLSX, xlsx::workbook(&sheets, &heading)?));
        // A bureau loads the CSV copies into its own systems; a person reads the workbook, and
        // twenty thousand assignment mails a draw carry no second copy of it.
        let copied = |t: &&Table| !doc.kind.per_person() && !t.rows.is_empty();
        for t in doc.tables.iter().filter(copied) {
            let name = file_name(&format!("{}-{}", doc.stem, t.title), "csv");
            attachments.push((name, CSV, t.to_csv()));
        }
    }
    attachments.extend(doc.files.iter().cloned());
    Ok(Rendered {
        html,
        page: on_disk,
        text,
        attachments,
    })
}

/// Writes a rendered document under `dir`: the HTML first, then the text, the charts and the
/// attachments — for per-person mail the HTML alone (see [`ReportKind::per_person`]).
pub fn write(dir: &Path, doc: &Document, rendered: &Rendered) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let page = dir.join(file_name(&doc.stem, "html"));
    if doc.kind.per_person() {
        std::fs::write(&page, &rendered.page)
            .with_context(|| format!("writing {}", page.display()))?;
        return Ok(vec![page]);
    }
    let mut files = vec![
        (page, rendered.page.as_bytes()),
        (
            dir.join(file_name(&doc.stem, "txt")),
            rendered.text.as_bytes(),
        ),
    ];
    for chart in &doc.charts {
        files.push((dir.join(chart.file(&doc.stem)), chart.png.as_slice()));
    }
    for (name, _, bytes) in &rendered.attachments {
        files.push((dir.join(name), bytes.as_slice()));
    }
    for (path, bytes) in &files {
        std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// The longest file name written, in bytes: under the 255 of Linux file systems, with room left.
const MAX_NAME_BYTES: usize = 200;

/// A name made safe as one file name on Linux and Windows, Chinese kept: path separators (the
/// full-width ／ ＼ too), the characters Windows refuses and control characters become `_`; leading
/// dots and spaces go, so it can be neither `..` nor hidden; a name over 200 bytes is cut at a
/// character boundary and ends in a digest of the whole, so two long names stay apart. Every file
/// licwatch writes is named through it or [`file_name`].
pub fn file_safe(name: &str) -> String {
    bounded(name, MAX_NAME_BYTES)
}

/// `stem.ext`, made safe as [`file_safe`] with the extension kept whole.
pub fn file_name(stem: &str, ext: &str) -> String {
    format!("{}.{ext}", bounded(stem, MAX_NAME_BYTES - ext.len() - 1))
}

fn bounded(name: &str, max: usize) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|／＼".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let clean = clean.trim_start_matches(['.', ' ']).trim_end();
    let clean = if clean.is_empty() { "_" } else { clean };
    if clean.len() <= max {
        return clean.to_string();
    }
    let digest = sha2::Sha256::digest(name.as_bytes());
    let tag: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let mut cut = max - tag.len() - 1;
    while !clean.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}-{tag}", &clean[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row {
        enterprise: &'static str,
    }

    #[test]
    fn html_is_escaped_and_text_carries_the_same_rows() {
        let doc = Document {
            kind: ReportKind::Weekly,
            period: "2026-W48".into(),
            scope: "650100".into(),
            title: "乌鲁木齐市 每周监管报告".into(),
            subtitle: "2026-11-21 至 2026-11-27".into(),
            paragraphs: vec!["本周概况".into()],
            headline: vec![Figure::new("逾期现场审查", 3, true)],
            tables: vec![Table::from_rows(
                "逾期现场审查",
                &[Row {
                    enterprise: "<script>alert(1)</script>钢丝绳厂",
                }],
                &["enterprise"],
            )],
            charts: Vec::new(),
            cards: Vec::new(),
            files: Vec::new(),
            stem: "乌鲁木齐市-每周监管报告-2026-W48".into(),
            recipients: vec![],
        };
        let r = render(&doc, "licwatch").unwrap();
        assert!(
            r.html
                .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;钢丝绳厂"),
            "{}",
            r.html
        );
        assert!(!r.html.contains("<script>"));
        assert!(
            r.text
                .contains("企业名称：<script>alert(1)</script>钢丝绳厂"),
            "{}",
            r.text
        );
        assert!(r.text.contains("逾期现场审查：3"));
        let names: Vec<&str> = r.attachments.iter().map(|a| a.0.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "乌鲁木齐市-每周监管报告-2026-W48.xlsx",
                "乌鲁木齐市-每周监管报告-2026-W48-逾期现场审查.csv"
            ]
        );
    }

    #[test]
    fn per_person_mail_keeps_only_its_page_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let mut doc = Document {
            kind: ReportKind::Assignment,
            period: "2026-W48".into(),
            scope: "2026-11/1/I001".into(),
            title: "抽查任务通知".into(),
            subtitle: String::new(),
            paragraphs: Vec::new(),
            headline: Vec::new(),
            tables: vec![Table::from_rows(
                "我的检查任务",
                &[Row {
                    enterprise: "钢丝绳厂",
                }],
                &["enterprise"],
            )],
            charts: Vec::new(),
            cards: Vec::new(),
            files: vec![("x.ics".into(), "text/calendar", b"BEGIN:VCALENDAR".to_vec())],
            stem: "抽查任务-I001".into(),
            recipients: vec![],
        };
        let rendered = render(&doc, "f").unwrap();
        let names: Vec<&str> = rendered.attachments.iter().map(|a| a.0.as_str()).collect();
        assert_eq!(
            names,
            ["抽查任务-I001.xlsx", "x.ics"],
            "the mail carries the workbook and the calendar, no CSV copy"
        );
        let written = write(dir.path(), &doc, &rendered).unwrap();
        assert_eq!(written, vec![dir.path().join("抽查任务-I001.html")]);
        // A bureau's report keeps everything beside its page, and its tables as CSV too.
        doc.kind = ReportKind::Weekly;
        let rendered = render(&doc, "f").unwrap();
        assert_eq!(write(dir.path(), &doc, &rendered).unwrap().len(), 5);
    }

    #[test]
    fn file_names_stay_in_their_folder_and_under_the_length_limit() {
        assert_eq!(file_safe("../../x"), "_.._x");
        assert_eq!(file_safe("/srv/x"), "_srv_x");
        assert_eq!(file_safe("／srv／x"), "_srv_x");
        assert_eq!(file_safe(".."), "_");
        assert_eq!(file_safe("a\u{0}b\nc"), "a_b_c");
        assert_eq!(
            file_safe("乌鲁木齐市-每周监管报告"),
            "乌鲁木齐市-每周监管报告"
        );
        let long = "阿".repeat(100);
        let name = file_name(&long, "html");
        assert!(name.len() <= 200 && name.ends_with(".html"), "{name}");
        let other = file_name(&format!("{long}乙"), "html");
        assert_ne!(name, other, "two long names stay apart");
    }
}
