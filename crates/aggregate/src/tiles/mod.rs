//! Runs a comparator network ([`crate::network`]) on every coordinate at once, SIMD across
//! coordinates.
//!
//! The input is row-major, so a tile of [`LANES`] coordinates is `n` short row runs copied into
//! `n` rows of `LANES` values (25 KB at n = 100, f32: it stays in L1 together with the 2.2 KB
//! pair list). A compare-exchange of wires `a < b` is then an element-wise min/max of tile rows
//! `a` and `b` (fixed-size arrays, so each is `LANES / width` independent SIMD min/max pairs).
//! After the network, row `k` of the tile holds wire `k` of every coordinate.
//!
//! Width: the crate is built for baseline x86-64 (SSE2, 4 f32 per instruction), so the whole
//! tile body (copy, finiteness check, network, finish) is compiled three times (portable,
//! AVX2, AVX-512F) and [`Simd::detect`] picks one at run time; the x86 copies run the network
//! with intrinsics and register blocks ([`x86`]). All compute the same min/max selections on
//! the same wires in a valid order of the same network, so their outputs are bit-identical
//! (tested). The next tile's input is prefetched into L2 while a tile is processed.
//!
//! Finiteness is checked on each tile after it is copied (the values are in L1 then), which
//! saves the separate 40 MB pass over the input that the other rules pay.

use crate::float::Float;
use crate::matrix::Vectors;
use crate::network::{Network, Pair};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

/// Coordinates per tile.
pub(crate) const LANES: usize = 64;

/// Below this many input values the work runs on the calling thread.
const PARALLEL_MIN: usize = 1 << 16;

/// Which compiled copy of the compare-exchange loop to run. Only [`Simd::detect`] and
/// [`Simd::available`] construct it, and they check the CPU first: that is what makes the
/// `unsafe` calls in [`run_network`] sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Simd(Kind);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Simd {
    /// The widest copy this CPU runs.
    pub(crate) fn detect() -> Self {
        Self::available()
            .into_iter()
            .last()
            .unwrap_or(Simd(Kind::Portable))
    }

    /// Every copy this CPU runs, narrowest first (the tests compare them).
    pub(crate) fn available() -> Vec<Self> {
        #[allow(unused_mut)]
        let mut kinds = vec![Simd(Kind::Portable)];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                kinds.push(Simd(Kind::Avx2));
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                kinds.push(Simd(Kind::Avx512));
            }
        }
        kinds
    }

    /// Whether this is the AVX2 copy (so the CPU has AVX2).
    #[cfg(target_arch = "x86_64")]
    pub(crate) fn avx2(self) -> bool {
        self.0 == Kind::Avx2
    }

    /// Whether this is the AVX-512F copy (so the CPU has AVX-512F).
    #[cfg(target_arch = "x86_64")]
    pub(crate) fn avx512(self) -> bool {
        self.0 == Kind::Avx512
    }

    /// Whether the kernel has 32 SIMD registers (AVX-512), enough to sort 32-wire blocks of
    /// the network in registers ([`Network::new`]'s `wide`).
    pub(crate) fn wide(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        if self.0 == Kind::Avx512 {
            return true;
        }
        false
    }

    /// Name for test messages and the benchmark ([`crate::network_simd`]).
    pub(crate) fn name(self) -> &'static str {
        match self.0 {
            Kind::Portable => "portable",
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => "avx2",
            #[cfg(target_arch = "x86_64")]
            Kind::Avx512 => "avx512f",
        }
    }
}

/// The network on one tile, portable. `inline(always)` so that each `target_feature` wrapper
/// below gets its own copy compiled for its width.
#[inline(always)]
fn compare_exchange_all<T: Float, const L: usize>(tile: &mut [[T; L]], pairs: &[Pair]) {
    for &(a, b) in pairs {
        let (low, high) = tile.split_at_mut(usize::from(b));
        let (x, y) = (&mut low[usize::from(a)], &mut high[0]);
        for (p, q) in x.iter_mut().zip(y.iter_mut()) {
            let (u, v) = (*p, *q);
            let swap = v < u;
            *p = if swap { v } else { u };
            *q = if swap { u } else { v };
        }
    }
}

