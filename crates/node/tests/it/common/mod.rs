//! A simulated network of `n` nodes with sorted identity keys and 5 ms links between every
//! pair, the DKG among them, and each node's channels: the setup the deterministic node tests
//! share.
#![allow(dead_code)] // each test module uses its part

use byzvote_core::Timeouts;
use byzvote_dkg::{AllDealers, CeremonyConfig, DkgOutput};
use byzvote_models::ModelBackend;
use byzvote_node::chain::engine::Timeouts as ChainTimeouts;
use byzvote_node::chain::types::PublicKey;
use byzvote_node::node::{self, Channels, DEFAULT_PACING, channel};
use byzvote_node::quick;
use commonware_cryptography::{Signer as _, ed25519};
use commonware_p2p::simulated::{self, Link, Network, Oracle, Receiver, Sender};
use commonware_runtime::{Quota, Spawner as _, Supervisor as _, deterministic};
use commonware_utils::{NZU32, NZUsize, probability};
use std::sync::Arc;
use std::time::Duration;

/// Node `i`'s configuration as the protocol tests run it: 3 s to commit and 2 s to reveal, no
/// embedder, no vendors, no fault; a test changes what it needs with `..common::config(..)`.
pub fn config(
    i: usize,
    key: &ed25519::PrivateKey,
    participants: &[PublicKey],
    dkg: Arc<DkgOutput>,
    model: Arc<dyn ModelBackend>,
) -> node::Config {
    node::Config {
        signer: key.clone(),
        participants: participants.to_vec(),
        namespace: b"byzvote-test".to_vec(),
        dir: None,
        partition: format!("node-{i}"),
        model,
        dkg,
        vote_timeouts: Timeouts {
            commit: Duration::from_secs(3),
            reveal: Duration::from_secs(2),
        },
        chain_timeouts: ChainTimeouts::default(),
        embedder: None,
        pacing: DEFAULT_PACING,
        retain: byzvote_node::protocol::state::RETAIN,
        vendors: Default::default(),
        fault: None,
    }
}

/// A deterministic runtime seeded with `seed` that fails a test still running after
/// `timeout` of simulated time.
pub fn runner(seed: u64, timeout: Duration) -> deterministic::Runner {
    deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(timeout)),
    )
}

/// The rate every test channel allows.
pub fn quota() -> Quota {
    Quota::per_second(NZU32!(10_000))
}

/// The DKG ceremony among every key (no dealer): each node's output, one group key.
pub async fn dkg(
    context: &deterministic::Context,
    oracle: &Oracle<PublicKey, deterministic::Context>,
    keys: &[ed25519::PrivateKey],
    participants: &[PublicKey],
) -> Vec<Arc<DkgOutput>> {
    let mut ceremonies = Vec::new();
    for key in keys {
        let (sender, receiver) = oracle
            .control(key.public_key())
            .register(channel::DKG, quota())
            .await
            .unwrap();
        let config = CeremonyConfig {
            signer: key.clone(),
            participants: participants.to_vec(),
            namespace: b"byzvote-test-dkg".to_vec(),
            round: 0,
            timeouts: Default::default(),
            progress: None,
            labels: Default::default(),
        };
        let agreement = AllDealers::new(key.public_key(), participants.to_vec());
        ceremonies.push(context.child("dkg").spawn(move |ctx| async move {
            let (mut sender, mut receiver) = (sender, receiver);
            byzvote_dkg::run(ctx, config, agreement, &mut sender, &mut receiver).await
        }));
    }
    let mut outputs = Vec::new();
    for c in ceremonies {
        outputs.push(Arc::new(c.await.unwrap().expect("dkg").output));
    }
    outputs
}

/// A node's channels on the simulated network, registered in the node's order.
pub async fn channels(
    oracle: &Oracle<PublicKey, deterministic::Context>,
    key: &PublicKey,
) -> Channels<Sender<PublicKey, deterministic::Context>, Receiver<PublicKey>> {
    let control = oracle.control(key.clone());
    let mut reg = Vec::new();
    for ch in channel::NODE {
        reg.push(control.register(ch, quota()).await.unwrap());
    }
    Channels::from_ordered(reg).unwrap()
}

