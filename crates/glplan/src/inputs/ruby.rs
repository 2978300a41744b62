//! Ruby behaviour that GitLab's messages and interpolation results depend on: `to_s` and
//! `inspect` of values, strings, symbols and floats, `strip`, `gsub` with a string pattern, and
//! `Shellwords.shellescape`. glplan reproduces them to produce the same strings.

use crate::yaml::{Key, Node, Value};

/// The characters Ruby's `String#strip` removes (whitespace and NUL).
const STRIP_CHARS: [char; 7] = ['\0', '\t', '\n', '\u{0B}', '\u{0C}', '\r', ' '];

/// Removes leading and trailing whitespace and NUL characters, as Ruby's `String#strip` does.
pub(crate) fn strip(text: &str) -> &str {
    text.trim_matches(&STRIP_CHARS[..])
}

/// Lower-cases `text` as Ruby's `String#downcase` does: the full Unicode mapping of each
/// character on its own, so `İ` becomes `i̇` and a final `Σ` becomes `σ`, not `ς`.
pub(crate) fn downcase(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

/// Whether Ruby would call the string blank (`String#blank?`): empty or whitespace only.
pub(crate) fn is_blank(text: &str) -> bool {
    text.chars().all(char::is_whitespace)
}

/// Style of hash keys in [`inspect_with`]. GitLab symbolizes the keys of the configuration,
/// but not those inside a `!reference` tag's own data, which Psych builds before that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyStyle {
    /// String keys print as symbols: `{:a=>1}`.
    Symbol,
    /// String keys print as strings: `{"a"=>1}`.
    String,
}

/// Renders a value as Ruby's `to_s` does, which is what `"#{value}"` inserts: a string as
/// itself, `nil` as the empty string, a float as `Float#to_s`, and arrays and hashes in their
/// [`inspect`] form.
pub(crate) fn to_s(node: &Node) -> String {
    match &node.value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        _ => inspect(node),
    }
}

/// Renders a value of the configuration as Ruby's `inspect` does: `nil`, `"text"`, `1.0e+20`,
/// `["a", 1]`, `{:a=>1}`. Hash keys print as symbols, because GitLab symbolizes the keys of
/// the configuration and of include inputs. Hashes use the `=>` form of Ruby 3.3 and earlier.
///
/// NOTE: a `!reference` prints without the object address and instance variables that Ruby's
/// default `inspect` shows.
pub(crate) fn inspect(node: &Node) -> String {
    inspect_with(node, KeyStyle::Symbol)
}

/// Renders a value as [`inspect`] does, with the given style of hash keys.
pub(crate) fn inspect_with(node: &Node, keys: KeyStyle) -> String {
    let mut out = String::new();
    write_inspect(node, keys, &mut out);
    out
}

/// Renders a hash key as Ruby's `inspect` prints a symbolized key: `:name`, `:"a b"`, `1`.
pub(crate) fn inspect_key(key: &Key) -> String {
    let mut out = String::new();
    write_key(key, KeyStyle::Symbol, &mut out);
    out
}

/// Renders a string as Ruby's `String#inspect` does: double quotes, with backslash escapes for
/// quotes, backslashes, control characters and `#` before `{`, `$` or `@`.
pub(crate) fn inspect_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    inspect_string(text, &mut out);
    out
}

fn write_inspect(node: &Node, keys: KeyStyle, out: &mut String) {
    match &node.value {
        Value::Null => out.push_str("nil"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::BigInt(digits) => out.push_str(digits),
        Value::Float(f) => out.push_str(&float_to_s(*f)),
        Value::String(s) => inspect_string(s, out),
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_inspect(item, keys, out);
            }
            out.push(']');
        }
        Value::Map(map) => {
            out.push('{');
            for (i, (key, value)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_key(key, keys, out);
                out.push_str("=>");
                write_inspect(value, keys, out);
            }
            out.push('}');
        }
        Value::Reference(_) => out.push_str("#<Gitlab::Ci::Config::Yaml::Tags::Reference>"),
    }
}

fn write_key(key: &Key, keys: KeyStyle, out: &mut String) {
    match key {
        Key::String(s) if keys == KeyStyle::Symbol => inspect_symbol(s, out),
        Key::String(s) => inspect_string(s, out),
        Key::Int(i) => out.push_str(&i.to_string()),
        Key::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Key::Null => out.push_str("nil"),
        Key::Float(f) => out.push_str(&float_to_s(*f)),
        Key::Complex(text) => out.push_str(text),
    }
}

/// Appends `s` as Ruby's `String#inspect` prints a UTF-8 string.
fn inspect_string(s: &str, out: &mut String) {
    out.push('"');
    inspect_string_body(s, out);
    out.push('"');
}

