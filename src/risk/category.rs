//! The category model: the four factors of the measures (产业规模, 技术现状, 质量抽查状况, 产品自身属性)
//! combined, in the manner of GB/T 22760's probability × severity assessment, into a level 1–4 and a
//! continuous score. Pure: counts in, ranked rows out.

use serde::Serialize;

use super::params::RiskParams;

/// What the data says about one category, counted over the model's windows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CategoryFacts {
    pub category_code: String,
    pub category_name: String,
    pub ordinal: i64,
    /// 产业规模.
    pub active_enterprises: u64,
    pub active_licences: u64,
    pub new_licences: u64,
    pub simplified_licences: u64,
    /// 技术现状.
    pub reviews: u64,
    pub nonconforming_reviews: u64,
    pub awaiting_review: u64,
    pub overdue_review: u64,
    /// 质量抽查状况: this window and the one before.
    pub checks: u64,
    pub failures: u64,
    pub checks_previous: u64,
    pub failures_previous: u64,
}

/// The risk level: 1 = 一级 (highest) … 4 = 四级.
pub fn level_label(level: u8) -> &'static str {
    match level {
        1 => "一级（高风险）",
        2 => "二级（较高风险）",
        3 => "三级（一般风险）",
        _ => "四级（低风险）",
    }
}

/// One category's assessment: the level, the score, and every factor with its contribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryRisk {
    pub rank: u32,
    pub category_code: String,
    pub category_name: String,
    pub level: u8,
    pub level_label: &'static str,
    /// 0–100: likelihood × severity; the contributions below add up to it.
    pub score: f64,
    pub insufficient_data: bool,
    pub likelihood: f64,
    pub likelihood_class: u8,
    pub severity: u8,
    /// 产业规模.
    pub scale_factor: f64,
    pub scale_contribution: f64,
    pub active_enterprises: u64,
    pub new_licence_share: f64,
    pub simplified_share: f64,
    /// 技术现状.
    pub technical_factor: f64,
    pub technical_contribution: f64,
    pub nonconforming_review_share: f64,
    pub awaiting_review_share: f64,
    pub overdue_reviews: u64,
    /// 质量抽查状况.
    pub checks_factor: f64,
    pub checks_contribution: f64,
    pub checks: u64,
    pub failures: u64,
    pub failure_rate: f64,
    pub smoothed_failure_rate: f64,
    pub previous_smoothed_failure_rate: f64,
    pub trend: f64,
    pub measures: String,
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64).min(1.0)
    }
}

