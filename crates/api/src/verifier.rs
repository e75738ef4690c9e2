//! The external verification hook (DESIGN.md §6): before an agreed answer is released, a
//! trusted checker the operator configures (a command, or an HTTP webhook) looks at it. A
//! failing verdict blocks the release: the client gets `rejected` with the verifier's reason,
//! never the answer or its certificate. Every verdict is appended (fsynced) to the serving
//! node's `verification.jsonl`.
//!
//! The checker gets one JSON object: `{"id", "question", "answer", "mode", "tier"}`.
//! * `command = ["prog", "arg", …]`: the object on stdin; exit status 0 passes, anything else
//!   fails; the first line of stdout (or stderr) is the reason.
//! * `url = "https://…"`: the object is POSTed; the answer must be `{"pass": bool,
//!   "detail": "…"}` with a 2xx status.
//!
//! The hook fails closed: a timeout, a crash or an unreadable answer is a failing verdict
//! (an unchecked answer is never released as checked).

use crate::types::{Outcome, VoteResponse, VoteStatus};
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::AsyncWriteExt as _;

/// `[verifier]` in `node.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierConfig {
    /// A command and its arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// A webhook URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Longest wait for a verdict, in milliseconds (default 10,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

impl VerifierConfig {
    /// Whether a hook is configured.
    pub fn is_set(&self) -> bool {
        self.command.is_some() || self.url.is_some()
    }

    /// What a user can get wrong.
    pub fn validate(&self) -> Result<(), String> {
        match (&self.command, &self.url) {
            (Some(_), Some(_)) => Err("set either `command` or `url`, not both".into()),
            (Some(c), None) if c.is_empty() => Err("`command` is empty".into()),
            (None, Some(u)) if !(u.starts_with("http://") || u.starts_with("https://")) => Err(
                format!("`url` must start with http:// or https://, got {u:?}"),
            ),
            _ => Ok(()),
        }
    }
}

/// A verdict, as shown to the client and kept in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Whether the answer passed.
    pub passed: bool,
    /// The checker's reason.
    pub detail: String,
    /// Which checker (the command's program or the URL).
    pub verifier: String,
}

#[derive(Serialize)]
struct Subject<'a> {
    id: &'a str,
    question: &'a str,
    answer: &'a str,
    mode: &'a str,
    tier: u8,
}

/// The configured hook and its log.
pub struct Verifier {
    cfg: VerifierConfig,
    log: Mutex<std::fs::File>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("cfg", &self.cfg).finish()
    }
}

impl Verifier {
    /// A verifier logging to `log`.
    pub fn open(cfg: VerifierConfig, log: &Path) -> Result<Self, String> {
        cfg.validate()?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
        Ok(Self {
            cfg,
            log: Mutex::new(file),
            http: reqwest::Client::new(),
        })
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.cfg.timeout_ms.unwrap_or(10_000))
    }

    /// Checks an agreed answer (others pass through untouched) and applies the verdict: a
    /// failing one turns the response into a `rejected` one without answer or certificate.
    pub async fn apply(&self, question: &str, mut response: VoteResponse) -> VoteResponse {
        let (VoteStatus::Decided, Some(Outcome::Agreed), Some(answer)) =
            (response.status, response.outcome, response.answer.clone())
        else {
            return response;
        };
        let subject = Subject {
            id: &response.id,
            question,
            answer: &answer,
            mode: &response.mode,
            tier: response.tier,
        };
        let body = serde_json::to_vec(&subject).unwrap_or_default();
        let verdict = match (&self.cfg.command, &self.cfg.url) {
            (Some(cmd), _) => self.run_command(cmd, &body).await,
            (None, Some(url)) => self.call_webhook(url, body).await,
            (None, None) => return response,
        };
        if let Ok(mut f) = self.log.lock() {
            let line = serde_json::json!({"id": response.id, "answer": answer, "verdict": verdict});
            let _ = writeln!(f, "{line}").and_then(|_| f.sync_data());
        }
        if !verdict.passed {
            response.status = VoteStatus::Rejected;
            response.answer = None;
            response.certificate = None;
            response.attestation = None;
        }
        response.verification = Some(verdict);
        response
    }

    async fn run_command(&self, cmd: &[String], body: &[u8]) -> Verification {
        let verifier = cmd.first().cloned().unwrap_or_default();
        let fail = |detail: String| Verification {
            passed: false,
            detail,
            verifier: verifier.clone(),
        };
        let Some((program, args)) = cmd.split_first() else {
            return fail("the verifier command is empty".into());
        };
        let child = tokio::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => return fail(format!("cannot run the verifier: {e}")),
        };
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(body).await;
        }
        match tokio::time::timeout(self.timeout(), child.wait_with_output()).await {
            Err(_) => fail(format!(
                "the verifier gave no verdict within {:?}",
                self.timeout()
            )),
            Ok(Err(e)) => fail(format!("the verifier failed: {e}")),
            Ok(Ok(out)) => {
                let first = |b: &[u8]| {
                    String::from_utf8_lossy(b)
                        .lines()
                        .next()
                        .unwrap_or("")
                        .chars()
                        .take(500)
                        .collect::<String>()
                };
                let detail = match first(&out.stdout) {
                    s if s.is_empty() => first(&out.stderr),
                    s => s,
                };
                Verification {
                    passed: out.status.success(),
                    detail,
                    verifier: verifier.clone(),
                }
            }
        }
    }

    async fn call_webhook(&self, url: &str, body: Vec<u8>) -> Verification {
        #[derive(Deserialize)]
        struct Answer {
            pass: bool,
            #[serde(default)]
            detail: String,
        }
        let fail = |detail: String| Verification {
            passed: false,
            detail,
            verifier: url.to_string(),
        };
        let sent = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .body(body)
            .timeout(self.timeout())
            .send()
            .await;
        let resp = match sent {
            Ok(r) if r.status().is_success() => r,
            Ok(r) => return fail(format!("the webhook answered {}", r.status())),
            Err(e) => return fail(format!("the webhook failed: {e}")),
        };
        match resp
            .bytes()
            .await
            .ok()
            .and_then(|b| serde_json::from_slice::<Answer>(&b).ok())
        {
            Some(a) => Verification {
                passed: a.pass,
                detail: a.detail,
                verifier: url.to_string(),
            },
            None => fail("the webhook's answer is not {\"pass\": bool, \"detail\": \"…\"}".into()),
        }
    }
}
