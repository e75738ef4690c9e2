//! Tests of [`crate::verify`]: a valid threshold certificate passes, and each alteration is
//! rejected with its own error.

use crate::{
    core_types::answer_digest,
    testing::{certificate, record},
    types::Certificate,
    verify::{Field, VerifyError, verify_certificate},
};
use commonware_codec::Encode;

const SEED: u64 = 7;

fn valid() -> Certificate {
    certificate(SEED, record("Paris"))
}

/// Flips bit `bit` of byte `at` of the hex string `s`.
fn flip_bit(s: &str, at: usize, bit: u8) -> String {
    let mut bytes = hex::decode(s).unwrap();
    bytes[at] ^= 1 << bit;
    hex::encode(bytes)
}

#[test]
fn valid_certificate_verifies_with_and_without_the_expected_key() {
    let cert = valid();
    let verified = verify_certificate(&cert, None).unwrap();
    assert!(!verified.key_pinned);
    assert_eq!(verified.record, cert.record);
    let pinned = verify_certificate(&cert, Some(&cert.group_public_key.to_uppercase())).unwrap();
    assert!(pinned.key_pinned);
    assert_eq!(cert.group_public_key.len(), 96);
    assert_eq!(cert.signature.len(), 192);
}

#[test]
fn certificate_survives_a_json_round_trip() {
    let cert = valid();
    let json = serde_json::to_string_pretty(&cert).unwrap();
    let back: Certificate = serde_json::from_str(&json).unwrap();
    assert_eq!(back, cert);
    verify_certificate(&back, None).unwrap();
}

#[test]
fn answer_changed_by_one_byte_in_the_readable_record_is_rejected() {
    let mut cert = valid();
    cert.record.answer = Some("Parix".to_string());
    assert_eq!(
        verify_certificate(&cert, None),
        Err(VerifyError::AnswerDigestMismatch)
    );
    // With its digest changed to match, the readable record no longer is the signed one.
    cert.record.answer_digest = Some(answer_digest("Parix"));
    assert_eq!(
        verify_certificate(&cert, None),
        Err(VerifyError::RecordMismatch {
            field: "answer".into()
        })
    );
}

#[test]
fn answer_changed_by_one_byte_in_record_bytes_is_rejected() {
    let mut cert = valid();
    let mut bytes = hex::decode(&cert.record_bytes).unwrap();
    let at = bytes.windows(5).position(|w| w == b"Paris").unwrap() + 4;
    bytes[at] = b'x';
    cert.record_bytes = hex::encode(bytes);
    // Core's decoder checks the answer against the digest in the same bytes.
    let err = verify_certificate(&cert, None).unwrap_err();
    assert!(
        matches!(&err, VerifyError::RecordUndecodable(why) if why.contains("digest")),
        "{err:?}"
    );
}

#[test]
fn other_record_field_changed_is_named() {
    let mut cert = valid();
    cert.record.height += 1;
    assert_eq!(
        verify_certificate(&cert, None),
        Err(VerifyError::RecordMismatch {
            field: "height".into()
        })
    );
}

#[test]
fn consistently_altered_record_fails_at_each_next_layer() {
    // The forger changes the answer in both the record and its bytes...
    let mut cert = valid();
    cert.record.answer = Some("Parix".to_string());
    cert.record_bytes = hex::encode(cert.record.encode());
    assert_eq!(
        verify_certificate(&cert, None),
        Err(VerifyError::AnswerDigestMismatch)
    );
    // ...then fixes the digest: the record is not in the signed batch...
    cert.record.answer_digest = Some(answer_digest("Parix"));
    cert.record_bytes = hex::encode(cert.record.encode());
    assert_eq!(
        verify_certificate(&cert, None),
        Err(VerifyError::NotInBatch {
            index: 1,
            leaves: 3
        })
    );
    // ...then makes a batch of its own around it: its root is not what was signed...
    let forged = forged_batch(&mut cert);
    assert_eq!(
        verify_certificate(&cert, None),
        Err(VerifyError::SignedMessageMismatch)
    );
    // ...then the signed message: only the BLS signature still stands in the way.
    cert.signed_message = hex::encode(commonware_utils::union_unique(
        cert.namespace.as_bytes(),
        &forged,
    ));
    assert_eq!(
        verify_certificate(&cert, None),
        Err(VerifyError::BadSignature)
    );
}

/// Replaces the certificate's batch proof by one for a batch of its record alone; returns
/// that batch's root.
fn forged_batch(cert: &mut Certificate) -> byzvote_core::Digest {
    let batch = byzvote_core::batch::Batch::new(vec![cert.record.clone()]);
    cert.batch = crate::types::certificate::BatchProof::from_proof(&batch.proof(0).unwrap());
    batch.root()
}

