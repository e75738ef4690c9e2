//! `byzvote aggregate`.

use byzvote_aggregate::{Format, Options, Rule, aggregate_input};
use clap::Args;
use std::io::Read as _;
use std::process::ExitCode;

#[derive(Args)]
pub struct AggregateArgs {
    /// mean | median | trimmed-mean | krum | multi-krum | bulyan | geometric-median | centered-clipping | cgc
    #[arg(long)]
    pub rule: Rule,
    /// How many inputs may be adversarial.
    #[arg(long)]
    pub f: usize,
    /// Multi-Krum: how many vectors to average.
    #[arg(long)]
    pub m: Option<usize>,
    /// Input format on stdin: a JSON array of arrays, or CSV rows.
    #[arg(long, default_value = "json")]
    pub format: String,
}

pub fn run(args: AggregateArgs) -> anyhow::Result<ExitCode> {
    let format = match args.format.as_str() {
        "json" => Format::Json,
        "csv" => Format::Csv,
        other => anyhow::bail!("unknown --format `{other}`: use json or csv"),
    };
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let options = Options {
        m: args.m,
        ..Options::default()
    };
    let report = aggregate_input(&input, format, args.rule, args.f, &options)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(ExitCode::SUCCESS)
}
