//! Socket Mode's wire format: the text frames Slack sends (`hello`, `disconnect`, envelopes) and the ack the bot returns.

use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

/// One text frame from Slack, understood.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Frame {
    /// The connection is open; Slack will refresh it after about `connection_time`.
    Hello { connection_time: Option<Duration> },
    /// Slack is about to close (or asks the bot to close) this connection.
    Disconnect(DisconnectReason),
    /// A payload to handle and acknowledge.
    Envelope(Envelope),
    /// A frame type this bot does not know; ignored so that Slack can add new ones.
    Other(String),
}

/// Why Slack sent `disconnect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DisconnectReason {
    /// The connection ends in about ten seconds.
    Warning,
    /// Slack asks for a fresh connection (its regular rotation).
    RefreshRequested,
    /// Socket Mode was turned off for the app: no connection will work until it is turned on.
    LinkDisabled,
    /// The app has more open connections than Slack allows (10).
    TooManyWebsockets,
    /// A reason this bot does not know, treated like a refresh request.
    Other(String),
}

impl DisconnectReason {
    /// As Slack spells it, for logs and the reconnect counter.
    pub(super) fn as_str(&self) -> &str {
        match self {
            Self::Warning => "warning",
            Self::RefreshRequested => "refresh_requested",
            Self::LinkDisabled => "link_disabled",
            Self::TooManyWebsockets => "too_many_websockets",
            Self::Other(_) => "other",
        }
    }
}

/// What an envelope carries: the same payload HTTP mode would POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EnvelopeKind {
    EventsApi,
    SlashCommands,
    Interactive,
}

impl EnvelopeKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::EventsApi => "events_api",
            Self::SlashCommands => "slash_commands",
            Self::Interactive => "interactive",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Envelope {
    pub id: String,
    pub kind: EnvelopeKind,
    /// Whether the ack may carry a response (a slash command's immediate message).
    pub accepts_response_payload: bool,
    pub payload: Value,
    pub retry_attempt: u64,
    pub retry_reason: String,
}

/// Why a frame was not understood. The frame is ignored; the connection goes on.
#[derive(Debug, thiserror::Error)]
pub(super) enum FrameError {
    #[error("not a JSON object with a `type`: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("an envelope without an envelope_id")]
    NoEnvelopeId,
    #[error("an envelope of unknown type `{0}`")]
    UnknownEnvelope(String),
}

/// Every field optional: a frame that lacks one is refused by [`parse`], never by serde.
#[derive(Deserialize)]
struct Raw {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    debug_info: Option<DebugInfo>,
    #[serde(default)]
    envelope_id: Option<String>,
    #[serde(default)]
    accepts_response_payload: bool,
    #[serde(default)]
    payload: Value,
    #[serde(default)]
    retry_attempt: Option<u64>,
    #[serde(default)]
    retry_reason: Option<String>,
}

#[derive(Deserialize)]
struct DebugInfo {
    #[serde(default)]
    approximate_connection_time: Option<u64>,
}

/// Reads one text frame.
pub(super) fn parse(text: &str) -> Result<Frame, FrameError> {
    let raw: Raw = serde_json::from_str(text)?;
    let kind = match raw.kind.as_str() {
        "hello" => {
            return Ok(Frame::Hello {
                connection_time: raw
                    .debug_info
                    .and_then(|d| d.approximate_connection_time)
                    .filter(|secs| *secs > 0)
                    .map(Duration::from_secs),
            });
        }
        "disconnect" => {
            return Ok(Frame::Disconnect(
                match raw.reason.as_deref().unwrap_or_default() {
                    "warning" => DisconnectReason::Warning,
                    "refresh_requested" => DisconnectReason::RefreshRequested,
                    "link_disabled" => DisconnectReason::LinkDisabled,
                    "too_many_websockets" => DisconnectReason::TooManyWebsockets,
                    other => DisconnectReason::Other(other.chars().take(64).collect()),
                },
            ));
        }
        "events_api" => EnvelopeKind::EventsApi,
        "slash_commands" => EnvelopeKind::SlashCommands,
        "interactive" => EnvelopeKind::Interactive,
        other if raw.envelope_id.is_some() => {
            return Err(FrameError::UnknownEnvelope(
                other.chars().take(64).collect(),
            ));
        }
        other => return Ok(Frame::Other(other.chars().take(64).collect())),
    };
    let id = raw
        .envelope_id
        .filter(|id| !id.is_empty())
        .ok_or(FrameError::NoEnvelopeId)?;
    Ok(Frame::Envelope(Envelope {
        id,
        kind,
        accepts_response_payload: raw.accepts_response_payload,
        payload: raw.payload,
        retry_attempt: raw.retry_attempt.unwrap_or_default(),
        retry_reason: raw.retry_reason.unwrap_or_default(),
    }))
}

