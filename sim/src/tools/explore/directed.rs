//! The explorer's directed search (`--dfs`): depth-first with a cache of visited states and the depth each was reached at, for violations deeper than breadth-first search reaches; its counterexample is not of minimal length.

use super::search::PathStep;
use super::*;

/// A state waiting on the depth-first stack: the state, its path, whether its last step
/// changed what the checkers read, and its depth.
pub(super) type Entry = (Sys, Option<Rc<PathStep>>, bool, u32);

/// The visited states of the directed search: fingerprint → the smallest depth it was reached
/// at (a state reached again at a smaller depth is expanded again: the depth bound cut less of
/// what lies behind it).
type Seen = indexmap::IndexMap<u64, u32, std::hash::BuildHasherDefault<fingerprint::FpHasher>>;

/// What a depth-first search (`--dfs`, `--exhaust`) does with a state it popped.
pub(super) enum Popped {
    /// A checker failed: the violation is in the report; the search stops.
    Violation,
    /// Terminal, or at the depth bound (then the search is not exhausted): nothing to expand.
    Leaf,
    /// Expand these choices.
    Expand(Vec<Choice>),
}

impl Explorer<'_> {
    /// A popped state judged as breadth-first search judges it (`visit`): a violation (kept in
    /// `report`), a terminal state (counted, its fingerprint added to the terminal digest; under
    /// `--dfs` a terminal state reached again at a smaller depth is counted again), a state at
    /// the depth bound (`cut`), or the choices to expand. Shared by both depth-first searches.
    pub(super) fn popped(
        &self,
        sys: &Sys,
        path: &Option<Rc<PathStep>>,
        changed: bool,
        depth: u32,
        report: &mut ExploreReport,
        cut: &mut bool,
    ) -> Popped {
        let choices = self.choices(sys);
        let terminal = choices.is_empty();
        let verdict = if changed || terminal { self.judge(sys, terminal) } else { self.quiescent_state(sys) };
        if let Some((checker, anomaly)) = verdict {
            report.violation = Some(Violation { path: PathStep::path(path), checker, anomaly });
            return Popped::Violation;
        }
        report.depth_reached = report.depth_reached.max(depth);
        if terminal {
            report.terminal_states += 1;
            report.terminal_digest = report.terminal_digest.wrapping_add(self.terminal_fingerprint(sys));
            return Popped::Leaf;
        }
        if depth >= self.bounds.max_depth {
            *cut = true;
            return Popped::Leaf;
        }
        report.states_expanded += 1;
        Popped::Expand(choices)
    }

    /// Depth-first search within the bounds, the reduced choices of each state taken in their
    /// fixed order (reads and deliveries before timers, failures last: each path first runs the
    /// job on as far as it goes, and the search backtracks from there); stops at the first
    /// violation. Judged as the breadth-first search judges (`visit`). Exhausts the same
    /// reduced space when no bound cuts it, but the first violation found is not the shortest:
    /// breadth-first search stays the default.
    pub fn explore_dfs(&self) -> ExploreReport {
        let wall = std::time::Instant::now();
        let init = self.initial();
        let mut seen = Seen::default();
        seen.insert(init.fingerprint(), 0);
        let mut report = ExploreReport::starting(1);
        let mut stack: Vec<Entry> = vec![(init, None, true, 0)];
        let mut cut = false;
        while let Some((sys, path, changed, depth)) = stack.pop() {
            let choices = match self.popped(&sys, &path, changed, depth, &mut report, &mut cut) {
                Popped::Violation => break,
                Popped::Leaf => continue,
                Popped::Expand(choices) => choices,
            };
            match self.dfs_children(&sys, choices, &path, depth, &mut seen, &mut report) {
                Some(kids) => stack.extend(kids.into_iter().rev()),
                None => {
                    cut = true;
                    break;
                }
            }
        }
        report.distinct_states = seen.len() as u64;
        report.exhausted = report.violation.is_none() && !cut;
        report.elapsed_s = wall.elapsed().as_secs_f64();
        report
    }

    /// The children of `sys` not seen before at their depth or less, in choice order; None
    /// when the state bound is reached.
    fn dfs_children(
        &self,
        sys: &Sys,
        choices: Vec<Choice>,
        path: &Option<Rc<PathStep>>,
        depth: u32,
        seen: &mut Seen,
        report: &mut ExploreReport,
    ) -> Option<Vec<Entry>> {
        let before = sys.observed();
        let mut kids = Vec::new();
        for c in choices {
            let mut s2 = sys.clone();
            let applied = self.apply(&mut s2, c);
            debug_assert!(applied, "an enabled choice applies");
            report.children += 1;
            let fp = s2.fingerprint();
            match seen.get_mut(&fp) {
                Some(d) if *d <= depth + 1 => continue,
                Some(d) => {
                    *d = depth + 1;
                    report.reexpanded += 1;
                }
                None => {
                    seen.insert(fp, depth + 1);
                    if seen.len() as u64 > self.bounds.max_states {
                        return None;
                    }
                }
            }
            let changed = s2.observed() != before;
            kids.push((s2, Some(Rc::new(PathStep { choice: c, parent: path.clone() })), changed, depth + 1));
        }
        Some(kids)
    }
}

