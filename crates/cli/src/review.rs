//! `byzvote review keygen|list|show|approve|reject`: the human reviewer's side of DESIGN §6.
//!
//! A reviewer holds an ed25519 key (`keygen`); its public key goes into `[review] reviewers` in
//! each node's `node.toml`. Verdicts are signed locally and sent to the node that holds the
//! answer; the node checks the signature and keeps it in its review log.

use crate::node_api::NodeApi;
use anyhow::{Context as _, bail};
use byzvote_api::review::{Verdict, verdict_message};
use byzvote_core::namespace::BYZVOTE_REVIEW;
use clap::{Args, Subcommand};
use commonware_codec::{DecodeExt as _, Encode as _};
use commonware_cryptography::{Signer as _, ed25519};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ReviewCommand {
    /// Create a reviewer key; prints the public key to list in `[review] reviewers`.
    Keygen {
        /// Where to write the secret key (created 0600; never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
    /// List the answers a node holds for review (ask the node that served the requests).
    List(NodeApi),
    /// Show one held answer in full.
    Show {
        /// The vote id.
        id: String,
        #[command(flatten)]
        endpoint: NodeApi,
    },
    /// Release a held answer, signed with your reviewer key.
    Approve(VerdictArgs),
    /// Refuse to release a held answer, signed with your reviewer key.
    Reject(VerdictArgs),
}

#[derive(Args)]
pub struct VerdictArgs {
    /// The vote id.
    pub id: String,
    /// Your reviewer key (from `byzvote review keygen`).
    #[arg(long)]
    pub key: PathBuf,
    /// Why (kept in the log and shown to the client).
    #[arg(long, default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub endpoint: NodeApi,
}

fn read_key(path: &PathBuf) -> anyhow::Result<ed25519::PrivateKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the reviewer key {}", path.display()))?;
    let bytes =
        hex::decode(text.trim()).with_context(|| format!("{} is not a hex key", path.display()))?;
    ed25519::PrivateKey::decode(bytes::Bytes::from(bytes))
        .map_err(|_| anyhow::anyhow!("{} is not an ed25519 key", path.display()))
}

async fn call(
    e: &NodeApi,
    method: reqwest::Method,
    path: &str,
    body: Option<String>,
) -> anyhow::Result<serde_json::Value> {
    let url = format!("{}{path}", e.url());
    let mut req = reqwest::Client::new().request(method, &url);
    if let Some(k) = &e.api_key {
        req = req.bearer_auth(k);
    }
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b);
    }
    let resp = req
        .send()
        .await
        .with_context(|| format!("cannot reach {url}; is the node running?"))?;
    let status = resp.status();
    let text = resp.text().await?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{url} answered {status}: {text}"))?;
    if !status.is_success() {
        bail!(
            "{url} answered {status}: {}",
            json["error"]["message"].as_str().unwrap_or(&text)
        );
    }
    Ok(json)
}

pub fn run(cmd: ReviewCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cmd {
            ReviewCommand::Keygen { out } => {
                let key = byzvote_node::service::init::generate_key()?;
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts
                    .open(&out)
                    .with_context(|| format!("creating {} (it must not exist)", out.display()))?;
                std::io::Write::write_all(&mut f, hex::encode(key.encode()).as_bytes())?;
                eprintln!(
                    "wrote {} (keep it secret). Add this public key to `[review] reviewers` in \
                     every node.toml, then restart the nodes:",
                    out.display()
                );
                println!("{}", hex::encode(key.public_key().encode()));
            }
            ReviewCommand::List(e) => {
                let held = call(&e, reqwest::Method::GET, "/v1/reviews", None).await?;
                let items = held.as_array().cloned().unwrap_or_default();
                if items.is_empty() {
                    println!("nothing held for review");
                }
                for h in items {
                    let r = &h["response"];
                    println!(
                        "{}  tier {}  {}  answer {}  ({})",
                        r["id"].as_str().unwrap_or(""),
                        r["tier"],
                        r["outcome"].as_str().unwrap_or(""),
                        r["answer"],
                        h["reason"].as_str().unwrap_or("")
                    );
                }
            }
            ReviewCommand::Show { id, endpoint } => {
                let held = call(
                    &endpoint,
                    reqwest::Method::GET,
                    &format!("/v1/reviews/{id}"),
                    None,
                )
                .await?;
                println!("{}", serde_json::to_string_pretty(&held)?);
            }
            ReviewCommand::Approve(a) => verdict(a, true).await?,
            ReviewCommand::Reject(a) => verdict(a, false).await?,
        }
        Ok(ExitCode::SUCCESS)
    })
}

async fn verdict(a: VerdictArgs, approve: bool) -> anyhow::Result<()> {
    let key = read_key(&a.key)?;
    let id = a.id.to_ascii_lowercase();
    let signature = key.sign(BYZVOTE_REVIEW, &verdict_message(&id, approve, &a.note));
    let body = serde_json::to_string(&Verdict {
        approve,
        note: a.note,
        reviewer: hex::encode(key.public_key().encode()),
        signature: hex::encode(signature.encode()),
    })?;
    let after = call(
        &a.endpoint,
        reqwest::Method::POST,
        &format!("/v1/reviews/{id}"),
        Some(body),
    )
    .await?;
    println!(
        "{} {id}: status {}",
        if approve { "approved" } else { "rejected" },
        after["status"].as_str().unwrap_or("?")
    );
    Ok(())
}
