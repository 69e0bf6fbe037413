//! Fairness and rules of the draw, shown over many seeded draws.

use chrono::NaiveDate;

use super::plan::{Plan, Tier};
use super::pseudonym::Pseudonyms;
use super::record::{Freeze, FrozenSnapshot, Record, RecordText, verify};
use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn plan() -> Plan {
    Plan::parse("campaign = \"{year}-{month}\"\nname = \"测试\"\n", "test").unwrap()
}

const COUNTIES: [(&str, &str); 4] = [
    ("650100", "650102"),
    ("650100", "650103"),
    ("650200", "650203"),
    ("654000", "654002"),
];

fn unit(i: usize, category: &str, tier: Tier) -> Unit {
    let (prefecture, county) = COUNTIES[i % COUNTIES.len()];
    Unit {
        category: category.into(),
        credit_code: format!("E{i:05}"),
        enterprise: format!("企业{i}"),
        prefecture: prefecture.into(),
        county: county.into(),
        tier,
        simplified: false,
        last_checked: None,
    }
}

fn inspector(i: usize, qualifications: &[&str]) -> InspectorEntry {
    let (prefecture, county) = COUNTIES[(i * 7 + 1) % COUNTIES.len()];
    InspectorEntry {
        inspector_id: format!("I{i:04}"),
        name: format!("检查员{i}"),
        prefecture: prefecture.into(),
        county: county.into(),
        qualifications: qualifications.iter().map(|q| q.to_string()).collect(),
        conflicts: Vec::new(),
        recent: Vec::new(),
    }
}

/// 200 units over two categories and all tiers, 60 inspectors.
fn directory() -> Snapshot {
    let tiers = [Tier::A, Tier::B, Tier::C, Tier::D];
    let units = (0..200)
        .map(|i| {
            let category = if i % 2 == 0 {
                "wire-rope"
            } else {
                "fertilizer"
            };
            unit(i, category, tiers[i % 4])
        })
        .collect();
    let inspectors = (0..60)
        .map(|i| {
            inspector(
                i,
                if i % 3 == 0 {
                    &["wire-rope", "fertilizer"]
                } else if i % 3 == 1 {
                    &["wire-rope"]
                } else {
                    &["lifesaving"]
                },
            )
        })
        .collect();
    Snapshot { units, inspectors }.canonical()
}

#[test]
fn strata_hit_their_ratios() {
    let snapshot = directory();
    let result = draw(
        Algorithm::CURRENT,
        &plan(),
        d("2026-12-01"),
        "ratios",
        &snapshot,
    );
    for s in &result.strata {
        assert_eq!(
            s.drawn as usize,
            (s.eligible as usize * s.percent as usize).div_ceil(100),
            "{s:?}"
        );
    }
    let d_tier = result.strata.iter().filter(|s| s.tier == Tier::D);
    assert!(
        d_tier
            .clone()
            .all(|s| s.drawn == s.eligible && s.eligible > 0)
    );
    assert_eq!(
        result.assignments.len() as u32,
        result.strata.iter().map(|s| s.drawn).sum::<u32>()
    );
}

#[test]
fn selection_within_a_stratum_is_uniform() {
    // 20 tier-B units, 10 % drawn → 2 per draw; over 2,000 seeds each unit expects 200 selections.
    let snapshot = Snapshot {
        units: (0..20).map(|i| unit(i, "wire-rope", Tier::B)).collect(),
        inspectors: (0..10).map(|i| inspector(i, &["wire-rope"])).collect(),
    }
    .canonical();
    let mut hits = std::collections::HashMap::<String, u32>::new();
    for seed in 0..2_000 {
        for a in draw(
            Algorithm::CURRENT,
            &plan(),
            d("2026-12-01"),
            &seed.to_string(),
            &snapshot,
        )
        .assignments
        {
            *hits.entry(a.credit_code).or_default() += 1;
        }
    }
    assert_eq!(hits.len(), 20);
    let chi2: f64 = hits
        .values()
        .map(|&h| (f64::from(h) - 200.0).powi(2) / 200.0)
        .sum();
    // χ² with 19 degrees of freedom; 43.82 is the 0.001 critical value.
    assert!(chi2 < 43.82, "χ² = {chi2}: {hits:?}");
}

