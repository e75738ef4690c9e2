//! The ceremony driver: one DKG round over one p2p channel.
//!
//! Protocol (all participants are dealers and players; `f = (n-1)/3`, quorum `2f+1`):
//!
//! 1. Every dealer sends each player the commitment to a random polynomial of degree `2f` and
//!    the player's evaluation, over the encrypted authenticated channel, and resends every
//!    `resend` until acknowledged.
//! 2. A player checks the evaluation against the commitment and acknowledges with a signature
//!    (a dealing that fails is kept as [`Evidence::BadDealing`] and not acknowledged).
//! 3. A dealer ends its dealing when all `n` acknowledged, or `deal` after the first quorum
//!    did; it signs a log holding each ack, or the *revealed* share of each player that did
//!    not acknowledge, and submits it to the [`Agreement`].
//! 4. When the agreement yields the logs, every node checks them and finalizes with the
//!    library: the first `2f+1` usable logs in dealer order give the group key; a player
//!    whose dealing was bad takes its share from the dealer's reveal, and a log with too many
//!    reveals or an invalid one is skipped (`feldman_desmedt` rules).
//!
//! The driver uses the runtime's clock and randomness only, so it runs on the deterministic
//! runtime with `p2p::simulated` (tests) as on tokio with `p2p::authenticated::lookup`.
//!
//! # Wiring (production)
//!
//! Register one dedicated channel on the `lookup` network before `network.start()`, with
//! `max_message_size >= wire::max_message_size(n)` (701 bytes at n=4, 1136 at n=7, 2441 at
//! n=16) and a modest quota (each node sends O(n) messages per `resend`):
//!
//! ```text
//! let (tx, rx) = network.register(DKG_CHANNEL, Quota::per_second(NZU32!(100)));
//! let agreement = AllDealers::new(me.clone(), participants.clone());
//! let report = byzvote_dkg::run(context.child("dkg"), config, agreement, tx, rx).await?;
//! report.output.save(&data_dir.join("dkg.key"))?;   // before using the share
//! std::fs::remove_file(&progress)?;                  // config.progress, if set
//! ```
//!
//! On restart, `DkgOutput::load` the file and skip the ceremony. With
//! [`CeremonyConfig::progress`] set, a node restarted mid-ceremony resumes the same round
//! from that file (its dealing's seed, the dealings it acknowledged, the logs and
//! confirmations it took: see [`progress`]); remove the file once the key is saved. Without
//! it, a restart deals afresh and the round cannot finish: every node must rerun with
//! `round + 1`.

mod progress;
mod state;

pub use progress::{load_logs, save_logs};

use crate::{
    agreement::Agreement,
    config::CeremonyConfig,
    error::{CeremonyError, Evidence},
    output::DkgOutput,
    types::{FaultModel, Identity, SignedLog},
    wire::Message,
};
use commonware_codec::{Decode as _, Encode as _};
use commonware_cryptography::{
    bls12381::dkg::feldman_desmedt::{FinalizeError, Logs},
    transcript::{Transcript, Version},
};
use commonware_macros::select;
use commonware_p2p::{Receiver, Recipients, Sender};
use commonware_runtime::Clock;
use progress::{Progress, Resumed};
use rand_core::CryptoRng;
use state::{Outgoing, State};
use std::{collections::BTreeMap, num::NonZeroU32, time::Duration};

/// Namespace of the randomness a dealing is drawn from (see [`progress`]).
const DEALING_NOISE: &[u8] = b"_BYZVOTE_DKG_DEALING";
/// When a ceremony still waiting first says for whom, and how often after (at `warn`: an
/// operator starting the first node of a cluster must see why it does not serve yet).
const FIRST_REPORT: Duration = Duration::from_secs(5);
const REPORT_EVERY: Duration = Duration::from_secs(15);

#[cfg(test)]
pub(crate) use state::Byzantine;

/// A finished ceremony.
#[derive(Debug)]
pub struct CeremonyReport {
    /// The key material (persist it with [`DkgOutput::save`] before using it).
    pub output: DkgOutput,
    /// Misbehaviour seen on the way (the key is still good: see [`Evidence`]).
    pub evidence: Vec<Evidence>,
    /// Time from start until the key was computed (runtime clock; excludes lingering).
    pub elapsed: Duration,
    /// The agreed dealer logs (public), as the agreement gave them: what [`answer`] serves.
    pub logs: Vec<SignedLog>,
}

