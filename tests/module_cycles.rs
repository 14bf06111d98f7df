//! No import cycle between the modules of `sim/src` (issue 12), and no new one in the core: the Rust form of `scripts/module-deps.py`, so `cargo test` fails when a cycle appears.
//!
//! A module is a source file (`sim/src/tools/bench.rs` is `tools::bench`, a `mod.rs` is its
//! folder, a `#[path]` child is its declaring file's child). A use is a path in the code (not in
//! comments or strings) that names another module: `crate::a::b`, `super::x`, `self::x`,
//! `ckptsim_sim::a` (the binary), the items of a `{...}` group included. A use between a module
//! and one of its ancestors or descendants is structure (a file and the child modules split out
//! of it are one unit), not an edge. Test code (`*_tests.rs`, `#[cfg(test)] mod` blocks) is left
//! out. A use through a glob re-import (`use super::*` then `graph::f`) is not seen: write the
//! path from `crate` or `super` when a file uses a sibling.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The text with comments, string and char literals blanked byte by byte (newlines kept), so
/// offsets stay those of the file.
fn strip(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for x in &mut out[from..to.min(b.len())] {
            if *x != b'\n' {
                *x = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        let end = if b[i..].starts_with(b"//") {
            b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |j| i + j)
        } else if b[i..].starts_with(b"/*") {
            block_comment_end(b, i)
        } else if b[i] == b'r' && (i == 0 || !is_ident(b[i - 1])) && raw_string_hashes(&b[i + 1..]).is_some() {
            let hashes = raw_string_hashes(&b[i + 1..]).unwrap_or(0);
            let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            let from = i + 2 + hashes;
            b[from..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(b.len(), |j| from + j + close.len())
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            j + 1
        } else if b[i] == b'\'' {
            char_literal_end(b, i).unwrap_or(i)
        } else {
            i
        };
        if end > i {
            blank(&mut out, i, end);
            i = end;
        } else {
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `Some(n)` when `rest` (after an `r`) opens a raw string with `n` hashes.
fn raw_string_hashes(rest: &[u8]) -> Option<usize> {
    let n = rest.iter().take_while(|&&c| c == b'#').count();
    (rest.get(n) == Some(&b'"')).then_some(n)
}

fn block_comment_end(b: &[u8], i: usize) -> usize {
    let (mut depth, mut j) = (1, i + 2);
    while j < b.len() && depth > 0 {
        if b[j..].starts_with(b"/*") {
            depth += 1;
            j += 2;
        } else if b[j..].starts_with(b"*/") {
            depth -= 1;
            j += 2;
        } else {
            j += 1;
        }
    }
    j
}

/// The end of a char literal at `i` (`'x'`, `'\n'`, `'\u{..}'`, a multi-byte char), or `None`
/// for a lifetime.
fn char_literal_end(b: &[u8], i: usize) -> Option<usize> {
    let first = *b.get(i + 1)?;
    if first == b'\\' {
        // The escaped character is skipped: `'\''` ends at its third quote.
        let from = i + 3;
        let j = b.get(from..)?.iter().position(|&c| c == b'\'' || c == b'\n')?;
        return (b[from + j] == b'\'').then_some(from + j + 1);
    }
    let len = match first {
        0..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    };
    (first != b'\n' && b.get(i + 1 + len) == Some(&b'\'')).then_some(i + 2 + len)
}

/// The code with every `#[cfg(test)] mod x { ... }` block blanked.
fn without_test_blocks(code: &str) -> String {
    let mut out = code.as_bytes().to_vec();
    let mut from = 0;
    while let Some(at) = code[from..].find("#[cfg(test)]").map(|j| from + j) {
        from = at + 1;
        let after = code[at + 12..].trim_start();
        let after =
            after.strip_prefix("pub(crate)").or_else(|| after.strip_prefix("pub")).unwrap_or(after).trim_start();
        let Some(rest) = after.strip_prefix("mod ") else { continue };
        let name_len = rest.bytes().take_while(|&c| is_ident(c)).count();
        if !rest[name_len..].trim_start().starts_with('{') {
            continue;
        }
        let open = code.len() - rest[name_len..].trim_start().len();
        let mut depth = 0;
        let close = (open..code.len())
            .find(|&j| {
                depth += i32::from(code.as_bytes()[j] == b'{') - i32::from(code.as_bytes()[j] == b'}');
                depth == 0
            })
            .unwrap_or(code.len() - 1);
        for x in &mut out[at..=close] {
            if *x != b'\n' {
                *x = b' ';
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn module_of(rel: &Path) -> Module {
    let mut m: Module = rel.with_extension("").iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if m.last().is_some_and(|l| ["mod", "lib", "main"].contains(&l.as_str())) {
        m.pop();
    }
    m
}

/// `(file, module)` of every `#[path = "file"] mod module;` in `raw` (declared in `dir`).
fn path_children(raw: &str, code: &str, dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = vec![];
    for (at, _) in code.match_indices("#[path") {
        let attr = &raw[at..];
        let Some(file) = attr.split('"').nth(1) else { continue };
        let Some(decl) = code[at..].find(']').map(|j| code[at + j + 1..].trim_start()) else { continue };
        let decl = decl.strip_prefix("pub(crate)").or_else(|| decl.strip_prefix("pub")).unwrap_or(decl).trim_start();
        if let Some(rest) = decl.strip_prefix("mod ") {
            let name: String = rest.trim_start().bytes().take_while(|&c| is_ident(c)).map(char::from).collect();
            out.push((dir.join(file), name));
        }
    }
    out
}

/// Module → its non-test code, from `(path relative to the root, text)` pairs.
fn modules(files: &[(PathBuf, String)]) -> BTreeMap<Module, String> {
    let mut path_mods: BTreeMap<PathBuf, Module> = BTreeMap::new();
    for (rel, raw) in files {
        let code = strip(raw);
        for (file, name) in path_children(raw, &code, rel.parent().unwrap_or(Path::new(""))) {
            let mut m = module_of(rel);
            m.push(name);
            path_mods.insert(file, m);
        }
    }
    let mut out: BTreeMap<Module, String> = BTreeMap::new();
    for (rel, raw) in files {
        let name = rel.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.ends_with("_tests.rs") || name == "tests.rs" {
            continue;
        }
        let m = path_mods.get(rel).cloned().unwrap_or_else(|| module_of(rel));
        let code = without_test_blocks(&strip(raw));
        out.entry(m).or_default().push_str(&code);
    }
    out
}

#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    Path,
    Punct(char),
}

fn tokens(code: &str) -> Vec<Tok> {
    let b = code.as_bytes();
    let (mut out, mut i) = (vec![], 0);
    while i < b.len() {
        if is_ident(b[i]) {
            let n = b[i..].iter().take_while(|&&c| is_ident(c)).count();
            out.push(Tok::Ident(code[i..i + n].to_string()));
            i += n;
        } else if b[i..].starts_with(b"::") {
            out.push(Tok::Path);
            i += 2;
        } else {
            if !b[i].is_ascii_whitespace() {
                out.push(Tok::Punct(char::from(b[i])));
            }
            i += 1;
        }
    }
    out
}

/// Every path `head::a::b` in the tokens (a group's items each as their own path), as
/// `(head, [a, b])`.
fn paths(toks: &[Tok]) -> Vec<(String, Vec<String>)> {
    let mut out = vec![];
    for (i, t) in toks.iter().enumerate() {
        let Tok::Ident(head) = t else { continue };
        let is_head = ["crate", "super", "self", "ckptsim_sim"].contains(&head.as_str());
        if is_head && (i == 0 || toks[i - 1] != Tok::Path) && toks.get(i + 1) == Some(&Tok::Path) {
            path_from(toks, i + 1, head, vec![], &mut out);
        }
    }
    out
}

/// Reads `::a::b`, `::{x, y::z}` from `toks[i]` on, below `head::prefix`.
fn path_from(
    toks: &[Tok],
    mut i: usize,
    head: &str,
    mut prefix: Vec<String>,
    out: &mut Vec<(String, Vec<String>)>,
) -> usize {
    while toks.get(i) == Some(&Tok::Path) {
        match toks.get(i + 1) {
            Some(Tok::Ident(p)) => {
                prefix.push(p.clone());
                i += 2;
            }
            Some(Tok::Punct('{')) => return group(toks, i + 2, head, &prefix, out),
            _ => break,
        }
    }
    out.push((head.to_string(), prefix));
    i
}

/// The items of a `{...}` group opened before `toks[i]`; returns the index after its `}`.
fn group(toks: &[Tok], mut i: usize, head: &str, prefix: &[String], out: &mut Vec<(String, Vec<String>)>) -> usize {
    while let Some(t) = toks.get(i) {
        match t {
            Tok::Punct('}') => return i + 1,
            Tok::Ident(p) => {
                let mut item = prefix.to_vec();
                item.push(p.clone());
                i = path_from(toks, i + 1, head, item, out);
                while let Some(Tok::Ident(_) | Tok::Punct('*')) = toks.get(i) {
                    i += 1; // `as name`, `*`
                }
            }
            _ => i += 1,
        }
    }
    i
}

/// The deepest module named by `head::parts` written in module `here`.
fn resolve(mods: &BTreeMap<Module, String>, here: &Module, head: &str, parts: &[String]) -> Option<Module> {
    let (mut base, mut rest) = match head {
        "super" => (here[..here.len().saturating_sub(1)].to_vec(), parts),
        "self" => (here.clone(), parts),
        _ => (vec![], parts),
    };
    if head == "super" {
        while rest.first().is_some_and(|p| p == "super") {
            base.pop();
            rest = &rest[1..];
        }
    }
    let mut best = None;
    for p in rest {
        base.push(p.clone());
        if !mods.contains_key(&base) {
            break;
        }
        best = Some(base.clone());
    }
    best
}

fn edges(mods: &BTreeMap<Module, String>) -> BTreeSet<(Module, Module)> {
    let mut out = BTreeSet::new();
    for (here, code) in mods {
        for (head, parts) in paths(&tokens(code)) {
            let Some(to) = resolve(mods, here, &head, &parts) else { continue };
            if !to.starts_with(here) && !here.starts_with(&to) {
                out.insert((here.clone(), to));
            }
        }
    }
    out
}

/// Strongly connected components of more than one module (Tarjan), each sorted.
fn cycles(mods: &BTreeMap<Module, String>, es: &BTreeSet<(Module, Module)>) -> Vec<Vec<Module>> {
    struct Tarjan<'a> {
        adj: BTreeMap<&'a Module, Vec<&'a Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        out: Vec<Vec<Module>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a Module) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in self.adj.get(v).cloned().unwrap_or_default() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    self.low.insert(v, self.low[v].min(self.low[w]));
                } else if self.stack.contains(&w) {
                    self.low.insert(v, self.low[v].min(self.index[w]));
                }
            }
            if self.low[v] == self.index[v] {
                let at = self.stack.iter().rposition(|m| *m == v).expect("v is on the stack");
                let mut comp: Vec<Module> = self.stack.drain(at..).cloned().collect();
                comp.sort();
                if comp.len() > 1 {
                    self.out.push(comp);
                }
            }
        }
    }
    let mut t =
        Tarjan { adj: BTreeMap::new(), index: BTreeMap::new(), low: BTreeMap::new(), stack: vec![], out: vec![] };
    for (a, b) in es {
        t.adj.entry(a).or_default().push(b);
    }
    for m in mods.keys() {
        if !t.index.contains_key(m) {
            t.visit(m);
        }
    }
    t.out
}

fn read_tree(dir: &str) -> Vec<(PathBuf, String)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(dir).expect("a source folder").map(|e| e.expect("an entry").path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(base, &p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).expect("a source file");
                out.push((p.strip_prefix(base).expect("under the folder").to_path_buf(), text));
            }
        }
    }
    let mut out = vec![];
    walk(&root().join(dir), &root().join(dir), &mut out);
    out
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "crate".to_string()
    } else {
        m.join("::")
    }
}

