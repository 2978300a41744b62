//! `resource_group:`: jobs with the same group, across all pipelines of the project, run one
//! at a time.

use super::shape::report_attribute_type;
use crate::config::check::Ctx;
use crate::yaml::Node;

/// Parses `resource_group:`; reports `jobs:deploy resource group should be a string`.
///
/// GitLab's configuration check stops at the type. Its resource group model rejects a key
/// that is not an environment name or is longer than 255 characters, but only when the
/// pipeline is created, and then the job runs without a resource group. The pipeline checks
/// the expanded key the same way and warns with `resource-group-not-created`, also for a key
/// written without variables.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<String> {
    let Some(key) = node.as_str() else {
        report_attribute_type(cx, path, "a string", node);
        return None;
    };
    Some(key.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:deploy:resource_group";

    #[test]
    fn any_string_is_a_key() {
        // The pipeline drops the keys GitLab cannot save, with a warning.
        let long = "a".repeat(256);
        for key in [
            "production",
            "deploy/${CI_ENVIRONMENT_NAME}",
            "a b.c_d-e",
            "/prod",
            "prod:eu",
        ] {
            assert_eq!(ok(parse, PATH, json!(key)), key);
        }
        assert_eq!(ok(parse, PATH, json!(long)), long);
    }

    #[test]
    fn non_string_rejected() {
        assert_eq!(
            messages(parse, PATH, json!(1)),
            ["jobs:deploy resource group should be a string"]
        );
    }
}