/// The acknowledgement of one envelope, with the handler's response when Slack accepts one.
pub(super) fn ack(envelope_id: &str, payload: Option<Value>) -> String {
    let mut ack = serde_json::json!({ "envelope_id": envelope_id });
    if let Some(payload) = payload {
        ack["payload"] = payload;
    }
    ack.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hello_gives_the_connection_time() {
        let hello = r#"{"type":"hello","num_connections":1,"connection_info":{"app_id":"A1234"},
            "debug_info":{"host":"applink-1","build_number":54,"approximate_connection_time":18060}}"#;
        assert_eq!(
            parse(hello).unwrap(),
            Frame::Hello {
                connection_time: Some(Duration::from_secs(18060))
            }
        );
        assert_eq!(
            parse(r#"{"type":"hello"}"#).unwrap(),
            Frame::Hello {
                connection_time: None
            }
        );
    }

    #[test]
    fn disconnect_reasons_are_told_apart() {
        for (reason, expected) in [
            ("warning", DisconnectReason::Warning),
            ("refresh_requested", DisconnectReason::RefreshRequested),
            ("link_disabled", DisconnectReason::LinkDisabled),
            ("too_many_websockets", DisconnectReason::TooManyWebsockets),
            ("moon_phase", DisconnectReason::Other("moon_phase".into())),
        ] {
            let frame =
                json!({"type": "disconnect", "reason": reason, "debug_info": {"host": "h"}});
            assert_eq!(
                parse(&frame.to_string()).unwrap(),
                Frame::Disconnect(expected)
            );
        }
    }

    #[test]
    fn an_envelope_keeps_its_payload_and_retry_information() {
        let frame = json!({
            "envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf", "type": "events_api",
            "accepts_response_payload": false, "retry_attempt": 1, "retry_reason": "timeout",
            "payload": {"type": "event_callback", "event_id": "Ev1"},
        });
        let Frame::Envelope(envelope) = parse(&frame.to_string()).unwrap() else {
            panic!("not an envelope");
        };
        assert_eq!(envelope.id, "57d6a792-4d35-4d0b-b6aa-3361493e1caf");
        assert_eq!(envelope.kind, EnvelopeKind::EventsApi);
        assert_eq!(envelope.payload["event_id"], "Ev1");
        assert_eq!(
            (envelope.retry_attempt, envelope.retry_reason.as_str()),
            (1, "timeout")
        );

        let command = json!({"envelope_id": "e2", "type": "slash_commands",
                             "accepts_response_payload": true, "payload": {"command": "/lexi"}});
        let Frame::Envelope(envelope) = parse(&command.to_string()).unwrap() else {
            panic!("not an envelope");
        };
        assert!(envelope.accepts_response_payload);
        assert_eq!(envelope.kind, EnvelopeKind::SlashCommands);
    }

    #[test]
    fn malformed_frames_are_errors_not_panics() {
        for text in [
            "",
            "not json",
            "[]",
            "{}",
            r#"{"type": 7}"#,
            r#"{"type":"events_api","payload":{}}"#,
            r#"{"type":"events_api","envelope_id":""}"#,
            r#"{"type":"hello","debug_info":{"approximate_connection_time":-5}}"#,
            r#"{"type":"shiny_new","envelope_id":"e1"}"#,
        ] {
            assert!(parse(text).is_err(), "{text:?} parsed");
        }
        assert_eq!(
            parse(r#"{"type":"shiny_new"}"#).unwrap(),
            Frame::Other("shiny_new".into())
        );
    }

    #[test]
    fn an_ack_names_its_envelope_and_carries_a_payload_only_when_given() {
        let plain: Value = serde_json::from_str(&ack("e1", None)).unwrap();
        assert_eq!(plain, json!({"envelope_id": "e1"}));
        let answered: Value =
            serde_json::from_str(&ack("e2", Some(json!({"text": "hi"})))).unwrap();
        assert_eq!(
            answered,
            json!({"envelope_id": "e2", "payload": {"text": "hi"}})
        );
    }
}
