//! The 双随机 draw: made from the plan and a snapshot of both directories, stored, audit-logged and
//! written out (`perform`); the stored record read back once for reports (`stored`); the 一公开
//! results of a campaign (`results`).

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::json;

use super::{Context, Names, Period};
use crate::draw::plan::Plan;
use crate::draw::pseudonym::Pseudonyms;
use crate::draw::record::{Freeze, FrozenSnapshot, Record, RecordText, canonical};
use crate::output::write_csv_report;
use crate::report::file_safe;
use crate::report::public::{RESULT_COLUMNS, ResultLine, result_lines};
use crate::store::{AuditEntry, DrawScope, Store};

/// What a freeze fixes: the plan, its as-of date, and where the seed will come from.
pub struct Freezing<'a> {
    pub plan: Plan,
    /// Where the plan came from, for the audit log.
    pub plan_label: String,
    /// Overrides the plan's as-of date.
    pub as_of: Option<NaiveDate>,
    /// The seed's future source, published before it exists (e.g. "2026-12-01 福彩3D 开奖号码").
    pub seed_source: &'a str,
}

/// A freeze stored, with its plan notice written.
pub struct Frozen {
    pub freeze: Freeze,
    pub notice: PathBuf,
}

/// What a draw is made from: the campaign's freeze (found by the plan and its as-of date) and
/// the seed.
pub struct Drawing<'a> {
    pub plan: Plan,
    /// Where the plan came from, for the audit log and the hint to freeze.
    pub plan_label: String,
    /// Overrides the plan's as-of date (to find the campaign).
    pub as_of: Option<NaiveDate>,
    pub seed: &'a str,
    pub redraw: bool,
    pub reason: Option<&'a str>,
}

/// A draw made and stored, with its outputs written.
pub struct Drawn {
    pub id: i64,
    pub record: Record,
    pub dir: PathBuf,
    /// The campaign's draw this one replaced (a redraw).
    pub superseded: Option<i64>,
}

/// A stored draw read back: its id, the record without its snapshot (the freeze's; no report
/// reads it), and the SHA-256 of the whole record's text.
pub struct Stored {
    pub id: i64,
    pub record: Record,
    pub digest: String,
}

/// Reads a plan file.
pub fn read_plan(path: &Path) -> anyhow::Result<Plan> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Plan::parse(&text, &path.display().to_string())?)
}

/// Reads the seed staff dropped in a file; a missing or empty file says the draw waits for it.
pub fn read_seed_file(path: &Path) -> anyhow::Result<String> {
    let seed = std::fs::read_to_string(path).with_context(|| {
        format!(
            "the seed file {} is not there yet: the draw waits for staff to provide the public seed",
            path.display()
        )
    })?;
    if seed.trim().is_empty() {
        bail!("the seed file {} is empty", path.display());
    }
    Ok(seed)
}

/// Whether the campaign has a draw already.
pub async fn is_drawn(store: &Store, campaign: &str) -> anyhow::Result<bool> {
    Ok(!store.draws_of(campaign).await?.is_empty())
}

/// The folder of a draw's outputs within a week's: `draw-<campaign>-<id>`.
pub fn draw_folder(campaign: &str, id: i64) -> String {
    file_safe(&format!("draw-{campaign}-{id}"))
}

/// Where a draw's outputs go: `<out>/<week of as_of>/draw-<campaign>-<id>/`.
pub fn draw_dir(ctx: &Context, as_of: NaiveDate, campaign: &str, id: i64) -> PathBuf {
    ctx.out_dir(&Period::week_of(as_of))
        .join(draw_folder(campaign, id))
}

/// The day a freeze or a draw is made as of: given, else the plan's, else today.
fn as_of_day(ctx: &Context, given: Option<NaiveDate>, plan: &Plan) -> NaiveDate {
    given.or(plan.as_of).unwrap_or_else(|| ctx.today())
}

