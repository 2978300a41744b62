//! Test helpers: configuration trees built from JSON, with a distinct span on every node so
//! that tests can check where a diagnostic points.

use std::cell::Cell;

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::limits::Limits;
use crate::source::{FileId, Span};
use crate::yaml::{Mapping, Node, Value};

use super::Config;

thread_local! {
    static NEXT: Cell<u32> = const { Cell::new(0) };
}

fn next_span() -> Span {
    NEXT.with(|next| {
        let start = next.get();
        next.set(start + 2);
        Span::new(FileId(0), start, start + 1)
    })
}

/// Builds a node from JSON: integers become `Int`, other numbers `Float`, and every node and
/// key gets its own span.
pub(crate) fn node(json: serde_json::Value) -> Node {
    use serde_json::Value as J;
    let span = next_span();
    let value = match json {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or_default()),
        },
        J::String(s) => Value::String(s),
        J::Array(items) => Value::Seq(items.into_iter().map(node).collect()),
        J::Object(fields) => Value::Map(mapping_of(fields)),
    };
    Node::new(value, span)
}

fn mapping_of(fields: serde_json::Map<String, serde_json::Value>) -> Mapping {
    let mut map = Mapping::new();
    for (key, value) in fields {
        let key_span = next_span();
        map.insert(key, key_span, node(value));
    }
    map
}

/// Builds a top-level mapping from a JSON object.
pub(crate) fn tree(json: serde_json::Value) -> Mapping {
    match json {
        serde_json::Value::Object(fields) => mapping_of(fields),
        _ => panic!("a configuration must be a JSON object"),
    }
}

/// The outcome of building one configuration.
pub(crate) struct Built {
    pub root: Mapping,
    pub config: Config,
    pub diagnostics: Vec<Diagnostic>,
}

impl Built {
    /// Messages of the error diagnostics, in order.
    pub fn errors(&self) -> Vec<&str> {
        self.messages(Severity::Error)
    }

    /// Messages of the warning diagnostics, in order.
    pub fn warnings(&self) -> Vec<&str> {
        self.messages(Severity::Warning)
    }

    fn messages(&self, severity: Severity) -> Vec<&str> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .map(|d| d.message.as_str())
            .collect()
    }

    /// Returns the diagnostic with this message.
    pub fn diagnostic(&self, message: &str) -> &Diagnostic {
        self.diagnostics
            .iter()
            .find(|d| d.message == message)
            .unwrap_or_else(|| panic!("no diagnostic `{message}` in {:?}", self.diagnostics))
    }

    /// Returns a job of the built configuration.
    pub fn job(&self, name: &str) -> &super::Job {
        self.config
            .jobs
            .get(name)
            .unwrap_or_else(|| panic!("no job `{name}` in {:?}", self.config.jobs.keys()))
    }

    /// Returns the node at a path of keys and sequence indexes in the input tree.
    pub fn at(&self, path: &[&str]) -> &Node {
        let (first, rest) = path.split_first().expect("empty path");
        let mut node = self.root.get(first).expect("missing top-level key");
        for step in rest {
            node = match &node.value {
                Value::Map(map) => map.get(step).expect("missing key"),
                Value::Seq(items) => &items[step.parse::<usize>().expect("index")],
                _ => panic!("cannot descend into {node:?}"),
            };
        }
        node
    }

    /// Returns the span of a top-level key.
    pub fn key_span(&self, key: &str) -> Span {
        self.root
            .entry(key)
            .expect("missing top-level key")
            .key_span
    }
}

/// Builds a configuration from JSON with default limits.
pub(crate) fn build(json: serde_json::Value) -> Built {
    build_with(json, &Limits::default())
}

/// Builds a configuration from JSON with explicit limits.
pub(crate) fn build_with(json: serde_json::Value, limits: &Limits) -> Built {
    let root = tree(json);
    let mut diags = Diagnostics::new();
    let config = super::build(&root, limits, &mut diags).expect("build returned None");
    Built {
        root,
        config,
        diagnostics: diags.into_vec(),
    }
}

/// Builds a configuration from YAML text, loaded as GitLab loads a file (without `include`,
/// `extends` or `!reference`, which run before this phase).
pub(crate) fn build_yaml(text: &str) -> Built {
    let limits = Limits::default();
    let mut diags = Diagnostics::new();
    let document = crate::yaml::load(FileId(0), text, &limits, &mut diags);
    let loaded: Vec<String> = diags.iter().map(|d| d.message.clone()).collect();
    assert_eq!(
        loaded,
        Vec::<String>::new(),
        "the YAML did not load cleanly"
    );
    let root = match document.map(|d| d.body.value) {
        Some(Value::Map(map)) => map,
        other => panic!("the YAML body is not a mapping: {other:?}"),
    };
    let config = super::build(&root, &limits, &mut diags).expect("build returned None");
    Built {
        root,
        config,
        diagnostics: diags.into_vec(),
    }
}

/// Builds a configuration from YAML text and asserts that it produced no error.
pub(crate) fn valid_yaml(text: &str) -> Built {
    let built = build_yaml(text);
    assert_eq!(built.errors(), Vec::<&str>::new(), "unexpected errors");
    built
}

/// Builds a configuration and asserts that it produced no error.
pub(crate) fn valid(json: serde_json::Value) -> Built {
    let built = build(json);
    assert_eq!(built.errors(), Vec::<&str>::new(), "unexpected errors");
    built
}
