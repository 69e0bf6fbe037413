//! `licwatch workdays add DATE N` and `licwatch workdays count FROM TO`.

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Subcommand;
use serde_json::json;

use crate::app::Context;
use crate::output::{ValueFormat, write_value};

#[derive(Debug, Subcommand)]
pub enum WorkdaysCommand {
    /// The N-th working day after DATE (DATE not counted; N < 0 counts backwards).
    #[command(allow_negative_numbers = true)]
    Add {
        #[arg(value_parser = crate::dates::arg)]
        date: NaiveDate,
        n: i64,
        #[arg(long, value_enum, default_value_t = ValueFormat::Plain)]
        format: ValueFormat,
    },
    /// Working days in (FROM, TO]; negative when FROM is after TO.
    Count {
        #[arg(value_parser = crate::dates::arg)]
        from: NaiveDate,
        #[arg(value_parser = crate::dates::arg)]
        to: NaiveDate,
        #[arg(long, value_enum, default_value_t = ValueFormat::Plain)]
        format: ValueFormat,
    },
}

pub fn run(ctx: &Context, cmd: WorkdaysCommand) -> anyhow::Result<ExitCode> {
    let calendar = &ctx.calendar;
    let out = &mut std::io::stdout().lock();
    match cmd {
        WorkdaysCommand::Add { date, n, format } => {
            let r = calendar.add(date, n)?;
            let object =
                json!({"date": date, "n": n, "result": r.value, "provisional": r.provisional});
            write_value(out, format, &r.value.to_string(), &object)?;
        }
        WorkdaysCommand::Count { from, to, format } => {
            let r = calendar.count(from, to)?;
            let object =
                json!({"from": from, "to": to, "workdays": r.value, "provisional": r.provisional});
            write_value(out, format, &r.value.to_string(), &object)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
