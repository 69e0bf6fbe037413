//! The reports of DESIGN.md section 3: each audience's `Document` built from the store
//! (`render_reports`, reads only — reports never write risk tables), written to
//! `reports/out/<period>/…` and, when sending, queued one message per recipient in the outbox
//! (`write_and_queue`); `produce` does both, delivers and audit-logs. The command line, the demo and
//! the scheduler's report step all call `produce`.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::{Days, NaiveDate};
use clap::ValueEnum;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::draw::{Stored, draw_folder, stored};
use super::{Context, Names, Period, deadlines, delivery, prefecture_code, risk};
use crate::deadlines::{DeadlineRow, Subject};
use crate::mail::deliver::Patience;
use crate::mail::{self, Composed};
use crate::report::{self, Document, weekly::CheckLine};
use crate::risk::Ranked;
use crate::store::{AuditEntry, Queued, Store};

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
    /// The 一公开 plan notice of a draw, and its results notice once results are recorded.
    Public,
    /// The 一公开 results notice of a draw: the checks recorded under its campaign, the
    /// non-conforming products and enterprises first (measures 三(三)).
    Results,
    /// Renewal reminders to enterprises whose window is open.
    Reminders,
    /// All of the above.
    All,
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
            // A kind named twice (`report alerts alerts`) is made once.
            let mut seen = BTreeSet::new();
            kinds.iter().copied().filter(|k| seen.insert(*k)).collect()
        }
    }
}

/// What to produce and how.
#[derive(Debug, Clone)]
pub struct Request {
    pub kinds: Vec<ReportChoice>,
    pub as_of: NaiveDate,
    pub send: bool,
    /// Which messages wait as `held` for `licwatch outbox release` (leadership signs off).
    pub hold: Hold,
    pub campaign: Option<String>,
    pub prefecture: Option<String>,
    /// The command or job asking, for the outbox and the audit log.
    pub actor: String,
}

/// Which queued messages are held for approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    Nothing,
    /// Inspectors' assignment mails only: a job's `approval`. The 一公开 plan notice goes out
    /// without it — it names no enterprise, so there is nothing to sign off.
    Assignments,
    /// Every message (`report --send --hold`).
    Everything,
}

