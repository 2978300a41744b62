//! The plain `variables:` maps of `rules`, `workflow:rules` and `services`: names to scalar
//! values, without the `{value, description, expand, options}` hash form that global and job
//! variables allow.

use indexmap::IndexMap;

use super::shape::{report, scalar_string};
use crate::config::check::Ctx;
use crate::yaml::{Key, Node, Value};

/// Variable names and values, in definition order. Values are converted with Ruby's `to_s`
/// (`1` becomes `"1"`, `true` becomes `"true"`).
pub type Variables = IndexMap<String, String>;

/// Parses a `variables:` map whose values must be scalars.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Variables> {
    let map = cx.mapping(path, node)?;
    let mut variables = Variables::new();
    let mut failed = false;
    for (key, entry) in map.entries() {
        let name = match key {
            Key::String(name) => name.clone(),
            Key::Int(i) => i.to_string(),
            _ => {
                report(
                    cx,
                    "invalid-variable",
                    format!("{path}:{key} key must be an alphanumeric string"),
                    entry.key_span,
                    None,
                );
                failed = true;
                continue;
            }
        };
        let value = &entry.value;
        match &value.value {
            // GitLab skips a variable written without a value.
            Value::Null => {}
            Value::Map(_) => {
                report(
                    cx,
                    "invalid-variable",
                    format!("{path}:{name} config must be a string"),
                    value.span,
                    Some("the `value`/`expand` hash form is not allowed here".to_owned()),
                );
                failed = true;
            }
            _ => match scalar_string(value) {
                Some(text) => {
                    variables.insert(name, text);
                }
                None => {
                    report(
                        cx,
                        "invalid-variable",
                        "variable definition must be either a string or a hash",
                        value.span,
                        Some(format!("`{name}` has an array value")),
                    );
                    failed = true;
                }
            },
        }
    }
    (!failed).then_some(variables)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:a:rules:rule:variables";

    #[test]
    fn scalars_become_strings() {
        let vars = ok(parse, PATH, json!({"A": "x", "B": 1, "C": true, "D": 1.5}));
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(pairs, [("A", "x"), ("B", "1"), ("C", "true"), ("D", "1.5")]);
    }

    #[test]
    fn rejects_hash_value() {
        assert_eq!(
            messages(parse, PATH, json!({"A": {"value": "x"}})),
            ["jobs:a:rules:rule:variables:A config must be a string"]
        );
    }

    #[test]
    fn rejects_array_value() {
        assert_eq!(
            messages(parse, PATH, json!({"A": ["x"]})),
            ["variable definition must be either a string or a hash"]
        );
    }

    #[test]
    fn rejects_non_hash() {
        assert_eq!(
            messages(parse, PATH, json!(["A=1"])),
            ["jobs:a:rules:rule:variables config should be a hash"]
        );
    }

    #[test]
    fn skips_null_value() {
        assert!(ok(parse, PATH, json!({"A": null})).is_empty());
    }
}