/// The plan's scope in division and category codes.
fn scope(plan: &Plan, names: &Names) -> anyhow::Result<DrawScope> {
    let (divisions, catalogue) = (&names.divisions, &names.catalogue);
    let prefectures = plan
        .scope
        .prefectures
        .iter()
        .map(|p| Ok(divisions.prefecture(p)?.code.clone()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let counties = plan
        .scope
        .counties
        .iter()
        .map(|c| {
            divisions
                .any_county(c)
                .map(|d| d.code.clone())
                .with_context(|| format!("plan: county '{c}' is not a known division"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let categories = plan
        .categories
        .iter()
        .map(|c| Ok(catalogue.resolve(c)?.code.clone()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let window = u64::from(plan.sampling.exclude_checked_within_days);
    Ok(DrawScope {
        prefectures,
        counties,
        categories,
        default_tier: Some(plan.sampling.default_tier),
        checked_since: plan.as_of.map(|d| d - chrono::Days::new(window)),
    })
}

/// Fixes a campaign's as-of date, plan and both directory snapshots before its seed exists,
/// stores them (once: a freeze is never changed), and writes the plan notice that publishes their
/// SHA-256 digests and the seed's future source (`freeze-<campaign>/plan-notice.json`).
pub async fn freeze(ctx: &Context, store: &Store, f: Freezing<'_>) -> anyhow::Result<Frozen> {
    let mut plan = f.plan;
    let as_of = as_of_day(ctx, f.as_of, &plan);
    plan.as_of = Some(as_of);
    store.seed_reference().await?;
    let names = Names::load(store).await?;
    let snapshot = store
        .draw_snapshot(
            &scope(&plan, &names)?,
            as_of,
            &Period::week_of(as_of).to_string(),
        )
        .await?;
    let seed_source = f.seed_source.replace("{date}", &as_of.to_string());
    let pseudonyms = Pseudonyms::generate();
    let (freeze, snapshot, snapshot_text) = Freeze::of(
        &plan,
        as_of,
        snapshot,
        &seed_source,
        crate::clock::now(),
        &pseudonyms,
    );
    store
        .save_freeze(
            &freeze,
            &canonical(&plan),
            &snapshot_text,
            &pseudonyms.to_hex(),
        )
        .await?;
    store
        .audit(&AuditEntry::now(
            "draw:freeze",
            json!({"plan": f.plan_label, "freeze": freeze}),
            format!(
                "frozen: {} enterprises, {} inspectors",
                snapshot.units.len(),
                snapshot.inspectors.len()
            ),
        ))
        .await?;
    // 一公开 of the plan before the checks: what is fixed, never who is drawn.
    let dir = ctx
        .out_dir(&Period::week_of(as_of))
        .join(file_safe(&format!("freeze-{}", freeze.campaign)));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let notice = dir.join("plan-notice.json");
    let text = serde_json::to_string_pretty(&json!({
        "campaign": freeze.campaign,
        "name": plan.name,
        "as_of": as_of,
        "scope": plan.scope,
        "categories": plan.categories,
        "sampling": plan.sampling,
        "team_size": plan.teams.size,
        "algorithm": crate::draw::rng::Algorithm::CURRENT.name(),
        "seed_source": freeze.seed_source,
        "frozen_at": freeze.frozen_at,
        "plan_sha256": freeze.plan_sha256,
        "enterprises_sha256": freeze.enterprises_sha256,
        "inspectors_sha256": freeze.inspectors_sha256,
        "public": freeze.public,
    }))?;
    std::fs::write(&notice, text).with_context(|| format!("writing {}", notice.display()))?;
    Ok(Frozen { freeze, notice })
}

/// Makes, stores and writes one draw from its campaign's freeze (the `draw` command, the demo and
/// scheduled jobs); refused, with the command to run, when the campaign is not frozen.
pub async fn perform(ctx: &Context, store: &Store, d: Drawing<'_>) -> anyhow::Result<Drawn> {
    let as_of = as_of_day(ctx, d.as_of, &d.plan);
    let campaign = d.plan.campaign_for(as_of);

    store.seed_reference().await?;
    let earlier = store.draws_of(&campaign).await?;
    if !earlier.is_empty() && !d.redraw {
        bail!(
            "campaign {campaign} was drawn already (record {}); a new draw needs --redraw --reason TEXT",
            earlier[0].record_sha256
        );
    }
    let Some(frozen) = store.freeze_of(&campaign).await? else {
        bail!(
            "campaign {campaign} is not frozen: fix its inputs before the seed exists with \
             `licwatch draw freeze --plan {} --as-of {as_of} --seed-source TEXT`, publish the plan \
             notice, then draw with the seed",
            d.plan_label
        );
    };
    let freeze: Freeze =
        serde_json::from_str(&frozen.commitment).context("the stored freeze does not parse")?;
    let plan: Plan =
        serde_json::from_str(&frozen.plan).context("the frozen plan does not parse")?;
    let snapshot =
        FrozenSnapshot::parse(frozen.snapshot).context("the frozen snapshot does not parse")?;
    let pseudonyms = match frozen.pseudonym_key.as_deref() {
        Some(hex) => Some(
            Pseudonyms::from_hex(hex).context("the frozen pseudonym key is not 64 hex digits")?,
        ),
        None => None,
    };
    if plan.campaign_for(freeze.as_of) != d.plan.campaign_for(freeze.as_of)
        || plan.name != d.plan.name
    {
        tracing::warn!(%campaign, "the plan file differs from the frozen plan: the frozen one is used");
    }
    let (as_of, seed_source) = (freeze.as_of, freeze.seed_source.clone());
    let names = Names::load(store).await?;
    let started = std::time::Instant::now();
    let spinner = crate::progress::spinner(
        ctx.progress,
        "{spinner} {msg} ({elapsed})",
        "抽取 drawing and staffing",
    );
    let made = Record::make(plan, d.seed, freeze, snapshot, pseudonyms.as_ref())?;
    spinner.finish_and_clear();
    // The record to publish is the same draw under pseudonyms (see draw::pseudonym).
    let (record, text, public) = made.into_texts();
    let digest = text.digest();
    tracing::info!(elapsed = ?started.elapsed(), "drawn and recorded");
    // The current draw is the campaign's latest: a draw becomes current as it is stored, and one
    // refused by the schema is not stored at all.
    let supersedes = earlier.last().map(|e| e.id);
    // The files name the draw's id only in their folder's name. So they are written into a
    // folder of their own while the store saves the draw — the server's work on one core, the
    // files' on the other — and the folder takes the id's name once the draw is stored. Until
    // then it is hidden, and removed with its files on any failure.
    let week = ctx.out_dir(&Period::week_of(as_of));
    std::fs::create_dir_all(&week).with_context(|| format!("creating {}", week.display()))?;
    let pending = tempfile::Builder::new()
        .prefix(&format!(".{}-pending-", file_safe(&campaign)))
        .tempdir_in(&week)
        .with_context(|| format!("creating a folder in {}", week.display()))?;
    let (record, text) = (Arc::new(record), Arc::new(text));
    let writer = tokio::task::spawn_blocking({
        let (record, text, digest, pending) = (
            Arc::clone(&record),
            Arc::clone(&text),
            digest.clone(),
            pending.path().to_path_buf(),
        );
        move || {
            let rows = rows(&record, &names);
            write_outputs(
                &pending,
                &record,
                (&text, &digest),
                public.as_ref(),
                &seed_source,
                &rows,
            )
        }
    });
    let saved = store
        .save_draw(&record, text.head(), &digest, d.reason, supersedes)
        .await;
    let written = writer.await.context("writing the draw's files")?;
    let id = saved?;
    tracing::info!(elapsed = ?started.elapsed(), "stored");
    store
        .audit(&AuditEntry::now(
            if d.redraw { "draw:redraw" } else { "draw" },
            json!({
                "plan": d.plan_label, "campaign": campaign, "seed_sha256": record.seed_sha256,
                "enterprises_sha256": record.enterprises_sha256, "inspectors_sha256": record.inspectors_sha256,
                "reason": d.reason,
            }),
            format!(
                "draw {id}: {} staffed, {} unstaffed",
                record.result.assignments.len(),
                record.result.unstaffed.len()
            ),
        ))
        .await?;
    written?;
    // Beside the pending folder, in the same week folder: the move is a rename.
    let (pending, dir) = (pending.keep(), week.join(draw_folder(&campaign, id)));
    // A temporary folder is its owner's alone; the draw's folder opens as the week's does.
    std::fs::metadata(&week)
        .and_then(|m| std::fs::set_permissions(&pending, m.permissions()))
        .and_then(|()| settle(&pending, &dir))
        .with_context(|| format!("moving {} to {}", pending.display(), dir.display()))?;
    tracing::info!(elapsed = ?started.elapsed(), "reports written");
    let record = Arc::into_inner(record).expect("the writer let go of the record when it ended");
    Ok(Drawn {
        id,
        record,
        dir,
        superseded: supersedes,
    })
}

/// Gives the files written in `pending` their draw's folder, `dir`: the folder itself is renamed,
/// or, when `dir` holds files already (an earlier store's draw of the same number), each file is
/// moved into it, replacing the one of the same name, as writing them there would have.
fn settle(pending: &Path, dir: &Path) -> std::io::Result<()> {
    if std::fs::rename(pending, dir).is_ok() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(pending)? {
        let entry = entry?;
        std::fs::rename(entry.path(), dir.join(entry.file_name()))?;
    }
    std::fs::remove_dir(pending)
}

/// The campaign's current draw, or the latest of all when no campaign is given.
pub async fn stored(store: &Store, campaign: Option<&str>) -> anyhow::Result<Option<Stored>> {
    let found = match campaign {
        Some(c) => match store.current_draw(c).await? {
            Some(found) => Some(found),
            None => bail!("campaign {c} has no draw"),
        },
        None => store.latest_draw().await?,
    };
    found
        .map(|(id, head, digest)| {
            let record: Record =
                serde_json::from_str(&head).context("the stored draw record does not parse")?;
            Ok(Stored { id, record, digest })
        })
        .transpose()
}

/// The 一公开 results of a campaign: its drawn checks whose spot checks are recorded, written to
/// `results-notice.csv` beside the draw; returns the lines, how many checks were drawn and the file.
pub async fn results(
    ctx: &Context,
    store: &Store,
    campaign: &str,
) -> anyhow::Result<(Vec<ResultLine>, usize, PathBuf)> {
    let Some(drawn) = stored(store, Some(campaign)).await? else {
        bail!("campaign {campaign} has no draw");
    };
    let names = Names::load(store).await?;
    let checks = store.spot_checks_of_campaign(campaign).await?;
    let lines = result_lines(&drawn.record, checks, &|c| names.category(c));
    let file = draw_dir(ctx, drawn.record.as_of, campaign, drawn.id).join("results-notice.csv");
    // The published notice: Chinese headers (`--format csv` keeps the codes for machines).
    write_labelled_csv(&file, &lines, RESULT_COLUMNS)?;
    Ok((lines, drawn.record.result.assignments.len(), file))
}

/// One line of the assignment table, with the names people read beside the codes.
#[derive(Serialize)]
pub struct Row<'a> {
    category: String,
    credit_code: &'a str,
    enterprise: &'a str,
    prefecture: String,
    county: String,
    tier: String,
    lead: String,
    team: String,
    status: &'a str,
    reason: &'a str,
}

/// Names an inspector of the record as `name (id)`.
fn inspector_labels(record: &Record) -> impl Fn(&str) -> String + '_ {
    let people: HashMap<&str, &str> = record
        .snapshot
        .inspectors
        .iter()
        .map(|i| (i.inspector_id.as_str(), i.name.as_str()))
        .collect();
    move |id| match people.get(id) {
        Some(name) => format!("{name} ({id})"),
        None => id.to_string(),
    }
}

/// The assignment table of a record: staffed checks, then unstaffed ones with their reason.
pub fn rows<'a>(record: &'a Record, names: &Names) -> Vec<Row<'a>> {
    let label = inspector_labels(record);
    let mut rows: Vec<Row> = record
        .result
        .assignments
        .iter()
        .map(|a| Row {
            category: names.category(&a.category),
            credit_code: &a.credit_code,
            enterprise: &a.enterprise,
            prefecture: names.division(&a.prefecture),
            county: names.division(&a.county),
            tier: format!("{:?}", a.tier),
            lead: label(&a.lead),
            team: a
                .team
                .iter()
                .map(|m| label(m))
                .collect::<Vec<_>>()
                .join("; "),
            status: "staffed",
            reason: "",
        })
        .collect();
    rows.extend(record.result.unstaffed.iter().map(|u| Row {
        category: names.category(&u.category),
        credit_code: &u.credit_code,
        enterprise: &u.enterprise,
        prefecture: String::new(),
        county: String::new(),
        tier: String::new(),
        lead: String::new(),
        team: String::new(),
        status: "unstaffed",
        reason: &u.reason,
    }));
    rows
}

/// One line of the inspectors' lists: an inspector and one check of theirs.
#[derive(Serialize)]
struct InspectorLine<'a> {
    inspector: String,
    #[serde(flatten)]
    check: &'a Row<'a>,
}

/// The columns of the inspectors' lists.
const INSPECTOR_COLUMNS: &[&str] = &[
    "inspector",
    "category",
    "credit_code",
    "enterprise",
    "prefecture",
    "county",
    "tier",
    "lead",
    "team",
];

/// A CSV for people: the columns' Chinese labels as headers (UTF-8 with BOM, as the workbooks'
/// CSVs).
fn write_labelled_csv<T: Serialize>(
    path: &Path,
    rows: &[T],
    columns: &[&str],
) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let csv = crate::report::Table::from_rows("", rows, columns).to_csv();
    std::fs::write(path, csv).with_context(|| format!("writing {}", path.display()))
}

/// `text` and a final newline, without copying the text.
fn write_text(path: &Path, text: &RecordText) -> anyhow::Result<()> {
    let mut file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    text.write_to(&mut file)
        .and_then(|()| file.write_all(b"\n"))
        .with_context(|| format!("writing {}", path.display()))
}

/// The record (its text and that text's digest) and its public form, the assignment table, each
/// inspector's own list and the public plan notice.
fn write_outputs(
    dir: &Path,
    record: &Record,
    (text, record_sha256): (&RecordText, &str),
    public: Option<&RecordText>,
    seed_source: &str,
    rows: &[Row],
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // The records (two texts of some 50 MB nationally) are written while the public one's digest
    // is taken.
    let (written, public_record_sha256) = rayon::join(
        || -> anyhow::Result<()> {
            write_text(&dir.join("record.json"), text)?;
            if let Some(public) = public {
                write_text(&dir.join("public-record.json"), public)?;
            }
            Ok(())
        },
        || public.map(RecordText::digest),
    );
    written?;
    write_csv_report(&dir.join("assignments.csv"), rows)?;
    std::fs::write(
        dir.join("assignments.json"),
        serde_json::to_string_pretty(&rows)?,
    )?;
    // Every inspector's own checks, inspector by inspector, in one file: one file per inspector
    // was 20,000 files a national draw, each also in its inspector's assignment mail.
    let label = inspector_labels(record);
    let mut own: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for (assignment, row) in record.result.assignments.iter().zip(rows) {
        for member in &assignment.team {
            own.entry(member).or_default().push(row);
        }
    }
    let lines: Vec<InspectorLine> = own
        .into_iter()
        .flat_map(|(inspector, checks)| {
            let inspector = label(inspector);
            checks.into_iter().map(move |check| InspectorLine {
                inspector: inspector.clone(),
                check,
            })
        })
        .collect();
    write_labelled_csv(&dir.join("inspectors.csv"), &lines, INSPECTOR_COLUMNS)?;
    // 一公开: the plan before the checks — never the drawn list, nor the seed itself.
    let notice = json!({
        "campaign": record.campaign,
        "name": record.plan.name,
        "as_of": record.as_of,
        "scope": record.plan.scope,
        "categories": record.plan.categories,
        "sampling": record.plan.sampling,
        "team_size": record.plan.teams.size,
        "seed_source": seed_source,
        "seed_sha256": record.seed_sha256.clone(),
        "algorithm": record.algorithm,
        "record_sha256": record_sha256,
        "public_record_sha256": public_record_sha256,
    });
    std::fs::write(
        dir.join("plan-notice.json"),
        serde_json::to_string_pretty(&notice)?,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::settle;

    #[test]
    fn a_pending_folder_becomes_the_draw_folder_or_moves_its_files_into_it() {
        let root = tempfile::tempdir().unwrap();
        let (pending, dir) = (root.path().join(".pending"), root.path().join("draw-1"));
        std::fs::create_dir(&pending).unwrap();
        std::fs::write(pending.join("record.json"), "new").unwrap();
        settle(&pending, &dir).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("record.json")).unwrap(),
            "new"
        );
        assert!(!pending.exists());

        // A folder of the same name holding files: the pending files replace their namesakes, the
        // others stay.
        std::fs::create_dir(&pending).unwrap();
        std::fs::write(pending.join("record.json"), "newer").unwrap();
        std::fs::write(dir.join("notes.txt"), "kept").unwrap();
        settle(&pending, &dir).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("record.json")).unwrap(),
            "newer"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
            "kept"
        );
        assert!(!pending.exists());
    }
}
