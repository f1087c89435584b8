use super::*;
use crate::domain::feedback::Feedback;
use crate::domain::{
    ApprovalNotice, ChannelId, ChannelKind, ClickOrigin, ConversationId, Converse, Decision,
    EventId, Job, MessageTs, NoticeReason, TaskId, TaskOutcome, TaskSummary, TeamId, ThreadKey,
    ThreadTs, UserId,
};
use crate::store::followups::tests::card;
use crate::store::{Admission, ClickPlan, StoreSettings, now_ms};
use std::path::Path;

const HOUR_MS: u64 = 60 * 60 * 1000;
const DAY_MS: u64 = 24 * HOUR_MS;

fn open(dir: &Path, retention: Duration) -> Store {
    let settings = StoreSettings {
        retention: Retention::new(retention),
        ..StoreSettings::default()
    };
    Store::open(dir, &settings).expect("store opens")
}

fn thread(i: u64) -> ThreadKey {
    ThreadKey {
        team: TeamId::parse("T0ACME").unwrap(),
        channel: ChannelId::parse("C0SALES").unwrap(),
        thread_ts: ThreadTs::parse(&format!("1700000000.{i:06}")).unwrap(),
    }
}

fn message(root: u64, reply: u64) -> Job {
    let ts = format!("1700000000.{:06}", root * 10 + reply);
    Job::Converse(Converse {
        channel_kind: ChannelKind::DirectMessage,
        ..Converse::sample(thread(root).thread_ts.as_str(), &ts)
    })
}

/// Admits a message and finishes its job as the worker does: the thread gets its conversation.
fn converse(store: &Store, event: &str, root: u64, reply: u64) {
    let Admission::Accepted(record) = store
        .admit(
            Some(&EventId::parse(event).unwrap()),
            message(root, reply),
            false,
        )
        .unwrap()
    else {
        panic!("{event} was not admitted");
    };
    let id = ConversationId::parse(&format!("conv-{root}")).unwrap();
    store.remember_conversation(&thread(root), &id).unwrap();
    store.complete_job(record.id).unwrap();
}

/// The first millisecond after everything stamped so far.
fn next_millisecond() -> u64 {
    let after = now_ms();
    loop {
        let now = now_ms();
        if now > after {
            return now;
        }
        std::hint::spin_loop();
    }
}

fn approval(task: &str, state: ApprovalState, created_ms: u64) -> Approval {
    Approval {
        task: TaskId::parse(task).unwrap(),
        team: TeamId::parse("T0ACME").unwrap(),
        requester: UserId::parse("U0REP").unwrap(),
        channel: ChannelId::parse("C0SALES").unwrap(),
        thread_ts: None,
        conversation: None,
        message_ts: None,
        lead_markdown: None,
        summary: TaskSummary {
            kind: None,
            description: "Search for CEOs".into(),
            credits: None,
        },
        state,
        outcome: None,
        created_ms,
    }
}

fn decided(verdict: Verdict, at_ms: u64) -> ApprovalState {
    ApprovalState::Decided {
        decision: Decision {
            verdict,
            by: UserId::parse("U0REP").unwrap(),
            at_ms,
        },
    }
}

#[test]
fn each_record_gets_its_window_and_a_long_retention_lengthens_every_one() {
    let day = Retention::new(Retention::DEFAULT);
    assert_eq!(day.seen(), Duration::from_secs(24 * 3600));
    assert_eq!(day.idle_threads(), Retention::PEOPLE_RETURN);
    assert_eq!(day.cards(), Retention::CARD_FLOOR);
    let quarter = Retention::new(Duration::from_secs(90 * 24 * 3600));
    assert_eq!(quarter.seen(), quarter.window());
    assert_eq!(quarter.idle_threads(), quarter.window());
    assert_eq!(quarter.cards(), quarter.window());
    assert_eq!(Retention::new(Duration::ZERO).window(), Retention::MIN);
}

