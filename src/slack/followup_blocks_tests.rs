use super::*;
use crate::domain::followups::{ContactRef, SuggestionSet};
use crate::domain::{ChannelId, ContactId, MessageTs, TeamId};

const JANE: &str = "3f1c2a4e-8b7d-4c6a-9e2f-1a2b3c4d5e01";
const CARD: &str = "9b2d3c4e-1f2a-4b5c-8d6e-7f8091a2b3c4";

fn jane() -> ContactCard {
    ContactCard {
        id: ContactId::parse(JANE).unwrap(),
        name: "Jane Doe".into(),
        company: Some("Acme Legal".into()),
        email: Some("jane@acme.law".into()),
    }
}

fn suggestion(kind: &str, title: &str, draft: Option<&str>, confidence: f64) -> Suggestion {
    Suggestion {
        kind: kind.into(),
        title: title.into(),
        reason: format!("Because {title} moves the deal forward."),
        when: Some("Today".into()),
        draft: draft.map(str::to_owned),
        confidence: Some(confidence),
    }
}

fn card(suggestions: Vec<Suggestion>) -> FollowupsCard {
    FollowupsCard {
        id: CardId::parse(CARD).unwrap(),
        team: TeamId::parse("T0ACME").unwrap(),
        channel: ChannelId::parse("C0SALES").unwrap(),
        requester: UserId::parse("U0REP").unwrap(),
        contact: jane(),
        lookback_days: 60,
        result: SuggestionSet {
            suggestions,
            activity_summary: "3 emails and 1 meeting with Jane in the last 14 days.".into(),
            credits_remaining: Some(4861),
        },
        shared: Default::default(),
        discussion: None,
        created_ms: 0,
    }
}

fn json(message: &OutgoingMessage) -> serde_json::Value {
    serde_json::to_value(message).unwrap()
}

