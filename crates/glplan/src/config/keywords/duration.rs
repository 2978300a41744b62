//! Natural-language durations (`timeout`, `start_in`, `artifacts:expire_in`,
//! `environment:auto_stop_in`, `pages:expire_in`), parsed the way GitLab's copy of the
//! `chronic_duration` gem (0.12, with `raise_exceptions` on) parses them.
//!
//! The algorithm, step by step:
//! 1. lower-case the text and turn number words (`one`, `twenty five`) into digits;
//! 2. rewrite clock notation: `1:20` is 1 minute 20 seconds, `4:01:01` is 4 hours 1 minute
//!    1 second (fields from the right: seconds, minutes, hours, days, months, years);
//! 3. put spaces around every number, so `2h20min` becomes `2 h 20 min`;
//! 4. map unit words to units (`h`, `hr`, `hours` and so on) and drop `and`, `with`, `plus`.
//!    Any other word makes the whole duration invalid, and a leading unit gets an implicit `1`;
//! 5. add up each number times the unit that follows it, seconds when none follows. A number
//!    followed by another number counts as zero, as in the gem.
//!
//! A total of zero is invalid, as GitLab's parser returns nothing for it. Months are 30 days
//! and years 365.25 days.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::shape::{attribute_message, report};
use crate::config::check::Ctx;
use crate::yaml::Node;

/// Seconds in one week, the largest `start_in` GitLab accepts.
pub const START_IN_LIMIT_SECONDS: f64 = 604_800.0;

/// The largest job `timeout`: GitLab's `Project::MAX_BUILD_TIMEOUT` is one ActiveSupport month
/// (2,629,746 seconds), which GitLab prints as `1 mo 10 hrs 29 mins 6 secs` and parses back.
pub const TIMEOUT_LIMIT_SECONDS: f64 = 2_629_746.0;

/// A duration as written, with its length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duration {
    /// The text as written, such as `3h 30m`.
    pub text: String,
    /// The length in whole seconds (fractions are dropped, as GitLab's integer columns do).
    pub seconds: u64,
}

/// `artifacts:expire_in` and `pages:expire_in`: a duration, or `never`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ExpireIn {
    /// `never` in any letter case: the artifacts are kept.
    Never(String),
    /// A duration after which the artifacts expire.
    After(Duration),
}

/// Parses a duration to seconds, or `None` when GitLab would reject it.
pub fn parse_seconds(text: &str) -> Option<f64> {
    let total = match number_and_unit(text) {
        Some(total) => total,
        None => add_up(&cleanup(text)?),
    };
    (total != 0.0).then_some(total)
}

/// Totals the common shapes `30`, `30m` and `1 week`: ASCII digits, then at most one space and
/// a unit word. The full algorithm turns such text into the same two words (`30`, `minutes`),
/// so the total is the same. Any other text returns `None` and takes the full path.
fn number_and_unit(text: &str) -> Option<f64> {
    let digits_end = text
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, rest) = text.split_at_checked(digits_end)?;
    if digits.is_empty() {
        return None;
    }
    let word = rest.strip_prefix(' ').unwrap_or(rest);
    let unit = if word.is_empty() {
        "seconds"
    } else if word.bytes().all(|b| b.is_ascii_alphabetic()) {
        unit_of(&word.to_ascii_lowercase())?
    } else {
        return None;
    };
    let amount: f64 = digits.parse().ok()?;
    Some(amount * unit_seconds(unit))
}

/// Parses `timeout:` (job or `default:`): a duration string of at most one month.
pub(crate) fn parse_timeout(path: &str, node: &Node, cx: &mut Ctx) -> Option<Duration> {
    let message = |text: &str| format!("{path} config {text}");
    parse_limited(node, cx, TIMEOUT_LIMIT_SECONDS, message)
}

/// Parses a job's or a rule's `start_in:`: a duration string from one second to one week. The
/// owner decides whether `start_in` is allowed at all (only with `when: delayed`).
pub(crate) fn parse_start_in(path: &str, node: &Node, cx: &mut Ctx) -> Option<Duration> {
    let message = |text: &str| attribute_message(path, text);
    parse_limited(node, cx, START_IN_LIMIT_SECONDS, message)
}

