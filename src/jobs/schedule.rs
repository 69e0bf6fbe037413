//! When a job's ticks fall, in its own time zone, as UTC instants (the ledger's `scheduled_for`).
//!
//! Daylight saving, one stated way (croner over chrono-tz): a wall-clock time that does not exist
//! (the spring-forward gap) fires once at the first instant after the gap; a wall-clock time that
//! happens twice (the fall-back hour) fires once, at its first occurrence. tokio-cron-scheduler turns
//! a zone into a fixed offset when a job is created, so the scheduler only uses it as its clock and
//! computes the ticks here.

use chrono::{DateTime, Duration, SubsecRound, Utc};

use super::definition::{CatchUp, Job, JobCalendar};
use crate::calendar::Calendar;

/// The ticks of `job` in (after, until], oldest first, at most `limit` of them. A job on the
/// `workdays` calendar skips the days `calendar` says are off.
pub fn ticks_between(
    job: &Job,
    calendar: &Calendar,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: usize,
) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    // Ticks are whole seconds: the ledger's key must be the same whoever computes it.
    let mut cursor = after.trunc_subsecs(0).with_timezone(&job.zone);
    while out.len() < limit {
        let Ok(next) = job.cron.find_next_occurrence(&cursor, false) else {
            break;
        };
        let utc = next.with_timezone(&Utc).trunc_subsecs(0);
        if utc > until {
            break;
        }
        // A repeated wall-clock hour yields the same local time twice: keep the first.
        let fresh = out.last().is_none_or(|last: &DateTime<Utc>| utc > *last);
        // A day outside the calendar's span counts as a working day: the cron decides.
        let on_calendar = job.def.calendar == JobCalendar::Every
            || calendar.is_working_day(next.date_naive()).unwrap_or(true);
        if fresh && on_calendar {
            out.push(utc);
        }
        cursor = next;
    }
    out
}

/// The next `n` ticks after `now`.
pub fn next_ticks(
    job: &Job,
    calendar: &Calendar,
    now: DateTime<Utc>,
    n: usize,
) -> Vec<DateTime<Utc>> {
    ticks_between(job, calendar, now, now + Duration::days(800), n)
}

/// Which missed ticks to run at start, by the job's catch-up policy; the rest are recorded as
/// skipped. `missed` is oldest first.
pub fn catch_up(
    policy: CatchUp,
    missed: &[DateTime<Utc>],
) -> (Vec<DateTime<Utc>>, Vec<DateTime<Utc>>) {
    match (policy, missed.split_last()) {
        (_, None) => (Vec::new(), Vec::new()),
        (CatchUp::Skip, _) => (Vec::new(), missed.to_vec()),
        (CatchUp::Latest, Some((last, rest))) => (vec![*last], rest.to_vec()),
        (CatchUp::All, _) => (missed.to_vec(), Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn job(cron: &str, zone: &str) -> Job {
        let text = format!(
            "name = \"t\"\ncron = \"{cron}\"\ntime_zone = \"{zone}\"\ncatch_up = \"all\"\n[[steps]]\nstep = \"risk\"\n"
        );
        Job::parse(&text, Path::new("t.toml")).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn monday_eight_in_beijing_is_midnight_utc() {
        let j = job("0 0 8 * * Mon", "Asia/Shanghai");
        let ticks = next_ticks(&j, &Calendar::builtin(), utc("2026-11-27T00:00:00Z"), 2);
        assert_eq!(
            ticks,
            vec![utc("2026-11-30T00:00:00Z"), utc("2026-12-07T00:00:00Z")]
        );
    }

    #[test]
    fn the_spring_gap_fires_once_after_it_and_the_autumn_hour_once() {
        // New York: 2026-03-08 02:00 → 03:00; 2026-11-01 02:00 → 01:00.
        let gap = job("0 30 2 * * *", "America/New_York");
        let ticks = ticks_between(
            &gap,
            &Calendar::builtin(),
            utc("2026-03-07T12:00:00Z"),
            utc("2026-03-09T12:00:00Z"),
            10,
        );
        assert_eq!(ticks.len(), 2, "{ticks:?}");
        assert_eq!(
            ticks[0],
            utc("2026-03-08T07:00:00Z"),
            "03:00 EDT, the first instant after the gap"
        );
        assert_eq!(ticks[1], utc("2026-03-09T06:30:00Z"));

        let repeated = job("0 30 1 * * *", "America/New_York");
        let ticks = ticks_between(
            &repeated,
            &Calendar::builtin(),
            utc("2026-10-31T12:00:00Z"),
            utc("2026-11-01T12:00:00Z"),
            10,
        );
        assert_eq!(
            ticks,
            vec![utc("2026-11-01T05:30:00Z")],
            "01:30 EDT only, not 01:30 EST"
        );
    }

    #[test]
    fn ticks_are_whole_seconds_from_any_instant() {
        let j = job("*/2 * * * * *", "UTC");
        let from = utc("2026-11-27T02:16:18.4678Z");
        let ticks = ticks_between(
            &j,
            &Calendar::builtin(),
            from,
            from + Duration::seconds(5),
            10,
        );
        assert_eq!(
            ticks,
            vec![utc("2026-11-27T02:16:20Z"), utc("2026-11-27T02:16:22Z")]
        );
    }

    #[test]
    fn catch_up_policies() {
        let missed = [
            utc("2026-11-23T00:00:00Z"),
            utc("2026-11-24T00:00:00Z"),
            utc("2026-11-25T00:00:00Z"),
        ];
        assert_eq!(catch_up(CatchUp::Skip, &missed), (vec![], missed.to_vec()));
        assert_eq!(
            catch_up(CatchUp::Latest, &missed),
            (vec![missed[2]], missed[..2].to_vec())
        );
        assert_eq!(catch_up(CatchUp::All, &missed), (missed.to_vec(), vec![]));
        assert_eq!(catch_up(CatchUp::All, &[]), (vec![], vec![]));
    }

    #[test]
    fn a_workdays_job_skips_holidays_and_fires_on_tiaoxiu_saturdays() {
        let text = "name = \"t\"\ncron = \"0 30 7 * * *\"\ntime_zone = \"Asia/Shanghai\"\n\
                    catch_up = \"all\"\ncalendar = \"workdays\"\n[[steps]]\nstep = \"risk\"\n";
        let j = Job::parse(text, Path::new("t.toml")).unwrap();
        // 2026: 中秋 off Sep 25–27, 国庆 off Oct 1–7, Saturday Oct 10 worked.
        let days: Vec<String> = ticks_between(
            &j,
            &Calendar::builtin(),
            utc("2026-09-23T00:00:00Z"),
            utc("2026-10-11T00:00:00Z"),
            100,
        )
        .into_iter()
        .map(|t| t.with_timezone(&j.zone).format("%m-%d").to_string())
        .collect();
        assert_eq!(
            days,
            [
                "09-24", "09-28", "09-29", "09-30", "10-08", "10-09", "10-10"
            ]
        );
    }
}
