//! 后处理 (measures 三(三): "强化不合格产品生产企业后处理工作"): every failed spot check is followed up,
//! whatever the licence's procedure, until a later passing check of the same enterprise and category,
//! or a recorded completion of the follow-up (`disposed`, 后处理完成日期), closes it. Each licence of
//! that enterprise and category carries one `open` row, dated by its earliest open failure.

use super::{Context, Flag, LicenceFacts, Rule, Status};
use crate::calendar::CalendarError;

/// The follow-up flag of a licence whose enterprise failed a check of its category (the facts hold
/// only those checks, so the licence itself has nothing more to say).
pub fn follow_up(ctx: &Context, facts: &LicenceFacts) -> Result<Option<Flag>, CalendarError> {
    let as_of = ctx.as_of;
    let closed_by = |d: Option<chrono::NaiveDate>| d.is_some_and(|d| d <= as_of);
    let mut open: Vec<_> = facts
        .failed_checks
        .iter()
        .filter(|c| c.date <= as_of && !closed_by(c.passed_after) && !closed_by(c.disposed))
        .map(|c| c.date)
        .collect();
    open.sort();
    let Some(&first) = open.first() else {
        return Ok(None);
    };
    let detail = if open.len() == 1 {
        format!("{first} 抽查不合格，尚无复查合格或后处理完成记录")
    } else {
        format!(
            "{} 次抽查不合格待后处理，最早 {first}，尚无复查合格或后处理完成记录",
            open.len()
        )
    };
    ctx.flag(Rule::FollowUp, Status::Open, first, false, detail)
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{ctx, d};
    use super::super::{FailedCheck, RuleParams};
    use super::*;
    use crate::calendar::Calendar;

    fn run(checks: Vec<FailedCheck>, as_of: &str) -> Option<Flag> {
        let cal = Calendar::builtin();
        let params = RuleParams::default();
        let facts = LicenceFacts {
            failed_checks: checks,
            ..LicenceFacts::default()
        };
        follow_up(&ctx(&cal, &params, as_of), &facts).unwrap()
    }

    #[test]
    fn a_failure_stays_open_until_a_later_pass_or_a_disposal_closes_it() {
        let failed = FailedCheck::on(d("2025-09-30"));
        // Failed on the Tuesday before National Day 2025: open, and 1 working day past by 10-09
        // (Oct 1–8 off, Oct 9 worked).
        let f = run(vec![failed], "2025-10-09").unwrap();
        assert_eq!(
            (f.status, f.due, f.workdays_left),
            (Status::Open, d("2025-09-30"), -1)
        );
        // A passing check later closes it — from the day of that check.
        let passed = FailedCheck {
            passed_after: Some(d("2025-10-20")),
            ..failed
        };
        assert!(run(vec![passed], "2025-10-19").is_some());
        assert!(run(vec![passed], "2025-10-20").is_none());
        // So does a recorded disposal.
        let disposed = FailedCheck {
            disposed: Some(d("2025-10-15")),
            ..failed
        };
        assert!(run(vec![disposed], "2025-10-15").is_none());
        // A failure after the day seen is not counted yet.
        assert!(run(vec![failed], "2025-09-29").is_none());
    }
}
