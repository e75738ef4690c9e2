//! What the node answers: a vote's result ([`VoteResponse`]) and the cluster ([`ClusterInfo`]).

use super::Certificate;
use serde::{Deserialize, Serialize};

/// The result of a vote, as returned by `POST /v1/votes` and `GET /v1/votes/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoteResponse {
    /// The request id, lowercase hex: the digest of the encoded request; poll it with
    /// `GET /v1/votes/{id}`.
    pub id: String,
    /// `decided` once the decision is final (then `outcome` is set), `pending` before.
    pub status: VoteStatus,
    /// `agreed` when one answer class reached the quorum (2f+1), `no_agreement` when none did
    /// (never a guess). `null` while pending.
    pub outcome: Option<Outcome>,
    /// The agreed answer in its canonical form; `null` unless `outcome` is `agreed`. For the
    /// robust modes (`number:P:RULE`, `vector:RULE`) it is the aggregate, e.g. `3.25` or
    /// `[1.25e0,2e0]`, and `no_agreement` means the rule's requirement on the number of valid
    /// values failed (the record's `aggregation.reason` says which).
    pub answer: Option<String>,
    /// The mode the answers were compared under, in its string syntax (e.g. `class:yes,no`).
    pub mode: String,
    /// The assurance tier (3 = committee of 4, f = 1).
    pub tier: u8,
    /// One entry per committee member, in member order.
    pub votes: Vec<MemberVote>,
    /// Total cost of the model calls in US dollars (sum of the members' `cost_usd`).
    pub cost_usd: f64,
    /// Time from the node receiving the request to the decision, in milliseconds.
    pub latency_ms: u64,
    /// How sure the agreeing members' models were, when they report a confidence: the
    /// lowest, the highest and the spread between them. A low `min` on an agreed answer is a
    /// reason to look twice (the router escalates `auto` requests below its floor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
    /// The threshold certificate over the decision record; `null` while pending (a
    /// `no_agreement` decision is certified too, with no answer in the record).
    pub certificate: Option<Certificate>,
    /// Tiers 1 and 2 (no consensus round): the serving node's signature over the decision
    /// record and each member's signed answer, instead of a threshold certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<super::Attestation>,
    /// For `tier: "auto"`: the tier the router chose, why, and the tiers escalated from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<RouteInfo>,
    /// Identifiers the node masked before any model saw the request (its privacy rules):
    /// placeholder → your original text. The answer and the certificate use the placeholders;
    /// the originals are only in this reply to you, never in the log or at the models.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub masked: std::collections::BTreeMap<String, String>,
    /// Human review, when the node's policy held this answer: why, and the signed verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<crate::review::ReviewState>,
    /// The external verifier's verdict on the agreed answer, when the node has one; a failing
    /// verdict makes the status `rejected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<crate::verifier::Verification>,
}

/// The agreeing members' self-reported confidence (see [`VoteResponse::confidence`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Confidence {
    /// The lowest confidence among the agreeing members that reported one, in [0, 1].
    pub min: f64,
    /// The highest.
    pub max: f64,
    /// `max - min`: how far the agreeing models were from each other.
    pub spread: f64,
    /// How many agreeing members reported one.
    pub reported: u32,
}

impl Confidence {
    /// The summary of the agreeing members' confidences; `None` when none reported one.
    pub fn of(votes: &[MemberVote]) -> Option<Self> {
        let reported: Vec<f64> = votes
            .iter()
            .filter(|v| v.status == MemberStatus::Agreed)
            .filter_map(|v| v.confidence)
            .collect();
        let min = reported.iter().copied().reduce(f64::min)?;
        let max = reported.iter().copied().reduce(f64::max)?;
        Some(Self {
            min,
            max,
            spread: max - min,
            reported: reported.len() as u32,
        })
    }
}

/// How the router handled an `auto` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteInfo {
    /// The tier the router chose first.
    pub tier: u8,
    /// Why: one phrase per rule that set or moved the tier.
    pub reasons: Vec<String>,
    /// Tiers that ended in `no_agreement` and were escalated from, in order (the final
    /// response's `tier` is the one that answered).
    #[serde(default)]
    pub escalated_from: Vec<u8>,
}

/// Whether a vote is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteStatus {
    /// The decision is final and certified.
    Decided,
    /// The vote is still running; poll `GET /v1/votes/{id}`.
    Pending,
    /// Decided, but held for a human reviewer (see `review`); poll `GET /v1/votes/{id}`.
    PendingReview,
    /// Decided, and a human reviewer refused to release the answer (see `review`).
    Rejected,
}

/// The decision's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// One answer class reached the quorum.
    Agreed,
    /// No class reached the quorum: there is no answer (escalate or review).
    NoAgreement,
}

/// One committee member's part in a vote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberVote {
    /// The member's index in the cluster (0-based, as in the decision record's committee).
    pub member: u32,
    /// The member node's name (e.g. `node-1`).
    pub name: String,
    /// The model vendor (e.g. `openai`, `builtin`).
    pub vendor: String,
    /// The model name.
    pub model: String,
    /// `agreed` (in the winning class), `disagreed` (revealed another class), `silent` (never
    /// revealed in time) or `invalid` (its reveal did not open its commitment: evidence). In
    /// the robust modes `agreed` means the rule used the member's value, `disagreed` that it
    /// did not (Krum did not select it, or it was malformed or of another length).
    pub status: MemberStatus,
    /// The member's canonical answer (its class), when it revealed one.
    pub class: Option<String>,
    /// How long the member's model took, in milliseconds, when known.
    pub latency_ms: Option<u64>,
    /// Prompt tokens the model reported, when it did.
    pub prompt_tokens: Option<u64>,
    /// Completion tokens the model reported, when it did.
    pub completion_tokens: Option<u64>,
    /// Cost of this member's model call in US dollars (0 for local models).
    pub cost_usd: f64,
    /// The model's confidence in its answer, in [0, 1], when its backend reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

