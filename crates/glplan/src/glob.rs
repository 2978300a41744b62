//! Path patterns in GitLab's two glob dialects, compiled once and matched in time linear in the
//! path length.
//!
//! - [`Wildcard`] is the `include:local` dialect of GitLab's
//!   `Repository#search_files_by_wildcard_path`: `**` matches any characters including `/`, `*`
//!   any characters except `/`, everything else is literal, and the pattern must match the whole
//!   path.
//! - [`Fnmatch`] is Ruby's `File.fnmatch?` with `FNM_PATHNAME | FNM_DOTMATCH | FNM_EXTGLOB`,
//!   which `rules:changes`, `rules:exists`, `only:changes` and `include:rules` use:
//!   - `*` matches any characters except `/`, and `**` inside a segment is the same as `*`;
//!   - `**/` at the start of a segment matches zero or more whole directories, so `**/*.md`
//!     matches `a.md` and `a/b/c.md`, while `a/**` matches `a/b` but not `a/b/c`;
//!   - `?` matches one character except `/`;
//!   - `[...]` is a character class that never matches `/`. A leading `!` or `^` negates it,
//!     and `\` escapes. `a-z` is a range whose two ends always match, so `[z-a]` matches `z`
//!     and `a`. A `]` right after `[` closes an empty class, so `[]` matches nothing and `[!]`
//!     matches any character except `/`. A `[` without its `]` never matches;
//!   - `{a,b}` lists alternatives, expanded as text before matching, nested and with `\`
//!     escapes. `{a}` is `a`, and a `{` without its `}` makes the whole pattern match nothing;
//!   - `\x` matches `x`, and a trailing `\` is dropped;
//!   - dot files need no special pattern (`*` matches `.hidden`), and case matters.
//! - [`GlobSet`] matches a path against many fnmatch patterns, with a hash lookup for the
//!   patterns that have no wildcard.
//!
//! Each pattern compiles to a nondeterministic automaton that is simulated one set of states
//! at a time, so a match costs at most (number of states × path length) steps whatever the
//! pattern: `*a*a*a...` and `**/**/**/...` cannot backtrack exponentially. Brace alternatives
//! become branches of the automaton instead of separate patterns, so `{a,b}{a,b}...` stays
//! small too.

use crate::hash::HashMap;

/// Maximum number of patterns that brace expansion produces in the rare case where braces
/// must be expanded as text (see [`compile_fnmatch`]), against patterns whose expansion grows
/// exponentially.
const MAX_BRACE_EXPANSIONS: usize = 1024;

/// Maximum total characters of the patterns that textual brace expansion produces.
const MAX_BRACE_EXPANSION_CHARS: usize = 1 << 20;

/// Deepest brace nesting that is compiled into automaton branches; deeper patterns are
/// expanded as text.
const MAX_BRACE_DEPTH: usize = 32;

/// One element of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// One literal character.
    Literal(char),
    /// Any characters, `/` included (a wildcard-include `**`).
    AnyDeep,
    /// Any characters except `/`.
    Star,
    /// Zero or more whole directories, each ending in `/` (an fnmatch `**/`).
    Directories,
    /// Exactly one character except `/`.
    Question,
    /// One character of a class; never `/`.
    Class(Class),
}

/// A bracket expression such as `[a-z]` or `[!.]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Class {
    items: Vec<ClassItem>,
    negated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ClassItem {
    Char(char),
    Range(char, char),
}

impl Class {
    fn matches(&self, c: char) -> bool {
        if c == '/' {
            return false;
        }
        // Ruby tests both ends of a range for equality before it compares code points, so
        // a reversed range still matches its two ends.
        let listed = self.items.iter().any(|item| match *item {
            ClassItem::Char(x) => x == c,
            ClassItem::Range(low, high) => c == low || c == high || (low <= c && c <= high),
        });
        listed != self.negated
    }
}

/// A pattern as a sequence of tokens and alternatives.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Token(Token),
    Alternatives(Vec<Vec<Piece>>),
}

/// A compiled `include:local` wildcard pattern.
#[derive(Debug, Clone)]
pub struct Wildcard {
    pattern: String,
    matcher: Matcher,
}

impl Wildcard {
    /// Compiles a wildcard-include pattern.
    pub fn new(pattern: &str) -> Self {
        let mut tokens: Vec<Token> = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '*' {
                tokens.push(Token::Literal(c));
                continue;
            }
            let token = if chars.next_if_eq(&'*').is_some() {
                Token::AnyDeep
            } else {
                Token::Star
            };
            push_merged(&mut tokens, token);
        }
        let pieces = tokens.into_iter().map(Piece::Token).collect();
        Wildcard {
            pattern: pattern.to_owned(),
            matcher: Matcher::new(Some(pieces)),
        }
    }

    /// Returns the pattern as written.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Checks whether the whole path matches.
    pub fn matches(&self, path: &str) -> bool {
        self.matcher.matches(path)
    }
}

