//! A local program as a model: the prompt goes to its stdin (format at
//! [`crate::render_text`]), the answer is its stdout.
//!
//! The program runs in its own process group, so that on a timeout the whole group —
//! a wrapper script and the inference it started — is killed, not just the script: a
//! leftover model on a 2-core machine would slow every later vote. The child also gets
//! `BYZVOTE_MAX_TOKENS`, `BYZVOTE_SEED` and `BYZVOTE_DETERMINISTIC` (`1`/`0`) in its
//! environment.

use std::collections::VecDeque;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::config::checks::{self, InfoFields, defaults};
use crate::config::duration;
use crate::render::{render_json, render_text};
use crate::{BackendInfo, Completion, ConfigError, ModelBackend, ModelError, Prompt, Usage};

/// Lines of stderr quoted when the program fails.
const STDERR_LINES: usize = 10;
/// Bytes of stderr kept (the end of it) to find those lines.
const STDERR_KEEP: usize = 16 << 10;

/// Settings of a command backend (`kind = "command"`).
///
/// ```toml
/// kind = "command"
/// program = "ollama"
/// args = ["run", "qwen2.5:0.5b"]
/// input = "text"          # or "json"
/// timeout = "120s"        # the program is killed after this
/// vendor = "alibaba"      # required: who trained the model behind the program
/// family = "qwen2.5"      # default: the model name
/// model = "qwen2.5:0.5b"  # reported model name; default the program's file name
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandConfig {
    /// The executable, looked up on `PATH` when it has no `/`.
    pub program: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// How the prompt is written to stdin.
    #[serde(default)]
    pub input: CommandInput,
    /// The program (and its process group) is killed when a call takes longer.
    #[serde(default = "defaults::timeout", with = "duration")]
    pub timeout: Duration,
    /// Answers longer than this are refused (the program is killed).
    #[serde(default = "default_max_output")]
    pub max_output_bytes: u64,
    /// At most this many copies of the program run at once; further calls wait (the
    /// wait counts against `timeout`). Unset: no limit. Set `1` for a program that
    /// loads a model per call, so that concurrent votes do not fight for the cores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent: Option<u32>,
    /// The model name reported in completions; default the program's file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Display name; default `command:<model>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Who trained the model behind the program (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(default)]
    pub price_in_per_1k: f64,
    #[serde(default)]
    pub price_out_per_1k: f64,
    /// A program reports no token counts; set this to estimate them (one token per 4 bytes
    /// of the prompt as written to stdin and of the answer, the usual rule of thumb), so a
    /// priced command model reports an approximate cost. Off: usage is zero.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub estimate_tokens: bool,
}

/// How a command receives the prompt (see [`crate::render_text`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommandInput {
    /// One user message verbatim, or `### role` blocks.
    #[default]
    Text,
    /// One JSON line with the messages and generation settings.
    Json,
}

fn default_max_output() -> u64 {
    1 << 20
}

impl CommandConfig {
    /// A config with every default running `program` with `args`.
    pub fn new(program: impl Into<String>, args: Vec<String>, vendor: impl Into<String>) -> Self {
        Self {
            program: program.into(),
            args,
            input: CommandInput::default(),
            timeout: defaults::timeout(),
            max_output_bytes: default_max_output(),
            max_concurrent: None,
            model: None,
            name: None,
            vendor: Some(vendor.into()),
            family: None,
            price_in_per_1k: 0.0,
            price_out_per_1k: 0.0,
            estimate_tokens: false,
        }
    }

    fn model_name(&self) -> &str {
        match &self.model {
            Some(model) if !model.trim().is_empty() => model.trim(),
            _ => self.program.rsplit('/').next().unwrap_or(&self.program),
        }
    }

