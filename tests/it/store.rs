//! The store on a real engine: migrations, reference data, upserts on natural keys, constraints,
//! and reading licences back with their facts.

use crate::common::*;
use licwatch::catalogue::Catalogue;
use licwatch::divisions::Divisions;
use licwatch::model::{
    CheckResult, LicenceStatus, OnsiteReview, ReviewOutcome, SpotCheck, Violation, ViolationKind,
};
use licwatch::store::{AuditEntry, Scope, Store};

#[tokio::test]
async fn opening_twice_migrates_once_and_reference_data_round_trips() {
    let db = TestDb::new().await;
    let store = db.store().await;
    store.close().await;
    let store = db.store().await;
    let catalogue = store.catalogue().await.unwrap();
    assert_eq!(catalogue.all(), Catalogue::builtin().all());
    let divisions = store.divisions().await.unwrap();
    assert_eq!(divisions.all().len(), Divisions::builtin().all().len());
    assert_eq!(divisions.prefecture("阿勒泰地区").unwrap().code, "654300");
}

#[tokio::test]
async fn upserting_the_same_rows_twice_changes_nothing_and_a_correction_updates_one() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let rows = vec![
        enterprise(URUMQI_CO, "650100", "650102"),
        enterprise(KARAMAY_CO, "650200", "650203"),
    ];
    assert_eq!(store.upsert(&rows).await.unwrap(), 2);
    assert_eq!(store.upsert(&rows).await.unwrap(), 0);
    let mut corrected = rows.clone();
    corrected[1].email = Some("new@example.com".into());
    assert_eq!(store.upsert(&corrected).await.unwrap(), 1);
    let stored = store.enterprise(KARAMAY_CO).await.unwrap().unwrap();
    assert_eq!(stored.email.as_deref(), Some("new@example.com"));

    let licences = vec![licence("XK-1", URUMQI_CO, "wire-rope", "2024-01-19")];
    assert_eq!(store.upsert(&licences).await.unwrap(), 1);
    assert_eq!(store.upsert(&licences).await.unwrap(), 0);
    let v = vec![Violation {
        credit_code: URUMQI_CO.into(),
        date: d("2024-05-01"),
        kind: ViolationKind::Violation,
        description: String::new(),
    }];
    assert_eq!(store.upsert(&v).await.unwrap(), 1);
    assert_eq!(store.upsert(&v).await.unwrap(), 0);
}

#[tokio::test]
async fn a_licence_of_an_unknown_enterprise_is_refused_and_nothing_of_the_batch_lands() {
    let db = TestDb::new().await;
    let store = db.store().await;
    store
        .upsert(&[enterprise(URUMQI_CO, "650100", "650102")])
        .await
        .unwrap();
    let batch = vec![
        licence("XK-1", URUMQI_CO, "wire-rope", "2024-01-19"),
        licence("XK-2", YILI_CO, "wire-rope", "2024-01-19"),
    ];
    assert!(store.upsert(&batch).await.is_err());
    assert!(store.licence_holder("XK-1").await.unwrap().is_none());
}

#[tokio::test]
async fn an_expiry_before_the_grant_is_refused_by_the_schema() {
    let db = TestDb::new().await;
    let store = db.store().await;
    store
        .upsert(&[enterprise(URUMQI_CO, "650100", "650102")])
        .await
        .unwrap();
    let mut l = licence("XK-1", URUMQI_CO, "wire-rope", "2024-01-19");
    l.expiry = Some(d("2023-01-01"));
    assert!(store.upsert(&[l]).await.is_err());
}

