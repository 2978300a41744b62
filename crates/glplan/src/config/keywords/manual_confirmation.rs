//! `manual_confirmation:`: the text GitLab shows before a user starts a manual job.

use super::shape::report_attribute_type;
use crate::config::check::Ctx;
use crate::yaml::Node;

/// Parses `manual_confirmation:`; reports `jobs:deploy manual confirmation should be a
/// string`. GitLab shows the text only for manual jobs and ignores it otherwise.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<String> {
    match node.as_str() {
        Some(text) => Some(text.to_owned()),
        None => {
            report_attribute_type(cx, path, "a string", node);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:deploy:manual_confirmation";

    #[test]
    fn text() {
        assert_eq!(
            ok(parse, PATH, json!("Deploy to production?")),
            "Deploy to production?"
        );
    }

    #[test]
    fn rejects_list() {
        assert_eq!(
            messages(parse, PATH, json!(["a"])),
            ["jobs:deploy manual confirmation should be a string"]
        );
    }
}
