//! Explicit SIMD copies. Why not the portable loop compiled with `target_feature`: LLVM turns
//! `*p = if v < u { v } else { u }` into a *masked store* of `v` (the other lanes already hold
//! `u`), `vmaskmovps` with AVX2, which is microcoded on AMD and measured 3x slower than SSE2,
//! and with AVX-512 a `{k}`-masked store that the next comparator cannot forward from. These
//! compute `min(v, u)` / `max(u, v)` with the x86 semantics `a < b ? a : b` / `a > b ? a : b`,
//! which is exactly the portable select (also for `-0.0` against `0.0`), and store whole rows.

use super::Network;
use crate::network::{SORT16_LEN, SORT16_MERGE, SORT32_LEN};
use std::arch::x86_64::*;

/// One compare-exchange of registers `r[a]`, `r[b]` (constant indices, so `r` lives in
/// registers), same semantics as the memory version.
macro_rules! cx {
    ($r:ident, $a:literal, $b:literal, $min:ident, $max:ident) => {
        let (u, v) = ($r[$a], $r[$b]);
        $r[$a] = $min(v, u);
        $r[$b] = $max(u, v);
    };
}

/// `network::SORT8` (tested equal to it through the results).
macro_rules! sort8 {
    ($r:ident, $min:ident, $max:ident) => {
        cx!($r, 0, 1, $min, $max);
        cx!($r, 2, 3, $min, $max);
        cx!($r, 4, 5, $min, $max);
        cx!($r, 6, 7, $min, $max);
        cx!($r, 0, 2, $min, $max);
        cx!($r, 1, 3, $min, $max);
        cx!($r, 4, 6, $min, $max);
        cx!($r, 5, 7, $min, $max);
        cx!($r, 1, 2, $min, $max);
        cx!($r, 5, 6, $min, $max);
        cx!($r, 0, 4, $min, $max);
        cx!($r, 1, 5, $min, $max);
        cx!($r, 2, 6, $min, $max);
        cx!($r, 3, 7, $min, $max);
        cx!($r, 2, 4, $min, $max);
        cx!($r, 3, 5, $min, $max);
        cx!($r, 1, 2, $min, $max);
        cx!($r, 3, 4, $min, $max);
        cx!($r, 5, 6, $min, $max);
    };
}

/// `batcher(16)` (equal to it: the AVX-512 results are tested against the portable path,
/// which runs the list).
macro_rules! sort16 {
    ($r:ident, $min:ident, $max:ident) => {
        cx!($r, 0, 1, $min, $max);
        cx!($r, 2, 3, $min, $max);
        cx!($r, 4, 5, $min, $max);
        cx!($r, 6, 7, $min, $max);
        cx!($r, 8, 9, $min, $max);
        cx!($r, 10, 11, $min, $max);
        cx!($r, 12, 13, $min, $max);
        cx!($r, 14, 15, $min, $max);
        cx!($r, 0, 2, $min, $max);
        cx!($r, 1, 3, $min, $max);
        cx!($r, 4, 6, $min, $max);
        cx!($r, 5, 7, $min, $max);
        cx!($r, 8, 10, $min, $max);
        cx!($r, 9, 11, $min, $max);
        cx!($r, 12, 14, $min, $max);
        cx!($r, 13, 15, $min, $max);
        cx!($r, 1, 2, $min, $max);
        cx!($r, 5, 6, $min, $max);
        cx!($r, 9, 10, $min, $max);
        cx!($r, 13, 14, $min, $max);
        cx!($r, 0, 4, $min, $max);
        cx!($r, 1, 5, $min, $max);
        cx!($r, 2, 6, $min, $max);
        cx!($r, 3, 7, $min, $max);
        cx!($r, 8, 12, $min, $max);
        cx!($r, 9, 13, $min, $max);
        cx!($r, 10, 14, $min, $max);
        cx!($r, 11, 15, $min, $max);
        cx!($r, 2, 4, $min, $max);
        cx!($r, 3, 5, $min, $max);
        cx!($r, 10, 12, $min, $max);
        cx!($r, 11, 13, $min, $max);
        cx!($r, 1, 2, $min, $max);
        cx!($r, 3, 4, $min, $max);
        cx!($r, 5, 6, $min, $max);
        cx!($r, 9, 10, $min, $max);
        cx!($r, 11, 12, $min, $max);
        cx!($r, 13, 14, $min, $max);
        cx!($r, 0, 8, $min, $max);
        cx!($r, 1, 9, $min, $max);
        cx!($r, 2, 10, $min, $max);
        cx!($r, 3, 11, $min, $max);
        cx!($r, 4, 12, $min, $max);
        cx!($r, 5, 13, $min, $max);
        cx!($r, 6, 14, $min, $max);
        cx!($r, 7, 15, $min, $max);
        cx!($r, 4, 8, $min, $max);
        cx!($r, 5, 9, $min, $max);
        cx!($r, 6, 10, $min, $max);
        cx!($r, 7, 11, $min, $max);
        cx!($r, 2, 4, $min, $max);
        cx!($r, 3, 5, $min, $max);
        cx!($r, 6, 8, $min, $max);
        cx!($r, 7, 9, $min, $max);
        cx!($r, 10, 12, $min, $max);
        cx!($r, 11, 13, $min, $max);
        cx!($r, 1, 2, $min, $max);
        cx!($r, 3, 4, $min, $max);
        cx!($r, 5, 6, $min, $max);
        cx!($r, 7, 8, $min, $max);
        cx!($r, 9, 10, $min, $max);
        cx!($r, 11, 12, $min, $max);
        cx!($r, 13, 14, $min, $max);
    };
}

