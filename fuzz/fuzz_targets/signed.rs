#![no_main]
//! Fuzz target `signed`: see `byzvote_fuzz::signed` for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| byzvote_fuzz::signed(data));
