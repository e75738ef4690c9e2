//! The simulated cluster: the network, and each member's node, which can be stopped
//! (every task of a node is a descendant of one supervisor task, so aborting it stops the
//! node) and started again from its persisted state (runtime storage for the chain, files
//! for the audit log and commitment secrets).

use crate::behaviour::Behaviour;
use crate::keys::ClusterKeys;
use crate::model::SimModel;
use crate::scenario::Scenario;
use byzvote_dkg::Identity;
use byzvote_node::node::{self, Channels, channel};
use commonware_p2p::simulated::{self, Link, Network};
use commonware_runtime::{Clock as _, Handle, Quota, Spawner as _, Supervisor as _, deterministic};
use commonware_utils::{NZU32, NZUsize, Probability};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The runtime context of the simulation.
pub type Ctx = deterministic::Context;
/// A node's p2p sender on the simulated network.
pub type SimSender = simulated::Sender<Identity, Ctx>;
/// A running node, as the simulation drives it.
pub type NodeHandle = node::Handle<SimSender>;
type Oracle = simulated::Oracle<Identity, Ctx>;

/// Why the cluster could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("simulated network: {0}")]
    Network(String),
    #[error("node {member} did not start: {reason}")]
    Node { member: u32, reason: String },
}

/// One member's node over time.
#[derive(Default)]
pub struct Slot {
    task: Option<Handle<()>>,
    /// The node's last handle (kept after a crash: its results stay readable).
    pub handle: Option<NodeHandle>,
    /// Whether the node runs now.
    pub running: bool,
    /// Whether the member follows the protocol (requests are submitted through it).
    pub follows: bool,
}

/// The network and every member's node.
pub struct Cluster {
    ctx: Ctx,
    oracle: Oracle,
    keys: ClusterKeys,
    scenario: Scenario,
    dir: PathBuf,
    pub slots: Vec<Slot>,
}

fn link(latency: Duration, jitter: Duration, percent: u64) -> Link {
    Link {
        latency,
        jitter,
        success_rate: Probability::new(percent.min(100), 100)
            .unwrap_or(commonware_utils::probability!(1.0)),
    }
}

impl Cluster {
    /// Starts the simulated network with every link up (no node yet).
    pub async fn new(
        ctx: Ctx,
        scenario: &Scenario,
        keys: ClusterKeys,
        dir: PathBuf,
    ) -> Result<Self, ClusterError> {
        let n = scenario.nodes;
        let (network, oracle) = Network::new_with_peers(
            ctx.child("network"),
            simulated::Config {
                max_size: 1 << 20,
                max_peers_per_set: NZUsize!(n),
                disconnect_on_block: true,
                tracked_peer_sets: NZUsize!(1),
            },
            keys.participants.clone(),
        )
        .await;
        network.start();
        let cluster = Self {
            ctx,
            oracle,
            keys,
            scenario: scenario.clone(),
            dir,
            slots: (0..n as u32)
                .map(|m| Slot {
                    follows: scenario.behaviour(m).class().follows_protocol(),
                    ..Slot::default()
                })
                .collect(),
        };
        for a in 0..n {
            for b in 0..n {
                if a != b {
                    cluster.connect(a, b).await?;
                }
            }
        }
        Ok(cluster)
    }

    /// The link from `a` to `b`: lossy if either end is.
    fn link_spec(&self, a: usize, b: usize) -> Link {
        let t = &self.scenario.timing;
        for m in [a, b] {
            if let Behaviour::Lossy {
                latency,
                jitter,
                success_percent,
            } = self.scenario.behaviour(m as u32)
            {
                return link(latency, jitter, success_percent);
            }
        }
        link(t.latency, t.jitter, 100)
    }

    async fn connect(&self, a: usize, b: usize) -> Result<(), ClusterError> {
        let p = &self.keys.participants;
        self.oracle
            .add_link(p[a].clone(), p[b].clone(), self.link_spec(a, b))
            .await
            .map_err(|e| ClusterError::Network(e.to_string()))
    }

