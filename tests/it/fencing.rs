//! Fencing (issue 14) on a real store: a tick or an outbox message whose holder lost its claim —
//! paused past its lease, or slow — cannot be written by that holder any more; every write is
//! conditional on the claim's token, and leases run on the database's clock.

use crate::common::*;
use licwatch::model::{OutboxStatus, RunStatus};
use licwatch::store::{OutboxKey, Outgoing, RunEnd, StoreError};

#[tokio::test]
async fn a_replica_that_lost_its_tick_cannot_renew_progress_or_finish_it() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let tick = chrono::Utc::now();
    // A's lease runs out at once (paused past it); B takes the tick over.
    let a = store
        .claim_tick("weekly", tick, "host-a:1", -1, 3)
        .await
        .unwrap()
        .unwrap();
    let b = store
        .claim_tick("weekly", tick, "host-b:2", 60, 3)
        .await
        .unwrap()
        .expect("the lapsed claim is taken over");
    assert!(b.token > a.token, "{a:?} {b:?}");
    // A wakes up: every write it tries is refused, loudly.
    assert!(!store.renew_tick("weekly", tick, &a, 60).await.unwrap());
    assert!(matches!(
        store.run_progress("weekly", tick, &a, 1).await,
        Err(StoreError::Superseded)
    ));
    assert!(matches!(
        store
            .finish_tick("weekly", tick, &a, RunEnd::Failed, Some("late"), None)
            .await,
        Err(StoreError::Superseded)
    ));
    // B's claim is intact: a third replica cannot take it, and B finishes it.
    assert!(
        store
            .claim_tick("weekly", tick, "host-c:3", 60, 3)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.renew_tick("weekly", tick, &b, 60).await.unwrap());
    store
        .finish_tick("weekly", tick, &b, RunEnd::Succeeded, None, None)
        .await
        .unwrap();
    let runs = store.runs(Some("weekly"), 5).await.unwrap();
    let statuses: Vec<RunStatus> = runs.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![RunStatus::Succeeded, RunStatus::Interrupted]);
}

