//! 电子证书 (measures 二(三)6): "许可机关作出许可决定后 10 个工作日内生成电子证书，并推送至企业" —
//! due `add(decision, e_certificate_workdays)`, the decision date defaulting to the grant date.
//! Before the approval system was rebuilt the work was on paper (四(二)): decisions before
//! `e_certificate_from` get no row.

use super::{Context, Flag, Rule, Status};
use crate::calendar::CalendarError;
use crate::model::Licence;

pub fn e_certificate(ctx: &Context, licence: &Licence) -> Result<Option<Flag>, CalendarError> {
    let decision = licence.decision_date.unwrap_or(licence.grant_date);
    if ctx
        .params
        .e_certificate_from
        .is_some_and(|from| decision < from)
    {
        return Ok(None);
    }
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

    #[test]
    fn decisions_before_the_system_went_live_were_on_paper() {
        let cal = Calendar::builtin();
        let params = RuleParams {
            e_certificate_from: Some(d("2019-01-01")),
            ..RuleParams::default()
        };
        let on_paper = licence("2018-12-28");
        assert!(
            e_certificate(&ctx(&cal, &params, "2025-01-01"), &on_paper)
                .unwrap()
                .is_none()
        );
        let online = licence("2019-01-02");
        let f = e_certificate(&ctx(&cal, &params, "2025-01-01"), &online).unwrap();
        assert_eq!(f.map(|f| f.status), Some(Status::Late));
    }

    #[test]
    fn the_go_live_date_reads_from_the_config_as_a_toml_date_or_text() {
        for text in [
            "e_certificate_from = 2019-01-01",
            "e_certificate_from = \"2019-01-01\"",
        ] {
            let params: RuleParams = toml::from_str(text).unwrap();
            assert_eq!(params.e_certificate_from, Some(d("2019-01-01")), "{text}");
        }
    }
}
