//! `$[[ ... ]]` interpolation over a document body, after GitLab's `Interpolation::Template`,
//! `Block`, `Access` and `Config`.
//!
//! Only strings are scanned, mapping keys included. A string that is exactly one block becomes
//! the block's typed value; otherwise every block is replaced by its value's text. When an
//! array element becomes an array, its items are spliced into the parent array. GitLab stops
//! at the first block with a problem, so only that block's problems are reported. Blocks of
//! matrix expressions (`$[[ matrix.OS ]]`) stay as written for the expansion of `parallel`.

use crate::hash::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::limits::Limits;
use crate::source::Span;
use crate::yaml::{Entry, Key, Mapping, Node, Value};

use super::Problem;
use super::functions;
use super::ruby;

/// GitLab's block pattern: `$[[`, optional whitespace, at least two characters that start and
/// end with a non-space (no line break inside), optional whitespace, `]]`. The classes spell
/// out RE2's ASCII `\s` and `\S`, and `.` excludes only `\n`, as in RE2.
static BLOCK: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\$\[\[[\t\n\x0C\r ]*([^\t\n\x0C\r ][^\n]*?[^\t\n\x0C\r ])[\t\n\x0C\r ]*\]\]").ok()
});

/// Text that every block starts with; strings without it are not scanned.
const BLOCK_PREFIX: &str = "$[[";

/// Root of the matrix expressions, which input interpolation leaves in place.
const MATRIX_ROOT: &str = "matrix";

/// Maximum parts of an access path: GitLab splits on `.` at most into this many parts, so a
/// sixth level stays inside the fifth part's name.
const MAX_ACCESS_PARTS: usize = 5;

/// Interpolates `body` with the given input values.
pub(super) fn interpolate(
    body: Node,
    inputs: &Mapping,
    variables: &[(String, String)],
    masked: &[String],
    limits: &Limits,
    text: &str,
) -> Result<Node, Vec<Problem>> {
    let mut template = Template {
        inputs,
        variables,
        masked,
        limits,
        text,
        blocks: HashMap::default(),
        visited: 0,
    };
    template.replace(body)
}

/// The evaluation of one distinct block text: its value, or GitLab's messages.
type BlockResult = Result<Node, Vec<String>>;

struct Template<'a> {
    inputs: &'a Mapping,
    variables: &'a [(String, String)],
    /// Names of the masked variables, which `expand_vars` rejects.
    masked: &'a [String],
    limits: &'a Limits,
    text: &'a str,
    /// Every distinct block text seen so far, as GitLab memoizes them.
    blocks: HashMap<String, BlockResult>,
    /// Nodes walked so far, keys included.
    visited: usize,
}

