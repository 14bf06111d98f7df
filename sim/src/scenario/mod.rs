//! Scenario files: the typed model of a `scenarios/*.toml` file and its loader with precise `file:line:column: field: message` errors.
//!
//! A scenario describes a job (a linear operator pipeline), its input, its checkpoint and
//! restart configuration, the simulated cluster, timed user actions, faults to inject and the
//! expectations a run must meet. `scenarios/README.md` is the user documentation of the format.
//!
//! Loading happens in three layers, each reporting the first problem it finds:
//! 1. TOML syntax ([`toml`] parse errors keep their byte span);
//! 2. shape: unknown keys (`deny_unknown_fields`) and wrong value types, mapped from the
//!    serde error's span to the dotted key path it falls in;
//! 3. meaning: every value is checked (ranges, names, pipeline shape, references between
//!    sections) and core configs are validated with [`CheckpointConfig::validate`](ckptsim::config::CheckpointConfig::validate) and
//!    [`RestartStrategyConfig::validate`](ckptsim::config::RestartStrategyConfig::validate). The offending key is found by its dotted path in a
//!    span-preserving parse of the same text ([`toml_edit::ImDocument`]).
//!
//! Every error carries file, line, column and the dotted field path (`checkpoint.interval_ms`,
//! `operators[2].function`, `input.lines[3].at_ms`). Syntax errors use the field `(syntax)` and
//! file-level errors (unreadable file, invalid UTF-8) the field `(file)`. [`parse()`](crate::scenario::parse) never panics.

mod model;
mod model_events;
pub(crate) mod raw;
mod spans;
mod validate;
mod validate_event_time;
mod validate_events;
mod validate_graph;
mod validate_pipeline;
mod validate_rescale;

use ckptsim::config::{
    CheckpointConfig, CheckpointingMode, ConfigError, RestartStrategyConfig, Retention, Retune, UNLIMITED,
};
use ckptsim::status::JobStatus;
use ckptsim::{CheckpointId, PartitionId, Profile, TmId, Variant};
pub use model::*;
pub use model_events::*;
use raw::*;
use serde::de::{self, Deserializer, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Serialize};
use spans::*;
use validate::*;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::Path;
use thiserror::Error;

pub mod limits;
pub mod limits_cost;
pub mod limits_flow;
pub mod load;
pub mod log_input;
pub mod names;
pub mod spec;
pub(crate) mod text;
pub use text::read_bounded;
pub mod user_refs;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Field name used for TOML syntax errors.
pub const SYNTAX_FIELD: &str = "(syntax)";
/// Field name used for errors about the file itself (unreadable, not UTF-8).
pub const FILE_FIELD: &str = "(file)";

/// A problem in a scenario file, located precisely.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
/// Printed as `file:line:column: field: message`, an over-long field or message clipped
/// (`text::clip_for_display`; the struct keeps them whole).
#[error("{file}:{line}:{column}: {}: {}", text::clip_for_display(.field), text::clip_for_display(.message))]
pub struct ScenarioError {
    /// The file name as given to [`load()`] / [`parse()`].
    pub file: String,
    /// 1-based line of the offending key or value; 0 when the file could not be read.
    pub line: usize,
    /// 1-based column (in characters) on that line; 0 when the file could not be read.
    pub column: usize,
    /// Dotted path like `checkpoint.interval_ms` or `operators[2].function`; [`SYNTAX_FIELD`]
    /// for TOML syntax errors not on a `key = value` line, [`FILE_FIELD`] for IO / encoding errors.
    pub field: String,
    /// What is wrong, in words.
    pub message: String,
}

/// Reads and parses a scenario file. IO errors are reported with line 0; invalid UTF-8 at the
/// line and column of the first bad byte.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_with_checkers(path, &[])
}

/// [`load()`], with `[expect] caught_by` also accepting the names in `extra_checkers` (the
/// checkers of a [`crate::user::Registry`]).
pub fn load_with_checkers(path: &Path, extra_checkers: &[String]) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let bytes = text::read_bounded(path).map_err(|e| ScenarioError {
        file: file.clone(),
        line: 0,
        column: 0,
        field: FILE_FIELD.to_string(),
        message: format!("cannot read the file: {e}"),
    })?;
    if bytes.len() as u64 > limits::MAX_FILE_BYTES {
        // Only `MAX_FILE_BYTES + 1` bytes were read: name the size on disk when there is one
        // (a 50 MB file was reported as "4194305 bytes").
        let len = std::fs::metadata(path).ok().map(|m| m.len()).filter(|&len| len > limits::MAX_FILE_BYTES);
        return Err(limits::too_large(&file, len));
    }
    match String::from_utf8(bytes) {
        Ok(text) => parse_with_checkers(&file, &text, extra_checkers),
        Err(e) => {
            let good = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..good]).into_owned();
            let (line, column) = line_col(&prefix, prefix.len());
            Err(ScenarioError {
                file,
                line,
                column,
                field: FILE_FIELD.to_string(),
                message: "the file is not valid UTF-8".to_string(),
            })
        }
    }
}

