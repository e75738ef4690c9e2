#![no_main]
//! Fuzz target `record`: see `byzvote_fuzz::record` for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| byzvote_fuzz::record(data));
