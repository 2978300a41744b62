//! Builds the node tree of one document piece from saphyr's parser events, the way Psych's
//! `ToRuby` visitor builds Ruby objects.
//!
//! The builder works in one pass over the events, without saphyr's own tree. It resolves
//! scalars with Psych's rules, applies tags, and applies merge keys in document order. It
//! expands an alias by copying the anchored node, which keeps its spans. Three budgets stop
//! runaway input: nesting depth, node count added by aliases, and bytes added by aliases.
//!
//! Psych parses the whole document before it builds any object, so a syntax error anywhere in
//! the document wins over a disallowed class, and both win over the size check GitLab runs
//! afterwards. The builder reproduces that order: after a failure it keeps reading events only
//! to find a later syntax error.

use std::borrow::Cow;
use std::collections::HashSet;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Tag};

use super::errors::{self, TooBig};
use super::offsets::CharOffsets;
use super::scalar::{self, Scalar};
use super::tags::{self, MapTag, ScalarTag, SeqTag};
use crate::diagnostic::Diagnostic;
use crate::limits::Limits;
use crate::source::{FileId, Span};
use crate::yaml::{Entry, Key, Mapping, Node, Value};

/// The result of loading one document piece.
#[derive(Debug)]
pub(crate) enum Piece {
    /// The piece contains no document because it is empty or has only comments. Psych returns
    /// nil for it.
    Empty,
    /// The document's root node.
    Loaded(Node),
    /// The document exceeds a size limit. GitLab reports this only after dropping blank
    /// documents, so the caller decides when to report it.
    TooBig(Diagnostic),
}

/// A loaded piece with the warnings found while loading it.
#[derive(Debug)]
pub(crate) struct PieceOutcome {
    /// The loaded document, or the reason there is none.
    pub piece: Piece,
    /// Warnings such as duplicate keys.
    pub warnings: Vec<Diagnostic>,
}

/// Loads the first document of `text`, which starts at byte `base` of file `file`. Returns the
/// error GitLab would report when the piece cannot be loaded at all.
pub(crate) fn load_piece(
    file: FileId,
    text: &str,
    base: usize,
    limits: &Limits,
) -> Result<PieceOutcome, Diagnostic> {
    // libyaml checks every character as its reader decodes the input, one chunk at a time, so
    // a control character in the first chunk fails the piece before any parsing.
    let control = first_control_character(text);
    let control_error = |(at, character): (usize, char)| {
        let start = (base + at) as u32;
        let span = Span::new(file, start, start + character.len_utf8() as u32);
        errors::control_character(character, span)
    };
    if let Some(found) = control
        && found.0 < READER_CHUNK_BYTES
    {
        return Err(control_error(found));
    }
    let result = parse_with_retries(file, text, base, limits);
    let Some(found) = control else {
        return result;
    };

    // A later chunk is decoded only when the scanner gets near its start, so a syntax error in
    // an earlier chunk wins. Every other error comes after parsing, so the control character
    // wins over them.
    // NOTE: the scanner reads a few characters and the parser a token ahead, so a syntax error
    // just before a chunk boundary may lose to the control character in libyaml.
    let chunk_start = found.0 - found.0 % READER_CHUNK_BYTES;
    match result {
        Err(error)
            if error.code == "yaml-syntax-error"
                && error
                    .span
                    .is_some_and(|span| (span.start as usize) < base + chunk_start) =>
        {
            Err(error)
        }
        _ => Err(control_error(found)),
    }
}

/// Bytes libyaml's reader decodes at a time (`YAML_RAW_BUFFER_SIZE`). Psych hands it the whole
/// string, so chunks start at multiples of this size.
const READER_CHUNK_BYTES: usize = 16_384;

/// Finds the first character outside YAML 1.1's printable set, which libyaml rejects wherever
/// it appears, comments included. Tab, LF, CR and NEL are allowed. Rust strings cannot hold
/// surrogates, the other characters YAML excludes.
fn first_control_character(text: &str) -> Option<(usize, char)> {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        // Skip printable ASCII a block at a time. The check has no early exit, so the compiler
        // can vectorise it. `at` stays on a character boundary because every skipped byte is
        // ASCII.
        if let Some(block) = bytes.get(at..at + ASCII_BLOCK)
            && block.iter().fold(true, |all, &b| {
                all & (matches!(b, b' '..=b'~' | b'\t' | b'\n' | b'\r'))
            })
        {
            at += ASCII_BLOCK;
            continue;
        }
        let character = text.get(at..)?.chars().next()?;
        if !is_printable(character) {
            return Some((at, character));
        }
        at += character.len_utf8();
    }
    None
}

/// Bytes [`first_control_character`] checks at once.
const ASCII_BLOCK: usize = 32;

/// Checks whether YAML 1.1 allows `character` in a stream.
fn is_printable(character: char) -> bool {
    matches!(character,
        '\t' | '\n' | '\r' | '\u{85}'
        | ' '..='~'
        | '\u{a0}'..='\u{d7ff}'
        | '\u{e000}'..='\u{fffd}'
        | '\u{10000}'..)
}

/// Checks whether `text` contains NEL (U+0085). Its UTF-8 form ends in the byte 0x85, so a
/// byte search rules out most files without decoding them.
fn contains_nel(text: &str) -> bool {
    text.as_bytes().contains(&0x85) && text.contains('\u{85}')
}

