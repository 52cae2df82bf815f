//! The engine against a fake [`Runner`] (as ninja's `build_test.cc` does with its fake command
//! runner): what is dirty and why, the order steps run in, what a failure stops, `keep_going`,
//! headers from depfiles, and a torn build log. Real files in a temp dir, no tools: milliseconds.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::db::Db;
use super::*;

/// Writes every output of a step (its label and a run counter, so content changes each time);
/// fails the steps named in `fail`; for a step with a depfile, names `headers` in it.
#[derive(Default)]
struct FakeRunner {
    ran: Mutex<Vec<String>>,
    fail: HashSet<String>,
    headers: Vec<PathBuf>,
    running: AtomicUsize,
    most_at_once: AtomicUsize,
    /// Steps that can use lent slots.
    spreading: HashSet<String>,
    /// Each spreading step: the slots lent to it when it started, and after it waited for
    /// `expect_lent`.
    lent: Mutex<Vec<(String, usize, usize)>>,
    expect_lent: usize,
}

impl Runner for FakeRunner {
    fn spreads(&self, _: StepId, step: &Step) -> bool {
        self.spreading.contains(&step.label)
    }

    fn run(&self, _: StepId, step: &Step, slots: Option<&jobserver::Jobserver>) -> StepResult {
        // A spreading step waits (a while) for the slots the test expects it to be lent.
        if let Some(js) = slots {
            let at_start = js.lent();
            let until = std::time::Instant::now() + std::time::Duration::from_secs(2);
            while js.lent() < self.expect_lent && std::time::Instant::now() < until {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            let seen = (step.label.clone(), at_start, js.lent());
            self.lent.lock().unwrap().push(seen);
        }
        let spare = slots.map_or(0, |js| js.lent());
        let now = self.running.fetch_add(1 + spare, Ordering::SeqCst) + 1 + spare;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(std::time::Duration::from_millis(2));
        let n = {
            let mut ran = self.ran.lock().unwrap();
            ran.push(step.label.clone());
            ran.len()
        };
        let ok = !self.fail.contains(&step.label);
        if ok {
            for out in &step.argv[2..] {
                std::fs::write(out, format!("{} #{n}", step.label)).unwrap();
            }
            if let Some(d) = &step.depfile {
                let deps: Vec<String> = self
                    .headers
                    .iter()
                    .map(|h| h.display().to_string())
                    .collect();
                std::fs::write(d, format!("x.o: {}\n", deps.join(" "))).unwrap();
            }
        }
        self.running.fetch_sub(1 + spare, Ordering::SeqCst);
        if ok {
            StepResult::done(String::new())
        } else {
            StepResult::failed(format!("{} failed\n", step.label))
        }
    }
}

impl FakeRunner {
    fn ran(&self) -> Vec<String> {
        std::mem::take(&mut *self.ran.lock().unwrap())
    }
}

/// Records what the user would see: each started step and its reason.
#[derive(Default)]
struct Seen {
    started: Vec<(String, Reason)>,
    failed: Vec<String>,
}

impl Reporter for Seen {
    fn planned(&mut self, _: usize, _: usize) {}
    fn started(&mut self, step: &Step, reason: &Reason, _: usize, _: usize) {
        self.started.push((step.label.clone(), reason.clone()));
    }
    fn finished(&mut self, step: &Step, result: &StepResult) {
        if !result.ok {
            self.failed.push(step.label.clone());
        }
    }
}

/// A step whose "command" is `fake-cc -o` and its outputs (the fake runner writes them).
fn step(dir: &Path, label: &str, inputs: &[&str], outputs: &[&str]) -> StepSpec {
    let outs: Vec<PathBuf> = outputs.iter().map(|o| dir.join(o)).collect();
    StepSpec {
        label: label.into(),
        cwd: dir.to_path_buf(),
        argv: ["fake-cc", "-o"]
            .into_iter()
            .map(String::from)
            .chain(outs.iter().map(|o| o.display().to_string()))
            .collect(),
        inputs: inputs.iter().map(|i| dir.join(i)).collect(),
        outputs: outs,
        depfile: None,
        salt: String::new(),
    }
}

/// a.c → a.o, b.c → b.o, both → lib.a, lib.a → app.elf; c.c → c.o on the side.
fn project(dir: &Path) -> Vec<StepSpec> {
    for f in ["a.c", "b.c", "c.c"] {
        std::fs::write(dir.join(f), f).unwrap();
    }
    vec![
        step(dir, "CC a", &["a.c"], &["a.o"]),
        step(dir, "CC b", &["b.c"], &["b.o"]),
        step(dir, "AR lib", &["a.o", "b.o"], &["lib.a"]),
        step(dir, "LD app", &["lib.a"], &["app.elf"]),
        step(dir, "CC c", &["c.c"], &["c.o"]),
    ]
}

fn build(
    dir: &Path,
    specs: &[StepSpec],
    runner: &FakeRunner,
    jobs: usize,
    keep_going: bool,
) -> (Outcome, Seen) {
    let graph = Graph::new(specs.iter().cloned()).unwrap();
    let mut db = Db::open(&dir.join("db")).unwrap();
    let mut seen = Seen::default();
    let outcome = run(
        &graph,
        &mut db,
        &mut ToolIds::default(),
        runner,
        &Options { jobs, keep_going },
        &mut seen,
    )
    .unwrap();
    (outcome, seen)
}

/// Change a file's content and size (so its stamp changes at any mtime granularity).
fn edit(path: &Path) {
    let mut text = std::fs::read_to_string(path).unwrap_or_default();
    text.push_str(" edited");
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_fresh_build_runs_everything_in_dependency_order_then_nothing() {
    let t = tempfile::tempdir().unwrap();
    let specs = project(t.path());
    let r = FakeRunner::default();
    let (o, seen) = build(t.path(), &specs, &r, 1, false);
    assert_eq!((o.ran, o.total), (5, 5));
    assert!(seen.started.iter().all(|(_, why)| *why == Reason::New));
    let order = r.ran();
    let at = |l: &str| order.iter().position(|x| x == l).unwrap();
    assert!(at("CC a") < at("AR lib") && at("CC b") < at("AR lib") && at("AR lib") < at("LD app"));

    let (o, seen) = build(t.path(), &specs, &r, 1, false);
    assert_eq!((o.ran, o.total), (0, 5), "{:?}", seen.started);
    assert!(r.ran().is_empty());
}

#[test]
fn an_edited_input_reruns_its_step_and_what_depends_on_it_each_with_its_reason() {
    let t = tempfile::tempdir().unwrap();
    let specs = project(t.path());
    let r = FakeRunner::default();
    build(t.path(), &specs, &r, 2, false);
    r.ran();
    edit(&t.path().join("b.c"));
    let (o, seen) = build(t.path(), &specs, &r, 2, false);
    assert_eq!(o.ran, 3);
    assert_eq!(
        seen.started,
        [
            (
                "CC b".to_string(),
                Reason::InputChanged(t.path().join("b.c"))
            ),
            (
                "AR lib".to_string(),
                Reason::DependencyRebuilt("CC b".into())
            ),
            (
                "LD app".to_string(),
                Reason::DependencyRebuilt("AR lib".into())
            ),
        ]
    );
}

#[test]
fn a_changed_command_a_missing_or_modified_output_each_rerun_the_step() {
    let t = tempfile::tempdir().unwrap();
    let mut specs = project(t.path());
    let r = FakeRunner::default();
    build(t.path(), &specs, &r, 1, false);

    specs[4].salt = "-O2".into();
    let (_, seen) = build(t.path(), &specs, &r, 1, false);
    assert_eq!(seen.started, [("CC c".to_string(), Reason::CommandChanged)]);

    std::fs::remove_file(t.path().join("c.o")).unwrap();
    let (_, seen) = build(t.path(), &specs, &r, 1, false);
    assert_eq!(
        seen.started,
        [(
            "CC c".to_string(),
            Reason::OutputMissing(t.path().join("c.o"))
        )]
    );

    edit(&t.path().join("app.elf"));
    let (_, seen) = build(t.path(), &specs, &r, 1, false);
    assert_eq!(
        seen.started,
        [(
            "LD app".to_string(),
            Reason::OutputModified(t.path().join("app.elf"))
        )]
    );
}

#[test]
fn a_failure_stops_new_steps_and_keep_going_runs_everything_that_does_not_depend_on_it() {
    let t = tempfile::tempdir().unwrap();
    let specs = project(t.path());
    let r = FakeRunner {
        fail: HashSet::from(["CC a".to_string()]),
        ..FakeRunner::default()
    };
    // One job: `CC a` runs first and fails; nothing else starts.
    let (o, seen) = build(t.path(), &specs, &r, 1, false);
    assert_eq!(o.failed, ["CC a"]);
    assert_eq!(r.ran(), ["CC a"]);
    assert_eq!(seen.failed, ["CC a"]);
    assert!(!t.path().join("a.o").exists());

    // Keep going: `CC b` and `CC c` run, the archive and the link (which need a.o) do not.
    let (o, _) = build(t.path(), &specs, &r, 1, true);
    assert_eq!(o.failed, ["CC a"]);
    let mut ran = r.ran();
    ran.sort();
    assert_eq!(ran, ["CC a", "CC b", "CC c"]);
    assert!(!t.path().join("lib.a").exists());

    // Fixed: the failed step and its dependants run; what succeeded before does not.
    let fixed = FakeRunner::default();
    let (o, seen) = build(t.path(), &specs, &fixed, 1, false);
    assert!(o.failed.is_empty());
    let labels: Vec<&str> = seen.started.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["CC a", "AR lib", "LD app"]);
    assert_eq!(
        seen.started[0].1,
        Reason::New,
        "a failed step has no record"
    );
}

#[test]
fn headers_named_by_the_depfile_are_inputs_from_then_on() {
    let t = tempfile::tempdir().unwrap();
    let header = t.path().join("h.h");
    std::fs::write(&header, "#define X 1").unwrap();
    std::fs::write(t.path().join("a.c"), "a").unwrap();
    let mut s = step(t.path(), "CC a", &["a.c"], &["a.o"]);
    s.depfile = Some(t.path().join("a.d"));
    let specs = vec![s];
    let r = FakeRunner {
        headers: vec![header.clone()],
        ..FakeRunner::default()
    };
    build(t.path(), &specs, &r, 1, false);
    assert_eq!(build(t.path(), &specs, &r, 1, false).0.ran, 0);
    edit(&header);
    let (_, seen) = build(t.path(), &specs, &r, 1, false);
    assert_eq!(
        seen.started,
        [("CC a".to_string(), Reason::InputChanged(header))]
    );
}

#[test]
fn a_torn_build_log_is_cut_and_only_the_lost_steps_rerun() {
    let t = tempfile::tempdir().unwrap();
    let specs = project(t.path());
    let r = FakeRunner::default();
    build(t.path(), &specs, &r, 1, false);
    r.ran();
    // Cut the log in the middle of its last record (as a kill -9 during a write would).
    let log = t.path().join("db");
    let len = std::fs::metadata(&log).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
    f.set_len(len - 7).unwrap();
    drop(f);
    let db = Db::open(&log).unwrap();
    assert!(db.recovered.is_some(), "the cut is reported");
    assert_eq!(db.len(), 4, "the records before the cut are kept");
    drop(db);
    let (o, seen) = build(t.path(), &specs, &r, 1, false);
    assert_eq!(o.ran, 1, "{:?}", seen.started);
    assert_eq!(seen.started[0].1, Reason::New);
}

#[test]
fn never_more_steps_at_once_than_jobs() {
    let t = tempfile::tempdir().unwrap();
    let specs: Vec<StepSpec> = (0..12)
        .map(|i| {
            std::fs::write(t.path().join(format!("{i}.c")), "x").unwrap();
            step(
                t.path(),
                &format!("CC {i}"),
                &[&format!("{i}.c")],
                &[&format!("{i}.o")],
            )
        })
        .collect();
    for jobs in [1, 3] {
        let r = FakeRunner::default();
        let d = t.path().join(format!("j{jobs}"));
        std::fs::create_dir_all(&d).unwrap();
        let (o, _) = build(&d, &specs, &r, jobs, false);
        assert_eq!(o.ran, 12);
        assert!(r.most_at_once.load(Ordering::SeqCst) <= jobs);
    }
}

#[test]
fn idle_slots_are_lent_to_a_spreading_step_that_starts_with_nothing_else_ready() {
    let t = tempfile::tempdir().unwrap();
    let specs = project(t.path());
    let r = FakeRunner {
        spreading: ["LD app".to_string()].into(),
        expect_lent: 3,
        ..FakeRunner::default()
    };
    let (o, _) = build(t.path(), &specs, &r, 4, false);
    assert_eq!(o.ran, 5);
    // `LD app` starts with nothing else ready: the idle slots are lent to it at once (all 3, or
    // 1 if `CC c` still runs, and the other 2 when it ends); never more than 4 are busy.
    let lent = r.lent.lock().unwrap().clone();
    assert_eq!(lent.len(), 1);
    let (label, at_start, in_all) = &lent[0];
    assert_eq!((label.as_str(), *in_all), ("LD app", 3));
    assert!(*at_start >= 1, "nothing lent when the link started");
    assert!(r.most_at_once.load(Ordering::SeqCst) <= 4);
    // At -j1 there is nothing to lend, and no jobserver.
    let r1 = FakeRunner {
        spreading: r.spreading.clone(),
        ..FakeRunner::default()
    };
    let d = t.path().join("j1");
    std::fs::create_dir_all(&d).unwrap();
    let specs = project(&d);
    build(&d, &specs, &r1, 1, false);
    assert!(r1.lent.lock().unwrap().is_empty());
}

/// `LD x` (x.o → x.elf) and `CC y` (y.c → y.o), independent, in that order or the compile first.
fn link_and_compile(dir: &Path, compile_first: bool) -> Vec<StepSpec> {
    for f in ["x.o", "y.c"] {
        std::fs::write(dir.join(f), f).unwrap();
    }
    let ld = step(dir, "LD x", &["x.o"], &["x.elf"]);
    let cc = step(dir, "CC y", &["y.c"], &["y.o"]);
    if compile_first {
        vec![cc, ld]
    } else {
        vec![ld, cc]
    }
}

/// A fake runner for which `LD x` spreads and waits for `expect_lent` slots.
fn spreading_link(expect_lent: usize) -> FakeRunner {
    FakeRunner {
        spreading: ["LD x".to_string()].into(),
        expect_lent,
        ..FakeRunner::default()
    }
}

#[test]
fn slots_that_idle_while_a_spreading_step_runs_alone_are_lent_to_it() {
    let t = tempfile::tempdir().unwrap();
    // The link starts while the compile is still ready: nothing to lend then. When the compile
    // ends, the link runs alone with nothing ready: the 3 idle slots are its.
    let specs = link_and_compile(t.path(), false);
    let r = spreading_link(3);
    let (o, _) = build(t.path(), &specs, &r, 4, false);
    assert_eq!(o.ran, 2);
    assert_eq!(*r.lent.lock().unwrap(), [("LD x".to_string(), 0, 3)]);
}

#[test]
fn a_ready_spreading_step_starts_before_other_ready_steps() {
    let t = tempfile::tempdir().unwrap();
    let specs = link_and_compile(t.path(), true);
    let r = spreading_link(0);
    build(t.path(), &specs, &r, 1, false);
    assert_eq!(r.ran(), ["LD x", "CC y"]);
}
