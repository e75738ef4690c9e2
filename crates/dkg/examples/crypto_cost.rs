//! In-process cost of the DKG's cryptography, without any network: every dealer deals, every
//! player checks every dealing and acks, every dealer signs its log, every player finalizes.
//!
//! `cargo run --release -p byzvote-dkg --example crypto_cost`

use byzvote_dkg::{FaultModel, GroupVariant, Identity, threshold};
use commonware_cryptography::{
    Signer as _,
    bls12381::{
        dkg::feldman_desmedt::{Dealer, Info, Logs, Player, Reveal},
        primitives::sharing::Mode,
    },
    ed25519,
};
use commonware_parallel::Sequential;
use commonware_utils::{ordered::Set, rng::TestRng};
use std::time::{Duration, Instant};

fn once(n: usize, seed: u64) -> [Duration; 5] {
    let mut rng = TestRng::new(seed);
    let keys: Vec<_> = (0..n as u64).map(ed25519::PrivateKey::from_seed).collect();
    let set: Set<Identity> =
        Set::try_from(keys.iter().map(|k| k.public_key()).collect::<Vec<_>>()).unwrap();
    let info = Info::<GroupVariant, Identity>::new::<FaultModel>(
        b"bench",
        0,
        None,
        Mode::NonZeroCounter,
        Reveal::V1,
        set.clone(),
        set,
    )
    .unwrap();
    let mut players: Vec<_> = keys
        .iter()
        .map(|k| Player::new(info.clone(), k.clone()).unwrap())
        .collect();
    let (mut deal, mut check, mut log, mut fin) = (
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
    );
    let mut logs = Logs::<GroupVariant, Identity, FaultModel>::new(info.clone());
    for key in &keys {
        let t = Instant::now();
        let (mut dealer, public, privates) =
            Dealer::start::<FaultModel>(&mut rng, info.clone(), key.clone(), None).unwrap();
        deal += t.elapsed();
        for (player_key, private) in privates {
            let idx = keys
                .iter()
                .position(|k| k.public_key() == player_key)
                .unwrap();
            let t = Instant::now();
            let ack = players[idx]
                .dealer_message::<FaultModel>(key.public_key(), public.clone(), private)
                .unwrap()
                .unwrap();
            check += t.elapsed();
            dealer.receive_player_ack(player_key, ack).unwrap();
        }
        let t = Instant::now();
        let signed = dealer.finalize::<FaultModel>();
        let (dealer_pk, dealer_log) = signed.check(&info).unwrap();
        log += t.elapsed();
        logs.record(dealer_pk, dealer_log);
    }
    let mut outputs = Vec::new();
    for player in players {
        let t = Instant::now();
        outputs.push(
            player
                .finalize::<FaultModel>(&mut rng, logs.clone(), &Sequential)
                .unwrap(),
        );
        fin += t.elapsed();
    }
    // Threshold signing cost with the result.
    let (public, _) = &outputs[0];
    let out = byzvote_dkg::DkgOutput::new(0, public.clone(), outputs[0].1.clone()).unwrap();
    let t = Instant::now();
    let partials: Vec<_> = outputs
        .iter()
        .map(|(_, s)| threshold::partial_sign(s, b"ns", b"m"))
        .collect();
    let sign = t.elapsed() / n as u32;
    assert!(threshold::verify_partial(&out, &partials[0], b"ns", b"m"));
    let _ = threshold::recover(&out, &partials).unwrap();
    [deal, check, log, fin, sign]
}

fn main() {
    for n in [4usize, 7] {
        let runs: Vec<_> = (0..5).map(|s| once(n, s)).collect();
        let med = |i: usize| {
            let mut v: Vec<_> = runs.iter().map(|r| r[i]).collect();
            v.sort();
            v[v.len() / 2]
        };
        let total = med(0) + med(1) + med(2) + med(3);
        println!(
            "n={n} (all nodes, one thread, median of 5): deal {:?}, check dealings+ack {:?}, sign+check logs {:?}, finalize {:?}; total {:?} = {:?} per node; partial sign {:?}",
            med(0),
            med(1),
            med(2),
            med(3),
            total,
            total / n as u32,
            med(4)
        );
    }
}
