//! The figures of the risk model, all in `[risk]` of licwatch.toml with these defaults (documented
//! in `licwatch.example.toml` and README "Risk model"). They are judgement, not law: a bureau tunes
//! them, and every report shows the values they produced.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskParams {
    /// Trailing window, in months, for spot checks, on-site reviews and new licences; the trend
    /// compares it with the window before.
    pub window_months: u32,
    /// Weights of the three data factors in the likelihood (they should sum to 1).
    pub weight_scale: f64,
    pub weight_technical: f64,
    pub weight_checks: f64,
    /// Inside 产业规模: enterprise count (log-scaled against the largest category), share of
    /// licences granted in the window, share under the simplified procedure.
    pub scale_size: f64,
    pub scale_new: f64,
    pub scale_simplified: f64,
    /// Inside 技术现状: share of reviews finding non-conformities, share of simplified licences
    /// still awaiting review, share overdue.
    pub technical_nonconforming: f64,
    pub technical_awaiting: f64,
    pub technical_overdue: f64,
    /// 质量抽查状况: the smoothed failure rate is read against this ceiling (a rate at or above it
    /// counts fully)...
    pub failure_rate_ceiling: f64,
    /// ... and a rise of this much over the previous window counts fully as the trend...
    pub trend_ceiling: f64,
    /// ... which weighs this much inside the factor.
    pub trend_weight: f64,
    /// Strength of the Bayesian prior, in checks: each category's rate is pulled toward the
    /// province-wide rate as if it had this many extra checks at that rate.
    pub prior_checks: f64,
    /// Prior rate used when there are no checks at all anywhere.
    pub prior_rate: f64,
    /// Fewer checks than this in the window: the category is marked `insufficient_data`.
    pub min_checks: u64,
    /// ... and its level is never lower (safer) than this.
    pub insufficient_data_level: u8,
    /// Likelihood class boundaries: below the first is class 1 (rare), at or above the last is 4.
    pub likelihood_thresholds: [f64; 3],
    /// `matrix[likelihood - 1][severity - 1]` = level (1 = 一级, highest risk … 4 = 四级).
    pub matrix: [[u8; 4]; 4],
    /// Severity class (1 minor … 4 life-safety) by category code; unlisted categories get
    /// `default_severity`.
    pub severity: BTreeMap<String, u8>,
    pub default_severity: u8,
    /// The prevention measures suggested for each level, 一级 first.
    pub measures: [String; 4],
    /// A category's own prevention plan (measures 三(四): "逐类…制定实施风险防控预案"), by category
    /// code; shown instead of its level's measures when set.
    pub plans: BTreeMap<String, String>,
    pub tiers: TierParams,
}

/// Points an enterprise's own record earns toward its tier (D the highest risk).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TierParams {
    /// A failed spot check within the window...
    pub failed_check_recent: u32,
    /// ... and within the three windows before it.
    pub failed_check_older: u32,
    /// Latest on-site review of a licence 不合格 / 整改.
    pub review_failed: u32,
    pub review_rectify: u32,
    /// An on-site review overdue.
    pub review_overdue: u32,
    /// A violation within three windows (the serious-dishonesty list puts the enterprise in D).
    pub violation: u32,
    /// A simplified-procedure licence granted within the window.
    pub new_simplified: u32,
    /// Holds a licence of a severity-4 category.
    pub severe_category: u32,
    /// Points from which an enterprise is tier B, C, D.
    pub b_from: u32,
    pub c_from: u32,
    pub d_from: u32,
}

impl Default for TierParams {
    fn default() -> Self {
        TierParams {
            failed_check_recent: 3,
            failed_check_older: 1,
            review_failed: 3,
            review_rectify: 1,
            review_overdue: 2,
            violation: 2,
            new_simplified: 1,
            severe_category: 1,
            b_from: 1,
            c_from: 3,
            d_from: 6,
        }
    }
}

