//! Slack's checks on message content: which of `text`/`blocks`/`markdown_text` may appear, and the
//! Block Kit limits (blocks, section, header, button, markdown totals).

use serde_json::Value;

/// Why Slack refuses a message: the `error` code and, for `invalid_blocks`,
/// the `response_metadata.messages` explaining it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Rejection {
    pub(super) error: &'static str,
    pub(super) messages: Vec<String>,
}

impl Rejection {
    pub(super) fn new(error: &'static str) -> Self {
        Self {
            error,
            messages: Vec::new(),
        }
    }
}

/// The content of a message that passed the checks.
#[derive(Debug, Default)]
pub(super) struct Content {
    pub(super) text: Option<String>,
    pub(super) blocks: Option<Value>,
    pub(super) markdown_text: Option<String>,
}

impl Content {
    /// What the message shows as its `text`.
    pub(super) fn display_text(&self) -> String {
        self.markdown_text
            .clone()
            .or_else(|| self.text.clone())
            .unwrap_or_default()
    }
}

fn nonempty_str(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// `blocks` as an array, accepting the JSON-in-a-string form bodies use; `Ok(None)` if absent or empty.
pub(super) fn blocks_of(p: &Value) -> Result<Option<Value>, Rejection> {
    let blocks = match &p["blocks"] {
        Value::Null => return Ok(None),
        Value::String(s) if s.is_empty() => return Ok(None),
        Value::String(s) => {
            serde_json::from_str::<Value>(s).map_err(|_| Rejection::new("invalid_blocks_format"))?
        }
        v => v.clone(),
    };
    match &blocks {
        Value::Array(a) if a.is_empty() => Ok(None),
        Value::Array(_) => Ok(Some(blocks)),
        _ => Err(Rejection::new("invalid_blocks_format")),
    }
}

/// Checks `text`, `blocks` and `markdown_text` the way `chat.postMessage` does.
pub(super) fn check_message(p: &Value) -> Result<Content, Rejection> {
    let content = Content {
        text: nonempty_str(&p["text"]),
        blocks: blocks_of(p)?,
        markdown_text: nonempty_str(&p["markdown_text"]),
    };
    if content.markdown_text.is_some() && (content.text.is_some() || content.blocks.is_some()) {
        return Err(Rejection::new("markdown_text_conflict"));
    }
    if content.text.is_none() && content.blocks.is_none() && content.markdown_text.is_none() {
        return Err(Rejection::new("no_text"));
    }
    if content
        .text
        .as_ref()
        .is_some_and(|t| t.chars().count() > 40_000)
    {
        return Err(Rejection::new("msg_too_long"));
    }
    check_markdown_text(content.markdown_text.as_deref())?;
    if let Some(blocks) = &content.blocks {
        check_blocks(blocks)?;
    }
    Ok(content)
}

/// `markdown_text` arguments are limited to 12,000 characters.
pub(super) fn check_markdown_text(md: Option<&str>) -> Result<(), Rejection> {
    if md.is_some_and(|t| t.chars().count() > 12_000) {
        return Err(Rejection::new("msg_too_long"));
    }
    Ok(())
}

/// Block Kit limits; every problem found is reported, as Slack does.
pub(super) fn check_blocks(blocks: &Value) -> Result<(), Rejection> {
    let mut errs = Errors(Vec::new());
    let list = blocks.as_array().map(Vec::as_slice).unwrap_or_default();
    if list.len() > 50 {
        errs.add("no more than 50 items allowed", "/blocks");
    }
    let mut markdown_total = 0;
    for (i, b) in list.iter().enumerate() {
        let at = format!("/blocks/{i}");
        let Some(kind) = b["type"].as_str() else {
            errs.add("missing required field: type", &at);
            continue;
        };
        errs.max_len(&b["block_id"], 255, &format!("{at}/block_id"));
        match kind {
            "section" => section(&mut errs, b, &at),
            "header" => {
                errs.text_object(&b["text"], &["plain_text"], 150, &format!("{at}/text"));
            }
            "actions" => {
                let els = errs.items(&b["elements"], 25, &format!("{at}/elements"));
                for (j, el) in els.iter().enumerate() {
                    element(&mut errs, el, &format!("{at}/elements/{j}"));
                }
            }
            "context" => {
                errs.items(&b["elements"], 10, &format!("{at}/elements"));
            }
            // Feedback buttons and icon buttons under an AI answer.
            "context_actions" => {
                errs.items(&b["elements"], 5, &format!("{at}/elements"));
            }
            "markdown" => match b["text"].as_str() {
                Some(t) => markdown_total += t.chars().count(),
                None => errs.add("missing required field: text", &at),
            },
            _ => {}
        }
    }
    if markdown_total > 12_000 {
        errs.add(
            "markdown blocks must not exceed 12000 characters in total",
            "/blocks",
        );
    }
    if errs.0.is_empty() {
        Ok(())
    } else {
        Err(Rejection {
            error: "invalid_blocks",
            messages: errs.0,
        })
    }
}

fn section(errs: &mut Errors, b: &Value, at: &str) {
    let has_fields = b["fields"].is_array();
    if b["text"].is_null() && !has_fields {
        errs.add("must provide either text or fields", at);
    }
    if !b["text"].is_null() {
        errs.text_object(
            &b["text"],
            &["mrkdwn", "plain_text"],
            3000,
            &format!("{at}/text"),
        );
    }
    if has_fields {
        let fields = errs.items(&b["fields"], 10, &format!("{at}/fields"));
        for (j, f) in fields.iter().enumerate() {
            errs.text_object(
                f,
                &["mrkdwn", "plain_text"],
                2000,
                &format!("{at}/fields/{j}"),
            );
        }
    }
    if b["accessory"].is_object() {
        element(errs, &b["accessory"], &format!("{at}/accessory"));
    }
}

fn element(errs: &mut Errors, el: &Value, at: &str) {
    errs.max_len(&el["action_id"], 255, &format!("{at}/action_id"));
    if el["type"] == "button" {
        errs.text_object(&el["text"], &["plain_text"], 75, &format!("{at}/text"));
        errs.max_len(&el["value"], 2000, &format!("{at}/value"));
        errs.max_len(&el["url"], 3000, &format!("{at}/url"));
        if let Some(style) = el["style"].as_str() {
            if style != "primary" && style != "danger" {
                errs.add("must be one of primary, danger", &format!("{at}/style"));
            }
        }
    }
}

/// Slack-formatted problems: `[ERROR] <what> [json-pointer:<where>]`.
struct Errors(Vec<String>);

impl Errors {
    fn add(&mut self, what: &str, at: &str) {
        self.0.push(format!("[ERROR] {what} [json-pointer:{at}]"));
    }

    fn max_len(&mut self, v: &Value, max: usize, at: &str) {
        if v.as_str().is_some_and(|s| s.chars().count() > max) {
            self.add(&format!("must be less than {} characters", max + 1), at);
        }
    }

    /// A `{type, text}` object of an allowed type with 1..=max characters.
    fn text_object(&mut self, v: &Value, types: &[&str], max: usize, at: &str) {
        if !v.is_object() {
            self.add("must be a text object", at);
            return;
        }
        let kind = v["type"].as_str().unwrap_or_default();
        if !types.contains(&kind) {
            self.add(
                &format!("must be one of {}", types.join(", ")),
                &format!("{at}/type"),
            );
        }
        match v["text"].as_str() {
            None | Some("") => self.add("must be more than 0 characters", &format!("{at}/text")),
            Some(_) => self.max_len(&v["text"], max, &format!("{at}/text")),
        }
    }

    /// An array of at most `max` items (and at least one).
    fn items<'a>(&mut self, v: &'a Value, max: usize, at: &str) -> &'a [Value] {
        let items = v.as_array().map(Vec::as_slice).unwrap_or_default();
        if items.is_empty() {
            self.add("must provide at least 1 item", at);
        } else if items.len() > max {
            self.add(&format!("no more than {max} items allowed"), at);
        }
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn section(text: &str) -> Value {
        json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    }

    #[test]
    fn limits_name_the_offending_block() {
        let long = "x".repeat(3001);
        let err = check_blocks(&json!([section("ok"), section(&long)])).unwrap_err();
        assert_eq!(err.error, "invalid_blocks");
        assert_eq!(
            err.messages,
            ["[ERROR] must be less than 3001 characters [json-pointer:/blocks/1/text/text]"]
        );
        assert!(check_blocks(&json!([section(&"x".repeat(3000))])).is_ok());
        let many: Vec<Value> = (0..51).map(|_| json!({"type": "divider"})).collect();
        assert!(check_blocks(&Value::Array(many)).is_err());
    }

    #[test]
    fn buttons_headers_and_markdown_totals_are_limited() {
        let button = |text: &str, value: &str| {
            json!({"type": "actions", "elements": [{"type": "button", "action_id": "a",
                   "text": {"type": "plain_text", "text": text}, "value": value}]})
        };
        assert!(check_blocks(&json!([button("Approve", "id")])).is_ok());
        assert!(check_blocks(&json!([button(&"b".repeat(76), "id")])).is_err());
        assert!(check_blocks(&json!([button("Approve", &"v".repeat(2001))])).is_err());
        let header =
            json!({"type": "header", "text": {"type": "plain_text", "text": "h".repeat(151)}});
        assert!(check_blocks(&json!([header])).is_err());
        let md = |n: usize| json!({"type": "markdown", "text": "m".repeat(n)});
        assert!(check_blocks(&json!([md(6000), md(6000)])).is_ok());
        assert!(check_blocks(&json!([md(6000), md(6001)])).is_err());
    }

    #[test]
    fn text_blocks_and_markdown_text_combine_like_slack() {
        let err = |p: Value| check_message(&p).unwrap_err().error;
        assert_eq!(err(json!({"channel": "C1"})), "no_text");
        assert_eq!(
            err(json!({"text": "a", "markdown_text": "b"})),
            "markdown_text_conflict"
        );
        assert_eq!(err(json!({"text": "a".repeat(40_001)})), "msg_too_long");
        assert_eq!(err(json!({"blocks": "[not json"})), "invalid_blocks_format");
        let form_blocks = json!({"blocks": "[{\"type\":\"divider\"}]"});
        assert!(check_message(&form_blocks).unwrap().blocks.is_some());
    }
}
