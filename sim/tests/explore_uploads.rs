//! Session 34 (issue 20): an attempt that a deployment replaces while it still runs is closed as the world closes an ending attempt, and slow snapshot uploads (`slow-upload:tN`, `upload:tN`) let a newer checkpoint's acknowledgement overtake an older one's, so notifications reach a source out of id order.

#[allow(dead_code)]
mod explore_support;

use ckptsim::Variant;
use ckptsim_sim::explore::{Bounds, Explorer};
use explore_support::{bounds, spec, steps};

/// `tiny-2pc` with one JobManager-side heartbeat timeout and one lost message: the JobManager
/// writes the TaskManager off (`jm-hb-timeout:0`), the cancel to `Sum -> Sink` is lost
/// (`lose:t1`), the restart's deployment reaches the sink while attempt 1 still runs. Attempt 1
/// is closed there: its open transaction is aborted in the store, so only the new attempt's
/// transaction is open at the end; until session 34 the explorer dropped attempt 1 unclosed and
/// its transaction stayed open (two at the end).
#[test]
fn a_replaced_attempt_is_closed_and_its_open_transaction_aborted() {
    let b = Bounds { max_jm_hb_timeouts: 1, max_losses: 1, ..bounds(2, 0) };
    let spec = spec("tiny-2pc.toml", Variant::Correct);
    let ex = Explorer::new(&spec, b);
    let path = steps(REPLACED_PATH);
    let (lines, verdict) = ex.replay(&path).expect("every step is enabled");
    assert!(verdict.is_none(), "correct protocol flagged: {verdict:?}\n{}", lines.join("\n"));
    let before_deploy = ex.run_of(&path[..path.len() - 1]).expect("the prefix replays");
    assert_eq!(before_deploy.open_txns_at_end, 1, "attempt 1's transaction is open before the deployment");
    let run = ex.run_of(&path).expect("the path replays");
    assert_eq!(run.open_txns_at_end, 1, "attempt 1's transaction aborted, attempt 2's open");
}

/// The path of [`a_replaced_attempt_is_closed_and_its_open_transaction_aborted`]: both tasks
/// deployed and running, the JobManager's heartbeat timeout, the sink's cancel lost, the
/// source's cancel delivered, the restart's timer, and last the deployment of attempt 2 to
/// `Sum -> Sink` (task 1).
const REPLACED_PATH: &str = "to-task:t0 to-task:t1 to-jm:t0 to-jm:t0 to-jm:t1 to-jm:t1 jm-hb-timeout:0 lose:t1 \
     to-task:t0 to-jm:t0 tick to-task:t1";

/// `tiny-savepoint-subsume` (flink-1.11, which notifies savepoints) with two records and two
/// concurrent checkpoints: a savepoint taken after the first record, its source's
/// acknowledgement slow, checkpoint 2 taken after the second record completes and is notified
/// first; then the savepoint completes and its late notification reaches the source. The
/// edits of `explore_replay.rs`'s `notify-keeps-older-offsets` row.
const OVERTAKEN_EDITS: &[(&str, &str)] = &[
    ("timeout_ms = 10000\n", "timeout_ms = 10000\nmax_concurrent = 2\n"),
    (
        "  { at_ms = 0, partition = 0, value = \"a\" },\n",
        "  { at_ms = 0, partition = 0, value = \"a\" },\n  { at_ms = 0, partition = 0, value = \"a\" },\n",
    ),
];

/// The bounds of that row: one tick (checkpoint 2), one savepoint request, one slow upload.
fn overtaken_bounds() -> Bounds {
    Bounds { max_requests: 1, max_slow_uploads: 1, max_states: 2_000_000, ..bounds(1, 0) }
}

