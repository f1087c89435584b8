//! Events API bodies: what the parser lets through is a job the store can file and read back as it was.

use crate::domain::{ChannelKind, EventId, Job};
use crate::slack::events::{EventAction, EventsRequest, parse_events_request};

/// Input: the body of a `POST /slack/events` with a JSON content type.
pub fn events_body(data: &[u8]) {
    let Ok(request) = parse_events_request(data) else {
        return;
    };
    let again = parse_events_request(data).ok();
    assert_eq!(again.as_ref(), Some(&request), "parsing is not repeatable");
    let EventsRequest::Callback {
        event_id,
        action:
            EventAction::Converse {
                converse,
                only_in_known_thread,
            },
    } = request
    else {
        return;
    };
    assert_eq!(EventId::parse(event_id.as_str()).as_ref(), Ok(&event_id));

    // The thread is filed under `team/channel/ts`: no id may carry a `/` into that key.
    let key = converse.thread.storage_key();
    let parts: Vec<&str> = key.split('/').collect();
    assert_eq!(
        parts,
        [
            converse.thread.team.as_str(),
            converse.thread.channel.as_str(),
            converse.thread.thread_ts.as_str()
        ]
    );

    // A plain reply waits for a known thread; a direct message or a mention never does.
    if only_in_known_thread {
        assert_eq!(converse.channel_kind, ChannelKind::Channel);
        assert_ne!(
            converse.thread.thread_ts.as_str(),
            converse.message_ts.as_str()
        );
    }
    assert_eq!(converse.text.trim(), converse.text, "text is not trimmed");

    // The job goes to disk as JSON and comes back on restart: it must come back the same.
    let job = Job::Converse(*converse);
    let encoded = serde_json::to_vec(&job).expect("a parsed job always encodes");
    let decoded: Job = serde_json::from_slice(&encoded).expect("an encoded job decodes");
    assert_eq!(decoded, job);
}
