//! Script exit codes as `allow_failure:exit_codes` and `retry:exit_codes` list them.
//!
//! GitLab's `array_of_integers_or_integer` validator accepts any Ruby `Integer`: negative
//! values, values of any size, and lists of any length (`lib/gitlab/config/entry/validators.rb`,
//! `validate_integer` in `legacy_validation_helpers.rb`). So glplan keeps every integer as
//! written, including one that does not fit in 64 bits.
//!
//! What a code can match is narrower. gitlab-runner reports a failed job's exit code as a Go
//! `int` (`UpdateJobRequest.ExitCode` in `common/network.go`), 64 bits on 64-bit platforms, and
//! leaves out 0 (`omitempty`), so GitLab receives no exit code then. GitLab compares `allow_failure:exit_codes` with that reported
//! code (`Gitlab::Ci::Build::Status::Reason#force_allow_failure?`). It saves the code clamped to
//! 0..=32767, the range of its `smallint` column, and `retry:exit_codes` is compared with the
//! saved code (`Gitlab::Ci::Build::AutoRetry#retry_on_exit_code?`).

use std::fmt;

use compact_str::CompactString;
use serde::{Serialize, Serializer};

use crate::config::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::yaml::{Node, Value};

/// The largest exit code GitLab saves for a job, which `retry:exit_codes` is compared with: the
/// maximum of a PostgreSQL `smallint` (`Gitlab::Database::MAX_SMALLINT_VALUE`).
pub const MAX_SAVED_EXIT_CODE: i64 = 32_767;

/// The largest magnitude that JSON output writes as a number: JavaScript's
/// `Number.MAX_SAFE_INTEGER`, the largest integer that a JavaScript number represents exactly.
const MAX_JSON_NUMBER: i64 = (1 << 53) - 1;

/// One exit code as written: any integer.
///
/// JSON output writes a code from -(2^53 - 1) to 2^53 - 1 as a number, and any other code as a
/// string of its decimal digits, because `JSON.parse` in JavaScript would round it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExitCode(Repr);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Repr {
    Int(i64),
    /// Decimal digits, with a leading `-` when negative, of a value outside `i64`.
    Big(CompactString),
}

impl ExitCode {
    /// Returns the code when it fits in `i64`, the only codes a runner can report.
    pub fn as_i64(&self) -> Option<i64> {
        match &self.0 {
            Repr::Int(code) => Some(*code),
            Repr::Big(_) => None,
        }
    }

    /// Returns whether a failure with exit code `reported` matches this code, as
    /// `allow_failure:exit_codes` compares them. GitLab never receives exit code 0, so it
    /// matches nothing.
    pub fn matches_reported(&self, reported: i64) -> bool {
        reported != 0 && self.as_i64() == Some(reported)
    }

    /// Returns whether a failure with exit code `reported` matches this code, as
    /// `retry:exit_codes` compares them: with the code GitLab saved, clamped to
    /// 0..=[`MAX_SAVED_EXIT_CODE`]. GitLab never receives exit code 0, so it matches nothing.
    pub fn matches_saved(&self, reported: i64) -> bool {
        reported != 0 && self.as_i64() == Some(reported.clamp(0, MAX_SAVED_EXIT_CODE))
    }

    /// Reads one integer scalar.
    fn from_node(node: &Node) -> Option<ExitCode> {
        match &node.value {
            Value::Int(code) => Some(ExitCode::from(*code)),
            Value::BigInt(digits) => Some(ExitCode(Repr::Big(CompactString::from(digits)))),
            _ => None,
        }
    }
}

impl From<i64> for ExitCode {
    fn from(code: i64) -> ExitCode {
        ExitCode(Repr::Int(code))
    }
}

impl fmt::Display for ExitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Int(code) => write!(f, "{code}"),
            Repr::Big(digits) => f.write_str(digits),
        }
    }
}

impl Serialize for ExitCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Int(code) if code.unsigned_abs() <= MAX_JSON_NUMBER.unsigned_abs() => {
                serializer.serialize_i64(*code)
            }
            Repr::Int(code) => serializer.collect_str(code),
            Repr::Big(digits) => serializer.serialize_str(digits),
        }
    }
}

/// The exit code a list of exit codes is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparison {
    /// The code gitlab-runner reports, as for `allow_failure:exit_codes`.
    Reported,
    /// The code GitLab saves, as for `retry:exit_codes`.
    Saved,
}

