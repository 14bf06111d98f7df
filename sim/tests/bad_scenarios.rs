//! Every file in `tests/bad-scenarios/` must be rejected with the field (and line) its header names.
//!
//! Header comments of each file:
//! - `# expect: FIELD` (required): the dotted field the error must name;
//! - `# expect-line: N` (optional): the 1-based line the error must point at;
//! - `# expect-message: TEXT` (optional): a substring of the error message.

use ckptsim_sim::scenario::{self, ScenarioError};
use std::path::{Path, PathBuf};

fn bad_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/bad-scenarios")
}

struct Expectation {
    field: String,
    line: Option<usize>,
    message: Option<String>,
}

fn expectation(path: &Path, text: &str) -> Expectation {
    let mut field = None;
    let mut line = None;
    let mut message = None;
    for l in text.lines().take_while(|l| l.starts_with('#')) {
        if let Some(v) = l.strip_prefix("# expect:") {
            field = Some(v.trim().to_string());
        } else if let Some(v) = l.strip_prefix("# expect-line:") {
            line = Some(v.trim().parse().unwrap_or_else(|_| panic!("{}: bad expect-line", path.display())));
        } else if let Some(v) = l.strip_prefix("# expect-message:") {
            message = Some(v.trim().to_string());
        }
    }
    let field = field.unwrap_or_else(|| panic!("{}: no `# expect: FIELD` header", path.display()));
    Expectation { field, line, message }
}

fn check(path: &Path, err: &ScenarioError, want: &Expectation) -> Result<(), String> {
    let mut problems = Vec::new();
    if err.field != want.field {
        problems.push(format!("field `{}`, expected `{}`", err.field, want.field));
    }
    if let Some(line) = want.line {
        if err.line != line {
            problems.push(format!("line {}, expected {line}", err.line));
        }
    }
    if let Some(m) = &want.message {
        if !err.message.contains(m.as_str()) {
            problems.push(format!("message does not contain `{m}`"));
        }
    }
    if err.file != path.display().to_string() {
        problems.push(format!("file `{}`, expected `{}`", err.file, path.display()));
    }
    if err.line == 0 || err.column == 0 {
        problems.push("line/column must be 1-based for a readable file".to_string());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}: {}\n  got: {err}", path.display(), problems.join("; ")))
    }
}

#[test]
fn every_bad_scenario_is_rejected_precisely() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(bad_dir())
        .expect("tests/bad-scenarios exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 15, "expected at least 15 bad scenarios, found {}", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("readable");
        let want = expectation(path, &text);
        match std::panic::catch_unwind(|| scenario::load(path)) {
            Err(_) => failures.push(format!("{}: panicked", path.display())),
            Ok(Ok(_)) => failures.push(format!("{}: accepted, expected an error on `{}`", path.display(), want.field)),
            Ok(Err(err)) => {
                if let Err(p) = check(path, &err, &want) {
                    failures.push(p);
                }
                // The same text through `parse` gives the same error.
                let again = scenario::parse(&path.display().to_string(), &text).expect_err("parse rejects too");
                assert_eq!(again, err, "{}: load and parse disagree", path.display());
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} bad scenario(s) not rejected as expected:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn each_bad_file_names_a_distinct_problem() {
    // One problem each: no two files expect the same field with the same message hint.
    let mut seen = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(bad_dir()).expect("dir") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        let want = expectation(&path, &text);
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        assert!(seen.insert(stem.clone()), "duplicate file stem {stem}");
        assert!(!want.field.is_empty(), "{}: empty expected field", path.display());
    }
}
