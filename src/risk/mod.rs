//! Risk analytics (README "Risk model"): the 17 categories get a level 1–4 from the four factors of
//! the measures, enterprises get tiers A–D that the draw reads, and each period's result is kept so
//! the ranking shows what changed.
//!
//! Pure: the store hands over rows, [`aggregate`] does the column work in polars, [`category`]
//! scores, [`tiers`] grades enterprises, [`history`] compares periods.

pub mod aggregate;
pub mod category;
pub mod history;
pub mod params;
pub mod tiers;

pub use aggregate::{CheckCount, LicenceRow, ReviewRow, Window, Windows};
pub use category::{CategoryFacts, CategoryRisk, assess, level_label};
pub use history::{Ranked, StoredRisk};
pub use params::{ParamsError, RiskParams, TierParams};
pub use tiers::{EnterpriseRecord, EnterpriseTier, enterprise_tiers};

/// The on-site review's overdue boundary lives with its rule; the category model and the tiers use it.
pub use crate::deadlines::last_overdue_grant;