#[tokio::test]
async fn a_sender_that_lost_its_message_never_flips_the_successors_send() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let key = OutboxKey {
        kind: "weekly".into(),
        period: "2026-W48".into(),
        scope: "650100".into(),
        recipient: "wlmq@example.gov.cn".into(),
    };
    store
        .enqueue(&[Outgoing {
            key,
            message_id: "<x@example.gov.cn>".into(),
            subject: "周报".into(),
            message: "Subject: x\r\n\r\nbody\r\n".into(),
            held: false,
            requested_by: "test".into(),
        }])
        .await
        .unwrap();
    // The first sender's SMTP call outlives its lease; a second sender claims the message.
    let first = store.claim_messages(-1, 10).await.unwrap().remove(0);
    let second = store.claim_messages(60, 10).await.unwrap().remove(0);
    assert_eq!(first.id, second.id);
    assert!(second.token > first.token);
    assert_eq!(
        store.mark_sent(&[(second.id, second.token)]).await.unwrap(),
        1
    );
    // The first one's server then refuses, or accepts: neither touches the sent row.
    assert!(matches!(
        store.mark_attempt_failed(&first, "timeout", Some(5)).await,
        Err(StoreError::Superseded)
    ));
    assert_eq!(
        store.mark_sent(&[(first.id, first.token)]).await.unwrap(),
        0
    );
    let rows = store.outbox(None).await.unwrap();
    assert_eq!(rows[0].status, OutboxStatus::Sent);
    assert_eq!(rows[0].attempts, 2);
    assert!(store.claim_messages(60, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn two_draws_of_one_campaign_made_at_once_give_one_record_and_one_refusal() {
    let db = TestDb::new().await;
    assert!(db.run(&["demo", "--as-of", "2026-11-26"]).status.success());
    let store = db.store().await;
    // The demo drew campaign 2026-11. A second draw that passed the "drawn already" check at the
    // same moment as the first (its record made from the same snapshot) reaches the store after
    // it: the schema refuses it and nothing of it is stored.
    let (current, head, digest) = store.current_draw("2026-11").await.unwrap().unwrap();
    let record: licwatch::draw::record::Record = serde_json::from_str(&head).unwrap();
    let refused = store.save_draw(&record, &head, &digest, None, None).await;
    assert!(
        matches!(&refused, Err(StoreError::DrawnAlready(c)) if c == "2026-11"),
        "{refused:?}"
    );
    assert_eq!(store.draws_of("2026-11").await.unwrap().len(), 1);
    // A redraw replaces the current draw only from the one it names.
    let stale = store
        .save_draw(&record, &head, &digest, Some("重抽"), Some(current + 99))
        .await;
    assert!(
        matches!(stale, Err(StoreError::DrawnAlready(_))),
        "{stale:?}"
    );
    let id = store
        .save_draw(&record, &head, &digest, Some("重抽"), Some(current))
        .await
        .unwrap();
    assert_eq!(store.current_draw("2026-11").await.unwrap().unwrap().0, id);
    assert_eq!(store.draws_of("2026-11").await.unwrap().len(), 2);
}

#[tokio::test]
async fn releasing_held_mail_names_what_it_releases_or_says_all() {
    let db = TestDb::new().await;
    assert!(db.run(&["demo", "--as-of", "2026-11-26"]).status.success());
    let bare = db.run(&["outbox", "release", "--by", "分管局长"]);
    assert_eq!(bare.status.code(), Some(1));
    assert!(stderr(&bare).contains("--all"), "{}", stderr(&bare));
    let store = db.store().await;
    assert!(
        !store
            .outbox(Some(OutboxStatus::Held))
            .await
            .unwrap()
            .is_empty()
    );
    let all = db.run(&["outbox", "release", "--all", "--by", "分管局长"]);
    assert!(all.status.success(), "{}", stderr(&all));
    assert!(
        store
            .outbox(Some(OutboxStatus::Held))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_released_message_whose_content_changes_waits_for_approval_again() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let message = |body: &str| Outgoing {
        key: OutboxKey {
            kind: "assignment".into(),
            period: "2026-W49".into(),
            scope: "2026-12/I0001".into(),
            recipient: "i0001@example.gov.cn".into(),
        },
        message_id: "<a@example.gov.cn>".into(),
        subject: "抽查任务".into(),
        message: body.into(),
        held: true,
        requested_by: "job:monthly-draw".into(),
    };
    store.enqueue(&[message("v1")]).await.unwrap();
    store
        .move_messages(OutboxStatus::Held, OutboxStatus::Pending, &[], None, None)
        .await
        .unwrap();
    // The same content again: still released.
    store.enqueue(&[message("v1")]).await.unwrap();
    assert_eq!(
        store.outbox(None).await.unwrap()[0].status,
        OutboxStatus::Pending
    );
    // A revision: held again, not sent without a new sign-off.
    store.enqueue(&[message("v2")]).await.unwrap();
    let row = &store.outbox(None).await.unwrap()[0];
    assert_eq!(row.status, OutboxStatus::Held);
    assert!(store.claim_messages(60, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_redraw_cancels_the_unsent_lists_and_corrects_the_mailed_ones() {
    let db = TestDb::new().await;
    assert!(db.run(&["demo", "--as-of", "2026-11-26"]).status.success());
    let store = db.store().await;
    let held = store.outbox(Some(OutboxStatus::Held)).await.unwrap();
    assert!(held.len() > 1 && held.iter().all(|r| r.kind == "assignment"));
    // One inspector's list went out; the others wait for sign-off.
    let first = held[0].id.to_string();
    let out = db.run(&["outbox", "release", &first, "--by", "分管局长"]);
    assert!(out.status.success(), "{}", stderr(&out));

    let plan = db.dir.path().join("plan.toml");
    std::fs::write(
        &plan,
        "campaign = \"{year}-{month}\"\nname = \"简化审批程序产品证后监督双随机抽查\"\n",
    )
    .unwrap();
    let out = db.run(&[
        "draw",
        "--plan",
        plan.to_str().unwrap(),
        "--as-of",
        "2026-11-26",
        "--seed",
        "another seed",
        "--redraw",
        "--reason",
        "公证员未到场",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = store.outbox(None).await.unwrap();
    let superseded = rows
        .iter()
        .filter(|r| r.status == OutboxStatus::Superseded)
        .count();
    assert_eq!(superseded, held.len() - 1, "every unsent list cancelled");
    let corrections: Vec<_> = rows.iter().filter(|r| r.kind == "correction").collect();
    assert_eq!(corrections.len(), 1, "{rows:?}");
    assert_eq!(corrections[0].recipient, held[0].recipient);
    assert_eq!(corrections[0].status, OutboxStatus::Sent);
    let log = store.audit_log(20).await.unwrap();
    assert!(log.iter().any(|e| e.actor == "outbox:supersede"));

    // The new draw's lists are new messages, held for sign-off like the first.
    let out = db.run(&[
        "report",
        "assignments",
        "--as-of",
        "2026-11-26",
        "--send",
        "--hold",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let again = store.outbox(Some(OutboxStatus::Held)).await.unwrap();
    assert!(!again.is_empty());
    assert!(
        again
            .iter()
            .all(|r| !held.iter().any(|h| h.scope == r.scope))
    );
}

#[tokio::test]
async fn two_senders_on_a_slow_server_deliver_each_message_once() {
    if engine() != "postgres" {
        return; // two processes sharing one outbox: PostgreSQL
    }
    let db = TestDb::new().await;
    assert!(db.run(&["demo", "--as-of", "2026-11-26"]).status.success());
    let (recipients, expected) = bureau_recipients(&db).await;
    // Each message takes the server 0.5 s, the batch several times the 2-second mail lease.
    db.config(&format!(
        "[mail]\nlease_seconds = 2\nbackoff_seconds = 1\nmax_backoff_seconds = 1\n{recipients}"
    ));
    let mut smtp = SmtpServer::start(0.5);
    let url = smtp.url();
    let env = [("LICWATCH_SMTP_URL", url.as_str())];
    smtp.stop();
    let out = db.run_env(&["report", "weekly", "--send"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    smtp.restart();
    std::thread::sleep(std::time::Duration::from_secs(1));
    let senders: Vec<_> = (0..2)
        .map(|_| {
            db.command(&["outbox", "send"], &env)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for s in senders {
        let out = s.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let ids = smtp.message_ids();
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(
        (ids.len(), unique.len()),
        (expected, expected),
        "each message once: {ids:?}"
    );
    let store = db.store().await;
    let weekly: Vec<_> = store
        .outbox(None)
        .await
        .unwrap()
        .into_iter()
        // The demo's own weekly mails went to its example bureaus before; these are ours.
        .filter(|r| {
            r.kind == "weekly"
                && (r.recipient.starts_with("ju-") || r.recipient == "zongju@example.gov.cn")
        })
        .collect();
    assert_eq!(weekly.len(), expected);
    assert!(
        weekly.iter().all(|r| r.status == OutboxStatus::Sent),
        "{weekly:?}"
    );
}
