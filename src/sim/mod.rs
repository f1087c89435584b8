//! Simulated LeadLex and Slack servers on loopback HTTP: the fakes the tests, the demo and the benchmarks share.

mod conn;
mod leadlex;
mod record;
mod server;
#[cfg(test)]
mod tests;

pub use leadlex::{
    Contact, FakeLeadLex, JANE_DOE_ID, MARCUS_LEE_ID, SAM_CARTER_ID, SAM_PATEL_ID, Task,
};
pub use record::{Canned, Gate, Recorded, Timeout};