/// Parses a piece that contains no control characters.
fn parse_with_retries(
    file: FileId,
    text: &str,
    base: usize,
    limits: &Limits,
) -> Result<PieceOutcome, Diagnostic> {
    // libyaml reads NEL (U+0085) as a line break everywhere and stores it in a scalar as `\n`,
    // so a NEL inside a scalar folds like any line break. saphyr follows YAML 1.2, where NEL is
    // an ordinary character. CR LF is a line break of the same byte length that both parsers
    // read as `\n`, so swapping it in keeps every offset.
    // NOTE: libyaml also reads LS and PS (U+2028, U+2029) as line breaks but keeps them in the
    // scalar. saphyr keeps them as ordinary characters, so a plain scalar that has spaces
    // around one or continues on the next line loads differently.
    let mut source = if contains_nel(text) {
        Cow::Owned(text.replace('\u{85}', "\r\n"))
    } else {
        Cow::Borrowed(text)
    };
    let mut retries = 0;
    loop {
        match parse_piece(file, &source, base, limits) {
            Parsed::Done(result) => return result,
            // libyaml accepts a tab between `:` and a value on the same line (`key:\tvalue`),
            // but saphyr rejects it. The tab separates tokens and is never part of a value, so
            // it is replaced with a space (keeping every offset) and the piece is parsed again.
            Parsed::TabAfterColon(at, error) => {
                if retries == MAX_TAB_RETRIES || !replace_tabs_before(source.to_mut(), at) {
                    return Err(error);
                }
                retries += 1;
            }
            // libyaml does not check the indentation of a quoted scalar's continuation lines,
            // but saphyr does, so the text after a NEL swapped for CR LF can fail it. Inside a
            // quoted scalar the leading spaces of a continuation line are dropped, so LF plus a
            // space folds the same and indents the line by one column.
            // NOTE: where saphyr wants more than one column, the scalar keeps its NELs as
            // characters, as it did before NEL was read as a line break.
            Parsed::QuotedIndentation(at, error) => {
                if retries == MAX_TAB_RETRIES || !indent_after_next_line(text, &mut source, at) {
                    return Err(error);
                }
                retries += 1;
            }
        }
    }
}

/// Maximum `key:<tab>value` separators and NELs in quoted scalars fixed in one piece. Each one
/// costs a new parse.
// NOTE: a piece with more of them fails with saphyr's syntax error, which GitLab does not
// report.
const MAX_TAB_RETRIES: usize = 32;

/// Changes how the NELs inside the quoted scalar that starts at byte `at` are written, one
/// step per call: the first one still written as CR LF becomes LF and a space. When none is
/// left, all of them go back to NEL, which saphyr loads as an ordinary character, so the value
/// keeps U+0085 instead of a folded line break. Returns whether anything changed.
fn indent_after_next_line(original: &str, source: &mut Cow<'_, str>, at: usize) -> bool {
    let end = quoted_scalar_end(original, at);
    let nels: Vec<usize> = original
        .get(at..end)
        .into_iter()
        .flat_map(|scalar| scalar.match_indices('\u{85}'))
        .map(|(offset, _)| at + offset)
        .collect();
    let written_as = |nel: usize, text: &str| source.get(nel..nel + 2) == Some(text);
    if let Some(&nel) = nels.iter().find(|&&nel| written_as(nel, "\r\n")) {
        source.to_mut().replace_range(nel..nel + 2, "\n ");
        return true;
    }
    let indented: Vec<usize> = nels
        .into_iter()
        .filter(|&nel| written_as(nel, "\n "))
        .collect();
    for &nel in &indented {
        source.to_mut().replace_range(nel..nel + 2, "\u{85}");
    }
    !indented.is_empty()
}

/// Finds the byte after the closing quote of the quoted scalar that starts at byte `at`, or
/// the end of `text` when it is not closed.
fn quoted_scalar_end(text: &str, at: usize) -> usize {
    let rest = text.get(at..).unwrap_or_default();
    let mut characters = rest.char_indices();
    let Some((_, quote)) = characters.next() else {
        return text.len();
    };
    while let Some((offset, character)) = characters.next() {
        match character {
            // A backslash escapes the next character in a double-quoted scalar.
            '\\' if quote == '"' => {
                characters.next();
            }
            // Two single quotes are an escaped quote in a single-quoted scalar.
            '\'' if quote == '\''
                && rest.get(offset + 1..).is_some_and(|r| r.starts_with('\'')) =>
            {
                characters.next();
            }
            _ if character == quote => return at + offset + 1,
            _ => {}
        }
    }
    text.len()
}

enum Parsed {
    Done(Result<PieceOutcome, Diagnostic>),
    /// saphyr rejected tabs after a `:`. The value starts at this byte of the piece.
    TabAfterColon(usize, Diagnostic),
    /// saphyr rejected the indentation of a quoted scalar that starts at this byte.
    QuotedIndentation(usize, Diagnostic),
}

