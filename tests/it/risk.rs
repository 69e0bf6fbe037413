//! `licwatch risk` on a hand-built store: levels and ranks, the small-sample and no-check cases,
//! history per period (replaced, never duplicated) and the tiers the draw reads.

use crate::common::*;
use chrono::NaiveDate;
use licwatch::model::{CheckResult, SpotCheck, Violation, ViolationKind};

/// One spot check, `failed` or passed.
fn spot_check(id: String, code: &str, category: &str, day: NaiveDate, failed: bool) -> SpotCheck {
    SpotCheck {
        check_id: Some(id),
        credit_code: code.into(),
        category: category.into(),
        check_date: day,
        result: if failed {
            CheckResult::Fail
        } else {
            CheckResult::Pass
        },
        items: None,
        campaign: None,
        disposed: None,
    }
}

/// `n` checks a day apart from `from` (wrapping every 200 days), the first `failed` of them failed.
fn checks(code: &str, category: &str, n: usize, failed: usize, from: &str) -> Vec<SpotCheck> {
    (0..n)
        .map(|i| {
            let day = d(from) + chrono::Days::new((i % 200) as u64);
            spot_check(
                format!("{category}-{from}-{i}"),
                code,
                category,
                day,
                i < failed,
            )
        })
        .collect()
}

async fn hand_built(db: &TestDb) {
    let store = db.store().await;
    store_two_enterprises(&store).await;
    store
        .upsert(&[
            licence("XK-F1", URUMQI_CO, "fertilizer", "2020-03-02"),
            licence("XK-F2", KARAMAY_CO, "fertilizer", "2020-03-02"),
            licence("XK-R1", KARAMAY_CO, "wire-rope", "2020-03-02"),
            licence("XK-L1", URUMQI_CO, "lifesaving", "2020-03-02"),
        ])
        .await
        .unwrap();
    // 化肥: 40 failures in 400 checks this year; 钢丝绳: 1 in 2; 电线电缆: 6 in 600; 救生设备: none.
    let mut all = checks(KARAMAY_CO, "fertilizer", 400, 40, "2026-01-05");
    all.extend(checks(URUMQI_CO, "wire-cable", 600, 6, "2026-01-05"));
    all.extend(checks(KARAMAY_CO, "wire-rope", 2, 1, "2026-06-01"));
    store.upsert(&all).await.unwrap();
    store
        .upsert(&[Violation {
            credit_code: URUMQI_CO.into(),
            date: d("2025-05-01"),
            kind: ViolationKind::SeriousDishonesty,
            description: String::new(),
        }])
        .await
        .unwrap();
    store.close().await;
}

