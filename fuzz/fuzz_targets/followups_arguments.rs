//! The text after `/followups`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lexi_slack::fuzzing::followups_arguments(data));
