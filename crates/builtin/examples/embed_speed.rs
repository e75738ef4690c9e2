//! `cargo run --release -p byzvote-builtin --example embed_speed -- [ROUNDS] [--set a,b|all]
//! [--engine packed|padded|both] [--compare FILE]`: the sentence embedder's time per sentence on
//! ONE thread, alone and in batches of 8, and how far its outputs are from another engine's.
//! A benchmark, not a test.
//!
//! The sentence sets are `testdata/embed_speed_sets.json` (default: `embed_speed`, short
//! committee answers); `scripts/embed-baseline.py` times sentence-transformers on the same sets
//! and writes its embeddings, which `--compare FILE` checks: the largest |cosine difference|
//! over all pairs of texts and the largest component difference, for batches and texts alone.
//! `scripts/embed-compare.sh` alternates the two programs and prints the ratios.
//!
//! Sets `RAYON_NUM_THREADS=1` itself when unset (candle's matrix products and its thread pool
//! read it once, at first use). Engines are timed in alternating rounds so that other load on
//! the machine hits both alike; the CPU time (this process's, all threads, from
//! `CLOCK_PROCESS_CPUTIME_ID`) is what a sentence costs when it has a core to itself. One
//! `RESULT ...` line per engine and set is for scripts.

use std::time::Instant;

use byzvote_builtin::{Embedder, Engine, MiniLm, cosine, models_dir};

const SETS: &str = include_str!("../testdata/embed_speed_sets.json");

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// CPU seconds of this process so far, all threads (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec.
    if unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) } != 0 {
        return 0.0;
    }
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

#[derive(Default)]
struct Clock {
    wall: f64,
    cpu: f64,
    sentences: usize,
}

impl Clock {
    fn time(&mut self, e: &MiniLm, batch: &[&str]) -> Res<()> {
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

struct Args {
    rounds: usize,
    sets: Vec<(String, Vec<String>)>,
    engines: Vec<(&'static str, Engine)>,
    compare: Option<String>,
}

fn args() -> Res<Args> {
    let all: serde_json::Map<String, serde_json::Value> = serde_json::from_str(SETS)?;
    let set = |name: &str| -> Res<(String, Vec<String>)> {
        let texts = all
            .get(name)
            .and_then(|v| v.as_array())
            .ok_or_else(|| format!("no sentence set {name:?} in testdata/embed_speed_sets.json"))?;
        let texts = texts.iter().filter_map(|t| t.as_str().map(String::from));
        Ok((name.to_string(), texts.collect()))
    };
    let mut a = Args {
        rounds: 20,
        sets: vec![set("embed_speed")?],
        engines: vec![("padded", Engine::Padded), ("packed", Engine::Packed)],
        compare: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--set" => {
                let v = value()?;
                let names: Vec<&str> = if v == "all" {
                    all.keys()
                        .filter(|k| !k.starts_with('_'))
                        .map(|k| k.as_str())
                        .collect()
                } else {
                    v.split(',').collect()
                };
                a.sets = names.into_iter().map(set).collect::<Res<_>>()?;
            }
            "--engine" => {
                let v = value()?;
                a.engines.retain(|(n, _)| v == "both" || *n == v);
            }
            "--compare" => a.compare = Some(value()?),
            n => a.rounds = n.parse().map_err(|_| format!("unknown argument {n:?}"))?,
        }
    }
    Ok(a)
}

/// Max |component diff| of matching vectors, and max |cosine diff| over all pairs.
fn distance(a: &[Vec<f32>], b: &[Vec<f32>]) -> (f32, f32) {
    let mut comp = 0f32;
    for (x, y) in a.iter().zip(b) {
        comp = x
            .iter()
            .zip(y)
            .map(|(p, q)| (p - q).abs())
            .fold(comp, f32::max);
    }
    let mut cos = 0f32;
    for i in 0..a.len() {
        for j in i + 1..a.len() {
            cos = cos.max((cosine(&a[i], &a[j]) - cosine(&b[i], &b[j])).abs());
        }
    }
    (comp, cos)
}

/// Our packed and padded engines against the embeddings `scripts/embed-baseline.py` wrote.
fn compare(path: &str, engines: &[(&str, MiniLm)]) -> Res<()> {
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let vec = |v: &serde_json::Value| -> Vec<f32> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_f64())
                    .map(|x| x as f32)
                    .collect()
            })
            .unwrap_or_default()
    };
    let sets = file["sets"].as_object().ok_or("no \"sets\" in the file")?;
    let (mut texts, mut theirs, mut theirs_alone) = (Vec::new(), Vec::new(), Vec::new());
    for rows in sets.values() {
        for r in rows.as_array().ok_or("a set is not a list")? {
            texts.push(r["text"].as_str().ok_or("a row has no text")?.to_string());
            theirs.push(vec(&r["embedding"]));
            theirs_alone.push(vec(&r["alone"]));
        }
    }
    println!(
        "against {} ({} texts, {} pairs):",
        file["engine"].as_str().unwrap_or(path),
        texts.len(),
        texts.len() * (texts.len() - 1) / 2
    );
    let (c, p) = distance(&theirs_alone, &theirs);
    println!(
        "  theirs alone vs theirs in batches: max |component diff| {c:.2e}, max |cosine diff| {p:.2e}"
    );
    for (name, e) in engines {
        // Ours in the same batches of 8 as theirs, and each text alone.
        let mut batch = Vec::new();
        for rows in sets.values().filter_map(|r| r.as_array()) {
            let t: Vec<&str> = rows.iter().filter_map(|r| r["text"].as_str()).collect();
            batch.extend(e.embed(&t)?);
        }
        let alone = texts
            .iter()
            .map(|t| e.embed(&[t]).map(|mut v| v.remove(0)))
            .collect::<Result<Vec<_>, _>>()?;
        for (how, ours) in [("batches", &batch), ("alone", &alone)] {
            let (c, p) = distance(ours, &theirs);
            println!(
                "  {name:<6} {how:<7}: max |component diff| {c:.2e}, max |cosine diff| {p:.2e}"
            );
        }
    }
    Ok(())
}

