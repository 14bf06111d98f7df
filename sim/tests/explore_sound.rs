//! The explorer's default partial-order reduction is sound: on small configurations it ends in exactly the terminal states (by fingerprint) of the unreduced search in the same time model (`--no-reduce --eager-ticks`), and finds no violation either (issue 20, session 28).

use ckptsim::Variant;
use ckptsim_sim::explore::{Bounds, Explorer};
use ckptsim_sim::load;
use std::path::Path;

/// One configuration: a job of `scenarios/explore/` and its bounds.
struct Row {
    file: &'static str,
    ticks: u32,
    failures: u32,
}

/// The rows of `docs/explore.md`'s session 27 table the default reduction used to fail
/// (`tiny-2pc` (2,1), `keyed-print` (1,1), `tiny-join` (1,1)), a failure-free row, an unaligned
/// job, a union (a list-state union of two sources), a union of one source with itself, and a
/// 2PC sink with two restarts; since session 29 a four-task job without failures and two keyed
/// stages. The bigger rows (`tiny-one-restart` (2,2), `tiny-cancel-marker`
/// (2,0), `keyed-print` (2,0)) are measured in `docs/explore.md` (*A sound default reduction*).
const ROWS: &[Row] = &[
    Row { file: "tiny-2pc.toml", ticks: 2, failures: 0 },
    Row { file: "tiny-2pc.toml", ticks: 2, failures: 1 },
    Row { file: "keyed-print.toml", ticks: 1, failures: 1 },
    Row { file: "tiny-join.toml", ticks: 1, failures: 1 },
    Row { file: "tiny-broadcast-unaligned.toml", ticks: 1, failures: 1 },
    Row { file: "tiny-union-list.toml", ticks: 1, failures: 1 },
    Row { file: "tiny-self-union.toml", ticks: 1, failures: 0 },
    Row { file: "tiny-one-restart.toml", ticks: 1, failures: 2 },
    // Session 29: the rows where a busy set leaves the JobManager's steps out most often (four
    // tasks, acknowledgements on their way while notifications wait; late ticks).
    Row { file: "two-source-two-sink.toml", ticks: 1, failures: 0 },
    Row { file: "tiny-cancel-marker.toml", ticks: 2, failures: 0 },
    // Session 32: jobs of two pipelined regions under `failover_strategy = "region"`, where a
    // failure restarts one region while the other runs on (a busy set may leave out a
    // JobManager step that deploys the other region).
    Row { file: "tiny-region-forward.toml", ticks: 2, failures: 1 },
    Row { file: "tiny-two-regions.toml", ticks: 1, failures: 1 },
];

/// `row`'s job under the correct protocol, and its bounds with `b`'s reduction settings.
fn setup(row: &Row, b: Bounds) -> (ckptsim_sim::spec::JobSpec, Bounds) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/explore").join(row.file);
    let mut spec = load::load_spec(&path).expect("explore scenario loads");
    spec.variant = Variant::Correct;
    (spec, Bounds { max_ticks: row.ticks, max_failures: row.failures, max_states: 2_000_000, max_depth: 200, ..b })
}

/// Explores `row` with `b`'s reduction settings; the search must exhaust its space with no
/// violation.
fn run(row: &Row, b: Bounds) -> (u64, Vec<u64>) {
    let (spec, bounds) = setup(row, b);
    let r = Explorer::new(&spec, bounds).explore();
    let at = format!("{} ({},{})", row.file, row.ticks, row.failures);
    assert!(r.violation.is_none(), "{at}: correct protocol: {:?}", r.violation);
    assert!(r.exhausted, "{at}: exhausted ({} states)", r.distinct_states);
    assert_eq!(r.terminals.len() as u64, r.terminal_states, "{at}: each terminal state once");
    (r.distinct_states, r.terminals)
}

/// The reduced search (default bounds) against the unreduced one in its time model: the same
/// set of terminal states, by fingerprint, and no more distinct states.
fn check(row: &Row) {
    check_with(row, Bounds::default());
}