#[test]
fn every_assignment_keeps_every_rule() {
    let mut snapshot = directory();
    // Conflicts and recent inspections to avoid.
    snapshot.inspectors[0].conflicts = vec!["E00000".into(), "E00004".into()];
    snapshot.inspectors[3].recent = vec![("E00008".into(), d("2026-06-01"))];
    let plan = plan();
    for seed in 0..50 {
        let result = draw(
            Algorithm::CURRENT,
            &plan,
            d("2026-12-01"),
            &format!("rules {seed}"),
            &snapshot,
        );
        assert!(result.unstaffed.is_empty(), "{:?}", result.unstaffed);
        let mut load = std::collections::HashMap::<&str, u32>::new();
        for a in &result.assignments {
            let unit = snapshot
                .units
                .iter()
                .find(|u| u.credit_code == a.credit_code && u.category == a.category)
                .unwrap();
            assert_eq!(a.team.len(), 2);
            assert_ne!(a.team[0], a.team[1]);
            assert_eq!(a.lead, a.team[0]);
            for id in &a.team {
                let i = snapshot
                    .inspectors
                    .iter()
                    .find(|i| &i.inspector_id == id)
                    .unwrap();
                assert_ne!(i.county, unit.county, "回避: same county");
                assert!(
                    !i.conflicts.contains(&unit.credit_code),
                    "回避: declared conflict"
                );
                assert!(
                    !i.recent.iter().any(|(c, _)| *c == unit.credit_code),
                    "回避: recent"
                );
                *load.entry(id).or_default() += 1;
            }
            let lead = snapshot
                .inspectors
                .iter()
                .find(|i| i.inspector_id == a.lead)
                .unwrap();
            assert!(
                lead.qualifications.contains(&unit.category),
                "lead qualified"
            );
        }
        assert!(load.values().all(|&n| n <= plan.teams.max_per_inspector));
    }
}

#[test]
fn a_tight_workload_is_solved_by_moving_assignments_not_given_up() {
    // Four checks need a qualified lead each; only two inspectors are qualified, each may join two
    // teams. A greedy pass that puts qualified inspectors in member seats runs out of leads.
    let mut plan = plan();
    plan.teams.max_per_inspector = 2;
    let snapshot = Snapshot {
        units: (0..4).map(|i| unit(i * 4, "wire-rope", Tier::D)).collect(),
        inspectors: vec![
            inspector(0, &["wire-rope"]),
            inspector(1, &["wire-rope"]),
            inspector(2, &[]),
            inspector(3, &[]),
            inspector(5, &[]),
            inspector(6, &[]),
        ]
        .into_iter()
        .map(|mut i| {
            i.county = "653101".into();
            i
        })
        .collect(),
    }
    .canonical();
    for seed in 0..100 {
        let result = draw(
            Algorithm::CURRENT,
            &plan,
            d("2026-12-01"),
            &format!("tight {seed}"),
            &snapshot,
        );
        assert!(
            result.unstaffed.is_empty(),
            "seed {seed}: {:?}",
            result.unstaffed
        );
    }
}

#[test]
fn infeasible_checks_are_named_with_the_blocking_rule() {
    let snapshot = Snapshot {
        units: vec![
            unit(0, "lifesaving", Tier::D),
            unit(1, "wire-rope", Tier::D),
        ],
        inspectors: vec![
            inspector(0, &["wire-rope"]),
            inspector(1, &["wire-rope"]),
            inspector(2, &[]),
        ],
    }
    .canonical();
    let result = draw(Algorithm::CURRENT, &plan(), d("2026-12-01"), "x", &snapshot);
    assert_eq!(result.unstaffed.len(), 1);
    assert_eq!(result.unstaffed[0].category, "lifesaving");
    assert!(
        result.unstaffed[0].reason.contains("qualified"),
        "{:?}",
        result.unstaffed
    );
    assert_eq!(result.assignments.len(), 1);
}

