//! The explorer's case table for `explore_replay.rs`: per planted variant, the small job of `scenarios/explore/` (with text edits), the bounds and the checker that find it, or why the explorer cannot pose it.

use ckptsim::Variant;
use ckptsim_sim::explore::Bounds;

/// `tiny-late-side.toml` edited for `late-side-output-lost-on-restore` (session 26): no allowed
/// lateness, "a" @1500 first, the main sink a print sink, the side branch's map dropped.
pub(crate) const LATE_SIDE_EDITS: &[(&str, &str)] = &[
    ("allowed_lateness_ms = 200", "allowed_lateness_ms = 0"),
    ("value = \"a\", ts_ms = 1100", "value = \"a\", ts_ms = 1500"),
    ("kind = \"two-phase-commit-sink\"\nname = \"Sums\"", "kind = \"print-sink\"\nname = \"Sums\""),
    (
        "[[operators]]\nkind = \"map\"\nname = \"LateDoubled\"\nparallelism = 1\nfunction = \"double_value\"\ninputs = [\"Window.late\"]\n\n",
        "",
    ),
    ("name = \"LatePrint\"\nparallelism = 1\n", "name = \"LatePrint\"\nparallelism = 1\ninputs = [\"Window.late\"]\n"),
];

/// `tiny-finished-restore.toml` edited for `end-of-partition-releases-alignment` (session 31):
/// three source subtasks and partitions, partition 0 empty, the others with a record appended
/// only at 7 s (past every tick: those two sources never end their input), and a manual
/// checkpoint request (the `trigger` step, `--requests 1`).
pub(crate) const EOP_EDITS: &[(&str, &str)] = &[
    ("parallelism = 2", "parallelism = 3"),
    ("partitions = 2", "partitions = 3"),
    (
        "records = [ { at_ms = 0, partition = 0, value = \"a\" } ]",
        "records = [ { at_ms = 7000, partition = 1, value = \"a\" }, { at_ms = 7000, partition = 2, value = \"b\" } ]",
    ),
    ("[expect]", "[[actions]]\nat_ms = 1100\nkind = \"trigger-checkpoint\"\n\n[expect]"),
];

/// `tiny-union-list.toml` edited for the session-31 list-state rescale plants: a second record,
/// and the job cancelled with its checkpoint retained and resumed with `Counter` 2 -> 1 (the
/// `rescale` step, `--rescales 1`).
pub(crate) const LIST_RESCALE_EDITS: &[(&str, &str)] = &[
    (
        "  { at_ms = 0, partition = 0, value = \"a\" },",
        "  { at_ms = 0, partition = 0, value = \"a\" },\n  { at_ms = 0, partition = 0, value = \"b\" },",
    ),
    (
        "[expect]",
        "[[actions]]\nat_ms = 1500\nkind = \"cancel\"\n\n[[actions]]\nat_ms = 1600\nkind = \"rescale\"\nfrom = \"retained-checkpoint\"\nparallelism = { Counter = 1, Sink = 1 }\n\n[expect]",
    ),
];

/// [`LIST_RESCALE_EDITS`] with split list state (`counter_partitions`) instead of union.
pub(crate) const SPLIT_RESCALE_EDITS: &[(&str, &str)] = &[
    ("function = \"counter_partitions_union\"", "function = \"counter_partitions\""),
    LIST_RESCALE_EDITS[0],
    LIST_RESCALE_EDITS[1],
];

/// `tiny-one-restart.toml` edited for `restart-skips-delay` (session 33): the source emits
/// watermarks every 10 ms (a task timer before the restart delay for a late tick), so both
/// records carry a timestamp.
pub(crate) const RESTART_DELAY_EDITS: &[(&str, &str)] = &[
    (
        "startup = \"earliest\"\n",
        "startup = \"earliest\"\nwatermarks = \"monotonous\"\nauto_watermark_interval_ms = 10\n",
    ),
    ("value = \"a\" },", "value = \"a\", ts_ms = 100 },"),
    ("value = \"a\" },", "value = \"a\", ts_ms = 100 },"),
];

/// `tiny-window.toml`'s records replaced by the session-37 event-time plants' own: each edit
/// list below swaps the three records (and what else the plant needs) in one `replacen`.
pub(crate) const TINY_WINDOW_RECORDS: &str = "  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 100 },\n  { at_ms = 1000, partition = 0, value = \"a\", ts_ms = 200 },\n  { at_ms = 1000, partition = 0, value = \"a\", ts_ms = 1500 },\n";

/// `tiny-window.toml`'s source made bounded (its end of input is the final watermark, which
/// fires every window left) and the job expected to finish.
pub(crate) const TINY_WINDOW_BOUNDED: [(&str, &str); 2] = [
    ("watermarks = \"monotonous\"\n", "bounded = true\nwatermarks = \"monotonous\"\n"),
    ("final_status = \"RUNNING\"", "final_status = \"FINISHED\""),
];

/// `sliding-windows-floor-count` (session 37): 1 s windows every 300 ms, one element at 950 ms,
/// which belongs to the four windows starting at 0, 300, 600 and 900 (`ceil(1000 / 300)`).
pub(crate) const SLIDING_FLOOR_EDITS: &[(&str, &str)] = &[
    (TINY_WINDOW_RECORDS, "  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 950 },\n"),
    ("window = \"tumbling\"\nsize_ms = 1000\n", "window = \"sliding\"\nsize_ms = 1000\nslide_ms = 300\n"),
    TINY_WINDOW_BOUNDED[0],
    TINY_WINDOW_BOUNDED[1],
];

/// `session-merge-loses-contents` (session 42): `tiny-window.toml` with session windows of a
/// 1 s gap, elements at 1000, 3000, then 2000 (all appended at 0 ms), which opens [2000,3000)
/// touching both sessions and merges them into [1000,4000); a bounded out-of-orderness of
/// 1.5 s keeps every watermark an element meets below 1999, so the session is *determined*
/// (`check/windows_session.rs`) and its one result must hold all three (a,3). The planted merge
/// keeps one state window's contents and fires (a,2) (`session-wrong-value`). The negative
/// file's first block, on the explorer's one-partition job.
pub(crate) const SESSION_MERGE_EDITS: &[(&str, &str)] = &[
    (
        TINY_WINDOW_RECORDS,
        "  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 1000 },\n  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 3000 },\n  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 2000 },\n",
    ),
    (
        "watermarks = \"monotonous\"\n",
        "bounded = true\nwatermarks = \"bounded-out-of-orderness\"\nmax_out_of_orderness_ms = 1500\n",
    ),
    ("window = \"tumbling\"\nsize_ms = 1000\n", "window = \"session\"\ngap_ms = 1000\n"),
    TINY_WINDOW_BOUNDED[1],
];

/// `watermark-without-minus-one` (session 37): bounded out-of-orderness of 200 ms, elements at
/// 1199 and then 999: Flink's periodic watermark after the first is 1199 - 200 - 1 = 998, so 999
/// is on time in [0,1000); the plant's 999 closes the window before it.
pub(crate) const WATERMARK_MINUS_ONE_EDITS: &[(&str, &str)] = &[
    (
        TINY_WINDOW_RECORDS,
        "  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 1199 },\n  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 999 },\n",
    ),
    (
        "watermarks = \"monotonous\"\n",
        "bounded = true\nwatermarks = \"bounded-out-of-orderness\"\nmax_out_of_orderness_ms = 200\n",
    ),
    TINY_WINDOW_BOUNDED[1],
];

/// `window-late-bound-exclusive` (session 37): elements at 100 and 1000, then 999. The
/// monotonous watermark after 1000 is 999, the cleanup time of [0,1000), which fires and is
/// purged there; 999 comes after it and is late (`WindowOperator#isWindowLate`: cleanup time at
/// or behind the watermark).
pub(crate) const WINDOW_LATE_BOUND_EDITS: &[(&str, &str)] = &[
    (
        TINY_WINDOW_RECORDS,
        "  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 100 },\n  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 1000 },\n  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 999 },\n",
    ),
    TINY_WINDOW_BOUNDED[0],
    TINY_WINDOW_BOUNDED[1],
];

/// `idleness-ignores-activity` (session 37): watermarks every 200 ms with a 300 ms idle
/// timeout, no checkpoint within the ticks, and a record appended at 400 ms: read at 400, the
/// split is not idle at 600 in Flink (`WatermarksWithIdleness`: the record starts the countdown
/// over); the plant's countdown, started at the emission of 200, ignores it.
pub(crate) const IDLENESS_EDITS: &[(&str, &str)] = &[
    (
        TINY_WINDOW_RECORDS,
        "  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 100 },\n  { at_ms = 400, partition = 0, value = \"a\", ts_ms = 450 },\n",
    ),
    ("auto_watermark_interval_ms = 1000\n", "auto_watermark_interval_ms = 200\nidle_timeout_ms = 300\n"),
    ("interval_ms = 1000\ntimeout_ms = 10000\n", "interval_ms = 60000\ntimeout_ms = 60000\n"),
];

/// `allowed-late-not-fired` (session 38): 500 ms of allowed lateness, elements at 100 and
/// 1200, then 900: the monotonous watermark after 1200 (1199) fires [0,1000) with (a,1); 900 is
/// behind it but within the lateness (cleanup at 1499), so Flink's trigger fires (a,2) at once.
pub(crate) const ALLOWED_LATE_EDITS: &[(&str, &str)] = &[
    (
        TINY_WINDOW_RECORDS,
        "  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 100 },\n  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 1200 },\n  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 900 },\n",
    ),
    ("aggregate = \"sum\"\n", "aggregate = \"sum\"\nallowed_lateness_ms = 500\n"),
    TINY_WINDOW_BOUNDED[0],
    TINY_WINDOW_BOUNDED[1],
];

/// `gate-passes-on-older-checkpoint` (session 38): `tiny-2pc`'s two records appended at 1 s
/// (with checkpoint 1's trigger) and a gate after the first: a source that snapshots checkpoint
/// 1 before reading it waits at the gate for a checkpoint after 1.
pub(crate) const GATE_EDITS: &[(&str, &str)] = &[(
    "  { at_ms = 0, partition = 0, value = \"a\" },\n  { at_ms = 0, partition = 0, value = \"a\" },\n]\n",
    "  { at_ms = 1000, partition = 0, value = \"a\" },\n  { at_ms = 1000, partition = 0, value = \"a\" },\n]\ngates = [{ after_records = 1 }]\n",
)];

/// `end-of-input-without-max-watermark` (session 39): `tiny-window` bounded with one element at
/// 100 ms: only the end of input's `MAX_WATERMARK` fires [0,1000) before the job finishes.
pub(crate) const END_OF_INPUT_EDITS: &[(&str, &str)] = &[
    (TINY_WINDOW_RECORDS, "  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 100 },\n"),
    TINY_WINDOW_BOUNDED[0],
    TINY_WINDOW_BOUNDED[1],
];

