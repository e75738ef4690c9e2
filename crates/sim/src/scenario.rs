//! A scenario: one seed, one cluster, who misbehaves how, and how many votes.

use crate::behaviour::Behaviour;
use byzvote_core::{Bounds, Message, Mode, Request, RequestError, Timeouts};
use byzvote_node::chain::app::Pacing;
use byzvote_node::chain::engine::Timeouts as ChainTimeouts;
use std::time::Duration;

/// Everything that decides a run (the same scenario always gives the same report).
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Seed of the deterministic runtime (scheduling, link latencies and losses, salts).
    pub seed: u64,
    /// Cluster size.
    pub nodes: usize,
    /// Members (index into the sorted participants) that do not behave honestly.
    pub behaviours: Vec<(u32, Behaviour)>,
    /// Requests submitted at the start of the run.
    pub votes: usize,
    /// Text placed in every other prompt (what a backdoored model reacts to).
    pub trigger: String,
    pub timing: Timing,
    /// Decided votes each node keeps whole (`node::Config::retain`); smaller than `votes`
    /// makes every node retire votes during the run.
    pub retain: usize,
}

/// Timeouts and links, short so that a seed is cheap.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub vote: Timeouts,
    pub chain: ChainTimeouts,
    pub pacing: Pacing,
    /// Latency of every sound link.
    pub latency: Duration,
    pub jitter: Duration,
    /// Time between two requests' submissions.
    pub spacing: Duration,
    /// How long (simulated) to wait for every decision after the last scheduled event.
    pub max_wait: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            vote: Timeouts {
                commit: Duration::from_millis(1500),
                reveal: Duration::from_millis(1000),
            },
            // The leader timeout must exceed the idle pacing plus a proposal's trip on the
            // slowest link (250 ms + up to 150 ms ± 50 ms on a lossy one): an idle leader
            // proposes only after `idle`, and if that always comes too late the views are
            // all nullified and an idle cluster finalizes nothing (so, for instance, no
            // partial signature is ever resent).
            chain: ChainTimeouts {
                leader: Duration::from_millis(700),
                certification: Duration::from_millis(1000),
                retry: Duration::from_millis(1200),
                fetch: Duration::from_millis(500),
            },
            pacing: Pacing {
                idle: Duration::from_millis(250),
                busy: Duration::from_millis(100),
                linger: Duration::from_millis(20),
            },
            latency: Duration::from_millis(5),
            jitter: Duration::from_millis(2),
            spacing: Duration::from_millis(250),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// Why a scenario cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("a cluster needs at least 4 nodes (got {0}); use --nodes 4, 7 or 10")]
    TooSmall(usize),
    #[error("member {member} is out of range for {nodes} nodes")]
    NoSuchMember { member: u32, nodes: usize },
    #[error("member {0} has two behaviours; give each member at most one")]
    Twice(u32),
    #[error("request: {0}")]
    Request(#[from] RequestError),
}

/// The tier whose committee is the largest that fits `n` nodes (3 → 4, 4 → 7, 5 → 10).
pub fn tier_for(n: usize) -> u8 {
    match n {
        10.. => 5,
        7..=9 => 4,
        _ => 3,
    }
}

/// The committee bounds of [`tier_for`]`(n)`.
pub fn bounds_for(n: usize) -> Bounds {
    // Tiers 3..=5 always exist.
    Bounds::for_tier(tier_for(n)).unwrap_or_else(|_| unreachable!("tiers 3-5 exist"))
}

/// The text of vote `j`; every odd vote carries the trigger.
pub fn prompt(j: usize, trigger: &str) -> String {
    if !j.is_multiple_of(2) {
        format!("Question {j}: what is {j} plus {j}? {trigger}")
    } else {
        format!("Question {j}: what is {j} plus {j}?")
    }
}

/// The true answer of a [`prompt`], or `None` for any other text.
pub fn truth(prompt: &str) -> Option<String> {
    let rest = prompt.strip_prefix("Question ")?;
    let j: u64 = rest.split(':').next()?.parse().ok()?;
    Some((2 * j).to_string())
}

impl Scenario {
    /// An all-honest scenario.
    pub fn honest(seed: u64, nodes: usize, votes: usize) -> Self {
        Self {
            seed,
            nodes,
            behaviours: Vec::new(),
            votes,
            trigger: "(ref: 7f3a)".into(),
            timing: Timing::default(),
            retain: byzvote_node::protocol::state::RETAIN,
        }
    }

    /// The behaviour of `member`.
    pub fn behaviour(&self, member: u32) -> Behaviour {
        self.behaviours
            .iter()
            .find(|(m, _)| *m == member)
            .map_or(Behaviour::Honest, |(_, b)| b.clone())
    }

    /// Checks members and sizes.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if self.nodes < 4 {
            return Err(ScenarioError::TooSmall(self.nodes));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (m, _) in &self.behaviours {
            if *m as usize >= self.nodes {
                return Err(ScenarioError::NoSuchMember {
                    member: *m,
                    nodes: self.nodes,
                });
            }
            if !seen.insert(*m) {
                return Err(ScenarioError::Twice(*m));
            }
        }
        Ok(())
    }

    /// The requests of this scenario (distinct by nonce = seed).
    pub fn requests(&self) -> Result<Vec<Request>, ScenarioError> {
        (0..self.votes)
            .map(|j| {
                let messages = vec![Message::user(prompt(j, &self.trigger))];
                Ok(Request::new(
                    messages,
                    Mode::Exact,
                    tier_for(self.nodes),
                    32,
                    self.seed,
                )?)
            })
            .collect()
    }

    /// The last scheduled event (crash, restart, partition, heal), from the start.
    pub fn last_event(&self) -> Duration {
        self.behaviours
            .iter()
            .filter_map(|(_, b)| match b {
                Behaviour::Crash { at } => Some(*at),
                Behaviour::CrashRestart { back, .. } => Some(*back),
                Behaviour::Partition { until, .. } => Some(*until),
                _ => None,
            })
            .max()
            .unwrap_or_default()
    }
}
