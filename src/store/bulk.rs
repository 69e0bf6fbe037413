//! Loading one input file in one transaction: its good rows go to a temporary stage in bulk (COPY on
//! PostgreSQL, batched inserts on SQLite), are counted against what is stored (inserted, updated,
//! unchanged) and merged with one upsert; its rejected rows go to quarantine; the file is recorded
//! by digest. Nothing of the file lands unless all of it does.

use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{Postgres, Row, Sqlite, Transaction};

use super::conn::Conn;
use super::records::{OnConflict, upsert_clause, write_records};
use super::tally::Tally;
use super::{Param, Record, Store, StoreError, with_pool};

const STAGE: &str = "ingest_stage";

/// A row put in quarantine, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quarantined {
    pub digest: String,
    pub file_name: String,
    pub kind: String,
    pub row: usize,
    pub field: String,
    pub value: String,
    pub reason: String,
    pub rejected_at: DateTime<Utc>,
}

impl Record for Quarantined {
    const TABLE: &'static str = "ingest_rejects";
    const COLUMNS: &'static [&'static str] = &[
        "digest",
        "row_number",
        "field",
        "reason",
        "file_name",
        "kind",
        "value",
        "rejected_at",
    ];
    const KEY: usize = 4;
    fn params(&self) -> Vec<Param> {
        vec![
            (&self.digest).into(),
            Param::Int(self.row as i64),
            (&self.field).into(),
            (&self.reason).into(),
            (&self.file_name).into(),
            (&self.kind).into(),
            (&self.value).into(),
            Param::Timestamp(self.rejected_at),
        ]
    }
}

/// A file loaded, by the digest of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngestedFile {
    pub digest: String,
    pub file_name: String,
    pub kind: String,
    pub format: String,
    pub rows_read: u64,
    pub counts: LoadCounts,
    pub rejected: u64,
    pub loaded_at: DateTime<Utc>,
}

impl Record for IngestedFile {
    const TABLE: &'static str = "ingest_files";
    const COLUMNS: &'static [&'static str] = &[
        "digest",
        "file_name",
        "kind",
        "format",
        "rows_read",
        "inserted",
        "updated",
        "unchanged",
        "rejected",
        "loaded_at",
    ];
    const KEY: usize = 1;
    fn params(&self) -> Vec<Param> {
        let int = |n: u64| Param::Int(n as i64);
        vec![
            (&self.digest).into(),
            (&self.file_name).into(),
            (&self.kind).into(),
            (&self.format).into(),
            int(self.rows_read),
            int(self.counts.inserted),
            int(self.counts.updated),
            int(self.counts.unchanged),
            int(self.rejected),
            Param::Timestamp(self.loaded_at),
        ]
    }
}

/// What a load did to the stored rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LoadCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

enum LoadTx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

macro_rules! with_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            LoadTx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            LoadTx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

/// A load in progress: an open transaction with a stage table for records of kind `R` — or, when
/// the table was empty (the initial load), rows go straight into the table: there is nothing to
/// count them against or merge with, and the load runs at the speed of a plain `COPY`.
pub struct Load<R: Record> {
    tx: LoadTx,
    distinct_from: &'static str,
    direct: bool,
    /// A direct load into a table emptied in this transaction (PostgreSQL, nothing refers to it):
    /// its rows are copied frozen.
    frozen: bool,
    /// What a direct load set aside and puts back before it commits: statements that rebuild the
    /// table's secondary indexes and re-add its foreign keys.
    restore: Vec<String>,
    staged: u64,
    /// Columns that received [`Param::Unset`] cells, with the default a new row gets.
    unset: std::collections::BTreeMap<usize, Param>,
    _kind: PhantomData<R>,
}

