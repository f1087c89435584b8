//! One integration-test binary: the real router on a port, real sled in a temp dir, simulated
//! Slack and LeadLex over loopback HTTP, signed requests in, assertions on what the fakes saw.

mod adoption;
mod agent_surface;
mod approval_follow;
mod approvals;
mod backpressure;
mod check;
mod conversation;
mod demo;
mod durability;
mod failures;
mod feedback;
mod followups;
mod followups_buttons;
mod followups_failures;
mod helpers;
mod hostile;
mod lexi_command;
mod metrics;
mod placeholder;
mod quota;
mod soak;
mod soak_audit;
mod socket_mode;
mod socket_reconnect;
mod streaming;
mod tasks_command;
mod verification;