/// [`check`] with the reduction settings of `b`.
fn check_with(row: &Row, b: Bounds) {
    let (reduced_states, reduced) = run(row, b);
    let (full_states, full) = run(row, Bounds { reduce: false, eager_ticks: true, ..Bounds::default() });
    let at = format!("{} ({},{})", row.file, row.ticks, row.failures);
    let missed: Vec<&u64> = full.iter().filter(|f| reduced.binary_search(f).is_err()).collect();
    assert!(
        missed.is_empty(),
        "{at}: the reduction misses {} of the {} terminal states of the unreduced search",
        missed.len(),
        full.len()
    );
    assert_eq!(reduced, full, "{at}: no terminal state the unreduced search does not reach");
    assert!(reduced_states <= full_states, "{at}: {reduced_states} states reduced, {full_states} without");
    assert!(!full.is_empty(), "{at}: some paths end");
}

#[test]
fn the_default_reduction_reaches_every_terminal_state_of_the_unreduced_search() {
    for row in ROWS {
        check(row);
    }
}

/// `--jm-in-group` is kept as an accepted alias: the default already keeps every JobManager
/// step in a busy group's set, so it changes nothing.
#[test]
fn jm_in_group_is_the_default() {
    let row = &ROWS[1];
    assert_eq!(run(row, Bounds { jm_in_group: true, ..Bounds::default() }), run(row, Bounds::default()));
}

/// The check above fails on an unsound reduction: the session 10–27 one (`fast_reduce`), whose
/// busy groups leave the JobManager's deliveries out, ends in 2,009 of the 2,325 terminal states
/// on `tiny-2pc` (2,1), and `jm_in_group` mends that row. (2,402 of 2,718 until session 33,
/// when a failing task began to close its operators: its sink's aborted transaction drops
/// what the attempt had written, so terminal states that differed only there meet; 2,027 of
/// 2,343 until session 34, when a deployment began to close the older attempt it replaces.)
#[test]
fn the_fast_reduction_misses_terminal_states() {
    let row = &ROWS[1];
    let (_, full) = run(row, Bounds { reduce: false, eager_ticks: true, ..Bounds::default() });
    let (_, fast) = run(row, Bounds::fast());
    // Session 34: 2,009 of 2,325 since a deployment closes the older attempt it replaces.
    assert_eq!((fast.len(), full.len()), (2_009, 2_325));
    assert!(fast.iter().all(|f| full.binary_search(f).is_ok()), "every state it reaches is reachable");
    let (_, mended) = run(row, Bounds { jm_in_group: true, ..Bounds::fast() });
    assert_eq!(mended, full);
}

/// Session 29: `--jm-out` (`Bounds::jm_left_out`): a busy set may leave every JobManager step
/// out where that set is persistent too. It ends in the terminal states of the unreduced search
/// on the three rows where it leaves them out most, and against session 28's rule (the default)
/// in the same terminal states with fewer states on `two-source-two-sink` (1,0) and `tiny-2pc`
/// (2,1). Session 31: `ckptsim explore --exhaust` takes it by default (`--jm-keep` for the older
/// sets), so the exhaustive depth-first search with it must end in the same terminal states too
/// (equal counts and digests of the terminal-state sets), exhausted with no violation, through
/// no more states than the exhaustive search without it. The unreduced search runs once a row.
#[test]
fn leaving_the_job_manager_out_keeps_every_terminal_state_with_fewer_states() {
    let out = Bounds { jm_left_out: true, ..Bounds::default() };
    for (i, row) in [&ROWS[8], &ROWS[9], &ROWS[1]].into_iter().enumerate() {
        let at = format!("{} ({},{})", row.file, row.ticks, row.failures);
        let (full_states, full) = run(row, Bounds { reduce: false, eager_ticks: true, ..Bounds::default() });
        let (out_states, left_out) = run(row, out);
        assert_eq!(left_out, full, "{at}: jm-out reaches every terminal state of the unreduced search");
        assert!(out_states <= full_states, "{at}: {out_states} states with jm-out, {full_states} unreduced");
        if i != 1 {
            let (kept_states, kept) = run(row, Bounds::default());
            assert_eq!(left_out, kept, "{at}: the same terminal states");
            assert!(out_states < kept_states, "{at}: {out_states} vs {kept_states}");
        }
        let (spec, b) = setup(row, out);
        let dfs = Explorer::new(&spec, b).explore_exhaustive();
        let digest = full.iter().fold(0u64, |d, f| d.wrapping_add(*f));
        assert!(dfs.exhausted && dfs.violation.is_none(), "{at} --exhaust: {:?}", dfs.violation);
        assert_eq!((dfs.terminal_states, dfs.terminal_digest), (full.len() as u64, digest), "{at} --exhaust");
        assert_eq!(dfs.distinct_states, out_states, "{at}: --exhaust and breadth-first search reach the same states");
    }
}

