//! Values of expressions and the Ruby semantics GitLab's evaluator gives them.

use std::borrow::Cow;
use std::cell::RefCell;

use compact_str::CompactString;

use crate::hash::HashMap;
use std::fmt;
use std::sync::OnceLock;

use crate::re2::Regex as Re2Regex;

/// The value of an expression or of one of its parts.
///
/// GitLab evaluates expressions as Ruby objects: variables are strings or `nil`, comparisons
/// return booleans, `&&` and `||` return one of their operands, and a regex literal evaluates to
/// the compiled regex. Numbers and arrays only come from `$[[ inputs.x ]]` values.
#[derive(Debug, Clone)]
pub enum ExprValue {
    /// Ruby `nil`: an undefined variable, `null`, or a missing input.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A string; an empty variable is `""`, not `nil`.
    String(CompactString),
    /// An integer input.
    Integer(i64),
    /// A floating-point input.
    Float(f64),
    /// An array input.
    Array(Vec<ExprValue>),
    /// A compiled `/pattern/flags` literal.
    Regex(ExprRegex),
}

impl ExprValue {
    /// Checks whether the value counts as true for a rule (Ruby's `present?`). `nil`, `false`,
    /// empty and whitespace-only strings and empty arrays are not present. Everything else is,
    /// including `"false"`, `"0"` and every regex.
    pub fn is_present(&self) -> bool {
        match self {
            ExprValue::Null => false,
            ExprValue::Bool(b) => *b,
            ExprValue::String(s) => !s.chars().all(char::is_whitespace),
            ExprValue::Array(items) => !items.is_empty(),
            ExprValue::Integer(_) | ExprValue::Float(_) | ExprValue::Regex(_) => true,
        }
    }

    /// Ruby truthiness, which `&&` and `||` use: only `nil` and `false` are false, so `""` is
    /// true there although it is not present.
    pub(crate) fn is_truthy(&self) -> bool {
        !matches!(self, ExprValue::Null | ExprValue::Bool(false))
    }

    /// Ruby's `==`, as GitLab's `==` operator calls it on the left operand. `None` where Ruby
    /// raises: a regex compared with anything but a regex (`UntrustedRegexp#==` calls `source`
    /// on the other operand), and a number compared with a regex (Ruby then calls `==` on the regex).
    pub(crate) fn ruby_eq(&self, other: &ExprValue) -> Option<bool> {
        use ExprValue::*;
        Some(match (self, other) {
            (Regex(a), Regex(b)) => a.source == b.source,
            (Regex(_), _) | (Integer(_) | Float(_), Regex(_)) => return None,
            (Null, Null) => true,
            (Bool(a), Bool(b)) => a == b,
            (String(a), String(b)) => a == b,
            (Integer(a), Integer(b)) => a == b,
            (Integer(a), Float(b)) | (Float(b), Integer(a)) => (*a as f64) == *b,
            (Float(a), Float(b)) => a == b,
            (Array(a), Array(b)) => {
                if a.len() != b.len() {
                    return Some(false);
                }
                for (x, y) in a.iter().zip(b) {
                    if !x.ruby_eq(y)? {
                        return Some(false);
                    }
                }
                true
            }
            _ => false,
        })
    }

    /// Ruby's `to_s`, which `=~` applies to its left operand. `None` for a regex, whose
    /// `to_s` in GitLab is an object address.
    pub(crate) fn ruby_to_s(&self) -> Option<Cow<'_, str>> {
        match self {
            ExprValue::Null => Some(Cow::Borrowed("")),
            ExprValue::String(s) => Some(Cow::Borrowed(s)),
            ExprValue::Regex(_) => None,
            other => Some(Cow::Owned(other.to_string())),
        }
    }

    /// Describes the value for error messages, such as `` `true` `` or `` a string ``.
    pub(crate) fn describe(&self) -> String {
        match self {
            ExprValue::Null => "`null`".to_owned(),
            ExprValue::Bool(b) => format!("`{b}`"),
            ExprValue::String(_) => "a string".to_owned(),
            ExprValue::Integer(_) | ExprValue::Float(_) => format!("the number `{self}`"),
            ExprValue::Array(_) => "an array".to_owned(),
            ExprValue::Regex(r) => format!("the regular expression `{}`", r.source),
        }
    }
}

/// Ruby's `inspect` for values inside arrays, and `to_s` for the rest.
impl fmt::Display for ExprValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExprValue::Null => f.write_str(""),
            ExprValue::Bool(b) => write!(f, "{b}"),
            ExprValue::String(s) => f.write_str(s),
            ExprValue::Integer(i) => write!(f, "{i}"),
            ExprValue::Float(x) => f.write_str(&ruby_float(*x)),
            ExprValue::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(&ruby_inspect(item))?;
                }
                f.write_str("]")
            }
            ExprValue::Regex(r) => write!(f, "/{}/", r.source),
        }
    }
}

