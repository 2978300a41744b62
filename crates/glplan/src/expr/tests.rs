//! Behaviour tests for whole expressions: GitLab's own evaluation table, the worked examples of
//! the expression spec, and a property test against panics.

use indexmap::IndexMap;

use super::*;

fn s(text: &str) -> ExprValue {
    ExprValue::String(text.into())
}

fn b(value: bool) -> ExprValue {
    ExprValue::Bool(value)
}

const NULL: ExprValue = ExprValue::Null;

/// Returns the variables that GitLab's `statement_spec.rb` uses.
fn gitlab_variables() -> Vec<(&'static str, &'static str)> {
    vec![
        ("PRESENT_VARIABLE", "my variable"),
        ("PATH_VARIABLE", "a/path/variable/value"),
        ("FULL_PATH_VARIABLE", "/a/full/path/variable/value"),
        ("EMPTY_VARIABLE", ""),
    ]
}

fn evaluate<V: Variables + ?Sized>(source: &str, variables: &V) -> ExprValue {
    parse(source)
        .unwrap_or_else(|e| panic!("{source:?}: {e}"))
        .evaluate(variables)
        .unwrap_or_else(|e| panic!("{source:?}: {e}"))
}

fn truthy<V: Variables + ?Sized>(source: &str, variables: &V) -> bool {
    parse(source).is_ok_and(|e| e.truthy(variables))
}

