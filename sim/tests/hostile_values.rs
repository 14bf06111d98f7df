//! Hostile values in every field of every repository scenario: loading never panics, and an error names the file, the line and the field.
//!
//! Each `key = value` line of each file under `scenarios/` gets, in turn, values a careless or
//! hostile user might write: out-of-range integers (beyond 64 bits, `i64::MIN`), special floats,
//! wrong types (string, table, array, boolean, datetime), a NUL, a 5,000-character string. The
//! rest of the file is unchanged, so:
//! - loading must not panic (a panic is a harness bug, whatever the input);
//! - an error must carry the file name, a 1-based line and column, a field and a one-line
//!   message without raw control characters;
//! - a type error or a syntax error is about the changed value, so it must point at the changed
//!   line and name the changed key (a value can also be valid there and only break a rule
//!   checked elsewhere, e.g. a partition count below a record's partition: that error may point
//!   at the other field).

use ckptsim_sim::scenario;
use std::path::{Path, PathBuf};

const HOSTILE: &[&str] = &[
    "-1",
    "0",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "4294967296",
    "1e309",
    "nan",
    "-inf",
    "-0.0",
    "0.5",
    "\"\"",
    "\"\\u0000\"",
    "\"\\u001b[31m\"",
    "[]",
    "{}",
    "true",
    "[1, \"a\"]",
    "2026-12-03T00:00:00Z",
    "\"1000\"",
    "{ a = 1 }",
];

fn scenario_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).expect("readable scenarios folder").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            scenario_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "toml") {
            out.push(p);
        }
    }
}

/// The key of a one-line `key = value` (a value that closes on its line), or `None`.
fn one_line_key(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if t.starts_with('#') || t.starts_with('[') {
        return None;
    }
    let (key, value) = t.split_once('=')?;
    let key = key.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return None;
    }
    let value = value.split('#').next().unwrap_or("");
    let opens = value.matches(['[', '{']).count();
    let closes = value.matches([']', '}']).count();
    (opens == closes && !value.contains("\"\"\"")).then_some(key)
}

/// Loads one hostile case; `Ok(true)` when it was rejected (with a well-formed error).
fn check_one(name: &str, text: &str, line_no: usize, key: &str) -> Result<bool, String> {
    let result = std::panic::catch_unwind(|| scenario::parse(name, text));
    let err = match result {
        Err(_) => return Err(format!("{name}:{line_no}: `{key}`: loading panicked")),
        Ok(Ok(_)) => return Ok(false),
        Ok(Err(e)) => e,
    };
    let mut problems = Vec::new();
    if err.file != name {
        problems.push(format!("file `{}`", err.file));
    }
    if err.line == 0 || err.column == 0 {
        problems.push("no 1-based line and column".to_string());
    }
    if err.field.is_empty() || err.message.is_empty() {
        problems.push("an empty field or message".to_string());
    }
    if err.message.chars().any(char::is_control) || err.field.chars().any(char::is_control) {
        problems.push("raw control characters echoed".to_string());
    }
    let about_the_value = err.message.contains("invalid type") || err.message.starts_with("TOML syntax");
    if about_the_value && err.line == line_no {
        // `operators[3].inputs[0]` names the key `inputs` (an element of its array).
        let last = key.rsplit('.').next().unwrap_or(key);
        let field = err.field.trim_end_matches(|c: char| c.is_ascii_digit() || c == '[' || c == ']');
        if !field.ends_with(last) {
            problems.push(format!("names field `{}`, not the changed key", err.field));
        }
    } else if about_the_value && err.line != line_no && !err.message.contains("invalid type: table") {
        problems.push(format!("points at line {}, not the changed line", err.line));
    }
    if problems.is_empty() {
        Ok(true)
    } else {
        Err(format!("{name}:{line_no}: `{key}`: {}\n    got: {err}", problems.join("; ")))
    }
}

