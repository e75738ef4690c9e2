//! The HTTP API's view of a node: submit, wait, and describe the result.

use super::config::PeerFile;
use crate::chain::types::PublicKey;
use crate::node::Handle;
use crate::protocol::results::{Decided, Wait};
use crate::quick::{QuickDecision, QuickHandle};
use byzvote_api::types::attestation::{Attestation, SignedAnswer};
use byzvote_api::{
    Certificate, ClusterInfo, Gateway, GatewayError, MemberInfo, MemberStatus, MemberVote,
    VoteResponse,
};
use byzvote_core::{Bounds, Digest, Request};
use commonware_codec::DecodeExt as _;
use commonware_codec::Encode as _;
use commonware_p2p::Sender;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct NodeGateway<S> {
    handle: Mutex<Handle<S>>,
    /// Tiers 1 and 2: asked directly, no consensus round.
    quick: Option<QuickHandle>,
    info: ClusterInfo,
    /// The group public key, encoded once (see `Certificate::with_encoded`).
    group_key: Vec<u8>,
    /// Longest a client waits for a decision (the vote's hard deadline plus margin).
    deadline: Duration,
    n: u32,
    /// What each client key has spent across the cluster (read without the handle's lock).
    ledger: crate::protocol::ledger::Ledger,
    /// The runtime's metrics in the Prometheus text format (`GET /metrics`).
    metrics: Option<Box<dyn Fn() -> String + Send + Sync>>,
}

impl<S: Sender<PublicKey = PublicKey> + Clone> NodeGateway<S> {
    pub fn new(
        handle: Handle<S>,
        quick: Option<QuickHandle>,
        name: &str,
        peers: &[PeerFile],
        deadline: Duration,
    ) -> Self {
        let group_public_key = byzvote_dkg::threshold::key_to_hex(&handle.group_key);
        let group_key = commonware_codec::Encode::encode(&handle.group_key).to_vec();
        // Members are indexed by sorted public key, like the protocol's member ids.
        let members = handle
            .participants
            .iter()
            .enumerate()
            .map(|(i, pk)| {
                let hex_key = hex::encode(commonware_codec::Encode::encode(pk));
                let peer = peers.iter().find(|p| p.public_key == hex_key);
                MemberInfo {
                    index: i as u32,
                    name: peer.map_or_else(|| format!("member-{i}"), |p| p.name.clone()),
                    vendor: peer.map(|p| p.vendor.clone()).unwrap_or_default(),
                    model: peer.map(|p| p.model.clone()).unwrap_or_default(),
                    public_key: hex_key,
                }
            })
            .collect();
        let n = handle.participants.len() as u32;
        let ledger = handle.ledger.clone();
        Self {
            ledger,
            handle: Mutex::new(handle),
            quick,
            info: ClusterInfo {
                node: name.to_string(),
                group_public_key,
                members,
            },
            group_key,
            deadline,
            n,
            metrics: None,
        }
    }

    /// Serves `encode` (the runtime's metrics) on `GET /metrics`.
    pub fn with_metrics(mut self, encode: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.metrics = Some(Box::new(encode));
        self
    }

    fn response(&self, decided: &Decided, latency: Duration) -> VoteResponse {
        let record = &decided.record;
        let votes = record
            .committee
            .iter()
            .map(|&m| {
                let info = self.info.members.get(m as usize);
                let meta = decided.meta.get(&m);
                let mut status = MemberStatus::from_record(record, m);
                let class = decided.revealed.get(&m).cloned();
                if status == MemberStatus::Silent && class.is_some() {
                    status = MemberStatus::Invalid; // revealed, but not counted: a bad reveal
                }
                MemberVote {
                    member: m,
                    name: info.map(|i| i.name.clone()).unwrap_or_default(),
                    vendor: info.map(|i| i.vendor.clone()).unwrap_or_default(),
                    model: meta
                        .map(|x| x.model.clone())
                        .or_else(|| info.map(|i| i.model.clone()))
                        .unwrap_or_default(),
                    status,
                    class,
                    latency_ms: meta.map(|x| x.latency_ms),
                    prompt_tokens: meta.map(|x| u64::from(x.prompt_tokens)),
                    completion_tokens: meta.map(|x| u64::from(x.completion_tokens)),
                    cost_usd: meta.map_or(0.0, |x| x.cost_micro_usd as f64 / 1e6),
                    confidence: meta.and_then(|x| x.confidence()),
                }
            })
            .collect();
        let certificate = Certificate::with_encoded(
            &self.group_key,
            &decided.signature,
            record.clone(),
            &decided.proof,
        );
        VoteResponse::decided(certificate, votes, latency.as_millis() as u64)
    }
}

