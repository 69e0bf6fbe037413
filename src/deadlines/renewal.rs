//! 延续: "在许可有效期届满 30 个工作日前…提交延续申请的，应准予延续并直接换发生产许可证" (measures
//! 二(三)5): the last day to file for a direct renewal is `add(expiry, -renewal_filing_workdays)`
//! (30). Local policy, not the measures: the window is flagged from `renewal_window_workdays` (60)
//! working days before that day, and as `closing` from `renewal_closing_workdays` (10). Once past with
//! nothing filed, the direct-renewal route is gone (`missed`); a renewal filed after that day is
//! `filed_late` — it can still be granted, but not directly: the renewed licence gets its on-site
//! review.

use chrono::NaiveDate;

use super::expiry::effective_expiry;
use super::{Context, Flag, Rule, Status};
use crate::calendar::{CalendarError, Dated};
use crate::model::Licence;

/// The last day to file for a direct renewal of a licence expiring on `expiry`.
pub fn last_filing_day(
    ctx: &Context,
    expiry: NaiveDate,
) -> Result<Dated<NaiveDate>, CalendarError> {
    ctx.calendar
        .add(expiry, -ctx.params.renewal_filing_workdays)
}

pub fn renewal(ctx: &Context, licence: &Licence) -> Result<Option<Flag>, CalendarError> {
    let params = ctx.params;
    let Some(expiry) = effective_expiry(licence, params.validity_years) else {
        return Ok(None);
    };
    let last_day = last_filing_day(ctx, expiry)?;
    let left = ctx.left(last_day.value)?;

    let (status, detail) = match licence.renewal_filed {
        Some(filed) if filed <= last_day.value => (
            Status::Filed,
            format!("{filed} 已申请延续，在最迟申请日之前，可直接延续；有效期至 {expiry}"),
        ),
        Some(filed) => (
            Status::FiledLate,
            format!(
                "{filed} 申请延续，晚于最迟申请日 {}，不能直接延续，延续后需证后现场审查；有效期至 {expiry}",
                last_day.value
            ),
        ),
        None if left < 0 => (
            Status::Missed,
            format!(
                "已过最迟申请日 {}，不能再直接延续（二(三)5）；有效期至 {expiry}",
                last_day.value
            ),
        ),
        None if left <= params.renewal_closing_workdays => {
            (Status::Closing, format!("有效期至 {expiry}"))
        }
        None if left <= params.renewal_window_workdays => {
            (Status::WindowOpen, format!("有效期至 {expiry}"))
        }
        None => return Ok(None),
    };
    ctx.flag(
        Rule::Renewal,
        status,
        last_day.value,
        last_day.provisional,
        detail,
    )
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::super::RuleParams;
    use super::super::test_support::*;
    use super::*;
    use crate::calendar::Calendar;

    fn run(l: &Licence, as_of: &str) -> Option<Flag> {
        let cal = Calendar::builtin();
        let params = RuleParams::default();
        renewal(&ctx(&cal, &params, as_of), l).unwrap()
    }

    fn expiring(expiry: &str) -> Licence {
        let mut l = licence("2021-11-01");
        l.expiry = Some(d(expiry));
        l
    }

    #[test]
    fn last_filing_day_counts_back_over_national_day() {
        // Expiry Friday 2025-11-14. 2025: worked Sunday 09-28, off 10-01..10-08, worked Saturday 10-11.
        // Back 30 working days: Nov 13–3 (9), Oct 31–13 (24), Oct 11 Sat (25), Oct 10, 9 (27),
        // Sep 30, 29 (29), Sep 28 Sun (30).
        let l = expiring("2025-11-14");
        let f = run(&l, "2025-09-28").unwrap();
        assert_eq!(f.due, d("2025-09-28"));
        assert_eq!((f.status, f.workdays_left), (Status::Closing, 0));
        assert_eq!(run(&l, "2025-09-29").unwrap().status, Status::Missed);
    }

    #[test]
    fn window_opens_sixty_working_days_ahead_and_closes_at_ten() {
        let l = expiring("2025-11-14");
        let cal = Calendar::builtin();
        let opens = cal.add(d("2025-09-28"), -60).unwrap().value;
        let closes = cal.add(d("2025-09-28"), -10).unwrap().value;
        let before_open = cal.add(opens, -1).unwrap().value;
        assert!(run(&l, &before_open.to_string()).is_none());
        assert_eq!(
            run(&l, &opens.to_string()).unwrap().status,
            Status::WindowOpen
        );
        assert_eq!(
            run(&l, &closes.to_string()).unwrap().status,
            Status::Closing
        );
        let just_before = cal.add(closes, -1).unwrap().value;
        assert_eq!(
            run(&l, &just_before.to_string()).unwrap().status,
            Status::WindowOpen
        );
    }

    #[test]
    fn a_renewal_filed_after_the_last_filing_day_is_filed_late() {
        // Last filing day Sunday 2025-09-28 (a 调休 working day, see above).
        let mut l = expiring("2025-11-14");
        l.renewal_filed = Some(d("2025-09-28"));
        assert_eq!(run(&l, "2025-12-01").unwrap().status, Status::Filed);
        l.renewal_filed = Some(d("2025-09-29"));
        let f = run(&l, "2025-10-09").unwrap();
        assert_eq!(f.status, Status::FiledLate);
        assert!(f.detail.contains("2025-09-28"), "{}", f.detail);
    }

    #[test]
    fn a_window_in_an_unpublished_year_is_provisional() {
        let f = run(&expiring("2027-02-26"), "2026-11-26").unwrap();
        assert!(f.provisional);
    }
}
