//! The JSON error body of every failed API call.
//!
//! It has the OpenAI error shape (`{"error": {"message", "type", "param", "code"}}`) so that the
//! OpenAI-compatible endpoint (issue 6) and the native API answer errors the same way, and the
//! official `openai` client turns them into its typed exceptions.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};

/// The body of every 4xx/5xx response: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// What went wrong; the wrapper object exists because OpenAI clients look for `error`.
    pub error: ApiErrorBody,
}

/// The inside of [`ApiError`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// A sentence for a human that says what is wrong and what to do about it.
    pub message: String,
    /// The OpenAI error family: `invalid_request_error`, `not_found_error`, `server_error`,
    /// `timeout_error`, `service_unavailable`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The request field at fault (e.g. `mode`, `tier`), when one is.
    #[serde(default)]
    pub param: Option<String>,
    /// A stable machine-readable code (e.g. `invalid_json`, `unknown_mode`, `body_too_large`).
    #[serde(default)]
    pub code: Option<String>,
}

/// An [`ApiError`] with the HTTP status it is sent with: what handlers return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    /// The HTTP status code (always 4xx or 5xx).
    pub status: StatusCode,
    /// The JSON body.
    pub body: ApiError,
}

impl HttpError {
    /// An error with status, OpenAI `type`, stable `code` and a message for the user.
    pub fn new(status: StatusCode, kind: &str, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ApiError {
                error: ApiErrorBody {
                    message: message.into(),
                    kind: kind.to_string(),
                    param: None,
                    code: Some(code.to_string()),
                },
            },
        }
    }

    /// Names the request field at fault.
    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.body.error.param = Some(param.into());
        self
    }

    /// 400: the body could not be read as JSON at all.
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            code,
            message,
        )
    }

    /// 422: the JSON parsed but a field is missing, of the wrong type, or has a bad value.
    pub fn unprocessable(code: &str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request_error",
            code,
            message,
        )
    }

    /// 404 with a message naming what was not found.
    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found_error", code, message)
    }

    /// 500: a bug or an unexpected state on the node; the message is safe to show.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal_error",
            message,
        )
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.body.error.message, self.status)
    }
}

impl std::error::Error for HttpError {}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
