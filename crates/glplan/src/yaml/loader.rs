//! Builds the node tree of one document piece from the events of [`Parser`], the way Psych's
//! `ToRuby` visitor builds Ruby objects.
//!
//! The builder works in one pass over the events, without an intermediate tree. It resolves
//! scalars with Psych's rules, applies tags, and applies merge keys in document order. It
//! expands an alias by copying the anchored node, which keeps its spans. Three budgets stop
//! runaway input: nesting depth, node count added by aliases, and bytes added by aliases.
//!
//! Psych parses the whole document before it builds any object, so a syntax error anywhere in
//! the document wins over a disallowed class, and both win over the size check GitLab runs
//! afterwards. The builder reproduces that order: after a failure it keeps reading events only
//! to find a later syntax error.

use std::borrow::Cow;

use crate::hash::HashSet;

use super::errors::{self, TooBig};
use super::parser::{self, Event, Parser};
use super::scalar::{self, Scalar};
use super::scanner::{ScalarStyle, SyntaxError};
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
    let result = parse_piece(file, text, base, limits);
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

fn parse_piece(
    file: FileId,
    text: &str,
    base: usize,
    limits: &Limits,
) -> Result<PieceOutcome, Diagnostic> {
    let mut builder = Builder::new(file, text, base, limits);
    let mut parser = Parser::new(text);
    while let Some(next) = parser.next_event() {
        match next {
            Err(error) => return Err(builder.syntax_error(&error)),
            // Psych stops at the end of the first document without reading further.
            Ok((Event::DocumentEnd | Event::StreamEnd, _)) => break,
            Ok((event, span)) => builder.on_event(event, span),
        }
    }
    builder.finish()
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
    /// Anchor number to register when the collection ends (0 for none).
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
    limits: &'t Limits,
    stack: Vec<Frame>,
    /// Anchored nodes by the parser's anchor number.
    anchors: Vec<Option<Anchored>>,
    /// Numbers of the anchors on `!reference` sequences, which Psych never registers.
    reference_anchors: Vec<usize>,
    /// Spans of the aliases found inside their own anchor. Each is a null node in the tree,
    /// with the alias's span, until the document ends.
    cycles: HashSet<Span>,
    root: Option<Node>,
    expanded_nodes: u64,
    expanded_bytes: u64,
    /// The first error that makes the piece fail.
    failure: Option<Diagnostic>,
    /// The first exceeded size limit. Building stops, but the events are still checked for
    /// errors, which GitLab reports first.
    too_big: Option<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// Duplicate keys found, including those past the warning cap.
    duplicate_keys: usize,
}

/// Maximum number of duplicate-key warnings per YAML document. The rest are counted in one
/// summary warning, so a generated file with many repeated keys does not flood the output.
const MAX_DUPLICATE_KEY_WARNINGS: usize = 100;

impl<'t> Builder<'t> {
    fn new(file: FileId, text: &'t str, base: usize, limits: &'t Limits) -> Self {
        Builder {
            file,
            text,
            base,
            limits,
            stack: Vec::new(),
            anchors: Vec::new(),
            reference_anchors: Vec::new(),
            cycles: HashSet::default(),
            root: None,
            expanded_nodes: 0,
            expanded_bytes: 0,
            failure: None,
            too_big: None,
            warnings: Vec::new(),
            duplicate_keys: 0,
        }
    }

