//! placeholder until the text helper lands
pub const MARKDOWN_BLOCK_MAX: usize = 12_000;
pub const SECTION_TEXT_MAX: usize = 3_000;
pub const BLOCKS_PER_MESSAGE_MAX: usize = 50;
pub fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
pub fn split_text(text: &str, max: usize) -> Vec<String> {
    let c: Vec<char> = text.chars().collect();
    c.chunks(max).map(|x| x.iter().collect()).collect()
}
