//! Tests of the content cache (`stepcache`): keys, hits and misses, manifests of headers,
//! moved target directories, eviction and clearing.

use super::*;

/// A compile-shaped step whose "compiler" is `sh -c` writing the output and a depfile.
fn step(dir: &Path, src: &Path, extra_arg: &str) -> PlanStep {
    let obj = dir.join("target/build/a.o");
    let dep = dir.join("target/build/a.o.d");
    PlanStep::command(
        StepKind::Compile,
        dir.to_path_buf(),
        vec![
            "sh".into(),
            "-c".into(),
            "true".into(),
            extra_arg.into(),
            obj.display().to_string(),
        ],
        vec![src.to_path_buf()],
        vec![obj, dep.clone()],
        Some(dep),
        "CC a.c".into(),
    )
}

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Pretend the step ran: an object made of the source and header, and a depfile naming the header.
fn fake_run(s: &PlanStep, header: &Path) {
    let src = std::fs::read_to_string(&s.inputs[0]).unwrap();
    let h = std::fs::read_to_string(header).unwrap();
    write(&s.outputs[0], &format!("obj({src}|{h})"));
    write(
        &s.outputs[1],
        &format!(
            "{}: {} \\\n {}\n",
            s.outputs[0].display(),
            s.inputs[0].display(),
            header.display()
        ),
    );
}

struct Setup {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    src: PathBuf,
    header: PathBuf,
    cache: Cache,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let src = dir.join("a.c");
    let header = dir.join("a.h");
    write(&src, "int a;");
    write(&header, "#define A 1");
    let cache = Cache::open(
        &dir.join("cache"),
        crate::config::DEFAULT_CACHE_LIMIT,
        &dir.join("target"),
        Some(dir.join("target/hashes")),
    );
    Setup {
        _tmp: tmp,
        dir,
        src,
        header,
        cache,
    }
}

/// Build `s` through the cache: restore, else run and store. True on a hit.
fn through(c: &Cache, s: &PlanStep, header: &Path) -> bool {
    let k = c.key(s).unwrap();
    if c.restore(&k, s) {
        return true;
    }
    let start = crate::work::now_ns();
    fake_run(s, header);
    c.store(&k, s, start);
    false
}

fn wipe(s: &PlanStep) {
    for o in &s.outputs {
        let _ = std::fs::remove_file(o);
    }
}

#[test]
fn a_removed_output_comes_back_byte_identical() {
    let t = setup();
    let s = step(&t.dir, &t.src, "");
    assert!(!through(&t.cache, &s, &t.header));
    let obj = std::fs::read(&s.outputs[0]).unwrap();
    let dep = std::fs::read(&s.outputs[1]).unwrap();
    wipe(&s);
    assert!(through(&t.cache, &s, &t.header));
    assert_eq!(std::fs::read(&s.outputs[0]).unwrap(), obj);
    assert_eq!(std::fs::read(&s.outputs[1]).unwrap(), dep);
    assert_eq!(
        t.cache.counters(),
        Counters {
            hits: 1,
            misses: 1,
            stores: 1
        }
    );
}

#[test]
fn a_changed_header_source_or_argument_misses() {
    let t = setup();
    let s = step(&t.dir, &t.src, "");
    through(&t.cache, &s, &t.header);
    write(&t.header, "#define A 2");
    wipe(&s);
    assert!(!through(&t.cache, &s, &t.header), "header changed");
    assert_eq!(
        std::fs::read_to_string(&s.outputs[0]).unwrap(),
        "obj(int a;|#define A 2)"
    );
    // Back to the first header: both header sets are remembered under the key.
    write(&t.header, "#define A 1");
    wipe(&s);
    assert!(through(&t.cache, &s, &t.header), "earlier header set");
    assert_eq!(
        std::fs::read_to_string(&s.outputs[0]).unwrap(),
        "obj(int a;|#define A 1)"
    );
    write(&t.src, "int b;");
    wipe(&s);
    assert!(!through(&t.cache, &s, &t.header), "source changed");
    let with_define = step(&t.dir, &t.src, "-DNEW=1");
    wipe(&with_define);
    assert!(
        !through(&t.cache, &with_define, &t.header),
        "argument changed"
    );
}

