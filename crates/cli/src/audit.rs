//! `byzvote audit verify | show | list`: a node's audit log, offline.

use anyhow::Context as _;
use byzvote_node::protocol::{
    audit::verify_file,
    audit_show::{self, Keys, render},
};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check a node's audit log: the hash chain, every certificate and every quick-tier
    /// (1-2) decision's signatures in it.
    Verify(VerifyArgs),
    /// Print one vote's full story: request, commits, reveals, evidence, decision, certificate.
    Show(ShowArgs),
    /// List the requests in a node's audit log, with their decisions.
    List(ListArgs),
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The node's data directory (holds `audit.jsonl`), or the audit file itself.
    #[arg(long)]
    pub data: PathBuf,
    /// The group public key (hex); taken from the node's `dkg.key` when omitted.
    #[arg(long)]
    pub group_key: Option<String>,
}

#[derive(Args)]
pub struct ShowArgs {
    /// The request id (hex, as printed by `byzvote ask`), or a unique prefix of 8+ characters.
    pub request_id: String,
    /// The node's data directory (holds `audit.jsonl` and `dkg.key`), or the audit file itself.
    #[arg(long)]
    pub data: PathBuf,
    /// Print the story as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ListArgs {
    /// The node's data directory (holds `audit.jsonl`), or the audit file itself.
    #[arg(long)]
    pub data: PathBuf,
    /// Print the list as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCommand::Verify(args) => verify(args),
        AuditCommand::Show(args) => show(args),
        AuditCommand::List(args) => list(args),
    }
}

/// The audit file and the directory that holds `dkg.key`, from `--data`.
fn locate(data: &Path) -> (PathBuf, PathBuf) {
    if data.is_dir() {
        (data.join("audit.jsonl"), data.to_path_buf())
    } else {
        (
            data.to_path_buf(),
            data.parent().map(PathBuf::from).unwrap_or_default(),
        )
    }
}

fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let (file, dir) = locate(&args.data);
    let dkg = byzvote_dkg::DkgOutput::load(&dir.join("dkg.key"));
    let key = match (&args.group_key, &dkg) {
        (Some(hex), _) => byzvote_dkg::threshold::key_from_hex(hex).context("--group-key")?,
        (None, Ok(dkg)) => *dkg.group_public_key(),
        (None, Err(e)) => anyhow::bail!(
            "no --group-key given and no readable dkg.key next to the log ({e}); pass the \
             node's data directory or --group-key"
        ),
    };
    // Quick-tier decisions are checked under the members' identity keys (from dkg.key).
    let participants = dkg.map(|d| d.participants().to_vec()).unwrap_or_default();
    match verify_file(&file, &key, &participants) {
        Ok(s) => {
            println!(
                "audit log OK: {} entries ({} blocks, {} certificates, {} quick decisions), chain intact, every signature verifies",
                s.entries, s.blocks, s.certificates, s.quick
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("audit log INVALID ({}): {e}", file.display());
            Ok(ExitCode::FAILURE)
        }
    }
}

fn exists(file: &Path) -> anyhow::Result<()> {
    if !file.exists() {
        anyhow::bail!(
            "no audit log at {}; pass the node's data directory (the `data` of its node.toml, \
             which holds audit.jsonl) or the audit file with --data",
            file.display()
        );
    }
    Ok(())
}

fn show(args: ShowArgs) -> anyhow::Result<ExitCode> {
    let (file, dir) = locate(&args.data);
    exists(&file)?;
    // Signatures are checked when the node's key file is there; the story says when they are not.
    let keys = match byzvote_dkg::DkgOutput::load(&dir.join("dkg.key")) {
        Ok(dkg) => Keys {
            participants: dkg.participants().to_vec(),
            group_key: Some(*dkg.group_public_key()),
        },
        Err(_) => Keys::default(),
    };
    let story = audit_show::story_file(&file, &args.request_id, &keys)
        .with_context(|| file.display().to_string())?;
    if args.json {
        emit(&(serde_json::to_string_pretty(&story)? + "\n"))
    } else {
        emit(&render::story(&story))
    }
}

fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let (file, _) = locate(&args.data);
    exists(&file)?;
    let items = audit_show::list_file(&file)
        .with_context(|| format!("cannot read the audit log {}", file.display()))?;
    if args.json {
        emit(&(serde_json::to_string_pretty(&items)? + "\n"))
    } else {
        emit(&render::list(&items))
    }
}

fn emit(text: &str) -> anyhow::Result<ExitCode> {
    crate::print_stdout(text)?;
    Ok(ExitCode::SUCCESS)
}
