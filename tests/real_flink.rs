//! Differential conformance against real Flink: each `scenarios/real-flink/<job>.toml` runs through ckptsim and its sink output must equal, as a sorted multiset per sink and subtask, what real Flink printed or committed for the same job (`tests/real-flink/<job>.out` from Flink 1.20.3, `tests/real-flink/flink-2.3.0/<job>.out` from 2.3.0).
//!
//! The fixtures come from `tools/real-flink/RealFlinkJobs.java` on a local Flink MiniCluster
//! (`scripts/real-flink.sh` regenerates them; Java is not needed here). What is compared and
//! what is left out as timing-dependent: `docs/real-flink.md`.
//!
//! Rows are rendered as Flink's `PrintSinkOutputWriter` prefixes them: `i> row` (subtask + 1)
//! when the sink's parallelism is above 1, nothing at parallelism 1, and `ident:` before it for a
//! print sink with an identifier (`print("late")`: ours is the sink named `late`; the sink named
//! `Print` is a plain `print()`). A two-phase-commit sink's committed rows are `committed> row`
//! (`ident:committed> row` in a job resumed by new jobs: the job the commit's time falls in),
//! and such a job adds `restarts> N` (ckptsim's `RunResult::restarts`, Flink's highest attempt
//! number of the failing task).

use ckptsim_sim::spec::{ActionSpec, FaultAt, JobSpec, OpKind};
use ckptsim_sim::{graph::Graph, load, outcome, world::RunResult};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};

/// One compared job.
struct Case {
    /// `scenarios/real-flink/<job>.toml` and `tests/real-flink/<job>.out`.
    job: &'static str,
    /// Print rows carry `@<event timestamp>` (Flink's `ctx.getTimestamp()` in the join function).
    timestamps: bool,
    /// The job's terminal status is compared: a `status> FINISHED` / `status> FAILED` row
    /// (the restart-strategy jobs; Flink's `env.execute` returned or threw).
    status: bool,
    /// A job resumed by new jobs (`rescale`, `restore-retained` actions): the print identifier
    /// of each successive job (the Java program prints job n with `print(idents[n])`); empty for
    /// a single job.
    idents: &'static [&'static str],
    /// A known fidelity difference: the rows only ckptsim gives and the rows only Flink gives,
    /// each sorted. Empty for a job that matches.
    only_ours: &'static [&'static str],
    only_flink: &'static [&'static str],
    /// Each injected failure is a row (session 35's restart timing): `failure> BOOMk restart
    /// after N s` or `failure> BOOMk no restart` ([`failure_rows`]).
    failures: bool,
    /// Session 36: exponential-delay with jitter. Restart k's delay is drawn at random (in Flink
    /// and, from the seed, in ckptsim), so its `failure>` row says whether the delay lies in
    /// `jitter_bounds_ms[k]` (`restart in [lo, hi] ms`) rather than its whole seconds; the
    /// scenario then runs at `seeds` seeds, each must give the fixture's rows, and the delays
    /// must differ between them (the draw follows the seed).
    jitter_bounds_ms: &'static [(u64, u64)],
    /// How many seeds from the scenario's own the case runs (1: only its own).
    seeds: u64,
    /// Print sinks behind a `rebalance` whose subtask is not compared (its random start differs
    /// per run in Flink): their rows are `name:any> row` on both sides
    /// (`RealFlinkFidelity36.PrintAnySubtask`); `ident:any> row` in a job resumed by new jobs
    /// (`RealFlinkBroadcast39.PrintAny`).
    any_subtask: &'static [&'static str],
}

/// A job that matches, compared on its rows alone.
const fn case(job: &'static str) -> Case {
    Case {
        job,
        timestamps: false,
        status: false,
        idents: &[],
        only_ours: &[],
        only_flink: &[],
        failures: false,
        jitter_bounds_ms: &[],
        seeds: 1,
        any_subtask: &[],
    }
}

