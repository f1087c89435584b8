//! Simulated LeadLex and Slack servers on loopback HTTP: the fakes the tests, the demo and the benchmarks share.
//!
//! Each server binds `127.0.0.1:0` (or a given address), records every request on arrival, answers
//! with plausible defaults from an in-memory model, and can be scripted per route with one-shot
//! [`Canned`] answers (errors, delays, resets, hangs) and [`Gate`]s that hold requests until
//! released. Dropping a server stops it.

mod conn;
mod leadlex;
mod record;
mod server;
mod slack;
#[cfg(test)]
mod tests;

pub use leadlex::{
    Contact, FakeLeadLex, JANE_DOE_ID, MARCUS_LEE_ID, SAM_CARTER_ID, SAM_PATEL_ID, Task,
};
pub use record::{Canned, Gate, Recorded, Timeout};
pub use slack::{
    AssistantThread, BOT_ID, BOT_USER_ID, FakeSlack, Message, TEAM_ID, render_blocks, render_text,
};
