//! A small client of the native API, used by `byzvote ask` and by tests.
//!
//! Its errors say what to do: a refused connection suggests starting the cluster, a timeout
//! suggests polling the vote, an API error carries the node's own message.

use crate::{
    error::ApiError,
    types::{ClusterInfo, VoteRequest, VoteResponse},
};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// The endpoint `byzvote up` serves on by default.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:7400";

/// How long to wait for a TCP connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for a whole vote by default (models can be slow). A little longer than the
/// server's own default limit (300 s), so that its JSON 504 arrives before the client gives up.
pub const DEFAULT_VOTE_TIMEOUT: Duration = Duration::from_secs(320);
/// How long to wait for the cheap read-only calls.
const READ_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The endpoint is not an http(s) URL.
    #[error("invalid endpoint {endpoint:?}: {reason}; use a URL like {DEFAULT_ENDPOINT}")]
    InvalidEndpoint {
        /// What the user gave.
        endpoint: String,
        /// Why it is not usable.
        reason: String,
    },
    /// The request is invalid before it is even sent.
    #[error("invalid request: {0}")]
    InvalidRequest(#[from] crate::types::RequestError),
    /// Nothing listens there.
    #[error("cannot connect to {endpoint}: is `byzvote up` running? ({source})")]
    Connect {
        /// The endpoint.
        endpoint: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The node did not answer in time.
    #[error(
        "no answer from {endpoint} within {after:?}; the vote may still finish: \
         retry with a larger --timeout, or poll it with GET /v1/votes/ID"
    )]
    Timeout {
        /// The endpoint.
        endpoint: String,
        /// The timeout that passed.
        after: Duration,
    },
    /// The node answered with an error body.
    #[error("the node refused the request ({status}): {}", body.error.message)]
    Api {
        /// The HTTP status.
        status: u16,
        /// The node's JSON error.
        body: ApiError,
    },
    /// The node answered something that is not the expected JSON.
    #[error(
        "unexpected answer from {endpoint} (HTTP {status}): {reason}; is it a byzvote node of the \
         same version?"
    )]
    BadResponse {
        /// The endpoint.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// What was wrong with it.
        reason: String,
    },
    /// The node's answer does not match its certificate, or the certificate is invalid.
    #[error("do not trust the answer from {endpoint}: {reason}")]
    Untrusted {
        /// The endpoint.
        endpoint: String,
        /// What did not check out.
        reason: crate::consistency::ResponseError,
    },
    /// Any other transport failure.
    #[error("request to {endpoint} failed: {source}")]
    Transport {
        /// The endpoint.
        endpoint: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
}

/// A client of one node.
#[derive(Debug, Clone)]
pub struct Client {
    endpoint: String,
    http: reqwest::Client,
    vote_timeout: Duration,
    api_key: Option<String>,
}

impl Client {
    /// A client of the node at `endpoint` (e.g. `http://127.0.0.1:7400`).
    pub fn new(endpoint: &str) -> Result<Self, ClientError> {
        let endpoint = endpoint.trim().trim_end_matches('/').to_string();
        let invalid = |reason: String| ClientError::InvalidEndpoint {
            endpoint: endpoint.clone(),
            reason,
        };
        let url = reqwest::Url::parse(&endpoint).map_err(|e| invalid(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(invalid(
                "it must start with http:// or https:// and name a host".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| invalid(format!("cannot build an HTTP client: {e}")))?;
        Ok(Self {
            endpoint,
            http,
            vote_timeout: DEFAULT_VOTE_TIMEOUT,
            api_key: None,
        })
    }

    /// Sets how long [`Client::vote`] waits for the decision.
    pub fn with_vote_timeout(mut self, timeout: Duration) -> Self {
        self.vote_timeout = timeout;
        self
    }

    /// Sends `Authorization: Bearer KEY` with every call (nodes with API keys need it).
    pub fn with_api_key(mut self, key: Option<String>) -> Self {
        self.api_key = key.filter(|k| !k.is_empty());
        self
    }

    /// The endpoint, without a trailing slash.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Sends a request and waits for its result (`POST /v1/votes`).
    pub async fn vote(&self, request: &VoteRequest) -> Result<VoteResponse, ClientError> {
        let body = serde_json::to_vec(request).map_err(|e| ClientError::BadResponse {
            endpoint: self.endpoint.clone(),
            status: 0,
            reason: format!("cannot encode the request: {e}"),
        })?;
        let builder = self
            .http
            .post(format!("{}/v1/votes", self.endpoint))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        self.call(builder, self.vote_timeout).await
    }

    /// Reads a vote by id (`GET /v1/votes/{id}`).
    pub async fn get_vote(&self, id: &str) -> Result<VoteResponse, ClientError> {
        let builder = self.http.get(format!("{}/v1/votes/{id}", self.endpoint));
        self.call(builder, READ_TIMEOUT).await
    }

    /// Reads the cluster description (`GET /v1/cluster`).
    pub async fn cluster(&self) -> Result<ClusterInfo, ClientError> {
        let builder = self.http.get(format!("{}/v1/cluster", self.endpoint));
        self.call(builder, READ_TIMEOUT).await
    }

    /// Checks that the node answers (`GET /healthz`).
    pub async fn health(&self) -> Result<(), ClientError> {
        let builder = self.http.get(format!("{}/healthz", self.endpoint));
        self.call::<serde_json::Value>(builder, READ_TIMEOUT)
            .await
            .map(|_| ())
    }

    async fn call<T: DeserializeOwned>(
        &self,
        builder: reqwest::RequestBuilder,
        timeout: Duration,
    ) -> Result<T, ClientError> {
        let builder = match &self.api_key {
            Some(k) => builder.bearer_auth(k),
            None => builder,
        };
        let response = builder
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| self.transport(e, timeout))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport(e, timeout))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| self.bad(status, e.to_string()));
        }
        match serde_json::from_slice::<ApiError>(&bytes) {
            Ok(body) => Err(ClientError::Api {
                status: status.as_u16(),
                body,
            }),
            Err(_) => Err(self.bad(status, format!("body: {}", preview(&bytes)))),
        }
    }

    fn transport(&self, e: reqwest::Error, timeout: Duration) -> ClientError {
        let endpoint = self.endpoint.clone();
        // A connect timeout is both: report it as a connection failure.
        if e.is_connect() {
            ClientError::Connect {
                endpoint,
                source: e,
            }
        } else if e.is_timeout() {
            ClientError::Timeout {
                endpoint,
                after: timeout,
            }
        } else {
            ClientError::Transport {
                endpoint,
                source: e,
            }
        }
    }

    fn bad(&self, status: StatusCode, reason: String) -> ClientError {
        ClientError::BadResponse {
            endpoint: self.endpoint.clone(),
            status: status.as_u16(),
            reason,
        }
    }
}

/// The first bytes of a body, for an error message.
fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]);
    if bytes.len() > 200 {
        format!("{text}...")
    } else {
        text.into_owned()
    }
}
