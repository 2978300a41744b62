//! Git's rules for branch and tag names, which every ref of a GitLab pipeline follows.
//!
//! [`check_ref_name`] accepts the names that `git check-ref-format --branch` accepts (checked
//! with Git 2.47), except `@`. Git itself takes `@` as a name for `HEAD`, and
//! `git check-ref-format --allow-onelevel @` rejects it. GitLab's `Gitlab::GitRefValidator`,
//! which checks the branches and tags created through the UI and the API, also rejects a
//! leading `-` and the name `HEAD`.

use std::fmt;

/// The rule of Git's ref names that a branch or tag name breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidRefName {
    /// The name contains `..`.
    DoubleDot,
    /// The name contains an ASCII control character, a space, or one of `~ ^ : ? * [ \`.
    ForbiddenCharacter(char),
    /// The name starts or ends with `/`, or contains `//`.
    EmptyComponent,
    /// A `/`-separated component starts with `.`.
    ComponentStartsWithDot,
    /// A `/`-separated component ends with `.lock`.
    ComponentEndsWithLock,
    /// The name ends with `.`.
    EndsWithDot,
    /// The name contains `@{`, which Git reads as a reflog or upstream suffix.
    AtBrace,
    /// The name is `@`, which Git reads as `HEAD`.
    At,
    /// The name starts with `-`, which Git would read as an option.
    LeadingDash,
    /// The name is `HEAD`.
    Head,
}

impl fmt::Display for InvalidRefName {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidRefName::DoubleDot => formatter.write_str("it contains `..`"),
            InvalidRefName::ForbiddenCharacter(' ') => formatter.write_str("it contains a space"),
            InvalidRefName::ForbiddenCharacter(character) if character.is_ascii_control() => {
                write!(
                    formatter,
                    "it contains the control character U+{:04X}",
                    u32::from(*character)
                )
            }
            InvalidRefName::ForbiddenCharacter(character) => {
                write!(formatter, "it contains `{character}`")
            }
            InvalidRefName::EmptyComponent => {
                formatter.write_str("it starts or ends with `/`, or contains `//`")
            }
            InvalidRefName::ComponentStartsWithDot => {
                formatter.write_str("it or one of its `/`-separated parts starts with `.`")
            }
            InvalidRefName::ComponentEndsWithLock => {
                formatter.write_str("it or one of its `/`-separated parts ends with `.lock`")
            }
            InvalidRefName::EndsWithDot => formatter.write_str("it ends with `.`"),
            InvalidRefName::AtBrace => formatter.write_str("it contains `@{`"),
            InvalidRefName::At => formatter.write_str("Git reads `@` as `HEAD`"),
            InvalidRefName::LeadingDash => formatter.write_str("it starts with `-`"),
            InvalidRefName::Head => formatter.write_str("Git reserves `HEAD`"),
        }
    }
}

/// Checks `name` against Git's rules for a branch or tag name. The empty name is left to the
/// caller, which reports it in its own words.
pub fn check_ref_name(name: &str) -> Result<(), InvalidRefName> {
    if let Some(character) = name.chars().find(|&c| is_forbidden_character(c)) {
        return Err(InvalidRefName::ForbiddenCharacter(character));
    }
    if name.contains("..") {
        return Err(InvalidRefName::DoubleDot);
    }
    if name.contains("@{") {
        return Err(InvalidRefName::AtBrace);
    }
    if name == "@" {
        return Err(InvalidRefName::At);
    }
    if name == "HEAD" {
        return Err(InvalidRefName::Head);
    }
    if name.starts_with('-') {
        return Err(InvalidRefName::LeadingDash);
    }
    if name.ends_with('.') {
        return Err(InvalidRefName::EndsWithDot);
    }
    for component in name.split('/') {
        if component.is_empty() {
            return Err(InvalidRefName::EmptyComponent);
        }
        if component.starts_with('.') {
            return Err(InvalidRefName::ComponentStartsWithDot);
        }
        if component.ends_with(".lock") {
            return Err(InvalidRefName::ComponentEndsWithLock);
        }
    }
    Ok(())
}

