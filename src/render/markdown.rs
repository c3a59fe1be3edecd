//! GitHub-flavoured Markdown.
use crate::trace::Explanation;
pub fn render(e: &Explanation) -> String {
    super::json(e)
}
