//! Semantic validation, part 1: the conversion context with its error helpers, and the job-level sections (`[checkpoint]`, `[restart]`, `[cluster]`, `[kafka]`).

use super::*;

// ---------------------------------------------------------------------------------------------
// Conversion and semantic validation
// ---------------------------------------------------------------------------------------------

pub(super) struct Ctx<'a> {
    pub(super) file: &'a str,
    pub(super) text: &'a str,
    /// The span index, built from `text` on first use: only errors read it, so a valid file
    /// never holds a second parse of itself (a 4 MiB file of listed records peaked at 290 MB
    /// with the index built up front, 215 MB without).
    index: std::cell::OnceCell<SpanIndex>,
    /// Checkers registered by the caller besides the built-in ones (`caught_by` may name them).
    pub(super) extra_checkers: &'a [String],
}

impl<'a> Ctx<'a> {
    pub(super) fn new(file: &'a str, text: &'a str, extra_checkers: &'a [String]) -> Self {
        Ctx { file, text, index: std::cell::OnceCell::new(), extra_checkers }
    }

    /// Every key's span, parsed from the text when first asked for (an unparsable text, which
    /// `parse_with_checkers` refuses before, gives an empty index).
    pub(super) fn index(&self) -> &SpanIndex {
        self.index.get_or_init(|| {
            toml_edit::ImDocument::parse(self.text).map(|doc| SpanIndex::build(doc.as_item())).unwrap_or_default()
        })
    }
}

pub(super) type Res<T> = Result<T, ScenarioError>;

pub(super) fn list(names: &[&str]) -> String {
    names.join(", ")
}

/// Overwrites a default with the value from the file, if there is one.
pub(super) fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

pub(super) fn is_valid_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