/// Parses and validates scenario text. `file_name` is only used in errors. Never panics.
pub fn parse(file_name: &str, text: &str) -> Result<Scenario, ScenarioError> {
    parse_with_checkers(file_name, text, &[])
}

/// [`parse()`], with `[expect] caught_by` also accepting the names in `extra_checkers` (the
/// checkers of a [`crate::user::Registry`]).
pub fn parse_with_checkers(file_name: &str, text: &str, extra_checkers: &[String]) -> Result<Scenario, ScenarioError> {
    text::precheck(file_name, text)?;
    // The span-preserving parse names a syntax error's key; it is dropped at once (the span
    // index is rebuilt only if validation has an error to locate, `Ctx::index`).
    toml_edit::ImDocument::parse(text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        let (line, column) = line_col(text, offset);
        ScenarioError {
            file: file_name.to_string(),
            line,
            column,
            // A syntax error on a `key = value` line names that key (the value does not parse:
            // a number beyond 64 bits, a bad float, an unterminated string).
            field: text::field_of_line(text, line).unwrap_or_else(|| SYNTAX_FIELD.to_string()),
            message: format!("TOML syntax: {}", text::escape_controls(&syntax_message(text, offset, e.message()))),
        }
    })?;
    let ctx = Ctx::new(file_name, text, extra_checkers);
    let raw: RawScenario = toml::from_str(text).map_err(|e| ctx.serde_error(&e))?;
    ctx.convert(raw)
}

/// An error located at the dotted key `path` of `text` (e.g. `operators[2].function`), for
/// checks made after [`parse()`] (user operators resolved by a registry).
pub fn error_at_key(file: &str, text: &str, path: &str, message: impl Into<String>) -> ScenarioError {
    match toml_edit::ImDocument::parse(text) {
        Ok(_) => Ctx::new(file, text, &[]).err(path, message),
        Err(_) => ScenarioError {
            file: file.to_string(),
            line: 0,
            column: 0,
            field: path.to_string(),
            message: message.into(),
        },
    }
}

/// 1-based (line, column) of a byte offset; the offset is clamped into the text and moved back
/// to a character boundary.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The parser's message on one line; where it has none (a bare carriage return in a comment
/// gave `TOML syntax: ` and nothing after it), what stands at the error's offset.
fn syntax_message(text: &str, offset: usize, message: &str) -> String {
    let m = one_line(message);
    if !m.is_empty() {
        return m;
    }
    match text.get(offset..).and_then(|rest| rest.chars().next()) {
        Some('\r') => "a carriage return (\\u{d}) not followed by a newline".to_string(),
        Some(c) => format!("unexpected character `{c}`"),
        None => "unexpected end of the file".to_string(),
    }
}

fn one_line(s: &str) -> String {
    s.trim().lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

/// Makes serde's type names readable for users who write TOML, not Rust.
fn friendly_serde_message(msg: &str) -> String {
    // `expected struct RawCheckpoint` -> `expected a table`, in one pass.
    let msg = one_line(msg);
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg.as_str();
    while let Some(at) = rest.find("expected struct Raw") {
        out.push_str(&rest[..at]);
        out.push_str("expected a table");
        let after = &rest[at + "expected struct ".len()..];
        let ident_len = after.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(after.len());
        rest = &after[ident_len..];
    }
    out.push_str(rest);
    out.replace("unknown field ``", "unknown field `\"\"` (an empty quoted key)")
        .replace("expected u64", "expected a non-negative integer")
        .replace("expected u32", "expected a non-negative integer below 2^32")
        .replace("expected i64", "expected an integer")
        .replace("expected f64", "expected a number")
        .replace("expected a sequence", "expected an array")
        .replace("invalid type: map,", "invalid type: table,")
        .replace("invalid type: sequence,", "invalid type: array,")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars_and_clamps() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab\ncd", 99), (2, 3));
        assert_eq!(line_col("é\nx", 1), (1, 1));
        assert_eq!(line_col("é = 1", 3), (1, 3));
    }

    #[test]
    fn node_names() {
        assert_eq!(Node::parse("tm12"), Some(Node::Tm(TmId(12))));
        assert_eq!(Node::parse("tm"), None);
        assert_eq!(Node::parse("tm+1"), None);
        assert_eq!(Node::parse("sink-store"), Some(Node::SinkStore));
        assert_eq!(Node::parse("map"), None);
    }
}
