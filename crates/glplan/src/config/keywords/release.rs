//! `release:`: the release a job creates after its script, `{tag_name, tag_message, name,
//! description, ref, released_at, milestones, assets: {links}}`. That the job also needs
//! `script` is the model builder's check.

use serde::Serialize;

use super::shape::{
    failed_since, field, field_message, mark, optional_string, report, report_enum,
    report_field_type, string_or_strings,
};
use crate::config::check::Ctx;
use crate::yaml::{Mapping, Node};

/// `release:` after validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    /// Tag of the release (created when it does not exist).
    pub tag_name: String,
    /// Message of a newly created annotated tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_message: Option<String>,
    /// Release title (default: the tag name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Release notes.
    pub description: String,
    /// Commit or branch a new tag is created from.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// ISO 8601 release date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released_at: Option<String>,
    /// Milestone titles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub milestones: Option<Vec<String>>,
    /// Links shown with the release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assets: Option<ReleaseAssets>,
}

/// `release:assets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseAssets {
    /// Asset links.
    pub links: Vec<ReleaseLink>,
}

/// One asset link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseLink {
    /// Link text.
    pub name: String,
    /// Target URL.
    pub url: String,
    /// Deprecated name of `direct_asset_path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filepath: Option<String>,
    /// Path of the permanent link to the asset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct_asset_path: Option<String>,
    /// `other` (default), `runbook`, `image` or `package`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_type: Option<String>,
}

const LINK_TYPES: &[&str] = &["other", "runbook", "image", "package"];

/// Parses `release:` (`path` is `jobs:<name>:release`).
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Release> {
    let map = cx.mapping(path, node)?;
    let start = mark(cx);
    cx.check_keys(
        path,
        map,
        &[
            "tag_name",
            "tag_message",
            "name",
            "description",
            "ref",
            "released_at",
            "milestones",
            "assets",
        ],
    );
    let tag_name = required_string(cx, path, map, "tag_name", node);
    let tag_message = optional_string(cx, path, map, "tag_message").ok().flatten();
    let name = optional_string(cx, path, map, "name").ok().flatten();
    let description = required_string(cx, path, map, "description", node);

    let milestones = field(map, "milestones").and_then(|value| match string_or_strings(value) {
        Some(list) => Some(list),
        None => {
            report_field_type(
                cx,
                path,
                "milestones",
                "an array of strings or a string",
                value,
            );
            None
        }
    });

    let released_at = field(map, "released_at").and_then(|value| {
        match value.as_str().filter(|text| is_iso8601(text)) {
            Some(text) => Some(text.to_owned()),
            None => {
                report(
                    cx,
                    "invalid-value",
                    field_message(path, "released_at", "must be a valid datetime"),
                    value.span,
                    Some("write an ISO 8601 time such as `2024-01-31T12:00:00Z`".to_owned()),
                );
                None
            }
        }
    });

    let git_ref = field(map, "ref").and_then(|value| {
        match value
            .as_str()
            .filter(|text| is_commit_sha(text) || is_git_ref(text))
        {
            Some(text) => Some(text.to_owned()),
            None => {
                report(
                    cx,
                    "invalid-value",
                    field_message(path, "ref", "must be a valid ref"),
                    value.span,
                    None,
                );
                None
            }
        }
    });

    let assets =
        field(map, "assets").and_then(|value| parse_assets(&format!("{path}:assets"), value, cx));

    if failed_since(cx, start) {
        return None;
    }
    Some(Release {
        tag_name: tag_name?,
        tag_message,
        name,
        description: description?,
        git_ref,
        released_at,
        milestones,
        assets,
    })
}

fn required_string(
    cx: &mut Ctx,
    path: &str,
    map: &Mapping,
    key: &str,
    node: &Node,
) -> Option<String> {
    match field(map, key) {
        None => {
            report(
                cx,
                "missing-keys",
                field_message(path, key, "can't be blank"),
                node.span,
                None,
            );
            None
        }
        Some(value) => match value.as_str() {
            Some(text) if !text.trim().is_empty() => Some(text.to_owned()),
            Some(_) => {
                report(
                    cx,
                    "blank-value",
                    field_message(path, key, "can't be blank"),
                    value.span,
                    None,
                );
                None
            }
            None => {
                report_field_type(cx, path, key, "a string", value);
                None
            }
        },
    }
}

