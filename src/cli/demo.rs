//! `licwatch demo`: synthetic data into the store, then the weekly pipeline once — risk ranking and
//! tiers, deadline flags, a 双随机 draw, every report — with the results under
//! `reports/out/<ISO week>/` and the mails as `.eml` files under `reports/out/mail/` (or over SMTP
//! when `LICWATCH_SMTP_URL` is set). Assignment mails wait for `licwatch outbox release`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::json;

use super::draw::{Drawing, perform};
use super::report::{ReportChoice, Request, produce};
use super::{App, deadline_rows};
use crate::catalogue::Catalogue;
use crate::deadlines::DeadlineRow;
use crate::demo::{Dataset, Scale, generate, week_after};
use crate::divisions::Divisions;
use crate::draw::plan::Plan;
use crate::output::{TableFormat, write_csv_report, write_table};
use crate::store::{AuditEntry, Scope, Store};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    #[arg(long, value_enum, default_value_t = Scale::Small)]
    pub scale: Scale,
    /// Seed of the synthetic data; the same seed gives the same data.
    #[arg(long, default_value_t = 20180710)]
    pub seed: u64,
    /// The day the demo runs as of (default: today in the configured time zone).
    #[arg(long, value_parser = crate::dates::arg)]
    pub as_of: Option<NaiveDate>,
    /// Write the synthetic data to this directory as one CSV per kind (for `ingest` and the
    /// benchmarks) instead of loading it.
    #[arg(long)]
    pub export: Option<PathBuf>,
    /// With --export: also write the following N days of new rows to DIR/delta/ (the
    /// benchmark's weekly batch input).
    #[arg(long, requires = "export")]
    pub delta_days: Option<u64>,
    /// How the summary of flags is printed.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
}

