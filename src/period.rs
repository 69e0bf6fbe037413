//! The period a report, a ranking or a set of tiers belongs to: the ISO week of its as-of day.

use std::fmt;

use chrono::{Datelike, IsoWeek, NaiveDate};

/// An ISO week, shown as reports name their period: `2026-W48`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period(IsoWeek);

impl Period {
    /// The week `day` falls in.
    pub fn week_of(day: NaiveDate) -> Self {
        Period(day.iso_week())
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.0.year(), self.0.week())
    }
}

impl serde::Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_iso_weeks() {
        let week = |y, m, d| Period::week_of(NaiveDate::from_ymd_opt(y, m, d).unwrap()).to_string();
        assert_eq!(week(2026, 11, 26), "2026-W48");
        // 2027-01-01 is a Friday in ISO week 53 of 2026.
        assert_eq!(week(2027, 1, 1), "2026-W53");
        assert_eq!(week(2026, 1, 5), "2026-W02");
    }
}
