//! Fetch tests against a fake `python3` that copies locally built wheels.

use super::*;

/// A wheel with one member, built in memory.
fn make_wheel(dir: &Path, name: &str, member: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    let file = std::fs::File::create(&path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    zip.start_file(member, zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(data).unwrap();
    zip.finish().unwrap();
    path
}

#[test]
fn extract_member_streams_and_hashes_and_reports_missing_members() {
    let tmp = tempfile::tempdir().unwrap();
    let wheel = make_wheel(tmp.path(), "w.whl", "pkg/data/part01.bin", b"hello world");
    let mut out = tempfile::tempfile().unwrap();
    let mut hasher = Sha256::new();
    let bar = Reporter::new(Progress::Quiet).bar("x", 11);
    extract_member(&wheel, "pkg/data/part01.bin", &mut out, &mut hasher, &bar).unwrap();
    assert_eq!(
        hex::encode(hasher.finalize()),
        "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
    );
    let err = extract_member(&wheel, "pkg/other", &mut out, &mut Sha256::new(), &bar).unwrap_err();
    assert!(matches!(err, BuiltinError::MissingMember { .. }), "{err}");
}

/// A stand-in for `python3` that "downloads" by copying every wheel of `wheels` into
/// `-d DIR`, and logs each requirement to `pip.log`.
fn fake_python(dir: &Path, wheels: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("fake-python");
    let script = format!(
        "#!/bin/sh\nwhile [ \"$1\" != -d ]; do shift; done\necho \"$3\" >> {}/pip.log\ncp {}/*.whl \"$2\"/\n",
        dir.display(),
        wheels.display()
    );
    // Written by a child process: a file this process held open for writing could be
    // inherited by a sibling test's fork and make executing it fail with ETXTBSY ("text
    // file busy", seen in CI) until that child execs.
    let draft = dir.join("fake-python.draft");
    std::fs::write(&draft, script).unwrap();
    std::fs::set_permissions(&draft, std::fs::Permissions::from_mode(0o755)).unwrap();
    let copied = std::process::Command::new("cp")
        .arg("-p")
        .arg(&draft)
        .arg(&path)
        .status()
        .unwrap();
    assert!(
        copied.success(),
        "cp {} {}",
        draft.display(),
        path.display()
    );
    path.display().to_string()
}

fn model(sha256: &'static str) -> ModelSpec {
    let art = Artifact {
        file: "model.bin",
        sources: &[
            Source {
                package: "chunk-part1",
                version: "1.0",
                member: "chunk_part1/data/a",
            },
            Source {
                package: "chunk-part2",
                version: "1.0",
                member: "chunk_part2/data/b",
            },
        ],
        sha256,
        size: 11,
    };
    ModelSpec {
        name: "test-model",
        vendor: "test",
        family: "test",
        licence: "none",
        arch: crate::catalog::Arch::Llama,
        artifacts: Box::leak(Box::new([art])),
        requantized: None,
    }
}

fn setup() -> (tempfile::TempDir, PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let wheels = tmp.path().join("wheels");
    std::fs::create_dir(&wheels).unwrap();
    make_wheel(
        &wheels,
        "chunk_part1-1.0-py3-none-any.whl",
        "chunk_part1/data/a",
        b"hello ",
    );
    make_wheel(
        &wheels,
        "chunk_part2-1.0-py3-none-any.whl",
        "chunk_part2/data/b",
        b"world",
    );
    let python = fake_python(tmp.path(), &wheels);
    let models = tmp.path().join("models");
    (tmp, models, python)
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

fn pip_calls(tmp: &tempfile::TempDir) -> usize {
    std::fs::read_to_string(tmp.path().join("pip.log")).map_or(0, |s| s.lines().count())
}

#[test]
fn chunks_are_concatenated_in_order_verified_and_then_skipped() {
    let (tmp, models, python) = setup();
    let m = model("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
    let mut report = FetchReport::default();
    fetch_model_with(&m, &models, Progress::Quiet, &mut report, &python).unwrap();
    assert_eq!(report.downloaded, vec!["model.bin".to_string()]);
    assert_eq!(
        std::fs::read(models.join("model.bin")).unwrap(),
        b"hello world"
    );
    assert_eq!(pip_calls(&tmp), 2);
    let mut again = FetchReport::default();
    fetch_model_with(&m, &models, Progress::Quiet, &mut again, &python).unwrap();
    assert_eq!(again.already_present, vec!["model.bin".to_string()]);
    assert_eq!(
        pip_calls(&tmp),
        2,
        "a verified file is not downloaded again"
    );
    assert!(leftovers(&models).is_empty(), "{:?}", leftovers(&models));
}

#[test]
fn a_hash_mismatch_is_refused_and_nothing_is_installed() {
    let (_tmp, models, python) = setup();
    let m = model("0000000000000000000000000000000000000000000000000000000000000000");
    let err = fetch_model_with(
        &m,
        &models,
        Progress::Quiet,
        &mut FetchReport::default(),
        &python,
    )
    .unwrap_err();
    assert!(matches!(err, BuiltinError::HashMismatch { .. }), "{err}");
    assert!(err.to_string().contains("refusing model.bin"), "{err}");
    assert!(!models.join("model.bin").exists());
    assert!(leftovers(&models).is_empty(), "{:?}", leftovers(&models));
}

#[test]
fn a_failing_pip_is_reported_with_the_requirement() {
    let (_tmp, models, _python) = setup();
    let err = fetch_model_with(
        &model("00"),
        &models,
        Progress::Quiet,
        &mut FetchReport::default(),
        "false",
    )
    .unwrap_err();
    assert!(err.to_string().contains("chunk-part1==1.0"), "{err}");
}
