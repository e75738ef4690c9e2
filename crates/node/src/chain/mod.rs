//! The ordering layer: Commonware simplex + marshal over blocks of opaque transactions.

pub mod app;
pub mod block;
pub mod engine;
pub mod mempool;
pub mod types;
