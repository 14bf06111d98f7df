//! User code in the world: the [`Registry`](crate::user::Registry) of user operators and checkers by name, the [`Checker`](crate::user::Checker) trait, and loading scenario files that use them (`kind = "user"`).
//!
//! A scenario names a user operator by the name it was registered under:
//!
//! ```toml
//! [[operators]]
//! kind = "key_by"
//!
//! [[operators]]
//! kind = "user"
//! function = "my_counter"   # Registry::with_operator("my_counter", ...)
//! parallelism = 2
//! ```
//!
//! The registry is a plain value passed to [`load_spec_with`](crate::user::load_spec_with) (or
//! [`crate::api::run_file`], [`crate::harness`]): there is no global table. A name the
//! registry does not know is an error naming the file, line, column and
//! `operators[i].function`; so is a keyed user operator that does not follow `key_by`. The
//! `ckptsim` command loads with an empty registry, so it rejects user operators the same way.
//!
//! The determinism rules for user code are in [`ckptsim::user`]; the scenario harness runs
//! every scenario twice per seed and compares the trace hashes.

use crate::check::Verdict;
use crate::reference::Reference;
pub use crate::scenario::user_refs::{Registered, UserOpRef, UserSinkRef, UserSourceRef, UserWriterRef};
use crate::scenario::{self, DeliveryGuarantee, OperatorKindSpec, Scenario, ScenarioError};
use crate::spec::{JobSpec, OpKind};
use crate::world::RunResult;
use ckptsim::user::{
    UserOperator, UserOperatorFactory, UserSinkFactory, UserSinkSystem, UserSource, UserSourceFactory,
    UserWriterFactory, UserWriterSystem,
};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// An extra property to judge every run by, next to the built-in checkers (which have this
/// shape too: `check::state(spec, run, reference) -> Verdict`).
///
/// Each line of its verdict is a [`Finding`](crate::check::Finding): a kind (the slug its
/// signature, the outcome table and a regression file name use), the moment it happened and
/// the records it names, typed — nothing reads the sentence. A bare `String` line gets the
/// checker's name as its kind and no moment.
///
/// ```
/// use ckptsim_sim::check::{Finding, Verdict};
/// use ckptsim_sim::reference::Reference;
/// use ckptsim_sim::spec::JobSpec;
/// use ckptsim_sim::user::Checker;
/// use ckptsim_sim::world::RunResult;
///
/// /// At most 3 restarts.
/// struct FewRestarts;
/// impl Checker for FewRestarts {
///     fn name(&self) -> &'static str { "few-restarts" }
///     fn check(&self, _: &JobSpec, run: &RunResult, _: &Reference) -> Verdict {
///         let mut anomalies = Vec::new();
///         if run.restarts > 3 {
///             let text = format!("{} restarts", run.restarts);
///             anomalies.push(Finding::new("too-many-restarts", text).with("restarts", run.restarts));
///         }
///         Verdict::new(self.name(), anomalies, "restarts bounded".into())
///     }
/// }
/// ```
pub trait Checker: Send + Sync {
    /// Stable name (shown in verdicts; unique among checkers).
    fn name(&self) -> &'static str;
    /// Judges one run: anomalies (one per line, with time and records) or a pass.
    fn check(&self, spec: &JobSpec, run: &RunResult, reference: &Reference) -> Verdict;
}

/// User operators and checkers by name: what scenario files and runs may use.
#[derive(Clone, Default)]
pub struct Registry {
    operators: BTreeMap<String, UserOperatorFactory>,
    sources: BTreeMap<String, UserSourceFactory>,
    sinks: BTreeMap<String, UserSinkFactory>,
    writers: BTreeMap<String, UserWriterFactory>,
    /// Per sink name, the guarantee of its later registration: what a `user-sink` without
    /// `delivery_guarantee` runs.
    sink_default: BTreeMap<String, DeliveryGuarantee>,
    checkers: Vec<Arc<dyn Checker>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("operators", &self.operators.keys().collect::<Vec<_>>())
            .field("sources", &self.sources.keys().collect::<Vec<_>>())
            .field("sinks", &self.sinks.keys().collect::<Vec<_>>())
            .field("at_least_once_sinks", &self.writers.keys().collect::<Vec<_>>())
            .field("checkers", &self.checkers.iter().map(|c| c.name()).collect::<Vec<_>>())
            .finish()
    }
}

