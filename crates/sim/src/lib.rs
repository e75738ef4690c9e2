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
//!
//! # What "a Byzantine leader proposing an invalid decision" means here
//!
//! Decisions are not proposed: every node computes the decision from the finalized blocks
//! and partial-signs it itself. So a Byzantine leader has two levers, both simulated:
//! proposing invalid blocks (`invalid-leader`: every block it leads with carries a
//! transaction that fails `tx::check_all`, so validators refuse it and the view times out) and
//! signing a forged decision (`forged-decision`: its partial signature is over another
//! answer, so it fails verification and is dropped). A leader that *omits* transactions is
//! covered by the honest nodes' own gossip and leader rotation.
//!
//! # Evidence
//!
//! Each node writes its audit log to a scratch directory (tmpfs when available), and
//! [`evidence`] replays it through the node's own pure state to list the evidence it
//! recorded; the directory is removed after the run.
//!
//! # Findings
//!
//! `tests/it/regressions.rs` keeps the seeds the sweeps broke (fixed since in the executor): a
//! member that decided a vote but lost the peers' answers to its partial signature (it
//! crashed, or was partitioned, right after deciding) never certified it; a seed replayed
//! with another digest because partials were resent in `HashMap` order. And the `split`
//! behaviour: a partition that leaves no side with a quorum and outlasts the reveal timeout
//! during the reveal phase ends a vote `no_agreement` with honest members recorded as
//! absent (reveals gossiped during the partition are not gossiped again; the first block
//! after the heal already passes the deadline). That is safe, and counted as an
//! impaired-network outcome, not a violation.
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
