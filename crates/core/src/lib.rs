//! byzvote-core: the pure protocol core of byzvote.
//!
//! Everything here is a plain function or a state machine over explicit inputs: no I/O, no clock
//! reads, no randomness that is not passed in (salts come from the caller, time comes from
//! finalized block timestamps). The node crate feeds finalized blocks into [`Vote`] and acts on
//! the [`Action`]s it returns. The protocol itself is DESIGN.md §2; each module documents the part
//! it implements.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![warn(missing_docs)]

pub mod batch;
pub mod canonical;
pub mod commit;
pub mod committee;
pub mod evidence;
pub mod mode;
pub mod namespace;
pub mod pick;
pub mod privacy;
pub mod quorum;
pub mod record;
pub mod reputation;
pub mod request;
pub mod robust;
pub mod route;
pub mod semantic;
pub mod signed;
pub mod tally;
pub mod vote;
mod wire;

pub use commonware_cryptography::sha256::Digest;

pub use canonical::{CanonError, Canonical, MAX_CANONICAL, canonicalize};
pub use commit::{Commit, MemberId, Reveal, Salt, commitment};
pub use committee::{CommitteeError, Seat, select as select_committee, select_diverse};
pub use evidence::Evidence;
pub use mode::{Mode, ModeError};
pub use quorum::{Bounds, QuorumError, Rule};
pub use record::{DecisionRecord, OutcomeKind, answer_digest};
pub use reputation::Reputation;
pub use request::{Message, Request, RequestError, Role};
pub use robust::{AggregateRule, Aggregation, NoAggregate};
pub use semantic::{EmbedError, Embedder, SemanticConfig};
pub use signed::{SignedCommit, SignedReveal};
pub use tally::{Class, Outcome, Tally, tally};
pub use vote::{Action, Phase, Timeouts, Vote};