impl Hold {
    fn holds(self, kind: report::ReportKind) -> bool {
        match self {
            Hold::Nothing => false,
            Hold::Assignments => kind == report::ReportKind::Assignment,
            Hold::Everything => true,
        }
    }
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

/// A document and the folder its files go to.
pub type Placed = (Document, PathBuf);

/// Builds the requested documents from the store. Reads only; the active licences' flags come from
/// `shared` when a step before computed them on the same day.
pub async fn render_reports(
    ctx: &Context,
    store: &Store,
    req: &Request,
    shared: &mut Shared,
) -> anyhow::Result<Vec<Placed>> {
    let period = Period::week_of(req.as_of);
    let dir = ctx.out_dir(&period);
    let mut docs: Vec<Placed> = Vec::new();
    // The region's ranking, once computed by a risk step before or for the weekly reports, serves
    // the risk report too.
    let mut region_ranking = shared.take_region_ranking(req.as_of);
    let mut stored_draw: Option<Option<Stored>> = None;
    for kind in ReportChoice::expand(&req.kinds) {
        match kind {
            ReportChoice::Weekly => {
                let (weekly_docs, region) = weekly(ctx, store, req, &period, shared).await?;
                region_ranking = region.or(region_ranking);
                docs.extend(weekly_docs.into_iter().map(|d| (d, dir.join("weekly"))));
            }
            ReportChoice::Alerts => {
                let alerts = alerts(ctx, store, req, shared).await?;
                docs.extend(alerts.into_iter().map(|d| (d, dir.join("alerts"))));
            }
            ReportChoice::Risk => {
                let ranked = match region_ranking.take() {
                    Some(ranked) => ranked,
                    None => {
                        let mut ranking = risk::rank(ctx, store, req.as_of, &[None], false).await?;
                        ranking.scopes.remove(0).1
                    }
                };
                let d = report::risk::document(
                    &period.to_string(),
                    req.as_of,
                    &ranked,
                    ctx.config.recipients.leadership.clone(),
                )?;
                docs.push((d, dir.join("risk")));
            }
            ReportChoice::Assignments | ReportChoice::Public | ReportChoice::Results => {
                // The record's head (3.4 MB nationally: the snapshot, which no report reads, is
                // the freeze's) is read and parsed once for both.
                if stored_draw.is_none() {
                    stored_draw = Some(stored(store, req.campaign.as_deref()).await?);
                }
                let Some(Some(drawn)) = &stored_draw else {
                    tracing::warn!("no draw recorded yet: no assignments or notices");
                    continue;
                };
                let sub = dir.join(draw_folder(&drawn.record.campaign, drawn.id));
                for d in draw_documents(ctx, store, kind, drawn, &period).await? {
                    docs.push((d, sub.clone()));
                }
            }
            ReportChoice::Reminders => {
                let reminders = reminders(ctx, store, req.as_of, shared).await?;
                docs.extend(reminders.into_iter().map(|d| (d, dir.join("reminders"))));
            }
            ReportChoice::All => unreachable!("expanded above"),
        }
    }
    Ok(docs)
}

/// What rendering a document needs beside it: shared by the threads that render.
struct Renderer {
    footer: String,
    from: lettre::message::Mailbox,
    hold: Hold,
    send: bool,
    actor: String,
}

/// A rendered document: its page on disk, its messages (when sending), whether they are held.
type Rendition = anyhow::Result<(PathBuf, Option<Composed>, bool)>;

impl Renderer {
    /// Renders and writes each document, and composes its messages, over the cores.
    fn render(&self, docs: &[Placed]) -> Vec<Rendition> {
        render_pool().install(|| {
            docs.par_iter()
                .map(|(doc, dir)| {
                    let rendered = report::render(doc, &self.footer)?;
                    let files = report::write(dir, doc, &rendered)?;
                    let hold = self.hold.holds(doc.kind);
                    let composed = self
                        .send
                        .then(|| mail::compose(doc, &rendered, &self.from, hold, &self.actor))
                        .transpose()?;
                    Ok((files[0].clone(), composed, hold))
                })
                .collect()
        })
    }
}

/// The threads documents render on: twice the cores. rust_xlsxwriter assembles each workbook's
/// sheets on a thread of its own while its caller waits, so with one renderer per core the cores
/// stood idle a third of the time (a draw's 23,244 assignment mails: 10.4 → 8.4 s).
fn render_pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(2 * rayon::current_num_threads())
            .thread_name(|i| format!("render-{i}"))
            .build()
            .expect("a thread pool starts")
    })
}

/// `items` in owned chunks of `size`, in order.
fn in_chunks<T>(items: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let mut chunks = Vec::with_capacity(items.len().div_ceil(size));
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        chunks.push(items.by_ref().take(size).collect());
    }
    chunks
}

