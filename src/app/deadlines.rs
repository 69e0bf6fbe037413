//! The deadline flags of DESIGN.md section 5 on the configured calendar and figures: computed
//! (`flags`, `flags_in`) and written as the week's `deadlines.csv` / `.json` (`write_flags`).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::NaiveDate;

use super::{Context, prefecture_code};
use crate::deadlines::{self, DeadlineRow, Subject};
use crate::output::{TableFormat, write_csv_report, write_table};
use crate::store::{Scope, Store};

/// The flags of `subjects` on `as_of`; with `all`, done, exempt and issued rows too.
pub fn flags(
    ctx: &Context,
    subjects: &[Subject],
    as_of: NaiveDate,
    all: bool,
) -> anyhow::Result<Vec<DeadlineRow>> {
    let rules = deadlines::Context {
        calendar: &ctx.calendar,
        params: &ctx.config.rules,
        as_of,
    };
    Ok(deadlines::rows(&rules, subjects, all))
}

/// The licences of one prefecture (given by name or code), or of all: the active ones, or every
/// status.
pub async fn licences_of(
    store: &Store,
    prefecture: Option<&str>,
    active_only: bool,
) -> anyhow::Result<Scope> {
    Ok(Scope {
        prefecture: prefecture_code(store, prefecture).await?,
        credit_code: None,
        active_only,
    })
}

/// The flags of the active licences of one prefecture (given by name or code), or of all.
pub async fn flags_in(
    ctx: &Context,
    store: &Store,
    prefecture: Option<&str>,
    as_of: NaiveDate,
    all: bool,
) -> anyhow::Result<Vec<DeadlineRow>> {
    let scope = licences_of(store, prefecture, true).await?;
    flags(ctx, &store.subjects(&scope).await?, as_of, all)
}

/// Writes the flags as a CSV report (opens in Excel and WPS) and as JSON into `dir`.
pub fn write_flags(dir: &Path, rows: &[DeadlineRow]) -> anyhow::Result<Vec<PathBuf>> {
    let csv_path = dir.join("deadlines.csv");
    write_csv_report(&csv_path, rows)?;
    let json_path = dir.join("deadlines.json");
    let mut json = Vec::new();
    write_table(&mut json, TableFormat::Json, rows, &[])?;
    std::fs::write(&json_path, json).with_context(|| format!("writing {}", json_path.display()))?;
    Ok(vec![csv_path, json_path])
}
