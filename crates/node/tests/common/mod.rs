//! A simulated network of `n` nodes with sorted identity keys and 5 ms links between every
//! pair: the setup the deterministic node tests share.

use byzvote_node::chain::types::PublicKey;
use commonware_cryptography::{Signer as _, ed25519};
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_runtime::{Supervisor as _, deterministic};
use commonware_utils::{NZUsize, probability};
use std::time::Duration;

/// Keys sorted by public key (a member id indexes them), their public keys, and the oracle.
pub async fn network(
    context: &deterministic::Context,
    n: usize,
) -> (
    Vec<ed25519::PrivateKey>,
    Vec<PublicKey>,
    Oracle<PublicKey, deterministic::Context>,
) {
    let mut keys: Vec<ed25519::PrivateKey> =
        (0..n as u64).map(ed25519::PrivateKey::from_seed).collect();
    keys.sort_by_key(|k| k.public_key());
    let participants: Vec<PublicKey> = keys.iter().map(|k| k.public_key()).collect();
    let (network, oracle) = Network::new_with_peers(
        context.child("network"),
        simulated::Config {
            max_size: 1 << 20,
            max_peers_per_set: NZUsize!(n),
            disconnect_on_block: true,
            tracked_peer_sets: NZUsize!(1),
        },
        participants.clone(),
    )
    .await;
    network.start();
    let link = Link {
        latency: Duration::from_millis(5),
        jitter: Duration::from_millis(2),
        success_rate: probability!(1.0),
    };
    for a in &participants {
        for b in &participants {
            if a != b {
                oracle
                    .add_link(a.clone(), b.clone(), link.clone())
                    .await
                    .unwrap();
            }
        }
    }
    (keys, participants, oracle)
}