/// Runs one DKG round to completion on `sender`/`receiver` (one dedicated channel).
///
/// Returns the key material, or a typed error after `timeouts.total`. After success it keeps
/// answering peers for `timeouts.linger` before returning; hand the channel to [`answer`]
/// then, so that a peer that comes back later still finishes.
pub async fn run<E, S, R, A>(
    context: E,
    config: CeremonyConfig,
    agreement: A,
    sender: &mut S,
    receiver: &mut R,
) -> Result<CeremonyReport, CeremonyError>
where
    E: Clock + CryptoRng,
    S: Sender<PublicKey = Identity>,
    R: Receiver<PublicKey = Identity>,
    A: Agreement,
{
    run_inner(
        context,
        config,
        agreement,
        sender,
        receiver,
        #[cfg(test)]
        None,
    )
    .await
}

pub(crate) async fn run_inner<E, S, R, A>(
    mut context: E,
    config: CeremonyConfig,
    agreement: A,
    sender: &mut S,
    receiver: &mut R,
    #[cfg(test)] byzantine: Option<Byzantine>,
) -> Result<CeremonyReport, CeremonyError>
where
    E: Clock + CryptoRng,
    S: Sender<PublicKey = Identity>,
    R: Receiver<PublicKey = Identity>,
    A: Agreement,
{
    let (_, info) = config.validate()?;
    let timeouts = config.timeouts.clone();
    let n = NonZeroU32::new(config.participants.len() as u32)
        .ok_or_else(|| CeremonyError::Config("no participants".into()))?;
    let start = context.current();
    let deadline = start + timeouts.total;
    // This cluster's round: a progress file (and a dealing) is of one round only.
    let round_id: [u8; 32] = {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        h.update(DEALING_NOISE);
        h.update((config.namespace.len() as u64).to_be_bytes());
        h.update(&config.namespace);
        h.update(config.round.to_be_bytes());
        for p in &config.participants {
            h.update(p.encode());
        }
        h.finalize().into()
    };
    let (mut progress, resumed) = match &config.progress {
        Some(path) => Progress::open(path, n, &round_id)?,
        None => (Progress::memory(), Resumed::default()),
    };
    // The dealing is drawn from a persisted seed (and the round), so a restarted dealer deals
    // the same one.
    let seed = match resumed.seed {
        Some(seed) => seed,
        None => {
            let mut seed = [0u8; 32];
            context.fill_bytes(&mut seed);
            progress.seed(&seed, &round_id)?;
            seed
        }
    };
    let mut dealing_rng = {
        let mut t = Transcript::new(DEALING_NOISE, Version::V1);
        t.commit(&seed[..]).commit(&round_id[..]);
        t.noise(b"dealing")
    };
    let mut state = State::new(
        &mut dealing_rng,
        config.signer.clone(),
        config.participants.clone(),
        config.round,
        info,
        timeouts.deal,
        agreement,
        #[cfg(test)]
        byzantine,
    )?;
    if !resumed.heard.is_empty() {
        tracing::info!(
            records = resumed.heard.len(),
            "resuming the DKG round from its progress file"
        );
    }
    progress.replaying(true);
    for (from, msg) in resumed.heard {
        restore(&mut state, &mut progress, &from, msg).await?;
    }
    progress.replaying(false);
    let out = state.dealings(&mut context);
    send_all(sender, out);
    let mut next_tick = start + timeouts.resend;
    let mut next_report = start + FIRST_REPORT;

    let agreed = loop {
        // My log is due: persist it, then publish it (submit first so that the hook gossips
        // it at once).
        if state.dealing_done(context.current())
            && let Some(log) = state.finish_dealing()
        {
            let me = state.me.clone();
            progress.log(
                &me,
                &me,
                &Message::Log {
                    round: state.round,
                    log: Box::new(log.clone()),
                },
            )?;
            state.agreement.submit(log).await?;
        }
        let gossip = state.gossip(true);
        send_all(sender, gossip);
        let agreed = select! {
            agreed = state.agreement.agreed() => Some(agreed?),
            msg = receiver.recv() => {
                let (from, bytes) = msg.map_err(|e| CeremonyError::Network(e.to_string()))?;
                let out = handle(&mut state, &mut progress, &from, bytes, n, context.current())?;
                send_all(sender, out);
                None
            },
            _ = context.sleep_until(next_tick) => {
                let now = context.current();
                if now >= next_report {
                    next_report = now + REPORT_EVERY;
                    let waited = now.duration_since(start).unwrap_or_default();
                    report_waiting(&state, &config.labels, waited, n);
                }
                if now >= deadline {
                    let mut missing = state.unacked();
                    missing.extend(state.agreement.missing());
                    missing.sort();
                    missing.dedup();
                    return Err(CeremonyError::Timeout {
                        after: timeouts.total,
                        missing,
                    });
                }
                next_tick = now + timeouts.resend;
                let mut out = state.dealings(&mut context);
                out.extend(state.gossip(false));
                send_all(sender, out);
                None
            },
        };
        if let Some(agreed) = agreed {
            break agreed;
        }
    };

    // Finalize with exactly the agreed logs (each re-checked against this round).
    let mut logs = Logs::<_, _, FaultModel>::new(state.info.clone());
    for signed in agreed.iter().cloned() {
        match signed.check(&state.info) {
            Some((dealer, log)) => {
                logs.record(dealer, log);
            }
            None => tracing::debug!("agreed log with a bad signature skipped"),
        }
    }
    let player = state
        .player
        .take()
        .ok_or_else(|| CeremonyError::Config("player already finalized".into()))?;
    let strategy = commonware_parallel::Sequential;
    let (public, share) = player
        .finalize::<FaultModel>(&mut context, logs, &strategy)
        .map_err(|e| match e {
            FinalizeError::Error(e) => CeremonyError::Library(e),
            FinalizeError::Failure(f) => CeremonyError::from(f),
        })?;
    let output = DkgOutput::new(config.round, public, share)
        .map_err(|e| CeremonyError::Failed(e.to_string()))?;
    let elapsed = context
        .current()
        .duration_since(start)
        .unwrap_or(Duration::ZERO);
    let mut evidence = std::mem::take(&mut state.evidence);
    evidence.extend(state.agreement.take_evidence());
    tracing::info!(?elapsed, "DKG complete");

    linger(
        &context,
        &mut state,
        sender,
        receiver,
        n,
        timeouts.resend,
        timeouts.linger,
    )
    .await;
    Ok(CeremonyReport {
        output,
        evidence,
        elapsed,
        logs: agreed,
    })
}

