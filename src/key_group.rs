//! Key groups and max parallelism as in Flink's `KeyGroupRangeAssignment`, `KeyGroupRange` and the scheduler's max-parallelism defaulting and restore checks.
//!
//! A keyed operator's state is split into `max_parallelism` **key groups**; a key belongs to
//! one key group for the life of the job (and of every job restored from its checkpoints), and
//! each parallel subtask owns one contiguous **range** of key groups. Rescaling moves whole key
//! groups between subtasks, never single keys (semantics §12.1).
//!
//! The formulas are Flink's, the key hash included: the key group of a key is
//! `murmurHash(key.hashCode()) % max_parallelism`, with the `hashCode()` of the Java type the
//! key stands for (`String`, `Long`, `Tuple2<String, Long>`; [`crate::java_hash`]). Then
//! `operator index = key_group * parallelism / max_parallelism`, and subtask `i` owns the key
//! groups `[ceil(i * max / p), floor(((i + 1) * max - 1) / p)]`.
//!
//! With the default max parallelism of 128 this is exactly the routing of
//! [`crate::operator::key_group_route`], which existing jobs keep.

use crate::java_hash::{java_hash_code, murmur_hash};
use crate::record::Value;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// Flink's `KeyGroupRangeAssignment.DEFAULT_LOWER_BOUND_MAX_PARALLELISM` (2^7).
pub const DEFAULT_LOWER_BOUND_MAX_PARALLELISM: u32 = 1 << 7;

/// Flink's `KeyGroupRangeAssignment.UPPER_BOUND_MAX_PARALLELISM` (2^15, inclusive).
pub const UPPER_BOUND_MAX_PARALLELISM: u32 = 1 << 15;

/// One key group: an index in `0..max_parallelism`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyGroup(pub u32);

impl fmt::Display for KeyGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "kg{}", self.0)
    }
}

/// A contiguous range of key groups, Flink's `KeyGroupRange` (inclusive bounds; the empty range
/// is Flink's `EMPTY_KEY_GROUP_RANGE`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KeyGroupRange {
    start: u32,
    /// One past the last key group; `start == end_exclusive` is the (normalised) empty range.
    end_exclusive: u32,
}

impl KeyGroupRange {
    /// `KeyGroupRange.of(start, end)`: the key groups `start..=end`; empty when `end < start`.
    pub fn of(start: u32, end_inclusive: u32) -> KeyGroupRange {
        if end_inclusive < start {
            KeyGroupRange::empty()
        } else {
            KeyGroupRange { start, end_exclusive: end_inclusive + 1 }
        }
    }

    /// Flink's `EMPTY_KEY_GROUP_RANGE`.
    pub fn empty() -> KeyGroupRange {
        KeyGroupRange { start: 0, end_exclusive: 0 }
    }

    /// The first key group (0 for the empty range).
    pub fn start(&self) -> u32 {
        self.start
    }

    /// The last key group, None for the empty range.
    pub fn end_inclusive(&self) -> Option<u32> {
        (!self.is_empty()).then(|| self.end_exclusive - 1)
    }

    /// `getNumberOfKeyGroups()`.
    pub fn len(&self) -> u32 {
        self.end_exclusive - self.start
    }

    /// Whether the range holds no key group.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `contains(keyGroup)`.
    pub fn contains(&self, kg: KeyGroup) -> bool {
        (self.start..self.end_exclusive).contains(&kg.0)
    }

    /// `getIntersection(other)`: the key groups in both; empty (normalised) when disjoint.
    pub fn intersection(&self, other: &KeyGroupRange) -> KeyGroupRange {
        let start = self.start.max(other.start);
        let end = self.end_exclusive.min(other.end_exclusive);
        if start < end {
            KeyGroupRange { start, end_exclusive: end }
        } else {
            KeyGroupRange::empty()
        }
    }

    /// The key groups in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = KeyGroup> {
        (self.start..self.end_exclusive).map(KeyGroup)
    }
}

impl fmt::Display for KeyGroupRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.end_inclusive() {
            Some(end) => write!(f, "KeyGroupRange{{{}..={end}}}", self.start),
            None => f.write_str("KeyGroupRange{}"),
        }
    }
}

