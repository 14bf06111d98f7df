//! What makes a coverage cell likely: per situation ("sometimes" assertion) and per strike cell, the fault kinds and configuration draws the guided swarm forces on a fresh swarm draw to aim at a cell not yet hit.
//!
//! A *recipe* is a list of [`Tweak`]s of the drawn configuration (sink kind, checkpoint mode,
//! max concurrent, timeout, tolerable failures, restart strategy) and fault kinds to add
//! (1–3 of each, in the first half of the run, drawn by [`crate::swarm::draw_fault_kind`]),
//! plus what the scenario must have for it to apply at all ([`Need`]: a log source, bounded
//! input, a JobManager crash of its own, a `restore-retained` action). Everything is drawn from
//! the guide's random stream, so a guided sweep stays a function of its seed list.

use crate::coverage::{self, Handler, Situation};
use crate::spec::{Fault, FaultAt, FaultName, JobSpec, OpKind};
use ckptsim::config::{CheckpointingMode, RestartStrategyConfig};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A change of a drawn job's configuration toward a cell.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Tweak {
    /// The job's one print sink becomes a two-phase-commit sink (exactly-once checkpoints).
    TwoPhaseSink,
    /// The checkpoint mode selects this barrier handler.
    Mode(Handler),
    /// Up to three checkpoints at once (aligned exactly-once or at-least-once only).
    Concurrent,
    /// A checkpoint timeout of 50–500 ms (shorter than a slow snapshot).
    ShortTimeout,
    /// No tolerable checkpoint failure: the first failed checkpoint fails the job.
    NoTolerable,
    /// The `none` restart strategy: the first failure fails the job.
    NoRestart,
    /// The recipe's JobManager–TaskManager partitions cut both ways for longer than the
    /// heartbeat timeout, so the JobManager declares the TaskManager lost while its tasks run on.
    LongPartitions,
}

/// What a scenario must have for a recipe to apply.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Need {
    /// Nothing.
    Nothing,
    /// A log source (offset commits to the broker).
    LogSource,
    /// Bounded input (the job can finish).
    Bounded,
    /// A JobManager crash of its own (the swarm never draws one).
    JmCrash,
    /// A `restore-retained` action or a rescale from the retained checkpoint.
    RestoreRetained,
}

/// The draws that make a cell likely.
#[derive(Clone, Debug, PartialEq)]
pub struct Recipe {
    /// Configuration changes.
    pub tweaks: Vec<Tweak>,
    /// Fault kinds to add (each 1–3 times).
    pub faults: Vec<FaultName>,
    /// What the scenario must have.
    pub need: Need,
}

