//! The signature of a quick-tier decision (tier 1 or 2): no threshold certificate, only the
//! serving node's identity signature over the decision record, and each member's signature on
//! its own answer (DESIGN.md §3). It proves what the serving node claimed and what each member
//! answered; it does not prove that a Byzantine quorum agreed. Ask tier 3+ for that.

use crate::core_types::{DecisionRecord, namespace};
use bytes::Bytes;
use commonware_codec::{DecodeExt as _, Encode as _};
use commonware_cryptography::{Verifier as _, ed25519};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A quick decision's signatures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attestation {
    /// The serving node's member index.
    pub node: u32,
    /// The serving node's identity (ed25519) public key, hex.
    pub public_key: String,
    /// Its signature over `record_hex` under `_BYZVOTE_QUICK_DECISION`, hex.
    pub signature: String,
    /// The encoded decision record, hex: the signed bytes.
    pub record_hex: String,
    /// The same record, decoded.
    pub record: DecisionRecord,
    /// Each answering member's signed answer.
    pub answers: Vec<SignedAnswer>,
}

/// One member's signed answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedAnswer {
    /// The member index.
    pub member: u32,
    /// Its identity public key, hex.
    pub public_key: String,
    /// Its canonical answer (or abstention).
    pub answer: String,
    /// The signed bytes followed by the 64-byte signature (under `_BYZVOTE_QUICK_ANSWER`), hex.
    pub signed_hex: String,
}

/// Why an attestation does not verify.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AttestationError {
    /// A field is not valid hex or not a valid key/signature/record.
    #[error("the attestation's `{0}` is malformed")]
    Malformed(&'static str),
    /// `record` is not what `record_hex` encodes.
    #[error("the attestation's `record` differs from the signed `record_hex`")]
    RecordMismatch,
    /// The node's signature does not verify.
    #[error("the serving node's signature over the record does not verify")]
    BadSignature,
    /// The key is not the one the caller trusts for that node.
    #[error("the attestation is signed by {got}, not by the expected node key {expected}")]
    WrongKey {
        /// The key in the attestation.
        got: String,
        /// The trusted key.
        expected: String,
    },
    /// A member's signed answer does not verify or is for another request, member or answer.
    #[error("member {0}'s signed answer does not verify or does not match")]
    BadAnswer(u32),
}

fn key(hex_key: &str, field: &'static str) -> Result<ed25519::PublicKey, AttestationError> {
    let bytes = hex::decode(hex_key).map_err(|_| AttestationError::Malformed(field))?;
    ed25519::PublicKey::decode(Bytes::from(bytes)).map_err(|_| AttestationError::Malformed(field))
}

