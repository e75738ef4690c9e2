//! The input layout: `n` vectors of `d` coordinates stored contiguously, row-major
//! (`data[i * d + j]` is coordinate `j` of vector `i`).
//!
//! Why contiguous rather than `&[&[T]]`: Krum's Gram matrix is one matrix product over the whole
//! block, and the coordinate-wise rules read short runs of every row per tile; both want one flat
//! buffer. [`Matrix::from_rows`] packs ragged-checked rows for callers that hold `Vec<Vec<T>>`.

use crate::error::AggregateError;
use crate::float::Float;
use rayon::prelude::*;

/// A borrowed `n x d` row-major block of input vectors.
#[derive(Debug, Clone, Copy)]
pub struct Vectors<'a, T> {
    data: &'a [T],
    n: usize,
    d: usize,
}

impl<'a, T: Float> Vectors<'a, T> {
    /// Views `data` as `n` vectors of `d` coordinates. Fails if `data.len() != n * d`.
    pub fn new(data: &'a [T], n: usize, d: usize) -> Result<Self, AggregateError> {
        if n.checked_mul(d) != Some(data.len()) {
            return Err(AggregateError::Shape {
                len: data.len(),
                n,
                d,
            });
        }
        Ok(Self { data, n, d })
    }

    /// Number of vectors.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of coordinates per vector.
    pub fn d(&self) -> usize {
        self.d
    }

    /// The flat row-major buffer.
    pub fn data(&self) -> &'a [T] {
        self.data
    }

    /// Vector `i`.
    pub fn row(&self, i: usize) -> &'a [T] {
        &self.data[i * self.d..(i + 1) * self.d]
    }

    /// Rejects the first NaN or infinite value, naming its vector and coordinate.
    pub fn check_finite(&self) -> Result<(), AggregateError> {
        if self.d == 0 {
            return Ok(());
        }
        let Some(index) = self
            .data
            .par_chunks(self.d)
            .position_first(|row| !T::all_finite(row))
        else {
            return Ok(());
        };
        let row = self.row(index);
        let coordinate = row.iter().position(|v| !v.is_finite()).unwrap_or(0);
        Err(AggregateError::NonFinite {
            index,
            coordinate,
            value: row[coordinate].to_f64(),
        })
    }
}

/// An owned `n x d` row-major block, built from separate rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix<T> {
    data: Vec<T>,
    n: usize,
    d: usize,
}

impl<T: Float> Matrix<T> {
    /// Packs rows into one buffer. Fails on ragged rows, naming the first bad one.
    pub fn from_rows<R: AsRef<[T]>>(rows: &[R]) -> Result<Self, AggregateError> {
        let d = rows.first().map_or(0, |r| r.as_ref().len());
        let mut data = Vec::with_capacity(rows.len() * d);
        for (index, row) in rows.iter().enumerate() {
            let row = row.as_ref();
            if row.len() != d {
                return Err(AggregateError::Ragged {
                    index,
                    len: row.len(),
                    expected: d,
                });
            }
            data.extend_from_slice(row);
        }
        Ok(Self {
            data,
            n: rows.len(),
            d,
        })
    }

    /// Takes ownership of a flat row-major buffer.
    pub fn from_flat(data: Vec<T>, n: usize, d: usize) -> Result<Self, AggregateError> {
        Vectors::new(&data, n, d)?;
        Ok(Self { data, n, d })
    }

    /// Borrows the block.
    pub fn view(&self) -> Vectors<'_, T> {
        Vectors {
            data: &self.data,
            n: self.n,
            d: self.d,
        }
    }
}
