//! `pages:`: `true`, `false`, or `{path_prefix, expire_in, publish}`. A job with `pages`
//! set (or, unless `pages: false`, a job named `pages`) deploys GitLab Pages.

use serde::Serialize;

use super::duration::{self, ExpireIn};
use super::shape::{failed_since, field, mark, optional_string};
use crate::config::check::Ctx;
use crate::yaml::{Node, Value};

/// `pages:` as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Pages {
    /// `true` makes the job a Pages job; `false` stops a job named `pages` from being one.
    Enabled(bool),
    /// Pages options; the job is a Pages job.
    Options(PagesOptions),
}

/// `pages:` options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PagesOptions {
    /// Path prefix for parallel deployments (variables allowed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    /// When the deployment expires (`never` or a duration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_in: Option<ExpireIn>,
    /// Directory to publish.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish: Option<String>,
}

impl Pages {
    /// `pages:publish`, when written.
    pub fn publish(&self) -> Option<&str> {
        match self {
            Pages::Options(options) => options.publish.as_deref(),
            Pages::Enabled(_) => None,
        }
    }

    /// Returns whether the value itself makes a job a Pages job, as GitLab's `present?` check does:
    /// `true` or a non-empty hash.
    pub fn is_present(&self) -> bool {
        match self {
            Pages::Enabled(enabled) => *enabled,
            Pages::Options(options) => {
                options.path_prefix.is_some()
                    || options.expire_in.is_some()
                    || options.publish.is_some()
            }
        }
    }
}

/// Parses `pages:`.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Pages> {
    let map = match &node.value {
        Value::Bool(enabled) => return Some(Pages::Enabled(*enabled)),
        Value::Map(map) => map,
        _ => {
            cx.type_error(path, "a hash or a boolean value", node);
            return None;
        }
    };
    let start = mark(cx);
    cx.check_keys(path, map, &["path_prefix", "expire_in", "publish"]);
    let path_prefix = optional_string(cx, path, map, "path_prefix").ok().flatten();
    let publish = optional_string(cx, path, map, "publish").ok().flatten();
    let expire_in = field(map, "expire_in")
        .and_then(|value| duration::parse_expire_in(&format!("{path}:expire_in"), value, cx));
    (!failed_since(cx, start)).then_some(Pages::Options(PagesOptions {
        path_prefix,
        expire_in,
        publish,
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:deploy:pages";

    #[test]
    fn boolean_forms() {
        assert_eq!(ok(parse, PATH, json!(true)), Pages::Enabled(true));
        assert!(!ok(parse, PATH, json!(false)).is_present());
    }

    #[test]
    fn options() {
        let pages = ok(
            parse,
            PATH,
            json!({"path_prefix": "$CI_COMMIT_BRANCH", "expire_in": "1 week", "publish": "dist"}),
        );
        assert_eq!(pages.publish(), Some("dist"));
        assert!(pages.is_present());
    }

    #[test]
    fn empty_hash_is_not_present() {
        assert!(!ok(parse, PATH, json!({})).is_present());
    }

    #[test]
    fn error_messages() {
        let cases = [
            (
                json!("public"),
                "jobs:deploy:pages config should be a hash or a boolean value",
            ),
            (
                json!({"path": "a"}),
                "jobs:deploy:pages config contains unknown keys: path",
            ),
            (
                json!({"publish": 1}),
                "jobs:deploy:pages publish should be a string",
            ),
            (
                json!({"path_prefix": ["a"]}),
                "jobs:deploy:pages path prefix should be a string",
            ),
            (
                json!({"expire_in": "someday"}),
                "jobs:deploy:pages expire in should be a duration",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(messages(parse, PATH, input.clone()), [expected], "{input}");
        }
    }
}