impl Store {
    /// Opens a transaction, locks `R`'s table against concurrent loads, and prepares the stage.
    pub async fn begin_load<R: Record>(&self) -> Result<Load<R>, StoreError> {
        let mut tx = match self {
            Store::Sqlite(pool) => LoadTx::Sqlite(pool.begin().await?),
            Store::Postgres(pool) => LoadTx::Postgres(pool.begin().await?),
        };
        let table = R::TABLE;
        let empty_sql =
            format!("SELECT CASE WHEN EXISTS (SELECT 1 FROM {table}) THEN 0 ELSE 1 END");
        let direct = match &mut tx {
            // SQLite has one writer at a time; a load that raced another fails on commit.
            LoadTx::Sqlite(tx) => (**tx).integers(empty_sql).await?[0] == 1,
            LoadTx::Postgres(tx) => {
                let conn = &mut **tx;
                conn.execute(
                    format!("LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"),
                    vec![],
                )
                .await?;
                conn.integers(empty_sql).await?[0] == 1
            }
        };
        let mut restore = Vec::new();
        let mut frozen = false;
        match &mut tx {
            LoadTx::Sqlite(tx) if direct => {
                restore = set_aside(&mut **tx, table).await?;
            }
            LoadTx::Postgres(tx) if direct => {
                let conn = &mut **tx;
                restore = set_aside(conn, table).await?;
                // Emptied in this transaction, a table takes its rows frozen (COPY … FREEZE):
                // the first reads after an initial load no longer set every row's visibility
                // hints and write its pages back (a national delta's recount of failed checks:
                // 1.02 → 0.76 s), and no vacuum ever needs to freeze them. A table others refer to
                // cannot be truncated; it is loaded as before.
                let referenced = format!(
                    "SELECT COUNT(*) FROM pg_constraint WHERE confrelid = '{table}'::regclass"
                );
                if conn.integers(referenced).await?[0] == 0 {
                    conn.execute(format!("TRUNCATE {table}"), vec![]).await?;
                    frozen = true;
                }
            }
            LoadTx::Sqlite(tx) => {
                let conn = &mut **tx;
                conn.execute(format!("DROP TABLE IF EXISTS temp.{STAGE}"), vec![])
                    .await?;
                conn.execute(
                    format!("CREATE TEMP TABLE {STAGE} AS SELECT * FROM {table} WHERE 0"),
                    vec![],
                )
                .await?;
            }
            LoadTx::Postgres(tx) => {
                let conn = &mut **tx;
                conn.execute(format!("DROP TABLE IF EXISTS pg_temp.{STAGE}"), vec![])
                    .await?;
                conn.execute(
                    format!(
                        "CREATE TEMP TABLE {STAGE} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"
                    ),
                    vec![],
                )
                .await?;
                // Unset cells are staged as NULL until they are filled from the table.
                let nullable: Vec<String> = R::COLUMNS[R::KEY..]
                    .iter()
                    .map(|c| format!("ALTER COLUMN {c} DROP NOT NULL"))
                    .collect();
                if !nullable.is_empty() {
                    conn.execute(
                        format!("ALTER TABLE {STAGE} {}", nullable.join(", ")),
                        vec![],
                    )
                    .await?;
                }
            }
        }
        Ok(Load {
            tx,
            distinct_from: self.distinct_from(),
            direct,
            frozen,
            restore,
            staged: 0,
            unset: Default::default(),
            _kind: PhantomData,
        })
    }

