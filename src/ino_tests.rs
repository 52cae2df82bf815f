//! Tests of the `.ino` preprocessor (`ino`): prototypes, includes, `#line`, and compiling its
//! output with the real arm-none-eabi-g++ where it is installed.

use super::*;

const INO: &str = "/p/src/app.ino";

/// A prototype the preprocessor inserted, as the line map saw it.
#[derive(Debug)]
struct Inserted {
    /// Whitespace-normalised, without the directives around it.
    text: String,
    /// The sketch line it is put above.
    above: usize,
    /// The `#line` right before it, if any: the line gcc blames for an error in it.
    line: Option<usize>,
}

/// `str::lines` on bytes.
fn byte_lines(b: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = b.split(|c| *c == b'\n').collect();
    if b.ends_with(b"\n") || b.is_empty() {
        v.pop();
    }
    v.into_iter()
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect()
}

/// A sketch line in the output: unchanged up to blanked default arguments (same length).
fn kept(out: &[u8], sketch: &[u8]) -> bool {
    out.len() == sketch.len() && out.iter().zip(sketch).all(|(a, b)| a == b || *a == b' ')
}

/// Reads the output as gcc would number it: after `#line N`, the next line is N. The output is
/// runs of lines between `#line`s; a run is either sketch lines (each once, in order, at its own
/// number) or inserted: prototypes (ending in `;`) and the directives around them. Returns the
/// prototypes.
fn check_line_map(sketch: &[u8], out: &[u8]) -> Vec<Inserted> {
    let shown = String::from_utf8_lossy(out).into_owned();
    let src = byte_lines(sketch);
    let lines = byte_lines(out);
    let first = lines
        .iter()
        .position(|l| l.starts_with(b"#line "))
        .unwrap_or_else(|| panic!("no #line:\n{shown}"));
    let mut runs: Vec<(usize, Vec<&[u8]>)> = Vec::new();
    for l in &lines[first..] {
        if let Some(rest) = l.strip_prefix(b"#line ") {
            let rest = String::from_utf8_lossy(rest);
            let (n, file) = rest.split_once(' ').unwrap();
            assert_eq!(file, format!("\"{INO}\""));
            runs.push((n.parse().unwrap(), Vec::new()));
        } else {
            runs.last_mut().unwrap().1.push(l);
        }
    }
    let mut next = 1;
    let mut protos = Vec::new();
    for (n, run) in runs {
        let sketch_lines = n == next
            && next - 1 + run.len() <= src.len()
            && run.iter().zip(&src[next - 1..]).all(|(l, s)| kept(l, s));
        if sketch_lines {
            next += run.len();
            continue;
        }
        let mut pending: Vec<&[u8]> = Vec::new();
        let mut line = Some(n);
        for l in run {
            if pending.is_empty() && l.trim_ascii_start().starts_with(b"#") {
                // A directive around a prototype (`#if …`, `#endif`).
                continue;
            }
            pending.push(l);
            if l.trim_ascii_end().ends_with(b";") {
                let text = pending
                    .iter()
                    .filter(|l| !l.trim_ascii_start().starts_with(b"#"))
                    .map(|l| String::from_utf8_lossy(l).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ");
                protos.push(Inserted {
                    text: text.split_whitespace().collect::<Vec<_>>().join(" "),
                    above: next,
                    line: line.take(),
                });
                pending.clear();
            }
        }
        assert!(
            pending.is_empty(),
            "line {next}: {:?} is neither the sketch nor a prototype:\n{shown}",
            pending
                .iter()
                .map(|l| String::from_utf8_lossy(l))
                .collect::<Vec<_>>()
        );
    }
    assert_eq!(
        next,
        src.len() + 1,
        "sketch line {next} is missing:\n{shown}"
    );
    // Each prototype is under a `#line` naming a sketch line (its definition's).
    for p in &protos {
        assert!(
            p.line.is_some_and(|n| n >= 1 && n <= src.len()),
            "{p:?} has no #line of its own:\n{shown}"
        );
    }
    protos
}

fn pre(sketch: &str) -> String {
    let out = preprocess(sketch.as_bytes(), INO);
    check_line_map(sketch.as_bytes(), &out);
    String::from_utf8(out).unwrap()
}

fn inserted(sketch: &str) -> Vec<Inserted> {
    check_line_map(sketch.as_bytes(), &preprocess(sketch.as_bytes(), INO))
}

/// The prototypes with the sketch line they are put above.
fn protos(sketch: &str) -> Vec<(String, usize)> {
    inserted(sketch)
        .into_iter()
        .map(|p| (p.text, p.above))
        .collect()
}

/// The prototypes' texts.
fn names(sketch: &str) -> Vec<String> {
    inserted(sketch).into_iter().map(|p| p.text).collect()
}

/// A stand-in for Particle.h: just what the test sketches call.
const PARTICLE_H: &str = "#pragma once\n#include <stdint.h>\n#include <stddef.h>\nvoid setup(); void loop();\nvoid pinMode(int, int);\nvoid digitalWrite(int, int);\nvoid delay(unsigned);\n#define D7 7\n#define OUTPUT 1\n";

/// Compiles the generated C++ with arm-none-eabi-g++ (`-std=gnu++14`, as Device OS does) with
/// `-D` `defines`: Ok, or gcc's messages and the C++.
fn compile(sketch: &[u8], defines: &[&str]) -> Result<(), String> {
    let Some(gxx) = crate::tool::which("arm-none-eabi-g++") else {
        panic!("arm-none-eabi-g++ is needed (apt-get install gcc-arm-none-eabi)");
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Particle.h"), PARTICLE_H).unwrap();
    let out = preprocess(sketch, INO);
    check_line_map(sketch, &out);
    let cpp = dir.path().join("app.cpp");
    std::fs::write(&cpp, &out).unwrap();
    let run = std::process::Command::new(&gxx)
        .args([
            "-fsyntax-only",
            "-std=gnu++14",
            "-fno-exceptions",
            "-fno-rtti",
            "-I",
        ])
        .arg(dir.path())
        .args(defines.iter().map(|d| format!("-D{d}")))
        .arg(&cpp)
        .output()
        .unwrap();
    if run.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}\n{}",
            String::from_utf8_lossy(&run.stderr),
            String::from_utf8_lossy(&out)
        ))
    }
}

