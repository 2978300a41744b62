//! Tokenizer for CI/CD variable expressions, reproducing GitLab's `Expression::Lexer`.
//!
//! GitLab skips whitespace, then tries each lexeme's pattern at the current position in a fixed
//! order and takes the first that matches. When none matches, it fails with `Unknown lexeme
//! found!`. The loop
//! runs `MAX_TOKENS` (100) rounds and checks for the end of input only at the start of a
//! round, so 99 tokens is the most an expression may have.

use std::ops::Range;
use std::sync::OnceLock;

use super::{ExprError, ExprErrorKind};

/// Kind of token. Literal values keep the text GitLab builds them from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// `(`.
    ParenOpen,
    /// `)`.
    ParenClose,
    /// `$[[ inputs.NAME ]]`, with the input's name.
    Input(String),
    /// `$NAME`, with the name (ASCII letters, digits and `_`).
    Variable(String),
    /// A quoted string, with its text between the quotes (there are no escapes).
    String(String),
    /// A `/pattern/flags` literal, exactly as written.
    Pattern(String),
    /// `null`.
    Null,
    /// `true` or `false`.
    Boolean(bool),
    /// `==`.
    Equals,
    /// `=~`.
    Matches,
    /// `!=`.
    NotEquals,
    /// `!~`.
    NotMatches,
    /// `&&`.
    And,
    /// `||`.
    Or,
    /// Unary `!`.
    Not,
}

/// A token and the byte range it covers in the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Kind of token.
    pub kind: TokenKind,
    /// Byte range inside the expression.
    pub span: Range<usize>,
}

/// Splits an expression into tokens as GitLab's lexer does, failing at an unknown lexeme or once
/// more than `max_tokens` tokens have been read.
pub fn tokenize(source: &str, max_tokens: usize) -> Result<Vec<Token>, ExprError> {
    let mut tokens = Vec::new();
    let mut pos = 0;
    for _ in 0..=max_tokens {
        pos += leading_whitespace(source.get(pos..).unwrap_or_default());
        let rest = source.get(pos..).unwrap_or_default();
        if rest.is_empty() {
            return Ok(tokens);
        }
        let Some((kind, len)) = scan(rest) else {
            return Err(unknown_lexeme(source, pos));
        };
        tokens.push(Token {
            kind,
            span: pos..pos + len,
        });
        pos += len;
    }
    let span = tokens.last().map_or(0..source.len(), |t| t.span.clone());
    Err(
        ExprError::new(ExprErrorKind::TooManyTokens, span).with_help(format!(
            "GitLab accepts at most {max_tokens} tokens in one expression; split the condition \
         into several rules"
        )),
    )
}

/// Length of the whitespace at the start of `text`. Ruby's `\s` is ASCII space, tab, line
/// feed, vertical tab, form feed and carriage return; other Unicode spaces are not skipped.
fn leading_whitespace(text: &str) -> usize {
    text.bytes()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r'))
        .count()
}

/// Tries every lexeme in GitLab's order at the start of `rest`.
fn scan(rest: &str) -> Option<(TokenKind, usize)> {
    if rest.starts_with('(') {
        return Some((TokenKind::ParenOpen, 1));
    }
    if rest.starts_with(')') {
        return Some((TokenKind::ParenClose, 1));
    }
    if let Some(found) = scan_input(rest) {
        return Some(found);
    }
    if let Some(found) = scan_variable(rest) {
        return Some(found);
    }
    if let Some(found) = scan_string(rest) {
        return Some(found);
    }
    if let Some(len) = scan_pattern(rest) {
        let text = rest.get(..len).unwrap_or_default().to_owned();
        return Some((TokenKind::Pattern(text), len));
    }
    if rest.starts_with("null") {
        return Some((TokenKind::Null, 4));
    }
    if let Some(found) = scan_boolean(rest) {
        return Some(found);
    }
    let operators = [
        ("==", TokenKind::Equals),
        ("=~", TokenKind::Matches),
        ("!=", TokenKind::NotEquals),
        ("!~", TokenKind::NotMatches),
        ("&&", TokenKind::And),
        ("||", TokenKind::Or),
        ("!", TokenKind::Not),
    ];
    operators
        .into_iter()
        .find(|(text, _)| rest.starts_with(text))
        .map(|(text, kind)| (kind, text.len()))
}

