//! lexi-slack: LeadLex's AI sales assistant Lexi, inside Slack threads.
//!
//! ```text
//! Slack ──HTTP──▶ http (verify → parse → persist a job → ack < 3 s)
//!                          │
//!                      store (sled): jobs, seen event ids, thread → conversation, approvals
//!                          │
//!                 worker ──▶ bot (converse, decide, follow a task, …)
//!                               ├──▶ leadlex (chat, tasks, …)
//!                               └──▶ slack   (Block Kit, Web API)
//! ```

pub mod bot;
pub mod check;
pub mod config;
pub mod demo;
pub mod domain;
pub mod fuzzing;
pub mod http;
pub mod leadlex;
pub mod metrics;
pub mod outbound;
pub mod sim;
pub mod slack;
pub mod socket;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod worker;
