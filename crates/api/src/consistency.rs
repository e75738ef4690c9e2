//! Checks that a whole [`VoteResponse`] says what its certificate certifies.
//!
//! A valid certificate proves the decision record; the rest of a response (`answer`, `outcome`,
//! `id`...) is only the serving node's word, and a lying node, or whoever edited a saved file,
//! could change it and keep the certificate. So a client or `byzvote verify` that shows the
//! response's `answer` first checks it against the certified record, and a client also checks that
//! the record is for the request it sent.

use crate::{
    core_types::OutcomeKind,
    types::{AttestationError, Outcome, VoteResponse},
    verify::{VerifiedDecision, VerifyError, verify_certificate},
};
use thiserror::Error;

/// Why a response cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ResponseError {
    /// The certificate itself is invalid.
    #[error(transparent)]
    Certificate(#[from] VerifyError),
    /// A quick tier's attestation (node and member signatures) is invalid.
    #[error("invalid tier-{tier} attestation: {source}")]
    Attestation {
        /// The tier it claims.
        tier: u8,
        /// Why.
        #[source]
        source: AttestationError,
    },
    /// A tier 3+ answer came with only a node's signature, not a threshold certificate.
    #[error(
        "a tier-{tier} answer must carry a threshold certificate, but this one is only signed by \
         the serving node: do not trust it; ask another node"
    )]
    Uncertified {
        /// The tier claimed.
        tier: u8,
    },
    /// A response field disagrees with the certified record.
    #[error(
        "the response's `{field}` ({response}) differs from the certified record's ({record}): \
         the response was altered; trust only the certificate's record"
    )]
    Mismatch {
        /// The field (`id`, `answer`, `outcome`, `mode`, `tier`).
        field: &'static str,
        /// The response's value.
        response: String,
        /// The record's value.
        record: String,
    },
    /// The certified record is for another request than the one sent.
    #[error(
        "the certificate is for request {certified}, not for the request sent ({sent}): the node \
         answered another question; ask another node"
    )]
    WrongRequest {
        /// Id of the request sent (hex).
        sent: String,
        /// Id in the certified record (hex).
        certified: String,
    },
}

/// Verifies the response's certificate (if any) and that the response agrees with it.
///
/// `sent_request_id`: the hex id of the request the caller sent, when it knows it. Returns `None`
/// for a response without a certificate: still pending, which proves nothing, or a quick tier
/// (1-2), whose attestation is checked here (node and member signatures, same field checks) but
/// is not a threshold certificate.
pub fn check_response(
    response: &VoteResponse,
    expected_group_key: Option<&str>,
    sent_request_id: Option<&str>,
) -> Result<Option<VerifiedDecision>, ResponseError> {
    let (verified, record) = match (&response.certificate, &response.attestation) {
        (Some(cert), _) => {
            let v = verify_certificate(cert, expected_group_key)?;
            let record = v.record.clone();
            (Some(v), record)
        }
        (None, Some(att)) => {
            if att.record.tier > 2 || response.tier > 2 {
                return Err(ResponseError::Uncertified {
                    tier: att.record.tier.max(response.tier),
                });
            }
            let record = att
                .verify(None)
                .map_err(|source| ResponseError::Attestation {
                    tier: att.record.tier,
                    source,
                })?
                .clone();
            (None, record)
        }
        (None, None) => return Ok(None),
    };
    let record = &record;
    let certified_id = hex::encode(record.request);
    if let Some(sent) = sent_request_id
        && !sent.eq_ignore_ascii_case(&certified_id)
    {
        return Err(ResponseError::WrongRequest {
            sent: sent.to_string(),
            certified: certified_id,
        });
    }
    let outcome = match record.outcome {
        OutcomeKind::Agreed => Outcome::Agreed,
        OutcomeKind::NoAgreement => Outcome::NoAgreement,
    };
    let checks: [(&'static str, String, String); 5] = [
        ("id", response.id.to_ascii_lowercase(), certified_id),
        (
            "answer",
            format!("{:?}", response.answer),
            format!("{:?}", record.answer),
        ),
        (
            "outcome",
            format!("{:?}", response.outcome),
            format!("{:?}", Some(outcome)),
        ),
        ("mode", response.mode.clone(), record.mode.to_string()),
        ("tier", response.tier.to_string(), record.tier.to_string()),
    ];
    for (field, response, record) in checks {
        if response != record {
            return Err(ResponseError::Mismatch {
                field,
                response,
                record,
            });
        }
    }
    Ok(verified)
}
