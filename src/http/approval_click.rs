//! An Approve or Deny click: validated, then decided atomically in the store with the job that tells LeadLex.
//!
//! Nothing here calls LeadLex or Slack. The click is checked (action, task id, workspace, user),
//! then one store transaction either moves the approval from pending to deciding and queues the
//! decision, or queues a short notice for the clicker (not theirs to decide, already decided).
//! A click Slack delivers twice is recognised by its user and `action_ts` and acknowledged only.

use super::{AppState, bad_request, internal, queue_full};
use crate::domain::{
    ApprovalNotice, ApprovalState, ChannelId, ClickOrigin, DecideTask, Decision, Job, MessageTs,
    NoticeReason, TaskId, TeamId, UserId, Verdict,
};
use crate::slack::approval_blocks::{APPROVE_ACTION, DENY_ACTION};
use crate::store::{ClickAdmission, ClickPlan, now_ms};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Slack's `response_url`s are short; anything longer is not one.
pub(super) const RESPONSE_URL_MAX: usize = 2_000;

#[derive(Debug, Deserialize)]
struct Payload {
    team: Option<IdField>,
    user: IdField,
    #[serde(default)]
    container: Container,
    channel: Option<IdField>,
    response_url: Option<String>,
    actions: Vec<ActionField>,
}

#[derive(Debug, Deserialize)]
struct IdField {
    id: String,
}

#[derive(Debug, Default, Deserialize)]
struct Container {
    message_ts: Option<String>,
    channel_id: Option<String>,
    #[serde(default)]
    is_ephemeral: bool,
}

#[derive(Debug, Deserialize)]
struct ActionField {
    action_id: String,
    #[serde(rename = "type")]
    kind: String,
    value: Option<String>,
    action_ts: String,
}

/// A click that passed every check.
#[derive(Debug)]
pub(super) struct Click {
    pub team: Option<TeamId>,
    pub user: UserId,
    pub verdict: Verdict,
    pub task: TaskId,
    /// The user and `action_ts` together identify one click across Slack's re-deliveries.
    pub key: String,
    pub origin: ClickOrigin,
}

pub(super) async fn handle(state: &AppState, payload: &str) -> Response {
    let click = match parse(payload) {
        Ok(click) => click,
        Err(reason) => return bad_request(reason),
    };
    // The bot will POST to it later: only Slack's own (or the configured API's) will do.
    if let Some(url) = &click.origin.response_url
        && !state.response_urls.allows(url)
    {
        return bad_request("approval click has no trusted response_url");
    }
    // A click for a task of another workspace, or one this bot never showed, was not made here.
    match state.store.approval(&click.task) {
        Ok(Some(approval)) if click.team.as_ref().is_none_or(|t| *t == approval.team) => {}
        Ok(_) => return bad_request("no such task"),
        Err(error) => return internal(error),
    }
    if let Some(full) = queue_full(state) {
        return full;
    }
    let now = now_ms();
    let admission = state
        .store
        .admit_click(&click.task, &click.key, |approval| {
            let notice = |reason| ClickPlan {
                state: None,
                job: Job::ApprovalNotice(ApprovalNotice {
                    task: click.task.clone(),
                    user: click.user.clone(),
                    origin: click.origin.clone(),
                    reason,
                }),
            };
            if !approval.may_decide(&click.user, &state.approvers) {
                return notice(NoticeReason::NotAllowed {
                    requester: approval.requester.clone(),
                });
            }
            match &approval.state {
                ApprovalState::Pending => {
                    let decision = Decision {
                        verdict: click.verdict,
                        by: click.user.clone(),
                        at_ms: now,
                    };
                    ClickPlan {
                        state: Some(ApprovalState::Deciding {
                            decision: decision.clone(),
                        }),
                        job: Job::DecideTask(DecideTask {
                            task: click.task.clone(),
                            decision,
                            origin: click.origin.clone(),
                            progress: Default::default(),
                        }),
                    }
                }
                ApprovalState::Deciding { decision } | ApprovalState::Decided { decision } => {
                    notice(NoticeReason::AlreadyDecided {
                        decision: decision.clone(),
                    })
                }
                ApprovalState::Closed { status } => {
                    notice(NoticeReason::Closed { status: *status })
                }
            }
        });
    match admission {
        Ok(ClickAdmission::Accepted(record)) => {
            // Acknowledged only once the decision is on disk: a crash now cannot lose it.
            if let Err(error) = state.store.durable().await {
                return internal(error);
            }
            tracing::info!(task = %click.task, user = %click.user, kind = job_kind(&record.job), "click recorded");
            state.worker.submit(*record);
            StatusCode::OK.into_response()
        }
        Ok(ClickAdmission::Duplicate) => {
            tracing::debug!(task = %click.task, "a click delivered again; acknowledged");
            StatusCode::OK.into_response()
        }
        Ok(ClickAdmission::UnknownTask) => bad_request("no such task"),
        Err(error) => internal(error),
    }
}