/// After a ceremony: answers, until the channel closes, every peer still in the round with
/// the agreed `logs` (a [`CeremonyReport::logs`]) and their confirmation, at most once a
/// second per peer. A node that crashed mid-round and comes back after its peers finished
/// (and left their lingering) finds there what it needs to finish too (see [`progress`]).
/// Keep the logs (public, [`save_logs`]) with the key to answer after a restart as well.
///
/// A peer that answers too is recognised by the first log it sends of another dealer (a
/// ceremony only ever gossips its own: see [`crate::AllDealers`]) and is not answered, so two
/// finished nodes do not answer each other for ever. This node's own log goes last for that.
pub async fn answer<E, S, R>(
    context: E,
    config: &CeremonyConfig,
    mut logs: Vec<SignedLog>,
    mut sender: S,
    mut receiver: R,
) -> Result<(), CeremonyError>
where
    E: Clock,
    S: Sender<PublicKey = Identity>,
    R: Receiver<PublicKey = Identity>,
{
    let (_, info) = config.validate()?;
    let n = NonZeroU32::new(config.participants.len() as u32)
        .ok_or_else(|| CeremonyError::Config("no participants".into()))?;
    let round = config.round;
    let digest = crate::agreement::log_set_digest(&logs);
    let me = commonware_cryptography::Signer::public_key(&config.signer);
    let dealer = |log: &SignedLog| log.clone().check(&info).map(|(d, _)| d);
    logs.sort_by_key(|log| dealer(log).as_ref() == Some(&me));
    let mut out: Vec<Message> = logs
        .into_iter()
        .map(|log| Message::Log {
            round,
            log: Box::new(log),
        })
        .collect();
    out.push(Message::Confirm { round, digest });
    let mut answered: BTreeMap<Identity, std::time::SystemTime> = BTreeMap::new();
    let mut finished = std::collections::BTreeSet::new();
    while let Ok((from, bytes)) = receiver.recv().await {
        let Ok(msg) = Message::decode_cfg(bytes, &n) else {
            continue;
        };
        if msg.round() != round || finished.contains(&from) {
            continue;
        }
        if let Message::Log { log, .. } = &msg
            && dealer(log).is_some_and(|d| d != from)
        {
            finished.insert(from);
            continue;
        }
        let now = context.current();
        if answered
            .get(&from)
            .is_some_and(|at| now < *at + Duration::from_secs(1))
        {
            continue;
        }
        answered.insert(from.clone(), now);
        tracing::info!(peer = %from, "answering a DKG peer still in the round with the agreed logs");
        let to = out
            .iter()
            .map(|m| (Some(from.clone()), m.clone()))
            .collect();
        send_all(&mut sender, to);
    }
    Ok(())
}

