//! Measures whole ceremonies on the deterministic runtime with the simulated network, and
//! prints a test vector for `tests/py_ecc_check.py`.
//!
//! `cargo run --release -p byzvote-dkg --example dkg_sim -- [latency_ms] [seeds]`

use byzvote_dkg::{AllDealers, CeremonyConfig, Identity, Timeouts, run, threshold};
use commonware_cryptography::{Signer as _, ed25519};
use commonware_p2p::simulated::{Config, Link, Network};
use commonware_runtime::{
    Clock as _, Quota, Runner as _, Spawner as _, Supervisor as _, deterministic,
};
use commonware_utils::{NZU32, NZUsize, probability};
use std::time::{Duration, Instant};

const NAMESPACE: &[u8] = b"BYZVOTE_DECISION";

/// Returns (simulated time until all finished, per-node elapsed, a vector).
fn ceremony(seed: u64, n: usize, latency: Duration) -> (Duration, Vec<Duration>, String) {
    let mut keys: Vec<_> = (0..n as u64).map(ed25519::PrivateKey::from_seed).collect();
    keys.sort_by_key(|k| k.public_key());
    let participants: Vec<Identity> = keys.iter().map(|k| k.public_key()).collect();
    deterministic::Runner::seeded(seed).start(|context| async move {
        let cfg = Config {
            max_size: 1 << 20,
            max_peers_per_set: NZUsize!(n),
            disconnect_on_block: true,
            tracked_peer_sets: NZUsize!(1),
        };
        let (network, oracle) =
            Network::new_with_peers(context.child("network"), cfg, participants.clone()).await;
        network.start();
        for a in &participants {
            for b in &participants {
                if a != b {
                    let link = Link {
                        latency,
                        jitter: latency / 4,
                        success_rate: probability!(1.0),
                    };
                    oracle.add_link(a.clone(), b.clone(), link).await.unwrap();
                }
            }
        }
        // Register every node before any starts, so no first message is lost.
        let mut channels = Vec::new();
        for key in &keys {
            let quota = Quota::per_second(NZU32!(10_000));
            channels.push(oracle.control(key.public_key()).register(0, quota).await.unwrap());
        }
        let start = context.current();
        let mut handles = Vec::new();
        for (key, (sender, receiver)) in keys.iter().zip(channels) {
            let config = CeremonyConfig {
                signer: key.clone(),
                participants: participants.clone(),
                namespace: b"byzvote-dkg".to_vec(),
                round: 0,
                timeouts: Timeouts {
                    deal: Duration::from_secs(1),
                    resend: Duration::from_millis(500),
                    total: Duration::from_secs(60),
                    linger: Duration::ZERO,
                },
                progress: None,
                labels: Default::default(),
            };
            let agreement = AllDealers::new(key.public_key(), participants.clone());
            handles.push(context.child("node").spawn(move |ctx| async move {
                let (mut sender, mut receiver) = (sender, receiver);
                run(ctx, config, agreement, &mut sender, &mut receiver).await
            }));
        }
        let mut reports = Vec::new();
        for h in handles {
            reports.push(h.await.unwrap().unwrap());
        }
        let total = context.current().duration_since(start).unwrap();
        let out = &reports[0].output;
        let msg = b"hello from byzvote";
        let partials: Vec<_> = reports
            .iter()
            .map(|r| threshold::partial_sign(r.output.share(), NAMESPACE, msg))
            .collect();
        let sig = threshold::recover(out, &partials).unwrap();
        assert!(threshold::verify(out.group_public_key(), NAMESPACE, msg, &sig));
        let vector = format!(
            "{{\"group_public_key\": \"{}\", \"signature\": \"{}\", \"signed_message\": \"{}\", \"namespace\": \"{}\", \"message\": \"{}\"}}",
            threshold::key_to_hex(out.group_public_key()),
            threshold::signature_to_hex(&sig),
            hex::encode(threshold::signed_message(NAMESPACE, msg)),
            hex::encode(NAMESPACE),
            hex::encode(msg),
        );
        (total, reports.iter().map(|r| r.elapsed).collect(), vector)
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let latency = Duration::from_millis(args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20));
    let seeds: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    println!("link latency {latency:?} (jitter latency/4), {seeds} seeds per size");
    for n in [4u32, 7, 16] {
        let max = byzvote_dkg::wire::max_message_size(std::num::NonZeroU32::new(n).unwrap());
        println!("max DKG message at n={n}: {max} bytes");
    }
    let mut vector = String::new();
    for n in [4usize, 7] {
        let mut sims = Vec::new();
        let mut walls = Vec::new();
        for seed in 0..seeds {
            let wall = Instant::now();
            let (total, per_node, v) = ceremony(seed, n, latency);
            walls.push(wall.elapsed());
            sims.push(total);
            if n == 4 && seed == 0 {
                vector = v;
                println!("  n=4 seed 0 per-node elapsed: {per_node:?}");
            }
        }
        sims.sort();
        walls.sort();
        println!(
            "n={n}: simulated time min/median/max {:?} / {:?} / {:?}; wall time per ceremony (all n nodes in one process) min/median/max {:?} / {:?} / {:?}",
            sims[0],
            sims[sims.len() / 2],
            sims[sims.len() - 1],
            walls[0],
            walls[walls.len() / 2],
            walls[walls.len() - 1],
        );
    }
    println!("VECTOR {vector}");
}
