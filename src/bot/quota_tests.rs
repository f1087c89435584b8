//! The request caps' windows, bounds and sentences.

use super::*;

fn quota(per_user: u32, per_team: u32) -> Quota {
    Quota::new(QuotaSettings {
        per_user,
        per_team,
        window: Duration::from_secs(60),
    })
}

#[test]
fn a_user_gets_their_cap_a_minute_then_waits_for_the_oldest_to_age_out() {
    let q = quota(3, 100);
    let t0 = Instant::now();
    for i in 0..3 {
        assert!(
            q.admit("T1", "U1", t0 + Duration::from_secs(i * 10))
                .is_ok()
        );
    }
    let refused = q
        .admit("T1", "U1", t0 + Duration::from_secs(30))
        .unwrap_err();
    assert_eq!(refused.scope, Scope::User);
    assert_eq!(refused.until, t0 + Duration::from_secs(60));
    assert!(
        q.admit("T1", "U2", t0 + Duration::from_secs(30)).is_ok(),
        "others go on"
    );
    assert!(
        q.admit("T1", "U1", t0 + Duration::from_secs(60)).is_ok(),
        "the window slid"
    );
    assert!(q.admit("T1", "U1", t0 + Duration::from_secs(61)).is_err());
}

#[test]
fn the_workspace_cap_holds_across_users_and_refusals_are_not_counted() {
    let q = quota(2, 3);
    let t0 = Instant::now();
    assert!(q.admit("T1", "U1", t0).is_ok());
    assert!(q.admit("T1", "U1", t0).is_ok());
    assert_eq!(q.admit("T1", "U1", t0).unwrap_err().scope, Scope::User);
    assert!(q.admit("T1", "U2", t0).is_ok());
    let refused = q.admit("T1", "U3", t0).unwrap_err();
    assert_eq!((refused.scope, refused.cap), (Scope::Team, 3));
    assert!(
        q.admit("T2", "U9", t0).is_ok(),
        "another workspace has its own cap"
    );
}

#[test]
fn a_cap_of_zero_is_no_cap() {
    let q = quota(0, 0);
    let t0 = Instant::now();
    assert!((0..10_000).all(|_| q.admit("T1", "U1", t0).is_ok()));
    assert!(q.lock().users.recent.is_empty(), "nothing is even tracked");
}

#[test]
fn tracking_is_bounded_and_forgets_idle_users_first() {
    let q = quota(5, 0);
    let t0 = Instant::now();
    for i in 0..MAX_TRACKED {
        q.admit("T1", &format!("U{i}"), t0).unwrap();
    }
    let later = t0 + Duration::from_secs(1);
    q.admit("T1", "U0", later).unwrap();
    q.admit("T1", "UNEW", later).unwrap();
    let st = q.lock();
    assert_eq!(st.users.recent.len(), MAX_TRACKED);
    assert!(st.users.recent.contains_key("U0"), "busy just now: kept");
    assert!(st.users.recent.contains_key("UNEW"));
}

#[test]
fn the_sentence_says_whose_cap_and_when() {
    let user = Refusal {
        scope: Scope::User,
        cap: 20,
        until: Instant::now(),
    };
    let text = sentence(&user, Duration::from_millis(34_200));
    assert!(text.contains("You've sent Lexi 20 requests"), "{text}");
    assert!(text.ends_with("try again in 35 seconds."), "{text}");
    let team = Refusal {
        scope: Scope::Team,
        ..user
    };
    let text = sentence(&team, Duration::from_millis(300));
    assert!(
        text.starts_with("Your workspace has sent Lexi 20"),
        "{text}"
    );
    assert!(text.ends_with("in a second."), "{text}");
}
