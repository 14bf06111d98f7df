//! The run's record of late elements kept per operator that sends them (session 40): each event-time window with a late side output (or interval join with late sides) its own rows and snapshot cuts.
//!
//! Until session 39 the record (`RunResult::late_records`, `late_snapshots`) was one list per
//! run, read per task: the windows checker's valve and late rules judged every late element
//! against the job's first window, so a second window beside it (two windows over one input,
//! each with `sideOutputLateData`, real Flink's `late-windows-join`) could not be posed. Each
//! operator's rows now stand apart, keyed by its position in `JobSpec::operators`; the world
//! names the operator from the core's `TaskOutput::LateRecord::operator` (the window's instance
//! `Name[subtask]`) or, for an interval join's sides and for a snapshot's cut, from the task's
//! chain ([`crate::world::graph::Graph::late_operator`]). Within one operator the rows keep the
//! order the world saw them in, so a reader's position count per (task, attempt) is what the
//! core's `Task::take_late_cuts` counts: the loader allows one operator with a late side output
//! per chain.

use super::{LateSnapshot, OutputRow};
use std::collections::BTreeMap;

/// Late elements sent to a late side output, per sending operator (its index in
/// `JobSpec::operators`), each in time order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LateRecords(BTreeMap<usize, Vec<OutputRow>>);

impl LateRecords {
    /// Records `row`, sent by operator `operator`.
    pub fn push(&mut self, operator: usize, row: OutputRow) {
        self.0.entry(operator).or_default().push(row);
    }

    /// The rows operator `operator` sent, in time order (empty when it sent none).
    pub fn of(&self, operator: usize) -> &[OutputRow] {
        self.0.get(&operator).map_or(&[], Vec::as_slice)
    }

    /// Every operator's rows, operator by operator (in `JobSpec::operators` order).
    pub fn by_operator(&self) -> impl Iterator<Item = (usize, &[OutputRow])> + '_ {
        self.0.iter().map(|(o, rows)| (*o, rows.as_slice()))
    }

    /// Every row, operator by operator.
    pub fn iter(&self) -> impl Iterator<Item = &OutputRow> + '_ {
        self.0.values().flatten()
    }

    /// Mutable rows of operator `operator` (tests that hand-make a run).
    pub fn of_mut(&mut self, operator: usize) -> &mut Vec<OutputRow> {
        self.0.entry(operator).or_default()
    }

    /// How many rows in all.
    pub fn len(&self) -> usize {
        self.0.values().map(Vec::len).sum()
    }

    /// Whether no operator sent a late element.
    pub fn is_empty(&self) -> bool {
        self.0.values().all(Vec::is_empty)
    }
}

/// The snapshot cuts of late elements ([`LateSnapshot`]), per sending operator as
/// [`LateRecords`]: `late_before` counts that operator's rows of the attempt.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LateSnapshots(BTreeMap<usize, Vec<LateSnapshot>>);

impl LateSnapshots {
    /// Records `snapshot` of operator `operator`'s task.
    pub fn push(&mut self, operator: usize, snapshot: LateSnapshot) {
        self.0.entry(operator).or_default().push(snapshot);
    }

    /// The cuts of operator `operator`'s tasks, in time order.
    pub fn of(&self, operator: usize) -> &[LateSnapshot] {
        self.0.get(&operator).map_or(&[], Vec::as_slice)
    }

    /// How many cuts in all.
    pub fn len(&self) -> usize {
        self.0.values().map(Vec::len).sum()
    }

    /// Whether no cut was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.values().all(Vec::is_empty)
    }
}
