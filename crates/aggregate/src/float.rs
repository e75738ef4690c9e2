//! The element type: `f32` or `f64`. A small sealed trait instead of a numeric-traits crate: the
//! aggregators need only ordering, arithmetic, conversion to `f64` for norms, and a fast matrix
//! product (`gemm`: measured 26-32 ms against `matrixmultiply`'s 58-72 ms for the
//! 100 x 100,000 Gram matrix on this 2-core machine) for Krum's Gram matrix.

use std::fmt::{Debug, Display};
use std::ops::{Add, AddAssign, Div, Mul, Sub};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point coordinate type (`f32` or `f64`).
pub trait Float:
    sealed::Sealed
    + Copy
    + Send
    + Sync
    + Debug
    + Display
    + PartialOrd
    + Default
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + AddAssign
    + 'static
{
    const ZERO: Self;
    fn to_f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
    fn from_usize(v: usize) -> Self;
    fn is_finite(self) -> bool;
    fn abs(self) -> Self;
    fn total_cmp(&self, other: &Self) -> std::cmp::Ordering;
    /// Whether every value is finite: a branch-free test of the exponent bits that the
    /// compiler vectorises (the per-value `is_finite` with an early exit does not).
    fn all_finite(values: &[Self]) -> bool;
    /// `out[i * n + j] = <x_i, x_j>` for the `n x d` row-major matrix `x`.
    fn gram(x: &[Self], n: usize, d: usize, out: &mut [Self]);
}

macro_rules! impl_float {
    ($t:ty, $bits:ty) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn from_usize(v: usize) -> Self {
                v as $t
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn total_cmp(&self, other: &Self) -> std::cmp::Ordering {
                <$t>::total_cmp(self, other)
            }
            #[inline(always)]
            fn all_finite(values: &[Self]) -> bool {
                const EXP: $bits = <$t>::INFINITY.to_bits();
                !values
                    .iter()
                    .fold(false, |bad, v| bad | (v.to_bits() & EXP == EXP))
            }
            fn gram(x: &[Self], n: usize, d: usize, out: &mut [Self]) {
                assert!(
                    x.len() >= n * d && out.len() >= n * n,
                    "gram: buffer too small"
                );
                let threads = rayon::current_num_threads();
                let parallelism = if n * n * d >= 1 << 22 {
                    gemm::Parallelism::Rayon(threads)
                } else {
                    gemm::Parallelism::None
                };
                // SAFETY: the assert above bounds every index the kernel touches. dst is n x n
                // row-major (column stride 1, row stride n); lhs is x as n x d (column stride 1,
                // row stride d); rhs is x^T as d x n (column stride d, row stride 1).
                unsafe {
                    gemm::gemm::<$t>(
                        n,
                        n,
                        d,
                        out.as_mut_ptr(),
                        1,
                        n as isize,
                        false,
                        x.as_ptr(),
                        1,
                        d as isize,
                        x.as_ptr(),
                        d as isize,
                        1,
                        0.0,
                        1.0,
                        false,
                        false,
                        false,
                        parallelism,
                    );
                }
            }
        }
    };
}

impl_float!(f32, u32);
impl_float!(f64, u64);

/// Euclidean distance from `row` to `z`, in `f64`. Eight independent partial sums so the loop
/// vectorises (a single running `f64` sum is bound by add latency, ~4x slower).
pub(crate) fn distance<T: Float>(row: &[T], z: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (rows, zs) = (row.chunks_exact(8), z.chunks_exact(8));
    let (row_tail, z_tail) = (rows.remainder(), zs.remainder());
    for (r, c) in rows.zip(zs) {
        for k in 0..8 {
            let t = r[k].to_f64() - c[k];
            acc[k] += t * t;
        }
    }
    let tail: f64 = row_tail
        .iter()
        .zip(z_tail)
        .map(|(v, c)| (v.to_f64() - c) * (v.to_f64() - c))
        .sum();
    (acc.iter().sum::<f64>() + tail).sqrt()
}

/// Euclidean norm of `row`, in `f64` (vectorised like [`distance`]).
pub(crate) fn norm<T: Float>(row: &[T]) -> f64 {
    let mut acc = [0.0f64; 8];
    let rows = row.chunks_exact(8);
    let tail: f64 = rows
        .remainder()
        .iter()
        .map(|v| v.to_f64() * v.to_f64())
        .sum();
    for r in rows {
        for k in 0..8 {
            acc[k] += r[k].to_f64() * r[k].to_f64();
        }
    }
    (acc.iter().sum::<f64>() + tail).sqrt()
}