/// The link between every pair of nodes: 5 ms, 2 ms of jitter, nothing lost.
pub fn link() -> Link {
    Link {
        latency: Duration::from_millis(5),
        jitter: Duration::from_millis(2),
        success_rate: probability!(1.0),
    }
}

/// Keys sorted by public key (a member id indexes them), their public keys, and the oracle.
pub async fn network(
    context: &deterministic::Context,
    n: usize,
) -> (
    Vec<ed25519::PrivateKey>,
    Vec<PublicKey>,
    Oracle<PublicKey, deterministic::Context>,
) {
    let mut keys: Vec<ed25519::PrivateKey> =
        (0..n as u64).map(ed25519::PrivateKey::from_seed).collect();
    keys.sort_by_key(|k| k.public_key());
    let participants: Vec<PublicKey> = keys.iter().map(|k| k.public_key()).collect();
    let (network, oracle) = Network::new_with_peers(
        context.child("network"),
        simulated::Config {
            max_size: 1 << 20,
            max_peers_per_set: NZUsize!(n),
            disconnect_on_block: true,
            tracked_peer_sets: NZUsize!(1),
        },
        participants.clone(),
    )
    .await;
    network.start();
    let link = link();
    for a in &participants {
        for b in &participants {
            if a != b {
                oracle
                    .add_link(a.clone(), b.clone(), link.clone())
                    .await
                    .unwrap();
            }
        }
    }
    (keys, participants, oracle)
}

/// A node started on the simulated network.
pub type NodeHandle = node::Handle<Sender<PublicKey, deterministic::Context>>;

/// `n` nodes on a fresh simulated network, started after their DKG: node `i` answers with
/// `model(i)` and runs [`config`] as `adjust` changes it. Also returns the sorted public keys
/// and the oracle (to cut and restore links).
pub async fn cluster(
    context: &deterministic::Context,
    n: usize,
    model: impl Fn(usize) -> Arc<dyn ModelBackend>,
    adjust: impl Fn(node::Config) -> node::Config,
) -> (
    Vec<NodeHandle>,
    Vec<PublicKey>,
    Oracle<PublicKey, deterministic::Context>,
) {
    let (keys, participants, oracle) = network(context, n).await;
    let outputs = dkg(context, &oracle, &keys, &participants).await;
    let mut handles = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let cfg = adjust(config(i, key, &participants, outputs[i].clone(), model(i)));
        let handle = node::start(
            context.child("node"),
            cfg,
            oracle.control(key.public_key()),
            oracle.manager(),
            channels(&oracle, &key.public_key()).await,
        )
        .await
        .unwrap();
        handles.push(handle);
    }
    (handles, participants, oracle)
}

/// A quick-tier actor (tiers 1-2) on each of `n` nodes of a fresh simulated network: node `i`
/// runs `adjust(i, base)`, where `base` answers "Paris", waits 5 s for a member, allows 8 peer
/// calls at once with the default per-peer limit, and keeps its audit log in memory. Returns the
/// handles and the sorted participants.
pub async fn quick_nodes(
    context: &deterministic::Context,
    n: usize,
    adjust: impl Fn(usize, quick::Config) -> quick::Config,
) -> (Vec<quick::QuickHandle>, Vec<PublicKey>) {
    let (keys, participants, oracle) = network(context, n).await;
    let mut handles = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let (sender, receiver) = oracle
            .control(key.public_key())
            .register(channel::QUICK, quota())
            .await
            .unwrap();
        let base = quick::Config {
            signer: key.clone(),
            participants: Arc::new(participants.clone()),
            model: Arc::new(byzvote_models::Scripted::constant(format!("m{i}"), "Paris")),
            timeout: Duration::from_secs(5),
            max_peer_calls: 8,
            peer_limit: quick::limit::PeerLimit::default(),
            audit: byzvote_node::protocol::audit::AuditLog::memory(),
        };
        let cfg = adjust(i, base);
        handles.push(quick::start(context.child("node"), cfg, sender, receiver).unwrap());
    }
    (handles, participants)
}
