//! A block-style YAML writer for JSON values.
//!
//! GitLab reads YAML with Ruby's Psych, which follows YAML 1.1: plain `yes`, `on` and `off` are
//! booleans, `0755` is an octal integer, `1:20` is a base-60 integer (4800), `2024-01-02` is a
//! date and `:name` is a symbol. A string that either YAML 1.1 or YAML 1.2 would read as anything
//! other than that same string is therefore written in quotes, so the output reads back as the
//! same value in Psych and in YAML 1.2 parsers alike.

use serde_json::{Map, Number, Value};

/// Characters that may not start a plain scalar, or that would give it another meaning there.
const INDICATORS: &[char] = &[
    '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`',
];

/// Maximum length, in characters, of a key written as an implicit key. YAML limits implicit keys
/// to 1024 characters, so longer keys get an explicit `? ` indicator.
const MAX_IMPLICIT_KEY: usize = 1000;

/// Writes `value` as a YAML document (without a `---` marker), ending in a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_mapping(&mut out, map, 0, false),
        Value::Array(items) if !items.is_empty() => write_sequence(&mut out, items, 0, false),
        Value::String(s) if block_literal_fits(s) => write_block_literal(&mut out, s, 2),
        other => {
            write_inline(&mut out, other);
            out.push('\n');
        }
    }
    out
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// Writes the entries of `map` at `indent`. When `continued` is true the first entry goes on
/// the current line (after a sequence's `- `).
fn write_mapping(out: &mut String, map: &Map<String, Value>, indent: usize, continued: bool) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 || !continued {
            pad(out, indent);
        }
        let key_text = scalar_string(key);
        if key_text.chars().count() > MAX_IMPLICIT_KEY {
            out.push_str("? ");
            out.push_str(&key_text);
            out.push('\n');
            pad(out, indent);
        } else {
            out.push_str(&key_text);
        }
        out.push(':');
        write_value_after_indicator(out, value, indent);
    }
}

/// Writes the items of `items` at `indent`, with the same meaning of `continued` as above.
fn write_sequence(out: &mut String, items: &[Value], indent: usize, continued: bool) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !continued {
            pad(out, indent);
        }
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                out.push(' ');
                write_mapping(out, map, indent + 2, true);
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push(' ');
                write_sequence(out, inner, indent + 2, true);
            }
            Value::String(s) if block_literal_fits(s) => {
                out.push(' ');
                write_block_literal(out, s, indent + 2);
            }
            other => {
                out.push(' ');
                write_inline(out, other);
                out.push('\n');
            }
        }
    }
}

/// Writes a mapping value after its key's `:`.
fn write_value_after_indicator(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_mapping(out, map, indent + 2, false);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_sequence(out, items, indent + 2, false);
        }
        Value::String(s) if block_literal_fits(s) => {
            out.push(' ');
            write_block_literal(out, s, indent + 2);
        }
        other => {
            out.push(' ');
            write_inline(out, other);
            out.push('\n');
        }
    }
}

/// Writes a scalar, or an empty collection as `{}` / `[]`.
fn write_inline(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => out.push_str(&scalar_string(s)),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// Formats a number so that YAML 1.1 reads it back as a number of the same kind: Psych only
/// reads a float when it has a `.`, and only reads an exponent with a sign (`1.0e+20`).
fn number(n: &Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let text = n.to_string();
    match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            let mantissa = if mantissa.contains('.') {
                mantissa.to_owned()
            } else {
                format!("{mantissa}.0")
            };
            let exponent = if exponent.starts_with(['-', '+']) {
                exponent.to_owned()
            } else {
                format!("+{exponent}")
            };
            format!("{mantissa}e{exponent}")
        }
        None if text.contains('.') => text,
        None => format!("{text}.0"),
    }
}

/// Writes a string as a plain, single-quoted or double-quoted scalar, whichever is the first
/// that reads back as the same string.
pub fn scalar_string(s: &str) -> String {
    if plain_is_safe(s) {
        s.to_owned()
    } else if s.chars().all(is_printable) {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        double_quoted(s)
    }
}

