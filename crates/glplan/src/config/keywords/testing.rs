//! Test helpers: YAML-like nodes built from JSON, and a runner that collects the messages a
//! parser reports.

use crate::config::check::Ctx;
use crate::diagnostic::Diagnostics;
use crate::limits::Limits;
use crate::source::Span;
use crate::yaml::{Mapping, Node, Value};

/// Builds a node from JSON. Integers become `Int`, other numbers `Float`; every span is the
/// default span.
pub(crate) fn node(json: serde_json::Value) -> Node {
    use serde_json::Value as J;
    let value = match json {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or_default()),
        },
        J::String(s) => Value::String(s),
        J::Array(items) => Value::Seq(items.into_iter().map(node).collect()),
        J::Object(fields) => {
            let mut map = Mapping::new();
            for (key, value) in fields {
                map.insert(key, Span::default(), node(value));
            }
            Value::Map(map)
        }
    };
    Node::new(value, Span::default())
}

/// Runs `parser` on the node built from `json` with default limits, returning its result and
/// the messages of every diagnostic it reported.
pub(crate) fn run<T>(
    parser: impl FnOnce(&str, &Node, &mut Ctx) -> Option<T>,
    path: &str,
    json: serde_json::Value,
) -> (Option<T>, Vec<String>) {
    run_with(parser, path, json, &Limits::default())
}

/// Like [`run`], with explicit limits.
pub(crate) fn run_with<T>(
    parser: impl FnOnce(&str, &Node, &mut Ctx) -> Option<T>,
    path: &str,
    json: serde_json::Value,
    limits: &Limits,
) -> (Option<T>, Vec<String>) {
    let mut diags = Diagnostics::new();
    let input = node(json);
    let result = {
        let mut cx = Ctx::new(&mut diags, limits);
        parser(path, &input, &mut cx)
    };
    let messages = diags.iter().map(|d| d.message.clone()).collect();
    (result, messages)
}

/// Runs `parser` and returns only its messages.
pub(crate) fn messages<T>(
    parser: impl FnOnce(&str, &Node, &mut Ctx) -> Option<T>,
    path: &str,
    json: serde_json::Value,
) -> Vec<String> {
    run(parser, path, json).1
}

/// Runs `parser`, asserts it reported nothing, and returns its value.
pub(crate) fn ok<T>(
    parser: impl FnOnce(&str, &Node, &mut Ctx) -> Option<T>,
    path: &str,
    json: serde_json::Value,
) -> T {
    let (value, messages) = run(parser, path, json);
    assert_eq!(messages, Vec::<String>::new(), "unexpected diagnostics");
    value.expect("parser returned None without a diagnostic")
}

/// Loads `text` with the real YAML loader and returns the value of `key` in the top-level
/// mapping, so tests see Psych's scalar typing (`yes` is `true`, `0755` is an integer) and
/// real spans.
pub(crate) fn yaml(text: &str, key: &str) -> Node {
    let mut diags = Diagnostics::new();
    let document = crate::yaml::load(
        crate::source::FileId(0),
        text,
        &Limits::default(),
        &mut diags,
    )
    .expect("test YAML loads");
    assert!(!diags.has_errors(), "test YAML has errors: {diags:?}");
    document
        .body
        .get(key)
        .cloned()
        .expect("test YAML has the key")
}

/// Runs `parser` on `node` and returns its result and every diagnostic it reported.
pub(crate) fn run_node<T>(
    parser: impl FnOnce(&str, &Node, &mut Ctx) -> Option<T>,
    path: &str,
    node: &Node,
) -> (Option<T>, Vec<crate::diagnostic::Diagnostic>) {
    let mut diags = Diagnostics::new();
    let limits = Limits::default();
    let result = {
        let mut cx = Ctx::new(&mut diags, &limits);
        parser(path, node, &mut cx)
    };
    (result, diags.into_vec())
}
