//! `licwatch ingest` end to end on a real store: the formats bureaus send, validation with
//! quarantine, re-ingest as a no-op, unreadable files applying nothing, inbox and SQL sources.

use std::path::{Path, PathBuf};

use crate::common::*;
use serde_json::Value;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn example_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(examples())
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    files.sort();
    files
}

fn by_file<'a>(rows: &'a [Value], suffix: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["file"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no summary for {suffix}: {rows:?}"))
}

#[tokio::test]
async fn every_example_kind_loads_in_reference_order_and_reingest_changes_nothing() {
    let db = TestDb::new().await;
    let files = example_files();
    // Given in reverse, so licences come before the enterprises they name: the load order fixes it.
    let mut reversed: Vec<&str> = files.iter().map(String::as_str).collect();
    reversed.reverse();
    let (code, rows, err) = ingest(&db, &reversed);
    assert_eq!(code, Some(0), "{rows:?} {err}");
    let kinds: Vec<&str> = rows.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "enterprises",
            "licences",
            "onsite-reviews",
            "inspectors",
            "spot-checks",
            "conflicts",
            "violations"
        ]
    );
    assert_eq!(
        by_file(&rows, "licences-gbk.csv")["format"],
        "csv (gb18030)"
    );
    assert_eq!(by_file(&rows, "spot-checks.xlsx")["inserted"], 4);
    assert!(
        rows.iter()
            .all(|r| r["rejected"] == 0 && r["inserted"] == r["read"])
    );

    let (code, again, _) = ingest(&db, &reversed);
    assert_eq!(code, Some(0));
    assert!(
        again
            .iter()
            .all(|r| r["inserted"] == 0 && r["updated"] == 0 && r["unchanged"] == r["read"]),
        "{again:?}"
    );

    // What was loaded drives the deadlines: the GBK licence file's Chinese dates were read right.
    let out = db.run(&[
        "show",
        "licence",
        "XK13-6501-000001",
        "--as-of",
        "2024-03-07",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["licences"][0]["licence"]["grant_date"], "2024-01-19");
    assert_eq!(v["licences"][0]["reviews"][0]["outcome"], "rectify");
    let store = db.store().await;
    let log = store.audit_log(20).await.unwrap();
    assert!(
        log.iter().any(|e| e.actor == "cli:ingest"
            && e.inputs["sha256"].as_str().is_some_and(|d| d.len() == 64))
    );
}

const HEADER: &str = "统一社会信用代码,企业名称,所属地州市,所属区县,地址,联系邮箱\n";

