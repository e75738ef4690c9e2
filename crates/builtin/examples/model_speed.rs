//! `RAYON_NUM_THREADS=1 cargo run --release -p byzvote-builtin --example model_speed`:
//! load time and decode speed of each generator, and the embedder's per-sentence time.
//! A benchmark, not a test: numbers depend on the machine and its load. On a shared machine
//! the wall-clock rate drops with other jobs; the CPU-time rate (this process's user+system
//! time from /proc, 10 ms resolution) is what the model costs when it has a core to itself.

use std::time::Instant;

use byzvote_builtin::{Embedder, Generator, MiniLm, catalog};
use byzvote_models::{Message, Role};

/// User plus system CPU seconds of this process so far (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    match (
        f.get(11).and_then(|u| u.parse::<f64>().ok()),
        f.get(12).and_then(|s| s.parse::<f64>().ok()),
    ) {
        (Some(u), Some(s)) => (u + s) / 100.0,
        _ => 0.0,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Some(w) = byzvote_builtin::thread_warning() {
        eprintln!("warning: {w}");
    }
    let dir = byzvote_builtin::models_dir(None)?;
    let question = [Message {
        role: Role::User,
        content: "Write a short paragraph about why the sky is blue.".into(),
    }];
    for spec in [catalog::SMOLLM2, catalog::QWEN25_CODER, catalog::GEMMA3] {
        let t = Instant::now();
        let mut g = Generator::load(&spec, &dir)?;
        let load = t.elapsed();
        let (t, c) = (Instant::now(), cpu_seconds());
        // The base model stops at its first blank line; a story prompt keeps it decoding.
        let run = |g: &mut Generator, n| match spec.arch {
            catalog::Arch::Gemma3 => {
                g.generate_raw("Once upon a time, in a small village by the sea,", n, None)
            }
            _ => g.generate(&question, n, None),
        };
        let out = run(&mut g, 64)?;
        let (total, total_cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
        // Prompt processing is separate from decoding: time a 1-token run for it.
        let (t, c) = (Instant::now(), cpu_seconds());
        let one = run(&mut g, 1)?;
        let (prefill, prefill_cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
        let decoded = f64::from(out.completion_tokens.saturating_sub(one.completion_tokens));
        println!(
            "{:<28} load {:>5.2} s  prompt {} tok in {:.2} s  decode {:>5.1} tok/s wall, {:>5.1} tok/s per CPU second ({} tokens)  {:?}",
            spec.name,
            load.as_secs_f64(),
            out.prompt_tokens,
            prefill,
            decoded / (total - prefill).max(1e-9),
            decoded / (total_cpu - prefill_cpu).max(1e-9),
            out.completion_tokens,
            out.text.chars().take(40).collect::<String>()
        );
    }
    let t = Instant::now();
    let e = MiniLm::load(&dir)?;
    let load = t.elapsed();
    let sentences = [
        "17 is a prime number.",
        "The capital of France is Paris.",
        "A quick brown fox jumps over the lazy dog.",
        "Seventeen is prime.",
        "Water boils at one hundred degrees Celsius at sea level.",
        "The answer is 4.",
        "Rust is a systems programming language focused on safety.",
        "No, that is not correct.",
    ];
    e.embed(&sentences)?; // warm up
    let reps = 10;
    let n = (reps * sentences.len()) as f64;
    let (t, c) = (Instant::now(), cpu_seconds());
    for _ in 0..reps {
        for s in sentences {
            e.embed(&[s])?;
        }
    }
    let (single, single_cpu) = (
        t.elapsed().as_secs_f64() * 1000.0 / n,
        (cpu_seconds() - c) * 1000.0 / n,
    );
    let (t, c) = (Instant::now(), cpu_seconds());
    for _ in 0..reps {
        e.embed(&sentences)?;
    }
    let (batch, batch_cpu) = (
        t.elapsed().as_secs_f64() * 1000.0 / n,
        (cpu_seconds() - c) * 1000.0 / n,
    );
    println!(
        "all-minilm-l6-v2             load {:.2} s  alone {single:.1} ms/sentence wall ({single_cpu:.1} CPU)  batches of 8 {batch:.1} ms/sentence wall ({batch_cpu:.1} CPU)",
        load.as_secs_f64()
    );
    Ok(())
}
