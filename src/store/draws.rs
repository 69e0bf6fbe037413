//! The draw's side of the store: the directory snapshots a draw reads, and its immutable record.

use std::collections::HashMap;

use chrono::NaiveDate;
use futures_util::TryStreamExt as _;
use sqlx::Row;

use super::conn::Conn;
use super::{Param, Store, StoreError, decode, decode_rows, with_pool};
use crate::draw::plan::Tier;
use crate::draw::record::Record as DrawRecord;
use crate::draw::{InspectorEntry, Snapshot, Unit};

/// What part of the enterprise directory a plan draws from (division and category codes; empty:
/// all).
#[derive(Debug, Clone, Default)]
pub struct DrawScope {
    pub prefectures: Vec<String>,
    pub counties: Vec<String>,
    pub categories: Vec<String>,
    pub default_tier: Option<Tier>,
    /// Spot checks after this day count as recent (the plan's exclusion window).
    pub checked_since: Option<NaiveDate>,
}

/// `draw_assignments`: one row per member of each drawn team.
const MEMBER_COLUMNS: &[&str] = &["draw_id", "credit_code", "category", "inspector_id", "lead"];

/// A stored draw.
#[derive(Debug, Clone)]
pub struct StoredDraw {
    pub id: i64,
    pub campaign: String,
    pub record_sha256: String,
}

const UNITS: &str = "\
SELECT l.credit_code, l.category, e.name, e.prefecture, e.county,
       CAST(MAX(CASE WHEN l.procedure = 'simplified' THEN 1 ELSE 0 END) AS BIGINT) AS simplified
FROM licences l JOIN enterprises e ON e.credit_code = l.credit_code
WHERE l.status = 'active' AND l.grant_date <= $1
GROUP BY l.credit_code, l.category, e.name, e.prefecture, e.county";

/// The last check of each enterprise and category within the exclusion window: older checks do
/// not matter to the draw, and skipping them spares aggregating millions of rows.
const LAST_CHECKS: &str = "\
SELECT credit_code, category, MAX(check_date) AS last FROM spot_checks
WHERE check_date <= $1 AND check_date > $2
GROUP BY credit_code, category";

/// The latest tier of each enterprise for a period up to the draw's: one row each, however many
/// weeks of tiers are kept.
const TIERS: &str = "\
SELECT t.credit_code, t.tier FROM enterprise_tiers t
JOIN (SELECT credit_code, MAX(period) AS period FROM enterprise_tiers WHERE period <= $1
      GROUP BY credit_code) l ON l.credit_code = t.credit_code AND l.period = t.period";

const INSPECTORS: &str = "\
SELECT inspector_id, name, prefecture, county, qualifications FROM inspectors WHERE active = TRUE";

/// Assignments of the current draw of each campaign made before this one.
const RECENT: &str = "\
SELECT a.inspector_id, a.credit_code, d.as_of
FROM draw_assignments a JOIN draws d ON d.id = a.draw_id JOIN draw_current c ON c.draw_id = d.id
WHERE d.as_of < $1";

