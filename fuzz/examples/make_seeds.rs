//! Writes the seed corpus (`corpus/TARGET/seed-*`) from real encodings made by the crates
//! themselves, so the fuzzer starts from valid messages and mutates inward from there.
//!
//! `cargo run --example make_seeds` (stable is enough); rerun after a wire format changes.

use bytes::Bytes;
use byzvote_api::{Certificate, VoteRequest};
use byzvote_core::{
    Commit, DecisionRecord, Digest, Evidence, Message, Mode, OutcomeKind, Request, Reveal, Salt,
    answer_digest, canonicalize,
};
use byzvote_dkg::{FaultModel, GroupVariant, Identity, wire::Message as DkgMessage};
use byzvote_node::{
    chain::block::Block,
    protocol::{
        bundle::{Item, SignedBundle},
        meta::Meta,
        tx::Tx,
    },
};
use commonware_codec::Encode as _;
use commonware_consensus::types::Height;
use commonware_cryptography::{
    Digestible as _, Signer as _,
    bls12381::{
        dkg::feldman_desmedt::{Dealer, Info, Player, Reveal as DkgReveal, deal_anonymous},
        primitives::{ops::threshold, sharing::Mode as SharingMode, variant::MinPk},
    },
    ed25519,
};
use commonware_utils::{N3f1, NZU32, TestRng, ordered::Set};
use std::path::Path;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
}

