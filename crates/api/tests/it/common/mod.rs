//! A fake gateway and a real listener on 127.0.0.1:0 for the HTTP tests.

use async_trait::async_trait;
use byzvote_api::{
    ClusterInfo, Gateway, GatewayError, MemberInfo, MemberStatus, MemberVote, Outcome,
    ServerConfig, VoteResponse, VoteStatus, core_types::Request, router, serve,
};
use std::{collections::HashMap, sync::Arc, sync::Mutex, time::Duration};
use tokio::net::TcpListener;

/// Every verdict the gateways of this test binary were told (vote id, passed, verifier).
#[allow(dead_code)]
pub static VERDICTS: Mutex<Vec<(String, bool, String)>> = Mutex::new(Vec::new());

/// Answers by the prompt: `panic` panics, `hang` never answers, `late` fails with a deadline,
/// `pending` is not decided yet, `split` has no agreement; anything else is agreed upon, upper-cased.
#[derive(Default)]
pub struct FakeGateway {
    votes: Mutex<HashMap<String, VoteResponse>>,
}

pub fn prompt_of(request: &Request) -> String {
    request
        .messages
        .last()
        .map(|m| m.content.clone())
        .unwrap_or_default()
}

fn response(id: String, answer: Option<String>, mode: String, tier: u8) -> VoteResponse {
    let votes = (0..4)
        .map(|i| MemberVote {
            member: i,
            name: format!("node-{i}"),
            vendor: "builtin".into(),
            model: format!("model-{i}"),
            status: if i < 3 {
                MemberStatus::Agreed
            } else {
                MemberStatus::Silent
            },
            class: if i < 3 { answer.clone() } else { None },
            latency_ms: if i < 3 { Some(10 + u64::from(i)) } else { None },
            prompt_tokens: Some(5),
            completion_tokens: Some(2),
            cost_usd: 0.0,
            confidence: None,
        })
        .collect();
    VoteResponse {
        id,
        status: VoteStatus::Decided,
        outcome: Some(if answer.is_some() {
            Outcome::Agreed
        } else {
            Outcome::NoAgreement
        }),
        answer,
        mode,
        tier,
        votes,
        cost_usd: 0.0,
        latency_ms: 12,
        certificate: None,
        confidence: None,
        attestation: None,
        route: None,
        masked: Default::default(),
        review: None,
        verification: None,
    }
}

#[async_trait]
impl Gateway for FakeGateway {
    async fn submit(&self, request: Request) -> Result<VoteResponse, GatewayError> {
        let prompt = prompt_of(&request);
        let id = format!(
            "{:064x}",
            prompt.len() as u64 * 1_000_003 + request.client_nonce
        );
        let mode = request.mode.to_string();
        let mut vote = match prompt.as_str() {
            "panic" => panic!("the fake gateway was asked to panic"),
            "hang" => std::future::pending().await,
            "late" => {
                return Err(GatewayError::DeadlineExceeded {
                    id,
                    deadline: Duration::from_secs(30),
                });
            }
            "old" => return Err(GatewayError::Retired { id }),
            "split" => response(id.clone(), None, mode, request.tier),
            other => response(id.clone(), Some(other.to_uppercase()), mode, request.tier),
        };
        if prompt == "unsure" {
            // The models are unsure below tier 3 (0.3), sure at tier 3 (0.9).
            let c = if request.tier < 3 { 0.3 } else { 0.9 };
            for v in vote.votes.iter_mut().filter(|v| v.class.is_some()) {
                v.confidence = Some(c);
            }
            vote.confidence = byzvote_api::types::Confidence::of(&vote.votes);
        }
        if prompt == "pending" {
            vote.status = VoteStatus::Pending;
            vote.outcome = None;
            vote.answer = None;
        }
        self.votes.lock().unwrap().insert(id, vote.clone());
        Ok(vote)
    }

    async fn get(&self, id: &str) -> Result<Option<VoteResponse>, GatewayError> {
        Ok(self.votes.lock().unwrap().get(id).cloned())
    }

    fn verdict(&self, id: &str, passed: bool, verifier: &str) {
        VERDICTS
            .lock()
            .unwrap()
            .push((id.to_string(), passed, verifier.to_string()));
    }

    fn info(&self) -> ClusterInfo {
        ClusterInfo {
            node: "node-0".into(),
            group_public_key: "ab".repeat(48),
            members: (0..4)
                .map(|i| MemberInfo {
                    index: i,
                    name: format!("node-{i}"),
                    vendor: "builtin".into(),
                    model: format!("model-{i}"),
                    public_key: "cd".repeat(32),
                })
                .collect(),
        }
    }
}

/// Serves a fake gateway on 127.0.0.1:0; returns the base URL.
pub async fn start(config: ServerConfig) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(Arc::new(FakeGateway::default()), config);
    tokio::spawn(serve(listener, app, std::future::pending()));
    format!("http://{addr}")
}
