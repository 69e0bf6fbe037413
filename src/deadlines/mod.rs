//! The deadline rules of DESIGN.md section 5, each a pure function of one licence's facts, the
//! calendar, the configured figures and the day it is seen on. Only `active` licences are flagged.

mod direct_renewal;
mod e_certificate;
mod exit_review;
mod expiry;
mod follow_up;
mod onsite_review;
mod renewal;

pub use e_certificate::e_certificate;
pub use exit_review::exit_review;
pub use expiry::{expiry, validity_end};
pub use follow_up::follow_up;
pub use onsite_review::{awaits_review, counts_as_review, last_overdue_grant, onsite_review};
pub use renewal::renewal;

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError};
use crate::model::{Licence, LicenceStatus, OnsiteReview, ViolationKind};

/// The measures' figures, in configuration because the next reform will change some of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleParams {
    /// On-site review of a simplified-procedure licence: within this many working days after the grant.
    pub onsite_review_workdays: i64,
    /// Renewal: filed no later than this many working days before expiry.
    pub renewal_filing_workdays: i64,
    /// Renewal window opens when the last filing day is this many working days away.
    pub renewal_window_workdays: i64,
    /// ... and is `closing` from this many working days away.
    pub renewal_closing_workdays: i64,
    /// Electronic certificate: generated and pushed within this many working days after the decision.
    pub e_certificate_workdays: i64,
    /// Licence validity in years, when no expiry is given.
    pub validity_years: u32,
    /// The day the rebuilt approval system went live (measures 四(二): "在审批系统未开发改造完成前，
    /// 以纸质形式开展相关工作"): decisions before it were on paper and get no `e_certificate` row.
    /// None: every licence is checked.
    #[serde(deserialize_with = "crate::dates::optional_config_date")]
    pub e_certificate_from: Option<NaiveDate>,
}

impl Default for RuleParams {
    fn default() -> Self {
        RuleParams {
            onsite_review_workdays: 30,
            renewal_filing_workdays: 30,
            renewal_window_workdays: 60,
            renewal_closing_workdays: 10,
            e_certificate_workdays: 10,
            validity_years: 5,
            e_certificate_from: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    OnsiteReview,
    Renewal,
    ECertificate,
    Expiry,
    ExitReview,
    FollowUp,
}

impl Rule {
    pub fn code(self) -> &'static str {
        match self {
            Rule::OnsiteReview => "onsite_review",
            Rule::Renewal => "renewal",
            Rule::ECertificate => "e_certificate",
            Rule::Expiry => "expiry",
            Rule::ExitReview => "exit_review",
            Rule::FollowUp => "follow_up",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Rule::OnsiteReview => "证后监督性现场审查",
            Rule::Renewal => "延续申请",
            Rule::ECertificate => "电子证书推送",
            Rule::Expiry => "有效期届满",
            Rule::ExitReview => "快速退出核查",
            Rule::FollowUp => "不合格后处理",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Due,
    Overdue,
    Done,
    Exempt,
    WindowOpen,
    Closing,
    Missed,
    Filed,
    Pending,
    Late,
    Issued,
    ExpiredActive,
    Candidate,
    /// A renewal filed after the last filing day: granted, but not directly (二(三)5).
    FiledLate,
    /// A violation recorded since the grant: investigated under 三(二), not a quick-exit ground.
    Investigate,
    /// A failed spot check not yet closed by a later pass or a recorded disposal (三(三)).
    Open,
    /// The rule could not be evaluated for this licence; the reason is in the detail.
    Error,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Due => "due",
            Status::Overdue => "overdue",
            Status::Done => "done",
            Status::Exempt => "exempt",
            Status::WindowOpen => "window_open",
            Status::Closing => "closing",
            Status::Missed => "missed",
            Status::Filed => "filed",
            Status::Pending => "pending",
            Status::Late => "late",
            Status::Issued => "issued",
            Status::ExpiredActive => "expired_active",
            Status::Candidate => "candidate",
            Status::FiledLate => "filed_late",
            Status::Investigate => "investigate",
            Status::Open => "open",
            Status::Error => "error",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Due => "待审查",
            Status::Overdue => "逾期未审查",
            Status::Done => "已审查",
            Status::Exempt => "免于审查(直接延续)",
            Status::WindowOpen => "延续窗口已开启",
            Status::Closing => "延续即将截止",
            Status::Missed => "已过直接延续申请期限",
            Status::Filed => "已申请延续",
            Status::Pending => "待推送",
            Status::Late => "逾期未推送",
            Status::Issued => "已推送",
            Status::ExpiredActive => "已过期仍显示有效",
            Status::Candidate => "应核查是否退出",
            Status::FiledLate => "逾期申请延续(需现场审查)",
            Status::Investigate => "违法行为待依法查处",
            Status::Open => "待后处理",
            Status::Error => "无法判定",
        }
    }

    /// Whether a plain `deadlines` lists the flag (everything but `done`, `exempt`, `issued`).
    pub fn needs_attention(self) -> bool {
        !matches!(self, Status::Done | Status::Exempt | Status::Issued)
    }
}

/// One deadline flag on one licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub rule: Rule,
    pub status: Status,
    /// The deadline, or for `exit_review` the day of the latest finding.
    pub due: NaiveDate,
    /// `count(as_of, due)`: 0 on the due day, negative once past.
    pub workdays_left: i64,
    /// Whether a year without a published notice was involved.
    pub provisional: bool,
    /// What the flag rests on, in words.
    pub detail: String,
}

