//! A real cluster: four `byzvote node` processes on loopback (real sockets, real DKG),
//! command-backend models. Ask, verify, SIGKILL a node, ask again, restart it, ask it.

mod common;

use common::{Nodes, byzvote, certified, http_get, listed, start};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const BIN: &str = common::BIN;

fn ask(endpoint: &str, prompt: &str, out: &Path) -> serde_json::Value {
    let o = byzvote(&[
        "ask",
        "--endpoint",
        endpoint,
        "--mode",
        "number:0",
        "--json",
        "--timeout",
        "120",
        prompt,
    ]);
    assert!(
        o.status.success(),
        "ask failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::write(out, &o.stdout).unwrap();
    serde_json::from_slice(&o.stdout).unwrap()
}

/// A request matching the `irreversible` policy is held at node 0 until the reviewer approves.
fn review_flow(endpoint: &str, key: &Path) {
    let o = byzvote(&[
        "ask",
        "--endpoint",
        endpoint,
        "--mode",
        "number:0",
        "--json",
        "Delete the old backups?",
    ]);
    assert_eq!(o.status.code(), Some(2), "a held answer is not an answer");
    let held: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(held["status"], "pending_review", "{held}");
    assert!(
        held["answer"].is_null() && held["certificate"].is_null(),
        "{held}"
    );
    let id = held["id"].as_str().unwrap();
    let o = byzvote(&["review", "list", "--endpoint", endpoint]);
    assert!(String::from_utf8_lossy(&o.stdout).contains(id));
    let o = byzvote(&[
        "review",
        "approve",
        id,
        "--key",
        key.to_str().unwrap(),
        "--endpoint",
        endpoint,
        "--note",
        "ok",
    ]);
    assert!(
        o.status.success(),
        "approve: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (status, body) = http_get(endpoint, &format!("/v1/votes/{id}"));
    assert_eq!(status, 200, "{body}");
    let released: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(released["answer"], "4", "{released}");
    assert_eq!(released["review"]["verdict"], "approved");
    assert!(released["certificate"].is_object());
}

/// The official `openai` Python client (installed by `scripts/test` into `target/py`) and curl
/// against a node's OpenAI-compatible API; the certificate the client got verifies.
fn openai_clients(endpoint: &str, dir: &Path, group_key: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let pythonpath = std::env::var_os("BYZVOTE_TEST_PYTHONPATH")
        .map_or_else(|| root.join("target/py"), PathBuf::from);
    let o = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/openai_client.py"))
        .args([endpoint, "4"])
        .env("PYTHONPATH", &pythonpath)
        .output()
        .expect("run python3");
    assert!(
        o.status.success(),
        "the openai client failed (is the `openai` package in {}? ./scripts/test installs it):\n{}",
        pythonpath.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::write(dir.join("openai.json"), &o.stdout).unwrap();
    let v = byzvote(&[
        "verify",
        dir.join("openai.json").to_str().unwrap(),
        "--group-key",
        group_key,
    ]);
    assert!(
        v.status.success(),
        "the openai client's certificate: {}",
        String::from_utf8_lossy(&v.stderr)
    );

    let body = r#"{"model": "byzvote-tier3", "messages": [{"role": "user", "content": "2+2?"}]}"#;
    let o = Command::new("curl")
        .args([
            "-sS",
            "--fail-with-body",
            "-H",
            "content-type: application/json",
            "-d",
            body,
        ])
        .arg(format!("{endpoint}/v1/chat/completions"))
        .output()
        .expect("run curl");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "curl: {text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let c: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(c["choices"][0]["message"]["content"], "4", "{text}");
    assert_eq!(c["byzvote"]["certificate"]["group_public_key"], group_key);
}

#[test]
fn four_processes_vote_survive_a_kill_and_catch_up() {
    let dir: PathBuf = std::env::temp_dir().join(format!("byzvote-cluster-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    common::init_instant_cluster(&dir, 4);

    // A human reviewer for node 0 (DESIGN §6): its answers to risky requests are held.
    let reviewer_key = dir.join("reviewer.key");
    let o = byzvote(&["review", "keygen", "--out", reviewer_key.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let reviewer = String::from_utf8(o.stdout).unwrap().trim().to_string();
    let node0 = dir.join("node-0.toml");
    let mut toml = std::fs::read_to_string(&node0).unwrap();
    toml.push_str(&format!("\n[review]\nreviewers = [\"{reviewer}\"]\n"));
    std::fs::write(&node0, toml).unwrap();

    // Start all four in parallel: the DKG needs all of them.
    let (mut nodes, endpoints) = common::start_together(&dir, &[0, 1, 2, 3]);

    let first = ask(&endpoints[0], "What is 2+2?", &dir.join("a1.json"));
    assert_eq!(first["answer"], "4");
    assert_eq!(first["outcome"], "agreed");
    let group_key = first["certificate"]["group_public_key"]
        .as_str()
        .unwrap()
        .to_string();
    let v = byzvote(&[
        "verify",
        dir.join("a1.json").to_str().unwrap(),
        "--group-key",
        &group_key,
    ]);
    assert!(
        v.status.success(),
        "verify: {}",
        String::from_utf8_lossy(&v.stderr)
    );

    // `byzvote ask … | head -0`: the reader is gone before the answer is printed; the
    // answer was still agreed (exit 0), and nothing panics on the closed pipe.
    let mut child = Command::new(common::BIN)
        .args([
            "ask",
            "--endpoint",
            &endpoints[0],
            "--mode",
            "number:0",
            "2+2?",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() && !stderr.contains("panicked"),
        "ask into a closed pipe: {:?} {stderr}",
        o.status
    );

    // One byte of the answer changed: rejected.
    let mut cert = first["certificate"].clone();
    cert["record"]["answer"] = serde_json::Value::String("5".into());
    std::fs::write(
        dir.join("tampered.json"),
        serde_json::to_vec(&cert).unwrap(),
    )
    .unwrap();
    let v = byzvote(&[
        "verify",
        dir.join("tampered.json").to_str().unwrap(),
        "--group-key",
        &group_key,
    ]);
    assert!(!v.status.success(), "a tampered certificate verified");

    openai_clients(&endpoints[0], &dir, &group_key);
    review_flow(&endpoints[0], &reviewer_key);

    // Tiers 1 and 2: no consensus round; the serving node's attestation instead of a
    // threshold certificate, checked by `ask` (member and node signatures).
    let mut quick_ids = Vec::new();
    for tier in ["1", "2"] {
        let o = byzvote(&[
            "ask",
            "--endpoint",
            &endpoints[2],
            "--tier",
            tier,
            "--mode",
            "number:0",
            "--json",
            "1+3?",
        ]);
        assert!(
            o.status.success(),
            "tier {tier}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["answer"], "4", "tier {tier}: {r}");
        assert!(r["certificate"].is_null(), "tier {tier}: {r}");
        let members = if tier == "1" { 1 } else { 3 };
        assert_eq!(
            r["attestation"]["answers"].as_array().unwrap().len(),
            members,
            "{r}"
        );
        assert_eq!(r["votes"].as_array().unwrap().len(), members, "{r}");
        quick_ids.push((r["id"].as_str().unwrap().to_string(), r["answer"].clone()));
    }

    // SIGKILL node 3: the others still answer (its vote is silent).
    let mut killed = nodes.0[3].take().unwrap();
    killed.kill().unwrap();
    killed.wait().unwrap();
    let second = ask(&endpoints[1], "What is 3+1?", &dir.join("a2.json"));
    assert_eq!(second["answer"], "4");
    assert!(
        second["votes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["status"] == "silent")
    );

    // Restart it: same key, it catches up and answers.
    let (child, http) = start(&dir, 3);
    nodes.0[3] = Some(child);
    let third = ask(&http, "What is 1+3?", &dir.join("a3.json"));
    assert_eq!(third["answer"], "4");
    assert_eq!(third["certificate"]["group_public_key"], group_key.as_str());

    // It also certified the vote decided while it was down (its peers send it their
    // partials again). The third vote came after it, so the second is already replayed;
    // its certificate needs one more partial exchange: poll with a bound.
    let id = second["id"].as_str().unwrap();
    let caught_up =
        certified(&http, id, 100).expect("the restarted node never certified the vote it missed");
    assert_eq!(caught_up["answer"], "4");
    assert_eq!(
        caught_up["certificate"]["signature"],
        second["certificate"]["signature"]
    );
    // The vote it certified before the SIGKILL comes back from its own log, replayed: the
    // same certificate node 0 answered with.
    let replayed = certified(&http, first["id"].as_str().unwrap(), 1)
        .expect("the restarted node lost a vote it had certified");
    assert_eq!(replayed["certificate"], first["certificate"]);
    // SIGKILL during a burst: node 2 dies while votes are in flight (once the burst's first
    // request is in node 0's log); restarted, it certifies every vote node 0 certified.
    let burst = {
        let e = endpoints[0].clone();
        std::thread::spawn(move || {
            byzvote(&[
                "bench",
                "vote",
                "--endpoint",
                &e,
                "--requests",
                "12",
                "--concurrency",
                "4",
                "--mode",
                "number:0",
            ])
        })
    };
    let node0 = dir.join("node-0");
    let started = (0..600).any(|_| {
        let found = listed(&node0).iter().any(|l| {
            l["prompt"]
                .as_str()
                .is_some_and(|p| p.starts_with("benchmark question"))
        });
        if !found {
            std::thread::sleep(Duration::from_millis(50));
        }
        found
    });
    assert!(started, "the burst never reached node 0's log");
    let mut victim = nodes.0[2].take().unwrap();
    victim.kill().unwrap();
    victim.wait().unwrap();
    let out = burst.join().unwrap();
    assert!(
        out.status.success(),
        "the burst with a node killed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let (child, http2) = start(&dir, 2);
    nodes.0[2] = Some(child);
    for item in listed(&node0).iter().filter(|l| !l["outcome"].is_null()) {
        let id = item["id"].as_str().unwrap();
        let v = certified(&http2, id, 300)
            .unwrap_or_else(|| panic!("node 2 never certified {id} after its restart"));
        assert_eq!(v["answer"], item["answer"], "{id}");
    }
    // Node 2 served the quick asks before its SIGKILL: it reads them back from its log.
    for (id, answer) in &quick_ids {
        let (status, body) = http_get(&http2, &format!("/v1/votes/{id}"));
        assert_eq!(
            status, 200,
            "quick vote {id} forgotten after the restart: {body}"
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(&v["answer"], answer, "{body}");
    }

    // The runtime's metrics: simplex has finalized blocks by now and says how fast.
    let (status, body) = http_get(&endpoints[0], "/metrics");
    assert_eq!(status, 200, "{body}");
    let finalized = body
        .lines()
        .find(|l| l.contains("finalization_latency_count"))
        .and_then(|l| l.rsplit(' ').next()?.parse::<u64>().ok());
    assert!(
        finalized.is_some_and(|n| n > 0),
        "no finalization latency samples in /metrics: {}",
        &body[..body.len().min(2000)]
    );

    // Client API keys: created while the cluster runs, required from the next request on.
    let keys = dir.join("api-keys.json");
    let o = byzvote(&[
        "keys",
        "create",
        "--name",
        "ci",
        "--file",
        keys.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let key = String::from_utf8(o.stdout).unwrap().trim().to_string();
    assert!(key.starts_with("bzv-"), "{key}");
    let (status, body) = http_get(&endpoints[0], "/v1/cluster");
    assert_eq!(status, 401, "{body}");
    let o = Command::new(BIN)
        .args([
            "ask",
            "--endpoint",
            &endpoints[0],
            "--mode",
            "number:0",
            "2+2?",
        ])
        .env("BYZVOTE_API_KEY", &key)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "ask with a key: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = byzvote(&["keys", "revoke", "ci", "--file", keys.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // Each node certifies on its own (a client hears from the node it asked, once that one
    // holds the certificate), so a peer may still be collecting partials when the last answer
    // is out: wait until every request on the chain is certified on every node, so the logs
    // compared after the SIGKILLs below hold the same decisions.
    let settled = (0..600).any(|_| {
        let logs: Vec<_> = (0..4)
            .map(|i| listed(&dir.join(format!("node-{i}"))))
            .collect();
        let open = logs
            .iter()
            .flatten()
            .any(|l| l["outcome"].is_null() && l["at"]["height"] != 0);
        let same = logs.iter().all(|l| decisions(l) == decisions(&logs[0]));
        if open || !same {
            std::thread::sleep(Duration::from_millis(100));
        }
        !open && same
    });
    assert!(settled, "the nodes never certified the same decisions");
    drop(nodes);

    // Every node's audit log: chain intact, every certificate verifies under the group key;
    // under another key (here: a valid point that is not the group's) it does not.
    for i in 0..4 {
        let data = dir.join(format!("node-{i}"));
        let a = byzvote(&[
            "audit",
            "verify",
            "--data",
            data.to_str().unwrap(),
            "--group-key",
            &group_key,
        ]);
        assert!(
            a.status.success(),
            "audit verify node-{i}: {}",
            String::from_utf8_lossy(&a.stderr)
        );
    }
    // Node 2 served the tier-1 and tier-2 asks: its log holds both (checked by `audit
    // verify` above), signed by it, and `audit show` tells each with its members' reports.
    let quick: Vec<_> = listed(&dir.join("node-2"))
        .into_iter()
        .filter(|l| l["at"]["height"] == 0)
        .collect();
    assert_eq!(quick.len(), 2, "{quick:?}");
    let s = byzvote(&[
        "audit",
        "show",
        quick[1]["id"].as_str().unwrap(),
        "--data",
        dir.join("node-2").to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&s.stdout);
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    assert!(
        text.contains("verifies under the serving node's identity key")
            && !text.contains("INVALID"),
        "{text}"
    );
    // Every node's log holds the same certified decisions, the killed ones' included (quick
    // decisions are the serving node's alone, so they are left out).
    let reference = decided(&dir, 0);
    assert!(reference.len() >= 15, "{} decisions", reference.len());
    for i in 1..4 {
        assert_eq!(
            decided(&dir, i),
            reference,
            "node-{i}'s audit log differs from node-0's"
        );
    }
    let other_key = "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb";
    let a = byzvote(&[
        "audit",
        "verify",
        "--data",
        dir.join("node-0").to_str().unwrap(),
        "--group-key",
        other_key,
    ]);
    assert!(
        !a.status.success(),
        "an audit log verified under a foreign key"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The certified (chain) decisions in node `i`'s audit log, sorted: (id, outcome, answer).
fn decided(dir: &Path, i: usize) -> Vec<(String, String, String)> {
    decisions(&listed(&dir.join(format!("node-{i}"))))
}

/// The certified chain decisions of an `audit list`, sorted: (id, outcome, answer).
fn decisions(log: &[serde_json::Value]) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = log
        .iter()
        .filter(|l| !l["outcome"].is_null() && l["at"]["height"] != 0)
        .map(|l| {
            (
                l["id"].to_string(),
                l["outcome"].to_string(),
                l["answer"].to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// A fresh `up` data directory (under the temporary directory, named after `name`) holding
/// an instant 4-node cluster in `cluster/`: the directory and that cluster's.
fn fresh_up_data(name: &str) -> (PathBuf, PathBuf) {
    let data = std::env::temp_dir().join(format!("byzvote-up-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let dir = data.join("cluster");
    common::init_instant_cluster(&dir, 4);
    (data, dir)
}

/// `byzvote up --data DATA` started in its own process group (so that a failing test can kill
/// its nodes with it): its pid, and its output once it exits.
fn up_in_background(
    data: &Path,
) -> (
    u32,
    std::sync::mpsc::Receiver<std::io::Result<std::process::Output>>,
) {
    let child = Command::new(BIN)
        .args(["up", "--data"])
        .arg(data)
        .process_group(0)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    (pid, rx)
}

/// A node that cannot start (here: its p2p port is taken) fails `byzvote up` at once with a
/// message naming it, instead of leaving the others waiting for it in the DKG forever. Also:
/// clusters on one machine take ports below the kernel's ephemeral range, so the nodes'
/// outgoing connections cannot take them first.
#[test]
fn up_fails_at_once_when_a_node_cannot_start() {
    let (data, dir) = fresh_up_data("fails");
    let config = std::fs::read_to_string(dir.join("node-3.toml")).unwrap();
    let p2p = config
        .lines()
        .find_map(|l| l.strip_prefix("p2p = "))
        .expect("a p2p line")
        .trim_matches('"')
        .to_string();
    let taken = std::net::TcpListener::bind(&p2p).expect("node-3's port is free until now");
    let (pid, exited) = up_in_background(&data);
    // A bound on a failure, not a synchronisation: `up` exiting is the signal.
    let Ok(output) = exited.recv_timeout(Duration::from_secs(120)) else {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .status();
        panic!("`up` still waits for a node that exited");
    };
    let output = output.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("node-3 exited during start-up"), "{stderr}");
    drop(taken);
    // `init --p2p-port 0 --http-port 0` (what `up` does for a cluster of its own) chose eight
    // different ports, none of the ephemeral range.
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap();
    let floor: u16 = range.split_whitespace().next().unwrap().parse().unwrap();
    let fresh = dir;
    let mut ports = std::collections::BTreeSet::new();
    for i in 0..4 {
        let text = std::fs::read_to_string(fresh.join(format!("node-{i}.toml"))).unwrap();
        for line in text.lines() {
            if let Some(addr) = line.strip_prefix("p2p = ").or(line.strip_prefix("http = ")) {
                let addr: std::net::SocketAddr = addr.trim_matches('"').parse().unwrap();
                if floor >= 11_000 {
                    assert!(addr.port() < floor, "{addr} is in the ephemeral range");
                }
                ports.insert(addr.port());
            }
        }
    }
    assert_eq!(ports.len(), 8, "eight different ports: {ports:?}");
    let _ = std::fs::remove_dir_all(&data);
}

/// SIGTERM to `byzvote up` while its nodes are still starting (here they wait for each other
/// in the DKG forever: node-3 holds another node's key) stops them too: none is left running.
#[test]
fn up_stopped_during_start_up_leaves_no_node_running() {
    let (data, dir) = fresh_up_data("term");
    std::fs::copy(dir.join("node-2.key"), dir.join("node-3.key")).unwrap();
    let (pid, exited) = up_in_background(&data);
    // The nodes' processes, found by the data directory on their command lines.
    let nodes = || -> Vec<u32> {
        let mut pids = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(p) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if p != pid && cmdline.contains(" node ") && cmdline.contains(dir.to_str().unwrap()) {
                pids.push(p);
            }
        }
        pids
    };
    // Wait (bounded) until every node has started its DKG, i.e. `up` is still starting.
    let started = |i: usize| common::log_tail(&dir, i, 100_000).contains("running the DKG");
    let mut waited = 0;
    while !(0..4).all(started) {
        assert!(waited < 1200, "the nodes did not start their DKG");
        std::thread::sleep(Duration::from_millis(50));
        waited += 1;
    }
    assert_eq!(nodes().len(), 4, "four nodes running");
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let output = exited.recv_timeout(Duration::from_secs(60));
    let left = nodes();
    for p in &left {
        let _ = Command::new("kill")
            .args(["-KILL", &p.to_string()])
            .status();
    }
    let output = output.expect("up exits on SIGTERM").unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(left.is_empty(), "nodes left running: {left:?}; {stderr}");
    assert!(!output.status.success());
    assert!(stderr.contains("stopped (SIGTERM)"), "{stderr}");
    let _ = std::fs::remove_dir_all(&data);
}

/// The frames in node `i`'s DKG progress file (see `byzvote_dkg`'s ceremony: `u32` length ‖
/// body): the seed, then each dealing, log and confirmation it took.
fn progress_frames(dir: &Path, i: usize) -> usize {
    let bytes = std::fs::read(dir.join(format!("node-{i}/dkg-progress"))).unwrap_or_default();
    let (mut at, mut frames) = (0, 0);
    while let Some(len) = bytes.get(at..at + 4) {
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        if bytes.len() < at + 4 + len {
            break;
        }
        at += 4 + len;
        frames += 1;
    }
    frames
}

#[test]
fn a_node_killed_during_the_first_dkg_rejoins_it_when_started_again() {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("byzvote-dkg-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    common::init_instant_cluster(&dir, 4);
    // Three of four start; node-3's operator is late. They deal and acknowledge each other,
    // then wait for node-3 (its shares are dealt to it, not published: it is not running).
    let spawn = |i: usize| {
        let log = std::fs::File::create(dir.join(format!("node-{i}.log"))).unwrap();
        Command::new(common::BIN)
            .args(["node", "--config"])
            .arg(dir.join(format!("node-{i}.toml")))
            .env("BYZVOTE_LOG", "info")
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap()
    };
    let mut early = Nodes((0..3).map(|i| Some(spawn(i))).collect());
    // Node-2 has persisted its seed and the dealings of 0 and 1 (acknowledged).
    let mut waited = 0;
    while progress_frames(&dir, 2) < 3 {
        assert!(
            waited < 1200,
            "node-2's DKG progress stuck at {} frames; log tail:\n{}",
            progress_frames(&dir, 2),
            common::log_tail(&dir, 2, 4000)
        );
        std::thread::sleep(Duration::from_millis(100));
        waited += 1;
    }
    // Meanwhile the others say whom they wait for, by name and address (after 5 s).
    let mut waited = 0;
    while !common::log_tail(&dir, 0, 100_000)
        .contains("nothing yet from 1 of the 4 nodes: node-3 at 127.0.0.1:")
    {
        assert!(
            waited < 600,
            "node-0 does not say it waits for node-3; log tail:\n{}",
            common::log_tail(&dir, 0, 4000)
        );
        std::thread::sleep(Duration::from_millis(100));
        waited += 1;
    }
    // Node-2's process dies (SIGKILL) and is started again, then node-3 comes: the round
    // finishes.
    let mut killed = early.0[2].take().unwrap();
    killed.kill().unwrap();
    killed.wait().unwrap();
    let (nodes, endpoints) = common::start_together(&dir, &[2, 3]);
    let answer = ask(&endpoints[1], "What is 2+2?", &dir.join("a.json"));
    assert_eq!(answer["outcome"], "agreed");
    assert_eq!(
        answer["votes"].as_array().map(Vec::len),
        Some(4),
        "{answer}"
    );
    // Every node holds a share of the same key, and the progress file (secrets) is gone.
    let key = answer["certificate"]["group_public_key"].as_str().unwrap();
    for i in 0..4 {
        let log = common::log_tail(&dir, i, 100_000);
        assert!(
            log.contains("DKG done"),
            "node-{i} did not finish the DKG:\n{log}"
        );
        assert!(
            !dir.join(format!("node-{i}/dkg-progress")).exists(),
            "node-{i}"
        );
        // The agreed logs (public) stay, to answer a peer that comes back to the round late.
        assert!(dir.join(format!("node-{i}/dkg-logs")).exists(), "node-{i}");
    }
    let v = byzvote(&[
        "verify",
        dir.join("a.json").to_str().unwrap(),
        "--group-key",
        key,
    ]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    drop(early);
    drop(nodes);
    let _ = std::fs::remove_dir_all(&dir);
}
