//! `hooks:`: commands the runner runs at fixed points of a job. The only hook is
//! `pre_get_sources_script`, run before the repository is cloned or fetched.

use serde::Serialize;

use super::shape::{failed_since, field, mark};
use crate::config::check::Ctx;
use crate::yaml::Node;

/// `hooks:` (job or `default:`). A job's `hooks` replaces `default:hooks` as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hooks {
    /// Commands run before the runner gets the sources, flattened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_get_sources_script: Option<Vec<String>>,
}

/// Parses `hooks:`.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Hooks> {
    let map = cx.mapping(path, node)?;
    let start = mark(cx);
    cx.check_keys(path, map, &["pre_get_sources_script"]);
    let pre_get_sources_script = field(map, "pre_get_sources_script").and_then(|value| {
        crate::config::commands::parse(&format!("{path}:pre_get_sources_script"), value, cx)
    });
    (!failed_since(cx, start)).then_some(Hooks {
        pre_get_sources_script,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:build:hooks";

    #[test]
    fn script_is_flattened() {
        let hooks = ok(
            parse,
            PATH,
            json!({"pre_get_sources_script": ["a", ["b", "c"]]}),
        );
        assert_eq!(
            hooks.pre_get_sources_script,
            Some(vec!["a".to_owned(), "b".to_owned(), "c".to_owned()])
        );
    }

    #[test]
    fn single_string() {
        let hooks = ok(parse, PATH, json!({"pre_get_sources_script": "echo hi"}));
        assert_eq!(
            hooks.pre_get_sources_script,
            Some(vec!["echo hi".to_owned()])
        );
    }

    #[test]
    fn error_messages() {
        let cases = [
            (json!("echo"), "jobs:build:hooks config should be a hash"),
            (
                json!({"post_script": "x"}),
                "jobs:build:hooks config contains unknown keys: post_script",
            ),
            (
                json!({"pre_get_sources_script": [{"a": 1}]}),
                "jobs:build:hooks:pre_get_sources_script config should be a string or a nested array of strings up to 10 levels deep",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(messages(parse, PATH, input.clone()), [expected], "{input}");
        }
    }
}