const CASES: &[Case] = &[
    case("wordcount-p2"),
    case("wordcount-p3"),
    case("union-sum"),
    case("tumbling-drop"),
    case("tumbling-late-side"),
    case("sliding"),
    Case { timestamps: true, ..case("interval-join") },
    Case { timestamps: true, ..case("sliding-window-join") },
    case("exactly-once-failure"),
    // Session 33: restart strategies (terminal status, restarts, committed multiset).
    Case { status: true, ..case("restart-fixed-delay-finish") },
    Case { status: true, ..case("restart-fixed-delay-fail") },
    Case { status: true, ..case("restart-failure-rate") },
    Case { status: true, ..case("restart-failure-rate-spread") },
    Case { status: true, ..case("restart-exponential-delay") },
    // Rescaling 2 -> 3 -> 1 from savepoints; a retained checkpoint resumed after a cancel.
    Case { idents: &["first", "second", "third"], ..case("rescale-savepoint-2-3-1") },
    Case { idents: &["first", "second"], ..case("retained-resume") },
    // Session 34 (graph34): an interval join's late side outputs (RealFlinkLateJoin.java).
    Case { timestamps: true, ..case("interval-join-late") },
    // Session 34: what each subtask restores of operator list state (split, union) across
    // 2 -> 3 -> 1; stop-with-savepoint with and without --drain on an event-time window.
    Case { idents: &["first", "second", "third"], ..case("list-state-split-2-3-1") },
    Case { idents: &["first", "second", "third"], ..case("list-state-union-2-3-1") },
    Case { idents: &["first", "second"], ..case("stop-drain-window") },
    Case { idents: &["first", "second"], ..case("stop-no-drain-window") },
    // Session 35: when each restart happens and when the job fails for good
    // (RealFlinkRestartTiming.java: records due at chosen times).
    Case { status: true, failures: true, ..case("restart-timing-fixed-delay") },
    Case { status: true, failures: true, ..case("restart-timing-failure-rate") },
    Case { status: true, failures: true, ..case("restart-timing-exponential-delay") },
    // Session 35: stop-with-savepoint with and without --drain into a two-phase-commit sink
    // (RealFlinkDrainTwoPc.java): each job's committed rows.
    Case { idents: &["first", "second"], ..case("stop-drain-2pc") },
    Case { idents: &["first", "second"], ..case("stop-no-drain-2pc") },
    // Session 35: broadcast operator state (getBroadcastState) across 2 -> 3 -> 1 and across a
    // failure (RealFlinkBroadcastState.java).
    Case { idents: &["first", "second", "third"], ..case("broadcast-state-2-3-1") },
    case("broadcast-state-failure"),
    // Session 36: session 35's late-fed shapes (RealFlinkFidelity36.java): a window's late side
    // output into an interval join, then filter / key_by / sum / map; into max and min windows.
    case("late-join-then-sum"),
    case("late-window-max"),
    case("late-window-min"),
    case("late-join-then-sum-failure"),
    Case { any_subtask: &["joined"], ..case("late-join-then-flat-map") },
    // Session 36: exponential-delay with jitter 0.5: each restart within its bounds, at 20 seeds.
    Case {
        status: true,
        failures: true,
        jitter_bounds_ms: &[(2000, 3000), (2000, 6000), (4000, 8000)],
        seeds: 20,
        ..case("restart-timing-exponential-jitter")
    },
    // Session 36: several named keyed states (two value states, a list state) in one operator
    // across 2 -> 3 -> 1 and a failure (RealFlinkNamedStates36.java).
    Case { idents: &["first", "second", "third"], ..case("named-states-2-3-1") },
    case("named-states-failure"),
    // Session 37: session 36's graph shapes (RealFlinkGraph37.java): a running sum or count on
    // the late side branch before a join, two late branches joined (window join, self join,
    // interval join), two of them across a failure into the two-phase-commit store.
    case("late-sum-into-join"),
    case("late-sum-into-join-failure"),
    case("late-count-into-join"),
    case("late-sides-join"),
    case("late-sides-join-failure"),
    case("late-self-join"),
    case("late-sides-interval-join"),
    // Session 37: an interval join with a late element in each input (both late side outputs on
    // print sinks), and across a failure just before them: after the restore both join instead.
    Case { timestamps: true, ..case("interval-join-both-late") },
    Case { timestamps: true, ..case("interval-join-both-late-failure") },
    // Session 38: session 37's graph shapes (RealFlinkGraph38.java): a running sum or count on
    // the late side branch before a join under at-least-once checkpoints across a failure, and a
    // keyed sum behind the late-fed join into a print sink across a failure.
    case("late-sum-into-join-at-least-once-failure"),
    case("late-count-into-join-at-least-once-failure"),
    case("late-join-then-sum-print-failure"),
    // Session 38: a KeyedBroadcastProcessFunction with a broadcast input across a failure and
    // 2 -> 3 -> 1 (RealFlinkBroadcastProcess37.java; ckptsim::broadcast_process).
    case("broadcast-process-failure"),
    Case { idents: &["first", "second", "third"], ..case("broadcast-process-2-3-1") },
    // Session 39 (late39): a window on the late side branch joined with the first window's
    // results (RealFlinkGraph38.java), and across a failure: `[2000, 3000)` of k2 fires twice
    // and both firings join the late window's `(k2,4)`.
    case("late-window-into-join"),
    case("late-window-into-join-failure"),
    // Session 40 (late40): two windows beside each other over one input (1 s sum with allowed
    // lateness, 2 s max), each with its own late side output, the two joined over 4 s windows.
    case("late-windows-join"),
    case("late-windows-join-failure"),
    // Session 39: the rest of the broadcast-process family (RealFlinkBroadcast39.java): a
    // non-keyed BroadcastProcessFunction behind a rebalance (rows without their subtask), keyed
    // state beside the broadcast state, two broadcast states; each across a failure and 2 -> 3 -> 1.
    Case { any_subtask: &["Out"], ..case("broadcast-nonkeyed-failure") },
    Case { any_subtask: &["Out"], idents: &["first", "second", "third"], ..case("broadcast-nonkeyed-2-3-1") },
    case("broadcast-keyed-state-failure"),
    Case { idents: &["first", "second", "third"], ..case("broadcast-keyed-state-2-3-1") },
    case("broadcast-two-states-failure"),
    Case { idents: &["first", "second", "third"], ..case("broadcast-two-states-2-3-1") },
    // Session 40 (RealFlinkBroadcast40): event-time timers in the keyed broadcast function,
    // across a failure and 2 -> 3 -> 1.
    case("broadcast-timers-failure"),
    Case { idents: &["first", "second", "third"], ..case("broadcast-timers-2-3-1") },
    // Session 41: event-time session windows whose sessions merge, with allowed lateness and a
    // late side output, alone, across a failure and across 2 -> 3 -> 1 (RealFlinkSession41.java).
    case("session-windows"),
    case("session-windows-failure"),
    Case { idents: &["first", "second", "third"], ..case("session-windows-2-3-1") },
    // Session 42 (late42): an interval join's and an event-time window's late side outputs in
    // one job (RealFlinkLate42.java): one element late at the window and joined, one late at the
    // join and on time at the window, one late at both; across a failure the watermark is not
    // restored and the later ones are on time in both.
    Case { timestamps: true, ..case("join-and-window-late") },
    Case { timestamps: true, ..case("join-and-window-late-failure") },
    // Session 42 (late42): two windows' late side outputs in one union (the second doubled),
    // one print sink; each row told apart by its gate and judged against its own window's.
    case("late-windows-union"),
    case("late-windows-union-failure"),
    // Session 42: session windows beyond a line: after a union of two streams with their own
    // watermarks, a function after the window and two sinks reading it, alone, across a failure
    // and across 2 -> 3 -> 1 (RealFlinkSession42.java).
    case("session-union-branches"),
    case("session-union-branches-failure"),
    Case { idents: &["first", "second", "third"], ..case("session-union-branches-2-3-1") },
    // Session 43: a keyed running sum after session windows (with allowed lateness and the late
    // side output), and a session window beside a tumbling window over one input, alone, across a
    // failure and across 2 -> 3 -> 1 (RealFlinkSession43.java).
    case("session-then-sum"),
    case("session-then-sum-failure"),
    Case { idents: &["first", "second", "third"], ..case("session-then-sum-2-3-1") },
    case("session-beside-tumbling"),
    case("session-beside-tumbling-failure"),
    Case { idents: &["first", "second", "third"], ..case("session-beside-tumbling-2-3-1") },
    // Session 43 (late43): a window's late side output in a union with two other inputs (the
    // numbers doubled and the even numbers), and an interval join's late side branch (its keys)
    // in a union with the Orders' keys (RealFlinkLate43.java); each alone and across a failure.
    case("late-union-of-three"),
    case("late-union-of-three-failure"),
    Case { timestamps: true, ..case("join-late-union") },
    Case { timestamps: true, ..case("join-late-union-failure") },
];

