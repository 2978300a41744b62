//! Differential test of `glplan::re2` against real RE2.
//!
//! GitLab compiles user regexes with RE2, and glplan emulates RE2 by translating patterns for the
//! `regex` crate. This test runs the same patterns and inputs through RE2 (the PyPI package
//! `google-re2`, imported as `re2`) and through `glplan::re2::Regex`, and requires the same
//! verdict: both reject the pattern, or both accept it and agree on whether an unanchored
//! search finds a match in every input. Known differences are listed in
//! [`EXPECTED_DIFFERENCES`]; the test fails both on a new difference and on a listed one that
//! no longer differs.
//!
//! Without the Python module the test prints a notice and passes, unless
//! `GLPLAN_REQUIRE_ORACLES=1` is set, as CI does, which makes it fail.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::type_complexity,
    reason = "test helpers fail the test on a broken fixture or oracle"
)]

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

/// Reads `{"pattern", "inputs"}` cases from stdin and prints, per case, whether RE2 compiles the
/// pattern and whether `search` finds a match in each input.
const ORACLE_SCRIPT: &str = r#"
import json, sys, re2
options = re2.Options()
options.log_errors = False
results = []
for case in json.load(sys.stdin):
    try:
        regex = re2.compile(case["pattern"], options=options)
    except re2.error as error:
        results.append({"ok": False, "error": str(error)})
        continue
    results.append({"ok": True, "matches": [regex.search(t) is not None for t in case["inputs"]]})
json.dump(results, sys.stdout)
"#;

/// Patterns on which glplan knowingly disagrees with RE2, with the reason.
const EXPECTED_DIFFERENCES: &[(&str, &str)] = &[
    (
        r"a\Cb",
        "`\\C` matches one byte in RE2 and one character here, so `a\\Cb` matches `aéb` here only",
    ),
    (
        r"a\C\Cb",
        "`\\C` matches one byte in RE2 and one character here, so two `\\C` cannot match `é`",
    ),
    (
        NESTED_300,
        "the `regex` crate rejects nesting deeper than 250 levels; RE2 has no such limit",
    ),
];

/// A pattern with 300 nested groups.
const NESTED_300: &str = concat!(
    "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((",
    "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((",
    "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((",
    "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((",
    "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((",
    "a",
    "))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))",
    "))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))",
    "))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))",
    "))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))",
    "))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))",
);

