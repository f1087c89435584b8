//! `/followups <contact>`: find the contact (or offer a picker), ask LeadLex for next steps, show them.

use super::messages::{self, Call};
use super::{Outcome, Run};
use crate::bot::{Deps, FailReason};
use crate::domain::JobRecord;
use crate::domain::followups::{
    CardId, ContactCard, ContactRef, FollowupsCard, FollowupsCommand, FollowupsStep,
    SuggestProgress, SuggestionSet,
};
use crate::leadlex::{LeadLexError, LeadLexErrorKind, SEARCH_PAGE_SIZE};
use crate::slack::followup_blocks::{self, PICKER_MAX};
use crate::slack::{OutgoingMessage, render};
use crate::store::now_ms;

pub(super) async fn run(deps: &Deps, record: &mut JobRecord) -> Outcome {
    let Some(mut step) = Suggest::new(deps, record) else {
        return Outcome::Done;
    };
    let outcome = step.run().await;
    // The worker saves the record on a retry: it must carry this run's progress.
    *record = step.ctx.record_with(step.step());
    outcome
}

struct Suggest<'a> {
    ctx: Run<'a>,
    command: FollowupsCommand,
    progress: SuggestProgress,
}

/// Who the command is for, once the search has spoken.
enum Found {
    One(ContactCard),
    /// The user was answered (a picker, "no match", an error) or the job retries.
    Answered(Outcome),
}

impl<'a> Suggest<'a> {
    fn new(deps: &'a Deps, record: &JobRecord) -> Option<Self> {
        let ctx = Run::new(deps, record)?;
        let FollowupsStep::Suggest { command, progress } = ctx.job.step.clone() else {
            return None;
        };
        Some(Self {
            ctx,
            command,
            progress,
        })
    }

    fn step(&self) -> FollowupsStep {
        FollowupsStep::Suggest {
            command: self.command.clone(),
            progress: self.progress.clone(),
        }
    }

    async fn save(&self) -> Option<Outcome> {
        self.ctx.save(self.step()).await
    }

    async fn run(&mut self) -> Outcome {
        let contact = match self.progress.contact.clone() {
            Some(contact) => contact,
            None => match self.find_contact().await {
                Found::One(contact) => {
                    self.progress.contact = Some(contact.clone());
                    if let Some(outcome) = self.save().await {
                        return outcome;
                    }
                    contact
                }
                Found::Answered(outcome) => return outcome,
            },
        };

        if !self.progress.placeholder_shown {
            // A click on the picker has no placeholder yet: replace the picker with one. Best
            // effort: the result replaces whatever is showing either way.
            let placeholder = followup_blocks::placeholder(&contact.name);
            if let Err(error) = self.show(&placeholder).await {
                tracing::warn!(%error, "cannot show the follow-ups placeholder");
            }
            self.progress.placeholder_shown = true;
            if let Some(outcome) = self.save().await {
                return outcome;
            }
        }

        let result = match self.progress.result.clone() {
            Some(result) => result,
            None => {
                let deps = self.ctx.deps;
                let key = self.ctx.header.idempotency_key.clone();
                match deps
                    .leadlex
                    .suggest_followups(&contact.id, &self.command, &key)
                    .await
                {
                    Ok(result) => {
                        tracing::info!(
                            suggestions = result.suggestions.len(),
                            credits_left = result.credits_remaining,
                            "LeadLex suggested follow-ups"
                        );
                        // Saved before anything else: the credits are spent, never twice.
                        self.progress.result = Some(result.clone());
                        if let Some(outcome) = self.save().await {
                            return outcome;
                        }
                        result
                    }
                    Err(error) => return self.leadlex_failed(error, Call::Suggest).await,
                }
            }
        };

        let card = match self.card(contact, result) {
            Ok(card) => card,
            Err(error) => {
                tracing::error!(%error, "cannot keep the follow-ups card");
                let wait = self.ctx.retry_delay(None);
                if self.ctx.may_retry(wait) {
                    return Outcome::RetryAfter(wait);
                }
                let told = self.finish(&render::notice(messages::GAVE_UP)).await;
                return told.failed_if_done(FailReason::StoreUnavailable);
            }
        };
        if let Err(error) = self.ctx.deps.store.durable().await {
            tracing::error!(%error, "cannot flush the follow-ups card");
        }
        self.finish(&followup_blocks::result(&card)).await
    }

    /// The card the buttons act on: the one kept by an earlier run (its shares included), or a
    /// new one named after this job, so every run of it builds the same card.
    fn card(
        &self,
        contact: ContactCard,
        result: SuggestionSet,
    ) -> Result<FollowupsCard, crate::store::StoreError> {
        let store = &self.ctx.deps.store;
        let id =
            CardId::parse(&self.ctx.header.idempotency_key).unwrap_or_else(|_| CardId::generate());
        if let Some(card) = store.card(&id)? {
            return Ok(card);
        }
        let job = &self.ctx.job;
        let card = FollowupsCard {
            id,
            team: job.team.clone(),
            channel: job.channel.clone(),
            requester: job.user.clone(),
            contact,
            lookback_days: self.command.lookback_days.get(),
            result,
            shared: Default::default(),
            discussion: None,
            created_ms: now_ms(),
        };
        store.save_card(&card)?;
        Ok(card)
    }

