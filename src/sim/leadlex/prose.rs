//! The canned prose Lexi answers with: chat replies, search tasks, follow-up suggestions.

use serde_json::{Value, json};

use super::records::Contact;

/// Whether a chat message asks Lexi to look for prospects.
pub(crate) fn asks_for_search(message: &str) -> bool {
    let lower = message.to_lowercase();
    lower.contains("find") || lower.contains("search")
}

/// "Find me 20 CEOs at law firms." → "20 CEOs at law firms".
pub(crate) fn search_query(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    let lead = ["search for ", "find me ", "look for ", "find ", "search "];
    // The earliest lead phrase wins; at one position, the longest ("find me" over "find").
    let rest = lead
        .iter()
        .filter_map(|l| {
            lower
                .find(l)
                .map(|i| (i, usize::MAX - l.len(), i + l.len()))
        })
        .min()
        .map_or(message, |(_, _, end)| &message[end..]);
    let q = rest.trim().trim_end_matches(['.', '?', '!']).trim();
    if q.is_empty() {
        message.trim().to_owned()
    } else {
        q.to_owned()
    }
}

/// The Markdown answer Lexi gives to a message that creates no task.
pub(crate) fn plain_answer(message: &str, earlier_user_messages: usize) -> String {
    let mut out = String::new();
    if earlier_user_messages > 0 {
        out.push_str(&format!(
            "_Continuing our conversation ({earlier_user_messages} earlier message{})._\n\n",
            if earlier_user_messages == 1 { "" } else { "s" }
        ));
    }
    out.push_str(&format!(
        "**Here's what I found** about \"{}\":\n\n\
         - Your pipeline has 3 open deals that mention this.\n\
         - The most recent related activity was 2 days ago.\n\n\
         Want me to draft a follow-up?",
        message.trim()
    ));
    out
}

pub(crate) fn search_answer(query: &str) -> String {
    format!(
        "I'll search for {query} and add them to a new list. Please approve this task to proceed."
    )
}

pub(crate) fn search_description(query: &str) -> String {
    format!("Search for {query} (up to 20 results)")
}