    /// How many rows of the file with this digest were rejected when it was last loaded; None
    /// when it never was.
    pub async fn file_rejected_rows(&self, digest: &str) -> Result<Option<u64>, StoreError> {
        const SQL: &str = "SELECT CAST(rejected AS BIGINT) FROM ingest_files WHERE digest = $1";
        with_pool!(self, pool => {
            let row = sqlx::query(SQL).bind(digest).fetch_optional(pool).await?;
            Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?.map(|n| n as u64))
        })
    }

    /// The keys references resolve against: enterprises, licences (with their grant dates) and
    /// inspectors.
    pub async fn known_keys(
        &self,
    ) -> Result<(HashSet<String>, HashMap<String, NaiveDate>, HashSet<String>), StoreError> {
        with_pool!(self, pool => {
            let mut enterprises = HashSet::new();
            for r in sqlx::query("SELECT credit_code FROM enterprises").fetch_all(pool).await? {
                enterprises.insert(r.try_get(0)?);
            }
            let mut licences = HashMap::new();
            for r in sqlx::query("SELECT licence_no, grant_date FROM licences").fetch_all(pool).await? {
                licences.insert(r.try_get(0)?, r.try_get(1)?);
            }
            let mut inspectors = HashSet::new();
            for r in sqlx::query("SELECT inspector_id FROM inspectors").fetch_all(pool).await? {
                inspectors.insert(r.try_get(0)?);
            }
            Ok((enterprises, licences, inspectors))
        })
    }

    /// The quarantined rows of the file with this digest, in row order.
    pub async fn quarantined(
        &self,
        digest: &str,
    ) -> Result<Vec<(i64, String, String)>, StoreError> {
        const SQL: &str = "SELECT row_number, field, reason FROM ingest_rejects WHERE digest = $1 \
                           ORDER BY row_number, field, reason";
        with_pool!(self, pool => {
            let rows = sqlx::query(SQL).bind(digest).fetch_all(pool).await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                .collect()
        })
    }
}

impl<R: Record> Load<R> {
    /// A tally for the derived tables this load computes from its rows, when it is an initial
    /// load of a kind that has some: give it each staged record ([`Record::tally`]) and hand it
    /// to [`Load::finish`].
    pub fn tally(&self) -> Option<Tally> {
        (self.direct && R::DERIVED.iter().any(|k| k.initial.is_some())).then(Tally::default)
    }

    /// Adds good records, as their [`Record::params`], to the stage. Their keys must be distinct
    /// across the whole load.
    pub async fn stage(&mut self, mut rows: Vec<Vec<Param>>) -> Result<(), StoreError> {
        self.staged += rows.len() as u64;
        for row in &mut rows {
            for (i, param) in row.iter_mut().enumerate() {
                if let Param::Unset(default) = param {
                    if self.direct {
                        // An empty table: every row is new and gets the default.
                        *param = std::mem::replace(&mut **default, Param::Bool(false));
                    } else {
                        self.unset.entry(i).or_insert_with(|| (**default).clone());
                    }
                }
            }
        }
        let target = if self.direct { R::TABLE } else { STAGE };
        if let (true, LoadTx::Postgres(tx)) = (self.frozen, &mut self.tx) {
            return super::conn::copy_csv(tx, target, R::COLUMNS, &rows, true).await;
        }
        with_tx!(&mut self.tx, conn => conn.bulk_insert(target, R::COLUMNS, rows).await)
    }

