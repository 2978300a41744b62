//! A YAML 1.1 scanner that splits text into tokens the way libyaml 0.2.5 does, which is the
//! scanner behind Ruby's Psych and so behind GitLab.
//!
//! It accepts and rejects the same input as libyaml and reports errors with libyaml's problem
//! and context wording and marks. Where libyaml is laxer than the YAML 1.1 grammar (quoted
//! scalars and flow collections may continue at any indentation, a tab may separate tokens
//! after `:`), this scanner is just as lax.
//!
//! Scalars borrow from the input when no escape, quote doubling or line folding changes them.
//! Marks carry byte offsets for spans, and lines and columns counted the way libyaml counts
//! them (columns in characters, from 0).
//!
//! The input is a Rust string, so it is valid UTF-8. The loader rejects characters outside
//! YAML's printable set before it scans (libyaml's reader does the same), so the scanner
//! treats every character as printable.

use std::borrow::Cow;
use std::collections::VecDeque;

/// A position in the input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Mark {
    /// Byte offset.
    pub offset: usize,
    /// Characters before the mark, which libyaml uses to expire simple keys.
    pub chars: usize,
    /// Line, from 0.
    pub line: usize,
    /// Column in characters, from 0.
    pub column: usize,
}

/// A syntax error with libyaml's fields. Psych prints it as `<problem> <context> at line L
/// column C`, with the line and column of `context_mark` counted from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// The problem, in libyaml's words.
    pub problem: &'static str,
    /// The construct being read when the problem was found, in libyaml's words.
    pub context: Option<&'static str>,
    /// Start of the construct named by `context`. libyaml leaves it at the start of the
    /// input for parser errors without a context.
    pub context_mark: Mark,
    /// Position of the problem.
    pub problem_mark: Mark,
}

impl SyntaxError {
    /// Joins the problem and the context as Psych does.
    pub(crate) fn message(&self) -> String {
        match self.context {
            Some(context) => format!("{} {context}", self.problem),
            None => self.problem.to_owned(),
        }
    }

    /// Returns the 1-based line Psych reports.
    pub(crate) fn line(&self) -> usize {
        self.context_mark.line + 1
    }

    /// Returns the 1-based column Psych reports.
    pub(crate) fn column(&self) -> usize {
        self.context_mark.column + 1
    }
}

/// The style a scalar is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// The kind of a token, without its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    StreamStart,
    StreamEnd,
    /// `%YAML major.minor`, with the numbers in [`Data::Version`].
    VersionDirective,
    /// `%TAG handle prefix`, with both in [`Data::Pair`].
    TagDirective,
    DocumentStart,
    DocumentEnd,
    BlockSequenceStart,
    BlockMappingStart,
    BlockEnd,
    FlowSequenceStart,
    FlowSequenceEnd,
    FlowMappingStart,
    FlowMappingEnd,
    BlockEntry,
    FlowEntry,
    Key,
    Value,
    /// `*name`, with the name in [`Data::Text`].
    Alias,
    /// `&name`, with the name in [`Data::Text`].
    Anchor,
    /// A tag, with its handle and suffix in [`Data::Pair`].
    Tag,
    /// A scalar, with its value in [`Data::Text`].
    Scalar(ScalarStyle),
}

/// The text a token carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Data<'a> {
    None,
    Text(Cow<'a, str>),
    Pair(Cow<'a, str>, Cow<'a, str>),
    Version(u32, u32),
}

/// One token with its start and end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub kind: Kind,
    pub start: Mark,
    pub end: Mark,
    pub data: Data<'a>,
}

/// A place where a mapping key without `?` may start.
#[derive(Debug, Clone, Copy, Default)]
struct SimpleKey {
    possible: bool,
    /// The key starts a line of a block mapping at its indentation, so a `:` must follow.
    required: bool,
    /// Number of the token that would become the key, counted from the start of the stream.
    token_number: usize,
    mark: Mark,
}

/// libyaml gives up on a simple key this many characters after its start.
const MAX_SIMPLE_KEY_CHARS: usize = 1024;

/// Scalar text that stays a slice of the input while the pieces appended to it are adjacent
/// in the input, and becomes an owned string otherwise.
#[derive(Debug, Default)]
struct Text {
    start: usize,
    end: usize,
    owned: Option<String>,
}

impl Text {
    fn is_empty(&self) -> bool {
        match &self.owned {
            Some(s) => s.is_empty(),
            None => self.start == self.end,
        }
    }

    fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
        if let Some(s) = &mut self.owned {
            s.clear();
        }
    }

    /// Checks whether the text starts with a line feed, which is how a folded line break is
    /// stored.
    fn starts_with_line_feed(&self, input: &str) -> bool {
        self.as_str(input).starts_with('\n')
    }

    fn as_str<'a>(&'a self, input: &'a str) -> &'a str {
        match &self.owned {
            Some(s) => s,
            None => input.get(self.start..self.end).unwrap_or_default(),
        }
    }

    fn owned_mut(&mut self, input: &str) -> &mut String {
        let borrowed = input.get(self.start..self.end).unwrap_or_default();
        self.owned.get_or_insert_with(|| borrowed.to_owned())
    }

    /// Appends the input bytes `from..to`.
    fn push_input(&mut self, input: &str, from: usize, to: usize) {
        if self.owned.is_none() {
            if self.start == self.end {
                self.start = from;
                self.end = to;
                return;
            }
            if self.end == from {
                self.end = to;
                return;
            }
        }
        let piece = input.get(from..to).unwrap_or_default();
        self.owned_mut(input).push_str(piece);
    }

    fn push_str(&mut self, input: &str, piece: &str) {
        self.owned_mut(input).push_str(piece);
    }

    fn append(&mut self, input: &str, other: &Text) {
        match &other.owned {
            None => self.push_input(input, other.start, other.end),
            Some(s) if s.is_empty() => {}
            Some(s) => self.push_str(input, s),
        }
    }

    fn finish(self, input: &str) -> Cow<'_, str> {
        match self.owned {
            Some(s) => Cow::Owned(s),
            None => Cow::Borrowed(input.get(self.start..self.end).unwrap_or_default()),
        }
    }
}

/// Checks whether `byte` may appear in an anchor name or a tag handle.
fn is_alpha(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'
}

/// Length of the UTF-8 sequence that starts with `lead`.
fn utf8_width(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

type Scan<T> = Result<T, SyntaxError>;

/// The scanner. [`Scanner::peek`] and [`Scanner::take`] read the tokens in order.
#[derive(Debug)]
pub(crate) struct Scanner<'a> {
    input: &'a str,
    bytes: &'a [u8],
    mark: Mark,
    tokens: VecDeque<Token<'a>>,
    /// Tokens already taken by the parser.
    tokens_taken: usize,
    stream_start_produced: bool,
    stream_end_produced: bool,
    /// Column of the innermost block collection, -1 at the top level.
    indent: isize,
    indents: Vec<isize>,
    simple_key_allowed: bool,
    /// One entry per flow level, plus one for the block context.
    simple_keys: Vec<SimpleKey>,
    /// Index of the first entry of `simple_keys` that may be possible. Keys deeper in the
    /// stack start later in the input, so they expire in stack order and the check can stop
    /// at the first live key instead of walking every flow level.
    first_live_key: usize,
    flow_level: usize,
    error: Option<SyntaxError>,
}

