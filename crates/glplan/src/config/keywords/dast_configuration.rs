//! `dast_configuration:` (GitLab EE): the DAST site and scanner profiles a job uses. Only the
//! shape is checked; the profiles are looked up by GitLab.

use serde::Serialize;

use super::shape::{failed_since, mark, optional_string};
use crate::config::check::Ctx;
use crate::yaml::Node;

/// `dast_configuration:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DastConfiguration {
    /// Name of the DAST site profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_profile: Option<String>,
    /// Name of the DAST scanner profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scanner_profile: Option<String>,
}

/// Parses `dast_configuration:`.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<DastConfiguration> {
    let map = cx.mapping(path, node)?;
    let start = mark(cx);
    cx.check_keys(path, map, &["site_profile", "scanner_profile"]);
    let site_profile = optional_string(cx, path, map, "site_profile")
        .ok()
        .flatten();
    let scanner_profile = optional_string(cx, path, map, "scanner_profile")
        .ok()
        .flatten();
    (!failed_since(cx, start)).then_some(DastConfiguration {
        site_profile,
        scanner_profile,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:dast:dast_configuration";

    #[test]
    fn profiles() {
        let value = ok(
            parse,
            PATH,
            json!({"site_profile": "site", "scanner_profile": "scan"}),
        );
        assert_eq!(value.site_profile.as_deref(), Some("site"));
        assert_eq!(value.scanner_profile.as_deref(), Some("scan"));
    }

    #[test]
    fn error_messages() {
        let cases = [
            (
                json!("site"),
                "jobs:dast:dast_configuration config should be a hash",
            ),
            (
                json!({"profile": "a"}),
                "jobs:dast:dast_configuration config contains unknown keys: profile",
            ),
            (
                json!({"site_profile": 1}),
                "jobs:dast:dast_configuration site profile should be a string",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(messages(parse, PATH, input.clone()), [expected], "{input}");
        }
    }
}
