//! `inherit:`: `{default: bool | [keywords], variables: bool | [names]}`, which limits what a
//! job takes from `default:` and from the global `variables:`.

use serde::Serialize;

use super::shape::{failed_since, field, mark, report, report_enum, strings};
use crate::config::check::Ctx;
use crate::yaml::{Node, Value};

/// Keywords a job can take from `default:`, which `inherit:default` may list (GitLab EE adds
/// `identity`).
pub const DEFAULT_KEYWORDS: &[&str] = &[
    "after_script",
    "artifacts",
    "before_script",
    "cache",
    "hooks",
    "id_tokens",
    "identity",
    "image",
    "interruptible",
    "retry",
    "services",
    "tags",
    "timeout",
];

/// `inherit:` after validation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Inherit {
    /// `default:` keywords the job takes; `None` means all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Inheritance>,
    /// Global variables the job takes; `None` means all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<Inheritance>,
}

/// `true`, `false`, or a list of names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Inheritance {
    /// `true` takes everything, `false` nothing.
    All(bool),
    /// Only the listed names.
    Only(Vec<String>),
}

impl Inheritance {
    /// Returns whether `name` is inherited.
    pub fn allows(&self, name: &str) -> bool {
        match self {
            Inheritance::All(all) => *all,
            Inheritance::Only(names) => names.iter().any(|n| n == name),
        }
    }
}

impl Inherit {
    /// Returns whether the job takes the `default:` keyword `key`.
    pub fn inherits_default(&self, key: &str) -> bool {
        self.default.as_ref().is_none_or(|d| d.allows(key))
    }

    /// Returns whether the job takes the global variable `name`.
    pub fn inherits_variable(&self, name: &str) -> bool {
        self.variables.as_ref().is_none_or(|v| v.allows(name))
    }
}

/// Parses `inherit:` (`path` is `jobs:<name>:inherit`).
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Inherit> {
    let map = cx.mapping(path, node)?;
    let start = mark(cx);
    cx.check_keys(path, map, &["default", "variables"]);
    let default = field(map, "default").and_then(|value| {
        parse_inheritance(
            &format!("{path}:default"),
            value,
            cx,
            Some(DEFAULT_KEYWORDS),
        )
    });
    let variables = field(map, "variables")
        .and_then(|value| parse_inheritance(&format!("{path}:variables"), value, cx, None));
    (!failed_since(cx, start)).then_some(Inherit { default, variables })
}

fn parse_inheritance(
    path: &str,
    node: &Node,
    cx: &mut Ctx,
    allowed: Option<&[&str]>,
) -> Option<Inheritance> {
    match &node.value {
        Value::Bool(all) => Some(Inheritance::All(*all)),
        Value::Seq(_) => {
            let Some(names) = strings(node) else {
                cx.type_error(path, "an array of strings", node);
                return None;
            };
            if let Some(allowed) = allowed {
                let unknown: Vec<&str> = names
                    .iter()
                    .map(String::as_str)
                    .filter(|n| !allowed.contains(n))
                    .collect();
                if let Some(first) = unknown.first() {
                    let message = format!(
                        "{path} config contains unknown values: {}",
                        unknown.join(", ")
                    );
                    report_enum(cx, message, first, allowed, node.span);
                    return None;
                }
            }
            Some(Inheritance::Only(names))
        }
        _ => {
            report(
                cx,
                "invalid-type",
                format!("{path} should be a bool or array of strings"),
                node.span,
                None,
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:j:inherit";

    /// T4.1: `j1` takes nothing, `j2` only the listed keywords and variables.
    #[test]
    fn worked_example() {
        let j1 = ok(parse, PATH, json!({"default": false, "variables": false}));
        assert!(!j1.inherits_default("image"));
        assert!(!j1.inherits_variable("V1"));

        let j2 = ok(
            parse,
            PATH,
            json!({"default": ["retry", "image"], "variables": ["V1", "V2"]}),
        );
        assert!(j2.inherits_default("image"));
        assert!(j2.inherits_default("retry"));
        assert!(!j2.inherits_default("tags"));
        assert!(j2.inherits_variable("V2"));
        assert!(!j2.inherits_variable("V3"));
    }

    #[test]
    fn absent_means_all() {
        let inherit = ok(parse, PATH, json!({}));
        assert!(inherit.inherits_default("tags"));
        assert!(inherit.inherits_variable("ANY"));
    }

    #[test]
    fn every_default_keyword_accepted() {
        for keyword in DEFAULT_KEYWORDS {
            assert!(
                messages(parse, PATH, json!({"default": [keyword]})).is_empty(),
                "{keyword}"
            );
        }
    }

    #[test]
    fn error_messages() {
        let cases = [
            (json!(true), "jobs:j:inherit config should be a hash"),
            (
                json!({"stages": true}),
                "jobs:j:inherit config contains unknown keys: stages",
            ),
            (
                json!({"default": "image"}),
                "jobs:j:inherit:default should be a bool or array of strings",
            ),
            (
                json!({"default": ["script"]}),
                "jobs:j:inherit:default config contains unknown values: script",
            ),
            (
                json!({"default": [1]}),
                "jobs:j:inherit:default config should be an array of strings",
            ),
            (
                json!({"variables": {"A": 1}}),
                "jobs:j:inherit:variables should be a bool or array of strings",
            ),
            (
                json!({"variables": [true]}),
                "jobs:j:inherit:variables config should be an array of strings",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(messages(parse, PATH, input.clone()), [expected], "{input}");
        }
    }

    #[test]
    fn serializes_like_yaml() {
        let inherit = ok(
            parse,
            PATH,
            json!({"default": ["image"], "variables": false}),
        );
        assert_eq!(
            serde_json::to_value(inherit).unwrap(),
            json!({"default": ["image"], "variables": false})
        );
    }
}