    pub(crate) fn info_fields(&self) -> InfoFields<'_> {
        InfoFields {
            kind: "command",
            model: self.model_name(),
            name: self.name.as_deref(),
            vendor: self.vendor.as_deref(),
            default_vendor: None,
            family: self.family.as_deref(),
            price_in_per_1k: self.price_in_per_1k,
            price_out_per_1k: self.price_out_per_1k,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        checks::non_empty("program", &self.program, "\"/usr/local/bin/my-model\"")?;
        checks::duration("timeout", self.timeout)?;
        if self.max_output_bytes < 1 {
            return Err(ConfigError::TooSmall {
                field: "max_output_bytes",
                value: self.max_output_bytes,
                min: 1,
            });
        }
        if self.max_concurrent == Some(0) {
            return Err(ConfigError::TooSmall {
                field: "max_concurrent",
                value: 0,
                min: 1,
            });
        }
        self.info_fields().validate()
    }
}

/// A backend that runs a local program once per prompt.
///
/// The prompt is written to stdin as [`crate::render_text`] describes; the answer is
/// stdout with trailing newlines removed. Token usage is reported as zero, or estimated
/// (`estimate_tokens`). The program
/// runs in its own process group, killed as a whole on a timeout. It gets
/// `BYZVOTE_MAX_TOKENS`, `BYZVOTE_SEED` and `BYZVOTE_DETERMINISTIC` (`1`/`0`) in its
/// environment. A non-zero exit is a [`ModelError::Local`] quoting stderr's last lines.
#[derive(Debug)]
pub struct Command {
    info: BackendInfo,
    config: CommandConfig,
    slots: Option<tokio::sync::Semaphore>,
}

impl Command {
    pub fn new(config: &CommandConfig) -> Result<Self, ModelError> {
        config.validate()?;
        let slots = config
            .max_concurrent
            .map(|n| tokio::sync::Semaphore::new(n as usize));
        Ok(Self {
            info: config.info_fields().info(),
            config: config.clone(),
            slots,
        })
    }

