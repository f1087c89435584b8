//! Signed Events API requests, each one new: unique `event_id`, its own thread, a fresh timestamp.

use bytes::Bytes;
use lexi_slack::slack::verify::sign;
use std::time::{SystemTime, UNIX_EPOCH};

/// The workspace, channel and users every event comes from.
pub const TEAM: &str = "T0ACME";
pub const CHANNEL: &str = "C0SALES";
pub const BOT_USER: &str = "U0LEXI";
pub const ASKER: &str = "U0REP";

/// Builds the requests of one run. `run` keeps event ids unique across the runs of one process.
pub struct EventFactory {
    secret: String,
    run: u32,
}

/// One request, ready to send.
pub struct SignedEvent {
    pub body: Bytes,
    pub timestamp: String,
    pub signature: String,
}

impl EventFactory {
    pub fn new(secret: &str, run: u32) -> Self {
        Self {
            secret: secret.to_owned(),
            run,
        }
    }

    /// The `event_callback` for event number `seq`: an `app_mention` in a thread of its own,
    /// about 1.3 KiB, signed with a timestamp taken now.
    pub fn event(&self, seq: u64) -> SignedEvent {
        let root = thread_ts(seq);
        let ts = message_ts(seq);
        let now = unix_now();
        let run = self.run;
        // Field order and contents follow a real app_mention delivery (see slack-platform.md §2).
        let body = format!(
            concat!(
                r#"{{"token":"XXYYZZbenchTOKEN","team_id":"{team}","context_team_id":"{team}","#,
                r#""context_enterprise_id":null,"api_app_id":"A0LEXI","event":{{"#,
                r#""user":"{asker}","type":"app_mention","ts":"{ts}","#,
                r#""client_msg_id":"b{run:07x}-{seq:04x}-4c1e-9a3f-{seq:012x}","#,
                r#""text":"<@{bot}> find 20 CEOs at law firms in New York with more than 50 employees, and tell me which ones we already talked to this quarter","#,
                r#""team":"{team}","thread_ts":"{root}","parent_user_id":"{asker}","#,
                r#""blocks":[{{"type":"rich_text","block_id":"b{seq:x}","elements":[{{"type":"rich_text_section","elements":["#,
                r#"{{"type":"user","user_id":"{bot}"}},"#,
                r#"{{"type":"text","text":" find 20 CEOs at law firms in New York with more than 50 employees, and tell me which ones we already talked to this quarter"}}"#,
                r#"]}}]}}],"channel":"{channel}","event_ts":"{ts}"}},"#,
                r#""type":"event_callback","event_id":"Ev{run:06X}B{seq:010X}","event_time":{now},"#,
                r#""authorizations":[{{"enterprise_id":null,"team_id":"{team}","user_id":"{bot}","#,
                r#""is_bot":true,"is_enterprise_install":false}}],"is_ext_shared_channel":false,"#,
                r#""event_context":"4-eyJldCI6ImFwcF9tZW50aW9uIiwidGlkIjoiVDBBQ01FIiwiYWlkIjoiQTBMRVhJIiwiY2lkIjoiQzBTQUxFUyJ9"}}"#
            ),
            team = TEAM,
            asker = ASKER,
            bot = BOT_USER,
            channel = CHANNEL,
            root = root,
            ts = ts,
            run = run,
            seq = seq,
            now = now,
        );
        let timestamp = now.to_string();
        let signature = sign(&self.secret, now as i64, body.as_bytes());
        SignedEvent {
            body: Bytes::from(body),
            timestamp,
            signature,
        }
    }
}

/// The root of event `seq`'s thread: every event opens its own thread, so replies can be told
/// apart and no system serializes them behind one another.
pub fn thread_ts(seq: u64) -> String {
    format!("{}.{:06}", 1_600_000_000 + seq / 1_000_000, seq % 1_000_000)
}

/// The mention's own ts, later in the same thread.
fn message_ts(seq: u64) -> String {
    format!("{}.{:06}", 1_650_000_000 + seq / 1_000_000, seq % 1_000_000)
}

/// The event number a thread root came from, if it is one of ours.
pub fn seq_of_thread(thread_ts: &str) -> Option<u64> {
    let (secs, micros) = thread_ts.split_once('.')?;
    let secs: u64 = secs.parse().ok()?;
    let micros: u64 = micros.parse().ok()?;
    let high = secs.checked_sub(1_600_000_000)?;
    (high < 50_000_000 && micros < 1_000_000).then_some(high * 1_000_000 + micros)
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lexi_slack::slack::events::{EventAction, EventsRequest, parse_events_request};

    #[test]
    fn events_are_valid_unique_and_sized_like_real_ones() {
        let factory = EventFactory::new("secret", 7);
        let a = factory.event(1);
        let b = factory.event(2_000_001);
        assert_ne!(a.body, b.body);
        assert!((1024..=2048).contains(&a.body.len()), "{}", a.body.len());
        assert!(a.signature.starts_with("v0="));
        let EventsRequest::Callback { event_id, action } = parse_events_request(&a.body).unwrap()
        else {
            panic!("not a callback")
        };
        assert_eq!(event_id.as_str(), "Ev000007B0000000001");
        let EventAction::Converse { converse, .. } = action else {
            panic!("not for Lexi")
        };
        assert_eq!(converse.thread.thread_ts.as_str(), thread_ts(1));
        assert!(
            converse.text.starts_with("find 20 CEOs"),
            "{}",
            converse.text
        );
        assert_eq!(seq_of_thread(&thread_ts(2_000_001)), Some(2_000_001));
        assert_eq!(seq_of_thread("1800000000.000001"), None);
    }
}
