//! Reading a user source's whole input once at load time: the records each split holds and when they become available, which the checkers' reference folds and the world checks every live read against.

use crate::spec::{InputSpec, JobSpec};

/// Replaces `spec`'s input by what its resolved user source holds: every split polled at each
/// millisecond of simulated time from 0 to `stop_at_ms`, each record as its display string with
/// the time it first became available. With the user source as the job's only source, split `i`
/// becomes the broker's partition `i`. In a job with several sources (the others log sources
/// with their own topics) the user source's splits become one more topic after theirs, and its
/// records are merged into the log by time (after the log sources' records of the same
/// millisecond), so input sequence numbers stay unique across sources. Nothing changes for a
/// job without a resolved user source. At most
/// [`MAX_GENERATED_RECORDS`](crate::scenario::limits::MAX_GENERATED_RECORDS) records are read.
pub(crate) fn read_user_input(spec: &mut JobSpec) {
    let Some((op, mut reader)) =
        spec.operators.iter().enumerate().find_map(|(i, o)| Some((i, o.user_source.as_ref()?.instance()?)))
    else {
        return;
    };
    let splits = reader.splits();
    let mut records = Vec::new();
    let max = crate::scenario::limits::MAX_GENERATED_RECORDS as usize;
    'time: for now_ms in 0..=spec.stop_at_ms {
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
    let n = splits.len().max(1) as u32;
    let several = spec.operators.iter().any(|o| o.topic.is_some());
    match &mut spec.input {
        InputSpec::Log { partitions, records: log } if several => {
            let first = *partitions;
            spec.operators[op].topic = Some((first, n));
            *partitions += n;
            let log = log.make_listed();
            log.extend(records.into_iter().map(|(at, p, v)| (at, first + p, v)));
            // Stable: the log sources' records of a millisecond stay ahead of the user's.
            log.sort_by_key(|(at, _, _)| *at);
        }
        _ => spec.input = InputSpec::Log { partitions: n, records: records.into() },
    }
}
