//! The OpenAI-compatible API over a real listener: completions, streaming, models, routing and
//! escalation, and every refusal in the OpenAI error shape.

use crate::common;

use byzvote_api::{
    ApiError, ServerConfig,
    openai::types::{ChatCompletion, Chunk, ModelList},
};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn post(base: &str, body: Value) -> (StatusCode, String) {
    let resp = reqwest::Client::new()
        .post(format!("{base}/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

async fn get_json<T: serde::de::DeserializeOwned>(url: &str) -> T {
    let text = reqwest::get(url).await.unwrap().text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn chat(model: &str, text: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": text}]})
}

async fn expect_error(base: &str, body: Value, status: StatusCode, code: &str, param: &str) {
    let (got, text) = post(base, body.clone()).await;
    assert_eq!(got, status, "{body} answered {text}");
    let e: ApiError = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(e.error.code.as_deref(), Some(code), "{text}");
    assert_eq!(e.error.param.as_deref(), Some(param), "{text}");
}

#[tokio::test]
async fn a_completion_carries_the_agreed_answer_and_the_vote() {
    let base = common::start(ServerConfig::default()).await;
    let (status, text) = post(&base, chat("byzvote-tier3", "paris")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let c: ChatCompletion = serde_json::from_str(&text).unwrap();
    assert_eq!(c.object, "chat.completion");
    assert_eq!(c.model, "byzvote-tier3");
    assert_eq!(c.choices.len(), 1);
    assert_eq!(c.choices[0].message.content.as_deref(), Some("PARIS"));
    assert_eq!(c.choices[0].message.refusal, None);
    assert_eq!(c.id, format!("chatcmpl-{}", c.byzvote.id));
    assert_eq!(c.byzvote.tier, 3);
    // 4 members × 5 prompt tokens, 4 × 2 completion tokens in the fake.
    assert_eq!(
        (
            c.usage.prompt_tokens,
            c.usage.completion_tokens,
            c.usage.total_tokens
        ),
        (20, 8, 28)
    );
    let raw: Value = serde_json::from_str(&text).unwrap();
    assert!(raw["byzvote"]["votes"].is_array(), "{raw}");
}

#[tokio::test]
async fn no_agreement_is_a_refusal_never_content() {
    let base = common::start(ServerConfig::default()).await;
    let (status, text) = post(&base, chat("byzvote", "split")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let c: ChatCompletion = serde_json::from_str(&text).unwrap();
    assert_eq!(c.choices[0].message.content, None);
    let refusal = c.choices[0].message.refusal.clone().unwrap();
    assert!(refusal.contains("no agreement"), "{refusal}");
}

#[tokio::test]
async fn options_and_content_parts_reach_the_vote() {
    let base = common::start(ServerConfig::default()).await;
    let body = json!({
        "model": "byzvote-tier2",
        "messages": [
            {"role": "developer", "content": "Answer yes or no."},
            {"role": "user", "content": [{"type": "text", "text": "yes"}]}
        ],
        "temperature": 0.2, "top_p": 1, "user": "alice", "seed": 7, "n": 1,
        "byzvote": {"mode": "class:yes,no", "client_nonce": 9}
    });
    let (status, text) = post(&base, body).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let c: ChatCompletion = serde_json::from_str(&text).unwrap();
    assert_eq!(c.byzvote.mode, "class:yes,no");
    assert_eq!(c.byzvote.tier, 2);
    let body = json!({
        "model": "byzvote", "messages": [{"role": "user", "content": "{\"a\":1}"}],
        "response_format": {"type": "json_object"}
    });
    let (_, text) = post(&base, body).await;
    let c: ChatCompletion = serde_json::from_str(&text).unwrap();
    assert_eq!(c.byzvote.mode, "json");
}

#[tokio::test]
async fn auto_routes_by_risk_and_escalates_a_split() {
    let base = common::start(ServerConfig::default()).await;
    let (_, text) = post(&base, chat("byzvote-auto", "What is the capital of Peru?")).await;
    let c: ChatCompletion = serde_json::from_str(&text).unwrap();
    let route = c.byzvote.route.clone().expect("auto names its route");
    assert_eq!((route.tier, c.byzvote.tier), (2, 2), "{route:?}");
    let (_, text) = post(&base, chat("byzvote-auto", "Which mortgage should I take?")).await;
    let c: ChatCompletion = serde_json::from_str(&text).unwrap();
    assert_eq!(c.byzvote.tier, 3);
    assert!(c.byzvote.route.unwrap().reasons[0].contains("finance"));
    // A tier-2 split goes up to tier 3, the largest a cluster of 4 has, and stops there.
    let (_, text) = post(&base, chat("byzvote-auto", "split")).await;
    let c: ChatCompletion = serde_json::from_str(&text).unwrap();
    let route = c.byzvote.route.clone().unwrap();
    assert_eq!(route.escalated_from, vec![2], "{route:?}");
    assert_eq!(c.byzvote.tier, 3);
    // Explicit tiers are the client's choice: never escalated.
    let (_, text) = post(&base, chat("byzvote-tier2", "split")).await;
    let c: ChatCompletion = serde_json::from_str(&text).unwrap();
    assert_eq!((c.byzvote.tier, c.byzvote.route), (2, None));
}

/// An agreed answer whose models were unsure (below the router's confidence floor) goes one
/// tier up, and the route says why; with no floor configured it is answered as is.
#[tokio::test]
async fn auto_escalates_an_agreed_answer_below_the_confidence_floor() {
    let mut config = ServerConfig::default();
    config.router.confidence_floor = Some(0.5);
    let base = common::start(config).await;
    let (_, text) = post(&base, chat("byzvote-auto", "unsure")).await;
    let c: ChatCompletion = serde_json::from_str(&text).unwrap();
    let route = c.byzvote.route.clone().unwrap();
    assert_eq!(route.escalated_from, vec![2], "{route:?}");
    assert!(
        route.reasons.iter().any(|r| r.contains("below the floor")),
        "{route:?}"
    );
    assert_eq!(c.byzvote.tier, 3);
    assert_eq!(c.byzvote.confidence.unwrap().min, 0.9);

    let base = common::start(ServerConfig::default()).await;
    let (_, text) = post(&base, chat("byzvote-auto", "unsure")).await;
    let c: ChatCompletion = serde_json::from_str(&text).unwrap();
    assert_eq!(c.byzvote.tier, 2, "no floor, no escalation");
    assert_eq!(c.byzvote.confidence.unwrap().min, 0.3);
}

#[tokio::test]
async fn streaming_sends_the_answer_then_the_certificate_then_done() {
    let base = common::start(ServerConfig::default()).await;
    let mut body = chat("byzvote-tier3", "paris");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let resp = reqwest::Client::new()
        .post(format!("{base}/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/event-stream"), "{ct}");
    let text = resp.text().await.unwrap();
    let data: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect();
    assert_eq!(data.last(), Some(&"[DONE]"), "{text}");
    let chunks: Vec<Chunk> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap_or_else(|e| panic!("{e}: {d}")))
        .collect();
    assert_eq!(chunks.len(), 4, "{text}");
    assert_eq!(
        chunks[0].choices[0].delta.role.as_deref(),
        Some("assistant")
    );
    let answer: String = chunks
        .iter()
        .flat_map(|c| c.choices.iter())
        .filter_map(|c| c.delta.content.clone())
        .collect();
    assert_eq!(answer, "PARIS");
    assert_eq!(chunks[2].choices[0].finish_reason.as_deref(), Some("stop"));
    assert!(chunks[3].choices.is_empty());
    assert_eq!(chunks[3].usage.map(|u| u.total_tokens), Some(28));
    assert!(chunks[..3].iter().all(|c| c.byzvote.is_none()));
    assert_eq!(
        chunks[3].byzvote.as_ref().and_then(|v| v.answer.clone()),
        Some("PARIS".into())
    );
}

#[tokio::test]
async fn a_failure_after_the_stream_started_is_an_error_event() {
    let base = common::start(ServerConfig::default()).await;
    let mut body = chat("byzvote", "late");
    body["stream"] = json!(true);
    let (status, text) = post(&base, body).await;
    assert_eq!(status, StatusCode::OK);
    let data: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect();
    assert_eq!(data.len(), 2, "{text}");
    let e: ApiError = serde_json::from_str(data[0]).unwrap();
    assert_eq!(e.error.code.as_deref(), Some("deadline_exceeded"));
    assert_eq!(data[1], "[DONE]");
}

#[tokio::test]
async fn models_lists_the_tiers_this_cluster_can_serve() {
    let base = common::start(ServerConfig::default()).await;
    let list: ModelList = get_json(&format!("{base}/v1/models")).await;
    let ids: Vec<&str> = list.data.iter().map(|m| m.id.as_str()).collect();
    // The fake cluster has 4 members: tiers 4 and 5 need 7 and 10.
    assert_eq!(
        ids,
        [
            "byzvote",
            "byzvote-auto",
            "byzvote-tier1",
            "byzvote-tier2",
            "byzvote-tier3"
        ]
    );
}

#[tokio::test]
async fn refusals_name_the_field() {
    let base = common::start(ServerConfig::default()).await;
    let nf = StatusCode::NOT_FOUND;
    let un = StatusCode::UNPROCESSABLE_ENTITY;
    expect_error(&base, chat("gpt-4o", "x"), nf, "model_not_found", "model").await;
    expect_error(
        &base,
        chat("byzvote-tier9", "x"),
        nf,
        "model_not_found",
        "model",
    )
    .await;
    let mut b = chat("byzvote", "x");
    b["n"] = json!(2);
    expect_error(&base, b, un, "unsupported_parameter", "n").await;
    let mut b = chat("byzvote", "x");
    b["tools"] = json!([{"type": "function", "function": {"name": "f"}}]);
    expect_error(&base, b, un, "unsupported_parameter", "tools").await;
    let mut b = chat("byzvote", "x");
    b["logprobs"] = json!(true);
    expect_error(&base, b, un, "unsupported_parameter", "logprobs").await;
    let b = json!({"model": "byzvote", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "http://x"}}]}]});
    expect_error(
        &base,
        b,
        un,
        "unsupported_parameter",
        "messages[0].content[0]",
    )
    .await;
    let b = json!({"model": "byzvote", "messages": [{"role": "tool", "content": "x"}]});
    expect_error(&base, b, un, "unsupported_parameter", "messages[0].role").await;
    let b = json!({"model": "byzvote", "messages": [{"role": "user", "content": "  "}]});
    expect_error(&base, b, un, "empty_prompt", "messages").await;
    let b = json!({"model": "byzvote", "messages": [{"role": "user", "content": "x"}],
        "byzvote": {"mode": "fuzzy"}});
    expect_error(&base, b, un, "unknown_mode", "mode").await;
    let b = json!({"model": "byzvote", "messages": [{"role": "user", "content": "x"}],
        "byzvote": {"mdoe": "json"}});
    let (status, text) = post(&base, b).await;
    assert_eq!(status, un, "{text}");
    assert!(text.contains("mdoe"), "{text}");
    let b = json!({"messages": [{"role": "user", "content": "x"}]});
    let (status, text) = post(&base, b).await;
    assert_eq!(status, un, "{text}");
    assert!(text.contains("model"), "{text}");
}

