//! Bad input to the HTTP API (issue 5, "Bad input"): every case answers a 4xx whose body is the
//! JSON error shape `{"error": {"message", "type", "code"}}` with a message naming what is wrong;
//! never a 500, never a plain-text body, never a hang. `server.rs` covers the first
//! example of each family; this file covers the rest of the list, one test per family.

use crate::common;

use byzvote_api::ServerConfig;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// One HTTP exchange: method, path, optional content type, body.
async fn send(
    base: &str,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (StatusCode, Vec<u8>) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.bytes().await.unwrap().to_vec())
}

/// Checks that `bytes` is exactly the error shape, with `status` a 4xx and the stable `code`;
/// returns the message.
fn check_error(
    what: &str,
    status: StatusCode,
    bytes: &[u8],
    want: StatusCode,
    code: &str,
) -> String {
    let text = String::from_utf8_lossy(bytes);
    assert_eq!(status, want, "{what}: answered {text}");
    assert!(status.is_client_error(), "{what}: {status} is not a 4xx");
    let v: Value = serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("{what}: body is not JSON ({e}): {text}"));
    let err = v
        .get("error")
        .unwrap_or_else(|| panic!("{what}: no `error` object: {text}"));
    let field = |name: &str| {
        err.get(name)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{what}: `error.{name}` is not a string: {text}"))
            .to_string()
    };
    assert_eq!(field("code"), code, "{what}: {text}");
    assert!(!field("type").is_empty(), "{what}: {text}");
    let message = field("message");
    assert!(!message.is_empty(), "{what}: {text}");
    message
}

/// Posts `body` as JSON to `/v1/votes`; expects `status`, `code`, and a message containing every
/// one of `names` (what is wrong).
async fn post_expect(base: &str, body: &str, status: StatusCode, code: &str, names: &[&str]) {
    let (got, bytes) = send(
        base,
        Method::POST,
        "/v1/votes",
        Some("application/json"),
        body.to_string(),
    )
    .await;
    let message = check_error(body, got, &bytes, status, code);
    for name in names {
        assert!(
            message.contains(name),
            "body {body:?}: message {message:?} does not name {name:?}"
        );
    }
}

const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