/// `name` of `scenarios/explore/` with `edits` applied, under `variant`.
fn edited(name: &str, edits: &[(&str, &str)], variant: Variant) -> ckptsim_sim::spec::JobSpec {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/explore").join(name);
    let mut text = std::fs::read_to_string(&src).expect("scenario text");
    for (from, to) in edits {
        assert!(text.contains(from), "{name} has `{from}`");
        text = text.replacen(from, to, 1);
    }
    // One folder per test thread: tests run in parallel and two of them edit the same file
    // differently (a shared folder let one read the other's half-written file).
    let thread = format!("{:?}", std::thread::current().id()).replace(|c: char| !c.is_ascii_digit(), "");
    let dir = std::env::temp_dir().join(format!("ckptsim-uploads-{}-{thread}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("edited scenario");
    let mut spec = ckptsim_sim::load::load_spec(&path).expect("edited scenario loads");
    spec.variant = variant;
    spec
}

/// The correct protocol with slow uploads: exhausted with no violation (a late savepoint
/// notification commits nothing backwards: the newer completion dropped the older entry), and
/// the reduction, which keeps every choice while an upload is held or may be held
/// (`choices.rs` `reduce`), ends in exactly the terminal states of the unreduced search; a
/// slow upload reaches terminal states the search without it does not.
#[test]
fn slow_uploads_are_explored_soundly_and_pass_the_correct_protocol() {
    let spec = edited("tiny-savepoint-subsume.toml", OVERTAKEN_EDITS, Variant::Correct);
    let b = overtaken_bounds();
    let reduced = Explorer::new(&spec, b).explore();
    let full = Explorer::new(&spec, Bounds { reduce: false, eager_ticks: true, ..b }).explore();
    let without = Explorer::new(&spec, Bounds { max_slow_uploads: 0, ..b }).explore();
    for (r, what) in [(&reduced, "reduced"), (&full, "unreduced"), (&without, "without slow uploads")] {
        assert!(r.violation.is_none(), "{what}: correct protocol flagged: {:?}", r.violation);
        assert!(r.exhausted, "{what}: exhausted ({} states)", r.distinct_states);
    }
    assert_eq!(reduced.terminals, full.terminals, "the reduction keeps every terminal state");
    assert!(reduced.distinct_states <= full.distinct_states);
    assert!(
        reduced.terminals.iter().any(|t| without.terminals.binary_search(t).is_err()),
        "slow uploads reach new terminal states"
    );
    eprintln!(
        "slow uploads: reduced {} distinct / {} terminal, unreduced {} / {}, without {} / {}",
        reduced.distinct_states,
        reduced.terminal_states,
        full.distinct_states,
        full.terminal_states,
        without.distinct_states,
        without.terminal_states
    );
}

/// `notify-keeps-older-offsets` is out of reach without slow uploads (notifications reach the
/// source in id order, session 33) and found with one (`offsets`: the savepoint's late
/// notification commits the older offset after checkpoint 2's); the counterexample holds a
/// `slow-upload` and its `upload` and replays to the same checker.
#[test]
fn notify_keeps_older_offsets_needs_a_slow_upload() {
    let spec = edited("tiny-savepoint-subsume.toml", OVERTAKEN_EDITS, Variant::NotifyKeepsOlderOffsets);
    let b = overtaken_bounds();
    let without = Explorer::new(&spec, Bounds { max_slow_uploads: 0, ..b }).explore();
    assert!(without.exhausted && without.violation.is_none(), "{:?}", without.violation);
    let ex = Explorer::new(&spec, b);
    let v = ex.explore().violation.expect("found with a slow upload");
    assert_eq!(v.checker, "offsets", "{}", v.anomaly);
    let texts: Vec<String> = v.path.iter().map(|c| c.to_string()).collect();
    assert!(texts.iter().any(|c| c.starts_with("slow-upload:")), "{texts:?}");
    assert!(texts.iter().any(|c| c.starts_with("upload:")), "{texts:?}");
    let (_, verdict) = ex.replay(&v.path).expect("replays");
    assert_eq!(verdict.map(|(c, _)| c).as_deref(), Some("offsets"));
}