/// The fixture folders, one per Flink version (`scripts/real-flink.sh`); every case is compared
/// with each.
const FIXTURE_DIRS: &[&str] = &["tests/real-flink", "tests/real-flink/flink-2.3.0"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fixture's rows (comment lines left out), sorted.
fn flink_rows(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut rows: Vec<String> =
        text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).map(String::from).collect();
    rows.sort();
    Ok(rows)
}

/// The programs a scenario runs, in order: its first job and, per `rescale` or
/// `restore-retained` action, the job started then (from its time on), each with its graph (a
/// rescale's operators at their new parallelism, as the world's `rescaled_spec`).
fn programs(spec: &JobSpec) -> Vec<(u64, JobSpec, Graph)> {
    let mut current = spec.clone();
    let mut out = vec![(0, current.clone(), Graph::build(&current))];
    for action in &spec.actions {
        let FaultAt::Time(at_ms) = action.at else { continue };
        match &action.kind {
            ActionSpec::Rescale(r) => {
                for op in current.operators.iter_mut() {
                    if let Some(&p) = r.parallelism.get(&op.name) {
                        op.parallelism = p;
                    }
                }
            }
            ActionSpec::RestoreRetained => {}
            _ => continue,
        }
        out.push((at_ms, current.clone(), Graph::build(&current)));
    }
    out
}

