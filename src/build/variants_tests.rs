//! Tests of `build::variants`: how variants are grouped and read, and with the real
//! arm-none-eabi-gcc, which are shared and which compile themselves.

use super::*;
use crate::plan::{PlanStep, StepKind};

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

#[test]
fn macros_are_read_as_gcc_reads_them() {
    let m = macros(&words(
        "gcc -DA -DB=2 -D C=3 -DF(x)=x -DB=4 -UA -D A=5 -UGONE -c a.c",
    ));
    assert_eq!(
        m["A"],
        Some("=5".to_string()),
        "the last word for a name wins"
    );
    assert_eq!(m["B"], Some("=4".to_string()));
    assert_eq!(m["C"], Some("=3".to_string()));
    assert_eq!(m["F"], Some("(x)=x".to_string()));
    assert_eq!(m["GONE"], None);
    let other = macros(&words("gcc -DA=5 -DB=4 -DC=3 -DF(x)=x -c a.c"));
    assert_eq!(
        differing(&m, &other),
        BTreeSet::from(["GONE".to_string()]),
        "`-UGONE` differs from no word at all only in that it is named"
    );
    let plain = macros(&words("gcc -DA -c a.c"));
    let one = macros(&words("gcc -DA=1 -c a.c"));
    assert_eq!(
        differing(&plain, &one),
        BTreeSet::from(["A".to_string()]),
        "`-DA` and `-DA=1` are written differently, so they count as different"
    );
}

fn compile(dir: &Path, src: &str, obj: &str, defines: &[&str]) -> PlanStep {
    let obj = dir.join(obj);
    let dep = obj.with_extension("o.d");
    let mut argv = vec!["arm-none-eabi-gcc".to_string(), "-Os".into(), "-g3".into()];
    argv.extend(defines.iter().map(|d| d.to_string()));
    argv.extend(words(&format!(
        "-MD -MP -MF {} -c -o {} {src}",
        dep.display(),
        obj.display()
    )));
    PlanStep {
        kind: StepKind::Compile,
        cwd: dir.to_path_buf(),
        argv,
        inputs: vec![dir.join(src)],
        outputs: vec![obj, dep.clone()],
        depfile: Some(dep),
        label: format!("CC {src}"),
        takes_app_objects: false,
        image: None,
    }
}

#[test]
fn variants_are_the_same_command_up_to_macros_and_own_outputs() {
    let d = Path::new("/p");
    let steps = vec![
        compile(d, "a.c", "m1/a.o", &["-DMODULE=1", "-DX"]),
        compile(d, "a.c", "m2/a.o", &["-DMODULE=2", "-DX"]),
        compile(d, "a.c", "m3/a.o", &["-DMODULE=3", "-DX", "-O3"]),
        compile(d, "b.c", "m1/b.o", &["-DMODULE=1"]),
    ];
    let v = Variants::new(&steps);
    assert_eq!(v.counts(), (1, 2), "an extra option is another command");
    let group = &v.groups[v.group_of[&0]];
    assert_eq!(group.members, [0, 1]);
    assert_eq!(group.differ, BTreeSet::from(["MODULE".to_string()]));
    assert!(!v.group_of.contains_key(&2) && !v.group_of.contains_key(&3));

    let mut pch = compile(d, "a.c", "m4/a.o", &["-DMODULE=4"]);
    pch.argv.extend(words("-x c++-header"));
    assert!(!shareable(&pch), "a precompiled header is never a variant");
    let dumps = compile(d, "a.c", "m4/a.o", &["-DMODULE=4", "-fstack-usage"]);
    assert!(
        !shareable(&dumps),
        "a compile that writes more files than it lists"
    );
}

#[test]
fn preprocessing_drops_outputs_and_debug_macros() {
    let d = Path::new("/p");
    let s = compile(d, "a.c", "m1/a.o", &["-DMODULE=1"]);
    let argv = preprocess_argv(&s.argv, true).unwrap();
    assert_eq!(
        argv,
        words("arm-none-eabi-gcc -Os -g3 -DMODULE=1 -E a.c -g0 -dU"),
        "-g0 last: with -g3 gcc would print every #define into the text"
    );
    assert_eq!(
        preprocess_argv(&s.argv, false).unwrap().last().unwrap(),
        "-g0"
    );
    assert!(preprocess_argv(&words("gcc -o x x.o"), true).is_none());
}

#[test]
fn defines_are_found_across_continuations_and_comments() {
    let text = b"#ifdef A\n# define B 1\n  #  /* c */ define /* d */ C(x) x\n#define \\\nD 2\n#undef E\nint F;\n// #define G\n#if defined(H)\n#endif\n/*\n#define I\n*/\n";
    let found = defines(text);
    let expected: HashSet<String> = ["B", "C", "D", "I"].iter().map(|s| s.to_string()).collect();
    assert_eq!(
        found, expected,
        "a #define inside a block comment counts too: the scan may find more, never less"
    );
}

#[test]
fn line_markers_name_the_files_read() {
    let text = b"# 0 \"a.c\"\n# 0 \"<built-in>\"\n# 0 \"<command-line>\"\n# 1 \"../inc/h \\\"q\\\".h\" 1\nint x;\n# 12 \"a.c\" 2\n#define Y 1\n";
    assert_eq!(line_marker_files(text), ["a.c", "../inc/h \"q\".h"]);
}

