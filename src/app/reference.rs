//! `init`: create or migrate the store and load the reference data — the built-in divisions and
//! 2018 catalogue, and optionally a later catalogue or another province's division table.

use std::path::Path;

use anyhow::Context as _;
use serde_json::json;
use sha2::Digest;

use crate::catalogue::Catalogue;
use crate::divisions::Divisions;
use crate::store::{AuditEntry, Store};

/// Reads a reference file whole, for parsing and for its digest in the audit log.
fn read_reference(path: &Path) -> anyhow::Result<(String, String)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let digest = format!("{:x}", sha2::Sha256::digest(&bytes));
    let text = String::from_utf8(bytes)
        .with_context(|| format!("{}: reference files are UTF-8", path.display()))?;
    Ok((text, digest))
}

/// Migrates the store and loads the reference data. Every file is parsed before the store is
/// touched, so a bad file applies nothing.
pub async fn init(
    store: &Store,
    catalogue: Option<&Path>,
    divisions: Option<&Path>,
) -> anyhow::Result<()> {
    let mut inputs = serde_json::Map::new();
    let catalogue = match catalogue {
        Some(path) => {
            let (text, digest) = read_reference(path)?;
            inputs.insert("catalogue".into(), json!({"file": path, "sha256": digest}));
            Some(Catalogue::parse_csv(&text).with_context(|| path.display().to_string())?)
        }
        None => None,
    };
    let divisions = match divisions {
        Some(path) => {
            let (text, digest) = read_reference(path)?;
            inputs.insert("divisions".into(), json!({"file": path, "sha256": digest}));
            Some(Divisions::parse_csv(&text).with_context(|| path.display().to_string())?)
        }
        None => None,
    };
    store.seed_reference().await?;
    if let Some(divisions) = divisions {
        store.upsert(divisions.all()).await?;
    }
    if let Some(catalogue) = catalogue {
        store.upsert(catalogue.all()).await?;
    }
    store
        .audit(&AuditEntry::now(
            "init",
            serde_json::Value::Object(inputs),
            "ok",
        ))
        .await?;
    Ok(())
}
