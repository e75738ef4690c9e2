//! `byzvote similarity "A" "B"`: the built-in embedder's cosine for two texts and the semantic
//! mode's verdict with its reason. A debugging tool: it shows exactly what a `semantic` vote
//! would decide for this pair, and why.

use byzvote_builtin::{MiniLm, models_dir};
use byzvote_core::semantic::{Answer, Embedder, SemanticConfig, judge};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct SimilarityArgs {
    /// The first text.
    pub a: String,
    /// The second text.
    pub b: String,
    /// Print `{"cosine": …, "agree": …, "reason": "…"}`.
    #[arg(long)]
    pub json: bool,
    /// Cosine threshold of the semantic rule, in (0, 1] with at most three decimals
    /// (default: the `semantic` mode's).
    #[arg(long)]
    pub threshold: Option<String>,
    /// Where the built-in models are (default: the per-user data dir, or $BYZVOTE_MODELS_DIR).
    #[arg(long)]
    pub models_dir: Option<PathBuf>,
}

pub fn run(args: SimilarityArgs) -> anyhow::Result<ExitCode> {
    let config = SemanticConfig::from_param(args.threshold.as_deref())?;
    let dir = models_dir(args.models_dir.as_deref())?;
    let embedder = MiniLm::load(&dir)?;
    let mut vectors = embedder.embed(&[&args.a, &args.b])?.into_iter();
    let (Some(va), Some(vb)) = (vectors.next(), vectors.next()) else {
        anyhow::bail!("the embedder returned fewer than two vectors");
    };
    let j = judge(&config, &Answer::new(args.a, va), &Answer::new(args.b, vb));
    if args.json {
        // Written by hand to keep the documented key order (serde_json's map sorts keys).
        println!(
            "{{\"cosine\": {}, \"agree\": {}, \"reason\": {}}}",
            serde_json::to_string(&j.cosine)?,
            j.agree,
            serde_json::to_string(&j.reason.to_string())?
        );
    } else {
        println!("cosine  {:.4}", j.cosine);
        println!(
            "verdict {} under {config}",
            if j.agree { "agree" } else { "disagree" }
        );
        println!("reason  {}", j.reason);
    }
    Ok(ExitCode::SUCCESS)
}
