//! The OpenAI-compatible backend against a local server speaking OpenAI's JSON.

use std::time::Duration;

use crate::common::{FAST_BACKOFF, MockServer, Reply, existing_key, system_and_user};
use byzvote_models::{
    MaxTokensField, ModelBackend, ModelError, OpenAi, OpenAiConfig, Prompt, Usage,
};

const SUCCESS: &str = r#"{
  "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
  "object": "chat.completion",
  "created": 1741569952,
  "model": "gpt-4o-mini-2024-07-18",
  "choices": [{
    "index": 0,
    "message": {"role": "assistant", "content": "Yes.", "refusal": null, "annotations": []},
    "logprobs": null,
    "finish_reason": "stop"
  }],
  "usage": {
    "prompt_tokens": 19, "completion_tokens": 2, "total_tokens": 21,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
  },
  "service_tier": "default",
  "system_fingerprint": "fp_06737a9306"
}"#;
const BAD_REQUEST: &str = r#"{"error": {"message": "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "type": "invalid_request_error", "param": "messages", "code": "empty_array"}}"#;
const UNAUTHORIZED: &str = r#"{"error": {"message": "Incorrect API key provided: sk-abc. You can find your API key at https://platform.openai.com/account/api-keys.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}"#;
const RATE_LIMITED: &str = r#"{"error": {"message": "Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM): Limit 3, Used 3, Requested 1.", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}"#;
const SERVER_ERROR: &str = r#"{"error": {"message": "The server had an error while processing your request. Sorry about that!", "type": "server_error", "param": null, "code": null}}"#;

fn config(server: &MockServer) -> OpenAiConfig {
    let mut config = OpenAiConfig::new(format!("{}/v1/", server.url), "gpt-4o-mini");
    config.vendor = Some("openai".into());
    config.timeout = Duration::from_secs(5);
    config.retry_initial_backoff = FAST_BACKOFF;
    config
}

async fn run(
    replies: Vec<Reply>,
    edit: impl FnOnce(&mut OpenAiConfig),
) -> (Result<byzvote_models::Completion, ModelError>, MockServer) {
    let server = MockServer::start(replies).await;
    let mut config = config(&server);
    edit(&mut config);
    let backend = OpenAi::new(&config).unwrap();
    (backend.complete(&system_and_user()).await, server)
}

#[tokio::test]
async fn success_sends_the_openai_request_and_reads_usage() {
    let (key_env, key) = existing_key();
    let (result, server) = run(vec![Reply::json(200, SUCCESS)], |c| {
        c.api_key_env = Some(key_env)
    })
    .await;
    let completion = result.unwrap();
    assert_eq!(completion.text, "Yes.");
    assert_eq!(
        completion.usage,
        Usage {
            prompt_tokens: 19,
            completion_tokens: 2
        }
    );
    assert_eq!(completion.model, "gpt-4o-mini-2024-07-18");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.path_and_query, "/v1/chat/completions");
    assert_eq!(
        request.headers["authorization"],
        format!("Bearer {key}").as_str()
    );
    let expected = serde_json::json!({
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Answer with one word."},
            {"role": "user", "content": "Is 17 prime?"}
        ],
        "max_tokens": 16,
        "temperature": 0.0,
        "seed": 42
    });
    assert_eq!(request.body, expected);
}

#[tokio::test]
async fn non_deterministic_prompt_sends_no_temperature_or_seed() {
    let server = MockServer::start(vec![Reply::json(200, SUCCESS)]).await;
    let mut config = config(&server);
    config.max_tokens_field = MaxTokensField::MaxCompletionTokens;
    let mut prompt = Prompt::user("hi");
    prompt.deterministic = false;
    OpenAi::new(&config)
        .unwrap()
        .complete(&prompt)
        .await
        .unwrap();
    let body = &server.requests()[0].body;
    assert!(server.requests()[0].headers.get("authorization").is_none());
    assert_eq!(body.get("temperature"), None);
    assert_eq!(body.get("seed"), None);
    assert_eq!(body.get("max_tokens"), None);
    assert_eq!(body["max_completion_tokens"], 256);
}

