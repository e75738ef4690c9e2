//! The TOML that operators write, parsed, validated and (where no key is needed) built.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::{CommandInput, MaxTokensField};

fn parse(text: &str) -> BackendConfig {
    text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn openai_compatible_local_server() {
    let config = parse(
        r#"
        kind = "openai"
        base_url = "http://127.0.0.1:11434/v1"
        model = "llama3.2:3b"
        vendor = "meta"
        family = "llama3"
        timeout = "30s"
        max_retries = 1
        price_in_per_1k = 0.0
        "#,
    );
    let BackendConfig::OpenAi(c) = &config else {
        panic!("wrong kind: {config:?}")
    };
    assert_eq!(c.timeout, Duration::from_secs(30));
    assert_eq!(c.max_retries, 1);
    assert_eq!(c.retry_initial_backoff, Duration::from_millis(500));
    assert_eq!(c.max_tokens_field, MaxTokensField::MaxTokens);
    assert_eq!(c.api_key_env, None);
    config.validate().unwrap();
    let info = config.info().unwrap();
    assert_eq!(
        (
            info.name.as_str(),
            info.vendor.as_str(),
            info.family.as_str()
        ),
        ("openai:llama3.2:3b", "meta", "llama3")
    );
    // No key needed: builds without touching the environment or the network.
    let backend = config.build().unwrap();
    assert_eq!(backend.info(), &info);
}

#[test]
fn openai_hosted_needs_a_key_env_and_defaults_vendor() {
    let config = parse("kind = \"openai\"\nmodel = \"gpt-4o-mini\"");
    assert!(matches!(
        config.validate(),
        Err(ConfigError::KeyRequired { .. })
    ));
    let config = parse(
        "kind = \"openai\"\nmodel = \"gpt-4o-mini\"\napi_key_env = \"BYZVOTE_TEST_UNSET_KEY_1\"\nmax_tokens_field = \"max_completion_tokens\"",
    );
    config.validate().unwrap();
    assert_eq!(config.info().unwrap().vendor, "openai");
    let error = config.build().err().unwrap().to_string();
    assert!(error.contains("BYZVOTE_TEST_UNSET_KEY_1"), "{error}");
}

#[test]
fn anthropic_and_gemini_defaults() {
    let anthropic = parse(
        "kind = \"anthropic\"\nmodel = \"claude-3-5-haiku-latest\"\nprice_in_per_1k = 0.0008",
    );
    anthropic.validate().unwrap();
    let BackendConfig::Anthropic(c) = &anthropic else {
        panic!()
    };
    assert_eq!(
        (c.api_key_env.as_str(), c.anthropic_version.as_str()),
        ("ANTHROPIC_API_KEY", "2023-06-01")
    );
    assert_eq!(anthropic.info().unwrap().vendor, "anthropic");
    let gemini = parse("kind = \"gemini\"\nmodel = \"models/gemini-2.0-flash\"");
    gemini.validate().unwrap();
    let info = gemini.info().unwrap();
    assert_eq!(
        (info.vendor.as_str(), info.family.as_str()),
        ("google", "gemini-2.0-flash")
    );
}

#[test]
fn command_kind() {
    let config = parse(
        r#"
        kind = "command"
        program = "sh"
        args = ["-c", "cat"]
        input = "json"
        timeout = "250ms"
        vendor = "acme"
        "#,
    );
    let BackendConfig::Command(c) = &config else {
        panic!()
    };
    assert_eq!(
        (c.input, c.timeout),
        (CommandInput::Json, Duration::from_millis(250))
    );
    assert_eq!(config.info().unwrap().name, "command:sh");
    config.build().unwrap();
}

#[test]
fn mistakes_get_actionable_errors() {
    let typo = "kind = \"command\"\nprogram = \"x\"\nvendor = \"v\"\nmax_retires = 3"
        .parse::<BackendConfig>();
    assert!(
        matches!(&typo, Err(ConfigError::Parse(m)) if m.contains("max_retires")),
        "{typo:?}"
    );
    let unit = "kind = \"command\"\nprogram = \"x\"\nvendor = \"v\"\ntimeout = \"30\""
        .parse::<BackendConfig>();
    assert!(
        matches!(&unit, Err(ConfigError::Parse(m)) if m.contains("unit")),
        "{unit:?}"
    );
    let no_vendor =
        parse("kind = \"openai\"\nbase_url = \"http://127.0.0.1:8000/v1\"\nmodel = \"m\"");
    assert_eq!(
        no_vendor.validate(),
        Err(ConfigError::VendorRequired { kind: "openai" })
    );
    let bad_url =
        parse("kind = \"openai\"\nbase_url = \"localhost:8000\"\nmodel = \"m\"\nvendor = \"v\"");
    assert!(
        matches!(bad_url.validate(), Err(ConfigError::BadUrl { .. })),
        "{:?}",
        bad_url.validate()
    );
    let price = parse("kind = \"anthropic\"\nmodel = \"m\"\nprice_out_per_1k = -1.0");
    assert!(matches!(
        price.validate(),
        Err(ConfigError::BadPrice {
            field: "price_out_per_1k",
            ..
        })
    ));
    let retries = parse("kind = \"gemini\"\nmodel = \"m\"\nmax_retries = 50");
    assert!(matches!(
        retries.validate(),
        Err(ConfigError::TooManyRetries { .. })
    ));
    let backoff = parse(
        "kind = \"gemini\"\nmodel = \"m\"\nretry_initial_backoff = \"10s\"\nretry_max_backoff = \"1s\"",
    );
    assert!(matches!(
        backoff.validate(),
        Err(ConfigError::BackoffOrder { .. })
    ));
    let env = parse("kind = \"anthropic\"\nmodel = \"m\"\napi_key_env = \"$KEY\"");
    assert!(matches!(
        env.validate(),
        Err(ConfigError::BadEnvName { .. })
    ));
    let unknown_kind = "kind = \"bard\"\nmodel = \"m\"".parse::<BackendConfig>();
    assert!(
        matches!(&unknown_kind, Err(ConfigError::Parse(m)) if m.contains("bard")),
        "{unknown_kind:?}"
    );
    for error in [
        ConfigError::VendorRequired { kind: "command" },
        ConfigError::MissingApiKey { env: "K".into() },
    ] {
        assert!(error.to_string().len() > 40, "terse message: {error}");
    }
}

struct FakeBuiltin;

impl BuiltinFactory for FakeBuiltin {
    fn build(&self, config: &BuiltinConfig) -> Result<Arc<dyn ModelBackend>, ModelError> {
        let threads = config
            .options
            .get("threads")
            .and_then(|t| t.as_u64())
            .unwrap_or(0);
        let command = CommandConfig::new(
            "true",
            vec![],
            format!("builtin-{}-{threads}", config.model),
        );
        Ok(Arc::new(Command::new(&command)?))
    }
}

#[test]
fn builtin_goes_to_the_factory() {
    let config = parse("kind = \"builtin\"\nmodel = \"smollm2-135m\"\noptions = { threads = 1 }");
    assert_eq!(config.info(), None);
    let error = config.build().err().unwrap();
    assert!(error.to_string().contains("byzvote-builtin"), "{error}");
    let backend = config.build_with(Some(&FakeBuiltin)).unwrap();
    assert_eq!(backend.info().vendor, "builtin-smollm2-135m-1");
}

#[test]
fn inline_toml_and_round_trip() {
    let config: BackendConfig =
        r#"{ kind = "command", program = "sh", args = ["-c", "cat"], vendor = "me", timeout = "1.5s" }"#.parse().unwrap();
    let BackendConfig::Command(c) = &config else {
        panic!()
    };
    assert_eq!(c.timeout, Duration::from_millis(1500));
    let text = toml::to_string(&config).unwrap();
    assert_eq!(parse(&text), config, "{text}");
    let openai = BackendConfig::OpenAi(OpenAiConfig::new("http://127.0.0.1:1/v1", "m"));
    assert_eq!(parse(&toml::to_string(&openai).unwrap()), openai);
}
