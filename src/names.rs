//! One name table per enum: a unit variant's name is read from the enum's serde derive (`#[serde(rename_all = ..)]`), so `name()`, `Display`, parsing and (de)serialization cannot disagree.
//!
//! serde's derive hands a unit variant's (renamed) name to the serializer as a `&'static str`;
//! [`variant_name`] is a serializer that accepts only that and returns it. The enums that name
//! their variants this way: `JobStatus`, `ExecutionState`, `CheckpointFailureReason`,
//! `Variant`, `Udf`, `Aggregate`, `StartupMode`.

use serde::ser::{self, Impossible, Serialize, Serializer};
use std::fmt;

/// The serde name of a unit variant (`ExecutionState::Running` -> `RUNNING`). Panics for a
/// value that is not a unit variant: a programming error, never input.
pub(crate) fn variant_name<T: Serialize>(value: &T) -> &'static str {
    value.serialize(NameOnly).expect("a unit variant of an enum with a serde derive")
}

/// The serde name of each of `values`, in order.
pub(crate) fn variant_names<T: Serialize>(values: &[T]) -> Vec<&'static str> {
    values.iter().map(variant_name).collect()
}

/// The value of `values` whose serde name is `name`.
pub(crate) fn by_name<T: Serialize + Copy>(values: &[T], name: &str) -> Option<T> {
    values.iter().copied().find(|v| variant_name(v) == name)
}

/// Not a unit variant.
#[derive(Debug, Hash)]
pub(crate) struct NotAUnitVariant;

impl fmt::Display for NotAUnitVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a unit variant")
    }
}

impl std::error::Error for NotAUnitVariant {}

impl ser::Error for NotAUnitVariant {
    fn custom<M: fmt::Display>(_: M) -> Self {
        NotAUnitVariant
    }
}

/// A serializer that accepts a unit variant only and yields its name.
struct NameOnly;

type No = Impossible<&'static str, NotAUnitVariant>;

impl Serializer for NameOnly {
    type Ok = &'static str;
    type Error = NotAUnitVariant;
    type SerializeSeq = No;
    type SerializeTuple = No;
    type SerializeTupleStruct = No;
    type SerializeTupleVariant = No;
    type SerializeMap = No;
    type SerializeStruct = No;
    type SerializeStructVariant = No;

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<Self::Ok, Self::Error> {
        Ok(variant)
    }
    fn serialize_bool(self, _: bool) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_i8(self, _: i8) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_i16(self, _: i16) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_i32(self, _: i32) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_i64(self, _: i64) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_u8(self, _: u8) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_u16(self, _: u16) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_u32(self, _: u32) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_u64(self, _: u64) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_f32(self, _: f32) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_f64(self, _: f64) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_char(self, _: char) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_str(self, _: &str) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_none(self) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_unit(self) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, _: &T) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Self::Ok, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Self::Error> {
        Err(NotAUnitVariant)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Self::Error> {
        Err(NotAUnitVariant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reason::CheckpointFailureReason;
    use crate::status::{ExecutionState, JobStatus};

    #[test]
    fn names_come_from_the_serde_renames() {
        assert_eq!(variant_name(&ExecutionState::Initializing), "INITIALIZING");
        assert_eq!(variant_name(&JobStatus::Restarting), "RESTARTING");
        assert_eq!(
            variant_name(&CheckpointFailureReason::CheckpointDeclinedOnCancellationBarrier),
            "CHECKPOINT_DECLINED_ON_CANCELLATION_BARRIER"
        );
        assert_eq!(variant_name(&crate::source::StartupMode::GroupOffsets), "group-offsets");
        assert_eq!(variant_name(&crate::operator::Udf::SplitWordsToPairs), "split_words_to_pairs");
        assert_eq!(by_name(&[JobStatus::Created, JobStatus::Failed], "FAILED"), Some(JobStatus::Failed));
        assert_eq!(by_name(&[JobStatus::Created, JobStatus::Failed], "Failed"), None);
        assert!(Some(7u32).serialize(NameOnly).is_err(), "only unit variants have a name");
    }
}
