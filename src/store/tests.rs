use super::*;
use crate::domain::{
    ChannelId, ConversationId, Converse, EventId, Job, TeamId, ThreadKey, ThreadTs,
};

fn open(dir: &Path) -> Store {
    Store::open(dir, &StoreSettings::default()).expect("store opens")
}

fn thread(root: &str) -> ThreadKey {
    ThreadKey {
        team: TeamId::parse("T0ACME").unwrap(),
        channel: ChannelId::parse("C0SALES").unwrap(),
        thread_ts: ThreadTs::parse(root).unwrap(),
    }
}

fn converse(root: &str, ts: &str) -> Job {
    Job::Converse(Converse::sample(root, ts))
}

fn event(id: &str) -> EventId {
    EventId::parse(id).unwrap()
}

#[test]
fn an_event_is_admitted_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let first = store
        .admit(Some(&event("Ev1")), converse("1.1", "1.1"), false)
        .unwrap();
    assert!(matches!(first, Admission::Accepted(_)));
    let again = store
        .admit(Some(&event("Ev1")), converse("1.1", "1.1"), false)
        .unwrap();
    assert_eq!(again, Admission::Duplicate);
    assert_eq!(store.job_count(), 1);
}

#[test]
fn one_slack_message_is_answered_once_even_under_two_event_ids() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    assert!(matches!(
        store
            .admit(Some(&event("EvMention")), converse("1.1", "2.2"), false)
            .unwrap(),
        Admission::Accepted(_)
    ));
    assert_eq!(
        store
            .admit(Some(&event("EvMessage")), converse("1.1", "2.2"), true)
            .unwrap(),
        Admission::Duplicate
    );
    assert_eq!(store.job_count(), 1);
}

#[test]
fn a_plain_reply_is_queued_only_in_a_lexi_thread() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    assert_eq!(
        store
            .admit(Some(&event("EvA")), converse("5.5", "6.6"), true)
            .unwrap(),
        Admission::NotOurThread
    );
    // Not marked as seen: the app_mention for the same message must still get through.
    assert!(matches!(
        store
            .admit(Some(&event("EvB")), converse("5.5", "6.6"), false)
            .unwrap(),
        Admission::Accepted(_)
    ));
    assert_eq!(
        store.thread(&thread("5.5")).unwrap(),
        Some(ThreadState::Started)
    );
    assert!(matches!(
        store
            .admit(Some(&event("EvC")), converse("5.5", "7.7"), true)
            .unwrap(),
        Admission::Accepted(_)
    ));
}

#[test]
fn the_first_conversation_id_for_a_thread_wins() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let a = ConversationId::parse("conv-a").unwrap();
    let b = ConversationId::parse("conv-b").unwrap();
    assert_eq!(store.remember_conversation(&thread("1.1"), &a).unwrap(), a);
    assert_eq!(store.remember_conversation(&thread("1.1"), &b).unwrap(), a);
    assert_eq!(store.conversation(&thread("1.1")).unwrap(), Some(a));
}

#[test]
fn concurrent_writers_agree_on_one_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let winners: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                s.spawn(move || {
                    let id = ConversationId::parse(&format!("conv-{i}")).unwrap();
                    store.remember_conversation(&thread("9.9"), &id).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(winners.windows(2).all(|w| w[0] == w[1]));
}

#[tokio::test]
async fn jobs_mappings_and_seen_events_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        store
            .admit(Some(&event("Ev1")), converse("1.1", "1.1"), false)
            .unwrap();
        store
            .remember_conversation(&thread("1.1"), &ConversationId::parse("conv-a").unwrap())
            .unwrap();
        store.durable().await.unwrap();
    }
    let store = open(dir.path());
    assert_eq!(store.unfinished_jobs().unwrap().len(), 1);
    assert_eq!(
        store
            .conversation(&thread("1.1"))
            .unwrap()
            .map(|c| c.to_string()),
        Some("conv-a".to_string())
    );
    assert_eq!(
        store
            .admit(Some(&event("Ev1")), converse("1.1", "1.1"), false)
            .unwrap(),
        Admission::Duplicate
    );
}

#[test]
fn completed_jobs_leave_the_queue_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut ids = Vec::new();
    for i in 0..3 {
        let Admission::Accepted(r) = store
            .admit(
                Some(&event(&format!("Ev{i}"))),
                converse("1.1", &format!("{i}.5")),
                false,
            )
            .unwrap()
        else {
            panic!()
        };
        ids.push(r.id);
    }
    store.complete_job(ids[1]).unwrap();
    let left: Vec<_> = store
        .unfinished_jobs()
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left, vec![ids[0], ids[2]]);
}

#[test]
fn a_database_from_a_newer_version_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = sled::open(dir.path().join("lexi-slack.sled")).unwrap();
        db.insert(SCHEMA_KEY, &(SCHEMA_VERSION + 1).to_be_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    let err = Store::open(dir.path(), &StoreSettings::default())
        .err()
        .expect("refused");
    assert!(matches!(err, StoreError::NewerSchema { .. }));
    assert!(err.to_string().contains("newer lexi-slack"));
}

#[test]
fn old_seen_marks_expire() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .admit(Some(&event("Ev1")), converse("1.1", "1.1"), false)
        .unwrap();
    assert_eq!(store.expire_seen_before(now_ms() - 60_000).unwrap(), 0);
    assert_eq!(store.expire_seen_before(now_ms() + 1_000).unwrap(), 2);
    // Forgotten marks no longer de-duplicate.
    assert!(matches!(
        store
            .admit(Some(&event("Ev1")), converse("1.1", "1.1"), false)
            .unwrap(),
        Admission::Accepted(_)
    ));
}

#[tokio::test]
async fn many_concurrent_writers_share_flushes_and_all_return() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let store = store.clone();
        tasks.spawn(async move {
            store
                .admit(
                    Some(&event(&format!("Ev{i}"))),
                    converse("1.1", &format!("{i}.1")),
                    false,
                )
                .unwrap();
            store.durable().await.unwrap();
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    assert_eq!(store.job_count(), 200);
}

#[test]
fn a_database_held_open_is_refused_as_locked_after_the_grace_and_opens_once_let_go() {
    let dir = tempfile::tempdir().unwrap();
    let holder = open(dir.path());
    let asked = std::time::Instant::now();
    let refused = Store::open(dir.path(), &StoreSettings::default());
    assert!(
        matches!(refused, Err(StoreError::Locked { .. })),
        "{:?}",
        refused.err()
    );
    assert!(
        asked.elapsed() >= LOCK_GRACE,
        "the lock is waited on before it is reported"
    );

    // Let go (before or while the next open waits out its grace): it opens.
    let opener = {
        let dir = dir.path().to_owned();
        std::thread::spawn(move || Store::open(&dir, &StoreSettings::default()).is_ok())
    };
    drop(holder);
    assert!(opener.join().unwrap(), "opens once the holder is gone");
}