#[test]
fn recently_checked_enterprises_sit_out_unless_tier_d() {
    let mut a = unit(0, "wire-rope", Tier::C);
    a.last_checked = Some(d("2026-10-01"));
    let mut b = unit(1, "wire-rope", Tier::D);
    b.last_checked = Some(d("2026-10-01"));
    let snapshot = Snapshot {
        units: vec![a, b],
        inspectors: (0..4).map(|i| inspector(i, &["wire-rope"])).collect(),
    }
    .canonical();
    let mut plan = plan();
    plan.sampling.tier_c_percent = 100;
    plan.sampling.min_per_category = 0;
    let result = draw(Algorithm::CURRENT, &plan, d("2026-12-01"), "x", &snapshot);
    let drawn: Vec<&str> = result
        .assignments
        .iter()
        .map(|a| a.credit_code.as_str())
        .collect();
    assert_eq!(drawn, vec!["E00001"]);
}

#[test]
fn differently_ordered_inputs_give_byte_identical_records() {
    let snapshot = directory();
    let mut shuffled = snapshot.clone();
    shuffled.units.reverse();
    shuffled.inspectors.rotate_left(17);
    for i in &mut shuffled.inspectors {
        i.qualifications.reverse();
    }
    let a = Record::make_with(
        Algorithm::CURRENT,
        plan(),
        d("2026-12-01"),
        "2026-12-01 07 21 33",
        snapshot,
        None,
    );
    let b = Record::make_with(
        Algorithm::CURRENT,
        plan(),
        d("2026-12-01"),
        "2026-12-01 07 21 33",
        shuffled,
        None,
    );
    assert_eq!(a.to_canonical(), b.to_canonical());
}

#[test]
fn a_record_verifies_after_a_round_trip_and_tampering_is_caught() {
    let record = Record::make_with(
        Algorithm::CURRENT,
        plan(),
        d("2026-12-01"),
        "seed text",
        directory(),
        None,
    );
    let text = record.to_canonical();
    assert_eq!(verify(&text).unwrap(), record);

    let tamper = |from: &str, to: &str| verify(&text.replacen(from, to, 1)).unwrap_err();
    // The snapshot comes last in the record: change its last mention of an enterprise.
    let in_snapshot = |from: &str, to: &str| {
        let at = text.rfind(from).unwrap();
        verify(&format!("{}{to}{}", &text[..at], &text[at + from.len()..])).unwrap_err()
    };
    assert!(tamper("\"seed\":\"seed text\"", "\"seed\":\"seed texT\"").contains("seed digest"));
    let lead = &record.result.assignments[0].lead;
    let other = if lead == "I0000" { "I0003" } else { "I0000" };
    let err = tamper(
        &format!("\"lead\":\"{lead}\""),
        &format!("\"lead\":\"{other}\""),
    );
    assert!(err.contains("assignments"), "{err}");
    assert!(tamper("\"tier_b_percent\":10", "\"tier_b_percent\":11").contains("differs"));
    assert!(in_snapshot("企业1", "企业X").contains("enterprise snapshot digest"));
    assert!(
        verify(&format!("{text} ")).is_ok(),
        "trailing newline or space is not content"
    );
    let spaced = text.replacen("{\"algorithm\"", "{ \"algorithm\"", 1);
    assert_ne!(spaced, text);
    assert!(verify(&spaced).unwrap_err().contains("canonical"));
}

