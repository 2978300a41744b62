//! The YAML layer: Psych-compatible loading with a span on every node.

mod errors;
mod loader;
mod node;
mod parser;
mod scalar;
mod scanner;
mod split;
mod tags;

pub use node::{Entry, Key, Mapping, MappingEntries, MappingIntoIter, Node, Value, format_float};

use crate::diagnostic::Diagnostics;
use crate::limits::Limits;
use crate::source::{FileId, Span};
use loader::Piece;

/// One configuration file after loading: the optional `spec:` header document and the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The header document (a mapping with a `spec` key), when the file has one.
    pub header: Option<Node>,
    /// The body document.
    pub body: Node,
}

/// Loads a configuration file as GitLab's loader does, reporting problems to `diags`. Returns
/// `None` when GitLab would reject the file while loading it.
///
/// The steps are GitLab's:
///
/// 1. Split the text into at most three pieces at lines that start with `---` and whitespace.
/// 2. Parse each piece on its own with Psych's rules; only its first document counts. A
///    syntax error, a disallowed Ruby class (`Tried to load unspecified class: Date`) or a piece
///    larger than `max_yaml_size_bytes` fails the whole file.
/// 3. Drop documents that Rails calls blank (empty, null, `{}`, `[]`, ...).
/// 4. Check each remaining document in order: it must not exceed the size and depth limits
///    (`The parsed YAML is too big`) and must be a mapping.
/// 5. With more than one document and a first document that has a `spec` key, the first is the
///    header and the last is the body. Otherwise the first is the body.
///
/// The body is returned whatever its type: callers report a body that is not a mapping
/// (`Invalid configuration format`) and an empty file, whose body is null (`Please provide
/// content of .gitlab-ci.yml`). Spans are byte ranges of the whole file. Duplicate keys are
/// reported as warnings when the file loads.
pub fn load(
    file: FileId,
    text: &str,
    limits: &Limits,
    diags: &mut Diagnostics,
) -> Option<Document> {
    // Parse every piece; GitLab parses them all before it looks at any.
    let mut pieces = Vec::new();
    let mut warnings = Vec::new();
    for range in split::split_documents(text) {
        let raw = text.get(range.clone()).unwrap_or_default();
        let span = Span::new(file, range.start as u32, range.end as u32);
        if raw.len() > limits.max_yaml_size_bytes {
            diags.push(errors::provided_too_big(limits.max_yaml_size_bytes, span));
            return None;
        }
        // A byte order mark stays: libyaml skips it at the start of a line but counts it as a
        // column, as GitLab's Psych does, so a document that starts with one is indented by one.
        if raw.starts_with('\u{feff}') {
            let mark = Span::new(file, range.start as u32, (range.start + 3) as u32);
            warnings.push(errors::byte_order_mark(mark));
        }
        match loader::load_piece(file, raw, range.start, limits) {
            Ok(outcome) => {
                warnings.extend(outcome.warnings);
                pieces.push(outcome.piece);
            }
            Err(error) if error.code == "yaml-syntax-error" && looks_like_html(raw) => {
                diags.push(errors::html_instead_of_yaml(span));
                return None;
            }
            Err(error) => {
                diags.push(error);
                return None;
            }
        }
    }

    // Drop blank documents, then find the header and the body.
    pieces.retain(|piece| match piece {
        Piece::Empty => false,
        Piece::Loaded(node) => !node.is_blank(),
        Piece::TooBig(_) => true,
    });
    let has_header = pieces.len() > 1
        && matches!(pieces.first(), Some(Piece::Loaded(node)) if node.get("spec").is_some());
    let body_index = if has_header { pieces.len() - 1 } else { 0 };

    // Check each document in order, as GitLab's `load!` does.
    let mut nodes = Vec::with_capacity(pieces.len());
    for (index, piece) in pieces.into_iter().enumerate() {
        match piece {
            Piece::TooBig(error) => {
                diags.push(error);
                return None;
            }
            Piece::Loaded(node) if node.as_map().is_none() && index != body_index => {
                diags.push(errors::document_not_mapping(node.span));
                return None;
            }
            Piece::Loaded(node) => {
                let stop = node.as_map().is_none();
                nodes.push(node);
                // GitLab stops at the first document that is not a mapping. For the body, the
                // caller reports that error.
                if stop {
                    break;
                }
            }
            Piece::Empty => {}
        }
    }
    diags.extend(warnings);

    let body_node = if has_header { nodes.pop() } else { None };
    let mut nodes = nodes.into_iter();
    let first = nodes.next();
    let (header, body) = match body_node {
        Some(body) => (first, body),
        None => (
            None,
            first.unwrap_or_else(|| Node::null(Span::new(file, 0, 0))),
        ),
    };
    Some(Document { header, body })
}

/// Loads a YAML data file that is not a CI/CD configuration, such as the durations file,
/// reporting problems to `diags`. Returns the first document of `text`, or a null node when
/// the text has no document, and `None` when the text cannot be loaded.
///
/// The document is parsed with Psych's rules and checked against the size and depth limits, as
/// in [`load`]. Unlike [`load`], the text is not split at `---` lines, and a blank document
/// such as `[]`, `""` or `false` is kept, so the caller can report a value of the wrong type.
pub fn load_data(
    file: FileId,
    text: &str,
    limits: &Limits,
    diags: &mut Diagnostics,
) -> Option<Node> {
    if text.len() > limits.max_yaml_size_bytes {
        let span = Span::new(file, 0, text.len() as u32);
        diags.push(errors::provided_too_big(limits.max_yaml_size_bytes, span));
        return None;
    }
    let (source, base) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, '\u{feff}'.len_utf8()),
        None => (text, 0),
    };
    let outcome = match loader::load_piece(file, source, base, limits) {
        Ok(outcome) => outcome,
        Err(error) => {
            diags.push(error);
            return None;
        }
    };
    diags.extend(outcome.warnings);
    match outcome.piece {
        Piece::Empty => Some(Node::null(Span::new(file, 0, 0))),
        Piece::Loaded(node) => Some(node),
        Piece::TooBig(error) => {
            diags.push(error);
            None
        }
    }
}