/// Renders the documents, writes their files and, when sending, queues their messages — a chunk
/// at a time: one transaction per chunk, never every inspector's messages in memory at once.
/// Keys sent before are not rendered again. Returns the summary and whether anything is pending.
pub async fn write_and_queue(
    ctx: &Context,
    store: &Store,
    req: &Request,
    mut docs: Vec<Placed>,
) -> anyhow::Result<(Vec<Produced>, bool)> {
    let footer = format!(
        "由 licwatch 于 {}（{}）自动生成 · 周期 {} · 数据截至 {}",
        crate::clock::now()
            .with_timezone(&ctx.zone)
            .format("%Y-%m-%d %H:%M"),
        ctx.zone,
        Period::week_of(req.as_of),
        req.as_of
    );
    let from = ctx.config.mail.from_mailbox()?;
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
    let total = docs.len();
    let mut pages: Vec<PathBuf> = Vec::with_capacity(total);
    let bar = crate::progress::bar(ctx.progress, total as u64, "报告 rendering");
    let renderer = Arc::new(Renderer {
        footer: footer.clone(),
        from,
        hold: req.hold,
        send: req.send,
        actor: req.actor.clone(),
    });
    // Rendering is pure CPU work: the next chunk renders on the cores while this one is queued.
    let start = |chunk: Vec<Placed>| {
        let renderer = Arc::clone(&renderer);
        tokio::task::spawn_blocking(move || {
            let rendered = renderer.render(&chunk);
            (chunk, rendered)
        })
    };
    let mut chunks = in_chunks(docs, 200).into_iter();
    let mut next = chunks.next().map(start);
    // The documents come back from their chunks for the week's index.
    let mut docs: Vec<Placed> = Vec::with_capacity(total);
    while let Some(rendering) = next.take() {
        let (chunk, rendered) = rendering.await.context("rendering crashed")?;
        next = chunks.next().map(start);
        let mut messages = Vec::new();
        let mut owners = Vec::new();
        for ((doc, _), result) in chunk.iter().zip(rendered) {
            let (file, composed, hold) = result?;
            pages.push(file.clone());
            let mut queued = String::new();
            if let Some(composed) = composed {
                for m in composed.messages {
                    messages.push(m);
                    owners.push((produced.len(), hold));
                }
                for refused in &composed.refused {
                    tracing::warn!(document = %doc.title, "{refused}: not queued");
                }
                if !composed.refused.is_empty() {
                    queued = format!("refused {}", composed.refused.len());
                }
            }
            produced.push(Produced {
                kind: doc.kind.code(),
                scope: doc.scope.clone(),
                title: doc.title.clone(),
                recipients: doc.recipients.len(),
                queued,
                file,
            });
        }
        bar.inc(chunk.len() as u64);
        docs.extend(chunk);
        if messages.is_empty() {
            continue;
        }
        let mut counts: BTreeMap<usize, BTreeMap<&str, usize>> = BTreeMap::new();
        for ((owner, hold), outcome) in owners.into_iter().zip(store.enqueue(&messages).await?) {
            queued_any |= !hold;
            let label = match outcome {
                Queued::New if hold => "held",
                Queued::New => "queued",
                Queued::Refreshed => "refreshed",
                Queued::Kept => "already sent",
            };
            *counts.entry(owner).or_default().entry(label).or_default() += 1;
        }
        for (owner, labels) in counts {
            let mut parts: Vec<String> = labels.iter().map(|(k, n)| format!("{k} {n}")).collect();
            if !produced[owner].queued.is_empty() {
                parts.push(std::mem::take(&mut produced[owner].queued));
            }
            produced[owner].queued = parts.join(", ");
        }
    }
    bar.finish_and_clear();
    if !docs.is_empty() {
        let week = ctx.out_dir(&Period::week_of(req.as_of));
        let written: Vec<(&Document, &std::path::Path)> = docs
            .iter()
            .map(|(d, _)| d)
            .zip(pages.iter().map(PathBuf::as_path))
            .collect();
        let entries = report::index::entries(&written, &week);
        report::index::update(
            &week,
            &Period::week_of(req.as_of).to_string(),
            entries,
            &footer,
        )?;
    }
    Ok((produced, queued_any))
}

/// Renders, writes, queues and (when anything is pending) delivers the requested reports, and
/// audit-logs the run. `shared` holds what a step before computed (see [`Shared`]).
pub async fn produce(
    ctx: &Context,
    store: &Store,
    req: &Request,
    shared: &mut Shared,
) -> anyhow::Result<Vec<Produced>> {
    let docs = render_reports(ctx, store, req, shared).await?;
    let (produced, queued_any) = write_and_queue(ctx, store, req, docs).await?;
    if req.send && queued_any {
        let (transport, done) =
            delivery::deliver(ctx, store, &req.actor, Patience::OnePass).await?;
        eprintln!("{}", delivery::summary(&transport, &done));
    }
    store
        .audit(&AuditEntry::now(
            &format!("report:{}", req.actor),
            json!({"kinds": req.kinds, "as_of": req.as_of, "period": Period::week_of(req.as_of),
                   "send": req.send, "hold": req.hold}),
            format!("ok: {} documents", produced.len()),
        ))
        .await?;
    Ok(produced)
}

/// One jurisdiction a bureau report goes to.
struct Jurisdiction {
    /// The prefecture's division code; None for the whole region.
    code: Option<String>,
    name: String,
    recipients: Vec<String>,
}

/// Each prefecture (or the one asked for), then the whole region.
async fn jurisdictions(
    ctx: &Context,
    store: &Store,
    req: &Request,
) -> anyhow::Result<Vec<Jurisdiction>> {
    let divisions = store.divisions().await?;
    let only = prefecture_code(store, req.prefecture.as_deref()).await?;
    let by = &ctx.config.recipients.prefecture;
    let mut scopes: Vec<Jurisdiction> = divisions
        .prefectures()
        .filter(|p| only.as_ref().is_none_or(|o| *o == p.code))
        .map(|p| Jurisdiction {
            code: Some(p.code.clone()),
            name: p.name.clone(),
            // Recipients are configured by code or by name.
            recipients: by
                .get(&p.code)
                .or_else(|| by.get(&p.name))
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    if only.is_none() {
        scopes.push(Jurisdiction {
            code: None,
            name: "全区".into(),
            recipients: ctx.config.recipients.region.clone(),
        });
    }
    Ok(scopes)
}

/// The flags of one jurisdiction: the work of a prefecture's bureau (see
/// `deadlines::responsible_bureau`), or all of them for the region.
fn own_flags<'a>(flags: &'a [DeadlineRow], j: &Jurisdiction) -> Vec<&'a DeadlineRow> {
    flags
        .iter()
        .filter(|f| j.code.is_none() || f.bureau == j.code)
        .collect()
}

