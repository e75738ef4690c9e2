//! `byzvote bench`: reproducible load generators.
//!
//! * `bench vote`: distinct votes against a running cluster, with `--concurrency` in flight;
//!   reports the latency distribution, decisions per second and, per vote, the time the node
//!   spent beyond its slowest model call (the protocol's own cost). Run it against a cluster of
//!   instant models (`bench instant-model`, then `up --backend …`) to measure the protocol
//!   rather than the models (`bench cluster` does all of it in one command); `--tier 1|2`
//!   measures the quick tiers.
//! * `bench http`: the HTTP layer alone, in this process: an API server over an instant
//!   in-memory gateway, driven over loopback, against the same server's `/healthz` as the
//!   baseline, so the difference is what JSON, validation, routing and the response add.

use byzvote_api::{
    ClusterInfo, Gateway, GatewayError, MemberInfo, MemberStatus, MemberVote, Outcome,
    ServerConfig, TierChoice, VoteRequest, VoteResponse, VoteStatus, core_types::Request,
};
use clap::{Args, Subcommand};
use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Latency and throughput of votes against a cluster.
    Vote(VoteArgs),
    /// Overhead of the HTTP layer and router, in-process, over an instant gateway.
    Http(HttpArgs),
    /// Cost and latency of tiers 1, 2 and 3 (or those given) on a running cluster.
    Tiers(crate::bench_tiers::TiersArgs),
    /// The protocol alone: a fresh 4-process cluster on instant models, `bench vote` at each
    /// concurrency with the breakdown of where the time went, then stopped.
    Cluster(crate::bench_cluster::ClusterArgs),
    /// Instant OpenAI-compatible models (every answer the same, at once) for a cluster
    /// started by hand; a load-generator fixture, not a model.
    InstantModel(crate::bench_cluster::InstantArgs),
}

#[derive(Args)]
pub struct VoteArgs {
    #[command(flatten)]
    pub api: crate::node_api::NodeApi,
    #[arg(long, default_value_t = 200)]
    pub requests: usize,
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    #[arg(long, default_value = "exact")]
    pub mode: String,
    /// The tier: 1 and 2 have no consensus round; 3+ run the full protocol; auto routes.
    #[arg(long, default_value = "3")]
    pub tier: TierChoice,
    /// Votes sent first and not measured (connections, caches, the first views).
    #[arg(long, default_value_t = 5)]
    pub warmup: usize,
    /// Seconds the cluster idles after the warm-up, before the measured votes: an idle
    /// cluster finalizes an empty block about every 500 ms, the bare simplex finalization a
    /// vote is compared with (needs `BYZVOTE_TIMINGS=1` on the nodes).
    #[arg(long, default_value_t = 0)]
    pub idle_baseline: u64,
}

#[derive(Args)]
pub struct HttpArgs {
    #[arg(long, default_value_t = 5000)]
    pub requests: usize,
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Latencies and failures of `total` calls of `call(i)` with `concurrency` in flight.
pub(crate) async fn load<F, Fut, T>(
    total: usize,
    concurrency: usize,
    call: F,
) -> (Vec<Duration>, Vec<T>, usize, Duration)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<T>> + Send,
    T: Send + 'static,
{
    let call = Arc::new(call);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (call, next) = (call.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let (mut lat, mut out, mut failed) = (Vec::new(), Vec::new(), 0);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                match call(i).await {
                    Some(v) => {
                        lat.push(t.elapsed());
                        out.push(v);
                    }
                    None => failed += 1,
                }
            }
            (lat, out, failed)
        }));
    }
    let (mut lat, mut out, mut failed) = (Vec::new(), Vec::new(), 0);
    for w in workers {
        if let Ok((l, o, f)) = w.await {
            lat.extend(l);
            out.extend(o);
            failed += f;
        }
    }
    lat.sort();
    (lat, out, failed, started.elapsed())
}

fn report(name: &str, lat: &[Duration], failed: usize, elapsed: Duration) {
    println!(
        "{name:<28} {:>6} ok {failed:>3} failed  p50 {:>7.3} ms  p90 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms  {:>8.1}/s",
        lat.len(),
        ms(percentile(lat, 0.50)),
        ms(percentile(lat, 0.90)),
        ms(percentile(lat, 0.99)),
        ms(lat.last().copied().unwrap_or_default()),
        lat.len() as f64 / elapsed.as_secs_f64(),
    );
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match cmd {
        BenchCommand::Vote(args) => runtime.block_on(vote(args)),
        BenchCommand::Http(args) => runtime.block_on(http(args)),
        BenchCommand::Tiers(args) => runtime.block_on(crate::bench_tiers::tiers(args)),
        BenchCommand::Cluster(args) => crate::bench_cluster::cluster(args, &runtime),
        BenchCommand::InstantModel(args) => {
            runtime.block_on(crate::bench_cluster::instant_model(args))
        }
    }
}

