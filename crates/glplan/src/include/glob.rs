//! Path patterns for `include:local` wildcards and `include:rules:exists`.
//!
//! The two use different dialects. Wildcard includes follow GitLab's
//! `Repository#search_files_by_wildcard_path`: `**` matches any characters including `/`, `*`
//! any characters except `/`, everything else is literal, and the pattern must match the whole
//! path. `exists` follows Ruby's `File.fnmatch?` with `FNM_PATHNAME | FNM_DOTMATCH |
//! FNM_EXTGLOB`: `*` and `?` never match `/`, `**/` matches zero or more directories, `[...]`
//! is a character class, `{a,b}` lists alternatives and `\` escapes the next character.
//!
//! Both are matched with a table over (pattern position, path position), so a pattern with
//! many stars costs at most pattern length × path length steps.

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// One literal character.
    Literal(char),
    /// Any run of characters, `/` included (a wildcard-include `**`).
    AnyDeep,
    /// Any run of characters except `/`.
    Star,
    /// Zero or more whole directories, each ending in `/` (an fnmatch `**/`).
    Directories,
    /// Exactly one character except `/`.
    Question,
    /// A character class; never matches `/`.
    Class {
        items: Vec<ClassItem>,
        negated: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ClassItem {
    Char(char),
    Range(char, char),
}

/// A compiled `include:local` wildcard pattern.
#[derive(Debug, Clone)]
pub(super) struct Wildcard {
    tokens: Vec<Token>,
}

impl Wildcard {
    /// Compiles a wildcard-include pattern.
    pub(super) fn new(pattern: &str) -> Self {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '*' {
                tokens.push(Token::Literal(c));
                continue;
            }
            if chars.peek() == Some(&'*') {
                chars.next();
                tokens.push(Token::AnyDeep);
            } else {
                tokens.push(Token::Star);
            }
        }
        Wildcard { tokens }
    }

    /// Returns whether the whole path matches.
    pub(super) fn matches(&self, path: &str) -> bool {
        matches_tokens(&self.tokens, path)
    }
}

/// Maximum number of alternatives brace expansion produces, against patterns such as
/// `{a,b}{a,b}{a,b}...` whose expansion grows exponentially.
const MAX_BRACE_EXPANSIONS: usize = 1024;

/// A compiled `exists` pattern in Ruby's `File.fnmatch?` dialect.
#[derive(Debug, Clone)]
pub(super) struct Fnmatch {
    alternatives: Vec<Vec<Token>>,
}

impl Fnmatch {
    /// Compiles an fnmatch pattern, expanding `{a,b}` alternatives first.
    pub(super) fn new(pattern: &str) -> Self {
        let alternatives = expand_braces(pattern)
            .iter()
            .map(|alternative| fnmatch_tokens(alternative))
            .collect();
        Fnmatch { alternatives }
    }

    /// Returns whether the whole path matches one of the alternatives.
    pub(super) fn matches(&self, path: &str) -> bool {
        self.alternatives
            .iter()
            .any(|tokens| matches_tokens(tokens, path))
    }
}

fn fnmatch_tokens(pattern: &str) -> Vec<Token> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let at_segment_start = i == 0 || chars.get(i - 1) == Some(&'/');
        match c {
            '*' if at_segment_start
                && chars.get(i + 1) == Some(&'*')
                && chars.get(i + 2) == Some(&'/') =>
            {
                tokens.push(Token::Directories);
                i += 3;
            }
            '*' => {
                // Several stars in a row behave like one.
                if tokens.last() != Some(&Token::Star) {
                    tokens.push(Token::Star);
                }
                i += 1;
            }
            '?' => {
                tokens.push(Token::Question);
                i += 1;
            }
            '\\' => {
                match chars.get(i + 1) {
                    Some(&escaped) => tokens.push(Token::Literal(escaped)),
                    None => tokens.push(Token::Literal('\\')),
                }
                i += 2;
            }
            '[' => match parse_class(&chars, i + 1) {
                Some((token, next)) => {
                    tokens.push(token);
                    i = next;
                }
                None => {
                    tokens.push(Token::Literal('['));
                    i += 1;
                }
            },
            c => {
                tokens.push(Token::Literal(c));
                i += 1;
            }
        }
    }
    tokens
}

