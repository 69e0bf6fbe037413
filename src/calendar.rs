//! The statutory working-day calendar (DESIGN.md section 2).
//!
//! Days follow the week (Mon–Fri on) unless the State Council's annual notice lists them: `off` for a
//! holiday day off, `work` for an adjusted working day (调休补班). A regional overlay of the same shape
//! (Xinjiang's 肉孜节 and 古尔邦节) may be laid on top. Years with no notice are computed on weekends alone
//! and every answer that touches them is `provisional`.
//!
//! The calendar is precomputed once into a prefix sum of working days over a fixed span, so `count` is
//! O(1) and `add` is a binary search, O(log n): deadlines are computed for hundreds of thousands of
//! licences at a time.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Serialize;

/// The built-in copy of the statutory calendar, 2007–2026 (the project's own copy of
/// `shared/data/cn-statutory-calendar.csv`).
const BUILTIN: &str = include_str!("../data/calendar/cn-statutory-calendar.csv");

/// First and last day the calendar answers for; far wider than any licence's life.
const SPAN_FIRST_YEAR: i32 = 1949;
const SPAN_LAST_YEAR: i32 = 2199;

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("date {0} is outside the calendar's span ({SPAN_FIRST_YEAR}–{SPAN_LAST_YEAR})")]
    OutOfSpan(NaiveDate),
    #[error("{file}: row {row}: {message}")]
    BadRow {
        file: String,
        row: usize,
        message: String,
    },
    #[error("cannot read calendar file {file}")]
    Io {
        file: String,
        source: std::io::Error,
    },
}

/// Whether a listed day is off or worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Off,
    Work,
}

/// One row of a calendar file: `date,kind,holiday`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub holiday: String,
}

/// A date computed on the calendar, with whether an unpublished year was involved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Dated<T> {
    pub value: T,
    pub provisional: bool,
}

/// Whether the calendar can reach `date` (its span, 1949–2199). Ingest refuses dates outside it.
pub fn in_span(date: NaiveDate) -> bool {
    (SPAN_FIRST_YEAR..=SPAN_LAST_YEAR).contains(&date.year())
}

#[derive(Debug, Clone)]
pub struct Calendar {
    first: NaiveDate,
    /// `prefix[i]`: working days in `[first, first + i]`.
    prefix: Vec<u32>,
    /// Years for which a State Council notice is loaded.
    published: BTreeSet<i32>,
}

impl Calendar {
    /// The statutory calendar shipped with the binary, without any overlay.
    pub fn builtin() -> Self {
        let entries = parse_entries(BUILTIN, "builtin:cn-statutory-calendar.csv")
            .expect("the built-in calendar parses");
        Self::from_layers(&entries, &[])
    }

    /// The built-in calendar, then each later notice file (a new year, or a correction: a later
    /// file wins on the same date), then the regional overlay files.
    pub fn load(notices: &[PathBuf], regional: &[PathBuf]) -> Result<Self, CalendarError> {
        let mut statutory = parse_entries(BUILTIN, "builtin:cn-statutory-calendar.csv")?;
        for path in notices {
            statutory.extend(read_entries(path)?);
        }
        let mut overlay = Vec::new();
        for path in regional {
            overlay.extend(read_entries(path)?);
        }
        Ok(Self::from_layers(&statutory, &overlay))
    }

    /// Builds the calendar from statutory entries and a regional overlay (applied last). A year counts
    /// as published when the statutory entries list at least one day off in it: every notice gives
    /// 元旦 or 春节 days off, while a notice's adjusted working days may fall in the year before.
    pub fn from_layers(statutory: &[CalendarEntry], overlay: &[CalendarEntry]) -> Self {
        let first = NaiveDate::from_ymd_opt(SPAN_FIRST_YEAR, 1, 1).expect("valid");
        let last = NaiveDate::from_ymd_opt(SPAN_LAST_YEAR, 12, 31).expect("valid");
        let len = (last - first).num_days() as usize + 1;

        let mut working: Vec<bool> = (0..len)
            .map(|i| !is_weekend(first + Days::new(i as u64)))
            .collect();
        for entry in statutory.iter().chain(overlay) {
            if entry.date >= first && entry.date <= last {
                working[(entry.date - first).num_days() as usize] = entry.kind == DayKind::Work;
            }
        }
        let published = statutory
            .iter()
            .filter(|e| e.kind == DayKind::Off)
            .map(|e| e.date.year())
            .collect();

        let mut prefix = Vec::with_capacity(len);
        let mut running = 0u32;
        for w in working {
            running += u32::from(w);
            prefix.push(running);
        }
        Calendar {
            first,
            prefix,
            published,
        }
    }

