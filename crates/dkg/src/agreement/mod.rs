//! Agreement on the dealer logs: the one input every node must see identically.
//!
//! Joint-Feldman gives the same key to everyone only if everyone finalizes with the same set
//! of signed dealer logs (`feldman_desmedt::observe` docs: "the log mapping dealers to their
//! log is the shared piece of information that the participants must all agree on"). The
//! library selects, from that set, the first `2f+1` usable logs in dealer order, so the set
//! alone fixes the key.
//!
//! Two implementations are intended:
//!
//! * [`AllDealers`] (here): no consensus. Each node broadcasts its own log; once it holds
//!   logs from **all `n`** dealers it gossips a digest of that set, and it finishes when every
//!   other participant confirmed the same digest. Safe against Byzantine dealers (a dealer
//!   that signs two logs makes honest confirmations differ: everyone stops with
//!   [`AgreementError::Conflict`] instead of splitting the key), but **not live with even one
//!   node down**: a first start needs all `n` nodes up.
//! * [`OrderedLogs`] (here, fed by the node's consensus): logs to propose come out of an
//!   [`OrderedFeed`]; the logs of each finalized block go back in, in block order. It resolves
//!   at the first block after which the finalized logs (first per dealer) yield a key, and
//!   returns exactly those. It tolerates `f` nodes down and needs no confirmations, because
//!   finality already is agreement.

mod all_dealers;
mod ordered;

pub use all_dealers::AllDealers;
pub use ordered::{OrderedFeed, OrderedLogs};

use crate::{
    error::{AgreementError, Evidence},
    types::{Identity, SignedLog},
    wire::LogSetDigest,
};
use std::future::Future;

/// Something a hook asks the ceremony to broadcast on the DKG channel.
#[derive(Clone, Debug)]
pub enum Gossip {
    /// A signed dealer log.
    Log(Box<SignedLog>),
    /// My digest of the complete log set.
    Confirm(LogSetDigest),
}

/// How a ceremony learns the agreed, ordered set of dealer logs.
///
/// The ceremony calls the methods from one task, in this order of life: `submit` once (my own
/// log, when my dealing phase ends), `on_log`/`on_confirm` for each valid peer message,
/// `outbound` on every resend tick, and `agreed` again after each event. Logs handed to the
/// hook are already checked: validly signed by their dealer for this round.
pub trait Agreement: Send {
    /// My own signed log. A consensus hook proposes it for inclusion in a block.
    fn submit(&mut self, log: SignedLog)
    -> impl Future<Output = Result<(), AgreementError>> + Send;

    /// A log received on the DKG channel (`from` relayed it; the dealer signed it).
    fn on_log(&mut self, _from: &Identity, _dealer: &Identity, _log: SignedLog) {}

    /// A peer's confirmation of its complete log set.
    fn on_confirm(&mut self, _from: &Identity, _digest: LogSetDigest) {}

    /// Messages to broadcast now (called on every resend tick and after each event).
    fn outbound(&mut self) -> Vec<Gossip> {
        Vec::new()
    }

    /// Evidence gathered so far (drained).
    fn take_evidence(&mut self) -> Vec<Evidence> {
        Vec::new()
    }

    /// Resolves with the agreed logs (any order; the library orders by dealer), identical at
    /// every honest node. Must be cancel-safe: the ceremony drops and recreates this future
    /// whenever another event arrives.
    fn agreed(&mut self) -> impl Future<Output = Result<Vec<SignedLog>, AgreementError>> + Send;

    /// Whether the agreement can only finish with every participant's log (then a dealer
    /// need not reveal the share of a player it has heard nothing from: without that player
    /// there is no key anyway, and with it, it acknowledges instead).
    fn needs_everyone(&self) -> bool {
        false
    }

    /// Peers whose contribution is still missing (for timeout reports).
    fn missing(&self) -> Vec<Identity> {
        Vec::new()
    }
}

/// The digest a node confirms for a complete log set: SHA-256 over the encoded logs, in
/// dealer order (as [`AllDealers`] holds them).
pub(crate) fn log_set_digest<'a>(
    logs: impl IntoIterator<Item = &'a SignedLog>,
) -> crate::wire::LogSetDigest {
    use commonware_codec::Encode as _;
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    for log in logs {
        hasher.update(log.encode());
    }
    hasher.finalize().into()
}