/// Parses `expire_in:` (artifacts or pages): `never` or a duration string, with no upper
/// limit. The message names the attribute, as in `jobs:build:artifacts expire in should be a
/// duration`.
pub(crate) fn parse_expire_in(path: &str, node: &Node, cx: &mut Ctx) -> Option<ExpireIn> {
    let Some(text) = node.as_str() else {
        invalid_duration(cx, attribute_message(path, "should be a duration"), node);
        return None;
    };
    if text.eq_ignore_ascii_case("never") {
        return Some(ExpireIn::Never(text.to_owned()));
    }
    match parse_seconds(text) {
        Some(seconds) => Some(ExpireIn::After(duration(text, seconds))),
        None => {
            invalid_duration(cx, attribute_message(path, "should be a duration"), node);
            None
        }
    }
}

/// Parses a duration attribute with no limit, such as `environment:auto_stop_in`.
pub(crate) fn parse_attribute(path: &str, node: &Node, cx: &mut Ctx) -> Option<Duration> {
    let message = |text: &str| attribute_message(path, text);
    parse_limited(node, cx, f64::INFINITY, message)
}

fn parse_limited(
    node: &Node,
    cx: &mut Ctx,
    limit: f64,
    message: impl Fn(&str) -> String,
) -> Option<Duration> {
    // GitLab's duration validator accepts strings only, so `timeout: 3600` is invalid.
    let Some(text) = node.as_str() else {
        invalid_duration(cx, message("should be a duration"), node);
        return None;
    };
    let Some(seconds) = parse_seconds(text) else {
        invalid_duration(cx, message("should be a duration"), node);
        return None;
    };
    if seconds > limit {
        report(
            cx,
            "duration-limit",
            message("should not exceed the limit"),
            node.span,
            Some(format!(
                "`{text}` is {} seconds; the limit is {limit} seconds",
                format_seconds(seconds)
            )),
        );
        return None;
    }
    Some(duration(text, seconds))
}

fn duration(text: &str, seconds: f64) -> Duration {
    Duration {
        text: text.to_owned(),
        // `as` saturates for out-of-range floats, which is what a huge duration should do.
        seconds: seconds as u64,
    }
}

fn format_seconds(seconds: f64) -> String {
    if seconds.fract() == 0.0 && seconds < 1e18 {
        format!("{}", seconds as u64)
    } else {
        format!("{seconds}")
    }
}

fn invalid_duration(cx: &mut Ctx, message: String, node: &Node) {
    report(
        cx,
        "invalid-duration",
        message,
        node.span,
        Some("write a duration such as `30 minutes`, `3h 30m` or `1 day`".to_owned()),
    );
}

/// Matches a number the way the gem's `float_matcher` does.
static NUMBER: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"[0-9]*\.?[0-9]+").ok());

/// Matches clock notation somewhere in the text, such as `1:20` or `4:01:01`.
static CLOCK: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"[0-9]*\.?[0-9]+(:[0-9]*\.?[0-9]+)+").ok());

fn is_number(word: &str) -> bool {
    NUMBER.as_ref().is_some_and(|re| re.is_match(word))
}

/// Steps 1 to 4: the words left after clean-up, or `None` for an unknown word.
fn cleanup(text: &str) -> Option<Vec<String>> {
    let lower = text.to_lowercase();
    let numerized = numerize(&lower);
    let clock_expanded = expand_clock(&numerized)?;
    let spaced = match NUMBER.as_ref() {
        Some(re) => re.replace_all(&clock_expanded, " $0 ").into_owned(),
        None => clock_expanded,
    };
    filter_words(&spaced)
}

/// Step 2. The gem removes all spaces first and only understands up to six fields; more
/// fields make it fail, so they are invalid here.
fn expand_clock(text: &str) -> Option<String> {
    const FIELDS: [&str; 6] = ["seconds", "minutes", "hours", "days", "months", "years"];
    let compact: String = text.chars().filter(|c| *c != ' ').collect();
    if !CLOCK.as_ref().is_some_and(|re| re.is_match(&compact)) {
        return Some(text.to_owned());
    }
    // Ruby's `split(':')` drops trailing empty fields.
    let mut fields: Vec<&str> = compact.split(':').collect();
    while fields.last().is_some_and(|f| f.is_empty()) {
        fields.pop();
    }
    if fields.len() > FIELDS.len() {
        return None;
    }
    let parts: Vec<String> = fields
        .iter()
        .rev()
        .zip(FIELDS)
        .map(|(value, unit)| format!("{value} {unit}"))
        .rev()
        .collect();
    Some(parts.join(" "))
}

