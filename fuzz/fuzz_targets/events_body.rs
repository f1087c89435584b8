//! Events API bodies, as `POST /slack/events` receives them with a JSON content type.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lexi_slack::fuzzing::events_body(data));
