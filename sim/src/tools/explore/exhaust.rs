//! The explorer's exhaustive depth-first search (`--exhaust`): the reduced space with a visited set of bare fingerprints, for spaces whose breadth-first frontier does not fit in memory; it proves exhaustion only when no bound cut a path.

use super::search::PathStep;
use super::*;

/// The visited states of the exhaustive search: fingerprints only (no depth, no sleep set), in
/// an open-addressing table of bare `u64`s (linear probing, doubled at 3/4 load): 8 bytes a
/// slot, 10.7 to 21 bytes a state. No hashing library and no iteration, so nothing here
/// depends on a hasher's seed or order; an `IndexSet` would double the bytes a state.
#[derive(Debug)]
struct Fingerprints {
    /// Slots; 0 is empty (the fingerprint 0 itself is `zero`).
    slots: Vec<u64>,
    /// Whether the fingerprint 0 was inserted.
    zero: bool,
    /// Fingerprints held.
    len: usize,
}

impl Fingerprints {
    fn new() -> Self {
        Fingerprints { slots: vec![0; 1 << 10], zero: false, len: 0 }
    }

    /// Inserts `fp`; false when it was there already.
    fn insert(&mut self, fp: u64) -> bool {
        if fp == 0 {
            let fresh = !self.zero;
            self.zero = true;
            self.len += usize::from(fresh);
            return fresh;
        }
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let fresh = Self::place(&mut self.slots, fp);
        self.len += usize::from(fresh);
        fresh
    }

    fn len(&self) -> usize {
        self.len
    }

    /// Puts non-zero `fp` into `slots` (a power of two long, never full); false when present.
    fn place(slots: &mut [u64], fp: u64) -> bool {
        let mask = slots.len() - 1;
        // The fingerprint is a hash already; the multiply spreads its high bits to the index.
        let mut i = (fp.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & mask;
        loop {
            match slots[i] {
                0 => {
                    slots[i] = fp;
                    return true;
                }
                x if x == fp => return false,
                _ => i = (i + 1) & mask,
            }
        }
    }

    fn grow(&mut self) {
        let mut bigger = vec![0u64; self.slots.len() * 2];
        for &fp in self.slots.iter().filter(|fp| **fp != 0) {
            Self::place(&mut bigger, fp);
        }
        self.slots = bigger;
    }
}

use super::directed::Entry;

impl Explorer<'_> {
    /// Depth-first search of the reduced space (the same choices as [`Explorer::explore`]),
    /// each state expanded once, the first time it is seen, whatever its depth. Every state
    /// reachable in the reduced space is visited when no path reaches the depth bound with a
    /// choice left and the state bound is not reached: a state is left unexpanded only when it
    /// is terminal, cut by a bound (then `exhausted` is false) or seen before (its children
    /// were or will be generated from its first visit). Each state is judged as the
    /// breadth-first search judges it (`visit`), so the same states, the same terminal states
    /// and no violation are what an exhausted run of both searches reports; the first violation
    /// found is not of minimal length (breadth-first search stays the default). Memory is the
    /// fingerprint set and a stack of at most depth × branching states, not a frontier of
    /// whole states (`docs/explore.md`, *Exhaustion (session 22)*).
    pub fn explore_exhaustive(&self) -> ExploreReport {
        let wall = std::time::Instant::now();
        let init = self.initial();
        let mut seen = Fingerprints::new();
        seen.insert(init.fingerprint());
        let mut report = ExploreReport::starting(1);
        let mut stack: Vec<Entry> = vec![(init, None, true, 0)];
        let mut cut = false;
        'search: while let Some((sys, path, changed, depth)) = stack.pop() {
            let choices = match self.popped(&sys, &path, changed, depth, &mut report, &mut cut) {
                super::directed::Popped::Violation => break,
                super::directed::Popped::Leaf => continue,
                super::directed::Popped::Expand(choices) => choices,
            };
            let before = sys.observed();
            let first = stack.len();
            for c in choices {
                let mut s2 = sys.clone();
                let applied = self.apply(&mut s2, c);
                debug_assert!(applied, "an enabled choice applies");
                report.children += 1;
                if !seen.insert(s2.fingerprint()) {
                    continue;
                }
                if seen.len() as u64 > self.bounds.max_states {
                    cut = true;
                    break 'search;
                }
                let changed = s2.observed() != before;
                stack.push((s2, Some(Rc::new(PathStep { choice: c, parent: path.clone() })), changed, depth + 1));
            }
            // The first choice on top: each path first runs the job on as far as it goes.
            stack[first..].reverse();
        }
        report.distinct_states = seen.len() as u64;
        report.exhausted = report.violation.is_none() && !cut;
        report.elapsed_s = wall.elapsed().as_secs_f64();
        report
    }
}

#[cfg(test)]
mod tests {
    use super::Fingerprints;

    #[test]
    fn fingerprints_count_each_value_once_across_growth() {
        let mut f = Fingerprints::new();
        assert!(f.insert(0) && !f.insert(0));
        for v in 1..5_000u64 {
            assert!(f.insert(v.wrapping_mul(0x1000_0000_0000_0001)), "{v} is new");
        }
        for v in 1..5_000u64 {
            assert!(!f.insert(v.wrapping_mul(0x1000_0000_0000_0001)), "{v} was seen");
        }
        assert_eq!(f.len(), 5_000);
        assert!(f.slots.len() >= 5_000 * 4 / 3);
    }
}
