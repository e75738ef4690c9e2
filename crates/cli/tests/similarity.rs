//! `byzvote similarity`: the real binary on a paraphrase and a contradiction (when the
//! embedder is installed), and its error when it is not.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_byzvote");

fn byzvote(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .expect("run byzvote")
}

fn installed() -> bool {
    let Ok(dir) = byzvote_builtin::models_dir(None) else {
        return false;
    };
    let name = byzvote_builtin::catalog::MINILM.name;
    let present = byzvote_builtin::list(&dir)
        .iter()
        .any(|m| m.name == name && m.present);
    if !present {
        eprintln!(
            "SKIPPED: {name} is not installed in {} (run `byzvote models fetch` or set BYZVOTE_MODELS_DIR)",
            dir.display()
        );
    }
    present
}

fn json(a: &str, b: &str) -> serde_json::Value {
    let out = byzvote(&["similarity", "--json", a, b]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn similarity_agrees_on_a_paraphrase_and_splits_a_contradiction() {
    if !installed() {
        return;
    }
    let para = json(
        "The capital of Australia is Canberra.",
        "Canberra is Australia's capital city.",
    );
    eprintln!("paraphrase: {para}");
    assert_eq!(para["agree"], true, "{para}");
    assert!(para["cosine"].as_f64().unwrap() > 0.8, "{para}");
    assert!(para["reason"].as_str().unwrap().starts_with("same meaning"));

    let contra = json("17 is a prime number.", "17 is not a prime number.");
    eprintln!("contradiction: {contra}");
    assert_eq!(contra["agree"], false, "{contra}");
    let cos = contra["cosine"].as_f64().unwrap();
    assert!(
        (cos - 0.96).abs() < 0.02,
        "the issue's measured cosine: {cos}"
    );
    assert!(
        contra["reason"]
            .as_str()
            .unwrap()
            .contains("opposite polarity")
    );

    // The plain form, and a threshold above the paraphrase's cosine.
    let out = byzvote(&[
        "similarity",
        "--threshold",
        "0.999",
        "The capital of Australia is Canberra.",
        "Canberra is Australia's capital city.",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("verdict disagree under semantic:0.999"),
        "{text}"
    );
    assert!(text.contains("different meaning: cosine"), "{text}");
}

#[test]
fn similarity_without_weights_says_to_fetch_them() {
    let empty = std::env::temp_dir().join(format!("byzvote-no-models-{}", std::process::id()));
    let out = byzvote(&[
        "similarity",
        "--models-dir",
        empty.to_str().unwrap(),
        "a",
        "b",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("run `byzvote models fetch`"), "{err}");
}

#[test]
fn similarity_rejects_a_bad_threshold() {
    let out = byzvote(&["similarity", "--threshold", "1.5", "a", "b"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("e.g. semantic:0.85"), "{err}");
}