/// Parses a class body starting after `[` and returns the token and the index after `]`.
/// Returns `None` when the class is not closed, so that `[` is taken literally.
fn parse_class(chars: &[char], start: usize) -> Option<(Token, usize)> {
    let mut i = start;
    let negated = matches!(chars.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut items = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(i)?;
        if c == ']' && !first {
            return Some((Token::Class { items, negated }, i + 1));
        }
        first = false;
        let c = if c == '\\' {
            i += 1;
            *chars.get(i)?
        } else {
            c
        };
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|&end| end != ']') {
            let end = *chars.get(i + 2)?;
            items.push(ClassItem::Range(c, end));
            i += 3;
        } else {
            items.push(ClassItem::Char(c));
            i += 1;
        }
    }
}

/// Expands `{a,b}` alternatives (nested ones too) into plain patterns. A brace without a
/// matching close, or without a top-level comma, is kept literally.
fn expand_braces(pattern: &str) -> Vec<String> {
    let mut results = Vec::new();
    expand_into(pattern, &mut results);
    results
}

fn expand_into(pattern: &str, results: &mut Vec<String>) {
    if results.len() >= MAX_BRACE_EXPANSIONS {
        return;
    }
    let Some((open, close)) = find_brace_group(pattern) else {
        results.push(pattern.to_owned());
        return;
    };
    let prefix = pattern.get(..open).unwrap_or_default();
    let inner = pattern.get(open + 1..close).unwrap_or_default();
    let suffix = pattern.get(close + 1..).unwrap_or_default();
    for alternative in split_alternatives(inner) {
        expand_into(&format!("{prefix}{alternative}{suffix}"), results);
    }
}

