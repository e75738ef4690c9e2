//! What can be wrong in a backend's configuration, phrased as what to change.

use std::time::Duration;

/// A configuration problem found by [`crate::BackendConfig::validate`] or when building.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("`{field}` must not be empty; for example {field} = {example}")]
    Empty {
        field: &'static str,
        example: &'static str,
    },
    #[error(
        "`{field}` = {url:?} is not a usable http(s) URL ({reason}); for example {field} = \"http://127.0.0.1:8080/v1\""
    )]
    BadUrl {
        field: &'static str,
        url: String,
        reason: String,
    },
    #[error(
        "`vendor` is required for a `{kind}` backend: name who trained the model (e.g. vendor = \"meta\" for Llama, \"alibaba\" for Qwen, \"mistral\" for Mistral) so the cluster can check that its coordinators are diverse"
    )]
    VendorRequired { kind: &'static str },
    #[error(
        "`{field}` = {value:?} is out of range: use a value between {min:?} and {max:?}, e.g. {field} = \"30s\""
    )]
    BadDuration {
        field: &'static str,
        value: Duration,
        min: Duration,
        max: Duration,
    },
    #[error("`retry_initial_backoff` ({initial:?}) must not exceed `retry_max_backoff` ({max:?})")]
    BackoffOrder { initial: Duration, max: Duration },
    #[error(
        "`max_retries` = {value} is too many: use at most {max} (each retry adds latency to a vote)"
    )]
    TooManyRetries { value: u32, max: u32 },
    #[error(
        "`{field}` = {value} must be a finite, non-negative price in US dollars per 1,000 tokens"
    )]
    BadPrice { field: &'static str, value: f64 },
    #[error("`{field}` = {value} must be at least {min}")]
    TooSmall {
        field: &'static str,
        value: u64,
        min: u64,
    },
    #[error(
        "{host} needs an API key: set api_key_env = \"{example_env}\" and export that variable"
    )]
    KeyRequired {
        host: String,
        example_env: &'static str,
    },
    #[error(
        "environment variable {env} is not set or empty: export it with your API key, or point `api_key_env` at the variable that holds it"
    )]
    MissingApiKey { env: String },
    #[error(
        "`api_key_env` = {env:?} is not a valid environment variable name (letters, digits and `_`, e.g. \"OPENAI_API_KEY\")"
    )]
    BadEnvName { env: String },
    #[error("model name {model:?} {reason}")]
    BadModelName { model: String, reason: &'static str },
    #[error(
        "the built-in model {model:?} is provided by the byzvote-builtin crate: build this backend with `BackendConfig::build_with` and its factory (the `byzvote` binary does this for you)"
    )]
    BuiltinUnavailable { model: String },
    #[error("cannot read the backend description: {0}")]
    Parse(String),
}
