//! What the risk model reads (licences, reviews, spot checks counted per day at ingest, failed checks
//! and violations per enterprise) and what it keeps: each period's assessment and the tiers.

use chrono::NaiveDate;
use sqlx::Row;

use super::conn::Conn;
use super::{Param, Store, StoreError, decode, decode_rows, with_pool};
use crate::model::{CheckResult, LicenceStatus, Procedure, ReviewOutcome, ViolationKind};
use crate::risk::{
    CategoryRisk, CheckCount, EnterpriseTier, LicenceRow, ReviewRow, StoredRisk, Window, Windows,
};

/// Everything the category model and the tiers read, for one scope.
#[derive(Debug, Default)]
pub struct RiskInputs {
    pub licences: Vec<LicenceRow>,
    /// The prefecture of each licence's enterprise (parallel to `licences`).
    pub licence_prefectures: Vec<String>,
    pub reviews: Vec<ReviewRow>,
    pub checks: Vec<CheckCount>,
    /// The prefecture of each count's enterprises (parallel to `checks`).
    pub check_prefectures: Vec<String>,
    pub failed_checks: Vec<(String, NaiveDate)>,
    pub violations: Vec<(String, NaiveDate, ViolationKind)>,
}

impl RiskInputs {
    /// The licences, reviews and check counts of one prefecture (the tiers' record is not copied).
    pub fn only(&self, prefecture: &str) -> RiskInputs {
        let mut out = RiskInputs::default();
        for (l, p) in self.licences.iter().zip(&self.licence_prefectures) {
            if p == prefecture {
                out.licences.push(l.clone());
                out.licence_prefectures.push(p.clone());
            }
        }
        let kept: foldhash::HashSet<&str> =
            out.licences.iter().map(|l| l.licence_no.as_str()).collect();
        out.reviews = self
            .reviews
            .iter()
            .filter(|r| kept.contains(r.licence_no.as_str()))
            .cloned()
            .collect();
        for (c, p) in self.checks.iter().zip(&self.check_prefectures) {
            if p == prefecture {
                out.checks.push(c.clone());
                out.check_prefectures.push(p.clone());
            }
        }
        out
    }
}

/// `$1`: prefecture code or NULL for the whole region.
const IN_SCOPE: &str =
    "($1 IS NULL OR credit_code IN (SELECT credit_code FROM enterprises WHERE prefecture = $1))";

/// The scope key history is stored under.
pub fn scope_key(prefecture: Option<&str>) -> &str {
    prefecture.unwrap_or("all")
}

