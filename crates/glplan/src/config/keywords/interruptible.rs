//! `interruptible:` of a job or `default:`: whether a newer pipeline may cancel the job.

use crate::config::check::Ctx;
use crate::yaml::Node;

/// Parses `interruptible:`; reports `jobs:build:interruptible config should be a boolean
/// value`.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<bool> {
    cx.boolean(path, node)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    #[test]
    fn booleans() {
        assert!(ok(parse, "jobs:a:interruptible", json!(true)));
        assert!(!ok(parse, "jobs:a:interruptible", json!(false)));
    }

    #[test]
    fn rejects_string() {
        assert_eq!(
            messages(parse, "jobs:a:interruptible", json!("true")),
            ["jobs:a:interruptible config should be a boolean value"]
        );
    }
}
