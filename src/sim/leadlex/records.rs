//! The fake LeadLex workspace's records: contacts (with the seeded ones) and Lexi tasks.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// Seeded contact: Jane Doe, General Counsel at Acme Legal (`jane@acme.law`).
pub const JANE_DOE_ID: &str = "3f1c2a4e-8b7d-4c6a-9e2f-1a2b3c4d5e01";
/// Seeded contact: Sam Carter, Managing Partner at Brightline LLP.
pub const SAM_CARTER_ID: &str = "7a9e0c12-5d4b-4f3e-8a61-2b3c4d5e6f02";
/// Seeded contact: Sam Patel, Head of Operations at Patel IP Group.
pub const SAM_PATEL_ID: &str = "b25f8e3d-1c7a-4e90-9d42-3c4d5e6f7a03";
/// Seeded contact: Marcus Lee, VP Legal at Northwind Logistics.
pub const MARCUS_LEE_ID: &str = "c48a1f6b-9e2d-4b37-a5c8-4d5e6f7a8b04";

/// A CRM contact in the fake workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub company: String,
    pub job_title: String,
    pub phone: Option<String>,
    pub linkedin_url: Option<String>,
    pub created_at: String,
}

impl Contact {
    /// A contact with a fresh UUID.
    pub fn new(first_name: &str, last_name: &str, email: &str, company: &str) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            email: email.to_owned(),
            company: company.to_owned(),
            job_title: String::new(),
            phone: None,
            linkedin_url: None,
            created_at: "2026-02-24T10:00:00Z".to_owned(),
        }
    }

    pub fn with_job_title(mut self, job_title: &str) -> Self {
        self.job_title = job_title.to_owned();
        self
    }

    pub fn with_id(mut self, id: &str) -> Self {
        self.id = id.to_owned();
        self
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }

    /// The row shape of `GET /v1/contacts` (`company_name`, `created_at`).
    pub(crate) fn list_json(&self) -> Value {
        json!({
            "id": self.id, "full_name": self.full_name(), "email": self.email,
            "phone": self.phone, "job_title": self.job_title, "company_name": self.company,
            "linkedin_url": self.linkedin_url, "created_at": self.created_at,
            "updated_date": self.created_at,
        })
    }

    /// The shape of `GET /v1/contacts/{id}` (`company`, `created_date`).
    pub(crate) fn detail_json(&self) -> Value {
        json!({
            "id": self.id, "first_name": self.first_name, "last_name": self.last_name,
            "full_name": self.full_name(), "email": self.email, "phone": self.phone,
            "job_title": self.job_title, "company": self.company, "related_company_id": null,
            "linkedin_url": self.linkedin_url, "priority": 2, "tags": [], "custom_fields": {},
            "created_date": self.created_at, "updated_date": self.created_at,
        })
    }

    pub(crate) fn matches(&self, search: &str) -> bool {
        let needle = search.trim().to_lowercase();
        self.full_name().to_lowercase().contains(&needle)
            || self.email.to_lowercase().contains(&needle)
    }
}

pub(crate) fn seed_contacts() -> Vec<Contact> {
    let c = |id: &str, first, last, email, company, title: &str| {
        let mut c = Contact::new(first, last, email, company)
            .with_id(id)
            .with_job_title(title);
        c.linkedin_url = Some(format!(
            "https://linkedin.com/in/{}{}",
            c.first_name.to_lowercase(),
            c.last_name.to_lowercase()
        ));
        c.phone = Some("+1 212 555 0100".to_owned());
        c
    };
    vec![
        c(
            JANE_DOE_ID,
            "Jane",
            "Doe",
            "jane@acme.law",
            "Acme Legal",
            "General Counsel",
        ),
        c(
            SAM_CARTER_ID,
            "Sam",
            "Carter",
            "sam.carter@brightline.law",
            "Brightline LLP",
            "Managing Partner",
        ),
        c(
            SAM_PATEL_ID,
            "Sam",
            "Patel",
            "sam@patel-ip.com",
            "Patel IP Group",
            "Head of Operations",
        ),
        c(
            MARCUS_LEE_ID,
            "Marcus",
            "Lee",
            "marcus.lee@northwind.io",
            "Northwind Logistics",
            "VP Legal",
        ),
    ]
}

/// A Lexi task awaiting or past approval.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: String,
    /// `prospect_search`, `campaign_start`, `contact_update`, `list_operation`.
    pub kind: String,
    /// `pending`, `approved`, `dismissed`, `completed`, `failed`.
    pub status: String,
    pub description: String,
    pub created_at: String,
    pub metadata: Value,
    pub conversation_id: Option<String>,
    pub dismiss_reason: Option<String>,
    /// Status-listing polls seen since approval (drives completion).
    pub(crate) polls: u32,
    /// What the task turns into when it finishes (`completed` unless forced).
    pub(crate) outcome: String,
}

impl Task {
    pub(crate) fn new(kind: &str, description: &str, metadata: Value) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            kind: kind.to_owned(),
            status: "pending".to_owned(),
            description: description.to_owned(),
            created_at: now_iso8601(),
            metadata,
            conversation_id: None,
            dismiss_reason: None,
            polls: 0,
            outcome: "completed".to_owned(),
        }
    }

    /// The API shape in `GET /v1/lexi/tasks`.
    pub(crate) fn json(&self) -> Value {
        json!({
            "id": self.id, "type": self.kind, "status": self.status,
            "description": self.description, "created_at": self.created_at,
            "metadata": self.metadata,
        })
    }

    /// Moves an approved task to its outcome, filling in what a finished task reports.
    pub(crate) fn finish(&mut self) {
        self.status = self.outcome.clone();
        let extra = if self.status == "failed" {
            json!({"error": "The prospect search provider did not answer in time"})
        } else {
            json!({"results": 20, "list_id": uuid::Uuid::new_v4().to_string()})
        };
        if !self.metadata.is_object() {
            self.metadata = json!({});
        }
        if let (Some(m), Some(e)) = (self.metadata.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                m.insert(k.clone(), v.clone());
            }
        }
    }
}

pub(crate) const TASK_STATUSES: [&str; 5] =
    ["pending", "approved", "dismissed", "completed", "failed"];

/// Now as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn now_iso8601() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    iso8601(secs)
}

pub(crate) fn iso8601(secs: u64) -> String {
    crate::domain::utc::UtcTime::from_unix(secs).iso8601()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_matches_known_dates() {
        assert_eq!(iso8601(1_708_905_600), "2024-02-26T00:00:00Z");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
    }
}
