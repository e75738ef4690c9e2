#![no_main]
//! Fuzz target `openai_json`: see `byzvote_fuzz::openai_json` for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| byzvote_fuzz::openai_json(data));
