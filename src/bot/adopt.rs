//! A message job resumed after a crash (or after a post whose outcome is unknown) first reads
//! the thread back, and adopts the messages it had posted but not yet recorded.
//!
//! Every message a job posts in a thread carries its [`ReplyTag`] (the job's idempotency key and
//! the message's role), so adoption is an exact match, never a guess about "the newest bot
//! message" (in a busy thread that could be another job's reply). The one message that cannot
//! carry a tag is a stream that was cut off: `chat.startStream` takes no metadata (its tag goes
//! on with `chat.stopStream`). So the job saves `stream_starting` before starting one, and only
//! then is the newest untagged message of ours after the user's message taken as that stream.
//!
//! The read costs one `conversations.replies` per resumed job per process start, nothing on the
//! normal path.

use super::converse::Step;
use super::{Deps, Outcome};
use crate::domain::Converse;
use crate::slack::reply_tag::Role;
use crate::slack::thread_replies::BotReply;

/// Whether this run must read the thread back before posting anything.
pub(super) fn needed(deps: &Deps, enqueued_ms: u64, job: &Converse) -> bool {
    let resumed = enqueued_ms < deps.booted_ms;
    job.progress.check_thread
        || (resumed && job.progress.thread_checked_boot != Some(deps.booted_ms))
}

/// Reads the thread and records what this job had already posted. `Err` is the run's outcome
/// when the thread cannot be read now but may be soon.
pub(super) async fn earlier_posts(step: &Step<'_>, job: &mut Converse) -> Result<(), Outcome> {
    let deps = step.deps;
    let (channel, thread) = (&job.thread.channel, &job.thread.thread_ts);
    let replies = match deps
        .slack
        .bot_replies_after(channel, thread, &job.message_ts)
        .await
    {
        Ok(replies) => replies,
        Err(error) if error.is_retryable() => {
            tracing::warn!(%error, "cannot read the thread back yet; will retry");
            return Err(step.slack_failed(error));
        }
        Err(error) => {
            // Without history access (a missing scope, say) the job goes on as before adoption
            // existed: at worst one stale placeholder, never a lost answer.
            tracing::warn!(%error, "cannot read the thread back; answering without adopting");
            return Ok(());
        }
    };
    let untagged_ours = if job.progress.stream_starting && job.progress.stream_ts.is_none() {
        match deps.own_bot_id().await {
            Ok(me) => newest_untagged(&replies, me),
            Err(error) => {
                tracing::warn!(%error, "cannot learn the bot's id; not adopting a stream");
                None
            }
        }
    } else {
        None
    };
    tracing::debug!(
        replies = replies.len(),
        stream_starting = job.progress.stream_starting,
        stream = ?job.progress.stream_ts,
        "read the thread back"
    );
    let adopted = adopt(job, &step.key, &replies, untagged_ours);
    if adopted {
        tracing::info!(
            placeholder = ?job.progress.placeholder_ts,
            stream = ?job.progress.stream_ts,
            parts = job.progress.parts_posted,
            "adopted messages an earlier run posted"
        );
    }
    job.progress.check_thread = false;
    job.progress.thread_checked_boot = Some(deps.booted_ms);
    Ok(())
}

/// The newest message of ours without a tag: a stream that was cut off before it could be tagged.
fn newest_untagged(replies: &[BotReply], own_bot_id: &str) -> Option<BotReply> {
    replies
        .iter()
        .rev()
        .find(|r| r.tag.is_none() && !own_bot_id.is_empty() && r.bot_id == own_bot_id)
        .cloned()
}

