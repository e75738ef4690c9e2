//! A cluster of ceremonies on one simulated network.

use crate::{
    AllDealers, CeremonyConfig, CeremonyError, CeremonyReport, Identity, IdentityKey, OrderedLogs,
    Timeouts,
    ceremony::{Byzantine, run_inner},
};
use commonware_cryptography::{Signer as _, ed25519};
use commonware_macros::select;
use commonware_p2p::simulated::{Config, Link, Network};
use commonware_runtime::{
    Clock as _, Quota, Runner as _, Spawner as _, Supervisor as _, deterministic,
};
use commonware_utils::{NZU32, NZUsize};
use std::time::Duration;

pub(crate) const NAMESPACE: &[u8] = b"byzvote-dkg-test";

/// One simulated run.
pub(crate) struct Scenario {
    pub seed: u64,
    pub n: usize,
    /// Nodes (by index in sorted order) that never start.
    pub down: Vec<usize>,
    /// A misbehaving dealer (index in sorted order).
    pub byzantine: Option<(usize, Byzantine)>,
    pub latency: Duration,
    pub timeouts: Timeouts,
    /// Probability that a message is delivered.
    pub success_rate: f64,
    /// Agree through a simulated consensus ([`crate::OrderedLogs`]) instead of `AllDealers`.
    pub ordered: bool,
    /// Adds an outsider to the network that floods every participant with junk.
    pub noise: bool,
    /// Every node keeps a progress file (see [`CeremonyConfig::progress`]).
    pub persist: bool,
    /// This node (index in sorted order) crashes after this long and starts again, on the
    /// same progress file, `down_for` later.
    pub restart: Option<(usize, Duration)>,
    pub down_for: Duration,
    /// Nodes that finish keep answering late peers ([`crate::answer`]).
    pub answer: bool,
    /// This node starts this long after the others.
    pub late: Option<(usize, Duration)>,
}

impl Scenario {
    pub fn honest(seed: u64, n: usize) -> Self {
        Self {
            seed,
            n,
            down: Vec::new(),
            byzantine: None,
            latency: Duration::from_millis(20),
            timeouts: Timeouts {
                deal: Duration::from_millis(500),
                resend: Duration::from_millis(200),
                total: Duration::from_secs(30),
                linger: Duration::from_millis(400),
            },
            noise: false,
            ordered: false,
            success_rate: 1.0,
            persist: false,
            restart: None,
            down_for: Duration::ZERO,
            answer: false,
            late: None,
        }
    }
}

/// Identity keys sorted by public key, so index = share index.
pub(crate) fn sorted_keys(n: usize) -> Vec<IdentityKey> {
    let mut keys: Vec<_> = (0..n as u64).map(ed25519::PrivateKey::from_seed).collect();
    keys.sort_by_key(|k| k.public_key());
    keys
}

