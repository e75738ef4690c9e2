//! Client API keys: `Authorization: Bearer KEY`, stored hashed, with a per-key rate limit and
//! cost budget.
//!
//! The keys live in `api-keys.json` next to the node's `node.toml` (written by
//! `byzvote keys create`). Only the SHA-256 of each key is stored, so a leaked file gives no
//! usable key. The node re-reads the file when it changes, so keys created or revoked while it
//! runs take effect at the next request. With no file (or no keys in it) the API is open, which
//! is right for a loopback development cluster; the node says so when it starts.
//!
//! The rate limit is per node: an in-memory token bucket refilled each minute. The budget holds
//! across the cluster when the node gives the store a [`SpendLedger`] (`byzvote node` does):
//! each vote's cost is charged to the key through the chain (a signed charge every node
//! orders, see `byzvote_node::protocol::spend` for what a lying node can and cannot do with
//! it), and a request is admitted only while the key's spend as the ledger counts it is under
//! the budget. The store also keeps the spend of the votes answered through this node in
//! `api-keys.spent.json` beside the keys (rewritten atomically whenever a vote cost money): the
//! larger of the two counts, so a restart refills nothing even for charges the chain had not
//! ordered yet. Without a ledger (a fake gateway in tests) the budget is per node.

use crate::error::HttpError;
use axum::{
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::{Instant, SystemTime},
};

/// The file name, next to `node.toml`.
pub const FILE: &str = "api-keys.json";

/// The prefix of every key, so a key is recognisable in a leaked log or config.
pub const PREFIX: &str = "bzv-";

/// A cluster-wide record of what each key spent, provided by the node.
pub trait SpendLedger: Send + Sync {
    /// What the key with SHA-256 `key_hash` (hex) has spent in US dollars, as this node counts
    /// it against `budget_usd` (the budget matters: see `byzvote_node::protocol::spend`).
    fn spent_usd(&self, key_hash: &str, budget_usd: f64) -> f64;

    /// Charges vote `request_id` (hex), answered through this node, to the key.
    fn charge(&self, key_hash: &str, request_id: &str, cost_usd: f64);
}

/// The keys file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    /// The keys, by name.
    pub keys: Vec<KeyEntry>,
}

/// One key: its name, its hash and its limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// Who holds it (unique in the file).
    pub name: String,
    /// SHA-256 of the key, hex.
    pub sha256: String,
    /// Most requests per minute (none: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_minute: Option<u32>,
    /// Most US dollars of model cost (none: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_usd: Option<f64>,
}

/// The hash stored for `key`.
pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

impl KeyFile {
    /// Reads `path`; a missing file is an empty one.
    pub fn load(path: &Path) -> Result<Self, String> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| format!("{} is not a valid keys file: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Writes the file atomically (temp file, fsync, rename), readable by its owner only.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        use std::io::Write as _;
        let tmp = path.with_extension("json.tmp");
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(&serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    }
}

struct Usage {
    tokens: f64,
    refilled: Instant,
    spent_usd: f64,
}

struct Loaded {
    /// The keys file's modification time when it was last loaded (`Some(None)`: there was no
    /// file); `None` before the first load. A request reloads only when it changed: a node
    /// without a keys file looked for it twice on every request (~1.5% of a loaded node).
    seen: Option<Option<SystemTime>>,
    by_hash: HashMap<String, KeyEntry>,
}

/// The node's view of its keys file, with the limits' state.
pub struct KeyStore {
    path: PathBuf,
    spent_path: PathBuf,
    loaded: Mutex<Loaded>,
    usage: Mutex<HashMap<String, Usage>>,
    ledger: std::sync::OnceLock<Arc<dyn SpendLedger>>,
}

/// The key a request came with (its hash), put in the request's extensions by [`require`] so
/// the handler can charge the vote's cost to it ([`KeyStore::charge`]).
#[derive(Debug, Clone)]
pub struct Caller(pub String);

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore")
            .field("path", &self.path)
            .finish()
    }
}

