//! Everything `byzvote aggregate --rule R --f F [--m M] [--format json|csv]` needs except the
//! argument parser: read text, aggregate in `f64`, and return a serialisable report that names
//! the rule, `f` and the indices used (the same fields a decision record carries).

use crate::aggregate::aggregate_rows;
use crate::error::{AggregateError, ParseError};
use crate::geomed::Convergence;
use crate::parse::{Format, parse_vectors};
use crate::rule::{Options, Rule};

/// Why the command failed: the input could not be read, or the aggregation was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CliError {
    #[error("cannot read the input vectors: {0}")]
    Parse(#[from] ParseError),
    #[error("cannot aggregate: {0}")]
    Aggregate(#[from] AggregateError),
}

/// The command's output, printed as JSON.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Report {
    pub rule: Rule,
    pub f: usize,
    pub n: usize,
    pub d: usize,
    pub vector: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected: Option<Vec<usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub convergence: Option<Convergence>,
}

/// Parses `input` in `format` and aggregates it with `rule`.
pub fn aggregate_input(
    input: &str,
    format: Format,
    rule: Rule,
    f: usize,
    options: &Options,
) -> Result<Report, CliError> {
    let rows = parse_vectors(input, format)?;
    let out = aggregate_rows(rule, &rows, f, options)?;
    Ok(Report {
        rule,
        f,
        n: rows.len(),
        d: out.vector.len(),
        vector: out.vector,
        selected: out.selected,
        convergence: out.convergence,
    })
}
