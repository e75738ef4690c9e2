//! When to try a failed HTTP call again, and how long to wait first.
//!
//! The delays are a pure function of the attempt number and the server's hint, with no
//! jitter: two runs against the same server behave the same, which keeps tests exact.
//! Jitter matters when thousands of clients retry in lockstep; a byzvote cluster has a
//! handful of coordinators per provider.

use std::time::Duration;

/// Retries for transient failures (HTTP 408, 429, 5xx, connection errors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; `0` means one attempt only.
    pub max_retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub initial_backoff: Duration,
    /// Upper bound on any single wait, including one the server asks for.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0 for the first retry).
    ///
    /// A server's `Retry-After` wins over the exponential schedule, but never beyond
    /// `max_backoff`: a provider asking for a minute would otherwise stall a vote.
    pub fn delay(&self, retry: u32, server_hint: Option<Duration>) -> Duration {
        let wait = match server_hint {
            Some(hint) => hint,
            None => {
                let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
                self.initial_backoff.saturating_mul(factor)
            }
        };
        wait.min(self.max_backoff)
    }
}

/// Whether an HTTP status is worth retrying: the server was overloaded or broken, not
/// the request.
pub(crate) fn is_transient_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..=599).contains(&status)
}

/// The server's requested wait, from `retry-after-ms` (OpenAI) or `retry-after`
/// (seconds, RFC 9110). HTTP-date values are ignored: the exponential schedule applies.
pub(crate) fn parse_retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let number = |name: &str| -> Option<f64> {
        let value = headers
            .get(name)?
            .to_str()
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()?;
        (value.is_finite() && value >= 0.0).then_some(value)
    };
    if let Some(ms) = number("retry-after-ms") {
        return Duration::try_from_secs_f64(ms / 1000.0).ok();
    }
    number("retry-after").and_then(|secs| Duration::try_from_secs_f64(secs).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        }
    }

    #[test]
    fn backoff_doubles_then_caps() {
        let delays: Vec<_> = (0..6)
            .map(|r| policy().delay(r, None).as_millis())
            .collect();
        assert_eq!(delays, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(policy().delay(u32::MAX, None), Duration::from_secs(1));
    }

    #[test]
    fn server_hint_wins_but_is_capped() {
        let p = policy();
        assert_eq!(
            p.delay(3, Some(Duration::from_millis(5))),
            Duration::from_millis(5)
        );
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(60))),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn retry_after_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(parse_retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("150.5"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_micros(150_500)));
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(parse_retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static("-3"));
        assert_eq!(parse_retry_after(&h), None);
    }

    #[test]
    fn transient_statuses() {
        for s in [408, 429, 500, 502, 503, 529] {
            assert!(is_transient_status(s), "{s}");
        }
        for s in [400, 401, 403, 404, 413, 422] {
            assert!(!is_transient_status(s), "{s}");
        }
    }
}