#[tokio::test]
async fn subjects_carry_their_reviews_failed_checks_and_violations() {
    let db = TestDb::new().await;
    let store = db.store().await;
    store_two_enterprises(&store).await;
    let mut revoked = licence("XK-3", KARAMAY_CO, "fertilizer", "2022-01-04");
    revoked.status = LicenceStatus::Revoked;
    store
        .upsert(&[
            licence("XK-1", URUMQI_CO, "wire-rope", "2024-01-19"),
            licence("XK-2", KARAMAY_CO, "wire-rope", "2024-01-19"),
            revoked,
        ])
        .await
        .unwrap();
    store
        .upsert(&[OnsiteReview {
            licence_no: "XK-1".into(),
            review_date: d("2024-02-20"),
            outcome: ReviewOutcome::Rectify,
        }])
        .await
        .unwrap();
    let check = |category: &str, result| SpotCheck {
        check_id: None,
        credit_code: URUMQI_CO.into(),
        category: category.into(),
        check_date: d("2024-06-03"),
        result,
        items: None,
        campaign: Some("2024-06".into()),
        disposed: None,
    };
    store
        .upsert(&[
            check("wire-rope", CheckResult::Fail),
            check("fertilizer", CheckResult::Fail),
        ])
        .await
        .unwrap();

    let all = store.subjects(&Scope::default()).await.unwrap();
    assert_eq!(all.len(), 3);
    let active = store
        .subjects(&Scope {
            active_only: true,
            ..Scope::default()
        })
        .await
        .unwrap();
    assert_eq!(active.len(), 2);

    let urumqi = store
        .subjects(&Scope {
            prefecture: Some("650100".into()),
            ..Scope::default()
        })
        .await
        .unwrap();
    assert_eq!(urumqi.len(), 1);
    let s = &urumqi[0];
    assert_eq!(
        s.licence,
        licence("XK-1", URUMQI_CO, "wire-rope", "2024-01-19")
    );
    assert_eq!(
        (s.prefecture_name.as_str(), s.category_name.as_str()),
        ("乌鲁木齐市", "钢丝绳")
    );
    assert_eq!(s.facts.reviews.len(), 1);
    // Only the failure in the licence's own category counts.
    let dates: Vec<_> = s.facts.failed_checks.iter().map(|c| c.date).collect();
    assert_eq!(dates, vec![d("2024-06-03")]);
}

#[tokio::test]
async fn the_audit_log_keeps_who_did_what() {
    let db = TestDb::new().await;
    let store: Store = db.store().await;
    let entry = AuditEntry::now(
        "test",
        serde_json::json!({"file": "x.csv", "sha256": "ab"}),
        "ok",
    );
    store.audit(&entry).await.unwrap();
    let log = store.audit_log(5).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].actor, "test");
    assert_eq!(log[0].inputs["sha256"], "ab");
    assert_eq!(log[0].at.timestamp(), entry.at.timestamp());
}

/// What the catalog says `table` has: its secondary index names and (PostgreSQL) foreign keys.
/// The table's secondary indexes, and its keys: each foreign key's and the primary key's columns.
async fn indexes_and_keys(
    store: &licwatch::store::Store,
    table: &str,
) -> (Vec<String>, Vec<String>) {
    match store {
        licwatch::store::Store::Sqlite(pool) => {
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 \
                 AND sql IS NOT NULL ORDER BY name",
            )
            .bind(table)
            .fetch_all(pool)
            .await
            .unwrap();
            let keys: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT 'foreign ' || \"from\" FROM pragma_foreign_key_list('{table}') \
                 UNION ALL SELECT 'primary ' || name FROM pragma_table_info('{table}') WHERE pk > 0 \
                 ORDER BY 1"
            )))
            .fetch_all(pool)
            .await
            .unwrap();
            (names, keys)
        }
        licwatch::store::Store::Postgres(pool) => {
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT indexname::text FROM pg_indexes WHERE tablename = $1 AND indexname NOT IN \
                 (SELECT conname FROM pg_constraint) ORDER BY indexname",
            )
            .bind(table)
            .fetch_all(pool)
            .await
            .unwrap();
            let keys: Vec<String> = sqlx::query_scalar(
                "SELECT CASE contype WHEN 'f' THEN 'foreign ' ELSE 'primary ' END || \
                 (SELECT string_agg(attname, ',') FROM pg_attribute \
                  WHERE attrelid = conrelid AND attnum = ANY (conkey)) \
                 FROM pg_constraint WHERE conrelid = $1::regclass AND contype IN ('f', 'p') ORDER BY 1",
            )
            .bind(table)
            .fetch_all(pool)
            .await
            .unwrap();
            (names, keys)
        }
    }
}