/// `fail-once-flag-per-attempt` (session 39): `tiny-2pc`'s mapper throws the first time it sees
/// `a`; no checkpoint before the failure, so the restarted attempt reads `a` again.
pub(crate) const FAIL_ONCE_EDITS: &[(&str, &str)] =
    &[("function = \"to_pair_one\"\n", "function = \"to_pair_one\"\nfail_once_on_value = \"a\"\n")];

/// `source-splits-by-subtask` (session 39): `tiny-rescale` with two source subtasks over two
/// partitions, one record in partition 1 (old subtask 1's split), and the rescale scaling the
/// source down to one subtask.
pub(crate) const SOURCE_SPLITS_EDITS: &[(&str, &str)] = &[
    ("name = \"Source\"\nparallelism = 1", "name = \"Source\"\nparallelism = 2"),
    ("name = \"ToPair\"\nparallelism = 1", "name = \"ToPair\"\nparallelism = 2"),
    ("partitions = 1\n", "partitions = 2\n"),
    (
        "  { at_ms = 0, partition = 0, value = \"a\" },\n  { at_ms = 2500, partition = 0, value = \"a\" },\n",
        "  { at_ms = 0, partition = 1, value = \"a\" },\n",
    ),
    ("parallelism = { Sum = 2, Print = 2 }", "parallelism = { Source = 1, ToPair = 1 }"),
];

/// `broadcast-state-not-restored` (session 39): `tiny-2pc`'s pipeline replaced by a keyed
/// broadcast process at parallelism 2: one rule record broadcast to both subtasks, no word.
pub(crate) const BROADCAST_EDITS: &[(&str, &str)] = &[
    (
        "[[operators]]\nkind = \"log-source\"\nname = \"Source\"\nparallelism = 1\nstartup = \"earliest\"\n\n[[operators]]\nkind = \"map\"\nname = \"ToPair\"\nparallelism = 1\nfunction = \"to_pair_one\"\n\n[[operators]]\nkind = \"key_by\"\n\n[[operators]]\nkind = \"sum\"\nname = \"Sum\"\nparallelism = 1\n\n[[operators]]\nkind = \"two-phase-commit-sink\"\nname = \"Sink\"\nparallelism = 1\n\n[input]\npartitions = 1\nrecords = [\n  { at_ms = 0, partition = 0, value = \"a\" },\n  { at_ms = 0, partition = 0, value = \"a\" },\n]\n",
        "[[operators]]\nkind = \"log-source\"\nname = \"Rules\"\nparallelism = 1\nstartup = \"earliest\"\n\n[[operators]]\nkind = \"broadcast\"\nname = \"ToAll\"\n\n[[operators]]\nkind = \"log-source\"\nname = \"Words\"\nparallelism = 1\nstartup = \"earliest\"\n\n[[operators]]\nkind = \"key_by\"\nname = \"ByWord\"\ninputs = [\"Words\"]\n\n[[operators]]\nkind = \"broadcast_process\"\nname = \"Process\"\nparallelism = 2\ninputs = [\"ByWord\", \"ToAll\"]\n\n[[operators]]\nkind = \"print-sink\"\nname = \"Sink\"\nparallelism = 2\n\n[inputs.Rules]\npartitions = 1\nrecords = [ { at_ms = 0, partition = 0, value = \"a\" } ]\n\n[inputs.Words]\npartitions = 1\nrecords = [ ]\n",
    ),
    ("exactly_once = true\n", ""),
];

/// `broadcast-keyed-state-not-restored` (session 40): [`BROADCAST_EDITS`]' job with a per-key
/// count beside the broadcast state (`function = "rules_count"`), one `Process` subtask, no rule
/// and one word `a`: checkpoint 1 holds the count (a,1), a JobManager failover restores it, and
/// the plant restores the broadcast part only.
pub(crate) const BROADCAST_KEYED_EDITS: &[(&str, &str)] = &[
    (
        BROADCAST_EDITS[0].0,
        "[[operators]]\nkind = \"log-source\"\nname = \"Rules\"\nparallelism = 1\nstartup = \"earliest\"\n\n[[operators]]\nkind = \"broadcast\"\nname = \"ToAll\"\n\n[[operators]]\nkind = \"log-source\"\nname = \"Words\"\nparallelism = 1\nstartup = \"earliest\"\n\n[[operators]]\nkind = \"key_by\"\nname = \"ByWord\"\ninputs = [\"Words\"]\n\n[[operators]]\nkind = \"broadcast_process\"\nname = \"Process\"\nparallelism = 1\nfunction = \"rules_count\"\ninputs = [\"ByWord\", \"ToAll\"]\n\n[[operators]]\nkind = \"print-sink\"\nname = \"Sink\"\nparallelism = 1\n\n[inputs.Rules]\npartitions = 1\nrecords = [ ]\n\n[inputs.Words]\npartitions = 1\nrecords = [ { at_ms = 0, partition = 0, value = \"a\" } ]\n",
    ),
    ("exactly_once = true\n", ""),
];

/// `second-broadcast-state-dropped-on-rescale` (session 40): two broadcast states
/// (`function = "rules_limits"`), one rule `a` (counted in both), `Process` 1 -> 2 by a cancel
/// with the checkpoint retained and the `rescale` step: new subtask 1 gets old subtask 0's
/// copies of `rules` and `limits`; the plant hands it `rules` only.
pub(crate) const SECOND_BROADCAST_EDITS: &[(&str, &str)] = &[
    (
        BROADCAST_EDITS[0].0,
        "[[operators]]\nkind = \"log-source\"\nname = \"Rules\"\nparallelism = 1\nstartup = \"earliest\"\n\n[[operators]]\nkind = \"broadcast\"\nname = \"ToAll\"\n\n[[operators]]\nkind = \"log-source\"\nname = \"Words\"\nparallelism = 1\nstartup = \"earliest\"\n\n[[operators]]\nkind = \"key_by\"\nname = \"ByWord\"\ninputs = [\"Words\"]\n\n[[operators]]\nkind = \"broadcast_process\"\nname = \"Process\"\nparallelism = 1\nfunction = \"rules_limits\"\ninputs = [\"ByWord\", \"ToAll\"]\n\n[[operators]]\nkind = \"print-sink\"\nname = \"Sink\"\nparallelism = 1\n\n[inputs.Rules]\npartitions = 1\nrecords = [ { at_ms = 0, partition = 0, value = \"a\" } ]\n\n[inputs.Words]\npartitions = 1\nrecords = [ ]\n",
    ),
    ("timeout_ms = 10000\n", "timeout_ms = 10000\nretention = \"RETAIN_ON_CANCELLATION\"\n"),
    ("[expect]", "[[actions]]\nat_ms = 1500\nkind = \"cancel\"\n\n[[actions]]\nat_ms = 2000\nkind = \"rescale\"\nfrom = \"retained-checkpoint\"\nparallelism = { Process = 2, Sink = 2 }\n\n[expect]"),
    ("exactly_once = true\n", ""),
];

/// `side-window-state-not-restored` (session 40): `tiny-late-side` with a 2 s event-time window
/// on its late branch (`Window.late -> key_by -> LateWindow -> print`), no allowed lateness, a
/// print sink for the main window, flink-1.11 (a bounded job finishes without a final
/// checkpoint), watermarks every 200 ms (the emission comes before checkpoint 1's trigger at
/// 351 ms) and a third record `b` @1200 that keeps the source from ending its input before the
/// checkpoint. The source reads `a` @1100, emits 1099, reads `a` @100 (late: to the side
/// output, where `LateWindow` takes it into [0,2000)); checkpoint 1 holds it; a JobManager
/// failover restores it, and the plant's `LateWindow` starts empty: [0,2000) never fires
/// (`windows`: `late-window-lost`).
pub(crate) const SIDE_WINDOW_EDITS: &[(&str, &str)] = &[
    ("profile = \"flink-2.3\"", "profile = \"flink-1.11\""),
    ("auto_watermark_interval_ms = 1000", "auto_watermark_interval_ms = 200"),
    ("allowed_lateness_ms = 200", "allowed_lateness_ms = 0"),
    ("kind = \"two-phase-commit-sink\"\nname = \"Sums\"", "kind = \"print-sink\"\nname = \"Sums\""),
    (
        "[[operators]]\nkind = \"map\"\nname = \"LateDoubled\"\nparallelism = 1\nfunction = \"double_value\"\ninputs = [\"Window.late\"]\n",
        "[[operators]]\nkind = \"key_by\"\nname = \"LateKeys\"\ninputs = [\"Window.late\"]\n\n[[operators]]\nkind = \"event_window\"\nname = \"LateWindow\"\nparallelism = 1\nwindow = \"tumbling\"\nsize_ms = 2000\naggregate = \"sum\"\n",
    ),
    (
        "  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 100 },\n",
        "  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 100 },\n  { at_ms = 0, partition = 0, value = \"b\", ts_ms = 1200 },\n",
    ),
];

/// `late-judged-by-first-window` (session 41): `tiny-late-side` without allowed lateness and
/// with a second window beside the first (`ToPair -> key_by -> MaxWindow`, a 4 s tumbling max
/// with its own late side output into a print sink). The source reads `a` @1100, emits 1099 and
/// reads `a` @100: late for `Window`'s [0,1000), on time for `MaxWindow`'s [0,4000); the plant's
/// `MaxWindow` judges it by `Window`'s windows and sends it to its late side output (`windows`:
/// `late-misjudged`).
pub(crate) const LATE_BESIDE_EDITS: &[(&str, &str)] = &[
    ("allowed_lateness_ms = 200", "allowed_lateness_ms = 0"),
    ("kind = \"two-phase-commit-sink\"\nname = \"Sums\"", "kind = \"print-sink\"\nname = \"Sums\""),
    (
        "[[operators]]\nkind = \"print-sink\"\nname = \"LatePrint\"\nparallelism = 1\n",
        "[[operators]]\nkind = \"print-sink\"\nname = \"LatePrint\"\nparallelism = 1\n\n[[operators]]\nkind = \"key_by\"\nname = \"MaxKeys\"\ninputs = [\"ToPair\"]\n\n[[operators]]\nkind = \"event_window\"\nname = \"MaxWindow\"\nparallelism = 1\nwindow = \"tumbling\"\nsize_ms = 4000\naggregate = \"max\"\nlate_records = \"side-output\"\n\n[[operators]]\nkind = \"print-sink\"\nname = \"Maxes\"\nparallelism = 1\n\n[[operators]]\nkind = \"print-sink\"\nname = \"MaxLate\"\nparallelism = 1\ninputs = [\"MaxWindow.late\"]\n",
    ),
];

