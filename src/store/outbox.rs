//! The outbox: messages are queued under their key (kind, period, scope, recipient) and claimed one
//! at a time by a sender with a lease, so two senders (or replicas) never send the same row, and a
//! sender that dies mid-send leaves a lease that expires for another to take over.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, with_pool};

/// The key a message is known by, whoever asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct OutboxKey {
    pub kind: String,
    pub period: String,
    pub scope: String,
    pub recipient: String,
}

/// A message to queue.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub key: OutboxKey,
    pub message_id: String,
    pub subject: String,
    pub message: String,
    pub held: bool,
    pub requested_by: String,
}

/// An outbox row as listed.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxRow {
    pub id: i64,
    pub kind: String,
    pub period: String,
    pub scope: String,
    pub recipient: String,
    pub status: String,
    pub attempts: i64,
    pub subject: String,
    pub message_id: String,
    pub last_error: Option<String>,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A claimed message, ready to hand to the transport.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub key: OutboxKey,
    pub message: String,
    pub attempts: i64,
}

/// What happened to a queued key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    New,
    /// Already queued and not yet sent: its content was refreshed.
    Refreshed,
    /// Already sent (or failed, or being sent): left as it is.
    Kept,
}

const COLUMNS: &str = "id, kind, period, scope, recipient, status, CAST(attempts AS BIGINT) AS attempts, \
                       subject, message_id, last_error, requested_by, created_at, sent_at";