fn parse_piece(file: FileId, text: &str, base: usize, limits: &Limits) -> Parsed {
    let mut builder = Builder::new(file, text, base, limits);
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        match next {
            Err(error) if error.info() == "':' must be followed by a valid YAML whitespace" => {
                let at = builder.offsets.byte(error.marker().index());
                return Parsed::TabAfterColon(at, builder.syntax_error(&error));
            }
            Err(error) if error.info() == "invalid indentation in quoted scalar" => {
                let at = builder.offsets.byte(error.marker().index());
                return Parsed::QuotedIndentation(at, builder.syntax_error(&error));
            }
            Err(error) => return Parsed::Done(Err(builder.syntax_error(&error))),
            Ok((Event::DocumentEnd | Event::StreamEnd, _)) => break,
            Ok((event, span)) => builder.on_event(event, span),
        }
    }
    Parsed::Done(builder.finish())
}

/// Replaces the run of tabs and spaces that ends at byte `at` with spaces. Returns whether
/// the run contained a tab.
fn replace_tabs_before(text: &mut String, at: usize) -> bool {
    let start = text
        .get(..at)
        .map_or(at, |before| before.trim_end_matches([' ', '\t']).len());
    match text.get(start..at) {
        Some(gap) if gap.contains('\t') => {
            let spaces = " ".repeat(gap.len());
            text.replace_range(start..at, &spaces);
            true
        }
        _ => false,
    }
}

/// How a node was written, which decides what a merge key does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Scalar,
    Seq,
    Map,
    Alias,
}

/// Sizes of a node with its aliases expanded.
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    /// Nodes, counting every node an alias copies.
    nodes: u64,
    /// Nesting levels of sequences and mappings (0 for a scalar).
    height: usize,
    /// Bytes that aliases inside the node add to its source text.
    alias_bytes: u64,
}

/// A finished node on its way into its parent.
#[derive(Debug)]
struct Built {
    node: Node,
    origin: Origin,
    stats: Stats,
    /// Whether the node, used as a mapping key, is a merge key: it loads to the string `<<`
    /// (quoted or not) and is not tagged `!!str`.
    merge_key: bool,
}

/// A node an anchor names.
#[derive(Debug)]
struct Anchored {
    node: Node,
    stats: Stats,
    /// Bytes one alias of it adds: its source text plus what aliases inside it add.
    weight: u64,
    merge_key: bool,
}

/// The kind of value a sequence becomes once it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SeqKind {
    Plain,
    Reference,
    Omap,
}

/// The kind of value a mapping becomes once it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MapKind {
    Plain,
    Reference,
    StrObject,
    HashWithIvars,
}

#[derive(Debug)]
enum FrameKind {
    Seq {
        items: Vec<Node>,
        kind: SeqKind,
        /// For `!!omap`: an element that is not a non-empty collection, which makes Ruby
        /// raise.
        invalid_omap_item: bool,
    },
    Map {
        map: Mapping,
        kind: MapKind,
        key: Option<Built>,
        /// Keys that came from merge keys and have not been written explicitly since, so that
        /// overriding a merged key is not reported as a duplicate.
        merged: Option<HashSet<Key>>,
    },
}

/// An open sequence or mapping.
#[derive(Debug)]
struct Frame {
    kind: FrameKind,
    /// Anchor id to register when the collection ends (0 for none).
    anchor: usize,
    start: u32,
    /// End of the text seen so far (the closing bracket for flow collections).
    end: u32,
    flow: bool,
    stats: Stats,
}

/// A value Psych cannot build.
#[derive(Debug)]
enum Problem {
    Disallowed(String),
    Invalid(String),
}

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    base: usize,
    offsets: CharOffsets<'t>,
    limits: &'t Limits,
    stack: Vec<Frame>,
    /// Anchored nodes by saphyr's anchor id.
    anchors: Vec<Option<Anchored>>,
    root: Option<Node>,
    expanded_nodes: u64,
    expanded_bytes: u64,
    /// The first error that makes the piece fail.
    failure: Option<Diagnostic>,
    /// The first exceeded size limit. Building stops, but the events are still checked for
    /// errors, which GitLab reports first.
    too_big: Option<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

impl<'t> Builder<'t> {
    fn new(file: FileId, text: &'t str, base: usize, limits: &'t Limits) -> Self {
        Builder {
            file,
            text,
            base,
            offsets: CharOffsets::new(text),
            limits,
            stack: Vec::new(),
            anchors: Vec::new(),
            root: None,
            expanded_nodes: 0,
            expanded_bytes: 0,
            failure: None,
            too_big: None,
            warnings: Vec::new(),
        }
    }

    fn finish(self) -> Result<PieceOutcome, Diagnostic> {
        if let Some(failure) = self.failure {
            return Err(failure);
        }
        let piece = match (self.too_big, self.root) {
            (Some(too_big), _) => Piece::TooBig(too_big),
            (None, Some(root)) => Piece::Loaded(root),
            (None, None) => Piece::Empty,
        };
        Ok(PieceOutcome {
            piece,
            warnings: self.warnings,
        })
    }

    fn building(&self) -> bool {
        self.failure.is_none() && self.too_big.is_none()
    }

