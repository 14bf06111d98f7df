//! Reading a user source's whole input once at load time: the records each split holds and when they become available, which the checkers' reference folds and the world checks every live read against.

use crate::spec::{InputSpec, JobSpec};

/// Replaces `spec`'s input by what its resolved user sources hold: every split polled at each
/// millisecond of simulated time from 0 to `stop_at_ms`, each record as its display string with
/// the time it first became available. With one user source as the job's only source, split `i`
/// becomes the broker's partition `i`. In a job with several sources (log sources with their own
/// topics, or several user sources) each user source's splits become one more topic after the
/// log sources' (user sources in operator order), and their records are merged into the log by
/// time (after the log sources' records of the same millisecond, then in operator order), so
/// input sequence numbers stay unique across sources and each source's positions are its own
/// partitions in a checkpoint. Nothing changes for a job without a resolved user source. At
/// most [`MAX_GENERATED_RECORDS`](crate::scenario::limits::MAX_GENERATED_RECORDS) records are
/// read per user source.
pub(crate) fn read_user_input(spec: &mut JobSpec) {
    let users: Vec<usize> = spec
        .operators
        .iter()
        .enumerate()
        .filter(|(_, o)| o.user_source.as_ref().is_some_and(|u| u.is_resolved()))
        .map(|(i, _)| i)
        .collect();
    let several = spec.operators.iter().any(|o| o.topic.is_some()) || users.len() > 1;
    if users.len() > 1 && !spec.operators.iter().any(|o| o.topic.is_some()) {
        // Only user sources: the log is theirs alone.
        spec.input =
            InputSpec::Log { partitions: 0, records: crate::scenario::log_input::LogRecords::Listed(Vec::new()) };
    }
    for op in users {
        let Some(mut reader) = spec.operators[op].user_source.as_ref().and_then(|u| u.instance()) else { continue };
        let (n, records) = read_all(reader.as_mut(), spec.stop_at_ms);
        match &mut spec.input {
            InputSpec::Log { partitions, records: log } if several => {
                let first = *partitions;
                spec.operators[op].topic = Some((first, n));
                *partitions += n;
                let log = log.make_listed();
                log.extend(records.into_iter().map(|(at, p, v)| (at, first + p, v)));
                // Stable: the records already in the log keep their place within a millisecond.
                log.sort_by_key(|(at, _, _)| *at);
            }
            _ => spec.input = InputSpec::Log { partitions: n, records: records.into() },
        }
    }
}

/// Polls every split of `reader` at each millisecond up to `stop_at_ms`: its split count and
/// its records as `(available at ms, split index, value)`.
fn read_all(reader: &mut dyn ckptsim::user::UserSource, stop_at_ms: u64) -> (u32, Vec<(u64, u32, String)>) {
    let splits = reader.splits();
    let mut records = Vec::new();
    let max = crate::scenario::limits::MAX_GENERATED_RECORDS as usize;
    'time: for now_ms in 0..=stop_at_ms {
        for (i, &split) in splits.iter().enumerate() {
            while let Some(v) = reader.poll_next(split, now_ms) {
                records.push((now_ms, i as u32, v.to_string()));
                if records.len() >= max {
                    break 'time;
                }
            }
        }
        if reader.is_ended() {
            break;
        }
    }
    (splits.len().max(1) as u32, records)
}