/// `batcher(32)` (equal to it: the AVX-512 results are tested against the portable path).
/// 32 rows plus a temporary do not fit in 32 registers: LLVM spills a few, still far fewer
/// memory operations than 191 compare-exchanges through the tile.
macro_rules! sort32 {
    ($r:ident, $min:ident, $max:ident) => {
        cx!($r, 0, 1, $min, $max);
        cx!($r, 2, 3, $min, $max);
        cx!($r, 4, 5, $min, $max);
        cx!($r, 6, 7, $min, $max);
        cx!($r, 8, 9, $min, $max);
        cx!($r, 10, 11, $min, $max);
        cx!($r, 12, 13, $min, $max);
        cx!($r, 14, 15, $min, $max);
        cx!($r, 16, 17, $min, $max);
        cx!($r, 18, 19, $min, $max);
        cx!($r, 20, 21, $min, $max);
        cx!($r, 22, 23, $min, $max);
        cx!($r, 24, 25, $min, $max);
        cx!($r, 26, 27, $min, $max);
        cx!($r, 28, 29, $min, $max);
        cx!($r, 30, 31, $min, $max);
        cx!($r, 0, 2, $min, $max);
        cx!($r, 1, 3, $min, $max);
        cx!($r, 4, 6, $min, $max);
        cx!($r, 5, 7, $min, $max);
        cx!($r, 8, 10, $min, $max);
        cx!($r, 9, 11, $min, $max);
        cx!($r, 12, 14, $min, $max);
        cx!($r, 13, 15, $min, $max);
        cx!($r, 16, 18, $min, $max);
        cx!($r, 17, 19, $min, $max);
        cx!($r, 20, 22, $min, $max);
        cx!($r, 21, 23, $min, $max);
        cx!($r, 24, 26, $min, $max);
        cx!($r, 25, 27, $min, $max);
        cx!($r, 28, 30, $min, $max);
        cx!($r, 29, 31, $min, $max);
        cx!($r, 1, 2, $min, $max);
        cx!($r, 5, 6, $min, $max);
        cx!($r, 9, 10, $min, $max);
        cx!($r, 13, 14, $min, $max);
        cx!($r, 17, 18, $min, $max);
        cx!($r, 21, 22, $min, $max);
        cx!($r, 25, 26, $min, $max);
        cx!($r, 29, 30, $min, $max);
        cx!($r, 0, 4, $min, $max);
        cx!($r, 1, 5, $min, $max);
        cx!($r, 2, 6, $min, $max);
        cx!($r, 3, 7, $min, $max);
        cx!($r, 8, 12, $min, $max);
        cx!($r, 9, 13, $min, $max);
        cx!($r, 10, 14, $min, $max);
        cx!($r, 11, 15, $min, $max);
        cx!($r, 16, 20, $min, $max);
        cx!($r, 17, 21, $min, $max);
        cx!($r, 18, 22, $min, $max);
        cx!($r, 19, 23, $min, $max);
        cx!($r, 24, 28, $min, $max);
        cx!($r, 25, 29, $min, $max);
        cx!($r, 26, 30, $min, $max);
        cx!($r, 27, 31, $min, $max);
        cx!($r, 2, 4, $min, $max);
        cx!($r, 3, 5, $min, $max);
        cx!($r, 10, 12, $min, $max);
        cx!($r, 11, 13, $min, $max);
        cx!($r, 18, 20, $min, $max);
        cx!($r, 19, 21, $min, $max);
        cx!($r, 26, 28, $min, $max);
        cx!($r, 27, 29, $min, $max);
        cx!($r, 1, 2, $min, $max);
        cx!($r, 3, 4, $min, $max);
        cx!($r, 5, 6, $min, $max);
        cx!($r, 9, 10, $min, $max);
        cx!($r, 11, 12, $min, $max);
        cx!($r, 13, 14, $min, $max);
        cx!($r, 17, 18, $min, $max);
        cx!($r, 19, 20, $min, $max);
        cx!($r, 21, 22, $min, $max);
        cx!($r, 25, 26, $min, $max);
        cx!($r, 27, 28, $min, $max);
        cx!($r, 29, 30, $min, $max);
        cx!($r, 0, 8, $min, $max);
        cx!($r, 1, 9, $min, $max);
        cx!($r, 2, 10, $min, $max);
        cx!($r, 3, 11, $min, $max);
        cx!($r, 4, 12, $min, $max);
        cx!($r, 5, 13, $min, $max);
        cx!($r, 6, 14, $min, $max);
        cx!($r, 7, 15, $min, $max);
        cx!($r, 16, 24, $min, $max);
        cx!($r, 17, 25, $min, $max);
        cx!($r, 18, 26, $min, $max);
        cx!($r, 19, 27, $min, $max);
        cx!($r, 20, 28, $min, $max);
        cx!($r, 21, 29, $min, $max);
        cx!($r, 22, 30, $min, $max);
        cx!($r, 23, 31, $min, $max);
        cx!($r, 4, 8, $min, $max);
        cx!($r, 5, 9, $min, $max);
        cx!($r, 6, 10, $min, $max);
        cx!($r, 7, 11, $min, $max);
        cx!($r, 20, 24, $min, $max);
        cx!($r, 21, 25, $min, $max);
        cx!($r, 22, 26, $min, $max);
        cx!($r, 23, 27, $min, $max);
        cx!($r, 2, 4, $min, $max);
        cx!($r, 3, 5, $min, $max);
        cx!($r, 6, 8, $min, $max);
        cx!($r, 7, 9, $min, $max);
        cx!($r, 10, 12, $min, $max);
        cx!($r, 11, 13, $min, $max);
        cx!($r, 18, 20, $min, $max);
        cx!($r, 19, 21, $min, $max);
        cx!($r, 22, 24, $min, $max);
        cx!($r, 23, 25, $min, $max);
        cx!($r, 26, 28, $min, $max);
        cx!($r, 27, 29, $min, $max);
        cx!($r, 1, 2, $min, $max);
        cx!($r, 3, 4, $min, $max);
        cx!($r, 5, 6, $min, $max);
        cx!($r, 7, 8, $min, $max);
        cx!($r, 9, 10, $min, $max);
        cx!($r, 11, 12, $min, $max);
        cx!($r, 13, 14, $min, $max);
        cx!($r, 17, 18, $min, $max);
        cx!($r, 19, 20, $min, $max);
        cx!($r, 21, 22, $min, $max);
        cx!($r, 23, 24, $min, $max);
        cx!($r, 25, 26, $min, $max);
        cx!($r, 27, 28, $min, $max);
        cx!($r, 29, 30, $min, $max);
        cx!($r, 0, 16, $min, $max);
        cx!($r, 1, 17, $min, $max);
        cx!($r, 2, 18, $min, $max);
        cx!($r, 3, 19, $min, $max);
        cx!($r, 4, 20, $min, $max);
        cx!($r, 5, 21, $min, $max);
        cx!($r, 6, 22, $min, $max);
        cx!($r, 7, 23, $min, $max);
        cx!($r, 8, 24, $min, $max);
        cx!($r, 9, 25, $min, $max);
        cx!($r, 10, 26, $min, $max);
        cx!($r, 11, 27, $min, $max);
        cx!($r, 12, 28, $min, $max);
        cx!($r, 13, 29, $min, $max);
        cx!($r, 14, 30, $min, $max);
        cx!($r, 15, 31, $min, $max);
        cx!($r, 8, 16, $min, $max);
        cx!($r, 9, 17, $min, $max);
        cx!($r, 10, 18, $min, $max);
        cx!($r, 11, 19, $min, $max);
        cx!($r, 12, 20, $min, $max);
        cx!($r, 13, 21, $min, $max);
        cx!($r, 14, 22, $min, $max);
        cx!($r, 15, 23, $min, $max);
        cx!($r, 4, 8, $min, $max);
        cx!($r, 5, 9, $min, $max);
        cx!($r, 6, 10, $min, $max);
        cx!($r, 7, 11, $min, $max);
        cx!($r, 12, 16, $min, $max);
        cx!($r, 13, 17, $min, $max);
        cx!($r, 14, 18, $min, $max);
        cx!($r, 15, 19, $min, $max);
        cx!($r, 20, 24, $min, $max);
        cx!($r, 21, 25, $min, $max);
        cx!($r, 22, 26, $min, $max);
        cx!($r, 23, 27, $min, $max);
        cx!($r, 2, 4, $min, $max);
        cx!($r, 3, 5, $min, $max);
        cx!($r, 6, 8, $min, $max);
        cx!($r, 7, 9, $min, $max);
        cx!($r, 10, 12, $min, $max);
        cx!($r, 11, 13, $min, $max);
        cx!($r, 14, 16, $min, $max);
        cx!($r, 15, 17, $min, $max);
        cx!($r, 18, 20, $min, $max);
        cx!($r, 19, 21, $min, $max);
        cx!($r, 22, 24, $min, $max);
        cx!($r, 23, 25, $min, $max);
        cx!($r, 26, 28, $min, $max);
        cx!($r, 27, 29, $min, $max);
        cx!($r, 1, 2, $min, $max);
        cx!($r, 3, 4, $min, $max);
        cx!($r, 5, 6, $min, $max);
        cx!($r, 7, 8, $min, $max);
        cx!($r, 9, 10, $min, $max);
        cx!($r, 11, 12, $min, $max);
        cx!($r, 13, 14, $min, $max);
        cx!($r, 15, 16, $min, $max);
        cx!($r, 17, 18, $min, $max);
        cx!($r, 19, 20, $min, $max);
        cx!($r, 21, 22, $min, $max);
        cx!($r, 23, 24, $min, $max);
        cx!($r, 25, 26, $min, $max);
        cx!($r, 27, 28, $min, $max);
        cx!($r, 29, 30, $min, $max);
    };
}