#[tokio::test]
async fn an_initial_load_puts_back_every_index_and_key_it_set_aside() {
    let db = TestDb::new().await;
    assert!(db.run(&["init"]).status.success());
    let store = db.store().await;
    let before = indexes_and_keys(&store, "spot_checks").await;
    assert_eq!(before.0, vec!["spot_checks_date", "spot_checks_enterprise"]);
    assert_eq!(
        before.1,
        vec![
            "foreign category",
            "foreign credit_code",
            "primary check_key"
        ]
    );
    // Both tables are empty: each file is a direct load, which sets the indexes and foreign keys
    // aside and puts them back before it commits.
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let out = db.run(&[
        "ingest",
        examples.join("enterprises.csv").to_str().unwrap(),
        examples.join("spot-checks.xlsx").to_str().unwrap(),
    ]);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(3),
        "{}",
        stderr(&out)
    );
    let checks: i64 = match &store {
        licwatch::store::Store::Sqlite(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM spot_checks")
                .fetch_one(pool)
                .await
                .unwrap()
        }
        licwatch::store::Store::Postgres(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM spot_checks")
                .fetch_one(pool)
                .await
                .unwrap()
        }
    };
    assert!(checks > 0, "the spot checks landed");
    assert_eq!(indexes_and_keys(&store, "spot_checks").await, before);
}

/// Writes spot-check rows (after the header) as `name` and ingests them: every row lands.
fn ingest_checks(db: &TestDb, name: &str, rows: &str) {
    let header = "check_id,credit_code,category,check_date,result\n";
    let path = write(db, name, &format!("{header}{rows}"));
    assert_eq!(ingest(db, &[&path]).0, Some(0));
}

/// A derived table's lines as kept (`kept`) and as computed afresh from the record tables (`fresh`).
async fn kept_and_fresh<T>(
    store: &Store,
    kept: &'static str,
    fresh: &'static str,
) -> (Vec<T>, Vec<T>)
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    match store {
        Store::Sqlite(pool) => (
            sqlx::query_as(kept).fetch_all(pool).await.unwrap(),
            sqlx::query_as(fresh).fetch_all(pool).await.unwrap(),
        ),
        Store::Postgres(pool) => (
            sqlx::query_as(kept).fetch_all(pool).await.unwrap(),
            sqlx::query_as(fresh).fetch_all(pool).await.unwrap(),
        ),
    }
}

/// Asserts the failed checks the deadline rules read, as (enterprise, check date, first later
/// pass), and that they equal the same computed afresh from `spot_checks`.
async fn assert_failed_checks(store: &Store, expected: &[(&str, &str, Option<&str>)]) {
    type Line = (String, String, Option<String>);
    const KEPT: &str = "SELECT credit_code, CAST(check_date AS TEXT), CAST(passed_after AS TEXT) \
                        FROM failed_checks ORDER BY 1, 2";
    const FRESH: &str = "SELECT s.credit_code, CAST(s.check_date AS TEXT), \
        CAST((SELECT MIN(p.check_date) FROM spot_checks p WHERE p.credit_code = s.credit_code \
              AND p.category = s.category AND p.result = 'pass' AND p.check_date > s.check_date) AS TEXT) \
        FROM spot_checks s WHERE s.result = 'fail' ORDER BY 1, 2";
    let (kept, fresh): (Vec<Line>, Vec<Line>) = kept_and_fresh(store, KEPT, FRESH).await;
    let expected: Vec<Line> = expected
        .iter()
        .map(|(c, d, p)| (c.to_string(), d.to_string(), p.map(str::to_string)))
        .collect();
    assert_eq!(kept, expected);
    assert_eq!(kept, fresh, "the kept table differs from spot_checks");
}

