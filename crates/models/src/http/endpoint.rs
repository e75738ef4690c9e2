//! One provider URL and the retry loop around POSTing JSON to it.
//!
//! `timeout` bounds the whole call, retries and waits included: a coordinator must
//! reveal before the protocol moves on, so a per-attempt timeout that multiplies with
//! retries would be the wrong promise. A retry whose wait would cross the deadline is
//! not attempted; the call fails at once with the last transient error.

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue};
use tokio::time::Instant;

use super::retry::{is_transient_status, parse_retry_after};
use super::{ApiKey, RetryPolicy};
use crate::ModelError;

/// Largest successful answer accepted; a chat answer is a few KB.
const MAX_BODY: usize = 8 << 20;
/// How much of an error body is read for its message.
const MAX_ERROR_BODY: usize = 64 << 10;
/// How much of an unparseable body is quoted in an error.
const SNIPPET_CHARS: usize = 300;

/// The process-wide HTTP client: one connection pool and TLS setup for every backend.
pub(crate) fn shared_client() -> Result<reqwest::Client, ModelError> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client.clone());
    }
    let client = reqwest::Client::builder()
        .user_agent(concat!("byzvote/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| ModelError::Config(format!("cannot create the HTTP client: {e}")))?;
    Ok(CLIENT.get_or_init(|| client).clone())
}

/// A configured string as a header value; `what` names its source (a field, or `$ENV`
/// for a key) so the error tells the operator which setting to fix.
pub(crate) fn header_value(value: &str, what: &str) -> Result<HeaderValue, ModelError> {
    HeaderValue::from_str(value)
        .map_err(|_| ModelError::Config(format!("{what} holds characters not allowed in a header")))
}

/// What a vendor's error body says, parsed by the vendor's backend.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ErrorDetail {
    pub(crate) message: String,
    /// A retry delay given in the body rather than a header (Gemini's `RetryInfo`).
    pub(crate) retry_after: Option<Duration>,
}

/// Turns a vendor's error body into a message, or `None` if it is not the vendor's shape.
pub(crate) type ErrorParser = fn(&[u8]) -> Option<ErrorDetail>;

/// A provider URL with its headers, deadline and retry policy.
#[derive(Clone, Debug)]
pub(crate) struct Endpoint {
    pub(crate) client: reqwest::Client,
    pub(crate) url: reqwest::Url,
    pub(crate) headers: HeaderMap,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) parse_error: ErrorParser,
    /// The variable the key came from, for 401/403 hints.
    pub(crate) key_env: Option<String>,
}

enum Failure {
    Fatal(ModelError),
    Transient {
        message: String,
        retry_after: Option<Duration>,
    },
}

impl Endpoint {
    pub(crate) fn new(
        url: &str,
        headers: HeaderMap,
        timeout: Duration,
        retry: RetryPolicy,
        parse_error: ErrorParser,
        key: Option<&ApiKey>,
    ) -> Result<Self, ModelError> {
        let url = reqwest::Url::parse(url)
            .map_err(|e| ModelError::Config(format!("invalid URL {url:?}: {e}")))?;
        Ok(Self {
            client: shared_client()?,
            url,
            headers,
            timeout,
            retry,
            parse_error,
            key_env: key.map(|k| k.env.clone()),
        })
    }

    /// POSTs `body` as JSON and returns the body of the first successful answer.
    pub(crate) async fn post_json(
        &self,
        body: &impl serde::Serialize,
    ) -> Result<Bytes, ModelError> {
        let body = serde_json::to_vec(body)
            .map_err(|e| ModelError::Local(format!("cannot encode the request: {e}")))?;
        let body = Bytes::from(body);
        let deadline = Instant::now() + self.timeout;
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let (message, hint) =
                match tokio::time::timeout_at(deadline, self.attempt(body.clone())).await {
                    Err(_elapsed) => return Err(ModelError::Timeout(self.timeout)),
                    Ok(Ok(answer)) => return Ok(answer),
                    Ok(Err(Failure::Fatal(error))) => return Err(error),
                    Ok(Err(Failure::Transient {
                        message,
                        retry_after,
                    })) => (message, retry_after),
                };
            tracing::debug!(url = %self.url, attempts, %message, "transient model failure");
            if attempts > self.retry.max_retries {
                return Err(ModelError::Unavailable { attempts, message });
            }
            let wait = self.retry.delay(attempts - 1, hint);
            if Instant::now() + wait >= deadline {
                let message = format!(
                    "{message} (no retry: waiting {wait:?} would pass the {:?} timeout)",
                    self.timeout
                );
                return Err(ModelError::Unavailable { attempts, message });
            }
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, body: Bytes) -> Result<Bytes, Failure> {
        let request = self
            .client
            .post(self.url.clone())
            .headers(self.headers.clone());
        let response = request
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        let response = response.map_err(|e| Failure::Transient {
            message: format!("cannot reach {}: {}", self.url, error_chain(&e)),
            retry_after: None,
        })?;
        let status = response.status().as_u16();
        let header_hint = parse_retry_after(response.headers());
        if response.status().is_success() {
            return match read_body(response, MAX_BODY).await {
                Ok((body, false)) => Ok(body.into()),
                Ok((_, true)) => Err(Failure::Fatal(ModelError::BadResponse(format!(
                    "answer larger than {MAX_BODY} bytes"
                )))),
                Err(e) => Err(Failure::Transient {
                    message: format!("answer cut off: {}", error_chain(&e)),
                    retry_after: None,
                }),
            };
        }
        let body = read_body(response, MAX_ERROR_BODY)
            .await
            .map(|(b, _)| b)
            .unwrap_or_default();
        let detail = (self.parse_error)(&body);
        let retry_after = header_hint.or(detail.as_ref().and_then(|d| d.retry_after));
        let message = detail.map(|d| d.message).unwrap_or_else(|| snippet(&body));
        if is_transient_status(status) {
            return Err(Failure::Transient {
                message: format!("HTTP {status}: {message}"),
                retry_after,
            });
        }
        let message = match (status, &self.key_env) {
            (401 | 403, Some(env)) => format!("{message} (check the API key in ${env})"),
            (401 | 403, None) => {
                format!("{message} (the server wants an API key: set api_key_env)")
            }
            _ => message,
        };
        Err(Failure::Fatal(ModelError::Rejected { status, message }))
    }
}

/// Reads at most `limit` bytes; the flag says whether more were left.
async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            body.extend_from_slice(&chunk[..limit - body.len()]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// The start of a body, for error messages when it is not in the expected shape.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".to_string();
    }
    let mut cut: String = text.chars().take(SNIPPET_CHARS).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    cut
}

/// reqwest's top-level message ("error sending request") hides the cause; show it all.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
