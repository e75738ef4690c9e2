//! `node.toml`: one coordinator's configuration, written by `byzvote init`.
//!
//! ```toml
//! name = "node-0"
//! namespace = "byzvote-7f3a…"          # one per cluster: every signature is bound to it
//! key_file = "node-0.key"               # ed25519 identity key (secret; relative to this file)
//! data = "node-0"                       # audit log, DKG share, consensus storage
//! p2p = "127.0.0.1:7600"                # where peers reach this node
//! http = "127.0.0.1:7400"               # the client API
//! model = { kind = "command", program = "…", vendor = "…" }   # see byzvote-models
//!
//! api_keys = "api-keys.json"          # client keys, hashed (`byzvote keys create`)
//!
//! [privacy]                             # optional: masked before any model sees them
//! builtin = ["email", "phone"]          # email, iban, card, phone, ipv4
//! names = ["Alice Smith"]               # named identifiers, case-insensitive
//! patterns = [{ kind = "patient_id", regex = 'PT-[0-9]{6}' }]
//!
//! [review]                             # optional: human oversight
//! reviewers = ["…"]                     # ed25519 public keys (`byzvote review keygen`)
//! tiers_from = 5                        # hold every answer of this tier and above
//! domains = ["irreversible"]            # hold requests matching these risk rules
//! no_agreement = false                  # hold splits too
//!
//! [verifier]                           # optional: checks agreed answers before release
//! command = ["/usr/local/bin/check"]    # or url = "https://…"; fails closed
//!
//! [router]                             # optional: how `auto` requests are routed
//! confidence_floor = 0.5                # escalate an agreed answer whose models were less sure
//!
//! [quick]                              # optional: tiers 1-2 served for peers
//! peer_asks_per_second = 50             # each peer's sustained asks of this node's model
//! peer_burst = 100                      # and its burst after being idle
//!
//! [timeouts]
//! commit = "60s"                        # request → commitment set closes (if someone is silent)
//! reveal = "20s"                        # close → reveal deadline
//!
//! [[peers]]                             # every member, this node included
//! name = "node-0"
//! public_key = "…"                      # hex, 32 bytes
//! address = "127.0.0.1:7600"
//! vendor = "…"                          # what the peer declares it runs (diversity checks)
//! model = "…"
//! ```

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeFile {
    pub name: String,
    pub namespace: String,
    pub key_file: PathBuf,
    pub data: PathBuf,
    pub p2p: SocketAddr,
    pub http: SocketAddr,
    pub model: toml::Value,
    #[serde(default)]
    pub timeouts: TimeoutsFile,
    /// Client API keys (hashed), written by `byzvote keys create`; no file or no keys: the API
    /// is open to whoever reaches `http`.
    #[serde(default = "default_api_keys")]
    pub api_keys: PathBuf,
    /// Identifiers masked in requests before any model sees them, and in this node's model
    /// outputs before it votes (see `byzvote_core::privacy`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub privacy: byzvote_core::privacy::PrivacyRules,
    /// Human review: reviewer keys and what is held (see `byzvote_api::review`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub review: byzvote_api::review::ReviewPolicy,
    /// An external check of agreed answers before release (command or webhook).
    #[serde(default, skip_serializing_if = "is_default")]
    pub verifier: byzvote_api::verifier::VerifierConfig,
    /// How `tier: "auto"` requests are routed.
    #[serde(default, skip_serializing_if = "is_default")]
    pub router: RouterFile,
    /// What one peer may make this node's model do for the quick tiers.
    #[serde(default, skip_serializing_if = "is_default")]
    pub quick: crate::quick::limit::PeerLimit,
    pub peers: Vec<PeerFile>,
}

