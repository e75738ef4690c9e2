//! Google Gemini `generateContent`
//! (`POST {base_url}/v1beta/models/{model}:generateContent`).
//!
//! The key travels in the `x-goog-api-key` header rather than `?key=`, so it never
//! appears in a URL that might be logged. System messages become `systemInstruction`;
//! assistant turns have role `model`. Deterministic prompts get `temperature: 0` and
//! `seed` (the prompt's seed reduced to 31 bits: the API takes an `int32`). Thought
//! parts of thinking models are not the answer, but their tokens count as completion
//! tokens because they are billed as output.

use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::config::checks::{self, InfoFields, defaults};
use crate::config::duration;
use crate::http::{ApiKey, Endpoint, ErrorDetail, RetryPolicy, decode};
use crate::{BackendInfo, Completion, ConfigError, ModelBackend, ModelError, Prompt, Role, Usage};

/// Settings of a Gemini backend (`kind = "gemini"`).
///
/// ```toml
/// kind = "gemini"
/// model = "gemini-2.0-flash"
/// base_url = "https://generativelanguage.googleapis.com"  # default
/// api_key_env = "GEMINI_API_KEY"                          # default
/// timeout = "60s"
/// max_retries = 2
/// price_in_per_1k = 0.0001
/// price_out_per_1k = 0.0004
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeminiConfig {
    /// The model id, with or without the `models/` prefix.
    pub model: String,
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// The environment variable holding the key, sent as `x-goog-api-key`.
    #[serde(default = "default_key_env")]
    pub api_key_env: String,
    /// Deadline for a whole call, retries and their waits included.
    #[serde(default = "defaults::timeout", with = "duration")]
    pub timeout: Duration,
    #[serde(default = "defaults::max_retries")]
    pub max_retries: u32,
    #[serde(default = "defaults::initial_backoff", with = "duration")]
    pub retry_initial_backoff: Duration,
    #[serde(default = "defaults::max_backoff", with = "duration")]
    pub retry_max_backoff: Duration,
    /// Display name; default `gemini:<model>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Default `google`.
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
    "https://generativelanguage.googleapis.com".to_string()
}
fn default_key_env() -> String {
    "GEMINI_API_KEY".to_string()
}

impl GeminiConfig {
    /// A config with every default for `model`.
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            base_url: default_base_url(),
            api_key_env: default_key_env(),
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

    fn model_id(&self) -> &str {
        let model = self.model.trim();
        model.strip_prefix("models/").unwrap_or(model)
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
            kind: "gemini",
            model: self.model_id(),
            name: self.name.as_deref(),
            vendor: self.vendor.as_deref(),
            default_vendor: Some("google"),
            family: self.family.as_deref(),
            price_in_per_1k: self.price_in_per_1k,
            price_out_per_1k: self.price_out_per_1k,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        checks::non_empty("model", self.model_id(), "\"gemini-2.0-flash\"")?;
        if self
            .model_id()
            .contains(|c: char| matches!(c, '/' | '?' | '#' | ':') || c.is_whitespace())
        {
            let reason = "must be a bare model id such as \"gemini-2.0-flash\" (no `/`, `:`, `?`, `#` or spaces)";
            return Err(ConfigError::BadModelName {
                model: self.model.clone(),
                reason,
            });
        }
        checks::url("base_url", &self.base_url)?;
        checks::env_name(&self.api_key_env)?;
        checks::call_limits(self.timeout, &self.retry())?;
        self.info_fields().validate()
    }
}

/// A Google Gemini backend (`POST {base_url}/v1beta/models/{model}:generateContent`).
///
/// The key goes in `x-goog-api-key`; system messages become `systemInstruction`;
/// deterministic prompts get `temperature: 0` and `seed` (31 bits of the prompt's
/// seed); thought parts are dropped from the answer but their tokens are counted as
/// completion tokens; a `RetryInfo.retryDelay` in a 429 body is honoured like
/// `Retry-After`.
#[derive(Debug)]
pub struct Gemini {
    info: BackendInfo,
    model: String,
    endpoint: Endpoint,
}

impl Gemini {
    /// Validates `config` and reads its API key from the environment.
    pub fn new(config: &GeminiConfig) -> Result<Self, ModelError> {
        config.validate()?;
        let key = ApiKey::from_env(&config.api_key_env)?;
        let mut headers = HeaderMap::new();
        headers.insert("x-goog-api-key", key.header("")?);
        let base = config.base_url.trim_end_matches('/');
        let url = format!("{base}/v1beta/models/{}:generateContent", config.model_id());
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
            model: config.model_id().to_string(),
            endpoint,
        })
    }
}

#[async_trait::async_trait]
impl ModelBackend for Gemini {
    fn info(&self) -> &BackendInfo {
        &self.info
    }

