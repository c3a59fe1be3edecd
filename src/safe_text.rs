//! Text from a user's files and arguments, made safe to put in a one-line message: control
//! characters and line breaks escaped, long input cut.

/// The longest piece of quoted input a message shows, in characters.
pub const QUOTE_MAX: usize = 100;

/// `s` escaped and cut to [`QUOTE_MAX`] characters (with `…` and the full length when cut), for
/// quoting inside a message: `'{}'`.
pub fn quoted(s: &str) -> String {
    let total = s.chars().count();
    let mut out = one_line(&s.chars().take(QUOTE_MAX).collect::<String>());
    if total > QUOTE_MAX {
        out.push_str(&format!("… ({total} characters)"));
    }
    out
}

/// `s` with every control character (newlines, tabs, escape sequences, NUL…) written as an escape
/// (`\n`, `\u{1b}`), so a message stays one line and cannot drive the terminal.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_long_text_cut() {
        assert_eq!(one_line("a\nb\r\u{1b}[31m"), "a\\nb\\r\\u{1b}[31m");
        let long = "x".repeat(150);
        let q = quoted(&long);
        assert!(q.starts_with(&"x".repeat(QUOTE_MAX)) && q.ends_with("… (150 characters)"), "{q}");
        assert_eq!(quoted("ok"), "ok");
    }
}
