//! Where a client command finds a node's HTTP API, and the key it shows there.

use clap::Args;

/// The endpoint when neither `--endpoint` nor a cluster started by `byzvote up` gives one.
const FALLBACK: &str = "http://127.0.0.1:7400";

#[derive(Args, Clone, Debug)]
pub struct NodeApi {
    /// The node's HTTP endpoint. Default: the cluster `byzvote up` last started with its
    /// default data dir, else http://127.0.0.1:7400.
    #[arg(long, env = "BYZVOTE_ENDPOINT")]
    pub endpoint: Option<String>,
    /// The client API key, if the cluster requires one (`byzvote keys create`).
    #[arg(long, env = "BYZVOTE_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
}

impl NodeApi {
    /// `endpoint` with no key.
    pub fn at(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: Some(endpoint.into()),
            api_key: None,
        }
    }

    /// The endpoint to call: `--endpoint`, else the one `byzvote up` wrote, else the fallback.
    pub fn url(&self) -> String {
        self.endpoint
            .clone()
            .or_else(crate::cluster::default_endpoint)
            .unwrap_or_else(|| FALLBACK.to_string())
            .trim_end_matches('/')
            .to_string()
    }
}
