//! Reading the CLI's input: a JSON array of arrays of numbers, or CSV rows of numbers.
//!
//! Every error names the row and column (0-based, matching the input indices of
//! [`crate::AggregateError`]); CSV errors add the 1-based line. Ragged rows and NaN/infinite
//! values are rejected here, before any aggregation.

use crate::error::{LineInfo, ParseError};
use serde_json::Value;
use std::str::FromStr;

/// Input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `[[1.0, 2.0], [3.0, 4.0]]`
    #[default]
    Json,
    /// One vector per line, comma-separated; blank lines and lines starting with `#` are skipped.
    Csv,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(format!("unknown format {other:?}; use json or csv")),
        }
    }
}

/// Parses `input` into rows of equal length.
pub fn parse_vectors(input: &str, format: Format) -> Result<Vec<Vec<f64>>, ParseError> {
    let rows = match format {
        Format::Json => parse_json(input)?,
        Format::Csv => parse_csv(input)?,
    };
    if rows.is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(rows)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_json(input: &str) -> Result<Vec<Vec<f64>>, ParseError> {
    let value: Value = serde_json::from_str(input).map_err(|e| ParseError::Json(e.to_string()))?;
    let Value::Array(rows) = value else {
        return Err(ParseError::NotArray {
            found: kind(&value),
        });
    };
    let mut out: Vec<Vec<f64>> = Vec::with_capacity(rows.len());
    for (row, item) in rows.iter().enumerate() {
        let Value::Array(cells) = item else {
            return Err(ParseError::RowNotArray {
                row,
                found: kind(item),
            });
        };
        let mut parsed = Vec::with_capacity(cells.len());
        for (column, cell) in cells.iter().enumerate() {
            let v = cell.as_f64().ok_or_else(|| ParseError::NotNumber {
                row,
                column,
                line: LineInfo(None),
                found: cell.to_string(),
            })?;
            parsed.push(v);
        }
        check_row(&out, row, LineInfo(None), &parsed)?;
        out.push(parsed);
    }
    Ok(out)
}

fn parse_csv(input: &str) -> Result<Vec<Vec<f64>>, ParseError> {
    let mut out: Vec<Vec<f64>> = Vec::new();
    for (index, text) in input.lines().enumerate() {
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let (row, line) = (out.len(), LineInfo(Some(index + 1)));
        let mut parsed = Vec::new();
        for (column, cell) in text.split(',').enumerate() {
            let cell = cell.trim();
            let v = cell.parse::<f64>().map_err(|_| ParseError::NotNumber {
                row,
                column,
                line,
                found: cell.to_string(),
            })?;
            parsed.push(v);
        }
        check_row(&out, row, line, &parsed)?;
        out.push(parsed);
    }
    Ok(out)
}

fn check_row(
    previous: &[Vec<f64>],
    row: usize,
    line: LineInfo,
    parsed: &[f64],
) -> Result<(), ParseError> {
    if let Some(column) = parsed.iter().position(|v| !v.is_finite()) {
        return Err(ParseError::NonFinite {
            row,
            column,
            line,
            value: parsed[column],
        });
    }
    if let Some(first) = previous.first()
        && first.len() != parsed.len()
    {
        return Err(ParseError::Ragged {
            row,
            line,
            len: parsed.len(),
            expected: first.len(),
        });
    }
    Ok(())
}
