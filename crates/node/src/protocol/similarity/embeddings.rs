//! Sentence embeddings off the async executors: a worker that owns the embedder, and a cache
//! of vectors keyed by the hash of their text.
//!
//! Embedding one `semantic` vote's answers costs tens of milliseconds of CPU (MiniLM on one
//! thread, more on a busy machine). Done inline, it held up the executor (finalized blocks,
//! commits, partial signatures) and the consensus's block check for that long. So the
//! embedder runs on a worker of its own, a task spawned with [`Spawner::dedicated`]: under the
//! tokio runtime that is a thread of its own, and callers only await its reply; under the
//! deterministic runtime it is an ordinary task scheduled in the seed's order, so simulations
//! stay deterministic. [`Embeddings::inline`] embeds in the caller instead (unit tests, and
//! any caller that has no runtime).
//!
//! Every vector is cached by the SHA-256 of its text. A node embeds a vote's answers once,
//! for its own evidence; re-checking a peer's evidence on the same answers (at gossip, then in
//! a proposed block) then only computes cosines. The worker runs one job at a time, so two
//! checks asking for the same texts at once embed them once: the second finds them cached.

use byzvote_core::{Digest, EmbedError, Embedder};
use commonware_cryptography::{Hasher as _, Sha256};
use commonware_runtime::Spawner;
use futures::channel::{mpsc, oneshot};
use futures::{SinkExt as _, StreamExt as _};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Most vectors kept (a MiniLM vector is 1.5 KB: about 6 MB); the cache is emptied when full.
const MAX_VECTORS: usize = 4096;
/// Jobs waiting for the worker before callers wait to enqueue.
const QUEUE: usize = 64;

/// One embedding vector, shared between the cache and its users.
pub type Vector = Arc<Vec<f32>>;

type Cache = Arc<Mutex<HashMap<Digest, Vector>>>;

/// A request to the worker: embed `texts` (those not cached) and reply with all their vectors.
struct Job {
    texts: Vec<String>,
    reply: oneshot::Sender<Result<Vec<Vector>, EmbedError>>,
}

enum Run {
    Inline(Arc<dyn Embedder>),
    Worker(mpsc::Sender<Job>),
}

/// Cached embeddings computed by a worker or inline (module doc). Cheap to share behind an
/// `Arc`.
pub struct Embeddings {
    cache: Cache,
    run: Run,
}

impl Embeddings {
    /// Embeddings computed on a worker task spawned in `context` (a dedicated thread under
    /// tokio; see the module doc).
    pub fn spawn<E: Spawner>(context: E, embedder: Arc<dyn Embedder>) -> Self {
        let cache: Cache = Arc::default();
        let (jobs, mut inbox) = mpsc::channel::<Job>(QUEUE);
        let worker_cache = cache.clone();
        context.dedicated().spawn(move |_| async move {
            while let Some(job) = inbox.next().await {
                let vectors = embed_cached(embedder.as_ref(), &worker_cache, &job.texts);
                let _ = job.reply.send(vectors);
            }
        });
        Self {
            cache,
            run: Run::Worker(jobs),
        }
    }

    /// Embeddings computed in the caller's task (no runtime needed).
    pub fn inline(embedder: Arc<dyn Embedder>) -> Self {
        Self {
            cache: Arc::default(),
            run: Run::Inline(embedder),
        }
    }

    /// One vector per text, in order: from the cache, or computed by the worker (awaited).
    pub async fn get(&self, texts: &[&str]) -> Result<Vec<Vector>, EmbedError> {
        if let Some(all) = lookup(&self.cache, texts) {
            return Ok(all);
        }
        match &self.run {
            Run::Inline(embedder) => embed_cached(embedder.as_ref(), &self.cache, texts),
            Run::Worker(jobs) => {
                let (reply, answer) = oneshot::channel();
                let job = Job {
                    texts: texts.iter().map(|t| t.to_string()).collect(),
                    reply,
                };
                let stopped = || EmbedError("the embedding worker stopped".into());
                jobs.clone().send(job).await.map_err(|_| stopped())?;
                answer.await.map_err(|_| stopped())?
            }
        }
    }
}

fn key(text: &str) -> Digest {
    Sha256::hash(&[text.as_bytes()])
}

fn lock(cache: &Cache) -> std::sync::MutexGuard<'_, HashMap<Digest, Vector>> {
    // A poisoned lock only means another thread panicked mid-insert of plain data.
    cache.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every text's cached vector, or `None` when one is missing.
fn lookup<S: AsRef<str>>(cache: &Cache, texts: &[S]) -> Option<Vec<Vector>> {
    let cache = lock(cache);
    texts
        .iter()
        .map(|t| cache.get(&key(t.as_ref())).cloned())
        .collect()
}

/// Embeds the texts not cached yet (in one batch, each distinct text once), caches them, and
/// returns every text's vector in order.
fn embed_cached<S: AsRef<str>>(
    embedder: &dyn Embedder,
    cache: &Cache,
    texts: &[S],
) -> Result<Vec<Vector>, EmbedError> {
    let keys: Vec<Digest> = texts.iter().map(|t| key(t.as_ref())).collect();
    let mut found: HashMap<Digest, Vector> = HashMap::new();
    let mut missing: Vec<(Digest, &str)> = Vec::new();
    {
        let cache = lock(cache);
        for (k, t) in keys.iter().zip(texts) {
            match cache.get(k) {
                Some(v) => {
                    found.insert(*k, v.clone());
                }
                None if !missing.iter().any(|(m, _)| m == k) => missing.push((*k, t.as_ref())),
                None => {}
            }
        }
    }
    if !missing.is_empty() {
        let batch: Vec<&str> = missing.iter().map(|(_, t)| *t).collect();
        let vectors = embedder.embed(&batch)?;
        if vectors.len() != batch.len() {
            return Err(EmbedError(format!(
                "the embedder returned {} vectors for {} texts",
                vectors.len(),
                batch.len()
            )));
        }
        let mut cache = lock(cache);
        if cache.len() + missing.len() > MAX_VECTORS {
            cache.clear();
        }
        for ((k, _), v) in missing.iter().zip(vectors) {
            let v = Arc::new(v);
            cache.insert(*k, v.clone());
            found.insert(*k, v);
        }
    }
    keys.iter()
        .map(|k| {
            found
                .get(k)
                .cloned()
                .ok_or_else(|| EmbedError("an embedding went missing".into()))
        })
        .collect()
}

/// An [`Embedder`] over vectors already computed: core's evidence functions take an embedder,
/// and this one answers them from [`Embeddings::get`]'s result without computing anything.
pub struct Known<'a>(pub HashMap<&'a str, &'a [f32]>);

impl<'a> Known<'a> {
    /// `texts[i]` has vector `vectors[i]`.
    pub fn new(texts: &[&'a str], vectors: &'a [Vector]) -> Self {
        Self(
            texts
                .iter()
                .zip(vectors)
                .map(|(t, v)| (*t, v.as_slice()))
                .collect(),
        )
    }
}

impl Embedder for Known<'_> {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        texts
            .iter()
            .map(|t| {
                self.0
                    .get(t)
                    .map(|v| v.to_vec())
                    .ok_or_else(|| EmbedError("a text was not embedded beforehand".into()))
            })
            .collect()
    }
}