/// A compiled pattern in Ruby's `File.fnmatch?` dialect with `FNM_PATHNAME | FNM_DOTMATCH |
/// FNM_EXTGLOB` (see the module documentation for the syntax).
#[derive(Debug, Clone)]
pub struct Fnmatch {
    pattern: String,
    matcher: Matcher,
}

impl Fnmatch {
    /// Compiles an fnmatch pattern. Every text is a valid pattern: malformed parts match
    /// nothing, as in Ruby.
    pub fn new(pattern: &str) -> Self {
        let chars: Vec<char> = pattern.chars().collect();
        Fnmatch {
            pattern: pattern.to_owned(),
            matcher: Matcher::new(compile_fnmatch(&chars)),
        }
    }

    /// Returns the pattern as written.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Checks whether the whole path matches.
    pub fn matches(&self, path: &str) -> bool {
        self.matcher.matches(path)
    }

    /// Finds the first `[` that opens a class without a closing `]`, else the first `{` without
    /// its `}`, outside `\` escapes, and returns its byte index in the pattern and the
    /// character. Ruby's `File.fnmatch?` treats such a class as matching nothing, and such a
    /// brace as making the whole pattern match nothing.
    ///
    /// NOTE: braces are not expanded first, so a class that only an expansion leaves unclosed,
    /// as in `{[a,b]}`, is not found.
    pub fn unclosed(&self) -> Option<(usize, char)> {
        let chars: Vec<(usize, char)> = self.pattern.char_indices().collect();
        let text: Vec<char> = chars.iter().map(|&(_, c)| c).collect();
        let at = |i: usize| chars.get(i).map(|&(byte, c)| (byte, c));
        let mut open_braces = Vec::new();
        let mut i = 0;
        while let Some(&c) = text.get(i) {
            match c {
                '\\' => i += 2,
                '[' => match parse_class(&text, i + 1) {
                    Some((_, next)) => i = next,
                    None => return at(i),
                },
                '{' => {
                    open_braces.push(i);
                    i += 1;
                }
                '}' => {
                    open_braces.pop();
                    i += 1;
                }
                _ => i += 1,
            }
        }
        at(*open_braces.first()?)
    }

    /// Finds the first empty class `[]` outside braces and `\` escapes, and returns the byte
    /// index of its `[`. Ruby's `File.fnmatch?` reads a `]` right after `[` as the end of a
    /// class with no characters, which matches nothing, so the whole pattern matches nothing.
    /// `[!]` and `[^]` match any character except `/` and are not reported. Inside braces,
    /// another alternative may still match, so an empty class there is not reported either.
    pub fn empty_class(&self) -> Option<usize> {
        let chars: Vec<(usize, char)> = self.pattern.char_indices().collect();
        let text: Vec<char> = chars.iter().map(|&(_, c)| c).collect();
        let mut brace_depth = 0usize;
        let mut i = 0;
        while let Some(&c) = text.get(i) {
            match c {
                '\\' => i += 2,
                '[' => match parse_class(&text, i + 1) {
                    Some((class, next)) => {
                        if brace_depth == 0 && !class.negated && class.items.is_empty() {
                            return chars.get(i).map(|&(byte, _)| byte);
                        }
                        i = next;
                    }
                    None => i += 1,
                },
                '{' => {
                    brace_depth += 1;
                    i += 1;
                }
                '}' => {
                    brace_depth = brace_depth.saturating_sub(1);
                    i += 1;
                }
                _ => i += 1,
            }
        }
        None
    }

    /// Returns the one path the pattern matches when it has no wildcard, class or brace, with
    /// its escapes removed (`a\*b` gives `a*b`).
    pub fn literal(&self) -> Option<&str> {
        match &self.matcher {
            Matcher::Literal(text) => Some(text),
            _ => None,
        }
    }
}

/// Returns whether GitLab's `rules:exists` treats a pattern as an exact path: it has none of
/// `*`, `?`, `[` and `{`. Such a pattern is compared with each path as a plain string, so a `\`
/// in it stays a literal backslash there, unlike in [`Fnmatch`].
pub fn is_exact(pattern: &str) -> bool {
    !pattern.contains(['*', '?', '[', '{'])
}

/// Many fnmatch patterns, matched together against one path.
///
/// Patterns without wildcards are looked up in a hash map, so a set of exact paths costs one
/// lookup per path. The others are tried one by one.
#[derive(Debug, Clone, Default)]
pub struct GlobSet {
    patterns: Vec<Fnmatch>,
    /// Literal path to the index of the first pattern that is exactly that path.
    literals: HashMap<String, usize>,
    /// Indexes of the patterns that are not literal, in order.
    wildcards: Vec<usize>,
}

impl GlobSet {
    /// Compiles the patterns, keeping their order (duplicates are kept too).
    pub fn new<I>(patterns: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut set = GlobSet::default();
        for pattern in patterns {
            let compiled = Fnmatch::new(pattern.as_ref());
            let index = set.patterns.len();
            match compiled.literal() {
                Some(literal) => {
                    set.literals.entry(literal.to_owned()).or_insert(index);
                }
                None => set.wildcards.push(index),
            }
            set.patterns.push(compiled);
        }
        set
    }