fn inspect_string_body(s: &str, out: &mut String) {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            // `#{`, `#$` and `#@` would interpolate in a Ruby literal, so Ruby escapes the `#`.
            '#' if matches!(chars.peek(), Some('{' | '$' | '@')) => out.push_str("\\#"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0c}' => out.push_str("\\f"),
            '\u{0b}' => out.push_str("\\v"),
            '\u{08}' => out.push_str("\\b"),
            '\u{07}' => out.push_str("\\a"),
            '\u{1b}' => out.push_str("\\e"),
            c if c.is_ascii_control() || is_unprintable(c) => {
                let code = u32::from(c);
                if code > 0xFFFF {
                    out.push_str(&format!("\\u{{{code:X}}}"));
                } else {
                    out.push_str(&format!("\\u{code:04X}"));
                }
            }
            c => out.push(c),
        }
    }
}

/// Non-ASCII characters Ruby does not print as they are: the line and paragraph separators and
/// the Unicode noncharacters.
///
/// NOTE: Ruby also escapes unassigned code points, which this does not detect.
fn is_unprintable(c: char) -> bool {
    let code = u32::from(c);
    matches!(code, 0x2028 | 0x2029 | 0xFDD0..=0xFDEF) || code & 0xFFFE == 0xFFFE
}

/// Appends `name` as Ruby's `Symbol#inspect` prints it: `:name` when the name is an identifier,
/// an operator or a variable name, `:"name"` otherwise.
fn inspect_symbol(name: &str, out: &mut String) {
    out.push(':');
    if is_plain_symbol(name) {
        out.push_str(name);
    } else {
        inspect_string(name, out);
    }
}

fn is_plain_symbol(name: &str) -> bool {
    const OPERATORS: &[&str] = &[
        "+", "-", "*", "/", "%", "**", "==", "===", "!=", "=~", "!~", "!", "~", "+@", "-@", "<",
        ">", "<=", ">=", "<=>", "<<", ">>", "&", "|", "^", "[]", "[]=", "`",
    ];
    if OPERATORS.contains(&name) {
        return true;
    }
    let body = name
        .strip_prefix("@@")
        .or_else(|| name.strip_prefix('@'))
        .or_else(|| name.strip_prefix('$'));
    if let Some(variable) = body {
        return is_identifier(variable);
    }
    let stem = name
        .strip_suffix(['?', '!', '='])
        .filter(|stem| !stem.ends_with(['?', '!', '=']))
        .unwrap_or(name);
    is_identifier(stem)
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii();
    (first.is_ascii_alphabetic() || first == '_' || !first.is_ascii()) && chars.all(word)
}

/// Formats a float as Ruby's `Float#to_s`: the shortest digits that read back the same, in
/// positional notation from 0.0001 up to 1e15 exclusive (`0.0001`, `100.0`), otherwise in
/// scientific notation with a signed two-digit exponent (`1.0e-05`, `1.0e+16`).
pub(crate) fn float_to_s(f: f64) -> String {
    crate::yaml::format_float(f)
}

/// Replaces every occurrence of `needle` in `haystack`, as Ruby's `String#gsub` does with a
/// string pattern and a string replacement. Ruby still reads backslash sequences in the
/// replacement: `\0` and `\&` insert the match, `` \` `` and `\'` the text before and after
/// it, `\1` to `\9` insert nothing (a string pattern has no groups) and `\\` is one backslash.
/// An interpolated input value that contains such a sequence is changed the same way here.
pub(crate) fn gsub_literal(haystack: &str, needle: &str, replacement: &str) -> String {
    if needle.is_empty() {
        return haystack.to_owned();
    }
    let mut out = String::with_capacity(haystack.len());
    let mut last_end = 0;
    for (start, matched) in haystack.match_indices(needle) {
        out.push_str(haystack.get(last_end..start).unwrap_or_default());
        let end = start + matched.len();
        let before = haystack.get(..start).unwrap_or_default();
        let after = haystack.get(end..).unwrap_or_default();
        push_replacement(&mut out, replacement, matched, before, after);
        last_end = end;
    }
    out.push_str(haystack.get(last_end..).unwrap_or_default());
    out
}

fn push_replacement(out: &mut String, replacement: &str, matched: &str, before: &str, after: &str) {
    let mut chars = replacement.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('0' | '&') => out.push_str(matched),
            Some('`') => out.push_str(before),
            Some('\'') => out.push_str(after),
            Some('1'..='9') => {}
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
}

/// Escapes a string for a POSIX shell as Ruby's `Shellwords.shellescape` does: every character
/// outside `A-Za-z0-9_-.,:+/@` gets a backslash, a newline becomes `'\n'`, and the empty
/// string becomes `''`.
pub(crate) fn shellescape(text: &str) -> String {
    if text.is_empty() {
        return "''".to_owned();
    }
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("'\n'"),
            c if c.is_ascii_alphanumeric() || "_-.,:+/@".contains(c) => out.push(c),
            c => {
                out.push('\\');
                out.push(c);
            }
        }
    }
    out
}