/// SplitMix64: the walks' own deterministic stream, seeded from the command line.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Whether `c` injects a fault (a failure, a crash, a loss, a failover): the walks place them.
fn is_fault(c: Choice) -> bool {
    matches!(
        c,
        Choice::Fail(_)
            | Choice::CrashTm(_)
            | Choice::HbTimeout(_)
            | Choice::TmHbTimeout(_)
            | Choice::JmHbTimeout(_)
            | Choice::Lose(_)
            | Choice::LoseAck(_)
            | Choice::SlowUpload(_)
            | Choice::JmFailover
            | Choice::Zombie { .. }
    )
}

impl Explorer<'_> {
    /// Directed random walks (`--walks N --walk-seed S`): each walk runs the job from the
    /// initial state, one reduced choice at a time, drawn from its own deterministic stream
    /// (SplitMix64 of the seed and the walk's number), to a terminal state or the depth bound.
    /// Faults are placed, not drawn at every step (which would put them all at the start): a
    /// walk draws the step at which it injects its next fault, and takes no fault choice
    /// before it. Every state on a walk is judged as the searches judge it; the first violation
    /// ends the search. Finds violations deeper than breadth-first search reaches on jobs whose
    /// bad paths are frequent among the runs; proves nothing when it finds none (`exhausted`
    /// stays false), and its path is not of minimal length.
    pub fn explore_walks(&self, walks: u64, seed: u64) -> ExploreReport {
        let wall = std::time::Instant::now();
        let mut seen = Seen::default();
        let mut report = ExploreReport::starting(0);
        for walk in 0..walks {
            let mut rng = Mix(seed ^ walk.wrapping_mul(0xD1B5_4A32_D192_ED03));
            if let Some(v) = self.walk(&mut rng, &mut seen, &mut report) {
                report.violation = Some(v);
                break;
            }
            if seen.len() as u64 > self.bounds.max_states {
                break;
            }
        }
        report.distinct_states = seen.len() as u64;
        report.elapsed_s = wall.elapsed().as_secs_f64();
        report
    }

    /// One walk (see [`Explorer::explore_walks`]); the violation it ends in, if any.
    fn walk(&self, rng: &mut Mix, seen: &mut Seen, report: &mut ExploreReport) -> Option<Violation> {
        let mut sys = self.initial();
        let mut path: Vec<Choice> = Vec::new();
        let mut changed = true;
        let horizon = u64::from(self.bounds.max_depth.max(1));
        let mut fault_at = rng.next() % horizon;
        loop {
            let choices = self.choices(&sys);
            let terminal = choices.is_empty();
            let verdict = if changed || terminal { self.judge(&sys, terminal) } else { self.quiescent_state(&sys) };
            if let Some((checker, anomaly)) = verdict {
                return Some(Violation { path, checker, anomaly });
            }
            let depth = path.len() as u32;
            report.depth_reached = report.depth_reached.max(depth);
            if terminal {
                report.terminal_states += 1;
                return None;
            }
            if depth >= self.bounds.max_depth {
                return None;
            }
            let faults: Vec<Choice> = choices.iter().copied().filter(|c| is_fault(*c)).collect();
            let others: Vec<Choice> = choices.iter().copied().filter(|c| !is_fault(*c)).collect();
            let c = if !faults.is_empty() && (u64::from(depth) >= fault_at || others.is_empty()) {
                fault_at = u64::from(depth) + 1 + rng.next() % horizon;
                faults[rng.below(faults.len())]
            } else {
                others[rng.below(others.len())]
            };
            let before = sys.observed();
            let applied = self.apply(&mut sys, c);
            debug_assert!(applied, "an enabled choice applies");
            report.states_expanded += 1;
            report.children += 1;
            seen.entry(sys.fingerprint()).or_insert(depth + 1);
            changed = sys.observed() != before;
            path.push(c);
        }
    }
}
