//! [`ModelBackend`] for the built-in generators: one dedicated thread and queue per model.
//!
//! On a small shared CPU, parallel decoding threads spin and collapse throughput, so each
//! model owns exactly one OS thread that serves requests in arrival order; `complete` only
//! enqueues and awaits the answer, never blocking the async runtime. Run the process with
//! `RAYON_NUM_THREADS=1` (see [`crate::thread_warning`]) so candle's kernels stay on
//! that thread too.

use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use byzvote_models::{BackendInfo, Completion, ModelBackend, ModelError, Prompt, Usage};
use tokio::sync::oneshot;

use crate::catalog::{GENERATORS, ModelSpec};
use crate::error::BuiltinError;
use crate::generator::Generator;

struct Job {
    prompt: Prompt,
    reply: oneshot::Sender<Result<(crate::generator::Generated, Duration), BuiltinError>>,
}

/// A built-in model behind a coordinator.
pub struct BuiltinBackend {
    info: BackendInfo,
    /// Behind a mutex so the backend is `Sync`; sending never blocks.
    queue: Mutex<mpsc::Sender<Job>>,
    load_time: Duration,
}

impl BuiltinBackend {
    /// Load `spec` from `dir` on a new thread named after the model and wait until it is ready.
    /// Blocks for the load (0.2–2 s); call it from `spawn_blocking` inside an async runtime.
    pub fn load(spec: &ModelSpec, dir: &Path) -> Result<Self, BuiltinError> {
        Self::load_named(spec, dir, spec.name)
    }

    /// Like [`Self::load`], reporting `name` as [`BackendInfo::name`] (for running the same
    /// weights twice in one cluster; they keep the same vendor, which diversity checks see).
    pub fn load_named(spec: &ModelSpec, dir: &Path, name: &str) -> Result<Self, BuiltinError> {
        let started = Instant::now();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), BuiltinError>>();
        let (tx, rx) = mpsc::channel::<Job>();
        let spec_owned = *spec;
        let dir = dir.to_path_buf();
        std::thread::Builder::new()
            .name(format!("model-{name}"))
            .spawn(move || {
                let mut generator = match Generator::load(&spec_owned, &dir) {
                    Ok(g) => {
                        let _ = ready_tx.send(Ok(()));
                        g
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                // Ends when the backend (the only sender) is dropped.
                while let Ok(job) = rx.recv() {
                    let t = Instant::now();
                    let seed = (!job.prompt.deterministic).then_some(job.prompt.seed);
                    // A panic inside candle must not take the coordinator's model down for
                    // good: report it for this request and keep serving (every request starts
                    // from position 0, which resets the KV cache).
                    let run = std::panic::AssertUnwindSafe(|| {
                        generator.generate(&job.prompt.messages, job.prompt.max_tokens, seed)
                    });
                    let result = std::panic::catch_unwind(run)
                        .unwrap_or_else(|_| {
                            Err(BuiltinError::Model {
                                model: spec_owned.name.into(),
                                message: "inference panicked; the request was dropped".into(),
                            })
                        })
                        .map(|g| (g, t.elapsed()));
                    let _ = job.reply.send(result);
                }
            })
            .map_err(BuiltinError::io("cannot start a thread for", spec.name))?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                return Err(BuiltinError::Model {
                    model: spec.name.into(),
                    message: "the model thread stopped while loading".into(),
                });
            }
        }
        Ok(Self {
            info: BackendInfo {
                name: name.into(),
                vendor: spec.vendor.into(),
                family: spec.family.into(),
                price_in_per_1k: 0.0,
                price_out_per_1k: 0.0,
            },
            queue: Mutex::new(tx),
            load_time: started.elapsed(),
        })
    }

    /// How long loading took.
    pub fn load_time(&self) -> Duration {
        self.load_time
    }
}

#[async_trait::async_trait]
impl ModelBackend for BuiltinBackend {
    fn info(&self) -> &BackendInfo {
        &self.info
    }

    async fn complete(&self, prompt: &Prompt) -> Result<Completion, ModelError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            prompt: prompt.clone(),
            reply,
        };
        let sent = match self.queue.lock() {
            Ok(q) => q.send(job).is_ok(),
            Err(_) => false,
        };
        if !sent {
            return Err(ModelError::Local(format!(
                "{}: the model thread has stopped",
                self.info.name
            )));
        }
        // Queue wait plus generation, as the caller experiences it.
        let started = Instant::now();
        let (generated, _compute) = answer
            .await
            .map_err(|_| {
                ModelError::Local(format!("{}: the model thread has stopped", self.info.name))
            })?
            .map_err(|e| ModelError::Local(e.to_string()))?;
        Ok(Completion {
            text: generated.text,
            usage: Usage {
                prompt_tokens: generated.prompt_tokens,
                completion_tokens: generated.completion_tokens,
            },
            model: self.info.name.clone(),
            latency: started.elapsed(),
            confidence: generated.confidence,
        })
    }
}

/// The vendor that the fourth default coordinator repeats: no small model of a fourth vendor
/// ships in a registry package (see the crate docs), so the default cluster runs SmolLM2 twice
/// and configuration validation must print its diversity warning.
pub const REPEATED_VENDOR: &str = "huggingface";

/// The four default coordinators' backends from `dir`, loaded in turn: Qwen2.5-Coder-0.5B
/// (alibaba), Gemma-3-270M (google), SmolLM2-135M (huggingface) and a second SmolLM2-135M
/// named `smollm2-135m-instruct-b` (huggingface again).
pub fn default_backends(dir: &Path) -> Result<Vec<Arc<dyn ModelBackend>>, BuiltinError> {
    let mut out: Vec<Arc<dyn ModelBackend>> = Vec::with_capacity(4);
    for spec in GENERATORS {
        out.push(Arc::new(BuiltinBackend::load(spec, dir)?));
    }
    let smol = &crate::catalog::SMOLLM2;
    out.push(Arc::new(BuiltinBackend::load_named(
        smol,
        dir,
        "smollm2-135m-instruct-b",
    )?));
    Ok(out)
}

/// [`default_backends`] on the blocking thread pool, for callers inside a tokio runtime.
pub async fn load_default_backends(
    dir: std::path::PathBuf,
) -> Result<Vec<Arc<dyn ModelBackend>>, BuiltinError> {
    tokio::task::spawn_blocking(move || default_backends(&dir))
        .await
        .map_err(|e| BuiltinError::Model {
            model: "default cluster".into(),
            message: format!("loading thread failed: {e}"),
        })?
}
