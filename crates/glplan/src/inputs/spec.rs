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
use super::rules::{self, InputRule};

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
    /// `rules`, when present and not null. GitLab forbids them next to `options` and `default`.
    pub rules: Option<Vec<InputRule>>,
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
        let value = &entry.value;
        let warnings = &mut parsed.warnings;
        if let Some(spec) =
            parse_input(name, entry.key_span, value, limits, &mut problems, warnings)
        {
            parsed.inputs.push(spec);
        }
    }
    check_rule_references(inputs_map, &parsed.inputs, &mut problems);

    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(problems)
    }
}

/// Checks the inputs that the rules' `if:` read, as GitLab's `Header::Inputs::Validator`
/// does once the inputs are composed: each must be declared, and the reads must form no cycle
/// (an input that reads itself included). GitLab reports a cycle once, on the first input.
fn check_rule_references(inputs_map: &Mapping, inputs: &[InputSpec], problems: &mut Vec<Problem>) {
    let declared: Vec<String> = inputs_map
        .entries()
        .map(|(name, _)| name.to_string())
        .collect();
    let mut reads: Vec<(String, Vec<String>)> = Vec::new();
    // GitLab lists the errors by input, and the cycle error goes after the first input's own.
    let mut undefined_problems: Vec<(String, Problem)> = Vec::new();

    for input in inputs {
        let Some(input_rules) = &input.rules else {
            continue;
        };
        let name = input.name.to_string();
        let mut read_by_input = Vec::new();
        for (index, rule) in input_rules.iter().enumerate() {
            let Some(expression) = rule.condition.as_ref().and_then(|c| c.expression.as_ref())
            else {
                continue;
            };
            let names = expression.input_names();
            let undefined: Vec<&str> = names
                .iter()
                .copied()
                .filter(|read| !declared.iter().any(|d| d == read))
                .collect();
            if !undefined.is_empty() {
                let message = format!(
                    "header:spec:inputs:{name} config rule[{index}] references undefined \
                     inputs: {}",
                    undefined.join(", ")
                );
                undefined_problems.push((name.clone(), problem(message, input.key_span)));
            }
            read_by_input.extend(names.into_iter().map(str::to_owned));
        }
        reads.push((name, read_by_input));
    }

    let first = inputs_map.entries().next();
    let first_name = first.map(|(name, _)| name.to_string());
    let (of_first, of_others): (Vec<_>, Vec<_>) = undefined_problems
        .into_iter()
        .partition(|(name, _)| Some(name) == first_name.as_ref());
    problems.extend(of_first.into_iter().map(|(_, problem)| problem));
    if has_cycle(&reads)
        && let Some((first, entry)) = first
    {
        let message = format!("header:spec:inputs:{first} config circular dependency detected");
        problems.push(problem(message, entry.key_span));
    }
    problems.extend(of_others.into_iter().map(|(_, problem)| problem));
}

/// Returns whether the graph of `reads` (an input and the inputs it reads) has a cycle.
fn has_cycle(reads: &[(String, Vec<String>)]) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(node: usize, reads: &[(String, Vec<String>)], marks: &mut [Mark]) -> bool {
        match marks.get(node) {
            Some(Mark::Open) => return true,
            Some(Mark::Done) | None => return false,
            Some(Mark::New) => {}
        }
        if let Some(mark) = marks.get_mut(node) {
            *mark = Mark::Open;
        }
        let children = reads
            .get(node)
            .map(|(_, read)| read.as_slice())
            .unwrap_or_default();
        for child in children {
            let index = reads.iter().position(|(name, _)| name == child);
            if index.is_some_and(|index| visit(index, reads, marks)) {
                return true;
            }
        }
        if let Some(mark) = marks.get_mut(node) {
            *mark = Mark::Done;
        }
        false
    }
    let mut marks = vec![Mark::New; reads.len()];
    (0..reads.len()).any(|node| visit(node, reads, &mut marks))
}

/// Validates one input declaration as `Header::Input` does and returns it when valid.
fn parse_input(
    name: &Key,
    key_span: Span,
    value: &Node,
    limits: &Limits,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Diagnostic>,
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
        if options
            .as_seq()
            .is_some_and(|items| items.iter().any(Node::is_null))
        {
            let message = format!("{location} config options array cannot contain null values");
            problems.push(problem(message, options.span));
        }
    }
    for exclusive in [["rules", "options"], ["rules", "default"]] {
        exclusive_keys(&location, map, &exclusive, problems);
    }
    if problems.len() > before {
        return None;
    }

    // GitLab validates the rules only when the input itself is valid.
    let rules = match map.get("rules").filter(|node| !node.is_null()) {
        Some(node) => Some(rules::parse_rules(
            &location, node, limits, problems, warnings,
        )?),
        None => None,
    };

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
        rules,
        entry_spans: EntrySpans {
            type_entry: map.entry("type").map(entry_span),
            options_entry: map.entry("options").map(entry_span),
            regex_entry: map.entry("regex").map(entry_span),
        },
    })
}