impl PartialEq for ExprValue {
    /// Compares structurally, for tests and callers. Unlike Ruby's `==` (`ExprValue::ruby_eq`),
    /// it has no error case, and it compares regexes by their RE2 source.
    fn eq(&self, other: &Self) -> bool {
        use ExprValue::*;
        match (self, other) {
            (Null, Null) => true,
            (Bool(a), Bool(b)) => a == b,
            (String(a), String(b)) => a == b,
            (Integer(a), Integer(b)) => a == b,
            (Float(a), Float(b)) => a == b,
            (Array(a), Array(b)) => a == b,
            (Regex(a), Regex(b)) => a.source == b.source,
            _ => false,
        }
    }
}

/// Ruby's `Float#to_s`: shortest round-trip digits, always with a fraction, and exponent form
/// below 1e-4 and from 1e15 on (`1.0e+15`, `1.0e-05`).
fn ruby_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let magnitude = x.abs();
    if magnitude == 0.0 || (1e-4..1e15).contains(&magnitude) {
        let text = format!("{x}");
        return if text.contains('.') {
            text
        } else {
            format!("{text}.0")
        };
    }
    let text = format!("{x:e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.to_owned()
    } else {
        format!("{mantissa}.0")
    };
    let (sign, digits) = match exponent.strip_prefix('-') {
        Some(digits) => ('-', digits),
        None => ('+', exponent),
    };
    format!("{mantissa}e{sign}{digits:0>2}")
}

