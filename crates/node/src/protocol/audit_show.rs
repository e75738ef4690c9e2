//! One vote's full story, read back from a node's audit log (`byzvote audit show`).
//!
//! The audit log holds every finalized block and every certificate; this module picks out
//! what concerns one request: the block that ordered it, each member's signed commit, reveal
//! and model report (with the block that finalized it and whether its identity signature
//! verifies), the evidence those transactions prove, the decision record and its certificate
//! (and whether it verifies under the group key). It reads the log and never modifies it.
//!
//! Evidence is re-derived from the logged transactions with the vote's rules (core's
//! `vote` module): a second, different commit is an equivocation (the first stands); a reveal
//! that does not open the member's first commit is a bad reveal; a silent member of the
//! decision either never committed or committed and never revealed. Whether a late commit
//! was shut out by the commitment deadline depends on the node's timeouts, which the log
//! does not hold, so such a member is reported as "never revealed".

use super::{
    audit::{AuditError, Body, Chain, Entry, verify_chain},
    audit_quick::QuickEntry,
    bundle::Item,
    meta::Meta,
    tx::Tx,
};
use crate::chain::types::PublicKey;
use bytes::Bytes;
use byzvote_core::{DecisionRecord, Digest, Evidence, MemberId, Message, OutcomeKind, Request};
use commonware_codec::DecodeExt as _;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

/// What the story's signatures are checked against; both come from the node's `dkg.key`.
#[derive(Clone, Debug, Default)]
pub struct Keys {
    /// The cluster's identity keys, sorted (member `i` is `participants[i]`); empty: unchecked.
    pub participants: Vec<PublicKey>,
    /// The group key certificates are checked under; `None`: unchecked.
    pub group_key: Option<byzvote_dkg::GroupPublicKey>,
}

/// Where in the log a transaction was found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct At {
    /// Audit entry sequence number.
    pub seq: u64,
    /// Height of the finalized block.
    pub height: u64,
    /// The block's timestamp (ms since the Unix epoch).
    pub timestamp_ms: u64,
}

/// Whether an identity or group signature verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Valid,
    Invalid,
    /// No key to check against (no `dkg.key`, or a member id outside the cluster).
    Unchecked,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Submitted {
    pub at: At,
    pub messages: Vec<Message>,
    pub mode: String,
    pub tier: u8,
    pub max_tokens: u32,
    pub client_nonce: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CommitStep {
    pub at: At,
    pub member: MemberId,
    /// The commitment (hex).
    pub commitment: String,
    pub signature: Check,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RevealStep {
    pub at: At,
    pub member: MemberId,
    pub answer: String,
    /// Whether it opens the member's first commit (`false` also when there is none).
    pub opens_commit: bool,
    pub signature: Check,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportStep {
    pub at: At,
    pub member: MemberId,
    pub model: String,
    pub latency_ms: u64,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub cost_micro_usd: u64,
    pub signature: Check,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CertificateStep {
    pub seq: u64,
    /// The group signature (hex).
    pub signature: String,
    pub verifies: Check,
}

/// Everything the log says about one request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Story {
    /// The request id (hex).
    pub id: String,
    /// `None` when the hash chain is intact, else why it is not.
    pub chain_broken: Option<String>,
    pub submitted: Option<Submitted>,
    pub commits: Vec<CommitStep>,
    pub reveals: Vec<RevealStep>,
    pub reports: Vec<ReportStep>,
    pub evidence: Vec<Evidence>,
    /// The decision record (from the certificate entry).
    pub decision: Option<DecisionRecord>,
    pub certificate: Option<CertificateStep>,
    /// A quick-tier (1-2) decision: the serving node's signed entry instead of a certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quick: Option<super::audit_quick::QuickStep>,
    /// Ordered charges of this request to client keys (see [`super::spend`]): each is its
    /// signer's claim, signed evidence of who charged which key how much.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub charges: Vec<ChargeStep>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChargeStep {
    pub at: At,
    /// The node that signed the charge (its serving node, if honest).
    pub member: MemberId,
    /// The SHA-256 of the client key charged (hex).
    pub key: String,
    /// What the signer claimed; the ledger may count less (see [`super::spend`]).
    pub cost_micro_usd: u64,
    pub signature: Check,
}

/// Why a story cannot be told.
#[derive(Debug, thiserror::Error)]
pub enum ShowError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(
        "`{0}` is not a request id: give the hex id printed by `byzvote ask` (or a unique prefix of at least 8 hex characters)"
    )]
    BadId(String),
    #[error(
        "no vote with id {id} in this audit log ({known} requests in it); list them with `byzvote audit list --data DIR`"
    )]
    Unknown { id: String, known: usize },
    #[error(
        "the prefix {prefix} matches {count} requests; give more characters of the id (see `byzvote audit list --data DIR`)"
    )]
    Ambiguous { prefix: String, count: usize },
}

