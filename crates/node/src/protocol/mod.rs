//! The voting protocol on top of the ordering layer (DESIGN.md §2).

pub mod audit;
pub mod audit_quick;
pub mod audit_show;
pub mod beacon;
pub mod bundle;
pub mod certify;
pub mod charge;
pub mod executor;
pub mod intake;
pub mod journal;
pub mod ledger;
pub mod memo;
pub mod meta;
pub mod prompt;
pub mod results;
pub mod similarity;
pub mod speculate;
pub mod spend;
pub mod state;
pub mod tx;
pub mod verdict;
