//! Reading licences with what the deadline rules need: their enterprise and names, their on-site
//! reviews, the failed spot checks and the violations of their enterprise.

use foldhash::HashMap;

use chrono::NaiveDate;
use rayon::prelude::*;
use sqlx::Row;

use super::{Store, StoreError, decode, decode_rows, with_pool};
use crate::deadlines::{FailedCheck, LicenceFacts, Renewed, Subject};
use crate::model::{
    CheckResult, Enterprise, Licence, LicenceStatus, OnsiteReview, Procedure, ReviewOutcome,
    SpotCheck, ViolationKind,
};

/// A [`SpotCheck`] from a row holding the `spot_checks` columns (expanded per engine, inside
/// `with_pool!`).
macro_rules! spot_check {
    ($r:expr) => {
        Ok::<_, StoreError>(SpotCheck {
            check_id: if $r.try_get("has_check_id")? {
                Some($r.try_get("check_key")?)
            } else {
                None
            },
            credit_code: $r.try_get("credit_code")?,
            category: $r.try_get("category")?,
            check_date: $r.try_get("check_date")?,
            result: decode(
                "spot_checks.result",
                $r.try_get("result")?,
                CheckResult::parse,
            )?,
            items: $r.try_get("items")?,
            campaign: $r.try_get("campaign")?,
            disposed: $r.try_get("disposed")?,
        })
    };
}
pub(crate) use spot_check;

/// Which column spot checks are looked up by.
#[derive(Debug, Clone, Copy)]
enum SpotCheckFilter {
    Enterprise,
    Campaign,
}

/// Which licences to read: all, one prefecture's, one enterprise's; active only or all statuses.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub prefecture: Option<String>,
    pub credit_code: Option<String>,
    pub active_only: bool,
}

/// Unordered: the list is put in order in memory (`one_per_licence`), so its rows stream as the
/// join makes them instead of waiting on a sort of every licence. The prefecture's and the
/// category's names are looked up in memory: joined, they were two more strings on each of 320,000
/// rows.
const LICENCES: &str = "\
SELECT l.licence_no, l.credit_code, l.category, l.procedure, l.grant_date, l.expiry, l.decision_date,
       l.e_cert_date, l.status, l.renewal_filed, l.renewal_direct, l.renews, l.major_change, l.issuer,
       e.name AS enterprise, e.prefecture
FROM licences l
JOIN enterprises e ON e.credit_code = l.credit_code
WHERE ($1 IS NULL OR e.prefecture = $1)
  AND ($2 IS NULL OR e.credit_code = $2)
  AND ($3 = FALSE OR l.status = 'active')";

// The reads below pick their rows by the enterprise's credit code. Unscoped, a custom plan folds
// the whole condition away and the table is read alone (a national week's failed checks: 250 ms
// joined with the enterprises, 40 ms alone); rows beyond the licences read are ignored in memory.

/// The licences that licences in scope renew (延续), one row each: read apart from the licence
/// list, whose join with this aggregate over every licence doubled its time.
const RENEWED: &str = "\
SELECT o.licence_no, MIN(o.grant_date) AS grant_date, MAX(o.expiry) AS expiry,
       MAX(o.renewal_filed) AS renewal_filed
FROM licences o
WHERE o.licence_no IN (SELECT l.renews FROM licences l
                       WHERE ($1 IS NULL OR l.credit_code IN (SELECT credit_code FROM enterprises WHERE prefecture = $1))
                         AND ($2 IS NULL OR l.credit_code = $2))
GROUP BY o.licence_no";

const REVIEWS: &str = "\
SELECT r.licence_no, r.review_date, r.outcome
FROM onsite_reviews r
WHERE ($1 IS NULL AND $2 IS NULL)
   OR EXISTS (SELECT 1 FROM licences l JOIN enterprises e ON e.credit_code = l.credit_code
              WHERE l.licence_no = r.licence_no
                AND ($1 IS NULL OR e.prefecture = $1) AND ($2 IS NULL OR e.credit_code = $2))
