//! The `spec:` header document: parsing and validating `spec:inputs`.
//!
//! GitLab validates the header with its configuration entries (`Header::Root`, `Header::Spec`,
//! `Header::Input`), so the messages have the entry form `header:spec:inputs:<name> config
//! should be a hash`, lower-cased as a whole like every entry message.

use crate::diagnostic::Diagnostic;
use crate::limits::Limits;
use crate::source::Span;
use crate::yaml::{Entry, Key, Mapping, Node, Value};

use super::Problem;
use super::ruby;

/// The type of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InputType {
    /// `type: string`, the default.
    String,
    /// `type: number` (integer or float).
    Number,
    /// `type: boolean`.
    Boolean,
    /// `type: array`.
    Array,
}

impl InputType {
    /// GitLab's type names, in the order its messages list them.
    pub(super) const NAMES: [&'static str; 4] = ["array", "boolean", "number", "string"];

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "string" => Some(InputType::String),
            "number" => Some(InputType::Number),
            "boolean" => Some(InputType::Boolean),
            "array" => Some(InputType::Array),
            _ => None,
        }
    }
}

/// One declared input.
#[derive(Debug, Clone)]
pub(super) struct InputSpec {
    /// The input's name as written.
    pub name: Key,
    /// Where the name is written.
    pub key_span: Span,
    /// The type, or `None` when the declaration matches no type (a `type:` key whose value is
    /// null), which GitLab reports as an unknown input specification.
    pub input_type: Option<InputType>,
    /// `default`, when the key is present (even with a null value).
    pub default: Option<Node>,
    /// `options`, when present and not null.
    pub options: Option<Node>,
    /// `regex`, when the key is present (even with a null value).
    pub regex: Option<Node>,
    /// Spans of the `type`, `options` and `regex` entries, for problems with a value that comes
    /// from no file.
    pub entry_spans: EntrySpans,
}

/// Spans of the entries of an input declaration that a value is checked against, each from the
/// key to the end of its value.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct EntrySpans {
    pub type_entry: Option<Span>,
    pub options_entry: Option<Span>,
    pub regex_entry: Option<Span>,
}

/// A parsed header: the declared inputs and warnings about header keys glplan does not apply.
#[derive(Debug, Default)]
pub(super) struct Header {
    /// Declared inputs in header order.
    pub inputs: Vec<InputSpec>,
    /// Location of a problem with the inputs as a whole: the `inputs` key of `spec`, else the
    /// `spec` key, else the whole header.
    pub inputs_span: Span,
    /// Warnings about keys that are valid in GitLab but ignored here.
    pub warnings: Vec<Diagnostic>,
}

const ROOT_KEYS: &[&str] = &["spec"];
const SPEC_KEYS: &[&str] = &["inputs", "include", "component"];
const INPUT_KEYS: &[&str] = &[
    "default",
    "description",
    "options",
    "regex",
    "type",
    "rules",
];

/// Parses and validates the header document. Returns every problem GitLab's header entries
/// would report; like GitLab, a node with problems of its own is not looked into further.
pub(super) fn parse_header(header: &Node, limits: &Limits) -> Result<Header, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut parsed = Header {
        inputs_span: header.span,
        ..Header::default()
    };

    let Some(root) = header.as_map() else {
        problems.push(problem("header config should be a hash", header.span));
        return Err(problems);
    };
    if unknown_keys("header", root, ROOT_KEYS, &mut problems) {
        return Err(problems);
    }

    if let Some(entry) = root.entry("spec") {
        parsed.inputs_span = entry.key_span;
    }
    let Some(spec) = root.get("spec").filter(|spec| !spec.is_null()) else {
        return Ok(parsed);
    };
    let Some(spec_map) = spec.as_map() else {
        problems.push(problem("header:spec config should be a hash", spec.span));
        return Err(problems);
    };
    if unknown_keys("header:spec", spec_map, SPEC_KEYS, &mut problems) {
        return Err(problems);
    }
    for keyword in ["include", "component"] {
        if let Some(entry) = spec_map.entry(keyword) {
            parsed.warnings.push(
                Diagnostic::warning(
                    "spec-keyword-not-supported",
                    format!("`spec:{keyword}` is not supported by glplan and is ignored"),
                )
                .with_span(entry.key_span),
            );
        }
    }

    if let Some(entry) = spec_map.entry("inputs") {
        parsed.inputs_span = entry.key_span;
    }
    let Some(inputs) = spec_map.get("inputs").filter(|inputs| !inputs.is_null()) else {
        return Ok(parsed);
    };
    let Some(inputs_map) = inputs.as_map() else {
        problems.push(problem(
            "header:spec:inputs config should be a hash",
            inputs.span,
        ));
        return Err(problems);
    };
    for (name, entry) in inputs_map.entries() {
        if let Some(spec) = parse_input(name, entry.key_span, &entry.value, limits, &mut problems) {
            if let Some(rules) = spec_rules(&entry.value) {
                parsed.warnings.push(
                    Diagnostic::warning(
                        "spec-keyword-not-supported",
                        format!(
                            "`rules` of input `{name}` are not supported by glplan and are ignored"
                        ),
                    )
                    .with_span(rules.span),
                );
            }
            parsed.inputs.push(spec);
        }
    }

    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(problems)
    }
}