    fn index(&self, date: NaiveDate) -> Result<usize, CalendarError> {
        let i = (date - self.first).num_days();
        if i < 0 || i as usize >= self.prefix.len() {
            return Err(CalendarError::OutOfSpan(date));
        }
        Ok(i as usize)
    }

    fn date_at(&self, i: usize) -> NaiveDate {
        self.first + Days::new(i as u64)
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        let i = self.index(date)?;
        let before = if i == 0 { 0 } else { self.prefix[i - 1] };
        Ok(self.prefix[i] > before)
    }

    /// Whether a State Council notice for `year` is loaded.
    pub fn is_published(&self, year: i32) -> bool {
        self.published.contains(&year)
    }

    /// Whether any year from `a` to `b` (inclusive, either order) has no notice.
    pub fn is_provisional(&self, a: NaiveDate, b: NaiveDate) -> bool {
        let (lo, hi) = if a <= b {
            (a.year(), b.year())
        } else {
            (b.year(), a.year())
        };
        (lo..=hi).any(|y| !self.is_published(y))
    }

    /// `add(D, N)`: the N-th working day after D, D itself not counted; N < 0 counts backwards;
    /// `add(D, 0) = D`.
    pub fn add(&self, date: NaiveDate, n: i64) -> Result<Dated<NaiveDate>, CalendarError> {
        let i = self.index(date)?;
        let value = if n == 0 {
            date
        } else {
            // The k-th working day counted from `first` is the first index whose prefix reaches k.
            let here = i64::from(self.prefix[i]);
            let target = if n > 0 {
                here + n
            } else {
                let worked_today = i64::from(self.is_working_day(date)?);
                here - worked_today + n + 1
            };
            if target < 1 || target > i64::from(*self.prefix.last().expect("non-empty")) {
                return Err(CalendarError::OutOfSpan(date));
            }
            let j = self.prefix.partition_point(|&p| i64::from(p) < target);
            self.date_at(j)
        };
        Ok(Dated {
            value,
            provisional: self.is_provisional(date, value),
        })
    }

    /// `count(A, B)`: working days in (A, B]; `count(A, B) = -count(B, A)` when A > B.
    pub fn count(&self, from: NaiveDate, to: NaiveDate) -> Result<Dated<i64>, CalendarError> {
        let a = i64::from(self.prefix[self.index(from)?]);
        let b = i64::from(self.prefix[self.index(to)?]);
        Ok(Dated {
            value: b - a,
            provisional: self.is_provisional(from, to),
        })
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn read_entries(path: &Path) -> Result<Vec<CalendarEntry>, CalendarError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CalendarError::Io {
        file: file.clone(),
        source,
    })?;
    parse_entries(&text, &file)
}

