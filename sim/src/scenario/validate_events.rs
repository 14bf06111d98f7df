//! Semantic validation, part 3: timed actions, faults with their task/node/anchor references, and `[expect]`.

use super::limits_cost::MAX_RATE_PER_S;
use super::*;
use crate::spec::FaultKind;

impl Ctx<'_> {
    pub(super) fn action(
        &self,
        i: usize,
        mut raw: RawAction,
        checkpoint: &CheckpointConfig,
        profile: Profile,
        stop_at_ms: u64,
        (operators, cluster, inputs): (&[OperatorSpec], &ClusterSpec, u64),
    ) -> Res<TimedAction> {
        let p = |k: &str| format!("actions[{i}].{k}");
        let when =
            self.when(&format!("actions[{i}]"), (raw.at_ms, raw.on.as_deref()), stop_at_ms, operators, inputs)?;
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
            "stop-with-savepoint" => ActionSpec::StopWithSavepoint { drain: raw.drain.unwrap_or(false) },
            "rescale" => ActionSpec::Rescale(self.rescale_action(
                i,
                (raw.parallelism.take(), raw.from.take(), raw.max_parallelism.take()),
                operators,
                cluster,
            )?),
            other => {
                return Err(self.err(
                    &p("kind"),
                    format!("unknown action kind `{other}`; known kinds: {}", list(&ActionSpec::NAMES)),
                ))
            }
        };
        let rescale_keys = [
            ("parallelism", raw.parallelism.is_some()),
            ("from", raw.from.is_some()),
            ("max_parallelism", raw.max_parallelism.is_some()),
        ];
        for (key, present) in rescale_keys {
            if present {
                return Err(self.err(&p(key), format!("`{key}` only applies to rescale actions, not {kind}")));
            }
        }
        if raw.drain.is_some() && !matches!(action, ActionSpec::StopWithSavepoint { .. }) {
            return Err(
                self.err(&p("drain"), format!("`drain` only applies to stop-with-savepoint actions, not {kind}"))
            );
        }
        if !matches!(action, ActionSpec::Retune(_)) {
            if let Some((key, _)) = retune_keys.iter().find(|(_, present)| *present) {
                return Err(self.err(&p(key), format!("`{key}` only applies to retune actions, not {kind}")));
            }
        }
        Ok(TimedAction { when, action })
    }

    /// Resolves `name` or `name[subtask]` to a task of the pipeline.
    pub(super) fn task_ref(&self, path: &str, s: &str, operators: &[OperatorSpec], need_subtask: bool) -> Res<TaskRef> {
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

    pub(super) fn node(&self, path: &str, s: &str, operators: &[OperatorSpec], cluster: &ClusterSpec) -> Res<Node> {
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
            Node::SinkStore if !operators.iter().any(|o| matches!(o.kind, OperatorKindSpec::TwoPhaseCommitSink)) => {
                Err(self.err(path, "there is no sink-store: the job has no two-phase-commit-sink"))
            }
            n => Ok(n),
        }
    }

    /// When a fault or action happens: exactly one of `at_ms` (before `stop_at_ms`) and `on`
    /// (an anchor). `prefix` is the entry's path (`faults[2]`).
    pub(super) fn when(
        &self,
        prefix: &str,
        (at_ms, on): (Option<u64>, Option<&str>),
        stop_at_ms: u64,
        operators: &[OperatorSpec],
        inputs: u64,
    ) -> Res<When> {
        let p = |k: &str| format!("{prefix}.{k}");
        match (at_ms, on) {
            (Some(_), Some(_)) => Err(self.err(&p("on"), "give either at_ms or on, not both")),
            (None, None) => Err(self.missing(&p("at_ms"), "when it happens: at_ms or on")),
            (Some(at), None) if at >= stop_at_ms => {
                Err(self.err(&p("at_ms"), format!("at {at} ms the run has ended (stop_at_ms = {stop_at_ms})")))
            }
            (Some(at), None) => Ok(When::At(at)),
            (None, Some(on)) => Ok(When::On(self.anchor(&p("on"), on, operators, inputs)?)),
        }
    }

    /// An anchor (`on = "..."`): a checkpoint event, or `input-N-read` with N below `inputs`.
    pub(super) fn anchor(&self, path: &str, s: &str, operators: &[OperatorSpec], inputs: u64) -> Res<Anchor> {
        let bad = || {
            self.err(
                path,
                format!(
                    "`{s}` is not an anchor; expected checkpoint-N-triggered, checkpoint-N-barrier-at:OPERATOR[SUBTASK], \
                     checkpoint-N-acked, checkpoint-N-completed, input-N-read or attempt-N-deploying"
                ),
            )
        };
        if let Some(n) = s.strip_prefix("input-").and_then(|r| r.strip_suffix("-read")) {
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let input: u64 = n.parse().map_err(|_| bad())?;
            if input >= inputs {
                return Err(self.err(
                    path,
                    format!(
                        "`{s}`: the job has {inputs} input(s), numbered from 0 (input #0 .. #{})",
                        inputs.max(1) - 1
                    ),
                ));
            }
            return Ok(Anchor::InputRead { input });
        }
        if let Some(n) = s.strip_prefix("attempt-").and_then(|r| r.strip_suffix("-deploying")) {
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let attempt = n.parse::<u32>().ok().filter(|&a| a < super::limits::EPOCH_STRIDE).ok_or_else(|| {
                self.err(path, format!("`{s}`: execution attempts are numbered below {}", super::limits::EPOCH_STRIDE))
            })?;
            return Ok(Anchor::Deploying { attempt });
        }
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

    pub(super) fn fault(
        &self,
        i: usize,
        raw: RawFault,
        operators: &[OperatorSpec],
        cluster: &ClusterSpec,
        (input, inputs): (&InputSpec, u64),
        stop_at_ms: u64,
    ) -> Res<TimedFault> {
        let p = |k: &str| format!("faults[{i}].{k}");
        let kind = raw.kind.as_deref().ok_or_else(|| self.missing(&p("kind"), &list(&FaultSpec::NAMES)))?;
        let Some(kind) = FaultName::parse(kind) else {
            return Err(
                self.err(&p("kind"), format!("unknown fault kind `{kind}`; known kinds: {}", list(&FaultSpec::NAMES)))
            );
        };
        let when = self.when(&format!("faults[{i}]"), (raw.at_ms, raw.on.as_deref()), stop_at_ms, operators, inputs)?;
        let allowed = fault_keys(kind);
        if let Some(extra) = raw.present().into_iter().find(|k| !allowed.contains(k)) {
            return Err(self.err(&p(extra), format!("`{extra}` does not apply to {kind} (it takes {})", list(allowed))));
        }
        if raw.duration_ms == Some(0) {
            return Err(self.err(&p("duration_ms"), "must be > 0 (omit it for \"until the end of the run\")"));
        }
        if raw.records_per_s == Some(0) {
            return Err(self.err(&p("records_per_s"), "must be >= 1 (got 0)"));
        }
        let f = FaultCx { cx: self, i, kind, raw: &raw, operators, cluster, target_path: p("target") };
        let fault = f.spec(input)?;
        Ok(TimedFault { when, fault })
    }

    pub(super) fn expect(&self, raw: RawExpect, operators: &[OperatorSpec], scenario_seed: u64) -> Res<ExpectSpec> {
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
        if exactly_once && !operators.iter().any(|o| matches!(o.kind, OperatorKindSpec::TwoPhaseCommitSink)) {
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
        if let Some(seeds) = &raw.seeds {
            if seeds.is_empty() || seeds.len() > super::limits::MAX_EXPECT_SEEDS {
                return Err(self.err(
                    "expect.seeds",
                    format!("between 1 and {} seeds (got {})", super::limits::MAX_EXPECT_SEEDS, seeds.len()),
                ));
            }
            if !seeds.contains(&scenario_seed) {
                return Err(self.err(
                    "expect.seeds",
                    format!("must include the scenario's own `seed` ({scenario_seed}), or a plain run judges nothing"),
                ));
            }
        }
        if let Some(c) = &raw.caught_by {
            if !is_valid_name(c) {
                return Err(self.err("expect.caught_by", format!("`{c}` is not a checker name")));
            }
            if !super::names::CHECKERS.contains(&c.as_str()) && !self.extra_checkers.contains(c) {
                let registered = if self.extra_checkers.is_empty() {
                    "no user checkers are registered".to_string()
                } else {
                    format!("registered: {}", self.extra_checkers.join(", "))
                };
                return Err(self.err(
                    "expect.caught_by",
                    format!("unknown checker `{c}` (known: {}; {registered})", super::names::CHECKERS.join(", ")),
                ));
            }
        }
        if let (Some(lo), Some(hi)) = (raw.committed_min, raw.committed_max) {
            if lo > hi {
                return Err(self.err("expect.committed_min", format!("{lo} is above committed_max = {hi}")));
            }
        }
        Ok(ExpectSpec {
            final_status,
            restarts: raw.restarts,
            exactly_once,
            at_least_once: raw.at_least_once.unwrap_or(false),
            completed_checkpoints_min: raw.completed_checkpoints_min,
            committed_min: raw.committed_min,
            committed_max: raw.committed_max,
            output: raw.output,
            duplicates: raw.duplicates,
            snapshot: raw.snapshot.unwrap_or(false),
            caught_by: raw.caught_by,
            max_checkpoint_gap_ms: raw.max_checkpoint_gap_ms.filter(|g| *g > 0),
            committed_offsets: raw.committed_offsets,
            retained_count: raw.retained_count,
            restored_checkpoints: raw.restored_checkpoints,
            seeds: raw.seeds,
            transactions_begun: raw.transactions_begun,
            transactions_aborted: raw.transactions_aborted,
        })
    }
}

/// The keys a fault of `kind` takes (besides `kind`, `at_ms` and `on`).
fn fault_keys(kind: FaultName) -> &'static [&'static str] {
    match kind {
        FaultName::TaskFailure => &["target"],
        FaultName::TmCrash => &["target", "restart_after_ms"],
        FaultName::JmCrash => &["target", "restart_after_ms"],
        FaultName::Partition => &["target", "peer", "direction", "duration_ms"],
        FaultName::MessageLoss => &["target", "peer", "rate", "messages", "duration_ms"],
        FaultName::ControlDelay => &["target", "extra_ms", "duration_ms"],
        FaultName::SlowLink => &["target", "records_per_s", "extra_ms", "duration_ms"],
        FaultName::SlowSnapshot => &["target", "extra_ms", "duration_ms"],
        FaultName::StorageFailure | FaultName::BrokerOutage | FaultName::SinkStoreOutage => &["target", "duration_ms"],
        FaultName::StorageSlow => &["target", "extra_ms", "duration_ms"],
        FaultName::SlowOperator => &["target", "records_per_s", "duration_ms"],
        FaultName::InputBurst => &["records_per_s", "duration_ms"],
    }
}

