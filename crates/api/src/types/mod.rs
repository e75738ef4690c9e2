//! The JSON contract of the native API: requests, responses, certificates.

pub mod attestation;
pub mod certificate;
pub mod request;
pub mod response;
pub mod tier;

pub use attestation::{Attestation, AttestationError};
pub use certificate::Certificate;
pub use request::{Message, RequestError, Role, VoteRequest};
pub use response::{
    ClusterInfo, Confidence, MemberInfo, MemberStatus, MemberVote, Outcome, RouteInfo,
    VoteResponse, VoteStatus,
};
pub use tier::TierChoice;