impl Default for RiskParams {
    fn default() -> Self {
        let severity = [
            // Life-safety products: a failure can kill.
            ("lifesaving", 4),
            ("ppe", 4),
            ("wire-rope", 4),
            ("scaffold-coupler", 4),
            ("prestressing-steel", 4),
            // Serious harm to people or property.
            ("wire-cable", 3),
            ("hazchem-packaging", 3),
            ("brake-fluid", 3),
            ("construction-winch", 3),
            ("light-lifting", 3),
            ("concrete-sleeper", 3),
            ("grinding-wheel", 3),
            // Harm limited to the user, or to health over time.
            ("refractory", 2),
            ("wood-panel", 2),
            ("fertilizer", 2),
            ("feed-grinder", 2),
            // Economic loss.
            ("waterproof-membrane", 1),
        ];
        RiskParams {
            window_months: 12,
            weight_scale: 0.2,
            weight_technical: 0.3,
            weight_checks: 0.5,
            scale_size: 0.5,
            scale_new: 0.25,
            scale_simplified: 0.25,
            technical_nonconforming: 0.4,
            technical_awaiting: 0.2,
            technical_overdue: 0.4,
            failure_rate_ceiling: 0.20,
            trend_ceiling: 0.05,
            trend_weight: 0.25,
            prior_checks: 50.0,
            prior_rate: 0.05,
            min_checks: 30,
            insufficient_data_level: 3,
            likelihood_thresholds: [0.15, 0.30, 0.45],
            // Level from the product L × S: ≥ 12 一级, ≥ 6 二级, ≥ 3 三级, else 四级.
            matrix: [[4, 4, 3, 3], [4, 3, 2, 2], [3, 2, 2, 1], [3, 2, 1, 1]],
            severity: severity
                .into_iter()
                .map(|(code, s)| (code.to_string(), s))
                .collect(),
            default_severity: 2,
            measures: [
                "重点监管：每年抽查不少于两次，证后现场审查全覆盖，约谈企业负责人，不合格企业依法启动快速退出".into(),
                "加强监管：提高抽查比例，优先安排证后现场审查，跟踪整改到位".into(),
                "常规监管：按年度计划双随机抽查，按期完成证后现场审查".into(),
                "一般监管：按基础比例随机抽查，以信用监管和企业自查为主".into(),
            ],
            plans: BTreeMap::new(),
            tiers: TierParams::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("[risk] {0}")]
pub struct ParamsError(String);

impl RiskParams {
    pub fn severity_of(&self, category: &str) -> u8 {
        self.severity
            .get(category)
            .copied()
            .unwrap_or(self.default_severity)
    }

    /// Refuses figures the model cannot use, naming the key.
    pub fn validate(&self) -> Result<(), ParamsError> {
        let class = |name: &str, v: u8| {
            if (1..=4).contains(&v) {
                Ok(())
            } else {
                Err(ParamsError(format!(
                    "{name} = {v}: classes and levels are 1 to 4"
                )))
            }
        };
        for (code, s) in &self.severity {
            class(&format!("severity.{code}"), *s)?;
        }
        class("default_severity", self.default_severity)?;
        class("insufficient_data_level", self.insufficient_data_level)?;
        for row in &self.matrix {
            for v in row {
                class("matrix", *v)?;
            }
        }
        let t = self.likelihood_thresholds;
        if !(t[0] < t[1] && t[1] < t[2]) {
            return Err(ParamsError(format!(
                "likelihood_thresholds {t:?} must rise"
            )));
        }
        if self.window_months == 0 || self.failure_rate_ceiling <= 0.0 || self.trend_ceiling <= 0.0
        {
            return Err(ParamsError(
                "window_months, failure_rate_ceiling and trend_ceiling must be positive".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_name_the_life_safety_products_severe() {
        let p = RiskParams::default();
        p.validate().unwrap();
        for code in [
            "lifesaving",
            "ppe",
            "wire-rope",
            "scaffold-coupler",
            "prestressing-steel",
        ] {
            assert_eq!(p.severity_of(code), 4, "{code}");
        }
        assert_eq!(p.severity_of("some-later-category"), 2);
    }

    #[test]
    fn a_bad_matrix_entry_is_refused_with_its_key() {
        let mut p = RiskParams::default();
        p.matrix[0][0] = 5;
        assert!(p.validate().unwrap_err().to_string().contains("matrix"));
    }
}
