//! Compiling a source once when its variants are equivalent (issue 14 item 1).
//!
//! Device OS compiles many sources once per module, each time with other `-D` values
//! (`MODULE_FUNCTION`, `MODULE_INDEX`, `MODULE_DEPENDENCY`, …): on 2.3.1 photon `modules`, 640
//! compiles of 378 sources. Most of those sources never look at the macros that differ. Two
//! compiles are *variants* when their commands are the same word for word except for `-D`/`-U`
//! options and the step's own output paths (object, depfile), in the same directory.
//!
//! The proof, made per build for each group of variants that runs: the first variant to run
//! (the leader) is also preprocessed with `-E -g0 -dU`. gcc's `-dU` writes a `#define`/`#undef`
//! line for every macro that is expanded or whose definedness is tested ("Like -dD except that
//! only macros that are expanded, or whose definedness is tested in preprocessor directives, are
//! output", gcc's manual, Developer Options), into the preprocessed text. A variant whose differing
//! macros all stay out of that text is equivalent to the leader:
//! - until the preprocessor first expands or tests one of them, both runs are the same step for
//!   step, and that first expansion or test would have been written as a `-dU` line;
//! - a macro the leader does not define but the variant does would, wherever it counted, be an
//!   identifier left in the leader's text, so any occurrence of the name as a word counts;
//! - so both runs give the compiler the same tokens, with the same line markers, and the
//!   object's code and data are the same.
//!
//! A variant whose differing macros do reach the preprocessor (`#if MODULE_FUNCTION != 2`, say)
//! may still come out the same: then both are preprocessed in full (`-E -g0`) and compared byte
//! for byte, and equal text is equivalent.
//!
//! One thing the preprocessed text cannot show is a header that `#define`s one of the macros
//! itself: gcc then warns "redefined" only in the variant whose value differs from the header's
//! (an error under `-Werror`). Every file the leader read is scanned for `#define` lines of the
//! differing names (dead code included); a group where one is found compiles every variant.
//!
//! What differs between the shared object and one gcc would make for the variant: with `-g3`
//! (Device OS's flags), the macro table in the debug info (`.debug_macro`, and the `.debug_str`
//! and `.debug_info` entries that point into it, also in their `.gnu.debuglto_` copies) holds
//! the leader's `-D` values. Those sections are not loaded: the `.bin` and `.dfu` files are the
//! same bytes, the `.elf` is not. `--exact-elf` (`exact_elf = true`) compiles every variant.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use crate::plan::{PlanStep, StepKind};

/// gcc options that make it write files the plan does not list, named after the object (dump
/// and stack-usage files, split DWARF, coverage notes): a copied object would come without them.
const WRITES_MORE: &[&str] = &[
    "-save-temps",
    "-fstack-usage",
    "-fcallgraph-info",
    "-fdump-",
    "-gsplit-dwarf",
    "-aux-info",
    "--coverage",
    "-fprofile-arcs",
    "-ftest-coverage",
    "-dumpbase",
    "-dumpdir",
];

/// `-D`/`-U` words: name → definition as written after the name (`None`: undefined by `-U`).
type Macros = BTreeMap<String, Option<String>>;

/// The command-line macros of `argv`, the last word for each name winning as in gcc.
fn macros(argv: &[String]) -> Macros {
    let mut m = Macros::new();
    let mut words = argv.iter();
    while let Some(w) = words.next() {
        let (define, text) = match w.as_str() {
            "-D" => (true, words.next().map(String::as_str).unwrap_or("")),
            "-U" => (false, words.next().map(String::as_str).unwrap_or("")),
            _ if w.starts_with("-D") => (true, &w[2..]),
            _ if w.starts_with("-U") => (false, &w[2..]),
            _ => continue,
        };
        let end = text.find(['=', '(']).unwrap_or(text.len());
        let (name, rest) = text.split_at(end);
        m.insert(name.to_string(), define.then(|| rest.to_string()));
    }
    m
}

