//! `cache:`: one cache hash or a list of at most four, each `{key, paths, untracked,
//! unprotect, when, policy, fallback_keys}`. `cache: []` turns off an inherited cache.
//!
//! GitLab names each entry `<path>:cache`, because the list's items are `cache` entries, so a
//! job's messages read `jobs:build:cache:cache config ...`.

use serde::Serialize;

use super::shape::{
    failed_since, field, field_message, mark, report, report_enum, report_field_type, strings,
};
use crate::config::check::Ctx;
use crate::yaml::{Mapping, Node, Value};

/// Maximum number of caches per job.
pub const MAX_CACHES: usize = 4;

/// Maximum number of `files` (or `files_commits`) paths in a computed cache key.
pub const MAX_KEY_FILES: usize = 2;

/// Maximum number of `fallback_keys`.
pub const MAX_FALLBACK_KEYS: usize = 5;

/// The caches of a job; empty means no cache.
pub type Cache = Vec<CacheEntry>;

/// One cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheEntry {
    /// Cache key; `None` means `default`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<CacheKey>,
    /// Paths to cache. Without `paths` (or `untracked`) nothing is cached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
    /// Cache all untracked files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub untracked: Option<bool>,
    /// Share the cache between protected and unprotected refs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unprotect: Option<bool>,
    /// When to save the cache; `None` means `on_success`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<CacheWhen>,
    /// `pull-push`, `pull`, `push`, or a variable that the runner expands; `None` means
    /// `pull-push`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Keys to try when `key` has no cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_keys: Option<Vec<String>>,
}

impl CacheEntry {
    /// Returns the key as written, or `default`.
    pub fn key_text(&self) -> Option<&str> {
        match &self.key {
            None => Some("default"),
            Some(CacheKey::Text(key)) => Some(key),
            Some(CacheKey::Files { .. }) => None,
        }
    }

    /// Returns the policy, `pull-push` when not written.
    pub fn policy(&self) -> &str {
        self.policy.as_deref().unwrap_or("pull-push")
    }

    /// Returns when the cache is saved, `on_success` when not written.
    pub fn when(&self) -> CacheWhen {
        self.when.unwrap_or(CacheWhen::OnSuccess)
    }
}

/// `cache:key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CacheKey {
    /// A literal key (variables allowed, expanded by the runner).
    Text(String),
    /// A key computed from the last commits that changed one or two files.
    Files {
        /// `files:`: the key is a SHA over these files' last commits.
        #[serde(skip_serializing_if = "Option::is_none")]
        files: Option<Vec<String>>,
        /// `files_commits:`: like `files`, from the files' commits.
        #[serde(skip_serializing_if = "Option::is_none")]
        files_commits: Option<Vec<String>>,
        /// Text put before the computed SHA.
        #[serde(skip_serializing_if = "Option::is_none")]
        prefix: Option<String>,
    },
}

/// `cache:when`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheWhen {
    /// Save when the job succeeds (the default).
    OnSuccess,
    /// Save only when the job fails.
    OnFailure,
    /// Always save.
    Always,
}

const WHEN_VALUES: &[&str] = &["on_success", "on_failure", "always"];

/// Parses `cache:` (`path` is `jobs:<name>:cache` or `default:cache`).
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Cache> {
    let items: Vec<&Node> = match &node.value {
        Value::Map(_) => vec![node],
        Value::Seq(items) => {
            if items.len() > MAX_CACHES {
                report(
                    cx,
                    "too-many-entries",
                    format!("{path} config no more than {MAX_CACHES} caches can be created"),
                    node.span,
                    Some(format!("{} caches are listed", items.len())),
                );
                return None;
            }
            items.iter().collect()
        }
        _ => {
            report(
                cx,
                "invalid-type",
                format!("{path} config can only be a hash or an array"),
                node.span,
                None,
            );
            return None;
        }
    };
    let start = mark(cx);
    let entry_path = format!("{path}:cache");
    let cache: Cache = items
        .into_iter()
        .filter_map(|item| parse_entry(&entry_path, item, cx))
        .collect();
    (!failed_since(cx, start)).then_some(cache)
}