/// Finds the byte offsets of the first `{` and its matching `}` whose group contains a
/// top-level comma, skipping escaped characters.
fn find_brace_group(pattern: &str) -> Option<(usize, usize)> {
    let bytes = pattern.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'\\') => i += 2,
            Some(b'{') => {
                let mut depth = 0usize;
                let mut has_comma = false;
                let mut j = i;
                while j < bytes.len() {
                    match bytes.get(j) {
                        Some(b'\\') => j += 1,
                        Some(b'{') => depth += 1,
                        Some(b'}') => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        Some(b',') if depth == 1 => has_comma = true,
                        _ => {}
                    }
                    j += 1;
                }
                if j < bytes.len() && has_comma {
                    return Some((i, j));
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// Splits a brace group's content on its top-level commas.
fn split_alternatives(inner: &str) -> Vec<&str> {
    let bytes = inner.as_bytes();
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'\\') => i += 1,
            Some(b'{') => depth += 1,
            Some(b'}') => depth = depth.saturating_sub(1),
            Some(b',') if depth == 0 => {
                parts.push(inner.get(start..i).unwrap_or_default());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(inner.get(start..).unwrap_or_default());
    parts
}

/// Matches the whole path against the tokens with a reachability table: `reachable[t][p]` is
/// true when the first `t` tokens can consume the first `p` characters.
fn matches_tokens(tokens: &[Token], path: &str) -> bool {
    let chars: Vec<char> = path.chars().collect();
    let width = chars.len() + 1;
    let mut reachable = vec![false; (tokens.len() + 1) * width];
    let index = |t: usize, p: usize| t * width + p;
    if let Some(cell) = reachable.get_mut(0) {
        *cell = true;
    }
    for (t, token) in tokens.iter().enumerate() {
        for p in 0..width {
            if !reachable.get(index(t, p)).copied().unwrap_or(false) {
                continue;
            }
            let mut mark = |q: usize| {
                if let Some(cell) = reachable.get_mut(index(t + 1, q)) {
                    *cell = true;
                }
            };
            let next = chars.get(p).copied();
            match token {
                Token::Literal(c) => {
                    if next == Some(*c) {
                        mark(p + 1);
                    }
                }
                Token::Question => {
                    if next.is_some_and(|c| c != '/') {
                        mark(p + 1);
                    }
                }
                Token::Class { items, negated } => {
                    if let Some(c) = next.filter(|&c| c != '/')
                        && class_contains(items, c) != *negated
                    {
                        mark(p + 1);
                    }
                }
                Token::AnyDeep => {
                    for q in p..width {
                        mark(q);
                    }
                }
                Token::Star => {
                    mark(p);
                    for (offset, c) in chars.iter().enumerate().skip(p) {
                        if *c == '/' {
                            break;
                        }
                        mark(offset + 1);
                    }
                }
                Token::Directories => {
                    mark(p);
                    for (offset, c) in chars.iter().enumerate().skip(p) {
                        if *c == '/' {
                            mark(offset + 1);
                        }
                    }
                }
            }
        }
    }
    reachable
        .get(index(tokens.len(), chars.len()))
        .copied()
        .unwrap_or(false)
}

fn class_contains(items: &[ClassItem], c: char) -> bool {
    items.iter().any(|item| match *item {
        ClassItem::Char(x) => x == c,
        ClassItem::Range(low, high) => low <= c && c <= high,
    })
}

/// Returns whether an fnmatch pattern has no metacharacters, so it can only match itself.
pub(super) fn is_exact(pattern: &str) -> bool {
    !pattern.contains(['*', '?', '[', '{'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_spec_examples() {
        let paths = ["ci/a.yml", "ci/sub/b.yml"];
        let cases = [
            ("ci/*.yml", vec!["ci/a.yml"]),
            ("ci/**.yml", vec!["ci/a.yml", "ci/sub/b.yml"]),
            ("ci/**/*.yml", vec!["ci/sub/b.yml"]),
        ];
        for (pattern, expected) in cases {
            let wildcard = Wildcard::new(pattern);
            let matched: Vec<&str> = paths.into_iter().filter(|p| wildcard.matches(p)).collect();
            assert_eq!(matched, expected, "pattern {pattern:?}");
        }
    }

    #[test]
    fn wildcard_is_anchored_and_literal() {
        let wildcard = Wildcard::new("ci/*.yml");
        assert!(!wildcard.matches("x/ci/a.yml"));
        assert!(!wildcard.matches("ci/a.yml.bak"));
        assert!(!Wildcard::new("ci/a?.yml").matches("ci/ab.yml"));
        assert!(Wildcard::new("ci/[a].yml").matches("ci/[a].yml"));
    }

    #[test]
    fn fnmatch_cases() {
        let cases = [
            ("*.md", "README.md", true),
            ("*.md", "docs/README.md", false),
            ("docs/*.md", "docs/a.md", true),
            ("**/*.md", "a.md", true),
            ("**/*.md", "x/y/a.md", true),
            ("a/**/b", "a/b", true),
            ("a/**/b", "a/x/y/b", true),
            ("a/**/b", "ab", false),
            ("?.txt", "a.txt", true),
            ("?.txt", "/.txt", false),
            ("*", ".hidden", true),
            ("[ab].txt", "b.txt", true),
            ("[!ab].txt", "b.txt", false),
            ("[a-c].txt", "c.txt", true),
            ("{a,b}.txt", "b.txt", true),
            ("{a,b}.txt", "c.txt", false),
            ("x{a,{b,c}}y", "xcy", true),
            ("\\*.txt", "*.txt", true),
            ("\\*.txt", "a.txt", false),
            ("[unclosed", "[unclosed", true),
            ("Dockerfile", "Dockerfile", true),
        ];
        for (pattern, path, expected) in cases {
            assert_eq!(
                Fnmatch::new(pattern).matches(path),
                expected,
                "pattern {pattern:?} path {path:?}"
            );
        }
    }

    #[test]
    fn brace_expansion_is_bounded() {
        let pattern = "{a,b}".repeat(20);
        assert_eq!(expand_braces(&pattern).len(), MAX_BRACE_EXPANSIONS);
    }

    #[test]
    fn many_stars_stay_fast() {
        let pattern = "*a".repeat(50);
        let path = "a".repeat(200) + "b";
        assert!(!Fnmatch::new(&pattern).matches(&path));
    }

    #[test]
    fn exact_patterns() {
        assert!(is_exact("a/b.txt"));
        assert!(!is_exact("a/*.txt"));
        assert!(!is_exact("a{b,c}"));
    }
}