#[tokio::test]
async fn every_load_keeps_the_failed_checks_and_their_closing_pass_in_step() {
    let db = TestDb::new().await;
    let store = db.store().await;
    store_two_enterprises(&store).await;
    // The initial load (an empty table) computes the whole derived table.
    ingest_checks(
        &db,
        "checks-1.csv",
        &format!(
            "C1,{URUMQI_CO},钢丝绳,2025-01-10,fail\nC2,{URUMQI_CO},钢丝绳,2025-03-01,pass\n\
             C3,{KARAMAY_CO},钢丝绳,2025-02-01,fail\n"
        ),
    );
    assert_failed_checks(
        &store,
        &[
            (KARAMAY_CO, "2025-02-01", None),
            (URUMQI_CO, "2025-01-10", Some("2025-03-01")),
        ],
    )
    .await;
    // A merge: C2 corrected to a failure, C3 moved to the other enterprise (its old group must
    // lose it), and a new pass that closes all three.
    ingest_checks(
        &db,
        "checks-2.csv",
        &format!(
            "C2,{URUMQI_CO},钢丝绳,2025-03-01,fail\nC3,{URUMQI_CO},钢丝绳,2025-02-01,fail\n\
             C4,{URUMQI_CO},钢丝绳,2025-05-01,pass\n"
        ),
    );
    let closed = [
        (URUMQI_CO, "2025-01-10", Some("2025-05-01")),
        (URUMQI_CO, "2025-02-01", Some("2025-05-01")),
        (URUMQI_CO, "2025-03-01", Some("2025-05-01")),
    ];
    assert_failed_checks(&store, &closed).await;
    // Rows written directly (the demo's path) recompute it too.
    let late = SpotCheck {
        check_id: Some("C5".into()),
        credit_code: KARAMAY_CO.into(),
        category: "wire-rope".into(),
        check_date: d("2025-06-01"),
        result: CheckResult::Fail,
        items: None,
        campaign: None,
        disposed: None,
    };
    store.upsert(&[late]).await.unwrap();
    let mut all = vec![(KARAMAY_CO, "2025-06-01", None)];
    all.extend(closed);
    assert_failed_checks(&store, &all).await;
}

/// An initial load writes its derived tables from the rows it validated, not with their SQL: every
/// column of both must be what the SQL computes from the stored checks — passes on the day of a
/// failure (which do not close it), several failures and passes in a group, two categories, disposals.
#[tokio::test]
async fn an_initial_load_derives_what_the_sql_derives_from_the_stored_checks() {
    type Failed = (String, String, String, Option<String>, Option<String>);
    const FAILED: &str = "SELECT credit_code, category, CAST(check_date AS TEXT), \
        CAST(disposed AS TEXT), CAST(passed_after AS TEXT) FROM failed_checks \
        ORDER BY 1, 2, 3, COALESCE(CAST(disposed AS TEXT), '')";
    const FAILED_FRESH: &str = "SELECT s.credit_code, s.category, CAST(s.check_date AS TEXT), \
        CAST(s.disposed AS TEXT), \
        CAST((SELECT MIN(p.check_date) FROM spot_checks p WHERE p.credit_code = s.credit_code \
              AND p.category = s.category AND p.result = 'pass' AND p.check_date > s.check_date) AS TEXT) \
        FROM spot_checks s WHERE s.result = 'fail' \
        ORDER BY 1, 2, 3, COALESCE(CAST(s.disposed AS TEXT), '')";
    type Count = (String, String, String, String, i64);
    const COUNTS: &str = "SELECT CAST(check_date AS TEXT), prefecture, category, result, \
        CAST(n AS BIGINT) FROM check_counts ORDER BY 1, 2, 3, 4";
    const COUNTS_FRESH: &str = "SELECT CAST(s.check_date AS TEXT), e.prefecture, s.category, \
        s.result, COUNT(*) FROM spot_checks s JOIN enterprises e ON e.credit_code = s.credit_code \
        GROUP BY s.check_date, e.prefecture, s.category, s.result ORDER BY 1, 2, 3, 4";

    let db = TestDb::new().await;
    let store = db.store().await;
    store_two_enterprises(&store).await;
    let (u, k) = (URUMQI_CO, KARAMAY_CO);
    let rows = format!(
        "check_id,credit_code,category,check_date,result,disposed\n\
         C01,{u},钢丝绳,2025-01-10,fail,\n\
         C02,{u},钢丝绳,2025-01-10,pass,\n\
         C03,{u},钢丝绳,2025-01-10,fail,2025-01-20\n\
         C04,{u},钢丝绳,2025-02-01,pass,\n\
         C05,{u},钢丝绳,2025-03-01,fail,\n\
         C06,{u},钢丝绳,2025-04-01,pass,\n\
         C07,{u},钢丝绳,2025-04-01,pass,\n\
         C08,{u},电线电缆,2025-01-15,pass,\n\
         C09,{u},电线电缆,2025-02-01,fail,\n\
         C10,{k},钢丝绳,2025-02-01,fail,\n\
         C11,{k},钢丝绳,2025-01-10,pass,\n\
         C12,{k},电线电缆,2025-01-10,fail,2025-03-03\n\
         C13,{k},电线电缆,2025-05-05,pass,\n"
    );
    let path = write(&db, "checks.csv", &rows);
    assert_eq!(ingest(&db, &[&path]).0, Some(0));

    let (failed, fresh): (Vec<Failed>, Vec<Failed>) =
        kept_and_fresh(&store, FAILED, FAILED_FRESH).await;
    assert_eq!(failed, fresh);
    let line = |c: &str, cat: &str, d: &str, disposed: Option<&str>, pass: Option<&str>| {
        let owned = |s: Option<&str>| s.map(str::to_string);
        (c.into(), cat.into(), d.into(), owned(disposed), owned(pass))
    };
    assert_eq!(
        failed,
        vec![
            line(
                k,
                "wire-cable",
                "2025-01-10",
                Some("2025-03-03"),
                Some("2025-05-05")
            ),
            line(k, "wire-rope", "2025-02-01", None, None),
            line(u, "wire-cable", "2025-02-01", None, None),
            line(u, "wire-rope", "2025-01-10", None, Some("2025-02-01")),
            line(
                u,
                "wire-rope",
                "2025-01-10",
                Some("2025-01-20"),
                Some("2025-02-01")
            ),
            line(u, "wire-rope", "2025-03-01", None, Some("2025-04-01")),
        ]
    );
    let (counts, fresh): (Vec<Count>, Vec<Count>) =
        kept_and_fresh(&store, COUNTS, COUNTS_FRESH).await;
    assert_eq!(counts, fresh);
    let count =
        |d: &str, p: &str, cat: &str, r: &str, n| (d.into(), p.into(), cat.into(), r.into(), n);
    assert_eq!(counts.len(), 11);
    assert!(counts.contains(&count("2025-01-10", "650100", "wire-rope", "fail", 2)));
    assert!(counts.contains(&count("2025-04-01", "650100", "wire-rope", "pass", 2)));
    assert!(counts.contains(&count("2025-02-01", "650200", "wire-rope", "fail", 1)));
}