impl Store {
    /// Queues a message under its key. A key queued before keeps its row (and so its Message-ID and
    /// its sent state); only a pending or held one takes the new content.
    pub async fn enqueue(&self, m: &Outgoing) -> Result<Queued, StoreError> {
        const EXISTING: &str = "SELECT status FROM outbox WHERE kind = $1 AND period = $2 AND scope = $3 AND recipient = $4";
        const INSERT: &str = "INSERT INTO outbox (kind, period, scope, recipient, message_id, subject, message, \
             status, attempts, requested_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10) \
             ON CONFLICT (kind, period, scope, recipient) DO NOTHING";
        const REFRESH: &str = "UPDATE outbox SET subject = $5, message = $6 \
             WHERE kind = $1 AND period = $2 AND scope = $3 AND recipient = $4 AND status IN ('pending', 'held')";
        let k = &m.key;
        let status = if m.held { "held" } else { "pending" };
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let existing: Option<String> = sqlx::query(EXISTING)
                .bind(&k.kind).bind(&k.period).bind(&k.scope).bind(&k.recipient)
                .fetch_optional(&mut *tx).await?
                .map(|r| r.try_get(0)).transpose()?;
            let outcome = match existing.as_deref() {
                None => {
                    let inserted = sqlx::query(INSERT)
                        .bind(&k.kind).bind(&k.period).bind(&k.scope).bind(&k.recipient)
                        .bind(&m.message_id).bind(&m.subject).bind(&m.message).bind(status)
                        .bind(&m.requested_by).bind(Utc::now())
                        .execute(&mut *tx).await?.rows_affected();
                    if inserted == 1 { Queued::New } else { Queued::Kept }
                }
                Some("pending" | "held") => {
                    sqlx::query(REFRESH)
                        .bind(&k.kind).bind(&k.period).bind(&k.scope).bind(&k.recipient)
                        .bind(&m.subject).bind(&m.message)
                        .execute(&mut *tx).await?;
                    Queued::Refreshed
                }
                Some(_) => Queued::Kept,
            };
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// Claims the next message due for sending: pending and past its backoff, or left `sending` by
    /// a sender whose lease ran out. The re-checked WHERE makes the claim atomic between senders.
    pub async fn claim_message(
        &self,
        lease: chrono::Duration,
    ) -> Result<Option<Claimed>, StoreError> {
        const DUE: &str = "(status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)) \
                           OR (status = 'sending' AND lease_until < $1)";
        let sql = format!(
            "UPDATE outbox SET status = 'sending', lease_until = $2, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM outbox WHERE {DUE} ORDER BY id LIMIT 1) AND ({DUE}) \
             RETURNING id, kind, period, scope, recipient, message, CAST(attempts AS BIGINT) AS attempts"
        );
        let now = Utc::now();
        with_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .bind(now + lease)
                .fetch_optional(pool)
                .await?;
            row.map(|r| {
                Ok(Claimed {
                    id: r.try_get("id")?,
                    key: OutboxKey {
                        kind: r.try_get("kind")?,
                        period: r.try_get("period")?,
                        scope: r.try_get("scope")?,
                        recipient: r.try_get("recipient")?,
                    },
                    message: r.try_get("message")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .transpose()
        })
    }

    /// How many messages are still waiting to go (pending, or claimed and not yet settled).
    pub async fn outbox_waiting(&self) -> Result<i64, StoreError> {
        const SQL: &str =
            "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE status IN ('pending', 'sending')";
        with_pool!(self, pool => {
            let row = sqlx::query(SQL).fetch_one(pool).await?;
            Ok(row.try_get::<i64, _>(0)?)
        })
    }

    /// The server accepted the message.
    pub async fn mark_sent(&self, id: i64) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE outbox SET status = 'sent', sent_at = $2, lease_until = NULL, \
                           last_error = NULL WHERE id = $1";
        with_pool!(self, pool => {
            sqlx::query(SQL).bind(id).bind(Utc::now()).execute(pool).await?;
            Ok(())
        })
    }

    /// Sending failed: back to pending after `retry_at`, or `failed` when `retry_at` is None.
    pub async fn mark_attempt_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE outbox SET status = $2, last_error = $3, next_attempt_at = $4, \
                           lease_until = NULL WHERE id = $1";
        let status = if retry_at.is_some() {
            "pending"
        } else {
            "failed"
        };
        with_pool!(self, pool => {
            sqlx::query(SQL).bind(id).bind(status).bind(error).bind(retry_at).execute(pool).await?;
            Ok(())
        })
    }

    /// Moves rows from one status to another (release, retry, resend); returns the rows moved.
    /// `ids` empty means every row in `from`, narrowed by `kind` and `period` when given.
    pub async fn move_messages(
        &self,
        from: &str,
        to: &str,
        ids: &[i64],
        kind: Option<&str>,
        period: Option<&str>,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let rows: Vec<OutboxRow> = self
            .outbox(Some(from))
            .await?
            .into_iter()
            .filter(|r| ids.is_empty() || ids.contains(&r.id))
            .filter(|r| kind.is_none_or(|k| r.kind == k))
            .filter(|r| period.is_none_or(|p| r.period == p))
            .collect();
        const SQL: &str = "UPDATE outbox SET status = $3, next_attempt_at = NULL, attempts = 0 \
                           WHERE id = $1 AND status = $2";
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for r in &rows {
                sqlx::query(SQL).bind(r.id).bind(from).bind(to).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(rows)
        })
    }

    /// The outbox, newest first, optionally of one status.
    pub async fn outbox(&self, status: Option<&str>) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox WHERE ($1 IS NULL OR status = $1) ORDER BY id DESC"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(status).fetch_all(pool).await?;
            rows.iter()
                .map(|r| {
                    Ok(OutboxRow {
                        id: r.try_get("id")?,
                        kind: r.try_get("kind")?,
                        period: r.try_get("period")?,
                        scope: r.try_get("scope")?,
                        recipient: r.try_get("recipient")?,
                        status: r.try_get("status")?,
                        attempts: r.try_get("attempts")?,
                        subject: r.try_get("subject")?,
                        message_id: r.try_get("message_id")?,
                        last_error: r.try_get("last_error")?,
                        requested_by: r.try_get("requested_by")?,
                        created_at: r.try_get("created_at")?,
                        sent_at: r.try_get("sent_at")?,
                    })
                })
                .collect()
        })
    }
}