fn parse_assets(path: &str, node: &Node, cx: &mut Ctx) -> Option<ReleaseAssets> {
    let map = cx.mapping(path, node)?;
    let start = mark(cx);
    cx.check_keys(path, map, &["links"]);
    let links = match field(map, "links") {
        None => {
            report(
                cx,
                "missing-keys",
                field_message(path, "links", "can't be blank"),
                node.span,
                None,
            );
            None
        }
        Some(value) => match value.as_seq() {
            Some(items) if items.iter().all(|i| i.as_map().is_some()) => {
                if items.is_empty() {
                    report(
                        cx,
                        "blank-value",
                        field_message(path, "links", "can't be blank"),
                        value.span,
                        None,
                    );
                }
                let link_path = format!("{path}:links:link");
                Some(
                    items
                        .iter()
                        .filter_map(|item| parse_link(&link_path, item, cx))
                        .collect::<Vec<_>>(),
                )
            }
            _ => {
                report_field_type(cx, path, "links", "an array of hashes", value);
                None
            }
        },
    };
    if failed_since(cx, start) {
        return None;
    }
    Some(ReleaseAssets { links: links? })
}

fn parse_link(path: &str, node: &Node, cx: &mut Ctx) -> Option<ReleaseLink> {
    let map = node.as_map()?;
    let start = mark(cx);
    cx.check_keys(
        path,
        map,
        &["name", "url", "filepath", "direct_asset_path", "link_type"],
    );

    let name = required_string(cx, path, map, "name", node);
    let url = required_string(cx, path, map, "url", node);

    // NOTE: GitLab checks the URL with its URL blocker; only the scheme and host are checked
    // here.
    if let Some(url) = &url
        && !is_url(url)
    {
        report(
            cx,
            "invalid-value",
            field_message(path, "url", "must be a valid URL"),
            field(map, "url").map_or(node.span, |v| v.span),
            None,
        );
    }

    let filepath = optional_string(cx, path, map, "filepath").ok().flatten();
    let direct_asset_path = optional_string(cx, path, map, "direct_asset_path")
        .ok()
        .flatten();
    let link_type = field(map, "link_type").and_then(|value| match value.as_str() {
        Some(text) if LINK_TYPES.contains(&text) => Some(text.to_owned()),
        other => {
            let message = field_message(
                path,
                "link_type",
                format_args!("should be one of: {}", LINK_TYPES.join(", ")),
            );
            report_enum(
                cx,
                message,
                other.unwrap_or_default(),
                LINK_TYPES,
                value.span,
            );
            None
        }
    });
    if failed_since(cx, start) {
        return None;
    }
    Some(ReleaseLink {
        name: name?,
        url: url?,
        filepath,
        direct_asset_path,
        link_type,
    })
}

fn is_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    let scheme_ok = !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    scheme_ok && !host.is_empty() && !rest.contains(char::is_whitespace)
}

/// Returns whether `text` is a 7 to 40 character hexadecimal commit SHA.
fn is_commit_sha(text: &str) -> bool {
    (7..=40).contains(&text.len()) && text.chars().all(|c| c.is_ascii_hexdigit())
}

/// Returns whether `text` follows Git's `check-ref-format` rules for a branch or tag name.
fn is_git_ref(text: &str) -> bool {
    let forbidden = |c: char| c.is_ascii_control() || " ~^:?*[\\".contains(c);
    !text.is_empty()
        && !text.chars().any(forbidden)
        && !text.starts_with('/')
        && !text.starts_with('-')
        && !text.ends_with('/')
        && !text.ends_with('.')
        && !text.ends_with(".lock")
        && !text.contains("..")
        && !text.contains("//")
        && !text.contains("@{")
        && text != "@"
        && !text.split('/').any(|part| part.starts_with('.'))
}