/// Applies what the thread shows to the job's progress; true if anything was adopted.
fn adopt(
    job: &mut Converse,
    key: &str,
    replies: &[BotReply],
    cut_stream: Option<BotReply>,
) -> bool {
    let progress = &mut job.progress;
    let before = progress.clone();
    for reply in replies {
        let Some(tag) = reply.tag.as_ref().filter(|t| t.job == key) else {
            continue;
        };
        match tag.role {
            // A tagged first message while a stream was starting is that stream, stopped with
            // the whole answer: nothing is left to do.
            Role::Part(0) if progress.stream_starting && !progress.streaming_off => {
                progress.stream_ts = Some(reply.ts.clone());
                progress.stream_stopped = true;
            }
            Role::Part(0) => {
                if progress.placeholder_ts.is_none() {
                    progress.placeholder_ts = Some(reply.ts.clone());
                }
            }
            // Parts go up in order: part n in the thread means parts 0..=n are there.
            Role::Part(n) => progress.parts_posted = progress.parts_posted.max(n + 1),
            Role::Interrupted | Role::Notice => {}
        }
    }
    if !progress.stream_stopped {
        if let Some(stream) = cut_stream {
            progress.stream_ts = Some(stream.ts);
        }
    }
    *progress != before
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ConverseProgress, MessageTs};
    use crate::slack::ReplyTag;

    const KEY: &str = "6a0e6f2c-4a4b-4c1e-9a57-2f0f3f1d0001";

    fn job() -> Converse {
        Converse::sample("1700000000.000100", "1700000000.000200")
    }

    fn reply(ts: &str, tag: Option<ReplyTag>) -> BotReply {
        BotReply {
            ts: MessageTs::parse(ts).unwrap(),
            bot_id: "B0LEXI".into(),
            tag,
        }
    }

    #[test]
    fn its_own_placeholder_is_adopted_and_nothing_else() {
        let mut job = job();
        let replies = [
            reply("1700000001.000000", Some(ReplyTag::part("another-job", 0))),
            reply("1700000002.000000", None),
            reply("1700000003.000000", Some(ReplyTag::part(KEY, 0))),
        ];
        assert!(adopt(&mut job, KEY, &replies, None));
        assert_eq!(
            job.progress.placeholder_ts,
            Some(MessageTs::parse("1700000003.000000").unwrap())
        );
        assert_eq!(job.progress.parts_posted, 0);
        assert_eq!(job.progress.stream_ts, None);
    }

    #[test]
    fn later_parts_count_as_posted() {
        let mut job = job();
        job.progress.placeholder_ts = Some(MessageTs::parse("1700000003.000000").unwrap());
        let replies = [
            reply("1700000003.000000", Some(ReplyTag::part(KEY, 0))),
            reply("1700000004.000000", Some(ReplyTag::part(KEY, 1))),
            reply("1700000005.000000", Some(ReplyTag::part(KEY, 2))),
        ];
        assert!(adopt(&mut job, KEY, &replies, None));
        assert_eq!(job.progress.parts_posted, 3);
    }

    #[test]
    fn a_cut_stream_is_adopted_only_when_one_was_starting() {
        let cut = reply("1700000006.000000", None);
        let mut job = job();
        job.progress.stream_starting = true;
        assert!(adopt(
            &mut job,
            KEY,
            std::slice::from_ref(&cut),
            Some(cut.clone())
        ));
        assert_eq!(job.progress.stream_ts, Some(cut.ts.clone()));
        assert!(!job.progress.stream_stopped);

        let untagged = [reply("1700000006.000000", None)];
        assert_eq!(newest_untagged(&untagged, "B0OTHER"), None, "not ours");
        assert_eq!(newest_untagged(&untagged, ""), None, "unknown identity");
    }

    #[test]
    fn a_stopped_stream_means_the_answer_is_complete() {
        let mut job = job();
        job.progress.stream_starting = true;
        let replies = [reply("1700000007.000000", Some(ReplyTag::part(KEY, 0)))];
        assert!(adopt(&mut job, KEY, &replies, None));
        assert!(job.progress.stream_stopped);
    }

    #[test]
    fn nothing_of_its_own_changes_nothing() {
        let mut job = job();
        let replies = [
            reply("1700000001.000000", Some(ReplyTag::part("another-job", 0))),
            reply("1700000002.000000", Some(ReplyTag::interrupted(KEY))),
        ];
        assert!(!adopt(&mut job, KEY, &replies, None));
        assert_eq!(job.progress, ConverseProgress::default());
    }
}
