//! GitLab's rules for the value of a masked CI/CD variable.
//!
//! GitLab rejects a masked instance, group or project variable whose value it could not find
//! again in a job log (the `Ci::Maskable` validations in GitLab's source). An
//! expanded variable's value must match `\A[a-zA-Z0-9_+=/@:.~-]{8,}\z`: at least 8 characters
//! from the Base64 alphabet plus `@ : . ~ - _`. A raw variable's value must match `\A\S{8,}\z`:
//! at least 8 characters and no whitespace, where Ruby's `\s` is the ASCII whitespace space,
//! tab, line feed, vertical tab, form feed and carriage return. Ruby counts the length in
//! characters, not bytes.

use std::fmt;

/// Minimum number of characters in the value of a masked variable.
pub const MASKED_VALUE_MIN_LENGTH: usize = 8;

/// The characters besides ASCII letters and digits that the value of an expanded masked
/// variable may contain.
const EXPANDED_EXTRA_CHARACTERS: &str = "_+=/@:.~-";

/// The rules of GitLab's masked variables that a value breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmaskableValue {
    /// Whether the variable is raw, which selects the looser of GitLab's two rules.
    pub raw: bool,
    /// The value's length in characters, when it is below [`MASKED_VALUE_MIN_LENGTH`].
    pub too_short: Option<usize>,
    /// The first character of the value that the rule does not allow.
    pub invalid_character: Option<char>,
    /// Whether the rule for raw variables accepts the value of this expanded variable, so
    /// that making the variable raw is a fix. Always `false` for a raw variable.
    pub raw_accepts: bool,
}

/// Checks `value` against GitLab's rule for a masked variable that is `raw` or expanded.
pub fn check_maskable(value: &str, raw: bool) -> Result<(), UnmaskableValue> {
    let length = value.chars().count();
    let too_short = (length < MASKED_VALUE_MIN_LENGTH).then_some(length);
    let invalid_character = if raw {
        value.chars().find(|&c| is_ruby_whitespace(c))
    } else {
        value
            .chars()
            .find(|&c| !c.is_ascii_alphanumeric() && !EXPANDED_EXTRA_CHARACTERS.contains(c))
    };
    if too_short.is_none() && invalid_character.is_none() {
        Ok(())
    } else {
        Err(UnmaskableValue {
            raw,
            too_short,
            invalid_character,
            raw_accepts: !raw && check_maskable(value, true).is_ok(),
        })
    }
}

/// Returns whether Ruby's `\s` matches `c`.
fn is_ruby_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r')
}

impl fmt::Display for UnmaskableValue {
    /// Writes the rule and how the value breaks it, such as "a masked variable that is
    /// expanded needs a value of at least 8 characters from `a-z A-Z 0-9 _ + = / @ : . ~ -`,
    /// but the value has 4 characters and contains `!`". The value itself is never written.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.raw {
            write!(
                formatter,
                "a masked raw variable needs a value of at least {MASKED_VALUE_MIN_LENGTH} \
                 characters without whitespace"
            )?;
        } else {
            write!(
                formatter,
                "a masked variable that is expanded needs a value of at least \
                 {MASKED_VALUE_MIN_LENGTH} characters from `a-z A-Z 0-9 _ + = / @ : . ~ -`"
            )?;
        }
        formatter.write_str(", but the value")?;
        if let Some(length) = self.too_short {
            let unit = if length == 1 {
                "character"
            } else {
                "characters"
            };
            write!(formatter, " has {length} {unit}")?;
            if self.invalid_character.is_some() {
                formatter.write_str(" and")?;
            }
        }
        if let Some(character) = self.invalid_character {
            write!(formatter, " contains {}", describe_character(character))?;
        }
        Ok(())
    }
}

