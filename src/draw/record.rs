//! The draw record: plan, seed, algorithm version, the snapshots and their SHA-256 digests, and the
//! result — written as canonical JSON (RFC 8785 style: object keys sorted by UTF-16 code units, no
//! insignificant whitespace; the record holds no floating-point numbers; see [`super::canonical`]).
//! Anyone can recompute the draw from the record alone with `licwatch draw verify`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::plan::Plan;
use super::pseudonym::{self, Pseudonyms};
use super::rng::{Algorithm, seed_digest};
use super::{DrawResult, Snapshot, draw};

pub const FORMAT: &str = "licwatch-draw-record/1";

/// What `licwatch draw freeze` fixes before the seed exists, and publishes in the plan notice: the
/// as-of date, the plan and both directory snapshots, by their SHA-256, and where the seed will
/// come from. A draw is made from the frozen snapshot and carries its freeze; `draw verify` checks
/// the record's plan and snapshots against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freeze {
    pub campaign: String,
    pub as_of: NaiveDate,
    /// RFC 3339, UTC.
    pub frozen_at: String,
    pub seed_source: String,
    pub plan_sha256: String,
    pub enterprises_sha256: String,
    pub inspectors_sha256: String,
    /// The pseudonymised snapshot the public record will carry (freezes made before public
    /// records existed have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<PublicDigests>,
}

/// What the freeze commits to for the public record: the pseudonym key's SHA-256 and the digests
/// of both directories under the pseudonyms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicDigests {
    pub key_sha256: String,
    pub enterprises_sha256: String,
    pub inspectors_sha256: String,
}

/// How a public record says it is one: the scheme and the key it was made with, by its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pseudonymised {
    pub scheme: String,
    pub key_sha256: String,
}

impl PublicDigests {
    fn of(pseudonyms: &Pseudonyms, snapshot: &Snapshot) -> PublicDigests {
        let (enterprises_sha256, inspectors_sha256) =
            PublicSnapshot::of(pseudonyms, snapshot).digests;
        PublicDigests {
            key_sha256: pseudonyms.key_sha256(),
            enterprises_sha256,
            inspectors_sha256,
        }
    }
}

