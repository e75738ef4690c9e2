//! What the multi-process tests share: running `byzvote`, starting a node and waiting for its
//! ready line, a minimal HTTP client, and reading a node's audit log.
//!
//! Each test binary uses a different subset (`cluster` does not use the fallible HTTP call,
//! `chaos` does not use `certified`), hence the `dead_code` allowance.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_byzvote");

/// Kills every node at the end, even when an assertion fails.
pub struct Nodes(pub Vec<Option<Child>>);

impl Drop for Nodes {
    fn drop(&mut self) {
        for child in self.0.iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn byzvote(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run byzvote")
}

/// The last `max` bytes of a node's log (a whole log can be megabytes after a long run).
/// `byzvote init` of `n` nodes into `dir`, each with an instant command model answering "4"
/// and its own vendor (`vendor-i`, so the diversity check has nothing to say), short vote
/// timeouts and OS-chosen ports. Panics with init's error if it fails.
pub fn init_instant_cluster(dir: &Path, n: usize) {
    let backends: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{{ kind = \"command\", program = \"sh\", args = [\"-c\", \"cat >/dev/null; echo 4\"], vendor = \"vendor-{i}\" }}"
            )
        })
        .collect();
    let out = dir.to_str().unwrap().to_string();
    let nodes = n.to_string();
    let mut args = vec![
        "init",
        "--nodes",
        nodes.as_str(),
        "--p2p-port",
        "0",
        "--http-port",
        "0",
        "--commit-timeout",
        "4",
        "--reveal-timeout",
        "3",
        "--out",
        out.as_str(),
    ];
    for b in &backends {
        args.push("--backend");
        args.push(b);
    }
    let o = byzvote(&args);
    assert!(
        o.status.success(),
        "init: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

pub fn log_tail(dir: &Path, i: usize, max: usize) -> String {
    let text = std::fs::read_to_string(dir.join(format!("node-{i}.log"))).unwrap_or_default();
    let mut from = text.len().saturating_sub(max);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    text[from..].to_string()
}

/// Starts node `i` and returns it with its HTTP endpoint once it says it is ready. Its stderr
/// is appended to `node-i.log`, so a restarted node's log keeps what came before.
pub fn start(dir: &Path, i: usize) -> (Child, String) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("node-{i}.log")))
        .unwrap();
    let mut child = Command::new(BIN)
        .args(["node", "--config"])
        .arg(dir.join(format!("node-{i}.toml")))
        .env("BYZVOTE_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("byzvote-node ready") {
                let _ = tx.send(line);
            }
        }
    });
    // A bound on a failure, not a synchronisation: the ready line is the signal.
    let line = match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(line) => line,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("node-{i} not ready; log tail:\n{}", log_tail(dir, i, 8000))
        }
    };
    let http = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http="))
        .unwrap()
        .to_string();
    (child, http)
}

/// Starts the nodes `which` at once (a first start's DKG needs them all up) and returns them
/// with their HTTP endpoints, in that order, once each says it is ready.
pub fn start_together(dir: &Path, which: &[usize]) -> (Nodes, Vec<String>) {
    let handles: Vec<_> = which
        .iter()
        .map(|&i| {
            let d = dir.to_path_buf();
            std::thread::spawn(move || start(&d, i))
        })
        .collect();
    let mut nodes = Nodes(Vec::new());
    let mut endpoints = Vec::new();
    for h in handles {
        let (child, http) = h.join().unwrap();
        nodes.0.push(Some(child));
        endpoints.push(http);
    }
    (nodes, endpoints)
}

/// One HTTP/1.1 exchange (the tests need nothing more): the status code and the body, or the
/// I/O error (a killed node refuses the connection). `timeout` bounds every read and write.
pub fn http(
    endpoint: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    timeout: Duration,
) -> std::io::Result<(u16, String)> {
    let addr = endpoint.trim_start_matches("http://");
    let sock: std::net::SocketAddr = addr
        .parse()
        .map_err(|e| std::io::Error::other(format!("{addr}: {e}")))?;
    let mut stream = std::net::TcpStream::connect_timeout(&sock, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    match body {
        Some(b) => write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        )?,
        None => write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )?,
    }
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    Ok((status, body))
}

/// A plain HTTP GET that must reach the node.
pub fn http_get(endpoint: &str, path: &str) -> (u16, String) {
    http(endpoint, "GET", path, None, Duration::from_secs(60)).unwrap()
}

/// The vote `id` once `endpoint` has certified it, polled every 100 ms at most `tries` times (a
/// bound on a failure: the 200 answer is the signal).
pub fn certified(endpoint: &str, id: &str, tries: usize) -> Option<serde_json::Value> {
    for _ in 0..tries {
        let (status, body) = http_get(endpoint, &format!("/v1/votes/{id}"));
        if status == 200 {
            return serde_json::from_str(&body).ok();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// `byzvote audit list --json` of a node's data directory.
pub fn listed(data: &Path) -> Vec<serde_json::Value> {
    let o = byzvote(&["audit", "list", "--json", "--data", data.to_str().unwrap()]);
    if !o.status.success() {
        return Vec::new(); // the log may not exist yet
    }
    serde_json::from_slice(&o.stdout).unwrap_or_default()
}