fn risk(db: &TestDb, as_of: &str) -> Vec<serde_json::Value> {
    let out = db.run(&["risk", "--as-of", as_of, "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn row<'a>(rows: &'a [serde_json::Value], code: &str) -> &'a serde_json::Value {
    rows.iter().find(|r| r["category_code"] == code).unwrap()
}

#[tokio::test]
async fn small_samples_and_empty_categories_are_flagged_not_called_safe() {
    let db = TestDb::new().await;
    hand_built(&db).await;
    let rows = risk(&db, "2026-11-27");
    assert_eq!(rows.len(), 17);
    for key in [
        "category_code",
        "category_name",
        "level",
        "level_label",
        "score",
        "rank",
        "insufficient_data",
    ] {
        assert!(rows[0].get(key).is_some(), "{key}");
    }
    let fertilizer = row(&rows, "fertilizer");
    assert_eq!(
        (
            fertilizer["checks"].as_u64(),
            fertilizer["failures"].as_u64()
        ),
        (Some(400), Some(40))
    );
    assert_eq!(fertilizer["insufficient_data"], false);
    // Region-wide rate 47/1002; 化肥 (40 + 50 × 47/1002) / 450.
    let expected = (40.0 + 50.0 * 47.0 / 1002.0) / 450.0;
    assert!((fertilizer["smoothed_failure_rate"].as_f64().unwrap() - expected).abs() < 1e-4);
    let rope = row(&rows, "wire-rope");
    assert_eq!(rope["insufficient_data"], true);
    assert!(
        rope["smoothed_failure_rate"].as_f64().unwrap()
            < fertilizer["smoothed_failure_rate"].as_f64().unwrap(),
        "1 in 2 does not outrank 40 in 400"
    );
    let lifesaving = row(&rows, "lifesaving");
    assert_eq!(lifesaving["checks"], 0);
    assert_eq!(lifesaving["insufficient_data"], true);
    assert!(
        lifesaving["level"].as_u64().unwrap() <= 3,
        "never 四级 without data"
    );
    // Ranks follow level then score; equal level and score share a rank.
    for pair in rows.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(a["level"].as_u64() <= b["level"].as_u64());
        if a["level"] == b["level"] && a["score"] == b["score"] {
            assert_eq!(a["rank"], b["rank"]);
        } else {
            assert!(a["rank"].as_u64() < b["rank"].as_u64());
        }
    }
    // The contributions add up to the score.
    for r in &rows {
        let sum: f64 = [
            "scale_contribution",
            "technical_contribution",
            "checks_contribution",
        ]
        .iter()
        .map(|k| r[k].as_f64().unwrap())
        .sum();
        assert!((sum - r["score"].as_f64().unwrap()).abs() < 0.06, "{r}");
    }
}

#[tokio::test]
async fn each_period_is_stored_once_and_the_next_shows_the_change() {
    let db = TestDb::new().await;
    hand_built(&db).await;
    let first = risk(&db, "2026-11-27");
    assert!(first.iter().all(|r| r["rank_change"].is_null()));
    let before = row(&first, "wire-rope").clone();
    risk(&db, "2026-11-26"); // the same ISO week again: replaces it
    let store = db.store().await;
    assert_eq!(store.risk_periods("all").await.unwrap(), vec!["2026-W48"]);

    // New failures for 钢丝绳 next week move it up.
    store
        .upsert(&checks(KARAMAY_CO, "wire-rope", 60, 30, "2026-10-01"))
        .await
        .unwrap();
    store.close().await;
    let next = risk(&db, "2026-12-04");
    let rope = row(&next, "wire-rope");
    assert_eq!(rope["previous_period"], "2026-W48");
    assert_eq!(rope["previous_rank"], before["rank"]);
    assert_eq!(
        rope["rank_change"].as_i64().unwrap(),
        before["rank"].as_i64().unwrap() - rope["rank"].as_i64().unwrap()
    );
    assert!(rope["score"].as_f64() > before["score"].as_f64(), "{rope}");
    assert_eq!(rope["insufficient_data"], false);
    assert!(rope["trend"].as_str().unwrap().starts_with("2026Q4:"));
    let store = db.store().await;
    assert_eq!(
        store.risk_periods("all").await.unwrap(),
        vec!["2026-W48", "2026-W49"]
    );
}

#[tokio::test]
async fn tiers_land_in_the_store_and_the_draw_reads_them() {
    let db = TestDb::new().await;
    hand_built(&db).await;
    risk(&db, "2026-11-27");
    let store = db.store().await;
    let snapshot = store
        .draw_snapshot(
            &licwatch::store::DrawScope::default(),
            d("2026-12-01"),
            "2026-W49",
        )
        .await
        .unwrap();
    let tier = |code: &str| {
        snapshot
            .units
            .iter()
            .find(|u| u.credit_code == code)
            .map(|u| u.tier)
            .unwrap()
    };
    use licwatch::draw::plan::Tier;
    // 乌鲁木齐: on the serious-dishonesty list. 克拉玛依: 41 failed checks this year.
    assert_eq!(tier(URUMQI_CO), Tier::D);
    assert_eq!(tier(KARAMAY_CO), Tier::D);
    let out = db.run(&[
        "risk",
        "--as-of",
        "2026-11-27",
        "--prefecture",
        "乌鲁木齐市",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        row(&rows, "fertilizer")["checks"],
        0,
        "Karamay's checks are not Urumqi's"
    );
    assert_eq!(
        store.risk_periods("650100").await.unwrap(),
        vec!["2026-W48"]
    );
}

#[tokio::test]
async fn a_category_whose_level_rises_is_a_warning_at_the_top_and_plans_show_per_category() {
    let db = TestDb::new().await;
    hand_built(&db).await;
    db.config("[risk.plans]\nfertilizer = \"每季度专项抽查，约谈不合格企业\"\n");
    let first = risk(&db, "2026-11-27");
    let plan = row(&first, "fertilizer")["measures"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(plan, "本类预案：每季度专项抽查，约谈不合格企业");
    assert!(
        !row(&first, "wire-rope")["measures"]
            .as_str()
            .unwrap()
            .contains("本类预案")
    );

    // 特种劳动防护用品, unchecked in W48 (数据不足, 三级), fails 30 of 60 checks: its level rises.
    assert_eq!(row(&first, "ppe")["level"], 3);
    let store = db.store().await;
    store
        .upsert(&checks(URUMQI_CO, "ppe", 60, 30, "2026-10-01"))
        .await
        .unwrap();
    store.close().await;
    let next = risk(&db, "2026-12-04");
    let rising = row(&next, "ppe");
    assert!(rising["level_change"].as_i64().unwrap() > 0, "{rising}");
    let out = db.run(&[
        "report",
        "risk",
        "--as-of",
        "2026-12-04",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let produced: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(produced[0]["title"].as_str().unwrap().contains("预警"));
    let html =
        std::fs::read_to_string(db.dir.path().join(produced[0]["file"].as_str().unwrap())).unwrap();
    let warning = html.find("【预警】").expect("the warning");
    assert!(warning < html.find("截至").unwrap(), "said first");
    assert!(
        html[warning..].starts_with("【预警】与上期相比，风险等级上升的类别：特种劳动防护用品")
    );
}

#[tokio::test]
async fn the_demo_ranking_says_something() {
    if engine() != "sqlite" {
        return; // a property of the demo's data, not of the engine
    }
    let db = TestDb::new().await;
    assert!(db.run(&["demo", "--as-of", "2026-11-26"]).status.success());
    let rows = json(&db.run(&["risk", "--as-of", "2026-11-26", "--format", "json"]));
    assert_eq!(rows.len(), 17);
    let thin: Vec<&str> = rows
        .iter()
        .filter(|r| r["insufficient_data"] == true)
        .map(|r| r["category_name"].as_str().unwrap())
        .collect();
    // Most categories are ranked on their own data; a few are deliberately thin.
    assert!((1..=4).contains(&thin.len()), "thin: {thin:?}");
    // The demo's rising category moved up a level against last week's stored ranking.
    let lifesaving = rows
        .iter()
        .find(|r| r["category_code"] == "lifesaving")
        .unwrap();
    assert_eq!(lifesaving["level_change"], 1, "{lifesaving}");
    let risen = rows
        .iter()
        .filter(|r| r["level_change"].as_i64().unwrap_or(0) > 0)
        .count();
    assert!(risen <= 2, "one category rises, not the board: {risen}");
    // Last week and the three quarter ends before it are stored: the trend has four quarters.
    assert_eq!(
        lifesaving["trend"].as_str().unwrap().matches(" → ").count(),
        3,
        "{lifesaving}"
    );
    let page = std::fs::read_to_string(
        db.dir
            .path()
            .join("reports/out/2026-W48/risk/产品风险排名-2026-W48.html"),
    )
    .unwrap();
    assert!(page.contains("【预警】"), "the warning shows");
    assert!(
        page.contains(r#"src="产品风险排名-2026-W48-ranking.png""#)
            && page.contains(r#"src="产品风险排名-2026-W48-quarters.png""#)
            && !page.contains("cid:"),
        "the page on disk shows the pictures beside it"
    );
}

/// The store sums the daily check counts per window in SQL; each day must land where the model's
/// own `Windows::of` puts it: a window's last day in, its first day in the window before, nothing
/// after `as_of` nor on or before the previous window's start — and only the prefecture asked for.
#[tokio::test]
async fn check_counts_are_summed_in_the_windows_the_model_puts_each_day() {
    use licwatch::risk::{Window, Windows};
    let db = TestDb::new().await;
    let store = db.store().await;
    store_two_enterprises(&store).await;
    let w = Windows::new(d("2026-11-27"), 12, None);
    let days = [
        "2026-11-28",
        "2026-11-27",
        "2026-06-01",
        "2025-11-28",
        "2025-11-27",
        "2025-03-01",
        "2024-11-28",
        "2024-11-27",
    ];
    // Day i has i + 1 checks in 克拉玛依市, of which the first fails, and one in 乌鲁木齐市.
    let check = |code: &str, category: &str, day: &str, n: usize, failed: bool| {
        spot_check(format!("{code}-{day}-{n}"), code, category, d(day), failed)
    };
    let mut all = Vec::new();
    for (i, day) in days.iter().enumerate() {
        all.extend((0..=i).map(|n| check(KARAMAY_CO, "fertilizer", day, n, n == 0)));
        all.push(check(URUMQI_CO, "wire-rope", day, 0, false));
    }
    store.upsert(&all).await.unwrap();
    // (window, failed) → checks, for 克拉玛依市's rows.
    let sums = |counts: &mut dyn Iterator<Item = (Window, bool, u64)>| {
        let mut out = [0u64; 4];
        for (window, failed, n) in counts {
            out[usize::from(window == Window::Current) * 2 + usize::from(failed)] += n;
        }
        out
    };
    let expected = sums(
        &mut all
            .iter()
            .filter(|c| c.credit_code == KARAMAY_CO)
            .filter_map(|c| Some((w.of(c.check_date)?, c.result == CheckResult::Fail, 1))),
    );
    // [previous passes, previous failures, current passes, current failures]
    assert_eq!(
        expected,
        [4 + 5 + 6, 3, 1 + 2 + 3, 3],
        "the fixture's own arithmetic"
    );
    let inputs = store.risk_inputs(Some("650200"), &w, None).await.unwrap();
    assert!(inputs.check_prefectures.iter().all(|p| p == "650200"));
    let got = sums(&mut inputs.checks.iter().map(|c| (c.window, c.failed, c.n)));
    assert_eq!(got, expected);
    let region = store.risk_inputs(None, &w, None).await.unwrap();
    let wire_rope: u64 = region
        .checks
        .iter()
        .filter(|c| c.category == "wire-rope")
        .map(|c| c.n)
        .sum();
    assert_eq!(
        wire_rope, 6,
        "乌鲁木齐市's checks of the six days in a window"
    );
    store.close().await;
}