    fn spawn(&self, prompt: &Prompt) -> Result<tokio::process::Child, ModelError> {
        let mut command = tokio::process::Command::new(&self.config.program);
        command
            .args(&self.config.args)
            .env("BYZVOTE_MAX_TOKENS", prompt.max_tokens.to_string())
            .env("BYZVOTE_SEED", prompt.seed.to_string())
            .env(
                "BYZVOTE_DETERMINISTIC",
                if prompt.deterministic { "1" } else { "0" },
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        #[cfg(unix)]
        command.process_group(0);
        command.spawn().map_err(|e| {
            let hint = match e.kind() {
                std::io::ErrorKind::NotFound => " (is it installed? use a full path or check PATH)",
                std::io::ErrorKind::PermissionDenied => " (is it executable?)",
                _ => "",
            };
            ModelError::Config(format!("cannot start {:?}: {e}{hint}", self.config.program))
        })
    }

    /// Feeds stdin, drains stdout and stderr concurrently (a program that writes before
    /// it has read everything must not deadlock on a full pipe), then waits for exit.
    async fn talk(
        &self,
        child: &mut tokio::process::Child,
        input: String,
    ) -> Result<String, ModelError> {
        let (stdin, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let write = async move {
            if let Some(mut stdin) = stdin {
                // A program that answers without reading its input closes the pipe early.
                let _ = stdin.write_all(input.as_bytes()).await;
            }
        };
        // stderr is drained on its own so a chatty program never blocks on it; its
        // tail is only needed if the program fails.
        let stderr = tokio::spawn(read_tail(stderr));
        let limit = self.config.max_output_bytes;
        let ((), stdout) = tokio::join!(write, read_limited(stdout, limit));
        let stdout = stdout
            .map_err(|e| ModelError::Local(format!("cannot read the program's output: {e}")))?;
        let Some(stdout) = stdout else {
            return Err(ModelError::Local(format!(
                "the program wrote more than {limit} bytes (max_output_bytes)"
            )));
        };
        let status = child
            .wait()
            .await
            .map_err(|e| ModelError::Local(format!("cannot wait for the program: {e}")))?;
        let stderr = stderr.await.unwrap_or_default();
        if !status.success() {
            let program = &self.config.program;
            let tail = last_lines(&stderr);
            return Err(ModelError::Local(format!(
                "{program:?} failed ({status}); end of its stderr:\n{tail}"
            )));
        }
        let text = String::from_utf8(stdout)
            .map_err(|_| ModelError::BadResponse("the program's output is not UTF-8".into()))?;
        Ok(text.trim_end_matches(['\n', '\r']).to_string())
    }
}

#[async_trait::async_trait]
impl ModelBackend for Command {
    fn info(&self) -> &BackendInfo {
        &self.info
    }

    async fn complete(&self, prompt: &Prompt) -> Result<Completion, ModelError> {
        let started = tokio::time::Instant::now();
        let input = match self.config.input {
            CommandInput::Text => render_text(&prompt.messages),
            CommandInput::Json => render_json(prompt),
        };
        let deadline = started + self.config.timeout;
        let _slot = match &self.slots {
            Some(slots) => match tokio::time::timeout_at(deadline, slots.acquire()).await {
                Ok(slot) => Some(
                    slot.map_err(|_| ModelError::Local("the backend is shutting down".into()))?,
                ),
                Err(_elapsed) => return Err(ModelError::Timeout(self.config.timeout)),
            },
            None => None,
        };
        let mut child = self.spawn(prompt)?;
        let group = child.id();
        let input_bytes = input.len();
        let outcome = tokio::time::timeout_at(deadline, self.talk(&mut child, input)).await;
        let text = match outcome {
            Ok(Ok(text)) => text,
            Ok(Err(error)) => {
                kill(group, &mut child);
                return Err(error);
            }
            Err(_elapsed) => {
                kill(group, &mut child);
                return Err(ModelError::Timeout(self.config.timeout));
            }
        };
        let usage = if self.config.estimate_tokens {
            let tokens = |bytes: usize| u32::try_from(bytes.div_ceil(4)).unwrap_or(u32::MAX);
            Usage {
                prompt_tokens: tokens(input_bytes),
                completion_tokens: tokens(text.len()),
            }
        } else {
            Usage::default()
        };
        Ok(Completion {
            text,
            usage,
            model: self.config.model_name().to_string(),
            latency: started.elapsed(),
            confidence: None,
        })
    }
}

/// Kills the child's whole process group (it leads its own), then the child itself in
/// case the group is already gone; tokio reaps it in the background.
fn kill(group: Option<u32>, child: &mut tokio::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = group
        .and_then(|g| i32::try_from(g).ok())
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    #[cfg(not(unix))]
    let _ = group;
    let _ = child.start_kill();
}

/// Reads everything, or `None` once more than `limit` bytes arrived.
async fn read_limited(
    pipe: Option<impl AsyncRead + Unpin>,
    limit: u64,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    if let Some(pipe) = pipe {
        pipe.take(limit.saturating_add(1))
            .read_to_end(&mut out)
            .await?;
    }
    Ok((out.len() as u64 <= limit).then_some(out))
}

/// Reads everything and keeps the last `STDERR_KEEP` bytes.
async fn read_tail(pipe: Option<impl AsyncRead + Unpin + Send>) -> Vec<u8> {
    let Some(mut pipe) = pipe else {
        return Vec::new();
    };
    let mut kept = VecDeque::with_capacity(STDERR_KEEP);
    let mut buffer = [0u8; 4096];
    while let Ok(n @ 1..) = pipe.read(&mut buffer).await {
        kept.extend(&buffer[..n]);
        let excess = kept.len().saturating_sub(STDERR_KEEP);
        kept.drain(..excess);
    }
    kept.into()
}

fn last_lines(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let tail = lines[lines.len().saturating_sub(STDERR_LINES)..].join("\n");
    if tail.is_empty() {
        "(empty)".to_string()
    } else {
        tail
    }
}
