//! YAML `variables:` at the top level and in jobs.

use indexmap::IndexMap;

use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::yaml::{Key, Mapping, Node, Value};

use super::check::{Ctx, describe};
use super::model::Variable;

/// Where a `variables:` block is written, which decides the keys its hash form accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Top-level `variables:`: `value`, `description`, `expand`, `options`.
    Global,
    /// Job `variables:`: `value`, `expand`.
    Job,
}

impl Scope {
    fn allowed_keys(self) -> &'static [&'static str] {
        match self {
            Scope::Global => &["value", "description", "expand", "options"],
            Scope::Job => &["value", "expand"],
        }
    }
}

/// Parses a `variables:` mapping. A null value means no variables; entries that fail
/// validation are reported and left out.
pub(crate) fn parse(
    path: &str,
    node: &Node,
    scope: Scope,
    cx: &mut Ctx,
) -> IndexMap<String, Variable> {
    let mut out = IndexMap::new();
    if node.is_null() {
        return out;
    }
    let Some(map) = cx.mapping(path, node) else {
        return out;
    };
    out.reserve(map.len());
    for (key, entry) in map.entries() {
        let name = match key {
            Key::String(s) => s.clone(),
            Key::Int(i) => i.to_string(),
            other => {
                cx.diags.push(
                    Diagnostic::error(
                        "invalid-variable-name",
                        format!("{path}:{other} key must be an alphanumeric string"),
                    )
                    .with_span(entry.key_span)
                    .with_help("quote the variable name"),
                );
                continue;
            }
        };
        warn_unusual_name(path, &name, entry.key_span, cx);
        if let Some(variable) = parse_one(path, &name, &entry.value, scope, cx) {
            out.insert(name, variable);
        }
    }
    out
}

fn parse_one(path: &str, name: &str, node: &Node, scope: Scope, cx: &mut Ctx) -> Option<Variable> {
    match &node.value {
        // GitLab turns a null definition into an empty hash, which gives an empty value.
        Value::Null => Some(Variable::plain("", node.span)),
        Value::String(_) | Value::Int(_) | Value::BigInt(_) | Value::Float(_) | Value::Bool(_) => {
            let value = node.value.scalar_to_string().unwrap_or_default();
            Some(Variable::plain(value, node.span))
        }
        Value::Map(map) => parse_hash(&format!("{path}:{name}"), node, map, scope, cx),
        Value::Seq(_) | Value::Reference(_) => {
            cx.diags.push(
                Diagnostic::error(
                    "invalid-variable",
                    "variable definition must be either a string or a hash",
                )
                .with_span(node.span)
                .with_help(format!(
                    "`{path}:{name}` is {}; write a string, or a hash with `value:`",
                    describe(node)
                )),
            );
            None
        }
    }
}

