//! Reports delivered over real SMTP to a real server (aiosmtpd on a free loopback port): who gets
//! what, what arrives (decoded Chinese subjects, both alternatives, workbooks that open), and that
//! nothing is lost or doubled across a rerun or an outage.

use std::collections::{BTreeSet, HashMap};

use crate::common::*;
use calamine::{Data, Reader, Xlsx};
use mail_parser::{Message, MessageParser, MimeHeaders};

const AS_OF: &str = "2026-11-26";

const CONFIG: &str = r#"
[recipients]
leadership = ["fenguan@example.gov.cn"]
region = ["zongju@example.gov.cn"]
[recipients.prefecture]
"650100" = ["wlmq@example.gov.cn"]
"克拉玛依市" = ["klmy@example.gov.cn"]

[mail]
from = "licwatch <licwatch@scjg.example.gov.cn>"
backoff_seconds = 1
max_backoff_seconds = 2
"#;

fn parse(raw: &[u8]) -> Message<'_> {
    MessageParser::default()
        .parse(raw)
        .expect("a parseable message")
}

fn rcpt(raw: &[u8]) -> String {
    let m = parse(raw);
    m.header_raw("X-RcptTo").unwrap().trim().to_string()
}

/// Every sheet of the message's workbook attachment: sheet name → rows of text.
fn workbook(m: &Message) -> HashMap<String, Vec<Vec<String>>> {
    let part = m
        .attachments()
        .find(|a| a.attachment_name().is_some_and(|n| n.ends_with(".xlsx")))
        .expect("an XLSX attachment");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(part.contents().to_vec())).unwrap();
    let mut sheets = HashMap::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        let rows = range
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::String(s) => s.clone(),
                        Data::Empty => String::new(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        sheets.insert(name, rows);
    }
    sheets
}

fn demo(db: &TestDb) {
    let out = db.run(&["demo", "--as-of", AS_OF]);
    assert!(out.status.success(), "{}", stderr(&out));
    db.config(CONFIG);
}

