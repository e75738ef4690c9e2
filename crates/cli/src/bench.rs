//! `byzvote bench vote`: a load generator against a running cluster.
//!
//! Sends `--requests` distinct tier-3 votes with `--concurrency` in flight and reports the
//! latency distribution (p50/p90/p99/max) and decisions per second. Run it against a
//! cluster of instant models (e.g. `up --backend '{ kind = "command", … }'`) to measure the
//! protocol rather than the models.

use byzvote_api::{Client, VoteRequest};
use clap::{Args, Subcommand};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Latency and throughput of votes against a cluster.
    Vote(VoteArgs),
}

#[derive(Args)]
pub struct VoteArgs {
    #[arg(
        long,
        env = "BYZVOTE_ENDPOINT",
        default_value = "http://127.0.0.1:7400"
    )]
    pub endpoint: String,
    #[arg(long, default_value_t = 200)]
    pub requests: usize,
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    #[arg(long, default_value = "exact")]
    pub mode: String,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    let BenchCommand::Vote(args) = cmd;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let client =
            Arc::new(Client::new(&args.endpoint)?.with_vote_timeout(Duration::from_secs(120)));
        // A random base keeps this run's requests distinct from earlier runs'.
        let base = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos() as u64;
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let started = Instant::now();
        let mut workers = Vec::new();
        for _ in 0..args.concurrency.max(1) {
            let (client, next, mode) = (client.clone(), next.clone(), args.mode.clone());
            let total = args.requests;
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failures = 0usize;
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= total {
                        break;
                    }
                    let request = VoteRequest {
                        mode: mode.clone(),
                        client_nonce: Some(base.wrapping_add(i as u64)),
                        max_tokens: Some(16),
                        ..VoteRequest::prompt(format!("benchmark question {i}"))
                    };
                    let t = Instant::now();
                    match client.vote(&request).await {
                        Ok(_) => latencies.push(t.elapsed()),
                        Err(_) => failures += 1,
                    }
                }
                (latencies, failures)
            }));
        }
        let mut latencies = Vec::new();
        let mut failures = 0;
        for w in workers {
            let (l, f) = w.await?;
            latencies.extend(l);
            failures += f;
        }
        let elapsed = started.elapsed();
        latencies.sort();
        println!(
            "votes: {} ok, {failures} failed, concurrency {}",
            latencies.len(),
            args.concurrency
        );
        println!(
            "latency: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            percentile(&latencies, 0.50).as_secs_f64() * 1e3,
            percentile(&latencies, 0.90).as_secs_f64() * 1e3,
            percentile(&latencies, 0.99).as_secs_f64() * 1e3,
            latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        );
        println!(
            "throughput: {:.1} decisions/s over {:.1} s",
            latencies.len() as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64()
        );
        Ok(if failures == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    })
}
