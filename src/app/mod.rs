//! The application layer: the workflows the command line, the scheduler and the demo share. Each
//! module is one workflow — a few functions taking the parsed [`Context`] and the store, named for
//! what they do and whether they write (`rank` reads and computes, `record_ranking` writes).
//!
//! Dependencies point down: `cli` and `demo` call `jobs` and `app`; `jobs` calls `app`; `app` calls
//! the pure rules (`deadlines`, `risk`, `draw`), the renderers (`report`, `mail`) and the `store`.
//! Nothing here imports the command line.

pub mod deadlines;
pub mod delivery;
pub mod draw;
pub mod ingest;
pub mod redraw;
pub mod reference;
pub mod reports;
pub mod risk;

use std::path::Path;

use anyhow::Context as _;
use chrono::NaiveDate;
use chrono_tz::Tz;

pub use crate::period::Period;

use crate::calendar::Calendar;
use crate::config::{Config, ConfigError, DEFAULT_DATABASE_URL};
use crate::store::Store;

/// What every workflow needs, parsed once at start: the configuration, its time zone, the calendar
/// with its notice and regional files loaded, and where the store is. A bad config or notice file
/// fails here, naming it, instead of in the middle of a batch.
#[derive(Clone)]
pub struct Context {
    pub config: Config,
    /// The zone dates and times are read in (Asia/Shanghai unless configured).
    pub zone: Tz,
    pub calendar: Calendar,
    /// Show progress of long steps on the terminal: a person's command printing a table, never a
    /// job or a machine format.
    pub progress: bool,
    database_url: String,
}

impl Context {
    /// Loads the configuration (`path`, else `./licwatch.toml` if present, else the defaults) and
    /// everything it names.
    pub fn load(config: Option<&Path>, database_url: Option<&str>) -> anyhow::Result<Self> {
        Self::new(Config::load(config)?, database_url)
    }

    /// Parses an already-read configuration.
    pub fn new(config: Config, database_url: Option<&str>) -> anyhow::Result<Self> {
        let zone = config.zone().map_err(|_| ConfigError::TimeZone {
            path: "licwatch.toml".into(),
            zone: config.time_zone.clone(),
        })?;
        let calendar = config.calendar().context(
            "loading the calendar's notice and regional files ([calendar] in licwatch.toml)",
        )?;
        let database_url = database_url
            .map(str::to_string)
            .unwrap_or_else(|| config.database_url.clone());
        Ok(Context {
            config,
            zone,
            calendar,
            progress: false,
            database_url: if database_url.is_empty() {
                DEFAULT_DATABASE_URL.into()
            } else {
                database_url
            },
        })
    }

    /// The same context with another configuration of the same zone and calendar (the demo fills
    /// in example recipients).
    pub fn with_config(&self, config: Config) -> Context {
        Context {
            config,
            ..self.clone()
        }
    }

    /// The same context, showing progress of long steps when `wanted` (and stderr is a terminal).
    pub fn with_progress(&self, wanted: bool) -> Context {
        Context {
            progress: wanted,
            ..self.clone()
        }
    }

    pub async fn store(&self) -> anyhow::Result<Store> {
        Ok(Store::open(&self.database_url).await?)
    }

    /// Today in the configured time zone (Beijing time by default).
    pub fn today(&self) -> NaiveDate {
        crate::clock::now().with_timezone(&self.zone).date_naive()
    }

    pub fn as_of(&self, given: Option<NaiveDate>) -> NaiveDate {
        given.unwrap_or_else(|| self.today())
    }

    /// Where the reports of a period are written.
    pub fn out_dir(&self, period: &Period) -> std::path::PathBuf {
        self.config.reports.out_dir.join(period.to_string())
    }
}

/// Resolves a prefecture given by name or code to its division code.
pub async fn prefecture_code(store: &Store, given: Option<&str>) -> anyhow::Result<Option<String>> {
    let Some(given) = given else {
        return Ok(None);
    };
    let divisions = store.divisions().await?;
    Ok(Some(divisions.prefecture(given)?.code.clone()))
}

/// Chinese names for the codes records hold (categories, divisions), read once.
pub struct Names {
    pub catalogue: crate::catalogue::Catalogue,
    pub divisions: crate::divisions::Divisions,
}

impl Names {
    pub async fn load(store: &Store) -> anyhow::Result<Self> {
        Ok(Names {
            catalogue: store.catalogue().await?,
            divisions: store.divisions().await?,
        })
    }

    /// A category's Chinese name, or the code itself when unknown.
    pub fn category(&self, code: &str) -> String {
        self.catalogue
            .by_code(code)
            .map_or(code.to_string(), |c| c.name_zh.clone())
    }

    /// A division's name, or the code itself when unknown.
    pub fn division(&self, code: &str) -> String {
        self.divisions
            .by_code(code)
            .map_or(code.to_string(), |d| d.name.clone())
    }
}