/// A parallelism or max parallelism Flink's preconditions reject.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Error)]
pub enum ParallelismError {
    /// `checkParallelismPreconditions`: not in `1..=32768`.
    #[error("operator parallelism not within bounds: {parallelism} (must be in 1..={UPPER_BOUND_MAX_PARALLELISM})")]
    OutOfBounds {
        /// The refused parallelism.
        parallelism: u32,
    },
    /// `computeKeyGroupRangeForOperatorIndex` / the scheduler: parallelism above max parallelism.
    #[error("parallelism {parallelism} is above the max parallelism {max_parallelism}")]
    AboveMaxParallelism {
        /// The operator's parallelism.
        parallelism: u32,
        /// Its max parallelism (number of key groups).
        max_parallelism: u32,
    },
    /// An operator index outside `0..parallelism`.
    #[error("operator index {index} outside 0..{parallelism}")]
    IndexOutOfRange {
        /// The subtask index asked for.
        index: u32,
        /// The operator's parallelism.
        parallelism: u32,
    },
}

/// `KeyGroupRangeAssignment.checkParallelismPreconditions`: `0 < parallelism <= 32768`.
pub fn check_parallelism_preconditions(parallelism: u32) -> Result<(), ParallelismError> {
    if (1..=UPPER_BOUND_MAX_PARALLELISM).contains(&parallelism) {
        Ok(())
    } else {
        Err(ParallelismError::OutOfBounds { parallelism })
    }
}

/// `KeyGroupRangeAssignment.computeDefaultMaxParallelism`: the max parallelism of an operator
/// whose user did not set one: `roundUpToPowerOfTwo(p + p / 2)`, at least 128, at most 32768.
/// It is 128 for every parallelism up to 85 (85 + 42 = 127), 256 from 86 to 171.
pub fn compute_default_max_parallelism(parallelism: u32) -> Result<u32, ParallelismError> {
    check_parallelism_preconditions(parallelism)?;
    let wanted = (parallelism + parallelism / 2).next_power_of_two();
    Ok(wanted.clamp(DEFAULT_LOWER_BOUND_MAX_PARALLELISM, UPPER_BOUND_MAX_PARALLELISM))
}

/// `computeKeyGroupForKeyHash(keyHash, maxParallelism)`: `murmurHash(keyHash) %
/// maxParallelism` (the murmur hash is never negative). Panics when `max_parallelism` is 0 (a
/// caller bug: every max parallelism is validated).
pub fn compute_key_group_for_key_hash(key_hash: i32, max_parallelism: u32) -> KeyGroup {
    assert!(max_parallelism > 0, "max parallelism 0");
    KeyGroup(murmur_hash(key_hash).unsigned_abs() % max_parallelism)
}

/// `assignToKeyGroup(key, maxParallelism)`: [`compute_key_group_for_key_hash`] of the key's
/// Java `hashCode()` ([`java_hash_code`]).
pub fn assign_to_key_group(key: &Value, max_parallelism: u32) -> KeyGroup {
    compute_key_group_for_key_hash(java_hash_code(key), max_parallelism)
}

/// `computeOperatorIndexForKeyGroup(maxParallelism, parallelism, keyGroupId)`:
/// `key_group * parallelism / max_parallelism`.
pub fn compute_operator_index_for_key_group(max_parallelism: u32, parallelism: u32, kg: KeyGroup) -> u32 {
    assert!(max_parallelism > 0 && kg.0 < max_parallelism, "{kg} outside max parallelism {max_parallelism}");
    (u64::from(kg.0) * u64::from(parallelism) / u64::from(max_parallelism)) as u32
}

/// `assignKeyToParallelOperator(key, maxParallelism, parallelism)`: the subtask a key is routed
/// to.
pub fn assign_key_to_parallel_operator(key: &Value, max_parallelism: u32, parallelism: u32) -> u32 {
    compute_operator_index_for_key_group(max_parallelism, parallelism, assign_to_key_group(key, max_parallelism))
}

/// `computeKeyGroupRangeForOperatorIndex(maxParallelism, parallelism, operatorIndex)`: the key
/// groups subtask `index` owns, `[ceil(index * max / p), floor(((index + 1) * max - 1) / p)]`.
pub fn compute_key_group_range_for_operator_index(
    max_parallelism: u32,
    parallelism: u32,
    index: u32,
) -> Result<KeyGroupRange, ParallelismError> {
    check_parallelism_preconditions(parallelism)?;
    check_parallelism_preconditions(max_parallelism)?;
    if max_parallelism < parallelism {
        return Err(ParallelismError::AboveMaxParallelism { parallelism, max_parallelism });
    }
    if index >= parallelism {
        return Err(ParallelismError::IndexOutOfRange { index, parallelism });
    }
    let (max, p, i) = (u64::from(max_parallelism), u64::from(parallelism), u64::from(index));
    let start = (i * max).div_ceil(p);
    let end = ((i + 1) * max - 1) / p;
    Ok(KeyGroupRange::of(start as u32, end as u32))
}

