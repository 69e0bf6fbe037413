//! The records of DESIGN.md section 4, validated: codes are canonical (division codes, category codes,
//! credit codes), dates are dates, enumerations are closed.

use chrono::NaiveDate;
use serde::Serialize;

/// A closed set of values stored under an English code, shown with a Chinese label, and read from input
/// in either language (the aliases DESIGN.md section 4 lists).
macro_rules! labelled_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $code:literal, $label:literal, [$($alias:literal),*];)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored code.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The Chinese label shown to people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// Reads the code, the Chinese label or an alias (trimmed, ASCII case-insensitive).
            pub fn parse(text: &str) -> Option<Self> {
                let t = text.trim();
                $(
                    if t.eq_ignore_ascii_case($code) || t == $label $(|| t.eq_ignore_ascii_case($alias))* {
                        return Some($name::$variant);
                    }
                )+
                None
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

labelled_enum!(
    /// 审批程序.
    Procedure {
        Simplified => "simplified", "简化", ["简化审批", "简化程序"];
        Standard => "standard", "常规", ["常规审批", "常规程序"];
    }
);

labelled_enum!(
    /// 证书状态.
    LicenceStatus {
        Active => "active", "有效", [];
        Cancelled => "cancelled", "注销", [];
        Annulled => "annulled", "撤销", [];
        Revoked => "revoked", "吊销", [];
        Expired => "expired", "过期", [];
    }
);

labelled_enum!(
    /// 审查结论 of an on-site review.
    ReviewOutcome {
        Pass => "pass", "合格", ["通过"];
        Rectify => "rectify", "整改", ["限期整改"];
        Fail => "fail", "不合格", ["不通过"];
    }
);

labelled_enum!(
    /// 检验结论 of a spot check.
    CheckResult {
        Pass => "pass", "合格", [];
        Fail => "fail", "不合格", [];
    }
);

labelled_enum!(
    /// 类型 of a recorded violation. `improper_grant` (a licence obtained by fraud, bribery or other
    /// improper means) and `refused_supervision` are grounds of quick exit, 三(一); the others are
    /// investigated under 三(二) and 三(五).
    ViolationKind {
        Violation => "violation", "违法", [];
        SeriousDishonesty => "serious_dishonesty", "严重违法失信", ["黑名单", "serious-dishonesty"];
        ImproperGrant => "improper_grant", "骗取或贿赂取得许可", ["骗取", "贿赂取得", "骗取或贿赂取得", "improper-grant"];
        RefusedSupervision => "refused_supervision", "拒绝监督检查", ["不配合监督检查", "refused-supervision"];
    }
);

labelled_enum!(
    /// Where an outbox message stands.
    OutboxStatus {
        Pending => "pending", "待发送", [];
        Held => "held", "待审批", [];
        Sending => "sending", "发送中", [];
        Sent => "sent", "已发送", [];
        Failed => "failed", "发送失败", [];
        Superseded => "superseded", "已作废(重新抽取)", [];
    }
);

labelled_enum!(
    /// How one run of a job's tick ended (`running` while it lasts).
    RunStatus {
        Running => "running", "运行中", [];
        Succeeded => "succeeded", "成功", [];
        Failed => "failed", "失败", [];
        Interrupted => "interrupted", "中断", [];
        Skipped => "skipped", "跳过", [];
    }
);

/// Reads 是 / 否, yes / no, true / false, 1 / 0.
pub fn parse_yes_no(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "是" | "yes" | "y" | "true" | "1" => Some(true),
        "否" | "no" | "n" | "false" | "0" => Some(false),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enterprise {
    pub credit_code: String,
    pub name: String,
    /// Division code of the prefecture.
    pub prefecture: String,
    /// Division code of the county.
    pub county: String,
    pub address: Option<String>,
    pub email: Option<String>,
}

/// The expiry of an open-ended licence (长期): what many systems export for "no end", and what the
/// store keeps for it.
pub const OPEN_ENDED: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a real day");

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Licence {
    pub licence_no: String,
    pub credit_code: String,
    /// Category code.
    pub category: String,
    pub procedure: Procedure,
    pub grant_date: NaiveDate,
    /// As given; None means five years from the grant, [`OPEN_ENDED`] means no expiry.
    pub expiry: Option<NaiveDate>,
    pub decision_date: Option<NaiveDate>,
    pub e_cert_date: Option<NaiveDate>,
    pub status: LicenceStatus,
    pub renewal_filed: Option<NaiveDate>,
    /// Granted by direct renewal (直接延续), as the issuing bureau decided; exempt from the on-site
    /// review only when the conditions of 二(三)5 hold (see `deadlines::onsite_review`).
    pub renewal_direct: bool,
    /// The licence this one renews (原许可证编号), when the renewal is linked to it.
    pub renews: Option<String>,
    /// Production conditions changed materially (生产条件重大变化) since the licence renewed.
    pub major_change: bool,
    /// The issuing bureau (发证机关, measures 二(二)): the division code of a prefecture bureau the
    /// region delegated to; None for the autonomous-region bureau itself.
    pub issuer: Option<String>,
}

/// The day the 2018 measures took effect (their closing line): no licence is granted by the
/// simplified procedure before it.
pub const MEASURES_IN_FORCE: NaiveDate = NaiveDate::from_ymd_opt(2018, 7, 10).expect("a real day");

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnsiteReview {
    pub licence_no: String,
    pub review_date: NaiveDate,
    pub outcome: ReviewOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inspector {
    pub inspector_id: String,
    pub name: String,
    pub prefecture: String,
    pub county: String,
    /// Category codes the inspector is qualified for.
    #[serde(serialize_with = "semicolon_list")]
    pub qualifications: Vec<String>,
    pub email: Option<String>,
    pub active: bool,
}

/// A list as one `;`-separated field, the way input files give it.
fn semicolon_list<S: serde::Serializer>(items: &[String], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&items.join(";"))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpotCheck {
    pub check_id: Option<String>,
    pub credit_code: String,
    pub category: String,
    pub check_date: NaiveDate,
    pub result: CheckResult,
    pub items: Option<String>,
    pub campaign: Option<String>,
    /// The day the follow-up (后处理) of a failed check was completed, when recorded.
    pub disposed: Option<NaiveDate>,
}

impl SpotCheck {
    /// The natural key: the check id, or (credit_code, category, check_date, campaign) without one.
    pub fn key(&self) -> String {
        match &self.check_id {
            Some(id) => id.clone(),
            None => format!(
                "{}|{}|{}|{}",
                self.credit_code,
                self.category,
                self.check_date,
                self.campaign.as_deref().unwrap_or("")
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub inspector_id: String,
    pub credit_code: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub credit_code: String,
    pub date: NaiveDate,
    pub kind: ViolationKind,
    pub description: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumerations_read_chinese_english_and_aliases() {
        assert_eq!(Procedure::parse(" 简化 "), Some(Procedure::Simplified));
        assert_eq!(Procedure::parse("Standard"), Some(Procedure::Standard));
        assert_eq!(LicenceStatus::parse("吊销"), Some(LicenceStatus::Revoked));
        assert_eq!(ReviewOutcome::parse("不合格"), Some(ReviewOutcome::Fail));
        assert_eq!(
            ViolationKind::parse("黑名单"),
            Some(ViolationKind::SeriousDishonesty)
        );
        assert_eq!(CheckResult::parse("合格 "), Some(CheckResult::Pass));
        assert_eq!(CheckResult::parse("合"), None);
    }

    #[test]
    fn yes_no_in_both_languages() {
        assert_eq!(parse_yes_no("是"), Some(true));
        assert_eq!(parse_yes_no("No"), Some(false));
        assert_eq!(parse_yes_no("maybe"), None);
    }

    #[test]
    fn spot_check_key_falls_back_to_the_composite() {
        let mut c = SpotCheck {
            check_id: None,
            credit_code: "91350100M000100Y43".into(),
            category: "wire-rope".into(),
            check_date: NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
            result: CheckResult::Pass,
            items: None,
            campaign: Some("2025-03".into()),
            disposed: None,
        };
        assert_eq!(c.key(), "91350100M000100Y43|wire-rope|2025-03-01|2025-03");
        c.check_id = Some("CC-1".into());
        assert_eq!(c.key(), "CC-1");
    }
}
