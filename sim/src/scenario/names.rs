//! Scenario names of the core's unit enums read from their serde derives: one name table per enum (the core's `#[serde(rename_all)]`), used by the loader and by `emit.rs`; and the checker names a scenario may cite.
//!
//! A unit enum of the core that derives `Serialize`/`Deserialize` already says how each variant
//! is spelled (`CheckpointingMode` kebab-case, `Retention` SCREAMING_SNAKE_CASE). The scenario
//! format uses exactly those spellings, so the loader parses and the emitter writes through the
//! derives instead of keeping its own `match` tables.

use serde::de::value::{Error as ValueError, StrDeserializer};
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::Serialize;

/// Every checker's name, as scenario files (`caught_by`, `checkers`) and the CLI spell it: a
/// name of the scenario format, so declared here; `crate::check::CHECKERS` re-exports it.
pub const CHECKERS: [&str; 13] = [
    "exactly-once",
    "at-least-once",
    "state",
    "offsets",
    "coordinator",
    "restart",
    "liveness",
    "tolerable-failure",
    "retention",
    "alignment",
    "windows",
    "stop",
    "barriers",
];

/// The serde name of a unit variant (`CheckpointingMode::AtLeastOnce` -> `at-least-once`).
/// Panics only for a value that does not serialize to a string, i.e. not a unit variant: a
/// programming error, never scenario input.
pub fn name_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("name_of: not a unit enum variant: {other:?}"),
    }
}

/// The unit variant whose serde name is exactly `s`, if any.
pub fn parse_as<T: DeserializeOwned>(s: &str) -> Option<T> {
    let de: StrDeserializer<'_, ValueError> = s.into_deserializer();
    T::deserialize(de).ok()
}

/// The serde names of `values`, comma separated (for "expected ..." messages).
pub fn list_of<T: Serialize>(values: &[T]) -> String {
    values.iter().map(name_of).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ckptsim::config::{CheckpointingMode, Retention};

    #[test]
    fn names_round_trip_and_match_the_scenario_format() {
        assert_eq!(name_of(&CheckpointingMode::AtLeastOnce), "at-least-once");
        assert_eq!(name_of(&Retention::RetainOnCancellation), "RETAIN_ON_CANCELLATION");
        for m in [CheckpointingMode::ExactlyOnce, CheckpointingMode::AtLeastOnce] {
            assert_eq!(parse_as::<CheckpointingMode>(&name_of(&m)), Some(m));
        }
        assert_eq!(parse_as::<CheckpointingMode>("AtLeastOnce"), None);
        assert_eq!(parse_as::<CheckpointingMode>("at-least-once "), None);
        assert_eq!(parse_as::<Retention>("retain_on_cancellation"), None);
    }

    #[test]
    fn the_fault_name_table_is_the_serde_names_and_parses_back() {
        use crate::scenario::{FaultName, FaultSpec};
        for (k, listed) in FaultName::ALL.into_iter().zip(FaultSpec::NAMES) {
            assert_eq!(k.name(), name_of(&k), "name() and the serde derive agree");
            assert_eq!(k.name(), listed);
            assert_eq!(FaultName::parse(k.name()), Some(k));
            assert_eq!(format!("{k:<20}|").len(), 21, "Display pads");
        }
        assert_eq!(FaultName::parse("tm_crash"), None);
        assert_eq!(FaultName::parse("TmCrash"), None);
        let disruptive: Vec<&str> =
            FaultName::ALL.into_iter().filter(|k| k.is_disruptive()).map(FaultName::name).collect();
        assert_eq!(
            disruptive,
            [
                "task-failure",
                "tm-crash",
                "jm-crash",
                "partition",
                "message-loss",
                "storage-failure",
                "broker-outage",
                "sink-store-outage"
            ]
        );
    }
}
