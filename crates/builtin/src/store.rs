//! Where model files live, and what is installed.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::catalog::{Arch, CATALOG, ModelSpec};
use crate::error::BuiltinError;

/// Environment variable that overrides the models directory.
pub const MODELS_DIR_ENV: &str = "BYZVOTE_MODELS_DIR";

/// The models directory: `explicit` if given, else `$BYZVOTE_MODELS_DIR`, else the per-user
/// data directory (`~/.local/share/byzvote/models` on Linux).
pub fn models_dir(explicit: Option<&Path>) -> Result<PathBuf, BuiltinError> {
    if let Some(dir) = explicit {
        return Ok(dir.to_path_buf());
    }
    if let Some(dir) = std::env::var_os(MODELS_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::data_dir()
        .map(|d| d.join("byzvote").join("models"))
        .ok_or(BuiltinError::NoModelsDir)
}

/// What `byzvote models list` shows for one model.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ModelStatus {
    pub name: String,
    pub vendor: String,
    pub family: String,
    pub licence: String,
    /// `generator` or `embedder`.
    pub kind: String,
    /// Every file the model needs is in the directory with its pinned size (hashes are checked
    /// by `fetch`, not here, so that listing stays instant).
    pub present: bool,
    /// Bytes on disk of the files that are present.
    pub size: u64,
    /// The file that is loaded (the re-encoded GGUF for generators).
    pub path: PathBuf,
}

/// The status of every catalog model in `dir`.
pub fn list(dir: &Path) -> Vec<ModelStatus> {
    CATALOG.iter().map(|m| status(m, dir)).collect()
}

fn status(m: &ModelSpec, dir: &Path) -> ModelStatus {
    let mut needed: Vec<(&str, u64)> = m.artifacts.iter().map(|a| (a.file, a.size)).collect();
    if let Some(r) = m.requantized {
        // The download itself is only needed to produce the converted file.
        needed.retain(|(f, _)| Some(*f) != m.artifacts.first().map(|a| a.file));
        needed.push((r.file, r.size));
    }
    let mut present = true;
    let mut size = 0;
    for (file, want) in needed {
        match std::fs::metadata(dir.join(file)) {
            Ok(md) if md.len() == want => size += md.len(),
            Ok(md) => {
                present = false;
                size += md.len();
            }
            Err(_) => present = false,
        }
    }
    ModelStatus {
        name: m.name.into(),
        vendor: m.vendor.into(),
        family: m.family.into(),
        licence: m.licence.into(),
        kind: if m.arch == Arch::Bert {
            "embedder"
        } else {
            "generator"
        }
        .into(),
        present,
        size,
        path: dir.join(m.weights_file()),
    }
}

/// The path of `file` in `dir` if it exists with the expected size, else a
/// [`BuiltinError::NotInstalled`] telling the user to fetch.
pub(crate) fn require(
    dir: &Path,
    model: &str,
    file: &str,
    size: u64,
) -> Result<PathBuf, BuiltinError> {
    let path = dir.join(file);
    match std::fs::metadata(&path) {
        Ok(md) if md.len() == size => Ok(path),
        _ => Err(BuiltinError::NotInstalled {
            model: model.into(),
            path,
        }),
    }
}

/// Lower-case hex SHA-256 of a file, streamed.
pub(crate) fn sha256_file(path: &Path) -> Result<String, BuiltinError> {
    let mut file = std::fs::File::open(path).map_err(BuiltinError::io("cannot open", path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(BuiltinError::io("cannot read", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Whether `path` exists and hashes to `sha256`.
pub(crate) fn is_valid(path: &Path, size: u64, sha256: &str) -> Result<bool, BuiltinError> {
    match std::fs::metadata(path) {
        Ok(md) if md.len() == size => Ok(sha256_file(path)? == sha256),
        _ => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_reports_presence_by_pinned_size() {
        let tmp = tempfile::tempdir().unwrap();
        let all = list(tmp.path());
        assert_eq!(all.len(), CATALOG.len());
        assert!(all.iter().all(|m| !m.present && m.size == 0));
        let cfg = &crate::catalog::MINILM.artifacts[2];
        std::fs::write(tmp.path().join(cfg.file), vec![b' '; cfg.size as usize]).unwrap();
        let minilm = list(tmp.path())
            .into_iter()
            .find(|m| m.name == "all-minilm-l6-v2")
            .unwrap();
        assert!(!minilm.present, "two of its three files are still missing");
        assert_eq!(minilm.size, cfg.size);
        assert_eq!(minilm.kind, "embedder");
    }

    #[test]
    fn an_explicit_models_dir_wins() {
        let dir = models_dir(Some(Path::new("/x/y"))).unwrap();
        assert_eq!(dir, PathBuf::from("/x/y"));
    }

    #[test]
    fn missing_weights_tell_the_user_to_fetch() {
        let err = require(Path::new("/nonexistent"), "m", "f.gguf", 1).unwrap_err();
        assert!(err.to_string().contains("byzvote models fetch"), "{err}");
    }
}
