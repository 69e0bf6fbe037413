//! The column work of the category model, in polars: licences, on-site reviews and spot-check counts
//! in, one [`CategoryFacts`] per category out. The windows are whole days; dates travel as days
//! since 1970-01-01 so every comparison is an integer one.

use foldhash::{HashMap, HashMapExt as _};

use chrono::{Months, NaiveDate};
use polars::prelude::*;

use super::category::CategoryFacts;
use crate::catalogue::Category;
use crate::deadlines::awaits_review;
use crate::model::ReviewOutcome;

/// A licence as the model reads it.
#[derive(Debug, Clone)]
pub struct LicenceRow {
    pub licence_no: String,
    pub credit_code: String,
    pub category: String,
    pub simplified: bool,
    pub active: bool,
    pub grant_date: NaiveDate,
    pub renewal_direct: bool,
}

#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub licence_no: String,
    pub review_date: NaiveDate,
    pub outcome: ReviewOutcome,
}

/// `n` spot checks of one category in one window with one result (the store sums them in SQL; a
/// raw file gives `n = 1` per row in a window, [`Windows::of`]).
#[derive(Debug, Clone)]
pub struct CheckCount {
    pub category: String,
    pub window: Window,
    pub failed: bool,
    pub n: u64,
}

/// Which of the two windows of [`Windows`] a day falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// (start, as_of]
    Current,
    /// (previous_start, start]
    Previous,
}

/// The windows the model counts over, all ending on `as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    pub as_of: NaiveDate,
    /// The window is (start, as_of]...
    pub start: NaiveDate,
    /// ... the one before it (previous_start, start].
    pub previous_start: NaiveDate,
    /// A simplified licence granted on or before this day and still unreviewed is overdue on
    /// `as_of` (the on-site review rule, solved once for the grant date).
    pub last_overdue_grant: Option<NaiveDate>,
}

impl Windows {
    pub fn new(as_of: NaiveDate, months: u32, last_overdue_grant: Option<NaiveDate>) -> Self {
        let back = |d: NaiveDate| d.checked_sub_months(Months::new(months)).unwrap_or(d);
        let start = back(as_of);
        Windows {
            as_of,
            start,
            previous_start: back(start),
            last_overdue_grant,
        }
    }

    /// The window `day` falls in, if any (the store's check counts say the same in SQL).
    pub fn of(&self, day: NaiveDate) -> Option<Window> {
        if day > self.as_of || day <= self.previous_start {
            None
        } else if day > self.start {
            Some(Window::Current)
        } else {
            Some(Window::Previous)
        }
    }
}