#[test]
fn evaluate_gitlab_table() {
    let cases = [
        (r#"$PRESENT_VARIABLE == "my variable""#, b(true)),
        (r#""my variable" == $PRESENT_VARIABLE"#, b(true)),
        ("$PRESENT_VARIABLE == null", b(false)),
        ("$EMPTY_VARIABLE == null", b(false)),
        (r#""" == $EMPTY_VARIABLE"#, b(true)),
        ("$EMPTY_VARIABLE", s("")),
        ("$UNDEFINED_VARIABLE == null", b(true)),
        ("null == $UNDEFINED_VARIABLE", b(true)),
        ("$PRESENT_VARIABLE", s("my variable")),
        ("$UNDEFINED_VARIABLE", NULL),
        ("$PRESENT_VARIABLE =~ /var.*e$/", b(true)),
        (r"$PRESENT_VARIABLE =~ /va\r.*e$/", b(false)),
        (r"$PRESENT_VARIABLE =~ /va\/r.*e$/", b(false)),
        ("$PRESENT_VARIABLE =~ /^var.*/", b(false)),
        ("$EMPTY_VARIABLE =~ /var.*/", b(false)),
        ("$UNDEFINED_VARIABLE =~ /var.*/", b(false)),
        ("$PRESENT_VARIABLE =~ /VAR.*/i", b(true)),
        (r"$PATH_VARIABLE =~ /path\/variable/", b(true)),
        (
            r"$FULL_PATH_VARIABLE =~ /^\/a\/full\/path\/variable\/value$/",
            b(true),
        ),
        (
            r"$FULL_PATH_VARIABLE =~ /\/path\/variable\/value$/",
            b(true),
        ),
        (r#"$PRESENT_VARIABLE != "my variable""#, b(false)),
        (r#""my variable" != $PRESENT_VARIABLE"#, b(false)),
        ("$PRESENT_VARIABLE != null", b(true)),
        ("$EMPTY_VARIABLE != null", b(true)),
        (r#""" != $EMPTY_VARIABLE"#, b(false)),
        ("$UNDEFINED_VARIABLE != null", b(false)),
        ("null != $UNDEFINED_VARIABLE", b(false)),
        ("$PRESENT_VARIABLE !~ /var.*e$/", b(false)),
        ("$PRESENT_VARIABLE !~ /^var.*/", b(true)),
        (r"$PRESENT_VARIABLE !~ /^v\ar.*/", b(true)),
        (r"$PRESENT_VARIABLE !~ /^v\/ar.*/", b(true)),
        ("$EMPTY_VARIABLE !~ /var.*/", b(true)),
        ("$UNDEFINED_VARIABLE !~ /var.*/", b(true)),
        ("$PRESENT_VARIABLE !~ /VAR.*/i", b(false)),
        (r#"$PRESENT_VARIABLE && "string""#, s("string")),
        ("$PRESENT_VARIABLE && $PRESENT_VARIABLE", s("my variable")),
        ("$PRESENT_VARIABLE && $EMPTY_VARIABLE", s("")),
        ("$PRESENT_VARIABLE && null", NULL),
        (r#""string" && $PRESENT_VARIABLE"#, s("my variable")),
        ("$EMPTY_VARIABLE && $PRESENT_VARIABLE", s("my variable")),
        ("null && $PRESENT_VARIABLE", NULL),
        (r#"$EMPTY_VARIABLE && "string""#, s("string")),
        ("$EMPTY_VARIABLE && $EMPTY_VARIABLE", s("")),
        (r#""string" && $EMPTY_VARIABLE"#, s("")),
        (r#""string" && null"#, NULL),
        (r#"null && "string""#, NULL),
        (r#""string" && "string""#, s("string")),
        ("null && null", NULL),
        (
            "$PRESENT_VARIABLE =~ /my var/ && $EMPTY_VARIABLE =~ /nope/",
            b(false),
        ),
        (
            r#"$EMPTY_VARIABLE == "" && $PRESENT_VARIABLE"#,
            s("my variable"),
        ),
        (
            r#"$EMPTY_VARIABLE == "" && $PRESENT_VARIABLE != "nope""#,
            b(true),
        ),
        ("$PRESENT_VARIABLE && $UNDEFINED_VARIABLE", NULL),
        ("$UNDEFINED_VARIABLE && $EMPTY_VARIABLE", NULL),
        ("$UNDEFINED_VARIABLE && $PRESENT_VARIABLE", NULL),
        (
            r"$FULL_PATH_VARIABLE =~ /^\/a\/full\/path\/variable\/value$/ && $PATH_VARIABLE =~ /path\/variable/",
            b(true),
        ),
        (
            r"$FULL_PATH_VARIABLE =~ /^\/a\/bad\/path\/variable\/value$/ && $PATH_VARIABLE =~ /path\/variable/",
            b(false),
        ),
        (
            r"$FULL_PATH_VARIABLE =~ /^\/a\/full\/path\/variable\/value$/ && $PATH_VARIABLE =~ /bad\/path\/variable/",
            b(false),
        ),
        (
            r"$FULL_PATH_VARIABLE =~ /^\/a\/bad\/path\/variable\/value$/ && $PATH_VARIABLE =~ /bad\/path\/variable/",
            b(false),
        ),
        (
            r"$FULL_PATH_VARIABLE =~ /^\/a\/full\/path\/variable\/value$/ || $PATH_VARIABLE =~ /path\/variable/",
            b(true),
        ),
        (
            r"$FULL_PATH_VARIABLE =~ /^\/a\/bad\/path\/variable\/value$/ || $PATH_VARIABLE =~ /path\/variable/",
            b(true),
        ),
        (
            r"$FULL_PATH_VARIABLE =~ /^\/a\/full\/path\/variable\/value$/ || $PATH_VARIABLE =~ /bad\/path\/variable/",
            b(true),
        ),
        (
            r"$FULL_PATH_VARIABLE =~ /^\/a\/bad\/path\/variable\/value$/ || $PATH_VARIABLE =~ /bad\/path\/variable/",
            b(false),
        ),
        (
            "$PRESENT_VARIABLE =~ /my var/ || $EMPTY_VARIABLE =~ /nope/",
            b(true),
        ),
        (r#"$EMPTY_VARIABLE == "" || $PRESENT_VARIABLE"#, b(true)),
        (
            r#"$PRESENT_VARIABLE != "nope" || $EMPTY_VARIABLE == """#,
            b(true),
        ),
        (
            r#"$PRESENT_VARIABLE && null || $EMPTY_VARIABLE == """#,
            b(true),
        ),
        ("$PRESENT_VARIABLE || $UNDEFINED_VARIABLE", s("my variable")),
        ("$UNDEFINED_VARIABLE || $PRESENT_VARIABLE", s("my variable")),
        ("$UNDEFINED_VARIABLE == null || $PRESENT_VARIABLE", b(true)),
        (
            "$PRESENT_VARIABLE || $UNDEFINED_VARIABLE == null",
            s("my variable"),
        ),
        ("($PRESENT_VARIABLE)", s("my variable")),
        ("(($PRESENT_VARIABLE))", s("my variable")),
        (
            r#"(($PRESENT_VARIABLE && null) || $EMPTY_VARIABLE == "")"#,
            b(true),
        ),
        (
            r#"($PRESENT_VARIABLE) && (null || $EMPTY_VARIABLE == "")"#,
            b(true),
        ),
        (r#"("string" || "test") == "string""#, b(true)),
        (r#"(null || ("test" == "string"))"#, b(false)),
        (r#"("string" == ("test" && "string"))"#, b(true)),
        (r#"("string" == ("test" || "string"))"#, b(false)),
        (r#"("string" == "test" || "string")"#, s("string")),
        (
            r#"("string" == ("string" || (("1" == "1") && ("2" == "3"))))"#,
            b(true),
        ),
    ];
    let variables = gitlab_variables();
    for (source, expected) in cases {
        assert_eq!(evaluate(source, &variables), expected, "{source}");
    }
}

#[test]
fn truthy_gitlab_table() {
    let cases = [
        (r#"$PRESENT_VARIABLE == "my variable""#, true),
        ("$PRESENT_VARIABLE == 'no match'", false),
        ("$UNDEFINED_VARIABLE == null", true),
        ("$PRESENT_VARIABLE", true),
        ("$UNDEFINED_VARIABLE", false),
        ("$EMPTY_VARIABLE", false),
        ("$INVALID = 1", false),
        ("$PRESENT_VARIABLE =~ /var.*/", true),
        ("$UNDEFINED_VARIABLE =~ /var.*/", false),
        ("$PRESENT_VARIABLE !~ /var.*/", false),
        ("$UNDEFINED_VARIABLE !~ /var.*/", true),
    ];
    let variables = gitlab_variables();
    for (source, expected) in cases {
        assert_eq!(truthy(source, &variables), expected, "{source}");
    }
}

#[test]
fn truthy_with_pattern_variables() {
    let variables = [
        ("teststring", "abcde"),
        ("pattern1", "/^ab.*/"),
        ("pattern2", "/^at.*/"),
    ];
    let cases = [
        (r#"$teststring =~ "abcde""#, true),
        ("$teststring =~ $teststring", true),
        ("$teststring =~ $pattern1", true),
        ("$teststring =~ $pattern2", false),
    ];
    for (source, expected) in cases {
        assert_eq!(truthy(source, &variables[..]), expected, "{source}");
    }
}

#[test]
fn invalid_assignment_is_syntax_error() {
    let error = parse("$INVALID = 1").unwrap_err();
    assert_eq!(error.message(), "Invalid expression syntax");
    assert!(error.is_syntax_error());
}

#[test]
fn inputs_table() {
    let mut inputs = IndexMap::new();
    inputs.insert("cloud_provider".to_owned(), s("aws"));
    inputs.insert("environment".to_owned(), s("production"));
    inputs.insert("replicas".to_owned(), ExprValue::Integer(3));
    inputs.insert("debug".to_owned(), b(true));
    let variables = WithInputs {
        variables: &NoVariables,
        inputs: &inputs,
    };
    let cases = [
        (r#"$[[ inputs.cloud_provider ]] == "aws""#, b(true)),
        (r#"$[[ inputs.cloud_provider ]] == "gcp""#, b(false)),
        (
            r#"$[[ inputs.cloud_provider ]] == "aws" && $[[ inputs.environment ]] == "production""#,
            b(true),
        ),
        ("$[[ inputs.debug ]] == true", b(true)),
        (r#"$[[ inputs.replicas ]] == "3""#, b(false)),
        (r#"$[[ inputs.replicas ]] =~ "13""#, b(true)),
        ("$[[ inputs.missing ]]", NULL),
    ];
    for (source, expected) in cases {
        assert_eq!(evaluate(source, &variables), expected, "{source}");
    }
}

#[test]
fn inputs_without_values_are_null() {
    assert_eq!(evaluate("$[[ inputs.x ]]", &NoVariables), NULL);
}

#[test]
fn input_names_table() {
    let cases: [(&str, &[&str]); 5] = [
        (
            r#"$[[ inputs.cloud_provider ]] == "aws""#,
            &["cloud_provider"],
        ),
        (
            r#"$[[ inputs.a ]] == "x" && $[[ inputs.b ]] == "y""#,
            &["a", "b"],
        ),
        (
            r#"$[[ inputs.env ]] == "prod" || $[[ inputs.env ]] == "stage""#,
            &["env"],
        ),
        (
            r#"($[[ inputs.a ]] == "x" && $[[ inputs.b ]] == "y") || $[[ inputs.c ]] == "z""#,
            &["a", "b", "c"],
        ),
        (
            r#"$[[ inputs.region ]] == "us" && $CI_COMMIT_BRANCH == "main""#,
            &["region"],
        ),
    ];
    for (source, expected) in cases {
        assert_eq!(parse(source).unwrap().input_names(), expected, "{source}");
    }
}

#[test]
fn variable_names_in_order() {
    let expression = parse("$B == $A || !$B && $C =~ /x./").unwrap();
    assert_eq!(expression.variable_names(), ["B", "A", "C"]);
}

/// A regex stored in a variable is compiled, but variables inside a regex literal are not
/// expanded.
#[test]
fn regex_in_variable_vs_literal() {
    let j1 = [
        ("pattern", "/^ab.*/"),
        ("string1", "j1"),
        ("teststring", "abcde"),
    ];
    let j2 = [
        ("pattern", "/^ab.*/"),
        ("string1", "j1"),
        ("teststring", "fghij"),
    ];
    let j3 = [
        ("pattern", "/^ab.*/"),
        ("string1", "j1"),
        ("CI_JOB_NAME", "j3"),
    ];
    assert!(truthy("$teststring =~ $pattern", &j1[..]));
    assert!(!truthy("$teststring =~ $pattern", &j2[..]));
    assert!(!truthy("$CI_JOB_NAME =~ /$string1/", &j3[..]));
}

/// Empty and undefined variables differ, and `&&` and `||` return an operand.
#[test]
fn empty_and_undefined_rules() {
    let variables = [("EMPTY", ""), ("SET", "yes")];
    let cases = [
        ("$EMPTY", false),
        (r#"$EMPTY == """#, true),
        ("$UNSET == null", true),
        ("$EMPTY && $SET", true),
        ("$EMPTY || $SET", false),
        (r#"($EMPTY == "") && $SET"#, true),
    ];
    for (source, expected) in cases {
        assert_eq!(truthy(source, &variables[..]), expected, "{source}");
    }
}

/// `&&` binds tighter than `||`.
#[test]
fn precedence_or_of_and() {
    let source = r#"$A == "1" || $B == "1" && $C == "1""#;
    let first = [("A", "1"), ("B", "0"), ("C", "0")];
    let second = [("A", "0"), ("B", "1"), ("C", "0")];
    assert!(truthy(source, &first[..]));
    assert!(!truthy(source, &second[..]));
}

/// Each of these makes the configuration invalid.
#[test]
fn syntax_errors_from_spec() {
    let cases = [
        r#"$BRANCH == main"#,
        "$X =~ issue-/.*/",
        r#"${X} == "a""#,
        "$X =~ /./",
    ];
    for source in cases {
        let error = parse(source).unwrap_err();
        assert_eq!(error.message(), "Invalid expression syntax", "{source}");
    }
}

#[test]
fn error_positions() {
    let cases = [
        (r#"$BRANCH == main"#, 11..15),
        ("$X =~ issue-/.*/", 6..16),
        (r#"${X} == "a""#, 0..4),
        ("$X =~ /./", 6..9),
        ("$A == (\"x\"", 6..7),
        ("$A == \"x\")", 9..10),
        ("$A $B", 3..5),
        ("$A ==", 3..5),
        ("$A =~ /a{1001}/", 6..15),
        ("  ", 0..2),
    ];
    for (source, span) in cases {
        assert_eq!(parse(source).unwrap_err().span(), span, "{source:?}");
    }
}

#[test]
fn error_display() {
    let cases = [
        (
            "$A == main",
            "Invalid expression syntax: Unknown lexeme found!",
        ),
        ("", "Invalid expression syntax: Empty expression"),
        ("()", "Invalid expression syntax: Empty parse tree"),
        ("$A )", "Invalid expression syntax: Unmatched parenthesis"),
        (
            "$A =~ /((/",
            "Invalid expression syntax: Invalid regular expression!",
        ),
        (
            "$A $B",
            "Invalid expression syntax: Unreachable nodes in parse tree",
        ),
        ("== $A", "Invalid expression syntax: Invalid left operand"),
        ("!", "Invalid expression syntax: Invalid operand"),
        (
            "($A",
            "Invalid expression syntax: Unprocessable token found in parse tree: parenthesis_open",
        ),
    ];
    for (source, expected) in cases {
        assert_eq!(
            parse(source).unwrap_err().to_string(),
            expected,
            "{source:?}"
        );
    }
}

#[test]
fn token_limit_at_99_parses() {
    // `$A == "x"` is three tokens; 24 of them joined by 23 `||` are 95 tokens, plus 4 more.
    let mut source = vec![r#"$A == "x""#; 24].join(" || ");
    source.push_str(" || $B || $C");
    assert_eq!(tokenize(&source, 99).unwrap().len(), 99);
    assert!(parse(&source).is_ok());
}

#[test]
fn token_limit_at_100_fails() {
    let mut source = vec![r#"$A == "x""#; 24].join(" || ");
    source.push_str(" || $B || !$C");
    assert_eq!(tokenize(&source, 1000).unwrap().len(), 100);
    let error = parse(&source).unwrap_err();
    assert_eq!(error.kind(), &ExprErrorKind::TooManyTokens);
    assert_eq!(error.detail(), "Too many tokens!");
}

#[test]
fn token_limit_follows_limits() {
    let limits = Limits {
        max_expression_tokens: 3,
        ..Limits::default()
    };
    assert!(parse_with_limits("$A == $B", &limits).is_ok());
    assert!(parse_with_limits("$A == !$B", &limits).is_err());
}

#[test]
fn operators_on_null_and_empty() {
    let variables = [("EMPTY", ""), ("X", "x")];
    let cases = [
        ("$UNSET == $ALSO_UNSET", b(true)),
        ("$EMPTY == $UNSET", b(false)),
        (r#"$EMPTY == ''"#, b(true)),
        ("$X == $X", b(true)),
        ("$X != $EMPTY", b(true)),
        ("null == null", b(true)),
        ("$EMPTY || $X", s("")),
        ("$UNSET || $X", s("x")),
        ("$UNSET || null", NULL),
        ("$X && $UNSET", NULL),
        // `=~` with `null` on the right never matches; `!~` always does.
        ("$X =~ null", b(false)),
        ("$X !~ null", b(true)),
        ("$X =~ $UNSET", b(false)),
        ("$X !~ $UNSET", b(true)),
        // A plain string on the right tests whether it contains the left side, and every
        // string contains the empty one.
        (r#""23" =~ "1234""#, b(true)),
        (r#""1234" =~ "23""#, b(false)),
        (r#"$EMPTY =~ "abc""#, b(true)),
        (r#"$UNSET =~ "abc""#, b(true)),
        (r#"$UNSET =~ """#, b(true)),
        (r#"$X !~ "xyz""#, b(false)),
        // An empty text still counts an empty regex match.
        ("$EMPTY =~ /^$/", b(true)),
        ("$UNSET =~ /.*/", b(true)),
        ("$EMPTY =~ /^.+$/", b(false)),
    ];
    for (source, expected) in cases {
        assert_eq!(evaluate(source, &variables[..]), expected, "{source}");
    }
}

/// Each binary operator over each kind of operand: a set, an empty and an undefined variable,
/// a string literal, `null` and a regex literal.
#[test]
fn binary_operator_table() {
    let variables = [("X", "x"), ("E", "")];
    let cases = [
        // `==` and `!=` compare strings and `null`; a regex literal equals no string.
        (r#"$X == "x""#, b(true)),
        (r#"$X != "x""#, b(false)),
        ("$X == $U", b(false)),
        ("$U != $X", b(true)),
        ("$U != null", b(false)),
        ("$E != null", b(true)),
        ("null != null", b(false)),
        (r#""x" == /^x/"#, b(false)),
        (r#""x" != /^x/"#, b(true)),
        // `=~` and `!~` search a regex; an undefined or empty left side is searched as "". A
        // pattern needs at least two characters, so the cases anchor a one-letter search.
        ("$X =~ /^X/", b(false)),
        ("$X =~ /^X/i", b(true)),
        ("$X !~ /^X/", b(true)),
        ("$X !~ /^x/", b(false)),
        ("$U !~ /^x/", b(true)),
        ("$E !~ /^x/", b(true)),
        (r#""ax" =~ /x$/"#, b(true)),
        // `&&` returns its left side when that is `null` or false, else its right side.
        (r#"$X && "y""#, s("y")),
        (r#"$E && "y""#, s("y")),
        (r#"$U && "y""#, NULL),
        ("$U && $U", NULL),
        (r#"null && "y""#, NULL),
        // `||` returns its left side unless that is `null` or false.
        (r#"$X || "y""#, s("x")),
        (r#"$E || "y""#, s("")),
        (r#"$U || "y""#, s("y")),
        ("null || null", NULL),
        ("$U || /^x/", evaluate("/^x/", &variables[..])),
    ];
    for (source, expected) in cases {
        assert_eq!(evaluate(source, &variables[..]), expected, "{source}");
    }
}

/// Comparisons chain from the left, and `&&` binds tighter than `||`.
#[test]
fn chains_and_precedence_table() {
    let variables = [("X", "x"), ("E", "")];
    let cases = [
        (r#""a" == "a" == true"#, b(true)),
        (r#"$X == "x" != false"#, b(true)),
        ("$X == $X == $X", b(false)),
        (r#"$X == "x" && $E == """#, b(true)),
        (r#"$U || $X == "x""#, b(true)),
        (r#"($U || $X) == "x""#, b(true)),
        (r#"$X == "y" || $E == "" && $U"#, NULL),
        (r#"($X == "y" || $E == "") && $U"#, NULL),
        (r#"$X == "x" || $E == "" && $U"#, b(true)),
        (r#"($X == "x" || $E == "") && $U"#, NULL),
    ];
    for (source, expected) in cases {
        assert_eq!(evaluate(source, &variables[..]), expected, "{source}");
    }
}

#[test]
fn not_and_booleans() {
    let variables = [("EMPTY", ""), ("SPACE", "  "), ("X", "x"), ("F", "false")];
    let cases = [
        ("!$UNSET", b(true)),
        ("!$EMPTY", b(true)),
        ("!$SPACE", b(true)),
        ("!$X", b(false)),
        ("!$F", b(false)),
        ("!!$X", b(true)),
        ("!/ab/", b(false)),
        (r#"!($X == "y")"#, b(true)),
        ("!$X == false", b(true)),
        ("$X == true", b(false)),
        ("$F == false", b(true)),
        ("$F != false", b(false)),
        ("$F == true", b(false)),
        ("true == \"true\"", b(true)),
        ("\"false\" != true", b(true)),
        ("true", b(true)),
        ("false || $X", s("x")),
        ("true && $UNSET", NULL),
        ("($X == \"x\") == true", b(true)),
        ("$X =~ false", b(false)),
        ("$X !~ false", b(true)),
    ];
    for (source, expected) in cases {
        assert_eq!(evaluate(source, &variables[..]), expected, "{source}");
    }
}

#[test]
fn regex_flags() {
    let variables = [("V", "Line1\nline2"), ("W", "a\nb"), ("G", "aaa")];
    let cases = [
        ("$V =~ /line1/", false),
        ("$V =~ /line1/i", true),
        ("$V =~ /^line2$/", false),
        ("$V =~ /^line2$/m", true),
        ("$W =~ /a.b/", false),
        ("$W =~ /a.b/s", true),
        ("$W =~ /A.B/is", true),
        ("$G =~ /a+?$/U", true),
        ("$G =~ /(?i)A/", true),
        ("$G =~ /é|a/", true),
        ("$V =~ /LINE\\d/i", true),
    ];
    for (source, expected) in cases {
        assert_eq!(truthy(source, &variables[..]), expected, "{source}");
    }
}

#[test]
fn regex_unicode_case_folding() {
    let variables = [("V", "ÉTÉ")];
    assert!(truthy("$V =~ /été/i", &variables[..]));
}

#[test]
fn regex_perl_classes_are_ascii() {
    let variables = [("V", "é"), ("D", "\u{663}")];
    assert!(!truthy(r"$V =~ /\w/", &variables[..]));
    assert!(!truthy(r"$D =~ /\d/", &variables[..]));
}

#[test]
fn regex_variable_with_flags_and_escaped_slash() {
    let variables = [
        ("TEXT", "Feature/ABC"),
        ("PATTERN", r"/^feature\/abc$/i"),
        ("BAD", "/feature/x"),
    ];
    assert!(truthy("$TEXT =~ $PATTERN", &variables[..]));
    // `/feature/x` has a flag RE2 syntax does not allow, so it is a plain string and the
    // substring rule applies.
    assert!(!truthy("$TEXT =~ $BAD", &variables[..]));
    assert!(truthy(r#""ure/" =~ $BAD"#, &variables[..]));
}

#[test]
fn regex_string_literal_on_right_is_compiled() {
    let variables = [("TEXT", "abc")];
    assert!(truthy(r#"$TEXT =~ "/^a/""#, &variables[..]));
}

#[test]
fn regex_compared_with_equals() {
    assert_eq!(evaluate("/ab/ == /ab/", &NoVariables), b(true));
    assert_eq!(evaluate("/ab/i == /(?i)ab/", &NoVariables), b(true));
    assert_eq!(evaluate(r#""ab" == /ab/"#, &NoVariables), b(false));
}

#[test]
fn runtime_errors() {
    let cases = [
        (r#"/ab/ == "ab""#, 0..12),
        ("/ab/ != null", 0..12),
        ("$A =~ true", 6..10),
        ("$A =~ ($B == $C)", 7..15),
        ("/ab/ =~ /cd/", 0..4),
    ];
    for (source, span) in cases {
        let error = parse(source).unwrap().evaluate(&NoVariables).unwrap_err();
        assert!(!error.is_syntax_error(), "{source}");
        assert_eq!(error.span(), span, "{source}");
    }
}

#[test]
fn runtime_error_messages() {
    let error = parse("$A =~ true").unwrap().validate().unwrap_err();
    assert_eq!(error.message(), "expression evaluation failed");
    assert_eq!(
        error.detail(),
        "the right side of `=~` and `!~` must be a string or a regular expression, not `true`"
    );
}

#[test]
fn runtime_errors_are_no_match() {
    assert!(!parse("$A =~ true").unwrap().truthy(&NoVariables));
}

#[test]
fn runtime_error_skipped_by_short_circuit() {
    assert_eq!(evaluate("false && ($A =~ true)", &NoVariables), b(false));
}

#[test]
fn validate_accepts_ordinary_expressions() {
    let expression = parse(r#"$CI_COMMIT_BRANCH == "main" && $X =~ /ab/"#).unwrap();
    assert!(expression.validate().is_ok());
}

#[test]
fn no_nested_expansion() {
    let variables = [("A", "$B"), ("B", "x")];
    assert!(truthy(r#"$A == "$B""#, &variables[..]));
    assert!(!truthy(r#"$A == "x""#, &variables[..]));
}

#[test]
fn variable_to_variable_comparison() {
    let variables = [
        ("CI_COMMIT_BRANCH", "main"),
        ("CI_DEFAULT_BRANCH", "main"),
        ("OTHER", "dev"),
    ];
    assert!(truthy(
        "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
        &variables[..]
    ));
    assert!(truthy("$CI_COMMIT_BRANCH != $OTHER", &variables[..]));
}

#[test]
fn trace_lists_reads_in_order() {
    let variables = [("A", "1"), ("C", "3")];
    let expression = parse(r#"$A == "1" || $B == "2""#).unwrap();
    let evaluation = expression.evaluate_traced(&variables[..]);
    assert!(evaluation.is_match());
    assert_eq!(
        evaluation.reads,
        vec![Read {
            name: "A".into(),
            source: ReadSource::Variable,
            value: s("1"),
            span: 0..2,
        }],
        "`||` does not evaluate its right side when the left one is true"
    );
}

#[test]
fn trace_records_undefined_as_null() {
    let expression = parse("$C && $B").unwrap();
    let evaluation = expression.evaluate_traced(&[("C", "3")][..]);
    let values: Vec<_> = evaluation.reads.iter().map(|r| r.value.clone()).collect();
    assert_eq!(values, vec![s("3"), NULL]);
}

#[test]
fn variables_from_every_container() {
    let source = r#"$A == "1""#;
    let mut hash = HashMap::new();
    hash.insert("A".to_owned(), "1".to_owned());
    let mut index = IndexMap::new();
    index.insert("A".to_owned(), "1".to_owned());
    let mut btree = BTreeMap::new();
    btree.insert("A", "1");
    let pairs = vec![
        ("A".to_owned(), "0".to_owned()),
        ("A".to_owned(), "1".to_owned()),
    ];
    assert!(truthy(source, &hash));
    assert!(truthy(source, &index));
    assert!(truthy(source, &btree));
    assert!(truthy(source, &pairs), "the last pair with a name wins");
    assert!(truthy(source, &pairs[..]));
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("$A".to_owned()),
            Just("$EMPTY".to_owned()),
            Just("\"x\"".to_owned()),
            Just("''".to_owned()),
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("/a.b/i".to_owned()),
            Just("/(/".to_owned()),
            Just("$[[ inputs.x ]]".to_owned()),
            Just("==".to_owned()),
            Just("!=".to_owned()),
            Just("=~".to_owned()),
            Just("!~".to_owned()),
            Just("&&".to_owned()),
            Just("||".to_owned()),
            Just("!".to_owned()),
            Just("(".to_owned()),
            Just(")".to_owned()),
            "[ -~é\n]{0,4}",
        ]
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(source in "\\PC{0,80}") {
            let variables = [("A", "a/b"), ("EMPTY", ""), ("B", "/x+/")];
            if let Ok(expression) = parse(&source) {
                let _ = expression.evaluate_traced(&variables[..]);
                let _ = expression.validate();
            }
        }

        #[test]
        fn token_soup_never_panics(parts in proptest::collection::vec(fragment(), 0..40)) {
            let source = parts.join(" ");
            let variables = [("A", "/[a-z]+/"), ("EMPTY", "")];
            match parse(&source) {
                Ok(expression) => {
                    let _ = expression.evaluate_traced(&variables[..]);
                }
                Err(error) => {
                    prop_assert!(error.span().end <= source.len());
                    prop_assert!(source.is_char_boundary(error.span().start));
                    prop_assert!(source.is_char_boundary(error.span().end));
                }
            }
        }
    }
}
