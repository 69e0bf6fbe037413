//! The runner: claims a tick, runs its steps, keeps the claim alive, records how it ended; and the
//! scheduler's loop around it.
//!
//! Exactly once per tick across replicas: a tick is claimed by inserting its (job, scheduled_for)
//! row, which only one replica can do; the claim is a lease renewed while the run lasts. A replica
//! that dies stops renewing, and once the lease runs out another replica takes the tick over and
//! runs it again from the first step — every step is idempotent for its (job, period), so nothing
//! is ingested, drawn or mailed twice. SIGTERM/SIGINT lets the current step finish, then releases
//! the claim for another replica.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use tokio_cron_scheduler::{Job as CronJob, JobScheduler};

use super::steps::{Supplied, run_step};
use super::{
    CatchUp, Job, JobCalendar, Step, catch_up as catch_up_policy, next_ticks, ticks_between,
};
use crate::app::reports::Shared;
use crate::app::{Context, delivery};
use crate::mail::deliver::Patience;
use crate::store::{AuditEntry, Claim, RunEnd, Store};

/// The jobs of the configured folder.
pub fn load(ctx: &Context) -> anyhow::Result<Vec<Job>> {
    Ok(super::load_dir(&ctx.config.scheduler.jobs_dir)?)
}

/// This process, as the ledger and the claims name it.
pub fn owner() -> String {
    format!("{}:{}", AuditEntry::host(), std::process::id())
}

/// A claim's lease, in seconds of the database's clock.
fn lease_seconds(ctx: &Context) -> i64 {
    ctx.config.scheduler.lease_seconds.max(1) as i64
}

fn max_attempts(job: &Job) -> i64 {
    i64::from(job.def.retries) + 1
}

/// How a claimed run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Interrupted,
    Failed(String),
    /// Another replica took the tick over (this one's lease ran out while it was paused or slow):
    /// the running step was cancelled and nothing of this run is settled; the successor redoes
    /// the idempotent steps.
    Superseded,
}

/// What a tick's steps share (see [`Shared`]).
fn tick_shared(job: &Job) -> Shared {
    Shared::for_steps(job.def.steps.iter().flat_map(|s| match s {
        Step::Report { reports } => reports.as_slice(),
        _ => &[],
    }))
}

/// Runs every step of `job` for `tick` outside the ledger, in order, stopping at the first that
/// fails; returns what each did. The demo runs the shipped jobs this way.
pub async fn run_steps(
    ctx: &Context,
    store: &Store,
    job: &Job,
    tick: DateTime<Utc>,
    supplied: Option<&Supplied<'_>>,
) -> anyhow::Result<Vec<String>> {
    let mut done = Vec::with_capacity(job.def.steps.len());
    let mut shared = tick_shared(job);
    for (i, s) in job.def.steps.iter().enumerate() {
        let line = run_step(ctx, store, job, s, tick, supplied, &mut shared)
            .await
            .map_err(|e| e.context(format!("{} step {} {}", job.name(), i + 1, s.label())))?;
        done.push(line);
    }
    Ok(done)
}

/// Runs the steps of a claimed tick, renewing the lease; stops between steps when asked to, and at
/// once — cancelling the running step — when the claim is lost.
async fn run_claimed(
    ctx: &Context,
    store: &Store,
    job: &Job,
    tick: DateTime<Utc>,
    claim: Claim,
    stop: &AtomicBool,
) -> Outcome {
    let lost = Arc::new(tokio::sync::Notify::new());
    let renewer = {
        let (store, job_name, lost) = (store.clone(), job.name().to_string(), lost.clone());
        let lease = lease_seconds(ctx);
        tokio::spawn(async move {
            let every = Duration::from_secs((lease / 3).max(1) as u64);
            loop {
                tokio::time::sleep(every).await;
                match store.renew_tick(&job_name, tick, &claim, lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        lost.notify_one();
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, "renewing the claim failed"),
                }
            }
        })
    };
    let steps = async {
        let mut shared = tick_shared(job);
        for (i, s) in job.def.steps.iter().enumerate() {
            if stop.load(Ordering::SeqCst) {
                return Outcome::Interrupted;
            }
            tracing::info!(job = job.name(), %tick, step = i + 1, kind = s.label(), "step");
            match run_step(ctx, store, job, s, tick, None, &mut shared).await {
                Ok(line) => tracing::info!(job = job.name(), step = i + 1, "{line}"),
                Err(e) => return Outcome::Failed(format!("step {} {}: {e:#}", i + 1, s.label())),
            }
            match store
                .run_progress(job.name(), tick, &claim, i as i64 + 1)
                .await
            {
                Ok(()) => {}
                Err(crate::store::StoreError::Superseded) => return Outcome::Superseded,
                Err(e) => tracing::warn!(error = %e, "recording progress failed"),
            }
        }
        Outcome::Succeeded
    };
    let timeout = Duration::from_secs(job.def.timeout_seconds);
    let outcome = tokio::select! {
        ran = tokio::time::timeout(timeout, steps) => match ran {
            Ok(outcome) => outcome,
            Err(_) => Outcome::Failed(format!("timed out after {} s", job.def.timeout_seconds)),
        },
        // Dropping the steps future cancels the running step at its next await.
        _ = lost.notified() => Outcome::Superseded,
    };
    renewer.abort();
    outcome
}

