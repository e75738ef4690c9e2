//! Dealerless group key for the byzvote coordinators.
//!
//! Every coordinator node ends with a share of one BLS12-381 group key (`MinPk`: 48-byte public
//! key, 96-byte signatures, standard `POP` ciphersuite), so that any `2f+1` of them can certify
//! a decision record that anyone verifies with the group key alone (DESIGN.md §2 step 6).
//!
//! The key comes from Commonware's Joint-Feldman DKG
//! ([`commonware_cryptography::bls12381::dkg::feldman_desmedt`]): every participant is both a
//! dealer and a player; nobody ever holds the whole secret.
//!
//! * [`ceremony`] drives one round over one Commonware p2p channel, on any runtime.
//! * [`agreement`] is the one thing the DKG cannot do on its own: make every node use the same
//!   set of dealer logs. [`agreement::AllDealers`] does it without consensus (needs all `n` up);
//!   the node implements [`agreement::Agreement`] with consensus to tolerate `f` down.
//! * [`output::DkgOutput`] is the result (group key, public polynomial, my share), with atomic
//!   `save`/`load`.
//! * [`threshold`] signs, verifies, recovers and hex-encodes with that output.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod agreement;
pub mod ceremony;
mod config;
mod error;
pub mod output;
#[cfg(test)]
mod tests;
pub mod threshold;
mod types;
pub mod wire;

pub use agreement::{Agreement, AllDealers, Gossip, OrderedFeed, OrderedLogs};
pub use ceremony::{CeremonyReport, answer, load_logs, run, save_logs};
pub use config::{CeremonyConfig, Timeouts};
pub use error::{AgreementError, CeremonyError, Evidence};
pub use output::{DkgOutput, OutputError};
pub use threshold::ThresholdError;
pub use types::*;
