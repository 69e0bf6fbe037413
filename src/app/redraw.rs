//! A draw by hand (`licwatch draw`), a redraw included: the draw itself (`draw::perform`), then, when
//! it superseded the campaign's draw, the mails of that draw settled (`reports::supersede`): unsent
//! ones cancelled, inspectors already mailed sent a correction.

use super::draw::{Drawing, Drawn, perform};
use super::{Context, reports};
use crate::store::Store;

pub async fn draw(ctx: &Context, store: &Store, d: Drawing<'_>) -> anyhow::Result<Drawn> {
    let reason = d.reason.unwrap_or("").to_string();
    let drawn = perform(ctx, store, d).await?;
    if let Some(old) = drawn.superseded {
        let (cancelled, corrected) =
            reports::supersede(ctx, store, &drawn.record.campaign, old, &reason).await?;
        eprintln!(
            "draw {old} superseded: {cancelled} unsent assignment mail(s) cancelled, {corrected} correction(s) queued"
        );
    }
    Ok(drawn)
}
