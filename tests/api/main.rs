//! One integration-test binary: the real router on a port, real sled in a temp dir, simulated
//! Slack and LeadLex over loopback HTTP, signed requests in, assertions on what the fakes saw.

mod approval_follow;
mod approvals;
mod conversation;
mod durability;
mod failures;
mod helpers;
mod tasks_command;
mod verification;
