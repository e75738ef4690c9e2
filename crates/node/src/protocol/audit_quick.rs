//! Quick-tier (1-2) decisions in the audit log.
//!
//! Tiers 1 and 2 run no consensus round, so no block orders them and no threshold certificate
//! signs them: the serving node is their only witness (DESIGN.md §3, "signed by the serving
//! node only"). To keep them auditable like the rest, the serving node appends each decision
//! to its hash-chained log *before* the client hears it (persist before you speak): the
//! request, the decision record with the node's identity signature, and every member's signed
//! answer, which carries that member's own report (model, tokens, cost, latency).
//!
//! [`QuickEntry::check`] is what `byzvote audit verify` runs on each such entry: the node's
//! signature over the record, each member's signature over its answer, and that the record
//! names this request and the members who answered (a node cannot attach an answer to the
//! wrong vote or hide a member's answer as silence without breaking a signature or this check).

use super::audit::{Body, Entry, HexBytes};
use super::audit_show::{At, Check, Keys, Story, submitted};
use crate::chain::types::PublicKey;
use crate::quick::wire::SignedAnswer;
use bytes::Bytes;
use byzvote_core::{DecisionRecord, Digest, MemberId, Request, namespace::BYZVOTE_QUICK_DECISION};
use commonware_codec::{DecodeExt as _, Encode as _};
use commonware_cryptography::{Verifier as _, ed25519};
use serde::Serialize;
use std::collections::BTreeSet;

/// A quick decision as the log holds it, decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct QuickEntry {
    pub request: Request,
    pub timestamp_ms: u64,
    pub record: DecisionRecord,
    /// The serving node's member id and its signature over the encoded record.
    pub signer: MemberId,
    pub signature: ed25519::Signature,
    pub answers: Vec<SignedAnswer>,
}

impl QuickEntry {
    /// The log body of this decision.
    pub fn body(&self) -> Body {
        Body::Quick {
            request: HexBytes(self.request.encode().to_vec()),
            timestamp_ms: self.timestamp_ms,
            record: HexBytes(self.record.encode().to_vec()),
            signer: self.signer,
            signature: HexBytes(self.signature.encode().to_vec()),
            answers: self.answers.iter().map(|a| HexBytes(a.encode())).collect(),
        }
    }