    fn on_event(&mut self, event: Event<'t>, span: saphyr_parser::Span) {
        if self.failure.is_some() {
            return;
        }
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                self.scalar(value, style, anchor, tag.as_deref(), span);
            }
            Event::SequenceStart(anchor, tag) => self.seq_start(anchor, tag.as_deref(), span),
            Event::MappingStart(anchor, tag) => self.map_start(anchor, tag.as_deref(), span),
            Event::SequenceEnd | Event::MappingEnd => self.collection_end(span),
            Event::Alias(id) => self.alias(id, span),
            _ => {}
        }
    }

    // Positions.

    fn offset(&mut self, marker: Marker) -> u32 {
        let byte = self.base + self.offsets.byte(marker.index());
        u32::try_from(byte).unwrap_or(u32::MAX)
    }

    fn span(&mut self, span: saphyr_parser::Span) -> Span {
        let start = self.offset(span.start);
        let end = self.offset(span.end);
        Span::new(self.file, start, end)
    }

    /// Returns the text between two file offsets of this piece.
    fn slice(&self, start: u32, end: u32) -> &'t str {
        let local = |at: u32| (at as usize).saturating_sub(self.base);
        self.text.get(local(start)..local(end)).unwrap_or_default()
    }

    /// Returns the text from a file offset of this piece to the piece's end.
    fn rest(&self, start: u32) -> &'t str {
        let local = (start as usize).saturating_sub(self.base);
        self.text.get(local..).unwrap_or_default()
    }

    // Failures and limits.

    fn fail(&mut self, diagnostic: Diagnostic) {
        if self.failure.is_none() {
            self.failure = Some(diagnostic);
            self.stack.clear();
        }
    }

    fn fail_with(&mut self, problem: Problem, span: Span) {
        let diagnostic = match problem {
            Problem::Disallowed(class) => {
                errors::disallowed_class(&class, span, self.slice(span.start, span.end))
            }
            Problem::Invalid(detail) => errors::invalid_value(&detail, span),
        };
        self.fail(diagnostic);
    }

    fn exceed(&mut self, reason: TooBig, span: Span) {
        if self.too_big.is_none() {
            self.too_big = Some(errors::parsed_too_big(reason, span));
            self.stack.clear();
            self.anchors.clear();
        }
    }

    fn syntax_error(&mut self, error: &ScanError) -> Diagnostic {
        let marker = *error.marker();
        let start = self.offset(marker);
        let width = self.rest(start).chars().next().map_or(0, char::len_utf8);
        let span = Span::new(self.file, start, start + width as u32);
        if error.info() == "while parsing node, found unknown anchor" {
            let name = anchor_name(self.rest(start));
            return errors::unknown_alias(name, span);
        }
        // saphyr stops at 255 nested flow collections, far deeper than GitLab's depth limit.
        if error.info() == "recursion limit exceeded" {
            let limit = self.limits.max_yaml_depth;
            return errors::parsed_too_big(TooBig::Depth(limit), span);
        }
        // libyaml, and so Psych, reports a parser error at the start of the collection being
        // parsed (its "context mark"), not where the problem is. The span keeps the problem's
        // position.
        let (line, column) = match self.context_start(error.info()) {
            Some(context) => self.line_column(context),
            None => (marker.line(), marker.col() + 1),
        };
        errors::syntax_error(
            &psych_problem(error.info(), self.rest(start)),
            line,
            column,
            span,
        )
    }

    /// Finds the start of the innermost open collection that a `while parsing a ...` message
    /// names.
    fn context_start(&self, info: &str) -> Option<u32> {
        let (flow, is_map) = if info.starts_with("while parsing a block mapping") {
            (false, true)
        } else if info.starts_with("while parsing a block collection") {
            (false, false)
        } else if info.starts_with("while parsing a flow mapping") {
            (true, true)
        } else if info.starts_with("while parsing a flow sequence") {
            (true, false)
        } else {
            return None;
        };
        self.stack
            .iter()
            .rev()
            .find(|frame| {
                frame.flow == flow && matches!(frame.kind, FrameKind::Map { .. }) == is_map
            })
            .map(|frame| frame.start)
    }

    /// Computes the 1-based line and column (in characters) of a file offset, counted from the
    /// start of this piece as Psych counts them.
    fn line_column(&self, at: u32) -> (usize, usize) {
        let before = self.slice(u32::try_from(self.base).unwrap_or(u32::MAX), at);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
        (line, column)
    }

    // Events.

    fn scalar(
        &mut self,
        raw: Cow<'t, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        event_span: saphyr_parser::Span,
    ) {
        let mut span = self.span(event_span);
        if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
            // A block scalar's event ends after its trailing line breaks and blank lines.
            let text = self.slice(span.start, span.end);
            span.end = span.start + text.trim_end().len() as u32;
        }
        let tag = tag.map(full_tag);
        let (value, merge_key) = match resolve_scalar(raw, style, tag.as_deref(), span) {
            Ok(resolved) => resolved,
            Err(problem) => return self.fail_with(problem, span),
        };
        if !self.building() {
            return;
        }
        let built = Built {
            node: Node::new(value, span),
            origin: Origin::Scalar,
            stats: Stats {
                nodes: 1,
                height: 0,
                alias_bytes: 0,
            },
            merge_key,
        };
        if anchor > 0 {
            self.register(anchor, &built);
        }
        self.complete(built, span.end);
    }

    fn seq_start(&mut self, anchor: usize, tag: Option<&Tag>, event_span: saphyr_parser::Span) {
        let span = self.span(event_span);
        let kind = match tag.map(full_tag).as_deref().map(tags::seq_tag) {
            None | Some(SeqTag::Plain) => SeqKind::Plain,
            Some(SeqTag::Reference) => SeqKind::Reference,
            Some(SeqTag::Omap) => SeqKind::Omap,
            Some(SeqTag::Disallowed(class)) => {
                return self.fail_with(Problem::Disallowed(class.to_owned()), span);
            }
            Some(SeqTag::Invalid) => {
                return self.fail_with(Problem::Invalid(NIL_ALLOCATE.to_owned()), span);
            }
        };
        // Psych does not register the anchor of a `!reference` sequence, so aliasing it fails
        // as an unknown alias.
        let anchor = if kind == SeqKind::Reference {
            0
        } else {
            anchor
        };
        let frame = FrameKind::Seq {
            items: Vec::new(),
            kind,
            invalid_omap_item: false,
        };
        self.open(frame, anchor, span);
    }

    fn map_start(&mut self, anchor: usize, tag: Option<&Tag>, event_span: saphyr_parser::Span) {
        let span = self.span(event_span);
        let kind = match tag.map(full_tag).as_deref().map(tags::map_tag) {
            None | Some(MapTag::Plain) => MapKind::Plain,
            Some(MapTag::Reference) => MapKind::Reference,
            Some(MapTag::StrObject) => MapKind::StrObject,
            Some(MapTag::HashWithIvars) => MapKind::HashWithIvars,
            Some(MapTag::Disallowed(class)) => {
                return self.fail_with(Problem::Disallowed(class.to_owned()), span);
            }
            Some(MapTag::Invalid) => {
                return self.fail_with(Problem::Invalid(NIL_ALLOCATE.to_owned()), span);
            }
        };
        let frame = FrameKind::Map {
            map: Mapping::new(),
            kind,
            key: None,
            merged: None,
        };
        self.open(frame, anchor, span);
    }

    fn open(&mut self, kind: FrameKind, anchor: usize, span: Span) {
        if !self.building() {
            return;
        }
        if self.stack.len() + 1 > self.limits.max_yaml_depth {
            return self.exceed(TooBig::Depth(self.limits.max_yaml_depth), span);
        }
        // A flow collection's start event ends with its opening bracket.
        let flow = span
            .end
            .checked_sub(1)
            .is_some_and(|last| matches!(self.slice(last, span.end), "[" | "{"));
        self.stack.push(Frame {
            kind,
            anchor,
            start: span.start,
            end: span.end,
            flow,
            stats: Stats::default(),
        });
    }

    fn collection_end(&mut self, event_span: saphyr_parser::Span) {
        if !self.building() {
            return;
        }
        let end_span = self.span(event_span);
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let end = if frame.flow { end_span.end } else { frame.end };
        let span = Span::new(self.file, frame.start, end);
        let stats = Stats {
            nodes: frame.stats.nodes + 1,
            height: frame.stats.height + 1,
            alias_bytes: frame.stats.alias_bytes,
        };
        let (value, origin) = match frame.kind {
            FrameKind::Seq {
                items,
                kind,
                invalid_omap_item,
            } => match kind {
                SeqKind::Plain => (Value::Seq(items), Origin::Seq),
                SeqKind::Reference => (reference(Value::Seq(items), span), Origin::Seq),
                SeqKind::Omap => {
                    if invalid_omap_item {
                        let detail = "undefined method `first' for nil".to_owned();
                        return self.fail_with(Problem::Invalid(detail), span);
                    }
                    (Value::Map(omap(items)), Origin::Seq)
                }
            },
            FrameKind::Map { mut map, kind, .. } => match kind {
                MapKind::Plain => (Value::Map(map), Origin::Map),
                MapKind::Reference => (reference(Value::Map(map), span), Origin::Map),
                MapKind::StrObject => {
                    let value = map.remove("str").map_or(Value::Null, |e| e.value.value);
                    (value, Origin::Map)
                }
                MapKind::HashWithIvars => match map.remove("elements").map(|e| e.value.value) {
                    None => (Value::Map(Mapping::new()), Origin::Map),
                    Some(Value::Map(elements)) => (Value::Map(elements), Origin::Map),
                    Some(_) => {
                        let detail = "undefined method `each_slice' for nil".to_owned();
                        return self.fail_with(Problem::Invalid(detail), span);
                    }
                },
            },
        };
        let built = Built {
            node: Node::new(value, span),
            origin,
            stats,
            merge_key: false,
        };
        if frame.anchor > 0 {
            self.register(frame.anchor, &built);
        }
        self.complete(built, end);
    }

    fn alias(&mut self, id: usize, event_span: saphyr_parser::Span) {
        if !self.building() {
            return;
        }
        let span = self.span(event_span);
        let Some((stats, weight, merge_key)) = self
            .anchors
            .get(id)
            .and_then(Option::as_ref)
            .map(|a| (a.stats, a.weight, a.merge_key))
        else {
            if self.stack.iter().any(|frame| frame.anchor == id) {
                return self.exceed(TooBig::Cycle, span);
            }
            let name = anchor_name(self.slice(span.start, span.end));
            return self.fail(errors::unknown_alias(name, span));
        };

        let depth = self.stack.len() + stats.height;
        let nodes = self.expanded_nodes.saturating_add(stats.nodes);
        let bytes = self.expanded_bytes.saturating_add(weight);
        let total_bytes = (self.text.len() as u64).saturating_add(bytes);
        let limits = self.limits;
        let reason = if depth > limits.max_yaml_depth {
            Some(TooBig::Depth(limits.max_yaml_depth))
        } else if nodes > limits.max_alias_expansion_nodes as u64 {
            Some(TooBig::AliasNodes(limits.max_alias_expansion_nodes))
        } else if total_bytes > limits.max_yaml_size_bytes as u64 {
            Some(TooBig::Size(limits.max_yaml_size_bytes))
        } else {
            None
        };
        if let Some(reason) = reason {
            return self.exceed(reason, span);
        }
        let Some(node) = self
            .anchors
            .get(id)
            .and_then(Option::as_ref)
            .map(|a| a.node.clone())
        else {
            return;
        };

        let built = Built {
            node,
            origin: Origin::Alias,
            stats: Stats {
                nodes: stats.nodes,
                height: stats.height,
                alias_bytes: weight,
            },
            merge_key,
        };
        self.expanded_nodes = nodes;
        self.expanded_bytes = bytes;
        self.complete(built, span.end);
    }

    fn register(&mut self, id: usize, built: &Built) {
        if self.anchors.len() <= id {
            self.anchors.resize_with(id + 1, || None);
        }
        let source_bytes = u64::from(built.node.span.end.saturating_sub(built.node.span.start));
        let anchored = Anchored {
            node: built.node.clone(),
            stats: built.stats,
            weight: source_bytes.saturating_add(built.stats.alias_bytes),
            merge_key: built.merge_key,
        };
        if let Some(slot) = self.anchors.get_mut(id) {
            *slot = Some(anchored);
        }
    }

    /// Hands a finished node to its parent, or makes it the root. `end` is where its text ends
    /// at this place in the file (for an alias, the end of the alias, not of the anchor).
    fn complete(&mut self, built: Built, end: u32) {
        let Some(frame) = self.stack.last_mut() else {
            if self.root.is_none() {
                self.root = Some(built.node);
            }
            return;
        };
        frame.end = frame.end.max(end);
        frame.stats.nodes = frame.stats.nodes.saturating_add(built.stats.nodes);
        frame.stats.height = frame.stats.height.max(built.stats.height);
        frame.stats.alias_bytes = frame
            .stats
            .alias_bytes
            .saturating_add(built.stats.alias_bytes);
        match &mut frame.kind {
            FrameKind::Seq {
                items,
                kind,
                invalid_omap_item,
            } => {
                if *kind == SeqKind::Omap && !is_omap_item(&built) {
                    *invalid_omap_item = true;
                }
                items.push(built.node);
            }
            FrameKind::Map {
                map, key, merged, ..
            } => match key.take() {
                None => *key = Some(built),
                Some(key) => {
                    if let Some(warning) = add_pair(map, merged, key, built) {
                        self.warnings.push(warning);
                    }
                }
            },
        }
    }
}