/// Asserts the spot checks counted per day the risk model reads, as (day, prefecture, result,
/// count), and that they equal the same counted afresh from `spot_checks` and `enterprises`.
async fn assert_check_counts(store: &Store, expected: &[(&str, &str, &str, i64)]) {
    type Line = (String, String, String, i64);
    const KEPT: &str = "SELECT CAST(check_date AS TEXT), prefecture, result, CAST(n AS BIGINT) \
                        FROM check_counts ORDER BY 1, 2, 3";
    const FRESH: &str = "SELECT CAST(s.check_date AS TEXT), e.prefecture, s.result, COUNT(*) \
        FROM spot_checks s JOIN enterprises e ON e.credit_code = s.credit_code \
        GROUP BY s.check_date, e.prefecture, s.result ORDER BY 1, 2, 3";
    let (kept, fresh): (Vec<Line>, Vec<Line>) = kept_and_fresh(store, KEPT, FRESH).await;
    let expected: Vec<Line> = expected
        .iter()
        .map(|(d, p, r, n)| (d.to_string(), p.to_string(), r.to_string(), *n))
        .collect();
    assert_eq!(kept, expected);
    assert_eq!(kept, fresh, "the kept counts differ from spot_checks");
}

#[tokio::test]
async fn the_check_counts_follow_every_load_of_checks_and_every_enterprise_that_moves() {
    let db = TestDb::new().await;
    let store = db.store().await;
    store_two_enterprises(&store).await;
    // The initial load counts every day.
    ingest_checks(
        &db,
        "checks-1.csv",
        &format!(
            "C1,{URUMQI_CO},钢丝绳,2025-01-10,fail\nC2,{URUMQI_CO},钢丝绳,2025-01-10,pass\n\
             C3,{KARAMAY_CO},钢丝绳,2025-01-10,fail\nC4,{KARAMAY_CO},钢丝绳,2025-02-01,pass\n"
        ),
    );
    assert_check_counts(
        &store,
        &[
            ("2025-01-10", "650100", "fail", 1),
            ("2025-01-10", "650100", "pass", 1),
            ("2025-01-10", "650200", "fail", 1),
            ("2025-02-01", "650200", "pass", 1),
        ],
    )
    .await;
    // A merge moves C1 to another day (its old day must lose it) and corrects C2 to a failure.
    ingest_checks(
        &db,
        "checks-2.csv",
        &format!("C1,{URUMQI_CO},钢丝绳,2025-03-01,fail\nC2,{URUMQI_CO},钢丝绳,2025-01-10,fail\n"),
    );
    let merged = [
        ("2025-01-10", "650100", "fail", 1),
        ("2025-01-10", "650200", "fail", 1),
        ("2025-02-01", "650200", "pass", 1),
        ("2025-03-01", "650100", "fail", 1),
    ];
    assert_check_counts(&store, &merged).await;
    // The same rows again in another order (a file of the same digest is skipped): a merge that
    // changes no row leaves the counts as they are.
    ingest_checks(
        &db,
        "checks-2-again.csv",
        &format!("C2,{URUMQI_CO},钢丝绳,2025-01-10,fail\nC1,{URUMQI_CO},钢丝绳,2025-03-01,fail\n"),
    );
    assert_check_counts(&store, &merged).await;
    // The Karamay enterprise moves to Urumqi: its checks are counted there, on every day.
    let moved = write(
        &db,
        "enterprises.csv",
        &format!(
            "统一社会信用代码,企业名称,所属地州市,所属区县\n{KARAMAY_CO},克拉玛依搬迁企业,乌鲁木齐市,天山区\n"
        ),
    );
    assert_eq!(ingest(&db, &[&moved]).0, Some(0));
    let after_move = [
        ("2025-01-10", "650100", "fail", 2),
        ("2025-02-01", "650100", "pass", 1),
        ("2025-03-01", "650100", "fail", 1),
    ];
    assert_check_counts(&store, &after_move).await;
    // Rows written directly (the demo's path) recount it too.
    let late = SpotCheck {
        check_id: Some("C5".into()),
        credit_code: URUMQI_CO.into(),
        category: "wire-rope".into(),
        check_date: d("2025-03-01"),
        result: CheckResult::Fail,
        items: None,
        campaign: None,
        disposed: None,
    };
    store.upsert(&[late]).await.unwrap();
    assert_check_counts(
        &store,
        &[
            ("2025-01-10", "650100", "fail", 2),
            ("2025-02-01", "650100", "pass", 1),
            ("2025-03-01", "650100", "fail", 2),
        ],
    )
    .await;
}