#[test]
fn a_moved_target_dir_still_hits_and_depfiles_name_the_new_place() {
    let t = setup();
    let s = step(&t.dir, &t.src, "");
    through(&t.cache, &s, &t.header);
    // Same sources, another target directory (a project moved, or a second checkout of it).
    let other = t.dir.join("elsewhere");
    let moved = Cache::open(
        &t.dir.join("cache"),
        crate::config::DEFAULT_CACHE_LIMIT,
        &other.join("target"),
        None,
    );
    let mut s2 = step(&other, &t.src, "");
    s2.cwd = t.dir.clone();
    s2.argv[4] = s2.outputs[0].display().to_string();
    assert!(through(&moved, &s2, &t.header));
    let dep = std::fs::read_to_string(&s2.outputs[1]).unwrap();
    assert!(
        dep.starts_with(&format!("{}:", s2.outputs[0].display())),
        "{dep}"
    );
}

/// The step of [`step`] writing into another build directory under the same target dir.
fn in_build_dir(s: &PlanStep, build: &str) -> PlanStep {
    let mut s = s.clone();
    let place = |p: &Path| p.parent().unwrap().join(build).join(p.file_name().unwrap());
    s.outputs = s.outputs.iter().map(|o| place(o)).collect();
    s.depfile = s.depfile.as_deref().map(place);
    s.argv[4] = s.outputs[0].display().to_string();
    s
}

#[test]
fn one_compile_in_another_build_dir_hits_and_its_depfile_names_its_own_object() {
    // `main` after `modules`: the same compile, its object and depfile in another build dir.
    let t = setup();
    let s = step(&t.dir, &t.src, "");
    through(&t.cache, &s, &t.header);
    let other = in_build_dir(&s, "main-build");
    assert!(
        through(&t.cache, &other, &t.header),
        "no hit in another build dir"
    );
    assert_eq!(
        std::fs::read(&other.outputs[0]).unwrap(),
        std::fs::read(&s.outputs[0]).unwrap()
    );
    let dep = std::fs::read_to_string(&other.outputs[1]).unwrap();
    assert!(
        dep.starts_with(&format!("{}: ", other.outputs[0].display())),
        "{dep}"
    );
    // An option that writes the object's own name into it keeps the paths in the key.
    let mut coverage = step(&t.dir, &t.src, "--coverage");
    through(&t.cache, &coverage, &t.header);
    coverage = in_build_dir(&coverage, "other-build");
    assert!(!through(&t.cache, &coverage, &t.header), "--coverage hit");
    // A different argument still misses.
    let changed = in_build_dir(&step(&t.dir, &t.src, "-DX"), "third-build");
    assert!(!through(&t.cache, &changed, &t.header));
}

#[test]
fn a_result_stored_meanwhile_is_taken_not_replaced() {
    // Two builds at once, in two build dirs, run the same compile; gcc's bytes differ (an LTO
    // object's random section names). The second to store takes the first's object.
    let t = setup();
    let s = step(&t.dir, &t.src, "");
    let other = in_build_dir(&s, "second-build");
    let (k1, k2) = (t.cache.key(&s).unwrap(), t.cache.key(&other).unwrap());
    let start = crate::work::now_ns();
    fake_run(&s, &t.header);
    fake_run(&other, &t.header);
    std::fs::write(&other.outputs[0], "obj(other random seed)").unwrap();
    t.cache.store(&k1, &s, start);
    t.cache.store(&k2, &other, start);
    let first = std::fs::read(&s.outputs[0]).unwrap();
    assert_eq!(std::fs::read(&other.outputs[0]).unwrap(), first);
    let dep = std::fs::read_to_string(&other.outputs[1]).unwrap();
    assert!(
        dep.starts_with(&format!("{}: ", other.outputs[0].display())),
        "{dep}"
    );
    assert_eq!(t.cache.counters().stores, 1);
    // An entry with an output gone is written again by the next store, and then serves.
    let Some(ManifestEntry { result, .. }) = t.cache.read_manifest(&k1.key).into_iter().next()
    else {
        panic!("no manifest entry");
    };
    std::fs::remove_file(t.cache.output_path(&result, 1)).unwrap();
    fake_run(&other, &t.header);
    std::fs::write(&other.outputs[0], "obj(third)").unwrap();
    t.cache.store(&k2, &other, start);
    assert_eq!(t.cache.counters().stores, 2);
    wipe(&s);
    assert!(through(&t.cache, &s, &t.header));
    assert_eq!(std::fs::read(&s.outputs[0]).unwrap(), b"obj(third)");
}