/// Returns whether `s` reads back as the same string when written without quotes, in block context.
fn plain_is_safe(s: &str) -> bool {
    let (Some(first), Some(last)) = (s.chars().next(), s.chars().last()) else {
        return false;
    };
    if first == ' ' || last == ' ' || INDICATORS.contains(&first) || last == ':' {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.contains('\t') {
        return false;
    }
    if !s.chars().all(|c| is_printable(c) && c != '\u{FEFF}') {
        return false;
    }
    !resolves_to_non_string(s)
}

/// Returns whether a plain scalar `s` would be read as null, a boolean, a number or a timestamp by
/// Psych (YAML 1.1) or by a YAML 1.2 core-schema parser. Errs on the side of quoting: any
/// string made only of digits and number punctuation is quoted, even when no parser would
/// read it as a number.
fn resolves_to_non_string(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    // `<<` is the merge key, `=` YAML 1.1's value key, and `...` ends a document.
    let keywords = [
        "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", "-.inf", "+.inf",
        ".nan", "<<", "=",
    ];
    if keywords.contains(&lower.as_str()) || s.starts_with("...") {
        return true;
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let starts_numeric = unsigned.starts_with(|c: char| c.is_ascii_digit())
        || unsigned
            .strip_prefix('.')
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
    let numeric_chars = unsigned
        .chars()
        .all(|c| c.is_ascii_hexdigit() || "xXoObB_.:,eE+-".contains(c));
    if starts_numeric && numeric_chars {
        return true;
    }
    // Dates (`2024-01-02`) and timestamps (`2024-01-02 10:00:00`) start with four digits and a
    // dash; Psych refuses to load them with `safe_load`.
    let mut bytes = s.bytes();
    bytes.by_ref().take(4).filter(u8::is_ascii_digit).count() == 4 && bytes.next() == Some(b'-')
}

/// Returns whether YAML lets `c` appear unescaped (YAML 1.2 `c-printable`, less the line and paragraph
/// separators and the byte order mark, which some readers treat as line breaks or strip).
fn is_printable(c: char) -> bool {
    !c.is_control()
        && !matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
        )
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if !is_printable(c) => {
                let code = c as u32;
                if code <= 0xff {
                    out.push_str(&format!("\\x{code:02x}"));
                } else {
                    out.push_str(&format!("\\u{code:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Returns whether a multi-line string can be written as a `|` literal block and read back unchanged.
/// Leading spaces or a line break at the start, whitespace-only lines, tabs, carriage returns
/// and more than one trailing line break all need care in a literal block, so such strings are
/// double-quoted instead.
fn block_literal_fits(s: &str) -> bool {
    if !s.contains('\n') || s.ends_with("\n\n") || s.starts_with([' ', '\n']) {
        return false;
    }
    if !s
        .chars()
        .all(|c| c == '\n' || (is_printable(c) && c != '\t'))
    {
        return false;
    }
    s.trim_end_matches('\n')
        .split('\n')
        .all(|line| line.is_empty() || !line.trim().is_empty())
}

fn write_block_literal(out: &mut String, s: &str, indent: usize) {
    // `|` keeps one final line break ("clip"), `|-` drops it ("strip").
    out.push_str(if s.ends_with('\n') { "|\n" } else { "|-\n" });
    for line in s.trim_end_matches('\n').split('\n') {
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quoting_table() {
        let cases = [
            ("plain", "plain"),
            ("echo hello", "echo hello"),
            (".hidden-job", ".hidden-job"),
            ("...", "'...'"),
            ("<<x", "<<x"),
            ("~x", "~x"),
            ("+x", "+x"),
            ("+1", "'+1'"),
            ("build:linux", "build:linux"),
            ("https://example.com/a", "https://example.com/a"),
            ("", "''"),
            ("yes", "'yes'"),
            ("No", "'No'"),
            ("on", "'on'"),
            ("OFF", "'OFF'"),
            ("y", "'y'"),
            ("true", "'true'"),
            ("null", "'null'"),
            ("~", "'~'"),
            ("0755", "'0755'"),
            ("1:20", "'1:20'"),
            ("1_000", "'1_000'"),
            ("1,000", "'1,000'"),
            ("0x1F", "'0x1F'"),
            ("0o17", "'0o17'"),
            ("12", "'12'"),
            ("-3", "'-3'"),
            ("1.5", "'1.5'"),
            (".5", "'.5'"),
            ("1e3", "'1e3'"),
            (".inf", "'.inf'"),
            ("-.Inf", "'-.Inf'"),
            (".NaN", "'.NaN'"),
            ("2024-01-02", "'2024-01-02'"),
            ("2024-01-02 10:00:00", "'2024-01-02 10:00:00'"),
            ("v1.2.3", "v1.2.3"),
            ("123abz", "123abz"),
            (":symbol", "':symbol'"),
            ("a: b", "'a: b'"),
            ("ends:", "'ends:'"),
            ("a #comment", "'a #comment'"),
            ("a#b", "a#b"),
            ("#start", "'#start'"),
            ("- item", "'- item'"),
            ("-flag", "'-flag'"),
            ("*alias", "'*alias'"),
            ("&anchor", "'&anchor'"),
            ("!tag", "'!tag'"),
            ("%directive", "'%directive'"),
            ("@at", "'@at'"),
            ("`tick", "'`tick'"),
            ("[a]", "'[a]'"),
            ("{a}", "'{a}'"),
            ("|", "'|'"),
            (">", "'>'"),
            ("<<", "'<<'"),
            ("=", "'='"),
            (" lead", "' lead'"),
            ("trail ", "'trail '"),
            ("it's", "it's"),
            ("'quoted'", "'''quoted'''"),
            ("\"dq\"", "'\"dq\"'"),
            (
                "$CI_COMMIT_BRANCH == \"main\"",
                "$CI_COMMIT_BRANCH == \"main\"",
            ),
            ("tab\there", "\"tab\\there\""),
            ("bell\u{7}", "\"bell\\x07\""),
            ("é", "é"),
            ("line\u{2028}sep", "\"line\\Lsep\""),
        ];
        for (input, expected) in cases {
            assert_eq!(scalar_string(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn numbers_keep_their_kind() {
        let cases = [
            (json!(3), "3"),
            (json!(-7), "-7"),
            (json!(1.5), "1.5"),
            (json!(2.0), "2.0"),
            (json!(1e20), "1.0e+20"),
            (json!(1.5e-7), "1.5e-7"),
        ];
        for (value, expected) in cases {
            assert_eq!(to_yaml(&value), format!("{expected}\n"), "{value}");
        }
    }

    #[test]
    fn nested_document() {
        let value = json!({
            "stages": ["build", "test"],
            "build": {
                "script": ["make", "make install"],
                "variables": {"A": "yes", "B": "1"},
                "needs": [],
                "cache": {},
            },
            "matrix": [{"OS": ["linux", "mac"], "ARCH": "x86"}, [1, 2]],
        });
        let expected = "\
stages:
  - build
  - test
build:
  script:
    - make
    - make install
  variables:
    A: 'yes'
    B: '1'
  needs: []
  cache: {}
matrix:
  - OS:
      - linux
      - mac
    ARCH: x86
  - - 1
    - 2
";
        assert_eq!(to_yaml(&value), expected);
    }

    #[test]
    fn multiline_uses_literal_block() {
        let value = json!({"script": "echo a\n\necho b \n", "x": ["one\ntwo"]});
        let expected = "script: |\n  echo a\n\n  echo b \nx:\n  - |-\n    one\n    two\n";
        assert_eq!(to_yaml(&value), expected);
    }

    #[test]
    fn multiline_awkward_is_double_quoted() {
        let cases = [
            ("a\n\n", "\"a\\n\\n\""),
            (" a\nb", "\" a\\nb\""),
            ("a\n  \nb", "\"a\\n  \\nb\""),
            ("a\r\nb", "\"a\\r\\nb\""),
            ("\n", "\"\\n\""),
        ];
        for (input, expected) in cases {
            assert_eq!(to_yaml(&json!(input)), format!("{expected}\n"), "{input:?}");
        }
    }

    #[test]
    fn long_key_is_explicit() {
        let key = "k".repeat(1200);
        let yaml = to_yaml(&json!({ key.clone(): 1 }));
        assert_eq!(yaml, format!("? {key}\n: 1\n"));
    }

    #[test]
    fn keys_are_quoted_like_values() {
        assert_eq!(to_yaml(&json!({"on": 1, "<<": 2})), "'on': 1\n'<<': 2\n");
    }

    #[test]
    fn empty_top_level() {
        assert_eq!(to_yaml(&json!({})), "{}\n");
    }
}

#[cfg(test)]
mod round_trip {
    use super::*;
    use glplan::{Diagnostics, FileId, Limits};
    use proptest::prelude::*;
    use serde_json::json;

    /// Loads `text` with glplan's Psych-compatible loader and returns it as JSON.
    fn load(text: &str) -> Value {
        let mut diagnostics = Diagnostics::new();
        let document = glplan::yaml::load(FileId(0), text, &Limits::default(), &mut diagnostics);
        assert!(!diagnostics.has_errors(), "{text:?}: {diagnostics:?}");
        document.unwrap().body.to_json()
    }

    /// Strings made of the characters that change how YAML reads a scalar.
    fn tricky_string() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "a",
            "Y",
            "yes",
            "no",
            "on",
            "Off",
            "null",
            "~",
            "true",
            "0",
            "7",
            "0x",
            "0o",
            "1_0",
            ".",
            ",",
            ":",
            ": ",
            " #",
            "#",
            "-",
            "- ",
            "?",
            "'",
            "\"",
            "\\",
            "!",
            "&",
            "*",
            "<<",
            "=",
            "|",
            ">",
            "%",
            "@",
            "`",
            "[",
            "]",
            "{",
            "}",
            " ",
            "\t",
            "\n",
            "\r",
            "é",
            "\u{85}",
            "\u{a0}",
            "\u{2028}",
            "\u{feff}",
            "2024-01-02",
            "1:20",
            "e5",
            "+",
            ".inf",
            ".nan",
            "...",
            "---",
        ]);
        prop::collection::vec(pieces, 0..6).prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn string_value_reads_back(s in tricky_string()) {
            let value = json!({"key": s});
            prop_assert_eq!(load(&to_yaml(&value)), value);
        }

        #[test]
        fn string_key_reads_back(s in tricky_string()) {
            let value = json!({ s: [1] });
            prop_assert_eq!(load(&to_yaml(&value)), value);
        }

        #[test]
        fn sequence_item_reads_back(s in tricky_string()) {
            let value = json!({"list": [s, {"inner": "x"}]});
            prop_assert_eq!(load(&to_yaml(&value)), value);
        }

        #[test]
        fn any_text_reads_back(s in "\\PC{0,12}") {
            let value = json!({"key": s});
            prop_assert_eq!(load(&to_yaml(&value)), value);
        }
    }
}
