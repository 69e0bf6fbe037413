//! What the reports read beyond the deadline facts: contact details from the two directories, the
//! week's spot checks with names, and the latest draw.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::Row;

use super::facts::spot_check;
use super::{Store, StoreError, decode, with_pool};
use crate::model::{CheckResult, SpotCheck};

/// A spot check with the names a report prints.
#[derive(Debug, Clone)]
pub struct NamedCheck {
    pub check: SpotCheck,
    pub enterprise: String,
    pub prefecture_name: String,
    pub category_name: String,
}

impl Store {
    /// Spot checks dated in (from, to] of enterprises in `prefecture` (all when None), by day and
    /// enterprise name, then by key, so a report lists them in the same order every time.
    pub async fn spot_checks_between(
        &self,
        prefecture: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<NamedCheck>, StoreError> {
        const SQL: &str = "\
SELECT s.check_key, s.has_check_id, s.credit_code, s.category, s.check_date, s.result, s.items, s.campaign, s.disposed,
       e.name AS enterprise, d.name AS prefecture_name, c.name_zh AS category_name
FROM spot_checks s
JOIN enterprises e ON e.credit_code = s.credit_code
JOIN divisions d ON d.code = e.prefecture
JOIN categories c ON c.code = s.category
WHERE s.check_date > $2 AND s.check_date <= $3 AND ($1 IS NULL OR e.prefecture = $1)
ORDER BY s.check_date, e.name, s.check_key";
        with_pool!(self, pool => {
            let rows = sqlx::query(SQL).bind(prefecture).bind(from).bind(to).fetch_all(pool).await?;
            rows.iter()
                .map(|r| {
                    Ok(NamedCheck {
                        check: spot_check!(r)?,
                        enterprise: r.try_get("enterprise")?,
                        prefecture_name: r.try_get("prefecture_name")?,
                        category_name: r.try_get("category_name")?,
                    })
                })
                .collect()
        })
    }

    /// The email of every enterprise that has one, by credit code (what the reminders need).
    pub async fn enterprise_emails(&self) -> Result<HashMap<String, String>, StoreError> {
        const SQL: &str = "SELECT credit_code, email FROM enterprises WHERE email IS NOT NULL";
        with_pool!(self, pool => {
            let rows = sqlx::query(SQL).fetch_all(pool).await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect()
        })
    }

    /// The address of each enterprise drawn in draw `draw_id` that has one, by credit code: the
    /// assignment mails need some 13,000 of the 200,000 a national directory holds.
    pub async fn drawn_addresses(
        &self,
        draw_id: i64,
    ) -> Result<HashMap<String, String>, StoreError> {
        const SQL: &str = "SELECT credit_code, address FROM enterprises \
                           WHERE address IS NOT NULL \
                             AND credit_code IN (SELECT credit_code FROM draw_assignments WHERE draw_id = $1)";
        with_pool!(self, pool => {
            let rows = sqlx::query(SQL).bind(draw_id).fetch_all(pool).await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect()
        })
    }

    /// Every inspector's name and email, by inspector id.
    pub async fn inspector_contacts(
        &self,
    ) -> Result<HashMap<String, (String, Option<String>)>, StoreError> {
        const SQL: &str = "SELECT inspector_id, name, email FROM inspectors";
        with_pool!(self, pool => {
            let rows = sqlx::query(SQL).fetch_all(pool).await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?))))
                .collect()
        })
    }

    /// The most recent draw of any campaign, as [`Store::current_draw`] gives a campaign's.
    pub async fn latest_draw(&self) -> Result<Option<(i64, String, String)>, StoreError> {
        const SQL: &str = "SELECT d.id, d.record, d.record_sha256 FROM draw_current c \
                           JOIN draws d ON d.id = c.draw_id ORDER BY d.id DESC LIMIT 1";
        with_pool!(self, pool => {
            let row = sqlx::query(SQL).fetch_optional(pool).await?;
            row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).transpose()
        })
    }
}