fn is_forbidden_character(character: char) -> bool {
    character.is_ascii_control()
        || matches!(character, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\')
}

/// Returns the prefix of a full Git ref name that `name` starts with: `refs/heads/`,
/// `refs/tags/` or, for any other ref, `refs/`. GitLab names branches and tags without it, so
/// such a name is most likely a mistake for the short name after the prefix.
pub fn full_ref_prefix(name: &str) -> Option<&'static str> {
    ["refs/heads/", "refs/tags/", "refs/"]
        .into_iter()
        .find(|prefix| name.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names_accepted() {
        for name in [
            "main",
            "feature/login",
            "v1.2.0",
            "a/-b",
            "release-1.x",
            "a.lock.b",
            "ünïcode",
            "refs/heads/main",
            "a@b",
            "@a",
            "x_y+z=1,2",
        ] {
            assert_eq!(check_ref_name(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn invalid_names_rejected() {
        let cases = [
            ("a..b", InvalidRefName::DoubleDot),
            ("..", InvalidRefName::DoubleDot),
            ("a b", InvalidRefName::ForbiddenCharacter(' ')),
            ("a\tb", InvalidRefName::ForbiddenCharacter('\t')),
            ("a\u{7f}", InvalidRefName::ForbiddenCharacter('\u{7f}')),
            ("a~1", InvalidRefName::ForbiddenCharacter('~')),
            ("a^", InvalidRefName::ForbiddenCharacter('^')),
            ("a:b", InvalidRefName::ForbiddenCharacter(':')),
            ("a?", InvalidRefName::ForbiddenCharacter('?')),
            ("a*", InvalidRefName::ForbiddenCharacter('*')),
            ("a[1]", InvalidRefName::ForbiddenCharacter('[')),
            ("a\\b", InvalidRefName::ForbiddenCharacter('\\')),
            ("/a", InvalidRefName::EmptyComponent),
            ("a/", InvalidRefName::EmptyComponent),
            ("a//b", InvalidRefName::EmptyComponent),
            (".a", InvalidRefName::ComponentStartsWithDot),
            ("a/.b", InvalidRefName::ComponentStartsWithDot),
            ("a.lock", InvalidRefName::ComponentEndsWithLock),
            ("a/b.lock/c", InvalidRefName::ComponentEndsWithLock),
            ("a.", InvalidRefName::EndsWithDot),
            ("a/.", InvalidRefName::EndsWithDot),
            ("a@{1}", InvalidRefName::AtBrace),
            ("@", InvalidRefName::At),
            ("HEAD", InvalidRefName::Head),
            ("-a", InvalidRefName::LeadingDash),
        ];
        for (name, reason) in cases {
            assert_eq!(check_ref_name(name), Err(reason), "{name:?}");
        }
    }

    #[test]
    fn reasons_name_the_rule() {
        let cases = [
            (InvalidRefName::DoubleDot, "it contains `..`"),
            (
                InvalidRefName::ForbiddenCharacter(' '),
                "it contains a space",
            ),
            (
                InvalidRefName::ForbiddenCharacter('\u{1b}'),
                "it contains the control character U+001B",
            ),
            (InvalidRefName::ForbiddenCharacter('~'), "it contains `~`"),
            (InvalidRefName::At, "Git reads `@` as `HEAD`"),
        ];
        for (reason, text) in cases {
            assert_eq!(reason.to_string(), text);
        }
    }

    #[test]
    fn full_ref_prefix_cases() {
        assert_eq!(full_ref_prefix("refs/heads/main"), Some("refs/heads/"));
        assert_eq!(full_ref_prefix("refs/tags/v1"), Some("refs/tags/"));
        assert_eq!(full_ref_prefix("refs/merge-requests/1/head"), Some("refs/"));
        assert_eq!(full_ref_prefix("main"), None);
        assert_eq!(full_ref_prefix("refsx/heads/main"), None);
    }
}