/// Asserts the sketch's C++ compiles with each set of defines.
fn compiles(sketch: &str, configs: &[&[&str]]) {
    for defines in configs {
        if let Err(e) = compile(sketch.as_bytes(), defines) {
            panic!("does not compile with {defines:?}:\n{e}");
        }
    }
}

/// The sketch lines gcc reports errors on (it must fail).
fn error_lines(sketch: &str, defines: &[&str]) -> Vec<usize> {
    let err = compile(sketch.as_bytes(), defines).expect_err("compiles");
    let err = &err[..err.find("\n/* THIS IS A GENERATED").unwrap_or(err.len())];
    let mut lines: Vec<usize> = err
        .lines()
        .filter(|l| l.contains(": error"))
        .map(|l| {
            let rest = l
                .strip_prefix(&format!("{INO}:"))
                .unwrap_or_else(|| panic!("{l}\n{err}"));
            rest.split(':').next().unwrap().parse().unwrap()
        })
        .collect();
    lines.dedup();
    lines
}

#[test]
fn adds_particle_h_unless_the_sketch_includes_it() {
    let out = pre("void setup() {}\nvoid loop() {}\n");
    assert!(out.contains("#include \"Particle.h\"\n#line 1 \"/p/src/app.ino\"\n"));
    for inc in [
        "#include \"Particle.h\"",
        "#include <application.h>",
        "  # include \"Arduino.h\"",
    ] {
        let out = pre(&format!("{inc}\nvoid setup() {{}}\nvoid loop() {{}}\n"));
        assert_eq!(out.matches("include").count(), 1, "{out}");
    }
    // In a comment it does not count.
    let out = pre("// #include \"Particle.h\"\nvoid setup() {}\n");
    assert_eq!(out.matches("#include \"Particle.h\"").count(), 2, "{out}");
}

