//! `.ino` → `.cpp`: Particle's wiring preprocessor (npm `wiring-preprocessor`), done natively and
//! fixed where the reference produces code that does not compile. Bytes in, bytes out (a sketch
//! need not be UTF-8: a Latin-1 string literal reaches the C++ unchanged); it knows nothing of
//! files or builds.
//!
//! What it does, in order (particle-facts.md §9):
//! 1. `#pragma PARTICLE_NO_PREPROCESSOR` (or `SPARK_NO_PREPROCESSOR`): that line is commented out and
//!    nothing else changes (a `#line 1` still names the `.ino`).
//! 2. `#include "Particle.h"` goes on top unless the sketch includes `Particle.h`, `application.h`
//!    or `Arduino.h` itself (not in an `#if 0` block).
//! 3. Every function defined at file level (or in an `extern "C" {…}` block) gets a prototype, so
//!    it can be called above its definition. Where the reference drops prototypes, this one
//!    places them:
//!    - a prototype goes below the `#include`s before its function and below the declarations of
//!      the types and constants its signature names (struct, class, union, enum, typedef, `using`,
//!      variables), not above them;
//!    - templates keep their `template <…>` head; leading attributes (`__attribute__((…))`,
//!      `[[…]]`) and specifiers (`static`, `inline`, `constexpr`, `extern "C"`) are kept;
//!      functions returning function pointers (`void (*pick(int))(int)`) are found by their name;
//!    - default arguments, of the function and of its template head, move into the prototype and
//!      are blanked (same columns) in the definition, because C++ allows them once only and a
//!      caller above the definition needs them;
//!    - conditional compilation is honoured: code in `#if 0` (`#elif 0`, `#if false`) is never
//!      compiled, so it is ignored altogether; a function defined in an `#if`/`#ifdef`/`#else`
//!      branch gets its prototype under a copy of that branch's conditions (`#ifdef X` … `#else`
//!      … `#endif` around it), so alternative definitions each get theirs and a function that is
//!      not compiled gets none that counts. A prototype never lands inside a conditional block it
//!      does not belong to; when its function's branch names a macro, it goes below that macro's
//!      `#define`.
//!
//!    Members (`A::f`), operators, functions in namespaces, explicit specialisations and `auto`
//!    functions without a trailing return type get none: a file-level prototype would declare
//!    something else or not help. A function-like macro of the sketch used at file level
//!    (`MAKE(foo)`, no `;`) is a statement of its own, so it does not hide the function after it.
//! 4. `#line` directives keep every line of the sketch at its own number, so gcc's `file.ino:N:`
//!    points at the user's line N: one before each prototype naming its definition's line (an
//!    error in a prototype is reported there; the prototype keeps the definition's line breaks),
//!    one after the prototypes, and one after each `#elif`/`#else`/`#endif` of a conditional block
//!    that got prototypes (lines skipped by the compiler would otherwise shift what follows).
//!
//! Lexing: comments, string and character literals (raw strings and digit separators included) and
//! preprocessor lines are masked before the file-level statements are split on `;` and `{…}`, so
//! braces in comments or strings cannot confuse it; `template <…>` heads and `[[…]]` attributes
//! are skipped as units, so a `=` or `>` in them cannot either.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The generated C++ for the sketch `text`; `shown` is the path `#line` names (the `.ino`).
pub fn preprocess(text: &[u8], shown: &str) -> Vec<u8> {
    let quoted = quote_path(shown);
    let line_of = |n: usize| format!("#line {n} \"{quoted}\"\n").into_bytes();
    let mut out =
        format!("/* THIS IS A GENERATED FILE - DO NOT EDIT: pbuild made it from {shown} */\n")
            .into_bytes();
    let masks = Masks::of(text);
    if let Some(d) = masks
        .directives
        .iter()
        .find(|d| is_no_preprocessor(&d.text))
    {
        out.extend(line_of(1));
        out.extend_from_slice(&text[..d.start]);
        out.extend_from_slice(b"// ");
        out.extend_from_slice(&text[d.start..]);
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        return out;
    }
    if !masks.directives.iter().any(|d| includes_particle(&d.text)) {
        out.extend_from_slice(b"#include \"Particle.h\"\n");
    }
    let sketch = Sketch::parse(&masks);
    let plan = sketch.prototypes(&masks);
    let mut body = text.to_vec();
    for &(from, to) in &plan.blanks {
        for b in &mut body[from..to] {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
    }
    out.extend(line_of(1));
    for (i, l) in body.split_inclusive(|c| *c == b'\n').enumerate() {
        let n = i + 1;
        if let Some(protos) = plan.insertions.get(&n) {
            for p in protos {
                out.extend(line_of(p.line));
                if !p.conditions.is_empty() {
                    for c in &p.conditions {
                        out.extend_from_slice(c);
                        out.push(b'\n');
                    }
                    out.extend(line_of(p.line));
                }
                out.extend_from_slice(&p.text);
                out.push(b'\n');
                for _ in 0..p.levels {
                    out.extend_from_slice(b"#endif\n");
                }
            }
            out.extend(line_of(n));
        }
        out.extend_from_slice(l);
        if plan.resync.contains(&n) {
            if !out.ends_with(b"\n") {
                out.push(b'\n');
            }
            out.extend(line_of(n + 1));
        }
    }
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out
}

fn quote_path(p: &str) -> String {
    p.replace('\\', "\\\\").replace('"', "\\\"")
}

fn directive_words(text: &str) -> Vec<&str> {
    text.trim_start()
        .trim_start_matches('#')
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .filter(|w| !w.is_empty())
        .collect()
}

fn is_no_preprocessor(text: &str) -> bool {
    let w = directive_words(text);
    w.len() >= 2
        && w[0] == "pragma"
        && (w[1] == "PARTICLE_NO_PREPROCESSOR" || w[1] == "SPARK_NO_PREPROCESSOR")
}

fn includes_particle(text: &str) -> bool {
    let w = directive_words(text);
    w.len() >= 2
        && w[0] == "include"
        && ["Particle.h", "application.h", "Arduino.h"].contains(&w[1])
}

/// A preprocessor line (with its continuations), comments blanked.
#[derive(Debug)]
struct Directive {
    start: usize,
    end: usize,
    text: String,
}

/// A branch of an `#if` group: the code between one of the group's directives and the next.
/// Branch 0 is the file itself.
#[derive(Debug)]
struct Branch {
    parent: usize,
    group: usize,
    /// The group's directives up to the one that opens this branch (`#if A`, `#elif B`, `#else`):
    /// indices into `Masks::directives`.
    chain: Vec<usize>,
}

/// Two views of the sketch with the same byte offsets as the original:
/// `code` has comments and `#if 0` blocks blanked; `skel` also blanks literal contents and
/// preprocessor lines. `directives` are the live ones (none from an `#if 0` block).
struct Masks {
    orig: Vec<u8>,
    code: Vec<u8>,
    skel: Vec<u8>,
    directives: Vec<Directive>,
    line_starts: Vec<usize>,
    branches: Vec<Branch>,
    /// Each group's `#if`, `#elif`, `#else` and `#endif` (indices into `directives`).
    groups: Vec<Vec<usize>>,
    /// (offset, branch): the branch the code from that offset on is in, by offset.
    branch_from: Vec<(usize, usize)>,
}

impl Masks {
    fn of(b: &[u8]) -> Masks {
        let n = b.len();
        let mut code = b.to_vec();
        let mut skel = b.to_vec();
        let mut directives = Vec::new();
        let blank = |v: &mut Vec<u8>, from: usize, to: usize| {
            for x in &mut v[from..to] {
                if *x != b'\n' {
                    *x = b' ';
                }
            }
        };
        let mut i = 0;
        let mut line_start = true;
        let mut directive_start: Option<usize> = None;
        while i < n {
            let c = b[i];
            let next = b.get(i + 1).copied();
            if c == b'/' && next == Some(b'/') {
                let mut j = i;
                while j < n && b[j] != b'\n' {
                    if b[j] == b'\\' && b.get(j + 1) == Some(&b'\n') {
                        j += 1;
                    }
                    j += 1;
                }
                blank(&mut code, i, j);
                blank(&mut skel, i, j);
                i = j;
                continue;
            }
            if c == b'/' && next == Some(b'*') {
                let j = find(b, i + 2, b"*/").map(|k| k + 2).unwrap_or(n);
                blank(&mut code, i, j);
                blank(&mut skel, i, j);
                i = j;
                continue;
            }
            if c == b'\n' {
                let continued =
                    i > 0 && b[i - 1] == b'\\' || (i > 1 && b[i - 1] == b'\r' && b[i - 2] == b'\\');
                if let Some(s) = directive_start
                    && !continued
                {
                    let text = String::from_utf8_lossy(&code[s..i]).into_owned();
                    blank(&mut skel, s, i);
                    directives.push(Directive {
                        start: s,
                        end: i,
                        text,
                    });
                    directive_start = None;
                }
                line_start = true;
                i += 1;
                continue;
            }
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            if line_start && c == b'#' && directive_start.is_none() {
                directive_start = Some(i);
            }
            line_start = false;
            if c == b'"' {
                let raw = raw_string_delimiter(b, i);
                let end = match raw {
                    Some(delim) => {
                        let mut close = vec![b')'];
                        close.extend_from_slice(&delim);
                        close.push(b'"');
                        find(b, i + 1, &close).map(|k| k + close.len()).unwrap_or(n)
                    }
                    None => literal_end(b, i, b'"'),
                };
                blank(&mut skel, i + 1, end.saturating_sub(1).max(i + 1));
                i = end;
                continue;
            }
            if c == b'\'' && !is_digit_separator(b, i) {
                let end = literal_end(b, i, b'\'');
                blank(&mut skel, i + 1, end.saturating_sub(1).max(i + 1));
                i = end;
                continue;
            }
            i += 1;
        }
        if let Some(s) = directive_start {
            let text = String::from_utf8_lossy(&code[s..n]).into_owned();
            blank(&mut skel, s, n);
            directives.push(Directive {
                start: s,
                end: n,
                text,
            });
        }
        let mut line_starts = vec![0];
        line_starts.extend(
            b.iter()
                .enumerate()
                .filter(|(_, c)| **c == b'\n')
                .map(|(k, _)| k + 1),
        );
        let directives = drop_dead_blocks(&mut code, &mut skel, directives);
        let mut m = Masks {
            orig: b.to_vec(),
            code,
            skel,
            directives,
            line_starts,
            branches: vec![Branch {
                parent: 0,
                group: usize::MAX,
                chain: Vec::new(),
            }],
            groups: Vec::new(),
            branch_from: vec![(0, 0)],
        };
        m.conditionals();
        m
    }

    /// The `#if` groups and their branches, from the live directives.
    fn conditionals(&mut self) {
        // Open groups: (group, the branch we are in).
        let mut open: Vec<(usize, usize)> = Vec::new();
        for (k, d) in self.directives.iter().enumerate() {
            let kind = directive_words(&d.text).first().copied().unwrap_or("");
            let (group, chain, parent) = match kind {
                "if" | "ifdef" | "ifndef" => {
                    let parent = open.last().map_or(0, |o| o.1);
                    self.groups.push(Vec::new());
                    (self.groups.len() - 1, Vec::new(), parent)
                }
                "elif" | "elifdef" | "elifndef" | "else" => {
                    let Some(&(group, b)) = open.last() else {
                        continue;
                    };
                    open.pop();
                    let br = &self.branches[b];
                    (group, br.chain.clone(), br.parent)
                }
                "endif" => {
                    if let Some((group, b)) = open.pop() {
                        self.groups[group].push(k);
                        self.branch_from.push((d.end, self.branches[b].parent));
                    }
                    continue;
                }
                _ => continue,
            };
            self.groups[group].push(k);
            let mut chain = chain;
            chain.push(k);
            self.branches.push(Branch {
                parent,
                group,
                chain,
            });
            let b = self.branches.len() - 1;
            open.push((group, b));
            self.branch_from.push((d.end, b));
        }
    }

    /// The branch the code at `offset` is in.
    fn branch(&self, offset: usize) -> usize {
        let k = self.branch_from.partition_point(|(o, _)| *o <= offset);
        self.branch_from[k.saturating_sub(1)].1
    }

    /// `b` and the branches it is nested in, innermost first, down to (without) 0.
    fn nesting(&self, mut b: usize) -> Vec<usize> {
        let mut v = Vec::new();
        while b != 0 {
            v.push(b);
            b = self.branches[b].parent;
        }
        v
    }

    /// 1-based line of byte `offset`.
    fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset)
    }

    /// True when only whitespace precedes `offset` on its line in the original ( a line
    /// that starts inside a comment does not count).
    fn first_on_line(&self, offset: usize) -> bool {
        let start = self.line_starts[self.line(offset) - 1];
        self.orig[start..offset]
            .iter()
            .all(|c| c.is_ascii_whitespace())
    }

    fn code_text(&self, from: usize, to: usize) -> String {
        String::from_utf8_lossy(&self.code[from..to]).into_owned()
    }
}

