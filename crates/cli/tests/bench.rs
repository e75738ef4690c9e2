//! `byzvote bench cluster` and `bench instant-model`, end to end: a fresh 4-process cluster on
//! the bench's own instant models, measured at two concurrencies, then stopped and removed.

mod common;

use common::{BIN, Nodes};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Command, Stdio};

#[test]
fn bench_cluster_measures_and_cleans_up() {
    let child = Command::new(BIN)
        .args([
            "bench",
            "cluster",
            "--requests",
            "6",
            "--concurrency",
            "1,3",
            "--warmup",
            "1",
            "--idle-baseline",
            "3",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let data = std::env::temp_dir().join(format!("byzvote-bench-{}", child.id()));
    let o = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for c in [1, 3] {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("tier 3 votes (c={c})")))
            .unwrap_or_else(|| panic!("no c={c} run in:\n{out}"));
        assert!(line.contains("6 ok   0 failed"), "{line}");
    }
    // The nodes ran with timings on: the breakdown, and a vote's ratio to the finalizations
    // measured in the same run: loaded ones, and bare ones from the idle cluster's empty
    // blocks (node 0 leads every fourth view, about one a second).
    assert!(out.contains("vote.total"), "{out}");
    assert!(out.contains("loaded finalizations"), "{out}");
    assert!(out.contains("bare simplex finalizations"), "{out}");
    assert!(!data.exists(), "{} left behind", data.display());
}

#[test]
fn bench_cluster_refuses_bad_arguments() {
    let o = Command::new(BIN)
        .args(["bench", "cluster", "--concurrency", "0"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("at least 1"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A directory that already holds a cluster is not overwritten.
    let dir = std::env::temp_dir().join(format!("byzvote-bench-held-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("cluster")).unwrap();
    let o = Command::new(BIN)
        .args(["bench", "cluster", "--data", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("already holds a cluster"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The instant server speaks OpenAI's chat-completions format, and prints its port first.
#[test]
fn instant_model_answers_in_openai_format() {
    let mut child = Command::new(BIN)
        .args(["bench", "instant-model", "--answer", "Paris"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _server = Nodes(vec![Some(child)]); // killed at the end, even on a failed assertion
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let port: u16 = line.trim().parse().unwrap_or_else(|_| panic!("{line:?}"));
    let body = r#"{"model":"instant","messages":[{"role":"user","content":"Capital of France?"}]}"#;
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        tcp,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    tcp.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let json = &reply[reply.find("\r\n\r\n").unwrap() + 4..];
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "Paris", "{v}");
    assert_eq!(v["usage"]["completion_tokens"], 1, "{v}");
}
