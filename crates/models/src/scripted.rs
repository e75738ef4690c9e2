//! [`Scripted`]: a fake model for tests (cargo feature `testing`, never on by default).
//!
//! Answers come from a table, a constant or a closure; a call can be delayed, fail, or
//! never return (a silent coordinator). It needs no runtime unless a delay is set:
//! [`Scripted::with_delay`] sleeps on tokio, and under Commonware's deterministic
//! runtime [`Scripted::with_sleeper`] takes the runtime's clock instead, so that
//! simulated time, not wall time, passes.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::{BackendInfo, Completion, ModelBackend, ModelError, Prompt, Role, Usage};

/// What a scripted model does with one prompt.
#[derive(Debug)]
pub enum ScriptedReply {
    /// Answer with this text.
    Answer(String),
    /// Fail with this error.
    Fail(ModelError),
    /// Never answer (the caller's timeout must handle it).
    Hang,
}

type Responder = dyn Fn(&Prompt) -> ScriptedReply + Send + Sync;
type Sleeper = dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync;

/// A fake [`ModelBackend`] whose answers the test decides.
pub struct Scripted {
    info: BackendInfo,
    responder: Box<Responder>,
    delay: Duration,
    sleeper: Option<Arc<Sleeper>>,
    calls: AtomicU64,
}

impl std::fmt::Debug for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scripted")
            .field("info", &self.info)
            .field("delay", &self.delay)
            .finish_non_exhaustive()
    }
}

impl Scripted {
    /// Answers with whatever `responder` returns. The backend's vendor is `name`, so
    /// that scripted coordinators count as diverse unless a test says otherwise.
    pub fn new(
        name: impl Into<String>,
        responder: impl Fn(&Prompt) -> ScriptedReply + Send + Sync + 'static,
    ) -> Self {
        let name = name.into();
        let info = BackendInfo {
            name: name.clone(),
            vendor: name,
            family: "scripted".to_string(),
            price_in_per_1k: 0.0,
            price_out_per_1k: 0.0,
        };
        Self {
            info,
            responder: Box::new(responder),
            delay: Duration::ZERO,
            sleeper: None,
            calls: AtomicU64::new(0),
        }
    }

    /// Always answers `text`.
    pub fn constant(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        Self::new(name, move |_| ScriptedReply::Answer(text.clone()))
    }

    /// Answers by the last user message's exact text; other prompts get `fallback`, or
    /// fail with [`ModelError::BadResponse`] naming the prompt when there is none.
    pub fn table<K: Into<String>, V: Into<String>>(
        name: impl Into<String>,
        answers: impl IntoIterator<Item = (K, V)>,
        fallback: Option<String>,
    ) -> Self {
        let answers: HashMap<String, String> = answers
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Self::new(name, move |prompt| {
            let question = last_user_message(prompt);
            match answers.get(question).or(fallback.as_ref()) {
                Some(answer) => ScriptedReply::Answer(answer.clone()),
                None => ScriptedReply::Fail(ModelError::BadResponse(format!(
                    "no scripted answer for {question:?}"
                ))),
            }
        })
    }

    /// Always fails with the error `make` returns.
    pub fn failing(
        name: impl Into<String>,
        make: impl Fn() -> ModelError + Send + Sync + 'static,
    ) -> Self {
        Self::new(name, move |_| ScriptedReply::Fail(make()))
    }

    /// Never answers.
    pub fn silent(name: impl Into<String>) -> Self {
        Self::new(name, |_| ScriptedReply::Hang)
    }

    /// Waits `delay` (on tokio's clock unless a sleeper is set) before each reply.
    #[must_use]
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Uses `sleep` for delays, e.g. `move |d| { let c = ctx.clone(); Box::pin(async move { c.sleep(d).await }) }`
    /// with a Commonware runtime context.
    #[must_use]
    pub fn with_sleeper(
        mut self,
        sleep: impl Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync + 'static,
    ) -> Self {
        self.sleeper = Some(Arc::new(sleep));
        self
    }

