//! The documentation holds together: every `§` reference names a heading of `docs/semantics.md`, ARCHITECTURE.md's codemap names every source file of `src/` and `sim/src/` (and names no file that is gone), and every test binary and fuzz target is named there.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn walk(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.map(|e| e.expect("a directory entry").path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if p.is_dir() {
            if !matches!(name, "target" | ".git" | "corpus" | "artifacts") {
                walk(&p, exts, out);
            }
        } else if exts.iter().any(|x| name.ends_with(x)) {
            out.push(p);
        }
    }
}

/// The section numbers of `docs/semantics.md`'s headings: `## 4. Restart ...` is `4`,
/// `### 4.2a The task ...` is `4.2a`.
fn semantics_sections(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("## ") || l.starts_with("### ") || l.starts_with("#### "))
        .filter_map(|l| {
            let number = l.trim_start_matches('#').trim_start().split(' ').next()?;
            let number = number.trim_end_matches('.');
            number.starts_with(|c: char| c.is_ascii_digit()).then(|| number.to_string())
        })
        .collect()
}

/// Every `§N`, `§N.M` or `§N.Ma` in `text` (an optional space after the sign; a sentence's
/// full stop is not part of it), with its line number.
fn section_refs(text: &str) -> Vec<(usize, String)> {
    let mut out = vec![];
    for (i, line) in text.lines().enumerate() {
        for (at, _) in line.match_indices('§') {
            let rest = line[at + '§'.len_utf8()..].trim_start_matches(' ');
            let mut number: String =
                rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.' || c.is_ascii_lowercase()).collect();
            // A letter belongs to the number only right after a digit (`4.2a`), not as a word.
            if let Some(cut) = number.char_indices().find(|(k, c)| {
                c.is_ascii_lowercase() && (*k == 0 || !number[..*k].ends_with(|d: char| d.is_ascii_digit()))
            }) {
                number.truncate(cut.0);
            }
            if let Some(cut) = number.char_indices().filter(|(_, c)| c.is_ascii_lowercase()).nth(1) {
                number.truncate(cut.0);
            }
            let number = number.trim_end_matches('.').to_string();
            if !number.is_empty() {
                out.push((i + 1, number));
            }
        }
    }
    out
}

#[test]
fn every_section_reference_names_a_heading_of_the_semantics() {
    let sections = semantics_sections(&std::fs::read_to_string(root().join("docs/semantics.md")).expect("semantics"));
    assert!(sections.len() > 40, "headings read: {sections:?}");
    let mut files =
        ["ARCHITECTURE.md", "README.md", "BENCHMARKS.md", "Cargo.toml", "clippy.toml"].map(|f| root().join(f)).to_vec();
    for dir in ["src", "sim", "tests", "examples", "docs", "scenarios", "fuzz", "scripts"] {
        walk(&root().join(dir), &[".rs", ".md", ".toml", ".py"], &mut files);
    }
    let mut dangling = vec![];
    let mut count = 0;
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else { continue };
        for (line, number) in section_refs(&text) {
            count += 1;
            if !sections.contains(&number) {
                dangling.push(format!("{}:{line}: §{number}", f.strip_prefix(root()).unwrap_or(f).display()));
            }
        }
    }
    assert!(count > 100, "only {count} references found: the scan is broken");
    assert!(dangling.is_empty(), "§ references with no heading in docs/semantics.md:\n{}", dangling.join("\n"));
}

#[test]
fn section_references_are_read_as_written() {
    let refs = |s: &str| section_refs(s).into_iter().map(|(_, n)| n).collect::<Vec<_>>();
    assert_eq!(refs("see §1.3. Then § 4.2a and §12, and §3.4's rule"), ["1.3", "4.2a", "12", "3.4"]);
    assert_eq!(refs("§14 two-input"), ["14"]);
    assert_eq!(semantics_sections("## 4. Restart\n### 4.2a The task\n## Index\n"), ["4", "4.2a"]);
}

#[test]
fn the_codemap_names_every_source_file() {
    let arch = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let core_at = arch.find("### `src/`").expect("the core's codemap");
    let sim_at = arch.find("### `sim/`").expect("the world's codemap");
    let end = arch[sim_at..].find("\n## ").map_or(arch.len(), |i| sim_at + i);
    let mut missing = vec![];
    for (dir, section) in [("src", &arch[core_at..sim_at]), ("sim/src", &arch[sim_at..end])] {
        let mut files = vec![];
        walk(&root().join(dir), &[".rs"], &mut files);
        assert!(files.len() > 20, "{dir}: only {} files found", files.len());
        for f in files {
            let rel = f.strip_prefix(root().join(dir)).expect("under the folder").display().to_string();
            if !section.contains(&format!("`{rel}`")) {
                missing.push(format!("{dir}/{rel}"));
            }
        }
    }
    assert!(missing.is_empty(), "files the ARCHITECTURE.md codemap does not name:\n{}", missing.join("\n"));
}

/// The first column of every codemap table row in `section` (`| \`file\` | what |`), files only
/// (a folder row ends in `/`; bold rows are folders).
fn codemap_entries(section: &str) -> Vec<String> {
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(name, _)| name.to_string()))
        .filter(|name| name.ends_with(".rs"))
        .collect()
}

#[test]
fn every_codemap_entry_is_a_file_of_the_tree() {
    let arch = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let core_at = arch.find("### `src/`").expect("the core's codemap");
    let sim_at = arch.find("### `sim/`").expect("the world's codemap");
    let end = arch[sim_at..].find("\n## ").map_or(arch.len(), |i| sim_at + i);
    let mut gone = vec![];
    let mut count = 0;
    for (dir, section) in [("src", &arch[core_at..sim_at]), ("sim/src", &arch[sim_at..end])] {
        for name in codemap_entries(section) {
            count += 1;
            if !root().join(dir).join(&name).is_file() {
                gone.push(format!("{dir}/{name}"));
            }
        }
    }
    assert!(count > 150, "only {count} codemap rows read: the scan is broken");
    assert!(gone.is_empty(), "ARCHITECTURE.md's codemap names files that do not exist:\n{}", gone.join("\n"));
    assert_eq!(codemap_entries("| `a.rs` | x |\n| **`world/`** | y |\n| `b/c.rs` | z |\n"), ["a.rs", "b/c.rs"]);
}

#[test]
fn every_test_binary_and_fuzz_target_is_named() {
    let arch = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut files = vec![];
    for dir in ["tests", "sim/tests", "examples/downstream/tests", "examples/downstream/src", "fuzz/fuzz_targets"] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else { panic!("{dir} is read") };
        let mut found: Vec<PathBuf> = entries.map(|e| e.expect("a directory entry").path()).collect();
        found.retain(|p| p.is_file() && p.extension().is_some_and(|x| x == "rs"));
        assert!(!found.is_empty(), "{dir}: no files found");
        files.extend(found);
    }
    files.sort();
    let missing: Vec<String> = files
        .iter()
        .map(|f| f.strip_prefix(root()).expect("under the root").display().to_string())
        .filter(|rel| !arch.contains(&format!("`{rel}`")))
        .collect();
    assert!(files.len() > 40, "only {} files found", files.len());
    assert!(
        missing.is_empty(),
        "test binaries and fuzz targets ARCHITECTURE.md does not name:\n{}",
        missing.join("\n")
    );
}
