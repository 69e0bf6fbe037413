//! Quick exit (快速退出, measures 三(一)): "对通过简化审批程序获证的企业，在证后监督检查中，发现产品检验或
//! 生产条件不符合要求的，企业以欺骗、贿赂等不正当手段取得生产许可证的，或企业不配合、拒绝质监部门依法进行
//! 的监督检查的，要探索实施快速、高效的退出工作程序". A simplified-procedure licence is a `candidate`
//! when, since its grant: its on-site review failed (不合格 — a review concluding 整改 found the
//! conditions could be brought into line, so it is not taken as a finding that they do not meet the
//! requirements; a later 不合格 is), its enterprise failed a spot check of the licence's category, the
//! licence was obtained by fraud or bribery (`improper_grant`), or the enterprise refused supervision
//! (`refused_supervision`). Any other violation since the grant is for investigation under 三(二)
//! ("依法进行查处，情节严重的，依法吊销其生产许可证") and, when serious, the serious-dishonesty list of
//! 三(五): status `investigate`, not a quick-exit ground.

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
        .map(|c| c.date)
        .filter(since_grant)
        .collect();
    let violations: Vec<_> = facts
        .violations
        .iter()
        .filter(|(d, _)| since_grant(d))
        .collect();
    let of_kind = |kind: ViolationKind| -> Vec<chrono::NaiveDate> {
        violations
            .iter()
            .filter(|(_, k)| *k == kind)
            .map(|(d, _)| *d)
            .collect()
    };
    let improper = of_kind(ViolationKind::ImproperGrant);
    let refused = of_kind(ViolationKind::RefusedSupervision);
    let other: Vec<_> = violations
        .iter()
        .filter(|(_, k)| {
            matches!(
                k,
                ViolationKind::Violation | ViolationKind::SeriousDishonesty
            )
        })
        .collect();

    let mut grounds = Vec::new();
    if !failed_reviews.is_empty() {
        grounds.push("证后现场审查不合格".to_string());
    }
    if !failed_checks.is_empty() {
        grounds.push(format!("监督抽查不合格 {} 次", failed_checks.len()));
    }
    if !improper.is_empty() {
        grounds.push("以欺骗、贿赂等不正当手段取得许可".to_string());
    }
    if !refused.is_empty() {
        grounds.push("拒绝或不配合监督检查".to_string());
    }
    let mut investigate = Vec::new();
    if !other.is_empty() {
        let serious = other
            .iter()
            .any(|(_, k)| *k == ViolationKind::SeriousDishonesty);
        investigate.push(if serious {
            "列入严重违法失信名单（三(五)）".to_string()
        } else {
            format!("违法记录 {} 条，依法查处（三(二)）", other.len())
        });
    }
    let latest = failed_reviews
        .iter()
        .chain(&failed_checks)
        .chain(&improper)
        .chain(&refused)
        .chain(other.iter().map(|(d, _)| d))
        .max();
    let Some(&latest) = latest else {
        return Ok(None);
    };
    let (status, detail) = if grounds.is_empty() {
        (Status::Investigate, investigate.join("；"))
    } else {
        let mut detail = format!("三(一)：{}", grounds.join("；"));
        if !investigate.is_empty() {
            detail.push_str(&format!("；另 {}", investigate.join("；")));
        }
        (Status::Candidate, detail)
    };
    ctx.flag(Rule::ExitReview, status, latest, false, detail)
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::super::RuleParams;
    use super::super::test_support::*;
    use super::*;
    use crate::calendar::Calendar;
    use crate::deadlines::FailedCheck;
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
            failed_checks: vec![FailedCheck::on(d("2023-06-01"))],
            violations: vec![(d("2023-12-31"), ViolationKind::Violation)],
            ..Default::default()
        };
        assert!(run(&l, &facts, "2025-01-01").is_none());
    }

    #[test]
    fn the_latest_finding_dates_the_row() {
        let l = licence("2024-01-02");
        let facts = LicenceFacts {
            failed_checks: vec![
                FailedCheck::on(d("2024-05-06")),
                FailedCheck::on(d("2024-09-02")),
            ],
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
            failed_checks: vec![FailedCheck::on(d("2024-05-06"))],
            ..Default::default()
        };
        assert!(run(&l, &facts, "2025-01-01").is_none());
    }

    #[test]
    fn improper_grant_and_refused_supervision_are_grounds_a_plain_violation_is_investigated() {
        let l = licence("2024-01-02");
        let with = |kind| LicenceFacts {
            violations: vec![(d("2024-03-04"), kind)],
            ..Default::default()
        };
        for kind in [
            ViolationKind::ImproperGrant,
            ViolationKind::RefusedSupervision,
        ] {
            let f = run(&l, &with(kind), "2025-01-01").unwrap();
            assert_eq!(f.status, Status::Candidate, "{kind:?}");
            assert!(f.detail.starts_with("三(一)"), "{}", f.detail);
        }
        let f = run(&l, &with(ViolationKind::Violation), "2025-01-01").unwrap();
        assert_eq!(f.status, Status::Investigate);
        assert!(f.detail.contains("三(二)"), "{}", f.detail);
        // A review concluding 整改 is not a finding of non-conformity.
        let rectify = LicenceFacts {
            reviews: vec![OnsiteReview {
                licence_no: l.licence_no.clone(),
                review_date: d("2024-02-01"),
                outcome: ReviewOutcome::Rectify,
            }],
            ..Default::default()
        };
        assert!(run(&l, &rectify, "2025-01-01").is_none());
    }
}
