//! API keys, read from the environment once when a backend is built.

use crate::ConfigError;

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

    pub(crate) fn expose(&self) -> &str {
        &self.value
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKey(${}, redacted)", self.env)
    }
}