impl<S> NodeGateway<S> {
    /// The response of a quick (tier 1-2) decision: the serving node's attestation instead of
    /// a threshold certificate.
    fn quick_response(&self, d: &QuickDecision, latency: Duration) -> VoteResponse {
        let record = &d.record;
        let key = |m: u32| {
            self.info
                .members
                .get(m as usize)
                .map(|i| i.public_key.clone())
                .unwrap_or_default()
        };
        let votes = record
            .committee
            .iter()
            .map(|&m| {
                let info = self.info.members.get(m as usize);
                let a = d.answers.get(&m);
                MemberVote {
                    member: m,
                    name: info.map(|i| i.name.clone()).unwrap_or_default(),
                    vendor: info.map(|i| i.vendor.clone()).unwrap_or_default(),
                    model: a
                        .map(|a| a.meta.model.clone())
                        .or_else(|| info.map(|i| i.model.clone()))
                        .unwrap_or_default(),
                    status: MemberStatus::from_record(record, m),
                    class: a.map(|a| a.answer.clone()),
                    latency_ms: a.map(|a| a.meta.latency_ms),
                    prompt_tokens: a.map(|a| u64::from(a.meta.prompt_tokens)),
                    completion_tokens: a.map(|a| u64::from(a.meta.completion_tokens)),
                    cost_usd: a.map_or(0.0, |a| a.meta.cost_micro_usd as f64 / 1e6),
                    confidence: a.and_then(|a| a.meta.confidence()),
                }
            })
            .collect::<Vec<_>>();
        let encoded = record.encode();
        let attestation = Attestation {
            node: d.signer,
            public_key: key(d.signer),
            signature: hex::encode(d.signature.encode()),
            record_hex: hex::encode(&encoded),
            record: record.clone(),
            answers: d
                .answers
                .iter()
                .map(|(&m, a)| SignedAnswer {
                    member: m,
                    public_key: key(m),
                    answer: a.answer.clone(),
                    signed_hex: hex::encode(a.encode()),
                })
                .collect(),
        };
        VoteResponse::attested(attestation, votes, latency.as_millis() as u64)
    }
}

#[async_trait::async_trait]
impl<S: Sender<PublicKey = PublicKey> + Clone + Sync> Gateway for NodeGateway<S> {
    async fn submit(&self, request: Request) -> Result<VoteResponse, GatewayError> {
        let started = Instant::now();
        let m = Bounds::for_tier(request.tier)
            .map_err(|e| GatewayError::Rejected {
                param: Some("tier".into()),
                message: e.to_string(),
            })?
            .n();
        if m > self.n {
            return Err(GatewayError::Rejected {
                param: Some("tier".into()),
                message: format!(
                    "tier {} needs {m} coordinators but this cluster has {}; use a lower tier",
                    request.tier, self.n
                ),
            });
        }
        if request.tier <= 2
            && let Some(quick) = &self.quick
        {
            let id = request.id();
            return match tokio::time::timeout(self.deadline, quick.ask(request)).await {
                Ok(Ok(Ok(d))) => Ok(self.quick_response(&d, started.elapsed())),
                Ok(Ok(Err(e @ crate::quick::QuickError::RateLimited { .. }))) => {
                    Err(GatewayError::Overloaded(e.to_string()))
                }
                Ok(Ok(Err(e))) => Err(GatewayError::Unavailable(e.to_string())),
                Ok(Err(_)) => Err(GatewayError::Unavailable(
                    "the node is shutting down".into(),
                )),
                Err(_) => Err(GatewayError::DeadlineExceeded {
                    id: hex::encode(id.as_ref()),
                    deadline: self.deadline,
                }),
            };
        }
        let id = request.id();
        let wait = self
            .handle
            .lock()
            .map_err(|_| GatewayError::Internal("node state poisoned".into()))?
            .submit(request);
        let decided = match wait {
            Wait::Done(d) => *d,
            Wait::Refused(reason) => {
                return Err(GatewayError::Rejected {
                    param: None,
                    message: reason,
                });
            }
            Wait::Retired => {
                return Err(GatewayError::Retired {
                    id: hex::encode(id.as_ref()),
                });
            }
            Wait::Pending(rx) => match tokio::time::timeout(self.deadline, rx).await {
                Ok(Ok(d)) => d,
                Ok(Err(_)) => {
                    return Err(GatewayError::Unavailable(
                        "the node is shutting down".into(),
                    ));
                }
                Err(_) => {
                    return Err(GatewayError::DeadlineExceeded {
                        id: hex::encode(id.as_ref()),
                        deadline: self.deadline,
                    });
                }
            },
        };
        Ok(self.response(&decided, started.elapsed()))
    }

