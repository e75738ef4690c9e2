//! The bodies of `byzvote ask` and `byzvote verify`, so that the CLI only parses arguments,
//! prints, and picks the exit code.

use crate::{
    client::{Client, ClientError},
    consistency::{ResponseError, check_response},
    render,
    types::{Certificate, Outcome, VoteRequest, VoteResponse, VoteStatus},
    verify::{VerifiedDecision, VerifyError, verify_certificate},
};
use std::{path::Path, time::Duration};
use thiserror::Error;

/// The options of `byzvote ask` besides the request.
#[derive(Debug, Clone, Default)]
pub struct AskOptions {
    /// The node's URL; [`crate::client::DEFAULT_ENDPOINT`] when empty.
    pub endpoint: String,
    /// Print the full response as JSON instead of the rendering.
    pub json: bool,
    /// How long to wait for the decision; [`crate::client::DEFAULT_VOTE_TIMEOUT`] when `None`.
    pub timeout: Option<Duration>,
    /// The trusted group key (hex); without it the certificate is checked under the key it names.
    pub group_key: Option<String>,
    /// The client API key, for nodes that require one.
    pub api_key: Option<String>,
}

/// What `byzvote ask` prints and how it ends.
#[derive(Debug, Clone)]
pub struct AskOutput {
    /// The text to print on stdout (JSON with `--json`, the rendering otherwise).
    pub text: String,
    /// The response.
    pub response: VoteResponse,
    /// The checked certificate (`None` while the vote is pending).
    pub verified: Option<VerifiedDecision>,
    /// True when the vote decided with an agreed answer; the CLI exits non-zero otherwise, so
    /// scripts never mistake a `no_agreement` or a pending vote for an answer.
    pub agreed: bool,
}

/// Sends `request`, checks the answer against its certificate and renders the result.
///
/// The request is validated first, so a bad `--mode` fails at once, even with no node running.
/// The response is only returned if its certificate verifies, is for the request sent, and says
/// what the response says ([`check_response`]): a lying node gets a
/// [`ClientError::Untrusted`], never a printed answer.
pub async fn ask_main(
    request: &VoteRequest,
    options: &AskOptions,
) -> Result<AskOutput, ClientError> {
    // The request id covers the tier: for `auto`, the router's choice, known from the answer.
    let fixed = match request.tier {
        crate::TierChoice::Fixed(t) => Some(t),
        crate::TierChoice::Auto => None,
    };
    let sent_id = hex::encode(request.clone().into_request(fixed.unwrap_or(3))?.id());
    let endpoint = if options.endpoint.is_empty() {
        crate::client::DEFAULT_ENDPOINT
    } else {
        options.endpoint.as_str()
    };
    let mut client = Client::new(endpoint)?.with_api_key(options.api_key.clone());
    if let Some(t) = options.timeout {
        client = client.with_vote_timeout(t);
    }
    let response = client.vote(request).await?;
    let sent_id = match fixed {
        Some(_) => sent_id,
        None => hex::encode(request.clone().into_request(response.tier)?.id()),
    };
    let verified = check_response(&response, options.group_key.as_deref(), Some(&sent_id))
        .map_err(|reason| ClientError::Untrusted {
            endpoint: client.endpoint().to_string(),
            reason,
        })?;
    let text = if options.json {
        let mut s = serde_json::to_string_pretty(&response).unwrap_or_default();
        s.push('\n');
        s
    } else {
        render::render_checked_response(&response, verified.as_ref())
    };
    let agreed =
        response.status == VoteStatus::Decided && response.outcome == Some(Outcome::Agreed);
    Ok(AskOutput {
        text,
        response,
        verified,
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
    /// The certificate is valid but the response around it says something else.
    #[error("INVALID response: {0}")]
    Response(ResponseError),
}

/// What a certificate file holds.
#[derive(Debug, Clone)]
pub enum CertificateFile {
    /// A bare certificate.
    Certificate(Box<Certificate>),
    /// A whole response (`byzvote ask --json`), whose fields must match its certificate.
    Response(Box<VoteResponse>),
}

/// Reads a certificate file: either a bare [`Certificate`] or a whole [`VoteResponse`] (the
/// output of `byzvote ask --json`).
pub fn parse_certificate_file(text: &str, path: &str) -> Result<CertificateFile, VerifyMainError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| VerifyMainError::Parse {
            path: path.to_string(),
            reason: format!("not JSON ({e})"),
        })?;
    let parse_error = |e: serde_json::Error| VerifyMainError::Parse {
        path: path.to_string(),
        reason: e.to_string(),
    };
    match value.get("certificate") {
        Some(serde_json::Value::Null) => Err(VerifyMainError::NoCertificate {
            path: path.to_string(),
        }),
        Some(_) => serde_json::from_value(value)
            .map(|r| CertificateFile::Response(Box::new(r)))
            .map_err(parse_error),
        None => serde_json::from_value(value)
            .map(|c| CertificateFile::Certificate(Box::new(c)))
            .map_err(parse_error),
    }
}

/// Verifies the certificate in the file at `path` (and, for a whole response, that the response
/// agrees with it); `Ok` holds the text to print.
pub fn verify_main(
    path: &Path,
    group_key: Option<&str>,
) -> Result<(String, VerifiedDecision), VerifyMainError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| VerifyMainError::Read {
        path: name.clone(),
        source,
    })?;
    let verified = match parse_certificate_file(&text, &name)? {
        CertificateFile::Certificate(cert) => verify_certificate(&cert, group_key)?,
        CertificateFile::Response(response) => match check_response(&response, group_key, None) {
            Ok(Some(verified)) => verified,
            Ok(None) => return Err(VerifyMainError::NoCertificate { path: name }),
            Err(ResponseError::Certificate(e)) => return Err(VerifyMainError::Invalid(e)),
            Err(e) => return Err(VerifyMainError::Response(e)),
        },
    };
    Ok((render::render_verified(&verified), verified))
}