/// Ruby's error when Psych calls `allocate` on the class of an empty class name.
const NIL_ALLOCATE: &str = "undefined method `allocate' for nil";

/// Joins a tag into the form Psych matches on: the handle's prefix followed by the suffix
/// (`!reference`, `tag:yaml.org,2002:str`).
fn full_tag(tag: &Tag) -> Cow<'static, str> {
    // `!reference` is the tag large configurations repeat, so it is matched without joining.
    if tag.handle == "!" && tag.suffix == "reference" {
        return Cow::Borrowed(tags::REFERENCE);
    }
    Cow::Owned(format!("{}{}", tag.handle, tag.suffix))
}

fn reference(value: Value, span: Span) -> Value {
    Value::Reference(Box::new(Node::new(value, span)))
}

/// Resolves a scalar as Psych's `deserialize` does. Returns the value and whether it is a
/// merge key.
fn resolve_scalar(
    raw: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&str>,
    span: Span,
) -> Result<(Value, bool), Problem> {
    let is_merge = |value: &Value| matches!(value, Value::String(s) if s == "<<");
    let Some(tag) = tag else {
        // Quoted and block scalars are strings. libyaml reports a scalar as quoted only when it
        // has no tag, so a tagged quoted scalar goes through the tag rules below.
        if style != ScalarStyle::Plain {
            let value = Value::String(raw.into_owned());
            let merge = is_merge(&value);
            return Ok((value, merge));
        }
        let value = resolve_plain(raw)?;
        let merge = is_merge(&value);
        return Ok((value, merge));
    };
    let value = match tags::scalar_tag(tag) {
        ScalarTag::Reference => reference(Value::String(raw.into_owned()), span),
        ScalarTag::Binary => {
            let bytes = scalar::decode_base64_lenient(&raw);
            Value::String(String::from_utf8_lossy(&bytes).into_owned())
        }
        ScalarTag::Str => {
            // Psych's merge check skips only keys tagged `!!str`, not `!str`.
            let merge = tag != tags::CORE_STR && raw == "<<";
            return Ok((Value::String(raw.into_owned()), merge));
        }
        ScalarTag::Float => Value::Float(ruby_float(scalar::tokenize(&raw))?),
        // Symbols are never equal to the string `<<`, so they never merge.
        ScalarTag::Symbol => return Ok((Value::String(raw.into_owned()), false)),
        ScalarTag::Class if raw.is_empty() => Value::Null,
        ScalarTag::Class => return Err(Problem::Disallowed(raw.into_owned())),
        // NOTE: Psych returns an `Encoding` object (or raises for an unknown name), while
        // glplan keeps the name as a string.
        ScalarTag::Encoding => Value::String(raw.into_owned()),
        ScalarTag::Disallowed(class) => return Err(Problem::Disallowed(class.to_owned())),
        ScalarTag::Resolve => resolve_plain(raw)?,
    };
    let merge = is_merge(&value);
    Ok((value, merge))
}