#[test]
fn a_header_written_during_the_compile_is_not_stored() {
    let t = setup();
    let s = step(&t.dir, &t.src, "");
    let k = t.cache.key(&s).unwrap();
    let start = crate::work::now_ns();
    std::thread::sleep(std::time::Duration::from_millis(20));
    write(&t.header, "#define A 3");
    fake_run(&s, &t.header);
    t.cache.store(&k, &s, start);
    assert_eq!(t.cache.counters().stores, 0);
}

#[test]
fn a_changed_tool_misses() {
    let t = setup();
    let bin = t.dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let tool = bin.join("cc-tool");
    write(&tool, "#!/bin/sh\n");
    let mut s = step(&t.dir, &t.src, "");
    s.argv[0] = tool.display().to_string();
    through(&t.cache, &s, &t.header);
    write(&tool, "#!/bin/sh\n# a new version\n");
    let fresh = reopened(&t);
    wipe(&s);
    assert!(!through(&fresh, &s, &t.header));
}

/// Compile step number `k`: a source of its own (k bytes longer than 1000) and its own outputs.
fn numbered_step(t: &Setup, k: usize) -> PlanStep {
    let src = t.dir.join(format!("s{k}.c"));
    write(&src, &"x".repeat(1000 + k));
    let mut s = step(&t.dir, &src, "");
    s.outputs[0] = t.dir.join(format!("target/build/{k}.o"));
    s.outputs[1] = t.dir.join(format!("target/build/{k}.o.d"));
    s.depfile = Some(s.outputs[1].clone());
    s
}

/// The setup's cache opened again, as the next pbuild run opens it.
fn reopened(t: &Setup) -> Cache {
    Cache::open(
        &t.dir.join("cache"),
        crate::config::DEFAULT_CACHE_LIMIT,
        &t.dir.join("target"),
        Some(t.dir.join("target/hashes")),
    )
}

#[test]
fn eviction_drops_the_least_recently_used() {
    let t = setup();
    let dir = t.dir.join("cache");
    let mut steps = Vec::new();
    for k in 0..4 {
        let s = numbered_step(&t, k);
        through(&t.cache, &s, &t.header);
        steps.push(s);
        std::thread::sleep(std::time::Duration::from_millis(15));
    }
    // Use the oldest again: it becomes the newest.
    wipe(&steps[0]);
    assert!(through(&t.cache, &steps[0], &t.header));
    let before = stats(&dir, 0);
    assert_eq!(before.entries, 4);
    let limit = before.bytes * 3 / 4;
    evict(&dir, limit);
    let after = stats(&dir, limit);
    assert!(after.bytes <= limit / 10 * 9, "{} > {limit}", after.bytes);
    let fresh = reopened(&t);
    for s in &steps {
        wipe(s);
    }
    assert!(
        through(&fresh, &steps[0], &t.header),
        "recently used survives"
    );
    assert!(!through(&fresh, &steps[1], &t.header), "oldest is gone");
}

#[test]
fn eviction_drops_precompiled_headers_before_objects() {
    let t = setup();
    let dir = t.dir.join("cache");
    let mut steps = Vec::new();
    for k in 0..4 {
        let s = numbered_step(&t, k);
        let k_ = t.cache.key(&s).unwrap();
        let start = crate::work::now_ns();
        fake_run(&s, &t.header);
        if k == 3 {
            // The newest result is a precompiled header (gcc's magic bytes), and big.
            let mut gch = b"gpch".to_vec();
            gch.extend(std::iter::repeat_n(0u8, 8000));
            std::fs::write(&s.outputs[0], gch).unwrap();
        }
        t.cache.store(&k_, &s, start);
        steps.push(s);
        std::thread::sleep(std::time::Duration::from_millis(15));
    }
    let before = stats(&dir, 0);
    // Room for everything but a few hundred bytes: LRU would drop the oldest object.
    evict(&dir, before.bytes - 300);
    let fresh = reopened(&t);
    for s in &steps {
        wipe(s);
    }
    assert!(!through(&fresh, &steps[3], &t.header), "the PCH stayed");
    for s in &steps[..3] {
        assert!(through(&fresh, s, &t.header), "an object went first");
    }
}

