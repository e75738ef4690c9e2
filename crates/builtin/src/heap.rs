//! Keep freed memory in the process heap instead of handing it back to the kernel at once.
//!
//! candle allocates a fresh buffer for the result of every operation. The embedder's buffers
//! (a few hundred KB to a few MB: tokens × 1536 floats for the feed-forward layer) sit around
//! glibc's default thresholds, so many were `mmap`ed and `munmap`ed per operation, or the heap
//! top was trimmed after each batch, and every reuse paid page faults and zeroing of fresh pages:
//! about 6% of the embedder's profile was in the kernel (page faults, `clear_page`), and batches
//! of 35-token answers were ~14% slower. Raising the thresholds keeps up to 128 MiB of freed
//! memory in the heap for reuse. Process-wide and glibc-only (elsewhere this does nothing); the
//! cost is that freed memory is returned to the system later.

use std::sync::Once;

/// Largest allocation served from the heap rather than its own `mmap` (glibc's dynamic
/// threshold stops at 32 MiB too, but starts at 128 KiB and grows only after a free).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 32 << 20;
/// Free memory at the top of the heap kept before trimming (default 128 KiB, dynamic).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: i32 = 128 << 20;
/// Extra memory requested whenever the heap grows, so that it grows rarely.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TOP_PAD: i32 = 16 << 20;

/// Applies the thresholds once per process.
pub(crate) fn keep_freed_memory() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only changes allocator parameters; it is thread-safe in glibc.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
            libc::mallopt(libc::M_TOP_PAD, TOP_PAD);
        }
    });
}