    async fn get(&self, id: &str) -> Result<Option<VoteResponse>, GatewayError> {
        let bytes = hex::decode(id).map_err(|_| GatewayError::Rejected {
            param: Some("id".into()),
            message: "a vote id is 64 hex characters".into(),
        })?;
        let digest =
            Digest::decode(bytes::Bytes::from(bytes)).map_err(|_| GatewayError::Rejected {
                param: Some("id".into()),
                message: "a vote id is 64 hex characters".into(),
            })?;
        let results = self
            .handle
            .lock()
            .map(|h| h.results.clone())
            .map_err(|_| GatewayError::Internal("poisoned".into()))?;
        if let Some(d) = results.get(&digest) {
            return Ok(Some(self.response(&d, Duration::ZERO)));
        }
        if results.is_retired(&digest) {
            return Err(GatewayError::Retired {
                id: hex::encode(digest.as_ref()),
            });
        }
        match &self.quick {
            Some(q) => Ok(q
                .get(digest)
                .await
                .ok()
                .flatten()
                .map(|d| self.quick_response(&d, Duration::ZERO))),
            None => Ok(None),
        }
    }

    fn info(&self) -> ClusterInfo {
        self.info.clone()
    }

    fn members(&self) -> usize {
        self.info.members.len()
    }

    /// Puts the verdict on the chain (signed by this node), where a failure lowers the
    /// supporters' reputation on every node alike. Quick-tier votes are not on the chain, so
    /// their verdicts stay in the verifier's log only.
    fn verdict(&self, id: &str, passed: bool, verifier: &str) {
        let Ok(bytes) = hex::decode(id) else {
            return;
        };
        let Ok(digest) = Digest::decode(bytes::Bytes::from(bytes)) else {
            return;
        };
        let Ok(mut handle) = self.handle.lock() else {
            return;
        };
        if handle.results.get(&digest).is_some() {
            handle.submit_verdict(digest, passed, verifier);
        }
    }

    fn timings(&self, reset: bool) -> Option<serde_json::Value> {
        let timings = self.handle.lock().ok()?.timings.clone();
        if !timings.is_enabled() {
            return None;
        }
        let snapshot = timings.snapshot();
        if reset {
            timings.reset();
        }
        serde_json::to_value(snapshot).ok()
    }

    fn metrics(&self) -> Option<String> {
        self.metrics.as_ref().map(|encode| encode())
    }
}

/// Dollars to the ledger's micro-dollars (negative and NaN: 0; `as` saturates the rest).
fn micro(usd: f64) -> u64 {
    if usd > 0.0 {
        (usd * 1e6).round() as u64
    } else {
        0
    }
}

fn key_hash(hex_hash: &str) -> Option<crate::protocol::charge::KeyHash> {
    hex::decode(hex_hash).ok()?.try_into().ok()
}

/// Budgets across the cluster: a vote's cost is charged through the chain (see
/// `protocol::spend`), and a key's spend is the ordered charges plus this node's own not yet
/// ordered.
impl<S: Sender<PublicKey = PublicKey> + Clone + Sync> byzvote_api::keys::SpendLedger
    for NodeGateway<S>
{
    fn spent_usd(&self, key_hash_hex: &str, budget_usd: f64) -> f64 {
        key_hash(key_hash_hex).map_or(0.0, |k| {
            self.ledger.spent(&k, micro(budget_usd)) as f64 / 1e6
        })
    }

    fn charge(&self, key_hash_hex: &str, request_id: &str, cost_usd: f64) {
        let (Some(key), Ok(id)) = (key_hash(key_hash_hex), hex::decode(request_id)) else {
            return;
        };
        let Ok(request) = Digest::decode(bytes::Bytes::from(id)) else {
            return;
        };
        let cost = micro(cost_usd);
        if cost == 0 {
            return;
        }
        if let Ok(mut handle) = self.handle.lock() {
            handle.submit_charge(key, request, cost);
        }
    }
}
