//! Counting and indexing the inspectors who still have a seat to give, fast: a Fenwick tree over a
//! candidate list's positions (1 = below the workload cap), so "how many are open" and "the k-th
//! open one in list order" take O(log n) instead of a pass over 50,000 inspectors per seat. The
//! draw's arithmetic is unchanged: the same list, the same order, the same k.

/// A Fenwick (binary indexed) tree of 0/1 flags.
#[derive(Debug, Clone)]
pub struct Flags {
    tree: Vec<u32>,
    ones: usize,
}

impl Flags {
    /// `n` flags, all set.
    pub fn all_set(n: usize) -> Flags {
        let mut tree = vec![0u32; n + 1];
        for i in 1..=n {
            tree[i] += 1;
            let parent = i + (i & i.wrapping_neg());
            if parent <= n {
                tree[parent] += tree[i];
            }
        }
        Flags { tree, ones: n }
    }

    pub fn ones(&self) -> usize {
        self.ones
    }

    /// Sets (`on`) or clears flag `i`; the caller knows its current state differs.
    pub fn flip(&mut self, i: usize, on: bool) {
        let mut j = i + 1;
        while j < self.tree.len() {
            if on {
                self.tree[j] += 1;
            } else {
                self.tree[j] -= 1;
            }
            j += j & j.wrapping_neg();
        }
        if on {
            self.ones += 1;
        } else {
            self.ones -= 1;
        }
    }

    /// The position of the `k`-th set flag (0-based); `k < ones()`.
    pub fn select(&self, mut k: usize) -> usize {
        let n = self.tree.len() - 1;
        let mut pos = 0;
        let mut step = n.next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next <= n && (self.tree[next] as usize) <= k {
                pos = next;
                k -= self.tree[next] as usize;
            }
            step >>= 1;
        }
        pos // 1-based `pos + 1` is the flag; as 0-based, `pos`
    }
}

/// The `k`-th set flag that is not in `excluded` (sorted positions of set flags), or None when
/// fewer than `k + 1` are left.
pub fn kth_open(flags: &Flags, excluded: &[usize], k: usize) -> Option<usize> {
    if k + excluded.len() >= flags.ones() {
        return None;
    }
    // The k-th allowed flag is the (k + e)-th set flag, e being the excluded ones at or before it:
    // a fixed point reached within |excluded| steps.
    let mut e = 0;
    loop {
        let pos = flags.select(k + e);
        let before = excluded.partition_point(|&x| x <= pos);
        if before == e {
            return Some(pos);
        }
        e = before;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Against the plain pass: the same count and the same k-th flag.
        #[test]
        fn kth_open_is_the_kth_of_the_plain_filter(
            n in 1usize..200,
            cleared in proptest::collection::vec(0usize..200, 0..100),
            excluded in proptest::collection::vec(0usize..200, 0..40),
            k in 0usize..200,
        ) {
            let mut flags = Flags::all_set(n);
            let mut set = vec![true; n];
            for c in cleared.into_iter().filter(|&c| c < n) {
                if set[c] {
                    set[c] = false;
                    flags.flip(c, false);
                }
            }
            // Re-set some, to exercise both directions.
            for c in (0..n).step_by(7) {
                if !set[c] {
                    set[c] = true;
                    flags.flip(c, true);
                }
            }
            let mut excluded: Vec<usize> = excluded.into_iter().filter(|&x| x < n && set[x]).collect();
            excluded.sort();
            excluded.dedup();
            let plain: Vec<usize> = (0..n).filter(|&i| set[i] && !excluded.contains(&i)).collect();
            prop_assert_eq!(flags.ones(), set.iter().filter(|&&s| s).count());
            prop_assert_eq!(kth_open(&flags, &excluded, k), plain.get(k).copied());
        }
    }
}
