//! `byzvote node`: one coordinator on the tokio runtime, over real sockets.
//!
//! Start-up: read the config and identity key; open the p2p transport (authenticated,
//! encrypted, peers known by address); on first start run the DKG with the other nodes
//! and keep the share in `data/dkg.key` (0600); start consensus and the protocol; serve
//! the HTTP API. A line `byzvote-node ready http=… group_key=…` on stdout says it is up.

use super::config::NodeFile;
use super::gateway::NodeGateway;
use super::init::read_key;
use crate::chain::engine::Timeouts as ChainTimeouts;
use crate::chain::types::PublicKey;
use crate::node::{self, Channels, DEFAULT_PACING, channel};
use byzvote_dkg::{AllDealers, CeremonyConfig, DkgOutput};
use byzvote_models::ModelBackend;
use commonware_codec::DecodeExt as _;
use commonware_cryptography::{ChaCha20Poly1305, Signer as _};
use commonware_p2p::{Address, AddressableManager as _, authenticated::lookup};
use commonware_runtime::{
    Metrics as _, Runner as _, Spawner as _, Supervisor as _, tokio as cw_tokio,
};
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use commonware_utils::{NZUsize, ordered::Map};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tracing::{error, info, warn};

/// Largest p2p message (a block of many transactions).
const MAX_MESSAGE: u32 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Init(#[from] super::init::InitError),
    #[error("peer `{0}` has an invalid public key")]
    BadPeer(String),
    #[error("client API keys: {0}; fix or remove the file (`byzvote keys list` shows it)")]
    Keys(String),
    #[error("the DKG failed: {0}")]
    Dkg(String),
    #[error("cannot start the node: {0}")]
    Node(String),
    #[error("cannot serve HTTP on {addr}: {source}")]
    Http {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// The HTTP API's node-local parts, opened before the runtime starts (so a bad file fails fast).
struct Api {
    keys: Arc<byzvote_api::keys::KeyStore>,
    privacy: Option<Arc<byzvote_core::privacy::Redactor>>,
    review: Arc<byzvote_api::review::ReviewQueue>,
    verifier: Option<Arc<byzvote_api::verifier::Verifier>>,
}

/// Runs the node until Ctrl-C or SIGTERM, without a sentence embedder (see [`run_with`]).
pub fn run(file: NodeFile, model: Arc<dyn ModelBackend>) -> Result<(), RunError> {
    run_with(file, model, None)
}

/// Runs the node until Ctrl-C or SIGTERM. `embedder` decides and re-checks `semantic` votes;
/// without one the node accepts peers' similarity evidence unchecked and proposes none
/// (`crate::protocol::similarity`), which it says at start.
pub fn run_with(
    file: NodeFile,
    model: Arc<dyn ModelBackend>,
    embedder: Option<Arc<dyn byzvote_core::Embedder>>,
) -> Result<(), RunError> {
    if embedder.is_none() {
        warn!(
            "no sentence embedder: this node cannot re-check the similarities of semantic votes and accepts them unchecked (install the built-in models with `byzvote models fetch`)"
        );
    }
    let signer = read_key(&file.key_file)?;
    let keys = byzvote_api::keys::KeyStore::open(file.api_keys.clone()).map_err(RunError::Keys)?;
    // Validated at load; compiled here once for the requests and once for this model's outputs.
    let redactor = byzvote_core::privacy::Redactor::new(&file.privacy)
        .map_err(|e| RunError::Node(format!("[privacy]: {e}")))?;
    let model = super::sanitise::Sanitised::wrap(model, redactor.clone());
    let privacy = (!redactor.is_empty()).then(|| Arc::new(redactor));
    std::fs::create_dir_all(&file.data)
        .map_err(|e| RunError::Node(format!("{}: {e}", file.data.display())))?;
    let verifier = if file.verifier.is_set() {
        let v = byzvote_api::verifier::Verifier::open(
            file.verifier.clone(),
            &file.data.join("verification.jsonl"),
        )
        .map_err(|e| RunError::Node(format!("[verifier]: {e}")))?;
        Some(Arc::new(v))
    } else {
        None
    };
    let review = Arc::new(
        byzvote_api::review::ReviewQueue::open(
            &file.data.join("review.jsonl"),
            file.review.clone(),
        )
        .map_err(|e| RunError::Node(format!("[review]: {e}")))?,
    );
    let mut peers = Vec::new();
    for p in &file.peers {
        let bytes = hex::decode(&p.public_key).map_err(|_| RunError::BadPeer(p.name.clone()))?;
        let pk = PublicKey::decode(bytes::Bytes::from(bytes))
            .map_err(|_| RunError::BadPeer(p.name.clone()))?;
        peers.push((pk, p.address));
    }
    let cfg = cw_tokio::Config::new().with_storage_directory(file.data.join("storage"));
    let runner = cw_tokio::Runner::new(cfg);
    runner.start(|context| async move {
        let result = serve(
            context,
            file,
            signer,
            peers,
            model,
            embedder,
            Api {
                keys,
                privacy,
                review,
                verifier,
            },
        )
        .await;
        if let Err(e) = &result {
            error!(error = %e, "node stopped");
        }
        result
    })
}

async fn serve(
    context: cw_tokio::Context,
    file: NodeFile,
    signer: crate::chain::types::PrivateKey,
    peers: Vec<(PublicKey, std::net::SocketAddr)>,
    model: Arc<dyn ModelBackend>,
    embedder: Option<Arc<dyn byzvote_core::Embedder>>,
    api: Api,
) -> Result<(), RunError> {
    let namespace = file.namespace.as_bytes().to_vec();
    let handshake = Cups::<_, ChaCha20Poly1305>::new(
        Sake {
            signer: signer.clone(),
            synchrony_bound: Duration::from_secs(5),
            max_handshake_age: Duration::from_secs(10),
            version: sake::Version::V1,
        },
        cups::Version::V1,
    );
    let p2p_cfg = lookup::Config::local(
        handshake,
        &[namespace.as_slice(), b"_P2P"].concat(),
        file.p2p,
        NZUsize!(peers.len() + 1),
        MAX_MESSAGE,
        NZUsize!(4096),
    );
    let (mut network, mut oracle) = lookup::Network::new(context.child("p2p"), p2p_cfg);
    let map: Map<PublicKey, Address> = peers
        .iter()
        .map(|(pk, addr)| (pk.clone(), Address::Symmetric(*addr)))
        .collect::<Vec<_>>()
        .try_into()
        .map_err(|_| RunError::Node("duplicate peer keys".into()))?;
    oracle.track(0, map);
    let mut register = |ch| network.register(ch, channel::quota(ch, channel::message_quota()));
    let channels = Channels::from_ordered(channel::NODE.map(&mut register))
        .ok_or_else(|| RunError::Node("a node channel was not registered".into()))?;
    let (dkg_sender, dkg_receiver) = register(channel::DKG);
    let (quick_sender, quick_receiver) = register(channel::QUICK);
    network.start();

    let mut participants: Vec<PublicKey> = peers.iter().map(|(pk, _)| pk.clone()).collect();
    participants.sort();
    let dkg = group_key(
        &context,
        &file,
        &signer,
        &participants,
        &peers,
        &namespace,
        dkg_sender,
        dkg_receiver,
    )
    .await?;
    let dkg = Arc::new(dkg);

    let timeouts = byzvote_core::Timeouts {
        commit: file.timeouts.commit,
        reveal: file.timeouts.reveal,
    };
    let vendors = file
        .peers
        .iter()
        .zip(&peers)
        .map(|(p, (pk, _))| (pk.clone(), p.vendor.clone()))
        .collect();
    let quick_signer = signer.clone();
    let quick_participants = participants.clone();
    let quick_model = model.clone();
    let cfg = node::Config {
        signer,
        participants,
        namespace: [namespace.as_slice(), b"_CONSENSUS"].concat(),
        dir: Some(file.data.clone()),
        partition: "byzvote".into(),
        model,
        dkg: dkg.clone(),
        vote_timeouts: timeouts,
        chain_timeouts: ChainTimeouts::default(),
        embedder,
        pacing: DEFAULT_PACING,
        retain: crate::protocol::state::RETAIN,
        vendors,
        fault: None,
    };
    let handle = node::start(
        context.child("node"),
        cfg,
        oracle.clone(),
        oracle.clone(),
        channels,
    )
    .await
    .map_err(|e| RunError::Node(e.to_string()))?;
    let deadline = timeouts.commit + timeouts.reveal + Duration::from_secs(30);
    let quick = crate::quick::start(
        context.child("quick"),
        crate::quick::Config {
            signer: quick_signer,
            participants: Arc::new(quick_participants),
            model: quick_model,
            timeout: timeouts.commit,
            max_peer_calls: 64,
            peer_limit: file.quick,
            audit: handle.audit.clone(),
        },
        quick_sender,
        quick_receiver,
    );
    if let Some(q) = &quick {
        // Quick decisions are not in the chain's state: serve this node's logged ones again.
        q.restore(handle.take_recovered_quick());
    }
    let runtime = context.child("metrics");
    let gateway = Arc::new(
        NodeGateway::new(handle, quick, &file.name, &file.peers, deadline)
            .with_metrics(move || runtime.encode()),
    );
    let Api {
        keys,
        privacy,
        review,
        verifier,
    } = api;
    keys.set_ledger(gateway.clone());
    if keys.is_empty() {
        warn!(
            file = %file.api_keys.display(),
            "no client API keys: the HTTP API is open to anyone who can reach it (create keys with `byzvote keys create`)"
        );
    }
    let router = byzvote_api::router(
        gateway,
        byzvote_api::ServerConfig {
            vote_timeout: deadline + Duration::from_secs(5),
            keys: Some(keys),
            privacy,
            review: Some(review),
            verifier,
            router: byzvote_api::RouterConfig {
                confidence_floor: file.router.confidence_floor,
                ..Default::default()
            },
            ..Default::default()
        },
    );
    let listener = tokio::net::TcpListener::bind(file.http)
        .await
        .map_err(|source| RunError::Http {
            addr: file.http,
            source,
        })?;
    let http = listener.local_addr().map_err(|source| RunError::Http {
        addr: file.http,
        source,
    })?;
    println!(
        "byzvote-node ready name={} http=http://{http} group_key={}",
        file.name,
        byzvote_dkg::threshold::key_to_hex(dkg.group_public_key())
    );
    let server = context.child("http").spawn(move |_| async move {
        let _ = byzvote_api::serve(listener, router, shutdown_signal()).await;
    });
    let _ = server.await;
    info!("shutting down");
    Ok(())
}

/// This node's share of the group key: loaded, or on first start made with the other nodes
/// (the DKG, resumed from `dkg-progress` after a restart). Once it has one, the node answers
/// a peer still in the DKG round with the agreed logs (kept in `dkg-logs`), for as long as it
/// runs.
#[allow(clippy::too_many_arguments)]
async fn group_key<S, R>(
    context: &cw_tokio::Context,
    file: &NodeFile,
    signer: &crate::chain::types::PrivateKey,
    participants: &[PublicKey],
    peers: &[(PublicKey, std::net::SocketAddr)],
    namespace: &[u8],
    mut sender: S,
    mut receiver: R,
) -> Result<DkgOutput, RunError>
where
    S: commonware_p2p::Sender<PublicKey = PublicKey>,
    R: commonware_p2p::Receiver<PublicKey = PublicKey>,
{
    let dkg_path = file.data.join("dkg.key");
    // What a node restarted during its first-start DKG needs to rejoin the same round.
    let progress_path = file.data.join("dkg-progress");
    // The agreed logs (public), kept to answer a peer that comes back to the round late.
    let logs_path = file.data.join("dkg-logs");
    let dkg_config = CeremonyConfig {
        signer: signer.clone(),
        participants: participants.to_vec(),
        namespace: [namespace, b"_DKG"].concat(),
        round: 0,
        // Operators on other machines may take a while to start theirs: the node says whom it
        // waits for (after 5 s, then every 15 s), and one started again resumes the round.
        timeouts: byzvote_dkg::Timeouts {
            total: Duration::from_secs(3600),
            ..Default::default()
        },
        progress: Some(progress_path.clone()),
        labels: file
            .peers
            .iter()
            .zip(peers)
            .map(|(p, (pk, addr))| (pk.clone(), format!("{} at {addr}", p.name)))
            .collect(),
    };
    let n = NonZeroU32::new(participants.len() as u32)
        .ok_or_else(|| RunError::Node("no participants".into()))?;
    let (dkg, logs) = if dkg_path.exists() {
        let dkg = DkgOutput::load(&dkg_path).map_err(|e| RunError::Dkg(e.to_string()))?;
        // Clusters made before the logs were kept have none: they answer nobody. Nor does a
        // node whose file is damaged: answering is a courtesy to late peers, not its service.
        let logs = match byzvote_dkg::load_logs(&logs_path, n) {
            Ok(logs) => logs
                .filter(|(round, _)| *round == dkg_config.round)
                .map(|(_, logs)| logs),
            Err(e) => {
                warn!(%e, "not answering late DKG peers");
                None
            }
        };
        (dkg, logs)
    } else {
        info!("running the DKG with the other nodes (first start)");
        let started = std::time::Instant::now();
        let agreement = AllDealers::new(signer.public_key(), participants.to_vec());
        let report = byzvote_dkg::run(
            context.child("dkg"),
            dkg_config.clone(),
            agreement,
            &mut sender,
            &mut receiver,
        )
        .await
        .map_err(|e| match e {
            byzvote_dkg::CeremonyError::Agreement(_) | byzvote_dkg::CeremonyError::Failed(_) => {
                RunError::Dkg(format!(
                    "{e} (nodes always run round 0: to start the DKG over, stop every node, \
                     delete `dkg-progress` in each one's data directory, and start them all \
                     again)"
                ))
            }
            e => RunError::Dkg(e.to_string()),
        })?;
        report
            .output
            .save(&dkg_path)
            .map_err(|e| RunError::Dkg(e.to_string()))?;
        byzvote_dkg::save_logs(&logs_path, dkg_config.round, &report.logs)
            .map_err(|e| RunError::Dkg(e.to_string()))?;
        // The key is saved: the round's progress is obsolete (and holds secrets).
        if let Err(e) = std::fs::remove_file(&progress_path) {
            tracing::warn!(path = %progress_path.display(), %e, "could not remove the DKG progress file");
        }
        info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "DKG done"
        );
        (report.output, Some(report.logs))
    };
    // A peer that crashed during the DKG and comes back after this node finished gets the
    // agreed logs from it (byzvote_dkg::answer), for as long as this node runs.
    if let Some(logs) = logs {
        context.child("dkg_answer").spawn(move |ctx| async move {
            if let Err(e) = byzvote_dkg::answer(ctx, &dkg_config, logs, sender, receiver).await {
                tracing::warn!(%e, "stopped answering DKG peers");
            }
        });
    }
    Ok(dkg)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