#[test]
fn hostile_values_never_panic_and_errors_name_file_line_and_field() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files = Vec::new();
    scenario_files(&root, &mut files);
    assert!(files.len() >= 150, "only {} scenario files found", files.len());
    let mut tried = 0usize;
    let mut rejected = 0usize;
    let mut failures = Vec::new();
    for (fi, path) in files.iter().enumerate() {
        let text = std::fs::read_to_string(path).expect("readable scenario");
        let name = path.strip_prefix(&root).unwrap_or(path).display().to_string();
        let lines: Vec<&str> = text.lines().collect();
        for (li, line) in lines.iter().enumerate() {
            let Some(key) = one_line_key(line) else { continue };
            let indent = &line[..line.len() - line.trim_start().len()];
            // Four of the hostile values per line, rotating so every value meets every file.
            for k in 0..4 {
                let value = HOSTILE[(fi * 7 + li * 3 + k * 5) % HOSTILE.len()];
                let mut changed = lines.clone();
                let new_line = format!("{indent}{key} = {value}");
                changed[li] = &new_line;
                let changed = changed.join("\n");
                tried += 1;
                match check_one(&name, &changed, li + 1, key) {
                    Ok(was_rejected) => rejected += usize::from(was_rejected),
                    Err(f) => {
                        rejected += 1;
                        failures.push(f);
                    }
                }
            }
        }
    }
    assert!(tried >= 10_000, "only {tried} hostile cases tried");
    assert!(rejected * 10 >= tried * 8, "only {rejected} of {tried} hostile cases rejected: the mutation did not bite");
    assert!(failures.is_empty(), "{} of {tried} hostile cases mishandled:\n{}", failures.len(), failures.join("\n"));
}

