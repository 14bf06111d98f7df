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
//!    sections) and core configs are validated with [`CheckpointConfig::validate`] and
//!    [`RestartStrategyConfig::validate`]. The offending key is found by its dotted path in a
//!    span-preserving parse of the same text ([`toml_edit::ImDocument`]).
//!
//! Every error carries file, line, column and the dotted field path (`checkpoint.interval_ms`,
//! `operators[2].function`, `input.lines[3].at_ms`). Syntax errors use the field `(syntax)` and
//! file-level errors (unreadable file, invalid UTF-8) the field `(file)`. [`parse`] never panics.

use ckptsim::config::{
    CheckpointConfig, CheckpointingMode, ConfigError, RestartStrategyConfig, Retention, Retune, UNLIMITED,
};
use ckptsim::status::JobStatus;
use ckptsim::{CheckpointId, PartitionId, Profile, TmId, Variant};
use serde::de::{self, Deserializer, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::Path;
use thiserror::Error;

pub mod limits;
mod text;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Field name used for TOML syntax errors.
pub const SYNTAX_FIELD: &str = "(syntax)";
/// Field name used for errors about the file itself (unreadable, not UTF-8).
pub const FILE_FIELD: &str = "(file)";

/// A problem in a scenario file, located precisely.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{file}:{line}:{column}: {field}: {message}")]
pub struct ScenarioError {
    /// The file name as given to [`load`] / [`parse`].
    pub file: String,
    /// 1-based line of the offending key or value; 0 when the file could not be read.
    pub line: usize,
    /// 1-based column (in characters) on that line; 0 when the file could not be read.
    pub column: usize,
    /// Dotted path like `checkpoint.interval_ms` or `operators[2].function`; [`SYNTAX_FIELD`]
    /// for TOML syntax errors, [`FILE_FIELD`] for IO / encoding errors.
    pub field: String,
    /// What is wrong, in words.
    pub message: String,
}

/// Reads and parses a scenario file. IO errors are reported with line 0; invalid UTF-8 at the
/// line and column of the first bad byte.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let bytes = text::read_bounded(path).map_err(|e| ScenarioError {
        file: file.clone(),
        line: 0,
        column: 0,
        field: FILE_FIELD.to_string(),
        message: format!("cannot read the file: {e}"),
    })?;
    if bytes.len() as u64 > limits::MAX_FILE_BYTES {
        return Err(limits::too_large(&file, bytes.len() as u64));
    }
    match String::from_utf8(bytes) {
        Ok(text) => parse(&file, &text),
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
    text::precheck(file_name, text)?;
    let doc = toml_edit::ImDocument::parse(text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        let (line, column) = line_col(text, offset);
        ScenarioError {
            file: file_name.to_string(),
            line,
            column,
            field: SYNTAX_FIELD.to_string(),
            message: text::escape_controls(&one_line(e.message())),
        }
    })?;
    let ctx = Ctx { file: file_name, text, index: SpanIndex::build(doc.as_item()) };
    let raw: RawScenario = toml::from_str(text).map_err(|e| ctx.serde_error(&e))?;
    ctx.convert(raw)
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
    out.replace("expected u64", "expected a non-negative integer")
        .replace("expected u32", "expected a non-negative integer below 2^32")
        .replace("expected i64", "expected an integer")
        .replace("expected f64", "expected a number")
        .replace("expected a sequence", "expected an array")
        .replace("invalid type: map,", "invalid type: table,")
        .replace("invalid type: sequence,", "invalid type: array,")
}

// ---------------------------------------------------------------------------------------------
// Span index: dotted path -> key span and value span
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, Default)]
struct SpanEntry {
    key: Option<Range<usize>>,
    value: Option<Range<usize>>,
}

/// Every key, table, array element and value of the document by dotted path
/// (`a.b`, `operators[2].kind`, `input.lines[0].at_ms`).
#[derive(Debug, Default)]
struct SpanIndex {
    entries: BTreeMap<String, SpanEntry>,
}

fn join_key(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

impl SpanIndex {
    fn build(root: &toml_edit::Item) -> SpanIndex {
        let mut index = SpanIndex::default();
        index.item(String::new(), None, root);
        index
    }

    fn insert(&mut self, path: String, key: Option<Range<usize>>, value: Option<Range<usize>>) {
        if !path.is_empty() {
            self.entries.insert(path, SpanEntry { key, value });
        }
    }

    fn item(&mut self, path: String, key: Option<Range<usize>>, item: &toml_edit::Item) {
        match item {
            toml_edit::Item::None => {}
            toml_edit::Item::Value(v) => self.value(path, key, v),
            toml_edit::Item::Table(t) => {
                self.insert(path.clone(), key, t.span());
                for (k, child) in t.iter() {
                    let key_span = t.key(k).and_then(|k| k.span());
                    self.item(join_key(&path, k), key_span, child);
                }
            }
            toml_edit::Item::ArrayOfTables(a) => {
                self.insert(path.clone(), key, a.span());
                for (i, t) in a.iter().enumerate() {
                    let elem = format!("{path}[{i}]");
                    self.insert(elem.clone(), None, t.span());
                    for (k, child) in t.iter() {
                        let key_span = t.key(k).and_then(|k| k.span());
                        self.item(join_key(&elem, k), key_span, child);
                    }
                }
            }
        }
    }

    fn value(&mut self, path: String, key: Option<Range<usize>>, v: &toml_edit::Value) {
        self.insert(path.clone(), key, v.span());
        match v {
            toml_edit::Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    self.value(format!("{path}[{i}]"), None, x);
                }
            }
            toml_edit::Value::InlineTable(t) => {
                for (k, x) in t.iter() {
                    let key_span = t.key(k).and_then(|k| k.span());
                    self.value(join_key(&path, k), key_span, x);
                }
            }
            _ => {}
        }
    }

    /// Byte offset to report for `path`: its value, else its key; for a path that is not in the
    /// document (a missing key) the nearest enclosing table that is.
    fn locate(&self, path: &str) -> Option<usize> {
        let mut p = path;
        loop {
            if let Some(e) = self.entries.get(p) {
                if let Some(s) = e.value.as_ref().or(e.key.as_ref()) {
                    return Some(s.start);
                }
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }

    /// The path a byte offset falls in: the key it is part of, else the innermost value.
    fn path_at(&self, offset: usize) -> Option<&str> {
        let mut best: Option<(&str, usize)> = None;
        for (path, e) in &self.entries {
            if let Some(k) = &e.key {
                if k.contains(&offset) {
                    return Some(path);
                }
            }
            if let Some(v) = &e.value {
                let len = v.end.saturating_sub(v.start);
                if (v.contains(&offset) || (v.start == offset && len == 0)) && best.is_none_or(|(_, l)| len < l) {
                    best = Some((path, len));
                }
            }
        }
        best.map(|(p, _)| p)
    }
}

// ---------------------------------------------------------------------------------------------
// The typed model
// ---------------------------------------------------------------------------------------------

/// A validated scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    /// `name`: identifies the scenario in reports and snapshots (`[A-Za-z0-9._-]+`).
    pub name: String,
    /// `description`: free text.
    pub description: Option<String>,
    /// `profile`: the Flink version whose semantics the run follows.
    pub profile: Profile,
    /// `variant`: the protocol variant (negative suite); [`Variant::Correct`] by default.
    pub variant: Variant,
    /// `seed`: the default seed of `ckptsim run` (0 when omitted).
    pub seed: u64,
    /// `stop_at_ms`: virtual time at which the run ends (> 0).
    pub stop_at_ms: u64,
    checkpoint: CheckpointConfig,
    restart: Option<RestartStrategyConfig>,
    /// `[cluster]` with defaults filled in.
    pub cluster: ClusterSpec,
    /// `[kafka]`: the log source's offset-commit settings (defaults when omitted).
    pub kafka: KafkaSettings,
    /// `[[operators]]`: source first, sink last.
    pub operators: Vec<OperatorSpec>,
    /// `[input]`.
    pub input: InputSpec,
    /// `[[actions]]` in file order (not necessarily sorted by time).
    pub actions: Vec<TimedAction>,
    /// `[[faults]]` in file order.
    pub faults: Vec<TimedFault>,
    /// `[expect]` (all checks off when omitted).
    pub expect: ExpectSpec,
    /// `[input].gates`: checkpoint-gated input positions, ascending.
    pub input_gates: Vec<InputGate>,
    /// `[input].socket_clock` / `unread_lines`: how the line server sends (socket input).
    pub socket_session: SocketSession,
}

/// How the socket line server sends its lines (`[input].socket_clock`, `[input].unread_lines`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SocketSession {
    /// `socket_clock = "connected"`: a line's `at_ms` is measured on a clock that runs only
    /// while a reader is connected (from the first connection); default "absolute": from job
    /// submission.
    pub connected_clock: bool,
    /// `unread_lines = "buffer"`: lines due while nobody reads are kept and written to the next
    /// reader; default "drop": they are lost.
    pub buffer_unread: bool,
}

/// A checkpoint gate in the source's input (`[input].gates`): after reading the first
/// `after_records` inputs the source waits until a checkpoint it took there has completed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputGate {
    /// Inputs (in input order) before the gate, >= 1.
    pub after_records: u64,
    /// The source requests a checkpoint when it reaches the gate (else it waits for the next
    /// periodic or manual one).
    pub trigger: bool,
}

/// `[kafka]`: how a `log-source` commits offsets to the broker (semantics §5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KafkaSettings {
    /// `commit_offsets_on_checkpoint` (default true): commit on checkpoint completion.
    pub commit_offsets_on_checkpoint: bool,
    /// `auto_commit`: Kafka's `enable.auto.commit`; None = the profile's default.
    pub auto_commit: Option<bool>,
    /// `auto_commit_interval_ms` (default 5000, >= 1).
    pub auto_commit_interval_ms: u64,
}

impl Default for KafkaSettings {
    fn default() -> Self {
        KafkaSettings {
            commit_offsets_on_checkpoint: true,
            auto_commit: None,
            auto_commit_interval_ms: ckptsim::source::DEFAULT_AUTO_COMMIT_INTERVAL_MS,
        }
    }
}

impl Scenario {
    /// The validated checkpoint configuration (`[checkpoint]`; Flink's defaults, i.e.
    /// checkpointing disabled, when the table is omitted).
    pub fn checkpoint_config(&self) -> &CheckpointConfig {
        &self.checkpoint
    }

    /// The validated restart strategy as written in `[restart]`, if any.
    pub fn configured_restart(&self) -> Option<&RestartStrategyConfig> {
        self.restart.as_ref()
    }

    /// The restart strategy in force: `[restart]`, or Flink's default for the profile and
    /// checkpoint configuration (semantics §4.3).
    pub fn restart_config(&self) -> RestartStrategyConfig {
        RestartStrategyConfig::resolve(self.restart.as_ref(), self.checkpoint.periodic_enabled(), self.profile)
    }

    /// The operator with this (display) name and its position in the pipeline.
    pub fn operator(&self, name: &str) -> Option<(usize, &OperatorSpec)> {
        self.operators.iter().enumerate().find(|(_, o)| o.name == name)
    }

    /// The source (always the first operator). Panics only if `operators` was emptied by hand:
    /// a parsed scenario always has a source and a sink.
    pub fn source(&self) -> &OperatorSpec {
        &self.operators[0]
    }

    /// The sink (always the last operator). Panics only if `operators` was emptied by hand.
    pub fn sink(&self) -> &OperatorSpec {
        &self.operators[self.operators.len() - 1]
    }
}