/// ckptsim's sink output rendered as the fixture's rows, sorted.
fn our_rows(spec: &JobSpec, run: &RunResult, case: &Case) -> Vec<String> {
    let programs = programs(spec);
    let mut rows = Vec::new();
    for row in run.print_rows.iter() {
        // The job that printed it: the last one started at or before the row.
        let job = programs.iter().rposition(|(start, _, _)| *start <= row.time_ms).unwrap_or(0);
        let (_, spec, graph) = &programs[job];
        let (op, subtask) = graph
            .print_sink_of(spec, row.task.0 as usize, row.sink)
            .expect("the row's print sink is in its task's chain");
        let sink = &spec.operators[op];
        if case.any_subtask.contains(&sink.name.as_str()) {
            // A job resumed by new jobs prints `ident:any>` (RealFlinkBroadcast39.PrintAny).
            let name = case.idents.get(job).copied().unwrap_or(sink.name.as_str());
            rows.push(format!("{name}:any> {}", row.value));
            continue;
        }
        let mut prefix = match case.idents.get(job) {
            Some(ident) => format!("{ident}:"),
            None if sink.name == "Print" => String::new(),
            None => format!("{}:", sink.name),
        };
        if sink.parallelism > 1 {
            prefix.push_str(&(subtask + 1).to_string());
        } else {
            prefix.pop();
        }
        let ts = match (case.timestamps, row.timestamp) {
            (true, Some(t)) => format!("@{t}"),
            _ => String::new(),
        };
        rows.push(format!("{prefix}> {}{ts}", row.value));
    }
    if spec.operators.iter().any(|op| op.kind == OpKind::TwoPhaseCommitSink) {
        for row in run.committed.iter() {
            // A job resumed by new jobs: the job whose time the commit falls in (its ident).
            let job = programs.iter().rposition(|(start, _, _)| *start <= row.time_ms).unwrap_or(0);
            let prefix = case.idents.get(job).map_or(String::new(), |ident| format!("{ident}:"));
            rows.push(format!("{prefix}committed> {}", row.value));
        }
        rows.push(format!("restarts> {}", run.restarts));
    }
    if case.status {
        rows.push(format!("status> {}", run.final_status));
    }
    if case.failures {
        rows.extend(failure_rows(run, case.jitter_bounds_ms));
    }
    rows.sort();
    rows
}

