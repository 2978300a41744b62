//! GitLab-side variable expansion (`ExpandVariables` in GitLab's `lib/expand_variables.rb`).
//!
//! GitLab expands `$NAME`, `${NAME}` and `%NAME%` in include locations, `include:rules`,
//! `rules:changes`, `rules:exists`, `tags`, environment names and a few other places, where
//! `NAME` matches `[A-Za-z_][A-Za-z0-9_]*`. The three forms behave the same on every runner OS.
//! Unlike the expansion of the `variables:` collection, there is no `$$` or `%%` escape: in
//! `$$FOO` the first `$` stays and `$FOO` is expanded. Expansion is a single pass, so a value
//! that contains a reference is not expanded again.

/// Expands every reference; a variable that is not defined expands to the empty string, as
/// GitLab's `ExpandVariables.expand` does (used for `include` locations).
pub(crate) fn expand(value: &str, variables: &[(String, String)]) -> String {
    expand_with(value, |name| lookup(variables, name), Unknown::Empty)
}

/// Expands every reference to a defined variable and keeps the others as written, as GitLab's
/// `ExpandVariables.expand_existing` does (used for `tags`, `rules:exists` and the
/// `expand_vars` interpolation function).
pub(crate) fn expand_existing(value: &str, variables: &[(String, String)]) -> String {
    expand_with(value, |name| lookup(variables, name), Unknown::Keep)
}

/// Treatment of a reference whose variable is not defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unknown {
    /// Replace it with the empty string.
    Empty,
    /// Keep the reference as written.
    Keep,
}

/// Expands references with values from `lookup`.
pub(crate) fn expand_with<S: AsRef<str>>(
    value: &str,
    lookup: impl Fn(&str) -> Option<S>,
    unknown: Unknown,
) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(position) = rest.find(['$', '%']) {
        let (before, from_sigil) = rest.split_at(position);
        out.push_str(before);
        match parse_reference(from_sigil) {
            Some((name, length)) => {
                let written = from_sigil.get(..length).unwrap_or_default();
                match (lookup(name), unknown) {
                    (Some(found), _) => out.push_str(found.as_ref()),
                    (None, Unknown::Empty) => {}
                    (None, Unknown::Keep) => out.push_str(written),
                }
                rest = from_sigil.get(length..).unwrap_or_default();
            }
            None => {
                // Not a reference: keep the sigil and look again from the next character.
                let sigil_length = 1;
                out.push_str(from_sigil.get(..sigil_length).unwrap_or_default());
                rest = from_sigil.get(sigil_length..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parses a reference at the start of `text` (which starts with `$` or `%`) and returns the
/// variable name and the length of the whole reference in bytes. The alternatives are tried in
/// GitLab's order: `$NAME`, then `${NAME}`, then `%NAME%`.
fn parse_reference(text: &str) -> Option<(&str, usize)> {
    if let Some(after) = text.strip_prefix('$') {
        if let Some(name) = name_prefix(after) {
            return Some((name, 1 + name.len()));
        }
        let inner = after.strip_prefix('{')?;
        let name = name_prefix(inner)?;
        inner.get(name.len()..)?.strip_prefix('}')?;
        return Some((name, 2 + name.len() + 1));
    }
    let inner = text.strip_prefix('%')?;
    let name = name_prefix(inner)?;
    inner.get(name.len()..)?.strip_prefix('%')?;
    Some((name, 1 + name.len() + 1))
}

/// The longest prefix of `text` that is a variable name, if any.
fn name_prefix(text: &str) -> Option<&str> {
    let mut chars = text.char_indices();
    let (_, first) = chars.next()?;
    if !(first.is_ascii_alphabetic() || first == '_') {
        return None;
    }
    let end = chars
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(text.len(), |(i, _)| i);
    text.get(..end)
}

/// The value of `name`; when a name is defined twice the later definition wins, as in
/// GitLab's variables collection.
fn lookup<'v>(variables: &'v [(String, String)], name: &str) -> Option<&'v str> {
    variables
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vec<(String, String)> {
        vec![
            ("FOO".to_owned(), "foo".to_owned()),
            ("BAR_1".to_owned(), "bar".to_owned()),
            ("FOO".to_owned(), "later".to_owned()),
        ]
    }

    #[test]
    fn expand_forms() {
        let cases = [
            ("$BAR_1", "bar"),
            ("${BAR_1}", "bar"),
            ("%BAR_1%", "bar"),
            ("a/$BAR_1/b", "a/bar/b"),
            ("x${BAR_1}y", "xbary"),
            ("$BAR_1$BAR_1", "barbar"),
            ("$FOO", "later"),
            ("$$BAR_1", "$bar"),
            ("%%BAR_1%", "%bar"),
            ("$", "$"),
            ("100%", "100%"),
            ("$1A", "$1A"),
            ("${BAR_1", "${BAR_1"),
            ("%BAR_1", "%BAR_1"),
            ("é$BAR_1é", "ébaré"),
        ];
        for (input, expected) in cases {
            assert_eq!(expand(input, &vars()), expected, "input {input:?}");
        }
    }

    #[test]
    fn expand_unknown_becomes_empty() {
        let cases = [
            ("ci/$MISSING.yml", "ci/.yml"),
            ("ci/${MISSING}.yml", "ci/.yml"),
            ("ci/%MISSING%.yml", "ci/.yml"),
        ];
        for (input, expected) in cases {
            assert_eq!(expand(input, &vars()), expected, "input {input:?}");
        }
    }

    #[test]
    fn expand_existing_keeps_unknown() {
        let cases = [
            ("$MISSING/$BAR_1", "$MISSING/bar"),
            ("${MISSING}", "${MISSING}"),
            ("%MISSING%", "%MISSING%"),
        ];
        for (input, expected) in cases {
            assert_eq!(expand_existing(input, &vars()), expected, "input {input:?}");
        }
    }

    #[test]
    fn expand_single_pass() {
        let variables = vec![
            ("A".to_owned(), "$B".to_owned()),
            ("B".to_owned(), "b".to_owned()),
        ];
        assert_eq!(expand("$A", &variables), "$B");
    }
}
