//! An outsider that floods participants with junk: undecodable bytes, other rounds, bogus
//! confirmations, forged logs, a dealing it has no right to send.

use crate::{FaultModel, GroupVariant, IdentityKey, wire::Message};
use commonware_codec::Encode as _;
use commonware_cryptography::{
    Signer as _,
    bls12381::dkg::feldman_desmedt::{Dealer, Info, Reveal},
    bls12381::primitives::sharing::Mode,
};
use commonware_p2p::{Recipients, Sender};
use commonware_runtime::Clock;
use commonware_utils::{ordered::Set, rng::TestRng};
use std::time::Duration;

/// Encoded junk messages.
pub(crate) fn junk(keys: &[IdentityKey]) -> Vec<Vec<u8>> {
    let participants: Set<_> =
        Set::try_from(keys.iter().map(|k| k.public_key()).collect::<Vec<_>>()).unwrap();
    // A dealing and a log for a different namespace (its signature cannot check for ours).
    let info = Info::<GroupVariant, _>::new::<FaultModel>(
        b"another-app",
        0,
        None,
        Mode::NonZeroCounter,
        Reveal::V1,
        participants.clone(),
        participants,
    )
    .unwrap();
    let (dealer, public, privates) =
        Dealer::start::<FaultModel>(TestRng::new(9), info, keys[0].clone(), None).unwrap();
    let foreign_log = dealer.finalize::<FaultModel>();
    let mut out = vec![
        vec![],
        vec![0xff; 7],
        vec![9, 0, 0, 0, 0, 0, 0, 0, 0],
        Message::Confirm {
            round: 0,
            digest: [7; 32],
        }
        .encode()
        .to_vec(),
        Message::Confirm {
            round: 3,
            digest: [7; 32],
        }
        .encode()
        .to_vec(),
        Message::Log {
            round: 0,
            log: Box::new(foreign_log),
        }
        .encode()
        .to_vec(),
        Message::Dealing {
            round: 0,
            public: public.clone(),
            private: privates[0].1.clone(),
        }
        .encode()
        .to_vec(),
    ];
    // Truncated copies of everything.
    let truncated: Vec<_> = out
        .iter()
        .filter(|m| m.len() > 2)
        .map(|m| m[..m.len() / 2].to_vec())
        .collect();
    out.extend(truncated);
    out
}

/// Sends every junk message to everyone every 50 ms.
pub(crate) async fn flood<E: Clock, S: Sender<PublicKey = crate::Identity>>(
    context: E,
    mut sender: S,
    junk: Vec<Vec<u8>>,
) {
    loop {
        for m in &junk {
            let _ = sender.send(Recipients::All, m.clone(), false);
        }
        context.sleep(Duration::from_millis(50)).await;
    }
}