/// Parses the hash form `{value, description, expand, options}`.
fn parse_hash(
    path: &str,
    node: &Node,
    map: &Mapping,
    scope: Scope,
    cx: &mut Ctx,
) -> Option<Variable> {
    let mut valid = check_data_keys(path, map, scope, cx);

    let value_node = map.get("value").filter(|v| !v.is_null());
    let value = match value_node.map(|v| &v.value) {
        None => String::new(),
        Some(Value::Map(_) | Value::Seq(_) | Value::Reference(_)) => {
            error_at(
                cx,
                value_node,
                node,
                format!("{path} config value must be a scalar"),
            );
            valid = false;
            String::new()
        }
        Some(scalar) => scalar.scalar_to_string().unwrap_or_default(),
    };

    let description = match map.get("description").filter(|v| !v.is_null()) {
        None => None,
        Some(d) => match &d.value {
            Value::String(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::BigInt(digits) => Some(digits.clone()),
            _ => {
                let message = format!("{path} config description must be an alphanumeric string");
                error_at(cx, Some(d), node, message);
                valid = false;
                None
            }
        },
    };

    let expand = match map.get("expand").filter(|v| !v.is_null()) {
        None => None,
        Some(e) => match e.value {
            Value::Bool(b) => Some(b),
            _ => {
                let message = format!("{path} config expand should be a boolean value");
                error_at(cx, Some(e), node, message);
                valid = false;
                None
            }
        },
    };

    let options = match map.get("options").filter(|v| !v.is_null()) {
        None => None,
        Some(o) => match string_list(o) {
            Some(list) => Some(list),
            None => {
                let message = format!("{path} config options should be an array of strings");
                error_at(cx, Some(o), node, message);
                valid = false;
                None
            }
        },
    };

    // GitLab compares the value as written with the option strings, so `value: 1` is not in
    // `options: ["1"]`.
    if let Some(options) = options.as_ref().filter(|o| !o.is_empty()) {
        let listed = value_node
            .and_then(Node::as_str)
            .is_some_and(|v| options.iter().any(|o| o == v));
        if !listed {
            cx.diags.push(
                Diagnostic::error(
                    "variable-value-not-in-options",
                    format!("{path} config value must be present in options"),
                )
                .with_span(value_node.map_or(node.span, |v| v.span))
                .with_help(format!("options are: {}", options.join(", "))),
            );
            valid = false;
        }
    }

    valid.then(|| Variable {
        value,
        description,
        options,
        expand,
        span: value_node.map_or(node.span, |v| v.span),
    })
}

/// Reports keys of the hash form that this scope does not accept:
/// `<path> config uses invalid data keys: description`.
fn check_data_keys(path: &str, map: &Mapping, scope: Scope, cx: &mut Ctx) -> bool {
    let allowed = scope.allowed_keys();
    let extra: Vec<(String, Span)> = map
        .entries()
        .filter(|(k, _)| !k.as_str().is_some_and(|k| allowed.contains(&k)))
        .map(|(k, e)| (k.to_string(), e.key_span))
        .collect();
    let Some((_, first_span)) = extra.first() else {
        return true;
    };
    let names: Vec<&str> = extra.iter().map(|(k, _)| k.as_str()).collect();
    let help = match scope {
        Scope::Job if names.iter().any(|k| *k == "description" || *k == "options") => {
            "`description` and `options` are only allowed in top-level `variables:`".to_owned()
        }
        _ => format!("allowed keys: {}", allowed.join(", ")),
    };
    cx.diags.push(
        Diagnostic::error(
            "invalid-variable-keys",
            format!("{path} config uses invalid data keys: {}", names.join(", ")),
        )
        .with_span(*first_span)
        .with_help(help),
    );
    false
}

fn string_list(node: &Node) -> Option<Vec<String>> {
    node.as_seq()?
        .iter()
        .map(|item| item.as_str().map(str::to_owned))
        .collect()
}

fn error_at(cx: &mut Ctx, at: Option<&Node>, fallback: &Node, message: String) {
    let span = at.map_or(fallback.span, |n| n.span);
    cx.diags
        .push(Diagnostic::error("invalid-variable", message).with_span(span));
}

/// Warns about names that shells cannot use. GitLab's validator accepts any string key; its
/// documentation allows only letters, digits and `_`.
fn warn_unusual_name(path: &str, name: &str, span: Span, cx: &mut Ctx) {
    let valid = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !valid {
        cx.diags.push(
            Diagnostic::warning(
                "unusual-variable-name",
                format!("variable name `{name}` in `{path}` is not a valid shell variable name"),
            )
            .with_span(span)
            .with_help("use only letters, digits and `_`; some shells cannot read other names"),
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{build, valid};

    fn value_of(built: &super::super::testing::Built, name: &str) -> String {
        built.config.variables[name].value.clone()
    }

    #[test]
    fn scalars_stringified() {
        let built = valid(json!({
            "variables": {"S": "text", "I": 12, "F": 1.10, "T": true, "N": null},
            "job": {"script": "x"},
        }));
        let pairs = [
            ("S", "text"),
            ("I", "12"),
            ("F", "1.1"),
            ("T", "true"),
            ("N", ""),
        ];
        for (name, value) in pairs {
            assert_eq!(value_of(&built, name), value, "variable {name}");
        }
    }

    #[test]
    fn global_hash_form() {
        let built = valid(json!({
            "variables": {
                "ENV": {"value": "b", "description": "target", "options": ["a", "b"]},
                "RAW": {"value": "$X", "expand": false},
                "ONLY_DESCRIPTION": {"description": "fill me"},
            },
            "job": {"script": "x"},
        }));
        let env = &built.config.variables["ENV"];
        assert_eq!(env.value, "b");
        assert_eq!(env.description.as_deref(), Some("target"));
        assert_eq!(env.options, Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(built.config.variables["RAW"].expand, Some(false));
        assert_eq!(value_of(&built, "ONLY_DESCRIPTION"), "");
    }

    #[test]
    fn job_hash_form() {
        let built = valid(
            json!({"job": {"script": "x", "variables": {"A": {"value": 1, "expand": true}}}}),
        );
        let a = &built.job("job").variables["A"];
        assert_eq!(a.value, "1");
        assert_eq!(a.expand, Some(true));
    }

    #[test]
    fn job_rejects_description() {
        let built = build(json!({"job": {
            "script": "x",
            "variables": {"A": {"value": "1", "description": "d", "options": ["1"]}},
        }}));
        assert_eq!(
            built.errors(),
            ["jobs:job:variables:a config uses invalid data keys: description, options"]
        );
    }

    #[test]
    fn value_not_in_options() {
        let built = build(json!({
            "variables": {"A": {"value": "c", "description": "d", "options": ["a", "b"]}},
            "job": {"script": "x"},
        }));
        assert_eq!(
            built.errors(),
            ["variables:a config value must be present in options"]
        );
        let diagnostic = built.diagnostic("variables:a config value must be present in options");
        assert_eq!(
            diagnostic.span,
            Some(built.at(&["variables", "A", "value"]).span)
        );
    }

    #[test]
    fn integer_value_not_in_string_options() {
        let built = build(json!({
            "variables": {"A": {"value": 1, "options": ["1", "2"]}},
            "job": {"script": "x"},
        }));
        assert_eq!(
            built.errors(),
            ["variables:a config value must be present in options"]
        );
    }

    #[test]
    fn invalid_forms() {
        let cases = [
            (
                json!({"A": ["x"]}),
                "variable definition must be either a string or a hash",
            ),
            (
                json!({"A": {"value": ["x"]}}),
                "variables:a config value must be a scalar",
            ),
            (
                json!({"A": {"value": "x", "expand": "no"}}),
                "variables:a config expand should be a boolean value",
            ),
            (
                json!({"A": {"description": ["d"]}}),
                "variables:a config description must be an alphanumeric string",
            ),
            (
                json!({"A": {"value": "x", "options": "x"}}),
                "variables:a config options should be an array of strings",
            ),
            (
                json!({"A": {"value": "x", "other": 1}}),
                "variables:a config uses invalid data keys: other",
            ),
            (json!(["A=1"]), "variables config should be a hash"),
        ];
        for (variables, message) in cases {
            let built = build(json!({"variables": variables.clone(), "job": {"script": "x"}}));
            assert_eq!(built.errors(), [message], "variables {variables}");
        }
    }

    #[test]
    fn unusual_name_warns() {
        let built = valid(json!({"variables": {"MY-VAR": "1"}, "job": {"script": "x"}}));
        assert_eq!(
            built.warnings(),
            ["variable name `MY-VAR` in `variables` is not a valid shell variable name"]
        );
    }

    #[test]
    fn job_and_global_kept_apart() {
        let built = valid(json!({
            "variables": {"G": "1"},
            "job": {"script": "x", "variables": {"J": "2"}},
        }));
        assert_eq!(built.config.variables.keys().collect::<Vec<_>>(), ["G"]);
        assert_eq!(built.job("job").variables.keys().collect::<Vec<_>>(), ["J"]);
    }
}
