//! Ask over HTTP, receive a real threshold certificate, verify it offline: the path of
//! `byzvote ask --json > FILE && byzvote verify FILE`, with a fake node that signs like a real one.

use crate::{
    ClientError, ClusterInfo, Gateway, GatewayError, MemberStatus, MemberVote, ServerConfig,
    VoteRequest, VoteResponse,
    cli::{AskOptions, VerifyMainError, ask_main, verify_main},
    consistency::ResponseError,
    core_types::{DecisionRecord, Request},
    testing::{certificate, record},
};
use async_trait::async_trait;
use std::sync::Arc;

/// Signs a record whose request id is the real request's id and whose answer is the prompt; a
/// liar changes the answer outside the certificate, or certifies another request.
#[derive(Clone, Copy, PartialEq)]
enum SigningGateway {
    Honest,
    ChangesTheAnswer,
    AnswersAnotherRequest,
}

#[async_trait]
impl Gateway for SigningGateway {
    async fn submit(&self, request: Request) -> Result<VoteResponse, GatewayError> {
        let prompt = request
            .messages
            .last()
            .map(|m| m.content.clone())
            .unwrap_or_default();
        let mut r: DecisionRecord = record(&prompt);
        r.request = request.id();
        if *self == SigningGateway::AnswersAnotherRequest {
            r.request.0[0] ^= 1;
        }
        r.mode = request.mode.clone();
        let cert = certificate(11, r);
        let votes = (0..4)
            .map(|m| MemberVote {
                member: m,
                name: format!("node-{m}"),
                vendor: "builtin".into(),
                model: "echo".into(),
                status: MemberStatus::from_record(&cert.record, m),
                class: None,
                latency_ms: Some(1),
                prompt_tokens: None,
                completion_tokens: None,
                cost_usd: 0.0,
                confidence: None,
            })
            .collect();
        let mut response = VoteResponse::decided(cert, votes, 3);
        if *self == SigningGateway::ChangesTheAnswer {
            response.answer = Some("Buy now.".into());
        }
        Ok(response)
    }

    async fn get(&self, _id: &str) -> Result<Option<VoteResponse>, GatewayError> {
        Ok(None)
    }

    fn info(&self) -> ClusterInfo {
        ClusterInfo {
            node: "node-0".into(),
            group_public_key: certificate(11, record("x")).group_public_key,
            members: vec![],
        }
    }
}

async fn start(gateway: SigningGateway) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = crate::router(Arc::new(gateway), ServerConfig::default());
    tokio::spawn(crate::serve(listener, app, std::future::pending()));
    base
}

fn options(endpoint: &str, json: bool) -> AskOptions {
    AskOptions {
        endpoint: endpoint.to_string(),
        json,
        ..AskOptions::default()
    }
}

#[tokio::test]
async fn ask_then_verify_the_saved_response() {
    let base = start(SigningGateway::Honest).await;
    let request = VoteRequest::prompt("The answer is 42.");
    let out = ask_main(&request, &options(&base, true)).await.unwrap();
    assert!(out.agreed);
    assert!(out.verified.is_some());
    let group_key = crate::Client::new(&base)
        .unwrap()
        .cluster()
        .await
        .unwrap()
        .group_public_key;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("answer.json");
    std::fs::write(&file, &out.text).unwrap();
    let (text, verified) = verify_main(&file, Some(&group_key)).unwrap();
    assert_eq!(verified.record.answer.as_deref(), Some("The answer is 42."));
    assert!(text.contains("The answer is 42."), "{text}");

    // The same file with the response's answer changed by one byte is refused...
    let tampered = out
        .text
        .replacen("The answer is 42.", "The answer is 43.", 1);
    assert_ne!(tampered, out.text);
    std::fs::write(&file, &tampered).unwrap();
    let err = verify_main(&file, Some(&group_key)).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyMainError::Response(ResponseError::Mismatch {
                field: "answer",
                ..
            })
        ),
        "{err}"
    );
    // ...and so is the one with the certificate's answer changed too.
    let tampered = tampered.replace("The answer is 42.", "The answer is 43.");
    std::fs::write(&file, &tampered).unwrap();
    let err = verify_main(&file, Some(&group_key)).unwrap_err();
    assert!(err.to_string().starts_with("INVALID certificate"), "{err}");
}

#[tokio::test]
async fn a_lying_node_is_caught_by_the_client() {
    let request = VoteRequest::prompt("Is this safe?");
    let base = start(SigningGateway::ChangesTheAnswer).await;
    let err = ask_main(&request, &options(&base, false))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            ClientError::Untrusted {
                reason: ResponseError::Mismatch {
                    field: "answer",
                    ..
                },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("do not trust the answer"),
        "{err}"
    );
    let base = start(SigningGateway::AnswersAnotherRequest).await;
    let err = ask_main(&request, &options(&base, false))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            ClientError::Untrusted {
                reason: ResponseError::WrongRequest { .. },
                ..
            }
        ),
        "{err:?}"
    );
    // A trusted key that is not the signer's.
    let base = start(SigningGateway::Honest).await;
    let pinned = AskOptions {
        group_key: Some(certificate(12, record("x")).group_public_key),
        ..options(&base, false)
    };
    let err = ask_main(&request, &pinned).await.unwrap_err();
    assert!(err.to_string().contains("not the expected"), "{err}");
}