/// Sorts rows `base..base + $rows` of every SIMD column in registers with `$net`.
macro_rules! sort_block {
    ($tile:ident, $base:expr, $rows:literal, $width:literal, $zero:ident, $load:ident, $store:ident, $min:ident, $max:ident, $net:ident) => {
        let rows = &mut $tile[$base..$base + $rows];
        for c in (0..L).step_by($width) {
            let mut r = [$zero(); $rows];
            for (k, row) in rows.iter().enumerate() {
                let src = &row[c..c + $width];
                // SAFETY: `src` is `$width` values (checked by the slice index), what one
                // unaligned load reads.
                r[k] = unsafe { $load(src.as_ptr()) };
            }
            $net!(r, $min, $max);
            for (k, row) in rows.iter_mut().enumerate() {
                let dst = &mut row[c..c + $width];
                // SAFETY: `dst` is `$width` values (checked by the slice index), what one
                // unaligned store writes.
                unsafe { $store(dst.as_mut_ptr(), r[k]) };
            }
        }
    };
}

/// Runs `pairs` one compare-exchange at a time through memory.
macro_rules! memory_pairs {
    ($tile:ident, $pairs:expr, $width:literal, $load:ident, $store:ident, $min:ident, $max:ident) => {
        for &(a, b) in $pairs {
            let (low, high) = $tile.split_at_mut(usize::from(b));
            let (x, y) = (&mut low[usize::from(a)], &mut high[0]);
            for (xs, ys) in x.chunks_exact_mut($width).zip(y.chunks_exact_mut($width)) {
                // SAFETY: `xs` and `ys` are `$width` values each (chunks_exact), exactly
                // what one unaligned load or store reads or writes; they do not overlap
                // (distinct rows from split_at_mut).
                unsafe {
                    let u = $load(xs.as_ptr());
                    let v = $load(ys.as_ptr());
                    $store(xs.as_mut_ptr(), $min(v, u));
                    $store(ys.as_mut_ptr(), $max(u, v));
                }
            }
        }
    };
}

