//! Stable replay: every seed and every saved crash of every target runs through the same
//! function the fuzzer calls, so the corpora are exercised without nightly or libFuzzer.

use std::path::Path;

#[test]
fn corpora_and_regressions_replay_without_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut total = 0;
    for (name, target) in byzvote_fuzz::TARGETS {
        let seeds = byzvote_fuzz::replay_dir(*target, &root.join("corpus").join(name)).unwrap();
        assert!(
            seeds > 0,
            "target {name} has no seed corpus: run the make_seeds example"
        );
        let fixed =
            byzvote_fuzz::replay_dir(*target, &root.join("regressions").join(name)).unwrap();
        total += seeds + fixed;
    }
    eprintln!("replayed {total} inputs");
}