/// Length of the ASCII word (`[A-Za-z0-9_]`, Ruby's `\w`) at the start of `text`.
fn ascii_word(text: &str) -> usize {
    text.bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count()
}

/// `$[[`, optional whitespace, `inputs.`, a word, optional whitespace, `]]`.
fn scan_input(rest: &str) -> Option<(TokenKind, usize)> {
    let after_open = rest.strip_prefix("$[[")?;
    let after_space = after_open.get(leading_whitespace(after_open)..)?;
    let name_part = after_space.strip_prefix("inputs.")?;
    let name_len = ascii_word(name_part);
    if name_len == 0 {
        return None;
    }
    let after_name = name_part.get(name_len..)?;
    let after_space = after_name.get(leading_whitespace(after_name)..)?;
    let after_close = after_space.strip_prefix("]]")?;
    let name = name_part.get(..name_len)?.to_owned();
    Some((TokenKind::Input(name), rest.len() - after_close.len()))
}

/// `$` followed by one or more ASCII word characters.
fn scan_variable(rest: &str) -> Option<(TokenKind, usize)> {
    let name_part = rest.strip_prefix('$')?;
    let len = ascii_word(name_part);
    if len == 0 {
        return None;
    }
    let name = name_part.get(..len)?.to_owned();
    Some((TokenKind::Variable(name), len + 1))
}

/// Scans a string in double or single quotes, which ends at the first matching quote. Ruby's `.`
/// does not match a line feed, so a string cannot span lines.
fn scan_string(rest: &str) -> Option<(TokenKind, usize)> {
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = rest.get(1..)?;
    let end = body.find([quote, '\n'])?;
    if !body.get(end..)?.starts_with(quote) {
        return None;
    }
    let text = body.get(..end)?.to_owned();
    Some((TokenKind::String(text), end + 2))
}

/// Length of a `/pattern/flags` literal at the start of `rest`: a slash, one or more characters
/// that are not a slash or are an escaped slash, a last character that is not a backslash, a
/// slash and the flags `[ismU]*`. The pattern is GitLab's own regular expression, run with
/// backtracking; the `regex` crate's leftmost-first search picks the same match.
fn scan_pattern(rest: &str) -> Option<usize> {
    static PATTERN: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let pattern = PATTERN
        .get_or_init(|| regex::Regex::new(r"\A/(?:[^/]|\\/)+[^\\]/[ismU]*").ok())
        .as_ref()?;
    pattern.find(rest).map(|m| m.end())
}

/// `true` or `false` followed by a word boundary. Ruby's `\b` counts letters, marks, numbers
/// and connector punctuation of every script as word characters, so `trueé` is not a boolean.
fn scan_boolean(rest: &str) -> Option<(TokenKind, usize)> {
    let (value, len) = if rest.starts_with("true") {
        (true, 4)
    } else if rest.starts_with("false") {
        (false, 5)
    } else {
        return None;
    };
    let next = rest.get(len..)?.chars().next();
    if next.is_some_and(is_ruby_word_char) {
        return None;
    }
    Some((TokenKind::Boolean(value), len))
}

/// Checks whether Ruby's `\b` treats `c` as a word character.
fn is_ruby_word_char(c: char) -> bool {
    static MARK_OR_CONNECTOR: OnceLock<Option<regex::Regex>> = OnceLock::new();
    if c.is_alphanumeric() || c == '_' {
        return true;
    }
    let mut buffer = [0; 4];
    MARK_OR_CONNECTOR
        .get_or_init(|| regex::Regex::new(r"\A[\p{M}\p{Pc}]\z").ok())
        .as_ref()
        .is_some_and(|r| r.is_match(c.encode_utf8(&mut buffer)))
}

