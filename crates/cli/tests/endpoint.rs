//! Client commands given no `--endpoint` call the node of the cluster `byzvote up` last started
//! (it picks free ports, and writes its endpoint in its default data dir), as `ask` always did:
//! `review` and `bench vote` called http://127.0.0.1:7400, where nothing of `up` listens.

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::process::Command;
use std::sync::mpsc;

/// Runs `byzvote args` with the default data dir under a fresh `XDG_DATA_HOME` whose endpoint
/// file names a listener of this test; returns the request line the command sent there, if any.
fn request_line(args: &[&str]) -> Option<String> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let home = std::env::temp_dir().join(format!(
        "byzvote-endpoint-{}-{}",
        std::process::id(),
        args[0]
    ));
    let cluster = home.join("byzvote").join("cluster");
    std::fs::create_dir_all(&cluster).unwrap();
    std::fs::write(
        cluster.join("endpoint"),
        format!("http://{}\n", listener.local_addr().unwrap()),
    )
    .unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // One connection: report its request line, answer 404 (the command then fails, after
        // the request this test looks for).
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line.trim().to_string());
        let body = r#"{"error":{"code":"not_found","message":"test"}}"#;
        let _ = write!(
            &stream,
            "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    let out = Command::new(common::BIN)
        .args(args)
        .env("XDG_DATA_HOME", &home)
        .env_remove("BYZVOTE_ENDPOINT")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&home);
    // The listener thread sends the line before it answers, and the command exits only after
    // the answer (or without ever connecting): whatever came is in the channel by now.
    let line = rx.try_recv().ok();
    if line.is_none() {
        eprintln!(
            "byzvote {args:?} never called the endpoint: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    line
}

#[test]
fn client_commands_call_the_cluster_up_started() {
    let review = request_line(&["review", "list"]).expect("review list");
    assert!(review.starts_with("GET /v1/reviews"), "{review}");
    let ask = request_line(&["ask", "2+2?", "--timeout", "5"]).expect("ask");
    assert!(ask.starts_with("POST /v1/"), "{ask}");
    let bench =
        request_line(&["bench", "vote", "--requests", "1", "--warmup", "0"]).expect("bench vote");
    assert!(bench.contains(" /v1/"), "{bench}");
}