#[test]
fn only_whole_words_are_found() {
    let names: BTreeSet<String> = ["MODULE_INDEX", "M"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let found = words_among(b"int MODULE_INDEXES = M2; x = MODULE_INDEX+1;", &names);
    assert_eq!(found, BTreeSet::from(["MODULE_INDEX".to_string()]));
}

/// Runs the steps of a group the way the engine does (one after the other) and says which were
/// given another's object.
fn run_all(steps: &[PlanStep]) -> Vec<Option<usize>> {
    let v = Variants::new(steps);
    (0..steps.len())
        .map(|i| {
            let ran = run_step(&v, steps, i);
            assert!(ran.result.is_ok(), "{:?}", ran.result);
            ran.shared_from
        })
        .collect()
}

/// Step `i` through `v`, compiling with the real command when it must.
fn run_step(v: &Variants, steps: &[PlanStep], i: usize) -> Ran {
    let step = &steps[i];
    v.run(i, || {
        crate::work::task::run_command(&step.cwd, &step.argv, &step.outputs, &[], None)
            .map_err(|f| f.output)
    })
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(d.path().join(name), text).unwrap();
    }
    d
}

#[test]
fn a_variant_that_never_sees_its_macros_gets_the_first_ones_object() {
    let d = project(&[
        ("h.h", "#define TWICE(x) ((x) * 2)\n"),
        (
            "a.c",
            "#include \"h.h\"\nint f(int x) { return TWICE(x); }\n",
        ),
    ]);
    let steps = vec![
        compile(d.path(), "a.c", "m1/a.o", &["-DMODULE_INDEX=1"]),
        compile(d.path(), "a.c", "m2/a.o", &["-DMODULE_INDEX=2"]),
        compile(d.path(), "a.c", "m3/a.o", &[]),
    ];
    assert_eq!(run_all(&steps), [None, Some(0), Some(0)]);
    let first = std::fs::read(d.path().join("m1/a.o")).unwrap();
    assert_eq!(std::fs::read(d.path().join("m2/a.o")).unwrap(), first);
    let dep = std::fs::read_to_string(d.path().join("m2/a.o.d")).unwrap();
    assert!(
        dep.contains(&format!("{}:", d.path().join("m2/a.o").display())) && !dep.contains("m1/"),
        "the depfile names the variant's own object: {dep}"
    );
    assert!(dep.contains("h.h"), "{dep}");
}

#[test]
fn a_variant_whose_macros_change_the_code_compiles_itself() {
    let d = project(&[("a.c", "int index(void) { return MODULE_INDEX; }\n")]);
    let steps = vec![
        compile(d.path(), "a.c", "m1/a.o", &["-DMODULE_INDEX=1"]),
        compile(d.path(), "a.c", "m2/a.o", &["-DMODULE_INDEX=2"]),
    ];
    assert_eq!(run_all(&steps), [None, None]);
    assert_ne!(
        std::fs::read(d.path().join("m1/a.o")).unwrap(),
        std::fs::read(d.path().join("m2/a.o")).unwrap()
    );
}

#[test]
fn a_macro_only_the_variant_defines_counts_where_its_name_appears() {
    // The first compile has no FEATURE: the name is a plain identifier in its text, and would
    // be replaced in the second.
    let d = project(&[("a.c", "int FEATURE = 3;\nint g(void) { return FEATURE; }\n")]);
    let steps = vec![
        compile(d.path(), "a.c", "m1/a.o", &[]),
        compile(d.path(), "a.c", "m2/a.o", &["-DFEATURE=value"]),
    ];
    assert_eq!(run_all(&steps), [None, None]);
}

#[test]
fn a_tested_macro_with_the_same_outcome_is_shared_after_comparing_the_texts() {
    let d = project(&[(
        "a.c",
        "#if MODULE_FUNCTION != 2\nint not_bootloader = 1;\n#else\nint bootloader = 1;\n#endif\n",
    )]);
    let steps = vec![
        compile(d.path(), "a.c", "m1/a.o", &["-DMODULE_FUNCTION=4"]),
        compile(d.path(), "a.c", "m2/a.o", &["-DMODULE_FUNCTION=5"]),
        compile(d.path(), "a.c", "m3/a.o", &["-DMODULE_FUNCTION=2"]),
    ];
    assert_eq!(run_all(&steps), [None, Some(0), None]);
}

#[test]
fn a_header_that_defines_a_differing_macro_keeps_the_variants_apart() {
    // gcc warns "MODULE_INDEX redefined" only where the value differs: an error with -Werror.
    let d = project(&[
        ("h.h", "#define MODULE_INDEX 1\n"),
        ("a.c", "#include \"h.h\"\nint x;\n"),
    ]);
    let steps = vec![
        compile(d.path(), "a.c", "m1/a.o", &["-DMODULE_INDEX=1"]),
        compile(d.path(), "a.c", "m2/a.o", &["-DMODULE_INDEX=2"]),
    ];
    assert_eq!(run_all(&steps), [None, None]);
}

#[test]
fn a_failed_first_variant_lets_the_next_one_compile_itself() {
    let d = project(&[("a.c", "#if MODULE_INDEX == 1\n#error one\n#endif\nint x;\n")]);
    let steps = vec![
        compile(d.path(), "a.c", "m1/a.o", &["-DMODULE_INDEX=1"]),
        compile(d.path(), "a.c", "m2/a.o", &["-DMODULE_INDEX=2"]),
    ];
    let v = Variants::new(&steps);
    let first = run_step(&v, &steps, 0);
    assert!(first.result.unwrap_err().contains("#error one"));
    let second = run_step(&v, &steps, 1);
    assert!(second.result.is_ok() && second.shared_from.is_none());
}
