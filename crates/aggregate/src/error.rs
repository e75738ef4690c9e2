//! Typed errors. Every message names the rule, `n`, `f` and the broken requirement (or the input
//! index and coordinate) so that a user can fix the call without reading the source.

use crate::rule::Rule;
use thiserror::Error;

/// Why an aggregation was refused.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AggregateError {
    /// There was nothing to aggregate.
    #[error("{rule}: no input vectors; supply at least one vector")]
    Empty { rule: Rule },

    /// `n` and `f` break the rule's robustness requirement.
    #[error(
        "{rule} requires {requirement}, but n = {n} and f = {f}; supply more vectors, lower f, or pick a rule with a weaker requirement"
    )]
    Requirement {
        rule: Rule,
        n: usize,
        f: usize,
        requirement: &'static str,
    },

    /// Multi-Krum's `m` is outside `1..=n-f`.
    #[error("multi-krum: m = {m} must be between 1 and n - f = {max} (n = {n}, f = {f})")]
    BadM {
        m: usize,
        n: usize,
        f: usize,
        max: usize,
    },

    /// An input vector has a different length from vector 0.
    #[error(
        "input vector {index} has {len} coordinates but vector 0 has {expected}; all vectors must have the same length"
    )]
    Ragged {
        index: usize,
        len: usize,
        expected: usize,
    },

    /// A flat buffer does not hold exactly `n * d` values.
    #[error("a flat buffer of {len} values cannot hold n = {n} vectors of d = {d} coordinates")]
    Shape { len: usize, n: usize, d: usize },

    /// A NaN or infinite coordinate.
    #[error(
        "input vector {index}, coordinate {coordinate} is {value}; NaN and infinite values are rejected, fix or drop that input"
    )]
    NonFinite {
        index: usize,
        coordinate: usize,
        value: f64,
    },

    /// A tuning option is out of range.
    #[error("option {name} = {value} is invalid: {reason}")]
    BadOption {
        name: &'static str,
        value: f64,
        reason: &'static str,
    },
}

/// Why text could not be read as a list of vectors. Rows and columns are 0-based, like the input
/// indices in [`AggregateError`]; CSV errors also give the 1-based line.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ParseError {
    #[error("invalid JSON: {0}; expected an array of arrays of numbers, e.g. [[1, 2], [3, 4]]")]
    Json(String),

    #[error("expected a JSON array of vectors at the top level, found {found}")]
    NotArray { found: &'static str },

    #[error("row {row}: expected an array of numbers, found {found}")]
    RowNotArray { row: usize, found: &'static str },

    #[error("row {row}, column {column}{line}: {found:?} is not a number")]
    NotNumber {
        row: usize,
        column: usize,
        line: LineInfo,
        found: String,
    },

    #[error(
        "row {row}, column {column}{line}: {value} is not finite; NaN and infinity are rejected"
    )]
    NonFinite {
        row: usize,
        column: usize,
        line: LineInfo,
        value: f64,
    },

    #[error(
        "row {row}{line} has {len} values but row 0 has {expected}; every row must have the same length"
    )]
    Ragged {
        row: usize,
        line: LineInfo,
        len: usize,
        expected: usize,
    },

    #[error("no vectors in the input; give at least one row")]
    Empty,
}

/// Optional 1-based source line, printed as ` (line N)` for CSV input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineInfo(pub Option<usize>);

impl std::fmt::Display for LineInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(line) => write!(f, " (line {line})"),
            None => Ok(()),
        }
    }
}
