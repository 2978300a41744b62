//! `workflow:`: `{rules, name, auto_cancel}`, and the `auto_cancel` hash that workflow rules
//! share.

use serde::Serialize;

use super::rules::{self, Rules};
use super::shape::{failed_since, field, field_message, mark, report, report_enum, scalar_string};
use crate::config::check::Ctx;
use crate::source::Span;
use crate::yaml::{Mapping, Node};

/// Longest `workflow:name`, in characters.
pub const MAX_NAME_LENGTH: usize = 255;

/// `workflow:` after validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Workflow {
    /// Pipeline name template (`CI_PIPELINE_NAME`), variables not yet expanded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Span of the `workflow:name` value, where the error of an expanded name that is empty or
    /// too long points.
    #[serde(skip)]
    pub name_span: Option<Span>,
    /// `workflow:rules`; the first matching rule decides whether the pipeline is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<Rules>,
    /// Pipeline-wide auto-cancel settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_cancel: Option<AutoCancel>,
}

/// `auto_cancel:` of `workflow:` or of a workflow rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutoCancel {
    /// Jobs a newer pipeline on the same ref cancels (default `conservative`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_new_commit: Option<OnNewCommit>,
    /// Jobs a failed job cancels (default `none`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_job_failure: Option<OnJobFailure>,
}

/// `auto_cancel:on_new_commit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnNewCommit {
    /// Cancel the older pipeline only while none of its non-interruptible jobs has started.
    Conservative,
    /// Cancel only the interruptible jobs of the older pipeline.
    Interruptible,
    /// Never cancel.
    None,
}

/// `auto_cancel:on_job_failure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnJobFailure {
    /// Do not cancel anything.
    None,
    /// Cancel the whole pipeline as soon as a job fails.
    All,
}

const ON_NEW_COMMIT_VALUES: &[&str] = &["conservative", "interruptible", "none"];
const ON_JOB_FAILURE_VALUES: &[&str] = &["none", "all"];

/// Parses `workflow:` (`path` is `workflow`).
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Workflow> {
    let map = cx.mapping(path, node)?;
    let start = mark(cx);
    cx.check_keys(path, map, &["rules", "name", "auto_cancel"]);
    let name = parse_name(path, map, cx);
    let name_span = field(map, "name").map(|node| node.span);
    let rules = field(map, "rules")
        .and_then(|value| rules::parse_workflow(&format!("{path}:rules"), value, cx));
    let auto_cancel = field(map, "auto_cancel")
        .and_then(|value| parse_auto_cancel(&format!("{path}:auto_cancel"), value, cx));
    (!failed_since(cx, start)).then_some(Workflow {
        name,
        name_span,
        rules,
        auto_cancel,
    })
}

/// `workflow:name` is stringified and must be 1 to 255 characters.
fn parse_name(path: &str, map: &Mapping, cx: &mut Ctx) -> Option<String> {
    let node = field(map, "name")?;
    let Some(name) = scalar_string(node) else {
        super::shape::report_field_type(cx, path, "name", "a string", node);
        return None;
    };
    let Some(problem) = name_problem(&name) else {
        return Some(name);
    };
    report(
        cx,
        "invalid-length",
        field_message(path, "name", problem),
        node.span,
        None,
    );
    None
}

/// Returns why GitLab rejects `name` as a pipeline name, in the words of Rails' length
/// validation, which requires 1 to [`MAX_NAME_LENGTH`] characters. GitLab checks the name as
/// written and again after expanding its variables.
pub(crate) fn name_problem(name: &str) -> Option<String> {
    let length = name.chars().count();
    if length == 0 {
        Some("is too short (minimum is 1 character)".to_owned())
    } else if length > MAX_NAME_LENGTH {
        Some(format!(
            "is too long (maximum is {MAX_NAME_LENGTH} characters)"
        ))
    } else {
        None
    }
}

