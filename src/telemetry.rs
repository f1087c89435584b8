//! Logging: human-readable by default, JSON lines with `LOG_FORMAT=json`; filtered by `RUST_LOG`.

use crate::config::LogFormat;
use tracing_subscriber::EnvFilter;

pub fn init(format: LogFormat) {
    init_with_default(format, "info,lexi_slack=info");
}

/// As [`init`], with `default_filter` when `RUST_LOG` is unset.
pub fn init_with_default(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        // Colours only for a person at a terminal: in a log file or a collector they are escape
        // codes to strip (half the log's bytes per answered message), and formatting them was a
        // fifth of the logging's instructions.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    // try_init: a second call (tests, the demo) keeps the first subscriber instead of panicking.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
