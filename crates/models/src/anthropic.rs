//! Anthropic Messages API (`POST {base_url}/v1/messages`).
//!
//! System messages become the top-level `system` string; the answer is the
//! concatenation of the `text` content blocks (thinking blocks are not the answer).
//! The API has no seed: deterministic prompts get `temperature: 0`, which is as close
//! as Anthropic allows.

use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::config::checks::{self, InfoFields, defaults};
use crate::config::duration;
use crate::http::{ApiKey, Endpoint, ErrorDetail, RetryPolicy, decode, header_value};
use crate::{BackendInfo, Completion, ConfigError, ModelBackend, ModelError, Prompt, Role, Usage};

/// Settings of an Anthropic backend (`kind = "anthropic"`).
///
/// ```toml
/// kind = "anthropic"
/// model = "claude-3-5-haiku-latest"
/// base_url = "https://api.anthropic.com"    # default
/// api_key_env = "ANTHROPIC_API_KEY"         # default
/// anthropic_version = "2023-06-01"          # default
/// timeout = "60s"
/// max_retries = 2
/// price_in_per_1k = 0.0008
/// price_out_per_1k = 0.004
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnthropicConfig {
    pub model: String,
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// The environment variable holding the key, sent as `x-api-key`.
    #[serde(default = "default_key_env")]
    pub api_key_env: String,
    /// The `anthropic-version` header.
    #[serde(default = "default_version")]
    pub anthropic_version: String,
    /// Deadline for a whole call, retries and their waits included.
    #[serde(default = "defaults::timeout", with = "duration")]
    pub timeout: Duration,
    #[serde(default = "defaults::max_retries")]
    pub max_retries: u32,
    #[serde(default = "defaults::initial_backoff", with = "duration")]
    pub retry_initial_backoff: Duration,
    #[serde(default = "defaults::max_backoff", with = "duration")]
    pub retry_max_backoff: Duration,
    /// Display name; default `anthropic:<model>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Default `anthropic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(default)]
    pub price_in_per_1k: f64,
    #[serde(default)]
    pub price_out_per_1k: f64,
}

fn default_base_url() -> String {
    "https://api.anthropic.com".to_string()
}
fn default_key_env() -> String {
    "ANTHROPIC_API_KEY".to_string()
}
fn default_version() -> String {
    "2023-06-01".to_string()
}

impl AnthropicConfig {
    /// A config with every default for `model`.
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            base_url: default_base_url(),
            api_key_env: default_key_env(),
            anthropic_version: default_version(),
            timeout: defaults::timeout(),
            max_retries: defaults::max_retries(),
            retry_initial_backoff: defaults::initial_backoff(),
            retry_max_backoff: defaults::max_backoff(),
            name: None,
            vendor: None,
            family: None,
            price_in_per_1k: 0.0,
            price_out_per_1k: 0.0,
        }
    }

    pub(crate) fn retry(&self) -> RetryPolicy {
        RetryPolicy {
            max_retries: self.max_retries,
            initial_backoff: self.retry_initial_backoff,
            max_backoff: self.retry_max_backoff,
        }
    }

    pub(crate) fn info_fields(&self) -> InfoFields<'_> {
        InfoFields {
            kind: "anthropic",
            model: &self.model,
            name: self.name.as_deref(),
            vendor: self.vendor.as_deref(),
            default_vendor: Some("anthropic"),
            family: self.family.as_deref(),
            price_in_per_1k: self.price_in_per_1k,
            price_out_per_1k: self.price_out_per_1k,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        checks::non_empty("model", &self.model, "\"claude-3-5-haiku-latest\"")?;
        checks::url("base_url", &self.base_url)?;
        checks::env_name(&self.api_key_env)?;
        checks::non_empty(
            "anthropic_version",
            &self.anthropic_version,
            "\"2023-06-01\"",
        )?;
        checks::call_limits(self.timeout, &self.retry())?;
        self.info_fields().validate()
    }
}

/// An Anthropic Messages API backend (`POST {base_url}/v1/messages`).
///
/// System messages are joined into the top-level `system`; the answer is the
/// concatenation of the `text` blocks; prompt tokens include cache reads and writes.
/// No seed exists in this API: deterministic prompts get `temperature: 0` only.
#[derive(Debug)]
pub struct Anthropic {
    info: BackendInfo,
    model: String,
    endpoint: Endpoint,
}

