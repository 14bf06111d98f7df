//! A socket-like line source: not replayable, nothing to checkpoint.

use crate::record::{Lineage, Record, Value};
use crate::state::OperatorState;

/// A socket-like line source: not replayable, nothing to checkpoint.
#[derive(Clone, Debug, Hash, Default)]
pub struct LineSource {
    pub(super) lines_read: u64,
    last_input_seq: Option<u64>,
}

impl LineSource {
    /// A line arrived on the socket. `input_seq` is its position in the scenario's input and
    /// must increase (the socket delivers in order).
    pub fn handle_line(&mut self, line: &str, input_seq: u64) -> Record {
        assert!(self.last_input_seq.is_none_or(|l| l < input_seq), "line #{input_seq} out of order");
        self.last_input_seq = Some(input_seq);
        self.lines_read += 1;
        self.invariants();
        Record::new(Value::str(line), Lineage { input_seq, sub: 0 })
    }

    /// Always [`OperatorState::None`]: a socket cannot be rewound.
    pub fn snapshot(&self) -> OperatorState {
        OperatorState::None
    }

    /// Lines read by this attempt.
    pub fn lines_read(&self) -> u64 {
        self.lines_read
    }

    /// Panics if the line count disagrees with the lines handed out.
    pub fn invariants(&self) {
        assert_eq!(self.lines_read == 0, self.last_input_seq.is_none());
        if let Some(l) = self.last_input_seq {
            assert!(self.lines_read <= l + 1, "more lines read than input positions");
        }
    }
}
