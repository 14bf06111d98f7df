//! The watermark in front of a task's operators (child module of `watermark.rs`): one `StatusWatermarkValve` over every input channel, or, for a two-input operator under Flink 1.11, one valve per input gate combined as `AbstractStreamOperator#processWatermark1/2` does (semantics §11.2).
//!
//! Flink gives a one-input task (a union too: its gates form one `UnionInputGate`; and a window
//! join, which Flink builds as a union of its tagged inputs) one valve over all channels. A
//! two-input task has one valve per input, and the operator combines the
//! two inputs' watermarks. Up to 1.13 that is the plain minimum of both inputs' last
//! watermarks, whatever their status, so an idle input holds the operator back; the task is
//! IDLE once both inputs are, ACTIVE again when one is (1.11 `StreamTwoInputProcessor`'s status
//! maintainer). Since 1.14 (FLINK-18934) the minimum leaves idle inputs out; under 2.3 that
//! gives the same output as one valve over every channel (an input whose channels are all idle
//! flushes its maximum, and the combination over all-idle inputs takes the maximum as well,
//! FLINK-38454), so [`InputValve::for_gates`] keeps the one valve there.

use super::{StatusWatermarkValve, Watermark, WatermarkEvent, WatermarkStatus};
use crate::profile::Profile;
use std::collections::VecDeque;

/// The watermark machinery between a task's input channels and its operators.
#[derive(Clone, Debug, Hash)]
pub enum InputValve {
    /// One valve over every input channel.
    One(StatusWatermarkValve),
    /// One valve per input gate, combined by the plain minimum (1.11 two-input operators).
    PerGate(GateValves),
}

impl InputValve {
    /// A valve over `num_channels` channels of one input.
    pub fn one(num_channels: u32) -> InputValve {
        InputValve::One(StatusWatermarkValve::new(num_channels))
    }

    /// The valve in front of an operator whose input gates are `gate_of` (per channel):
    /// per gate under a profile whose two-input operators keep idle inputs in the minimum
    /// ([`Profile::two_input_operator_skips_idle_input`] false) when the operator is a
    /// two-input one, else one valve over every channel.
    pub fn for_gates(gate_of: &[u32], two_input: bool, profile: Profile) -> InputValve {
        if two_input && !profile.two_input_operator_skips_idle_input() {
            InputValve::PerGate(GateValves::new(gate_of))
        } else {
            InputValve::one(gate_of.len() as u32)
        }
    }

    /// The planted `idle-input-holds-watermark` variant on every valve.
    pub fn with_idle_channels_held(self) -> InputValve {
        self.map_valves(StatusWatermarkValve::with_idle_channels_held)
    }

    /// The planted `resumed-channel-aligned-at-once` variant on every valve.
    pub fn with_resumed_channels_aligned(self) -> InputValve {
        self.map_valves(StatusWatermarkValve::with_resumed_channels_aligned)
    }

    /// The planted `valve-takes-max` variant on every valve.
    pub fn with_max_over_channels(self) -> InputValve {
        self.map_valves(StatusWatermarkValve::with_max_over_channels)
    }

    /// `f` applied to every valve (the one, or each gate's).
    fn map_valves(self, f: fn(StatusWatermarkValve) -> StatusWatermarkValve) -> InputValve {
        match self {
            InputValve::One(v) => InputValve::One(f(v)),
            InputValve::PerGate(mut g) => {
                g.valves = g.valves.into_iter().map(f).collect();
                InputValve::PerGate(g)
            }
        }
    }

    /// Whether the inputs are combined per gate (a 1.11 two-input operator).
    pub fn per_input(&self) -> bool {
        matches!(self, InputValve::PerGate(_))
    }

    /// The last watermark handed to the operators.
    pub fn last_output(&self) -> Watermark {
        match self {
            InputValve::One(v) => v.last_output(),
            InputValve::PerGate(g) => g.combined,
        }
    }

    /// The task's input status (IDLE once every channel, or every input, is idle).
    pub fn status(&self) -> WatermarkStatus {
        match self {
            InputValve::One(v) => v.status(),
            InputValve::PerGate(g) => g.status,
        }
    }

    /// A watermark on input channel `ch` (numbered over all gates).
    pub fn input_watermark(&mut self, ch: u32, wm: Watermark) {
        match self {
            InputValve::One(v) => v.input_watermark(ch, wm),
            InputValve::PerGate(g) => {
                let (gate, local) = g.locate(ch);
                g.valves[gate].input_watermark(local, wm);
                g.combine(gate);
            }
        }
    }

    /// A watermark status on input channel `ch`.
    pub fn input_status(&mut self, ch: u32, status: WatermarkStatus) {
        match self {
            InputValve::One(v) => v.input_status(ch, status),
            InputValve::PerGate(g) => {
                let (gate, local) = g.locate(ch);
                g.valves[gate].input_status(local, status);
                g.combine(gate);
            }
        }
    }

    /// The next watermark or status change for the operators and downstream.
    pub fn poll_output(&mut self) -> Option<WatermarkEvent> {
        match self {
            InputValve::One(v) => v.poll_output(),
            InputValve::PerGate(g) => g.outputs.pop_front(),
        }
    }

    /// Panics if a valve breaks its rules or the combination is above an input's watermark.
    pub fn invariants(&self) {
        match self {
            InputValve::One(v) => v.invariants(),
            InputValve::PerGate(g) => g.invariants(),
        }
    }
}