/// Checks whether a piece looks like an HTML page, as GitLab does before it reports a syntax
/// error: the first 512 characters, lower-cased, contain `<!doctype html` or `<html`.
fn looks_like_html(raw: &str) -> bool {
    let prefix: String = raw.chars().take(512).collect::<String>().to_lowercase();
    prefix.contains("<!doctype html") || prefix.contains("<html")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::diagnostic::Diagnostic;

    const FILE: FileId = FileId(7);

    /// Loads `text` with the default limits.
    fn load_with(text: &str, limits: &Limits) -> (Option<Document>, Vec<Diagnostic>) {
        let mut diags = Diagnostics::new();
        let document = load(FILE, text, limits, &mut diags);
        (document, diags.into_vec())
    }

    /// Loads `text`, which must load without errors, and returns the body.
    fn body(text: &str) -> Node {
        let (document, diags) = load_with(text, &Limits::default());
        assert!(
            diags.iter().all(|d| !d.is_error()),
            "unexpected errors for {text:?}: {diags:?}"
        );
        document.expect("document").body
    }

    fn body_json(text: &str) -> serde_json::Value {
        body(text).to_json()
    }

    /// Loads `text`, which must fail, and returns the error.
    fn error(text: &str) -> Diagnostic {
        error_with(text, &Limits::default())
    }

    fn error_with(text: &str, limits: &Limits) -> Diagnostic {
        let (document, diags) = load_with(text, limits);
        assert!(document.is_none(), "{text:?} loaded");
        diags
            .into_iter()
            .find(Diagnostic::is_error)
            .expect("an error")
    }

    fn snippet(text: &str, span: Span) -> &str {
        &text[span.range()]
    }

    // Scalar typing, tags and errors.

    #[test]
    fn scalars_resolve_as_psych() {
        let text = "\
a: yes
b: on
c: 0755
d: 1_000
e: 0x1F
f: 0o17
g: Off
k: 1:20
VAR1: 012345
i: 08
j: 1,000
l: 1:20:30
m: 1:70
n: 1.10
o: 1.0e+3
p: 1e3
q: 1.0e3
r: NULL
s: nUll
t: ~
u:
v: :symbol
w: 0b101
";
        let expected = json!({
            "a": true, "b": true, "c": 493, "d": 1000, "e": 31, "f": "0o17", "g": false,
            "k": 4800, "VAR1": 5349, "i": "08", "j": 1000, "l": 4830, "m": "1:70", "n": 1.1,
            "o": 1000.0, "p": "1e3", "q": "1.0e3", "r": null, "s": null, "t": null, "u": null,
            "v": "symbol", "w": 5
        });
        assert_eq!(body_json(text), expected);
    }

    #[test]
    fn special_floats() {
        let node = body("a: .inf\nb: -.inf\nc: .nan\n");
        assert_eq!(node.get("a").unwrap().value, Value::Float(f64::INFINITY));
        assert_eq!(
            node.get("b").unwrap().value,
            Value::Float(f64::NEG_INFINITY)
        );
        assert!(matches!(node.get("c").unwrap().value, Value::Float(f) if f.is_nan()));
    }

    #[test]
    fn quoted_scalars_are_strings() {
        let text = "a: \"yes\"\nb: '012'\nc: \"~\"\nd: |\n  123\ne: >-\n  true\nf: ''\n";
        let expected =
            json!({"a": "yes", "b": "012", "c": "~", "d": "123\n", "e": "true", "f": ""});
        assert_eq!(body_json(text), expected);
    }

    #[test]
    fn overflowing_integer_is_bignum() {
        let node = body("a: 99999999999999999999\n");
        let value = &node.get("a").unwrap().value;
        assert_eq!(value, &Value::BigInt("99999999999999999999".to_owned()));
        assert_eq!(value.type_name(), "integer");
        assert_eq!(value.scalar_to_string().unwrap(), "99999999999999999999");
    }

    #[test]
    fn unquoted_date_fails() {
        let text = "variables:\n  DAY: 2021-03-15\n";
        let diagnostic = error(text);
        assert_eq!(diagnostic.message, "Tried to load unspecified class: Date");
        assert_eq!(diagnostic.code, "yaml-disallowed-class");
        assert_eq!(snippet(text, diagnostic.span.unwrap()), "2021-03-15");
    }

    #[test]
    fn byte_order_mark_indents_document() {
        // As in Psych: the mark counts as a column, so `b` at column 1 ends the document.
        let text = "\u{feff}a: 1\nb: 2\n";
        assert_eq!(body_json(text), json!({"a": 1}));
        let (_, diags) = load_with(text, &Limits::default());
        let warning = diags.iter().find(|d| d.code == "yaml-byte-order-mark");
        assert!(warning.is_some(), "{diags:?}");
    }

    #[test]
    fn byte_order_mark_counts_in_messages() {
        let diagnostic = error("\u{feff}build: script: make\n");
        assert!(
            diagnostic.message.ends_with("at line 1 column 15"),
            "{}",
            diagnostic.message
        );
    }

    #[test]
    fn date_help_quotes_value() {
        let diagnostic = error("variables:\n  RELEASED: 1999-12-31\n");
        assert_eq!(
            diagnostic.help.as_deref(),
            Some("quote the value so that it loads as a string: `'1999-12-31'`")
        );
    }

    #[test]
    fn unquoted_time_fails() {
        let diagnostic = error("a: 2001-12-14 21:59:43.10 -5\n");
        assert_eq!(diagnostic.message, "Tried to load unspecified class: Time");
    }

    #[test]
    fn quoted_date_is_string() {
        assert_eq!(body_json("a: '2021-03-15'\n"), json!({"a": "2021-03-15"}));
    }

    #[test]
    fn tags_load_as_psych() {
        let text = "\
a: !foo x
b: !foo [1]
c: !!str 123
d: !!int \"12\"
e: !!int abc
f: !!float 1
g: !!float \"1e3\"
h: !!binary aGVsbG8=
i: !!omap [{x: 1}, {y: 2}]
j: !ruby/sym name
k: ! \"123\"
l: !foo \"5\"
m: !!set [a]
n: !ruby/object:Foo bar
o: !!timestamp foo
p: !ruby/object:Hash {x: 1}
q: !str x
";
        let expected = json!({
            "a": "x", "b": [1], "c": "123", "d": 12, "e": "abc", "f": 1.0, "g": 1000.0,
            "h": "hello", "i": {"x": 1, "y": 2}, "j": "name", "k": 123, "l": 5, "m": ["a"],
            "n": "bar", "o": "foo", "p": {"x": 1}, "q": "x"
        });
        assert_eq!(body_json(text), expected);
    }

    #[test]
    fn disallowed_tags_fail() {
        let cases = [
            ("a: !ruby/object:Foo {x: 1}", "Foo"),
            ("a: !ruby/object {x: 1}", "Object"),
            ("a: !ruby/regexp /x/", "Regexp"),
            ("a: !ruby/range 1..2", "Range"),
            ("a: !!set {x: 1}", "Psych::Set"),
            ("a: !!omap {x: 1}", "Psych::Omap"),
            ("a: !!timestamp 2001-01-01", "Date"),
            ("a: !ruby/struct {x: 1}", "Struct"),
            ("a: !ruby/class Foo", "Foo"),
            ("a: !str:Foo x", "Foo"),
            ("a: !seq:Foo [1]", "Foo"),
            ("a: !ruby/object:BigDecimal 1", "BigDecimal"),
        ];
        for (text, class) in cases {
            let diagnostic = error(text);
            assert_eq!(
                diagnostic.message,
                format!("Tried to load unspecified class: {class}"),
                "{text}"
            );
        }
    }

    #[test]
    fn ruby_errors_are_invalid_syntax() {
        for text in ["a: !!float abc", "a: !!float", "a: .e+3", "a: 0x_"] {
            let diagnostic = error(text);
            assert_eq!(diagnostic.message, "Invalid YAML syntax", "{text}");
            assert_eq!(diagnostic.code, "yaml-invalid-value", "{text}");
        }
    }

    /// Psych sets the keys of a `!!str` mapping other than `str` as instance variables of the
    /// string, so a key that is no valid Ruby name, or any key next to a value that cannot
    /// take one, makes Ruby raise. Expected values are Psych 4.0.3's.
    #[test]
    fn str_mapping_members() {
        let loads = [
            ("a: !!str {str: x, b: 1}", json!({"a": "x"})),
            ("a: !!str {str: x, '@b': 1, true: 2}", json!({"a": "x"})),
            ("a: !!str {str: [1], b: 1}", json!({"a": [1]})),
            ("a: !!str {str: '', é: 1}", json!({"a": ""})),
            ("a: !!str {}", json!({"a": null})),
        ];
        for (text, expected) in loads {
            assert_eq!(body_json(text), expected, "{text}");
        }
        let failures = [
            ("a: !!str {b: 1}", "can't modify frozen NilClass"),
            ("a: !!str {str: 1, b: 1}", "can't modify frozen Integer"),
            (
                "a: !!str {str: x, ~: 1}",
                "`@' is not allowed as an instance variable name",
            ),
            (
                "a: !!str {str: x, 1: 1}",
                "`@1' is not allowed as an instance variable name",
            ),
            (
                "a: !!str {str: x, a b: 1}",
                "`@a b' is not allowed as an instance variable name",
            ),
            (
                "a: !!str {str: x, '@@b': 1}",
                "`@@b' is not allowed as an instance variable name",
            ),
            (
                "a: !!str {str: x, <<: {c: 1}}",
                "`@<<' is not allowed as an instance variable name",
            ),
            (
                "a: !!str {~: 1}",
                "`@' is not allowed as an instance variable name",
            ),
        ];
        for (text, detail) in failures {
            let diagnostic = error(text);
            assert_eq!(diagnostic.message, "Invalid YAML syntax", "{text}");
            let help = diagnostic.help.unwrap_or_default();
            assert!(help.ends_with(detail), "{text}: {help}");
        }
    }

    #[test]
    fn reference_tag_kept() {
        let text = "a: !reference [.x, script]\nb: !reference a\n";
        let node = body(text);
        let Value::Reference(inner) = &node.get("a").unwrap().value else {
            panic!("not a reference");
        };
        assert_eq!(inner.to_json(), json!([".x", "script"]));
        assert_eq!(node.get("b").unwrap().to_json(), json!({"!reference": "a"}));
    }

    #[test]
    fn reference_anchor_not_aliasable() {
        let diagnostic = error("a: &r !reference [x]\nb: *r\n");
        assert_eq!(diagnostic.message, "Unknown alias: r");
    }

    #[test]
    fn non_string_keys() {
        let node = body("123: a\ntrue: b\n~: c\n1.5: d\n[1, 2]: e\n\"1\": f\n");
        let map = node.as_map().unwrap();
        let keys: Vec<&Key> = map.keys().collect();
        assert_eq!(
            keys,
            [
                &Key::Int(123),
                &Key::Bool(true),
                &Key::Null,
                &Key::Float(1.5),
                &Key::Complex("[1,2]".into()),
                &Key::String("1".into()),
            ]
        );
    }

    #[test]
    fn duplicate_keys_last_wins_first_position() {
        let text = "a: 1\nb: 2\na: 3\n";
        let (document, diags) = load_with(text, &Limits::default());
        let body = document.unwrap().body;
        assert_eq!(body.to_json(), json!({"a": 3, "b": 2}));
        let keys: Vec<String> = body.as_map().unwrap().keys().map(Key::to_string).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, "duplicate-key");
        assert_eq!(diags[0].severity, crate::Severity::Warning);
        assert_eq!(snippet(text, diags[0].span.unwrap()), "a");
        assert_eq!(diags[0].labels[0].span.start, 0);
    }

    #[test]
    fn duplicate_key_warnings_are_capped() {
        let mut text = String::from("v:\n");
        for _ in 0..250 {
            text.push_str("  V: x\n");
        }
        let (document, diags) = load_with(&text, &Limits::default());
        assert_eq!(document.unwrap().body.to_json(), json!({"v": {"V": "x"}}));
        assert_eq!(diags.len(), 101);
        assert!(diags.iter().all(|d| d.code == "duplicate-key"));
        assert_eq!(
            diags[100].message,
            "149 more duplicate keys in this YAML document are not listed"
        );
    }

    #[test]
    fn syntax_error_message_and_position() {
        let text = "a:\n  b: 1\n c: 2\n";
        let diagnostic = error(text);
        assert_eq!(
            diagnostic.message,
            "(<unknown>): did not find expected key while parsing a block mapping at line 1 column 1"
        );
        assert_eq!(diagnostic.code, "yaml-syntax-error");
        assert_eq!(diagnostic.span.unwrap().start, 11);
    }

    #[test]
    fn syntax_error_line_counts_cr() {
        // Psych breaks lines at a lone CR too, so every file gives the same line and column.
        let expected = "(<unknown>): did not find expected ',' or ']' while parsing a flow \
                        sequence at line 3 column 9";
        for text in [
            "a:\n  script: x\n  tags: [1\n",
            "a:\r  script: x\r  tags: [1\r",
            "a:\r\n  script: x\r\n  tags: [1\r\n",
            "a:\r  script: x\r\n  tags: [1\n",
        ] {
            assert_eq!(error(text).message, expected, "{text:?}");
        }
    }

    #[test]
    fn syntax_error_scanner_message() {
        let diagnostic = error("a: b: c\n");
        assert_eq!(
            diagnostic.message,
            "(<unknown>): mapping values are not allowed in this context at line 1 column 5"
        );
    }

    #[test]
    fn syntax_error_in_html_page() {
        let diagnostic = error("<!DOCTYPE html>\n<html>\n  <p>a: b: c</p>\n");
        assert_eq!(diagnostic.message, "Invalid configuration format");
    }

    #[test]
    fn control_characters_rejected() {
        let cases = [
            ("a: \"x\u{0}y\"\n", "\u{0}"),
            ("a: x\u{1}b\n", "\u{1}"),
            ("a: x\u{1b}b\n", "\u{1b}"),
            ("a: x\u{7f}b\n", "\u{7f}"),
            ("a: x\u{80}\n", "\u{80}"),
            ("a: x\u{9f}\n", "\u{9f}"),
            ("a: x\u{fffe}\n", "\u{fffe}"),
            ("a: x\u{ffff}\n", "\u{ffff}"),
            ("# comment \u{1}\na: b\n", "\u{1}"),
            ("a: b\n---\nc: \u{1}\n", "\u{1}"),
        ];
        for (text, character) in cases {
            let diagnostic = error(text);
            assert_eq!(
                diagnostic.message,
                "(<unknown>): control characters are not allowed at line 1 column 1",
                "{text:?}"
            );
            assert_eq!(
                snippet(text, diagnostic.span.unwrap()),
                character,
                "{text:?}"
            );
        }
    }

    #[test]
    fn printable_characters_accepted() {
        let cases = [
            ("a: \"x\ty\"\n", "x\ty"),
            ("a: x\u{a0}y\n", "x\u{a0}y"),
            ("a: x\u{fffd}\n", "x\u{fffd}"),
            ("a: \u{1f600}\n", "\u{1f600}"),
        ];
        for (text, value) in cases {
            assert_eq!(body_json(text), json!({"a": value}), "{text:?}");
        }
    }

    #[test]
    fn control_character_help_escape() {
        let cases = [("a: \u{1}\n", "`\\x01`"), ("a: \u{ffff}\n", "`\\uFFFF`")];
        for (text, escape) in cases {
            let help = error(text).help.unwrap();
            assert!(help.contains(escape), "{text:?}: {help}");
        }
    }

    #[test]
    fn control_character_wins_in_same_chunk() {
        let text = "a: [\nb: \u{1}\n";
        let diagnostic = error(text);
        assert_eq!(
            diagnostic.message,
            "(<unknown>): control characters are not allowed at line 1 column 1"
        );
    }

    #[test]
    fn syntax_error_in_earlier_chunk_wins() {
        let filler = "k: v\n".repeat(5000);
        let text = format!("a: b: c\n{filler}b: \u{1}\n");
        let diagnostic = error(&text);
        assert_eq!(
            diagnostic.message,
            "(<unknown>): mapping values are not allowed in this context at line 1 column 5"
        );
    }

    #[test]
    fn syntax_error_in_later_chunk_loses() {
        let filler = "k: v\n".repeat(5000);
        let text = format!("a: \u{1}\n{filler}b: [\n");
        let diagnostic = error(&text);
        assert_eq!(
            diagnostic.message,
            "(<unknown>): control characters are not allowed at line 1 column 1"
        );
    }

    #[test]
    fn next_line_folds_as_line_break() {
        let cases = [
            ("a: \"x\u{85}y\"\n", "x y"),
            ("a: 'x\u{85}y'\n", "x y"),
            ("a: x \u{85} y\n", "x y"),
            ("a: \"x \u{85} y\"\n", "x y"),
            ("a: \"x\u{85}\u{85}y\"\n", "x\ny"),
            ("a: x\u{85}\n  y\n", "x\ny"),
            ("a: \"x\u{85}\"\n", "x "),
            ("a: x\u{85}\n", "x"),
            ("a: \"x\\\u{85}y\"\n", "xy"),
        ];
        for (text, value) in cases {
            assert_eq!(body_json(text), json!({"a": value}), "{text:?}");
        }
    }

    /// libyaml does not check the indentation of a quoted scalar's continuation lines, so a
    /// NEL folds there too.
    #[test]
    fn next_line_folds_in_indented_quoted_scalar() {
        let text = "a:\n  b: \"x\u{85}y\u{85}z\"\n  c: 'p\u{85}q'\n";
        assert_eq!(body_json(text), json!({"a": {"b": "x y z", "c": "p q"}}));
    }

    #[test]
    fn next_line_folds_in_flow_quoted_scalar() {
        let text = "a: {b: \"x\u{85}y\", c: ['p\u{85}q']}\n";
        assert_eq!(body_json(text), json!({"a": {"b": "x y", "c": ["p q"]}}));
    }

    #[test]
    fn next_line_ends_plain_scalar_line() {
        let with_next_line = error("a: x\u{85}y\n");
        let with_line_feed = error("a: x\ny\n");
        assert_eq!(with_next_line.message, with_line_feed.message);
    }

    #[test]
    fn next_line_keeps_spans() {
        let text = "a: \"x\u{85}y\"\nb: c\n";
        let node = body(text);
        let value = node.get("b").unwrap();
        assert_eq!(snippet(text, value.span), "c");
    }

    #[test]
    fn unknown_alias() {
        let text = "a: [*x]\n";
        let diagnostic = error(text);
        assert_eq!(diagnostic.message, "Unknown alias: x");
        assert_eq!(snippet(text, diagnostic.span.unwrap()), "*");
    }

    #[test]
    fn top_level_sequence_is_returned() {
        assert_eq!(body_json("- a\n- b\n"), json!(["a", "b"]));
    }

    #[test]
    fn top_level_scalar_is_returned() {
        assert_eq!(body_json("hello\n"), json!("hello"));
    }

    #[test]
    fn empty_file_is_null() {
        for text in ["", "\n\n", "   \n", "# only a comment\n", "---\n"] {
            assert!(body(text).is_null(), "{text:?}");
        }
    }

    /// GitLab parses the text after a `---` divider on its own, and Psych rejects a document
    /// end marker with no document before it.
    #[test]
    fn document_end_alone_fails() {
        let diagnostic = error("---\n...\n");
        assert_eq!(
            diagnostic.message,
            "(<unknown>): did not find expected node content while parsing a block node at \
             line 1 column 1"
        );
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let text = "\u{feff}a: 1\n";
        let node = body(text);
        assert_eq!(node.to_json(), json!({"a": 1}));
        let entry = node.as_map().unwrap().entry("a").unwrap();
        assert_eq!(snippet(text, entry.key_span), "a");
    }

    // Anchors, aliases and merge keys.

    #[test]
    fn merge_key_document_order() {
        let text = "\
.t: &t
  image: alpine
  script: [tmpl]
a:
  script: [mine]
  <<: *t
b:
  <<: *t
  script: [mine]
";
        let node = body(text);
        assert_eq!(
            node.get("a").unwrap().get("script").unwrap().to_json(),
            json!(["tmpl"])
        );
        assert_eq!(
            node.get("b").unwrap().get("script").unwrap().to_json(),
            json!(["mine"])
        );
        assert_eq!(
            node.get("a").unwrap().get("image").unwrap().as_str(),
            Some("alpine")
        );
        assert_eq!(
            node.get("b").unwrap().get("image").unwrap().as_str(),
            Some("alpine")
        );
    }

    #[test]
    fn merge_overrides_earlier_key() {
        let text = ".d: &d {image: d}\njob:\n  image: x\n  <<: *d\n";
        assert_eq!(
            body(text).get("job").unwrap().to_json(),
            json!({"image": "d"})
        );
    }

    #[test]
    fn merge_sequence_earlier_wins() {
        let text = "x: &a {p: 1, q: 1}\ny: &b {q: 2, r: 2}\nm: {z: 0, <<: [*a, *b]}\n";
        let m = body(text).get("m").unwrap().clone();
        assert_eq!(m.to_json(), json!({"z": 0, "q": 1, "r": 2, "p": 1}));
        let keys: Vec<String> = m.as_map().unwrap().keys().map(Key::to_string).collect();
        assert_eq!(keys, ["z", "q", "r", "p"]);
    }

    #[test]
    fn merge_is_shallow() {
        let text = ".t: &t\n  variables: {A: 1, B: 2}\njob:\n  <<: *t\n  variables: {C: 3}\n";
        assert_eq!(
            body(text).get("job").unwrap().to_json(),
            json!({"variables": {"C": 3}})
        );
    }

    #[test]
    fn merge_inline_mapping() {
        assert_eq!(body_json("m: {<<: {p: 1}, p: 2}\n"), json!({"m": {"p": 2}}));
    }

    #[test]
    fn merge_non_mapping_kept_literally() {
        let cases = [
            ("m: {<<: 5}\n", json!({"m": {"<<": 5}})),
            (
                "x: &a [1]\nm: {<<: *a}\n",
                json!({"x": [1], "m": {"<<": [1]}}),
            ),
            (
                "x: &a {p: 1}\nm: {<<: [*a, 1]}\n",
                json!({"x": {"p": 1}, "m": {"<<": [{"p": 1}, 1]}}),
            ),
            ("m: {<<: !!omap [{p: 1}]}\n", json!({"m": {"<<": {"p": 1}}})),
            ("m:\n  <<:\n", json!({"m": {"<<": null}})),
        ];
        for (text, expected) in cases {
            assert_eq!(body_json(text), expected, "{text}");
        }
    }

    /// Psych calls `reverse_each` on a merged sequence, which Ruby's `!reference` object lacks,
    /// so a `!reference` sequence fails while other `!reference` values stay under a literal
    /// `<<` key. Expected values are Psych 4.0.3's.
    #[test]
    fn merge_reference_sequence_fails() {
        let diagnostic = error("m: {<<: !reference [a, b]}\n");
        assert_eq!(diagnostic.message, "Invalid YAML syntax");
        assert_eq!(diagnostic.code, "yaml-invalid-value");

        let literal = [
            (
                "m: {<<: !reference {a: 1}}\n",
                json!({"!reference": {"a": 1}}),
            ),
            ("m: {<<: !reference a}\n", json!({"!reference": "a"})),
            (
                "m: {<<: [!reference [a]]}\n",
                json!([{"!reference": ["a"]}]),
            ),
        ];
        for (text, merged) in literal {
            let body = body_json(text);
            assert_eq!(body["m"], json!({"<<": merged}), "{text}");
        }
    }

    #[test]
    fn merge_key_spellings() {
        let cases = [
            ("x: &a {p: 1}\nm: {\"<<\": *a}\n", json!({"p": 1})),
            ("x: &a {p: 1}\nm: {'<<': *a}\n", json!({"p": 1})),
            ("x: &a {p: 1}\nm: {!foo <<: *a}\n", json!({"p": 1})),
            ("x: &a {p: 1}\nm: {!!str <<: *a}\n", json!({"<<": {"p": 1}})),
            (
                "k: &k \"<<\"\nx: &a {p: 1}\nm: {*k : *a}\n",
                json!({"p": 1}),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(body(text).get("m").unwrap().to_json(), expected, "{text}");
        }
    }

    #[test]
    fn merge_override_is_not_duplicate() {
        let (_, diags) = load_with(".t: &t {a: 1}\nj:\n  <<: *t\n  a: 2\n", &Limits::default());
        assert!(diags.is_empty(), "{diags:?}");
    }

    #[test]
    fn sequence_alias_nests() {
        let text = ".setup: &setup [a, b]\njob:\n  script: [*setup, make]\n";
        assert_eq!(
            body(text)
                .get("job")
                .unwrap()
                .get("script")
                .unwrap()
                .to_json(),
            json!([["a", "b"], "make"])
        );
    }

    #[test]
    fn alias_copy_keeps_anchor_spans() {
        let text = "a: &x {k: v}\nb: *x\n";
        let node = body(text);
        let original = node.get("a").unwrap();
        let copy = node.get("b").unwrap();
        assert_eq!(copy.span, original.span);
        assert_eq!(snippet(text, copy.span), "&x {k: v}");
        assert_eq!(snippet(text, copy.get("k").unwrap().span), "v");
        let key_span = copy.as_map().unwrap().entry("k").unwrap().key_span;
        assert_eq!(key_span.start, 7);
    }

    #[test]
    fn anchor_redefinition_uses_latest() {
        assert_eq!(
            body_json("a: &x 1\nb: *x\nc: &x 2\nd: *x\n"),
            json!({"a": 1, "b": 1, "c": 2, "d": 2})
        );
    }

    #[test]
    fn alias_across_documents_fails() {
        // Each document piece is parsed alone, so anchors do not reach the next one.
        let diagnostic = error("a: &x 1\n---\nb: *x\n");
        assert_eq!(diagnostic.message, "Unknown alias: x");
    }

    #[test]
    fn tab_after_colon_accepted() {
        let text = "a:\tb\nc:\t\t-1\n";
        let node = body(text);
        assert_eq!(node.to_json(), json!({"a": "b", "c": -1}));
        assert_eq!(snippet(text, node.get("a").unwrap().span), "b");
    }

    // Multiple documents and the `spec` header.

    #[test]
    fn second_document_ignored() {
        let (document, _) = load_with(
            "job1: {script: a}\n---\njob2: {script: b}",
            &Limits::default(),
        );
        let document = document.unwrap();
        assert!(document.header.is_none());
        assert_eq!(document.body.to_json(), json!({"job1": {"script": "a"}}));
    }

    #[test]
    fn header_and_body_split() {
        let text = "spec: {inputs: {x: {default: y}}}\n---\njob: {script: \"$[[ inputs.x ]]\"}";
        let (document, _) = load_with(text, &Limits::default());
        let document = document.unwrap();
        assert_eq!(
            document.header.unwrap().to_json(),
            json!({"spec": {"inputs": {"x": {"default": "y"}}}})
        );
        assert_eq!(
            document.body.to_json(),
            json!({"job": {"script": "$[[ inputs.x ]]"}})
        );
        let script = document.body.get("job").unwrap().get("script").unwrap();
        assert_eq!(snippet(text, script.span), "\"$[[ inputs.x ]]\"");
    }

    #[test]
    fn single_document_with_spec_is_body() {
        let (document, _) = load_with("spec: {inputs: {}}\njob: {script: a}\n", &Limits::default());
        let document = document.unwrap();
        assert!(document.header.is_none());
        assert!(document.body.get("spec").is_some());
    }

    #[test]
    fn header_then_last_document_is_body() {
        let (document, _) = load_with("spec: {}\n---\na: 1\n---\nb: 2\n", &Limits::default());
        let document = document.unwrap();
        assert!(document.header.is_some());
        assert_eq!(document.body.to_json(), json!({"b": 2}));
    }

    #[test]
    fn leading_divider_allowed() {
        assert_eq!(body_json("---\na: 1\n"), json!({"a": 1}));
    }

    #[test]
    fn third_divider_stays_in_last_piece() {
        // The split makes at most three pieces, and a piece only yields its first document.
        let (document, _) = load_with(
            "spec: {}\n---\na: 1\n---\nb: 2\n---\nc: 3\n",
            &Limits::default(),
        );
        assert_eq!(document.unwrap().body.to_json(), json!({"b": 2}));
    }

    #[test]
    fn blank_documents_dropped() {
        let (document, _) = load_with("spec: {}\n---\n{}\n", &Limits::default());
        let document = document.unwrap();
        assert!(document.header.is_none());
        assert_eq!(document.body.to_json(), json!({"spec": {}}));
    }

    #[test]
    fn split_inside_plain_scalar() {
        // The split is textual, so `---` at a line start inside a multi-line plain scalar
        // still ends the first document, which then fails to parse.
        let diagnostic = error("a: \"text\n--- more\"\n");
        assert_eq!(diagnostic.code, "yaml-syntax-error");
    }

    #[test]
    fn block_scalar_not_split() {
        assert_eq!(body_json("a: |\n  ---\n  b\n"), json!({"a": "---\nb\n"}));
    }

    #[test]
    fn ignored_document_must_be_mapping() {
        let diagnostic = error("a: 1\n---\njust text\n");
        assert_eq!(diagnostic.message, "Invalid configuration format");
    }

    #[test]
    fn spans_relative_to_whole_file() {
        let text = "spec: {}\n---\njob: {script: é}\n";
        let (document, _) = load_with(text, &Limits::default());
        let job = document.unwrap().body;
        let script = job.get("job").unwrap().get("script").unwrap();
        assert_eq!(snippet(text, script.span), "é");
        assert_eq!(script.span.file, FILE);
    }

    #[test]
    fn syntax_error_line_counts_from_piece() {
        let text = "spec: {}\n---\na: b: c\n";
        let diagnostic = error(text);
        assert_eq!(
            diagnostic.message,
            "(<unknown>): mapping values are not allowed in this context at line 1 column 5"
        );
        assert_eq!(diagnostic.span.unwrap().start, 17);
    }

    // Spans.

    #[test]
    fn spans_by_byte_offset() {
        let text = "# commentaire: é\nclé: \"valeur ü\"\nliste:\n  - un\n  - [deux, trois]\nbloc: |\n  ligne\n\nfin: x\n";
        let node = body(text);
        let map = node.as_map().unwrap();
        let entry = map.entry("clé").unwrap();
        assert_eq!(snippet(text, entry.key_span), "clé");
        assert_eq!(snippet(text, entry.value.span), "\"valeur ü\"");
        let list = map.get("liste").unwrap();
        assert_eq!(snippet(text, list.span), "- un\n  - [deux, trois]");
        let items = list.as_seq().unwrap();
        assert_eq!(snippet(text, items[0].span), "un");
        assert_eq!(snippet(text, items[1].span), "[deux, trois]");
        assert_eq!(snippet(text, items[1].as_seq().unwrap()[1].span), "trois");
        assert_eq!(snippet(text, map.get("bloc").unwrap().span), "ligne");
        assert_eq!(snippet(text, map.get("fin").unwrap().span), "x");
        let start = text.find("clé").unwrap();
        assert_eq!(snippet(text, node.span), &text[start..text.len() - 1]);
    }

    #[test]
    fn empty_value_span_is_empty() {
        let text = "a:\nb: 1\n";
        let node = body(text);
        let span = node.get("a").unwrap().span;
        assert_eq!(span.start, span.end);
    }

    // Limits.

    #[test]
    fn alias_bomb_stops() {
        let text = "\
a: &a [x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
";
        let diagnostic = error(text);
        assert_eq!(diagnostic.message, "The parsed YAML is too big");
        assert_eq!(diagnostic.code, "yaml-too-big");
    }

    #[test]
    fn alias_node_budget() {
        let limits = Limits {
            max_alias_expansion_nodes: 10,
            ..Limits::default()
        };
        let text = "a: &a [1, 2, 3, 4]\nb: [*a, *a]\n";
        assert!(load_with(text, &limits).0.is_some());
        let text = "a: &a [1, 2, 3, 4]\nb: [*a, *a, *a]\n";
        assert_eq!(
            error_with(text, &limits).message,
            "The parsed YAML is too big"
        );
    }

    #[test]
    fn alias_size_budget() {
        let text = "a: &a [0123456789, 0123456789]\nb: *a\nc: *a\n";
        let limits = Limits {
            max_yaml_size_bytes: text.len() + 2 * "&a [0123456789, 0123456789]".len(),
            ..Limits::default()
        };
        assert!(load_with(text, &limits).0.is_some());
        let limits = Limits {
            max_yaml_size_bytes: limits.max_yaml_size_bytes - 1,
            ..Limits::default()
        };
        assert_eq!(
            error_with(text, &limits).message,
            "The parsed YAML is too big"
        );
    }

    #[test]
    fn provided_size_limit() {
        let text = "a: 1234567890\n";
        let limits = Limits {
            max_yaml_size_bytes: text.len(),
            ..Limits::default()
        };
        assert!(load_with(text, &limits).0.is_some());
        let limits = Limits {
            max_yaml_size_bytes: text.len() - 1,
            ..Limits::default()
        };
        assert_eq!(
            error_with(text, &limits).message,
            "The provided YAML is too big"
        );
    }

    /// Builds a mapping nested `levels` deep, the top-level mapping included.
    fn nested(levels: usize) -> String {
        let mut text = String::new();
        for level in 0..levels - 1 {
            text.push_str(&"  ".repeat(level));
            text.push_str("k:\n");
        }
        text.push_str(&"  ".repeat(levels - 1));
        text.push_str("k: v\n");
        text
    }

    #[test]
    fn depth_limit() {
        assert!(load_with(&nested(100), &Limits::default()).0.is_some());
        assert_eq!(error(&nested(101)).message, "The parsed YAML is too big");
    }

    #[test]
    fn depth_limit_flow() {
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(load_with(&ok, &Limits::default()).0.is_some());
        let deep = format!("{}{}", "[".repeat(101), "]".repeat(101));
        assert_eq!(error(&deep).message, "The parsed YAML is too big");
    }

    #[test]
    fn depth_limit_past_parser_limit() {
        let deep = format!("a: {}{}", "[".repeat(300), "]".repeat(300));
        assert_eq!(error(&deep).message, "The parsed YAML is too big");
    }

    #[test]
    fn depth_limit_through_alias() {
        let limits = Limits {
            max_yaml_depth: 3,
            ..Limits::default()
        };
        assert!(load_with("a: &a [[1]]\n", &limits).0.is_some());
        assert_eq!(
            error_with("a: &a [[1]]\nb: [*a]\n", &limits).message,
            "The parsed YAML is too big"
        );
    }

    #[test]
    fn recursive_alias_too_big() {
        assert_eq!(
            error("a: &x [1, *x]\n").message,
            "The parsed YAML is too big"
        );
    }

    /// Psych builds a cyclic object for an alias inside its own anchor, and GitLab's size check
    /// fails only when the cycle is still in the document. Loaded values are Psych 4.0.3's.
    #[test]
    fn recursive_alias_dropped_loads() {
        let cases = [
            ("a: &x {b: *x, b: 1}\n", json!({"a": {"b": 1}})),
            (
                "a: &x {b: 1, <<: *x, c: 2}\n",
                json!({"a": {"b": 1, "c": 2}}),
            ),
            (
                "a: &x {b: 1, c: {<<: *x}}\n",
                json!({"a": {"b": 1, "c": {"b": 1}}}),
            ),
            ("a: &x {b: [*x]}\na: 1\n", json!({"a": 1})),
            (
                "a: &x {b: {c: *x}, b: 2}\nd: *x\n",
                json!({"a": {"b": 2}, "d": {"b": 2}}),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(body_json(text), expected, "{text}");
        }
        for text in ["a: &x [1, {<<: *x}]\n", "a: &x {b: *x}\nc: 1\n"] {
            assert_eq!(error(text).message, "The parsed YAML is too big", "{text}");
        }

        // The error points at the first alias that is still in the document.
        let text = "a: &x [1, *x, [*x]]\n";
        let diagnostic = error(text);
        assert_eq!(diagnostic.span.unwrap().start, 10);
        assert_eq!(snippet(text, diagnostic.span.unwrap()), "*x");
    }

    #[test]
    fn syntax_error_wins_over_class_error() {
        let diagnostic = error("a: 2021-01-01\nb: [\n");
        assert_eq!(diagnostic.code, "yaml-syntax-error");
    }

    #[test]
    fn class_error_wins_over_size() {
        let limits = Limits {
            max_yaml_depth: 1,
            ..Limits::default()
        };
        let diagnostic = error_with("a: {b: 1}\nc: 2021-01-01\n", &limits);
        assert_eq!(diagnostic.message, "Tried to load unspecified class: Date");
    }

    /// Psych builds the whole document before GitLab measures it, so an unknown alias later in
    /// the text fails the file even after it grew too big. Expected messages are Psych 4.0.3's.
    #[test]
    fn unknown_alias_wins_over_size() {
        let cycle_then_unknown = error("a: &x [1, *x]\nb: *y\n");
        assert_eq!(cycle_then_unknown.message, "Unknown alias: y");

        let reference_anchor = error("a: &x [*x]\nr: &r !reference [a]\nb: *r\n");
        assert_eq!(reference_anchor.message, "Unknown alias: r");

        let limits = Limits {
            max_yaml_depth: 1,
            ..Limits::default()
        };
        let deep_then_unknown = error_with("a: {b: 1}\nc: *y\n", &limits);
        assert_eq!(deep_then_unknown.message, "Unknown alias: y");

        let known = error("a: &x [*x]\nb: *x\n");
        assert_eq!(known.message, "The parsed YAML is too big");
    }

    fn load_data_with(text: &str, limits: &Limits) -> (Option<Node>, Vec<Diagnostic>) {
        let mut diags = Diagnostics::new();
        let node = load_data(FILE, text, limits, &mut diags);
        (node, diags.into_vec())
    }

    #[test]
    fn load_data_keeps_blank_documents() {
        let cases = [
            ("[]\n", json!([])),
            ("{}\n", json!({})),
            ("false\n", json!(false)),
            ("''\n", json!("")),
            ("a: 1\n", json!({"a": 1})),
            ("\u{feff}a: 1\n", json!({"a": 1})),
            ("---\na: 1\n", json!({"a": 1})),
        ];
        for (text, expected) in cases {
            let (node, diags) = load_data_with(text, &Limits::default());
            assert!(diags.is_empty(), "{text:?}: {diags:?}");
            assert_eq!(node.map(|node| node.to_json()), Some(expected), "{text:?}");
        }
    }

    #[test]
    fn load_data_without_document_is_null() {
        for text in ["", "# only a comment\n", "~\n"] {
            let (node, diags) = load_data_with(text, &Limits::default());
            assert!(diags.is_empty(), "{text:?}: {diags:?}");
            assert!(node.is_some_and(|node| node.is_null()), "{text:?}");
        }
    }

    #[test]
    fn load_data_reports_errors() {
        let (node, diags) = load_data_with("a: [\n", &Limits::default());
        assert!(node.is_none());
        assert_eq!(diags.first().map(|d| d.code), Some("yaml-syntax-error"));

        let text = "a: 1\n";
        let limits = Limits {
            max_yaml_size_bytes: text.len() - 1,
            ..Limits::default()
        };
        let (node, diags) = load_data_with(text, &limits);
        assert!(node.is_none());
        assert_eq!(diags.len(), 1);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    /// Checks that every span of `node` lies inside `text` on character boundaries.
    fn assert_spans_inside(node: &Node, text: &str) {
        let check = |span: Span| {
            assert!(span.start <= span.end, "{span:?}");
            assert!(
                span.end as usize <= text.len(),
                "{span:?} past {}",
                text.len()
            );
            assert!(text.is_char_boundary(span.start as usize), "{span:?}");
            assert!(text.is_char_boundary(span.end as usize), "{span:?}");
        };
        check(node.span);
        match &node.value {
            Value::Seq(items) => items.iter().for_each(|i| assert_spans_inside(i, text)),
            Value::Map(map) => {
                for (_, entry) in map.entries() {
                    check(entry.key_span);
                    assert_spans_inside(&entry.value, text);
                }
            }
            Value::Reference(inner) => assert_spans_inside(inner, text),
            _ => {}
        }
    }

    fn load_and_check(text: &str) {
        let mut diags = Diagnostics::new();
        if let Some(document) = load(FileId(0), text, &Limits::default(), &mut diags) {
            assert_spans_inside(&document.body, text);
            if let Some(header) = &document.header {
                assert_spans_inside(header, text);
            }
        }
        for diagnostic in diags.iter() {
            if let Some(span) = diagnostic.span {
                assert!(span.end as usize <= text.len(), "{diagnostic:?}");
            }
        }
    }

    /// Pieces of YAML syntax: indicators, tags, dividers and tricky scalars.
    const TOKENS: &[&str] = &[
        "- ",
        ": ",
        ":",
        "\n",
        "  ",
        "&a ",
        "*a",
        "&b ",
        "*b",
        "<<: ",
        "!reference ",
        "!!omap ",
        "!!binary ",
        "!!float ",
        "!!str ",
        "!ruby/object:X ",
        "! ",
        "[",
        "]",
        "{",
        "}",
        ", ",
        "---\n",
        "--- ",
        "...\n",
        "\"",
        "'",
        "|\n",
        ">-\n",
        "? ",
        "# c\n",
        "\t",
        "\r\n",
        "%YAML 1.1\n",
        "\u{feff}",
        "é",
        "😀",
        "spec",
        "0x1F",
        "1:20",
        "2021-01-01",
        ".inf",
        ":sym",
        "yes",
    ];

    /// Text assembled from [`TOKENS`] and short words.
    fn yaml_like() -> impl Strategy<Value = String> {
        let token = prop_oneof![
            4 => proptest::sample::select(TOKENS).prop_map(str::to_owned),
            1 => "[a-z0-9_.]{1,4}",
        ];
        proptest::collection::vec(token, 0..80).prop_map(|tokens| tokens.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn any_string_never_panics(text in any::<String>()) {
            load_and_check(&text);
        }

        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            load_and_check(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn yaml_like_text_never_panics(text in yaml_like()) {
            load_and_check(&text);
        }
    }
}