/// Parses `date,kind,holiday` rows; row numbers in errors count the header as row 1.
pub fn parse_entries(text: &str, file: &str) -> Result<Vec<CalendarEntry>, CalendarError> {
    let bad = |row: usize, message: String| CalendarError::BadRow {
        file: file.to_string(),
        row,
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut entries = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = record.map_err(|e| bad(row, e.to_string()))?;
        let field = |n: usize| record.get(n).unwrap_or("");
        let date = NaiveDate::parse_from_str(field(0), "%Y-%m-%d")
            .map_err(|_| bad(row, format!("date: '{}' is not YYYY-MM-DD", field(0))))?;
        let kind = match field(1) {
            "off" => DayKind::Off,
            "work" => DayKind::Work,
            other => return Err(bad(row, format!("kind: '{other}' is neither off nor work"))),
        };
        entries.push(CalendarEntry {
            date,
            kind,
            holiday: field(2).to_string(),
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn add(cal: &Calendar, s: &str, n: i64) -> String {
        cal.add(d(s), n).unwrap().value.to_string()
    }

    #[test]
    fn add_zero_is_identity_even_on_a_holiday() {
        let cal = Calendar::builtin();
        assert_eq!(add(&cal, "2024-10-01", 0), "2024-10-01");
    }

    #[test]
    fn add_skips_spring_festival_and_counts_adjusted_saturdays() {
        let cal = Calendar::builtin();
        // 2024 春节: off 02-10..02-17, work Sunday 02-04 and Sunday 02-18.
        assert_eq!(add(&cal, "2024-02-08", 1), "2024-02-09");
        assert_eq!(add(&cal, "2024-02-09", 1), "2024-02-18");
        assert_eq!(add(&cal, "2024-02-18", 1), "2024-02-19");
        assert_eq!(add(&cal, "2024-02-03", 1), "2024-02-04");
    }

    #[test]
    fn add_backwards_from_a_day_off_counts_the_previous_working_day_first() {
        let cal = Calendar::builtin();
        // Saturday 2024-03-16: the first working day before it is Friday.
        assert_eq!(add(&cal, "2024-03-16", -1), "2024-03-15");
        assert_eq!(add(&cal, "2024-03-18", -1), "2024-03-15");
        // Across National Day 2024 (off 10-01..10-07, work Sun 09-29 and Sat 10-12).
        assert_eq!(add(&cal, "2024-10-08", -1), "2024-09-30");
        assert_eq!(add(&cal, "2024-10-08", -2), "2024-09-29");
    }

    #[test]
    fn count_is_antisymmetric_and_excludes_the_start() {
        let cal = Calendar::builtin();
        let c = cal.count(d("2024-09-30"), d("2024-10-12")).unwrap().value;
        // 10-08, 10-09, 10-10, 10-11, 10-12 (adjusted Saturday).
        assert_eq!(c, 5);
        assert_eq!(
            cal.count(d("2024-10-12"), d("2024-09-30")).unwrap().value,
            -5
        );
        assert_eq!(
            cal.count(d("2024-10-12"), d("2024-10-12")).unwrap().value,
            0
        );
    }

    /// A day-by-day walk over the raw entries: slow, obviously right, independent of the prefix sums.
    fn naive_is_working(entries: &[CalendarEntry], day: NaiveDate) -> bool {
        match entries.iter().rev().find(|e| e.date == day) {
            Some(e) => e.kind == DayKind::Work,
            None => !is_weekend(day),
        }
    }

    fn naive_add(entries: &[CalendarEntry], mut day: NaiveDate, n: i64) -> NaiveDate {
        let mut left = n.abs();
        while left > 0 {
            day = if n > 0 {
                day.succ_opt().unwrap()
            } else {
                day.pred_opt().unwrap()
            };
            if naive_is_working(entries, day) {
                left -= 1;
            }
        }
        day
    }

    #[test]
    fn add_and_count_match_a_day_by_day_walk_on_every_day_of_2018_to_2026() {
        let entries = parse_entries(BUILTIN, "builtin").unwrap();
        let cal = Calendar::builtin();
        let mut day = d("2018-01-01");
        while day <= d("2026-12-31") {
            assert_eq!(
                cal.is_working_day(day).unwrap(),
                naive_is_working(&entries, day),
                "{day}"
            );
            for n in [-30i64, -10, -1, 1, 10, 30] {
                let got = cal.add(day, n).unwrap().value;
                assert_eq!(got, naive_add(&entries, day, n), "add({day}, {n})");
                let expected = if n > 0 {
                    n
                } else {
                    -(-n - 1) - i64::from(naive_is_working(&entries, day))
                };
                assert_eq!(
                    cal.count(day, got).unwrap().value,
                    expected,
                    "count({day}, {got})"
                );
            }
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn years_without_a_notice_follow_the_week_and_are_provisional() {
        let cal = Calendar::builtin();
        let r = cal.add(d("2026-12-25"), 10).unwrap();
        assert!(r.provisional);
        // 2027-01-01 is a Friday: with no notice it is a working day.
        assert!(cal.is_working_day(d("2027-01-01")).unwrap());
        assert!(!cal.add(d("2026-03-02"), 10).unwrap().provisional);
        assert!(!cal.is_published(2006));
        assert!(cal.is_published(2007) && cal.is_published(2026));
    }

    #[test]
    fn a_later_notice_and_a_regional_overlay_are_data() {
        let notice = parse_entries("date,kind,holiday\n2027-01-01,off,元旦\n", "t").unwrap();
        let overlay = parse_entries("date,kind,holiday\n2026-03-20,off,肉孜节\n", "t").unwrap();
        let mut statutory = parse_entries(BUILTIN, "builtin").unwrap();
        statutory.extend(notice);
        let cal = Calendar::from_layers(&statutory, &overlay);
        assert!(cal.is_published(2027));
        assert!(!cal.is_working_day(d("2027-01-01")).unwrap());
        assert!(!cal.is_working_day(d("2026-03-20")).unwrap());
        assert!(Calendar::builtin().is_working_day(d("2026-03-20")).unwrap());
    }

    #[test]
    fn a_bad_row_names_the_file_and_row() {
        let err = parse_entries(
            "date,kind,holiday\n2027-01-01,off,元旦\n2027-13-01,off,x\n",
            "n.csv",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("n.csv: row 3: date"), "{err}");
    }

    #[test]
    fn dates_outside_the_span_are_refused() {
        let cal = Calendar::builtin();
        assert!(matches!(
            cal.add(d("1900-01-01"), 1),
            Err(CalendarError::OutOfSpan(_))
        ));
    }
}
