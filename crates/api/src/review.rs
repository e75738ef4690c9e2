//! Human oversight (DESIGN.md §6): some decided answers are held until a human reviewer approves
//! or rejects them, with the reviewer's identity signature on the verdict.
//!
//! What is held ([`ReviewPolicy`]): every tier ≥ 5 answer (mandatory), answers to requests that
//! match a configured risk domain (default `irreversible`), and, if configured, `no_agreement`
//! outcomes. While held, the client sees `status: "pending_review"` with the votes but neither
//! the answer nor its certificate, and polls `GET /v1/votes/{id}`. A reviewer signs
//! `union_unique("_BYZVOTE_REVIEW", "{id}\n{approve|reject}\n{note}")` with an ed25519 key the
//! node lists in `[review] reviewers`; an approved answer is released with the verdict attached,
//! a rejected one never is.
//!
//! The queue is this (serving) node's: an append-only JSON-lines file (`review.jsonl`, fsynced
//! before the client hears anything), replayed at start, so a held answer survives a crash.

use crate::{
    error::HttpError,
    types::{Outcome, VoteResponse, VoteStatus},
};
use axum::http::StatusCode;
use bytes::Bytes;
use byzvote_core::namespace::BYZVOTE_REVIEW;
use commonware_codec::DecodeExt as _;
use commonware_cryptography::{Verifier as _, ed25519};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What is held for review (`[review]` in `node.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReviewPolicy {
    /// Reviewers' ed25519 public keys (hex); only they can release or reject.
    pub reviewers: Vec<String>,
    /// Hold answers of this tier and above (5 by default: tier 5 always has human review).
    pub tiers_from: u8,
    /// Hold requests matching these risk domains of the router's rules.
    pub domains: Vec<String>,
    /// Also hold `no_agreement` outcomes (a human decides what to do with the split).
    pub no_agreement: bool,
}

impl Default for ReviewPolicy {
    fn default() -> Self {
        Self {
            reviewers: Vec::new(),
            tiers_from: 5,
            domains: vec!["irreversible".into()],
            no_agreement: false,
        }
    }
}

/// The review part of a response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewState {
    /// `pending`, `approved` or `rejected`.
    pub verdict: String,
    /// Why it was held.
    pub reason: String,
    /// The reviewer's public key (hex), once decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
    /// The reviewer's signature (hex), once decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The reviewer's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A reviewer's signed verdict (body of `POST /v1/reviews/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// Release (`true`) or reject.
    pub approve: bool,
    /// Why (shown to the client and kept in the log).
    #[serde(default)]
    pub note: String,
    /// The reviewer's ed25519 public key, hex.
    pub reviewer: String,
    /// Its signature over [`verdict_message`], hex.
    pub signature: String,
}

/// The bytes a reviewer signs (under `_BYZVOTE_REVIEW`).
pub fn verdict_message(id: &str, approve: bool, note: &str) -> Vec<u8> {
    let word = if approve { "approve" } else { "reject" };
    format!("{id}\n{word}\n{note}").into_bytes()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Line {
    Held {
        reason: String,
        response: Box<VoteResponse>,
    },
    Decided {
        id: String,
        verdict: Verdict,
    },
}

struct Item {
    reason: String,
    response: VoteResponse,
    verdict: Option<Verdict>,
}

/// The node's review queue.
pub struct ReviewQueue {
    policy: ReviewPolicy,
    file: Mutex<std::fs::File>,
    items: Mutex<BTreeMap<String, Item>>,
    path: PathBuf,
}

impl std::fmt::Debug for ReviewQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReviewQueue")
            .field("path", &self.path)
            .finish()
    }
}

