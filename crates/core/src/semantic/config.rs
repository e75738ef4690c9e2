//! The `semantic[:threshold]` mode parameters.
//!
//! The threshold is kept in thousandths (`semantic:0.85` is 850) so that the configuration is
//! an integer: it compares, hashes and encodes exactly, with no floating point in a mode.

use std::{fmt, str::FromStr};
use thiserror::Error;

/// Default cosine threshold, in thousandths. Chosen on the labelled table in
/// `crates/core/testdata/semantic_pairs.json`: below 0.75 answers on the same topic that say
/// different things start to merge (precision falls from 0.96 to 0.88-0.91); from 0.80 up true
/// paraphrases split (recall falls); 0.775 is the middle of that plateau.
pub const DEFAULT_THRESHOLD_MILLI: u16 = 775;

/// Parameters of the semantic agreement rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SemanticConfig {
    threshold_milli: u16,
}

/// Why a `semantic[:threshold]` string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SemanticConfigError {
    /// The text does not start with `semantic`.
    #[error("expected semantic or semantic:THRESHOLD (e.g. semantic:0.85); got {0:?}")]
    NotSemantic(String),
    /// The threshold is not a decimal in (0, 1] with at most three decimals.
    #[error(
        "the semantic threshold must be a cosine similarity greater than 0 and at most 1, with at \
         most three decimals (e.g. semantic:0.85); got {0:?}"
    )]
    BadThreshold(String),
}

impl SemanticConfig {
    /// A configuration with `threshold_milli` thousandths; `None` unless it is in 1..=1000.
    pub const fn with_threshold_milli(threshold_milli: u16) -> Option<Self> {
        if threshold_milli == 0 || threshold_milli > 1000 {
            None
        } else {
            Some(Self { threshold_milli })
        }
    }

    /// The cosine threshold in thousandths.
    pub const fn threshold_milli(&self) -> u16 {
        self.threshold_milli
    }

    /// The cosine threshold.
    pub fn threshold(&self) -> f32 {
        f32::from(self.threshold_milli) / 1000.0
    }

    /// Parses the part after `semantic:` (`None` when there is no colon): `0.85`, `.9`, `1`.
    pub fn from_param(param: Option<&str>) -> Result<Self, SemanticConfigError> {
        let Some(raw) = param else {
            return Ok(Self::default());
        };
        let bad = || SemanticConfigError::BadThreshold(raw.to_string());
        let t = raw.trim();
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) || frac.len() > 3 {
            return Err(bad());
        }
        let int: u16 = match int.trim_start_matches('0') {
            "" => 0,
            "1" => 1,
            _ => return Err(bad()),
        };
        let frac_milli = frac
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(3)
            .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
        Self::with_threshold_milli(int * 1000 + frac_milli).ok_or_else(bad)
    }
}

impl Default for SemanticConfig {
    fn default() -> Self {
        Self {
            threshold_milli: DEFAULT_THRESHOLD_MILLI,
        }
    }
}

impl FromStr for SemanticConfig {
    type Err = SemanticConfigError;

    /// `semantic` (the default threshold) or `semantic:T`, case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let (kind, param) = match t.split_once(':') {
            Some((k, p)) => (k, Some(p)),
            None => (t, None),
        };
        if !kind.trim().eq_ignore_ascii_case("semantic") {
            return Err(SemanticConfigError::NotSemantic(s.to_string()));
        }
        Self::from_param(param)
    }
}

impl fmt::Display for SemanticConfig {
    /// `semantic` for the default threshold, else `semantic:0.85` (shortest form), so that
    /// parsing the output gives the same configuration back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Self::default() {
            return f.write_str("semantic");
        }
        let m = self.threshold_milli;
        if m == 1000 {
            return f.write_str("semantic:1");
        }
        let frac = format!("{m:03}");
        write!(f, "semantic:0.{}", frac.trim_end_matches('0'))
    }
}
