//! lexi-slack: LeadLex's AI sales assistant Lexi, inside Slack threads.

pub mod sim;
pub mod slack;