/// One tier-D unit in county 650102 and 16 inspectors whose ids interleave that county (ineligible:
/// 回避) with another in runs of unequal length: the eligible ids follow blocks of 0 to 3
/// ineligible ones.
fn interleaved() -> Snapshot {
    let own = ("650100", "650102");
    let other = ("650200", "650203");
    let pattern = [
        own, own, own, other, other, own, other, own, own, other, other, other, own, own, other,
        other,
    ];
    let inspectors = pattern
        .iter()
        .enumerate()
        .map(|(i, (prefecture, county))| InspectorEntry {
            prefecture: prefecture.to_string(),
            county: county.to_string(),
            ..inspector(i, &["wire-rope"])
        })
        .collect();
    let mut unit = unit(0, "wire-rope", Tier::D);
    (unit.prefecture, unit.county) = (own.0.into(), own.1.into());
    Snapshot {
        units: vec![unit],
        inspectors,
    }
    .canonical()
}

/// How often each inspector leads the single check over `n` seeded draws.
fn leads(algorithm: Algorithm, n: u32) -> std::collections::BTreeMap<String, u32> {
    let snapshot = interleaved();
    let mut hits = std::collections::BTreeMap::new();
    for seed in 0..n {
        let result = draw(
            algorithm,
            &plan(),
            d("2026-12-01"),
            &format!("fair {seed}"),
            &snapshot,
        );
        *hits.entry(result.assignments[0].lead.clone()).or_insert(0) += 1;
    }
    hits
}

fn chi2(hits: &std::collections::BTreeMap<String, u32>, expected: f64) -> f64 {
    hits.values()
        .map(|&h| (f64::from(h) - expected).powi(2) / expected)
        .sum()
}

#[test]
fn team_seats_are_uniform_among_the_eligible_whatever_the_id_order() {
    // 8 eligible inspectors; 2,400 draws: 300 leads each expected.
    let v2 = leads(Algorithm::V2, 2_400);
    assert_eq!(v2.len(), 8, "{v2:?}");
    // χ² with 7 degrees of freedom; 24.32 is the 0.001 critical value.
    assert!(
        chi2(&v2, 300.0) < 24.32,
        "v2 χ² = {}: {v2:?}",
        chi2(&v2, 300.0)
    );
    // Version 1 favoured the ids that follow a block of ineligible ones: far from uniform.
    let v1 = leads(Algorithm::V1, 2_400);
    assert!(
        chi2(&v1, 300.0) > 100.0,
        "v1 χ² = {}: {v1:?}",
        chi2(&v1, 300.0)
    );
}

#[test]
fn records_of_version_1_keep_verifying() {
    let snapshot = interleaved();
    let plan = plan();
    let mut record = Record::make_with(
        Algorithm::CURRENT,
        plan.clone(),
        d("2026-12-01"),
        "old",
        snapshot.clone(),
        None,
    );
    record.algorithm = Algorithm::V1.name().into();
    record.result = draw(Algorithm::V1, &plan, d("2026-12-01"), "old", &snapshot);
    let text = record.to_canonical();
    assert!(verify(&text).is_ok(), "{:?}", verify(&text).err());
    // The same record claiming version 2 does not verify: its teams were drawn the old way.
    let mut claimed = record.clone();
    claimed.algorithm = Algorithm::V2.name().into();
    assert_ne!(
        draw(Algorithm::V2, &plan, d("2026-12-01"), "old", &snapshot),
        record.result
    );
    assert!(verify(&claimed.to_canonical()).is_err());
}

#[test]
fn a_record_whose_inputs_changed_after_the_freeze_does_not_verify() {
    let plan = plan();
    let (freeze, _, text) = freeze_of(directory(), &Pseudonyms::generate());
    let frozen = FrozenSnapshot::parse(text).unwrap();
    let record = Record::make(plan.clone(), "2026-12-01 07 21 33", freeze, frozen, None)
        .unwrap()
        .record;
    assert!(verify(&record.to_canonical()).is_ok());
    // Someone renames an enterprise after the digests were published and redraws from that, the
    // record's own digests recomputed to match: the freeze still says otherwise.
    let mut changed = record.snapshot.clone();
    changed.units[0].enterprise = "改过的企业".into();
    let mut forged = Record::make_with(
        Algorithm::CURRENT,
        plan,
        d("2026-12-01"),
        "2026-12-01 07 21 33",
        changed,
        None,
    );
    forged.freeze = record.freeze.clone();
    let err = verify(&forged.to_canonical()).unwrap_err();
    assert!(
        err.contains("enterprise snapshot differs from the one frozen at 2026-11-30T01:00:00Z"),
        "{err}"
    );
}