/// `broadcast-timers-not-restored` (session 41): [`BROADCAST_KEYED_EDITS`]' job with event-time
/// timers 3 s after each word (`timer_delay_ms = 3000`) and monotonous watermarks on both
/// sources; the word `a` @100 registers a timer at 3100 that no watermark reaches within the
/// ticks: checkpoint 1 holds it, a JobManager failover restores `Process`, and the plant restores
/// its counts but not its timers (`state`: `list-state-not-restored` on `Process#2[0]`).
pub(crate) const BROADCAST_TIMERS_EDITS: &[(&str, &str)] = &[
    (
        BROADCAST_EDITS[0].0,
        "[[operators]]\nkind = \"log-source\"\nname = \"Rules\"\nparallelism = 1\nstartup = \"earliest\"\nwatermarks = \"monotonous\"\n\n[[operators]]\nkind = \"broadcast\"\nname = \"ToAll\"\n\n[[operators]]\nkind = \"log-source\"\nname = \"Words\"\nparallelism = 1\nstartup = \"earliest\"\nwatermarks = \"monotonous\"\n\n[[operators]]\nkind = \"key_by\"\nname = \"ByWord\"\ninputs = [\"Words\"]\n\n[[operators]]\nkind = \"broadcast_process\"\nname = \"Process\"\nparallelism = 1\nfunction = \"rules_count\"\ntimer_delay_ms = 3000\ninputs = [\"ByWord\", \"ToAll\"]\n\n[[operators]]\nkind = \"print-sink\"\nname = \"Sink\"\nparallelism = 1\n\n[inputs.Rules]\npartitions = 1\nrecords = [ ]\n\n[inputs.Words]\npartitions = 1\nrecords = [ { at_ms = 0, partition = 0, value = \"a\", ts_ms = 100 } ]\n",
    ),
    ("exactly_once = true\n", ""),
];

/// `abort-ignores-latest-completed` (session 41): `tiny-2pc` without periodic checkpoints, a
/// 500 ms checkpoint timeout and a manual checkpoint request (the `trigger` step, `--requests
/// 2`). Checkpoint 1 completes and the sink's notification is lost (`--losses 1`); checkpoint 2
/// expires at 500 ms with an acknowledgement on its way; its abort notification carries 1, and
/// Flink's sink commits checkpoint 1's transaction on it. The plant ignores what it carries; in
/// the quiescent state after it the made-up horizon (1) covers both records and none is
/// committed (`exactly-once`, judged by `judge.rs` `abort_made_up`).
pub(crate) const ABORT_CARRIES_EDITS: &[(&str, &str)] = &[
    (
        "[checkpoint]\ninterval_ms = 1000\ntimeout_ms = 10000\n",
        "[checkpoint]\ntimeout_ms = 500\ntolerable_failures = \"unlimited\"\n",
    ),
    ("[expect]", "[[actions]]\nat_ms = 0\nkind = \"trigger-checkpoint\"\n\n[expect]"),
];

/// `gate-request-not-retried` (session 39): `tiny-2pc` without periodic checkpoints and with a
/// triggering gate after its first record: the source arrives there after reading it, and its
/// request is refused while the JobManager has not seen every task RUNNING.
pub(crate) const GATE_REQUEST_EDITS: &[(&str, &str)] = &[
    ("[checkpoint]\ninterval_ms = 1000\n", "[checkpoint]\n"),
    (
        "  { at_ms = 0, partition = 0, value = \"a\" },\n]\n",
        "  { at_ms = 0, partition = 0, value = \"a\" },\n]\ngates = [{ after_records = 1, trigger = true }]\n",
    ),
];

/// `committer-retries-one-fewer` (sessions 39–40): the store refuses `tiny-2pc-committer-retry`'s
/// first commit ten times; Sink V2 retries ten times and the eleventh request commits.
pub(crate) const COMMITTER_RETRY_EDITS: &[(&str, &str)] =
    &[("retriable_commit_failures = 1\n", "retriable_commit_failures = 10\n")];

/// `committer-retries-one-more` (session 40): eleven refusals; Sink V2 fails its task at the
/// eleventh, the plant asks a twelfth time.
pub(crate) const COMMITTER_RETRY_MORE_EDITS: &[(&str, &str)] =
    &[("retriable_commit_failures = 1\n", "retriable_commit_failures = 11\n")];

/// `tiny-2pc.toml` under flink-1.11 (its Kafka source stores the last read offset).
pub(crate) const FLINK_1_11: (&str, &str) = ("profile = \"flink-2.3\"", "profile = \"flink-1.11\"");

/// How `explore` finds one planted variant: the job of `scenarios/explore/` (with the text
/// edits the variant needs), the bounds, and the checker.
pub(crate) struct Case {
    pub(crate) job: &'static str,
    pub(crate) edits: &'static [(&'static str, &'static str)],
    pub(crate) bounds: Bounds,
    pub(crate) checker: &'static str,
    /// Breadth-first: every case since session 27 (the depth-first arm is gone).
    pub(crate) search: Search,
}

/// The search a [`Case`] runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Search {
    /// `Explorer::explore`.
    Bfs,
}

