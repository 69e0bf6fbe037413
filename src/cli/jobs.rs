//! `licwatch scheduler`, `licwatch run JOB [--at TIME]` and `licwatch jobs`.
//!
//! Exactly once per tick across replicas: a tick is claimed by inserting its (job, scheduled_for)
//! row, which only one replica can do; the claim is a lease renewed while the run lasts. A replica
//! that dies stops renewing, and once the lease runs out another replica takes the tick over and
//! runs it again from the first step — every step is idempotent for its (job, period), so nothing
//! is ingested, drawn or mailed twice. SIGTERM/SIGINT lets the current step finish, then releases
//! the claim for another replica.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context as _, bail};
use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use serde_json::json;
use tokio_cron_scheduler::{Job as CronJob, JobScheduler};

use super::App;
use super::demo::{period, write_deadlines};
use super::draw::{Drawing, perform};
use super::report::{Request, produce};
use crate::draw::plan::Plan;
use crate::ingest::read::Encoding;
use crate::ingest::source::{ingest_inbox, ingest_sql};
use crate::ingest::{Options, worst};
use crate::jobs::{self, Job, Step};
use crate::mail::deliver::deliver;
use crate::output::{TableFormat, write_table};
use crate::store::{AuditEntry, Claim, Scope, Store};

#[derive(Debug, clap::Args)]
pub struct SchedulerArgs {
    /// Run the catch-up of missed ticks, then exit (instead of running on).
    #[arg(long)]
    pub catch_up_only: bool,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The job's name (see `licwatch jobs`).
    pub job: String,
    /// The tick to run, RFC 3339 (default: now); the same (job, time) the scheduler claims.
    #[arg(long)]
    pub at: Option<String>,
    /// Run a tick again that already ran (mails already sent are still not sent twice).
    #[arg(long, requires = "reason")]
    pub again: bool,
    /// Why the tick runs again (audit log).
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct JobsArgs {
    /// How many past runs and next fire times to show per job.
    #[arg(long, default_value_t = 3)]
    pub count: usize,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
}

fn load(app: &App) -> anyhow::Result<Vec<Job>> {
    Ok(jobs::load_dir(&app.config.scheduler.jobs_dir)?)
}

/// This process, as the ledger and the claims name it.
fn owner() -> String {
    format!("{}:{}", AuditEntry::host(), std::process::id())
}

fn lease(app: &App) -> chrono::Duration {
    chrono::Duration::seconds(app.config.scheduler.lease_seconds.max(1) as i64)
}

fn max_attempts(job: &Job) -> i64 {
    i64::from(job.def.retries) + 1
}

/// How a claimed run ended.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Succeeded,
    Interrupted,
    Failed(String),
}