impl Template<'_> {
    fn replace(&mut self, node: Node) -> Result<Node, Vec<Problem>> {
        self.visit(node.span)?;
        let span = node.span;
        match node.value {
            Value::Map(map) => Ok(Node::new(Value::Map(self.replace_map(map)?), span)),
            Value::Seq(items) => Ok(Node::new(Value::Seq(self.replace_seq(items)?), span)),
            Value::String(text) => self.replace_string(text, span),
            other => Ok(Node::new(other, span)),
        }
    }

    fn replace_map(&mut self, map: Mapping) -> Result<Mapping, Vec<Problem>> {
        let mut result = Mapping::new();
        for (key, Entry { key_span, value }) in map {
            let new_key = match key {
                Key::String(text) => {
                    self.visit(key_span)?;
                    node_to_key(self.replace_string(text, key_span)?)
                }
                other => {
                    self.visit(key_span)?;
                    other
                }
            };
            let new_value = self.replace(value)?;
            result.insert(new_key, key_span, new_value);
        }
        Ok(result)
    }

    fn replace_seq(&mut self, items: Vec<Node>) -> Result<Vec<Node>, Vec<Problem>> {
        let mut result = Vec::with_capacity(items.len());
        for item in items {
            let was_string = matches!(item.value, Value::String(_));
            let replaced = self.replace(item)?;
            match replaced.value {
                // An input array that replaces a string element is spliced into the array.
                Value::Seq(spliced) if was_string => result.extend(spliced),
                value => result.push(Node::new(value, replaced.span)),
            }
        }
        Ok(result)
    }

    fn replace_string(&mut self, text: String, span: Span) -> Result<Node, Vec<Problem>> {
        if text.len() > self.limits.max_interpolation_string_bytes {
            return Err(vec![self.problem("config node too large", span)]);
        }
        if !text.contains(BLOCK_PREFIX) {
            return Ok(Node::string(text, span));
        }
        let Some(block_regex) = BLOCK.as_ref() else {
            return Ok(Node::string(text, span));
        };

        // Evaluate every block of the string, stopping at the first with a problem.
        let mut found: Vec<(String, Node)> = Vec::new();
        for captures in block_regex.captures_iter(&text) {
            let (Some(whole), Some(data)) = (captures.get(0), captures.get(1)) else {
                continue;
            };
            let whole = whole.as_str();
            if !self.blocks.contains_key(whole) {
                let result = self.evaluate_block(whole, data.as_str());
                self.blocks.insert(whole.to_owned(), result);
                if self.blocks.len() > self.limits.max_interpolation_blocks {
                    return Err(vec![self.problem("too many interpolation blocks", span)]);
                }
            }
            match self.blocks.get(whole) {
                Some(Ok(value)) => found.push((whole.to_owned(), value.clone())),
                Some(Err(messages)) => {
                    let block_span = self.block_span(span, whole);
                    return Err(messages
                        .iter()
                        .map(|message| Problem {
                            message: message.clone(),
                            span: Some(block_span),
                        })
                        .collect());
                }
                None => {}
            }
        }

        // A string that is exactly one block takes the block's typed value.
        let lone = found.len() == 1
            && found
                .first()
                .is_some_and(|(block, _)| block.chars().count() == text.chars().count());
        if lone && let Some((_, value)) = found.pop() {
            return Ok(Node::new(value.value, span));
        }
        let mut result = text;
        for (block, value) in &found {
            result = ruby::gsub_literal(&result, block, &ruby::to_s(value));
        }
        Ok(Node::string(result, span))
    }

    /// Evaluates the content `data` of the block `whole`: `<access> | fn1 | fn2`.
    fn evaluate_block(&self, whole: &str, data: &str) -> BlockResult {
        let mut pieces: Vec<&str> = data.split('|').collect();
        // Ruby's `split` drops trailing empty pieces before they are stripped.
        while pieces.last().is_some_and(|piece| piece.is_empty()) {
            pieces.pop();
        }
        let pieces: Vec<&str> = pieces.into_iter().map(ruby::strip).collect();
        let (access, functions) = match pieces.split_first() {
            Some((access, functions)) => (*access, functions),
            None => ("", &[][..]),
        };

        // GitLab keeps a block whose access starts with `matrix` as written, because matrix
        // expressions in `needs` are resolved later, once per parallel job.
        if access.split('.').next() == Some(MATRIX_ROOT) {
            return Ok(Node::string(whole.to_owned(), Span::default()));
        }

        let value = self.evaluate_access(access)?;
        if functions.len() > self.limits.max_interpolation_functions {
            return Err(vec!["too many functions in interpolation block".to_owned()]);
        }
        functions::apply(functions, value, self.variables, self.masked)
    }

    /// Looks up a dotted access path such as `inputs.name`.
    fn evaluate_access(&self, access: &str) -> BlockResult {
        let parts: Vec<&str> = if access.is_empty() {
            Vec::new()
        } else {
            access.splitn(MAX_ACCESS_PARTS, '.').collect()
        };
        let mut errors = Vec::new();
        if parts.len() <= 1 {
            errors.push("invalid interpolation access pattern".to_owned());
        }
        if access.len() > self.limits.max_interpolation_access_bytes {
            errors.push("maximum interpolation expression size exceeded".to_owned());
        }
        if !errors.is_empty() {
            return Err(errors);
        }

        let unknown = |part: &str| vec![format!("unknown interpolation key: `{part}`")];
        let mut parts = parts.into_iter();
        let root = parts.next().unwrap_or_default();
        // `inputs` is the only root GitLab provides without `spec:component`.
        if root != "inputs" {
            return Err(unknown(root));
        }
        let mut current: Option<&Node> = None;
        for part in parts {
            let next = match current {
                None => self.inputs.get(part),
                Some(node) => node.get(part),
            };
            match next {
                Some(node) => current = Some(node),
                None => return Err(unknown(part)),
            }
        }
        current.cloned().ok_or_else(|| unknown(root))
    }

    /// Counts a walked node against the node limit.
    fn visit(&mut self, span: Span) -> Result<(), Vec<Problem>> {
        self.visited += 1;
        if self.visited > self.limits.max_interpolation_nodes {
            return Err(vec![self.problem("config too large", span)]);
        }
        Ok(())
    }

    /// Returns the span of `block` inside the string node at `span` when the source text
    /// contains the block as written, and the whole node otherwise.
    fn block_span(&self, span: Span, block: &str) -> Span {
        let snippet = self.text.get(span.range()).unwrap_or_default();
        match snippet.find(block) {
            Some(offset) => {
                let start = span.start + offset as u32;
                Span::new(span.file, start, start + block.len() as u32)
            }
            None => span,
        }
    }

    fn problem(&self, message: &str, span: Span) -> Problem {
        Problem {
            message: message.to_owned(),
            span: Some(span),
        }
    }
}