impl Registry {
    /// An empty registry (only the built-in operators and checkers).
    pub fn new() -> Self {
        Registry::default()
    }

    /// Registers a user operator under `name` (`function = "name"` in a scenario); `make`
    /// builds one fresh instance per parallel subtask and attempt. A second registration of a
    /// name replaces the first.
    pub fn with_operator<F>(mut self, name: &str, make: F) -> Self
    where
        F: Fn() -> Box<dyn UserOperator> + Send + Sync + 'static,
    {
        self.operators.insert(name.to_string(), Arc::new(make));
        self
    }

    /// Registers a user source under `name` (`kind = "user-source"`, `function = "name"` in a
    /// scenario); `make` builds one fresh instance per reader attempt (and one that the loader
    /// reads the whole input with, for the checkers' reference). A second registration of a name
    /// replaces the first.
    pub fn with_source<F>(mut self, name: &str, make: F) -> Self
    where
        F: Fn() -> Box<dyn UserSource> + Send + Sync + 'static,
    {
        self.sources.insert(name.to_string(), Arc::new(make));
        self
    }

    /// Registers a user two-phase-commit sink under `name` (`kind = "user-sink"`, `function =
    /// "name"`); `make` builds its external system, once per run. A second registration of a
    /// name replaces the first. The same name may also be registered as an at-least-once sink
    /// ([`Registry::with_at_least_once_sink`]): a scenario then picks one with
    /// `delivery_guarantee = "exactly-once"` or `"at-least-once"`, and without that key the
    /// later registration runs.
    pub fn with_sink<F>(mut self, name: &str, make: F) -> Self
    where
        F: Fn() -> Box<dyn UserSinkSystem> + Send + Sync + 'static,
    {
        self.sink_default.insert(name.to_string(), DeliveryGuarantee::ExactlyOnce);
        self.sinks.insert(name.to_string(), Arc::new(make));
        self
    }

    /// Registers a user at-least-once sink under `name` (`kind = "user-sink"`, `function =
    /// "name"`, as a two-phase-commit one): no transactions, its writes visible at once, a flush
    /// at every checkpoint; `make` builds its external system, once per run. The job's sink is
    /// then an at-least-once sink: its published records are the printed output the
    /// `at-least-once` checker reads, and duplicates after a restore are expected. A name
    /// registered both ways runs the one its scenario's `delivery_guarantee` names, else the
    /// later registration.
    pub fn with_at_least_once_sink<F>(mut self, name: &str, make: F) -> Self
    where
        F: Fn() -> Box<dyn UserWriterSystem> + Send + Sync + 'static,
    {
        self.sink_default.insert(name.to_string(), DeliveryGuarantee::AtLeastOnce);
        self.writers.insert(name.to_string(), Arc::new(make));
        self
    }

    /// The guarantees the sink registered under `name` can give (empty: not registered).
    pub fn sink_guarantees(&self, name: &str) -> Vec<DeliveryGuarantee> {
        let mut g = Vec::new();
        if self.sinks.contains_key(name) {
            g.push(DeliveryGuarantee::ExactlyOnce);
        }
        if self.writers.contains_key(name) {
            g.push(DeliveryGuarantee::AtLeastOnce);
        }
        g
    }

    /// The source factory registered under `name`.
    pub fn source(&self, name: &str) -> Option<&UserSourceFactory> {
        self.sources.get(name)
    }

    /// The sink factory registered under `name`.
    pub fn sink(&self, name: &str) -> Option<&UserSinkFactory> {
        self.sinks.get(name)
    }

    /// The names of the registered checkers, in registration order.
    pub fn checker_names(&self) -> Vec<String> {
        self.checkers.iter().map(|c| c.name().to_string()).collect()
    }

