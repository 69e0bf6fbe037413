//! Property tests over hostile input (README "Fuzzing"): the seeds of `tests/fuzz-corpus/` and
//! `examples/`, cut short and with bytes overwritten, and CSV built from arbitrary cells, go
//! through the same path a file takes — opened at the file boundary (where a parser's panic is
//! caught), its kind told, every row validated. Whatever the input, it either fails its file with
//! a reason, or each row becomes a record or rejects with reasons; nothing panics. The number of
//! cases is `PROPTEST_CASES` (256 by default; CI runs this default pass).

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::kinds::Kind;
use super::read::{Cell, Encoding};
use super::validate::{Ingest, Known, Row, Validator};
use super::{Opened, Options, open_file};
use crate::catalogue::Catalogue;
use crate::divisions::Divisions;
use crate::model::{Conflict, Enterprise, Inspector, Licence, OnsiteReview, SpotCheck, Violation};

fn corpus() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Vec::new();
    for dir in ["tests/fuzz-corpus", "examples"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for p in paths {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            seeds.push((name, std::fs::read(&p).unwrap()));
        }
    }
    seeds
}

fn rows_of<T: Ingest>(opened: Opened, v: &Validator) {
    let width = opened.table.header.len();
    for next in opened.table.rows {
        let Ok(raw) = next else { return };
        if raw.cells.iter().all(|c| *c == Cell::Empty) {
            continue;
        }
        if let Err(rejects) = Row::new(&raw, &opened.map).read::<T>(v, width) {
            assert!(!rejects.is_empty());
            assert!(
                rejects
                    .iter()
                    .all(|r| !r.reason.is_empty() && r.row == raw.number)
            );
        }
    }
}

/// Writes `bytes` as `name` and takes it through opening and validation.
fn exercise(name: &str, bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let options = Options {
        kind: None,
        encoding: Encoding::Auto,
        sheet: None,
        rejects_dir: dir.path().to_path_buf(),
        actor: "fuzz".into(),
        progress: false,
    };
    let opened = match open_file(&path, &options) {
        Ok(opened) => opened,
        Err(summary) => {
            assert!(!summary.message.is_empty(), "a failed file says why");
            return;
        }
    };
    let (catalogue, divisions) = (Catalogue::builtin(), Divisions::builtin());
    let known = Known::default();
    let v = Validator {
        catalogue: &catalogue,
        divisions: &divisions,
        known: &known,
    };
    match opened.map.kind {
        Kind::Enterprises => rows_of::<Enterprise>(opened, &v),
        Kind::Licences => rows_of::<Licence>(opened, &v),
        Kind::OnsiteReviews => rows_of::<OnsiteReview>(opened, &v),
        Kind::Inspectors => rows_of::<Inspector>(opened, &v),
        Kind::SpotChecks => rows_of::<SpotCheck>(opened, &v),
        Kind::Conflicts => rows_of::<Conflict>(opened, &v),
        Kind::Violations => rows_of::<Violation>(opened, &v),
    }
}

#[test]
fn every_seed_goes_through_whole() {
    for (name, bytes) in corpus() {
        exercise(&name, &bytes);
    }
}

const HEADERS: &[&str] = &[
    "licence_no",
    "credit_code",
    "category",
    "procedure",
    "grant_date",
    "expiry",
    "status",
    "email",
    "inspector_id",
    "name",
    "prefecture",
    "county",
    "qualifications",
    "date",
    "kind",
    "统一社会信用代码",
    "发证日期",
];

fn csv_cell(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

proptest! {
    #[test]
    fn mutated_seeds_never_panic(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..24),
        keep in any::<prop::sample::Index>(),
    ) {
        let seeds = corpus();
        let (name, bytes) = &seeds[pick.index(seeds.len())];
        let mut bytes = bytes.clone();
        if !bytes.is_empty() {
            for (at, byte) in edits {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            // Cut short, as a file still being copied is.
            bytes.truncate(keep.index(bytes.len() + 1).max(1));
        }
        exercise(name, &bytes);
    }

    #[test]
    fn arbitrary_cells_under_real_headers_are_records_or_reasons(
        columns in prop::sample::subsequence(HEADERS.to_vec(), 1..HEADERS.len()),
        rows in prop::collection::vec(prop::collection::vec(".{0,40}", 0..20), 0..8),
    ) {
        let mut text = columns.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(",");
        text.push('\n');
        for row in rows {
            text.push_str(&row.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
            text.push('\n');
        }
        exercise("cells.csv", text.as_bytes());
    }
}
