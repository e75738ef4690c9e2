//! `cargo run --release -p byzvote-builtin --example embed_drift [-- --dump F | --compare F]`:
//! how far the embedder's cosines move with things a validator does not control, over the
//! texts of the labelled table `crates/core/testdata/semantic_pairs.json`. A measurement, not
//! a test (the test `embedding_drift` asserts the batch-vs-alone part).
//!
//! Validators refuse similarity evidence whose cosines are more than 0.02 off their own
//! (`DEFAULT_TOLERANCE`), so the drift between honest machines must stay well under that. We
//! cannot run another machine here; what moves within one machine is measured instead:
//!
//! * **batch composition**: each text alone, in batches of 8 in table order, in batches of 8
//!   in another order (other neighbours, other padding), all in one batch;
//! * **engine**: the packed engine (default) against candle's padded BERT (other sum order);
//! * **thread count and build**: `--dump F` writes this run's cosines (each text alone, packed
//!   engine), `--compare F` reports the largest difference from a dumped run. Run once with
//!   `RAYON_NUM_THREADS=1 … --dump`, then with other thread counts, or from a build with other
//!   CPU code paths (`RUSTFLAGS="-C target-cpu=native"`, which turns on candle's own AVX
//!   kernels), with `--compare`.
//!
//! Deviations are reported over the 60 labelled pairs and over all pairs of the table's texts,
//! as the largest |Δ cosine| and in the protocol's units (1e-4, after quantisation).

use byzvote_builtin::{Embedder, Engine, MiniLm, cosine, models_dir};
use byzvote_core::semantic::evidence::quantise;

#[derive(serde::Deserialize)]
struct Pair {
    a: String,
    b: String,
}

type Vectors = Vec<Vec<f32>>;

fn embed_in_chunks(e: &MiniLm, texts: &[&str], order: &[usize], size: usize) -> Vectors {
    let mut out: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
    for chunk in order.chunks(size) {
        let batch: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
        let vectors = e.embed(&batch).expect("embed");
        for (&i, v) in chunk.iter().zip(vectors) {
            out[i] = Some(v);
        }
    }
    out.into_iter().map(|v| v.expect("every text")).collect()
}

/// Cosines of the labelled pairs (indices into `texts`) and of all pairs.
fn cosines(v: &Vectors, labelled: &[(usize, usize)]) -> (Vec<f32>, Vec<f32>) {
    let pairs = labelled
        .iter()
        .map(|&(a, b)| cosine(&v[a], &v[b]))
        .collect();
    let mut all = Vec::new();
    for i in 0..v.len() {
        for j in i + 1..v.len() {
            all.push(cosine(&v[i], &v[j]));
        }
    }
    (pairs, all)
}

/// Largest |a − b|, and the largest difference after quantisation (1e-4 units).
fn worst(a: &[f32], b: &[f32]) -> (f32, i32) {
    a.iter().zip(b).fold((0f32, 0i32), |(d, q), (x, y)| {
        let dq = (i32::from(quantise(*x)) - i32::from(quantise(*y))).abs();
        (d.max((x - y).abs()), q.max(dq))
    })
}

fn report(name: &str, reference: &(Vec<f32>, Vec<f32>), other: &(Vec<f32>, Vec<f32>)) {
    let (p, pq) = worst(&reference.0, &other.0);
    let (a, aq) = worst(&reference.1, &other.1);
    println!(
        "{name:<44} labelled pairs max |dcos| {p:.2e} ({pq} units)   all pairs {a:.2e} ({aq} units)"
    );
}

/// `t`'s index in `texts`, pushed when absent.
fn position<'a>(texts: &mut Vec<&'a str>, t: &'a str) -> usize {
    match texts.iter().position(|x| *x == t) {
        Some(i) => i,
        None => {
            texts.push(t);
            texts.len() - 1
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // SAFETY: first thing in main, before any thread exists.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", "1") };
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/testdata/semantic_pairs.json"
    );
    let table: Vec<Pair> = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let mut texts: Vec<&str> = Vec::new();
    let labelled: Vec<(usize, usize)> = table
        .iter()
        .map(|p| (position(&mut texts, &p.a), position(&mut texts, &p.b)))
        .collect();
    let n = texts.len();
    println!(
        "{} labelled pairs, {n} distinct texts, RAYON_NUM_THREADS={}",
        labelled.len(),
        std::env::var("RAYON_NUM_THREADS").unwrap_or_default()
    );
    let dir = models_dir(None)?;
    let packed = MiniLm::load_with(&dir, Engine::Packed)?;
    let padded = MiniLm::load_with(&dir, Engine::Padded)?;
    let in_order: Vec<usize> = (0..n).collect();
    // Another order: stride 7 through the table (other neighbours and lengths in each batch).
    let mut shuffled: Vec<usize> = (0..n).map(|i| (i * 7) % n).collect();
    if n.is_multiple_of(7) {
        shuffled = (0..n).rev().collect();
    }
    let alone = cosines(&embed_in_chunks(&packed, &texts, &in_order, 1), &labelled);
    let runs = [
        ("packed, batches of 8", &packed, &in_order, 8),
        ("packed, batches of 8, other order", &packed, &shuffled, 8),
        ("packed, one batch of all", &packed, &in_order, n),
        ("padded (candle BERT), alone", &padded, &in_order, 1),
        ("padded (candle BERT), batches of 8", &padded, &in_order, 8),
    ];
    println!("against the packed engine, each text alone:");
    for (name, e, order, size) in runs {
        let c = cosines(&embed_in_chunks(e, &texts, order, size), &labelled);
        report(name, &alone, &c);
    }
    match args.first().map(String::as_str) {
        Some("--dump") => {
            let file = args.get(1).ok_or("--dump needs a file")?;
            std::fs::write(file, serde_json::to_string(&alone)?)?;
            println!("dumped to {file}");
        }
        Some("--compare") => {
            let file = args.get(1).ok_or("--compare needs a file")?;
            let other: (Vec<f32>, Vec<f32>) =
                serde_json::from_str(&std::fs::read_to_string(file)?)?;
            report(&format!("this run against {file}"), &other, &alone);
        }
        _ => {}
    }
    Ok(())
}