#[test]
fn signature_bit_flip_is_rejected() {
    let cert = valid();
    // Flip one bit in each of several positions: the point becomes invalid or the signature
    // wrong, never valid.
    for (at, bit) in [(0usize, 5u8), (1, 0), (30, 3), (48, 7), (60, 1), (95, 0)] {
        let mut bad = cert.clone();
        bad.signature = flip_bit(&cert.signature, at, bit);
        let err = verify_certificate(&bad, None).unwrap_err();
        assert!(
            matches!(
                err,
                VerifyError::InvalidSignaturePoint(_) | VerifyError::BadSignature
            ),
            "byte {at} bit {bit}: {err:?}"
        );
    }
}

#[test]
fn signature_of_another_key_is_rejected() {
    let mut cert = valid();
    cert.signature = certificate(SEED + 1, record("Paris")).signature;
    assert_eq!(
        verify_certificate(&cert, None),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn wrong_group_key_is_rejected() {
    let cert = valid();
    let other = certificate(SEED + 1, record("Paris"));
    // Expected key differs from the certificate's.
    assert!(matches!(
        verify_certificate(&cert, Some(&other.group_public_key)),
        Err(VerifyError::GroupKeyMismatch { .. })
    ));
    // The certificate's key swapped for another valid key.
    let mut swapped = cert.clone();
    swapped.group_public_key = other.group_public_key.clone();
    assert_eq!(
        verify_certificate(&swapped, None),
        Err(VerifyError::BadSignature)
    );
    // An expected key that is not a key at all.
    assert!(matches!(
        verify_certificate(&cert, Some("zz")),
        Err(VerifyError::Hex {
            field: Field::ExpectedGroupKey,
            ..
        })
    ));
}

#[test]
fn truncated_or_malformed_hex_is_rejected() {
    let cert = valid();
    let mut bad = cert.clone();
    bad.group_public_key.truncate(94);
    assert_eq!(
        verify_certificate(&bad, None),
        Err(VerifyError::Length {
            field: Field::GroupPublicKey,
            expected: 48,
            got: 47
        })
    );
    let mut bad = cert.clone();
    bad.signature.truncate(190);
    assert_eq!(
        verify_certificate(&bad, None),
        Err(VerifyError::Length {
            field: Field::Signature,
            expected: 96,
            got: 95
        })
    );
    let mut bad = cert.clone();
    bad.signature.pop();
    assert!(matches!(
        verify_certificate(&bad, None),
        Err(VerifyError::Hex {
            field: Field::Signature,
            ..
        })
    ));
    let mut bad = cert.clone();
    bad.record_bytes.truncate(bad.record_bytes.len() - 2);
    assert!(matches!(
        verify_certificate(&bad, None),
        Err(VerifyError::RecordUndecodable(_))
    ));
    let mut bad = cert.clone();
    bad.signed_message.truncate(bad.signed_message.len() - 2);
    assert_eq!(
        verify_certificate(&bad, None),
        Err(VerifyError::SignedMessageMismatch)
    );
}

#[test]
fn key_that_is_not_a_curve_point_is_rejected() {
    let mut cert = valid();
    cert.group_public_key = format!("a0{}", "00".repeat(47));
    assert!(matches!(
        verify_certificate(&cert, None),
        Err(VerifyError::InvalidKey {
            field: Field::GroupPublicKey,
            ..
        })
    ));
}

#[test]
fn wrong_namespace_scheme_or_ciphersuite_is_rejected() {
    let mut cert = valid();
    cert.namespace = "_BYZVOTE_REVEAL".into();
    assert!(matches!(
        verify_certificate(&cert, None),
        Err(VerifyError::WrongNamespace { .. })
    ));
    let mut cert = valid();
    cert.scheme = "bls12381-threshold-minsig".into();
    assert!(matches!(
        verify_certificate(&cert, None),
        Err(VerifyError::UnsupportedScheme(_))
    ));
    let mut cert = valid();
    cert.ciphersuite = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_".into();
    assert!(matches!(
        verify_certificate(&cert, None),
        Err(VerifyError::UnsupportedCiphersuite(_))
    ));
}

fn no_agreement_record() -> crate::core_types::DecisionRecord {
    let mut r = record("unused");
    r.mode = "class:yes,no".parse().unwrap();
    r.outcome = crate::core_types::OutcomeKind::NoAgreement;
    r.answer = None;
    r.answer_digest = None;
    r.supporters = vec![];
    r.dissenters = vec![0, 1];
    r.silent = vec![2, 3];
    r
}

#[test]
fn no_agreement_certificate_verifies_and_has_no_answer() {
    let cert = certificate(SEED, no_agreement_record());
    let verified = verify_certificate(&cert, Some(&cert.group_public_key)).unwrap();
    assert_eq!(verified.record.answer, None);
    // Slipping an answer into the readable record is caught.
    let mut forged = cert.clone();
    forged.record.answer = Some("yes".into());
    assert_eq!(
        verify_certificate(&forged, None),
        Err(VerifyError::AnswerDigestMismatch)
    );
}

#[test]
fn verify_main_reads_a_certificate_or_a_whole_response() {
    let dir = tempfile::tempdir().unwrap();
    let cert = valid();
    let bare = dir.path().join("cert.json");
    std::fs::write(&bare, serde_json::to_string(&cert).unwrap()).unwrap();
    let (text, _) = crate::cli::verify_main(&bare, Some(&cert.group_public_key)).unwrap();
    assert!(text.starts_with("VALID certificate"), "{text}");
    let wrapped = dir.path().join("response.json");
    let response = crate::VoteResponse::decided(cert.clone(), vec![], 1);
    std::fs::write(&wrapped, serde_json::to_string(&response).unwrap()).unwrap();
    crate::cli::verify_main(&wrapped, None).unwrap();
    let mut tampered = cert.clone();
    tampered.record.answer = Some("Parix".into());
    std::fs::write(&bare, serde_json::to_string(&tampered).unwrap()).unwrap();
    let err = crate::cli::verify_main(&bare, None).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("INVALID certificate: the record's answer does not match"),
        "{err}"
    );
    let missing = crate::cli::verify_main(&dir.path().join("nope.json"), None).unwrap_err();
    assert!(missing.to_string().starts_with("cannot read"), "{missing}");
    std::fs::write(&bare, "{\"not\": \"a certificate\"}").unwrap();
    let err = crate::cli::verify_main(&bare, None).unwrap_err();
    assert!(
        err.to_string().contains("is not a byzvote certificate"),
        "{err}"
    );
}

/// Writes a certificate for checking with another BLS implementation (CERTIFICATE.md):
/// `BYZVOTE_CERT_OUT=/tmp/cert.json cargo test -p byzvote-api write_certificate_for_interop`.
#[test]
fn write_certificate_for_interop() {
    let cert = certificate(SEED, record("Paris is the capital of France."));
    verify_certificate(&cert, None).unwrap();
    if let Ok(path) = std::env::var("BYZVOTE_CERT_OUT") {
        std::fs::write(&path, serde_json::to_string_pretty(&cert).unwrap()).unwrap();
        let mut tampered = cert.clone();
        tampered.record.answer = Some("Paris is the capital of Francf.".into());
        tampered.record.answer_digest = Some(answer_digest("Paris is the capital of Francf."));
        tampered.record_bytes = hex::encode(tampered.record.encode());
        let root = forged_batch(&mut tampered);
        tampered.signed_message = hex::encode(commonware_utils::union_unique(
            tampered.namespace.as_bytes(),
            &root,
        ));
        let none = certificate(SEED, no_agreement_record());
        std::fs::write(
            format!("{path}.no_agreement.json"),
            serde_json::to_string_pretty(&none).unwrap(),
        )
        .unwrap();
        let tampered_path = format!("{path}.tampered.json");
        std::fs::write(
            tampered_path,
            serde_json::to_string_pretty(&tampered).unwrap(),
        )
        .unwrap();
    }
}

#[test]
fn an_altered_batch_proof_is_rejected() {
    let cert = valid();
    let not_in = Err(VerifyError::NotInBatch {
        index: 1,
        leaves: 3,
    });
    let mut bad = cert.clone();
    bad.batch.siblings[0] = hex::encode([7u8; 32]);
    assert_eq!(verify_certificate(&bad, None), not_in);
    let mut bad = cert.clone();
    bad.batch.root = hex::encode([7u8; 32]);
    assert_eq!(verify_certificate(&bad, None), not_in);
    let mut bad = cert.clone();
    bad.batch.index = 0;
    assert!(matches!(
        verify_certificate(&bad, None),
        Err(VerifyError::NotInBatch { index: 0, .. })
    ));
    let mut bad = cert.clone();
    bad.batch.leaves = 4;
    assert!(matches!(
        verify_certificate(&bad, None),
        Err(VerifyError::NotInBatch { leaves: 4, .. })
    ));
    let mut bad = cert.clone();
    bad.batch.siblings.pop();
    assert_eq!(verify_certificate(&bad, None), not_in);
    let mut bad = cert.clone();
    bad.batch.siblings[0].truncate(62);
    assert!(matches!(
        verify_certificate(&bad, None),
        Err(VerifyError::Length {
            field: crate::verify::Field::Batch,
            expected: 32,
            got: 31
        })
    ));
    let mut bad = cert.clone();
    bad.batch.root = "zz".into();
    assert!(matches!(
        verify_certificate(&bad, None),
        Err(VerifyError::Hex {
            field: crate::verify::Field::Batch,
            ..
        })
    ));
    // The untouched certificate still verifies.
    verify_certificate(&cert, None).unwrap();
}
