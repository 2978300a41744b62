//! `retry:`: `0`, `1`, `2`, or `{max, when, exit_codes}`.
//!
//! GitLab names this entry plain `retry` in its messages, without the job, for example
//! `retry config must be less than or equal to 2`; the diagnostic's span points at the job.

use serde::Serialize;

use super::exit_code::{Comparison, ExitCode, exit_codes};
use super::shape::{field, report, report_enum, string_or_strings};
use crate::config::check::Ctx;
use crate::yaml::{Mapping, Node, Value};

/// The largest number of automatic retries.
pub const MAX_RETRIES: i64 = 2;

/// Failure reasons `retry:when` accepts besides `always`: every job failure reason GitLab
/// records (`Enums::Ci::CommitStatus.failure_reasons`, GitLab 18.x).
pub const RETRY_WHEN_VALUES: &[&str] = &[
    "always",
    "unknown_failure",
    "script_failure",
    "api_failure",
    "stuck_or_timeout_failure",
    "runner_system_failure",
    "missing_dependency_failure",
    "runner_unsupported",
    "stale_schedule",
    "job_execution_timeout",
    "archived_failure",
    "unmet_prerequisites",
    "scheduler_failure",
    "data_integrity_failure",
    "forward_deployment_failure",
    "user_blocked",
    "project_deleted",
    "ci_quota_exceeded",
    "pipeline_loop_detected",
    "no_matching_runner",
    "trace_size_exceeded",
    "builds_disabled",
    "environment_creation_failure",
    "deployment_rejected",
    "failed_outdated_deployment_job",
    "job_execution_server_timeout",
    "stuck_pending_with_matching_runners",
    "stuck_pending_no_matching_runners",
    "no_updates_running",
    "no_updates_canceling",
    "server_timeout_running",
    "server_timeout_canceling",
    "runner_configuration_error",
    "runner_external_dependency_failure",
    "runner_interrupted",
    "protected_environment_failure",
    "insufficient_bridge_permissions",
    "downstream_bridge_project_not_found",
    "invalid_bridge_trigger",
    "upstream_bridge_project_not_found",
    "insufficient_upstream_permissions",
    "bridge_pipeline_is_child_pipeline",
    "downstream_pipeline_creation_failed",
    "secrets_provider_not_found",
    "reached_max_descendant_pipelines_depth",
    "ip_restriction_failure",
    "reached_max_pipeline_hierarchy_size",
    "reached_downstream_pipeline_trigger_rate_limit",
    "duo_workflow_not_allowed",
    "job_router_failure",
    "job_token_expired",
    "id_token_burned_project_path",
    "downstream_project_trigger_resolved_to_empty",
];

/// `retry:` after normalization: `retry: 2` becomes `{max: 2}`, and single `when` and
/// `exit_codes` values become lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Retry {
    /// Maximum number of retries (0 to 2). `None` in the hash form without `max`, which
    /// GitLab treats as no retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<u8>,
    /// Failure reasons that trigger a retry; `None` means any failure (`always`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<Vec<String>>,
    /// Script exit codes that trigger a retry. With both `when` and `exit_codes`, either one
    /// matching is enough.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_codes: Option<Vec<ExitCode>>,
}

/// Parses `retry:`. `_path` is not used in messages, because GitLab names the entry `retry`
/// whatever job it belongs to.
pub(crate) fn parse(_path: &str, node: &Node, cx: &mut Ctx) -> Option<Retry> {
    match &node.value {
        Value::Int(_) | Value::BigInt(_) => {
            let max = parse_max("retry config", node, cx)?;
            Some(Retry {
                max: Some(max),
                when: None,
                exit_codes: None,
            })
        }
        Value::Map(map) => parse_full(map, cx),
        _ => {
            report(
                cx,
                "invalid-type",
                "retry config has to be either an integer or a hash",
                node.span,
                Some(format!(
                    "found {}; write `retry: 2` or `retry: {{max: 2, when: script_failure}}`",
                    crate::config::check::describe(node)
                )),
            );
            None
        }
    }
}

