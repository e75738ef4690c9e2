//! The production shell around a node: config files, `init`, the tokio runner and the
//! HTTP gateway.

pub mod config;
pub mod gateway;
pub mod init;
pub mod run;
pub mod sanitise;
