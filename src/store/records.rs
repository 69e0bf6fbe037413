//! Upserting the records of DESIGN.md section 4 on their natural keys: one statement shape for every
//! kind, so that loading the same rows twice changes nothing and a corrected row updates in place.

use sqlx::AssertSqlSafe;

use super::{Param, Store, StoreError, bind_params, with_pool};
use crate::model::{Conflict, Enterprise, Inspector, Licence, OnsiteReview, SpotCheck, Violation};

/// A record kind as stored: its table, its columns (the natural key first) and its values.
pub trait Record {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    /// How many leading columns form the natural key.
    const KEY: usize;
    fn params(&self) -> Vec<Param>;
}

impl Record for Enterprise {
    const TABLE: &'static str = "enterprises";
    const COLUMNS: &'static [&'static str] = &[
        "credit_code",
        "name",
        "prefecture",
        "county",
        "address",
        "email",
    ];
    const KEY: usize = 1;
    fn params(&self) -> Vec<Param> {
        vec![
            (&self.credit_code).into(),
            (&self.name).into(),
            (&self.prefecture).into(),
            (&self.county).into(),
            (&self.address).into(),
            (&self.email).into(),
        ]
    }
}

impl Record for Licence {
    const TABLE: &'static str = "licences";
    const COLUMNS: &'static [&'static str] = &[
        "licence_no",
        "credit_code",
        "category",
        "procedure",
        "grant_date",
        "expiry",
        "decision_date",
        "e_cert_date",
        "status",
        "renewal_filed",
        "renewal_direct",
    ];
    const KEY: usize = 1;
    fn params(&self) -> Vec<Param> {
        vec![
            (&self.licence_no).into(),
            (&self.credit_code).into(),
            (&self.category).into(),
            self.procedure.code().into(),
            self.grant_date.into(),
            self.expiry.into(),
            self.decision_date.into(),
            self.e_cert_date.into(),
            self.status.code().into(),
            self.renewal_filed.into(),
            self.renewal_direct.into(),
        ]
    }
}

impl Record for OnsiteReview {
    const TABLE: &'static str = "onsite_reviews";
    const COLUMNS: &'static [&'static str] = &["licence_no", "review_date", "outcome"];
    const KEY: usize = 2;
    fn params(&self) -> Vec<Param> {
        vec![
            (&self.licence_no).into(),
            self.review_date.into(),
            self.outcome.code().into(),
        ]
    }
}

impl Record for Inspector {
    const TABLE: &'static str = "inspectors";
    const COLUMNS: &'static [&'static str] = &[
        "inspector_id",
        "name",
        "prefecture",
        "county",
        "qualifications",
        "email",
        "active",
    ];
    const KEY: usize = 1;
    fn params(&self) -> Vec<Param> {
        vec![
            (&self.inspector_id).into(),
            (&self.name).into(),
            (&self.prefecture).into(),
            (&self.county).into(),
            self.qualifications.join(";").as_str().into(),
            (&self.email).into(),
            self.active.into(),
        ]
    }
}

impl Record for SpotCheck {
    const TABLE: &'static str = "spot_checks";
    const COLUMNS: &'static [&'static str] = &[
        "check_key",
        "check_id",
        "credit_code",
        "category",
        "check_date",
        "result",
        "items",
        "campaign",
    ];
    const KEY: usize = 1;
    fn params(&self) -> Vec<Param> {
        vec![
            self.key().as_str().into(),
            (&self.check_id).into(),
            (&self.credit_code).into(),
            (&self.category).into(),
            self.check_date.into(),
            self.result.code().into(),
            (&self.items).into(),
            (&self.campaign).into(),
        ]
    }
}

impl Record for Conflict {
    const TABLE: &'static str = "conflicts";
    const COLUMNS: &'static [&'static str] = &["inspector_id", "credit_code", "reason"];
    const KEY: usize = 2;
    fn params(&self) -> Vec<Param> {
        vec![
            (&self.inspector_id).into(),
            (&self.credit_code).into(),
            (&self.reason).into(),
        ]
    }
}

