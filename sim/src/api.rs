//! The library entry point: run a scenario (a file or a [`JobBuilder`](crate::api::JobBuilder)) under a seed with a [`Registry`](crate::user::Registry) and get its [`Report`](crate::api::Report) (verdict, anomalies, tables, trace hash).
//!
//! ```no_run
//! use ckptsim_sim::api;
//! use ckptsim_sim::user::Registry;
//!
//! let registry = Registry::new();
//! let report = api::run_file("scenarios/seeds/004-wordcount-restore.toml", None, &registry).unwrap();
//! assert!(report.passed(), "{}", report.render());
//! println!("trace hash {:016x}", report.trace_hash());
//! ```

use crate::check::signature::{self, Anomaly};
use crate::check::Verdict;
use crate::outcome::{self, ExpectResult, Outcome};
use crate::reference;
use crate::scenario::ScenarioError;
use crate::spec::JobSpec;
use crate::user::{self, Registry};
use crate::world;
use std::fmt::Write as _;
use std::path::Path;

/// Everything one run concluded: the job, the outcome (run, verdicts, expectations) and the
/// verdicts of the registry's extra checkers (already folded into the expectations).
#[derive(Clone, Debug)]
pub struct Report {
    /// The job that ran.
    pub spec: JobSpec,
    /// The run, every built-in and extra checker's verdict and every expectation.
    pub outcome: Outcome,
}

impl Report {
    /// Every expectation held and no checker failed (a negative scenario: its checker failed).
    pub fn passed(&self) -> bool {
        self.outcome.passed()
    }

    /// The seed the run used.
    pub fn seed(&self) -> u64 {
        self.outcome.seed
    }

    /// The trace hash: equal seeds of an unchanged job give equal hashes.
    pub fn trace_hash(&self) -> u64 {
        self.outcome.trace_hash()
    }

    /// The verdict of the checker named `checker` (built-in or registered).
    pub fn verdict(&self, checker: &str) -> Option<&Verdict> {
        self.outcome.verdicts.iter().find(|v| v.checker == checker)
    }

    /// The expectations that did not hold.
    pub fn failed_expectations(&self) -> Vec<&ExpectResult> {
        self.outcome.expectations.iter().filter(|e| !e.held).collect()
    }

    /// Every failing checker's anomalies, typed (kind, time, fields).
    pub fn anomalies(&self) -> Vec<Anomaly> {
        signature::anomalies(&self.outcome.verdicts)
    }

    /// The output table (what the sink printed or committed).
    pub fn output_table(&self) -> String {
        outcome::output_table(&self.spec, &self.outcome.run)
    }

    /// The checkpoint table.
    pub fn checkpoint_table(&self) -> String {
        outcome::checkpoint_table(&self.outcome.run)
    }

    /// The full text `ckptsim run` prints: tables, status timeline, verdicts, replay line.
    pub fn render(&self) -> String {
        outcome::render(&self.spec, &self.outcome)
    }
}

/// Runs a scenario file under `seed` (its own `seed` key when `None`), its user operators and
/// extra checkers from `registry`.
pub fn run_file(path: impl AsRef<Path>, seed: Option<u64>, registry: &Registry) -> Result<Report, ScenarioError> {
    let spec = user::load_spec_with(path.as_ref(), registry)?;
    let seed = seed.unwrap_or(spec.default_seed);
    Ok(run_spec(&spec, seed, registry))
}

/// Runs a job under `seed`: the world, the built-in checkers, the registry's checkers, the
/// scenario's `[expect]`. A failing extra checker fails the run like a built-in one (unless the
/// scenario is negative: `caught_by` may then name the extra checker).
pub fn run_spec(spec: &JobSpec, seed: u64, registry: &Registry) -> Report {
    let mut o = outcome::run(spec, seed);
    if !registry.checkers().is_empty() {
        let reference = reference::compute(spec);
        let extra = registry.check(spec, &o.run, &reference);
        for v in &extra {
            if spec.expect.caught_by.as_deref() == Some(v.checker) {
                // `[expect] caught_by` names this checker: the outcome said "unknown checker".
                let held = v.passed == Some(false);
                let name = format!("caught_by = {}", v.checker);
                o.expectations.retain(|e| e.name != name);
                let detail = if held {
                    format!("caught: {}", v.anomalies.first().cloned().unwrap_or_default())
                } else {
                    format!("NOT caught ({})", v.summary)
                };
                o.expectations.push(ExpectResult { name, held, detail });
            } else if spec.expect.caught_by.is_none() && v.passed == Some(false) {
                let mut detail = v.anomalies[..v.anomalies.len().min(3)].join("; ");
                if v.anomalies.len() > 3 {
                    let _ = write!(detail, "; ... {} more", v.anomalies.len() - 3);
                }
                o.expectations.push(ExpectResult { name: format!("checker {}", v.checker), held: false, detail });
            }
        }
        o.verdicts.extend(extra);
    }
    Report { spec: spec.clone(), outcome: o }
}