fn parse_entry(path: &str, node: &Node, cx: &mut Ctx) -> Option<CacheEntry> {
    let map = cx.mapping(path, node)?;
    let start = mark(cx);
    cx.check_keys(
        path,
        map,
        &[
            "key",
            "untracked",
            "paths",
            "when",
            "policy",
            "unprotect",
            "fallback_keys",
        ],
    );

    let key = field(map, "key").and_then(|value| parse_key(&format!("{path}:key"), value, cx));
    let paths = field(map, "paths").and_then(|value| {
        strings(value).or_else(|| {
            cx.type_error(&format!("{path}:paths"), "an array of strings", value);
            None
        })
    });
    let untracked = entry_bool(&format!("{path}:untracked"), field(map, "untracked"), cx);
    let unprotect = entry_bool(&format!("{path}:unprotect"), field(map, "unprotect"), cx);
    let when = field(map, "when").and_then(|value| parse_when(path, value, cx));
    let policy = field(map, "policy").and_then(|value| parse_policy(path, value, cx));
    let fallback_keys = parse_fallback_keys(path, map, cx);

    (!failed_since(cx, start)).then_some(CacheEntry {
        key,
        paths,
        untracked,
        unprotect,
        when,
        policy,
        fallback_keys,
    })
}

fn entry_bool(path: &str, node: Option<&Node>, cx: &mut Ctx) -> Option<bool> {
    cx.boolean(path, node?)
}

/// Parses `cache:key` at `path`.
fn parse_key(path: &str, node: &Node, cx: &mut Ctx) -> Option<CacheKey> {
    match &node.value {
        Value::String(key) => check_key_text(path, key, node, cx).map(CacheKey::Text),
        Value::Map(map) => parse_files_key(path, map, node, cx),
        _ => {
            report(
                cx,
                "invalid-type",
                format!("{path} should be a hash, a string or a symbol"),
                node.span,
                None,
            );
            None
        }
    }
}

/// GitLab URL-decodes a key before checking it, so `%2F` counts as `/`.
fn check_key_text(path: &str, key: &str, node: &Node, cx: &mut Ctx) -> Option<String> {
    let decoded = url_decode(key);
    let problem = if decoded.contains('/') {
        "config cannot contain the \"/\" character"
    } else if decoded == "." || decoded == ".." {
        "config cannot be \".\" or \"..\""
    } else {
        return Some(key.to_owned());
    };
    report(
        cx,
        "invalid-cache-key",
        format!("{path} {problem}"),
        node.span,
        Some(format!("`{key}` is used in a file path by the runner")),
    );
    None
}

/// Decodes `%XX` sequences and `+` as Ruby's `CGI.unescape` does.
fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (byte, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                index += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                index += 1;
            }
            _ => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_files_key(path: &str, map: &Mapping, node: &Node, cx: &mut Ctx) -> Option<CacheKey> {
    let start = mark(cx);
    cx.check_keys(path, map, &["files", "files_commits", "prefix"]);
    let present = ["files", "files_commits"]
        .iter()
        .filter(|key| map.contains_key(key))
        .count();
    if present != 1 {
        // NOTE: GitLab 17 accepts only `files` (`config missing required keys: files`);
        // the wording for the two-key form is assumed from GitLab's one-of validator.
        report(
            cx,
            "invalid-cache-key",
            format!("{path} config must use exactly one of these keys: files, files_commits"),
            node.span,
            None,
        );
    }
    let files = field(map, "files").and_then(|v| parse_key_files(&format!("{path}:files"), v, cx));
    let files_commits = field(map, "files_commits")
        .and_then(|v| parse_key_files(&format!("{path}:files_commits"), v, cx));
    let prefix = field(map, "prefix").and_then(|value| {
        let prefix_path = format!("{path}:prefix");
        match value.as_str() {
            Some(text) => check_key_text(&prefix_path, text, value, cx),
            None => {
                cx.type_error(&prefix_path, "a string or symbol", value);
                None
            }
        }
    });
    (!failed_since(cx, start)).then_some(CacheKey::Files {
        files,
        files_commits,
        prefix,
    })
}

