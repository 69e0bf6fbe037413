//! A draw plan (`jobs/plans/*.toml`): which enterprises are in scope, how many of each risk tier
//! are drawn, and the rules teams are staffed by. Every key has a default; ratios are whole percents
//! so that a plan has exactly one written form in a record.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Campaign id; `{year}`, `{month}` and `{quarter}` are filled from the as-of date.
    pub campaign: String,
    pub name: String,
    /// The day the draw is made for (default: today in the configured time zone).
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
    #[serde(default)]
    pub scope: Scope,
    /// Category names or codes (default: all in scope of the catalogue).
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub sampling: Sampling,
    #[serde(default)]
    pub teams: Teams,
    /// What each team is told: the window to do the check in and what to check (一单). Left out of
    /// the record when it is the default, so records made before it existed keep their text.
    #[serde(default, skip_serializing_if = "Checks::is_default")]
    pub checks: Checks,
}

/// The inspectors' brief: by when and what to check. It tells people; the draw never reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Checks {
    /// Calendar days after the as-of date within which a drawn check is done.
    pub window_days: u32,
    /// The check list (一单).
    pub items: Vec<String>,
}

impl Default for Checks {
    /// Measures 三(一) and 三(二): the commitments kept, production conditions, products
    /// inspected before leaving the factory, how the licence was obtained.
    fn default() -> Self {
        Checks {
            window_days: 30,
            items: [
                "企业履行承诺情况（三(二)）",
                "生产条件是否具备法律法规和技术规范规定的条件（三(一)、三(二)）",
                "出厂产品是否经检验合格，并抽取样品检验（三(一)、三(二)）",
                "是否以欺骗、贿赂等不正当手段取得生产许可证（三(一)）",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

impl Checks {
    fn is_default(&self) -> bool {
        *self == Checks::default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// Prefectures (names or codes) whose enterprises are drawn; empty: all.
    #[serde(default)]
    pub prefectures: Vec<String>,
    /// Counties (names or codes); empty: all counties of the prefectures.
    #[serde(default)]
    pub counties: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sampling {
    /// Percent of each risk tier drawn (D is the highest risk).
    pub tier_a_percent: u32,
    pub tier_b_percent: u32,
    pub tier_c_percent: u32,
    pub tier_d_percent: u32,
    /// Tier of an enterprise that has none on record yet.
    pub default_tier: Tier,
    /// Extra percent (relative) for licences granted by the simplified procedure: 50 draws them
    /// at 1.5 times their tier's rate (capped at 100 %).
    pub simplified_extra_percent: u32,
    /// At least this many drawn per category (when it has that many eligible).
    pub min_per_category: u32,
    /// Enterprises checked in the category within this many days are left out (unless tier D).
    pub exclude_checked_within_days: u32,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            tier_a_percent: 5,
            tier_b_percent: 10,
            tier_c_percent: 30,
            tier_d_percent: 100,
            default_tier: Tier::B,
            simplified_extra_percent: 50,
            min_per_category: 1,
            exclude_checked_within_days: 180,
        }
    }
}

/// Risk tier of an enterprise, A (lowest) to D (highest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Tier {
    A,
    B,
    C,
    D,
}

impl Tier {
    pub fn parse(text: &str) -> Option<Tier> {
        match text.trim() {
            "A" | "a" => Some(Tier::A),
            "B" | "b" => Some(Tier::B),
            "C" | "c" => Some(Tier::C),
            "D" | "d" => Some(Tier::D),
            _ => None,
        }
    }
}

/// How far conflict-of-interest avoidance (回避) reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AvoidArea {
    /// No inspector from the enterprise's own county.
    County,
    /// No inspector from the enterprise's own prefecture.
    Prefecture,
}

impl AvoidArea {
    /// The division 回避 compares, of someone in `county` of `prefecture`.
    pub fn of<'a>(self, county: &'a str, prefecture: &'a str) -> &'a str {
        match self {
            AvoidArea::County => county,
            AvoidArea::Prefecture => prefecture,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Teams {
    /// Inspectors per team; local policy requires at least two (the measures do not say).
    pub size: u32,
    pub avoid_same: AvoidArea,
    /// No inspector who inspected the same enterprise within this many months.
    pub avoid_recent_months: u32,
    /// Most teams one inspector joins in this draw.
    pub max_per_inspector: u32,
}

impl Default for Teams {
    fn default() -> Self {
        Teams {
            size: 2,
            avoid_same: AvoidArea::County,
            avoid_recent_months: 12,
            max_per_inspector: 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("plan {path}: {message}")]
    Parse { path: String, message: String },
    #[error("plan: teams.size is {0}; checks are done by at least two inspectors")]
    TeamTooSmall(u32),
    #[error("plan: {0} is {1} %, more than 100")]
    Percent(&'static str, u32),
    #[error("plan: teams.max_per_inspector must be at least 1")]
    NoWorkload,
}

impl Plan {
    pub fn parse(text: &str, path: &str) -> Result<Plan, PlanError> {
        let plan: Plan = toml::from_str(text).map_err(|e| PlanError::Parse {
            path: path.to_string(),
            message: e.to_string(),
        })?;
        plan.validate()?;
        Ok(plan)
    }

    pub fn validate(&self) -> Result<(), PlanError> {
        if self.teams.size < 2 {
            return Err(PlanError::TeamTooSmall(self.teams.size));
        }
        if self.teams.max_per_inspector == 0 {
            return Err(PlanError::NoWorkload);
        }
        let s = &self.sampling;
        for (name, p) in [
            ("sampling.tier_a_percent", s.tier_a_percent),
            ("sampling.tier_b_percent", s.tier_b_percent),
            ("sampling.tier_c_percent", s.tier_c_percent),
            ("sampling.tier_d_percent", s.tier_d_percent),
        ] {
            if p > 100 {
                return Err(PlanError::Percent(name, p));
            }
        }
        Ok(())
    }

    /// The last day of a check's window for a draw as of `day`.
    pub fn check_by(&self, day: NaiveDate) -> NaiveDate {
        day + chrono::Days::new(u64::from(self.checks.window_days))
    }

    /// The campaign id for a draw as of `day`: `{year}-{month}` → `2026-12`.
    pub fn campaign_for(&self, day: NaiveDate) -> String {
        self.campaign
            .replace("{year}", &day.year().to_string())
            .replace("{month}", &format!("{:02}", day.month()))
            .replace("{quarter}", &format!("Q{}", (day.month() - 1) / 3 + 1))
    }

    /// Percent of a tier drawn, raised for the simplified procedure, capped at 100.
    pub fn percent(&self, tier: Tier, simplified: bool) -> u32 {
        let s = &self.sampling;
        let base = match tier {
            Tier::A => s.tier_a_percent,
            Tier::B => s.tier_b_percent,
            Tier::C => s.tier_c_percent,
            Tier::D => s.tier_d_percent,
        };
        let raised = if simplified {
            base * (100 + s.simplified_extra_percent) / 100
        } else {
            base
        };
        raised.min(100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../jobs/plans/monthly.toml");

    #[test]
    fn the_shipped_plan_parses_with_documented_defaults() {
        let plan = Plan::parse(EXAMPLE, "monthly.toml").unwrap();
        assert_eq!(plan.teams, Teams::default());
        assert_eq!(plan.sampling, Sampling::default());
        assert_eq!(plan.checks, Checks::default());
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(plan.campaign_for(day), "2026-12");
    }

    #[test]
    fn a_team_of_one_is_refused() {
        let err =
            Plan::parse("campaign = \"x\"\nname = \"x\"\n[teams]\nsize = 1\n", "p").unwrap_err();
        assert_eq!(err, PlanError::TeamTooSmall(1));
    }

    #[test]
    fn simplified_licences_are_drawn_more_often() {
        let plan = Plan::parse("campaign = \"x\"\nname = \"x\"\n", "p").unwrap();
        assert_eq!(plan.percent(Tier::B, false), 10);
        assert_eq!(plan.percent(Tier::B, true), 15);
        assert_eq!(plan.percent(Tier::D, true), 100);
    }
}
