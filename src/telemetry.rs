//! Logging: human-readable by default, JSON lines with `LOG_FORMAT=json`; filtered by `RUST_LOG`.

use crate::config::LogFormat;
use std::future::Future;
use tracing::{Instrument, Span, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

pub fn init(format: LogFormat) {
    init_with_default(format, "info,lexi_slack=info");
}

/// As [`init`], with `default_filter` when `RUST_LOG` is unset.
pub fn init_with_default(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    // try_init: a second call (tests, the demo) keeps the first subscriber instead of panicking.
    let _ = match format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(false)
            // Colours only for a person at a terminal: in a log file or a collector they are
            // escape codes to strip (half the log's bytes per answered message), and formatting
            // them was a fifth of the logging's instructions.
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .finish()
            .try_init(),
        LogFormat::Json => json_lines(filter, std::io::stdout).try_init(),
    };
}

/// What `LOG_FORMAT=json` writes, to `writer`: one object per line, the event's fields at the
/// top level, and its spans (the job's `job_id`, `kind`, `event`, `leadlex_request_id`) under
/// `span` and `spans`. Public so a test can read exactly the lines an operator gets.
pub fn json_lines<W>(filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .json()
        .flatten_event(true)
        .with_writer(writer)
        .finish()
}

tokio::task_local! {
    /// The span of the job this task is running.
    static JOB_SPAN: Span;
}

/// Runs one attempt of a job inside its span, remembered so that [`note_leadlex_request_id`]
/// reaches it from however deep the call is.
///
/// `Span::current().record(..)` would only reach the innermost span, and handlers open their
/// own (`converse`, `followups`) that don't declare the field: the id would be dropped there.
/// Reaching the job's span directly keeps those handlers as they are, and every line of the
/// job, in its inner spans too, carries the id (text format prints every span's fields; JSON
/// lists them under `spans`).
pub async fn in_job_span<F: Future>(span: Span, attempt: F) -> F::Output {
    JOB_SPAN.scope(span.clone(), attempt.instrument(span)).await
}

/// Records LeadLex's `X-Request-ID` on the running job's span, so its later log lines carry
/// it (the latest call's, when a job makes several). Outside a job (`check`) it does nothing.
pub fn note_leadlex_request_id(request_id: &str) {
    let _ = JOB_SPAN.try_with(|span| {
        span.record("leadlex_request_id", request_id);
    });
}
