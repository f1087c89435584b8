//! Simulated LeadLex and Slack servers on loopback HTTP: the fakes the tests, the demo and the benchmarks share.