/// The names whose definitions differ between two macro tables.
fn differing(a: &Macros, b: &Macros) -> BTreeSet<String> {
    a.keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

/// The command without its macros and its own outputs: what variants share.
fn rest(step: &PlanStep) -> Vec<&str> {
    let outputs: Vec<String> = step
        .outputs
        .iter()
        .map(|o| o.display().to_string())
        .collect();
    let mut out = Vec::new();
    let mut words = step.argv.iter();
    while let Some(w) = words.next() {
        if w == "-D" || w == "-U" {
            words.next();
        } else if !(w.starts_with("-D") || w.starts_with("-U") || outputs.contains(w)) {
            out.push(w.as_str());
        }
    }
    out
}

/// Whether `step` is a compile whose object may stand for another's.
fn shareable(step: &PlanStep) -> bool {
    step.kind == StepKind::Compile
        && !crate::plan::template::is_pch(step)
        && step.argv.iter().any(|w| w == "-c")
        && !step
            .argv
            .iter()
            .any(|w| WRITES_MORE.iter().any(|f| w.starts_with(f)))
}

/// What the variants of one group share: the directory, the command without its macros and
/// outputs, how many outputs, and which of them is the depfile.
type Shared<'s> = (&'s Path, Vec<&'s str>, usize, Option<usize>);

/// One group of variants and what is known of it in this run.
struct Group {
    members: Vec<usize>,
    /// The names whose definitions are not the same in all members.
    differ: BTreeSet<String>,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// The first member that ran.
    leader: Option<usize>,
    /// What the leader's preprocessing showed; `Some(None)` when it failed (every member then
    /// compiles itself).
    analysis: Option<Option<Analysis>>,
    /// The hash of the leader's whole preprocessed text, once a member needed it (None inside:
    /// gcc failed).
    leader_text: Option<Option<u128>>,
    /// The leader's compile ended: did it succeed?
    compiled: Option<bool>,
}

/// Of a group's differing names: those the leader's preprocessing used (a `-dU` line, or a word
/// of its text), and those a file it read `#define`s.
#[derive(Debug, Default, PartialEq, Eq)]
struct Analysis {
    used: BTreeSet<String>,
    defined: BTreeSet<String>,
}

/// What [`Variants::run`] did for a step.
pub struct Ran {
    pub result: Result<String, String>,
    /// The outputs are a copy of this step's (an equivalent variant compiled before).
    pub shared_from: Option<usize>,
}

impl Ran {
    /// The step ran its own command.
    fn own(result: Result<String, String>) -> Ran {
        Ran {
            result,
            shared_from: None,
        }
    }
}

/// The groups of variants of one plan, and the files scanned for `#define`s.
pub struct Variants<'a> {
    steps: &'a [PlanStep],
    group_of: HashMap<usize, usize>,
    groups: Vec<Group>,
    /// The names each file `#define`s (None: unreadable).
    defines: Mutex<HashMap<PathBuf, Option<Arc<HashSet<String>>>>>,
    /// Where the proof's time went, for `PBUILD_TIMINGS`.
    spent: Spent,
}

/// Nanoseconds of job-slot time the proof took, summed over the build's steps.
#[derive(Default)]
pub struct Spent {
    /// Leaders preprocessed with `-dU`, and `#define` scans.
    analysing: AtomicU64,
    /// Whole preprocessed texts compared.
    comparing: AtomicU64,
    /// Members waiting for their leader's analysis or compile.
    waiting: AtomicU64,
    /// Outputs copied.
    copying: AtomicU64,
}

