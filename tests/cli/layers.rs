//! The layers of `src/`, read from the source itself: the import graph derived from every
//! `crate::`, `super::` and `use` path (comments and string literals removed, re-exports followed to
//! the file that defines the name), checked against the layer order of ARCHITECTURE.md. Also: only
//! `cli/` prints, `Table::embedded()` has one caller, and every file says what it owns.
//!
//! Run with `--nocapture` to see the figures (files, edges, largest cycle, back-edges);
//! `PBUILD_LAYERS_SRC=<dir>/src` reads another checkout instead.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::repo;

/// Layer of each module, lowest first. A file may import its own layer or a lower one. Files
/// not named here take the layer of their nearest named ancestor module.
const LAYERS: &[(&str, u32)] = &[
    ("paths", 0),
    ("fsutil", 0),
    ("image", 0),
    ("flash::error", 1),
    ("sim::error", 1),
    ("error", 2),
    ("tool", 3),
    ("tty", 3),
    ("ino", 3),
    ("work", 4),
    ("tree", 5),
    ("sources", 5),
    ("config", 6),
    ("inspect", 7),
    ("plan", 8),
    ("hashmemo", 9),
    ("stepcache", 9),
    ("build", 10),
    ("device", 11),
    ("sim", 12),
    ("usb", 13),
    ("flash", 14),
    ("doctor", 15),
    ("watch", 15),
    ("new", 15),
    ("fuzzing", 16),
    ("cli", 17),
];

struct Source {
    /// `flash::deploy`; the crate root is `crate`.
    module: String,
    path: PathBuf,
    /// The code with comments and literals blanked, test modules cut off.
    code: String,
    /// The same, with test modules kept.
    code_with_tests: String,
    text: String,
}

