//! `byzvote audit verify`.

use anyhow::Context as _;
use byzvote_node::protocol::audit::verify_file;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check a node's audit log: the hash chain and every certificate in it.
    Verify(VerifyArgs),
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

pub fn run(cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify(args) = cmd;
    let (file, dir) = if args.data.is_dir() {
        (args.data.join("audit.jsonl"), args.data.clone())
    } else {
        (
            args.data.clone(),
            args.data.parent().map(PathBuf::from).unwrap_or_default(),
        )
    };
    let key = match &args.group_key {
        Some(hex) => byzvote_dkg::threshold::key_from_hex(hex).context("--group-key")?,
        None => *byzvote_dkg::DkgOutput::load(&dir.join("dkg.key"))
            .context("no --group-key given and no readable dkg.key next to the log")?
            .group_public_key(),
    };
    match verify_file(&file, &key) {
        Ok(s) => {
            println!(
                "audit log OK: {} entries ({} blocks, {} certificates), chain intact, every certificate verifies",
                s.entries, s.blocks, s.certificates
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("audit log INVALID ({}): {e}", file.display());
            Ok(ExitCode::FAILURE)
        }
    }
}
