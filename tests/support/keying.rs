//! Test support shared by `self_union_props.rs` and `two_input_props.rs`: a task's place among its operator's subtasks under a drawn max parallelism, and the key its records carry.

use ckptsim::key_group::{
    assign_key_to_parallel_operator, assign_to_key_group, compute_key_group_range_for_operator_index,
};
use ckptsim::record::Value;
use proptest::prelude::*;

/// The task's place among its operator's subtasks and the key its records carry: the `nth` key
/// of `k0, k1, ...` that a routing sends to subtask `subtask`.
#[derive(Clone, Debug)]
pub struct Keying {
    pub max_parallelism: u32,
    pub parallelism: u32,
    pub subtask: u32,
    pub key: String,
}

/// A key routing function: (key, max parallelism, parallelism) -> subtask.
pub type Route = fn(&Value, u32, u32) -> u32;

impl Keying {
    /// Subtask `subtask` of `parallelism` with `max_parallelism` key groups, fed the `nth` key
    /// of `k0, k1, ...` that `route` sends to it.
    pub fn new(max_parallelism: u32, parallelism: u32, subtask: u32, nth: usize, route: Route) -> Keying {
        let key = (0..)
            .map(|i| format!("k{i}"))
            .filter(|k| route(&Value::str(k), max_parallelism, parallelism) == subtask)
            .nth(nth)
            .expect("some key routes to every subtask");
        Keying { max_parallelism, parallelism, subtask, key }
    }

    /// Whether `key` lies in the key-group range a restore gives this subtask.
    pub fn owns(&self, key: &str) -> bool {
        let range = compute_key_group_range_for_operator_index(self.max_parallelism, self.parallelism, self.subtask)
            .expect("valid parallelism");
        range.contains(assign_to_key_group(&Value::str(key), self.max_parallelism))
    }
}

/// Max parallelism, parallelism, subtask, which of the keys routed there by the core's key-group
/// routing: the named sizes (one key group, a small prime, Flink's default, the largest) and a
/// range of small ones.
pub fn keying() -> impl Strategy<Value = Keying> {
    prop_oneof![Just(1u32), Just(7), Just(128), Just(32768), 1u32..=40]
        .prop_flat_map(|m| (Just(m), 1..=m.min(4)))
        .prop_flat_map(|(m, p)| (Just(m), Just(p), 0..p, 0usize..8))
        .prop_map(|(m, p, s, nth)| Keying::new(m, p, s, nth, assign_key_to_parallel_operator))
}