/// Patterns whose behaviour is easy to get wrong, each with inputs that tell the engines apart.
fn fixed_cases() -> Vec<(String, Vec<String>)> {
    let table: &[(&str, &[&str])] = &[
        // Perl classes are ASCII in RE2; `\s` leaves out `\v`.
        (r"\d", &["\u{663}", "5", "x"]),
        (r"\D", &["\u{663}", "5"]),
        (r"\w", &["é", "a", "_", "-"]),
        (r"\W", &["é", "a"]),
        (r"\s", &["\u{b}", " ", "\t", "\u{a0}", "\u{85}"]),
        (r"\S", &["\u{b}", " "]),
        (r"[[:space:]]", &["\u{b}", " "]),
        (r"[\s\d]", &["\u{b}", "1", "\u{663}"]),
        (r"[^\s]", &["\u{b}", " "]),
        (r"\bé", &["é", " é", "aé"]),
        (r"a\b", &["aé", "a", "a b"]),
        (r"a\B", &["aé", "a", "ab"]),
        // RE2 searches bytes, so `\B` is also true between the two bytes of `é`.
        (r"\B", &["aéb", "a b", "ab"]),
        (r"x*\B", &["aéb", "a b"]),
        (r"(?:\B|z)", &["aéb"]),
        (r"^\B", &["é"]),
        // Case folding stays Unicode-aware, also for ASCII classes.
        (r"(?i)\w", &["\u{212a}", "\u{17f}", "-"]),
        (r"(?i)\W", &["\u{212a}", "\u{17f}", "-"]),
        (r"(?i)k", &["\u{212a}", "K"]),
        (r"(?i)[^k]", &["\u{212a}", "x"]),
        (r"(?i)é", &["É"]),
        (r"(?i)σ", &["ς", "Σ"]),
        (r"(?i)ǆ", &["Ǆ", "ǅ"]),
        (r"(?i)[[:lower:]]", &["A", "1"]),
        (r"(?i)\p{Lu}", &["a", "1"]),
        (r"(?i)\P{Lu}", &["A", "a", "1"]),
        // Unicode classes: RE2's names, and `C` without unassigned code points.
        (r"\pL", &["é", "1"]),
        (r"\p{Greek}", &["α", "a"]),
        (r"\p{^Greek}", &["α", "a"]),
        (r"\P{^Greek}", &["α", "a"]),
        (r"\p{Any}", &["", "x"]),
        (r"\P{Any}", &["", "x"]),
        (r"\pC", &["\u{378}", "\u{ad}", "\u{1}", "\u{e000}", "a"]),
        (r"\PC", &["\u{378}", "a", "\u{1}"]),
        (r"\p{Cs}", &["a", "\u{e000}"]),
        (r"\p{Co}", &["\u{e000}", "a"]),
        (r"[\pL\d]", &["é", "1", "-"]),
        (r"[^\PL]", &["é", "1"]),
        (r"[\pL-z]", &["-", "z", "é", "1"]),
        (r"\p{greek}", &[]),
        (r"\p{Letter}", &[]),
        (r"\p{Grek}", &[]),
        (r"\p{Cn}", &[]),
        (r"\p{LC}", &[]),
        (r"\p{ L}", &[]),
        (r"\p{L", &[]),
        (r"\p", &[]),
        (r"\p{}", &[]),
        (r"\p{^}", &[]),
        (r"\pLu", &["Au", "A"]),
        (r"\pZ", &[" ", "a"]),
        (r"\p{Common}", &["1", "a"]),
        (r"\p{Inherited}", &["\u{301}", "a"]),
        (r"\p{Old_Italic}", &["\u{10300}", "a"]),
        // POSIX classes.
        (r"[[:alpha:]]", &["a", "é", "1"]),
        (r"[[:^alpha:]]", &["a", "é", "1"]),
        (r"[[:word:]]", &["_", "é"]),
        (r"[[:punct:]]", &["!", "`", "~", "a", "\u{a1}"]),
        (r"[[:print:]]", &[" ", "\u{7f}"]),
        (r"[[:graph:]]", &[" ", "~"]),
        (r"[[:cntrl:]]", &["\u{7f}", "\u{1f}", " "]),
        (r"[[:blank:]]", &["\t", "\n"]),
        (r"[[:xdigit:]]", &["f", "g"]),
        (r"[[:ascii:]]", &["\u{7f}", "\u{80}"]),
        (r"[[:foo:]]", &[]),
        (r"[[:alpha:]", &[]),
        (r"[[:alpha]]", &["a]", "a", ":]"]),
        (r"[[:alpha:]-z]", &["-", "z", "1"]),
        (r"[a-[:alpha:]]", &[]),
        (r"[[:a]b:]]", &[]),
        (r"[[=a=]]", &["=", "a"]),
        // Class syntax.
        (r"[]a]", &["]", "a", "b"]),
        (r"[^]a]", &["]", "a", "b"]),
        (r"[]", &[]),
        (r"[^]", &[]),
        (r"[a", &[]),
        (r"[a-Z]", &[]),
        (r"[a-\d]", &[]),
        (r"[\d-z]", &["-", "5", "z", "y"]),
        (r"[a-b-c]", &["-", "c", "b"]),
        (r"[a--b]", &[]),
        (r"[a-]", &["-", "a"]),
        (r"[-a]", &["-", "a"]),
        (r"[a&&b]", &["&", "a", "c"]),
        (r"[a~~b]", &["~", "b"]),
        (r"[[]", &["["]),
        (r"[\]]", &["]"]),
        (r"[\\]", &["\\"]),
        (r"[\-]", &["-"]),
        (r"[\b]", &[]),
        (r"[\Qa]", &[]),
        (r"[\E]", &[]),
        (r"[\n]", &["\n", "n"]),
        (r"[^\n]", &["\n", "n"]),
        (r"[^a]", &["\n", "a"]),
        (r"[\x41-\x5A]", &["Q", "q"]),
        (r"[\101-\132]", &["Q", "q"]),
        (r"[z-\x{7A}]", &["z"]),
        (r"[\x{10FFFF}-\x{0}]", &[]),
        (r"[\x{D800}-\x{E000}]", &["\u{e000}", "\u{d7ff}"]),
        (r"[\x{D800}-\x{DFFF}]", &["a"]),
        (r"[^\x{D800}-\x{DFFF}]", &["a"]),
        (r"[\x00-\x{10FFFF}]", &["a", ""]),
        (r"[\é]", &[]),
        (r"[\pL-z]", &["-"]),
        (r"[a-\pL]", &[]),
        (r"[\v\a]", &["\u{b}", "\u{7}", "v"]),
        // Escapes.
        (r"\0", &["\u{0}", "0"]),
        (r"\01", &["\u{1}"]),
        (r"\101", &["A"]),
        (r"\400", &["\u{100}"]),
        (r"\1", &[]),
        (r"\18", &[]),
        (r"\8", &[]),
        (r"\x41", &["A"]),
        (r"\x4", &[]),
        (r"\x{}", &[]),
        (r"\x{41}", &["A"]),
        (r"\x{110000}", &[]),
        (r"\x{10FFFF}", &["\u{10ffff}"]),
        (r"\x{D800}", &["a", ""]),
        (r"\x{D7FF}", &["\u{d7ff}"]),
        (r"\u0041", &[]),
        (r"\e", &[]),
        (r"\Z", &[]),
        (r"\G", &[]),
        (r"\cA", &[]),
        (r"\N{DIGIT ONE}", &[]),
        (r"\h", &[]),
        (r"\R", &[]),
        (r"\X", &[]),
        (r"\K", &[]),
        (r"\k<n>", &[]),
        (r"\E", &[]),
        (r"a\E", &[]),
        (r"\é", &[]),
        (r"\_", &["_"]),
        (r"\-", &["-"]),
        (r"\ ", &[" "]),
        (r"\#", &["#"]),
        (r"\<", &["<"]),
        (r"\%", &["%"]),
        ("\\\t", &["\t"]),
        ("\\\u{1}", &["\u{1}"]),
        (r"\\", &["\\"]),
        ("\\", &[]),
        (r"\a\f\v\t\n\r", &["\u{7}\u{c}\u{b}\t\n\r"]),
        (r"\A\z", &["", "a"]),
        (r"\Aa", &["ba", "a"]),
        (r"a\z", &["ab", "a", "a\n"]),
        (r"\C", &["é", "a", ""]),
        (r"a\Cb", &["aéb", "axb"]),
        (r"a\C\Cb", &["aéb", "axyb"]),
        // \Q...\E.
        (r"\Qa.b", &["a.b", "axb"]),
        (r"\Qa.b\E+", &["a.bbb", "a.b"]),
        (r"\Qab)", &["ab)"]),
        (r"\Qa\\E", &["a\\"]),
        (r"\Qa\\\E", &["a\\", "a\\\\"]),
        (r"\Q(?i)\Ea", &["(?i)a", "(?i)A"]),
        (r"\Q\E*", &[]),
        (r"a\Q\E*", &["aaa", ""]),
        (r"a*\Q\E*", &["", "aa"]),
        (r"a*\Q\E+", &["", "aa"]),
        (r"\Q", &["", "x"]),
        (r"\Qa\E\E", &[]),
        // Repetition.
        (r"a**", &[]),
        (r"a*+", &[]),
        (r"a++", &[]),
        (r"a?+", &[]),
        (r"a*?", &["", "a"]),
        (r"a*??", &[]),
        (r"a{2}{3}", &[]),
        (r"a*{1001}", &[]),
        (r"(?i){1001}", &[]),
        (r"a{2}*", &[]),
        (r"x{0}{2}", &[]),
        (r"^*", &["", "a"]),
        (r"$+", &["", "a"]),
        (r"\b*", &["", "a"]),
        (r"(?i)*", &[]),
        (r"a(?i)*b", &["aaB", "B", "Ab"]),
        (r"a*(?i)*", &["", "A"]),
        (r"*a", &[]),
        (r"a|*", &[]),
        (r"(*)", &[]),
        (r"a{,5}", &["a{,5}", "a"]),
        (r"a{", &["a{"]),
        (r"a{1,2", &["a{1,2", "a"]),
        (r"a{ 1}", &["a{ 1}", "a"]),
        (r"a{01}", &["a{01}", "a"]),
        (r"a{001}", &["a{001}", "a"]),
        (r"a{0}", &["", "b"]),
        (r"ba{0}c", &["bc", "bac"]),
        (r"a{99999999999}", &["a{99999999999}", "a"]),
        (r"a{999999999}", &[]),
        (r"a{100000000}", &[]),
        (r"a{1000}", &["a"]),
        (r"a{1001}", &[]),
        (r"a{1000,}", &["a"]),
        (r"a{1001,}", &[]),
        (r"x{2,1}", &[]),
        (r"x{1,1001}", &[]),
        (r"x{0,1000}", &["", "x"]),
        (r"a{2,}", &["a", "aa"]),
        (r"a{1,2}?", &["a"]),
        (r"(a{10}){100}", &["a"]),
        (r"(a{10}){101}", &[]),
        (r"(a{2,}){501}", &[]),
        (r"(a{0}){1000}", &[""]),
        (r"(a{0}){1001}", &[]),
        (r"(?:a{100}){11}", &[]),
        (r"((a{10}){10}){10}", &["a"]),
        (r"((a{10}){10}){11}", &[]),
        (r"(a*){1000}", &["", "a"]),
        (r"(x{2}|y){500}", &["y"]),
        (r"(x{2}|y){501}", &[]),
        (r"((x){2}){501}", &[]),
        (r"(a{1}){1000}", &["a"]),
        (r"((a{1}){1}){1000}", &["a"]),
        (r"a{1000}{1}", &[]),
        (r"\pL{1000}", &["a"]),
        (r"(\pL{100}){10}", &["a"]),
        (r"[a-z]{1000}", &["a"]),
        (r"\w{1000}", &["a"]),
        (r"(abc|def){1000}", &["abc"]),
        // Groups and flags.
        (r"(", &[]),
        (r")", &[]),
        (r"a)", &[]),
        (r"(?i)a)", &[]),
        (r"()", &["", "a"]),
        (r"(|)", &[""]),
        (r"|", &[""]),
        (r"a|", &["", "b"]),
        (r"(?)", &["", "a"]),
        (r"(?)a", &["a", "b"]),
        (r"(?:)", &[""]),
        (r"(?ii)a", &["A"]),
        (r"(?i-i)a", &["A", "a"]),
        (r"(?i)(?-i)a", &["A", "a"]),
        (r"(?-i)a", &["A"]),
        (r"(?i-)a", &[]),
        (r"(?-)a", &[]),
        (r"(?--i)a", &[]),
        (r"(?i-s-m)a", &[]),
        (r"(?x)a", &[]),
        (r"(?u)a", &[]),
        (r"(?R)a", &[]),
        (r"(?imsU)a", &["A"]),
        (r"(?i:a|b)c", &["Bc", "BC"]),
        (r"(?i-s:a.)", &["A\n", "Ax"]),
        (r"(?s).", &["\n"]),
        (r".", &["\n", "x", ""]),
        (r"(?U)a+", &["a"]),
        (r"(?m)^a$", &["b\na\nc", "ba"]),
        (r"^a$", &["b\na\nc", "a"]),
        (r"a$", &["a\n", "a"]),
        (r"(?m)a$", &["a\n"]),
        (r"^$", &["", "\n"]),
        (r"(?m)^$", &["a\n", "a"]),
        (r"((?i))a", &["A", "a"]),
        (r"(?:(?i)a)a", &["AA", "Aa"]),
        (r"a(?i)|b", &["B", "A", "a"]),
        (r"a(?i)b|c", &["aB", "C", "AB"]),
        (r"(?i", &[]),
        (r"(?", &[]),
        (r"(?P", &[]),
        (r"(?P<", &[]),
        (r"(?<", &[]),
        (r"(?<n", &[]),
        (r"(?i:", &[]),
        (r"(?=a)", &[]),
        (r"(?!a)", &[]),
        (r"(?<=a)", &[]),
        (r"(?<!a)", &[]),
        (r"(?#c)", &[]),
        (r"(?P=n)", &[]),
        (r"(?P>n)", &[]),
        (r"(?'n'a)", &[]),
        (r"(?P<n>a)", &["a"]),
        (r"(?<n>a)", &["a"]),
        (r"(?P<1>a)", &["a"]),
        (r"(?P<_1>a)", &["a"]),
        (r"(?P<n>a)(?P<n>b)", &["ab"]),
        (r"(?P<é>a)", &["a"]),
        (r"(?P<x\u{301}>a)", &[]),
        ("(?P<x\u{301}>a)", &["a"]),
        ("(?P<\u{663}>a)", &["a"]),
        ("(?P<x\u{b2}>a)", &[]),
        ("(?P<x\u{200d}>a)", &[]),
        (r"(?P<a-b>a)", &[]),
        (r"(?P<a.b>a)", &[]),
        (r"(?P<a b>a)", &[]),
        (r"(?P<>a)", &[]),
        (r"(?<>a)", &[]),
        (r"(?P<n", &[]),
        (r"(?P<n>", &[]),
        (r"(?P<name>)", &[""]),
        // Literals that are syntax in the `regex` crate but not in RE2.
        (r"a#b", &["a#b"]),
        (r"a b", &["a b", "ab"]),
        (r"&&", &["&&"]),
        (r"~", &["~"]),
        (r"}", &["}"]),
        (r"a}", &["a}"]),
        (r"]", &["]"]),
        (r"-", &["-"]),
        // Anchored and unanchored search.
        (r"", &["", "a"]),
        (r"b", &["abc", "ac"]),
        (r"^ab", &["xab", "abx"]),
        (r"bc$", &["abc", "bcd"]),
        (r"var.*e$", &["my variable", "my variables"]),
        (r"^var.*", &["my variable"]),
        (r"path/variable", &["a/path/variable/value"]),
        (r"$string1", &["j1", "$string1"]),
    ];
    let mut cases: Vec<(String, Vec<String>)> = table
        .iter()
        .map(|(pattern, inputs)| {
            let inputs = inputs.iter().map(|s| (*s).to_owned()).collect();
            ((*pattern).to_owned(), inputs)
        })
        .collect();

    // Deep nesting: RE2 has no nesting limit below these depths.
    for depth in [50, 200] {
        let open = "(".repeat(depth);
        let close = ")".repeat(depth);
        cases.push((format!("{open}a{close}"), vec!["a".to_owned()]));
    }
    cases.push((NESTED_300.to_owned(), vec!["a".to_owned()]));
    cases
}