/// A certificate whose products differ in status (one revoked on its own, 一企一证): a read of
/// every status holds the very subject an active-only read gives, so the weekly report (every
/// status) flags what `deadlines` and the alerts (active only) flag.
#[tokio::test]
async fn a_product_revoked_on_its_own_leaves_the_licences_active_subject_as_it_is() {
    let db = TestDb::new().await;
    let store = db.store().await;
    store_two_enterprises(&store).await;
    let mut revoked = licence("XK-4", URUMQI_CO, "fertilizer", "2024-01-19");
    revoked.status = LicenceStatus::Revoked;
    store
        .upsert(&[
            licence("XK-4", URUMQI_CO, "wire-rope", "2024-01-19"),
            licence("XK-4", URUMQI_CO, "wire-cable", "2024-01-19"),
            revoked,
        ])
        .await
        .unwrap();
    store
        .upsert(&[SpotCheck {
            check_id: None,
            credit_code: URUMQI_CO.into(),
            category: "wire-rope".into(),
            check_date: d("2024-06-03"),
            result: CheckResult::Fail,
            items: None,
            campaign: None,
            disposed: None,
        }])
        .await
        .unwrap();
    store
        .upsert(&[OnsiteReview {
            licence_no: "XK-4".into(),
            review_date: d("2024-02-20"),
            outcome: ReviewOutcome::Rectify,
        }])
        .await
        .unwrap();
    let (every_status, active_only) = (
        Scope::default(),
        Scope {
            active_only: true,
            ..Scope::default()
        },
    );
    let every = store.subjects(&every_status).await.unwrap();
    let active = store.subjects(&active_only).await.unwrap();
    let statuses: Vec<LicenceStatus> = every.iter().map(|s| s.licence.status).collect();
    assert_eq!(statuses, [LicenceStatus::Active, LicenceStatus::Revoked]);
    assert_eq!(active.len(), 1);
    assert_eq!(format!("{:?}", every[0]), format!("{:?}", active[0]));
    assert_eq!(active[0].facts.failed_checks.len(), 1);
    assert_eq!(active[0].facts.reviews.len(), 1);
    assert_eq!(every[1].category_name, "化肥");
}
