//! A scripted HTTP server on 127.0.0.1:0 for the provider tests: it answers the N-th
//! request with the N-th reply (the last one repeats) and records every request.
#![allow(dead_code)] // each test binary uses a different part

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use byzvote_models::{Message, Prompt, Role};

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Status, extra headers and a body (sent as `application/json`).
    Body {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Accept the request and never answer.
    Hang,
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Self {
        Self::Body {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    pub fn with_header(self, name: &'static str, value: &str) -> Self {
        match self {
            Self::Body {
                status,
                mut headers,
                body,
            } => {
                headers.push((name, value.to_string()));
                Self::Body {
                    status,
                    headers,
                    body,
                }
            }
            Self::Hang => Self::Hang,
        }
    }
}

/// A request the server received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: serde_json::Value,
}

#[derive(Clone)]
struct Shared {
    replies: Arc<Vec<Reply>>,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

pub struct MockServer {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub url: String,
    seen: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl MockServer {
    pub async fn start(replies: Vec<Reply>) -> Self {
        assert!(!replies.is_empty());
        let shared = Shared {
            replies: Arc::new(replies),
            seen: Arc::default(),
        };
        let seen = shared.seen.clone();
        let app = axum::Router::new().fallback(handle).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { url, seen, task }
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(State(shared): State<Shared>, request: Request) -> Response {
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let headers = request.headers().clone();
    let bytes = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    let index = {
        let mut seen = shared.seen.lock().unwrap();
        seen.push(Recorded {
            path_and_query,
            headers,
            body,
        });
        seen.len() - 1
    };
    match shared.replies[index.min(shared.replies.len() - 1)].clone() {
        Reply::Hang => std::future::pending().await,
        Reply::Body {
            status,
            headers,
            body,
        } => {
            let mut response = Response::builder()
                .status(StatusCode::from_u16(status).unwrap())
                .header("content-type", "application/json");
            for (name, value) in headers {
                response = response.header(name, value);
            }
            response.body(Body::from(body)).unwrap()
        }
    }
}

/// A system + user prompt, deterministic with a seed whose top bits are set.
pub fn system_and_user() -> Prompt {
    Prompt {
        messages: vec![
            Message {
                role: Role::System,
                content: "Answer with one word.".into(),
            },
            Message {
                role: Role::User,
                content: "Is 17 prime?".into(),
            },
        ],
        max_tokens: 16,
        deterministic: true,
        seed: (1 << 63) | 42,
    }
}

/// Short enough that the tests run in milliseconds, long enough to be exact.
pub const FAST_BACKOFF: Duration = Duration::from_millis(5);

/// An environment variable that is already set, used as the "API key" so the tests
/// need not call the unsafe `set_var` while other test threads run.
pub fn existing_key() -> (String, String) {
    ["CARGO_PKG_NAME", "HOME", "PATH"]
        .iter()
        .find_map(|name| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .map(|v| (name.to_string(), v))
        })
        .expect("no usable environment variable for the key test")
}