/// The cycles of the tree under `dir`, rendered with their edges, and the counts scanned.
fn report(dir: &str) -> (Vec<String>, usize, usize) {
    let mods = modules(&read_tree(dir));
    let es = edges(&mods);
    let rendered = cycles(&mods, &es)
        .iter()
        .map(|c| {
            let inner: Vec<String> = es
                .iter()
                .filter(|(a, b)| c.contains(a) && c.contains(b))
                .map(|(a, b)| format!("  {} -> {}", name(a), name(b)))
                .collect();
            format!("{}\n{}", c.iter().map(name).collect::<Vec<_>>().join(" <-> "), inner.join("\n"))
        })
        .collect();
    (rendered, mods.len(), es.len())
}

#[test]
fn the_modules_of_sim_src_have_no_import_cycle() {
    let (found, modules, uses) = report("sim/src");
    assert!(modules > 100 && uses > 100, "only {modules} modules and {uses} uses read: the scan is broken");
    assert!(
        found.is_empty(),
        "import cycles between the modules of sim/src (merge the files into one module, make one a \
         `#[path]` child of the other, or move what both use to a third module):\n{}",
        found.join("\n")
    );
}

/// The core's one known cycle (its data types refer to each other: operator states in `state`
/// hold window and join states, operators snapshot into them, a user operator is an operator
/// and operators host user operators, ...). Session 19 took five modules out of it by pure moves
/// (`NoCheckpointing` declared in `profile`, `ListMode` in `state`; was `config`, `join`,
/// `key_group`, `operator`, `profile`, `record`, `rescale`, `sink`, `state`, `store`, `user`,
/// `watermark`, `window`); breaking the rest means splitting types out of `operator`, `window`
/// and `join`. This list may only shrink.
const CORE_CYCLE: &str = "join <-> operator <-> rescale <-> state <-> store <-> user <-> window";

