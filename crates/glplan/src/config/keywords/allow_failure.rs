//! A job's `allow_failure:`: `true`, `false`, or `{exit_codes: code | [codes]}`. Inside
//! `rules` it is a plain boolean, parsed by the rule parser.

use serde::Serialize;

use super::exit_code::{Comparison, ExitCode, exit_codes};
use super::shape::{field, field_message, report, report_attribute_type};
use crate::config::check::Ctx;
use crate::yaml::{Node, Value};

/// `allow_failure:` as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AllowFailure {
    /// `true` or `false`.
    Bool(bool),
    /// The job may fail only with one of these script exit codes.
    ExitCodes {
        /// The exit codes (a single integer is stored as a one-element list).
        exit_codes: Vec<ExitCode>,
    },
}

impl AllowFailure {
    /// Returns whether the job's failure is ignored whatever the exit code, as GitLab's `ignore`
    /// flag computes it. An `exit_codes` hash counts as `false` here.
    pub fn is_static_allow(&self) -> bool {
        matches!(self, AllowFailure::Bool(true))
    }
}

/// Parses a job's `allow_failure:`.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<AllowFailure> {
    let map = match &node.value {
        Value::Bool(b) => return Some(AllowFailure::Bool(*b)),
        Value::Map(map) => map,
        _ => {
            report_attribute_type(cx, path, "a hash or a boolean value", node);
            return None;
        }
    };
    if !cx.check_keys(path, map, &["exit_codes"]) {
        return None;
    }
    // `{}` and `{exit_codes: ~}` validate in GitLab and behave like `false`.
    let Some(codes) = field(map, "exit_codes") else {
        return Some(AllowFailure::Bool(false));
    };
    match exit_codes(codes, "allow_failure:exit_codes", Comparison::Reported, cx) {
        Some(exit_codes) => Some(AllowFailure::ExitCodes { exit_codes }),
        None => {
            report(
                cx,
                "invalid-type",
                field_message(
                    path,
                    "exit_codes",
                    "should be an array of integers or an integer",
                ),
                codes.span,
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
    use crate::config::keywords::testing::{messages, ok, run_node, yaml};
    use crate::diagnostic::Severity;

    const PATH: &str = "jobs:build:allow_failure";

    #[test]
    fn booleans() {
        assert_eq!(ok(parse, PATH, json!(true)), AllowFailure::Bool(true));
        assert_eq!(ok(parse, PATH, json!(false)), AllowFailure::Bool(false));
    }

    #[test]
    fn exit_codes_single() {
        assert_eq!(
            ok(parse, PATH, json!({"exit_codes": 137})),
            AllowFailure::ExitCodes {
                exit_codes: vec![ExitCode::from(137)]
            }
        );
    }

    #[test]
    fn exit_codes_list() {
        assert_eq!(
            ok(parse, PATH, json!({"exit_codes": [1, 2]})),
            AllowFailure::ExitCodes {
                exit_codes: vec![ExitCode::from(1), ExitCode::from(2)]
            }
        );
    }

    #[test]
    fn exit_codes_static_allow_is_false() {
        let value = ok(parse, PATH, json!({"exit_codes": 1}));
        assert!(!value.is_static_allow());
    }

    #[test]
    fn rejects_string() {
        assert_eq!(
            messages(parse, PATH, json!("yes please")),
            ["jobs:build allow failure should be a hash or a boolean value"]
        );
    }

    #[test]
    fn rejects_unknown_key() {
        assert_eq!(
            messages(parse, PATH, json!({"exit_code": 1})),
            ["jobs:build:allow_failure config contains unknown keys: exit_code"]
        );
    }

    #[test]
    fn rejects_bad_exit_codes() {
        assert_eq!(
            messages(parse, PATH, json!({"exit_codes": ["1"]})),
            ["jobs:build:allow_failure exit codes should be an array of integers or an integer"]
        );
    }

    #[test]
    fn serializes_like_yaml() {
        let value = ok(parse, PATH, json!({"exit_codes": 3}));
        assert_eq!(
            serde_json::to_value(value).unwrap(),
            json!({"exit_codes": [3]})
        );
        assert_eq!(
            serde_json::to_value(AllowFailure::Bool(true)).unwrap(),
            json!(true)
        );
    }

    /// GitLab accepts any integer, so a code beyond 64 bits is kept and written as a string.
    #[test]
    fn exit_codes_beyond_64_bits() {
        let node = yaml(
            "allow_failure: {exit_codes: [99999999999999999999, -1, 137]}\n",
            "allow_failure",
        );
        let (value, diagnostics) = run_node(parse, PATH, &node);
        assert_eq!(
            serde_json::to_value(value.unwrap()).unwrap(),
            json!({"exit_codes": ["99999999999999999999", -1, 137]})
        );
        let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`allow_failure:exit_codes` lists `99999999999999999999`, which never matches: \
                 gitlab-runner reports exit codes as 64-bit integers"
            ]
        );
        assert_eq!(diagnostics[0].severity, Severity::Warning);
        assert_eq!(diagnostics[0].code, "exit-code-never-matches");
    }

    #[test]
    fn exit_code_single_beyond_64_bits() {
        let node = yaml(
            "allow_failure: {exit_codes: -99999999999999999999}\n",
            "allow_failure",
        );
        let (value, _) = run_node(parse, PATH, &node);
        assert_eq!(
            serde_json::to_value(value.unwrap()).unwrap(),
            json!({"exit_codes": ["-99999999999999999999"]})
        );
    }
}