/// One `[[faults]]` entry being validated: its index, kind and raw keys, with the job's
/// operators and cluster its targets name.
struct FaultCx<'a, 'c> {
    cx: &'a Ctx<'c>,
    i: usize,
    kind: FaultName,
    raw: &'a RawFault,
    operators: &'a [OperatorSpec],
    cluster: &'a ClusterSpec,
    target_path: String,
}

impl FaultCx<'_, '_> {
    /// The fault's typed form, its kind's keys read and checked and what the file leaves open
    /// resolved into the run's [`FaultKind`] (see [`FaultSpec`]); `input`: the scenario's input,
    /// which an input burst needs to be a generator.
    fn spec(&self, input: &InputSpec) -> Res<FaultSpec> {
        let kind = match self.kind {
            FaultName::TaskFailure => FaultKind::TaskFailure { task: self.task(false)?.task_name() },
            FaultName::TmCrash => {
                let t = self.target_str()?;
                match self.cx.node(&self.target_path, t, self.operators, self.cluster)? {
                    Node::Tm(tm) => FaultKind::TmCrash { tm: tm.0, restart_after_ms: self.restart_after_ms() },
                    other => {
                        return Err(self.cx.err(
                            &self.target_path,
                            format!("tm-crash needs a TaskManager (tm0, tm1, ...), not `{other}`"),
                        ))
                    }
                }
            }
            FaultName::JmCrash => {
                self.fixed(Node::Jm)?;
                FaultKind::JmCrash { restart_after_ms: self.restart_after_ms() }
            }
            FaultName::Partition => self.partition()?,
            FaultName::MessageLoss => self.message_loss()?,
            FaultName::ControlDelay => FaultKind::ControlDelay {
                extra_ms: self.required("extra_ms", self.raw.extra_ms, "the added latency")?,
                target: self.control_node("target", &self.raw.target)?.map(|n| n.to_string()),
            },
            FaultName::SlowLink => self.slow_link()?,
            FaultName::SlowSnapshot => {
                let task = self.task(false)?.task_name();
                let extra_ms = self.required("extra_ms", self.raw.extra_ms, "the added snapshot time")?;
                FaultKind::SlowSnapshot { task, sync_ms: extra_ms / 4, async_ms: extra_ms - extra_ms / 4 }
            }
            FaultName::StorageFailure => {
                self.fixed(Node::Storage)?;
                FaultKind::StorageFailure
            }
            FaultName::StorageSlow => {
                self.fixed(Node::Storage)?;
                FaultKind::StorageSlow {
                    extra_ms: self.required("extra_ms", self.raw.extra_ms, "the added write latency")?,
                }
            }
            FaultName::BrokerOutage => {
                if !matches!(self.operators[0].kind, OperatorKindSpec::LogSource { .. }) {
                    return Err(self.cx.err(&self.p("kind"), "there is no broker: the job has no log-source"));
                }
                self.fixed(Node::Broker)?;
                FaultKind::BrokerOutage
            }
            FaultName::SinkStoreOutage => {
                if !self.operators.iter().any(|o| matches!(o.kind, OperatorKindSpec::TwoPhaseCommitSink)) {
                    return Err(self
                        .cx
                        .err(&self.p("kind"), "there is no sink-store: the job has no two-phase-commit-sink"));
                }
                self.fixed(Node::SinkStore)?;
                FaultKind::SinkStoreOutage
            }
            FaultName::SlowOperator => FaultKind::SlowOperator {
                operator: self.task(false)?.operator,
                records_per_s: self.required("records_per_s", self.raw.records_per_s, "the throughput cap")?,
            },
            FaultName::InputBurst => return self.input_burst(input),
        };
        Ok(FaultSpec::Inject { kind, duration_ms: self.raw.duration_ms })
    }

