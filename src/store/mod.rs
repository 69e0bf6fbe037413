//! The store: one query layer over SQLite (the embedded default) and PostgreSQL (production).
//!
//! Queries are written once, with `$N` placeholders that both engines accept, and run through
//! [`with_pool!`], which expands the same body once per engine. Dates travel as `chrono` values:
//! sqlx stores them as ISO text on SQLite and as native `DATE`/`TIMESTAMPTZ` on PostgreSQL. What
//! still differs between the engines — migrations and the null-safe inequality — lives in this file.

mod audit;
mod bulk;
mod conn;
mod directory;
mod draws;
mod facts;
mod jobs;
mod outbox;
mod records;
mod reference;
mod risk;
mod rows;
mod tally;

pub use audit::AuditEntry;
pub use bulk::{IngestedFile, Load, LoadCounts, Quarantined};
pub use directory::NamedCheck;
pub use draws::{DrawScope, StoredDraw, StoredFreeze};
pub use facts::Scope;
pub use jobs::{Claim, RunEnd, RunRow};
pub use outbox::{Claimed, OutboxKey, OutboxRow, Outgoing, Queued};
pub use records::Record;
pub use risk::{RiskInputs, scope_key};
pub use tally::Tally;

pub(crate) use rows::decode_rows;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Connection, Database, Encode, Type};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("sql/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("sql/postgres");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "superseded: another holder took over this claim (its lease ran out); this one stopped without writing"
    )]
    Superseded,
    #[error(
        "campaign {0} was drawn by another draw made at the same time; this one is not stored — see `licwatch draw results {0}` or redraw with --redraw --reason"
    )]
    DrawnAlready(String),
    #[error(
        "campaign {0} is frozen already: its digests are published and a freeze is never changed; draw from it"
    )]
    FrozenAlready(String),
    #[error("unsupported database URL '{0}': use sqlite://FILE or postgres://USER@HOST:PORT/DB")]
    Scheme(String),
    #[error("cannot open database {url}")]
    Connect { url: String, source: sqlx::Error },
    #[error("cannot migrate database {url}")]
    Migrate {
        url: String,
        source: sqlx::migrate::MigrateError,
    },
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("stored {column} holds '{value}', which this version of licwatch does not know")]
    Unknown { column: &'static str, value: String },
}

/// An open store on either engine.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the engine's pool; the body is compiled once per engine.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// A value bound to a query parameter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Param {
    Text(Option<String>),
    Date(Option<NaiveDate>),
    Bool(bool),
    Int(i64),
    Timestamp(DateTime<Utc>),
    /// An empty cell in a column where empty is not a deliberate blank: the stored value stays,
    /// and a new row gets the default inside. Staged as NULL (see `store::bulk`).
    Unset(Box<Param>),
}

impl From<&str> for Param {
    fn from(s: &str) -> Self {
        Param::Text(Some(s.to_string()))
    }
}
impl From<&String> for Param {
    fn from(s: &String) -> Self {
        Param::Text(Some(s.clone()))
    }
}
impl From<&Option<String>> for Param {
    fn from(s: &Option<String>) -> Self {
        Param::Text(s.clone())
    }
}
impl From<NaiveDate> for Param {
    fn from(d: NaiveDate) -> Self {
        Param::Date(Some(d))
    }
}
impl From<Option<NaiveDate>> for Param {
    fn from(d: Option<NaiveDate>) -> Self {
        Param::Date(d)
    }
}
impl From<bool> for Param {
    fn from(b: bool) -> Self {
        Param::Bool(b)
    }
}