/// What the reports of one request (`report all`), or the steps of one job tick, share: they read
/// the same store on the same day, so each is computed once. The flags of the active licences, by
/// the prefecture they were asked for and the day (a job's `deadlines`, then its weekly report, or
/// its alerts and reminders); the licences for a weekly report; the region's risk ranking (a job's
/// `risk` step, then its risk report). Whoever changes the facts forgets them (a job's ingest
/// step).
pub struct Shared {
    flags: HashMap<(Option<String>, NaiveDate), Vec<DeadlineRow>>,
    /// Set when a weekly report is among the reports: the flags are then computed from the
    /// licences read with every status, which the weekly report lists, and those subjects are kept
    /// for it — the licences are read once, not twice (a job's deadlines step, then its report).
    kept: Option<HashMap<Option<String>, Vec<Subject>>>,
    /// The region's ranking as of a day, from a risk step that ranked every scope: the ranking
    /// compares each scope with the weeks before its own, so recording it changes nothing here.
    region_ranking: Option<(NaiveDate, Vec<Ranked>)>,
}

impl Shared {
    /// For the reports of one request, or of one job tick's steps: keeps the licences for a weekly
    /// report among them.
    pub fn for_steps<'a>(mut reports: impl Iterator<Item = &'a ReportChoice>) -> Shared {
        let weekly = reports.any(|r| matches!(r, ReportChoice::Weekly | ReportChoice::All));
        Shared {
            flags: HashMap::new(),
            kept: weekly.then(HashMap::new),
            region_ranking: None,
        }
    }

    /// Forgets what was computed (the facts changed), still keeping subjects if it did.
    pub fn forget(&mut self) {
        self.flags.clear();
        if let Some(kept) = &mut self.kept {
            kept.clear();
        }
        self.region_ranking = None;
    }

    /// Keeps the region's ranking of a ranking of every scope, for a risk report later.
    pub fn keep_region_ranking(&mut self, ranking: &risk::Ranking) {
        if let Some((_, region)) = ranking.scopes.iter().find(|(scope, _)| scope.is_none()) {
            self.region_ranking = Some((ranking.as_of, region.clone()));
        }
    }

    /// The region's ranking as of `as_of`, when a step before made it.
    fn take_region_ranking(&mut self, as_of: NaiveDate) -> Option<Vec<Ranked>> {
        self.region_ranking
            .take_if(|(day, _)| *day == as_of)
            .map(|(_, ranked)| ranked)
    }

    pub async fn of(
        &mut self,
        ctx: &Context,
        store: &Store,
        prefecture: Option<&str>,
        as_of: NaiveDate,
    ) -> anyhow::Result<&[DeadlineRow]> {
        let flags = match self.flags.entry((prefecture.map(str::to_string), as_of)) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(new) => match &mut self.kept {
                None => {
                    new.insert(deadlines::flags_in(ctx, store, prefecture, as_of, false).await?)
                }
                Some(kept) => {
                    let subjects = every_status(store, prefecture).await?;
                    let flags = new.insert(deadlines::flags(ctx, &subjects, as_of, false)?);
                    kept.insert(prefecture.map(str::to_string), subjects);
                    flags
                }
            },
        };
        Ok(flags)
    }

    /// The same flags, computed from `subjects` when no step before did: the licences of
    /// `prefecture` read with every status, whose active ones are what [`Shared::of`] reads
    /// (a licence's products are one subject per status, and only active licences have flags).
    fn of_subjects(
        &mut self,
        ctx: &Context,
        prefecture: Option<&str>,
        as_of: NaiveDate,
        subjects: &[Subject],
    ) -> anyhow::Result<&[DeadlineRow]> {
        Ok(
            match self.flags.entry((prefecture.map(str::to_string), as_of)) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(new) => new.insert(deadlines::flags(ctx, subjects, as_of, false)?),
            },
        )
    }

    /// The licences of `prefecture` with every status, as kept by an earlier step of the tick
    /// (taken: the weekly report is their last reader), or read now.
    async fn every_status_subjects(
        &mut self,
        store: &Store,
        prefecture: Option<&str>,
    ) -> anyhow::Result<Vec<Subject>> {
        let kept = self
            .kept
            .as_mut()
            .and_then(|kept| kept.remove(&prefecture.map(str::to_string)));
        Ok(match kept {
            Some(subjects) => subjects,
            None => every_status(store, prefecture).await?,
        })
    }
}