    /// Decodes a `quick` body; `Ok(None)` for any other kind, `Err` says which part is malformed.
    pub fn from_body(body: &Body) -> Result<Option<Self>, String> {
        let Body::Quick {
            request,
            timestamp_ms,
            record,
            signer,
            signature,
            answers,
        } = body
        else {
            return Ok(None);
        };
        let request = Request::decode(Bytes::from(request.0.clone()))
            .map_err(|_| "the quick entry's request does not decode".to_string())?;
        let record = DecisionRecord::decode(Bytes::from(record.0.clone()))
            .map_err(|_| "the quick entry's record does not decode".to_string())?;
        let signature = ed25519::Signature::decode(Bytes::from(signature.0.clone()))
            .map_err(|_| "the quick entry's signature does not decode".to_string())?;
        let answers = answers
            .iter()
            .enumerate()
            .map(|(i, a)| {
                SignedAnswer::decode(&a.0)
                    .ok_or_else(|| format!("the quick entry's answer {i} does not decode"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Self {
            request,
            timestamp_ms: *timestamp_ms,
            record,
            signer: *signer,
            signature,
            answers,
        }))
    }

    /// Whether the serving node's signature over the record verifies (`false` for a signer
    /// outside `participants`).
    pub fn node_signature_ok(&self, participants: &[PublicKey]) -> bool {
        key(participants, self.signer).is_some_and(|k| {
            k.verify(
                BYZVOTE_QUICK_DECISION,
                &self.record.encode(),
                &self.signature,
            )
        })
    }

    /// Checks every signature under the cluster's identity keys (`participants`, sorted: member
    /// `i` is `participants[i]`) and that the record, request and answers belong together.
    pub fn check(&self, participants: &[PublicKey]) -> Result<(), String> {
        let id = self.request.id();
        if self.record.request != id {
            return Err("the quick record names another request than the one logged".into());
        }
        if self.record.tier > 2 {
            return Err(format!(
                "a quick entry of tier {} (quick tiers are 1 and 2)",
                self.record.tier
            ));
        }
        if !self.node_signature_ok(participants) {
            return Err(format!(
                "the serving node's signature (member {}) does not verify over the record",
                self.signer
            ));
        }
        let mut seen = BTreeSet::new();
        for a in &self.answers {
            let m = a.meta.member;
            if a.meta.request != id {
                return Err(format!("member {m}'s answer is for another request"));
            }
            if !seen.insert(m) {
                return Err(format!("member {m} has two answers"));
            }
            if !self.record.committee.contains(&m) {
                return Err(format!("member {m} answered but is not in the committee"));
            }
            if self.record.silent.contains(&m) {
                return Err(format!(
                    "member {m} answered but the record calls it silent"
                ));
            }
            if !key(participants, m).is_some_and(|k| a.verify(k)) {
                return Err(format!(
                    "member {m}'s signature on its answer does not verify"
                ));
            }
        }
        if let Some(m) = self
            .record
            .committee
            .iter()
            .find(|m| !seen.contains(m) && !self.record.silent.contains(m))
        {
            return Err(format!(
                "member {m} is counted in the record but its signed answer is not logged"
            ));
        }
        Ok(())
    }
}

/// A node's own quick decisions read back from its audit log at start, the newest `limit`
/// kept: what the quick actor serves again after a restart (`QuickHandle::restore`), since
/// quick decisions are in no chain state to replay.
#[derive(Debug)]
pub struct Recovered {
    me: Option<MemberId>,
    limit: usize,
    entries: std::collections::VecDeque<QuickEntry>,
}

impl Recovered {
    pub fn new(me: Option<MemberId>, limit: usize) -> Self {
        Self {
            me,
            limit,
            entries: Default::default(),
        }
    }

    /// Keeps `body` if it is a quick decision signed by this node.
    pub fn push(&mut self, body: &Body) {
        let Ok(Some(entry)) = QuickEntry::from_body(body) else {
            return;
        };
        if Some(entry.signer) != self.me {
            return;
        }
        self.entries.push_back(entry);
        if self.entries.len() > self.limit {
            self.entries.pop_front();
        }
    }

    /// The kept decisions, oldest first (and empties this).
    pub fn take(&mut self) -> Vec<QuickEntry> {
        std::mem::take(&mut self.entries).into()
    }
}

fn key(participants: &[PublicKey], m: MemberId) -> Option<&PublicKey> {
    usize::try_from(m).ok().and_then(|i| participants.get(i))
}

/// One member's signed answer, as `byzvote audit show` tells it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QuickAnswer {
    pub member: MemberId,
    pub answer: String,
    pub model: String,
    pub latency_ms: u64,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub cost_micro_usd: u64,
    pub signature: Check,
}

/// A quick decision's entry, as `byzvote audit show` tells it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QuickStep {
    pub seq: u64,
    pub timestamp_ms: u64,
    /// The serving node (member id) and its signature over the record (hex).
    pub signer: MemberId,
    pub signature: String,
    pub verifies: Check,
    pub answers: Vec<QuickAnswer>,
    /// Why the entry does not hold together (see [`QuickEntry::check`]); `None` when it does
    /// or when there were no keys to check it with.
    pub problem: Option<String>,
}

/// Every decodable quick entry of the log, with its sequence number.
pub fn entries(log: &[Entry]) -> impl Iterator<Item = (u64, QuickEntry)> + '_ {
    log.iter().filter_map(|e| {
        QuickEntry::from_body(&e.body)
            .ok()
            .flatten()
            .map(|q| (e.seq, q))
    })
}

/// Fills `story` from the first quick entry for `id`, if the log has one.
pub fn attach(story: &mut Story, log: &[Entry], id: Digest, keys: &Keys) {
    let Some((seq, q)) = entries(log).find(|(_, q)| q.request.id() == id) else {
        return;
    };
    let checked = !keys.participants.is_empty();
    let at = At {
        seq,
        height: 0,
        timestamp_ms: q.timestamp_ms,
    };
    story.submitted = Some(submitted(at, q.request.clone()));
    let answers = q
        .answers
        .iter()
        .map(|a| QuickAnswer {
            member: a.meta.member,
            answer: a.answer.clone(),
            model: a.meta.model.clone(),
            latency_ms: a.meta.latency_ms,
            prompt_tokens: a.meta.prompt_tokens,
            completion_tokens: a.meta.completion_tokens,
            cost_micro_usd: a.meta.cost_micro_usd,
            signature: match key(&keys.participants, a.meta.member) {
                _ if !checked => Check::Unchecked,
                Some(k) if a.verify(k) => Check::Valid,
                _ => Check::Invalid,
            },
        })
        .collect();
    story.quick = Some(QuickStep {
        seq,
        timestamp_ms: q.timestamp_ms,
        signer: q.signer,
        signature: hex::encode(q.signature.encode()),
        verifies: match checked {
            false => Check::Unchecked,
            true if q.node_signature_ok(&keys.participants) => Check::Valid,
            true => Check::Invalid,
        },
        answers,
        problem: checked.then(|| q.check(&keys.participants).err()).flatten(),
    });
    story.decision = Some(q.record);
}
