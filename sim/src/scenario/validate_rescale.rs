//! Semantic validation of rescaling: an operator's `max_parallelism` and the `rescale` action (`parallelism`, `max_parallelism`, `from`).

use super::*;
use ckptsim::key_group::UPPER_BOUND_MAX_PARALLELISM;

/// The raw keys of a `rescale` action: `parallelism`, `from`, `max_parallelism`.
pub(super) type RawRescale = (Option<BTreeMap<String, u32>>, Option<String>, Option<BTreeMap<String, IntOrAuto>>);

impl Ctx<'_> {
    /// `operators[i].max_parallelism`: in `1..=32768` and at least the operator's parallelism
    /// (Flink refuses a parallelism above the max parallelism when it builds the job).
    pub(super) fn max_parallelism_key(
        &self,
        p: &dyn Fn(&str) -> String,
        parallelism: u32,
        max_parallelism: Option<u32>,
    ) -> Res<()> {
        let Some(m) = max_parallelism else { return Ok(()) };
        if !(1..=UPPER_BOUND_MAX_PARALLELISM).contains(&m) {
            return Err(
                self.err(&p("max_parallelism"), format!("must be in 1..={UPPER_BOUND_MAX_PARALLELISM} (got {m})"))
            );
        }
        if parallelism > m {
            return Err(self.err(
                &p("parallelism"),
                format!(
                    "parallelism {parallelism} exceeds the operator's max_parallelism {m} (its number of key groups)"
                ),
            ));
        }
        Ok(())
    }

    /// A `rescale` action's keys: every named operator exists and runs as tasks, each new
    /// parallelism fits the cluster and the new program's explicit max parallelism.
    pub(super) fn rescale_action(
        &self,
        i: usize,
        (parallelism, from, max_parallelism): RawRescale,
        operators: &[OperatorSpec],
        cluster: &ClusterSpec,
    ) -> Res<RescaleSpec> {
        let p = |k: &str| format!("actions[{i}].{k}");
        let from = match from.as_deref() {
            None => RescaleFrom::default(),
            Some(f) => RescaleFrom::NAMES
                .iter()
                .position(|n| *n == f)
                .map(|i| [RescaleFrom::Savepoint, RescaleFrom::RetainedCheckpoint][i])
                .ok_or_else(|| {
                    self.err(&p("from"), format!("unknown `from` `{f}`; expected {}", list(&RescaleFrom::NAMES)))
                })?,
        };
        let parallelism = parallelism.ok_or_else(|| {
            self.missing(&p("parallelism"), "the new parallelism per operator name, e.g. { Sum = 3 }")
        })?;
        let slots = u64::from(cluster.task_managers) * u64::from(cluster.slots_per_tm);
        let find = |path: &str, name: &str| -> Res<&OperatorSpec> {
            let op = operators.iter().find(|o| o.name == name).ok_or_else(|| {
                let names: Vec<&str> = operators.iter().map(|o| o.name.as_str()).collect();
                self.err(path, format!("no operator named `{name}`; operators: {}", list(&names)))
            })?;
            if !op.kind.is_task() {
                return Err(self.err(path, format!("`{name}` is a partitioning, not a task: it has no parallelism")));
            }
            Ok(op)
        };
        let mut max = BTreeMap::new();
        for (name, m) in max_parallelism.unwrap_or_default() {
            let path = format!("{}.{name}", p("max_parallelism"));
            find(&path, &name)?;
            let m = match m {
                IntOrAuto::Auto => None,
                IntOrAuto::Int(m) if (1..=UPPER_BOUND_MAX_PARALLELISM).contains(&m) => Some(m),
                IntOrAuto::Int(m) => {
                    return Err(self.err(&path, format!("must be in 1..={UPPER_BOUND_MAX_PARALLELISM} (got {m})")))
                }
            };
            max.insert(name, m);
        }
        for (name, &n) in &parallelism {
            let path = format!("{}.{name}", p("parallelism"));
            let op = find(&path, name)?;
            if n == 0 {
                return Err(self.err(&path, "must be >= 1 (got 0)"));
            }
            if matches!(op.kind, OperatorKindSpec::SocketSource) && n != 1 {
                return Err(
                    self.err(&path, format!("a socket source is non-parallel: parallelism must be 1 (got {n})"))
                );
            }
            if u64::from(n) > slots {
                return Err(self.err(
                    &path,
                    format!("parallelism {n} exceeds the cluster's {slots} slots (task_managers x slots_per_tm)"),
                ));
            }
            let explicit = max.get(name).copied().unwrap_or(op.max_parallelism);
            if let Some(m) = explicit.filter(|m| n > *m) {
                return Err(self.err(
                    &path,
                    format!("parallelism {n} exceeds `{name}`'s max_parallelism {m} (its number of key groups)"),
                ));
            }
        }
        Ok(RescaleSpec { from, parallelism, max_parallelism: max })
    }
}
