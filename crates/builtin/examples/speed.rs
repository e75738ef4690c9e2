//! `CANDLE_NUM_THREADS=1 cargo run --release -p byzvote-builtin --example speed`:
//! load time and decode speed of each generator, and the embedder's per-sentence time.
//! A benchmark, not a test: numbers depend on the machine and its load.

use std::time::Instant;

use byzvote_builtin::{Embedder, Generator, MiniLm, catalog};
use byzvote_models::{Message, Role};

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
        let t = Instant::now();
        let out = g.generate(&question, 64, None)?;
        let total = t.elapsed();
        // Prompt processing is separate from decoding: time a 1-token run for it.
        let t = Instant::now();
        let one = g.generate(&question, 1, None)?;
        let prefill = t.elapsed();
        let decode = total.saturating_sub(prefill).as_secs_f64();
        let decoded = out.completion_tokens.saturating_sub(one.completion_tokens);
        println!(
            "{:<28} load {:>5.2} s  prompt {} tok in {:.2} s  decode {:>5.1} tok/s ({} tokens)  {:?}",
            spec.name,
            load.as_secs_f64(),
            out.prompt_tokens,
            prefill.as_secs_f64(),
            f64::from(decoded) / decode.max(1e-9),
            out.completion_tokens,
            out.text.chars().take(60).collect::<String>()
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
    let reps = 5;
    let t = Instant::now();
    for _ in 0..reps {
        for s in sentences {
            e.embed(&[s])?;
        }
    }
    let single = t.elapsed().as_secs_f64() * 1000.0 / (reps * sentences.len()) as f64;
    let t = Instant::now();
    for _ in 0..reps {
        e.embed(&sentences)?;
    }
    let batch = t.elapsed().as_secs_f64() * 1000.0 / (reps * sentences.len()) as f64;
    println!(
        "all-minilm-l6-v2             load {:.2} s  {single:.1} ms/sentence alone  {batch:.1} ms/sentence in batches of 8",
        load.as_secs_f64()
    );
    Ok(())
}