impl Freeze {
    /// Fixes `plan` (its as-of set) and `snapshot` (put in canonical order), with the digests of
    /// the snapshot under `pseudonyms`; returns the freeze, the snapshot and its canonical text, as
    /// stored.
    pub fn of(
        plan: &Plan,
        as_of: NaiveDate,
        snapshot: Snapshot,
        seed_source: &str,
        frozen_at: chrono::DateTime<chrono::Utc>,
        pseudonyms: &Pseudonyms,
    ) -> (Freeze, Snapshot, String) {
        let snapshot = snapshot.canonical();
        // Four digests of hundreds of thousands of rows, independent of each other: both cores.
        let (public, (text, (enterprises_sha256, inspectors_sha256))) = rayon::join(
            || PublicDigests::of(pseudonyms, &snapshot),
            || {
                let text = SnapshotText::of(&snapshot);
                let digests = text.digests();
                (text.json(), digests)
            },
        );
        let freeze = Freeze {
            public: Some(public),
            campaign: plan.campaign_for(as_of),
            as_of,
            frozen_at: frozen_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            seed_source: seed_source.to_string(),
            plan_sha256: digest_of(plan),
            enterprises_sha256,
            inspectors_sha256,
        };
        (freeze, snapshot, text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub format: String,
    pub algorithm: String,
    pub campaign: String,
    pub as_of: NaiveDate,
    pub plan: Plan,
    pub seed: String,
    pub seed_sha256: String,
    pub enterprises_sha256: String,
    pub inspectors_sha256: String,
    pub snapshot: Snapshot,
    pub result: DrawResult,
    /// The freeze the draw was made from (records made before freezes existed have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freeze: Option<Freeze>,
    /// The internal record's pseudonym key (hex), from which its public record is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pseudonym_key: Option<String>,
    /// Set on a public record: its snapshot and result are under pseudonyms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pseudonymised: Option<Pseudonymised>,
}

/// The canonical JSON text of a value (see [`super::canonical`]).
pub fn canonical<T: Serialize + ?Sized>(value: &T) -> String {
    super::canonical::to_string(value).expect("draw records have string keys only")
}

/// The SHA-256 of a stored record's text, as the plan notice and the store name it.
pub fn digest(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

fn digest_of<T: Serialize>(value: &T) -> String {
    format!("{:x}", Sha256::digest(canonical(value).as_bytes()))
}

/// A snapshot's two directories as canonical JSON, each rendered once, on a core of its own: hashed
/// for the digests, and put whole into the record's text (a national snapshot is 48 MB of it).
struct SnapshotText {
    units: String,
    inspectors: String,
}

impl SnapshotText {
    fn of(snapshot: &Snapshot) -> SnapshotText {
        let (units, inspectors) = rayon::join(
            || canonical(&snapshot.units),
            || canonical(&snapshot.inspectors),
        );
        SnapshotText { units, inspectors }
    }

    /// The digests of the enterprises and of the inspectors.
    fn digests(&self) -> (String, String) {
        rayon::join(|| digest(&self.units), || digest(&self.inspectors))
    }

    /// The snapshot's canonical text: `Snapshot`'s two fields in key order.
    fn json(&self) -> String {
        let mut text = String::with_capacity(self.units.len() + self.inspectors.len() + 32);
        text.push_str("{\"inspectors\":");
        text.push_str(&self.inspectors);
        text.push_str(",\"units\":");
        text.push_str(&self.units);
        text.push('}');
        text
    }
}

/// A freeze's snapshot as stored: its canonical text, parsed, and the digests of its two
/// directories taken from that text's own bytes. A draw's record carries this very text, so it is
/// neither rendered again nor stored again: the store keeps it once, with the freeze.
pub struct FrozenSnapshot {
    text: String,
    snapshot: Snapshot,
    enterprises_sha256: String,
    inspectors_sha256: String,
}

impl FrozenSnapshot {
    pub fn parse(text: String) -> Result<FrozenSnapshot, serde_json::Error> {
        /// The two directories as they stand in the text, byte for byte.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Halves<'a> {
            #[serde(borrow)]
            inspectors: &'a serde_json::value::RawValue,
            #[serde(borrow)]
            units: &'a serde_json::value::RawValue,
        }
        let halves: Halves = serde_json::from_str(&text)?;
        let (units, inspectors) = rayon::join(
            || {
                let units = halves.units.get();
                rayon::join(|| serde_json::from_str(units), || digest(units))
            },
            || {
                let inspectors = halves.inspectors.get();
                rayon::join(|| serde_json::from_str(inspectors), || digest(inspectors))
            },
        );
        let snapshot = Snapshot {
            units: units.0?,
            inspectors: inspectors.0?,
        };
        Ok(FrozenSnapshot {
            snapshot,
            enterprises_sha256: units.1,
            inspectors_sha256: inspectors.1,
            text,
        })
    }
}

/// What `Record::make` refuses: a freeze whose stored plan or snapshot no longer has the digest
/// the freeze published (the store was changed after the freeze).
#[derive(Debug, thiserror::Error)]
#[error(
    "the frozen {what} no longer has the digest published at the freeze of {frozen_at} \
     (published {published}, stored now {stored}): the store was changed after the freeze, so \
     no draw is made from it; restore the store from a backup taken before that change"
)]
pub struct ChangedAfterFreeze {
    what: &'static str,
    frozen_at: String,
    published: String,
    stored: String,
}

/// A record's canonical text as it is kept: its head — the record written with an empty snapshot,
/// the last key — and the snapshot's text, which takes that empty snapshot's place. The store keeps
/// the head (the snapshot is the freeze's, stored once); the files and the digest are made part by
/// part, so the whole (51 MB nationally) is never put together.
pub struct RecordText {
    head: String,
    snapshot: String,
}

/// How a head ends: an empty snapshot, then the record's closing brace.
const EMPTY_SNAPSHOT: &str = "{\"inspectors\":[],\"units\":[]}}";

impl RecordText {
    /// `head` is a record's canonical text with an empty snapshot; `snapshot` a snapshot's
    /// canonical text.
    pub fn new(head: String, snapshot: String) -> RecordText {
        assert!(
            head.ends_with(&format!("\"snapshot\":{EMPTY_SNAPSHOT}")),
            "a record's last key is its snapshot, and the head's is empty"
        );
        RecordText { head, snapshot }
    }

