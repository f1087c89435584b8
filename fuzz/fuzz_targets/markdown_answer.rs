//! Lexi's Markdown answers rendered as Block Kit messages.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lexi_slack::fuzzing::markdown_answer(data));