/// Keeps gossiping and answering for a while so that slower peers can finish too.
async fn linger<E, S, R, A>(
    context: &E,
    state: &mut State<A>,
    sender: &mut S,
    receiver: &mut R,
    n: NonZeroU32,
    resend: Duration,
    linger: Duration,
) where
    E: Clock,
    S: Sender<PublicKey = Identity>,
    R: Receiver<PublicKey = Identity>,
    A: Agreement,
{
    // The key is made: what peers say now need not survive a restart.
    let mut progress = Progress::memory();
    let end = context.current() + linger;
    let mut next_tick = context.current();
    while context.current() < end {
        select! {
            msg = receiver.recv() => {
                let Ok((from, bytes)) = msg else { return };
                let now = context.current();
                let Ok(out) = handle(state, &mut progress, &from, bytes, n, now) else { return };
                send_all(sender, out);
            },
            _ = context.sleep_until(next_tick.min(end)) => {
                next_tick = context.current() + resend;
                let out = state.gossip(false);
                send_all(sender, out);
            },
        }
    }
}

/// Says whom the ceremony still waits for, at `warn`: an operator who started the first node
/// of a cluster must see why it does not serve yet, and which peers to check.
fn report_waiting<A: Agreement>(
    state: &State<A>,
    labels: &BTreeMap<Identity, String>,
    waited: Duration,
    n: NonZeroU32,
) {
    let mut missing = state.unacked();
    missing.extend(state.agreement.missing());
    missing.sort();
    missing.dedup();
    let message = waiting(&state.silent(), &missing, labels, n);
    tracing::warn!(waited_s = waited.as_secs(), "{message}");
}

