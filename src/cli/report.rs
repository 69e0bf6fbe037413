//! `licwatch report weekly|risk|assignments|public|reminders|all`: render each audience's report to
//! `reports/out/<period>/…` and, with `--send`, queue one message per recipient in the outbox and
//! deliver it. The demo and the scheduler call [`produce`] the same way.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::{Days, NaiveDate, Utc};
use clap::ValueEnum;
use serde::Serialize;
use serde_json::json;

use super::demo::period;
use super::{App, deadline_rows, prefecture_code};
use crate::deadlines::{DeadlineRow, Subject};
use crate::draw::record::Record;
use crate::mail::{self, deliver::deliver};
use crate::output::{TableFormat, write_table};
use crate::report::{self, Document, weekly::CheckLine};
use crate::risk::Ranked;
use crate::store::{AuditEntry, Outgoing, Queued, Scope, Store};
use rayon::prelude::*;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ReportChoice {
    /// Each jurisdiction's weekly report, and the region-wide one.
    Weekly,
    /// Each jurisdiction's daily alert: reviews, renewals and certificates due within five working
    /// days or late.
    Alerts,
    /// The leadership risk ranking.
    Risk,
    /// Each inspector's own assignments from a draw.
    Assignments,
    /// The 一公开 plan and results notices of a draw.
    Public,
    /// Renewal reminders to enterprises whose window is open.
    Reminders,
    /// All of the above.
    All,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[arg(value_enum)]
    pub kind: ReportChoice,
    /// The day the reports are made as of (default: today in the configured time zone).
    #[arg(long, value_parser = crate::dates::arg)]
    pub as_of: Option<NaiveDate>,
    /// Queue the messages in the outbox and deliver them.
    #[arg(long)]
    pub send: bool,
    /// Queue the messages as `held` until `licwatch outbox release` (leadership signs off).
    #[arg(long, requires = "send")]
    pub hold: bool,
    /// The draw campaign for assignments and notices (default: the latest draw).
    #[arg(long)]
    pub campaign: Option<String>,
    /// Only this jurisdiction's weekly report (Chinese name or division code).
    #[arg(long)]
    pub prefecture: Option<String>,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
}

/// What to produce and how.
#[derive(Debug, Clone)]
pub struct Request {
    pub kinds: Vec<ReportChoice>,
    pub as_of: NaiveDate,
    pub send: bool,
    pub hold: bool,
    pub campaign: Option<String>,
    pub prefecture: Option<String>,
    /// The command or job asking, for the outbox and the audit log.
    pub actor: String,
}

/// One produced document, as the summary lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Produced {
    pub kind: &'static str,
    pub scope: String,
    pub title: String,
    pub recipients: usize,
    pub queued: String,
    pub file: PathBuf,
}

impl ReportChoice {
    fn expand(kinds: &[ReportChoice]) -> Vec<ReportChoice> {
        if kinds.contains(&ReportChoice::All) {
            vec![
                ReportChoice::Weekly,
                ReportChoice::Alerts,
                ReportChoice::Risk,
                ReportChoice::Assignments,
                ReportChoice::Public,
                ReportChoice::Reminders,
            ]
        } else {
            kinds.to_vec()
        }
    }
}

