//! The Gemini backend against a local server speaking `generateContent`'s JSON.

use std::time::Duration;

use crate::common::{FAST_BACKOFF, MockServer, Reply, existing_key, system_and_user};
use byzvote_models::{Completion, Gemini, GeminiConfig, ModelBackend, ModelError, Usage};

const SUCCESS: &str = r#"{
  "candidates": [{
    "content": {"parts": [{"text": "thinking about primes", "thought": true}, {"text": "Yes\n"}], "role": "model"},
    "finishReason": "STOP",
    "avgLogprobs": -0.0123,
    "index": 0
  }],
  "usageMetadata": {
    "promptTokenCount": 9, "candidatesTokenCount": 2, "thoughtsTokenCount": 5, "totalTokenCount": 16,
    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 9}]
  },
  "modelVersion": "gemini-2.5-flash",
  "responseId": "mfFoaNCzK8qd1dkP-YXQgAI"
}"#;
const BAD_KEY: &str = r#"{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}}]}}"#;
const FORBIDDEN: &str = r#"{"error": {"code": 403, "message": "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", "status": "PERMISSION_DENIED"}}"#;
const EXHAUSTED: &str = r#"{"error": {"code": 429, "message": "You exceeded your current quota, please check your plan and billing details.", "status": "RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.060s"}]}}"#;
const UNAVAILABLE: &str = r#"{"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}"#;

async fn run(
    replies: Vec<Reply>,
    edit: impl FnOnce(&mut GeminiConfig),
) -> (Result<Completion, ModelError>, MockServer) {
    let server = MockServer::start(replies).await;
    let mut config = GeminiConfig::new("models/gemini-2.5-flash");
    config.base_url = format!("{}/", server.url);
    config.api_key_env = existing_key().0;
    config.timeout = Duration::from_secs(5);
    config.retry_initial_backoff = FAST_BACKOFF;
    edit(&mut config);
    let backend = Gemini::new(&config).unwrap();
    (backend.complete(&system_and_user()).await, server)
}

#[tokio::test]
async fn success_sends_contents_and_reads_parts_and_usage() {
    let (result, server) = run(vec![Reply::json(200, SUCCESS)], |_| {}).await;
    let completion = result.unwrap();
    assert_eq!(completion.text, "Yes\n");
    assert_eq!(
        completion.usage,
        Usage {
            prompt_tokens: 9,
            completion_tokens: 7
        }
    );
    assert_eq!(completion.model, "gemini-2.5-flash");
    let request = &server.requests()[0];
    assert_eq!(
        request.path_and_query,
        "/v1beta/models/gemini-2.5-flash:generateContent"
    );
    assert_eq!(request.headers["x-goog-api-key"], existing_key().1.as_str());
    let expected = serde_json::json!({
        "contents": [{"role": "user", "parts": [{"text": "Is 17 prime?"}]}],
        "systemInstruction": {"parts": [{"text": "Answer with one word."}]},
        "generationConfig": {"temperature": 0.0, "maxOutputTokens": 16, "seed": 42}
    });
    assert_eq!(request.body, expected);
}

#[tokio::test]
async fn bad_key_and_forbidden_are_rejected_once() {
    for (status, body, expected) in [
        (
            400,
            BAD_KEY,
            "API key not valid. Please pass a valid API key. (INVALID_ARGUMENT)",
        ),
        (403, FORBIDDEN, "Method doesn't allow unregistered callers"),
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
async fn quota_then_success_waits_for_the_retry_info_delay() {
    let (result, server) = run(
        vec![Reply::json(429, EXHAUSTED), Reply::json(200, SUCCESS)],
        |_| {},
    )
    .await;
    let completion = result.unwrap();
    assert_eq!(server.requests().len(), 2);
    assert!(
        completion.latency >= Duration::from_millis(60),
        "{:?}",
        completion.latency
    );
}

#[tokio::test]
async fn unavailable_until_retries_run_out() {
    let (result, server) = run(vec![Reply::json(503, UNAVAILABLE)], |c| c.max_retries = 3).await;
    match result {
        Err(ModelError::Unavailable {
            attempts: 4,
            message,
        }) => assert!(message.contains("overloaded"), "{message}"),
        other => panic!("expected unavailable, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 4);
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
async fn malformed_json_and_blocked_prompts_are_bad_responses() {
    let (result, _) = run(vec![Reply::json(200, "{\"candidates\": 7}")], |_| {}).await;
    assert!(
        matches!(&result, Err(ModelError::BadResponse(_))),
        "{result:?}"
    );
    let blocked = r#"{"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 7}, "modelVersion": "gemini-2.0-flash"}"#;
    let (result, _) = run(vec![Reply::json(200, blocked)], |_| {}).await;
    assert!(
        matches!(&result, Err(ModelError::BadResponse(m)) if m.contains("PROHIBITED_CONTENT")),
        "{result:?}"
    );
}
