//! `coverage:`: a `/regex/` that extracts the coverage percentage from the job log.

use super::shape::{is_valid_regexp_literal, report};
use crate::config::check::Ctx;
use crate::yaml::Node;

/// Parses `coverage:` and returns the literal as written, slashes included. Reports
/// `jobs:test:coverage config must be a regular expression with re2 syntax` for anything else.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<String> {
    match node.as_str() {
        Some(text) if is_valid_regexp_literal(text) => Some(text.to_owned()),
        _ => {
            report(
                cx,
                "invalid-regexp",
                format!("{path} config must be a regular expression with re2 syntax"),
                node.span,
                Some(
                    "write the pattern between slashes, such as `/Coverage: \\d+\\.\\d+%/`"
                        .to_owned(),
                ),
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

    const PATH: &str = "jobs:test:coverage";

    #[test]
    fn valid_literal() {
        assert_eq!(
            ok(parse, PATH, json!("/Total: \\d+\\.\\d+%/")),
            "/Total: \\d+\\.\\d+%/"
        );
    }

    #[test]
    fn rejects_plain_string_and_bad_regex() {
        for input in [json!("Total"), json!("/(/"), json!(1)] {
            assert_eq!(
                messages(parse, PATH, input.clone()),
                ["jobs:test:coverage config must be a regular expression with re2 syntax"],
                "{input}"
            );
        }
    }
}
