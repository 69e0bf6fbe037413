//! The public record's pseudonyms: the record the public verifies carries no inspector name, no
//! inspector's county or prefecture and no inspector id in clear, yet `licwatch draw verify`
//! replays it byte for byte.
//!
//! Scheme `licwatch-pseudonyms/1`: a random 256-bit key is drawn when a campaign is frozen (before
//! the seed exists) and kept with the freeze; the plan notice publishes its SHA-256. Then
//!
//! - an inspector id becomes `P` + the first 16 hex digits of HMAC-SHA256(key, "inspector:" + id),
//!   and the name is left empty;
//! - a division code (an inspector's or an enterprise's county or prefecture) becomes `A` + the
//!   first 16 hex digits of HMAC-SHA256(key, "area:" + code), the same token on both sides, so the
//!   回避 comparison "same county" gives the same answer;
//! - categories, enterprises, tiers, dates, declared conflicts and earlier assignments stay as
//!   they are: they name enterprises, never the person (the inspector is the pseudonym).
//!
//! The draw compares inspectors only by equality and takes them in the snapshot's order, so the
//! pseudonymised snapshot, kept in the internal (clear-id) order, draws exactly the same checks and
//! teams under the pseudonyms. The public snapshot's order is fixed by its digest in the freeze.

use std::collections::HashMap;

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

use super::{DrawResult, Snapshot};

pub const SCHEME: &str = "licwatch-pseudonyms/1";

/// Hex digits kept of each HMAC: 64 bits, so collisions among a national directory (50,000
/// inspectors, ~3,000 divisions) are negligible; [`Pseudonyms::snapshot`] refuses one anyway.
const KEPT: usize = 16;

/// A campaign's pseudonym key.
#[derive(Clone)]
pub struct Pseudonyms {
    key: [u8; 32],
}

impl std::fmt::Debug for Pseudonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pseudonyms(key sha256 {})", self.key_sha256())
    }
}

impl Pseudonyms {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Pseudonyms {
        let mut key = [0u8; 32];
        SystemRandom::new()
            .fill(&mut key)
            .expect("the operating system's random source works");
        Pseudonyms { key }
    }

    /// A key from its hex form (as stored with the freeze and in the internal record).
    pub fn from_hex(text: &str) -> Option<Pseudonyms> {
        let text = text.trim();
        if text.len() != 64 || !text.is_ascii() {
            return None;
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Pseudonyms { key })
    }

    pub fn to_hex(&self) -> String {
        self.key.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// What the plan notice publishes before the seed: the key's SHA-256.
    pub fn key_sha256(&self) -> String {
        format!("{:x}", Sha256::digest(self.key))
    }

    fn signer(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &self.key)
    }

    pub fn inspector(&self, id: &str) -> String {
        token(&self.signer(), 'P', "inspector", id)
    }

    pub fn area(&self, code: &str) -> String {
        token(&self.signer(), 'A', "area", code)
    }

    /// The snapshot under pseudonyms, inspectors in the same order. Panics on a collision between
    /// two different ids (a 64-bit coincidence), which would merge two people.
    pub fn snapshot<'a>(&self, snapshot: &'a Snapshot) -> Snapshot {
        let signer = self.signer();
        // A few thousand divisions name hundreds of thousands of enterprises: each is signed once.
        let mut areas: HashMap<&str, String> = HashMap::new();
        let mut area = |code: &'a str| -> String {
            areas
                .entry(code)
                .or_insert_with(|| token(&signer, 'A', "area", code))
                .clone()
        };
        let mut seen: HashMap<String, &str> = HashMap::new();
        let inspectors = snapshot
            .inspectors
            .iter()
            .map(|i| {
                let mut p = i.clone();
                p.inspector_id = token(&signer, 'P', "inspector", &i.inspector_id);
                if let Some(other) = seen.insert(p.inspector_id.clone(), &i.inspector_id) {
                    assert_eq!(other, i.inspector_id, "pseudonym collision");
                }
                p.name = String::new();
                p.prefecture = area(&i.prefecture);
                p.county = area(&i.county);
                p
            })
            .collect();
        let units = snapshot
            .units
            .iter()
            .map(|u| {
                let mut p = u.clone();
                p.prefecture = area(&u.prefecture);
                p.county = area(&u.county);
                p
            })
            .collect();
        Snapshot { units, inspectors }
    }

    /// The result under the same pseudonyms.
    pub fn result(&self, result: &DrawResult) -> DrawResult {
        let signer = self.signer();
        let mut public = result.clone();
        for a in &mut public.assignments {
            a.team = a
                .team
                .iter()
                .map(|m| token(&signer, 'P', "inspector", m))
                .collect();
            a.lead = token(&signer, 'P', "inspector", &a.lead);
            a.prefecture = token(&signer, 'A', "area", &a.prefecture);
            a.county = token(&signer, 'A', "area", &a.county);
        }
        public
    }
}

/// `prefix` + the first [`KEPT`] hex digits of HMAC-SHA256(key, domain + ":" + value).
fn token(signer: &hmac::Key, prefix: char, domain: &str, value: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut ctx = hmac::Context::with_key(signer);
    ctx.update(domain.as_bytes());
    ctx.update(b":");
    ctx.update(value.as_bytes());
    let tag = ctx.sign();
    let mut out = String::with_capacity(1 + KEPT);
    out.push(prefix);
    for b in &tag.as_ref()[..KEPT / 2] {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_hex_and_tokens_depend_on_the_key() {
        let a = Pseudonyms::generate();
        let back = Pseudonyms::from_hex(&a.to_hex()).unwrap();
        assert_eq!(a.inspector("I001"), back.inspector("I001"));
        assert_eq!(a.key_sha256(), back.key_sha256());
        let b = Pseudonyms::generate();
        assert_ne!(a.inspector("I001"), b.inspector("I001"));
        // Domains are separated: an id equal to a division code gets a different token.
        assert_ne!(a.inspector("450102")[1..], a.area("450102")[1..]);
        assert_eq!(a.inspector("I001").len(), 1 + KEPT);
        assert!(Pseudonyms::from_hex("zz").is_none());
        assert!(Pseudonyms::from_hex(&"g".repeat(64)).is_none());
    }

    #[test]
    fn known_answer() {
        // HMAC-SHA256 with a key of 32 zero bytes over "inspector:I001", first 16 hex digits
        // (computed independently with Python's hmac module).
        let zero = Pseudonyms::from_hex(&"00".repeat(32)).unwrap();
        assert_eq!(zero.inspector("I001"), "Pfc568c827a3cd767");
    }
}
