//! Scheduled jobs (README "Operating the scheduler"): definitions read from `jobs/*.toml` and the
//! arithmetic of their ticks — pure. Claims, the ledger and running the steps live in the store and
//! in `cli::jobs`.

pub mod definition;
pub mod schedule;

pub use definition::{CatchUp, Job, JobError, Step, load_dir, parse_cron};
pub use schedule::{catch_up, next_ticks, ticks_between};
