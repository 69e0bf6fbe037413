//! 电子证书: generated and pushed within `e_certificate_workdays` (10) working days after the
//! decision; the decision date defaults to the grant date.

use super::{Context, Flag, Rule, Status};
use crate::calendar::CalendarError;
use crate::model::Licence;

pub fn e_certificate(ctx: &Context, licence: &Licence) -> Result<Option<Flag>, CalendarError> {
    let decision = licence.decision_date.unwrap_or(licence.grant_date);
    let due = ctx
        .calendar
        .add(decision, ctx.params.e_certificate_workdays)?;
    let (status, detail) = match licence.e_cert_date {
        Some(issued) if issued <= ctx.as_of => (Status::Issued, format!("{issued} 已生成推送")),
        _ if ctx.left(due.value)? >= 0 => (Status::Pending, format!("决定日期 {decision}")),
        _ => (Status::Late, format!("决定日期 {decision}，尚未生成推送")),
    };
    ctx.flag(
        Rule::ECertificate,
        status,
        due.value,
        due.provisional,
        detail,
    )
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::super::RuleParams;
    use super::super::test_support::*;
    use super::*;
    use crate::calendar::Calendar;

    fn run(l: &Licence, as_of: &str) -> Flag {
        let cal = Calendar::builtin();
        let params = RuleParams::default();
        e_certificate(&ctx(&cal, &params, as_of), l)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn ten_working_days_after_a_decision_before_the_may_day_holiday() {
        // Decision Thursday 2025-04-24. 2025: worked Sunday 04-27, off 05-01..05-05.
        // Apr 25 (1), Apr 27 Sun (2), Apr 28–30 (5), May 6–9 (9), May 12 (10).
        let mut l = licence("2025-04-20");
        l.decision_date = Some(d("2025-04-24"));
        let f = run(&l, "2025-05-12");
        assert_eq!(
            (f.due, f.status, f.workdays_left),
            (d("2025-05-12"), Status::Pending, 0)
        );
        assert_eq!(run(&l, "2025-05-13").status, Status::Late);
        l.e_cert_date = Some(d("2025-05-13"));
        assert_eq!(run(&l, "2025-05-14").status, Status::Issued);
    }

    #[test]
    fn decision_date_defaults_to_the_grant() {
        let f = run(&licence("2025-04-24"), "2025-04-24");
        assert_eq!(f.due, d("2025-05-12"));
    }
}