/// `#if 0`, `#if false`, `#elif 0`: a branch the compiler never sees.
fn is_never(d: &Directive) -> bool {
    let w = directive_words(&d.text);
    matches!(w.first().copied(), Some("if" | "elif"))
        && w.len() == 2
        && matches!(w[1], "0" | "false")
}

/// Blanks the code of `#if 0` branches (in `code` and `skel`, newlines kept) and returns the
/// directives outside them.
fn drop_dead_blocks(
    code: &mut [u8],
    skel: &mut [u8],
    directives: Vec<Directive>,
) -> Vec<Directive> {
    // Per open group: where its current never-compiled branch began, and whether the group is
    // itself inside one.
    let mut open: Vec<(Option<usize>, bool)> = Vec::new();
    let mut dead = Vec::new();
    let mut live = Vec::new();
    for d in directives {
        let kind = directive_words(&d.text).first().copied().unwrap_or("");
        let inside_dead =
            |open: &[(Option<usize>, bool)]| open.iter().any(|g| g.0.is_some() || g.1);
        match kind {
            "if" | "ifdef" | "ifndef" => {
                let outer = inside_dead(&open);
                open.push((None, outer));
                if outer {
                    continue;
                }
                if is_never(&d) {
                    open.last_mut().unwrap().0 = Some(d.end);
                }
            }
            "elif" | "elifdef" | "elifndef" | "else" | "endif" => {
                let Some(&(from, outer)) = open.last() else {
                    live.push(d);
                    continue;
                };
                if outer {
                    if kind == "endif" {
                        open.pop();
                    }
                    continue;
                }
                if let Some(from) = from {
                    dead.push((from, d.start));
                }
                if kind == "endif" {
                    open.pop();
                } else {
                    open.last_mut().unwrap().0 = is_never(&d).then_some(d.end);
                }
            }
            _ if inside_dead(&open) => continue,
            _ => {}
        }
        live.push(d);
    }
    if let Some(from) = open.iter().find_map(|g| g.0) {
        dead.push((from, code.len()));
    }
    for (from, to) in dead {
        for k in from..to {
            if code[k] != b'\n' {
                code[k] = b' ';
                skel[k] = b' ';
            }
        }
    }
    live
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|k| k + from)
}