fn parse_key_files(path: &str, node: &Node, cx: &mut Ctx) -> Option<Vec<String>> {
    let files = cx.string_array(path, node)?;
    let problem = if files.is_empty() {
        "config requires at least 1 item".to_owned()
    } else if files.len() > MAX_KEY_FILES {
        format!("config has too many items (maximum is {MAX_KEY_FILES})")
    } else {
        return Some(files);
    };
    report(
        cx,
        "invalid-cache-key",
        format!("{path} {problem}"),
        node.span,
        None,
    );
    None
}

fn parse_when(path: &str, node: &Node, cx: &mut Ctx) -> Option<CacheWhen> {
    let Some(text) = node.as_str() else {
        report_field_type(cx, path, "when", "a string", node);
        return None;
    };
    Some(match text {
        "on_success" => CacheWhen::OnSuccess,
        "on_failure" => CacheWhen::OnFailure,
        "always" => CacheWhen::Always,
        _ => {
            let message = field_message(
                path,
                "when",
                format_args!("should be one of: {}", WHEN_VALUES.join(", ")),
            );
            report_enum(cx, message, text, WHEN_VALUES, node.span);
            return None;
        }
    })
}

/// Checks the policy as GitLab does, with an unanchored match for `pull-push`, `push`, `pull`
/// or a `$`. Anything containing one of them passes, and the runner rejects the rest later.
fn parse_policy(path: &str, node: &Node, cx: &mut Ctx) -> Option<String> {
    let Some(text) = node.as_str() else {
        report_field_type(cx, path, "policy", "a string", node);
        return None;
    };
    let valid = text.trim().is_empty()
        || text.contains("push")
        || text.contains("pull")
        || text.contains('$');
    if valid {
        return Some(text.to_owned());
    }
    let message = field_message(
        path,
        "policy",
        "should be a variable or one of: pull-push, push, pull",
    );
    report_enum(cx, message, text, &["pull-push", "push", "pull"], node.span);
    None
}