impl Store {
    /// The enterprise and inspector directories as a draw on `as_of` sees them.
    pub async fn draw_snapshot(
        &self,
        scope: &DrawScope,
        as_of: NaiveDate,
        period: &str,
    ) -> Result<Snapshot, StoreError> {
        let keep =
            |list: &[String], value: &str| list.is_empty() || list.iter().any(|v| v == value);
        let since = scope.checked_since.unwrap_or(as_of);
        // The six reads run at once, each on its own connection and decoded as its rows arrive.
        let (tiers, last, units, conflicts, recent, inspectors) = with_pool!(self, pool => {
            tokio::try_join!(
                decode_rows(sqlx::query(TIERS).bind(period).fetch(pool), |r| {
                    Ok((r.get::<String>("credit_code")?, decode("enterprise_tiers.tier", r.get("tier")?, Tier::parse)?))
                }),
                decode_rows(sqlx::query(LAST_CHECKS).bind(as_of).bind(since).fetch(pool), |r| {
                    Ok(((r.get::<String>("credit_code")?, r.get::<String>("category")?), r.get::<NaiveDate>("last")?))
                }),
                decode_rows(sqlx::query(UNITS).bind(as_of).fetch(pool), |r| {
                    Ok(Unit {
                        credit_code: r.get("credit_code")?,
                        category: r.get("category")?,
                        enterprise: r.get("name")?,
                        prefecture: r.get("prefecture")?,
                        county: r.get("county")?,
                        simplified: r.get::<Option<i64>>("simplified")?.unwrap_or(0) > 0,
                        // Filled in from the tiers and the last checks below.
                        tier: Tier::B,
                        last_checked: None,
                    })
                }),
                decode_rows(sqlx::query("SELECT inspector_id, credit_code FROM conflicts").fetch(pool), |r| {
                    Ok((r.get::<String>("inspector_id")?, r.get::<String>("credit_code")?))
                }),
                decode_rows(sqlx::query(RECENT).bind(as_of).fetch(pool), |r| {
                    Ok((r.get::<String>("inspector_id")?, (r.get::<String>("credit_code")?, r.get::<NaiveDate>("as_of")?)))
                }),
                decode_rows(sqlx::query(INSPECTORS).fetch(pool), |r| {
                    let qualifications: String = r.get("qualifications")?;
                    Ok(InspectorEntry {
                        inspector_id: r.get("inspector_id")?,
                        name: r.get("name")?,
                        prefecture: r.get("prefecture")?,
                        county: r.get("county")?,
                        qualifications: qualifications.split(';').filter(|q| !q.is_empty()).map(str::to_string).collect(),
                        conflicts: Vec::new(),
                        recent: Vec::new(),
                    })
                }),
            )
        })?;
        let tiers: HashMap<String, Tier> = tiers.into_iter().collect();
        let last: HashMap<(String, String), NaiveDate> = last.into_iter().collect();
        let units = units
            .into_iter()
            .filter(|u| {
                keep(&scope.prefectures, &u.prefecture)
                    && keep(&scope.counties, &u.county)
                    && keep(&scope.categories, &u.category)
            })
            .map(|mut u| {
                u.tier = tiers
                    .get(&u.credit_code)
                    .copied()
                    .or(scope.default_tier)
                    .unwrap_or(Tier::B);
                u.last_checked = last
                    .get(&(u.credit_code.clone(), u.category.clone()))
                    .copied();
                u
            })
            .collect();
        let mut conflicts_of: HashMap<String, Vec<String>> = HashMap::new();
        for (inspector, credit_code) in conflicts {
            conflicts_of.entry(inspector).or_default().push(credit_code);
        }
        let mut recent_of: HashMap<String, Vec<(String, NaiveDate)>> = HashMap::new();
        for (inspector, assignment) in recent {
            recent_of.entry(inspector).or_default().push(assignment);
        }
        let inspectors = inspectors
            .into_iter()
            .map(|mut i| {
                i.conflicts = conflicts_of.remove(&i.inspector_id).unwrap_or_default();
                i.recent = recent_of.remove(&i.inspector_id).unwrap_or_default();
                i
            })
            .collect();
        Ok(Snapshot { units, inspectors }.canonical())
    }

    /// The draws already made for a campaign, oldest first.
    pub async fn draws_of(&self, campaign: &str) -> Result<Vec<StoredDraw>, StoreError> {
        const SQL: &str =
            "SELECT id, campaign, record_sha256 FROM draws WHERE campaign = $1 ORDER BY id";
        with_pool!(self, pool => {
            let rows = sqlx::query(SQL).bind(campaign).fetch_all(pool).await?;
            rows.iter()
                .map(|r| Ok(StoredDraw { id: r.try_get(0)?, campaign: r.try_get(1)?, record_sha256: r.try_get(2)? }))
                .collect()
        })
    }