#[test]
fn no_preprocessor_pragma_only_comments_that_line_out() {
    let sketch = "#pragma PARTICLE_NO_PREPROCESSOR\n#include \"Particle.h\"\nvoid setup() { f(); }\nvoid f() {}\n";
    let out = String::from_utf8(preprocess(sketch.as_bytes(), INO)).unwrap();
    assert!(out.contains("#line 1 \"/p/src/app.ino\"\n// #pragma PARTICLE_NO_PREPROCESSOR\n"));
    assert!(!out.contains("void f();"), "{out}");
    assert!(out.ends_with(&sketch["#pragma PARTICLE_NO_PREPROCESSOR\n".len()..]));
    let out = String::from_utf8(preprocess(
        b"  #pragma SPARK_NO_PREPROCESSOR\nvoid f() {}\n",
        INO,
    ))
    .unwrap();
    assert!(
        out.contains("\n  // #pragma SPARK_NO_PREPROCESSOR\n"),
        "{out}"
    );
}

#[test]
fn prototypes_go_below_the_includes_before_the_first_statement() {
    let sketch = "#include \"Particle.h\"\n#include \"lib.h\"\n\nint led = D7;\n\nvoid setup() { blink(3); }\nvoid loop() {}\nvoid blink(int n) {\n  digitalWrite(led, n);\n}\n";
    pre(sketch);
    assert_eq!(
        protos(sketch),
        [
            ("void setup();".to_string(), 4),
            ("void loop();".to_string(), 4),
            ("void blink(int n);".to_string(), 4)
        ]
    );
}

#[test]
fn a_signature_with_a_type_of_the_sketch_goes_below_that_type() {
    let sketch = "int counter;\nstruct Reading {\n  int value;\n};\ntypedef enum { OFF, ON } Mode;\nusing Callback = void (*)(int);\nvoid setup() { show(Reading{1}); set(ON); }\nvoid show(Reading r) { counter = r.value; }\nvoid set(Mode m) {}\nvoid call(Callback cb) { cb(1); }\nvoid loop() {}\n";
    pre(sketch);
    assert_eq!(
        protos(sketch),
        [
            ("void setup();".to_string(), 1),
            ("void loop();".to_string(), 1),
            ("void show(Reading r);".to_string(), 5),
            ("void set(Mode m);".to_string(), 6),
            ("void call(Callback cb);".to_string(), 7),
        ]
    );
}

#[test]
fn a_constant_in_a_default_argument_goes_first() {
    let sketch = "const int LED = 7;\nint table[4];\nvoid setup() { blink(); }\nvoid blink(int pin = LED, int t[4] = table) {}\n";
    let out = pre(sketch);
    assert_eq!(
        protos(sketch),
        [
            ("void setup();".to_string(), 1),
            (
                "void blink(int pin = LED, int t[4] = table);".to_string(),
                3
            )
        ]
    );
    // The definition keeps its columns, without the defaults.
    assert!(
        out.contains("\nvoid blink(int pin      , int t[4]        ) {}\n"),
        "{out}"
    );
}

#[test]
fn templates_multiline_signatures_and_braces_in_comments_and_strings() {
    let sketch = r#"/* a { in a comment */
const char* msg = "} not a brace {";
char c = '{';
long big = 1'000'000;
template <typename T>
T twice(T x) { return x + x; }

static int
add(int a, // the first
    int b /* the second */)
{
    return a + b; // }
}
auto lambda = []() { return "{"; };
void setup() { add(twice(1), 2); }
"#;
    let out = pre(sketch);
    let got: Vec<String> = protos(sketch).into_iter().map(|p| p.0).collect();
    assert_eq!(
        got,
        [
            "template <typename T> T twice(T x);",
            "static int add(int a, int b );",
            "void setup();"
        ],
        "{out}"
    );
}

#[test]
fn members_namespaces_operators_and_declared_functions_get_none() {
    let sketch = "class A {\npublic:\n  void f();\n  int g() { return 1; }\n};\nvoid A::f() {}\nbool operator==(const A&, const A&) { return true; }\nnamespace ns {\nvoid inner() {}\n}\nvoid declared(int x);\nvoid declared(int x) {}\nextern \"C\" {\nvoid c_side(void) {}\n}\nvoid last() {}\n";
    let out = pre(sketch);
    let got: Vec<String> = protos(sketch).into_iter().map(|p| p.0).collect();
    assert_eq!(
        got,
        ["extern \"C\" void c_side(void);", "void last();"],
        "{out}"
    );
    // c_side's prototype takes the block's linkage and goes above it, with the others.
    let proto_at = out.find("extern \"C\" void c_side(void);").unwrap();
    assert!(out[proto_at..].contains("extern \"C\" {"), "{out}");
}

