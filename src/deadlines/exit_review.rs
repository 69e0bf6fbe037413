//! Quick exit (快速退出, the measures' section 三(一)): a simplified-procedure licence is a
//! `candidate` for review when its on-site review failed (不合格), or its enterprise failed a spot
//! check of the licence's category since the grant, or has a violation recorded since the grant.

use super::{Context, Flag, LicenceFacts, Rule, Status};
use crate::calendar::CalendarError;
use crate::model::{Licence, Procedure, ReviewOutcome, ViolationKind};

pub fn exit_review(
    ctx: &Context,
    licence: &Licence,
    facts: &LicenceFacts,
) -> Result<Option<Flag>, CalendarError> {
    if licence.procedure != Procedure::Simplified {
        return Ok(None);
    }
    let since_grant = |d: &chrono::NaiveDate| *d >= licence.grant_date && *d <= ctx.as_of;
    let failed_reviews: Vec<_> = facts
        .reviews
        .iter()
        .filter(|r| r.outcome == ReviewOutcome::Fail)
        .map(|r| r.review_date)
        .filter(since_grant)
        .collect();
    let failed_checks: Vec<_> = facts
        .failed_checks
        .iter()
        .copied()
        .filter(since_grant)
        .collect();
    let violations: Vec<_> = facts
        .violations
        .iter()
        .filter(|(d, _)| since_grant(d))
        .collect();

    let mut reasons = Vec::new();
    if !failed_reviews.is_empty() {
        reasons.push("现场审查不合格".to_string());
    }
    if !failed_checks.is_empty() {
        reasons.push(format!("监督抽查不合格 {} 次", failed_checks.len()));
    }
    if !violations.is_empty() {
        let serious = violations
            .iter()
            .any(|(_, k)| *k == ViolationKind::SeriousDishonesty);
        reasons.push(if serious {
            "列入严重违法失信名单".to_string()
        } else {
            format!("违法记录 {} 条", violations.len())
        });
    }
    let latest = failed_reviews
        .iter()
        .chain(&failed_checks)
        .chain(violations.iter().map(|(d, _)| d))
        .max();
    let Some(&latest) = latest else {
        return Ok(None);
    };
    ctx.flag(
        Rule::ExitReview,
        Status::Candidate,
        latest,
        false,
        reasons.join("；"),
    )
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::super::RuleParams;
    use super::super::test_support::*;
    use super::*;
    use crate::calendar::Calendar;
    use crate::model::OnsiteReview;

    fn run(l: &Licence, facts: &LicenceFacts, as_of: &str) -> Option<Flag> {
        let cal = Calendar::builtin();
        let params = RuleParams::default();
        exit_review(&ctx(&cal, &params, as_of), l, facts).unwrap()
    }

    #[test]
    fn no_findings_no_row() {
        assert!(
            run(
                &licence("2024-01-02"),
                &LicenceFacts::default(),
                "2025-01-01"
            )
            .is_none()
        );
    }

    #[test]
    fn a_failed_review_makes_a_candidate() {
        let l = licence("2024-01-02");
        let facts = LicenceFacts {
            reviews: vec![OnsiteReview {
                licence_no: l.licence_no.clone(),
                review_date: d("2024-02-01"),
                outcome: ReviewOutcome::Fail,
            }],
            ..Default::default()
        };
        let f = run(&l, &facts, "2025-01-01").unwrap();
        assert_eq!((f.status, f.due), (Status::Candidate, d("2024-02-01")));
        assert!(f.detail.contains("现场审查不合格"));
    }

    #[test]
    fn findings_before_the_grant_do_not_count() {
        let l = licence("2024-01-02");
        let facts = LicenceFacts {
            failed_checks: vec![d("2023-06-01")],
            violations: vec![(d("2023-12-31"), ViolationKind::Violation)],
            ..Default::default()
        };
        assert!(run(&l, &facts, "2025-01-01").is_none());
    }

    #[test]
    fn the_latest_finding_dates_the_row() {
        let l = licence("2024-01-02");
        let facts = LicenceFacts {
            failed_checks: vec![d("2024-05-06"), d("2024-09-02")],
            violations: vec![(d("2024-07-01"), ViolationKind::SeriousDishonesty)],
            ..Default::default()
        };
        let f = run(&l, &facts, "2025-01-01").unwrap();
        assert_eq!(f.due, d("2024-09-02"));
        assert!(
            f.detail.contains("2 次") && f.detail.contains("严重违法失信"),
            "{}",
            f.detail
        );
    }

    #[test]
    fn standard_procedure_is_not_a_candidate() {
        let mut l = licence("2024-01-02");
        l.procedure = Procedure::Standard;
        let facts = LicenceFacts {
            failed_checks: vec![d("2024-05-06")],
            ..Default::default()
        };
        assert!(run(&l, &facts, "2025-01-01").is_none());
    }
}