/// One request of the log, for `audit list`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Listed {
    pub id: String,
    pub at: At,
    /// The last message's content (the question).
    pub prompt: String,
    pub outcome: Option<OutcomeKind>,
    pub answer: Option<String>,
}

/// Every request in the log, in log order, with its decision when certified.
pub fn list(entries: &[Entry]) -> Vec<Listed> {
    let decisions = decisions(entries);
    let mut out: Vec<Listed> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (at, tx) in txs(entries) {
        if let Tx::Request(r) = tx {
            let id = r.id();
            if !seen.insert(id) {
                continue;
            }
            let record = decisions.get(&id);
            out.push(Listed {
                id: hex::encode(id),
                at,
                prompt: r
                    .messages
                    .last()
                    .map(|m| m.content.clone())
                    .unwrap_or_default(),
                outcome: record.map(|r| r.outcome),
                answer: record.and_then(|r| r.answer.clone()),
            });
        }
    }
    for (seq, q) in super::audit_quick::entries(entries) {
        if seen.insert(q.request.id()) {
            out.push(Listed {
                id: hex::encode(q.request.id()),
                at: At {
                    seq,
                    height: 0,
                    timestamp_ms: q.timestamp_ms,
                },
                prompt: q
                    .request
                    .messages
                    .last()
                    .map(|m| m.content.clone())
                    .unwrap_or_default(),
                outcome: Some(q.record.outcome),
                answer: q.record.answer.clone(),
            });
        }
    }
    out.sort_by_key(|l| l.at.seq);
    out
}

/// A full id or a prefix of one, lowercased, if it can be one (at least 8 hex characters).
fn prefix(id: &str) -> Result<String, ShowError> {
    let id = id.trim().to_ascii_lowercase();
    if id.len() < 8 || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ShowError::BadId(id));
    }
    Ok(id)
}

/// The one id among `ids` (the log's requests, `known` of them) that starts with `prefix`.
fn unique(
    prefix: String,
    mut ids: impl Iterator<Item = Digest>,
    known: usize,
) -> Result<Digest, ShowError> {
    let starts = |d: &Digest| hex::encode(d).starts_with(&prefix);
    match (ids.find(starts), ids.filter(starts).count()) {
        (Some(one), 0) => Ok(one),
        (None, _) => Err(ShowError::Unknown { id: prefix, known }),
        (Some(_), more) => Err(ShowError::Ambiguous {
            prefix,
            count: more + 1,
        }),
    }
}

/// Every request in the audit log at `path` (see [`list`]), read as a stream: of each block,
/// only its requests are kept.
pub fn list_file(path: &Path) -> Result<Vec<Listed>, AuditError> {
    let mut kept = Vec::new();
    super::journal::read_each(path, |mut e: Entry| {
        if let Body::Block { txs, .. } = &mut e.body {
            txs.retain(|t| t.0.first() == Some(&super::tx::REQUEST));
        }
        kept.push(e);
        Ok::<(), AuditError>(())
    })?;
    Ok(list(&kept))
}

