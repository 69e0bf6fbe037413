//! `licwatch demo`: synthetic data into the store, then the shipped jobs' steps once, through the
//! same runner the scheduler uses — the risk ranking, the weekly reports, the daily alerts and
//! reminders, the monthly draw with its assignment mails held for approval and its results notice. Results land under
//! `reports/out/<ISO week>/`, mails as `.eml` files under `reports/out/mail/` (or over SMTP when
//! `LICWATCH_SMTP_URL` is set).

use std::path::Path;

use anyhow::Context as _;
use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::json;

use crate::app::{Context, Period, deadlines};
use crate::deadlines::DeadlineRow;
use crate::jobs::Job;
use crate::jobs::run::run_steps;
use crate::jobs::steps::Supplied;
use crate::store::{AuditEntry, Store};
use crate::synthetic::{Dataset, Scale, generate, week_after};

/// The jobs the demo runs, in order, as shipped in `jobs/` (compiled in, so the demo runs from any
/// folder).
const SHIPPED_JOBS: &[(&str, &str)] = &[
    (
        "jobs/weekly-ranking.toml",
        include_str!("../jobs/weekly-ranking.toml"),
    ),
    (
        "jobs/weekly-reports.toml",
        include_str!("../jobs/weekly-reports.toml"),
    ),
    (
        "jobs/daily-alerts.toml",
        include_str!("../jobs/daily-alerts.toml"),
    ),
    (
        "jobs/monthly-freeze.toml",
        include_str!("../jobs/monthly-freeze.toml"),
    ),
    (
        "jobs/monthly-draw.toml",
        include_str!("../jobs/monthly-draw.toml"),
    ),
    (
        "jobs/monthly-results.toml",
        include_str!("../jobs/monthly-results.toml"),
    ),
];

const SHIPPED_PLANS: &[(&str, &str)] = &[(
    "jobs/plans/monthly.toml",
    include_str!("../jobs/plans/monthly.toml"),
)];

/// What the demo makes.
pub struct Demo {
    pub scale: Scale,
    pub seed: u64,
    pub as_of: NaiveDate,
}

/// What the demo did: rows loaded, the flags needing attention, and a line per job step.
pub struct Ran {
    pub loaded: serde_json::Value,
    pub flags: Vec<DeadlineRow>,
    pub steps: Vec<String>,
    pub out_dir: std::path::PathBuf,
    pub mail_dir: std::path::PathBuf,
}

/// Writes the synthetic data as one CSV per kind (the benchmark's input), and with `delta_days`
/// the following days' new rows to `dir/delta/`.
pub fn export(
    ctx: &Context,
    demo: &Demo,
    dir: &Path,
    delta_days: Option<u64>,
) -> anyhow::Result<()> {
    let data = generate(
        demo.scale,
        demo.seed,
        demo.as_of,
        &ctx.calendar,
        &crate::catalogue::Catalogue::builtin(),
        &crate::divisions::Divisions::builtin(),
    );
    write_dataset(dir, &data)?;
    if let Some(days) = delta_days {
        let delta = week_after(&data, demo.seed, demo.as_of, days, &ctx.calendar);
        write_dataset(&dir.join("delta"), &delta)?;
    }
    Ok(())
}

