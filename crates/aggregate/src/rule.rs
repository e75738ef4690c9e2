//! The rule names, their robustness requirements on `n` and `f`, and the tuning options.
//!
//! | rule | requirement | why |
//! |---|---|---|
//! | `mean` | `n >= 1` | baseline; one Byzantine vector moves it arbitrarily |
//! | `median` | `n >= 2f + 1` | an honest majority per coordinate bounds the middle value |
//! | `trimmed-mean` | `n >= 2f + 1` | `f` cut from each side leaves `n - 2f >= 1` values |
//! | `krum` | `n >= 2f + 3` | Blanchard et al. 2017: `n > 2f + 2` |
//! | `multi-krum` | `n >= 2f + 3`, `1 <= m <= n - f` | as Krum |
//! | `bulyan` | `n >= 4f + 3` | El Mhamdi et al. 2018 |
//! | `geometric-median` | `n >= 2f + 1` | breakdown point 1/2 |
//! | `centered-clipping` | `n >= 2f + 1` | honest majority; starts from the median |
//! | `cgc` | `n >= 2f + 1` | Gupta & Vaidya 2020: `n > 2f` |

use crate::error::AggregateError;
use std::fmt;
use std::str::FromStr;

/// An aggregation rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    Mean,
    Median,
    TrimmedMean,
    Krum,
    MultiKrum,
    Bulyan,
    GeometricMedian,
    CenteredClipping,
    Cgc,
}

impl Rule {
    /// Every rule, in the order of the CLI documentation.
    pub const ALL: [Rule; 9] = [
        Rule::Mean,
        Rule::Median,
        Rule::TrimmedMean,
        Rule::Krum,
        Rule::MultiKrum,
        Rule::Bulyan,
        Rule::GeometricMedian,
        Rule::CenteredClipping,
        Rule::Cgc,
    ];

    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Mean => "mean",
            Rule::Median => "median",
            Rule::TrimmedMean => "trimmed-mean",
            Rule::Krum => "krum",
            Rule::MultiKrum => "multi-krum",
            Rule::Bulyan => "bulyan",
            Rule::GeometricMedian => "geometric-median",
            Rule::CenteredClipping => "centered-clipping",
            Rule::Cgc => "cgc",
        }
    }

    /// The requirement as text and the smallest `n` that meets it for this `f`.
    pub fn requirement(self, f: usize) -> (&'static str, usize) {
        match self {
            Rule::Mean => ("n >= 1", 1),
            Rule::Median
            | Rule::TrimmedMean
            | Rule::GeometricMedian
            | Rule::CenteredClipping
            | Rule::Cgc => ("n >= 2f + 1", 2 * f + 1),
            Rule::Krum | Rule::MultiKrum => ("n >= 2f + 3", 2 * f + 3),
            Rule::Bulyan => ("n >= 4f + 3", 4 * f + 3),
        }
    }

    /// Refuses `(n, f)` when it breaks the rule's requirement.
    pub fn check(self, n: usize, f: usize) -> Result<(), AggregateError> {
        if n == 0 {
            return Err(AggregateError::Empty { rule: self });
        }
        let (requirement, min_n) = self.requirement(f);
        if n < min_n {
            return Err(AggregateError::Requirement {
                rule: self,
                n,
                f,
                requirement,
            });
        }
        Ok(())
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown rule name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown aggregation rule {0:?}; use one of mean, median, trimmed-mean, krum, multi-krum, bulyan, geometric-median, centered-clipping, cgc"
)]
pub struct UnknownRule(pub String);

impl FromStr for Rule {
    type Err = UnknownRule;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rule::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| UnknownRule(s.to_string()))
    }
}

/// Tuning options. `Default` gives the documented defaults; only the fields of the chosen rule
/// are read.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Multi-Krum: how many vectors to average (`1..=n-f`); default `n - f`.
    pub m: Option<usize>,
    /// Geometric median: stop when the step is at most `tolerance * (1 + |z|)`; default 1e-7.
    pub tolerance: f64,
    /// Geometric median: iteration cap; default 200.
    pub max_iterations: usize,
    /// Centered clipping: clipping radius; default the median distance of the inputs to the
    /// starting point, which adapts to the scale of the data.
    pub clip_radius: Option<f64>,
    /// Centered clipping: number of clipping rounds; default 3.
    pub clip_iterations: usize,
    /// Centered clipping: starting point (e.g. the previous round's aggregate, as in the paper's
    /// momentum form); default the coordinate-wise median.
    pub center: Option<Vec<f64>>,
    /// Bit-identical results on every machine and thread count: Krum, Multi-Krum and Bulyan
    /// then sum their pairwise distances directly, in coordinate order, in `f64`, instead of
    /// through the blocked SIMD Gram kernel (`gemm` picks its kernel and blocking from the
    /// CPU's features and cache sizes at run time, so its rounding differs between machines).
    /// Every other step is already order-fixed (parallel loops only split independent
    /// coordinates or vectors). Slower for large `n * d`; the voting protocol sets it, since
    /// every node must compute the same decision. Default `false`.
    pub portable: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            m: None,
            tolerance: 1e-7,
            max_iterations: 200,
            clip_radius: None,
            clip_iterations: 3,
            center: None,
            portable: false,
        }
    }
}

impl Options {
    /// Rejects nonsensical option values with a message naming the option.
    pub fn validate(&self, d: usize) -> Result<(), AggregateError> {
        let bad = |name, value: f64, reason| {
            Err(AggregateError::BadOption {
                name,
                value,
                reason,
            })
        };
        if !(self.tolerance.is_finite() && self.tolerance > 0.0) {
            return bad("tolerance", self.tolerance, "must be finite and > 0");
        }
        if self.max_iterations == 0 {
            return bad("max_iterations", 0.0, "must be at least 1");
        }
        if let Some(r) = self.clip_radius
            && !(r.is_finite() && r > 0.0)
        {
            return bad("clip_radius", r, "must be finite and > 0");
        }
        if let Some(c) = &self.center {
            if c.len() != d {
                return bad(
                    "center",
                    c.len() as f64,
                    "length must equal the dimension d",
                );
            }
            if let Some(v) = c.iter().find(|v| !v.is_finite()) {
                return bad("center", *v, "every coordinate must be finite");
            }
        }
        Ok(())
    }
}