/// The recipe of a situation: the faults and configuration under which its "sometimes"
/// assertion is reached (each line names how the world gets there).
pub fn situation_recipe(s: Situation) -> Recipe {
    use FaultName as F;
    use Situation as S;
    use Tweak as T;
    let (tweaks, faults, need): (&[Tweak], &[FaultName], Need) = match s {
        S::CheckpointCompleted => (&[], &[], Need::Nothing),
        // A slow snapshot keeps one pending while the next triggers.
        S::ConcurrentCheckpoints => (&[T::Mode(Handler::Aligned), T::Concurrent], &[F::SlowSnapshot], Need::Nothing),
        // One at a time and a slow snapshot: the next periodic trigger is refused.
        S::TriggerRejected => (&[], &[F::SlowSnapshot], Need::Nothing),
        S::CheckpointExpired => (&[T::ShortTimeout], &[F::SlowSnapshot, F::SlowLink], Need::Nothing),
        S::CheckpointDeclined => (&[], &[F::StorageFailure, F::TaskFailure], Need::Nothing),
        S::AbortedByFailover => (&[], &[F::TaskFailure, F::SlowSnapshot], Need::Nothing),
        // A task declines (its upload fails) and sends cancel markers into an alignment a slow
        // channel keeps open.
        S::CancelMarkerDuringAlignment => {
            (&[T::Mode(Handler::Aligned)], &[F::StorageFailure, F::SlowLink, F::TaskFailure], Need::Nothing)
        }
        S::AlignmentSubsumed => (&[T::Mode(Handler::Aligned), T::Concurrent], &[F::SlowLink], Need::Nothing),
        S::UploadFailed => (&[], &[F::StorageFailure], Need::Nothing),
        S::SnapshotAbandoned => (&[], &[F::SlowSnapshot, F::TaskFailure], Need::Nothing),
        S::AlignmentTimeoutSwitched => (&[T::Mode(Handler::AlignedTimeout)], &[F::SlowLink], Need::Nothing),
        S::InFlightStateCompleted => (&[T::Mode(Handler::Unaligned)], &[F::SlowLink, F::SlowOperator], Need::Nothing),
        S::RestoreFromCheckpoint => (&[], &[F::TaskFailure], Need::Nothing),
        S::RestartWithoutCheckpoint => (&[T::ShortTimeout], &[F::TaskFailure, F::StorageFailure], Need::Nothing),
        S::JobManagerFailoverRestore => (&[], &[], Need::JmCrash),
        S::RestoreFromRetained => (&[], &[], Need::RestoreRetained),
        S::CommitAfterRestore => (&[T::TwoPhaseSink], &[F::TaskFailure, F::TmCrash], Need::Nothing),
        S::NotificationLost => (&[], &[F::MessageLoss], Need::Nothing),
        S::RestartSuppressed => (&[T::NoRestart], &[F::TaskFailure], Need::Nothing),
        S::TolerableFailuresExceeded => (&[T::NoTolerable], &[F::StorageFailure], Need::Nothing),
        S::TaskManagerLost => (&[T::LongPartitions], &[F::TmCrash, F::Partition], Need::Nothing),
        S::TaskManagerLostWithPendingCheckpoint => (&[], &[F::TmCrash, F::Partition, F::SlowSnapshot], Need::Nothing),
        S::OffsetCommitRefused => (&[], &[F::BrokerOutage], Need::LogSource),
        // A TaskManager cut off from the JobManager keeps its sink attempt running (a zombie)
        // while the JobManager deploys a new one, which registers its epoch at the store; the
        // zombie's next store operation is fenced.
        // A slow operator chained before the sink keeps the zombie busy (seed 1149 of
        // `fault-slow-operator`, the first run that reached it).
        S::ProducerFenced => (&[T::TwoPhaseSink, T::LongPartitions], &[F::Partition, F::SlowOperator], Need::Nothing),
        S::SinkStoreUnreachable => (&[T::TwoPhaseSink], &[F::SinkStoreOutage], Need::Nothing),
        S::SourceEndDuringCheckpoint => (&[], &[F::SlowSnapshot], Need::Bounded),
        S::JobFinished => (&[], &[], Need::Bounded),
    };
    Recipe { tweaks: tweaks.to_vec(), faults: faults.to_vec(), need }
}

/// The recipe of a strike cell `handler/fault/*`: that handler and that fault kind (the phase is
/// left to chance; a corpus parent aims at the phase, see `guided.rs`).
pub fn strike_recipe(handler: Handler, fault: FaultName) -> Recipe {
    let need = if fault == FaultName::JmCrash { Need::JmCrash } else { Need::Nothing };
    Recipe { tweaks: vec![Tweak::Mode(handler)], faults: vec![fault], need }
}

/// Whether `recipe` can be applied to a swarm draw of scenario `base`: its need is met, every
/// tweak is possible and every fault kind is one the draw can add or the scenario has.
pub fn applies(recipe: &Recipe, base: &JobSpec) -> bool {
    let need = match recipe.need {
        Need::Nothing => true,
        Need::LogSource => base.operators.iter().any(|o| matches!(o.kind, OpKind::LogSource { .. })),
        Need::Bounded => base.input_options.bounded,
        Need::JmCrash => base.faults.iter().any(|f| coverage::fault_name(&f.kind) == FaultName::JmCrash),
        Need::RestoreRetained => coverage::has_restore_retained(base),
    };
    let two_pc_possible = base.operators.iter().any(|o| o.kind == OpKind::TwoPhaseCommitSink) || one_print_sink(base);
    let wants_2pc = recipe.tweaks.contains(&Tweak::TwoPhaseSink) || recipe.faults.contains(&FaultName::SinkStoreOutage);
    let tweaks = recipe.tweaks.iter().all(|t| match t {
        Tweak::TwoPhaseSink => two_pc_possible,
        Tweak::Mode(h) => {
            base.checkpoint.periodic_enabled()
                && match h {
                    Handler::AlignedTimeout => base.profile.supports_aligned_timeout(),
                    // At-least-once only with a print sink (as the swarm draws it).
                    Handler::AtLeastOnce => !wants_2pc && base.operators.iter().any(|o| o.kind == OpKind::PrintSink),
                    _ => true,
                }
        }
        Tweak::Concurrent | Tweak::ShortTimeout | Tweak::NoTolerable => base.checkpoint.periodic_enabled(),
        Tweak::NoRestart | Tweak::LongPartitions => true,
    });
    let faults = recipe.faults.iter().all(|f| match f {
        FaultName::JmCrash | FaultName::StorageSlow => base.faults.iter().any(|x| coverage::fault_name(&x.kind) == *f),
        FaultName::BrokerOutage => base.operators.iter().any(|o| matches!(o.kind, OpKind::LogSource { .. })),
        FaultName::SinkStoreOutage => two_pc_possible,
        FaultName::InputBurst => false,
        _ => true,
    });
    need && tweaks && faults
}

