//! A plain-text picture of a message as Slack would show it, for test assertions and the terminal demo.

use serde_json::Value;

use super::model::Message;

/// Renders a message's blocks as readable text (buttons as `[Approve]`), or its `text` when it
/// has no blocks.
pub fn render_text(message: &Message) -> String {
    let blocks = message
        .blocks
        .as_ref()
        .and_then(Value::as_array)
        .filter(|b| !b.is_empty());
    match blocks {
        // A stream's blocks come after its streamed text (`chat.stopStream`).
        Some(blocks) if message.streamed && !message.text.is_empty() => {
            format!("{}\n{}", message.text, render_blocks(blocks))
        }
        Some(blocks) => render_blocks(blocks),
        None => message.text.clone(),
    }
}

/// Renders a Block Kit array; blocks are separated by newlines.
pub fn render_blocks(blocks: &[Value]) -> String {
    blocks
        .iter()
        .map(render_block)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(_) => v["text"].as_str().unwrap_or_default().to_owned(),
        _ => String::new(),
    }
}

fn render_block(b: &Value) -> String {
    match b["type"].as_str().unwrap_or_default() {
        "section" => {
            let mut lines = Vec::new();
            let text = text_of(&b["text"]);
            if !text.is_empty() {
                lines.push(text);
            }
            if let Some(fields) = b["fields"].as_array() {
                lines.extend(fields.iter().map(text_of));
            }
            let mut out = lines.join("\n");
            if b["accessory"].is_object() {
                let acc = render_element(&b["accessory"]);
                if !acc.is_empty() {
                    out.push_str(if out.is_empty() { "" } else { "  " });
                    out.push_str(&acc);
                }
            }
            out
        }
        "markdown" => text_of(&b["text"]),
        "header" => format!("# {}", text_of(&b["text"])),
        "divider" => "---".to_owned(),
        "context" => elements(b)
            .iter()
            .map(|el| match el["type"].as_str() {
                Some("image") => {
                    format!("[image: {}]", el["alt_text"].as_str().unwrap_or_default())
                }
                _ => text_of(el),
            })
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
        "actions" | "context_actions" => elements(b)
            .iter()
            .map(render_element)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
        "image" => format!("[image: {}]", b["alt_text"].as_str().unwrap_or_default()),
        "rich_text" => elements(b)
            .iter()
            .map(rich_text_part)
            .collect::<Vec<_>>()
            .join("\n"),
        "" => String::new(),
        other => format!("[{other}]"),
    }
}

fn elements(b: &Value) -> &[Value] {
    b["elements"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn render_element(el: &Value) -> String {
    match el["type"].as_str().unwrap_or_default() {
        "button" => format!("[{}]", text_of(&el["text"])),
        "static_select"
        | "external_select"
        | "users_select"
        | "conversations_select"
        | "channels_select" => {
            format!("[{} ▾]", text_of(&el["placeholder"]))
        }
        "overflow" => "[⋯]".to_owned(),
        "image" => format!("[image: {}]", el["alt_text"].as_str().unwrap_or_default()),
        "feedback_buttons" => "[👍] [👎]".to_owned(),
        "mrkdwn" | "plain_text" => text_of(el),
        "" => String::new(),
        other => format!("[{other}]"),
    }
}

fn rich_text_part(part: &Value) -> String {
    match part["type"].as_str().unwrap_or_default() {
        "rich_text_section" => inline(elements(part)),
        "rich_text_preformatted" => format!("```\n{}\n```", inline(elements(part))),
        "rich_text_quote" => inline(elements(part))
            .lines()
            .map(|l| format!("> {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
        "rich_text_list" => {
            let ordered = part["style"] == "ordered";
            let indent = "  ".repeat(part["indent"].as_u64().unwrap_or(0) as usize);
            elements(part)
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let bullet = if ordered {
                        format!("{}.", i + 1)
                    } else {
                        "•".to_owned()
                    };
                    format!("{indent}{bullet} {}", inline(elements(item)))
                })
                .collect::<Vec<_>>()
                .join("\n")
        }
        _ => inline(elements(part)),
    }
}

fn inline(els: &[Value]) -> String {
    els.iter()
        .map(|el| match el["type"].as_str().unwrap_or_default() {
            "text" => el["text"].as_str().unwrap_or_default().to_owned(),
            "link" => match el["text"].as_str() {
                Some(t) if !t.is_empty() => {
                    format!("{t} ({})", el["url"].as_str().unwrap_or_default())
                }
                _ => el["url"].as_str().unwrap_or_default().to_owned(),
            },
            "user" => format!("@{}", el["user_id"].as_str().unwrap_or_default()),
            "channel" => format!("#{}", el["channel_id"].as_str().unwrap_or_default()),
            "usergroup" => format!("@{}", el["usergroup_id"].as_str().unwrap_or_default()),
            "emoji" => format!(":{}:", el["name"].as_str().unwrap_or_default()),
            "broadcast" => format!("@{}", el["range"].as_str().unwrap_or_default()),
            _ => String::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blocks_render_as_slack_shows_them() {
        let blocks = json!([
            {"type": "header", "text": {"type": "plain_text", "text": "Approval needed"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Search* for CEOs"},
             "fields": [{"type": "mrkdwn", "text": "*Results:* 20"}]},
            {"type": "divider"},
            {"type": "actions", "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Approve"}, "style": "primary"},
                {"type": "button", "text": {"type": "plain_text", "text": "Dismiss"}}]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Lexi · 1 credit"}]},
            {"type": "rich_text", "elements": [
                {"type": "rich_text_section", "elements": [
                    {"type": "text", "text": "Hi "}, {"type": "user", "user_id": "U1"}]},
                {"type": "rich_text_list", "style": "bullet", "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": "one"}]}]}]}
        ]);
        let text = render_blocks(blocks.as_array().unwrap());
        assert_eq!(
            text,
            "# Approval needed\n*Search* for CEOs\n*Results:* 20\n---\n[Approve] [Dismiss]\n\
             Lexi · 1 credit\nHi @U1\n• one"
        );
    }
}