/// What [`report_waiting`] says: the peers nothing came from yet (named by `labels`, else by
/// public key), or if none, those whose log or confirmation is missing.
fn waiting(
    silent: &[Identity],
    missing: &[Identity],
    labels: &BTreeMap<Identity, String>,
    n: NonZeroU32,
) -> String {
    let names = |ids: &[Identity]| {
        ids.iter()
            .map(|id| labels.get(id).cloned().unwrap_or_else(|| id.to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if silent.is_empty() {
        format!(
            "DKG still waiting for the logs or confirmations of {}",
            names(missing)
        )
    } else {
        format!(
            "DKG still waiting: nothing yet from {} of the {n} nodes: {} (each must be running, \
             and reachable at its address)",
            silent.len(),
            names(silent)
        )
    }
}

/// Decodes and dispatches one peer message; anything malformed or stale is dropped.
fn handle<A: Agreement>(
    state: &mut State<A>,
    progress: &mut Progress,
    from: &Identity,
    bytes: commonware_runtime::IoBuf,
    n: NonZeroU32,
    now: std::time::SystemTime,
) -> Result<Vec<Outgoing>, CeremonyError> {
    let msg = match Message::decode_cfg(bytes, &n) {
        Ok(msg) => msg,
        Err(e) => {
            tracing::debug!(?from, %e, "dropped undecodable DKG message");
            return Ok(Vec::new());
        }
    };
    if msg.round() != state.round {
        tracing::debug!(
            ?from,
            round = msg.round(),
            "dropped DKG message of another round"
        );
        return Ok(Vec::new());
    }
    state.heard_from(from, now);
    take(state, progress, from, msg)
}

/// Takes one message of this round, persisting first what a restart must not forget (see
/// [`progress`]); returns what to send.
fn take<A: Agreement>(
    state: &mut State<A>,
    progress: &mut Progress,
    from: &Identity,
    msg: Message,
) -> Result<Vec<Outgoing>, CeremonyError> {
    Ok(match msg {
        Message::Dealing {
            round,
            public,
            private,
        } => {
            let new = !state.acked_dealing_of(from);
            let out = state.on_dealing(from, public.clone(), private.clone());
            // Before the ack leaves: it promises this node holds the share.
            if new && state.acked_dealing_of(from) {
                let msg = Message::Dealing {
                    round,
                    public,
                    private,
                };
                progress.dealing(from, &msg)?;
            }
            out.into_iter().collect()
        }
        Message::Ack { ack, .. } => {
            state.on_ack(from, ack);
            Vec::new()
        }
        Message::Log { round, log } => {
            match log.clone().check(&state.info) {
                Some((dealer, _)) => {
                    let msg = Message::Log {
                        round,
                        log: log.clone(),
                    };
                    progress.log(from, &dealer, &msg)?;
                    state.agreement.on_log(from, &dealer, *log);
                }
                None => tracing::debug!(?from, "dropped DKG log with a bad signature"),
            }
            Vec::new()
        }
        Message::Confirm { round, digest } => {
            progress.confirm(from, &Message::Confirm { round, digest })?;
            state.agreement.on_confirm(from, digest);
            Vec::new()
        }
    })
}

/// Applies one record of an earlier run of this round (nothing is sent: what peers still
/// miss is resent on the next tick). This node's own log ends its dealing as it did then.
async fn restore<A: Agreement>(
    state: &mut State<A>,
    progress: &mut Progress,
    from: &Identity,
    msg: Message,
) -> Result<(), CeremonyError> {
    if msg.round() != state.round {
        return Ok(());
    }
    if let Message::Log { log, .. } = &msg
        && let Some((dealer, _)) = log.clone().check(&state.info)
        && dealer == state.me
    {
        progress.log(from, &dealer, &msg)?;
        // My player holds my share as it did then (its ack is in the log).
        state.deal_to_self();
        let _ = state.finish_dealing();
        let Message::Log { log, .. } = msg else {
            return Ok(());
        };
        state.agreement.submit(*log).await?;
        return Ok(());
    }
    take(state, progress, from, msg).map(drop)
}

fn send_all<S: Sender<PublicKey = Identity>>(sender: &mut S, out: Vec<Outgoing>) {
    for (to, msg) in out {
        let recipients = match to {
            Some(p) => Recipients::One(p),
            None => Recipients::All,
        };
        // Delivery is best effort; everything unanswered is resent on the next tick.
        let _ = sender.send(recipients, msg.encode(), false);
    }
}

#[cfg(test)]
mod waiting_tests {
    use super::*;
    use commonware_cryptography::{Signer as _, ed25519};

    #[test]
    fn the_waiting_report_names_the_silent_peers_else_the_missing_ones() {
        let key = |i| ed25519::PrivateKey::from_seed(i).public_key();
        let labels = BTreeMap::from([(key(3), "node-3 at 10.0.0.3:7600".to_string())]);
        let n = NonZeroU32::new(4).unwrap();
        assert_eq!(
            waiting(&[key(3), key(2)], &[key(1)], &labels, n),
            format!(
                "DKG still waiting: nothing yet from 2 of the 4 nodes: node-3 at \
                 10.0.0.3:7600, {} (each must be running, and reachable at its address)",
                key(2)
            )
        );
        assert_eq!(
            waiting(&[], &[key(3)], &labels, n),
            "DKG still waiting for the logs or confirmations of node-3 at 10.0.0.3:7600"
        );
    }
}
