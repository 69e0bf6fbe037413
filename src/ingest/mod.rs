//! `licwatch ingest`: load the files bureaus have — and rows pulled from other databases — keeping
//! every good row and accounting for every bad one. Each file loads in one transaction; good rows are
//! upserted on their natural keys (so loading a file twice changes nothing), bad rows are quarantined
//! in the store and written to a rejects file with file, row, field, value and reason.

pub mod kinds;
pub mod read;
pub mod source;
pub mod validate;

#[cfg(test)]
mod fuzz;

use std::collections::hash_map::Entry;
use std::hash::BuildHasher;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::catalogue::Catalogue;
use crate::divisions::Divisions;
use crate::model::{Conflict, Enterprise, Inspector, Licence, OnsiteReview, SpotCheck, Violation};
use crate::output::write_csv_report;
use crate::store::{AuditEntry, IngestedFile, Param, Quarantined, Store, StoreError, Tally};
use kinds::{HeaderMap, Kind};
use read::{Cell, Encoding, Table};
use validate::{Ingest, Known, Reject, Row, Validator};

/// Rows validated and staged at a time: bounds memory on multi-million-row files.
const CHUNK_ROWS: usize = 50_000;

#[derive(Debug, Clone)]
pub struct Options {
    /// The kind of every file; detected from each header when absent.
    pub kind: Option<Kind>,
    pub encoding: Encoding,
    /// The workbook sheet to read (default: the first).
    pub sheet: Option<String>,
    /// Where rejects files are written.
    pub rejects_dir: PathBuf,
    /// Who is loading, for the audit log: a command or a job.
    pub actor: String,
    /// Show a spinner on the terminal (a person's command, not a job).
    pub progress: bool,
}

/// How one input fared; the worst over several inputs sets the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Already loaded (same digest); nothing done.
    Skipped,
    /// Every row landed.
    Ok,
    /// Good rows landed; some were quarantined.
    Rejected,
    /// Unreadable or refused: nothing of it applied.
    Failed,
}

impl Status {
    /// DESIGN.md section 3: 0 success, 3 finished with rejected input, 1 failure.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Skipped | Status::Ok => 0,
            Status::Rejected => 3,
            Status::Failed => 1,
        }
    }
}

/// The summary line of one input, in every `--format`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub file: String,
    pub kind: String,
    pub format: String,
    pub status: Status,
    pub read: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    pub message: String,
    pub rejects_file: String,
    pub digest: String,
    /// The first rejects, to show at once.
    #[serde(skip)]
    pub first_rejects: Vec<Reject>,
}

impl Summary {
    fn new(file: &str, digest: &str) -> Self {
        Summary {
            file: file.to_string(),
            kind: String::new(),
            format: String::new(),
            status: Status::Ok,
            read: 0,
            inserted: 0,
            updated: 0,
            unchanged: 0,
            rejected: 0,
            message: String::new(),
            rejects_file: String::new(),
            digest: digest.to_string(),
            first_rejects: Vec::new(),
        }
    }

    fn failed(mut self, message: impl Into<String>) -> Self {
        self.status = Status::Failed;
        self.message = message.into();
        self
    }
}

/// SHA-256 of a file's bytes, read in blocks.
pub fn digest_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// What a caught panic said.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into())
}

/// An input opened and its kind known, ready to load.
pub struct Opened {
    pub name: String,
    pub digest: String,
    pub table: Table,
    pub map: HeaderMap,
}

/// Opens a file and tells its kind, or says why it cannot be loaded.
fn open_file(path: &Path, options: &Options) -> Result<Opened, Box<Summary>> {
    let name = path.display().to_string();
    let digest = digest_file(path)
        .map_err(|e| Box::new(Summary::new(&name, "").failed(format!("cannot read: {e}"))))?;
    let failed = |message: String| Box::new(Summary::new(&name, &digest).failed(message));
    // A parser crate that panics on a hostile file fails that file, not the command: the rest of
    // the files, and the week's reports after them, go on.
    let table = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read::open(path, options.encoding, options.sheet.as_deref())
    }))
    .unwrap_or_else(|panic| Err(read::ReadError::Crashed(panic_text(panic.as_ref()))))
    .map_err(|e| failed(e.to_string()))?;
    let map = match options.kind {
        Some(kind) => kinds::map_as(kind, &table.header),
        None => kinds::detect(&table.header),
    }
    .map_err(|e| failed(e.to_string()))?;
    Ok(Opened {
        name,
        digest,
        table,
        map,
    })
}

