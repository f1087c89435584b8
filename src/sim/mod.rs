//! Simulated LeadLex and Slack servers on loopback HTTP: the fakes the tests, the demo and the benchmarks share.
//!
//! Each server binds `127.0.0.1:0` (or a given address), records every request on arrival, answers
//! with plausible defaults from an in-memory model, and can be scripted per route with one-shot
//! [`Canned`] answers (errors, delays, resets, hangs) and [`Gate`]s that hold requests until
//! released, and made to fail on purpose by a seeded [`FaultPlan`] or an outage switch. Dropping
//! a server stops it.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::time::Duration;
//! use lexi_slack::sim::{Canned, FakeLeadLex, FakeSlack, render_text};
//! use serde_json::json;
//!
//! let leadlex = FakeLeadLex::start().await?; // base_url(): http://127.0.0.1:PORT
//! let slack = FakeSlack::start().await?; // base_url(): http://127.0.0.1:PORT/api
//! let root = slack.add_user_message("C1", "U1", "<@U0LEXI> find CEOs in Boston", None);
//! let busy = json!({"error": {"code": "rate_limited", "message": "Rate limit exceeded"}});
//! leadlex.enqueue("POST", "/v1/lexi/chat", Canned::json(429, busy).header("Retry-After", "1"));
//! // ... start the bot against both base URLs and deliver the mention ...
//! leadlex.wait_for("/v1/lexi/chat", 2, Duration::from_secs(5)).await.expect("a retry");
//! slack.wait_for("chat.postMessage", 1, Duration::from_secs(5)).await.expect("a reply");
//! let shown: Vec<String> = slack.thread("C1", &root).iter().map(render_text).collect();
//! # Ok(()) }
//! ```

mod conn;
mod counting;
mod fault;
mod leadlex;
mod record;
mod server;
mod slack;
#[cfg(test)]
mod tests;

pub use counting::{
    COUNTING_ANSWER, Counting, CountingLeadLex, CountingSlack, LeadLexApi, SlackApi, SlackCall,
    SlackTap,
};
pub use fault::{FaultKind, FaultPlan};
pub use leadlex::{
    Contact, FakeLeadLex, JANE_DOE_ID, MARCUS_LEE_ID, SAM_CARTER_ID, SAM_PATEL_ID, Task,
};
pub use record::{Canned, Gate, Recorded, Timeout};
pub use slack::{
    AssistantThread, BOT_ID, BOT_USER_ID, FakeSlack, FakeSocket, Message, NoConnection,
    SocketTimeout, TEAM_ID, render_blocks, render_text,
};
