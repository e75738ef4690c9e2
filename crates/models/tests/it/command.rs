//! The command backend with `sh -c` programs.

use std::time::Duration;

use crate::common::system_and_user;
use byzvote_models::{Command, CommandConfig, CommandInput, ModelBackend, ModelError, Prompt};

fn sh(script: &str) -> CommandConfig {
    let mut config = CommandConfig::new("sh", vec!["-c".into(), script.into()], "acme");
    config.timeout = Duration::from_secs(10);
    config
}

async fn ask(
    config: &CommandConfig,
    prompt: &Prompt,
) -> Result<byzvote_models::Completion, ModelError> {
    Command::new(config).unwrap().complete(prompt).await
}

#[tokio::test]
async fn cat_echoes_a_single_question_verbatim() {
    let completion = ask(&sh("cat"), &Prompt::user("Is 17 prime?"))
        .await
        .unwrap();
    assert_eq!(completion.text, "Is 17 prime?");
    assert_eq!(completion.model, "sh");
}

#[tokio::test]
async fn cat_echoes_the_documented_conversation_format() {
    let completion = ask(&sh("cat"), &system_and_user()).await.unwrap();
    assert_eq!(
        completion.text,
        "### system\nAnswer with one word.\n\n### user\nIs 17 prime?\n\n### assistant"
    );
}

#[tokio::test]
async fn json_input_and_environment() {
    let mut config = sh("cat; echo \"$BYZVOTE_MAX_TOKENS $BYZVOTE_SEED $BYZVOTE_DETERMINISTIC\"");
    config.input = CommandInput::Json;
    let completion = ask(&config, &system_and_user()).await.unwrap();
    let (json, env) = completion.text.split_once('\n').unwrap();
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(value["messages"][1]["content"], "Is 17 prime?");
    assert_eq!(value["max_tokens"], 16);
    assert_eq!(env, format!("16 {} 1", (1u64 << 63) | 42));
}

#[tokio::test]
async fn a_large_prompt_does_not_deadlock() {
    let question = "x".repeat(1 << 19);
    let completion = ask(&sh("cat"), &Prompt::user(question.clone()))
        .await
        .unwrap();
    assert_eq!(completion.text.len(), question.len());
}

#[tokio::test]
async fn non_zero_exit_reports_the_end_of_stderr() {
    let script = "for i in $(seq 1 30); do echo \"log line $i\" >&2; done; echo 'fatal: no model' >&2; exit 3";
    let error = ask(&sh(script), &Prompt::user("q")).await.unwrap_err();
    let ModelError::Local(message) = &error else {
        panic!("expected a local error, got {error:?}")
    };
    assert!(message.contains("exit status: 3"), "{message}");
    assert!(
        message.ends_with("log line 30\nfatal: no model"),
        "{message}"
    );
    assert!(
        !message.contains("log line 20\n"),
        "more than the last lines: {message}"
    );
}

#[tokio::test]
async fn a_program_that_hangs_is_killed_at_the_timeout() {
    let mut config = sh("sleep 30");
    config.timeout = Duration::from_millis(200);
    let started = std::time::Instant::now();
    let error = ask(&config, &Prompt::user("q")).await.unwrap_err();
    assert!(
        matches!(error, ModelError::Timeout(t) if t == Duration::from_millis(200)),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "waited for the program: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn oversized_output_is_refused() {
    let mut config = sh("yes");
    config.max_output_bytes = 1000;
    let error = ask(&config, &Prompt::user("q")).await.unwrap_err();
    assert!(
        matches!(&error, ModelError::Local(m) if m.contains("max_output_bytes")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_missing_program_is_a_config_error_with_a_hint() {
    let config = CommandConfig::new("/nonexistent/byzvote-model", vec![], "acme");
    let error = ask(&config, &Prompt::user("q")).await.unwrap_err();
    assert!(
        matches!(&error, ModelError::Config(m) if m.contains("is it installed")),
        "{error:?}"
    );
}

/// The whole process group dies, not only the direct child: a background `sleep`
/// holds a FIFO open, and the FIFO reaches end-of-file only once every holder is gone.
/// The kill is triggered by the output limit (`yes` floods stdout), which can only
/// happen after the script has opened the FIFO and started `sleep`.
#[cfg(unix)]
#[tokio::test]
async fn killing_takes_the_whole_process_group() {
    use tokio::io::AsyncReadExt;

    let fifo = std::env::temp_dir().join(format!("byzvote-models-group-{}", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo failed");
    let mut reader = tokio::net::unix::pipe::OpenOptions::new()
        .open_receiver(&fifo)
        .unwrap();
    let mut config = sh(&format!("exec 3>'{}'; sleep 30 >&3 & yes", fifo.display()));
    config.max_output_bytes = 1000;
    let error = ask(&config, &Prompt::user("q")).await.unwrap_err();
    assert!(
        matches!(&error, ModelError::Local(m) if m.contains("max_output_bytes")),
        "{error:?}"
    );
    let mut rest = Vec::new();
    let eof = tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut rest)).await;
    let _ = std::fs::remove_file(&fifo);
    assert!(eof.is_ok(), "the background sleep survived the kill");
}

/// With `max_concurrent = 1` the calls never overlap: each one holds a lock directory
/// that a concurrent run could not create (it would exit 9). Without the limit, four
/// calls that each hold it for 50 ms would collide.
#[tokio::test]
async fn max_concurrent_serialises_calls() {
    let lock = std::env::temp_dir().join(format!("byzvote-models-lock-{}", std::process::id()));
    let _ = std::fs::remove_dir(&lock);
    let script = format!(
        "mkdir '{0}' || exit 9; sleep 0.05; rmdir '{0}'; echo ok",
        lock.display()
    );
    let mut config = sh(&script);
    config.max_concurrent = Some(1);
    let backend = Command::new(&config).unwrap();
    let prompt = Prompt::user("q");
    let (a, b, c, d) = tokio::join!(
        backend.complete(&prompt),
        backend.complete(&prompt),
        backend.complete(&prompt),
        backend.complete(&prompt)
    );
    for result in [a, b, c, d] {
        assert_eq!(result.unwrap().text, "ok");
    }
}

#[tokio::test]
async fn estimated_tokens_give_a_priced_command_a_cost() {
    let completion = ask(
        &sh("cat >/dev/null; echo 12345678"),
        &Prompt::user("Is 17 prime?"),
    )
    .await
    .unwrap();
    assert_eq!(completion.usage.prompt_tokens, 0, "off by default");
    let mut config = sh("cat >/dev/null; echo 12345678");
    config.estimate_tokens = true;
    config.price_in_per_1k = 1.0;
    config.price_out_per_1k = 2.0;
    let backend = Command::new(&config).unwrap();
    let completion = backend
        .complete(&Prompt::user("Is 17 prime?"))
        .await
        .unwrap();
    // "Is 17 prime?" is 12 bytes → 3 tokens; "12345678" is 8 bytes → 2 tokens.
    assert_eq!(completion.usage.prompt_tokens, 3);
    assert_eq!(completion.usage.completion_tokens, 2);
    let cost = backend.info().cost(completion.usage);
    assert!(
        (cost - (3.0 * 1.0 + 2.0 * 2.0) / 1000.0).abs() < 1e-12,
        "{cost}"
    );
}