/// The small configuration that finds `variant`, or why `explore` cannot pose it. A match
/// without a wildcard: a new variant does not compile until it has a case here.
pub(crate) fn case(variant: Variant) -> Result<Case, &'static str> {
    let b = |ticks, failures| Bounds {
        max_ticks: ticks,
        max_failures: failures,
        max_states: 2_000_000,
        ..Bounds::default()
    };
    let c = |job, bounds, checker| Ok(Case { job, edits: &[], bounds, checker, search: Search::Bfs });
    // The variants that need a tick while a message to the JobManager is on its way (session
    // 37): posed under the bound `--jm-late-ticks 1`.
    let jm_late_1 = |b: Bounds| Bounds { max_jm_late_ticks: Some(1), ..b };
    // The session-31 list-state rescale plants: `tiny-union-list` scaled 2 -> 1.
    let list_rescale = |edits| {
        let bounds = Bounds { max_rescales: 1, ..b(2, 0) };
        Ok(Case { job: "tiny-union-list.toml", edits, bounds, checker: "state", search: Search::Bfs })
    };
    match variant {
        Variant::Correct => Err("the correct protocol (exhausted without violation in tests/explore.rs)"),
        // Session 36: the plant needs no late-fed join, only a keyed running aggregate chained
        // in a task that is restored: `keyed-print`'s `Sum`. The source reads the first "a",
        // `Sum` folds it (a,1) before checkpoint 1's barrier, checkpoint 1 completes, a
        // JobManager failover restores every task from it, and the restored `Sum` starts empty:
        // the second "a" prints (a,1) again. `state`: "restored (a,1) but its first output
        // (a,1) is not after it" (25 steps, 40,735 distinct states).
        Variant::AggregateStateNotRestored => {
            c("keyed-print.toml", Bounds { max_jm_failovers: 1, ..b(1, 0) }, "state")
        }
        // Session 37: power36's plants (posed on world scenarios in session 36), each on a job of
        // `scenarios/explore/` with the edits it needs. A rescale 1 -> 2 of `tiny-rescale` with
        // the key "d", whose key group is 64 (of 128): the plant restores it into `Sum (1/2)`
        // while its records route to `Sum (2/2)` (`state`, 14 steps).
        Variant::KeyGroupRangeEndInclusive => Ok(Case {
            job: "tiny-rescale.toml",
            edits: &[("value = \"a\"", "value = \"d\""), ("value = \"a\"", "value = \"d\"")],
            bounds: Bounds { max_rescales: 1, ..b(1, 0) },
            checker: "state",
            search: Search::Bfs,
        }),
        // The order at 500 ms and the payment at 100 ms: exactly at the lower bound (-400), which
        // Flink includes; the plant never joins them (`state`: nothing printed, 9 steps).
        Variant::IntervalJoinLowerExclusive => Ok(Case {
            job: "tiny-interval-join.toml",
            edits: &[("value = \"a\", ts_ms = 100 } ]\n\n[inputs.Payments]", "value = \"a\", ts_ms = 500 } ]\n\n[inputs.Payments]")],
            bounds: b(2, 0),
            checker: "state",
            search: Search::Bfs,
        }),
        // No tick needed: the bounded source's final watermark fires every window, and [0,1000)
        // never got the element at 950 (`windows` window lost, 6 steps).
        Variant::SlidingWindowsFloorCount => Ok(Case {
            job: "tiny-window.toml",
            edits: SLIDING_FLOOR_EDITS,
            bounds: b(0, 0),
            checker: "windows",
            search: Search::Bfs,
        }),
        // One tick emits the periodic watermark between the two reads (`windows` window lost:
        // the element at 999 dropped as late, 10 steps).
        Variant::WatermarkWithoutMinusOne => Ok(Case {
            job: "tiny-window.toml",
            edits: WATERMARK_MINUS_ONE_EDITS,
            bounds: b(1, 0),
            checker: "windows",
            search: Search::Bfs,
        }),
        // 1.11 stores the last read offset. The plant's seek to it also commits it (1.11's
        // commit goes through the same `resume_from`), so the shortest path needs no restore:
        // checkpoint 1 after the first record commits offset 0 (`offsets`, 12 steps). The
        // restore that reads the record again (the world's `exactly-once`) lies deeper.
        Variant::RestoreRereadsLastRecord => Ok(Case {
            job: "tiny-2pc.toml",
            edits: &[FLINK_1_11],
            bounds: b(1, 1),
            checker: "offsets",
            search: Search::Bfs,
        }),
        // 1.11 with two concurrent checkpoints: the sink's acknowledgement of checkpoint 1 is a
        // slow upload, checkpoint 2 completes first and subsumes 1 (CHECKPOINT_SUBSUMED), which
        // the plant counts against a tolerance of 0 (`tolerable-failure`, 14 steps). Under
        // `--jm-late-ticks` alone it is not found: the sink's link to the JobManager is FIFO, so
        // its acknowledgement of 1 always arrives before that of 2.
        Variant::SubsumedAbortCounted => Ok(Case {
            job: "tiny-2pc.toml",
            edits: &[FLINK_1_11, ("timeout_ms = 10000\n", "timeout_ms = 10000\nmax_concurrent = 2\n")],
            bounds: Bounds { max_slow_uploads: 1, ..b(2, 0) },
            checker: "tolerable-failure",
            search: Search::Bfs,
        }),
        // The watermark 999 fires and purges [0,1000); the plant takes the element at 999 into
        // a fresh window, fired alone by the final watermark (`windows` fired late, 11 steps).
        Variant::WindowLateBoundExclusive => Ok(Case {
            job: "tiny-window.toml",
            edits: WINDOW_LATE_BOUND_EDITS,
            bounds: b(1, 0),
            checker: "windows",
            search: Search::Bfs,
        }),
        // `num_retained = 2`: once checkpoint 2 is stored the plant holds [2] (`retention`, 17 steps).
        Variant::RetainsOneFewer => Ok(Case {
            job: "tiny-2pc.toml",
            edits: &[("timeout_ms = 10000\n", "timeout_ms = 10000\nnum_retained = 2\n")],
            bounds: b(2, 0),
            checker: "retention",
            search: Search::Bfs,
        }),
        // Session 38: power37's plants (posed on world scenarios in session 37), each on a job
        // of `scenarios/explore/` with the edits it needs.
        // The order at 100 ms and the payment at 700 ms: exactly at the upper bound (+600), which
        // Flink includes; the plant never joins them (`state`: nothing printed).
        Variant::IntervalJoinUpperExclusive => Ok(Case {
            job: "tiny-interval-join.toml",
            edits: &[("value = \"a\", ts_ms = 100 } ]\n\n[expect]", "value = \"a\", ts_ms = 700 } ]\n\n[expect]")],
            bounds: b(2, 0),
            checker: "state",
            search: Search::Bfs,
        }),
        // A periodic watermark (1199) between the reads of 1200 and 900 fires [0,1000) with
        // (a,1); 900 is late but within the 500 ms of allowed lateness, so Flink fires (a,2) at
        // once; the plant keeps it silent (`windows`).
        Variant::AllowedLateNotFired => Ok(Case {
            job: "tiny-window.toml",
            edits: ALLOWED_LATE_EDITS,
            bounds: b(1, 0),
            checker: "windows",
            search: Search::Bfs,
        }),
        // flink-2.3, a bounded source into a 2PC sink: the plant's sink task finishes at its
        // final snapshot, before the final checkpoint's notification commits its transaction.
        Variant::FinishBeforeFinalNotify => c("tiny-bounded-2pc.toml", b(1, 0), "exactly-once"),
        // Two concurrent checkpoints; the sink's acknowledgement of 1 is a slow upload, 2
        // completes and subsumes 1, and the plant notifies 1 as completed after 2
        // (`coordinator`: `notified-not-completed`, `check/notifications.rs`).
        Variant::NotifiesSubsumedComplete => Ok(Case {
            job: "tiny-2pc.toml",
            edits: &[("timeout_ms = 10000\n", "timeout_ms = 10000\nmax_concurrent = 2\n")],
            bounds: Bounds { max_slow_uploads: 1, ..b(2, 0) },
            checker: "coordinator",
            search: Search::Bfs,
        }),
        // `tiny-rescale` keeping two checkpoints: after checkpoints 1 and 2 the rescale from the
        // retained checkpoint starts from 1 under the plant (`retention`: `resume-not-newest`,
        // `check/resume_point.rs`; the plant's resume modelled in `step.rs` `resumed_from`). A
        // third tick: the rule judges the checkpoints triggered before the new job's start, so
        // a rescale in checkpoint 2's trigger millisecond does not show it.
        Variant::ResumeTakesOldestRetained => Ok(Case {
            job: "tiny-rescale.toml",
            edits: &[("retention = \"RETAIN_ON_CANCELLATION\"\n", "retention = \"RETAIN_ON_CANCELLATION\"\nnum_retained = 2\n")],
            bounds: Bounds { max_rescales: 1, ..b(3, 0) },
            checker: "retention",
            search: Search::Bfs,
        }),
        // `tiny-2pc` with a gate after its first record, both appended at 1 s: the source
        // snapshots checkpoint 1, reads the record and waits; the plant passes on checkpoint 1's
        // completion (`coordinator`: `gate-passed-early`, `check/gates.rs`; gates in the
        // explorer: `gates.rs`, session 38). Two ticks at 1 s: the trigger, then the records'
        // append (a timer due in the millisecond of the last firing waits for a step between).
        Variant::GatePassesOnOlderCheckpoint => Ok(Case {
            job: "tiny-2pc.toml",
            edits: GATE_EDITS,
            bounds: b(2, 0),
            checker: "coordinator",
            search: Search::Bfs,
        }),
        // `tiny-2pc` whose source fails when it first reads input #0 (`on = "input-0-read"`,
        // anchored faults in the explorer: `anchors.rs`, session 38): the restarted source reads
        // it again and the plant's anchor strikes again (`restart`: `fault-struck-again`,
        // `check/faults_once.rs`).
        Variant::AnchoredFaultRefires => Ok(Case {
            job: "tiny-2pc.toml",
            edits: &[(
                "[expect]",
                "[[faults]]\nkind = \"task-failure\"\non = \"input-0-read\"\ntarget = \"Source[0]\"\n\n[expect]",
            )],
            bounds: b(1, 0),
            checker: "restart",
            search: Search::Bfs,
        }),
        // Session 41: judged in a quiescent state, where the run may end as late as one likes
        // (docs/explore.md, *Session 41*): [`ABORT_CARRIES_EDITS`].
        Variant::AbortIgnoresLatestCompleted => Ok(Case {
            job: "tiny-2pc.toml",
            edits: ABORT_CARRIES_EDITS,
            bounds: Bounds { max_requests: 2, max_losses: 1, ..b(1, 0) },
            checker: "exactly-once",
            search: Search::Bfs,
        }),
        // Session 39: power38's six and graph38's plant, each on a job of `scenarios/explore/`
        // with text edits (docs/explore.md, *Session 39*). A bounded source's end of input
        // without `MAX_WATERMARK` leaves [0,1000) unfired when the job finishes (`windows`).
        Variant::EndOfInputWithoutMaxWatermark => Ok(Case {
            job: "tiny-window.toml",
            edits: END_OF_INPUT_EDITS,
            bounds: b(1, 0),
            checker: "windows",
            search: Search::Bfs,
        }),
        // The mapper's "already failed" flag per attempt: the restarted attempt throws on `a`
        // again (`restart`: `check/injected_once.rs`).
        Variant::FailOnceFlagPerAttempt => Ok(Case {
            job: "tiny-2pc.toml",
            edits: FAIL_ONCE_EDITS,
            bounds: b(2, 0),
            checker: "restart",
            search: Search::Bfs,
        }),
        // The rescale 2 -> 1 hands new source subtask 0 old subtask 0's split only: partition 1
        // starts over and `a` is read again after the checkpoint that covered it.
        Variant::SourceSplitsBySubtask => Ok(Case {
            job: "tiny-rescale.toml",
            edits: SOURCE_SPLITS_EDITS,
            bounds: Bounds { max_rescales: 1, ..b(1, 0) },
            checker: "state",
            search: Search::Bfs,
        }),
        // The rule reaches both subtasks before checkpoint 1; a JobManager failover restores
        // them, and the plant restores subtask 1 with an empty copy (`state`:
        // `list-state-not-restored`). A task failure would need a second tick for the restart
        // delay (347,212 distinct states at one tick without a find).
        Variant::BroadcastStateNotRestored => Ok(Case {
            job: "tiny-2pc.toml",
            edits: BROADCAST_EDITS,
            bounds: Bounds { max_jm_failovers: 1, ..b(1, 0) },
            checker: "state",
            search: Search::Bfs,
        }),
        // The triggering gate's first request is refused (the JobManager has not seen both
        // tasks RUNNING); the plant never asks again and the source waits in a quiescent state
        // (`coordinator`: `gate-request-abandoned`, judged with the run's end taken as never).
        Variant::GateRequestNotRetried => Ok(Case {
            job: "tiny-2pc.toml",
            edits: GATE_REQUEST_EDITS,
            bounds: b(1, 0),
            checker: "coordinator",
            search: Search::Bfs,
        }),
        // Session 41: late40's and bcast40's plants. The driver needed no new mechanism: it
        // keeps the late record per sending operator as the world does (`route.rs`, the core's
        // `TaskOutput::LateRecord::operator` through `Graph::late_operator`, since session 40)
        // and builds the second window with the graph's `first_window_lateness` (the plant is
        // there). Two windows beside each other: [`LATE_BESIDE_EDITS`] (the correct space's
        // longest path is 63 steps, past the default depth of 60).
        Variant::LateJudgedByFirstWindow => Ok(Case {
            job: "tiny-late-side.toml",
            edits: LATE_BESIDE_EDITS,
            bounds: Bounds { max_depth: 100, ..b(1, 0) },
            checker: "windows",
            search: Search::Bfs,
        }),
        // The broadcast function's timers are the core's (`broadcast_process.rs` `KeyedTimers`,
        // fired by the task as the watermark reaches the operator, dropped on restore by the
        // plant in `task_build`); the explorer records the restored timer part with the world's
        // `restored_lists`: [`BROADCAST_TIMERS_EDITS`].
        Variant::BroadcastTimersNotRestored => Ok(Case {
            job: "tiny-2pc.toml",
            edits: BROADCAST_TIMERS_EDITS,
            bounds: Bounds { max_jm_failovers: 1, ..b(1, 0) },
            checker: "state",
            search: Search::Bfs,
        }),
        // Session 42: session41's session windows need no new driver mechanism: the explorer
        // builds the window task with the core's `task_build` (the plant is there, `window_plant`)
        // and the merging window set is the operator's own state, so its fingerprint, snapshot
        // and restore are the task's. The case: [`SESSION_MERGE_EDITS`] (9 steps: the three reads
        // and their deliveries, before any watermark).
        Variant::SessionMergeLosesContents => Ok(Case {
            job: "tiny-window.toml",
            edits: SESSION_MERGE_EDITS,
            bounds: b(1, 0),
            checker: "windows",
            search: Search::Bfs,
        }),
        // Session 40: late39's and bcast39's plants. The driver needed no new mechanism: it
        // builds tasks with the core's `task_build` (the plants are there), marks a window on a
        // late side branch as the world does (`world::mark_late_fed`) and records restored
        // operator state with the world's `restored_lists` (the composite keyed + broadcast and
        // two-broadcast snapshots included). The window on the late branch: [`SIDE_WINDOW_EDITS`].
        Variant::SideWindowStateNotRestored => Ok(Case {
            job: "tiny-late-side.toml",
            edits: SIDE_WINDOW_EDITS,
            bounds: Bounds { max_jm_failovers: 1, ..b(2, 0) },
            checker: "windows",
            search: Search::Bfs,
        }),
        // The restored `Process` holds the rule state but not the count (a,1) checkpoint 1 holds
        // (`state`: `list-state-not-restored`).
        Variant::BroadcastKeyedStateNotRestored => Ok(Case {
            job: "tiny-2pc.toml",
            edits: BROADCAST_KEYED_EDITS,
            bounds: Bounds { max_jm_failovers: 1, ..b(1, 0) },
            checker: "state",
            search: Search::Bfs,
        }),
        // After the rescale `Process` subtask 1 holds no `limits` while the retained checkpoint
        // hands it old subtask 0's copy (`state`, `list_rescale.rs`).
        Variant::SecondBroadcastStateDroppedOnRescale => Ok(Case {
            job: "tiny-2pc.toml",
            edits: SECOND_BROADCAST_EDITS,
            bounds: Bounds { max_rescales: 1, ..b(1, 0) },
            checker: "state",
            search: Search::Bfs,
        }),
        // Session 40: the explorer records the retried calls as the world does
        // (`RunResult::retry_calls`, the rows the retry-count rule reads: `route.rs`
        // `note_retry_call`). The store refuses the first commit ten times; the plant fails the
        // task at the tenth refusal (`restart`: `commit-given-up-early`).
        Variant::CommitterRetriesOneFewer => Ok(Case {
            job: "tiny-2pc-committer-retry.toml",
            edits: COMMITTER_RETRY_EDITS,
            bounds: b(1, 0),
            checker: "restart",
            search: Search::Bfs,
        }),
        // Eleven refusals: the plant asks a twelfth time (`commit-retried-past-limit`).
        Variant::CommitterRetriesOneMore => Ok(Case {
            job: "tiny-2pc-committer-retry.toml",
            edits: COMMITTER_RETRY_MORE_EDITS,
            bounds: b(1, 0),
            checker: "restart",
            search: Search::Bfs,
        }),
        // `Source` fails; `Sum -> Sink`'s cancel is delivered, its CANCELED answer stays on its
        // way while three ask timeouts fire, and the plant takes it as CANCELED after three calls
        // (`cancel-given-up-early`).
        Variant::CancelRetriesOneFewer => Ok(Case {
            job: "tiny-2pc.toml",
            edits: &[],
            bounds: b(3, 1),
            checker: "restart",
            search: Search::Bfs,
        }),
        // Session 20: the host loop reduced to its one decision (`choices.rs` `loop_spins`, the
        // world's `idle_task_spins`): an idle task loop that polls again keeps virtual time
        // from advancing, so once every delivery is done the due checkpoint trigger never fires.
        Variant::IdleSpin => c("tiny-2pc.toml", b(1, 0), "liveness"),
        // Session 21: windows after windows are explored (the quiescent window rule judges the
        // last stage). The final watermark of the bounded source fires `Counts`, which forwards
        // it ahead of its result; `Totals` drops the result as late and never fires [0,2000).
        Variant::WatermarkBeforeWindowResults => c("tiny-windows-in-a-row.toml", b(1, 0), "windows"),
        // Session 19: the explorer's store refuses commits with a retriable error as the
        // world's does; the first commit of `tiny-2pc-committer-retry.toml` is refused and the
        // plant drops the committable: the covered record is never committed.
        Variant::CommitterRetryDropped => c("tiny-2pc-committer-retry.toml", b(2, 0), "exactly-once"),
        // Session 19: `Source (2/2)` acknowledges checkpoint 1 with finished operators while
        // `Source (1/2)` still runs; the plant completes it (FLIP-147, union list state).
        Variant::PartlyFinishedUnionCompleted => c("tiny-finished-union.toml", b(1, 0), "coordinator"),
        // Session 21: `s.union(s)` at parallelism 1 (`Reference::path_copies` expects a copy per
        // path); checkpoint 1 before the read, a failure restores `Union`, and the plant drops
        // its second gate's copy of the replayed record: committed by one path only.
        Variant::LaterGateLostOnRestore => c("tiny-self-union.toml", b(1, 1), "exactly-once"),
        // Processing time (session 17): the window's timers are task timers `tick` fires; the
        // window task restarts at 60 ms from checkpoint 1 (50 ms) with window [0,60) due, and the
        // planted restore drops it: lost once the job FINISHED.
        Variant::RestoredDueTimersDropped => c("tiny-processing-window.toml", b(2, 1), "windows"),
        // A rebalance into `Relay`, a broadcast edge into `Copy` (inputs that always align),
        // unaligned checkpoints: `Relay`'s barrier goes to `Copy` with priority, overtaking the
        // record queued there, and `Copy` stores it as channel state; the explorer's channel
        // cuts (`tools/explore/cuts.rs`) name it as the world's do.
        Variant::UnalignedIntoAlwaysAligned => c("tiny-broadcast-unaligned.toml", b(2, 0), "alignment"),
        // Bounded input (session 16; its job since session 18): `Early` reads nothing, ends its
        // input at once and finishes through its final checkpoint (1) while the rest runs, so
        // its whole vertex is FINISHED in checkpoint 2; a failure restored from it deploys Early
        // as finished (FLIP-147), and the planted attempt runs endInput/finish again, which the
        // `restart` checker's finished-on-restore rule reads from `RunResult::finished_restores`.
        // Session 30: the restore by a JobManager failover (one `jm-failover` step instead of a
        // task failure at any point of any task): 42 steps, 348,108 distinct states, about 3 CPU s
        // (a task failure: 47 steps, 1,515,771 distinct, 15 CPU s; `restore_variants_through_a_task_failure`).
        Variant::FinishedOnRestoreRunsAgain => Ok(Case {
            job: "tiny-finished-vertex-restore.toml",
            edits: &[],
            bounds: Bounds { max_jm_failovers: 1, ..b(3, 0) },
            checker: "restart",
            search: Search::Bfs,
        }),
        // Session 17, on `tiny-finished-restore.toml` (`Source (2/2)` has no record and finishes
        // first, its vertex only partly finished): the failure restores it from its own final
        // checkpoint's snapshot (its vertex still running), and the plant deploys it as finished:
        // a finished acknowledgement without endInput in that attempt. Session 30: restored by a
        // JobManager failover (37 steps, 154,187 distinct; a task failure: 43, 738,983).
        Variant::PartlyFinishedRestoredAsFinished => Ok(Case {
            job: "tiny-finished-restore.toml",
            edits: &[],
            bounds: Bounds { max_jm_failovers: 1, ..b(1, 0) },
            checker: "restart",
            search: Search::Bfs,
        }),
        // Bounded input (session 16): the task finishes without its final checkpoint, so the
        // job is FINISHED with the record never committed.
        Variant::FinishWithoutFinalCheckpoint => c("tiny-bounded-2pc.toml", b(2, 0), "exactly-once"),
        // Session 20: the JobManager's heartbeat monitor (`hb-timeout:N`, `--hb-timeouts`): the
        // live TaskManager is judged lost, the restart redeploys to it and the planted monitor
        // does not watch it again; it crashes and `tm-lost:0` is never enabled.
        Variant::LostTmForgotten => {
            c("tiny-2pc.toml", Bounds { max_tm_crashes: 1, max_hb_timeouts: 1, ..b(1, 0) }, "liveness")
        }
        // Session 18: the explorer records each task's valve steps as the world does, so the
        // `windows` checker's valve rule judges explored paths: `Slow` reads nothing, goes idle
        // at 600 ms, and the union keeps its channel in the minimum.
        Variant::IdleInputHoldsWatermark => c("tiny-idle-valve.toml", b(4, 0), "windows"),
        // Session 17: `Source (2/2)` has no record and finishes through checkpoint 1; once the
        // other source's input ended too, the final checkpoint's barrier reaches the sink on one
        // channel and the planted handler waits for the ended one: every message delivered,
        // the sink never acknowledges (the explorer's stuck-checkpoint rule, `liveness`).
        Variant::EndOfPartitionNotAligned => c("tiny-finished-restore.toml", b(1, 0), "barriers"),
        Variant::StopAbortedAfterNotification => {
            c("tiny-stop-savepoint.toml", Bounds { max_stops: 1, max_requests: 1, max_losses: 1, ..b(1, 0) }, "stop")
        }
        // `tiny-stop` stopped with `--drain`: the `stop` checker's drain rule reads the tasks'
        // savepoint snapshots (`RunResult::stop_snapshots`), which the explorer records.
        Variant::DrainWithoutEndOfData => Ok(Case {
            job: "tiny-stop.toml",
            edits: &[("kind = \"stop-with-savepoint\"\n", "kind = \"stop-with-savepoint\"\ndrain = true\n")],
            bounds: Bounds { max_stops: 1, ..b(2, 0) },
            checker: "stop",
            search: Search::Bfs,
        }),
        Variant::CommitOffsetsOnSnapshot => c("tiny-2pc.toml", b(3, 1), "offsets"),
        // Session 17: a checkpoint completed before the source read its partition's first
        // record commits offset 0 under the plant; the `offsets` checker's unread-partition rule.
        Variant::CommitUnreadPartition => c("tiny-2pc.toml", b(3, 1), "offsets"),
        // Session 20 (session 19: `tiny-2pc`, 2 ticks, 24 s): the bounded job needs no tick; the
        // final checkpoint covers the record, the source fails before it finishes, and the
        // planted restore reads the record again: committed twice once the job FINISHED.
        Variant::SourceRestartsFromEarliest => c("tiny-bounded-2pc.toml", b(0, 1), "exactly-once"),
        // Session 20: a deployment's `latest` end is the log's end at that time (the enumerator's
        // of the epoch without a restore, `route.rs` `latest_ends`). The record is appended at
        // 1000 ms after checkpoint 1 (100 ms) holds offset 0; the source fails before reading
        // it and the planted restore seeks to the end: checkpoint 2 covers it, never committed.
        Variant::RestoredLatestSeeksToEnd => Ok(Case {
            job: "tiny-bounded-2pc.toml",
            edits: &[
                ("startup = \"earliest\"\nbounded = true\n", "startup = \"latest\"\n"),
                ("{ at_ms = 0, partition = 0", "{ at_ms = 1000, partition = 0"),
                ("final_status = \"FINISHED\"", "final_status = \"RUNNING\""),
            ],
            bounds: b(3, 1),
            checker: "exactly-once",
            search: Search::Bfs,
        }),
        // Session 21: the records appended before a fresh `latest` start are the run's lost
        // inputs in the explorer too (`world::inputs_before_latest`), so the reference folds
        // without "a"@0 and the plant's (a,2) is not one of its values.
        Variant::LatestStartsAtEarliest => c("tiny-latest.toml", b(1, 0), "state"),
        // Session 25: found by `--exhaust` (49 steps, not minimal) on `tiny-late-side.toml` with
        // no allowed lateness and "a" @1500 first. Session 26: with the side branch's map
        // dropped (`Window.late` straight into `LatePrint`) and the main sink a print sink,
        // breadth-first search finds it, minimal: checkpoint 1 completes before the source reads
        // anything, the source fails, the restored source reads "a" @1500, the tick emits its
        // watermark (1499) and the source reads "a" @100, which the restored window finds late
        // and, under the plant, does not send on the side edge; checkpoint 2 covers its
        // late-side cut. 37 steps, 420,506 distinct states, 6.9 CPU s; the correct protocol's
        // space at the same bounds is exhausted (864,389 distinct, no violation). Session 30:
        // restored by a JobManager failover instead of the source's failure (32 steps, 133,354
        // distinct; the failure: 37 steps, 711,489).
        Variant::LateSideOutputLostOnRestore => Ok(Case {
            job: "tiny-late-side.toml",
            edits: LATE_SIDE_EDITS,
            bounds: Bounds { max_depth: 150, max_jm_failovers: 1, ..b(2, 0) },
            checker: "at-least-once",
            search: Search::Bfs,
        }),
        // Session 24: side-output graphs are explored; with the window's watermark at 1099 the
        // late-but-allowed "a" @100 is sent to the side output by the plant as well.
        Variant::LateEmittedToBoth => c("tiny-late-side.toml", b(1, 0), "windows"),
        // Session 23 (planted after real Flink bugs). A lost notification leaves checkpoint 1's
        // transaction pre-committed; the variant's notification of 2 does not subsume it
        // (306,821 distinct states, 22 steps).
        Variant::NotifyCommitsOnlyItsOwn => c("tiny-2pc.toml", Bounds { max_losses: 1, ..b(3, 1) }, "exactly-once"),
        Variant::RecoveryCommitsOpenTransaction => c("tiny-2pc.toml", b(2, 1), "exactly-once"),
        Variant::MinPauseStaleCompletion => c("tiny-min-pause.toml", b(3, 1), "coordinator"),
        Variant::CommittedOffsetIsLastRead => Ok(Case {
            job: "tiny-2pc.toml",
            edits: &[("profile = \"flink-2.3\"", "profile = \"flink-1.11\"")],
            bounds: b(3, 1),
            checker: "offsets",
            search: Search::Bfs,
        }),
        // Session 24: a 500 ms checkpoint timeout, so the tick after checkpoint 1's trigger
        // (100 ms) is its expiry (600 ms) while an acknowledgement is still on its way; with a
        // tolerance of 0 Flink fails the job there and the plant does not count the expiry.
        // Session 37: under `--jm-late-ticks 1` (the tick is the one late tick), 10 steps as
        // without the bound.
        Variant::ExpiredNotCounted => c("tiny-timeout.toml", jm_late_1(b(2, 0)), "tolerable-failure"),
        // Session 24: FLINK-6284 needs checkpoints 9 and 10 both retained ("10" < "9"), so ten
        // completed checkpoints and a failure: 11 ticks, past breadth-first search. Session 26:
        // `checkpoint.first_id = 9` starts the job's id counter at 9 (an HA id counter earlier
        // leaders advanced), so checkpoints 9 and 10 complete in 2 ticks and the restart's
        // delay is the third: breadth-first, minimal (25 steps, about 184,000 distinct states).
        Variant::RestoreLexicallyLatest => Ok(Case {
            job: "tiny-2pc.toml",
            edits: &[("timeout_ms = 10000\n", "timeout_ms = 10000\nnum_retained = 2\nfirst_id = 9\n")],
            bounds: b(3, 1),
            checker: "retention",
            search: Search::Bfs,
        }),
        // Session 24: the `cancel` step (`--cancels`): the user cancels the job after a
        // checkpoint completed; the plant discards it although RETAIN_ON_CANCELLATION keeps it.
        Variant::RetainedDiscardedOnCancel => c("tiny-cancel.toml", Bounds { max_cancels: 1, ..b(1, 0) }, "retention"),
        // Session 25 (held-out planted bugs, docs/mutation.md). The record at 1000 makes the
        // monotonous watermark 999, the end of window [0,1000): the plant never fires it.
        Variant::TimerAtWatermarkNotFired => Ok(Case {
            job: "tiny-window-one.toml",
            edits: &[("ts_ms = 1500", "ts_ms = 1000")],
            bounds: b(2, 0),
            checker: "windows",
            search: Search::Bfs,
        }),
        // A tolerance of 1: checkpoint 1 expires, 2 completes, 3 expires; the plant's counter
        // still holds the first expiry and fails the job.
        Variant::SuccessKeepsFailureCount => Ok(Case {
            job: "tiny-timeout.toml",
            edits: &[("tolerable_failures = 0", "tolerable_failures = 1")],
            bounds: b(5, 0),
            checker: "tolerable-failure",
            search: Search::Bfs,
        }),
        // Session 26: the `barriers` checker. Two keyed stages; the expiry (second tick) reaches
        // the tasks in any order, so a `Sum` subtask told before its barrier sends a cancel
        // marker to `Total` (while `Total` still aligns checkpoint 1, or before its barrier from
        // the other `Sum`). Session 27: the expiry fires with `Sum`'s barrier still in flight
        // through a `late-tick` (`--late-ticks 1`), so breadth-first search with the reduction
        // finds both, minimal (21 and 22 steps; session 26: `--no-reduce --dfs`, 27 and 30).
        Variant::CancelMarkerIgnored | Variant::CancelUnblocksOwnChannel => Ok(Case {
            job: "tiny-cancel-marker.toml",
            edits: &[],
            bounds: Bounds { max_late_ticks: 1, ..b(2, 0) },
            checker: "barriers",
            search: Search::Bfs,
        }),
        // Session 27: two concurrent checkpoints and a lost trigger: `Payments` never gets
        // checkpoint 1's, `Join` aligns 1 on `Orders`' barrier, the next tick triggers 2 and
        // `Payments`' barrier 2 reaches `Join` mid-alignment (13 steps, 2,253 distinct states).
        Variant::NewerBarrierMerges => Ok(Case {
            job: "tiny-join.toml",
            edits: &[("timeout_ms = 10000\n", "timeout_ms = 10000\nmax_concurrent = 2\n")],
            bounds: Bounds { max_losses: 1, ..b(2, 0) },
            checker: "barriers",
            search: Search::Bfs,
        }),
        // Aligned with a 100 ms timeout: the expiry (600 ms) fires as a `late-tick` while
        // `Total`'s first barrier (timestamp 100) is in flight; the plant's clock starts at its
        // arrival and keeps the channel blocked past 200 ms (19 steps; session 26: `--dfs`, 25).
        Variant::TimeoutFromFirstBarrier => Ok(Case {
            job: "tiny-cancel-marker.toml",
            edits: &[(
                "tolerable_failures = 100\n",
                "tolerable_failures = 100\nunaligned = true\naligned_timeout_ms = 100\n",
            )],
            bounds: Bounds { max_late_ticks: 1, ..b(2, 0) },
            checker: "barriers",
            search: Search::Bfs,
        }),
        Variant::PendingSurvivesFailover => c("tiny-2pc.toml", b(2, 1), "coordinator"),
        // Session 37: the second tick triggers checkpoint 2 while 1's last acknowledgement is
        // on its way (the one late tick of `--jm-late-ticks 1`), 10 steps as without the bound.
        Variant::MaxConcurrentOffByOne => c("tiny-2pc.toml", jm_late_1(b(2, 0)), "coordinator"),
        Variant::HaRecoversPrevious => c("tiny-2pc.toml", Bounds { max_jm_failovers: 1, ..b(2, 0) }, "retention"),
        Variant::RestoreFromPending => c("tiny-2pc.toml", b(3, 1), "retention"),
        // Session 20: the sink fails with checkpoint 1's notification still on the wire; the
        // restored sink skips the recovery commit of checkpoint 1's transaction.
        Variant::RecoverySkipsCommit => c("tiny-2pc.toml", b(2, 1), "exactly-once"),
        Variant::TwoPcCommitOnPrecommit => c("tiny-2pc.toml", b(3, 1), "exactly-once"),
        Variant::FixedDelayOffByOne => c("tiny-one-restart.toml", b(2, 2), "restart"),
        Variant::IgnoreMinPause => c("tiny-min-pause.toml", b(3, 1), "coordinator"),
        Variant::NoCancelRetry => c("tiny-2pc.toml", Bounds { max_losses: 1, ..b(3, 1) }, "liveness"),
        Variant::NoHaIdCounter => c("tiny-2pc.toml", Bounds { max_jm_failovers: 1, ..b(3, 0) }, "coordinator"),
        Variant::RescaleKeyedBySubtask => c("tiny-rescale.toml", Bounds { max_rescales: 1, ..b(3, 0) }, "state"),
        Variant::SnapshotAfterFirstGate => c("tiny-join.toml", b(2, 1), "barriers"),
        Variant::WindowStateNotRestored => c("tiny-window-one.toml", b(3, 1), "windows"),
        Variant::SourceEmitsAfterStop => c("tiny-stop.toml", Bounds { max_stops: 1, ..b(2, 0) }, "stop"),
        Variant::JoinSnapshotWithoutRight => c("tiny-interval-join.toml", b(2, 1), "state"),
        Variant::UnionListAsSplit => c("tiny-union-list.toml", b(2, 1), "state"),
        Variant::FinishedTaskCountsAsAcked => {
            c("tiny-stop-savepoint.toml", Bounds { max_stops: 1, max_requests: 1, ..b(0, 0) }, "coordinator")
        }
        Variant::RescaleInFlightBySubtask => {
            c("tiny-rescale-unaligned.toml", Bounds { max_rescales: 1, ..b(1, 0) }, "state")
        }
        Variant::QueueInArrivalOrder => {
            c("tiny-queue-savepoint.toml", Bounds { max_requests: 1, ..b(3, 0) }, "coordinator")
        }
        Variant::DeferredSubsumption => c("tiny-2pc.toml", b(4, 0), "retention"),
        Variant::SourceIdleWithoutFlush => c("tiny-idle-flush.toml", b(8, 0), "windows"),
        Variant::TriggerFailureIgnored => {
            c("tiny-stop-savepoint.toml", Bounds { max_stops: 1, max_requests: 1, ..b(0, 0) }, "coordinator")
        }
        Variant::AlignedNoBlock => Ok(Case {
            job: "keyed-print.toml",
            edits: &[("profile = \"flink-2.3\"", "profile = \"flink-1.11\"")],
            bounds: b(2, 1),
            checker: "barriers",
            search: Search::Bfs,
        }),
        // Unaligned, and restarted without delay: the restart needs no timer firing, so one tick
        // (the checkpoint's trigger) reaches the restore (243,340 distinct states; with the
        // 100 ms delay and two ticks 623,444). Since session 30 the explorer records restores
        // with channel state, and the `alignment` rule `channel-state-not-replayed` names the
        // restore that replayed none of it before `state` sees the lost record.
        Variant::DropChannelStateOnRestore => Ok(Case {
            job: "keyed-print.toml",
            edits: &[("[checkpoint]\n", "[checkpoint]\nunaligned = true\n"), ("delay_ms = 100\n", "delay_ms = 0\n")],
            bounds: b(1, 1),
            checker: "alignment",
            search: Search::Bfs,
        }),
        // Session 29 (held-out plants, docs/mutation.md), under the default (sound) reduction.
        // `keyed-print` at least once: `Sum` snapshots at `Source (1/2)`'s barrier while the
        // other channel's barrier is still on the wire.
        Variant::TrackerTriggersOnFirstBarrier => Ok(Case {
            job: "keyed-print.toml",
            edits: &[("timeout_ms = 10000\n", "timeout_ms = 10000\nmode = \"at-least-once\"\n")],
            bounds: Bounds { max_ticks: 1, max_failures: 0, ..Bounds::default() },
            checker: "barriers",
            search: Search::Bfs,
        }),
        // One failure per 500 ms: a failure before the first tick, two after it (1 s later);
        // the third is 0 ms after the second, the plant measures it from the first.
        Variant::FailureRateKeepsOldest => Ok(Case {
            job: "tiny-one-restart.toml",
            edits: &[(
                "strategy = \"fixed-delay\"\nattempts = 1\ndelay_ms = 100\n",
                "strategy = \"failure-rate\"\nmax_failures_per_interval = 1\ninterval_ms = 500\ndelay_ms = 0\n",
            )],
            bounds: Bounds { max_ticks: 1, max_failures: 3, ..Bounds::default() },
            checker: "restart",
            search: Search::Bfs,
        }),
        // A 1 ms reset threshold: the second failure, a tick after the first restart, starts
        // over at 100 ms in Flink; the plant doubles it.
        Variant::ExponentialNeverResets => Ok(Case {
            job: "tiny-one-restart.toml",
            edits: &[(
                "strategy = \"fixed-delay\"\nattempts = 1\ndelay_ms = 100\n",
                "strategy = \"exponential-delay\"\ninitial_backoff_ms = 100\nmax_backoff_ms = 10000\n\
                 multiplier = 2.0\nreset_threshold_ms = 1\njitter = 0.0\nattempts = 10\n",
            )],
            bounds: Bounds { max_ticks: 3, max_failures: 2, ..Bounds::default() },
            checker: "restart",
            search: Search::Bfs,
        }),
        // A 1.5 s timeout over a 1 s interval: checkpoint 1 (triggered at 0.1 s) gets one
        // acknowledgement after a late tick, which restarts the plant's timeout, and its last one
        // after another: it completes at 2.1 s, where Flink expired it at 1.6 s (`coordinator`
        // `completed-after-timeout`, 13 steps).
        Variant::TimeoutFromLastAck => Ok(Case {
            job: "tiny-2pc.toml",
            edits: &[("timeout_ms = 10000\n", "timeout_ms = 1500\n")],
            bounds: Bounds { max_ticks: 3, max_failures: 0, max_late_ticks: 2, ..Bounds::default() },
            checker: "coordinator",
            search: Search::Bfs,
        }),
        // A 300 ms timeout and a tolerance of 0: the savepoint, requested before the first
        // tick (checkpoint 1), expires at a late tick with its acknowledgements on the wire; the
        // plant counts it and fails the job (`tolerable-failure`, 12 steps).
        Variant::SavepointFailureCounted => Ok(Case {
            job: "tiny-queue-savepoint.toml",
            edits: &[("timeout_ms = 10000\n", "timeout_ms = 300\ntolerable_failures = 0\n")],
            bounds: Bounds { max_ticks: 3, max_failures: 0, max_requests: 1, max_late_ticks: 2, ..Bounds::default() },
            checker: "tolerable-failure",
            search: Search::Bfs,
        }),
        // Session 30: a 500 ms timeout that fails nothing (`tolerable_failures = 100`; with the
        // default 0 the expiry fails the job and the restore recovers the transaction). The sink
        // pre-commits checkpoint 1's transaction (the record) and its acknowledgement is still on
        // its way when a late tick expires the checkpoint (600 ms); the abort notification reaches
        // the sink and the plant aborts the transaction, which checkpoint 2 should have committed
        // (22 steps, 75,324 distinct states, `exactly-once` lost record).
        Variant::AbortNotificationAbortsPending => Ok(Case {
            job: "tiny-2pc.toml",
            edits: &[("timeout_ms = 10000\n", "timeout_ms = 500\ntolerable_failures = 100\n")],
            bounds: Bounds { max_late_ticks: 1, ..b(3, 0) },
            checker: "exactly-once",
            search: Search::Bfs,
        }),
        // Session 30: the explorer records the store's discards as the world traces them
        // (`storage discard`); flink-1.11 keeps the savepoint in the store, and checkpoint 2
        // subsumes it (9 steps, 144 distinct states, `retention` `discarded-not-owned`).
        Variant::SavepointDiscardedOnSubsume => {
            c("tiny-savepoint-subsume.toml", Bounds { max_requests: 1, ..b(1, 0) }, "retention")
        }
        // Session 30 (held-out plants, docs/mutation.md), under the default (sound) reduction.
        // Interval 200 ms under a 1 s min pause: the plant measures the pause from checkpoint
        // 1's trigger, so checkpoint 2 is triggered less than 1 s after 1 completed.
        Variant::MinPauseFromTrigger => Ok(Case {
            job: "tiny-min-pause.toml",
            edits: &[],
            bounds: Bounds { max_ticks: 3, max_failures: 0, ..Bounds::default() },
            checker: "coordinator",
            search: Search::Bfs,
        }),
        // A tolerance of 0: `Source (2/2)` finishes while `Source (1/2)` runs, the coordinator
        // refuses checkpoint 1 (partly finished union list state, `CHECKPOINT_DECLINED_TASK_CLOSING`)
        // and the plant counts it: the job fails where Flink keeps running.
        Variant::TaskClosingDeclineCounted => Ok(Case {
            job: "tiny-finished-union.toml",
            edits: &[("timeout_ms = 10000\n", "timeout_ms = 10000\ntolerable_failures = 0\n")],
            bounds: Bounds { max_ticks: 2, max_failures: 0, ..Bounds::default() },
            checker: "tolerable-failure",
            search: Search::Bfs,
        }),
        // The source fetches the second record between its snapshot for checkpoint 2 and the
        // notification; the plant commits offset 2, which no completed checkpoint holds.
        Variant::CommitPositionOnNotify => Ok(Case {
            job: "tiny-2pc.toml",
            edits: &[],
            bounds: Bounds { max_ticks: 2, max_failures: 0, ..Bounds::default() },
            checker: "offsets",
            search: Search::Bfs,
        }),
        // Without the record at ts 200 (which would register the timer of [0,1000) again after
        // the restore): the window restored from checkpoint 1 never fires (`windows`, window lost).
        // Session 31: restored by a JobManager failover, as session 30 did for the restore
        // variants (21 steps, 0.5 CPU s; through a task failure, (3,1): 26 steps, 3.6 CPU s).
        Variant::WindowTimersNotRestored => Ok(Case {
            job: "tiny-window.toml",
            edits: &[("  { at_ms = 1000, partition = 0, value = \"a\", ts_ms = 200 },\n", "")],
            bounds: Bounds { max_ticks: 3, max_failures: 0, max_jm_failovers: 1, ..Bounds::default() },
            checker: "windows",
            search: Search::Bfs,
        }),
        // `Slow` resumes at 500 ms far behind (ts 200), then `Fast` moves on (ts 4600): the
        // plant's valve waits for `Slow`, Flink's follows `Fast` (the valve rule).
        Variant::ResumedChannelAlignedAtOnce => Ok(Case {
            job: "tiny-idle-valve.toml",
            edits: &[
                (
                    "  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 3600 },\n",
                    "  { at_ms = 0, partition = 0, value = \"a\", ts_ms = 3600 },\n  { at_ms = 600, partition = 0, value = \"a\", ts_ms = 4600 },\n",
                ),
                (
                    "  { at_ms = 0, partition = 0, value = \"b\", ts_ms = 100 },\n",
                    "  { at_ms = 0, partition = 0, value = \"b\", ts_ms = 100 },\n  { at_ms = 500, partition = 0, value = \"b\", ts_ms = 200 },\n",
                ),
            ],
            bounds: Bounds { max_ticks: 4, max_failures: 0, ..Bounds::default() },
            checker: "windows",
            search: Search::Bfs,
        }),
        // Session 31: three bounded source subtasks into the 2PC sink (three input channels).
        // `Source (1/3)` has no record: it ends at once and finishes with checkpoint 1. The
        // other two never end. A manual checkpoint 2 (the `trigger` step, which the reduction
        // treats as a JobManager step, unlike a late tick, which disables it) is triggered while
        // `Source (1/3)`'s end of partition is still on its way: the sink takes barrier 2 from
        // `Source (2/3)`, then the end of partition, and the plant snapshots with `Source
        // (3/3)`'s barrier still owed (`barriers`, 31 steps). In the eager time model no tick
        // falls while an end of partition waits, which is why session 30's two-tick job held no
        // violation.
        Variant::EndOfPartitionReleasesAlignment => Ok(Case {
            job: "tiny-finished-restore.toml",
            edits: EOP_EDITS,
            bounds: Bounds { max_requests: 1, ..b(1, 0) },
            checker: "barriers",
            search: Search::Bfs,
        }),
        // Unaligned checkpoints on the self-union: checkpoint 1 persists the two records in
        // flight on both gates, `Words` fails, and the restored union replays only the first
        // gate's one (`alignment` `channel-state-not-replayed`, 20 steps; the explorer records
        // restores with channel state as the world does since session 30's lead merge).
        Variant::ChannelStateFirstGateOnly => Ok(Case {
            job: "tiny-self-union.toml",
            edits: &[("timeout_ms = 10000\n", "timeout_ms = 10000\nunaligned = true\n")],
            bounds: Bounds { max_ticks: 1, max_failures: 1, ..Bounds::default() },
            checker: "alignment",
            search: Search::Bfs,
        }),
        // Session 32: regional restarts are explored (issue 20). The chain of `Source (1/2)`
        // fails after checkpoint 1 and its region restarts with nothing restored (`retention`:
        // the store's latest completed checkpoint was 1; 16 steps). The world catches it by
        // `exactly-once` on a longer run.
        Variant::RegionRestartsWithoutState => c("tiny-region-forward.toml", b(2, 1), "retention"),
        // Session 31 (held-out plants, rows added at the merge): the discarded second failure
        // report is a zombie delivery; the JobMaster that counts it changes its state.
        Variant::FailureCountedTwice => {
            c("tiny-one-restart.toml", Bounds { max_zombies: 1, ..b(2, 1) }, "zombie")
        }
        // A scale-down 2 -> 1 from the retained checkpoint: 22 steps (lead, 2026-12-06).
        Variant::UnionRescaleDropsBeyond => list_rescale(LIST_RESCALE_EDITS),
        Variant::SplitStateBySubtask => list_rescale(SPLIT_RESCALE_EDITS),
        // Session 37 (session 31: not found on `tiny-idle-valve`, which has no event-time window,
        // so the `windows` checker skipped it): `tiny-window` with an idle timeout and a record
        // read at 400 ms; the plant marks the source IDLE at 600 (`windows`
        // `source-idle-while-reading`, 7 steps).
        Variant::IdlenessIgnoresActivity => Ok(Case {
            job: "tiny-window.toml",
            edits: IDLENESS_EDITS,
            bounds: b(3, 0),
            checker: "windows",
            search: Search::Bfs,
        }),
        // Session 32: the plant is flink-2.3's (1.11 keeps savepoints in the store), so the job
        // runs under 2.3; the `savepoint` step (`--requests 1`) completes savepoint 1 and the
        // plant adds it to the store (`retention`, 6 steps; session 31 tried the 1.11 job).
        Variant::SavepointEntersStore => Ok(Case {
            job: "tiny-savepoint-subsume.toml",
            edits: &[("profile = \"flink-1.11\"", "profile = \"flink-2.3\"")],
            bounds: Bounds { max_requests: 1, ..b(1, 0) },
            checker: "retention",
            search: Search::Bfs,
        }),
        // Session 32: `keyed-print` is one region (the hash edge links both sources to `Sum`);
        // the plant makes `Source (2/2)` a region of its own and restarts it alone when it
        // fails (`restart` `region-restore-not-a-region`, 8 steps).
        Variant::RegionFirstProducerOnly => c("keyed-print.toml", b(1, 1), "restart"),
        // Session 33: a failing task closes its operators as in the world (`fail:tN` through
        // `world::closing_aborts`), so the plant aborts the sink's pending transaction when
        // `Sum -> Sink` fails between checkpoint 1's completion and its notice, and the
        // restored sink's recovery commit finds it aborted (`exactly-once`, 19 steps, no lost
        // message). Session 32 needed `--losses 1` (only the cancel closed a task).
        Variant::CloseAbortsPending => c("tiny-2pc.toml", b(2, 1), "exactly-once"),
        // Session 32 (held-out plants): the valve forwards `Fast`'s watermark while `Slow` has
        // none yet (`windows` watermark ahead, 7 steps, 401 distinct).
        Variant::ValveTakesMax => c("tiny-idle-valve.toml", b(3, 0), "windows"),
        // Session 33: "a" @200 moved onto the boundary 1000; the plant puts it into [0,1000) as
        // well, which fires with 2 where its one element is "a" @100 (`windows` wrong value,
        // 9 steps, 512 distinct). Session 32's job had no record on a window boundary.
        Variant::WindowEndInclusive => Ok(Case {
            job: "tiny-window.toml",
            edits: &[("ts_ms = 200", "ts_ms = 1000")],
            bounds: b(2, 0),
            checker: "windows",
            search: Search::Bfs,
        }),
        // Session 33: the `restart` rule reads the first RUNNING strictly after the failure's
        // time, and the plant restarts once the last CANCELED arrives: in the explorer's eager
        // time model that is the failure's own instant (session 32: not found). A late tick to
        // a task timer before the 100 ms delay moves time in between: the source emits
        // watermarks every 10 ms, `Sum` fails at 0, the late tick fires the emission at 10, the
        // cancel reaches the source, and the plant restarts at 10 (`restart`, 11 steps). A
        // 50 ms checkpoint timeout instead is no such timer (exhausted at (2,1), one late tick,
        // 617,911 distinct, no find).
        Variant::RestartSkipsDelay => Ok(Case {
            job: "tiny-one-restart.toml",
            edits: RESTART_DELAY_EDITS,
            bounds: Bounds { max_late_ticks: 1, ..b(1, 1) },
            checker: "restart",
            search: Search::Bfs,
        }),
        // Session 33: posed on the unaligned job `tiny-rescale-unaligned` (session 32 tried the
        // aligned `tiny-self-union`): `Source (2/2)`'s barrier overtakes its record at `Sum`,
        // which persists the record as channel state; the plant persists the channel past its
        // barrier, so the record, taken next, is persisted twice (`alignment`, 18 steps).
        Variant::ChannelStatePastBarrier => c("tiny-rescale-unaligned.toml", b(1, 0), "alignment"),
        // Session 33: `abort-notification-aborts-pending`'s job and bounds (timeout 500 ms,
        // tolerable failures): a late tick expires checkpoint 1 while `Sum -> Sink`'s
        // acknowledgement is on its way; the plant completes it when it arrives (`coordinator`
        // completed after its timeout, 15 steps).
        Variant::LateAckCompletesExpired => Ok(Case {
            job: "tiny-2pc.toml",
            edits: &[("timeout_ms = 10000\n", "timeout_ms = 500\ntolerable_failures = 100\n")],
            bounds: Bounds { max_late_ticks: 1, ..b(3, 0) },
            checker: "coordinator",
            search: Search::Bfs,
        }),
        // Session 34: out of reach while snapshots acknowledged in barrier order (session 33);
        // the `slow-upload` step holds the savepoint's acknowledgement at the source while
        // checkpoint 2 completes and is notified first. `tiny-savepoint-subsume` (flink-1.11,
        // which notifies savepoints) with a second record (the offsets differ) and two
        // concurrent checkpoints; the plant's late savepoint notification commits the older
        // offset (`offsets`). `sim/tests/explore_uploads.rs` has the correct protocol's run.
        Variant::NotifyKeepsOlderOffsets => Ok(Case {
            job: "tiny-savepoint-subsume.toml",
            edits: &[
                ("timeout_ms = 10000\n", "timeout_ms = 10000\nmax_concurrent = 2\n"),
                (
                    "  { at_ms = 0, partition = 0, value = \"a\" },\n",
                    "  { at_ms = 0, partition = 0, value = \"a\" },\n  { at_ms = 0, partition = 0, value = \"a\" },\n",
                ),
            ],
            bounds: Bounds { max_requests: 1, max_slow_uploads: 1, ..b(1, 0) },
            checker: "offsets",
            search: Search::Bfs,
        }),
        // Session 43 (mut43): eight held-out plants. A tolerance of 1: checkpoint 1 expires
        // (counter 1); the plant fails the job where Flink tolerates it.
        Variant::ToleranceOffByOne => Ok(Case {
            job: "tiny-timeout.toml",
            edits: &[("tolerable_failures = 0", "tolerable_failures = 1")],
            bounds: jm_late_1(b(2, 0)),
            checker: "tolerable-failure",
            search: Search::Bfs,
        }),
        // RETAIN_ON_FAILURE and no restart: checkpoint 1 completes, a failure ends the job
        // FAILED and the plant discards the checkpoint Flink keeps (16 steps, 3,194 distinct).
        Variant::RetainedDiscardedOnFailure => Ok(Case {
            job: "tiny-one-restart.toml",
            edits: &[
                ("timeout_ms = 10000\n", "timeout_ms = 10000\nretention = \"DELETE_ON_CANCELLATION\"\n"),
                ("attempts = 1\n", "attempts = 0\n"),
            ],
            bounds: b(1, 1),
            checker: "retention",
            search: Search::Bfs,
        }),
        // Initial and max backoff 100 ms: the second failure restarts after 100 ms in Flink,
        // after 200 ms under the plant.
        Variant::ExponentialBackoffUncapped => Ok(Case {
            job: "tiny-one-restart.toml",
            edits: &[(
                "strategy = \"fixed-delay\"\nattempts = 1\ndelay_ms = 100\n",
                "strategy = \"exponential-delay\"\ninitial_backoff_ms = 100\nmax_backoff_ms = 100\n\
                 multiplier = 2.0\nreset_threshold_ms = 100000\njitter = 0.0\nattempts = 10\n",
            )],
            bounds: Bounds { max_ticks: 3, max_failures: 2, ..Bounds::default() },
            checker: "restart",
            search: Search::Bfs,
        }),
        // Not posed (session 43): the plant shows only as a record committed twice, after an
        // aborted checkpoint's transaction was committed *and* a restore replayed its record.
        // `tiny-2pc` with a 500 ms timeout was exhausted without a find at (2,1) with one late
        // tick (127,503 distinct) and at (2,0) with a JobManager failover, and not finished
        // within 100 s at (3,1) or (2,0)+failover (`ckptsim explore`, this branch's binary).
        Variant::AbortNotificationCommits => {
            Err("abort-notification-commits: world scenario only (negative/abort-notification-commits.toml)")
        }
        // Checkpoint 1 expires after the source's snapshot; the plant commits its offsets.
        Variant::OffsetsCommittedOnAbort => Ok(Case {
            job: "tiny-2pc.toml",
            edits: &[("timeout_ms = 10000\n", "timeout_ms = 500\ntolerable_failures = 100\n")],
            bounds: Bounds { max_late_ticks: 1, ..b(3, 0) },
            checker: "offsets",
            search: Search::Bfs,
        }),
        // The `retune` step (session 43): checkpoint 1 pending with its acknowledgements on the
        // wire over a late tick, then the timeout re-tuned to 10 ms; the plant expires it at the
        // next tick, not 10 s after its trigger (`coordinator` `expiry-not-at-timeout`).
        Variant::RetuneTimeoutMovesPending => Ok(Case {
            job: "tiny-2pc.toml",
            edits: &[("[expect]", "[[actions]]\nat_ms = 1500\nkind = \"retune\"\ntimeout_ms = 10\n\n[expect]")],
            bounds: Bounds { max_requests: 1, max_late_ticks: 2, ..b(3, 0) },
            checker: "coordinator",
            search: Search::Bfs,
        }),
        // A tolerance of 1: checkpoint 1 expires (counter 1), the tolerance is re-tuned (to 1)
        // at checkpoint 2's trigger, checkpoint 2 expires: Flink's counter is 2 and fails the
        // job, the plant's restarted at the re-tune (`tolerable-failure`, 16 steps, 61,879
        // distinct).
        Variant::RetuneResetsFailureCounter => Ok(Case {
            job: "tiny-timeout.toml",
            edits: &[
                ("tolerable_failures = 0", "tolerable_failures = 1"),
                ("[expect]", "[[actions]]\nat_ms = 1500\nkind = \"retune\"\ntolerable_failures = 1\n\n[expect]"),
            ],
            bounds: Bounds { max_requests: 1, ..b(4, 0) },
            checker: "tolerable-failure",
            search: Search::Bfs,
        }),
        // `tiny-idle-flush`'s job with a third record, on partition 1 at 2 s (ts 4700), after
        // both splits went idle: Flink's source becomes ACTIVE and its watermark fires the window
        // of the first record (ts 3600); the plant's split stays idle.
        Variant::IdleSplitNeverResumes => Ok(Case {
            job: "tiny-idle-flush.toml",
            edits: &[(
                "  { at_ms = 0, partition = 1, value = \"a\", ts_ms = 100 },\n",
                "  { at_ms = 0, partition = 1, value = \"a\", ts_ms = 100 },\n  { at_ms = 2000, partition = 1, value = \"a\", ts_ms = 4700 },\n",
            )],
            bounds: b(8, 0),
            checker: "windows",
            search: Search::Bfs,
        }),
    }
}
