//! OpenAI chat completions (`POST {base_url}/chat/completions`), the API that OpenAI,
//! vLLM, Ollama (`/v1`), llama.cpp's server and LM Studio all speak.
//!
//! Deterministic prompts are sent with `temperature: 0` and `seed` (the prompt's seed
//! with its top bit cleared, because servers read it as a signed 64-bit integer).

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap};

use crate::config::checks::{self, InfoFields, defaults};
use crate::config::duration;
use crate::http::{ApiKey, Endpoint, ErrorDetail, RetryPolicy, decode};
use crate::{
    BackendInfo, Completion, ConfigError, Message, ModelBackend, ModelError, Prompt, Usage,
};

const OPENAI_URL: &str = "https://api.openai.com/v1";

/// Settings of an OpenAI-compatible backend (`kind = "openai"`).
///
/// ```toml
/// kind = "openai"
/// base_url = "https://api.openai.com/v1"   # default; vLLM: "http://host:8000/v1"
/// model = "gpt-4o-mini"
/// api_key_env = "OPENAI_API_KEY"           # omit for local servers without a key
/// timeout = "60s"                          # whole call, retries included
/// max_retries = 2
/// retry_initial_backoff = "500ms"
/// retry_max_backoff = "8s"
/// max_tokens_field = "max_tokens"          # "max_completion_tokens" for o-series / gpt-5
/// vendor = "openai"                        # default only for api.openai.com
/// family = "gpt-4o"                        # default: the model name
/// price_in_per_1k = 0.00015
/// price_out_per_1k = 0.0006
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenAiConfig {
    /// The model id the server knows, e.g. `gpt-4o-mini`, `llama3.2:3b`.
    pub model: String,
    /// Everything before `/chat/completions`, usually ending in `/v1`.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// The environment variable holding the key, sent as `Authorization: Bearer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// Deadline for a whole call, retries and their waits included.
    #[serde(default = "defaults::timeout", with = "duration")]
    pub timeout: Duration,
    /// Retries on 408/429/5xx and connection errors.
    #[serde(default = "defaults::max_retries")]
    pub max_retries: u32,
    #[serde(default = "defaults::initial_backoff", with = "duration")]
    pub retry_initial_backoff: Duration,
    /// Cap on any wait, including a server's `Retry-After`.
    #[serde(default = "defaults::max_backoff", with = "duration")]
    pub retry_max_backoff: Duration,
    /// Which request field carries the token limit.
    #[serde(default)]
    pub max_tokens_field: MaxTokensField,
    /// Display name; default `openai:<model>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Who trained the model; required unless `base_url` is OpenAI's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// Model family; default the model name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// US dollars per 1,000 prompt tokens.
    #[serde(default)]
    pub price_in_per_1k: f64,
    /// US dollars per 1,000 completion tokens.
    #[serde(default)]
    pub price_out_per_1k: f64,
}

/// The request field for the token limit: OpenAI's reasoning models accept only
/// `max_completion_tokens`; most compatible servers know only `max_tokens`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxTokensField {
    #[default]
    MaxTokens,
    MaxCompletionTokens,
}

fn default_base_url() -> String {
    OPENAI_URL.to_string()
}

fn is_openai_host(base_url: &str) -> bool {
    reqwest::Url::parse(base_url).is_ok_and(|u| u.host_str() == Some("api.openai.com"))
}

impl OpenAiConfig {
    /// A config with every default, for `model` at `base_url`.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            base_url: base_url.into(),
            api_key_env: None,
            timeout: defaults::timeout(),
            max_retries: defaults::max_retries(),
            retry_initial_backoff: defaults::initial_backoff(),
            retry_max_backoff: defaults::max_backoff(),
            max_tokens_field: MaxTokensField::default(),
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
            kind: "openai",
            model: &self.model,
            name: self.name.as_deref(),
            vendor: self.vendor.as_deref(),
            default_vendor: is_openai_host(&self.base_url).then_some("openai"),
            family: self.family.as_deref(),
            price_in_per_1k: self.price_in_per_1k,
            price_out_per_1k: self.price_out_per_1k,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        checks::non_empty("model", &self.model, "\"gpt-4o-mini\"")?;
        checks::url("base_url", &self.base_url)?;
        match &self.api_key_env {
            Some(env) => checks::env_name(env)?,
            None if is_openai_host(&self.base_url) => {
                return Err(ConfigError::KeyRequired {
                    host: OPENAI_URL.to_string(),
                    example_env: "OPENAI_API_KEY",
                });
            }
            None => {}
        }
        checks::call_limits(self.timeout, &self.retry())?;
        self.info_fields().validate()
    }
}

/// An OpenAI-compatible chat-completions backend (`POST {base_url}/chat/completions`).
///
/// Deterministic prompts are sent with `temperature: 0` and `seed` (the prompt's seed
/// with its top bit cleared: servers read it as a signed 64-bit integer). Failures:
/// 4xx other than 408/429 → [`ModelError::Rejected`] with the server's message;
/// 408/429/5xx/connection errors are retried, then [`ModelError::Unavailable`]; the
/// configured `timeout` covers the whole call → [`ModelError::Timeout`].
#[derive(Debug)]
pub struct OpenAi {
    info: BackendInfo,
    model: String,
    max_tokens_field: MaxTokensField,
    endpoint: Endpoint,
}