/// A small deterministic generator (xorshift64*), so the random cases are the same on every
/// run and a failure can be reproduced.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items
            .get(self.below(items.len()))
            .copied()
            .unwrap_or_default()
    }
}

const ATOMS: &[&str] = &[
    "a",
    "b",
    "A",
    "k",
    "é",
    "1",
    ".",
    r"\d",
    r"\D",
    r"\w",
    r"\W",
    r"\s",
    r"\S",
    r"\b",
    r"\B",
    "^",
    "$",
    r"\A",
    r"\z",
    "[a-c]",
    "[^a]",
    "[[:alpha:]]",
    "[[:^digit:]]",
    r"[\w-]",
    r"[\d\s]",
    r"\pL",
    r"\p{Lu}",
    r"\PN",
    r"\p{Greek}",
    r"\Qa.b\E",
    r"\x41",
    r"\x{e9}",
    r"\101",
    r"\0",
    r"\.",
    r"\-",
    "(?i)",
    "(?s)",
    "(?m)",
    "(?U)",
    "(?-i)",
    "{",
    "}",
    r"\n",
    " ",
    "#",
    "&&",
    "~",
    r"\pC",
    "[]a]",
    "[a-]",
    r"\Q\E",
    "(?)",
    r"\t",
];

const REPEATS: &[&str] = &[
    "*", "+", "?", "*?", "+?", "??", "{2}", "{1,3}", "{2,}", "{0}", "{,2}", "{01}", "{3}?",
];

