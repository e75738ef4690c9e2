//! `GET /v1/reviews`, `GET /v1/reviews/{id}` (reviewers: the full held answers) and
//! `POST /v1/reviews/{id}` (a signed verdict). See [`crate::review`].

use crate::{
    error::HttpError,
    extract::ApiJson,
    review::{ReviewQueue, Verdict},
    server::AppState,
    types::VoteResponse,
};
use axum::{
    Json,
    extract::{Path, State},
};
use serde::Serialize;
use std::sync::Arc;

/// One held answer, in full, for a reviewer.
#[derive(Debug, Serialize)]
pub struct Held {
    /// Why it was held.
    pub reason: String,
    /// The decided response as the client would get it once approved.
    pub response: VoteResponse,
}

fn queue(state: &AppState) -> Result<&Arc<ReviewQueue>, HttpError> {
    state.config.review.as_ref().ok_or_else(|| {
        HttpError::not_found(
            "review_disabled",
            "this node holds nothing for review (no review queue configured)",
        )
    })
}

/// Answers waiting for a verdict.
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<Held>>, HttpError> {
    let q = queue(&state)?;
    Ok(Json(
        q.pending()
            .into_iter()
            .map(|(reason, response)| Held { reason, response })
            .collect(),
    ))
}

/// One held answer in full.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Held>, HttpError> {
    let q = queue(&state)?;
    let id = id.to_ascii_lowercase();
    q.full(&id)
        .map(|(reason, response)| Json(Held { reason, response }))
        .ok_or_else(|| {
            HttpError::not_found(
                "review_not_found",
                format!("no vote {id} is held for review on this node"),
            )
        })
}

/// A reviewer's signed verdict; answers with the client's view after it.
pub async fn decide(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(verdict): ApiJson<Verdict>,
) -> Result<Json<VoteResponse>, HttpError> {
    let q = queue(&state)?;
    Ok(Json(q.decide(&id.to_ascii_lowercase(), verdict)?))
}