/// Reads an integer or an array of integers as a list, as GitLab's
/// `array_of_integers_or_integer` validator accepts them, or returns `None` for anything else.
/// Warns about each code that no failure can match under `comparison`. `keyword` names the
/// list in the warning, such as `retry:exit_codes`.
pub(crate) fn exit_codes(
    node: &Node,
    keyword: &str,
    comparison: Comparison,
    cx: &mut Ctx,
) -> Option<Vec<ExitCode>> {
    let items = match &node.value {
        Value::Seq(items) => items.as_slice(),
        _ => std::slice::from_ref(node),
    };
    let codes: Vec<ExitCode> = items
        .iter()
        .map(ExitCode::from_node)
        .collect::<Option<_>>()?;
    for (code, item) in codes.iter().zip(items) {
        if let Some(reason) = never_matches(code, comparison) {
            let message = format!("`{keyword}` lists `{code}`, which never matches: {reason}");
            let diagnostic = Diagnostic::warning("exit-code-never-matches", message)
                .with_span(item.span)
                .with_help(
                    "remove the code, or write the exit code that the job's script fails with",
                );
            cx.diags.push(diagnostic);
        }
    }
    Some(codes)
}

/// Returns why no failure matches `code` under `comparison`, if none does.
fn never_matches(code: &ExitCode, comparison: Comparison) -> Option<&'static str> {
    let Some(value) = code.as_i64() else {
        return Some("gitlab-runner reports exit codes as 64-bit integers");
    };
    if value == 0 {
        return Some("gitlab-runner does not report exit code 0");
    }
    let saved = 0..=MAX_SAVED_EXIT_CODE;
    (comparison == Comparison::Saved && !saved.contains(&value)).then_some(
        "GitLab compares it with the job's saved exit code, which is clamped to 0..32767",
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn big(digits: &str) -> ExitCode {
        ExitCode(Repr::Big(CompactString::from(digits)))
    }

    #[test]
    fn json_numbers_and_strings() {
        let cases = [
            (ExitCode::from(137), json!(137)),
            (ExitCode::from(-1), json!(-1)),
            (
                ExitCode::from(MAX_JSON_NUMBER),
                json!(9_007_199_254_740_991_i64),
            ),
            (
                ExitCode::from(-MAX_JSON_NUMBER),
                json!(-9_007_199_254_740_991_i64),
            ),
            (
                ExitCode::from(MAX_JSON_NUMBER + 1),
                json!("9007199254740992"),
            ),
            (ExitCode::from(i64::MIN), json!("-9223372036854775808")),
            (big("99999999999999999999"), json!("99999999999999999999")),
            (big("-99999999999999999999"), json!("-99999999999999999999")),
        ];
        for (code, expected) in cases {
            assert_eq!(serde_json::to_value(&code).unwrap(), expected, "{code}");
        }
    }

    #[test]
    fn never_matching_codes() {
        let cases = [
            (ExitCode::from(137), Comparison::Reported, false),
            (ExitCode::from(137), Comparison::Saved, false),
            (ExitCode::from(0), Comparison::Reported, true),
            (ExitCode::from(0), Comparison::Saved, true),
            (ExitCode::from(-1), Comparison::Reported, false),
            (ExitCode::from(-1), Comparison::Saved, true),
            (
                ExitCode::from(MAX_SAVED_EXIT_CODE),
                Comparison::Saved,
                false,
            ),
            (
                ExitCode::from(MAX_SAVED_EXIT_CODE + 1),
                Comparison::Saved,
                true,
            ),
            (
                ExitCode::from(MAX_SAVED_EXIT_CODE + 1),
                Comparison::Reported,
                false,
            ),
            (big("99999999999999999999"), Comparison::Reported, true),
            (big("99999999999999999999"), Comparison::Saved, true),
        ];
        for (code, comparison, expected) in cases {
            assert_eq!(
                never_matches(&code, comparison).is_some(),
                expected,
                "{code} {comparison:?}"
            );
        }
    }

    #[test]
    fn reported_code_matches_exactly() {
        assert!(ExitCode::from(137).matches_reported(137));
        assert!(!ExitCode::from(137).matches_reported(138));
        assert!(ExitCode::from(-1).matches_reported(-1));
        assert!(!ExitCode::from(0).matches_reported(0));
        assert!(ExitCode::from(40_000).matches_reported(40_000));
        assert!(!big("99999999999999999999").matches_reported(i64::MAX));
    }

    #[test]
    fn saved_code_is_clamped() {
        assert!(ExitCode::from(137).matches_saved(137));
        assert!(ExitCode::from(MAX_SAVED_EXIT_CODE).matches_saved(40_000));
        assert!(!ExitCode::from(40_000).matches_saved(40_000));
        assert!(ExitCode::from(0).matches_saved(-1));
        assert!(!ExitCode::from(-1).matches_saved(-1));
        assert!(!ExitCode::from(0).matches_saved(0));
    }
}
