//! `licwatch show licence NO` and `licwatch show enterprise CODE`: one record, what is known about
//! it, and every flag it carries (done and exempt included). Longer than the other command modules
//! because it is mostly the labelled lines a person reads, field by field, in both formats.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use serde::Serialize;
use serde_json::json;

use super::DEADLINE_COLUMNS;
use crate::app::Context;
use crate::app::deadlines::flags;
use crate::credit_code::CreditCode;
use crate::deadlines::DeadlineRow;
use crate::output::{TableFormat, write_table};
use crate::store::{Scope, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ShowOptions {
    /// The day flags are seen on (default: today in the configured time zone).
    #[arg(long, value_parser = crate::dates::arg)]
    pub as_of: Option<NaiveDate>,
    #[arg(long, value_enum, default_value_t = ShowFormat::Table)]
    pub format: ShowFormat,
}

#[derive(Debug, Subcommand)]
pub enum ShowCommand {
    /// One licence by its number (许可证编号).
    Licence {
        licence_no: String,
        #[command(flatten)]
        options: ShowOptions,
    },
    /// One enterprise by its 统一社会信用代码.
    Enterprise {
        credit_code: String,
        #[command(flatten)]
        options: ShowOptions,
    },
}

/// A labelled line of a record.
#[derive(Serialize)]
struct Field {
    field: &'static str,
    value: String,
}

fn field(label: &'static str, value: impl ToString) -> Field {
    Field {
        field: label,
        value: value.to_string(),
    }
}

fn opt<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(T::to_string).unwrap_or_default()
}

pub async fn run(ctx: &Context, cmd: ShowCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.store().await?;
    match cmd {
        ShowCommand::Licence {
            licence_no,
            options,
        } => {
            let licence_no = licence_no.trim();
            let Some(holder) = store.licence_holder(licence_no).await? else {
                bail!("许可证 {licence_no} not found in the store");
            };
            show(ctx, &store, &holder, Some(licence_no), &options).await
        }
        ShowCommand::Enterprise {
            credit_code,
            options,
        } => {
            let code = CreditCode::parse(&credit_code)?;
            show(ctx, &store, code.as_str(), None, &options).await
        }
    }
}

/// Shows an enterprise, or one of its licences when `licence_no` is given.
async fn show(
    ctx: &Context,
    store: &Store,
    credit_code: &str,
    licence_no: Option<&str>,
    options: &ShowOptions,
) -> anyhow::Result<ExitCode> {
    let enterprise = store
        .enterprise(credit_code)
        .await?
        .with_context(|| format!("企业 {credit_code} not found in the store"))?;
    let divisions = store.divisions().await?;
    let name_of = |code: &str| {
        divisions
            .by_code(code)
            .map_or(code.to_string(), |d| d.name.clone())
    };
    let scope = Scope {
        credit_code: Some(credit_code.to_string()),
        ..Scope::default()
    };
    let mut subjects = store.subjects(&scope).await?;
    subjects.retain(|s| licence_no.is_none_or(|no| s.licence.licence_no == no));
    let as_of = ctx.as_of(options.as_of);
    let flags: Vec<DeadlineRow> = flags(ctx, &subjects, as_of, true)?;
    let checks = store.spot_checks_of(credit_code).await?;

    let mut fields = vec![
        field("企业名称 enterprise", &enterprise.name),
        field("统一社会信用代码 credit code", &enterprise.credit_code),
        field("所属地州市 prefecture", name_of(&enterprise.prefecture)),
        field("所属区县 county", name_of(&enterprise.county)),
        field("地址 address", opt(&enterprise.address)),
        field("联系邮箱 email", opt(&enterprise.email)),
    ];
    for s in &subjects {
        let l = &s.licence;
        fields.extend([
            field("许可证编号 licence", &l.licence_no),
            field("产品类别 category", &s.category_name),
            field("审批程序 procedure", l.procedure.label()),
            field("发证日期 granted", l.grant_date),
            field("有效期至 expiry", opt(&l.expiry)),
            field("电子证书 e-certificate", opt(&l.e_cert_date)),
            field("证书状态 status", l.status.label()),
            field("延续申请 renewal filed", opt(&l.renewal_filed)),
            field(
                "直接延续 direct renewal",
                if l.renewal_direct { "是" } else { "否" },
            ),
        ]);
        for r in &s.facts.reviews {
            fields.push(field(
                "现场审查 on-site review",
                format!("{} {}", r.review_date, r.outcome.label()),
            ));
        }
    }

    let out = &mut std::io::stdout().lock();
    match options.format {
        ShowFormat::Json => {
            let object = json!({
                "enterprise": enterprise,
                "licences": subjects.iter().map(|s| json!({
                    "licence": s.licence,
                    "category_name": s.category_name,
                    "reviews": s.facts.reviews,
                })).collect::<Vec<_>>(),
                "spot_checks": checks,
                "flags": flags,
                "as_of": as_of,
            });
            serde_json::to_writer_pretty(&mut *out, &object)?;
            use std::io::Write;
            writeln!(out)?;
        }
        ShowFormat::Table => {
            write_table(out, TableFormat::Table, &fields, &[])?;
            use std::io::Write;
            writeln!(out, "\n截至 {as_of} 的提示 flags as of {as_of}:")?;
            write_table(out, TableFormat::Table, &flags, DEADLINE_COLUMNS)?;
            if licence_no.is_none() && !checks.is_empty() {
                writeln!(out, "\n监督抽查 spot checks:")?;
                write_table(out, TableFormat::Table, &checks, &[])?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
