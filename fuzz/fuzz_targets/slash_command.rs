//! Slash-command forms (`/followups`, `/lexi`, any other), as Slack posts them.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lexi_slack::fuzzing::slash_command(data));