/// Runs the scenario; results in sorted-participant order (`None` for nodes that were down),
/// plus the simulated time until the last node finished.
pub(crate) fn run(s: Scenario) -> (Vec<Option<Result<CeremonyReport, CeremonyError>>>, Duration) {
    let keys = sorted_keys(s.n);
    let participants: Vec<Identity> = keys.iter().map(|k| k.public_key()).collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let dir_path = dir.path().to_path_buf();
    let out = deterministic::Runner::seeded(s.seed).start(|context| async move {
        let cfg = Config {
            max_size: 1 << 20,
            max_peers_per_set: NZUsize!(s.n),
            disconnect_on_block: true,
            tracked_peer_sets: NZUsize!(1),
        };
        let outsider = ed25519::PrivateKey::from_seed(1000).public_key();
        let mut peers = participants.clone();
        if s.noise {
            peers.push(outsider.clone());
        }
        let cfg = Config {
            max_peers_per_set: NZUsize!(peers.len()),
            ..cfg
        };
        let (network, oracle) =
            Network::new_with_peers(context.child("network"), cfg, peers.clone()).await;
        network.start();
        let link = Link {
            latency: s.latency,
            jitter: s.latency / 4,
            success_rate: commonware_utils::Probability::try_from(s.success_rate).unwrap(),
        };
        for a in &peers {
            for b in &peers {
                if a != b {
                    oracle
                        .add_link(a.clone(), b.clone(), link.clone())
                        .await
                        .unwrap();
                }
            }
        }
        // Register every node before any starts, so no first message is lost.
        let mut channels = Vec::new();
        for key in &keys {
            let quota = Quota::per_second(NZU32!(10_000));
            channels.push(
                oracle
                    .control(key.public_key())
                    .register(0, quota)
                    .await
                    .unwrap(),
            );
        }
        let start = context.current();
        let mut handles = Vec::new();
        let mut feeds = Vec::new();
        for (i, (key, (sender, receiver))) in keys.iter().zip(channels).enumerate() {
            if s.down.contains(&i) {
                handles.push(None);
                continue;
            }
            let config = CeremonyConfig {
                signer: key.clone(),
                participants: participants.clone(),
                namespace: NAMESPACE.to_vec(),
                round: 0,
                timeouts: s.timeouts.clone(),
                progress: s.persist.then(|| dir_path.join(format!("progress-{i}"))),
                labels: Default::default(),
            };
            let byzantine = s
                .byzantine
                .as_ref()
                .filter(|(b, _)| *b == i)
                .map(|(_, behaviour)| behaviour.clone());
            let node = context.child("node");
            // Outside the node's task: a task spawned by one that ends is aborted with it.
            let answer = s.answer.then(|| context.child("answer"));
            let handle = if let Some((_, after)) = s.restart.filter(|(r, _)| *r == i) {
                let control = oracle.control(key.public_key());
                let participants = participants.clone();
                let me = key.public_key();
                let down_for = s.down_for;
                node.spawn(move |ctx| async move {
                    let (mut sender, mut receiver) = (sender, receiver);
                    let hook = AllDealers::new(me.clone(), participants.clone());
                    let first = run_inner(
                        ctx.child("first"),
                        config.clone(),
                        hook,
                        &mut sender,
                        &mut receiver,
                        byzantine.clone(),
                    );
                    select! {
                        done = first => return done,
                        _ = ctx.sleep(after) => {},
                    }
                    // Crashed: everything in memory is gone. After `down_for` it starts again
                    // on the same channel and progress file.
                    drop((sender, receiver));
                    ctx.sleep(down_for).await;
                    let (sender, receiver) = control
                        .register(0, Quota::per_second(NZU32!(10_000)))
                        .await
                        .expect("register again");
                    let hook = AllDealers::new(me, participants);
                    ceremony(ctx, config, hook, sender, receiver, byzantine, answer).await
                })
            } else if s.ordered {
                let (hook, feed) = OrderedLogs::new(&config, context.child("hook")).unwrap();
                feeds.push(feed);
                node.spawn(move |ctx| {
                    ceremony(ctx, config, hook, sender, receiver, byzantine, answer)
                })
            } else {
                let hook = AllDealers::new(key.public_key(), participants.clone());
                let late = s.late.filter(|(l, _)| *l == i).map(|(_, after)| after);
                node.spawn(move |ctx| async move {
                    if let Some(after) = late {
                        ctx.sleep(after).await;
                    }
                    ceremony(ctx, config, hook, sender, receiver, byzantine, answer).await
                })
            };
            handles.push(Some(handle));
        }
        if s.ordered {
            context
                .child("consensus")
                .spawn(move |ctx| super::sequencer::run(ctx, feeds));
        }
        if s.noise {
            let (sender, _receiver) = oracle
                .control(outsider)
                .register(0, Quota::per_second(NZU32!(10_000)))
                .await
                .unwrap();
            let junk = super::noise::junk(&keys);
            context
                .child("noise")
                .spawn(move |ctx| super::noise::flood(ctx, sender, junk));
        }
        let mut results = Vec::new();
        for h in handles {
            results.push(match h {
                Some(h) => Some(h.await.unwrap()),
                None => None,
            });
        }
        let elapsed = context.current().duration_since(start).unwrap();
        (results, elapsed)
    });
    drop(dir);
    out
}

/// One node's ceremony; with `answer`, once done it keeps answering late peers on its channel
/// (in a task of `answer`'s, so that the run's result does not wait for it).
async fn ceremony<A, S, R>(
    ctx: deterministic::Context,
    config: CeremonyConfig,
    hook: A,
    mut sender: S,
    mut receiver: R,
    byzantine: Option<Byzantine>,
    answer: Option<deterministic::Context>,
) -> Result<CeremonyReport, CeremonyError>
where
    A: crate::Agreement,
    S: commonware_p2p::Sender<PublicKey = Identity>,
    R: commonware_p2p::Receiver<PublicKey = Identity>,
{
    let result = run_inner(
        ctx.child("dkg"),
        config.clone(),
        hook,
        &mut sender,
        &mut receiver,
        byzantine,
    )
    .await;
    if let (Some(answer), Ok(report)) = (answer, &result) {
        let logs = report.logs.clone();
        answer.spawn(move |ctx| async move {
            let _ = crate::answer(ctx, &config, logs, sender, receiver).await;
        });
    }
    result
}

/// Unwraps every result of a run where all nodes must succeed.
pub(crate) fn all_ok(
    results: Vec<Option<Result<CeremonyReport, CeremonyError>>>,
    seed: u64,
) -> Vec<CeremonyReport> {
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| match r {
            Some(Ok(r)) => r,
            Some(Err(e)) => panic!("seed {seed}: node {i} failed: {e}"),
            None => panic!("seed {seed}: node {i} was down"),
        })
        .collect()
}