/// The top-level modules of a tree (`sim/src/check/...` is `check`) and the uses between them:
/// the pipeline's stages as folders.
fn folded(mods: &BTreeMap<Module, String>) -> (BTreeMap<Module, String>, BTreeSet<(Module, Module)>) {
    let top = |m: &Module| m.iter().take(1).cloned().collect::<Module>();
    let tops = mods.keys().map(|m| (top(m), String::new())).collect();
    let es = edges(mods).iter().map(|(a, b)| (top(a), top(b))).filter(|(a, b)| a != b).collect();
    (tops, es)
}

#[test]
fn the_folders_of_sim_src_have_no_import_cycle() {
    let (tops, es) = folded(&modules(&read_tree("sim/src")));
    assert!(
        tops.len() >= 10 && es.len() >= 20,
        "only {} top-level modules and {} uses: the scan is broken",
        tops.len(),
        es.len()
    );
    let found: Vec<String> =
        cycles(&tops, &es).iter().map(|c| c.iter().map(name).collect::<Vec<_>>().join(" <-> ")).collect();
    let between: Vec<String> = es.iter().map(|(a, b)| format!("  {} -> {}", name(a), name(b))).collect();
    assert!(
        found.is_empty(),
        "import cycles between the top-level modules of sim/src (scenario -> world -> check -> tools \
         must stay a pipeline):\n{}\n{}",
        found.join("\n"),
        between.join("\n")
    );
}

