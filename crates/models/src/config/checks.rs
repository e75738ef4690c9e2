//! Validation shared by the backend configs: URLs, durations, retries, prices, names.

use std::time::Duration;

use super::ConfigError;
use crate::{BackendInfo, RetryPolicy};

/// Timeouts shorter than this cannot even connect; longer ones stall a vote.
pub(crate) const MIN_TIMEOUT: Duration = Duration::from_millis(1);
pub(crate) const MAX_TIMEOUT: Duration = Duration::from_secs(3600);
pub(crate) const MAX_RETRIES: u32 = 10;

pub(crate) fn non_empty(
    field: &'static str,
    value: &str,
    example: &'static str,
) -> Result<(), ConfigError> {
    if value.trim().is_empty() {
        return Err(ConfigError::Empty { field, example });
    }
    Ok(())
}

pub(crate) fn url(field: &'static str, url: &str) -> Result<(), ConfigError> {
    let bad = |reason: String| ConfigError::BadUrl {
        field,
        url: url.to_string(),
        reason,
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad(format!(
            "scheme {:?} is not http or https",
            parsed.scheme()
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host".to_string()));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad("remove the `?…`/`#…` part".to_string()));
    }
    Ok(())
}

pub(crate) fn duration(field: &'static str, value: Duration) -> Result<(), ConfigError> {
    if !(MIN_TIMEOUT..=MAX_TIMEOUT).contains(&value) {
        return Err(ConfigError::BadDuration {
            field,
            value,
            min: MIN_TIMEOUT,
            max: MAX_TIMEOUT,
        });
    }
    Ok(())
}

pub(crate) fn retry(policy: &RetryPolicy) -> Result<(), ConfigError> {
    if policy.max_retries > MAX_RETRIES {
        return Err(ConfigError::TooManyRetries {
            value: policy.max_retries,
            max: MAX_RETRIES,
        });
    }
    if policy.initial_backoff > policy.max_backoff {
        return Err(ConfigError::BackoffOrder {
            initial: policy.initial_backoff,
            max: policy.max_backoff,
        });
    }
    duration("retry_max_backoff", policy.max_backoff)
}

/// The HTTP backends' call limits: the whole-call `timeout` and the retry policy.
pub(crate) fn call_limits(timeout: Duration, policy: &RetryPolicy) -> Result<(), ConfigError> {
    duration("timeout", timeout)?;
    retry(policy)
}

pub(crate) fn env_name(env: &str) -> Result<(), ConfigError> {
    let valid = !env.is_empty()
        && !env.starts_with(|c: char| c.is_ascii_digit())
        && env.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(ConfigError::BadEnvName {
            env: env.to_string(),
        });
    }
    Ok(())
}

/// The `BackendInfo` fields every config carries, with the kind's defaults applied.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InfoFields<'a> {
    pub(crate) kind: &'static str,
    pub(crate) model: &'a str,
    pub(crate) name: Option<&'a str>,
    pub(crate) vendor: Option<&'a str>,
    pub(crate) default_vendor: Option<&'static str>,
    pub(crate) family: Option<&'a str>,
    pub(crate) price_in_per_1k: f64,
    pub(crate) price_out_per_1k: f64,
}

impl InfoFields<'_> {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("price_in_per_1k", self.price_in_per_1k),
            ("price_out_per_1k", self.price_out_per_1k),
        ] {
            if !value.is_finite() || value < 0.0 {
                return Err(ConfigError::BadPrice { field, value });
            }
        }
        match (self.vendor, self.default_vendor) {
            (Some(v), _) if !v.trim().is_empty() => Ok(()),
            (None, Some(_)) => Ok(()),
            _ => Err(ConfigError::VendorRequired { kind: self.kind }),
        }
    }

    /// Defaults: name `kind:model`, family = model, vendor from the kind when known.
    pub(crate) fn info(&self) -> BackendInfo {
        let owned = |v: Option<&str>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        BackendInfo {
            name: owned(self.name).unwrap_or_else(|| format!("{}:{}", self.kind, self.model)),
            vendor: owned(self.vendor)
                .or(self.default_vendor.map(str::to_string))
                .unwrap_or_default(),
            family: owned(self.family).unwrap_or_else(|| self.model.to_string()),
            price_in_per_1k: self.price_in_per_1k,
            price_out_per_1k: self.price_out_per_1k,
        }
    }
}

/// Serde defaults shared by the HTTP backends.
pub(crate) mod defaults {
    use std::time::Duration;

    pub(crate) fn timeout() -> Duration {
        Duration::from_secs(60)
    }
    pub(crate) fn max_retries() -> u32 {
        crate::RetryPolicy::default().max_retries
    }
    pub(crate) fn initial_backoff() -> Duration {
        crate::RetryPolicy::default().initial_backoff
    }
    pub(crate) fn max_backoff() -> Duration {
        crate::RetryPolicy::default().max_backoff
    }
}
