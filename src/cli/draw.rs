//! `licwatch draw freeze`, `licwatch draw --plan PLAN.toml --seed SEED`, `licwatch draw verify
//! RECORD` and `licwatch draw results CAMPAIGN`: four subcommands of one noun, hence the length; each
//! is argument parsing, one call into `app::draw` (or `app::redraw`) and printing.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::Subcommand;

use crate::app::draw::Drawing;
use crate::app::{self, Context, Names};
use crate::draw::record::verify;
use crate::output::{TableFormat, write_table};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DrawArgs {
    #[command(subcommand)]
    pub verify: Option<DrawCommand>,
    /// The draw plan (see jobs/plans/monthly.toml).
    #[arg(long, required = true)]
    pub plan: Option<PathBuf>,
    /// Public text fixed after the plan, e.g. the date and that day's lottery numbers.
    #[arg(
        long,
        required_unless_present = "seed_file",
        conflicts_with = "seed_file"
    )]
    pub seed: Option<String>,
    /// A file holding the seed (a scheduled draw waits for staff to drop it in).
    #[arg(long)]
    pub seed_file: Option<PathBuf>,
    /// Overrides the plan's as-of date.
    #[arg(long, value_parser = crate::dates::arg)]
    pub as_of: Option<NaiveDate>,
    /// Draw again for a campaign that already has a draw (both are kept).
    #[arg(long, requires = "reason")]
    pub redraw: bool,
    /// Why the campaign is drawn again (goes to the audit log).
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
}

#[derive(Debug, Subcommand)]
pub enum DrawCommand {
    /// Before the seed exists: fix the campaign's as-of date, the plan and both directory snapshots,
    /// and write the plan notice that publishes their SHA-256 digests and the seed's future source.
    Freeze {
        /// The draw plan (see jobs/plans/monthly.toml).
        #[arg(long)]
        plan: PathBuf,
        /// Overrides the plan's as-of date.
        #[arg(long, value_parser = crate::dates::arg)]
        as_of: Option<NaiveDate>,
        /// Where the seed will come from, published now: e.g. "{date} 福彩3D 开奖号码" ({date}: the
        /// as-of date). Strongly advised: a notice without it is weaker proof.
        #[arg(long, default_value = "")]
        seed_source: String,
    },
    /// Recompute a draw from its record: MATCH (exit 0) or MISMATCH (exit 1).
    Verify { record: PathBuf },
    /// The 一公开 results notice of a campaign: the checks of its current draw that have been
    /// recorded (spot checks whose 任务编号 is the campaign), with no personal data.
    Results {
        campaign: String,
        #[arg(long, value_enum, default_value_t = TableFormat::Table)]
        format: TableFormat,
    },
}

pub async fn run(ctx: &Context, args: DrawArgs) -> anyhow::Result<ExitCode> {
    match args.verify {
        Some(DrawCommand::Verify { record }) => verify_file(&record),
        Some(DrawCommand::Freeze {
            plan,
            as_of,
            seed_source,
        }) => freeze(ctx, &plan, as_of, &seed_source).await,
        Some(DrawCommand::Results { campaign, format }) => results(ctx, &campaign, format).await,
        None => make(ctx, args).await,
    }
}

async fn freeze(
    ctx: &Context,
    plan_path: &Path,
    as_of: Option<NaiveDate>,
    seed_source: &str,
) -> anyhow::Result<ExitCode> {
    let plan = app::draw::read_plan(plan_path)?;
    if seed_source.trim().is_empty() {
        eprintln!(
            "warning: no --seed-source: the plan notice does not say where the seed will come from"
        );
    }
    let store = ctx.store().await?;
    let frozen = app::draw::freeze(
        ctx,
        &store,
        app::draw::Freezing {
            plan,
            plan_label: plan_path.display().to_string(),
            as_of,
            seed_source,
        },
    )
    .await?;
    let f = &frozen.freeze;
    println!(
        "campaign {} frozen at {} (as of {})\nplan_sha256 {}\nenterprises_sha256 {}\ninspectors_sha256 {}\nseed source: {}",
        f.campaign,
        f.frozen_at,
        f.as_of,
        f.plan_sha256,
        f.enterprises_sha256,
        f.inspectors_sha256,
        f.seed_source
    );
    eprintln!(
        "publish the plan notice {} before the seed exists; then `licwatch draw --plan … --seed …`",
        frozen.notice.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn verify_file(path: &Path) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    match verify(&text) {
        Ok(record) => {
            let kind = if record.pseudonymised.is_some() {
                "public record, inspectors under pseudonyms"
            } else {
                "internal record"
            };
            println!(
                "MATCH {} — campaign {}, {} checks staffed, {} unstaffed ({kind})",
                path.display(),
                record.campaign,
                record.result.assignments.len(),
                record.result.unstaffed.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(reason) => {
            println!("MISMATCH {}: {reason}", path.display());
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn results(ctx: &Context, campaign: &str, format: TableFormat) -> anyhow::Result<ExitCode> {
    let store = ctx.store().await?;
    let (lines, drawn, file) = app::draw::results(ctx, &store, campaign).await?;
    eprintln!(
        "{} of {} drawn checks have results; notice in {}",
        lines.len(),
        drawn,
        file.display()
    );
    write_table(
        &mut std::io::stdout().lock(),
        format,
        &lines,
        crate::report::public::RESULT_COLUMNS,
    )?;
    Ok(ExitCode::SUCCESS)
}

fn read_seed(args: &DrawArgs) -> anyhow::Result<String> {
    match (&args.seed, &args.seed_file) {
        (Some(seed), _) => Ok(seed.clone()),
        (None, Some(path)) => app::draw::read_seed_file(path),
        (None, None) => unreachable!("clap requires a seed"),
    }
}

async fn make(ctx: &Context, args: DrawArgs) -> anyhow::Result<ExitCode> {
    let plan_path = args.plan.as_ref().expect("clap requires --plan");
    let plan = app::draw::read_plan(plan_path)?;
    let seed = read_seed(&args)?;
    let store = ctx.store().await?;
    let drawn = app::redraw::draw(
        ctx,
        &store,
        Drawing {
            plan,
            plan_label: plan_path.display().to_string(),
            as_of: args.as_of,
            seed: &seed,
            redraw: args.redraw,
            reason: args.reason.as_deref(),
        },
    )
    .await?;
    let names = Names::load(&store).await?;
    let rows = app::draw::rows(&drawn.record, &names);
    for u in &drawn.record.result.unstaffed {
        eprintln!(
            "unstaffed {} {} ({}): {}",
            u.credit_code, u.category, u.enterprise, u.reason
        );
    }
    write_table(&mut std::io::stdout().lock(), args.format, &rows, &[])?;
    eprintln!(
        "draw {} of campaign {}: record and reports in {}",
        drawn.id,
        drawn.record.campaign,
        drawn.dir.display()
    );
    Ok(ExitCode::from(
        if drawn.record.result.unstaffed.is_empty() {
            0
        } else {
            3
        },
    ))
}