fn parse_full(map: &Mapping, cx: &mut Ctx) -> Option<Retry> {
    if !cx.check_keys("retry", map, &["max", "when", "exit_codes"]) {
        return None;
    }
    let mut failed = false;

    let max = match field(map, "max") {
        Some(node) => {
            let max = parse_max("retry max", node, cx);
            failed |= max.is_none();
            max
        }
        None => None,
    };

    let when = match field(map, "when") {
        Some(node) => {
            let when = parse_when(node, cx);
            failed |= when.is_none();
            when
        }
        None => None,
    };

    let exit_codes = match field(map, "exit_codes") {
        Some(node) => match exit_codes(node, "retry:exit_codes", Comparison::Saved, cx) {
            Some(codes) => Some(codes),
            None => {
                report(
                    cx,
                    "invalid-type",
                    "retry exit codes should be an array of integers or an integer",
                    node.span,
                    None,
                );
                failed = true;
                None
            }
        },
        None => None,
    };

    (!failed).then_some(Retry {
        max,
        when,
        exit_codes,
    })
}

/// Validates a retry count as Rails' numericality check does: integers (or integer strings)
/// from 0 to 2.
fn parse_max(subject: &str, node: &Node, cx: &mut Ctx) -> Option<u8> {
    let value = match &node.value {
        Value::Int(i) => Some(*i),
        // Only the sign of a Bignum matters to the range check.
        Value::BigInt(digits) => Some(if digits.starts_with('-') {
            i64::MIN
        } else {
            i64::MAX
        }),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    let Some(value) = value else {
        let message = match node.value {
            Value::Float(_) => format!("{subject} must be an integer"),
            _ => format!("{subject} is not a number"),
        };
        report(cx, "invalid-value", message, node.span, None);
        return None;
    };
    let problem = if value < 0 {
        Some("must be greater than or equal to 0")
    } else if value > MAX_RETRIES {
        Some("must be less than or equal to 2")
    } else {
        None
    };
    match problem {
        Some(problem) => {
            report(
                cx,
                "invalid-value",
                format!("{subject} {problem}"),
                node.span,
                Some("a job can be retried at most 2 times".to_owned()),
            );
            None
        }
        None => u8::try_from(value).ok(),
    }
}

fn parse_when(node: &Node, cx: &mut Ctx) -> Option<Vec<String>> {
    let Some(reasons) = string_or_strings(node) else {
        report(
            cx,
            "invalid-type",
            "retry when should be an array of strings or a string",
            node.span,
            None,
        );
        return None;
    };
    let unknown: Vec<&str> = reasons
        .iter()
        .map(String::as_str)
        .filter(|reason| !RETRY_WHEN_VALUES.contains(reason))
        .collect();
    let Some(first) = unknown.first() else {
        return Some(reasons);
    };
    // GitLab words the two shapes differently.
    let message = if matches!(node.value, Value::Seq(_)) {
        format!("retry when contains unknown values: {}", unknown.join(", "))
    } else {
        "retry when is not included in the list".to_owned()
    };
    report_enum(cx, message, first, RETRY_WHEN_VALUES, node.span);
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok, run_node, yaml};

    const PATH: &str = "jobs:t:retry";

    #[test]
    fn integer_form() {
        for n in 0..=2 {
            assert_eq!(ok(parse, PATH, json!(n)).max, Some(n as u8));
        }
    }

    /// T5.13: `retry: 2`, `{max: 1, when: [...]}`, `{max: 2, exit_codes: [137]}`, `retry: 3`.
    #[test]
    fn worked_example() {
        let t1 = ok(parse, PATH, json!(2));
        assert_eq!(t1.max, Some(2));
        assert_eq!(t1.when, None);

        let t2 = ok(
            parse,
            PATH,
            json!({"max": 1, "when": ["runner_system_failure", "stuck_or_timeout_failure"]}),
        );
        assert_eq!(t2.max, Some(1));
        assert_eq!(
            t2.when,
            Some(vec![
                "runner_system_failure".to_owned(),
                "stuck_or_timeout_failure".to_owned()
            ])
        );

        let t3 = ok(parse, PATH, json!({"max": 2, "exit_codes": [137]}));
        assert_eq!(t3.exit_codes, Some(vec![ExitCode::from(137)]));

        assert_eq!(
            messages(parse, PATH, json!(3)),
            ["retry config must be less than or equal to 2"]
        );
    }

    #[test]
    fn negative() {
        assert_eq!(
            messages(parse, PATH, json!(-1)),
            ["retry config must be greater than or equal to 0"]
        );
    }

    #[test]
    fn max_too_large() {
        assert_eq!(
            messages(parse, PATH, json!({"max": 5})),
            ["retry max must be less than or equal to 2"]
        );
    }

    #[test]
    fn max_not_number() {
        assert_eq!(
            messages(parse, PATH, json!({"max": "two"})),
            ["retry max is not a number"]
        );
        assert_eq!(
            messages(parse, PATH, json!({"max": 1.5})),
            ["retry max must be an integer"]
        );
    }

    #[test]
    fn wrong_type() {
        assert_eq!(
            messages(parse, PATH, json!("2")),
            ["retry config has to be either an integer or a hash"]
        );
    }

    #[test]
    fn unknown_key() {
        assert_eq!(
            messages(parse, PATH, json!({"maximum": 2})),
            ["retry config contains unknown keys: maximum"]
        );
    }

    #[test]
    fn when_single_string_becomes_list() {
        let retry = ok(parse, PATH, json!({"when": "script_failure"}));
        assert_eq!(retry.when, Some(vec!["script_failure".to_owned()]));
        assert_eq!(retry.max, None);
    }

    #[test]
    fn when_unknown_values() {
        assert_eq!(
            messages(parse, PATH, json!({"when": ["script_failure", "bad_luck"]})),
            ["retry when contains unknown values: bad_luck"]
        );
        assert_eq!(
            messages(parse, PATH, json!({"when": "bad_luck"})),
            ["retry when is not included in the list"]
        );
    }

    #[test]
    fn when_every_reason_accepted() {
        for reason in RETRY_WHEN_VALUES {
            assert!(
                messages(parse, PATH, json!({"when": reason})).is_empty(),
                "{reason}"
            );
        }
    }

    #[test]
    fn exit_codes_single() {
        assert_eq!(
            ok(parse, PATH, json!({"exit_codes": 1})).exit_codes,
            Some(vec![ExitCode::from(1)])
        );
    }

    /// A retry code outside 0..32767 is kept, but GitLab compares the job's saved exit code,
    /// which is clamped to that range, so it never matches.
    #[test]
    fn exit_codes_outside_saved_range() {
        let node = yaml(
            "retry: {max: 2, exit_codes: [137, 40000, -1, 99999999999999999999]}\n",
            "retry",
        );
        let (value, diagnostics) = run_node(parse, PATH, &node);
        assert_eq!(
            serde_json::to_value(value.unwrap()).unwrap(),
            json!({"max": 2, "exit_codes": [137, 40000, -1, "99999999999999999999"]})
        );
        let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        let clamped = "which never matches: GitLab compares it with the job's saved exit code, \
                       which is clamped to 0..32767";
        assert_eq!(
            messages,
            [
                format!("`retry:exit_codes` lists `40000`, {clamped}"),
                format!("`retry:exit_codes` lists `-1`, {clamped}"),
                "`retry:exit_codes` lists `99999999999999999999`, which never matches: \
                 gitlab-runner reports exit codes as 64-bit integers"
                    .to_owned(),
            ]
        );
    }

    #[test]
    fn exit_codes_wrong_array() {
        assert_eq!(
            messages(parse, PATH, json!({"exit_codes": ["1", 2]})),
            ["retry exit codes should be an array of integers or an integer"]
        );
    }

    #[test]
    fn exit_codes_invalid() {
        assert_eq!(
            messages(parse, PATH, json!({"exit_codes": "137"})),
            ["retry exit codes should be an array of integers or an integer"]
        );
    }

    #[test]
    fn serializes_normalized() {
        assert_eq!(
            serde_json::to_value(ok(parse, PATH, json!(1))).unwrap(),
            json!({"max": 1})
        );
    }
}