fn day(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

fn count(e: Expr) -> Expr {
    e.cast(DataType::UInt64).sum().cast(DataType::UInt64)
}

fn between(column: &str, after: NaiveDate, until: NaiveDate) -> Expr {
    col(column)
        .gt(lit(day(after)))
        .and(col(column).lt_eq(lit(day(until))))
}

/// The model's inputs as columns: a category as its index in the category list, an enterprise as
/// a number, a date as days since 1970 — so every group-by and comparison is on integers.
pub struct Frames {
    licences: DataFrame,
    reviews: DataFrame,
    checks: DataFrame,
}

/// Builds the columns once; `as_of` decides which licences count as reviewed.
pub fn frames(
    categories: &[&Category],
    licences: &[LicenceRow],
    reviews: &[ReviewRow],
    checks: &[CheckCount],
    as_of: NaiveDate,
) -> PolarsResult<Frames> {
    // Rows of a category outside the list get an index no category has, and drop out of the joins.
    let index: HashMap<&str, u32> = categories
        .iter()
        .enumerate()
        .map(|(i, c)| (c.code.as_str(), i as u32))
        .collect();
    let category = |code: &str| index.get(code).copied().unwrap_or(u32::MAX);
    let mut review_dates: HashMap<&str, Vec<NaiveDate>> = HashMap::with_capacity(reviews.len());
    for r in reviews {
        review_dates
            .entry(r.licence_no.as_str())
            .or_default()
            .push(r.review_date);
    }
    // The review rule's own test (deadlines::onsite_review): exemption and reviews that count.
    let awaiting = |l: &LicenceRow| {
        let dates = review_dates.get(l.licence_no.as_str());
        awaits_review(
            l.simplified,
            l.renewal_direct,
            l.grant_date,
            dates.into_iter().flatten().copied(),
            as_of,
        )
    };
    let mut numbers: HashMap<&str, u32> = HashMap::with_capacity(licences.len());
    let enterprises: Vec<u32> = licences
        .iter()
        .map(|l| {
            let next = numbers.len() as u32;
            *numbers.entry(l.credit_code.as_str()).or_insert(next)
        })
        .collect();
    // A licence covering several products (一企一证) has a row per category; its reviews count in each.
    let mut categories_of: HashMap<&str, Vec<u32>> = HashMap::with_capacity(licences.len());
    for l in licences {
        categories_of
            .entry(l.licence_no.as_str())
            .or_default()
            .push(category(&l.category));
    }
    let licence_frame = df!(
        "category" => licences.iter().map(|l| category(&l.category)).collect::<Vec<_>>(),
        "enterprise" => enterprises,
        "simplified" => licences.iter().map(|l| l.simplified).collect::<Vec<_>>(),
        "active" => licences.iter().map(|l| l.active).collect::<Vec<_>>(),
        "awaiting" => licences.iter().map(awaiting).collect::<Vec<_>>(),
        "grant" => licences.iter().map(|l| day(l.grant_date)).collect::<Vec<_>>(),
    )?;
    let review_rows: Vec<(u32, &ReviewRow)> = reviews
        .iter()
        .flat_map(|r| {
            categories_of
                .get(r.licence_no.as_str())
                .into_iter()
                .flatten()
                .map(move |c| (*c, r))
        })
        .collect();
    let review_frame = df!(
        "category" => review_rows.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        "day" => review_rows.iter().map(|(_, r)| day(r.review_date)).collect::<Vec<_>>(),
        "nonconforming" => review_rows.iter().map(|(_, r)| r.outcome != ReviewOutcome::Pass).collect::<Vec<_>>(),
    )?;
    let check_frame = df!(
        "category" => checks.iter().map(|c| category(&c.category)).collect::<Vec<_>>(),
        "current" => checks.iter().map(|c| c.window == Window::Current).collect::<Vec<_>>(),
        "failed" => checks.iter().map(|c| c.failed).collect::<Vec<_>>(),
        "n" => checks.iter().map(|c| c.n).collect::<Vec<_>>(),
    )?;
    Ok(Frames {
        licences: licence_frame,
        reviews: review_frame,
        checks: check_frame,
    })
}

/// The per-category facts of `categories` (every one gets a row, with zeros where nothing is known).
pub fn category_facts(
    categories: &[&Category],
    licences: &[LicenceRow],
    reviews: &[ReviewRow],
    checks: &[CheckCount],
    w: &Windows,
) -> PolarsResult<Vec<CategoryFacts>> {
    let frames = frames(categories, licences, reviews, checks, w.as_of)?;
    facts(categories, &frames, w)
}

/// The aggregation itself, over columns built by [`frames`] with the same categories.
pub fn facts(
    categories: &[&Category],
    frames: &Frames,
    w: &Windows,
) -> PolarsResult<Vec<CategoryFacts>> {
    let summaries = [
        licence_summary(frames.licences.clone().lazy(), w),
        enterprise_count(frames.licences.clone().lazy()),
        review_summary(frames.reviews.clone().lazy(), w),
        check_summary(frames.checks.clone().lazy()),
    ];
    let mut facts: Vec<CategoryFacts> = categories
        .iter()
        .map(|c| CategoryFacts {
            category_code: c.code.clone(),
            category_name: c.name_zh.clone(),
            ordinal: c.ordinal,
            ..CategoryFacts::default()
        })
        .collect();
    for summary in summaries {
        let frame = summary.collect()?;
        let index = frame.column("category")?.u32()?.clone();
        for column in frame.columns().iter().skip(1) {
            let values = column.u64()?;
            for (i, value) in index.iter().zip(values.iter()) {
                let (Some(i), Some(value)) = (i, value) else {
                    continue;
                };
                if let Some(f) = facts.get_mut(i as usize) {
                    set(f, column.name().as_str(), value);
                }
            }
        }
    }
    facts.sort_by_key(|f| f.ordinal);
    Ok(facts)
}

fn set(f: &mut CategoryFacts, column: &str, value: u64) {
    let slot = match column {
        "active_licences" => &mut f.active_licences,
        "new_licences" => &mut f.new_licences,
        "simplified_licences" => &mut f.simplified_licences,
        "awaiting_review" => &mut f.awaiting_review,
        "overdue_review" => &mut f.overdue_review,
        "active_enterprises" => &mut f.active_enterprises,
        "reviews" => &mut f.reviews,
        "nonconforming_reviews" => &mut f.nonconforming_reviews,
        "checks" => &mut f.checks,
        "failures" => &mut f.failures,
        "checks_previous" => &mut f.checks_previous,
        "failures_previous" => &mut f.failures_previous,
        other => unreachable!("no fact named {other}"),
    };
    *slot = value;
}

fn licence_summary(licences: LazyFrame, w: &Windows) -> LazyFrame {
    let simplified_active = col("active").and(col("simplified"));
    let awaiting = col("active").and(col("awaiting"));
    let overdue = match w.last_overdue_grant {
        Some(last) => awaiting.clone().and(col("grant").lt_eq(lit(day(last)))),
        None => lit(false),
    };
    licences.group_by([col("category")]).agg([
        count(col("active")).alias("active_licences"),
        count(between("grant", w.start, w.as_of)).alias("new_licences"),
        count(simplified_active).alias("simplified_licences"),
        count(awaiting).alias("awaiting_review"),
        count(overdue).alias("overdue_review"),
    ])
}

fn enterprise_count(licences: LazyFrame) -> LazyFrame {
    licences
        .filter(col("active"))
        .group_by([col("category"), col("enterprise")])
        .agg([len()])
        .group_by([col("category")])
        .agg([len().cast(DataType::UInt64).alias("active_enterprises")])
}

fn review_summary(reviews: LazyFrame, w: &Windows) -> LazyFrame {
    reviews
        .filter(between("day", w.start, w.as_of))
        .group_by([col("category")])
        .agg([
            len().cast(DataType::UInt64).alias("reviews"),
            count(col("nonconforming")).alias("nonconforming_reviews"),
        ])
}

fn check_summary(checks: LazyFrame) -> LazyFrame {
    let current = col("current");
    let previous = col("current").not();
    checks.group_by([col("category")]).agg([
        count(col("n").filter(current.clone())).alias("checks"),
        count(col("n").filter(current.and(col("failed")))).alias("failures"),
        count(col("n").filter(previous.clone())).alias("checks_previous"),
        count(col("n").filter(previous.and(col("failed")))).alias("failures_previous"),
    ])
}

/// Test fixtures shared by the risk modules.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// An active licence; `simplified` as given.
    pub fn licence(
        no: &str,
        code: &str,
        category: &str,
        grant: &str,
        simplified: bool,
    ) -> LicenceRow {
        LicenceRow {
            licence_no: no.into(),
            credit_code: code.into(),
            category: category.into(),
            simplified,
            active: true,
            grant_date: d(grant),
            renewal_direct: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::d;
    use super::*;
    use crate::catalogue::Catalogue;

    fn licence(no: &str, code: &str, category: &str, grant: &str) -> LicenceRow {
        super::fixtures::licence(no, code, category, grant, true)
    }

    fn check(w: &Windows, category: &str, date: &str, failed: bool, n: u64) -> Option<CheckCount> {
        Some(CheckCount {
            category: category.into(),
            window: w.of(d(date))?,
            failed,
            n,
        })
    }

    #[test]
    fn counts_land_in_their_windows_and_categories() {
        let catalogue = Catalogue::builtin();
        let categories: Vec<&Category> = catalogue.in_scope().collect();
        let w = Windows::new(d("2026-11-27"), 12, Some(d("2026-10-14")));
        assert_eq!(w.start, d("2025-11-27"));
        assert_eq!(w.previous_start, d("2024-11-27"));
        let mut standard = licence("L4", "E2", "wire-rope", "2020-01-01");
        standard.simplified = false;
        let mut cancelled = licence("L5", "E3", "wire-rope", "2026-01-01");
        cancelled.active = false;
        let licences = vec![
            licence("L1", "E1", "wire-rope", "2026-11-01"), // awaiting, not yet overdue
            licence("L2", "E1", "wire-rope", "2026-09-01"), // awaiting and overdue
            licence("L3", "E2", "wire-rope", "2026-03-01"), // reviewed
            standard,
            cancelled,
        ];
        let reviews = vec![ReviewRow {
            licence_no: "L3".into(),
            review_date: d("2026-04-01"),
            outcome: ReviewOutcome::Rectify,
        }];
        let checks: Vec<CheckCount> = [
            check(&w, "wire-rope", "2026-11-27", true, 2), // last day of the window: in
            check(&w, "wire-rope", "2025-11-27", false, 5), // first day excluded: previous window
            check(&w, "wire-rope", "2026-06-01", false, 10),
            check(&w, "wire-rope", "2026-11-28", true, 3), // after as_of: in neither
            check(&w, "lifesaving", "2024-11-28", true, 1), // previous window
            check(&w, "lifesaving", "2024-11-27", true, 7), // before both windows
        ]
        .into_iter()
        .flatten()
        .collect();
        let facts = category_facts(&categories, &licences, &reviews, &checks, &w).unwrap();
        assert_eq!(facts.len(), 17);
        let rope = facts
            .iter()
            .find(|f| f.category_code == "wire-rope")
            .unwrap();
        assert_eq!(
            (
                rope.active_licences,
                rope.active_enterprises,
                rope.simplified_licences
            ),
            (4, 2, 3)
        );
        assert_eq!(rope.new_licences, 4, "L1, L2, L3 and the cancelled L5");
        assert_eq!((rope.awaiting_review, rope.overdue_review), (2, 1));
        assert_eq!((rope.reviews, rope.nonconforming_reviews), (1, 1));
        assert_eq!((rope.checks, rope.failures), (12, 2));
        assert_eq!((rope.checks_previous, rope.failures_previous), (5, 0));
        let life = facts
            .iter()
            .find(|f| f.category_code == "lifesaving")
            .unwrap();
        assert_eq!(
            (life.checks, life.checks_previous, life.failures_previous),
            (0, 1, 1)
        );
        let panel = facts
            .iter()
            .find(|f| f.category_code == "wood-panel")
            .unwrap();
        assert_eq!(panel.active_licences + panel.checks, 0);
    }
}
