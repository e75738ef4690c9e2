//! `byzvote sim`: a sweep of seeds × behaviours with a progress bar, a summary table, and a
//! one-line reproduction command for each failing seed.

use crate::catalog::{self, NAMES};
use crate::scenario::bounds_for;
use crate::sweep::{SweepConfig, sweep};
use std::process::ExitCode;

/// Arguments of `byzvote sim`.
#[derive(clap::Args, Debug, Clone)]
pub struct SimArgs {
    /// Number of seeds to run (each behaviour runs every seed).
    #[arg(long, default_value_t = 100)]
    pub seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 1)]
    pub first_seed: u64,
    /// Cluster size (4, 7 or 10: the committee is the whole cluster).
    #[arg(long, default_value_t = 4)]
    pub nodes: usize,
    /// Members showing the behaviour in each run [default: floor((nodes-1)/3)]. More than
    /// that is beyond the bound: safety may be lost where it cannot be detected.
    #[arg(long)]
    pub faults: Option<usize>,
    /// Comma-separated behaviour names [default: all].
    #[arg(long, value_delimiter = ',')]
    pub behaviours: Vec<String>,
    /// Requests per seed.
    #[arg(long, default_value_t = 3)]
    pub votes: usize,
    /// Every this many seeds, run the seed twice and compare digests (0: never).
    #[arg(long, default_value_t = 10)]
    pub replay_every: u64,
    /// Decided votes each node keeps whole before retiring them (a node keeps 16,384); fewer
    /// than --votes makes retirement happen during the run.
    #[arg(long, default_value_t = byzvote_node::protocol::state::RETAIN)]
    pub retain: usize,
}

impl SimArgs {
    fn validate(self) -> anyhow::Result<SweepConfig> {
        if self.nodes < 4 {
            anyhow::bail!("--nodes {} is too small: use 4, 7 or 10", self.nodes);
        }
        let behaviours: Vec<String> = if self.behaviours.is_empty() {
            NAMES.iter().map(|s| s.to_string()).collect()
        } else {
            self.behaviours.clone()
        };
        for b in &behaviours {
            if !NAMES.contains(&b.as_str()) {
                return Err(catalog::UnknownBehaviour(b.clone()).into());
            }
        }
        let faults = self.faults.unwrap_or((self.nodes - 1) / 3);
        if faults > self.nodes {
            anyhow::bail!("--faults {faults} is more than --nodes {}", self.nodes);
        }
        Ok(SweepConfig {
            first_seed: self.first_seed,
            seeds: self.seeds,
            nodes: self.nodes,
            faults,
            behaviours,
            votes: self.votes,
            replay_every: self.replay_every,
            retain: self.retain,
        })
    }
}

/// Runs the sweep; exits non-zero if any run broke an invariant.
pub fn run(args: SimArgs) -> anyhow::Result<ExitCode> {
    let cfg = args.validate()?;
    let f = bounds_for(cfg.nodes).f() as usize;
    if cfg.faults > f {
        eprintln!(
            "note: {} faulty members is beyond the bound f = {f} of a {}-node committee; \
             termination is not required and an answer agreed by colluders cannot be detected",
            cfg.faults, cfg.nodes
        );
    }
    let total = cfg.seeds.saturating_mul(cfg.behaviours.len() as u64);
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} runs, eta {eta} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // Without a terminal the bar hides itself: print a line every 50 runs and each failure.
    let plain = !std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut failed = 0u64;
    let mut done = 0u64;
    let summary = sweep(&cfg, |name, seed, bad| {
        failed += u64::from(bad);
        done += 1;
        bar.set_message(format!("{name} seed {seed}, {failed} failed"));
        bar.inc(1);
        if plain && (bad || done.is_multiple_of(50) || done == total) {
            let what = if bad { "FAILED" } else { "ok" };
            eprintln!("{done}/{total} runs, {failed} failed; last: {name} seed {seed} {what}");
        }
    });
    bar.finish_and_clear();
    print!("{}", summary.table());
    if summary.failures.is_empty() {
        println!(
            "{total} runs ({} seeds × {} behaviours, n = {}, {} faulty): no violation",
            cfg.seeds,
            cfg.behaviours.len(),
            cfg.nodes,
            cfg.faults
        );
        return Ok(ExitCode::SUCCESS);
    }
    for fail in &summary.failures {
        println!("FAILED seed {} behaviour {}:", fail.seed, fail.behaviour);
        for p in &fail.problems {
            println!("  {p}");
        }
        println!(
            "  reproduce: byzvote sim --seeds 1 --first-seed {} --nodes {} --faults {} --behaviours {} --votes {} --retain {} --replay-every 1",
            fail.seed, cfg.nodes, cfg.faults, fail.behaviour, cfg.votes, cfg.retain
        );
    }
    Ok(ExitCode::FAILURE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        sim: SimArgs,
    }

    fn parse(args: &[&str]) -> SimArgs {
        Cli::try_parse_from(std::iter::once("sim").chain(args.iter().copied()))
            .unwrap()
            .sim
    }

    #[test]
    fn defaults_and_validation() {
        let cfg = parse(&[]).validate().unwrap();
        assert_eq!(
            (cfg.seeds, cfg.nodes, cfg.faults, cfg.votes),
            (100, 4, 1, 3)
        );
        assert_eq!(cfg.behaviours.len(), NAMES.len());
        let cfg = parse(&["--nodes", "10", "--behaviours", "liar,split"])
            .validate()
            .unwrap();
        assert_eq!(cfg.faults, 3);
        assert_eq!(cfg.behaviours, vec!["liar", "split"]);
        let err = parse(&["--behaviours", "liar,gremlin"])
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("gremlin"), "{err}");
        assert!(parse(&["--nodes", "3"]).validate().is_err());
    }
}