fn spec_rules(value: &Node) -> Option<&Node> {
    value.get("rules")
}

/// Validates one input declaration as `Header::Input` does and returns it when valid.
fn parse_input(
    name: &Key,
    key_span: Span,
    value: &Node,
    limits: &Limits,
    problems: &mut Vec<Problem>,
) -> Option<InputSpec> {
    let location = format!("header:spec:inputs:{name}");
    let before = problems.len();
    let empty = Mapping::new();
    let map = match &value.value {
        Value::Null => &empty,
        Value::Map(map) => map,
        _ => {
            problems.push(problem(
                format!("{location} config should be a hash"),
                value.span,
            ));
            return None;
        }
    };

    unknown_keys(&location, map, INPUT_KEYS, problems);
    if !matches!(name, Key::String(_) | Key::Int(_)) {
        let message = format!("{location} key must be an alphanumeric string");
        problems.push(problem(message, key_span));
    }
    if let Some(description) = map.get("description") {
        let alphanumeric = matches!(
            description.value,
            Value::Null | Value::String(_) | Value::Int(_) | Value::BigInt(_)
        );
        if !alphanumeric {
            let message = format!("{location} input description must be an alphanumeric string");
            problems.push(problem(message, description.span));
        }
    }
    if let Some(regex) = map.get("regex")
        && !matches!(regex.value, Value::Null | Value::String(_))
    {
        let message = format!("{location} input regex should be a string");
        problems.push(problem(message, regex.span));
    }
    let type_node = map.get("type");
    if let Some(type_node) = type_node.filter(|node| !node.is_null()) {
        let name_ok = type_node
            .as_str()
            .is_some_and(|t| InputType::from_name(t).is_some());
        if !name_ok {
            let type_text = ruby::to_s(type_node);
            let message = format!("{location} input type unknown value: {type_text}");
            problems.push(problem(message, type_node.span));
        }
    }
    let options = map.get("options").filter(|node| !node.is_null());
    if let Some(options) = options {
        let count = match &options.value {
            Value::Seq(items) => items.len(),
            // Ruby's `size` also works on a string, so GitLab counts its characters.
            Value::String(s) => s.chars().count(),
            _ => 0,
        };
        if options.as_seq().is_none() {
            let message = format!("{location} input options should be an array");
            problems.push(problem(message, options.span));
        }
        if count > limits.max_input_options {
            let message = format!(
                "{location} config cannot define more than {} options",
                limits.max_input_options
            );
            problems.push(problem(message, options.span));
        }
    }
    if problems.len() > before {
        return None;
    }

    let input_type = match type_node {
        None => Some(InputType::String),
        Some(node) => node.as_str().and_then(InputType::from_name),
    };
    Some(InputSpec {
        name: name.clone(),
        key_span,
        input_type,
        default: map.get("default").cloned(),
        options: options.cloned(),
        regex: map.get("regex").cloned(),
        entry_spans: EntrySpans {
            type_entry: map.entry("type").map(entry_span),
            options_entry: map.entry("options").map(entry_span),
            regex_entry: map.entry("regex").map(entry_span),
        },
    })
}

/// Returns the span from an entry's key to the end of its value, or the key's span when the
/// value is not after the key in the same file.
fn entry_span(entry: &Entry) -> Span {
    let key = entry.key_span;
    let value = entry.value.span;
    if value.file == key.file && value.end >= key.end {
        Span::new(key.file, key.start, value.end)
    } else {
        key
    }
}

/// Reports GitLab's `<location> config contains unknown keys: a, b` and returns whether any
/// key was unknown.
fn unknown_keys(
    location: &str,
    map: &Mapping,
    allowed: &[&str],
    problems: &mut Vec<Problem>,
) -> bool {
    let unknown: Vec<(String, Span)> = map
        .entries()
        .filter(|(key, _)| !key.as_str().is_some_and(|k| allowed.contains(&k)))
        .map(|(key, entry)| (key.to_string(), entry.key_span))
        .collect();
    let Some((_, first_span)) = unknown.first() else {
        return false;
    };
    let names: Vec<&str> = unknown.iter().map(|(name, _)| name.as_str()).collect();
    let message = format!(
        "{location} config contains unknown keys: {}",
        names.join(", ")
    );
    problems.push(problem(message, *first_span));
    true
}

