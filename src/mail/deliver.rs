//! Sending what the outbox holds: claim one message, hand it to the transport, mark it sent on the
//! server's acceptance; on refusal or a dead server, retry with doubling backoff until
//! `max_attempts`, then `failed`. A key is claimed by one sender at a time and, once sent, never
//! claimed again.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use lettre::AsyncTransport;
use lettre::address::{Address, Envelope};
use lettre::message::Mailbox;
use serde_json::json;

use super::{MailConfig, Transport};
use crate::report::{file_name, file_safe};
use crate::store::{AuditEntry, Claimed, Store};

/// What one delivery run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    /// Left pending for a later run (the server was unreachable), and why.
    pub pending: usize,
    pub unreachable: Option<String>,
}

/// How long a delivery run keeps at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patience {
    /// One bounded attempt per due message, stopping at the first sign the server is unreachable:
    /// what every command and job step does, so none holds the terminal while the server is down.
    OnePass,
    /// Until every message is sent or has used its attempts, waiting out the backoff: `outbox send`.
    UntilDone,
}

/// Whether a failed send says the server (not the message) is the trouble: a connection that
/// could not be made, a timeout, a transient refusal.
fn server_trouble(e: &anyhow::Error) -> bool {
    e.downcast_ref::<lettre::transport::smtp::Error>()
        .is_some_and(|smtp| !smtp.is_permanent())
}

/// Seconds before attempt `attempts + 1`: base, 2 × base, 4 × base … capped.
pub fn backoff(config: &MailConfig, attempts: i64) -> u64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    config
        .backoff_seconds
        .saturating_mul(1u64 << doublings)
        .min(config.max_backoff_seconds)
}

async fn send(transport: &Transport, from: &Mailbox, m: &Claimed) -> anyhow::Result<()> {
    match transport {
        Transport::Smtp(smtp) => {
            let to: Address = m.key.recipient.parse().context("recipient address")?;
            let envelope = Envelope::new(Some(from.email.clone()), vec![to])?;
            smtp.send_raw(&envelope, m.message.as_bytes()).await?;
            Ok(())
        }
        Transport::Files(dir, zone) => write_eml(dir, *zone, m),
    }
}

/// `reports/out/mail/<ISO week queued>/<kind>-<scope>-<recipient>.eml`: the same key, the same
/// file. Folders are the weeks the mail was produced in, never the (future) period a key names —
/// a renewal reminder is keyed by its last filing day, weeks ahead.
fn write_eml(dir: &Path, zone: chrono_tz::Tz, m: &Claimed) -> anyhow::Result<()> {
    let week = crate::period::Period::week_of(m.queued_at.with_timezone(&zone).date_naive());
    let dir = dir.join(file_safe(&week.to_string()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = file_name(
        &format!(
            "{}-{}-{}",
            m.key.kind,
            m.key.scope.replace('/', "-"),
            m.key.recipient
        ),
        "eml",
    );
    let path = dir.join(name);
    std::fs::write(&path, &m.message).with_context(|| format!("writing {}", path.display()))
}

/// Sends what is due. `OnePass` makes one bounded attempt per message and stops at the first sign
/// the server is unreachable, leaving the rest pending with their retry time; `UntilDone` also waits
/// out the backoff of messages still pending until each is sent or has used its attempts. Over SMTP a message
/// is claimed and marked one at a time, so a crash leaves at most the one in flight unsettled; the
/// file transport writes each key to the same file, so it claims and marks in batches.
pub async fn deliver(
    store: &Store,
    config: &MailConfig,
    transport: &Transport,
    actor: &str,
    patience: Patience,
) -> anyhow::Result<Delivered> {
    let from = config.from_mailbox()?;
    let lease = config.lease_seconds.max(1) as i64;
    // One SMTP transaction ends well inside the lease, so no second sender takes a message over
    // while the first is still talking to the server.
    let bound = Duration::from_secs((lease / 3).max(1) as u64);
    let batch = match transport {
        Transport::Smtp(_) => 1,
        Transport::Files(..) => 500,
    };
    let mut done = Delivered::default();
    let mut sent_ids: Vec<i64> = Vec::new();
    loop {
        let claimed = store.claim_messages(lease, batch).await?;
        if claimed.is_empty() {
            if patience == Patience::OnePass || store.outbox_waiting().await? == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        let mut accepted = Vec::new();
        for message in &claimed {
            // (the outcome, whether it says the server is the trouble)
            let sent = match tokio::time::timeout(bound, send(transport, &from, message)).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => {
                    let trouble = server_trouble(&e);
                    Err((e, trouble))
                }
                Err(_) => Err((
                    anyhow::anyhow!(
                        "the SMTP transaction took over {} s: abandoned, to be retried",
                        bound.as_secs()
                    ),
                    true,
                )),
            };
            match sent {
                Ok(()) => accepted.push((message.id, message.token)),
                Err((e, trouble)) => {
                    let error = format!("{e:#}");
                    let retry_in = (message.attempts < i64::from(config.max_attempts))
                        .then(|| backoff(config, message.attempts) as i64);
                    tracing::warn!(id = message.id, attempts = message.attempts, %error, "sending failed");
                    match store.mark_attempt_failed(message, &error, retry_in).await {
                        Ok(()) => {}
                        Err(crate::store::StoreError::Superseded) => {
                            tracing::error!(
                                id = message.id,
                                "superseded: another sender holds this message; not marked"
                            );
                            continue;
                        }
                        Err(e) => return Err(e.into()),
                    }
                    if retry_in.is_some() {
                        done.retried += 1;
                    } else {
                        done.failed += 1;
                    }
                    if patience == Patience::OnePass && trouble {
                        done.unreachable = Some(error);
                        break;
                    }
                }
            }
        }
        let marked = store.mark_sent(&accepted).await?;
        if marked < accepted.len() {
            tracing::error!(
                superseded = accepted.len() - marked,
                "accepted by the server after another sender took the claim over: left to it"
            );
        }
        done.sent += accepted.len();
        sent_ids.extend(accepted.iter().map(|(id, _)| id));
        if done.unreachable.is_some() {
            // What this pass claimed and did not try goes back to waiting, untouched.
            let untried: Vec<&Claimed> = claimed
                .iter()
                .filter(|m| !sent_ids.contains(&m.id))
                .collect();
            store.unclaim(&untried).await?;
            done.pending = store.outbox_waiting().await? as usize;
            break;
        }
    }
    if !sent_ids.is_empty() || done.failed > 0 {
        store
            .audit(&AuditEntry::now(
                &format!("send:{actor}"),
                json!({"transport": format!("{transport:?}"), "outbox_ids": sent_ids}),
                format!(
                    "sent {}, failed {}, retried {}",
                    done.sent, done.failed, done.retried
                ),
            ))
            .await?;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let config = MailConfig {
            backoff_seconds: 2,
            max_backoff_seconds: 60,
            ..MailConfig::default()
        };
        let waits: Vec<u64> = (1..=7).map(|a| backoff(&config, a)).collect();
        assert_eq!(waits, vec![2, 4, 8, 16, 32, 60, 60]);
    }
}