const BROKEN: &[&str] = &[
    "(",
    ")",
    "[",
    "\\",
    "(?=a)",
    r"\1",
    "(?P=n)",
    "**",
    "{1001}",
    "{3}{2}",
    "[z-a]",
    "(?x)",
    r"\Z",
    "[[:nope:]]",
    r"\p{Nope}",
    "(?P<>x)",
];

const INPUT_PIECES: &[&str] = &[
    "a", "b", "A", "B", "k", "K", "\u{212a}", "\u{17f}", "s", "é", "É", "1", "\u{663}", " ", "\n",
    "\t", "\u{b}", "_", "-", ".", "{", "}", "#", "&", "~", "]", "α", "Σ", "\u{378}", "\u{e000}",
];

fn random_expression(rng: &mut Rng, depth: u32) -> String {
    let parts = 1 + rng.below(3);
    let mut pattern = String::new();
    for _ in 0..parts {
        let mut piece = match rng.below(10) {
            0 | 1 if depth < 3 => {
                let inner = random_expression(rng, depth + 1);
                let open = rng.pick(&["(", "(?:", "(?P<n>", "(?i:", "(?-s:"]);
                format!("{open}{inner})")
            }
            2 if depth < 3 => {
                let left = random_expression(rng, depth + 1);
                let right = random_expression(rng, depth + 1);
                format!("{left}|{right}")
            }
            3 if rng.below(4) == 0 => rng.pick(BROKEN).to_owned(),
            _ => rng.pick(ATOMS).to_owned(),
        };
        if rng.below(3) == 0 {
            piece.push_str(rng.pick(REPEATS));
        }
        pattern.push_str(&piece);
    }
    pattern
}

