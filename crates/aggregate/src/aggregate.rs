//! The single entry point: validate, then dispatch to the rule.

use crate::bulyan::{bulyan_aggregate, bulyan_select};
use crate::clipping::{centered_clipping, cgc};
use crate::coordinate::{mean, median, trimmed_mean};
use crate::distances::{direct_sq_distances, pairwise_sq_distances};
use crate::error::AggregateError;
use crate::float::Float;
use crate::geomed::{Convergence, geometric_median};
use crate::krum::{mean_of_rows, multi_krum_select};
use crate::matrix::{Matrix, Vectors};
use crate::rule::{Options, Rule};

/// The result of an aggregation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Aggregate<T> {
    /// The aggregate vector (length `d`).
    pub vector: Vec<T>,
    /// Krum, Multi-Krum and Bulyan: the input indices used, best-scoring first.
    pub selected: Option<Vec<usize>>,
    /// Geometric median: iterations and whether the tolerance was reached.
    pub convergence: Option<Convergence>,
}

impl<T> Aggregate<T> {
    fn vector(vector: Vec<T>) -> Self {
        Self {
            vector,
            selected: None,
            convergence: None,
        }
    }
}

/// Aggregates `x` (n vectors, at most `f` of them Byzantine) with `rule`.
///
/// Refuses, with a typed error: `n = 0`, an `(n, f)` that breaks the rule's requirement (see
/// [`crate::rule`]), a bad Multi-Krum `m`, invalid options, and any NaN or infinite input
/// (naming the vector and coordinate).
pub fn aggregate<T: Float>(
    rule: Rule,
    x: Vectors<'_, T>,
    f: usize,
    options: &Options,
) -> Result<Aggregate<T>, AggregateError> {
    let (n, d) = (x.n(), x.d());
    rule.check(n, f)?;
    options.validate(d)?;
    // `f` may exceed `n` only for the mean, which ignores it.
    let max_m = n.saturating_sub(f);
    let m = match (rule, options.m) {
        (Rule::MultiKrum, Some(m)) if m == 0 || m > max_m => {
            return Err(AggregateError::BadM {
                m,
                n,
                f,
                max: max_m,
            });
        }
        (_, Some(m)) => m,
        (_, None) => max_m,
    };
    // These fuse the finiteness check into their own pass over the input (a separate check
    // is a full extra read of it, 1-2 ms at n = 100, d = 100,000).
    if !matches!(rule, Rule::Mean | Rule::Median | Rule::TrimmedMean) {
        x.check_finite()?;
    }
    Ok(match rule {
        Rule::Mean => Aggregate::vector(mean_checked(x)?),
        Rule::Median => Aggregate::vector(median(x)?),
        Rule::TrimmedMean => Aggregate::vector(trimmed_mean(x, f)?),
        Rule::Krum | Rule::MultiKrum => {
            let m = if rule == Rule::Krum { 1 } else { m };
            let dist = distances(x, options.portable);
            let selected = multi_krum_select(x, &dist, f, m);
            let vector = if m == 1 {
                x.row(selected[0]).to_vec()
            } else {
                mean_of_rows(x, &selected)
            };
            Aggregate {
                vector,
                selected: Some(selected),
                convergence: None,
            }
        }
        Rule::Bulyan => {
            let dist = distances(x, options.portable);
            let selected = bulyan_select(x, &dist, f);
            Aggregate {
                vector: bulyan_aggregate(x, &selected, f),
                selected: Some(selected),
                convergence: None,
            }
        }
        Rule::GeometricMedian => {
            let (vector, c) = geometric_median(x, options.tolerance, options.max_iterations);
            Aggregate {
                vector,
                selected: None,
                convergence: Some(c),
            }
        }
        Rule::CenteredClipping => Aggregate::vector(centered_clipping(
            x,
            options.center.as_deref(),
            options.clip_radius,
            options.clip_iterations,
        )?),
        Rule::Cgc => Aggregate::vector(cgc(x, f)),
    })
}

/// All pairwise squared distances: direct when the result must be the same on every machine.
fn distances<T: Float>(x: Vectors<'_, T>, portable: bool) -> Vec<f64> {
    if portable {
        direct_sq_distances(x)
    } else {
        pairwise_sq_distances(x)
    }
}

/// The mean with the finiteness check fused in: a NaN or infinite input always makes its
/// output coordinate non-finite, so the input is only scanned (to name the culprit) when the
/// output is. A finite input whose sum overflows `T` is re-summed in `f64`.
fn mean_checked<T: Float>(x: Vectors<'_, T>) -> Result<Vec<T>, AggregateError> {
    let out = mean(x);
    if T::all_finite(&out) {
        return Ok(out);
    }
    x.check_finite()?;
    let all: Vec<usize> = (0..x.n()).collect();
    Ok(mean_of_rows(x, &all))
}

/// Convenience for callers holding separate rows (e.g. the CLI): packs them and aggregates.
pub fn aggregate_rows<T: Float, R: AsRef<[T]>>(
    rule: Rule,
    rows: &[R],
    f: usize,
    options: &Options,
) -> Result<Aggregate<T>, AggregateError> {
    let m = Matrix::from_rows(rows)?;
    aggregate(rule, m.view(), f, options)
}

/// For the `number` task kind: aggregates `values` as `n` one-coordinate vectors.
pub fn aggregate_numbers(
    rule: Rule,
    values: &[f64],
    f: usize,
    options: &Options,
) -> Result<Aggregate<f64>, AggregateError> {
    aggregate(rule, Vectors::new(values, values.len(), 1)?, f, options)
}