/// The licences of `prefecture` (name or code; all when None) with every status.
async fn every_status(store: &Store, prefecture: Option<&str>) -> anyhow::Result<Vec<Subject>> {
    Ok(store
        .subjects(&deadlines::licences_of(store, prefecture, false).await?)
        .await?)
}

async fn alerts(
    ctx: &Context,
    store: &Store,
    req: &Request,
    shared: &mut Shared,
) -> anyhow::Result<Vec<Document>> {
    let flags = shared
        .of(ctx, store, req.prefecture.as_deref(), req.as_of)
        .await?;
    let mut docs = Vec::new();
    for j in jurisdictions(ctx, store, req).await? {
        docs.extend(report::alerts::document(
            req.as_of,
            j.code.as_deref().unwrap_or("all"),
            &j.name,
            &own_flags(flags, &j),
            j.recipients,
        ));
    }
    Ok(docs)
}

/// The weekly documents, and the region's ranking when it was computed among them.
async fn weekly(
    ctx: &Context,
    store: &Store,
    req: &Request,
    period: &Period,
    shared: &mut Shared,
) -> anyhow::Result<(Vec<Document>, Option<Vec<Ranked>>)> {
    let scopes = jurisdictions(ctx, store, req).await?;
    // One read for every jurisdiction, split in memory.
    let only = prefecture_code(store, req.prefecture.as_deref()).await?;
    let from = req.as_of - Days::new(7);
    let codes: Vec<Option<String>> = scopes.iter().map(|j| j.code.clone()).collect();
    // The licences (unless a step before kept them), the week's checks and the ranking's inputs
    // are read at once: one after the other, each left a core idle.
    let (subjects, checks, ranking) = tokio::try_join!(
        shared.every_status_subjects(store, req.prefecture.as_deref()),
        async {
            Ok(store
                .spot_checks_between(only.as_deref(), from, req.as_of)
                .await?)
        },
        risk::rank(ctx, store, req.as_of, &codes, false),
    )?;
    let flags = shared.of_subjects(ctx, req.prefecture.as_deref(), req.as_of, &subjects)?;
    let checks: Vec<CheckLine> = checks
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

    let period = period.to_string();
    // Each jurisdiction's document is built on its own, over the cores.
    let built: Vec<(Document, Option<Vec<Ranked>>)> = scopes
        .into_par_iter()
        .zip(ranking.scopes)
        .map(|(j, (_, risk))| {
            // A prefecture's own rows, by reference; the region's are all of them.
            let own = own_flags(flags, &j);
            let own_subjects: Vec<&Subject> = subjects
                .iter()
                .filter(|s| j.code.as_ref().is_none_or(|code| s.prefecture == *code))
                .collect();
            let own_checks: Vec<&CheckLine> = checks
                .iter()
                .filter(|c| j.code.is_none() || c.prefecture == j.name)
                .collect();
            let doc = report::weekly::document(&report::weekly::WeeklyData {
                period: &period,
                scope: j.code.as_deref().unwrap_or("all"),
                scope_name: &j.name,
                from,
                to: req.as_of,
                subjects: &own_subjects,
                flags: &own,
                checks: &own_checks,
                risk: &risk,
                recipients: j.recipients,
            });
            (doc, j.code.is_none().then_some(risk))
        })
        .collect();
    let mut docs = Vec::with_capacity(built.len());
    let mut region = None;
    for (doc, risk) in built {
        docs.push(doc);
        region = region.or(risk);
    }
    Ok((docs, region))
}