/// Claims and runs one tick; `None` when another replica holds it or it already ran.
pub async fn run_tick(
    ctx: &Context,
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
            lease_seconds(ctx),
            max_attempts(job),
        )
        .await?
    else {
        return Ok(None);
    };
    tracing::info!(job = job.name(), %tick, attempt = claim.attempt, token = claim.token, "claimed");
    let outcome = run_claimed(ctx, store, job, tick, claim, stop).await;
    let (end, error, retry_in) = match &outcome {
        Outcome::Succeeded => (RunEnd::Succeeded, None, None),
        Outcome::Interrupted => (
            RunEnd::Interrupted,
            Some("stopped before the next step; released"),
            None,
        ),
        Outcome::Failed(e) => {
            let doublings = u32::try_from(claim.attempt - 1).unwrap_or(0).min(16);
            let wait = job.def.retry_backoff_seconds.saturating_mul(1 << doublings);
            let retry = (claim.attempt < max_attempts(job)).then_some(wait as i64);
            (RunEnd::Failed, Some(e.as_str()), retry)
        }
        Outcome::Superseded => {
            tracing::error!(job = job.name(), %tick, "superseded: another replica holds the tick; stopped");
            return Ok(Some(outcome));
        }
    };
    match store
        .finish_tick(job.name(), tick, &claim, end, error, retry_in)
        .await
    {
        Ok(()) => {}
        Err(crate::store::StoreError::Superseded) => {
            tracing::error!(job = job.name(), %tick, "superseded before settling: the successor's claim is left as it is");
            return Ok(Some(Outcome::Superseded));
        }
        Err(e) => return Err(e.into()),
    }
    match &outcome {
        Outcome::Failed(e) => tracing::error!(job = job.name(), %tick, error = %e, "run failed"),
        other => tracing::info!(job = job.name(), %tick, outcome = ?other, "run finished"),
    }
    Ok(Some(outcome))
}

/// A tick run by hand (`licwatch run`); with `again`, a tick that already ran is reopened first,
/// audit-logged with the reason.
pub async fn run_by_hand(
    ctx: &Context,
    store: &Store,
    job: &Job,
    tick: DateTime<Utc>,
    again: Option<&str>,
) -> anyhow::Result<Option<Outcome>> {
    store.seed_reference().await?;
    if let Some(reason) = again {
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
    run_tick(ctx, store, job, tick, &stop).await
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
async fn catch_up(
    ctx: &Context,
    store: &Store,
    jobs: &[Job],
) -> anyhow::Result<Vec<(usize, DateTime<Utc>)>> {
    let now = crate::clock::now();
    let mut due = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let Some(last) = store.last_tick(job.name()).await? else {
            continue;
        };
        let missed = ticks_between(job, &ctx.calendar, last, now, 10_000);
        let (run, skip) = catch_up_policy(job.def.catch_up, &missed);
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

/// The daemon: catches up on missed ticks, then runs each job's ticks as they fall due until
/// SIGTERM/SIGINT (or, with `catch_up_only`, returns after the catch-up).
pub async fn scheduler(ctx: &Context, store: &Store, catch_up_only: bool) -> anyhow::Result<()> {
    let jobs = load(ctx)?;
    store.seed_reference().await?;
    let stop = Arc::new(AtomicBool::new(false));
    watch_signals(stop.clone())?;
    eprintln!(
        "licwatch scheduler {} with {} job(s) from {}",
        owner(),
        jobs.len(),
        ctx.config.scheduler.jobs_dir.display()
    );
    let mut pending: Vec<(usize, DateTime<Utc>)> = catch_up(ctx, store, &jobs).await?;
    if catch_up_only {
        for (i, tick) in pending {
            run_tick(ctx, store, &jobs[i], tick, &stop).await?;
        }
        return Ok(());
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

    let mut seen: Vec<DateTime<Utc>> = vec![crate::clock::now(); jobs.len()];
    while !stop.load(Ordering::SeqCst) {
        let now = crate::clock::now();
        for (i, job) in jobs.iter().enumerate() {
            pending.extend(
                ticks_between(job, &ctx.calendar, seen[i], now, 1000)
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
                run_tick(ctx, store, &jobs[i], tick, &stop).await?;
            }
        }
        // Beside the ticks, the delivery loop: what commands and steps left pending (the server
        // was down) goes out once it is back, each message claimed by one replica at a time.
        if !stop.load(Ordering::SeqCst) {
            match delivery::deliver(ctx, store, "scheduler", Patience::OnePass).await {
                Ok((_, done)) if done.sent + done.failed > 0 => {
                    tracing::info!(
                        sent = done.sent,
                        failed = done.failed,
                        pending = done.pending,
                        "delivered"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "delivering the outbox failed"),
            }
        }
        tokio::select! {
            _ = beats.recv() => {}
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
    clock.shutdown().await.ok();
    eprintln!("licwatch scheduler {} stopped", owner());
    Ok(())
}

/// One job as `licwatch jobs` lists it.
#[derive(Serialize)]
pub struct JobLine {
    pub job: String,
    pub cron: String,
    pub time_zone: String,
    pub catch_up: CatchUp,
    pub calendar: JobCalendar,
    pub approval: bool,
    pub last_runs: String,
    pub next_runs: String,
    pub file: String,
}

/// Each job with its last `count` runs and its next `count` fire times, in its own zone.
pub async fn overview(ctx: &Context, store: &Store, count: usize) -> anyhow::Result<Vec<JobLine>> {
    let jobs = load(ctx)?;
    let now = crate::clock::now();
    let mut lines = Vec::new();
    for job in &jobs {
        let local = |t: DateTime<Utc>| {
            t.with_timezone(&job.zone)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        };
        let runs = store.runs(Some(job.name()), count as i64).await?;
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
            calendar: job.def.calendar,
            approval: job.def.approval,
            last_runs: if last_runs.is_empty() {
                "—".into()
            } else {
                last_runs
            },
            next_runs: next_ticks(job, &ctx.calendar, now, count)
                .into_iter()
                .map(local)
                .collect::<Vec<_>>()
                .join("\n"),
            file: job.file.display().to_string(),
        });
    }
    Ok(lines)
}