    async fn complete(&self, prompt: &Prompt) -> Result<Completion, ModelError> {
        let started = tokio::time::Instant::now();
        let text_part = |text: &str| Part {
            text: Some(text.to_string()),
            thought: None,
        };
        let system: Vec<Part> = prompt
            .messages
            .iter()
            .filter(|m| m.role == Role::System)
            .map(|m| text_part(&m.content))
            .collect();
        let contents = prompt
            .messages
            .iter()
            .filter(|m| m.role != Role::System)
            .map(|m| Content {
                role: Some(
                    if m.role == Role::User {
                        "user"
                    } else {
                        "model"
                    }
                    .to_string(),
                ),
                parts: vec![text_part(&m.content)],
            })
            .collect();
        let request = GenerateRequest {
            contents,
            system_instruction: (!system.is_empty()).then_some(Content {
                role: None,
                parts: system,
            }),
            generation_config: GenerationConfig {
                temperature: prompt.deterministic.then_some(0.0),
                max_output_tokens: prompt.max_tokens,
                seed: prompt
                    .deterministic
                    .then_some((prompt.seed & i32::MAX as u64) as i32),
            },
        };
        let body = self.endpoint.post_json(&request).await?;
        let answer: GenerateResponse = decode(&body)?;
        let Some(candidate) = answer.candidates.into_iter().next() else {
            let reason = answer
                .prompt_feedback
                .and_then(|f| f.block_reason)
                .unwrap_or_else(|| "none given".into());
            return Err(ModelError::BadResponse(format!(
                "no candidate in the answer (block reason: {reason})"
            )));
        };
        let parts = candidate.content.map(|c| c.parts).unwrap_or_default();
        let texts: Vec<String> = parts
            .into_iter()
            .filter(|p| p.thought != Some(true))
            .filter_map(|p| p.text)
            .collect();
        if texts.is_empty() {
            let reason = candidate
                .finish_reason
                .unwrap_or_else(|| "none given".into());
            return Err(ModelError::BadResponse(format!(
                "no text in the answer (finish reason: {reason})"
            )));
        }
        let u = answer.usage_metadata.unwrap_or_default();
        let completion_tokens = u
            .candidates_token_count
            .unwrap_or(0)
            .saturating_add(u.thoughts_token_count.unwrap_or(0));
        Ok(Completion {
            text: texts.concat(),
            usage: Usage {
                prompt_tokens: u.prompt_token_count.unwrap_or(0),
                completion_tokens,
            },
            model: answer.model_version.unwrap_or_else(|| self.model.clone()),
            latency: started.elapsed(),
            confidence: None,
        })
    }
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerateRequest {
    contents: Vec<Content>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_instruction: Option<Content>,
    generation_config: GenerationConfig,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Content {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<String>,
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Part {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    thought: Option<bool>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    max_output_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<i32>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerateResponse {
    #[serde(default)]
    candidates: Vec<Candidate>,
    #[serde(default)]
    prompt_feedback: Option<PromptFeedback>,
    #[serde(default)]
    usage_metadata: Option<UsageMetadata>,
    #[serde(default)]
    model_version: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    #[serde(default)]
    block_reason: Option<String>,
}

#[derive(Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    #[serde(default)]
    prompt_token_count: Option<u32>,
    #[serde(default)]
    candidates_token_count: Option<u32>,
    #[serde(default)]
    thoughts_token_count: Option<u32>,
}

/// `{"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED","details":[…]}}`;
/// a `google.rpc.RetryInfo` detail's `retryDelay` (e.g. `"23s"`) is the server's wait.
fn parse_error(body: &[u8]) -> Option<ErrorDetail> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error = value.get("error")?;
    let message = error.get("message")?.as_str()?;
    let message = match error.get("status").and_then(|s| s.as_str()) {
        Some(status) => format!("{message} ({status})"),
        None => message.to_string(),
    };
    let retry_after = error
        .get("details")
        .and_then(|d| d.as_array())
        .into_iter()
        .flatten()
        .filter_map(|d| d.get("retryDelay")?.as_str())
        .find_map(|delay| duration::parse(delay).ok());
    Some(ErrorDetail {
        message,
        retry_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_with_retry_info() {
        let body = br#"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"23s"}]}}"#;
        let detail = parse_error(body);
        assert_eq!(
            detail,
            Some(ErrorDetail {
                message: "Quota exceeded (RESOURCE_EXHAUSTED)".into(),
                retry_after: Some(Duration::from_secs(23))
            })
        );
    }

    #[test]
    fn model_prefix_is_optional() {
        assert_eq!(
            GeminiConfig::new("models/gemini-2.0-flash").model_id(),
            "gemini-2.0-flash"
        );
        assert!(GeminiConfig::new("gemini:x").validate().is_err());
    }
}