/// Binds `params` in order onto a query of either engine.
pub(crate) fn bind_params<'q, DB>(
    mut query: sqlx::query::Query<'q, DB, <DB as Database>::Arguments>,
    params: &[Param],
) -> sqlx::query::Query<'q, DB, <DB as Database>::Arguments>
where
    DB: Database,
    for<'t> Option<String>: Encode<'t, DB> + Type<DB>,
    for<'t> Option<NaiveDate>: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> DateTime<Utc>: Encode<'t, DB> + Type<DB>,
    for<'t> Option<bool>: Encode<'t, DB> + Type<DB>,
    for<'t> Option<i64>: Encode<'t, DB> + Type<DB>,
    for<'t> Option<DateTime<Utc>>: Encode<'t, DB> + Type<DB>,
{
    for p in params {
        query = match p {
            Param::Text(v) => query.bind(v.clone()),
            Param::Date(v) => query.bind(*v),
            Param::Bool(v) => query.bind(*v),
            Param::Int(v) => query.bind(*v),
            Param::Timestamp(v) => query.bind(*v),
            Param::Unset(default) => match **default {
                Param::Text(_) => query.bind(None::<String>),
                Param::Date(_) => query.bind(None::<NaiveDate>),
                Param::Bool(_) => query.bind(None::<bool>),
                Param::Int(_) => query.bind(None::<i64>),
                Param::Timestamp(_) => query.bind(None::<DateTime<Utc>>),
                Param::Unset(_) => unreachable!("an unset value holds its default"),
            },
        };
    }
    query
}

/// The URL with any password masked, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            let pairs: Vec<(String, String)> = u
                .query_pairs()
                .map(|(k, v)| {
                    let v = if secret_key(&k) {
                        "***".into()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            if pairs.iter().any(|(_, v)| v == "***") {
                u.query_pairs_mut().clear().extend_pairs(pairs);
            }
            u.to_string()
        }
        // Not a URL the parser takes: still never shown with its password.
        Err(_) => redact_unparsed(url),
    }
}

/// Query parameters that carry secrets (`password`, `sslpassword`, `token`, `secret`, `key`…).
fn secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["pass", "pwd", "secret", "token", "key"]
        .iter()
        .any(|s| key.contains(s))
}

/// A URL the parser refuses, with the password of `user:password@` and secret query values
/// replaced by `***`.
fn redact_unparsed(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(start) = out.find("://").map(|i| i + 3) {
        let end = out[start..]
            .find(['/', '?'])
            .map_or(out.len(), |i| start + i);
        if let Some(at) = out[start..end].rfind('@').map(|i| start + i)
            && let Some(colon) = out[start..at].find(':').map(|i| start + i)
        {
            out.replace_range(colon + 1..at, "***");
        }
    }
    if let Some(q) = out.find('?') {
        let query: Vec<String> = out[q + 1..]
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if secret_key(k) => format!("{k}=***"),
                _ => pair.to_string(),
            })
            .collect();
        out = format!("{}?{}", &out[..q], query.join("&"));
    }
    out
}

/// `text` (an error message) with every secret of `url` in it replaced by `***`.
pub fn redact_in(text: &str, url: &str) -> String {
    let mut secrets: Vec<String> = Vec::new();
    if let Ok(u) = url::Url::parse(url) {
        secrets.extend(u.password().map(str::to_string));
        secrets.extend(
            u.query_pairs()
                .filter(|(k, _)| secret_key(k))
                .map(|(_, v)| v.into_owned()),
        );
    }
    let shown = redact(url);
    let mut out = text.replace(url, &shown);
    for secret in secrets.iter().filter(|s| s.len() >= 3) {
        out = out.replace(secret.as_str(), "***");
    }
    out
}