fn random_input(rng: &mut Rng) -> String {
    (0..rng.below(7)).map(|_| rng.pick(INPUT_PIECES)).collect()
}

fn random_cases(count: usize) -> Vec<(String, Vec<String>)> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..count)
        .map(|_| {
            let pattern = random_expression(&mut rng, 0);
            let inputs = (0..6).map(|_| random_input(&mut rng)).collect();
            (pattern, inputs)
        })
        .collect()
}

/// Verdict of one engine on one pattern.
#[derive(Debug, PartialEq)]
enum Verdict {
    Rejected,
    Matches(Vec<bool>),
}

fn glplan_verdict(pattern: &str, inputs: &[String]) -> Verdict {
    match glplan::re2::Regex::new(pattern) {
        Err(_) => Verdict::Rejected,
        Ok(regex) => Verdict::Matches(inputs.iter().map(|t| regex.is_match(t)).collect()),
    }
}

/// Runs the cases through RE2 in a Python process.
fn oracle_verdicts(cases: &[(String, Vec<String>)]) -> Result<Vec<Verdict>, String> {
    let request: Vec<Value> = cases
        .iter()
        .map(|(pattern, inputs)| json!({"pattern": pattern, "inputs": inputs}))
        .collect();
    let body = serde_json::to_vec(&request).map_err(|e| format!("cases serialize: {e}"))?;
    let mut child = Command::new("python3")
        .args(["-c", ORACLE_SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("python3 failed to start: {e}"))?;
    child
        .stdin
        .take()
        .ok_or("python3 has no stdin")?
        .write_all(&body)
        .map_err(|e| format!("writing the cases to python3 failed: {e}"))?;
    let output = child
        .wait_with_output()
        .map_err(|e| format!("python3 failed: {e}"))?;
    if !output.status.success() {
        return Err(format!("the RE2 oracle script failed: {}", output.status));
    }
    let results: Vec<Value> = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("the RE2 oracle printed invalid JSON: {e}"))?;
    results
        .iter()
        .map(|result| {
            if result["ok"].as_bool() != Some(true) {
                return Ok(Verdict::Rejected);
            }
            let matches = result["matches"]
                .as_array()
                .ok_or("the RE2 oracle printed no `matches` array")?;
            Ok(Verdict::Matches(
                matches.iter().map(|m| m.as_bool() == Some(true)).collect(),
            ))
        })
        .collect()
}

