//! Ruby string behaviour that interpolation results depend on: `to_s`, `inspect`, `strip`,
//! `gsub` with a string pattern, and `Shellwords.shellescape`. GitLab builds interpolated text
//! with these, so glplan reproduces them to produce the same strings.

use crate::yaml::{Key, Node, Value, format_float};

/// The characters Ruby's `String#strip` removes (whitespace and NUL).
const STRIP_CHARS: [char; 7] = ['\0', '\t', '\n', '\u{0B}', '\u{0C}', '\r', ' '];

/// Removes leading and trailing whitespace and NUL characters, as Ruby's `String#strip` does.
pub(crate) fn strip(text: &str) -> &str {
    text.trim_matches(&STRIP_CHARS[..])
}

/// Whether Ruby would call the string blank (`String#blank?`): empty or whitespace only.
pub(crate) fn is_blank(text: &str) -> bool {
    text.chars().all(char::is_whitespace)
}

/// The value as Ruby's `to_s` prints it, which is what `"#{value}"` inserts: strings as they
/// are, `nil` as the empty string, arrays and hashes in their `inspect` form.
pub(crate) fn to_s(node: &Node) -> String {
    match &node.value {
        Value::Seq(_) | Value::Map(_) | Value::Reference(_) => inspect(node),
        other => other.scalar_to_string().unwrap_or_default(),
    }
}

/// The value as Ruby's `inspect` prints it, for example `["a", 1, nil, {:b=>true}]`. Hash keys
/// are symbols, as GitLab symbolizes the keys of include inputs; the format is the one of
/// Ruby 3.3 and earlier (`{:b=>true}`).
pub(crate) fn inspect(node: &Node) -> String {
    let mut out = String::new();
    write_inspect(&mut out, node);
    out
}

fn write_inspect(out: &mut String, node: &Node) {
    match &node.value {
        Value::Null => out.push_str("nil"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&format_float(*f)),
        Value::String(s) => out.push_str(&inspect_str(s)),
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_inspect(out, item);
            }
            out.push(']');
        }
        Value::Map(map) => {
            out.push('{');
            for (i, (key, value)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_key(out, key);
                out.push_str("=>");
                write_inspect(out, value);
            }
            out.push('}');
        }
        Value::Reference(inner) => {
            out.push_str("!reference ");
            write_inspect(out, inner);
        }
    }
}

fn write_key(out: &mut String, key: &Key) {
    match key {
        Key::String(s) if is_plain_symbol(s) => {
            out.push(':');
            out.push_str(s);
        }
        Key::String(s) => {
            out.push(':');
            out.push_str(&inspect_str(s));
        }
        Key::Null => out.push_str("nil"),
        other => out.push_str(&other.to_string()),
    }
}

/// Whether Ruby prints the symbol without quotes (`:name` rather than `:"a b"`).
fn is_plain_symbol(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let body_ok = |c: char| c.is_alphanumeric() || c == '_';
    let start_ok = first.is_alphabetic() || first == '_';
    if !start_ok {
        return false;
    }
    let rest: Vec<char> = chars.collect();
    match rest.split_last() {
        None => true,
        Some((last, middle)) => {
            middle.iter().all(|&c| body_ok(c))
                && (body_ok(*last) || matches!(last, '?' | '!' | '='))
        }
    }
}

/// A string in Ruby's `String#inspect` form: double quotes, with backslash escapes for quotes,
/// backslashes, control characters and `#` before `{`, `$` or `@`.
pub(crate) fn inspect_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{0C}' => out.push_str("\\f"),
            '\u{0B}' => out.push_str("\\v"),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\u{1B}' => out.push_str("\\e"),
            '#' if matches!(chars.peek(), Some('{' | '$' | '@')) => out.push_str("\\#"),
            '\u{7F}' => out.push_str("\\x7F"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
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
    fn strip_removes_whitespace_and_nul() {
        assert_eq!(strip(" \t a b\0\n"), "a b");
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
    fn ruby_eq_compares_numbers_across_types() {
        assert!(ruby_eq(&n(Value::Int(1)), &n(Value::Float(1.0))));
        assert!(!ruby_eq(&s("1"), &n(Value::Int(1))));
    }
}
