//! Offline verification of a [`Certificate`] with nothing but the group public key.
//!
//! Each check has its own error, so `byzvote verify` says exactly what was altered:
//!
//! 1. `scheme` and `ciphersuite` are the ones this verifier implements;
//! 2. the group key is 48 bytes of hex and a valid G1 point (and equals the expected key, if one
//!    is given: without it, the certificate only proves that *some* key signed);
//! 3. the signature is 96 bytes of hex and a valid G2 point;
//! 4. the readable record's answer digest is the sha256 of its answer text;
//! 5. `record_bytes` decodes to a valid decision record equal to `record` (so the decoded record
//!    a human reads is the one that was signed);
//! 6. `batch` proves `record_bytes` is in the batch with `batch.root` (the Merkle tree of
//!    `byzvote_core::batch`);
//! 7. `namespace` is the decision namespace and `signed_message` is exactly
//!    `union_unique(namespace, batch.root)`;
//! 8. the BLS signature over `signed_message` verifies under the group key.

use crate::core_types::DecisionRecord;
use crate::types::{
    Certificate,
    certificate::BatchProof,
    certificate::{CIPHERSUITE, GROUP_KEY_LEN, SCHEME, SIGNATURE_LEN, decision_namespace},
};
use commonware_codec::{Copying, DecodeExt, Encode};
use commonware_cryptography::bls12381::primitives::{
    ops,
    variant::{MinPk, Variant},
};
use thiserror::Error;

/// A certificate that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedDecision {
    /// The group key it verified under (lowercase hex).
    pub group_public_key: String,
    /// Whether that key was compared with one the caller trusts (`--group-key`).
    pub key_pinned: bool,
    /// The signed decision record.
    pub record: DecisionRecord,
}

/// Which field of a certificate a hex or length error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `group_public_key`.
    GroupPublicKey,
    /// The expected group key given by the caller (`--group-key`).
    ExpectedGroupKey,
    /// `signature`.
    Signature,
    /// `record_bytes`.
    RecordBytes,
    /// `signed_message`.
    SignedMessage,
    /// `batch` (its root or a sibling).
    Batch,
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Field::GroupPublicKey => "group_public_key",
            Field::ExpectedGroupKey => "the expected group key (--group-key)",
            Field::Signature => "signature",
            Field::RecordBytes => "record_bytes",
            Field::SignedMessage => "signed_message",
            Field::Batch => "batch",
        })
    }
}

