//! `tags:`: the runner tags a job needs, fewer than 50.

use super::shape::report;
use crate::config::check::Ctx;
use crate::yaml::Node;

/// GitLab's tag limit: a job may have fewer tags than this.
pub const TAGS_LIMIT: usize = 50;

/// Parses `tags:` (job or `default:`).
// NOTE: GitLab's CI schema also allows arrays nested one level (from `!reference`), but the
// entry validator this parser follows accepts only strings, so nested arrays are rejected.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Vec<String>> {
    let tags = cx.string_array(path, node)?;
    if tags.len() >= TAGS_LIMIT {
        report(
            cx,
            "too-many-entries",
            format!("{path} config must be less than the limit of {TAGS_LIMIT} tags"),
            node.span,
            Some(format!("{} tags are listed", tags.len())),
        );
        return None;
    }
    Some(tags)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:build:tags";

    #[test]
    fn strings() {
        assert_eq!(
            ok(parse, PATH, json!(["docker", "${ARCH}-runner"])),
            ["docker", "${ARCH}-runner"]
        );
    }

    #[test]
    fn limit() {
        let forty_nine: Vec<String> = (0..49).map(|i| format!("t{i}")).collect();
        assert_eq!(ok(parse, PATH, json!(forty_nine)).len(), 49);
        let fifty: Vec<String> = (0..50).map(|i| format!("t{i}")).collect();
        assert_eq!(
            messages(parse, PATH, json!(fifty)),
            ["jobs:build:tags config must be less than the limit of 50 tags"]
        );
    }

    #[test]
    fn rejects_non_strings() {
        for input in [json!("docker"), json!([1]), json!([["a"]])] {
            assert_eq!(
                messages(parse, PATH, input.clone()),
                ["jobs:build:tags config should be an array of strings"],
                "{input}"
            );
        }
    }
}
