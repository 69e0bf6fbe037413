//! An initial load's derived tables, computed from its rows as they are validated.
//!
//! Loading into an empty table, the derived tables are recomputed whole. Their SQL
//! (`records::FAILED_CHECKS`, `records::CHECK_COUNTS`) does that by grouping and joining every row
//! just copied: on the national history 13 of the 42 seconds of the spot-check load, on one core,
//! after the copy. The same rows pass through the validating thread anyway, so it notes what the
//! two tables need (a few bytes a check); the load derives their rows while the database builds
//! the indexes, and writes them in bulk. Merges, which touch a few days, keep the SQL; the
//! integration tests hold both to the same rows.

use chrono::NaiveDate;
use foldhash::{HashMap, HashMapExt};

use super::Param;
use crate::model::{CheckResult, SpotCheck};

/// Which derived table an initial load computes from its [`Tally`] instead of its SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tallied {
    FailedChecks,
    CheckCounts,
}

/// What an initial load of spot checks notes of each row: enough for `failed_checks` and
/// `check_counts`, with enterprises and categories interned.
#[derive(Debug, Default)]
pub struct Tally {
    enterprises: Interned,
    categories: Interned,
    /// (enterprise, category) pairs, as group numbers.
    groups: HashMap<(u32, u32), u32>,
    /// Each group's (enterprise, category), by group number.
    group_of: Vec<(u32, u32)>,
    passes: Vec<(u32, NaiveDate)>,
    fails: Vec<Failure>,
}

#[derive(Debug, Clone, Copy)]
struct Failure {
    group: u32,
    date: NaiveDate,
    disposed: Option<NaiveDate>,
}

/// Codes numbered in the order they first come.
#[derive(Debug, Default)]
struct Interned {
    numbers: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interned {
    fn number(&mut self, code: &str) -> u32 {
        if let Some(&n) = self.numbers.get(code) {
            return n;
        }
        let n = self.names.len() as u32;
        self.numbers.insert(code.to_string(), n);
        self.names.push(code.to_string());
        n
    }
}

impl Tally {
    /// Notes one spot check that the load stages.
    pub fn check(&mut self, c: &SpotCheck) {
        let enterprise = self.enterprises.number(&c.credit_code);
        let category = self.categories.number(&c.category);
        let next = self.group_of.len() as u32;
        let group = *self.groups.entry((enterprise, category)).or_insert(next);
        if group == next {
            self.group_of.push((enterprise, category));
        }
        match c.result {
            CheckResult::Pass => self.passes.push((group, c.check_date)),
            CheckResult::Fail => self.fails.push(Failure {
                group,
                date: c.check_date,
                disposed: c.disposed,
            }),
        }
    }