/// Runs one step. Each is idempotent for its (job, period).
async fn step(
    app: &App,
    store: &Store,
    job: &Job,
    step: &Step,
    tick: DateTime<Utc>,
) -> anyhow::Result<()> {
    let as_of = tick.with_timezone(&job.zone).date_naive();
    let period = period(as_of);
    let actor = format!("job:{}", job.name());
    match step {
        Step::Ingest {
            inbox,
            source_url,
            query,
        } => {
            let options = Options {
                kind: None,
                encoding: Encoding::Auto,
                sheet: None,
                rejects_dir: app.config.reports.out_dir.join(&period).join("ingest"),
                actor,
            };
            let summaries = match (inbox, source_url, query) {
                (Some(dir), _, _) => ingest_inbox(store, dir, &options).await?,
                (None, Some(url), Some(query)) => {
                    vec![ingest_sql(store, url, query, None, &options).await?]
                }
                _ => unreachable!("validated when the job was loaded"),
            };
            // Rejected rows are quarantined and reported; only a file that failed whole fails the step.
            if worst(&summaries).exit_code() == 1 {
                bail!(
                    "ingest failed: {}",
                    summaries
                        .iter()
                        .map(|s| s.message.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                );
            }
        }
        Step::Risk => {
            super::risk::compute(app, store, as_of, None).await?;
        }
        Step::Deadlines => {
            let subjects = store
                .subjects(&Scope {
                    active_only: true,
                    ..Scope::default()
                })
                .await?;
            let rows = super::deadline_rows(app, &subjects, as_of, false)?;
            write_deadlines(&app.config.reports.out_dir.join(&period), &rows)?;
        }
        Step::Draw { plan, seed_file } => {
            let text = std::fs::read_to_string(plan)
                .with_context(|| format!("cannot read {}", plan.display()))?;
            let plan_def = Plan::parse(&text, &plan.display().to_string())?;
            let campaign = plan_def.campaign_for(as_of);
            if !store.draws_of(&campaign).await?.is_empty() {
                tracing::info!(%campaign, "campaign already drawn");
                return Ok(());
            }
            let seed_path = seed_file.replace("{campaign}", &campaign);
            let seed = std::fs::read_to_string(&seed_path).with_context(|| {
                format!("the seed file {seed_path} is not there yet: staff drop in the public seed, the job retries")
            })?;
            if seed.trim().is_empty() {
                bail!("the seed file {seed_path} is empty");
            }
            perform(
                app,
                store,
                Drawing {
                    plan: plan_def,
                    plan_label: plan.display().to_string(),
                    as_of: Some(as_of),
                    seed: &seed,
                    seed_source: &seed_path,
                    redraw: false,
                    reason: None,
                },
            )
            .await?;
        }
        Step::Report { reports } => {
            let request = Request {
                kinds: reports.clone(),
                as_of,
                send: true,
                hold: job.def.approval,
                campaign: None,
                prefecture: None,
                actor,
            };
            produce(app, store, &request).await?;
        }
        Step::Send => {
            let transport = app.config.mail.transport()?;
            let done = deliver(store, &app.config.mail, &transport, &actor, true).await?;
            if done.failed > 0 {
                bail!(
                    "{} message(s) failed; see `licwatch outbox --status failed`",
                    done.failed
                );
            }
        }
    }
    Ok(())
}

/// Runs the steps of a claimed tick, renewing the lease; stops between steps when asked to or when
/// the claim was lost.
async fn run_claimed(
    app: &App,
    store: &Store,
    job: &Job,
    tick: DateTime<Utc>,
    claim: Claim,
    stop: &AtomicBool,
) -> Outcome {
    let owner = owner();
    let lost = Arc::new(AtomicBool::new(false));
    let renewer = {
        let (store, job_name, owner, lost) = (
            store.clone(),
            job.name().to_string(),
            owner.clone(),
            lost.clone(),
        );
        let lease = lease(app);
        tokio::spawn(async move {
            let every = (lease / 3).to_std().unwrap_or(Duration::from_secs(1));
            loop {
                tokio::time::sleep(every).await;
                match store
                    .renew_tick(&job_name, tick, &owner, Utc::now() + lease)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => {
                        lost.store(true, Ordering::SeqCst);
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, "renewing the claim failed"),
                }
            }
        })
    };
    let steps = async {
        for (i, s) in job.def.steps.iter().enumerate() {
            if stop.load(Ordering::SeqCst) || lost.load(Ordering::SeqCst) {
                return Outcome::Interrupted;
            }
            tracing::info!(job = job.name(), %tick, step = i + 1, kind = s.label(), "step");
            if let Err(e) = step(app, store, job, s, tick).await {
                return Outcome::Failed(format!("step {} {}: {e:#}", i + 1, s.label()));
            }
            if let Err(e) = store.run_progress(claim.run_id, i as i64 + 1).await {
                tracing::warn!(error = %e, "recording progress failed");
            }
        }
        Outcome::Succeeded
    };
    let timeout = Duration::from_secs(job.def.timeout_seconds);
    let outcome = match tokio::time::timeout(timeout, steps).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::Failed(format!("timed out after {} s", job.def.timeout_seconds)),
    };
    renewer.abort();
    outcome
}

