//! Key file: encode/decode, atomic save/load, permissions, refusal of damaged files.

use byzvote_dkg::{DkgOutput, FaultModel, GroupVariant, Identity, threshold};
use commonware_codec::{DecodeExt as _, Encode as _};
use commonware_cryptography::{
    Signer as _,
    bls12381::{dkg::feldman_desmedt::deal, primitives::sharing::Mode},
    ed25519,
};
use commonware_utils::{ordered::Set, rng::TestRng};

/// Outputs as a trusted dealer would make them (fine for file tests; the ceremony is tested
/// in the crate's simulation tests).
fn outputs(seed: u64) -> Vec<DkgOutput> {
    let players: Set<Identity> = Set::try_from(
        (0..4u64)
            .map(|i| ed25519::PrivateKey::from_seed(i).public_key())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let (public, shares) =
        deal::<GroupVariant, _, FaultModel>(TestRng::new(seed), Mode::NonZeroCounter, players)
            .unwrap();
    shares
        .values()
        .iter()
        .map(|s| DkgOutput::new(0, public.clone(), s.clone()).unwrap())
        .collect()
}

#[test]
fn codec_round_trips() {
    for out in outputs(1) {
        let bytes = out.encode();
        assert_eq!(DkgOutput::decode(bytes.clone()).unwrap(), out);
        assert_eq!(DkgOutput::from_bytes(&bytes).unwrap(), out);
    }
}

#[test]
fn save_then_load_round_trips_with_private_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dkg.key");
    let out = &outputs(2)[1];
    out.save(&path).unwrap();
    assert_eq!(DkgOutput::load(&path).unwrap(), *out);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Overwrite in place with another key: still atomic, still 0600, no temp file left.
    let other = &outputs(3)[1];
    other.save(&path).unwrap();
    assert_eq!(DkgOutput::load(&path).unwrap(), *other);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn damaged_or_foreign_files_are_refused() {
    let a = &outputs(4)[0];
    let b = &outputs(5)[0];
    let bytes = a.encode().to_vec();
    // Truncated, extended, wrong magic.
    assert!(DkgOutput::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(DkgOutput::from_bytes(&longer).is_err());
    let mut magic = bytes.clone();
    magic[0] ^= 1;
    assert!(DkgOutput::from_bytes(&magic).is_err());
    // A share from another ceremony spliced onto this polynomial.
    let share_len = a.share().encode().len();
    let mut spliced = bytes[..bytes.len() - share_len].to_vec();
    spliced.extend_from_slice(&b.share().encode());
    assert!(DkgOutput::from_bytes(&spliced).is_err());
    assert!(DkgOutput::new(0, a.public_output().clone(), b.share().clone()).is_err());
}

#[test]
fn hex_helpers_reject_garbage() {
    let out = &outputs(6)[0];
    let hex = threshold::key_to_hex(out.group_public_key());
    assert!(threshold::key_from_hex("zz").is_err());
    assert!(threshold::key_from_hex(&hex[..94]).is_err());
    assert!(threshold::key_from_hex(&"00".repeat(48)).is_err());
    assert!(threshold::signature_from_hex(&"ab".repeat(96)).is_err());
}

#[test]
fn signatures_checked_together_pass_only_when_each_would() {
    let outs = outputs(7);
    let group = outs[0].group_public_key();
    let msgs: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 32]).collect();
    let sign = |msg: &[u8]| {
        let partials: Vec<_> = outs
            .iter()
            .map(|o| threshold::partial_sign(o.share(), b"ns", msg))
            .collect();
        threshold::recover(&outs[0], &partials).expect("recover")
    };
    let mut items: Vec<(&[u8], _)> = msgs.iter().map(|m| (m.as_slice(), sign(m))).collect();
    assert!(threshold::verify_together(group, b"ns", &items, [1; 32]));
    assert!(threshold::verify_together(group, b"ns", &[], [1; 32]));
    // Another namespace, two signatures swapped, or one a valid point that is not the group's.
    assert!(!threshold::verify_together(
        group, b"other", &items, [1; 32]
    ));
    let (a, b) = (items[1].1, items[3].1);
    items[1].1 = b;
    items[3].1 = a;
    assert!(!threshold::verify_together(group, b"ns", &items, [1; 32]));
    items[3].1 = b;
    items[1].1 = -a;
    assert!(!threshold::verify_together(
        group,
        b"ns",
        &items[1..2],
        [2; 32]
    ));
}
