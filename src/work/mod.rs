//! The engine, as in n2: running a graph — deciding what is dirty (with a reason for every
//! decision), running steps in parallel, recording what ran. Knows steps and files only: no
//! config, plans, make, content cache or CLI. Steps come as a [`Graph`]; how one is executed is
//! behind [`Runner`], and what the user sees behind [`Reporter`].

pub mod db;
pub mod depfile;
#[cfg(test)]
mod engine_tests;
pub mod graph;
pub mod jobserver;
pub mod task;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};

use crate::error::{Error, Result};
use crate::fsutil::{MISSING, Stamp};
use db::{Db, Record, UNKNOWN};
pub use graph::{FileId, Graph, Step, StepId, StepSpec};

/// Why a step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    New,
    CommandChanged,
    ToolchainChanged,
    InputChanged(PathBuf),
    InputMissing(PathBuf),
    OutputMissing(PathBuf),
    OutputModified(PathBuf),
    DependencyRebuilt(String),
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::New => write!(f, "new (never built here)"),
            Reason::CommandChanged => write!(f, "command line changed"),
            Reason::ToolchainChanged => write!(f, "toolchain changed"),
            Reason::InputChanged(p) => write!(f, "input changed: {}", p.display()),
            Reason::InputMissing(p) => write!(f, "input missing: {}", p.display()),
            Reason::OutputMissing(p) => write!(f, "output missing: {}", p.display()),
            Reason::OutputModified(p) => {
                write!(f, "output modified outside pbuild: {}", p.display())
            }
            Reason::DependencyRebuilt(label) => write!(f, "input rebuilt by `{label}`"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct StepResult {
    pub ok: bool,
    /// What the tool printed (stderr then stdout), or pbuild's own description of a failure.
    pub output: String,
    /// The outputs were restored (from a cache) without running the tool.
    pub cached: bool,
    /// The outputs are those of this equivalent step (a variant of the same compile) that ran
    /// before, copied without running the tool: its label.
    pub shared_from: Option<String>,
}

impl StepResult {
    /// The tool ran and succeeded, printing `output`.
    pub fn done(output: String) -> StepResult {
        StepResult {
            ok: true,
            output,
            cached: false,
            shared_from: None,
        }
    }

    /// The step failed; `output` says how.
    pub fn failed(output: String) -> StepResult {
        StepResult {
            ok: false,
            ..StepResult::done(output)
        }
    }
}

/// Executes one step (`id` is its index in the graph, so a runner can keep more about each step
/// than the engine knows). The real one spawns the tool or does the step natively.
pub trait Runner: Sync {
    /// Run the step; `slots` is the jobserver through which idle job slots are lent to it (see
    /// [`Runner::spreads`]), None for most steps.
    fn run(&self, id: StepId, step: &Step, slots: Option<&jobserver::Jobserver>) -> StepResult;

    /// Whether the step can put idle job slots to work (a make jobserver client, such as gcc's
    /// LTO link with its LTRANS jobs). Such a step gets a jobserver (at `-j2` and up). It is lent
    /// the idle slots when it starts with no other step ready, and every slot that becomes idle
    /// while it runs alone with none ready (then no step can become ready before it ends). A lent
    /// slot is the step's until it ends, so at most `jobs` slots are ever busy.
    fn spreads(&self, _id: StepId, _step: &Step) -> bool {
        false
    }
}

/// What the user sees while a build runs.
pub trait Reporter {
    fn planned(&mut self, to_run: usize, total: usize);
    fn started(&mut self, step: &Step, reason: &Reason, started: usize, to_run: usize);
    fn finished(&mut self, step: &Step, result: &StepResult);
}

#[derive(Debug, Clone)]
pub struct Options {
    pub jobs: usize,
    /// Keep going after a failure (`make -k`): steps that do not depend on a failed one still run.
    pub keep_going: bool,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub ran: usize,
    /// Of `ran`, the steps whose outputs came from the content cache.
    pub cached: usize,
    /// Of `ran`, the steps whose outputs were copied from an equivalent step of this run.
    pub shared: usize,
    pub total: usize,
    pub failed: Vec<String>,
}

/// The key a step is remembered by in the db: its first output.
pub fn step_key(graph: &Graph, step: &Step) -> String {
    graph.key_of(step).display().to_string()
}

pub fn command_hash(step: &Step) -> u64 {
    let mut text = format!("{}\0", step.cwd.display());
    for w in &step.argv {
        text.push_str(w);
        text.push('\0');
    }
    text.push_str(&step.salt);
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

/// Identity of the programs steps run (`tool::identity`, cached per name).
#[derive(Default)]
pub struct ToolIds {
    cache: HashMap<String, u64>,
}

impl ToolIds {
    pub fn of(&mut self, step: &Step) -> u64 {
        if step.argv.is_empty() {
            // Steps without a command are done by this process: it is the tool.
            return xxhash_rust::xxh3::xxh3_64(crate::tool::own_identity().as_bytes());
        }
        let mut h = 0u64;
        for w in ToolIds::names(step) {
            h ^= self.tool(w);
        }
        h
    }

    /// The programs a step runs, as named on its command line (a launcher, then the tool).
    pub fn names(step: &Step) -> impl Iterator<Item = &str> {
        step.argv
            .iter()
            .take(2)
            .take_while(|w| !w.starts_with('-'))
            .map(String::as_str)
    }

    /// The identity of the program `name` now (found on PATH as a step would find it).
    pub fn identity(name: &str) -> u64 {
        xxhash_rust::xxh3::xxh3_64(crate::tool::identity(name).as_bytes())
    }

    fn tool(&mut self, name: &str) -> u64 {
        if let Some(&h) = self.cache.get(name) {
            return h;
        }
        let h = ToolIds::identity(name);
        self.cache.insert(name.to_string(), h);
        h
    }
}

/// What a graph whose every step is up to date expects of the world: the stamp of every file
/// `decide` compares (each step's outputs and recorded inputs, as the db holds them) and the
/// programs the steps run. Checking these again later (stat calls only) answers whether
/// `decide` would still find nothing to do, without loading the graph or the db. `None` when
/// some step is not up to date now, or its record does not name all its files.
pub struct Expectations {
    pub files: Vec<(PathBuf, Stamp)>,
    /// Each program with the identity its steps were judged by (`ToolIds::identity`).
    pub tools: Vec<(String, u64)>,
}

pub fn expectations(graph: &Graph, db: &Db, tools: &mut ToolIds) -> Option<Expectations> {
    if decide(graph, db, tools).iter().any(Option::is_some) {
        return None;
    }
    let mut files: HashMap<&Path, Stamp> = HashMap::new();
    let mut names: BTreeSet<String> = BTreeSet::new();
    for step in &graph.steps {
        let rec = db.get(&step_key(graph, step))?;
        names.extend(ToolIds::names(step).map(String::from));
        for (p, s) in rec.inputs.iter().chain(&rec.outputs) {
            if s.mtime_ns == UNKNOWN || *files.entry(p).or_insert(*s) != *s {
                return None;
            }
        }
    }
    let mut files: Vec<(PathBuf, Stamp)> = files
        .into_iter()
        .map(|(p, s)| (p.to_path_buf(), s))
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Some(Expectations {
        files,
        tools: names
            .into_iter()
            .map(|n| {
                let id = tools.tool(&n);
                (n, id)
            })
            .collect(),
    })
}

/// For every step, why it must run (or `None` if it is up to date). Steps are in dependency order.
pub fn decide(graph: &Graph, db: &Db, tools: &mut ToolIds) -> Vec<Option<Reason>> {
    let mut stamps: HashMap<PathBuf, Stamp> = HashMap::new();
    let mut stat = |p: &Path| {
        *stamps
            .entry(p.to_path_buf())
            .or_insert_with(|| Stamp::of(p))
    };
    let mut reasons: Vec<Option<Reason>> = Vec::with_capacity(graph.steps.len());
    for step in &graph.steps {
        let own = own_reason(graph, step, db, tools, &mut stat);
        let reason = own.or_else(|| {
            step.deps
                .iter()
                .find(|d| reasons[d.0 as usize].is_some())
                .map(|d| Reason::DependencyRebuilt(graph.step(*d).label.clone()))
        });
        reasons.push(reason);
    }
    reasons
}

fn own_reason(
    graph: &Graph,
    step: &Step,
    db: &Db,
    tools: &mut ToolIds,
    stat: &mut impl FnMut(&Path) -> Stamp,
) -> Option<Reason> {
    let Some(rec) = db.get(&step_key(graph, step)) else {
        return Some(Reason::New);
    };
    if rec.command_hash != command_hash(step) {
        return Some(Reason::CommandChanged);
    }
    if rec.tool_hash != tools.of(step) {
        return Some(Reason::ToolchainChanged);
    }
    for &o in &step.outputs {
        let path = graph.path(o);
        let now = stat(path);
        match rec.outputs.iter().find(|(p, _)| p == path) {
            _ if !now.exists() => return Some(Reason::OutputMissing(path.to_path_buf())),
            Some((_, then)) if *then == now => {}
            _ => return Some(Reason::OutputModified(path.to_path_buf())),
        }
    }
    for &i in &step.inputs {
        let path = graph.path(i);
        if !rec.inputs.iter().any(|(p, _)| p == path) {
            return Some(Reason::InputChanged(path.to_path_buf()));
        }
    }
    for (path, then) in &rec.inputs {
        let now = stat(path);
        if !now.exists() {
            return Some(Reason::InputMissing(path.clone()));
        }
        if then.mtime_ns == UNKNOWN || *then != now {
            return Some(Reason::InputChanged(path.clone()));
        }
    }
    None
}

pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// Run what `decide` says is dirty, at most `opts.jobs` at once, recording each finished step in `db`.
/// On the first failure no new step starts (running ones finish), unless `opts.keep_going`: then
/// only the steps that depend on a failed one are left out.
pub fn run(
    graph: &Graph,
    db: &mut Db,
    tools: &mut ToolIds,
    runner: &dyn Runner,
    opts: &Options,
    reporter: &mut dyn Reporter,
) -> Result<Outcome> {
    let reasons = decide(graph, db, tools);
    let n = graph.steps.len();
    let to_run = reasons.iter().filter(|r| r.is_some()).count();
    reporter.planned(to_run, n);
    let mut outcome = Outcome {
        total: n,
        ..Outcome::default()
    };
    if to_run == 0 {
        return Ok(outcome);
    }
    let mut waiting: Vec<usize> = vec![0; n];
    let mut dependents: Vec<Vec<StepId>> = vec![Vec::new(); n];
    // Ready steps, those that spread first (an LTO link is long and serial at its core: started
    // early, the compiles still to come fill the other slots beside it), then in plan order.
    let key = |i: u32| (!runner.spreads(StepId(i), &graph.steps[i as usize]), i);
    let mut ready: BTreeSet<(bool, u32)> = BTreeSet::new();
    for (i, step) in graph.steps.iter().enumerate() {
        if reasons[i].is_none() {
            continue;
        }
        for d in &step.deps {
            if reasons[d.0 as usize].is_some() {
                waiting[i] += 1;
                dependents[d.0 as usize].push(StepId(i as u32));
            }
        }
        if waiting[i] == 0 {
            ready.insert(key(i as u32));
        }
    }
    let jobs = opts.jobs.max(1);
    let mut started = 0usize;
    let mut running = 0usize;
    let mut input_stamps: HashMap<u32, (i64, Vec<(PathBuf, Stamp)>)> = HashMap::new();
    // Every running step, with its jobserver if it spreads (the slots lent to it beyond its own
    // are the tokens it was given: `Jobserver::lent`).
    let mut jobservers: HashMap<u32, Option<Arc<jobserver::Jobserver>>> = HashMap::new();
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = mpsc::channel::<(u32, StepResult)>();
        loop {
            while (opts.keep_going || outcome.failed.is_empty()) && running < jobs {
                let Some((stays_in_its_slot, i)) = ready.pop_first() else {
                    break;
                };
                let step = &graph.steps[i as usize];
                started += 1;
                reporter.started(
                    step,
                    reasons[i as usize].as_ref().expect("dirty"),
                    started,
                    to_run,
                );
                let start = now_ns();
                let stamps = known_inputs(graph, step, db)
                    .into_iter()
                    .map(|p| {
                        let s = Stamp::of(&p);
                        (p, s)
                    })
                    .collect();
                input_stamps.insert(i, (start, stamps));
                let idle = if ready.is_empty() {
                    jobs - running - 1
                } else {
                    0
                };
                let slots = (jobs > 1 && !stays_in_its_slot)
                    .then(|| jobserver::Jobserver::new(idle, jobs).ok().map(Arc::new))
                    .flatten();
                running += 1 + slots.as_ref().map_or(0, |js| js.lent());
                jobservers.insert(i, slots.clone());
                let tx = tx.clone();
                scope.spawn(move || {
                    let result = runner.run(StepId(i), step, slots.as_deref());
                    let _ = tx.send((i, result));
                });
            }
            // One spreading step running alone, nothing ready: no step can become ready before
            // it ends, so the idle slots are its.
            if ready.is_empty()
                && running < jobs
                && jobservers.len() == 1
                && let Some(Some(slots)) = jobservers.values().next()
                && slots.lend(jobs - running).is_ok()
            {
                running = jobs;
            }
            if running == 0 {
                break;
            }
            let (i, result) = rx
                .recv()
                .map_err(|e| Error::Other(format!("scheduler: {e}")))?;
            running -= 1 + jobservers.remove(&i).flatten().map_or(0, |js| js.lent());
            outcome.ran += 1;
            outcome.cached += usize::from(result.cached);
            outcome.shared += usize::from(result.shared_from.is_some());
            let step = &graph.steps[i as usize];
            reporter.finished(step, &result);
            let (start, stamps) = input_stamps.remove(&i).unwrap_or_default();
            if !result.ok {
                outcome.failed.push(step.label.clone());
                db.remove(&step_key(graph, step));
                continue;
            }
            let record = record_for(graph, step, tools, start, stamps);
            db.put(&step_key(graph, step), record)?;
            for d in &dependents[i as usize] {
                let w = &mut waiting[d.0 as usize];
                *w -= 1;
                if *w == 0 {
                    ready.insert(key(d.0));
                }
            }
        }
        Ok(())
    })?;
    db.compact_if_worthwhile()?;
    Ok(outcome)
}