impl Store {
    /// Reads the model's inputs. Spot checks arrive summed per (window, prefecture, category,
    /// result) from the per-day counts every load keeps (`check_counts`): the national store's
    /// 229,347 daily counts of the two windows are read as 952 rows. The failed checks and
    /// violations the tiers read come only with `tier_history_from`.
    pub async fn risk_inputs(
        &self,
        prefecture: Option<&str>,
        w: &Windows,
        tier_history_from: Option<NaiveDate>,
    ) -> Result<RiskInputs, StoreError> {
        let licences_sql = "SELECT l.licence_no, l.credit_code, l.category, l.procedure, l.status, \
             l.grant_date, l.renewal_direct, e.prefecture FROM licences l \
             JOIN enterprises e ON e.credit_code = l.credit_code WHERE ($1 IS NULL OR e.prefecture = $1)";
        let reviews_sql = format!(
            "SELECT licence_no, review_date, outcome FROM onsite_reviews WHERE review_date <= $2 \
             AND licence_no IN (SELECT licence_no FROM licences WHERE {IN_SCOPE})"
        );
        // `current` as `Windows::of` says it: (start, as_of] against (previous_start, start].
        let checks_sql = "SELECT prefecture, category, result, check_date > $4 AS current, \
             CAST(SUM(n) AS BIGINT) AS n FROM check_counts \
             WHERE check_date > $2 AND check_date <= $3 AND ($1 IS NULL OR prefecture = $1) \
             GROUP BY 1, 2, 3, 4";
        // Every failed check is kept apart at load (`failed_checks`, a tenth of `spot_checks`).
        let failed_sql = format!(
            "SELECT credit_code, check_date FROM failed_checks \
             WHERE check_date > $2 AND check_date <= $3 AND {IN_SCOPE}"
        );
        let violations_sql = format!(
            "SELECT credit_code, date, kind FROM violations WHERE date <= $2 AND {IN_SCOPE}"
        );
        let p = prefecture;
        // The reads run at once, each on its own connection and decoded as its rows arrive.
        let (licences, reviews, checks, failed_checks, violations) = with_pool!(self, pool => {
            tokio::try_join!(
                decode_rows(sqlx::query(licences_sql).bind(p).fetch(pool), |r| {
                    Ok((LicenceRow {
                        licence_no: r.get("licence_no")?,
                        credit_code: r.get("credit_code")?,
                        category: r.get("category")?,
                        simplified: decode("licences.procedure", r.get("procedure")?, Procedure::parse)?
                            == Procedure::Simplified,
                        active: decode("licences.status", r.get("status")?, LicenceStatus::parse)?
                            == LicenceStatus::Active,
                        grant_date: r.get("grant_date")?,
                        renewal_direct: r.get::<Option<bool>>("renewal_direct")?.unwrap_or(false),
                    }, r.get::<String>("prefecture")?))
                }),
                decode_rows(sqlx::query(sqlx::AssertSqlSafe(reviews_sql)).bind(p).bind(w.as_of).fetch(pool), |r| {
                    Ok(ReviewRow {
                        licence_no: r.get("licence_no")?,
                        review_date: r.get("review_date")?,
                        outcome: decode("onsite_reviews.outcome", r.get("outcome")?, ReviewOutcome::parse)?,
                    })
                }),
                decode_rows(sqlx::query(checks_sql).bind(p).bind(w.previous_start).bind(w.as_of).bind(w.start).fetch(pool), |r| {
                    Ok((CheckCount {
                        category: r.get("category")?,
                        window: if r.get("current")? { Window::Current } else { Window::Previous },
                        failed: decode("spot_checks.result", r.get("result")?, CheckResult::parse)?
                            == CheckResult::Fail,
                        n: u64::try_from(r.get::<i64>("n")?).unwrap_or(0),
                    }, r.get::<String>("prefecture")?))
                }),
                // The tiers' record, only when the tiers are asked for.
                async {
                    let Some(from) = tier_history_from else {
                        return Ok(Vec::new());
                    };
                    decode_rows(sqlx::query(sqlx::AssertSqlSafe(failed_sql)).bind(p).bind(from).bind(w.as_of).fetch(pool), |r| {
                        Ok((r.get("credit_code")?, r.get("check_date")?))
                    }).await
                },
                async {
                    if tier_history_from.is_none() {
                        return Ok(Vec::new());
                    }
                    decode_rows(sqlx::query(sqlx::AssertSqlSafe(violations_sql)).bind(p).bind(w.as_of).fetch(pool), |r| {
                        Ok((
                            r.get("credit_code")?,
                            r.get("date")?,
                            decode("violations.kind", r.get("kind")?, ViolationKind::parse)?,
                        ))
                    }).await
                },
            )
        })?;
        let (licences, licence_prefectures) = licences.into_iter().unzip();
        let (checks, check_prefectures) = checks.into_iter().unzip();
        Ok(RiskInputs {
            licences,
            licence_prefectures,
            reviews,
            checks,
            check_prefectures,
            failed_checks,
            violations,
        })
    }

