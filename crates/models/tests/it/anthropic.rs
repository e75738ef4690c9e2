//! The Anthropic backend against a local server speaking the Messages API's JSON.

use std::time::Duration;

use crate::common::{FAST_BACKOFF, MockServer, Reply, existing_key, system_and_user};
use byzvote_models::{Anthropic, AnthropicConfig, Completion, ModelBackend, ModelError, Usage};

const SUCCESS: &str = r#"{
  "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
  "type": "message",
  "role": "assistant",
  "model": "claude-3-5-haiku-20241022",
  "content": [
    {"type": "thinking", "thinking": "17 has no divisors but 1 and itself.", "signature": "EqQBCgIYAhIM"},
    {"type": "text", "text": "Yes"}
  ],
  "stop_reason": "end_turn",
  "stop_sequence": null,
  "usage": {"input_tokens": 21, "cache_creation_input_tokens": 3, "cache_read_input_tokens": null, "output_tokens": 4, "service_tier": "standard"}
}"#;
const BAD_REQUEST: &str = r#"{"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"}, "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"}"#;
const UNAUTHORIZED: &str = r#"{"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}"#;
const RATE_LIMITED: &str = r#"{"type": "error", "error": {"type": "rate_limit_error", "message": "Number of request tokens has exceeded your per-minute rate limit"}}"#;
const OVERLOADED: &str =
    r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#;

async fn run(
    replies: Vec<Reply>,
    edit: impl FnOnce(&mut AnthropicConfig),
) -> (Result<Completion, ModelError>, MockServer) {
    let server = MockServer::start(replies).await;
    let mut config = AnthropicConfig::new("claude-3-5-haiku-latest");
    config.base_url = server.url.clone();
    config.api_key_env = existing_key().0;
    config.timeout = Duration::from_secs(5);
    config.retry_initial_backoff = FAST_BACKOFF;
    edit(&mut config);
    let backend = Anthropic::new(&config).unwrap();
    (backend.complete(&system_and_user()).await, server)
}

#[tokio::test]
async fn success_sends_system_on_top_and_reads_text_blocks_and_usage() {
    let (result, server) = run(vec![Reply::json(200, SUCCESS)], |_| {}).await;
    let completion = result.unwrap();
    assert_eq!(completion.text, "Yes");
    assert_eq!(
        completion.usage,
        Usage {
            prompt_tokens: 24,
            completion_tokens: 4
        }
    );
    assert_eq!(completion.model, "claude-3-5-haiku-20241022");
    let request = &server.requests()[0];
    assert_eq!(request.path_and_query, "/v1/messages");
    assert_eq!(request.headers["x-api-key"], existing_key().1.as_str());
    assert_eq!(request.headers["anthropic-version"], "2023-06-01");
    let expected = serde_json::json!({
        "model": "claude-3-5-haiku-latest",
        "max_tokens": 16,
        "system": "Answer with one word.",
        "messages": [{"role": "user", "content": "Is 17 prime?"}],
        "temperature": 0.0
    });
    assert_eq!(request.body, expected);
}

#[tokio::test]
async fn bad_request_and_unauthorized_are_rejected_once() {
    for (status, body, expected) in [
        (
            400,
            BAD_REQUEST,
            "max_tokens: Field required (invalid_request_error)",
        ),
        (
            401,
            UNAUTHORIZED,
            "invalid x-api-key (authentication_error) (check the API key in $",
        ),
    ] {
        let (result, server) = run(vec![Reply::json(status, body)], |_| {}).await;
        match result {
            Err(ModelError::Rejected { status: s, message }) if s == status => {
                assert!(message.starts_with(expected), "{message}");
            }
            other => panic!("expected a {status} rejection, got {other:?}"),
        }
        assert_eq!(server.requests().len(), 1);
    }
}

#[tokio::test]
async fn rate_limit_then_success() {
    let limited = Reply::json(429, RATE_LIMITED).with_header("retry-after", "0");
    let (result, server) = run(vec![limited, Reply::json(200, SUCCESS)], |_| {}).await;
    assert_eq!(result.unwrap().text, "Yes");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn overloaded_until_retries_run_out() {
    let (result, server) = run(vec![Reply::json(529, OVERLOADED)], |c| c.max_retries = 1).await;
    match result {
        Err(ModelError::Unavailable {
            attempts: 2,
            message,
        }) => {
            assert_eq!(message, "HTTP 529: Overloaded (overloaded_error)");
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let (result, _) = run(vec![Reply::Hang], |c| {
        c.timeout = Duration::from_millis(200)
    })
    .await;
    assert!(matches!(result, Err(ModelError::Timeout(_))), "{result:?}");
}

#[tokio::test]
async fn malformed_json_and_missing_text_are_bad_responses() {
    let (result, _) = run(
        vec![Reply::json(200, "<html>502 Bad Gateway</html>")],
        |_| {},
    )
    .await;
    assert!(
        matches!(&result, Err(ModelError::BadResponse(m)) if m.contains("<html>")),
        "{result:?}"
    );
    let empty = r#"{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":"refusal","usage":{"input_tokens":5,"output_tokens":0}}"#;
    let (result, _) = run(vec![Reply::json(200, empty)], |_| {}).await;
    assert!(
        matches!(&result, Err(ModelError::BadResponse(m)) if m.contains("refusal")),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_missing_key_variable_fails_at_build_with_its_name() {
    let mut config = AnthropicConfig::new("claude");
    config.api_key_env = "BYZVOTE_TEST_SURELY_UNSET_KEY".into();
    let error = Anthropic::new(&config).unwrap_err();
    assert!(
        matches!(&error, ModelError::Config(m) if m.contains("BYZVOTE_TEST_SURELY_UNSET_KEY")),
        "{error}"
    );
}
