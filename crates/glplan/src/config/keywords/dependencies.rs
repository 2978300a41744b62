//! `dependencies:`: the jobs whose artifacts a job downloads (`[]` for none). Whether they
//! exist and run earlier is the model builder's check.

use serde::{Serialize, Serializer};

use super::shape::report_attribute_type;
use crate::config::check::Ctx;
use crate::source::Span;
use crate::yaml::Node;

/// One `dependencies:` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// Name of the job.
    pub job: String,
    /// Span of the name.
    pub span: Span,
}

impl Serialize for Dependency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.job)
    }
}

/// Parses `dependencies:`; reports `jobs:deploy dependencies should be an array of strings`.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Vec<Dependency>> {
    let items = node
        .as_seq()
        .filter(|items| items.iter().all(|i| i.as_str().is_some()));
    let Some(items) = items else {
        report_attribute_type(cx, path, "an array of strings", node);
        return None;
    };
    Some(
        items
            .iter()
            .filter_map(|item| {
                Some(Dependency {
                    job: item.as_str()?.to_owned(),
                    span: item.span,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:deploy:dependencies";

    #[test]
    fn names() {
        let deps = ok(parse, PATH, json!(["build", "ruby: [2.7, aws]"]));
        let names: Vec<&str> = deps.iter().map(|d| d.job.as_str()).collect();
        assert_eq!(names, ["build", "ruby: [2.7, aws]"]);
        assert_eq!(
            serde_json::to_value(&deps).unwrap(),
            json!(["build", "ruby: [2.7, aws]"])
        );
    }

    #[test]
    fn empty() {
        assert!(ok(parse, PATH, json!([])).is_empty());
    }

    #[test]
    fn rejects_string() {
        assert_eq!(
            messages(parse, PATH, json!("build")),
            ["jobs:deploy dependencies should be an array of strings"]
        );
    }
}
