//! What a quick ask yields (a decision the serving node signed, or why there is none) and who
//! answers it.

use super::wire::SignedAnswer;
use byzvote_core::{DecisionRecord, Digest, MemberId, Request};
use commonware_cryptography::ed25519;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Why a quick ask got no decision.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuickError {
    #[error(
        "member {member} refused to run its model for this node: its per-peer limit on quick \
         asks is exhausted; retry in {retry_after_ms} ms, or ask tier 3+"
    )]
    RateLimited {
        member: MemberId,
        retry_after_ms: u64,
    },
    #[error(
        "the decision could not be written to the audit log ({0}), so it is withheld; \
         check the node's data directory (disk full or read-only?)"
    )]
    Unrecorded(String),
}

/// What a client waiting on a quick ask gets.
pub type QuickResult = Result<Arc<QuickDecision>, QuickError>;

/// A decided quick vote.
#[derive(Clone, Debug)]
pub struct QuickDecision {
    /// The request as asked (after the gateway's privacy masking).
    pub request: Request,
    /// When this node decided (its clock, ms since the Unix epoch).
    pub timestamp_ms: u64,
    pub record: DecisionRecord,
    /// The serving node (member id) and its signature over the encoded record.
    pub signer: MemberId,
    pub signature: ed25519::Signature,
    /// Each answering member's signed answer.
    pub answers: BTreeMap<MemberId, SignedAnswer>,
}

/// The members of a quick vote served by `me` among `n`: `me` alone for tier 1; for tier 2, `me`
/// and the two next members after an offset taken from the request id.
pub fn committee(tier: u8, me: MemberId, n: u32, id: &Digest) -> Vec<MemberId> {
    let mut members = vec![me];
    if tier == 2 && n >= 3 {
        let offset = u64::from_be_bytes(id.as_ref()[..8].try_into().unwrap_or([0; 8]));
        let start = (offset % u64::from(n)) as u32;
        for k in 0..n {
            let m = (start + k) % n;
            if m != me && members.len() < 3 {
                members.push(m);
            }
        }
    }
    members.sort_unstable();
    members
}