impl ReviewQueue {
    /// Opens (and replays) the queue file.
    pub fn open(path: &Path, policy: ReviewPolicy) -> Result<Self, String> {
        for r in &policy.reviewers {
            parse_key(r)
                .map_err(|_| format!("reviewer key `{r}` is not a hex ed25519 public key"))?;
        }
        let mut items = BTreeMap::new();
        if let Ok(text) = std::fs::read_to_string(path) {
            for (n, line) in text.lines().enumerate() {
                // A torn last line (crash mid-write) was never acknowledged: skip it.
                let Ok(line) = serde_json::from_str::<Line>(line) else {
                    if n + 1 < text.lines().count() {
                        return Err(format!("{}: line {} is corrupt", path.display(), n + 1));
                    }
                    continue;
                };
                match line {
                    Line::Held { reason, response } => {
                        items.insert(
                            response.id.clone(),
                            Item {
                                reason,
                                response: *response,
                                verdict: None,
                            },
                        );
                    }
                    Line::Decided { id, verdict } => {
                        if let Some(i) = items.get_mut(&id) {
                            i.verdict = Some(verdict);
                        }
                    }
                }
            }
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        Ok(Self {
            policy,
            file: Mutex::new(file),
            items: Mutex::new(items),
            path: path.to_path_buf(),
        })
    }

    /// Why `response` must be held, if it must: by tier, by a risk domain of the request
    /// (`risks`, from the router's rules), or by its outcome.
    pub fn reason(&self, response: &VoteResponse, risks: &[&str]) -> Option<String> {
        // Without reviewers nothing could ever be released: hold nothing (tier 5 is refused
        // up front instead, see [`ReviewQueue::refuse`]).
        if response.status != VoteStatus::Decided || self.policy.reviewers.is_empty() {
            return None;
        }
        if response.tier >= self.policy.tiers_from {
            return Some(format!("tier {} answers need human review", response.tier));
        }
        if let Some(d) = risks
            .iter()
            .find(|d| self.policy.domains.iter().any(|p| p == *d))
        {
            return Some(format!("the request matches the `{d}` review policy"));
        }
        if self.policy.no_agreement && response.outcome == Some(Outcome::NoAgreement) {
            return Some("no agreement: a human decides".into());
        }
        None
    }

    /// A request this node must refuse before voting: a tier that needs review when no
    /// reviewer is configured.
    pub fn refuse(&self, tier: u8) -> Option<HttpError> {
        (tier >= self.policy.tiers_from && self.policy.reviewers.is_empty()).then(|| {
            HttpError::unprocessable(
                "review_unavailable",
                format!(
                    "tier {tier} answers need a human reviewer and this node has none; add \
                     reviewer keys to `[review] reviewers` in node.toml (`byzvote review keygen`) \
                     or ask a lower tier"
                ),
            )
            .with_param("tier")
        })
    }

    fn append(&self, line: &Line) -> Result<(), HttpError> {
        let mut bytes = serde_json::to_vec(line).map_err(|e| HttpError::internal(e.to_string()))?;
        bytes.push(b'\n');
        let mut f = self
            .file
            .lock()
            .map_err(|_| HttpError::internal("review log poisoned"))?;
        f.write_all(&bytes)
            .and_then(|_| f.sync_data())
            .map_err(|e| HttpError::internal(format!("cannot write the review log: {e}")))
    }

    /// Holds a decided response (logged before anyone hears of it); returns the client's view.
    pub fn hold(&self, response: VoteResponse, reason: String) -> Result<VoteResponse, HttpError> {
        let id = response.id.clone();
        let mut items = self
            .items
            .lock()
            .map_err(|_| HttpError::internal("review queue poisoned"))?;
        if !items.contains_key(&id) {
            self.append(&Line::Held {
                reason: reason.clone(),
                response: Box::new(response.clone()),
            })?;
            items.insert(
                id.clone(),
                Item {
                    reason,
                    response,
                    verdict: None,
                },
            );
        }
        items
            .get(&id)
            .map(view)
            .ok_or_else(|| HttpError::internal("held vote vanished from the review queue"))
    }

    /// The client's view of a held vote, if this queue holds it.
    pub fn view(&self, id: &str) -> Option<VoteResponse> {
        self.items.lock().ok()?.get(id).map(view)
    }

    /// The full held responses still waiting for a verdict (for reviewers).
    pub fn pending(&self) -> Vec<(String, VoteResponse)> {
        self.items.lock().map_or_else(
            |_| Vec::new(),
            |items| {
                items
                    .values()
                    .filter(|i| i.verdict.is_none())
                    .map(|i| (i.reason.clone(), i.response.clone()))
                    .collect()
            },
        )
    }

    /// One held vote in full (for a reviewer), with its reason.
    pub fn full(&self, id: &str) -> Option<(String, VoteResponse)> {
        let items = self.items.lock().ok()?;
        items
            .get(id)
            .map(|i| (i.reason.clone(), i.response.clone()))
    }

    /// Records a reviewer's verdict; returns the client's view after it.
    pub fn decide(&self, id: &str, verdict: Verdict) -> Result<VoteResponse, HttpError> {
        let forbidden = |m: &str| {
            HttpError::new(
                StatusCode::FORBIDDEN,
                "permission_error",
                "not_a_reviewer",
                m,
            )
        };
        if !self
            .policy
            .reviewers
            .iter()
            .any(|r| r.eq_ignore_ascii_case(&verdict.reviewer))
        {
            return Err(forbidden(
                "this key is not one of the node's reviewers (`[review] reviewers` in node.toml)",
            ));
        }
        let key = parse_key(&verdict.reviewer).map_err(|_| {
            HttpError::unprocessable("invalid_reviewer", "bad reviewer key").with_param("reviewer")
        })?;
        let sig = hex::decode(&verdict.signature)
            .ok()
            .and_then(|b| ed25519::Signature::decode(Bytes::from(b)).ok())
            .ok_or_else(|| {
                HttpError::unprocessable("invalid_signature", "signature is not 64 hex bytes")
                    .with_param("signature")
            })?;
        if !key.verify(
            BYZVOTE_REVIEW,
            &verdict_message(id, verdict.approve, &verdict.note),
            &sig,
        ) {
            return Err(forbidden(
                "the signature does not verify for this vote id, verdict and note",
            ));
        }
        let mut items = self
            .items
            .lock()
            .map_err(|_| HttpError::internal("review queue poisoned"))?;
        let Some(item) = items.get_mut(id) else {
            return Err(HttpError::not_found(
                "review_not_found",
                format!("no vote {id} is held for review on this node"),
            ));
        };
        if item.verdict.is_some() {
            return Err(HttpError::new(
                StatusCode::CONFLICT,
                "invalid_request_error",
                "already_reviewed",
                format!("vote {id} already has a verdict"),
            ));
        }
        self.append(&Line::Decided {
            id: id.to_string(),
            verdict: verdict.clone(),
        })?;
        item.verdict = Some(verdict);
        Ok(view(item))
    }
}

fn parse_key(hex_key: &str) -> Result<ed25519::PublicKey, ()> {
    let bytes = hex::decode(hex_key).map_err(|_| ())?;
    ed25519::PublicKey::decode(Bytes::from(bytes)).map_err(|_| ())
}

/// What the client sees: pending → votes without answer or certificate; approved → everything
/// and the verdict; rejected → the verdict, never the answer.
fn view(item: &Item) -> VoteResponse {
    let mut r = item.response.clone();
    let (verdict, reviewer, signature, note) = match &item.verdict {
        None => ("pending", None, None, None),
        Some(v) => (
            if v.approve { "approved" } else { "rejected" },
            Some(v.reviewer.clone()),
            Some(v.signature.clone()),
            Some(v.note.clone()),
        ),
    };
    r.review = Some(ReviewState {
        verdict: verdict.into(),
        reason: item.reason.clone(),
        reviewer,
        signature,
        note,
    });
    match verdict {
        "approved" => {}
        "rejected" => {
            r.status = VoteStatus::Rejected;
            r.answer = None;
            r.certificate = None;
            r.attestation = None;
            for v in &mut r.votes {
                v.class = None;
            }
        }
        _ => {
            r.status = VoteStatus::PendingReview;
            r.answer = None;
            r.certificate = None;
            r.attestation = None;
            for v in &mut r.votes {
                v.class = None;
            }
        }
    }
    r
}