#[tokio::test]
async fn good_rows_land_bad_rows_are_quarantined_with_file_row_field_and_reason() {
    let db = TestDb::new().await;
    let csv = format!(
        "{HEADER}\
         {URUMQI_CO},天山钢丝绳厂,乌鲁木齐市,天山区,,\n\
         91350100M000100Y44,坏代码厂,乌鲁木齐市,天山区,,\n\
         {KARAMAY_CO},\"=HYPERLINK(\"\"http://x\"\")\",克拉玛依,克拉玛依区,,\n\
         {URUMQI_CO},重复行,乌鲁木齐市,天山区,,\n\
         {YILI_CO},\"伊犁\n西域公司\",伊犁哈萨克自治州,伊宁市,\"伊宁市, 解放路\",\n"
    );
    let file = write(&db, "mixed.csv", csv.as_bytes());
    let (code, rows, err) = ingest(&db, &[&file]);
    assert_eq!(code, Some(3), "{err}");
    let s = &rows[0];
    assert_eq!(
        (
            s["read"].as_u64(),
            s["inserted"].as_u64(),
            s["rejected"].as_u64()
        ),
        (Some(5), Some(2), Some(3))
    );
    assert!(
        err.contains("mixed.csv: row 3 credit_code: 统一社会信用代码 '91350100M000100Y44'"),
        "{err}"
    );
    assert!(err.contains("row 4 prefecture"), "{err}");
    assert!(err.contains("row 5: repeats the key of row 2"), "{err}");

    let rejects_file = s["rejects_file"].as_str().unwrap();
    let text = std::fs::read_to_string(db.dir.path().join(rejects_file)).unwrap();
    assert!(text.starts_with('\u{feff}'), "BOM for Excel");
    assert!(
        text.contains("mixed.csv,3,credit_code,91350100M000100Y44"),
        "{text}"
    );

    let store = db.store().await;
    let digest = s["digest"].as_str().unwrap();
    let quarantined = store.quarantined(digest).await.unwrap();
    assert_eq!(quarantined.len(), 3);
    assert_eq!(
        store.enterprise(YILI_CO).await.unwrap().unwrap().name,
        "伊犁\n西域公司"
    );

    // Quarantine is idempotent: the same file again adds nothing.
    let (code, _, _) = ingest(&db, &[&file]);
    assert_eq!(code, Some(3));
    assert_eq!(store.quarantined(digest).await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_corrected_file_updates_what_changed() {
    let db = TestDb::new().await;
    let v1 = write(
        &db,
        "e1.csv",
        format!("{HEADER}{URUMQI_CO},甲厂,650100,650102,,\n{KARAMAY_CO},乙厂,650200,650203,,\n")
            .as_bytes(),
    );
    let v2 = write(
        &db,
        "e2.csv",
        format!(
            "{HEADER}{URUMQI_CO},甲厂,650100,650102,,\n{KARAMAY_CO},乙厂（更名）,650200,650203,,\n"
        )
        .as_bytes(),
    );
    assert_eq!(ingest(&db, &[&v1]).0, Some(0));
    let (code, rows, _) = ingest(&db, &[&v2]);
    assert_eq!(code, Some(0));
    assert_eq!(
        (rows[0]["updated"].as_u64(), rows[0]["unchanged"].as_u64()),
        (Some(1), Some(1))
    );
    let store = db.store().await;
    assert_eq!(
        store.enterprise(KARAMAY_CO).await.unwrap().unwrap().name,
        "乙厂（更名）"
    );
}

#[tokio::test]
async fn unreadable_inputs_apply_nothing_and_the_worst_exit_code_wins() {
    let db = TestDb::new().await;
    let good = write(
        &db,
        "good.csv",
        format!("{HEADER}{URUMQI_CO},甲厂,650100,650102,,\n").as_bytes(),
    );
    let garbage = write(
        &db,
        "garbage.csv",
        &[0x50, 0x00, 0xff, 0xfe, 0x00, 0x13, 0x37],
    );
    let unknown = write(&db, "unknown.csv", b"foo,bar\n1,2\n");
    let xlsx = std::fs::read(examples().join("spot-checks.xlsx")).unwrap();
    let truncated = write(&db, "truncated.xlsx", &xlsx[..xlsx.len() / 2]);
    let broken_json = write(
        &db,
        "broken.jsonl",
        format!("{{\"credit_code\": \"{KARAMAY_CO}\", \"name\": \"乙\", \"prefecture\": \"650200\", \"county\": \"650203\"}}\n{{\"credit_code\": \n").as_bytes(),
    );
    let (code, rows, _) = ingest(&db, &[&good, &garbage, &unknown, &truncated, &broken_json]);
    assert_eq!(code, Some(1));
    assert_eq!(by_file(&rows, "good.csv")["status"], "ok");
    assert!(
        by_file(&rows, "garbage.csv")["message"]
            .as_str()
            .unwrap()
            .contains("binary")
    );
    assert!(
        by_file(&rows, "unknown.csv")["message"]
            .as_str()
            .unwrap()
            .contains("no known column")
    );
    assert_eq!(by_file(&rows, "truncated.xlsx")["status"], "failed");
    let broken = by_file(&rows, "broken.jsonl");
    assert_eq!(broken["status"], "failed");
    assert!(
        broken["message"].as_str().unwrap().starts_with("row 3"),
        "{broken}"
    );
    let store = db.store().await;
    assert!(store.enterprise(URUMQI_CO).await.unwrap().is_some());
    assert!(
        store.enterprise(KARAMAY_CO).await.unwrap().is_none(),
        "nothing of the broken file applied"
    );
}

#[tokio::test]
async fn a_100_mb_field_is_a_rejected_row_not_a_crash() {
    let db = TestDb::new().await;
    let mut csv = format!("{HEADER}{URUMQI_CO},\"").into_bytes();
    csv.extend(std::iter::repeat_n(b'x', 100 * 1024 * 1024));
    csv.extend_from_slice(
        format!("\",650100,650102,,\n{KARAMAY_CO},乙厂,650200,650203,,\n").as_bytes(),
    );
    let file = write(&db, "huge.csv", &csv);
    drop(csv);
    let (code, rows, err) = ingest(&db, &[&file]);
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(
        (rows[0]["inserted"].as_u64(), rows[0]["rejected"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(err.contains("row 2 name: longer than"), "{err}");
}

#[tokio::test]
async fn wrong_encoding_asked_for_is_reported_per_row() {
    let db = TestDb::new().await;
    let text = format!("{HEADER}{URUMQI_CO},天山厂,650100,650102,,\n");
    let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
    let file = write(&db, "gbk.csv", &bytes);
    let out = db.run(&[
        "ingest",
        "--encoding",
        "utf-8",
        "--kind",
        "enterprises",
        &file,
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the Chinese header cannot be read as UTF-8: {}",
        stderr(&out)
    );
    let (code, rows, _) = ingest(&db, &[&file]);
    assert_eq!((code, rows[0]["inserted"].as_u64()), (Some(0), Some(1)));
}

#[tokio::test]
async fn parquet_from_a_data_platform() {
    use polars::prelude::*;
    let db = TestDb::new().await;
    assert_eq!(
        ingest(&db, &[examples().join("enterprises.csv").to_str().unwrap()]).0,
        Some(0)
    );
    let mut df = df!(
        "credit_code" => ["91650102MA77ABCD1L", "91650203MA78XYW12Q"],
        "date" => [chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(), chrono::NaiveDate::from_ymd_opt(2025, 4, 2).unwrap()],
        "kind" => ["违法", "serious_dishonesty"],
    )
    .unwrap();
    let path = db.dir.path().join("violations.parquet");
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    let (code, rows, err) = ingest(&db, &[path.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        (rows[0]["kind"].as_str(), rows[0]["inserted"].as_u64()),
        (Some("violations"), Some(2))
    );
}

#[tokio::test]
async fn inbox_loads_each_content_once_and_sorts_files_out() {
    let db = TestDb::new().await;
    let inbox = db.dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    for name in ["enterprises.csv", "licences-gbk.csv"] {
        std::fs::copy(examples().join(name), inbox.join(name)).unwrap();
        settle(&inbox.join(name));
    }
    std::fs::write(inbox.join("junk.csv"), b"foo,bar\n").unwrap();
    settle(&inbox.join("junk.csv"));
    let out = db.run(&[
        "ingest",
        "--inbox",
        inbox.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(inbox.join("processed/enterprises.csv").exists());
    assert!(inbox.join("processed/licences-gbk.csv").exists());
    assert!(inbox.join("failed/junk.csv").exists());
    assert_eq!(
        std::fs::read_dir(&inbox)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_file())
            .count(),
        0
    );

    // The same content dropped in again under another name is not loaded twice.
    std::fs::copy(examples().join("enterprises.csv"), inbox.join("again.csv")).unwrap();
    settle(&inbox.join("again.csv"));
    let out = db.run(&[
        "ingest",
        "--inbox",
        inbox.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(rows[0]["status"], "skipped");
    assert!(inbox.join("processed/again.csv").exists());
}

#[tokio::test]
async fn rows_pulled_from_another_database_by_sql() {
    let db = TestDb::new().await;
    let source = db.dir.path().join("source.db");
    let url = format!("sqlite://{}?mode=rwc", source.display());
    {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE qy (tyshxydm TEXT, mc TEXT, ds TEXT, qx TEXT, clrq DATE)")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO qy VALUES ($1, '甲厂', '乌鲁木齐市', '天山区', '2020-01-01'), ('bad', '乙厂', '650100', '650102', NULL)")
            .bind(URUMQI_CO)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let query = "SELECT tyshxydm AS 统一社会信用代码, mc AS 企业名称, ds AS 所属地州市, qx AS 所属区县 FROM qy";
    let out = db.run(&[
        "ingest",
        "--source-url",
        &url,
        "--query",
        query,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let rows: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (rows[0]["kind"].as_str(), rows[0]["inserted"].as_u64()),
        (Some("enterprises"), Some(1))
    );
    let out = db.run(&[
        "ingest",
        "--source-url",
        &url,
        "--query",
        query,
        "--format",
        "json",
    ]);
    let rows: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(rows[0]["unchanged"].as_u64(), Some(1));
}
