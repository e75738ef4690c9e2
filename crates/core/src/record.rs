//! The decision record: what the group certifies for one vote.
//!
//! The cluster's threshold signature covers these bytes (as a leaf of the batch of its block,
//! see [`crate::batch`]), so they are the contract with every verifier. They are pinned by golden vectors
//! (`testdata/records.json`); any change to the layout must change [`RECORD_VERSION`].
//!
//! # Byte layout
//!
//! Integers are big-endian; `varint` is unsigned LEB128 (7 bits per byte, low group first,
//! high bit set on all but the last byte) of a value below 2^32; a member list is
//! `varint count ‖ count × u32`.
//!
//! ```text
//! u8      version            = 1
//! [32]    request            request id (sha256, see crate::request)
//! u8      tier               1..=5
//! mode                        u8 tag: 0 exact | 1 class ‖ varint count ‖ count × (varint len ‖ UTF-8)
//!                                     | 2 number ‖ u8 decimals | 3 json
//!                                     | 4 semantic ‖ u16 threshold (thousandths, 1..=1000)
//!                                     | 5 pick-best
//!                                     | 6 number aggregate ‖ u8 decimals ‖ u8 rule
//!                                     | 7 vector ‖ u8 rule
//! list    committee          ascending, distinct, at most 1024
//! u8      outcome            0 agreed | 1 no_agreement
//! u8      has_answer         0 | 1, then varint len ‖ UTF-8 answer (at most 65536 bytes)
//! u8      has_answer_digest  0 | 1, then [32] sha256(answer UTF-8 bytes), no prefix
//! list    supporters         ascending
//! list    dissenters         ascending
//! list    silent             ascending
//! u64     height             finalized block height of the decision
//! u64     epoch
//! -- only when the mode tag is 6 or 7 (a robust aggregate, see crate::robust):
//! u32     values             n: valid values given to the rule
//! u32     f                  faults the rule tolerates (the committee's f)
//! u8      reason             0 aggregated (agreed) | 1 too_few_values | 2 failed
//! -- only when the mode tag is 4 (semantic, see crate::semantic):
//! varint  count              0 (no similarity evidence) or k(k−1)/2, k = |supporters|+|dissenters|
//! count × i16  cosines       pairwise cosines × 10^4 (big-endian, −10000..=10000) of the members
//!                            who revealed, ascending, pairs (0,1),(0,2),…,(k−2,k−1)
//! -- only when the mode tag is 5 (pick-best, see crate::pick):
//! [32]    ballot             the ballot's request id (its own record is certified too);
//!                            all zero when no ballot was held
//! u32     choice             the winning candidate's number on the ballot, 1-based; 0 if none
//! list    authors            members who wrote the winning text, ascending (empty if none)
//! ```
//!
//! The semantic mode is written `4 ‖ u16 threshold` (thousandths, 1..=1000). A semantic
//! record's answer is the text of the winning group's medoid; the cosines are the finalized
//! evidence every validator re-checked within its tolerance before the block was final, and
//! with the revealed texts (in the chain and in the vote's breakdown) they let anyone re-run
//! the rule (`byzvote_core::semantic::decide`).
//!
//! Rule codes: 1 median, 2 trimmed-mean, 3 krum, 4 multi-krum, 5 bulyan, 6 geometric-median,
//! 7 centered-clipping, 8 cgc. Records of modes 0-3 have no trailer, so their bytes are exactly
//! what they were before numeric modes existed (the version stays 1; a verifier that does not
//! know tags 4 to 7 refuses such a record rather than misreading it). For a robust mode the
//! answer is the aggregate in the mode's canonical form, `supporters` are the members whose
//! values the rule used, and `dissenters` the other members that revealed.
//!
//! `testdata/rebuild_records.py` rebuilds the golden vectors from this description alone (Python
//! standard library only), as an independent verifier would.
//!
//! Decoding enforces the invariants: `agreed` ⇔ an answer and its digest are present, the digest
//! matches the answer, `supporters` is non-empty exactly when agreed, and every committee member
//! is in exactly one of `supporters`, `dissenters`, `silent`; for a robust mode also: the
//! trailer is present exactly for tags 6 and 7, `reason` is 0 exactly when agreed, the answer is
//! a canonical value of the mode, the rule's requirement holds for (`values`, `f`) exactly when
//! `reason` is not 1, and an agreed record names as many supporters as the rule uses.
//!
//! # What is signed
//!
//! `sha256(encoding)` is a leaf of the Merkle tree of the decisions its block made, and the
//! group signs that tree's root under `BYZVOTE_DECISION` ([`crate::batch`]).