/// Claims and runs one tick; `None` when another replica holds it or it already ran.
async fn run_tick(
    app: &App,
    store: &Store,
    job: &Job,
    tick: DateTime<Utc>,
    stop: &AtomicBool,
) -> anyhow::Result<Option<Outcome>> {
    let Some(claim) = store
        .claim_tick(
            job.name(),
            tick,
            &owner(),
            Utc::now() + lease(app),
            max_attempts(job),
        )
        .await?
    else {
        return Ok(None);
    };
    tracing::info!(job = job.name(), %tick, attempt = claim.attempt, "claimed");
    let outcome = run_claimed(app, store, job, tick, claim, stop).await;
    let (status, error, retry_at) = match &outcome {
        Outcome::Succeeded => ("succeeded", None, None),
        Outcome::Interrupted => (
            "interrupted",
            Some("stopped before the next step; released"),
            None,
        ),
        Outcome::Failed(e) => {
            let doublings = u32::try_from(claim.attempt - 1).unwrap_or(0).min(16);
            let wait = job.def.retry_backoff_seconds.saturating_mul(1 << doublings);
            let retry = (claim.attempt < max_attempts(job))
                .then(|| Utc::now() + chrono::Duration::seconds(wait as i64));
            ("failed", Some(e.as_str()), retry)
        }
    };
    store
        .finish_tick(job.name(), tick, claim.run_id, status, error, retry_at)
        .await?;
    match &outcome {
        Outcome::Failed(e) => tracing::error!(job = job.name(), %tick, error = %e, "run failed"),
        other => tracing::info!(job = job.name(), %tick, outcome = ?other, "run finished"),
    }
    Ok(Some(outcome))
}

/// Sets `stop` on SIGTERM or SIGINT.
fn watch_signals(stop: Arc<AtomicBool>) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::warn!("stopping: the current step finishes, then the claim is released");
        stop.store(true, Ordering::SeqCst);
    });
    Ok(())
}

/// Ticks missed while no scheduler ran, by each job's policy: the ones to run now, oldest first.
async fn catch_up(store: &Store, jobs: &[Job]) -> anyhow::Result<Vec<(usize, DateTime<Utc>)>> {
    let now = Utc::now();
    let mut due = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let Some(last) = store.last_tick(job.name()).await? else {
            continue;
        };
        let missed = jobs::ticks_between(job, last, now, 10_000);
        let (run, skip) = jobs::catch_up(job.def.catch_up, &missed);
        store.skip_ticks(job.name(), &skip).await?;
        if !missed.is_empty() {
            tracing::info!(
                job = job.name(),
                missed = missed.len(),
                run = run.len(),
                "catching up"
            );
        }
        due.extend(run.into_iter().map(|t| (i, t)));
    }
    due.sort_by_key(|(_, t)| *t);
    Ok(due)
}

