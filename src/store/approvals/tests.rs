use super::*;
use crate::domain::{
    ApprovalNotice, ChannelId, ClickOrigin, DecideTask, Decision, NoticeReason, TaskSummary,
    TeamId, UserId, Verdict,
};
use crate::store::StoreSettings;
use std::path::Path;

fn open(dir: &Path) -> Store {
    Store::open(dir, &StoreSettings::default()).expect("store opens")
}

fn task() -> TaskId {
    TaskId::parse("task-1").unwrap()
}

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

fn approval() -> Approval {
    Approval {
        task: task(),
        team: TeamId::parse("T0ACME").unwrap(),
        requester: user("U0REP"),
        channel: ChannelId::parse("C0SALES").unwrap(),
        thread_ts: None,
        conversation: None,
        message_ts: None,
        lead_markdown: None,
        summary: TaskSummary {
            kind: Some("prospect_search".into()),
            description: "Search for CEOs".into(),
            credits: Some(5),
        },
        state: ApprovalState::Pending,
        outcome: None,
        created_ms: 1,
    }
}

fn origin() -> ClickOrigin {
    ClickOrigin {
        response_url: None,
        channel: None,
        message_ts: None,
        ephemeral: false,
    }
}

/// The rule the HTTP edge applies: the first click on a pending task decides, later ones are told.
fn plan(by: &str) -> impl Fn(&Approval) -> ClickPlan + '_ {
    move |approval| match &approval.state {
        ApprovalState::Pending => {
            let decision = Decision {
                verdict: Verdict::Approve,
                by: user(by),
                at_ms: 5,
            };
            ClickPlan {
                state: Some(ApprovalState::Deciding {
                    decision: decision.clone(),
                }),
                job: Job::DecideTask(DecideTask {
                    task: task(),
                    decision,
                    origin: origin(),
                    progress: Default::default(),
                }),
            }
        }
        other => ClickPlan {
            state: None,
            job: Job::ApprovalNotice(ApprovalNotice {
                task: task(),
                user: user(by),
                origin: origin(),
                reason: NoticeReason::AlreadyDecided {
                    decision: other.decision().cloned().unwrap(),
                },
            }),
        },
    }
}

#[test]
fn the_first_approval_filed_for_a_task_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.add_approval(&approval()).unwrap();
    let mut other = approval();
    other.requester = user("U0OTHER");
    assert_eq!(store.add_approval(&other).unwrap().requester, user("U0REP"));
    assert_eq!(
        store.approval(&task()).unwrap().unwrap().requester,
        user("U0REP")
    );
}

#[test]
fn a_click_on_an_unknown_task_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let admitted = store
        .admit_click(&task(), "U0REP/1.1", plan("U0REP"))
        .unwrap();
    assert_eq!(admitted, ClickAdmission::UnknownTask);
    assert_eq!(store.job_count(), 0);
    // Not marked as seen either.
    store.add_approval(&approval()).unwrap();
    assert!(matches!(
        store
            .admit_click(&task(), "U0REP/1.1", plan("U0REP"))
            .unwrap(),
        ClickAdmission::Accepted(_)
    ));
}

#[test]
fn the_same_click_delivered_twice_is_admitted_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.add_approval(&approval()).unwrap();
    assert!(matches!(
        store
            .admit_click(&task(), "U0REP/1.1", plan("U0REP"))
            .unwrap(),
        ClickAdmission::Accepted(_)
    ));
    assert_eq!(
        store
            .admit_click(&task(), "U0REP/1.1", plan("U0REP"))
            .unwrap(),
        ClickAdmission::Duplicate
    );
    assert_eq!(store.job_count(), 1);
}

#[test]
fn of_many_simultaneous_clicks_exactly_one_decides() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.add_approval(&approval()).unwrap();
    let jobs: Vec<Job> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let store = store.clone();
                s.spawn(move || {
                    let key = format!("U0REP/{i}.1");
                    match store.admit_click(&task(), &key, plan("U0REP")).unwrap() {
                        ClickAdmission::Accepted(record) => record.job,
                        other => panic!("{other:?}"),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let decisions = jobs
        .iter()
        .filter(|j| matches!(j, Job::DecideTask(_)))
        .count();
    assert_eq!(decisions, 1);
    assert_eq!(store.job_count(), 16, "the others are told");
}

#[tokio::test]
async fn a_decision_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        store.add_approval(&approval()).unwrap();
        store
            .admit_click(&task(), "U0REP/1.1", plan("U0REP"))
            .unwrap();
        store.durable().await.unwrap();
    }
    let store = open(dir.path());
    let admitted = store
        .admit_click(&task(), "U0REP/2.2", plan("U0REP"))
        .unwrap();
    let ClickAdmission::Accepted(record) = admitted else {
        panic!("{admitted:?}")
    };
    assert!(matches!(record.job, Job::ApprovalNotice(_)));
}

#[test]
fn settling_moves_the_state_only_from_the_one_expected() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.add_approval(&approval()).unwrap();
    let ClickAdmission::Accepted(record) = store
        .admit_click(&task(), "U0REP/1.1", plan("U0REP"))
        .unwrap()
    else {
        panic!()
    };
    let deciding = store.approval(&task()).unwrap().unwrap().state;
    let ApprovalState::Deciding { decision } = deciding.clone() else {
        panic!("{deciding:?}")
    };
    let decided = ApprovalState::Decided { decision };
    assert!(
        store
            .settle_approval(&task(), &deciding, &decided, &record)
            .unwrap()
    );
    assert!(
        !store
            .settle_approval(&task(), &deciding, &ApprovalState::Pending, &record)
            .unwrap(),
        "no longer deciding: nothing changes"
    );
    assert_eq!(store.approval(&task()).unwrap().unwrap().state, decided);
}

#[test]
fn an_update_keeps_what_others_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.add_approval(&approval()).unwrap();
    let ts = crate::domain::MessageTs::parse("1.2").unwrap();
    let updated = store
        .update_approval(&task(), |a| {
            let mut a = a.clone();
            a.message_ts = Some(ts.clone());
            Some(a)
        })
        .unwrap()
        .unwrap();
    assert_eq!(updated.message_ts, Some(ts));
    assert_eq!(updated.state, ApprovalState::Pending);
    assert!(
        store
            .update_approval(&TaskId::parse("nope").unwrap(), |_| None)
            .unwrap()
            .is_none()
    );
}
