//! Interpolation functions: `$[[ inputs.x | fn1 | fn2 ]]`.
//!
//! GitLab matches each function expression against the known functions before running any of
//! them; an expression that matches none is reported and nothing runs. The functions then run
//! left to right, and the first failure stops the chain.

use crate::expand;
use crate::yaml::{Node, Value};

use super::ruby;

/// One parsed function call.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Function {
    /// `truncate(offset, length)`: a substring by characters.
    Truncate { offset: usize, length: usize },
    /// `expand_vars`: expands `$VAR` and `${VAR}` with the include-time variables, keeping
    /// unknown references.
    ExpandVars,
    /// `posix_quote`: quotes the value for a POSIX shell.
    PosixQuote,
    /// `posix_escape`: escapes shell metacharacters with backslashes.
    PosixEscape,
    /// `split('sep')`: splits a string into an array of trimmed, non-empty parts.
    Split { separator: String },
}

impl Function {
    fn name(&self) -> &'static str {
        match self {
            Function::Truncate { .. } => "truncate",
            Function::ExpandVars => "expand_vars",
            Function::PosixQuote => "posix_quote",
            Function::PosixEscape => "posix_escape",
            Function::Split { .. } => "split",
        }
    }
}

/// Applies the function expressions to `value` in order. Returns GitLab's messages on failure.
pub(super) fn apply(
    expressions: &[&str],
    value: Node,
    variables: &[(String, String)],
    masked: &[String],
) -> Result<Node, Vec<String>> {
    let mut functions = Vec::new();
    let mut unmatched = Vec::new();
    for expression in expressions {
        match parse(expression) {
            Some(function) => functions.push(function),
            None => unmatched.push(format!(
                "no function matching `{expression}`: \
                 check that the function name, arguments, and types are correct"
            )),
        }
    }
    if !unmatched.is_empty() {
        return Err(unmatched);
    }

    let mut value = value;
    for function in &functions {
        value = run(function, value, variables, masked).map_err(|message| {
            vec![format!(
                "error in `{}` function: {message}",
                function.name()
            )]
        })?;
    }
    Ok(value)
}

fn run(
    function: &Function,
    value: Node,
    variables: &[(String, String)],
    masked: &[String],
) -> Result<Node, String> {
    let span = value.span;
    let Value::String(text) = &value.value else {
        return Err(format!(
            "invalid input type: {} can only be used with string inputs",
            function.name()
        ));
    };
    let result = match function {
        Function::Truncate { offset, length } => {
            Value::String(text.chars().skip(*offset).take(*length).collect())
        }
        Function::ExpandVars => {
            // GitLab fails rather than expand a masked variable (`fail_on_masked`), so that
            // its value cannot leak into the configuration.
            let refers_to_masked = std::cell::Cell::new(false);
            let find_masked = |name: &str| {
                let defined = variables.iter().any(|(key, _)| key == name);
                if defined && masked.iter().any(|masked| masked == name) {
                    refers_to_masked.set(true);
                }
                None::<&str>
            };
            let _ = expand::expand_with(text, find_masked, expand::Unknown::Keep);
            if refers_to_masked.get() {
                return Err(
                    "variable expansion error: masked variables cannot be expanded".to_owned(),
                );
            }
            Value::String(expand::expand_existing(text, variables))
        }
        Function::PosixQuote | Function::PosixEscape => Value::String(ruby::shellescape(text)),
        Function::Split { separator } => {
            if separator.is_empty() {
                return Err("invalid argument: separator cannot be empty".to_owned());
            }
            let parts: Vec<&str> = if separator == " " {
                // Ruby's `split(" ")` splits on runs of whitespace, like awk.
                text.split(|c: char| " \t\n\u{0B}\u{0C}\r".contains(c))
                    .collect()
            } else {
                text.split(separator.as_str()).collect()
            };
            Value::Seq(
                parts
                    .into_iter()
                    .map(ruby::strip)
                    .filter(|part| !part.is_empty())
                    .map(|part| Node::string(part, span))
                    .collect(),
            )
        }
    };
    Ok(Node::new(result, span))
}

/// Matches an expression against the function patterns GitLab accepts.
fn parse(expression: &str) -> Option<Function> {
    match expression {
        "expand_vars" => return Some(Function::ExpandVars),
        "posix_quote" => return Some(Function::PosixQuote),
        "posix_escape" => return Some(Function::PosixEscape),
        _ => {}
    }
    if let Some(rest) = expression.strip_prefix("truncate(") {
        return parse_truncate(rest);
    }
    let separator = expression.strip_prefix("split('")?.strip_suffix("')")?;
    if separator.contains('\'') {
        return None;
    }
    Some(Function::Split {
        separator: separator.to_owned(),
    })
}

/// Parses `<offset>, <length>)` after `truncate(`. GitLab's pattern makes the closing
/// parenthesis optional, so `truncate(1,2` is accepted too.
fn parse_truncate(text: &str) -> Option<Function> {
    let is_space = |c: char| " \t\n\u{0B}\u{0C}\r".contains(c);
    let (offset, rest) = leading_number(text.trim_start_matches(is_space))?;
    let rest = rest.trim_start_matches(is_space).strip_prefix(',')?;
    let (length, rest) = leading_number(rest.trim_start_matches(is_space))?;
    let rest = rest.trim_start_matches(is_space);
    let rest = rest.strip_prefix(')').unwrap_or(rest);
    if !rest.is_empty() {
        return None;
    }
    Some(Function::Truncate { offset, length })
}