/// Beta-binomial posterior mean: the category's failures plus `strength` pseudo-checks at the
/// province-wide `prior` rate. A small sample stays near the province's rate instead of swinging
/// to 0 % or 50 %, while a large one speaks for itself. (A Wilson bound would instead rank a small
/// sample by its uncertainty: the lower bound calls it safe, the upper bound alarming.)
pub fn smoothed_rate(failures: u64, checks: u64, prior: f64, strength: f64) -> f64 {
    (failures as f64 + strength * prior) / (checks as f64 + strength)
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

fn likelihood_class(likelihood: f64, thresholds: [f64; 3]) -> u8 {
    1 + thresholds.iter().filter(|&&t| likelihood >= t).count() as u8
}

/// Scores and ranks `facts`. Rows come back ranked: by level (一级 first), then by score; equal level
/// and score share a rank.
pub fn assess(facts: &[CategoryFacts], params: &RiskParams) -> Vec<CategoryRisk> {
    let total_checks: u64 = facts.iter().map(|f| f.checks).sum();
    let total_failures: u64 = facts.iter().map(|f| f.failures).sum();
    let prior = if total_checks == 0 {
        params.prior_rate
    } else {
        total_failures as f64 / total_checks as f64
    };
    let prev_checks: u64 = facts.iter().map(|f| f.checks_previous).sum();
    let prev_failures: u64 = facts.iter().map(|f| f.failures_previous).sum();
    let prior_previous = if prev_checks == 0 {
        prior
    } else {
        prev_failures as f64 / prev_checks as f64
    };
    let largest = facts
        .iter()
        .map(|f| f.active_enterprises)
        .max()
        .unwrap_or(0);

    let mut rows: Vec<CategoryRisk> = facts
        .iter()
        .map(|f| {
            let size = if largest == 0 {
                0.0
            } else {
                (1.0 + f.active_enterprises as f64).ln() / (1.0 + largest as f64).ln()
            };
            let new_share = share(f.new_licences, f.active_licences.max(f.new_licences));
            let simplified_share = share(f.simplified_licences, f.active_licences);
            let scale = params.scale_size * size
                + params.scale_new * new_share
                + params.scale_simplified * simplified_share;

            let nonconforming = share(f.nonconforming_reviews, f.reviews);
            let awaiting = share(f.awaiting_review, f.simplified_licences);
            let overdue = share(f.overdue_review, f.simplified_licences);
            let technical = params.technical_nonconforming * nonconforming
                + params.technical_awaiting * awaiting
                + params.technical_overdue * overdue;

            let rate = smoothed_rate(f.failures, f.checks, prior, params.prior_checks);
            let previous = smoothed_rate(
                f.failures_previous,
                f.checks_previous,
                prior_previous,
                params.prior_checks,
            );
            let trend = rate - previous;
            let checks = (1.0 - params.trend_weight)
                * (rate / params.failure_rate_ceiling).min(1.0)
                + params.trend_weight * (trend / params.trend_ceiling).clamp(0.0, 1.0);

            let likelihood = params.weight_scale * scale
                + params.weight_technical * technical
                + params.weight_checks * checks;
            let class = likelihood_class(likelihood, params.likelihood_thresholds);
            let severity = params.severity_of(&f.category_code);
            let insufficient_data = f.checks < params.min_checks;
            let mut level = params.matrix[usize::from(class) - 1][usize::from(severity) - 1];
            if insufficient_data {
                level = level.min(params.insufficient_data_level);
            }
            // Each contribution is the factor's share of the score; they add up to it.
            let to_score = 100.0 * f64::from(severity) / 4.0;
            CategoryRisk {
                rank: 0,
                category_code: f.category_code.clone(),
                category_name: f.category_name.clone(),
                level,
                level_label: level_label(level),
                score: round(likelihood * to_score, 1),
                insufficient_data,
                likelihood: round(likelihood, 4),
                likelihood_class: class,
                severity,
                scale_factor: round(scale, 4),
                scale_contribution: round(params.weight_scale * scale * to_score, 2),
                active_enterprises: f.active_enterprises,
                new_licence_share: round(new_share, 4),
                simplified_share: round(simplified_share, 4),
                technical_factor: round(technical, 4),
                technical_contribution: round(params.weight_technical * technical * to_score, 2),
                nonconforming_review_share: round(nonconforming, 4),
                awaiting_review_share: round(awaiting, 4),
                overdue_reviews: f.overdue_review,
                checks_factor: round(checks, 4),
                checks_contribution: round(params.weight_checks * checks * to_score, 2),
                checks: f.checks,
                failures: f.failures,
                failure_rate: round(share(f.failures, f.checks), 4),
                smoothed_failure_rate: round(rate, 4),
                previous_smoothed_failure_rate: round(previous, 4),
                trend: round(trend, 4),
                measures: match params.plans.get(&f.category_code) {
                    Some(plan) => format!("本类预案：{plan}"),
                    None => params.measures[usize::from(level) - 1].clone(),
                },
            }
        })
        .collect();
    rank(&mut rows, facts);
    rows
}

/// Orders by level then score (catalogue order among equals) and gives equal (level, score) the
/// same rank: 1, 2, 2, 4.
fn rank(rows: &mut [CategoryRisk], facts: &[CategoryFacts]) {
    let ordinal = |code: &str| {
        facts
            .iter()
            .find(|f| f.category_code == code)
            .map_or(i64::MAX, |f| f.ordinal)
    };
    rows.sort_by(|a, b| {
        a.level
            .cmp(&b.level)
            .then(b.score.total_cmp(&a.score))
            .then(ordinal(&a.category_code).cmp(&ordinal(&b.category_code)))
    });
    for i in 0..rows.len() {
        rows[i].rank =
            if i > 0 && rows[i].level == rows[i - 1].level && rows[i].score == rows[i - 1].score {
                rows[i - 1].rank
            } else {
                i as u32 + 1
            };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(code: &str, checks: u64, failures: u64) -> CategoryFacts {
        CategoryFacts {
            category_code: code.into(),
            category_name: code.into(),
            ordinal: 1,
            active_enterprises: 100,
            active_licences: 100,
            new_licences: 10,
            simplified_licences: 50,
            reviews: 20,
            nonconforming_reviews: 2,
            awaiting_review: 5,
            overdue_review: 1,
            checks,
            failures,
            checks_previous: checks,
            failures_previous: failures,
        }
    }

    #[test]
    fn one_failure_in_two_checks_does_not_outrank_forty_in_four_hundred() {
        let params = RiskParams::default();
        let rows = assess(
            &[
                facts("wood-panel", 2, 1),
                facts("fertilizer", 400, 40),
                facts("refractory", 400, 4),
            ],
            &params,
        );
        let by = |code: &str| rows.iter().find(|r| r.category_code == code).unwrap();
        assert!(by("fertilizer").smoothed_failure_rate > by("wood-panel").smoothed_failure_rate);
        assert!(by("fertilizer").score > by("wood-panel").score);
        assert!(by("wood-panel").insufficient_data);
        assert!(!by("fertilizer").insufficient_data);
    }

    #[test]
    fn the_smoothed_rate_is_the_prior_with_no_checks_and_the_data_with_many() {
        assert_eq!(smoothed_rate(0, 0, 0.05, 50.0), 0.05);
        let big = smoothed_rate(10_000, 100_000, 0.05, 50.0);
        assert!((big - 0.1).abs() < 0.001, "{big}");
    }

    #[test]
    fn contributions_add_up_to_the_score() {
        let rows = assess(
            &[facts("lifesaving", 300, 45), facts("wood-panel", 300, 3)],
            &RiskParams::default(),
        );
        for r in rows {
            let sum = r.scale_contribution + r.technical_contribution + r.checks_contribution;
            assert!((sum - r.score).abs() < 0.06, "{r:?}");
        }
    }

    #[test]
    fn severity_and_likelihood_meet_in_the_matrix() {
        let params = RiskParams::default();
        // Same data, different severity: life-saving equipment (4) outranks membranes (1).
        let rows = assess(
            &[
                facts("waterproof-membrane", 300, 60),
                facts("lifesaving", 300, 60),
            ],
            &params,
        );
        assert_eq!(rows[0].category_code, "lifesaving");
        assert_eq!(rows[0].likelihood_class, rows[1].likelihood_class);
        let class = usize::from(rows[0].likelihood_class) - 1;
        assert_eq!(rows[0].level, params.matrix[class][3]);
        assert_eq!(rows[1].level, params.matrix[class][0]);
        assert!(rows[0].level < rows[1].level);
    }

    #[test]
    fn ties_share_a_rank_and_the_next_rank_skips() {
        let rows = assess(
            &[
                facts("fertilizer", 300, 30),
                facts("refractory", 300, 30),
                facts("feed-grinder", 300, 3),
            ],
            &RiskParams::default(),
        );
        let ranks: Vec<u32> = rows.iter().map(|r| r.rank).collect();
        assert_eq!(ranks, vec![1, 1, 3]);
    }

    #[test]
    fn a_category_without_checks_is_flagged_and_never_called_low_risk() {
        let mut empty = facts("wood-panel", 0, 0);
        empty.active_enterprises = 1;
        empty.reviews = 0;
        empty.nonconforming_reviews = 0;
        empty.awaiting_review = 0;
        empty.overdue_review = 0;
        let rows = assess(
            &[empty, facts("fertilizer", 500, 5)],
            &RiskParams::default(),
        );
        let r = rows
            .iter()
            .find(|r| r.category_code == "wood-panel")
            .unwrap();
        assert!(r.insufficient_data);
        assert_eq!(r.checks, 0);
        assert!(r.level <= 3, "{r:?}");
        assert!(
            (r.smoothed_failure_rate - 0.01).abs() < 1e-9,
            "pulled to the province's 1 %"
        );
    }

    #[test]
    fn a_rising_failure_rate_raises_the_checks_factor() {
        let mut rising = facts("fertilizer", 400, 40);
        rising.failures_previous = 8;
        let steady = facts("refractory", 400, 40);
        let rows = assess(&[rising, steady], &RiskParams::default());
        let by = |code: &str| rows.iter().find(|r| r.category_code == code).unwrap();
        assert!(by("fertilizer").trend > 0.0);
        assert!(by("fertilizer").checks_factor > by("refractory").checks_factor);
    }
}