    /// Returns the number of patterns.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// Returns whether the set has no pattern.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Returns the pattern at `index`, as written.
    pub fn pattern(&self, index: usize) -> Option<&str> {
        self.patterns.get(index).map(Fnmatch::pattern)
    }

    /// Checks whether any pattern matches the path.
    pub fn matches(&self, path: &str) -> bool {
        self.first_match(path).is_some()
    }

    /// Returns the index of the first pattern, in the order given, that matches the path.
    pub fn first_match(&self, path: &str) -> Option<usize> {
        let literal = self.literals.get(path).copied();
        let limit = literal.unwrap_or(usize::MAX);
        self.wildcards
            .iter()
            .copied()
            .take_while(|&index| index < limit)
            .find(|&index| self.patterns.get(index).is_some_and(|p| p.matches(path)))
            .or(literal)
    }
}

/// The matching strategy of a compiled pattern.
#[derive(Debug, Clone)]
enum Matcher {
    /// The pattern matches nothing (an unclosed `{` or `[`).
    Never,
    /// The pattern matches exactly this path.
    Literal(String),
    /// The general case.
    Automaton {
        automaton: Automaton,
        /// Literal text every match starts with, checked before the automaton runs.
        prefix: String,
        /// Literal text every match ends with.
        suffix: String,
    },
}

impl Matcher {
    fn new(pieces: Option<Vec<Piece>>) -> Self {
        let Some(pieces) = pieces else {
            return Matcher::Never;
        };
        let literal: Option<String> = pieces
            .iter()
            .map(|piece| match piece {
                Piece::Token(Token::Literal(c)) => Some(*c),
                _ => None,
            })
            .collect();
        if let Some(literal) = literal {
            return Matcher::Literal(literal);
        }
        let literal_at = |piece: &Piece| match piece {
            Piece::Token(Token::Literal(c)) => Some(*c),
            _ => None,
        };
        let prefix: String = pieces.iter().map_while(literal_at).collect();
        let mut suffix: Vec<char> = pieces.iter().rev().map_while(literal_at).collect();
        suffix.reverse();
        Matcher::Automaton {
            automaton: Automaton::new(&pieces),
            prefix,
            suffix: suffix.into_iter().collect(),
        }
    }

    fn matches(&self, path: &str) -> bool {
        match self {
            Matcher::Never => false,
            Matcher::Literal(text) => text == path,
            Matcher::Automaton {
                automaton,
                prefix,
                suffix,
            } => {
                let possible = path.starts_with(prefix.as_str()) && path.ends_with(suffix.as_str());
                possible && automaton.matches(path)
            }
        }
    }
}

/// Appends a token, merging it into the previous one where two in a row mean the same as one
/// (`**` inside a segment, `**/**/`), which keeps the automaton small.
fn push_merged(tokens: &mut Vec<Token>, token: Token) {
    let redundant = matches!(
        (tokens.last(), &token),
        (Some(Token::Star), Token::Star)
            | (Some(Token::AnyDeep), Token::AnyDeep | Token::Star)
            | (Some(Token::Directories), Token::Directories)
    );
    if !redundant {
        tokens.push(token);
    }
}

/// Compiles an fnmatch pattern into pieces, or `None` when it can match nothing.
///
/// Ruby expands braces as text and matches each expansion separately. Compiling the
/// alternatives into branches gives the same result, without the exponential number of
/// expansions, as long as no token spans a brace boundary and no token's meaning depends on the
/// text across one. [`lex_fnmatch`] flags the texts where that could happen (a class or escape
/// left open, a `*` at the end, a `**/` at the start), and such patterns are expanded as text
/// like Ruby does, up to [`MAX_BRACE_EXPANSIONS`].
fn compile_fnmatch(chars: &[char]) -> Option<Vec<Piece>> {
    if !chars.contains(&'{') {
        return Some(lex_fnmatch(chars).pieces());
    }
    match parse_braces(chars, 0) {
        Ok(parts) => {
            if let Some(pieces) = structural_pieces(&parts, true) {
                return Some(pieces);
            }
        }
        Err(BraceError::Unclosed) => return None,
        Err(BraceError::TooDeep) => {}
    }
    // NOTE: past MAX_BRACE_EXPANSIONS the remaining alternatives are dropped, so such a
    // pattern can miss paths that Ruby would match.
    let alternatives: Vec<Vec<Piece>> = expand_braces(chars)
        .iter()
        .map(|expansion| lex_fnmatch(expansion).pieces())
        .collect();
    if alternatives.is_empty() {
        return None;
    }
    Some(vec![Piece::Alternatives(alternatives)])
}

/// Tokens of one brace-free text, with what the brace compiler needs to know about its edges.
#[derive(Debug, Default)]
struct Lexed {
    tokens: Vec<Token>,
    /// Whether the text starts with `**/`, which means "directories" only at the start of a
    /// segment, so its meaning depends on the text before it.
    starts_with_directories: bool,
    /// Whether the text ends inside a class, right after `\`, or with `*`, so that a token
    /// could continue into the text after it.
    open_end: bool,
}