/// Resolves a scalar with Psych's untagged rules. A scalar that stays a string keeps the
/// parser's `String` instead of a copy.
fn resolve_plain(raw: Cow<'_, str>) -> Result<Value, Problem> {
    let resolved = scalar::tokenize(&raw);
    let unchanged = matches!(&resolved, Scalar::Str(Cow::Borrowed(text))
        if text.as_ptr() == raw.as_ptr() && text.len() == raw.len());
    if unchanged {
        return Ok(Value::String(raw.into_owned()));
    }
    from_scalar(resolved)
}

fn from_scalar(resolved: Scalar<'_>) -> Result<Value, Problem> {
    Ok(match resolved {
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Int(i) => Value::Int(i),
        Scalar::BigInt(digits) => Value::BigInt(digits),
        Scalar::Float(f) => Value::Float(f),
        Scalar::Str(s) => Value::String(s.into_owned()),
        Scalar::Symbol(name) => Value::String(name.to_owned()),
        Scalar::Disallowed(class) => return Err(Problem::Disallowed(class.to_owned())),
        Scalar::Invalid(detail) => return Err(Problem::Invalid(detail)),
    })
}

/// `!!float`: Ruby's `Float()` applied to the resolved scalar.
fn ruby_float(resolved: Scalar<'_>) -> Result<f64, Problem> {
    let cannot = |what: &str| Problem::Invalid(format!("can't convert {what} into Float"));
    match resolved {
        Scalar::Int(i) => Ok(i as f64),
        Scalar::BigInt(digits) => digits.parse().map_err(|_| Problem::Invalid(digits)),
        Scalar::Float(f) => Ok(f),
        Scalar::Str(s) => scalar::ruby_float(&s).map_err(Problem::Invalid),
        Scalar::Null => Err(cannot("nil")),
        Scalar::Bool(b) => Err(cannot(if b { "true" } else { "false" })),
        Scalar::Symbol(_) => Err(cannot("Symbol")),
        Scalar::Disallowed(class) => Err(Problem::Disallowed(class.to_owned())),
        Scalar::Invalid(detail) => Err(Problem::Invalid(detail)),
    }
}