#[test]
fn the_core_has_no_import_cycle_but_its_known_one() {
    let (found, modules, uses) = report("src");
    assert!(modules > 40 && uses > 100, "only {modules} modules and {uses} uses read: the scan is broken");
    let heads: Vec<&str> = found.iter().map(|c| c.lines().next().unwrap_or("")).collect();
    assert_eq!(
        heads,
        [CORE_CYCLE],
        "the core's import cycles changed (if the known one shrank, shrink CORE_CYCLE):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_sees_a_planted_cycle_and_not_structure_comments_strings_or_tests() {
    let file = |p: &str, text: &str| (PathBuf::from(p), text.to_string());
    let files = [
        file("lib.rs", "mod a; mod b; mod c;"),
        file("a.rs", "use crate::b::B;\n#[path = \"a_part.rs\"] mod part;\nfn f() -> [char; 2] { ['\"', '\\''] }"),
        file("a_part.rs", "use super::A; // crate::c\nfn g() { super::super::c::C; let s = \"crate::c\"; }"),
        file("b.rs", "use crate::{c::{self, C}, x};\nstruct B<'a>(&'a str);"),
        file("c.rs", "/* crate::a */ fn h() {}\n#[cfg(test)]\nmod tests { use crate::a::A; }"),
        file("c_tests.rs", "use crate::a::A;"),
    ];
    let mods = modules(&files);
    assert!(mods.contains_key(&vec!["a".to_string(), "part".to_string()]), "{:?}", mods.keys());
    let es: Vec<String> = edges(&mods).iter().map(|(a, b)| format!("{} -> {}", name(a), name(b))).collect();
    assert_eq!(es, ["a -> b", "a::part -> c", "b -> c"]);
    assert!(cycles(&mods, &edges(&mods)).is_empty());
    let mut planted = files.to_vec();
    planted[4] = file("c.rs", "fn h() { crate::a::part::g() }");
    let mods = modules(&planted);
    let found: Vec<Vec<String>> = cycles(&mods, &edges(&mods)).iter().map(|c| c.iter().map(name).collect()).collect();
    assert_eq!(found, [["a::part", "c"]]);
    // Folded to top-level modules, `a -> b -> c -> a::part` is a cycle of the three.
    let (tops, es) = folded(&mods);
    let found: Vec<Vec<String>> = cycles(&tops, &es).iter().map(|c| c.iter().map(name).collect()).collect();
    assert_eq!(found, [["a", "b", "c"]]);
    let (tops, es) = folded(&modules(&files));
    assert!(cycles(&tops, &es).is_empty());
}