fn one_print_sink(spec: &JobSpec) -> bool {
    let sinks: Vec<_> = spec.operators.iter().filter(|o| o.kind.is_sink()).collect();
    sinks.len() == 1 && sinks[0].kind == OpKind::PrintSink
}

/// Applies `recipe` to `drawn` (a swarm draw of `base`; [`applies`] must hold): the tweaks, then
/// the faults at times in `[500, base.stop_at_ms / 2)` (of a kind the swarm never draws,
/// `jm-crash`, `storage-slow`: a copy of the scenario's own one). Returns what
/// was done, for the child's lineage. A tweak that makes the checkpoint configuration invalid
/// is undone.
pub fn apply(recipe: &Recipe, base: &JobSpec, drawn: &mut JobSpec, rng: &mut ChaCha8Rng) -> String {
    let mut done: Vec<String> = Vec::new();
    let before = drawn.checkpoint.clone();
    for t in &recipe.tweaks {
        let cp = &mut drawn.checkpoint;
        match t {
            Tweak::TwoPhaseSink => {
                // A job has at most one two-phase-commit sink (the sink store holds one sink's
                // transactions; the loader refuses a second): a draw that has one keeps its
                // print sinks. Before session 42 the tweak turned a job's print sink into a
                // second one and the world panicked (`fault-late-side-output-2pc`, a child of
                // guided seed 8 aimed at `situation/producer-fenced`).
                let has_two_pc = drawn.operators.iter().any(|o| o.kind == OpKind::TwoPhaseCommitSink);
                if !has_two_pc {
                    if let Some(op) = drawn.operators.iter_mut().find(|o| o.kind == OpKind::PrintSink) {
                        op.kind = OpKind::TwoPhaseCommitSink;
                        done.push("sink=two-phase-commit".into());
                    }
                }
                if cp.mode == CheckpointingMode::AtLeastOnce {
                    cp.mode = CheckpointingMode::ExactlyOnce;
                }
            }
            Tweak::Mode(h) => {
                cp.mode = CheckpointingMode::ExactlyOnce;
                cp.unaligned = matches!(h, Handler::Unaligned | Handler::AlignedTimeout);
                cp.aligned_timeout_ms = if *h == Handler::AlignedTimeout { rng.random_range(1..=200) } else { 0 };
                if *h == Handler::AtLeastOnce {
                    cp.mode = CheckpointingMode::AtLeastOnce;
                }
                if cp.unaligned {
                    cp.max_concurrent = 1;
                }
                if cp.aligned_timeout_ms == 0 && cp.barrier_announcements == Some(true) {
                    cp.barrier_announcements = None;
                }
                done.push(format!("mode={}", h.name()));
            }
            Tweak::Concurrent => {
                if !cp.unaligned {
                    cp.max_concurrent = 3;
                    cp.min_pause_ms = 0;
                    done.push("max_concurrent=3".into());
                }
            }
            Tweak::ShortTimeout => {
                cp.timeout_ms = rng.random_range(50..=500);
                done.push(format!("timeout={} ms", cp.timeout_ms));
            }
            Tweak::NoTolerable => {
                cp.tolerable_failures = 0;
                done.push("tolerable_failures=0".into());
            }
            Tweak::NoRestart => {
                drawn.restart = RestartStrategyConfig::NoRestart;
                drawn.restart_configured = true;
                done.push("restart=none".into());
            }
            Tweak::LongPartitions => {}
        }
    }
    if drawn.checkpoint.validate(drawn.profile).is_err() {
        drawn.checkpoint = before;
        done.push("(checkpoint tweaks invalid: drawn kept)".into());
    }
    let window_ms = (base.stop_at_ms / 2).max(1_000);
    let first_added = drawn.faults.len();
    for &name in &recipe.faults {
        if let Some(how) = add_fault(base, drawn, name, rng.random_range(500..window_ms), rng) {
            done.push(how);
        }
        // One to three of each kind.
        for _ in 0..rng.random_range(0..=2) {
            if let Some(how) = add_fault(base, drawn, name, rng.random_range(500..window_ms), rng) {
                done.push(how);
            }
        }
    }
    if recipe.tweaks.contains(&Tweak::LongPartitions) {
        let timeout_ms = drawn.cluster.heartbeat_timeout_ms;
        for f in &mut drawn.faults[first_added..] {
            if let crate::spec::FaultKind::Partition { both, .. } = &mut f.kind {
                *both = true;
                let d = (timeout_ms + rng.random_range(200..=2_000)).min(window_ms);
                f.duration_ms = Some(d);
                done.push(format!("partition at {:?} for {d} ms both ways", f.at));
            }
        }
    }
    done.join(", ")
}

