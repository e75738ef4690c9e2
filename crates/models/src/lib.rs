//! Model backends: the one place where byzvote talks to an AI model.
//!
//! Every coordinator wraps exactly one [`ModelBackend`]. The node calls
//! [`ModelBackend::complete`] with a [`Prompt`] and canonicalises the returned
//! [`Completion::text`] according to the request's mode (that is `byzvote-core`'s job,
//! not the backend's). Backends never panic on a remote's answer: every failure is a
//! [`ModelError`] that says whether retrying can help ([`ModelError::is_transient`]).
//!
//! # Backends
//!
//! | `kind` | type | talks to |
//! |---|---|---|
//! | `openai` | [`OpenAi`] | OpenAI chat completions and compatible servers (vLLM, Ollama, llama.cpp, LM Studio) |
//! | `anthropic` | [`Anthropic`] | Anthropic Messages API |
//! | `gemini` | [`Gemini`] | Google Gemini `generateContent` |
//! | `command` | [`Command`] | any local program: prompt on stdin, answer on stdout |
//! | `builtin` | (crate `byzvote-builtin`) | the offline models shipped with byzvote, via [`BuiltinFactory`] |
//!
//! Operators describe a backend with a [`BackendConfig`] (TOML), check it with
//! [`BackendConfig::validate`] and turn it into an `Arc<dyn ModelBackend>` with
//! [`BackendConfig::build`].
//!
//! # Runtime
//!
//! The HTTP and command backends need a tokio runtime (Commonware's `tokio` runner
//! provides one). Under Commonware's deterministic runtime use `Scripted` (feature
//! `testing`) instead.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod anthropic;
mod backend;
mod command;
mod config;
mod error;
mod gemini;
mod http;
mod openai;
mod render;
#[cfg(feature = "testing")]
mod scripted;
mod types;

pub use anthropic::{Anthropic, AnthropicConfig};
pub use backend::ModelBackend;
pub use command::{Command, CommandConfig, CommandInput};
pub use config::{BackendConfig, BuiltinConfig, BuiltinFactory, ConfigError};
pub use error::ModelError;
pub use gemini::{Gemini, GeminiConfig};
pub use http::RetryPolicy;
pub use openai::{MaxTokensField, OpenAi, OpenAiConfig};
pub use render::render_text;
#[cfg(feature = "testing")]
pub use scripted::{Scripted, ScriptedReply};
pub use types::{BackendInfo, Completion, Message, Prompt, Role, Usage};
