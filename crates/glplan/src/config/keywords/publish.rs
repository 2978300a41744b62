//! `publish:`: the directory a Pages job publishes (default `public`). Whether the job is a
//! Pages job is the model builder's check.

use crate::config::check::Ctx;
use crate::yaml::Node;

/// The directory GitLab publishes when a Pages job sets neither `publish` nor
/// `pages:publish`.
pub const DEFAULT_PUBLISH: &str = "public";

/// Parses `publish:`; reports `jobs:pages:publish config should be a string`.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<String> {
    cx.string(path, node)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    #[test]
    fn directory() {
        assert_eq!(ok(parse, "jobs:pages:publish", json!("dist")), "dist");
    }

    #[test]
    fn rejects_bool() {
        assert_eq!(
            messages(parse, "jobs:pages:publish", json!(true)),
            ["jobs:pages:publish config should be a string"]
        );
    }
}