fn main() {
    let keys = &byzvote_fuzz::participants().1;
    let requests = [
        Request::new(vec![Message::user("What is 2+2?")], Mode::Exact, 3, 64, 1).unwrap(),
        Request::new(
            vec![
                Message::system("Answer with one word."),
                Message::user("Is the sky blue?"),
                Message::assistant("yes"),
                Message::user("And grass?"),
            ],
            Mode::class(&["yes", "no"]).unwrap(),
            5,
            16,
            u64::MAX,
        )
        .unwrap(),
        Request::new(
            vec![Message::user("pi?")],
            Mode::number(3).unwrap(),
            1,
            4096,
            0,
        )
        .unwrap(),
        Request::new(vec![Message::user("{\"a\":1}")], Mode::Json, 2, 1, 9).unwrap(),
    ];
    for (i, r) in requests.iter().enumerate() {
        write("request", &format!("{i}"), &r.encode());
    }

    let req = &requests[0];
    let id = req.id();
    let canonical = canonicalize(&Mode::Exact, "4").unwrap();
    let reveal = Reveal {
        request: id,
        member: 1,
        canonical: canonical.clone(),
        salt: Salt([7; 32]),
    };
    let commit = Commit::new(id, 1, &canonical, &Salt([7; 32]));
    let signed_commit = commit.sign(&keys[1]);
    let signed_reveal = reveal.clone().sign(&keys[1]);
    let meta = Meta {
        request: id,
        member: 1,
        latency_ms: 1234,
        prompt_tokens: 10,
        completion_tokens: 3,
        cost_micro_usd: 42,
        confidence_bp: Some(9_500),
        model: "qwen2.5-coder-0.5b".into(),
    }
    .sign(&keys[1]);
    write("meta", "0", &meta.encode());
    let items = vec![
        Item::Commit(commit.clone()),
        Item::Reveal(reveal.clone()),
        Item::Meta(meta.meta.clone()),
    ];
    let bundle = SignedBundle::sign(1, items.clone(), &keys[1]);
    let forged_bundle = SignedBundle::sign(1, items, &keys[2]);
    let txs = [
        Tx::Request(req.clone()),
        Tx::Commit(signed_commit.clone()),
        Tx::Reveal(signed_reveal.clone()),
        Tx::Meta(meta),
        Tx::Commit(commit.sign(&keys[2])), // forged: wrong member's key
        Tx::Charge(
            byzvote_node::protocol::charge::Charge {
                key: [0xab; 32],
                request: req.id(),
                member: 1,
                cost_micro_usd: 1_200,
                height: 7,
            }
            .sign(&keys[1]),
        ),
        Tx::Bundle(bundle),
        Tx::Bundle(forged_bundle), // forged: wrong member's key
    ];
    for (i, t) in txs.iter().enumerate() {
        write("tx", &format!("{i}"), &t.encode());
    }
    write("tx", "garbage", &[9, 1, 2, 3]);

    let block = Block::new(
        Block::genesis_digest(),
        Height::new(1),
        1_764_097_200_000,
        txs.iter().map(Tx::encode).collect(),
    );
    write("block", "txs", &block.encode());
    write("block", "genesis", &Block::genesis().encode());
    write(
        "block",
        "small",
        &Block::new(
            block.digest(),
            Height::new(2),
            1,
            vec![Bytes::from_static(b"x")],
        )
        .encode(),
    );

    write(
        "signed",
        "commit",
        &[&[0u8][..], &signed_commit.encode()].concat(),
    );
    write(
        "signed",
        "reveal",
        &[&[1u8][..], &signed_reveal.encode()].concat(),
    );
    let evidence = [
        Evidence::BadReveal {
            member: 1,
            request: id,
        },
        Evidence::Equivocation {
            member: 2,
            request: id,
            first: Digest([1; 32]),
            second: Digest([2; 32]),
        },
        Evidence::NeverRevealed {
            member: 3,
            request: id,
        },
        Evidence::NeverCommitted {
            member: 0,
            request: id,
        },
    ];
    for (i, e) in evidence.iter().enumerate() {
        write(
            "signed",
            &format!("evidence-{i}"),
            &[&[2u8][..], &e.encode()].concat(),
        );
    }

    let agreed = DecisionRecord {
        request: id,
        tier: 3,
        mode: Mode::Exact,
        committee: vec![0, 1, 2, 3],
        outcome: OutcomeKind::Agreed,
        answer: Some("4".into()),
        answer_digest: Some(answer_digest("4")),
        supporters: vec![0, 1, 2],
        dissenters: vec![],
        silent: vec![3],
        height: 42,
        epoch: 0,
        aggregation: None,
        cosines: None,
        pick: None,
    };
    let split = DecisionRecord {
        request: requests[1].id(),
        tier: 5,
        mode: Mode::class(&["yes", "no"]).unwrap(),
        committee: vec![0, 2, 5, 6, 9, 11, 12],
        outcome: OutcomeKind::NoAgreement,
        answer: None,
        answer_digest: None,
        supporters: vec![],
        dissenters: vec![0, 2, 5, 6],
        silent: vec![9, 11, 12],
        height: 7,
        epoch: 3,
        aggregation: None,
        cosines: None,
        pick: None,
    };
    write("record", "agreed", &agreed.encode());
    write("record", "no-agreement", &split.encode());

    // A real certificate: a 3-of-4 dealer-made threshold key, recovered from 3 partials.
    let (sharing, shares) =
        deal_anonymous::<MinPk, N3f1>(TestRng::new(1), SharingMode::NonZeroCounter, NZU32!(4));
    let ns = byzvote_core::namespace::BYZVOTE_DECISION;
    // A batch of one: the group signs its root.
    let batch = byzvote_core::batch::Batch::new(vec![agreed.clone()]);
    let proof = batch.proof(0).unwrap();
    let partials: Vec<_> = shares[1..]
        .iter()
        .map(|s| threshold::sign_message::<MinPk>(s, ns, batch.root().as_ref()))
        .collect();
    let signature =
        threshold::recover::<MinPk, _>(&sharing, &partials, &commonware_parallel::Sequential)
            .unwrap();
    let cert = Certificate::new(sharing.public(), &signature, agreed, &proof);
    assert!(byzvote_api::verify_certificate(&cert, None).is_ok());
    write(
        "certificate_json",
        "agreed",
        serde_json::to_string_pretty(&cert).unwrap().as_bytes(),
    );

    let bodies = [
        serde_json::to_string(&VoteRequest::prompt("What is 2+2?")).unwrap(),
        r#"{"prompt": "paris", "mode": "class:paris,london", "tier": 4, "max_tokens": 16, "client_nonce": 9}"#.into(),
        r#"{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}], "mode": "number:2"}"#.into(),
        r#"{"prompt": "x", "mode": "json", "tier": 9}"#.into(),
        r#"{"prompt": "  ", "mdoe": "exact"}"#.into(),
    ];
    for (i, b) in bodies.iter().enumerate() {
        write("vote_request_json", &format!("{i}"), b.as_bytes());
    }

    let chats = [
        r#"{"model": "byzvote", "messages": [{"role": "user", "content": "What is 2+2?"}]}"#,
        r#"{"model": "byzvote-tier4", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "hi"}]}], "stream": true, "stream_options": {"include_usage": true}, "max_tokens": 32, "n": 1}"#,
        r#"{"model": "byzvote-auto", "messages": [{"role": "user", "content": "yes or no?"}], "byzvote": {"mode": "class:yes,no"}, "response_format": {"type": "json_object"}, "temperature": 0}"#,
    ];
    for (i, b) in chats.iter().enumerate() {
        write("openai_json", &format!("{i}"), b.as_bytes());
    }

    for (i, m) in dkg_messages().iter().enumerate() {
        write(
            "dkg_wire",
            &format!("{i}"),
            &[&[4u8][..], &m.encode()].concat(),
        );
    }
    println!("seeds written under {}/corpus", env!("CARGO_MANIFEST_DIR"));
}

/// One of each DKG message, from a real 4-player round (as in byzvote-dkg's wire test).
fn dkg_messages() -> Vec<DkgMessage> {
    let keys: Vec<_> = (0..4u64).map(ed25519::PrivateKey::from_seed).collect();
    let set: Set<Identity> =
        Set::try_from(keys.iter().map(|k| k.public_key()).collect::<Vec<_>>()).unwrap();
    let info = Info::<GroupVariant, Identity>::new::<FaultModel>(
        b"ns",
        0,
        None,
        SharingMode::NonZeroCounter,
        DkgReveal::V1,
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
    vec![
        DkgMessage::Dealing {
            round: 5,
            public,
            private,
        },
        DkgMessage::Ack { round: 5, ack },
        DkgMessage::Log {
            round: 5,
            log: Box::new(log),
        },
        DkgMessage::Confirm {
            round: 5,
            digest: [1; 32],
        },
    ]
}
