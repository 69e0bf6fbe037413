//! Enterprise risk tiers A–D (D the highest risk) from the enterprise's own record. The draw checks
//! higher tiers more often; a tier is points against thresholds, with the reasons kept so an
//! enterprise (or an inspector) can be told why.

use foldhash::{HashMap, HashSet};

use chrono::{Months, NaiveDate};
use serde::Serialize;

use super::aggregate::{LicenceRow, ReviewRow, Windows};
use super::params::RiskParams;
use crate::deadlines::{awaits_review, counts_as_review};
use crate::draw::plan::Tier;
use crate::model::{ReviewOutcome, ViolationKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnterpriseTier {
    pub credit_code: String,
    pub tier: Tier,
    pub points: u32,
    /// Why, in Chinese: `抽查不合格×2(近期) + 现场审查逾期`.
    pub reasons: String,
}

/// The record the tiers are read from, beyond the licences and reviews of the category model.
pub struct EnterpriseRecord<'a> {
    /// (credit code, date) of every failed spot check.
    pub failed_checks: &'a [(String, NaiveDate)],
    pub violations: &'a [(String, NaiveDate, ViolationKind)],
}

/// What one enterprise's record adds up to, before it is turned into points.
#[derive(Default)]
struct Counts {
    /// Licences whose latest counting review failed, asked for rectification, or is overdue.
    reviews_failed: u32,
    reviews_rectify: u32,
    reviews_overdue: u32,
    /// A simplified-procedure licence granted in the window; a licence of a severity-4 category.
    new_simplified: bool,
    severe_category: bool,
    recent_fails: u32,
    older_fails: u32,
    violations: u32,
    dishonest: bool,
}

#[derive(Default)]
struct Tally {
    points: u32,
    reasons: Vec<String>,
}

impl Tally {
    fn add(&mut self, points: u32, times: u32, reason: &str) {
        if times == 0 || points == 0 {
            return;
        }
        self.points += points * times;
        self.reasons.push(if times == 1 {
            reason.to_string()
        } else {
            format!("{reason}×{times}")
        });
    }
}

