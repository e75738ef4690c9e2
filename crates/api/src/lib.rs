//! byzvote-api: the node's HTTP API, its client, the JSON contract and offline certificate
//! verification.
//!
//! * [`types`]: the JSON bodies ([`VoteRequest`], [`VoteResponse`], [`Certificate`], [`ApiError`]).
//! * [`server`]: an axum router over the [`Gateway`] trait the node implements.
//! * [`client`]: a reqwest client of that API, with errors that say what to do.
//! * [`verify`]: checks a certificate offline with nothing but the group public key.
//! * [`render`]: terminal output; [`cli`]: the helpers behind `byzvote ask` and `byzvote verify`.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod cli;
pub mod client;
pub mod consistency;
pub mod core_types;
pub mod dispatch;
pub mod error;
pub mod extract;
pub mod keys;
pub mod openai;
pub mod record_view;
pub mod render;
pub mod review;
pub mod review_routes;
pub mod server;
pub mod types;
pub mod verifier;
pub mod verify;

#[cfg(test)]
mod e2e_tests;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod verify_tests;

pub use client::{Client, ClientError};
pub use error::{ApiError, ApiErrorBody, HttpError};
pub use server::{
    AppState, Gateway, GatewayError, RouterConfig, ServerConfig, router, router_with, serve,
};
pub use types::{
    Certificate, ClusterInfo, MemberInfo, MemberStatus, MemberVote, Outcome, RouteInfo, TierChoice,
    VoteRequest, VoteResponse, VoteStatus,
};
pub use verify::{VerifiedDecision, VerifyError, verify_certificate};
