//! `licwatch draw --plan PLAN.toml --seed SEED` and `licwatch draw verify RECORD`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use serde::Serialize;
use serde_json::json;

use super::App;
use super::demo::period;
use crate::catalogue::Catalogue;
use crate::divisions::Divisions;
use crate::draw::plan::Plan;
use crate::draw::record::{Record, verify};
use crate::draw::rng::seed_digest;
use crate::output::{TableFormat, write_csv_report, write_table};
use crate::report::public::result_lines;
use crate::store::{AuditEntry, DrawScope};

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
    /// Where the seed comes from, for the public plan notice (the seed itself is not published
    /// before the checks, only its digest).
    #[arg(long, default_value = "")]
    pub seed_source: String,
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

pub async fn run(app: &App, args: DrawArgs) -> anyhow::Result<ExitCode> {
    match args.verify {
        Some(DrawCommand::Verify { record }) => verify_file(&record),
        Some(DrawCommand::Results { campaign, format }) => results(app, &campaign, format).await,
        None => make(app, args).await,
    }
}

fn verify_file(path: &Path) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    match verify(&text) {
        Ok(record) => {
            println!(
                "MATCH {} — campaign {}, {} checks staffed, {} unstaffed",
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

async fn results(app: &App, campaign: &str, format: TableFormat) -> anyhow::Result<ExitCode> {
    let store = app.store().await?;
    let Some((id, text)) = store.current_draw(campaign).await? else {
        bail!("campaign {campaign} has no draw");
    };
    let record: Record =
        serde_json::from_str(&text).context("the stored draw record does not parse")?;
    let catalogue = store.catalogue().await?;
    let category = |code: &str| {
        catalogue
            .by_code(code)
            .map_or(code.to_string(), |k| k.name_zh.clone())
    };
    let checks = store.spot_checks_of_campaign(campaign).await?;
    let lines = result_lines(&record, checks, &category);
    let drawn = record.result.assignments.len();
    let dir = app
        .config
        .reports
        .out_dir
        .join(period(record.as_of))
        .join(format!("draw-{campaign}-{id}"));
    write_csv_report(&dir.join("results-notice.csv"), &lines)?;
    eprintln!(
        "{} of {} drawn checks have results; notice in {}",
        lines.len(),
        drawn,
        dir.join("results-notice.csv").display()
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
    if let Some(seed) = &args.seed {
        return Ok(seed.clone());
    }
    let path = args.seed_file.as_ref().expect("clap requires a seed");
    let seed = std::fs::read_to_string(path).with_context(|| {
        format!(
            "the seed file {} is not there yet: the draw waits for staff to provide it",
            path.display()
        )
    })?;
    if seed.trim().is_empty() {
        bail!("the seed file {} is empty", path.display());
    }
    Ok(seed)
}

/// The plan's scope in division and category codes.
fn scope(plan: &Plan, names: &Names) -> anyhow::Result<DrawScope> {
    let (divisions, catalogue) = (&names.divisions, &names.catalogue);
    let prefectures = plan
        .scope
        .prefectures
        .iter()
        .map(|p| Ok(divisions.prefecture(p)?.code.clone()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let counties = plan
        .scope
        .counties
        .iter()
        .map(|c| {
            divisions
                .all()
                .iter()
                .find(|d| {
                    d.level == crate::divisions::Level::County && (d.code == *c || d.name == *c)
                })
                .map(|d| d.code.clone())
                .with_context(|| format!("plan: county '{c}' is not a known division"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let categories = plan
        .categories
        .iter()
        .map(|c| Ok(catalogue.resolve(c)?.code.clone()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let window = u64::from(plan.sampling.exclude_checked_within_days);
    Ok(DrawScope {
        prefectures,
        counties,
        categories,
        default_tier: Some(plan.sampling.default_tier),
        checked_since: plan.as_of.map(|d| d - chrono::Days::new(window)),
    })
}

/// One line of the assignment table, with the names people read beside the codes.
#[derive(Serialize)]
struct Row<'a> {
    category: String,
    credit_code: &'a str,
    enterprise: &'a str,
    prefecture: String,
    county: String,
    tier: String,
    lead: String,
    team: String,
    status: &'a str,
    reason: &'a str,
}

/// Chinese names for the codes a record holds.
struct Names {
    catalogue: Catalogue,
    divisions: Divisions,
}

impl Names {
    fn category(&self, code: &str) -> String {
        self.catalogue
            .by_code(code)
            .map_or(code.to_string(), |c| c.name_zh.clone())
    }
    fn division(&self, code: &str) -> String {
        self.divisions
            .by_code(code)
            .map_or(code.to_string(), |d| d.name.clone())
    }
}

async fn make(app: &App, args: DrawArgs) -> anyhow::Result<ExitCode> {
    let plan_path = args.plan.as_ref().expect("clap requires --plan");
    let text = std::fs::read_to_string(plan_path)
        .with_context(|| format!("cannot read {}", plan_path.display()))?;
    let plan = Plan::parse(&text, &plan_path.display().to_string())?;
    let seed = read_seed(&args)?;
    let store = app.store().await?;
    let drawn = perform(
        app,
        &store,
        Drawing {
            plan,
            plan_label: plan_path.display().to_string(),
            as_of: args.as_of,
            seed: &seed,
            seed_source: &args.seed_source,
            redraw: args.redraw,
            reason: args.reason.as_deref(),
        },
    )
    .await?;
    let names = Names {
        catalogue: store.catalogue().await?,
        divisions: store.divisions().await?,
    };
    let rows = rows(&drawn.record, &names);
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

/// What a draw is made from.
pub struct Drawing<'a> {
    pub plan: Plan,
    /// Where the plan came from, for the audit log.
    pub plan_label: String,
    /// Overrides the plan's as-of date.
    pub as_of: Option<NaiveDate>,
    pub seed: &'a str,
    pub seed_source: &'a str,
    pub redraw: bool,
    pub reason: Option<&'a str>,
}

/// A draw made and stored, with its outputs written.
pub struct Drawn {
    pub id: i64,
    pub record: Record,
    pub dir: PathBuf,
}

/// Makes, stores and writes one draw (the `draw` command, the demo and scheduled jobs).
pub async fn perform(
    app: &App,
    store: &crate::store::Store,
    d: Drawing<'_>,
) -> anyhow::Result<Drawn> {
    let mut plan = d.plan;
    let as_of = d.as_of.or(plan.as_of).unwrap_or_else(|| app.today());
    plan.as_of = Some(as_of);
    let campaign = plan.campaign_for(as_of);

    store.seed_reference().await?;
    let earlier = store.draws_of(&campaign).await?;
    if !earlier.is_empty() && !d.redraw {
        bail!(
            "campaign {campaign} was drawn already (record {}); a new draw needs --redraw --reason TEXT",
            earlier[0].record_sha256
        );
    }
    let names = Names {
        catalogue: store.catalogue().await?,
        divisions: store.divisions().await?,
    };
    let started = std::time::Instant::now();
    let snapshot = store
        .draw_snapshot(&scope(&plan, &names)?, as_of, &period(as_of))
        .await?;
    tracing::info!(elapsed = ?started.elapsed(), units = snapshot.units.len(), "snapshot read");
    let record = Record::make(plan, as_of, d.seed, snapshot);
    let text = record.to_canonical();
    tracing::info!(elapsed = ?started.elapsed(), "drawn and recorded");
    let id = store.save_draw(&record, &text, d.reason).await?;
    tracing::info!(elapsed = ?started.elapsed(), "stored");
    store
        .audit(&AuditEntry::now(
            if d.redraw { "draw:redraw" } else { "draw" },
            json!({
                "plan": d.plan_label, "campaign": campaign, "seed_sha256": record.seed_sha256,
                "enterprises_sha256": record.enterprises_sha256, "inspectors_sha256": record.inspectors_sha256,
                "reason": d.reason,
            }),
            format!(
                "draw {id}: {} staffed, {} unstaffed",
                record.result.assignments.len(),
                record.result.unstaffed.len()
            ),
        ))
        .await?;

    let dir = app
        .config
        .reports
        .out_dir
        .join(period(as_of))
        .join(format!("draw-{campaign}-{id}"));
    let rows = rows(&record, &names);
    write_outputs(&dir, &record, &text, d.seed_source, &rows)?;
    tracing::info!(elapsed = ?started.elapsed(), "reports written");
    Ok(Drawn { id, record, dir })
}

fn rows<'a>(record: &'a Record, names: &Names) -> Vec<Row<'a>> {
    let people: HashMap<&str, &str> = record
        .snapshot
        .inspectors
        .iter()
        .map(|i| (i.inspector_id.as_str(), i.name.as_str()))
        .collect();
    // An inspector as `name (id)`.
    let label = |id: &str| match people.get(id) {
        Some(name) => format!("{name} ({id})"),
        None => id.to_string(),
    };
    let mut rows: Vec<Row> = record
        .result
        .assignments
        .iter()
        .map(|a| Row {
            category: names.category(&a.category),
            credit_code: &a.credit_code,
            enterprise: &a.enterprise,
            prefecture: names.division(&a.prefecture),
            county: names.division(&a.county),
            tier: format!("{:?}", a.tier),
            lead: label(&a.lead),
            team: a
                .team
                .iter()
                .map(|m| label(m))
                .collect::<Vec<_>>()
                .join("; "),
            status: "staffed",
            reason: "",
        })
        .collect();
    rows.extend(record.result.unstaffed.iter().map(|u| Row {
        category: names.category(&u.category),
        credit_code: &u.credit_code,
        enterprise: &u.enterprise,
        prefecture: String::new(),
        county: String::new(),
        tier: String::new(),
        lead: String::new(),
        team: String::new(),
        status: "unstaffed",
        reason: &u.reason,
    }));
    rows
}

/// The record, the assignment table, each inspector's own list and the public plan notice.
fn write_outputs(
    dir: &Path,
    record: &Record,
    text: &str,
    seed_source: &str,
    rows: &[Row],
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join("record.json"), format!("{text}\n"))?;
    write_csv_report(&dir.join("assignments.csv"), rows)?;
    std::fs::write(
        dir.join("assignments.json"),
        serde_json::to_string_pretty(&rows)?,
    )?;
    let mut own: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for (assignment, row) in record.result.assignments.iter().zip(rows) {
        for member in &assignment.team {
            own.entry(member).or_default().push(row);
        }
    }
    for (inspector, rows) in own {
        write_csv_report(
            &dir.join("inspectors").join(format!("{inspector}.csv")),
            &rows,
        )?;
    }
    // 一公开: the plan before the checks — never the drawn list, nor the seed itself.
    let notice = json!({
        "campaign": record.campaign,
        "name": record.plan.name,
        "as_of": record.as_of,
        "scope": record.plan.scope,
        "categories": record.plan.categories,
        "sampling": record.plan.sampling,
        "team_size": record.plan.teams.size,
        "seed_source": seed_source,
        "seed_sha256": seed_digest(&record.seed),
        "algorithm": record.algorithm,
        "record_sha256": format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(text.as_bytes())),
    });
    std::fs::write(
        dir.join("plan-notice.json"),
        serde_json::to_string_pretty(&notice)?,
    )?;
    Ok(())
}
