//! `cargo run --release -p byzvote-builtin --example embed_speed`: the sentence embedder's time
//! per sentence on ONE thread, alone and in batches of 8, for both engines in the same run
//! (the padded `candle_transformers` BERT is the baseline, the packed one the default), and how
//! far apart their outputs are. A benchmark, not a test.
//!
//! Sets `RAYON_NUM_THREADS=1` itself when unset (candle's matrix products and its thread pool
//! read it once, at first use). The engines are timed in alternating rounds so that other load
//! on the machine hits both alike; the CPU time (this process's user+system time from /proc,
//! 10 ms resolution) is what a sentence costs when it has a core to itself.

use std::time::Instant;

use byzvote_builtin::{Embedder, Engine, MiniLm, cosine, models_dir};

/// Typical answers of a committee (the kind the semantic mode compares).
const SENTENCES: [&str; 8] = [
    "17 is a prime number.",
    "The capital of Australia is Canberra.",
    "Adults can take up to 4,000 mg of acetaminophen in 24 hours.",
    "No, you cannot deduct personal credit card interest on your federal tax return.",
    "When interest rates rise, existing bond prices usually fall.",
    "A verbal agreement can be a legally binding contract, although it is harder to prove.",
    "Yes.",
    "Antibiotics are not effective against viruses, so they will not cure a cold.",
];

/// User plus system CPU seconds of this process so far (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
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

#[derive(Default)]
struct Clock {
    wall: f64,
    cpu: f64,
    sentences: usize,
}

impl Clock {
    fn time(&mut self, e: &MiniLm, batch: &[&str]) -> Result<(), Box<dyn std::error::Error>> {
        let (t, c) = (Instant::now(), cpu_seconds());
        e.embed(batch)?;
        self.wall += t.elapsed().as_secs_f64();
        self.cpu += cpu_seconds() - c;
        self.sentences += batch.len();
        Ok(())
    }

    fn ms(&self) -> (f64, f64) {
        let n = self.sentences.max(1) as f64;
        (self.wall * 1e3 / n, self.cpu * 1e3 / n)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // SAFETY: first thing in main, before any thread exists.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", "1") };
    }
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let dir = models_dir(None)?;
    let engines = [
        (
            "padded (baseline)",
            MiniLm::load_with(&dir, Engine::Padded)?,
        ),
        ("packed (default)", MiniLm::load_with(&dir, Engine::Packed)?),
    ];
    // Outputs: the packed engine against the baseline, batch and alone.
    let base = engines[0].1.embed(&SENTENCES)?;
    let new = engines[1].1.embed(&SENTENCES)?;
    let mut worst = 0f32;
    for (i, s) in SENTENCES.iter().enumerate() {
        let alone = engines[1].1.embed(&[s])?.remove(0);
        for v in [&new[i], &alone] {
            let d = v.iter().zip(&base[i]).map(|(a, b)| (a - b).abs());
            worst = worst.max(d.fold(0f32, f32::max));
        }
    }
    let mut worst_cos = 0f32;
    for i in 0..SENTENCES.len() {
        for j in i + 1..SENTENCES.len() {
            worst_cos =
                worst_cos.max((cosine(&new[i], &new[j]) - cosine(&base[i], &base[j])).abs());
        }
    }
    println!(
        "packed vs padded: max |component diff| {worst:.2e}, max |cosine diff| {worst_cos:.2e}"
    );
    for (_, e) in &engines {
        e.embed(&SENTENCES)?; // warm up
    }
    let mut clocks: Vec<(Clock, Clock)> = engines.iter().map(|_| Default::default()).collect();
    for _ in 0..rounds {
        for ((_, e), (alone, batch)) in engines.iter().zip(clocks.iter_mut()) {
            for s in SENTENCES {
                alone.time(e, &[s])?;
            }
            batch.time(e, &SENTENCES)?;
        }
    }
    println!(
        "one thread (RAYON_NUM_THREADS={}), {rounds} rounds of {} sentences",
        std::env::var("RAYON_NUM_THREADS").unwrap_or_default(),
        SENTENCES.len()
    );
    for ((name, _), (alone, batch)) in engines.iter().zip(&clocks) {
        let ((aw, ac), (bw, bc)) = (alone.ms(), batch.ms());
        println!(
            "{name:<18} alone {aw:>6.2} ms/sentence wall ({ac:>5.2} CPU)   batches of 8 {bw:>6.2} ms/sentence wall ({bc:>5.2} CPU)"
        );
    }
    Ok(())
}
