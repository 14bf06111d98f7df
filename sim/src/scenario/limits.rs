//! Validation limits of scenario files: every accepted scenario runs in bounded memory and time.
//!
//! The limits are checked after the rest of validation (so an ill-formed value keeps its own
//! message) and before anything is expanded: a generator is judged by its parameters, never by
//! materialising its records. They are documented in one table in `scenarios/README.md`.

use super::{
    Ctx, Distribution, FaultName, FaultSpec, GeneratorSpec, InputSpec, Res, Scenario, ScenarioError, When, FILE_FIELD,
};

/// Attempts are namespaced by JobManager epoch (a JobManager restarted by HA, or a new job
/// from a retained checkpoint or savepoint, starts counting attempts again): world attempt =
/// epoch * EPOCH_STRIDE + JobMaster attempt. A JobMaster may restart its job up to
/// `EPOCH_STRIDE - 1` times and a run may have epochs 0 to `u32::MAX / EPOCH_STRIDE - 1` (4,293); a run
/// that goes beyond is stopped as for a spent event budget (`BudgetUse::attempts_exhausted`),
/// never run on with messages dropped. (Until session 10 the stride was 10,000: a swarm run of
/// `001-kafka-offsets` with 38 ms restarts reached attempt 10,000 and its messages were lost.)
/// The world's JobManager host (`world/jobmanager.rs`) numbers attempts by it (`crate::world::EPOCH_STRIDE`
/// re-exports it); an anchor's attempt in a scenario file is validated below it; `rescale.rs`, the checkers,
/// coverage and the explorer read an attempt's epoch back from it.
pub const EPOCH_STRIDE: u32 = 1_000_000;

/// Most seeds an `[expect] seeds` list names.
pub const MAX_EXPECT_SEEDS: usize = 64;
/// Largest scenario file read, bytes (checked before parsing).
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;
/// Most value separators (`,` and `=` outside strings and comments) of a scenario file,
/// counted before parsing: a TOML document costs ~200 bytes a value, and the file-size limit
/// alone admits 10^6 one-digit values. The largest scripted input, 10^5 records of
/// `{at_ms=..,value=".."}`, has 4 × 10^5.
pub const MAX_FILE_SEPARATORS: usize = 500_000;
/// Longest run, virtual ms (24 h).
pub const MAX_STOP_AT_MS: u64 = 24 * 60 * 60 * 1000;
/// Most TaskManagers.
pub const MAX_TASK_MANAGERS: u32 = 64;
/// Most slots per TaskManager.
pub const MAX_SLOTS_PER_TM: u32 = 128;
/// Most parallel subtasks of one operator.
pub const MAX_PARALLELISM: u32 = 128;
/// Most operators in the pipeline.
pub const MAX_OPERATORS: usize = 64;
/// Most log partitions.
pub const MAX_PARTITIONS: u32 = 1024;
/// Most generated records in one run: the generator's `count` plus every input burst.
pub const MAX_GENERATED_RECORDS: u64 = 10_000_000;
/// Most distinct generator keys (a Zipf draw costs O(keys)).
pub const MAX_GENERATOR_KEYS: u64 = 10_000;
/// Most `count × keys` of a Zipf generator: a Zipf draw walks the keys from the most frequent
/// (about `keys / ln keys` steps on average), and the input is drawn once by the world's log
/// and once by the reference. At 10^7 records over 10^4 keys a run took 815 s in draws alone.
pub const MAX_ZIPF_COUNT_TIMES_KEYS: u64 = 1_000_000_000;
/// Most entries of `[input].lines` or `[input].records`.
pub const MAX_INPUT_ENTRIES: usize = 100_000;
/// Most `[[faults]]` entries.
pub const MAX_FAULTS: usize = 1_000;
/// Most `[[actions]]` entries.
pub const MAX_ACTIONS: usize = 1_000;

/// The error for a file larger than [`MAX_FILE_BYTES`]: its size when known (`None`: only the
/// first `MAX_FILE_BYTES + 1` bytes were read, e.g. from a pipe).
pub(super) fn too_large(file: &str, len: Option<u64>) -> ScenarioError {
    let size = match len {
        Some(len) => format!("the file is {len} bytes"),
        None => format!("the file is larger than {MAX_FILE_BYTES} bytes"),
    };
    ScenarioError {
        file: file.to_string(),
        line: 1,
        column: 1,
        field: FILE_FIELD.to_string(),
        message: format!("{size}; scenario files are limited to {MAX_FILE_BYTES} bytes (2 MiB)"),
    }
}

