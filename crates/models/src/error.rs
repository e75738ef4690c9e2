//! The one error type every backend returns.

use std::time::Duration;

/// Why a backend call failed.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The call did not finish in time (after retries).
    #[error("model call timed out after {0:?}")]
    Timeout(Duration),
    /// The remote refused the request for a reason retrying will not fix (4xx except 429).
    #[error("model rejected the request (HTTP {status}): {message}")]
    Rejected { status: u16, message: String },
    /// The remote kept failing with a transient error (429, 5xx, connection) until retries ran out.
    #[error("model unavailable after {attempts} attempts: {message}")]
    Unavailable { attempts: u32, message: String },
    /// The remote answered, but not in the expected shape.
    #[error("model answered with an unexpected response: {0}")]
    BadResponse(String),
    /// A configuration problem the operator must fix (missing API key, bad URL, missing weights).
    #[error("model backend misconfigured: {0}")]
    Config(String),
    /// A local model or command failed.
    #[error("local model failed: {0}")]
    Local(String),
}

impl ModelError {
    /// Whether the same call might succeed later (the remote was slow or overloaded),
    /// as opposed to a problem in the request, the answer or the configuration.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Timeout(_) | Self::Unavailable { .. })
    }
}

impl From<crate::ConfigError> for ModelError {
    fn from(error: crate::ConfigError) -> Self {
        Self::Config(error.to_string())
    }
}
