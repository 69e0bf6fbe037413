//! The audit log: who did what — every ingest, draw, approval and send — with when, which command or
//! job, which host, which inputs (by digest) and what came of it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, with_pool};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// The command or job, e.g. `demo` or `job:weekly-reports`.
    pub actor: String,
    pub host: String,
    /// Arguments, files and their SHA-256 digests, as JSON.
    pub inputs: serde_json::Value,
    pub outcome: String,
}

impl AuditEntry {
    /// This machine's name, as the audit log and the run ledger record it.
    pub fn host() -> String {
        gethostname::gethostname().to_string_lossy().into_owned()
    }

    /// An entry stamped now, on this host.
    pub fn now(actor: &str, inputs: serde_json::Value, outcome: impl Into<String>) -> Self {
        AuditEntry {
            at: crate::clock::now(),
            actor: actor.to_string(),
            host: Self::host(),
            inputs,
            outcome: outcome.into(),
        }
    }
}

impl Store {
    pub async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        const SQL: &str =
            "INSERT INTO audit_log (at, actor, host, inputs, outcome) VALUES ($1, $2, $3, $4, $5)";
        with_pool!(self, pool => {
            sqlx::query(SQL)
                .bind(entry.at)
                .bind(&entry.actor)
                .bind(&entry.host)
                .bind(entry.inputs.to_string())
                .bind(&entry.outcome)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// The latest `limit` entries, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        const SQL: &str =
            "SELECT at, actor, host, inputs, outcome FROM audit_log ORDER BY id DESC LIMIT $1";
        with_pool!(self, pool => {
            let rows = sqlx::query(SQL).bind(limit).fetch_all(pool).await?;
            rows.iter()
                .map(|r| {
                    let inputs: String = r.try_get("inputs")?;
                    Ok(AuditEntry {
                        at: r.try_get("at")?,
                        actor: r.try_get("actor")?,
                        host: r.try_get("host")?,
                        inputs: serde_json::from_str(&inputs).unwrap_or(serde_json::Value::String(inputs)),
                        outcome: r.try_get("outcome")?,
                    })
                })
                .collect()
        })
    }
}
