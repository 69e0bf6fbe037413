//! The draw alone, on a national-size directory held in memory: 250,000 enterprise-categories,
//! 50,000 inspectors with qualifications, conflicts and recent assignments, a plan drawing about
//! 10,000 checks with teams of two and county avoidance. Run: `cargo bench --bench draw`.

use std::time::Instant;

use chrono::NaiveDate;
use licwatch::catalogue::Catalogue;
use licwatch::divisions::Divisions;
use licwatch::draw::plan::{Plan, Tier};
use licwatch::draw::record::Record;
use licwatch::draw::rng::Algorithm;
use licwatch::draw::{InspectorEntry, Snapshot, Unit, draw};

/// A deterministic spread of values (a linear congruential step), enough to vary the directory.
fn spread(i: usize, salt: usize) -> usize {
    (i.wrapping_mul(2_654_435_761)
        .wrapping_add(salt.wrapping_mul(40_503)))
        >> 7
}

fn main() {
    let catalogue = Catalogue::builtin();
    let categories: Vec<String> = catalogue.in_scope().map(|c| c.code.clone()).collect();
    let divisions = Divisions::builtin();
    let counties: Vec<(String, String)> = divisions
        .all()
        .iter()
        .filter(|d| d.parent_code.as_deref().is_some_and(|p| p != "650000"))
        .map(|d| (d.parent_code.clone().unwrap(), d.code.clone()))
        .collect();
    let tiers = [Tier::A, Tier::B, Tier::B, Tier::B, Tier::C, Tier::D];
    let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();

    let units: Vec<Unit> = (0..250_000)
        .map(|i| {
            let (prefecture, county) = &counties[spread(i, 1) % counties.len()];
            Unit {
                category: categories[spread(i, 2) % categories.len()].clone(),
                credit_code: format!("91{county}{i:09}X"),
                enterprise: format!("企业{i}"),
                prefecture: prefecture.clone(),
                county: county.clone(),
                tier: tiers[spread(i, 3) % tiers.len()],
                simplified: !spread(i, 4).is_multiple_of(3),
                last_checked: None,
            }
        })
        .collect();
    let inspectors: Vec<InspectorEntry> = (0..50_000)
        .map(|i| {
            let (prefecture, county) = &counties[spread(i, 5) % counties.len()];
            InspectorEntry {
                inspector_id: format!("{county}{i:06}"),
                name: format!("检查员{i}"),
                prefecture: prefecture.clone(),
                county: county.clone(),
                qualifications: (0..3)
                    .map(|k| categories[spread(i, 6 + k) % categories.len()].clone())
                    .collect(),
                conflicts: vec![units[spread(i, 9) % units.len()].credit_code.clone()],
                recent: vec![(
                    units[spread(i, 10) % units.len()].credit_code.clone(),
                    day.pred_opt().unwrap(),
                )],
            }
        })
        .collect();
    let plan = Plan::parse(
        "campaign = \"bench\"\nname = \"bench\"\n[sampling]\ntier_a_percent = 1\ntier_b_percent = 2\ntier_c_percent = 4\ntier_d_percent = 10\nmin_per_category = 1\n",
        "bench",
    )
    .unwrap();

    let started = Instant::now();
    let snapshot = Snapshot { units, inspectors }.canonical();
    let canonical = started.elapsed();

    let started = Instant::now();
    let result = draw(Algorithm::CURRENT, &plan, day, "bench seed", &snapshot);
    let drawing = started.elapsed();
    assert!(
        result.unstaffed.is_empty(),
        "{} unstaffed",
        result.unstaffed.len()
    );

    let started = Instant::now();
    let record = Record::make_with(Algorithm::CURRENT, plan, day, "bench seed", snapshot, None);
    let text = record.to_canonical();
    let recording = started.elapsed();

    println!(
        "draw of {} checks (teams of 2) from {} inspectors over {} enterprise-categories:",
        result.assignments.len(),
        record.snapshot.inspectors.len(),
        record.snapshot.units.len()
    );
    println!("  canonical ordering   {:>8.3} s", canonical.as_secs_f64());
    println!("  selection + staffing {:>8.3} s", drawing.as_secs_f64());
    println!(
        "  record (again, digests, canonical JSON of {} MB) {:>8.3} s",
        text.len() / 1_000_000,
        recording.as_secs_f64()
    );
}
