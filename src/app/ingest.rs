//! Loading input: files, an inbox folder, or rows another database returns. The loading itself is
//! `crate::ingest`; this names where rejects go and what counts as a failed run.

use std::path::{Path, PathBuf};

use anyhow::bail;
use chrono::NaiveDate;

use super::{Context, Period};
use crate::ingest::kinds::Kind;
use crate::ingest::read::Encoding;
use crate::ingest::source::{ingest_inbox, ingest_sql};
use crate::ingest::{Options, Status, Summary, ingest_files, worst};
use crate::store::Store;

/// Where the input comes from.
pub enum Input<'a> {
    Files(&'a [PathBuf]),
    Inbox(&'a Path),
    Sql { url: &'a str, query: &'a str },
}

/// How to read it.
pub struct Reading {
    pub kind: Option<Kind>,
    pub encoding: Encoding,
    pub sheet: Option<String>,
}

impl Default for Reading {
    fn default() -> Self {
        Reading {
            kind: None,
            encoding: Encoding::Auto,
            sheet: None,
        }
    }
}

/// Loads the input; one summary per file. Rejects files go to `<out>/<week of day>/ingest/`.
pub async fn load(
    ctx: &Context,
    store: &Store,
    input: Input<'_>,
    reading: Reading,
    day: NaiveDate,
    actor: &str,
) -> anyhow::Result<Vec<Summary>> {
    store.seed_reference().await?;
    let options = Options {
        kind: reading.kind,
        encoding: reading.encoding,
        sheet: reading.sheet,
        rejects_dir: ctx.out_dir(&Period::week_of(day)).join("ingest"),
        actor: actor.into(),
        progress: ctx.progress,
    };
    Ok(match input {
        Input::Files(files) => ingest_files(store, files, &options).await?,
        Input::Inbox(dir) => ingest_inbox(store, dir, &options).await?,
        Input::Sql { url, query } => {
            vec![ingest_sql(store, url, query, options.kind, &options).await?]
        }
    })
}

/// Fails when a file failed whole: rejected rows are quarantined and reported, not a failure.
pub fn fail_on_failed_files(summaries: &[Summary]) -> anyhow::Result<()> {
    if worst(summaries) == Status::Failed {
        bail!(
            "ingest failed: {}",
            summaries
                .iter()
                .map(|s| s.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    Ok(())
}