#[tokio::test]
async fn malformed_json() {
    let base = common::start(ServerConfig::default()).await;
    let cases: &[(&str, &str)] = &[
        (r#"{"prompt": 'x'}"#, "line 1"),
        (r#"{"prompt": "x",}"#, "trailing comma"),
        (r#"{"prompt" "x"}"#, "expected `:`"),
        (r#"{"prompt": "x"}}"#, "trailing characters"),
        (r#"{"prompt": "\q"}"#, "escape"),
        (r#"{"prompt": "\ud800"}"#, "escape"),
        ("\u{feff}{\"prompt\": \"x\"}", "not valid JSON"),
        ("nul", "not valid JSON"),
        ("{", "ends early"),
        (
            r#"{"messages": [{"role": "user", "content": "x"}"#,
            "ends early",
        ),
    ];
    for (body, names) in cases {
        post_expect(
            &base,
            body,
            StatusCode::BAD_REQUEST,
            "invalid_json",
            &[names],
        )
        .await;
    }
    // Whitespace only is an empty body, said as such.
    post_expect(
        &base,
        " \n\t ",
        StatusCode::BAD_REQUEST,
        "empty_body",
        &["empty"],
    )
    .await;
    // Deep nesting stops at serde_json's recursion limit: a 4xx JSON error, not a stack overflow
    // (where the nesting meets a field of another type, that field is named instead).
    for deep in [
        format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000)),
        format!(
            r#"{{"prompt": {}1{}}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
        format!(r#"{{"messages": {}}}"#, "[".repeat(100_000)),
    ] {
        let (status, bytes) = send(
            &base,
            Method::POST,
            "/v1/votes",
            Some("application/json"),
            deep,
        )
        .await;
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            status == StatusCode::BAD_REQUEST || status == UNPROCESSABLE,
            "{status}: {text}"
        );
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(v["error"]["message"].is_string(), "{text}");
    }
}

#[tokio::test]
async fn wrong_types_name_the_field() {
    let base = common::start(ServerConfig::default()).await;
    let cases: &[(&str, &str)] = &[
        (r#"{"prompt": 42}"#, "prompt"),
        (r#"{"prompt": ["a", "b"]}"#, "prompt"),
        (r#"{"prompt": {"text": "x"}}"#, "prompt"),
        (r#"{"messages": "hello"}"#, "messages"),
        (
            r#"{"messages": [{"role": "user", "content": 7}]}"#,
            "messages[0].content",
        ),
        (
            r#"{"messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]}"#,
            "messages[0].content",
        ),
        (
            r#"{"messages": [{"role": 1, "content": "x"}]}"#,
            "messages[0].role",
        ),
        (r#"{"messages": ["x"]}"#, "messages[0]"),
        (r#"{"prompt": "x", "mode": 3}"#, "mode"),
        (r#"{"prompt": "x", "mode": null}"#, "mode"),
        (r#"{"prompt": "x", "tier": -1}"#, "tier"),
        (r#"{"prompt": "x", "tier": 3.5}"#, "tier"),
        (r#"{"prompt": "x", "tier": true}"#, "tier"),
        (r#"{"prompt": "x", "tier": "three"}"#, "tier"),
        (r#"{"prompt": "x", "tier": null}"#, "tier"),
        (r#"{"prompt": "x", "importance": "urgent"}"#, "importance"),
        (r#"{"prompt": "x", "importance": 2}"#, "importance"),
        (r#"{"prompt": "x", "budget_usd": "1"}"#, "budget_usd"),
        (r#"{"prompt": "x", "deadline_ms": -1}"#, "deadline_ms"),
        (r#"{"prompt": "x", "max_tokens": "10"}"#, "max_tokens"),
        (r#"{"prompt": "x", "max_tokens": -5}"#, "max_tokens"),
        (
            r#"{"prompt": "x", "max_tokens": 99999999999999999999}"#,
            "max_tokens",
        ),
        (r#"{"prompt": "x", "client_nonce": "abc"}"#, "client_nonce"),
        (r#"{"prompt": "x", "client_nonce": -1}"#, "client_nonce"),
        (r#"{"prompt": "x", "client_nonce": 1.5}"#, "client_nonce"),
    ];
    for (body, field) in cases {
        post_expect(&base, body, UNPROCESSABLE, "invalid_field", &[field]).await;
    }
    // A number beyond f64 is refused by the JSON parser itself, saying so.
    post_expect(
        &base,
        r#"{"prompt": "x", "max_tokens": 1e400}"#,
        StatusCode::BAD_REQUEST,
        "invalid_json",
        &["number out of range"],
    )
    .await;
    // Not an object at all: the message says what was expected.
    for body in ["null", "\"what is 2+2?\"", "42", "true"] {
        post_expect(
            &base,
            body,
            UNPROCESSABLE,
            "invalid_field",
            &["invalid type"],
        )
        .await;
    }
}

#[tokio::test]
async fn missing_fields() {
    let base = common::start(ServerConfig::default()).await;
    // No question at all (also when the only fields are options, or are null).
    for body in [
        r#"{"mode": "json", "tier": 2}"#,
        r#"{"prompt": null}"#,
        r#"{"messages": null, "prompt": null}"#,
    ] {
        post_expect(
            &base,
            body,
            UNPROCESSABLE,
            "missing_prompt",
            &["prompt", "messages"],
        )
        .await;
    }
    // A message without its content or its role.
    post_expect(
        &base,
        r#"{"messages": [{"role": "user", "content": "x"}, {"role": "user"}]}"#,
        UNPROCESSABLE,
        "invalid_field",
        &["messages[1]", "content"],
    )
    .await;
    post_expect(
        &base,
        r#"{"messages": [{"content": "x"}]}"#,
        UNPROCESSABLE,
        "invalid_field",
        &["messages[0]", "role"],
    )
    .await;
}

#[tokio::test]
async fn oversized_bodies_are_413_at_the_configured_limit() {
    let limit = 256;
    let base = common::start(ServerConfig {
        body_limit: limit,
        ..ServerConfig::default()
    })
    .await;
    // Exactly the limit is read (and answered); one byte more is refused, naming the limit.
    let pad = |total: usize| {
        let body = format!(r#"{{"prompt": "x{}"}}"#, " ".repeat(total - 15));
        assert_eq!(body.len(), total);
        body
    };
    let (status, bytes) = send(
        &base,
        Method::POST,
        "/v1/votes",
        Some("application/json"),
        pad(limit),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    post_expect(
        &base,
        &pad(limit + 1),
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        &["256 bytes"],
    )
    .await;
    // Without a Content-Length (chunked), the limit still holds while streaming.
    let mut chunked = b"POST /v1/votes HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
        transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        .to_vec();
    for _ in 0..8 {
        chunked.extend_from_slice(format!("64\r\n{}\r\n", " ".repeat(100)).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let raw = raw_exchange(&base, &chunked, false).await;
    assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
    assert!(
        raw.contains("body_too_large") && raw.contains("256 bytes"),
        "{raw}"
    );
}

#[tokio::test]
async fn unknown_and_invalid_modes() {
    let base = common::start(ServerConfig::default()).await;
    let cases: &[(&str, &[&str])] = &[
        ("semantic:1.5", &["1.5"]),
        ("semantic:0.8x", &["0.8x"]),
        ("pick-best:2", &["pick-best:2"]),
        ("", &["mode"]),
        ("exact:3", &["mode"]),
        ("json:strict", &["mode"]),
        ("class", &["mode"]),
        ("class:", &["mode"]),
        ("class:a,,b", &["mode"]),
        ("number", &["mode"]),
        ("number:abc", &["abc"]),
        ("number:999", &["999"]),
    ];
    for (mode, names) in cases {
        let body = serde_json::json!({"prompt": "x", "mode": mode}).to_string();
        post_expect(&base, &body, UNPROCESSABLE, "unknown_mode", names).await;
    }
}

#[tokio::test]
async fn empty_prompts_and_messages() {
    let base = common::start(ServerConfig::default()).await;
    for prompt in ["", " ", "\n\t\r ", "\u{3000}"] {
        let body = serde_json::json!({ "prompt": prompt }).to_string();
        post_expect(&base, &body, UNPROCESSABLE, "empty_prompt", &["prompt"]).await;
    }
    post_expect(
        &base,
        r#"{"messages": []}"#,
        UNPROCESSABLE,
        "empty_prompt",
        &["messages"],
    )
    .await;
    post_expect(
        &base,
        r#"{"messages": [{"role": "user", "content": "x"}, {"role": "user", "content": "  "}]}"#,
        UNPROCESSABLE,
        "empty_prompt",
        &["messages[1]"],
    )
    .await;
}

#[tokio::test]
async fn invalid_utf8_anywhere_is_400_with_the_offset() {
    let base = common::start(ServerConfig::default()).await;
    let cases: &[(&[u8], usize)] = &[
        (b"\xff{\"prompt\": \"x\"}", 0),
        (b"{\"prompt\": \"\xc0\x80\"}", 12),     // overlong NUL
        (b"{\"prompt\": \"\xed\xa0\x80\"}", 12), // UTF-16 surrogate in UTF-8
        (b"{\"prompt\": \"caf\xc3\"}", 15),      // truncated sequence
        (b"{\"pr\xf5mpt\": \"x\"}", 4),          // byte never valid in UTF-8
    ];
    for (body, offset) in cases {
        for ct in [Some("application/json"), Some("text/plain"), None] {
            let (status, bytes) = send(&base, Method::POST, "/v1/votes", ct, body.to_vec()).await;
            let message = check_error(
                &format!("{body:?} as {ct:?}"),
                status,
                &bytes,
                StatusCode::BAD_REQUEST,
                "invalid_utf8",
            );
            assert!(message.contains(&format!("offset {offset}")), "{message}");
        }
    }
}

#[tokio::test]
async fn wrong_content_types_are_415_naming_the_type() {
    let base = common::start(ServerConfig::default()).await;
    for ct in [
        "text/xml",
        "application/xml",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
        "application/jsonx",
        "image/png",
    ] {
        let (status, bytes) = send(
            &base,
            Method::POST,
            "/v1/votes",
            Some(ct),
            r#"{"prompt": "x"}"#,
        )
        .await;
        let message = check_error(
            ct,
            status,
            &bytes,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        );
        let mime = ct.split(';').next().unwrap();
        assert!(message.contains(mime), "{message}");
        assert!(message.contains("application/json"), "{message}");
    }
    // JSON with parameters or a +json suffix is JSON.
    for ct in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.x+json",
    ] {
        let (status, bytes) = send(
            &base,
            Method::POST,
            "/v1/votes",
            Some(ct),
            r#"{"prompt": "x"}"#,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{ct}: {}",
            String::from_utf8_lossy(&bytes)
        );
    }
}

#[tokio::test]
async fn unknown_and_duplicate_fields() {
    let base = common::start(ServerConfig::default()).await;
    for (body, field) in [
        (r#"{"prompt": "x", "temperature": 0.2}"#, "temperature"),
        (r#"{"prompt": "x", "Mode": "json"}"#, "Mode"),
        (r#"{"prompt": "x", "model": "gpt"}"#, "model"),
        (r#"{"prompt": "x", "": 1}"#, "``"),
        (
            r#"{"messages": [{"role": "user", "contnet": "x"}]}"#,
            "contnet",
        ),
    ] {
        post_expect(
            &base,
            body,
            UNPROCESSABLE,
            "invalid_field",
            &[field, "unknown field"],
        )
        .await;
    }
    post_expect(
        &base,
        r#"{"prompt": "x", "prompt": "y"}"#,
        UNPROCESSABLE,
        "invalid_field",
        &["duplicate field", "prompt"],
    )
    .await;
}

#[tokio::test]
async fn unknown_routes_are_404_listing_the_real_ones() {
    let base = common::start(ServerConfig::default()).await;
    for (method, path) in [
        (Method::GET, "/"),
        (Method::POST, "/v1/vote"),
        (Method::POST, "/v1/votes/abc/extra"),
        (Method::GET, "/V1/VOTES/ab"),
        (Method::GET, "/v1/votes/ab/"),
        (Method::GET, "/healthz/"),
        (Method::POST, "/v1/chat/completion"),
    ] {
        let (status, bytes) = send(&base, method.clone(), path, None, "").await;
        let message = check_error(
            &format!("{method} {path}"),
            status,
            &bytes,
            StatusCode::NOT_FOUND,
            "unknown_route",
        );
        assert!(message.contains(path), "{message}");
        assert!(message.contains("POST /v1/votes"), "{message}");
    }
    // A vote id that is too long or not hex is a 400 naming the id, not a 404.
    for id in ["a".repeat(129), "zz".into(), "0x12".into()] {
        let (status, bytes) = send(&base, Method::GET, &format!("/v1/votes/{id}"), None, "").await;
        let message = check_error(&id, status, &bytes, StatusCode::BAD_REQUEST, "invalid_id");
        assert!(message.contains("id"), "{message}");
    }
}

#[tokio::test]
async fn wrong_methods_are_405_naming_method_and_path() {
    let base = common::start(ServerConfig::default()).await;
    for (method, path) in [
        (Method::PUT, "/v1/votes"),
        (Method::PATCH, "/v1/votes"),
        (Method::OPTIONS, "/v1/votes"),
        (Method::POST, "/v1/votes/abcd"),
        (Method::DELETE, "/v1/votes/abcd"),
        (Method::POST, "/v1/cluster"),
        (Method::PUT, "/healthz"),
    ] {
        let (status, bytes) = send(&base, method.clone(), path, None, "{}").await;
        let message = check_error(
            &format!("{method} {path}"),
            status,
            &bytes,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        );
        assert!(message.contains(method.as_str()), "{message}");
        assert!(message.contains(path), "{message}");
    }
}

#[tokio::test]
async fn out_of_range_values_are_422_naming_the_field() {
    let base = common::start(ServerConfig::default()).await;
    post_expect(
        &base,
        r#"{"prompt": "x", "tier": 0}"#,
        UNPROCESSABLE,
        "invalid_tier",
        &["tier"],
    )
    .await;
    post_expect(
        &base,
        r#"{"prompt": "x", "max_tokens": 4097}"#,
        UNPROCESSABLE,
        "invalid_max_tokens",
        &["max_tokens", "4096"],
    )
    .await;
    post_expect(
        &base,
        r#"{"prompt": "x", "budget_usd": -0.01}"#,
        UNPROCESSABLE,
        "invalid_budget",
        &["budget_usd"],
    )
    .await;
    post_expect(
        &base,
        r#"{"prompt": "x", "deadline_ms": 0}"#,
        UNPROCESSABLE,
        "invalid_deadline",
        &["deadline_ms"],
    )
    .await;
    let many = serde_json::json!({
        "messages": vec![serde_json::json!({"role": "user", "content": "x"}); 65]
    })
    .to_string();
    post_expect(
        &base,
        &many,
        UNPROCESSABLE,
        "invalid_request",
        &["65 messages", "64"],
    )
    .await;
}

#[tokio::test]
async fn a_truncated_body_is_answered_not_hung() {
    let base = common::start(ServerConfig::default()).await;
    // Declares 100 bytes, sends 15, then closes its sending half.
    let raw = raw_exchange(
        &base,
        b"POST /v1/votes HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
          content-length: 100\r\n\r\n{\"prompt\": \"x\"",
        true,
    )
    .await;
    // Either a 400 JSON error or the connection closed without an answer; never a 5xx.
    if !raw.is_empty() {
        assert!(raw.starts_with("HTTP/1.1 400"), "{raw}");
        assert!(raw.contains("\"error\""), "{raw}");
    }
    // The server still serves.
    let (status, _) = send(&base, Method::POST, "/v1/votes", None, r#"{"prompt": "x"}"#).await;
    assert_eq!(status, StatusCode::OK);
}

/// Writes `request` on a fresh connection, closes the write half if `half_close`, and reads the
/// whole answer. The 10 s bound only turns a hang into a failure (an answer comes in
/// milliseconds).
async fn raw_exchange(base: &str, request: &[u8], half_close: bool) -> String {
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    if half_close {
        stream.shutdown().await.unwrap();
    }
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out))
        .await
        .expect("the server hung on a bad request")
        .ok();
    String::from_utf8_lossy(&out).into_owned()
}
