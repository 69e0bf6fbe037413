//! Scheduled jobs (README "Operating the scheduler"): definitions read from `jobs/*.toml` and the
//! arithmetic of their ticks (pure), what each step does (`steps`, one call into `app`), and the
//! runner with its claims, leases, retries and cron loop (`run`).

pub mod definition;
pub mod run;
pub mod schedule;
pub mod steps;

pub use definition::{CatchUp, Job, JobCalendar, JobError, Step, load_dir, parse_cron};
pub use schedule::{catch_up, next_ticks, ticks_between};