/// The reference data and keys validation reads, shared by the inputs of one command.
pub struct Context {
    pub catalogue: Catalogue,
    pub divisions: Divisions,
    pub known: Known,
}

impl Context {
    pub async fn load(store: &Store) -> Result<Self, StoreError> {
        let (enterprises, licences, inspectors) = store.known_keys().await?;
        Ok(Context {
            catalogue: store.catalogue().await?,
            divisions: store.divisions().await?,
            known: Known {
                enterprises,
                licences,
                inspectors,
            },
        })
    }
}

/// Loads `paths` — enterprises first, then the kinds that refer to them — each in one transaction.
pub async fn ingest_files(
    store: &Store,
    paths: &[PathBuf],
    options: &Options,
) -> Result<Vec<Summary>, StoreError> {
    let mut ctx = Arc::new(Context::load(store).await?);
    let mut summaries = Vec::new();
    let mut opened = Vec::new();
    for path in paths {
        match open_file(path, options) {
            Ok(o) => opened.push(o),
            Err(summary) => summaries.push(*summary),
        }
    }
    opened.sort_by_key(|o| o.map.kind);
    for input in opened {
        let (name, digest) = (input.name.clone(), input.digest.clone());
        let summary = match load(store, &mut ctx, input, options).await {
            Ok(summary) => summary,
            Err(e) => Summary::new(&name, &digest)
                .failed(format!("the store refused the file, nothing applied: {e}")),
        };
        summaries.push(summary);
    }
    for s in &summaries {
        audit(store, s, options).await?;
    }
    Ok(summaries)
}

async fn audit(store: &Store, s: &Summary, options: &Options) -> Result<(), StoreError> {
    let inputs = serde_json::json!({"file": s.file, "sha256": s.digest, "kind": s.kind});
    let outcome = format!(
        "{:?}: read {} inserted {} updated {} unchanged {} rejected {}{}",
        s.status,
        s.read,
        s.inserted,
        s.updated,
        s.unchanged,
        s.rejected,
        if s.message.is_empty() {
            String::new()
        } else {
            format!(" — {}", s.message)
        }
    );
    store
        .audit(&AuditEntry::now(
            &format!("{}:ingest", options.actor),
            inputs,
            outcome,
        ))
        .await
}

/// Loads one opened input as its kind.
pub async fn load(
    store: &Store,
    ctx: &mut Arc<Context>,
    input: Opened,
    options: &Options,
) -> Result<Summary, StoreError> {
    match input.map.kind {
        Kind::Enterprises => load_as::<Enterprise>(store, ctx, input, options).await,
        Kind::Licences => load_as::<Licence>(store, ctx, input, options).await,
        Kind::OnsiteReviews => load_as::<OnsiteReview>(store, ctx, input, options).await,
        Kind::Inspectors => load_as::<Inspector>(store, ctx, input, options).await,
        Kind::SpotChecks => load_as::<SpotCheck>(store, ctx, input, options).await,
        Kind::Conflicts => load_as::<Conflict>(store, ctx, input, options).await,
        Kind::Violations => load_as::<Violation>(store, ctx, input, options).await,
    }
}