/// The freeze of `plan()` as of 2026-12-01 over `directory`: the freeze, the snapshot and its text.
fn freeze_of(directory: Snapshot, pseudonyms: &Pseudonyms) -> (Freeze, Snapshot, String) {
    Freeze::of(
        &plan(),
        d("2026-12-01"),
        directory,
        "2026-12-01 福彩3D 开奖号码",
        "2026-11-30T01:00:00Z".parse().unwrap(),
        pseudonyms,
    )
}

/// A frozen record with its pseudonym key, from the interleaved directory.
fn frozen_with_key() -> Record {
    let plan = plan();
    let pseudonyms = Pseudonyms::generate();
    let (freeze, _, text) = freeze_of(interleaved(), &pseudonyms);
    let frozen = FrozenSnapshot::parse(text).unwrap();
    Record::make(
        plan,
        "2026-12-01 07 21 33",
        freeze,
        frozen,
        Some(&pseudonyms),
    )
    .unwrap()
    .record
}

#[test]
fn records_are_written_as_their_json_tree_sorted() {
    // Records stored before the canonical writer streamed were made through a `serde_json::Value`
    // tree; both forms of a record, internal and public, must be that text still, byte for byte.
    let record = frozen_with_key();
    for record in [record.public().unwrap(), record] {
        let tree = serde_json::to_value(&record).unwrap();
        // (`canonical` of a `Value` is held to the tree's sorted text in draw::canonical's tests.)
        assert_eq!(record.to_canonical(), super::record::canonical(&tree));
    }
}

