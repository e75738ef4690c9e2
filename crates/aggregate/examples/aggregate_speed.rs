//! Speed benchmark at n = 100, d = 100,000, f32, f = 20 (issue 4), against numpy on the same
//! inputs in the same run.
//!
//! ```text
//! cargo run --release -p byzvote-aggregate --example aggregate_speed -- [--n 100] [--d 100000] [--f 20] [--reps 11] [--no-numpy]
//! ```
//!
//! Times every rule and the memory floor round-robin (one run of each per round, `--reps`
//! rounds, best round kept), so that load from other processes hits all of them alike; also
//! records the CPU time of the process (all threads, from `/proc/self/task/*/schedstat`),
//! which is not inflated by waiting for a core. Writes the inputs and each Rust output to a
//! temporary directory as raw little-endian f32, runs `bench/numpy_ref.py` on them (best of
//! `--reps` per rule), and prints a table: best wall time, ns per coordinate, CPU time, the
//! numpy ratio and the largest difference between the two outputs.
//! Not a test: timings on a shared machine vary, so nothing here asserts a time.

use byzvote_aggregate::{Options, Rule, Vectors, aggregate};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Deterministic inputs: `n - f` honest vectors around a common gradient, `f` attackers that
/// flip and scale it (so that the robust rules have something to reject).
fn inputs(n: usize, d: usize, f: usize) -> Vec<f32> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    let base: Vec<f32> = (0..d).map(|_| uniform() * 2.0 - 1.0).collect();
    let mut x = Vec::with_capacity(n * d);
    for i in 0..n {
        let byzantine = i >= n - f;
        for b in &base {
            let noise = uniform() - 0.5;
            x.push(if byzantine {
                -4.0 * b + noise
            } else {
                b + noise
            });
        }
    }
    x
}

fn write_f32(path: &Path, v: &[f32]) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(v.len() * 4);
    for x in v {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::File::create(path)?.write_all(&bytes)
}

/// CPU time used so far by all threads of this process (Linux; `None` elsewhere): the sum of
/// the first field of `/proc/self/task/*/schedstat` (nanoseconds on a CPU).
fn cpu_time() -> Option<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

/// Best wall time and best CPU time of one measured job.
#[derive(Clone, Copy)]
struct Best {
    wall: Duration,
    cpu: Option<Duration>,
}

impl Best {
    fn new() -> Self {
        Self {
            wall: Duration::MAX,
            cpu: None,
        }
    }

    fn time(&mut self, run: impl FnOnce()) {
        let c0 = cpu_time();
        let t = Instant::now();
        run();
        let wall = t.elapsed();
        if let (Some(c0), Some(c1)) = (c0, cpu_time()) {
            let cpu = c1.saturating_sub(c0);
            self.cpu = Some(self.cpu.map_or(cpu, |b| b.min(cpu)));
        }
        self.wall = self.wall.min(wall);
    }

    fn ms(&self) -> f64 {
        self.wall.as_secs_f64() * 1e3
    }

    fn cpu_ms(&self) -> String {
        self.cpu
            .map_or("-".into(), |c| format!("{:.1}", c.as_secs_f64() * 1e3))
    }
}

/// The memory floor: one read of the whole input on all threads (two chunks per thread, so
/// each is one long sequential stream), summed into 64 independent accumulators (four AVX-512 registers) so that the
/// adds vectorise and the loop is bound by memory, not by add latency. Compiled for AVX-512 or
/// AVX2 when the CPU has them, like the crate's own hot loops: at the SSE2 baseline the loop
/// is bound by instructions and the mean measured *below* such a "floor".
fn floor_read(data: &[f32]) -> f32 {
    use rayon::prelude::*;
    let chunk = data.len().div_ceil(2 * rayon::current_num_threads()).max(1);
    data.par_chunks(chunk).map(sum_dispatch).sum()
}

