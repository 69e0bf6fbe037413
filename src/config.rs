//! `licwatch.toml`: every key has a default, documented in `licwatch.example.toml`. Environment
//! variables override the file (DESIGN.md section 3); credentials are never read from the repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;

use crate::calendar::{Calendar, CalendarError};
use crate::deadlines::RuleParams;
use crate::mail::MailConfig;
use crate::risk::RiskParams;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://licwatch.db";
pub const DEFAULT_CONFIG_FILE: &str = "licwatch.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config {path}: {message}")]
    Parse { path: String, message: String },
    #[error("config {path}: time_zone '{zone}' is not an IANA time zone")]
    TimeZone { path: String, zone: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Store URL; `DATABASE_URL` and `--database-url` override it.
    pub database_url: String,
    /// The zone dates and times are read in. Xinjiang's offices keep Beijing time.
    pub time_zone: String,
    pub rules: RuleParams,
    /// The risk model's weights, thresholds, matrix, severities and measures.
    pub risk: RiskParams,
    pub calendar: CalendarConfig,
    pub reports: ReportsConfig,
    pub mail: MailConfig,
    pub scheduler: SchedulerConfig,
    pub recipients: Recipients,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: DEFAULT_DATABASE_URL.into(),
            time_zone: "Asia/Shanghai".into(),
            rules: RuleParams::default(),
            risk: RiskParams::default(),
            calendar: CalendarConfig::default(),
            reports: ReportsConfig::default(),
            mail: MailConfig::default(),
            scheduler: SchedulerConfig::default(),
            recipients: Recipients::default(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarConfig {
    /// Later State Council notices (a new year, or a correction), same shape as the built-in table;
    /// loaded at start, no rebuild needed.
    pub notices: Vec<PathBuf>,
    /// Regional days off laid over the statutory calendar (in Xinjiang: 肉孜节, 古尔邦节); none by default.
    pub regional: Vec<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportsConfig {
    /// Where reports are written, one folder per ISO week.
    pub out_dir: PathBuf,
    /// Attach a workbook of the inspector's checks to each assignment mail. The mail's cards and
    /// its calendar file carry the same checks; the workbook is most of what writing a draw's mails
    /// costs (README, Benchmarks).
    pub assignment_workbook: bool,
}

impl Default for ReportsConfig {
    fn default() -> Self {
        ReportsConfig {
            out_dir: PathBuf::from("reports/out"),
            assignment_workbook: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SchedulerConfig {
    /// Where job definitions are read from (`*.toml`, one job each).
    pub jobs_dir: PathBuf,
    /// A replica's claim on a running tick lasts this long and is renewed while it runs; a tick
    /// whose process died is taken over by another replica once it runs out.
    pub lease_seconds: u64,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            jobs_dir: PathBuf::from("jobs"),
            lease_seconds: 60,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Recipients {
    /// Receive the risk ranking.
    pub leadership: Vec<String>,
    /// Receive the region-wide weekly report.
    pub region: Vec<String>,
    /// Each bureau's weekly report, by division code or name.
    pub prefecture: BTreeMap<String, Vec<String>>,
    /// The 一公开 notices (the mailbox of whoever publishes them on the bureau's site).
    pub public: Vec<String>,
}

impl Config {
    /// Reads `path` if given (it must exist), else `licwatch.toml` in the working directory if
    /// present, else the defaults.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from(DEFAULT_CONFIG_FILE), false),
        };
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Config::default());
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: shown,
                    source,
                });
            }
        };
        let config: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        config.risk.validate().map_err(|e| ConfigError::Parse {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        config.zone().map_err(|_| ConfigError::TimeZone {
            path: shown,
            zone: config.time_zone.clone(),
        })?;
        Ok(config)
    }

    pub fn zone(&self) -> Result<Tz, chrono_tz::ParseError> {
        self.time_zone.parse()
    }

    /// The statutory calendar with the configured notices and overlays.
    pub fn calendar(&self) -> Result<Calendar, CalendarError> {
        Calendar::load(&self.calendar.notices, &self.calendar.regional)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_parses_and_matches_the_defaults() {
        let text = include_str!("../licwatch.example.toml");
        let config: Config = toml::from_str(text).unwrap();
        assert_eq!(config.rules, RuleParams::default());
        assert_eq!(config.risk, RiskParams::default());
        assert_eq!(config.time_zone, "Asia/Shanghai");
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(
            config.recipients.prefecture["650100"],
            vec!["wlmq@example.gov.cn"]
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<Config>("[rules]\nonsite_review_days = 20\n").unwrap_err();
        assert!(err.to_string().contains("onsite_review_days"), "{err}");
    }

    #[test]
    fn a_missing_default_file_means_defaults_but_a_named_one_must_exist() {
        assert!(Config::load(Some(Path::new("/nonexistent/licwatch.toml"))).is_err());
    }
}