/// Session 32: `--jm-out` on the two jobs of two pipelined regions. Under regional failover a
/// left-out JobManager step may restart (and so deploy) the other region while a busy group's
/// task runs; that deployment drops only the restarted tasks' own older channels, which no kept
/// step reads, so the set stays persistent: the same terminal states as the unreduced search.
#[test]
fn leaving_the_job_manager_out_is_sound_under_regional_restarts() {
    let out = Bounds { jm_left_out: true, ..Bounds::default() };
    for row in &ROWS[10..] {
        let at = format!("{} ({},{})", row.file, row.ticks, row.failures);
        let (_, full) = run(row, Bounds { reduce: false, eager_ticks: true, ..Bounds::default() });
        let (_, left_out) = run(row, out);
        assert_eq!(left_out, full, "{at}: jm-out reaches every terminal state of the unreduced search");
    }
}

/// Session 35: `--jm-late-ticks N` (`Bounds::max_jm_late_ticks`) bounds the timer firings that
/// overtake a task's message to the JobManager. Under each bound the reduced search (breadth-first
/// and `--exhaust` with `--jm-out`) ends in the terminal states of the unreduced search under the
/// same bound; with 0 those are a strict subset of the unbounded model's (the bound only takes
/// paths away, and the counter it keeps stays 0, so the fingerprints are comparable), with fewer
/// states. Rows: a 2PC job with a failure, the four-task job and a two-input join with a failure.
#[test]
fn bounding_late_job_manager_messages_keeps_the_reduction_sound() {
    for row in [&ROWS[1], &ROWS[8], &ROWS[3]] {
        let at = format!("{} ({},{})", row.file, row.ticks, row.failures);
        let (open_states, open) = run(row, Bounds::default());
        for max in [0, 1] {
            let bound = Bounds { max_jm_late_ticks: Some(max), ..Bounds::default() };
            let (_, full) = run(row, Bounds { reduce: false, eager_ticks: true, ..bound });
            let (states, reduced) = run(row, bound);
            assert_eq!(reduced, full, "{at} jm-late-ticks {max}: every terminal state of the unreduced search");
            let (spec, b) = setup(row, Bounds { jm_left_out: true, ..bound });
            let dfs = Explorer::new(&spec, b).explore_exhaustive();
            let digest = full.iter().fold(0u64, |d, f| d.wrapping_add(*f));
            assert!(
                dfs.exhausted && dfs.violation.is_none(),
                "{at} jm-late-ticks {max} --exhaust: {:?}",
                dfs.violation
            );
            assert_eq!((dfs.terminal_states, dfs.terminal_digest), (full.len() as u64, digest), "{at} --exhaust");
            if max == 0 {
                assert!(states < open_states, "{at}: {states} states with the bound, {open_states} without");
                assert!(reduced.len() < open.len(), "{at}: {} terminal states, {} without", reduced.len(), open.len());
                assert!(
                    reduced.iter().all(|f| open.binary_search(f).is_ok()),
                    "{at}: a subset of the unbounded model's"
                );
            }
        }
    }
}

