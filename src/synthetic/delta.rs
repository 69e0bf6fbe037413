//! The benchmark's weekly delta: one week of new rows after a generated dataset.

use std::collections::HashSet;

use chrono::{Datelike, Days, NaiveDate};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::Dataset;
use super::generator::Generator;
use super::vocabulary::{FAILED_ITEMS, failure_percent};
use crate::calendar::Calendar;
use crate::model::{
    CheckResult, Licence, LicenceStatus, OnsiteReview, Procedure, ReviewOutcome, SpotCheck,
};

/// One week of new rows after `data` (the benchmark's weekly delta): spot checks of about one
/// licence in eight, on-site reviews of about a third of the simplified licences still awaiting
/// one, and electronic certificates pushed for those still missing one — all dated in
/// (as_of, as_of + days].
pub fn week_after(
    data: &Dataset,
    seed: u64,
    as_of: NaiveDate,
    days: u64,
    calendar: &Calendar,
) -> Dataset {
    let mut g = Generator {
        rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_DE17A),
        calendar,
        as_of,
    };
    let (first, last) = (as_of + Days::new(1), as_of + Days::new(days));
    let reviewed: HashSet<&str> = data.reviews.iter().map(|r| r.licence_no.as_str()).collect();
    let mut delta = Dataset::default();
    for (i, l) in data.licences.iter().enumerate() {
        if l.status != LicenceStatus::Active {
            continue;
        }
        if g.chance(12) {
            let date = g.day_between(first, last);
            let fail = g.chance(failure_percent(&l.category));
            delta.spot_checks.push(SpotCheck {
                check_id: Some(format!("CW{}{i:08}", date.format("%Y%m%d"))),
                credit_code: l.credit_code.clone(),
                category: l.category.clone(),
                check_date: date,
                result: if fail {
                    CheckResult::Fail
                } else {
                    CheckResult::Pass
                },
                items: fail.then(|| g.pick(FAILED_ITEMS).to_string()),
                campaign: Some(format!("{}-{:02}", date.year(), date.month())),
                disposed: None,
            });
        }
        if l.procedure == Procedure::Simplified
            && !l.renewal_direct
            && !reviewed.contains(l.licence_no.as_str())
            && g.chance(33)
        {
            delta.reviews.push(OnsiteReview {
                licence_no: l.licence_no.clone(),
                review_date: g.day_between(first, last),
                outcome: *g.pick(&[
                    ReviewOutcome::Pass,
                    ReviewOutcome::Pass,
                    ReviewOutcome::Rectify,
                ]),
            });
        }
        if l.e_cert_date.is_none() {
            delta.licences.push(Licence {
                e_cert_date: Some(g.day_between(first, last)),
                ..l.clone()
            });
        }
    }
    delta
}
