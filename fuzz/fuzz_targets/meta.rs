#![no_main]
//! Fuzz target `meta`: see `byzvote_fuzz::meta` for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| byzvote_fuzz::meta(data));