/// Each kind as a UTF-8 CSV with the contract's English headers; an empty kind has no file (a
/// delta holds only what changed).
fn write_dataset(dir: &Path, data: &Dataset) -> anyhow::Result<()> {
    fn write<T: Serialize>(dir: &Path, name: &str, rows: &[T]) -> anyhow::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let path = dir.join(name);
        let mut writer = csv::Writer::from_path(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        for row in rows {
            writer.serialize(row)?;
        }
        writer.flush()?;
        println!("{} ({} rows)", path.display(), rows.len());
        Ok(())
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write(dir, "enterprises.csv", &data.enterprises)?;
    write(dir, "licences.csv", &data.licences)?;
    write(dir, "onsite-reviews.csv", &data.reviews)?;
    write(dir, "inspectors.csv", &data.inspectors)?;
    write(dir, "spot-checks.csv", &data.spot_checks)?;
    write(dir, "conflicts.csv", &data.conflicts)?;
    write(dir, "violations.csv", &data.violations)
}

async fn load(ctx: &Context, store: &Store, demo: &Demo) -> anyhow::Result<serde_json::Value> {
    let data = generate(
        demo.scale,
        demo.seed,
        demo.as_of,
        &ctx.calendar,
        &store.catalogue().await?,
        &store.divisions().await?,
    );
    store.upsert(&data.enterprises).await?;
    store.upsert(&data.licences).await?;
    store.upsert(&data.reviews).await?;
    store.upsert(&data.inspectors).await?;
    store.upsert(&data.spot_checks).await?;
    store.upsert(&data.conflicts).await?;
    store.upsert(&data.violations).await?;
    Ok(json!({
        "enterprises": data.enterprises.len(),
        "licences": data.licences.len(),
        "onsite_reviews": data.reviews.len(),
        "inspectors": data.inspectors.len(),
        "spot_checks": data.spot_checks.len(),
        "conflicts": data.conflicts.len(),
        "violations": data.violations.len(),
    }))
}

/// The demo's settings where the configuration has none: example recipients, so that every report
/// shows up as a message, and a go-live date of the rebuilt approval system (measures 四(二)), so that
/// the earliest paper decisions show they get no e-certificate flag.
async fn with_demo_settings(ctx: &Context, store: &Store) -> anyhow::Result<Context> {
    let mut config = ctx.config.clone();
    let r = &mut config.recipients;
    if r.leadership.is_empty()
        && r.region.is_empty()
        && r.prefecture.is_empty()
        && r.public.is_empty()
    {
        r.leadership = vec!["lingdao@example.gov.cn".into()];
        r.region = vec!["quyu@example.gov.cn".into()];
        r.public = vec!["gongkai@example.gov.cn".into()];
        for p in store.divisions().await?.prefectures() {
            r.prefecture.insert(
                p.code.clone(),
                vec![format!("jianguan-{}@example.gov.cn", p.code)],
            );
        }
    }
    // Message-IDs and calendar UIDs carry the sender's domain: the demo's is an example one.
    if config.mail.from == crate::mail::MailConfig::default().from {
        config.mail.from = "证后监管系统 <licwatch@scjgj.example.gov.cn>".into();
    }
    config.rules.e_certificate_from = config
        .rules
        .e_certificate_from
        .or(chrono::NaiveDate::from_ymd_opt(2018, 10, 8));
    Ok(ctx.with_config(config))
}

/// The rankings the weekly job would have recorded before the demo's week: the region's at the end
/// of each of the last three quarters (the leadership report's grid) and every scope's last week
/// (the change columns: the demo's rising category moves up a level). Periods stored already are
/// left alone.
async fn record_history(ctx: &Context, store: &Store, as_of: NaiveDate) -> anyhow::Result<()> {
    use chrono::Datelike;
    let recorded = store.risk_periods("all").await?;
    let missing = |day: NaiveDate| !recorded.contains(&Period::week_of(day).to_string());
    // The last day of the quarter before the one `day` falls in.
    let end_before = |day: NaiveDate| {
        NaiveDate::from_ymd_opt(day.year(), day.month0() / 3 * 3 + 1, 1)
            .and_then(|first| first.pred_opt())
            .context("a quarter's last day")
    };
    let mut ends = vec![end_before(as_of)?];
    for _ in 1..3 {
        ends.push(end_before(ends[ends.len() - 1])?);
    }
    for day in ends.into_iter().rev().filter(|d| missing(*d)) {
        let ranking = crate::app::risk::rank(ctx, store, day, &[None], false).await?;
        crate::app::risk::record_ranking(store, &ranking).await?;
    }
    let last_week = as_of - chrono::Days::new(7);
    if missing(last_week) {
        crate::app::risk::rank_and_record_all(ctx, store, last_week).await?;
    }
    Ok(())
}

/// Loads the synthetic data and runs the shipped jobs' steps once as of `demo.as_of`. The draw
/// takes a seed derived from the demo's (a real draw takes a public seed fixed after the plan);
/// a campaign drawn already is not drawn again.
pub async fn run(ctx: &Context, store: &Store, demo: &Demo) -> anyhow::Result<Ran> {
    store.seed_reference().await?;
    tracing::info!(scale = ?demo.scale, seed = demo.seed, as_of = %demo.as_of, "generating demo data");
    let loaded = load(ctx, store, demo).await?;
    eprintln!("演示数据已载入 demo data loaded: {loaded}");
    let ctx = &with_demo_settings(ctx, store).await?;
    let flags = deadlines::flags_in(ctx, store, None, demo.as_of, false).await?;

    // Noon of the as-of day in the configured zone: every job's tick falls on that day.
    let noon = demo
        .as_of
        .and_time(NaiveTime::from_hms_opt(12, 0, 0).expect("valid"));
    let tick = ctx
        .zone
        .from_local_datetime(&noon)
        .single()
        .context("noon of the as-of day is ambiguous in the configured zone")?
        .with_timezone(&Utc);
    let seed = format!("demo {} {}", demo.seed, demo.as_of);
    let supplied = Supplied {
        seed: &seed,
        seed_source: "演示种子 demo seed",
        plans: SHIPPED_PLANS,
    };
    record_history(ctx, store, demo.as_of).await?;
    let mut steps = Vec::new();
    for (path, text) in SHIPPED_JOBS {
        let job = Job::parse(text, Path::new(path))?;
        for line in run_steps(ctx, store, &job, tick, Some(&supplied)).await? {
            eprintln!("{}: {line}", job.name());
            steps.push(format!("{}: {line}", job.name()));
        }
    }
    store
        .audit(&AuditEntry::now(
            "demo",
            json!({"scale": format!("{:?}", demo.scale), "seed": demo.seed, "as_of": demo.as_of, "loaded": loaded}),
            format!("ok: {} flags", flags.len()),
        ))
        .await?;
    Ok(Ran {
        loaded,
        flags,
        steps,
        out_dir: ctx.out_dir(&Period::week_of(demo.as_of)),
        mail_dir: ctx.config.mail.eml_dir.clone(),
    })
}
