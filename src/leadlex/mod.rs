//! The LeadLex REST client: Lexi chat, tasks, AI follow-ups and contacts.

mod client;
mod error;
mod followups;
mod stream;
mod wire;

pub use client::{ChatContext, LeadLexClient};
pub use error::{LeadLexError, LeadLexErrorKind};
pub use followups::SEARCH_PAGE_SIZE;
pub use stream::{LexiEvent, LexiStream, SseError, SseParser, StreamLimits, ToolStep};
