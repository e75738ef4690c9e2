#![no_main]
//! Fuzz target `dkg_wire`: see `byzvote_fuzz::dkg_wire` for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| byzvote_fuzz::dkg_wire(data));
