//! The invariants every run must keep. Each is a function of a [`Report`] that returns its
//! violations, so that a test can feed it a fabricated bad report and see it fire.
//!
//! "Followers" are the members that follow the protocol: honest, impaired (slow or behind
//! a bad network) and crashed ones (before the crash). Byzantine members' own decisions
//! are not checked; what matters is that they cannot make the followers go wrong.

use crate::behaviour::Class;
use crate::report::{Decision, Report};
use byzvote_core::{OutcomeKind, namespace::BYZVOTE_DECISION};
use byzvote_dkg::{GroupSignature, threshold};
use commonware_codec::{DecodeExt as _, Encode as _};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub invariant: Invariant,
    pub detail: String,
}

/// The invariants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Invariant {
    Agreement,
    Validity,
    Termination,
    Blame,
    Certificate,
    Determinism,
    Replay,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.invariant, self.detail)
    }
}

fn violation(invariant: Invariant, detail: String) -> Violation {
    Violation { invariant, detail }
}

/// Every invariant that one report can show (determinism needs two runs: [`determinism`]).
pub fn check(report: &Report) -> Vec<Violation> {
    let mut out = agreement(report);
    out.extend(validity(report));
    out.extend(termination(report));
    out.extend(blame(report));
    out.extend(certificates(report));
    out.extend(replay(report));
    out
}

/// Replay: every decision a follower certified live is the one its audit log decides when
/// replayed from scratch, so a node restarted from its log decides what it decided before
/// (found by the chaos run: a log that skipped blocks counting towards a deadline made a
/// restarted node decide a vote at another height).
pub fn replay(report: &Report) -> Vec<Violation> {
    let mut out = Vec::new();
    for m in report.followers() {
        for (id, d) in &m.decisions {
            match m.replayed.get(id) {
                Some(r) if *r == d.record => {}
                other => out.push(violation(
                    Invariant::Replay,
                    format!(
                        "member {} certified {:?}/{:?} for {id:?} live, its audit log replays to {:?}",
                        m.member,
                        d.record.outcome,
                        d.record.answer,
                        other.map(|r| (r.outcome, &r.answer))
                    ),
                )),
            }
        }
    }
    out
}

/// Agreement: no two followers certify different records for one request.
pub fn agreement(report: &Report) -> Vec<Violation> {
    let mut out = Vec::new();
    for r in &report.requests {
        let mut first: Option<(u32, &byzvote_core::DecisionRecord)> = None;
        for m in report.followers() {
            let Some(d) = m.decisions.get(&r.id) else {
                continue;
            };
            match first {
                None => first = Some((m.member, &d.record)),
                Some((a, rec)) if *rec != d.record => out.push(violation(
                    Invariant::Agreement,
                    format!(
                        "request {:?}: member {a} decided {:?}/{:?}, member {} decided {:?}/{:?}",
                        r.prompt,
                        rec.outcome,
                        rec.answer,
                        m.member,
                        d.record.outcome,
                        d.record.answer
                    ),
                )),
                Some(_) => {}
            }
        }
    }
    out
}

/// Validity: an agreed answer was revealed by at least `2f+1` committee members (so by at
/// least `f+1` followers when at most `f` are faulty) and is the answer of at least one
/// follower; never an answer no follower gave.
pub fn validity(report: &Report) -> Vec<Violation> {
    let mut out = Vec::new();
    for r in &report.requests {
        for m in report.followers() {
            let Some(d) = m.decisions.get(&r.id) else {
                continue;
            };
            let rec = &d.record;
            if rec.outcome != OutcomeKind::Agreed {
                continue;
            }
            let Some(answer) = rec.answer.as_deref() else {
                out.push(violation(
                    Invariant::Validity,
                    format!("request {:?}: agreed without an answer", r.prompt),
                ));
                continue;
            };
            let backing = rec
                .supporters
                .iter()
                .filter(|s| {
                    rec.committee.contains(s)
                        && d.revealed.get(s).map(String::as_str) == Some(answer)
                })
                .count();
            if backing < report.quorum as usize {
                out.push(violation(
                    Invariant::Validity,
                    format!(
                        "request {:?}: member {} certified {answer:?} revealed by {backing} committee members, fewer than {}",
                        r.prompt, m.member, report.quorum
                    ),
                ));
            }
            let honest = report
                .followers()
                .any(|f| r.intended.get(&f.member).and_then(Option::as_deref) == Some(answer));
            if !honest {
                out.push(violation(
                    Invariant::Validity,
                    format!(
                        "request {:?}: member {} certified {answer:?}, which no protocol-following member gave (truth {:?})",
                        r.prompt, m.member, r.truth
                    ),
                ));
            }
        }
    }
    out
}

