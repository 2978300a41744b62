//! `only:` and `except:` (deprecated, still supported): a list of ref conditions, or
//! `{refs, variables, changes, kubernetes}`.

use serde::Serialize;

use super::rules::{Expression, parse_expression};
use super::shape::{
    failed_since, field, field_message, is_valid_regexp_literal, mark, report, strings,
};
use crate::config::check::Ctx;
use crate::yaml::{Node, Value};

/// The refs GitLab gives `only:` when it is written without `refs`, and a job's implicit
/// `only:` when it has no `only`, `except` or `rules` and there are no `workflow:rules`.
pub const DEFAULT_ONLY_REFS: &[&str] = &["branches", "tags"];

/// `only:` or `except:` in hash form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnlyExcept {
    /// Ref conditions: `branches`, `tags`, pipeline sources (`merge_requests`, `schedules`,
    /// ...), ref names and `/regex/` patterns, each with an optional `@project/path` suffix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refs: Option<Vec<String>>,
    /// Expressions; the condition holds when any is true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<Vec<Expression>>,
    /// File globs, as in `rules:changes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<String>>,
    /// `active`: the project has an active Kubernetes integration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<String>,
}

/// Parses `only:`. GitLab merges its default `refs: [branches, tags]` under what is written,
/// so `only: {variables: [...]}` also requires a branch or tag pipeline.
pub(crate) fn parse_only(path: &str, node: &Node, cx: &mut Ctx) -> Option<OnlyExcept> {
    let mut only = parse(path, node, cx)?;
    if only.refs.is_none() {
        only.refs = Some(DEFAULT_ONLY_REFS.iter().map(|r| (*r).to_owned()).collect());
    }
    Some(only)
}

/// Parses `except:`.
pub(crate) fn parse_except(path: &str, node: &Node, cx: &mut Ctx) -> Option<OnlyExcept> {
    parse(path, node, cx)
}

/// Parses either keyword as written, without the `only` default.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<OnlyExcept> {
    let map = match &node.value {
        Value::Seq(_) => {
            let refs = refs(node).or_else(|| {
                report_refs(cx, format!("{path} config"), node);
                None
            })?;
            return Some(OnlyExcept {
                refs: Some(refs),
                variables: None,
                changes: None,
                kubernetes: None,
            });
        }
        Value::Map(map) => map,
        _ => {
            report(
                cx,
                "invalid-type",
                format!("{path} has to be either an array of conditions or a hash"),
                node.span,
                Some("write a list of refs, or a hash with `refs`, `variables`, `changes` or `kubernetes`".to_owned()),
            );
            return None;
        }
    };
    if map.is_empty() {
        report(
            cx,
            "blank-value",
            format!("{path} config can't be blank"),
            node.span,
            None,
        );
        return None;
    }

    let start = mark(cx);
    cx.check_keys(path, map, &["refs", "kubernetes", "variables", "changes"]);

    let refs = field(map, "refs").and_then(|value| {
        refs(value).or_else(|| {
            report_refs(cx, format!("{path} refs"), value);
            None
        })
    });

    let kubernetes = field(map, "kubernetes").and_then(|value| match value.as_str() {
        Some("active") => Some("active".to_owned()),
        _ => {
            let found =
                super::shape::scalar_string(value).unwrap_or_else(|| value.type_name().to_owned());
            let message = field_message(path, "kubernetes", format_args!("unknown value: {found}"));
            super::shape::report_enum(cx, message, &found, &["active"], value.span);
            None
        }
    });

    let variables = field(map, "variables").and_then(|value| parse_variables(path, value, cx));

    let changes = field(map, "changes").and_then(|value| match strings(value) {
        Some(globs) => Some(globs),
        None => {
            super::shape::report_field_type(cx, path, "changes", "an array of strings", value);
            None
        }
    });

    (!failed_since(cx, start)).then_some(OnlyExcept {
        refs,
        variables,
        changes,
        kubernetes,
    })
}

