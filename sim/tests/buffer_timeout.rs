//! The network buffer timeout (`cluster.buffer_timeout_ms`): a partly filled buffer waits for more records until the timeout, a barrier behind it sends it at once, and 0 sends every buffer immediately.

use ckptsim_sim::{load, scenario, world};

/// A log source feeding a keyed sum and a print sink across one network hop; records at
/// `records_at_ms` (one per time), checkpoints every `interval_ms`.
fn run(buffer_timeout_ms: u64, interval_ms: u64, records_at_ms: &[u64]) -> world::RunResult {
    let records: Vec<String> =
        records_at_ms.iter().map(|at| format!("  {{ at_ms = {at}, partition = 0, value = \"k\" }},")).collect();
    let text = format!(
        r#"name = "buffer-timeout"
stop_at_ms = 3000

[checkpoint]
interval_ms = {interval_ms}

[cluster]
data_latency_ms = 1
buffer_timeout_ms = {buffer_timeout_ms}

[[operators]]
kind = "log-source"
name = "Source"
startup = "earliest"

[[operators]]
kind = "map"
name = "ToPair"
function = "to_pair_one"

[[operators]]
kind = "key_by"
name = "keyBy"

[[operators]]
kind = "sum"
name = "Sum"

[[operators]]
kind = "print-sink"
name = "Sink"

[input]
records = [
{}
]
"#,
        records.join("\n")
    );
    let sc = scenario::parse("buffer-timeout.toml", &text).expect("valid scenario");
    let spec = load::to_spec(&sc, "buffer-timeout.toml");
    world::run(&spec, 1)
}

fn print_times(run: &world::RunResult) -> Vec<u64> {
    run.print_rows.iter().map(|r| r.time_ms).collect()
}

#[test]
fn zero_timeout_sends_each_record_at_once() {
    let t = print_times(&run(0, 10_000, &[1000]));
    assert_eq!(t.len(), 1, "{t:?}");
    assert!((1000..1020).contains(&t[0]), "printed at {t:?}: the buffer should leave at once");
}

#[test]
fn a_partial_buffer_waits_for_the_timeout() {
    let t = print_times(&run(100, 10_000, &[1000]));
    assert_eq!(t.len(), 1, "{t:?}");
    assert!((1100..1120).contains(&t[0]), "printed at {t:?}: the buffer should wait 100 ms");
}

#[test]
fn records_written_meanwhile_share_the_buffer_and_its_deadline() {
    // The first record opens the buffer at 1000 ms; the others join it and leave with it.
    let t = print_times(&run(100, 10_000, &[1000, 1030, 1060]));
    assert_eq!(t.len(), 3, "{t:?}");
    assert!(t.iter().all(|&at| (1100..1120).contains(&at)), "printed at {t:?}: one buffer, sent at 1100 ms");
}

#[test]
fn a_barrier_behind_a_partial_buffer_sends_it() {
    // Checkpoints every 250 ms: the barrier of the one triggered between the record (1000 ms)
    // and its timeout (1500 ms) sends the buffer before the timeout does.
    let t = print_times(&run(500, 250, &[1000]));
    assert_eq!(t.len(), 1, "{t:?}");
    assert!((1000..1300).contains(&t[0]), "printed at {t:?}: the barrier should have flushed the buffer");
}
