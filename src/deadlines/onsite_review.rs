//! 证后监督性现场审查: a licence granted by the simplified procedure is reviewed on site within
//! `onsite_review_workdays` (30) working days after the grant; one granted by direct renewal
//! (直接延续) is exempt. Standard-procedure licences were reviewed before the grant and get no row.

use super::direct_renewal::{DirectRenewal, direct_renewal};
use super::{Context, Flag, LicenceFacts, Rule, Status};
use chrono::NaiveDate;

use crate::calendar::{Calendar, CalendarError};
use crate::model::{Licence, Procedure};

/// Whether a review dated `review_date` is the post-licence review of a licence granted on `grant`,
/// as seen on `as_of`: dated from the grant on, and not after the day seen. The one test the
/// deadline flag, the category model and the enterprise tiers share.
pub fn counts_as_review(grant: NaiveDate, review_date: NaiveDate, as_of: NaiveDate) -> bool {
    review_date >= grant && review_date <= as_of
}

/// Whether a licence still awaits its post-licence review on `as_of`: granted by the simplified
/// procedure, not a direct renewal, and no review counted (see [`counts_as_review`]).
pub fn awaits_review(
    simplified: bool,
    renewal_direct: bool,
    grant: NaiveDate,
    review_dates: impl IntoIterator<Item = NaiveDate>,
    as_of: NaiveDate,
) -> bool {
    simplified
        && !renewal_direct
        && !review_dates
            .into_iter()
            .any(|d| counts_as_review(grant, d, as_of))
}

/// The latest grant date whose on-site review is overdue on `as_of`: the largest `g` with
/// `add(g, workdays) < as_of`. `add` never decreases as `g` grows, so a licence granted on or before
/// it is overdue, and one granted after is not (this rule, solved once for the grant date).
pub fn last_overdue_grant(
    calendar: &Calendar,
    as_of: NaiveDate,
    workdays: i64,
) -> Result<Option<NaiveDate>, CalendarError> {
    let mut g = as_of;
    // At most `workdays` working days plus the longest run of days off lie between.
    for _ in 0..(workdays * 2 + 60) {
        if calendar.add(g, workdays)?.value < as_of {
            return Ok(Some(g));
        }
        g = match g.pred_opt() {
            Some(p) => p,
            None => return Ok(None),
        };
    }
    Ok(None)
}

