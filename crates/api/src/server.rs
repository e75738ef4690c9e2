//! The node's HTTP API: an axum router over a [`Gateway`] that the node implements.
//!
//! Routes (native API):
//!
//! | route | answer |
//! |---|---|
//! | `POST /v1/votes` (body [`VoteRequest`]) | 200 with a decided [`VoteResponse`], 202 if still pending |
//! | `GET /v1/votes/{id}` | 200 with the [`VoteResponse`], 404 if unknown |
//! | `GET /v1/cluster` | 200 with [`ClusterInfo`] |
//! | `GET /healthz` | 200 `{"status": "ok", "node": ...}` |
//! | `POST /v1/chat/completions`, `GET /v1/models` | the OpenAI-compatible API ([`crate::openai`]) |
//! | `GET /openapi.json` | the OpenAPI 3.1 document of all of the above |
//!
//! Every error, including unknown routes, wrong methods, bad bodies and panics in a handler, is a
//! 4xx/5xx with an [`ApiError`](crate::ApiError) JSON body. Further routes (the OpenAI-compatible
//! API of issue 6) are `Router<AppState>`s passed to [`router_with`], so they share the state, the
//! body limit, the JSON errors and the panic guard.

use crate::{
    error::HttpError,
    extract::{ApiJson, BodyLimit},
    types::{ClusterInfo, VoteRequest, VoteResponse, VoteStatus},
};
use async_trait::async_trait;
use axum::{
    Extension, Json, Router,
    extract::{DefaultBodyLimit, Path, State, rejection::PathRejection},
    http::{Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use std::{any::Any, future::Future, sync::Arc, time::Duration};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;

/// What the node offers the API. The node implements it; tests implement fakes.
#[async_trait]
pub trait Gateway: Send + Sync + 'static {
    /// Submits a validated request (`byzvote_core::Request`) and waits for its decision, at most
    /// until the request's deadline; a vote still undecided then is returned with status
    /// `pending` (the client polls `GET /v1/votes/{id}`), or as
    /// [`GatewayError::DeadlineExceeded`].
    ///
    /// The returned future is dropped if the client disconnects or
    /// [`ServerConfig::vote_timeout`] passes: the vote itself must go on (it is in the chain) and
    /// stay readable through [`Gateway::get`]. Submitting the same request twice (same id) must
    /// name the same vote, not start a second one.
    async fn submit(
        &self,
        request: crate::core_types::Request,
    ) -> Result<VoteResponse, GatewayError>;

    /// The current state of a vote by its hex request id, `None` if this node does not know it.
    async fn get(&self, id: &str) -> Result<Option<VoteResponse>, GatewayError>;

    /// The cluster as this node sees it: group key, node name, members.
    fn info(&self) -> ClusterInfo;

    /// How many members the cluster has (asked on every vote: an implementation that holds
    /// its [`ClusterInfo`] answers without copying it).
    fn members(&self) -> usize {
        self.info().members.len()
    }

    /// This node's external verifier judged vote `id`'s agreed answer (`passed` or not, by
    /// `verifier`). A node records it where every node can apply it (on its chain, signed),
    /// so a failure can lower the reputation of the members who voted for the answer. By
    /// default nothing is recorded beyond the verifier's own log.
    fn verdict(&self, _id: &str, _passed: bool, _verifier: &str) {}

    /// Where this node's time goes, by stage (read by `byzvote bench vote`), then dropped if
    /// `reset`; `None` when the node records no timings (the default).
    fn timings(&self, reset: bool) -> Option<serde_json::Value> {
        let _ = reset;
        None
    }

    /// The node's runtime metrics (consensus, p2p, storage) in the Prometheus text format,
    /// for `GET /metrics`; `None` when the node has none (the default).
    fn metrics(&self) -> Option<String> {
        None
    }
}

/// Why the node could not serve a request; each maps to one HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The request is valid JSON but this cluster cannot serve it (e.g. a tier larger than the
    /// cluster). 422.
    #[error("{message}")]
    Rejected {
        /// The request field at fault, if one is.
        param: Option<String>,
        /// What is wrong and what to do instead.
        message: String,
    },
    /// No decision before the deadline. 504; the vote may still finish, poll it by id.
    #[error(
        "no decision for vote {id} within {deadline:?}; it may still finish: poll GET /v1/votes/{id}"
    )]
    DeadlineExceeded {
        /// The request id (hex).
        id: String,
        /// The deadline that passed.
        deadline: Duration,
    },
    /// The vote was decided long ago and this node no longer keeps it in memory. 410.
    #[error(
        "vote {id} was decided before the last decisions this node keeps in memory; its \
         certificate is in every node's audit log: `byzvote audit show --data NODE_DATA_DIR {id}`"
    )]
    Retired {
        /// The request id (hex).
        id: String,
    },
    /// The node cannot take requests now (starting, DKG running, no quorum of peers). 503.
    #[error("this node cannot take requests now: {0}; retry shortly or ask another node")]
    Unavailable(String),
    /// Too many requests in flight. 429.
    #[error("this node is overloaded: {0}; retry later")]
    Overloaded(String),
    /// A bug or an unexpected state in the node. 500.
    #[error("internal error in the node: {0}")]
    Internal(String),
}

