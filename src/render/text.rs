//! Plain text for a terminal.
use crate::trace::Explanation;
pub fn render(e: &Explanation, _color: bool) -> String {
    super::json(e)
}
