//! The sweep without the `byzvote` binary: `cargo run --release -p byzvote-sim --example sim -- --seeds 10`.

use clap::Parser;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    sim: byzvote_sim::cli::SimArgs,
}

fn main() -> anyhow::Result<std::process::ExitCode> {
    byzvote_sim::cli::run(Args::parse().sim)
}
