use super::*;
use proptest::prelude::*;

const SCRIPT: &str = "event: thinking\ndata: {\"text\":\"Looking…\"}\n\n\
event: tool_step\r\ndata: {\"tool\":\"prospect_search\",\"status\":\"started\",\"summary\":\"Searching\"}\r\n\r\n\
: keep-alive\n\n\
event: text\ndata: {\"delta\":\"Grüße — \",\"conversation_id\":\"c-1\"}\n\n\
event: text\ndata: {\"delta\":\"😀 done\"}\n\n\
event: done\ndata: {\"credits_remaining\":41,\"message_id\":\"m-1\"}\n\n\
data: [DONE]\n\n";

fn all_at_once() -> Vec<Result<LexiEvent, SseError>> {
    SseParser::default().push(SCRIPT.as_bytes())
}

#[test]
fn a_whole_stream_parses_into_typed_events() {
    let events: Vec<LexiEvent> = all_at_once().into_iter().map(Result::unwrap).collect();
    assert_eq!(
        events,
        vec![
            LexiEvent::Thinking {
                text: "Looking…".into()
            },
            LexiEvent::ToolStep(ToolStep {
                tool: "prospect_search".into(),
                status: "started".into(),
                summary: "Searching".into()
            }),
            LexiEvent::Text {
                delta: "Grüße — ".into(),
                conversation_id: Some("c-1".into())
            },
            LexiEvent::Text {
                delta: "😀 done".into(),
                conversation_id: None
            },
            LexiEvent::Done {
                credits_remaining: Some(41),
                message_id: Some("m-1".into())
            },
            LexiEvent::End,
        ]
    );
}

#[test]
fn a_chunk_that_splits_a_character_waits_for_the_rest() {
    let bytes = SCRIPT.as_bytes();
    let emoji = SCRIPT.find('😀').unwrap();
    let mut parser = SseParser::default();
    let mut events = parser.push(&bytes[..emoji + 2]);
    events.extend(parser.push(&bytes[emoji + 2..]));
    assert_eq!(events, all_at_once());
}

#[test]
fn unknown_events_are_skipped_and_bad_json_is_an_error() {
    let mut parser = SseParser::default();
    let events = parser.push(b"event: sparkle\ndata: {}\n\nevent: text\ndata: {oops\n\n");
    assert_eq!(events.len(), 1);
    assert!(matches!(events[0], Err(SseError::BadData { .. })));
}

proptest! {
    #[test]
    fn any_chunking_yields_the_same_events(cuts in proptest::collection::vec(0usize..SCRIPT.len(), 0..20)) {
        let bytes = SCRIPT.as_bytes();
        let mut cuts = cuts;
        cuts.sort_unstable();
        let mut parser = SseParser::default();
        let mut events = Vec::new();
        let mut from = 0;
        for cut in cuts.into_iter().chain([bytes.len()]) {
            events.extend(parser.push(&bytes[from..cut]));
            from = cut;
        }
        prop_assert_eq!(events, all_at_once());
    }
}
