//! The ceremony over real sockets: tokio runtime, `p2p::authenticated::lookup` on 127.0.0.1,
//! four nodes in one process (the multi-process test belongs to the node crate).

use byzvote_dkg::{AllDealers, CeremonyConfig, Identity, Timeouts, run, threshold, wire};
use commonware_cryptography::{ChaCha20Poly1305, Signer as _, ed25519};
use commonware_p2p::{Address, AddressableManager as _, authenticated::lookup};
use commonware_runtime::{Quota, Runner as _, Spawner as _, Supervisor as _, tokio};
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use commonware_utils::{NZU32, NZUsize, ordered::Map};
use std::{net::SocketAddr, num::NonZeroU32, time::Duration};

/// Free loopback ports (bind :0, read, release).
fn free_addrs(n: usize) -> Vec<SocketAddr> {
    let listeners: Vec<_> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners.iter().map(|l| l.local_addr().unwrap()).collect()
}

#[test]
fn four_nodes_over_loopback_tcp() {
    let n = 4;
    let mut keys: Vec<_> = (0..n as u64)
        .map(|i| ed25519::PrivateKey::from_seed(100 + i))
        .collect();
    keys.sort_by_key(|k| k.public_key());
    let participants: Vec<Identity> = keys.iter().map(|k| k.public_key()).collect();
    let addrs = free_addrs(n);
    let peers: Map<Identity, Address> = Map::try_from(
        participants
            .iter()
            .cloned()
            .zip(addrs.iter().map(|a| (*a).into()))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let max = wire::max_message_size(NonZeroU32::new(n as u32).unwrap()) as u32;
    tokio::Runner::default().start(|context| async move {
        let mut handles = Vec::new();
        for (key, addr) in keys.iter().zip(&addrs) {
            let cfg = lookup::Config::local(
                Cups::<_, ChaCha20Poly1305>::new(
                    Sake {
                        signer: key.clone(),
                        synchrony_bound: Duration::from_secs(5),
                        max_handshake_age: Duration::from_secs(10),
                        version: sake::Version::V1,
                    },
                    cups::Version::V1,
                ),
                b"byzvote-dkg-loopback",
                *addr,
                NZUsize!(n),
                max,
                NZUsize!(1_000),
            );
            let node = context.child("node");
            let (mut network, mut oracle) = lookup::Network::new(node.child("network"), cfg);
            oracle.track(0, peers.clone());
            let (sender, receiver) = network.register(0, Quota::per_second(NZU32!(100)));
            network.start();
            let config = CeremonyConfig {
                signer: key.clone(),
                participants: participants.clone(),
                namespace: b"byzvote-dkg-loopback".to_vec(),
                round: 0,
                timeouts: Timeouts {
                    deal: Duration::from_secs(4),
                    resend: Duration::from_millis(250),
                    total: Duration::from_secs(60),
                    linger: Duration::from_secs(1),
                },
                progress: None,
                labels: Default::default(),
            };
            let agreement = AllDealers::new(key.public_key(), participants.clone());
            handles.push(node.child("dkg").spawn(move |ctx| async move {
                let (mut sender, mut receiver) = (sender, receiver);
                run(ctx, config, agreement, &mut sender, &mut receiver).await
            }));
        }
        let mut reports = Vec::new();
        for h in handles {
            reports.push(h.await.unwrap().unwrap());
        }
        let out = &reports[0].output;
        let msg = b"over tcp";
        let partials: Vec<_> = reports[1..]
            .iter()
            .map(|r| threshold::partial_sign(r.output.share(), b"ns", msg))
            .collect();
        let sig = threshold::recover(out, &partials).unwrap();
        assert!(threshold::verify(out.group_public_key(), b"ns", msg, &sig));
        for r in &reports {
            assert_eq!(r.output.group_public_key(), out.group_public_key());
            println!(
                "node elapsed {:?}, revealed {:?}",
                r.elapsed,
                r.output.revealed()
            );
        }
    });
}