/// A natural key, hashed to 128 bits: enough to tell millions of keys apart in little memory.
fn key_hash(key: &[Param]) -> u128 {
    let half = |seed| foldhash::quality::FixedState::with_seed(seed).hash_one(key);
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

/// What reading and validating a file gave beside its good rows (those went to the store as
/// they came).
struct Validated {
    read: u64,
    rejects: Vec<Reject>,
    landed: Known,
    /// The good rows noted for the derived tables an initial load computes itself.
    tally: Option<Tally>,
    /// Why the file could not be read to its end: then nothing of it applies.
    unreadable: Option<String>,
}

/// Reads and validates every row of `rows`, handing the good ones to `send` a chunk at a time. It
/// runs on a thread of its own, so the next chunk is validated while the store takes the last;
/// it stops early when the store stops taking (`send` closed).
fn validate_rows<R: Ingest>(
    rows: Box<dyn Iterator<Item = Result<read::RawRow, read::ReadError>> + Send>,
    map: &HeaderMap,
    width: usize,
    ctx: &Context,
    tally: Option<Tally>,
    send: tokio::sync::mpsc::Sender<Vec<Vec<Param>>>,
    bar: &indicatif::ProgressBar,
) -> Validated {
    let validator = Validator {
        catalogue: &ctx.catalogue,
        divisions: &ctx.divisions,
        known: &ctx.known,
    };
    // Columns present in the file whose empty cells keep the stored value: (cell, param) positions.
    let blank_keeps: Vec<(&[usize], usize)> = R::KIND
        .columns()
        .iter()
        .filter(|c| c.blank_keeps && !map.positions(c.name).is_empty())
        .filter_map(|c| {
            let at = R::COLUMNS.iter().position(|name| *name == c.name)?;
            Some((map.positions(c.name), at))
        })
        .collect();
    let mut out = Validated {
        read: 0,
        rejects: Vec::new(),
        landed: Known::default(),
        tally,
        unreadable: None,
    };
    let mut seen: foldhash::HashMap<u128, usize> = Default::default();
    let mut chunk: Vec<Vec<Param>> = Vec::with_capacity(CHUNK_ROWS);
    for next in rows {
        let raw = match next {
            Ok(raw) => raw,
            Err(e) => {
                out.unreadable = Some(e.to_string());
                return out;
            }
        };
        if raw.cells.iter().all(|c| *c == Cell::Empty) {
            continue;
        }
        out.read += 1;
        match Row::new(&raw, map).read::<R>(&validator, width) {
            Ok(record) => {
                let mut params = record.params();
                for &(cells, at) in &blank_keeps {
                    let blank = cells
                        .iter()
                        .all(|&i| raw.cells.get(i).is_none_or(|c| c.text().trim().is_empty()));
                    if blank {
                        let default = std::mem::replace(&mut params[at], Param::Bool(false));
                        params[at] = Param::Unset(Box::new(default));
                    }
                }
                match seen.entry(key_hash(&params[..R::KEY])) {
                    Entry::Occupied(first) => out.rejects.push(Reject {
                        row: raw.number,
                        field: String::new(),
                        value: String::new(),
                        reason: format!("repeats the key of row {}, which was kept", first.get()),
                    }),
                    Entry::Vacant(slot) => {
                        slot.insert(raw.number);
                        record.register(&mut out.landed);
                        if let Some(tally) = &mut out.tally {
                            record.tally(tally);
                        }
                        chunk.push(params);
                    }
                }
            }
            Err(mut bad) => out.rejects.append(&mut bad),
        }
        if chunk.len() >= CHUNK_ROWS {
            if send.blocking_send(std::mem::take(&mut chunk)).is_err() {
                return out;
            }
            bar.set_position(out.read);
        }
    }
    if !chunk.is_empty() {
        let _ = send.blocking_send(chunk);
    }
    out
}

async fn load_as<R: Ingest + Send + 'static>(
    store: &Store,
    ctx: &mut Arc<Context>,
    input: Opened,
    options: &Options,
) -> Result<Summary, StoreError> {
    let Opened {
        name,
        digest,
        table,
        map,
    } = input;
    let mut summary = Summary::new(&name, &digest);
    summary.kind = R::KIND.name().to_string();
    summary.format = table.format.to_string();
    let width = table.header.len();
    // Optional columns the file does not have keep what the store holds.
    let kept: Vec<&str> = R::KIND
        .columns()
        .iter()
        .filter(|c| !c.required && map.positions(c.name).is_empty())
        .map(|c| c.name)
        .collect();
    let mut loader = store.begin_load::<R>().await?;
    let bar = crate::progress::spinner(
        options.progress,
        "{spinner} {msg} {human_pos} rows ({per_sec})",
        &name,
    );
    // Two chunks in flight: one being validated, one being copied.
    let (send, mut receive) = tokio::sync::mpsc::channel(1);
    let reader = {
        let (ctx, bar, tally) = (Arc::clone(ctx), bar.clone(), loader.tally());
        tokio::task::spawn_blocking(move || {
            validate_rows::<R>(table.rows, &map, width, &ctx, tally, send, &bar)
        })
    };
    let mut staged = Ok(());
    while let Some(chunk) = receive.recv().await {
        staged = loader.stage(chunk).await;
        if staged.is_err() {
            break;
        }
    }
    drop(receive);
    let validated = reader.await;
    bar.finish_and_clear();
    staged?;
    // A file that cannot be read to its end, or whose rows crash the validation, applies nothing:
    // the load rolls back.
    let Validated {
        read,
        rejects,
        landed,
        tally,
        unreadable,
    } = match validated {
        Ok(v) => v,
        Err(e) => {
            let why = match e.try_into_panic() {
                Ok(panic) => panic_text(panic.as_ref()),
                Err(e) => e.to_string(),
            };
            return Ok(summary.failed(format!("validation crashed: {why}")));
        }
    };
    summary.read = read;
    if let Some(why) = unreadable {
        return Ok(summary.failed(why));
    }

    let now = crate::clock::now();
    let quarantined: Vec<Quarantined> = rejects
        .iter()
        .map(|r| Quarantined {
            digest: digest.clone(),
            file_name: name.clone(),
            kind: R::KIND.name().to_string(),
            row: r.row,
            field: r.field.clone(),
            value: r.value.clone(),
            reason: r.reason.clone(),
            rejected_at: now,
        })
        .collect();
    let rejected_rows = {
        let mut rows: Vec<usize> = rejects.iter().map(|r| r.row).collect();
        rows.dedup();
        rows.len() as u64
    };
    let counts = loader
        .finish(&kept, tally, &quarantined, |counts| IngestedFile {
            digest: digest.clone(),
            file_name: name.clone(),
            kind: R::KIND.name().to_string(),
            format: summary.format.clone(),
            rows_read: read,
            counts,
            rejected: rejected_rows,
            loaded_at: now,
        })
        .await?;
    let known = &mut Arc::get_mut(ctx)
        .expect("the validating thread has finished")
        .known;
    known.enterprises.extend(landed.enterprises);
    known.licences.extend(landed.licences);
    known.inspectors.extend(landed.inspectors);

    summary.inserted = counts.inserted;
    summary.updated = counts.updated;
    summary.unchanged = counts.unchanged;
    summary.rejected = rejected_rows;
    if !rejects.is_empty() {
        summary.status = Status::Rejected;
        summary.first_rejects = rejects.iter().take(10).cloned().collect();
        let path = rejects_path(&options.rejects_dir, &name);
        match write_rejects(&path, &name, &rejects) {
            Ok(()) => summary.rejects_file = path.display().to_string(),
            Err(e) => {
                summary.message =
                    format!("rejects kept in the store; the rejects file failed: {e:#}")
            }
        }
    }
    Ok(summary)
}

fn rejects_path(dir: &Path, file: &str) -> PathBuf {
    let stem = Path::new(file)
        .file_name()
        .map_or_else(|| "input".into(), |n| n.to_string_lossy().into_owned());
    dir.join(crate::report::file_name(&stem, "rejects.csv"))
}

#[derive(Serialize)]
struct RejectLine<'a> {
    #[serde(rename = "文件 file")]
    file: &'a str,
    #[serde(rename = "行 row")]
    row: usize,
    #[serde(rename = "字段 field")]
    field: &'a str,
    #[serde(rename = "内容 value")]
    value: &'a str,
    #[serde(rename = "原因 reason")]
    reason: &'a str,
}

fn write_rejects(path: &Path, file: &str, rejects: &[Reject]) -> anyhow::Result<()> {
    let lines: Vec<RejectLine> = rejects
        .iter()
        .map(|r| RejectLine {
            file,
            row: r.row,
            field: &r.field,
            value: &r.value,
            reason: &r.reason,
        })
        .collect();
    write_csv_report(path, &lines)
}

/// The worst status of several inputs.
pub fn worst(summaries: &[Summary]) -> Status {
    summaries
        .iter()
        .map(|s| s.status)
        .max()
        .unwrap_or(Status::Ok)
}
