//! A sweep: many seeds × named behaviours, each run checked against every invariant.

use crate::catalog;
use crate::invariants::{self, Violation};
use crate::report::Outcome;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// What to sweep.
#[derive(Clone, Debug)]
pub struct SweepConfig {
    pub first_seed: u64,
    pub seeds: u64,
    pub nodes: usize,
    /// Members showing the behaviour in each run.
    pub faults: usize,
    /// Names from [`catalog::NAMES`].
    pub behaviours: Vec<String>,
    pub votes: usize,
    /// Every this many seeds (0: never), run the seed twice and compare digests.
    pub replay_every: u64,
    /// Decided votes each node keeps whole ([`crate::Scenario::retain`]).
    pub retain: usize,
}

/// Counts for one behaviour.
#[derive(Clone, Debug, Default)]
pub struct Row {
    pub runs: usize,
    pub outcomes: BTreeMap<Outcome, usize>,
    /// Runs with at least one violation (or that could not run).
    pub failed: usize,
    pub wall: Duration,
}

/// A run that broke an invariant or could not run.
#[derive(Clone, Debug)]
pub struct Failure {
    pub seed: u64,
    pub behaviour: String,
    pub problems: Vec<String>,
}

/// The result of a sweep.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// By behaviour, in the order given.
    pub rows: Vec<(String, Row)>,
    pub failures: Vec<Failure>,
}

/// The outcome and problems of one seed of one behaviour.
pub fn run_one(cfg: &SweepConfig, name: &str, seed: u64) -> (Option<Outcome>, Vec<String>) {
    let scenario = match catalog::scenario(name, seed, cfg.nodes, cfg.faults, cfg.votes) {
        Ok(s) => crate::Scenario {
            retain: cfg.retain,
            ..s
        },
        Err(e) => return (None, vec![e.to_string()]),
    };
    let replay = cfg.replay_every > 0 && seed.is_multiple_of(cfg.replay_every);
    let result = catch_unwind(AssertUnwindSafe(|| {
        let first = crate::run(&scenario)?;
        let mut violations: Vec<Violation> = first.violations.clone();
        if replay {
            let second = crate::run(&scenario)?;
            violations.extend(invariants::determinism(&first, &second));
        }
        Ok::<_, crate::RunError>((first.outcome(), violations))
    }));
    match result {
        Ok(Ok((outcome, v))) => (Some(outcome), v.iter().map(ToString::to_string).collect()),
        Ok(Err(e)) => (None, vec![format!("could not run: {e}")]),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            (None, vec![format!("panicked: {msg}")])
        }
    }
}

/// Runs the sweep; `tick` is called after each run with the behaviour and seed.
pub fn sweep(cfg: &SweepConfig, mut tick: impl FnMut(&str, u64, bool)) -> Summary {
    let mut summary = Summary {
        rows: cfg
            .behaviours
            .iter()
            .map(|b| (b.clone(), Row::default()))
            .collect(),
        failures: Vec::new(),
    };
    for seed in cfg.first_seed..cfg.first_seed.saturating_add(cfg.seeds) {
        for (name, row) in summary.rows.iter_mut() {
            let start = Instant::now();
            let (outcome, problems) = run_one(cfg, name, seed);
            row.wall += start.elapsed();
            row.runs += 1;
            if let Some(o) = outcome {
                *row.outcomes.entry(o).or_default() += 1;
            }
            let failed = !problems.is_empty();
            if failed {
                row.failed += 1;
                summary.failures.push(Failure {
                    seed,
                    behaviour: name.clone(),
                    problems,
                });
            }
            tick(name, seed, failed);
        }
    }
    summary
}

impl Summary {
    /// The summary table, one line per behaviour.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<16} {:>6} {:>8} {:>13} {:>8} {:>7} {:>8}\n",
            "behaviour", "runs", "agreed", "no_agreement", "stalled", "failed", "s/seed"
        );
        let count = |row: &Row, o: Outcome| row.outcomes.get(&o).copied().unwrap_or(0);
        for (name, row) in &self.rows {
            let per = if row.runs == 0 {
                0.0
            } else {
                row.wall.as_secs_f64() / row.runs as f64
            };
            out.push_str(&format!(
                "{:<16} {:>6} {:>8} {:>13} {:>8} {:>7} {:>8.3}\n",
                name,
                row.runs,
                count(row, Outcome::Agreed),
                count(row, Outcome::NoAgreement),
                count(row, Outcome::Stalled),
                row.failed,
                per
            ));
        }
        out
    }
}
