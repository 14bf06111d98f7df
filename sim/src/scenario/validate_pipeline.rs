//! Semantic validation, part 2: the operator pipeline, the input, the socket session and the checkpoint gates.

use super::*;

/// The path of key `key` of operator `i`, as error messages name it.
fn op_path(i: usize, key: &str) -> String {
    format!("operators[{i}].{key}")
}

impl Ctx<'_> {
    pub(super) fn operators(&self, mut raws: Vec<RawOperator>, cluster: &ClusterSpec) -> Res<Vec<OperatorSpec>> {
        if raws.is_empty() && self.index().entries.contains_key("operators") {
            return Err(
                self.err("operators", "is empty: give a pipeline of [[operators]], a source first, a sink last")
            );
        }
        if raws.is_empty() {
            return Err(self.missing("operators", "a pipeline of [[operators]]: a source first, a sink last"));
        }
        let n = raws.len();
        // Kinds first, so default names and pipeline shape can be decided.
        let kinds = self.operator_kinds(&raws)?;
        // A job graph names inputs (`inputs = [...]`, validate_graph.rs); a line does not.
        let raw_inputs: Vec<Option<Vec<String>>> = raws.iter_mut().map(|r| r.inputs.take()).collect();
        let graph = raw_inputs.iter().any(Option::is_some);
        if !graph {
            self.line_shape(&kinds)?;
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
            let ordinal = {
                let c = seen_of_kind.entry(kind).or_default();
                *c += 1;
                *c
            };
            let name = self.operator_name(i, &r, kind, kind_counts[kind] > 1 && ordinal > 1, ordinal)?;
            if !names.insert(name.clone()) {
                let at = if r.name.is_some() { op_path(i, "name") } else { op_path(i, "kind") };
                return Err(
                    self.err(&at, format!("duplicate operator name `{name}`; give the operators distinct names"))
                );
            }
            self.kind_only_keys(i, &r, kind)?;
            let (watermarks, event_time) = self.source_event_time(i, &r, kind)?;
            let parallelism = self.task_keys(i, &r, kind, max_parallelism)?;
            let kind_spec = self.kind_spec(i, &r, kind)?;
            let user_io = self.user_io(i, &r, kind)?;
            let delivery_guarantee = self.delivery_guarantee(i, &r)?;
            let sink_v2 = self.sink_api(i, &r)?;
            let topic = self.topic(i, &r)?;
            let late_outputs = self.join_late_outputs(i, &r)?;
            out.push(OperatorSpec {
                name,
                kind: kind_spec,
                user_io,
                delivery_guarantee,
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
                topic,
                sink_store: ckptsim::sink::StoreConfig {
                    transaction_timeout_ms: r.transaction_timeout_ms,
                    idempotent_commit: r.idempotent_commit.unwrap_or(true),
                    retriable_commit_failures: r.retriable_commit_failures.unwrap_or(0),
                },
                max_parallelism: r.max_parallelism,
                ignore_failures_after_transaction_timeout: r.ignore_failures_after_transaction_timeout.unwrap_or(false),
                sink_v2,
                inputs: if i == 0 || graph { Vec::new() } else { vec![i - 1] },
                late_input: false,
                late_gate: None,
                late_side: None,
                late_outputs,
                watermarks,
                event_time,
            });
        }
        self.distinct_topics(&out)?;
        if graph {
            let inputs = self.graph_inputs(&raw_inputs, &out)?;
            set_graph_inputs(&mut out, inputs, &raw_inputs);
        }
        Ok(out)
    }

    /// A source's `topic`: a legal Kafka topic name (Kafka's `Topic.validate`: 1 to 249 of
    /// ASCII letters, digits, `.`, `_`, `-`; not `.` or `..`).
    fn topic(&self, i: usize, r: &RawOperator) -> Res<Option<String>> {
        let Some(t) = &r.topic else { return Ok(None) };
        let bad = if t.is_empty() {
            Some("is empty".to_string())
        } else if t.len() > 249 {
            Some(format!("is {} characters long (Kafka allows at most 249)", t.len()))
        } else if t == "." || t == ".." {
            Some("cannot be `.` or `..`".to_string())
        } else {
            t.chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
                .map(|c| format!("contains {c:?}; a Kafka topic name has only ASCII letters, digits, `.`, `_` and `-`"))
        };
        match bad {
            Some(why) => Err(self.err(&op_path(i, "topic"), format!("topic `{t}` {why}"))),
            None => Ok(Some(t.clone())),
        }
    }

    /// Every log and user source reads a topic of its own (a topic is a range of the broker's
    /// partitions here): the names, defaults included, are distinct.
    fn distinct_topics(&self, ops: &[OperatorSpec]) -> Res<()> {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let sources = ops.iter().enumerate().filter(|(_, o)| matches!(o.kind, OperatorKindSpec::LogSource { .. }));
        for (ordinal, (i, o)) in sources.enumerate() {
            let name = o.topic.clone().unwrap_or_else(|| crate::spec::default_topic_name(ordinal + 1));
            if let Some(first) = seen.insert(name.clone(), i) {
                let at = if o.topic.is_some() { op_path(i, "topic") } else { op_path(i, "kind") };
                return Err(self.err(
                    &at,
                    format!(
                        "topic `{name}` is read by `{}` already; each source reads a topic of its own \
                         (name them with distinct `topic` keys)",
                        ops[first].name
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Each operator's `kind`, checked against the known kinds.
    fn operator_kinds(&self, raws: &[RawOperator]) -> Res<Vec<&'static str>> {
        let mut kinds = Vec::with_capacity(raws.len());
        for (i, r) in raws.iter().enumerate() {
            let path = op_path(i, "kind");
            let k = r.kind.as_deref().ok_or_else(|| self.missing(&path, "the operator kind"))?;
            let known = OperatorKindSpec::names();
            let Some(k) = known.iter().copied().find(|x| *x == k) else {
                return Err(self.err(&path, format!("unknown operator kind `{k}`; known kinds: {}", list(&known))));
            };
            kinds.push(k);
        }
        Ok(kinds)
    }

    /// The shape of a line pipeline (no `inputs`): one source first, one sink last, keyed
    /// operators right after key_by, no multi-input kinds.
    fn line_shape(&self, kinds: &[&str]) -> Res<()> {
        let n = kinds.len();
        for (i, k) in kinds.iter().enumerate() {
            let path = op_path(i, "kind");
            if matches!(*k, "union" | "connect" | "join" | "interval_join" | "window_join") {
                return Err(self.err(
                    &path,
                    format!("`{k}` has several inputs: name them with `inputs = [\"A\", \"B\"]` (a job graph)"),
                ));
            }
            if is_source_kind(k) && i != 0 {
                return Err(
                    self.err(&path, format!("`{k}` is a source: a job has exactly one source, the first operator"))
                );
            }
            if is_sink_kind(k) && i != n - 1 {
                return Err(self.err(&path, format!("`{k}` is a sink: a job has exactly one sink, the last operator")));
            }
            if *k == "key_by" && !kinds.get(i + 1).is_some_and(|next| is_keyed_kind(next) || *next == "user") {
                return Err(self.err(
                    &path,
                    format!(
                        "key_by must be immediately followed by {}, count_window, event_window, processing_window or user",
                        Aggregate::names().join(", ")
                    ),
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
                &op_path(n - 1, "kind"),
                format!(
                    "the last operator must be a sink (print-sink | two-phase-commit-sink), got `{}`: the job has no sink",
                    kinds[n - 1]
                ),
            ));
        }
        Ok(())
    }

    /// The operator's name: `name` if given (checked), else the kind, `kind-N` when `numbered`.
    fn operator_name(&self, i: usize, r: &RawOperator, kind: &str, numbered: bool, ordinal: usize) -> Res<String> {
        Ok(match &r.name {
            Some(name) => {
                if !is_valid_name(name) {
                    return Err(self.err(
                        &op_path(i, "name"),
                        format!("`{name}` is not a valid operator name: use ASCII letters, digits, `_`, `-`, `.`"),
                    ));
                }
                if Node::parse(name).is_some() {
                    return Err(self.err(&op_path(i, "name"), format!("`{name}` is a node name; choose another")));
                }
                name.clone()
            }
            None if numbered => format!("{kind}-{ordinal}"),
            None => kind.to_string(),
        })
    }

    /// Keys that only some kinds take are set only on those kinds.
    fn kind_only_keys(&self, i: usize, r: &RawOperator, kind: &str) -> Res<()> {
        let p = |key: &str| op_path(i, key);
        let kind_keys: [(&str, bool, &[&str]); 19] = [
            ("sink_api", r.sink_api.is_some(), &["two-phase-commit-sink"]),
            ("delivery_guarantee", r.delivery_guarantee.is_some(), &["user-sink"]),
            (
                "function",
                r.function.is_some(),
                &["map", "flat_map", "filter", "user", "connect", "user-source", "user-sink", "broadcast_process"],
            ),
            ("second_function", r.second_function.is_some(), &["connect"]),
            ("lower_ms", r.lower_ms.is_some(), &["interval_join"]),
            ("upper_ms", r.upper_ms.is_some(), &["interval_join"]),
            ("lower_exclusive", r.lower_exclusive.is_some(), &["interval_join"]),
            ("upper_exclusive", r.upper_exclusive.is_some(), &["interval_join"]),
            ("late_left", r.late_left.is_some(), &["interval_join"]),
            ("late_right", r.late_right.is_some(), &["interval_join"]),
            ("timer_delay_ms", r.timer_delay_ms.is_some(), &["broadcast_process"]),
            ("size", r.size.is_some(), &["count_window"]),
            ("startup", r.startup.is_some(), &["log-source"]),
            ("topic", r.topic.is_some(), &["log-source", "user-source"]),
            ("bounded", r.bounded.is_some(), &["log-source", "socket-source", "user-source"]),
            ("transaction_timeout_ms", r.transaction_timeout_ms.is_some(), &["two-phase-commit-sink"]),
            ("idempotent_commit", r.idempotent_commit.is_some(), &["two-phase-commit-sink"]),
            ("retriable_commit_failures", r.retriable_commit_failures.is_some(), &["two-phase-commit-sink"]),
            (
                "ignore_failures_after_transaction_timeout",
                r.ignore_failures_after_transaction_timeout.is_some(),
                &["two-phase-commit-sink"],
            ),
        ];
        if r.transaction_timeout_ms == Some(0) {
            return Err(self.err(&p("transaction_timeout_ms"), "must be >= 1 (got 0)"));
        }
        for (key, present, kinds_ok) in kind_keys {
            if present && !kinds_ok.contains(&kind) {
                return Err(self.err(&p(key), format!("`{key}` only applies to {}, not {kind}", list(kinds_ok))));
            }
        }
        if r.ignore_failures_after_transaction_timeout == Some(true) && r.transaction_timeout_ms.is_none() {
            return Err(self.err(
                &p("ignore_failures_after_transaction_timeout"),
                "needs `transaction_timeout_ms` (the timeout a failed recovery commit is compared with)",
            ));
        }
        Ok(())
    }

    /// The task keys (parallelism, fault injectors, padding): not on a partitioning, in range.
    /// Returns the parallelism.
    fn task_keys(&self, i: usize, r: &RawOperator, kind: &str, max_parallelism: u64) -> Res<u32> {
        let p = |key: &str| op_path(i, key);
        if kind == "key_by" || kind == "rebalance" || kind == "broadcast" {
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
                ("max_parallelism", r.max_parallelism.is_some()),
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
        self.max_parallelism_key(&p, parallelism, r.max_parallelism)?;
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
        Ok(parallelism)
    }

    /// The `function` of a map-like operator: a known UDF whose shape is one of `shapes`.
    fn udf(&self, i: usize, r: &RawOperator, kind: &str, shapes: &[UdfShape], what: &str) -> Res<Udf> {
        let path = op_path(i, "function");
        let f = r.function.as_deref().ok_or_else(|| self.missing(&path, what))?;
        let udf = Udf::parse(f).ok_or_else(|| {
            let known: Vec<&str> = Udf::ALL.iter().map(|u| u.name()).collect();
            self.err(&path, format!("unknown function `{f}`; known functions: {}", list(&known)))
        })?;
        if !shapes.contains(&udf.shape()) {
            let fitting: Vec<&str> =
                Udf::ALL.iter().filter(|u| shapes.contains(&u.shape())).map(|u| u.name()).collect();
            return Err(
                self.err(&path, format!("function `{f}` cannot be used in {kind}; {kind} takes {}", list(&fitting)))
            );
        }
        Ok(udf)
    }

    /// The typed kind of operator `i`, with the keys its kind takes.
    fn kind_spec(&self, i: usize, r: &RawOperator, kind: &str) -> Res<OperatorKindSpec> {
        let p = |key: &str| op_path(i, key);
        Ok(match kind {
            "socket-source" => OperatorKindSpec::SocketSource,
            "user-source" => OperatorKindSpec::LogSource { startup: StartupMode::default() },
            "log-source" => {
                let startup = match r.startup.as_deref() {
                    None => StartupMode::default(),
                    Some(s) => StartupMode::parse(s).ok_or_else(|| {
                        self.err(
                            &p("startup"),
                            format!("unknown startup mode `{s}`; expected {}", list(&StartupMode::names())),
                        )
                    })?,
                };
                OperatorKindSpec::LogSource { startup }
            }
            "map" => {
                OperatorKindSpec::Map { function: self.udf(i, r, kind, &[UdfShape::OneToOne], "the map function")? }
            }
            "flat_map" => OperatorKindSpec::FlatMap {
                function: self.udf(i, r, kind, &[UdfShape::OneToOne, UdfShape::OneToMany], "the flat_map function")?,
            },
            "filter" => OperatorKindSpec::Filter {
                function: self.udf(i, r, kind, &[UdfShape::Predicate], "the filter predicate")?,
            },
            "rebalance" => OperatorKindSpec::Rebalance,
            "key_by" => OperatorKindSpec::KeyBy,
            _ if Aggregate::parse(kind).is_some() => {
                OperatorKindSpec::Aggregate(Aggregate::parse(kind).expect("an aggregate's name"))
            }
            "count_window" => {
                let size = r.size.ok_or_else(|| self.missing(&p("size"), "records per window"))?;
                if size == 0 {
                    return Err(self.err(&p("size"), "must be >= 1 (got 0)"));
                }
                OperatorKindSpec::CountWindow { size }
            }
            "event_window" => {
                OperatorKindSpec::EventWindow(self.event_window(i, r, ckptsim::window::WindowTime::Event)?)
            }
            "processing_window" => {
                OperatorKindSpec::EventWindow(self.event_window(i, r, ckptsim::window::WindowTime::Processing)?)
            }
            "print-sink" => OperatorKindSpec::PrintSink,
            "user" => {
                let path = p("function");
                let f =
                    r.function.as_deref().ok_or_else(|| self.missing(&path, "the registered user operator's name"))?;
                if !is_valid_name(f) {
                    return Err(self.err(
                        &path,
                        format!("`{f}` is not a valid user operator name: use letters, digits, `_`, `-`, `.`"),
                    ));
                }
                OperatorKindSpec::User { function: f.to_string() }
            }
            "union" => OperatorKindSpec::Union,
            "join" => OperatorKindSpec::Join,
            "interval_join" => self.interval_join(i, r)?,
            "window_join" => {
                let size = r.size_ms.ok_or_else(|| self.missing(&p("size_ms"), "the tumbling window size"))?;
                if size <= 0 || size > crate::scenario::limits::MAX_STOP_AT_MS as i64 {
                    return Err(self.err(
                        &p("size_ms"),
                        format!("must be in 1..={} (got {size})", crate::scenario::limits::MAX_STOP_AT_MS),
                    ));
                }
                match r.slide_ms {
                    None => OperatorKindSpec::EventJoin(ckptsim::join::JoinSpec::Window { size_ms: size }),
                    Some(slide) => self.sliding_join(i, size, slide)?,
                }
            }
            "broadcast" => OperatorKindSpec::Broadcast,
            "broadcast_process" => self.broadcast_process(i, r)?,
            "connect" => self.connect(i, r)?,
            _ => OperatorKindSpec::TwoPhaseCommitSink,
        })
    }

    /// A `broadcast_process`'s function (session 38/39) and, session 40, its `timer_delay_ms`.
    fn broadcast_process(&self, i: usize, r: &RawOperator) -> Res<OperatorKindSpec> {
        let p = |key: &str| op_path(i, key);
        let names = ckptsim::broadcast_process::FUNCTION_NAMES;
        match r
            .function
            .as_deref()
            .map_or(Some((Default::default(), false)), ckptsim::broadcast_process::BroadcastFunction::parse)
        {
            Some((function, report)) => {
                // Session 40: event-time timers on the keyed side.
                let timer_delay_ms = match r.timer_delay_ms {
                    None => None,
                    Some(d) if (0..=crate::scenario::limits::MAX_STOP_AT_MS as i64).contains(&d) => Some(d as u64),
                    Some(d) => {
                        return Err(self.err(
                            &p("timer_delay_ms"),
                            format!(
                                "must be in 0..={} (a timer this long after each keyed record's timestamp; got {d})",
                                crate::scenario::limits::MAX_STOP_AT_MS
                            ),
                        ))
                    }
                };
                Ok(OperatorKindSpec::BroadcastProcess { report, function, timer_delay_ms })
            }
            None => {
                let f = r.function.as_deref().unwrap_or_default();
                Err(self.err(
                    &p("function"),
                    format!("unknown broadcast_process function `{f}`; known functions: {}", list(&names)),
                ))
            }
        }
    }

    /// A window join over `SlidingEventTimeWindows.of(size, slide)`: Flink takes any slide
    /// above 0 (`abs(offset) < slide`); a slide above the size leaves gaps whose elements join
    /// no window, which the model does not judge, so it is refused.
    fn sliding_join(&self, i: usize, size_ms: i64, slide_ms: i64) -> Res<OperatorKindSpec> {
        if slide_ms <= 0 || slide_ms > size_ms {
            return Err(self.err(
                &op_path(i, "slide_ms"),
                format!("must be in 1..=size_ms ({size_ms}) for a sliding window join (got {slide_ms})"),
            ));
        }
        Ok(OperatorKindSpec::EventJoin(ckptsim::join::JoinSpec::SlidingWindow { size_ms, slide_ms }))
    }

    /// An interval join's late side outputs (`late_left`, `late_right`: Flink's
    /// `IntervalJoined#sideOutputLeftLateData` / `#sideOutputRightLateData`, session 34):
    /// per side whether it is `"side-output"` (default `"drop"`).
    fn join_late_outputs(&self, i: usize, r: &RawOperator) -> Res<[bool; 2]> {
        let mut sides = [false; 2];
        for (side, (key, v)) in [("late_left", &r.late_left), ("late_right", &r.late_right)].into_iter().enumerate() {
            sides[side] = match v.as_deref() {
                None | Some("drop") => false,
                Some("side-output") => true,
                Some(o) => {
                    let expected = list(&crate::scenario::validate_event_time::LATE_RECORD_NAMES);
                    return Err(self.err(&op_path(i, key), format!("unknown choice `{o}`; expected {expected}")));
                }
            };
        }
        Ok(sides)
    }

    /// An interval join's bounds (`IntervalJoin.between`).
    fn interval_join(&self, i: usize, r: &RawOperator) -> Res<OperatorKindSpec> {
        let p = |key: &str| op_path(i, key);
        let lower_ms = r.lower_ms.ok_or_else(|| self.missing(&p("lower_ms"), "the interval's lower bound"))?;
        let upper_ms = r.upper_ms.ok_or_else(|| self.missing(&p("upper_ms"), "the interval's upper bound"))?;
        let bound = crate::scenario::limits::MAX_STOP_AT_MS as i64;
        for (key, v) in [("lower_ms", lower_ms), ("upper_ms", upper_ms)] {
            if v.abs() > bound {
                return Err(self.err(&p(key), format!("must be within +-{bound} (got {v})")));
            }
        }
        if lower_ms > upper_ms {
            // IntervalJoin.between: "lowerBound <= upperBound must be fulfilled".
            return Err(
                self.err(&p("upper_ms"), format!("lower_ms <= upper_ms must hold (got {lower_ms} > {upper_ms})"))
            );
        }
        // The constructor of `IntervalJoinOperator` checks the bounds as given, then moves an
        // exclusive one a millisecond inward; the operator compares inclusively from then on.
        let lower_ms = if r.lower_exclusive == Some(true) { lower_ms + 1 } else { lower_ms };
        let upper_ms = if r.upper_exclusive == Some(true) { upper_ms - 1 } else { upper_ms };
        Ok(OperatorKindSpec::EventJoin(ckptsim::join::JoinSpec::Interval { lower_ms, upper_ms }))
    }

    /// A connect's two co-map functions (identity when absent).
    fn connect(&self, i: usize, r: &RawOperator) -> Res<OperatorKindSpec> {
        let co = |key: &str, f: Option<&str>| -> Res<Udf> {
            let Some(f) = f else { return Ok(Udf::Identity) };
            let udf = Udf::parse(f).filter(|u| u.shape() == UdfShape::OneToOne).ok_or_else(|| {
                let fitting: Vec<&str> =
                    Udf::ALL.iter().filter(|u| u.shape() == UdfShape::OneToOne).map(|u| u.name()).collect();
                self.err(&op_path(i, key), format!("`{f}` is not a co-map function; connect takes {}", list(&fitting)))
            })?;
            Ok(udf)
        };
        Ok(OperatorKindSpec::Connect {
            first: co("function", r.function.as_deref())?,
            second: co("second_function", r.second_function.as_deref())?,
        })
    }

    /// The registered name of a user source or sink (`function`); None for other kinds.
    fn user_io(&self, i: usize, r: &RawOperator, kind: &str) -> Res<Option<String>> {
        Ok(match kind {
            "user-source" | "user-sink" => {
                let path = op_path(i, "function");
                let what = if kind == "user-source" { "source" } else { "sink" };
                let f = r
                    .function
                    .as_deref()
                    .ok_or_else(|| self.missing(&path, &format!("the registered user {what}'s name")))?;
                if !is_valid_name(f) {
                    return Err(self.err(
                        &path,
                        format!("`{f}` is not a valid user {what} name: use letters, digits, `_`, `-`, `.`"),
                    ));
                }
                Some(f.to_string())
            }
            _ => None,
        })
    }

    /// A two-phase-commit sink's `sink_api`: whether it is Sink V2's `KafkaSink`.
    fn sink_api(&self, i: usize, r: &RawOperator) -> Res<bool> {
        match r.sink_api.as_deref() {
            None | Some("sink-function") => Ok(false),
            Some("sink-v2") => Ok(true),
            Some(other) => Err(self.err(
                &op_path(i, "sink_api"),
                format!("unknown sink API `{other}`; expected one of: sink-function, sink-v2"),
            )),
        }
    }

    /// A user sink's `delivery_guarantee`, parsed.
    fn delivery_guarantee(&self, i: usize, r: &RawOperator) -> Res<Option<DeliveryGuarantee>> {
        match r.delivery_guarantee.as_deref() {
            None => Ok(None),
            Some(g) => Ok(Some(DeliveryGuarantee::parse(g).ok_or_else(|| {
                self.err(
                    &op_path(i, "delivery_guarantee"),
                    format!("unknown delivery guarantee `{g}`; expected one of: {}", DeliveryGuarantee::names()),
                )
            })?)),
        }
    }

    pub(super) fn input(&self, raw: Option<RawInput>, operators: &[OperatorSpec]) -> Res<InputSpec> {
        let source = operators.iter().find(|o| o.kind.is_source()).unwrap_or(&operators[0]);
        let is_log = matches!(source.kind, OperatorKindSpec::LogSource { .. });
        if let Some(f) = &source.user_io {
            // The user source's records are read from it when a registry resolves it.
            if raw.is_some() {
                return Err(self.err("input", format!("the user-source `{f}` brings its own records: remove [input]")));
            }
            return Ok(InputSpec::Records { partitions: 1, records: Vec::new() });
        }
        let Some(raw) = raw else {
            return Err(self.missing("input", "[input] with lines, records or a generator"));
        };
        self.input_at("input", raw, is_log)
    }

    /// One source's input table at `at` (`input` or `inputs.<Name>`).
    pub(super) fn input_at(&self, at: &str, raw: RawInput, is_log: bool) -> Res<InputSpec> {
        let given: Vec<&str> = [
            ("lines", raw.lines.is_some()),
            ("records", raw.records.is_some()),
            ("generator", raw.generator.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, p)| p.then_some(k))
        .collect();
        if given.len() != 1 {
            let at = given.get(1).map(|k| format!("{at}.{k}")).unwrap_or_else(|| at.to_string());
            return Err(
                self.err(&at, format!("[input] takes exactly one of lines, records, generator (got {})", given.len()))
            );
        }
        let partitions = match raw.partitions {
            Some(_) if !is_log => {
                return Err(self.err(&format!("{at}.partitions"), "partitions only apply to a log-source"));
            }
            Some(0) => return Err(self.err(&format!("{at}.partitions"), "must be >= 1 (got 0)")),
            Some(p) => p,
            None => 1,
        };
        if let Some(lines) = raw.lines {
            return self.input_lines(at, lines, is_log);
        }
        if let Some(records) = raw.records {
            return self.input_records(at, records, is_log, partitions);
        }
        let Some(g) = raw.generator else {
            return Err(self.missing(at, "an input with lines, records or a generator"));
        };
        self.input_generator(at, g, partitions)
    }

    /// An input's `lines` (a socket source's, sorted by time).
    fn input_lines(&self, at: &str, lines: Vec<RawLine>, is_log: bool) -> Res<InputSpec> {
        if is_log {
            return Err(
                self.err(&format!("{at}.lines"), "lines are typed into a socket-source; a log-source reads records")
            );
        }
        let mut out = Vec::with_capacity(lines.len());
        let mut last = 0;
        for (i, l) in lines.into_iter().enumerate() {
            let p = format!("{at}.lines[{i}]");
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
        Ok(InputSpec::Lines(out))
    }

    /// An input's `records` (a log source's, sorted by time, in existing partitions).
    fn input_records(&self, at: &str, records: Vec<RawRecord>, is_log: bool, partitions: u32) -> Res<InputSpec> {
        if !is_log {
            return Err(self.err(
                &format!("{at}.records"),
                "records are appended to a log-source's log; a socket-source reads lines",
            ));
        }
        let mut out = Vec::with_capacity(records.len());
        let mut last = 0;
        for (i, r) in records.into_iter().enumerate() {
            let p = format!("{at}.records[{i}]");
            let at_ms = r.at_ms.ok_or_else(|| self.missing(&format!("{p}.at_ms"), "when the record is appended"))?;
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
            out.push(InputRecord { at_ms, partition: PartitionId(partition), value, ts_ms: r.ts_ms });
        }
        Ok(InputSpec::Records { partitions, records: out })
    }

    /// An input's `generator`: count, rate, keys, distribution, start and timestamp jitter.
    fn input_generator(&self, at: &str, g: RawGenerator, partitions: u32) -> Res<InputSpec> {
        let p = |k: &str| format!("{at}.generator.{k}");
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
            generator: GeneratorSpec {
                count,
                rate_per_s,
                keys,
                distribution,
                start_ms: g.start_ms.unwrap_or(0),
                ts_jitter_ms: g.ts_jitter_ms.unwrap_or(0),
            },
        })
    }

    /// `[input].socket_clock` and `[input].unread_lines`: socket input only; `unread_lines`
    /// only with the absolute clock (with the connected clock no line is due while nobody reads).
    pub(super) fn socket_session(
        &self,
        raw: (Option<String>, Option<String>),
        input: &InputSpec,
    ) -> Res<SocketSession> {
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
    pub(super) fn gates(&self, raw: Option<Vec<RawGate>>, input: &InputSpec) -> Res<Vec<InputGate>> {
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
}

/// Each operator's resolved `inputs` and what it reads of a late side output: one input
/// `late_input` (and for `J.late_left` / `J.late_right` the interval join's side, session 34);
/// several (a union or connect): the late one's gate.
fn set_graph_inputs(out: &mut [OperatorSpec], inputs: Vec<(Vec<usize>, Vec<bool>)>, raw: &[Option<Vec<String>>]) {
    for ((o, (inputs, late)), names) in out.iter_mut().zip(inputs).zip(raw) {
        o.late_input = inputs.len() == 1 && late[0];
        let side_tag = |n: &String| JOIN_LATE_TAGS.iter().position(|t| n.ends_with(&format!(".{t}")));
        o.late_side = names.iter().flatten().next().filter(|_| o.late_input).and_then(side_tag).map(|s| s as u32);
        o.late_gate = if inputs.len() > 1 { late.iter().position(|l| *l).map(|k| k as u32) } else { None };
        o.inputs = inputs;
    }
}
