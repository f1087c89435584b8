//! placeholder until the text helper lands
pub fn markdown_to_mrkdwn(m: &str) -> String {
    escape(m)
}
pub fn markdown_to_plain(m: &str) -> String {
    m.to_string()
}
pub fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
