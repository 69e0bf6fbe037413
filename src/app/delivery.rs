//! Delivering the outbox, and the operator's levers on it: retry the failed, release the held
//! (leadership's sign-off), resend a sent key with a reason. Release and resend are audit-logged.

use anyhow::bail;
use serde_json::json;

use super::Context;
use crate::mail::Transport;
use crate::mail::deliver::{Delivered, Patience, deliver as deliver_outbox};
use crate::model::OutboxStatus;
use crate::store::{AuditEntry, OutboxRow, Store};

/// Delivers what is due over the configured transport; returns it with what was done. Commands and
/// job steps take one pass (`Patience::OnePass`) and never hold the terminal while the server is
/// down; `outbox send` keeps at it.
pub async fn deliver(
    ctx: &Context,
    store: &Store,
    actor: &str,
    patience: Patience,
) -> anyhow::Result<(Transport, Delivered)> {
    let transport = ctx.config.mail.transport(ctx.zone)?;
    let done = deliver_outbox(store, &ctx.config.mail, &transport, actor, patience).await?;
    Ok((transport, done))
}

/// One line saying what a delivery run did, for the terminal.
pub fn summary(transport: &Transport, done: &Delivered) -> String {
    let mut line = format!(
        "邮件 mail ({transport:?}): {} sent, {} failed",
        done.sent, done.failed
    );
    if let Some(why) = &done.unreachable {
        line.push_str(&format!(
            "; {} pending — the server is unreachable ({why}); `licwatch outbox` shows when each is \
             retried, and `licwatch outbox send` or the scheduler delivers them",
            done.pending
        ));
    }
    if done.failed > 0 {
        line.push_str(" — see `licwatch outbox --status failed`");
    }
    line
}

fn moved(rows: &[OutboxRow]) -> serde_json::Value {
    json!(rows.iter().map(|r| json!({"id": r.id, "kind": r.kind, "period": r.period, "scope": r.scope, "recipient": r.recipient})).collect::<Vec<_>>())
}

/// Puts failed messages (all, or those of `ids`) back to pending.
pub async fn retry(store: &Store, ids: &[i64]) -> anyhow::Result<Vec<OutboxRow>> {
    Ok(store
        .move_messages(OutboxStatus::Failed, OutboxStatus::Pending, ids, None, None)
        .await?)
}

/// Releases held messages (all, or narrowed by id, kind, period) for delivery, audit-logged with
/// who signed off.
pub async fn release(
    store: &Store,
    ids: &[i64],
    kind: Option<&str>,
    period: Option<&str>,
    by: &str,
) -> anyhow::Result<Vec<OutboxRow>> {
    let rows = store
        .move_messages(OutboxStatus::Held, OutboxStatus::Pending, ids, kind, period)
        .await?;
    if rows.is_empty() {
        bail!("no held message matches");
    }
    store
        .audit(&AuditEntry::now(
            "outbox:release",
            json!({"by": by, "messages": moved(&rows)}),
            format!("released {}", rows.len()),
        ))
        .await?;
    Ok(rows)
}

/// Puts a sent message back to pending, audit-logged with the reason.
pub async fn resend(store: &Store, id: i64, reason: &str) -> anyhow::Result<()> {
    if reason.trim().is_empty() {
        bail!("a resend needs a reason");
    }
    let rows = store
        .move_messages(OutboxStatus::Sent, OutboxStatus::Pending, &[id], None, None)
        .await?;
    if rows.is_empty() {
        bail!("message {id} is not a sent message");
    }
    store
        .audit(&AuditEntry::now(
            "outbox:resend",
            json!({"reason": reason, "messages": moved(&rows)}),
            "requeued",
        ))
        .await?;
    Ok(())
}
