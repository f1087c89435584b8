//! `/followups` under `kill -9`: commands arrive while the bot dies and comes back, and the audit
//! checks each got its result through its response URL, once.

use super::harness::Link;
use super::{CHANNEL, REP, SETTLE, TEAM};
use lexi_slack::sim::{FakeSlack, JANE_DOE_ID, render_text};
use std::fmt;
use std::time::{Duration, Instant};

/// Shows in place of the command's ack once the result is in.
const RESULT: &str = "Follow-ups for";

/// One command sent: its response URL's name and the ack message that URL replaces.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    name: String,
    ack_ts: String,
}

/// Sends `n` `/followups` commands, by e-mail (a contact search first) and by contact id.
pub(crate) async fn run(link: Link, n: usize) -> Vec<Sent> {
    let mut sent = Vec::new();
    for i in 0..n {
        let name = format!("chaos-fu-{i}");
        // The command's immediate answer, tied to its response URL: the result replaces it.
        let ack_ts = link
            .slack
            .show_ephemeral(&name, CHANNEL, REP, "(the command's ack)");
        let contact = if i % 2 == 0 {
            "jane@acme.law"
        } else {
            JANE_DOE_ID
        };
        let form = serde_urlencoded::to_string([
            ("token", "x"),
            ("team_id", TEAM),
            ("team_domain", "acme"),
            ("channel_id", CHANNEL),
            ("channel_name", "chaos"),
            ("user_id", REP),
            ("user_name", "rep"),
            ("command", "/followups"),
            ("text", contact),
            ("api_app_id", "A0LEXI"),
            ("response_url", &link.slack.response_url(&name)),
            ("trigger_id", &format!("chaos.{i}.followups")),
        ])
        .expect("form encodes");
        link.deliver(&form).await;
        sent.push(Sent { name, ack_ts });
    }
    sent
}

/// What the rep was shown for the commands.
pub(crate) struct Delivered {
    commands: usize,
    /// Commands whose ack the result replaced.
    answered: usize,
    /// Messages showing a result the rep can see: one per command when nothing is doubled.
    visible: usize,
    /// Result posts to response URLs beyond one per command (a kill between the post and
    /// recording it); each replaced the same message, so the rep saw no double.
    repeated_posts: usize,
    unanswered: Vec<String>,
}

impl fmt::Display for Delivered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "followups={} answered={} visible_results={} repeated_result_posts={} unanswered={}",
            self.commands,
            self.answered,
            self.visible,
            self.repeated_posts,
            self.unanswered.len()
        )
    }
}

impl Delivered {
    /// Every command answered through its response URL, and seen once.
    pub(crate) fn assert_once(&self) {
        assert!(
            self.unanswered.is_empty(),
            "commands never answered: {:?}",
            self.unanswered
        );
        assert_eq!(self.visible, self.commands, "one result shown per command");
    }
}

/// Waits until every ack shows its result (or [`SETTLE`] passes), then counts what the response
/// URLs received and what the rep sees.
pub(crate) async fn audit(slack: &FakeSlack, sent: &[Sent]) -> Delivered {
    let shows_result = |s: &Sent| {
        slack
            .message(CHANNEL, &s.ack_ts)
            .is_some_and(|m| render_text(&m).contains(RESULT))
    };
    let deadline = Instant::now() + SETTLE;
    loop {
        let seen = slack.answers();
        if sent.iter().all(shows_result) || Instant::now() > deadline {
            break;
        }
        slack.answered_beyond(seen, Duration::from_secs(1)).await;
    }
    let mut out = Delivered {
        commands: sent.len(),
        answered: 0,
        visible: slack
            .ephemerals_for(REP)
            .iter()
            .filter(|m| render_text(m).contains(RESULT))
            .count(),
        repeated_posts: 0,
        unanswered: Vec::new(),
    };
    for s in sent {
        let posts = slack
            .requests_to(&format!("/response/{}", s.name))
            .iter()
            .filter(|r| r.fault.is_none() && r.text().contains(RESULT))
            .count();
        out.repeated_posts += posts.saturating_sub(1);
        if shows_result(s) && posts >= 1 {
            out.answered += 1;
        } else {
            out.unanswered.push(s.name.clone());
        }
    }
    out
}
