//! Tests of the `.ino` preprocessor (`ino`): prototypes, includes, `#line`, and compiling its
//! output with the real arm-none-eabi-g++ where it is installed.

use super::*;

const INO: &str = "/p/src/app.ino";

/// The output as `#line` segments: (N, the lines that follow up to the next `#line`).
fn segments(out: &str) -> Vec<(usize, Vec<&str>)> {
    let mut v: Vec<(usize, Vec<&str>)> = Vec::new();
    for l in out.lines() {
        if let Some(rest) = l.strip_prefix("#line ") {
            let (n, file) = rest.split_once(' ').unwrap();
            assert_eq!(file, format!("\"{INO}\""));
            v.push((n.parse().unwrap(), Vec::new()));
        } else if let Some(last) = v.last_mut() {
            last.1.push(l);
        }
    }
    v
}

/// Each segment holds sketch lines N.. up to the next segment's N, then inserted prototypes.
/// Sketch lines are unchanged up to blanked default arguments (same length); every sketch line
/// appears once. Returns the prototypes with the sketch line they are put above.
fn check_line_map(sketch: &str, out: &str) -> Vec<(String, usize)> {
    let src: Vec<&str> = sketch.lines().collect();
    let segs = segments(out);
    let mut next_line = 1;
    let mut protos = Vec::new();
    for (k, (n, lines)) in segs.iter().enumerate() {
        assert_eq!(*n, next_line, "segment {k} starts at line {n}:\n{out}");
        let count = segs.get(k + 1).map(|s| s.0 - n).unwrap_or(lines.len());
        assert!(lines.len() >= count, "segment {k} is short:\n{out}");
        for (j, l) in lines[..count].iter().enumerate() {
            let want = src[n - 1 + j];
            assert_eq!(l.len(), want.len(), "line {} changed length:\n{out}", n + j);
            let kept = l
                .bytes()
                .zip(want.bytes())
                .all(|(a, b)| a == b || a == b' ');
            assert!(kept, "line {}: {l:?} is not {want:?}\n{out}", n + j);
        }
        for p in &lines[count..] {
            assert!(
                p.ends_with(';'),
                "inserted line {p:?} is not a prototype:\n{out}"
            );
            protos.push((p.to_string(), n + count));
        }
        next_line = n + count;
    }
    assert_eq!(next_line, src.len() + 1, "{out}");
    protos
}

fn pre(sketch: &str) -> String {
    let out = preprocess(sketch, INO);
    check_line_map(sketch, &out);
    out
}

fn protos(sketch: &str) -> Vec<(String, usize)> {
    check_line_map(sketch, &preprocess(sketch, INO))
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
    let out = preprocess(sketch, INO);
    assert!(out.contains("#line 1 \"/p/src/app.ino\"\n// #pragma PARTICLE_NO_PREPROCESSOR\n"));
    assert!(!out.contains("void f();"), "{out}");
    assert!(out.ends_with(&sketch["#pragma PARTICLE_NO_PREPROCESSOR\n".len()..]));
    let out = preprocess("  #pragma SPARK_NO_PREPROCESSOR\nvoid f() {}\n", INO);
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
    assert_eq!(got, ["void last();", "void c_side(void);"], "{out}");
    // c_side's prototype stays inside the extern "C" block.
    let proto_at = out.find("void c_side(void);").unwrap();
    assert!(out[..proto_at].contains("extern \"C\" {"), "{out}");
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
    ] {
        let _ = preprocess(s, INO);
    }
}

/// The generated C++ compiles with the cross compiler, against a tiny stand-in for Particle.h.
#[test]
fn generated_code_compiles() {
    let Some(gxx) = crate::tool::which("arm-none-eabi-g++") else {
        panic!("arm-none-eabi-g++ is needed (apt-get install gcc-arm-none-eabi)");
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Particle.h"),
        "#pragma once\n#include <stdint.h>\nvoid setup(); void loop();\nvoid pinMode(int, int);\nvoid digitalWrite(int, int);\nvoid delay(unsigned);\n#define D7 7\n#define OUTPUT 1\n",
    )
    .unwrap();
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
    for (k, sketch) in sketches.iter().enumerate() {
        let cpp = dir.path().join(format!("s{k}.cpp"));
        std::fs::write(&cpp, pre(sketch)).unwrap();
        let out = std::process::Command::new(&gxx)
            .args(["-fsyntax-only", "-std=gnu++14", "-I"])
            .arg(dir.path())
            .arg(&cpp)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "sketch {k} does not compile:\n{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&cpp).unwrap()
        );
    }
    // An error on line N of the sketch is reported on line N of the .ino.
    let cpp = dir.path().join("bad.cpp");
    std::fs::write(
        &cpp,
        preprocess(
            "void setup() { later(); }\n\nvoid loop() {}\nvoid later() {\n  undeclared_thing();\n}\n",
            INO,
        ),
    )
    .unwrap();
    let out = std::process::Command::new(&gxx)
        .args(["-fsyntax-only", "-I"])
        .arg(dir.path())
        .arg(&cpp)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/p/src/app.ino:5:3: error"), "{err}");
}

#[test]
fn zz_probe() {
    for s in [
        "#include \"Particle.h\"\n#if defined(X)\n#include \"x.h\"\n#endif\nvoid setup() { go(); }\nvoid loop() {}\nvoid go() {}\n",
        "#include \"Particle.h\"\n#if defined(X)\n#include \"x.h\"\n#endif\n\nint a;\nvoid setup() { go(); }\nvoid loop() {}\nvoid go() {}\n",
        "struct P { int x; };\ntemplate <typename T, int N = 10>\nT scale(T x) { return x * N; }\nvoid setup() { show(P{1}); later(); }\nvoid loop() {}\nvoid show(P p) { (void)p; }\nvoid later() {}\n",
        "void setup() { a(1); b(); c(); }\nvoid loop() {}\n__attribute__((noinline)) int a(int x) { return x; }\n[[nodiscard]] int b() { return 1; }\n[[gnu::always_inline]] inline int c() { return 2; }\n",
    ] {
        eprintln!("=====\n{}", preprocess(s, INO));
    }
}