fn main() -> Res<()> {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // SAFETY: first thing in main, before any thread exists.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", "1") };
    }
    let a = args()?;
    let dir = models_dir(None)?;
    let engines = a
        .engines
        .iter()
        .map(|&(n, e)| MiniLm::load_with(&dir, e).map(|m| (n, m)))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(path) = &a.compare {
        compare(path, &engines)?;
    }
    for (set, texts) in &a.sets {
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        if let [(_, x), (_, y)] = &engines[..] {
            let (c, p) = distance(&x.embed(&texts)?, &y.embed(&texts)?);
            println!(
                "{set}: padded vs packed max |component diff| {c:.2e}, max |cosine diff| {p:.2e}"
            );
        }
        for (_, e) in &engines {
            for _ in 0..3 {
                e.embed(&texts)?; // warm up
            }
        }
        let mut clocks: Vec<(Clock, Clock)> = engines.iter().map(|_| Default::default()).collect();
        for _ in 0..a.rounds {
            for ((_, e), (alone, batch)) in engines.iter().zip(clocks.iter_mut()) {
                for s in &texts {
                    alone.time(e, &[s])?;
                }
                batch.time(e, &texts)?;
            }
        }
        println!(
            "set {set}: one thread (RAYON_NUM_THREADS={}), {} rounds of {} sentences",
            std::env::var("RAYON_NUM_THREADS").unwrap_or_default(),
            a.rounds,
            texts.len()
        );
        for ((name, _), (alone, batch)) in engines.iter().zip(&clocks) {
            let ((aw, ac), (bw, bc)) = (alone.ms(), batch.ms());
            println!(
                "  {name:<7} alone {aw:>6.2} ms/sentence wall ({ac:>5.2} CPU)   batches of 8 {bw:>6.2} ms/sentence wall ({bc:>5.2} CPU)"
            );
            println!(
                "RESULT engine=candle-{name} set={set} alone_wall={aw:.3} alone_cpu={ac:.3} batch_wall={bw:.3} batch_cpu={bc:.3}"
            );
        }
    }
    Ok(())
}