/// Adds one key-value pair to a mapping as Psych's `revive_hash` does. Returns a warning for a
/// key written twice.
fn add_pair(
    map: &mut Mapping,
    merged: &mut Option<HashSet<Key>>,
    key: Built,
    value: Built,
) -> Option<Diagnostic> {
    let value = if key.merge_key {
        match merge_source(value) {
            Ok(source) => {
                let merged = merged.get_or_insert_with(HashSet::new);
                merged.extend(source.keys().cloned());
                map.shallow_merge(source);
                return None;
            }
            // A value that cannot be merged is stored under the literal key `<<`.
            Err(value) => value,
        }
    } else {
        value
    };

    let key_span = key.node.span;
    let key = key_of(key.node);
    let entry = Entry {
        key_span,
        value: value.node,
    };
    let (key, previous) = map.insert_entry(key, entry)?;
    key.as_str()?;
    let overrides_merge = merged.as_mut().is_some_and(|m| m.remove(&key));
    if overrides_merge {
        return None;
    }
    Some(errors::duplicate_key(
        &key.to_string(),
        key_span,
        previous.key_span,
    ))
}

/// Extracts the mapping a merge key merges in, or returns the value when Ruby's `Hash#merge!`
/// would raise `TypeError`. An alias or a mapping must be a mapping. A sequence must contain only
/// mappings, and they are combined so that earlier entries win: Psych merges them in reverse
/// order into an empty hash, which also puts the last entry's keys first.
fn merge_source(value: Built) -> Result<Mapping, Built> {
    match (value.origin, value.node.value) {
        (Origin::Alias | Origin::Map, Value::Map(map)) => Ok(map),
        (Origin::Seq, Value::Seq(items)) if items.iter().all(|i| i.as_map().is_some()) => {
            let mut combined = Mapping::new();
            for item in items.into_iter().rev() {
                if let Value::Map(map) = item.value {
                    combined.shallow_merge(map);
                }
            }
            Ok(combined)
        }
        // NOTE: for a `!reference` sequence Ruby raises `NoMethodError` (an error 500 in
        // GitLab), while glplan keeps the literal `<<` key, which fails validation later.
        (origin, other) => Err(Built {
            node: Node::new(other, value.node.span),
            origin,
            stats: value.stats,
            merge_key: value.merge_key,
        }),
    }
}

