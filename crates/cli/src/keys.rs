//! `byzvote keys create|list|revoke`: client API keys, stored hashed in `api-keys.json` next to
//! the nodes' configs. Nodes pick up changes at their next request; no restart.

use anyhow::{Context as _, bail};
use byzvote_api::keys::{FILE, KeyEntry, KeyFile, PREFIX, hash};
use clap::{Args, Subcommand};
use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a key; prints it once (only its SHA-256 is stored).
    Create(CreateArgs),
    /// List the keys (names and limits, never the keys).
    List(FileArgs),
    /// Revoke a key by name.
    Revoke(RevokeArgs),
}

#[derive(Args)]
pub struct FileArgs {
    /// The keys file: `api-keys.json` in the directory of the nodes' `node.toml` (the
    /// `api_keys` setting). Default: the cluster of `byzvote up`.
    #[arg(long)]
    pub file: Option<PathBuf>,
}

#[derive(Args)]
pub struct CreateArgs {
    /// Who the key is for (unique).
    #[arg(long)]
    pub name: String,
    /// Most requests per minute per node (default: unlimited).
    #[arg(long)]
    pub requests_per_minute: Option<u32>,
    /// Most US dollars of model cost per node since it started (default: unlimited).
    #[arg(long)]
    pub budget_usd: Option<f64>,
    #[command(flatten)]
    pub file: FileArgs,
}

#[derive(Args)]
pub struct RevokeArgs {
    /// The key's name.
    pub name: String,
    #[command(flatten)]
    pub file: FileArgs,
}

fn path(args: &FileArgs) -> anyhow::Result<PathBuf> {
    match &args.file {
        Some(f) => Ok(f.clone()),
        None => Ok(dirs::data_dir()
            .context("no per-user data dir; pass --file")?
            .join("byzvote/cluster")
            .join(FILE)),
    }
}

fn load(path: &std::path::Path) -> anyhow::Result<KeyFile> {
    KeyFile::load(path).map_err(anyhow::Error::msg)
}

pub fn run(cmd: KeysCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        KeysCommand::Create(a) => {
            let path = path(&a.file)?;
            if let Some(dir) = path.parent()
                && !dir.as_os_str().is_empty()
                && !dir.is_dir()
            {
                bail!(
                    "{} does not exist; run `byzvote up` or `byzvote init` first, or pass --file",
                    dir.display()
                );
            }
            if a.budget_usd.is_some_and(|b| !(b >= 0.0 && b.is_finite())) {
                bail!("--budget-usd must be a non-negative number of dollars");
            }
            if a.requests_per_minute == Some(0) {
                bail!("--requests-per-minute must be at least 1 (leave it out for no limit)");
            }
            let mut file = load(&path)?;
            if a.name.trim().is_empty() {
                bail!("--name must not be empty");
            }
            if file.keys.iter().any(|k| k.name == a.name) {
                bail!(
                    "a key named `{}` exists; revoke it first or choose another name",
                    a.name
                );
            }
            let mut secret = [0u8; 32];
            std::fs::File::open("/dev/urandom")
                .and_then(|mut f| f.read_exact(&mut secret))
                .context("reading /dev/urandom")?;
            let key = format!("{PREFIX}{}", hex::encode(secret));
            file.keys.push(KeyEntry {
                name: a.name.clone(),
                sha256: hash(&key),
                requests_per_minute: a.requests_per_minute,
                budget_usd: a.budget_usd,
            });
            file.save(&path)
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "created key `{}` in {} (shown once; only its hash is stored).\n\
                 Use it as `Authorization: Bearer KEY`, or OPENAI_API_KEY for the openai client:",
                a.name,
                path.display()
            );
            println!("{key}");
        }
        KeysCommand::List(a) => {
            let path = path(&a)?;
            let file = load(&path)?;
            if file.keys.is_empty() {
                println!("no keys in {}: the API is open", path.display());
            }
            for k in &file.keys {
                println!(
                    "{:<20} sha256 {}…  requests/min {}  budget {}",
                    k.name,
                    &k.sha256[..12.min(k.sha256.len())],
                    k.requests_per_minute
                        .map_or("unlimited".into(), |r| r.to_string()),
                    k.budget_usd.map_or("unlimited".into(), |b| format!("${b}")),
                );
            }
        }
        KeysCommand::Revoke(a) => {
            let path = path(&a.file)?;
            let mut file = load(&path)?;
            let before = file.keys.len();
            file.keys.retain(|k| k.name != a.name);
            if file.keys.len() == before {
                bail!(
                    "no key named `{}` in {} (`byzvote keys list` shows them)",
                    a.name,
                    path.display()
                );
            }
            file.save(&path)
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "revoked `{}`; nodes refuse it from their next request",
                a.name
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