    /// Adds a checker that judges every run next to the built-in ones.
    pub fn with_checker(mut self, checker: impl Checker + 'static) -> Self {
        self.checkers.push(Arc::new(checker));
        self
    }

    /// The factory registered under `name`.
    pub fn operator(&self, name: &str) -> Option<&UserOperatorFactory> {
        self.operators.get(name)
    }

    /// The factory a scenario's `function = name` resolves to: the one registered under `name`,
    /// else the core's built-in operator of that name (`ckptsim::list_state_ops`, which every
    /// registry knows, so the `ckptsim` command runs them too).
    pub fn operator_or_builtin(&self, name: &str) -> Option<UserOperatorFactory> {
        if let Some(f) = self.operators.get(name) {
            return Some(f.clone());
        }
        ckptsim::list_state_ops::builtin_operator(name)?;
        let name = name.to_string();
        Some(Arc::new(move || ckptsim::list_state_ops::builtin_operator(&name).expect("a built-in name")))
    }

    /// Registered operator names, sorted.
    pub fn operator_names(&self) -> Vec<&str> {
        self.operators.keys().map(String::as_str).collect()
    }

    /// The extra checkers, in registration order.
    pub fn checkers(&self) -> &[Arc<dyn Checker>] {
        &self.checkers
    }

    /// Runs every extra checker on a run.
    pub fn check(&self, spec: &JobSpec, run: &RunResult, reference: &Reference) -> Vec<Verdict> {
        self.checkers.iter().map(|c| c.check(spec, run, reference)).collect()
    }

    /// Attaches the registered implementation to every user operator of `spec` (operators the
    /// registry does not know stay unresolved: building their tasks panics, so check names
    /// first, as [`load_spec_with`] does).
    pub fn resolve(&self, spec: &mut JobSpec) {
        for o in &mut spec.operators {
            if let OpKind::User(u) = &mut o.kind {
                if let Some(f) = self.operator_or_builtin(u.name()) {
                    *u = UserOpRef::new(u.name(), f);
                }
            }
            if let Some(u) = &mut o.user_source {
                *u = match self.sources.get(u.name()) {
                    Some(f) => UserSourceRef::new(u.name(), f.clone()),
                    None => UserSourceRef::unresolved(u.name()),
                };
            }
            if let Some(u) = o.user_sink.take() {
                let guarantee = o.delivery_guarantee.or_else(|| self.sink_default.get(u.name()).copied());
                let writer = self.writers.get(u.name()).filter(|_| guarantee == Some(DeliveryGuarantee::AtLeastOnce));
                if let Some(f) = writer {
                    // An at-least-once sink: the model's print sink, its rows the user's writes.
                    o.kind = OpKind::PrintSink;
                    o.user_writer = Some(UserWriterRef::new(u.name(), f.clone()));
                } else {
                    o.user_sink = Some(match self.sinks.get(u.name()) {
                        Some(f) => UserSinkRef::new(u.name(), f.clone()),
                        None => u,
                    });
                }
            }
        }
        crate::user_io::read_user_input(spec);
    }
}