impl Spent {
    fn add(counter: &AtomicU64, since: Instant) {
        counter.fetch_add(since.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }

    /// `analysing 12.3 s, comparing …`.
    pub fn summary(&self) -> String {
        let s = |c: &AtomicU64| c.load(Ordering::Relaxed) as f64 / 1e9;
        format!(
            "variants: analysing {:.1} s, comparing {:.1} s, waiting {:.1} s, copying {:.1} s",
            s(&self.analysing),
            s(&self.comparing),
            s(&self.waiting),
            s(&self.copying)
        )
    }
}

impl<'a> Variants<'a> {
    pub fn new(steps: &'a [PlanStep]) -> Variants<'a> {
        let mut by_rest: HashMap<Shared<'_>, Vec<usize>> = HashMap::new();
        for (i, step) in steps.iter().enumerate().filter(|(_, s)| shareable(s)) {
            let depfile_at = step
                .depfile
                .as_ref()
                .and_then(|d| step.outputs.iter().position(|o| o == d));
            by_rest
                .entry((&step.cwd, rest(step), step.outputs.len(), depfile_at))
                .or_default()
                .push(i);
        }
        let mut groups = Vec::new();
        let mut group_of = HashMap::new();
        for members in by_rest.into_values().filter(|m| m.len() > 1) {
            let tables: Vec<Macros> = members.iter().map(|&i| macros(&steps[i].argv)).collect();
            let differ = tables
                .iter()
                .skip(1)
                .flat_map(|t| differing(&tables[0], t))
                .collect();
            for &i in &members {
                group_of.insert(i, groups.len());
            }
            groups.push(Group {
                members,
                differ,
                state: Mutex::new(State::default()),
                changed: Condvar::new(),
            });
        }
        Variants {
            steps,
            group_of,
            groups,
            defines: Mutex::new(HashMap::new()),
            spent: Spent::default(),
        }
    }

    /// Where the proof's time went so far.
    pub fn spent(&self) -> &Spent {
        &self.spent
    }

    /// How many groups, and how many compiles they hold.
    pub fn counts(&self) -> (usize, usize) {
        (
            self.groups.len(),
            self.groups.iter().map(|g| g.members.len()).sum(),
        )
    }

    /// Run step `id` with `compile`, or give it the outputs of an equivalent variant that
    /// compiled before it in this run.
    pub fn run(&self, id: usize, compile: impl FnOnce() -> Result<String, String>) -> Ran {
        let Some(group) = self.group_of.get(&id).map(|&g| &self.groups[g]) else {
            return Ran::own(compile());
        };
        let st = lock(&group.state);
        let Some(leader) = st.leader else {
            return self.lead(group, id, st, compile);
        };
        let waited = Instant::now();
        let mut st = wait(group, st, |s| s.analysis.is_some());
        Spent::add(&self.spent.waiting, waited);
        let d = differing(
            &macros(&self.steps[leader].argv),
            &macros(&self.steps[id].argv),
        );
        let same = match &st.analysis {
            Some(Some(a)) if !d.is_disjoint(&a.defined) => false,
            Some(Some(a)) if d.is_disjoint(&a.used) => true,
            Some(Some(_)) => {
                // The macros reach the preprocessor: compare the whole texts.
                let comparing = Instant::now();
                let theirs = match st.leader_text {
                    Some(known) => known,
                    None => {
                        drop(st);
                        let h = preprocessed_hash(&self.steps[leader]);
                        st = lock(&group.state);
                        *st.leader_text.get_or_insert(h)
                    }
                };
                drop(st);
                let mine = preprocessed_hash(&self.steps[id]);
                Spent::add(&self.spent.comparing, comparing);
                st = lock(&group.state);
                theirs.is_some() && mine == theirs
            }
            _ => false,
        };
        if !same {
            drop(st);
            return Ran::own(compile());
        }
        let waited = Instant::now();
        let st = wait(group, st, |s| s.compiled.is_some());
        Spent::add(&self.spent.waiting, waited);
        let ok = st.compiled == Some(true);
        drop(st);
        let copying = Instant::now();
        let copied = ok && copy_outputs(&self.steps[leader], &self.steps[id]).is_ok();
        Spent::add(&self.spent.copying, copying);
        if copied {
            return Ran {
                result: Ok(String::new()),
                shared_from: Some(leader),
            };
        }
        Ran::own(compile())
    }

    /// Step `id` is the first of its group: analyse it, then compile it, telling the others.
    fn lead(
        &self,
        group: &Group,
        id: usize,
        mut st: MutexGuard<'_, State>,
        compile: impl FnOnce() -> Result<String, String>,
    ) -> Ran {
        st.leader = Some(id);
        drop(st);
        // Whatever happens below, waiting members are released.
        struct Release<'g>(&'g Group);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                tell(self.0, |st| {
                    st.analysis.get_or_insert(None);
                    st.compiled.get_or_insert(false);
                });
            }
        }
        let release = Release(group);
        let analysing = Instant::now();
        let analysis = if group.differ.is_empty() {
            Some(Analysis::default())
        } else {
            self.analyse(&self.steps[id], &group.differ)
        };
        Spent::add(&self.spent.analysing, analysing);
        tell(group, |st| st.analysis = Some(analysis));
        let result = compile();
        tell(group, |st| st.compiled = Some(result.is_ok()));
        drop(release);
        Ran::own(result)
    }

    /// Of `names`, those the preprocessing of `step` uses and those a file it read `#define`s.
    /// None when gcc fails to preprocess it.
    fn analyse(&self, step: &PlanStep, names: &BTreeSet<String>) -> Option<Analysis> {
        let text = preprocess(step, true)?;
        let mut a = Analysis {
            used: words_among(&text, names),
            defined: BTreeSet::new(),
        };
        for file in line_marker_files(&text) {
            let path = crate::paths::resolve(&step.cwd, &file);
            let defined = self.defined_in(&path)?;
            a.defined
                .extend(names.iter().filter(|n| defined.contains(*n)).cloned());
        }
        Some(a)
    }

    fn defined_in(&self, path: &Path) -> Option<Arc<HashSet<String>>> {
        if let Some(known) = lock(&self.defines).get(path) {
            return known.clone();
        }
        let found = std::fs::read(path).ok().map(|b| Arc::new(defines(&b)));
        lock(&self.defines).insert(path.to_path_buf(), found.clone());
        found
    }
}

