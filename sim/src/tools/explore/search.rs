//! The explorer's breadth-first search: the frontier's nodes and their shared paths, level by level to the first (shortest) violation, with sleep sets and the visited-state cache; and the replay of a path.

use super::*;

/// The last step of a path, linked to the step before it: children share their parent's
/// path instead of copying it.
pub(super) struct PathStep {
    pub(super) choice: Choice,
    pub(super) parent: Option<Rc<PathStep>>,
}

impl PathStep {
    /// The whole path ending in `last`, first step first.
    pub(super) fn path(last: &Option<Rc<PathStep>>) -> Vec<Choice> {
        let mut out = Vec::new();
        let mut at = last.as_deref();
        while let Some(step) = at {
            out.push(step.choice);
            at = step.parent.as_deref();
        }
        out.reverse();
        out
    }
}

/// A state waiting in the breadth-first frontier.
pub(super) struct Node {
    pub(super) sys: Sys,
    /// The last step of its path (shared with its siblings).
    pub(super) path: Option<Rc<PathStep>>,
    /// Whether that step changed what the checkers read.
    pub(super) changed: bool,
    /// Choices not taken from here (sorted): `sleep.rs`.
    pub(super) sleep: Vec<Choice>,
    /// A visited state expanded again: only these choices (it was judged when first seen).
    pub(super) only: Option<Vec<Choice>>,
}

/// A sibling choice taken from a node, with the state it led to and that state's choices
/// (computed when a later sibling first asks): `Explorer::child_sleep`.
type Done = (Choice, Option<Sys>, Option<Vec<Choice>>);

/// The search's running record: the visited states, the report, the next level's frontier.
struct Search {
    /// Each visited state's fingerprint with the sleep set it was expanded with (sorted): a
    /// later visit that sleeps on fewer choices expands it again with the difference.
    visited: Visited,
    report: ExploreReport,
    next: Vec<Node>,
    /// A bound (depth or states) cut the search: not exhausted.
    cut: bool,
}

/// How a node's visit ended.
enum Visit {
    /// Go on with the level.
    Go,
    /// A violation was found or the state bound was reached: the search ends.
    Stop,
}

