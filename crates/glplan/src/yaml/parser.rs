//! A YAML 1.1 event parser over [`Scanner`] tokens, with libyaml 0.2.5's grammar, states and
//! error wording.
//!
//! Like libyaml it keeps its own stack of states instead of recursing, so deep nesting costs
//! memory in proportion to the input, never stack.
//!
//! Anchors are numbered from 1 as they are defined. An alias carries the number of the latest
//! anchor of its name defined before it, or 0 when there is none.

use std::borrow::Cow;

use crate::hash::HashMap;

use super::scanner::{Data, Kind, Mark, ScalarStyle, Scanner, SyntaxError, Token};

/// One parser event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Event<'a> {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    /// An alias, with the number of its anchor (0 for an anchor not defined before it).
    Alias(usize),
    Scalar {
        value: Cow<'a, str>,
        style: ScalarStyle,
        /// Anchor number, 0 for none.
        anchor: usize,
        /// The resolved tag (`!reference`, `tag:yaml.org,2002:str`).
        tag: Option<Cow<'a, str>>,
    },
    SequenceStart {
        anchor: usize,
        tag: Option<Cow<'a, str>>,
        flow: bool,
    },
    SequenceEnd,
    MappingStart {
        anchor: usize,
        tag: Option<Cow<'a, str>>,
        flow: bool,
    },
    MappingEnd,
}

/// Byte offsets of an event's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    fn between(start: Mark, end: Mark) -> Self {
        Span {
            start: start.offset,
            end: end.offset,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    StreamStart,
    ImplicitDocumentStart,
    DocumentStart,
    DocumentContent,
    DocumentEnd,
    BlockNode,
    BlockSequenceFirstEntry,
    BlockSequenceEntry,
    IndentlessSequenceEntry,
    BlockMappingFirstKey,
    BlockMappingKey,
    BlockMappingValue,
    FlowSequenceFirstEntry,
    FlowSequenceEntry,
    FlowSequenceEntryMappingKey,
    FlowSequenceEntryMappingValue,
    FlowSequenceEntryMappingEnd,
    FlowMappingFirstKey,
    FlowMappingKey,
    FlowMappingValue,
    FlowMappingEmptyValue,
    End,
}

type Parse<'a> = Result<(Event<'a>, Span), SyntaxError>;

/// The tag handles every document starts with.
const DEFAULT_TAG_HANDLES: [(&str, &str); 2] = [("!", "!"), ("!!", "tag:yaml.org,2002:")];

/// The event parser.
#[derive(Debug)]
pub(crate) struct Parser<'a> {
    input: &'a str,
    scanner: Scanner<'a>,
    state: State,
    states: Vec<State>,
    /// Start marks of the open collections, for error contexts.
    marks: Vec<Mark>,
    tag_handles: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    anchors: HashMap<&'a str, usize>,
    /// Anchors defined so far.
    anchor_count: usize,
    failed: bool,
}

impl<'a> Parser<'a> {
    /// Prepares to parse `input`, which must not start with a byte order mark.
    pub(crate) fn new(input: &'a str) -> Self {
        Parser {
            input,
            scanner: Scanner::new(input),
            state: State::StreamStart,
            states: Vec::new(),
            marks: Vec::new(),
            tag_handles: Vec::new(),
            anchors: HashMap::default(),
            anchor_count: 0,
            failed: false,
        }
    }

