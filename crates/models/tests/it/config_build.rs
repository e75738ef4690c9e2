//! From operator TOML to a working backend, for every kind, against local servers.

use crate::common::{MockServer, Reply, existing_key};
use byzvote_models::{BackendConfig, Prompt};

const OPENAI: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"qwen2.5:0.5b","choices":[{"index":0,"message":{"role":"assistant","content":"4"},"finish_reason":"stop"}],"usage":{"prompt_tokens":30,"completion_tokens":1,"total_tokens":31}}"#;
const ANTHROPIC: &str = r#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[{"type":"text","text":"4"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}"#;
const GEMINI: &str = r#"{"candidates":[{"content":{"parts":[{"text":"4"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":1,"totalTokenCount":9},"modelVersion":"gemini-2.0-flash"}"#;

#[tokio::test]
async fn every_kind_builds_from_toml_and_answers() {
    let (key_env, _) = existing_key();
    let openai = MockServer::start(vec![Reply::json(200, OPENAI)]).await;
    let anthropic = MockServer::start(vec![Reply::json(200, ANTHROPIC)]).await;
    let gemini = MockServer::start(vec![Reply::json(200, GEMINI)]).await;
    let cases = [
        (
            format!(
                "kind = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"qwen2.5:0.5b\"\nvendor = \"alibaba\"\nprice_in_per_1k = 1.0\nprice_out_per_1k = 2.0",
                openai.url
            ),
            "alibaba",
            0.032,
        ),
        (
            format!(
                "kind = \"anthropic\"\nbase_url = \"{}\"\nmodel = \"claude-3-5-haiku-latest\"\napi_key_env = \"{key_env}\"",
                anthropic.url
            ),
            "anthropic",
            0.0,
        ),
        (
            format!(
                "kind = \"gemini\"\nbase_url = \"{}\"\nmodel = \"gemini-2.0-flash\"\napi_key_env = \"{key_env}\"",
                gemini.url
            ),
            "google",
            0.0,
        ),
        (
            "kind = \"command\"\nprogram = \"sh\"\nargs = [\"-c\", \"echo 4\"]\nvendor = \"acme\""
                .to_string(),
            "acme",
            0.0,
        ),
    ];
    for (toml, vendor, cost) in cases {
        let config: BackendConfig = toml.parse().unwrap();
        config.validate().unwrap();
        let backend = config.build().unwrap();
        assert_eq!(backend.info().vendor, vendor, "{toml}");
        let completion = backend
            .complete(&Prompt::user("2+2?"))
            .await
            .unwrap_or_else(|e| panic!("{e}\n{toml}"));
        assert_eq!(completion.text, "4", "{toml}");
        let billed = backend.info().cost(completion.usage);
        assert!((billed - cost).abs() < 1e-12, "{toml}: cost {billed}");
    }
    for server in [&openai, &anthropic, &gemini] {
        assert_eq!(server.requests().len(), 1);
    }
}
