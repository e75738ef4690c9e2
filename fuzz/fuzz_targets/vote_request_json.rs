#![no_main]
//! Fuzz target `vote_request_json`: see `byzvote_fuzz::vote_request_json` for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| byzvote_fuzz::vote_request_json(data));
