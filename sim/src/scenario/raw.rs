//! The raw shape of a scenario file as serde reads it (`deny_unknown_fields`), before validation gives it meaning.

use super::*;

// ---------------------------------------------------------------------------------------------
// Raw (as written) structures
// ---------------------------------------------------------------------------------------------

/// An integer or the string `"unlimited"`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum IntOrUnlimited {
    Int(i64),
    Unlimited,
}

impl IntOrUnlimited {
    pub(super) fn value(self) -> i64 {
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
pub(super) struct LatencyRange(pub(super) u64, pub(super) u64);

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
pub(super) struct RawScenario {
    pub(super) name: Option<String>,
    pub(super) description: Option<String>,
    pub(super) profile: Option<String>,
    pub(super) variant: Option<String>,
    pub(super) seed: Option<u64>,
    pub(super) stop_at_ms: Option<u64>,
    pub(super) checkpoint: Option<RawCheckpoint>,
    pub(super) restart: Option<RawRestart>,
    pub(super) cluster: Option<RawCluster>,
    pub(super) kafka: Option<RawKafka>,
    #[serde(default)]
    pub(super) operators: Vec<RawOperator>,
    pub(super) input: Option<RawInput>,
    /// `[inputs.<Source>]`: one input per log-source of a job with several sources.
    pub(super) inputs: Option<BTreeMap<String, RawInput>>,
    #[serde(default)]
    pub(super) actions: Vec<RawAction>,
    #[serde(default)]
    pub(super) faults: Vec<RawFault>,
    pub(super) expect: Option<RawExpect>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCheckpoint {
    pub(super) interval_ms: Option<i64>,
    pub(super) min_pause_ms: Option<i64>,
    pub(super) timeout_ms: Option<i64>,
    pub(super) max_concurrent: Option<i64>,
    pub(super) tolerable_failures: Option<IntOrUnlimited>,
    pub(super) mode: Option<String>,
    pub(super) unaligned: Option<bool>,
    pub(super) aligned_timeout_ms: Option<i64>,
    pub(super) barrier_announcements: Option<bool>,
    pub(super) retention: Option<String>,
    pub(super) num_retained: Option<i64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRestart {
    pub(super) strategy: Option<String>,
    pub(super) attempts: Option<IntOrUnlimited>,
    pub(super) delay_ms: Option<i64>,
    pub(super) max_failures_per_interval: Option<i64>,
    pub(super) interval_ms: Option<i64>,
    pub(super) initial_backoff_ms: Option<i64>,
    pub(super) max_backoff_ms: Option<i64>,
    pub(super) multiplier: Option<f64>,
    pub(super) reset_threshold_ms: Option<i64>,
    pub(super) jitter: Option<f64>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCluster {
    pub(super) task_managers: Option<u32>,
    pub(super) slots_per_tm: Option<u32>,
    pub(super) control_latency_ms: Option<LatencyRange>,
    pub(super) data_latency_ms: Option<u64>,
    pub(super) channel_capacity_buffers: Option<u32>,
    pub(super) buffer_records: Option<u32>,
    pub(super) buffer_timeout_ms: Option<u64>,
    pub(super) record_cost_us: Option<u64>,
    pub(super) storage_bandwidth_bytes_per_ms: Option<u64>,
    pub(super) heartbeat_interval_ms: Option<u64>,
    pub(super) heartbeat_timeout_ms: Option<u64>,
    pub(super) deploy_latency_ms: Option<LatencyRange>,
    pub(super) restore_latency_ms: Option<LatencyRange>,
    pub(super) cancel_latency_ms: Option<LatencyRange>,
    pub(super) first_start_latency_ms: Option<LatencyRange>,
    pub(super) task_cancellation_timeout_ms: Option<u64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKafka {
    pub(super) commit_offsets_on_checkpoint: Option<bool>,
    pub(super) auto_commit: Option<bool>,
    pub(super) auto_commit_interval_ms: Option<u64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOperator {
    pub(super) kind: Option<String>,
    pub(super) name: Option<String>,
    pub(super) parallelism: Option<u32>,
    pub(super) function: Option<String>,
    /// `user-sink`: `exactly-once` or `at-least-once` (Flink's `DeliveryGuarantee`).
    pub(super) delivery_guarantee: Option<String>,
    pub(super) size: Option<u64>,
    pub(super) fail_on_value: Option<String>,
    pub(super) fail_every_nth: Option<u64>,
    pub(super) fail_at_ms: Option<u64>,
    pub(super) fail_once_on_value: Option<String>,
    pub(super) fail_on_nth_record: Option<u64>,
    pub(super) fail_snapshot_sync_on_checkpoint: Option<u64>,
    pub(super) fail_snapshot_async_on_checkpoint: Option<u64>,
    pub(super) fail_notify_complete_on_checkpoint: Option<u64>,
    pub(super) fail_on_restore_times: Option<u64>,
    pub(super) fail_on_deploy_times: Option<u64>,
    pub(super) state_padding_bytes: Option<u64>,
    pub(super) startup: Option<String>,
    pub(super) bounded: Option<bool>,
    pub(super) transaction_timeout_ms: Option<u64>,
    pub(super) idempotent_commit: Option<bool>,
    pub(super) max_parallelism: Option<u32>,
    pub(super) ignore_failures_after_transaction_timeout: Option<bool>,
    /// Job graphs: the operators feeding this one (default: the previous operator).
    pub(super) inputs: Option<Vec<String>>,
    /// `connect`: the co-map function of the second input (`function` is the first's).
    pub(super) second_function: Option<String>,
    // Event time (sources): see `validate_event_time.rs`.
    pub(super) watermarks: Option<String>,
    pub(super) max_out_of_orderness_ms: Option<i64>,
    pub(super) idle_timeout_ms: Option<i64>,
    pub(super) auto_watermark_interval_ms: Option<i64>,
    // Event-time windows (`event_window`).
    pub(super) window: Option<String>,
    pub(super) size_ms: Option<i64>,
    pub(super) slide_ms: Option<i64>,
    pub(super) offset_ms: Option<i64>,
    pub(super) aggregate: Option<String>,
    pub(super) allowed_lateness_ms: Option<i64>,
    pub(super) late_records: Option<String>,
    // Interval join (`interval_join`): `between(lower_ms, upper_ms)`.
    pub(super) lower_ms: Option<i64>,
    pub(super) upper_ms: Option<i64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawInput {
    pub(super) partitions: Option<u32>,
    pub(super) gates: Option<Vec<RawGate>>,
    pub(super) socket_clock: Option<String>,
    pub(super) unread_lines: Option<String>,
    pub(super) lines: Option<Vec<RawLine>>,
    pub(super) records: Option<Vec<RawRecord>>,
    pub(super) generator: Option<RawGenerator>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGate {
    pub(super) after_records: Option<u64>,
    pub(super) trigger: Option<bool>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLine {
    pub(super) at_ms: Option<u64>,
    pub(super) line: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRecord {
    pub(super) at_ms: Option<u64>,
    pub(super) partition: Option<u32>,
    pub(super) value: Option<String>,
    pub(super) ts_ms: Option<i64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGenerator {
    pub(super) count: Option<u64>,
    pub(super) rate_per_s: Option<u64>,
    pub(super) keys: Option<u64>,
    pub(super) distribution: Option<String>,
    pub(super) start_ms: Option<u64>,
    pub(super) ts_jitter_ms: Option<u64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAction {
    pub(super) at_ms: Option<u64>,
    /// An anchor instead of `at_ms` (as a fault's `on`).
    pub(super) on: Option<String>,
    pub(super) kind: Option<String>,
    pub(super) interval_ms: Option<i64>,
    pub(super) min_pause_ms: Option<i64>,
    pub(super) timeout_ms: Option<i64>,
    pub(super) tolerable_failures: Option<IntOrUnlimited>,
    /// `rescale`: new parallelism per operator name.
    pub(super) parallelism: Option<BTreeMap<String, u32>>,
    /// `rescale`: `savepoint` | `retained-checkpoint`.
    pub(super) from: Option<String>,
    /// `rescale`: the new program's max parallelism per operator name (an integer or "auto").
    pub(super) max_parallelism: Option<BTreeMap<String, IntOrAuto>>,
    /// `stop-with-savepoint`: `flink stop --drain` (MAX_WATERMARK before the savepoint).
    pub(super) drain: Option<bool>,
}

/// An integer, or "auto" (derived; for a `rescale` action's `max_parallelism`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum IntOrAuto {
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

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFault {
    pub(super) kind: Option<String>,
    pub(super) at_ms: Option<u64>,
    pub(super) on: Option<String>,
    pub(super) duration_ms: Option<u64>,
    pub(super) target: Option<String>,
    pub(super) peer: Option<String>,
    pub(super) direction: Option<String>,
    pub(super) rate: Option<f64>,
    pub(super) messages: Option<Vec<String>>,
    pub(super) extra_ms: Option<u64>,
    pub(super) records_per_s: Option<u64>,
    pub(super) restart_after_ms: Option<u64>,
}

impl RawFault {
    /// The kind-specific keys that are present.
    pub(super) fn present(&self) -> Vec<&'static str> {
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

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExpect {
    pub(super) final_status: Option<String>,
    pub(super) restarts: Option<u32>,
    pub(super) exactly_once: Option<bool>,
    pub(super) at_least_once: Option<bool>,
    pub(super) completed_checkpoints_min: Option<u64>,
    pub(super) committed_min: Option<u64>,
    pub(super) committed_max: Option<u64>,
    pub(super) output: Option<Vec<String>>,
    pub(super) duplicates: Option<Vec<String>>,
    pub(super) snapshot: Option<bool>,
    pub(super) caught_by: Option<String>,
    pub(super) max_checkpoint_gap_ms: Option<u64>,
    pub(super) committed_offsets: Option<Vec<i64>>,
    pub(super) retained_count: Option<u32>,
    pub(super) restored_checkpoints: Option<Vec<u64>>,
}
