//! `byzvote init`: identity keys and one `node.toml` per node.

use super::config::{NodeFile, PeerFile, TimeoutsFile};
use crate::chain::types::PrivateKey;
use commonware_codec::{DecodeExt as _, Encode as _};
use commonware_cryptography::Signer as _;
use std::io::Read as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// One node to create.
pub struct NodeSpec {
    pub name: String,
    pub p2p: SocketAddr,
    pub http: SocketAddr,
    /// The model backend as a TOML value (see byzvote-models' `BackendConfig`).
    pub model: toml::Value,
    pub vendor: String,
    pub model_name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> InitError + '_ {
    move |source| InitError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A fresh identity key from the operating system's randomness.
pub fn generate_key() -> Result<PrivateKey, InitError> {
    let mut seed = [0u8; 32];
    let path = Path::new("/dev/urandom");
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut seed))
        .map_err(io(path))?;
    PrivateKey::decode(bytes::Bytes::copy_from_slice(&seed))
        .map_err(|e| InitError::Invalid(format!("key generation failed: {e}")))
}

/// Writes a secret file readable by its owner only.
pub fn write_secret(path: &Path, contents: &str) -> Result<(), InitError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io(path))?;
    std::io::Write::write_all(&mut file, contents.as_bytes()).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

pub fn read_key(path: &Path) -> Result<PrivateKey, InitError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let bytes = hex::decode(text.trim())
        .map_err(|_| InitError::Invalid(format!("{}: not a hex ed25519 key", path.display())))?;
    PrivateKey::decode(bytes::Bytes::from(bytes))
        .map_err(|_| InitError::Invalid(format!("{}: not an ed25519 key", path.display())))
}

/// Creates `dir/<name>.key` and `dir/<name>.toml` for every node; refuses to overwrite.
pub fn init(
    dir: &Path,
    nodes: &[NodeSpec],
    namespace: &str,
    timeouts: TimeoutsFile,
) -> Result<Vec<PathBuf>, InitError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let keys: Vec<PrivateKey> = nodes
        .iter()
        .map(|_| generate_key())
        .collect::<Result<_, _>>()?;
    let peers: Vec<PeerFile> = nodes
        .iter()
        .zip(&keys)
        .map(|(n, k)| PeerFile {
            name: n.name.clone(),
            public_key: hex::encode(k.public_key().encode()),
            address: n.p2p,
            vendor: n.vendor.clone(),
            model: n.model_name.clone(),
        })
        .collect();
    let mut written = Vec::new();
    for (node, key) in nodes.iter().zip(&keys) {
        let key_path = dir.join(format!("{}.key", node.name));
        write_secret(&key_path, &hex::encode(key.encode()))?;
        let file = NodeFile {
            name: node.name.clone(),
            namespace: namespace.to_string(),
            key_file: PathBuf::from(format!("{}.key", node.name)),
            data: PathBuf::from(&node.name),
            p2p: node.p2p,
            http: node.http,
            model: node.model.clone(),
            timeouts: timeouts.clone(),
            api_keys: PathBuf::from(byzvote_api::keys::FILE),
            privacy: Default::default(),
            review: Default::default(),
            verifier: Default::default(),
            router: Default::default(),
            quick: Default::default(),
            peers: peers.clone(),
        };
        file.validate().map_err(InitError::Invalid)?;
        let path = dir.join(format!("{}.toml", node.name));
        let text = toml::to_string_pretty(&file).map_err(|e| InitError::Invalid(e.to_string()))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        let mut f = options.open(&path).map_err(io(&path))?;
        std::io::Write::write_all(&mut f, text.as_bytes()).map_err(io(&path))?;
        written.push(path);
    }
    Ok(written)
}
