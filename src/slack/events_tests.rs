use super::*;

fn parse(fixture: &str) -> EventsRequest {
    parse_events_request(fixture.as_bytes()).expect("fixture parses")
}

fn converse(request: EventsRequest) -> (Converse, bool) {
    match request {
        EventsRequest::Callback {
            action:
                EventAction::Converse {
                    converse,
                    only_in_known_thread,
                },
            ..
        } => (*converse, only_in_known_thread),
        other => panic!("expected a message for Lexi, got {other:?}"),
    }
}

#[test]
fn a_mention_in_a_thread_belongs_to_that_thread_with_the_mention_removed() {
    let request = parse(include_str!("fixtures/app_mention_in_thread.json"));
    let EventsRequest::Callback { event_id, .. } = &request else {
        panic!()
    };
    assert_eq!(event_id.as_str(), "Ev0MENTION1");
    let (c, only_known) = converse(request);
    assert!(!only_known);
    assert_eq!(c.thread.storage_key(), "T0ACME/C0SALES/1700000000.000100");
    assert_eq!(c.message_ts.as_str(), "1700000100.000200");
    assert_eq!(c.user.as_str(), "U0REP");
    assert_eq!(c.text, "find 20 CEOs at law firms in #sales & New York");
    assert_eq!(c.channel_kind, ChannelKind::Channel);
}

#[test]
fn a_top_level_mention_starts_a_thread_at_itself() {
    let body = include_str!("fixtures/app_mention_in_thread.json")
        .replace("\"thread_ts\":\"1700000000.000100\",", "");
    let (c, _) = converse(parse(&body));
    assert_eq!(c.thread.thread_ts.as_str(), "1700000100.000200");
}

#[test]
fn a_direct_message_is_for_lexi_and_unescapes_links() {
    let (c, only_known) = converse(parse(include_str!("fixtures/direct_message.json")));
    assert!(!only_known);
    assert_eq!(c.channel_kind, ChannelKind::DirectMessage);
    assert_eq!(c.thread.thread_ts.as_str(), "1700000200.000300");
    assert_eq!(c.text, "draft a follow-up for jane@acme.law");
}

#[test]
fn a_plain_thread_reply_is_for_lexi_only_in_a_known_thread() {
    let (c, only_known) = converse(parse(include_str!("fixtures/thread_reply.json")));
    assert!(only_known);
    assert_eq!(c.thread.thread_ts.as_str(), "1700000000.000100");
    assert_eq!(c.text, "only the ones in Manhattan");
}

#[test]
fn bot_messages_edits_and_top_level_chatter_are_ignored() {
    for fixture in [
        include_str!("fixtures/bot_message.json"),
        include_str!("fixtures/message_changed.json"),
    ] {
        assert!(matches!(
            parse(fixture),
            EventsRequest::Callback {
                action: EventAction::Ignore(_),
                ..
            }
        ));
    }
    let top_level = include_str!("fixtures/thread_reply.json")
        .replace("\"thread_ts\":\"1700000000.000100\",", "");
    assert!(matches!(
        parse(&top_level),
        EventsRequest::Callback {
            action: EventAction::Ignore(_),
            ..
        }
    ));
}

#[test]
fn unknown_event_types_are_ignored_not_rejected() {
    let body = r#"{"type":"event_callback","team_id":"T0ACME","api_app_id":"A0LEXI","event_id":"Ev0NEW","event_time":1,
        "event":{"type":"brand_new_event","whatever":[1,2,3]}}"#;
    assert!(matches!(
        parse(body),
        EventsRequest::Callback {
            action: EventAction::Ignore(_),
            ..
        }
    ));
}

#[test]
fn url_verification_and_rate_limit_notices_are_understood() {
    let body = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    assert_eq!(
        parse(body),
        EventsRequest::UrlVerification {
            challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P".into()
        }
    );
    let limited = r#"{"token":"x","type":"app_rate_limited","team_id":"T0ACME","minute_rate_limited":1518467820,"api_app_id":"A0LEXI"}"#;
    assert_eq!(parse(limited), EventsRequest::AppRateLimited);
}

#[test]
fn malformed_bodies_and_hostile_ids_are_errors() {
    for body in [
        "",
        "not json",
        "{}",
        r#"{"type":"event_callback"}"#,
        "[1,2,3]",
    ] {
        assert!(parse_events_request(body.as_bytes()).is_err(), "{body}");
    }
    let hostile =
        include_str!("fixtures/app_mention_in_thread.json").replace("C0SALES", "C0/../../x");
    assert!(matches!(
        parse_events_request(hostile.as_bytes()),
        Err(EventsError::InvalidId(_))
    ));
}

fn prompts_offer(request: EventsRequest) -> SuggestPrompts {
    match request {
        EventsRequest::Callback {
            action: EventAction::SuggestPrompts(offer),
            ..
        } => offer,
        other => panic!("expected an offer of prompts, got {other:?}"),
    }
}

#[test]
fn opening_the_messages_tab_offers_prompts_for_the_dm_without_a_thread() {
    let request = parse(include_str!("fixtures/app_home_opened_messages.json"));
    let offer = prompts_offer(request);
    assert_eq!(offer.team.as_str(), "T0ACME");
    assert_eq!(offer.user.as_str(), "U0REP");
    assert_eq!(offer.channel.as_str(), "D0DM");
    assert_eq!(offer.thread_ts, None, "agent_view pins prompts to the tab");
}

#[test]
fn opening_the_home_or_about_tab_is_ignored() {
    for tab in ["home", "about"] {
        let body = include_str!("fixtures/app_home_opened_messages.json")
            .replace("\"tab\":\"messages\"", &format!("\"tab\":\"{tab}\""));
        assert!(
            matches!(
                parse(&body),
                EventsRequest::Callback {
                    action: EventAction::Ignore(_),
                    ..
                }
            ),
            "{tab}"
        );
    }
}

#[test]
fn a_legacy_assistant_thread_offers_prompts_in_that_thread() {
    let offer = prompts_offer(parse(include_str!(
        "fixtures/assistant_thread_started.json"
    )));
    assert_eq!(offer.user.as_str(), "U0REP");
    assert_eq!(offer.channel.as_str(), "D0DM");
    assert_eq!(
        offer.thread_ts.as_ref().map(ThreadTs::as_str),
        Some("1700000400.000100")
    );
}