    /// The record without its snapshot, as the store keeps it.
    pub fn head(&self) -> &str {
        &self.head
    }

    fn parts(&self) -> [&str; 3] {
        let cut = self.head.len() - EMPTY_SNAPSHOT.len();
        [&self.head[..cut], &self.snapshot, "}"]
    }

    /// The SHA-256 of the whole text, as the plan notice and the store name it.
    pub fn digest(&self) -> String {
        let mut hash = Sha256::new();
        for part in self.parts() {
            hash.update(part.as_bytes());
        }
        format!("{:x}", hash.finalize())
    }

    pub fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        for part in self.parts() {
            out.write_all(part.as_bytes())?;
        }
        Ok(())
    }
}

/// The digests of a snapshot's enterprises and inspectors.
fn digests(snapshot: &Snapshot) -> (String, String) {
    SnapshotText::of(snapshot).digests()
}

impl Record {
    /// Draws from a campaign's frozen snapshot with the current algorithm, and records; returns
    /// the record and its snapshot's text (the freeze's). The record keeps the freeze's pseudonym
    /// key (when it has one) so its public record can be made from it. Refused when the stored plan
    /// or snapshot no longer has the digest the freeze published.
    pub fn make(
        plan: Plan,
        seed: &str,
        freeze: Freeze,
        frozen: FrozenSnapshot,
        pseudonyms: Option<&Pseudonyms>,
    ) -> Result<Made, ChangedAfterFreeze> {
        let stored = [
            ("plan", digest_of(&plan), &freeze.plan_sha256),
            (
                "enterprise snapshot",
                frozen.enterprises_sha256.clone(),
                &freeze.enterprises_sha256,
            ),
            (
                "inspector snapshot",
                frozen.inspectors_sha256.clone(),
                &freeze.inspectors_sha256,
            ),
        ];
        for (what, stored, published) in stored {
            if stored != *published {
                return Err(ChangedAfterFreeze {
                    what,
                    frozen_at: freeze.frozen_at.clone(),
                    published: published.clone(),
                    stored,
                });
            }
        }
        // The frozen text is canonical (its digests are the published ones), so its order is.
        // The public snapshot depends on the snapshot and the key alone: it is rendered on the
        // other core while the teams are drawn.
        let (result, public) = rayon::join(
            || {
                draw(
                    Algorithm::CURRENT,
                    &plan,
                    freeze.as_of,
                    seed,
                    &frozen.snapshot,
                )
            },
            || pseudonyms.map(|p| PublicSnapshot::of(p, &frozen.snapshot)),
        );
        let digests = (frozen.enterprises_sha256, frozen.inspectors_sha256);
        let mut record = Record::of(
            Algorithm::CURRENT,
            plan,
            freeze.as_of,
            seed,
            (frozen.snapshot, digests, result),
            Some(freeze),
        );
        record.pseudonym_key = pseudonyms.map(Pseudonyms::to_hex);
        Ok(Made {
            record,
            snapshot_text: frozen.text,
            public,
        })
    }

    /// Draws and records with `algorithm`; `snapshot` is put in canonical order first.
    pub fn make_with(
        algorithm: Algorithm,
        plan: Plan,
        as_of: NaiveDate,
        seed: &str,
        snapshot: Snapshot,
        freeze: Option<Freeze>,
    ) -> Record {
        let snapshot = snapshot.canonical();
        let (result, digests) = rayon::join(
            || draw(algorithm, &plan, as_of, seed, &snapshot),
            || digests(&snapshot),
        );
        Record::of(
            algorithm,
            plan,
            as_of,
            seed,
            (snapshot, digests, result),
            freeze,
        )
    }

    /// The record of a draw: its snapshot with the snapshot's digests (enterprises, inspectors),
    /// and its result.
    fn of(
        algorithm: Algorithm,
        plan: Plan,
        as_of: NaiveDate,
        seed: &str,
        (snapshot, (enterprises_sha256, inspectors_sha256), result): (
            Snapshot,
            (String, String),
            DrawResult,
        ),
        freeze: Option<Freeze>,
    ) -> Record {
        Record {
            format: FORMAT.into(),
            algorithm: algorithm.name().into(),
            campaign: plan.campaign_for(as_of),
            as_of,
            seed_sha256: seed_digest(algorithm, seed),
            enterprises_sha256,
            inspectors_sha256,
            seed: seed.to_string(),
            plan,
            snapshot,
            result,
            freeze,
            pseudonym_key: None,
            pseudonymised: None,
        }
    }

