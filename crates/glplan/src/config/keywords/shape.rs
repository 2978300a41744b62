//! Small validation helpers shared by the keyword parsers, on top of [`Ctx`].
//!
//! GitLab builds every message as `<location> <attribute> <message>`. For a keyword that is its
//! own entry the attribute is `config` (`jobs:build:image config should be a hash or a
//! string`); for a keyword that the owning entry validates itself, the location is the owner
//! and the attribute is the key (`jobs:build when should be one of: ...`). Parsers receive the
//! keyword's full path either way, and [`attribute_message`] splits it where needed.

use std::fmt::Display;

use crate::config::check::Ctx;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::source::Span;
use crate::yaml::{Mapping, Node, Value};

/// Position in the diagnostics list, to tell whether a parser reported an error.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark(usize);

/// Remembers how many diagnostics exist now.
pub(crate) fn mark(cx: &Ctx) -> Mark {
    Mark(cx.diags.len())
}

/// Returns whether an error was reported since `mark`.
pub(crate) fn failed_since(cx: &Ctx, mark: Mark) -> bool {
    cx.diags.iter().skip(mark.0).any(Diagnostic::is_error)
}

/// Reports an error with an optional help line. A `can't be blank` error without one gets
/// the general fix for a blank value.
pub(crate) fn report(
    cx: &mut Ctx,
    code: &'static str,
    message: impl Into<String>,
    span: Span,
    help: Option<String>,
) {
    let message = message.into();
    let help = help.or_else(|| {
        message
            .ends_with("can't be blank")
            .then(|| BLANK_HELP.to_owned())
    });
    let mut diagnostic = Diagnostic::error(code, message).with_span(span);
    if let Some(help) = help {
        diagnostic = diagnostic.with_help(help);
    }
    cx.diags.push(diagnostic);
}

/// The fix for a value that GitLab finds blank: null, `false`, an empty or whitespace-only
/// string, or an empty array or hash.
pub(crate) const BLANK_HELP: &str =
    "write a non-empty value here; GitLab treats null, `false`, `\"\"`, `[]` and `{}` as blank";

/// Splits `jobs:build:when` into the owner `jobs:build` and the key `when`.
pub(crate) fn owner_and_key(path: &str) -> (&str, &str) {
    path.rsplit_once(':').unwrap_or(("", path))
}

/// `jobs:build:when` and `should be ...` give `jobs:build when should be ...`, the form GitLab
/// uses for keywords that the owning entry validates as plain attributes. GitLab prints the
/// attribute through ActiveModel's `full_messages`, which humanizes it, so
/// `jobs:build:resource_group` gives `jobs:build resource group should be ...`.
pub(crate) fn attribute_message(path: &str, message: impl Display) -> String {
    match owner_and_key(path) {
        ("", key) => format!("{} {message}", humanize(key)),
        (owner, key) => format!("{owner} {} {message}", humanize(key)),
    }
}

/// Converts an attribute name to the form GitLab's messages show: ActiveSupport's `humanize`
/// drops a trailing `_id` and turns underscores into spaces, and GitLab lower-cases the
/// whole message.
pub(crate) fn humanize(attribute: &str) -> String {
    let stem = attribute
        .strip_suffix("_id")
        .filter(|stem| !stem.is_empty())
        .unwrap_or(attribute);
    stem.replace('_', " ").to_lowercase()
}

/// `<entry> <attribute> <message>`, for an attribute inside a keyword's own entry, such as
/// `jobs:build:image name can't be blank`. The attribute is humanized as in
/// [`attribute_message`].
pub(crate) fn field_message(entry: &str, attribute: &str, message: impl Display) -> String {
    format!("{entry} {} {message}", humanize(attribute))
}

/// Returns the value of `key` unless it is missing or null. GitLab treats a null keyword as not
/// written at all.
pub(crate) fn field<'a>(map: &'a Mapping, key: &str) -> Option<&'a Node> {
    map.get(key).filter(|node| !node.is_null())
}

/// The string of `key` in `map`, reporting `<entry> <key> should be a string` otherwise.
/// Null and missing both give `Ok(None)`.
pub(crate) fn optional_string(
    cx: &mut Ctx,
    entry: &str,
    map: &Mapping,
    key: &str,
) -> Result<Option<String>, ()> {
    let Some(node) = field(map, key) else {
        return Ok(None);
    };
    match node.as_str() {
        Some(s) => Ok(Some(s.to_owned())),
        None => {
            report_field_type(cx, entry, key, "a string", node);
            Err(())
        }
    }
}

/// The boolean of `key` in `map`, reporting `<entry> <key> should be a boolean value`
/// otherwise.
pub(crate) fn optional_bool(
    cx: &mut Ctx,
    entry: &str,
    map: &Mapping,
    key: &str,
) -> Result<Option<bool>, ()> {
    let Some(node) = field(map, key) else {
        return Ok(None);
    };
    match node.as_bool() {
        Some(b) => Ok(Some(b)),
        None => {
            report_field_type(cx, entry, key, "a boolean value", node);
            Err(())
        }
    }
}