/// Checks a parsed scenario's user operators against `registry`: every name is registered,
/// and a keyed one directly follows `key_by`. Errors name `operators[i].function` / `.kind`.
pub fn check_user_operators(
    file: &str,
    text: &str,
    scenario: &Scenario,
    registry: &Registry,
) -> Result<(), ScenarioError> {
    for (i, o) in scenario.operators.iter().enumerate() {
        if let Some(function) = &o.user_io {
            let source = o.kind.is_source();
            let (what, known) = if source {
                ("source", registry.sources.keys().map(String::as_str).collect::<Vec<_>>())
            } else {
                ("sink", registry.sinks.keys().chain(registry.writers.keys()).map(String::as_str).collect::<Vec<_>>())
            };
            let registered = if source {
                registry.source(function).is_some()
            } else {
                registry.sink(function).is_some() || registry.writers.contains_key(function)
            };
            if !registered {
                let known = if known.is_empty() {
                    format!("no user {what}s are registered (the `ckptsim` command has none: run it from Rust with a Registry)")
                } else {
                    format!("registered: {}", known.join(", "))
                };
                return Err(scenario::error_at_key(
                    file,
                    text,
                    &format!("operators[{i}].function"),
                    format!("unknown user {what} `{function}`; {known}"),
                ));
            }
            if let Some(g) = o.delivery_guarantee {
                let can = registry.sink_guarantees(function);
                if !can.contains(&g) {
                    let (has, needs) = match g {
                        DeliveryGuarantee::ExactlyOnce => ("with_at_least_once_sink", "with_sink (a UserSinkSystem)"),
                        DeliveryGuarantee::AtLeastOnce => ("with_sink", "with_at_least_once_sink (a UserWriterSystem)"),
                    };
                    return Err(scenario::error_at_key(
                        file,
                        text,
                        &format!("operators[{i}].delivery_guarantee"),
                        format!(
                            "user sink `{function}` cannot give {}: it is registered only by Registry::{has}; \
                             register it by Registry::{needs} under the same name, or drop the key",
                            g.name()
                        ),
                    ));
                }
            }
            continue;
        }
        let OperatorKindSpec::User { function } = &o.kind else { continue };
        let Some(f) = registry.operator_or_builtin(function) else {
            let known = registry.operator_names();
            let builtin = ckptsim::list_state_ops::BUILTIN_NAMES.join(", ");
            let known = if known.is_empty() {
                format!(
                    "no user operators are registered (the `ckptsim` command has none: run it from Rust with a \
                     Registry); built in: {builtin}"
                )
            } else {
                format!("registered: {}; built in: {builtin}", known.join(", "))
            };
            return Err(scenario::error_at_key(
                file,
                text,
                &format!("operators[{i}].function"),
                format!("unknown user operator `{function}`; {known}"),
            ));
        };
        let after_key_by = i > 0 && scenario.operators[i - 1].kind == OperatorKindSpec::KeyBy;
        if f().is_keyed() && !after_key_by {
            return Err(scenario::error_at_key(
                file,
                text,
                &format!("operators[{i}].kind"),
                format!("user operator `{function}` is keyed: it must directly follow key_by"),
            ));
        }
    }
    Ok(())
}

/// Parses scenario text whose user operators `registry` resolves (see [`scenario::parse`]).
pub fn parse_with(file: &str, text: &str, registry: &Registry) -> Result<Scenario, ScenarioError> {
    let sc = scenario::parse_with_checkers(file, text, &registry.checker_names())?;
    check_user_operators(file, text, &sc, registry)?;
    Ok(sc)
}

/// Loads and converts one scenario file with the empty registry (the built-in operators only).
/// User operators (`kind = "user"`) must be known to an empty registry, so a file that uses one
/// is an error here; load it with [`load_spec_with`] and its registry. (Declared here, not in
/// `scenario::load`, so the scenario stage does not depend on the registry; `crate::load`
/// re-exports it.)
pub fn load_spec(path: &Path) -> Result<JobSpec, ScenarioError> {
    load_spec_with(path, &Registry::new())
}

/// Loads a scenario file into a [`JobSpec`] with its user operators resolved by `registry`.
pub fn load_spec_with(path: &Path, registry: &Registry) -> Result<JobSpec, ScenarioError> {
    let sc = scenario::load_with_checkers(path, &registry.checker_names())?;
    let file = path.display().to_string();
    if sc.operators.iter().any(|o| matches!(o.kind, OperatorKindSpec::User { .. }) || o.user_io.is_some()) {
        // The file parsed, so it is readable UTF-8 within the size limit.
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: file.clone(),
            line: 0,
            column: 0,
            field: scenario::FILE_FIELD.to_string(),
            message: format!("cannot read the file: {e}"),
        })?;
        check_user_operators(&file, &text, &sc, registry)?;
    }
    Ok(to_spec_with(&sc, &file, registry))
}

/// [`crate::load::to_spec`] with the user operators resolved by `registry`.
pub fn to_spec_with(sc: &Scenario, source_path: &str, registry: &Registry) -> JobSpec {
    let mut spec = crate::load::to_spec(sc, source_path);
    registry.resolve(&mut spec);
    spec
}
