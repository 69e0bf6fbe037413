//! The command-line contract (DESIGN.md section 3) against the built binary and a real store:
//! output formats, exit codes, and deadline flags hand-checked to the day.

use crate::common::*;
use licwatch::model::{LicenceStatus, OnsiteReview, Procedure, ReviewOutcome};
use serde_json::Value;

fn json_rows(out: &std::process::Output) -> Vec<Value> {
    assert!(out.status.success(), "stderr: {}", stderr(out));
    serde_json::from_str(&stdout(out)).unwrap()
}

fn workdays(args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    licwatch(args, "sqlite://unused.db", dir.path().to_path_buf())
}

#[test]
fn workdays_add_and_count_plain_and_json() {
    let out = workdays(&["workdays", "add", "2024-02-09", "1"]);
    assert_eq!(stdout(&out), "2024-02-18\n");
    let out = workdays(&["workdays", "add", "2024-10-08", "-2"]);
    assert_eq!(stdout(&out), "2024-09-29\n");
    let out = workdays(&["workdays", "count", "2024-09-30", "2024-10-12"]);
    assert_eq!(stdout(&out), "5\n");
    let out = workdays(&[
        "workdays",
        "count",
        "2024-10-12",
        "2024-09-30",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (v["workdays"].as_i64(), v["provisional"].as_bool()),
        (Some(-5), Some(false))
    );
    // Past the last published notice the answer holds on weekends alone and says so.
    let out = workdays(&["workdays", "add", "2026-12-30", "5", "--format", "json"]);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["result"], "2027-01-06");
    assert_eq!(v["provisional"], true);
}

#[test]
fn workdays_accept_chinese_dates() {
    let out = workdays(&["workdays", "add", "2026年2月13日", "30"]);
    // 2026 春节: worked Sat 02-14, off 02-15..02-23, worked Sat 02-28.
    assert_eq!(stdout(&out), "2026-04-02\n");
}