use crate::{
    canonical::Canonical,
    commit::MemberId,
    mode::Mode,
    pick::Pick,
    quorum::Bounds,
    robust::{Aggregation, RobustDecision},
    semantic::SemanticDecision,
    tally::{Outcome, Tally, tally},
    wire::{hex_digest, hex_digest_opt, read_members, read_str, str_size, write_str},
};
use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};
use commonware_cryptography::{Hasher, Sha256, sha256::Digest};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Version byte at the start of every encoded record.
pub const RECORD_VERSION: u8 = 1;
/// Largest committee a record may name.
pub const MAX_COMMITTEE: usize = 1024;

/// Whether the vote produced an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// A class reached the quorum.
    Agreed,
    /// None did: escalate, never guess.
    NoAgreement,
}

/// The certified result of one vote (layout in the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// Request id.
    #[serde(with = "hex_digest")]
    pub request: Digest,
    /// Tier of the request.
    pub tier: u8,
    /// Mode of the request.
    pub mode: Mode,
    /// The whole committee, ascending.
    pub committee: Vec<MemberId>,
    /// Agreed or not.
    pub outcome: OutcomeKind,
    /// The agreed canonical answer (only when agreed).
    pub answer: Option<String>,
    /// `sha256(answer)` (only when agreed).
    #[serde(with = "hex_digest_opt")]
    pub answer_digest: Option<Digest>,
    /// Members in the winning class.
    pub supporters: Vec<MemberId>,
    /// Members who revealed another answer.
    pub dissenters: Vec<MemberId>,
    /// Members with no counted reveal (never committed, never revealed, or bad reveal).
    pub silent: Vec<MemberId>,
    /// Height of the finalized block at whose end the vote was decided.
    pub height: u64,
    /// Epoch (committee/key generation) of the decision.
    pub epoch: u64,
    /// For a robust mode (`number:P:RULE`, `vector:RULE`): `n`, `f` and the reason; absent
    /// (and not in the JSON) for every other mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregation: Option<Aggregation>,
    /// For `semantic`: the quantised pairwise cosines the decision was taken on (layout in the
    /// module doc); absent (and not in the JSON) for every other mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cosines: Option<Vec<i16>>,
    /// For `pick-best`: the ballot that decided it, the winning number and its authors;
    /// absent (and not in the JSON) for every other mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pick: Option<Pick>,
}

/// `sha256` of the answer's UTF-8 bytes (no namespace, so clients can recompute it trivially).
pub fn answer_digest(answer: &str) -> Digest {
    Sha256::hash(&[answer.as_bytes()])
}

impl DecisionRecord {
    /// Decides a vote and builds its record: a robust aggregate for the numeric modes
    /// ([`crate::robust`]), the tally ([`crate::tally()`]) for the others. `counted` holds the
    /// valid reveals of the closed set.
    #[allow(clippy::too_many_arguments)]
    pub fn decide(
        request: Digest,
        tier: u8,
        mode: Mode,
        committee: &[MemberId],
        bounds: Bounds,
        counted: &std::collections::BTreeMap<MemberId, Canonical>,
        height: u64,
        epoch: u64,
    ) -> Self {
        if mode == Mode::PickBest {
            // Without a ballot (the vote passes the ballot's decision to `from_ballot`).
            return Self::without_ballot(request, tier, committee, counted, height, epoch);
        }
        if let Mode::Semantic(config) = &mode {
            // Without finalized similarities (the vote passes them through `from_semantic`).
            let d = crate::semantic::decide(config, bounds, committee, counted, None);
            return Self::from_semantic(request, tier, mode, committee, d, height, epoch);
        }
        match crate::robust::decide(&mode, bounds, committee, counted) {
            Some(d) => Self::from_robust(request, tier, mode, committee, d, height, epoch),
            None => {
                let t = tally(bounds, committee, counted);
                Self::from_tally(request, tier, mode, committee, &t, height, epoch)
            }
        }
    }