/// Everything the rules need to know about one licence.
#[derive(Debug, Clone, Default)]
pub struct LicenceFacts {
    pub reviews: Vec<OnsiteReview>,
    /// Failed spot checks of the licence's enterprise in its category.
    pub failed_checks: Vec<FailedCheck>,
    /// Violations recorded against the licence's enterprise.
    pub violations: Vec<(NaiveDate, ViolationKind)>,
    /// The licence this one renews, when it is linked (`renews`) and in the store.
    pub renewed: Option<Renewed>,
}

/// A failed spot check and what closes its follow-up (后处理).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedCheck {
    pub date: NaiveDate,
    /// The first later passing check of the same enterprise and category.
    pub passed_after: Option<NaiveDate>,
    /// The recorded completion of its follow-up.
    pub disposed: Option<NaiveDate>,
}

impl FailedCheck {
    /// A failed check on `date`, nothing after it yet.
    pub fn on(date: NaiveDate) -> Self {
        FailedCheck {
            date,
            passed_after: None,
            disposed: None,
        }
    }
}

/// What the direct-renewal conditions of 二(三)5 read from the licence a renewal renews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewed {
    pub licence_no: String,
    pub grant_date: NaiveDate,
    /// As stored: None means five years from the grant.
    pub expiry: Option<NaiveDate>,
    /// The renewal application, when it was recorded on the old licence.
    pub renewal_filed: Option<NaiveDate>,
}

/// The calendar, the figures and the day a licence is seen on.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub calendar: &'a Calendar,
    pub params: &'a RuleParams,
    pub as_of: NaiveDate,
}

impl Context<'_> {
    /// A flag whose deadline is `due`, with `workdays_left` and `provisional` taken from the calendar.
    fn flag(
        &self,
        rule: Rule,
        status: Status,
        due: NaiveDate,
        provisional: bool,
        detail: String,
    ) -> Result<Flag, CalendarError> {
        let left = self.calendar.count(self.as_of, due)?;
        Ok(Flag {
            rule,
            status,
            due,
            workdays_left: left.value,
            provisional: provisional || left.provisional,
            detail,
        })
    }

    /// How many working days remain before `due`, as seen today.
    fn left(&self, due: NaiveDate) -> Result<i64, CalendarError> {
        Ok(self.calendar.count(self.as_of, due)?.value)
    }
}

/// A licence as the deadline report sees it: the record, the names people read, and its facts.
#[derive(Debug, Clone)]
pub struct Subject {
    pub licence: Licence,
    pub enterprise: String,
    /// Division code of the enterprise's prefecture.
    pub prefecture: String,
    pub prefecture_name: String,
    pub category_name: String,
    pub facts: LicenceFacts,
}

