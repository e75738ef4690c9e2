//! The crate's integration tests, one module per former test file, in one binary: each file
//! was its own binary, and linking dozens of them took minutes of every clean build.

mod behaviours;
mod beyond_bound;
mod invariants;
mod regressions;
mod restart;
mod sweep;