/// `StateAssignmentOperation.createKeyGroupPartitions(numberKeyGroups, parallelism)`: the range
/// of every subtask, in subtask order.
pub fn create_key_group_partitions(
    max_parallelism: u32,
    parallelism: u32,
) -> Result<Vec<KeyGroupRange>, ParallelismError> {
    (0..parallelism).map(|i| compute_key_group_range_for_operator_index(max_parallelism, parallelism, i)).collect()
}

/// How an operator's max parallelism was configured (Flink: `setMaxParallelism` or
/// `pipeline.max-parallelism`, else `JobVertex.MAX_PARALLELISM_DEFAULT`).
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum MaxParallelism {
    /// Not set: derived from the parallelism ([`compute_default_max_parallelism`]) and replaced
    /// by a restored checkpoint's max parallelism.
    #[default]
    Auto,
    /// Set by the user: a restore from a checkpoint with another max parallelism fails.
    Explicit(u32),
}

/// A restore's max parallelism the new job cannot accept (`StateAssignmentOperation.
/// checkParallelismPreconditions`, `Checkpoints.loadAndValidateCheckpoint`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, Error)]
pub enum MaxParallelismRestoreError {
    /// The checkpoint's max parallelism is below the new parallelism: the key groups cannot
    /// be spread over that many subtasks.
    #[error(
        "the maximum parallelism ({restored}) of the restored state is lower than the configured parallelism ({parallelism})"
    )]
    BelowParallelism {
        /// The max parallelism the restored state was written with.
        restored: u32,
        /// The new program's parallelism.
        parallelism: u32,
    },
    /// The user set a max parallelism that differs from the checkpoint's.
    #[error("max parallelism mismatch between checkpoint/savepoint state ({restored}) and new program ({configured})")]
    Changed {
        /// The max parallelism the restored state was written with.
        restored: u32,
        /// The max parallelism the new program sets explicitly.
        configured: u32,
    },
}

/// One vertex's parallelism and effective max parallelism, Flink's
/// `DefaultVertexParallelismInfo` as `SchedulerBase.computeVertexParallelismStore` builds it.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub struct VertexParallelism {
    /// The number of parallel subtasks.
    pub parallelism: u32,
    /// The number of key groups.
    pub max_parallelism: u32,
    /// The max parallelism was derived, not set: a restore may replace it.
    pub auto_configured: bool,
}

impl VertexParallelism {
    /// Validates `parallelism` and the configured max parallelism (both in `1..=32768`,
    /// parallelism at most the max parallelism) and derives the default when not set.
    pub fn new(parallelism: u32, configured: MaxParallelism) -> Result<VertexParallelism, ParallelismError> {
        check_parallelism_preconditions(parallelism)?;
        let (max_parallelism, auto_configured) = match configured {
            MaxParallelism::Auto => (compute_default_max_parallelism(parallelism)?, true),
            MaxParallelism::Explicit(m) => {
                check_parallelism_preconditions(m)?;
                (m, false)
            }
        };
        if parallelism > max_parallelism {
            return Err(ParallelismError::AboveMaxParallelism { parallelism, max_parallelism });
        }
        Ok(VertexParallelism { parallelism, max_parallelism, auto_configured })
    }

    /// `canRescaleMaxParallelism(desired)`: only a derived max parallelism may be replaced, and
    /// only by one within bounds.
    pub fn can_rescale_max_parallelism(&self, desired: u32) -> bool {
        self.auto_configured && check_parallelism_preconditions(desired).is_ok()
    }

    /// The vertex as it runs when restored from state taken with max parallelism `restored`:
    /// the restored max parallelism must be at least the parallelism; a different max
    /// parallelism is adopted when this one was derived, and fails the restore when the user
    /// set it.
    pub fn restored_with(&self, restored: u32) -> Result<VertexParallelism, MaxParallelismRestoreError> {
        if restored < self.parallelism {
            return Err(MaxParallelismRestoreError::BelowParallelism { restored, parallelism: self.parallelism });
        }
        if restored == self.max_parallelism {
            return Ok(*self);
        }
        if self.can_rescale_max_parallelism(restored) {
            Ok(VertexParallelism { max_parallelism: restored, ..*self })
        } else {
            Err(MaxParallelismRestoreError::Changed { restored, configured: self.max_parallelism })
        }
    }

