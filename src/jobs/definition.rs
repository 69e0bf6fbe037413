//! Job definitions: `jobs/*.toml`, one job per file. A file that does not parse or names an unknown
//! step, time zone or cron field is refused at start with its path and the reason.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};
use serde::Deserialize;

use crate::app::reports::ReportChoice;

/// What to do with ticks missed while no scheduler ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CatchUp {
    /// Forget them; wait for the next tick.
    Skip,
    /// Run the most recent missed tick once.
    Latest,
    /// Run every missed tick, oldest first.
    All,
}

/// Which days a job's ticks may fall on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobCalendar {
    /// Every day the cron expression names.
    #[default]
    Every,
    /// Only the statutory working days (工作日) of the calendar licwatch keeps. Give the cron every
    /// day (`0 30 7 * * *`): the calendar then leaves out weekends and holidays and keeps the 调休
    /// working Saturdays and Sundays.
    Workdays,
}

/// One step of a job. Every step is idempotent for its (job, period): ingest never loads a file
/// twice, risk replaces its period, a campaign is drawn once, a mail key is sent once.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Load the new files of an inbox directory, or rows from a SQL source: its URL written out
    /// (without a password) or named by an environment variable (`source_url_env`), which is how
    /// credentials reach a job.
    Ingest {
        inbox: Option<PathBuf>,
        source_url: Option<String>,
        source_url_env: Option<String>,
        query: Option<String>,
    },
    /// The category ranking and the enterprise tiers for the period.
    Risk,
    /// The deadline flags, written to `reports/out/<period>/deadlines.csv`.
    Deadlines,
    /// Fix a campaign's inputs before its seed exists (`draw freeze`): the plan, the as-of date
    /// (the tick's day) and both directories; `seed_source` (`{date}` filled in) is published.
    Freeze { plan: PathBuf, seed_source: String },
    /// A 双随机 draw from the campaign's freeze; the seed is read from `seed_file` (`{campaign}`
    /// filled in), which staff drop in — until it is there the step fails and the job retries.
    Draw { plan: PathBuf, seed_file: String },
    /// Render reports and queue their mails (held when the job needs approval).
    Report { reports: Vec<ReportChoice> },
    /// Deliver the outbox.
    Send,
}

impl Step {
    /// The step's kind, as job files name it.
    pub fn label(&self) -> &'static str {
        match self {
            Step::Ingest { .. } => "ingest",
            Step::Risk => "risk",
            Step::Deadlines => "deadlines",
            Step::Freeze { .. } => "freeze",
            Step::Draw { .. } => "draw",
            Step::Report { .. } => "report",
            Step::Send => "send",
        }
    }
}

fn default_zone() -> String {
    "Asia/Shanghai".into()
}
fn default_retries() -> u32 {
    2
}
fn default_backoff() -> u64 {
    300
}
fn default_timeout() -> u64 {
    3600
}

/// A job file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobFile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// tokio-cron-scheduler's format: sec min hour day-of-month month day-of-week, day-of-week by
    /// name (Mon…Sun), day-of-month and day-of-week both required (AND).
    pub cron: String,
    #[serde(default = "default_zone")]
    pub time_zone: String,
    pub catch_up: CatchUp,
    /// Further attempts after a failed run.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Wait before the first retry, doubling after each.
    #[serde(default = "default_backoff")]
    pub retry_backoff_seconds: u64,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// Assignment mails wait as `held` until `licwatch outbox release`.
    #[serde(default)]
    pub approval: bool,
    /// `workdays`: ticks fall only on statutory working days.
    #[serde(default)]
    pub calendar: JobCalendar,
    pub steps: Vec<Step>,
}

/// A validated job.
#[derive(Debug, Clone)]
pub struct Job {
    pub file: PathBuf,
    pub def: JobFile,
    pub zone: Tz,
    pub cron: Cron,
}

#[derive(Debug, thiserror::Error)]
#[error("job file {path}: {reason}")]
pub struct JobError {
    pub path: String,
    pub reason: String,
}