/// Builds the `Unknown lexeme found!` error, covering the offending word, with a hint for the
/// usual mistakes.
fn unknown_lexeme(source: &str, pos: usize) -> ExprError {
    let rest = source.get(pos..).unwrap_or_default();
    let word_len = rest
        .char_indices()
        .find(|(i, c)| {
            *i > 0 && (c.is_whitespace() || matches!(c, '(' | ')' | '=' | '!' | '&' | '|'))
        })
        .map_or(rest.len(), |(i, _)| i);
    let word = rest.get(..word_len).unwrap_or(rest);
    let mut span = pos..pos + word_len;
    let help = if let Some(help) = escaped_quote_help(source, pos, word) {
        Some(help)
    } else if rest.starts_with("${") {
        Some("write the variable as `$NAME`: expressions do not accept `${NAME}`".to_owned())
    } else if rest.starts_with('$') {
        Some("a variable is `$` followed by letters, digits or `_`".to_owned())
    } else if rest.starts_with('%') {
        Some("write the variable as `$NAME`: expressions do not accept `%NAME%`".to_owned())
    } else if let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let line_len = rest.find('\n').unwrap_or(rest.len());
        span = pos..pos + line_len;
        Some(format!(
            "close the string with `{quote}` on the same line; strings have no escape sequences"
        ))
    } else if word.contains('/') {
        Some(
            "a regular expression is one literal `/pattern/flags`: at least two characters \
             between the slashes, `/` inside written as `\\/`, flags only `i`, `m`, `s` and `U`"
                .to_owned(),
        )
    } else if rest.starts_with('=') {
        Some("compare with `==`, or match with `=~`".to_owned())
    } else if rest.starts_with('&') || rest.starts_with('|') {
        Some("combine conditions with `&&` or `||`".to_owned())
    } else if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
        Some(format!("quote string values: `\"{word}\"`"))
    } else {
        None
    };
    let error = ExprError::new(ExprErrorKind::UnknownLexeme, span);
    match help {
        Some(help) => error.with_help(help),
        None => error,
    }
}