impl Lexed {
    fn pieces(self) -> Vec<Piece> {
        self.tokens.into_iter().map(Piece::Token).collect()
    }
}

/// Splits brace-free fnmatch text into tokens, taking the text as the start of a segment.
fn lex_fnmatch(chars: &[char]) -> Lexed {
    let mut lexed = Lexed::default();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let segment_start = match lexed.tokens.last() {
            None => i == 0,
            Some(Token::Literal('/') | Token::Directories) => true,
            Some(_) => false,
        };
        match c {
            '*' if segment_start
                && chars.get(i + 1) == Some(&'*')
                && chars.get(i + 2) == Some(&'/') =>
            {
                if i == 0 {
                    lexed.starts_with_directories = true;
                }
                push_merged(&mut lexed.tokens, Token::Directories);
                i += 3;
            }
            '*' => {
                while chars.get(i) == Some(&'*') {
                    i += 1;
                }
                if i == chars.len() {
                    lexed.open_end = true;
                }
                push_merged(&mut lexed.tokens, Token::Star);
            }
            '?' => {
                lexed.tokens.push(Token::Question);
                i += 1;
            }
            '\\' => match chars.get(i + 1) {
                Some(&escaped) => {
                    lexed.tokens.push(Token::Literal(escaped));
                    i += 2;
                }
                None => {
                    // Ruby skips a trailing backslash.
                    lexed.open_end = true;
                    i += 1;
                }
            },
            '[' => match parse_class(chars, i + 1) {
                Some((class, next)) => {
                    lexed.tokens.push(Token::Class(class));
                    i = next;
                }
                None => {
                    // An unclosed class never matches, so nothing after it matters.
                    lexed.tokens.push(Token::Class(Class::default()));
                    lexed.open_end = true;
                    break;
                }
            },
            c => {
                lexed.tokens.push(Token::Literal(c));
                i += 1;
            }
        }
    }
    lexed
}

/// Parses a class body that starts after `[`, as Ruby's `bracket` does, and returns the class
/// and the index after its `]`, or `None` when the class is not closed.
fn parse_class(chars: &[char], start: usize) -> Option<(Class, usize)> {
    let mut i = start;
    let mut class = Class::default();
    if matches!(chars.get(i), Some('!' | '^')) {
        class.negated = true;
        i += 1;
    }
    loop {
        if *chars.get(i)? == ']' {
            return Some((class, i + 1));
        }
        if chars.get(i) == Some(&'\\') {
            i += 1;
        }
        let low = *chars.get(i)?;
        i += 1;
        chars.get(i)?;
        if chars.get(i) == Some(&'-') && chars.get(i + 1) != Some(&']') {
            i += 1;
            if chars.get(i) == Some(&'\\') {
                i += 1;
            }
            let high = *chars.get(i)?;
            i += 1;
            class.items.push(ClassItem::Range(low, high));
        } else {
            class.items.push(ClassItem::Char(low));
        }
    }
}

/// A pattern split at its brace groups.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(Vec<char>),
    Group(Vec<Vec<Part>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BraceError {
    /// A `{` has no matching `}`: Ruby then matches nothing.
    Unclosed,
    /// Nesting deeper than [`MAX_BRACE_DEPTH`].
    TooDeep,
}

/// Splits a pattern into texts and brace groups, finding the groups the way Ruby's
/// `ruby_brace_expand` does.
fn parse_braces(chars: &[char], depth: usize) -> Result<Vec<Part>, BraceError> {
    if depth > MAX_BRACE_DEPTH {
        return Err(BraceError::TooDeep);
    }
    let mut parts = Vec::new();
    let mut rest = chars;
    loop {
        let Some((open, close)) = find_brace_group(rest) else {
            if !rest.is_empty() {
                parts.push(Part::Text(rest.to_vec()));
            }
            return Ok(parts);
        };
        let close = close.ok_or(BraceError::Unclosed)?;
        let before = rest.get(..open).unwrap_or_default();
        if !before.is_empty() {
            parts.push(Part::Text(before.to_vec()));
        }
        let inner = rest.get(open + 1..close).unwrap_or_default();
        let alternatives = split_alternatives(inner)
            .into_iter()
            .map(|alternative| parse_braces(alternative, depth + 1))
            .collect::<Result<Vec<_>, _>>()?;
        parts.push(Part::Group(alternatives));
        rest = rest.get(close + 1..).unwrap_or_default();
    }
}

/// Finds the first top-level `{` and its matching `}`, skipping escaped characters. Returns
/// `None` when there is no `{`, and `Some((open, None))` when the `{` is never closed.
fn find_brace_group(chars: &[char]) -> Option<(usize, Option<usize>)> {
    let mut open = None;
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '{' => {
                if depth == 0 {
                    open = Some(i);
                }
                depth += 1;
            }
            // Before the first `{`, Ruby does not count a `}`.
            '}' if open.is_some() => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return open.map(|open| (open, Some(i)));
                }
            }
            '\\' => i += 1,
            _ => {}
        }
        i += 1;
    }
    open.map(|open| (open, None))
}

