//! `bench vote`'s breakdown: where the serving node's time went, and the ratio of a vote to
//! one bare simplex finalization measured by the same node in the same run.
//!
//! The node records only when started with `BYZVOTE_TIMINGS=1` (`GET /v1/timings`); without
//! it the bench prints latencies only and says how to get the breakdown.

use byzvote_node::timing::StageSummary as Stage;
use std::time::Duration;

/// What each stage measures, for the printed table.
const MEANING: &[(&str, &str)] = &[
    (
        "chain.finalize.empty",
        "bare finalization: this node proposed an empty block -> it was finalized here",
    ),
    (
        "chain.finalize.txs",
        "finalization of a block with transactions this node proposed",
    ),
    (
        "chain.notarized",
        "a block this node proposed: proposed -> notarization certificate here",
    ),
    (
        "chain.certified",
        "... notarized -> certified here (the block durable; finalize vote next)",
    ),
    (
        "chain.finalized",
        "... certified -> finalization certificate here",
    ),
    (
        "chain.applied",
        "... finalization certificate -> block delivered to the executor",
    ),
    (
        "chain.propose_linger",
        "a leader holding a proposal for the rest of a vote's commits",
    ),
    (
        "chain.propose_wait",
        "a leader waiting for transactions before proposing",
    ),
    (
        "chain.verify",
        "checking a proposed block's transactions (signatures)",
    ),
    (
        "chain.block_txs",
        "transactions per finalized block (a count)",
    ),
    (
        "executor.block",
        "applying one finalized block (state, audit sync, actions)",
    ),
    (
        "executor.seal",
        "signing what this node said since its last bundle (commits, reveals, reports) as one",
    ),
    ("audit.sync", "one audit-log append with its fsync"),
    (
        "secrets.sync",
        "one commitment-secret append with its fsync",
    ),
    ("model.call", "this node's model call"),
    ("sig.partial_sign", "one threshold partial signature"),
    ("sig.partial_verify", "one partial signature checked"),
    ("sig.recover", "recovering the group signature"),
    (
        "sig.verify",
        "checking the recovered signatures of one flush, together",
    ),
    (
        "sig.verify_batch",
        "recovered signatures checked together (a count)",
    ),
    (
        "vote.order_request",
        "submitted -> the request's block applied here",
    ),
    (
        "vote.model_commit",
        "request applied -> own commit sent (model, secret fsync)",
    ),
    (
        "vote.order_commits",
        "own commit sent -> the commitment set closed",
    ),
    (
        "vote.order_reveals",
        "commitment set closed -> decided (reveals finalized)",
    ),
    (
        "vote.certify",
        "decided -> certificate recovered and logged",
    ),
    ("vote.total", "submitted -> certified, at the serving node"),
    (
        "vote.total_from_order",
        "the request's block applied -> certified",
    ),
    (
        "vote.speculated",
        "requests answered before they were ordered (see protocol::speculate)",
    ),
    (
        "sig.optimistic_failed",
        "optimistic recoveries that failed (a bad partial)",
    ),
];

/// Stages that hold counts, not durations.
const COUNTS: &[&str] = &[
    "chain.block_txs",
    "sig.verify_batch",
    "vote.speculated",
    "sig.optimistic_failed",
];

/// Reads and resets the serving node's timings.
pub struct Source {
    url: String,
    key: Option<String>,
    http: reqwest::Client,
}

impl Source {
    pub fn new(endpoint: &str, key: Option<&str>) -> Self {
        Self {
            url: format!("{}/v1/timings", endpoint.trim_end_matches('/')),
            key: key.map(str::to_string),
            http: reqwest::Client::new(),
        }
    }

    fn auth(&self, b: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.key {
            Some(k) => b.bearer_auth(k),
            None => b,
        }
    }

    /// Drops what the node recorded so far (the warm-up). Quiet if the node records nothing.
    pub async fn reset(&self) {
        let _ = self.auth(self.http.delete(&self.url)).send().await;
    }

    async fn fetch(&self) -> Option<Vec<Stage>> {
        let resp = self.auth(self.http.get(&self.url)).send().await.ok()?;
        if !resp.status().is_success() {
            return None;
        }
        serde_json::from_slice(&resp.bytes().await.ok()?).ok()
    }

    /// Prints the serving node's stages and the vote's ratio to a bare finalization.
    pub async fn report(&self, vote_p50: Duration) {
        let Some(stages) = self.fetch().await else {
            println!(
                "no breakdown: start the cluster with BYZVOTE_TIMINGS=1 in its environment for \
                 where the time goes and the ratio to a bare finalization"
            );
            return;
        };
        println!(
            "where the serving node's time went (ms; chain.block_txs, sig.verify_batch, vote.speculated and sig.optimistic_failed are counts):"
        );
        println!(
            "  {:<22} {:>7} {:>8} {:>8} {:>8} {:>8}  what",
            "stage", "count", "mean", "p50", "p90", "p99"
        );
        for s in &stages {
            let scale = if COUNTS.contains(&s.stage.as_str()) {
                1.0
            } else {
                1e-3
            };
            let meaning = MEANING
                .iter()
                .find(|(name, _)| *name == s.stage)
                .map_or("", |(_, m)| m);
            println!(
                "  {:<22} {:>7} {:>8.3} {:>8.3} {:>8.3} {:>8.3}  {meaning}",
                s.stage,
                s.count,
                s.mean * scale,
                s.p50 * scale,
                s.p90 * scale,
                s.p99 * scale,
            );
        }
        for (stage, what) in [
            (
                "chain.finalize.empty",
                "bare simplex finalizations (empty blocks",
            ),
            (
                "chain.finalize.txs",
                "loaded finalizations (blocks with transactions",
            ),
        ] {
            match stages.iter().find(|s| s.stage == stage) {
                Some(f) if f.p50 > 0.0 => println!(
                    "one vote (p50 {:.1} ms) = {:.1} {what}: p50 {:.2} ms, {} proposed by this \
                     node in the same run)",
                    vote_p50.as_secs_f64() * 1e3,
                    vote_p50.as_secs_f64() * 1e6 / f.p50,
                    f.p50 * 1e-3,
                    f.count
                ),
                _ => println!("no {stage} measured in this run"),
            }
        }
    }
}