/// One row per injected failure, as `RealFlinkRestartTiming#run` writes them: the k-th task
/// failure is `BOOMk` (each BOOM value fails once, in input order); `restart after N s` with N
/// the whole seconds from the failure to the failed task's next RUNNING (Flink: from the throw
/// to the next attempt's `open`), `no restart` when it never runs again. With `jitter_bounds_ms`
/// (`RealFlinkFidelity36#jitterJob`) a restart is `restart in [lo, hi] ms` when its delay lies in
/// restart k's bounds, give or take the redeploy ([`REDEPLOY_ALLOWANCE_MS`]).
fn failure_rows(run: &RunResult, jitter_bounds_ms: &[(u64, u64)]) -> Vec<String> {
    use ckptsim::status::ExecutionState;
    let transitions = &run.task_transitions;
    let mut rows = Vec::new();
    let failures = transitions.iter().filter(|(_, _, _, to)| *to == ExecutionState::Failed);
    for (k, (failed_ms, task, _, _)) in failures.enumerate() {
        let restart = transitions
            .iter()
            .find(|(at_ms, name, _, to)| at_ms > failed_ms && name == task && *to == ExecutionState::Running);
        let delay_ms = restart.map(|(running_ms, ..)| running_ms - failed_ms);
        let what = match (delay_ms, jitter_bounds_ms.get(k)) {
            (None, _) => "no restart".to_string(),
            (Some(_), None) if !jitter_bounds_ms.is_empty() => "restart beyond the bounds".to_string(),
            (Some(d), None) => format!("restart after {} s", d / 1000),
            (Some(d), Some(&(lo, hi))) if (lo..=hi + REDEPLOY_ALLOWANCE_MS).contains(&d) => {
                format!("restart in [{lo}, {hi}] ms")
            }
            (Some(d), Some(&(lo, hi))) => format!("restart after {d} ms, outside [{lo}, {hi}]"),
        };
        rows.push(format!("failure> BOOM{} {what}", k + 1));
    }
    rows
}

/// What a measured restart delay may exceed restart k's upper bound by and still be `restart in
/// [lo, hi] ms` (`RealFlinkFidelity36.REDEPLOY_ALLOWANCE_MS`): both sides measure from the
/// failure to the restarted task's RUNNING (Flink: its `open`), so the delay holds the backoff
/// plus the redeploy (Flink: 20 to 700 ms measured in session 35; ckptsim: its deployment and
/// restore, up to ~150 ms). The backoff ckptsim's strategy chose is held to the exact bounds by
/// [`jitter_follows_the_seed`].
const REDEPLOY_ALLOWANCE_MS: u64 = 1500;

/// Sorted multiset difference `a - b`.
fn minus(a: &[String], b: &[String]) -> Vec<String> {
    let mut rest = b.to_vec();
    let mut out = Vec::new();
    for x in a {
        match rest.iter().position(|y| y == x) {
            Some(i) => {
                rest.remove(i);
            }
            None => out.push(x.clone()),
        }
    }
    out
}

