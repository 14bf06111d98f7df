//! The span index of a scenario file: each dotted key path (`operators[2].function`) to the byte spans of its key and value, for `file:line:column: field` errors.

use super::*;

// ---------------------------------------------------------------------------------------------
// Span index: dotted path -> key span and value span
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, Default)]
pub(super) struct SpanEntry {
    pub(super) key: Option<Range<usize>>,
    pub(super) value: Option<Range<usize>>,
}

/// Every key, table, array element and value of the document by dotted path
/// (`a.b`, `operators[2].kind`, `input.lines[0].at_ms`).
#[derive(Debug, Default)]
pub(super) struct SpanIndex {
    pub(super) entries: BTreeMap<String, SpanEntry>,
}

pub(super) fn join_key(parent: &str, key: &str) -> String {
    let key = key_segment(key);
    if parent.is_empty() {
        key.into_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// A key as it appears in a dotted field path: a bare key as is, any other (empty, with a dot,
/// a space, a quote or a control character) quoted as TOML writes it, so `"" = 1` is the field
/// `""` and `"a.b" = 1` is not `a.b`.
pub(super) fn key_segment(key: &str) -> std::borrow::Cow<'_, str> {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return std::borrow::Cow::Borrowed(key);
    }
    let mut out = String::with_capacity(key.len() + 2);
    out.push('"');
    for c in key.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    std::borrow::Cow::Owned(out)
}

impl SpanIndex {
    pub(super) fn build(root: &toml_edit::Item) -> SpanIndex {
        let mut index = SpanIndex::default();
        index.item(String::new(), None, root);
        index
    }

    pub(super) fn insert(&mut self, path: String, key: Option<Range<usize>>, value: Option<Range<usize>>) {
        if !path.is_empty() {
            self.entries.insert(path, SpanEntry { key, value });
        }
    }

    pub(super) fn item(&mut self, path: String, key: Option<Range<usize>>, item: &toml_edit::Item) {
        match item {
            toml_edit::Item::None => {}
            toml_edit::Item::Value(v) => self.value(path, key, v),
            toml_edit::Item::Table(t) => {
                self.insert(path.clone(), key, t.span());
                for (k, child) in t.iter() {
                    let key_span = t.key(k).and_then(|k| k.span());
                    self.item(join_key(&path, k), key_span, child);
                }
            }
            toml_edit::Item::ArrayOfTables(a) => {
                self.insert(path.clone(), key, a.span());
                for (i, t) in a.iter().enumerate() {
                    let elem = format!("{path}[{i}]");
                    self.insert(elem.clone(), None, t.span());
                    for (k, child) in t.iter() {
                        let key_span = t.key(k).and_then(|k| k.span());
                        self.item(join_key(&elem, k), key_span, child);
                    }
                }
            }
        }
    }

    pub(super) fn value(&mut self, path: String, key: Option<Range<usize>>, v: &toml_edit::Value) {
        self.insert(path.clone(), key, v.span());
        match v {
            toml_edit::Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    self.value(format!("{path}[{i}]"), None, x);
                }
            }
            toml_edit::Value::InlineTable(t) => {
                for (k, x) in t.iter() {
                    let key_span = t.key(k).and_then(|k| k.span());
                    self.value(join_key(&path, k), key_span, x);
                }
            }
            _ => {}
        }
    }

    /// Byte offset to report for `path`: its value, else its key; for a path that is not in the
    /// document (a missing key) the nearest enclosing table that is.
    pub(super) fn locate(&self, path: &str) -> Option<usize> {
        let mut p = path;
        loop {
            if let Some(e) = self.entries.get(p) {
                if let Some(s) = e.value.as_ref().or(e.key.as_ref()) {
                    return Some(s.start);
                }
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }

    /// The path a byte offset falls in: the key it is part of, else the innermost value.
    pub(super) fn path_at(&self, offset: usize) -> Option<&str> {
        let mut best: Option<(&str, usize)> = None;
        for (path, e) in &self.entries {
            if let Some(k) = &e.key {
                if k.contains(&offset) {
                    return Some(path);
                }
            }
            if let Some(v) = &e.value {
                let len = v.end.saturating_sub(v.start);
                if (v.contains(&offset) || (v.start == offset && len == 0)) && best.is_none_or(|(_, l)| len < l) {
                    best = Some((path, len));
                }
            }
        }
        best.map(|(p, _)| p)
    }
}