impl Ctx<'_> {
    fn at_most(&self, path: &str, value: u64, max: u64, what: &str) -> Res<()> {
        if value > max {
            return Err(self.err(path, format!("{value} is above the limit of {max} ({what})")));
        }
        Ok(())
    }

    /// The limits of one generator at `at` (`input.generator`, `inputs.<Source>.generator`)
    /// besides its share of [`MAX_GENERATED_RECORDS`]: keys, start, the Zipf draws' cost.
    pub(super) fn generator_limits(&self, at: &str, g: &GeneratorSpec) -> Res<()> {
        self.at_most(&format!("{at}.keys"), g.keys, MAX_GENERATOR_KEYS, "distinct keys")?;
        self.at_most(&format!("{at}.start_ms"), g.start_ms, MAX_STOP_AT_MS, "24 h of virtual time")?;
        if g.distribution == Distribution::Zipf && g.count.saturating_mul(g.keys) > MAX_ZIPF_COUNT_TIMES_KEYS {
            return Err(self.err(
                &format!("{at}.count"),
                format!(
                    "{} records over {} Zipf keys: count × keys is above the limit of {MAX_ZIPF_COUNT_TIMES_KEYS} \
                     (each Zipf draw costs up to `keys` steps); use fewer keys, fewer records or a uniform distribution",
                    g.count, g.keys
                ),
            ));
        }
        Ok(())
    }

    /// Checks every limit of a validated scenario.
    pub(super) fn limits(&self, sc: &Scenario) -> Res<()> {
        self.at_most("stop_at_ms", sc.stop_at_ms, MAX_STOP_AT_MS, "24 h of virtual time")?;
        let c = &sc.cluster;
        self.at_most("cluster.task_managers", c.task_managers.into(), MAX_TASK_MANAGERS.into(), "TaskManagers")?;
        self.at_most("cluster.slots_per_tm", c.slots_per_tm.into(), MAX_SLOTS_PER_TM.into(), "slots per TaskManager")?;
        if sc.operators.len() > MAX_OPERATORS {
            let path = format!("operators[{MAX_OPERATORS}]");
            return Err(self.err(&path, format!("{} operators; at most {MAX_OPERATORS}", sc.operators.len())));
        }
        for (i, o) in sc.operators.iter().enumerate() {
            let path = format!("operators[{i}].parallelism");
            self.at_most(&path, o.parallelism.into(), MAX_PARALLELISM.into(), "subtasks per operator")?;
        }
        self.at_most("input.partitions", sc.input.partitions().into(), MAX_PARTITIONS.into(), "log partitions")?;
        let mut generated = 0u64;
        match &sc.input {
            InputSpec::Lines(l) if l.len() > MAX_INPUT_ENTRIES => {
                let path = format!("input.lines[{MAX_INPUT_ENTRIES}]");
                return Err(self.err(&path, format!("{} lines; at most {MAX_INPUT_ENTRIES}", l.len())));
            }
            InputSpec::Records { records, .. } if records.len() > MAX_INPUT_ENTRIES => {
                let path = format!("input.records[{MAX_INPUT_ENTRIES}]");
                return Err(self.err(&path, format!("{} records; at most {MAX_INPUT_ENTRIES}", records.len())));
            }
            InputSpec::Generator { generator: g, .. } => {
                let what = "generated records per run";
                self.at_most("input.generator.count", g.count, MAX_GENERATED_RECORDS, what)?;
                self.generator_limits("input.generator", g)?;
                generated = g.count;
            }
            _ => {}
        }
        self.source_input_limits(sc)?;
        if sc.actions.len() > MAX_ACTIONS {
            let path = format!("actions[{MAX_ACTIONS}]");
            return Err(self.err(&path, format!("{} actions; at most {MAX_ACTIONS}", sc.actions.len())));
        }
        if sc.faults.len() > MAX_FAULTS {
            let path = format!("faults[{MAX_FAULTS}]");
            return Err(self.err(&path, format!("{} faults; at most {MAX_FAULTS}", sc.faults.len())));
        }
        for (i, f) in sc.faults.iter().enumerate() {
            if let When::At(t) = f.when {
                self.at_most(&format!("faults[{i}].at_ms"), t, MAX_STOP_AT_MS, "24 h of virtual time")?;
            }
            if let Some(d) = f.fault.duration_ms() {
                let key = match f.fault.fault_name() {
                    FaultName::TmCrash | FaultName::JmCrash => "restart_after_ms",
                    _ => "duration_ms",
                };
                self.at_most(&format!("faults[{i}].{key}"), d, MAX_STOP_AT_MS, "24 h of virtual time")?;
            }
            if let FaultSpec::InputBurst { records_per_s, duration_ms } = f.fault {
                let path = format!("faults[{i}].records_per_s");
                let burst = records_per_s.checked_mul(duration_ms).map(|x| x / 1000).ok_or_else(|| {
                    self.err(&path, format!("records_per_s × duration_ms overflows ({records_per_s} × {duration_ms})"))
                })?;
                generated = generated.saturating_add(burst);
                if generated > MAX_GENERATED_RECORDS {
                    return Err(self.err(
                        &path,
                        format!(
                            "this burst brings the generated records to {generated}, above the limit of \
                             {MAX_GENERATED_RECORDS} (generator count plus every burst)"
                        ),
                    ));
                }
            }
        }
        self.cost_limits(sc)
    }
}