/// Splits a reply into a few text deltas at word boundaries, as the stream endpoint sends them.
pub(crate) fn deltas(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, word) in text.split_inclusive(' ').enumerate() {
        cur.push_str(word);
        if i % 5 == 4 {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

pub(crate) const CHANNELS: [&str; 5] = ["email", "call", "meeting", "linkedin", "whatsapp"];

/// One suggestion template: channel, title, reason, when, draft, confidence.
struct Idea {
    kind: &'static str,
    title: String,
    reason: String,
    when: &'static str,
    draft: Option<String>,
    confidence: f64,
}

fn idea(
    kind: &'static str,
    title: String,
    reason: String,
    when: &'static str,
    draft: Option<String>,
    confidence: f64,
) -> Idea {
    Idea {
        kind,
        title,
        reason,
        when,
        draft,
        confidence,
    }
}

fn ideas(contact: &Contact) -> Vec<Idea> {
    let first = &contact.first_name;
    let company = &contact.company;
    vec![
        idea(
            "email",
            "Share fee proposal".into(),
            format!(
                "{first} asked for pricing on the last call and hasn't received the proposal yet."
            ),
            "Today",
            Some(format!(
                "Hi {first}, following up on our call on Tuesday - please find our flat-fee proposal attached..."
            )),
            0.9,
        ),
        idea(
            "meeting",
            "Schedule legal review session".into(),
            "Next step in the sales cycle per prior conversation notes.".into(),
            "Next week",
            None,
            0.78,
        ),
        idea(
            "call",
            format!("Check in on {company}'s renewal timeline"),
            format!(
                "{company}'s contract renews next quarter and {first} mentioned budget planning."
            ),
            "Tomorrow morning",
            None,
            0.74,
        ),
        idea(
            "linkedin",
            format!("Comment on {first}'s latest post"),
            format!("{first} posted about legal operations automation this week."),
            "This week",
            Some(format!(
                "Great point on automation, {first} - we've seen the same at similar firms."
            )),
            0.66,
        ),
        idea(
            "email",
            "Send the onboarding case study".into(),
            format!("{first} asked how other firms rolled the product out."),
            "Thursday",
            Some(format!(
                "Hi {first}, here is the case study I mentioned about a firm like {company}..."
            )),
            0.63,
        ),
        idea(
            "whatsapp",
            "Quick nudge on the contract redline".into(),
            "The redline has been with their team for 9 days.".into(),
            "Friday",
            Some(format!(
                "Hi {first}, any news on the redline? Happy to jump on a call."
            )),
            0.55,
        ),
        idea(
            "meeting",
            format!("Quarterly business review with {company}"),
            "Usage grew 40% this quarter; a QBR keeps the expansion conversation going.".into(),
            "In two weeks",
            None,
            0.52,
        ),
        idea(
            "call",
            "Introduce the new account manager".into(),
            format!("{first}'s account changes hands next month."),
            "Next week",
            None,
            0.48,
        ),
        idea(
            "linkedin",
            format!("Connect with {first}'s procurement lead"),
            "Procurement signs off on renewals above the current tier.".into(),
            "This month",
            None,
            0.41,
        ),
        idea(
            "whatsapp",
            "Share the event invitation".into(),
            format!("{first} attended last year's legal-tech breakfast."),
            "Next month",
            Some(format!(
                "Hi {first}, we're hosting the breakfast again on the 12th - want a seat?"
            )),
            0.37,
        ),
    ]
}

/// Follow-up suggestions for a contact, most confident first, limited to `channels` (all when
/// empty). Exactly `count` come back: a narrow channel list repeats ideas with lower confidence.
pub(crate) fn followups(contact: &Contact, count: usize, channels: &[String]) -> Vec<Value> {
    let allowed: Vec<Idea> = ideas(contact)
        .into_iter()
        .filter(|i| channels.is_empty() || channels.iter().any(|c| c == i.kind))
        .collect();
    if allowed.is_empty() {
        return Vec::new();
    }
    (0..count)
        .map(|i| {
            let idea = &allowed[i % allowed.len()];
            let round = i / allowed.len();
            let title = if round == 0 {
                idea.title.clone()
            } else {
                format!("{} (again)", idea.title)
            };
            let decay = 0.8f64.powi(i32::try_from(round).unwrap_or(i32::MAX));
            let confidence = (idea.confidence * decay * 100.0).round() / 100.0;
            json!({"type": idea.kind, "title": title, "reason": idea.reason,
                   "suggested_when": idea.when, "draft_body": idea.draft, "confidence": confidence})
        })
        .collect()
}

pub(crate) fn activity_summary(contact: &Contact, lookback_days: u64) -> String {
    format!(
        "3 emails and 1 meeting with {} in the last {lookback_days} days; last touch was a discovery call on 2026-04-15.",
        contact.first_name
    )
}

#[cfg(test)]
mod tests {
    use super::super::records::seed_contacts;
    use super::*;

    #[test]
    fn search_queries_drop_the_request_words() {
        assert_eq!(
            search_query("Find me 20 CEOs at law firms."),
            "20 CEOs at law firms"
        );
        assert_eq!(
            search_query("please SEARCH FOR partners in Boston?"),
            "partners in Boston"
        );
        assert_eq!(search_query("find"), "find");
    }

    #[test]
    fn followups_respect_count_and_channels() {
        let jane = &seed_contacts()[0];
        let s = followups(jane, 4, &["call".to_owned()]);
        assert_eq!(s.len(), 4);
        assert!(s.iter().all(|x| x["type"] == "call"));
        assert_eq!(followups(jane, 3, &[]).len(), 3);
    }
}
