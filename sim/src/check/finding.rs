//! One line of a checker's verdict, with the typed facts later stages read instead of parsing its text.
//!
//! A checker writes each anomaly as a [`Finding`]: the sentence a reader sees, plus its kind
//! (the slug a signature, the outcome table and the regression file names use), the moment it
//! happened and the records it names. The signature ([`super::signature::classify`]) and the
//! report read those fields; none of them looks inside the sentence. A user checker's line
//! built from a bare string gets its checker's name as its kind in [`super::Verdict::new`]
//! (a user checker names its own kinds and moments with [`Finding::new`] and [`Finding::at`]).

use std::collections::BTreeMap;
use std::fmt;

/// One anomaly a checker found: the line printed, and what later stages read.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Finding {
    /// The sentence printed in verdicts, outcome tables and the report.
    pub text: String,
    /// The kebab-case kind (`duplicate-commit`, `sink-store-write-after-commit`); `None` only
    /// for a bare line not yet in a verdict ([`super::Verdict::new`] gives it the checker's name).
    pub kind: Option<String>,
    /// When it happened (virtual ms): the moment a signature's phase and fault are read at.
    pub time_ms: Option<u64>,
    /// The records it names (`input`, `key`, `from`, `to`, `store_anomaly`).
    pub fields: BTreeMap<&'static str, String>,
}

impl Finding {
    /// A finding of `kind` printed as `text`.
    pub fn new(kind: impl Into<String>, text: String) -> Self {
        Finding { text, kind: Some(kind.into()), time_ms: None, fields: BTreeMap::new() }
    }

    /// The same finding, happening at `time_ms` (when known).
    pub fn at(mut self, time_ms: impl Into<Option<u64>>) -> Self {
        self.time_ms = time_ms.into();
        self
    }

    /// The same finding, naming `value` as its `name` (an input number, a key).
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.fields.insert(name, value.to_string());
        self
    }

    /// A finding named by the first words of its sentence (`t=5 task 3 stuck` ->
    /// `task-stuck`): for the forms that have no kind of their own yet.
    pub fn named(text: String) -> Self {
        Finding::new(first_words(&text), text)
    }

    /// When it happened: its `time_ms` (the sentence is never read for it).
    pub fn moment(&self) -> Option<u64> {
        self.time_ms
    }

    /// The kind a signature uses: its own, `anomaly` for a bare line outside a verdict.
    pub fn kind_name(&self) -> String {
        self.kind.clone().unwrap_or_else(|| "anomaly".into())
    }

    /// The printed sentence.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl From<String> for Finding {
    fn from(text: String) -> Self {
        Finding { text, ..Finding::default() }
    }
}

impl From<&str> for Finding {
    fn from(text: &str) -> Self {
        Finding::from(text.to_string())
    }
}

impl std::ops::Deref for Finding {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl std::borrow::Borrow<str> for Finding {
    fn borrow(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Printed as its sentence (assertion messages list a verdict's lines).
impl fmt::Debug for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

/// The first four words of a line without numbers or punctuation (`t=5 task 3 stuck in
/// CANCELING` -> `task-stuck-in-canceling`): the kind of a built-in checker's form that has no
/// slug of its own ([`Finding::named`]).
pub(crate) fn first_words(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() > 1 && w != &"t")
        .take(4)
        .map(|w| w.to_ascii_lowercase())
        .collect();
    if words.is_empty() {
        "anomaly".into()
    } else {
        words.join("-")
    }
}

/// `AbortOfCommittedTxn` -> `abort-of-committed-txn`.
pub(crate) fn kebab(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else {
            out.push('-');
        }
    }
    out
}

/// A user-given kind as a signature can carry it: lower-case ASCII letters, digits and `-`
/// (every other character, `/`, `@` and `:` among them, becomes `-`); `anomaly` when empty.
pub fn slug(kind: &str) -> String {
    let s: String =
        kind.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "anomaly".into()
    } else {
        s
    }
}
