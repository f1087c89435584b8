//! Everything that speaks Slack: signatures, payloads, Block Kit, the Web API.

pub mod approval_blocks;
pub mod channel_post;
pub mod connector;
pub mod error;
pub mod events;
pub mod feedback_blocks;
pub mod followup_blocks;
pub mod markup;
pub mod mrkdwn;
pub mod private_message;
pub mod render;
pub mod reply_tag;
pub mod response_url;
pub mod split;
pub mod stream;
pub mod thread_replies;
pub mod verify;
pub mod web_api;

pub use error::{SlackError, SlackErrorKind};
pub use private_message::PrivateRecipient;
pub use reply_tag::ReplyTag;
pub use response_url::ResponseUrlPolicy;
pub use web_api::{BotIdentity, OutgoingMessage, Response, ResponseType, WebApi};
