use super::*;
use crate::domain::{ChannelId, TaskId, TaskSummary, TeamId, UserId};
use crate::slack::split::{BUTTON_TEXT_MAX, BUTTON_VALUE_MAX};
use serde_json::{Value, json};

/// 2023-11-14 22:13:20 UTC.
const AT_MS: u64 = 1_700_000_000_000;

fn approval() -> Approval {
    Approval {
        task: TaskId::parse("4b0c2f3e-task").unwrap(),
        team: TeamId::parse("T0ACME").unwrap(),
        requester: UserId::parse("U0REP").unwrap(),
        channel: ChannelId::parse("C0SALES").unwrap(),
        thread_ts: None,
        conversation: None,
        message_ts: None,
        lead_markdown: Some("I'll search for **20 CEOs** at law firms in New York.".into()),
        summary: TaskSummary {
            kind: Some("prospect_search".into()),
            description: "Search for 20 CEOs at law firms in New York <& Boston>".into(),
            credits: Some(5),
        },
        state: ApprovalState::Pending,
        outcome: None,
        created_ms: AT_MS,
    }
}

fn decided(verdict: Verdict) -> Approval {
    Approval {
        state: ApprovalState::Decided {
            decision: Decision {
                verdict,
                by: UserId::parse("U0BOSS").unwrap(),
                at_ms: AT_MS,
            },
        },
        ..approval()
    }
}

fn json(message: &OutgoingMessage) -> Value {
    serde_json::to_value(message).unwrap()
}

#[test]
fn a_pending_task_shows_lexis_words_then_the_task_and_its_buttons() {
    insta::assert_json_snapshot!(json(&card_message(&approval(), None)));
}

#[test]
fn a_decision_replaces_the_buttons_with_who_decided_and_when() {
    insta::assert_json_snapshot!(json!([
        json(&card_message(&decided(Verdict::Approve), None)).get("blocks"),
        json(&card_message(&decided(Verdict::Deny), None)).get("blocks"),
    ]));
}

#[test]
fn buttons_come_back_with_a_note_after_a_failed_attempt() {
    let message = card_message(&approval(), Some("LeadLex didn't answer. Try again."));
    let rendered = crate::sim::render_blocks(json(&message)["blocks"].as_array().unwrap());
    assert!(rendered.contains(":warning: LeadLex didn't answer. Try again."));
    assert!(rendered.contains("[Approve] [Deny]"), "{rendered}");
    assert!(
        rendered.ends_with("[👍] [👎]"),
        "the feedback buttons stay under the card: {rendered}"
    );
}

#[test]
fn texts_stay_within_block_kit_limits() {
    let mut long = approval();
    long.summary.description = "word ".repeat(5_000);
    long.task = TaskId::parse(&"t".repeat(128)).unwrap();
    let message = json(&card_message(&long, None));
    for block in message["blocks"].as_array().unwrap() {
        if let Some(text) = block["text"]["text"].as_str() {
            assert!(text.chars().count() <= SECTION_TEXT_MAX);
        }
        for element in block["elements"].as_array().into_iter().flatten() {
            if element["type"] == "button" {
                let text = element["text"]["text"].as_str().unwrap();
                assert!(text.chars().count() <= BUTTON_TEXT_MAX);
                let value = element["value"].as_str().unwrap();
                assert!(value.chars().count() <= BUTTON_VALUE_MAX);
                let confirm = &element["confirm"];
                if !confirm.is_null() {
                    let text = confirm["text"]["text"].as_str().unwrap();
                    assert!(text.chars().count() <= CONFIRM_TEXT_MAX);
                }
            }
        }
    }
}

#[test]
fn the_card_goes_in_the_last_message_or_its_own_when_that_is_full() {
    let mut parts = answer("short answer");
    assert_eq!(attach_card(&mut parts, &approval()), 0);
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].blocks.len(), 4);

    let mut full = answer_as_mrkdwn("paragraph");
    full[0].blocks = vec![context("x"); BLOCKS_PER_MESSAGE_MAX - 1];
    assert_eq!(attach_card(&mut full, &approval()), 1);
    assert_eq!(full.len(), 2);
    assert!(
        full.iter()
            .all(|m| m.blocks.len() <= BLOCKS_PER_MESSAGE_MAX)
    );
}

#[test]
fn a_listing_stays_within_fifty_blocks_however_many_tasks_wait() {
    let many: Vec<Approval> = (0..40)
        .map(|i| Approval {
            task: TaskId::parse(&format!("task-{i}")).unwrap(),
            ..approval()
        })
        .collect();
    let message = listing(Some((&decided(Verdict::Approve), None)), &many);
    assert!(message.blocks.len() <= BLOCKS_PER_MESSAGE_MAX);
    let rendered = crate::sim::render_blocks(json(&message)["blocks"].as_array().unwrap());
    assert!(rendered.contains("40 Lexi tasks are waiting"), "{rendered}");
    assert!(rendered.contains("…and 29 more"), "{rendered}");
    assert!(
        rendered.starts_with(":clipboard:"),
        "the decided task leads"
    );

    let empty = listing(None, &[]);
    assert_eq!(empty.text, "No Lexi tasks are waiting for approval.");
}

#[test]
fn a_finished_task_reports_what_its_metadata_says() {
    let task = |status, metadata| Task {
        id: approval().task,
        kind: "prospect_search".into(),
        status,
        description: "Search".into(),
        created_at: None,
        metadata,
    };
    let done = outcome(
        &decided(Verdict::Approve),
        &task(
            TaskStatus::Completed,
            json!({"results": 20, "list_id": "list-1", "nested": {"x": 1}}),
        ),
    );
    let failed = outcome(
        &decided(Verdict::Approve),
        &task(TaskStatus::Failed, json!({"error": "Provider timed out"})),
    );
    insta::assert_json_snapshot!(json!([json(&done)["blocks"], json(&failed)["blocks"]]));
}

#[test]
fn notices_name_who_decided_and_when() {
    let decision = Decision {
        verdict: Verdict::Deny,
        by: UserId::parse("U0BOSS").unwrap(),
        at_ms: AT_MS,
    };
    let told = notice(&NoticeReason::AlreadyDecided { decision }).text;
    assert_eq!(
        told,
        "<@U0BOSS> already denied this task \
         <!date^1700000000^{date_short_pretty} at {time}|2023-11-14 22:13 UTC>."
    );
    let stranger = notice(&NoticeReason::NotAllowed {
        requester: UserId::parse("U0REP").unwrap(),
    });
    assert_eq!(
        stranger.text,
        "Only <@U0REP> or an approver can decide this task."
    );
}