/// Names a character for a message: whitespace and control characters by name or code point,
/// which would be invisible between backticks, and others between backticks.
fn describe_character(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        '\t' => "a tab".to_owned(),
        '\n' => "a line feed".to_owned(),
        '\r' => "a carriage return".to_owned(),
        '\u{0B}' => "a vertical tab".to_owned(),
        '\u{0C}' => "a form feed".to_owned(),
        c if c.is_control() || c.is_whitespace() => format!("the character U+{:04X}", u32::from(c)),
        '`' => "a backtick".to_owned(),
        c => format!("`{c}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expanded_accepts_allowed_characters() {
        for value in [
            "abcdefgh",
            "ABCDEFGH",
            "01234567",
            "a_+=/@:.~-z",
            "dGVzdC12YWx1ZQ==",
            "user@example.com",
        ] {
            assert_eq!(check_maskable(value, false), Ok(()), "{value}");
        }
    }

    #[test]
    fn expanded_rejects_other_characters() {
        let cases = [
            ("abcd efgh", ' '),
            ("abcd!efgh", '!'),
            ("abcd$efgh", '$'),
            ("abcd\nefgh", '\n'),
            ("abcd%efgh", '%'),
            ("pässwörter", 'ä'),
            ("abcd#efgh", '#'),
        ];
        for (value, character) in cases {
            let error = check_maskable(value, false).unwrap_err();
            assert_eq!(error.invalid_character, Some(character), "{value:?}");
            assert_eq!(error.too_short, None, "{value:?}");
        }
    }

    #[test]
    fn raw_accepts_only_without_whitespace() {
        let cases = [
            ("abcd!efgh", true),
            ("pässwörter", true),
            ("abcd efgh", false),
            ("abc!def ghi", false),
            ("abc!", false),
        ];
        for (value, raw_accepts) in cases {
            let error = check_maskable(value, false).unwrap_err();
            assert_eq!(error.raw_accepts, raw_accepts, "{value:?}");
        }
        assert!(!check_maskable("a b", true).unwrap_err().raw_accepts);
    }

    #[test]
    fn expanded_length_boundary() {
        let error = check_maskable("abcdefg", false).unwrap_err();
        assert_eq!(error.too_short, Some(7));
        assert_eq!(error.invalid_character, None);
        assert_eq!(check_maskable("abcdefgh", false), Ok(()));
        assert_eq!(check_maskable("", false).unwrap_err().too_short, Some(0));
    }

    #[test]
    fn raw_accepts_any_non_whitespace() {
        for value in [
            "abcd!efgh",
            "HelloWorld%#^",
            "$OTHER_VARIABLE",
            "pässwörd",
            "密码密码密码密码",
            "no\u{A0}break",
            "emoji🔑🔑🔑🔑🔑",
        ] {
            assert_eq!(check_maskable(value, true), Ok(()), "{value:?}");
        }
    }

    #[test]
    fn raw_rejects_ascii_whitespace() {
        for character in [' ', '\t', '\n', '\u{0B}', '\u{0C}', '\r'] {
            let value = format!("abcd{character}efgh");
            let error = check_maskable(&value, true).unwrap_err();
            assert_eq!(error.invalid_character, Some(character), "{value:?}");
            assert_eq!(error.too_short, None, "{value:?}");
        }
    }

    #[test]
    fn raw_length_counts_characters() {
        // Ruby counts characters: seven in 14 bytes are too few, eight in 16 bytes enough.
        let error = check_maskable("äöüäöüä", true).unwrap_err();
        assert_eq!(error.too_short, Some(7));
        assert_eq!(error.invalid_character, None);
        assert_eq!(check_maskable("äöüäöüäö", true), Ok(()));
        assert_eq!(check_maskable("abcdefgh", true), Ok(()));
        assert_eq!(
            check_maskable("abcdefg", true).unwrap_err().too_short,
            Some(7)
        );
    }

    #[test]
    fn both_rules_reported() {
        let error = check_maskable("a b", false).unwrap_err();
        assert_eq!(error.too_short, Some(3));
        assert_eq!(error.invalid_character, Some(' '));
    }

    #[test]
    fn messages() {
        let cases = [
            (
                "main",
                false,
                "a masked variable that is expanded needs a value of at least 8 characters from \
                 `a-z A-Z 0-9 _ + = / @ : . ~ -`, but the value has 4 characters",
            ),
            (
                "abcd!efgh",
                false,
                "a masked variable that is expanded needs a value of at least 8 characters from \
                 `a-z A-Z 0-9 _ + = / @ : . ~ -`, but the value contains `!`",
            ),
            (
                "x y",
                true,
                "a masked raw variable needs a value of at least 8 characters without \
                 whitespace, but the value has 3 characters and contains a space",
            ),
            (
                "a",
                true,
                "a masked raw variable needs a value of at least 8 characters without \
                 whitespace, but the value has 1 character",
            ),
            (
                "abcd\u{7}efgh",
                false,
                "a masked variable that is expanded needs a value of at least 8 characters from \
                 `a-z A-Z 0-9 _ + = / @ : . ~ -`, but the value contains the character U+0007",
            ),
        ];
        for (value, raw, expected) in cases {
            let error = check_maskable(value, raw).unwrap_err();
            assert_eq!(error.to_string(), expected, "{value:?}");
        }
    }
}