impl From<GatewayError> for HttpError {
    fn from(e: GatewayError) -> Self {
        let message = e.to_string();
        match e {
            GatewayError::Rejected { param, .. } => {
                let err = HttpError::unprocessable("rejected", message);
                match param {
                    Some(p) => err.with_param(p),
                    None => err,
                }
            }
            GatewayError::DeadlineExceeded { .. } => HttpError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "timeout_error",
                "deadline_exceeded",
                message,
            ),
            GatewayError::Retired { .. } => {
                HttpError::new(StatusCode::GONE, "not_found_error", "vote_retired", message)
            }
            GatewayError::Unavailable(_) => HttpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                "unavailable",
                message,
            ),
            GatewayError::Overloaded(_) => HttpError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "overloaded",
                message,
            ),
            GatewayError::Internal(_) => HttpError::internal(message),
        }
    }
}

/// Server settings, with units in the types.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest accepted request body in bytes (default 1 MiB); larger bodies get a 413.
    pub body_limit: usize,
    /// A safety net over [`Gateway::submit`]: if the gateway has not answered after this long,
    /// the client gets a 504 (the gateway's own deadline should fire first).
    pub vote_timeout: Duration,
    /// How `tier: "auto"` requests are routed.
    pub router: RouterConfig,
    /// Client API keys; `None` (or a store with no keys) leaves the API open.
    pub keys: Option<Arc<crate::keys::KeyStore>>,
    /// Identifiers masked in every request before it is ordered or reaches a model.
    pub privacy: Option<Arc<byzvote_core::privacy::Redactor>>,
    /// Answers held for a human reviewer; `None`: nothing is held.
    pub review: Option<Arc<crate::review::ReviewQueue>>,
    /// The external check run on agreed answers before release.
    pub verifier: Option<Arc<crate::verifier::Verifier>>,
}

/// The router's settings (DESIGN.md §3).
#[derive(Debug, Clone, Default)]
pub struct RouterConfig {
    /// The risk classifier's rules (health, finance, legal, irreversible actions by default).
    pub rules: byzvote_core::route::RiskRules,
    /// The expected cost of one coordinator's model call in US dollars, for budgets.
    pub cost_per_member_usd: f64,
    /// An `auto` request whose agreed answer came with a confidence below this (the lowest
    /// among the agreeing members that report one) is asked again one tier up. `None`: off.
    pub confidence_floor: Option<f64>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            vote_timeout: Duration::from_secs(300),
            router: RouterConfig::default(),
            keys: None,
            privacy: None,
            review: None,
            verifier: None,
        }
    }
}

/// The state every handler sees; routes added by other modules take `State<AppState>`.
#[derive(Clone)]
pub struct AppState {
    /// The node.
    pub gateway: Arc<dyn Gateway>,
    /// The server settings.
    pub config: Arc<ServerConfig>,
}

/// The native API routes, before state and layers: merge more `Router<AppState>`s into it.
pub fn native_routes() -> Router<AppState> {
    Router::new()
        .route("/v1/votes", post(submit_vote))
        .route("/v1/votes/{id}", get(get_vote))
        .route("/v1/cluster", get(cluster))
        .route("/v1/timings", get(timings).delete(reset_timings))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/v1/reviews", get(crate::review_routes::list))
        .route(
            "/v1/reviews/{id}",
            get(crate::review_routes::show).post(crate::review_routes::decide),
        )
}

/// The OpenAPI document, written by hand next to the types it describes and checked against
/// them by the tests (`openapi.json` in this crate).
async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("../openapi.json"),
    )
        .into_response()
}

/// The complete router: the native API and the OpenAI-compatible one, with JSON errors, body
/// limit and panic guard.
pub fn router(gateway: Arc<dyn Gateway>, config: ServerConfig) -> Router {
    router_with(gateway, config, crate::openai::routes())
}

