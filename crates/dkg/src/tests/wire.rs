//! Wire messages: round trip, and bounded reads refuse oversize input.

use crate::{
    FaultModel, GroupVariant, Identity,
    wire::{Message, max_message_size},
};
use commonware_codec::{Decode as _, Encode as _};
use commonware_cryptography::{
    Signer as _,
    bls12381::{
        dkg::feldman_desmedt::{Dealer, Info, Player, Reveal},
        primitives::sharing::Mode,
    },
    ed25519,
};
use commonware_utils::{NZU32, ordered::Set, rng::TestRng};

#[test]
fn messages_round_trip_and_reads_are_bounded() {
    let keys: Vec<_> = (0..4u64).map(ed25519::PrivateKey::from_seed).collect();
    let set: Set<Identity> =
        Set::try_from(keys.iter().map(|k| k.public_key()).collect::<Vec<_>>()).unwrap();
    let info = Info::<GroupVariant, Identity>::new::<FaultModel>(
        b"ns",
        0,
        None,
        Mode::NonZeroCounter,
        Reveal::V1,
        set.clone(),
        set,
    )
    .unwrap();
    let (mut dealer, public, privates) =
        Dealer::start::<FaultModel>(TestRng::new(1), info.clone(), keys[0].clone(), None).unwrap();
    let (player_key, private) = privates[1].clone();
    let idx = keys
        .iter()
        .position(|k| k.public_key() == player_key)
        .unwrap();
    let mut player = Player::new(info, keys[idx].clone()).unwrap();
    let ack = player
        .dealer_message::<FaultModel>(keys[0].public_key(), public.clone(), private.clone())
        .unwrap()
        .unwrap();
    dealer.receive_player_ack(player_key, ack.clone()).unwrap();
    let log = dealer.finalize::<FaultModel>();
    let n = NZU32!(4);
    let messages = [
        Message::Dealing {
            round: 5,
            public,
            private,
        },
        Message::Ack { round: 5, ack },
        Message::Log {
            round: 5,
            log: Box::new(log),
        },
        Message::Confirm {
            round: 5,
            digest: [1; 32],
        },
    ];
    for m in messages {
        let bytes = m.encode();
        assert!(bytes.len() <= max_message_size(n));
        assert_eq!(Message::decode_cfg(bytes.clone(), &n).unwrap(), m);
        // A reader configured for fewer participants refuses larger polynomials and logs.
        if matches!(m, Message::Dealing { .. } | Message::Log { .. }) {
            assert!(Message::decode_cfg(bytes.clone(), &NZU32!(2)).is_err());
        }
        assert!(Message::decode_cfg(bytes.slice(..bytes.len() - 1), &n).is_err());
    }
}
