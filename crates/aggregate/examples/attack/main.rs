//! Attack benchmark: distributed SGD on the UCI 8x8 digits with n = 10 workers, f = 1..4 of them
//! Byzantine, five attacks, every aggregation rule; final test accuracy per (rule, attack, f) as a
//! Markdown table and an SVG plot. Seeded and reproducible.
//!
//! ```text
//! cargo run --release -p byzvote-aggregate --example attack -- [--seeds 3] [--rounds 300] [--out DIR]
//! ```
//!
//! Setup: multinomial logistic regression (650 parameters), 80/20 train/test split, the training
//! set dealt round-robin to the 10 workers, each honest worker sends the gradient of a batch of 32
//! from its shard, the server aggregates with the rule under test (told the true `f`) and takes
//! an SGD step (learning rate 0.5). Workers `0..f` are Byzantine. Centered clipping starts each
//! round from the previous aggregate (the paper's momentum form). A rule whose requirement on
//! `n` and `f` fails is reported as `refused` (e.g. Bulyan needs n >= 4f + 3, so f <= 1 here).
//! Accuracy is the mean over the seeds.

mod attacks;
mod data;
mod model;
mod plot;
mod rng;

use attacks::Attack;
use byzvote_aggregate::{AggregateError, Matrix, Options, Rule, aggregate};
use data::Sample;
use model::PARAMS;
use rng::Rng;
use std::fmt::Write as _;
use std::path::PathBuf;

const WORKERS: usize = 10;
const BATCH: usize = 32;
const LEARNING_RATE: f64 = 0.5;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1).cloned()
}

/// A minibatch of `BATCH` samples drawn with replacement from `shard`.
fn batch<'a>(shard: &[&'a Sample], rng: &mut Rng) -> Vec<&'a Sample> {
    (0..BATCH).map(|_| shard[rng.below(shard.len())]).collect()
}

/// One training run; `None` when the rule refuses `(n, f)`.
fn train(
    train: &[Sample],
    test: &[Sample],
    rule: Rule,
    attack: Option<Attack>,
    f: usize,
    rounds: usize,
    seed: u64,
) -> Result<Option<f64>, AggregateError> {
    if let Err(AggregateError::Requirement { .. }) = rule.check(WORKERS, f) {
        return Ok(None);
    }
    let shards: Vec<Vec<&Sample>> = (0..WORKERS)
        .map(|w| train.iter().skip(w).step_by(WORKERS).collect())
        .collect();
    let mut rng = Rng::new(seed);
    let mut w = vec![0.0; PARAMS];
    let mut previous: Option<Vec<f64>> = None;
    for _ in 0..rounds {
        let honest: Vec<Vec<f64>> = (f..WORKERS)
            .map(|k| model::gradient(&w, &batch(&shards[k], &mut rng), |y| y))
            .collect();
        let mut rows = Vec::with_capacity(WORKERS);
        for shard in &shards[..f] {
            let Some(attack) = attack else { break };
            let flipped = if attack == Attack::LabelFlip {
                model::gradient(&w, &batch(shard, &mut rng), |y| 9 - y)
            } else {
                Vec::new()
            };
            rows.push(attack.craft(&honest, &flipped, &mut rng));
        }
        rows.extend(honest);
        let options = Options {
            center: if rule == Rule::CenteredClipping {
                previous.clone()
            } else {
                None
            },
            ..Options::default()
        };
        let m = Matrix::from_rows(&rows)?;
        let step = aggregate(rule, m.view(), f, &options)?.vector;
        for (wi, g) in w.iter_mut().zip(&step) {
            *wi -= LEARNING_RATE * g;
        }
        previous = Some(step);
    }
    Ok(Some(model::accuracy(&w, test)))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seeds: u64 = arg("--seeds").map_or(Ok(3), |v| v.parse())?;
    let rounds: usize = arg("--rounds").map_or(Ok(300), |v| v.parse())?;
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out_dir = arg("--out").map_or(manifest.join("bench"), PathBuf::from);
    let mut samples = data::load(&manifest.join("testdata/digits.csv.gz"))?;
    Rng::new(2026).shuffle(&mut samples);
    let split = samples.len() * 4 / 5;
    let (train_set, test_set) = samples.split_at(split);

    // results[(attack index or None, f)][rule] = mean accuracy over seeds.
    let mut results: Vec<(Option<Attack>, usize, Vec<Option<f64>>)> = Vec::new();
    let mut cases: Vec<(Option<Attack>, usize)> = vec![(None, 0)];
    for attack in Attack::ALL {
        cases.extend((1..=4).map(|f| (Some(attack), f)));
    }
    for (attack, f) in cases {
        let mut row = Vec::new();
        for rule in Rule::ALL {
            let mut total = Some(0.0);
            for seed in 0..seeds {
                let acc = train(train_set, test_set, rule, attack, f, rounds, 1000 + seed)?;
                total = total.zip(acc).map(|(t, a)| t + a);
            }
            row.push(total.map(|t| t / seeds as f64));
        }
        eprintln!("{} f={f} done", attack.map_or("none", Attack::name));
        results.push((attack, f, row));
    }

    let mut table = String::new();
    writeln!(
        table,
        "| attack | f | {} |",
        Rule::ALL.map(|r| r.name()).join(" | ")
    )?;
    writeln!(table, "|---|---:|{}", "---:|".repeat(Rule::ALL.len()))?;
    for (attack, f, row) in &results {
        let cells: Vec<String> = row
            .iter()
            .map(|a| a.map_or("refused".to_string(), |a| format!("{:.1}", 100.0 * a)))
            .collect();
        writeln!(
            table,
            "| {} | {f} | {} |",
            attack.map_or("none", Attack::name),
            cells.join(" | ")
        )?;
    }
    println!(
        "Test accuracy (%) after {rounds} rounds, n = {WORKERS} workers, mean of {seeds} seeds\n\n{table}"
    );
    std::fs::create_dir_all(&out_dir)?;
    std::fs::write(out_dir.join("attack.md"), &table)?;
    plot::draw(&out_dir.join("attack.svg"), &results)?;
    eprintln!("wrote {}/attack.md and attack.svg", out_dir.display());
    Ok(())
}
