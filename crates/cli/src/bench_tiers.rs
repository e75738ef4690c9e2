//! `byzvote bench tiers`: what each tier costs and how long it takes, on one running cluster.
//!
//! Tier 1 asks one model, tier 2 three in parallel with no consensus round, tier 3+ run the
//! full protocol with a committee (DESIGN.md §3): assurance is bought with model calls and
//! latency. This sends the same kind of distinct questions at each tier and prints one row per
//! tier: latency percentiles, the mean cost per vote as the cluster reports it (each member's
//! tokens × its configured price, summed), tokens per vote and the cost relative to tier 1.
//! Give the cluster priced models (e.g. command models with `price_in_per_1k`,
//! `price_out_per_1k` and `estimate_tokens = true`) to see money rather than zeros.

use crate::bench::{load, ms, percentile};
use byzvote_api::{TierChoice, VoteRequest, VoteResponse};
use clap::Args;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Args)]
pub struct TiersArgs {
    #[command(flatten)]
    pub api: crate::node_api::NodeApi,
    /// Votes per tier.
    #[arg(long, default_value_t = 20)]
    pub requests: usize,
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// The tiers to compare, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    pub tiers: Vec<u8>,
    #[arg(long, default_value = "exact")]
    pub mode: String,
}

/// One tier's measurements.
struct Row {
    tier: u8,
    ok: usize,
    failed: usize,
    p50: Duration,
    p99: Duration,
    /// Mean over the decided votes.
    coordinators: f64,
    tokens: f64,
    cost_usd: f64,
}

pub async fn tiers(args: TiersArgs) -> anyhow::Result<ExitCode> {
    if args.tiers.is_empty() || args.tiers.iter().any(|t| !(1..=5).contains(t)) {
        anyhow::bail!("--tiers takes tiers from 1 to 5, e.g. --tiers 1,2,3");
    }
    let client = Arc::new(
        byzvote_api::Client::new(&args.api.url())?
            .with_vote_timeout(Duration::from_secs(120))
            .with_api_key(args.api.api_key.clone()),
    );
    // A time-based base keeps this run's questions distinct from earlier runs' (no cache hit).
    let base = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos() as u64;
    let mut rows = Vec::new();
    for &tier in &args.tiers {
        let (client, mode) = (client.clone(), args.mode.clone());
        let (lat, responses, failed, _) = load(args.requests, args.concurrency, move |i| {
            let (client, mode) = (client.clone(), mode.clone());
            async move {
                let request = VoteRequest {
                    mode,
                    tier: TierChoice::Fixed(tier),
                    client_nonce: Some(base.wrapping_add(u64::from(tier) << 32 | i as u64)),
                    max_tokens: Some(16),
                    ..VoteRequest::prompt(format!("benchmark question {i}: what is 2+2?"))
                };
                client.vote(&request).await.ok()
            }
        })
        .await;
        rows.push(row(tier, &lat, &responses, failed));
    }
    print!("{}", table(&args, &rows));
    Ok(if rows.iter().all(|r| r.failed == 0) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn row(tier: u8, lat: &[Duration], responses: &[VoteResponse], failed: usize) -> Row {
    let n = responses.len().max(1) as f64;
    let mean = |f: &dyn Fn(&VoteResponse) -> f64| responses.iter().map(f).sum::<f64>() / n;
    Row {
        tier,
        ok: responses.len(),
        failed,
        p50: percentile(lat, 0.50),
        p99: percentile(lat, 0.99),
        coordinators: mean(&|r| r.votes.iter().filter(|v| v.latency_ms.is_some()).count() as f64),
        tokens: mean(&|r| {
            r.votes
                .iter()
                .map(|v| v.prompt_tokens.unwrap_or(0) + v.completion_tokens.unwrap_or(0))
                .sum::<u64>() as f64
        }),
        cost_usd: mean(&|r| r.cost_usd),
    }
}

fn table(args: &TiersArgs, rows: &[Row]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} votes per tier, concurrency {}, mode {}, against {}",
        args.requests,
        args.concurrency,
        args.mode,
        args.api.url()
    );
    let _ = writeln!(
        out,
        "tier  ok/failed  answered  p50 ms    p99 ms    tokens/vote  cost/vote ($)  vs tier {}",
        rows.first().map_or(1, |r| r.tier)
    );
    let first = rows.first().map_or(0.0, |r| r.cost_usd);
    for r in rows {
        let ratio = if first > 0.0 {
            format!("{:.2}x", r.cost_usd / first)
        } else {
            "-".to_string()
        };
        let _ = writeln!(
            out,
            "{:<5} {:>3}/{:<5} {:>8.1}  {:>8.1}  {:>8.1}  {:>11.1}  {:>13.8}  {ratio}",
            r.tier,
            r.ok,
            r.failed,
            r.coordinators,
            ms(r.p50),
            ms(r.p99),
            r.tokens,
            r.cost_usd,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_each_tier_and_compares_costs_to_the_first() {
        let args = TiersArgs {
            api: crate::node_api::NodeApi::at("http://x"),
            requests: 2,
            concurrency: 1,
            tiers: vec![1, 3],
            mode: "exact".into(),
        };
        let mk = |tier, cost_usd| Row {
            tier,
            ok: 2,
            failed: 0,
            p50: Duration::from_millis(5),
            p99: Duration::from_millis(9),
            coordinators: f64::from(tier),
            tokens: 10.0,
            cost_usd,
        };
        let text = table(&args, &[mk(1, 0.001), mk(3, 0.004)]);
        assert!(text.contains("4.00x"), "{text}");
        assert!(text.contains("1.00x"), "{text}");
        assert_eq!(text.lines().count(), 4, "{text}");
    }
}
