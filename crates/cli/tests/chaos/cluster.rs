//! An N-node cluster of real `byzvote node` processes whose p2p links all cross the proxy
//! mesh, with kill and restart by node index.

use super::proxy::Mesh;
use crate::common::{Nodes, init_instant_cluster, start};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

pub struct Cluster {
    pub dir: PathBuf,
    pub n: usize,
    /// Faults tolerated: n >= 3f + 1.
    pub f: usize,
    pub nodes: Nodes,
    /// HTTP endpoints, fixed in the configs so a restarted node keeps its own.
    pub endpoints: Vec<String>,
    /// Whether node i's process runs (what clients read to pick a live node).
    pub up: Arc<Vec<AtomicBool>>,
    pub mesh: Mesh,
    pub group_key: String,
}

/// A free loopback port below Linux's ephemeral range (32768+). A killed node's p2p or HTTP
/// port must stay free until it restarts; one in the ephemeral range could meanwhile be taken
/// as the local port of some outgoing connection (the proxies dial the dead node all the
/// time), and the restart would fail with "address in use".
fn low_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let offset = (std::process::id() % 500) * 24;
    loop {
        let k = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = (20_000 + (offset + k) % 12_000) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

impl Cluster {
    /// `byzvote init`, then each config rewritten so node i listens on its own ports and
    /// reaches peer j through the mesh; all nodes started in parallel (the DKG needs them all).
    pub fn start(n: usize, label: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("byzvote-chaos-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        init_instant_cluster(&dir, n);
        let p2p: Vec<SocketAddr> = (0..n)
            .map(|_| SocketAddr::from(([127, 0, 0, 1], low_port())))
            .collect();
        let http: Vec<SocketAddr> = (0..n)
            .map(|_| SocketAddr::from(([127, 0, 0, 1], low_port())))
            .collect();
        let mesh = Mesh::new(&p2p);
        for i in 0..n {
            rewrite(&dir.join(format!("node-{i}.toml")), i, &p2p, &http, &mesh);
        }
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let d = dir.clone();
                std::thread::spawn(move || start(&d, i))
            })
            .collect();
        let mut nodes = Nodes(Vec::new());
        let mut endpoints = Vec::new();
        let mut failed = None;
        for h in handles {
            match h.join() {
                Ok((child, endpoint)) => {
                    nodes.0.push(Some(child));
                    endpoints.push(endpoint);
                }
                Err(e) => failed = Some(e),
            }
        }
        if let Some(e) = failed {
            drop(nodes);
            std::panic::resume_unwind(e);
        }
        let (status, body) = crate::common::http_get(&endpoints[0], "/v1/cluster");
        assert_eq!(status, 200, "{body}");
        let info: serde_json::Value = serde_json::from_str(&body).unwrap();
        let group_key = info["group_public_key"].as_str().unwrap().to_string();
        Self {
            dir,
            n,
            f: (n - 1) / 3,
            nodes,
            endpoints,
            up: Arc::new((0..n).map(|_| AtomicBool::new(true)).collect()),
            mesh,
            group_key,
        }
    }

    pub fn data(&self, i: usize) -> PathBuf {
        self.dir.join(format!("node-{i}"))
    }

    /// SIGKILL node `i` (marked down first, so clients stop picking it).
    pub fn kill(&mut self, i: usize) {
        self.up[i].store(false, Ordering::SeqCst);
        if let Some(mut child) = self.nodes.0[i].take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Restarts node `i` and waits for its ready line.
    pub fn restart(&mut self, i: usize) {
        let (child, endpoint) = start(&self.dir, i);
        assert_eq!(endpoint, self.endpoints[i], "node-{i} moved its HTTP port");
        self.nodes.0[i] = Some(child);
        self.up[i].store(true, Ordering::SeqCst);
    }

    /// Nodes whose process ended without the harness killing it (a crash), with how.
    pub fn exited(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, child) in self.nodes.0.iter_mut().enumerate() {
            if let Some(c) = child
                && let Ok(Some(status)) = c.try_wait()
            {
                out.push(format!("node-{i} exited on its own: {status}"));
            }
        }
        out
    }

    pub fn down(&self) -> Vec<usize> {
        (0..self.n).filter(|&i| self.nodes.0[i].is_none()).collect()
    }
}

/// Node i listens on `p2p[i]` and `http[i]`, and reaches peer j at the mesh's `i → j` port.
fn rewrite(path: &Path, i: usize, p2p: &[SocketAddr], http: &[SocketAddr], mesh: &Mesh) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut doc: toml::Table = toml::from_str(&text).unwrap();
    doc.insert("p2p".into(), p2p[i].to_string().into());
    doc.insert("http".into(), http[i].to_string().into());
    let peers = doc.get_mut("peers").unwrap().as_array_mut().unwrap();
    for peer in peers.iter_mut() {
        let peer = peer.as_table_mut().unwrap();
        let name = peer["name"].as_str().unwrap().to_string();
        let j: usize = name.strip_prefix("node-").unwrap().parse().unwrap();
        let address = if j == i {
            p2p[i].to_string()
        } else {
            format!("127.0.0.1:{}", mesh.port(i, j))
        };
        peer.insert("address".into(), address.into());
    }
    std::fs::write(path, toml::to_string(&doc).unwrap()).unwrap();
}
