//! Shared helpers for keyword validation. Messages follow GitLab's entry validators:
//! `<path> config should be a string`, `<path> config contains unknown keys: a, b` and so on,
//! where `<path>` is GitLab's entry path such as `jobs:build:image`.

use std::collections::HashMap;

use super::keywords::rules::ExpressionCheck;
use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::limits::Limits;
use crate::source::Span;
use crate::yaml::{Mapping, Node, Value};

/// State shared while building the typed configuration.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    /// Where diagnostics go.
    pub diags: &'a mut Diagnostics,
    /// Limits in force.
    pub limits: &'a Limits,
    /// The verdict on each expression text checked so far, so that the rules every job
    /// inherits are parsed once per configuration.
    pub expressions: HashMap<String, ExpressionCheck>,
}

impl<'a> Ctx<'a> {
    /// Creates a context with nothing checked yet.
    pub fn new(diags: &'a mut Diagnostics, limits: &'a Limits) -> Self {
        Ctx {
            diags,
            limits,
            expressions: HashMap::new(),
        }
    }

    /// Reports an invalid-configuration error at `span`.
    // `#[cold]` for the reason given at `Diagnostic::error`.
    #[cold]
    pub fn error(&mut self, code: &'static str, message: impl Into<String>, span: Span) {
        self.diags
            .push(Diagnostic::error(code, message).with_span(span));
    }

    /// Reports `<path> config should be <expected>` at the node.
    // `#[cold]` for the reason given at `Diagnostic::error`.
    #[cold]
    pub fn type_error(&mut self, path: &str, expected: &str, node: &Node) {
        self.diags.push(
            Diagnostic::error(
                "invalid-type",
                format!("{path} config should be {expected}"),
            )
            .with_span(node.span)
            .with_help(format!("found {} here", describe(node))),
        );
    }

    /// Checks that every key of `map` is in `allowed`, and reports GitLab's
    /// `<path> config contains unknown keys: a, b` once for the mapping otherwise. The
    /// diagnostic points at the first unknown key and labels the others. Every key close to an
    /// allowed one gets a "did you mean": the first in the help line, the others in their
    /// labels. Returns whether all keys were known.
    pub fn check_keys(&mut self, path: &str, map: &Mapping, allowed: &[&str]) -> bool {
        let unknown: Vec<(String, Span)> = map
            .entries()
            .filter(|(k, _)| !k.as_str().is_some_and(|k| allowed.contains(&k)))
            .map(|(k, e)| (k.to_string(), e.key_span))
            .collect();
        let Some((first, first_span)) = unknown.first() else {
            return true;
        };
        let names: Vec<&str> = unknown.iter().map(|(k, _)| k.as_str()).collect();
        let mut diagnostic = Diagnostic::error(
            "unknown-keys",
            format!("{path} config contains unknown keys: {}", names.join(", ")),
        )
        .with_span(*first_span);
        for (name, span) in unknown.iter().skip(1) {
            let label = match did_you_mean(name, allowed.iter().copied()) {
                Some(suggestion) => format!("unknown key; did you mean `{suggestion}`?"),
                None => "unknown key".to_owned(),
            };
            diagnostic = diagnostic.with_label(*span, label);
        }
        let help = match did_you_mean(first, allowed.iter().copied()) {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None => format!("allowed keys: {}", allowed.join(", ")),
        };
        self.diags.push(diagnostic.with_help(help));
        false
    }

    /// A string, or reports `<path> config should be a string`.
    pub fn string(&mut self, path: &str, node: &Node) -> Option<String> {
        match &node.value {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.type_error(path, "a string", node);
                None
            }
        }
    }

    /// A boolean, or reports `<path> config should be a boolean value`.
    pub fn boolean(&mut self, path: &str, node: &Node) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.type_error(path, "a boolean value", node);
                None
            }
        }
    }

    /// A mapping, or reports `<path> config should be a hash`.
    pub fn mapping<'n>(&mut self, path: &str, node: &'n Node) -> Option<&'n Mapping> {
        match &node.value {
            Value::Map(m) => Some(m),
            _ => {
                self.type_error(path, "a hash", node);
                None
            }
        }
    }

    /// An array of strings, or reports `<path> config should be an array of strings`.
    pub fn string_array(&mut self, path: &str, node: &Node) -> Option<Vec<String>> {
        let Value::Seq(items) = &node.value else {
            self.type_error(path, "an array of strings", node);
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match &item.value {
                Value::String(s) => out.push(s.clone()),
                _ => {
                    self.type_error(path, "an array of strings", item);
                    return None;
                }
            }
        }
        Some(out)
    }
}

/// Describes a node for help lines: its type and, for short scalars, its value.
pub(crate) fn describe(node: &Node) -> String {
    match &node.value {
        Value::String(s) if s.chars().count() <= 40 => format!("string `{s}`"),
        Value::Int(i) => format!("integer `{i}`"),
        Value::BigInt(digits) => format!("integer `{digits}`"),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Null => "null".to_owned(),
        other => other.type_name().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::build;

    #[test]
    fn unknown_keys_suggest_each_key() {
        let built = build(json!({"job": {"script": "x", "scirpt": "y", "stgae": "z"}}));
        let message = "jobs:job config contains unknown keys: scirpt, stgae";
        assert_eq!(built.errors(), [message]);
        let diagnostic = built.diagnostic(message);
        assert_eq!(diagnostic.help.as_deref(), Some("did you mean `script`?"));
        let labels: Vec<&str> = diagnostic
            .labels
            .iter()
            .map(|l| l.message.as_str())
            .collect();
        assert_eq!(labels, ["unknown key; did you mean `stage`?"]);
    }

    #[test]
    fn unknown_keys_label_without_suggestion() {
        let built = build(json!({"job": {"script": "x", "zzz": "y", "stgae": "z", "qqq": 1}}));
        let message = "jobs:job config contains unknown keys: zzz, stgae, qqq";
        let diagnostic = built.diagnostic(message);
        assert!(
            diagnostic
                .help
                .as_deref()
                .is_some_and(|help| help.starts_with("allowed keys: "))
        );
        let labels: Vec<&str> = diagnostic
            .labels
            .iter()
            .map(|l| l.message.as_str())
            .collect();
        assert_eq!(
            labels,
            ["unknown key; did you mean `stage`?", "unknown key"]
        );
    }
}