/// Runs `spec` twice under `seed` and returns both trace hashes (equal when the job, its user
/// code included, is deterministic).
pub fn trace_hashes_twice(spec: &JobSpec, seed: u64) -> (u64, u64) {
    (world::run(spec, seed).trace.hash(), world::run(spec, seed).trace.hash())
}

/// A scenario written in Rust: the same keys as a scenario file, so the same validation and
/// the same file:line:column errors (on the generated text, shown by [`JobBuilder::toml`]).
///
/// ```
/// use ckptsim_sim::api::JobBuilder;
/// use ckptsim_sim::user::Registry;
///
/// let spec = JobBuilder::new("wordcount")
///     .top("stop_at_ms = 20000")
///     .section("checkpoint", "interval_ms = 1000")
///     .operator("socket-source", &[])
///     .operator("flat_map", &[("function", "\"split_words_to_pairs\"")])
///     .operator("key_by", &[])
///     .operator("sum", &[])
///     .operator("print-sink", &[])
///     .section("input", "lines = [{ at_ms = 1000, line = \"a b a\" }]")
///     .build(&Registry::new())
///     .unwrap();
/// assert_eq!(spec.operators.len(), 5);
/// ```
#[derive(Clone, Debug, Default)]
pub struct JobBuilder {
    name: String,
    top: Vec<String>,
    sections: Vec<(String, String)>,
    operators: Vec<String>,
    tables: Vec<(String, String)>,
}

impl JobBuilder {
    /// A job named `name` (defaults apply to every key not given).
    pub fn new(name: &str) -> Self {
        JobBuilder { name: name.to_string(), ..JobBuilder::default() }
    }

    /// A top-level key line, e.g. `"stop_at_ms = 20000"` or `"seed = 3"`.
    pub fn top(mut self, line: &str) -> Self {
        self.top.push(line.to_string());
        self
    }

    /// A `[table]` with its key lines, e.g. `("checkpoint", "interval_ms = 500")`.
    pub fn section(mut self, table: &str, body: &str) -> Self {
        self.sections.push((table.to_string(), body.to_string()));
        self
    }

    /// The next operator of the pipeline: its kind and extra keys as `(key, TOML value)`.
    pub fn operator(mut self, kind: &str, keys: &[(&str, &str)]) -> Self {
        let mut s = format!("[[operators]]\nkind = \"{kind}\"\n");
        for (k, v) in keys {
            let _ = writeln!(s, "{k} = {v}");
        }
        self.operators.push(s);
        self
    }

    /// A user operator registered as `function`, with `parallelism` subtasks.
    pub fn user_operator(self, function: &str, parallelism: u32) -> Self {
        let f = format!("\"{function}\"");
        let p = parallelism.to_string();
        self.operator("user", &[("function", f.as_str()), ("parallelism", p.as_str())])
    }

    /// An entry of an array of tables, e.g. `("faults", "kind = \"task-failure\"\n...")`.
    pub fn table_entry(mut self, array: &str, body: &str) -> Self {
        self.tables.push((array.to_string(), body.to_string()));
        self
    }

    /// The scenario text this builder stands for.
    pub fn toml(&self) -> String {
        let mut s = format!("name = \"{}\"\n", self.name);
        for l in &self.top {
            let _ = writeln!(s, "{l}");
        }
        for (t, body) in &self.sections {
            let _ = write!(s, "\n[{t}]\n{body}\n");
        }
        for o in &self.operators {
            let _ = write!(s, "\n{o}");
        }
        for (a, body) in &self.tables {
            let _ = write!(s, "\n[[{a}]]\n{body}\n");
        }
        s
    }

    /// Validates and converts the scenario, resolving user operators with `registry`.
    pub fn build(&self, registry: &Registry) -> Result<JobSpec, ScenarioError> {
        let file = format!("<builder:{}>", self.name);
        let text = self.toml();
        let sc = user::parse_with(&file, &text, registry)?;
        Ok(user::to_spec_with(&sc, &file, registry))
    }
}
