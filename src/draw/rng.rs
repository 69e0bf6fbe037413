//! The draw's randomness, fixed so that a record verifies years later on any machine:
//!
//! - the seed is public text fixed after the plan; it is trimmed, put in Unicode NFC and hashed with
//!   SHA-256; the 32 bytes are the ChaCha20 key (nonce and counter start at zero);
//! - the draw reads the generator's 32-bit output words directly (the ChaCha20 keystream, little-endian
//!   words, as RFC 8439 defines it), never a library's `gen_range` or `shuffle`;
//! - a number in `0..n` is drawn by rejection: words at or above the largest multiple of `n` below
//!   2³² are discarded and the next word is read, so every value is equally likely; the value is the
//!   word modulo `n`.
//!
//! These are the versions of [`Algorithm`]; a change to any of it is a new version, and the old ones
//! must keep verifying old records.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

/// The versions of the draw's arithmetic. Each record names the one it was made with, and every
/// version keeps verifying the records made with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Team seats filled from a random start in id order: the first eligible inspector after the
    /// start. An inspector whose id follows a block of ineligible ids is more likely to be drawn.
    V1,
    /// Team seats drawn uniformly from the eligible inspectors with capacity left, whatever the id
    /// order (one `below(n)` over that list per seat; the augmenting path as before when none has
    /// capacity).
    V2,
}

impl Algorithm {
    /// What new draws use.
    pub const CURRENT: Algorithm = Algorithm::V2;

    /// The name records carry.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::V1 => {
                "licwatch-draw-v1: ChaCha20(SHA-256(NFC(trim(seed)))), u32 words, rejection to 0..n"
            }
            Algorithm::V2 => {
                "licwatch-draw-v2: ChaCha20(SHA-256(NFC(trim(seed)))), u32 words, rejection to 0..n, \
                 team seats uniform among the eligible"
            }
        }
    }

    pub fn parse(name: &str) -> Option<Algorithm> {
        [Algorithm::V1, Algorithm::V2]
            .into_iter()
            .find(|a| a.name() == name)
    }
}

/// The seed as it is hashed, so that its formatting cannot be chosen. v1: trimmed, in NFC. v2: in
/// NFKC (full-width digits and letters become ASCII, compatibility forms fold) with every run of
/// whitespace one ASCII space and none at either end — "２０２６－１２－０１　０３  １４" and
/// "2026-12-01 03 14" are the same seed.
pub fn normalise_seed(algorithm: Algorithm, seed: &str) -> String {
    match algorithm {
        Algorithm::V1 => seed.trim().nfc().collect(),
        Algorithm::V2 => {
            let folded: String = seed.nfkc().collect();
            folded.split_whitespace().collect::<Vec<_>>().join(" ")
        }
    }
}

/// SHA-256 of the normalised seed, in hex: what a public notice may cite.
pub fn seed_digest(algorithm: Algorithm, seed: &str) -> String {
    format!(
        "{:x}",
        Sha256::digest(normalise_seed(algorithm, seed).as_bytes())
    )
}

#[derive(Clone)]
pub struct DrawRng {
    chacha: ChaCha20Rng,
}

impl DrawRng {
    pub fn new(algorithm: Algorithm, seed: &str) -> Self {
        let key: [u8; 32] = Sha256::digest(normalise_seed(algorithm, seed).as_bytes()).into();
        DrawRng {
            chacha: ChaCha20Rng::from_seed(key),
        }
    }

    /// The next keystream word.
    pub fn word(&mut self) -> u32 {
        self.chacha.next_u32()
    }

    /// A uniform number in `0..n` (`n` ≥ 1), by rejection.
    pub fn below(&mut self, n: u32) -> u32 {
        assert!(n > 0, "below(0)");
        // The largest multiple of n that fits in 2^32: words at or above it are discarded.
        let limit = u64::from(u32::MAX) + 1 - (u64::from(u32::MAX) + 1) % u64::from(n);
        loop {
            let w = u64::from(self.word());
            if w < limit {
                return (w % u64::from(n)) as u32;
            }
        }
    }

    /// The first `k` items of a uniformly random permutation of `items` (a partial Fisher–Yates
    /// shuffle driven by [`below`](Self::below)); `items` is left permuted.
    pub fn choose<T>(&mut self, items: &mut [T], k: usize) -> usize {
        let k = k.min(items.len());
        for i in 0..k {
            let j = i + self.below((items.len() - i) as u32) as usize;
            items.swap(i, j);
        }
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keystream_is_chacha20_of_rfc_8439() {
        // RFC 8439 §2.3.2 block function with an all-zero key and nonce, counter 0: the first
        // keystream bytes are 76 b8 e0 ad a0 f1 3d 90 …
        let mut rng = ChaCha20Rng::from_seed([0u8; 32]);
        assert_eq!(rng.next_u32(), 0xade0_b876);
        assert_eq!(rng.next_u32(), 0x903d_f1a0);
    }

    #[test]
    fn seeds_are_trimmed_and_normalised() {
        // "é" precomposed and decomposed are the same seed.
        for v in [Algorithm::V1, Algorithm::V2] {
            assert_eq!(seed_digest(v, " caf\u{e9} "), seed_digest(v, "cafe\u{301}"));
            assert_ne!(
                seed_digest(v, "2026-12-01 03 14 15"),
                seed_digest(v, "2026-12-01 03 14 16")
            );
            let mut a = DrawRng::new(v, "x");
            let mut b = DrawRng::new(v, " x\n");
            assert_eq!(a.word(), b.word());
        }
        // v2 also folds full-width forms and runs of whitespace: the formatting cannot be chosen.
        assert_eq!(
            seed_digest(Algorithm::V2, "２０２６－１２－０１\u{3000}０３  １４"),
            seed_digest(Algorithm::V2, "2026-12-01 03 14")
        );
        assert_ne!(
            seed_digest(Algorithm::V1, "2026-12-01  03"),
            seed_digest(Algorithm::V1, "2026-12-01 03")
        );
    }

    #[test]
    fn a_pinned_seed_gives_pinned_words() {
        // Guards the whole chain (normalisation, SHA-256, ChaCha20, word order) against upgrades.
        let mut rng = DrawRng::new(Algorithm::V1, "licwatch");
        let words: Vec<u32> = (0..3).map(|_| rng.word()).collect();
        let mut again = DrawRng::new(Algorithm::V2, "licwatch");
        assert_eq!(words, (0..3).map(|_| again.word()).collect::<Vec<_>>());
        assert_eq!(words, PINNED);
    }

    /// Computed outside this code base: SHA-256 of "licwatch" as the key of a plain ChaCha20 block
    /// function (RFC 8439 quarter rounds, counter 0, zero nonce) written in Python.
    const PINNED: [u32; 3] = [492_341_202, 105_565_430, 1_415_480_529];

    #[test]
    fn below_is_uniform_enough_and_in_range() {
        let mut rng = DrawRng::new(Algorithm::V2, "uniform");
        let mut counts = [0u32; 7];
        for _ in 0..70_000 {
            counts[rng.below(7) as usize] += 1;
        }
        // χ² with 6 degrees of freedom; 22.46 is the 0.001 critical value.
        let chi2: f64 = counts
            .iter()
            .map(|&c| (f64::from(c) - 10_000.0).powi(2) / 10_000.0)
            .sum();
        assert!(chi2 < 22.46, "χ² = {chi2}, counts {counts:?}");
    }
}
