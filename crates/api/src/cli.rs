//! The bodies of `byzvote ask` and `byzvote verify`, so that the CLI only parses arguments,
//! prints, and picks the exit code.

use crate::{
    client::{Client, ClientError},
    render,
    types::{Certificate, Outcome, VoteRequest, VoteResponse, VoteStatus},
    verify::{VerifiedDecision, VerifyError, verify_certificate},
};
use std::{path::Path, time::Duration};
use thiserror::Error;

/// What `byzvote ask` prints and how it ends.
#[derive(Debug, Clone)]
pub struct AskOutput {
    /// The text to print on stdout (JSON with `--json`, the rendering otherwise).
    pub text: String,
    /// The response.
    pub response: VoteResponse,
    /// True when the vote decided with an agreed answer; the CLI exits non-zero otherwise, so
    /// scripts never mistake a `no_agreement` or a pending vote for an answer.
    pub agreed: bool,
}

/// Sends `request` to `endpoint` and renders the result (`json`: the full response as JSON).
/// The request is validated first, so a bad `--mode` fails at once, even with no node running.
pub async fn ask_main(
    endpoint: &str,
    request: &VoteRequest,
    json: bool,
    timeout: Option<Duration>,
) -> Result<AskOutput, ClientError> {
    request.validate()?;
    let mut client = Client::new(endpoint)?;
    if let Some(t) = timeout {
        client = client.with_vote_timeout(t);
    }
    let response = client.vote(request).await?;
    let text = if json {
        let mut s = serde_json::to_string_pretty(&response).unwrap_or_default();
        s.push('\n');
        s
    } else {
        render::render_response(&response)
    };
    let agreed =
        response.status == VoteStatus::Decided && response.outcome == Some(Outcome::Agreed);
    Ok(AskOutput {
        text,
        response,
        agreed,
    })
}

/// Why `byzvote verify` failed.
#[derive(Debug, Error)]
pub enum VerifyMainError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a certificate.
    #[error(
        "{path} is not a byzvote certificate: {reason}; give the JSON of a certificate or of a whole response (`byzvote ask --json`)"
    )]
    Parse {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A response without a certificate (still pending).
    #[error(
        "{path} is a response without a certificate (the vote was still pending); fetch it again once decided"
    )]
    NoCertificate {
        /// The file.
        path: String,
    },
    /// The certificate is invalid.
    #[error("INVALID certificate: {0}")]
    Invalid(#[from] VerifyError),
}

/// Reads a certificate from JSON text: either a bare [`Certificate`] or a whole [`VoteResponse`]
/// (the output of `byzvote ask --json`), whose `certificate` is taken.
pub fn parse_certificate(text: &str, path: &str) -> Result<Certificate, VerifyMainError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| VerifyMainError::Parse {
            path: path.to_string(),
            reason: format!("not JSON ({e})"),
        })?;
    let cert = match value.get("certificate") {
        Some(serde_json::Value::Null) => {
            return Err(VerifyMainError::NoCertificate {
                path: path.to_string(),
            });
        }
        Some(inner) => inner.clone(),
        None => value,
    };
    serde_json::from_value(cert).map_err(|e| VerifyMainError::Parse {
        path: path.to_string(),
        reason: e.to_string(),
    })
}

/// Verifies the certificate in the file at `path`; `Ok` holds the text to print.
pub fn verify_main(
    path: &Path,
    group_key: Option<&str>,
) -> Result<(String, VerifiedDecision), VerifyMainError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| VerifyMainError::Read {
        path: name.clone(),
        source,
    })?;
    let cert = parse_certificate(&text, &name)?;
    let verified = verify_certificate(&cert, group_key)?;
    Ok((render::render_verified(&verified), verified))
}