#[test]
fn line_map_survives_crlf_and_no_final_newline() {
    let sketch = "void setup() {\r\n  go();\r\n}\r\nvoid go() {}";
    let out = pre(sketch);
    assert!(out.ends_with("void go() {}\n"), "{out:?}");
    assert!(out.contains("void go();"), "{out}");
}

#[test]
fn garbage_never_panics() {
    for s in [
        "",
        "{",
        "}",
        "(",
        "\"",
        "'",
        "/*",
        "#",
        "R\"(",
        "void f(",
        "void f() {",
        ") {",
        "= {",
        "struct {",
        "typedef",
        "}}}}{{{",
        "#include",
        "a::b() {}",
        "template<",
        "\\\n#x",
        "#if 0",
        "#else\n#endif\n#endif",
        "#if 0\n#else\nvoid f() {}",
        "#ifdef A\nvoid f() {\n#else\nvoid f(int) {\n#endif\n}",
        "template <",
        "template <> void f<int>(int) {}",
        "void (*",
        "void (*f(",
        "[[",
        "__attribute__((",
        "extern \"C\" {",
        "#define M(x)\nM(",
    ] {
        let _ = preprocess(s.as_bytes(), INO);
    }
}

/// The generated C++ compiles with the cross compiler, against a tiny stand-in for Particle.h.
#[test]
fn generated_code_compiles() {
    let sketches = [
        "int led = D7;\nvoid setup() { blink(3); pinMode(led, OUTPUT); }\nvoid loop() { delay(1); }\nvoid blink(int n) { digitalWrite(led, n); }\n",
        "struct P { int x; };\nvoid setup() { use(P{1}); }\nvoid loop() {}\nvoid use(P p) { delay(p.x); }\n",
        "const int LED = 7;\nvoid setup() { on(); on(LED); }\nvoid loop() {}\nvoid on(int pin = LED, bool\n  hi = true) { digitalWrite(pin, hi); }\n",
        "void setup() { twice(2); }\nvoid loop() {}\ntemplate <typename T>\nT twice(T x) { return x + x; }\n",
        "enum class Mode : uint8_t { Off, On };\nvoid setup() { set(Mode::On); }\nvoid loop() {}\nvoid set(Mode m) { (void)m; }\n",
        "typedef struct { int x; int y; } Point;\nvoid setup() { Point p = {1, 2}; move(p); }\nvoid loop() {}\nvoid move(Point p) { delay(p.x); }\n",
        "struct Node { int v; };\nNode nodes[2];\nvoid setup() { first()->v = 1; }\nvoid loop() {}\nNode* first() { return &nodes[0]; }\n",
        "int buf[4];\nvoid setup() { fill(buf, 4); }\nvoid loop() {}\nvoid fill(int (&a)[4], int n) { a[0] = n; }\n",
        "class B {\npublic:\n  void run();\n};\nB b;\nvoid setup() { b.run(); helper(); }\nvoid loop() {}\nvoid B::run() { delay(1); }\nvoid helper() {}\n",
    ];
    for sketch in sketches {
        compiles(sketch, &[&[]]);
    }
    // An error on line N of the sketch is reported on line N of the .ino.
    let bad =
        "void setup() { later(); }\n\nvoid loop() {}\nvoid later() {\n  undeclared_thing();\n}\n";
    let err = compile(bad.as_bytes(), &[]).unwrap_err();
    assert!(err.contains("/p/src/app.ino:5:3: error"), "{err}");
}