/// The end (one past the closing quote) of the literal opened at `i`.
fn literal_end(b: &[u8], i: usize, quote: u8) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'\n' => return j,
            c if c == quote => return j + 1,
            _ => j += 1,
        }
    }
    b.len()
}

/// `R"delim(` at `i` (the quote), with an optional `u8`/`u`/`U`/`L` prefix: the delimiter.
fn raw_string_delimiter(b: &[u8], i: usize) -> Option<Vec<u8>> {
    if i == 0 || b[i - 1] != b'R' {
        return None;
    }
    let mut k = i - 1;
    while k > 0 && (b[k - 1] == b'u' || b[k - 1] == b'U' || b[k - 1] == b'L' || b[k - 1] == b'8') {
        k -= 1;
    }
    if k > 0 && is_ident_byte(b[k - 1]) {
        return None;
    }
    let open = find(b, i + 1, b"(")?;
    let delim = &b[i + 1..open];
    (delim.len() <= 16 && delim.iter().all(|c| !c.is_ascii_whitespace() && *c != b')'))
        .then(|| delim.to_vec())
}

/// `1'000'000`: a quote inside a number is a C++14 digit separator, not a character literal.
fn is_digit_separator(b: &[u8], i: usize) -> bool {
    let mut k = i;
    while k > 0 && (b[k - 1].is_ascii_alphanumeric() || b[k - 1] == b'\'' || b[k - 1] == b'.') {
        k -= 1;
    }
    k < i && b[k].is_ascii_digit()
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// A prototype to insert.
#[derive(Debug)]
struct Proto {
    /// The sketch line of its function's head: the `#line` it goes under.
    line: usize,
    /// The directives that select its function's branch (`#ifdef X`, or `#if A` + `#else`), and
    /// how many `#endif`s close them.
    conditions: Vec<Vec<u8>>,
    levels: usize,
    /// The head as written (comments blanked, line breaks kept) and a `;`.
    text: Vec<u8>,
}

/// What `preprocess` inserts and blanks.
#[derive(Debug, Default)]
struct Plan {
    /// Prototypes by the 1-based sketch line they go above.
    insertions: BTreeMap<usize, Vec<Proto>>,
    /// Byte ranges (default arguments) to blank in the sketch.
    blanks: Vec<(usize, usize)>,
    /// Sketch lines (conditional directives) after which a `#line` puts the count right again.
    resync: BTreeSet<usize>,
}

/// A file-level function definition.
#[derive(Debug)]
struct Function {
    /// Where its head starts (its `template` if any), where the rest of the head starts, and
    /// where its `{` is.
    start: usize,
    after_template: usize,
    brace: usize,
    name_at: usize,
    block: usize,
    /// Its conditional branch; None when its head and body straddle branches.
    branch: Option<usize>,
}

/// A file-level statement start a prototype may be put before.
#[derive(Debug)]
struct Spot {
    offset: usize,
    block: usize,
    branch: usize,
}

#[derive(Debug, Default)]
struct Sketch {
    functions: Vec<Function>,
    /// Declarations ending in `;` at file level, whitespace-normalised, without the `;`.
    declarations: Vec<(usize, String)>,
    /// Names declared at file level (types, typedefs, variables, constants): name → the ends of
    /// their declarations. A prototype that names one goes below its declaration.
    names: HashMap<String, Vec<usize>>,
    spots: Vec<Spot>,
    /// The ends of the `#include`s.
    includes: Vec<usize>,
    /// Macros `#define`d or `#undef`ined: name → the ends of those directives.
    macros: HashMap<String, Vec<usize>>,
    /// Function-like macros the sketch defines: a use at file level is a statement of its own.
    function_macros: HashSet<String>,
    /// The linkage of each `extern "C" {` block by id (0: none, the file itself).
    linkages: Vec<String>,
}

const NOT_A_NAME: &[&str] = &[
    "__attribute__",
    "__declspec",
    "alignas",
    "decltype",
    "noexcept",
    "throw",
    "sizeof",
    "alignof",
    "__typeof__",
    "typeof",
];
const TYPE_KEYWORDS: &[&str] = &["struct", "class", "union", "enum"];
const NOT_FUNCTIONS: &[&str] = &[
    "int", "char", "void", "bool", "float", "double", "long", "short", "unsigned", "signed",
    "auto", "const", "volatile", "static", "inline", "if", "while", "for", "switch", "return",
    "operator",
];
/// Words of `#if` conditions that are not macros.
const CONDITION_WORDS: &[&str] = &[
    "if", "ifdef", "ifndef", "elif", "elifdef", "elifndef", "else", "defined",
];

impl Sketch {
    fn parse(m: &Masks) -> Sketch {
        let s = &m.skel;
        let n = s.len();
        let mut sk = Sketch {
            linkages: vec![String::new()],
            ..Default::default()
        };
        for d in &m.directives {
            let w = directive_words(&d.text);
            match w.first().copied() {
                Some("include") => sk.includes.push(d.end),
                Some("define" | "undef") if w.len() >= 2 => {
                    let name: String = w[1]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if w[0] == "define" && w[1][name.len()..].starts_with('(') {
                        sk.function_macros.insert(name.clone());
                    }
                    sk.macros.entry(name).or_default().push(d.end);
                }
                _ => {}
            }
        }
        // Open `extern "C" {` blocks (ids into `linkages`); statements inside are file level too.
        let mut blocks: Vec<usize> = Vec::new();
        let mut start: Option<usize> = None;
        let mut paren = 0i32;
        let mut i = 0;
        while i < n {
            let c = s[i];
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let block = blocks.last().copied().unwrap_or(0);
            let st = match start {
                Some(st) => st,
                None => {
                    sk.spots.push(Spot {
                        offset: i,
                        block,
                        branch: m.branch(i),
                    });
                    start = Some(i);
                    // `MAKE(foo)` with a macro of the sketch: a statement of its own.
                    let len = ident_len(s, i);
                    let name = String::from_utf8_lossy(&s[i..i + len]);
                    let open = skip_space(s, i + len);
                    if len > 0
                        && sk.function_macros.contains(name.as_ref())
                        && s.get(open) == Some(&b'(')
                    {
                        start = None;
                        i = matching(s, open, b'(', b')') + 1;
                        continue;
                    }
                    i
                }
            };
            match c {
                b'(' | b'[' => paren += 1,
                b')' | b']' => paren -= 1,
                b';' if paren <= 0 => {
                    sk.statement(m, st, i);
                    start = None;
                    paren = 0;
                }
                b'}' if paren <= 0 => {
                    // The close of an `extern "C" {` block.
                    blocks.pop();
                    start = None;
                }
                b'{' if paren <= 0 => {
                    let close = matching(s, i, b'{', b'}');
                    let head = m.code_text(st, i);
                    let words = words(&head);
                    if head.trim_start().starts_with("extern")
                        && words.len() <= 2
                        && head.contains('"')
                    {
                        sk.linkages.push(normalise(&head));
                        blocks.push(sk.linkages.len() - 1);
                        start = None;
                        i += 1;
                        continue;
                    }
                    if words.first().map(String::as_str) == Some("namespace") {
                        start = None;
                        i = close + 1;
                        continue;
                    }
                    let body = after_templates(s, st, i);
                    if let Some(mut f) = function_head(m, st, body, i, block) {
                        let b = m.branch(st);
                        f.branch = (m.branch(i) == b && m.branch(close) == b).then_some(b);
                        sk.functions.push(f);
                        start = None;
                    } else if let Some(name) = declared_type(&self::words(&m.code_text(body, i))) {
                        // A type: the statement goes on to its `;` (`struct A {…} a;`).
                        sk.declare(name, close + 1);
                    } else if !(is_initialiser(&s[body..i])
                        || words.first().is_some_and(|w| w == "typedef"))
                    {
                        // Something with a body that is not a function pbuild prototypes
                        // (an operator, a member, a macro): it ends at its `}`.
                        start = None;
                    }
                    i = close + 1;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        sk
    }

    fn statement(&mut self, m: &Masks, from: usize, semi: usize) {
        let body = after_templates(&m.skel, from, semi);
        let text = m.code_text(body, semi);
        let w = words(&text);
        let first = w.first().map(String::as_str);
        let name = if first == Some("typedef") {
            typedef_name(&text)
        } else if first == Some("using") && w.get(2).map(String::as_str) == Some("=") {
            Some(w[1].clone())
        } else if let Some(name) = declared_type(&w) {
            Some(name)
        } else {
            variable_name(&m.skel[body..semi])
        };
        if let Some(name) = name {
            self.declare(name, semi + 1);
        }
        self.declarations
            .push((from, normalise(&m.code_text(from, semi))));
    }

    fn declare(&mut self, name: String, end: usize) {
        self.names.entry(name).or_default().push(end);
    }

    /// Where each function's prototype goes, with what around it.
    fn prototypes(&self, m: &Masks) -> Plan {
        let mut plan = Plan::default();
        for f in &self.functions {
            let Some(branch) = f.branch else {
                continue;
            };
            let head = m.code_text(f.start, f.brace);
            let proto = normalise(&head);
            let name = m.code_text(f.name_at, f.name_at + ident_len(&m.code, f.name_at));
            if self
                .declarations
                .iter()
                .any(|(at, d)| *at < f.start && *d == proto)
            {
                continue;
            }
            let after_template = m.code_text(f.after_template, f.brace);
            if idents(&after_template).first().map(String::as_str) == Some("auto")
                && !after_template.contains("->")
            {
                continue;
            }
            let uses = idents(&head);
            let before = |ends: &Vec<usize>| ends.iter().copied().filter(|&e| e <= f.start).max();
            // The macros its branch's conditions name must be as they are at the function.
            let nesting = m.nesting(branch);
            let conditions: Vec<String> = nesting
                .iter()
                .flat_map(|b| &m.branches[*b].chain)
                .flat_map(|d| idents(&m.directives[*d].text))
                .filter(|w| !CONDITION_WORDS.contains(&w.as_str()))
                .collect();
            let needs = uses
                .iter()
                .filter(|u| **u != name)
                .filter_map(|u| self.names.get(u))
                .chain(conditions.iter().filter_map(|c| self.macros.get(c)))
                .filter_map(before)
                .chain(before(&self.includes))
                .max()
                .unwrap_or(0);
            let Some(spot) = self.spots.iter().find(|s| {
                s.offset >= needs
                    && s.offset <= f.start
                    && (s.block == f.block || s.block == 0)
                    && (s.branch == 0 || s.branch == branch || nesting.contains(&s.branch))
                    && m.first_on_line(s.offset)
            }) else {
                continue;
            };
            // The branches between the spot's and the function's: their conditions go around
            // the prototype, outermost first.
            let inner: Vec<usize> = nesting
                .iter()
                .copied()
                .take_while(|b| *b != spot.branch)
                .collect();
            let conditions: Vec<Vec<u8>> = inner
                .iter()
                .rev()
                .flat_map(|b| &m.branches[*b].chain)
                .map(|d| {
                    let d = &m.directives[*d];
                    m.code[d.start..trim_end(&m.code, d.start, d.end)].to_vec()
                })
                .collect();
            // The head as written, at its own column, with the linkage of its block when the
            // prototype goes outside that block.
            let line = m.line(f.start);
            let mut text = Vec::new();
            if spot.block != f.block {
                text.extend_from_slice(self.linkages[f.block].as_bytes());
                text.push(b' ');
            } else {
                text.resize(f.start - m.line_starts[line - 1], b' ');
            }
            text.extend_from_slice(&m.code[f.start..trim_end(&m.code, f.start, f.brace)]);
            text.push(b';');
            // The spot is above the definition's line: the prototype takes the default
            // arguments and the definition loses them (blanked, so columns stay).
            plan.blanks.extend(default_template_arguments(
                &m.skel,
                f.start,
                f.after_template,
            ));
            plan.blanks
                .extend(default_arguments(&m.skel, f.name_at, f.brace));
            // A prototype inside a conditional block: after each later directive of its groups,
            // the line count is put right again (a skipped branch does not count `#line`).
            for b in m.nesting(spot.branch) {
                for &d in &m.groups[m.branches[b].group] {
                    let d = &m.directives[d];
                    if d.start > spot.offset {
                        plan.resync.insert(m.line(d.end));
                    }
                }
            }
            plan.insertions
                .entry(m.line(spot.offset))
                .or_default()
                .push(Proto {
                    line,
                    levels: inner.len(),
                    conditions,
                    text,
                });
        }
        plan
    }
}

fn skip_space(s: &[u8], mut k: usize) -> usize {
    while k < s.len() && s[k].is_ascii_whitespace() {
        k += 1;
    }
    k
}

/// The bracket `open_c` at `open` and its match in `skel` (the end of the text when unbalanced).
fn matching(s: &[u8], open: usize, open_c: u8, close_c: u8) -> usize {
    let mut depth = 0;
    for (k, &c) in s.iter().enumerate().skip(open) {
        if c == open_c {
            depth += 1;
        } else if c == close_c {
            depth -= 1;
            if depth == 0 {
                return k;
            }
        }
    }
    s.len().saturating_sub(1).max(open)
}

/// `template <…>` heads from `from` (several for member templates): where the rest begins.
/// Angle brackets count outside parentheses only (`N = (3 > 2)`), as in C++.
fn after_templates(s: &[u8], from: usize, to: usize) -> usize {
    let mut k = skip_space(s, from);
    while s[k..to].starts_with(b"template") && !s.get(k + 8).is_some_and(|c| is_ident_byte(*c)) {
        let open = skip_space(s, k + 8);
        if s.get(open) != Some(&b'<') {
            break;
        }
        match template_close(s, open, to) {
            Some(close) => k = skip_space(s, close + 1),
            None => break,
        }
    }
    k.min(to)
}

/// The `>` that closes the template parameter list opened at `open`.
fn template_close(s: &[u8], open: usize, to: usize) -> Option<usize> {
    let (mut angle, mut paren) = (0i32, 0i32);
    for (k, &c) in s.iter().enumerate().take(to).skip(open) {
        match c {
            b'(' | b'[' | b'{' => paren += 1,
            b')' | b']' | b'}' => paren -= 1,
            b'<' if paren == 0 => angle += 1,
            b'>' if paren == 0 => {
                angle -= 1;
                if angle == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// Byte ranges `= value` of the default template arguments in the `template <…>` heads in
/// `[from, to)`.
fn default_template_arguments(s: &[u8], from: usize, to: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut k = skip_space(s, from);
    while k < to && s[k..to].starts_with(b"template") {
        let open = skip_space(s, k + 8);
        let Some(close) = template_close(s, open, to) else {
            break;
        };
        let (mut angle, mut paren) = (0i32, 0i32);
        let mut eq: Option<usize> = None;
        for j in open + 1..close {
            match s[j] {
                b'(' | b'[' | b'{' => paren += 1,
                b')' | b']' | b'}' => paren -= 1,
                b'<' if paren == 0 => angle += 1,
                b'>' if paren == 0 => angle -= 1,
                b'=' if paren == 0 && angle == 0 && eq.is_none() => eq = Some(j),
                b',' if paren == 0 && angle == 0 => {
                    if let Some(e) = eq.take() {
                        out.push((e, trim_end(s, e, j)));
                    }
                }
                _ => {}
            }
        }
        if let Some(e) = eq {
            out.push((e, trim_end(s, e, close)));
        }
        k = skip_space(s, close + 1);
    }
    out
}

fn ident_len(b: &[u8], at: usize) -> usize {
    b[at..].iter().take_while(|c| is_ident_byte(**c)).count()
}

/// The head `[start, brace)` (`body` after its `template <…>` heads) as a function definition:
/// its name is the identifier before the first parenthesis at depth 0 that is not an attribute
/// or a declarator in parentheses (`void (*pick(int))(int)`), with no `=` before it.
fn function_head(
    m: &Masks,
    start: usize,
    body: usize,
    brace: usize,
    block: usize,
) -> Option<Function> {
    let s = &m.skel;
    let head = m.code_text(body, brace);
    let w = words(&head);
    if w.first().is_some_and(|x| x == "typedef" || x == "using") {
        return None;
    }
    if w.iter().any(|x| x.starts_with("operator")) || is_initialiser(&s[body..brace]) {
        return None;
    }
    let (mut depth, mut angle, mut grouping) = (0i32, 0i32, 0i32);
    let mut k = body;
    while k < brace {
        match s[k] {
            // `[[nodiscard]]`, `[[gnu::always_inline]]`: skipped whole.
            b'[' if depth == 0 => {
                k = matching(s, k, b'[', b']') + 1;
                continue;
            }
            b'<' if depth == 0 => angle += 1,
            b'>' if depth == 0 && angle > 0 => angle -= 1,
            b'(' if depth == 0 && angle == 0 => {
                let mut e = k;
                while e > body && s[e - 1].is_ascii_whitespace() {
                    e -= 1;
                }
                let mut b0 = e;
                while b0 > body && is_ident_byte(s[b0 - 1]) {
                    b0 -= 1;
                }
                let name = String::from_utf8_lossy(&s[b0..e]).into_owned();
                if NOT_A_NAME.contains(&name.as_str()) {
                    // `__attribute__((…))`, `alignas(…)`, `decltype(…)`: skipped whole.
                    k = matching(s, k, b'(', b')') + 1;
                    continue;
                }
                let inside = s.get(skip_space(s, k + 1)).copied();
                if matches!(inside, Some(b'*' | b'&')) && e > body {
                    // `void (*pick(int))(int)`: the name is inside.
                    grouping += 1;
                    k += 1;
                    continue;
                }
                if name.is_empty() || name.as_bytes()[0].is_ascii_digit() || b0 == body {
                    // No return type: a macro or a constructor-like call.
                    return None;
                }
                let before = s[body..b0]
                    .iter()
                    .rev()
                    .find(|c| !c.is_ascii_whitespace())
                    .copied();
                let member = before == Some(b':') || before == Some(b'~');
                if member
                    || NOT_FUNCTIONS.contains(&name.as_str())
                    || !params_close_head(s, k, brace)
                {
                    return None;
                }
                return Some(Function {
                    start,
                    after_template: body,
                    brace,
                    name_at: b0,
                    block,
                    branch: None,
                });
            }
            b'(' => depth += 1,
            b')' if depth == 0 && grouping > 0 => grouping -= 1,
            b')' => depth -= 1,
            _ => {}
        }
        k += 1;
    }
    None
}

/// An `=` at depth 0 that is not part of `==`, `!=`, `<=`, `>=`: `int a[] = {…}`, a lambda.
fn is_initialiser(s: &[u8]) -> bool {
    let mut depth = 0i32;
    for (k, &c) in s.iter().enumerate() {
        match c {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            b'=' if depth == 0 => {
                let prev = s[..k].iter().rev().find(|c| !c.is_ascii_whitespace());
                if !matches!(prev, Some(b'=' | b'!' | b'<' | b'>')) && s.get(k + 1) != Some(&b'=') {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// After the parameter list opened at `open`, only qualifiers may follow up to the `{`
/// (`const`, `noexcept(…)`, `override`, `-> T`, attributes), never a `:` (constructor initialisers).
fn params_close_head(s: &[u8], open: usize, brace: usize) -> bool {
    let mut depth = 0;
    let mut k = open;
    while k < brace {
        match s[k] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
        k += 1;
    }
    if depth != 0 {
        return false;
    }
    let rest = String::from_utf8_lossy(&s[k + 1..brace]).into_owned();
    let rest = rest.trim();
    !rest.starts_with(':') || rest.starts_with("::")
}

/// Byte ranges `= value` of the default arguments in the parameter list after `name_at`.
fn default_arguments(s: &[u8], name_at: usize, brace: usize) -> Vec<(usize, usize)> {
    let Some(open) = s[name_at..brace].iter().position(|c| *c == b'(') else {
        return Vec::new();
    };
    let open = name_at + open;
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut eq: Option<usize> = None;
    for k in open..brace {
        let c = s[k];
        match c {
            b'(' | b'[' | b'{' => depth += 1,
            b'<' if depth >= 1 && eq.is_none() => depth += 1,
            b'>' if depth >= 2 && eq.is_none() => depth -= 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    if let Some(e) = eq.take() {
                        out.push((e, trim_end(s, e, k)));
                    }
                    break;
                }
            }
            b'=' if depth == 1 && eq.is_none() => {
                let prev = s[k - 1];
                let next = s.get(k + 1).copied();
                if !matches!(prev, b'=' | b'!' | b'<' | b'>') && next != Some(b'=') {
                    eq = Some(k);
                }
            }
            b',' if depth == 1 => {
                if let Some(e) = eq.take() {
                    out.push((e, trim_end(s, e, k)));
                }
            }
            _ => {}
        }
    }
    out
}

fn trim_end(s: &[u8], from: usize, mut to: usize) -> usize {
    while to > from && s[to - 1].is_ascii_whitespace() {
        to -= 1;
    }
    to
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

fn idents(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty() && !w.as_bytes()[0].is_ascii_digit())
        .map(String::from)
        .collect()
}

fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `struct A …`, `template <…> class A`, `enum class E : T`: the declared name.
fn declared_type(words: &[String]) -> Option<String> {
    let joined = words.join(" ");
    let ids = idents(&joined);
    let k = ids
        .iter()
        .position(|w| TYPE_KEYWORDS.contains(&w.as_str()))?;
    let rest = ids[k + 1..].iter().filter(|w| {
        !matches!(
            w.as_str(),
            "class" | "struct" | "__attribute__" | "packed" | "aligned" | "final" | "alignas"
        )
    });
    // `typedef struct {…} Name;` has no name here; typedef_name finds it.
    if words.first().is_some_and(|w| w == "typedef") {
        return None;
    }
    rest.into_iter().next().cloned()
}

/// `const int led = D7;`, `Servo s;`, `int a[4] = {…};`: the name before `=`, `[`, `(`, `{` or the end.
fn variable_name(s: &[u8]) -> Option<String> {
    let end = s
        .iter()
        .position(|c| matches!(c, b'=' | b'[' | b'(' | b'{' | b','))
        .unwrap_or(s.len());
    idents(&String::from_utf8_lossy(&s[..end]))
        .into_iter()
        .last()
}

/// `typedef … Name;` / `typedef void (*Name)(int);`
fn typedef_name(text: &str) -> Option<String> {
    if let Some(p) = text.find("(*") {
        return idents(&text[p..]).into_iter().next();
    }
    let body = match (text.find('{'), text.rfind('}')) {
        (Some(_), Some(close)) => &text[close..],
        _ => text,
    };
    let before_array = body.split('[').next().unwrap_or(body);
    idents(before_array).into_iter().last()
}

#[cfg(test)]
#[path = "ino_tests.rs"]
mod tests;
