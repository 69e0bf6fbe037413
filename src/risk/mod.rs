//! Risk analytics (README "Risk model"): the 17 categories get a level 1–4 from the four factors of
//! the measures, enterprises get tiers A–D that the draw reads, and each period's result is kept so
//! the ranking shows what changed.
//!
//! Pure: the store hands over rows, [`aggregate`] does the column work in polars, [`category`]
//! scores, [`tiers`] grades enterprises, [`history`] compares periods.

pub mod aggregate;
pub mod category;
pub mod history;
pub mod params;
pub mod tiers;

pub use aggregate::{CheckCount, LicenceRow, ReviewRow, Windows};
pub use category::{CategoryFacts, CategoryRisk, assess, level_label};
pub use history::{Ranked, StoredRisk};
pub use params::{ParamsError, RiskParams, TierParams};
pub use tiers::{EnterpriseRecord, EnterpriseTier, enterprise_tiers};

use chrono::NaiveDate;

use crate::calendar::{Calendar, CalendarError};

/// The latest grant date whose on-site review is overdue on `as_of`: the largest `g` with
/// `add(g, workdays) < as_of`. `add` never decreases as `g` grows, so a licence granted on or before
/// it is overdue, and one granted after is not (the rule of `deadlines::onsite_review`, solved once).
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

#[cfg(test)]
mod tests {
    use super::*;

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