impl Attestation {
    /// Checks the node's signature over the record and every member's signed answer; with
    /// `expected_key`, also that the node is the one the caller trusts. Returns the record.
    pub fn verify(&self, expected_key: Option<&str>) -> Result<&DecisionRecord, AttestationError> {
        if let Some(expected) = expected_key
            && !expected.eq_ignore_ascii_case(&self.public_key)
        {
            return Err(AttestationError::WrongKey {
                got: self.public_key.clone(),
                expected: expected.to_string(),
            });
        }
        let node = key(&self.public_key, "public_key")?;
        let record_bytes =
            hex::decode(&self.record_hex).map_err(|_| AttestationError::Malformed("record_hex"))?;
        let decoded = DecisionRecord::decode(Bytes::from(record_bytes.clone()))
            .map_err(|_| AttestationError::Malformed("record_hex"))?;
        if decoded != self.record || decoded.encode().as_ref() != record_bytes.as_slice() {
            return Err(AttestationError::RecordMismatch);
        }
        let sig_bytes =
            hex::decode(&self.signature).map_err(|_| AttestationError::Malformed("signature"))?;
        let signature = ed25519::Signature::decode(Bytes::from(sig_bytes))
            .map_err(|_| AttestationError::Malformed("signature"))?;
        if !node.verify(namespace::BYZVOTE_QUICK_DECISION, &record_bytes, &signature) {
            return Err(AttestationError::BadSignature);
        }
        for a in &self.answers {
            let bad = || AttestationError::BadAnswer(a.member);
            let member = key(&a.public_key, "answers.public_key")?;
            let bytes = hex::decode(&a.signed_hex).map_err(|_| bad())?;
            let Some(split) = bytes.len().checked_sub(64) else {
                return Err(bad());
            };
            let (body, sig) = bytes.split_at(split);
            let sig = ed25519::Signature::decode(Bytes::copy_from_slice(sig)).map_err(|_| bad())?;
            // body = request (32) | member (4) | … | answer len (4) | answer
            let answer = a.answer.as_bytes();
            let ok = member.verify(namespace::BYZVOTE_QUICK_ANSWER, body, &sig)
                && body.len() >= 36 + 4 + answer.len()
                && body[..32] == *self.record.request.as_ref()
                && body[32..36] == a.member.to_be_bytes()
                && body.ends_with(answer)
                && body[body.len() - answer.len() - 4..body.len() - answer.len()]
                    == (answer.len() as u32).to_be_bytes();
            if !ok {
                return Err(bad());
            }
        }
        Ok(&self.record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::record;
    use commonware_cryptography::Signer as _;

    /// A tier-2 attestation by node 0 over `record("paris")` with member 0's signed answer.
    fn attestation() -> (Attestation, ed25519::PrivateKey) {
        let key = ed25519::PrivateKey::from_seed(1);
        let mut r = record("paris");
        r.tier = 2;
        let bytes = r.encode();
        let signature = key.sign(namespace::BYZVOTE_QUICK_DECISION, &bytes);
        // The member's signed body: request | member | (meta fields, opaque here) | len | answer.
        let mut body = r.request.as_ref().to_vec();
        body.extend_from_slice(&0u32.to_be_bytes());
        body.extend_from_slice(&[0; 26]);
        body.extend_from_slice(&5u32.to_be_bytes());
        body.extend_from_slice(b"paris");
        let answer_sig = key.sign(namespace::BYZVOTE_QUICK_ANSWER, &body);
        body.extend_from_slice(&answer_sig.encode());
        let public_key = hex::encode(key.public_key().encode());
        let att = Attestation {
            node: 0,
            public_key: public_key.clone(),
            signature: hex::encode(signature.encode()),
            record_hex: hex::encode(&bytes),
            record: r,
            answers: vec![SignedAnswer {
                member: 0,
                public_key,
                answer: "paris".into(),
                signed_hex: hex::encode(&body),
            }],
        };
        (att, key)
    }

    #[test]
    fn a_genuine_attestation_verifies_and_pins() {
        let (att, key) = attestation();
        assert!(att.verify(None).is_ok());
        let pk = hex::encode(key.public_key().encode());
        assert!(att.verify(Some(&pk)).is_ok());
        let other = hex::encode(ed25519::PrivateKey::from_seed(2).public_key().encode());
        assert!(matches!(
            att.verify(Some(&other)),
            Err(AttestationError::WrongKey { .. })
        ));
    }

    #[test]
    fn every_tampering_is_caught() {
        let (att, _) = attestation();
        let mut a = att.clone();
        a.record.answer = Some("rome".into());
        assert_eq!(a.verify(None), Err(AttestationError::RecordMismatch));
        let mut a = att.clone();
        let mut bytes = hex::decode(&a.record_hex).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        a.record_hex = hex::encode(bytes);
        assert!(a.verify(None).is_err());
        let mut a = att.clone();
        a.answers[0].answer = "rome".into();
        assert_eq!(a.verify(None), Err(AttestationError::BadAnswer(0)));
        let mut a = att.clone();
        a.answers[0].member = 1;
        assert_eq!(a.verify(None), Err(AttestationError::BadAnswer(1)));
        let mut a = att;
        a.signature = "00".repeat(64);
        assert_eq!(a.verify(None), Err(AttestationError::BadSignature));
    }

    #[test]
    fn a_tier_3_answer_with_only_an_attestation_is_refused() {
        let (mut att, _) = attestation();
        att.record.tier = 3;
        let response = crate::types::VoteResponse {
            id: hex::encode(att.record.request),
            status: crate::types::VoteStatus::Decided,
            outcome: Some(crate::types::Outcome::Agreed),
            answer: Some("paris".into()),
            mode: "exact".into(),
            tier: 3,
            votes: vec![],
            cost_usd: 0.0,
            latency_ms: 1,
            certificate: None,
            confidence: None,
            attestation: Some(att),
            route: None,
            masked: Default::default(),
            review: None,
            verification: None,
        };
        let e = crate::consistency::check_response(&response, None, None).unwrap_err();
        assert!(e.to_string().contains("threshold certificate"), "{e}");
    }
}
