//! The signature verifier: input is `secret NUL timestamp NUL signature NUL body`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lexi_slack::fuzzing::signature(data));
