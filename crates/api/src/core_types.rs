//! The `byzvote-core` types this crate uses, in one place, so that a change in core shows up here
//! first.

pub use byzvote_core::{
    DecisionRecord, Digest, Message, Mode, ModeError, OutcomeKind, Request,
    RequestError as CoreRequestError, Role, answer_digest, namespace,
    request::{MAX_CONTENT, MAX_MESSAGES, MAX_TOKENS},
};
