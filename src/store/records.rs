//! Upserting the records of DESIGN.md section 4 on their natural keys: one statement shape for every
//! kind, so that loading the same rows twice changes nothing and a corrected row updates in place.

use super::conn::{Conn, ROWS_PER_STATEMENT, insert_sql};
use super::tally::{Tallied, Tally};
use super::{Param, Store, StoreError, with_pool};
use crate::model::{Conflict, Enterprise, Inspector, Licence, OnsiteReview, SpotCheck, Violation};

/// A record kind as stored: its table, its columns (the natural key first) and its values.
pub trait Record {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    /// How many leading columns form the natural key.
    const KEY: usize;
    /// The tables kept from this one's rows (and others'), refreshed by every load of this kind in
    /// its transaction.
    const DERIVED: &'static [Keeps] = &[];
    fn params(&self) -> Vec<Param>;
    /// Notes the record for the derived tables an initial load computes itself
    /// ([`Keeps::initial`]).
    fn tally(&self, _tally: &mut Tally) {}
}

/// A table computed from record tables, group by group: a load recomputes the groups it touched,
/// so readers never aggregate millions of rows for what changes a few thousand a week.
pub struct Derived {
    pub table: &'static str,
    /// The grouping columns, among `columns`.
    pub group: &'static [&'static str],
    pub columns: &'static [&'static str],
    /// Yields `columns`; `{groups}` stands for the condition that narrows it to some groups, over
    /// the group columns of the record table aliased `s`.
    pub select: &'static str,
}

/// A derived table one record kind's loads keep in step, and which of its groups a merge touches.
pub struct Keeps {
    pub derived: Derived,
    pub touched: Touched,
    /// How an initial load of the kind computes the table: from its rows' [`Tally`], or (None)
    /// with the table's SQL over the rows just copied.
    pub initial: Option<Tallied>,
}

/// Which groups of a derived table a merge touches, noted before the merge.
pub enum Touched {
    /// Those of the rows a merge adds or changes, before and after (the derived table's group
    /// columns are the record table's own): a file loaded again unchanged recomputes nothing.
    OwnRows,
    /// Those a query yields, run before the merge, with the stage named `{stage}` in it.
    Query(&'static str),
}

impl Derived {
    fn insert(&self, groups: &str) -> String {
        format!(
            "INSERT INTO {} ({}) {}",
            self.table,
            self.columns.join(", "),
            self.select.replace("{groups}", groups)
        )
    }