    /// The fields every constructor shares: the outcome follows from whether there is an
    /// answer, the members and the mode's trailer are left empty for the caller to fill.
    fn base(
        request: Digest,
        tier: u8,
        mode: Mode,
        committee: &[MemberId],
        answer: Option<String>,
        height: u64,
        epoch: u64,
    ) -> Self {
        Self {
            request,
            tier,
            mode,
            committee: sorted(committee),
            outcome: if answer.is_some() {
                OutcomeKind::Agreed
            } else {
                OutcomeKind::NoAgreement
            },
            answer_digest: answer.as_deref().map(answer_digest),
            answer,
            supporters: Vec::new(),
            dissenters: Vec::new(),
            silent: Vec::new(),
            height,
            epoch,
            aggregation: None,
            cosines: None,
            pick: None,
        }
    }

    /// The record of a robust decision. `committee` is sorted and deduplicated here.
    pub fn from_robust(
        request: Digest,
        tier: u8,
        mode: Mode,
        committee: &[MemberId],
        decision: RobustDecision,
        height: u64,
        epoch: u64,
    ) -> Self {
        let answer = decision.answer.map(|a| a.0);
        Self {
            supporters: decision.supporters,
            dissenters: decision.dissenters,
            silent: decision.silent,
            aggregation: Some(decision.aggregation),
            ..Self::base(request, tier, mode, committee, answer, height, epoch)
        }
    }

    /// The record of a semantic decision. `committee` is sorted and deduplicated here.
    pub fn from_semantic(
        request: Digest,
        tier: u8,
        mode: Mode,
        committee: &[MemberId],
        decision: SemanticDecision,
        height: u64,
        epoch: u64,
    ) -> Self {
        let answer = decision.answer.map(|a| a.0);
        Self {
            supporters: decision.supporters,
            dissenters: decision.dissenters,
            silent: decision.silent,
            cosines: Some(decision.cosines),
            ..Self::base(request, tier, mode, committee, answer, height, epoch)
        }
    }

    /// The record of a tally. `committee` is sorted and deduplicated here.
    pub fn from_tally(
        request: Digest,
        tier: u8,
        mode: Mode,
        committee: &[MemberId],
        tally: &Tally,
        height: u64,
        epoch: u64,
    ) -> Self {
        let (answer, supporters) = match &tally.outcome {
            Outcome::Agreed { answer, supporters } => {
                (Some(answer.as_str().to_string()), supporters.clone())
            }
            Outcome::NoAgreement => (None, Vec::new()),
        };
        Self {
            supporters,
            dissenters: tally.dissenters(),
            silent: tally.silent.clone(),
            ..Self::base(request, tier, mode, committee, answer, height, epoch)
        }
    }

    /// Whether `answer_digest` is the digest of `answer` (both absent counts as matching). A
    /// verifier that shows `answer` to a user must check this (decoding does).
    pub fn answer_matches_digest(&self) -> bool {
        self.answer.as_deref().map(answer_digest) == self.answer_digest
    }

    /// Checks the invariants listed in the module doc; a message names the broken one.
    pub fn check(&self) -> Result<(), &'static str> {
        if !(1..=5).contains(&self.tier) {
            return Err("tier must be 1..=5");
        }
        self.mode.validate().map_err(|_| "invalid mode")?;
        if !strictly_ascending(&self.committee) || self.committee.len() > MAX_COMMITTEE {
            return Err("committee must be ascending, distinct, at most 1024");
        }
        match (self.outcome, &self.answer, &self.answer_digest) {
            (OutcomeKind::Agreed, Some(a), Some(d)) if answer_digest(a) == *d => {}
            (OutcomeKind::Agreed, Some(_), Some(_)) => return Err("answer digest mismatch"),
            (OutcomeKind::NoAgreement, None, None) => {}
            _ => return Err("answer and digest must be present exactly when agreed"),
        }
        if (self.outcome == OutcomeKind::Agreed) == self.supporters.is_empty() {
            return Err("supporters must be non-empty exactly when agreed");
        }
        let lists = [&self.supporters, &self.dissenters, &self.silent];
        if !lists.iter().all(|l| strictly_ascending(l)) {
            return Err("member lists must be ascending and distinct");
        }
        let mut all: Vec<MemberId> = lists.iter().flat_map(|l| l.iter().copied()).collect();
        all.sort_unstable();
        if all != self.committee {
            return Err(
                "every committee member must be in exactly one of supporters, dissenters, silent",
            );
        }
        aggregation::check(self)?;
        similarities::check(self)?;
        pick::check(self)
    }
}

