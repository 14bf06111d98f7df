//! `DataStream.print()`: the at-least-once, stateless print sink.

use crate::record::Record;
use crate::state::OperatorState;

/// `DataStream.print()`: at-least-once and stateless. Every record becomes an output row at
/// once, so records replayed after a restore are printed again (seed 001's duplicates).
#[derive(Clone, Debug, Hash, Default)]
pub struct PrintSink {
    rows: u64,
}

impl PrintSink {
    /// Returns the record as the printed row.
    pub fn invoke(&mut self, rec: Record) -> Record {
        self.rows += 1;
        rec
    }

    /// Rows printed by this instance (one task attempt).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Always [`OperatorState::None`].
    pub fn snapshot(&self) -> OperatorState {
        OperatorState::None
    }
}