/// Adds a fault of kind `name` at `t` to `spec` (a draw of `base`; for kinds the swarm never
/// draws, a copy of the scenario's own one); returns what it did.
pub fn add_fault(base: &JobSpec, spec: &mut JobSpec, name: FaultName, t: u64, rng: &mut ChaCha8Rng) -> Option<String> {
    if matches!(name, FaultName::JmCrash | FaultName::StorageSlow) {
        // The swarm never draws these kinds: a copy of the scenario's own one strikes at `t`
        // (the run up to `t` stays the parent's; moving the scenario's fault would change it
        // from that fault's time on).
        let mut f = base.faults.iter().find(|f| coverage::fault_name(&f.kind) == name)?.clone();
        f.at = FaultAt::Time(t);
        spec.faults.push(f);
        return Some(format!("a copy of the scenario's {name} at {t} ms"));
    }
    let (tasks, ops) = crate::tools::swarm::fault_targets(spec);
    if tasks.is_empty() || ops.is_empty() {
        return None;
    }
    let tms = spec.cluster.task_managers.max(1);
    let window_ms = (spec.stop_at_ms / 2).max(1_000);
    let (kind, duration_ms) = crate::swarm::draw_fault_kind(name, rng, &tasks, &ops, tms, window_ms)?;
    let how = format!("{} at {t} ms", kind.label());
    spec.faults.push(Fault { at: FaultAt::Time(t), duration_ms, kind });
    Some(how)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_situation_has_a_recipe_naming_what_reaches_it() {
        for s in Situation::ALL {
            let r = situation_recipe(s);
            // Every recipe but the always-hit completion and the scenario-bound ones adds a
            // fault or changes the configuration.
            let bound = matches!(
                s,
                Situation::CheckpointCompleted
                    | Situation::JobManagerFailoverRestore
                    | Situation::RestoreFromRetained
                    | Situation::JobFinished
            );
            assert_eq!(r.tweaks.is_empty() && r.faults.is_empty(), bound, "{s:?}");
            assert!(!r.faults.contains(&FaultName::InputBurst));
        }
        let fenced = situation_recipe(Situation::ProducerFenced);
        assert!(fenced.tweaks.contains(&Tweak::TwoPhaseSink) && fenced.faults.contains(&FaultName::Partition));
    }

    #[test]
    fn applying_a_recipe_is_deterministic_and_makes_what_it_names() {
        let base = crate::load::load_spec(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/faults/slow-operator.toml"),
        )
        .expect("scenario loads");
        let r = situation_recipe(Situation::ProducerFenced);
        assert!(applies(&r, &base));
        let make = |seed: u64| {
            let (mut drawn, _) = crate::swarm::draw(&base, 7);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let how = apply(&r, &base, &mut drawn, &mut rng);
            (drawn, how)
        };
        let (a, how_a) = make(1);
        let (b, how_b) = make(1);
        assert_eq!(how_a, how_b);
        assert_eq!(format!("{:?}", a.faults), format!("{:?}", b.faults));
        assert!(a.operators.iter().any(|o| o.kind == OpKind::TwoPhaseCommitSink), "{how_a}");
        assert!(a.faults.iter().any(|f| coverage::fault_name(&f.kind) == FaultName::Partition), "{how_a}");
        assert!(a.checkpoint.mode == CheckpointingMode::ExactlyOnce);
        // Another guide state draws other times.
        let (c, _) = make(2);
        assert_ne!(format!("{:?}", a.faults), format!("{:?}", c.faults));
    }

    #[test]
    fn a_recipe_does_not_apply_where_the_scenario_lacks_what_it_needs() {
        let base = crate::load::load_spec(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/faults/task-failure.toml"),
        )
        .expect("scenario loads");
        assert!(!applies(&situation_recipe(Situation::JobManagerFailoverRestore), &base));
        assert!(!applies(&situation_recipe(Situation::RestoreFromRetained), &base));
        assert!(!applies(&strike_recipe(Handler::Aligned, FaultName::JmCrash), &base));
        assert!(applies(&situation_recipe(Situation::RestartSuppressed), &base));
    }
}