    /// Stores a draw's record and its assignments in one transaction and makes it the campaign's
    /// current draw; returns the draw's id. The record is stored as its head (see
    /// [`crate::draw::record::RecordText`]): its snapshot is the freeze's, stored once in
    /// `draw_freezes`, which like `draws` refuses updates and deletes; `digest` is the whole
    /// record's. `supersedes` is the current draw a redraw replaces (None for a campaign's first
    /// draw): when the campaign's current draw is another by the time this one commits — two
    /// draws made at once — it is refused with [`StoreError::DrawnAlready`] and nothing is stored.
    pub async fn save_draw(
        &self,
        record: &DrawRecord,
        head: &str,
        digest: &str,
        redraw_reason: Option<&str>,
        supersedes: Option<i64>,
    ) -> Result<i64, StoreError> {
        const FIRST: &str = "INSERT INTO draw_current (campaign, draw_id) VALUES ($1, $2) \
                             ON CONFLICT (campaign) DO NOTHING";
        const REPLACE: &str =
            "UPDATE draw_current SET draw_id = $2 WHERE campaign = $1 AND draw_id = $3";
        const DRAW: &str = "INSERT INTO draws (campaign, as_of, made_at, seed_sha256, record_sha256, record, redraw_reason) \
                            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query(DRAW)
                .bind(&record.campaign)
                .bind(record.as_of)
                .bind(crate::clock::now())
                .bind(&record.seed_sha256)
                .bind(digest)
                .bind(head)
                .bind(redraw_reason)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            // The draw is new, so its members go in by the engine's bulk path (COPY on
            // PostgreSQL) rather than as upserts: 33,000 rows took 0.5 s as batched upserts.
            let rows: Vec<Vec<Param>> = record
                .result
                .assignments
                .iter()
                .flat_map(|a| {
                    a.team.iter().map(move |member| {
                        vec![
                            Param::Int(id),
                            (&a.credit_code).into(),
                            (&a.category).into(),
                            member.into(),
                            (*member == a.lead).into(),
                        ]
                    })
                })
                .collect();
            (*tx).bulk_insert("draw_assignments", MEMBER_COLUMNS, rows).await?;
            let current = match supersedes {
                None => sqlx::query(FIRST).bind(&record.campaign).bind(id).execute(&mut *tx).await?,
                Some(old) => sqlx::query(REPLACE).bind(&record.campaign).bind(id).bind(old)
                    .execute(&mut *tx).await?,
            };
            if current.rows_affected() != 1 {
                // Dropping the transaction rolls the record back.
                return Err(StoreError::DrawnAlready(record.campaign.clone()));
            }
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Stores a campaign's freeze; refused with [`StoreError::FrozenAlready`] when the campaign is
    /// frozen already (a freeze is never changed: the published digests would no longer hold).
    /// The snapshot goes in parts of about a megabyte (`draw_freeze_parts`).
    pub async fn save_freeze(
        &self,
        freeze: &crate::draw::record::Freeze,
        plan: &str,
        snapshot: &str,
        pseudonym_key: &str,
    ) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO draw_freezes (campaign, commitment, plan, snapshot, pseudonym_key) \
                           VALUES ($1, $2, $3, '', $4) ON CONFLICT (campaign) DO NOTHING";
        const PART: &str =
            "INSERT INTO draw_freeze_parts (campaign, part, text) VALUES ($1, $2, $3)";
        let text = crate::draw::record::canonical(freeze);
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let stored = sqlx::query(SQL).bind(&freeze.campaign).bind(text).bind(plan)
                .bind(pseudonym_key).execute(&mut *tx).await?.rows_affected();
            if stored != 1 {
                return Err(StoreError::FrozenAlready(freeze.campaign.clone()));
            }
            for (i, part) in (0i32..).zip(parts(snapshot, FREEZE_PART_BYTES)) {
                sqlx::query(PART).bind(&freeze.campaign).bind(i).bind(part).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// A campaign's freeze as stored; its snapshot is the freeze's own text (all of it, for a
    /// freeze made before parts were) followed by its parts' in order.
    pub async fn freeze_of(&self, campaign: &str) -> Result<Option<StoredFreeze>, StoreError> {
        const SQL: &str = "SELECT commitment, plan, snapshot, pseudonym_key FROM draw_freezes \
                           WHERE campaign = $1";
        const PARTS: &str = "SELECT text FROM draw_freeze_parts WHERE campaign = $1 ORDER BY part";
        with_pool!(self, pool => {
            let Some(r) = sqlx::query(SQL).bind(campaign).fetch_optional(pool).await? else {
                return Ok(None);
            };
            let mut snapshot: String = r.try_get(2)?;
            let mut parts = sqlx::query(PARTS).bind(campaign).fetch(pool);
            while let Some(part) = parts.try_next().await? {
                snapshot.push_str(part.try_get::<&str, _>(0)?);
            }
            Ok(Some(StoredFreeze {
                commitment: r.try_get(0)?,
                plan: r.try_get(1)?,
                snapshot,
                pseudonym_key: r.try_get(3)?,
            }))
        })
    }

    /// The current (latest) draw of a campaign: its id, its record's head (the whole record, for
    /// draws stored before heads were) and the whole record's digest.
    pub async fn current_draw(
        &self,
        campaign: &str,
    ) -> Result<Option<(i64, String, String)>, StoreError> {
        const SQL: &str = "SELECT d.id, d.record, d.record_sha256 FROM draw_current c \
                           JOIN draws d ON d.id = c.draw_id WHERE c.campaign = $1";
        with_pool!(self, pool => {
            let row = sqlx::query(SQL).bind(campaign).fetch_optional(pool).await?;
            row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).transpose()
        })
    }
}

/// A frozen snapshot's part, in bytes (at most; a part ends on a character).
const FREEZE_PART_BYTES: usize = 1 << 20;

/// `text` cut into pieces of at most `size` bytes (at least one character each), in order.
fn parts(text: &str, size: usize) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut end = rest.floor_char_boundary(size.min(rest.len()));
        if end == 0 {
            end = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        let (part, tail) = rest.split_at(end);
        rest = tail;
        Some(part)
    })
}

/// A campaign's freeze as stored: the freeze, its plan and its snapshot as canonical JSON texts,
/// and the pseudonym key (hex; none for freezes made before public records existed).
pub struct StoredFreeze {
    pub commitment: String,
    pub plan: String,
    pub snapshot: String,
    pub pseudonym_key: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::parts;

    #[test]
    fn a_text_is_cut_on_characters_and_put_back_whole() {
        let text = "抽查a中😀bc";
        for size in 1..=text.len() + 1 {
            let pieces: Vec<&str> = parts(text, size).collect();
            assert_eq!(pieces.concat(), text, "size {size}");
            for piece in &pieces {
                // A piece is longer than `size` only when one character is.
                assert!(
                    piece.len() <= size || piece.chars().count() == 1,
                    "{piece:?} at {size}"
                );
                assert!(!piece.is_empty());
            }
        }
        assert_eq!(parts("", 4).count(), 0);
        assert_eq!(parts("abcdefgh", 4).collect::<Vec<_>>(), ["abcd", "efgh"]);
        assert_eq!(parts("中文", 4).collect::<Vec<_>>(), ["中", "文"]);
    }
}