/// Splits the content of a brace group at its top-level commas, skipping escaped characters.
fn split_alternatives(inner: &[char]) -> Vec<&[char]> {
    let mut alternatives = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut i = 0;
    while let Some(&c) = inner.get(i) {
        match c {
            ',' if depth == 0 => {
                alternatives.push(inner.get(start..i).unwrap_or_default());
                start = i + 1;
            }
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            '\\' => i += 1,
            _ => {}
        }
        i += 1;
    }
    alternatives.push(inner.get(start..).unwrap_or_default());
    alternatives
}

/// Compiles brace groups into alternatives, or returns `None` when a text's meaning could
/// depend on the text next to it (see [`Lexed`]) and the pattern must be expanded as text.
/// `top_level` is true for the parts of the whole pattern, whose first text starts the
/// pattern and whose last text ends it.
fn structural_pieces(parts: &[Part], top_level: bool) -> Option<Vec<Piece>> {
    let mut pieces = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        match part {
            Part::Text(text) => {
                let lexed = lex_fnmatch(text);
                let at_start = top_level && index == 0;
                let at_end = top_level && index + 1 == parts.len();
                if (lexed.starts_with_directories && !at_start) || (lexed.open_end && !at_end) {
                    return None;
                }
                pieces.extend(lexed.pieces());
            }
            Part::Group(alternatives) => {
                let branches = alternatives
                    .iter()
                    .map(|alternative| structural_pieces(alternative, false))
                    .collect::<Option<Vec<_>>>()?;
                pieces.push(Piece::Alternatives(branches));
            }
        }
    }
    Some(pieces)
}

/// Expands braces as text, as Ruby does: the first group is replaced by each of its
/// alternatives, and every result is expanded again. A result with an unclosed `{` is dropped.
/// Expansion stops at [`MAX_BRACE_EXPANSIONS`] results or [`MAX_BRACE_EXPANSION_CHARS`]
/// characters.
fn expand_braces(pattern: &[char]) -> Vec<Vec<char>> {
    let mut results = Vec::new();
    let mut pending = vec![pattern.to_vec()];
    let mut produced_chars = 0usize;
    while let Some(text) = pending.pop() {
        if results.len() >= MAX_BRACE_EXPANSIONS || produced_chars > MAX_BRACE_EXPANSION_CHARS {
            break;
        }
        match find_brace_group(&text) {
            None => results.push(text),
            Some((_, None)) => {}
            Some((open, Some(close))) => {
                let before = text.get(..open).unwrap_or_default();
                let after = text.get(close + 1..).unwrap_or_default();
                let inner = text.get(open + 1..close).unwrap_or_default();
                let mut expansions = Vec::new();
                for alternative in split_alternatives(inner) {
                    let length = before.len() + alternative.len() + after.len();
                    produced_chars = produced_chars.saturating_add(length);
                    if produced_chars > MAX_BRACE_EXPANSION_CHARS {
                        break;
                    }
                    expansions.push([before, alternative, after].concat());
                }
                // Pushed in reverse so that the results come out in Ruby's order.
                pending.extend(expansions.into_iter().rev());
            }
        }
    }
    results
}

/// A nondeterministic automaton over characters.
#[derive(Debug, Clone)]
struct Automaton {
    states: Vec<State>,
    start: usize,
}

#[derive(Debug, Clone)]
enum State {
    /// Consumes one character that passes the test, then goes to `next`.
    Step { test: Test, next: usize },
    /// Goes to any of these states without consuming anything.
    Fork(Vec<usize>),
    /// The whole path matched.
    Accept,
}

#[derive(Debug, Clone)]
enum Test {
    Char(char),
    NotSlash,
    Any,
    Class(Class),
}

impl Test {
    fn passes(&self, c: char) -> bool {
        match self {
            Test::Char(expected) => c == *expected,
            Test::NotSlash => c != '/',
            Test::Any => true,
            Test::Class(class) => class.matches(c),
        }
    }
}

impl Automaton {
    fn new(pieces: &[Piece]) -> Self {
        let mut builder = Builder { states: Vec::new() };
        let accept = builder.push(State::Accept);
        let start = builder.sequence(pieces, accept);
        Automaton {
            states: builder.states,
            start,
        }
    }

    /// Runs the automaton over the path, keeping the set of states it can be in.
    fn matches(&self, path: &str) -> bool {
        let mut visited = vec![usize::MAX; self.states.len()];
        let mut current = Vec::new();
        let mut next = Vec::new();
        let mut stack = Vec::new();
        self.close(self.start, 0, &mut visited, &mut current, &mut stack);
        for (position, c) in path.chars().enumerate() {
            next.clear();
            for &index in &current {
                if let Some(State::Step { test, next: target }) = self.states.get(index)
                    && test.passes(c)
                {
                    self.close(*target, position + 1, &mut visited, &mut next, &mut stack);
                }
            }
            if next.is_empty() {
                return false;
            }
            std::mem::swap(&mut current, &mut next);
        }
        current
            .iter()
            .any(|&index| matches!(self.states.get(index), Some(State::Accept)))
    }

