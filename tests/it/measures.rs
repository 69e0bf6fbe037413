//! The measures as written (issue 12), end to end on both engines: licences loaded from a file as a
//! bureau exports them, then the flags `licwatch deadlines` gives, with dates checked by hand across
//! the 2025 National Day holiday and its 调休 Sunday.

use crate::common::*;
use serde_json::Value;

fn flags(db: &TestDb, as_of: &str) -> Vec<Value> {
    let out = db.run(&["deadlines", "--as-of", as_of, "--all", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn flag<'a>(rows: &'a [Value], licence: &str, rule: &str) -> Option<&'a Value> {
    rows.iter()
        .find(|r| r["licence_no"] == licence && r["rule"] == rule)
}

/// Old licences expiring Friday 2025-11-14, whose last filing day is Sunday 2025-09-28 (back 30
/// working days: Nov 13–3 (9), Oct 31–13 (24), Saturday Oct 11 worked (25), Oct 10, 9 (27), Sep 30,
/// 29 (29), Sunday Sep 28 worked (30)); their renewals granted the next day.
const RENEWALS: &str = "\
licence_no,credit_code,category,procedure,grant_date,expiry,status,renewal_filed,renewal_direct,renews,major_change
XK-OLD-1,{U},钢丝绳,简化,2020-11-16,2025-11-14,过期,2025-09-28,否,,
XK-NEW-1,{U},钢丝绳,简化,2025-11-15,,有效,,是,XK-OLD-1,否
XK-OLD-2,{U},电线电缆,简化,2020-11-16,2025-11-14,过期,2025-09-29,否,,
XK-NEW-2,{U},电线电缆,简化,2025-11-15,,有效,,是,XK-OLD-2,否
XK-OLD-3,{K},人造板,简化,2020-11-16,2025-11-14,过期,2025-09-01,否,,
XK-NEW-3,{K},人造板,简化,2025-11-15,,有效,,是,XK-OLD-3,是
XK-NEW-4,{K},化肥,简化,2025-11-15,,有效,,是,,
";

#[tokio::test]
async fn a_direct_renewal_is_exempt_only_as_2_3_5_says() {
    let db = TestDb::new().await;
    store_two_enterprises(&db.store().await).await;
    let text = RENEWALS
        .replace("{U}", URUMQI_CO)
        .replace("{K}", KARAMAY_CO);
    let (code, _, err) = ingest(&db, &[&write(&db, "licences.csv", &text)]);
    assert_eq!(code, Some(0), "{err}");
    let rows = flags(&db, "2025-12-01");
    let review = |no: &str| flag(&rows, no, "onsite_review").unwrap();

    // Filed on the last filing day: exempt.
    assert_eq!(review("XK-NEW-1")["status"], "exempt");
    // Filed the day after: reviewed within 30 working days of Saturday 2025-11-15 — Nov 17–21 (5) …
    // Dec 22–26 (30); the detail names the failed condition.
    let late = review("XK-NEW-2");
    assert_eq!(
        (late["status"].as_str(), late["due"].as_str()),
        (Some("due"), Some("2025-12-26"))
    );
    let detail = late["detail"].as_str().unwrap();
    assert!(
        detail.contains("二(三)5") && detail.contains("2025-09-28"),
        "{detail}"
    );
    // Production conditions changed.
    let changed = review("XK-NEW-3");
    assert_eq!(changed["status"], "due");
    assert!(changed["detail"].as_str().unwrap().contains("重大变化"));
    // No link to the licence renewed: the bureau's decision stands, said to be unchecked.
    let unlinked = review("XK-NEW-4");
    assert_eq!(unlinked["status"], "exempt");
    assert!(unlinked["detail"].as_str().unwrap().contains("无法核对"));

    // A violation during the old licence's validity contradicts it too.
    let violations = write(
        &db,
        "violations.csv",
        &format!("credit_code,date,kind,description\n{URUMQI_CO},2024-05-06,违法,超范围生产\n"),
    );
    assert_eq!(ingest(&db, &[&violations]).0, Some(0));
    let rows = flags(&db, "2025-12-01");
    let review = flag(&rows, "XK-NEW-1", "onsite_review").unwrap();
    assert_eq!(review["status"], "due", "{review}");
    assert!(review["detail"].as_str().unwrap().contains("违法记录 1 条"));
}

#[tokio::test]
async fn a_renewal_filed_after_the_last_filing_day_is_filed_late_and_none_filed_is_missed() {
    let db = TestDb::new().await;
    store_two_enterprises(&db.store().await).await;
    let file = write(
        &db,
        "licences.csv",
        &format!(
            "licence_no,credit_code,category,procedure,grant_date,expiry,renewal_filed\n\
             XK-IN-TIME,{URUMQI_CO},钢丝绳,简化,2020-11-16,2025-11-14,2025-09-28\n\
             XK-LATE,{URUMQI_CO},电线电缆,简化,2020-11-16,2025-11-14,2025-09-29\n\
             XK-NONE,{URUMQI_CO},人造板,简化,2020-11-16,2025-11-14,\n"
        ),
    );
    assert_eq!(ingest(&db, &[&file]).0, Some(0));
    let rows = flags(&db, "2025-10-09");
    let status = |no: &str| flag(&rows, no, "renewal").unwrap()["status"].clone();
    assert_eq!(status("XK-IN-TIME"), "filed");
    assert_eq!(status("XK-LATE"), "filed_late");
    let missed = flag(&rows, "XK-NONE", "renewal").unwrap();
    assert_eq!(
        (missed["status"].as_str(), missed["due"].as_str()),
        (Some("missed"), Some("2025-09-28"))
    );
    assert_eq!(missed["status_label"], "已过直接延续申请期限");
    // On the last filing day itself nothing is missed yet.
    let rows = flags(&db, "2025-09-28");
    assert_eq!(
        flag(&rows, "XK-NONE", "renewal").unwrap()["status"],
        "closing"
    );
}

#[tokio::test]
async fn quick_exit_grounds_of_3_1_and_violations_for_investigation() {
    let db = TestDb::new().await;
    let store = db.store().await;
    store_two_enterprises(&store).await;
    store
        .upsert(&[
            licence("XK-A", URUMQI_CO, "wire-rope", "2024-03-01"),
            licence("XK-B", KARAMAY_CO, "wire-rope", "2024-03-01"),
        ])
        .await
        .unwrap();
    let file = write(
        &db,
        "violations.csv",
        &format!(
            "credit_code,date,kind,description\n\
             {URUMQI_CO},2025-01-06,贿赂取得,\n\
             {KARAMAY_CO},2025-01-06,违法,超范围生产\n"
        ),
    );
    let (code, _, err) = ingest(&db, &[&file]);
    assert_eq!(code, Some(0), "{err}");
    let rows = flags(&db, "2025-12-01");
    let a = flag(&rows, "XK-A", "exit_review").unwrap();
    assert_eq!(a["status"], "candidate");
    assert!(a["detail"].as_str().unwrap().contains("三(一)"));
    let b = flag(&rows, "XK-B", "exit_review").unwrap();
    assert_eq!(b["status"], "investigate");
    assert!(b["detail"].as_str().unwrap().contains("三(二)"));
}

#[tokio::test]
async fn paper_decisions_before_go_live_and_grants_before_the_measures() {
    let db = TestDb::new().await;
    store_two_enterprises(&db.store().await).await;
    db.config("[rules]\ne_certificate_from = 2019-01-01\n");
    let file = write(
        &db,
        "licences.csv",
        &format!(
            "licence_no,credit_code,category,procedure,grant_date\n\
             XK-PAPER,{URUMQI_CO},钢丝绳,简化,2018-12-28\n\
             XK-ONLINE,{URUMQI_CO},电线电缆,简化,2019-01-02\n\
             XK-EARLY,{URUMQI_CO},人造板,简化,2018-07-09\n\
             XK-STANDARD,{URUMQI_CO},化肥,常规,2018-07-09\n"
        ),
    );
    let (code, _, err) = ingest(&db, &[&file]);
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("row 4 grant_date") && err.contains("2018-07-10"),
        "{err}"
    );
    let rows = flags(&db, "2019-03-01");
    assert!(flag(&rows, "XK-PAPER", "e_certificate").is_none());
    assert_eq!(
        flag(&rows, "XK-ONLINE", "e_certificate").unwrap()["status"],
        "late"
    );
    // The standard-procedure licence of the same day landed; the simplified one did not.
    assert_eq!(
        db.run(&["show", "licence", "XK-STANDARD"]).status.code(),
        Some(0)
    );
    assert_eq!(
        db.run(&["show", "licence", "XK-EARLY"]).status.code(),
        Some(1)
    );
}

