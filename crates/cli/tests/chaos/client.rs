//! The request stream: a few client threads send `POST /v1/votes` to random live nodes and
//! retry a failed attempt (refused connection, 503, 504, 429) at another node with the same
//! body, so the same request id: a retry must name the same vote, never start a second one.

use super::rng::Rng;
use crate::common::http;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

pub struct Stream<'a> {
    pub label: &'a str,
    pub seed: u64,
    pub requests: usize,
    pub concurrency: usize,
    /// Tiers drawn per request.
    pub tiers: &'a [u8],
    /// The client deadline of one attempt (`deadline_ms`); a 504 after it moves the request on.
    pub deadline_ms: u64,
    /// Attempts per request before giving up on it.
    pub attempts: usize,
}

/// What became of one request.
#[derive(Debug, Clone)]
pub struct Sent {
    pub index: usize,
    pub tier: u8,
    /// The accepted answer (HTTP 200 or 202 with an id) and the node that gave it.
    pub accepted: Option<(usize, serde_json::Value)>,
    /// The id named by a 504 when no attempt was accepted (the vote may still finish).
    pub timed_out_id: Option<String>,
    /// One line per failed attempt: `node-2: 504 …`.
    pub failures: Vec<String>,
}

impl Sent {
    pub fn id(&self) -> Option<&str> {
        self.accepted.as_ref().and_then(|(_, v)| v["id"].as_str())
    }
}

/// Runs the stream to its end; `submitted` counts requests started (the chaos schedule's
/// clock). Anomalies (a 500, or a 4xx other than 429) are collected in `anomalies`.
pub fn run(
    s: &Stream<'_>,
    endpoints: &[String],
    up: &[AtomicBool],
    submitted: &AtomicUsize,
    anomalies: &Mutex<Vec<String>>,
) -> Vec<Sent> {
    let out = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for t in 0..s.concurrency {
            let out = &out;
            scope.spawn(move || {
                let mut rng = Rng::new(s.seed ^ 0xC11E_4700 ^ ((t as u64) << 40));
                loop {
                    let k = submitted.fetch_add(1, Ordering::SeqCst);
                    if k >= s.requests {
                        return;
                    }
                    let sent = one(s, k, &mut rng, endpoints, up, anomalies);
                    out.lock().unwrap().push(sent);
                }
            });
        }
    });
    let mut all = out.into_inner().unwrap();
    all.sort_by_key(|x| x.index);
    all
}

fn one(
    s: &Stream<'_>,
    k: usize,
    rng: &mut Rng,
    endpoints: &[String],
    up: &[AtomicBool],
    anomalies: &Mutex<Vec<String>>,
) -> Sent {
    let tier = s.tiers[rng.below(s.tiers.len())];
    let body = serde_json::json!({
        "prompt": format!("chaos {} seed {} request {k}: what is 2+2?", s.label, s.seed),
        "mode": "number:0",
        "tier": tier,
        "client_nonce": k,
        "deadline_ms": s.deadline_ms,
    })
    .to_string();
    let mut sent = Sent {
        index: k,
        tier,
        accepted: None,
        timed_out_id: None,
        failures: Vec::new(),
    };
    for attempt in 0..s.attempts {
        let live: Vec<usize> = (0..endpoints.len())
            .filter(|&i| up[i].load(Ordering::SeqCst))
            .collect();
        let node = live[rng.below(live.len())];
        let timeout = Duration::from_millis(s.deadline_ms) + Duration::from_secs(15);
        let result = http(&endpoints[node], "POST", "/v1/votes", Some(&body), timeout);
        match result {
            Ok((200 | 202, text)) => match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(v) if v["id"].is_string() => {
                    sent.accepted = Some((node, v));
                    return sent;
                }
                _ => anomalies.lock().unwrap().push(format!(
                    "request {k}: node-{node} answered 200 without an id: {text}"
                )),
            },
            Ok((status, text)) => {
                if status == 504 {
                    sent.timed_out_id = text
                        .split("vote ")
                        .nth(1)
                        .and_then(|t| t.split_whitespace().next())
                        .map(String::from);
                }
                if status == 500 || ((400..500).contains(&status) && status != 429) {
                    anomalies.lock().unwrap().push(format!(
                        "request {k}: node-{node} answered {status}: {text}"
                    ));
                }
                let short: String = text.chars().take(160).collect();
                sent.failures.push(format!("node-{node}: {status} {short}"));
            }
            Err(e) => sent.failures.push(format!("node-{node}: {e}")),
        }
        // Spacing between retries (the next attempt goes to another random live node).
        std::thread::sleep(Duration::from_millis(200 * (attempt as u64 + 1).min(5)));
    }
    sent
}
