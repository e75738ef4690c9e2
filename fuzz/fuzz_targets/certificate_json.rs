#![no_main]
//! Fuzz target `certificate_json`: see `byzvote_fuzz::certificate_json` for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| byzvote_fuzz::certificate_json(data));
