//! `resource_group:`: jobs with the same group, across all pipelines of the project, run one
//! at a time.

use super::environment::{NAME_RULE, is_valid_name};
use super::shape::{attribute_message, report, report_attribute_type};
use crate::config::check::Ctx;
use crate::yaml::Node;

/// Maximum length of a resource group key, in characters.
pub const MAX_KEY_LENGTH: usize = 255;

/// Parses `resource_group:`; reports `jobs:deploy resource group should be a string`.
///
/// GitLab's configuration check stops at the type. The key rules (the characters of an
/// environment name, at most 255 characters) come from GitLab's resource group model, which
/// rejects a bad key only when the pipeline is created. They are checked here so the mistake
/// shows up early. Keys with variables are checked as written, since `$`, `{` and `}` are allowed.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<String> {
    let Some(key) = node.as_str() else {
        report_attribute_type(cx, path, "a string", node);
        return None;
    };
    if !is_valid_name(key) {
        report(
            cx,
            "invalid-resource-group",
            attribute_message(path, NAME_RULE),
            node.span,
            Some(format!("`{key}` is not a valid resource group key")),
        );
        return None;
    }
    if key.chars().count() > MAX_KEY_LENGTH {
        report(
            cx,
            "invalid-resource-group",
            attribute_message(
                path,
                format_args!("is too long (maximum is {MAX_KEY_LENGTH} characters)"),
            ),
            node.span,
            None,
        );
        return None;
    }
    Some(key.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:deploy:resource_group";

    #[test]
    fn valid_keys() {
        for key in ["production", "deploy/${CI_ENVIRONMENT_NAME}", "a b.c_d-e"] {
            assert_eq!(ok(parse, PATH, json!(key)), key);
        }
    }

    #[test]
    fn error_messages() {
        let rule = NAME_RULE;
        let long = "a".repeat(256);
        let cases = [
            (
                json!(1),
                "jobs:deploy resource group should be a string".to_owned(),
            ),
            (json!("/prod"), format!("jobs:deploy resource group {rule}")),
            (
                json!("prod:eu"),
                format!("jobs:deploy resource group {rule}"),
            ),
            (
                json!(long),
                "jobs:deploy resource group is too long (maximum is 255 characters)".to_owned(),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(messages(parse, PATH, input.clone()), [expected], "{input}");
        }
    }
}
