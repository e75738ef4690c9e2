//! `byzvote ask` and `byzvote verify`.

use byzvote_api::VoteRequest;
use byzvote_api::cli::{AskOptions, ask_main, verify_main};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args)]
pub struct AskArgs {
    /// The question.
    pub prompt: String,
    #[command(flatten)]
    pub api: crate::node_api::NodeApi,
    /// How answers are compared: exact | class:a,b,c | number:P | json, or decided by a robust
    /// aggregate: number:P:RULE | vector[:RULE] (see --aggregate); free text compared by
    /// meaning: semantic[:THRESHOLD] (e.g. semantic:0.8); or pick-best (candidates, then a
    /// ballot). semantic and pick-best need --tier 3 or higher.
    #[arg(long, default_value = "exact")]
    pub mode: String,
    /// With `--mode number:P` or `--mode vector`: decide by this robust aggregate of the
    /// members' values instead of a class vote: median | trimmed-mean | krum | multi-krum |
    /// bulyan | geometric-median | centered-clipping | cgc (same as --mode number:P:RULE or
    /// vector:RULE).
    #[arg(long, value_name = "RULE")]
    pub aggregate: Option<String>,
    /// Assurance tier: 1 (one model), 2 (majority of 3), 3 (committee of 4 tolerating 1 faulty
    /// coordinator), 4 (7, f=2), 5 (10, f=3), or `auto` (the router picks from --importance and
    /// the risk rules, and escalates one tier after a split).
    #[arg(long, default_value = "3")]
    pub tier: byzvote_api::TierChoice,
    /// For `--tier auto`: low | normal | high | critical.
    #[arg(long, value_parser = parse_importance)]
    pub importance: Option<byzvote_core::route::Importance>,
    /// Most tokens each model may generate (short answers vote best).
    #[arg(long, default_value_t = 128)]
    pub max_tokens: u32,
    /// Print the whole response as JSON (save it to verify the certificate later).
    #[arg(long)]
    pub json: bool,
    /// The group public key you trust (hex); the certificate must verify under it.
    #[arg(long)]
    pub group_key: Option<String>,
    /// How long to wait for the decision, in seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    /// A number that makes this request distinct from an identical earlier one.
    #[arg(long)]
    pub nonce: Option<u64>,
}

/// The mode string sent to the node: `--mode` with `--aggregate`'s rule folded in.
fn mode_string(args: &AskArgs) -> anyhow::Result<String> {
    let mode = byzvote_core::Mode::parse_with_aggregate(&args.mode, args.aggregate.as_deref())?;
    Ok(mode.to_string())
}

pub fn ask(args: AskArgs) -> anyhow::Result<ExitCode> {
    let request = VoteRequest {
        mode: mode_string(&args)?,
        tier: args.tier,
        importance: args.importance,
        max_tokens: Some(args.max_tokens),
        client_nonce: args.nonce,
        ..VoteRequest::prompt(args.prompt)
    };
    let options = AskOptions {
        endpoint: args.api.url(),
        json: args.json,
        timeout: Some(Duration::from_secs(args.timeout)),
        group_key: args.group_key,
        api_key: args.api.api_key,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let output = runtime.block_on(ask_main(&request, &options))?;
    crate::print_stdout(&format!("{}\n", output.text))?;
    Ok(if output.agreed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

#[derive(Args)]
pub struct VerifyArgs {
    /// A certificate JSON file, or a response saved with `byzvote ask --json`.
    pub file: PathBuf,
    /// The group public key you trust (hex, 48 bytes); strongly recommended.
    #[arg(long)]
    pub group_key: Option<String>,
}

pub fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    match verify_main(&args.file, args.group_key.as_deref()) {
        Ok((text, _)) => {
            crate::print_stdout(&format!("{text}\n"))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn parse_importance(s: &str) -> Result<byzvote_core::route::Importance, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("importance is low, normal, high or critical, got {s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        ask: AskArgs,
    }

    fn mode(args: &[&str]) -> anyhow::Result<String> {
        let cli = Cli::try_parse_from([&["byzvote", "question"], args].concat())?;
        mode_string(&cli.ask)
    }

    #[test]
    fn aggregate_folds_into_the_mode() {
        assert_eq!(
            mode(&["--mode", "vector", "--aggregate", "krum"]).unwrap(),
            "vector:krum"
        );
        assert_eq!(
            mode(&["--mode", "number:2", "--aggregate", "median"]).unwrap(),
            "number:2:median"
        );
        assert_eq!(
            mode(&["--mode", "vector:trimmed-mean"]).unwrap(),
            "vector:trimmed-mean"
        );
        assert_eq!(mode(&["--mode", "vector"]).unwrap(), "vector:median");
        assert_eq!(mode(&["--mode", "semantic:0.8"]).unwrap(), "semantic:0.8");
        assert_eq!(mode(&["--mode", "semantic"]).unwrap(), "semantic");
        assert_eq!(mode(&["--mode", "pick-best"]).unwrap(), "pick-best");
        assert_eq!(mode(&[]).unwrap(), "exact");
        for bad in [
            &["--mode", "exact", "--aggregate", "median"][..],
            &["--mode", "vector:krum", "--aggregate", "median"],
            &["--mode", "vector", "--aggregate", "mean"],
            &["--mode", "vector", "--aggregate", "kurm"],
        ] {
            let err = mode(bad).unwrap_err().to_string();
            assert!(!err.is_empty(), "{bad:?}");
        }
    }
}
