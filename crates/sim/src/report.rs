//! What a run produced: every node's certified decisions and the evidence its finalized
//! blocks hold, with what the scenario knows to be true (each member's intended answer).

use crate::behaviour::{Behaviour, Class};
use byzvote_core::{DecisionRecord, Digest, Evidence, MemberId, OutcomeKind};
use byzvote_dkg::GroupPublicKey;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// One request of the run.
#[derive(Clone, Debug)]
pub struct RequestReport {
    pub id: Digest,
    pub prompt: String,
    /// The true answer, canonical.
    pub truth: String,
    /// What each member's model gives (canonical), `None` if it never answers.
    pub intended: BTreeMap<MemberId, Option<String>>,
}

/// One node's certified decision.
#[derive(Clone, Debug)]
pub struct Decision {
    pub record: DecisionRecord,
    /// The group's signature over the root of the record's batch, encoded as the node serves
    /// it (checked by decoding it, like any client).
    pub signature: bytes::Bytes,
    /// That the record is in that batch.
    pub proof: byzvote_core::batch::Proof,
    /// The canonical answer each member revealed, as this node's finalized state holds it.
    pub revealed: BTreeMap<MemberId, String>,
}

/// One member at the end of the run.
#[derive(Clone, Debug)]
pub struct MemberReport {
    pub member: MemberId,
    pub behaviour: Behaviour,
    pub class: Class,
    /// Whether its node runs at the end (a crashed one does not).
    pub running: bool,
    /// Its certified decisions, by request id.
    pub decisions: BTreeMap<Digest, Decision>,
    /// The evidence its finalized blocks produced (from its audit log).
    pub evidence: Vec<Evidence>,
    /// The records its audit log decides when replayed from scratch, by request id.
    pub replayed: BTreeMap<Digest, DecisionRecord>,
}

/// The whole run.
#[derive(Clone, Debug)]
pub struct Report {
    pub seed: u64,
    pub nodes: usize,
    /// The committee's fault bound and quorum (tier chosen by cluster size).
    pub f: u32,
    pub quorum: u32,
    pub group_key: GroupPublicKey,
    pub requests: Vec<RequestReport>,
    pub members: Vec<MemberReport>,
    /// Peer blocks at the end, `(blocker, blocked)`: a node blocks a peer it judged
    /// Byzantine (and, on the simulated network, stops talking to it).
    pub blocked: Vec<(MemberId, MemberId)>,
    /// Whether the wait for decisions ran out.
    pub timed_out: bool,
    /// Simulated time of the run.
    pub sim_time: Duration,
    /// The runtime's audit digest: every task, message and timer of the run.
    pub digest: String,
    /// What [`crate::invariants::check`] found when the run ended (a fabricated report
    /// keeps these; check it again).
    pub violations: Vec<crate::invariants::Violation>,
}

/// What a run came to, as the honest members saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Every request agreed.
    Agreed,
    /// Every request certified, some `no_agreement`.
    NoAgreement,
    /// Some request was not certified by every running protocol-following node.
    Stalled,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Agreed => "agreed",
            Outcome::NoAgreement => "no_agreement",
            Outcome::Stalled => "stalled",
        })
    }
}

impl Report {
    /// Members that count against `f`.
    pub fn faulty(&self) -> usize {
        self.members.iter().filter(|m| m.class.is_faulty()).count()
    }

    /// Members that follow the protocol (their decisions are checked).
    pub fn followers(&self) -> impl Iterator<Item = &MemberReport> {
        self.members.iter().filter(|m| m.class.follows_protocol())
    }

    /// The run's outcome.
    pub fn outcome(&self) -> Outcome {
        let mut agreed = true;
        for m in self.followers().filter(|m| m.running) {
            for r in &self.requests {
                match m.decisions.get(&r.id) {
                    None => return Outcome::Stalled,
                    Some(d) => agreed &= d.record.outcome == OutcomeKind::Agreed,
                }
            }
        }
        if agreed {
            Outcome::Agreed
        } else {
            Outcome::NoAgreement
        }
    }
}
