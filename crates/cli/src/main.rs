//! `byzvote`: the command line. Thin: parse, validate, call the crates, print.

mod aggregate;
mod ask;
mod audit;
mod bench;
mod bench_cluster;
mod bench_tiers;
mod bench_timings;
mod cluster;
mod keys;
mod models;
mod node_api;
mod review;
mod similarity;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// A node allocates and frees small buffers for every message, transaction and log entry it
/// handles; under load glibc's allocator took a fifth of a node's CPU time (`_int_malloc`,
/// `malloc_consolidate`, `unlink_chunk`, aligned I/O buffers). With mimalloc, `bench cluster`
/// decides 1.12–1.16× as many votes a second at c=512 (same minutes), for about 18% more
/// resident memory under load (the plateau of four nodes: 1.92 GB against 1.64 GB).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Byzantine-fault-tolerant voting among AI models.
///
/// Several diverse models answer the same request; each commits to its answer before seeing
/// the others', then reveals; a BFT consensus among the coordinator nodes agrees on one
/// answer, certified by one BLS threshold signature that anyone can verify with the
/// cluster's group public key.
///
/// Start here: `byzvote up` (a local cluster of 4), then in another terminal
/// `byzvote ask "What is 2+2?" --mode number:0`.
#[derive(Parser)]
#[command(name = "byzvote", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a local cluster of 4 coordinator processes on loopback and serve until Ctrl-C.
    Up(cluster::UpArgs),
    /// Create identity keys and one node config per node (for a real deployment).
    Init(cluster::InitArgs),
    /// Run one coordinator node from its config (production).
    Node(cluster::NodeArgs),
    /// Ask the cluster a question and print the agreed answer, the votes and the certificate.
    Ask(ask::AskArgs),
    /// Verify a certificate (or a saved `ask --json` response) offline.
    Verify(ask::VerifyArgs),
    /// Fetch or list the built-in offline models.
    #[command(subcommand)]
    Models(models::ModelsCommand),
    /// Robust aggregation of numeric vectors read from stdin.
    Aggregate(aggregate::AggregateArgs),
    /// Check a node's audit log offline.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Client API keys: create, list, revoke (stored hashed; nodes reload them live).
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Human review of held answers: keygen, list, show, approve, reject.
    #[command(subcommand)]
    Review(review::ReviewCommand),
    /// Deterministic simulation sweep: Byzantine behaviours, invariants checked per seed.
    Sim(byzvote_sim::cli::SimArgs),
    /// Reproducible benchmarks against a running cluster.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Cosine of two texts under the built-in embedder, and the semantic mode's verdict.
    Similarity(similarity::SimilarityArgs),
}

/// Writes `text` to stdout; a closed pipe (`byzvote ask … | head`) ends quietly, not in a
/// panic as `println!` would.
pub fn print_stdout(text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BYZVOTE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Up(args) => cluster::up(args),
        Command::Init(args) => cluster::init(args),
        Command::Node(args) => cluster::node(args),
        Command::Ask(args) => ask::ask(args),
        Command::Verify(args) => ask::verify(args),
        Command::Models(cmd) => models::run(cmd),
        Command::Aggregate(args) => aggregate::run(args),
        Command::Bench(cmd) => bench::run(cmd),
        Command::Audit(cmd) => audit::run(cmd),
        Command::Keys(cmd) => keys::run(cmd),
        Command::Review(cmd) => review::run(cmd),
        Command::Sim(args) => byzvote_sim::cli::run(args),
        Command::Similarity(args) => similarity::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", describe(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, skipping a cause whose text the message before it already
/// includes (library errors often embed their source in their own message).
fn describe(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
    }
    out
}
