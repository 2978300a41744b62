//! `when:` on jobs, trigger jobs, `rules`, `workflow:rules` and `include:rules`. Each place
//! allows a different set of values and GitLab words the error differently.

use serde::Serialize;

use super::shape::{attribute_message, report_attribute_type, report_enum};
use crate::config::check::Ctx;
use crate::yaml::Node;

/// A `when:` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// Run when all predecessors succeeded (the default).
    OnSuccess,
    /// Run only when a predecessor failed.
    OnFailure,
    /// Run whatever the predecessors' result.
    Always,
    /// Wait for a user to start the job.
    Manual,
    /// Start the job `start_in` after it becomes ready.
    Delayed,
    /// Do not create the job or pipeline (only in `rules`, `workflow:rules` and
    /// `include:rules`).
    Never,
}

impl When {
    /// Returns the YAML spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            When::OnSuccess => "on_success",
            When::OnFailure => "on_failure",
            When::Always => "always",
            When::Manual => "manual",
            When::Delayed => "delayed",
            When::Never => "never",
        }
    }

    /// Parses the YAML spelling.
    pub fn parse(s: &str) -> Option<When> {
        Some(match s {
            "on_success" => When::OnSuccess,
            "on_failure" => When::OnFailure,
            "always" => When::Always,
            "manual" => When::Manual,
            "delayed" => When::Delayed,
            "never" => When::Never,
            _ => return None,
        })
    }
}

/// Values of a regular job's `when:`.
pub const JOB_VALUES: &[&str] = &["on_success", "on_failure", "always", "manual", "delayed"];

/// Values of a trigger job's `when:`.
pub const BRIDGE_VALUES: &[&str] = &["on_success", "on_failure", "always", "manual"];

/// Values of `when:` in a job's `rules`.
pub const RULE_VALUES: &[&str] = &[
    "on_success",
    "on_failure",
    "always",
    "never",
    "manual",
    "delayed",
];

/// Values of `when:` in `workflow:rules` and `include:rules`.
pub const WORKFLOW_VALUES: &[&str] = &["always", "never"];

/// Parses a regular job's `when:`; reports `jobs:build when should be one of: on_success,
/// on_failure, always, manual, delayed`.
pub(crate) fn parse_job(path: &str, node: &Node, cx: &mut Ctx) -> Option<When> {
    parse_one_of(path, node, cx, JOB_VALUES)
}

/// Parses a trigger job's `when:`; reports `jobs:deploy when should be one of: on_success,
/// on_failure, always, manual`.
pub(crate) fn parse_bridge(path: &str, node: &Node, cx: &mut Ctx) -> Option<When> {
    parse_one_of(path, node, cx, BRIDGE_VALUES)
}

fn parse_one_of(path: &str, node: &Node, cx: &mut Ctx, allowed: &[&str]) -> Option<When> {
    let Some(text) = node.as_str() else {
        report_attribute_type(cx, path, "a string", node);
        return None;
    };
    match When::parse(text).filter(|_| allowed.contains(&text)) {
        Some(when) => Some(when),
        None => {
            let message = attribute_message(
                path,
                format_args!("should be one of: {}", allowed.join(", ")),
            );
            report_enum(cx, message, text, allowed, node.span);
            None
        }
    }
}

/// Parses `when:` inside a rule (`allowed` is [`RULE_VALUES`] or [`WORKFLOW_VALUES`]). GitLab's
/// rule validator reports `jobs:build:rules:rule when unknown value: sometimes`, and accepts any
/// scalar whose text is an allowed value.
pub(crate) fn parse_rule(path: &str, node: &Node, cx: &mut Ctx, allowed: &[&str]) -> Option<When> {
    let text = super::shape::scalar_string(node).unwrap_or_default();
    match When::parse(&text).filter(|_| allowed.contains(&text.as_str())) {
        Some(when) => Some(when),
        None => {
            let found = match &node.value {
                crate::yaml::Value::Seq(_) | crate::yaml::Value::Map(_) => {
                    crate::config::check::describe(node)
                }
                _ => text.clone(),
            };
            let message = attribute_message(path, format_args!("unknown value: {found}"));
            report_enum(cx, message, &text, allowed, node.span);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    #[test]
    fn job_values() {
        for value in JOB_VALUES {
            let parsed = ok(parse_job, "jobs:a:when", json!(value));
            assert_eq!(parsed.as_str(), *value);
        }
    }

    #[test]
    fn job_rejects_never() {
        assert_eq!(
            messages(parse_job, "jobs:a:when", json!("never")),
            ["jobs:a when should be one of: on_success, on_failure, always, manual, delayed"]
        );
    }

    #[test]
    fn job_rejects_non_string() {
        assert_eq!(
            messages(parse_job, "jobs:a:when", json!(true)),
            ["jobs:a when should be a string"]
        );
    }

    #[test]
    fn bridge_rejects_delayed() {
        assert_eq!(
            messages(parse_bridge, "jobs:t:when", json!("delayed")),
            ["jobs:t when should be one of: on_success, on_failure, always, manual"]
        );
    }

    #[test]
    fn rule_values() {
        let parse = |p: &str, n: &Node, cx: &mut Ctx| parse_rule(p, n, cx, RULE_VALUES);
        for value in RULE_VALUES {
            assert_eq!(
                ok(parse, "jobs:a:rules:rule:when", json!(value)).as_str(),
                *value
            );
        }
    }

    #[test]
    fn rule_unknown_value() {
        let parse = |p: &str, n: &Node, cx: &mut Ctx| parse_rule(p, n, cx, RULE_VALUES);
        assert_eq!(
            messages(parse, "jobs:a:rules:rule:when", json!("sometimes")),
            ["jobs:a:rules:rule when unknown value: sometimes"]
        );
    }

    #[test]
    fn workflow_rejects_manual() {
        let parse = |p: &str, n: &Node, cx: &mut Ctx| parse_rule(p, n, cx, WORKFLOW_VALUES);
        assert_eq!(
            messages(parse, "workflow:rules:rule:when", json!("manual")),
            ["workflow:rules:rule when unknown value: manual"]
        );
    }

    #[test]
    fn serializes_snake_case() {
        assert_eq!(
            serde_json::to_value(When::OnSuccess).unwrap(),
            json!("on_success")
        );
    }
}