fn sources() -> Vec<Source> {
    // PBUILD_LAYERS_SRC: read another checkout's src/ (to measure an older layout).
    let src = std::env::var_os("PBUILD_LAYERS_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("src"));
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(&src).sort_by_file_name() {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(&src).unwrap().to_path_buf();
        if !e.file_type().is_file() || rel.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        if rel.starts_with("bin") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        let stem = rel.with_extension("");
        let parts: Vec<String> = stem
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let module = match parts.as_slice() {
            [one] if one == "lib" || one == "main" => "crate".to_string(),
            [rest @ .., last] if last == "mod" => rest.join("::"),
            all => all.join("::"),
        };
        let code_with_tests = strip(&text);
        let code = cut_tests(&code_with_tests);
        out.push(Source {
            module,
            path: rel,
            code,
            code_with_tests,
            text,
        });
    }
    // Files that are test modules as a whole (`#[cfg(test)] mod x;` in their parent): all test.
    let test_files: Vec<String> = out
        .iter()
        .flat_map(|s| {
            let toks = tokens(&s.code_with_tests);
            let mut found = Vec::new();
            for (i, t) in toks.iter().enumerate() {
                if t == "mod" && toks.get(i + 2).map(String::as_str) == Some(";") {
                    let before = toks[..i].iter().rev().take(12).cloned().collect::<Vec<_>>();
                    let cfg_test = before.windows(2).any(|w| w[0] == "test" && w[1] == "(");
                    if cfg_test {
                        let name = &toks[i + 1];
                        found.push(if s.module == "crate" {
                            name.clone()
                        } else {
                            format!("{}::{name}", s.module)
                        });
                    }
                }
            }
            found
        })
        .collect();
    // `#[cfg(test)] #[path = "x_tests.rs"] mod tests;` in `src/x.rs`: that file is `x::tests`.
    let mut renamed: Vec<(PathBuf, String)> = Vec::new();
    for s in &out {
        let dir = s.path.parent().unwrap_or(Path::new(""));
        let mut rest = s.text.as_str();
        while let Some(at) = rest.find("#[path = \"") {
            let after = &rest[at + 10..];
            let Some(end) = after.find('"') else { break };
            let file = dir.join(&after[..end]);
            let decl = after[end..].split(';').next().unwrap_or("");
            if let Some(name) = decl.split_whitespace().skip_while(|w| *w != "mod").nth(1) {
                renamed.push((file, format!("{}::{name}", s.module)));
            }
            rest = &after[end..];
        }
    }
    for s in &mut out {
        if let Some((_, m)) = renamed.iter().find(|(p, _)| *p == s.path) {
            s.module = m.clone();
            s.code.clear();
        }
        if test_files.contains(&s.module) {
            s.code.clear();
        }
    }
    out
}

/// Comments, string and char literals replaced by spaces (lengths kept).
fn strip(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                out.push(b' ');
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    out.extend_from_slice(b"  ");
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    out.extend_from_slice(b"  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(if b[i] == b'\n' { b'\n' } else { b' ' });
                    i += 1;
                }
            }
        } else if b[i] == b'r' && (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#')) {
            // Raw string r"…" / r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"')
                || (i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
            {
                out.push(b[i]);
                i += 1;
                continue;
            }
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            j += 1;
            while j < b.len() && !b[j..].starts_with(&close) {
                j += 1;
            }
            let end = (j + close.len()).min(b.len());
            out.extend(
                b[i..end]
                    .iter()
                    .map(|&c| if c == b'\n' { b'\n' } else { b' ' }),
            );
            i = end;
        } else if b[i] == b'"' {
            out.push(b' ');
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    out.push(b' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(if b[i] == b'\n' { b'\n' } else { b' ' });
                    i += 1;
                }
            }
            out.push(b' ');
            i += 1;
        } else if b[i] == b'\'' {
            // A char literal ('x', '\n', '\''), not a lifetime ('a).
            let lit = if b.get(i + 1) == Some(&b'\\') {
                b[i + 2..]
                    .iter()
                    .position(|&c| c == b'\'')
                    .map(|p| i + 2 + p + 1)
            } else if b.get(i + 2) == Some(&b'\'') {
                Some(i + 3)
            } else {
                // Multi-byte UTF-8 chars.
                let s = &text[i + 1..];
                s.chars().next().and_then(|c| {
                    let n = c.len_utf8();
                    (s.as_bytes().get(n) == Some(&b'\'')).then_some(i + 1 + n + 1)
                })
            };
            match lit {
                Some(end) => {
                    out.extend(std::iter::repeat_n(b' ', end - i));
                    i = end;
                }
                None => {
                    out.push(b'\'');
                    i += 1;
                }
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The code before the first `#[cfg(test)]` (test modules sit at the end of a file).
fn cut_tests(code: &str) -> String {
    match code.find("#[cfg(test)]") {
        Some(i) => code[..i].to_string(),
        None => code.to_string(),
    }
}

/// Every path the code names: inline `crate::a::b` / `super::x` paths and `use` trees, each as
/// the list of segments (with `crate` / `super` / `self` first, or a bare first segment).
fn paths_named(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let toks = tokens(code);
    let mut i = 0;
    while i < toks.len() {
        if toks[i] == "use" {
            let mut j = i + 1;
            let mut prefix = Vec::new();
            use_tree(&toks, &mut j, &mut prefix, &mut out);
            i = j;
            continue;
        }
        if (toks[i] == "crate" || toks[i] == "super")
            && toks.get(i + 1).map(String::as_str) == Some("::")
            && (i == 0 || toks[i - 1] != "::")
        {
            let mut path = vec![toks[i].clone()];
            let mut j = i + 1;
            while toks.get(j).map(String::as_str) == Some("::") {
                match toks.get(j + 1) {
                    Some(t) if is_ident(t) => {
                        path.push(t.clone());
                        j += 2;
                    }
                    _ => break,
                }
            }
            out.push(path);
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

fn is_ident(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

fn tokens(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let cs: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_alphanumeric() || c == '_' {
            let s = i;
            while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            out.push(cs[s..i].iter().collect());
        } else if c == ':' && cs.get(i + 1) == Some(&':') {
            out.push("::".into());
            i += 2;
        } else if c.is_whitespace() {
            i += 1;
        } else {
            out.push(c.to_string());
            i += 1;
        }
    }
    out
}

/// Parse one use tree at `toks[*j]` (after `use` or `{`), pushing every leaf path.
fn use_tree(toks: &[String], j: &mut usize, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let depth = prefix.len();
    loop {
        match toks.get(*j).map(String::as_str) {
            Some("{") => {
                *j += 1;
                loop {
                    let mut p = prefix.clone();
                    use_tree(toks, j, &mut p, out);
                    match toks.get(*j).map(String::as_str) {
                        Some(",") => {
                            *j += 1;
                            if toks.get(*j).map(String::as_str) == Some("}") {
                                *j += 1;
                                break;
                            }
                        }
                        Some("}") => {
                            *j += 1;
                            break;
                        }
                        _ => return,
                    }
                }
                prefix.truncate(depth);
                return;
            }
            Some("*") => {
                *j += 1;
                out.push(prefix.clone());
                return;
            }
            Some(t) if is_ident(t) => {
                prefix.push(t.to_string());
                *j += 1;
                match toks.get(*j).map(String::as_str) {
                    Some("::") => *j += 1,
                    Some("as") => {
                        *j += 2;
                        out.push(prefix.clone());
                        return;
                    }
                    _ => {
                        out.push(prefix.clone());
                        return;
                    }
                }
            }
            _ => return,
        }
    }
}

struct Graph {
    files: Vec<String>,
    edges: BTreeMap<String, BTreeSet<String>>,
}

fn graph(sources: &[Source], with_tests: bool) -> Graph {
    let modules: BTreeSet<String> = sources.iter().map(|s| s.module.clone()).collect();
    let children = |m: &str| -> BTreeSet<String> {
        modules
            .iter()
            .filter_map(|x| {
                let rest = if m == "crate" {
                    Some(x.as_str())
                } else {
                    x.strip_prefix(&format!("{m}::"))
                };
                rest.filter(|r| !r.contains("::") && !r.is_empty() && *x != "crate")
                    .map(String::from)
            })
            .collect()
    };
    // Re-exports: (module, name) -> the path it names.
    let mut reexports: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for s in sources {
        let code = if with_tests {
            &s.code_with_tests
        } else {
            &s.code
        };
        let toks = tokens(code);
        for (k, t) in toks.iter().enumerate() {
            if t == "use" && k > 0 && toks[k - 1] == "pub" {
                let mut j = k + 1;
                let mut found = Vec::new();
                use_tree(&toks, &mut j, &mut Vec::new(), &mut found);
                for p in found {
                    if let Some(last) = p.last() {
                        reexports.insert(
                            (s.module.clone(), last.clone()),
                            absolute(&s.module, &p, &children(&s.module)),
                        );
                    }
                }
            }
        }
    }
    let resolve = |segs: &[String]| -> Option<String> {
        let mut segs = segs.to_vec();
        for _ in 0..8 {
            // Longest prefix that is a module.
            let mut best = None;
            for n in (1..=segs.len()).rev() {
                let m = segs[..n].join("::");
                if modules.contains(&m) {
                    best = Some((m, n));
                    break;
                }
            }
            let (m, n) = best?;
            match segs
                .get(n)
                .and_then(|name| reexports.get(&(m.clone(), name.clone())))
            {
                Some(target) if target.join("::") != segs[..=n].join("::") => {
                    let mut next = target.clone();
                    next.extend(segs[n + 1..].iter().cloned());
                    segs = next;
                }
                _ => return Some(m),
            }
        }
        None
    };
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sources {
        let kids = children(&s.module);
        // Code in an inline test module (`mod tests { use super::*; }`) names paths from one
        // level deeper; a file that is a test module as a whole (code cleared) does not.
        let mut parts = vec![(s.module.clone(), s.code.clone())];
        if with_tests {
            let tests = &s.code_with_tests[s.code.len().min(s.code_with_tests.len())..];
            let inline = if s.code.is_empty() {
                s.module.clone()
            } else {
                format!("{}::tests", s.module)
            };
            parts.push((inline, tests.to_string()));
        }
        let set = edges.entry(s.module.clone()).or_default();
        for (from, code) in &parts {
            for p in paths_named(code) {
                let abs = absolute(from, &p, &kids);
                if abs.is_empty() {
                    continue;
                }
                if let Some(m) = resolve(&abs)
                    && m != s.module
                    && m != "crate"
                {
                    set.insert(m);
                }
            }
        }
    }
    Graph {
        files: modules.into_iter().collect(),
        edges,
    }
}

/// `p` as named in `module`, made absolute (without `crate`); empty when it names something
/// outside the crate (`std::…`, a dependency).
fn absolute(module: &str, p: &[String], children: &BTreeSet<String>) -> Vec<String> {
    let here: Vec<String> = if module == "crate" {
        Vec::new()
    } else {
        module.split("::").map(String::from).collect()
    };
    match p.first().map(String::as_str) {
        Some("crate") => p[1..].to_vec(),
        Some("super") => {
            let mut base = here.clone();
            let mut rest = p;
            while rest.first().map(String::as_str) == Some("super") {
                base.pop();
                rest = &rest[1..];
            }
            base.extend(rest.iter().cloned());
            base
        }
        Some("self") => {
            let mut base = here;
            base.extend(p[1..].iter().cloned());
            base
        }
        Some(first) if children.contains(first) => {
            let mut base = here;
            base.extend(p.iter().cloned());
            base
        }
        _ => Vec::new(),
    }
}

/// Strongly connected components (Tarjan), largest first.
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a Graph,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on: BTreeSet<String>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit(t: &mut T<'_>, v: &str) {
        t.index.insert(v.into(), t.next);
        t.low.insert(v.into(), t.next);
        t.next += 1;
        t.stack.push(v.into());
        t.on.insert(v.into());
        let next: Vec<String> =
            t.g.edges
                .get(v)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
        for w in next {
            if !t.index.contains_key(&w) {
                visit(t, &w);
                let l = t.low[&w].min(t.low[v]);
                t.low.insert(v.into(), l);
            } else if t.on.contains(&w) {
                let l = t.index[&w].min(t.low[v]);
                t.low.insert(v.into(), l);
            }
        }
        if t.low[v] == t.index[v] {
            let mut c = Vec::new();
            loop {
                let w = t.stack.pop().unwrap();
                t.on.remove(&w);
                let done = w == v;
                c.push(w);
                if done {
                    break;
                }
            }
            c.sort();
            t.out.push(c);
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for f in &g.files {
        if !t.index.contains_key(f) {
            visit(&mut t, f);
        }
    }
    let mut out = t.out;
    out.sort_by_key(|c| std::cmp::Reverse(c.len()));
    out
}

fn layer(module: &str) -> Option<u32> {
    let mut m = module.to_string();
    loop {
        if let Some((_, l)) = LAYERS.iter().find(|(n, _)| *n == m) {
            return Some(*l);
        }
        match m.rfind("::") {
            Some(i) => m.truncate(i),
            None => return None,
        }
    }
}

fn in_cli(module: &str) -> bool {
    module == "cli" || module.starts_with("cli::")
}

#[test]
fn outside_cli_no_import_cycle_of_more_than_two_files_and_no_edge_up_the_layers() {
    let src = sources();
    for with_tests in [false, true] {
        let mut g = graph(&src, with_tests);
        g.files.retain(|f| !in_cli(f) && f != "crate");
        g.edges.retain(|f, _| !in_cli(f) && f != "crate");
        let n_edges: usize = g.edges.values().map(BTreeSet::len).sum();
        let sccs = cycles(&g);
        let largest = sccs.first().map_or(0, Vec::len);
        let mut back = Vec::new();
        let mut unplaced = Vec::new();
        for (from, tos) in &g.edges {
            let Some(lf) = layer(from) else {
                unplaced.push(from.clone());
                continue;
            };
            for to in tos {
                match layer(to) {
                    Some(lt) if lt > lf => back.push(format!("{from} ({lf}) -> {to} ({lt})")),
                    Some(_) => {}
                    None => unplaced.push(to.clone()),
                }
            }
        }
        unplaced.sort();
        unplaced.dedup();
        let what = if with_tests {
            "with test modules"
        } else {
            "without test modules"
        };
        eprintln!(
            "layers ({what}): {} files outside cli/, {n_edges} import edges, largest cycle {largest} file(s), {} edge(s) up the layers",
            g.files.len(),
            back.len()
        );
        for c in sccs.iter().filter(|c| c.len() > 1) {
            eprintln!("  cycle of {}: {}", c.len(), c.join(", "));
        }
        for b in &back {
            eprintln!("  up: {b}");
        }
        assert!(
            unplaced.is_empty(),
            "modules with no layer in LAYERS: {unplaced:?}"
        );
        assert!(
            largest <= 2,
            "an import cycle of {largest} files ({what}): {:?}",
            sccs[0]
        );
        assert!(
            back.is_empty(),
            "imports up the layers ({what}):\n{}",
            back.join("\n")
        );
    }
}

#[test]
fn the_graph_reader_sees_imports_reexports_and_cycles() {
    // The checker itself must be able to fail: a made-up crate with a three-file cycle.
    let mk = |module: &str, text: &str| Source {
        module: module.into(),
        path: PathBuf::from(format!("{module}.rs")),
        code: strip(text),
        code_with_tests: strip(text),
        text: text.into(),
    };
    let src = vec![
        mk(
            "a",
            "use crate::b::{self, Thing};\n// crate::d::x in a comment\nfn f() { let s = \"crate::d\"; }",
        ),
        mk("b", "pub use inner::Thing;\nfn g() { crate::c::h(); }"),
        mk("b::inner", "pub struct Thing;"),
        mk("c", "use super::a as x;"),
        mk("d", ""),
    ];
    let g = graph(&src, false);
    let edges = |m: &str| g.edges[m].iter().cloned().collect::<Vec<_>>();
    assert_eq!(edges("a"), ["b", "b::inner"]);
    assert_eq!(edges("b"), ["b::inner", "c"]);
    assert_eq!(edges("c"), ["a"]);
    assert_eq!(cycles(&g)[0], ["a", "b", "c"]);
}

/// Print macros and the standard streams, outside `cli/` and tests.
#[test]
fn only_cli_prints() {
    let mut found = Vec::new();
    for s in sources() {
        if in_cli(&s.module) {
            continue;
        }
        for (n, line) in s.code.lines().enumerate() {
            for needle in [
                "println!",
                "print!",
                "eprintln!",
                "eprint!",
                "dbg!",
                "stdout()",
                "stderr()",
            ] {
                let hit = line.match_indices(needle).any(|(i, _)| {
                    i == 0
                        || !line.as_bytes()[i - 1].is_ascii_alphanumeric()
                            && line.as_bytes()[i - 1] != b'_'
                });
                if hit {
                    found.push(format!(
                        "src/{}:{}: {}",
                        s.path.display(),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "printing outside cli/:\n{}",
        found.join("\n")
    );
}

/// pbuild's own run path takes its platform table from the project (`config::Project::find`),
/// which falls back to the built-in one; everything else is handed that `&Table`. The only other
/// caller is the fuzz bodies, which have no project.
#[test]
fn the_platform_table_is_loaded_in_one_place() {
    let mut callers = Vec::new();
    for s in sources() {
        for (n, line) in s.code.lines().enumerate() {
            if line.contains("Table::embedded") {
                callers.push(format!("src/{}:{}", s.path.display(), n + 1));
            }
        }
    }
    eprintln!("Table::embedded outside tests: {callers:?}");
    let run_path: Vec<&String> = callers
        .iter()
        .filter(|c| !c.starts_with("src/fuzzing.rs:"))
        .collect();
    assert_eq!(run_path.len(), 1, "{callers:?}");
    assert!(run_path[0].starts_with("src/config/mod.rs:"), "{callers:?}");
}

#[test]
fn every_file_says_what_it_owns() {
    let missing: Vec<String> = sources()
        .into_iter()
        .filter(|s| !s.text.trim_start().starts_with("//!"))
        .map(|s| s.path.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a //! line at the top: {missing:?}"
    );
}
