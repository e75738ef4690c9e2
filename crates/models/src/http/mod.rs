//! HTTP plumbing shared by the provider backends: one client, one retry loop, keys from
//! the environment. The vendor files only build bodies and parse answers.

mod api_key;
mod endpoint;
mod retry;

pub(crate) use api_key::ApiKey;
pub(crate) use endpoint::{Endpoint, ErrorDetail, header_value, snippet};
pub use retry::RetryPolicy;

/// Decodes a successful answer's JSON; a body in another shape is the server's fault,
/// and the error quotes its start so the operator can see what came back.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, crate::ModelError> {
    serde_json::from_slice(body).map_err(|e| {
        crate::ModelError::BadResponse(format!("{e}; the body starts with: {}", snippet(body)))
    })
}