impl Explorer<'_> {
    /// Breadth-first search within the bounds; stops at the first (shortest) violation.
    pub fn explore(&self) -> ExploreReport {
        let wall = std::time::Instant::now();
        let init = self.initial();
        let mut visited: Visited = Visited::default();
        visited.insert(init.fingerprint(), Vec::new());
        let mut frontier: Vec<Node> =
            vec![Node { sys: init, path: None, changed: true, sleep: Vec::new(), only: None }];
        let report = ExploreReport::starting(1);
        let mut search = Search { visited, report, next: Vec::new(), cut: false };
        // Every state of a level has a path of the level's length.
        let mut level: u32 = 0;
        'levels: while !frontier.is_empty() {
            search.next = Vec::with_capacity(frontier.len() * 2);
            for node in frontier {
                if let Visit::Stop = self.visit(node, level, &mut search) {
                    break 'levels;
                }
            }
            level += 1;
            search.report.distinct_states = search.visited.len() as u64;
            if !search.next.is_empty() {
                search.report.depth_reached += 1;
            }
            frontier = std::mem::take(&mut search.next);
        }
        let mut report = search.report;
        report.distinct_states = search.visited.len() as u64;
        report.exhausted = report.violation.is_none() && !search.cut;
        report.terminals.sort_unstable();
        report.elapsed_s = wall.elapsed().as_secs_f64();
        report
    }

    /// One frontier node at `level`: judged when first seen (a violation ends the search), then
    /// expanded unless terminal or at the depth bound.
    fn visit(&self, node: Node, level: u32, search: &mut Search) -> Visit {
        let Node { sys, path, changed, sleep, only } = node;
        let choices = self.choices(&sys);
        let terminal = choices.is_empty();
        if only.is_none() {
            let verdict = if changed || terminal { self.judge(&sys, terminal) } else { self.quiescent_state(&sys) };
            if let Some((checker, anomaly)) = verdict {
                search.report.violation = Some(Violation { path: PathStep::path(&path), checker, anomaly });
                return Visit::Stop;
            }
            if terminal {
                search.report.terminal_states += 1;
                let fp = self.terminal_fingerprint(&sys);
                search.report.terminal_digest = search.report.terminal_digest.wrapping_add(fp);
                search.report.terminals.push(fp);
                return Visit::Go;
            }
        } else {
            search.report.reexpanded += 1;
        }
        if level >= self.bounds.max_depth {
            search.cut = true;
            return Visit::Go;
        }
        search.report.states_expanded += 1;
        let before = sys.observed();
        // Choices taken here so far, with the choices of the state each led to (computed
        // when a later sibling first asks): a later sibling's child sleeps on those
        // independent of its own step.
        let mut done: Vec<Done> = Vec::new();
        for c in choices {
            if sleep.binary_search(&c).is_ok() || only.as_ref().is_some_and(|o| o.binary_search(&c).is_err()) {
                continue;
            }
            let mut s2 = sys.clone();
            let applied = self.apply(&mut s2, c);
            debug_assert!(applied, "an enabled choice applies");
            search.report.children += 1;
            let child_sleep = self.child_sleep(&sys, &sleep, c, &s2, &mut done);
            let fp = s2.fingerprint();
            let (child_sleep, child_only) = match search.visited.get_mut(&fp) {
                None => {
                    search.visited.insert(fp, child_sleep.clone());
                    if search.visited.len() as u64 > self.bounds.max_states {
                        search.cut = true;
                        return Visit::Stop;
                    }
                    (child_sleep, None)
                }
                Some(stored) => {
                    // Seen before: expand again only with the choices it slept on then
                    // and does not sleep on now.
                    let missing = sleep::minus(stored, &child_sleep);
                    if missing.is_empty() {
                        continue;
                    }
                    *stored = sleep::intersect(stored, &child_sleep);
                    (stored.clone(), Some(missing))
                }
            };
            let p2 = Some(Rc::new(PathStep { choice: c, parent: path.clone() }));
            let changed = s2.observed() != before;
            search.next.push(Node { sys: s2, path: p2, changed, sleep: child_sleep, only: child_only });
        }
        Visit::Go
    }

    /// The sleep set of the child `s2` that choice `c` led to from `sys` (which slept on
    /// `sleep`); `done` holds the siblings taken before `c` and gets `c`.
    fn child_sleep(&self, sys: &Sys, sleep: &[Choice], c: Choice, s2: &Sys, done: &mut Vec<Done>) -> Vec<Choice> {
        let mut child_sleep: Vec<Choice> = Vec::new();
        if self.bounds.sleep == Sleep::Inherit {
            child_sleep.extend(sleep.iter().copied().filter(|t| self.independent(sys, *t, c)));
            child_sleep.extend(done.iter().map(|d| d.0).filter(|t| self.independent(sys, *t, c)));
            child_sleep.sort_unstable();
            done.push((c, None, None));
        } else if self.bounds.sleep == Sleep::Siblings {
            for (t, st, st_choices) in done.iter_mut() {
                // t sleeps after c only if the search takes c after t (c is one of
                // the reduced choices there): then that path reaches this state's
                // child through t.
                let commute = self.independent(sys, *t, c)
                    || st.as_ref().is_some_and(|st| self.commute_by_execution(*t, st, c, s2));
                if commute
                    && st_choices
                        .get_or_insert_with(|| st.as_ref().map(|st| self.choices(st)).unwrap_or_default())
                        .contains(&c)
                {
                    child_sleep.push(*t);
                }
            }
            child_sleep.sort_unstable();
            done.push((c, Some(s2.clone()), None));
        }
        child_sleep
    }

    /// The run view (what the checkers read) of the state `path` leads to from the initial
    /// state; Err names the first step that is not enabled.
    pub fn run_of(&self, path: &[Choice]) -> Result<RunResult, String> {
        let mut sys = self.initial();
        for (i, c) in path.iter().enumerate() {
            if !self.enabled(&sys).contains(c) || !self.apply(&mut sys, *c) {
                return Err(format!("step {} ({c}) is not enabled in the replayed state", i + 1));
            }
        }
        Ok(self.run_result(&sys))
    }

    /// [`Self::run_of`], then on from that state for up to `steps` more steps, each the first
    /// enabled choice within the bounds: what the job does next, e.g. after a counterexample's
    /// last step.
    /// Returns the run view and the steps taken.
    pub fn run_on(&self, path: &[Choice], steps: usize) -> Result<(RunResult, Vec<Choice>), String> {
        let mut sys = self.initial();
        for (i, c) in path.iter().enumerate() {
            if !self.enabled(&sys).contains(c) || !self.apply(&mut sys, *c) {
                return Err(format!("step {} ({c}) is not enabled in the replayed state", i + 1));
            }
        }
        let mut taken = Vec::new();
        while taken.len() < steps {
            let Some(c) = self.choices(&sys).first().copied() else { break };
            if !self.apply(&mut sys, c) {
                break;
            }
            taken.push(c);
        }
        Ok((self.run_result(&sys), taken))
    }

    /// Replays `path` from the initial state: one line per step with what the system looked like
    /// after it, then the judgement of the final state. Err names the first step that is not
    /// enabled.
    pub fn replay(&self, path: &[Choice]) -> Result<(Vec<String>, Judgement), String> {
        let mut sys = self.initial();
        let mut lines = Vec::new();
        for (i, c) in path.iter().enumerate() {
            if !self.enabled(&sys).contains(c) || !self.apply(&mut sys, *c) {
                return Err(format!("step {} ({c}) is not enabled in the replayed state", i + 1));
            }
            // The search trusts cached part fingerprints: a replay checks them at every step.
            if sys.fingerprint() != sys.fresh_fingerprint() {
                return Err(format!("step {} ({c}): a cached part fingerprint is stale", i + 1));
            }
            let next = self.next_timer(&sys).map_or("-".to_string(), |t| t.to_string());
            let tasks: Vec<String> = sys
                .jm
                .tasks()
                .iter()
                .map(|info| format!("{}={}", info.id, sys.jm.execution(info.id).1.name()))
                .collect();
            lines.push(format!(
                "{:>4} t={:<6} {:<16} job {:<11} next timer {next:<6} {}",
                i + 1,
                sys.now_ms,
                c.to_string(),
                sys.jm.status().to_string(),
                tasks.join(" ")
            ));
        }
        let terminal = self.choices(&sys).is_empty();
        Ok((lines, self.judge(&sys, terminal)))
    }
}
