//! Named built-in user functions (map, flat_map, filter by name) and the keyed running aggregates, as scenario files name them; the operators that apply them are in `operator.rs`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A named built-in user function.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Udf {
    /// map: any value, unchanged.
    Identity,
    /// map: `Str s` -> `Str(s.to_uppercase())`.
    Uppercase,
    /// flat_map: `Str s` -> one `Str` per whitespace-separated word (no empty words; Java's
    /// `split("\\s")` would also yield empty strings between repeated spaces).
    SplitWords,
    /// flat_map: `Str s` -> `Pair(word, 1)` per whitespace-separated word (seed 004's word count).
    SplitWordsToPairs,
    /// map: `Str s` -> `Pair(s, 1)`.
    ToPairOne,
    /// map: `Str s` -> `Int`; throws when `s` is not a (signed, untrimmed) 64-bit integer, like
    /// Java's `Long.parseLong`.
    ParseInt,
    /// filter: keeps non-empty `Str`.
    DropEmpty,
    /// filter: keeps even `Int`.
    IsEven,
    /// map: `Str "k n"` -> `Pair(k, n)` (two whitespace-separated words, the second a 64-bit
    /// integer; throws otherwise): keyed numbers for windows that sum (a Flink job's
    /// `Tuple2<key, value>` source, as `EventTimeWindowCheckpointingITCase`'s).
    ParsePair,
    /// map: a number doubled, its key kept: `Pair(k, n)` -> `Pair(k, 2n)`, `Int n` -> `Int 2n`
    /// (wrapping like Java's `long`); throws on a `Str`. A stateless function for window results.
    DoubleValue,
    /// filter: keeps `Pair(_, n)` and `Int n` with an even `n`; throws on a `Str`.
    EvenValue,
    /// map: a joined row of two keyed numbers `Str "(k,a)|(k2,b)"` -> `Pair(k, a + b)`
    /// (wrapping like Java's `long`); throws on anything else. What a join function summing both
    /// sides does (`(l, r) -> Tuple2.of(l.f0, l.f1 + r.f1)`), applied to the model's
    /// `left|right` rows (session 35: functions of numbers after a late-fed join).
    SumJoined,
}

/// What a user function does with one input.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq)]
pub enum UdfShape {
    /// Exactly one output (map).
    OneToOne,
    /// Any number of outputs (flat_map).
    OneToMany,
    /// Keep or drop (filter).
    Predicate,
}

impl fmt::Display for UdfShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UdfShape::OneToOne => "map",
            UdfShape::OneToMany => "flat_map",
            UdfShape::Predicate => "filter",
        })
    }
}

impl Udf {
    /// Every function.
    pub const ALL: [Udf; 12] = [
        Udf::Identity,
        Udf::Uppercase,
        Udf::SplitWords,
        Udf::SplitWordsToPairs,
        Udf::ToPairOne,
        Udf::ParseInt,
        Udf::DropEmpty,
        Udf::IsEven,
        Udf::ParsePair,
        Udf::DoubleValue,
        Udf::EvenValue,
        Udf::SumJoined,
    ];

    /// Every name [`Udf::parse`] accepts, in [`Udf::ALL`] order (for error messages): the
    /// serde names (`snake_case`), the one name table of the enum.
    pub fn names() -> Vec<&'static str> {
        crate::names::variant_names(&Udf::ALL)
    }

    /// The function's scenario name (`function = "..."`).
    pub fn name(self) -> &'static str {
        crate::names::variant_name(&self)
    }

    /// The function of a scenario name; `None` for any other.
    pub fn parse(s: &str) -> Option<Udf> {
        crate::names::by_name(&Udf::ALL, s)
    }

    /// Whether it is defined on an aggregate's or a window's results `Pair(k, n)` (and `Int n`):
    /// the functions that may stand between an event-time window and its sink.
    pub fn takes_window_results(self) -> bool {
        matches!(self, Udf::Identity | Udf::DoubleValue | Udf::EvenValue)
    }

    /// Whether it is a map, a flat_map or a filter function.
    pub fn shape(self) -> UdfShape {
        match self {
            Udf::Identity
            | Udf::Uppercase
            | Udf::ToPairOne
            | Udf::ParseInt
            | Udf::ParsePair
            | Udf::DoubleValue
            | Udf::SumJoined => UdfShape::OneToOne,
            Udf::SplitWords | Udf::SplitWordsToPairs => UdfShape::OneToMany,
            Udf::DropEmpty | Udf::IsEven | Udf::EvenValue => UdfShape::Predicate,
        }
    }
}

impl fmt::Display for Udf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A running aggregate over a keyed stream (`keyBy(..).sum/max/min`, or a count).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// `sum`: the running sum of the values per key.
    Sum,
    /// `count`: how many records of the key arrived.
    Count,
    /// `max`: the largest value per key.
    Max,
    /// `min`: the smallest value per key.
    Min,
}

impl Aggregate {
    /// Every aggregate.
    pub const ALL: [Aggregate; 4] = [Aggregate::Sum, Aggregate::Count, Aggregate::Max, Aggregate::Min];
    /// The aggregates' scenario names (`kind = "..."`), in [`Aggregate::ALL`] order: the serde
    /// names (`snake_case`).
    pub fn names() -> Vec<&'static str> {
        crate::names::variant_names(&Aggregate::ALL)
    }

    /// The aggregate's scenario name.
    pub fn name(self) -> &'static str {
        crate::names::variant_name(&self)
    }

    /// The aggregate of a scenario name; `None` for any other.
    pub fn parse(s: &str) -> Option<Aggregate> {
        crate::names::by_name(&Aggregate::ALL, s)
    }

    /// Folds `x` into the accumulator (`None` before the first element). Sums wrap like Java's `long`.
    pub(crate) fn fold(self, acc: Option<i64>, x: i64) -> i64 {
        match (self, acc) {
            (Aggregate::Sum, a) => a.unwrap_or(0).wrapping_add(x),
            (Aggregate::Count, a) => a.unwrap_or(0) + 1,
            (Aggregate::Max, Some(a)) => a.max(x),
            (Aggregate::Min, Some(a)) => a.min(x),
            (Aggregate::Max | Aggregate::Min, None) => x,
        }
    }
}

impl fmt::Display for Aggregate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
