//! The OpenAI chat-completions JSON, as far as byzvote speaks it.
//!
//! Requests are read leniently where OpenAI clients send fields that do not change a vote
//! (`temperature`, `top_p`, `user`, `seed`, `stop`, …: accepted and ignored, because each
//! coordinator samples as its operator configured it) and strictly where a field would change
//! the meaning of the answer and byzvote cannot honour it (`n > 1`, `tools`, image parts,
//! `logprobs`): those are 422s that say so, never silently dropped.

use crate::types::VoteResponse;
use byzvote_core::route::Importance;
use serde::{Deserialize, Serialize};

/// The body of `POST /v1/chat/completions`.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatRequest {
    /// `byzvote-tier1` … `byzvote-tier5`, `byzvote-auto`, or `byzvote` (tier 3).
    pub model: String,
    /// The conversation.
    pub messages: Vec<ChatMessage>,
    /// Answer as server-sent events.
    #[serde(default)]
    pub stream: bool,
    /// `{"include_usage": true}` adds the usage to the last chunk, as OpenAI does.
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
    /// The most tokens each model may generate (`max_completion_tokens` wins if both are set).
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// The newer name of `max_tokens`.
    #[serde(default)]
    pub max_completion_tokens: Option<u32>,
    /// How many choices; byzvote returns exactly one (the agreed answer).
    #[serde(default)]
    pub n: Option<u32>,
    /// Tool calling is not voted on; refused.
    #[serde(default)]
    pub tools: Option<serde_json::Value>,
    /// Token log-probabilities do not exist for an agreed answer; refused when true.
    #[serde(default)]
    pub logprobs: Option<bool>,
    /// `{"type": "json_object"}` votes in `json` mode (canonical JSON).
    #[serde(default)]
    pub response_format: Option<ResponseFormat>,
    /// byzvote's own options (with the `openai` client: `extra_body={"byzvote": {...}}`).
    #[serde(default)]
    pub byzvote: Option<ByzvoteOptions>,
}

/// `stream_options`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StreamOptions {
    /// Send the usage in the last chunk.
    #[serde(default)]
    pub include_usage: bool,
}

/// `response_format`.
#[derive(Debug, Clone, Deserialize)]
pub struct ResponseFormat {
    /// `text` (default), `json_object` or `json_schema` (both vote in `json` mode).
    #[serde(rename = "type")]
    pub kind: String,
}

/// byzvote's options inside an OpenAI request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByzvoteOptions {
    /// How answers are compared: `exact` (default), `class:a,b`, `number:P`, `json`.
    #[serde(default)]
    pub mode: Option<String>,
    /// For `byzvote-auto`: how much the answer matters.
    #[serde(default)]
    pub importance: Option<Importance>,
    /// For `byzvote-auto`: the most this request may cost, in US dollars.
    #[serde(default)]
    pub budget_usd: Option<f64>,
    /// How long to wait for the decision, in milliseconds.
    #[serde(default)]
    pub deadline_ms: Option<u64>,
    /// Makes an identical request a distinct vote.
    #[serde(default)]
    pub client_nonce: Option<u64>,
}

/// One message: `content` is a string or a list of parts (`{"type": "text", "text": …}`).
#[derive(Debug, Clone, Deserialize)]
pub struct ChatMessage {
    /// `system`, `developer` (read as `system`), `user` or `assistant`.
    pub role: String,
    /// The text; `null` only on assistant tool-call messages, which byzvote refuses.
    #[serde(default)]
    pub content: Option<Content>,
}

/// A message's content.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Content {
    /// Plain text.
    Text(String),
    /// Content parts; only `text` parts are accepted.
    Parts(Vec<ContentPart>),
}

/// One content part.
#[derive(Debug, Clone, Deserialize)]
pub struct ContentPart {
    /// `text`, or another kind (`image_url`, `input_audio`, …) that byzvote refuses.
    #[serde(rename = "type")]
    pub kind: String,
    /// The text of a `text` part.
    #[serde(default)]
    pub text: Option<String>,
}

/// A non-streaming answer: an OpenAI `chat.completion` plus the `byzvote` result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChatCompletion {
    /// `chatcmpl-` and the vote id.
    pub id: String,
    /// Always `chat.completion`.
    pub object: String,
    /// Unix seconds when the answer was made.
    pub created: u64,
    /// The `model` the client asked for.
    pub model: String,
    /// Exactly one choice.
    pub choices: Vec<Choice>,
    /// Tokens over all coordinators that answered.
    pub usage: Usage,
    /// The vote: outcome, votes, cost, certificate (the native `VoteResponse`).
    pub byzvote: VoteResponse,
}

/// The one choice.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Choice {
    /// Always 0.
    pub index: u32,
    /// The agreed answer.
    pub message: AssistantMessage,
    /// Always `stop`.
    pub finish_reason: String,
    /// Always `null`.
    pub logprobs: Option<serde_json::Value>,
}

/// The assistant's message: the agreed answer as `content`; with no agreement, `content` is
/// `null` and `refusal` says why (so a client that only reads `content` never mistakes a split
/// for an answer).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AssistantMessage {
    /// Always `assistant`.
    pub role: String,
    /// The agreed answer, canonical form.
    pub content: Option<String>,
    /// Why there is no answer, when there is none.
    pub refusal: Option<String>,
}

/// Token usage, summed over the coordinators.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens, all coordinators.
    pub prompt_tokens: u64,
    /// Completion tokens, all coordinators.
    pub completion_tokens: u64,
    /// Their sum.
    pub total_tokens: u64,
}

/// One server-sent `chat.completion.chunk`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Chunk {
    /// Same id in every chunk of one answer.
    pub id: String,
    /// Always `chat.completion.chunk`.
    pub object: String,
    /// Unix seconds.
    pub created: u64,
    /// The `model` the client asked for.
    pub model: String,
    /// One choice with a delta; empty in the usage-only chunk.
    pub choices: Vec<ChunkChoice>,
    /// In the last chunk when `stream_options.include_usage` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// In the last chunk: the vote with its certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byzvote: Option<VoteResponse>,
}

/// A chunk's choice.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChunkChoice {
    /// Always 0.
    pub index: u32,
    /// What is new.
    pub delta: Delta,
    /// `stop` in the last content chunk, else `null`.
    pub finish_reason: Option<String>,
}

/// A chunk's delta.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Delta {
    /// `assistant` in the first chunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// A piece of the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Why there is no answer, when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

/// `GET /v1/models`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelList {
    /// Always `list`.
    pub object: String,
    /// One entry per tier the cluster can serve, and `byzvote-auto`.
    pub data: Vec<ModelEntry>,
}

/// One model (a tier).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelEntry {
    /// e.g. `byzvote-tier3`.
    pub id: String,
    /// Always `model`.
    pub object: String,
    /// Always 0 (the tiers are not created at a point in time).
    pub created: u64,
    /// Always `byzvote`.
    pub owned_by: String,
}
