//! `.ino` → `.cpp`: Particle's wiring preprocessor (npm `wiring-preprocessor`), done natively and
//! fixed where the reference produces code that does not compile. Pure text in, text out; it knows
//! nothing of files or builds.
//!
//! What it does, in order (particle-facts.md §9):
//! 1. `#pragma PARTICLE_NO_PREPROCESSOR` (or `SPARK_NO_PREPROCESSOR`): that line is commented out and
//!    nothing else changes (a `#line 1` still names the `.ino`).
//! 2. `#include "Particle.h"` goes on top unless the sketch includes `Particle.h`, `application.h`
//!    or `Arduino.h` itself.
//! 3. Every function defined at file level gets a prototype, so it can be called above its
//!    definition. Where the reference drops prototypes, this one places them:
//!    - a signature that names a type declared in the sketch (struct, class, union, enum, typedef,
//!      `using`) gets its prototype right after that declaration, not above it;
//!    - templates keep their `template <…>` head;
//!    - default arguments move into the prototype and are blanked (same columns) in the definition,
//!      because C++ allows them once only and a caller above the definition needs them.
//!
//!    Members (`A::f`), operators, functions in namespaces and `auto` functions without a trailing
//!    return type get none: a file-level prototype would declare something else or not help.
//! 4. `#line` directives around everything inserted keep every line of the sketch at its own
//!    number, so gcc's `file.ino:N:` points at the user's line N.
//!
//! Lexing: comments, string and character literals (raw strings and digit separators included) and
//! preprocessor lines are masked before the file-level statements are split on `;` and `{…}`, so
//! braces in comments or strings cannot confuse it.

use std::collections::{BTreeMap, HashMap};