/// Resolves a full id or a unique prefix (at least 8 hex characters) among the log's requests.
pub fn resolve(entries: &[Entry], id: &str) -> Result<Digest, ShowError> {
    let id = prefix(id)?;
    let ids: BTreeSet<Digest> = entries.iter().flat_map(requests).collect();
    unique(id, ids.iter().copied(), ids.len())
}

/// The requests an entry holds: those its block ordered, or its quick decision's.
fn requests(e: &Entry) -> Vec<Digest> {
    match &e.body {
        Body::Block { txs, .. } => txs
            .iter()
            .filter_map(|t| match Tx::decode(&t.0) {
                Some(Tx::Request(r)) => Some(r.id()),
                _ => None,
            })
            .collect(),
        body => QuickEntry::from_body(body)
            .ok()
            .flatten()
            .map(|q| q.request.id())
            .into_iter()
            .collect(),
    }
}

/// Whether a transaction is part of request `id`'s vote.
fn about(tx: &Tx, id: &Digest) -> bool {
    let request = match tx {
        Tx::Request(r) => r.id(),
        Tx::Commit(c) => c.commit.request,
        Tx::Reveal(r) => r.reveal.request,
        Tx::Meta(m) => m.meta.request,
        Tx::Beacon { request, .. } => *request,
        Tx::Verdict(v) => v.verdict.request,
        Tx::Similarities(s) => s.request,
        Tx::Charge(c) => c.charge.request,
        Tx::Bundle(b) => return b.items.iter().any(|i| i.request() == *id),
    };
    request == *id
}

/// `e` with only what concerns request `id` (its block's other transactions dropped), or
/// `None` when nothing in it does.
fn concerning(mut e: Entry, id: &Digest) -> Option<Entry> {
    let keep = match &mut e.body {
        Body::Block { txs, .. } => {
            txs.retain(|t| Tx::decode(&t.0).is_some_and(|tx| about(&tx, id)));
            !txs.is_empty()
        }
        Body::Certificate { request, .. } => Digest::from(*request) == *id,
        body => QuickEntry::from_body(body)
            .ok()
            .flatten()
            .is_some_and(|q| q.request.id() == *id),
    };
    keep.then_some(e)
}

/// The story of request `id` (a full id or a unique prefix, see [`resolve`]) in the audit
/// log at `path`, read twice as a stream: once for the ids, once keeping only the entries
/// about the request (a log of millions of votes is never held in memory).
pub fn story_file(path: &Path, id: &str, keys: &Keys) -> Result<Story, ShowError> {
    let id = prefix(id)?;
    let mut ids = HashSet::new();
    let mut matching = BTreeSet::new();
    super::journal::read_each(path, |e: Entry| {
        for request in requests(&e) {
            if ids.insert(request) && hex::encode(request).starts_with(&id) {
                matching.insert(request);
            }
        }
        Ok::<(), AuditError>(())
    })?;
    let id = unique(id, matching.into_iter(), ids.len())?;
    drop(ids);
    let mut chain = Chain::default();
    let mut broken = None;
    let mut kept = Vec::new();
    super::journal::read_each(path, |e: Entry| {
        if broken.is_none()
            && let Err(err) = chain.check(&e)
        {
            broken = Some(err.to_string());
        }
        kept.extend(concerning(e, &id));
        Ok::<(), AuditError>(())
    })?;
    Ok(told(&kept, id, keys, broken))
}

/// The story of request `id` (see [`resolve`]) in `entries`.
pub fn story(entries: &[Entry], id: &str, keys: &Keys) -> Result<Story, ShowError> {
    let id = resolve(entries, id)?;
    let broken = verify_chain(entries).err().map(|e| e.to_string());
    Ok(told(entries, id, keys, broken))
}