/// Writes each kind as a UTF-8 CSV with the contract's English headers.
fn export(dir: &Path, data: &Dataset) -> anyhow::Result<()> {
    fn write<T: Serialize>(dir: &Path, name: &str, rows: &[T]) -> anyhow::Result<()> {
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
    // An empty kind has no file (a delta holds only what changed).
    fn write_some<T: Serialize>(dir: &Path, name: &str, rows: &[T]) -> anyhow::Result<()> {
        if rows.is_empty() {
            Ok(())
        } else {
            write(dir, name, rows)
        }
    }
    write_some(dir, "enterprises.csv", &data.enterprises)?;
    write_some(dir, "licences.csv", &data.licences)?;
    write_some(dir, "onsite-reviews.csv", &data.reviews)?;
    write_some(dir, "inspectors.csv", &data.inspectors)?;
    write_some(dir, "spot-checks.csv", &data.spot_checks)?;
    write_some(dir, "conflicts.csv", &data.conflicts)?;
    write_some(dir, "violations.csv", &data.violations)
}

/// The ISO week of a day, as reports name their period: `2026-W48`.
pub fn period(day: NaiveDate) -> String {
    let week = day.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

#[derive(Serialize)]
struct Count {
    rule: &'static str,
    status: &'static str,
    rule_label: &'static str,
    status_label: &'static str,
    count: usize,
}

async fn load(
    store: &Store,
    app: &App,
    args: &DemoArgs,
    as_of: NaiveDate,
) -> anyhow::Result<serde_json::Value> {
    let data = generate(
        args.scale,
        args.seed,
        as_of,
        &app.config.calendar()?,
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

/// With no recipients configured, the demo mails example addresses, so that every report shows up
/// as a message.
async fn with_example_recipients(app: &App, store: &Store) -> anyhow::Result<App> {
    let mut config = app.config.clone();
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
    Ok(app.with_config(config))
}

/// The monthly plan shipped in `jobs/plans/`, drawn once per campaign with a seed derived from the
/// demo's (a real draw takes a public seed fixed after the plan).
async fn draw_once(app: &App, store: &Store, as_of: NaiveDate, seed: u64) -> anyhow::Result<()> {
    let plan = Plan::parse(
        include_str!("../../jobs/plans/monthly.toml"),
        "jobs/plans/monthly.toml",
    )?;
    if !store.draws_of(&plan.campaign_for(as_of)).await?.is_empty() {
        return Ok(());
    }
    let seed = format!("demo {seed} {as_of}");
    let drawn = perform(
        app,
        store,
        Drawing {
            plan,
            plan_label: "jobs/plans/monthly.toml".into(),
            as_of: Some(as_of),
            seed: &seed,
            seed_source: "演示种子 demo seed",
            redraw: false,
            reason: None,
        },
    )
    .await?;
    eprintln!(
        "双随机抽取 draw {} ({}): {} checks staffed, {} unstaffed — {}",
        drawn.id,
        drawn.record.campaign,
        drawn.record.result.assignments.len(),
        drawn.record.result.unstaffed.len(),
        drawn.dir.display()
    );
    Ok(())
}

/// Writes the flags as a CSV report (opens in Excel and WPS) and as JSON.
pub(crate) fn write_deadlines(dir: &Path, rows: &[DeadlineRow]) -> anyhow::Result<Vec<PathBuf>> {
    let csv_path = dir.join("deadlines.csv");
    write_csv_report(&csv_path, rows)?;
    let json_path = dir.join("deadlines.json");
    let mut json = Vec::new();
    write_table(&mut json, TableFormat::Json, rows, &[])?;
    std::fs::write(&json_path, json).with_context(|| format!("writing {}", json_path.display()))?;
    Ok(vec![csv_path, json_path])
}

pub async fn run(app: &App, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let as_of = app.as_of(args.as_of);
    if let Some(dir) = &args.export {
        let data = generate(
            args.scale,
            args.seed,
            as_of,
            &app.config.calendar()?,
            &Catalogue::builtin(),
            &Divisions::builtin(),
        );
        export(dir, &data)?;
        if let Some(days) = args.delta_days {
            let delta = week_after(&data, args.seed, as_of, days, &app.config.calendar()?);
            export(&dir.join("delta"), &delta)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let store = app.store().await?;
    store.seed_reference().await?;
    tracing::info!(scale = ?args.scale, seed = args.seed, %as_of, "generating demo data");
    let counts = load(&store, app, &args, as_of).await?;
    eprintln!("演示数据已载入 demo data loaded: {counts}");

    let active = Scope {
        active_only: true,
        ..Scope::default()
    };
    let rows = deadline_rows(app, &store.subjects(&active).await?, as_of, false)?;
    let dir = app.config.reports.out_dir.join(period(as_of));
    let files = write_deadlines(&dir, &rows)?;

    let mut by_status: BTreeMap<(&str, &str), Count> = BTreeMap::new();
    for r in &rows {
        by_status
            .entry((r.rule, r.status))
            .or_insert(Count {
                rule: r.rule,
                status: r.status,
                rule_label: r.rule_label,
                status_label: r.status_label,
                count: 0,
            })
            .count += 1;
    }
    let summary: Vec<Count> = by_status.into_values().collect();
    eprintln!("截至 {as_of} 需关注的期限 deadlines needing attention:");
    let columns = ["rule_label", "status_label", "count"];
    write_table(
        &mut std::io::stdout().lock(),
        args.format,
        &summary,
        &columns,
    )?;
    for f in &files {
        eprintln!("报告 report: {}", f.display());
    }
    let risk = super::risk::compute(app, &store, as_of, None).await?;
    eprintln!(
        "风险排名 risk ranking {}: 企业风险分级 tiers {}",
        risk.period,
        super::risk::tier_counts(&risk.tiers)
    );
    draw_once(app, &store, as_of, args.seed).await?;
    let app = &with_example_recipients(app, &store).await?;
    let mut request = Request {
        kinds: vec![
            ReportChoice::Weekly,
            ReportChoice::Alerts,
            ReportChoice::Risk,
            ReportChoice::Public,
            ReportChoice::Reminders,
        ],
        as_of,
        send: true,
        hold: false,
        campaign: None,
        prefecture: None,
        actor: "demo".into(),
    };
    let mut produced = produce(app, &store, &request).await?;
    // Leadership signs off assignment mails before they go.
    request.kinds = vec![ReportChoice::Assignments];
    request.hold = true;
    produced.extend(produce(app, &store, &request).await?);
    eprintln!(
        "{} 份报告 reports in {}; 邮件 mails in {} (assignment mails held: `licwatch outbox release --kind assignment`)",
        produced.len(),
        dir.display(),
        app.config.mail.eml_dir.display()
    );
    store
        .audit(&AuditEntry::now(
            "demo",
            json!({"scale": format!("{:?}", args.scale), "seed": args.seed, "as_of": as_of, "loaded": counts}),
            format!("ok: {} flags", rows.len()),
        ))
        .await?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_iso_weeks() {
        assert_eq!(
            period(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()),
            "2026-W48"
        );
        // 2027-01-01 is a Friday in ISO week 53 of 2026.
        assert_eq!(
            period(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()),
            "2026-W53"
        );
    }
}
