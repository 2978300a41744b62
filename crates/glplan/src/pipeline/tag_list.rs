//! A job's runner tags as GitLab saves them, after their variables are expanded.
//!
//! GitLab assigns the expanded tags to the build's `tag_list`, whose setter parses them with
//! `Gitlab::Ci::Tags::Parser` and cleans the list with `Gitlab::Ci::Tags::TagList#clean!`
//! (`lib/gitlab/ci/tags/` in GitLab's source). Configuration validation accepts any string
//! as a tag, so none of this is an error.
//!
//! - The parser joins the tags with `", "` and splits the text again at every comma, so the
//!   tag `"linux,arm64"` is two tags. Before splitting, it takes out each part that is
//!   quoted whole, first with `"`, then with `'`. A part runs from a comma or the start of
//!   the text to the next comma or the end. Each such part becomes one tag without its
//!   quotes, ahead of the split tags, so the tag `'"a,b"'` is the one tag `a,b`.
//! - Cleaning strips each tag, drops blank tags and keeps the first of repeated ones. So
//!   `tags: [""]` or `tags: ["  "]` leaves a job without tags, which only runners that run
//!   untagged jobs take, and `" docker "` is the tag `docker`.

use std::sync::LazyLock;

use compact_str::CompactString;
use regex::Regex;

/// A tag quoted with `"`, after the start of the text or a comma, and before a comma or the
/// end: `Gitlab::Ci::Tags::Parser`'s pattern, where `\s` is Ruby's ASCII white space. The
/// last group replaces Ruby's look-ahead, which the `regex` crate lacks, so it is not
/// removed with the tag.
static DOUBLE_QUOTED: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"(\A|,)[\t\n\x0B\x0C\r ]*"(.*?)"[\t\n\x0B\x0C\r ]*(,|\z)"#).ok());

/// A tag quoted with `'`, as [`DOUBLE_QUOTED`].
static SINGLE_QUOTED: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(\A|,)[\t\n\x0B\x0C\r ]*'(.*?)'[\t\n\x0B\x0C\r ]*(,|\z)").ok());

/// Returns the tags GitLab saves for the expanded tags `expanded`: split at commas as the
/// module documentation describes, each tag stripped of leading and trailing ASCII white
/// space and NUL (Ruby's `String#strip`), without blank tags and without repeats.
pub(super) fn saved_tags(expanded: Vec<CompactString>) -> Vec<CompactString> {
    let needs_parsing = expanded.iter().any(|tag| tag.contains([',', '"', '\'']));
    if !needs_parsing {
        if expanded.iter().all(|tag| is_clean(tag)) && !has_repeats(&expanded) {
            return expanded;
        }
        return clean(expanded.iter().map(CompactString::as_str));
    }
    let mut parsed: Vec<String> = Vec::new();
    let joined = expanded.join(", ");
    let rest = take_quoted(&joined, &DOUBLE_QUOTED, &mut parsed);
    let rest = take_quoted(&rest, &SINGLE_QUOTED, &mut parsed);
    parsed.extend(rest.split(',').map(str::to_owned));
    clean(parsed.iter().map(String::as_str))
}

/// Removes from `text` each tag `pattern` matches, with the comma before it, and appends the
/// tag without its quotes to `tags`. Returns the rest of the text.
fn take_quoted(text: &str, pattern: &LazyLock<Option<Regex>>, tags: &mut Vec<String>) -> String {
    let Some(pattern) = pattern.as_ref() else {
        return text.to_owned();
    };
    let mut rest = String::with_capacity(text.len());
    let mut kept_from = 0;
    let mut search_from = 0;
    while let Some(found) = pattern.captures_at(text, search_from) {
        let (Some(whole), Some(tag), Some(end)) = (found.get(0), found.get(2), found.get(3)) else {
            break;
        };
        rest.push_str(&text[kept_from..whole.start()]);
        tags.push(tag.as_str().to_owned());
        // The comma after the tag stays, and the next tag may start at it.
        kept_from = end.start();
        search_from = end.start();
        if end.is_empty() {
            break;
        }
    }
    rest.push_str(&text[kept_from..]);
    rest
}