/// 证后监督性现场审查 (measures 二(三)4): "对通过简化审批程序取得生产许可证的企业…应…在其获证后
/// 30 个工作日内完成现场审查" — due `add(grant, onsite_review_workdays)`; a direct renewal that meets
/// 二(三)5 is exempt (see [`direct_renewal`]).
pub fn onsite_review(
    ctx: &Context,
    licence: &Licence,
    facts: &LicenceFacts,
) -> Result<Option<Flag>, CalendarError> {
    let reviews = &facts.reviews;
    if licence.procedure != Procedure::Simplified {
        return Ok(None);
    }
    let due = ctx
        .calendar
        .add(licence.grant_date, ctx.params.onsite_review_workdays)?;
    let first_review = reviews
        .iter()
        .filter(|r| counts_as_review(licence.grant_date, r.review_date, ctx.as_of))
        .min_by_key(|r| r.review_date);

    // Why a direct renewal is reviewed after all, said before the review's own state.
    let mut prefix = String::new();
    match direct_renewal(ctx, licence, facts)? {
        DirectRenewal::NotDirect => {}
        DirectRenewal::Qualifies(notes) => {
            let mut detail = "直接延续，符合二(三)5 条件，免于现场审查".to_string();
            for n in notes {
                detail.push_str(&format!("；{n}"));
            }
            return ctx
                .flag(
                    Rule::OnsiteReview,
                    Status::Exempt,
                    due.value,
                    due.provisional,
                    detail,
                )
                .map(Some);
        }
        DirectRenewal::Unchecked(why) => {
            return ctx
                .flag(
                    Rule::OnsiteReview,
                    Status::Exempt,
                    due.value,
                    due.provisional,
                    format!("直接延续，免于现场审查；{why}"),
                )
                .map(Some);
        }
        DirectRenewal::Contradicted(failed) => {
            prefix = format!("登记为直接延续，但不符合二(三)5：{}；", failed.join("；"));
        }
    }
    let (status, detail) = if let Some(review) = first_review {
        let late = ctx.calendar.count(due.value, review.review_date)?.value;
        let timing = if late > 0 {
            format!("，超期 {late} 个工作日")
        } else {
            String::new()
        };
        (
            Status::Done,
            format!(
                "{} 审查，结论 {}{timing}",
                review.review_date,
                review.outcome.label()
            ),
        )
    } else if ctx.left(due.value)? >= 0 {
        (Status::Due, format!("发证日期 {}", licence.grant_date))
    } else {
        (
            Status::Overdue,
            format!("发证日期 {}，尚无现场审查记录", licence.grant_date),
        )
    };
    ctx.flag(
        Rule::OnsiteReview,
        status,
        due.value,
        due.provisional,
        format!("{prefix}{detail}"),
    )
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::super::RuleParams;
    use super::super::test_support::*;
    use super::*;
    use crate::calendar::Calendar;
    use crate::model::{OnsiteReview, ReviewOutcome};

    fn run(l: &Licence, reviews: &[OnsiteReview], as_of: &str) -> Flag {
        let facts = LicenceFacts {
            reviews: reviews.to_vec(),
            ..LicenceFacts::default()
        };
        run_with(l, &facts, as_of)
    }

    fn run_with(l: &Licence, facts: &LicenceFacts, as_of: &str) -> Flag {
        let cal = Calendar::builtin();
        let params = RuleParams::default();
        onsite_review(&ctx(&cal, &params, as_of), l, facts)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn due_date_straddles_the_spring_festival() {
        // Granted Friday 2024-01-19. 2024 春节: off 02-10..02-17; worked Sunday 02-04 and Sunday 02-18.
        // Working days: Jan 22–26 (5), Jan 29–Feb 2 (10), Feb 4 Sun (11), Feb 5–9 (16), Feb 18 Sun (17),
        // Feb 19–23 (22), Feb 26–Mar 1 (27), Mar 4, 5, 6 (30).
        let l = licence("2024-01-19");
        let f = run(&l, &[], "2024-03-06");
        assert_eq!(f.due, d("2024-03-06"));
        assert_eq!((f.status, f.workdays_left), (Status::Due, 0));
        let f = run(&l, &[], "2024-03-07");
        assert_eq!((f.status, f.workdays_left), (Status::Overdue, -1));
        // Seen on the adjusted Sunday 02-18 (itself the 17th working day), 13 remain.
        assert_eq!(run(&l, &[], "2024-02-18").workdays_left, 13);
    }

    #[test]
    fn due_date_straddles_national_day() {
        // Granted 2024-09-20. Worked Sunday 09-29; off 10-01..10-07; worked Saturday 10-12.
        // Sep 23–27 (5), Sep 29 Sun (6), Sep 30 (7), Oct 8–11 (11), Oct 12 Sat (12), Oct 14–18 (17),
        // Oct 21–25 (22), Oct 28–Nov 1 (27), Nov 4, 5, 6 (30).
        let f = run(&licence("2024-09-20"), &[], "2024-10-12");
        assert_eq!(f.due, d("2024-11-06"));
        assert_eq!(f.workdays_left, 18);
    }

    #[test]
    fn a_review_marks_it_done_and_says_if_it_was_late() {
        let l = licence("2024-01-19");
        let review = OnsiteReview {
            licence_no: l.licence_no.clone(),
            review_date: d("2024-03-08"),
            outcome: ReviewOutcome::Rectify,
        };
        let f = run(&l, &[review], "2024-04-01");
        assert_eq!(f.status, Status::Done);
        assert!(f.detail.contains("超期 2 个工作日"), "{}", f.detail);
    }

    #[test]
    fn a_review_after_as_of_is_not_yet_known() {
        let l = licence("2024-01-19");
        let review = OnsiteReview {
            licence_no: l.licence_no.clone(),
            review_date: d("2024-03-08"),
            outcome: ReviewOutcome::Pass,
        };
        assert_eq!(run(&l, &[review], "2024-03-07").status, Status::Overdue);
    }

    #[test]
    fn an_unlinked_direct_renewal_stands_and_standard_procedure_has_no_row() {
        let mut l = licence("2024-01-19");
        l.renewal_direct = true;
        let f = run(&l, &[], "2025-01-01");
        assert_eq!(f.status, Status::Exempt);
        assert!(f.detail.contains("无法核对"), "{}", f.detail);
        l.procedure = Procedure::Standard;
        let cal = Calendar::builtin();
        let params = RuleParams::default();
        assert!(
            onsite_review(
                &ctx(&cal, &params, "2025-01-01"),
                &l,
                &LicenceFacts::default()
            )
            .unwrap()
            .is_none()
        );
    }

    /// A direct renewal granted 2025-11-14 of a licence expiring 2025-11-14, whose last filing day is
    /// Sunday 2025-09-28 (a 调休 working day before National Day; see renewal.rs).
    fn renewal_of_old(filed: &str) -> (Licence, LicenceFacts) {
        let mut l = licence("2025-11-14");
        l.renewal_direct = true;
        l.renews = Some("XK-OLD".into());
        let facts = LicenceFacts {
            renewed: Some(super::super::Renewed {
                licence_no: "XK-OLD".into(),
                grant_date: d("2020-11-15"),
                expiry: Some(d("2025-11-14")),
                renewal_filed: Some(d(filed)),
            }),
            ..LicenceFacts::default()
        };
        (l, facts)
    }

    #[test]
    fn a_direct_renewal_is_exempt_only_when_the_three_conditions_of_2_3_5_hold() {
        // Filed on the last filing day itself: in time.
        let (l, facts) = renewal_of_old("2025-09-28");
        assert_eq!(run_with(&l, &facts, "2025-12-01").status, Status::Exempt);

        // Filed the next day: no longer direct — reviewed within 30 working days of the grant.
        // Granted Friday 2025-11-14: Nov 17–21 (5) … Dec 22–26 (30).
        let (l, facts) = renewal_of_old("2025-09-29");
        let f = run_with(&l, &facts, "2025-12-01");
        assert_eq!((f.status, f.due), (Status::Due, d("2025-12-26")));
        assert!(
            f.detail.contains("不符合二(三)5") && f.detail.contains("2025-09-28"),
            "{}",
            f.detail
        );
        assert_eq!(run_with(&l, &facts, "2025-12-29").status, Status::Overdue);

        // Production conditions changed materially.
        let (mut l, facts) = renewal_of_old("2025-09-01");
        l.major_change = true;
        let f = run_with(&l, &facts, "2025-12-01");
        assert!(
            f.status == Status::Due && f.detail.contains("重大变化"),
            "{f:?}"
        );

        // A violation during the old licence's validity; one after it does not count.
        let (l, mut facts) = renewal_of_old("2025-09-01");
        facts.violations = vec![(d("2025-11-20"), crate::model::ViolationKind::Violation)];
        assert_eq!(run_with(&l, &facts, "2025-12-01").status, Status::Exempt);
        facts
            .violations
            .push((d("2023-05-04"), crate::model::ViolationKind::Violation));
        let f = run_with(&l, &facts, "2025-12-01");
        assert!(
            f.status == Status::Due && f.detail.contains("违法记录 1 条"),
            "{f:?}"
        );
    }

    #[test]
    fn a_renewed_licence_missing_from_the_store_leaves_the_bureaus_decision_standing() {
        let (l, mut facts) = renewal_of_old("2025-09-01");
        facts.renewed = None;
        let f = run_with(&l, &facts, "2025-12-01");
        assert_eq!(f.status, Status::Exempt);
        assert!(f.detail.contains("XK-OLD 不在库中"), "{}", f.detail);
    }

    #[test]
    fn the_overdue_boundary_agrees_with_the_review_rule() {
        let calendar = Calendar::builtin();
        let as_of: NaiveDate = "2026-11-27".parse().unwrap();
        let last = last_overdue_grant(&calendar, as_of, 30).unwrap().unwrap();
        assert!(calendar.add(last, 30).unwrap().value < as_of);
        let next = last.succ_opt().unwrap();
        assert!(calendar.add(next, 30).unwrap().value >= as_of);
        // Across the National Day week the boundary sits well over six weeks back.
        let after_holiday: NaiveDate = "2026-10-20".parse().unwrap();
        let last = last_overdue_grant(&calendar, after_holiday, 30)
            .unwrap()
            .unwrap();
        assert!((after_holiday - last).num_days() > 42, "{last}");
    }
}
