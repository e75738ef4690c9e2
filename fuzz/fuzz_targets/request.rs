#![no_main]
//! Fuzz target `request`: see `byzvote_fuzz::request` for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| byzvote_fuzz::request(data));
