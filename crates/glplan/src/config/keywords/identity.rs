//! `identity:` (GitLab EE): the cloud identity a job federates with. The only value is
//! `google_cloud`.

use super::shape::report_enum;
use crate::config::check::Ctx;
use crate::yaml::Node;

/// Identity providers GitLab accepts.
pub const IDENTITIES: &[&str] = &["google_cloud"];

/// Parses `identity:`.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<String> {
    let text = cx.string(path, node)?;
    if IDENTITIES.contains(&text.as_str()) {
        return Some(text);
    }
    // NOTE: the wording is Rails' default inclusion message; GitLab's own is not verified.
    let message = format!("{path} config is not included in the list");
    report_enum(cx, message, &text, IDENTITIES, node.span);
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    #[test]
    fn google_cloud() {
        assert_eq!(
            ok(parse, "jobs:a:identity", json!("google_cloud")),
            "google_cloud"
        );
    }

    #[test]
    fn rejects_other() {
        assert_eq!(
            messages(parse, "jobs:a:identity", json!("aws")),
            ["jobs:a:identity config is not included in the list"]
        );
    }
}
