//! Licence validity (有效期): `validity_years` (5) from the grant when no expiry is given, and the
//! `expired_active` flag for a licence past its expiry that is still shown as active.

use chrono::{Datelike, NaiveDate};

use super::{Context, Flag, Rule, Status};
use crate::calendar::CalendarError;
use crate::model::{Licence, OPEN_ENDED};

/// The last valid day of a licence granted on `grant` for `years` years: the day before the
/// anniversary, where an anniversary of 29 February in a common year falls on 1 March
/// (granted 2019-03-15 → 2024-03-14; granted 2020-02-29 → 2025-02-28).
pub fn validity_end(grant: NaiveDate, years: u32) -> NaiveDate {
    let year = grant.year() + years as i32;
    let anniversary = grant
        .with_year(year)
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(year, 3, 1).expect("1 March exists"));
    anniversary.pred_opt().expect("not the first day of time")
}

/// The licence's expiry: as given, or computed from the grant; None for an open-ended licence
/// (长期, written 9999-12-31 by many systems), which has no renewal or expiry to flag.
pub fn effective_expiry(licence: &Licence, years: u32) -> Option<NaiveDate> {
    match licence.expiry {
        Some(OPEN_ENDED) => None,
        Some(given) => Some(given),
        None => Some(validity_end(licence.grant_date, years)),
    }
}

pub fn expiry(ctx: &Context, licence: &Licence) -> Result<Option<Flag>, CalendarError> {
    let Some(expiry) = effective_expiry(licence, ctx.params.validity_years) else {
        return Ok(None);
    };
    if ctx.as_of <= expiry {
        return Ok(None);
    }
    ctx.flag(
        Rule::Expiry,
        Status::ExpiredActive,
        expiry,
        false,
        format!("有效期至 {expiry}，证书状态仍为有效"),
    )
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::super::RuleParams;
    use super::super::test_support::*;
    use super::*;
    use crate::calendar::Calendar;

    #[test]
    fn validity_ends_the_day_before_the_fifth_anniversary() {
        assert_eq!(validity_end(d("2019-03-15"), 5), d("2024-03-14"));
        assert_eq!(validity_end(d("2020-02-29"), 5), d("2025-02-28"));
        assert_eq!(validity_end(d("2020-02-29"), 4), d("2024-02-28"));
        assert_eq!(validity_end(d("2021-01-01"), 5), d("2025-12-31"));
    }

    #[test]
    fn flags_only_once_past_expiry() {
        let cal = Calendar::builtin();
        let params = RuleParams::default();
        let l = licence("2019-03-15");
        assert!(
            expiry(&ctx(&cal, &params, "2024-03-14"), &l)
                .unwrap()
                .is_none()
        );
        let f = expiry(&ctx(&cal, &params, "2024-03-18"), &l)
            .unwrap()
            .unwrap();
        assert_eq!((f.status, f.due), (Status::ExpiredActive, d("2024-03-14")));
        // Friday 03-15 and Monday 03-18 have passed since.
        assert_eq!(f.workdays_left, -2);
    }

    #[test]
    fn a_given_expiry_wins() {
        let cal = Calendar::builtin();
        let params = RuleParams::default();
        let mut l = licence("2019-03-15");
        l.expiry = Some(d("2026-12-31"));
        assert!(
            expiry(&ctx(&cal, &params, "2026-11-26"), &l)
                .unwrap()
                .is_none()
        );
    }
}