/// Ruby's `inspect` of an array element: strings quoted with `"` and escaped, `nil` for null.
// NOTE: Ruby also escapes `#` before `{`, `$` and `@`, and escapes non-printable characters
// beyond the control characters handled here.
fn ruby_inspect(value: &ExprValue) -> String {
    match value {
        ExprValue::Null => "nil".to_owned(),
        ExprValue::String(s) => {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    '\u{c}' => out.push_str("\\f"),
                    '\u{b}' => out.push_str("\\v"),
                    '\u{7}' => out.push_str("\\a"),
                    '\u{8}' => out.push_str("\\b"),
                    '\u{1b}' => out.push_str("\\e"),
                    c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        other => other.to_string(),
    }
}

/// A regular expression as GitLab's expressions hold it: RE2 source (with the flags as a
/// `(?flags)` prefix) compiled through [`crate::re2`].
#[derive(Debug, Clone)]
pub struct ExprRegex {
    source: String,
    regex: Re2Regex,
    /// Pattern GitLab searches with: when the pattern has no capture groups, GitLab wraps it
    /// in `(...)`. Usually the same matches, but `\Qab` becomes `(\Qab)`, whose `)` is
    /// quoted, so the wrapped pattern does not compile and never matches. `None` then.
    search: Option<Re2Regex>,
}

impl ExprRegex {
    /// Builds a regex from `/pattern/flags` text as GitLab's `Lexeme::Pattern` does: every `\/`
    /// becomes `/`, the text must look like `/pattern/[ismU]*` on some line, and the pattern must
    /// compile with RE2. Returns the reason when the text is not a valid regex.
    ///
    /// Compiled literals are kept in a small per-thread cache, because the same rule is often
    /// repeated in thousands of jobs and is parsed for each of them, by validation and again
    /// when a pattern comes from a variable.
    pub fn from_literal(text: &str) -> Result<Self, String> {
        COMPILED.with(|cache| {
            if let Some(compiled) = cache.borrow().get(text) {
                return compiled.clone();
            }
            let compiled = Self::compile_literal(text);
            cache.borrow_mut().insert(text, compiled.clone());
            compiled
        })
    }

    fn compile_literal(text: &str) -> Result<Self, String> {
        let unescaped = text.replace("\\/", "/");
        let Some((body, flags)) = ruby_syntax(&unescaped) else {
            return Err("not of the form `/pattern/flags`".to_owned());
        };
        let source = if flags.is_empty() {
            body.to_owned()
        } else {
            format!("(?{flags}){body}")
        };
        let regex = Re2Regex::new(&source).map_err(|e| e.to_string())?;
        let search = if regex.captures_len() == 1 {
            Re2Regex::new(&format!("({source})")).ok()
        } else {
            Some(regex.clone())
        };
        Ok(ExprRegex {
            source,
            regex,
            search,
        })
    }

    /// Returns the RE2 source GitLab compiles, with the flags as a `(?flags)` prefix.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Returns the compiled pattern.
    pub fn regex(&self) -> &Re2Regex {
        &self.regex
    }

    /// Checks whether GitLab's `scan` finds at least one match in `text`. The search is
    /// unanchored and counts empty matches, so `/^$/` matches `""`.
    pub fn is_match(&self, text: &str) -> bool {
        self.search.as_ref().is_some_and(|r| r.is_match(text))
    }
}

thread_local! {
    static COMPILED: RefCell<LiteralCache> = RefCell::new(LiteralCache::default());
}

/// Most literals [`LiteralCache`] keeps.
///
/// NOTE: the memory a compiled literal takes is bounded only by the regex size limit (see
/// [`crate::re2`]), so in the worst case the cache keeps this many near-limit programs alive
/// between calls.
const CACHED_LITERALS: usize = 64;

/// Most bytes of literal text [`LiteralCache`] keeps as keys.
const CACHED_LITERAL_BYTES: usize = 1 << 20;

/// Compiled regex literals by their text, or the reason a literal does not compile. When a new
/// literal would exceed either bound, the cache is emptied first.
#[derive(Debug, Default)]
struct LiteralCache {
    compiled: HashMap<String, Result<ExprRegex, String>>,
    bytes: usize,
}

impl LiteralCache {
    fn get(&self, text: &str) -> Option<&Result<ExprRegex, String>> {
        self.compiled.get(text)
    }

    fn insert(&mut self, text: &str, compiled: Result<ExprRegex, String>) {
        if text.len() > CACHED_LITERAL_BYTES {
            return;
        }
        if self.compiled.len() >= CACHED_LITERALS || self.bytes + text.len() > CACHED_LITERAL_BYTES
        {
            self.compiled.clear();
            self.bytes = 0;
        }
        self.bytes += text.len();
        self.compiled.insert(text.to_owned(), compiled);
    }
}

/// Splits text the way GitLab's `UntrustedRegexp::RubySyntax` does, with the Ruby regex
/// `^/(?<regexp>.*)/(?<flags>[ismU]*)$`. In Ruby `^` and `$` match at every line, so the first
/// line that looks like a regex literal is taken, and `.` stops at line feeds.
fn ruby_syntax(text: &str) -> Option<(&str, &str)> {
    static SYNTAX: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let syntax = SYNTAX
        .get_or_init(|| regex::Regex::new(r"(?m)^/(.*)/([ismU]*)$").ok())
        .as_ref()?;
    let captures = syntax.captures(text)?;
    Some((captures.get(1)?.as_str(), captures.get(2)?.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_cache_keeps_results() {
        let mut cache = LiteralCache::default();
        cache.insert("/a/", ExprRegex::compile_literal("/a/"));
        cache.insert("/(/", ExprRegex::compile_literal("/(/"));
        assert!(cache.get("/a/").is_some_and(Result::is_ok));
        assert!(cache.get("/(/").is_some_and(Result::is_err));
        assert!(cache.get("/b/").is_none());
    }

    #[test]
    fn literal_cache_empties_when_full() {
        let mut cache = LiteralCache::default();
        for i in 0..CACHED_LITERALS {
            cache.insert(&format!("/{i}/"), Err(String::new()));
        }
        assert_eq!(cache.compiled.len(), CACHED_LITERALS);
        cache.insert("/new/", Err(String::new()));
        assert_eq!(cache.compiled.len(), 1);
        assert!(cache.get("/new/").is_some());
        assert!(cache.get("/0/").is_none());
    }

    #[test]
    fn literal_cache_bounds_text() {
        let mut cache = LiteralCache::default();
        let long = format!("/{}/", "a".repeat(CACHED_LITERAL_BYTES));
        cache.insert(&long, Err(String::new()));
        assert!(cache.get(&long).is_none());
        let half = format!("/{}/", "a".repeat(CACHED_LITERAL_BYTES / 2));
        cache.insert(&half, Err(String::new()));
        cache.insert(&half.replace('a', "b"), Err(String::new()));
        assert!(cache.get(&half).is_none());
        assert_eq!(cache.bytes, half.len());
    }

    #[test]
    fn from_literal_uses_the_cache() {
        let text = "/cached-literal/";
        let first = ExprRegex::from_literal(text);
        assert!(first.is_ok());
        let cached = COMPILED.with(|cache| cache.borrow().get(text).cloned());
        assert!(cached.is_some_and(|r| r.is_ok_and(|r| r.source() == "cached-literal")));
    }

    fn regex(text: &str) -> ExprRegex {
        ExprRegex::from_literal(text).unwrap()
    }

    #[test]
    fn present_table() {
        let cases = [
            (ExprValue::Null, false),
            (ExprValue::Bool(false), false),
            (ExprValue::Bool(true), true),
            (ExprValue::String(CompactString::default()), false),
            (ExprValue::String(" \t\n".into()), false),
            (ExprValue::String("\u{a0}\u{3000}".into()), false),
            (ExprValue::String("false".into()), true),
            (ExprValue::String("0".into()), true),
            (ExprValue::Integer(0), true),
            (ExprValue::Array(Vec::new()), false),
            (ExprValue::Array(vec![ExprValue::Null]), true),
            (ExprValue::Regex(regex("/ab/")), true),
        ];
        for (value, present) in cases {
            assert_eq!(value.is_present(), present, "{value:?}");
        }
    }

    #[test]
    fn truthy_only_nil_and_false_are_false() {
        assert!(ExprValue::String(CompactString::default()).is_truthy());
        assert!(!ExprValue::Null.is_truthy());
        assert!(!ExprValue::Bool(false).is_truthy());
    }

    #[test]
    fn ruby_eq_table() {
        use ExprValue::*;
        let s = |t: &str| String(t.into());
        let cases = [
            (s("a"), s("a"), Some(true)),
            (s("a"), s("b"), Some(false)),
            (s(""), Null, Some(false)),
            (Null, Null, Some(true)),
            (s("true"), Bool(true), Some(false)),
            (Bool(true), Bool(true), Some(true)),
            (Integer(1), Float(1.0), Some(true)),
            (s("1"), Integer(1), Some(false)),
            (s("ab"), Regex(regex("/ab/")), Some(false)),
            (Regex(regex("/ab/")), Regex(regex("/ab/")), Some(true)),
            (Regex(regex("/a/i")), Regex(regex("/(?i)a/")), Some(true)),
            (Regex(regex("/ab/")), s("ab"), None),
            (Regex(regex("/ab/")), Null, None),
            (Integer(1), Regex(regex("/ab/")), None),
            (Array(vec![s("a")]), Array(vec![s("a")]), Some(true)),
            (Array(vec![s("a")]), Array(vec![s("b")]), Some(false)),
        ];
        for (left, right, expected) in cases {
            assert_eq!(left.ruby_eq(&right), expected, "{left:?} == {right:?}");
        }
    }

    #[test]
    fn ruby_to_s_table() {
        use ExprValue::*;
        let cases = [
            (Null, ""),
            (Bool(false), "false"),
            (Integer(-3), "-3"),
            (Float(1.0), "1.0"),
            (Float(1.5), "1.5"),
            (Float(1e15), "1.0e+15"),
            (Float(123_456_789_012_345.0), "123456789012345.0"),
            (Float(1.5e-5), "1.5e-05"),
            (Float(0.0001), "0.0001"),
            (
                Array(vec![String("a\"b".into()), Integer(1), Null, Bool(true)]),
                "[\"a\\\"b\", 1, nil, true]",
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(value.ruby_to_s().unwrap(), expected, "{value:?}");
        }
    }

    #[test]
    fn regex_to_s_is_unsupported() {
        assert_eq!(ExprValue::Regex(regex("/ab/")).ruby_to_s(), None);
    }

    #[test]
    fn from_literal_sources() {
        let cases = [
            ("/ab/", "ab"),
            ("/ab/i", "(?i)ab"),
            ("/a\\/b/", "a/b"),
            ("/ab//", "ab/"),
            ("/a/", "a"),
            ("/ab/imsU", "(?imsU)ab"),
            ("/ab/ii", "(?ii)ab"),
            ("x\n/ab/\ny", "ab"),
        ];
        for (text, source) in cases {
            assert_eq!(regex(text).source(), source, "{text:?}");
        }
    }

    #[test]
    fn from_literal_rejects() {
        let cases = ["ab", "/ab/x", "/a\nb/", "/(/", "/a{1001}/", "//x"];
        for text in cases {
            assert!(ExprRegex::from_literal(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn is_match_counts_empty_matches() {
        assert!(regex("/^$/").is_match(""));
        assert!(regex("/.*/").is_match(""));
        assert!(!regex("/var.*/").is_match(""));
    }

    #[test]
    fn is_match_is_unanchored() {
        assert!(regex("/var.*e$/").is_match("my variable"));
        assert!(!regex("/^var.*/").is_match("my variable"));
    }

    #[test]
    fn is_match_with_groups() {
        assert!(regex("/(a)(b)/").is_match("xab"));
    }

    #[test]
    fn unterminated_quote_never_matches() {
        // GitLab wraps the pattern as `(\Qab)`, which RE2 rejects, and searches with that.
        let pattern = regex("/\\Qab/");
        assert!(!pattern.is_match("ab"));
    }
}