impl Ctx<'_> {
    pub(super) fn error_at(&self, offset: usize, field: &str, message: impl Into<String>) -> ScenarioError {
        let (line, column) = line_col(self.text, offset);
        let (field, message) = (text::escape_controls(field), text::escape_controls(&message.into()));
        ScenarioError { file: self.file.to_string(), line, column, field, message }
    }

    /// An error about `path`, located at its value (or the nearest enclosing table).
    pub(super) fn err(&self, path: &str, message: impl Into<String>) -> ScenarioError {
        let offset = self.index().locate(path).unwrap_or(0);
        self.error_at(offset, path, message)
    }

    pub(super) fn missing(&self, path: &str, what: &str) -> ScenarioError {
        self.err(path, format!("missing required key ({what})"))
    }

    pub(super) fn config_error(&self, e: ConfigError, prefix_from: &str, prefix_to: &str) -> ScenarioError {
        let field = match e.field.strip_prefix(prefix_from) {
            Some(rest) => format!("{prefix_to}{rest}"),
            None => e.field.to_string(),
        };
        self.err(&field, e.message)
    }

    pub(super) fn serde_error(&self, e: &toml::de::Error) -> ScenarioError {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        let field = self.index().path_at(offset).unwrap_or("").to_string();
        let field = if field.is_empty() { "(root)".to_string() } else { field };
        let message = text::name_datetimes(self.text, offset, friendly_serde_message(e.message()));
        self.error_at(offset, &field, message)
    }

    pub(super) fn convert(&self, raw: RawScenario) -> Res<Scenario> {
        let (name, profile, variant) = self.header(raw.name, raw.profile.as_deref(), raw.variant.as_deref())?;
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
        let failover = match raw.failover_strategy.as_deref() {
            None => ckptsim::region::FailoverStrategy::default(),
            Some(s) => ckptsim::region::FailoverStrategy::parse(s).ok_or_else(|| {
                self.err("failover_strategy", format!("unknown failover strategy `{s}`; expected one of: full, region"))
            })?,
        };
        let cluster = self.cluster(raw.cluster.unwrap_or_default())?;
        let operators = self.operators(raw.operators, &cluster)?;
        if let (false, Some(i)) = (profile.supports_sink_v2(), operators.iter().position(|o| o.sink_v2)) {
            return Err(self.err(
                &format!("operators[{i}].sink_api"),
                "`sink-v2` (Flink's Sink V2 KafkaSink) does not exist in flink-1.11 (added in Flink 1.14)",
            ));
        }
        if let (false, Some(i)) =
            (profile.supports_sink_v2(), operators.iter().position(|o| o.late_outputs.contains(&true)))
        {
            let key = if operators[i].late_outputs[0] { "late_left" } else { "late_right" };
            return Err(self.err(
                &format!("operators[{i}].{key}"),
                "an interval join's late side outputs (`sideOutputLeftLateData` / `sideOutputRightLateData`) do not exist in flink-1.11 (added in Flink 1.15)",
            ));
        }
        let kafka = self.kafka(raw.kafka, &operators)?;
        let mut raw_input = raw.input;
        let raw_gates = raw_input.as_mut().and_then(|i| i.gates.take());
        let raw_socket =
            raw_input.as_mut().map(|i| (i.socket_clock.take(), i.unread_lines.take())).unwrap_or((None, None));
        let source_inputs = self.source_inputs(raw.inputs, raw_input.is_some(), &operators)?;
        let input = match source_inputs.first() {
            Some((_, first)) => first.clone(),
            None => self.input(raw_input, &operators)?,
        };
        self.event_time_consistency(&operators, &input, &source_inputs, stop_at_ms)?;
        let input_gates = self.gates(raw_gates, &input)?;
        let socket_session = self.socket_session(raw_socket, &input)?;
        let inputs: u64 = if source_inputs.is_empty() {
            input.count()
        } else {
            source_inputs.iter().map(|(_, i)| i.count()).fold(0, u64::saturating_add)
        };
        let actions = raw
            .actions
            .into_iter()
            .enumerate()
            .map(|(i, a)| self.action(i, a, &checkpoint, profile, stop_at_ms, (&operators, &cluster, inputs)))
            .collect::<Res<Vec<_>>>()?;
        let faults = raw
            .faults
            .into_iter()
            .enumerate()
            .map(|(i, f)| self.fault(i, f, &operators, &cluster, (&input, inputs), stop_at_ms))
            .collect::<Res<Vec<_>>>()?;
        self.anchors_can_fire(&checkpoint, &actions, &faults)?;
        let expect = self.expect(raw.expect.unwrap_or_default(), &operators, raw.seed.unwrap_or(0))?;
        let swarm_keep = self.swarm_keep(raw.swarm)?;
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
            failover,
            cluster,
            kafka,
            operators,
            input,
            source_inputs,
            actions,
            faults,
            expect,
            swarm_keep,
        };
        self.limits(&scenario)?;
        Ok(scenario)
    }

    /// `[swarm] keep`: the settings a swarm draw keeps (each named once).
    fn swarm_keep(&self, raw: Option<RawSwarm>) -> Res<SwarmKeep> {
        let mut keep = SwarmKeep::default();
        for (i, key) in raw.map(|r| r.keep).unwrap_or_default().iter().enumerate() {
            keep.keep(key).map_err(|why| self.err(&format!("swarm.keep[{i}]"), why))?;
        }
        Ok(keep)
    }

    /// The scenario's `name`, `profile` and `variant` (the profile and variant by their names).
    fn header(
        &self,
        name: Option<String>,
        profile: Option<&str>,
        variant: Option<&str>,
    ) -> Res<(String, Profile, Variant)> {
        let name = name.ok_or_else(|| self.missing("name", "the scenario's name"))?;
        if !is_valid_name(&name) {
            return Err(
                self.err("name", format!("`{name}` is not a valid name: use ASCII letters, digits, `_`, `-`, `.`"))
            );
        }
        let profile = match profile {
            None => Profile::default(),
            Some(p) => Profile::parse(p).ok_or_else(|| {
                let known: Vec<String> = Profile::ALL.iter().map(|p| p.to_string()).collect();
                self.err("profile", format!("unknown profile `{p}`; known profiles: {}", known.join(", ")))
            })?,
        };
        let variant = match variant {
            None => Variant::default(),
            Some(v) => Variant::ALL.into_iter().find(|x| x.name() == v).ok_or_else(|| {
                let known: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
                self.err("variant", format!("unknown variant `{v}`; known variants: {}", known.join(", ")))
            })?,
        };
        Ok((name, profile, variant))
    }

    /// Without periodic checkpoints and without an action that triggers one, no fault or action
    /// may be anchored to a checkpoint (it could never fire).
    fn anchors_can_fire(
        &self,
        checkpoint: &CheckpointConfig,
        actions: &[TimedAction],
        faults: &[TimedFault],
    ) -> Res<()> {
        let checkpoints_possible = checkpoint.periodic_enabled()
            || actions.iter().any(|a| matches!(a.action, ActionSpec::TriggerCheckpoint | ActionSpec::Savepoint));
        if !checkpoints_possible {
            let checkpoint_anchor = |w: &When| matches!(w, When::On(a) if a.checkpoint().is_some());
            let anchored = faults.iter().position(|f| checkpoint_anchor(&f.when)).map(|i| format!("faults[{i}].on"));
            let anchored = anchored.or_else(|| {
                actions.iter().position(|a| checkpoint_anchor(&a.when)).map(|i| format!("actions[{i}].on"))
            });
            if let Some(path) = anchored {
                return Err(self.err(
                    &path,
                    "this anchor can never fire: periodic checkpoints are disabled ([checkpoint].interval_ms) \
                     and no action triggers a checkpoint or savepoint",
                ));
            }
        }
        Ok(())
    }

    pub(super) fn kafka(&self, raw: Option<RawKafka>, operators: &[OperatorSpec]) -> Res<KafkaSettings> {
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

    pub(super) fn checkpoint(&self, raw: Option<RawCheckpoint>, profile: Profile) -> Res<CheckpointConfig> {
        let d = CheckpointConfig::default();
        let Some(raw) = raw else { return Ok(d) };
        const MODES: [CheckpointingMode; 2] = [CheckpointingMode::ExactlyOnce, CheckpointingMode::AtLeastOnce];
        const RETENTIONS: [Retention; 3] =
            [Retention::NoExternalizedCheckpoints, Retention::DeleteOnCancellation, Retention::RetainOnCancellation];
        let mode = match raw.mode.as_deref() {
            None => d.mode,
            Some(m) => super::names::parse_as(m).ok_or_else(|| {
                self.err("checkpoint.mode", format!("unknown mode `{m}`; expected {}", super::names::list_of(&MODES)))
            })?,
        };
        let retention = match raw.retention.as_deref() {
            None => d.retention,
            Some(r) => super::names::parse_as(r).ok_or_else(|| {
                self.err(
                    "checkpoint.retention",
                    format!("unknown retention `{r}`; expected {}", super::names::list_of(&RETENTIONS)),
                )
            })?,
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
            barrier_announcements: raw.barrier_announcements,
            first_id: raw.first_id.unwrap_or(d.first_id),
        };
        config.validate(profile).map_err(|e| self.config_error(e, "", ""))?;
        Ok(config)
    }

    pub(super) fn restart(&self, raw: RawRestart, profile: Profile) -> Res<RestartStrategyConfig> {
        let Some(name) = raw.strategy.as_deref() else {
            return Err(self.missing(
                "restart.strategy",
                "none | fixed-delay | failure-rate | exponential-delay; omit [restart] for Flink's default",
            ));
        };
        let lower = name.to_ascii_lowercase();
        let Some(named) = RestartStrategyConfig::by_name(&lower) else {
            return Err(self.err(
                "restart.strategy",
                format!(
                    "unknown restart strategy `{name}`; Flink's names are none/off/disable, fixeddelay/fixed-delay, \
                     failurerate/failure-rate, exponentialdelay/exponential-delay"
                ),
            ));
        };
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
        let (allowed, config): (&[&str], RestartStrategyConfig) = match named {
            RestartStrategyConfig::NoRestart => (&[], RestartStrategyConfig::NoRestart),
            mut c @ RestartStrategyConfig::FixedDelay { .. } => {
                if let RestartStrategyConfig::FixedDelay { attempts: a, delay_ms } = &mut c {
                    set(a, attempts);
                    set(delay_ms, raw.delay_ms);
                }
                (&["attempts", "delay_ms"], c)
            }
            mut c @ RestartStrategyConfig::FailureRate { .. } => {
                if let RestartStrategyConfig::FailureRate { max_failures_per_interval, interval_ms, delay_ms } = &mut c
                {
                    set(max_failures_per_interval, raw.max_failures_per_interval);
                    set(interval_ms, raw.interval_ms);
                    set(delay_ms, raw.delay_ms);
                }
                (&["max_failures_per_interval", "interval_ms", "delay_ms"], c)
            }
            mut c @ RestartStrategyConfig::ExponentialDelay { .. } => {
                if !c.exists_in(profile) {
                    return Err(self.err(
                        "restart.strategy",
                        format!("the exponential-delay strategy does not exist in {profile} (added in Flink 1.13)"),
                    ));
                }
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

    pub(super) fn cluster(&self, raw: RawCluster) -> Res<ClusterSpec> {
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
            deploy_ms: d.deploy_ms,
            deploy_latency_ms: raw.deploy_latency_ms.map(|r| (r.0, r.1)).unwrap_or(d.deploy_latency_ms),
            restore_latency_ms: raw.restore_latency_ms.map(|r| (r.0, r.1)).unwrap_or(d.restore_latency_ms),
            cancel_latency_ms: raw.cancel_latency_ms.map(|r| (r.0, r.1)).unwrap_or(d.cancel_latency_ms),
            first_start_latency_ms: raw.first_start_latency_ms.map(|r| (r.0, r.1)).unwrap_or(d.first_start_latency_ms),
            task_cancellation_timeout_ms: raw.task_cancellation_timeout_ms.unwrap_or(d.task_cancellation_timeout_ms),
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
}