    /// The derived rows, once every row is noted. `prefecture_of` gives each stored enterprise's
    /// prefecture; a check whose enterprise is not there is not counted, as the SQL's join would
    /// not count it.
    pub(crate) fn derive(mut self, prefecture_of: &HashMap<String, String>) -> Derivation {
        // Each failure closes with its group's first pass strictly after its day: the passes by
        // group and day, bisected.
        self.passes.sort_unstable();
        let passes = &self.passes;
        let failed = (self.fails.iter())
            .map(|&f| {
                let at = passes.partition_point(|&p| p <= (f.group, f.date));
                let passed_after = (passes.get(at))
                    .filter(|&&(g, _)| g == f.group)
                    .map(|&(_, d)| d);
                (f, passed_after)
            })
            .collect();

        let mut prefectures = Interned::default();
        let prefecture: Vec<Option<u32>> = (self.group_of.iter())
            .map(|&(e, _)| {
                let code = prefecture_of.get(&self.enterprises.names[e as usize])?;
                Some(prefectures.number(code))
            })
            .collect();
        let checks = (passes.iter().map(|&(g, d)| (g, d, true)))
            .chain(self.fails.iter().map(|f| (f.group, f.date, false)));
        let mut counts: HashMap<Count, i64> = HashMap::new();
        for (group, date, pass) in checks {
            if let Some(p) = prefecture[group as usize] {
                let category = self.group_of[group as usize].1;
                *counts.entry((date, p, category, pass)).or_default() += 1;
            }
        }
        Derivation {
            failed,
            counts: counts.into_iter().collect(),
            prefectures: prefectures.names,
            tally: self,
        }
    }
}

/// (day, prefecture, category, passed).
type Count = (NaiveDate, u32, u32, bool);

/// The rows of the derived tables an initial load writes itself.
pub(crate) struct Derivation {
    tally: Tally,
    failed: Vec<(Failure, Option<NaiveDate>)>,
    prefectures: Vec<String>,
    counts: Vec<(Count, i64)>,
}

impl Derivation {
    /// The rows of `table`, in its columns' order (see `records`).
    pub(crate) fn rows(&self, table: Tallied) -> Box<dyn Iterator<Item = Vec<Param>> + Send + '_> {
        let Tally {
            enterprises,
            categories,
            group_of,
            ..
        } = &self.tally;
        match table {
            Tallied::FailedChecks => Box::new(self.failed.iter().map(|(f, passed_after)| {
                let (e, c) = group_of[f.group as usize];
                vec![
                    (&enterprises.names[e as usize]).into(),
                    (&categories.names[c as usize]).into(),
                    Param::Date(Some(f.date)),
                    Param::Date(f.disposed),
                    Param::Date(*passed_after),
                ]
            })),
            Tallied::CheckCounts => Box::new(self.counts.iter().map(
                |&((date, prefecture, category, pass), n)| {
                    let result = if pass {
                        CheckResult::Pass
                    } else {
                        CheckResult::Fail
                    };
                    vec![
                        Param::Date(Some(date)),
                        (&self.prefectures[prefecture as usize]).into(),
                        (&categories.names[category as usize]).into(),
                        result.code().into(),
                        Param::Int(n),
                    ]
                },
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(code: &str, category: &str, day: &str, result: CheckResult) -> SpotCheck {
        SpotCheck {
            check_id: None,
            credit_code: code.into(),
            category: category.into(),
            check_date: day.parse().unwrap(),
            result,
            items: None,
            campaign: None,
            disposed: None,
        }
    }

    fn text(p: &Param) -> String {
        match p {
            Param::Text(Some(s)) => s.clone(),
            Param::Date(Some(d)) => d.to_string(),
            Param::Date(None) => "-".into(),
            Param::Int(n) => n.to_string(),
            other => panic!("unexpected {other:?}"),
        }
    }

    fn rows(d: &Derivation, table: Tallied) -> Vec<String> {
        let mut rows: Vec<String> = (d.rows(table))
            .map(|r| r.iter().map(text).collect::<Vec<_>>().join(" "))
            .collect();
        rows.sort();
        rows
    }

    #[test]
    fn a_failure_closes_with_its_groups_first_pass_after_its_day_and_checks_count_by_prefecture() {
        use CheckResult::{Fail, Pass};
        let mut tally = Tally::default();
        for c in [
            check("A", "rope", "2025-01-10", Fail),
            // The same day does not close it; the first later pass does, not a later one.
            check("A", "rope", "2025-01-10", Pass),
            check("A", "rope", "2025-03-01", Pass),
            check("A", "rope", "2025-02-01", Pass),
            // Another category's pass, another enterprise's pass: not this group's.
            check("A", "cable", "2025-01-20", Pass),
            check("B", "rope", "2025-01-15", Pass),
            check("B", "rope", "2025-01-12", Fail),
            check("B", "rope", "2025-03-01", Pass),
            check("A", "cable", "2025-01-20", Fail),
            // An enterprise not stored: its failure is listed, its checks not counted.
            check("C", "rope", "2025-01-10", Fail),
        ] {
            tally.check(&c);
        }
        let prefectures: HashMap<String, String> = [("A", "650100"), ("B", "650100")]
            .into_iter()
            .map(|(c, p)| (c.to_string(), p.to_string()))
            .collect();
        let derived = tally.derive(&prefectures);
        assert_eq!(
            rows(&derived, Tallied::FailedChecks),
            [
                "A cable 2025-01-20 - -",
                "A rope 2025-01-10 - 2025-02-01",
                "B rope 2025-01-12 - 2025-01-15",
                "C rope 2025-01-10 - -",
            ]
        );
        assert_eq!(
            rows(&derived, Tallied::CheckCounts),
            [
                "2025-01-10 650100 rope fail 1",
                "2025-01-10 650100 rope pass 1",
                "2025-01-12 650100 rope fail 1",
                "2025-01-15 650100 rope pass 1",
                "2025-01-20 650100 cable fail 1",
                "2025-01-20 650100 cable pass 1",
                "2025-02-01 650100 rope pass 1",
                // Two enterprises of one prefecture, one count.
                "2025-03-01 650100 rope pass 2",
            ]
        );
    }
}
