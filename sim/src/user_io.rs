//! Reading a user source's whole input once at load time: the records each split holds and when they become available, which the checkers' reference folds and the world checks every live read against.

use crate::spec::{InputSpec, JobSpec};

/// Replaces `spec`'s input by what its resolved user source holds: every split polled at each
/// millisecond of simulated time from 0 to `stop_at_ms` (split `i` becomes the broker's
/// partition `i`), each record as its display string with the time it first became available.
/// Nothing changes for a job without a resolved user source. At most
/// [`MAX_GENERATED_RECORDS`](crate::scenario::limits::MAX_GENERATED_RECORDS) records are read.
pub(crate) fn read_user_input(spec: &mut JobSpec) {
    let Some(mut reader) = spec.operators.iter().find_map(|o| o.user_source.as_ref()?.instance()) else { return };
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
    spec.input = InputSpec::Log { partitions: splits.len().max(1) as u32, records: records.into() };
}
