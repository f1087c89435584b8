//! Interaction payloads (the JSON in a button click's `payload` field).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lexi_slack::fuzzing::interaction_payload(data));