// Defect 1: an `#include` in a conditional block, then a statement in that block.
#[test]
fn an_include_in_a_conditional_does_not_pull_prototypes_into_it() {
    let sketch = "#include \"Particle.h\"\n#if defined(USE_EXTRA)\n#include \"extra.h\"\nExtra extra;\n#else\nint fallback = 0;\n#endif\nvoid setup() { go(); }\nvoid loop() {}\nvoid go() { fallback++; }\n";
    assert_eq!(
        protos(sketch),
        [
            ("void setup();".to_string(), 8),
            ("void loop();".to_string(), 8),
            ("void go();".to_string(), 8),
        ]
    );
    compiles(sketch, &[&[]]);
    // The same with the include alone in its block and a later error on its own line.
    let sketch = "#if defined(USE_EXTRA)\n#include \"extra.h\"\n#endif\nvoid setup() { go(); }\nvoid loop() {}\nvoid go() { oops(); }\n";
    assert_eq!(error_lines(sketch, &[]), [6]);
}

// Defect 2: `template <…, int N = 10>` was taken for an initialiser.
#[test]
fn a_default_template_argument_does_not_end_prototypes() {
    let sketch = "struct P { int x; };\ntemplate <typename T, int N = 10>\nT scale(T x) { return x * N; }\nvoid setup() { show(P{scale(1)}); later(); }\nvoid loop() {}\nvoid show(P p) { (void)p; }\nvoid later() {}\n";
    assert_eq!(
        protos(sketch),
        [
            (
                "template <typename T, int N = 10> T scale(T x);".to_string(),
                1
            ),
            ("void setup();".to_string(), 1),
            ("void loop();".to_string(), 1),
            ("void later();".to_string(), 1),
            ("void show(P p);".to_string(), 2),
        ]
    );
    compiles(sketch, &[&[]]);
    // Default template arguments with `>` in parentheses and nested templates.
    let sketch = "template <typename T> struct Box { T v; };\ntemplate <typename T = Box<int>, int N = (3 > 2)>\nT make() { return T{}; }\nvoid setup() { make(); later(); }\nvoid loop() {}\nvoid later() {}\n";
    compiles(sketch, &[&[]]);
}

// Defect 3: functions that are not compiled got prototypes.
#[test]
fn functions_in_a_dead_block_get_no_prototype() {
    let sketch = "#if 0\nvoid old(Missing m) { this is not code }\n#include \"Particle.h\"\n#else\nvoid alive() {}\n#endif\nvoid setup() { now(); alive(); }\nvoid loop() {}\nvoid now() {}\n";
    let out = pre(sketch);
    assert_eq!(
        names(sketch),
        [
            "void alive();",
            "void setup();",
            "void loop();",
            "void now();"
        ],
        "{out}"
    );
    // The include in the dead block does not count.
    assert!(out.starts_with("/* THIS IS A GENERATED FILE"));
    assert!(out.contains("\n#include \"Particle.h\"\n#line 1 "), "{out}");
    compiles(sketch, &[&[]]);
}

// Defect 3: alternative definitions each get their prototype under their own condition.
#[test]
fn alternative_definitions_get_prototypes_under_their_condition() {
    let sketch = "void setup() { speed(); }\nvoid loop() {}\n#ifdef FAST\nint speed(int x = 2) { return x * 2; }\n#elif defined(SLOW)\nint speed(long x = 1) { return (int)x; }\n#else\nint speed() { return 0; }\n#endif\nvoid after() { speed(); }\n";
    compiles(sketch, &[&[], &["FAST"], &["SLOW"]]);
    let sketch = "#define USE_GO\nvoid setup() { go(); }\nvoid loop() {}\n#ifdef USE_GO\nvoid go() {}\n#endif\n";
    compiles(sketch, &[&[]]);
    // A macro the condition names, defined below the first spot: the prototype goes below it
    // (above, `#ifdef HAVE_B` would be false).
    let sketch =
        "void setup() {}\n#define HAVE_B\nvoid a() { b(); }\n#ifdef HAVE_B\nvoid b() {}\n#endif\n";
    assert_eq!(protos(sketch)[2], ("void b();".to_string(), 3));
    compiles(sketch, &[&[]]);
}

// Defect 3: every inserted line is under a `#line` that names a sketch line: an error in a
// prototype is reported on its definition's line.
#[test]
fn an_error_in_a_prototype_points_at_its_definition() {
    let sketch = "void setup() {}\nvoid loop() {}\n\nvoid f(Unknown u) {}\n";
    let got: Vec<_> = inserted(sketch)
        .into_iter()
        .map(|p| (p.text, p.line))
        .collect();
    assert_eq!(
        got,
        [
            ("void setup();".to_string(), Some(1)),
            ("void loop();".to_string(), Some(2)),
            ("void f(Unknown u);".to_string(), Some(4)),
        ]
    );
    assert_eq!(error_lines(sketch, &[]), [4]);
}