/// One copy of the network runner. `$regs` is the number of SIMD registers: with 32
/// (AVX-512) a 16-block is sorted entirely in registers, with 16 (AVX2) as two 8-blocks in
/// registers and its 25 merge comparators through memory (16 rows would spill).
macro_rules! kernel {
    ($name:ident, $feature:literal, $regs:literal, $t:ty, $width:literal, $zero:ident, $load:ident, $store:ident, $min:ident, $max:ident) => {
        #[target_feature(enable = $feature)]
        pub(super) fn $name<const L: usize>(tile: &mut [[$t; L]], net: &Network) {
            const {
                assert!(
                    L % $width == 0,
                    "LANES must be a multiple of the SIMD width"
                )
            };
            for (k, &base) in net.blocks32.iter().enumerate() {
                if $regs >= 32 {
                    sort_block!(
                        tile,
                        usize::from(base),
                        32,
                        $width,
                        $zero,
                        $load,
                        $store,
                        $min,
                        $max,
                        sort32
                    );
                } else {
                    let block = &net.pairs[SORT32_LEN * k..SORT32_LEN * (k + 1)];
                    memory_pairs!(tile, block, $width, $load, $store, $min, $max);
                }
            }
            for (k, &base) in net.blocks16.iter().enumerate() {
                let base = usize::from(base);
                if $regs >= 32 {
                    sort_block!(
                        tile, base, 16, $width, $zero, $load, $store, $min, $max, sort16
                    );
                } else {
                    sort_block!(
                        tile, base, 8, $width, $zero, $load, $store, $min, $max, sort8
                    );
                    sort_block!(
                        tile,
                        base + 8,
                        8,
                        $width,
                        $zero,
                        $load,
                        $store,
                        $min,
                        $max,
                        sort8
                    );
                    let end = net.prefix32() + SORT16_LEN * (k + 1);
                    memory_pairs!(
                        tile,
                        &net.pairs[end - SORT16_MERGE..end],
                        $width,
                        $load,
                        $store,
                        $min,
                        $max
                    );
                }
            }
            for &base in &net.blocks8 {
                sort_block!(
                    tile,
                    usize::from(base),
                    8,
                    $width,
                    $zero,
                    $load,
                    $store,
                    $min,
                    $max,
                    sort8
                );
            }
            memory_pairs!(
                tile,
                &net.pairs[net.prefix()..],
                $width,
                $load,
                $store,
                $min,
                $max
            );
        }
    };
}

kernel!(
    f32_avx2,
    "avx2",
    16,
    f32,
    8,
    _mm256_setzero_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_min_ps,
    _mm256_max_ps
);
kernel!(
    f64_avx2,
    "avx2",
    16,
    f64,
    4,
    _mm256_setzero_pd,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    _mm256_min_pd,
    _mm256_max_pd
);
kernel!(
    f32_avx512,
    "avx512f",
    32,
    f32,
    16,
    _mm512_setzero_ps,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_min_ps,
    _mm512_max_ps
);
kernel!(
    f64_avx512,
    "avx512f",
    32,
    f64,
    8,
    _mm512_setzero_pd,
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    _mm512_min_pd,
    _mm512_max_pd
);
