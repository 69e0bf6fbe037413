//! What each step of a job does: one call into the application layer. Every step is idempotent for
//! its (job, period) — ingest never loads a file twice, risk replaces its period, a campaign is
//! drawn once, a mail key is sent once — so a tick taken over after a crash runs again from the
//! first step without doubling anything.

use anyhow::bail;
use chrono::{DateTime, Utc};

use super::{Job, Step};
use crate::app::draw::{Drawing, Freezing, freeze, is_drawn, perform, read_plan, read_seed_file};
use crate::app::ingest::{Input, Reading, fail_on_failed_files, load};
use crate::app::reports::{Hold, Request, Shared, produce};
use crate::app::{Context, Period, deadlines, delivery, risk};
use crate::draw::plan::Plan;
use crate::mail::deliver::Patience;
use crate::store::Store;

/// What a draw step takes from its caller instead of the disk: the demo's inputs, as it has no
/// staff to drop a seed in and, run outside the repository, no plan files.
pub struct Supplied<'a> {
    pub seed: &'a str,
    pub seed_source: &'a str,
    /// Plan texts by the path a job names them with.
    pub plans: &'a [(&'a str, &'a str)],
}

/// A plan the caller supplied under the path the job names, or the file itself.
fn shipped_or_read(
    plan: &std::path::Path,
    supplied: Option<&Supplied<'_>>,
) -> anyhow::Result<Plan> {
    let shipped = supplied.and_then(|s| {
        s.plans
            .iter()
            .find(|(path, _)| plan == std::path::Path::new(path))
    });
    Ok(match shipped {
        Some((path, text)) => Plan::parse(text, path)?,
        None => read_plan(plan)?,
    })
}

/// Runs one step of `job` for the tick `tick`; returns a line saying what it did. `shared` is the
/// tick's: a deadlines step computes the flags and a risk step the region's ranking, a later report
/// step of the same tick reads them, an ingest step forgets them.
pub async fn run_step(
    ctx: &Context,
    store: &Store,
    job: &Job,
    step: &Step,
    tick: DateTime<Utc>,
    supplied: Option<&Supplied<'_>>,
    shared: &mut Shared,
) -> anyhow::Result<String> {
    let as_of = tick.with_timezone(&job.zone).date_naive();
    let actor = format!("job:{}", job.name());
    match step {
        Step::Ingest {
            inbox,
            source_url,
            source_url_env,
            query,
        } => {
            let from_env = match source_url_env {
                Some(name) => Some(std::env::var(name).map_err(|_| {
                    anyhow::anyhow!("source_url_env: the environment variable {name} is not set")
                })?),
                None => None,
            };
            let input = match (inbox, source_url.as_ref().or(from_env.as_ref()), query) {
                (Some(dir), _, _) => Input::Inbox(dir),
                (None, Some(url), Some(query)) => Input::Sql { url, query },
                _ => unreachable!("validated when the job was loaded"),
            };
            let summaries = load(ctx, store, input, Reading::default(), as_of, &actor).await?;
            // The facts may have changed: the flags are computed again when next asked for.
            shared.forget();
            fail_on_failed_files(&summaries)?;
            Ok(format!("{} input(s) loaded", summaries.len()))
        }
        Step::Risk => {
            let ranking = risk::rank_and_record_all(ctx, store, as_of).await?;
            shared.keep_region_ranking(&ranking);
            Ok(format!(
                "风险排名 risk ranking {}: 企业风险分级 tiers {}",
                ranking.period,
                risk::tier_counts(ranking.tiers.as_deref().unwrap_or_default())
            ))
        }
        Step::Deadlines => {
            let rows = shared.of(ctx, store, None, as_of).await?;
            let files = deadlines::write_flags(&ctx.out_dir(&Period::week_of(as_of)), rows)?;
            Ok(format!("{} flags: {}", rows.len(), files[0].display()))
        }
        Step::Freeze { plan, seed_source } => {
            let plan_def = shipped_or_read(plan, supplied)?;
            let campaign = plan_def.campaign_for(as_of);
            if store.freeze_of(&campaign).await?.is_some() {
                return Ok(format!("campaign {campaign} frozen already"));
            }
            let source = supplied.map_or(seed_source.as_str(), |s| s.seed_source);
            let frozen = freeze(
                ctx,
                store,
                Freezing {
                    plan: plan_def,
                    plan_label: plan.display().to_string(),
                    as_of: Some(as_of),
                    seed_source: source,
                },
            )
            .await?;
            Ok(format!(
                "冻结 froze {}: plan notice {}",
                frozen.freeze.campaign,
                frozen.notice.display()
            ))
        }
        Step::Draw { plan, seed_file } => {
            let plan_def = shipped_or_read(plan, supplied)?;
            let campaign = plan_def.campaign_for(as_of);
            if is_drawn(store, &campaign).await? {
                return Ok(format!("campaign {campaign} already drawn"));
            }
            let seed_path = seed_file.replace("{campaign}", &campaign);
            let seed = match supplied {
                Some(s) => s.seed.to_string(),
                None => read_seed_file(seed_path.as_ref())?,
            };
            let drawn = perform(
                ctx,
                store,
                Drawing {
                    plan: plan_def,
                    plan_label: plan.display().to_string(),
                    as_of: Some(as_of),
                    seed: &seed,
                    redraw: false,
                    reason: None,
                },
            )
            .await?;
            Ok(format!(
                "双随机抽取 draw {} ({}): {} checks staffed, {} unstaffed — {}",
                drawn.id,
                drawn.record.campaign,
                drawn.record.result.assignments.len(),
                drawn.record.result.unstaffed.len(),
                drawn.dir.display()
            ))
        }
        Step::Report { reports } => {
            let request = Request {
                kinds: reports.clone(),
                as_of,
                send: true,
                hold: if job.def.approval {
                    Hold::Assignments
                } else {
                    Hold::Nothing
                },
                campaign: None,
                prefecture: None,
                actor,
            };
            let produced = produce(ctx, store, &request, shared).await?;
            Ok(format!("{} report(s)", produced.len()))
        }
        Step::Send => {
            let (_, done) = delivery::deliver(ctx, store, &actor, Patience::OnePass).await?;
            if done.failed > 0 {
                bail!(
                    "{} message(s) failed; see `licwatch outbox --status failed`",
                    done.failed
                );
            }
            Ok(format!("{} sent", done.sent))
        }
    }
}
