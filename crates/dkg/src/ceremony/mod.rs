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
//! ```
//!
//! On restart, `DkgOutput::load` the file and skip the ceremony. The ceremony itself keeps
//! no state on disk: a node that restarts mid-ceremony gets a fresh dealing, so every node
//! must rerun with `round + 1` (the dealer would need persisted randomness and the player
//! `Player::resume` with its persisted dealings to resume instead).

mod state;

use crate::{
    agreement::Agreement,
    config::CeremonyConfig,
    error::{CeremonyError, Evidence},
    output::DkgOutput,
    types::{FaultModel, Identity},
    wire::Message,
};
use commonware_codec::{Decode as _, Encode as _};
use commonware_cryptography::bls12381::dkg::feldman_desmedt::{FinalizeError, Logs};
use commonware_macros::select;
use commonware_p2p::{Receiver, Recipients, Sender};
use commonware_runtime::Clock;
use rand_core::CryptoRng;
use state::{Outgoing, State};
use std::{num::NonZeroU32, time::Duration};

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
}

/// Runs one DKG round to completion on `sender`/`receiver` (one dedicated channel).
///
/// Returns the key material, or a typed error after `timeouts.total`. After success it keeps
/// answering peers for `timeouts.linger` before returning, so no peer waits on it forever.
pub async fn run<E, S, R, A>(
    context: E,
    config: CeremonyConfig,
    agreement: A,
    sender: S,
    receiver: R,
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
    mut sender: S,
    mut receiver: R,
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
    let mut state = State::new(
        &mut context,
        config.signer.clone(),
        config.participants.clone(),
        config.round,
        info,
        timeouts.deal,
        agreement,
        #[cfg(test)]
        byzantine,
    )?;
    let out = state.dealings(&mut context);
    send_all(&mut sender, out);
    let mut next_tick = start + timeouts.resend;

    let agreed = loop {
        // My log is due: publish it (submit first so that the hook gossips it at once).
        if state.dealing_done(context.current())
            && let Some(log) = state.finish_dealing()
        {
            state.agreement.submit(log).await?;
        }
        let gossip = state.gossip(true);
        send_all(&mut sender, gossip);
        let agreed = select! {
            agreed = state.agreement.agreed() => Some(agreed?),
            msg = receiver.recv() => {
                let (from, bytes) = msg.map_err(|e| CeremonyError::Network(e.to_string()))?;
                let out = handle(&mut state, &from, bytes, n);
                send_all(&mut sender, out);
                None
            },
            _ = context.sleep_until(next_tick) => {
                let now = context.current();
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
                send_all(&mut sender, out);
                None
            },
        };
        if let Some(agreed) = agreed {
            break agreed;
        }
    };

    // Finalize with exactly the agreed logs (each re-checked against this round).
    let mut logs = Logs::<_, _, FaultModel>::new(state.info.clone());
    for signed in agreed {
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
        &mut sender,
        &mut receiver,
        n,
        timeouts.resend,
        timeouts.linger,
    )
    .await;
    Ok(CeremonyReport {
        output,
        evidence,
        elapsed,
    })
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
    let end = context.current() + linger;
    let mut next_tick = context.current();
    while context.current() < end {
        select! {
            msg = receiver.recv() => {
                let Ok((from, bytes)) = msg else { return };
                let out = handle(state, &from, bytes, n);
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

/// Decodes and dispatches one peer message; anything malformed or stale is dropped.
fn handle<A: Agreement>(
    state: &mut State<A>,
    from: &Identity,
    bytes: commonware_runtime::IoBuf,
    n: NonZeroU32,
) -> Vec<Outgoing> {
    let msg = match Message::decode_cfg(bytes, &n) {
        Ok(msg) => msg,
        Err(e) => {
            tracing::debug!(?from, %e, "dropped undecodable DKG message");
            return Vec::new();
        }
    };
    if msg.round() != state.round {
        tracing::debug!(
            ?from,
            round = msg.round(),
            "dropped DKG message of another round"
        );
        return Vec::new();
    }
    match msg {
        Message::Dealing {
            public, private, ..
        } => state
            .on_dealing(from, public, private)
            .into_iter()
            .collect(),
        Message::Ack { ack, .. } => {
            state.on_ack(from, ack);
            Vec::new()
        }
        Message::Log { log, .. } => {
            match log.clone().check(&state.info) {
                Some((dealer, _)) => state.agreement.on_log(from, &dealer, *log),
                None => tracing::debug!(?from, "dropped DKG log with a bad signature"),
            }
            Vec::new()
        }
        Message::Confirm { digest, .. } => {
            state.agreement.on_confirm(from, digest);
            Vec::new()
        }
    }
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