pub(crate) async fn vote(args: VoteArgs) -> anyhow::Result<ExitCode> {
    let client = Arc::new(
        byzvote_api::Client::new(&args.api.url())?
            .with_vote_timeout(Duration::from_secs(120))
            .with_api_key(args.api.api_key.clone()),
    );
    // A time-based base keeps this run's requests distinct from earlier runs'.
    let base = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos() as u64;
    let (mode, tier) = (args.mode.clone(), args.tier);
    let vote = move |i: usize| {
        let (client, mode) = (client.clone(), mode.clone());
        async move {
            let request = VoteRequest {
                mode,
                tier,
                client_nonce: Some(base.wrapping_add(i as u64)),
                max_tokens: Some(16),
                ..VoteRequest::prompt(format!("benchmark question {i}"))
            };
            client.vote(&request).await.ok()
        }
    };
    let warm = vote.clone();
    let warmup = args.warmup;
    load(warmup, args.concurrency, move |i| warm(args.requests + i)).await;
    let timings = crate::bench_timings::Source::new(&args.api.url(), args.api.api_key.as_deref());
    timings.reset().await;
    if args.idle_baseline > 0 {
        eprintln!(
            "idling {} s for the bare finalizations (empty blocks)",
            args.idle_baseline
        );
        tokio::time::sleep(Duration::from_secs(args.idle_baseline)).await;
    }
    let (lat, responses, failed, elapsed) = load(args.requests, args.concurrency, vote).await;
    report(
        &format!("tier {} votes (c={})", args.tier, args.concurrency),
        &lat,
        failed,
        elapsed,
    );
    // What the node spent beyond its slowest model call (ms resolution, as reported).
    let mut over: Vec<Duration> = responses
        .iter()
        .map(|r: &VoteResponse| {
            let slowest = r
                .votes
                .iter()
                .filter_map(|v| v.latency_ms)
                .max()
                .unwrap_or(0);
            Duration::from_millis(r.latency_ms.saturating_sub(slowest))
        })
        .collect();
    over.sort();
    println!(
        "beyond the slowest model call: p50 {} ms, p99 {} ms (node-reported, 1 ms resolution)",
        ms(percentile(&over, 0.5)),
        ms(percentile(&over, 0.99))
    );
    timings.report(percentile(&lat, 0.5)).await;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Decides every request at once with three agreeing members: the HTTP bench's "node".
struct InstantGateway;

#[async_trait::async_trait]
impl Gateway for InstantGateway {
    async fn submit(&self, request: Request) -> Result<VoteResponse, GatewayError> {
        let votes = (0..4)
            .map(|m| MemberVote {
                member: m,
                name: format!("node-{m}"),
                vendor: "bench".into(),
                model: "instant".into(),
                status: MemberStatus::Agreed,
                class: Some("4".into()),
                latency_ms: Some(0),
                prompt_tokens: Some(10),
                completion_tokens: Some(1),
                cost_usd: 0.0,
                confidence: None,
            })
            .collect();
        Ok(VoteResponse {
            id: hex::encode(request.id()),
            status: VoteStatus::Decided,
            outcome: Some(Outcome::Agreed),
            answer: Some("4".into()),
            mode: request.mode.to_string(),
            tier: request.tier,
            votes,
            cost_usd: 0.0,
            latency_ms: 0,
            certificate: None,
            confidence: None,
            attestation: None,
            route: None,
            masked: Default::default(),
            review: None,
            verification: None,
        })
    }

    async fn get(&self, _id: &str) -> Result<Option<VoteResponse>, GatewayError> {
        Ok(None)
    }

    fn info(&self) -> ClusterInfo {
        ClusterInfo {
            node: "bench".into(),
            group_public_key: String::new(),
            members: (0..4)
                .map(|i| MemberInfo {
                    index: i,
                    name: format!("node-{i}"),
                    vendor: "bench".into(),
                    model: "instant".into(),
                    public_key: String::new(),
                })
                .collect(),
        }
    }
}

async fn http(args: HttpArgs) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = byzvote_api::router(Arc::new(InstantGateway), ServerConfig::default());
    tokio::spawn(byzvote_api::serve(listener, app, std::future::pending()));
    let client = reqwest::Client::new();
    println!(
        "HTTP layer over an instant gateway, loopback, {} requests, concurrency {}",
        args.requests, args.concurrency
    );
    let cases: [(&str, &str, Option<&str>); 4] = [
        ("GET /healthz (baseline)", "/healthz", None),
        (
            "POST /v1/votes",
            "/v1/votes",
            Some(r#"{"prompt": "What is 2+2?", "mode": "number:0"}"#),
        ),
        (
            "POST /v1/chat/completions",
            "/v1/chat/completions",
            Some(
                r#"{"model": "byzvote-tier3", "messages": [{"role": "user", "content": "What is 2+2?"}]}"#,
            ),
        ),
        (
            "  … with model byzvote-auto",
            "/v1/chat/completions",
            Some(
                r#"{"model": "byzvote-auto", "messages": [{"role": "user", "content": "What dose of ibuprofen is safe?"}]}"#,
            ),
        ),
    ];
    let mut baseline = None;
    for (name, path, body) in cases {
        let (client, url) = (client.clone(), format!("{base}{path}"));
        let body = body.map(str::to_string);
        let (lat, _, failed, elapsed) = load(args.requests, args.concurrency, move |_| {
            let (client, url, body) = (client.clone(), url.clone(), body.clone());
            async move {
                let req = match body {
                    Some(b) => client
                        .post(url)
                        .header("content-type", "application/json")
                        .body(b),
                    None => client.get(url),
                };
                let resp = req.send().await.ok()?;
                let ok = resp.status().is_success();
                resp.bytes().await.ok()?;
                ok.then_some(())
            }
        })
        .await;
        report(name, &lat, failed, elapsed);
        match baseline {
            None => baseline = Some((percentile(&lat, 0.5), percentile(&lat, 0.99))),
            Some((p50, p99)) => println!(
                "{:<28} added over the baseline: p50 {:+.3} ms, p99 {:+.3} ms",
                "",
                ms(percentile(&lat, 0.5)) - ms(p50),
                ms(percentile(&lat, 0.99)) - ms(p99)
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}
