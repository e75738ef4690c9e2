#![no_main]
//! Fuzz target `block`: see `byzvote_fuzz::block` for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| byzvote_fuzz::block(data));