    /// Stores a period's assessment for a scope, replacing any earlier computation of that period.
    pub async fn save_risk(
        &self,
        period: &str,
        scope: &str,
        as_of: NaiveDate,
        rows: &[CategoryRisk],
    ) -> Result<(), StoreError> {
        const DELETE: &str = "DELETE FROM risk_categories WHERE period = $1 AND scope = $2";
        const INSERT: &str = "INSERT INTO risk_categories \
            (period, scope, category, as_of, level, score, rank, insufficient_data, factors, computed_at) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        let now = crate::clock::now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(DELETE).bind(period).bind(scope).execute(&mut *tx).await?;
            for r in rows {
                let factors = serde_json::to_string(r).expect("a risk row serialises");
                sqlx::query(INSERT)
                    .bind(period)
                    .bind(scope)
                    .bind(&r.category_code)
                    .bind(as_of)
                    .bind(i16::from(r.level))
                    .bind(r.score)
                    .bind(r.rank as i32)
                    .bind(r.insufficient_data)
                    .bind(factors)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Every stored period of `scope` before `period`, newest first.
    pub async fn risk_history(
        &self,
        scope: &str,
        period: &str,
    ) -> Result<Vec<StoredRisk>, StoreError> {
        const SQL: &str = "SELECT period, as_of, category, level, score, rank FROM risk_categories \
                           WHERE scope = $1 AND period < $2 ORDER BY period DESC, rank";
        with_pool!(self, pool => {
            let rows = sqlx::query(SQL).bind(scope).bind(period).fetch_all(pool).await?;
            rows.iter()
                .map(|r| {
                    Ok(StoredRisk {
                        period: r.try_get("period")?,
                        as_of: r.try_get("as_of")?,
                        category_code: r.try_get("category")?,
                        level: u8::try_from(r.try_get::<i16, _>("level")?).unwrap_or(4),
                        score: r.try_get("score")?,
                        rank: u32::try_from(r.try_get::<i32, _>("rank")?).unwrap_or(0),
                    })
                })
                .collect()
        })
    }

    /// How many periods of `scope` are stored (the history tests and `risk` read it).
    pub async fn risk_periods(&self, scope: &str) -> Result<Vec<String>, StoreError> {
        const SQL: &str =
            "SELECT DISTINCT period FROM risk_categories WHERE scope = $1 ORDER BY period";
        with_pool!(self, pool => {
            let rows = sqlx::query(SQL).bind(scope).fetch_all(pool).await?;
            rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
        })
    }

    /// Records enterprise tiers for a period, replacing that period's tiers of these enterprises;
    /// the draw reads the latest period up to its own week.
    pub async fn set_tiers(
        &self,
        period: &str,
        tiers: &[EnterpriseTier],
    ) -> Result<(), StoreError> {
        const DELETE: &str = "DELETE FROM enterprise_tiers WHERE period = $1 AND credit_code IN \
                              (SELECT credit_code FROM tiers_stage)";
        const STORED: &str =
            "SELECT COUNT(*) FROM (SELECT 1 FROM enterprise_tiers WHERE period = $1 LIMIT 1) AS t";
        // In key order: the primary key's B-tree is then filled left to right.
        let mut tiers: Vec<&EnterpriseTier> = tiers.iter().collect();
        tiers.sort_unstable_by(|a, b| a.credit_code.cmp(&b.credit_code));
        let rows: Vec<Vec<Param>> = tiers
            .iter()
            .map(|t| {
                vec![
                    (&t.credit_code).into(),
                    period.into(),
                    format!("{:?}", t.tier).as_str().into(),
                    Param::Int(i64::from(t.points)),
                    (&t.reasons).into(),
                ]
            })
            .collect();
        let columns = ["credit_code", "period", "tier", "points", "reasons"];
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let conn = &mut *tx;
            // A week's first computation (the usual one) has nothing of its own to replace.
            let stored: i64 = sqlx::query_scalar(STORED).bind(period).fetch_one(&mut *conn).await?;
            if stored > 0 {
                Conn::execute(conn, "CREATE TEMPORARY TABLE tiers_stage (credit_code TEXT PRIMARY KEY)".into(), vec![]).await?;
                let codes = tiers.iter().map(|t| vec![(&t.credit_code).into()]).collect();
                conn.bulk_insert("tiers_stage", &["credit_code"], codes).await?;
                Conn::execute(conn, DELETE.into(), vec![period.into()]).await?;
                Conn::execute(conn, "DROP TABLE tiers_stage".into(), vec![]).await?;
            }
            conn.bulk_insert("enterprise_tiers", &columns, rows).await?;
            // A week's tiers replace the last: the draw's read of the latest tier per enterprise
            // should not be planned from statistics of a table half its size (0.9 s against 0.4).
            Conn::execute(conn, "ANALYZE enterprise_tiers".into(), vec![]).await?;
            tx.commit().await?;
            Ok(())
        })
    }
}