fn parse_fallback_keys(path: &str, map: &Mapping, cx: &mut Ctx) -> Option<Vec<String>> {
    let node = field(map, "fallback_keys")?;
    let keys = cx.string_array(&format!("{path}:fallback_keys"), node)?;
    if keys.len() > MAX_FALLBACK_KEYS {
        // "to many" is GitLab's spelling.
        report(
            cx,
            "too-many-entries",
            field_message(
                path,
                "fallback_keys",
                format_args!("has to many entries (maximum {MAX_FALLBACK_KEYS})"),
            ),
            node.span,
            None,
        );
        return None;
    }
    Some(keys)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:build:cache";

    #[test]
    fn hash_form() {
        let cache = ok(
            parse,
            PATH,
            json!({"key": "$CI_COMMIT_REF_SLUG", "paths": ["vendor/"], "policy": "pull", "when": "always", "unprotect": true}),
        );
        assert_eq!(cache.len(), 1);
        assert_eq!(cache[0].key_text(), Some("$CI_COMMIT_REF_SLUG"));
        assert_eq!(cache[0].policy(), "pull");
        assert_eq!(cache[0].when(), CacheWhen::Always);
    }

    #[test]
    fn defaults() {
        let cache = ok(parse, PATH, json!({"paths": ["a"]}));
        assert_eq!(cache[0].key_text(), Some("default"));
        assert_eq!(cache[0].policy(), "pull-push");
        assert_eq!(cache[0].when(), CacheWhen::OnSuccess);
    }

    #[test]
    fn empty_list_disables() {
        assert!(ok(parse, PATH, json!([])).is_empty());
    }

    #[test]
    fn list_of_four() {
        let four = json!([{"key": "a"}, {"key": "b"}, {"key": "c"}, {"key": "d"}]);
        assert_eq!(ok(parse, PATH, four).len(), 4);
        let five = json!([{"key": "a"}, {"key": "b"}, {"key": "c"}, {"key": "d"}, {"key": "e"}]);
        assert_eq!(
            messages(parse, PATH, five),
            ["jobs:build:cache config no more than 4 caches can be created"]
        );
    }

    #[test]
    fn files_key() {
        let cache = ok(
            parse,
            PATH,
            json!({"key": {"files": ["Gemfile.lock", "package.json"], "prefix": "deps"}}),
        );
        assert_eq!(
            serde_json::to_value(&cache).unwrap(),
            json!([{"key": {"files": ["Gemfile.lock", "package.json"], "prefix": "deps"}}])
        );
    }

    #[test]
    fn files_commits_key() {
        let cache = ok(parse, PATH, json!({"key": {"files_commits": ["a"]}}));
        assert!(
            matches!(&cache[0].key, Some(CacheKey::Files { files_commits: Some(f), .. }) if f == &["a"])
        );
    }

    #[test]
    fn policy_variable() {
        assert_eq!(
            ok(parse, PATH, json!({"policy": "$POLICY"}))[0].policy(),
            "$POLICY"
        );
    }

    #[test]
    fn fallback_keys_limit() {
        assert!(
            messages(
                parse,
                PATH,
                json!({"fallback_keys": ["a", "b", "c", "d", "e"]})
            )
            .is_empty()
        );
        assert_eq!(
            messages(
                parse,
                PATH,
                json!({"fallback_keys": ["a", "b", "c", "d", "e", "f"]})
            ),
            ["jobs:build:cache:cache fallback keys has to many entries (maximum 5)"]
        );
    }

    #[test]
    fn error_messages() {
        let cases = [
            (
                json!("vendor"),
                "jobs:build:cache config can only be a hash or an array",
            ),
            (
                json!(["vendor"]),
                "jobs:build:cache:cache config should be a hash",
            ),
            (
                json!({"path": ["a"]}),
                "jobs:build:cache:cache config contains unknown keys: path",
            ),
            (
                json!({"key": "a/b"}),
                "jobs:build:cache:cache:key config cannot contain the \"/\" character",
            ),
            (
                json!({"key": "a%2Fb"}),
                "jobs:build:cache:cache:key config cannot contain the \"/\" character",
            ),
            (
                json!({"key": ".."}),
                "jobs:build:cache:cache:key config cannot be \".\" or \"..\"",
            ),
            (
                json!({"key": 1}),
                "jobs:build:cache:cache:key should be a hash, a string or a symbol",
            ),
            (
                json!({"key": {"prefix": "p"}}),
                "jobs:build:cache:cache:key config must use exactly one of these keys: files, files_commits",
            ),
            (
                json!({"key": {"files": ["a", "b", "c"]}}),
                "jobs:build:cache:cache:key:files config has too many items (maximum is 2)",
            ),
            (
                json!({"key": {"files": []}}),
                "jobs:build:cache:cache:key:files config requires at least 1 item",
            ),
            (
                json!({"key": {"files": ["a"], "prefix": "a/b"}}),
                "jobs:build:cache:cache:key:prefix config cannot contain the \"/\" character",
            ),
            (
                json!({"paths": "vendor"}),
                "jobs:build:cache:cache:paths config should be an array of strings",
            ),
            (
                json!({"untracked": "yes"}),
                "jobs:build:cache:cache:untracked config should be a boolean value",
            ),
            (
                json!({"unprotect": 1}),
                "jobs:build:cache:cache:unprotect config should be a boolean value",
            ),
            (
                json!({"when": "never"}),
                "jobs:build:cache:cache when should be one of: on_success, on_failure, always",
            ),
            (
                json!({"policy": "fetch"}),
                "jobs:build:cache:cache policy should be a variable or one of: pull-push, push, pull",
            ),
            (
                json!({"fallback_keys": "a"}),
                "jobs:build:cache:cache:fallback_keys config should be an array of strings",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(messages(parse, PATH, input.clone()), [expected], "{input}");
        }
    }
}
