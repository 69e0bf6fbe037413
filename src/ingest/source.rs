//! Pull sources for jobs: an inbox directory whose new files are loaded once each and moved to
//! `processed/` or `failed/`, and rows read with a SQL query from another department's database.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use sqlx::{Column, Connection, Row};

use super::kinds::{self, Kind};
use super::read::{Cell, RawRow, Table};
use super::{Context, Opened, Options, Status, Summary, audit, ingest_files, load};
use crate::store::{Store, StoreError, redact, redact_in};

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("inbox {dir}: {source}")]
    Inbox { dir: String, source: std::io::Error },
    #[error("cannot read from {url}: {message}")]
    Sql { url: String, message: String },
    #[error("source {0}: use a sqlite:// or postgres:// URL")]
    Scheme(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Moves `path` into `dir`, keeping its name (a timestamp is added if the name is taken).
fn move_into(path: &Path, dir: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let mut target = dir.join(&name);
    if target.exists() {
        target = dir.join(format!(
            "{}-{name}",
            crate::clock::now().format("%Y%m%dT%H%M%S%.f")
        ));
    }
    std::fs::rename(path, &target)?;
    Ok(target)
}

/// A file that changed this recently may still be being written: it is left for the next run.
pub const SETTLE: std::time::Duration = std::time::Duration::from_secs(10);

/// Whether an inbox file is one to take: not a dotfile, not a partial download or editor lock
/// (`*.part`, `*.tmp`, `~$*`), and unchanged for [`SETTLE`].
fn ready(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().to_lowercase()) else {
        return false;
    };
    if name.starts_with('.')
        || name.starts_with("~$")
        || name.ends_with(".part")
        || name.ends_with(".tmp")
    {
        return false;
    }
    let settled = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t.elapsed().is_ok_and(|age| age >= SETTLE));
    if !settled {
        tracing::info!(file = %path.display(), "changed in the last seconds: left for the next run");
    }
    settled
}

/// Loads the new files of `dir` (together, so references resolve across them), then moves each
/// to `processed/` or `failed/`. A file whose content landed whole before is not loaded again; one
/// that had rows rejected is, so rows whose references were fixed since can land.
pub async fn ingest_inbox(
    store: &Store,
    dir: &Path,
    options: &Options,
) -> Result<Vec<Summary>, SourceError> {
    let inbox_error = |source| SourceError::Inbox {
        dir: dir.display().to_string(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(inbox_error)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && ready(p))
        .collect();
    files.sort();

    let mut summaries = Vec::new();
    let mut fresh = Vec::new();
    for path in files {
        let digest = super::digest_file(&path).map_err(inbox_error)?;
        if store.file_rejected_rows(&digest).await? == Some(0) {
            let mut s = Summary::new(&path.display().to_string(), &digest);
            s.status = Status::Skipped;
            s.message = "already loaded (same content)".into();
            move_into(&path, &dir.join("processed")).map_err(inbox_error)?;
            summaries.push(s);
        } else {
            fresh.push(path);
        }
    }
    for summary in ingest_files(store, &fresh, options).await? {
        let to = if summary.status == Status::Failed {
            "failed"
        } else {
            "processed"
        };
        move_into(Path::new(&summary.file), &dir.join(to)).map_err(inbox_error)?;
        summaries.push(summary);
    }
    Ok(summaries)
}

/// Reads one value of any type the source may hold into a cell.
macro_rules! cell_of {
    ($row:expr, $i:expr) => {{
        let row = $row;
        if let Ok(v) = row.try_get::<Option<String>, _>($i) {
            v.map_or(Cell::Empty, Cell::Text)
        } else if let Ok(v) = row.try_get::<Option<NaiveDate>, _>($i) {
            v.map_or(Cell::Empty, Cell::Date)
        } else if let Ok(v) = row.try_get::<Option<i64>, _>($i) {
            v.map_or(Cell::Empty, |n| Cell::Number(n as f64))
        } else if let Ok(v) = row.try_get::<Option<f64>, _>($i) {
            v.map_or(Cell::Empty, Cell::Number)
        } else if let Ok(v) = row.try_get::<Option<bool>, _>($i) {
            v.map_or(Cell::Empty, Cell::Bool)
        } else {
            Cell::Text(String::from("(unreadable column type)"))
        }
    }};
}

/// Runs `query` on the database at `url`; its column names are the kind's (English or Chinese).
async fn fetch(url: &str, query: &str) -> Result<(Vec<String>, Vec<Vec<Cell>>), SourceError> {
    let sql_error = |source: sqlx::Error| SourceError::Sql {
        url: redact(url),
        message: redact_in(&source.to_string(), url),
    };
    macro_rules! run {
        ($conn:ty) => {{
            let mut conn = <$conn>::connect(url).await.map_err(sql_error)?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(query.to_string()))
                .fetch_all(&mut conn)
                .await
                .map_err(sql_error)?;
            let header: Vec<String> = rows
                .first()
                .map(|r| r.columns().iter().map(|c| c.name().to_string()).collect())
                .unwrap_or_default();
            let cells = rows
                .iter()
                .map(|r| (0..r.len()).map(|i| cell_of!(r, i)).collect())
                .collect();
            (header, cells)
        }};
    }
    Ok(if url.starts_with("sqlite:") {
        run!(sqlx::SqliteConnection)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        run!(sqlx::PgConnection)
    } else {
        return Err(SourceError::Scheme(redact(url)));
    })
}

/// Loads the rows `query` returns from the database at `url` as `kind` (detected from the column
/// names when absent), in one transaction like a file.
pub async fn ingest_sql(
    store: &Store,
    url: &str,
    query: &str,
    kind: Option<Kind>,
    options: &Options,
) -> Result<Summary, SourceError> {
    let name = format!("{} — {}", redact(url), query);
    let (header, cells) = fetch(url, query).await?;
    let mut hasher = Sha256::new();
    hasher.update(query.as_bytes());
    for row in &cells {
        hasher.update(format!("{row:?}\n").as_bytes());
    }
    let digest = format!("{:x}", hasher.finalize());
    let map = match kind {
        Some(k) => kinds::map_as(k, &header),
        None => kinds::detect(&header),
    };
    let summary = match map {
        Err(e) => Summary::new(&name, &digest).failed(e.to_string()),
        Ok(map) => {
            let rows: Vec<_> = cells
                .into_iter()
                .enumerate()
                .map(|(i, cells)| {
                    Ok(RawRow {
                        number: i + 2,
                        cells,
                    })
                })
                .collect();
            let table = Table {
                format: "sql",
                header,
                rows: Box::new(rows.into_iter()),
            };
            let mut ctx = std::sync::Arc::new(Context::load(store).await?);
            let input = Opened {
                name: name.clone(),
                digest: digest.clone(),
                table,
                map,
            };
            load(store, &mut ctx, input, options).await?
        }
    };
    audit(store, &summary, options).await?;
    Ok(summary)
}
