//! `licwatch draw` on a real store: recorded, verifiable, refused twice without a reason, honest
//! when a check cannot be staffed.

use std::path::{Path, PathBuf};

use crate::common::*;
use licwatch::draw::record::RecordText;
use licwatch::model::Procedure;

fn plan_file(db: &TestDb, extra: &str) -> String {
    let path = db.dir.path().join("plan.toml");
    std::fs::write(
        &path,
        format!("campaign = \"{{year}}-{{month}}\"\nname = \"测试抽查\"\n{extra}"),
    )
    .unwrap();
    path.display().to_string()
}

/// Freezes the plan's campaign as of `as_of`, before any seed (`draw freeze`).
fn freeze(db: &TestDb, plan: &str, as_of: &str) {
    let out = db.run(&[
        "draw",
        "freeze",
        "--plan",
        plan,
        "--as-of",
        as_of,
        "--seed-source",
        "{date} 福彩3D 开奖号码",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

fn record_of(db: &TestDb, stderr_text: &str) -> PathBuf {
    let dir = stderr_text
        .lines()
        .find_map(|l| l.split("record and reports in ").nth(1))
        .unwrap_or_else(|| panic!("no report dir in: {stderr_text}"));
    db.dir.path().join(dir.trim()).join("record.json")
}

#[tokio::test]
async fn a_draw_is_recorded_verified_and_tampering_is_caught() {
    let db = TestDb::new().await;
    assert!(db.run(&["demo", "--as-of", "2026-11-26"]).status.success());
    let plan = plan_file(&db, "");
    // Without a freeze the draw is refused, with the command to run.
    let unfrozen = db.run(&[
        "draw",
        "--plan",
        &plan,
        "--seed",
        "x",
        "--as-of",
        "2026-12-01",
    ]);
    assert_eq!(unfrozen.status.code(), Some(1));
    assert!(
        stderr(&unfrozen).contains("licwatch draw freeze"),
        "{}",
        stderr(&unfrozen)
    );
    freeze(&db, &plan, "2026-12-01");
    let out = db.run(&[
        "draw",
        "--plan",
        &plan,
        "--seed",
        "2026-12-01 07 21 33",
        "--as-of",
        "2026-12-01",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(
        rows.len() >= 17,
        "every category has its minimum: {}",
        rows.len()
    );
    assert!(rows.iter().all(|r| r["status"] == "staffed"));

    let record = record_of(&db, &stderr(&out));
    // The files were written into a folder of their own while the draw was stored; that folder
    // took the draw's name, and nothing of it is left beside.
    let week = record.parent().unwrap().parent().unwrap();
    let beside: Vec<_> = std::fs::read_dir(week)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions();
    assert_eq!(
        mode(record.parent().unwrap()),
        mode(week),
        "opens as the week's folder"
    );
    let verify = |path: &Path| db.run(&["draw", "verify", path.to_str().unwrap()]);
    let ok = verify(&record);
    assert_eq!(ok.status.code(), Some(0));
    assert!(stdout(&ok).starts_with("MATCH"), "{}", stdout(&ok));

    // The public record beside it verifies too, with no inspector's name, id or county in it.
    let public = record.with_file_name("public-record.json");
    let ok = verify(&public);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(
        stdout(&ok).contains("public record, inspectors under pseudonyms"),
        "{}",
        stdout(&ok)
    );
    let public_text = std::fs::read_to_string(&public).unwrap();
    assert!(!public_text.contains("pseudonym_key"));
    for row in &rows {
        let lead = row["lead"].as_str().unwrap(); // "姓名 (id)"
        let (name, id) = lead.trim_end_matches(')').split_once(" (").unwrap();
        assert!(
            !public_text.contains(&format!("\"{name}\""))
                && !public_text.contains(&format!("\"{id}\"")),
            "{lead} in the public record"
        );
    }
    // Its commitment was published before the seed: the freeze's plan notice carries the key's
    // digest and the public snapshot's.
    let freeze_notice = walk(db.dir.path())
        .into_iter()
        .find(|p| p.ends_with("freeze-2026-12/plan-notice.json"))
        .expect("the freeze's plan notice");
    let notice = std::fs::read_to_string(freeze_notice).unwrap();
    let notice: serde_json::Value = serde_json::from_str(&notice).unwrap();
    let published: serde_json::Value = serde_json::from_str(&public_text).unwrap();
    assert_eq!(
        notice["public"]["key_sha256"],
        published["pseudonymised"]["key_sha256"]
    );

    // The store keeps the record without its snapshot, which is the freeze's, stored once: the
    // two together are record.json byte for byte, under the digest the store and the notice name.
    let text = std::fs::read_to_string(&record).unwrap();
    let store = db.store().await;
    let (_, head, stored_sha256) = store.current_draw("2026-12").await.unwrap().unwrap();
    assert!(head.len() * 2 < text.len(), "the head holds no snapshot");
    let frozen = store.freeze_of("2026-12").await.unwrap().unwrap();
    let whole = RecordText::new(head, frozen.snapshot);
    let mut bytes = Vec::new();
    whole.write_to(&mut bytes).unwrap();
    assert_eq!(String::from_utf8(bytes).unwrap(), text.trim_end());
    assert_eq!(whole.digest(), stored_sha256);
    let notice = std::fs::read_to_string(record.with_file_name("plan-notice.json")).unwrap();
    let notice: serde_json::Value = serde_json::from_str(&notice).unwrap();
    assert_eq!(notice["record_sha256"], stored_sha256.as_str());

    let tampered = db.dir.path().join("tampered.json");
    std::fs::write(&tampered, text.replacen("07 21 33", "07 21 34", 1)).unwrap();
    let bad = verify(&tampered);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stdout(&bad).starts_with("MISMATCH") && stdout(&bad).contains("seed digest"),
        "{}",
        stdout(&bad)
    );

    // Results are published once checks are recorded under the campaign's 任务编号.
    let first = &rows[0];
    let code = first["credit_code"].as_str().unwrap();
    let category = store
        .catalogue()
        .await
        .unwrap()
        .resolve(first["category"].as_str().unwrap())
        .unwrap()
        .code
        .clone();
    store
        .upsert(&[licwatch::model::SpotCheck {
            check_id: Some("CC-2026-12-1".into()),
            credit_code: code.into(),
            category,
            check_date: d("2026-12-10"),
            result: licwatch::model::CheckResult::Fail,
            items: Some("标志和说明".into()),
            campaign: Some("2026-12".into()),
            disposed: None,
        }])
        .await
        .unwrap();
    let out = db.run(&["draw", "results", "2026-12", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let published: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0]["result"], "不合格");
    assert!(
        !stdout(&out).contains("检查员") && !stdout(&out).contains(first["lead"].as_str().unwrap())
    );

    // The plan notice publishes the seed's digest, never the seed or the drawn list.
    let notice = std::fs::read_to_string(record.with_file_name("plan-notice.json")).unwrap();
    assert!(notice.contains("seed_sha256") && !notice.contains("07 21 33"));
    assert!(!notice.contains(rows[0]["credit_code"].as_str().unwrap()));

    // Every inspector's own checks in one file beside the record: a line per member of each team.
    let lists = std::fs::read_to_string(record.with_file_name("inspectors.csv")).unwrap();
    assert!(lists.starts_with("\u{feff}检查人员,产品类别,"), "{lists}");
    let staffed = rows.iter().filter(|r| r["status"] == "staffed");
    let members: usize = staffed
        .map(|r| r["team"].as_str().unwrap().split("; ").count())
        .sum();
    assert_eq!(lists.lines().count(), 1 + members);
    let (lead, code) = (
        rows[0]["lead"].as_str().unwrap(),
        rows[0]["credit_code"].as_str().unwrap(),
    );
    assert!(
        lists
            .lines()
            .any(|l| l.starts_with(&format!("{lead},")) && l.contains(code))
    );
}

#[tokio::test]
async fn a_second_draw_needs_a_reason_and_both_are_kept() {
    let db = TestDb::new().await;
    assert!(db.run(&["demo", "--as-of", "2026-11-26"]).status.success());
    let plan = plan_file(&db, "");
    freeze(&db, &plan, "2026-12-01");
    let draw = |extra: &[&str]| {
        let mut args = vec![
            "draw",
            "--plan",
            &plan,
            "--seed",
            "s",
            "--as-of",
            "2026-12-01",
        ];
        args.extend_from_slice(extra);
        db.run(&args)
    };
    assert_eq!(draw(&[]).status.code(), Some(0));
    let again = draw(&[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("--redraw --reason"),
        "{}",
        stderr(&again)
    );
    let redraw = draw(&["--redraw", "--reason", "公证员未到场"]);
    assert_eq!(redraw.status.code(), Some(0), "{}", stderr(&redraw));

    let store = db.store().await;
    assert_eq!(store.draws_of("2026-12").await.unwrap().len(), 2);
    let log = store.audit_log(10).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.actor == "draw:redraw" && e.inputs["reason"] == "公证员未到场")
    );
    // Records are immutable in the store, and so are the freezes that hold their snapshots.
    for sql in [
        "UPDATE draws SET seed_sha256 = 'x'",
        "DELETE FROM draws",
        "UPDATE draw_freezes SET snapshot = '{}'",
        "DELETE FROM draw_freezes",
    ] {
        let refused = match &store {
            licwatch::store::Store::Sqlite(pool) => sqlx::query(sql).execute(pool).await.err(),
            licwatch::store::Store::Postgres(pool) => sqlx::query(sql).execute(pool).await.err(),
        };
        let refused = refused.unwrap_or_else(|| panic!("{sql} went through"));
        assert!(
            refused.to_string().contains("immutable"),
            "{sql}: {refused}"
        );
    }
}

#[tokio::test]
async fn an_unstaffable_check_is_named_with_its_reason_and_exit_3() {
    let db = TestDb::new().await;
    let store = db.store().await;
    store_two_enterprises(&store).await;
    let mut rope = licence("XK-1", URUMQI_CO, "wire-rope", "2024-01-19");
    rope.procedure = Procedure::Standard;
    store
        .upsert(&[
            rope,
            licence("XK-2", KARAMAY_CO, "lifesaving", "2024-01-19"),
        ])
        .await
        .unwrap();
    store
        .upsert(&[
            inspector("I1", "654002", &["wire-rope"]),
            inspector("I2", "654003", &[]),
            inspector("I3", "654004", &[]),
        ])
        .await
        .unwrap();
    store.close().await;
    let plan = plan_file(&db, "[sampling]\ntier_b_percent = 100\n");
    freeze(&db, &plan, "2026-12-01");
    let out = db.run(&[
        "draw",
        "--plan",
        &plan,
        "--seed",
        "s",
        "--as-of",
        "2026-12-01",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("unstaffed {KARAMAY_CO} lifesaving")),
        "{err}"
    );
    assert!(err.contains("no active inspector is qualified"), "{err}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let staffed: Vec<_> = rows.iter().filter(|r| r["status"] == "staffed").collect();
    assert_eq!(staffed.len(), 1);
    assert!(staffed[0]["lead"].as_str().unwrap().contains("I1"));
}

#[tokio::test]
async fn bad_plans_and_missing_seeds_are_refused_before_anything_is_drawn() {
    let db = TestDb::new().await;
    let plan = plan_file(&db, "[teams]\nsize = 1\n");
    let out = db.run(&["draw", "--plan", &plan, "--seed", "s"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("at least two inspectors"),
        "{}",
        stderr(&out)
    );
    let plan = plan_file(&db, "");
    let missing = db.dir.path().join("seeds/2026-12.txt");
    let out = db.run(&[
        "draw",
        "--plan",
        &plan,
        "--seed-file",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("is not there yet"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn recorded_risk_tiers_drive_the_strata() {
    let db = TestDb::new().await;
    let store = db.store().await;
    store_two_enterprises(&store).await;
    store
        .upsert(&[
            licence("XK-1", URUMQI_CO, "wire-rope", "2024-01-19"),
            licence("XK-2", KARAMAY_CO, "wire-rope", "2024-01-19"),
        ])
        .await
        .unwrap();
    let inspectors: Vec<_> = (0..4)
        .map(|i| inspector(&format!("I{i}"), "654002", &["wire-rope"]))
        .collect();
    store.upsert(&inspectors).await.unwrap();
    // Tier D is drawn whole; tier A at 0 % is not drawn at all.
    store
        .set_tiers(
            "2026-W48",
            &[
                tier(URUMQI_CO, licwatch::draw::plan::Tier::D),
                tier(KARAMAY_CO, licwatch::draw::plan::Tier::A),
            ],
        )
        .await
        .unwrap();
    store.close().await;
    let plan = plan_file(
        &db,
        "[sampling]\ntier_a_percent = 0\nmin_per_category = 0\n",
    );
    freeze(&db, &plan, "2026-12-01");
    let out = db.run(&[
        "draw",
        "--plan",
        &plan,
        "--seed",
        "s",
        "--as-of",
        "2026-12-01",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0]["credit_code"].as_str(), rows[0]["tier"].as_str()),
        (Some(URUMQI_CO), Some("D"))
    );
}

fn tier(code: &str, tier: licwatch::draw::plan::Tier) -> licwatch::risk::EnterpriseTier {
    licwatch::risk::EnterpriseTier {
        credit_code: code.into(),
        tier,
        points: 0,
        reasons: String::new(),
    }
}