fn sorted(committee: &[MemberId]) -> Vec<MemberId> {
    committee
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn strictly_ascending(list: &[MemberId]) -> bool {
    list.windows(2).all(|w| w[0] < w[1])
}

fn members_size(list: &[MemberId]) -> usize {
    list.len().encode_size() + 4 * list.len()
}

impl Write for DecisionRecord {
    fn write(&self, buf: &mut impl BufMut) {
        RECORD_VERSION.write(buf);
        self.request.write(buf);
        self.tier.write(buf);
        self.mode.write(buf);
        self.committee.write(buf);
        let outcome: u8 = match self.outcome {
            OutcomeKind::Agreed => 0,
            OutcomeKind::NoAgreement => 1,
        };
        outcome.write(buf);
        self.answer.is_some().write(buf);
        if let Some(a) = &self.answer {
            write_str(a, buf);
        }
        self.answer_digest.write(buf);
        self.supporters.write(buf);
        self.dissenters.write(buf);
        self.silent.write(buf);
        self.height.write(buf);
        self.epoch.write(buf);
        if let Some(a) = &self.aggregation {
            aggregation::write(a, buf);
        }
        if let Some(c) = &self.cosines {
            similarities::write(c, buf);
        }
        if let Some(p) = &self.pick {
            pick::write(p, buf);
        }
    }
}

impl EncodeSize for DecisionRecord {
    fn encode_size(&self) -> usize {
        1 + 32
            + 1
            + self.mode.encode_size()
            + members_size(&self.committee)
            + 1
            + 1
            + self.answer.as_deref().map_or(0, str_size)
            + self.answer_digest.encode_size()
            + members_size(&self.supporters)
            + members_size(&self.dissenters)
            + members_size(&self.silent)
            + 8
            + 8
            + self.aggregation.map_or(0, |_| aggregation::SIZE)
            + self.cosines.as_deref().map_or(0, similarities::size)
            + self.pick.as_ref().map_or(0, pick::size)
    }
}

impl Read for DecisionRecord {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let version = u8::read(buf)?;
        if version != RECORD_VERSION {
            return Err(Error::Invalid("decision record", "unknown version"));
        }
        let request = Digest::read(buf)?;
        let tier = u8::read(buf)?;
        let mode = Mode::read(buf)?;
        let mode_is_robust = mode.aggregate_rule().is_some();
        let mode_is_semantic = matches!(mode, Mode::Semantic(_));
        let mode_is_pick = mode == Mode::PickBest;
        let committee = read_members(buf, MAX_COMMITTEE)?;
        let outcome = match u8::read(buf)? {
            0 => OutcomeKind::Agreed,
            1 => OutcomeKind::NoAgreement,
            other => return Err(Error::InvalidEnum(other)),
        };
        let answer = if bool::read(buf)? {
            Some(read_str(
                buf,
                crate::canonical::MAX_CANONICAL,
                "record answer",
            )?)
        } else {
            None
        };
        let record = Self {
            request,
            tier,
            mode,
            committee,
            outcome,
            answer,
            answer_digest: Option::<Digest>::read(buf)?,
            supporters: read_members(buf, MAX_COMMITTEE)?,
            dissenters: read_members(buf, MAX_COMMITTEE)?,
            silent: read_members(buf, MAX_COMMITTEE)?,
            height: u64::read(buf)?,
            epoch: u64::read(buf)?,
            aggregation: if mode_is_robust {
                Some(aggregation::read(buf)?)
            } else {
                None
            },
            cosines: if mode_is_semantic {
                Some(similarities::read(buf)?)
            } else {
                None
            },
            pick: if mode_is_pick {
                Some(pick::read(buf)?)
            } else {
                None
            },
        };
        record
            .check()
            .map_err(|why| Error::Invalid("decision record", why))?;
        Ok(record)
    }
}

mod aggregation;
mod pick;
mod similarities;
#[cfg(test)]
pub(crate) mod tests;