    /// An input burst: more generated input, not a fault of the run.
    fn input_burst(&self, input: &InputSpec) -> Res<FaultSpec> {
        if !matches!(input, InputSpec::Generator { .. }) {
            return Err(self.cx.err(&self.p("kind"), "input-burst needs generator input ([input].generator)"));
        }
        Ok(FaultSpec::InputBurst {
            records_per_s: self.required("records_per_s", self.raw.records_per_s, "the burst rate")?,
            duration_ms: self.required("duration_ms", self.raw.duration_ms, "how long the burst lasts")?,
        })
    }

    /// When a crashed process comes back, ms: as written, else 5 s.
    fn restart_after_ms(&self) -> u64 {
        self.raw.restart_after_ms.unwrap_or(DEFAULT_RESTART_AFTER_MS)
    }

    /// A slow link: `records_per_s` becomes extra latency per buffer of the cluster's
    /// `buffer_records`, added to `extra_ms`. Both are bounded as written first (the sum could
    /// otherwise overflow).
    fn slow_link(&self) -> Res<FaultKind> {
        let (records_per_s, extra_ms) = (self.raw.records_per_s, self.raw.extra_ms);
        if records_per_s.is_none() && extra_ms.is_none() {
            return Err(self.cx.missing(&self.p("records_per_s"), "records_per_s and/or extra_ms"));
        }
        let task = self.task(false)?.task_name();
        self.cx.opt_dur(&self.p("extra_ms"), extra_ms)?;
        if let Some(r) = records_per_s {
            self.cx.bound(&self.p("records_per_s"), r, MAX_RATE_PER_S, "records per second")?;
        }
        let per_buffer = records_per_s.map(|r| 1000 * u64::from(self.cluster.buffer_records) / r.max(1)).unwrap_or(0);
        Ok(FaultKind::SlowLink { task, extra_ms: extra_ms.unwrap_or(0) + per_buffer })
    }