    /// Replaces the reported facts (vendor, family, prices).
    #[must_use]
    pub fn with_info(mut self, info: BackendInfo) -> Self {
        self.info = info;
        self
    }

    /// How many times `complete` has been called.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }
}

fn last_user_message(prompt: &Prompt) -> &str {
    prompt
        .messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map_or("", |m| m.content.as_str())
}

/// Whitespace-separated words: a stand-in token count, so cost accounting is testable.
fn words(text: &str) -> u32 {
    u32::try_from(text.split_whitespace().count()).unwrap_or(u32::MAX)
}

#[async_trait::async_trait]
impl ModelBackend for Scripted {
    fn info(&self) -> &BackendInfo {
        &self.info
    }

    async fn complete(&self, prompt: &Prompt) -> Result<Completion, ModelError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let reply = (self.responder)(prompt);
        if !self.delay.is_zero() {
            match &self.sleeper {
                Some(sleep) => sleep(self.delay).await,
                None => tokio::time::sleep(self.delay).await,
            }
        }
        match reply {
            ScriptedReply::Answer(text) => Ok(Completion {
                usage: Usage {
                    prompt_tokens: prompt
                        .messages
                        .iter()
                        .map(|m| words(&m.content))
                        .fold(0, u32::saturating_add),
                    completion_tokens: words(&text),
                },
                text,
                model: self.info.name.clone(),
                latency: self.delay,
                confidence: None,
            }),
            ScriptedReply::Fail(error) => Err(error),
            ScriptedReply::Hang => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn table_answers_and_falls_back() {
        let model = Scripted::table("t", [("Is 17 prime?", "yes")], None);
        assert_eq!(
            block_on(model.complete(&Prompt::user("Is 17 prime?")))
                .unwrap()
                .text,
            "yes"
        );
        let missing = block_on(model.complete(&Prompt::user("other"))).unwrap_err();
        assert!(
            matches!(missing, ModelError::BadResponse(ref m) if m.contains("other")),
            "{missing}"
        );
        assert_eq!(model.calls(), 2);
        let with_fallback = Scripted::table("t", [("a", "b")], Some("idk".into()));
        assert_eq!(
            block_on(with_fallback.complete(&Prompt::user("zzz")))
                .unwrap()
                .text,
            "idk"
        );
    }

    #[test]
    fn failing_and_usage() {
        let model = Scripted::failing("f", || ModelError::Timeout(Duration::from_secs(1)));
        assert!(
            block_on(model.complete(&Prompt::user("x")))
                .unwrap_err()
                .is_transient()
        );
        let done =
            block_on(Scripted::constant("c", "three word answer").complete(&Prompt::user("a b")))
                .unwrap();
        assert_eq!(
            done.usage,
            Usage {
                prompt_tokens: 2,
                completion_tokens: 3
            }
        );
        assert_eq!(done.model, "c");
    }

    #[test]
    fn silent_never_answers_and_delay_uses_the_sleeper() {
        let silent = Scripted::silent("s");
        let outcome = block_on(async {
            tokio::time::timeout(
                Duration::from_millis(20),
                silent.complete(&Prompt::user("x")),
            )
            .await
        });
        assert!(outcome.is_err(), "a silent model answered");
        let slept = Arc::new(AtomicU64::new(0));
        let seen = slept.clone();
        let model = Scripted::constant("d", "ok")
            .with_delay(Duration::from_secs(3600))
            .with_sleeper(move |d| {
                seen.store(d.as_secs(), Ordering::SeqCst);
                Box::pin(async {})
            });
        assert_eq!(
            block_on(model.complete(&Prompt::user("x")))
                .unwrap()
                .latency,
            Duration::from_secs(3600)
        );
        assert_eq!(slept.load(Ordering::SeqCst), 3600);
    }
}
