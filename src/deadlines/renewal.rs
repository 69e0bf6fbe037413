//! 延续: the renewal application is filed no later than `add(expiry, -renewal_filing_workdays)` (30).
//! The window is flagged from `renewal_window_workdays` (60) working days before that day, and as
//! `closing` from `renewal_closing_workdays` (10); `missed` once past with nothing filed.

use super::expiry::effective_expiry;
use super::{Context, Flag, Rule, Status};
use crate::calendar::CalendarError;
use crate::model::Licence;

pub fn renewal(ctx: &Context, licence: &Licence) -> Result<Option<Flag>, CalendarError> {
    let params = ctx.params;
    let Some(expiry) = effective_expiry(licence, params.validity_years) else {
        return Ok(None);
    };
    let last_day = ctx.calendar.add(expiry, -params.renewal_filing_workdays)?;
    let left = ctx.left(last_day.value)?;

    let (status, detail) = if let Some(filed) = licence.renewal_filed {
        (
            Status::Filed,
            format!("{filed} 已申请延续，有效期至 {expiry}"),
        )
    } else if left < 0 {
        (Status::Missed, format!("有效期至 {expiry}，未申请延续"))
    } else if left <= params.renewal_closing_workdays {
        (Status::Closing, format!("有效期至 {expiry}"))
    } else if left <= params.renewal_window_workdays {
        (Status::WindowOpen, format!("有效期至 {expiry}"))
    } else {
        return Ok(None);
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
    fn a_filed_renewal_is_filed_whatever_the_date() {
        let mut l = expiring("2025-11-14");
        l.renewal_filed = Some(d("2025-09-01"));
        assert_eq!(run(&l, "2025-12-01").unwrap().status, Status::Filed);
    }

    #[test]
    fn a_window_in_an_unpublished_year_is_provisional() {
        let f = run(&expiring("2027-02-26"), "2026-11-26").unwrap();
        assert!(f.provisional);
    }
}