/// `[cluster]`: the simulated cluster. All times are virtual.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClusterSpec {
    /// Number of TaskManagers (>= 1), named `tm0`, `tm1`, ...
    pub task_managers: u32,
    /// Slots per TaskManager (>= 1). With slot sharing a job needs `max(parallelism)` slots.
    pub slots_per_tm: u32,
    /// Control-plane message latency, drawn uniformly from `[min, max]` ms.
    pub control_latency_ms: (u64, u64),
    /// Latency of one network buffer between tasks, ms.
    pub data_latency_ms: u64,
    /// Credits per input channel, in buffers (>= 1): the backpressure window.
    pub channel_capacity_buffers: u32,
    /// Records per network buffer (>= 1).
    pub buffer_records: u32,
    /// How long a partly filled buffer waits for more records before it is sent, ms (Flink's
    /// `execution.buffer-timeout.interval`, whose default is 100 ms). Default 0: sent at once.
    pub buffer_timeout_ms: u64,
    /// Processing cost of one record in one operator, microseconds of virtual time.
    pub record_cost_us: u64,
    /// Checkpoint storage write bandwidth, bytes per ms (>= 1).
    pub storage_bandwidth_bytes_per_ms: u64,
    /// TaskManager -> JobManager heartbeat period, ms (>= 1). Default 10 s as Flink's
    /// `heartbeat.interval`, or a fifth of the timeout when only that is given.
    pub heartbeat_interval_ms: u64,
    /// A TaskManager silent for this long is declared dead, ms (> heartbeat_interval_ms).
    /// Default 50 s as Flink's `heartbeat.timeout`.
    pub heartbeat_timeout_ms: u64,
    /// Extra time to deploy a task (JobManager's deploy to RUNNING), ms, drawn once per seed uniformly from `[min, max]`; default 0.
    pub deploy_latency_ms: (u64, u64),
    /// Extra time for a task to restore state, on top of size / bandwidth, ms, drawn once per seed uniformly from `[min, max]`; default 0.
    pub restore_latency_ms: (u64, u64),
    /// Extra time for a task to stop after its cancel arrives, ms, drawn once per seed uniformly from `[min, max]`; default 0.
    pub cancel_latency_ms: (u64, u64),
    /// Extra time before the first deployment of a job (submission, slot allocation), ms, drawn once per seed uniformly from `[min, max]`; default 0.
    pub first_start_latency_ms: (u64, u64),
}

impl Default for ClusterSpec {
    fn default() -> Self {
        ClusterSpec {
            task_managers: 1,
            slots_per_tm: 8,
            control_latency_ms: (1, 3),
            data_latency_ms: 1,
            channel_capacity_buffers: 4,
            buffer_records: 32,
            buffer_timeout_ms: 0,
            record_cost_us: 5,
            storage_bandwidth_bytes_per_ms: 100_000,
            heartbeat_interval_ms: 10_000,
            heartbeat_timeout_ms: 50_000,
            deploy_latency_ms: (0, 0),
            restore_latency_ms: (0, 0),
            cancel_latency_ms: (0, 0),
            first_start_latency_ms: (0, 0),
        }
    }
}

/// One `[[operators]]` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OperatorSpec {
    /// Display name, unique in the job; used by fault targets and anchors (`name[subtask]`).
    /// Defaults to the kind (`map`), or `kind-N` for the N-th (N >= 2) operator of a kind that
    /// occurs more than once.
    pub name: String,
    pub kind: OperatorKindSpec,
    /// Number of parallel subtasks (>= 1). Always 1 for `socket-source` and `key_by`.
    pub parallelism: u32,
    /// Fail the task whenever it processes a record whose value (as displayed) equals this.
    pub fail_on_value: Option<String>,
    /// Fail the task on every n-th record it processes (counter kept per subtask, not in state,
    /// so it restarts at 0 after a restore: seed 001's `count++ == 7`).
    pub fail_every_nth: Option<u64>,
    /// Fail the task once, at this virtual time.
    pub fail_at_ms: Option<u64>,
    /// Lifecycle and once-only failure injectors (`fail_once_on_value`, `fail_on_nth_record`,
    /// `fail_snapshot_*`, `fail_notify_complete_on_checkpoint`, `fail_on_restore_times`,
    /// `fail_on_deploy_times`); see `ckptsim::operator::FailureInjector`.
    pub more_injectors: MoreInjectors,
    /// Extra modelled state size per subtask, bytes (makes snapshots slow).
    pub state_padding_bytes: u64,
    /// Sources only: the input ends (log: stopping offsets at the end of the records; socket:
    /// the server closes after its last line). Default false (unbounded).
    pub bounded: bool,
    /// `two-phase-commit-sink` only: the store's `transaction_timeout_ms` and
    /// `idempotent_commit` (issue 13 item 7); the default changes nothing.
    pub sink_store: ckptsim::sink::StoreConfig,
}

impl OperatorSpec {
    /// True when the operator has any failure injector.
    pub fn has_failure_injector(&self) -> bool {
        self.fail_on_value.is_some()
            || self.fail_every_nth.is_some()
            || self.fail_at_ms.is_some()
            || self.more_injectors != MoreInjectors::default()
    }
}

/// The failure injectors that fire once or outside record processing (issue 13, item 3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MoreInjectors {
    /// Fail the first time this value is processed, not again on the replay.
    pub fail_once_on_value: Option<String>,
    /// Fail on the n-th record of the subtask counted across attempts (once).
    pub fail_on_nth_record: Option<u64>,
    /// `snapshotState` (synchronous part) of this checkpoint id throws: the task fails.
    pub fail_snapshot_sync_on_checkpoint: Option<u64>,
    /// The asynchronous part of this checkpoint's snapshot fails: the task declines it.
    pub fail_snapshot_async_on_checkpoint: Option<u64>,
    /// `notifyCheckpointComplete` of this checkpoint id throws: the task fails.
    pub fail_notify_complete_on_checkpoint: Option<u64>,
    /// `initializeState` throws on the first n restores.
    pub fail_on_restore_times: Option<u64>,
    /// The first n deployments of the task fail.
    pub fail_on_deploy_times: Option<u64>,
}

/// What an operator does (`kind` and its kind-specific keys).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum OperatorKindSpec {
    /// `socket-source`: reads `[input].lines` (parallelism 1, no state: replays nothing).
    SocketSource,
    /// `log-source`: a Kafka-like partitioned log consumer whose state is its offsets.
    LogSource {
        startup: StartupMode,
    },
    /// `map` with a one-to-one function.
    Map {
        function: Udf,
    },
    /// `flat_map` with a one-to-one or one-to-many function.
    FlatMap {
        function: Udf,
    },
    /// `filter` with a predicate.
    Filter {
        function: Udf,
    },
    /// `key_by`: hash-partitions by key for the next (keyed) operator; not a task of its own.
    /// Redistributes round robin to the next operator (breaks the chain), like `DataStream.rebalance()`.
    Rebalance,
    KeyBy,
    /// `sum`: running sum per key of the pair's count, emits `(key,sum)` per record.
    Sum,
    /// `count`: running count per key, emits `(key,count)` per record.
    Count,
    /// `max`: running maximum per key.
    Max,
    /// `min`: running minimum per key.
    Min,
    /// `count_window`: tumbling window of `size` records per key, emits `(key,sum)` when full.
    CountWindow {
        size: u64,
    },
    /// `print-sink`: prints every record (at-least-once: replays show as duplicates).
    PrintSink,
    /// `two-phase-commit-sink`: transactional sink committed on checkpoint completion.
    TwoPhaseCommitSink,
}

impl OperatorKindSpec {
    /// Every kind name accepted in `kind`.
    pub const NAMES: [&'static str; 14] = [
        "socket-source",
        "log-source",
        "map",
        "flat_map",
        "filter",
        "rebalance",
        "key_by",
        "sum",
        "count",
        "max",
        "min",
        "count_window",
        "print-sink",
        "two-phase-commit-sink",
    ];

    /// The kind as written in the file.
    pub fn name(&self) -> &'static str {
        match self {
            OperatorKindSpec::SocketSource => "socket-source",
            OperatorKindSpec::LogSource { .. } => "log-source",
            OperatorKindSpec::Map { .. } => "map",
            OperatorKindSpec::FlatMap { .. } => "flat_map",
            OperatorKindSpec::Filter { .. } => "filter",
            OperatorKindSpec::Rebalance => "rebalance",
            OperatorKindSpec::KeyBy => "key_by",
            OperatorKindSpec::Sum => "sum",
            OperatorKindSpec::Count => "count",
            OperatorKindSpec::Max => "max",
            OperatorKindSpec::Min => "min",
            OperatorKindSpec::CountWindow { .. } => "count_window",
            OperatorKindSpec::PrintSink => "print-sink",
            OperatorKindSpec::TwoPhaseCommitSink => "two-phase-commit-sink",
        }
    }

    pub fn is_source(&self) -> bool {
        is_source_kind(self.name())
    }

    pub fn is_sink(&self) -> bool {
        is_sink_kind(self.name())
    }

    /// Operators that must directly follow `key_by`.
    pub fn is_keyed(&self) -> bool {
        is_keyed_kind(self.name())
    }

    /// False only for `key_by`, which is a partitioning, not a task.
    pub fn is_task(&self) -> bool {
        !matches!(self, OperatorKindSpec::KeyBy | OperatorKindSpec::Rebalance)
    }
}

fn is_source_kind(k: &str) -> bool {
    matches!(k, "socket-source" | "log-source")
}
fn is_sink_kind(k: &str) -> bool {
    matches!(k, "print-sink" | "two-phase-commit-sink")
}
fn is_keyed_kind(k: &str) -> bool {
    matches!(k, "sum" | "count" | "max" | "min" | "count_window")
}

impl fmt::Display for OperatorKindSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a `log-source` starts when there is no restored state.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub enum StartupMode {
    /// `group-offsets`: the consumer group's committed offsets (earliest where none).
    #[default]
    GroupOffsets,
    /// `earliest`: offset 0 of every partition.
    Earliest,
    /// `latest`: the end of every partition at job start.
    Latest,
}

impl StartupMode {
    pub const NAMES: [&'static str; 3] = ["group-offsets", "earliest", "latest"];

    pub fn parse(s: &str) -> Option<StartupMode> {
        match s {
            "group-offsets" => Some(StartupMode::GroupOffsets),
            "earliest" => Some(StartupMode::Earliest),
            "latest" => Some(StartupMode::Latest),
            _ => None,
        }
    }
}

/// How a user function maps records.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum UdfShape {
    /// One record in, one out (usable in `map` and `flat_map`).
    OneToOne,
    /// One record in, zero or more out (`flat_map` only).
    OneToMany,
    /// Keep or drop (`filter` only).
    Predicate,
}

/// The built-in user functions, by name.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Udf {
    /// `identity`: `x -> x`.
    Identity,
    /// `uppercase`: a string in upper case.
    Uppercase,
    /// `split_words`: a line -> its whitespace-separated words.
    SplitWords,
    /// `split_words_to_pairs`: a line -> `(word,1)` per word (word count).
    SplitWordsToPairs,
    /// `to_pair_one`: `x -> (x,1)`.
    ToPairOne,
    /// `parse_int`: a string -> an integer; a string that is not one fails the task.
    ParseInt,
    /// `drop_empty`: keeps records whose string is not empty.
    DropEmpty,
    /// `is_even`: keeps even integers.
    IsEven,
}

impl Udf {
    pub const ALL: [Udf; 8] = [
        Udf::Identity,
        Udf::Uppercase,
        Udf::SplitWords,
        Udf::SplitWordsToPairs,
        Udf::ToPairOne,
        Udf::ParseInt,
        Udf::DropEmpty,
        Udf::IsEven,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Udf::Identity => "identity",
            Udf::Uppercase => "uppercase",
            Udf::SplitWords => "split_words",
            Udf::SplitWordsToPairs => "split_words_to_pairs",
            Udf::ToPairOne => "to_pair_one",
            Udf::ParseInt => "parse_int",
            Udf::DropEmpty => "drop_empty",
            Udf::IsEven => "is_even",
        }
    }

    pub fn parse(s: &str) -> Option<Udf> {
        Udf::ALL.into_iter().find(|u| u.name() == s)
    }

    pub fn shape(self) -> UdfShape {
        match self {
            Udf::Identity | Udf::Uppercase | Udf::ToPairOne | Udf::ParseInt => UdfShape::OneToOne,
            Udf::SplitWords | Udf::SplitWordsToPairs => UdfShape::OneToMany,
            Udf::DropEmpty | Udf::IsEven => UdfShape::Predicate,
        }
    }
}