/// The native API plus `extra` routes (e.g. `/v1/chat/completions`), all with the same state,
/// JSON 404/405 answers, body limit and panic guard.
pub fn router_with(
    gateway: Arc<dyn Gateway>,
    config: ServerConfig,
    extra: Router<AppState>,
) -> Router {
    let limit = config.body_limit;
    let keys = config.keys.clone();
    let state = AppState {
        gateway,
        config: Arc::new(config),
    };
    let mut app = native_routes()
        .merge(extra)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    if let Some(store) = keys {
        app = app.layer(axum::middleware::from_fn_with_state(
            store,
            crate::keys::require,
        ));
    }
    app.layer(DefaultBodyLimit::max(limit))
        .layer(Extension(BodyLimit(limit)))
        .layer(CatchPanicLayer::custom(panic_response))
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn submit_vote(
    State(state): State<AppState>,
    caller: Option<Extension<crate::keys::Caller>>,
    ApiJson(body): ApiJson<VoteRequest>,
) -> Result<Response, HttpError> {
    let caller = caller.map(|Extension(c)| c);
    let response = crate::dispatch::vote(&state, caller.as_ref(), body).await?;
    let status = match response.status {
        VoteStatus::Decided | VoteStatus::Rejected => StatusCode::OK,
        VoteStatus::Pending | VoteStatus::PendingReview => StatusCode::ACCEPTED,
    };
    Ok((status, Json(response)).into_response())
}

async fn get_vote(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<VoteResponse>, HttpError> {
    let Path(id) = id.map_err(|e| {
        HttpError::bad_request("invalid_id", format!("invalid vote id in the path: {e}"))
    })?;
    if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(HttpError::bad_request(
            "invalid_id",
            "a vote id is the hex request id returned by POST /v1/votes (the `id` field)",
        )
        .with_param("id"));
    }
    let id = id.to_ascii_lowercase();
    if let Some(held) = state.config.review.as_ref().and_then(|q| q.view(&id)) {
        return Ok(Json(held));
    }
    match state.gateway.get(&id).await? {
        Some(vote) => Ok(Json(vote)),
        None => Err(HttpError::not_found(
            "vote_not_found",
            format!(
                "no vote with id {id} on this node; check the id, or ask the node that took the request"
            ),
        )),
    }
}

async fn cluster(State(state): State<AppState>) -> Json<ClusterInfo> {
    Json(state.gateway.info())
}

/// `GET /v1/timings`: the node's timings by stage (benchmarks only).
async fn timings(State(state): State<AppState>) -> Result<Json<serde_json::Value>, HttpError> {
    state
        .gateway
        .timings(false)
        .map(Json)
        .ok_or_else(no_timings)
}

/// `DELETE /v1/timings`: the node's timings, then dropped (a benchmark's warm-up is not its
/// measurement).
async fn reset_timings(
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, HttpError> {
    state.gateway.timings(true).map(Json).ok_or_else(no_timings)
}

/// `GET /metrics`: the node's runtime metrics in the Prometheus text format (e.g. simplex's
/// `notarization_latency` and `finalization_latency`), behind the API key like every route.
async fn metrics(State(state): State<AppState>) -> Result<Response, HttpError> {
    let text = state.gateway.metrics().ok_or_else(|| {
        HttpError::not_found("no_metrics", "this node exports no runtime metrics")
    })?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

fn no_timings() -> HttpError {
    HttpError::not_found(
        "no_timings",
        "this node records no timings; start the nodes with BYZVOTE_TIMINGS=1 in their environment",
    )
}

async fn healthz(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok", "node": state.gateway.info().node}))
}

async fn not_found(method: Method, uri: Uri) -> HttpError {
    HttpError::not_found(
        "unknown_route",
        format!(
            "no route {method} {}; this node serves POST /v1/votes, GET /v1/votes/{{id}}, \
             POST /v1/chat/completions, GET /v1/models, GET /v1/cluster, GET /openapi.json \
             and GET /healthz",
            uri.path()
        ),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> HttpError {
    HttpError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "invalid_request_error",
        "method_not_allowed",
        format!(
            "{method} is not allowed on {}; use POST /v1/votes to ask, GET to read",
            uri.path()
        ),
    )
}

fn panic_response(_panic: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    HttpError::internal("the node hit a bug while serving this request; it has been logged")
        .into_response()
}