/// Why a certificate was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VerifyError {
    /// A scheme this verifier does not implement.
    #[error("unsupported scheme {0:?}; this verifier checks {SCHEME:?} certificates")]
    UnsupportedScheme(String),
    /// A ciphersuite this verifier does not implement.
    #[error("unsupported ciphersuite {0:?}; this verifier checks {CIPHERSUITE:?}")]
    UnsupportedCiphersuite(String),
    /// A field is not hex.
    #[error("{field} is not valid hex: {reason}")]
    Hex {
        /// The field.
        field: Field,
        /// The decoder's message.
        reason: String,
    },
    /// A key or signature has the wrong length (e.g. truncated).
    #[error("{field} must be {expected} bytes ({} hex characters), got {got} bytes: truncated or not a min-pk BLS value", expected * 2)]
    Length {
        /// The field.
        field: Field,
        /// Required length in bytes.
        expected: usize,
        /// Actual length in bytes.
        got: usize,
    },
    /// The group key bytes are not a valid G1 point of the prime-order subgroup.
    #[error("{field} is not a valid BLS12-381 G1 public key: {reason}")]
    InvalidKey {
        /// `GroupPublicKey` or `ExpectedGroupKey`.
        field: Field,
        /// The decoder's message.
        reason: String,
    },
    /// The signature bytes are not a valid G2 point of the prime-order subgroup.
    #[error("signature is not a valid BLS12-381 G2 point: {0}; the signature was altered")]
    InvalidSignaturePoint(String),
    /// The certificate's key is not the one the caller trusts.
    #[error(
        "the certificate is signed for group key {got}, not the expected {expected}: it comes from another cluster or was re-signed"
    )]
    GroupKeyMismatch {
        /// The trusted key (hex).
        expected: String,
        /// The certificate's key (hex).
        got: String,
    },
    /// `record_bytes` is not a canonical decision record encoding.
    #[error(
        "record_bytes is not a valid decision record encoding: {0}; the signed record was altered"
    )]
    RecordUndecodable(String),
    /// `record` differs from what `record_bytes` decodes to.
    #[error(
        "the decoded record differs from record_bytes in field `{field}`: the readable record was altered (or record_bytes was)"
    )]
    RecordMismatch {
        /// The first top-level field that differs.
        field: String,
    },
    /// The answer text does not hash to the record's answer digest.
    #[error("the record's answer does not match its answer digest: the answer was altered")]
    AnswerDigestMismatch,
    /// The namespace is not the decision namespace.
    #[error(
        "namespace is {got:?}, not the decision namespace {expected:?}: this signature is not a decision certificate"
    )]
    WrongNamespace {
        /// The decision namespace.
        expected: String,
        /// The certificate's namespace.
        got: String,
    },
    /// The batch proof does not lead from `record_bytes` to `batch.root`.
    #[error(
        "record_bytes is not in the batch with root batch.root (index {index} of {leaves}): the record or its batch proof was altered"
    )]
    NotInBatch {
        /// The claimed position.
        index: u32,
        /// The claimed batch size.
        leaves: u32,
    },
    /// `signed_message` is not `union_unique(namespace, batch.root)`.
    #[error(
        "signed_message is not varint(len(namespace)) || namespace || batch.root: the signed bytes do not commit to this batch"
    )]
    SignedMessageMismatch,
    /// The BLS signature does not verify.
    #[error(
        "the BLS signature does not verify under the group key: the signature or the signed record was altered"
    )]
    BadSignature,
}

/// Checks a certificate; see the module documentation for the list of checks. With
/// `expected_group_key` (hex), also checks that the certificate is from that cluster.
pub fn verify_certificate(
    cert: &Certificate,
    expected_group_key: Option<&str>,
) -> Result<VerifiedDecision, VerifyError> {
    if cert.scheme != SCHEME {
        return Err(VerifyError::UnsupportedScheme(cert.scheme.clone()));
    }
    if cert.ciphersuite != CIPHERSUITE {
        return Err(VerifyError::UnsupportedCiphersuite(
            cert.ciphersuite.clone(),
        ));
    }
    let key = parse_group_key(&cert.group_public_key, Field::GroupPublicKey)?;
    if let Some(expected) = expected_group_key {
        let expected = parse_group_key(expected, Field::ExpectedGroupKey)?;
        if expected != key {
            return Err(VerifyError::GroupKeyMismatch {
                expected: hex::encode(expected.encode()),
                got: hex::encode(key.encode()),
            });
        }
    }
    let signature = parse_signature(&cert.signature)?;
    // The readable record first: its answer is what a human reads.
    if !cert.record.answer_matches_digest() {
        return Err(VerifyError::AnswerDigestMismatch);
    }
    let record_bytes = decode_hex(&cert.record_bytes, Field::RecordBytes)?;
    let record = check_record(&cert.record, &record_bytes)?;
    let namespace = decision_namespace();
    if cert.namespace != namespace {
        return Err(VerifyError::WrongNamespace {
            expected: namespace.to_string(),
            got: cert.namespace.clone(),
        });
    }
    let proof = parse_batch(&cert.batch)?;
    if !proof.includes(&record_bytes) {
        return Err(VerifyError::NotInBatch {
            index: proof.index,
            leaves: proof.leaves,
        });
    }
    let signed_message = decode_hex(&cert.signed_message, Field::SignedMessage)?;
    if signed_message != commonware_utils::union_unique(namespace.as_bytes(), &proof.root) {
        return Err(VerifyError::SignedMessageMismatch);
    }
    ops::verify::<MinPk>(&key, MinPk::MESSAGE, &signed_message, &signature)
        .map_err(|_| VerifyError::BadSignature)?;
    Ok(VerifiedDecision {
        group_public_key: hex::encode(key.encode()),
        key_pinned: expected_group_key.is_some(),
        record,
    })
}