// Defect 3: prototypes inside a block that is skipped must not shift the lines after it.
#[test]
fn line_numbers_stay_right_after_a_skipped_block_with_prototypes() {
    let sketch = "#ifdef EXTRA\nstruct Extra { int v; };\nvoid setup() { use(Extra{1}); }\nvoid use(Extra e) { (void)e; }\n#else\nvoid setup() {}\n#endif\nvoid loop() { oops(); }\n";
    assert_eq!(error_lines(sketch, &[]), [8]);
    assert_eq!(error_lines(sketch, &["EXTRA"]), [8]);
}

// Defect 4: a leading attribute hid the function.
#[test]
fn leading_attributes_keep_their_prototype() {
    let sketch = "void setup() { a(1); b(); c(); d(); e(); }\nvoid loop() {}\n__attribute__((noinline)) int a(int x) { return x; }\n[[nodiscard]] int b() { return 1; }\n[[gnu::always_inline]] inline int c() { return 2; }\nint __attribute__((unused)) d() { return 3; }\nstatic __attribute__((always_inline)) inline int e() { return 4; }\n";
    assert_eq!(
        names(sketch),
        [
            "void setup();",
            "void loop();",
            "__attribute__((noinline)) int a(int x);",
            "[[nodiscard]] int b();",
            "[[gnu::always_inline]] inline int c();",
            "int __attribute__((unused)) d();",
            "static __attribute__((always_inline)) inline int e();",
        ]
    );
    compiles(sketch, &[&[]]);
}