/// Termination: with at most `f` faulty members, once the network healed every running
/// follower certified every request.
pub fn termination(report: &Report) -> Vec<Violation> {
    if report.faulty() > report.f as usize {
        return Vec::new();
    }
    let mut out = Vec::new();
    for m in report.followers().filter(|m| m.running) {
        let missing = report
            .requests
            .iter()
            .filter(|r| !m.decisions.contains_key(&r.id))
            .count();
        if missing > 0 {
            out.push(violation(
                Invariant::Termination,
                format!(
                    "member {} ({:?}) certified {} of {} requests with {} faulty of f = {}",
                    m.member,
                    m.class,
                    report.requests.len() - missing,
                    report.requests.len(),
                    report.faulty(),
                    report.f
                ),
            ));
        }
    }
    out
}

/// Blame only on the guilty: fault evidence (a bad reveal, an equivocation) never names a
/// follower; absence evidence never names an honest member with a sound network; no
/// follower's node blocks a follower as a Byzantine peer.
pub fn blame(report: &Report) -> Vec<Violation> {
    let mut out = Vec::new();
    let follows = |m: u32| {
        report
            .members
            .get(m as usize)
            .is_some_and(|m| m.class.follows_protocol())
    };
    for &(a, b) in &report.blocked {
        if follows(a) && follows(b) {
            out.push(violation(
                Invariant::Blame,
                format!("member {a}'s node blocked member {b}, which follows the protocol"),
            ));
        }
    }
    for accuser in &report.members {
        for e in &accuser.evidence {
            let Some(accused) = report.members.get(e.member() as usize) else {
                out.push(violation(
                    Invariant::Blame,
                    format!("evidence names unknown member {}", e.member()),
                ));
                continue;
            };
            let wrong = if e.is_fault() {
                accused.class.follows_protocol()
            } else {
                accused.class == Class::Honest
            };
            if wrong {
                out.push(violation(
                    Invariant::Blame,
                    format!(
                        "member {}'s log holds {e:?} against member {} ({:?})",
                        accuser.member, accused.member, accused.behaviour
                    ),
                ));
            }
        }
    }
    out
}

/// Every certificate a follower holds verifies against the group key: its record is in the
/// batch its proof names, and the signature is the group's over that batch's root.
pub fn certificates(report: &Report) -> Vec<Violation> {
    // Threshold signatures are unique: the followers' certificates of one batch are the same
    // bytes, so each distinct (root, signature) is checked once, and all of them together
    // (two pairings however many; one pairing each was a fifth of a 50-vote seed's time).
    // Only if that fails is each checked on its own, to name the bad ones.
    let mut distinct: BTreeMap<Signed, Option<GroupSignature>> = BTreeMap::new();
    for m in report.followers() {
        for d in m.decisions.values() {
            let decoded = GroupSignature::decode(d.signature.clone()).ok();
            distinct.insert(signed(d), decoded);
        }
    }
    let items: Vec<(&[u8], GroupSignature)> = distinct
        .iter()
        .filter_map(|((root, _), sig)| sig.map(|s| (*root, s)))
        .collect();
    let all_decode = items.len() == distinct.len();
    let bad: BTreeSet<Signed> = if all_decode
        && threshold::verify_together(&report.group_key, BYZVOTE_DECISION, &items, seed(&items))
    {
        BTreeSet::new()
    } else {
        distinct
            .into_iter()
            .filter(|((root, _), sig)| {
                sig.is_none_or(|s| {
                    !threshold::verify(&report.group_key, BYZVOTE_DECISION, root, &s)
                })
            })
            .map(|(key, _)| key)
            .collect()
    };
    let mut out = Vec::new();
    for m in report.followers() {
        for (id, d) in &m.decisions {
            if bad.contains(&signed(d)) || !d.proof.includes(&d.record.encode()) {
                out.push(violation(
                    Invariant::Certificate,
                    format!(
                        "member {}: the certificate of request {id:?} does not verify",
                        m.member
                    ),
                ));
            }
        }
    }
    out
}

/// A batch root and the bytes of the signature over it.
type Signed<'a> = (&'a [u8], Vec<u8>);

fn signed(d: &Decision) -> Signed<'_> {
    (d.proof.root.as_ref(), d.signature.to_vec())
}

/// The batch check's weights: the SHA-256 of every item, so that no signature in the run
/// could have been chosen knowing them.
fn seed(items: &[(&[u8], GroupSignature)]) -> [u8; 32] {
    use commonware_cryptography::{Hasher as _, Sha256};
    let mut h = Sha256::default();
    for (root, sig) in items {
        h.update(&(root.len() as u64).to_be_bytes())
            .update(root)
            .update(&sig.encode());
    }
    let (_, digest) = h.finalize();
    let mut seed = [0u8; 32];
    seed.copy_from_slice(digest.as_ref());
    seed
}

/// Same seed, same run: two reports of one scenario have the same digest.
pub fn determinism(a: &Report, b: &Report) -> Vec<Violation> {
    if a.digest == b.digest {
        return Vec::new();
    }
    vec![violation(
        Invariant::Determinism,
        format!(
            "seed {}: digests {} and {} differ",
            a.seed, a.digest, b.digest
        ),
    )]
}
