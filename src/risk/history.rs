//! Each computation is stored for its period (the ISO week of `--as-of`); a new one is read against
//! the latest earlier period (rank and level change) and the last quarters (trend).

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::category::CategoryRisk;

/// One category's result as stored for a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredRisk {
    pub period: String,
    pub as_of: NaiveDate,
    pub category_code: String,
    pub level: u8,
    pub score: f64,
    pub rank: u32,
}

/// A ranked row with what changed since the previous period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    #[serde(flatten)]
    pub risk: CategoryRisk,
    pub previous_period: Option<String>,
    pub previous_rank: Option<u32>,
    pub previous_level: Option<u8>,
    /// Places moved toward the top (positive: riskier than before).
    pub rank_change: Option<i64>,
    /// Levels moved toward 一级 (positive: riskier than before).
    pub level_change: Option<i64>,
    /// The level at the end of each of the last quarters, oldest first: `2026Q1:三级 → …`.
    pub trend: String,
    /// The same quarters as data, each with its level when a ranking of it was stored (the
    /// leadership report's grid).
    #[serde(skip)]
    pub quarters: Vec<(String, Option<u8>)>,
}

fn quarter(d: NaiveDate) -> (i32, u32) {
    (d.year(), d.month0() / 3 + 1)
}

fn short_level(level: u8) -> &'static str {
    ["一级", "二级", "三级", "四级"][usize::from(level.clamp(1, 4)) - 1]
}

/// Joins `current` with `previous` (the latest earlier period) and `history` (every stored period
/// of the scope, the current one excluded); `quarters` quarters of trend end with `as_of`'s.
pub fn compare(
    current: Vec<CategoryRisk>,
    previous: &[StoredRisk],
    history: &[StoredRisk],
    as_of: NaiveDate,
    quarters: u32,
) -> Vec<Ranked> {
    let (year, q) = quarter(as_of);
    let first = year * 4 + q as i32 - 1 - (quarters as i32 - 1);
    current
        .into_iter()
        .map(|risk| {
            let before = previous
                .iter()
                .find(|p| p.category_code == risk.category_code);
            let mut quarters: Vec<(String, Option<u8>)> = Vec::new();
            for index in first..year * 4 + q as i32 - 1 {
                let (y, qq) = (index.div_euclid(4), index.rem_euclid(4) as u32 + 1);
                let last_of_quarter = history
                    .iter()
                    .filter(|h| {
                        h.category_code == risk.category_code && quarter(h.as_of) == (y, qq)
                    })
                    .max_by_key(|h| h.as_of);
                quarters.push((format!("{y}Q{qq}"), last_of_quarter.map(|h| h.level)));
            }
            quarters.push((format!("{year}Q{q}"), Some(risk.level)));
            let points: Vec<String> = quarters
                .iter()
                .filter_map(|(name, level)| level.map(|l| format!("{name}:{}", short_level(l))))
                .collect();
            Ranked {
                previous_period: before.map(|p| p.period.clone()),
                previous_rank: before.map(|p| p.rank),
                previous_level: before.map(|p| p.level),
                rank_change: before.map(|p| i64::from(p.rank) - i64::from(risk.rank)),
                level_change: before.map(|p| i64::from(p.level) - i64::from(risk.level)),
                trend: points.join(" → "),
                quarters,
                risk,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::{CategoryFacts, RiskParams, assess};

    fn stored(period: &str, as_of: &str, code: &str, level: u8, rank: u32) -> StoredRisk {
        StoredRisk {
            period: period.into(),
            as_of: as_of.parse().unwrap(),
            category_code: code.into(),
            level,
            score: 10.0,
            rank,
        }
    }

    #[test]
    fn changes_and_trend_read_against_earlier_periods() {
        let facts = CategoryFacts {
            category_code: "lifesaving".into(),
            category_name: "救生设备".into(),
            checks: 400,
            failures: 80,
            checks_previous: 400,
            failures_previous: 80,
            ..CategoryFacts::default()
        };
        let current = assess(&[facts], &RiskParams::default());
        let level = current[0].level;
        let history = vec![
            stored("2026-W13", "2026-03-27", "lifesaving", 4, 9),
            stored("2026-W10", "2026-03-06", "lifesaving", 3, 5),
            stored("2026-W30", "2026-07-24", "lifesaving", 3, 4),
            stored("2026-W47", "2026-11-20", "lifesaving", 3, 3),
        ];
        let previous = vec![history[3].clone()];
        let rows = compare(
            current,
            &previous,
            &history,
            "2026-11-27".parse().unwrap(),
            4,
        );
        let r = &rows[0];
        assert_eq!(r.previous_period.as_deref(), Some("2026-W47"));
        assert_eq!(r.rank_change, Some(2));
        assert_eq!(r.level_change, Some(3 - i64::from(level)));
        assert_eq!(
            r.trend,
            format!("2026Q1:四级 → 2026Q3:三级 → 2026Q4:{}", short_level(level))
        );
    }

    #[test]
    fn a_first_period_has_no_change() {
        let current = assess(
            &[CategoryFacts {
                category_code: "ppe".into(),
                ..CategoryFacts::default()
            }],
            &RiskParams::default(),
        );
        let rows = compare(current, &[], &[], "2027-01-04".parse().unwrap(), 4);
        assert_eq!(rows[0].rank_change, None);
        assert!(rows[0].trend.starts_with("2027Q1:"));
    }
}
