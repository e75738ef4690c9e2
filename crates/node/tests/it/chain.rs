//! The ordering layer on Commonware's deterministic runtime and simulated network:
//! transactions submitted to any node end up in the same finalized order on every node.

use crate::common;

use bytes::Bytes;
use byzvote_node::chain::{
    app::{App, OnFinalized, Pacing, Shared},
    block::{Block, Limits},
    engine::{self, Channels, Timeouts},
    mempool::Mempool,
    types::PublicKey,
};
use commonware_actor::Feedback;
use commonware_consensus::{Heightable as _, Reporter, marshal::Update};
use commonware_cryptography::{Signer as _, ed25519};
use commonware_p2p::simulated::{self, Link, Network};
use commonware_runtime::{Clock as _, Quota, Runner as _, Supervisor as _};
use commonware_utils::{Acknowledgement as _, NZU32, NZUsize, ordered::Set, probability};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A finalized block as the test sees it: (height, transactions).
type Finalized = Vec<(u64, Vec<Bytes>)>;

/// Collects finalized blocks.
#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Finalized>>);

impl Reporter for Collector {
    type Activity = Update<Block>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        if let Update::Block(block, ack) = activity {
            let mut blocks = self.0.lock().unwrap();
            let height = block.height().get();
            if blocks.last().is_none_or(|(h, _)| *h < height) {
                blocks.push((height, block.inner().txs.clone()));
            }
            ack.acknowledge();
        }
        Feedback::Ok
    }
}

/// Per node: the blocks finalized as marshal delivered them, and as consensus reported them
/// ahead of marshal (`engine::Config::on_finalized`).
type Run = (Vec<Finalized>, Vec<Finalized>, String);

fn run(seed: u64) -> Run {
    let executor = common::runner(seed, Duration::from_secs(120));
    executor.start(|context| async move {
        let n = 4;
        let signers: Vec<ed25519::PrivateKey> =
            (0..n).map(ed25519::PrivateKey::from_seed).collect();
        let participants: Set<PublicKey> =
            Set::try_from(signers.iter().map(|s| s.public_key()).collect::<Vec<_>>()).unwrap();
        let (network, oracle) = Network::new_with_peers(
            context.child("network"),
            simulated::Config {
                max_size: 1024 * 1024,
                max_peers_per_set: NZUsize!(n as usize),
                disconnect_on_block: true,
                tracked_peer_sets: NZUsize!(1),
            },
            participants.iter().cloned(),
        )
        .await;
        network.start();
        for a in participants.iter() {
            for b in participants.iter() {
                if a != b {
                    let link = Link {
                        latency: Duration::from_millis(10),
                        jitter: Duration::from_millis(3),
                        success_rate: probability!(1.0),
                    };
                    oracle.add_link(a.clone(), b.clone(), link).await.unwrap();
                }
            }
        }
        let quota = Quota::per_second(NZU32!(10_000));
        let mut collectors = Vec::new();
        let mut earlies = Vec::new();
        let mut pools = Vec::new();
        for signer in &signers {
            let me = signer.public_key();
            let control = oracle.control(me.clone());
            let mut reg = Vec::new();
            for ch in 0..5u64 {
                reg.push(control.register(ch, quota).await.unwrap());
            }
            let mut reg = reg.into_iter();
            let channels = Channels {
                votes: reg.next().unwrap(),
                certificates: reg.next().unwrap(),
                resolver: reg.next().unwrap(),
                broadcast: reg.next().unwrap(),
                backfill: reg.next().unwrap(),
            };
            let mempool = Mempool::new(1000, 1 << 20);
            pools.push(mempool.clone());
            let app = App {
                mempool,
                check: Arc::new(|txs: &[bytes::Bytes]| {
                    txs.iter().map(|tx| !tx.is_empty()).collect()
                }),
                deep_check: Arc::new(|_: &bytes::Bytes| None),
                arrange: Arc::new(|_: &mut Vec<bytes::Bytes>, _: &[bytes::Bytes]| true),
                shared: Shared::default(),
                pacing: Pacing {
                    idle: Duration::from_millis(300),
                    busy: Duration::from_millis(50),
                    linger: Duration::ZERO,
                },
                limits: Limits::default(),
                max_block_bytes: 1 << 20,
            };
            let collector = Collector::default();
            collectors.push(collector.clone());
            let early = Collector::default();
            earlies.push(early.clone());
            let on_finalized: OnFinalized = Arc::new(move |block| {
                let height = block.height().get();
                early
                    .0
                    .lock()
                    .unwrap()
                    .push((height, block.inner().txs.clone()));
            });
            let cfg = engine::Config {
                signer: signer.clone(),
                participants: participants.clone(),
                namespace: b"byzvote-test".to_vec(),
                partition: format!("node-{me}"),
                blocker: control.clone(),
                provider: oracle.manager(),
                app,
                timeouts: Timeouts::default(),
                on_finalized: Some(on_finalized),
            };
            engine::start(context.child("node"), cfg, collector, channels).await;
        }
        // Submit one transaction to one node's pool; others learn it only through blocks.
        context.sleep(Duration::from_secs(2)).await;
        // All pools receive it, as tx gossip would do; only one leader will include it.
        for pool in &pools {
            pool.insert(Bytes::from_static(b"hello"));
        }
        loop {
            context.sleep(Duration::from_millis(100)).await;
            let done = collectors.iter().all(|c| {
                c.0.lock()
                    .unwrap()
                    .iter()
                    .any(|(_, txs)| txs.iter().any(|t| t.as_ref() == b"hello"))
            });
            if done {
                break;
            }
        }
        let take = |c: &Vec<Collector>| c.iter().map(|c| c.0.lock().unwrap().clone()).collect();
        (take(&collectors), take(&earlies), context.auditor().state())
    })
}

#[test]
fn four_nodes_finalize_the_same_transactions() {
    let seed = 7;
    let (blocks, early, _) = run(seed);
    // Every block handed over at its finalization certificate is the block marshal delivers
    // at that height, and the early path is taken.
    for (node, (delivered, early)) in blocks.iter().zip(&early).enumerate() {
        let last = delivered.last().map_or(0, |(h, _)| *h);
        let checked = early.iter().filter(|(h, _)| *h <= last).count();
        assert!(checked > 0, "seed {seed}: node {node} got no block early");
        for (h, txs) in early.iter().filter(|(h, _)| *h <= last) {
            let marshal = delivered.iter().find(|(d, _)| d == h).map(|(_, t)| t);
            assert_eq!(marshal, Some(txs), "seed {seed}: node {node}, height {h}");
        }
    }
    let with_tx: Vec<u64> = blocks
        .iter()
        .map(|b| {
            b.iter()
                .find(|(_, txs)| txs.iter().any(|t| t.as_ref() == b"hello"))
                .unwrap()
                .0
        })
        .collect();
    assert!(
        with_tx.iter().all(|h| *h == with_tx[0]),
        "seed {seed}: nodes disagree on the height: {with_tx:?}"
    );
    let count: usize = blocks[0]
        .iter()
        .map(|(_, txs)| txs.iter().filter(|t| t.as_ref() == b"hello").count())
        .sum();
    assert_eq!(
        count, 1,
        "seed {seed}: the transaction was ordered more than once"
    );
}
