//! Approval cards under `kill -9`: Lexi proposes tasks, each card gets a re-delivered click and a
//! click on the other button at the same moment, and the audit checks no task was decided twice.

use super::harness::{Link, event};
use super::{CHANNEL, REP, SETTLE, TEAM};
use lexi_slack::sim::{FakeLeadLex, FakeSlack};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::fmt;
use std::time::{Duration, Instant};

const APPROVE: &str = "approval:approve";
const DENY: &str = "approval:deny";

/// A card Lexi showed: its thread, its message and the task its buttons decide.
#[derive(Debug, Clone)]
pub(crate) struct Card {
    pub(crate) ts: String,
    pub(crate) task: String,
}

/// Asks Lexi for `n` prospect searches (one thread each), then clicks every card as it shows up.
pub(crate) async fn ask_and_click(link: Link, n: usize) -> Vec<Card> {
    // Older than the fake Slack's own ts, as a user's message is older than the bot's reply.
    let roots: Vec<String> = (0..n).map(|i| format!("16980{i:05}.000000")).collect();
    for (i, root) in roots.iter().enumerate() {
        let text = format!("find 20 CEOs at law firms in city {i}");
        let body = event(&format!("EvCard{i}"), root, None, &text).to_string();
        link.deliver(&body).await;
    }
    let clicking: Vec<_> = roots
        .into_iter()
        .enumerate()
        .map(|(i, root)| tokio::spawn(click(link.clone(), i, root)))
        .collect();
    let mut cards = Vec::new();
    for c in clicking {
        cards.push(c.await.expect("clicks on a card"));
    }
    cards
}

/// Waits for the card, then sends one click twice (as Slack re-delivers) and, at the same time,
/// a click on the other button: approve first for even cards, deny first for odd ones.
async fn click(link: Link, i: usize, root: String) -> Card {
    let card = shown_card(&link.slack, &root).await;
    let (first, second) = if i % 2 == 0 {
        (APPROVE, DENY)
    } else {
        (DENY, APPROVE)
    };
    let once = payload(&link, &card, first, &format!("1800000{i:03}.000001"));
    let other = payload(&link, &card, second, &format!("1800000{i:03}.000002"));
    tokio::join!(
        link.deliver(&once),
        link.deliver(&once),
        link.deliver(&other)
    );
    card
}

/// The card in the thread at `root`, once the bot has shown it.
async fn shown_card(slack: &FakeSlack, root: &str) -> Card {
    let deadline = Instant::now() + SETTLE;
    loop {
        let seen = slack.answers();
        let found = slack.thread(CHANNEL, root).iter().find_map(|m| {
            Some(Card {
                ts: m.ts.clone(),
                task: m.button_value(APPROVE)?,
            })
        });
        if let Some(card) = found {
            return card;
        }
        assert!(Instant::now() < deadline, "no approval card in {root}");
        slack.answered_beyond(seen, Duration::from_secs(1)).await;
    }
}

/// A `block_actions` form body: `REP` clicks `action_id` on the card, with a response URL of
/// the click's own, bound to the card and the clicker.
fn payload(link: &Link, card: &Card, action_id: &str, action_ts: &str) -> String {
    let name = format!("click-{}", action_ts.replace('.', "-"));
    link.slack.bind_response_url(&name, CHANNEL, &card.ts);
    link.slack.bind_response_url_user(&name, REP);
    let payload: Value = json!({
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": REP, "username": "rep", "team_id": TEAM},
        "api_app_id": "A0LEXI", "token": "x",
        "container": {"type": "message", "message_ts": card.ts, "channel_id": CHANNEL,
                      "is_ephemeral": false},
        "trigger_id": format!("1337.42.{action_ts}"),
        "channel": {"id": CHANNEL, "name": "chaos"},
        "response_url": link.slack.response_url(&name),
        "actions": [{"action_id": action_id, "block_id": "b1", "type": "button",
                     "value": card.task, "action_ts": action_ts,
                     "text": {"type": "plain_text", "text": "Decide"}}],
    });
    serde_urlencoded::to_string([("payload", payload.to_string())]).expect("form encodes")
}

/// What LeadLex was told about the cards' tasks.
pub(crate) struct Decisions {
    cards: usize,
    approved: usize,
    dismissed: usize,
    /// Decision calls beyond the first for the same decision and key (a kill cut one off).
    repeats: usize,
    /// Tasks told two different things, or the same thing under two keys.
    decided_twice: Vec<String>,
    /// Tasks LeadLex was never told about: a click lost.
    undecided: Vec<String>,
    /// Tasks whose status at LeadLex is not what the one decision made it.
    inconsistent: Vec<String>,
}

impl fmt::Display for Decisions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cards={} approved={} dismissed={} decision_repeats={} decided_twice={} undecided={}",
            self.cards,
            self.approved,
            self.dismissed,
            self.repeats,
            self.decided_twice.len(),
            self.undecided.len()
        )
    }
}

impl Decisions {
    /// Every card decided, once, and LeadLex's task shows that decision.
    pub(crate) fn assert_once(&self) {
        assert!(
            self.decided_twice.is_empty(),
            "tasks decided twice: {:?}",
            self.decided_twice
        );
        assert!(
            self.undecided.is_empty(),
            "clicks lost: {:?}",
            self.undecided
        );
        assert!(
            self.inconsistent.is_empty(),
            "tasks not in the state decided: {:?}",
            self.inconsistent
        );
    }
}

/// Waits until LeadLex has every task out of `pending` (or [`SETTLE`] passes), then counts the
/// decision calls per task by action and `Idempotency-Key`.
pub(crate) async fn audit(leadlex: &FakeLeadLex, cards: &[Card]) -> Decisions {
    let deadline = Instant::now() + SETTLE;
    loop {
        let seen = leadlex.answers();
        let pending = cards
            .iter()
            .filter(|c| leadlex.task(&c.task).is_none_or(|t| t.status == "pending"))
            .count();
        if pending == 0 || Instant::now() > deadline {
            break;
        }
        leadlex.answered_beyond(seen, Duration::from_secs(1)).await;
    }
    let mut out = Decisions {
        cards: cards.len(),
        approved: 0,
        dismissed: 0,
        repeats: 0,
        decided_twice: Vec::new(),
        undecided: Vec::new(),
        inconsistent: Vec::new(),
    };
    for card in cards {
        let mut decisions: BTreeSet<(&str, String)> = BTreeSet::new();
        let mut calls = 0;
        for action in ["approve", "dismiss"] {
            let path = format!("/v1/lexi/tasks/{}/{action}", card.task);
            for call in leadlex.requests_to(&path) {
                calls += 1;
                let key = call.header("idempotency-key").unwrap_or_default();
                decisions.insert((action, key.to_owned()));
            }
        }
        out.repeats += calls - decisions.len();
        let status = leadlex
            .task(&card.task)
            .map(|t| t.status)
            .unwrap_or_default();
        match decisions.iter().next() {
            _ if decisions.len() > 1 => out.decided_twice.push(card.task.clone()),
            None => out.undecided.push(card.task.clone()),
            Some(("approve", _)) => {
                out.approved += 1;
                if !["approved", "completed", "failed"].contains(&status.as_str()) {
                    out.inconsistent
                        .push(format!("{} approved but {status}", card.task));
                }
            }
            Some(_) => {
                out.dismissed += 1;
                if status != "dismissed" {
                    out.inconsistent
                        .push(format!("{} dismissed but {status}", card.task));
                }
            }
        }
    }
    out
}