impl fmt::Display for Udf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `[input]`: exactly one of `lines`, `records`, `generator`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum InputSpec {
    /// Lines typed into the socket (`socket-source` only), sorted by time.
    Lines(Vec<InputLine>),
    /// Records appended to the log (`log-source` only), sorted by time.
    Records { partitions: u32, records: Vec<InputRecord> },
    /// Generated input (either source). `partitions` is 1 for a socket source.
    Generator { partitions: u32, generator: GeneratorSpec },
}

impl InputSpec {
    /// Number of log partitions (1 for socket input).
    pub fn partitions(&self) -> u32 {
        match self {
            InputSpec::Lines(_) => 1,
            InputSpec::Records { partitions, .. } | InputSpec::Generator { partitions, .. } => *partitions,
        }
    }
}

/// One line typed into the socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputLine {
    /// Virtual time the line is sent, ms.
    pub at_ms: u64,
    pub line: String,
}

/// One record appended to the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputRecord {
    /// Virtual time the record is appended, ms.
    pub at_ms: u64,
    pub partition: PartitionId,
    pub value: String,
}

/// Generated input: `count` records at `rate_per_s`, starting at `start_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GeneratorSpec {
    /// Total number of records.
    pub count: u64,
    /// Records per second of virtual time (>= 1), evenly spaced.
    pub rate_per_s: u64,
    /// Number of distinct keys (>= 1); values are `k0` .. `k{keys-1}`.
    pub keys: u64,
    pub distribution: Distribution,
    /// Virtual time of the first record, ms.
    pub start_ms: u64,
}

/// How the generator draws keys.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub enum Distribution {
    #[default]
    Uniform,
    /// Zipf with exponent 1 (`k0` most frequent).
    Zipf,
}

/// A user action at a virtual time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimedAction {
    pub at_ms: u64,
    pub action: ActionSpec,
}

/// What an `[[actions]]` entry does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ActionSpec {
    /// `retune`: change checkpoint settings of the running job without a restart (seed 000).
    Retune(Retune),
    /// `cancel`: cancel the job.
    Cancel,
    /// `savepoint`: trigger a savepoint.
    Savepoint,
    /// `trigger-checkpoint`: trigger a manual (non-periodic) checkpoint.
    TriggerCheckpoint,
    /// `restore-retained`: start a new job from the latest retained checkpoint.
    RestoreRetained,
}

impl ActionSpec {
    pub const NAMES: [&'static str; 5] = ["retune", "cancel", "savepoint", "trigger-checkpoint", "restore-retained"];

    pub fn name(&self) -> &'static str {
        match self {
            ActionSpec::Retune(_) => "retune",
            ActionSpec::Cancel => "cancel",
            ActionSpec::Savepoint => "savepoint",
            ActionSpec::TriggerCheckpoint => "trigger-checkpoint",
            ActionSpec::RestoreRetained => "restore-retained",
        }
    }
}

/// A fault and when it strikes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimedFault {
    pub when: When,
    pub fault: FaultSpec,
}

/// When a fault strikes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum When {
    /// `at_ms`: at this virtual time.
    At(u64),
    /// `on`: when this event happens (first occurrence).
    On(Anchor),
}

/// An event a fault can be anchored to (`on = "..."`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Anchor {
    /// `checkpoint-N-triggered`: the coordinator triggers checkpoint N.
    Triggered { checkpoint: CheckpointId },
    /// `checkpoint-N-barrier-at:TASK`: checkpoint N's barrier reaches this subtask.
    BarrierAt { checkpoint: CheckpointId, task: TaskRef },
    /// `checkpoint-N-acked`: the coordinator has every acknowledgement of checkpoint N
    /// (before it finalizes it).
    Acked { checkpoint: CheckpointId },
    /// `checkpoint-N-completed`: checkpoint N is completed.
    Completed { checkpoint: CheckpointId },
}

impl Anchor {
    pub fn checkpoint(&self) -> CheckpointId {
        match self {
            Anchor::Triggered { checkpoint }
            | Anchor::BarrierAt { checkpoint, .. }
            | Anchor::Acked { checkpoint }
            | Anchor::Completed { checkpoint } => *checkpoint,
        }
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anchor::Triggered { checkpoint } => write!(f, "checkpoint-{checkpoint}-triggered"),
            Anchor::BarrierAt { checkpoint, task } => write!(f, "checkpoint-{checkpoint}-barrier-at:{task}"),
            Anchor::Acked { checkpoint } => write!(f, "checkpoint-{checkpoint}-acked"),
            Anchor::Completed { checkpoint } => write!(f, "checkpoint-{checkpoint}-completed"),
        }
    }
}

/// A reference to an operator's subtask(s): `name[subtask]` or `name` (every subtask).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TaskRef {
    /// The operator's display name.
    pub operator: String,
    /// The operator's position in `operators`.
    pub operator_index: usize,
    /// `None` = every subtask of the operator.
    pub subtask: Option<u32>,
}

impl fmt::Display for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.subtask {
            Some(s) => write!(f, "{}[{s}]", self.operator),
            None => f.write_str(&self.operator),
        }
    }
}

/// A node of the simulated world.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Node {
    /// `tm<N>`: a TaskManager.
    Tm(TmId),
    /// `jm`: the JobManager.
    Jm,
    /// `broker`: the partitioned log (exists with a `log-source`).
    Broker,
    /// `storage`: checkpoint storage.
    Storage,
    /// `sink-store`: the transactional store of `two-phase-commit-sink`.
    SinkStore,
}

impl Node {
    /// Parses a node name (without checking that a TaskManager index exists).
    pub fn parse(s: &str) -> Option<Node> {
        match s {
            "jm" => Some(Node::Jm),
            "broker" => Some(Node::Broker),
            "storage" => Some(Node::Storage),
            "sink-store" => Some(Node::SinkStore),
            _ => {
                let digits = s.strip_prefix("tm")?;
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                digits.parse().ok().map(|n| Node::Tm(TmId(n)))
            }
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Tm(t) => write!(f, "{t}"),
            Node::Jm => f.write_str("jm"),
            Node::Broker => f.write_str("broker"),
            Node::Storage => f.write_str("storage"),
            Node::SinkStore => f.write_str("sink-store"),
        }
    }
}

/// Partition direction.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub enum Direction {
    /// `both`: nothing passes either way.
    #[default]
    Both,
    /// `one-way`: messages from `target` to `peer` are dropped; the other way works.
    OneWay,
}

/// What a `[[faults]]` entry injects. `duration_ms: None` means "until the end of the run".
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum FaultSpec {
    /// `task-failure`: the subtask(s) throw.
    TaskFailure { target: TaskRef },
    /// `tm-crash`: the TaskManager dies; with `restart_after_ms` it comes back (empty) later.
    TmCrash { tm: TmId, restart_after_ms: Option<u64> },
    /// `jm-crash`: the JobManager dies; with `restart_after_ms` it comes back later.
    JmCrash { restart_after_ms: Option<u64> },
    /// `partition`: no messages between `target` and `peer`.
    Partition { target: Node, peer: Node, direction: Direction, duration_ms: Option<u64> },
    /// `message-loss`: messages are dropped with probability `rate` (on links of `target`, or
    /// between `target` and `peer`; everywhere when no target).
    MessageLoss { rate: f64, target: Option<Node>, peer: Option<Node>, duration_ms: Option<u64> },
    /// `control-delay`: control messages (to or from `target`, or all) take `extra_ms` longer.
    ControlDelay { extra_ms: u64, target: Option<Node>, duration_ms: Option<u64> },
    /// `slow-link`: the data channels out of the subtask(s) carry at most `records_per_s`
    /// and/or take `extra_ms` longer per buffer.
    SlowLink { target: TaskRef, records_per_s: Option<u64>, extra_ms: Option<u64>, duration_ms: Option<u64> },
    /// `slow-snapshot`: the subtask(s) take `extra_ms` longer for every snapshot.
    SlowSnapshot { target: TaskRef, extra_ms: u64, duration_ms: Option<u64> },
    /// `storage-failure`: checkpoint storage rejects writes.
    StorageFailure { duration_ms: Option<u64> },
    /// `storage-slow`: every checkpoint storage write takes `extra_ms` longer.
    StorageSlow { extra_ms: u64, duration_ms: Option<u64> },
    /// `broker-outage`: the log is unreachable (fetches and offset commits fail).
    BrokerOutage { duration_ms: Option<u64> },
    /// `sink-store-outage`: the 2PC sink's store is unreachable (writes and commits fail).
    SinkStoreOutage { duration_ms: Option<u64> },
    /// `slow-operator`: the subtask(s) process at most `records_per_s`.
    SlowOperator { target: TaskRef, records_per_s: u64, duration_ms: Option<u64> },
    /// `input-burst`: extra generated input at `records_per_s` for `duration_ms` (generator
    /// input only; same keys and distribution).
    InputBurst { records_per_s: u64, duration_ms: u64 },
}

impl FaultSpec {
    pub const NAMES: [&'static str; 14] = [
        "task-failure",
        "tm-crash",
        "jm-crash",
        "partition",
        "message-loss",
        "control-delay",
        "slow-link",
        "slow-snapshot",
        "storage-failure",
        "storage-slow",
        "broker-outage",
        "sink-store-outage",
        "slow-operator",
        "input-burst",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            FaultSpec::TaskFailure { .. } => "task-failure",
            FaultSpec::TmCrash { .. } => "tm-crash",
            FaultSpec::JmCrash { .. } => "jm-crash",
            FaultSpec::Partition { .. } => "partition",
            FaultSpec::MessageLoss { .. } => "message-loss",
            FaultSpec::ControlDelay { .. } => "control-delay",
            FaultSpec::SlowLink { .. } => "slow-link",
            FaultSpec::SlowSnapshot { .. } => "slow-snapshot",
            FaultSpec::StorageFailure { .. } => "storage-failure",
            FaultSpec::StorageSlow { .. } => "storage-slow",
            FaultSpec::BrokerOutage { .. } => "broker-outage",
            FaultSpec::SinkStoreOutage { .. } => "sink-store-outage",
            FaultSpec::SlowOperator { .. } => "slow-operator",
            FaultSpec::InputBurst { .. } => "input-burst",
        }
    }

    /// How long the fault lasts (`None` = until the end of the run, or instantaneous).
    pub fn duration_ms(&self) -> Option<u64> {
        match self {
            FaultSpec::TaskFailure { .. } => None,
            FaultSpec::TmCrash { restart_after_ms, .. } | FaultSpec::JmCrash { restart_after_ms } => *restart_after_ms,
            FaultSpec::Partition { duration_ms, .. }
            | FaultSpec::MessageLoss { duration_ms, .. }
            | FaultSpec::ControlDelay { duration_ms, .. }
            | FaultSpec::SlowLink { duration_ms, .. }
            | FaultSpec::SlowSnapshot { duration_ms, .. }
            | FaultSpec::StorageFailure { duration_ms }
            | FaultSpec::StorageSlow { duration_ms, .. }
            | FaultSpec::BrokerOutage { duration_ms }
            | FaultSpec::SinkStoreOutage { duration_ms }
            | FaultSpec::SlowOperator { duration_ms, .. } => *duration_ms,
            FaultSpec::InputBurst { duration_ms, .. } => Some(*duration_ms),
        }
    }
}

/// `[expect]`: what a run must show. Omitted checks are not made.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct ExpectSpec {
    /// Job status at `stop_at_ms`.
    pub final_status: Option<JobStatus>,
    /// Number of restarts.
    pub restarts: Option<u32>,
    /// The 2PC sink's committed output equals the fault-free reference run's.
    pub exactly_once: bool,
    /// Every record of the fault-free reference output appears in the output.
    pub at_least_once: bool,
    /// At least this many completed checkpoints.
    pub completed_checkpoints_min: Option<u64>,
    /// The exact output rows, in order.
    pub output: Option<Vec<String>>,
    /// Exactly these outputs appear twice (print sink replays).
    pub duplicates: Option<Vec<String>>,
    /// Compare the output table with an insta snapshot.
    pub snapshot: bool,
    /// Negative suite: this named checker must report a violation.
    pub caught_by: Option<String>,
    /// Liveness: after the last fault heals, checkpoints complete at least this often
    /// (`None` = the checker's default).
    pub max_checkpoint_gap_ms: Option<u64>,
    /// `committed_offsets`: the broker's committed group offset per partition at the end
    /// (index = partition), -1 = no offset committed for that partition.
    pub committed_offsets: Option<Vec<i64>>,
    /// `retained_count`: how many completed checkpoints the retention policy kept when the job
    /// (the last one to end) reached its terminal status.
    pub retained_count: Option<u32>,
}