/// Parses an `auto_cancel:` hash at `path`.
pub(crate) fn parse_auto_cancel(path: &str, node: &Node, cx: &mut Ctx) -> Option<AutoCancel> {
    let map = cx.mapping(path, node)?;
    let start = mark(cx);
    cx.check_keys(path, map, &["on_new_commit", "on_job_failure"]);
    let on_new_commit = field(map, "on_new_commit").and_then(|value| {
        enum_value(cx, path, "on_new_commit", value, ON_NEW_COMMIT_VALUES).map(|text| match text {
            "interruptible" => OnNewCommit::Interruptible,
            "none" => OnNewCommit::None,
            _ => OnNewCommit::Conservative,
        })
    });
    let on_job_failure = field(map, "on_job_failure").and_then(|value| {
        enum_value(cx, path, "on_job_failure", value, ON_JOB_FAILURE_VALUES).map(
            |text| match text {
                "all" => OnJobFailure::All,
                _ => OnJobFailure::None,
            },
        )
    });
    (!failed_since(cx, start)).then_some(AutoCancel {
        on_new_commit,
        on_job_failure,
    })
}

fn enum_value<'a>(
    cx: &mut Ctx,
    path: &str,
    key: &str,
    node: &'a Node,
    allowed: &[&str],
) -> Option<&'a str> {
    let Some(text) = node.as_str() else {
        super::shape::report_field_type(cx, path, key, "a string", node);
        return None;
    };
    if allowed.contains(&text) {
        return Some(text);
    }
    let message = field_message(
        path,
        key,
        format_args!("must be one of: {}", allowed.join(", ")),
    );
    report_enum(cx, message, text, allowed, node.span);
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    /// T5.8: name, three rules, and the variables of the default-branch rule.
    #[test]
    fn worked_example() {
        let workflow = ok(
            parse,
            "workflow",
            json!({
                "name": "Pipeline for $CI_COMMIT_REF_NAME",
                "rules": [
                    {"if": "$CI_COMMIT_TITLE =~ /-draft$/", "when": "never"},
                    {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", "variables": {"DEPLOY": "prod"}},
                    {"if": "$CI_PIPELINE_SOURCE == \"merge_request_event\""}
                ]
            }),
        );
        assert_eq!(
            workflow.name.as_deref(),
            Some("Pipeline for $CI_COMMIT_REF_NAME")
        );
        assert_eq!(workflow.rules.as_ref().map(Vec::len), Some(3));
    }

    #[test]
    fn auto_cancel_values() {
        let workflow = ok(
            parse,
            "workflow",
            json!({"auto_cancel": {"on_new_commit": "interruptible", "on_job_failure": "all"}}),
        );
        assert_eq!(
            workflow.auto_cancel,
            Some(AutoCancel {
                on_new_commit: Some(OnNewCommit::Interruptible),
                on_job_failure: Some(OnJobFailure::All)
            })
        );
        for value in ON_NEW_COMMIT_VALUES {
            assert!(
                messages(
                    parse,
                    "workflow",
                    json!({"auto_cancel": {"on_new_commit": value}})
                )
                .is_empty()
            );
        }
        for value in ON_JOB_FAILURE_VALUES {
            assert!(
                messages(
                    parse,
                    "workflow",
                    json!({"auto_cancel": {"on_job_failure": value}})
                )
                .is_empty()
            );
        }
    }

    #[test]
    fn error_messages() {
        let long = "n".repeat(256);
        let cases = [
            (json!(["rules"]), "workflow config should be a hash"),
            (
                json!({"stages": []}),
                "workflow config contains unknown keys: stages",
            ),
            (
                json!({"name": ""}),
                "workflow name is too short (minimum is 1 character)",
            ),
            (
                json!({"name": long}),
                "workflow name is too long (maximum is 255 characters)",
            ),
            (
                json!({"auto_cancel": {"on_new_commit": "always"}}),
                "workflow:auto_cancel on new commit must be one of: conservative, interruptible, none",
            ),
            (
                json!({"auto_cancel": {"on_job_failure": "some"}}),
                "workflow:auto_cancel on job failure must be one of: none, all",
            ),
            (
                json!({"auto_cancel": {"on_failure": "all"}}),
                "workflow:auto_cancel config contains unknown keys: on_failure",
            ),
            (
                json!({"auto_cancel": "all"}),
                "workflow:auto_cancel config should be a hash",
            ),
            (
                json!({"rules": [{"if": "$A", "auto_cancel": {"on_new_commit": "x"}}]}),
                "workflow:rules:rule:auto_cancel on new commit must be one of: conservative, interruptible, none",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                messages(parse, "workflow", input.clone()),
                [expected],
                "{input}"
            );
        }
    }

    #[test]
    fn name_length_limit() {
        let name = "n".repeat(255);
        assert_eq!(
            ok(parse, "workflow", json!({"name": name}))
                .name
                .map(|n| n.len()),
            Some(255)
        );
    }
}
