//! The raw shape of a scenario file as serde reads it (`deny_unknown_fields`), before validation gives it meaning, and as `emit` writes it (the same structs serialize, so the keys written are the keys read).

use super::*;
use serde::Serializer;

// ---------------------------------------------------------------------------------------------
// Raw (as written) structures
// ---------------------------------------------------------------------------------------------

/// An integer or the string `"unlimited"`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum IntOrUnlimited {
    Int(i64),
    Unlimited,
}

impl IntOrUnlimited {
    pub(crate) fn value(self) -> i64 {
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

impl Serialize for IntOrUnlimited {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            IntOrUnlimited::Int(i) => s.serialize_i64(*i),
            IntOrUnlimited::Unlimited => s.serialize_str("unlimited"),
        }
    }
}

/// `[min, max]` or a single value for both.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct LatencyRange(pub(crate) u64, pub(crate) u64);

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

impl Serialize for LatencyRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        [self.0, self.1].serialize(s)
    }
}

#[derive(Deserialize, Serialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) profile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) variant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stop_at_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) checkpoint: Option<RawCheckpoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) restart: Option<RawRestart>,
    /// `failover_strategy = "full" | "region"` (Flink's `jobmanager.execution.failover-strategy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) failover_strategy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cluster: Option<RawCluster>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) kafka: Option<RawKafka>,
    #[serde(default)]
    pub(crate) operators: Vec<RawOperator>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) input: Option<RawInput>,
    /// `[inputs.<Source>]`: one input per log-source of a job with several sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) inputs: Option<BTreeMap<String, RawInput>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) actions: Vec<RawAction>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) faults: Vec<RawFault>,
    /// `[swarm]`: what a swarm draw keeps of the scenario.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) swarm: Option<RawSwarm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expect: Option<RawExpect>,
}

/// `[swarm]`.
#[derive(Deserialize, Serialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSwarm {
    /// `keep = ["tolerable_failures"]`: settings the swarm keeps instead of redrawing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) keep: Vec<String>,
}

#[derive(Deserialize, Serialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCheckpoint {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) interval_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) min_pause_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) timeout_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_concurrent: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tolerable_failures: Option<IntOrUnlimited>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unaligned: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) aligned_timeout_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) barrier_announcements: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) retention: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) num_retained: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) first_id: Option<i64>,
}

#[derive(Deserialize, Serialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRestart {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) strategy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) attempts: Option<IntOrUnlimited>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) delay_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_failures_per_interval: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) interval_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) initial_backoff_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_backoff_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) multiplier: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reset_threshold_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) jitter: Option<f64>,
}

#[derive(Deserialize, Serialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCluster {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) task_managers: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) slots_per_tm: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) control_latency_ms: Option<LatencyRange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) data_latency_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) channel_capacity_buffers: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) buffer_records: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) buffer_timeout_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) record_cost_us: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) storage_bandwidth_bytes_per_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) heartbeat_interval_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) heartbeat_timeout_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) deploy_latency_ms: Option<LatencyRange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) restore_latency_ms: Option<LatencyRange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cancel_latency_ms: Option<LatencyRange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) first_start_latency_ms: Option<LatencyRange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) task_cancellation_timeout_ms: Option<u64>,
}

#[derive(Deserialize, Serialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKafka {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) commit_offsets_on_checkpoint: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) auto_commit: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) auto_commit_interval_ms: Option<u64>,
}

