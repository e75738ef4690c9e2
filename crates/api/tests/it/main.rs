//! The crate's integration tests, one module per former test file, in one binary: each file
//! was its own binary, and linking dozens of them took minutes of every clean build.

mod bad_input;
mod client;
mod common;
mod keys;
mod openai;
mod privacy;
mod review;
mod server;
mod verifier;