/// Explicit SIMD copies. Why not the portable loop compiled with `target_feature`: LLVM turns
/// `*p = if v < u { v } else { u }` into a *masked store* of `v` (the other lanes already hold
/// `u`), `vmaskmovps` with AVX2, which is microcoded on AMD and measured 3x slower than SSE2,
/// and with AVX-512 a `{k}`-masked store that the next comparator cannot forward from. These
/// compute `min(v, u)` / `max(u, v)` with the x86 semantics `a < b ? a : b` / `a > b ? a : b`,
/// which is exactly the portable select (also for `-0.0` against `0.0`), and store whole rows.
#[cfg(target_arch = "x86_64")]
mod x86;

/// Runs `pairs` on `tile` with the copy `simd` names. The element type is matched at run time
/// (`Any`), since the SIMD copies are per type.
#[allow(clippy::ptr_arg)] // a `Vec`, not a slice: `Any` needs a sized type to downcast to
fn run_network<T: Float, const L: usize>(simd: Simd, tile: &mut Vec<[T; L]>, net: &Network) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::any::Any;
        if let Some(t) = (tile as &mut dyn Any).downcast_mut::<Vec<[f32; L]>>() {
            match simd.0 {
                Kind::Portable => {}
                // SAFETY: a `Simd` holding `Avx2` is only built by `Simd::available` after
                // `is_x86_feature_detected!("avx2")` returned true on this CPU.
                Kind::Avx2 => return unsafe { x86::f32_avx2(t, net) },
                // SAFETY: as above, after `is_x86_feature_detected!("avx512f")`.
                Kind::Avx512 => return unsafe { x86::f32_avx512(t, net) },
            }
        }
        if let Some(t) = (tile as &mut dyn Any).downcast_mut::<Vec<[f64; L]>>() {
            match simd.0 {
                Kind::Portable => {}
                // SAFETY: as for f32 above.
                Kind::Avx2 => return unsafe { x86::f64_avx2(t, net) },
                // SAFETY: as for f32 above.
                Kind::Avx512 => return unsafe { x86::f64_avx512(t, net) },
            }
        }
    }
    let _ = simd;
    compare_exchange_all(tile, &net.pairs)
}

