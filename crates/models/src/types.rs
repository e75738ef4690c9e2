//! The data that flows into and out of a [`crate::ModelBackend`].

use std::time::Duration;

/// Who is speaking in a chat message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One chat message.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

/// What a backend is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    pub messages: Vec<Message>,
    /// Upper bound on generated tokens.
    pub max_tokens: u32,
    /// Ask for reproducible output where the backend allows it
    /// (temperature 0, fixed seed, greedy decoding).
    pub deterministic: bool,
    /// Seed passed to backends that accept one when `deterministic` is set.
    pub seed: u64,
}

impl Prompt {
    /// A single user message with deterministic defaults.
    pub fn user(text: impl Into<String>) -> Self {
        Self {
            messages: vec![Message {
                role: Role::User,
                content: text.into(),
            }],
            max_tokens: 256,
            deterministic: true,
            seed: 0,
        }
    }
}

/// Token counts as reported by the backend (0 when it does not say).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
}

/// A backend's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    /// The raw generated text, before any canonicalisation.
    pub text: String,
    pub usage: Usage,
    /// The model that actually answered, as the backend names it.
    pub model: String,
    /// Wall time of the call as measured by the backend (including retries).
    pub latency: Duration,
    /// Self-reported confidence in [0, 1], when the backend provides one.
    pub confidence: Option<f32>,
}

/// Static facts about a backend, used for diversity checks and cost accounting.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BackendInfo {
    /// Short human name, e.g. `qwen2.5-coder-0.5b` or `openai:gpt-4o-mini`.
    pub name: String,
    /// Who trained the model, e.g. `alibaba`, `google`, `openai`.
    pub vendor: String,
    /// Model family, e.g. `qwen2`, `gemma3`, `gpt-4o`.
    pub family: String,
    /// Price in US dollars per 1,000 prompt tokens.
    pub price_in_per_1k: f64,
    /// Price in US dollars per 1,000 completion tokens.
    pub price_out_per_1k: f64,
}

impl BackendInfo {
    /// The cost of one call in US dollars.
    pub fn cost(&self, usage: Usage) -> f64 {
        f64::from(usage.prompt_tokens) * self.price_in_per_1k / 1000.0
            + f64::from(usage.completion_tokens) * self.price_out_per_1k / 1000.0
    }
}