/// Change the group's state and wake the members waiting on it.
fn tell(group: &Group, change: impl FnOnce(&mut State)) {
    change(&mut lock(&group.state));
    group.changed.notify_all();
}

/// Block until `until` holds for the group's state.
fn wait<'g>(
    group: &'g Group,
    mut st: MutexGuard<'g, State>,
    until: impl Fn(&State) -> bool,
) -> MutexGuard<'g, State> {
    while !until(&st) {
        st = group.changed.wait(st).unwrap_or_else(|p| p.into_inner());
    }
    st
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What gcc's preprocessor makes of `step`'s source (`-dU`: with the macros it used); None when
/// it fails.
fn preprocess(step: &PlanStep, list_used: bool) -> Option<Vec<u8>> {
    let argv = preprocess_argv(&step.argv, list_used)?;
    let out = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(&step.cwd)
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout)
}

fn preprocessed_hash(step: &PlanStep) -> Option<u128> {
    preprocess(step, false).map(|t| xxhash_rust::xxh3::xxh3_128(&t))
}

/// The compile's command turned into "preprocess to stdout, without debug macros (and with
/// `list_used`, listing the macros used)": `-c` → `-E`, no `-o` or dependency output, `-g0`
/// (and `-dU`) last.
fn preprocess_argv(argv: &[String], list_used: bool) -> Option<Vec<String>> {
    let mut out = Vec::with_capacity(argv.len() + 2);
    let mut words = argv.iter();
    let mut had_c = false;
    while let Some(w) = words.next() {
        match w.as_str() {
            "-c" => {
                had_c = true;
                out.push("-E".to_string());
            }
            "-o" | "-MF" | "-MT" | "-MQ" => {
                words.next();
            }
            "-MD" | "-MMD" | "-MP" => {}
            _ => out.push(w.clone()),
        }
    }
    out.push("-g0".into());
    if list_used {
        out.push("-dU".into());
    }
    had_c.then_some(out)
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Of `names`, those that occur in `text` as a whole identifier.
fn words_among(text: &[u8], names: &BTreeSet<String>) -> BTreeSet<String> {
    let wanted: HashSet<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
    let mut found = BTreeSet::new();
    let mut i = 0;
    while i < text.len() {
        if is_ident_byte(text[i]) {
            let start = i;
            while i < text.len() && is_ident_byte(text[i]) {
                i += 1;
            }
            let word = &text[start..i];
            if wanted.contains(word) {
                found.insert(String::from_utf8_lossy(word).into_owned());
            }
        } else {
            i += 1;
        }
    }
    found
}

/// The files named by the line markers (`# 12 "path" 1`) of preprocessed text, without gcc's
/// `<built-in>` and `<command-line>`.
fn line_marker_files(text: &[u8]) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut files = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let Some(rest) = line.strip_prefix(b"# ") else {
            continue;
        };
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let Some(quoted) = rest[digits..].strip_prefix(b" \"").filter(|_| digits > 0) else {
            continue;
        };
        let mut name = Vec::new();
        let mut bytes = quoted.iter();
        while let Some(&b) = bytes.next() {
            match b {
                b'"' => break,
                b'\\' => name.extend(bytes.next()),
                _ => name.push(b),
            }
        }
        if name.first() == Some(&b'<') {
            continue;
        }
        let name = String::from_utf8_lossy(&name).into_owned();
        if seen.insert(name.clone()) {
            files.push(name);
        }
    }
    files
}