    /// The key groups subtask `index` owns.
    pub fn key_group_range(&self, index: u32) -> KeyGroupRange {
        compute_key_group_range_for_operator_index(self.max_parallelism, self.parallelism, index)
            .expect("a validated vertex has valid ranges")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::{key_group, key_group_route, MAX_PARALLELISM};

    #[test]
    fn default_max_parallelism_keeps_128_up_to_85() {
        for p in 1..=85 {
            assert_eq!(compute_default_max_parallelism(p), Ok(128), "p = {p}");
        }
        assert_eq!(compute_default_max_parallelism(86), Ok(256));
        assert_eq!(compute_default_max_parallelism(170), Ok(256));
        assert_eq!(compute_default_max_parallelism(171), Ok(256));
        assert_eq!(compute_default_max_parallelism(172), Ok(512));
        assert_eq!(compute_default_max_parallelism(UPPER_BOUND_MAX_PARALLELISM), Ok(UPPER_BOUND_MAX_PARALLELISM));
        assert!(compute_default_max_parallelism(0).is_err());
        assert!(compute_default_max_parallelism(UPPER_BOUND_MAX_PARALLELISM + 1).is_err());
    }

    #[test]
    fn routing_at_128_is_the_existing_routing() {
        for i in 0..2_000i64 {
            let k = Value::Int(i);
            assert_eq!(assign_to_key_group(&k, MAX_PARALLELISM).0, key_group(&k));
            for p in [1, 2, 3, 7, 85, 128] {
                assert_eq!(assign_key_to_parallel_operator(&k, MAX_PARALLELISM, p), key_group_route(&k, p));
            }
        }
    }

    #[test]
    fn ranges_partition_the_key_groups() {
        for (max, p) in [(128, 1), (128, 3), (128, 128), (13, 2), (256, 100), (32768, 7)] {
            let ranges = create_key_group_partitions(max, p).unwrap();
            let mut next = 0;
            for (i, r) in ranges.iter().enumerate() {
                assert_eq!(r.start(), next, "contiguous");
                next = r.start() + r.len();
                for kg in r.iter() {
                    assert_eq!(compute_operator_index_for_key_group(max, p, kg), i as u32);
                }
            }
            assert_eq!(next, max);
        }
        assert!(compute_key_group_range_for_operator_index(2, 3, 0).is_err());
        assert!(compute_key_group_range_for_operator_index(128, 3, 3).is_err());
    }

    #[test]
    fn restore_adopts_or_rejects_a_different_max_parallelism() {
        let auto = VertexParallelism::new(3, MaxParallelism::Auto).unwrap();
        assert_eq!(auto.max_parallelism, 128);
        assert_eq!(auto.restored_with(256).unwrap().max_parallelism, 256);
        assert_eq!(
            auto.restored_with(2),
            Err(MaxParallelismRestoreError::BelowParallelism { restored: 2, parallelism: 3 })
        );
        let explicit = VertexParallelism::new(3, MaxParallelism::Explicit(64)).unwrap();
        assert_eq!(explicit.restored_with(64).unwrap(), explicit);
        assert_eq!(
            explicit.restored_with(128),
            Err(MaxParallelismRestoreError::Changed { restored: 128, configured: 64 })
        );
        assert!(VertexParallelism::new(65, MaxParallelism::Explicit(64)).is_err());
    }

    /// The bound is strict: Flink rejects a restore only when the state's max parallelism is
    /// *lower* than the parallelism (`StateAssignmentOperation.checkParallelismPreconditions`),
    /// so state written with max parallelism equal to the new parallelism (one key group per
    /// subtask) restores, whether the max parallelism was derived (adopted) or set (the same).
    #[test]
    fn restore_with_max_parallelism_equal_to_the_parallelism_is_accepted() {
        let auto = VertexParallelism::new(4, MaxParallelism::Auto).unwrap();
        let adopted = auto.restored_with(4).unwrap();
        assert_eq!((adopted.parallelism, adopted.max_parallelism), (4, 4));
        for index in 0..4 {
            assert_eq!(adopted.key_group_range(index), KeyGroupRange::of(index, index));
        }
        let explicit = VertexParallelism::new(4, MaxParallelism::Explicit(4)).unwrap();
        assert_eq!(explicit.restored_with(4), Ok(explicit));
        assert_eq!(
            explicit.restored_with(3),
            Err(MaxParallelismRestoreError::BelowParallelism { restored: 3, parallelism: 4 })
        );
    }

    /// `KeyGroupRangeTest#testKeyGroupIntersection`'s cases: a contained range, disjoint
    /// ranges (the empty range), an overlap, ranges sharing one key group; the intersection is
    /// symmetric and a range intersected with itself is itself. Plus the range's accessors.
    #[test]
    fn key_group_range_intersection_and_accessors_are_flinks() {
        let of = KeyGroupRange::of;
        for (a, b, want) in [
            (of(0, 10), of(3, 7), of(3, 7)),
            (of(0, 10), of(0, 10), of(0, 10)),
            (of(0, 5), of(6, 10), KeyGroupRange::empty()),
            (of(0, 10), of(5, 20), of(5, 10)),
            (of(0, 10), of(10, 17), of(10, 10)),
        ] {
            assert_eq!(a.intersection(&b), want, "{a} ∩ {b}");
            assert_eq!(b.intersection(&a), want, "{b} ∩ {a}");
        }
        let r = of(3, 7);
        assert_eq!((r.start(), r.end_inclusive(), r.len(), r.is_empty()), (3, Some(7), 5, false));
        assert!(r.contains(KeyGroup(3)) && r.contains(KeyGroup(7)));
        assert!(!r.contains(KeyGroup(2)) && !r.contains(KeyGroup(8)));
        assert_eq!(r.iter().map(|k| k.0).collect::<Vec<_>>(), vec![3, 4, 5, 6, 7]);
        assert_eq!(r.to_string(), "KeyGroupRange{3..=7}");
        assert_eq!(KeyGroup(4).to_string(), "kg4");
        let e = of(5, 4);
        assert_eq!(e, KeyGroupRange::empty(), "end before start is the empty range");
        assert_eq!((e.len(), e.is_empty(), e.end_inclusive()), (0, true, None));
        assert!(!e.contains(KeyGroup(0)));
        assert_eq!(e.to_string(), "KeyGroupRange{}");
        let one = of(0, 0);
        assert_eq!((one.len(), one.is_empty(), one.end_inclusive()), (1, false, Some(0)));
    }

    /// `KeyGroupRangeAssignment.checkParallelismPreconditions` bounds (1 and 32768 accepted, 0
    /// and 32769 refused), the ranges of `computeKeyGroupRangeForOperatorIndex` for a max
    /// parallelism that does not divide evenly (`KeyGroupRangeAssignmentTest`), and
    /// `DefaultVertexParallelismInfo#canRescaleMaxParallelism` (only a derived max parallelism,
    /// only to a value within bounds).
    #[test]
    fn parallelism_bounds_ranges_and_max_parallelism_rescale() {
        assert_eq!(check_parallelism_preconditions(1), Ok(()));
        assert_eq!(check_parallelism_preconditions(UPPER_BOUND_MAX_PARALLELISM), Ok(()));
        for bad in [0, UPPER_BOUND_MAX_PARALLELISM + 1] {
            assert_eq!(check_parallelism_preconditions(bad), Err(ParallelismError::OutOfBounds { parallelism: bad }));
        }
        let ranges = create_key_group_partitions(10, 3).unwrap();
        assert_eq!(ranges, vec![KeyGroupRange::of(0, 3), KeyGroupRange::of(4, 6), KeyGroupRange::of(7, 9)]);
        assert_eq!(compute_key_group_range_for_operator_index(3, 3, 2), Ok(KeyGroupRange::of(2, 2)));
        assert_eq!(
            compute_key_group_range_for_operator_index(2, 3, 0),
            Err(ParallelismError::AboveMaxParallelism { parallelism: 3, max_parallelism: 2 })
        );
        assert_eq!(
            compute_key_group_range_for_operator_index(128, 3, 3),
            Err(ParallelismError::IndexOutOfRange { index: 3, parallelism: 3 })
        );
        let auto = VertexParallelism::new(3, MaxParallelism::Auto).unwrap();
        assert!(auto.auto_configured);
        assert!(auto.can_rescale_max_parallelism(UPPER_BOUND_MAX_PARALLELISM));
        assert!(!auto.can_rescale_max_parallelism(UPPER_BOUND_MAX_PARALLELISM + 1));
        assert!(!auto.can_rescale_max_parallelism(0));
        let explicit = VertexParallelism::new(3, MaxParallelism::Explicit(64)).unwrap();
        assert!(!explicit.auto_configured && !explicit.can_rescale_max_parallelism(128));
        assert_eq!(explicit.key_group_range(2), KeyGroupRange::of(43, 63));
        assert_eq!(VertexParallelism::new(64, MaxParallelism::Explicit(64)).map(|v| v.max_parallelism), Ok(64));
        assert_eq!(
            VertexParallelism::new(2, MaxParallelism::Explicit(UPPER_BOUND_MAX_PARALLELISM + 1)),
            Err(ParallelismError::OutOfBounds { parallelism: UPPER_BOUND_MAX_PARALLELISM + 1 })
        );
    }
}
