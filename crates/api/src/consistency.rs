//! Checks that a whole [`VoteResponse`] says what its certificate certifies.
//!
//! A valid certificate proves the decision record; the rest of a response (`answer`, `outcome`,
//! `id`...) is only the serving node's word, and a lying node, or whoever edited a saved file,
//! could change it and keep the certificate. So a client or `byzvote verify` that shows the
//! response's `answer` first checks it against the certified record, and a client also checks that
//! the record is for the request it sent.

use crate::{
    core_types::OutcomeKind,
    types::{Outcome, VoteResponse},
    verify::{VerifiedDecision, VerifyError, verify_certificate},
};
use thiserror::Error;

/// Why a response cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ResponseError {
    /// The certificate itself is invalid.
    #[error(transparent)]
    Certificate(#[from] VerifyError),
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
/// for a response without a certificate (still pending), which proves nothing.
pub fn check_response(
    response: &VoteResponse,
    expected_group_key: Option<&str>,
    sent_request_id: Option<&str>,
) -> Result<Option<VerifiedDecision>, ResponseError> {
    let Some(cert) = &response.certificate else {
        return Ok(None);
    };
    let verified = verify_certificate(cert, expected_group_key)?;
    let record = &verified.record;
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
    Ok(Some(verified))
}
