//! The crate's integration tests, one module per former test file, in one binary: each file
//! was its own binary, and linking dozens of them took minutes of every clean build.

mod chain;
mod charge;
mod common;
mod load;
mod protocol;
mod quick;
mod quick_audit;