    fn p(&self, k: &str) -> String {
        format!("faults[{}].{k}", self.i)
    }

    fn target_str(&self) -> Res<&str> {
        self.raw.target.as_deref().ok_or_else(|| self.cx.missing(&self.target_path, "what the fault hits"))
    }

    /// The task the fault hits (`operator[subtask]`), never a node.
    fn task(&self, need_subtask: bool) -> Res<TaskRef> {
        let t = self.target_str()?;
        if Node::parse(t).is_some() {
            return Err(self.cx.err(
                &self.target_path,
                format!("{} hits a task (`operator[subtask]`), not the node `{t}`", self.kind),
            ));
        }
        self.cx.task_ref(&self.target_path, t, self.operators, need_subtask)
    }

    fn opt_node(&self, key: &str, v: &Option<String>) -> Res<Option<Node>> {
        v.as_deref().map(|s| self.cx.node(&self.p(key), s, self.operators, self.cluster)).transpose()
    }

    /// A node on the control plane (the JobManager or a TaskManager): message loss and
    /// control delay act on control messages, which the services do not exchange.
    fn control_node(&self, key: &str, v: &Option<String>) -> Res<Option<Node>> {
        match self.opt_node(key, v)? {
            None => Ok(None),
            Some(n @ (Node::Jm | Node::Tm(_))) => Ok(Some(n)),
            Some(other) => Err(self.cx.err(
                &self.p(key),
                format!("{} acts on control messages between jm and TaskManagers, not on `{other}`", self.kind),
            )),
        }
    }