    /// The record the public verifies: the same draw under the pseudonyms of its key, without the
    /// key; `None` when the record has no key (made before public records existed).
    pub fn public(&self) -> Option<Record> {
        let pseudonyms = Pseudonyms::from_hex(self.pseudonym_key.as_deref()?)?;
        let snapshot = pseudonyms.snapshot(&self.snapshot);
        let head = self.public_head(&pseudonyms, digests(&snapshot));
        Some(Record { snapshot, ..head })
    }

    /// The public record of this record under `pseudonyms`, whose snapshot has `digests`; its own
    /// snapshot left empty.
    fn public_head(
        &self,
        pseudonyms: &Pseudonyms,
        (enterprises_sha256, inspectors_sha256): (String, String),
    ) -> Record {
        Record {
            enterprises_sha256,
            inspectors_sha256,
            result: pseudonyms.result(&self.result),
            snapshot: Snapshot::default(),
            pseudonym_key: None,
            pseudonymised: Some(Pseudonymised {
                scheme: pseudonym::SCHEME.into(),
                key_sha256: pseudonyms.key_sha256(),
            }),
            ..self.clone()
        }
    }

    /// The record as canonical JSON.
    pub fn to_canonical(&self) -> String {
        canonical(self)
    }
}

/// A snapshot under a record's pseudonyms, rendered once: its text for the public record's file,
/// the digests of its two directories for the public record itself.
struct PublicSnapshot {
    text: SnapshotText,
    digests: (String, String),
}

impl PublicSnapshot {
    fn of(pseudonyms: &Pseudonyms, snapshot: &Snapshot) -> PublicSnapshot {
        let text = SnapshotText::of(&pseudonyms.snapshot(snapshot));
        let digests = text.digests();
        PublicSnapshot { text, digests }
    }
}

/// A draw just made from a freeze (`Record::make`): its record, the freeze's snapshot text, and
/// the snapshot under the record's pseudonyms when it has a key.
pub struct Made {
    pub record: Record,
    pub snapshot_text: String,
    public: Option<PublicSnapshot>,
}

impl Made {
    /// The record, its text and its public record's text (when it has a key). The record's head is
    /// written on one core while the public record is put together on the other.
    pub fn into_texts(self) -> (Record, RecordText, Option<RecordText>) {
        let Made {
            mut record,
            snapshot_text,
            public,
        } = self;
        // Out of the record while it is written, so neither it nor its clone carries it.
        let snapshot = std::mem::take(&mut record.snapshot);
        let (head, public) = rayon::join(
            || canonical(&record),
            || {
                let pseudonyms = Pseudonyms::from_hex(record.pseudonym_key.as_deref()?)?;
                let PublicSnapshot { text, digests } = public?;
                let head = canonical(&record.public_head(&pseudonyms, digests));
                Some(RecordText::new(head, text.json()))
            },
        );
        record.snapshot = snapshot;
        (record, RecordText::new(head, snapshot_text), public)
    }
}