ORDER BY r.licence_no, r.review_date";

/// Failed checks, each with the first later passing check of the same enterprise and category (which
/// closes its follow-up) and its recorded disposal: kept by every spot-check load (`failed_checks`).
const FAILED_CHECKS: &str = "\
SELECT f.credit_code, f.category, f.check_date, f.disposed, f.passed_after
FROM failed_checks f
WHERE ($1 IS NULL OR f.credit_code IN (SELECT credit_code FROM enterprises WHERE prefecture = $1))
  AND ($2 IS NULL OR f.credit_code = $2)";

const VIOLATIONS: &str = "\
SELECT v.credit_code, v.date, v.kind
FROM violations v
WHERE ($1 IS NULL OR v.credit_code IN (SELECT credit_code FROM enterprises WHERE prefecture = $1))
  AND ($2 IS NULL OR v.credit_code = $2)";

/// The licence rows (each with its category's ordinal) as one subject per licence and status, by
/// licence number, with the category codes of each: a licence covering several products (一企一证)
/// comes as one row per category, and its names are listed in the catalogue's order. A product
/// cancelled or revoked on its own makes a subject of its own, so a read of every status holds the
/// very subjects an active-only read gives, and the flags of both are the same.
fn one_per_licence(rows: Vec<(i64, Subject)>) -> (Vec<Subject>, Vec<Vec<String>>) {
    fn key((ordinal, s): &(i64, Subject)) -> (&String, LicenceStatus, i64) {
        (&s.licence.licence_no, s.licence.status, *ordinal)
    }
    // Sorted: each row's index beside its number's first 16 bytes (a national licence number is
    // 16 bytes), so most comparisons are of two integers in the array itself rather than of two
    // strings behind two pointers into 400-byte subjects; the whole key settles the rest.
    let mut order: Vec<(u128, u32)> = rows
        .iter()
        .enumerate()
        .map(|(i, (_, s))| (leading_bytes(&s.licence.licence_no), i as u32))
        .collect();
    order.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| key(&rows[a.1 as usize]).cmp(&key(&rows[b.1 as usize])))
    });
    let mut subjects: Vec<Subject> = Vec::with_capacity(rows.len());
    let mut categories: Vec<Vec<String>> = Vec::with_capacity(rows.len());
    let mut rows: Vec<Option<Subject>> = rows.into_iter().map(|(_, s)| Some(s)).collect();
    for (_, i) in order {
        let row = rows[i as usize].take().expect("each row once");
        if let Some(last) = subjects.last_mut().filter(|s| {
            (&s.licence.licence_no, s.licence.status)
                == (&row.licence.licence_no, row.licence.status)
        }) {
            last.category_name.push('、');
            last.category_name.push_str(&row.category_name);
            categories
                .last_mut()
                .expect("one per subject")
                .push(row.licence.category);
            continue;
        }
        categories.push(vec![row.licence.category.clone()]);
        subjects.push(row);
    }
    (subjects, categories)
}

/// A text's first 16 bytes as a big-endian number, zero-padded: two texts' numbers are in the
/// texts' byte order, unless equal (a tie the texts themselves settle).
fn leading_bytes(text: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let n = text.len().min(16);
    bytes[..n].copy_from_slice(&text.as_bytes()[..n]);
    u128::from_be_bytes(bytes)
}