fn block_texts(message: &OutgoingMessage) -> Vec<String> {
    json(message)["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.to_string())
        .collect()
}

#[test]
fn a_result_shows_each_suggestion_with_its_draft_share_button_and_credits() {
    let card = card(vec![
        suggestion(
            "email",
            "Share fee proposal",
            Some("Hi Jane,\n\nfollowing up on our call <on Tuesday> & the proposal…"),
            0.9,
        ),
        suggestion("meeting", "Schedule legal review session", None, 0.78),
        suggestion("carrier_pigeon", "Send a bird", None, 55.0),
    ]);
    insta::assert_json_snapshot!(json(&result(&card)));
}

#[test]
fn a_shared_draft_and_a_started_discussion_replace_their_buttons() {
    let mut card = card(vec![suggestion(
        "email",
        "Share fee proposal",
        Some("Hi Jane"),
        0.9,
    )]);
    card.shared.insert(0);
    card.discussion = Some(MessageTs::parse("1700000000.000100").unwrap());
    let shown = block_texts(&result(&card)).join("\n");
    assert!(!shown.contains(SHARE_ACTION), "{shown}");
    assert!(!shown.contains(DISCUSS_ACTION), "{shown}");
    assert!(shown.contains("Shared to the channel"), "{shown}");
    assert!(shown.contains("discussing these in a thread"), "{shown}");
}

#[test]
fn ten_suggestions_with_long_drafts_stay_within_block_kit_limits() {
    let long = "Dear Jane, ".repeat(1_000);
    let card = card(
        (0..10)
            .map(|i| suggestion("email", &format!("Step {i}"), Some(&long), 0.5))
            .collect(),
    );
    let message = result(&card);
    assert!(message.blocks.len() <= BLOCKS_PER_MESSAGE_MAX);
    let value = json(&message);
    for block in value["blocks"].as_array().unwrap() {
        if let Some(text) = block["text"]["text"].as_str() {
            assert!(text.chars().count() <= SECTION_TEXT_MAX, "{text}");
        }
    }
    let drafts: Vec<&str> = value["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["accessory"]["action_id"] == SHARE_ACTION)
        .map(|b| b["text"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(drafts.len(), 10, "every draft is shown");
    assert!(
        drafts.iter().all(|d| d.ends_with('…')),
        "long drafts are cut"
    );
    assert!(
        drafts
            .iter()
            .all(|d| d.chars().count() <= DRAFT_PREVIEW_MAX + 100)
    );
}

#[test]
fn suggestions_beyond_fifty_blocks_are_counted_not_dropped_silently() {
    let card = card(
        (0..40)
            .map(|i| suggestion("call", &format!("Call {i}"), Some("Hi"), 0.5))
            .collect(),
    );
    let message = result(&card);
    assert!(message.blocks.len() <= BLOCKS_PER_MESSAGE_MAX);
    let shown = block_texts(&message).join("\n");
    assert!(shown.contains("more suggestion(s) don't fit"), "{shown}");
}

#[test]
fn a_result_without_suggestions_says_so() {
    let shown = block_texts(&result(&card(Vec::new()))).join("\n");
    assert!(shown.contains("Lexi found nothing to suggest from the last 60 days"));
}

#[test]
fn the_picker_offers_each_contact_with_company_and_email() {
    let command = FollowupsCommand::for_contact(ContactRef::Name("Sam".into()));
    let sams = vec![
        ContactCard {
            id: ContactId::parse("7a9e0c12-5d4b-4f3e-8a61-2b3c4d5e6f02").unwrap(),
            name: "Sam Carter".into(),
            company: Some("Brightline LLP".into()),
            email: Some("sam.carter@brightline.law".into()),
        },
        ContactCard {
            id: ContactId::parse("b25f8e3d-1c7a-4e90-9d42-3c4d5e6f7a03").unwrap(),
            name: "Sam Patel".into(),
            company: None,
            email: Some("sam@patel-ip.com".into()),
        },
    ];
    insta::assert_json_snapshot!(json(&picker("Sam", &command, &sams, false)));
}

#[test]
fn the_picker_shows_five_at_most_and_says_there_are_more() {
    let command = FollowupsCommand::for_contact(ContactRef::Name("a".into()));
    let many: Vec<ContactCard> = (0..8)
        .map(|i| ContactCard {
            id: ContactId::parse(&uuid::Uuid::new_v4().to_string()).unwrap(),
            name: format!("Contact {i}"),
            company: None,
            email: None,
        })
        .collect();
    let message = picker("a", &command, &many, false);
    let buttons = json(&message)["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["accessory"]["action_id"] == PICK_ACTION)
        .count();
    assert_eq!(buttons, PICKER_MAX);
    assert!(
        block_texts(&message)
            .join("\n")
            .contains("More contacts match")
    );
}

#[test]
fn a_shared_draft_is_credited_to_the_requester_and_posted_in_full() {
    let draft = "Hi Jane,\n\nplease find our flat-fee proposal attached.\n\nBest, Dana";
    let card = card(vec![suggestion(
        "email",
        "Share fee proposal",
        Some(draft),
        0.9,
    )]);
    let by = UserId::parse("U0REP").unwrap();
    insta::assert_json_snapshot!(json(&shared_draft(&card, &card.result.suggestions[0], &by)));

    let huge = "A long paragraph of a draft. ".repeat(600);
    let big = card_with_draft(&huge);
    let message = shared_draft(&big, &big.result.suggestions[0], &by);
    assert!(
        message.blocks.len() > 2,
        "a long draft spans several sections"
    );
    let posted: String = json(&message)["blocks"].as_array().unwrap()[1..]
        .iter()
        .map(|b| b["text"]["text"].as_str().unwrap().replace("> ", ""))
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(
        posted.split_whitespace().count(),
        huge.split_whitespace().count(),
        "nothing of the draft is lost"
    );
}

fn card_with_draft(draft: &str) -> FollowupsCard {
    card(vec![suggestion("email", "Long one", Some(draft), 0.9)])
}

#[test]
fn the_discussion_message_carries_the_summary_and_the_suggestions() {
    let card = card(vec![
        suggestion("email", "Share fee proposal", Some("Hi"), 0.9),
        suggestion("call", "Check in", None, 0.6),
    ]);
    let by = UserId::parse("U0REP").unwrap();
    insta::assert_json_snapshot!(json(&discussion_root(&card, &by)));
}

#[test]
fn share_values_name_a_card_and_a_suggestion() {
    let (card, index) = parse_share_value(&format!("{CARD}:3")).unwrap();
    assert_eq!((card.as_str(), index), (CARD, 3));
    let bad_values = [
        String::new(),
        "3".into(),
        CARD.into(),
        format!("{CARD}:x"),
        "not-a-card:1".into(),
        format!("{CARD}:1000"),
    ];
    for bad in &bad_values {
        assert!(parse_share_value(bad).is_none(), "{bad}");
    }
}

#[test]
fn numbers_and_confidences_read_naturally() {
    assert_eq!(thousands(4861), "4,861");
    assert_eq!(thousands(1_234_567), "1,234,567");
    assert_eq!(thousands(12), "12");
    assert_eq!(percent(0.9), 90);
    assert_eq!(percent(0.785), 79);
    assert_eq!(percent(78.0), 78);
    assert_eq!(percent(250.0), 100);
    assert_eq!(percent(-1.0), 0);
}