/// How a member voted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// Revealed the winning class.
    Agreed,
    /// Revealed another class.
    Disagreed,
    /// Did not commit or reveal in time.
    Silent,
    /// Revealed something that does not open its commitment (recorded as evidence).
    Invalid,
}

/// The cluster as one node sees it (`GET /v1/cluster`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterInfo {
    /// The name of the node answering.
    pub node: String,
    /// The group (threshold) public key, hex of its 48-byte compressed G1 encoding; every
    /// certificate verifies under it.
    pub group_public_key: String,
    /// The members (coordinator nodes), in index order.
    pub members: Vec<MemberInfo>,
}

/// One coordinator node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberInfo {
    /// Its index in the cluster (0-based).
    pub index: u32,
    /// Its name.
    pub name: String,
    /// Its model's vendor.
    pub vendor: String,
    /// Its model.
    pub model: String,
    /// Its identity (ed25519) public key, hex; signs its commits and reveals (evidence).
    pub public_key: String,
}

impl MemberStatus {
    /// How `member` voted according to a decision record: a supporter agreed, a dissenter
    /// disagreed, anyone else on the committee was silent. (`Invalid` — a reveal that did not
    /// open its commitment — is known from the evidence, not the record; the node sets it.)
    pub fn from_record(record: &crate::core_types::DecisionRecord, member: u32) -> Self {
        if record.supporters.contains(&member) {
            MemberStatus::Agreed
        } else if record.dissenters.contains(&member) {
            MemberStatus::Disagreed
        } else {
            MemberStatus::Silent
        }
    }
}

impl VoteResponse {
    /// The response for a certified decision: id, outcome, answer, mode and tier come from the
    /// certificate's record, the total cost is the sum of the members' costs.
    pub fn decided(certificate: Certificate, votes: Vec<MemberVote>, latency_ms: u64) -> Self {
        let mut r = Self::from_record(&certificate.record, votes, latency_ms);
        r.certificate = Some(certificate);
        r
    }

    /// The response for a quick-tier (1-2) decision: like [`VoteResponse::decided`], signed by
    /// the serving node's attestation instead of a threshold certificate.
    pub fn attested(
        attestation: super::Attestation,
        votes: Vec<MemberVote>,
        latency_ms: u64,
    ) -> Self {
        let mut r = Self::from_record(&attestation.record, votes, latency_ms);
        r.attestation = Some(attestation);
        r
    }

    /// A decided response whose fields all come from `record` (no signature attached yet).
    fn from_record(
        record: &crate::core_types::DecisionRecord,
        votes: Vec<MemberVote>,
        latency_ms: u64,
    ) -> Self {
        use crate::core_types::OutcomeKind;
        Self {
            id: hex::encode(record.request),
            status: VoteStatus::Decided,
            outcome: Some(match record.outcome {
                OutcomeKind::Agreed => Outcome::Agreed,
                OutcomeKind::NoAgreement => Outcome::NoAgreement,
            }),
            answer: record.answer.clone(),
            mode: record.mode.to_string(),
            tier: record.tier,
            cost_usd: votes.iter().map(|v| v.cost_usd).sum(),
            confidence: Confidence::of(&votes),
            votes,
            latency_ms,
            certificate: None,
            attestation: None,
            route: None,
            masked: Default::default(),
            review: None,
            verification: None,
        }
    }

    /// The response for a vote that is not decided yet.
    pub fn pending(request: &crate::core_types::Request, latency_ms: u64) -> Self {
        Self {
            id: hex::encode(request.id()),
            status: VoteStatus::Pending,
            outcome: None,
            answer: None,
            mode: request.mode.to_string(),
            tier: request.tier,
            votes: Vec::new(),
            cost_usd: 0.0,
            latency_ms,
            confidence: None,
            certificate: None,
            attestation: None,
            route: None,
            masked: Default::default(),
            review: None,
            verification: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{certificate, record};

    #[test]
    fn decided_takes_everything_from_the_certified_record() {
        let cert = certificate(3, record("Paris"));
        let votes: Vec<MemberVote> = (0..4)
            .map(|m| MemberVote {
                member: m,
                name: format!("node-{m}"),
                vendor: "v".into(),
                model: "m".into(),
                status: MemberStatus::from_record(&cert.record, m),
                class: None,
                latency_ms: None,
                prompt_tokens: None,
                completion_tokens: None,
                cost_usd: 0.25,
                confidence: Some(0.5 + f64::from(m) / 10.0),
            })
            .collect();
        let response = VoteResponse::decided(cert.clone(), votes, 9);
        assert_eq!(response.id, "07".repeat(32));
        assert_eq!(response.answer.as_deref(), Some("Paris"));
        assert_eq!(response.outcome, Some(Outcome::Agreed));
        assert_eq!(response.mode, "exact");
        assert_eq!(response.cost_usd, 1.0);
        // Members 0-2 agreed, with 0.5, 0.6 and 0.7; member 3 is silent and does not count.
        let c = response.confidence.unwrap();
        assert_eq!((c.min, c.max, c.reported), (0.5, 0.7, 3));
        assert!((c.spread - 0.2).abs() < 1e-12);
        assert_eq!(response.votes[0].status, MemberStatus::Agreed);
        assert_eq!(response.votes[3].status, MemberStatus::Silent);
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(json["status"], "decided");
        assert_eq!(json["outcome"], "agreed");
        assert_eq!(json["votes"][3]["status"], "silent");
        assert_eq!(json["certificate"]["record"]["answer"], "Paris");
    }
}