    async fn find_contact(&mut self) -> Found {
        let deps: &Deps = self.ctx.deps;
        let leadlex = &deps.leadlex;
        let wanted = self.command.contact.clone();
        let (query, exact): (&str, fn(&ContactCard, &str) -> bool) = match &wanted {
            ContactRef::Id(id) => {
                return match leadlex.contact(id).await {
                    Ok(contact) => Found::One(contact),
                    // The suggestions may still be allowed: go on without the contact's name.
                    Err(error)
                        if matches!(error.kind, LeadLexErrorKind::MissingPermission { .. }) =>
                    {
                        tracing::warn!(%error, "cannot read the contact; going on without its name");
                        Found::One(ContactCard {
                            id: id.clone(),
                            name: "this contact".into(),
                            company: None,
                            email: None,
                        })
                    }
                    Err(error) => {
                        Found::Answered(self.leadlex_failed(error, Call::ReadContact).await)
                    }
                };
            }
            ContactRef::Email(email) => (email, same_email),
            ContactRef::Name(name) => (name, same_name),
        };
        let query = query.to_owned();
        let found = match leadlex.search_contacts(&query).await {
            Ok(found) => found,
            Err(error) => {
                return Found::Answered(self.leadlex_failed(error, Call::SearchContacts).await);
            }
        };
        let page_full = found.len() >= SEARCH_PAGE_SIZE as usize;
        let exact_matches: Vec<ContactCard> =
            found.iter().filter(|c| exact(c, &query)).cloned().collect();
        let (pool, more) = if exact_matches.is_empty() {
            (found, page_full)
        } else {
            (exact_matches, false)
        };
        tracing::info!(matches = pool.len(), "looked the contact up");
        match pool.as_slice() {
            [] => Found::Answered(
                self.finish(&render::notice(&messages::no_match(&query)))
                    .await,
            ),
            [one] => Found::One(one.clone()),
            several => {
                let more = more || several.len() > PICKER_MAX;
                let picker = followup_blocks::picker(&query, &self.command, several, more);
                Found::Answered(self.finish(&picker).await)
            }
        }
    }

    async fn leadlex_failed(&mut self, error: LeadLexError, call: Call) -> Outcome {
        if matches!(error.kind, LeadLexErrorKind::InvalidKey) {
            self.ctx.deps.report_key_refused(&error);
        }
        let wait = self.ctx.retry_delay(error.retry_after());
        let too_long = error
            .retry_after()
            .is_some_and(|w| w > self.ctx.deps.retry.max_server_wait);
        if error.is_retryable() && !too_long && self.ctx.may_retry(wait) {
            tracing::warn!(%error, attempt = self.ctx.header.attempts + 1, "LeadLex failed; will retry");
            if !self.progress.told_retrying && self.ctx.header.attempts >= 1 {
                let note = render::notice(messages::RETRYING);
                if let Err(error) = self.show(&note).await {
                    tracing::warn!(%error, "cannot say that Lexi keeps trying");
                }
                self.progress.told_retrying = true;
                if let Some(outcome) = self.save().await {
                    return outcome;
                }
            }
            return Outcome::RetryAfter(wait);
        }
        tracing::warn!(%error, "LeadLex failed; telling the user");
        let text = match error.kind {
            LeadLexErrorKind::RateLimited { .. } if !too_long => messages::GAVE_UP.to_owned(),
            _ => messages::for_leadlex_error(&error, call),
        };
        let told = self.finish(&render::notice(&text)).await;
        told.failed_if_done(FailReason::of_leadlex(&error))
    }

    /// Replaces what the user sees (placeholder, picker) with `message`.
    async fn show(&mut self, message: &OutgoingMessage) -> Result<(), crate::slack::SlackError> {
        self.ctx
            .show(&mut self.progress.responses_used, message, true)
            .await
    }

    /// Shows the last word of this command and ends the job (or retries the showing).
    async fn finish(&mut self, message: &OutgoingMessage) -> Outcome {
        match self.show(message).await {
            Ok(()) => Outcome::Done,
            Err(error) => self.ctx.slack_failed(error),
        }
    }
}

fn same_email(contact: &ContactCard, email: &str) -> bool {
    contact
        .email
        .as_deref()
        .is_some_and(|e| e.trim().eq_ignore_ascii_case(email))
}

fn same_name(contact: &ContactCard, name: &str) -> bool {
    let words = |s: &str| {
        s.split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
    };
    words(&contact.name) == words(name)
}
