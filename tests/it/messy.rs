//! Messy real data (issue 13): rows a rule cannot judge, 长期 written as 9999-12-31, e-mail cells
//! with two addresses, files that leave out optional columns, hostile workbooks, files still being
//! written, identifiers that would escape the report folder, URLs with passwords. Each test shows
//! the week going on: the bad row visible with its reason, everything else as it should be.

use std::path::Path;

use crate::common::*;
use licwatch::model::{Licence, LicenceStatus};
use licwatch::store::Store;

/// One text value from the store, read the same way on both engines.
async fn text(store: &Store, sql: &str) -> Option<String> {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match store {
        Store::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

fn licence_with(no: &str, code: &str, grant: &str, expiry: Option<&str>) -> Licence {
    let mut l = licence(no, code, "wire-rope", grant);
    l.expiry = expiry.map(d);
    l
}

#[tokio::test]
async fn a_licence_the_calendar_cannot_reach_is_an_error_row_and_the_week_goes_on() {
    let db = TestDb::new().await;
    let store = db.store().await;
    store_two_enterprises(&store).await;
    // Old data, stored before ingest refused such dates: a grant in 1900.
    store
        .upsert(&[
            licence_with("XK-BAD", URUMQI_CO, "1900-01-02", None),
            licence_with("XK-OPEN", KARAMAY_CO, "2019-01-02", Some("9999-12-31")),
            licence_with("XK-OK", KARAMAY_CO, "2026-11-02", None),
        ])
        .await
        .unwrap();

    let out = db.run(&[
        "deadlines",
        "--as-of",
        "2026-11-26",
        "--all",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = json(&out);
    let of = |no: &str| -> Vec<(String, String)> {
        rows.iter()
            .filter(|r| r["licence_no"] == no)
            .map(|r| {
                (
                    r["rule"].as_str().unwrap().into(),
                    r["status"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    let bad = of("XK-BAD");
    assert!(
        bad.contains(&("onsite_review".into(), "error".into())),
        "{bad:?}"
    );
    let detail = rows
        .iter()
        .find(|r| r["licence_no"] == "XK-BAD" && r["status"] == "error")
        .unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(detail.contains("1900-01-02"), "{detail}");
    // 长期: no renewal window and no expiry, ever.
    let open = of("XK-OPEN");
    assert!(
        open.iter()
            .all(|(rule, _)| rule != "renewal" && rule != "expiry"),
        "{open:?}"
    );
    assert!(of("XK-OK").contains(&("onsite_review".into(), "due".into())));

    // Every bureau's weekly report is made; the broken row is in Urumqi's, with its reason.
    let out = db.run(&[
        "report",
        "weekly",
        "--as-of",
        "2026-11-26",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let produced = json(&out);
    let file = |scope: &str| -> String {
        let row = produced.iter().find(|p| p["scope"] == scope).unwrap();
        let path = db.dir.path().join(row["file"].as_str().unwrap());
        std::fs::read_to_string(path).unwrap()
    };
    assert!(file("650100").contains("无法判定"));
    // Karamay's report is made too; XK-OK's review is the region's work (it issued the licence).
    assert!(file("650200").contains("克拉玛依市"));
    assert!(file("all").contains("XK-OK"));
}

#[tokio::test]
async fn ingest_reads_changqi_as_open_ended_and_refuses_years_the_calendar_lacks() {
    let db = TestDb::new().await;
    store_two_enterprises(&db.store().await).await;
    let file = write(
        &db,
        "licences.csv",
        &format!(
            "licence_no,credit_code,category,procedure,grant_date,expiry\n\
             XK-A,{URUMQI_CO},钢丝绳,简化,2020-01-02,长期\n\
             XK-B,{URUMQI_CO},钢丝绳,简化,2020-01-02,9999-12-31\n\
             XK-C,{URUMQI_CO},钢丝绳,简化,1900-01-02,\n\
             XK-D,{URUMQI_CO},钢丝绳,简化,2020-01-02,2325-01-01\n"
        ),
    );
    let (code, rows, err) = ingest(&db, &[&file]);
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(rows[0]["inserted"], 2);
    assert_eq!(rows[0]["rejected"], 2);
    assert!(
        err.contains("row 4 grant_date") && err.contains("1949–2199"),
        "{err}"
    );
    assert!(err.contains("row 5 expiry"), "{err}");
    let store = db.store().await;
    for no in ["XK-A", "XK-B"] {
        let expiry = text(
            &store,
            &format!("SELECT CAST(expiry AS TEXT) FROM licences WHERE licence_no = '{no}'"),
        )
        .await;
        assert_eq!(expiry.as_deref(), Some("9999-12-31"), "{no}");
    }
}

#[tokio::test]
async fn a_file_without_an_optional_column_leaves_the_stored_values_alone() {
    let db = TestDb::new().await;
    let enterprises = |name: &str, with_email: bool| {
        let (head, email) = if with_email {
            (",email", ",boss@example.cn")
        } else {
            ("", "")
        };
        format!(
            "credit_code,name,prefecture,county{head}\n{URUMQI_CO},{name},650100,650102{email}\n"
        )
    };
    let first = write(&db, "e1.csv", &enterprises("天山钢丝绳", true));
    assert_eq!(ingest(&db, &[&first]).0, Some(0));
    let second = write(&db, "e2.csv", &enterprises("天山钢丝绳有限公司", false));
    let (code, rows, err) = ingest(&db, &[&second]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(rows[0]["updated"], 1, "the name changed");

    let licences = |extra_head: &str, extra: &str| {
        format!(
            "licence_no,credit_code,category,procedure,grant_date{extra_head}\n\
             XK-R,{URUMQI_CO},钢丝绳,简化,2024-03-01{extra}\n"
        )
    };
    let revoked = write(&db, "l1.csv", &licences(",status", ",吊销"));
    assert_eq!(ingest(&db, &[&revoked]).0, Some(0));
    let later = write(&db, "l2.csv", &licences(",e_cert_date", ",2024-03-05"));
    let (code, rows, err) = ingest(&db, &[&later]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(rows[0]["updated"], 1, "the certificate date is new");

    let inspectors = |extra_head: &str, extra: &str| {
        format!(
            "inspector_id,name,prefecture,county,qualifications{extra_head}\n\
             65010020190001,王伟,650100,650102,钢丝绳{extra}\n"
        )
    };
    // The status column present, its cell empty: still not a deliberate blank. A new licence
    // in the same file gets the default, 有效.
    let blank = write(
        &db,
        "l3.csv",
        &format!(
            "licence_no,credit_code,category,procedure,grant_date,status\n\
             XK-R,{URUMQI_CO},钢丝绳,简化,2024-03-01,\n\
             XK-N,{URUMQI_CO},钢丝绳,简化,2024-04-01,\n"
        ),
    );
    let (code, rows, err) = ingest(&db, &[&blank]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        (rows[0]["inserted"].as_u64(), rows[0]["unchanged"].as_u64()),
        (Some(1), Some(1)),
        "{rows:?}"
    );

    let retired = write(&db, "i1.csv", &inspectors(",active", ",否"));
    assert_eq!(ingest(&db, &[&retired]).0, Some(0));
    let again = write(&db, "i2.csv", &inspectors("", ""));
    assert_eq!(ingest(&db, &[&again]).0, Some(0));
    let blank_cell = write(&db, "i3.csv", &inspectors(",在岗", ","));
    assert_eq!(ingest(&db, &[&blank_cell]).0, Some(0));

    let store = db.store().await;
    let email = text(&store, "SELECT email FROM enterprises").await;
    assert_eq!(email.as_deref(), Some("boss@example.cn"));
    let name = text(&store, "SELECT name FROM enterprises").await;
    assert_eq!(name.as_deref(), Some("天山钢丝绳有限公司"));
    let licence = text(
        &store,
        "SELECT status || ' ' || CAST(e_cert_date AS TEXT) FROM licences WHERE licence_no = 'XK-R'",
    )
    .await;
    assert_eq!(licence.as_deref(), Some("revoked 2024-03-05"));
    let new = text(
        &store,
        "SELECT status FROM licences WHERE licence_no = 'XK-N'",
    )
    .await;
    assert_eq!(new.as_deref(), Some("active"));
    let active = text(
        &store,
        "SELECT CASE WHEN active THEN 'active' ELSE 'retired' END FROM inspectors",
    )
    .await;
    assert_eq!(active.as_deref(), Some("retired"));
    assert_eq!(LicenceStatus::Revoked.code(), "revoked");
}

#[tokio::test]
async fn addresses_are_checked_with_the_mailers_parser_and_a_bad_recipient_stops_nobody() {
    let db = TestDb::new().await;
    let file = write(
        &db,
        "enterprises.csv",
        &format!(
            "credit_code,name,prefecture,county,email\n\
             {URUMQI_CO},天山钢丝绳,650100,650102,a@163..com\n\
             {KARAMAY_CO},昆仑电缆,650200,650203,\"a@b.cn,d@e.cn\"\n"
        ),
    );
    let (code, rows, err) = ingest(&db, &[&file]);
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(rows[0]["inserted"], 1);
    assert!(
        err.contains("row 2 email") && err.contains("mailer"),
        "{err}"
    );
    let store = db.store().await;
    let email = text(&store, "SELECT email FROM enterprises").await;
    assert_eq!(email.as_deref(), Some("a@b.cn; d@e.cn"));

    // A recipient the mailer refuses in the configuration: skipped, the rest sent.
    store
        .upsert(&[enterprise(URUMQI_CO, "650100", "650102")])
        .await
        .unwrap();
    db.config(
        "[recipients]\nregion = [\"quyu@example.gov.cn\"]\n\
         [recipients.prefecture]\n\"650100\" = [\"bad@@example\", \"wlmq@example.gov.cn\"]\n",
    );
    let out = db.run(&[
        "report",
        "weekly",
        "--as-of",
        "2026-11-26",
        "--send",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let produced = json(&out);
    let urumqi = produced.iter().find(|p| p["scope"] == "650100").unwrap();
    assert!(
        urumqi["queued"].as_str().unwrap().contains("refused 1"),
        "{urumqi}"
    );
    let mail = db.dir.path().join("reports/out/mail").join(this_week());
    let names: Vec<String> = std::fs::read_dir(&mail)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.contains("wlmq@example.gov.cn")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.contains("quyu@example.gov.cn")),
        "{names:?}"
    );
}

#[tokio::test]
async fn identifiers_that_would_escape_the_report_folder_are_refused() {
    let db = TestDb::new().await;
    let file = write(
        &db,
        "inspectors.csv",
        "inspector_id,name,prefecture,county,qualifications\n\
         ../../x,甲,650100,650102,钢丝绳\n\
         ／srv／x,乙,650100,650102,钢丝绳\n\
         65010020190009,丙,650100,650102,钢丝绳\n",
    );
    let (code, rows, err) = ingest(&db, &[&file]);
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(
        (rows[0]["inserted"].as_u64(), rows[0]["rejected"].as_u64()),
        (Some(1), Some(2))
    );
    assert!(err.contains("path separator"), "{err}");
}

/// A workbook with one sheet, written cell by cell.
fn workbook(path: &Path, cells: &[(u32, u16, Cellish)]) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (r, c, cell) in cells {
        match cell {
            Cellish::Text(t) => sheet.write_string(*r, *c, *t).map(|_| ()),
            Cellish::Date(n) => sheet
                .write_number_with_format(*r, *c, *n, &date)
                .map(|_| ()),
        }
        .unwrap();
    }
    book.save(path).unwrap();
}

enum Cellish {
    Text(&'static str),
    Date(f64),
}

#[tokio::test]
async fn hostile_workbooks_fail_or_quarantine_their_rows_and_the_other_files_load() {
    let db = TestDb::new().await;
    store_two_enterprises(&db.store().await).await;
    let dir = db.dir.path();
    // A date cell holding -1e300 (calamine panicked on it).
    workbook(
        &dir.join("violations.xlsx"),
        &[
            (0, 0, Cellish::Text("credit_code")),
            (0, 1, Cellish::Text("date")),
            (0, 2, Cellish::Text("kind")),
            (1, 0, Cellish::Text(URUMQI_CO)),
            (1, 1, Cellish::Date(-1e300)),
            (1, 2, Cellish::Text("违法")),
        ],
    );
    // Cells at A1 and XFD1048576: a used range of the whole grid.
    workbook(
        &dir.join("sparse.xlsx"),
        &[
            (0, 0, Cellish::Text("credit_code")),
            (1_048_575, 16_383, Cellish::Text("x")),
        ],
    );
    let good = write(
        &db,
        "conflicts.csv",
        &format!("inspector_id,credit_code\n65010020190001,{URUMQI_CO}\n"),
    );
    let inspectors = write(
        &db,
        "inspectors.csv",
        "inspector_id,name,prefecture,county,qualifications\n65010020190001,王伟,650100,650102,钢丝绳\n",
    );
    let files = [
        dir.join("violations.xlsx").display().to_string(),
        dir.join("sparse.xlsx").display().to_string(),
        good,
        inspectors,
    ];
    let refs: Vec<&str> = files.iter().map(String::as_str).collect();
    let (code, rows, err) = ingest(&db, &refs);
    assert_eq!(code, Some(1), "worst of the files wins, never 101: {err}");
    let of = |suffix: &str| {
        rows.iter()
            .find(|r| r["file"].as_str().unwrap().ends_with(suffix))
            .unwrap()
    };
    assert_eq!(of("violations.xlsx")["status"], "rejected", "{err}");
    assert!(err.contains("violations.xlsx: row 2 date"), "{err}");
    assert_eq!(of("sparse.xlsx")["status"], "failed", "{err}");
    assert_eq!(of("conflicts.csv")["inserted"], 1);
}

#[tokio::test]
async fn the_inbox_takes_settled_files_only_and_reloads_a_file_whose_rejects_can_now_land() {
    let db = TestDb::new().await;
    let inbox = db.dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let licences = format!(
        "licence_no,credit_code,category,procedure,grant_date\n\
         XK-1,{URUMQI_CO},钢丝绳,简化,2024-03-01\n"
    );
    // Still being copied: a partial download, an editor's lock file, a file written just now.
    for name in ["licences.csv.part", "~$licences.xlsx", "fresh.csv"] {
        std::fs::write(inbox.join(name), &licences).unwrap();
    }
    std::fs::write(inbox.join("licences.csv"), &licences).unwrap();
    settle(&inbox.join("licences.csv"));
    let run = || {
        let out = db.run(&[
            "ingest",
            "--inbox",
            inbox.to_str().unwrap(),
            "--format",
            "json",
        ]);
        (out.status.code(), json(&out))
    };
    // The enterprise is not known yet: the row is quarantined.
    let (code, rows) = run();
    assert_eq!(code, Some(3));
    assert_eq!(rows.len(), 1, "{rows:?}");
    for name in ["licences.csv.part", "~$licences.xlsx", "fresh.csv"] {
        assert!(inbox.join(name).exists(), "{name} left for the next run");
    }
    std::fs::remove_file(inbox.join("fresh.csv")).unwrap();

    // The enterprise arrives; the same file dropped in again now lands.
    store_two_enterprises(&db.store().await).await;
    std::fs::write(inbox.join("licences-again.csv"), &licences).unwrap();
    settle(&inbox.join("licences-again.csv"));
    let (code, rows) = run();
    assert_eq!(code, Some(0), "{rows:?}");
    assert_eq!(rows[0]["inserted"], 1, "{rows:?}");
    let store = db.store().await;
    let quarantined = text(&store, "SELECT CAST(COUNT(*) AS TEXT) FROM ingest_rejects").await;
    assert_eq!(
        quarantined.as_deref(),
        Some("0"),
        "the quarantine holds what is still rejected"
    );
}

#[tokio::test]
async fn passwords_never_reach_the_store_the_log_or_the_terminal() {
    let db = TestDb::new().await;
    store_two_enterprises(&db.store().await).await;
    // Another department's PostgreSQL (trust auth here, so the password is carried, not checked).
    let admin = std::env::var("LICWATCH_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let url = format!("{admin}?password=hunter22");
    let out = db.run(&[
        "ingest",
        "--source-url",
        &url,
        "--query",
        &format!("SELECT '{URUMQI_CO}' AS credit_code, DATE '2026-01-05' AS date, '违法' AS kind"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stdout(&out).contains("hunter22") && !stderr(&out).contains("hunter22"));
    let store = db.store().await;
    let names = text(&store, "SELECT file_name FROM ingest_files")
        .await
        .unwrap();
    assert!(
        !names.contains("hunter22") && names.contains("password=***"),
        "{names}"
    );
    let logged = text(
        &store,
        "SELECT inputs FROM audit_log WHERE actor = 'cli:ingest'",
    )
    .await
    .unwrap();
    assert!(!logged.contains("hunter22"), "{logged}");

    // A URL the parser refuses is not printed whole either.
    let out = db.run(&[
        "ingest",
        "--source-url",
        "postgres://u:hunter22@[bad/x",
        "--query",
        "SELECT 1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!stderr(&out).contains("hunter22"), "{}", stderr(&out));

    // SMTP credentials without TLS are refused, unless the URL says tls=none.
    db.config("[recipients]\nregion = [\"quyu@example.gov.cn\"]\n");
    let out = db.run_env(
        &["report", "weekly", "--as-of", "2026-11-26", "--send"],
        &[("LICWATCH_SMTP_URL", "smtp://u:hunter22@127.0.0.1:9")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("tls=required"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("hunter22"));
}

#[tokio::test]
async fn a_tick_whose_process_dies_every_time_is_failed_after_max_attempts() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let tick = chrono::Utc::now();
    // Leases that run out at once: each claim's process "died".
    let gone = -1;
    // Two claims whose process died (their leases ran out), then no third.
    for attempt in 1..=2 {
        let claim = store
            .claim_tick("daily-ingest", tick, "host:1", gone, 2)
            .await
            .unwrap();
        assert_eq!(claim.map(|c| c.attempt), Some(attempt));
    }
    assert!(
        store
            .claim_tick("daily-ingest", tick, "host:2", gone, 2)
            .await
            .unwrap()
            .is_none()
    );
    let runs = store.runs(Some("daily-ingest"), 5).await.unwrap();
    assert_eq!(runs[0].status.code(), "failed", "{runs:?}");
    assert!(
        store
            .resumable_ticks("daily-ingest", 2)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_name_longer_than_a_file_name_can_be_still_gets_its_report() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut e = enterprise(KARAMAY_CO, "650200", "650203");
    e.email = Some("kunlun@example.cn".into());
    store.upsert(&[e]).await.unwrap();
    // 100 CJK characters: 300 bytes, more than a file name may hold.
    let long = "长".repeat(100);
    store
        .upsert(&[licence_with(
            &long,
            KARAMAY_CO,
            "2022-01-16",
            Some("2027-01-15"),
        )])
        .await
        .unwrap();
    let out = db.run(&[
        "report",
        "reminders",
        "--as-of",
        "2026-11-26",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let produced = json(&out);
    let file = produced[0]["file"].as_str().unwrap();
    let name = Path::new(file).file_name().unwrap().to_string_lossy();
    assert!(name.len() <= 200 && name.ends_with(".html"), "{name}");
    assert!(db.dir.path().join(file).exists());
}