#[test]
fn seen_marks_are_forgotten_once_older_than_the_retention() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Duration::from_secs(3600));
    converse(&store, "EvOld", 1, 0);
    let cutoff = next_millisecond();
    converse(&store, "EvNew", 2, 0);
    // An event id and a message key each.
    assert_eq!(store.seen_count(), 4);
    let swept = store.sweep(cutoff + HOUR_MS).unwrap();
    assert_eq!(swept.seen, 2);
    assert_eq!(store.seen_count(), 2);
    // The newer event is still recognised as a retry; the older one would be admitted again.
    let again = store
        .admit(
            Some(&EventId::parse("EvNew").unwrap()),
            message(2, 0),
            false,
        )
        .unwrap();
    assert_eq!(again, Admission::Duplicate);
}

#[test]
fn a_click_mark_expires_with_the_seen_marks() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Duration::from_secs(3600));
    let pending = approval("task-1", ApprovalState::Pending, now_ms());
    store.add_approval(&pending).unwrap();
    let notice = |_: &Approval| ClickPlan {
        state: None,
        job: Job::ApprovalNotice(ApprovalNotice {
            task: pending.task.clone(),
            user: UserId::parse("U0OTHER").unwrap(),
            origin: ClickOrigin {
                response_url: None,
                channel: None,
                message_ts: None,
                ephemeral: false,
            },
            reason: NoticeReason::NotAllowed {
                requester: pending.requester.clone(),
            },
        }),
    };
    store
        .admit_click(&pending.task, "U0OTHER/1.1", notice)
        .unwrap();
    assert_eq!(store.seen_count(), 1);
    assert_eq!(store.sweep(now_ms() + HOUR_MS + 1).unwrap().seen, 1);
    assert_eq!(store.seen_count(), 0);
}

#[test]
fn a_thread_is_forgotten_after_thirty_idle_days_and_a_new_message_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Duration::from_secs(3600));
    converse(&store, "EvQuiet", 1, 0);
    converse(&store, "EvBusy", 2, 0);
    let between = next_millisecond();
    converse(&store, "EvBusyAgain", 2, 1);
    let now = between + 30 * DAY_MS;
    assert_eq!(store.expire_threads_idle_since(between, now).unwrap(), 1);
    assert_eq!(store.conversation(&thread(1)).unwrap(), None);
    assert!(store.conversation(&thread(2)).unwrap().is_some());
    assert_eq!(store.thread_count(), 1);
    // Through the sweep: 30 days (the floor over a 1 h retention) after the last message.
    assert_eq!(store.sweep(between + 30 * DAY_MS).unwrap().threads, 0);
    let after = next_millisecond();
    assert_eq!(store.sweep(after + 30 * DAY_MS).unwrap().threads, 1);
    assert_eq!(store.thread_count(), 0);
}

#[test]
fn a_thread_filed_without_a_stamp_gets_a_full_window_from_its_first_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Duration::from_secs(3600));
    let id = ConversationId::parse("conv-legacy").unwrap();
    store.remember_conversation(&thread(7), &id).unwrap();
    let first_sweep = now_ms() + 365 * DAY_MS;
    assert_eq!(store.sweep(first_sweep).unwrap().threads, 0);
    assert_eq!(store.conversation(&thread(7)).unwrap(), Some(id));
    assert_eq!(store.sweep(first_sweep + 30 * DAY_MS).unwrap().threads, 0);
    assert_eq!(
        store.sweep(first_sweep + 30 * DAY_MS + 1).unwrap().threads,
        1
    );
}

