//! byzvote-node: a coordinator node — the application on top of Commonware.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

pub mod chain;
pub mod node;
pub mod protocol;
pub mod quick;
pub mod service;
pub mod timing;