/// The generated C++ for the sketch `text`; `shown` is the path `#line` names (the `.ino`).
pub fn preprocess(text: &str, shown: &str) -> String {
    let quoted = quote_path(shown);
    let line_of = |n: usize| format!("#line {n} \"{quoted}\"\n");
    let banner =
        format!("/* THIS IS A GENERATED FILE - DO NOT EDIT: pbuild made it from {shown} */\n");
    let masks = Masks::of(text);
    if let Some(d) = masks
        .directives
        .iter()
        .find(|d| is_no_preprocessor(&d.text))
    {
        let mut out = banner + &line_of(1);
        out.push_str(&text[..d.start]);
        out.push_str("// ");
        out.push_str(&text[d.start..]);
        if !out.ends_with('\n') {
            out.push('\n');
        }
        return out;
    }
    let mut out = banner;
    if !masks.directives.iter().any(|d| includes_particle(&d.text)) {
        out.push_str("#include \"Particle.h\"\n");
    }
    let sketch = Sketch::parse(&masks);
    let (insertions, blanks) = sketch.prototypes(&masks);
    let mut body = text.as_bytes().to_vec();
    for (from, to) in blanks {
        for b in &mut body[from..to] {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
    }
    // Blanked ranges start and end at ASCII bytes, so the text stays valid UTF-8.
    let body = String::from_utf8_lossy(&body);
    out.push_str(&line_of(1));
    for (i, l) in body.split_inclusive('\n').enumerate() {
        if let Some(protos) = insertions.get(&(i + 1)) {
            for p in protos {
                out.push_str(p);
                out.push('\n');
            }
            out.push_str(&line_of(i + 1));
        }
        out.push_str(l);
    }
    if !out.ends_with('\n') {
        out.push('\n');
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

/// Two views of the sketch with the same byte offsets as the original:
/// `code` has comments blanked; `skel` also blanks literal contents and preprocessor lines.
struct Masks {
    orig: Vec<u8>,
    code: Vec<u8>,
    skel: Vec<u8>,
    directives: Vec<Directive>,
    line_starts: Vec<usize>,
}

impl Masks {
    fn of(text: &str) -> Masks {
        let b = text.as_bytes();
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
        Masks {
            orig: b.to_vec(),
            code,
            skel,
            directives,
            line_starts,
        }
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

/// Prototypes by the 1-based sketch line they go above.
type Insertions = BTreeMap<usize, Vec<String>>;

/// A file-level function definition.
#[derive(Debug)]
struct Function {
    /// Where its head starts and where its `{` is.
    start: usize,
    brace: usize,
    name_at: usize,
    block: usize,
}

/// A file-level statement start a prototype may be put before.
#[derive(Debug)]
struct Spot {
    offset: usize,
    block: usize,
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
    includes: Vec<usize>,
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

impl Sketch {
    fn parse(m: &Masks) -> Sketch {
        let s = &m.skel;
        let n = s.len();
        let mut sk = Sketch {
            includes: m
                .directives
                .iter()
                .filter(|d| directive_words(&d.text).first() == Some(&"include"))
                .map(|d| d.end)
                .collect(),
            ..Default::default()
        };
        // Open `extern "C" {` blocks: (id); statements inside are file level too.
        let mut blocks: Vec<usize> = Vec::new();
        let mut next_block = 1;
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
            let st = *start.get_or_insert_with(|| {
                sk.spots.push(Spot { offset: i, block });
                i
            });
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
                    let close = matching_brace(s, i);
                    let head = m.code_text(st, i);
                    let words = words(&head);
                    if head.trim_start().starts_with("extern")
                        && words.len() <= 2
                        && head.contains('"')
                    {
                        blocks.push(next_block);
                        next_block += 1;
                        start = None;
                        i += 1;
                        continue;
                    }
                    if words.first().map(String::as_str) == Some("namespace") {
                        start = None;
                        i = close + 1;
                        continue;
                    }
                    if let Some(f) = function_head(m, st, i, block) {
                        sk.functions.push(f);
                        start = None;
                    } else if let Some(name) = declared_type(&words) {
                        // A type: the statement goes on to its `;` (`struct A {…} a;`).
                        sk.declare(name, close + 1);
                    } else if !(is_initialiser(&m.skel[st..i])
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
        let text = m.code_text(from, semi);
        let w = words(&text);
        let first = w.first().map(String::as_str);
        let name = if first == Some("typedef") {
            typedef_name(&text)
        } else if first == Some("using") && w.get(2).map(String::as_str) == Some("=") {
            Some(w[1].clone())
        } else if let Some(name) = declared_type(&w) {
            Some(name)
        } else {
            variable_name(&m.skel[from..semi])
        };
        if let Some(name) = name {
            self.declare(name, semi + 1);
        }
        self.declarations.push((from, normalise(&text)));
    }

    fn declare(&mut self, name: String, end: usize) {
        self.names.entry(name).or_default().push(end);
    }

    /// Prototypes by the 1-based line they go above, and the byte ranges of default arguments to
    /// blank in their definitions.
    fn prototypes(&self, m: &Masks) -> (Insertions, Vec<(usize, usize)>) {
        let mut out: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        let mut blanks = Vec::new();
        let Some(first) = self.functions.first() else {
            return (out, blanks);
        };
        // Prototypes go below the includes that come before the first function.
        let after_includes = self
            .includes
            .iter()
            .copied()
            .filter(|&e| e < first.start)
            .max()
            .unwrap_or(0);
        for f in &self.functions {
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
            let uses = idents(&head);
            if uses.first().map(String::as_str) == Some("auto") && !head.contains("->") {
                continue;
            }
            let needs = uses
                .iter()
                .filter(|u| **u != name)
                .filter_map(|u| self.names.get(u))
                .filter_map(|ends| ends.iter().copied().filter(|&e| e <= f.start).max())
                .chain([after_includes])
                .max()
                .unwrap_or(0);
            let Some(spot) = self.spots.iter().find(|s| {
                s.offset >= needs
                    && s.offset <= f.start
                    && s.block == f.block
                    && m.first_on_line(s.offset)
            }) else {
                continue;
            };
            // The spot is above the definition's line: the prototype takes the default
            // arguments and the definition loses them (blanked, so columns stay).
            blanks.extend(default_arguments(&m.skel, f.name_at, f.brace));
            out.entry(m.line(spot.offset))
                .or_default()
                .push(format!("{};", proto));
        }
        (out, blanks)
    }
}

/// The `{` at `open` and its match in `skel` (the end of the text when unbalanced).
fn matching_brace(s: &[u8], open: usize) -> usize {
    let mut depth = 0;
    for (k, &c) in s.iter().enumerate().skip(open) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    s.len().saturating_sub(1).max(open)
}

fn ident_len(b: &[u8], at: usize) -> usize {
    b[at..].iter().take_while(|c| is_ident_byte(**c)).count()
}

/// The head `[start, brace)` as a function definition: its name is the identifier before the
/// first parenthesis at depth 0 that is not an attribute, with no `=` before it (an initialiser).
fn function_head(m: &Masks, start: usize, brace: usize, block: usize) -> Option<Function> {
    let s = &m.skel;
    let head = m.code_text(start, brace);
    let w = words(&head);
    if w.first().is_some_and(|x| x == "typedef" || x == "using") {
        return None;
    }
    if w.iter().any(|x| x.starts_with("operator")) || is_initialiser(&s[start..brace]) {
        return None;
    }
    let mut depth = 0i32;
    let mut angle = 0i32;
    for k in start..brace {
        match s[k] {
            b'<' if depth == 0 => angle += 1,
            b'>' if depth == 0 && angle > 0 => angle -= 1,
            b'(' => {
                if depth == 0 && angle == 0 {
                    let mut e = k;
                    while e > start && s[e - 1].is_ascii_whitespace() {
                        e -= 1;
                    }
                    let mut b0 = e;
                    while b0 > start && is_ident_byte(s[b0 - 1]) {
                        b0 -= 1;
                    }
                    let name = String::from_utf8_lossy(&s[b0..e]).into_owned();
                    if name.is_empty() || name.as_bytes()[0].is_ascii_digit() || b0 == start {
                        // No return type: a macro or a constructor-like call.
                        return None;
                    }
                    if !NOT_A_NAME.contains(&name.as_str()) {
                        let before = s[start..b0]
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
                            brace,
                            name_at: b0,
                            block,
                        });
                    }
                }
                depth += 1;
            }
            b')' => depth -= 1,
            _ => {}
        }
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
