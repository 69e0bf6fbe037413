//! The outbox: messages are queued under their key (kind, period, scope, recipient) and claimed one
//! at a time by a sender with a lease, so two senders (or replicas) never send the same row, and a
//! sender that dies mid-send leaves a lease that expires for another to take over.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::conn::{ROWS_PER_STATEMENT, insert_sql};
use super::{Param, Store, StoreError, bind_params, decode, with_pool};
use crate::model::OutboxStatus;

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
    pub status: OutboxStatus,
    pub attempts: i64,
    pub subject: String,
    pub message_id: String,
    pub last_error: Option<String>,
    /// When a pending message is tried again (after a failed attempt).
    pub next_attempt_at: Option<DateTime<Utc>>,
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
    /// The fencing token of this claim: the sender's marks are conditional on it.
    pub token: i64,
    /// When the message was first queued.
    pub queued_at: DateTime<Utc>,
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
                       subject, message_id, last_error, requested_by, created_at, sent_at, next_attempt_at";

impl Store {
    /// Queues messages under their keys, in one transaction. A key queued before keeps its row (and
    /// so its Message-ID and its sent state); only a pending or held one takes the new content, and
    /// a held message released meanwhile is held again when that content differs.
    pub async fn enqueue(&self, messages: &[Outgoing]) -> Result<Vec<Queued>, StoreError> {
        const COLUMNS: &[&str] = &[
            "kind",
            "period",
            "scope",
            "recipient",
            "message_id",
            "subject",
            "message",
            "status",
            "attempts",
            "requested_by",
            "created_at",
        ];
        // A message that needs approval goes back to `held` when its content changed after it was
        // released: what leadership signed off is what goes out, never an unseen revision.
        let refresh = format!(
            "UPDATE outbox SET subject = $5, message = $6, \
             status = CASE WHEN $7 AND message {} $6 THEN 'held' ELSE status END \
             WHERE kind = $1 AND period = $2 AND scope = $3 AND recipient = $4 AND status IN ('pending', 'held')",
            self.distinct_from()
        );
        let now = crate::clock::now();
        let placeholders = self.placeholders();
        let mut outcome = vec![Queued::Kept; messages.len()];
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for (c, chunk) in messages.chunks(ROWS_PER_STATEMENT / 2).enumerate() {
                let sql = format!(
                    "{} ON CONFLICT (kind, period, scope, recipient) DO NOTHING RETURNING kind, period, scope, recipient",
                    insert_sql("outbox", COLUMNS, chunk.len(), placeholders)
                );
                // Bound from the messages themselves: a draw's 620 MB of mail copied once, not three times.
                let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
                for m in chunk {
                    let k = &m.key;
                    insert = insert
                        .bind(&k.kind).bind(&k.period).bind(&k.scope).bind(&k.recipient)
                        .bind(&m.message_id).bind(&m.subject).bind(&m.message)
                        .bind(if m.held { "held" } else { "pending" }).bind(0_i64)
                        .bind(&m.requested_by).bind(now);
                }
                let inserted: Vec<OutboxKey> = insert
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| Ok::<_, sqlx::Error>(OutboxKey {
                        kind: r.try_get(0)?, period: r.try_get(1)?, scope: r.try_get(2)?, recipient: r.try_get(3)?,
                    }))
                    .collect::<Result<_, _>>()?;
                for (i, m) in chunk.iter().enumerate() {
                    let index = c * (ROWS_PER_STATEMENT / 2) + i;
                    if inserted.contains(&m.key) {
                        outcome[index] = Queued::New;
                        continue;
                    }
                    let k = &m.key;
                    let refreshed = sqlx::query(sqlx::AssertSqlSafe(refresh.clone()))
                        .bind(&k.kind).bind(&k.period).bind(&k.scope).bind(&k.recipient)
                        .bind(&m.subject).bind(&m.message).bind(m.held)
                        .execute(&mut *tx).await?.rows_affected();
                    if refreshed == 1 {
                        outcome[index] = Queued::Refreshed;
                    }
                }
            }
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// Claims up to `limit` messages due for sending: pending and past their backoff, or left
    /// `sending` by a sender whose lease ran out — on the database's clock. The re-checked WHERE
    /// makes each claim atomic between senders; each claim's token grows, so a sender whose lease
    /// ran out cannot mark what its successor claimed.
    pub async fn claim_messages(
        &self,
        lease_seconds: i64,
        limit: i64,
    ) -> Result<Vec<Claimed>, StoreError> {
        let now = self.db_now();
        let due = format!(
            "(status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= {now})) \
             OR (status = 'sending' AND lease_until < {now})"
        );
        let sql = format!(
            "UPDATE outbox SET status = 'sending', lease_until = {}, attempts = attempts + 1, \
             claim_token = claim_token + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE {due} ORDER BY id LIMIT $2) AND ({due}) \
             RETURNING id, kind, period, scope, recipient, message, CAST(attempts AS BIGINT) AS attempts, \
             CAST(claim_token AS BIGINT) AS claim_token, created_at",
            self.db_now_plus("$1")
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(lease_seconds)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            let mut claimed = rows
                .iter()
                .map(|r| {
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
                        token: r.try_get("claim_token")?,
                        queued_at: r.try_get("created_at")?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            claimed.sort_by_key(|c| c.id);
            Ok(claimed)
        })
    }

    /// The keys of `kind` already sent (a rerun skips rendering what would not be sent again).
    pub async fn sent_keys(
        &self,
        kind: &str,
    ) -> Result<std::collections::HashSet<OutboxKey>, StoreError> {
        const SQL: &str =
            "SELECT kind, period, scope, recipient FROM outbox WHERE kind = $1 AND status = 'sent'";
        with_pool!(self, pool => {
            let rows = sqlx::query(SQL).bind(kind).fetch_all(pool).await?;
            rows.iter()
                .map(|r| {
                    Ok(OutboxKey {
                        kind: r.try_get(0)?,
                        period: r.try_get(1)?,
                        scope: r.try_get(2)?,
                        recipient: r.try_get(3)?,
                    })
                })
                .collect()
        })
    }

    /// Hands claimed messages back untried (a pass that stopped because the server is
    /// unreachable): pending again, their attempt not counted.
    pub async fn unclaim(&self, claims: &[&Claimed]) -> Result<(), StoreError> {
        let claims: Vec<(i64, i64)> = claims.iter().map(|c| (c.id, c.token)).collect();
        self.settle_claims(
            "status = 'pending', lease_until = NULL, attempts = attempts - 1",
            None,
            &claims,
        )
        .await?;
        Ok(())
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

    /// The server accepted these messages (id, claim token). A message whose claim a successor
    /// took over is left to it; returns how many were the caller's to mark.
    pub async fn mark_sent(&self, claims: &[(i64, i64)]) -> Result<usize, StoreError> {
        self.settle_claims(
            "status = 'sent', sent_at = $1, lease_until = NULL, last_error = NULL",
            Some(Param::Timestamp(crate::clock::now())),
            claims,
        )
        .await
    }

    /// Applies `set` (which may use `$1`, bound to `first`) to the messages still `sending` under
    /// these claims (id, claim token), one statement per few hundred claims: a file transport
    /// settles thousands a second. Returns how many rows changed.
    async fn settle_claims(
        &self,
        set: &str,
        first: Option<Param>,
        claims: &[(i64, i64)],
    ) -> Result<usize, StoreError> {
        let mut settled = 0;
        for chunk in claims.chunks(ROWS_PER_STATEMENT) {
            let mut params: Vec<Param> = first.iter().cloned().collect();
            let slots: Vec<String> = chunk
                .iter()
                .map(|&(id, token)| {
                    params.extend([Param::Int(id), Param::Int(token)]);
                    format!("(${}, ${})", params.len() - 1, params.len())
                })
                .collect();
            let sql = format!(
                "UPDATE outbox SET {set} WHERE status = 'sending' AND (id, claim_token) IN (VALUES {})",
                slots.join(", ")
            );
            settled += with_pool!(self, pool => {
                bind_params(sqlx::query(sqlx::AssertSqlSafe(sql)), &params).execute(pool).await?.rows_affected()
            }) as usize;
        }
        Ok(settled)
    }

    /// Sending failed: back to pending after `retry_in_seconds` of the database's clock, or
    /// `failed` when None. Refused with [`StoreError::Superseded`] when the claim was taken over —
    /// a superseded sender never flips its successor's `sent` back to `pending`.
    pub async fn mark_attempt_failed(
        &self,
        claim: &Claimed,
        error: &str,
        retry_in_seconds: Option<i64>,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE outbox SET status = $2, last_error = $3, next_attempt_at = {}, lease_until = NULL \
             WHERE id = $1 AND claim_token = $5 AND status = 'sending'",
            self.db_now_plus("$4")
        );
        let status = if retry_in_seconds.is_some() {
            OutboxStatus::Pending
        } else {
            OutboxStatus::Failed
        }
        .code();
        with_pool!(self, pool => {
            let done = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(claim.id).bind(status).bind(error)
                .bind(retry_in_seconds.unwrap_or(0)).bind(claim.token)
                .execute(pool).await?.rows_affected();
            if done == 1 { Ok(()) } else { Err(StoreError::Superseded) }
        })
    }

    /// Moves rows from one status to another (release, retry, resend); returns the rows moved,
    /// newest first. `ids` empty means every row in `from`, narrowed by `kind` and `period` when
    /// given. One statement per few hundred ids, or one for all: a month's 23,000 assignment mails
    /// released one UPDATE each took 2.4 s.
    pub async fn move_messages(
        &self,
        from: OutboxStatus,
        to: OutboxStatus,
        ids: &[i64],
        kind: Option<&str>,
        period: Option<&str>,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let params = || -> Vec<Param> {
            vec![
                from.code().into(),
                Param::Text(kind.map(str::to_string)),
                Param::Text(period.map(str::to_string)),
                to.code().into(),
            ]
        };
        let sql = |only: &str| {
            format!(
                "UPDATE outbox SET status = $4, next_attempt_at = NULL, attempts = 0 \
                 WHERE status = $1 AND ($2 IS NULL OR kind = $2) AND ($3 IS NULL OR period = $3){only} \
                 RETURNING {COLUMNS}"
            )
        };
        let mut moved = if ids.is_empty() {
            self.outbox_rows(sql(""), params()).await?
        } else {
            let mut moved = Vec::new();
            for chunk in ids.chunks(ROWS_PER_STATEMENT) {
                let mut params = params();
                let slots: Vec<String> = chunk
                    .iter()
                    .map(|&id| {
                        params.push(Param::Int(id));
                        format!("${}", params.len())
                    })
                    .collect();
                let only = format!(" AND id IN ({})", slots.join(", "));
                moved.extend(self.outbox_rows(sql(&only), params).await?);
            }
            moved
        };
        moved.sort_by_key(|r| std::cmp::Reverse(r.id));
        Ok(moved)
    }

    /// Cancels the unsent (pending or held) messages of `kind` whose scope starts with `prefix`
    /// (`superseded`), and returns them with the ones already sent.
    pub async fn supersede_messages(
        &self,
        kind: &str,
        prefix: &str,
    ) -> Result<(Vec<OutboxRow>, Vec<OutboxRow>), StoreError> {
        const OF_PREFIX: &str = "kind = $1 AND substr(scope, 1, CAST($3 AS INTEGER)) = $2";
        let params = || -> Vec<Param> {
            vec![
                kind.into(),
                prefix.into(),
                Param::Int(prefix.chars().count() as i64),
            ]
        };
        let cancelled = self
            .outbox_rows(
                format!(
                    "UPDATE outbox SET status = 'superseded', lease_until = NULL \
                     WHERE {OF_PREFIX} AND status IN ('pending', 'held') RETURNING {COLUMNS}"
                ),
                params(),
            )
            .await?;
        let sent = self
            .outbox_rows(
                format!("SELECT {COLUMNS} FROM outbox WHERE {OF_PREFIX} AND status = 'sent'"),
                params(),
            )
            .await?;
        Ok((cancelled, sent))
    }

    /// The outbox, newest first, optionally of one status.
    pub async fn outbox(&self, status: Option<OutboxStatus>) -> Result<Vec<OutboxRow>, StoreError> {
        self.outbox_rows(
            format!(
                "SELECT {COLUMNS} FROM outbox WHERE ($1 IS NULL OR status = $1) ORDER BY id DESC"
            ),
            vec![Param::Text(status.map(|s| s.code().to_string()))],
        )
        .await
    }

    /// The rows a statement over the outbox returns (`COLUMNS`).
    async fn outbox_rows(
        &self,
        sql: String,
        params: Vec<Param>,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        with_pool!(self, pool => {
            let rows = bind_params(sqlx::query(sqlx::AssertSqlSafe(sql)), &params).fetch_all(pool).await?;
            rows.iter()
                .map(|r| {
                    Ok(OutboxRow {
                        id: r.try_get("id")?,
                        kind: r.try_get("kind")?,
                        period: r.try_get("period")?,
                        scope: r.try_get("scope")?,
                        recipient: r.try_get("recipient")?,
                        status: decode("outbox.status", r.try_get("status")?, OutboxStatus::parse)?,
                        attempts: r.try_get("attempts")?,
                        subject: r.try_get("subject")?,
                        message_id: r.try_get("message_id")?,
                        last_error: r.try_get("last_error")?,
                        next_attempt_at: r.try_get("next_attempt_at")?,
                        requested_by: r.try_get("requested_by")?,
                        created_at: r.try_get("created_at")?,
                        sent_at: r.try_get("sent_at")?,
                    })
                })
                .collect()
        })
    }
}