/// Splits off leading ASCII digits; values too large for `usize` saturate, which selects the
/// same characters as Ruby's unbounded integers would.
fn leading_number(text: &str) -> Option<(usize, &str)> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let digits = text.get(..end)?;
    if digits.is_empty() {
        return None;
    }
    let number = digits.parse::<usize>().unwrap_or(usize::MAX);
    Some((number, text.get(end..)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;

    fn s(text: &str) -> Node {
        Node::string(text, Span::default())
    }

    fn vars() -> Vec<(String, String)> {
        vec![("NAME".to_owned(), "world".to_owned())]
    }

    fn apply_str(expressions: &[&str], value: &str) -> Result<Value, Vec<String>> {
        apply(expressions, s(value), &vars(), &[]).map(|node| node.value)
    }

    #[test]
    fn parse_accepts_gitlab_forms() {
        let cases = [
            (
                "truncate(1,2)",
                Some(Function::Truncate {
                    offset: 1,
                    length: 2,
                }),
            ),
            (
                "truncate( 1 , 2 )",
                Some(Function::Truncate {
                    offset: 1,
                    length: 2,
                }),
            ),
            (
                "truncate(1,2",
                Some(Function::Truncate {
                    offset: 1,
                    length: 2,
                }),
            ),
            ("truncate(-1,2)", None),
            ("truncate(1)", None),
            ("expand_vars", Some(Function::ExpandVars)),
            ("expand_vars()", None),
            (
                "split(',')",
                Some(Function::Split {
                    separator: ",".to_owned(),
                }),
            ),
            ("split(\",\")", None),
            ("posix_quote", Some(Function::PosixQuote)),
            ("posix_escape", Some(Function::PosixEscape)),
            ("upcase", None),
        ];
        for (expression, expected) in cases {
            assert_eq!(parse(expression), expected, "expression {expression:?}");
        }
    }

    #[test]
    fn truncate_by_characters() {
        let cases = [
            ("truncate(0,3)", "héllo", "hél"),
            ("truncate(1,100)", "héllo", "éllo"),
            ("truncate(9,2)", "héllo", ""),
            ("truncate(99999999999999999999999,2)", "héllo", ""),
        ];
        for (expression, input, expected) in cases {
            let result = apply_str(&[expression], input).unwrap();
            assert_eq!(result, Value::String(expected.to_owned()), "{expression}");
        }
    }

    #[test]
    fn expand_vars_keeps_unknown() {
        let result = apply_str(&["expand_vars"], "hi $NAME $OTHER").unwrap();
        assert_eq!(result, Value::String("hi world $OTHER".to_owned()));
    }

    #[test]
    fn posix_quote_escapes() {
        let result = apply_str(&["posix_quote"], "a b").unwrap();
        assert_eq!(result, Value::String("a\\ b".to_owned()));
    }

    #[test]
    fn split_trims_and_drops_empty() {
        let result = apply_str(&["split(',')"], " a, b ,,c ").unwrap();
        let parts: Vec<&str> = match &result {
            Value::Seq(items) => items.iter().filter_map(Node::as_str).collect(),
            _ => Vec::new(),
        };
        assert_eq!(parts, ["a", "b", "c"]);
    }

    #[test]
    fn split_on_space_splits_whitespace_runs() {
        let result = apply_str(&["split(' ')"], "a\tb  c").unwrap();
        let count = match &result {
            Value::Seq(items) => items.len(),
            _ => 0,
        };
        assert_eq!(count, 3);
    }

    #[test]
    fn function_errors() {
        let cases: Vec<(Vec<&str>, Node, &str)> = vec![
            (
                vec!["split('')"],
                s("a"),
                "error in `split` function: invalid argument: separator cannot be empty",
            ),
            (
                vec!["truncate(0,1)"],
                Node::new(Value::Int(1), Span::default()),
                "error in `truncate` function: invalid input type: \
                 truncate can only be used with string inputs",
            ),
            (
                vec!["expand_vars"],
                Node::new(Value::Bool(true), Span::default()),
                "error in `expand_vars` function: invalid input type: \
                 expand_vars can only be used with string inputs",
            ),
            (
                vec!["posix_quote"],
                Node::new(Value::Seq(Vec::new()), Span::default()),
                "error in `posix_quote` function: invalid input type: \
                 posix_quote can only be used with string inputs",
            ),
            (
                vec!["nope"],
                s("a"),
                "no function matching `nope`: \
                 check that the function name, arguments, and types are correct",
            ),
        ];
        for (expressions, value, expected) in cases {
            let got = apply(&expressions, value, &vars(), &[]).unwrap_err();
            assert_eq!(got, [expected.to_owned()], "{expressions:?}");
        }
    }

    #[test]
    fn expand_vars_rejects_masked() {
        let masked = ["NAME".to_owned()];
        let cases = [
            ("$NAME", true),
            ("${NAME}", true),
            ("%NAME%", true),
            ("$OTHER", false),
            ("plain", false),
        ];
        for (value, fails) in cases {
            let result = apply(&["expand_vars"], s(value), &vars(), &masked);
            assert_eq!(result.is_err(), fails, "{value}");
        }
    }

    #[test]
    fn expand_vars_masked_message() {
        let masked = ["NAME".to_owned()];
        let got = apply(&["expand_vars"], s("$NAME"), &vars(), &masked).unwrap_err();
        assert_eq!(
            got,
            [
                "error in `expand_vars` function: variable expansion error: \
              masked variables cannot be expanded"
            ]
        );
    }

    #[test]
    fn chain_stops_at_first_failure() {
        let got = apply(&["split(',')", "truncate(0,1)"], s("a,b"), &vars(), &[]).unwrap_err();
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with("error in `truncate` function"));
    }

    #[test]
    fn unmatched_reported_together() {
        let got = apply(&["one", "expand_vars", "two"], s("a"), &vars(), &[]).unwrap_err();
        assert_eq!(got.len(), 2);
    }
}