/// Decodes `record_bytes` (core's decoder checks the record's invariants, including its answer
/// digest) and checks that it equals the readable `record`.
fn check_record(record: &DecisionRecord, bytes: &[u8]) -> Result<DecisionRecord, VerifyError> {
    let decoded = DecisionRecord::decode(Copying(bytes))
        .map_err(|e| VerifyError::RecordUndecodable(e.to_string()))?;
    if &decoded != record {
        return Err(VerifyError::RecordMismatch {
            field: first_difference(record, &decoded),
        });
    }
    Ok(decoded)
}

/// Names the first top-level JSON field in which two records differ, for the error message.
fn first_difference(a: &DecisionRecord, b: &DecisionRecord) -> String {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return "?".to_string();
    };
    a.iter()
        .find(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .or_else(|| b.keys().find(|k| !a.contains_key(*k)).cloned())
        .unwrap_or_else(|| "?".to_string())
}

/// The batch proof with its digests parsed (each 32 bytes of hex).
fn parse_batch(batch: &BatchProof) -> Result<byzvote_core::batch::Proof, VerifyError> {
    let digest = |text: &str| -> Result<byzvote_core::Digest, VerifyError> {
        let bytes = decode_hex(text, Field::Batch)?;
        byzvote_core::Digest::decode(Copying(bytes.as_slice())).map_err(|_| VerifyError::Length {
            field: Field::Batch,
            expected: 32,
            got: bytes.len(),
        })
    };
    if batch.siblings.len() > byzvote_core::batch::MAX_SIBLINGS {
        return Err(VerifyError::NotInBatch {
            index: batch.index,
            leaves: batch.leaves,
        });
    }
    Ok(byzvote_core::batch::Proof {
        root: digest(&batch.root)?,
        index: batch.index,
        leaves: batch.leaves,
        siblings: batch
            .siblings
            .iter()
            .map(|s| digest(s))
            .collect::<Result<_, _>>()?,
    })
}

fn decode_hex(text: &str, field: Field) -> Result<Vec<u8>, VerifyError> {
    let text = text.trim();
    let text = text.strip_prefix("0x").unwrap_or(text);
    hex::decode(text).map_err(|e| VerifyError::Hex {
        field,
        reason: e.to_string(),
    })
}

/// Parses a hex group public key (48-byte compressed G1, subgroup-checked).
pub fn parse_group_key(
    text: &str,
    field: Field,
) -> Result<<MinPk as Variant>::Public, VerifyError> {
    let bytes = decode_hex(text, field)?;
    if bytes.len() != GROUP_KEY_LEN {
        return Err(VerifyError::Length {
            field,
            expected: GROUP_KEY_LEN,
            got: bytes.len(),
        });
    }
    <MinPk as Variant>::Public::decode(Copying(bytes.as_slice())).map_err(|e| {
        VerifyError::InvalidKey {
            field,
            reason: e.to_string(),
        }
    })
}

fn parse_signature(text: &str) -> Result<<MinPk as Variant>::Signature, VerifyError> {
    let bytes = decode_hex(text, Field::Signature)?;
    if bytes.len() != SIGNATURE_LEN {
        return Err(VerifyError::Length {
            field: Field::Signature,
            expected: SIGNATURE_LEN,
            got: bytes.len(),
        });
    }
    <MinPk as Variant>::Signature::decode(Copying(bytes.as_slice()))
        .map_err(|e| VerifyError::InvalidSignaturePoint(e.to_string()))
}
