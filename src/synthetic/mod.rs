//! Synthetic but realistic supervision data for `licwatch demo`: Xinjiang's divisions, valid credit
//! codes, licences across the 17 categories granted 2018–today under both procedures, reviews on time
//! and late, renewals in their window, inspectors with qualifications, spot-check history with
//! failures, conflicts of interest and violations. A pure function of (scale, seed, as-of date).

mod delta;
mod generator;
mod vocabulary;

pub use delta::week_after;

use std::collections::HashSet;

use chrono::{Datelike, Days, NaiveDate};
use clap::ValueEnum;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::calendar::Calendar;
use crate::catalogue::{Catalogue, Category};
use crate::credit_code::CreditCode;
use crate::deadlines::validity_end;
use crate::divisions::{Division, Divisions};
use crate::model::{
    CheckResult, Conflict, Enterprise, Inspector, Licence, LicenceStatus, OnsiteReview, Procedure,
    ReviewOutcome, SpotCheck, Violation, ViolationKind,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scale {
    /// About 300 enterprises: a quick look.
    Small,
    /// About 5,000 enterprises: one province.
    Province,
    /// About 200,000 enterprises and 5,000,000 spot checks: the national benchmark.
    National,
}

impl Scale {
    /// (enterprises, inspectors, spot checks per enterprise and category since 2018, at most this
    /// many more within the last year — the campaigns of the risk window, dense enough at the small
    /// scale for most categories to be ranked on their own data)
    fn sizes(self) -> (usize, usize, usize, usize) {
        match self {
            Scale::Small => (300, 60, 3, 5),
            Scale::Province => (5_000, 600, 5, 2),
            Scale::National => (200_000, 50_000, 20, 1),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub enterprises: Vec<Enterprise>,
    pub licences: Vec<Licence>,
    pub reviews: Vec<OnsiteReview>,
    pub inspectors: Vec<Inspector>,
    pub spot_checks: Vec<SpotCheck>,
    pub conflicts: Vec<Conflict>,
    pub violations: Vec<Violation>,
}

use generator::{Generator, credit_code, place};
use vocabulary::*;

pub fn generate(
    scale: Scale,
    seed: u64,
    as_of: NaiveDate,
    calendar: &Calendar,
    catalogue: &Catalogue,
    divisions: &Divisions,
) -> Dataset {
    let (n_enterprises, n_inspectors, checks_each, recent_each) = scale.sizes();
    let mut g = Generator {
        rng: ChaCha8Rng::seed_from_u64(seed),
        calendar,
        as_of,
    };
    let categories: Vec<&Category> = catalogue.in_scope().collect();
    let prefectures: Vec<&Division> = divisions.prefectures().collect();
    let mut data = Dataset::default();
    let mut licence_seq = 0usize;
    let mut check_seq = 0usize;

    for i in 0..n_enterprises {
        let prefecture = *g.weighted(&prefectures, |p| economic_weight(&p.code));
        let counties: Vec<&Division> = divisions.counties_of(&prefecture.code).collect();
        let county = *g.pick(&counties);
        let main = *g.weighted(&categories, |c| prevalence(&c.code));
        let code = credit_code(i, &county.code);
        let name = format!(
            "新疆{}{}{}{}",
            place(county),
            g.pick(TRADE_NAMES),
            trade_word(&main.code),
            g.pick(COMPANY_FORMS)
        );
        let address = format!(
            "{}{}{}路{}号",
            prefecture.name,
            county.name,
            g.pick(ROADS),
            g.rng.random_range(1..=999)
        );
        let email = g.chance(80).then(|| format!("qy{i:06}@example.com"));
        data.enterprises.push(Enterprise {
            credit_code: code.to_string(),
            name,
            prefecture: prefecture.code.clone(),
            county: county.code.clone(),
            address: Some(address),
            email,
        });

        let mut held = vec![main];
        if g.chance(25) {
            let second = *g.weighted(&categories, |c| prevalence(&c.code));
            if second.code != main.code {
                held.push(second);
            }
        }
        // Some prefectures issue simplified licences by the region's delegation (measures 二(二)).
        let delegated = g.chance(35).then(|| prefecture.code.clone());
        // 一企一证 (二(三)7): half the enterprises with two products hold one certificate for both.
        let one_certificate = held.len() > 1 && g.chance(50);
        let first_licence = data.licences.len();
        for (k, category) in held.into_iter().enumerate() {
            if k > 0 && one_certificate {
                let same: Vec<Licence> = data.licences[first_licence..]
                    .iter()
                    .map(|l| Licence {
                        category: category.code.clone(),
                        ..l.clone()
                    })
                    .collect();
                data.licences.extend(same);
            } else {
                let number = categories
                    .iter()
                    .position(|c| c.code == category.code)
                    .map_or(0, |p| p + 1);
                let issued = Issued {
                    category,
                    number,
                    delegated: delegated.as_deref(),
                };
                licence_history(&mut g, &mut data, &code, &issued, &mut licence_seq);
            }
            spot_check_history(
                &mut g,
                &mut data,
                &code,
                category,
                (checks_each, recent_each),
                &mut check_seq,
            );
        }
        if g.chance(3) {
            let from = as_of - Days::new(3 * 365);
            let (kind, description) = match g.rng.random_range(0..100) {
                0..15 => (
                    ViolationKind::SeriousDishonesty,
                    g.pick(VIOLATION_TEXTS).to_string(),
                ),
                15..22 => (
                    ViolationKind::ImproperGrant,
                    "提交虚假检验报告骗取许可".to_string(),
                ),
                22..32 => (
                    ViolationKind::RefusedSupervision,
                    "拒绝证后监督检查".to_string(),
                ),
                _ => (
                    ViolationKind::Violation,
                    g.pick(VIOLATION_TEXTS).to_string(),
                ),
            };
            data.violations.push(Violation {
                credit_code: code.to_string(),
                date: g.day_between(from, as_of),
                kind,
                description,
            });
        }
    }

    for i in 0..n_inspectors {
        let prefecture = *g.weighted(&prefectures, |p| economic_weight(&p.code));
        let counties: Vec<&Division> = divisions.counties_of(&prefecture.code).collect();
        let county = *g.pick(&counties);
        let mut qualifications: Vec<String> = (0..g.rng.random_range(2..=5))
            .map(|_| g.pick(&categories).code.clone())
            .collect();
        qualifications.sort();
        qualifications.dedup();
        let id = format!("{}{:06}", prefecture.code, i + 1);
        data.inspectors.push(Inspector {
            email: Some(format!("{id}@scjg.example.gov.cn")),
            inspector_id: id,
            name: g.person_name(),
            prefecture: prefecture.code.clone(),
            county: county.code.clone(),
            qualifications,
            active: g.chance(95),
        });
    }

    // Conflicts of interest: about one inspector in twenty declares one, in their own prefecture.
    for inspector in &data.inspectors {
        if g.rng.random_range(0..20) != 0 {
            continue;
        }
        let local: Vec<&Enterprise> = data
            .enterprises
            .iter()
            .filter(|e| e.prefecture == inspector.prefecture)
            .take(200)
            .collect();
        if local.is_empty() {
            continue;
        }
        let enterprise = *g.pick(&local);
        data.conflicts.push(Conflict {
            inspector_id: inspector.inspector_id.clone(),
            credit_code: enterprise.credit_code.clone(),
            reason: Some(g.pick(CONFLICT_REASONS).to_string()),
        });
    }
    data.conflicts
        .sort_by(|a, b| (&a.inspector_id, &a.credit_code).cmp(&(&b.inspector_id, &b.credit_code)));
    data.conflicts
        .dedup_by(|a, b| a.inspector_id == b.inspector_id && a.credit_code == b.credit_code);
    data.violations.sort_by(|a, b| {
        (&a.credit_code, a.date, a.kind, &a.description).cmp(&(
            &b.credit_code,
            b.date,
            b.kind,
            &b.description,
        ))
    });
    data.violations.dedup();
    late_filing(&mut data, calendar, as_of);
    data
}

/// One renewal filed after its last filing day (二(三)5: no longer direct), which random data holds
/// only now and then: the first active licence expiring in the next 60 days filed one working day
/// late, when its last filing day has passed.
fn late_filing(data: &mut Dataset, calendar: &Calendar, as_of: NaiveDate) {
    let soon = |l: &&mut Licence| {
        l.status == LicenceStatus::Active
            && l.expiry
                .is_some_and(|e| e > as_of && e <= as_of + Days::new(60))
    };
    let Some(l) = data.licences.iter_mut().find(soon) else {
        return;
    };
    let expiry = l.expiry.expect("found by its expiry");
    let Ok(last) = calendar.add(expiry, -30) else {
        return;
    };
    if let Ok(filed) = calendar.add(last.value, 1)
        && filed.value <= as_of
    {
        l.renewal_filed = Some(filed.value);
    }
}

/// One enterprise's licences in one category: the first grant, and a renewal where five years have
/// passed. Reviews, e-certificates and renewal filings follow, some on time and some late.
/// A licence's category and its issuing bureau when delegated.
struct Issued<'a> {
    category: &'a Category,
    /// The category's place in the catalogue, for the licence number.
    number: usize,
    /// The enterprise's prefecture, when its bureau issues by delegation.
    delegated: Option<&'a str>,
}

fn licence_history(
    g: &mut Generator,
    data: &mut Dataset,
    code: &CreditCode,
    issued: &Issued,
    seq: &mut usize,
) {
    let (category, category_number) = (issued.category, issued.number);
    let start = measures_effective().max(category.effective_from);
    let mut grant = g.day_between(start, g.as_of - Days::new(1));
    let mut procedure = if g.chance(65) {
        Procedure::Simplified
    } else {
        Procedure::Standard
    };
    let mut direct = false;
    let mut renews: Option<String> = None;
    let mut major_change = false;
    loop {
        *seq += 1;
        let licence_no = format!(
            "XK{category_number:02}-{}-{:06}",
            &code.division()[..4],
            *seq
        );
        let expiry = validity_end(grant, 5);
        let decision = grant;
        let renew =
            expiry < g.as_of + Days::new(200) && g.chance(if expiry < g.as_of { 75 } else { 45 });
        let last_day = g
            .calendar
            .add(expiry, -30)
            .map(|d| d.value)
            .unwrap_or(expiry);
        // Most file in time; some after the last filing day (filed_late: no direct renewal).
        let renewal_filed = renew.then(|| g.workdays_after(last_day, -50, 15).min(g.as_of));
        let status = if expiry < g.as_of {
            if renew || !g.chance(5) {
                LicenceStatus::Expired
            } else {
                LicenceStatus::Active
            }
        } else if g.chance(4) {
            *g.pick(&[
                LicenceStatus::Revoked,
                LicenceStatus::Cancelled,
                LicenceStatus::Annulled,
            ])
        } else {
            LicenceStatus::Active
        };
        let e_cert = if g.chance(97) {
            Some(g.workdays_after(decision, 1, 12)).filter(|d| *d <= g.as_of)
        } else {
            None
        };
        if procedure == Procedure::Simplified && !direct && g.chance(93) {
            let review_date = g.workdays_after(grant, 5, 40);
            if review_date <= g.as_of {
                let outcome = match g.rng.random_range(0..100) {
                    0..82 => ReviewOutcome::Pass,
                    82..96 => ReviewOutcome::Rectify,
                    _ => ReviewOutcome::Fail,
                };
                data.reviews.push(OnsiteReview {
                    licence_no: licence_no.clone(),
                    review_date,
                    outcome,
                });
            }
        }
        data.licences.push(Licence {
            licence_no,
            credit_code: code.to_string(),
            category: category.code.clone(),
            procedure,
            grant_date: grant,
            expiry: Some(expiry),
            decision_date: Some(decision),
            e_cert_date: e_cert,
            status,
            renewal_filed,
            renewal_direct: direct,
            renews: renews.take(),
            major_change,
            issuer: issued
                .delegated
                .filter(|_| procedure == Procedure::Simplified)
                .map(str::to_string),
        });
        if !(renew && expiry < g.as_of) {
            break;
        }
        // The renewal: granted the day after expiry; directly, as a rule, when filed in time — and
        // now and then by a bureau's slip when it was not, which the 二(三)5 check then catches.
        let in_time = renewal_filed.is_some_and(|f| f <= last_day);
        grant = expiry.succ_opt().expect("not the end of time");
        direct = g.chance(if in_time { 85 } else { 15 });
        major_change = g.chance(4);
        // Most renewals name the licence they renew; some exports leave it out.
        renews = g.chance(85).then(|| {
            data.licences
                .last()
                .expect("pushed above")
                .licence_no
                .clone()
        });
        procedure = Procedure::Simplified;
    }
}

/// Spot checks of one enterprise in one category: about `checks` since the measures took effect,
/// up to `recent` more within the last year (before the last week), and — for the rising category —
/// a failed check in the last week now and then.
fn spot_check_history(
    g: &mut Generator,
    data: &mut Dataset,
    code: &CreditCode,
    category: &Category,
    (checks, recent): (usize, usize),
    seq: &mut usize,
) {
    let (start, year_ago, week_ago) = (
        measures_effective(),
        g.as_of - Days::new(365),
        g.as_of - Days::new(7),
    );
    let rising = category.code == RISING && g.chance(50);
    let mut dates: Vec<(NaiveDate, bool)> = Vec::new();
    for _ in 0..g.rng.random_range(0..=checks * 2) {
        dates.push((g.day_between(start, g.as_of), false));
    }
    for _ in 0..g.rng.random_range(1..=recent.max(1)) {
        dates.push((g.day_between(year_ago, week_ago), false));
    }
    if rising {
        dates.push((g.day_between(week_ago + Days::new(1), g.as_of), true));
    }
    let mut seen = HashSet::new();
    for (date, failed) in dates {
        if !seen.insert(date) {
            continue;
        }
        let fail = failed || g.chance(failure_percent(&category.code));
        let items = fail.then(|| g.pick(FAILED_ITEMS).to_string());
        // Some failures have their follow-up (后处理) recorded as done.
        let disposed = (fail && g.chance(40))
            .then(|| g.workdays_after(date, 10, 60))
            .filter(|d| *d <= g.as_of);
        let campaign = format!("{}-{:02}", date.year(), date.month());
        *seq += 1;
        data.spot_checks.push(SpotCheck {
            check_id: Some(format!("CC{}{:08}", date.year(), *seq)),
            credit_code: code.to_string(),
            category: category.code.clone(),
            check_date: date,
            result: if fail {
                CheckResult::Fail
            } else {
                CheckResult::Pass
            },
            items,
            campaign: Some(campaign),
            disposed,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Procedure;

    fn small() -> Dataset {
        generate(
            Scale::Small,
            7,
            NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            &Calendar::builtin(),
            &Catalogue::builtin(),
            &Divisions::builtin(),
        )
    }

    #[test]
    fn same_seed_same_data() {
        let (a, b) = (small(), small());
        assert_eq!(a.licences, b.licences);
        assert_eq!(a.spot_checks, b.spot_checks);
    }

    #[test]
    fn credit_codes_are_valid_and_unique() {
        let data = small();
        let mut seen = HashSet::new();
        for e in &data.enterprises {
            assert!(
                CreditCode::parse(&e.credit_code).is_ok(),
                "{}",
                e.credit_code
            );
            assert!(seen.insert(e.credit_code.clone()));
        }
    }

    #[test]
    fn the_data_exercises_every_rule() {
        let data = small();
        let catalogue = Catalogue::builtin();
        assert!(
            data.licences
                .iter()
                .all(|l| catalogue.resolve(&l.category).is_ok())
        );
        assert!(
            data.licences
                .iter()
                .any(|l| l.procedure == Procedure::Simplified)
        );
        assert!(
            data.licences
                .iter()
                .any(|l| l.procedure == Procedure::Standard)
        );
        assert!(data.licences.iter().any(|l| l.renewal_direct));
        assert!(data.licences.iter().any(|l| l.renewal_filed.is_some()));
        // 一企一证: a licence number covering two categories.
        let mut numbers = HashSet::new();
        assert!(data.licences.iter().any(|l| !numbers.insert(&l.licence_no)));
        // A delegated issuer, a renewal linked to the licence it renews, one filed late.
        assert!(data.licences.iter().any(|l| l.issuer.is_some()));
        assert!(data.licences.iter().any(|l| l.renews.is_some()));
        let calendar = Calendar::builtin();
        assert!(data.licences.iter().any(|l| {
            let last = l.expiry.map(|e| calendar.add(e, -30).unwrap().value);
            l.renewal_filed.zip(last).is_some_and(|(f, last)| f > last)
        }));
        // A failed check of a standard-procedure licence's category (后处理 whatever the procedure).
        let standard: HashSet<(&str, &str)> = data
            .licences
            .iter()
            .filter(|l| l.procedure == Procedure::Standard)
            .map(|l| (l.credit_code.as_str(), l.category.as_str()))
            .collect();
        assert!(
            data.spot_checks
                .iter()
                .any(|c| c.result == CheckResult::Fail
                    && standard.contains(&(c.credit_code.as_str(), c.category.as_str())))
        );
        assert!(
            data.reviews
                .iter()
                .any(|r| r.outcome == ReviewOutcome::Fail)
        );
        assert!(
            data.spot_checks
                .iter()
                .any(|c| c.result == CheckResult::Fail)
        );
        assert!(!data.inspectors.is_empty() && !data.conflicts.is_empty());
        let keys: HashSet<String> = data.spot_checks.iter().map(SpotCheck::key).collect();
        assert_eq!(keys.len(), data.spot_checks.len());
    }
}