/// Turns an interpolated key back into a mapping key. A key interpolated to a number or a
/// boolean keeps that type, as it does in GitLab's symbolized hash.
fn node_to_key(node: Node) -> Key {
    match node.value {
        Value::String(s) => Key::String(s),
        Value::Int(i) => Key::Int(i),
        Value::BigInt(digits) => Key::Complex(digits),
        Value::Bool(b) => Key::Bool(b),
        Value::Null => Key::Null,
        Value::Float(f) => Key::Float(f),
        Value::Seq(_) | Value::Map(_) | Value::Reference(_) => {
            Key::Complex(node.to_json().to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn sp() -> Span {
        Span::default()
    }

    fn s(text: &str) -> Node {
        Node::string(text, sp())
    }

    fn n(value: Value) -> Node {
        Node::new(value, sp())
    }

    fn map(pairs: Vec<(&str, Node)>) -> Node {
        let mut m = Mapping::new();
        for (k, v) in pairs {
            m.insert(k, sp(), v);
        }
        n(Value::Map(m))
    }

    fn inputs() -> Mapping {
        let mut m = Mapping::new();
        m.insert("stage", sp(), s("build"));
        m.insert("par", sp(), n(Value::Int(2)));
        m.insert("flag", sp(), n(Value::Bool(false)));
        m.insert("jobs", sp(), n(Value::Seq(vec![s("a"), s("b")])));
        m.insert("empty", sp(), n(Value::Seq(Vec::new())));
        m.insert("csv", sp(), s("x, y"));
        m.insert("ref", sp(), s(r"\0"));
        m
    }

    fn run(body: Node) -> Result<Node, Vec<String>> {
        run_with(body, &Limits::default())
    }

    fn run_with(body: Node, limits: &Limits) -> Result<Node, Vec<String>> {
        interpolate(body, &inputs(), &[], &[], limits, "")
            .map_err(|problems| problems.into_iter().map(|p| p.message).collect())
    }

    fn value_of(body: Node) -> Value {
        run(body).unwrap().value
    }

    #[test]
    fn lone_block_keeps_type() {
        let cases = [
            ("$[[ inputs.par ]]", Value::Int(2)),
            ("$[[inputs.par]]", Value::Int(2)),
            ("$[[ inputs.flag ]]", Value::Bool(false)),
            ("$[[ inputs.stage ]]", Value::String("build".to_owned())),
        ];
        for (text, expected) in cases {
            assert_eq!(value_of(s(text)), expected, "text {text:?}");
        }
    }

    #[test]
    fn lone_array_block_stays_array() {
        let value = value_of(s("$[[ inputs.jobs ]]"));
        assert!(matches!(value, Value::Seq(ref items) if items.len() == 2));
    }

    #[test]
    fn blocks_inside_text_become_text() {
        let cases = [
            (r#"echo "par=$[[ inputs.par ]]""#, r#"echo "par=2""#),
            ("$[[ inputs.stage ]]-job", "build-job"),
            ("$[[ inputs.stage ]]$[[ inputs.stage ]]", "buildbuild"),
            ("x $[[ inputs.jobs ]]", r#"x ["a", "b"]"#),
            ("f=$[[ inputs.flag ]]", "f=false"),
            ("$[[ x ]] literal", "$[[ x ]] literal"),
            ("no blocks", "no blocks"),
        ];
        for (text, expected) in cases {
            let value = value_of(s(text));
            assert_eq!(value, Value::String(expected.to_owned()), "text {text:?}");
        }
    }

    #[test]
    fn single_character_block_is_not_a_block() {
        assert_eq!(value_of(s("$[[a]]")), Value::String("$[[a]]".to_owned()));
    }

    #[test]
    fn replacement_reads_ruby_backslash_sequences() {
        let value = value_of(s("<$[[ inputs.ref ]]>"));
        assert_eq!(value, Value::String("<$[[ inputs.ref ]]>".to_owned()));
    }

    #[test]
    fn keys_are_interpolated() {
        let body = map(vec![(
            "$[[ inputs.stage ]]-job",
            map(vec![("stage", s("$[[ inputs.stage ]]"))]),
        )]);
        let result = run(body).unwrap();
        let job = result.get("build-job").unwrap();
        assert_eq!(job.get("stage").unwrap().as_str(), Some("build"));
    }

    #[test]
    fn array_element_splices() {
        let body = n(Value::Seq(vec![
            s("first"),
            s("$[[ inputs.jobs ]]"),
            s("$[[ inputs.empty ]]"),
        ]));
        let items: Vec<String> = match run(body).unwrap().value {
            Value::Seq(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        assert_eq!(items, ["first", "a", "b"]);
    }

    #[test]
    fn function_result_splices() {
        let body = n(Value::Seq(vec![s("$[[ inputs.csv | split(',') ]]")]));
        let count = match run(body).unwrap().value {
            Value::Seq(items) => items.len(),
            _ => 0,
        };
        assert_eq!(count, 2);
    }

    #[test]
    fn access_errors() {
        let cases = [
            (
                "$[[ inputs ]]",
                vec!["invalid interpolation access pattern"],
            ),
            (
                "$[[ inputs.nope ]]",
                vec!["unknown interpolation key: `nope`"],
            ),
            (
                "$[[ other.stage ]]",
                vec!["unknown interpolation key: `other`"],
            ),
            (
                "$[[ inputs.stage.x ]]",
                vec!["unknown interpolation key: `x`"],
            ),
            (
                "$[[ inputs.stage.a.b.c.d ]]",
                vec!["unknown interpolation key: `a`"],
            ),
            (
                "$[[ inputs.stage | a | b | c | d ]]",
                vec!["too many functions in interpolation block"],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(run(s(text)).unwrap_err(), expected, "text {text:?}");
        }
    }

    #[test]
    fn matrix_blocks_stay_as_written() {
        let cases = [
            "$[[ matrix.OS ]]",
            "$[[matrix.OS]]",
            "build: [$[[ matrix.OS ]], $[[ inputs.stage ]]]",
            "$[[ matrix.OS | truncate(0,1) | a | b | c ]]",
            "$[[ matrix ]]",
        ];
        let expected = [
            "$[[ matrix.OS ]]",
            "$[[matrix.OS]]",
            "build: [$[[ matrix.OS ]], build]",
            "$[[ matrix.OS | truncate(0,1) | a | b | c ]]",
            "$[[ matrix ]]",
        ];
        for (text, expected) in cases.into_iter().zip(expected) {
            assert_eq!(
                value_of(s(text)),
                Value::String(expected.to_owned()),
                "text {text:?}"
            );
        }
    }

    #[test]
    fn access_size_limit() {
        let long = format!("$[[ inputs.{} ]]", "a".repeat(1020));
        assert_eq!(
            run(s(&long)).unwrap_err(),
            ["maximum interpolation expression size exceeded"]
        );
        let at_limit = format!("$[[ inputs.{} ]]", "a".repeat(1017));
        assert_eq!(
            run(s(&at_limit)).unwrap_err(),
            [format!("unknown interpolation key: `{}`", "a".repeat(1017))]
        );
    }

    #[test]
    fn three_functions_allowed() {
        let text = "$[[ inputs.stage | posix_quote | truncate(0,3) | expand_vars ]]";
        assert_eq!(value_of(s(text)), Value::String("bui".to_owned()));
    }

    #[test]
    fn first_failing_block_stops() {
        let body = n(Value::Seq(vec![
            s("$[[ inputs.one ]]"),
            s("$[[ inputs.two ]]"),
        ]));
        assert_eq!(run(body).unwrap_err(), ["unknown interpolation key: `one`"]);
    }

    #[test]
    fn node_limit() {
        let limits = Limits {
            max_interpolation_nodes: 3,
            ..Limits::default()
        };
        let three = n(Value::Seq(vec![s("a"), s("b")]));
        assert!(run_with(three, &limits).is_ok());
        let four = n(Value::Seq(vec![s("a"), s("b"), s("c")]));
        assert_eq!(run_with(four, &limits).unwrap_err(), ["config too large"]);
    }

    #[test]
    fn string_size_limit() {
        let limits = Limits {
            max_interpolation_string_bytes: 4,
            ..Limits::default()
        };
        assert!(run_with(s("abcd"), &limits).is_ok());
        assert_eq!(
            run_with(s("abcde"), &limits).unwrap_err(),
            ["config node too large"]
        );
    }

    #[test]
    fn block_limit() {
        let limits = Limits {
            max_interpolation_blocks: 2,
            ..Limits::default()
        };
        let two = s("$[[ inputs.stage ]] $[[ inputs.par ]]");
        assert!(run_with(two, &limits).is_ok());
        let three = s("$[[ inputs.stage ]] $[[ inputs.par ]] $[[ inputs.flag ]]");
        assert_eq!(
            run_with(three, &limits).unwrap_err(),
            ["too many interpolation blocks"]
        );
    }

    #[test]
    fn repeated_block_counts_once() {
        let limits = Limits {
            max_interpolation_blocks: 1,
            ..Limits::default()
        };
        let body = n(Value::Seq(vec![
            s("$[[ inputs.stage ]]"),
            s("$[[ inputs.stage ]]"),
        ]));
        assert!(run_with(body, &limits).is_ok());
    }

    #[test]
    fn error_span_narrows_to_block() {
        let text = "key: x $[[ inputs.nope ]] y";
        let span = Span::new(FileId(0), 5, text.len() as u32);
        let body = Node::string("x $[[ inputs.nope ]] y", span);
        let problems =
            interpolate(body, &inputs(), &[], &[], &Limits::default(), text).unwrap_err();
        assert_eq!(problems[0].span, Some(Span::new(FileId(0), 7, 25)));
    }
}