    /// A fixed node target: optional, but if given it must name that node.
    fn fixed(&self, node: Node) -> Res<()> {
        if let Some(t) = self.opt_node("target", &self.raw.target)? {
            if t != node {
                return Err(self.cx.err(
                    &self.target_path,
                    format!("{} always hits `{node}`; omit target or set it to `{node}`", self.kind),
                ));
            }
        }
        Ok(())
    }

    fn required(&self, key: &str, v: Option<u64>, what: &str) -> Res<u64> {
        v.ok_or_else(|| self.cx.missing(&self.p(key), what))
    }

    fn partition(&self) -> Res<FaultKind> {
        let (raw, p) = (self.raw, |k: &str| self.p(k));
        let target = self.cx.node(&self.target_path, self.target_str()?, self.operators, self.cluster)?;
        let peer = self.opt_node("peer", &raw.peer)?.ok_or_else(|| self.cx.missing(&p("peer"), "the other side"))?;
        if peer == target {
            return Err(self.cx.err(&p("peer"), "a node cannot be partitioned from itself"));
        }
        let direction = match raw.direction.as_deref() {
            None | Some("both") => Direction::Both,
            Some("one-way") => Direction::OneWay,
            Some(d) => {
                return Err(self.cx.err(&p("direction"), format!("unknown direction `{d}`; expected both, one-way")))
            }
        };
        Ok(FaultKind::Partition { a: target.to_string(), b: peer.to_string(), both: direction == Direction::Both })
    }

    fn message_loss(&self) -> Res<FaultKind> {
        let (raw, p) = (self.raw, |k: &str| self.p(k));
        let rate = raw.rate.ok_or_else(|| self.cx.missing(&p("rate"), "loss probability in (0, 1]"))?;
        if !(rate > 0.0 && rate <= 1.0) {
            return Err(self.cx.err(&p("rate"), format!("must be in (0, 1] (got {rate})")));
        }
        let target = self.control_node("target", &raw.target)?;
        let peer = self.control_node("peer", &raw.peer)?;
        if peer.is_some() && target.is_none() {
            return Err(self.cx.err(&p("peer"), "peer needs a target"));
        }
        if peer.is_some() && peer == target {
            return Err(self.cx.err(&p("peer"), "peer must differ from target"));
        }
        let messages = raw.messages.clone().unwrap_or_default();
        if raw.messages.as_ref().is_some_and(|m| m.is_empty()) {
            return Err(self.cx.err(&p("messages"), "must name at least one message kind (omit it for every kind)"));
        }
        if let Some(m) = messages.iter().find(|m| !crate::spec::MESSAGE_KINDS.contains(&m.as_str())) {
            return Err(self.cx.err(
                &p("messages"),
                format!("unknown message kind `{m}`; known kinds: {}", list(&crate::spec::MESSAGE_KINDS)),
            ));
        }
        let (target, peer) = (target.map(|n| n.to_string()), peer.map(|n| n.to_string()));
        Ok(FaultKind::MessageLoss { rate, messages, target, peer })
    }
}

/// When a crashed TaskManager or JobManager process comes back if `restart_after_ms` is omitted.
const DEFAULT_RESTART_AFTER_MS: u64 = 5_000;