#[tokio::test]
async fn the_openapi_document_names_every_route() {
    let base = common::start(ServerConfig::default()).await;
    let doc: Value = get_json(&format!("{base}/openapi.json")).await;
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/v1/votes",
        "/v1/votes/{id}",
        "/v1/chat/completions",
        "/v1/models",
        "/v1/cluster",
        "/healthz",
        "/metrics",
        "/openapi.json",
        "/v1/reviews",
        "/v1/reviews/{id}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    // Every field a VoteRequest can carry is documented.
    let req = byzvote_api::VoteRequest {
        importance: Some(byzvote_core::route::Importance::High),
        budget_usd: Some(1.0),
        deadline_ms: Some(1),
        max_tokens: Some(1),
        client_nonce: Some(1),
        ..byzvote_api::VoteRequest::prompt("x")
    };
    let props = &doc["components"]["schemas"]["VoteRequest"]["properties"];
    for key in serde_json::to_value(&req)
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
    {
        assert!(
            props[key].is_object(),
            "VoteRequest.{key} is not in openapi.json"
        );
    }
    // Every field of a certificate, its batch proof's too, is documented and required.
    let cert = byzvote_api::Certificate {
        scheme: String::new(),
        ciphersuite: String::new(),
        group_public_key: String::new(),
        signature: String::new(),
        namespace: String::new(),
        signed_message: String::new(),
        record: byzvote_core::DecisionRecord {
            request: byzvote_core::Digest::from([0u8; 32]),
            tier: 3,
            mode: byzvote_core::Mode::Exact,
            committee: vec![0],
            outcome: byzvote_core::OutcomeKind::Agreed,
            answer: Some("4".into()),
            answer_digest: Some(byzvote_core::answer_digest("4")),
            supporters: vec![0],
            dissenters: vec![],
            silent: vec![],
            height: 1,
            epoch: 0,
            aggregation: None,
            cosines: None,
            pick: None,
        },
        record_bytes: String::new(),
        batch: byzvote_api::types::certificate::BatchProof {
            root: String::new(),
            index: 0,
            leaves: 1,
            siblings: Vec::new(),
        },
    };
    let schema = &doc["components"]["schemas"]["Certificate"];
    let json = serde_json::to_value(&cert).unwrap();
    for (object, schema) in [
        (&json, schema),
        (&json["batch"], &schema["properties"]["batch"]),
    ] {
        let keys: Vec<&String> = object.as_object().unwrap().keys().collect();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        for key in keys {
            assert!(
                schema["properties"][key.as_str()].is_object() && required.contains(&key.as_str()),
                "certificate field {key} is not documented as required in openapi.json"
            );
        }
    }
}
