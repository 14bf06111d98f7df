//! Scenario text hygiene: bounded reads, a NUL-byte check before parsing, control characters
//! escaped in echoed values, and TOML datetimes called datetimes in type errors.

use super::{limits, line_col, ScenarioError, SYNTAX_FIELD};
use std::io::Read;
use std::path::Path;

/// Reads at most one byte more than [`limits::MAX_FILE_BYTES`], so an oversized file (or an
/// endless one such as `/dev/zero`) costs bounded memory and is reported as too large.
pub(super) fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(limits::MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Checks made on the raw text before TOML parsing: its size and NUL bytes.
pub(super) fn precheck(file: &str, text: &str) -> Result<(), ScenarioError> {
    if text.len() as u64 > limits::MAX_FILE_BYTES {
        return Err(limits::too_large(file, Some(text.len() as u64)));
    }
    if let Some(at) = text.find('\0') {
        let (line, column) = line_col(text, at);
        return Err(ScenarioError {
            file: file.to_string(),
            line,
            column,
            field: field_of_line(text, line).unwrap_or_else(|| SYNTAX_FIELD.to_string()),
            message: "a NUL byte (\\u{0}) is not allowed: a scenario file is TOML text".to_string(),
        });
    }
    Ok(())
}

/// The dotted field a syntax error on `line` (1-based) belongs to, when that line is a plain
/// `key = value` line: the key, under the table header above it (`[checkpoint]` gives
/// `checkpoint.interval_ms`, the third `[[faults]]` gives `faults[2].at_ms`). `None` for a
/// header, a continuation line of a multi-line value, a quoted key or text before any key.
pub(super) fn field_of_line(text: &str, line: usize) -> Option<String> {
    let mut prefix = String::new();
    let mut arrays: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    // A dotted bare key: every segment non-empty (`a..b` is not a key; the fuzzer found
    // `reset_threshold_..ms` named as a field with a blank segment).
    // Spaces and tabs around a segment are TOML's, and are dropped from the field.
    let is_key = |k: &str| {
        k.split('.').all(|seg| {
            let seg = seg.trim_matches([' ', '\t']);
            !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        })
    };
    let tidy = |k: &str| k.split('.').map(|seg| seg.trim_matches([' ', '\t'])).collect::<Vec<_>>().join(".");
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if i + 1 == line {
            let (key, _) = t.split_once('=')?;
            let key = key.trim_matches([' ', '\t']);
            if t.starts_with('[') || !is_key(key) {
                return None;
            }
            let key = tidy(key);
            return Some(if prefix.is_empty() { key } else { format!("{prefix}.{key}") });
        }
        if let Some(name) = t.strip_prefix("[[").and_then(|r| r.split_once("]]")).map(|(n, _)| n.trim()) {
            if !is_key(name) {
                return None;
            }
            let n = arrays.entry(name.to_string()).or_insert(0);
            prefix = format!("{name}[{n}]");
            *n += 1;
        } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.split_once(']')).map(|(n, _)| n.trim()) {
            if !is_key(name) {
                return None;
            }
            prefix = name.to_string();
        }
    }
    None
}

/// `s` with every control character (ESC, NUL, newline, DEL, C1…) written as `\u{..}`, so an
/// echoed value cannot drive the terminal or break the one-line error format.
pub(super) fn escape_controls(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars().map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() }).collect()
}

/// The `toml` crate reads a datetime as a table; when the value at `offset` is a datetime,
/// say so instead of "table".
pub(super) fn name_datetimes(text: &str, offset: usize, message: String) -> String {
    if !message.contains("invalid type: table") {
        return message;
    }
    let rest = text.get(offset..).unwrap_or("");
    let token = rest.split(['\n', ',', '}', ']', '#']).next().unwrap_or("").trim();
    if token.parse::<toml_edit::Datetime>().is_ok() {
        message.replace("invalid type: table", "invalid type: datetime")
    } else {
        message
    }
}

/// Appends `v` in decimal to `out`, as `Display` writes it, without the formatting machinery
/// (per generated record and per trace line, where `format!` showed in the profiles).
pub(crate) fn push_decimal(out: &mut String, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    // ASCII digits pushed as chars: no UTF-8 validation of the buffer (0.9 % of the dense
    // minute's instructions, BENCHMARKS.md session 31).
    out.reserve(digits.len() - i);
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_only() {
        assert_eq!(escape_controls("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(escape_controls("x\ny\0"), "x\\u{a}y\\u{0}");
        assert_eq!(escape_controls("é ok"), "é ok");
    }

    #[test]
    fn push_decimal_writes_what_display_writes() {
        for v in [0, 7, 9, 10, 99, 100, 12_345, 1_000_000_007, u64::MAX - 1, u64::MAX] {
            let mut out = String::from("x=");
            push_decimal(&mut out, v);
            assert_eq!(out, format!("x={v}"), "{v}");
        }
    }

    #[test]
    fn syntax_errors_name_the_key_of_their_line() {
        let text = "name = \"x\"\n[checkpoint]\ninterval_ms = 1\n[[faults]]\nat_ms = 1\n[[faults]]\nat_ms = 9x\n\
                    [[operators]]\nkind = \"map\"\nrecords = [\n  1,\n]\n";
        assert_eq!(field_of_line(text, 1).as_deref(), Some("name"));
        assert_eq!(field_of_line(text, 3).as_deref(), Some("checkpoint.interval_ms"));
        assert_eq!(field_of_line(text, 5).as_deref(), Some("faults[0].at_ms"));
        assert_eq!(field_of_line(text, 7).as_deref(), Some("faults[1].at_ms"));
        assert_eq!(field_of_line(text, 9).as_deref(), Some("operators[0].kind"));
        assert_eq!(field_of_line(text, 2), None, "a header line");
        assert_eq!(field_of_line(text, 11), None, "a continuation line");
        assert_eq!(field_of_line("[restart]\nreset_threshold_..ms = 1\n", 2), None, "a blank segment");
        assert_eq!(field_of_line("[a..b]\nx = 1\n", 2), None, "a header with a blank segment");
    }
}