impl Store {
    /// The licences in `scope`, each with its facts, by licence number.
    pub async fn subjects(&self, scope: &Scope) -> Result<Vec<Subject>, StoreError> {
        let (p, c) = (scope.prefecture.as_deref(), scope.credit_code.as_deref());
        let (catalogue, divisions) = tokio::try_join!(self.catalogue(), self.divisions())?;
        // The five reads run at once, each on its own connection and decoded as its rows arrive:
        // read one after the other, they took 2.1 s of a 3.8 s national `deadlines`. (Decoding the
        // licences on a task of their own, on the other core, gained nothing: their rows come no
        // faster than one core decodes them.)
        let (rows, renewed, reviews, failed, violations) = with_pool!(self, pool => {
            tokio::try_join!(
                decode_rows(
                    sqlx::query(LICENCES).bind(p).bind(c).bind(scope.active_only).fetch(pool),
                    |r| {
                        let category: String = r.get("category")?;
                        let listed = catalogue.by_code(&category).ok_or_else(|| StoreError::Unknown {
                            column: "licences.category",
                            value: category.clone(),
                        })?;
                        let prefecture: String = r.get("prefecture")?;
                        let prefecture_name = divisions.by_code(&prefecture).ok_or_else(|| StoreError::Unknown {
                            column: "enterprises.prefecture",
                            value: prefecture.clone(),
                        })?.name.clone();
                        Ok((listed.ordinal, Subject {
                            licence: Licence {
                                licence_no: r.get("licence_no")?,
                                credit_code: r.get("credit_code")?,
                                category,
                                procedure: decode("licences.procedure", r.get("procedure")?, Procedure::parse)?,
                                grant_date: r.get("grant_date")?,
                                expiry: r.get("expiry")?,
                                decision_date: r.get("decision_date")?,
                                e_cert_date: r.get("e_cert_date")?,
                                status: decode("licences.status", r.get("status")?, LicenceStatus::parse)?,
                                renewal_filed: r.get("renewal_filed")?,
                                renewal_direct: r.get("renewal_direct")?,
                                renews: r.get("renews")?,
                                major_change: r.get("major_change")?,
                                issuer: r.get("issuer")?,
                            },
                            enterprise: r.get("enterprise")?,
                            prefecture,
                            prefecture_name,
                            category_name: listed.name_zh.clone(),
                            facts: LicenceFacts::default(),
                        }))
                    },
                ),
                decode_rows(sqlx::query(RENEWED).bind(p).bind(c).fetch(pool), |r| {
                    Ok(Renewed {
                        licence_no: r.get("licence_no")?,
                        grant_date: r.get("grant_date")?,
                        expiry: r.get("expiry")?,
                        renewal_filed: r.get("renewal_filed")?,
                    })
                }),
                decode_rows(sqlx::query(REVIEWS).bind(p).bind(c).fetch(pool), |r| {
                    Ok(OnsiteReview {
                        licence_no: r.get("licence_no")?,
                        review_date: r.get("review_date")?,
                        outcome: decode("onsite_reviews.outcome", r.get("outcome")?, ReviewOutcome::parse)?,
                    })
                }),
                decode_rows(sqlx::query(FAILED_CHECKS).bind(p).bind(c).fetch(pool), |r| {
                    Ok((r.get::<String>("credit_code")?, r.get::<String>("category")?, FailedCheck {
                        date: r.get("check_date")?,
                        passed_after: r.get("passed_after")?,
                        disposed: r.get("disposed")?,
                    }))
                }),
                decode_rows(sqlx::query(VIOLATIONS).bind(p).bind(c).fetch(pool), |r| {
                    Ok((
                        r.get::<String>("credit_code")?,
                        r.get::<NaiveDate>("date")?,
                        decode("violations.kind", r.get("kind")?, ViolationKind::parse)?,
                    ))
                }),
            )
        })?;
        // The licences are put in order on one core while the other facts are looked up by key on
        // the other; then each licence is given its facts, over the cores.
        let (
            (mut subjects, categories),
            (renewed, reviews_by_licence, failed_by_key, violations_by_code),
        ) = rayon::join(
            || one_per_licence(rows),
            || {
                let renewed: HashMap<String, Renewed> = renewed
                    .into_iter()
                    .map(|r| (r.licence_no.clone(), r))
                    .collect();
                let mut reviews_by_licence: HashMap<String, Vec<OnsiteReview>> = HashMap::default();
                for review in reviews {
                    reviews_by_licence
                        .entry(review.licence_no.clone())
                        .or_default()
                        .push(review);
                }
                // Keyed by the read rows' own strings: a licence's lookup allocates nothing.
                let mut failed_by_key: HashMap<(&str, &str), Vec<FailedCheck>> = HashMap::default();
                for (code, category, check) in &failed {
                    failed_by_key
                        .entry((code.as_str(), category.as_str()))
                        .or_default()
                        .push(*check);
                }
                let mut violations_by_code: HashMap<String, Vec<(NaiveDate, ViolationKind)>> =
                    HashMap::default();
                for (code, date, kind) in violations {
                    violations_by_code
                        .entry(code)
                        .or_default()
                        .push((date, kind));
                }
                (
                    renewed,
                    reviews_by_licence,
                    failed_by_key,
                    violations_by_code,
                )
            },
        );
        // A licence's reviews go to its first subject (of the statuses it comes in), as one read.
        let first: Vec<bool> = (0..subjects.len())
            .map(|i| i == 0 || subjects[i - 1].licence.licence_no != subjects[i].licence.licence_no)
            .collect();
        subjects
            .par_iter_mut()
            .zip(categories)
            .zip(first)
            .for_each(|((s, codes), first)| {
                let l = &s.licence;
                s.facts = LicenceFacts {
                    renewed: l.renews.as_ref().and_then(|no| renewed.get(no)).cloned(),
                    reviews: reviews_by_licence
                        .get(&l.licence_no)
                        .filter(|_| first)
                        .cloned()
                        .unwrap_or_default(),
                    // Failures in any of the licence's categories.
                    failed_checks: codes
                        .iter()
                        .flat_map(|c| {
                            failed_by_key
                                .get(&(l.credit_code.as_str(), c.as_str()))
                                .into_iter()
                                .flatten()
                                .cloned()
                        })
                        .collect(),
                    violations: violations_by_code
                        .get(&l.credit_code)
                        .cloned()
                        .unwrap_or_default(),
                };
            });
        Ok(subjects)
    }