/// Strings and valid `/regex/` literals, or `None`.
fn refs(node: &Node) -> Option<Vec<String>> {
    let list = strings(node)?;
    list.iter()
        .all(|item| super::shape::ruby_regexp(item).is_none() || is_valid_regexp_literal(item))
        .then_some(list)
}

fn report_refs(cx: &mut Ctx, subject: String, node: &Node) {
    report(
        cx,
        "invalid-refs",
        format!("{subject} should be an array of strings or regular expressions using re2 syntax"),
        node.span,
        None,
    );
}

fn parse_variables(path: &str, node: &Node, cx: &mut Ctx) -> Option<Vec<Expression>> {
    let Some(items) = node
        .as_seq()
        .filter(|items| items.iter().all(|i| i.as_str().is_some()))
    else {
        super::shape::report_field_type(cx, path, "variables", "an array of strings", node);
        return None;
    };
    let mut expressions = Vec::with_capacity(items.len());
    let mut failed = false;
    for item in items {
        match parse_expression(path, "variables", item, cx) {
            Some(expression) => expressions.push(expression),
            None => failed = true,
        }
    }
    (!failed).then_some(expressions)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    /// T5.7: the list form and the hash form of the worked example.
    #[test]
    fn worked_example() {
        let only = ok(
            parse_only,
            "jobs:b:only",
            json!(["main", "/^release-.*$/", "merge_requests"]),
        );
        assert_eq!(
            only.refs,
            Some(vec![
                "main".to_owned(),
                "/^release-.*$/".to_owned(),
                "merge_requests".to_owned()
            ])
        );

        let except = ok(
            parse_except,
            "jobs:c:except",
            json!({"refs": ["schedules"], "variables": ["$SKIP == \"1\""]}),
        );
        assert_eq!(except.refs, Some(vec!["schedules".to_owned()]));
        assert_eq!(
            except.variables.as_ref().map(|v| v[0].text.as_str()),
            Some("$SKIP == \"1\"")
        );
    }

    #[test]
    fn only_gets_default_refs() {
        let only = ok(parse_only, "jobs:a:only", json!({"variables": ["$A"]}));
        assert_eq!(
            only.refs,
            Some(vec!["branches".to_owned(), "tags".to_owned()])
        );
    }

    #[test]
    fn except_keeps_missing_refs() {
        let except = ok(parse_except, "jobs:a:except", json!({"changes": ["a"]}));
        assert_eq!(except.refs, None);
    }

    #[test]
    fn kubernetes_active() {
        let only = ok(parse_only, "jobs:a:only", json!({"kubernetes": "active"}));
        assert_eq!(only.kubernetes.as_deref(), Some("active"));
    }

    #[test]
    fn error_messages() {
        let cases = [
            (
                json!("main"),
                "jobs:a:only has to be either an array of conditions or a hash",
            ),
            (json!({}), "jobs:a:only config can't be blank"),
            (
                json!(["/(/"]),
                "jobs:a:only config should be an array of strings or regular expressions using re2 syntax",
            ),
            (
                json!([1]),
                "jobs:a:only config should be an array of strings or regular expressions using re2 syntax",
            ),
            (
                json!({"refs": "main"}),
                "jobs:a:only refs should be an array of strings or regular expressions using re2 syntax",
            ),
            (
                json!({"branches": ["main"]}),
                "jobs:a:only config contains unknown keys: branches",
            ),
            (
                json!({"kubernetes": "inactive"}),
                "jobs:a:only kubernetes unknown value: inactive",
            ),
            (
                json!({"variables": "$A"}),
                "jobs:a:only variables should be an array of strings",
            ),
            (
                json!({"changes": "a"}),
                "jobs:a:only changes should be an array of strings",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                messages(parse_only, "jobs:a:only", input.clone()),
                [expected],
                "{input}"
            );
        }
    }
}
