//! AI follow-up suggestions for a contact, and the contact reads that find that contact.

use super::client::LeadLexClient;
use super::error::{LeadLexError, LeadLexErrorKind};
use crate::domain::ContactId;
use crate::domain::followups::{ContactCard, FollowupsCommand, Suggestion, SuggestionSet};
use reqwest::Method;
use serde::{Deserialize, Serialize};

/// The most contacts one search reads: enough to find an exact e-mail among partial matches and
/// to know a picker has more than it shows.
pub const SEARCH_PAGE_SIZE: u32 = 25;

impl LeadLexClient {
    /// `POST /v1/ai/suggest-followups` (2 credits). `idempotency_key` must be the same on every
    /// retry of one command, so LeadLex answers a retry without charging again.
    pub async fn suggest_followups(
        &self,
        contact: &ContactId,
        command: &FollowupsCommand,
        idempotency_key: &str,
    ) -> Result<SuggestionSet, LeadLexError> {
        const ENDPOINT: &str = "POST /v1/ai/suggest-followups";
        let body = SuggestRequest {
            contact_id: contact.as_str(),
            count: command.count.get(),
            lookback_days: command.lookback_days.get(),
            channels: command.channels.iter().map(|c| c.as_str()).collect(),
        };
        let request = self
            .request(Method::POST, "/v1/ai/suggest-followups")
            .header("Idempotency-Key", idempotency_key)
            .json(&body);
        let (reply, _): (SuggestResponse, _) = self.send(ENDPOINT, request).await?;
        Ok(SuggestionSet {
            suggestions: reply
                .suggestions
                .into_iter()
                .map(|s| Suggestion {
                    kind: s.kind,
                    title: s.title,
                    reason: s.reason,
                    when: s.suggested_when.filter(|w| !w.trim().is_empty()),
                    draft: s.draft_body.filter(|d| !d.trim().is_empty()),
                    confidence: s.confidence.filter(|c| c.is_finite()),
                })
                .collect(),
            activity_summary: reply.activity_summary,
            credits_remaining: reply.credits_remaining,
        })
    }

    /// `GET /v1/contacts?search=…`: contacts whose name or e-mail contains `query` (first page).
    pub async fn search_contacts(&self, query: &str) -> Result<Vec<ContactCard>, LeadLexError> {
        let request = self.request(Method::GET, "/v1/contacts").query(&[
            ("search", query),
            ("per_page", &SEARCH_PAGE_SIZE.to_string()),
        ]);
        let (list, _): (ContactList, _) = self.send("GET /v1/contacts", request).await?;
        // A row without a valid id can't be used for anything; skip it rather than fail the search.
        Ok(list
            .contacts
            .into_iter()
            .filter_map(ContactDto::card)
            .collect())
    }

    /// `GET /v1/contacts/{id}`: the name and company to head the result with.
    pub async fn contact(&self, id: &ContactId) -> Result<ContactCard, LeadLexError> {
        const ENDPOINT: &str = "GET /v1/contacts/{id}";
        let request = self.request(Method::GET, &format!("/v1/contacts/{id}"));
        let (contact, request_id): (ContactDto, _) = self.send(ENDPOINT, request).await?;
        contact.card().ok_or(LeadLexError {
            kind: LeadLexErrorKind::Decode {
                detail: "contact id".into(),
            },
            endpoint: ENDPOINT,
            request_id,
        })
    }
}

#[derive(Serialize)]
struct SuggestRequest<'a> {
    contact_id: &'a str,
    count: u64,
    lookback_days: u64,
    /// Left out when the user named none: LeadLex then considers every channel, new ones too.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    channels: Vec<&'static str>,
}

#[derive(Deserialize)]
struct SuggestResponse {
    #[serde(default)]
    suggestions: Vec<SuggestionDto>,
    #[serde(default)]
    activity_summary: String,
    credits_remaining: Option<u64>,
}

#[derive(Deserialize)]
struct SuggestionDto {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    reason: String,
    suggested_when: Option<String>,
    draft_body: Option<String>,
    confidence: Option<f64>,
}

#[derive(Deserialize)]
struct ContactList {
    #[serde(default)]
    contacts: Vec<ContactDto>,
}

/// A contact as the list (`company_name`) or the single read (`company`) returns it.
#[derive(Deserialize)]
struct ContactDto {
    id: String,
    full_name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    #[serde(alias = "company_name")]
    company: Option<String>,
}

impl ContactDto {
    fn card(self) -> Option<ContactCard> {
        let id = ContactId::parse(&self.id).ok()?;
        let parts = [self.first_name, self.last_name]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let email = self.email.filter(|e| !e.trim().is_empty());
        let name = self
            .full_name
            .filter(|n| !n.trim().is_empty())
            .or_else(|| Some(parts).filter(|p| !p.trim().is_empty()))
            .or_else(|| email.clone())
            .unwrap_or_else(|| id.to_string());
        Some(ContactCard {
            id,
            name: name.trim().to_owned(),
            company: self.company.filter(|c| !c.trim().is_empty()),
            email,
        })
    }
}
