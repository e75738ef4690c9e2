//! API keys, read from the environment once when a backend is built.

use reqwest::header::HeaderValue;

use crate::{ConfigError, ModelError};

/// A secret that never shows up in `Debug` output or logs.
#[derive(Clone)]
pub(crate) struct ApiKey {
    value: String,
    /// The variable it came from, named in error hints.
    pub(crate) env: String,
}

impl ApiKey {
    /// Reads `env`; a missing or empty variable is a configuration error that names it.
    pub(crate) fn from_env(env: &str) -> Result<Self, ConfigError> {
        match std::env::var(env) {
            Ok(value) if !value.trim().is_empty() => Ok(Self {
                value: value.trim().to_string(),
                env: env.to_string(),
            }),
            _ => Err(ConfigError::MissingApiKey {
                env: env.to_string(),
            }),
        }
    }

    /// Reads `env` when one is configured (local servers need no key).
    pub(crate) fn optional(env: Option<&str>) -> Result<Option<Self>, ConfigError> {
        env.map(Self::from_env).transpose()
    }

    /// The key as a header value after `prefix` (e.g. `"Bearer "`, or `""` for a bare
    /// key); the error names the variable, never the key.
    pub(crate) fn header(&self, prefix: &str) -> Result<HeaderValue, ModelError> {
        super::header_value(
            &format!("{prefix}{}", self.value),
            &format!("${}", self.env),
        )
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKey(${}, redacted)", self.env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(value: &str) -> ApiKey {
        ApiKey {
            value: value.to_string(),
            env: "TEST_KEY".to_string(),
        }
    }

    #[test]
    fn header_puts_the_prefix_before_the_key() {
        let value = key("sk-1").header("Bearer ").unwrap();
        assert_eq!(value.to_str().unwrap(), "Bearer sk-1");
        assert_eq!(key("sk-1").header("").unwrap().to_str().unwrap(), "sk-1");
    }

    #[test]
    fn header_error_names_the_variable_not_the_key() {
        let error = key("sk-\nsecret").header("").unwrap_err().to_string();
        assert!(
            error.contains("$TEST_KEY holds characters not allowed"),
            "{error}"
        );
        assert!(!error.contains("secret"), "{error}");
    }
}