impl KeyStore {
    /// A store over `path` (read now, and again whenever it changes).
    pub fn open(path: PathBuf) -> Result<Arc<Self>, String> {
        let spent_path = path.with_extension("spent.json");
        let spent: HashMap<String, f64> = match std::fs::read(&spent_path) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| format!("{} is corrupt: {e}", spent_path.display()))?,
            Err(_) => HashMap::new(),
        };
        let usage = spent
            .into_iter()
            .map(|(k, spent_usd)| {
                let u = Usage {
                    // Full bucket: clamped to the key's rate at its first request.
                    tokens: f64::INFINITY,
                    refilled: Instant::now(),
                    spent_usd,
                };
                (k, u)
            })
            .collect();
        let store = Self {
            path,
            spent_path,
            loaded: Mutex::new(Loaded {
                seen: None,
                by_hash: HashMap::new(),
            }),
            usage: Mutex::new(usage),
            ledger: std::sync::OnceLock::new(),
        };
        store.refresh()?;
        Ok(Arc::new(store))
    }

    /// Makes budgets cluster-wide: spend is charged to and read from `ledger` (set once; a
    /// second call is ignored).
    pub fn set_ledger(&self, ledger: Arc<dyn SpendLedger>) {
        let _ = self.ledger.set(ledger);
    }

    /// What `key_hash` has spent against `budget`: this node's own record, or the ledger's
    /// count when larger.
    fn spent(&self, key_hash: &str, own: f64, budget: f64) -> f64 {
        self.ledger
            .get()
            .map_or(own, |l| own.max(l.spent_usd(key_hash, budget)))
    }

    /// How many keys are configured (0: the API is open).
    pub fn len(&self) -> usize {
        self.loaded.lock().map_or(0, |l| l.by_hash.len())
    }

    /// Whether no key is configured (the API is open).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn refresh(&self) -> Result<(), String> {
        let modified = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        let mut loaded = self.loaded.lock().map_err(|_| "poisoned".to_string())?;
        if loaded.seen == Some(modified) {
            return Ok(());
        }
        let file = KeyFile::load(&self.path)?;
        loaded.by_hash = file
            .keys
            .into_iter()
            .map(|k| (k.sha256.clone(), k))
            .collect();
        loaded.seen = Some(modified);
        Ok(())
    }

    /// Admits a request bearing `authorization` (the header's value), or says why not.
    fn admit(&self, authorization: Option<&HeaderValue>) -> Result<Option<String>, HttpError> {
        if let Err(e) = self.refresh() {
            // A broken file must not open the API: refuse until it is fixed.
            return Err(HttpError::internal(format!(
                "the node's API keys file: {e}"
            )));
        }
        let entry = {
            let loaded = self
                .loaded
                .lock()
                .map_err(|_| HttpError::internal("keys poisoned"))?;
            if loaded.by_hash.is_empty() {
                return Ok(None);
            }
            let key = authorization
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(|| unauthorized("this node needs an API key: send `Authorization: Bearer bzv-…` (create one with `byzvote keys create`)"))?;
            loaded
                .by_hash
                .get(&hash(key))
                .cloned()
                .ok_or_else(|| unauthorized("the API key is not valid on this node (revoked, mistyped, or for another cluster)"))?
        };
        let mut usage = self
            .usage
            .lock()
            .map_err(|_| HttpError::internal("usage poisoned"))?;
        let u = usage.entry(entry.sha256.clone()).or_insert_with(|| Usage {
            tokens: entry.requests_per_minute.map_or(0.0, f64::from),
            refilled: Instant::now(),
            spent_usd: 0.0,
        });
        if let Some(budget) = entry.budget_usd {
            let spent = self.spent(&entry.sha256, u.spent_usd, budget);
            if spent >= budget {
                return Err(HttpError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "insufficient_quota",
                    "insufficient_quota",
                    format!(
                        "the key `{}` has spent its budget of ${budget} across the cluster (spent ${spent:.6}); ask the operator for a new budget",
                        entry.name
                    ),
                ));
            }
        }
        if let Some(rpm) = entry.requests_per_minute {
            let now = Instant::now();
            let per_sec = f64::from(rpm) / 60.0;
            u.tokens = (u.tokens + now.duration_since(u.refilled).as_secs_f64() * per_sec)
                .min(f64::from(rpm));
            u.refilled = now;
            if u.tokens < 1.0 {
                let wait = ((1.0 - u.tokens) / per_sec).ceil().max(1.0);
                return Err(HttpError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit_error",
                    "rate_limit_exceeded",
                    format!(
                        "the key `{}` may send {rpm} requests per minute; retry in {wait} s",
                        entry.name
                    ),
                ));
            }
            u.tokens -= 1.0;
        }
        Ok(Some(entry.sha256))
    }

    /// Whether `caller` has spent its whole budget.
    pub fn is_exhausted(&self, caller: &Caller) -> bool {
        let budget = self
            .loaded
            .lock()
            .ok()
            .and_then(|l| l.by_hash.get(&caller.0).and_then(|e| e.budget_usd));
        let spent = self
            .usage
            .lock()
            .ok()
            .and_then(|u| u.get(&caller.0).map(|u| u.spent_usd))
            .unwrap_or(0.0);
        budget.is_some_and(|b| self.spent(&caller.0, spent, b) >= b)
    }

    /// Charges vote `request_id`'s `cost` to `caller`: in this node's record and, with a
    /// ledger, through the chain.
    pub fn charge_vote(&self, caller: &Caller, request_id: &str, cost: f64) {
        self.charge(caller, cost);
        if cost > 0.0
            && let Some(ledger) = self.ledger.get()
        {
            ledger.charge(&caller.0, request_id, cost);
        }
    }

    /// Adds `cost` to what `caller` has spent.
    pub fn charge(&self, caller: &Caller, cost: f64) {
        let key = &caller.0;
        if let Ok(mut usage) = self.usage.lock() {
            usage
                .entry(key.clone())
                .or_insert_with(|| Usage {
                    tokens: 0.0,
                    refilled: Instant::now(),
                    spent_usd: 0.0,
                })
                .spent_usd += cost;
            if cost > 0.0 {
                let spent: HashMap<&String, f64> =
                    usage.iter().map(|(k, u)| (k, u.spent_usd)).collect();
                if let Err(e) = write_atomic(&self.spent_path, &spent) {
                    tracing::error!(error = %e, "cannot persist API key spend");
                }
            }
        }
    }
}

fn write_atomic<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&serde_json::to_vec(value).map_err(std::io::Error::other)?)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

fn unauthorized(message: &str) -> HttpError {
    HttpError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_request_error",
        "invalid_api_key",
        message,
    )
}

/// The middleware: every route but `/healthz` and `/openapi.json` needs a valid key when keys
/// are configured.
pub async fn require(State(store): State<Arc<KeyStore>>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path == "/healthz" || path == "/openapi.json" {
        return next.run(req).await;
    }
    match store.admit(req.headers().get(header::AUTHORIZATION)) {
        Ok(Some(key)) => {
            req.extensions_mut().insert(Caller(key));
        }
        Ok(None) => {}
        Err(e) => return e.into_response(),
    }
    next.run(req).await
}
