//! A sweep of every behaviour over many seeds, split in chunks so the test harness runs
//! them in parallel; the long sweeps are `#[ignore]`d (run them with
//! `cargo test -p byzvote-sim -- --ignored`, or `byzvote sim`).
//!
//! Every violation fails the test, with its seed and a reproduction command.

use byzvote_sim::catalog::NAMES;
use byzvote_sim::sweep::{SweepConfig, sweep};

fn config(first_seed: u64, seeds: u64, nodes: usize, behaviours: &[&str]) -> SweepConfig {
    SweepConfig {
        first_seed,
        seeds,
        nodes,
        faults: (nodes - 1) / 3,
        behaviours: behaviours.iter().map(|s| s.to_string()).collect(),
        votes: 2,
        // Determinism has its own test (`invariants.rs`); the long sweeps replay too.
        replay_every: if seeds > 3 { 5 } else { 0 },
        retain: byzvote_node::protocol::state::RETAIN,
    }
}

/// Nodes that keep one decided vote whole and retire the rest as they go, under the
/// behaviours that touch what retirement drops (restarts replaying their log, lost messages
/// delaying certification past retirement, late reveals, forged partials): every invariant
/// still holds.
#[test]
fn sweep_n4_retiring_every_decided_vote_but_the_last() {
    let cfg = SweepConfig {
        votes: 4,
        retain: 1,
        ..config(
            2000,
            2,
            4,
            &[
                "honest",
                "crash-restart",
                "partition",
                "lossy",
                "lossy-net",
                "late-reveal",
                "forged-decision",
            ],
        )
    };
    assert_clean(&cfg);
}

fn assert_clean(cfg: &SweepConfig) {
    let summary = sweep(cfg, |_, _, _| {});
    eprint!("{}", summary.table());
    for f in &summary.failures {
        eprintln!(
            "FAILED: seed {} {}: {:#?}\n  reproduce: byzvote sim --seeds 1 --first-seed {} --nodes {} --behaviours {} --votes {} --retain {}",
            f.seed, f.behaviour, f.problems, f.seed, cfg.nodes, f.behaviour, cfg.votes, cfg.retain
        );
    }
    assert!(
        summary.failures.is_empty(),
        "failing runs (seeds printed above)"
    );
}

/// The `k`-th of four slices of [`NAMES`] (together: every behaviour once).
fn chunk(k: usize) -> Vec<&'static str> {
    let size = NAMES.len().div_ceil(4);
    NAMES.iter().copied().skip(size * k).take(size).collect()
}

#[test]
fn sweep_n4_first_quarter_of_behaviours() {
    assert_clean(&config(1000, 3, 4, &chunk(0)));
}

#[test]
fn sweep_n4_second_quarter_of_behaviours() {
    assert_clean(&config(1000, 3, 4, &chunk(1)));
}

#[test]
fn sweep_n4_third_quarter_of_behaviours() {
    assert_clean(&config(1000, 3, 4, &chunk(2)));
}

#[test]
fn sweep_n4_last_quarter_of_behaviours() {
    assert_clean(&config(1000, 3, 4, &chunk(3)));
}

#[test]
#[ignore = "long: 20 seeds of every behaviour at n = 4"]
fn long_sweep_n4() {
    assert_clean(&config(5000, 20, 4, NAMES));
}

#[test]
#[ignore = "long: about 3-6 s per run at n = 7 in debug"]
fn long_sweep_n7() {
    assert_clean(&config(2000, 3, 7, NAMES));
}

#[test]
#[ignore = "long: about 10 s per run at n = 10 in debug"]
fn long_sweep_n10() {
    assert_clean(&config(3000, 1, 10, NAMES));
}

/// Every link lossy, seed 120011: the four reveals of one vote were all lost on their way to
/// the other nodes and missed the reveal deadline (`no_agreement`, every member silent), when
/// a node gossiped its own transactions once. Each now gossips them again every second until
/// a finalized block carries them, and the vote agrees.
#[test]
fn lossy_links_do_not_lose_every_reveal_of_a_vote() {
    let cfg = SweepConfig {
        votes: 3,
        ..config(120_011, 1, 4, &["lossy-net"])
    };
    let (outcome, problems) = byzvote_sim::sweep::run_one(&cfg, "lossy-net", 120_011);
    assert!(problems.is_empty(), "seed 120011: {problems:?}");
    assert_eq!(
        outcome,
        Some(byzvote_sim::report::Outcome::Agreed),
        "seed 120011 lossy-net"
    );
}
