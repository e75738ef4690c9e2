#![no_main]
//! Fuzz target `tx`: see `byzvote_fuzz::tx` for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| byzvote_fuzz::tx(data));
