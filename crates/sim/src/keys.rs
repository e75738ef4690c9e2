//! Identity keys and threshold shares of a simulated cluster.
//!
//! A seed must be cheap, so the sweep does not run the DKG ceremony: the shares come from
//! Commonware's trusted dealer (`feldman_desmedt::deal`), once per cluster size, and are
//! shared by every seed of that size. This is for simulation only: a production cluster's
//! shares come from the DKG, which `byzvote-dkg` tests on its own (its ceremony tests and
//! `crates/node/tests/it/protocol.rs`, which runs the real ceremony before its votes). What the
//! simulation checks downstream of the keys (partial signatures, recovery, certificate
//! verification) is the same code either way.

use byzvote_dkg::{DkgOutput, FaultModel, GroupVariant, Identity, IdentityKey};
use commonware_cryptography::Signer as _;
use commonware_cryptography::bls12381::{dkg::feldman_desmedt, primitives::sharing::Mode};
use commonware_utils::{TestRng, ordered::Set};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The keys of an `n`-member cluster. Member `i` is `participants[i]` (sorted, as the node
/// sorts them), holds `identities[i]` and `shares[i]`.
#[derive(Clone)]
pub struct ClusterKeys {
    pub identities: Vec<IdentityKey>,
    pub participants: Vec<Identity>,
    pub shares: Vec<Arc<DkgOutput>>,
}

/// Why keys could not be made.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the trusted dealer refused {n} players: {reason}")]
    Deal { n: usize, reason: String },
}

fn deal(n: usize) -> Result<ClusterKeys, KeyError> {
    let err = |reason: String| KeyError::Deal { n, reason };
    let mut identities: Vec<IdentityKey> = (0..n as u64).map(IdentityKey::from_seed).collect();
    identities.sort_by_key(|k| k.public_key());
    let participants: Vec<Identity> = identities.iter().map(|k| k.public_key()).collect();
    let players = Set::try_from(participants.clone()).map_err(|e| err(format!("{e:?}")))?;
    let rng = TestRng::new(0xb12_5eed ^ n as u64);
    let (output, shares) = feldman_desmedt::deal::<GroupVariant, Identity, FaultModel>(
        rng,
        Mode::NonZeroCounter,
        players,
    )
    .map_err(|e| err(e.to_string()))?;
    let mut outputs = Vec::with_capacity(n);
    for p in &participants {
        let share = shares
            .get_value(p)
            .cloned()
            .ok_or_else(|| err("a player got no share".into()))?;
        let out = DkgOutput::new(0, output.clone(), share).map_err(|e| err(e.to_string()))?;
        outputs.push(Arc::new(out));
    }
    Ok(ClusterKeys {
        identities,
        participants,
        shares: outputs,
    })
}

/// The keys for `n` members, dealt on first use and cached for the process.
pub fn keys(n: usize) -> Result<ClusterKeys, KeyError> {
    static CACHE: OnceLock<Mutex<HashMap<usize, ClusterKeys>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(k) = map.get(&n) {
        return Ok(k.clone());
    }
    let k = deal(n)?;
    map.insert(n, k.clone());
    Ok(k)
}
