//! The core (`src/`) stays sans-IO: a scan of its sources for I/O, clocks, threads, statics, async, printing and hashed collections fails `cargo test` on a leak.
//!
//! Clippy's `disallowed-types`/`disallowed-methods` (`clippy.toml`) catch the same types and
//! calls at their use; this scan also covers what clippy cannot name (modules, macros,
//! `static mut`, `async`) and runs wherever the tests run.

use std::path::Path;

/// Tokens the core must not contain, outside comments and string literals, with the reason.
const FORBIDDEN: &[(&str, &str)] = &[
    ("std::fs", "file I/O"),
    ("std::net", "network I/O"),
    ("std::io", "I/O"),
    ("std::process", "processes"),
    ("std::env", "environment reads"),
    ("std::thread", "threads"),
    ("std::time", "clock reads: `now_ms` is an input"),
    ("Instant", "clock reads: `now_ms` is an input"),
    ("SystemTime", "clock reads: `now_ms` is an input"),
    ("HashMap", "hashed iteration order"),
    ("HashSet", "hashed iteration order"),
    ("thread_local!", "hidden global state"),
    ("static mut", "hidden global state"),
    ("static ", "hidden global state (use `const`)"),
    ("lazy_static", "hidden global state"),
    ("OnceLock", "hidden global state"),
    ("async ", "the core is synchronous: handle_*/poll_*"),
    (".await", "the core is synchronous: handle_*/poll_*"),
    ("println!", "printing: return outputs instead"),
    ("eprintln!", "printing: return outputs instead"),
    ("print!", "printing: return outputs instead"),
    ("dbg!", "printing: return outputs instead"),
    ("rand::", "randomness is an input"),
    ("getrandom", "randomness is an input"),
];

/// The code of one line without its `//` comment and without the contents of string literals.
fn code_of(line: &str) -> String {
    let mut out = String::new();
    let mut in_str = false;
    let mut prev = '\0';
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            if c == '"' && prev != '\\' {
                in_str = false;
                out.push('"');
            }
            prev = if prev == '\\' && c == '\\' { '\0' } else { c };
            continue;
        }
        if c == '/' && chars.peek() == Some(&'/') {
            break;
        }
        if c == '"' {
            in_str = true;
            prev = '\0';
        }
        out.push(c);
    }
    out
}

/// True when `token` occurs in `code` not as the tail of a longer name or a lifetime
/// (`'static` is fine, `static X` is not).
fn contains_word(code: &str, token: &str) -> bool {
    code.match_indices(token).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        !matches!(before, Some(c) if c.is_alphanumeric() || c == '_' || c == '\'')
    })
}

/// Every forbidden token in `source`, as `line: token (reason)`.
fn violations(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let code = code_of(line);
        for (token, why) in FORBIDDEN {
            if contains_word(&code, token) {
                out.push(format!("{}: `{token}` ({why})", n + 1));
            }
        }
    }
    out
}

#[test]
fn the_core_has_no_io_clock_threads_statics_or_hashed_maps() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut files = 0;
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ readable") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files += 1;
                let text = std::fs::read_to_string(&path).expect("source readable");
                for v in violations(&text) {
                    found.push(format!("{}:{v}", path.display()));
                }
            }
        }
    }
    assert!(files >= 10, "scanned {files} files: is this the core's src/?");
    assert!(found.is_empty(), "sans-IO leaks in src/:\n{}", found.join("\n"));
}

#[test]
fn the_scan_sees_leaks_and_ignores_comments_and_strings() {
    assert_eq!(violations("let t = std::time::Instant::now();").len(), 2);
    assert!(violations("fn name(self) -> &'static str { \"x\" }").is_empty());
    assert_eq!(violations("let t = time::Instant::now();").len(), 1);
    assert!(violations("let n = MyInstantly::new();").is_empty(), "only whole names");
    assert_eq!(violations("use std::collections::HashMap;").len(), 1);
    assert_eq!(violations("static mut COUNTER: u32 = 0;").len(), 2);
    assert_eq!(violations("async fn f() { g().await }").len(), 2);
    assert!(violations("// a HashMap would be wrong here").is_empty());
    assert!(violations("let s = \"std::fs is not used\"; // Instant").is_empty());
    assert!(violations("let s = \"a \\\" quote\"; let m: BTreeMap<u8, u8>;").is_empty());
    assert_eq!(violations("let s = \"x\"; let h = HashSet::new();").len(), 1);
}