/// Returns the tags stripped, without blank tags and repeats, in their order.
fn clean<'a>(tags: impl Iterator<Item = &'a str>) -> Vec<CompactString> {
    let mut saved: Vec<CompactString> = Vec::new();
    for tag in tags {
        let stripped = ruby_strip(tag);
        if is_blank(stripped) || saved.iter().any(|kept| kept == stripped) {
            continue;
        }
        saved.push(CompactString::from(stripped));
    }
    saved
}

/// Returns whether cleaning keeps `tag` as it is.
fn is_clean(tag: &str) -> bool {
    ruby_strip(tag).len() == tag.len() && !is_blank(tag)
}

fn has_repeats(tags: &[CompactString]) -> bool {
    tags.iter().enumerate().any(|(index, tag)| {
        tags.get(..index)
            .is_some_and(|earlier| earlier.contains(tag))
    })
}

/// Returns `text` without leading and trailing NUL, space, `\t`, `\n`, `\v`, `\f` and `\r`,
/// the characters Ruby's `String#strip` removes.
fn ruby_strip(text: &str) -> &str {
    text.trim_matches(|c: char| matches!(c, '\0' | ' ' | '\t'..='\r'))
}

/// Returns whether `text` is blank in ActiveSupport's sense (`String#blank?`): empty, or
/// only Unicode white space, such as a no-break space.
fn is_blank(text: &str) -> bool {
    text.chars().all(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(tags: &[&str]) -> Vec<CompactString> {
        saved_tags(tags.iter().copied().map(CompactString::from).collect())
    }

    #[test]
    fn blank_tags_dropped() {
        assert!(saved(&[""]).is_empty());
        assert!(saved(&["  ", "\t"]).is_empty());
        // U+00A0 and U+3000 are Unicode white space, so the tag is blank.
        assert!(saved(&["\u{a0}\u{3000}"]).is_empty());
        assert_eq!(saved(&["", "docker", " "]), ["docker"]);
    }

    #[test]
    fn tags_stripped_like_ruby() {
        assert_eq!(saved(&[" docker\n"]), ["docker"]);
        assert_eq!(saved(&["\0linux\0"]), ["linux"]);
        // `String#strip` removes ASCII white space only, so a no-break space stays.
        assert_eq!(saved(&["arm\u{a0}"]), ["arm\u{a0}"]);
        // A NUL is not white space, but stripping removes it, which leaves a blank tag.
        assert!(saved(&["\0"]).is_empty());
    }

    #[test]
    fn repeated_tags_keep_first() {
        assert_eq!(saved(&["b", "a", " b", "a"]), ["b", "a"]);
    }

    #[test]
    fn comma_splits_tag() {
        assert_eq!(
            saved(&["linux,arm64", "docker"]),
            ["linux", "arm64", "docker"]
        );
        assert_eq!(saved(&["a,,b,", ","]), ["a", "b"]);
        assert_eq!(saved(&["a, b", "b"]), ["a", "b"]);
    }

    #[test]
    fn quoted_tags_kept_whole_first() {
        assert_eq!(saved(&["x", "\"a,b\""]), ["a,b", "x"]);
        assert_eq!(saved(&["'c'", "\"d\"", "e"]), ["d", "c", "e"]);
        // The quotes must enclose the whole part between two commas.
        assert_eq!(saved(&["say \"hi\""]), ["say \"hi\""]);
        assert_eq!(saved(&["it's"]), ["it's"]);
        // Two tags whose quotes pair up across the joining comma become one tag.
        assert_eq!(saved(&["'a", "b'"]), ["a, b"]);
        // A quoted empty tag is blank.
        assert!(saved(&["\"\""]).is_empty());
    }

    #[test]
    fn clean_tags_unchanged() {
        assert_eq!(
            saved(&["docker", "$NOPE", "a b"]),
            ["docker", "$NOPE", "a b"]
        );
        assert!(saved(&[]).is_empty());
    }
}
