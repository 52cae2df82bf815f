//! The fuzz corpus and every crash the fuzzers found, replayed through the same bodies the fuzz
//! targets run (`pbuild::fuzzing`): a regression test on stable Rust, without libFuzzer.

use std::path::Path;

#[test]
fn fuzz_corpus_and_regressions_replay_without_panics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for (name, body) in pbuild::fuzzing::TARGETS {
        let mut inputs = 0;
        for sub in ["corpus", "regressions"] {
            let Ok(dir) = std::fs::read_dir(root.join(sub).join(name)) else {
                continue;
            };
            for e in dir {
                let path = e.unwrap().path();
                if path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                {
                    continue;
                }
                let data = std::fs::read(&path).unwrap();
                let result = std::panic::catch_unwind(|| body(&data));
                assert!(result.is_ok(), "{name}: {} panics", path.display());
                inputs += 1;
            }
        }
        assert!(inputs > 0, "no corpus for the fuzz target {name}");
        replayed += inputs;
    }
    eprintln!("replayed {replayed} fuzz inputs");
}
