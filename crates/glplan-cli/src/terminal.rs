//! Text for a terminal: control characters escaped, widths in terminal columns.
//!
//! Job, stage, variable and runner names, values, tags, rule expressions and file names come
//! from the configuration or the command line and may contain any character. Written raw, ESC
//! starts a terminal command, CR moves the cursor back over the text before it, and LF starts
//! a new table row. So the human-readable outputs escape such characters the way Rust's
//! `Debug` formatting of a string does. Tab, LF, CR and NUL become `\t`, `\n`, `\r` and `\0`.
//! Every other C0 and C1 control character and DEL becomes its code point in lowercase
//! hexadecimal, such as `\u{1b}`. So do the characters that change the text around them
//! without being seen: the bidirectional controls (U+061C, U+200E, U+200F, U+202A to U+202E,
//! U+2066 to U+2069), the line and paragraph separators U+2028 and U+2029, and the invisible
//! format characters that make two names look alike (U+00AD soft hyphen, U+180E, U+200B
//! zero-width space, U+2060 to U+2064, U+FEFF). The zero-width joiner and non-joiner stay,
//! because emoji sequences and several scripts need them.
//!
//! Backslashes are not doubled, so `a\tb` can be either escaped text or the name as written.
//! The JSON outputs keep every string exactly.

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Returns whether `ch` is shown as an escape: the characters that
/// [`glplan::diagnostic::is_hidden_character`] accepts.
pub fn needs_escape(ch: char) -> bool {
    glplan::diagnostic::is_hidden_character(ch)
}

/// Appends the escape of `ch`, which [`needs_escape`] accepts, to `out`.
fn push_escape(out: &mut String, ch: char) {
    match ch {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\0' => out.push_str("\\0"),
        _ => out.push_str(&format!("\\u{{{:x}}}", u32::from(ch))),
    }
}

/// Returns the escape of `ch` when [`needs_escape`] accepts it.
pub fn escaped_char(ch: char) -> Option<String> {
    needs_escape(ch).then(|| {
        let mut out = String::new();
        push_escape(&mut out, ch);
        out
    })
}

/// Returns `text` with every character that [`needs_escape`] accepts replaced by its escape.
/// Escaping escaped text changes nothing.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_except(text, None)
}

/// Returns `text` escaped like [`escape`] does, but with its line feeds kept, for text that
/// is several lines of output.
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    escape_except(text, Some('\n'))
}

fn escape_except(text: &str, kept: Option<char>) -> Cow<'_, str> {
    let escaped = |ch: char| needs_escape(ch) && Some(ch) != kept;
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        if escaped(ch) {
            push_escape(&mut out, ch);
        } else {
            out.push(ch);
        }
    }
    Cow::Owned(out)
}

/// Returns the number of terminal columns `text` takes, as the `unicode-width` crate counts
/// them: two for East Asian wide characters and most emoji, none for combining marks. The
/// text is expected to be escaped already.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// Returns the number of terminal columns of `ch` once escaped: the length of its escape when
/// [`needs_escape`] accepts it, else its width as [`width`] counts it.
pub fn escaped_char_width(ch: char) -> usize {
    match escaped_char(ch) {
        Some(escape) => escape.len(),
        None => UnicodeWidthChar::width(ch).unwrap_or(0),
    }
}

/// Appends `text` to `out`, followed by spaces up to `columns` terminal columns.
pub fn push_padded(out: &mut String, text: &str, columns: usize) {
    out.push_str(text);
    let padding = columns.saturating_sub(width(text));
    out.extend(std::iter::repeat_n(' ', padding));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_cases() {
        let cases = [
            ("plain", "plain"),
            ("tab\there", "tab\\there"),
            ("two\nlines", "two\\nlines"),
            ("back\rover", "back\\rover"),
            ("nul\0", "nul\\0"),
            ("evil\u{1b}[2Jjob", "evil\\u{1b}[2Jjob"),
            ("bell\u{7}", "bell\\u{7}"),
            ("del\u{7f}", "del\\u{7f}"),
            ("csi\u{9b}", "csi\\u{9b}"),
            ("next\u{85}line", "next\\u{85}line"),
            ("rtl\u{202e}olleh", "rtl\\u{202e}olleh"),
            ("isolate\u{2066}x\u{2069}", "isolate\\u{2066}x\\u{2069}"),
            ("deploy\u{200f}-prod", "deploy\\u{200f}-prod"),
            ("left\u{200e}mark", "left\\u{200e}mark"),
            ("arabic\u{61c}mark", "arabic\\u{61c}mark"),
            ("line\u{2028}break", "line\\u{2028}break"),
            ("para\u{2029}break", "para\\u{2029}break"),
            ("zero\u{200b}width\u{feff}", "zero\\u{200b}width\\u{feff}"),
            ("soft\u{ad}hyphen", "soft\\u{ad}hyphen"),
            ("joiner\u{2060}", "joiner\\u{2060}"),
            ("family 👨\u{200d}👩", "family 👨\u{200d}👩"),
            ("漢字 é 🦀", "漢字 é 🦀"),
            ("kept \\u{1b}", "kept \\u{1b}"),
        ];
        for (text, expected) in cases {
            assert_eq!(escape(text), expected, "{text:?}");
        }
    }

    #[test]
    fn escape_is_idempotent() {
        let text = "a\u{1b}b\nc\td\u{9b}";
        let once = escape(text).into_owned();
        assert_eq!(escape(&once), once);
    }

    #[test]
    fn escape_borrows_clean_text() {
        assert!(matches!(escape("clean text"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_lines_keeps_line_feeds() {
        assert_eq!(
            escape_lines("first\u{1b}\nsecond\r\n"),
            "first\\u{1b}\nsecond\\r\n"
        );
    }

    #[test]
    fn width_cases() {
        let cases = [("abc", 3), ("漢字", 4), ("e\u{301}", 1), ("🦀", 2), ("", 0)];
        for (text, expected) in cases {
            assert_eq!(width(text), expected, "{text:?}");
        }
    }

    #[test]
    fn escaped_char_width_counts_escape() {
        assert_eq!(escaped_char_width('\u{1b}'), "\\u{1b}".len());
        assert_eq!(escaped_char_width('\t'), 2);
        assert_eq!(escaped_char_width('漢'), 2);
        assert_eq!(escaped_char_width('a'), 1);
        assert_eq!(escaped_char_width('\u{301}'), 0);
    }

    #[test]
    fn push_padded_uses_columns() {
        let mut out = String::new();
        push_padded(&mut out, "漢字", 6);
        assert_eq!(out, "漢字  ");
    }
}
