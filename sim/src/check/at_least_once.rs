//! The `at-least-once` checker: every expected input's effect is printed at least once (duplicates allowed).

use super::*;

/// At-least-once output of the print sink: nothing lost; every duplicate explained by a replay
/// after a restore (printed by an earlier attempt, then again by a later one).
pub fn at_least_once(spec: &JobSpec, run: &RunResult, reference: &Reference) -> Verdict {
    const NAME: &str = "at-least-once";
    if sink_kind(spec) != Some(&OpKind::PrintSink) {
        return Verdict::skip(NAME, "no print sink");
    }
    let mut anomalies = Vec::new();
    let counts = lineage_counts(&run.print_rows);
    {
        // With a partitioned log, an input must have been printed once the newest completed
        // checkpoint covers it (its barrier followed the record to the sink); later inputs may
        // still be waiting for a recovery, which is the liveness checker's to judge. A socket
        // has no offsets: there, a line a completed checkpoint covers must have been printed,
        // and while the job runs, any line older than 5 s at the stop. This holds whatever
        // status the job ended in: a FAILED job printed what its checkpoints cover.
        let running = run.final_status == JobStatus::Running;
        let covered = covered_by_latest_checkpoint(spec, run);
        let socket_covered = super::socket_covered(run);
        for seq in expected_inputs(spec, run, reference) {
            let due = match &covered {
                Some(c) => c.contains(&seq),
                None => socket_covered.contains(&seq) || (running && input_time(spec, seq) + 5_000 < run.stop_at_ms),
            };
            if due && !has_input(&counts, seq) {
                anomalies.push(format!("lost record: input #{seq} (at {} ms) never printed", input_time(spec, seq)));
            }
        }
    }
    let mut explained = Vec::new();
    let dups = rows_of_duplicates(&run.print_rows, &counts);
    for (l, n) in &counts {
        if *n < 2 {
            continue;
        }
        let rows: &Vec<&OutputRow> = &dups[l];
        let attempts: BTreeSet<u32> = rows.iter().map(|r| r.attempt.0).collect();
        if attempts.len() < rows.len() {
            anomalies.push(format!(
                "duplicate: input #{} printed {} times within one attempt at {:?} ms",
                l.0,
                n,
                rows.iter().map(|r| r.time_ms).collect::<Vec<_>>()
            ));
        } else {
            explained.push(format!(
                "{} (replayed by attempt {})",
                rows[0].value,
                rows.last().map(|r| r.attempt.0).unwrap_or(0)
            ));
        }
    }
    let summary = format!(
        "{} rows, {} duplicates explained by replay{}",
        run.print_rows.len(),
        explained.len(),
        match explained.len() {
            0 => String::new(),
            // A verdict line, not a listing: the first few, then a count.
            n if n > 5 => format!(": {}, … and {} more", explained[..5].join(", "), n - 5),
            _ => format!(": {}", explained.join(", ")),
        }
    );
    Verdict::from(NAME, anomalies, summary)
}