#[test]
fn clear_empties_and_counts_stay_consistent() {
    let t = setup();
    let s = step(&t.dir, &t.src, "");
    through(&t.cache, &s, &t.header);
    t.cache.finish();
    let st = stats(&t.dir.join("cache"), crate::config::DEFAULT_CACHE_LIMIT);
    assert_eq!((st.entries, st.misses, st.stores), (1, 1, 1));
    assert!(clear(&t.dir.join("cache")).unwrap() > 0);
    let st = stats(&t.dir.join("cache"), crate::config::DEFAULT_CACHE_LIMIT);
    assert_eq!((st.entries, st.hits, st.misses), (0, 0, 0));
    wipe(&s);
    let fresh = reopened(&t);
    assert!(!through(&fresh, &s, &t.header));
}

/// An `ar -cr` step of the two files `members` in `dir`, run for real (`arm-none-eabi-ar`).
fn archive_in(dir: &Path, members: &[(&str, &str)], modifiers: &str) -> PlanStep {
    let lib = dir.join("libw.a");
    let inputs: Vec<PathBuf> = members
        .iter()
        .map(|(name, text)| {
            let p = dir.join("src").join(name);
            write(&p, text);
            p
        })
        .collect();
    let mut argv = vec![
        "arm-none-eabi-ar".to_string(),
        modifiers.to_string(),
        lib.display().to_string(),
    ];
    argv.extend(inputs.iter().map(|p| p.display().to_string()));
    // As Device OS archives: from the module's directory in the tree, the same for every app.
    let cwd = dir
        .ancestors()
        .find(|d| d.ends_with("target"))
        .unwrap()
        .to_path_buf();
    PlanStep::command(
        StepKind::Archive,
        cwd,
        argv,
        inputs,
        vec![lib],
        None,
        "AR libw.a".into(),
    )
}

fn run_ar(s: &PlanStep) {
    let _ = std::fs::remove_file(&s.outputs[0]);
    let ok = std::process::Command::new(&s.argv[0])
        .args(&s.argv[1..])
        .status()
        .unwrap()
        .success();
    assert!(ok, "{:?}", s.argv);
}

#[test]
fn one_library_archived_in_two_build_dirs_is_one_entry() {
    let t = setup();
    let build = |app: &str| t.dir.join("target/.pbuild/build").join(app).join("wiring");
    let members = [("a.o", "object a"), ("b.o", "object b")];
    let one = archive_in(&build("photon-2.3.1-1111"), &members, "-cr");
    let two = archive_in(&build("photon-2.3.1-2222"), &members, "-cr");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let start = crate::work::now_ns();
    // What the key relies on: ar stores members by file name, so the bytes are the same.
    run_ar(&one);
    run_ar(&two);
    assert_eq!(
        std::fs::read(&one.outputs[0]).unwrap(),
        std::fs::read(&two.outputs[0]).unwrap()
    );
    let k = t.cache.key(&one).unwrap();
    assert!(!t.cache.restore(&k, &one));
    t.cache.store(&k, &one, start);
    std::fs::remove_file(&two.outputs[0]).unwrap();
    let k2 = t.cache.key(&two).unwrap();
    assert!(t.cache.restore(&k2, &two), "no hit in another build dir");
    assert_eq!(
        std::fs::read(&two.outputs[0]).unwrap(),
        std::fs::read(&one.outputs[0]).unwrap()
    );
    // Another member's content, or a thin archive (which names its members' paths): a miss.
    let changed = archive_in(
        &build("photon-2.3.1-3333"),
        &[("a.o", "object a"), ("b.o", "B")],
        "-cr",
    );
    assert!(!t.cache.restore(&t.cache.key(&changed).unwrap(), &changed));
    let thin_one = archive_in(&build("p-1"), &members, "-crT");
    run_ar(&thin_one);
    t.cache
        .store(&t.cache.key(&thin_one).unwrap(), &thin_one, 0);
    let thin_two = archive_in(&build("p-2"), &members, "-crT");
    assert!(!t.cache.restore(&t.cache.key(&thin_two).unwrap(), &thin_two));
}
