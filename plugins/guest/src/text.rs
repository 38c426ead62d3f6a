//! Turning text from servers into one short line fit for a report.

/// How many characters of a server's message a verdict quotes.
pub(crate) const MESSAGE_CHARS: usize = 200;

/// `text` on one line: runs of whitespace and control characters become one space, the
/// ends are trimmed, and anything past `max` characters is cut and marked with `…`.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max + 4));
    let mut chars = 0;
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if chars + usize::from(pending_space) >= max {
            out.push('…');
            return out;
        }
        if pending_space {
            out.push(' ');
            chars += 1;
            pending_space = false;
        }
        out.push(c);
        chars += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_whitespace_and_newlines() {
        assert_eq!(one_line("  a\n\n b\t\rc  ", 50), "a b c");
    }

    #[test]
    fn cuts_long_text_at_a_character_boundary() {
        assert_eq!(one_line("héllo world", 5), "héllo…");
        assert_eq!(one_line("abc", 3), "abc");
        assert_eq!(one_line("ab cd", 3), "ab…");
    }

    #[test]
    fn empty_stays_empty() {
        assert_eq!(one_line(" \n ", 10), "");
    }
}
