//! Byzantine-robust aggregation of numeric vectors.
//!
//! When the members of a vote return numbers or vectors (estimates, scores, embeddings,
//! gradients), the decision is a robust aggregate, not a class vote. This crate is pure: no I/O,
//! no clock, no randomness.
//!
//! Input layout: `n` vectors of `d` coordinates in one contiguous row-major buffer, viewed as
//! [`Vectors`] (`f32` or `f64`); [`Matrix::from_rows`] / [`aggregate_rows`] pack separate rows.
//! Entry point: [`aggregate`]`(rule, vectors, f, &options)`. Each rule's requirement on `n` and
//! `f` is in the table in [`rule`]; a configuration that breaks it is refused with
//! [`AggregateError::Requirement`], and NaN/infinite inputs with [`AggregateError::NonFinite`].
//! [`parse_vectors`] reads the CLI's JSON or CSV input; [`aggregate_input`] is the whole
//! `byzvote aggregate` command minus argument parsing.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod aggregate;
mod bulyan;
mod by_network;
pub mod cli;
mod clipping;
mod coordinate;
mod distances;
pub mod error;
pub mod float;
mod geomed;
mod krum;
pub mod matrix;
mod network;
pub mod parse;
pub mod rule;
mod tiles;

pub use aggregate::{Aggregate, aggregate, aggregate_numbers, aggregate_rows};
pub use cli::{CliError, Report, aggregate_input};
pub use error::{AggregateError, ParseError};
pub use float::Float;
pub use geomed::Convergence;
pub use matrix::{Matrix, Vectors};
pub use parse::{Format, parse_vectors};
pub use rule::{Options, Rule, UnknownRule};

/// Which compiled copy of the comparator networks (median, trimmed mean, Bulyan) runs on this
/// CPU: `"avx512f"`, `"avx2"` or `"portable"` (the crate's baseline target, SSE2 on x86-64).
/// All give bit-identical results; this is for benchmark reports.
pub fn network_simd() -> &'static str {
    tiles::Simd::detect().name()
}