#[tokio::test]
async fn review_and_certificate_flags_go_to_the_issuing_bureau() {
    let db = TestDb::new().await;
    store_two_enterprises(&db.store().await).await;
    // An Urumqi enterprise licensed by the region; a Karamay one by the Urumqi bureau, delegated.
    let file = write(
        &db,
        "licences.csv",
        &format!(
            "licence_no,credit_code,category,procedure,grant_date,e_cert_date,发证机关\n\
             XK-REGION,{URUMQI_CO},钢丝绳,简化,2026-11-02,2026-11-03,新疆维吾尔自治区\n\
             XK-DELEGATED,{KARAMAY_CO},电线电缆,简化,2026-11-02,2026-11-03,乌鲁木齐市\n\
             XK-NOWHERE,{KARAMAY_CO},人造板,简化,2026-11-02,2026-11-03,火星市\n"
        ),
    );
    let (code, _, err) = ingest(&db, &[&file]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("row 4 issuer"), "{err}");

    let out = db.run(&[
        "report",
        "weekly",
        "--as-of",
        "2026-11-26",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let produced: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let report = |scope: &str| -> String {
        let row = produced.iter().find(|p| p["scope"] == scope).unwrap();
        std::fs::read_to_string(db.dir.path().join(row["file"].as_str().unwrap())).unwrap()
    };
    let (urumqi, karamay, region) = (report("650100"), report("650200"), report("all"));
    assert!(urumqi.contains("XK-DELEGATED") && !urumqi.contains("XK-REGION"));
    assert!(!karamay.contains("XK-DELEGATED"));
    assert!(region.contains("XK-REGION") && region.contains("XK-DELEGATED"));
}

#[tokio::test]
async fn every_failed_check_is_followed_up_until_a_pass_or_a_disposal_closes_it() {
    let db = TestDb::new().await;
    let store = db.store().await;
    store_two_enterprises(&store).await;
    let mut standard = licence("XK-STD", URUMQI_CO, "wire-rope", "2020-01-02");
    standard.procedure = licwatch::model::Procedure::Standard;
    store
        .upsert(&[
            standard,
            licence("XK-SIMPLE", KARAMAY_CO, "wire-rope", "2024-01-02"),
        ])
        .await
        .unwrap();
    // Both failed on the Tuesday before National Day 2025; Karamay's follow-up is recorded done.
    let checks = write(
        &db,
        "checks.csv",
        &format!(
            "check_id,credit_code,category,check_date,result,disposed\n\
             C1,{URUMQI_CO},钢丝绳,2025-09-30,不合格,\n\
             C2,{KARAMAY_CO},钢丝绳,2025-09-30,不合格,2025-10-15\n"
        ),
    );
    assert_eq!(ingest(&db, &[&checks]).0, Some(0));
    let rows = flags(&db, "2025-10-16");
    let open = flag(&rows, "XK-STD", "follow_up").expect("standard procedure too");
    assert_eq!(
        (open["status"].as_str(), open["due"].as_str()),
        (Some("open"), Some("2025-09-30"))
    );
    assert!(flag(&rows, "XK-SIMPLE", "follow_up").is_none(), "disposed");

    // A later passing check of the same enterprise and category closes it.
    let pass = write(
        &db,
        "pass.csv",
        &format!(
            "check_id,credit_code,category,check_date,result\nC3,{URUMQI_CO},钢丝绳,2025-10-20,合格\n"
        ),
    );
    assert_eq!(ingest(&db, &[&pass]).0, Some(0));
    assert!(flag(&flags(&db, "2025-10-19"), "XK-STD", "follow_up").is_some());
    assert!(flag(&flags(&db, "2025-10-20"), "XK-STD", "follow_up").is_none());
}

#[tokio::test]
async fn the_results_notice_lists_the_non_conforming_first_once_results_are_recorded() {
    let db = TestDb::new().await;
    assert!(db.run(&["demo", "--as-of", "2026-11-26"]).status.success());
    let assignments = std::fs::read_to_string(
        db.dir
            .path()
            .join("reports/out/2026-W48/draw-2026-11-1/assignments.csv"),
    )
    .unwrap();
    let first: Vec<&str> = assignments.lines().nth(1).unwrap().split(',').collect();
    let (category, credit_code) = (first[0], first[1]);
    let result = write(
        &db,
        "result.csv",
        &format!(
            "check_id,credit_code,category,check_date,result,items,campaign\n\
             T-RESULT-1,{credit_code},{category},2026-11-27,不合格,标志标识,2026-11\n"
        ),
    );
    assert_eq!(ingest(&db, &[&result]).0, Some(0));
    let out = db.run(&[
        "report",
        "results",
        "--as-of",
        "2026-11-28",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let produced: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(produced.len(), 1, "{produced:?}");
    let html =
        std::fs::read_to_string(db.dir.path().join(produced[0]["file"].as_str().unwrap())).unwrap();
    let failed = html
        .find("不合格产品及企业")
        .expect("a table of the non-conforming");
    let all = html.find("抽查结果</").unwrap_or(usize::MAX);
    assert!(
        failed < all && html.contains(credit_code),
        "the non-conforming first"
    );
}

#[tokio::test]
async fn one_certificate_covers_several_products_and_counts_in_each() {
    let db = TestDb::new().await;
    store_two_enterprises(&db.store().await).await;
    let file = write(
        &db,
        "licences.csv",
        &format!(
            "licence_no,credit_code,category,procedure,grant_date\n\
             XK-ONE,{URUMQI_CO},钢丝绳,简化,2026-11-02\n\
             XK-ONE,{URUMQI_CO},电线电缆,简化,2026-11-02\n"
        ),
    );
    let (code, summary, err) = ingest(&db, &[&file]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        summary[0]["inserted"], 2,
        "a second category never overwrites the first"
    );

    // Deadlines stay per licence: one review flag naming both products, in catalogue order.
    let rows = flags(&db, "2026-11-26");
    let reviews: Vec<&Value> = rows
        .iter()
        .filter(|r| r["licence_no"] == "XK-ONE" && r["rule"] == "onsite_review")
        .collect();
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    assert_eq!(reviews[0]["category"], "电线电缆、钢丝绳");

    // Risk counts the licence in each category.
    let out = db.run(&["risk", "--as-of", "2026-11-26", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ranking: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    for code in ["wire-rope", "wire-cable"] {
        let row = ranking.iter().find(|r| r["category_code"] == code).unwrap();
        assert_eq!(row["active_enterprises"], 1, "{code}: {row}");
        assert_eq!(row["awaiting_review_share"], 1.0, "{code}: {row}");
    }

    // A later file naming one category leaves the other as it is.
    let later = write(
        &db,
        "later.csv",
        &format!(
            "licence_no,credit_code,category,procedure,grant_date,e_cert_date\n\
             XK-ONE,{URUMQI_CO},钢丝绳,简化,2026-11-02,2026-11-04\n"
        ),
    );
    let (_, summary, _) = ingest(&db, &[&later]);
    assert_eq!(summary[0]["updated"], 1);
    let rows = flags(&db, "2026-11-26");
    let review = flag(&rows, "XK-ONE", "onsite_review").unwrap();
    assert_eq!(review["category"], "电线电缆、钢丝绳");
}
