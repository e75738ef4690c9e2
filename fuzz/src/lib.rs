//! The fuzz targets of byzvote as plain functions, so that the same property runs under
//! `cargo fuzz` (nightly, libFuzzer, `fuzz_targets/*.rs`) and as a stable replay of the corpora
//! (`tests/replay.rs`, [`replay_dir`]).
//!
//! Each function takes arbitrary bytes, as a Byzantine peer or an HTTP client would send them, and
//! asserts two things: the decoder never panics (a panic is a crash that libFuzzer records), and,
//! when the input decodes, re-encoding the value gives back exactly the input bytes (so there is
//! one encoding per value: no malleable transaction ids, block digests or signed records).

use bytes::Bytes;
use byzvote_api::{
    Certificate, VoteRequest,
    extract::parse_json,
    openai::{convert::to_vote, types::ChatRequest},
    types::TierChoice,
    verify_certificate,
};
use byzvote_core::{DecisionRecord, Evidence, Mode, Request, SignedCommit, SignedReveal};
use byzvote_node::{
    chain::{
        block::{Block, Limits},
        types::PublicKey,
    },
    protocol::{
        meta::SignedMeta,
        tx::{Tx, check_all},
    },
};
use commonware_codec::{Decode as _, DecodeExt as _, Encode as _};
use commonware_cryptography::{Signer as _, ed25519};
use std::{num::NonZeroU32, path::Path, sync::OnceLock};

/// A fuzz target: arbitrary bytes in, a panic on a violated property.
pub type Target = fn(&[u8]);

/// Every target, by the name of its `fuzz_targets/NAME.rs` and `corpus/NAME/` directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("tx", tx),
    ("meta", meta),
    ("block", block),
    ("dkg_wire", dkg_wire),
    ("record", record),
    ("signed", signed),
    ("request", request),
    ("vote_request_json", vote_request_json),
    ("openai_json", openai_json),
    ("certificate_json", certificate_json),
];

/// Seeds of the identity keys of the 4-node cluster the `tx` target checks signatures against.
pub const KEY_SEEDS: [u64; 4] = [0, 1, 2, 3];

/// The cluster's participants, sorted (a member id is an index into this list), and the private
/// key of each, in the same order.
pub fn participants() -> &'static (Vec<PublicKey>, Vec<ed25519::PrivateKey>) {
    static KEYS: OnceLock<(Vec<PublicKey>, Vec<ed25519::PrivateKey>)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys: Vec<_> = KEY_SEEDS
            .iter()
            .map(|s| ed25519::PrivateKey::from_seed(*s))
            .collect();
        keys.sort_by_key(|k| k.public_key());
        (keys.iter().map(|k| k.public_key()).collect(), keys)
    })
}

/// A transaction from a peer: `Tx::decode` and the stateless `check_all` every validator runs
/// before voting for a block.
pub fn tx(data: &[u8]) {
    let decoded = Tx::decode(data);
    let valid = check(data, &participants().0);
    if let Some(tx) = decoded {
        assert_eq!(&tx.encode()[..], data, "Tx re-encodes differently");
    } else {
        assert!(!valid, "check accepted bytes that do not decode");
    }
}

/// `check_all` of one transaction.
pub fn check(bytes: &[u8], participants: &[ed25519::PublicKey]) -> bool {
    check_all(
        &[bytes::Bytes::copy_from_slice(bytes)],
        participants,
        &[0; 32],
    )[0]
}

/// A member's signed report on its model call (a `Meta` transaction body).
pub fn meta(data: &[u8]) {
    if let Some(m) = SignedMeta::decode(data) {
        assert_eq!(m.encode(), data, "SignedMeta re-encodes differently");
        for key in &participants().0 {
            let _ = m.verify(key);
        }
    }
}

/// A block proposed or backfilled by a peer, under the node's default limits.
pub fn block(data: &[u8]) {
    if let Ok(b) = Block::decode_cfg(Bytes::copy_from_slice(data), &Limits::default()) {
        assert_eq!(&b.encode()[..], data, "Block re-encodes differently");
        let again = Block::new(b.parent, b.height, b.timestamp_ms, b.txs.clone());
        assert_eq!(again, b, "Block digest is not a function of its fields");
        for t in &b.txs {
            let _ = Tx::decode(t);
        }
    }
}

/// A DKG channel message. The first byte is the participant count the reader is configured
/// with (1..=255: real clusters are small, and the bound is what limits allocations).
pub fn dkg_wire(data: &[u8]) {
    let Some((&n, body)) = data.split_first() else {
        return;
    };
    let Some(n) = NonZeroU32::new(u32::from(n)) else {
        return;
    };
    if let Ok(m) = byzvote_dkg::wire::Message::decode_cfg(Bytes::copy_from_slice(body), &n) {
        assert_eq!(&m.encode()[..], body, "DKG message re-encodes differently");
        assert!(body.len() <= byzvote_dkg::wire::max_message_size(n));
    }
}

/// A decision record (what the group certifies; also carried in certificates).
pub fn record(data: &[u8]) {
    if let Ok(r) = DecisionRecord::decode(Bytes::copy_from_slice(data)) {
        assert_eq!(
            &r.encode()[..],
            data,
            "DecisionRecord re-encodes differently"
        );
        assert_eq!(r.check(), Ok(()), "decoder accepted a record failing check");
        assert!(r.answer_matches_digest());
        let batch = byzvote_core::batch::Batch::new(vec![r.clone()]);
        assert!(batch.proof(0).is_some_and(|p| p.includes(data)));
        let json = serde_json::to_string(&r).unwrap_or_else(|e| panic!("to JSON: {e}"));
        let back: DecisionRecord =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("from own JSON {json}: {e}"));
        assert_eq!(back, r, "DecisionRecord JSON round trip");
        let _ = byzvote_api::record_view::summary(&r);
    }
}

