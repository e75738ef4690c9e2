//! The OpenAI-compatible API: `POST /v1/chat/completions` and `GET /v1/models`.
//!
//! The `model` field picks the tier (`byzvote-tier1` … `byzvote-tier5`, `byzvote-auto` for the
//! router, `byzvote` for tier 3). The answer is a valid OpenAI `chat.completion` (the official
//! `openai` client parses it unchanged) whose one choice carries the agreed answer, plus a
//! top-level `byzvote` field with the whole vote: outcome, per-coordinator votes, cost, route and
//! the threshold certificate. With no agreement, `message.content` is `null` and
//! `message.refusal` says so: a client reading only `content` never takes a split for an answer.
//!
//! byzvote's own options ride in a `byzvote` object (`mode`, `importance`, `budget_usd`,
//! `deadline_ms`, `client_nonce`); with the `openai` Python client that is
//! `extra_body={"byzvote": {"mode": "class:yes,no"}}`. `response_format: {"type": "json_object"}`
//! votes in `json` mode.
//!
//! # Streaming (`"stream": true`)
//!
//! An answer is only an answer once the vote is decided, so nothing of it is streamed before:
//! while the vote runs the server sends SSE comment lines (`: keep-alive`) so proxies keep the
//! connection open, then, at once:
//!
//! 1. a chunk with `delta: {"role": "assistant", "content": ""}`;
//! 2. a chunk with the whole agreed answer in `delta.content` (or `delta.refusal`);
//! 3. a chunk with `finish_reason: "stop"`;
//! 4. with `stream_options: {"include_usage": true}`, a chunk with no choices and the `usage`;
//! 5. `data: [DONE]`.
//!
//! The last chunk before `[DONE]` carries the `byzvote` field (votes and certificate). An error
//! after the stream started (e.g. the deadline) is one `data: {"error": {...}}` event, then
//! `[DONE]`; errors found before (bad request, unknown model) are plain JSON error responses.

pub mod convert;
pub mod types;

use crate::{
    error::HttpError, extract::ApiJson, keys::Caller, server::AppState, types::VoteStatus,
};
use axum::{
    Extension, Json, Router,
    extract::State,
    http::StatusCode,
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
    routing::{get, post},
};
use byzvote_core::route::max_tier;
use std::{convert::Infallible, time::Duration};
use types::{ChatRequest, ModelEntry, ModelList};

/// The routes, to merge into the node's router with [`crate::router_with`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/models", get(models))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn chat(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    ApiJson(req): ApiJson<ChatRequest>,
) -> Result<Response, HttpError> {
    let caller = caller.map(|Extension(c)| c);
    let body = convert::to_vote(&req)?;
    body.validate()?;
    let model = req.model.clone();
    if !req.stream {
        let vote = crate::dispatch::vote(&state, caller.as_ref(), body).await?;
        if vote.status == VoteStatus::Pending {
            return Err(still_pending(&vote.id));
        }
        return Ok(Json(convert::completion(&model, now(), vote)).into_response());
    }
    let include_usage = req.stream_options.is_some_and(|o| o.include_usage);
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(8);
    // The vote goes on in the chain even if the client hangs up; this task only relays it.
    tokio::spawn(async move {
        let events = match crate::dispatch::vote(&state, caller.as_ref(), body).await {
            Ok(vote) if vote.status == VoteStatus::Pending => {
                vec![error_event(&still_pending(&vote.id))]
            }
            Ok(vote) => convert::chunks(&model, now(), vote, include_usage)
                .iter()
                .map(|c| Event::default().data(serde_json::to_string(c).unwrap_or_default()))
                .collect(),
            Err(e) => vec![error_event(&e)],
        };
        for e in events.into_iter().chain([Event::default().data("[DONE]")]) {
            if tx.send(e).await.is_err() {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx))
    });
    Ok(Sse::new(stream)
        .keep_alive(
            KeepAlive::new()
                .interval(Duration::from_secs(5))
                .text("keep-alive"),
        )
        .into_response())
}

fn error_event(e: &HttpError) -> Event {
    Event::default().data(serde_json::to_string(&e.body).unwrap_or_default())
}

fn still_pending(id: &str) -> HttpError {
    HttpError::new(
        StatusCode::GATEWAY_TIMEOUT,
        "timeout_error",
        "deadline_exceeded",
        format!("the vote {id} is not decided yet; it goes on: poll GET /v1/votes/{id}"),
    )
}

async fn models(State(state): State<AppState>) -> Json<ModelList> {
    let top = max_tier(state.gateway.members() as u32);
    let data = convert::MODELS
        .iter()
        .filter(|m| match convert::tier_of(m) {
            Ok(crate::TierChoice::Fixed(t)) => t <= top,
            _ => true,
        })
        .map(|m| ModelEntry {
            id: (*m).to_string(),
            object: "model".into(),
            created: 0,
            owned_by: "byzvote".into(),
        })
        .collect();
    Json(ModelList {
        object: "list".into(),
        data,
    })
}