fn check(case: &Case) -> Result<(), Failed> {
    let toml = root().join(format!("scenarios/real-flink/{}.toml", case.job));
    let spec = load::load_spec(&toml).map_err(|e| Failed::from(format!("{e}")))?;
    let mut backoffs = Vec::new();
    for seed in spec.default_seed..spec.default_seed + case.seeds {
        let o = outcome::run(&spec, seed);
        if !o.passed() {
            return Err(format!("seed {seed}: {}", outcome::render(&spec, &o)).into());
        }
        compare(case, &our_rows(&spec, &o.run, case)).map_err(|e| Failed::from(format!("seed {seed}: {e}")))?;
        backoffs.push(restart_backoffs(&o.run));
    }
    if !case.jitter_bounds_ms.is_empty() {
        jitter_follows_the_seed(&spec, case, &backoffs)?;
    }
    Ok(())
}

/// The backoff ckptsim's restart strategy chose for each scheduled restart, in order.
fn restart_backoffs(run: &RunResult) -> Vec<u64> {
    run.restart_schedule.iter().map(|&(_, _, backoff_ms)| backoff_ms).collect()
}

/// The backoffs of a jitter case, one list per seed: each within its restart's bounds exactly,
/// not the same on every seed, and the first seed run again draws the same (the draw comes from
/// the seed alone).
fn jitter_follows_the_seed(spec: &JobSpec, case: &Case, backoffs: &[Vec<u64>]) -> Result<(), Failed> {
    for (i, drawn) in backoffs.iter().enumerate() {
        let seed = spec.default_seed + i as u64;
        if drawn.len() != case.jitter_bounds_ms.len() {
            return Err(format!("{}: seed {seed} scheduled restarts {drawn:?}", case.job).into());
        }
        for (k, (&b, &(lo, hi))) in drawn.iter().zip(case.jitter_bounds_ms).enumerate() {
            if !(lo..=hi).contains(&b) {
                return Err(
                    format!("{}: seed {seed} restart {} backoff {b} ms outside [{lo}, {hi}]", case.job, k + 1).into()
                );
            }
        }
    }
    if backoffs.iter().all(|d| *d == backoffs[0]) {
        return Err(format!("{}: every seed drew the same backoffs {:?}", case.job, backoffs[0]).into());
    }
    let again = restart_backoffs(&outcome::run(spec, spec.default_seed).run);
    if again != backoffs[0] {
        return Err(format!("{}: seed {} drew {:?}, then {again:?}", case.job, spec.default_seed, backoffs[0]).into());
    }
    Ok(())
}

/// ckptsim's rows against each version's fixture.
fn compare(case: &Case, ours: &[String]) -> Result<(), String> {
    for dir in FIXTURE_DIRS {
        let fixture = format!("{dir}/{}.out", case.job);
        let flink = flink_rows(&root().join(&fixture))?;
        if flink.is_empty() {
            return Err(format!("{fixture} has no rows"));
        }
        let (only_ours, only_flink) = (minus(ours, &flink), minus(&flink, ours));
        if only_ours != case.only_ours || only_flink != case.only_flink {
            return Err(format!(
                "{fixture}: ckptsim and Flink differ (or a known difference changed)\nonly ckptsim: {only_ours:?}\nonly Flink:   {only_flink:?}\nexpected only ckptsim: {:?}\nexpected only Flink:   {:?}\nckptsim rows: {ours:?}",
                case.only_ours, case.only_flink
            ));
        }
    }
    Ok(())
}

/// Every scenario under `scenarios/real-flink/` has a case (a new job is not left uncompared).
fn every_scenario_compared() -> Result<(), Failed> {
    let dir = root().join("scenarios/real-flink");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| Failed::from(format!("{}: {e}", dir.display())))? {
        let name = entry.map_err(|e| Failed::from(e.to_string()))?.file_name().to_string_lossy().into_owned();
        if let Some(job) = name.strip_suffix(".toml") {
            if !CASES.iter().any(|c| c.job == job) {
                missing.push(job.to_string());
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("scenarios/real-flink without a case in tests/real_flink.rs: {missing:?}").into())
    }
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![Trial::test("every_scenario_compared", every_scenario_compared)];
    for case in CASES {
        trials.push(Trial::test(format!("real_flink::{}", case.job), move || check(case)));
    }
    libtest_mimic::run(&args, trials).exit();
}
