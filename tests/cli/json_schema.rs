//! `--message-format json` against its schema (`docs/json.md`, issue 15 item 15): the tables of
//! that page are read here, and every line every command prints must be an object whose `reason`
//! is documented, whose fields are all documented with the right type, and which has every field
//! documented as always present. The runs together must print every documented reason.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

struct Field {
    kind: String,
    nullable: bool,
    always: bool,
}

/// reason → field → what docs/json.md says of it.
fn schema() -> BTreeMap<String, BTreeMap<String, Field>> {
    let text = std::fs::read_to_string(repo().join("docs/json.md")).unwrap();
    let mut out: BTreeMap<String, BTreeMap<String, Field>> = BTreeMap::new();
    let mut reason: Option<String> = None;
    for line in text.lines() {
        if let Some(r) = line.strip_prefix("### `").and_then(|r| r.strip_suffix('`')) {
            reason = Some(r.to_string());
            out.insert(r.to_string(), BTreeMap::new());
            continue;
        }
        let Some(r) = &reason else { continue };
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 5 || cells[1] == "field" || cells[1].starts_with("---") {
            continue;
        }
        let (kind, nullable) = match cells[2].strip_suffix('?') {
            Some(k) => (k.to_string(), true),
            None => (cells[2].to_string(), false),
        };
        assert!(
            ["string", "integer", "number", "bool", "array", "object"].contains(&kind.as_str()),
            "docs/json.md: `{r}`.{}: unknown type {kind}",
            cells[1]
        );
        out.get_mut(r).unwrap().insert(
            cells[1].to_string(),
            Field {
                kind,
                nullable,
                always: cells[3] == "always",
            },
        );
    }
    assert!(out.len() >= 15, "docs/json.md has {} reasons", out.len());
    out
}

fn type_ok(v: &serde_json::Value, f: &Field) -> bool {
    use serde_json::Value::*;
    match v {
        Null => f.nullable,
        Bool(_) => f.kind == "bool",
        Number(n) => f.kind == "number" || (f.kind == "integer" && (n.is_i64() || n.is_u64())),
        String(_) => f.kind == "string",
        Array(_) => f.kind == "array",
        Object(_) => f.kind == "object",
    }
}

/// Checks every stdout line of `what`; returns the reasons seen.
fn check(
    schema: &BTreeMap<String, BTreeMap<String, Field>>,
    what: &str,
    stdout: &str,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{what}: not a JSON line ({e}): {line}"));
        let obj = v
            .as_object()
            .unwrap_or_else(|| panic!("{what}: not an object: {line}"));
        let reason = obj["reason"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: {line}"));
        let fields = schema
            .get(reason)
            .unwrap_or_else(|| panic!("{what}: reason `{reason}` is not in docs/json.md: {line}"));
        for (k, val) in obj {
            let f = fields
                .get(k)
                .unwrap_or_else(|| panic!("{what}: `{reason}`.{k} is not in docs/json.md: {line}"));
            assert!(
                type_ok(val, f),
                "{what}: `{reason}`.{k} is {val}, docs/json.md says {}{}",
                f.kind,
                if f.nullable { "?" } else { "" }
            );
        }
        for (k, f) in fields {
            assert!(
                !f.always || obj.contains_key(k),
                "{what}: `{reason}` lacks `{k}`: {line}"
            );
        }
        // Paths are absolute.
        for k in ["bin", "elf", "dir", "path", "file"] {
            if let Some(p) = obj.get(k).and_then(|p| p.as_str())
                && !(reason == "device" && k == "path")
            {
                assert!(
                    Path::new(p).is_absolute(),
                    "{what}: `{reason}`.{k} is relative: {p}"
                );
            }
        }
        seen.insert(reason.to_string());
    }
    seen
}

#[test]
fn every_command_prints_only_documented_json_lines() {
    let schema = schema();
    let f = Fixture::new();
    let mut seen = BTreeSet::new();
    let mut run = |what: &str, args: &[&str], cwd: &Path| {
        let r = Run::of_command(
            f.command_at(&f.target_dir())
                .args(["--message-format", "json"])
                .args(args)
                .current_dir(cwd),
        );
        seen.extend(check(&schema, what, &r.stdout));
        r
    };
    let base = f.path().to_path_buf();
    let app = ["--platform", "p1", "--app", "blink"];
    fn with<'a>(app: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        app.iter().chain(extra).copied().collect()
    }
    assert_eq!(run("build", &with(&app, &["build"]), &base).code, 0);
    run("no platform", &["build"], &base);
    run("unknown flag", &["build", "--bogus"], &base);
    // A failed compile: no artifact line, a build-finished with `error`.
    let src = f.tree.join("user/applications/blink/blink.cpp");
    let good = std::fs::read_to_string(&src).unwrap();
    std::fs::write(&src, format!("{good}int broken( {{\n")).unwrap();
    let r = run("failed build", &with(&app, &["build"]), &base);
    assert!(!r.stdout.contains("\"artifact\""), "{}", r.stdout);
    std::fs::write(&src, good).unwrap();

    run(
        "sim create",
        &[
            "--platform",
            "p1",
            "sim",
            "create",
            base.join("dev").to_str().unwrap(),
        ],
        &base,
    );
    run(
        "sim status",
        &["sim", "status", base.join("dev").to_str().unwrap()],
        &base,
    );
    let dev = format!("sim:{}", base.join("dev").display());
    run("device", &["device", "--device", &dev], &base);
    run(
        "flash dry run",
        &with(&app, &["flash", "--device", &dev, "--dry-run"]),
        &base,
    );
    let r = run(
        "flash",
        &with(
            &app,
            &["flash", "--device", &dev, "--monitor", "--for", "2"],
        ),
        &base,
    );
    assert_eq!(
        r.stdout.matches("\"module\":\"user-part\"").count(),
        1,
        "{}",
        r.stdout
    );
    run(
        "flash refused",
        &[
            "--platform",
            "photon",
            "--app",
            "blink",
            "flash",
            "--device",
            &dev,
        ],
        &base,
    );
    std::fs::write(base.join("dev/unplugged"), "").unwrap();
    run(
        "flash without a device",
        &with(&app, &["flash", "--device", &dev]),
        &base,
    );
    let bin = f.target_dir().join("p1/blink.bin");
    run("inspect", &["inspect", bin.to_str().unwrap()], &base);
    run(
        "inspect a directory",
        &["inspect", base.to_str().unwrap()],
        &base,
    );
    run("doctor", &["doctor"], &base);
    run("cache stats", &["cache", "stats"], &base);
    run("cache clear", &["cache", "clear"], &base);
    run("new", &["new", base.join("fresh").to_str().unwrap()], &base);
    run("clean", &["--platform", "p1", "clean"], &base);
    run("preprocess", &["preprocess", "x.ino"], &base);

    // watch: until its first build line.
    let out_path = base.join("watch.json");
    let mut child = f
        .command_at(&f.target_dir())
        .args(["--message-format", "json"])
        .args(with(&app, &["watch"]))
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !std::fs::read_to_string(&out_path)
        .unwrap_or_default()
        .contains("watch-build")
    {
        assert!(Instant::now() < deadline, "no watch-build line");
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let _ = child.wait();
    seen.extend(check(
        &schema,
        "watch",
        &std::fs::read_to_string(&out_path).unwrap(),
    ));

    let missing: Vec<&String> = schema.keys().filter(|r| !seen.contains(*r)).collect();
    assert!(
        missing.is_empty(),
        "documented but never printed: {missing:?}"
    );
}