// ---------------------------------------------------------------------------------------------
// Raw (as written) structures
// ---------------------------------------------------------------------------------------------

/// An integer or the string `"unlimited"`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum IntOrUnlimited {
    Int(i64),
    Unlimited,
}

impl IntOrUnlimited {
    fn value(self) -> i64 {
        match self {
            IntOrUnlimited::Int(i) => i,
            IntOrUnlimited::Unlimited => UNLIMITED as i64,
        }
    }
}

impl<'de> Deserialize<'de> for IntOrUnlimited {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IntOrUnlimited;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or \"unlimited\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(IntOrUnlimited::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i64::try_from(v).map(IntOrUnlimited::Int).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v == "unlimited" {
                    Ok(IntOrUnlimited::Unlimited)
                } else {
                    Err(E::invalid_value(Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// `[min, max]` or a single value for both.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct LatencyRange(u64, u64);

impl<'de> Deserialize<'de> for LatencyRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LatencyRange;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative integer or an array [min, max] of two")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                let v = u64::try_from(v).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))?;
                Ok(LatencyRange(v, v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(LatencyRange(v, v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let min: u64 = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let max: u64 = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(1, &self))?;
                if seq.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(3, &self));
                }
                Ok(LatencyRange(min, max))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<String>,
    description: Option<String>,
    profile: Option<String>,
    variant: Option<String>,
    seed: Option<u64>,
    stop_at_ms: Option<u64>,
    checkpoint: Option<RawCheckpoint>,
    restart: Option<RawRestart>,
    cluster: Option<RawCluster>,
    kafka: Option<RawKafka>,
    #[serde(default)]
    operators: Vec<RawOperator>,
    input: Option<RawInput>,
    #[serde(default)]
    actions: Vec<RawAction>,
    #[serde(default)]
    faults: Vec<RawFault>,
    expect: Option<RawExpect>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct RawCheckpoint {
    interval_ms: Option<i64>,
    min_pause_ms: Option<i64>,
    timeout_ms: Option<i64>,
    max_concurrent: Option<i64>,
    tolerable_failures: Option<IntOrUnlimited>,
    mode: Option<String>,
    unaligned: Option<bool>,
    aligned_timeout_ms: Option<i64>,
    retention: Option<String>,
    num_retained: Option<i64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawRestart {
    strategy: Option<String>,
    attempts: Option<IntOrUnlimited>,
    delay_ms: Option<i64>,
    max_failures_per_interval: Option<i64>,
    interval_ms: Option<i64>,
    initial_backoff_ms: Option<i64>,
    max_backoff_ms: Option<i64>,
    multiplier: Option<f64>,
    reset_threshold_ms: Option<i64>,
    jitter: Option<f64>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct RawCluster {
    task_managers: Option<u32>,
    slots_per_tm: Option<u32>,
    control_latency_ms: Option<LatencyRange>,
    data_latency_ms: Option<u64>,
    channel_capacity_buffers: Option<u32>,
    buffer_records: Option<u32>,
    buffer_timeout_ms: Option<u64>,
    record_cost_us: Option<u64>,
    storage_bandwidth_bytes_per_ms: Option<u64>,
    heartbeat_interval_ms: Option<u64>,
    heartbeat_timeout_ms: Option<u64>,
    deploy_latency_ms: Option<LatencyRange>,
    restore_latency_ms: Option<LatencyRange>,
    cancel_latency_ms: Option<LatencyRange>,
    first_start_latency_ms: Option<LatencyRange>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawKafka {
    commit_offsets_on_checkpoint: Option<bool>,
    auto_commit: Option<bool>,
    auto_commit_interval_ms: Option<u64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawOperator {
    kind: Option<String>,
    name: Option<String>,
    parallelism: Option<u32>,
    function: Option<String>,
    size: Option<u64>,
    fail_on_value: Option<String>,
    fail_every_nth: Option<u64>,
    fail_at_ms: Option<u64>,
    fail_once_on_value: Option<String>,
    fail_on_nth_record: Option<u64>,
    fail_snapshot_sync_on_checkpoint: Option<u64>,
    fail_snapshot_async_on_checkpoint: Option<u64>,
    fail_notify_complete_on_checkpoint: Option<u64>,
    fail_on_restore_times: Option<u64>,
    fail_on_deploy_times: Option<u64>,
    state_padding_bytes: Option<u64>,
    startup: Option<String>,
    bounded: Option<bool>,
    transaction_timeout_ms: Option<u64>,
    idempotent_commit: Option<bool>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawInput {
    partitions: Option<u32>,
    gates: Option<Vec<RawGate>>,
    socket_clock: Option<String>,
    unread_lines: Option<String>,
    lines: Option<Vec<RawLine>>,
    records: Option<Vec<RawRecord>>,
    generator: Option<RawGenerator>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawGate {
    after_records: Option<u64>,
    trigger: Option<bool>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawLine {
    at_ms: Option<u64>,
    line: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    at_ms: Option<u64>,
    partition: Option<u32>,
    value: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawGenerator {
    count: Option<u64>,
    rate_per_s: Option<u64>,
    keys: Option<u64>,
    distribution: Option<String>,
    start_ms: Option<u64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawAction {
    at_ms: Option<u64>,
    kind: Option<String>,
    interval_ms: Option<i64>,
    min_pause_ms: Option<i64>,
    timeout_ms: Option<i64>,
    tolerable_failures: Option<IntOrUnlimited>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawFault {
    kind: Option<String>,
    at_ms: Option<u64>,
    on: Option<String>,
    duration_ms: Option<u64>,
    target: Option<String>,
    peer: Option<String>,
    direction: Option<String>,
    rate: Option<f64>,
    extra_ms: Option<u64>,
    records_per_s: Option<u64>,
    restart_after_ms: Option<u64>,
}

impl RawFault {
    /// The kind-specific keys that are present.
    fn present(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut add = |name: &'static str, present: bool| {
            if present {
                v.push(name)
            }
        };
        add("duration_ms", self.duration_ms.is_some());
        add("target", self.target.is_some());
        add("peer", self.peer.is_some());
        add("direction", self.direction.is_some());
        add("rate", self.rate.is_some());
        add("extra_ms", self.extra_ms.is_some());
        add("records_per_s", self.records_per_s.is_some());
        add("restart_after_ms", self.restart_after_ms.is_some());
        v
    }
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    final_status: Option<String>,
    restarts: Option<u32>,
    exactly_once: Option<bool>,
    at_least_once: Option<bool>,
    completed_checkpoints_min: Option<u64>,
    output: Option<Vec<String>>,
    duplicates: Option<Vec<String>>,
    snapshot: Option<bool>,
    caught_by: Option<String>,
    max_checkpoint_gap_ms: Option<u64>,
    committed_offsets: Option<Vec<i64>>,
    retained_count: Option<u32>,
}

// ---------------------------------------------------------------------------------------------
// Conversion and semantic validation
// ---------------------------------------------------------------------------------------------

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
    index: SpanIndex,
}

type Res<T> = Result<T, ScenarioError>;

fn list(names: &[&str]) -> String {
    names.join(", ")
}

/// Overwrites a default with the value from the file, if there is one.
fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

fn is_valid_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

impl Ctx<'_> {
    fn error_at(&self, offset: usize, field: &str, message: impl Into<String>) -> ScenarioError {
        let (line, column) = line_col(self.text, offset);
        let (field, message) = (text::escape_controls(field), text::escape_controls(&message.into()));
        ScenarioError { file: self.file.to_string(), line, column, field, message }
    }

    /// An error about `path`, located at its value (or the nearest enclosing table).
    fn err(&self, path: &str, message: impl Into<String>) -> ScenarioError {
        let offset = self.index.locate(path).unwrap_or(0);
        self.error_at(offset, path, message)
    }

    fn missing(&self, path: &str, what: &str) -> ScenarioError {
        self.err(path, format!("missing required key ({what})"))
    }

    fn config_error(&self, e: ConfigError, prefix_from: &str, prefix_to: &str) -> ScenarioError {
        let field = match e.field.strip_prefix(prefix_from) {
            Some(rest) => format!("{prefix_to}{rest}"),
            None => e.field.to_string(),
        };
        self.err(&field, e.message)
    }

    fn serde_error(&self, e: &toml::de::Error) -> ScenarioError {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        let field = self.index.path_at(offset).unwrap_or("").to_string();
        let field = if field.is_empty() { "(root)".to_string() } else { field };
        let message = text::name_datetimes(self.text, offset, friendly_serde_message(e.message()));
        self.error_at(offset, &field, message)
    }

    fn convert(&self, raw: RawScenario) -> Res<Scenario> {
        let name = raw.name.ok_or_else(|| self.missing("name", "the scenario's name"))?;
        if !is_valid_name(&name) {
            return Err(self.err("name", format!("`{name}` is not a valid name: use letters, digits, `_`, `-`, `.`")));
        }
        let profile = match raw.profile.as_deref() {
            None => Profile::default(),
            Some(p) => Profile::parse(p).ok_or_else(|| {
                let known: Vec<String> = Profile::ALL.iter().map(|p| p.to_string()).collect();
                self.err("profile", format!("unknown profile `{p}`; known profiles: {}", known.join(", ")))
            })?,
        };
        let variant = match raw.variant.as_deref() {
            None => Variant::default(),
            Some(v) => Variant::ALL.into_iter().find(|x| x.name() == v).ok_or_else(|| {
                let known: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
                self.err("variant", format!("unknown variant `{v}`; known variants: {}", known.join(", ")))
            })?,
        };
        let stop_at_ms =
            raw.stop_at_ms.ok_or_else(|| self.missing("stop_at_ms", "virtual time at which the run ends"))?;
        if stop_at_ms == 0 {
            return Err(self.err("stop_at_ms", "must be > 0"));
        }
        let checkpoint = self.checkpoint(raw.checkpoint, profile)?;
        let restart = match raw.restart {
            None => None,
            Some(r) => Some(self.restart(r, profile)?),
        };
        let cluster = self.cluster(raw.cluster.unwrap_or_default())?;
        let operators = self.operators(raw.operators, &cluster)?;
        let kafka = self.kafka(raw.kafka, &operators)?;
        let mut raw_input = raw.input;
        let raw_gates = raw_input.as_mut().and_then(|i| i.gates.take());
        let raw_socket =
            raw_input.as_mut().map(|i| (i.socket_clock.take(), i.unread_lines.take())).unwrap_or((None, None));
        let input = self.input(raw_input, &operators)?;
        let input_gates = self.gates(raw_gates, &input)?;
        let socket_session = self.socket_session(raw_socket, &input)?;
        let actions = raw
            .actions
            .into_iter()
            .enumerate()
            .map(|(i, a)| self.action(i, a, &checkpoint, profile, stop_at_ms))
            .collect::<Res<Vec<_>>>()?;
        let faults = raw
            .faults
            .into_iter()
            .enumerate()
            .map(|(i, f)| self.fault(i, f, &operators, &cluster, &input, stop_at_ms))
            .collect::<Res<Vec<_>>>()?;
        let checkpoints_possible = checkpoint.periodic_enabled()
            || actions.iter().any(|a| matches!(a.action, ActionSpec::TriggerCheckpoint | ActionSpec::Savepoint));
        if !checkpoints_possible {
            if let Some(i) = faults.iter().position(|f| matches!(f.when, When::On(_))) {
                return Err(self.err(
                    &format!("faults[{i}].on"),
                    "this anchor can never fire: periodic checkpoints are disabled ([checkpoint].interval_ms) \
                     and no action triggers a checkpoint or savepoint",
                ));
            }
        }
        let expect = self.expect(raw.expect.unwrap_or_default(), &operators)?;
        let scenario = Scenario {
            input_gates,
            socket_session,
            name,
            description: raw.description,
            profile,
            variant,
            seed: raw.seed.unwrap_or(0),
            stop_at_ms,
            checkpoint,
            restart,
            cluster,
            kafka,
            operators,
            input,
            actions,
            faults,
            expect,
        };
        self.limits(&scenario)?;
        Ok(scenario)
    }

    fn kafka(&self, raw: Option<RawKafka>, operators: &[OperatorSpec]) -> Res<KafkaSettings> {
        let d = KafkaSettings::default();
        let Some(raw) = raw else { return Ok(d) };
        if !operators.iter().any(|o| matches!(o.kind, OperatorKindSpec::LogSource { .. })) {
            return Err(self.err("kafka", "[kafka] configures a log-source; this job has none"));
        }
        if raw.auto_commit_interval_ms == Some(0) {
            return Err(self.err("kafka.auto_commit_interval_ms", "must be >= 1 (got 0)"));
        }
        Ok(KafkaSettings {
            commit_offsets_on_checkpoint: raw.commit_offsets_on_checkpoint.unwrap_or(d.commit_offsets_on_checkpoint),
            auto_commit: raw.auto_commit,
            auto_commit_interval_ms: raw.auto_commit_interval_ms.unwrap_or(d.auto_commit_interval_ms),
        })
    }

    fn checkpoint(&self, raw: Option<RawCheckpoint>, profile: Profile) -> Res<CheckpointConfig> {
        let d = CheckpointConfig::default();
        let Some(raw) = raw else { return Ok(d) };
        let mode = match raw.mode.as_deref() {
            None => d.mode,
            Some("exactly-once") => CheckpointingMode::ExactlyOnce,
            Some("at-least-once") => CheckpointingMode::AtLeastOnce,
            Some(m) => {
                return Err(
                    self.err("checkpoint.mode", format!("unknown mode `{m}`; expected exactly-once, at-least-once"))
                )
            }
        };
        let retention = match raw.retention.as_deref() {
            None => d.retention,
            Some("NO_EXTERNALIZED_CHECKPOINTS") => Retention::NoExternalizedCheckpoints,
            Some("DELETE_ON_CANCELLATION") => Retention::DeleteOnCancellation,
            Some("RETAIN_ON_CANCELLATION") => Retention::RetainOnCancellation,
            Some(r) => {
                return Err(self.err(
                    "checkpoint.retention",
                    format!(
                        "unknown retention `{r}`; expected NO_EXTERNALIZED_CHECKPOINTS, DELETE_ON_CANCELLATION, \
                         RETAIN_ON_CANCELLATION"
                    ),
                ))
            }
        };
        let config = CheckpointConfig {
            interval_ms: raw.interval_ms,
            min_pause_ms: raw.min_pause_ms.unwrap_or(d.min_pause_ms),
            timeout_ms: raw.timeout_ms.unwrap_or(d.timeout_ms),
            max_concurrent: raw.max_concurrent.unwrap_or(d.max_concurrent),
            tolerable_failures: raw.tolerable_failures.map(IntOrUnlimited::value).unwrap_or(d.tolerable_failures),
            mode,
            unaligned: raw.unaligned.unwrap_or(d.unaligned),
            aligned_timeout_ms: raw.aligned_timeout_ms.unwrap_or(d.aligned_timeout_ms),
            retention,
            num_retained: raw.num_retained.unwrap_or(d.num_retained),
        };
        config.validate(profile).map_err(|e| self.config_error(e, "", ""))?;
        Ok(config)
    }

    fn restart(&self, raw: RawRestart, profile: Profile) -> Res<RestartStrategyConfig> {
        let Some(name) = raw.strategy.as_deref() else {
            return Err(self.missing(
                "restart.strategy",
                "none | fixed-delay | failure-rate | exponential-delay; omit [restart] for Flink's default",
            ));
        };
        let lower = name.to_ascii_lowercase();
        if !RestartStrategyConfig::name_is_known(&lower) {
            return Err(self.err(
                "restart.strategy",
                format!(
                    "unknown restart strategy `{name}`; Flink's names are none/off/disable, fixeddelay/fixed-delay, \
                     failurerate/failure-rate, exponentialdelay/exponential-delay"
                ),
            ));
        }
        let present: Vec<&'static str> = [
            ("attempts", raw.attempts.is_some()),
            ("delay_ms", raw.delay_ms.is_some()),
            ("max_failures_per_interval", raw.max_failures_per_interval.is_some()),
            ("interval_ms", raw.interval_ms.is_some()),
            ("initial_backoff_ms", raw.initial_backoff_ms.is_some()),
            ("max_backoff_ms", raw.max_backoff_ms.is_some()),
            ("multiplier", raw.multiplier.is_some()),
            ("reset_threshold_ms", raw.reset_threshold_ms.is_some()),
            ("jitter", raw.jitter.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, p)| p.then_some(k))
        .collect();
        let attempts = raw.attempts.map(IntOrUnlimited::value);
        let (allowed, config): (&[&str], RestartStrategyConfig) = match lower.as_str() {
            "none" | "off" | "disable" => (&[], RestartStrategyConfig::NoRestart),
            "fixeddelay" | "fixed-delay" => {
                let mut c = RestartStrategyConfig::fixed_delay_default();
                if let RestartStrategyConfig::FixedDelay { attempts: a, delay_ms } = &mut c {
                    set(a, attempts);
                    set(delay_ms, raw.delay_ms);
                }
                (&["attempts", "delay_ms"], c)
            }
            "failurerate" | "failure-rate" => {
                let mut c = RestartStrategyConfig::failure_rate_default();
                if let RestartStrategyConfig::FailureRate { max_failures_per_interval, interval_ms, delay_ms } = &mut c
                {
                    set(max_failures_per_interval, raw.max_failures_per_interval);
                    set(interval_ms, raw.interval_ms);
                    set(delay_ms, raw.delay_ms);
                }
                (&["max_failures_per_interval", "interval_ms", "delay_ms"], c)
            }
            _ => {
                if profile == Profile::Flink111 {
                    return Err(self.err(
                        "restart.strategy",
                        format!("the exponential-delay strategy does not exist in {profile} (added in Flink 1.13)"),
                    ));
                }
                let mut c = RestartStrategyConfig::exponential_delay_default();
                if let RestartStrategyConfig::ExponentialDelay {
                    initial_backoff_ms,
                    max_backoff_ms,
                    multiplier,
                    reset_threshold_ms,
                    jitter,
                    attempts: a,
                } = &mut c
                {
                    set(initial_backoff_ms, raw.initial_backoff_ms);
                    set(max_backoff_ms, raw.max_backoff_ms);
                    set(multiplier, raw.multiplier);
                    set(reset_threshold_ms, raw.reset_threshold_ms);
                    set(jitter, raw.jitter);
                    set(a, attempts);
                }
                (&["initial_backoff_ms", "max_backoff_ms", "multiplier", "reset_threshold_ms", "jitter", "attempts"], c)
            }
        };
        if let Some(extra) = present.iter().find(|k| !allowed.contains(k)) {
            let allowed_text = if allowed.is_empty() { "no other keys".to_string() } else { list(allowed) };
            return Err(self.err(
                &format!("restart.{extra}"),
                format!("`{extra}` does not apply to the `{name}` strategy (it takes {allowed_text})"),
            ));
        }
        config.validate().map_err(|e| self.config_error(e, "", ""))?;
        Ok(config)
    }

    fn cluster(&self, raw: RawCluster) -> Res<ClusterSpec> {
        let d = ClusterSpec::default();
        let c = ClusterSpec {
            task_managers: raw.task_managers.unwrap_or(d.task_managers),
            slots_per_tm: raw.slots_per_tm.unwrap_or(d.slots_per_tm),
            control_latency_ms: raw.control_latency_ms.map(|r| (r.0, r.1)).unwrap_or(d.control_latency_ms),
            data_latency_ms: raw.data_latency_ms.unwrap_or(d.data_latency_ms),
            channel_capacity_buffers: raw.channel_capacity_buffers.unwrap_or(d.channel_capacity_buffers),
            buffer_records: raw.buffer_records.unwrap_or(d.buffer_records),
            buffer_timeout_ms: raw.buffer_timeout_ms.unwrap_or(d.buffer_timeout_ms),
            record_cost_us: raw.record_cost_us.unwrap_or(d.record_cost_us),
            storage_bandwidth_bytes_per_ms: raw
                .storage_bandwidth_bytes_per_ms
                .unwrap_or(d.storage_bandwidth_bytes_per_ms),
            // Flink's ratio (10 s / 50 s) when only the timeout is given.
            heartbeat_interval_ms: raw.heartbeat_interval_ms.unwrap_or(match raw.heartbeat_timeout_ms {
                Some(t) => (t / 5).clamp(1, d.heartbeat_interval_ms),
                None => d.heartbeat_interval_ms,
            }),
            heartbeat_timeout_ms: raw.heartbeat_timeout_ms.unwrap_or(d.heartbeat_timeout_ms),
            deploy_latency_ms: raw.deploy_latency_ms.map(|r| (r.0, r.1)).unwrap_or(d.deploy_latency_ms),
            restore_latency_ms: raw.restore_latency_ms.map(|r| (r.0, r.1)).unwrap_or(d.restore_latency_ms),
            cancel_latency_ms: raw.cancel_latency_ms.map(|r| (r.0, r.1)).unwrap_or(d.cancel_latency_ms),
            first_start_latency_ms: raw.first_start_latency_ms.map(|r| (r.0, r.1)).unwrap_or(d.first_start_latency_ms),
        };
        let positive: [(&str, u64); 6] = [
            ("task_managers", c.task_managers.into()),
            ("slots_per_tm", c.slots_per_tm.into()),
            ("channel_capacity_buffers", c.channel_capacity_buffers.into()),
            ("buffer_records", c.buffer_records.into()),
            ("storage_bandwidth_bytes_per_ms", c.storage_bandwidth_bytes_per_ms),
            ("heartbeat_interval_ms", c.heartbeat_interval_ms),
        ];
        for (key, v) in positive {
            if v == 0 {
                return Err(self.err(&format!("cluster.{key}"), "must be >= 1 (got 0)"));
            }
        }
        for (key, (min, max)) in [
            ("deploy_latency_ms", c.deploy_latency_ms),
            ("restore_latency_ms", c.restore_latency_ms),
            ("cancel_latency_ms", c.cancel_latency_ms),
            ("first_start_latency_ms", c.first_start_latency_ms),
        ] {
            if min > max {
                return Err(self.err(&format!("cluster.{key}"), format!("min must be <= max (got [{min}, {max}])")));
            }
        }
        if c.control_latency_ms.0 > c.control_latency_ms.1 {
            return Err(self.err(
                "cluster.control_latency_ms",
                format!("min must be <= max (got [{}, {}])", c.control_latency_ms.0, c.control_latency_ms.1),
            ));
        }
        if c.heartbeat_timeout_ms <= c.heartbeat_interval_ms {
            return Err(self.err(
                "cluster.heartbeat_timeout_ms",
                format!(
                    "must be > heartbeat_interval_ms (got {} <= {})",
                    c.heartbeat_timeout_ms, c.heartbeat_interval_ms
                ),
            ));
        }
        Ok(c)
    }

    fn operators(&self, raws: Vec<RawOperator>, cluster: &ClusterSpec) -> Res<Vec<OperatorSpec>> {
        if raws.is_empty() && self.index.entries.contains_key("operators") {
            return Err(
                self.err("operators", "is empty: give a pipeline of [[operators]], a source first, a sink last")
            );
        }
        if raws.is_empty() {
            return Err(self.missing("operators", "a pipeline of [[operators]]: a source first, a sink last"));
        }
        let n = raws.len();
        // Kinds first, so default names and pipeline shape can be decided.
        let mut kinds = Vec::with_capacity(n);
        for (i, r) in raws.iter().enumerate() {
            let path = format!("operators[{i}].kind");
            let k = r.kind.as_deref().ok_or_else(|| self.missing(&path, "the operator kind"))?;
            let Some(k) = OperatorKindSpec::NAMES.iter().copied().find(|x| *x == k) else {
                return Err(self.err(
                    &path,
                    format!("unknown operator kind `{k}`; known kinds: {}", list(&OperatorKindSpec::NAMES)),
                ));
            };
            kinds.push(k);
        }
        // Pipeline shape.
        for (i, k) in kinds.iter().enumerate() {
            let path = format!("operators[{i}].kind");
            if is_source_kind(k) && i != 0 {
                return Err(
                    self.err(&path, format!("`{k}` is a source: a job has exactly one source, the first operator"))
                );
            }
            if is_sink_kind(k) && i != n - 1 {
                return Err(self.err(&path, format!("`{k}` is a sink: a job has exactly one sink, the last operator")));
            }
            if *k == "key_by" && !kinds.get(i + 1).is_some_and(|next| is_keyed_kind(next)) {
                return Err(self.err(
                    &path,
                    "key_by must be immediately followed by sum, count, max, min or count_window".to_string(),
                ));
            }
            if is_keyed_kind(k) && (i == 0 || kinds[i - 1] != "key_by") {
                return Err(self.err(&path, format!("`{k}` is a keyed operator: it must directly follow key_by")));
            }
        }
        if !is_source_kind(kinds[0]) {
            return Err(self.err(
                "operators[0].kind",
                format!("the first operator must be a source (socket-source | log-source), got `{}`", kinds[0]),
            ));
        }
        if !is_sink_kind(kinds[n - 1]) {
            return Err(self.err(
                &format!("operators[{}].kind", n - 1),
                format!(
                    "the last operator must be a sink (print-sink | two-phase-commit-sink), got `{}`: the job has no sink",
                    kinds[n - 1]
                ),
            ));
        }
        // Default names: the kind, `kind-N` for the N-th of a repeated kind.
        let mut kind_counts: BTreeMap<&str, usize> = BTreeMap::new();
        for k in &kinds {
            *kind_counts.entry(k).or_default() += 1;
        }
        let mut seen_of_kind: BTreeMap<&str, usize> = BTreeMap::new();
        let mut names: BTreeSet<String> = BTreeSet::new();
        let mut out = Vec::with_capacity(n);
        let max_parallelism = u64::from(cluster.task_managers) * u64::from(cluster.slots_per_tm);
        for (i, (r, kind)) in raws.into_iter().zip(kinds.iter().copied()).enumerate() {
            let p = |key: &str| format!("operators[{i}].{key}");
            let ordinal = {
                let c = seen_of_kind.entry(kind).or_default();
                *c += 1;
                *c
            };
            let name = match &r.name {
                Some(name) => {
                    if !is_valid_name(name) {
                        return Err(self.err(
                            &p("name"),
                            format!("`{name}` is not a valid operator name: use letters, digits, `_`, `-`, `.`"),
                        ));
                    }
                    if Node::parse(name).is_some() {
                        return Err(self.err(&p("name"), format!("`{name}` is a node name; choose another")));
                    }
                    name.clone()
                }
                None if kind_counts[kind] > 1 && ordinal > 1 => format!("{kind}-{ordinal}"),
                None => kind.to_string(),
            };
            if !names.insert(name.clone()) {
                let at = if r.name.is_some() { p("name") } else { p("kind") };
                return Err(
                    self.err(&at, format!("duplicate operator name `{name}`; give the operators distinct names"))
                );
            }
            // Keys that only some kinds take.
            let kind_keys: [(&str, bool, &[&str]); 6] = [
                ("function", r.function.is_some(), &["map", "flat_map", "filter"]),
                ("size", r.size.is_some(), &["count_window"]),
                ("startup", r.startup.is_some(), &["log-source"]),
                ("bounded", r.bounded.is_some(), &["log-source", "socket-source"]),
                ("transaction_timeout_ms", r.transaction_timeout_ms.is_some(), &["two-phase-commit-sink"]),
                ("idempotent_commit", r.idempotent_commit.is_some(), &["two-phase-commit-sink"]),
            ];
            if r.transaction_timeout_ms == Some(0) {
                return Err(self.err(&p("transaction_timeout_ms"), "must be >= 1 (got 0)"));
            }
            for (key, present, kinds_ok) in kind_keys {
                if present && !kinds_ok.contains(&kind) {
                    return Err(self.err(&p(key), format!("`{key}` only applies to {}, not {kind}", list(kinds_ok))));
                }
            }
            if kind == "key_by" || kind == "rebalance" {
                let task_keys = [
                    ("parallelism", r.parallelism.is_some()),
                    ("fail_on_value", r.fail_on_value.is_some()),
                    ("fail_every_nth", r.fail_every_nth.is_some()),
                    ("fail_at_ms", r.fail_at_ms.is_some()),
                    ("fail_once_on_value", r.fail_once_on_value.is_some()),
                    ("fail_on_nth_record", r.fail_on_nth_record.is_some()),
                    ("fail_snapshot_sync_on_checkpoint", r.fail_snapshot_sync_on_checkpoint.is_some()),
                    ("fail_snapshot_async_on_checkpoint", r.fail_snapshot_async_on_checkpoint.is_some()),
                    ("fail_notify_complete_on_checkpoint", r.fail_notify_complete_on_checkpoint.is_some()),
                    ("fail_on_restore_times", r.fail_on_restore_times.is_some()),
                    ("fail_on_deploy_times", r.fail_on_deploy_times.is_some()),
                    ("state_padding_bytes", r.state_padding_bytes.is_some()),
                ];
                if let Some((key, _)) = task_keys.iter().find(|(_, present)| *present) {
                    return Err(self.err(
                        &p(key),
                        format!("{kind} is a partitioning, not a task: set `{key}` on the operator after it"),
                    ));
                }
            }
            let parallelism = r.parallelism.unwrap_or(1);
            if parallelism == 0 {
                return Err(self.err(&p("parallelism"), "must be >= 1 (got 0)"));
            }
            if kind == "socket-source" && parallelism != 1 {
                return Err(self.err(
                    &p("parallelism"),
                    format!("a socket source is non-parallel: parallelism must be 1 (got {parallelism})"),
                ));
            }
            if u64::from(parallelism) > max_parallelism {
                return Err(self.err(
                    &p("parallelism"),
                    format!(
                        "parallelism {parallelism} exceeds the cluster's {max_parallelism} slots \
                         (task_managers x slots_per_tm)"
                    ),
                ));
            }
            if r.fail_every_nth == Some(0) {
                return Err(self.err(&p("fail_every_nth"), "must be >= 1 (got 0)"));
            }
            for (key, v) in [
                ("fail_on_nth_record", r.fail_on_nth_record),
                ("fail_snapshot_sync_on_checkpoint", r.fail_snapshot_sync_on_checkpoint),
                ("fail_snapshot_async_on_checkpoint", r.fail_snapshot_async_on_checkpoint),
                ("fail_notify_complete_on_checkpoint", r.fail_notify_complete_on_checkpoint),
                ("fail_on_restore_times", r.fail_on_restore_times),
                ("fail_on_deploy_times", r.fail_on_deploy_times),
            ] {
                if v == Some(0) {
                    return Err(self.err(&p(key), "must be >= 1 (got 0)"));
                }
            }
            let function = |shapes: &[UdfShape], what: &str| -> Res<Udf> {
                let path = p("function");
                let f = r.function.as_deref().ok_or_else(|| self.missing(&path, what))?;
                let udf = Udf::parse(f).ok_or_else(|| {
                    let known: Vec<&str> = Udf::ALL.iter().map(|u| u.name()).collect();
                    self.err(&path, format!("unknown function `{f}`; known functions: {}", list(&known)))
                })?;
                if !shapes.contains(&udf.shape()) {
                    let fitting: Vec<&str> =
                        Udf::ALL.iter().filter(|u| shapes.contains(&u.shape())).map(|u| u.name()).collect();
                    return Err(self.err(
                        &path,
                        format!("function `{f}` cannot be used in {kind}; {kind} takes {}", list(&fitting)),
                    ));
                }
                Ok(udf)
            };
            let kind_spec = match kind {
                "socket-source" => OperatorKindSpec::SocketSource,
                "log-source" => {
                    let startup = match r.startup.as_deref() {
                        None => StartupMode::default(),
                        Some(s) => StartupMode::parse(s).ok_or_else(|| {
                            self.err(
                                &p("startup"),
                                format!("unknown startup mode `{s}`; expected {}", list(&StartupMode::NAMES)),
                            )
                        })?,
                    };
                    OperatorKindSpec::LogSource { startup }
                }
                "map" => OperatorKindSpec::Map { function: function(&[UdfShape::OneToOne], "the map function")? },
                "flat_map" => OperatorKindSpec::FlatMap {
                    function: function(&[UdfShape::OneToOne, UdfShape::OneToMany], "the flat_map function")?,
                },
                "filter" => {
                    OperatorKindSpec::Filter { function: function(&[UdfShape::Predicate], "the filter predicate")? }
                }
                "rebalance" => OperatorKindSpec::Rebalance,
                "key_by" => OperatorKindSpec::KeyBy,
                "sum" => OperatorKindSpec::Sum,
                "count" => OperatorKindSpec::Count,
                "max" => OperatorKindSpec::Max,
                "min" => OperatorKindSpec::Min,
                "count_window" => {
                    let size = r.size.ok_or_else(|| self.missing(&p("size"), "records per window"))?;
                    if size == 0 {
                        return Err(self.err(&p("size"), "must be >= 1 (got 0)"));
                    }
                    OperatorKindSpec::CountWindow { size }
                }
                "print-sink" => OperatorKindSpec::PrintSink,
                _ => OperatorKindSpec::TwoPhaseCommitSink,
            };
            out.push(OperatorSpec {
                name,
                kind: kind_spec,
                parallelism,
                fail_on_value: r.fail_on_value,
                fail_every_nth: r.fail_every_nth,
                fail_at_ms: r.fail_at_ms,
                more_injectors: MoreInjectors {
                    fail_once_on_value: r.fail_once_on_value,
                    fail_on_nth_record: r.fail_on_nth_record,
                    fail_snapshot_sync_on_checkpoint: r.fail_snapshot_sync_on_checkpoint,
                    fail_snapshot_async_on_checkpoint: r.fail_snapshot_async_on_checkpoint,
                    fail_notify_complete_on_checkpoint: r.fail_notify_complete_on_checkpoint,
                    fail_on_restore_times: r.fail_on_restore_times,
                    fail_on_deploy_times: r.fail_on_deploy_times,
                },
                state_padding_bytes: r.state_padding_bytes.unwrap_or(0),
                bounded: r.bounded.unwrap_or(false),
                sink_store: ckptsim::sink::StoreConfig {
                    transaction_timeout_ms: r.transaction_timeout_ms,
                    idempotent_commit: r.idempotent_commit.unwrap_or(true),
                },
            });
        }
        Ok(out)
    }

    fn input(&self, raw: Option<RawInput>, operators: &[OperatorSpec]) -> Res<InputSpec> {
        let source = &operators[0];
        let is_log = matches!(source.kind, OperatorKindSpec::LogSource { .. });
        let Some(raw) = raw else {
            return Err(self.missing("input", "[input] with lines, records or a generator"));
        };
        let given: Vec<&str> = [
            ("lines", raw.lines.is_some()),
            ("records", raw.records.is_some()),
            ("generator", raw.generator.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, p)| p.then_some(k))
        .collect();
        if given.len() != 1 {
            let at = given.get(1).map(|k| format!("input.{k}")).unwrap_or_else(|| "input".to_string());
            return Err(
                self.err(&at, format!("[input] takes exactly one of lines, records, generator (got {})", given.len()))
            );
        }
        let partitions = match raw.partitions {
            Some(_) if !is_log => {
                return Err(self.err("input.partitions", "partitions only apply to a log-source"));
            }
            Some(0) => return Err(self.err("input.partitions", "must be >= 1 (got 0)")),
            Some(p) => p,
            None => 1,
        };
        if let Some(lines) = raw.lines {
            if is_log {
                return Err(self.err("input.lines", "lines are typed into a socket-source; a log-source reads records"));
            }
            let mut out = Vec::with_capacity(lines.len());
            let mut last = 0;
            for (i, l) in lines.into_iter().enumerate() {
                let p = format!("input.lines[{i}]");
                let at_ms = l.at_ms.ok_or_else(|| self.missing(&format!("{p}.at_ms"), "when the line is sent"))?;
                let line = l.line.ok_or_else(|| self.missing(&format!("{p}.line"), "the text"))?;
                if at_ms < last {
                    return Err(self.err(
                        &format!("{p}.at_ms"),
                        format!("input must be sorted by time: {at_ms} is before the previous line's {last}"),
                    ));
                }
                last = at_ms;
                out.push(InputLine { at_ms, line });
            }
            return Ok(InputSpec::Lines(out));
        }
        if let Some(records) = raw.records {
            if !is_log {
                return Err(self
                    .err("input.records", "records are appended to a log-source's log; a socket-source reads lines"));
            }
            let mut out = Vec::with_capacity(records.len());
            let mut last = 0;
            for (i, r) in records.into_iter().enumerate() {
                let p = format!("input.records[{i}]");
                let at_ms =
                    r.at_ms.ok_or_else(|| self.missing(&format!("{p}.at_ms"), "when the record is appended"))?;
                let partition = r.partition.unwrap_or(0);
                if partition >= partitions {
                    return Err(self.err(
                        &format!("{p}.partition"),
                        format!("partition {partition} does not exist (input.partitions = {partitions})"),
                    ));
                }
                let value = r.value.ok_or_else(|| self.missing(&format!("{p}.value"), "the record's value"))?;
                if at_ms < last {
                    return Err(self.err(
                        &format!("{p}.at_ms"),
                        format!("input must be sorted by time: {at_ms} is before the previous record's {last}"),
                    ));
                }
                last = at_ms;
                out.push(InputRecord { at_ms, partition: PartitionId(partition), value });
            }
            return Ok(InputSpec::Records { partitions, records: out });
        }
        let Some(g) = raw.generator else {
            return Err(self.missing("input", "[input] with lines, records or a generator"));
        };
        let p = |k: &str| format!("input.generator.{k}");
        let count = g.count.ok_or_else(|| self.missing(&p("count"), "number of records"))?;
        let rate_per_s = g.rate_per_s.ok_or_else(|| self.missing(&p("rate_per_s"), "records per second"))?;
        if rate_per_s == 0 {
            return Err(self.err(&p("rate_per_s"), "must be >= 1 (got 0)"));
        }
        let keys = g.keys.unwrap_or(1);
        if keys == 0 {
            return Err(self.err(&p("keys"), "must be >= 1 (got 0)"));
        }
        let distribution = match g.distribution.as_deref() {
            None | Some("uniform") => Distribution::Uniform,
            Some("zipf") => Distribution::Zipf,
            Some(d) => {
                return Err(self.err(&p("distribution"), format!("unknown distribution `{d}`; expected uniform, zipf")))
            }
        };
        Ok(InputSpec::Generator {
            partitions,
            generator: GeneratorSpec { count, rate_per_s, keys, distribution, start_ms: g.start_ms.unwrap_or(0) },
        })
    }

    /// `[input].socket_clock` and `[input].unread_lines`: socket input only; `unread_lines`
    /// only with the absolute clock (with the connected clock no line is due while nobody reads).
    fn socket_session(&self, raw: (Option<String>, Option<String>), input: &InputSpec) -> Res<SocketSession> {
        let (clock, unread) = raw;
        if !matches!(input, InputSpec::Lines(_)) {
            if clock.is_some() {
                return Err(self.err("input.socket_clock", "socket_clock applies to socket input (lines)"));
            }
            if unread.is_some() {
                return Err(self.err("input.unread_lines", "unread_lines applies to socket input (lines)"));
            }
        }
        let connected_clock = match clock.as_deref() {
            None | Some("absolute") => false,
            Some("connected") => true,
            Some(c) => {
                return Err(
                    self.err("input.socket_clock", format!("unknown socket clock `{c}`; expected absolute, connected"))
                )
            }
        };
        let buffer_unread = match unread.as_deref() {
            None | Some("drop") => false,
            Some("buffer") => true,
            Some(u) => {
                return Err(self.err("input.unread_lines", format!("unknown choice `{u}`; expected drop, buffer")))
            }
        };
        if connected_clock && unread.is_some() {
            return Err(self.err(
                "input.unread_lines",
                "with socket_clock = \"connected\" no line is due while nobody reads: unread_lines does not apply",
            ));
        }
        Ok(SocketSession { connected_clock, buffer_unread })
    }

    /// `[input].gates`: log input only, `after_records` in 1..=number of inputs, ascending.
    fn gates(&self, raw: Option<Vec<RawGate>>, input: &InputSpec) -> Res<Vec<InputGate>> {
        let Some(raw) = raw else { return Ok(Vec::new()) };
        let total = match input {
            InputSpec::Lines(_) => {
                return Err(self.err("input.gates", "gates apply to a log-source's records or generator"));
            }
            InputSpec::Records { records, .. } => records.len() as u64,
            InputSpec::Generator { generator, .. } => generator.count,
        };
        let mut out: Vec<InputGate> = Vec::with_capacity(raw.len());
        for (i, g) in raw.into_iter().enumerate() {
            let p = format!("input.gates[{i}].after_records");
            let after = g.after_records.ok_or_else(|| self.missing(&p, "inputs before the gate"))?;
            if after == 0 || after > total {
                return Err(self.err(&p, format!("must be in 1..={total} (the number of inputs), got {after}")));
            }
            if out.last().is_some_and(|l| l.after_records >= after) {
                return Err(
                    self.err(&p, format!("gates must be in increasing order: {after} after a gate at or beyond it"))
                );
            }
            out.push(InputGate { after_records: after, trigger: g.trigger.unwrap_or(false) });
        }
        Ok(out)
    }

    fn action(
        &self,
        i: usize,
        raw: RawAction,
        checkpoint: &CheckpointConfig,
        profile: Profile,
        stop_at_ms: u64,
    ) -> Res<TimedAction> {
        let p = |k: &str| format!("actions[{i}].{k}");
        let at_ms = raw.at_ms.ok_or_else(|| self.missing(&p("at_ms"), "when the action happens"))?;
        if at_ms >= stop_at_ms {
            return Err(self.err(&p("at_ms"), format!("at {at_ms} ms the run has ended (stop_at_ms = {stop_at_ms})")));
        }
        let kind = raw.kind.as_deref().ok_or_else(|| self.missing(&p("kind"), &list(&ActionSpec::NAMES)))?;
        let retune_keys = [
            ("interval_ms", raw.interval_ms.is_some()),
            ("min_pause_ms", raw.min_pause_ms.is_some()),
            ("timeout_ms", raw.timeout_ms.is_some()),
            ("tolerable_failures", raw.tolerable_failures.is_some()),
        ];
        let action = match kind {
            "retune" => {
                if !retune_keys.iter().any(|(_, present)| *present) {
                    return Err(self.err(
                        &p("kind"),
                        "retune needs at least one of interval_ms, min_pause_ms, timeout_ms, tolerable_failures",
                    ));
                }
                let retune = Retune {
                    interval_ms: raw.interval_ms,
                    min_pause_ms: raw.min_pause_ms,
                    timeout_ms: raw.timeout_ms,
                    tolerable_failures: raw.tolerable_failures.map(IntOrUnlimited::value),
                };
                // The retuned values must be valid on their own terms.
                let mut after = checkpoint.clone();
                if let Some(v) = retune.interval_ms {
                    after.interval_ms = Some(v);
                }
                after.min_pause_ms = retune.min_pause_ms.unwrap_or(after.min_pause_ms);
                after.timeout_ms = retune.timeout_ms.unwrap_or(after.timeout_ms);
                after.tolerable_failures = retune.tolerable_failures.unwrap_or(after.tolerable_failures);
                after.validate(profile).map_err(|e| self.config_error(e, "checkpoint.", &format!("actions[{i}].")))?;
                ActionSpec::Retune(retune)
            }
            "cancel" => ActionSpec::Cancel,
            "savepoint" => ActionSpec::Savepoint,
            "trigger-checkpoint" => ActionSpec::TriggerCheckpoint,
            "restore-retained" => ActionSpec::RestoreRetained,
            other => {
                return Err(self.err(
                    &p("kind"),
                    format!("unknown action kind `{other}`; known kinds: {}", list(&ActionSpec::NAMES)),
                ))
            }
        };
        if !matches!(action, ActionSpec::Retune(_)) {
            if let Some((key, _)) = retune_keys.iter().find(|(_, present)| *present) {
                return Err(self.err(&p(key), format!("`{key}` only applies to retune actions, not {kind}")));
            }
        }
        Ok(TimedAction { at_ms, action })
    }

    /// Resolves `name` or `name[subtask]` to a task of the pipeline.
    fn task_ref(&self, path: &str, s: &str, operators: &[OperatorSpec], need_subtask: bool) -> Res<TaskRef> {
        let (name, subtask) = match s.find('[') {
            Some(open) => {
                let inner = s[open + 1..].strip_suffix(']').ok_or_else(|| {
                    self.err(path, format!("`{s}` is not a task reference: expected `operator[subtask]`"))
                })?;
                let sub: u32 = inner.parse().map_err(|_| {
                    self.err(path, format!("`{s}`: the subtask index `{inner}` is not a non-negative integer"))
                })?;
                (&s[..open], Some(sub))
            }
            None => (s, None),
        };
        let names = || operators.iter().filter(|o| o.kind.is_task()).map(|o| o.name.as_str()).collect::<Vec<_>>();
        let Some((index, op)) = operators.iter().enumerate().find(|(_, o)| o.name == name) else {
            return Err(self.err(path, format!("no operator named `{name}`; operators: {}", list(&names()))));
        };
        if !op.kind.is_task() {
            return Err(self.err(
                path,
                format!("`{name}` is a key_by, which is not a task; operators with tasks: {}", list(&names())),
            ));
        }
        if need_subtask && subtask.is_none() {
            return Err(self.err(path, format!("`{s}` needs a subtask index: `{name}[0]`")));
        }
        if let Some(sub) = subtask {
            if sub >= op.parallelism {
                return Err(self.err(
                    path,
                    format!("`{name}` has parallelism {}, so subtask {sub} does not exist", op.parallelism),
                ));
            }
        }
        Ok(TaskRef { operator: name.to_string(), operator_index: index, subtask })
    }

    fn node(&self, path: &str, s: &str, operators: &[OperatorSpec], cluster: &ClusterSpec) -> Res<Node> {
        let node = Node::parse(s).ok_or_else(|| {
            self.err(
                path,
                format!(
                    "unknown node `{s}`; nodes are tm0..tm{}, jm, broker, storage, sink-store",
                    cluster.task_managers.saturating_sub(1)
                ),
            )
        })?;
        match node {
            Node::Tm(TmId(t)) if t >= cluster.task_managers => Err(self.err(
                path,
                format!(
                    "`{s}` does not exist: the cluster has {} TaskManager(s), tm0..tm{}",
                    cluster.task_managers,
                    cluster.task_managers.saturating_sub(1)
                ),
            )),
            Node::Broker if !matches!(operators[0].kind, OperatorKindSpec::LogSource { .. }) => {
                Err(self.err(path, "there is no broker: the job has no log-source"))
            }
            Node::SinkStore if !matches!(operators[operators.len() - 1].kind, OperatorKindSpec::TwoPhaseCommitSink) => {
                Err(self.err(path, "there is no sink-store: the job has no two-phase-commit-sink"))
            }
            n => Ok(n),
        }
    }

    fn anchor(&self, path: &str, s: &str, operators: &[OperatorSpec]) -> Res<Anchor> {
        let bad = || {
            self.err(
                path,
                format!(
                    "`{s}` is not an anchor; expected checkpoint-N-triggered, checkpoint-N-barrier-at:OPERATOR[SUBTASK], \
                     checkpoint-N-acked or checkpoint-N-completed"
                ),
            )
        };
        let rest = s.strip_prefix("checkpoint-").ok_or_else(bad)?;
        let dash = rest.find('-').ok_or_else(bad)?;
        let (num, event) = (&rest[..dash], &rest[dash + 1..]);
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: u64 = num.parse().map_err(|_| bad())?;
        if n == 0 {
            return Err(self.err(path, format!("`{s}`: checkpoint ids start at 1")));
        }
        let checkpoint = CheckpointId(n);
        match event {
            "triggered" => Ok(Anchor::Triggered { checkpoint }),
            "acked" => Ok(Anchor::Acked { checkpoint }),
            "completed" => Ok(Anchor::Completed { checkpoint }),
            _ => {
                let task = event.strip_prefix("barrier-at:").ok_or_else(bad)?;
                let task = self.task_ref(path, task, operators, true)?;
                Ok(Anchor::BarrierAt { checkpoint, task })
            }
        }
    }

    fn fault(
        &self,
        i: usize,
        raw: RawFault,
        operators: &[OperatorSpec],
        cluster: &ClusterSpec,
        input: &InputSpec,
        stop_at_ms: u64,
    ) -> Res<TimedFault> {
        let p = |k: &str| format!("faults[{i}].{k}");
        let kind = raw.kind.as_deref().ok_or_else(|| self.missing(&p("kind"), &list(&FaultSpec::NAMES)))?;
        if !FaultSpec::NAMES.contains(&kind) {
            return Err(
                self.err(&p("kind"), format!("unknown fault kind `{kind}`; known kinds: {}", list(&FaultSpec::NAMES)))
            );
        }
        let when = match (raw.at_ms, raw.on.as_deref()) {
            (Some(_), Some(_)) => return Err(self.err(&p("on"), "give either at_ms or on, not both")),
            (None, None) => return Err(self.missing(&p("at_ms"), "when the fault strikes: at_ms or on")),
            (Some(at), None) => {
                if at >= stop_at_ms {
                    return Err(
                        self.err(&p("at_ms"), format!("at {at} ms the run has ended (stop_at_ms = {stop_at_ms})"))
                    );
                }
                When::At(at)
            }
            (None, Some(on)) => When::On(self.anchor(&p("on"), on, operators)?),
        };
        let allowed: &[&str] = match kind {
            "task-failure" => &["target"],
            "tm-crash" => &["target", "restart_after_ms"],
            "jm-crash" => &["target", "restart_after_ms"],
            "partition" => &["target", "peer", "direction", "duration_ms"],
            "message-loss" => &["target", "peer", "rate", "duration_ms"],
            "control-delay" => &["target", "extra_ms", "duration_ms"],
            "slow-link" => &["target", "records_per_s", "extra_ms", "duration_ms"],
            "slow-snapshot" => &["target", "extra_ms", "duration_ms"],
            "storage-failure" | "broker-outage" | "sink-store-outage" => &["target", "duration_ms"],
            "storage-slow" => &["target", "extra_ms", "duration_ms"],
            "slow-operator" => &["target", "records_per_s", "duration_ms"],
            _ => &["records_per_s", "duration_ms"],
        };
        if let Some(extra) = raw.present().into_iter().find(|k| !allowed.contains(k)) {
            return Err(self.err(&p(extra), format!("`{extra}` does not apply to {kind} (it takes {})", list(allowed))));
        }
        if raw.duration_ms == Some(0) {
            return Err(self.err(&p("duration_ms"), "must be > 0 (omit it for \"until the end of the run\")"));
        }
        if raw.records_per_s == Some(0) {
            return Err(self.err(&p("records_per_s"), "must be >= 1 (got 0)"));
        }
        let target_path = p("target");
        let target_str = || raw.target.as_deref().ok_or_else(|| self.missing(&target_path, "what the fault hits"));
        let task = |need_subtask: bool| -> Res<TaskRef> {
            let t = target_str()?;
            if Node::parse(t).is_some() {
                return Err(
                    self.err(&target_path, format!("{kind} hits a task (`operator[subtask]`), not the node `{t}`"))
                );
            }
            self.task_ref(&target_path, t, operators, need_subtask)
        };
        let opt_node = |key: &str, v: &Option<String>| -> Res<Option<Node>> {
            v.as_deref().map(|s| self.node(&p(key), s, operators, cluster)).transpose()
        };
        // A fixed node target: optional, but if given it must name that node.
        let fixed = |node: Node| -> Res<()> {
            if let Some(t) = opt_node("target", &raw.target)? {
                if t != node {
                    return Err(self
                        .err(&target_path, format!("{kind} always hits `{node}`; omit target or set it to `{node}`")));
                }
            }
            Ok(())
        };
        let required = |key: &str, v: Option<u64>, what: &str| v.ok_or_else(|| self.missing(&p(key), what));
        let fault = match kind {
            "task-failure" => FaultSpec::TaskFailure { target: task(false)? },
            "tm-crash" => {
                let t = target_str()?;
                match self.node(&target_path, t, operators, cluster)? {
                    Node::Tm(tm) => FaultSpec::TmCrash { tm, restart_after_ms: raw.restart_after_ms },
                    other => {
                        return Err(self
                            .err(&target_path, format!("tm-crash needs a TaskManager (tm0, tm1, ...), not `{other}`")))
                    }
                }
            }
            "jm-crash" => {
                fixed(Node::Jm)?;
                FaultSpec::JmCrash { restart_after_ms: raw.restart_after_ms }
            }
            "partition" => {
                let target = self.node(&target_path, target_str()?, operators, cluster)?;
                let peer = opt_node("peer", &raw.peer)?.ok_or_else(|| self.missing(&p("peer"), "the other side"))?;
                if peer == target {
                    return Err(self.err(&p("peer"), "a node cannot be partitioned from itself"));
                }
                let direction = match raw.direction.as_deref() {
                    None | Some("both") => Direction::Both,
                    Some("one-way") => Direction::OneWay,
                    Some(d) => {
                        return Err(
                            self.err(&p("direction"), format!("unknown direction `{d}`; expected both, one-way"))
                        )
                    }
                };
                FaultSpec::Partition { target, peer, direction, duration_ms: raw.duration_ms }
            }
            "message-loss" => {
                let rate = raw.rate.ok_or_else(|| self.missing(&p("rate"), "loss probability in (0, 1]"))?;
                if !(rate > 0.0 && rate <= 1.0) {
                    return Err(self.err(&p("rate"), format!("must be in (0, 1] (got {rate})")));
                }
                let target = opt_node("target", &raw.target)?;
                let peer = opt_node("peer", &raw.peer)?;
                if peer.is_some() && target.is_none() {
                    return Err(self.err(&p("peer"), "peer needs a target"));
                }
                if peer.is_some() && peer == target {
                    return Err(self.err(&p("peer"), "peer must differ from target"));
                }
                FaultSpec::MessageLoss { rate, target, peer, duration_ms: raw.duration_ms }
            }
            "control-delay" => FaultSpec::ControlDelay {
                extra_ms: required("extra_ms", raw.extra_ms, "the added latency")?,
                target: opt_node("target", &raw.target)?,
                duration_ms: raw.duration_ms,
            },
            "slow-link" => {
                if raw.records_per_s.is_none() && raw.extra_ms.is_none() {
                    return Err(self.missing(&p("records_per_s"), "records_per_s and/or extra_ms"));
                }
                FaultSpec::SlowLink {
                    target: task(false)?,
                    records_per_s: raw.records_per_s,
                    extra_ms: raw.extra_ms,
                    duration_ms: raw.duration_ms,
                }
            }
            "slow-snapshot" => FaultSpec::SlowSnapshot {
                target: task(false)?,
                extra_ms: required("extra_ms", raw.extra_ms, "the added snapshot time")?,
                duration_ms: raw.duration_ms,
            },
            "storage-failure" => {
                fixed(Node::Storage)?;
                FaultSpec::StorageFailure { duration_ms: raw.duration_ms }
            }
            "storage-slow" => {
                fixed(Node::Storage)?;
                FaultSpec::StorageSlow {
                    extra_ms: required("extra_ms", raw.extra_ms, "the added write latency")?,
                    duration_ms: raw.duration_ms,
                }
            }
            "broker-outage" => {
                if !matches!(operators[0].kind, OperatorKindSpec::LogSource { .. }) {
                    return Err(self.err(&p("kind"), "there is no broker: the job has no log-source"));
                }
                fixed(Node::Broker)?;
                FaultSpec::BrokerOutage { duration_ms: raw.duration_ms }
            }
            "sink-store-outage" => {
                if !matches!(operators[operators.len() - 1].kind, OperatorKindSpec::TwoPhaseCommitSink) {
                    return Err(self.err(&p("kind"), "there is no sink-store: the job has no two-phase-commit-sink"));
                }
                fixed(Node::SinkStore)?;
                FaultSpec::SinkStoreOutage { duration_ms: raw.duration_ms }
            }
            "slow-operator" => FaultSpec::SlowOperator {
                target: task(false)?,
                records_per_s: required("records_per_s", raw.records_per_s, "the throughput cap")?,
                duration_ms: raw.duration_ms,
            },
            _ => {
                if !matches!(input, InputSpec::Generator { .. }) {
                    return Err(self.err(&p("kind"), "input-burst needs generator input ([input].generator)"));
                }
                FaultSpec::InputBurst {
                    records_per_s: required("records_per_s", raw.records_per_s, "the burst rate")?,
                    duration_ms: required("duration_ms", raw.duration_ms, "how long the burst lasts")?,
                }
            }
        };
        Ok(TimedFault { when, fault })
    }

    fn expect(&self, raw: RawExpect, operators: &[OperatorSpec]) -> Res<ExpectSpec> {
        let final_status = match raw.final_status.as_deref() {
            None => None,
            Some(s) => {
                const ALL: [JobStatus; 9] = [
                    JobStatus::Created,
                    JobStatus::Running,
                    JobStatus::Restarting,
                    JobStatus::Failing,
                    JobStatus::Failed,
                    JobStatus::Cancelling,
                    JobStatus::Canceled,
                    JobStatus::Finished,
                    JobStatus::Suspended,
                ];
                Some(ALL.into_iter().find(|j| j.name() == s).ok_or_else(|| {
                    let names: Vec<&str> = ALL.iter().map(|j| j.name()).collect();
                    self.err(
                        "expect.final_status",
                        format!("unknown job status `{s}`; expected one of {}", list(&names)),
                    )
                })?)
            }
        };
        let exactly_once = raw.exactly_once.unwrap_or(false);
        if exactly_once && !matches!(operators[operators.len() - 1].kind, OperatorKindSpec::TwoPhaseCommitSink) {
            return Err(self.err(
                "expect.exactly_once",
                "exactly-once is checked on a two-phase-commit-sink's committed output; this job's sink is not one",
            ));
        }
        if let Some(offsets) = &raw.committed_offsets {
            if !matches!(operators[0].kind, OperatorKindSpec::LogSource { .. }) {
                return Err(self.err("expect.committed_offsets", "needs a log-source"));
            }
            if let Some(o) = offsets.iter().find(|o| **o < -1) {
                return Err(self.err(
                    "expect.committed_offsets",
                    format!("an offset is >= 0, or -1 for \"nothing committed\" (got {o})"),
                ));
            }
        }
        if let Some(c) = &raw.caught_by {
            if !is_valid_name(c) {
                return Err(self.err("expect.caught_by", format!("`{c}` is not a checker name")));
            }
            if !crate::check::CHECKERS.contains(&c.as_str()) {
                return Err(self.err(
                    "expect.caught_by",
                    format!("unknown checker `{c}` (known: {})", crate::check::CHECKERS.join(", ")),
                ));
            }
        }
        Ok(ExpectSpec {
            final_status,
            restarts: raw.restarts,
            exactly_once,
            at_least_once: raw.at_least_once.unwrap_or(false),
            completed_checkpoints_min: raw.completed_checkpoints_min,
            output: raw.output,
            duplicates: raw.duplicates,
            snapshot: raw.snapshot.unwrap_or(false),
            caught_by: raw.caught_by,
            max_checkpoint_gap_ms: raw.max_checkpoint_gap_ms.filter(|g| *g > 0),
            committed_offsets: raw.committed_offsets,
            retained_count: raw.retained_count,
        })
    }
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