/// Inputs known before the step runs: the plan's and those the last depfile named.
fn known_inputs(graph: &Graph, step: &Step, db: &Db) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = step
        .inputs
        .iter()
        .map(|&i| graph.path(i).to_path_buf())
        .collect();
    if let Some(rec) = db.get(&step_key(graph, step)) {
        for (p, _) in &rec.inputs {
            if !v.contains(p) {
                v.push(p.clone());
            }
        }
    }
    v
}

fn record_for(
    graph: &Graph,
    step: &Step,
    tools: &mut ToolIds,
    start: i64,
    mut inputs: Vec<(PathBuf, Stamp)>,
) -> Record {
    let explicit: Vec<PathBuf> = step
        .inputs
        .iter()
        .map(|&i| graph.path(i).to_path_buf())
        .collect();
    inputs.retain(|(p, _)| explicit.contains(p));
    let discovered = step
        .depfile
        .as_ref()
        .and_then(|d| std::fs::read_to_string(d).ok())
        .and_then(|text| depfile::parse(&text, &step.cwd));
    match discovered {
        Some(deps) => {
            for d in deps {
                if inputs.iter().any(|(p, _)| *p == d) {
                    continue;
                }
                let mut s = Stamp::of(&d);
                if s.mtime_ns > start || s.mtime_ns == MISSING {
                    s.mtime_ns = UNKNOWN;
                }
                inputs.push((d, s));
            }
        }
        None if step.depfile.is_some() => {
            // No usable depfile: remember that the headers are unknown, so the step runs next time.
            inputs.push((
                step.depfile.clone().expect("depfile"),
                Stamp {
                    mtime_ns: UNKNOWN,
                    size: 0,
                },
            ));
        }
        None => {}
    }
    let outputs = step.outputs.iter().map(|&o| {
        let p = graph.path(o).to_path_buf();
        let s = Stamp::of(&p);
        (p, s)
    });
    Record {
        command_hash: command_hash(step),
        tool_hash: tools.of(step),
        inputs,
        outputs: outputs.collect(),
    }
}