/// Tiers for every enterprise holding an active licence in `licences`, as of `w.as_of`, in
/// credit-code order.
pub fn enterprise_tiers(
    licences: &[LicenceRow],
    reviews: &[ReviewRow],
    record: &EnterpriseRecord,
    w: &Windows,
    params: &RiskParams,
) -> Vec<EnterpriseTier> {
    let p = &params.tiers;
    let older_from = w
        .start
        .checked_sub_months(Months::new(3 * params.window_months))
        .unwrap_or(w.start);
    let mut of_licence: HashMap<&str, Vec<&ReviewRow>> = HashMap::default();
    for r in reviews {
        of_licence.entry(r.licence_no.as_str()).or_default().push(r);
    }

    // Hashed, not ordered: a national week is 176,000 enterprises and half a million failures.
    let mut records: HashMap<&str, Counts> = HashMap::default();
    // A licence covering several products (一企一证) comes once per category; its reviews count once.
    let mut reviewed_licences: HashSet<&str> = HashSet::default();
    for l in licences.iter().filter(|l| l.active) {
        let c = records.entry(l.credit_code.as_str()).or_default();
        if reviewed_licences.insert(l.licence_no.as_str()) {
            // The latest review that counts for this licence (the review rule's own test).
            let own = of_licence.get(l.licence_no.as_str());
            let latest = own
                .into_iter()
                .flatten()
                .filter(|r| counts_as_review(l.grant_date, r.review_date, w.as_of))
                .max_by_key(|r| r.review_date);
            match latest.map(|r| r.outcome) {
                Some(ReviewOutcome::Fail) => c.reviews_failed += 1,
                Some(ReviewOutcome::Rectify) => c.reviews_rectify += 1,
                Some(ReviewOutcome::Pass) => {}
                None => {
                    let overdue =
                        awaits_review(l.simplified, l.renewal_direct, l.grant_date, [], w.as_of)
                            && w.last_overdue_grant
                                .is_some_and(|last| l.grant_date <= last);
                    c.reviews_overdue += u32::from(overdue);
                }
            }
        }
        if l.simplified && l.grant_date > w.start && l.grant_date <= w.as_of {
            c.new_simplified = true;
        }
        if params.severity_of(&l.category) == 4 {
            c.severe_category = true;
        }
    }
    for (code, date) in record.failed_checks {
        if *date > w.as_of || *date <= older_from {
            continue;
        }
        if let Some(r) = records.get_mut(code.as_str()) {
            if *date > w.start {
                r.recent_fails += 1;
            } else {
                r.older_fails += 1;
            }
        }
    }
    for (code, date, kind) in record.violations {
        let Some(r) = records.get_mut(code.as_str()) else {
            continue;
        };
        if *date > w.as_of {
            continue;
        }
        if *kind == ViolationKind::SeriousDishonesty {
            r.dishonest = true;
        } else if *date > older_from {
            r.violations += 1;
        }
    }

    let mut records: Vec<(&str, Counts)> = records.into_iter().collect();
    records.sort_unstable_by_key(|(code, _)| *code);
    records
        .into_iter()
        .map(|(code, r)| {
            let mut t = Tally::default();
            if r.dishonest {
                t.reasons.push("严重违法失信名单".into());
            }
            t.add(p.review_failed, r.reviews_failed, "现场审查不合格");
            t.add(p.review_rectify, r.reviews_rectify, "现场审查整改");
            t.add(p.review_overdue, r.reviews_overdue, "现场审查逾期");
            t.add(
                p.new_simplified,
                r.new_simplified.into(),
                "新取证(简化程序)",
            );
            t.add(p.severe_category, r.severe_category.into(), "高严重度产品");
            t.add(p.failed_check_recent, r.recent_fails, "抽查不合格(近期)");
            t.add(p.failed_check_older, r.older_fails, "抽查不合格(往期)");
            t.add(p.violation, r.violations, "违法记录");
            let tier = if r.dishonest || t.points >= p.d_from {
                Tier::D
            } else if t.points >= p.c_from {
                Tier::C
            } else if t.points >= p.b_from {
                Tier::B
            } else {
                Tier::A
            };
            EnterpriseTier {
                credit_code: code.to_string(),
                tier,
                points: t.points,
                reasons: t.reasons.join(" + "),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::aggregate::fixtures::d;

    fn licence(no: &str, code: &str, category: &str, grant: &str) -> LicenceRow {
        crate::risk::aggregate::fixtures::licence(no, code, category, grant, false)
    }

    #[test]
    fn each_part_of_the_record_moves_the_tier() {
        let w = Windows::new(d("2026-11-27"), 12, Some(d("2026-10-14")));
        let mut new = licence("L3", "NEW", "wood-panel", "2026-11-01");
        new.simplified = true;
        let mut overdue = licence("L4", "LATE", "wood-panel", "2026-06-01");
        overdue.simplified = true;
        let licences = vec![
            licence("L1", "CLEAN", "wood-panel", "2020-01-01"),
            licence("L2", "FAILS", "wood-panel", "2020-01-01"),
            new,
            overdue,
            licence("L5", "LIAR", "wood-panel", "2020-01-01"),
            licence("L6", "ROPE", "wire-rope", "2020-01-01"),
            licence("L7", "REVIEW", "wood-panel", "2020-01-01"),
        ];
        let reviews = vec![
            ReviewRow {
                licence_no: "L7".into(),
                review_date: d("2025-01-01"),
                outcome: ReviewOutcome::Pass,
            },
            ReviewRow {
                licence_no: "L7".into(),
                review_date: d("2026-01-01"),
                outcome: ReviewOutcome::Fail,
            },
        ];
        let failed = vec![
            ("FAILS".to_string(), d("2026-05-01")),
            ("FAILS".to_string(), d("2026-07-01")),
            ("FAILS".to_string(), d("2025-01-01")),
            ("FAILS".to_string(), d("2015-01-01")), // too old to count
        ];
        let violations = vec![(
            "LIAR".to_string(),
            d("2019-01-01"),
            ViolationKind::SeriousDishonesty,
        )];
        let record = EnterpriseRecord {
            failed_checks: &failed,
            violations: &violations,
        };
        let tiers = enterprise_tiers(&licences, &reviews, &record, &w, &RiskParams::default());
        let of = |code: &str| tiers.iter().find(|t| t.credit_code == code).unwrap();
        assert_eq!((of("CLEAN").tier, of("CLEAN").points), (Tier::A, 0));
        assert_eq!((of("FAILS").tier, of("FAILS").points), (Tier::D, 7));
        assert_eq!(of("FAILS").reasons, "抽查不合格(近期)×2 + 抽查不合格(往期)");
        assert_eq!(of("NEW").tier, Tier::B);
        assert_eq!(
            (of("LATE").tier, of("LATE").points),
            (Tier::C, 3),
            "overdue and new"
        );
        assert_eq!(of("LIAR").tier, Tier::D);
        assert!(of("LIAR").reasons.starts_with("严重违法失信名单"));
        assert_eq!(of("ROPE").tier, Tier::B, "severity 4 alone");
        assert_eq!(
            (of("REVIEW").tier, of("REVIEW").points),
            (Tier::C, 3),
            "the latest review counts"
        );
    }
}