pub async fn scheduler(app: &App, args: SchedulerArgs) -> anyhow::Result<ExitCode> {
    let jobs = load(app)?;
    let store = app.store().await?;
    store.seed_reference().await?;
    let stop = Arc::new(AtomicBool::new(false));
    watch_signals(stop.clone())?;
    eprintln!(
        "licwatch scheduler {} with {} job(s) from {}",
        owner(),
        jobs.len(),
        app.config.scheduler.jobs_dir.display()
    );
    let mut pending: Vec<(usize, DateTime<Utc>)> = catch_up(&store, &jobs).await?;
    if args.catch_up_only {
        for (i, tick) in pending {
            run_tick(app, &store, &jobs[i], tick, &stop).await?;
        }
        return Ok(ExitCode::SUCCESS);
    }

    // tokio-cron-scheduler is the clock: a once-a-second heartbeat. The ticks themselves are computed
    // in each job's own zone (see jobs::schedule on daylight saving).
    let (beat, mut beats) = tokio::sync::mpsc::channel::<()>(1);
    let mut clock = JobScheduler::new().await?;
    clock
        .add(CronJob::new_async("* * * * * *", move |_, _| {
            let beat = beat.clone();
            Box::pin(async move {
                let _ = beat.try_send(());
            })
        })?)
        .await?;
    clock.start().await?;

    let mut seen: Vec<DateTime<Utc>> = vec![Utc::now(); jobs.len()];
    while !stop.load(Ordering::SeqCst) {
        let now = Utc::now();
        for (i, job) in jobs.iter().enumerate() {
            pending.extend(
                jobs::ticks_between(job, seen[i], now, 1000)
                    .into_iter()
                    .map(|t| (i, t)),
            );
            seen[i] = now;
            for t in store.resumable_ticks(job.name(), max_attempts(job)).await? {
                pending.push((i, t));
            }
        }
        let mut done: BTreeSet<(usize, DateTime<Utc>)> = BTreeSet::new();
        for (i, tick) in std::mem::take(&mut pending) {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            if done.insert((i, tick)) {
                run_tick(app, &store, &jobs[i], tick, &stop).await?;
            }
        }
        tokio::select! {
            _ = beats.recv() => {}
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
    clock.shutdown().await.ok();
    eprintln!("licwatch scheduler {} stopped", owner());
    Ok(ExitCode::SUCCESS)
}

/// Reads `--at` (RFC 3339) as a whole-second UTC tick.
fn parse_at(at: Option<&str>) -> anyhow::Result<DateTime<Utc>> {
    let t = match at {
        None => Utc::now(),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .with_context(|| {
                format!("--at '{text}': give an RFC 3339 time, e.g. 2026-11-30T08:00:00+08:00")
            })?
            .with_timezone(&Utc),
    };
    Ok(t.trunc_subsecs(0))
}

pub async fn run(app: &App, args: RunArgs) -> anyhow::Result<ExitCode> {
    let jobs = load(app)?;
    let Some(job) = jobs.iter().find(|j| j.name() == args.job) else {
        bail!(
            "no job '{}' in {} (jobs: {})",
            args.job,
            app.config.scheduler.jobs_dir.display(),
            jobs.iter().map(|j| j.name()).collect::<Vec<_>>().join(", ")
        );
    };
    let tick = parse_at(args.at.as_deref())?;
    let store = app.store().await?;
    store.seed_reference().await?;
    if args.again {
        let reason = args.reason.as_deref().unwrap_or_default();
        store.reopen_tick(job.name(), tick).await?;
        store
            .audit(&AuditEntry::now(
                "run:again",
                json!({"job": job.name(), "scheduled_for": tick, "reason": reason}),
                "reopened",
            ))
            .await?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    watch_signals(stop.clone())?;
    match run_tick(app, &store, job, tick, &stop).await? {
        None => {
            eprintln!(
                "{} at {tick}: already claimed or run (see `licwatch jobs`); `--again --reason TEXT` runs it again",
                job.name()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Outcome::Succeeded) => {
            eprintln!("{} at {tick}: succeeded", job.name());
            Ok(ExitCode::SUCCESS)
        }
        Some(Outcome::Interrupted) => {
            eprintln!("{} at {tick}: interrupted, claim released", job.name());
            Ok(ExitCode::FAILURE)
        }
        Some(Outcome::Failed(e)) => {
            eprintln!("{} at {tick}: failed: {e}", job.name());
            Ok(ExitCode::FAILURE)
        }
    }
}

#[derive(Serialize)]
struct JobLine {
    job: String,
    cron: String,
    time_zone: String,
    catch_up: jobs::CatchUp,
    approval: bool,
    last_runs: String,
    next_runs: String,
    file: String,
}

pub async fn list(app: &App, args: JobsArgs) -> anyhow::Result<ExitCode> {
    let jobs = load(app)?;
    let store = app.store().await?;
    let now = Utc::now();
    let mut lines = Vec::new();
    for job in &jobs {
        let local = |t: DateTime<Utc>| {
            t.with_timezone(&job.zone)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        };
        let runs = store.runs(Some(job.name()), args.count as i64).await?;
        let last_runs = runs
            .iter()
            .map(|r| {
                let mut text = format!("{} #{} {}", local(r.scheduled_for), r.attempt, r.status);
                if let Some(e) = &r.error {
                    text.push_str(&format!(" ({})", e.chars().take(80).collect::<String>()));
                }
                text
            })
            .collect::<Vec<_>>()
            .join("\n");
        lines.push(JobLine {
            job: job.name().into(),
            cron: job.def.cron.clone(),
            time_zone: job.def.time_zone.clone(),
            catch_up: job.def.catch_up,
            approval: job.def.approval,
            last_runs: if last_runs.is_empty() {
                "—".into()
            } else {
                last_runs
            },
            next_runs: jobs::next_ticks(job, now, args.count)
                .into_iter()
                .map(local)
                .collect::<Vec<_>>()
                .join("\n"),
            file: job.file.display().to_string(),
        });
    }
    write_table(
        &mut std::io::stdout().lock(),
        args.format,
        &lines,
        &[
            "job",
            "cron",
            "time_zone",
            "catch_up",
            "approval",
            "last_runs",
            "next_runs",
        ],
    )?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_takes_rfc3339_and_keeps_whole_seconds() {
        assert_eq!(
            parse_at(Some("2026-11-30T08:00:00.7+08:00")).unwrap(),
            "2026-11-30T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert!(
            parse_at(Some("2026-11-30 08:00"))
                .unwrap_err()
                .to_string()
                .contains("RFC 3339")
        );
    }
}