    fn finish(mut self) -> Result<PieceOutcome, Diagnostic> {
        if let Some(failure) = self.failure {
            return Err(failure);
        }
        if let Some(unlisted) = self.duplicate_keys.checked_sub(MAX_DUPLICATE_KEY_WARNINGS)
            && unlisted > 0
        {
            let start = self.offset(0);
            let span = Span::new(self.file, start, start);
            self.warnings
                .push(errors::unlisted_duplicate_keys(unlisted, span));
        }
        if self.too_big.is_none()
            && let Some(root) = &self.root
            && let Some(span) = find_cycle(root, &self.cycles)
        {
            self.too_big = Some(errors::parsed_too_big(TooBig::Cycle, span));
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

    fn on_event(&mut self, event: Event<'t>, span: parser::Span) {
        if self.failure.is_some() {
            return;
        }
        match event {
            Event::Scalar {
                value,
                style,
                anchor,
                tag,
            } => self.scalar(value, style, anchor, tag.as_deref(), span),
            Event::SequenceStart { anchor, tag, flow } => {
                self.seq_start(anchor, tag.as_deref(), flow, span);
            }
            Event::MappingStart { anchor, tag, flow } => {
                self.map_start(anchor, tag.as_deref(), flow, span);
            }
            Event::SequenceEnd | Event::MappingEnd => self.collection_end(span),
            Event::Alias(id) => self.alias(id, span),
            _ => {}
        }
    }

    // Positions.

    fn offset(&self, local: usize) -> u32 {
        u32::try_from(self.base + local).unwrap_or(u32::MAX)
    }

    fn span(&self, span: parser::Span) -> Span {
        Span::new(self.file, self.offset(span.start), self.offset(span.end))
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

    /// Reports a syntax error where libyaml reports it. The line and column are those of the
    /// error's context mark, and the span covers the character at the problem.
    fn syntax_error(&self, error: &SyntaxError) -> Diagnostic {
        let start = self.offset(error.problem_mark.offset);
        let width = self.rest(start).chars().next().map_or(0, char::len_utf8);
        let span = Span::new(self.file, start, start + width as u32);
        errors::syntax_error(&error.message(), error.line(), error.column(), span)
    }

    // Events.

    fn scalar(
        &mut self,
        raw: Cow<'t, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&str>,
        event_span: parser::Span,
    ) {
        let mut span = self.span(event_span);
        if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
            // A block scalar's event starts at its properties or indicator and ends after its
            // trailing line breaks and blank lines. The node's span covers the content only.
            let text = self.slice(span.start, span.end);
            let header = text.find(['\n', '\r']).unwrap_or(text.len());
            let content = text.get(header..).unwrap_or_default().trim_start();
            let end = span.start + text.trim_end().len() as u32;
            let start = span.start + (text.len() - content.len()) as u32;
            span = Span::new(self.file, start.min(end), end);
        }
        let (value, merge_key) = match resolve_scalar(raw, style, tag, span) {
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

    fn seq_start(&mut self, anchor: usize, tag: Option<&str>, flow: bool, event: parser::Span) {
        let span = self.span(event);
        let kind = match tag.map(tags::seq_tag) {
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
            if anchor > 0 {
                self.reference_anchors.push(anchor);
            }
            0
        } else {
            anchor
        };
        let frame = FrameKind::Seq {
            items: Vec::new(),
            kind,
            invalid_omap_item: false,
        };
        self.open(frame, anchor, flow, span);
    }

    fn map_start(&mut self, anchor: usize, tag: Option<&str>, flow: bool, event: parser::Span) {
        let span = self.span(event);
        let kind = match tag.map(tags::map_tag) {
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
        self.open(frame, anchor, flow, span);
    }

    fn open(&mut self, kind: FrameKind, anchor: usize, flow: bool, span: Span) {
        if !self.building() {
            return;
        }
        if self.stack.len() + 1 > self.limits.max_yaml_depth {
            return self.exceed(TooBig::Depth(self.limits.max_yaml_depth), span);
        }
        self.stack.push(Frame {
            kind,
            anchor,
            start: span.start,
            end: span.end,
            flow,
            stats: Stats::default(),
        });
    }

    fn collection_end(&mut self, event_span: parser::Span) {
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
            FrameKind::Map {
                mut map,
                kind,
                merged,
                ..
            } => match kind {
                MapKind::Plain => (Value::Map(map), Origin::Map),
                MapKind::Reference => (reference(Value::Map(map), span), Origin::Map),
                MapKind::StrObject => {
                    let value = map.remove("str").map_or(Value::Null, |e| e.value.value);
                    if let Some(detail) = str_object_error(&map, merged.is_some(), &value) {
                        return self.fail_with(Problem::Invalid(detail), span);
                    }
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

    fn alias(&mut self, id: usize, event_span: parser::Span) {
        let span = self.span(event_span);
        if !self.building() {
            // Psych raises `Unknown alias` while it builds the document, before GitLab measures
            // its size, so an unknown alias after the document grew too big still fails it.
            if self.failure.is_none() && (id == 0 || self.reference_anchors.contains(&id)) {
                self.fail_unknown_alias(span);
            }
            return;
        }
        let Some((stats, weight, merge_key)) = self
            .anchors
            .get(id)
            .and_then(Option::as_ref)
            .map(|a| (a.stats, a.weight, a.merge_key))
        else {
            if id > 0 && self.stack.iter().any(|frame| frame.anchor == id) {
                return self.recursive_alias(id, span);
            }
            return self.fail_unknown_alias(span);
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

    /// Handles an alias inside the collection its anchor names. Psych hands out the object
    /// under construction, which makes the document cyclic, and GitLab's size check then finds
    /// it infinitely deep. A cycle that a later duplicate key replaces is gone by then, so the
    /// alias becomes a placeholder that [`find_cycle`] looks for once the document ends. As the
    /// value of a merge key, the alias merges the keys the anchored mapping has so far.
    fn recursive_alias(&mut self, id: usize, span: Span) {
        let merging = matches!(
            self.stack.last(),
            Some(Frame { kind: FrameKind::Map { key: Some(key), .. }, .. }) if key.merge_key
        );
        let partial = self
            .stack
            .iter()
            .rev()
            .find(|frame| frame.anchor == id)
            .and_then(|frame| match &frame.kind {
                FrameKind::Map { map, .. } if merging => Some(map.clone()),
                _ => None,
            });
        // NOTE: inside a merged sequence (`<<: [*a]`) the alias still becomes a placeholder,
        // where Psych would merge the partial mapping.
        let value = match partial {
            Some(map) => Value::Map(map),
            None => {
                self.cycles.insert(span);
                Value::Null
            }
        };
        let built = Built {
            node: Node::new(value, span),
            origin: Origin::Alias,
            stats: Stats {
                nodes: 1,
                height: 0,
                alias_bytes: 0,
            },
            merge_key: false,
        };
        self.complete(built, span.end);
    }

    fn fail_unknown_alias(&mut self, span: Span) {
        let name = anchor_name(self.slice(span.start, span.end));
        // The diagnostic points at the `*` indicator.
        let indicator = Span::new(self.file, span.start, (span.start + 1).min(span.end));
        self.fail(errors::unknown_alias(name, indicator));
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
                Some(key) => match add_pair(map, merged, key, built) {
                    Ok(None) => {}
                    Ok(Some(warning)) => {
                        if self.duplicate_keys < MAX_DUPLICATE_KEY_WARNINGS {
                            self.warnings.push(warning);
                        }
                        self.duplicate_keys += 1;
                    }
                    Err((problem, span)) => self.fail_with(problem, span),
                },
            },
        }
    }
}

/// Ruby's error when Psych calls `allocate` on the class of an empty class name.
const NIL_ALLOCATE: &str = "undefined method `allocate' for nil";

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
/// key written twice, or the error Ruby raises for the value of a merge key.
fn add_pair(
    map: &mut Mapping,
    merged: &mut Option<HashSet<Key>>,
    key: Built,
    value: Built,
) -> Result<Option<Diagnostic>, (Problem, Span)> {
    let value = if key.merge_key {
        // Psych merges a sequence by calling `reverse_each` on the loaded value, which a
        // `!reference` object lacks. The `NoMethodError` is an internal error in GitLab, which
        // glplan reports as invalid YAML.
        if value.origin == Origin::Seq && matches!(value.node.value, Value::Reference(_)) {
            let detail = "undefined method `reverse_each' for a !reference object";
            return Err((Problem::Invalid(detail.to_owned()), value.node.span));
        }
        match merge_source(value) {
            Ok(source) => {
                let merged = merged.get_or_insert_with(HashSet::default);
                merged.extend(source.keys().cloned());
                map.shallow_merge(source);
                return Ok(None);
            }
            // A value that cannot be merged is stored under the literal key `<<`.
            Err(value) => value,
        }
    } else {
        value
    };
    Ok(insert_pair(map, merged, key, value))
}

/// Inserts a pair that is not a merge, and returns a warning for a key written twice.
fn insert_pair(
    map: &mut Mapping,
    merged: &mut Option<HashSet<Key>>,
    key: Built,
    value: Built,
) -> Option<Diagnostic> {
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
        // A `!reference` sequence never gets here: `add_pair` reports Ruby's `NoMethodError`.
        (origin, other) => Err(Built {
            node: Node::new(other, value.node.span),
            origin,
            stats: value.stats,
            merge_key: value.merge_key,
        }),
    }
}

/// Returns the Ruby error Psych raises for a `!!str` mapping whose keys other than `str` are
/// `members`, or `None` when it loads. Psych sets each member as an instance variable of the
/// loaded string, after removing one leading `@` from its name. A name Ruby does not allow
/// raises `NameError`, and any name on a frozen value (nil, a number, a boolean) raises
/// `FrozenError`. A merge key is a member named `<<`. Its keys are already in `members`, so
/// `merged` is true when the mapping had one.
///
/// GitLab's loader rescues neither error, so GitLab fails with an internal error. glplan
/// reports these files as invalid YAML instead.
fn str_object_error(members: &Mapping, merged: bool, string: &Value) -> Option<String> {
    // NOTE: a symbol value (`str: :name`) is frozen in Ruby, but glplan loads symbols as
    // strings, so such a mapping loads here where Psych raises `FrozenError`.
    let frozen_class = match string {
        Value::String(_) | Value::Seq(_) | Value::Map(_) | Value::Reference(_) => None,
        Value::Null => Some("NilClass"),
        Value::Bool(true) => Some("TrueClass"),
        Value::Bool(false) => Some("FalseClass"),
        Value::Int(_) | Value::BigInt(_) => Some("Integer"),
        Value::Float(_) => Some("Float"),
    };
    let merge_member = merged.then(|| "<<".to_owned());
    let names = members.keys().map(Key::to_string).chain(merge_member);
    for name in names {
        let name = name.strip_prefix('@').unwrap_or(&name);
        if !is_instance_variable_name(name) {
            return Some(format!(
                "`@{name}' is not allowed as an instance variable name"
            ));
        }
        if let Some(class) = frozen_class {
            return Some(format!("can't modify frozen {class}"));
        }
    }
    None
}

/// Checks whether Ruby accepts `@name` as an instance variable name: a letter, `_` or a
/// character outside ASCII, then letters, digits, `_` or characters outside ASCII.
fn is_instance_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii();
    (first.is_ascii_alphabetic() || first == '_' || !first.is_ascii()) && chars.all(is_word)
}

/// Returns the span of the first placeholder for a recursive alias that is still in the tree
/// under `root`. Placeholders are null nodes whose span is one of `cycles`, the spans of the aliases.
/// An ordinary null node never has an alias's span, because an alias copies the anchored node
/// with the anchor's span.
fn find_cycle(root: &Node, cycles: &HashSet<Span>) -> Option<Span> {
    if cycles.is_empty() {
        return None;
    }
    let mut first: Option<Span> = None;
    let mut pending = vec![root];
    while let Some(node) = pending.pop() {
        match &node.value {
            Value::Null
                if cycles.contains(&node.span)
                    && first.is_none_or(|span| node.span.start < span.start) =>
            {
                first = Some(node.span);
            }
            Value::Seq(items) => pending.extend(items),
            Value::Map(map) => pending.extend(map.iter().map(|(_, value)| value)),
            Value::Reference(inner) => pending.push(inner),
            _ => {}
        }
    }
    first
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
}