#[inline(always)]
fn sum64(c: &[f32]) -> f32 {
    let mut acc = [0f32; 64];
    for block in c.chunks_exact(64) {
        for (a, v) in acc.iter_mut().zip(block) {
            *a += *v;
        }
    }
    acc.iter().sum::<f32>()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn sum64_avx512(c: &[f32]) -> f32 {
    sum64(c)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn sum64_avx2(c: &[f32]) -> f32 {
    sum64(c)
}

fn sum_dispatch(c: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked on the line above).
            return unsafe { sum64_avx512(c) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked on the line above).
            return unsafe { sum64_avx2(c) };
        }
    }
    sum64(c)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (n, d, f) = (arg("--n", 100), arg("--d", 100_000), arg("--f", 20));
    let reps = arg("--reps", 11);
    let no_numpy = std::env::args().any(|a| a == "--no-numpy");
    let dir = std::env::temp_dir().join(format!("byzvote-speed-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let data = inputs(n, d, f);
    write_f32(&dir.join("input.f32"), &data)?;
    let x = Vectors::new(&data, n, d)?;
    println!(
        "n = {n}, d = {d}, f = {f}, f32, rayon threads = {}",
        rayon::current_num_threads()
    );

    let options = Options::default();
    let mut best = vec![Best::new(); Rule::ALL.len()];
    let mut outputs = vec![None; Rule::ALL.len()];
    let (mut floor, mut check) = (Best::new(), Best::new());
    for _ in 0..reps {
        for (k, rule) in Rule::ALL.into_iter().enumerate() {
            best[k].time(|| outputs[k] = Some(aggregate(rule, x, f, &options)));
        }
        floor.time(|| {
            std::hint::black_box(floor_read(&data));
        });
        check.time(|| {
            std::hint::black_box(x.check_finite()).ok();
        });
    }
    let mut rust = Vec::new();
    for ((rule, out), t) in Rule::ALL.into_iter().zip(outputs).zip(best) {
        let out = out.ok_or("no run")??;
        write_f32(&dir.join(format!("{rule}.f32")), &out.vector)?;
        if let Some(sel) = &out.selected {
            let text: Vec<String> = sel.iter().map(|i| i.to_string()).collect();
            std::fs::write(dir.join(format!("{rule}.selected")), text.join(","))?;
        }
        if let Some(c) = out.convergence {
            println!(
                "{rule}: {} Weiszfeld iterations, converged: {}",
                c.iterations, c.converged
            );
        }
        rust.push((rule, t));
    }
    let numpy = if no_numpy {
        None
    } else {
        run_numpy(&dir, n, d, f, reps)
    };
    println!(
        "\n| rule | Rust ms | ns/coordinate | CPU ms (all threads) | numpy ms | numpy / Rust | max abs diff vs numpy |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (rule, t) in &rust {
        let ms = t.ms();
        let per = ms * 1e6 / d as f64;
        let cpu = t.cpu_ms();
        let np = numpy.as_ref().and_then(|v| v.get(rule.name()));
        let (np_ms, ratio, diff) = match np {
            Some(e) => {
                let np_ms = e["ms"].as_f64().unwrap_or(f64::NAN);
                (
                    format!("{np_ms:.1}"),
                    format!("{:.2}x", np_ms / ms),
                    e["max_abs_diff"].to_string(),
                )
            }
            None => ("-".into(), "-".into(), "-".into()),
        };
        println!("| {rule} | {ms:.2} | {per:.0} | {cpu} | {np_ms} | {ratio} | {diff} |");
    }
    let mean_ms = rust
        .iter()
        .find(|(r, _)| *r == Rule::Mean)
        .map_or(f64::NAN, |(_, t)| t.ms());
    println!(
        "\nmemory floor (parallel vectorised read of the input): {:.2} ms, CPU {} ms; mean / floor = {:.2}x",
        floor.ms(),
        floor.cpu_ms(),
        mean_ms / floor.ms()
    );
    println!(
        "finiteness check alone (the rules other than mean, median and trimmed mean pay it): {:.2} ms",
        check.ms()
    );
    println!(
        "comparator networks run the {} copy",
        byzvote_aggregate::network_simd()
    );
    if let Some(v) = &numpy {
        println!("numpy: {}", v["info"]);
        if let Some(tm) = v.get("trimmed-mean") {
            println!(
                "numpy trimmed mean: fastest formulation {} of {}",
                tm["formulation"], tm["all_ms"]
            );
        }
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn run_numpy(dir: &Path, n: usize, d: usize, f: usize, reps: usize) -> Option<serde_json::Value> {
    let script: PathBuf = [env!("CARGO_MANIFEST_DIR"), "bench", "numpy_ref.py"]
        .iter()
        .collect();
    let output = Command::new("python3")
        .arg(&script)
        .arg(dir)
        .args([
            n.to_string(),
            d.to_string(),
            f.to_string(),
            reps.to_string(),
        ])
        .output();
    match output {
        Ok(o) if o.status.success() => serde_json::from_slice(&o.stdout).ok(),
        Ok(o) => {
            eprintln!(
                "numpy_ref.py failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            None
        }
        Err(e) => {
            eprintln!("could not run python3: {e}");
            None
        }
    }
}