/// Session 36: once a path's ticks are spent its late-tick counters are forgotten
/// (`Bounds::forget_spent`, the default): no timer fires any more, so nothing reads them. The
/// search ends in the same terminal states (`ExploreReport::terminals` forgets the counters of
/// both searches' terminal states, so they compare) as the search that keeps them
/// (`--keep-spent`), breadth-first and `--exhaust`, through no more states (fewer on two rows at
/// least: where a late tick came before the last one); and
/// `--exhaust`'s subsumption of higher `--jm-late-ticks` counters (`Bounds::subsume_late`)
/// ends in them too, through no more states than without it (`--no-subsume`). Rows: under
/// `--jm-late-ticks 1` the 2PC job with a failure, the four-task job and the join with a
/// failure; under `--late-ticks 1` the cancel-marker job.
#[test]
fn forgetting_spent_late_tick_counters_keeps_every_terminal_state() {
    let rows = [(&ROWS[1], Some(1), 0), (&ROWS[8], Some(1), 0), (&ROWS[3], Some(1), 0), (&ROWS[9], None, 1)];
    let mut fewer = 0;
    for (row, max_jm_late_ticks, max_late_ticks) in rows {
        let at = format!(
            "{} ({},{}) jm-late {max_jm_late_ticks:?} late {max_late_ticks}",
            row.file, row.ticks, row.failures
        );
        let b = Bounds { max_jm_late_ticks, max_late_ticks, ..Bounds::default() };
        let (kept_states, mut kept) = run(row, Bounds { forget_spent: false, ..b });
        kept.dedup();
        let (states, forgot) = run(row, b);
        assert_eq!(forgot, kept, "{at}: the same terminal states");
        assert!(states <= kept_states, "{at}: {states} states forgetting, {kept_states} keeping");
        fewer += usize::from(states < kept_states);
        let digest = forgot.iter().fold(0u64, |d, f| d.wrapping_add(*f));
        let (spec, b) = setup(row, Bounds { jm_left_out: true, ..b });
        let dfs = Explorer::new(&spec, b).explore_exhaustive();
        assert!(dfs.exhausted && dfs.violation.is_none(), "{at} --exhaust: {:?}", dfs.violation);
        assert_eq!((dfs.terminal_states, dfs.terminal_digest), (forgot.len() as u64, digest), "{at} --exhaust");
        // Subsumption (`--exhaust`'s default under a `--jm-late-ticks` bound) against none.
        let all = Explorer::new(&spec, Bounds { subsume_late: false, ..b }).explore_exhaustive();
        assert_eq!((all.terminal_states, all.terminal_digest), (forgot.len() as u64, digest), "{at} --no-subsume");
        assert!(
            dfs.distinct_states <= all.distinct_states,
            "{at}: {} subsumed, {} not",
            dfs.distinct_states,
            all.distinct_states
        );
    }
    assert!(fewer >= 2, "forgetting merges states on {fewer} rows");
}

/// Session 35, issue 20's configuration: `two-source-two-sink` with 3 checkpoints and 1
/// failure, every message delivered before the next timer (`--jm-late-ticks 0`), is exhausted
/// by `--exhaust` with no violation (about 250 CPU s; `CKPTSIM_LONG=1`). The counts are the CLI
/// run's of BENCHMARKS.md (session 35): the hash-compacted table of 2^28 slots that 200
/// million states size it to, as there.
#[test]
fn the_two_source_two_sink_three_checkpoint_one_failure_space_is_exhausted_without_late_messages() {
    if std::env::var_os("CKPTSIM_LONG").is_none() {
        return;
    }
    let row = Row { file: "two-source-two-sink.toml", ticks: 3, failures: 1 };
    let (spec, b) = setup(&row, Bounds { max_jm_late_ticks: Some(0), jm_left_out: true, ..Bounds::default() });
    let b = Bounds { max_depth: 150, max_states: 200_000_000, ..b };
    let r = Explorer::new(&spec, b).explore_exhaustive();
    assert!(r.violation.is_none(), "correct protocol: {:?}", r.violation);
    assert!(r.exhausted, "exhausted ({} states, depth {})", r.distinct_states, r.depth_reached);
    assert_eq!((r.distinct_states, r.terminal_states, r.depth_reached), (15_300_589, 39_980, 75));
}