    /// The credit code of the enterprise holding `licence_no`, if the licence is known.
    pub async fn licence_holder(&self, licence_no: &str) -> Result<Option<String>, StoreError> {
        const SQL: &str = "SELECT credit_code FROM licences WHERE licence_no = $1 LIMIT 1";
        with_pool!(self, pool => {
            let row = sqlx::query(SQL).bind(licence_no).fetch_optional(pool).await?;
            Ok(row.map(|r| r.try_get("credit_code")).transpose()?)
        })
    }

    pub async fn enterprise(&self, credit_code: &str) -> Result<Option<Enterprise>, StoreError> {
        const SQL: &str = "SELECT credit_code, name, prefecture, county, address, email \
                           FROM enterprises WHERE credit_code = $1";
        with_pool!(self, pool => {
            let Some(r) = sqlx::query(SQL).bind(credit_code).fetch_optional(pool).await? else {
                return Ok(None);
            };
            Ok(Some(Enterprise {
                credit_code: r.try_get("credit_code")?,
                name: r.try_get("name")?,
                prefecture: r.try_get("prefecture")?,
                county: r.try_get("county")?,
                address: r.try_get("address")?,
                email: r.try_get("email")?,
            }))
        })
    }

    /// The spot checks of one enterprise, newest first.
    pub async fn spot_checks_of(&self, credit_code: &str) -> Result<Vec<SpotCheck>, StoreError> {
        self.spot_checks_where(SpotCheckFilter::Enterprise, credit_code)
            .await
    }

    /// The spot checks recorded under a campaign id (任务编号), newest first.
    pub async fn spot_checks_of_campaign(
        &self,
        campaign: &str,
    ) -> Result<Vec<SpotCheck>, StoreError> {
        self.spot_checks_where(SpotCheckFilter::Campaign, campaign)
            .await
    }

