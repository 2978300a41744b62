//! GitLab's textual split of a configuration file into documents.
//!
//! GitLab does not rely on the YAML parser to find documents. It splits the raw text with the
//! Ruby regex `/^---\s+/` into at most three pieces (two documents plus one for a leading
//! `---`) and parses each piece on its own. The divider, including all whitespace after it
//! (line breaks and the next line's indentation too), belongs to no piece.

use std::ops::Range;

/// Most pieces GitLab splits a file into: `MAX_DOCUMENTS = 2` plus one.
pub(crate) const MAX_PIECES: usize = 3;

/// Splits `text` as Ruby's `text.split(/^---\s+/, 3)` does, returning byte ranges.
pub(crate) fn split_documents(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::with_capacity(MAX_PIECES);
    let mut piece_start = 0;
    // A divider starts a line (Ruby's `^`: the start of the text or just after `\n`).
    let line_starts = std::iter::once(0).chain(text.match_indices("\n---").map(|(i, _)| i + 1));
    for at in line_starts {
        if pieces.len() + 1 == MAX_PIECES {
            break;
        }
        // Ruby resumes searching where the previous divider ended.
        if at < piece_start {
            continue;
        }
        if let Some(end) = divider_at(bytes, at) {
            pieces.push(piece_start..at);
            piece_start = end;
        }
    }
    pieces.push(piece_start..bytes.len());
    pieces
}

/// Matches a divider (`---` plus at least one whitespace character) at `at` and returns its
/// end.
fn divider_at(bytes: &[u8], at: usize) -> Option<usize> {
    let rest = bytes.get(at..)?;
    let after = rest.strip_prefix(b"---")?;
    let spaces = after
        .iter()
        .take_while(|&&b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        .count();
    (spaces > 0).then_some(at + 3 + spaces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str) -> Vec<&str> {
        split_documents(text)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn split_table() {
        let cases: Vec<(&str, Vec<&str>)> = vec![
            ("a: 1\n", vec!["a: 1\n"]),
            ("", vec![""]),
            ("---\na: 1\n", vec!["", "a: 1\n"]),
            ("a: 1\n---\nb: 2\n", vec!["a: 1\n", "b: 2\n"]),
            (
                "a\n---\nb\n---\nc\n---\nd\n",
                vec!["a\n", "b\n", "c\n---\nd\n"],
            ),
            ("---\na\n---\nb\n---\nc\n", vec!["", "a\n", "b\n---\nc\n"]),
            ("a\n--- \n\n  b: 1\n", vec!["a\n", "b: 1\n"]),
            ("a\n---x\n", vec!["a\n---x\n"]),
            ("a\n---", vec!["a\n---"]),
            ("a\n ---\nb", vec!["a\n ---\nb"]),
            ("a: ---\nb", vec!["a: ---\nb"]),
            ("---\n---\nb", vec!["", "", "b"]),
            ("a\r\n---\r\nb", vec!["a\r\n", "b"]),
            ("a\n----\nb", vec!["a\n----\nb"]),
        ];
        for (text, expected) in cases {
            assert_eq!(pieces(text), expected, "{text:?}");
        }
    }
}