impl Store {
    /// Opens the store at `url` (creating a missing SQLite file) and applies pending migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let connect = |source| StoreError::Connect {
            url: redact(url),
            source,
        };
        let store = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(connect)?
                .create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(30));
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await
                .map_err(connect)?;
            Store::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // Batch reads of a second or two: compiling each plan to machine code (JIT) cost more
            // than it saved (0.7 s of a 3 s read of the failed checks), and the default 4 MB of
            // sort memory sent the licence list's sort to disk. A few connections, so 64 MB each.
            // Pages are cached or on SSD: at the default random-page cost (4) the delta's recount
            // of failed checks scanned all five million checks instead of looking up the 25,000
            // enterprise-categories it touched by index (national delta ingest 3.7-4.2 -> 2.8 s).
            let options = PgConnectOptions::from_str(url).map_err(connect)?.options([
                ("jit", "off"),
                ("work_mem", "64MB"),
                ("random_page_cost", "1.1"),
            ]);
            // One direct connection first: a pool would only report that it timed out, hiding
            // the reason (refused, unknown database, authentication).
            PgConnection::connect_with(&options)
                .await
                .map_err(connect)?
                .close()
                .await
                .map_err(connect)?;
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options)
                .await
                .map_err(connect)?;
            Store::Postgres(pool)
        } else {
            return Err(StoreError::Scheme(redact(url)));
        };
        store.migrate(url).await?;
        Ok(store)
    }

    async fn migrate(&self, url: &str) -> Result<(), StoreError> {
        let result = match self {
            Store::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
            Store::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        };
        result.map_err(|source| StoreError::Migrate {
            url: redact(url),
            source,
        })
    }

    /// `IS DISTINCT FROM` in the engine's dialect (SQLite spells it `IS NOT`).
    pub(crate) fn distinct_from(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "IS NOT",
            Store::Postgres(_) => "IS DISTINCT FROM",
        }
    }

    /// How the engine's statements write their parameters (see [`conn::Placeholders`]).
    pub(crate) fn placeholders(&self) -> conn::Placeholders {
        use conn::Conn;
        match self {
            Store::Sqlite(_) => sqlx::SqliteConnection::PLACEHOLDERS,
            Store::Postgres(_) => sqlx::PgConnection::PLACEHOLDERS,
        }
    }

    /// The database's clock, as an SQL expression comparable with the stored timestamps, `seconds`
    /// (a placeholder such as `$4`, or a literal) from now. Leases are decided on this one clock,
    /// never on a host's, so a host whose clock runs ahead cannot take over live claims.
    pub(crate) fn db_now_plus(&self, seconds: &str) -> String {
        match self {
            // Stored as RFC 3339 text (sqlx), which this compares with in text order.
            Store::Sqlite(_) => {
                format!("strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', ({seconds}) || ' seconds')")
            }
            Store::Postgres(_) => format!("(now() + ({seconds}) * interval '1 second')"),
        }
    }

    /// The database's clock now (see [`Store::db_now_plus`]).
    pub(crate) fn db_now(&self) -> String {
        self.db_now_plus("0")
    }

    pub fn engine(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }
}

/// Reads a stored enumeration code back, borrowed from its row: a code is copied only into the
/// error that names it.
pub(crate) fn decode<T>(
    column: &'static str,
    value: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    parse(value).ok_or_else(|| StoreError::Unknown {
        column,
        value: value.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_in_messages() {
        assert_eq!(
            redact("postgres://u:secret@db:5432/x"),
            "postgres://u:***@db:5432/x"
        );
        assert_eq!(redact("sqlite://licwatch.db"), "sqlite://licwatch.db");
        let shown = redact("postgres://db:5432/x?user=u&password=hunter22&sslmode=require");
        assert!(
            !shown.contains("hunter22") && shown.contains("sslmode=require"),
            "{shown}"
        );
        // A URL the parser refuses is redacted all the same.
        let shown = redact("postgres://u:hunter22@[bad/x?password=hunter23");
        assert!(
            !shown.contains("hunter22") && !shown.contains("hunter23"),
            "{shown}"
        );
        let text = "cannot connect to postgres://u:hunter22@db/x: hunter22 refused";
        let scrubbed = redact_in(text, "postgres://u:hunter22@db/x");
        assert!(!scrubbed.contains("hunter22"), "{scrubbed}");
    }
}