/// The array of strings of `key` in `map`, reporting `<entry> <key> should be an array of
/// strings` otherwise.
pub(crate) fn optional_strings(
    cx: &mut Ctx,
    entry: &str,
    map: &Mapping,
    key: &str,
) -> Result<Option<Vec<String>>, ()> {
    let Some(node) = field(map, key) else {
        return Ok(None);
    };
    match strings(node) {
        Some(list) => Ok(Some(list)),
        None => {
            report_field_type(cx, entry, key, "an array of strings", node);
            Err(())
        }
    }
}

/// Reports `<entry> <attribute> should be <expected>`.
pub(crate) fn report_field_type(
    cx: &mut Ctx,
    entry: &str,
    attribute: &str,
    expected: &str,
    node: &Node,
) {
    report(
        cx,
        "invalid-type",
        field_message(entry, attribute, format_args!("should be {expected}")),
        node.span,
        Some(format!(
            "found {} here",
            crate::config::check::describe(node)
        )),
    );
}

/// Reports `<owner> <key> should be <expected>` for an attribute-style keyword.
pub(crate) fn report_attribute_type(cx: &mut Ctx, path: &str, expected: &str, node: &Node) {
    report(
        cx,
        "invalid-type",
        attribute_message(path, format_args!("should be {expected}")),
        node.span,
        Some(format!(
            "found {} here",
            crate::config::check::describe(node)
        )),
    );
}

/// Reports `<path> config missing required keys: a, b` when any of `required` is absent.
/// GitLab's required-keys check counts a key written with a null value as present.
pub(crate) fn require_keys(
    cx: &mut Ctx,
    path: &str,
    map: &Mapping,
    span: Span,
    required: &[&str],
) -> bool {
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|key| !map.contains_key(key))
        .collect();
    if missing.is_empty() {
        return true;
    }
    report(
        cx,
        "missing-keys",
        format!(
            "{path} config missing required keys: {}",
            missing.join(", ")
        ),
        span,
        None,
    );
    false
}

/// Reports `<path> config these keys cannot be used together: a, b` when more than one of
/// `keys` is present.
pub(crate) fn exclusive_keys(cx: &mut Ctx, path: &str, map: &Mapping, keys: &[&str]) -> bool {
    // GitLab lists the keys in the order they are written.
    let present: Vec<&str> = map
        .keys()
        .filter_map(|key| key.as_str())
        .filter(|key| keys.contains(key))
        .collect();
    if present.len() <= 1 {
        return true;
    }
    let span = map
        .entry(present.get(1).copied().unwrap_or_default())
        .map(|entry| entry.key_span)
        .unwrap_or_default();
    report(
        cx,
        "exclusive-keys",
        format!(
            "{path} config these keys cannot be used together: {}",
            present.join(", ")
        ),
        span,
        Some(format!("keep only one of `{}`", present.join("`, `"))),
    );
    false
}

/// Reports `<path> config contains disallowed keys: a, b` when any of `keys` is present with a
/// non-null value, followed by `suffix` when GitLab adds one.
pub(crate) fn disallow_keys(
    cx: &mut Ctx,
    path: &str,
    map: &Mapping,
    keys: &[&str],
    message: &str,
) -> bool {
    let present: Vec<(&str, Span)> = keys
        .iter()
        .copied()
        .filter_map(|key| {
            let entry = map.entry(key)?;
            (!entry.value.is_null()).then_some((key, entry.key_span))
        })
        .collect();
    let Some((_, span)) = present.first() else {
        return true;
    };
    let names: Vec<&str> = present.iter().map(|(key, _)| *key).collect();
    report(
        cx,
        "disallowed-keys",
        format!("{path} config {message}: {}", names.join(", ")),
        *span,
        Some(format!(
            "remove `{}` here; GitLab does not accept it in this place",
            names.join("`, `")
        )),
    );
    false
}

/// Reports an enum value outside `allowed` with GitLab's `message`, adding a "did you mean"
/// help when the value is close to an allowed one.
pub(crate) fn report_enum(
    cx: &mut Ctx,
    message: String,
    value: &str,
    allowed: &[&str],
    span: Span,
) {
    let help = match did_you_mean(value, allowed.iter().copied()) {
        Some(suggestion) => format!("did you mean `{suggestion}`?"),
        None => format!("use one of: {}", allowed.join(", ")),
    };
    report(cx, "invalid-value", message, span, Some(help));
}

/// Returns the strings of a sequence of strings, or `None` for anything else.
pub(crate) fn strings(node: &Node) -> Option<Vec<String>> {
    node.as_seq()?
        .iter()
        .map(|item| item.as_str().map(str::to_owned))
        .collect()
}

/// Returns a string or an array of strings as a list, or `None` for anything else.
pub(crate) fn string_or_strings(node: &Node) -> Option<Vec<String>> {
    match &node.value {
        Value::String(s) => Some(vec![s.clone()]),
        _ => strings(node),
    }
}

/// Returns a scalar as Ruby's `to_s` prints it, for values GitLab accepts as "alphanumeric" or
/// "scalar" and stringifies.
pub(crate) fn scalar_string(node: &Node) -> Option<String> {
    match node.value {
        Value::Seq(_) | Value::Map(_) | Value::Reference(_) | Value::Null => None,
        ref value => value.scalar_to_string(),
    }
}

