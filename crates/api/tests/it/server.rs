//! The HTTP API over a real listener: every success path, and every bad input answered with a
//! 4xx/5xx JSON `ApiError`, never a plain-text body or a dropped connection.

use crate::common;

use byzvote_api::{ApiError, ClusterInfo, ServerConfig, VoteResponse, VoteStatus};
use reqwest::StatusCode;
use std::time::Duration;

async fn post_raw(
    base: &str,
    body: impl Into<reqwest::Body>,
    content_type: Option<&str>,
) -> (StatusCode, Vec<u8>) {
    let mut req = reqwest::Client::new()
        .post(format!("{base}/v1/votes"))
        .body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.bytes().await.unwrap().to_vec())
}

/// Posts `body` as JSON and expects an `ApiError` with `status` and `code`; returns it.
async fn expect_error(base: &str, body: &str, status: StatusCode, code: &str) -> ApiError {
    let (got, bytes) = post_raw(base, body.to_string(), Some("application/json")).await;
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(got, status, "body {body:?} answered {text}");
    let err: ApiError =
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("not an ApiError ({e}): {text}"));
    assert_eq!(err.error.code.as_deref(), Some(code), "{text}");
    assert!(!err.error.message.is_empty());
    err
}

#[tokio::test]
async fn vote_get_cluster_and_health() {
    let base = common::start(ServerConfig::default()).await;
    let (status, bytes) = post_raw(
        &base,
        r#"{"prompt": "paris", "mode": "class:paris,london", "client_nonce": 9}"#,
        Some("application/json"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let vote: VoteResponse = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(vote.answer.as_deref(), Some("PARIS"));
    assert_eq!(vote.mode, "class:paris,london");
    assert_eq!(vote.tier, 3);
    assert_eq!(vote.votes.len(), 4);

    let http = reqwest::Client::new();
    let got: VoteResponse = http
        .get(format!("{base}/v1/votes/{}", vote.id))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap();
    assert_eq!(got, vote);

    let info: ClusterInfo = http
        .get(format!("{base}/v1/cluster"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap();
    assert_eq!(info.members.len(), 4);

    let health = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn messages_and_curl_style_content_type_are_accepted() {
    let base = common::start(ServerConfig::default()).await;
    let body = r#"{"messages": [{"role": "system", "content": "Be brief."},
                                {"role": "user", "content": "hello"}], "tier": 3}"#;
    for ct in [None, Some("application/x-www-form-urlencoded")] {
        let (status, bytes) = post_raw(&base, body, ct).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
    }
}

#[tokio::test]
async fn pending_vote_is_202() {
    let base = common::start(ServerConfig::default()).await;
    let (status, bytes) = post_raw(&base, r#"{"prompt": "pending"}"#, None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let vote: VoteResponse = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(vote.status, VoteStatus::Pending);
}

#[tokio::test]
async fn malformed_json_is_400() {
    let base = common::start(ServerConfig::default()).await;
    expect_error(
        &base,
        r#"{"prompt": "x""#,
        StatusCode::BAD_REQUEST,
        "invalid_json",
    )
    .await;
    expect_error(
        &base,
        r#"{prompt: "x"}"#,
        StatusCode::BAD_REQUEST,
        "invalid_json",
    )
    .await;
    expect_error(
        &base,
        r#"{"prompt": "x"} trailing"#,
        StatusCode::BAD_REQUEST,
        "invalid_json",
    )
    .await;
    expect_error(&base, "", StatusCode::BAD_REQUEST, "empty_body").await;
}

#[tokio::test]
async fn wrong_types_missing_and_unknown_fields_are_422_naming_the_field() {
    let base = common::start(ServerConfig::default()).await;
    let e = expect_error(
        &base,
        r#"{"prompt": "x", "tier": "three"}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    assert_eq!(e.error.param.as_deref(), Some("tier"));
    assert!(e.error.message.contains("tier"), "{}", e.error.message);
    expect_error(
        &base,
        r#"{"prompt": "x", "tier": 300}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    expect_error(
        &base,
        r#"{"messages": [{"role": "user"}]}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    expect_error(
        &base,
        r#"{"messages": [{"role": "wizard", "content": "x"}]}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    let e = expect_error(
        &base,
        r#"{"prompt": "x", "mdoe": "json"}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    assert!(e.error.message.contains("mdoe"), "{}", e.error.message);
    expect_error(
        &base,
        "[1, 2]",
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    expect_error(
        &base,
        "{}",
        StatusCode::UNPROCESSABLE_ENTITY,
        "missing_prompt",
    )
    .await;
}

#[tokio::test]
async fn invalid_values_are_422_with_an_actionable_message() {
    let base = common::start(ServerConfig::default()).await;
    let e = expect_error(
        &base,
        r#"{"prompt": "x", "mode": "meaning:0.9"}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_mode",
    )
    .await;
    assert_eq!(e.error.param.as_deref(), Some("mode"));
    assert!(e.error.message.contains("exact"), "{}", e.error.message);
    expect_error(
        &base,
        r#"{"prompt": "  "}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "empty_prompt",
    )
    .await;
    expect_error(
        &base,
        r#"{"prompt": "x", "tier": 9}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_tier",
    )
    .await;
    expect_error(
        &base,
        r#"{"prompt": "x", "messages": []}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "prompt_and_messages",
    )
    .await;
    expect_error(
        &base,
        r#"{"messages": [{"role": "system", "content": "x"}]}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no_user_message",
    )
    .await;
    expect_error(
        &base,
        r#"{"prompt": "x", "max_tokens": 0}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_max_tokens",
    )
    .await;
}

#[tokio::test]
async fn invalid_utf8_is_400() {
    let base = common::start(ServerConfig::default()).await;
    let mut body = br#"{"prompt": "caf"#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe]);
    body.extend_from_slice(br#""}"#);
    let (status, bytes) = post_raw(&base, body, Some("application/json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let err: ApiError = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(err.error.code.as_deref(), Some("invalid_utf8"));
    assert!(
        err.error.message.contains("offset 15"),
        "{}",
        err.error.message
    );
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    // The default limit (1 MiB).
    let base = common::start(ServerConfig::default()).await;
    let big = format!(r#"{{"prompt": "{}"}}"#, "a".repeat(1024 * 1024 + 1));
    let (status, bytes) = post_raw(&base, big, Some("application/json")).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let err: ApiError = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(err.error.code.as_deref(), Some("body_too_large"));
    assert!(
        err.error.message.contains("1048576 bytes"),
        "{}",
        err.error.message
    );
    // Just under it is read, and then refused by core's per-message cap (64 KiB), naming it.
    let fits = format!(r#"{{"prompt": "{}"}}"#, "a".repeat(1024 * 1024 - 20));
    let err = expect_error(
        &base,
        &fits,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    assert_eq!(err.error.param.as_deref(), Some("messages"));
    assert!(err.error.message.contains("65536"), "{}", err.error.message);
    // Many messages under the cap, about 1 MiB in total, are accepted.
    let message = format!(
        r#"{{"role": "user", "content": "{}"}}"#,
        "a".repeat(60 * 1024)
    );
    let many = format!(r#"{{"messages": [{}]}}"#, vec![message; 16].join(","));
    assert!(many.len() < 1024 * 1024);
    let (status, _) = post_raw(&base, many, Some("application/json")).await;
    assert_eq!(status, StatusCode::OK);
    // A configured limit.
    let small = common::start(ServerConfig {
        body_limit: 64,
        ..ServerConfig::default()
    })
    .await;
    let body = format!(r#"{{"prompt": "{}"}}"#, "a".repeat(100));
    let err = expect_error(
        &small,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
    )
    .await;
    assert!(
        err.error.message.contains("64 bytes"),
        "{}",
        err.error.message
    );
}

#[tokio::test]
async fn non_json_content_type_is_415() {
    let base = common::start(ServerConfig::default()).await;
    let (status, bytes) = post_raw(&base, r#"{"prompt": "x"}"#, Some("text/xml")).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let err: ApiError = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(err.error.code.as_deref(), Some("unsupported_media_type"));
}

async fn get_error(base: &str, method: reqwest::Method, path: &str) -> (StatusCode, ApiError) {
    let resp = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let bytes = resp.bytes().await.unwrap();
    let err = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{path}: not an ApiError ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    (status, err)
}

#[tokio::test]
async fn unknown_votes_routes_and_methods_are_json_errors() {
    let base = common::start(ServerConfig::default()).await;
    let (status, err) = get_error(
        &base,
        reqwest::Method::GET,
        &format!("/v1/votes/{}", "0".repeat(64)),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(err.error.code.as_deref(), Some("vote_not_found"));
    // A gateway without runtime metrics (this fake) answers /metrics with a JSON 404.
    let (status, err) = get_error(&base, reqwest::Method::GET, "/metrics").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(err.error.code.as_deref(), Some("no_metrics"));
    let (status, err) = get_error(&base, reqwest::Method::GET, "/v1/votes/not-hex!").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err.error.code.as_deref(), Some("invalid_id"));
    let (status, err) = get_error(&base, reqwest::Method::GET, "/v1/votes/%FF%FE").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err.error.code.as_deref(), Some("invalid_id"));
    let (status, err) = get_error(&base, reqwest::Method::GET, "/v2/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(err.error.code.as_deref(), Some("unknown_route"));
    let (status, err) = get_error(&base, reqwest::Method::DELETE, "/v1/votes").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(err.error.code.as_deref(), Some("method_not_allowed"));
    let (status, _) = get_error(&base, reqwest::Method::GET, "/v1/votes").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn gateway_failures_are_json_errors_and_a_panic_does_not_kill_the_server() {
    let base = common::start(ServerConfig::default()).await;
    expect_error(
        &base,
        r#"{"prompt": "late"}"#,
        StatusCode::GATEWAY_TIMEOUT,
        "deadline_exceeded",
    )
    .await;
    let e = expect_error(
        &base,
        r#"{"prompt": "old"}"#,
        StatusCode::GONE,
        "vote_retired",
    )
    .await;
    assert!(e.error.message.contains("byzvote audit show"), "{e:?}");
    let e = expect_error(
        &base,
        r#"{"prompt": "panic"}"#,
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
    )
    .await;
    assert_eq!(e.error.kind, "server_error");
    // Still serving.
    let (status, _) = post_raw(&base, r#"{"prompt": "ok"}"#, None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_gateway_that_never_answers_hits_the_vote_timeout() {
    let base = common::start(ServerConfig {
        vote_timeout: Duration::from_millis(50),
        ..ServerConfig::default()
    })
    .await;
    expect_error(
        &base,
        r#"{"prompt": "hang"}"#,
        StatusCode::GATEWAY_TIMEOUT,
        "deadline_exceeded",
    )
    .await;
}
