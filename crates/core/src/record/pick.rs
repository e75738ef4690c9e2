//! The record's trailer for `pick-best` (tag 5): the ballot that decided it
//! (`[32] ballot ‖ u32 choice ‖ list authors`, layout in the parent module), the records built
//! from a ballot, and their invariants.

use super::{
    DecisionRecord, MAX_COMMITTEE, OutcomeKind, answer_digest, sorted, strictly_ascending,
};
use crate::{
    commit::MemberId,
    mode::Mode,
    pick::{Candidates, Pick, chosen},
    wire::read_members,
};
use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, ReadExt, Write};
use commonware_cryptography::sha256::Digest;
use std::collections::BTreeMap;

/// Encoded size of the trailer.
pub(super) fn size(p: &Pick) -> usize {
    32 + 4 + p.authors.len().encode_size() + 4 * p.authors.len()
}

pub(super) fn write(p: &Pick, buf: &mut impl BufMut) {
    p.ballot.write(buf);
    p.choice.write(buf);
    p.authors.write(buf);
}

pub(super) fn read(buf: &mut impl Buf) -> Result<Pick, Error> {
    Ok(Pick {
        ballot: Digest::read(buf)?,
        choice: u32::read(buf)?,
        authors: read_members(buf, MAX_COMMITTEE)?,
    })
}

/// The pick-best invariants (the generic ones are checked before this): the trailer is present
/// exactly for tag 5; agreed ⇔ `choice ≥ 1` ⇔ authors non-empty; authors ascending committee
/// members.
pub(super) fn check(r: &DecisionRecord) -> Result<(), &'static str> {
    let p = match (&r.pick, r.mode == Mode::PickBest) {
        (None, false) => return Ok(()),
        (Some(p), true) => p,
        _ => return Err("the pick trailer must be present exactly for pick-best"),
    };
    let agreed = r.outcome == OutcomeKind::Agreed;
    if agreed != (p.choice >= 1) || agreed == p.authors.is_empty() {
        return Err("a choice and its authors must be given exactly when agreed");
    }
    if !strictly_ascending(&p.authors)
        || p.authors
            .iter()
            .any(|a| r.committee.binary_search(a).is_err())
    {
        return Err("the authors must be ascending committee members");
    }
    Ok(())
}

impl DecisionRecord {
    /// A `pick-best` record decided without a ballot (fewer than a quorum of candidates):
    /// `no_agreement`, every member who revealed dissents.
    pub(super) fn without_ballot(
        request: Digest,
        tier: u8,
        committee: &[MemberId],
        counted: &BTreeMap<MemberId, crate::Canonical>,
        height: u64,
        epoch: u64,
    ) -> Self {
        let committee = sorted(committee);
        let dissenters: Vec<MemberId> = committee
            .iter()
            .copied()
            .filter(|m| counted.contains_key(m))
            .collect();
        let silent = committee
            .iter()
            .copied()
            .filter(|m| !counted.contains_key(m))
            .collect();
        Self {
            request,
            tier,
            mode: Mode::PickBest,
            committee,
            outcome: OutcomeKind::NoAgreement,
            answer: None,
            answer_digest: None,
            supporters: Vec::new(),
            dissenters,
            silent,
            height,
            epoch,
            aggregation: None,
            cosines: None,
            pick: Some(Pick {
                ballot: Digest([0; 32]),
                choice: 0,
                authors: Vec::new(),
            }),
        }
    }

    /// The `pick-best` record decided by its ballot's record (same committee): the winning
    /// number's text is the answer, and the ballot's supporters, dissenters and silent members
    /// are this record's; `no_agreement` when the ballot had none (everyone who voted
    /// dissents). The height is the ballot's.
    pub fn from_ballot(
        request: Digest,
        tier: u8,
        committee: &[MemberId],
        candidates: &Candidates,
        ballot: &DecisionRecord,
        epoch: u64,
    ) -> Self {
        let committee = sorted(committee);
        let win = chosen(candidates, ballot.answer.as_deref())
            .filter(|_| ballot.outcome == OutcomeKind::Agreed && ballot.committee == committee);
        let (outcome, answer, supporters, dissenters, choice, authors) = match win {
            Some((n, text, authors)) => (
                OutcomeKind::Agreed,
                Some(text.as_str().to_string()),
                ballot.supporters.clone(),
                ballot.dissenters.clone(),
                n,
                authors.to_vec(),
            ),
            None => {
                let mut voted: Vec<MemberId> = ballot
                    .supporters
                    .iter()
                    .chain(&ballot.dissenters)
                    .copied()
                    .filter(|m| committee.binary_search(m).is_ok())
                    .collect();
                voted.sort_unstable();
                (
                    OutcomeKind::NoAgreement,
                    None,
                    Vec::new(),
                    voted,
                    0,
                    Vec::new(),
                )
            }
        };
        let silent = committee
            .iter()
            .copied()
            .filter(|m| !supporters.contains(m) && !dissenters.contains(m))
            .collect();
        Self {
            request,
            tier,
            mode: Mode::PickBest,
            committee,
            outcome,
            answer_digest: answer.as_deref().map(answer_digest),
            answer,
            supporters,
            dissenters,
            silent,
            height: ballot.height,
            epoch,
            aggregation: None,
            cosines: None,
            pick: Some(Pick {
                ballot: ballot.request,
                choice,
                authors,
            }),
        }
    }
}
