//! `bench cluster`: the protocol's latency and throughput in one command. It serves instant
//! models from this process, starts a fresh 4-process loopback cluster on them (with
//! `BYZVOTE_TIMINGS=1`, so each run prints where the time went and the ratio to a bare simplex
//! finalization), runs `bench vote` at each concurrency, and stops the cluster.
//!
//! `bench instant-model` serves the same instant models alone, for a cluster started by hand.
//! Neither is a model, nor ever a default: they are load-generator fixtures, so that a
//! benchmark measures the protocol and not inference.

use crate::bench::VoteArgs;
use crate::cluster::{UpArgs, launch};
use axum::{Router, routing::post};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ClusterArgs {
    /// Measured votes per concurrency level.
    #[arg(long, default_value_t = 150)]
    pub requests: usize,
    /// Votes in flight, one run per comma-separated level.
    #[arg(long, value_delimiter = ',', default_value = "1,32")]
    pub concurrency: Vec<usize>,
    /// The agreement mode of every vote.
    #[arg(long, default_value = "exact")]
    pub mode: String,
    /// Where the cluster keeps its state; must not hold a cluster yet. Default: a fresh
    /// directory under the system's temporary directory, removed at the end. Give a tmpfs
    /// path (e.g. /dev/shm/bench) to leave out disk syncs.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Votes sent first at each level and not measured.
    #[arg(long, default_value_t = 5)]
    pub warmup: usize,
    /// Seconds the cluster idles before each level's measured votes, for the bare simplex
    /// finalizations (empty blocks, about two a second) that a vote is compared with.
    #[arg(long, default_value_t = 8)]
    pub idle_baseline: u64,
}

#[derive(Args)]
pub struct InstantArgs {
    /// Address to listen on (port 0: any free port; the bound address is printed).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: String,
    /// The text every completion answers.
    #[arg(long, default_value = "4")]
    pub answer: String,
}

/// An OpenAI-compatible chat-completions server whose every answer is `answer`, at once.
fn instant_router(answer: &str) -> Router {
    let body = serde_json::json!({
        "id": "instant", "object": "chat.completion", "created": 0, "model": "instant",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": answer}}],
        "usage": {"prompt_tokens": 8, "completion_tokens": 1, "total_tokens": 9},
    })
    .to_string();
    Router::new().route(
        "/v1/chat/completions",
        post(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    )
}

/// Serves the instant models on `listener` until the runtime stops.
async fn serve_instant(listener: tokio::net::TcpListener, answer: &str) -> std::io::Result<()> {
    use axum::serve::ListenerExt as _;
    // Replies leave in one segment without waiting for the client's delayed ACK.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, instant_router(answer)).await
}

pub async fn instant_model(args: InstantArgs) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    let addr = listener.local_addr()?;
    println!("{}", addr.port());
    eprintln!(
        "instant models on http://{addr}/v1 (every answer: {:?}); give `byzvote up` four \
         --backend '{{ kind = \"openai\", base_url = \"http://{addr}/v1\", model = \"instant\", vendor = \"a\" }}' \
         (vendors a to d)",
        args.answer
    );
    serve_instant(listener, &args.answer).await?;
    Ok(ExitCode::SUCCESS)
}

pub fn cluster(args: ClusterArgs, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    if args.concurrency.contains(&0) {
        anyhow::bail!("--concurrency levels must be at least 1");
    }
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let base_url = format!("http://{}/v1", listener.local_addr()?);
    // Runs on the runtime's workers while this thread starts the cluster.
    runtime.spawn(async move { serve_instant(listener, "4").await });

    let (data, temporary) = match args.data {
        Some(d) => (d, false),
        None => (
            std::env::temp_dir().join(format!("byzvote-bench-{}", std::process::id())),
            true,
        ),
    };
    if data.join("cluster").exists() {
        anyhow::bail!(
            "{} already holds a cluster; `bench cluster` starts a fresh one (give another --data)",
            data.display()
        );
    }
    let up = UpArgs {
        data: Some(data.clone()),
        backends: ["a", "b", "c", "d"]
            .iter()
            .map(|vendor| {
                format!(
                    "{{ kind = \"openai\", base_url = \"{base_url}\", model = \"instant\", vendor = \"{vendor}\" }}"
                )
            })
            .collect(),
        commit_timeout: 120,
        reveal_timeout: 20,
    };
    eprintln!(
        "starting 4 node processes on instant models in {} (first start: DKG)",
        data.display()
    );
    let result = launch(&up, &[("BYZVOTE_TIMINGS", "1")]).and_then(|running| {
        let endpoint = running.endpoint();
        let mut ok = true;
        for &concurrency in &args.concurrency {
            println!();
            let vote = VoteArgs {
                api: crate::node_api::NodeApi::at(endpoint.clone()),
                requests: args.requests,
                concurrency,
                mode: args.mode.clone(),
                tier: byzvote_api::TierChoice::Fixed(3),
                warmup: args.warmup,
                idle_baseline: args.idle_baseline,
            };
            ok &= runtime.block_on(crate::bench::vote(vote))? == ExitCode::SUCCESS;
        }
        drop(running);
        Ok(ok)
    });
    if temporary {
        let _ = std::fs::remove_dir_all(&data);
    }
    Ok(if result? {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