    async fn spot_checks_where(
        &self,
        filter: SpotCheckFilter,
        value: &str,
    ) -> Result<Vec<SpotCheck>, StoreError> {
        let sql = match filter {
            SpotCheckFilter::Enterprise => {
                "SELECT check_key, has_check_id, credit_code, category, check_date, result, items, campaign, disposed \
                                            FROM spot_checks WHERE credit_code = $1 ORDER BY check_date DESC"
            }
            SpotCheckFilter::Campaign => {
                "SELECT check_key, has_check_id, credit_code, category, check_date, result, items, campaign, disposed \
                                          FROM spot_checks WHERE campaign = $1 ORDER BY check_date DESC"
            }
        };
        with_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(value).fetch_all(pool).await?;
            rows.iter()
                .map(|r| spot_check!(r))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadlines::test_support::licence;

    fn row(no: &str, ordinal: i64, category: &str, name: &str) -> (i64, Subject) {
        let mut licence = licence("2026-01-05");
        licence.licence_no = no.into();
        licence.category = category.into();
        (
            ordinal,
            Subject {
                licence,
                enterprise: "企业".into(),
                prefecture: "650100".into(),
                prefecture_name: "乌鲁木齐市".into(),
                category_name: name.into(),
                facts: LicenceFacts::default(),
            },
        )
    }

    #[test]
    fn rows_in_any_order_give_one_subject_per_licence_with_its_categories_in_catalogue_order() {
        let rows = vec![
            row("XK-2", 7, "wire-rope", "钢丝绳"),
            row("XK-1", 3, "cable", "电线电缆"),
            row("XK-2", 3, "cable", "电线电缆"),
            row("XK-2", 5, "fasteners", "扣件"),
        ];
        let (subjects, categories) = one_per_licence(rows);
        let listed: Vec<(&str, &str, &str)> = subjects
            .iter()
            .map(|s| {
                (
                    s.licence.licence_no.as_str(),
                    s.licence.category.as_str(),
                    s.category_name.as_str(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                ("XK-1", "cable", "电线电缆"),
                ("XK-2", "cable", "电线电缆、扣件、钢丝绳")
            ]
        );
        assert_eq!(
            categories,
            [vec!["cable"], vec!["cable", "fasteners", "wire-rope"]]
        );
    }

    #[test]
    fn licence_numbers_sharing_their_first_sixteen_bytes_are_still_in_byte_order() {
        let numbers = [
            "XK17-6528-0000012",
            "XK17-6528-000001",
            "XK17-6528-000001\0",
            "XK17-6528-0000011",
            "XK17-6528-00000",
            "XK17-6528-000002",
            "XK",
            "",
        ];
        let rows = numbers
            .iter()
            .map(|n| row(n, 1, "cable", "电线电缆"))
            .collect();
        let (subjects, _) = one_per_licence(rows);
        let listed: Vec<&str> = subjects
            .iter()
            .map(|s| s.licence.licence_no.as_str())
            .collect();
        let mut sorted = numbers.to_vec();
        sorted.sort_unstable();
        assert_eq!(listed, sorted);
    }

    #[test]
    fn a_product_withdrawn_on_its_own_is_a_subject_apart_from_the_licences_active_products() {
        let mut revoked = row("XK-3", 3, "cable", "电线电缆");
        revoked.1.licence.status = LicenceStatus::Revoked;
        let rows = vec![
            row("XK-3", 7, "wire-rope", "钢丝绳"),
            revoked,
            row("XK-3", 5, "fasteners", "扣件"),
        ];
        let (subjects, categories) = one_per_licence(rows);
        let listed: Vec<(LicenceStatus, &str)> = subjects
            .iter()
            .map(|s| (s.licence.status, s.category_name.as_str()))
            .collect();
        // The active subject is what an active-only read makes of the same licence.
        assert_eq!(
            listed,
            [
                (LicenceStatus::Active, "扣件、钢丝绳"),
                (LicenceStatus::Revoked, "电线电缆")
            ]
        );
        assert_eq!(categories, [vec!["fasteners", "wire-rope"], vec!["cable"]]);
    }
}