/// Step 4.
fn filter_words(text: &str) -> Option<Vec<String>> {
    let mut words: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        if is_number(word) {
            words.push(word.to_owned());
            continue;
        }
        let stripped = word.strip_prefix(',').unwrap_or(word);
        let stripped = stripped.strip_suffix(',').unwrap_or(stripped);
        if let Some(unit) = unit_of(stripped) {
            words.push(unit.to_owned());
        } else if !matches!(stripped, "and" | "with" | "plus") {
            return None;
        }
    }
    if words.first().is_some_and(|w| unit_of(w).is_some()) {
        words.insert(0, "1".to_owned());
    }
    Some(words)
}

/// Step 5.
fn add_up(words: &[String]) -> f64 {
    let mut total = 0.0;
    for (index, word) in words.iter().enumerate() {
        if !is_number(word) {
            continue;
        }
        let amount: f64 = word.parse().unwrap_or(0.0);
        let unit = words.get(index + 1).map_or("seconds", String::as_str);
        total += amount * unit_seconds(unit);
    }
    total
}

fn unit_of(word: &str) -> Option<&'static str> {
    Some(match word {
        "seconds" | "second" | "secs" | "sec" | "s" => "seconds",
        "minutes" | "minute" | "mins" | "min" | "m" => "minutes",
        "hours" | "hour" | "hrs" | "hr" | "h" => "hours",
        "days" | "day" | "dy" | "d" => "days",
        "weeks" | "week" | "wks" | "wk" | "w" => "weeks",
        "months" | "mo" | "mos" | "month" => "months",
        "years" | "year" | "yrs" | "yr" | "y" => "years",
        _ => return None,
    })
}

fn unit_seconds(unit: &str) -> f64 {
    match unit {
        "seconds" => 1.0,
        "minutes" => 60.0,
        "hours" => 3_600.0,
        "days" => 86_400.0,
        "weeks" => 604_800.0,
        "months" => 2_592_000.0,
        "years" => 31_557_600.0,
        // A number followed by another number: the gem multiplies by zero.
        _ => 0.0,
    }
}