/// A regular expression in GitLab's Ruby-literal syntax, `/pattern/flags`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RubyRegexp<'a> {
    /// The text between the slashes.
    pub pattern: &'a str,
    /// The flags after the closing slash, from `i`, `s`, `m` and `U`.
    pub flags: &'a str,
}

/// Splits `/pattern/flags` as GitLab's `RubySyntax.matches_syntax?` does: the text starts with
/// `/`, and the last `/` is followed only by flags. Returns `None` for a plain string.
pub(crate) fn ruby_regexp(text: &str) -> Option<RubyRegexp<'_>> {
    let rest = text.strip_prefix('/')?;
    let close = rest.rfind('/')?;
    let pattern = rest.get(..close)?;
    let flags = rest.get(close + 1..)?;
    flags
        .chars()
        .all(|c| matches!(c, 'i' | 's' | 'm' | 'U'))
        .then_some(RubyRegexp { pattern, flags })
}

/// Returns whether a `/pattern/flags` literal compiles as RE2 would compile it. GitLab prefixes the
/// flags as an inline group, `(?flags)pattern`.
pub(crate) fn regexp_is_valid(regexp: &RubyRegexp<'_>) -> bool {
    let pattern = if regexp.flags.is_empty() {
        regexp.pattern.to_owned()
    } else {
        format!("(?{}){}", regexp.flags, regexp.pattern)
    };
    crate::re2::compile(&pattern).is_ok()
}

/// Returns whether `text` is a `/pattern/flags` literal that compiles.
pub(crate) fn is_valid_regexp_literal(text: &str) -> bool {
    ruby_regexp(text).is_some_and(|r| regexp_is_valid(&r))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reported(check: impl FnOnce(&mut Ctx)) -> Vec<Diagnostic> {
        let mut diags = crate::diagnostic::Diagnostics::new();
        let limits = crate::limits::Limits::default();
        check(&mut Ctx::new(&mut diags, &limits));
        diags.into_vec()
    }

    #[test]
    fn report_blank_gets_help() {
        let diags = reported(|cx| {
            report(
                cx,
                "x",
                "jobs:a:image name can't be blank",
                Span::default(),
                None,
            );
        });
        assert_eq!(diags[0].help.as_deref(), Some(BLANK_HELP));
    }

    #[test]
    fn report_keeps_given_help() {
        let help = Some("own".to_owned());
        let diags = reported(|cx| report(cx, "x", "a can't be blank", Span::default(), help));
        assert_eq!(diags[0].help.as_deref(), Some("own"));
    }

    #[test]
    fn disallow_keys_help_names_keys() {
        let mut map = Mapping::new();
        map.insert(
            "ports",
            Span::default(),
            Node::string("80", Span::default()),
        );
        let diags = reported(|cx| {
            disallow_keys(
                cx,
                "jobs:a:image",
                &map,
                &["ports"],
                "contains disallowed keys",
            );
        });
        assert_eq!(
            diags[0].help.as_deref(),
            Some("remove `ports` here; GitLab does not accept it in this place")
        );
    }

    #[test]
    fn owner_and_key_splits_last_segment() {
        assert_eq!(owner_and_key("jobs:build:when"), ("jobs:build", "when"));
        assert_eq!(owner_and_key("when"), ("", "when"));
    }

    #[test]
    fn attribute_message_humanizes_key() {
        let cases = [
            (
                "jobs:deploy:resource_group",
                "jobs:deploy resource group should be a string",
            ),
            (
                "jobs:deploy:allow_failure",
                "jobs:deploy allow failure should be a string",
            ),
            (
                "jobs:deploy:start_in",
                "jobs:deploy start in should be a string",
            ),
            (
                "jobs:deploy:project_id",
                "jobs:deploy project should be a string",
            ),
            ("resource_group", "resource group should be a string"),
        ];
        for (path, expected) in cases {
            assert_eq!(
                attribute_message(path, "should be a string"),
                expected,
                "{path}"
            );
        }
    }

    #[test]
    fn attribute_message_moves_key() {
        assert_eq!(
            attribute_message("jobs:build:when", "should be a string"),
            "jobs:build when should be a string"
        );
    }

    #[test]
    fn ruby_regexp_cases() {
        let cases = [
            ("/a/", Some(("a", ""))),
            ("/a/i", Some(("a", "i"))),
            ("/a/b/", Some(("a/b", ""))),
            ("/a/x", None),
            ("a", None),
            ("/", None),
            ("//", Some(("", ""))),
        ];
        for (text, expected) in cases {
            let got = ruby_regexp(text).map(|r| (r.pattern, r.flags));
            assert_eq!(got, expected, "{text}");
        }
    }

    #[test]
    fn regexp_validity() {
        assert!(is_valid_regexp_literal("/^release-.*$/"));
        assert!(is_valid_regexp_literal("/abc/i"));
        assert!(!is_valid_regexp_literal("/(/"));
        assert!(!is_valid_regexp_literal("abc"));
    }
}
