//! 直接延续 (measures 二(三)5): "生产许可有效期届满申请延续的企业，生产条件无重大变化，且生产许可
//! 有效期内无违法行为，在许可有效期届满 30 个工作日前…提交延续申请的，应准予延续并直接换发生产许可证，
//! 免于实施证后监督性现场审查。" A licence granted by direct renewal is exempt from the on-site review
//! only when all three conditions hold on the licence it renews: filed on or before
//! `add(expiry, -30)`, production conditions unchanged, no violation recorded during its validity.
//! Where the data cannot tell (no link to the renewed licence, or that licence is not in the store),
//! the issuing bureau's decision stands.

use super::expiry::effective_expiry;
use super::renewal::last_filing_day;
use super::{Context, LicenceFacts};
use crate::calendar::CalendarError;
use crate::model::Licence;

/// How a licence stands against 二(三)5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectRenewal {
    /// Not granted by direct renewal.
    NotDirect,
    /// The conditions hold (the notes say what could not be checked): exempt from the review.
    Qualifies(Vec<String>),
    /// The data cannot tell; the issuing bureau's decision stands. Why.
    Unchecked(String),
    /// The data contradicts a condition: the renewed licence gets its review. Which ones.
    Contradicted(Vec<String>),
}

pub fn direct_renewal(
    ctx: &Context,
    licence: &Licence,
    facts: &LicenceFacts,
) -> Result<DirectRenewal, CalendarError> {
    if !licence.renewal_direct {
        return Ok(DirectRenewal::NotDirect);
    }
    let old = match (&licence.renews, &facts.renewed) {
        (None, _) => {
            return Ok(DirectRenewal::Unchecked(
                "未关联原许可证编号，延续条件无法核对，以发证机关决定为准".into(),
            ));
        }
        (Some(no), None) => {
            return Ok(DirectRenewal::Unchecked(format!(
                "原许可证 {no} 不在库中，延续条件无法核对，以发证机关决定为准"
            )));
        }
        (Some(_), Some(old)) => old,
    };
    let mut failed = Vec::new();
    let mut notes = Vec::new();
    let old_expiry = effective_expiry(
        &Licence {
            grant_date: old.grant_date,
            expiry: old.expiry,
            ..licence.clone()
        },
        ctx.params.validity_years,
    );
    match (old_expiry, old.renewal_filed) {
        (Some(expiry), Some(filed)) => {
            let last = last_filing_day(ctx, expiry)?.value;
            if filed > last {
                failed.push(format!(
                    "{filed} 申请延续，晚于原证最迟申请日 {last}（有效期至 {expiry} 前 30 个工作日）"
                ));
            }
        }
        (_, None) => notes.push(format!(
            "原证 {} 未记录延续申请日期，时限无法核对",
            old.licence_no
        )),
        (None, Some(_)) => {}
    }
    if licence.major_change {
        failed.push("生产条件有重大变化".into());
    }
    let during = |d: chrono::NaiveDate| d >= old.grant_date && old_expiry.is_none_or(|e| d <= e);
    let violations = facts.violations.iter().filter(|(d, _)| during(*d)).count();
    if violations > 0 {
        failed.push(format!("原证有效期内有违法记录 {violations} 条"));
    }
    Ok(if failed.is_empty() {
        DirectRenewal::Qualifies(notes)
    } else {
        DirectRenewal::Contradicted(failed)
    })
}