/// Step 1: number words to digits, for the words the gem's `Numerizer` handles in durations:
/// `one` to `nineteen`, the tens, and tens followed by a unit digit (`twenty five`,
/// `twenty-five`).
// NOTE: Numerizer also understands `hundred`, `thousand`, ordinals and fractions; those stay
// words here and make the duration invalid.
fn numerize(text: &str) -> String {
    const UNITS: [&str; 19] = [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    let unit_value = |w: &str| UNITS.iter().position(|u| *u == w).map(|i| i + 1);
    let tens_value = |w: &str| TENS.iter().position(|t| *t == w).map(|i| (i + 2) * 10);

    // Numerizer first turns a hyphen between two non-digits into a space.
    let dehyphenated: String = {
        let chars: Vec<char> = text.chars().collect();
        chars
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let before = i.checked_sub(1).and_then(|j| chars.get(j));
                let after = chars.get(i + 1);
                let between_non_digits = before.is_some_and(|b| !b.is_ascii_digit())
                    && after.is_some_and(|a| !a.is_ascii_digit());
                if c == '-' && between_non_digits {
                    ' '
                } else {
                    c
                }
            })
            .collect()
    };

    let words: Vec<&str> = dehyphenated.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut index = 0;
    while let Some(word) = words.get(index) {
        if let Some(tens) = tens_value(word) {
            let next_unit = words
                .get(index + 1)
                .and_then(|next| unit_value(next))
                .filter(|u| *u < 10);
            match next_unit {
                Some(unit) => {
                    out.push((tens + unit).to_string());
                    index += 2;
                }
                None => {
                    out.push(tens.to_string());
                    index += 1;
                }
            }
        } else if let Some(unit) = unit_value(word) {
            out.push(unit.to_string());
            index += 1;
        } else {
            out.push((*word).to_owned());
            index += 1;
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    #[test]
    fn seconds_table() {
        let cases: [(&str, f64); 26] = [
            ("3h 30m", 12_600.0),
            ("60 minutes", 3_600.0),
            ("1 day", 86_400.0),
            ("30", 30.0),
            ("1 week", 604_800.0),
            ("1:20", 80.0),
            ("1:20.51", 80.51),
            ("4:01:01", 14_461.0),
            ("3 mins 4 sec", 184.0),
            ("3 Mins 4 Sec", 184.0),
            ("2 hrs 20 min", 8_400.0),
            ("2h20min", 8_400.0),
            ("6 mos 1 day", 15_638_400.0),
            ("2.5 hrs", 9_000.0),
            ("3 weeks and, 2 days", 1_987_200.0),
            ("3 weeks, plus 2 days", 1_987_200.0),
            ("3 weeks with 2 days", 1_987_200.0),
            ("1 month", 2_592_000.0),
            ("18 months", 46_656_000.0),
            ("1 year 6 months", 47_109_600.0),
            ("day", 86_400.0),
            ("minute 30s", 90.0),
            ("one hour", 3_600.0),
            ("twenty-five minutes", 1_500.0),
            ("1 2", 2.0),
            ("1 mo 10 hrs 29 mins 6 secs", 2_629_746.0),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_seconds(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn number_and_unit_agrees_with_full_path() {
        let cases = [
            "30",
            "30m",
            "30 m",
            "30 ",
            "1 week",
            "2 Hours",
            "007s",
            "90MIN",
            "0",
            "0 days",
            "12345678901234567890 yrs",
            "5 mo",
        ];
        for text in cases {
            let full = cleanup(text).map(|words| add_up(&words));
            assert_eq!(number_and_unit(text), full, "{text}");
        }
    }

    #[test]
    fn number_and_unit_leaves_other_shapes() {
        let cases = [
            "",
            "m",
            "30  m",
            "3h 30m",
            "1:20",
            "2.5h",
            "30 gobblygoos",
            "30-m",
            "-5",
        ];
        for text in cases {
            assert_eq!(number_and_unit(text), None, "{text}");
        }
    }

    #[test]
    fn seconds_rejects_invalid() {
        for text in [
            "0",
            "gobblygoo",
            "23 gobblygoos",
            "",
            "-5",
            "1:2:3:4:5:6:7",
            "1e5",
        ] {
            assert_eq!(parse_seconds(text), None, "{text}");
        }
    }

    #[test]
    fn timeout_valid() {
        let timeout = ok(parse_timeout, "jobs:build:timeout", json!("3h 30m"));
        assert_eq!(timeout.seconds, 12_600);
        assert_eq!(timeout.text, "3h 30m");
    }

    #[test]
    fn timeout_integer_is_invalid() {
        assert_eq!(
            messages(parse_timeout, "jobs:build:timeout", json!(3600)),
            ["jobs:build:timeout config should be a duration"]
        );
    }

    #[test]
    fn timeout_limit() {
        assert!(messages(parse_timeout, "t", json!("1 mo 10 hrs 29 mins 6 secs")).is_empty());
        assert_eq!(
            messages(
                parse_timeout,
                "jobs:build:timeout",
                json!("1 mo 10 hrs 29 mins 7 secs")
            ),
            ["jobs:build:timeout config should not exceed the limit"]
        );
    }

    #[test]
    fn start_in_bounds() {
        assert_eq!(
            ok(parse_start_in, "jobs:a:start_in", json!("1 week")).seconds,
            604_800
        );
        assert_eq!(ok(parse_start_in, "jobs:a:start_in", json!("1")).seconds, 1);
        assert_eq!(
            messages(parse_start_in, "jobs:a:start_in", json!("1 week 1 second")),
            ["jobs:a start in should not exceed the limit"]
        );
        assert_eq!(
            messages(parse_start_in, "jobs:a:start_in", json!("0")),
            ["jobs:a start in should be a duration"]
        );
    }

    #[test]
    fn expire_in_never() {
        let value = ok(
            parse_expire_in,
            "jobs:a:artifacts:expire_in",
            json!("Never"),
        );
        assert_eq!(value, ExpireIn::Never("Never".to_owned()));
    }

    #[test]
    fn expire_in_duration() {
        let value = ok(
            parse_expire_in,
            "jobs:a:artifacts:expire_in",
            json!("1 week"),
        );
        assert_eq!(
            value,
            ExpireIn::After(Duration {
                text: "1 week".to_owned(),
                seconds: 604_800
            })
        );
    }

    #[test]
    fn expire_in_invalid() {
        assert_eq!(
            messages(parse_expire_in, "jobs:a:artifacts:expire_in", json!("soon")),
            ["jobs:a:artifacts expire in should be a duration"]
        );
    }

    #[test]
    fn serializes_text_and_seconds() {
        let value = serde_json::to_value(ok(parse_timeout, "t", json!("1h"))).unwrap();
        assert_eq!(value, json!({"text": "1h", "seconds": 3600}));
    }
}