/// Renders the requested reports, queues their messages when sending, and delivers the outbox.
pub async fn produce(app: &App, store: &Store, req: &Request) -> anyhow::Result<Vec<Produced>> {
    let period = period(req.as_of);
    let dir = app.config.reports.out_dir.join(&period);
    let zone = app.config.zone().expect("validated at load");
    let footer = format!(
        "由 licwatch 于 {}（{}）自动生成 · 周期 {period} · 数据截至 {}",
        Utc::now().with_timezone(&zone).format("%Y-%m-%d %H:%M"),
        app.config.time_zone,
        req.as_of
    );
    let mut docs: Vec<(Document, PathBuf)> = Vec::new();
    // The region's ranking, once computed for the weekly reports, serves the risk report too.
    let mut region_ranking = None;
    let mut stored_draw = None;
    for kind in ReportChoice::expand(&req.kinds) {
        match kind {
            ReportChoice::Weekly => {
                let (weekly_docs, region) = weekly(app, store, req, &period).await?;
                region_ranking = region;
                for d in weekly_docs {
                    docs.push((d, dir.join("weekly")));
                }
            }
            ReportChoice::Alerts => {
                for d in alerts(app, store, req).await? {
                    docs.push((d, dir.join("alerts")));
                }
            }
            ReportChoice::Risk => {
                let ranked = match region_ranking.take() {
                    Some(ranked) => ranked,
                    None => {
                        let (mut rankings, _) =
                            super::risk::compute_scopes(app, store, req.as_of, &[None], false)
                                .await?;
                        rankings.remove(0)
                    }
                };
                let d = report::risk::document(
                    &period,
                    req.as_of,
                    &ranked,
                    app.config.recipients.leadership.clone(),
                )?;
                docs.push((d, dir.join("risk")));
            }
            ReportChoice::Assignments | ReportChoice::Public => {
                // The record (59 MB at national scale) is read and parsed once for both.
                if stored_draw.is_none() {
                    stored_draw = Some(draw(store, req.campaign.as_deref()).await?);
                }
                let Some(Some((id, record, digest))) = &stored_draw else {
                    tracing::warn!("no draw recorded yet: no assignments or notices");
                    continue;
                };
                let sub = dir.join(format!("draw-{}-{id}", report::file_safe(&record.campaign)));
                for d in draw_documents(store, kind, record, digest, &period, app).await? {
                    docs.push((d, sub.clone()));
                }
            }
            ReportChoice::Reminders => {
                for d in reminders(app, store, req.as_of).await? {
                    docs.push((d, dir.join("reminders")));
                }
            }
            ReportChoice::All => unreachable!("expanded above"),
        }
    }

    let from = app.config.mail.from_mailbox()?;
    let mut produced = Vec::new();
    let mut queued_any = false;
    if req.send {
        // What was sent for these keys before is not rendered again: a rerun of the week, or the
        // reminders of windows already reminded, cost a lookup.
        let mut sent = HashSet::new();
        let kinds: BTreeSet<&str> = docs.iter().map(|(d, _)| d.kind.code()).collect();
        for kind in kinds {
            sent.extend(store.sent_keys(kind).await?);
        }
        docs.retain(|(doc, _)| {
            let done = !doc.recipients.is_empty()
                && doc
                    .recipients
                    .iter()
                    .all(|r| mail::key(doc, r).is_ok_and(|k| sent.contains(&k)));
            if done {
                produced.push(Produced {
                    kind: doc.kind.code(),
                    scope: doc.scope.clone(),
                    title: doc.title.clone(),
                    recipients: doc.recipients.len(),
                    queued: format!("already sent {}", doc.recipients.len()),
                    file: PathBuf::new(),
                });
            }
            !done
        });
    }
    // Documents go to the outbox a chunk at a time: one transaction per chunk, and never the
    // messages of every inspector in memory at once.
    for chunk in docs.chunks(200) {
        // Rendering is pure CPU work per document: spread it over the cores.
        let rendered: Vec<anyhow::Result<(PathBuf, Vec<Outgoing>)>> = chunk
            .par_iter()
            .map(|(doc, dir)| {
                let rendered = report::render(doc, &footer)?;
                let files = report::write(dir, doc, &rendered)?;
                let messages = if req.send {
                    mail::compose(doc, &rendered, &from, req.hold, &req.actor)?
                } else {
                    Vec::new()
                };
                Ok((files[0].clone(), messages))
            })
            .collect();
        let mut messages = Vec::new();
        let mut owners = Vec::new();
        for ((doc, _), result) in chunk.iter().zip(rendered) {
            let (file, composed) = result?;
            for m in composed {
                messages.push(m);
                owners.push(produced.len());
            }
            produced.push(Produced {
                kind: doc.kind.code(),
                scope: doc.scope.clone(),
                title: doc.title.clone(),
                recipients: doc.recipients.len(),
                queued: String::new(),
                file,
            });
        }
        release_freed_memory();
        if messages.is_empty() {
            continue;
        }
        queued_any |= !req.hold;
        let mut counts: BTreeMap<usize, BTreeMap<&str, usize>> = BTreeMap::new();
        for (owner, outcome) in owners.into_iter().zip(store.enqueue(&messages).await?) {
            let label = match outcome {
                Queued::New if req.hold => "held",
                Queued::New => "queued",
                Queued::Refreshed => "refreshed",
                Queued::Kept => "already sent",
            };
            *counts.entry(owner).or_default().entry(label).or_default() += 1;
        }
        for (owner, labels) in counts {
            produced[owner].queued = labels
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ");
        }
    }
    if req.send && queued_any {
        let transport = app.config.mail.transport()?;
        let done = deliver(store, &app.config.mail, &transport, &req.actor, true).await?;
        eprintln!(
            "邮件 mail ({transport:?}): {} sent, {} failed{}",
            done.sent,
            done.failed,
            if done.failed > 0 {
                " — see `licwatch outbox --status failed`"
            } else {
                ""
            }
        );
    }
    store
        .audit(&AuditEntry::now(
            &format!("report:{}", req.actor),
            json!({"kinds": req.kinds, "as_of": req.as_of, "period": period, "send": req.send, "hold": req.hold}),
            format!("ok: {} documents", produced.len()),
        ))
        .await?;
    Ok(produced)
}