/// 1.11's two-input combination: a valve per input gate, the operator's watermark the minimum
/// of the inputs' last watermarks (idle or not), the task IDLE once every input is.
#[derive(Clone, Debug, Hash)]
pub struct GateValves {
    /// Per channel: its gate and its index within the gate.
    channels: Vec<(usize, u32)>,
    valves: Vec<StatusWatermarkValve>,
    /// Per gate: the last watermark its valve emitted (`input1Watermark` / `input2Watermark`).
    inputs: Vec<Watermark>,
    /// Per gate: whether its valve is IDLE.
    idle: Vec<bool>,
    /// The operator's combined watermark (`combinedWatermark`).
    combined: Watermark,
    status: WatermarkStatus,
    outputs: VecDeque<WatermarkEvent>,
}

impl GateValves {
    fn new(gate_of: &[u32]) -> GateValves {
        let gates = gate_of.iter().max().map_or(0, |g| *g as usize + 1);
        let mut per_gate = vec![0u32; gates];
        let channels = gate_of
            .iter()
            .map(|g| {
                let g = *g as usize;
                per_gate[g] += 1;
                (g, per_gate[g] - 1)
            })
            .collect();
        GateValves {
            channels,
            valves: per_gate.iter().map(|n| StatusWatermarkValve::new(*n)).collect(),
            inputs: vec![Watermark::MIN; gates],
            idle: vec![false; gates],
            combined: Watermark::MIN,
            status: WatermarkStatus::Active,
            outputs: VecDeque::new(),
        }
    }

    fn locate(&self, ch: u32) -> (usize, u32) {
        self.channels[ch as usize]
    }

    /// Takes gate `gate`'s valve outputs in order: a watermark updates that input and the
    /// minimum over the inputs (emitted when it advances); a status updates the task's status.
    fn combine(&mut self, gate: usize) {
        while let Some(ev) = self.valves[gate].poll_output() {
            match ev {
                WatermarkEvent::Watermark(w) => {
                    self.inputs[gate] = w;
                    let min = self.inputs.iter().copied().min().unwrap_or(Watermark::MIN);
                    if min > self.combined {
                        self.combined = min;
                        self.outputs.push_back(WatermarkEvent::Watermark(min));
                    }
                }
                WatermarkEvent::Status(s) => {
                    self.idle[gate] = s == WatermarkStatus::Idle;
                    let all_idle = self.idle.iter().all(|i| *i);
                    let next = if all_idle { WatermarkStatus::Idle } else { WatermarkStatus::Active };
                    if next != self.status {
                        self.status = next;
                        self.outputs.push_back(WatermarkEvent::Status(next));
                    }
                }
            }
        }
        self.invariants();
    }

    fn invariants(&self) {
        for v in &self.valves {
            v.invariants();
        }
        let min = self.inputs.iter().copied().min().unwrap_or(Watermark::MIN);
        assert!(self.combined <= min || self.inputs.is_empty(), "combined watermark above an input's");
        assert_eq!(self.status == WatermarkStatus::Idle, self.idle.iter().all(|i| *i), "status is not every input's");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `TwoInputStreamTaskTest`'s idle phase on two gates of two channels: channels 1 and 2 go
    /// idle, channel 0 reaches 6, channel 3 reaches 5 and goes idle.
    fn idle_phase(v: &mut InputValve) -> Vec<WatermarkEvent> {
        for ch in 0..4 {
            v.input_watermark(ch, Watermark(4));
        }
        while v.poll_output().is_some() {}
        v.input_status(1, WatermarkStatus::Idle);
        v.input_status(2, WatermarkStatus::Idle);
        v.input_watermark(0, Watermark(6));
        v.input_watermark(3, Watermark(5));
        v.input_status(3, WatermarkStatus::Idle);
        std::iter::from_fn(|| v.poll_output()).collect()
    }

    #[test]
    fn a_1_11_two_input_operator_is_held_by_its_idle_input() {
        let mut v = InputValve::for_gates(&[0, 0, 1, 1], true, Profile::Flink111);
        assert!(v.per_input());
        assert_eq!(idle_phase(&mut v), vec![WatermarkEvent::Watermark(Watermark(5))]);
        assert_eq!(v.last_output(), Watermark(5));
        assert_eq!(v.status(), WatermarkStatus::Active);
        v.input_status(0, WatermarkStatus::Idle);
        assert_eq!(v.poll_output(), Some(WatermarkEvent::Status(WatermarkStatus::Idle)));
        v.input_status(2, WatermarkStatus::Active);
        v.input_status(1, WatermarkStatus::Active);
        assert_eq!(v.poll_output(), Some(WatermarkEvent::Status(WatermarkStatus::Active)));
        assert_eq!(v.poll_output(), None);
    }

    #[test]
    fn one_valve_for_a_union_and_for_2_x_two_input_operators() {
        for (two_input, profile) in [(false, Profile::Flink111), (true, Profile::Flink23), (false, Profile::Flink23)] {
            let mut v = InputValve::for_gates(&[0, 0, 1, 1], two_input, profile);
            assert!(!v.per_input());
            let want = vec![WatermarkEvent::Watermark(Watermark(5)), WatermarkEvent::Watermark(Watermark(6))];
            assert_eq!(idle_phase(&mut v), want, "{profile:?} two-input {two_input}");
        }
    }

    #[test]
    fn a_1_11_two_input_operator_takes_the_minimum_of_its_inputs() {
        let mut v = InputValve::for_gates(&[0, 1], true, Profile::Flink111);
        v.input_watermark(0, Watermark(3));
        assert_eq!(v.poll_output(), None, "input 2 is still at Long.MIN_VALUE");
        v.input_watermark(1, Watermark(7));
        assert_eq!(v.poll_output(), Some(WatermarkEvent::Watermark(Watermark(3))));
        v.input_watermark(0, Watermark(9));
        assert_eq!(v.poll_output(), Some(WatermarkEvent::Watermark(Watermark(7))));
        v.invariants();
    }
}
