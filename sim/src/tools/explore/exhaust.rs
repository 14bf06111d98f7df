//! The explorer's exhaustive depth-first search (`--exhaust`): the reduced space with a visited set of bare fingerprints, for spaces whose breadth-first frontier does not fit in memory; it proves exhaustion only when no bound cut a path.

use super::search::PathStep;
use super::visited::{VisitedKind, VisitedSet};
use super::*;

/// `--exhaust`'s options beyond the bounds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExhaustOptions {
    /// The visited set (`--visited`).
    pub visited: VisitedKind,
    /// Seconds of wall time between progress lines on standard error; 0: none.
    pub progress_every_s: u64,
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
        self.explore_exhaustive_with(ExhaustOptions::default())
    }

    /// [`Explorer::explore_exhaustive`] with a chosen visited set (`visited.rs`: hash
    /// compaction above 2^26 states by default) and progress lines.
    pub fn explore_exhaustive_with(&self, opts: ExhaustOptions) -> ExploreReport {
        let wall = std::time::Instant::now();
        let mut progress = Progress::new(opts.progress_every_s);
        let init = self.initial();
        let mut seen = VisitedSet::new(opts.visited, self.bounds.max_states);
        let mut subsumed = Subsumed::default();
        self.first_visit(&mut seen, &init, &mut subsumed);
        let mut report = ExploreReport::starting(1);
        let mut stack: Vec<Entry> = vec![(init, None, true, 0)];
        let mut cut = false;
        'search: while let Some((sys, path, changed, depth)) = stack.pop() {
            progress.tick(&report, (&seen, &subsumed), stack.len(), depth);
            let choices = match self.popped(&sys, &path, changed, depth, &mut report, &mut cut) {
                super::directed::Popped::Violation => break,
                super::directed::Popped::Leaf => continue,
                super::directed::Popped::Expand(choices) => choices,
            };
            let before = sys.observed();
            let first = stack.len();
            // The last child takes the popped state itself: one clone and one drop of a whole
            // state fewer per expanded state (session 29).
            let mut sys = Some(sys);
            let last = choices.len().saturating_sub(1);
            for (i, c) in choices.into_iter().enumerate() {
                let mut s2 = if i == last {
                    sys.take().expect("the popped state is taken by the last child only")
                } else {
                    sys.as_ref().expect("the popped state is kept until the last child").clone()
                };
                let applied = self.apply(&mut s2, c);
                debug_assert!(applied, "an enabled choice applies");
                report.children += 1;
                if !self.first_visit(&mut seen, &s2, &mut subsumed) {
                    continue;
                }
                if subsumed.states(&seen) > self.bounds.max_states {
                    cut = true;
                    break 'search;
                }
                let changed = s2.observed() != before;
                stack.push((s2, Some(Rc::new(PathStep { choice: c, parent: path.clone() })), changed, depth + 1));
            }
            // The first choice on top: each path first runs the job on as far as it goes.
            stack[first..].reverse();
        }
        report.distinct_states = subsumed.states(&seen);
        report.visited = Some(seen.stats());
        report.exhausted = report.violation.is_none() && !cut;
        report.elapsed_s = wall.elapsed().as_secs_f64();
        report
    }
}

/// The entries of the visited set that stand for states the search did not visit
/// (`Explorer::first_visit`, session 36).
#[derive(Default)]
struct Subsumed {
    /// Fingerprints inserted for a state with a higher `--jm-late-ticks` counter than a
    /// visited one (a state that comes later with one of them is skipped).
    marked: u64,
}

impl Subsumed {
    /// The distinct states visited: the set's entries less the marked ones.
    fn states(&self, seen: &VisitedSet) -> u64 {
        seen.len() as u64 - self.marked
    }
}

impl Explorer<'_> {
    /// Inserts `sys` into the visited set; false when it was seen, or subsumed. Under a
    /// `--jm-late-ticks` bound with ticks left (`Bounds::subsume_late`), the same state with a
    /// higher counter (up to the bound) is marked seen too: the counter only gates a tick
    /// overtaking a message to the JobManager, so every path from the higher counter is a path
    /// from the lower one, ending in the same terminal states (the counter forgotten once the
    /// ticks are spent, `forget_spent`) under the same verdicts. A state reached first with the
    /// higher counter is still expanded when it comes again with a lower one.
    fn first_visit(&self, seen: &mut VisitedSet, sys: &Sys, subsumed: &mut Subsumed) -> bool {
        if !seen.insert(sys.fingerprint()) {
            return false;
        }
        let Some(max) = self.bounds.max_jm_late_ticks.filter(|_| self.bounds.subsume_late) else { return true };
        if sys.ticks >= self.bounds.max_ticks || sys.jm_late_ticks >= max {
            return true;
        }
        let mut higher = sys.clone();
        for counter in sys.jm_late_ticks + 1..=max {
            higher.jm_late_ticks = counter;
            if seen.insert(higher.fingerprint()) {
                subsumed.marked += 1;
            }
        }
        true
    }
}

/// Progress lines of a long exhaustive search, on standard error every `every_s` seconds of
/// wall time (checked every 4,096 popped states): what a run of hours is doing, read from its
/// log. Process CPU time and memory come from `/proc/self` (Linux; `-` elsewhere).
struct Progress {
    every_s: u64,
    start: std::time::Instant,
    next_s: u64,
    pops: u64,
}

impl Progress {
    fn new(every_s: u64) -> Self {
        Progress { every_s, start: std::time::Instant::now(), next_s: every_s, pops: 0 }
    }

    fn tick(&mut self, report: &ExploreReport, (seen, subsumed): (&VisitedSet, &Subsumed), stack: usize, depth: u32) {
        self.pops += 1;
        if self.every_s == 0 || self.pops % 4096 != 0 {
            return;
        }
        let wall_s = self.start.elapsed().as_secs();
        if wall_s < self.next_s {
            return;
        }
        self.next_s = wall_s + self.every_s;
        let cpu_s = cpu_seconds();
        let n = subsumed.states(seen);
        let rate = cpu_s.filter(|c| *c > 0.0).map_or("-".into(), |c| format!("{:.0}", n as f64 / c));
        eprintln!(
            "progress: wall {wall_s} s, cpu {} s, distinct {n}, expanded {}, terminal {}, children {}, stack {stack}, depth {depth} (max {}), visited table {} MB, rss {} MB (peak {} MB), {rate} distinct/cpu s",
            cpu_s.map_or("-".into(), |c| format!("{c:.1}")),
            report.states_expanded,
            report.terminal_states,
            report.children,
            report.depth_reached,
            seen.bytes() >> 20,
            proc_status_mb("VmRSS:").map_or("-".into(), |m| m.to_string()),
            proc_status_mb("VmHWM:").map_or("-".into(), |m| m.to_string()),
        );
    }
}

/// This process's CPU seconds (user + system of every thread: the first field of
/// `/proc/self/schedstat` is nanoseconds on a CPU).
fn cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e9)
}

/// A `/proc/self/status` line's kB value (`VmRSS:`, `VmHWM:`) in MB.
fn proc_status_mb(key: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line[key.len()..].split_whitespace().next()?.parse().ok()?;
    Some(kb / 1024)
}