#[tokio::test]
async fn bad_request_is_rejected_with_the_server_message_and_not_retried() {
    let (result, server) = run(vec![Reply::json(400, BAD_REQUEST)], |_| {}).await;
    match result {
        Err(ModelError::Rejected {
            status: 400,
            message,
        }) => {
            assert!(
                message.starts_with("Invalid 'messages': empty array."),
                "{message}"
            );
            assert!(message.ends_with("(empty_array)"), "{message}");
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn unauthorized_names_the_key_variable() {
    let (key_env, _) = existing_key();
    let (result, server) = run(vec![Reply::json(401, UNAUTHORIZED)], |c| {
        c.api_key_env = Some(key_env.clone())
    })
    .await;
    match result {
        Err(ModelError::Rejected {
            status: 401,
            message,
        }) => {
            assert!(message.contains("Incorrect API key provided"), "{message}");
            assert!(
                message.contains(&format!("check the API key in ${key_env}")),
                "{message}"
            );
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn rate_limit_then_success_waits_as_told() {
    let limited = Reply::json(429, RATE_LIMITED).with_header("retry-after-ms", "60");
    let (result, server) = run(vec![limited, Reply::json(200, SUCCESS)], |_| {}).await;
    let completion = result.unwrap();
    assert_eq!(completion.text, "Yes.");
    assert_eq!(server.requests().len(), 2);
    // The server asked for 60 ms, more than the 5 ms backoff: the wait must include it.
    assert!(
        completion.latency >= Duration::from_millis(60),
        "{:?}",
        completion.latency
    );
}

#[tokio::test]
async fn server_errors_until_retries_run_out() {
    let (result, server) = run(vec![Reply::json(500, SERVER_ERROR)], |c| c.max_retries = 2).await;
    match result {
        Err(ModelError::Unavailable {
            attempts: 3,
            message,
        }) => {
            assert!(message.contains("HTTP 500"), "{message}");
            assert!(message.contains("The server had an error"), "{message}");
        }
        other => panic!("expected unavailable after 3 attempts, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn retry_after_beyond_the_deadline_fails_at_once() {
    let limited = Reply::json(429, RATE_LIMITED).with_header("retry-after", "5");
    let (result, server) = run(vec![limited], |c| c.timeout = Duration::from_secs(1)).await;
    match result {
        Err(ModelError::Unavailable {
            attempts: 1,
            message,
        }) => assert!(message.contains("no retry"), "{message}"),
        other => panic!("expected unavailable after 1 attempt, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let (result, server) = run(vec![Reply::Hang], |c| {
        c.timeout = Duration::from_millis(200)
    })
    .await;
    assert!(
        matches!(result, Err(ModelError::Timeout(t)) if t == Duration::from_millis(200)),
        "{result:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn malformed_json_is_a_bad_response() {
    let (result, server) = run(
        vec![Reply::json(200, "{\"id\": \"chatcmpl-1\", \"choices\": [")],
        |_| {},
    )
    .await;
    match result {
        Err(ModelError::BadResponse(message)) => {
            assert!(message.contains("chatcmpl-1"), "{message}")
        }
        other => panic!("expected a bad response, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn refusal_is_a_bad_response() {
    let refusal = r#"{"id":"x","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}]}"#;
    let (result, _) = run(vec![Reply::json(200, refusal)], |_| {}).await;
    assert!(
        matches!(&result, Err(ModelError::BadResponse(m)) if m.contains("can't help")),
        "{result:?}"
    );
}

#[tokio::test]
async fn connection_refused_is_retried_then_unavailable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut config = OpenAiConfig::new(format!("http://127.0.0.1:{port}/v1"), "m");
    config.vendor = Some("meta".into());
    config.max_retries = 1;
    config.retry_initial_backoff = FAST_BACKOFF;
    let result = OpenAi::new(&config)
        .unwrap()
        .complete(&Prompt::user("hi"))
        .await;
    match result {
        Err(ModelError::Unavailable {
            attempts: 2,
            message,
        }) => assert!(message.contains("cannot reach"), "{message}"),
        other => panic!("expected unavailable, got {other:?}"),
    }
}