    /// Adds `from` and every state reachable from it without consuming a character to `out`,
    /// keeping only the states that consume or accept. `visited` marks states already added
    /// for this `position`.
    fn close(
        &self,
        from: usize,
        position: usize,
        visited: &mut [usize],
        out: &mut Vec<usize>,
        stack: &mut Vec<usize>,
    ) {
        stack.push(from);
        while let Some(index) = stack.pop() {
            let Some(mark) = visited.get_mut(index) else {
                continue;
            };
            if *mark == position {
                continue;
            }
            *mark = position;
            match self.states.get(index) {
                Some(State::Fork(targets)) => stack.extend(targets.iter().rev()),
                Some(_) => out.push(index),
                None => {}
            }
        }
    }
}

/// Builds an automaton back to front: each piece is compiled knowing the state that follows it.
struct Builder {
    states: Vec<State>,
}

impl Builder {
    fn push(&mut self, state: State) -> usize {
        self.states.push(state);
        self.states.len() - 1
    }

    fn set(&mut self, index: usize, state: State) {
        if let Some(slot) = self.states.get_mut(index) {
            *slot = state;
        }
    }

    fn sequence(&mut self, pieces: &[Piece], next: usize) -> usize {
        pieces
            .iter()
            .rev()
            .fold(next, |next, piece| self.piece(piece, next))
    }

    fn piece(&mut self, piece: &Piece, next: usize) -> usize {
        match piece {
            Piece::Token(token) => self.token(token, next),
            Piece::Alternatives(alternatives) => {
                let starts = alternatives
                    .iter()
                    .map(|alternative| self.sequence(alternative, next))
                    .collect();
                self.push(State::Fork(starts))
            }
        }
    }

    fn token(&mut self, token: &Token, next: usize) -> usize {
        match token {
            Token::Literal(c) => self.push(State::Step {
                test: Test::Char(*c),
                next,
            }),
            Token::Question => self.push(State::Step {
                test: Test::NotSlash,
                next,
            }),
            Token::Class(class) => self.push(State::Step {
                test: Test::Class(class.clone()),
                next,
            }),
            Token::Star => self.repeat(Test::NotSlash, next),
            Token::AnyDeep => self.repeat(Test::Any, next),
            Token::Directories => {
                // `([^/]*/)*`: from the loop state, either go on or read one more directory.
                let loop_state = self.push(State::Fork(Vec::new()));
                let slash = self.push(State::Step {
                    test: Test::Char('/'),
                    next: loop_state,
                });
                let name = self.repeat(Test::NotSlash, slash);
                self.set(loop_state, State::Fork(vec![name, next]));
                loop_state
            }
        }
    }

    /// Zero or more characters that pass `test`, then `next`.
    fn repeat(&mut self, test: Test, next: usize) -> usize {
        let fork = self.push(State::Fork(Vec::new()));
        let step = self.push(State::Step { test, next: fork });
        self.set(fork, State::Fork(vec![step, next]));
        fork
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_unclosed_positions() {
        let cases = [
            ("build: [linux*", Some((7, '['))),
            ("a[b]c", None),
            ("a\\[b", None),
            ("[]", None),
            ("[]]", None),
            ("x[\\]", Some((1, '['))),
            ("{a,b", Some((0, '{'))),
            ("{a,{b}", Some((0, '{'))),
            ("{a,b}", None),
            ("\\{a", None),
            ("[{]", None),
            ("é[", Some((2, '['))),
        ];
        for (pattern, expected) in cases {
            assert_eq!(Fnmatch::new(pattern).unclosed(), expected, "{pattern:?}");
        }
    }

    /// Checked against Ruby 3.1's `File.fnmatch?` with `FNM_PATHNAME | FNM_DOTMATCH |
    /// FNM_EXTGLOB`: `*[]*` and `[]]` match nothing, `[!]` any character but `/`, and `{a,[]}`
    /// matches `a`.
    #[test]
    fn fnmatch_empty_class_positions() {
        let cases = [
            ("*[]*", Some(1)),
            ("[]]", Some(0)),
            ("é[]", Some(2)),
            ("a[b][]", Some(4)),
            ("[!]", None),
            ("[^]", None),
            ("a\\[]", None),
            ("[\\]]", None),
            ("{a,[]}", None),
            ("[]{a,b}", Some(0)),
            ("[", None),
        ];
        for (pattern, expected) in cases {
            assert_eq!(Fnmatch::new(pattern).empty_class(), expected, "{pattern:?}");
        }
        for (pattern, path) in [("*[]*", "a[]b"), ("[]]", "]"), ("[]]", "[]]")] {
            assert!(!Fnmatch::new(pattern).matches(path), "{pattern:?} {path:?}");
        }
        assert!(Fnmatch::new("[!]").matches("x"));
        assert!(Fnmatch::new("{a,[]}").matches("a"));
    }

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
        assert!(Wildcard::new("ci/{a,b}.yml").matches("ci/{a,b}.yml"));
    }