/// Hands memory freed by the last chunk back to the system. glibc raises its mmap threshold as large
/// buffers (workbooks, messages) are freed, after which they come from the heap and fragment it:
/// 20,000 assignment mails grew the process to 5 GiB with 214 MiB live. Trimming after each chunk
/// keeps it near what is live.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages to the kernel; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Recipients configured for a prefecture, by its code or its name.
fn prefecture_recipients(app: &App, code: &str, name: &str) -> Vec<String> {
    let by = &app.config.recipients.prefecture;
    by.get(code)
        .or_else(|| by.get(name))
        .cloned()
        .unwrap_or_default()
}

/// The jurisdictions a bureau report goes to: each prefecture (or the one asked for), then the
/// whole region — (division code or None, name, recipients).
async fn jurisdictions(
    app: &App,
    store: &Store,
    req: &Request,
) -> anyhow::Result<Vec<(Option<String>, String, Vec<String>)>> {
    let divisions = store.divisions().await?;
    let only = prefecture_code(store, req.prefecture.as_deref()).await?;
    let mut scopes: Vec<(Option<String>, String, Vec<String>)> = divisions
        .prefectures()
        .filter(|p| only.as_ref().is_none_or(|o| *o == p.code))
        .map(|p| {
            let recipients = prefecture_recipients(app, &p.code, &p.name);
            (Some(p.code.clone()), p.name.clone(), recipients)
        })
        .collect();
    if only.is_none() {
        scopes.push((None, "全区".into(), app.config.recipients.region.clone()));
    }
    Ok(scopes)
}

async fn alerts(app: &App, store: &Store, req: &Request) -> anyhow::Result<Vec<Document>> {
    let only = prefecture_code(store, req.prefecture.as_deref()).await?;
    let subjects = store
        .subjects(&Scope {
            prefecture: only,
            credit_code: None,
            active_only: true,
        })
        .await?;
    let flags = deadline_rows(app, &subjects, req.as_of, false)?;
    let mut docs = Vec::new();
    for (code, name, recipients) in jurisdictions(app, store, req).await? {
        let own: Vec<DeadlineRow> = match &code {
            Some(_) => flags
                .iter()
                .filter(|f| f.prefecture == name)
                .cloned()
                .collect(),
            None => flags.clone(),
        };
        docs.extend(report::alerts::document(
            req.as_of,
            code.as_deref().unwrap_or("all"),
            &name,
            &own,
            recipients,
        ));
    }
    Ok(docs)
}

/// The weekly documents, and the region's ranking when it was computed among them.
async fn weekly(
    app: &App,
    store: &Store,
    req: &Request,
    period: &str,
) -> anyhow::Result<(Vec<Document>, Option<Vec<Ranked>>)> {
    let scopes = jurisdictions(app, store, req).await?;
    // One read for every jurisdiction, split in memory.
    let only = prefecture_code(store, req.prefecture.as_deref()).await?;
    let from = req.as_of - Days::new(7);
    let subjects = store
        .subjects(&Scope {
            prefecture: only.clone(),
            credit_code: None,
            active_only: false,
        })
        .await?;
    let flags = deadline_rows(app, &subjects, req.as_of, false)?;
    let checks: Vec<CheckLine> = store
        .spot_checks_between(only.as_deref(), from, req.as_of)
        .await?
        .iter()
        .map(|c| {
            CheckLine::new(
                &c.check,
                &c.enterprise,
                &c.prefecture_name,
                &c.category_name,
            )
        })
        .collect();
    let codes: Vec<Option<String>> = scopes.iter().map(|(code, _, _)| code.clone()).collect();
    let (risks, _) = super::risk::compute_scopes(app, store, req.as_of, &codes, false).await?;

    let mut docs = Vec::new();
    let mut region = None;
    for ((code, name, recipients), risk) in scopes.into_iter().zip(risks) {
        // A prefecture's own rows; the region's are all of them.
        let own_subjects: Vec<Subject>;
        let own_flags: Vec<DeadlineRow>;
        let own_checks: Vec<CheckLine>;
        let (s, f, c) = match &code {
            Some(code) => {
                own_subjects = subjects
                    .iter()
                    .filter(|s| s.prefecture == *code)
                    .cloned()
                    .collect();
                own_flags = flags
                    .iter()
                    .filter(|f| f.prefecture == name)
                    .cloned()
                    .collect();
                own_checks = checks
                    .iter()
                    .filter(|c| c.prefecture == name)
                    .cloned()
                    .collect();
                (&own_subjects, &own_flags, &own_checks)
            }
            None => (&subjects, &flags, &checks),
        };
        docs.push(report::weekly::document(&report::weekly::WeeklyData {
            period,
            scope: code.as_deref().unwrap_or("all"),
            scope_name: &name,
            from,
            to: req.as_of,
            subjects: s,
            flags: f,
            checks: c,
            risk: &risk,
            recipients,
        }));
        if code.is_none() {
            region = Some(risk);
        }
    }
    Ok((docs, region))
}