    /// Returns the next event, or `None` after the stream end or an error.
    pub(crate) fn next_event(&mut self) -> Option<Parse<'a>> {
        if self.failed || self.state == State::End {
            return None;
        }
        let result = self.step();
        if result.is_err() {
            self.failed = true;
        }
        Some(result)
    }

    fn step(&mut self) -> Parse<'a> {
        match self.state {
            State::StreamStart => self.stream_start(),
            State::ImplicitDocumentStart => self.document_start(true),
            State::DocumentStart => self.document_start(false),
            State::DocumentContent => self.document_content(),
            State::DocumentEnd => self.document_end(),
            State::BlockNode => self.node(true, false),
            State::BlockSequenceFirstEntry => self.block_sequence_entry(true),
            State::BlockSequenceEntry => self.block_sequence_entry(false),
            State::IndentlessSequenceEntry => self.indentless_sequence_entry(),
            State::BlockMappingFirstKey => self.block_mapping_key(true),
            State::BlockMappingKey => self.block_mapping_key(false),
            State::BlockMappingValue => self.block_mapping_value(),
            State::FlowSequenceFirstEntry => self.flow_sequence_entry(true),
            State::FlowSequenceEntry => self.flow_sequence_entry(false),
            State::FlowSequenceEntryMappingKey => self.flow_sequence_entry_mapping_key(),
            State::FlowSequenceEntryMappingValue => self.flow_sequence_entry_mapping_value(),
            State::FlowSequenceEntryMappingEnd => self.flow_sequence_entry_mapping_end(),
            State::FlowMappingFirstKey => self.flow_mapping_key(true),
            State::FlowMappingKey => self.flow_mapping_key(false),
            State::FlowMappingValue => self.flow_mapping_value(false),
            State::FlowMappingEmptyValue => self.flow_mapping_value(true),
            State::End => Ok((Event::StreamEnd, Span { start: 0, end: 0 })),
        }
    }

    // Helpers.

    fn peek(&mut self) -> Result<(Kind, Mark, Mark), SyntaxError> {
        self.scanner.peek()
    }

    fn skip(&mut self) {
        self.scanner.take();
    }

    fn pop_state(&mut self) {
        self.state = self.states.pop().unwrap_or(State::End);
    }

    fn pop_mark(&mut self) -> Mark {
        self.marks.pop().unwrap_or_default()
    }

    /// Builds an error without a context. libyaml leaves the context mark at the start of the
    /// input, so Psych reports line 1 column 1.
    fn error(problem: &'static str, problem_mark: Mark) -> SyntaxError {
        SyntaxError {
            problem,
            context: None,
            context_mark: Mark::default(),
            problem_mark,
        }
    }

    fn error_in(
        context: &'static str,
        context_mark: Mark,
        problem: &'static str,
        problem_mark: Mark,
    ) -> SyntaxError {
        SyntaxError {
            problem,
            context: Some(context),
            context_mark,
            problem_mark,
        }
    }

    fn empty_scalar(mark: Mark) -> (Event<'a>, Span) {
        let event = Event::Scalar {
            value: Cow::Borrowed(""),
            style: ScalarStyle::Plain,
            anchor: 0,
            tag: None,
        };
        (event, Span::between(mark, mark))
    }

    // Stream and documents.

    fn stream_start(&mut self) -> Parse<'a> {
        let (_, start, end) = self.peek()?;
        self.skip();
        self.state = State::ImplicitDocumentStart;
        Ok((Event::StreamStart, Span::between(start, end)))
    }

    fn document_start(&mut self, implicit: bool) -> Parse<'a> {
        let (mut kind, mut start, _) = self.peek()?;
        if !implicit {
            while kind == Kind::DocumentEnd {
                self.skip();
                (kind, start, _) = self.peek()?;
            }
        }
        let explicit_only = matches!(
            kind,
            Kind::VersionDirective | Kind::TagDirective | Kind::DocumentStart | Kind::StreamEnd
        );
        if implicit && !explicit_only {
            self.process_directives()?;
            self.states.push(State::DocumentEnd);
            self.state = State::BlockNode;
            return Ok((Event::DocumentStart, Span::between(start, start)));
        }
        if kind == Kind::StreamEnd {
            let (_, start, end) = self.peek()?;
            self.skip();
            self.state = State::End;
            return Ok((Event::StreamEnd, Span::between(start, end)));
        }
        self.process_directives()?;
        let (kind, token_start, end) = self.peek()?;
        if kind != Kind::DocumentStart {
            return Err(Self::error(
                "did not find expected <document start>",
                token_start,
            ));
        }
        self.skip();
        self.states.push(State::DocumentEnd);
        self.state = State::DocumentContent;
        Ok((Event::DocumentStart, Span::between(start, end)))
    }

    /// Reads `%YAML` and `%TAG` directives and sets up the document's tag handles.
    fn process_directives(&mut self) -> Result<(), SyntaxError> {
        self.tag_handles.clear();
        let mut seen_version = false;
        loop {
            let (kind, start, _) = self.peek()?;
            match kind {
                Kind::VersionDirective => {
                    if seen_version {
                        return Err(Self::error("found duplicate %YAML directive", start));
                    }
                    seen_version = true;
                    let token = self.scanner.take();
                    let compatible =
                        matches!(token.data, Data::Version(1, minor) if minor == 1 || minor == 2);
                    if !compatible {
                        return Err(Self::error("found incompatible YAML document", start));
                    }
                }
                Kind::TagDirective => {
                    let token = self.scanner.take();
                    if let Data::Pair(handle, prefix) = token.data {
                        if self.tag_handles.iter().any(|(h, _)| *h == handle) {
                            return Err(Self::error("found duplicate %TAG directive", start));
                        }
                        self.tag_handles.push((handle, prefix));
                    }
                }
                _ => break,
            }
        }
        for (handle, prefix) in DEFAULT_TAG_HANDLES {
            if !self.tag_handles.iter().any(|(h, _)| h == handle) {
                self.tag_handles
                    .push((Cow::Borrowed(handle), Cow::Borrowed(prefix)));
            }
        }
        Ok(())
    }

    fn document_content(&mut self) -> Parse<'a> {
        let (kind, start, _) = self.peek()?;
        let empty = matches!(
            kind,
            Kind::VersionDirective
                | Kind::TagDirective
                | Kind::DocumentStart
                | Kind::DocumentEnd
                | Kind::StreamEnd
        );
        if empty {
            self.pop_state();
            return Ok(Self::empty_scalar(start));
        }
        self.node(true, false)
    }

    fn document_end(&mut self) -> Parse<'a> {
        let (kind, start, mut end) = self.peek()?;
        if kind == Kind::DocumentEnd {
            self.skip();
        } else {
            end = start;
        }
        self.state = State::DocumentStart;
        Ok((Event::DocumentEnd, Span::between(start, end)))
    }

    // Nodes.

    fn node(&mut self, block: bool, indentless_sequence: bool) -> Parse<'a> {
        let (mut kind, token_start, token_end) = self.peek()?;
        if kind == Kind::Alias {
            let token = self.scanner.take();
            self.pop_state();
            let id = match &token.data {
                Data::Text(name) => self.anchors.get(name.as_ref()).copied().unwrap_or(0),
                _ => 0,
            };
            return Ok((Event::Alias(id), Span::between(token_start, token_end)));
        }

        // Properties: an anchor and a tag in either order.
        let mut start = token_start;
        let mut end = token_start;
        let mut anchor: Option<&'a str> = None;
        let mut tag: Option<(Cow<'a, str>, Cow<'a, str>)> = None;
        let mut tag_mark = token_start;
        for _ in 0..2 {
            match kind {
                Kind::Anchor if anchor.is_none() => {
                    let token = self.scanner.take();
                    if anchor.is_none() && tag.is_none() {
                        start = token.start;
                    }
                    end = token.end;
                    anchor = Some(self.anchor_name(&token));
                }
                Kind::Tag if tag.is_none() => {
                    let token = self.scanner.take();
                    if anchor.is_none() {
                        start = token.start;
                    }
                    tag_mark = token.start;
                    end = token.end;
                    if let Data::Pair(handle, suffix) = token.data {
                        tag = Some((handle, suffix));
                    }
                }
                _ => break,
            }
            (kind, _, _) = self.peek()?;
        }
        let tag = match tag {
            Some((handle, suffix)) => Some(self.resolve_tag(handle, suffix, start, tag_mark)?),
            None => None,
        };
        let anchor = anchor.map_or(0, |name| self.define_anchor(name));
        let (kind, token_start, token_end) = self.peek()?;

        if indentless_sequence && kind == Kind::BlockEntry {
            self.state = State::IndentlessSequenceEntry;
            let event = Event::SequenceStart {
                anchor,
                tag,
                flow: false,
            };
            return Ok((event, Span::between(start, token_end)));
        }
        match kind {
            Kind::Scalar(style) => {
                let token = self.scanner.take();
                self.pop_state();
                let value = match token.data {
                    Data::Text(value) => value,
                    _ => Cow::Borrowed(""),
                };
                let event = Event::Scalar {
                    value,
                    style,
                    anchor,
                    tag,
                };
                Ok((event, Span::between(start, token.end)))
            }
            Kind::FlowSequenceStart => {
                self.state = State::FlowSequenceFirstEntry;
                let event = Event::SequenceStart {
                    anchor,
                    tag,
                    flow: true,
                };
                Ok((event, Span::between(start, token_end)))
            }
            Kind::FlowMappingStart => {
                self.state = State::FlowMappingFirstKey;
                let event = Event::MappingStart {
                    anchor,
                    tag,
                    flow: true,
                };
                Ok((event, Span::between(start, token_end)))
            }
            Kind::BlockSequenceStart if block => {
                self.state = State::BlockSequenceFirstEntry;
                let event = Event::SequenceStart {
                    anchor,
                    tag,
                    flow: false,
                };
                Ok((event, Span::between(start, token_end)))
            }
            Kind::BlockMappingStart if block => {
                self.state = State::BlockMappingFirstKey;
                let event = Event::MappingStart {
                    anchor,
                    tag,
                    flow: false,
                };
                Ok((event, Span::between(start, token_end)))
            }
            _ if anchor > 0 || tag.is_some() => {
                // Properties with no content make an empty scalar.
                self.pop_state();
                let event = Event::Scalar {
                    value: Cow::Borrowed(""),
                    style: ScalarStyle::Plain,
                    anchor,
                    tag,
                };
                Ok((event, Span::between(start, end)))
            }
            _ => {
                let context = if block {
                    "while parsing a block node"
                } else {
                    "while parsing a flow node"
                };
                Err(Self::error_in(
                    context,
                    start,
                    "did not find expected node content",
                    token_start,
                ))
            }
        }
    }

    fn anchor_name(&self, token: &Token<'a>) -> &'a str {
        // Anchor names never contain escapes, so the name is the input after the indicator.
        // Slicing the input gives it the input's lifetime.
        let start = token.start.offset + 1;
        self.input.get(start..token.end.offset).unwrap_or_default()
    }

    /// Numbers a new anchor. A redefined name gets a new number, so aliases before the
    /// redefinition keep the earlier node.
    fn define_anchor(&mut self, name: &'a str) -> usize {
        self.anchor_count += 1;
        self.anchors.insert(name, self.anchor_count);
        self.anchor_count
    }

    /// Joins a tag's handle and suffix, looking the handle up in the document's `%TAG`
    /// directives and the default handles.
    fn resolve_tag(
        &self,
        handle: Cow<'a, str>,
        suffix: Cow<'a, str>,
        start: Mark,
        tag_mark: Mark,
    ) -> Result<Cow<'a, str>, SyntaxError> {
        if handle.is_empty() {
            return Ok(suffix);
        }
        let Some((_, prefix)) = self.tag_handles.iter().find(|(h, _)| *h == handle) else {
            return Err(Self::error_in(
                "while parsing a node",
                start,
                "found undefined tag handle",
                tag_mark,
            ));
        };
        // `!name` with the default `!` handle is the tag text as written.
        if prefix == "!"
            && handle == "!"
            && let Cow::Borrowed(suffix) = suffix
        {
            let written = self
                .input
                .get(tag_mark.offset..tag_mark.offset + 1 + suffix.len());
            if let Some(written) = written
                && written.get(1..) == Some(suffix)
            {
                return Ok(Cow::Borrowed(written));
            }
        }
        Ok(Cow::Owned(format!("{prefix}{suffix}")))
    }

    // Block collections.

    fn block_sequence_entry(&mut self, first: bool) -> Parse<'a> {
        if first {
            let (_, start, _) = self.peek()?;
            self.marks.push(start);
            self.skip();
        }
        let (kind, start, end) = self.peek()?;
        match kind {
            Kind::BlockEntry => {
                self.skip();
                let (next, _, _) = self.peek()?;
                if matches!(next, Kind::BlockEntry | Kind::BlockEnd) {
                    self.state = State::BlockSequenceEntry;
                    return Ok(Self::empty_scalar(end));
                }
                self.states.push(State::BlockSequenceEntry);
                self.node(true, false)
            }
            Kind::BlockEnd => {
                self.pop_state();
                self.pop_mark();
                self.skip();
                Ok((Event::SequenceEnd, Span::between(start, end)))
            }
            _ => {
                let context_mark = self.pop_mark();
                Err(Self::error_in(
                    "while parsing a block collection",
                    context_mark,
                    "did not find expected '-' indicator",
                    start,
                ))
            }
        }
    }

    fn indentless_sequence_entry(&mut self) -> Parse<'a> {
        let (kind, start, end) = self.peek()?;
        if kind != Kind::BlockEntry {
            self.pop_state();
            return Ok((Event::SequenceEnd, Span::between(start, start)));
        }
        self.skip();
        let (next, _, _) = self.peek()?;
        if matches!(
            next,
            Kind::BlockEntry | Kind::Key | Kind::Value | Kind::BlockEnd
        ) {
            self.state = State::IndentlessSequenceEntry;
            return Ok(Self::empty_scalar(end));
        }
        self.states.push(State::IndentlessSequenceEntry);
        self.node(true, false)
    }

    fn block_mapping_key(&mut self, first: bool) -> Parse<'a> {
        if first {
            let (_, start, _) = self.peek()?;
            self.marks.push(start);
            self.skip();
        }
        let (kind, start, end) = self.peek()?;
        match kind {
            Kind::Key => {
                self.skip();
                let (next, _, _) = self.peek()?;
                if matches!(next, Kind::Key | Kind::Value | Kind::BlockEnd) {
                    self.state = State::BlockMappingValue;
                    return Ok(Self::empty_scalar(end));
                }
                self.states.push(State::BlockMappingValue);
                self.node(true, true)
            }
            Kind::BlockEnd => {
                self.pop_state();
                self.pop_mark();
                self.skip();
                Ok((Event::MappingEnd, Span::between(start, end)))
            }
            _ => {
                let context_mark = self.pop_mark();
                Err(Self::error_in(
                    "while parsing a block mapping",
                    context_mark,
                    "did not find expected key",
                    start,
                ))
            }
        }
    }

    fn block_mapping_value(&mut self) -> Parse<'a> {
        let (kind, start, end) = self.peek()?;
        if kind != Kind::Value {
            self.state = State::BlockMappingKey;
            return Ok(Self::empty_scalar(start));
        }
        self.skip();
        let (next, _, _) = self.peek()?;
        if matches!(next, Kind::Key | Kind::Value | Kind::BlockEnd) {
            self.state = State::BlockMappingKey;
            return Ok(Self::empty_scalar(end));
        }
        self.states.push(State::BlockMappingKey);
        self.node(true, true)
    }

    // Flow collections.

    fn flow_sequence_entry(&mut self, first: bool) -> Parse<'a> {
        if first {
            let (_, start, _) = self.peek()?;
            self.marks.push(start);
            self.skip();
        }
        let (mut kind, mut start, mut end) = self.peek()?;
        if kind != Kind::FlowSequenceEnd {
            if !first {
                if kind != Kind::FlowEntry {
                    let context_mark = self.pop_mark();
                    return Err(Self::error_in(
                        "while parsing a flow sequence",
                        context_mark,
                        "did not find expected ',' or ']'",
                        start,
                    ));
                }
                self.skip();
                (kind, start, end) = self.peek()?;
            }
            if kind == Kind::Key {
                // `[? a : b]` or `[a: b]`: a single-pair mapping inside the sequence.
                self.state = State::FlowSequenceEntryMappingKey;
                self.skip();
                let event = Event::MappingStart {
                    anchor: 0,
                    tag: None,
                    flow: true,
                };
                return Ok((event, Span::between(start, end)));
            }
            if kind != Kind::FlowSequenceEnd {
                self.states.push(State::FlowSequenceEntry);
                return self.node(false, false);
            }
        }
        self.pop_state();
        self.pop_mark();
        self.skip();
        Ok((Event::SequenceEnd, Span::between(start, end)))
    }

    fn flow_sequence_entry_mapping_key(&mut self) -> Parse<'a> {
        let (kind, _, end) = self.peek()?;
        if matches!(kind, Kind::Value | Kind::FlowEntry | Kind::FlowSequenceEnd) {
            // libyaml consumes the token after an empty `?` key, so `[? : b]` and `[?]` fail
            // later with a missing `,` or `]`.
            self.skip();
            self.state = State::FlowSequenceEntryMappingValue;
            return Ok(Self::empty_scalar(end));
        }
        self.states.push(State::FlowSequenceEntryMappingValue);
        self.node(false, false)
    }

    fn flow_sequence_entry_mapping_value(&mut self) -> Parse<'a> {
        let (mut kind, mut start, _) = self.peek()?;
        if kind == Kind::Value {
            self.skip();
            (kind, start, _) = self.peek()?;
            if !matches!(kind, Kind::FlowEntry | Kind::FlowSequenceEnd) {
                self.states.push(State::FlowSequenceEntryMappingEnd);
                return self.node(false, false);
            }
        }
        self.state = State::FlowSequenceEntryMappingEnd;
        Ok(Self::empty_scalar(start))
    }

    fn flow_sequence_entry_mapping_end(&mut self) -> Parse<'a> {
        let (_, start, _) = self.peek()?;
        self.state = State::FlowSequenceEntry;
        Ok((Event::MappingEnd, Span::between(start, start)))
    }

    fn flow_mapping_key(&mut self, first: bool) -> Parse<'a> {
        if first {
            let (_, start, _) = self.peek()?;
            self.marks.push(start);
            self.skip();
        }
        let (mut kind, mut start, mut end) = self.peek()?;
        if kind != Kind::FlowMappingEnd {
            if !first {
                if kind != Kind::FlowEntry {
                    let context_mark = self.pop_mark();
                    return Err(Self::error_in(
                        "while parsing a flow mapping",
                        context_mark,
                        "did not find expected ',' or '}'",
                        start,
                    ));
                }
                self.skip();
                (kind, start, end) = self.peek()?;
            }
            if kind == Kind::Key {
                self.skip();
                let (next, next_start, _) = self.peek()?;
                if matches!(next, Kind::Value | Kind::FlowEntry | Kind::FlowMappingEnd) {
                    self.state = State::FlowMappingValue;
                    return Ok(Self::empty_scalar(next_start));
                }
                self.states.push(State::FlowMappingValue);
                return self.node(false, false);
            }
            if kind != Kind::FlowMappingEnd {
                self.states.push(State::FlowMappingEmptyValue);
                return self.node(false, false);
            }
        }
        self.pop_state();
        self.pop_mark();
        self.skip();
        Ok((Event::MappingEnd, Span::between(start, end)))
    }

    fn flow_mapping_value(&mut self, empty: bool) -> Parse<'a> {
        let (mut kind, mut start, _) = self.peek()?;
        if empty {
            self.state = State::FlowMappingKey;
            return Ok(Self::empty_scalar(start));
        }
        if kind == Kind::Value {
            self.skip();
            (kind, start, _) = self.peek()?;
            if !matches!(kind, Kind::FlowEntry | Kind::FlowMappingEnd) {
                self.states.push(State::FlowMappingKey);
                return self.node(false, false);
            }
        }
        self.state = State::FlowMappingKey;
        Ok(Self::empty_scalar(start))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes the events of `input` one a line, in the form Psych's event handler reports
    /// them, ending with `ERR <message> at line L column C` on a syntax error.
    pub(crate) fn dump(input: &str) -> String {
        let mut parser = Parser::new(input);
        let mut names: HashMap<usize, String> = HashMap::default();
        let mut lines = Vec::new();
        let properties =
            |anchor: usize, tag: &Option<Cow<'_, str>>, names: &HashMap<usize, String>| {
                let mut out = String::new();
                if let Some(name) = names.get(&anchor) {
                    out.push_str(&format!("&{name} "));
                }
                if let Some(tag) = tag {
                    out.push_str(&format!("<{tag}> "));
                }
                out
            };
        while let Some(next) = parser.next_event() {
            for (name, id) in &parser.anchors {
                names.insert(*id, (*name).to_owned());
            }
            let line = match next {
                Err(error) => format!(
                    "ERR {} at line {} column {}",
                    error.message(),
                    error.line(),
                    error.column()
                ),
                Ok((event, span)) => match event {
                    Event::StreamStart | Event::StreamEnd => continue,
                    Event::DocumentStart => "+DOC".to_owned(),
                    Event::DocumentEnd => "-DOC".to_owned(),
                    Event::Alias(_) => {
                        let name = input.get(span.start + 1..span.end).unwrap_or_default();
                        format!("=ALI *{name}")
                    }
                    Event::Scalar {
                        value,
                        style,
                        anchor,
                        tag,
                    } => {
                        let style = match style {
                            ScalarStyle::Plain => 1,
                            ScalarStyle::SingleQuoted => 2,
                            ScalarStyle::DoubleQuoted => 3,
                            ScalarStyle::Literal => 4,
                            ScalarStyle::Folded => 5,
                        };
                        let value = serde_json::to_string(value.as_ref()).unwrap_or_default();
                        format!("=VAL {}{style}{value}", properties(anchor, &tag, &names))
                    }
                    Event::SequenceStart { anchor, tag, flow } => {
                        let style = if flow { 2 } else { 1 };
                        format!("+SEQ {}{style}", properties(anchor, &tag, &names))
                    }
                    Event::SequenceEnd => "-SEQ".to_owned(),
                    Event::MappingStart { anchor, tag, flow } => {
                        let style = if flow { 2 } else { 1 };
                        format!("+MAP {}{style}", properties(anchor, &tag, &names))
                    }
                    Event::MappingEnd => "-MAP".to_owned(),
                },
            };
            lines.push(line);
        }
        lines.join("\n")
    }

    #[test]
    fn events_table() {
        let cases = [
            (
                "a: 1\n",
                "+DOC\n+MAP 1\n=VAL 1\"a\"\n=VAL 1\"1\"\n-MAP\n-DOC",
            ),
            (
                "- a\n- [b]\n",
                "+DOC\n+SEQ 1\n=VAL 1\"a\"\n+SEQ 2\n=VAL 1\"b\"\n-SEQ\n-SEQ\n-DOC",
            ),
            (
                "a:\n- b\n",
                "+DOC\n+MAP 1\n=VAL 1\"a\"\n+SEQ 1\n=VAL 1\"b\"\n-SEQ\n-MAP\n-DOC",
            ),
            (
                "? a\n: b\n",
                "+DOC\n+MAP 1\n=VAL 1\"a\"\n=VAL 1\"b\"\n-MAP\n-DOC",
            ),
            (
                "[a: b]",
                "+DOC\n+SEQ 2\n+MAP 2\n=VAL 1\"a\"\n=VAL 1\"b\"\n-MAP\n-SEQ\n-DOC",
            ),
            (
                "{a, b: }",
                "+DOC\n+MAP 2\n=VAL 1\"a\"\n=VAL 1\"\"\n=VAL 1\"b\"\n=VAL 1\"\"\n-MAP\n-DOC",
            ),
            (
                "&x a: *x\n",
                "+DOC\n+MAP 1\n=VAL &x 1\"a\"\n=ALI *x\n-MAP\n-DOC",
            ),
            ("!!str a", "+DOC\n=VAL <tag:yaml.org,2002:str> 1\"a\"\n-DOC"),
            (
                "%TAG !e! tag:e,1:\n--- !e!x a",
                "+DOC\n=VAL <tag:e,1:x> 1\"a\"\n-DOC",
            ),
            (
                "!reference [a]",
                "+DOC\n+SEQ <!reference> 2\n=VAL 1\"a\"\n-SEQ\n-DOC",
            ),
            ("--- a\n...\n", "+DOC\n=VAL 1\"a\"\n-DOC"),
            ("", ""),
            (
                "key:\n  \"multi\n line\"\n",
                "+DOC\n+MAP 1\n=VAL 1\"key\"\n=VAL 3\"multi line\"\n-MAP\n-DOC",
            ),
            (
                "k: [a,\nb]\n",
                "+DOC\n+MAP 1\n=VAL 1\"k\"\n+SEQ 2\n=VAL 1\"a\"\n=VAL 1\"b\"\n-SEQ\n-MAP\n-DOC",
            ),
            (
                "a:\t1\n",
                "+DOC\n+MAP 1\n=VAL 1\"a\"\n=VAL 1\"1\"\n-MAP\n-DOC",
            ),
            ("[x]# c\n", "+DOC\n+SEQ 2\n=VAL 1\"x\"\n-SEQ\n-DOC"),
        ];
        for (input, expected) in cases {
            assert_eq!(dump(input), expected, "{input:?}");
        }
    }

    #[test]
    fn parser_errors() {
        let cases = [
            (
                "a:\n  b: 1\n c: 2\n",
                "did not find expected key while parsing a block mapping at line 1 column 1",
            ),
            (
                "a: 1\n- b\n",
                "did not find expected key while parsing a block mapping at line 1 column 1",
            ),
            (
                "a: {b: 1\n",
                "did not find expected ',' or '}' while parsing a flow mapping at line 1 column 4",
            ),
            (
                "a: [b\n",
                "did not find expected ',' or ']' while parsing a flow sequence at line 1 column 4",
            ),
            (
                "- a\nb: c\n",
                "did not find expected '-' indicator while parsing a block collection at line 1 column 1",
            ),
            (
                "%YAML 2.0\n--- a",
                "found incompatible YAML document at line 1 column 1",
            ),
            (
                "a: !e!x y",
                "found undefined tag handle while parsing a node at line 1 column 4",
            ),
            (
                "[? ]",
                "did not find expected ',' or ']' while parsing a flow sequence at line 1 column 1",
            ),
            ("a\n%FOO x\n--- b", ""),
        ];
        for (input, expected) in cases {
            let dumped = dump(input);
            let error = dumped
                .lines()
                .find_map(|line| line.strip_prefix("ERR "))
                .unwrap_or_default();
            assert_eq!(error, expected, "{input:?}");
        }
    }

    #[test]
    fn aliases_number_latest_anchor() {
        let mut parser = Parser::new("a: &x 1\nb: *x\nc: &x 2\nd: *x\ne: *y\n");
        let mut aliases = Vec::new();
        while let Some(Ok((event, _))) = parser.next_event() {
            if let Event::Alias(id) = event {
                aliases.push(id);
            }
        }
        assert_eq!(aliases, [1, 2, 0]);
    }

    #[test]
    fn spans_are_bytes() {
        let mut parser = Parser::new("é: [ü, 'x']\n");
        let mut spans = Vec::new();
        while let Some(Ok((event, span))) = parser.next_event() {
            if matches!(
                event,
                Event::Scalar { .. } | Event::SequenceStart { .. } | Event::SequenceEnd
            ) {
                spans.push((span.start, span.end));
            }
        }
        assert_eq!(spans, [(0, 2), (4, 5), (5, 7), (9, 12), (12, 13)]);
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        let depth = 100_000;
        let input = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let mut parser = Parser::new(&input);
        let mut events = 0;
        while let Some(next) = parser.next_event() {
            assert!(next.is_ok());
            events += 1;
        }
        assert_eq!(events, 2 * depth + 4);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    /// Parses `input` to the end and checks that every span lies inside it on character
    /// boundaries, and that the parser stops.
    fn parse_all(input: &str) {
        let mut parser = Parser::new(input);
        // Each event consumes at least one token or closes a collection, so the count is
        // bounded by the input's length.
        let max_events = 4 * input.len() + 8;
        let mut events = 0;
        while let Some(next) = parser.next_event() {
            events += 1;
            assert!(events <= max_events, "no end after {events} events");
            let (start, end) = match next {
                Ok((_, span)) => (span.start, span.end),
                Err(error) => (error.problem_mark.offset, error.context_mark.offset),
            };
            for at in [start, end] {
                assert!(at <= input.len(), "{at} past {}", input.len());
                assert!(input.is_char_boundary(at), "{at} inside a character");
            }
        }
    }

    /// Characters that change how YAML scans, plus a few multi-byte ones.
    const ALPHABET: &str = " \t\n\r-?:,[]{}#&*!|>'\"%@`\\.~ab01é\u{85}\u{2028}\u{feff}";

    fn yamlish() -> impl Strategy<Value = String> {
        let characters: Vec<char> = ALPHABET.chars().collect();
        proptest::collection::vec(proptest::sample::select(characters), 0..120)
            .prop_map(|characters| characters.into_iter().collect())
    }

    proptest! {
        #[test]
        fn any_string_parses_without_panic(input in any::<String>()) {
            parse_all(&input);
        }

        #[test]
        fn yaml_characters_parse_without_panic(input in yamlish()) {
            parse_all(&input);
        }
    }
}