/// Returns whether `text` is an ISO 8601 date (`2024-01-31`) or date and time (`2024-01-31T12:00:00Z`, with optional
/// fraction and `±hh:mm` offset), as Ruby's `DateTime.iso8601` commonly accepts.
fn is_iso8601(text: &str) -> bool {
    let (date, time) = match text.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let digits = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_digit());
    let date_ok = match date.split('-').collect::<Vec<_>>().as_slice() {
        [y, m, d] => {
            digits(y, 4)
                && digits(m, 2)
                && digits(d, 2)
                && (1..=12).contains(&m.parse::<u8>().unwrap_or(0))
                && (1..=31).contains(&d.parse::<u8>().unwrap_or(0))
        }
        _ => false,
    };
    let Some(time) = time else {
        return date_ok;
    };
    let (clock, zone) = if let Some(clock) = time.strip_suffix('Z') {
        (clock, None)
    } else if let Some(index) = time.rfind(['+', '-']) {
        (time.get(..index).unwrap_or_default(), time.get(index + 1..))
    } else {
        (time, None)
    };
    let clock = clock.split('.').next().unwrap_or_default();
    let clock_ok = match clock.split(':').collect::<Vec<_>>().as_slice() {
        [h, m, s] => {
            digits(h, 2)
                && digits(m, 2)
                && digits(s, 2)
                && h.parse::<u8>().unwrap_or(99) < 24
                && m.parse::<u8>().unwrap_or(99) < 60
                && s.parse::<u8>().unwrap_or(99) < 61
        }
        [h, m] => digits(h, 2) && digits(m, 2),
        _ => false,
    };
    let zone_ok = zone.is_none_or(|z| match z.split_once(':') {
        Some((h, m)) => digits(h, 2) && digits(m, 2),
        None => digits(z, 2) || digits(z, 4),
    });
    date_ok && clock_ok && zone_ok
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:release:release";

    #[test]
    fn full_release() {
        let release = ok(
            parse,
            PATH,
            json!({
                "tag_name": "v1.0",
                "tag_message": "Version 1",
                "name": "Release 1",
                "description": "Notes",
                "ref": "main",
                "released_at": "2024-01-31T12:00:00+01:00",
                "milestones": "m1",
                "assets": {"links": [{"name": "bin", "url": "https://example.com/bin", "link_type": "package"}]}
            }),
        );
        assert_eq!(release.milestones, Some(vec!["m1".to_owned()]));
        assert_eq!(
            release.assets.unwrap().links[0].link_type.as_deref(),
            Some("package")
        );
    }

    #[test]
    fn dates() {
        for text in [
            "2024-01-31",
            "2024-01-31T12:00:00Z",
            "2024-01-31T12:00:00.123Z",
            "2024-01-31T12:00:00-05:00",
        ] {
            assert!(is_iso8601(text), "{text}");
        }
        for text in [
            "31/01/2024",
            "2024-13-01",
            "2024-01-31T25:00:00Z",
            "tomorrow",
        ] {
            assert!(!is_iso8601(text), "{text}");
        }
    }

    #[test]
    fn refs() {
        for text in ["main", "release/1.0", "0123456789abcdef"] {
            assert!(is_commit_sha(text) || is_git_ref(text), "{text}");
        }
        for text in ["a..b", "a b", "a.lock", "/a", "a/", "a@{1}"] {
            assert!(!is_commit_sha(text), "{text}");
            assert!(!is_git_ref(text), "{text}");
        }
    }

    #[test]
    fn error_messages() {
        let cases = [
            (json!("v1"), "jobs:release:release config should be a hash"),
            (
                json!({"description": "d"}),
                "jobs:release:release tag name can't be blank",
            ),
            (
                json!({"tag_name": "v1"}),
                "jobs:release:release description can't be blank",
            ),
            (
                json!({"tag_name": "v1", "description": "d", "title": "t"}),
                "jobs:release:release config contains unknown keys: title",
            ),
            (
                json!({"tag_name": 1, "description": "d"}),
                "jobs:release:release tag name should be a string",
            ),
            (
                json!({"tag_name": "v1", "description": "d", "milestones": [1]}),
                "jobs:release:release milestones should be an array of strings or a string",
            ),
            (
                json!({"tag_name": "v1", "description": "d", "released_at": "now"}),
                "jobs:release:release released at must be a valid datetime",
            ),
            (
                json!({"tag_name": "v1", "description": "d", "ref": "a..b"}),
                "jobs:release:release ref must be a valid ref",
            ),
            (
                json!({"tag_name": "v1", "description": "d", "assets": {}}),
                "jobs:release:release:assets links can't be blank",
            ),
            (
                json!({"tag_name": "v1", "description": "d", "assets": {"links": ["x"]}}),
                "jobs:release:release:assets links should be an array of hashes",
            ),
            (
                json!({"tag_name": "v1", "description": "d", "assets": {"links": [{"name": "a"}]}}),
                "jobs:release:release:assets:links:link url can't be blank",
            ),
            (
                json!({"tag_name": "v1", "description": "d", "assets": {"links": [{"name": "a", "url": "not a url"}]}}),
                "jobs:release:release:assets:links:link url must be a valid URL",
            ),
            (
                json!({"tag_name": "v1", "description": "d", "assets": {"links": [{"name": "a", "url": "https://x", "link_type": "doc"}]}}),
                "jobs:release:release:assets:links:link link type should be one of: other, runbook, image, package",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(messages(parse, PATH, input.clone()), [expected], "{input}");
        }
    }
}