impl Anthropic {
    /// Validates `config` and reads its API key from the environment.
    pub fn new(config: &AnthropicConfig) -> Result<Self, ModelError> {
        config.validate()?;
        let key = ApiKey::from_env(&config.api_key_env)?;
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", key.header("")?);
        headers.insert(
            "anthropic-version",
            header_value(&config.anthropic_version, "anthropic_version")?,
        );
        let url = format!("{}/v1/messages", config.base_url.trim_end_matches('/'));
        let endpoint = Endpoint::new(
            &url,
            headers,
            config.timeout,
            config.retry(),
            parse_error,
            Some(&key),
        )?;
        Ok(Self {
            info: config.info_fields().info(),
            model: config.model.clone(),
            endpoint,
        })
    }
}

#[async_trait::async_trait]
impl ModelBackend for Anthropic {
    fn info(&self) -> &BackendInfo {
        &self.info
    }

    async fn complete(&self, prompt: &Prompt) -> Result<Completion, ModelError> {
        let started = tokio::time::Instant::now();
        let system: Vec<&str> = prompt
            .messages
            .iter()
            .filter(|m| m.role == Role::System)
            .map(|m| m.content.as_str())
            .collect();
        let messages = prompt
            .messages
            .iter()
            .filter(|m| m.role != Role::System)
            .map(|m| WireMessage {
                role: if m.role == Role::User {
                    "user"
                } else {
                    "assistant"
                },
                content: &m.content,
            })
            .collect();
        let request = MessagesRequest {
            model: &self.model,
            max_tokens: prompt.max_tokens,
            system: (!system.is_empty()).then(|| system.join("\n\n")),
            messages,
            temperature: prompt.deterministic.then_some(0.0),
        };
        let body = self.endpoint.post_json(&request).await?;
        let answer: MessagesResponse = decode(&body)?;
        let texts: Vec<String> = answer
            .content
            .into_iter()
            .filter(|b| b.kind == "text")
            .filter_map(|b| b.text)
            .collect();
        if texts.is_empty() {
            let reason = answer.stop_reason.unwrap_or_else(|| "none".into());
            return Err(ModelError::BadResponse(format!(
                "no text block in the answer (stop_reason: {reason})"
            )));
        }
        let u = answer.usage.unwrap_or_default();
        let prompt_tokens = [
            u.input_tokens,
            u.cache_creation_input_tokens,
            u.cache_read_input_tokens,
        ]
        .into_iter()
        .fold(0u32, |sum, n| sum.saturating_add(n.unwrap_or(0)));
        Ok(Completion {
            text: texts.concat(),
            usage: Usage {
                prompt_tokens,
                completion_tokens: u.output_tokens.unwrap_or(0),
            },
            model: answer.model.unwrap_or_else(|| self.model.clone()),
            latency: started.elapsed(),
            confidence: None,
        })
    }
}

#[derive(serde::Serialize)]
struct MessagesRequest<'a> {
    model: &'a str,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<String>,
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
}

#[derive(serde::Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(serde::Deserialize)]
struct MessagesResponse {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    content: Vec<ContentBlock>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(serde::Deserialize)]
struct ContentBlock {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

/// Prompt tokens are `input_tokens` plus both cache counters (Anthropic reports cached
/// input separately; all of it was read by the model).
#[derive(Default, serde::Deserialize)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u32>,
    #[serde(default)]
    output_tokens: Option<u32>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u32>,
    #[serde(default)]
    cache_read_input_tokens: Option<u32>,
}

/// `{"type":"error","error":{"type":"invalid_request_error","message":"…"}}`.
fn parse_error(body: &[u8]) -> Option<ErrorDetail> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error = value.get("error")?;
    let message = error.get("message")?.as_str()?;
    let message = match error.get("type").and_then(|t| t.as_str()) {
        Some(kind) => format!("{message} ({kind})"),
        None => message.to_string(),
    };
    Some(ErrorDetail {
        message,
        retry_after: None,
    })
}