    /// Cuts (or restores) every link between `side` and the other members.
    pub async fn partition(&self, side: &[u32], cut: bool) -> Result<(), ClusterError> {
        let p = &self.keys.participants;
        for a in 0..p.len() {
            for b in 0..p.len() {
                if a == b || side.contains(&(a as u32)) == side.contains(&(b as u32)) {
                    continue;
                }
                if cut {
                    // A missing link (already cut) is fine.
                    let _ = self.oracle.remove_link(p[a].clone(), p[b].clone()).await;
                } else {
                    self.connect(a, b).await?;
                }
            }
        }
        Ok(())
    }

    /// Starts (or restarts) member `i`'s node.
    pub async fn start(&mut self, i: u32) -> Result<(), ClusterError> {
        let idx = i as usize;
        let err = |reason: String| ClusterError::Node { member: i, reason };
        let control = self.oracle.control(self.keys.participants[idx].clone());
        let quota = Quota::per_second(NZU32!(100_000));
        let mut reg = Vec::new();
        for ch in channel::NODE {
            reg.push(
                control
                    .register(ch, channel::quota(ch, quota))
                    .await
                    .map_err(|e| err(e.to_string()))?,
            );
        }
        let channels = Channels::from_ordered(reg).ok_or_else(|| err("missing channel".into()))?;
        let behaviour = self.scenario.behaviour(i);
        let clock = Arc::new(self.ctx.child("model"));
        let model = SimModel::new(
            i,
            behaviour.clone(),
            Box::new(move |d| Box::pin(clock.sleep(d))),
        );
        let timing = self.scenario.timing;
        let cfg = node::Config {
            signer: self.keys.identities[idx].clone(),
            participants: self.keys.participants.clone(),
            namespace: b"byzvote-sim".to_vec(),
            dir: Some(self.dir.join(format!("node-{i}"))),
            partition: format!("node-{i}"),
            model: Arc::new(model),
            dkg: self.keys.shares[idx].clone(),
            vote_timeouts: timing.vote,
            chain_timeouts: timing.chain,
            pacing: timing.pacing,
            vendors: Default::default(),
            embedder: None,
            fault: behaviour.fault(),
            retain: self.scenario.retain,
        };
        let manager = self.oracle.manager();
        let (tx, rx) = futures::channel::oneshot::channel();
        let task = self.ctx.child("node").spawn(move |ctx| async move {
            match node::start(ctx, cfg, control, manager, channels).await {
                Ok(handle) => {
                    let _ = tx.send(Ok(handle));
                    // The node's tasks live as long as this one.
                    futures::future::pending::<()>().await;
                }
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                }
            }
        });
        let handle = rx
            .await
            .map_err(|_| err("the node task ended".into()))?
            .map_err(err)?;
        let slot = &mut self.slots[idx];
        slot.task = Some(task);
        slot.handle = Some(handle);
        slot.running = true;
        Ok(())
    }

    /// Pairs `(a, b)`: member `a`'s node blocked peer `b` (it judged `b` Byzantine).
    pub async fn blocked(&self) -> Vec<(u32, u32)> {
        let index = |k: &Identity| {
            self.keys
                .participants
                .iter()
                .position(|p| p == k)
                .map_or(u32::MAX, |i| i as u32)
        };
        let mut out: Vec<(u32, u32)> = self
            .oracle
            .blocked()
            .await
            .unwrap_or_default()
            .iter()
            .map(|(a, b)| (index(a), index(b)))
            .collect();
        out.sort_unstable();
        out
    }

    /// Stops member `i`'s node (all its tasks).
    pub fn crash(&mut self, i: u32) {
        let slot = &mut self.slots[i as usize];
        if let Some(task) = slot.task.take() {
            task.abort();
        }
        slot.running = false;
    }
}