impl Record for Violation {
    const TABLE: &'static str = "violations";
    const COLUMNS: &'static [&'static str] = &["credit_code", "date", "kind", "description"];
    const KEY: usize = 4;
    fn params(&self) -> Vec<Param> {
        vec![
            (&self.credit_code).into(),
            self.date.into(),
            self.kind.code().into(),
            (&self.description).into(),
        ]
    }
}

/// Rows per statement: well under SQLite's and PostgreSQL's bound-parameter limits.
const ROWS_PER_STATEMENT: usize = 500;

/// What to do with a row whose key is already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnConflict {
    /// Take the new values (touching the row only when a value differs).
    Update,
    /// Keep the stored row.
    Keep,
}

/// `INSERT … ON CONFLICT (key) DO UPDATE | DO NOTHING`.
fn upsert_sql(
    table: &str,
    columns: &[&str],
    key: usize,
    rows: usize,
    distinct_from: &str,
    on_conflict: OnConflict,
) -> String {
    let width = columns.len();
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let slots: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", slots.join(", "))
        })
        .collect();
    let keys = columns[..key].join(", ");
    let rest = &columns[key..];
    let conflict = if rest.is_empty() || on_conflict == OnConflict::Keep {
        "DO NOTHING".to_string()
    } else {
        let set: Vec<String> = rest.iter().map(|c| format!("{c} = excluded.{c}")).collect();
        let old: Vec<String> = rest.iter().map(|c| format!("{table}.{c}")).collect();
        let new: Vec<String> = rest.iter().map(|c| format!("excluded.{c}")).collect();
        format!(
            "DO UPDATE SET {} WHERE ({}) {distinct_from} ({})",
            set.join(", "),
            old.join(", "),
            new.join(", ")
        )
    };
    format!(
        "INSERT INTO {table} ({}) VALUES {} ON CONFLICT ({keys}) {conflict}",
        columns.join(", "),
        values.join(", ")
    )
}

impl Store {
    /// Upserts `rows` in one transaction; returns how many rows were inserted or changed.
    pub async fn upsert<R: Record>(&self, rows: &[R]) -> Result<u64, StoreError> {
        self.write(rows, OnConflict::Update).await
    }

    /// Inserts the rows whose keys are not stored yet, leaving stored rows as they are.
    pub async fn insert_missing<R: Record>(&self, rows: &[R]) -> Result<u64, StoreError> {
        self.write(rows, OnConflict::Keep).await
    }

    async fn write<R: Record>(
        &self,
        rows: &[R],
        on_conflict: OnConflict,
    ) -> Result<u64, StoreError> {
        let distinct = self.distinct_from();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut changed = 0;
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                let sql = upsert_sql(R::TABLE, R::COLUMNS, R::KEY, chunk.len(), distinct, on_conflict);
                let params: Vec<Param> = chunk.iter().flat_map(Record::params).collect();
                let query = bind_params(sqlx::query(AssertSqlSafe(sql)), &params);
                changed += query.execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
            Ok(changed)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsert_updates_only_what_differs() {
        let sql = upsert_sql(
            "conflicts",
            &["inspector_id", "credit_code", "reason"],
            2,
            2,
            "IS NOT",
            OnConflict::Update,
        );
        assert_eq!(
            sql,
            "INSERT INTO conflicts (inspector_id, credit_code, reason) VALUES ($1, $2, $3), ($4, $5, $6) \
             ON CONFLICT (inspector_id, credit_code) DO UPDATE SET reason = excluded.reason \
             WHERE (conflicts.reason) IS NOT (excluded.reason)"
        );
    }

    #[test]
    fn an_all_key_table_ignores_repeats() {
        let sql = upsert_sql(
            "violations",
            &["a", "b"],
            2,
            1,
            "IS NOT",
            OnConflict::Update,
        );
        assert!(sql.ends_with("ON CONFLICT (a, b) DO NOTHING"), "{sql}");
        let sql = upsert_sql("t", &["a", "b"], 1, 1, "IS NOT", OnConflict::Keep);
        assert!(sql.ends_with("ON CONFLICT (a) DO NOTHING"), "{sql}");
    }
}
