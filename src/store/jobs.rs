//! The scheduler's claims and ledger. A tick is claimed by inserting its (job, scheduled_for) row:
//! the primary key lets exactly one replica win. The winner holds a lease it renews while it runs;
//! a lease that runs out (the process died) lets another replica take the tick over, and a failed
//! tick is taken again for a retry once its backoff has passed.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, decode, with_pool};
use crate::model::RunStatus;

/// A claim won: the tick is ours for this attempt, as long as its token is the tick's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub attempt: i64,
    /// The ledger row of this attempt.
    pub run_id: i64,
    /// The fencing token: grows on every takeover of the tick.
    pub token: i64,
}

/// How a claimed run ended, as its runner settles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    Succeeded,
    Interrupted,
    Failed,
}

/// One row of the run ledger.
#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    pub job: String,
    pub scheduled_for: DateTime<Utc>,
    pub attempt: i64,
    pub host: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: RunStatus,
    pub steps_done: i64,
    pub error: Option<String>,
}

impl Store {
    /// Claims (job, tick) for `owner` for `lease_seconds` of the database's clock: a new tick, one
    /// whose lease ran out, or a failed one whose retry is due and has attempts left
    /// (`max_attempts` in all, takeovers of a dead process counted too). The claim's token grows
    /// on every takeover; the holder's later writes are conditional on it.
    pub async fn claim_tick(
        &self,
        job: &str,
        tick: DateTime<Utc>,
        owner: &str,
        lease_seconds: i64,
        max_attempts: i64,
    ) -> Result<Option<Claim>, StoreError> {
        let (now, lease_until) = (self.db_now(), self.db_now_plus("$4"));
        let insert = format!(
            "INSERT INTO job_ticks (job, scheduled_for, status, owner, lease_until, attempts, token) \
             VALUES ($1, $2, 'running', $3, {lease_until}, 1, 1) ON CONFLICT (job, scheduled_for) DO NOTHING"
        );
        let take_over = format!(
            "UPDATE job_ticks SET status = 'running', owner = $3, lease_until = {lease_until}, \
             attempts = attempts + 1, token = token + 1 \
             WHERE job = $1 AND scheduled_for = $2 AND lease_until < {now} \
             AND status IN ('running', 'failed') AND attempts < $5 \
             RETURNING CAST(attempts AS BIGINT), CAST(token AS BIGINT)"
        );
        // A tick whose process died `max_attempts` times (a file that kills the reader, say) is
        // failed and left alone, not taken over by every replica in turn.
        let give_up = format!(
            "UPDATE job_ticks SET status = 'failed', owner = NULL \
             WHERE job = $1 AND scheduled_for = $2 AND status = 'running' AND lease_until < {now} \
             AND attempts >= $3"
        );
        const GAVE_UP: &str = "UPDATE job_runs SET status = 'failed', finished_at = $3, \
             error = 'lease expired: the process running it stopped; no attempts left' \
             WHERE job = $1 AND scheduled_for = $2 AND status = 'running'";
        const LEDGER: &str = "INSERT INTO job_runs (job, scheduled_for, attempt, host, started_at, status) \
             VALUES ($1, $2, $3, $4, $5, 'running') RETURNING id";
        const ABANDONED: &str = "UPDATE job_runs SET status = 'interrupted', finished_at = $3, \
             error = 'lease expired: the process running it stopped' \
             WHERE job = $1 AND scheduled_for = $2 AND status = 'running'";
        let started = crate::clock::now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let inserted = sqlx::query(sqlx::AssertSqlSafe(insert))
                .bind(job).bind(tick).bind(owner).bind(lease_seconds)
                .execute(&mut *tx).await?.rows_affected();
            let (attempt, token): (i64, i64) = if inserted == 1 {
                (1, 1)
            } else {
                let row = sqlx::query(sqlx::AssertSqlSafe(take_over))
                    .bind(job).bind(tick).bind(owner).bind(lease_seconds).bind(max_attempts as i32)
                    .fetch_optional(&mut *tx).await?;
                match row {
                    Some(r) => (r.try_get(0)?, r.try_get(1)?),
                    None => {
                        let gave_up = sqlx::query(sqlx::AssertSqlSafe(give_up))
                            .bind(job).bind(tick).bind(max_attempts as i32)
                            .execute(&mut *tx).await?.rows_affected();
                        if gave_up == 1 {
                            sqlx::query(GAVE_UP).bind(job).bind(tick).bind(started).execute(&mut *tx).await?;
                            tracing::error!(job, %tick, max_attempts, "the tick's process died on every attempt: marked failed");
                        }
                        tx.commit().await?;
                        return Ok(None);
                    }
                }
            };
            sqlx::query(ABANDONED).bind(job).bind(tick).bind(started).execute(&mut *tx).await?;
            let run_id: i64 = sqlx::query(LEDGER)
                .bind(job).bind(tick).bind(attempt as i32).bind(owner).bind(started)
                .fetch_one(&mut *tx).await?.try_get(0)?;
            tx.commit().await?;
            Ok(Some(Claim { attempt, run_id, token }))
        })
    }

    /// Extends a held lease by `lease_seconds` of the database's clock; false when the claim was
    /// lost (another replica took the tick over: its token moved on).
    pub async fn renew_tick(
        &self,
        job: &str,
        tick: DateTime<Utc>,
        claim: &Claim,
        lease_seconds: i64,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE job_ticks SET lease_until = {} \
             WHERE job = $1 AND scheduled_for = $2 AND token = $3 AND status = 'running'",
            self.db_now_plus("$4")
        );
        with_pool!(self, pool => {
            Ok(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(job).bind(tick).bind(claim.token).bind(lease_seconds)
                .execute(pool).await?.rows_affected() == 1)
        })
    }

    /// Records progress of a run in the ledger, while the claim is still held.
    pub async fn run_progress(
        &self,
        job: &str,
        tick: DateTime<Utc>,
        claim: &Claim,
        steps_done: i64,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE job_runs SET steps_done = $2 WHERE id = $1 AND EXISTS \
             (SELECT 1 FROM job_ticks WHERE job = $3 AND scheduled_for = $4 AND token = $5)";
        with_pool!(self, pool => {
            let done = sqlx::query(SQL).bind(claim.run_id).bind(steps_done as i32)
                .bind(job).bind(tick).bind(claim.token).execute(pool).await?.rows_affected();
            if done == 1 { Ok(()) } else { Err(StoreError::Superseded) }
        })
    }

    /// Settles a run: `Succeeded`; `Failed` with a retry not before `retry_in_seconds` of the
    /// database's clock (None: no retries left); or `Interrupted` (shutdown), which leaves the tick
    /// claimable at once and gives its attempt back. Refused with [`StoreError::Superseded`] when
    /// the claim's token moved on: the successor's claim is left as it is.
    pub async fn finish_tick(
        &self,
        job: &str,
        tick: DateTime<Utc>,
        claim: &Claim,
        end: RunEnd,
        error: Option<&str>,
        retry_in_seconds: Option<i64>,
    ) -> Result<(), StoreError> {
        const RUN: &str =
            "UPDATE job_runs SET status = $2, finished_at = $3, error = $4 WHERE id = $1";
        // An interrupted run (a shutdown) gives its attempt back: only runs that failed or died
        // count against `max_attempts`.
        let tick_sql = format!(
            "UPDATE job_ticks SET status = $3, lease_until = {}, owner = NULL, \
             attempts = attempts - $5 WHERE job = $1 AND scheduled_for = $2 AND token = $6",
            self.db_now_plus("$4")
        );
        // The tick's own status: released (expired at once, so a live replica resumes it) when
        // interrupted; a failed tick with no retries left is kept from being claimed again by
        // its attempts count.
        let (run_status, tick_status, lease_in) = match end {
            RunEnd::Succeeded => (RunStatus::Succeeded, RunStatus::Succeeded, 0),
            RunEnd::Interrupted => (RunStatus::Interrupted, RunStatus::Running, -1),
            RunEnd::Failed => (
                RunStatus::Failed,
                RunStatus::Failed,
                retry_in_seconds.unwrap_or(0),
            ),
        };
        let given_back = i32::from(end == RunEnd::Interrupted);
        let now = crate::clock::now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let settled = sqlx::query(sqlx::AssertSqlSafe(tick_sql))
                .bind(job).bind(tick).bind(tick_status.code()).bind(lease_in).bind(given_back)
                .bind(claim.token)
                .execute(&mut *tx).await?.rows_affected();
            if settled != 1 {
                return Err(StoreError::Superseded);
            }
            sqlx::query(RUN).bind(claim.run_id).bind(run_status.code()).bind(now).bind(error)
                .execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Opens a finished tick for one more run (`licwatch run --again`).
    pub async fn reopen_tick(&self, job: &str, tick: DateTime<Utc>) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE job_ticks SET status = 'failed', attempts = 0, lease_until = {}, owner = NULL \
             WHERE job = $1 AND scheduled_for = $2 AND status IN ('succeeded', 'failed', 'skipped')",
            self.db_now_plus("-1")
        );
        with_pool!(self, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(job).bind(tick).execute(pool).await?;
            Ok(())
        })
    }

    /// Records ticks that a catch-up policy skipped, so they are not caught up again.
    pub async fn skip_ticks(&self, job: &str, ticks: &[DateTime<Utc>]) -> Result<(), StoreError> {
        const TICK: &str = "INSERT INTO job_ticks (job, scheduled_for, status, attempts) \
                            VALUES ($1, $2, 'skipped', 0) ON CONFLICT (job, scheduled_for) DO NOTHING";
        const RUN: &str = "INSERT INTO job_runs (job, scheduled_for, attempt, host, started_at, finished_at, status, error) \
                           VALUES ($1, $2, 0, $3, $4, $4, 'skipped', 'missed while no scheduler ran (catch_up)')";
        let host = crate::store::AuditEntry::host();
        let now = crate::clock::now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for t in ticks {
                let new = sqlx::query(TICK).bind(job).bind(*t).execute(&mut *tx).await?.rows_affected();
                if new == 1 {
                    sqlx::query(RUN).bind(job).bind(*t).bind(&host).bind(now).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// The latest tick of a job known to the store, whatever its status.
    pub async fn last_tick(&self, job: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        const SQL: &str = "SELECT scheduled_for FROM job_ticks WHERE job = $1 ORDER BY scheduled_for DESC LIMIT 1";
        with_pool!(self, pool => {
            let row = sqlx::query(SQL).bind(job).fetch_optional(pool).await?;
            row.map(|r| Ok(r.try_get(0)?)).transpose()
        })
    }

    /// Ticks another replica may have left: running with an expired lease, or failed with a retry
    /// due and attempts left.
    pub async fn resumable_ticks(
        &self,
        job: &str,
        max_attempts: i64,
    ) -> Result<Vec<DateTime<Utc>>, StoreError> {
        let sql = format!(
            "SELECT scheduled_for FROM job_ticks WHERE job = $1 AND lease_until < {} \
             AND (status = 'running' OR (status = 'failed' AND attempts < $2)) ORDER BY scheduled_for",
            self.db_now()
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(job).bind(max_attempts as i32).fetch_all(pool).await?;
            rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
        })
    }

    /// The ledger, newest first, optionally of one job.
    pub async fn runs(&self, job: Option<&str>, limit: i64) -> Result<Vec<RunRow>, StoreError> {
        const SQL: &str = "SELECT job, scheduled_for, CAST(attempt AS BIGINT) AS attempt, host, started_at, \
             finished_at, status, CAST(steps_done AS BIGINT) AS steps_done, error FROM job_runs \
             WHERE ($1 IS NULL OR job = $1) ORDER BY id DESC LIMIT $2";
        with_pool!(self, pool => {
            let rows = sqlx::query(SQL).bind(job).bind(limit).fetch_all(pool).await?;
            rows.iter()
                .map(|r| {
                    Ok(RunRow {
                        job: r.try_get("job")?,
                        scheduled_for: r.try_get("scheduled_for")?,
                        attempt: r.try_get("attempt")?,
                        host: r.try_get("host")?,
                        started_at: r.try_get("started_at")?,
                        finished_at: r.try_get("finished_at")?,
                        status: decode("job_runs.status", r.try_get("status")?, RunStatus::parse)?,
                        steps_done: r.try_get("steps_done")?,
                        error: r.try_get("error")?,
                    })
                })
                .collect()
        })
    }
}