#[derive(Deserialize, Serialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOperator {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) parallelism: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) function: Option<String>,
    /// `user-sink`: `exactly-once` or `at-least-once` (Flink's `DeliveryGuarantee`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) delivery_guarantee: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fail_on_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fail_every_nth: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fail_at_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fail_once_on_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fail_on_nth_record: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fail_snapshot_sync_on_checkpoint: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fail_snapshot_async_on_checkpoint: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fail_notify_complete_on_checkpoint: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fail_on_restore_times: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fail_on_deploy_times: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state_padding_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) startup: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) bounded: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) transaction_timeout_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) idempotent_commit: Option<bool>,
    /// `two-phase-commit-sink`: the first this many commit attempts of each transaction fail
    /// with a retriable error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) retriable_commit_failures: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_parallelism: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ignore_failures_after_transaction_timeout: Option<bool>,
    /// `two-phase-commit-sink`: `sink-function` (default, `TwoPhaseCommitSinkFunction`) or
    /// `sink-v2` (flink-2.3 only: Sink V2's `KafkaSink` committer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sink_api: Option<String>,
    /// Job graphs: the operators feeding this one (default: the previous operator).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) inputs: Option<Vec<String>>,
    /// `connect`: the co-map function of the second input (`function` is the first's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) second_function: Option<String>,
    // Event time (sources): see `validate_event_time.rs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) watermarks: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_out_of_orderness_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) idle_timeout_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) auto_watermark_interval_ms: Option<i64>,
    // Event-time windows (`event_window`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) window: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) size_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) slide_ms: Option<i64>,
    /// A session window's gap (`window = "session"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) gap_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) offset_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) aggregate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) allowed_lateness_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) late_records: Option<String>,
    // Interval join (`interval_join`): `between(lower_ms, upper_ms)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) lower_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) upper_ms: Option<i64>,
    // `lowerBoundExclusive()` / `upperBoundExclusive()` (session 32).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) lower_exclusive: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) upper_exclusive: Option<bool>,
    // `sideOutputLeftLateData` / `sideOutputRightLateData` (session 34): "drop" or "side-output".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) late_left: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) late_right: Option<String>,
    // `broadcast_process` (session 40): an event-time timer this long after each keyed record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) timer_delay_ms: Option<i64>,
}

#[derive(Deserialize, Serialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) partitions: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) gates: Option<Vec<RawGate>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) socket_clock: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unread_lines: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) lines: Option<Vec<RawLine>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) records: Option<Vec<RawRecord>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) generator: Option<RawGenerator>,
}

#[derive(Deserialize, Serialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) after_records: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) trigger: Option<bool>,
}

#[derive(Deserialize, Serialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLine {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) at_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) line: Option<String>,
}

#[derive(Deserialize, Serialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRecord {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) at_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) partition: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ts_ms: Option<i64>,
}

#[derive(Deserialize, Serialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGenerator {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rate_per_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) keys: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) distribution: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) start_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ts_jitter_ms: Option<u64>,
}

#[derive(Deserialize, Serialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) at_ms: Option<u64>,
    /// An anchor instead of `at_ms` (as a fault's `on`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) interval_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) min_pause_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) timeout_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tolerable_failures: Option<IntOrUnlimited>,
    /// `rescale`: new parallelism per operator name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) parallelism: Option<BTreeMap<String, u32>>,
    /// `rescale`: `savepoint` | `retained-checkpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) from: Option<String>,
    /// `rescale`: the new program's max parallelism per operator name (an integer or "auto").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_parallelism: Option<BTreeMap<String, IntOrAuto>>,
    /// `stop-with-savepoint`: `flink stop --drain` (MAX_WATERMARK before the savepoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) drain: Option<bool>,
}

/// An integer, or "auto" (derived; for a `rescale` action's `max_parallelism`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum IntOrAuto {
    Int(u32),
    Auto,
}

impl<'de> Deserialize<'de> for IntOrAuto {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IntOrAuto;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or \"auto\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u32::try_from(v).map(IntOrAuto::Int).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                u32::try_from(v).map(IntOrAuto::Int).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v == "auto" {
                    Ok(IntOrAuto::Auto)
                } else {
                    Err(E::invalid_value(Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for IntOrAuto {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            IntOrAuto::Int(i) => s.serialize_u32(*i),
            IntOrAuto::Auto => s.serialize_str("auto"),
        }
    }
}

#[derive(Deserialize, Serialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFault {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) at_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) duration_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) peer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) direction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) messages: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) extra_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) records_per_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) restart_after_ms: Option<u64>,
}

impl RawFault {
    /// The kind-specific keys that are present.
    pub(crate) fn present(&self) -> Vec<&'static str> {
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
        add("messages", self.messages.is_some());
        add("extra_ms", self.extra_ms.is_some());
        add("records_per_s", self.records_per_s.is_some());
        add("restart_after_ms", self.restart_after_ms.is_some());
        v
    }
}

#[derive(Deserialize, Serialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExpect {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) final_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) restarts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) exactly_once: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) at_least_once: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) completed_checkpoints_min: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) committed_min: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) committed_max: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) output: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) duplicates: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) snapshot: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) caught_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_checkpoint_gap_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) committed_offsets: Option<Vec<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) retained_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) restored_checkpoints: Option<Vec<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) seeds: Option<Vec<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) transactions_begun: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) transactions_aborted: Option<u64>,
}