/// Creates a header problem. GitLab lower-cases entry messages as a whole, names included.
fn problem(message: impl Into<String>, span: Span) -> Problem {
    Problem {
        message: message.into().to_lowercase(),
        span: Some(span),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp() -> Span {
        Span::default()
    }

    fn s(text: &str) -> Node {
        Node::string(text, sp())
    }

    fn map(pairs: Vec<(&str, Node)>) -> Node {
        let mut m = Mapping::new();
        for (k, v) in pairs {
            m.insert(k, sp(), v);
        }
        Node::new(Value::Map(m), sp())
    }

    fn header(inputs: Node) -> Node {
        map(vec![("spec", map(vec![("inputs", inputs)]))])
    }

    fn messages(result: Result<Header, Vec<Problem>>) -> Vec<String> {
        match result {
            Ok(_) => Vec::new(),
            Err(problems) => problems.into_iter().map(|p| p.message).collect(),
        }
    }

    #[test]
    fn header_null_input_is_string() {
        let parsed = parse_header(
            &header(map(vec![("name", Node::null(sp()))])),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(parsed.inputs.len(), 1);
        assert_eq!(parsed.inputs[0].input_type, Some(InputType::String));
        assert!(parsed.inputs[0].default.is_none());
    }

    #[test]
    fn header_types() {
        let inputs = map(vec![
            ("a", map(vec![("type", s("array"))])),
            ("b", map(vec![("type", s("boolean"))])),
            ("n", map(vec![("type", s("number"))])),
            ("s", map(vec![("type", s("string"))])),
            ("u", map(vec![("type", Node::null(sp()))])),
        ]);
        let parsed = parse_header(&header(inputs), &Limits::default()).unwrap();
        let types: Vec<Option<InputType>> = parsed.inputs.iter().map(|i| i.input_type).collect();
        assert_eq!(
            types,
            [
                Some(InputType::Array),
                Some(InputType::Boolean),
                Some(InputType::Number),
                Some(InputType::String),
                None
            ]
        );
    }

    #[test]
    fn header_errors() {
        let many_options = Node::new(
            Value::Seq((0..51).map(|i| Node::new(Value::Int(i), sp())).collect()),
            sp(),
        );
        let cases: Vec<(Node, &str)> = vec![
            (
                map(vec![("foo", s("x")), ("spec", Node::null(sp()))]),
                "header config contains unknown keys: foo",
            ),
            (
                map(vec![("spec", s("x"))]),
                "header:spec config should be a hash",
            ),
            (
                map(vec![("spec", map(vec![("Bar", s("x"))]))]),
                "header:spec config contains unknown keys: bar",
            ),
            (header(s("x")), "header:spec:inputs config should be a hash"),
            (
                header(map(vec![("Name", s("x"))])),
                "header:spec:inputs:name config should be a hash",
            ),
            (
                header(map(vec![("x", map(vec![("bogus", s("1"))]))])),
                "header:spec:inputs:x config contains unknown keys: bogus",
            ),
            (
                header(map(vec![("x", map(vec![("type", s("text"))]))])),
                "header:spec:inputs:x input type unknown value: text",
            ),
            (
                header(map(vec![("x", map(vec![("options", s("a"))]))])),
                "header:spec:inputs:x input options should be an array",
            ),
            (
                header(map(vec![("x", map(vec![("regex", map(vec![]))]))])),
                "header:spec:inputs:x input regex should be a string",
            ),
            (
                header(map(vec![(
                    "x",
                    map(vec![("description", Node::new(Value::Bool(true), sp()))]),
                )])),
                "header:spec:inputs:x input description must be an alphanumeric string",
            ),
            (
                header(map(vec![("x", map(vec![("options", many_options)]))])),
                "header:spec:inputs:x config cannot define more than 50 options",
            ),
        ];
        for (node, expected) in cases {
            let got = messages(parse_header(&node, &Limits::default()));
            assert_eq!(got, [expected.to_owned()], "expected {expected:?}");
        }
    }

    #[test]
    fn header_options_at_limit_pass() {
        let options = Node::new(
            Value::Seq((0..50).map(|i| Node::new(Value::Int(i), sp())).collect()),
            sp(),
        );
        let node = header(map(vec![("x", map(vec![("options", options)]))]));
        assert!(parse_header(&node, &Limits::default()).is_ok());
    }

    #[test]
    fn header_spec_include_warns() {
        let node = map(vec![("spec", map(vec![("include", Node::null(sp()))]))]);
        let parsed = parse_header(&node, &Limits::default()).unwrap();
        assert_eq!(parsed.warnings.len(), 1);
    }
}