/// Returns the span from an entry's key to the end of its value, or the key's span when the
/// value is not after the key in the same file.
pub(super) fn entry_span(entry: &Entry) -> Span {
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
pub(super) fn unknown_keys(
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

/// Reports GitLab's `<location> config these keys cannot be used together: a, b` when `map`
/// has every key of `keys`. The keys are listed in the order the map has them.
fn exclusive_keys(location: &str, map: &Mapping, keys: &[&str], problems: &mut Vec<Problem>) {
    let present: Vec<(&str, Span)> = map
        .entries()
        .filter_map(|(key, entry)| key.as_str().map(|k| (k, entry.key_span)))
        .filter(|(key, _)| keys.contains(key))
        .collect();
    if let [(_, first_span), _, ..] = present.as_slice() {
        let names: Vec<&str> = present.iter().map(|(name, _)| *name).collect();
        let message = format!(
            "{location} config these keys cannot be used together: {}",
            names.join(", ")
        );
        problems.push(problem(message, *first_span));
    }
}

/// Creates a header problem. GitLab lower-cases entry messages as a whole, names included.
pub(super) fn problem(message: impl Into<String>, span: Span) -> Problem {
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
            (
                header(map(vec![(
                    "x",
                    map(vec![(
                        "options",
                        Node::new(Value::Seq(vec![s("a"), Node::new(Value::Null, sp())]), sp()),
                    )]),
                )])),
                "header:spec:inputs:x config options array cannot contain null values",
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

    fn rules_input(rules: Node) -> Node {
        header(map(vec![("x", map(vec![("rules", rules)]))]))
    }

    fn seq(items: Vec<Node>) -> Node {
        Node::new(Value::Seq(items), sp())
    }

    #[test]
    fn header_rules_errors() {
        let fifty_one = seq((0..51).map(|i| Node::new(Value::Int(i), sp())).collect());
        let cases: Vec<(Node, Vec<&str>)> = vec![
            (
                header(map(vec![(
                    "x",
                    map(vec![("rules", seq(vec![])), ("options", seq(vec![]))]),
                )])),
                vec![
                    "header:spec:inputs:x config these keys cannot be used together: rules, options",
                ],
            ),
            (
                header(map(vec![(
                    "x",
                    map(vec![("default", s("a")), ("rules", seq(vec![]))]),
                )])),
                vec![
                    "header:spec:inputs:x config these keys cannot be used together: default, rules",
                ],
            ),
            (
                rules_input(s("x")),
                vec!["header:spec:inputs:x:rules config should be an array"],
            ),
            (
                rules_input(seq(vec![s("x")])),
                vec!["header:spec:inputs:x:rules:rule config should be a hash"],
            ),
            (
                rules_input(seq(vec![map(vec![])])),
                vec!["header:spec:inputs:x:rules:rule config can't be blank"],
            ),
            (
                rules_input(seq(vec![Node::null(sp())])),
                vec![
                    "header:spec:inputs:x:rules:rule config can't be blank",
                    "header:spec:inputs:x:rules:rule config should be a hash",
                ],
            ),
            (
                rules_input(seq(vec![map(vec![
                    ("if", Node::new(Value::Int(1), sp())),
                    ("options", s("a")),
                    ("When", s("b")),
                ])])),
                vec![
                    "header:spec:inputs:x:rules:rule config contains unknown keys: when",
                    "header:spec:inputs:x:rules:rule if should be a string",
                    "header:spec:inputs:x:rules:rule options should be an array",
                ],
            ),
            (
                rules_input(seq(vec![map(vec![("if", s("$[[ inputs.a ]]"))])])),
                vec![
                    "header:spec:inputs:x:rules:rule config rule with 'if' must define 'options' \
                     or 'default'",
                ],
            ),
            (
                rules_input(seq(vec![map(vec![("default", s("a"))])])),
                vec!["header:spec:inputs:x:rules:rule config fallback rule must define 'options'"],
            ),
            (
                rules_input(seq(vec![map(vec![("options", fifty_one)])])),
                vec!["header:spec:inputs:x:rules:rule config cannot define more than 50 options"],
            ),
        ];
        for (node, expected) in cases {
            let got = messages(parse_header(&node, &Limits::default()));
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn header_rules_each_rule_reported() {
        let rules = seq(vec![
            map(vec![("default", s("a"))]),
            map(vec![("options", seq(vec![s("a")]))]),
            s("x"),
        ]);
        let got = messages(parse_header(&rules_input(rules), &Limits::default()));
        assert_eq!(
            got,
            [
                "header:spec:inputs:x:rules:rule config fallback rule must define 'options'",
                "header:spec:inputs:x:rules:rule config should be a hash",
            ]
        );
    }

    #[test]
    fn header_rules_parsed() {
        let rules = seq(vec![
            map(vec![
                ("if", s("$[[ inputs.a ]] == 'x'")),
                ("default", Node::null(sp())),
            ]),
            map(vec![
                ("if", Node::null(sp())),
                ("options", seq(vec![s("b")])),
            ]),
        ]);
        let node = header(map(vec![
            ("a", Node::null(sp())),
            ("x", map(vec![("rules", rules)])),
        ]));
        let parsed = parse_header(&node, &Limits::default()).unwrap();
        let rules = parsed.inputs[1].rules.as_ref().expect("rules are kept");
        assert_eq!(rules.len(), 2);
        assert!(rules[0].condition.is_some());
        assert!(rules[0].default.is_some());
        assert!(rules[0].options.is_none());
        assert!(rules[1].condition.is_none());
        assert!(parsed.warnings.is_empty());
    }

    /// Builds a rule with the `if:` text `condition` and one option.
    fn reading_rule(condition: &str) -> Node {
        map(vec![("if", s(condition)), ("options", seq(vec![s("a")]))])
    }

    #[test]
    fn header_rules_undefined_inputs_rejected() {
        let node = header(map(vec![
            ("size", Node::null(sp())),
            (
                "tier",
                map(vec![(
                    "rules",
                    seq(vec![
                        reading_rule("$[[ inputs.size ]] == 'x'"),
                        reading_rule("$[[ inputs.one ]] == 'x' && $[[ inputs.two ]] == 'y'"),
                        map(vec![("options", seq(vec![s("b")]))]),
                    ]),
                )]),
            ),
        ]));
        assert_eq!(
            messages(parse_header(&node, &Limits::default())),
            ["header:spec:inputs:tier config rule[1] references undefined inputs: one, two"]
        );
    }

    #[test]
    fn header_rules_cycle_rejected() {
        let rules_reading = |other: &str| {
            map(vec![(
                "rules",
                seq(vec![reading_rule(&format!("$[[ inputs.{other} ]] == 'x'"))]),
            )])
        };
        let cycle = header(map(vec![
            ("first", Node::null(sp())),
            ("region", rules_reading("size")),
            ("size", rules_reading("region")),
        ]));
        let own = header(map(vec![("self", rules_reading("self"))]));
        let chain = header(map(vec![
            ("region", rules_reading("size")),
            ("size", rules_reading("first")),
            ("first", Node::null(sp())),
        ]));
        assert_eq!(
            messages(parse_header(&cycle, &Limits::default())),
            ["header:spec:inputs:first config circular dependency detected"]
        );
        assert_eq!(
            messages(parse_header(&own, &Limits::default())),
            ["header:spec:inputs:self config circular dependency detected"]
        );
        assert_eq!(
            messages(parse_header(&chain, &Limits::default())),
            Vec::<String>::new()
        );
    }

    #[test]
    fn header_rules_errors_listed_by_input() {
        let rules_reading = |others: &[&str]| {
            let rules = others
                .iter()
                .map(|other| reading_rule(&format!("$[[ inputs.{other} ]] == 'x'")))
                .collect();
            map(vec![("rules", seq(rules))])
        };
        let node = header(map(vec![
            ("a", rules_reading(&["b", "missing_a"])),
            ("b", rules_reading(&["a"])),
            ("c", rules_reading(&["missing_c"])),
        ]));
        assert_eq!(
            messages(parse_header(&node, &Limits::default())),
            [
                "header:spec:inputs:a config rule[1] references undefined inputs: missing_a",
                "header:spec:inputs:a config circular dependency detected",
                "header:spec:inputs:c config rule[0] references undefined inputs: missing_c",
            ]
        );
    }

    #[test]
    fn header_rules_null_is_no_rules() {
        let parsed = parse_header(&rules_input(Node::null(sp())), &Limits::default()).unwrap();
        assert!(parsed.inputs[0].rules.is_none());
    }

    #[test]
    fn header_rules_options_at_limit_pass() {
        let fifty = seq((0..50).map(|i| Node::new(Value::Int(i), sp())).collect());
        let rules = seq(vec![map(vec![("options", fifty)])]);
        assert!(parse_header(&rules_input(rules), &Limits::default()).is_ok());
    }

    #[test]
    fn header_rules_invalid_if_warns() {
        let rules = seq(vec![
            map(vec![("if", s("&&&&")), ("options", seq(vec![s("a")]))]),
            map(vec![("options", seq(vec![s("b")]))]),
        ]);
        let parsed = parse_header(&rules_input(rules), &Limits::default()).unwrap();
        assert_eq!(parsed.warnings.len(), 1);
        assert_eq!(parsed.warnings[0].code, "input-rule-if-invalid");
        let rules = parsed.inputs[0].rules.as_ref().unwrap();
        let condition = rules[0].condition.as_ref().unwrap();
        assert!(condition.expression.is_none());
    }

    #[test]
    fn header_spec_include_warns() {
        let node = map(vec![("spec", map(vec![("include", Node::null(sp()))]))]);
        let parsed = parse_header(&node, &Limits::default()).unwrap();
        assert_eq!(parsed.warnings.len(), 1);
    }
}