impl<'a> Scanner<'a> {
    /// Prepares to scan `input`, which must not start with a byte order mark.
    pub(crate) fn new(input: &'a str) -> Self {
        Scanner {
            input,
            bytes: input.as_bytes(),
            mark: Mark::default(),
            tokens: VecDeque::new(),
            tokens_taken: 0,
            stream_start_produced: false,
            stream_end_produced: false,
            indent: -1,
            indents: Vec::new(),
            simple_key_allowed: false,
            simple_keys: Vec::new(),
            first_live_key: 0,
            flow_level: 0,
            error: None,
        }
    }

    /// Returns the kind and marks of the next token, scanning as far ahead as libyaml does.
    pub(crate) fn peek(&mut self) -> Scan<(Kind, Mark, Mark)> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if let Err(error) = self.fetch_more_tokens() {
            self.error = Some(error.clone());
            return Err(error);
        }
        match self.tokens.front() {
            Some(token) => Ok((token.kind, token.start, token.end)),
            // Only after the stream end was taken.
            None => Ok((Kind::StreamEnd, self.mark, self.mark)),
        }
    }

    /// Removes and returns the next token. Call it only after [`Scanner::peek`] succeeded.
    pub(crate) fn take(&mut self) -> Token<'a> {
        match self.tokens.pop_front() {
            Some(token) => {
                self.tokens_taken += 1;
                if token.kind == Kind::StreamEnd {
                    self.stream_end_produced = true;
                }
                token
            }
            None => Token {
                kind: Kind::StreamEnd,
                start: self.mark,
                end: self.mark,
                data: Data::None,
            },
        }
    }

    // Reading characters.

    fn byte_at(&self, ahead: usize) -> u8 {
        self.bytes
            .get(self.mark.offset + ahead)
            .copied()
            .unwrap_or(0)
    }

    fn current(&self) -> u8 {
        self.byte_at(0)
    }

    fn is_end(&self) -> bool {
        self.mark.offset >= self.bytes.len()
    }

    fn is_blank(&self) -> bool {
        matches!(self.current(), b' ' | b'\t')
    }

    fn is_break_at(&self, ahead: usize) -> bool {
        match self.byte_at(ahead) {
            b'\r' | b'\n' => true,
            // NEL
            0xc2 => self.byte_at(ahead + 1) == 0x85,
            // LS and PS
            0xe2 => {
                self.byte_at(ahead + 1) == 0x80 && matches!(self.byte_at(ahead + 2), 0xa8 | 0xa9)
            }
            _ => false,
        }
    }

    fn is_break(&self) -> bool {
        self.is_break_at(0)
    }

    fn is_breakz(&self) -> bool {
        self.is_end() || self.is_break()
    }

    fn is_blankz(&self) -> bool {
        self.is_blank() || self.is_breakz()
    }

    /// Checks for a blank, a line break or the end `ahead` bytes on. Callers pass a byte count
    /// that only covers ASCII characters, so it is also a character count.
    fn is_blankz_at(&self, ahead: usize) -> bool {
        matches!(self.byte_at(ahead), b' ' | b'\t')
            || self.mark.offset + ahead >= self.bytes.len()
            || self.is_break_at(ahead)
    }

    fn starts_with(&self, prefix: &[u8]) -> bool {
        self.bytes
            .get(self.mark.offset..)
            .is_some_and(|rest| rest.starts_with(prefix))
    }

    /// Moves past one character that is not a line break.
    fn skip(&mut self) {
        let width = utf8_width(self.current());
        self.mark.offset = (self.mark.offset + width).min(self.bytes.len());
        self.mark.chars += 1;
        self.mark.column += 1;
    }

    /// Moves past `count` ASCII characters that are not line breaks.
    fn skip_ascii(&mut self, count: usize) {
        self.mark.offset += count;
        self.mark.chars += count;
        self.mark.column += count;
    }

    /// Counts the bytes from the current one on that `accept` accepts, stopping at the first
    /// byte it rejects. `accept` must reject every byte that is not ASCII or is a line break.
    fn ascii_run(&self, accept: impl Fn(u8) -> bool) -> usize {
        self.bytes
            .get(self.mark.offset..)
            .map_or(0, |rest| rest.iter().take_while(|&&b| accept(b)).count())
    }

    /// Appends the run of bytes `accept` accepts to `text` and moves past it.
    fn copy_ascii_run(&mut self, text: &mut Text, accept: impl Fn(u8) -> bool) {
        let count = self.ascii_run(accept);
        if count > 0 {
            let from = self.mark.offset;
            self.skip_ascii(count);
            text.push_input(self.input, from, self.mark.offset);
        }
    }

    /// Moves past one line break (CR LF counts as one).
    fn skip_line(&mut self) {
        if self.starts_with(b"\r\n") {
            self.mark.offset += 2;
            self.mark.chars += 2;
        } else if self.is_break() {
            self.mark.offset += utf8_width(self.current());
            self.mark.chars += 1;
        } else {
            return;
        }
        self.mark.line += 1;
        self.mark.column = 0;
    }

    /// Appends the current character to `text` and moves past it.
    fn copy(&mut self, text: &mut Text) {
        let from = self.mark.offset;
        self.skip();
        text.push_input(self.input, from, self.mark.offset);
    }

    /// Appends the current line break to `text` and moves past it. CR LF, CR and NEL are
    /// stored as LF, while LS and PS are kept, as libyaml does.
    fn copy_line(&mut self, text: &mut Text) {
        let from = self.mark.offset;
        match self.current() {
            b'\n' => {
                self.skip_line();
                text.push_input(self.input, from, from + 1);
            }
            b'\r' | 0xc2 => {
                self.skip_line();
                text.push_str(self.input, "\n");
            }
            _ if self.is_break() => {
                self.skip_line();
                text.push_input(self.input, from, self.mark.offset);
            }
            _ => {}
        }
    }

    fn error(
        &self,
        context: Option<&'static str>,
        context_mark: Mark,
        problem: &'static str,
    ) -> SyntaxError {
        SyntaxError {
            problem,
            context,
            context_mark,
            problem_mark: self.mark,
        }
    }

    fn push_token(&mut self, kind: Kind, start: Mark, data: Data<'a>) {
        self.tokens.push_back(Token {
            kind,
            start,
            end: self.mark,
            data,
        });
    }

    // Token queue.

    fn fetch_more_tokens(&mut self) -> Scan<()> {
        loop {
            let need_more = if self.tokens.is_empty() {
                !self.stream_end_produced
            } else {
                // The first live key has the lowest token number, so only it can be the next
                // token.
                self.stale_simple_keys()?;
                self.simple_keys
                    .get(self.first_live_key..)
                    .and_then(|keys| keys.iter().find(|key| key.possible))
                    .is_some_and(|key| key.token_number == self.tokens_taken)
            };
            if !need_more {
                return Ok(());
            }
            self.fetch_next_token()?;
        }
    }

    fn fetch_next_token(&mut self) -> Scan<()> {
        if !self.stream_start_produced {
            self.fetch_stream_start();
            return Ok(());
        }
        self.scan_to_next_token();
        self.stale_simple_keys()?;
        self.unroll_indent(self.mark.column as isize);
        if self.is_end() {
            return self.fetch_stream_end();
        }
        if self.mark.column == 0 {
            if self.current() == b'%' {
                return self.fetch_directive();
            }
            if self.starts_with(b"---") && self.is_blankz_at(3) {
                return self.fetch_document_indicator(Kind::DocumentStart);
            }
            if self.starts_with(b"...") && self.is_blankz_at(3) {
                return self.fetch_document_indicator(Kind::DocumentEnd);
            }
        }
        let next_is_blankz = self.is_blankz_at(1);
        match self.current() {
            b'[' => return self.fetch_flow_collection_start(Kind::FlowSequenceStart),
            b'{' => return self.fetch_flow_collection_start(Kind::FlowMappingStart),
            b']' => return self.fetch_flow_collection_end(Kind::FlowSequenceEnd),
            b'}' => return self.fetch_flow_collection_end(Kind::FlowMappingEnd),
            b',' => return self.fetch_flow_entry(),
            b'-' if next_is_blankz => return self.fetch_block_entry(),
            b'?' if self.flow_level > 0 || next_is_blankz => return self.fetch_key(),
            b':' if self.flow_level > 0 || next_is_blankz => return self.fetch_value(),
            b'*' => return self.fetch_anchor(Kind::Alias),
            b'&' => return self.fetch_anchor(Kind::Anchor),
            b'!' => return self.fetch_tag(),
            b'|' if self.flow_level == 0 => return self.fetch_block_scalar(true),
            b'>' if self.flow_level == 0 => return self.fetch_block_scalar(false),
            b'\'' => return self.fetch_flow_scalar(true),
            b'"' => return self.fetch_flow_scalar(false),
            _ => {}
        }
        let current = self.current();
        let starts_plain = !(self.is_blankz() || b"-?:,[]{}#&*!|>'\"%@`".contains(&current))
            || (current == b'-' && !matches!(self.byte_at(1), b' ' | b'\t'))
            || (self.flow_level == 0 && matches!(current, b'?' | b':') && !next_is_blankz);
        if starts_plain {
            return self.fetch_plain_scalar();
        }
        Err(self.error(
            Some("while scanning for the next token"),
            self.mark,
            "found character that cannot start any token",
        ))
    }

    /// Skips spaces, comments and line breaks up to the next token. Tabs are skipped only
    /// inside flow collections and where no simple key may start, as in libyaml.
    fn scan_to_next_token(&mut self) {
        loop {
            if self.mark.column == 0 && self.starts_with("\u{feff}".as_bytes()) {
                self.skip();
            }
            let tabs = self.flow_level > 0 || !self.simple_key_allowed;
            let blanks = self.ascii_run(|b| b == b' ' || (tabs && b == b'\t'));
            self.skip_ascii(blanks);
            if self.current() == b'#' {
                while !self.is_breakz() {
                    self.skip_ascii(self.ascii_run(|b| b != b'\n' && b != b'\r' && b.is_ascii()));
                    if !self.is_breakz() {
                        self.skip();
                    }
                }
            }
            if !self.is_break() {
                return;
            }
            self.skip_line();
            if self.flow_level == 0 {
                self.simple_key_allowed = true;
            }
        }
    }

    // Simple keys and indentation.

    /// Drops simple keys that can no longer be keys: a `:` must follow on the key's line and
    /// within [`MAX_SIMPLE_KEY_CHARS`].
    fn stale_simple_keys(&mut self) -> Scan<()> {
        let mark = self.mark;
        let mut index = self.first_live_key;
        while let Some(key) = self.simple_keys.get_mut(index) {
            let stale =
                key.mark.line < mark.line || key.mark.chars + MAX_SIMPLE_KEY_CHARS < mark.chars;
            if key.possible && !stale {
                break;
            }
            index += 1;
            if key.possible {
                if key.required {
                    return Err(SyntaxError {
                        problem: "could not find expected ':'",
                        context: Some("while scanning a simple key"),
                        context_mark: key.mark,
                        problem_mark: mark,
                    });
                }
                key.possible = false;
            }
        }
        self.first_live_key = index;
        Ok(())
    }

    fn save_simple_key(&mut self) -> Scan<()> {
        if !self.simple_key_allowed {
            return Ok(());
        }
        let key = SimpleKey {
            possible: true,
            required: self.flow_level == 0 && self.indent == self.mark.column as isize,
            token_number: self.tokens_taken + self.tokens.len(),
            mark: self.mark,
        };
        self.remove_simple_key()?;
        if let Some(top) = self.simple_keys.last_mut() {
            *top = key;
        }
        self.first_live_key = self
            .first_live_key
            .min(self.simple_keys.len().saturating_sub(1));
        Ok(())
    }

    fn remove_simple_key(&mut self) -> Scan<()> {
        let mark = self.mark;
        if let Some(key) = self.simple_keys.last_mut() {
            if key.possible && key.required {
                return Err(SyntaxError {
                    problem: "could not find expected ':'",
                    context: Some("while scanning a simple key"),
                    context_mark: key.mark,
                    problem_mark: mark,
                });
            }
            key.possible = false;
        }
        Ok(())
    }

    /// Opens a block collection at `column` when it is deeper than the current one. `number`
    /// is the stream position of the token the start goes before, or `None` to append it.
    fn roll_indent(&mut self, column: usize, number: Option<usize>, kind: Kind, mark: Mark) {
        if self.flow_level > 0 {
            return;
        }
        let column = column as isize;
        if self.indent >= column {
            return;
        }
        self.indents.push(self.indent);
        self.indent = column;
        let token = Token {
            kind,
            start: mark,
            end: mark,
            data: Data::None,
        };
        match number {
            Some(number) => {
                let at = number
                    .saturating_sub(self.tokens_taken)
                    .min(self.tokens.len());
                self.tokens.insert(at, token);
            }
            None => self.tokens.push_back(token),
        }
    }

    /// Closes every block collection deeper than `column`.
    fn unroll_indent(&mut self, column: isize) {
        if self.flow_level > 0 {
            return;
        }
        while self.indent > column {
            self.push_token(Kind::BlockEnd, self.mark, Data::None);
            self.indent = self.indents.pop().unwrap_or(-1);
        }
    }

    // Fetching tokens.

    fn fetch_stream_start(&mut self) {
        self.indent = -1;
        self.simple_keys.push(SimpleKey::default());
        self.simple_key_allowed = true;
        self.stream_start_produced = true;
        self.push_token(Kind::StreamStart, self.mark, Data::None);
    }

    fn fetch_stream_end(&mut self) -> Scan<()> {
        // libyaml ends the last line if the input does not.
        if self.mark.column != 0 {
            self.mark.column = 0;
            self.mark.line += 1;
        }
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        self.push_token(Kind::StreamEnd, self.mark, Data::None);
        Ok(())
    }

    fn fetch_directive(&mut self) -> Scan<()> {
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        let token = self.scan_directive()?;
        self.tokens.push_back(token);
        Ok(())
    }

    fn fetch_document_indicator(&mut self, kind: Kind) -> Scan<()> {
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        let start = self.mark;
        self.skip();
        self.skip();
        self.skip();
        self.push_token(kind, start, Data::None);
        Ok(())
    }

    fn fetch_flow_collection_start(&mut self, kind: Kind) -> Scan<()> {
        self.save_simple_key()?;
        self.simple_keys.push(SimpleKey::default());
        self.flow_level += 1;
        self.simple_key_allowed = true;
        let start = self.mark;
        self.skip();
        self.push_token(kind, start, Data::None);
        Ok(())
    }

    fn fetch_flow_collection_end(&mut self, kind: Kind) -> Scan<()> {
        self.remove_simple_key()?;
        if self.flow_level > 0 {
            self.flow_level -= 1;
            self.simple_keys.pop();
        }
        self.simple_key_allowed = false;
        let start = self.mark;
        self.skip();
        self.push_token(kind, start, Data::None);
        Ok(())
    }

    fn fetch_flow_entry(&mut self) -> Scan<()> {
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        let start = self.mark;
        self.skip();
        self.push_token(Kind::FlowEntry, start, Data::None);
        Ok(())
    }

    fn fetch_block_entry(&mut self) -> Scan<()> {
        if self.flow_level == 0 {
            if !self.simple_key_allowed {
                return Err(self.error(
                    None,
                    self.mark,
                    "block sequence entries are not allowed in this context",
                ));
            }
            self.roll_indent(self.mark.column, None, Kind::BlockSequenceStart, self.mark);
        }
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        let start = self.mark;
        self.skip();
        self.push_token(Kind::BlockEntry, start, Data::None);
        Ok(())
    }

    fn fetch_key(&mut self) -> Scan<()> {
        if self.flow_level == 0 {
            if !self.simple_key_allowed {
                return Err(self.error(
                    None,
                    self.mark,
                    "mapping keys are not allowed in this context",
                ));
            }
            self.roll_indent(self.mark.column, None, Kind::BlockMappingStart, self.mark);
        }
        self.remove_simple_key()?;
        self.simple_key_allowed = self.flow_level == 0;
        let start = self.mark;
        self.skip();
        self.push_token(Kind::Key, start, Data::None);
        Ok(())
    }

    fn fetch_value(&mut self) -> Scan<()> {
        let key = self.simple_keys.last().copied().unwrap_or_default();
        if key.possible {
            // The scalar or collection before the `:` turns out to be a key.
            let at = key
                .token_number
                .saturating_sub(self.tokens_taken)
                .min(self.tokens.len());
            self.tokens.insert(
                at,
                Token {
                    kind: Kind::Key,
                    start: key.mark,
                    end: key.mark,
                    data: Data::None,
                },
            );
            self.roll_indent(
                key.mark.column,
                Some(key.token_number),
                Kind::BlockMappingStart,
                key.mark,
            );
            if let Some(top) = self.simple_keys.last_mut() {
                top.possible = false;
            }
            self.simple_key_allowed = false;
        } else {
            if self.flow_level == 0 {
                if !self.simple_key_allowed {
                    return Err(self.error(
                        None,
                        self.mark,
                        "mapping values are not allowed in this context",
                    ));
                }
                self.roll_indent(self.mark.column, None, Kind::BlockMappingStart, self.mark);
            }
            self.simple_key_allowed = self.flow_level == 0;
        }
        let start = self.mark;
        self.skip();
        self.push_token(Kind::Value, start, Data::None);
        Ok(())
    }

    fn fetch_anchor(&mut self, kind: Kind) -> Scan<()> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let token = self.scan_anchor(kind)?;
        self.tokens.push_back(token);
        Ok(())
    }

    fn fetch_tag(&mut self) -> Scan<()> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let token = self.scan_tag()?;
        self.tokens.push_back(token);
        Ok(())
    }

    fn fetch_block_scalar(&mut self, literal: bool) -> Scan<()> {
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        let token = self.scan_block_scalar(literal)?;
        self.tokens.push_back(token);
        Ok(())
    }

    fn fetch_flow_scalar(&mut self, single: bool) -> Scan<()> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let token = self.scan_flow_scalar(single)?;
        self.tokens.push_back(token);
        Ok(())
    }

    fn fetch_plain_scalar(&mut self) -> Scan<()> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let token = self.scan_plain_scalar()?;
        self.tokens.push_back(token);
        Ok(())
    }

    // Directives.

    fn scan_directive(&mut self) -> Scan<Token<'a>> {
        let start = self.mark;
        self.skip();
        let name = self.scan_directive_name(start)?;
        let (kind, data) = match name {
            "YAML" => {
                let (major, minor) = self.scan_version_directive_value(start)?;
                (Kind::VersionDirective, Data::Version(major, minor))
            }
            "TAG" => {
                let (handle, prefix) = self.scan_tag_directive_value(start)?;
                (Kind::TagDirective, Data::Pair(handle, prefix))
            }
            _ => {
                return Err(self.error(
                    Some("while scanning a directive"),
                    start,
                    "found unknown directive name",
                ));
            }
        };
        let end = self.mark;
        while self.is_blank() {
            self.skip();
        }
        if self.current() == b'#' {
            while !self.is_breakz() {
                self.skip();
            }
        }
        if !self.is_breakz() {
            return Err(self.error(
                Some("while scanning a directive"),
                start,
                "did not find expected comment or line break",
            ));
        }
        self.skip_line();
        Ok(Token {
            kind,
            start,
            end,
            data,
        })
    }

    fn scan_directive_name(&mut self, start: Mark) -> Scan<&'a str> {
        let from = self.mark.offset;
        while is_alpha(self.current()) {
            self.skip();
        }
        if from == self.mark.offset {
            return Err(self.error(
                Some("while scanning a directive"),
                start,
                "could not find expected directive name",
            ));
        }
        if !self.is_blankz() {
            return Err(self.error(
                Some("while scanning a directive"),
                start,
                "found unexpected non-alphabetical character",
            ));
        }
        Ok(self.input.get(from..self.mark.offset).unwrap_or_default())
    }

    fn scan_version_directive_value(&mut self, start: Mark) -> Scan<(u32, u32)> {
        while self.is_blank() {
            self.skip();
        }
        let major = self.scan_version_number(start)?;
        if self.current() != b'.' {
            return Err(self.error(
                Some("while scanning a %YAML directive"),
                start,
                "did not find expected digit or '.' character",
            ));
        }
        self.skip();
        let minor = self.scan_version_number(start)?;
        Ok((major, minor))
    }

    fn scan_version_number(&mut self, start: Mark) -> Scan<u32> {
        let mut value: u32 = 0;
        let mut digits = 0;
        while self.current().is_ascii_digit() {
            digits += 1;
            // libyaml allows at most 9 digits.
            if digits > 9 {
                return Err(self.error(
                    Some("while scanning a %YAML directive"),
                    start,
                    "found extremely long version number",
                ));
            }
            value = value * 10 + u32::from(self.current() - b'0');
            self.skip();
        }
        if digits == 0 {
            return Err(self.error(
                Some("while scanning a %YAML directive"),
                start,
                "did not find expected version number",
            ));
        }
        Ok(value)
    }

    fn scan_tag_directive_value(&mut self, start: Mark) -> Scan<(Cow<'a, str>, Cow<'a, str>)> {
        while self.is_blank() {
            self.skip();
        }
        let handle = self.scan_tag_handle(true, start)?;
        if !self.is_blank() {
            return Err(self.error(
                Some("while scanning a %TAG directive"),
                start,
                "did not find expected whitespace",
            ));
        }
        while self.is_blank() {
            self.skip();
        }
        let prefix = self.scan_tag_uri(true, true, None, start)?;
        if !self.is_blankz() {
            return Err(self.error(
                Some("while scanning a %TAG directive"),
                start,
                "did not find expected whitespace or line break",
            ));
        }
        Ok((Cow::Borrowed(handle), prefix))
    }

    // Anchors and tags.

    fn scan_anchor(&mut self, kind: Kind) -> Scan<Token<'a>> {
        let start = self.mark;
        self.skip();
        let from = self.mark.offset;
        while is_alpha(self.current()) {
            self.skip();
        }
        let ends_well = self.is_blankz()
            || matches!(
                self.current(),
                b'?' | b':' | b',' | b']' | b'}' | b'%' | b'@' | b'`'
            );
        if from == self.mark.offset || !ends_well {
            let context = if kind == Kind::Alias {
                "while scanning an alias"
            } else {
                "while scanning an anchor"
            };
            return Err(self.error(
                Some(context),
                start,
                "did not find expected alphabetic or numeric character",
            ));
        }
        let name = self.input.get(from..self.mark.offset).unwrap_or_default();
        Ok(Token {
            kind,
            start,
            end: self.mark,
            data: Data::Text(Cow::Borrowed(name)),
        })
    }

    fn scan_tag(&mut self) -> Scan<Token<'a>> {
        let start = self.mark;
        let (handle, suffix) = if self.byte_at(1) == b'<' {
            // A verbatim tag, `!<uri>`.
            self.skip();
            self.skip();
            let suffix = self.scan_tag_uri(true, false, None, start)?;
            if self.current() != b'>' {
                return Err(self.error(
                    Some("while scanning a tag"),
                    start,
                    "did not find the expected '>'",
                ));
            }
            self.skip();
            (Cow::Borrowed(""), suffix)
        } else {
            let handle = self.scan_tag_handle(false, start)?;
            if handle.len() > 1 && handle.ends_with('!') {
                // A named handle (`!!` or `!name!`) followed by the suffix.
                let suffix = self.scan_tag_uri(false, false, None, start)?;
                (Cow::Borrowed(handle), suffix)
            } else {
                // What looked like a handle is the start of the suffix of a `!` tag.
                let suffix = self.scan_tag_uri(false, false, Some(handle), start)?;
                if suffix.is_empty() {
                    // The non-specific tag `!` alone.
                    (Cow::Borrowed(""), Cow::Borrowed("!"))
                } else {
                    (Cow::Borrowed("!"), suffix)
                }
            }
        };
        let in_flow_before_comma = self.flow_level > 0 && self.current() == b',';
        if !self.is_blankz() && !in_flow_before_comma {
            return Err(self.error(
                Some("while scanning a tag"),
                start,
                "did not find expected whitespace or line break",
            ));
        }
        Ok(Token {
            kind: Kind::Tag,
            start,
            end: self.mark,
            data: Data::Pair(handle, suffix),
        })
    }

    fn scan_tag_handle(&mut self, directive: bool, start: Mark) -> Scan<&'a str> {
        let context = if directive {
            "while scanning a tag directive"
        } else {
            "while scanning a tag"
        };
        if self.current() != b'!' {
            return Err(self.error(Some(context), start, "did not find expected '!'"));
        }
        let from = self.mark.offset;
        self.skip();
        while is_alpha(self.current()) {
            self.skip();
        }
        if self.current() == b'!' {
            self.skip();
        } else if directive && self.mark.offset - from != 1 {
            // A `%TAG` handle is `!`, `!!` or `!name!`.
            return Err(self.error(
                Some("while parsing a tag directive"),
                start,
                "did not find expected '!'",
            ));
        }
        Ok(self.input.get(from..self.mark.offset).unwrap_or_default())
    }

    /// Scans the URI part of a tag. `head` is text already scanned as a handle that turned out
    /// to begin the URI; its leading `!` is not part of the result.
    fn scan_tag_uri(
        &mut self,
        flow_indicators: bool,
        directive: bool,
        head: Option<&'a str>,
        start: Mark,
    ) -> Scan<Cow<'a, str>> {
        let mut text = Text::default();
        let mut length = 0;
        if let Some(head) = head {
            length = head.len();
            let head_end = self.mark.offset;
            if head.len() > 1 {
                text.push_input(self.input, head_end + 1 - head.len(), head_end);
            }
        }
        loop {
            let byte = self.current();
            let allowed = is_alpha(byte)
                || b";/?:@&=+$.%!~*'()".contains(&byte)
                || (flow_indicators && matches!(byte, b',' | b'[' | b']'));
            if !allowed || byte == 0 {
                break;
            }
            if byte == b'%' {
                let decoded = self.scan_uri_escapes(directive, start)?;
                text.push_str(self.input, &decoded);
            } else {
                self.copy(&mut text);
            }
            length += 1;
        }
        if length == 0 {
            let context = if directive {
                "while parsing a %TAG directive"
            } else {
                "while parsing a tag"
            };
            return Err(self.error(Some(context), start, "did not find expected tag URI"));
        }
        Ok(text.finish(self.input))
    }

    /// Decodes one character written as `%XX` escapes of its UTF-8 bytes.
    fn scan_uri_escapes(&mut self, directive: bool, start: Mark) -> Scan<String> {
        let context = if directive {
            "while parsing a %TAG directive"
        } else {
            "while parsing a tag"
        };
        let mut bytes = Vec::new();
        let mut remaining = 0;
        loop {
            let hex = |byte: u8| char::from(byte).to_digit(16);
            let (Some(high), Some(low)) = (hex(self.byte_at(1)), hex(self.byte_at(2))) else {
                return Err(self.error(Some(context), start, "did not find URI escaped octet"));
            };
            if self.current() != b'%' {
                return Err(self.error(Some(context), start, "did not find URI escaped octet"));
            }
            let octet = (high * 16 + low) as u8;
            if remaining == 0 {
                remaining = match octet {
                    0x00..=0x7f => 1,
                    0xc0..=0xdf => 2,
                    0xe0..=0xef => 3,
                    0xf0..=0xf7 => 4,
                    _ => 0,
                };
                if remaining == 0 {
                    return Err(self.error(
                        Some(context),
                        start,
                        "found an incorrect leading UTF-8 octet",
                    ));
                }
            } else if octet & 0xc0 != 0x80 {
                return Err(self.error(
                    Some(context),
                    start,
                    "found an incorrect trailing UTF-8 octet",
                ));
            }
            bytes.push(octet);
            self.skip();
            self.skip();
            self.skip();
            remaining -= 1;
            if remaining == 0 {
                break;
            }
        }
        // NOTE: libyaml checks only the octets' bit patterns; an overlong or surrogate form it
        // accepts becomes U+FFFD here.
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    // Scalars.

    fn scan_block_scalar(&mut self, literal: bool) -> Scan<Token<'a>> {
        const CONTEXT: Option<&str> = Some("while scanning a block scalar");
        let start = self.mark;
        self.skip();

        // The header: chomping and indentation indicators in either order.
        let mut chomping = 0_i8;
        let mut increment = 0_usize;
        let chomping_of = |byte: u8| match byte {
            b'+' => 1,
            _ => -1,
        };
        if matches!(self.current(), b'+' | b'-') {
            chomping = chomping_of(self.current());
            self.skip();
            if self.current().is_ascii_digit() {
                increment = self.scan_indentation_indicator(start)?;
            }
        } else if self.current().is_ascii_digit() {
            increment = self.scan_indentation_indicator(start)?;
            if matches!(self.current(), b'+' | b'-') {
                chomping = chomping_of(self.current());
                self.skip();
            }
        }
        while self.is_blank() {
            self.skip();
        }
        if self.current() == b'#' {
            while !self.is_breakz() {
                self.skip();
            }
        }
        if !self.is_breakz() {
            return Err(self.error(
                CONTEXT,
                start,
                "did not find expected comment or line break",
            ));
        }
        self.skip_line();

        // The content.
        let mut end = self.mark;
        let mut indent = 0_usize;
        if increment > 0 {
            indent = if self.indent >= 0 {
                self.indent as usize + increment
            } else {
                increment
            };
        }
        let mut value = Text::default();
        let mut leading_break = Text::default();
        let mut trailing_breaks = Text::default();
        let mut leading_blank = false;
        self.scan_block_scalar_breaks(&mut indent, &mut trailing_breaks, start, &mut end)?;
        while self.mark.column == indent && !self.is_end() {
            let trailing_blank = self.is_blank();
            let folds = !literal
                && leading_break.starts_with_line_feed(self.input)
                && !leading_blank
                && !trailing_blank;
            if folds {
                if trailing_breaks.is_empty() {
                    value.push_str(self.input, " ");
                }
                leading_break.clear();
            } else {
                value.append(self.input, &leading_break);
                leading_break.clear();
            }
            value.append(self.input, &trailing_breaks);
            trailing_breaks.clear();
            leading_blank = self.is_blank();
            while !self.is_breakz() {
                self.copy(&mut value);
                self.copy_ascii_run(&mut value, |b| {
                    b.is_ascii_graphic() || b == b' ' || b == b'\t'
                });
            }
            self.copy_line(&mut leading_break);
            self.scan_block_scalar_breaks(&mut indent, &mut trailing_breaks, start, &mut end)?;
        }

        // Chomping: strip drops the final line break, keep also keeps the trailing ones.
        if chomping != -1 {
            value.append(self.input, &leading_break);
        }
        if chomping == 1 {
            value.append(self.input, &trailing_breaks);
        }
        let style = if literal {
            ScalarStyle::Literal
        } else {
            ScalarStyle::Folded
        };
        Ok(Token {
            kind: Kind::Scalar(style),
            start,
            end,
            data: Data::Text(value.finish(self.input)),
        })
    }

    fn scan_indentation_indicator(&mut self, start: Mark) -> Scan<usize> {
        if self.current() == b'0' {
            return Err(self.error(
                Some("while scanning a block scalar"),
                start,
                "found an indentation indicator equal to 0",
            ));
        }
        let increment = usize::from(self.current() - b'0');
        self.skip();
        Ok(increment)
    }

    /// Reads the indentation and the empty lines before a block scalar's next line. When the
    /// indentation is not known yet, it becomes the deepest indentation of these lines.
    fn scan_block_scalar_breaks(
        &mut self,
        indent: &mut usize,
        breaks: &mut Text,
        start: Mark,
        end: &mut Mark,
    ) -> Scan<()> {
        let mut max_indent = 0;
        *end = self.mark;
        loop {
            let spaces = self.ascii_run(|b| b == b' ');
            let wanted = if *indent == 0 {
                spaces
            } else {
                spaces.min(indent.saturating_sub(self.mark.column))
            };
            self.skip_ascii(wanted);
            max_indent = max_indent.max(self.mark.column);
            if (*indent == 0 || self.mark.column < *indent) && self.current() == b'\t' {
                return Err(self.error(
                    Some("while scanning a block scalar"),
                    start,
                    "found a tab character where an indentation space is expected",
                ));
            }
            if !self.is_break() {
                break;
            }
            self.copy_line(breaks);
            *end = self.mark;
        }
        if *indent == 0 {
            let minimum = (self.indent + 1).max(1) as usize;
            *indent = max_indent.max(minimum);
        }
        Ok(())
    }

    fn scan_flow_scalar(&mut self, single: bool) -> Scan<Token<'a>> {
        const CONTEXT: Option<&str> = Some("while scanning a quoted scalar");
        let start = self.mark;
        let quote = if single { b'\'' } else { b'"' };
        self.skip();
        let mut value = Text::default();
        let mut leading_break = Text::default();
        let mut trailing_breaks = Text::default();
        let mut whitespaces = Text::default();
        loop {
            let at_document_indicator = self.mark.column == 0
                && (self.starts_with(b"---") || self.starts_with(b"..."))
                && self.is_blankz_at(3);
            if at_document_indicator {
                return Err(self.error(CONTEXT, start, "found unexpected document indicator"));
            }
            if self.is_end() {
                return Err(self.error(CONTEXT, start, "found unexpected end of stream"));
            }

            // Characters up to the next blank or line break.
            let mut leading_blanks = false;
            while !self.is_blankz() {
                let current = self.current();
                if single && current == b'\'' && self.byte_at(1) == b'\'' {
                    value.push_str(self.input, "'");
                    self.skip();
                    self.skip();
                } else if current == quote {
                    break;
                } else if !single && current == b'\\' && self.is_break_at(1) {
                    // An escaped line break joins the lines without a space.
                    self.skip();
                    self.skip_line();
                    leading_blanks = true;
                    break;
                } else if !single && current == b'\\' {
                    self.scan_escape(&mut value, start)?;
                } else {
                    self.copy(&mut value);
                    self.copy_ascii_run(&mut value, |b| {
                        b.is_ascii_graphic() && b != quote && b != b'\\'
                    });
                }
            }
            if self.current() == quote {
                break;
            }

            // Blanks and line breaks, folded as in a plain scalar.
            while self.is_blank() || self.is_break() {
                if self.is_blank() {
                    if leading_blanks {
                        self.skip();
                    } else {
                        self.copy(&mut whitespaces);
                    }
                } else if leading_blanks {
                    self.copy_line(&mut trailing_breaks);
                } else {
                    whitespaces.clear();
                    self.copy_line(&mut leading_break);
                    leading_blanks = true;
                }
            }
            if leading_blanks {
                self.join_folded(&mut value, &mut leading_break, &mut trailing_breaks);
            } else {
                value.append(self.input, &whitespaces);
                whitespaces.clear();
            }
        }
        self.skip();
        let style = if single {
            ScalarStyle::SingleQuoted
        } else {
            ScalarStyle::DoubleQuoted
        };
        Ok(Token {
            kind: Kind::Scalar(style),
            start,
            end: self.mark,
            data: Data::Text(value.finish(self.input)),
        })
    }

    /// Appends folded line breaks: a single line break becomes a space, and each further
    /// empty line a line feed. LS and PS are kept as written.
    fn join_folded(&self, value: &mut Text, leading_break: &mut Text, trailing_breaks: &mut Text) {
        if leading_break.starts_with_line_feed(self.input) {
            if trailing_breaks.is_empty() {
                value.push_str(self.input, " ");
            } else {
                value.append(self.input, trailing_breaks);
            }
        } else {
            value.append(self.input, leading_break);
            value.append(self.input, trailing_breaks);
        }
        leading_break.clear();
        trailing_breaks.clear();
    }

    /// Reads one escape sequence of a double-quoted scalar, starting at the backslash.
    fn scan_escape(&mut self, value: &mut Text, start: Mark) -> Scan<()> {
        const CONTEXT: Option<&str> = Some("while parsing a quoted scalar");
        let simple = match self.byte_at(1) {
            b'0' => Some('\0'),
            b'a' => Some('\u{7}'),
            b'b' => Some('\u{8}'),
            b't' | b'\t' => Some('\t'),
            b'n' => Some('\n'),
            b'v' => Some('\u{b}'),
            b'f' => Some('\u{c}'),
            b'r' => Some('\r'),
            b'e' => Some('\u{1b}'),
            b' ' => Some(' '),
            b'"' => Some('"'),
            b'/' => Some('/'),
            b'\\' => Some('\\'),
            b'N' => Some('\u{85}'),
            b'_' => Some('\u{a0}'),
            b'L' => Some('\u{2028}'),
            b'P' => Some('\u{2029}'),
            _ => None,
        };
        let digits = match self.byte_at(1) {
            b'x' => 2,
            b'u' => 4,
            b'U' => 8,
            _ => 0,
        };
        if simple.is_none() && digits == 0 {
            return Err(self.error(CONTEXT, start, "found unknown escape character"));
        }
        self.skip();
        self.skip();
        if let Some(character) = simple {
            let mut buffer = [0; 4];
            value.push_str(self.input, character.encode_utf8(&mut buffer));
            return Ok(());
        }
        let mut code: u32 = 0;
        for ahead in 0..digits {
            let Some(digit) = char::from(self.byte_at(ahead)).to_digit(16) else {
                return Err(self.error(CONTEXT, start, "did not find expected hexdecimal number"));
            };
            code = code * 16 + digit;
        }
        let Some(character) = char::from_u32(code) else {
            return Err(self.error(
                CONTEXT,
                start,
                "found invalid Unicode character escape code",
            ));
        };
        for _ in 0..digits {
            self.skip();
        }
        let mut buffer = [0; 4];
        value.push_str(self.input, character.encode_utf8(&mut buffer));
        Ok(())
    }

    fn scan_plain_scalar(&mut self) -> Scan<Token<'a>> {
        let start = self.mark;
        let mut end = self.mark;
        let indent = self.indent + 1;
        let mut value = Text::default();
        let mut leading_break = Text::default();
        let mut trailing_breaks = Text::default();
        let mut whitespaces = Text::default();
        let mut leading_blanks = false;
        loop {
            let at_document_indicator = self.mark.column == 0
                && (self.starts_with(b"---") || self.starts_with(b"..."))
                && self.is_blankz_at(3);
            if at_document_indicator || self.current() == b'#' {
                break;
            }

            // Characters up to the next blank, line break or indicator.
            while !self.is_blankz() {
                let current = self.current();
                if self.flow_level > 0
                    && current == b':'
                    && matches!(self.byte_at(1), b',' | b'?' | b'[' | b']' | b'{' | b'}')
                {
                    return Err(self.error(
                        Some("while scanning a plain scalar"),
                        start,
                        "found unexpected ':'",
                    ));
                }
                let ends = (current == b':' && self.is_blankz_at(1))
                    || (self.flow_level > 0 && matches!(current, b',' | b'[' | b']' | b'{' | b'}'));
                if ends {
                    break;
                }
                if leading_blanks {
                    self.join_folded(&mut value, &mut leading_break, &mut trailing_breaks);
                    leading_blanks = false;
                } else if !whitespaces.is_empty() {
                    value.append(self.input, &whitespaces);
                    whitespaces.clear();
                }
                self.copy(&mut value);
                // The rest of a word up to a character that may end the scalar.
                self.copy_ascii_run(&mut value, |b| {
                    b.is_ascii_graphic() && !matches!(b, b':' | b',' | b'[' | b']' | b'{' | b'}')
                });
                end = self.mark;
            }
            if !(self.is_blank() || self.is_break()) {
                break;
            }

            // Blanks and line breaks.
            while self.is_blank() || self.is_break() {
                if self.is_blank() {
                    if leading_blanks
                        && (self.mark.column as isize) < indent
                        && self.current() == b'\t'
                    {
                        return Err(self.error(
                            Some("while scanning a plain scalar"),
                            start,
                            "found a tab character that violates indentation",
                        ));
                    }
                    if leading_blanks {
                        self.skip();
                    } else {
                        self.copy(&mut whitespaces);
                    }
                } else if leading_blanks {
                    self.copy_line(&mut trailing_breaks);
                } else {
                    whitespaces.clear();
                    self.copy_line(&mut leading_break);
                    leading_blanks = true;
                }
            }
            if self.flow_level == 0 && (self.mark.column as isize) < indent {
                break;
            }
        }
        // A plain scalar that ends at a line break lets a simple key start on the next line.
        if leading_blanks {
            self.simple_key_allowed = true;
        }
        Ok(Token {
            kind: Kind::Scalar(ScalarStyle::Plain),
            start,
            end,
            data: Data::Text(value.finish(self.input)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(input: &str) -> Result<Vec<Token<'_>>, SyntaxError> {
        let mut scanner = Scanner::new(input);
        let mut out = Vec::new();
        loop {
            let (kind, _, _) = scanner.peek()?;
            out.push(scanner.take());
            if kind == Kind::StreamEnd {
                return Ok(out);
            }
        }
    }

    fn kinds(input: &str) -> Vec<Kind> {
        tokens(input)
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    fn scalars(input: &str) -> Vec<Cow<'_, str>> {
        tokens(input)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|t| match t.data {
                Data::Text(text) if matches!(t.kind, Kind::Scalar(_)) => Some(text),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn block_mapping_tokens() {
        use Kind::*;
        let plain = Scalar(ScalarStyle::Plain);
        assert_eq!(
            kinds("a: b\n"),
            [
                StreamStart,
                BlockMappingStart,
                Key,
                plain,
                Value,
                plain,
                BlockEnd,
                StreamEnd
            ]
        );
    }

    #[test]
    fn flow_sequence_tokens() {
        use Kind::*;
        let plain = Scalar(ScalarStyle::Plain);
        assert_eq!(
            kinds("[a, b]"),
            [
                StreamStart,
                FlowSequenceStart,
                plain,
                FlowEntry,
                plain,
                FlowSequenceEnd,
                StreamEnd
            ]
        );
    }

    #[test]
    fn single_line_scalars_borrow() {
        let input = "key: plain words\nq: 'single'\nd: \"double\"\nl: |\n  line\n";
        for scalar in scalars(input) {
            assert!(matches!(scalar, Cow::Borrowed(_)), "{scalar:?}");
        }
    }

    #[test]
    fn changed_scalars_own() {
        let input = "a: two\n  lines\nb: 'it''s'\nc: \"tab\\t\"\n";
        let owned: Vec<bool> = scalars(input)
            .iter()
            .map(|s| matches!(s, Cow::Owned(_)))
            .collect();
        assert_eq!(owned, [false, true, false, true, false, true]);
    }

    #[test]
    fn scalar_values() {
        let cases = [
            ("a\n  b\n\n  c", "a b\nc"),
            ("'a''b'", "a'b"),
            ("\"\\x41\\u00e9\\U0001F600\"", "Aé😀"),
            ("\"\\N\\_\\L\\P\"", "\u{85}\u{a0}\u{2028}\u{2029}"),
            ("\"a\\\n  b\"", "ab"),
            ("|\n  x\n  y\n", "x\ny\n"),
            (">\n  x\n  y\n\n  z\n", "x y\nz\n"),
            ("|-\n  x\n\n", "x"),
            ("|+\n  x\n\n", "x\n\n"),
            ("|2\n   x\n", " x\n"),
            ("\"a\u{85}b\"", "a b"),
            ("\"a\u{2028}b\"", "a\u{2028}b"),
            ("a\r\n b", "a b"),
        ];
        for (input, expected) in cases {
            let values = scalars(input);
            assert_eq!(values.first().map(Cow::as_ref), Some(expected), "{input:?}");
        }
    }

    #[test]
    fn marks_count_bytes_and_characters() {
        let found = tokens("é: [ü]\n").unwrap_or_default();
        let inner = found
            .iter()
            .find(|t| t.data == Data::Text(Cow::Borrowed("ü")));
        let Some(inner) = inner else {
            panic!("no scalar ü in {found:?}");
        };
        assert_eq!(inner.start.offset, 5);
        assert_eq!(inner.end.offset, 7);
        assert_eq!(inner.start.column, 4);
        assert_eq!(inner.end.column, 5);
    }

    #[test]
    fn tag_parts() {
        let cases = [
            ("!foo x", "!", "foo"),
            ("!!str x", "!!", "str"),
            ("!e!x y", "!e!", "x"),
            ("!<tag:a,b> x", "", "tag:a,b"),
            ("! x", "", "!"),
            ("!%41 x", "!", "A"),
        ];
        for (input, handle, suffix) in cases {
            let found = tokens(input).unwrap_or_default();
            let tag = found.iter().find(|t| t.kind == Kind::Tag).map(|t| &t.data);
            let expected = Data::Pair(Cow::Borrowed(handle), Cow::Borrowed(suffix));
            assert_eq!(tag, Some(&expected), "{input:?}");
        }
    }

    #[test]
    fn scanner_errors() {
        let cases = [
            (
                "a: \"x",
                "found unexpected end of stream while scanning a quoted scalar",
                1,
                4,
            ),
            (
                "a: @x",
                "found character that cannot start any token while scanning for the next token",
                1,
                4,
            ),
            (
                "\ta: 1",
                "found character that cannot start any token while scanning for the next token",
                1,
                1,
            ),
            (
                "a: *",
                "did not find expected alphabetic or numeric character while scanning an alias",
                1,
                4,
            ),
            (
                "a: |\n\tx",
                "found a tab character where an indentation space is expected while scanning a block scalar",
                1,
                4,
            ),
            (
                "a: |0\n",
                "found an indentation indicator equal to 0 while scanning a block scalar",
                1,
                4,
            ),
            (
                "a: \"\\q\"",
                "found unknown escape character while parsing a quoted scalar",
                1,
                4,
            ),
            (
                "a: \"\\uD800\"",
                "found invalid Unicode character escape code while parsing a quoted scalar",
                1,
                4,
            ),
            (
                "[a:, b]",
                "found unexpected ':' while scanning a plain scalar",
                1,
                2,
            ),
            (
                "a: - b",
                "block sequence entries are not allowed in this context",
                1,
                4,
            ),
            (
                "a: b: c",
                "mapping values are not allowed in this context",
                1,
                5,
            ),
            (
                "%FOO\n",
                "found unknown directive name while scanning a directive",
                1,
                1,
            ),
            (
                "a: !<x",
                "did not find the expected '>' while scanning a tag",
                1,
                4,
            ),
            (
                "a: 1\nb\n",
                "could not find expected ':' while scanning a simple key",
                2,
                1,
            ),
        ];
        for (input, message, line, column) in cases {
            let error = tokens(input).err();
            let found = error.as_ref().map(|e| (e.message(), e.line(), e.column()));
            assert_eq!(found, Some((message.to_owned(), line, column)), "{input:?}");
        }
    }

    #[test]
    fn long_simple_key_expires() {
        let key = "k".repeat(MAX_SIMPLE_KEY_CHARS + 10);
        let input = format!("[{key}: 1]");
        let error = tokens(&input).err();
        assert_eq!(error, None);
        let kinds: Vec<Kind> = tokens(&input)
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.kind)
            .collect();
        assert!(!kinds.contains(&Kind::Key), "{kinds:?}");
    }
}