/// Recomputes a draw from its record; `Err` says what does not match.
pub fn verify(text: &str) -> Result<Record, String> {
    let record: Record =
        serde_json::from_str(text).map_err(|e| format!("not a draw record: {e}"))?;
    if record.format != FORMAT {
        return Err(format!("unknown record format '{}'", record.format));
    }
    let Some(algorithm) = Algorithm::parse(&record.algorithm) else {
        return Err(format!(
            "record made with algorithm '{}', which this build does not know",
            record.algorithm
        ));
    };
    record
        .plan
        .validate()
        .map_err(|e| format!("the plan is not valid: {e}"))?;
    let (enterprises, inspectors) = digests(&record.snapshot);
    let checks = [
        (
            "seed digest",
            seed_digest(algorithm, &record.seed),
            &record.seed_sha256,
        ),
        (
            "enterprise snapshot digest",
            enterprises,
            &record.enterprises_sha256,
        ),
        (
            "inspector snapshot digest",
            inspectors,
            &record.inspectors_sha256,
        ),
        (
            "campaign",
            record.plan.campaign_for(record.as_of),
            &record.campaign,
        ),
    ];
    for (what, computed, stored) in checks {
        if computed != *stored {
            return Err(format!("{what}: recorded {stored}, recomputed {computed}"));
        }
    }
    if let Some(p) = &record.pseudonymised
        && (p.scheme != pseudonym::SCHEME || record.pseudonym_key.is_some())
    {
        return Err(format!(
            "unknown pseudonym scheme '{}' (or a public record carrying its key)",
            p.scheme
        ));
    }
    if let Some(freeze) = &record.freeze {
        check_freeze(&record, freeze)?;
    }
    // A public record keeps the internal (clear-id) order of inspectors, which its freeze digest
    // fixes; everything else is in canonical order.
    let ordered = match &record.pseudonymised {
        None => record.snapshot.clone().canonical(),
        Some(_) => record.snapshot.clone().canonical_within(),
    };
    if record.snapshot != ordered {
        return Err("the snapshot is not in canonical order".into());
    }
    let again = draw(
        algorithm,
        &record.plan,
        record.as_of,
        &record.seed,
        &record.snapshot,
    );
    if again != record.result {
        let differs = if again.strata != record.result.strata {
            "strata counts"
        } else if again.assignments != record.result.assignments {
            "assignments"
        } else {
            "unstaffed checks"
        };
        return Err(format!(
            "the recorded result differs from the recomputed one ({differs})"
        ));
    }
    if record.to_canonical() != text.trim_end() {
        return Err("the file is not in canonical form (edited by hand?)".into());
    }
    Ok(record)
}

/// The record's plan and snapshots are the ones frozen before the seed existed: the clear ones
/// for an internal record (and, when it has its key, its public record's too), the pseudonymised
/// ones for a public record.
fn check_freeze(record: &Record, freeze: &Freeze) -> Result<(), String> {
    let changed = |what: &str, published: &str, computed: &str| {
        format!(
            "the {what} differs from the one frozen at {} (published {published}, the record's \
             {computed}): its inputs changed after the freeze",
            freeze.frozen_at
        )
    };
    let public_digests = || {
        freeze.public.as_ref().ok_or_else(|| {
            "the freeze has no public digests, so no public record can match it".to_string()
        })
    };
    let (enterprises, inspectors) = match &record.pseudonymised {
        None => (&freeze.enterprises_sha256, &freeze.inspectors_sha256),
        Some(p) => {
            let d = public_digests()?;
            if d.key_sha256 != p.key_sha256 {
                return Err(changed("pseudonym key", &d.key_sha256, &p.key_sha256));
            }
            (&d.enterprises_sha256, &d.inspectors_sha256)
        }
    };
    // The record's snapshot digests were recomputed and matched before this is called.
    let frozen = [
        ("plan", digest_of(&record.plan), &freeze.plan_sha256),
        (
            "enterprise snapshot",
            record.enterprises_sha256.clone(),
            enterprises,
        ),
        (
            "inspector snapshot",
            record.inspectors_sha256.clone(),
            inspectors,
        ),
    ];
    for (what, computed, published) in frozen {
        if computed != *published {
            return Err(changed(what, published, &computed));
        }
    }
    if (freeze.as_of, freeze.campaign.as_str()) != (record.as_of, record.campaign.as_str()) {
        return Err(format!(
            "the as-of date or campaign differs from the freeze ({} {})",
            freeze.as_of, freeze.campaign
        ));
    }
    if record.pseudonym_key.is_some() {
        let public = record
            .public()
            .ok_or("the record's pseudonym key is not 64 hex digits")?;
        let d = public_digests()?;
        let pairs = [
            (
                "pseudonym key",
                &public.pseudonymised.as_ref().expect("public").key_sha256,
                &d.key_sha256,
            ),
            (
                "public enterprise snapshot",
                &public.enterprises_sha256,
                &d.enterprises_sha256,
            ),
            (
                "public inspector snapshot",
                &public.inspectors_sha256,
                &d.inspectors_sha256,
            ),
        ];
        for (what, computed, published) in pairs {
            if computed != published {
                return Err(changed(what, published, computed));
            }
        }
    }
    Ok(())
}