/// Converts a loaded node into a mapping key. Sequences, mappings and references used as keys
/// are kept as their JSON text.
fn key_of(node: Node) -> Key {
    match node.value {
        Value::String(s) => Key::String(s),
        Value::Null => Key::Null,
        Value::Bool(b) => Key::Bool(b),
        Value::Int(i) => Key::Int(i),
        Value::BigInt(digits) => Key::Complex(digits),
        Value::Float(f) => Key::Float(f),
        Value::Seq(_) | Value::Map(_) | Value::Reference(_) => {
            Key::Complex(node.to_json().to_string())
        }
    }
}

/// Checks whether Psych can take an `!!omap` element apart. It reads the element's first and
/// last child, which needs a non-empty sequence or mapping written in place (not an alias).
fn is_omap_item(built: &Built) -> bool {
    match (&built.origin, &built.node.value) {
        (Origin::Seq, Value::Seq(items)) => !items.is_empty(),
        (Origin::Map, Value::Map(map)) => !map.is_empty(),
        _ => false,
    }
}

/// Builds an `!!omap`: each element contributes its first child as the key and its last child
/// as the value.
fn omap(items: Vec<Node>) -> Mapping {
    let mut map = Mapping::new();
    for item in items {
        match item.value {
            Value::Seq(children) => {
                let key_span = children.first().map_or(item.span, |c| c.span);
                let mut children = children.into_iter();
                let first = children.next();
                let last = children.next_back();
                if let Some(first) = first {
                    let value = last.unwrap_or_else(|| first.clone());
                    map.insert(key_of(first), key_span, value);
                }
            }
            Value::Map(entries) => {
                let first = entries
                    .entries()
                    .next()
                    .map(|(k, e)| (k.clone(), e.key_span));
                let last = entries.iter().next_back().map(|(_, v)| v.clone());
                if let (Some((key, key_span)), Some(value)) = (first, last) {
                    map.insert(key, key_span, value);
                }
            }
            _ => {}
        }
    }
    map
}

/// Returns the anchor name after the `*` at the start of `text`.
fn anchor_name(text: &str) -> &str {
    let name = text.strip_prefix('*').unwrap_or(text);
    let end = name
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '{' | '}'))
        .unwrap_or(name.len());
    name.get(..end).unwrap_or_default()
}

/// libyaml's wording for saphyr messages that differ in more than word order.
const LIBYAML_WORDING: &[(&str, &str)] = &[
    (
        "tabs disallowed within this context (block indentation)",
        "found character that cannot start any token while scanning for the next token",
    ),
    (
        "while scanning a verbatim tag, did not find the expected '>'",
        "did not find the expected '>' while scanning a tag",
    ),
    (
        "while scanning a plain scalar, found a tab",
        "found a tab character that violates indentation while scanning a plain scalar",
    ),
    (
        "a block scalar content cannot start with a tab",
        "found a tab character where an indentation space is expected while scanning a block \
         scalar",
    ),
];

/// Rewrites a saphyr error message in libyaml's words, which is what Psych prints. `at` is the
/// text from the error position on. Most messages only need libyaml's order,
/// `<problem> while <context>` instead of `while <context>, <problem>`.
fn psych_problem(info: &str, at: &str) -> String {
    if let Some((_, libyaml)) = LIBYAML_WORDING.iter().find(|(saphyr, _)| *saphyr == info) {
        return (*libyaml).to_owned();
    }
    if info.starts_with("unexpected character: ") {
        return "found character that cannot start any token while scanning for the next token"
            .to_owned();
    }
    if let Some(problem) = info.strip_prefix("while scanning an anchor or alias, ") {
        // libyaml names the indicator it found.
        let what = if at.starts_with('*') {
            "an alias"
        } else {
            "an anchor"
        };
        return format!("{problem} while scanning {what}");
    }
    let Some(rest) = info.strip_prefix("while ") else {
        return info.to_owned();
    };
    let Some((context, problem)) = rest.split_once(", ") else {
        return info.to_owned();
    };
    let problem = match problem.strip_prefix("expected ") {
        Some(expected) => format!("did not find expected {expected}"),
        None => problem.to_owned(),
    };
    format!("{problem} while {context}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The character-by-character scan that `first_control_character` must agree with.
    fn naive_first_control(text: &str) -> Option<(usize, char)> {
        text.char_indices().find(|&(_, c)| !is_printable(c))
    }

    #[test]
    fn control_scan_matches_naive() {
        let long = "a".repeat(ASCII_BLOCK);
        let cases = [
            String::new(),
            "plain: text\n".to_owned(),
            format!("{long}\u{1}"),
            format!("{long}{long}\u{7f}"),
            format!("{}\u{1}{long}", "b".repeat(ASCII_BLOCK - 1)),
            format!("{long}é{long}\u{1b}"),
            format!("{}é\u{80}{long}", "c".repeat(ASCII_BLOCK - 1)),
            format!("{long}\u{85}\u{a0}😀\u{fffe}"),
            format!("{long}\t\r\n{long}\u{0}"),
        ];
        for text in &cases {
            assert_eq!(
                first_control_character(text),
                naive_first_control(text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn nel_detected() {
        assert!(contains_nel("a\u{85}b"));
        // U+0145 is written C5 85 in UTF-8: it contains the byte 0x85 but is not NEL.
        assert!(!contains_nel("a\u{145}b"));
        assert!(!contains_nel("plain"));
    }
}