/// Whole-file hostile shapes, each a clear error at its field (never a panic, a stack
/// overflow or an unbounded parse): deep nesting, a 3 MB file (over the limit), a 1.5 MB
/// string, 1,001 faults, zero and huge sizes, huge key counts, NaN and overflowing numbers.
#[test]
fn hostile_shapes_are_errors_at_their_field() {
    let base = "name = \"x\"\nstop_at_ms = 10000\n[[operators]]\nkind = \"log-source\"\n\
                [[operators]]\nkind = \"print-sink\"\n[input]\nrecords = []\n";
    let gen = base.replace("records = []\n", "");
    let mut faults = base.to_string();
    for i in 0..1001 {
        faults.push_str(&format!("[[faults]]\nkind = \"storage-failure\"\nat_ms = {}\nduration_ms = 5\n", i * 9));
    }
    let cases: Vec<(String, &str)> = vec![
        (format!("name = \"x\"\nstop_at_ms = {}{}\n", "[".repeat(100_000), "]".repeat(100_000)), "stop_at_ms"),
        (format!("name = \"x\"\nstop_at_ms = {}1{}\n", "{a=".repeat(100_000), "}".repeat(100_000)), "stop_at_ms"),
        (format!("name = \"x\"\n[{}]\nb = 1\n", ["a"; 50_000].join(".")), "(syntax)"),
        // A 3 MB string: over the 2 MiB scenario file limit, refused before parsing.
        (format!("name = \"{}\"\nstop_at_ms = 1\n", "x".repeat(3_000_000)), "(file)"),
        (format!("name = \"{}\"\nstop_at_ms = 1\n", "x".repeat(1_500_000)), "operators"),
        (faults, "faults[1000]"),
        // 10^6 one-digit values fit in 2 MiB: refused by their count before parsing (the
        // parsers' documents took 377 MB and 2.5 CPU-s to refuse it for a type error).
        (format!("zz = [{}]\n{base}", "0,".repeat(1_000_000)), "(file)"),
        (
            base.replace("kind = \"log-source\"\n", "kind = \"log-source\"\nparallelism = 0\n"),
            "operators[0].parallelism",
        ),
        (
            base.replace("kind = \"log-source\"\n", "kind = \"log-source\"\nparallelism = 1000000\n"),
            "operators[0].parallelism",
        ),
        (format!("{base}[cluster]\ntask_managers = 1000000000\n"), "cluster.task_managers"),
        (base.replace("stop_at_ms = 10000", "stop_at_ms = 9223372036854775807"), "stop_at_ms"),
        (base.replace("stop_at_ms = 10000", "stop_at_ms = -1"), "stop_at_ms"),
        (base.replace("stop_at_ms = 10000", "stop_at_ms = nan"), "stop_at_ms"),
        (base.replace("stop_at_ms = 10000", "stop_at_ms = 18446744073709551616"), "stop_at_ms"),
        (
            format!("{gen}[input.generator]\ncount = 10\nrate_per_s = 10\nkeys = 1000000000000\n"),
            "input.generator.keys",
        ),
        (format!("{gen}[input.generator]\ncount = 100000000000\nrate_per_s = 10\n"), "input.generator.count"),
        (format!("{gen}[input.generator]\ncount = 10\nrate_per_s = 0\n"), "input.generator.rate_per_s"),
        (
            format!(
                "{gen}[input.generator]\ncount = 10\nrate_per_s = 10\n[[faults]]\nkind = \"input-burst\"\nat_ms = 1\n\
                 records_per_s = 18446744073709551615\nduration_ms = 18446744073709551615\n"
            ),
            "faults[0]",
        ),
    ];
    for (i, (text, field)) in cases.iter().enumerate() {
        let started = std::time::Instant::now();
        let result = std::panic::catch_unwind(|| scenario::parse("hostile.toml", text));
        let err = match result {
            Err(_) => panic!("case {i} ({field}): loading panicked"),
            Ok(Ok(_)) => panic!("case {i} ({field}): accepted"),
            Ok(Err(e)) => e,
        };
        assert!(err.field.starts_with(field), "case {i}: expected field {field}, got {err}");
        assert!(err.line >= 1 && err.column >= 1, "case {i}: {err}");
        assert!(!err.to_string().chars().any(char::is_control), "case {i}: {err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "case {i}: {:?}", started.elapsed());
    }
}

/// The generated class of the hostile inputs: every `key = value` line of every
/// repository scenario, in turn missing, zero, negative, huge, a string, a float, a table,
/// through the `scenario_parser` fuzz body (`ckptsim_sim::fuzzing::scenario_parser`): no
/// panic; an error names the file, a line and column inside the text and a field, in one line
/// without control characters; a valid result small enough runs under the fuzz body's event
/// budget (`FUZZ_MAX_EVENTS`) and is checked. Each case answers within 1 s of this thread's
/// CPU time in release (the bound; 10 s in debug builds). CPU time, not wall time: on
/// the shared 2-core machine at load 15-20 a 0.5 s case takes several seconds of wall time.
/// The bound on one case's CPU time.
const CASE_LIMIT: std::time::Duration = std::time::Duration::from_secs(if cfg!(debug_assertions) { 10 } else { 1 });

/// This thread's CPU time (Linux `/proc/thread-self/schedstat`, nanoseconds; the world runs on
/// the calling thread), else wall time where that file does not exist.
enum CpuClock {
    Cpu(std::time::Duration),
    Wall(std::time::Instant),
}

impl CpuClock {
    fn thread_cpu() -> Option<std::time::Duration> {
        let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        text.split_whitespace().next()?.parse::<u64>().ok().map(std::time::Duration::from_nanos)
    }

    fn start() -> Self {
        Self::thread_cpu().map_or_else(|| CpuClock::Wall(std::time::Instant::now()), CpuClock::Cpu)
    }

    fn elapsed(&self) -> std::time::Duration {
        match self {
            CpuClock::Cpu(at) => Self::thread_cpu().map_or(std::time::Duration::ZERO, |now| now.saturating_sub(*at)),
            CpuClock::Wall(at) => at.elapsed(),
        }
    }
}

#[test]
fn every_field_missing_zero_negative_huge_or_mistyped_is_handled() {
    use ckptsim_sim::fuzzing::scenario_parser;
    const EDITS: &[Option<&str>] =
        &[None, Some("0"), Some("-1"), Some("18446744073709551615"), Some("\"x\""), Some("1.5"), Some("{}")];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files = Vec::new();
    scenario_files(&root, &mut files);
    let (mut tried, mut slowest) = (0usize, std::time::Duration::ZERO);
    let mut failures = Vec::new();
    for (fi, path) in files.iter().enumerate() {
        let text = std::fs::read_to_string(path).expect("readable scenario");
        let name = path.strip_prefix(&root).unwrap_or(path).display().to_string();
        let lines: Vec<&str> = text.lines().collect();
        for (li, line) in lines.iter().enumerate() {
            let Some(key) = one_line_key(line) else { continue };
            // The missing key on every line, and two of the other edits, rotating.
            for k in [0, 1 + (fi + li) % (EDITS.len() - 1), 1 + (fi + li + 3) % (EDITS.len() - 1)] {
                let mut changed: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                match EDITS[k] {
                    None => changed[li] = String::new(),
                    Some(v) => changed[li] = format!("{key} = {v}"),
                }
                let changed = changed.join("\n");
                tried += 1;
                let started = CpuClock::start();
                let outcome = std::panic::catch_unwind(|| scenario_parser(changed.as_bytes()));
                let took = started.elapsed();
                slowest = slowest.max(took);
                let edit = EDITS[k].unwrap_or("(missing)");
                if outcome.is_err() {
                    failures.push(format!("{name}:{}: `{key}` = {edit}: panicked (see the message above)", li + 1));
                } else if took > CASE_LIMIT {
                    failures.push(format!("{name}:{}: `{key}` = {edit}: took {took:?}", li + 1));
                }
            }
        }
    }
    assert!(tried >= 10_000, "only {tried} cases tried");
    assert!(failures.is_empty(), "{} of {tried} cases mishandled:\n{}", failures.len(), failures.join("\n"));
    eprintln!("{tried} cases, slowest {slowest:?}");
}
