//! Speed benchmark at n = 100, d = 100,000, f32, f = 20 (issue 4), against numpy on the same
//! inputs in the same run.
//!
//! ```text
//! cargo run --release -p byzvote-aggregate --example aggregate_speed -- [--n 100] [--d 100000] [--f 20] [--no-numpy]
//! ```
//!
//! Writes the inputs and each Rust output to a temporary directory as raw little-endian f32,
//! runs `bench/numpy_ref.py` on them (best of 5 per rule), and prints a table of best-of-5 times,
//! ns per coordinate, the numpy ratio and the largest difference between the two outputs.
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

/// Best of 5 (the issue says best of 3; on a shared 2-core machine 5 filters more noise).
const REPS: usize = 5;

fn best_of(mut run: impl FnMut()) -> Duration {
    (0..REPS)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (n, d, f) = (arg("--n", 100), arg("--d", 100_000), arg("--f", 20));
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

    let mut rust = Vec::new();
    for rule in Rule::ALL {
        let options = Options::default();
        let mut out = None;
        let t = best_of(|| out = Some(aggregate(rule, x, f, &options)));
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
    // The memory floor: one read of the whole input on all threads, with 16 independent
    // accumulators so that the adds vectorise and the loop is bound by memory, not latency.
    let floor = best_of(|| {
        use rayon::prelude::*;
        let s: f32 = data
            .par_chunks(1 << 16)
            .map(|c| {
                let mut acc = [0f32; 16];
                for block in c.chunks_exact(16) {
                    for (a, v) in acc.iter_mut().zip(block) {
                        *a += *v;
                    }
                }
                acc.iter().sum::<f32>()
            })
            .sum();
        std::hint::black_box(s);
    });
    let check = best_of(|| {
        std::hint::black_box(x.check_finite()).ok();
    });
    let numpy = if no_numpy {
        None
    } else {
        run_numpy(&dir, n, d, f)
    };
    println!(
        "\n| rule | Rust ms | ns/coordinate | numpy ms | numpy / Rust | max abs diff vs numpy |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (rule, t) in &rust {
        let ms = t.as_secs_f64() * 1e3;
        let per = t.as_secs_f64() * 1e9 / d as f64;
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
        println!("| {rule} | {ms:.1} | {per:.0} | {np_ms} | {ratio} | {diff} |");
    }
    println!(
        "\nmemory floor (parallel vectorised read of the input): {:.1} ms",
        floor.as_secs_f64() * 1e3
    );
    println!(
        "finiteness check alone (part of every rule's time): {:.1} ms",
        check.as_secs_f64() * 1e3
    );
    if let Some(v) = &numpy {
        println!("numpy: {}", v["info"]);
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn run_numpy(dir: &Path, n: usize, d: usize, f: usize) -> Option<serde_json::Value> {
    let script: PathBuf = [env!("CARGO_MANIFEST_DIR"), "bench", "numpy_ref.py"]
        .iter()
        .collect();
    let output = Command::new("python3")
        .arg(&script)
        .arg(dir)
        .args([n.to_string(), d.to_string(), f.to_string()])
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
