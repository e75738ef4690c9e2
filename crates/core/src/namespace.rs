//! Every domain-separation tag byzvote uses, in one place.
//!
//! Each signature and each hash preimage starts with (or is signed under) one of these tags, so a
//! signature or digest made for one purpose can never be replayed as another: a signed commit is
//! not a signed reveal, a request id is not a commitment. Signatures use Commonware's
//! `sign(namespace, msg)`, which signs `union_unique(namespace, msg)` (a varint length of the
//! namespace, the namespace, then the message). Hashes prepend the tag directly.
//!
//! Changing any of these values changes every digest and signature: treat them as wire format.

/// Prefix of the request id preimage: `id = sha256(BYZVOTE_REQUEST ‖ encode(request))`.
pub const BYZVOTE_REQUEST: &[u8] = b"_BYZVOTE_REQUEST";

/// Namespace of a member's identity (ed25519) signature over an encoded [`crate::Commit`].
pub const BYZVOTE_COMMIT: &[u8] = b"_BYZVOTE_COMMIT";

/// Prefix of the commitment hash preimage (see [`crate::commitment`]). Kept distinct from
/// [`BYZVOTE_COMMIT`] so that the hash and the signature never share a domain.
pub const BYZVOTE_COMMITMENT: &[u8] = b"_BYZVOTE_COMMITMENT";

/// Namespace of a member's identity (ed25519) signature over an encoded [`crate::Reveal`].
pub const BYZVOTE_REVEAL: &[u8] = b"_BYZVOTE_REVEAL";

/// Namespace of a member's identity (ed25519) signature over a bundle of its commits, reveals
/// and reports, signed together (one signature for all a node says at one moment; the node
/// crate's `protocol::bundle`).
pub const BYZVOTE_BUNDLE: &[u8] = b"_BYZVOTE_BUNDLE";

/// Namespace of the group (BLS threshold) signature over the root of a batch of decision
/// records (see [`crate::batch`]): one per finalized block that decided votes.
pub const BYZVOTE_DECISION: &[u8] = b"_BYZVOTE_DECISIONS";

/// Namespace for transactions (client submissions) carried in blocks.
pub const BYZVOTE_TX: &[u8] = b"_BYZVOTE_TX";

/// Namespace for partial (per-share) threshold signatures exchanged before recovery.
pub const BYZVOTE_PARTIAL: &[u8] = b"_BYZVOTE_PARTIAL";

/// Prefix of the committee-selection hash (see [`crate::committee`]).
pub const BYZVOTE_COMMITTEE: &[u8] = b"_BYZVOTE_COMMITTEE";

/// Namespace of a member's identity (ed25519) signature over its answer in a quick tier (1 or
/// 2: no commit-reveal, no consensus round).
pub const BYZVOTE_QUICK_ANSWER: &[u8] = b"_BYZVOTE_QUICK_ANSWER";

/// Namespace of the serving node's identity (ed25519) signature over the decision record of a
/// quick tier (the only signature such a decision has: DESIGN.md §3).
pub const BYZVOTE_QUICK_DECISION: &[u8] = b"_BYZVOTE_QUICK_DECISION";

/// Namespace of the committee beacon: the cluster's threshold signature over a request id,
/// made only once the request is ordered, whose hash seeds that request's committee draw
/// (unique, so nobody can choose it; unknown until `2f+1` nodes sign, so nobody can predict it).
pub const BYZVOTE_BEACON: &[u8] = b"_BYZVOTE_BEACON";

/// Namespace of a human reviewer's identity (ed25519) signature over a review verdict.
pub const BYZVOTE_REVIEW: &[u8] = b"_BYZVOTE_REVIEW";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_distinct_and_none_is_a_prefix_of_another() {
        let all = [
            BYZVOTE_REQUEST,
            BYZVOTE_COMMIT,
            BYZVOTE_COMMITMENT,
            BYZVOTE_REVEAL,
            BYZVOTE_BUNDLE,
            BYZVOTE_DECISION,
            BYZVOTE_TX,
            BYZVOTE_PARTIAL,
            BYZVOTE_BEACON,
            BYZVOTE_COMMITTEE,
            BYZVOTE_QUICK_ANSWER,
            BYZVOTE_QUICK_DECISION,
            BYZVOTE_REVIEW,
        ];
        for (i, a) in all.iter().enumerate() {
            for (j, b) in all.iter().enumerate() {
                if i != j {
                    assert_ne!(a, b);
                    // BYZVOTE_COMMIT is a prefix of BYZVOTE_COMMITMENT, but they are never used
                    // in the same construction (signature vs. hash preimage).
                    let commit_prefix = a == &BYZVOTE_COMMIT
                        && (b == &BYZVOTE_COMMITMENT || b == &BYZVOTE_COMMITTEE);
                    if !commit_prefix {
                        assert!(!b.starts_with(a), "{a:?} is a prefix of {b:?}");
                    }
                }
            }
        }
    }
}
