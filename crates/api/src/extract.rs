//! A JSON body extractor whose every rejection is an [`ApiError`](crate::ApiError) JSON body.
//!
//! axum's own `Json` rejects with plain text, and it refuses bodies without an
//! `application/json` content type, which trips `curl -d` users. This one accepts a missing
//! content type, refuses only an explicitly different one, and says precisely what is wrong:
//! invalid UTF-8 (with the byte offset), malformed JSON (with line and column), a missing field,
//! a wrong type (with the field's path), or a body over the node's size limit.

use crate::error::HttpError;
use axum::{
    extract::{FromRequest, Request, rejection::BytesRejection},
    http::{StatusCode, header},
};
use bytes::Bytes;
use serde::de::DeserializeOwned;

/// The configured maximum request body size, stored in the request extensions by the router so
/// that the rejection can name it.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body, deserialized into `T`, rejecting with a JSON [`HttpError`].
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        check_content_type(&req)?;
        let limit = req.extensions().get::<BodyLimit>().map(|l| l.0);
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|rejection| body_rejection(rejection, limit))?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Refuses a body explicitly declared as something other than JSON (a form, plain text...).
fn check_content_type(req: &Request) -> Result<(), HttpError> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or("").to_ascii_lowercase();
    let mime = text.split(';').next().unwrap_or("").trim();
    // `curl -d` sends a form content type by default; its body is still what the user typed.
    let accepted = mime == "application/json"
        || mime.ends_with("+json")
        || mime == "application/x-www-form-urlencoded"
        || mime == "text/plain"
        || mime.is_empty();
    if accepted {
        return Ok(());
    }
    Err(HttpError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "invalid_request_error",
        "unsupported_media_type",
        format!(
            "the request body must be JSON, but its Content-Type is `{mime}`; \
             send `Content-Type: application/json`"
        ),
    ))
}

fn body_rejection(rejection: BytesRejection, limit: Option<usize>) -> HttpError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        let limit = limit.map_or_else(|| "the node's limit".to_string(), |l| format!("{l} bytes"));
        return HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            "body_too_large",
            format!(
                "the request body is larger than {limit}; shorten the prompt or raise the \
                 node's body limit"
            ),
        );
    }
    HttpError::bad_request(
        "unreadable_body",
        format!("could not read the request body: {rejection}"),
    )
}

/// Parses a JSON document, mapping each failure to a 4xx a user can act on.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, HttpError> {
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(HttpError::bad_request(
            "invalid_utf8",
            format!(
                "the request body is not valid UTF-8 (first bad byte at offset {}); JSON must be \
                 UTF-8 encoded",
                e.valid_up_to()
            ),
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(HttpError::bad_request(
            "empty_body",
            "the request body is empty; send a JSON object such as {\"prompt\": \"...\"}",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| json_error(e, bytes))?;
    de.end().map_err(|e| {
        HttpError::bad_request(
            "invalid_json",
            format!("the request body has trailing characters after the JSON value: {e}"),
        )
    })?;
    Ok(value)
}

fn json_error(e: serde_path_to_error::Error<serde_json::Error>, bytes: &[u8]) -> HttpError {
    use serde_json::error::Category;
    let path = e.path().to_string();
    let inner = e.into_inner();
    match inner.classify() {
        Category::Data => field_error(path, inner.to_string()),
        // serde_json reports a value of the wrong JSON type where an enum is expected (e.g.
        // `"role": 1`) as a syntax error; when the body is valid JSON, name the field instead.
        Category::Syntax if serde_json::from_slice::<serde_json::Value>(bytes).is_ok() => {
            field_error(path, format!("a value of the wrong type ({inner})"))
        }
        Category::Eof => HttpError::bad_request(
            "invalid_json",
            format!("the request body is not valid JSON: it ends early ({inner})"),
        ),
        Category::Syntax | Category::Io => HttpError::bad_request(
            "invalid_json",
            format!("the request body is not valid JSON: {inner}"),
        ),
    }
}

/// 422 naming the field at `path` (`.` or empty: the whole body).
fn field_error(path: String, what: String) -> HttpError {
    if path == "." || path.is_empty() {
        return HttpError::unprocessable("invalid_field", format!("invalid request: {what}"));
    }
    HttpError::unprocessable("invalid_field", format!("invalid field `{path}`: {what}"))
        .with_param(path)
}