/// Parses a cron expression as the scheduler reads it: seconds required, day-of-month AND
/// day-of-week.
pub fn parse_cron(expr: &str) -> Result<Cron, String> {
    if expr
        .split_whitespace()
        .nth(5)
        .is_some_and(|dow| dow.chars().any(|c| c.is_ascii_digit()))
    {
        return Err(format!(
            "cron '{expr}': give the day of week by name (Mon…Sun); numbers changed meaning between versions"
        ));
    }
    CronParser::builder()
        .seconds(Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
        .map_err(|e| format!("cron '{expr}': {e}"))
}

impl Job {
    pub fn parse(text: &str, path: &Path) -> Result<Job, JobError> {
        let err = |reason: String| JobError {
            path: path.display().to_string(),
            reason,
        };
        let def: JobFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        if def.name.trim().is_empty() || def.name.contains(char::is_whitespace) {
            return Err(err(format!("name '{}' must be one word", def.name)));
        }
        let zone: Tz = def
            .time_zone
            .parse()
            .map_err(|_| err(format!("time_zone '{}' is not an IANA zone", def.time_zone)))?;
        let cron = parse_cron(&def.cron).map_err(err)?;
        if def.steps.is_empty() {
            return Err(err("no steps".into()));
        }
        for step in &def.steps {
            match step {
                Step::Ingest {
                    inbox,
                    source_url,
                    source_url_env,
                    query,
                } => {
                    let sources = usize::from(inbox.is_some())
                        + usize::from(source_url.is_some())
                        + usize::from(source_url_env.is_some());
                    if sources != 1 || inbox.is_some() == query.is_some() {
                        return Err(err("an ingest step takes either inbox, or source_url or \
                             source_url_env with query"
                            .into()));
                    }
                    if source_url
                        .as_deref()
                        .is_some_and(|u| url::Url::parse(u).is_ok_and(|u| u.password().is_some()))
                    {
                        return Err(err("source_url carries a password: name an environment \
                             variable holding the URL with source_url_env instead"
                            .into()));
                    }
                }
                Step::Draw { seed_file, .. } if seed_file.trim().is_empty() => {
                    return Err(err("a draw step needs a seed_file".into()));
                }
                Step::Freeze { seed_source, .. } if seed_source.trim().is_empty() => {
                    return Err(err(
                        "a freeze step names the seed's future source (seed_source)".into(),
                    ));
                }
                Step::Report { reports } if reports.is_empty() => {
                    return Err(err("a report step lists its reports".into()));
                }
                _ => {}
            }
        }
        Ok(Job {
            file: path.to_path_buf(),
            def,
            zone,
            cron,
        })
    }

    pub fn name(&self) -> &str {
        &self.def.name
    }
}

/// Every `*.toml` directly in `dir` (plans live in `dir/plans/` and are not jobs), by name. Any bad
/// file, or two jobs of one name, refuses the whole set.
pub fn load_dir(dir: &Path) -> Result<Vec<Job>, JobError> {
    let err = |reason: String| JobError {
        path: dir.display().to_string(),
        reason,
    };
    let entries = std::fs::read_dir(dir).map_err(|e| err(e.to_string()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut jobs: Vec<Job> = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|e| JobError {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let job = Job::parse(&text, &path)?;
        if let Some(other) = jobs.iter().find(|j| j.name() == job.name()) {
            return Err(JobError {
                path: path.display().to_string(),
                reason: format!(
                    "job '{}' is also defined in {}",
                    job.name(),
                    other.file.display()
                ),
            });
        }
        jobs.push(job);
    }
    Ok(jobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEEKLY: &str = r#"
name = "weekly-reports"
cron = "0 0 8 * * Mon"
catch_up = "latest"
[[steps]]
step = "risk"
[[steps]]
step = "report"
reports = ["weekly"]
"#;

    #[test]
    fn a_job_file_parses_with_its_defaults() {
        let job = Job::parse(WEEKLY, Path::new("jobs/weekly.toml")).unwrap();
        assert_eq!(job.zone, chrono_tz::Asia::Shanghai);
        assert_eq!(job.def.retries, 2);
        assert_eq!(
            job.def.steps[1],
            Step::Report {
                reports: vec![ReportChoice::Weekly]
            }
        );
    }

    #[test]
    fn bad_files_are_refused_with_the_path_and_reason() {
        for (text, reason) in [
            (WEEKLY.replace("0 0 8 * * Mon", "0 8 * * Mon"), "cron"),
            (WEEKLY.replace("Mon", "1"), "by name"),
            (WEEKLY.replace("\"risk\"", "\"rsik\""), "rsik"),
            (WEEKLY.replace("latest", "sometimes"), "sometimes"),
            (format!("time_zone = \"Asia/Beijing\"\n{WEEKLY}"), "IANA"),
            (
                WEEKLY.replace("reports = [\"weekly\"]", "reports = []"),
                "lists its reports",
            ),
        ] {
            let err = Job::parse(&text, Path::new("jobs/bad.toml"))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("job file jobs/bad.toml: "), "{err}");
            assert!(err.contains(reason), "{err}");
        }
    }

    #[test]
    fn the_shipped_jobs_load() {
        let jobs = load_dir(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/jobs"))).unwrap();
        let names: Vec<&str> = jobs.iter().map(|j| j.name()).collect();
        assert_eq!(
            names,
            vec![
                "daily-alerts",
                "daily-ingest",
                "monthly-draw",
                "monthly-freeze",
                "monthly-results",
                "weekly-ranking",
                "weekly-reports"
            ]
        );
        let draw = jobs.iter().find(|j| j.name() == "monthly-draw").unwrap();
        assert!(draw.def.approval, "assignment mails wait for leadership");
    }
}