/// Builds the help for an unknown lexeme right after a string that ends in `\` and its
/// quote, as in `"a\"b"`. Expression strings have no escape sequences, so that string ends
/// at the escaped quote and the rest of the intended value is left over.
fn escaped_quote_help(source: &str, pos: usize, word: &str) -> Option<String> {
    let before = source.get(..pos)?;
    let quote = before
        .chars()
        .next_back()
        .filter(|c| *c == '"' || *c == '\'')?;
    let content_end = before.len().checked_sub(quote.len_utf8())?;
    let opening = before.get(..content_end)?.rfind(quote)?;
    let content = before.get(opening + 1..content_end)?;
    let prefix = content.strip_suffix('\\')?;
    let other = if quote == '"' { '\'' } else { '"' };
    let mut help = format!(
        "strings have no escape sequences, so the string ends at `\\{quote}` and a value that \
         contains `{quote}` must be written between `{other}` quotes"
    );
    let rest = word.strip_suffix(quote).unwrap_or(word);
    let value = format!("{prefix}{quote}{rest}");
    if !value.contains(other) {
        help.push_str(&format!(": `{other}{value}{other}`"));
    }
    Some(help)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 99;

    fn kinds(source: &str) -> Vec<TokenKind> {
        tokenize(source, MAX)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    fn error(source: &str) -> ExprError {
        tokenize(source, MAX).unwrap_err()
    }

    fn s(text: &str) -> TokenKind {
        TokenKind::String(text.to_owned())
    }

    fn var(name: &str) -> TokenKind {
        TokenKind::Variable(name.to_owned())
    }

    fn pattern(text: &str) -> TokenKind {
        TokenKind::Pattern(text.to_owned())
    }

    #[test]
    fn tokenize_table() {
        use TokenKind::*;
        let cases: Vec<(&str, Vec<TokenKind>)> = vec![
            ("$A == \"b\"", vec![var("A"), Equals, s("b")]),
            ("$A=='b'", vec![var("A"), Equals, s("b")]),
            ("$A != null", vec![var("A"), NotEquals, Null]),
            ("$A =~ /x.*/i", vec![var("A"), Matches, pattern("/x.*/i")]),
            ("$A !~ /ab/", vec![var("A"), NotMatches, pattern("/ab/")]),
            ("($A && $B) || $C", {
                vec![ParenOpen, var("A"), And, var("B"), ParenClose, Or, var("C")]
            }),
            ("!$A", vec![Not, var("A")]),
            ("$A == true", vec![var("A"), Equals, Boolean(true)]),
            ("false", vec![Boolean(false)]),
            ("$[[ inputs.env ]]", vec![Input("env".to_owned())]),
            (
                "$[[inputs.env]]==\"x\"",
                vec![Input("env".to_owned()), Equals, s("x")],
            ),
            ("\"\"", vec![s("")]),
            ("''", vec![s("")]),
            ("\"it's\"", vec![s("it's")]),
            ("'say \"hi\"'", vec![s("say \"hi\"")]),
            ("\"a\\\"", vec![s("a\\")]),
            ("$CI_COMMIT_REF_NAME", vec![var("CI_COMMIT_REF_NAME")]),
            ("$1", vec![var("1")]),
            // `null` needs no word boundary, so `nullx` is `null` then an error; `nullnull` is
            // two tokens.
            ("nullnull", vec![Null, Null]),
            ("\t$A\u{b}==\u{c}\"b\"\r\n", vec![var("A"), Equals, s("b")]),
            // The first matching quote ends the string, whatever follows.
            ("\"a\"\"b\"", vec![s("a"), s("b")]),
            // A regex literal's last character before the slash may be any non-backslash,
            // including a slash.
            ("/ab//", vec![pattern("/ab//")]),
            ("/a\\/b/", vec![pattern("/a\\/b/")]),
            (
                "/ab/ == /cd/",
                vec![pattern("/ab/"), Equals, pattern("/cd/")],
            ),
            ("/ab/imsU", vec![pattern("/ab/imsU")]),
            ("true)", vec![Boolean(true), ParenClose]),
            ("!!$A", vec![Not, Not, var("A")]),
            ("$A!~$B", vec![var("A"), NotMatches, var("B")]),
        ];
        for (source, expected) in cases {
            assert_eq!(kinds(source), expected, "{source:?}");
        }
    }

    #[test]
    fn tokenize_spans_are_byte_ranges() {
        let tokens = tokenize("é == $É_X ||  \"ü\"", MAX);
        // `é` is not a lexeme.
        assert_eq!(tokens.unwrap_err().span(), 0..2);
        let tokens = tokenize("$A ==  \"ü\"", MAX).unwrap();
        let spans: Vec<_> = tokens.iter().map(|t| t.span.clone()).collect();
        assert_eq!(spans, vec![0..2, 3..5, 7..11]);
    }

    #[test]
    fn unknown_lexeme_cases() {
        let cases = [
            ("$BRANCH == main", 11..15),
            ("$X =~ issue-/.*/", 6..16),
            ("${X} == \"a\"", 0..4),
            ("$X =~ /./", 6..9),
            ("$X =~ /x/g", 6..10),
            ("$X =~ /xy/g", 10..11),
            ("$INVALID = 1", 9..10),
            ("$A & $B", 3..4),
            ("$", 0..1),
            ("%A%", 0..3),
            ("\"open", 0..5),
            ("\"a\nb\"", 0..2),
            ("trueish", 0..7),
            ("true_", 0..5),
            ("true1", 0..5),
            ("trueé", 0..6),
            ("true\u{b2}", 0..6),
            ("true\u{301}", 0..6),
            ("$A == 'x' ~", 10..11),
            ("\u{a0}$A", 0..4),
            ("$A ==main)", 5..9),
        ];
        for (source, span) in cases {
            let error = error(source);
            assert_eq!(error.kind(), &ExprErrorKind::UnknownLexeme, "{source:?}");
            assert_eq!(error.span(), span, "{source:?}");
        }
    }

    #[test]
    fn boolean_boundary_allows_punctuation() {
        assert_eq!(kinds("true$A"), vec![TokenKind::Boolean(true), var("A")]);
    }

    #[test]
    fn boolean_boundary_allows_zero_width_joiner() {
        // The joiner is not a word character, so `true` is a token and the joiner the error.
        assert_eq!(error("true\u{200d}").span(), 4..7);
    }

    #[test]
    fn boolean_needs_no_leading_boundary() {
        assert_eq!(kinds("\"x\"true"), vec![s("x"), TokenKind::Boolean(true)]);
    }

    #[test]
    fn unknown_lexeme_help() {
        let cases = [
            ("$BRANCH == main", "quote string values: `\"main\"`"),
            (
                "${X} == \"a\"",
                "write the variable as `$NAME`: expressions do not accept `${NAME}`",
            ),
            ("$X = \"a\"", "compare with `==`, or match with `=~`"),
            ("$A | $B", "combine conditions with `&&` or `||`"),
            (
                r#"$V=="a\"b""#,
                "strings have no escape sequences, so the string ends at `\\\"` and a value \
                 that contains `\"` must be written between `'` quotes: `'a\"b'`",
            ),
            (
                r"$V == 'it\'s'",
                "strings have no escape sequences, so the string ends at `\\'` and a value \
                 that contains `'` must be written between `\"` quotes: `\"it's\"`",
            ),
            (
                r#"$V == "a'\"b""#,
                "strings have no escape sequences, so the string ends at `\\\"` and a value \
                 that contains `\"` must be written between `'` quotes",
            ),
        ];
        for (source, help) in cases {
            assert_eq!(error(source).help(), Some(help), "{source:?}");
        }
    }

    #[test]
    fn unknown_lexeme_help_for_regex() {
        let help = error("$X =~ issue-/.*/").help().unwrap().to_owned();
        assert!(
            help.starts_with("a regular expression is one literal"),
            "{help}"
        );
    }

    #[test]
    fn unterminated_string_span_ends_at_line() {
        let error = error("$A == \"abc\n\"");
        assert_eq!(error.span(), 6..10);
    }

    #[test]
    fn token_limit_accepts_99() {
        let source = vec!["$A"; 99].join(" ");
        assert_eq!(tokenize(&source, MAX).unwrap().len(), 99);
    }

    #[test]
    fn token_limit_rejects_100() {
        let source = vec!["$A"; 100].join(" ");
        let error = tokenize(&source, MAX).unwrap_err();
        assert_eq!(error.kind(), &ExprErrorKind::TooManyTokens);
        assert_eq!(error.span(), 297..299, "the 100th token");
    }

    #[test]
    fn token_limit_ignores_trailing_whitespace() {
        let source = format!("{}   ", vec!["$A"; 99].join(" "));
        assert!(tokenize(&source, MAX).is_ok());
    }

    #[test]
    fn token_limit_reported_before_later_unknown_lexeme() {
        let source = format!("{} main", vec!["$A"; 100].join(" "));
        assert_eq!(
            tokenize(&source, MAX).unwrap_err().kind(),
            &ExprErrorKind::TooManyTokens
        );
    }

    #[test]
    fn unknown_lexeme_reported_within_limit() {
        let source = format!("{} main", vec!["$A"; 98].join(" "));
        assert_eq!(
            tokenize(&source, MAX).unwrap_err().kind(),
            &ExprErrorKind::UnknownLexeme
        );
    }

    #[test]
    fn empty_source_has_no_tokens() {
        assert!(tokenize("  \n", MAX).unwrap().is_empty());
    }
}
