//! Scenario text hygiene: bounded reads, a NUL-byte check before parsing, control characters
//! escaped in echoed values, and TOML datetimes called datetimes in type errors.

use super::{limits, line_col, ScenarioError, SYNTAX_FIELD};
use std::io::Read;
use std::path::Path;

/// Reads at most one byte more than [`limits::MAX_FILE_BYTES`], so an oversized file (or an
/// endless one such as `/dev/zero`) costs bounded memory and is reported as too large. A FIFO
/// is opened without waiting for a writer (opening one that nobody writes blocked `check` and
/// a whole `sweep` of its folder forever): with no writer it reads as empty; with one, its
/// data is read as it comes (`ckptsim check <(cat file.toml)`).
pub fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut file = open_no_wait(path)?.take(limits::MAX_FILE_BYTES + 1);
    loop {
        match file.read_to_end(&mut bytes) {
            Ok(_) => return Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(std::time::Duration::from_millis(5))
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Opens `path` for reading; a FIFO in non-blocking mode (see [`read_bounded`]).
fn open_no_wait(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
        if std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo()) {
            options.custom_flags(libc::O_NONBLOCK);
        }
    }
    options.open(path)
}

/// Checks made on the raw text before TOML parsing: its size and NUL bytes.
pub(super) fn precheck(file: &str, text: &str) -> Result<(), ScenarioError> {
    if text.len() as u64 > limits::MAX_FILE_BYTES {
        return Err(limits::too_large(file, Some(text.len() as u64)));
    }
    if let Some(at) = separator_beyond(text, limits::MAX_FILE_SEPARATORS) {
        let (line, column) = line_col(text, at);
        return Err(ScenarioError {
            file: file.to_string(),
            line,
            column,
            field: super::FILE_FIELD.to_string(),
            message: format!(
                "more than {max} values (`,` and `=` outside strings and comments); scenario files are \
                 limited to {max}",
                max = limits::MAX_FILE_SEPARATORS
            ),
        });
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

/// The byte offset of the `max + 1`-th value separator (`,` or `=` outside strings and
/// comments) of TOML text, if it has more than `max`: one pass, no memory, made before the
/// TOML parsers build documents of ~200 bytes a value (a 2 MB array of 10^6 integers took
/// 2.5 CPU-s and 377 MB to be refused for a type error). An unterminated string ends at its
/// line's end, as the parser will refuse it anyway.
pub(super) fn separator_beyond(text: &str, max: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut count = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => i = b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |p| i + p),
            b'"' | b'\'' => i = string_end(b, i),
            b',' | b'=' => {
                count += 1;
                if count > max {
                    return Some(i);
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// The offset just past the string that opens at `start` with a `"` or `'` (one or three).
fn string_end(b: &[u8], start: usize) -> usize {
    let q = b[start];
    let basic = q == b'"';
    if b[start..].starts_with(&[q, q, q]) {
        let mut i = start + 3;
        while i < b.len() {
            if basic && b[i] == b'\\' {
                i += 2;
            } else if b[i..].starts_with(&[q, q, q]) {
                // Up to two quotes of the content may stand before the closing three.
                let mut end = i + 3;
                while end < b.len() && end < i + 5 && b[end] == q {
                    end += 1;
                }
                return end;
            } else {
                i += 1;
            }
        }
        return b.len();
    }
    let mut i = start + 1;
    while i < b.len() && b[i] != b'\n' {
        if basic && b[i] == b'\\' {
            i += 2;
        } else if b[i] == q {
            return i + 1;
        } else {
            i += 1;
        }
    }
    i.min(b.len())
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

/// `s` with every control character (ESC, NUL, newline, DEL, C1…) and every invisible
/// direction or width format character written as `\u{..}`, so an echoed value cannot drive the
/// terminal, break the one-line error format or reorder what the reader sees (session 40: a
/// right-to-left override U+202E in an operator name was echoed raw).
pub(crate) fn escape_controls(s: &str) -> String {
    if !s.chars().any(hidden) {
        return s.to_string();
    }
    s.chars().map(|c| if hidden(c) { c.escape_unicode().to_string() } else { c.to_string() }).collect()
}

/// Longest word (a run without whitespace) an error echoes whole; a longer one keeps its first
/// [`CLIPPED_WORD_KEEP_CHARS`] characters (session 41: a 1 MB key name in `[swarm] keep` was
/// echoed as a 1 MB error line).
pub const MAX_ECHOED_WORD_CHARS: usize = 200;
/// What a clipped word keeps.
pub const CLIPPED_WORD_KEEP_CHARS: usize = 80;
/// Longest message an error prints whole (the longest list of names, every variant, is ~4,000
/// characters); a longer one is cut there.
pub const MAX_ECHOED_MESSAGE_CHARS: usize = 8_192;

/// `s` as an error prints it: every word over [`MAX_ECHOED_WORD_CHARS`] characters cut to its
/// first [`CLIPPED_WORD_KEEP_CHARS`] with `…[N chars]`, and the whole cut at
/// [`MAX_ECHOED_MESSAGE_CHARS`] with `… (N chars in all)`, so a hostile file's echoed value
/// cannot make an error line of megabytes. Untouched (borrowed) when nothing is that long.
pub fn clip_for_display(s: &str) -> std::borrow::Cow<'_, str> {
    let long_word = s.split(char::is_whitespace).any(|w| w.len() > MAX_ECHOED_WORD_CHARS);
    if !long_word && s.len() <= MAX_ECHOED_MESSAGE_CHARS {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let n = word.chars().count();
        if n > MAX_ECHOED_WORD_CHARS {
            out.extend(word.chars().take(CLIPPED_WORD_KEEP_CHARS));
            out.push_str(&format!("…[{n} chars]"));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in s.chars() {
        if c.is_whitespace() {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    let total = out.chars().count();
    if total > MAX_ECHOED_MESSAGE_CHARS {
        out = out.chars().take(MAX_ECHOED_MESSAGE_CHARS).collect();
        out.push_str(&format!("… ({total} chars in all)"));
    }
    std::borrow::Cow::Owned(out)
}

/// A control character, or a format character that changes the display invisibly: the
/// bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), the direction
/// marks (U+200E, U+200F, U+061C), the zero-width characters (U+200B–U+200D, U+2060, U+FEFF).
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}'..='\u{200f}' | '\u{061c}')
        || matches!(c, '\u{2060}' | '\u{feff}')
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
/// (per generated record and per trace line, where `format!` showed in the profiles). Two
/// digits per division (a table of the pairs, as `core::fmt` does), and ids and counters
/// below 100 (most of a trace line's numbers) pushed at once.
pub(crate) fn push_decimal(out: &mut String, mut v: u64) {
    if v < 10 {
        out.push(char::from(b'0' + v as u8));
        return;
    }
    if v < 100 {
        let pair = &DIGIT_PAIRS[2 * v as usize..2 * v as usize + 2];
        out.reserve(2);
        out.push(char::from(pair[0]));
        out.push(char::from(pair[1]));
        return;
    }
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    while v >= 100 {
        let pair = 2 * (v % 100) as usize;
        v /= 100;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        i -= 2;
        digits[i..i + 2].copy_from_slice(&DIGIT_PAIRS[2 * v as usize..2 * v as usize + 2]);
    } else {
        i -= 1;
        digits[i] = b'0' + v as u8;
    }
    // ASCII digits pushed as chars: no UTF-8 validation of the buffer (0.9 % of the dense
    // minute's instructions, BENCHMARKS.md session 31).
    out.reserve(digits.len() - i);
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

/// "00" to "99", two bytes a pair ([`push_decimal`]).
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_only() {
        assert_eq!(escape_controls("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(escape_controls("x\ny\0"), "x\\u{a}y\\u{0}");
        assert_eq!(escape_controls("é ok"), "é ok");
        // Session 40: invisible direction and width characters are written out too.
        assert_eq!(escape_controls("\u{202e}Sum\u{200b}"), "\\u{202e}Sum\\u{200b}");
        assert_eq!(escape_controls("a\u{2066}b\u{feff}"), "a\\u{2066}b\\u{feff}");
        assert_eq!(escape_controls("名前 ☃"), "名前 ☃");
    }

    #[test]
    fn long_words_and_messages_are_clipped_for_display() {
        assert_eq!(clip_for_display("unknown key `restart`"), "unknown key `restart`");
        let word = format!("`{}`", "r".repeat(1_000_000));
        let message = format!("unknown key {word} here");
        let shown = clip_for_display(&message);
        assert_eq!(shown, format!("unknown key `{}…[1000002 chars] here", "r".repeat(79)));
        let many = "ab ".repeat(10_000);
        let shown = clip_for_display(&many);
        assert!(shown.ends_with("… (30000 chars in all)") && shown.chars().count() < 8_300, "{}", shown.len());
        // Multi-byte characters are cut at a character, never inside one.
        assert!(clip_for_display(&"é".repeat(300)).starts_with(&"é".repeat(80)));
    }

    #[test]
    fn push_decimal_writes_what_display_writes() {
        let powers = (1..20).flat_map(|e| [10u64.pow(e) - 1, 10u64.pow(e), 10u64.pow(e) + 1]);
        for v in (0..=1_100).chain(powers).chain([12_345, 1_000_000_007, u64::MAX - 1, u64::MAX]) {
            let mut out = String::from("x=");
            push_decimal(&mut out, v);
            assert_eq!(out, format!("x={v}"), "{v}");
        }
    }

    #[test]
    fn separators_are_counted_outside_strings_and_comments() {
        assert_eq!(separator_beyond("a = 1\nb = [1, 2]\n", 2), Some(12), "the third: `b = [1, 2]`'s comma");
        assert_eq!(separator_beyond("a = 1\nb = [1, 2]\n", 3), None);
        let quiet = "# a,b=c\nx = \"a,=\\\",\"\ny = 'p,q'\nz = \"\"\"\n,,,\n\"\"\"\nw = '''=='''\n";
        assert_eq!(separator_beyond(quiet, 4), None, "only the four `=` of the keys count");
        assert_eq!(separator_beyond(quiet, 3), quiet.rfind("w =").map(|w| w + 2), "the fourth is w's");
        assert_eq!(separator_beyond("x = \"open,\ny = 1", 1), Some(13), "an unterminated string ends at its line");
        assert_eq!(separator_beyond("x = [1,2,3", 1), Some(6));
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