/// The names a C or C++ file `#define`s anywhere (live or not), continued lines joined and
/// comments between `#`, `define` and the name skipped.
fn defines(bytes: &[u8]) -> HashSet<String> {
    let mut joined = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'\n') {
            i += 2;
        } else if bytes[i] == b'\\' && bytes[i + 1..].starts_with(b"\r\n") {
            i += 3;
        } else {
            joined.push(bytes[i]);
            i += 1;
        }
    }
    let mut names = HashSet::new();
    for line in joined.split(|&b| b == b'\n') {
        let mut rest = skip_space(line);
        let Some(r) = rest.strip_prefix(b"#") else {
            continue;
        };
        rest = skip_space(r);
        let Some(r) = rest.strip_prefix(b"define") else {
            continue;
        };
        rest = skip_space(r);
        let len = rest.iter().take_while(|&&b| is_ident_byte(b)).count();
        if len > 0 {
            names.insert(String::from_utf8_lossy(&rest[..len]).into_owned());
        }
    }
    names
}

/// `s` after blanks and `/* … */` comments (an unclosed one: to the end of the line).
fn skip_space(mut s: &[u8]) -> &[u8] {
    loop {
        let t = s.trim_ascii_start();
        match t.strip_prefix(b"/*") {
            Some(c) => match c.windows(2).position(|w| w == b"*/") {
                Some(end) => s = &c[end + 2..],
                None => return &[],
            },
            None => return t,
        }
    }
}

/// Give `to` the outputs of its equivalent `from`: the object's bytes as they are, the depfile
/// with `from`'s output paths replaced by `to`'s. All written to temp names first, then renamed.
fn copy_outputs(from: &PlanStep, to: &PlanStep) -> std::io::Result<()> {
    // gcc wrote the depfile while its outputs had their temp names (`work::task`): both names
    // of each of `from`'s outputs become `to`'s.
    let mut pairs: Vec<(String, String)> = from
        .outputs
        .iter()
        .zip(&to.outputs)
        .flat_map(|(f, t)| {
            let t = t.display().to_string();
            [
                (crate::fsutil::temp_path(f).display().to_string(), t.clone()),
                (f.display().to_string(), t),
            ]
        })
        .collect();
    pairs.sort_by_key(|(f, _)| std::cmp::Reverse(f.len()));
    let mut staged = Vec::new();
    let result = (|| {
        for (src, out) in from.outputs.iter().zip(&to.outputs) {
            let mut bytes = std::fs::read(src)?;
            if Some(out) == to.depfile.as_ref() {
                let mut text = String::from_utf8_lossy(&bytes).into_owned();
                for (f, t) in &pairs {
                    text = text.replace(f.as_str(), t);
                }
                bytes = text.into_bytes();
            }
            if let Some(dir) = out.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let tmp = crate::fsutil::temp_path(out);
            staged.push((tmp.clone(), out.clone()));
            std::fs::write(&tmp, &bytes)?;
        }
        for (tmp, out) in &staged {
            std::fs::rename(tmp, out)?;
        }
        Ok(())
    })();
    for (tmp, _) in &staged {
        let _ = std::fs::remove_file(tmp);
    }
    result
}

#[cfg(test)]
#[path = "variants_tests.rs"]
mod tests;