/// One row of `licwatch deadlines` (DESIGN.md section 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineRow {
    pub licence_no: String,
    pub credit_code: String,
    pub enterprise: String,
    /// The name of the enterprise's prefecture, as people read it.
    pub prefecture: String,
    /// The prefecture bureau whose work the flag is, or None for the region's bureau (not an
    /// output column): see [`responsible_bureau`].
    #[serde(skip)]
    pub bureau: Option<String>,
    pub category: String,
    pub rule: Rule,
    pub status: Status,
    pub due: NaiveDate,
    pub workdays_left: i64,
    pub provisional: bool,
    pub rule_label: &'static str,
    pub status_label: &'static str,
    pub detail: String,
}

impl DeadlineRow {
    fn new(subject: &Subject, flag: Flag) -> Self {
        DeadlineRow {
            licence_no: subject.licence.licence_no.clone(),
            credit_code: subject.licence.credit_code.clone(),
            enterprise: subject.enterprise.clone(),
            prefecture: subject.prefecture_name.clone(),
            bureau: responsible_bureau(flag.rule, subject),
            category: subject.category_name.clone(),
            rule: flag.rule,
            status: flag.status,
            due: flag.due,
            workdays_left: flag.workdays_left,
            provisional: flag.provisional,
            rule_label: flag.rule.label(),
            status_label: flag.status.label(),
            detail: flag.detail,
        }
    }
}

/// Whose work a flag is. The on-site review and the electronic certificate belong to the bureau that
/// issued the licence — the region's, or a prefecture's it delegated to (measures 二(二): "按照委托权限
/// 负责…受理、审查、审批、发证"; 二(三)4: "自治区质监局或其委托的地州市质监局应组织…现场审查"; 二(三)6);
/// renewal, expiry and quick-exit flags to the enterprise's prefecture, which supervises it. None:
/// the region's bureau.
pub fn responsible_bureau(rule: Rule, subject: &Subject) -> Option<String> {
    match rule {
        Rule::OnsiteReview | Rule::ECertificate => subject.licence.issuer.clone(),
        Rule::Renewal | Rule::Expiry | Rule::ExitReview | Rule::FollowUp => {
            Some(subject.prefecture.clone())
        }
    }
}

/// The deadline rows of `subjects`: those needing attention, or every row with `all`; most urgent
/// first. A rule that cannot be evaluated for a licence gives an `error` row; the others go on.
pub fn rows(ctx: &Context, subjects: &[Subject], all: bool) -> Vec<DeadlineRow> {
    // Over the cores: every licence of the country is 320,000 subjects, each evaluated on its own.
    let mut rows: Vec<DeadlineRow> = subjects
        .par_iter()
        .flat_map_iter(|subject| {
            evaluate(ctx, &subject.licence, &subject.facts)
                .into_iter()
                .filter(|flag| all || flag.status.needs_attention())
                .map(move |flag| DeadlineRow::new(subject, flag))
        })
        .collect();
    rows.par_sort_by(|a, b| {
        // By the rule's code, as the rows have always been listed.
        (a.workdays_left, &a.licence_no, a.rule.code()).cmp(&(
            b.workdays_left,
            &b.licence_no,
            b.rule.code(),
        ))
    });
    rows
}