impl OpenAi {
    /// Validates `config` and reads its API key from the environment.
    pub fn new(config: &OpenAiConfig) -> Result<Self, ModelError> {
        config.validate()?;
        let key = ApiKey::optional(config.api_key_env.as_deref())?;
        let mut headers = HeaderMap::new();
        if let Some(key) = &key {
            headers.insert(AUTHORIZATION, key.header("Bearer ")?);
        }
        let url = format!("{}/chat/completions", config.base_url.trim_end_matches('/'));
        let endpoint = Endpoint::new(
            &url,
            headers,
            config.timeout,
            config.retry(),
            parse_error,
            key.as_ref(),
        )?;
        Ok(Self {
            info: config.info_fields().info(),
            model: config.model.clone(),
            max_tokens_field: config.max_tokens_field,
            endpoint,
        })
    }
}

#[async_trait::async_trait]
impl ModelBackend for OpenAi {
    fn info(&self) -> &BackendInfo {
        &self.info
    }

    async fn complete(&self, prompt: &Prompt) -> Result<Completion, ModelError> {
        let started = tokio::time::Instant::now();
        let limit = Some(prompt.max_tokens);
        let (max_tokens, max_completion_tokens) = match self.max_tokens_field {
            MaxTokensField::MaxTokens => (limit, None),
            MaxTokensField::MaxCompletionTokens => (None, limit),
        };
        let request = ChatRequest {
            model: &self.model,
            messages: &prompt.messages,
            max_tokens,
            max_completion_tokens,
            temperature: prompt.deterministic.then_some(0.0),
            seed: prompt
                .deterministic
                .then_some((prompt.seed & i64::MAX as u64) as i64),
        };
        let body = self.endpoint.post_json(&request).await?;
        let answer: ChatResponse = decode(&body)?;
        let choice = answer.choices.into_iter().next();
        let message = choice
            .map(|c| c.message)
            .ok_or_else(|| ModelError::BadResponse("no choices in the answer".into()))?;
        let text = match (message.content, message.refusal) {
            (Some(text), _) => text,
            (None, Some(refusal)) => {
                return Err(ModelError::BadResponse(format!(
                    "the model refused: {refusal}"
                )));
            }
            (None, None) => {
                return Err(ModelError::BadResponse(
                    "the answer has no message content".into(),
                ));
            }
        };
        let usage = answer.usage.unwrap_or_default();
        Ok(Completion {
            text,
            usage: Usage {
                prompt_tokens: usage.prompt_tokens.unwrap_or(0),
                completion_tokens: usage.completion_tokens.unwrap_or(0),
            },
            model: answer.model.unwrap_or_else(|| self.model.clone()),
            latency: started.elapsed(),
            confidence: None,
        })
    }
}

#[derive(serde::Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: &'a [Message],
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<i64>,
}

#[derive(serde::Deserialize)]
struct ChatResponse {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(serde::Deserialize)]
struct Choice {
    message: ChoiceMessage,
}

#[derive(serde::Deserialize)]
struct ChoiceMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

#[derive(Default, serde::Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<u32>,
    #[serde(default)]
    completion_tokens: Option<u32>,
}

/// OpenAI: `{"error":{"message","type","param","code"}}`; also the shapes of compatible
/// servers: `{"error":"text"}` (Ollama) and a top-level `message` (older vLLM).
fn parse_error(body: &[u8]) -> Option<ErrorDetail> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error = value.get("error");
    let message = error
        .and_then(|e| e.get("message").or(Some(e)))
        .or_else(|| value.get("message"))?
        .as_str()?;
    let label = error.and_then(|e| {
        e.get("code")
            .filter(|c| c.is_string())
            .or_else(|| e.get("type"))
    });
    let message = match label.and_then(|l| l.as_str()) {
        Some(label) => format!("{message} ({label})"),
        None => message.to_string(),
    };
    Some(ErrorDetail {
        message,
        retry_after: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_shapes() {
        let openai = br#"{"error":{"message":"Incorrect API key provided: sk-xx.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;
        assert_eq!(
            parse_error(openai).map(|d| d.message).as_deref(),
            Some("Incorrect API key provided: sk-xx. (invalid_api_key)")
        );
        let typed = br#"{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}}"#;
        assert_eq!(
            parse_error(typed).map(|d| d.message).as_deref(),
            Some("bad (invalid_request_error)")
        );
        let ollama = br#"{"error":"model \"x\" not found"}"#;
        assert_eq!(
            parse_error(ollama).map(|d| d.message).as_deref(),
            Some("model \"x\" not found")
        );
        let vllm =
            br#"{"object":"error","message":"too long","type":"BadRequestError","code":400}"#;
        assert_eq!(
            parse_error(vllm).map(|d| d.message).as_deref(),
            Some("too long")
        );
        assert_eq!(parse_error(b"<html>"), None);
    }
}
