//! Deterministic simulation of byzvote clusters with Byzantine members (issue 5).
//!
//! A [`Scenario`] (seed, cluster size, who misbehaves how, number of votes) runs real
//! byzvote nodes (`byzvote_node::node::start`: simplex, marshal, the protocol executor,
//! threshold certificates) on Commonware's deterministic runtime and simulated network;
//! [`run()`] returns a [`Report`] (every node's certified decisions, the evidence in its audit
//! log, the runtime's digest) and [`invariants::check`] says what, if anything, went wrong.
//!
//! Behaviours ([`Behaviour`], named in [`catalog::NAMES`]) act at three layers: the model
//! ([`model`]: lies, collusion, backdoors, silence, slowness), the node's fault hooks
//! (`byzvote_node::protocol::executor::Fault`: equivocation, wrong or late reveals, forged
//! decision signatures, invalid proposals) and the cluster ([`cluster`]: crashes, restarts,
//! partitions, lossy links).
//!
//! Keys come from a trusted dealer (see [`keys`]); the DKG is tested in `byzvote-dkg`.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod behaviour;
pub mod catalog;
pub mod cli;
pub mod cluster;
pub mod evidence;
pub mod invariants;
pub mod keys;
pub mod model;
pub mod report;
pub mod run;
pub mod scenario;
pub mod sweep;

pub use behaviour::{Behaviour, Class};
pub use invariants::{Invariant, Violation};
pub use report::{Outcome, Report};
pub use run::{RunError, run};
pub use scenario::{Scenario, Timing};