    /// The statements that recompute the whole table.
    pub(crate) fn rebuild(&self) -> Vec<String> {
        vec![format!("DELETE FROM {}", self.table), self.insert("1 = 1")]
    }
}

impl Keeps {
    /// The statements that keep the derived table in step with a merge of `stage` (as `s`) into
    /// `table` (as `t`), whose rows match when `same_key` holds and which adds or changes the rows
    /// where `changes` holds over `stage LEFT JOIN table`: those run before the merge note the
    /// groups it touches; those run after it recompute them.
    pub(crate) fn refresh(
        &self,
        table: &str,
        stage: &str,
        same_key: &str,
        changes: &str,
    ) -> (Vec<String>, Vec<String>) {
        let d = &self.derived;
        let touched = format!("touched_{}", d.table);
        let group = d.group.join(", ");
        let listed = |prefix: &str| -> String {
            let g: Vec<String> = d.group.iter().map(|c| format!("{prefix}{c}")).collect();
            g.join(", ")
        };
        let mut before = vec![format!("DROP TABLE IF EXISTS {touched}")];
        match self.touched {
            Touched::OwnRows => {
                // One pass over the merge notes each changed row's groups, after and (`was_`)
                // before; the touched groups are those, each once, so the recount is planned from
                // a few days rather than from every changed row.
                let changes_table = format!("changes_{}", d.table);
                let was: Vec<String> = d
                    .group
                    .iter()
                    .map(|c| format!("t.{c} AS was_{c}"))
                    .collect();
                before.extend([
                    format!("DROP TABLE IF EXISTS {changes_table}"),
                    format!(
                        "CREATE TEMP TABLE {changes_table} AS SELECT {}, {} FROM {stage} s \
                         LEFT JOIN {table} t ON {same_key} WHERE {changes}",
                        listed("s."),
                        was.join(", ")
                    ),
                    format!(
                        "CREATE TEMP TABLE {touched} AS SELECT {group} FROM {changes_table} \
                         UNION SELECT {} FROM {changes_table} WHERE was_{} IS NOT NULL",
                        listed("was_"),
                        d.group[0]
                    ),
                    format!("DROP TABLE {changes_table}"),
                ]);
            }
            Touched::Query(sql) => before.push(format!(
                "CREATE TEMP TABLE {touched} AS {}",
                sql.replace("{stage}", stage)
            )),
        }
        before.push(format!("ANALYZE {touched}"));
        let groups = format!("SELECT {group} FROM {touched}");
        let after = vec![
            format!("DELETE FROM {} WHERE ({group}) IN ({groups})", d.table),
            d.insert(&format!("({}) IN ({groups})", listed("s."))),
            format!("DROP TABLE {touched}"),
        ];
        (before, after)
    }
}

/// Each failed spot check with the first later passing check of the same enterprise and category,
/// which closes its follow-up (后处理): the deadline rules read it for every licence each week.
const FAILED_CHECKS: Derived = Derived {
    table: "failed_checks",
    group: &["credit_code", "category"],
    columns: &[
        "credit_code",
        "category",
        "check_date",
        "disposed",
        "passed_after",
    ],
    select: "SELECT s.credit_code, s.category, s.check_date, s.disposed, \
             (SELECT MIN(p.check_date) FROM spot_checks p \
              WHERE p.credit_code = s.credit_code AND p.category = s.category \
                AND p.result = 'pass' AND p.check_date > s.check_date) \
             FROM spot_checks s WHERE s.result = 'fail' AND {groups}",
};

/// The spot checks counted per day, prefecture, category and result: the risk model reads a few
/// hundred thousand counts instead of joining and grouping every check of two years each run.
const CHECK_COUNTS: Derived = Derived {
    table: "check_counts",
    group: &["check_date"],
    columns: &["check_date", "prefecture", "category", "result", "n"],
    select: "SELECT s.check_date, e.prefecture, s.category, s.result, COUNT(*) \
             FROM spot_checks s JOIN enterprises e ON e.credit_code = s.credit_code \
             WHERE {groups} GROUP BY s.check_date, e.prefecture, s.category, s.result",
};

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
    // An enterprise that moves prefecture moves its checks' counts: the days it was checked.
    const DERIVED: &'static [Keeps] = &[Keeps {
        derived: CHECK_COUNTS,
        touched: Touched::Query(
            "SELECT DISTINCT c.check_date FROM {stage} s \
             JOIN enterprises t ON t.credit_code = s.credit_code \
             JOIN spot_checks c ON c.credit_code = s.credit_code WHERE t.prefecture <> s.prefecture",
        ),
        // No spot check refers to an enterprise before the first enterprises are loaded.
        initial: None,
    }];
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
    // Keyed by (licence, category): one certificate may cover several products (一企一证, 二(三)7).
    const COLUMNS: &'static [&'static str] = &[
        "licence_no",
        "category",
        "credit_code",
        "procedure",
        "grant_date",
        "expiry",
        "decision_date",
        "e_cert_date",
        "status",
        "renewal_filed",
        "renewal_direct",
        "renews",
        "major_change",
        "issuer",
    ];
    const KEY: usize = 2;
    fn params(&self) -> Vec<Param> {
        vec![
            (&self.licence_no).into(),
            (&self.category).into(),
            (&self.credit_code).into(),
            self.procedure.code().into(),
            self.grant_date.into(),
            self.expiry.into(),
            self.decision_date.into(),
            self.e_cert_date.into(),
            self.status.code().into(),
            self.renewal_filed.into(),
            self.renewal_direct.into(),
            (&self.renews).into(),
            self.major_change.into(),
            (&self.issuer).into(),
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
    // In the order of the input contract, so the same file `\copy`s into the table.
    const COLUMNS: &'static [&'static str] = &[
        "check_key",
        "credit_code",
        "category",
        "check_date",
        "result",
        "items",
        "campaign",
        "has_check_id",
        "disposed",
    ];
    const KEY: usize = 1;
    const DERIVED: &'static [Keeps] = &[
        Keeps {
            derived: FAILED_CHECKS,
            touched: Touched::OwnRows,
            initial: Some(Tallied::FailedChecks),
        },
        Keeps {
            derived: CHECK_COUNTS,
            touched: Touched::OwnRows,
            initial: Some(Tallied::CheckCounts),
        },
    ];
    fn tally(&self, tally: &mut Tally) {
        tally.check(self);
    }
    fn params(&self) -> Vec<Param> {
        vec![
            self.key().as_str().into(),
            (&self.credit_code).into(),
            (&self.category).into(),
            self.check_date.into(),
            self.result.code().into(),
            (&self.items).into(),
            (&self.campaign).into(),
            self.check_id.is_some().into(),
            self.disposed.into(),
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

/// What to do with a row whose key is already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnConflict {
    /// Take the new values (touching the row only when a value differs).
    Update,
    /// Keep the stored row.
    Keep,
}

/// `ON CONFLICT (key) DO UPDATE … WHERE changed | DO NOTHING`.
pub(crate) fn conflict_clause(
    table: &str,
    columns: &[&str],
    key: usize,
    distinct_from: &str,
    on_conflict: OnConflict,
) -> String {
    let rest = match on_conflict {
        OnConflict::Keep => &[][..],
        OnConflict::Update => &columns[key..],
    };
    upsert_clause(table, &columns[..key], rest, distinct_from)
}

/// `ON CONFLICT (keys)`: update the `updated` columns where any of them differs, or do nothing
/// when there are none.
pub(crate) fn upsert_clause(
    table: &str,
    keys: &[&str],
    updated: &[&str],
    distinct_from: &str,
) -> String {
    let keys = keys.join(", ");
    if updated.is_empty() {
        return format!("ON CONFLICT ({keys}) DO NOTHING");
    }
    let set: Vec<String> = updated
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let old: Vec<String> = updated.iter().map(|c| format!("{table}.{c}")).collect();
    let new: Vec<String> = updated.iter().map(|c| format!("excluded.{c}")).collect();
    format!(
        "ON CONFLICT ({keys}) DO UPDATE SET {} WHERE ({}) {distinct_from} ({})",
        set.join(", "),
        old.join(", "),
        new.join(", ")
    )
}

/// Writes records through `conn` in multi-row statements; returns the rows inserted or changed.
pub(crate) async fn write_records<R: Record, C: Conn>(
    conn: &mut C,
    rows: &[R],
    distinct_from: &str,
    on_conflict: OnConflict,
) -> Result<u64, StoreError> {
    let conflict = conflict_clause(R::TABLE, R::COLUMNS, R::KEY, distinct_from, on_conflict);
    let mut changed = 0;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "{} {conflict}",
            insert_sql(R::TABLE, R::COLUMNS, chunk.len(), C::PLACEHOLDERS)
        );
        let params: Vec<Param> = chunk.iter().flat_map(Record::params).collect();
        changed += conn.execute(sql, params).await?;
    }
    Ok(changed)
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
            let changed = write_records(&mut *tx, rows, distinct, on_conflict).await?;
            // Rows written one by one (the demo, tests): their derived table is recomputed whole.
            for sql in R::DERIVED.iter().flat_map(|k| k.derived.rebuild()) {
                Conn::execute(&mut *tx, sql, vec![]).await?;
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
        let clause = conflict_clause(
            "conflicts",
            &["inspector_id", "credit_code", "reason"],
            2,
            "IS NOT",
            OnConflict::Update,
        );
        assert_eq!(
            clause,
            "ON CONFLICT (inspector_id, credit_code) DO UPDATE SET reason = excluded.reason \
             WHERE (conflicts.reason) IS NOT (excluded.reason)"
        );
    }

    #[test]
    fn an_all_key_table_or_keep_does_nothing_on_conflict() {
        let clause = conflict_clause("v", &["a", "b"], 2, "IS NOT", OnConflict::Update);
        assert_eq!(clause, "ON CONFLICT (a, b) DO NOTHING");
        let clause = conflict_clause("t", &["a", "b"], 1, "IS NOT", OnConflict::Keep);
        assert_eq!(clause, "ON CONFLICT (a) DO NOTHING");
    }
}
