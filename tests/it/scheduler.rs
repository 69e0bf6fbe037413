//! The scheduler against a real store: replicas that run each tick once, a killed replica whose tick
//! another finishes without doubling a mail, each catch-up policy, and `run` claiming the same tick.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use chrono::{DateTime, DurationRound, Timelike, Utc};
use licwatch::model::RunStatus;

/// Short leases, so takeovers happen within a test; `mail_lease_seconds` also bounds one SMTP
/// transaction, at a third of it.
fn base(mail_lease_seconds: u32) -> String {
    format!(
        "[scheduler]\njobs_dir = \"jobs\"\nlease_seconds = 2\n\n[mail]\nlease_seconds = {mail_lease_seconds}\nbackoff_seconds = 1\nmax_backoff_seconds = 2\n"
    )
}

fn job(db: &TestDb, name: &str, body: &str) {
    let dir = db.dir.path().join("jobs");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("{name}.toml")),
        format!("name = \"{name}\"\n{body}"),
    )
    .unwrap();
}

fn scheduler(db: &TestDb, env: &[(&str, &str)]) -> Child {
    db.command(&["scheduler"], env)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn signal(child: &Child, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

fn stop(mut child: Child) {
    signal(&child, "-TERM");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "a scheduler did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn ledger(db: &TestDb, job: &str) -> Vec<licwatch::store::RunRow> {
    let store = db.store().await;
    let rows = store.runs(Some(job), 10_000).await.unwrap();
    store.close().await;
    rows
}

#[tokio::test]
async fn replicas_run_each_tick_once() {
    let db = TestDb::new().await;
    assert!(db.run(&["init"]).status.success());
    db.config(&base(2));
    job(
        &db,
        "tick",
        "cron = \"*/2 * * * * *\"\ntime_zone = \"UTC\"\ncatch_up = \"skip\"\n[[steps]]\nstep = \"deadlines\"\n",
    );
    // Several processes on one PostgreSQL; a single process on SQLite.
    let replicas: Vec<Child> = (0..if engine() == "postgres" { 2 } else { 1 })
        .map(|_| scheduler(&db, &[]))
        .collect();
    std::thread::sleep(Duration::from_secs(10));
    for r in replicas {
        stop(r);
    }
    let rows = ledger(&db, "tick").await;
    let mut by_tick: BTreeMap<DateTime<Utc>, Vec<&str>> = BTreeMap::new();
    for r in &rows {
        by_tick
            .entry(r.scheduled_for)
            .or_default()
            .push(r.status.code());
    }
    assert!(by_tick.len() >= 3, "{by_tick:?}");
    // A replica told to stop releases a tick it has claimed but not begun (a run `interrupted`
    // before its first step); a replica still running resumes it. So each tick ran once to the
    // end, after any such releases — but the last, which the last replica may have released.
    let last = *by_tick.keys().last().unwrap();
    for (tick, statuses) in &by_tick {
        let ran: Vec<&str> = statuses
            .iter()
            .copied()
            .filter(|s| *s != "interrupted")
            .collect();
        if *tick == last && ran.is_empty() {
            continue;
        }
        assert_eq!(ran, vec!["succeeded"], "tick {tick} ran once: {statuses:?}");
    }
    // No tick between the first and the last was missed.
    let ticks: Vec<&DateTime<Utc>> = by_tick.keys().collect();
    for pair in ticks.windows(2) {
        assert_eq!(
            *pair[1] - *pair[0],
            chrono::Duration::seconds(2),
            "{ticks:?}"
        );
    }
}

#[tokio::test]
async fn a_killed_replicas_tick_is_finished_by_another_and_each_mail_arrives_once() {
    if engine() != "postgres" {
        return; // replicas share PostgreSQL; SQLite runs one process (the test above)
    }
    let (db, smtp, expected) = two_replica_week().await;
    let url = smtp.url();
    let env = [("LICWATCH_SMTP_URL", url.as_str())];
    let mut replicas = vec![scheduler(&db, &env), scheduler(&db, &env)];

    let deadline = Instant::now() + Duration::from_secs(90);
    // Caught at its first mail. Once, waiting for three, no replica held the tick any more: its run
    // had succeeded 1.4 s after it started, every mail sent once. The other replica's delivery
    // loop sends beside the tick's step, and a step that finds nothing left to claim ends the tick.
    while smtp.messages().is_empty() {
        assert!(Instant::now() < deadline, "the tick did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    // kill -9 whichever replica holds the tick.
    let pid = holder(&db).await;
    let victim = replicas
        .iter()
        .position(|c| c.id() == pid)
        .expect("a replica holds it");
    let mut killed = replicas.remove(victim);
    signal(&killed, "-KILL");
    killed.wait().unwrap();
    let at_kill = smtp.messages().len();
    assert!(at_kill < expected, "killed mid-run");

    while ledger(&db, "weekly")
        .await
        .iter()
        .all(|r| r.status != RunStatus::Succeeded)
    {
        assert!(
            Instant::now() < deadline,
            "the other replica did not finish the tick"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // The message the killed replica held stays claimed until its mail lease runs out; the
    // survivor's tick may settle before that, and its delivery loop sends it then.
    while smtp.message_ids().iter().collect::<BTreeSet<_>>().len() < expected {
        assert!(
            Instant::now() < deadline,
            "the mail in flight at the kill was never sent"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    for r in replicas {
        stop(r);
    }
    let rows = ledger(&db, "weekly").await;
    let statuses: BTreeSet<(i64, &str)> =
        rows.iter().map(|r| (r.attempt, r.status.code())).collect();
    assert_eq!(
        statuses,
        BTreeSet::from([(1, "interrupted"), (2, "succeeded")]),
        "{rows:?}"
    );
    // The guarantee README states: every mail arrives; the kill may land after the server accepted
    // the one message in flight and before it was marked sent, and that one alone goes again, under
    // its own Message-ID (a second copy a receiver can drop).
    let ids = smtp.message_ids();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), expected, "every mail arrived");
    assert!(
        ids.len() <= expected + 1,
        "only the message in flight at the kill may arrive twice: {} copies of {expected}",
        ids.len()
    );
}

/// The demo's store, a bureau mailbox per prefecture, a slow SMTP server and a `weekly` job whose one
/// tick falls a few seconds from now: the scene for two replicas. Returns the mails the tick sends.
///
/// The mail lease is 6 s, so one SMTP transaction is bounded at 2 s, five times the server's 0.4 s.
/// At 1 s a loaded machine let one send run over: the step then leaves the rest pending for
/// the delivery loop and the tick ends after three mails, before any replica could be caught in it.
async fn two_replica_week() -> (TestDb, SmtpServer, usize) {
    let db = TestDb::new().await;
    assert!(db.run(&["demo", "--as-of", "2026-11-26"]).status.success());
    let (recipients, expected) = bureau_recipients(&db).await;
    db.config(&format!("{}\n{recipients}", base(6)));
    // One tick, a few seconds from now.
    let at = Utc::now() + chrono::Duration::seconds(4);
    job(
        &db,
        "weekly",
        &format!(
            "cron = \"{} {} {} * * *\"\ntime_zone = \"UTC\"\ncatch_up = \"skip\"\nretries = 1\n[[steps]]\nstep = \"report\"\nreports = [\"weekly\"]\n",
            at.second(),
            at.minute(),
            at.hour()
        ),
    );
    let smtp = SmtpServer::start(0.4);
    (db, smtp, expected)
}

/// The replica holding the `weekly` tick, by the pid in its claim.
async fn holder(db: &TestDb) -> u32 {
    let admin = db.store().await;
    let licwatch::store::Store::Postgres(pool) = &admin else {
        unreachable!("replicas share PostgreSQL");
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let owner: String = loop {
        let owner: Option<String> = sqlx::query_scalar(
            "SELECT owner FROM job_ticks WHERE job = 'weekly' AND owner IS NOT NULL",
        )
        .fetch_optional(pool)
        .await
        .unwrap();
        if let Some(owner) = owner {
            break owner;
        }
        if Instant::now() >= deadline {
            // What ended the tick early, for whoever reads a failed run.
            let outbox: Vec<_> = admin
                .outbox(None)
                .await
                .unwrap()
                .into_iter()
                .map(|m| (m.status, m.attempts, m.last_error))
                .collect();
            panic!(
                "no replica holds the tick; runs {:?}; outbox {outbox:?}",
                ledger(db, "weekly").await
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    admin.close().await;
    owner.rsplit(':').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_replica_paused_past_its_lease_cannot_finish_the_tick_its_successor_holds() {
    if engine() != "postgres" {
        return; // replicas share PostgreSQL
    }
    let (db, smtp, _) = two_replica_week().await;
    let url = smtp.url();
    let env = [("LICWATCH_SMTP_URL", url.as_str())];
    let mut replicas = vec![scheduler(&db, &env), scheduler(&db, &env)];
    let deadline = Instant::now() + Duration::from_secs(90);
    // Caught at its first mail. Once, waiting for three, no replica held the tick any more: its run
    // had succeeded 1.4 s after it started, every mail sent once. The other replica's delivery
    // loop sends beside the tick's step, and a step that finds nothing left to claim ends the tick.
    while smtp.messages().is_empty() {
        assert!(Instant::now() < deadline, "the tick did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGSTOP the holder past its 2-second lease: the other replica takes the tick over.
    let pid = holder(&db).await;
    let paused = replicas.iter().position(|c| c.id() == pid).unwrap();
    signal(&replicas[paused], "-STOP");
    while !ledger(&db, "weekly")
        .await
        .iter()
        .any(|r| r.attempt == 2 && r.status == RunStatus::Succeeded)
    {
        assert!(
            Instant::now() < deadline,
            "the successor did not finish the tick"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // SIGCONT: the paused replica wakes up holding a superseded claim; it must write nothing.
    signal(&replicas[paused], "-CONT");
    std::thread::sleep(Duration::from_secs(4));
    for r in replicas.drain(..) {
        stop(r);
    }
    let rows = ledger(&db, "weekly").await;
    let statuses: BTreeSet<(i64, &str)> =
        rows.iter().map(|r| (r.attempt, r.status.code())).collect();
    assert_eq!(
        statuses,
        BTreeSet::from([(1, "interrupted"), (2, "succeeded")]),
        "the paused run stays as its successor left it: {rows:?}"
    );
    let store = db.store().await;
    let tick: (String, i64) = match &store {
        licwatch::store::Store::Postgres(pool) => sqlx::query_as(
            "SELECT status, CAST(token AS BIGINT) FROM job_ticks WHERE job = 'weekly'",
        )
        .fetch_one(pool)
        .await
        .unwrap(),
        _ => unreachable!(),
    };
    assert_eq!(tick, ("succeeded".to_string(), 2));
}

#[tokio::test]
async fn a_replica_whose_clock_runs_two_minutes_ahead_takes_no_live_tick() {
    if engine() != "postgres" {
        return; // replicas share PostgreSQL
    }
    let (db, smtp, expected) = two_replica_week().await;
    let url = smtp.url();
    let env = [("LICWATCH_SMTP_URL", url.as_str())];
    let skewed = [
        ("LICWATCH_SMTP_URL", url.as_str()),
        ("LICWATCH_TEST_CLOCK_SKEW_SECONDS", "120"),
    ];
    // The tick's run outlasts its 2-second lease several times over (the server takes 0.4 s a
    // mail); its holder renews the lease on the database's clock. The skewed replica, by its own
    // clock, would see that lease expired at once and take the tick over.
    let replicas = vec![scheduler(&db, &env), scheduler(&db, &skewed)];
    let deadline = Instant::now() + Duration::from_secs(90);
    while !ledger(&db, "weekly")
        .await
        .iter()
        .any(|r| r.status == RunStatus::Succeeded)
    {
        assert!(Instant::now() < deadline, "the tick did not finish");
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(3));
    for r in replicas {
        stop(r);
    }
    let rows = ledger(&db, "weekly").await;
    let statuses: Vec<(i64, &str)> = rows.iter().map(|r| (r.attempt, r.status.code())).collect();
    assert_eq!(
        statuses,
        vec![(1, "succeeded")],
        "one run, never taken over: {rows:?}"
    );
    let ids = smtp.message_ids();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(
        (ids.len(), unique.len()),
        (expected, expected),
        "each mail once"
    );
}

/// The top of the hour `hours` ago.
fn hours_ago(hours: i64) -> DateTime<Utc> {
    (Utc::now() - chrono::Duration::hours(hours))
        .duration_trunc(chrono::Duration::hours(1))
        .unwrap()
}

#[tokio::test]
async fn missed_ticks_follow_each_jobs_catch_up_policy() {
    let db = TestDb::new().await;
    assert!(db.run(&["init"]).status.success());
    db.config(&base(2));
    for policy in ["skip", "latest", "all"] {
        job(
            &db,
            policy,
            &format!(
                "cron = \"0 0 * * * *\"\ntime_zone = \"UTC\"\ncatch_up = \"{policy}\"\n[[steps]]\nstep = \"deadlines\"\n"
            ),
        );
        // The last tick any scheduler saw, five hours ago, run by hand.
        let at = hours_ago(5).to_rfc3339();
        let out = db.run(&["run", policy, "--at", &at]);
        assert!(out.status.success(), "{}", stderr(&out));
        // `run` claims the same tick the scheduler would: a second time does nothing.
        let again = db.run(&["run", policy, "--at", &at]);
        assert!(stderr(&again).contains("already claimed or run"));
    }
    let out = db.run(&["scheduler", "--catch-up-only"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let missed: Vec<DateTime<Utc>> = (0..5).rev().map(hours_ago).collect();
    for (policy, ran) in [
        ("skip", vec![]),
        ("latest", vec![missed[4]]),
        ("all", missed.clone()),
    ] {
        let rows = ledger(&db, policy).await;
        let succeeded: Vec<DateTime<Utc>> = {
            let mut v: Vec<_> = rows
                .iter()
                .filter(|r| r.status.code() == "succeeded" && r.scheduled_for != hours_ago(5))
                .map(|r| r.scheduled_for)
                .collect();
            v.sort();
            v
        };
        assert_eq!(succeeded, ran, "{policy}");
        let skipped = rows.iter().filter(|r| r.status.code() == "skipped").count();
        assert_eq!(skipped, 5 - ran.len(), "{policy}");
    }
    // A second start finds nothing left to catch up.
    let out = db.run(&["scheduler", "--catch-up-only"]);
    assert!(out.status.success());
    assert_eq!(ledger(&db, "all").await.len(), 6);
}

#[tokio::test]
async fn an_invalid_job_file_is_refused_at_start_with_its_path() {
    let db = TestDb::new().await;
    db.config(&base(2));
    job(
        &db,
        "bad",
        "cron = \"0 0 8 * * 1\"\ncatch_up = \"skip\"\n[[steps]]\nstep = \"risk\"\n",
    );
    let out = db.run(&["scheduler"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("bad.toml") && stderr(&out).contains("by name"),
        "{}",
        stderr(&out)
    );
}

/// Runs a job of `steps` (TOML) by hand for the tick `at`, as the scheduler would run it.
fn run_tick(db: &TestDb, name: &str, steps: &str, at: &str) {
    job(
        db,
        name,
        &format!(
            "cron = \"0 0 8 * * *\"\ntime_zone = \"Asia/Shanghai\"\ncatch_up = \"skip\"\n{steps}"
        ),
    );
    let out = db.run(&["run", name, "--at", at]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Loads one enterprise with a simplified-procedure licence granted in January and no on-site
/// review: overdue by December.
fn one_licence(db: &TestDb) {
    let files = [
        write(
            db,
            "enterprises.csv",
            "credit_code,name,prefecture,county\n91650102MA77ABCD1L,新疆天山钢丝绳有限公司,650100,天山区\n",
        ),
        write(
            db,
            "licences.csv",
            "licence_no,credit_code,category,procedure,grant_date,e_cert_date\n\
             XK13-6501-000001,91650102MA77ABCD1L,钢丝绳,简化,2026-01-05,2026-01-06\n",
        ),
    ];
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let (code, _, err) = ingest(db, &files);
    assert_eq!(code, Some(0), "{err}");
}

/// The steps of one tick share the day's deadline flags, and an ingest step between them makes the
/// next step compute them again: the alert after it reflects what was loaded, not the flags the
/// deadlines step saw before it.
#[tokio::test]
async fn an_ingest_step_between_deadlines_and_alerts_is_seen_by_the_alerts() {
    let db = TestDb::new().await;
    db.config(&base(2));
    one_licence(&db);
    let out_dir = db.dir.path().join("reports/out");
    // Every line of an alert CSV naming the licence's on-site review.
    let alerted = || -> Vec<String> {
        walk(&out_dir)
            .iter()
            .filter(|p| p.to_string_lossy().contains("/alerts/"))
            .filter(|p| p.extension().is_some_and(|e| e == "csv"))
            .flat_map(|p| {
                std::fs::read_to_string(p)
                    .unwrap()
                    .lines()
                    .filter(|l| l.contains("XK13-6501-000001") && l.contains("现场审查"))
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let out = db.run(&["report", "alerts", "--as-of", "2026-12-03"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!alerted().is_empty(), "the overdue review is alerted");
    std::fs::remove_dir_all(&out_dir).unwrap();

    // The review arrives in the inbox; the tick reads the flags, loads it, then alerts.
    let inbox = db.dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::write(
        inbox.join("onsite-reviews.csv"),
        "licence_no,review_date,outcome\nXK13-6501-000001,2026-11-20,合格\n",
    )
    .unwrap();
    settle(&inbox.join("onsite-reviews.csv"));
    run_tick(
        &db,
        "daily",
        "[[steps]]\nstep = \"deadlines\"\n[[steps]]\nstep = \"ingest\"\ninbox = \"inbox\"\n\
         [[steps]]\nstep = \"report\"\nreports = [\"alerts\"]\n",
        "2026-12-03T07:30:00+08:00",
    );
    assert!(inbox.join("processed/onsite-reviews.csv").exists());
    // The deadlines step, before the review came, flagged it overdue …
    let flags = walk(&out_dir)
        .into_iter()
        .find(|p| p.ends_with("deadlines.csv"))
        .expect("the deadlines step writes its flags");
    let flags = std::fs::read_to_string(flags).unwrap();
    assert!(
        flags
            .lines()
            .any(|l| l.contains("XK13-6501-000001") && l.contains("overdue")),
        "{flags}"
    );
    // … and the alert after the ingest knows it is done.
    assert_eq!(alerted(), Vec::<String>::new());
}

/// A tick whose weekly report follows its deadlines step reads the licences once, in the deadlines
/// step, and keeps them for the report; an ingest step between them makes the report read them
/// again. Its lists are then the ones a report made on its own gives.
#[tokio::test]
async fn a_weekly_report_after_deadlines_and_an_ingest_lists_what_was_loaded() {
    let db = TestDb::new().await;
    db.config(&base(2));
    one_licence(&db);
    // A licence granted this week arrives in the inbox between the two steps.
    let inbox = db.dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::write(
        inbox.join("licences.csv"),
        "licence_no,credit_code,category,procedure,grant_date,e_cert_date\n\
         XK13-6501-000002,91650102MA77ABCD1L,钢丝绳,简化,2026-12-01,2026-12-01\n",
    )
    .unwrap();
    settle(&inbox.join("licences.csv"));
    run_tick(
        &db,
        "weekly",
        "[[steps]]\nstep = \"deadlines\"\n[[steps]]\nstep = \"ingest\"\ninbox = \"inbox\"\n\
         [[steps]]\nstep = \"report\"\nreports = [\"weekly\"]\n",
        "2026-12-03T08:00:00+08:00",
    );
    assert!(inbox.join("processed/licences.csv").exists());
    // Every weekly CSV of the region, by name.
    let weekly = || -> BTreeMap<String, String> {
        walk(&db.dir.path().join("reports/out"))
            .iter()
            .filter(|p| p.to_string_lossy().contains("/weekly/"))
            .filter(|p| p.extension().is_some_and(|e| e == "csv"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                (name, std::fs::read_to_string(p).unwrap())
            })
            .collect()
    };
    let from_tick = weekly();
    let new = from_tick
        .iter()
        .find(|(name, _)| name.starts_with("全区") && name.contains("本周新发证"))
        .map(|(_, text)| text.clone())
        .expect("the region's new licences");
    assert!(new.contains("XK13-6501-000002"), "{new}");
    // The same report made on its own, reading the licences itself, lists the same; and so does a
    // tick that keeps the deadlines step's licences for it, nothing loaded between.
    std::fs::remove_dir_all(db.dir.path().join("reports/out")).unwrap();
    let out = db.run(&["report", "weekly", "--as-of", "2026-12-03"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(weekly(), from_tick);
    assert!(from_tick.len() > 5, "{:?}", from_tick.keys());
    std::fs::remove_dir_all(db.dir.path().join("reports/out")).unwrap();
    run_tick(
        &db,
        "weekly-kept",
        "[[steps]]\nstep = \"deadlines\"\n[[steps]]\nstep = \"report\"\nreports = [\"weekly\"]\n",
        "2026-12-03T08:00:00+08:00",
    );
    assert_eq!(weekly(), from_tick);
}

/// A tick's risk step ranks every scope and records it; its risk report then uses the region's
/// ranking rather than ranking again, and says what a risk report made on its own says — its
/// movement against the weeks before included.
#[tokio::test]
async fn a_risk_report_after_the_ticks_risk_step_is_the_one_made_on_its_own() {
    let db = TestDb::new().await;
    // The demo records the weeks before, so the ranking has movement to show.
    assert!(db.run(&["demo", "--as-of", "2026-11-26"]).status.success());
    db.config(&base(2));
    let out_dir = db.dir.path().join("reports/out");
    std::fs::remove_dir_all(&out_dir).unwrap();
    run_tick(
        &db,
        "ranking",
        "[[steps]]\nstep = \"risk\"\n[[steps]]\nstep = \"report\"\nreports = [\"risk\"]\n",
        "2026-12-03T08:30:00+08:00",
    );
    let risk_csv = || -> String {
        let path = walk(&out_dir)
            .into_iter()
            .find(|p| {
                p.to_string_lossy().contains("/risk/") && p.extension().is_some_and(|e| e == "csv")
            })
            .expect("the risk report's table");
        std::fs::read_to_string(path).unwrap()
    };
    let from_tick = risk_csv();
    assert!(from_tick.lines().count() > 10, "{from_tick}");
    std::fs::remove_dir_all(&out_dir).unwrap();
    let out = db.run(&["report", "risk", "--as-of", "2026-12-03"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(risk_csv(), from_tick);
}