pub(super) fn parse(payload: &str) -> Result<Click, &'static str> {
    let payload: Payload =
        serde_json::from_str(payload).map_err(|_| "approval click is missing fields")?;
    let [action] = payload.actions.as_slice() else {
        return Err("an approval click carries exactly one action");
    };
    let verdict = match action.action_id.as_str() {
        APPROVE_ACTION => Verdict::Approve,
        DENY_ACTION => Verdict::Deny,
        _ => return Err("no such approval button"),
    };
    if action.kind != "button" {
        return Err("approval actions are buttons");
    }
    let task = action
        .value
        .as_deref()
        .and_then(|v| TaskId::parse(v).ok())
        .ok_or("approval button value is not a task id")?;
    let user = UserId::parse(&payload.user.id).map_err(|_| "click without a valid user")?;
    let action_ts = MessageTs::parse(&action.action_ts).map_err(|_| "click without action_ts")?;
    let team = match &payload.team {
        Some(team) => Some(TeamId::parse(&team.id).map_err(|_| "click with an invalid team")?),
        None => None,
    };
    let response_url = match payload.response_url {
        Some(url) => Some(checked_url(url)?),
        None => None,
    };
    let channel = payload
        .container
        .channel_id
        .as_deref()
        .or(payload.channel.as_ref().map(|c| c.id.as_str()));
    let channel = match channel {
        Some(id) => Some(ChannelId::parse(id).map_err(|_| "click with an invalid channel")?),
        None => None,
    };
    let message_ts = match payload.container.message_ts.as_deref() {
        Some(ts) => Some(MessageTs::parse(ts).map_err(|_| "click with an invalid message ts")?),
        None => None,
    };
    Ok(Click {
        team,
        key: format!("{user}/{action_ts}"),
        user,
        verdict,
        task,
        origin: ClickOrigin {
            response_url,
            channel,
            message_ts,
            ephemeral: payload.container.is_ephemeral,
        },
    })
}

fn checked_url(url: String) -> Result<String, &'static str> {
    let parsed = url::Url::parse(&url).map_err(|_| "response_url is not a URL")?;
    if url.len() > RESPONSE_URL_MAX || !matches!(parsed.scheme(), "https" | "http") {
        return Err("response_url is not an http(s) URL");
    }
    Ok(url)
}

fn job_kind(job: &Job) -> &'static str {
    match job {
        Job::DecideTask(_) => "decide",
        _ => "notice",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload(action_id: &str, value: &str) -> String {
        json!({
            "type": "block_actions", "team": {"id": "T0ACME"}, "user": {"id": "U0REP"},
            "container": {"type": "message", "message_ts": "1700000000.000200",
                          "channel_id": "C0SALES", "is_ephemeral": false},
            "response_url": "https://hooks.slack.com/actions/T0ACME/1/abc",
            "actions": [{"action_id": action_id, "type": "button", "value": value,
                         "action_ts": "1700000001.000300"}],
        })
        .to_string()
    }

    #[test]
    fn a_well_formed_click_is_understood() {
        let click = parse(&payload(APPROVE_ACTION, "task-1")).unwrap();
        assert_eq!(click.verdict, Verdict::Approve);
        assert_eq!(click.task.as_str(), "task-1");
        assert_eq!(click.key, "U0REP/1700000001.000300");
        assert!(!click.origin.ephemeral);
        assert_eq!(
            parse(&payload(DENY_ACTION, "task-1")).unwrap().verdict,
            Verdict::Deny
        );
    }

    #[test]
    fn forged_actions_and_values_are_refused() {
        assert!(parse(&payload("approval:nuke", "task-1")).is_err());
        assert!(parse(&payload(APPROVE_ACTION, "../../v1/contacts")).is_err());
        assert!(parse(&payload(APPROVE_ACTION, &"a".repeat(3_000))).is_err());
        assert!(parse(&payload(APPROVE_ACTION, "")).is_err());
        let mut bad_url: serde_json::Value =
            serde_json::from_str(&payload(APPROVE_ACTION, "task-1")).unwrap();
        bad_url["response_url"] = json!("javascript:alert(1)");
        assert!(parse(&bad_url.to_string()).is_err());
        let mut two: serde_json::Value =
            serde_json::from_str(&payload(APPROVE_ACTION, "task-1")).unwrap();
        let action = two["actions"][0].clone();
        two["actions"] = json!([action.clone(), action]);
        assert!(parse(&two.to_string()).is_err());
    }
}