    /// Each row was checked against Ruby 3.1's
    /// `File.fnmatch?(pattern, path, File::FNM_PATHNAME | File::FNM_DOTMATCH | File::FNM_EXTGLOB)`.
    #[test]
    fn fnmatch_cases() {
        let cases = [
            // `*` stays inside a segment; dot files match.
            ("*.md", "README.md", true),
            ("*.md", "docs/README.md", false),
            ("docs/*.md", "docs/a.md", true),
            ("*", ".hidden", true),
            ("*", "a/b", false),
            ("a/*", "a/", true),
            ("a/*/b", "a//b", true),
            // `**/` is zero or more directories, only at the start of a segment.
            ("**/*.md", "a.md", true),
            ("**/*.md", "x/y/a.md", true),
            ("**/*.md", ".x/a.md", true),
            ("**/.*", "a/.git", true),
            ("a/**/b", "a/b", true),
            ("a/**/b", "a/x/y/b", true),
            ("a/**/b", "ab", false),
            ("a/**", "a/b", true),
            ("a/**", "a/b/c", false),
            ("**", "a", true),
            ("**", "a/b", false),
            ("a**/b", "ax/b", true),
            ("a**/b", "a/x/b", false),
            ("***/x", "a/x", true),
            ("***/x", "a/b/x", false),
            ("**/**/x", "x", true),
            ("x/**/**", "x/a/b", true),
            ("/**/x", "/x", true),
            ("**/", "", true),
            ("**/", "a/", true),
            // GitLab's documented examples.
            ("docs/**/*", "docs/a.md", true),
            ("docs/**/*", "docs/x/y/a.md", true),
            ("docs/**/*", "docs", false),
            ("{src,lib}/**/*.rs", "lib/a/b.rs", true),
            ("{src,lib}/**/*.rs", "src/main.rs", true),
            ("{src,lib}/**/*.rs", "tests/a.rs", false),
            ("Dockerfile", "Dockerfile", true),
            // `?` and classes.
            ("?.txt", "a.txt", true),
            ("?.txt", "/.txt", false),
            ("?", "é", true),
            ("é?", "éx", true),
            ("[ab].txt", "b.txt", true),
            ("[!ab].txt", "b.txt", false),
            ("[^a]", "b", true),
            ("[a-c].txt", "c.txt", true),
            ("[!a-c]", "d", true),
            ("[à-ë]", "é", true),
            ("[z-a]", "m", false),
            ("[z-a]", "z", true),
            ("[z-a]", "a", true),
            ("[a-]", "-", true),
            ("[\\]]", "]", true),
            ("[[]", "[", true),
            ("[a/b]", "a", true),
            ("a[/]b", "a/b", false),
            ("[]a]", "a", false),
            ("[]a]", "]a]", false),
            ("[]", "x", false),
            ("[!]", "x", true),
            ("[!]", "/", false),
            ("[unclosed", "[unclosed", false),
            ("a[b", "a[b", false),
            // Braces.
            ("{a,b}.txt", "b.txt", true),
            ("{a,b}.txt", "c.txt", false),
            ("x{a,{b,c}}y", "xcy", true),
            ("{a}", "a", true),
            ("{a}", "{a}", false),
            ("{}x", "x", true),
            ("{}", "", true),
            ("{a", "{a", false),
            ("{a,b", "a", false),
            ("{a,b}{", "a{", false),
            ("a}", "a}", true),
            ("\\{a,b}", "{a,b}", true),
            ("\\{a,b}", "a", false),
            ("{a\\,b,c}", "a,b", true),
            ("{,a}*", "b", true),
            ("[{]", "{", false),
            ("[{}]", "{", false),
            ("[{,}]", ",", false),
            ("*{*/,x}b", "c/d/b", true),
            ("*{*/,x}b", "a/b", true),
            ("{**/,}b", "x/y/b", true),
            ("a{**/,}b", "ax/b", true),
            ("a{**/,}b", "a/x/b", false),
            ("{a,b}/**/c", "b/c", true),
            // Escapes.
            ("\\*.txt", "*.txt", true),
            ("\\*.txt", "a.txt", false),
            ("*\\*", "x*", true),
            ("a\\", "a", true),
            ("a\\", "a\\", false),
            ("a\\/b", "a/b", true),
            ("a\\b", "ab", true),
            ("a\\b", "a\\b", false),
            ("a//b", "a//b", true),
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
    fn literal_patterns() {
        let cases = [
            ("a/b.txt", Some("a/b.txt")),
            ("a\\*b", Some("a*b")),
            ("a}", Some("a}")),
            ("a/*.txt", None),
            ("{a}", None),
            ("[a]", None),
        ];
        for (pattern, expected) in cases {
            assert_eq!(Fnmatch::new(pattern).literal(), expected, "{pattern:?}");
        }
    }

    #[test]
    fn exact_patterns() {
        assert!(is_exact("a/b.txt"));
        assert!(is_exact("a\\b"));
        assert!(!is_exact("a/*.txt"));
        assert!(!is_exact("a?"));
        assert!(!is_exact("[ab]"));
        assert!(!is_exact("a{b,c}"));
    }

    #[test]
    fn brace_expansion_follows_ruby_order() {
        let chars: Vec<char> = "{a,b}{c,{d,e}}".chars().collect();
        let expanded: Vec<String> = expand_braces(&chars)
            .into_iter()
            .map(|e| e.into_iter().collect())
            .collect();
        assert_eq!(expanded, ["ac", "ad", "ae", "bc", "bd", "be"]);
    }

    #[test]
    fn textual_brace_expansion_is_bounded() {
        let chars: Vec<char> = "{a,b}".repeat(20).chars().collect();
        assert_eq!(expand_braces(&chars).len(), MAX_BRACE_EXPANSIONS);
    }

    #[test]
    fn textual_brace_expansion_bounds_characters() {
        let alternatives = vec!["a"; 200_000].join(",");
        let pattern: Vec<char> = format!("*{{{alternatives}}}").chars().collect();
        let produced: usize = expand_braces(&pattern).iter().map(Vec::len).sum();
        assert!(produced <= MAX_BRACE_EXPANSION_CHARS);
    }

    #[test]
    fn many_brace_groups_compile_without_expansion() {
        let pattern = "{a,b}".repeat(40);
        let path = "ab".repeat(20);
        let compiled = Fnmatch::new(&pattern);
        assert!(compiled.matches(&path));
        assert!(!compiled.matches(&format!("{path}c")));
    }

    #[test]
    fn deep_brace_nesting_still_matches() {
        let depth = MAX_BRACE_DEPTH + 8;
        let pattern = format!("{}x{}", "{a,".repeat(depth), "}".repeat(depth));
        let compiled = Fnmatch::new(&pattern);
        assert!(compiled.matches("a"));
        assert!(compiled.matches("x"));
        assert!(!compiled.matches("b"));
    }

    #[test]
    fn many_stars_stay_fast() {
        let pattern = "*a".repeat(500);
        let path = "a".repeat(2000) + "b";
        assert!(!Fnmatch::new(&pattern).matches(&path));
    }

    #[test]
    fn many_directory_stars_stay_fast() {
        let pattern = "**/".repeat(500) + "x";
        let path = "a/".repeat(1000) + "y";
        assert!(!Fnmatch::new(&pattern).matches(&path));
        let pattern = "**/a/".repeat(200) + "x";
        let path = "a/".repeat(1000) + "y";
        assert!(!Fnmatch::new(&pattern).matches(&path));
    }

    #[test]
    fn wildcard_deep_stars_stay_fast() {
        let pattern = "**a".repeat(500);
        let path = "a/".repeat(2000) + "b";
        assert!(!Wildcard::new(&pattern).matches(&path));
    }

    #[test]
    fn glob_set_first_match() {
        let set = GlobSet::new(["docs/**/*", "*.md", "README.md", "{src,lib}/**/*.rs"]);
        let cases = [
            ("docs/a/b.md", Some(0)),
            ("README.md", Some(1)),
            ("lib/x.rs", Some(3)),
            ("tests/x.rs", None),
        ];
        for (path, expected) in cases {
            assert_eq!(set.first_match(path), expected, "{path:?}");
        }
    }

    #[test]
    fn glob_set_literal_after_wildcard() {
        let set = GlobSet::new(["a.txt", "*.txt"]);
        assert_eq!(set.first_match("a.txt"), Some(0));
        assert_eq!(set.first_match("b.txt"), Some(1));
        assert_eq!(set.pattern(1), Some("*.txt"));
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn glob_set_empty() {
        let set = GlobSet::new(Vec::<String>::new());
        assert!(set.is_empty());
        assert!(!set.matches("a"));
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    /// Characters that exercise every part of the syntax.
    fn pattern_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop::sample::select(vec![
                '*', '?', '[', ']', '{', '}', ',', '\\', '/', '!', '^', '-', 'a', 'b', '.', 'é',
            ]),
            0..40,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn fnmatch_never_panics(pattern in pattern_text(), path in "[a-c/.é]{0,20}") {
            let compiled = Fnmatch::new(&pattern);
            let _ = compiled.matches(&path);
            let _ = GlobSet::new([pattern.as_str()]).first_match(&path);
        }

        #[test]
        fn wildcard_never_panics(pattern in pattern_text(), path in "[a-c/.é*]{0,20}") {
            let _ = Wildcard::new(&pattern).matches(&path);
        }

        #[test]
        fn literal_matches_itself(path in "[a-c/.é]{1,20}") {
            prop_assert!(Fnmatch::new(&path).matches(&path));
        }
    }
}
