//! The random source of the synthetic data and its small helpers: picks, weighted picks, days and
//! working days, names, places and valid credit codes.

use chrono::{Days, NaiveDate};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::vocabulary::{GIVEN, SURNAMES, UYGHUR_NAMES};
use crate::calendar::Calendar;
use crate::credit_code::CreditCode;
use crate::divisions::Division;

pub(super) struct Generator<'a> {
    pub(super) rng: ChaCha8Rng,
    pub(super) calendar: &'a Calendar,
    pub(super) as_of: NaiveDate,
}

impl Generator<'_> {
    pub(super) fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.rng.random_range(0..items.len())]
    }

    pub(super) fn weighted<'t, T>(&mut self, items: &'t [T], weight: impl Fn(&T) -> u32) -> &'t T {
        let total: u32 = items.iter().map(&weight).sum();
        let mut x = self.rng.random_range(0..total);
        for item in items {
            let w = weight(item);
            if x < w {
                return item;
            }
            x -= w;
        }
        items.last().expect("non-empty")
    }

    pub(super) fn chance(&mut self, percent: u32) -> bool {
        self.rng.random_range(0..100) < percent
    }

    pub(super) fn day_between(&mut self, from: NaiveDate, to: NaiveDate) -> NaiveDate {
        let span = (to - from).num_days().max(0) as u64;
        from + Days::new(self.rng.random_range(0..=span))
    }

    pub(super) fn workdays_after(&mut self, day: NaiveDate, low: i64, high: i64) -> NaiveDate {
        let n = self.rng.random_range(low..=high);
        self.calendar.add(day, n).map(|d| d.value).unwrap_or(day)
    }

    pub(super) fn person_name(&mut self) -> String {
        if self.chance(25) {
            self.pick(UYGHUR_NAMES).to_string()
        } else {
            let given: String = (0..self.rng.random_range(1..=2))
                .map(|_| *self.pick(GIVEN))
                .collect();
            format!("{}{given}", self.pick(SURNAMES))
        }
    }
}

/// The place part of a county's name, as companies use it (昌吉市 → 昌吉).
pub(super) fn place(county: &Division) -> String {
    let name = county.name.as_str();
    let stripped = ["自治县", "县", "市", "区"]
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(name);
    stripped.chars().take(4).collect()
}

/// A unique, valid credit code for the `index`-th enterprise: the organisation part walks the
/// code space by a step coprime with 31⁹, so no two indices collide.
pub(super) fn credit_code(index: usize, county: &str) -> CreditCode {
    const SPACE: u64 = 31u64.pow(9);
    let mut n = (index as u64 * 387_420_489 + 1_000_003) % SPACE;
    let mut org = [' '; 9];
    for slot in org.iter_mut().rev() {
        *slot = CreditCode::alphabet_char((n % 31) as usize);
        n /= 31;
    }
    let org: String = org.iter().collect();
    CreditCode::complete(&format!("91{county}{org}")).expect("alphabet characters only")
}
