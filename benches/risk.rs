//! The category risk aggregation alone, in memory, on the national export (`scripts/bench` makes it:
//! ~4.9 million spot checks, ~320,000 licences). The files are read first, untimed; then
//! `risk::aggregate::category_facts` (polars) runs five times. Each check is put in its window while
//! the files are read (untimed), as the store sums them per window in SQL. `scripts/bench-duckdb.py` runs the
//! equivalent aggregation in DuckDB over the same files, also on tables already in memory.
//!
//!   cargo bench --bench risk            # LICWATCH_BENCH_DATA=DIR to point elsewhere

use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;
use licwatch::calendar::Calendar;
use licwatch::catalogue::{Catalogue, Category};
use licwatch::model::ReviewOutcome;
use licwatch::risk::{self, CheckCount, LicenceRow, ReviewRow, Windows};

fn rows(path: &Path) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run scripts/bench once to generate the national files)",
            path.display()
        )
    });
    let header = reader.headers().unwrap().clone();
    (header, reader.records().map(Result::unwrap).collect())
}

fn column(header: &csv::StringRecord, name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn main() {
    let dir = std::env::var("LICWATCH_BENCH_DATA").unwrap_or_else(|_| "target/bench-data".into());
    let dir = Path::new(&dir);
    let started = Instant::now();
    let as_of = date("2026-11-26");
    let calendar = Calendar::builtin();
    let last_overdue = risk::last_overdue_grant(&calendar, as_of, 30).unwrap();
    let windows = Windows::new(as_of, 12, last_overdue);

    let (h, records) = rows(&dir.join("licences.csv"));
    let (no, code, cat, proc_, grant, status, direct) = (
        column(&h, "licence_no"),
        column(&h, "credit_code"),
        column(&h, "category"),
        column(&h, "procedure"),
        column(&h, "grant_date"),
        column(&h, "status"),
        column(&h, "renewal_direct"),
    );
    let licences: Vec<LicenceRow> = records
        .iter()
        .map(|r| LicenceRow {
            licence_no: r[no].into(),
            credit_code: r[code].into(),
            category: r[cat].into(),
            simplified: &r[proc_] == "simplified",
            active: &r[status] == "active",
            grant_date: date(&r[grant]),
            renewal_direct: &r[direct] == "true",
        })
        .collect();
    let (h, records) = rows(&dir.join("onsite-reviews.csv"));
    let (no, day, outcome) = (
        column(&h, "licence_no"),
        column(&h, "review_date"),
        column(&h, "outcome"),
    );
    let reviews: Vec<ReviewRow> = records
        .iter()
        .map(|r| ReviewRow {
            licence_no: r[no].into(),
            review_date: date(&r[day]),
            outcome: ReviewOutcome::parse(&r[outcome]).unwrap(),
        })
        .collect();
    let (h, records) = rows(&dir.join("spot-checks.csv"));
    let (cat, day, result) = (
        column(&h, "category"),
        column(&h, "check_date"),
        column(&h, "result"),
    );
    let checks: Vec<CheckCount> = records
        .iter()
        .filter_map(|r| {
            Some(CheckCount {
                category: r[cat].into(),
                window: windows.of(date(&r[day]))?,
                failed: &r[result] == "fail",
                n: 1,
            })
        })
        .collect();
    drop(records);
    println!(
        "read {} licences, {} reviews, {} spot checks in {:.1} s (untimed below)",
        licences.len(),
        reviews.len(),
        checks.len(),
        started.elapsed().as_secs_f64()
    );

    println!(
        "as of {as_of}; last overdue grant {}",
        last_overdue.unwrap()
    );
    let catalogue = Catalogue::builtin();
    let categories: Vec<&Category> = catalogue.in_scope().collect();
    // As DuckDB's tables are loaded before its query is timed, the columns are built first; the
    // whole function (rows to facts) is timed too.
    let frames = risk::aggregate::frames(&categories, &licences, &reviews, &checks, as_of).unwrap();
    let time = |f: &dyn Fn() -> u64| {
        let mut times = Vec::new();
        let mut checked = 0;
        for _ in 0..5 {
            let t = Instant::now();
            checked = f();
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        (times[0], times[2], checked)
    };
    let total = |facts: Vec<licwatch::risk::CategoryFacts>| {
        facts
            .iter()
            .map(|f| f.checks + f.checks_previous)
            .sum::<u64>()
    };
    let (min, median, checked) =
        time(&|| total(risk::aggregate::facts(&categories, &frames, &windows).unwrap()));
    println!(
        "polars category aggregation: min {min:.3} s, median {median:.3} s over 5 runs ({checked} checks in the two windows)"
    );
    let (min, median, _) = time(&|| {
        total(
            risk::aggregate::category_facts(&categories, &licences, &reviews, &checks, &windows)
                .unwrap(),
        )
    });
    println!("polars from rows (columns built each time): min {min:.3} s, median {median:.3} s");
}