// Defect 5: bytes that are not UTF-8 reach the C++ unchanged.
#[test]
fn bytes_that_are_not_utf8_pass_through() {
    let sketch = b"// caf\xe9\nconst char* s = \"caf\xe9\";\nvoid setup() { go(\"\xff\"); }\nvoid loop() {}\nvoid go(const char* t = \"\xe9\") { (void)t; }\n";
    let out = preprocess(sketch, INO);
    let got: Vec<String> = check_line_map(sketch, &out)
        .into_iter()
        .map(|p| p.text)
        .collect();
    assert_eq!(got.len(), 3, "{got:?}");
    for want in [
        &b"\"caf\xe9\""[..],
        b"// caf\xe9\n",
        b"go(\"\xff\")",
        b"= \"\xe9\");",
    ] {
        assert!(
            out.windows(want.len()).any(|w| w == want),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }
    assert_eq!(compile(sketch, &[]), Ok(()));
}

#[test]
fn overloads_get_one_prototype_each() {
    let sketch = "void setup() { show(1); show(1.5f); show(\"x\"); }\nvoid loop() {}\nvoid show(int v) { (void)v; }\nvoid show(float v) { (void)v; }\nvoid show(const char* s, int n = 0) { (void)s; (void)n; }\n";
    assert_eq!(
        names(sketch),
        [
            "void setup();",
            "void loop();",
            "void show(int v);",
            "void show(float v);",
            "void show(const char* s, int n = 0);",
        ]
    );
    compiles(sketch, &[&[]]);
}

#[test]
fn specifiers_static_inline_constexpr_noexcept_and_extern_c() {
    let sketch = "void setup() { a(); b(); c(); d(); e(); g(); h(1); }\nvoid loop() {}\nstatic int a() { return 1; }\ninline int b() { return 2; }\nconstexpr int c() { return 3; }\nint d() noexcept { return 4; }\nextern \"C\" int e() { return 5; }\nextern \"C\" {\nint g(void) { return 6; }\n}\nstatic inline constexpr int h(int x) noexcept { return x; }\n";
    assert_eq!(
        names(sketch),
        [
            "void setup();",
            "void loop();",
            "static int a();",
            "inline int b();",
            "constexpr int c();",
            "int d() noexcept;",
            "extern \"C\" int e();",
            "extern \"C\" int g(void);",
            "static inline constexpr int h(int x) noexcept;",
        ]
    );
    compiles(sketch, &[&[]]);
}

#[test]
fn function_pointer_reference_pointer_and_const_return_types() {
    let sketch = "typedef void (*Handler)(int);\nvoid on(int) {}\nvoid off(int) {}\nvoid setup() { pick(1)(2); ref() = 3; name(); big(); handler(); cp(); }\nvoid loop() {}\nvoid (*pick(int which))(int) { return which ? on : off; }\nint counter;\nint& ref() { return counter; }\nconst char* name() { return \"n\"; }\nunsigned long big() { return 1UL; }\nHandler handler() { return on; }\nconst int *const\ncp() { static int v; return &v; }\n";
    assert_eq!(
        names(sketch),
        [
            "void on(int);",
            "void off(int);",
            "void setup();",
            "void loop();",
            "void (*pick(int which))(int);",
            "int& ref();",
            "const char* name();",
            "unsigned long big();",
            "const int *const cp();",
            "Handler handler();",
        ]
    );
    compiles(sketch, &[&[]]);
}

#[test]
fn a_macro_that_defines_a_function_does_not_hide_the_next_one() {
    let sketch = "#define MAKE(name) void name() {}\nvoid setup() { helper(); }\nvoid loop() {}\nMAKE(foo)\nvoid helper() { foo(); }\nMAKE(bar);\nvoid last() { bar(); }\n";
    assert_eq!(
        names(sketch),
        [
            "void setup();",
            "void loop();",
            "void helper();",
            "void last();"
        ]
    );
    compiles(sketch, &[&[]]);
}

#[test]
fn unicode_identifiers() {
    let sketch = "void setup() { grüßen(); 温度(); }\nvoid loop() {}\nvoid grüßen() {}\nint 温度() { return 20; }\n";
    assert_eq!(
        names(sketch),
        [
            "void setup();",
            "void loop();",
            "void grüßen();",
            "int 温度();"
        ]
    );
    compiles(sketch, &[&[]]);
}

#[test]
fn default_arguments_with_commas_parentheses_and_strings() {
    let sketch = "struct Pair { int a, b; };\nint mx(int a, int b) { return a > b ? a : b; }\nvoid setup() { log(); log(\"x\"); }\nvoid loop() {}\nvoid log(const char* s = \"a, (b) = \\\"c\\\"\", int n = mx(1, (2)),\n         Pair p = {1, 2}, char c = ',', int m = (1 < 2)) { (void)s; (void)n; (void)p; (void)c; (void)m; }\n";
    let out = pre(sketch);
    // The prototype has the defaults, the definition has them blanked.
    for default in [
        "= \"a, (b) = \\\"c\\\"\"",
        "= mx(1, (2))",
        "= {1, 2}",
        "= ','",
        "= (1 < 2)",
    ] {
        assert_eq!(out.matches(default).count(), 1, "{default}\n{out}");
    }
    compiles(sketch, &[&[]]);
}

#[test]
fn file_level_lambdas_and_existing_declarations() {
    let sketch = "auto twice = [](int x) { return x * 2; };\nauto add = [](int a, int b) -> int { return a + b; };\nvoid later(int n);\nvoid setup() { later(twice(add(1, 2))); other(); }\nvoid loop() {}\nvoid later(int n) { (void)n; }\nvoid other() {}\n";
    assert_eq!(
        names(sketch),
        ["void setup();", "void loop();", "void other();"]
    );
    compiles(sketch, &[&[]]);
}

#[test]
fn class_members_and_namespaces_get_none() {
    let sketch = "class Led {\npublic:\n  explicit Led(int pin) : pin_(pin) {}\n  void on() const { digitalWrite(pin_, 1); }\n  static int count() { return 1; }\nprivate:\n  int pin_;\n};\nstruct Point { int x = 0; int norm() const { return x; } };\nnamespace util {\nint clamp(int v) { return v < 0 ? 0 : v; }\nint twice(int v) { return clamp(v) * 2; }\n}\nLed led(7);\nvoid setup() { led.on(); util::twice(1); helper(); }\nvoid loop() {}\nvoid helper() {}\n";
    assert_eq!(
        names(sketch),
        ["void setup();", "void loop();", "void helper();"]
    );
    compiles(sketch, &[&[]]);
}