/// Every flag of one licence, in rule order; none unless the licence is `active`. A rule that
/// fails (a date the calendar cannot reach) gives an `error` flag with its reason, dated the day
/// seen, and the other rules still run.
pub fn evaluate(ctx: &Context, licence: &Licence, facts: &LicenceFacts) -> Vec<Flag> {
    if licence.status != LicenceStatus::Active {
        return Vec::new();
    }
    let error = |rule: Rule, e: CalendarError| Flag {
        rule,
        status: Status::Error,
        due: ctx.as_of,
        workdays_left: 0,
        provisional: false,
        detail: format!("无法判定：{e}"),
    };
    [
        (Rule::OnsiteReview, onsite_review(ctx, licence, facts)),
        (Rule::Renewal, renewal(ctx, licence)),
        (Rule::ECertificate, e_certificate(ctx, licence)),
        (Rule::Expiry, expiry(ctx, licence)),
        (Rule::ExitReview, exit_review(ctx, licence, facts)),
        (Rule::FollowUp, follow_up(ctx, facts)),
    ]
    .into_iter()
    .filter_map(|(rule, outcome)| outcome.unwrap_or_else(|e| Some(error(rule, e))))
    .collect()
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::model::Procedure;

    pub fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    pub fn licence(grant: &str) -> Licence {
        Licence {
            licence_no: "XK13-001-00001".into(),
            credit_code: "91350100M000100Y43".into(),
            category: "wire-rope".into(),
            procedure: Procedure::Simplified,
            grant_date: d(grant),
            expiry: None,
            decision_date: None,
            e_cert_date: None,
            status: LicenceStatus::Active,
            renewal_filed: None,
            renewal_direct: false,
            renews: None,
            major_change: false,
            issuer: None,
        }
    }

    pub fn ctx<'a>(calendar: &'a Calendar, params: &'a RuleParams, as_of: &str) -> Context<'a> {
        Context {
            calendar,
            params,
            as_of: d(as_of),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn inactive_licences_are_never_flagged() {
        let cal = Calendar::builtin();
        let params = RuleParams::default();
        let mut l = licence("2019-01-02");
        l.status = LicenceStatus::Revoked;
        let flags = evaluate(
            &ctx(&cal, &params, "2026-11-26"),
            &l,
            &LicenceFacts::default(),
        );
        assert!(flags.is_empty());
    }

    #[test]
    fn an_old_forgotten_licence_collects_every_flag() {
        let cal = Calendar::builtin();
        let params = RuleParams::default();
        let l = licence("2019-01-02");
        let flags = evaluate(
            &ctx(&cal, &params, "2026-11-26"),
            &l,
            &LicenceFacts::default(),
        );
        let got: Vec<_> = flags.iter().map(|f| (f.rule, f.status)).collect();
        assert_eq!(
            got,
            vec![
                (Rule::OnsiteReview, Status::Overdue),
                (Rule::Renewal, Status::Missed),
                (Rule::ECertificate, Status::Late),
                (Rule::Expiry, Status::ExpiredActive),
            ]
        );
    }

    #[test]
    fn a_rule_that_cannot_be_evaluated_gives_an_error_row_and_the_others_go_on() {
        let cal = Calendar::builtin();
        let params = RuleParams::default();
        let ctx = ctx(&cal, &params, "2026-11-26");
        // A grant the calendar cannot reach (a typo for 2019): every date rule fails for it alone.
        let mut broken = licence("1019-01-02");
        broken.licence_no = "XK-BROKEN".into();
        let fine = licence("2026-11-02");
        let subject = |l: &Licence| Subject {
            licence: l.clone(),
            enterprise: "企业".into(),
            prefecture: "650100".into(),
            prefecture_name: "乌鲁木齐市".into(),
            category_name: "钢丝绳".into(),
            facts: LicenceFacts::default(),
        };
        let rows = rows(&ctx, &[subject(&broken), subject(&fine)], false);
        let errors: Vec<_> = rows
            .iter()
            .filter(|r| r.licence_no == "XK-BROKEN")
            .map(|r| (r.rule, r.status))
            .collect();
        assert!(
            errors.contains(&(Rule::OnsiteReview, Status::Error)),
            "{rows:?}"
        );
        assert!(
            errors.iter().all(|(_, s)| *s == Status::Error),
            "{errors:?}"
        );
        let detail = &rows
            .iter()
            .find(|r| r.licence_no == "XK-BROKEN")
            .unwrap()
            .detail;
        assert!(detail.contains("1019-01-02"), "{detail}");
        // The other licence keeps its own flag: granted 2026-11-02, its review is due.
        assert!(rows.iter().any(|r| r.licence_no != "XK-BROKEN"
            && r.rule == Rule::OnsiteReview
            && r.status == Status::Due));
    }

    #[test]
    fn an_open_ended_licence_has_no_renewal_or_expiry_flag() {
        let cal = Calendar::builtin();
        let params = RuleParams::default();
        let mut l = licence("2019-01-02");
        l.expiry = Some(crate::model::OPEN_ENDED);
        let flags = evaluate(
            &ctx(&cal, &params, "2026-11-26"),
            &l,
            &LicenceFacts::default(),
        );
        let rules: Vec<_> = flags.iter().map(|f| f.rule).collect();
        assert!(
            !rules.contains(&Rule::Renewal) && !rules.contains(&Rule::Expiry),
            "{flags:?}"
        );
        assert!(flags.iter().all(|f| f.status != Status::Error), "{flags:?}");
    }
}