/// `[router]`: the router's settings a node operator may change.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouterFile {
    /// An agreed answer whose agreeing models report a lowest confidence below this, in
    /// [0, 1], is asked again one tier up (for `auto` requests). Off when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence_floor: Option<f64>,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn default_api_keys() -> PathBuf {
    PathBuf::from(byzvote_api::keys::FILE)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerFile {
    pub name: String,
    pub public_key: String,
    pub address: SocketAddr,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub model: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeoutsFile {
    #[serde(with = "humantime_serde")]
    pub commit: Duration,
    #[serde(with = "humantime_serde")]
    pub reveal: Duration,
}

impl Default for TimeoutsFile {
    fn default() -> Self {
        Self {
            commit: Duration::from_secs(60),
            reveal: Duration::from_secs(20),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid node config: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl NodeFile {
    /// Reads and validates a config; relative paths are resolved against its directory.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        let mut file: NodeFile = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.into(),
            message: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        file.key_file = base.join(&file.key_file);
        file.data = base.join(&file.data);
        file.api_keys = base.join(&file.api_keys);
        file.validate().map_err(|message| ConfigError::Invalid {
            path: path.into(),
            message,
        })?;
        Ok(file)
    }

    /// Checks what a user can get wrong, with messages that say what to change.
    pub fn validate(&self) -> Result<(), String> {
        byzvote_core::privacy::Redactor::new(&self.privacy)
            .map_err(|e| format!("[privacy]: {e}"))?;
        self.verifier
            .validate()
            .map_err(|e| format!("[verifier]: {e}"))?;
        if let Some(floor) = self.router.confidence_floor
            && !(0.0..=1.0).contains(&floor)
        {
            return Err(format!(
                "[router]: confidence_floor must be between 0 and 1 (a probability); got {floor}"
            ));
        }
        self.quick.validate().map_err(|e| format!("[quick]: {e}"))?;
        let n = self.peers.len();
        if n < 4 {
            return Err(format!(
                "a cluster needs at least 4 nodes to tolerate one fault (n >= 3f+1); `peers` lists {n}"
            ));
        }
        let mut keys = std::collections::BTreeSet::new();
        for p in &self.peers {
            if !keys.insert(&p.public_key) {
                return Err(format!(
                    "peer `{}` repeats a public key; every node needs its own identity",
                    p.name
                ));
            }
            match hex::decode(&p.public_key) {
                Ok(b) if b.len() == 32 => {}
                _ => {
                    return Err(format!(
                        "peer `{}`: public_key must be 64 hex characters (an ed25519 key)",
                        p.name
                    ));
                }
            }
        }
        if !self.peers.iter().any(|p| p.name == self.name) {
            return Err(format!(
                "this node (`{}`) is not in `peers`; add it so the others can reach it",
                self.name
            ));
        }
        if self.timeouts.commit.is_zero() || self.timeouts.reveal.is_zero() {
            return Err(
                "timeouts.commit and timeouts.reveal must be positive durations such as \"30s\""
                    .into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(extra: &str) -> String {
        let mut text = String::from(
            "name = \"node-0\"\nnamespace = \"ns\"\nkey_file = \"k\"\ndata = \"d\"\n\
             p2p = \"127.0.0.1:1\"\nhttp = \"127.0.0.1:2\"\n\
             model = { kind = \"command\", program = \"true\" }\n",
        );
        text.push_str(extra);
        for i in 0..4 {
            text.push_str(&format!(
                "\n[[peers]]\nname = \"node-{i}\"\npublic_key = \"{}\"\naddress = \"127.0.0.1:{}\"\n",
                format!("{i:02}").repeat(32),
                10 + i
            ));
        }
        text
    }

    fn load(text: &str) -> Result<NodeFile, String> {
        let f: NodeFile = toml::from_str(text).map_err(|e| e.to_string())?;
        f.validate()?;
        Ok(f)
    }

    #[test]
    fn the_router_section_is_optional_validated_and_strict() {
        assert_eq!(load(&file("")).unwrap().router.confidence_floor, None);
        let f = load(&file("[router]\nconfidence_floor = 0.4\n")).unwrap();
        assert_eq!(f.router.confidence_floor, Some(0.4));
        let e = load(&file("[router]\nconfidence_floor = 1.5\n")).unwrap_err();
        assert!(
            e.contains("confidence_floor must be between 0 and 1"),
            "{e}"
        );
        let e = load(&file("[router]\nconfidence_flor = 0.4\n")).unwrap_err();
        assert!(e.contains("confidence_flor"), "{e}");
    }

    #[test]
    fn the_quick_limit_has_a_default_is_validated_and_strict() {
        let f = load(&file("")).unwrap();
        assert_eq!(f.quick, crate::quick::limit::PeerLimit::default());
        let f = load(&file(
            "[quick]\npeer_asks_per_second = 2.5\npeer_burst = 5\n",
        ))
        .unwrap();
        assert_eq!(f.quick.peer_asks_per_second, 2.5);
        assert_eq!(f.quick.peer_burst, 5);
        let e = load(&file("[quick]\npeer_burst = 0\n")).unwrap_err();
        assert!(e.contains("[quick]: peer_burst must be at least 1"), "{e}");
        let e = load(&file("[quick]\npeer_asks_per_second = 0\n")).unwrap_err();
        assert!(e.contains("peer_asks_per_second"), "{e}");
        let e = load(&file("[quick]\npeer_rate = 3\n")).unwrap_err();
        assert!(e.contains("peer_rate"), "{e}");
    }
}