#[test]
fn decided_approvals_go_after_the_retention_and_pending_ones_after_thirty_days() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Duration::from_secs(3600));
    let t0 = 1_000 * DAY_MS;
    let followed = approval("approved-followed", decided(Verdict::Approve, t0), t0);
    let mut reported = approval("approved-reported", decided(Verdict::Approve, t0), t0);
    reported.outcome = Some(TaskOutcome::Completed);
    for a in [
        approval("pending", ApprovalState::Pending, t0),
        approval("denied", decided(Verdict::Deny, t0), t0),
        approval("closed", ApprovalState::Closed { status: None }, t0),
        followed,
        reported,
    ] {
        store.add_approval(&a).unwrap();
    }
    let left = |store: &Store| {
        let mut names: Vec<String> = ["pending", "denied", "closed"]
            .into_iter()
            .chain(["approved-followed", "approved-reported"])
            .filter(|t| {
                store
                    .approval(&TaskId::parse(t).unwrap())
                    .unwrap()
                    .is_some()
            })
            .map(str::to_owned)
            .collect();
        names.sort();
        names
    };
    assert_eq!(store.expire_approvals(t0 + HOUR_MS).unwrap(), 0);
    // An hour after the decision: decided ones go, unless Lexi may still be following the task.
    assert_eq!(store.expire_approvals(t0 + HOUR_MS + 1).unwrap(), 2);
    assert_eq!(left(&store), ["approved-followed", "closed", "pending"]);
    assert_eq!(store.expire_approvals(t0 + DAY_MS + 1).unwrap(), 1);
    assert_eq!(store.expire_approvals(t0 + 30 * DAY_MS).unwrap(), 0);
    assert_eq!(store.sweep(t0 + 30 * DAY_MS + 1).unwrap().approvals, 2);
    assert_eq!(store.approval_count(), 0);
}

#[test]
fn cards_are_kept_two_days_or_the_retention_if_longer() {
    for (retention_days, kept_days) in [(1, 2), (7, 7)] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path(), Duration::from_secs(retention_days * 24 * 3600));
        let t0 = now_ms();
        store.save_card(&card(t0)).unwrap();
        assert_eq!(store.sweep(t0 + kept_days * DAY_MS).unwrap().cards, 0);
        assert_eq!(store.sweep(t0 + kept_days * DAY_MS + 1).unwrap().cards, 1);
    }
}

#[test]
fn feedback_is_never_swept() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Duration::from_secs(3600));
    store
        .record_feedback(&Feedback {
            team: None,
            channel: ChannelId::parse("C0SALES").unwrap(),
            message_ts: MessageTs::parse("1.2").unwrap(),
            thread_ts: None,
            conversation: None,
            user: UserId::parse("U0REP").unwrap(),
            positive: true,
            at_ms: 1,
        })
        .unwrap();
    store.sweep(u64::MAX).unwrap();
    assert_eq!(store.all_feedback().unwrap().len(), 1);
}

/// The small version of `lexi-bench retention`: after expiry the trees hold only what is
/// within the window.
#[test]
fn after_twenty_thousand_events_only_what_is_within_retention_remains() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Duration::from_secs(3600));
    // Half in threads of their own, half as second messages in those threads.
    let half = 10_000;
    for i in 0..half / 2 {
        converse(&store, &format!("EvA{i}"), i, 0);
        converse(&store, &format!("EvA{i}r"), i, 1);
    }
    let cutoff = next_millisecond();
    for i in half / 2..half {
        converse(&store, &format!("EvB{i}"), i, 0);
        converse(&store, &format!("EvB{i}r"), i, 1);
    }
    assert_eq!(store.job_count(), 0, "every job finished and was removed");
    assert_eq!(store.seen_count(), 4 * half as usize);
    assert_eq!(store.thread_count(), half as usize);

    // An hour after the cutoff: the first half's seen marks are gone, every thread stays.
    let swept = store.sweep(cutoff + HOUR_MS).unwrap();
    assert_eq!(swept.seen, 2 * half as usize);
    assert_eq!(store.seen_count(), 2 * half as usize);
    assert_eq!(store.thread_count(), half as usize);

    // Thirty days after: the first half's threads too; the second half is still within.
    let swept = store.sweep(cutoff + 30 * DAY_MS).unwrap();
    assert_eq!(swept.threads, half as usize / 2);
    assert_eq!(store.thread_count(), half as usize / 2);
    assert_eq!(store.seen_count(), 0);
    assert!(store.conversation(&thread(half - 1)).unwrap().is_some());
    assert_eq!(store.conversation(&thread(0)).unwrap(), None);
}