async fn draw_documents(
    ctx: &Context,
    store: &Store,
    kind: ReportChoice,
    drawn: &Stored,
    period: &Period,
) -> anyhow::Result<Vec<Document>> {
    let names = Names::load(store).await?;
    let category = |code: &str| names.category(code);
    let division = |code: &str| names.division(code);
    let period = period.to_string();
    if kind == ReportChoice::Assignments {
        let inspectors = store.inspector_contacts().await?;
        let addresses = store.drawn_addresses(drawn.id).await?;
        let from = ctx.config.mail.from_mailbox()?;
        let dir = report::assignments::Directory {
            category: &category,
            division: &division,
            inspectors: &inspectors,
            addresses: &addresses,
            domain: from.email.domain(),
            workbook: ctx.config.reports.assignment_workbook,
        };
        return Ok(report::assignments::documents(
            &drawn.record,
            drawn.id,
            &dir,
            &period,
        ));
    }
    let public = ctx.config.recipients.public.clone();
    let checks = store
        .spot_checks_of_campaign(&drawn.record.campaign)
        .await?;
    let lines = report::public::result_lines(&drawn.record, checks, &category);
    let mut docs = Vec::new();
    if kind == ReportChoice::Public {
        docs.push(report::public::plan_notice(
            &drawn.record,
            drawn.id,
            &drawn.digest,
            "",
            &period,
            &category,
            public.clone(),
        ));
    }
    // A results notice says something once results are recorded.
    if lines.is_empty() {
        if kind == ReportChoice::Results {
            tracing::info!(campaign = %drawn.record.campaign, "no results recorded yet: no results notice");
        }
    } else {
        docs.push(report::public::results_notice(
            &drawn.record,
            &lines,
            &period,
            public,
        ));
    }
    Ok(docs)
}

async fn reminders(
    ctx: &Context,
    store: &Store,
    as_of: NaiveDate,
    shared: &mut Shared,
) -> anyhow::Result<Vec<Document>> {
    let (flags, emails) = tokio::try_join!(shared.of(ctx, store, None, as_of), async {
        Ok(store.enterprise_emails().await?)
    })?;
    let email = |code: &str| emails.get(code).cloned();
    Ok(report::reminder::documents(flags, &email))
}

/// After a redraw: the unsent assignment mails of the superseded draw are cancelled (`superseded`),
/// and each inspector already mailed its list gets a correction; audit-logged. Returns (cancelled,
/// corrected).
pub async fn supersede(
    ctx: &Context,
    store: &Store,
    campaign: &str,
    superseded: i64,
    reason: &str,
) -> anyhow::Result<(usize, usize)> {
    let prefix = format!("{campaign}/{superseded}/");
    let (cancelled, mailed) = store.supersede_messages("assignment", &prefix).await?;
    let as_of = ctx.today();
    let mailed: Vec<(String, String)> =
        mailed.into_iter().map(|r| (r.scope, r.recipient)).collect();
    let docs = report::assignments::corrections(
        campaign,
        superseded,
        reason,
        &mailed,
        &Period::week_of(as_of).to_string(),
    );
    let req = Request {
        kinds: Vec::new(),
        as_of,
        send: true,
        hold: Hold::Nothing,
        campaign: Some(campaign.into()),
        prefecture: None,
        actor: "draw:redraw".into(),
    };
    let dir = ctx.out_dir(&Period::week_of(as_of)).join("corrections");
    let placed = docs.into_iter().map(|d| (d, dir.clone())).collect();
    let (_, queued) = write_and_queue(ctx, store, &req, placed).await?;
    if queued {
        let (transport, done) =
            delivery::deliver(ctx, store, "draw:redraw", Patience::OnePass).await?;
        eprintln!("{}", delivery::summary(&transport, &done));
    }
    store
        .audit(&AuditEntry::now(
            "outbox:supersede",
            json!({"campaign": campaign, "superseded_draw": superseded, "reason": reason,
                   "cancelled": cancelled.iter().map(|r| r.id).collect::<Vec<_>>(),
                   "corrected": mailed.iter().map(|(_, to)| to).collect::<Vec<_>>()}),
            format!(
                "cancelled {}, corrections {}",
                cancelled.len(),
                mailed.len()
            ),
        ))
        .await?;
    Ok((cancelled.len(), mailed.len()))
}

#[cfg(test)]
mod tests {
    use super::ReportChoice::*;
    use super::*;

    #[test]
    fn kinds_are_made_once_each_in_the_order_asked() {
        assert_eq!(
            ReportChoice::expand(&[Reminders, Alerts, Reminders]),
            [Reminders, Alerts]
        );
        assert_eq!(ReportChoice::expand(&[Alerts, All]).len(), 6);
    }
}
