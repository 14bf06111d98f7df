//! The explorer's exhaustive depth-first search (`--exhaust`): the reduced space with a visited set of bare fingerprints, for spaces whose breadth-first frontier does not fit in memory; it proves exhaustion only when no bound cut a path.

use super::search::PathStep;
use super::*;

/// The visited states of the exhaustive search: fingerprints only (no depth, no sleep set),
/// about 9 to 18 bytes per state in a `hashbrown` table (a `u64` and a control byte, at a load
/// of 7/8 to 7/16). Never iterated (only `insert` and `len`), so its order cannot reach a
/// result: the house rule against hash iteration holds; an `IndexSet` would double the bytes a
/// state.
#[allow(clippy::disallowed_types)]
type Fingerprints = std::collections::HashSet<u64, std::hash::BuildHasherDefault<fingerprint::FpHasher>>;

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
        let mut seen = Fingerprints::default();
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