/// A signed commit, a signed reveal or a piece of evidence: the first byte selects the decoder
/// (`% 3`: 0 commit, 1 reveal, 2 evidence), the rest is the encoding.
pub fn signed(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let bytes = Bytes::copy_from_slice(body);
    let encoded = match which % 3 {
        0 => SignedCommit::decode(bytes).ok().map(|c| {
            for key in &participants().0 {
                let _ = c.verify(key);
            }
            c.encode()
        }),
        1 => SignedReveal::decode(bytes).ok().map(|r| {
            for key in &participants().0 {
                let _ = r.verify(key);
            }
            let _ = r.reveal.commit();
            r.encode()
        }),
        _ => Evidence::decode(bytes).ok().map(|e| e.encode()),
    };
    if let Some(encoded) = encoded {
        assert_eq!(&encoded[..], body, "signed value re-encodes differently");
    }
}

/// A request as peers carry it (inside a `Request` transaction).
pub fn request(data: &[u8]) {
    if let Ok(r) = Request::decode(Bytes::copy_from_slice(data)) {
        assert_eq!(&r.encode()[..], data, "Request re-encodes differently");
        assert_eq!(r.validate(), Ok(()), "decoder accepted an invalid request");
        let _ = r.id();
        mode_round_trip(&r.mode);
    }
}

/// The body of `POST /v1/votes`, through the server's own JSON parser, then validation. What the
/// API accepts must be a request every peer decodes (else a client could make the leader propose
/// a transaction the others reject).
pub fn vote_request_json(data: &[u8]) {
    let Ok(v) = parse_json::<VoteRequest>(data) else {
        return;
    };
    let json = serde_json::to_vec(&v).unwrap_or_else(|e| panic!("to JSON: {e}"));
    let mut back: VoteRequest =
        parse_json(&json).unwrap_or_else(|e| panic!("own JSON refused: {e}"));
    // serde_json's float parsing may differ from the printed shortest form by one ulp.
    if let (Some(a), Some(b)) = (back.budget_usd, v.budget_usd) {
        assert!(
            (a - b).abs() <= b.abs() * 1e-15,
            "budget {b} came back as {a}"
        );
        back.budget_usd = v.budget_usd;
    }
    assert_eq!(back, v, "VoteRequest JSON round trip");
    accepted_vote(v);
}

/// The body of `POST /v1/chat/completions` (OpenAI-compatible), through the server's JSON
/// parser and its conversion into a vote; whatever it accepts goes through the same checks as
/// a native request.
pub fn openai_json(data: &[u8]) {
    let Ok(req) = parse_json::<ChatRequest>(data) else {
        return;
    };
    if let Ok(v) = to_vote(&req) {
        accepted_vote(v);
    }
}

/// Checks on a vote request the API parsed: validation is consistent with conversion, and the
/// converted request is one every peer decodes.
fn accepted_vote(v: VoteRequest) {
    if let Ok(m) = v.mode.parse::<Mode>() {
        mode_round_trip(&m);
    }
    let validated = v.validate();
    let tier = match v.tier {
        TierChoice::Fixed(t) => t,
        TierChoice::Auto => 3,
    };
    match v.into_request(tier) {
        Ok(r) => {
            assert!(
                validated.is_ok(),
                "into_request accepted what validate refused"
            );
            let bytes = r.encode();
            let decoded = Request::decode(bytes.clone())
                .unwrap_or_else(|e| panic!("peers refuse an accepted request ({e}): {r:?}"));
            assert_eq!(decoded, r);
            assert!(Tx::decode(&Tx::Request(r).encode()).is_some());
        }
        Err(e) => {
            let _ = (e.code(), e.param(), e.to_string());
        }
    }
}

/// A certificate JSON as `byzvote verify` reads it from anyone: never panics, and whatever
/// verifies has a record that re-encodes to its `record_bytes`.
pub fn certificate_json(data: &[u8]) {
    let Ok(cert) = serde_json::from_slice::<Certificate>(data) else {
        return;
    };
    if let Ok(ok) = verify_certificate(&cert, None) {
        assert_eq!(
            hex_lower(&ok.record.encode()),
            cert.record_bytes
                .trim()
                .trim_start_matches("0x")
                .to_ascii_lowercase()
        );
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A mode's text form parses back to the same mode (the API and the CLI show modes as text).
fn mode_round_trip(m: &Mode) {
    let text = m.to_string();
    let back: Mode = text
        .parse()
        .unwrap_or_else(|e| panic!("mode {m:?} prints as {text:?}, which does not parse: {e}"));
    assert_eq!(&back, m, "mode text round trip via {text:?}");
}

/// Runs `target` on every file of `dir` (missing directory: nothing); returns how many ran.
pub fn replay_dir(target: Target, dir: &Path) -> std::io::Result<usize> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    for path in &paths {
        let data = std::fs::read(path)?;
        eprintln!("replay {}", path.display());
        target(&data);
    }
    Ok(paths.len())
}