/// The campaign's current draw, or the latest: its id, record and the SHA-256 of the stored record.
async fn draw(
    store: &Store,
    campaign: Option<&str>,
) -> anyhow::Result<Option<(i64, Record, String)>> {
    let found = match campaign {
        Some(c) => match store.current_draw(c).await? {
            Some(found) => Some(found),
            None => bail!("campaign {c} has no draw"),
        },
        None => store.latest_draw().await?,
    };
    found
        .map(|(id, text)| {
            let record: Record =
                serde_json::from_str(&text).context("the stored draw record does not parse")?;
            let digest = format!(
                "{:x}",
                <sha2::Sha256 as sha2::Digest>::digest(text.as_bytes())
            );
            Ok((id, record, digest))
        })
        .transpose()
}

async fn draw_documents(
    store: &Store,
    kind: ReportChoice,
    record: &Record,
    digest: &str,
    period: &str,
    app: &App,
) -> anyhow::Result<Vec<Document>> {
    let catalogue = store.catalogue().await?;
    let divisions = store.divisions().await?;
    let category = |code: &str| {
        catalogue
            .by_code(code)
            .map_or(code.to_string(), |c| c.name_zh.clone())
    };
    let division = |code: &str| {
        divisions
            .by_code(code)
            .map_or(code.to_string(), |d| d.name.clone())
    };
    if kind == ReportChoice::Assignments {
        let inspectors = store.inspector_contacts().await?;
        let addresses: HashMap<String, String> = store
            .enterprise_contacts()
            .await?
            .into_iter()
            .filter_map(|(code, (address, _))| address.map(|a| (code, a)))
            .collect();
        let dir = report::assignments::Directory {
            category: &category,
            division: &division,
            inspectors: &inspectors,
            addresses: &addresses,
        };
        return Ok(report::assignments::documents(record, &dir, period));
    }
    let public = app.config.recipients.public.clone();
    let checks = store.spot_checks_of_campaign(&record.campaign).await?;
    let lines = report::public::result_lines(record, checks, &category);
    Ok(vec![
        report::public::plan_notice(record, digest, "", period, &category, public.clone()),
        report::public::results_notice(record, &lines, period, public),
    ])
}

async fn reminders(app: &App, store: &Store, as_of: NaiveDate) -> anyhow::Result<Vec<Document>> {
    let subjects = store
        .subjects(&Scope {
            active_only: true,
            ..Scope::default()
        })
        .await?;
    let flags = deadline_rows(app, &subjects, as_of, false)?;
    let contacts = store.enterprise_contacts().await?;
    let email = |code: &str| contacts.get(code).and_then(|(_, e)| e.clone());
    Ok(report::reminder::documents(&flags, &email))
}

const COLUMNS: &[&str] = &["kind", "scope", "title", "recipients", "queued", "file"];

pub async fn run(app: &App, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let store = app.store().await?;
    let req = Request {
        kinds: vec![args.kind],
        as_of: app.as_of(args.as_of),
        send: args.send,
        hold: args.hold,
        campaign: args.campaign,
        prefecture: args.prefecture,
        actor: "report".into(),
    };
    let produced = produce(app, &store, &req).await?;
    write_table(
        &mut std::io::stdout().lock(),
        args.format,
        &produced,
        COLUMNS,
    )?;
    Ok(ExitCode::SUCCESS)
}