fn re2_module_available() -> bool {
    Command::new("python3")
        .args(["-c", "import re2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

#[test]
fn re2_translation_matches_real_re2() {
    if !re2_module_available() {
        skip_without_oracle("python module re2 not found (pip install google-re2)");
        return;
    }

    let mut cases = fixed_cases();
    let fixed_count = cases.len();
    cases.extend(random_cases(400));
    let oracle = oracle_verdicts(&cases).unwrap();
    assert_eq!(oracle.len(), cases.len(), "one oracle result per case");

    let mut unexpected = Vec::new();
    let mut differing = Vec::new();
    let mut rejected = 0;
    let mut pairs = 0;
    for ((pattern, inputs), expected) in cases.iter().zip(&oracle) {
        let actual = glplan_verdict(pattern, inputs);
        match expected {
            Verdict::Rejected => rejected += 1,
            Verdict::Matches(m) => pairs += m.len(),
        }
        if &actual == expected {
            continue;
        }
        differing.push(pattern.as_str());
        if !EXPECTED_DIFFERENCES.iter().any(|(p, _)| p == pattern) {
            let translated = glplan::re2::translate(pattern);
            unexpected.push(format!(
                "{pattern:?}: RE2 {expected:?}, glplan {actual:?} (translation {translated:?})"
            ));
        }
    }
    let stale: Vec<&str> = EXPECTED_DIFFERENCES
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| !differing.contains(p))
        .collect();

    println!(
        "re2 oracle: {} patterns ({fixed_count} fixed, {} random), {rejected} rejected by RE2, \
         {pairs} pattern-input pairs compared, {} expected differences",
        cases.len(),
        cases.len() - fixed_count,
        differing.len() - unexpected.len(),
    );
    assert!(
        unexpected.is_empty(),
        "glplan disagrees with RE2:\n{}",
        unexpected.join("\n")
    );
    assert!(
        stale.is_empty(),
        "listed as different but now agree with RE2: {stale:?}"
    );
}

/// The differential test, as the child processes below name it.
const TEST_NAME: &str = "re2_translation_matches_real_re2";

/// Skips the test because an oracle is missing, or fails it when `GLPLAN_REQUIRE_ORACLES=1`,
/// which CI sets because it installs every oracle.
fn skip_without_oracle(message: &str) {
    assert!(
        std::env::var_os("GLPLAN_REQUIRE_ORACLES").is_none_or(|value| value != "1"),
        "{message}, and GLPLAN_REQUIRE_ORACLES=1 requires it"
    );
    // Written past the test harness's capture, so that a local run shows the skip.
    let _ = writeln!(std::io::stderr(), "skipped: {message}");
}

/// Runs the test `name` alone in a child process of this test binary with an empty `PATH`, so
/// that no oracle can be found.
fn run_without_oracles(name: &str, require: bool) -> std::process::Output {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([name, "--exact", "--nocapture"])
        .env("PATH", "")
        .env_remove("GLPLAN_REQUIRE_ORACLES");
    if require {
        command.env("GLPLAN_REQUIRE_ORACLES", "1");
    }
    command.output().unwrap()
}

#[test]
fn missing_oracle_skips_locally() {
    let output = run_without_oracles(TEST_NAME, false);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("skipped: "), "{stderr}");
}

#[test]
fn missing_oracle_fails_when_required() {
    let output = run_without_oracles(TEST_NAME, true);
    assert!(!output.status.success());
}