/// The whole of a record's text, as its files hold it.
fn whole(text: &RecordText) -> String {
    let mut bytes = Vec::new();
    text.write_to(&mut bytes).unwrap();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn a_record_is_its_head_around_its_freezes_snapshot_text() {
    let plan = plan();
    let pseudonyms = Pseudonyms::generate();
    // The text a freeze stores is its snapshot's canonical text.
    let (freeze, snapshot, stored) = freeze_of(interleaved(), &pseudonyms);
    assert_eq!(stored, super::record::canonical(&snapshot));
    let frozen = FrozenSnapshot::parse(stored.clone()).unwrap();
    let made = Record::make(
        plan.clone(),
        "2026-12-01 07 21 33",
        freeze,
        frozen,
        Some(&pseudonyms),
    )
    .unwrap();
    assert_eq!(made.snapshot_text, stored);
    let (record, internal, public) = made.into_texts();
    // The record is whole again after its texts are made.
    assert_eq!(record.snapshot, snapshot);
    assert_eq!(whole(&internal), record.to_canonical());
    assert_eq!(
        internal.digest(),
        super::record::digest(&record.to_canonical())
    );
    let public = public.expect("a record with a key has a public record");
    let expected = record.public().unwrap().to_canonical();
    assert_eq!(whole(&public), expected);
    assert_eq!(public.digest(), super::record::digest(&expected));
    // The head is the record without its snapshot.
    let head: Record = serde_json::from_str(internal.head()).unwrap();
    assert_eq!(
        head,
        Record {
            snapshot: Snapshot::default(),
            ..record.clone()
        }
    );
    assert!(verify(&whole(&internal)).is_ok());
}

#[test]
fn a_draw_from_a_freeze_changed_after_it_was_made_is_refused() {
    let plan = plan();
    let (freeze, _, stored) = freeze_of(directory(), &Pseudonyms::generate());
    let draw_from = |text: String, plan: Plan| {
        Record::make(
            plan,
            "2026-12-01 07 21 33",
            freeze.clone(),
            FrozenSnapshot::parse(text).unwrap(),
            None,
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    assert_eq!(draw_from(stored.clone(), plan.clone()), Ok(()));
    let first = &directory().canonical().units[0].enterprise;
    // An enterprise renamed in the stored snapshot, and the same text spaced out (the same
    // directories, no longer the committed text): both are refused, naming what changed.
    let renamed = stored.replacen(first.as_str(), "改过的企业", 1);
    let spaced = stored.replacen(",\"units\":[", ",\"units\":[ ", 1);
    for changed in [renamed, spaced] {
        let err = draw_from(changed, plan.clone()).unwrap_err();
        assert!(
            err.contains("frozen enterprise snapshot no longer has the digest published at the freeze of 2026-11-30T01:00:00Z"),
            "{err}"
        );
    }
    let mut other = plan.clone();
    other.teams.size += 1;
    let err = draw_from(stored, other).unwrap_err();
    assert!(
        err.contains("frozen plan no longer has the digest"),
        "{err}"
    );
}

#[test]
fn the_public_record_replays_without_names_counties_or_ids() {
    let record = frozen_with_key();
    assert!(!record.result.assignments.is_empty());
    let internal = record.to_canonical();
    assert!(verify(&internal).is_ok(), "{:?}", verify(&internal).err());
    let public = record.public().unwrap();
    let text = public.to_canonical();
    let verified = verify(&text).unwrap_or_else(|e| panic!("public record: {e}"));
    assert!(verified.pseudonymised.is_some());
    assert!(
        !text.contains("pseudonym_key"),
        "the key is never published"
    );
    // No inspector name, id or county appears in clear anywhere in the public text.
    for i in &record.snapshot.inspectors {
        for clear in [&i.name, &i.inspector_id, &i.county] {
            assert!(!text.contains(&format!("\"{clear}\"")), "{clear} in clear");
        }
    }
    // The same checks and the same teams, one pseudonym per person.
    assert_eq!(public.result.strata, record.result.strata);
    let key = Pseudonyms::from_hex(record.pseudonym_key.as_deref().unwrap()).unwrap();
    for (clear, masked) in record
        .result
        .assignments
        .iter()
        .zip(&public.result.assignments)
    {
        assert_eq!(clear.credit_code, masked.credit_code);
        let expected: Vec<String> = clear.team.iter().map(|m| key.inspector(m)).collect();
        assert_eq!(masked.team, expected);
    }
}

#[test]
fn a_public_record_tampered_with_does_not_verify() {
    let record = frozen_with_key();
    let public = record.public().unwrap();
    // Swapping two pseudonymous inspectors in the list changes who gets drawn: the freeze's public
    // digest, published before the seed, catches the reorder.
    let mut reordered = public.clone();
    reordered.snapshot.inspectors.swap(0, 1);
    reordered.inspectors_sha256 =
        super::record::digest(&super::record::canonical(&reordered.snapshot.inspectors));
    let err = verify(&reordered.to_canonical()).unwrap_err();
    assert!(err.contains("inspector snapshot differs"), "{err}");
    // A team member swapped for another pseudonym: the replay disagrees.
    let mut forged = public.clone();
    let other = public
        .snapshot
        .inspectors
        .last()
        .unwrap()
        .inspector_id
        .clone();
    forged.result.assignments[0].team[0] = other.clone();
    forged.result.assignments[0].lead = other;
    let err = verify(&forged.to_canonical()).unwrap_err();
    assert!(err.contains("assignments"), "{err}");
    // An internal record whose key does not match the committed one.
    let mut rekeyed = record.clone();
    rekeyed.pseudonym_key = Some(Pseudonyms::generate().to_hex());
    let err = verify(&rekeyed.to_canonical()).unwrap_err();
    assert!(err.contains("pseudonym key"), "{err}");
}
