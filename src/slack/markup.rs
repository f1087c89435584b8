//! placeholder until the text helper lands
pub fn to_plain_text(text: &str, _bot_user_id: Option<&str>) -> String {
    text.trim().to_string()
}