/// The story of request `id` from `entries` (all of the log, or those about `id`), whose hash
/// chain broke as `chain_broken` says.
fn told(entries: &[Entry], id: Digest, keys: &Keys, chain_broken: Option<String>) -> Story {
    let mut story = Story {
        id: hex::encode(id),
        chain_broken,
        submitted: None,
        commits: Vec::new(),
        reveals: Vec::new(),
        reports: Vec::new(),
        evidence: Vec::new(),
        decision: None,
        certificate: None,
        quick: None,
        charges: Vec::new(),
    };
    for (at, tx) in txs(entries) {
        if let Tx::Charge(c) = tx
            && c.charge.request == id
        {
            story.charges.push(ChargeStep {
                at,
                member: c.charge.member,
                key: hex::encode(c.charge.key),
                cost_micro_usd: c.charge.cost_micro_usd,
                signature: identity(keys, c.charge.member, |k| c.verify(k)),
            });
        }
    }
    super::audit_quick::attach(&mut story, entries, id, keys);
    if story.quick.is_some() {
        return story;
    }
    let mut first_commit: BTreeMap<MemberId, Digest> = BTreeMap::new();
    let mut reveals = Vec::new();
    for (at, tx) in txs(entries) {
        let tx = match tx {
            Tx::Request(r) => {
                if story.submitted.is_none() && r.id() == id {
                    story.submitted = Some(submitted(at, r));
                }
                continue;
            }
            tx => tx,
        };
        for (item, signature) in signed_items(tx, keys) {
            if item.request() != id {
                continue;
            }
            match item {
                Item::Commit(c) => {
                    let member = c.member;
                    let first = *first_commit.entry(member).or_insert(c.digest);
                    let equivocated = story.evidence.iter().any(
                        |e| matches!(e, Evidence::Equivocation { member: m, .. } if *m == member),
                    );
                    if first != c.digest && !equivocated {
                        story.evidence.push(Evidence::Equivocation {
                            member,
                            request: id,
                            first,
                            second: c.digest,
                        });
                    }
                    story.commits.push(CommitStep {
                        at: at.clone(),
                        member,
                        commitment: hex::encode(c.digest),
                        signature,
                    });
                }
                Item::Reveal(r) => reveals.push((at.clone(), r, signature)),
                Item::Meta(m) => story.reports.push(report(at.clone(), m, signature)),
            }
        }
    }
    // A reveal is checked against the member's first commit, wherever it came in the order.
    for (at, reveal, signature) in reveals {
        let opens = first_commit.get(&reveal.member).is_some_and(|d| {
            reveal.opens(&byzvote_core::Commit {
                request: id,
                member: reveal.member,
                digest: *d,
            })
        });
        let judged = story.reveals.iter().any(|r| r.member == reveal.member);
        if !opens && !judged && first_commit.contains_key(&reveal.member) {
            story.evidence.push(Evidence::BadReveal {
                member: reveal.member,
                request: id,
            });
        }
        story.reveals.push(RevealStep {
            at,
            member: reveal.member,
            answer: reveal.canonical.as_str().to_string(),
            opens_commit: opens,
            signature,
        });
    }
    for e in entries {
        if let Body::Certificate {
            request,
            record,
            signature,
            proof,
        } = &e.body
            && Digest::from(*request) == id
            && story.certificate.is_none()
        {
            let decoded = DecisionRecord::decode(Bytes::from(record.0.clone())).ok();
            let verifies = match (&keys.group_key, &decoded) {
                (None, _) => Check::Unchecked,
                (Some(key), Some(_)) => {
                    check(super::certify::verify(key, &record.0, &signature.0, &proof.0).is_ok())
                }
                (Some(_), None) => Check::Invalid,
            };
            story.certificate = Some(CertificateStep {
                seq: e.seq,
                signature: hex::encode(&signature.0),
                verifies,
            });
            story.decision = decoded;
        }
    }
    if let Some(record) = &story.decision {
        for &member in &record.silent {
            let faulted = story.evidence.iter().any(|e| e.member() == member);
            if faulted {
                continue;
            }
            story.evidence.push(if first_commit.contains_key(&member) {
                Evidence::NeverRevealed {
                    member,
                    request: id,
                }
            } else {
                Evidence::NeverCommitted {
                    member,
                    request: id,
                }
            });
        }
    }
    story
}

