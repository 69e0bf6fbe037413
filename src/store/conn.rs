//! What the store does on one connection, for either engine: run a statement, read counts, and put
//! rows into a table in bulk — `COPY … FROM STDIN` on PostgreSQL, batched multi-row inserts on
//! SQLite. Code above this works inside one transaction on whichever engine is open.

use std::future::Future;
use std::io::Write;

use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use sqlx::{AssertSqlSafe, Row};

use super::{Param, StoreError, bind_params};

/// Rows per multi-row statement: well under SQLite's and PostgreSQL's bound-parameter limits.
pub(crate) const ROWS_PER_STATEMENT: usize = 500;

pub(crate) trait Conn: Send {
    const PLACEHOLDERS: Placeholders;

    /// Runs `sql` with `params`; returns the rows affected.
    fn execute(
        &mut self,
        sql: String,
        params: Vec<Param>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Runs a query returning one row of integers.
    fn integers(
        &mut self,
        sql: String,
    ) -> impl Future<Output = Result<Vec<i64>, StoreError>> + Send;

    /// Runs a query returning rows of two text columns.
    fn pairs(
        &mut self,
        sql: String,
    ) -> impl Future<Output = Result<Vec<(String, String)>, StoreError>> + Send;

    /// Appends `rows` (values in `columns` order) to `table` as fast as the engine allows.
    fn bulk_insert(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<Param>>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces every row of `table`, which nothing refers to, with `rows` as they come: on
    /// PostgreSQL `TRUNCATE` and `COPY … FREEZE`, so the rows are written once and never revisited
    /// to set their visibility hints.
    fn refill(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: impl Iterator<Item = Vec<Param>> + Send,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// How a statement's parameters are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placeholders {
    /// `$1, $2, …` (PostgreSQL).
    Numbered,
    /// `?, ?, …`, bound in order (SQLite): sqlx binds a numbered one by asking SQLite its name,
    /// which scans the statement's list of names, so a 4,500-parameter insert spent two thirds
    /// of a province load in that scan.
    InOrder,
}

/// `INSERT INTO table (columns) VALUES ($1, …), (…)` for `rows` rows.
pub(crate) fn insert_sql(
    table: &str,
    columns: &[&str],
    rows: usize,
    placeholders: Placeholders,
) -> String {
    let width = columns.len();
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let slots: Vec<String> = (1..=width)
                .map(|c| match placeholders {
                    Placeholders::Numbered => format!("${}", r * width + c),
                    Placeholders::InOrder => "?".to_string(),
                })
                .collect();
            format!("({})", slots.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        columns.join(", "),
        values.join(", ")
    )
}

macro_rules! common_conn {
    () => {
        async fn execute(&mut self, sql: String, params: Vec<Param>) -> Result<u64, StoreError> {
            let query = bind_params(sqlx::query(AssertSqlSafe(sql)), &params);
            Ok(query.execute(&mut *self).await?.rows_affected())
        }

        async fn integers(&mut self, sql: String) -> Result<Vec<i64>, StoreError> {
            let row = sqlx::query(AssertSqlSafe(sql))
                .fetch_one(&mut *self)
                .await?;
            // PostgreSQL types a literal or CASE as INTEGER and a COUNT as BIGINT; take either.
            (0..row.len())
                .map(|i| {
                    let n = match row.try_get::<Option<i64>, _>(i) {
                        Ok(n) => n,
                        Err(_) => row.try_get::<Option<i32>, _>(i)?.map(i64::from),
                    };
                    Ok(n.unwrap_or(0))
                })
                .collect()
        }

        async fn pairs(&mut self, sql: String) -> Result<Vec<(String, String)>, StoreError> {
            let rows = sqlx::query(AssertSqlSafe(sql))
                .fetch_all(&mut *self)
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect()
        }
    };
}

impl Conn for SqliteConnection {
    const PLACEHOLDERS: Placeholders = Placeholders::InOrder;
    common_conn!();

    async fn bulk_insert(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<Param>>,
    ) -> Result<(), StoreError> {
        insert_in_statements(self, table, columns, rows.into_iter()).await
    }

    async fn refill(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: impl Iterator<Item = Vec<Param>> + Send,
    ) -> Result<(), StoreError> {
        self.execute(format!("DELETE FROM {table}"), vec![]).await?;
        insert_in_statements(self, table, columns, rows).await
    }
}

/// SQLite's bulk insert: `rows` in multi-row statements of [`ROWS_PER_STATEMENT`] rows.
async fn insert_in_statements(
    conn: &mut SqliteConnection,
    table: &str,
    columns: &[&str],
    mut rows: impl Iterator<Item = Vec<Param>> + Send,
) -> Result<(), StoreError> {
    loop {
        let chunk: Vec<Param> = rows.by_ref().take(ROWS_PER_STATEMENT).flatten().collect();
        if chunk.is_empty() {
            return Ok(());
        }
        let sql = insert_sql(
            table,
            columns,
            chunk.len() / columns.len(),
            SqliteConnection::PLACEHOLDERS,
        );
        conn.execute(sql, chunk).await?;
    }
}

impl Conn for PgConnection {
    const PLACEHOLDERS: Placeholders = Placeholders::Numbered;
    common_conn!();

    async fn bulk_insert(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<Param>>,
    ) -> Result<(), StoreError> {
        copy_csv(self, table, columns, &rows, false).await
    }

    async fn refill(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: impl Iterator<Item = Vec<Param>> + Send,
    ) -> Result<(), StoreError> {
        self.execute(format!("TRUNCATE {table}"), vec![]).await?;
        copy_csv(self, table, columns, rows, true).await
    }
}

/// `COPY table (columns) FROM STDIN` of `rows` as CSV, sent a megabyte at a time as they come;
/// `freeze` for a table emptied in the same transaction.
pub(crate) async fn copy_csv<R: AsRef<[Param]>>(
    conn: &mut PgConnection,
    table: &str,
    columns: &[&str],
    rows: impl IntoIterator<Item = R, IntoIter: Send>,
    freeze: bool,
) -> Result<(), StoreError> {
    let statement = format!(
        "COPY {table} ({}) FROM STDIN WITH (FORMAT csv{})",
        columns.join(", "),
        if freeze { ", FREEZE" } else { "" }
    );
    let mut copy = conn.copy_in_raw(&statement).await?;
    let mut buffer = Vec::with_capacity(1 << 20);
    for row in rows {
        copy_csv_row(&mut buffer, row.as_ref());
        if buffer.len() >= 1 << 20 {
            copy.send(std::mem::take(&mut buffer)).await?;
        }
    }
    if !buffer.is_empty() {
        copy.send(buffer).await?;
    }
    copy.finish().await?;
    Ok(())
}

/// One row in `COPY … (FORMAT csv)`: NULL is an unquoted empty field, text is always quoted (so an
/// empty string stays an empty string).
fn copy_csv_row(out: &mut Vec<u8>, row: &[Param]) {
    for (i, param) in row.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match param {
            Param::Text(None) | Param::Date(None) | Param::Unset(_) => {}
            Param::Text(Some(s)) => {
                out.push(b'"');
                if s.contains('"') {
                    out.extend_from_slice(s.replace('"', "\"\"").as_bytes());
                } else {
                    out.extend_from_slice(s.as_bytes());
                }
                out.push(b'"');
            }
            Param::Date(Some(d)) => {
                use chrono::Datelike;
                // Hand-formatted: chrono's formatter is a measurable share of a 5-million-row load.
                let _ = write!(out, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
            }
            Param::Bool(b) => out.extend_from_slice(if *b { b"t" } else { b"f" }),
            Param::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
            Param::Timestamp(t) => out.extend_from_slice(t.to_rfc3339().as_bytes()),
        }
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn copy_rows_keep_nulls_empty_strings_and_quotes_apart() {
        let mut out = Vec::new();
        copy_csv_row(
            &mut out,
            &[
                Param::Text(None),
                Param::Text(Some(String::new())),
                Param::Text(Some("a \"b\",\nc".into())),
                Param::Date(NaiveDate::from_ymd_opt(2024, 2, 9)),
                Param::Bool(true),
                Param::Int(-3),
            ],
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            ",\"\",\"a \"\"b\"\",\nc\",2024-02-09,t,-3\n"
        );
    }

    #[test]
    fn insert_sql_numbers_every_slot_or_binds_them_in_order() {
        assert_eq!(
            insert_sql("t", &["a", "b"], 2, Placeholders::Numbered),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            insert_sql("t", &["a", "b"], 2, Placeholders::InOrder),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
    }
}