#[test]
fn a_malformed_date_is_a_usage_error_naming_the_value() {
    let out = workdays(&["workdays", "add", "2024-13-01", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("'2024-13-01' is not a date"),
        "{}",
        stderr(&out)
    );
    let out = workdays(&["deadlines", "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_unreachable_database_is_one_clear_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = licwatch(
        &["deadlines"],
        "postgres://postgres@127.0.0.1:1/none",
        dir.path().to_path_buf(),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with(
            "licwatch: error: cannot open database postgres://postgres@127.0.0.1:1/none"
        ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_config_with_an_unknown_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("licwatch.toml"),
        "[rules]\nonsite_days = 20\n",
    )
    .unwrap();
    let out = licwatch(
        &["workdays", "add", "2024-01-02", "1"],
        "sqlite://x.db",
        dir.path().to_path_buf(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("licwatch.toml"), "{}", stderr(&out));
}

/// Three enterprises in two prefectures with licences whose deadlines straddle the Spring Festival
/// and National Day.
async fn fixture() -> TestDb {
    let db = TestDb::new().await;
    let store = db.store().await;
    store
        .upsert(&[
            enterprise(URUMQI_CO, "650100", "650102"),
            enterprise(KARAMAY_CO, "650200", "650203"),
            enterprise(YILI_CO, "654000", "654002"),
        ])
        .await
        .unwrap();
    // Spring Festival 2024: the on-site review falls due 2024-03-06.
    let spring = licence("XK-SPRING", URUMQI_CO, "wire-rope", "2024-01-19");
    // National Day 2024: due 2024-11-06.
    let national = licence("XK-NATIONAL", URUMQI_CO, "lifesaving", "2024-09-20");
    // Renewal: expiry 2025-11-14, last filing day the adjusted Sunday 2025-09-28.
    let mut renewal = licence("XK-RENEW", KARAMAY_CO, "fertilizer", "2020-11-16");
    renewal.expiry = Some(d("2025-11-14"));
    renewal.procedure = Procedure::Standard;
    // E-certificate: decision 2025-04-24 over May Day, due 2025-05-12.
    let mut ecert = licence("XK-ECERT", YILI_CO, "wire-cable", "2025-04-20");
    ecert.procedure = Procedure::Standard;
    ecert.decision_date = Some(d("2025-04-24"));
    ecert.e_cert_date = None;
    let mut revoked = licence("XK-REVOKED", YILI_CO, "ppe", "2024-01-19");
    revoked.status = LicenceStatus::Revoked;
    store
        .upsert(&[spring, national, renewal, ecert, revoked])
        .await
        .unwrap();
    store
        .upsert(&[OnsiteReview {
            licence_no: "XK-NATIONAL".into(),
            review_date: d("2024-11-08"),
            outcome: ReviewOutcome::Fail,
        }])
        .await
        .unwrap();
    store.close().await;
    db
}

fn find<'a>(rows: &'a [Value], licence: &str, rule: &str) -> Option<&'a Value> {
    rows.iter()
        .find(|r| r["licence_no"] == licence && r["rule"] == rule)
}

#[tokio::test]
async fn onsite_review_across_the_spring_festival() {
    let db = fixture().await;
    let rows = json_rows(&db.run(&["deadlines", "--as-of", "2024-03-06", "--format", "json"]));
    let r = find(&rows, "XK-SPRING", "onsite_review").unwrap();
    assert_eq!(
        (
            r["status"].as_str(),
            r["due"].as_str(),
            r["workdays_left"].as_i64()
        ),
        (Some("due"), Some("2024-03-06"), Some(0))
    );
    assert_eq!(r["prefecture"], "乌鲁木齐市");
    assert_eq!(r["provisional"], false);
    let rows = json_rows(&db.run(&["deadlines", "--as-of", "2024-03-07", "--format", "json"]));
    let r = find(&rows, "XK-SPRING", "onsite_review").unwrap();
    assert_eq!(
        (r["status"].as_str(), r["workdays_left"].as_i64()),
        (Some("overdue"), Some(-1))
    );
}

#[tokio::test]
async fn onsite_review_across_national_day_then_done_and_an_exit_candidate() {
    let db = fixture().await;
    let rows = json_rows(&db.run(&["deadlines", "--as-of", "2024-10-12", "--format", "json"]));
    let r = find(&rows, "XK-NATIONAL", "onsite_review").unwrap();
    assert_eq!(
        (r["due"].as_str(), r["workdays_left"].as_i64()),
        (Some("2024-11-06"), Some(18))
    );
    // Reviewed late on 11-08 and failed: `done` leaves the plain list, the exit review joins it.
    let rows = json_rows(&db.run(&["deadlines", "--as-of", "2024-11-11", "--format", "json"]));
    assert!(find(&rows, "XK-NATIONAL", "onsite_review").is_none());
    assert_eq!(
        find(&rows, "XK-NATIONAL", "exit_review").unwrap()["status"],
        "candidate"
    );
    let rows = json_rows(&db.run(&[
        "deadlines",
        "--as-of",
        "2024-11-11",
        "--all",
        "--format",
        "json",
    ]));
    let r = find(&rows, "XK-NATIONAL", "onsite_review").unwrap();
    assert_eq!(r["status"], "done");
}

#[tokio::test]
async fn renewal_window_and_e_certificate_to_the_day() {
    let db = fixture().await;
    let rows = json_rows(&db.run(&["deadlines", "--as-of", "2025-09-28", "--format", "json"]));
    let r = find(&rows, "XK-RENEW", "renewal").unwrap();
    assert_eq!(
        (
            r["status"].as_str(),
            r["due"].as_str(),
            r["workdays_left"].as_i64()
        ),
        (Some("closing"), Some("2025-09-28"), Some(0))
    );
    assert!(
        find(&rows, "XK-RENEW", "onsite_review").is_none(),
        "standard procedure has no review row"
    );
    let rows = json_rows(&db.run(&["deadlines", "--as-of", "2025-09-29", "--format", "json"]));
    assert_eq!(
        find(&rows, "XK-RENEW", "renewal").unwrap()["status"],
        "missed"
    );

    let rows = json_rows(&db.run(&["deadlines", "--as-of", "2025-05-12", "--format", "json"]));
    let r = find(&rows, "XK-ECERT", "e_certificate").unwrap();
    assert_eq!(
        (r["status"].as_str(), r["due"].as_str()),
        (Some("pending"), Some("2025-05-12"))
    );
    let rows = json_rows(&db.run(&["deadlines", "--as-of", "2025-05-13", "--format", "json"]));
    assert_eq!(
        find(&rows, "XK-ECERT", "e_certificate").unwrap()["status"],
        "late"
    );
}

#[tokio::test]
async fn prefecture_filter_by_name_or_code_and_revoked_licences_are_silent() {
    let db = fixture().await;
    for p in ["伊犁哈萨克自治州", "654000"] {
        let rows = json_rows(&db.run(&[
            "deadlines",
            "--as-of",
            "2025-05-13",
            "--all",
            "--prefecture",
            p,
            "--format",
            "json",
        ]));
        assert!(!rows.is_empty());
        assert!(
            rows.iter().all(|r| r["prefecture"] == "伊犁哈萨克自治州"),
            "{rows:?}"
        );
        assert!(rows.iter().all(|r| r["licence_no"] != "XK-REVOKED"));
    }
    let out = db.run(&["deadlines", "--prefecture", "乌鲁木齐"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("'乌鲁木齐' is not a known division"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn csv_headers_equal_json_keys() {
    let db = fixture().await;
    let csv = stdout(&db.run(&["deadlines", "--as-of", "2025-05-13", "--format", "csv"]));
    let rows = json_rows(&db.run(&["deadlines", "--as-of", "2025-05-13", "--format", "json"]));
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(header, keys);
    for key in [
        "licence_no",
        "credit_code",
        "enterprise",
        "prefecture",
        "category",
        "rule",
        "status",
        "due",
        "workdays_left",
        "provisional",
    ] {
        assert!(keys.contains(&key), "{key}");
    }
    assert_eq!(csv.lines().count(), rows.len() + 1);
}

#[tokio::test]
async fn show_licence_and_enterprise() {
    let db = fixture().await;
    let out = db.run(&[
        "show",
        "licence",
        "XK-SPRING",
        "--as-of",
        "2024-03-07",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["enterprise"]["credit_code"], URUMQI_CO);
    assert_eq!(v["licences"].as_array().unwrap().len(), 1);
    let flags = v["flags"].as_array().unwrap();
    assert_eq!(
        find(flags, "XK-SPRING", "onsite_review").unwrap()["status"],
        "overdue"
    );
    assert_eq!(
        find(flags, "XK-SPRING", "e_certificate").unwrap()["status"],
        "issued"
    );

    let out = db.run(&["show", "enterprise", URUMQI_CO, "--as-of", "2024-11-11"]);
    let text = stdout(&out);
    assert!(
        text.contains("XK-SPRING") && text.contains("XK-NATIONAL"),
        "{text}"
    );
    assert!(text.contains("应核查是否退出"), "{text}");

    let out = db.run(&["show", "licence", "XK-NOPE"]);
    assert_eq!(out.status.code(), Some(1));
    let out = db.run(&["show", "enterprise", "91350100M000100Y44"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("check character"), "{}", stderr(&out));
}

#[tokio::test]
async fn init_is_idempotent_and_demo_writes_reports() {
    let db = TestDb::new().await;
    for _ in 0..2 {
        let out = db.run(&["init"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let out = db.run(&["demo", "--as-of", "2026-11-26", "--seed", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = std::fs::read(db.dir.path().join("reports/out/2026-W48/deadlines.csv")).unwrap();
    assert!(
        csv.starts_with(b"\xEF\xBB\xBF"),
        "CSV carries a BOM for Excel"
    );
    let first = String::from_utf8(csv).unwrap();
    // The same seed again changes nothing.
    let out = db.run(&["demo", "--as-of", "2026-11-26", "--seed", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let again =
        std::fs::read_to_string(db.dir.path().join("reports/out/2026-W48/deadlines.csv")).unwrap();
    assert_eq!(first, again);
    let rows = json_rows(&db.run(&["deadlines", "--as-of", "2026-11-26", "--format", "json"]));
    assert!(rows.iter().any(|r| r["status"] == "overdue"));
    assert!(rows.iter().any(|r| r["rule"] == "renewal"));
}

#[tokio::test]
async fn a_later_catalogue_is_data_and_survives_a_later_init() {
    let db = TestDb::new().await;
    let file = db.dir.path().join("catalogue-2019.csv");
    std::fs::write(
        &file,
        "code,name_zh,name_en,in_scope,effective_from,effective_to,note\n\
         wire-rope,钢丝绳,Steel wire ropes,true,2018-07-10,2019-09-30,\n\
         new-product,新产品,A new product,true,2019-10-01,,\n",
    )
    .unwrap();
    let out = db.run(&["init", "--catalogue", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(db.run(&["init"]).status.success());
    let catalogue = db.store().await.catalogue().await.unwrap();
    assert_eq!(catalogue.resolve("新产品").unwrap().code, "new-product");
    let rope = catalogue.resolve("钢丝绳").unwrap();
    assert!(!rope.in_force_on(d("2019-10-01")));

    std::fs::write(&file, "code,name_zh\nbroken,坏\n").unwrap();
    let out = db.run(&["init", "--catalogue", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("catalogue-2019.csv"),
        "{}",
        stderr(&out)
    );
}