/// Whether member `member`'s identity signature verifies (`ok` checks it under a key); a member
/// outside the cluster is invalid, and nothing is checked without the participants.
fn identity(keys: &Keys, member: MemberId, ok: impl Fn(&PublicKey) -> bool) -> Check {
    if keys.participants.is_empty() {
        return Check::Unchecked;
    }
    match usize::try_from(member)
        .ok()
        .and_then(|i| keys.participants.get(i))
    {
        Some(k) => check(ok(k)),
        None => Check::Invalid,
    }
}

fn check(ok: bool) -> Check {
    if ok { Check::Valid } else { Check::Invalid }
}

pub(crate) fn submitted(at: At, r: Request) -> Submitted {
    Submitted {
        at,
        mode: r.mode.to_string(),
        tier: r.tier,
        max_tokens: r.max_tokens,
        client_nonce: r.client_nonce,
        messages: r.messages,
    }
}

fn report(at: At, m: Meta, signature: Check) -> ReportStep {
    ReportStep {
        at,
        member: m.member,
        model: m.model,
        latency_ms: m.latency_ms,
        prompt_tokens: m.prompt_tokens,
        completion_tokens: m.completion_tokens,
        cost_micro_usd: m.cost_micro_usd,
        signature,
    }
}

/// The member items (commits, reveals, reports) `tx` carries, each with the check of the
/// identity signature it is under: its own, or its bundle's (checked once for all).
fn signed_items(tx: Tx, keys: &Keys) -> Vec<(Item, Check)> {
    let check = match &tx {
        Tx::Commit(c) => identity(keys, c.commit.member, |k| c.verify(k)),
        Tx::Reveal(r) => identity(keys, r.reveal.member, |k| r.verify(k)),
        Tx::Meta(m) => identity(keys, m.meta.member, |k| m.verify(k)),
        Tx::Bundle(b) => identity(keys, b.member, |k| b.verify(k)),
        _ => return Vec::new(),
    };
    tx.items()
        .unwrap_or_default()
        .into_iter()
        .map(|item| (item, check))
        .collect()
}

/// Every decodable transaction of every block entry, with where it was found.
fn txs(entries: &[Entry]) -> impl Iterator<Item = (At, Tx)> + '_ {
    entries.iter().flat_map(|e| {
        let (at, txs) = match &e.body {
            Body::Block {
                height,
                timestamp_ms,
                txs,
                ..
            } => (
                At {
                    seq: e.seq,
                    height: *height,
                    timestamp_ms: *timestamp_ms,
                },
                txs.as_slice(),
            ),
            Body::Certificate { .. } | Body::Quick { .. } => (
                At {
                    seq: e.seq,
                    height: 0,
                    timestamp_ms: 0,
                },
                &[][..],
            ),
        };
        txs.iter()
            .filter_map(move |t| Tx::decode(&t.0).map(|tx| (at.clone(), tx)))
    })
}

/// The first decodable certified record of each request.
fn decisions(entries: &[Entry]) -> BTreeMap<Digest, DecisionRecord> {
    let mut out = BTreeMap::new();
    for e in entries {
        if let Body::Certificate {
            request, record, ..
        } = &e.body
            && let Ok(r) = DecisionRecord::decode(Bytes::from(record.0.clone()))
        {
            out.entry(Digest::from(*request)).or_insert(r);
        }
    }
    out
}

#[path = "audit_render.rs"]
pub mod render;

#[cfg(test)]
#[path = "audit_show_tests.rs"]
mod tests;