/// Compares two values with Ruby's `==`: integers and floats compare by number, strings,
/// booleans and `nil` by value, arrays and hashes element by element.
pub(crate) fn ruby_eq(left: &Node, right: &Node) -> bool {
    match (&left.value, &right.value) {
        (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => (*a as f64) == *b,
        // Ruby compares a Bignum with a float exactly, and only an integral float can be
        // equal. Rust prints such a float with all its digits.
        (Value::BigInt(digits), Value::Float(f)) | (Value::Float(f), Value::BigInt(digits)) => {
            f.is_finite() && f.fract() == 0.0 && format!("{f:.0}") == *digits
        }
        (Value::Seq(a), Value::Seq(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| ruby_eq(x, y))
        }
        (Value::Map(a), Value::Map(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get_key(k).is_some_and(|other| ruby_eq(v, other)))
        }
        (a, b) => a == b,
    }
}

/// Compares two values with Ruby's `eql?`, which `Array#-` uses: like [`ruby_eq`], except that
/// an integer never equals a float.
pub(crate) fn ruby_eql(left: &Node, right: &Node) -> bool {
    match (&left.value, &right.value) {
        (Value::Seq(a), Value::Seq(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| ruby_eql(x, y))
        }
        (Value::Map(a), Value::Map(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get_key(k).is_some_and(|other| ruby_eql(v, other)))
        }
        (a, b) => a == b,
    }
}

/// Joins values as Ruby's `Array#join` does: each item as its `to_s`, and a nested array
/// joined with the same separator.
pub(crate) fn join(items: &[Node], separator: &str) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|item| match &item.value {
            Value::Seq(nested) => join(nested, separator),
            _ => to_s(item),
        })
        .collect();
    parts.join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;
    use crate::yaml::Mapping;

    fn s(text: &str) -> Node {
        Node::string(text, Span::default())
    }

    fn n(value: Value) -> Node {
        Node::new(value, Span::default())
    }

    #[test]
    fn downcase_maps_each_character() {
        assert_eq!(downcase("ΣΑΣ ÄÖ İ ǅ Ⅷ"), "σασ äö i\u{307} ǆ ⅷ");
        assert_eq!(downcase("MÜLLER straße"), "müller straße");
    }

    #[test]
    fn strip_removes_whitespace_and_nul() {
        assert_eq!(strip(" \t a b\0\n"), "a b");
    }

    #[test]
    fn bignum_to_s_and_eq() {
        let big = n(Value::BigInt("-18446744073709551616".to_owned()));
        assert_eq!(to_s(&big), "-18446744073709551616");
        assert_eq!(
            inspect(&n(Value::Seq(vec![big.clone()]))),
            "[-18446744073709551616]"
        );
        assert!(ruby_eq(&big, &n(Value::Float(-18446744073709551616.0))));
        let near = n(Value::BigInt("18446744073709551617".to_owned()));
        assert!(!ruby_eq(&near, &n(Value::Float(18446744073709551616.0))));
        assert!(!ruby_eq(&big, &s("-18446744073709551616")));
    }

    #[test]
    fn inspect_array_of_scalars() {
        let node = n(Value::Seq(vec![
            s("a"),
            n(Value::Int(1)),
            n(Value::Null),
            n(Value::Bool(true)),
            n(Value::Float(1.5)),
        ]));
        assert_eq!(inspect(&node), r#"["a", 1, nil, true, 1.5]"#);
    }

    #[test]
    fn inspect_hash_uses_symbol_keys() {
        let mut map = Mapping::new();
        map.insert("b", Span::default(), n(Value::Bool(true)));
        map.insert("a b", Span::default(), s("x"));
        assert_eq!(inspect(&n(Value::Map(map))), r#"{:b=>true, :"a b"=>"x"}"#);
    }

    #[test]
    fn inspect_str_escapes() {
        assert_eq!(
            inspect_str("a\"b\\c\nd#{e}\u{1}"),
            r#""a\"b\\c\nd\#{e}\u0001""#
        );
    }

    #[test]
    fn to_s_of_null_is_empty() {
        assert_eq!(to_s(&n(Value::Null)), "");
    }

    #[test]
    fn gsub_literal_replaces_every_occurrence() {
        assert_eq!(gsub_literal("a-X-X", "X", "y"), "a-y-y");
    }

    #[test]
    fn gsub_literal_reads_backslash_sequences() {
        let cases = [
            (r"\\", r"\"),
            (r"<\0>", "<X>"),
            (r"<\&>", "<X>"),
            (r"\1", ""),
            (r"\`", "a-"),
            (r"\'", "-b"),
            (r"\d", r"\d"),
            ("end\\", "end\\"),
        ];
        for (replacement, expected) in cases {
            let result = gsub_literal("a-X-b", "X", replacement);
            let expected = format!("a-{expected}-b");
            assert_eq!(result, expected, "replacement {replacement:?}");
        }
    }

    #[test]
    fn shellescape_cases() {
        let cases = [
            ("", "''"),
            ("plain-1.0_a/b@c:d,e+f", "plain-1.0_a/b@c:d,e+f"),
            ("a b", r"a\ b"),
            ("it's", r"it\'s"),
            ("$HOME", r"\$HOME"),
            ("a\nb", "a'\n'b"),
            ("é", r"\é"),
        ];
        for (input, expected) in cases {
            assert_eq!(shellescape(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn ruby_float_formats() {
        let cases = [
            (1.0, "1.0"),
            (1.5, "1.5"),
            (100.0, "100.0"),
            (-2.25, "-2.25"),
            (0.0001, "0.0001"),
            (0.00001, "1.0e-05"),
            (2.5e-5, "2.5e-05"),
            (1.5e-7, "1.5e-07"),
            (1e14, "100000000000000.0"),
            (1e15, "1.0e+15"),
            (1e20, "1.0e+20"),
            (1234567890123456.0, "1.234567890123456e+15"),
            (123456789.12345679, "123456789.12345679"),
            (-0.0, "-0.0"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
        ];
        for (value, expected) in cases {
            assert_eq!(float_to_s(value), expected, "{value:e}");
        }
    }

    #[test]
    fn ruby_string_inspect() {
        let cases = [
            ("plain", r#""plain""#),
            ("a\"b", r#""a\"b""#),
            ("back\\slash", r#""back\\slash""#),
            ("line\nnext\ttab", r#""line\nnext\ttab""#),
            ("#{x} #$y #@z #a", r#""\#{x} \#$y \#@z #a""#),
            ("\u{0}\u{7f}\u{1b}", r#""\u0000\u007F\e""#),
            ("é 😀", "\"é 😀\""),
            ("\u{2028}", r#""\u2028""#),
            ("\u{10ffff}", r#""\u{10FFFF}""#),
        ];
        for (text, expected) in cases {
            let mut out = String::new();
            inspect_string(text, &mut out);
            assert_eq!(out, expected, "{text:?}");
        }
    }

    #[test]
    fn ruby_symbol_inspect() {
        let cases = [
            ("build", ":build"),
            (".a", ":\".a\""),
            ("build-job", ":\"build-job\""),
            ("foo=", ":foo="),
            ("foo?", ":foo?"),
            ("foo?=", ":\"foo?=\""),
            ("+", ":+"),
            ("[]=", ":[]="),
            ("@a", ":@a"),
            ("@@b", ":@@b"),
            ("$c", ":$c"),
            ("1a", ":\"1a\""),
            ("é", ":é"),
            ("", ":\"\""),
            ("a.b", ":\"a.b\""),
        ];
        for (name, expected) in cases {
            let mut out = String::new();
            inspect_symbol(name, &mut out);
            assert_eq!(out, expected, "{name:?}");
        }
    }

    #[test]
    fn inspect_hash_key_styles() {
        let mut map = Mapping::new();
        map.insert("a", Span::default(), n(Value::Int(1)));
        map.insert("b c", Span::default(), n(Value::Seq(vec![n(Value::Null)])));
        let node = n(Value::Map(map));
        assert_eq!(inspect(&node), "{:a=>1, :\"b c\"=>[nil]}");
        assert_eq!(
            inspect_with(&node, KeyStyle::String),
            "{\"a\"=>1, \"b c\"=>[nil]}"
        );
    }
    #[test]
    fn ruby_eq_compares_numbers_across_types() {
        assert!(ruby_eq(&n(Value::Int(1)), &n(Value::Float(1.0))));
        assert!(!ruby_eq(&s("1"), &n(Value::Int(1))));
    }

    #[test]
    fn ruby_eql_separates_integers_and_floats() {
        assert!(!ruby_eql(&n(Value::Int(1)), &n(Value::Float(1.0))));
        assert!(ruby_eql(&n(Value::Int(1)), &n(Value::Int(1))));
        assert!(ruby_eql(&s("a"), &s("a")));
        let ints = n(Value::Seq(vec![n(Value::Int(1))]));
        let floats = n(Value::Seq(vec![n(Value::Float(1.0))]));
        assert!(ruby_eql(&ints, &ints.clone()));
        assert!(!ruby_eql(&ints, &floats));
    }

    #[test]
    fn join_flattens_nested_arrays() {
        let nested = n(Value::Seq(vec![s("b"), n(Value::Int(2))]));
        let items = [s("a"), nested, n(Value::Null), n(Value::Float(1.5))];
        assert_eq!(join(&items, ", "), "a, b, 2, , 1.5");
    }
}
