//! [`BackendConfig`]: how an operator describes a coordinator's model, in TOML.
//!
//! ```toml
//! kind = "openai"                        # or "anthropic", "gemini", "command", "builtin"
//! base_url = "http://127.0.0.1:11434/v1" # Ollama's OpenAI-compatible endpoint
//! model = "llama3.2:3b"
//! vendor = "meta"                        # who trained it: used for the diversity check
//! timeout = "30s"
//! ```
//!
//! Unknown keys are errors (a misspelt `max_retires` must not be silently ignored), and
//! [`BackendConfig::validate`] says what to change. Each kind's fields are documented on
//! its config type: [`crate::OpenAiConfig`], [`crate::AnthropicConfig`],
//! [`crate::GeminiConfig`], [`crate::CommandConfig`], [`BuiltinConfig`].

pub(crate) mod checks;
pub(crate) mod duration;
mod error;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use error::ConfigError;

use crate::{
    Anthropic, AnthropicConfig, BackendInfo, Command, CommandConfig, Gemini, GeminiConfig,
    ModelBackend, ModelError, OpenAi, OpenAiConfig,
};

/// One model backend, tagged by `kind`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum BackendConfig {
    /// OpenAI chat completions or a compatible server.
    #[serde(rename = "openai")]
    OpenAi(OpenAiConfig),
    /// Anthropic Messages API.
    Anthropic(AnthropicConfig),
    /// Google Gemini `generateContent`.
    Gemini(GeminiConfig),
    /// A local program: prompt on stdin, answer on stdout.
    Command(CommandConfig),
    // ---- Built-in local models -------------------------------------------------------
    // The offline models shipped with byzvote live in crate `byzvote-builtin`, which
    // depends on this crate, so this crate cannot build them itself: `build_with` hands
    // this variant to a `BuiltinFactory` that `byzvote-builtin` implements.
    /// A built-in offline model (crate `byzvote-builtin`).
    Builtin(BuiltinConfig),
}

/// A built-in local model, e.g. `kind = "builtin"`, `model = "smollm2-135m"`.
///
/// The model names and the meaning of `options` belong to `byzvote-builtin`; this
/// crate only carries them to its [`BuiltinFactory`].
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuiltinConfig {
    /// The built-in model's name as `byzvote models list` prints it.
    pub model: String,
    /// Model-specific settings (threads, context length, …), e.g. `options = { threads = 1 }`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, serde_json::Value>,
}

/// Builds the built-in local models; implemented by `byzvote-builtin`.
pub trait BuiltinFactory: Send + Sync {
    /// Loads (or fails to find) the model `config.model`.
    fn build(&self, config: &BuiltinConfig) -> Result<Arc<dyn ModelBackend>, ModelError>;
}

impl BackendConfig {
    /// The kind's name as written in TOML.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::OpenAi(_) => "openai",
            Self::Anthropic(_) => "anthropic",
            Self::Gemini(_) => "gemini",
            Self::Command(_) => "command",
            Self::Builtin(_) => "builtin",
        }
    }

    /// Checks everything that can be checked without the network or the environment.
    /// (API keys are read, and their absence reported, by [`BackendConfig::build`].)
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self {
            Self::OpenAi(c) => c.validate(),
            Self::Anthropic(c) => c.validate(),
            Self::Gemini(c) => c.validate(),
            Self::Command(c) => c.validate(),
            Self::Builtin(c) => checks::non_empty("model", &c.model, "\"smollm2-135m\""),
        }
    }

    /// The facts the cluster uses for diversity checks and cost accounting, before
    /// building. `None` for built-in models, whose facts `byzvote-builtin` knows.
    pub fn info(&self) -> Option<BackendInfo> {
        match self {
            Self::OpenAi(c) => Some(c.info_fields().info()),
            Self::Anthropic(c) => Some(c.info_fields().info()),
            Self::Gemini(c) => Some(c.info_fields().info()),
            Self::Command(c) => Some(c.info_fields().info()),
            Self::Builtin(_) => None,
        }
    }

    /// Validates, reads API keys from the environment and builds the backend.
    /// Built-in models need [`BackendConfig::build_with`].
    pub fn build(&self) -> Result<Arc<dyn ModelBackend>, ModelError> {
        self.build_with(None)
    }

    /// Like [`BackendConfig::build`], with the factory for `kind = "builtin"`.
    pub fn build_with(
        &self,
        builtin: Option<&dyn BuiltinFactory>,
    ) -> Result<Arc<dyn ModelBackend>, ModelError> {
        self.validate()?;
        let backend: Arc<dyn ModelBackend> = match self {
            Self::OpenAi(c) => Arc::new(OpenAi::new(c)?),
            Self::Anthropic(c) => Arc::new(Anthropic::new(c)?),
            Self::Gemini(c) => Arc::new(Gemini::new(c)?),
            Self::Command(c) => Arc::new(Command::new(c)?),
            Self::Builtin(c) => match builtin {
                Some(factory) => factory.build(c)?,
                None => {
                    return Err(ConfigError::BuiltinUnavailable {
                        model: c.model.clone(),
                    }
                    .into());
                }
            },
        };
        Ok(backend)
    }

    /// Reads a backend from a TOML inline table, for command lines:
    /// `{ kind = "command", program = "sh", args = ["-c", "cat"], vendor = "me" }`.
    pub fn from_inline_toml(text: &str) -> Result<Self, ConfigError> {
        #[derive(serde::Deserialize)]
        struct Wrapper {
            backend: BackendConfig,
        }
        let wrapper: Wrapper = toml::from_str(&format!("backend = {text}"))
            .map_err(|e| ConfigError::Parse(e.message().to_string()))?;
        Ok(wrapper.backend)
    }
}

impl std::str::FromStr for BackendConfig {
    type Err = ConfigError;

    /// A TOML document (the table's keys at top level) or a TOML inline table.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.trim_start().starts_with('{') {
            return Self::from_inline_toml(text);
        }
        toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string().trim_end().to_string()))
    }
}

#[cfg(test)]
mod tests;