#[tokio::test]
async fn each_bureau_gets_its_own_weekly_report_once() {
    let db = TestDb::new().await;
    demo(&db);
    let smtp = SmtpServer::start(0.0);
    let url = smtp.url();
    let env = [("LICWATCH_SMTP_URL", url.as_str())];
    let out = db.run_env(&["report", "weekly", "--as-of", AS_OF, "--send"], &env);
    assert!(out.status.success(), "{}", stderr(&out));

    let messages = smtp.messages();
    let to: BTreeSet<String> = messages.iter().map(|m| rcpt(m)).collect();
    assert_eq!(
        to,
        BTreeSet::from([
            "klmy@example.gov.cn".to_string(),
            "zongju@example.gov.cn".into(),
            "wlmq@example.gov.cn".into()
        ])
    );
    for raw in &messages {
        let m = parse(raw);
        let subject = m.subject().unwrap();
        let (bureau, name) = match rcpt(raw).as_str() {
            "wlmq@example.gov.cn" => (Some("乌鲁木齐市"), "乌鲁木齐市"),
            "klmy@example.gov.cn" => (Some("克拉玛依市"), "克拉玛依市"),
            _ => (None, "全区"),
        };
        assert!(
            subject.starts_with("【每周监管报告】") && subject.contains(name),
            "{subject}"
        );
        assert!(m.body_text(0).unwrap().contains("现场审查逾期"));
        assert!(m.body_html(0).unwrap().contains("<table"));
        assert!(m.message_id().unwrap().ends_with("@scjg.example.gov.cn"));
        let sheets = workbook(&m);
        assert!(sheets.contains_key("证后现场审查") && sheets.contains_key("本周抽查"));
        // Every header of every sheet is Chinese: no English code where a person reads.
        for (sheet, rows) in &sheets {
            for header in rows.first().into_iter().flatten() {
                assert!(
                    !header.chars().any(|c| c.is_ascii_alphabetic()),
                    "{sheet}: header {header}"
                );
            }
        }
        // A bureau's workbook holds its own enterprises only.
        let mut seen = BTreeSet::new();
        for rows in sheets.values() {
            let Some(col) = rows[0].iter().position(|h| h == "所属地州市") else {
                continue;
            };
            seen.extend(rows[1..].iter().map(|r| r[col].clone()));
        }
        match bureau {
            Some(own) => assert_eq!(seen, BTreeSet::from([own.to_string()]), "{name}"),
            None => assert!(seen.len() > 2, "the region-wide report spans prefectures"),
        }
        let csv = m
            .attachments()
            .find(|a| a.attachment_name().is_some_and(|n| n.ends_with(".csv")))
            .unwrap();
        assert!(csv.attachment_name().unwrap().contains("每周监管报告"));
        assert!(
            csv.contents().starts_with(b"\xEF\xBB\xBF"),
            "CSV with a BOM"
        );
    }

    // The same period again, by hand: the outbox already holds these keys, nothing is sent twice.
    let out = db.run_env(&["report", "weekly", "--as-of", AS_OF, "--send"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("already sent"), "{}", stdout(&out));
    assert_eq!(smtp.messages().len(), 3);
    let listed = db.run(&["outbox", "--status", "sent", "--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&listed)).unwrap();
    let ours = rows
        .iter()
        .filter(|r| r["kind"] == "weekly" && to.contains(r["recipient"].as_str().unwrap()));
    assert_eq!(ours.count(), 3);
}

#[tokio::test]
async fn leadership_gets_the_ranking_with_the_chart_inline() {
    let db = TestDb::new().await;
    demo(&db);
    let smtp = SmtpServer::start(0.0);
    let url = smtp.url();
    let out = db.run_env(
        &["report", "risk", "--as-of", AS_OF, "--send"],
        &[("LICWATCH_SMTP_URL", url.as_str())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    let m = parse(&messages[0]);
    assert_eq!(rcpt(&messages[0]), "fenguan@example.gov.cn");
    assert!(m.subject().unwrap().contains("产品类别风险排名"));
    let html = m.body_html(0).unwrap();
    // Both pictures travel inline: the scores and the levels over four quarters.
    for cid in ["ranking", "quarters"] {
        assert!(html.contains(&format!("cid:{cid}")), "{cid}");
        let png = m
            .parts
            .iter()
            .find(|p| p.content_id() == Some(cid))
            .unwrap_or_else(|| panic!("the {cid} chart travels inline"));
        assert!(png.contents().starts_with(b"\x89PNG"));
    }
    let sheets = workbook(&m);
    assert_eq!(sheets["风险排名"].len(), 18, "header and 17 categories");
}

/// Leadership releases the held assignment mails to a real SMTP server: the messages it received.
fn release_assignments(db: &TestDb) -> Vec<Vec<u8>> {
    let smtp = SmtpServer::start(0.0);
    let url = smtp.url();
    let out = db.run_env(
        &[
            "outbox",
            "release",
            "--kind",
            "assignment",
            "--by",
            "分管局长",
        ],
        &[("LICWATCH_SMTP_URL", url.as_str())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    smtp.messages()
}

#[tokio::test]
async fn assignment_mails_wait_for_release_and_carry_only_ones_own_checks() {
    let db = TestDb::new().await;
    demo(&db);
    // The demo queued them held; nothing has gone yet.
    let held = db.run(&["outbox", "--status", "held", "--format", "json"]);
    let held: Vec<serde_json::Value> = serde_json::from_str(&stdout(&held)).unwrap();
    assert!(held.len() > 3);
    assert!(held.iter().all(|r| r["kind"] == "assignment"));

    let messages = release_assignments(&db);
    assert_eq!(messages.len(), held.len());

    // Each inspector's rows are exactly the checks whose team holds them.
    let store = db.store().await;
    let (_, record, _) = store.latest_draw().await.unwrap().unwrap();
    let record: serde_json::Value = serde_json::from_str(&record).unwrap();
    for raw in &messages {
        let id = rcpt(raw).split('@').next().unwrap().to_string();
        let expected: BTreeSet<String> = record["result"]["assignments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| {
                a["team"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|m| m == id.as_str())
            })
            .map(|a| a["credit_code"].as_str().unwrap().to_string())
            .collect();
        let m = parse(raw);
        let rows = &workbook(&m)["我的检查任务"];
        let col = rows[0]
            .iter()
            .position(|h| h == "统一社会信用代码")
            .unwrap();
        let got: BTreeSet<String> = rows[1..].iter().map(|r| r[col].clone()).collect();
        assert!(!expected.is_empty());
        assert_eq!(got, expected, "inspector {id}");
        // Every header the inspector reads is Chinese.
        for header in &rows[0] {
            assert!(
                !header.chars().any(|c| c.is_ascii_alphabetic()),
                "header {header}"
            );
        }
        // A card per check in the body, with the window and the check list; no wide table.
        let html = m.body_html(0).unwrap();
        for code in &expected {
            assert!(html.contains(code.as_str()), "card of {code}");
        }
        assert_eq!(html.matches("检查内容：").count(), expected.len());
        assert!(
            html.contains("检查期限：") && !html.contains("<th"),
            "cards, not a table"
        );
        // The calendar: one all-day event per check, named after the enterprise, at its address.
        let ics = m
            .attachments()
            .find(|a| a.attachment_name().is_some_and(|n| n.ends_with(".ics")))
            .expect("a calendar attachment");
        // Long lines are folded (RFC 5545 3.1): unfold before reading.
        let text = String::from_utf8(ics.contents().to_vec())
            .unwrap()
            .replace("\r\n ", "");
        assert_eq!(
            text.matches("BEGIN:VEVENT").count(),
            expected.len(),
            "{text}"
        );
        assert!(text.contains("DTSTART;VALUE=DATE:20261126"), "{text}");
        assert!(
            text.contains("@scjgj.example.gov.cn"),
            "UIDs carry the sender's domain"
        );
        for code in &expected {
            assert!(text.contains(code.as_str()), "event of {code}");
        }
    }
    let audit = db.run(&["outbox", "--status", "held", "--format", "json"]);
    assert_eq!(stdout(&audit).trim(), "[\n]");
}

#[tokio::test]
async fn assignment_mails_without_the_workbook_keep_their_cards_and_calendar() {
    let db = TestDb::new().await;
    db.config("[reports]\nassignment_workbook = false\n");
    let out = db.run(&["demo", "--as-of", AS_OF]);
    assert!(out.status.success(), "{}", stderr(&out));
    let messages = release_assignments(&db);
    assert!(messages.len() > 3);
    for raw in &messages {
        let m = parse(raw);
        let names: Vec<&str> = m
            .attachments()
            .filter_map(|a| a.attachment_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(names[0].ends_with(".ics"), "{names:?}");
        let html = m.body_html(0).unwrap();
        assert!(html.contains("检查期限：") && html.contains("检查内容："));
        assert!(!html.contains("工作簿"), "no workbook is promised");
    }
}

#[tokio::test]
async fn an_smtp_outage_mid_batch_loses_and_doubles_nothing() {
    let db = TestDb::new().await;
    demo(&db);
    let held = db.run(&["outbox", "--status", "held", "--format", "json"]);
    let held: Vec<serde_json::Value> = serde_json::from_str(&stdout(&held)).unwrap();

    // A slow server, stopped after the first messages and back three seconds later.
    let mut smtp = SmtpServer::start(0.2);
    let url = smtp.url();
    let sender = db
        .command(
            &["outbox", "release", "--kind", "assignment"],
            &[("LICWATCH_SMTP_URL", url.as_str())],
        )
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while smtp.messages().len() < 2 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    smtp.stop();
    let during = smtp.messages().len();
    assert!(during < held.len(), "stopped mid-batch");
    // The release makes one pass: it stops at the unreachable server and leaves the rest pending.
    let out = sender.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("pending"), "{}", stderr(&out));
    std::thread::sleep(std::time::Duration::from_secs(3));
    smtp.restart();
    // `outbox send` delivers what waits once the server is back (it waits out the backoff).
    let out = db.run_env(&["outbox", "send"], &[("LICWATCH_SMTP_URL", url.as_str())]);
    assert!(out.status.success(), "{}", stderr(&out));

    let messages = smtp.messages();
    let ids: Vec<String> = messages
        .iter()
        .map(|m| parse(m).message_id().unwrap().to_string())
        .collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), held.len(), "every message arrived");
    assert_eq!(unique.len(), ids.len(), "none twice");
    let sent = db.run(&["outbox", "--status", "sent", "--format", "json"]);
    let sent: Vec<serde_json::Value> = serde_json::from_str(&stdout(&sent)).unwrap();
    assert_eq!(
        sent.iter().filter(|r| r["kind"] == "assignment").count(),
        held.len()
    );
    assert!(
        sent.iter().any(|r| r["attempts"].as_i64().unwrap() > 1),
        "some message was retried after the outage"
    );
}

#[tokio::test]
async fn without_smtp_messages_become_eml_files_and_a_resend_needs_a_reason() {
    let db = TestDb::new().await;
    demo(&db);
    // Mail is foldered by the week it was produced in, never by a (future) date a key names.
    let folders: Vec<String> = std::fs::read_dir(db.dir.path().join("reports/out/mail"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(folders, vec![this_week()]);
    let mail = db.dir.path().join("reports/out/mail").join(this_week());
    let files: Vec<_> = std::fs::read_dir(&mail).unwrap().collect();
    assert!(files.iter().any(|f| {
        f.as_ref()
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("risk-")
    }));
    let out = db.run(&["outbox", "resend", "1"]);
    assert_eq!(out.status.code(), Some(2), "--reason is required");
    let out = db.run(&["outbox", "resend", "1", "--reason", "领导要求重发"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = db.run(&["outbox", "--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&rows)).unwrap();
    let first = rows.iter().find(|r| r["id"] == 1).unwrap();
    assert_eq!(first["status"], "sent");
}

#[tokio::test]
async fn with_the_smtp_server_down_a_send_exits_at_once_and_nothing_is_lost() {
    let db = TestDb::new().await;
    demo(&db);
    let mut smtp = SmtpServer::start(0.0);
    let url = smtp.url();
    smtp.stop();
    db.config("[recipients]\nregion = [\"quyu@example.gov.cn\"]\n");
    let started = std::time::Instant::now();
    let out = db.run_env(
        &["report", "weekly", "--as-of", "2026-12-07", "--send"],
        &[("LICWATCH_SMTP_URL", url.as_str())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    assert!(stderr(&out).contains("unreachable"), "{}", stderr(&out));
    let pending = db.run(&["outbox", "--status", "pending", "--format", "json"]);
    let pending: Vec<serde_json::Value> = serde_json::from_str(&stdout(&pending)).unwrap();
    let weekly: Vec<_> = pending
        .iter()
        .filter(|r| r["period"] == "2026-W50")
        .collect();
    assert_eq!(weekly.len(), 1, "{pending:?}");
    assert!(!weekly[0]["next_attempt_at"].is_null(), "{weekly:?}");

    smtp.restart();
    let out = db.run_env(&["outbox", "send"], &[("LICWATCH_SMTP_URL", url.as_str())]);
    assert!(out.status.success(), "{}", stderr(&out));
    let arrived: Vec<String> = smtp
        .messages()
        .iter()
        .map(|m| parse(m).message_id().unwrap().to_string())
        .collect();
    assert_eq!(arrived.len(), 1, "the weekly mail, once: {arrived:?}");
}