    /// Counts the stage against the table, merges it, quarantines `rejects`, records the file and
    /// commits. The columns of `kept` (optional columns the file does not have) keep their stored
    /// values: an upsert changes only what the file says. `tally` is [`Load::tally`]'s, filled.
    pub async fn finish(
        mut self,
        kept: &[&str],
        tally: Option<Tally>,
        rejects: &[Quarantined],
        file: impl FnOnce(LoadCounts) -> IngestedFile,
    ) -> Result<LoadCounts, StoreError> {
        let (table, columns, key) = (R::TABLE, R::COLUMNS, R::KEY);
        let same_key = columns[..key]
            .iter()
            .map(|c| format!("t.{c} = s.{c}"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let rest: Vec<&str> = columns[key..]
            .iter()
            .copied()
            .filter(|c| !kept.contains(c))
            .collect();
        // A stored row the staged one changes (a new row has no stored one).
        let differs = if rest.is_empty() {
            "1 = 0".to_string()
        } else {
            let s: Vec<String> = rest.iter().map(|c| format!("s.{c}")).collect();
            let t: Vec<String> = rest.iter().map(|c| format!("t.{c}")).collect();
            format!(
                "({}) {} ({})",
                s.join(", "),
                self.distinct_from,
                t.join(", ")
            )
        };
        let changed = format!(
            "SUM(CASE WHEN t.{k} IS NOT NULL AND {differs} THEN 1 ELSE 0 END)",
            k = columns[0]
        );
        let count_sql = format!(
            "SELECT COUNT(*), COUNT(t.{k}), {changed} FROM {STAGE} s LEFT JOIN {table} t ON {same_key}",
            k = columns[0]
        );
        let merge_sql = format!(
            "INSERT INTO {table} ({cols}) SELECT {cols} FROM {STAGE} WHERE true {}",
            upsert_clause(table, &columns[..key], &rest, self.distinct_from),
            cols = columns.join(", ")
        );
        // Unset cells take the stored value, or the default for a new row.
        let fills: Vec<(String, Param)> = self
            .unset
            .iter()
            .map(|(&i, default)| {
                let c = columns[i];
                let keys: Vec<String> = columns[..key]
                    .iter()
                    .map(|k| format!("t.{k} = {STAGE}.{k}"))
                    .collect();
                let sql = format!(
                    "UPDATE {STAGE} SET {c} = COALESCE((SELECT t.{c} FROM {table} t WHERE {}), $1) \
                     WHERE {c} IS NULL",
                    keys.join(" AND ")
                );
                (sql, default.clone())
            })
            .collect();
        let distinct = self.distinct_from;
        let (direct, staged) = (self.direct, self.staged);
        let restore = std::mem::take(&mut self.restore);
        // An initial load recomputes the whole derived table (from its tally when it has one); a
        // merge only the groups it touches.
        let (mut touched, mut refresh, mut tallied) = (Vec::new(), Vec::new(), Vec::new());
        // The rows the merge adds, or changes.
        let changes = format!("t.{} IS NULL OR {differs}", columns[0]);
        for keeps in R::DERIVED {
            if let (true, Some(which), Some(_)) = (direct, keeps.initial, &tally) {
                tallied.push((&keeps.derived, which));
            } else if direct {
                refresh.extend(keeps.derived.rebuild());
            } else {
                let (before, after) = keeps.refresh(table, STAGE, &same_key, &changes);
                touched.extend(before);
                refresh.extend(after);
            }
        }
        let counts = with_tx!(&mut self.tx, conn => {
            // The derived rows are worked out on another thread while the database builds the
            // indexes; the enterprises' prefectures are read first, for the check counts.
            let derivation = match tally {
                Some(tally) if !tallied.is_empty() => {
                    let sql = "SELECT credit_code, prefecture FROM enterprises";
                    let prefectures: foldhash::HashMap<String, String> =
                        conn.pairs(sql.to_string()).await?.into_iter().collect();
                    Some(tokio::task::spawn_blocking(move || tally.derive(&prefectures)))
                }
                _ => None,
            };
            // The indexes are built and the references checked once each over the whole table,
            // before anything else reads it.
            for sql in restore {
                conn.execute(sql, vec![]).await?;
            }
            for (sql, default) in fills {
                conn.execute(sql, vec![default]).await?;
            }
            for sql in touched {
                conn.execute(sql, vec![]).await?;
            }
            let counts = if direct {
                LoadCounts { inserted: staged, updated: 0, unchanged: 0 }
            } else {
                let n = conn.integers(count_sql).await?;
                let (total, existing, changed) = (n[0] as u64, n[1] as u64, n[2] as u64);
                conn.execute(merge_sql, vec![]).await?;
                LoadCounts {
                    inserted: total - existing,
                    updated: changed,
                    unchanged: existing - changed,
                }
            };
            for sql in refresh {
                conn.execute(sql, vec![]).await?;
            }
            if let Some(derivation) = derivation {
                let derivation = derivation.await.unwrap_or_else(|e| match e.try_into_panic() {
                    Ok(panic) => std::panic::resume_unwind(panic),
                    Err(e) => panic!("the derivation was cancelled: {e}"),
                });
                for &(derived, which) in &tallied {
                    // Indexes built once over the rows, as for the table loaded.
                    let restore = set_aside(conn, derived.table).await?;
                    conn.refill(derived.table, derived.columns, derivation.rows(which)).await?;
                    for sql in restore {
                        conn.execute(sql, vec![]).await?;
                    }
                }
            }
            let record = file(counts);
            // The quarantine holds what this load rejected: rows of an earlier load of the same
            // file that land now are no longer in it.
            conn.execute(
                "DELETE FROM ingest_rejects WHERE digest = $1".to_string(),
                vec![(&record.digest).into()],
            )
            .await?;
            write_records(conn, rejects, distinct, OnConflict::Keep).await?;
            write_records(conn, &[record], distinct, OnConflict::Update).await?;
            Ok::<_, StoreError>(counts)
        })?;
        match self.tx {
            LoadTx::Sqlite(mut tx) => {
                if !direct {
                    Conn::execute(&mut *tx, format!("DROP TABLE temp.{STAGE}"), vec![]).await?;
                }
                tx.commit().await?;
            }
            LoadTx::Postgres(tx) => tx.commit().await?,
        }
        Ok(counts)
    }
}

/// How one engine lists what a direct load sets aside: (the statement that drops it, the one that
/// puts it back) for each secondary index and foreign key of the table, `{table}` filled in.
struct SetAsideQueries {
    list: &'static [&'static str],
    /// Run first when putting things back (the memory an index build sorts in).
    before: Option<&'static str>,
    /// Run last, once everything is back (the planner's statistics of the new table).
    after: Option<&'static str>,
}

/// What an engine's bulk loads set aside.
trait SetAside: Conn {
    const SET_ASIDE: SetAsideQueries;
}

/// SQLite: its secondary indexes (its foreign keys cannot be dropped; they stay).
impl SetAside for sqlx::SqliteConnection {
    const SET_ASIDE: SetAsideQueries = SetAsideQueries {
        list: &["SELECT 'DROP INDEX ' || name, sql FROM sqlite_master \
                 WHERE type = 'index' AND tbl_name = '{table}' AND sql IS NOT NULL ORDER BY name"],
        before: None,
        after: None,
    };
}

/// PostgreSQL: the secondary indexes (not those backing a key), the foreign keys and — when no
/// other table refers to it — the primary key. Re-adding a foreign key checks every row in one
/// anti-join instead of a trigger per row; re-adding a key sorts once instead of inserting into a
/// B-tree per row (the rows are distinct: ingest refuses a repeated key).
impl SetAside for sqlx::PgConnection {
    const SET_ASIDE: SetAsideQueries = SetAsideQueries {
        list: &[
            "SELECT 'DROP INDEX ' || quote_ident(indexname), indexdef FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename = '{table}' AND indexname NOT IN \
             (SELECT conname FROM pg_constraint WHERE conrelid = '{table}'::regclass) ORDER BY indexname",
            "SELECT 'ALTER TABLE {table} DROP CONSTRAINT ' || quote_ident(conname), \
             'ALTER TABLE {table} ADD CONSTRAINT ' || quote_ident(conname) || ' ' || pg_get_constraintdef(oid) \
             FROM pg_constraint WHERE conrelid = '{table}'::regclass AND (contype = 'f' OR \
             (contype IN ('p', 'u') AND NOT EXISTS \
              (SELECT 1 FROM pg_constraint r WHERE r.confrelid = '{table}'::regclass))) \
             ORDER BY contype DESC, conname",
        ],
        // The transaction's own: an index over millions of rows sorts in memory, not on disk.
        before: Some("SET LOCAL maintenance_work_mem = '512MB'"),
        // Millions of rows arrived at once: the weekly reads that follow should not wait for
        // autovacuum to learn it.
        after: Some("ANALYZE {table}"),
    };
}

/// A bulk load into an empty table maintains no index and checks no reference row by row: drops
/// them and returns what puts them back (run in the same transaction before it commits).
async fn set_aside<C: SetAside>(conn: &mut C, table: &str) -> Result<Vec<String>, StoreError> {
    let queries = &C::SET_ASIDE;
    let mut restore: Vec<String> = queries.before.iter().map(|s| s.to_string()).collect();
    for query in queries.list {
        for (drop, put_back) in conn.pairs(query.replace("{table}", table)).await? {
            conn.execute(drop, vec![]).await?;
            restore.push(put_back);
        }
    }
    restore.extend(queries.after.map(|sql| sql.replace("{table}", table)));
    Ok(restore)
}