/// Asks for the next tile's input (coordinates `c0..c0 + L` of every row in `rows`) to be
/// brought into L2 while this tile's network runs. Why: a tile reads 256 bytes from each of
/// `n` rows 400 KB apart, too many streams for the hardware prefetchers, so without this the
/// copy waits on memory (single thread at n = 100, d = 100,000: 6.5 -> 3.9 ms for copy and
/// sum alone, trimmed mean 12.2 -> 9.5 ms). Into L2 (`T1`), not L1: L1 prefetches measured no
/// gain (L1 has too few outstanding-miss slots for 400 lines).
#[inline]
fn prefetch_tile<T: Float, const L: usize>(x: Vectors<'_, T>, rows: &[usize], c0: usize) {
    #[cfg(target_arch = "x86_64")]
    if c0 < x.d() {
        use std::arch::x86_64::{_MM_HINT_T1, _mm_prefetch};
        let line = (64 / std::mem::size_of::<T>()).max(1);
        for &i in rows {
            let run = &x.row(i)[c0..x.d().min(c0 + L)];
            for k in (0..run.len()).step_by(line) {
                // SAFETY: a prefetch is only a hint: it reads nothing into the program and
                // cannot fault; the address is inside `run` anyway.
                unsafe { _mm_prefetch::<_MM_HINT_T1>(run[k..].as_ptr().cast::<i8>()) };
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (x, rows, c0);
}

/// What to do with a tile after its network: write the tile's outputs (one per lane) into
/// `out`. A trait with an `inline(always)` method rather than a closure so that it is compiled
/// inside each `target_feature` copy of the tile body (a closure body is compiled once, at the
/// baseline width: the trimmed mean's f64 sum in SSE2 code measured 8% of its time).
pub(crate) trait Finish<T, const L: usize>: Sync {
    fn finish(&self, tile: &[[T; L]], out: &mut [T]);
}

/// What a tile needs besides its own buffers.
struct Job<'a, 'x, T, F> {
    x: Vectors<'x, T>,
    rows: &'a [usize],
    net: &'a Network,
    simd: Simd,
    finish: &'a F,
}

/// One tile: copy (and check) the input, run the network, `finish`. Returns whether every
/// value copied was finite. `inline(always)` so that the `target_feature` wrappers below
/// compile all of it at their width: the copy, the finiteness check and `finish`'s loops
/// (the f64 sum of the trimmed mean) as well as the network (measured: baseline SSE2 code for
/// these was about a sixth of the trimmed mean's time).
#[inline(always)]
fn tile_inline<T, F, const L: usize>(
    job: &Job<'_, '_, T, F>,
    tile: &mut Vec<[T; L]>,
    t: usize,
    chunk: &mut [T],
) -> bool
where
    T: Float,
    F: Finish<T, L>,
{
    let (c0, w) = (t * L, chunk.len());
    prefetch_tile::<T, L>(job.x, job.rows, c0 + L);
    tile.resize(job.rows.len(), [T::ZERO; L]);
    for (dst, &i) in tile.iter_mut().zip(job.rows) {
        let src = &job.x.row(i)[c0..c0 + w];
        match <&[T; L]>::try_from(src) {
            Ok(full) => *dst = *full,
            Err(_) => {
                dst[..w].copy_from_slice(src);
                dst[w..].fill(T::ZERO);
            }
        }
    }
    let finite = T::all_finite(tile.as_flattened());
    run_network(job.simd, tile, job.net);
    job.finish.finish(tile, chunk);
    finite
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn tile_avx2<T, F, const L: usize>(
    job: &Job<'_, '_, T, F>,
    tile: &mut Vec<[T; L]>,
    t: usize,
    chunk: &mut [T],
) -> bool
where
    T: Float,
    F: Finish<T, L>,
{
    tile_inline(job, tile, t, chunk)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn tile_avx512<T, F, const L: usize>(
    job: &Job<'_, '_, T, F>,
    tile: &mut Vec<[T; L]>,
    t: usize,
    chunk: &mut [T],
) -> bool
where
    T: Float,
    F: Finish<T, L>,
{
    tile_inline(job, tile, t, chunk)
}

fn one_tile<T, F, const L: usize>(
    job: &Job<'_, '_, T, F>,
    tile: &mut Vec<[T; L]>,
    t: usize,
    chunk: &mut [T],
) -> bool
where
    T: Float,
    F: Finish<T, L>,
{
    match job.simd.0 {
        Kind::Portable => tile_inline(job, tile, t, chunk),
        // SAFETY: a `Simd` holding `Avx2` is only built by `Simd::available` after
        // `is_x86_feature_detected!("avx2")` returned true on this CPU.
        #[cfg(target_arch = "x86_64")]
        Kind::Avx2 => unsafe { tile_avx2(job, tile, t, chunk) },
        // SAFETY: as above, after `is_x86_feature_detected!("avx512f")`.
        #[cfg(target_arch = "x86_64")]
        Kind::Avx512 => unsafe { tile_avx512(job, tile, t, chunk) },
    }
}

/// For every tile of `L` coordinates: copies the values of the vectors `rows` (indices into
/// `x`, at most `network::MAX_N` of them), runs `net` on it and hands the tile (`rows.len()`
/// rows of `L`) and the output chunk (its first `out.len()` lanes are real coordinates) to
/// `finish`. Returns the outputs and whether every value copied was finite.
pub(crate) fn network_tiles<T, F, const L: usize>(
    x: Vectors<'_, T>,
    rows: &[usize],
    net: &Network,
    simd: Simd,
    finish: F,
) -> (Vec<T>, bool)
where
    T: Float,
    F: Finish<T, L>,
{
    let (n, d) = (rows.len(), x.d());
    let mut out = vec![T::ZERO; d];
    let finite = AtomicBool::new(true);
    let job = Job {
        x,
        rows,
        net,
        simd,
        finish: &finish,
    };
    let body = |tile: &mut Vec<[T; L]>, (t, chunk): (usize, &mut [T])| {
        if !one_tile(&job, tile, t, chunk) {
            finite.store(false, Ordering::Relaxed);
        }
    };
    if n * d >= PARALLEL_MIN {
        out.par_chunks_mut(L)
            .enumerate()
            .with_min_len(4)
            .for_each_init(Vec::new, body);
    } else {
        let mut tile = Vec::new();
        out.chunks_mut(L)
            .enumerate()
            .for_each(|item| body(&mut tile, item));
    }
    (out, finite.into_inner())
}
