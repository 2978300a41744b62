//! Differential test of `glplan::yaml::load` against Ruby's Psych, the loader GitLab uses.
//!
//! Every snippet is loaded by Psych with GitLab's arguments
//! (`YAML.safe_load(src, permitted_classes: [Symbol, Reference], permitted_symbols: [],
//! aliases: true)`, with `!reference` registered through `Psych.add_tag`) and by glplan. Both
//! must agree: the same value as JSON, or both fail with the same message. Syntax errors must
//! match word for word, line and column included, because glplan's parser follows libyaml.
//! Ruby exceptions other than Psych's become GitLab's `Invalid YAML syntax`.
//!
//! Values that Ruby's JSON cannot express are converted first: symbols to their names, `NaN`
//! and infinities to `"NaN"`, `"Infinity"` and `"-Infinity"` (as `Node::to_json` does), and a
//! `!reference` to `{"!reference": <value>}`. A blank result (null, `false`, `""`, `[]`,
//! `{}`) is compared with glplan's null body, since GitLab drops blank documents.
//!
//! GitLab splits a file at lines that start with `---` before Psych parses it, so on a few
//! sources the whole-text result differs from GitLab's. These are listed, and on them glplan must
//! agree with the oracle running GitLab's split instead.
//!
//! Without `ruby` on the PATH the test prints a notice and passes, unless
//! `GLPLAN_REQUIRE_ORACLES=1` is set, as CI does, which makes it fail.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test on a broken fixture or oracle"
)]

use std::io::Write;
use std::process::{Command, Stdio};

use glplan::yaml;
use glplan::{Diagnostics, FileId, Limits};
use serde_json::{Value, json};

/// Reads a JSON array of YAML sources from stdin and prints one result per source.
const ORACLE_SCRIPT: &str = r##"
require 'yaml'
require 'json'

class GlplanReference
  attr_reader :data

  def init_with(coder)
    @data = case coder.type
            when :seq then coder.seq
            when :map then coder.map
            else coder.scalar
            end
  end
end
Psych.add_tag('!reference', GlplanReference)

def plain(value)
  case value
  when GlplanReference then { '!reference' => plain(value.data) }
  when Hash then value.each_with_object({}) { |(k, v), h| h[key(k)] = plain(v) }
  when Array then value.map { |v| plain(v) }
  when Symbol then value.to_s
  when Float
    if value.nan? then 'NaN'
    elsif value.infinite? then value.positive? ? 'Infinity' : '-Infinity'
    else value
    end
  else value
  end
end

def key(k)
  case k
  when nil then ''
  when Array, Hash, GlplanReference then JSON.generate(plain(k))
  else k.to_s
  end
end

def psych_result(source)
  value = YAML.safe_load(source, permitted_classes: [Symbol, GlplanReference],
                                 permitted_symbols: [], aliases: true)
  { 'ok' => plain(value) }
rescue Psych::SyntaxError => e
  { 'error' => e.message, 'syntax' => true }
rescue Psych::Exception => e
  { 'error' => e.message }
rescue StandardError => e
  { 'error' => 'Invalid YAML syntax', 'detail' => "#{e.class}: #{e.message}" }
end

# Rails' `blank?`.
def blank?(value)
  return value.strip.empty? if value.is_a?(String)

  value.nil? || value == false || (value.respond_to?(:empty?) && value.empty?)
end

# GitLab's multi-document loader: split the text at lines that start with `---` and
# whitespace, load every piece, drop a blank first piece and blank documents, then take the
# last document as the body after a `spec` header, or else the first.
def gitlab_result(source)
  results = source.split(/^---\s+/, 3).map { |piece| psych_result(piece) }
  failed = results.find { |r| r.key?('error') }
  return failed if failed

  docs = results.map { |r| r['ok'] }.reject { |d| blank?(d) }
  header = docs.length > 1 && docs.first.is_a?(Hash) && docs.first.key?('spec')
  { 'ok' => header ? docs.last : docs.first }
end

results = JSON.parse($stdin.read).map do |source|
  psych_result(source).merge('gitlab' => gitlab_result(source))
end
$stdout.write(JSON.generate(results))
"##;

/// Plain scalars, each loaded as the value of `v:`.
const SCALARS: &[&str] = &[
    "yes",
    "Yes",
    "YES",
    "yEs",
    "no",
    "NO",
    "on",
    "ON",
    "off",
    "Off",
    "true",
    "TRUE",
    "false",
    "y",
    "n",
    "Y",
    "~",
    "null",
    "Null",
    "NULL",
    "nUll",
    "nil",
    "0",
    "00",
    "-0",
    "012345",
    "0755",
    "-0755",
    "08",
    "09",
    "0_7",
    "0,1",
    "+12",
    "-12",
    "0x1F",
    "+0x1F",
    "0x1_F",
    "0xff",
    "0b101",
    "-0b101",
    "0b",
    "0x",
    "0x_",
    "0b_",
    "0o17",
    "1_000",
    "1,000",
    "1,0,0",
    "1__000",
    "1_",
    "1,,0",
    "1:20",
    "1:20:30",
    "-1:20",
    "+1:20",
    "1:70",
    "0:05",
    "12:30:45",
    "1_0:20",
    "1__0:20",
    "1:2:3:4",
    "1:20.5",
    "1:20:30.5",
    "190:20:30",
    "1.10",
    "1.0e+3",
    "1.e+3",
    "1e3",
    "1.0e3",
    "1.5e3",
    "1E+3",
    ".5",
    "-.5",
    "+.5",
    "0.",
    "._5",
    "-.",
    "1.2.3",
    "1_0.5",
    "1,000.5",
    ".e+3",
    ".inf",
    ".Inf",
    ".INF",
    "-.inf",
    "+.inf",
    ".nan",
    ".NaN",
    "1.0e+400",
    ":sym",
    ":\"quoted sym\"",
    ":'a'b",
    ":\"a\"xyz",
    "2021-03-15",
    "2021-3-5",
    "2021-02-30",
    "2021-13-01",
    "2021-03-15x",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "2001-12-14T21:59:43Z",
    "2001-12-14T21:59:43+0530",
    "1.2.3-alpine",
    "echo on",
    "a b",
    "é",
    "+a",
    "-a",
    "=",
    "<<",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "123456789012345678901234567890",
    "-123_456_789_012_345_678_901_234_567_890",
    "+1,000,000,000,000,000,000,000",
    "0xFFFFFFFFFFFFFFFF",
    "-0x1_0000_0000_0000_0000",
    "0b10000000000000000000000000000000000000000000000000000000000000000",
    "01777777777777777777777",
    "-02000000000000000000000",
    "0o1777777777777777777777",
    "2562047788015215:30:08",
    "-2562047788015216:00",
    "99999999999999999999:00:00",
    "1:99999999999999999999",
    "$CI_COMMIT_REF_NAME",
    "16.04",
    "3.10",
    "010.5",
    "1_2.3_4",
];

/// Whole documents.
const DOCUMENTS: &[&str] = &[
    // Quoting and block scalars.
    "a: \"yes\"\nb: '012'\nc: \"~\"\nd: |\n  123\ne: >-\n  true\n",
    "a: \"on\\no\"\nb: \"x\\n\\ny\"\nc: plain\n\n  folded\n",
    "a: !foo \"on\\no\"\nb: !foo \"y\\nx\"\nc: !foo \"no\\n\"\n",
    // Tags.
    "a: !foo x\nb: !foo [1]\nc: !foo {k: v}\n",
    "a: !!str 123\nb: !!str 012\nc: !str x\nd: !ruby/string x\n",
    "a: !!int \"12\"\nb: !!int abc\nc: !!int \"012\"\n",
    "a: !!float 1\nb: !!float \"1e3\"\nc: !!float 0x1A\nd: !!float \" 1_0.5 \"\ne: !float 3\n",
    "a: !!float abc\n",
    "a: !!float\n",
    "a: !!float true\n",
    "a: !!binary aGVsbG8=\nb: !binary \"YWJj\\nZGVm\"\nc: !!binary \"a===b\"\n",
    "a: !!omap [{x: 1}, {y: 2}]\n",
    "a: !!omap [{x: 1, y: 2}, [p, q]]\n",
    "a: !!omap [a]\n",
    "a: !!omap {x: 1}\n",
    "a: !!set [a]\n",
    "a: !!set {x: 1}\n",
    "a: !!bool yes\nb: !!null \"\"\nc: !!map {k: v}\nd: !!seq [1]\n",
    "a: ! \"123\"\nb: ! 'yes'\nc: !foo \"5\"\n",
    "a: !ruby/sym name\nb: !ruby/symbol other\n",
    "a: !ruby/object:Foo bar\n",
    "a: !ruby/object:Foo {x: 1}\n",
    "a: !ruby/object {x: 1}\n",
    "a: !ruby/object:Hash {x: 1}\n",
    "a: !ruby/regexp /x/\n",
    "a: !ruby/range 1..2\n",
    "a: !ruby/struct {x: 1}\n",
    "a: !ruby/exception {x: 1}\n",
    "a: !ruby/hash-with-ivars {elements: {x: 1}}\n",
    "a: !!str {str: x}\n",
    "a: !seq:Foo [1]\n",
    "a: !map:Foo {x: 1}\n",
    "a: !ruby/class Foo\n",
    "a: !ruby/class \"\"\n",
    "a: !str:Foo x\n",
    "a: !ruby/object:BigDecimal 1\n",
    "a: !!timestamp 2001-01-01\n",
    "a: !!timestamp foo\n",
    // `!reference`.
    "a: !reference [.x, script]\nb: !reference a\nc: !reference {k: v}\nd: !reference []\n",
    "a: &r !reference [x]\nb: *r\n",
    "a: &r !reference {k: v}\nb: *r\n",
    // Merge keys.
    ".t: &t\n  image: alpine\n  script: [tmpl]\na:\n  script: [mine]\n  <<: *t\nb:\n  <<: *t\n  script: [mine]\n",
    ".d: &d {image: d}\njob:\n  image: x\n  <<: *d\n",
    "x: &a {p: 1, q: 1}\ny: &b {q: 2, r: 2}\nm: {z: 0, <<: [*a, *b]}\n",
    "x: &a {p: 1}\nm: {<<: [*a, 1]}\n",
    "x: &a {p: 1}\nm: {\"<<\": *a}\n",
    "x: &a {p: 1}\nm: {'<<': *a}\n",
    "x: &a {p: 1}\nm: {!!str <<: *a}\n",
    "x: &a {p: 1}\nm: {!foo <<: *a}\n",
    "m: {<<: 5}\n",
    "m: {<<: {p: 1}, p: 2}\n",
    "x: &a [1]\nm: {<<: *a}\n",
    "x: &a {p: 1}\nm: {p: 0, <<: *a, q: 3, p: 9}\n",
    "m: {<<: !!omap [{p: 1}]}\n",
    "o: &o !!omap [{p: 1}]\nm: {<<: *o}\n",
    "k: &k \"<<\"\ny: &a {p: 1}\nm: {*k : *a}\n",
    "s: &s 5\nm: {<<: *s}\n",
    "x: &a {p: 1}\ny: &b {q: 2}\nm:\n  <<: *a\n  <<: *b\n",
    ".t: &t\n  variables: {A: 1, B: 2}\njob:\n  <<: *t\n  variables: {C: 3}\n",
    "m:\n  <<:\n",
    "x: &a {p: 1}\nm: [{<<: *a, q: 2}]\n",
    // Aliases.
    ".setup: &setup [a, b]\njob:\n  script: [*setup, make]\n",
    "a: &x 1\nb: *x\nc: &x 2\nd: *x\n",
    "a: [*x]\n",
    "a: &x {b: &y [1, 2]}\nc: *y\nd: *x\n",
    // Keys.
    "m: {1: a, 1.0: b, \"1\": c, true: d, yes: e, ~: f, [1, 2]: g, {a: 1}: h}\n",
    "a: 1\na: 2\nb: 3\n",
    ":sym: 1\nsym: 2\n",
    "? [a, b]\n: c\n",
    "? |\n  block key\n: v\n",
    "0755: octal key\n1:20: sexagesimal key\n",
    "123456789012345678901234567890: bignum key\n",
    "a: !!float 123456789012345678901234567890\nb: !!int \"0x10000000000000000\"\n",
    "a: !!str 123456789012345678901234567890\n",
    // Top levels.
    "- a\n- b\n",
    "just text\n",
    "42\n",
    "{}\n",
    "[]\n",
    "''\n",
    "~\n",
    "# only a comment\n",
    "%YAML 1.1\n---\na: 1\n",
    "%YAML 1.2\n---\na: {script: x}\n",
    "---\n...\n",
    "\u{feff}a: 1\n",
    // Syntax errors.
    "a:\n  b: 1\n c: 2\n",
    "a: b: c\n",
    "a: 1\n- b\n",
    "a: [1, 2\nb: 3\n",
    "a: \"x\n",
    "a: {b: 1\n",
    "\ta: 1\n",
    "a: @x\n",
    "a: `x\n",
    "a:\n- b\n  - c\n",
    "a: 1\n b: 2\n",
    "a: 'x\n",
    "a: *\n",
    "a: &\n",
    "a: !<x\n",
    "- a\nb: c\n",
    "{a: 1}}\n",
    "a: |\n  x\n y\n",
    "a: 1\n...\nb: 2\n",
    // Escapes, flow forms and explicit keys.
    "a: \"\\u00e9 \\x41 \\t \\\"\"\nb: 'it''s'\nc: \"\\\n  x\"\n",
    "a: {b, c: , d: 1}\nb: [a, {c: d}, e: f]\n",
    "? a\n? b\n: c\n",
    "a: plain\n  continued\n\n  after blank\n",
    "a: -1\nb: - 1\n",
    "'<<': {a: 1}\n",
    "a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b}\n",
    "job:\n  script:\n    - echo status: ok\n",
    "job:\n  script:\n    - 'echo status: ok'\n",
    "variables:\n  VAR1: 012345\n  VAR2: '012345'\n  VAR3: 1.10\n",
    // Tabs.
    "a:\t1\nb:\t\t[x]\nc: \t-1\n",
    "\ta: 1\n",
    "a:\n\tb: 1\n",
    "a: 1\n\tb: 2\n",
    "- \ta\n",
    "a: [1,\n\t2]\n",
    "a: |\n\tx\n",
    "a: 1 \t# c\n",
    "a: \"x:\ty\"\n",
    "a:\t\t{b: 1}\n",
    "a: [b,\tc]\n",
    "- a\n-\tb\n",
    "a: b\t# c\n",
    "a: x\n\ty\n",
    "a:\n  b\n\tc\n",
    "a:\n\t- b\n",
    // Quoted scalars and flow collections indented less than their key.
    "key:\n  \"multi\n line\"\n",
    "key:\n  'multi\nline'\n",
    "key: \"a\nb\"\n",
    "key: [a,\nb]\n",
    "key: {a: 1,\nb: 2}\n",
    "key:\n  - [a,\n b]\n",
    "a: 'x\n... y'\n",
    // Comments right after flow collections and quoted scalars.
    "[x]# comment\n",
    "a: [x]# comment\n",
    "a: {b: c}# comment\n",
    "a: \"x\"# comment\n",
    "a: x#y\n",
    // Sequences inside mappings.
    "a:\n- b\n- c\nd: e\n",
    "a:\n    - b\n    - c\nd:\n  - e\n",
    "a:\n  - b\n  -  c\n  -   d\n",
    "a:\n  - b: c\n    d: e\n  - f\n",
    "- a\n - b\n",
    "a:\n  - b: c\n   d: e\n",
    // Complex keys.
    "? - a\n  - b\n: - c\n",
    "? a\n",
    "? a: b\n: c\n",
    "[? a : b, c]\n",
    "{? a, b: c}\n",
    "[a: b, c: d]\n",
    "[? ]\n",
    "a:\n  ? b\n  : c\n",
    // Document markers.
    "--- a\n",
    "--- |\n  x\n",
    "a: 1\n...\n",
    "...\na: 1\n",
    "a: ---\n",
    "- ---\n",
    "%YAML 1.1\n",
    "%TAG !e! tag:example.com,2000:\n",
    "%FOO\n",
    // Anchors.
    "&a a: &b b\n*a : *b\n",
    "a: &x-y_z 1\nb: *x-y_z\n",
    "a: &x 1\nb: &x 2\nc: *x\n",
    "&a [a, &b b, *b]\n",
    "a: &anchor\nb: *anchor\n",
    "a: &x !!str x\nb: !!str &y y\nc: [*x, *y]\n",
    "a: &x &y x\n",
    "a: &x, b\n",
    "a: *undefined\n",
    // Block scalar indicators and folding.
    "a: |2-\n   x\n  y\n",
    "a: >+\n  x\n\n",
    "a: |+\n  x\n\nb: 1\n",
    "a: >-\n\n  x\n\n",
    "- |1\n  x\n",
    "a: >\n  folded\n  lines\n\n  next\n   more indented\n  back\n",
    "a: |\n   x\n  y\n",
    "a: |0\n",
    "a: |x\n",
    "a: |-+\n  x\n",
    "a: | # comment\n  x\n",
    "a: plain\n  folded\n\n\n  twice\n",
    // Escapes in double quotes.
    "a: \"\\x41 \\u00e9 \\U0001F600\"\n",
    "a: \"\\N \\_ \\L \\P\"\n",
    "a: \"\\0 \\a \\b \\e \\f \\v \\r \\/ \\ \"\n",
    "a: \"\\q\"\n",
    "a: \"\\xZZ\"\n",
    "a: \"\\uD800\"\n",
    "a: \"a\\\n  b\"\n",
    "a: \"a  \n  b  \n\n  c\"\n",
    // Line breaks other than LF.
    "a: b\r\nc: d\r\n",
    "a: |\r\n  x\r\n  y\r\n",
    "a: b\u{85}c: d\n",
    "a: \"x\u{85}y\"\n",
    "a: x\u{2028}y\n",
    "a: |\n  x\u{2029}\n  y\n",
    // Tags.
    "a: !e!x y\n",
    "a: !<tag:yaml.org,2002:str> 12\n",
    "a: !<!reference> [b]\n",
    "a: !%72eference [b]\n",
    "a: !! x\n",
    "[!foo, b]\n",
    // Error cases.
    "a: [b, c\n",
    "a: {b: [c}\n",
    "a: 'x\n\nb: 1\n",
    "a:\n  b: 1\n    c: 2\n",
    "a: 1\nb\n",
    "a: 'b'c\n",
    "a: [b] c\n",
    "[a:, b]\n",
    "a: - b\n",
    "- a\n-b: c\n  d\n",
    "]\n",
    "a: [a,,b]\n",
    "a: {,}\n",
];

/// Sources on which glplan knowingly disagrees with Psych loading the whole text, with the
/// reason. On these, glplan must agree with GitLab's loader instead: the oracle also splits the
/// text at `---` as GitLab does and loads each piece.
const EXPECTED_DIFFERENCES: &[(&str, &str)] = &[
    (
        "%YAML 1.1\n---\na: 1\n",
        "GitLab splits the text at `---` before Psych sees it, so the directive is parsed \
         alone and fails in GitLab too",
    ),
    (
        "%YAML 1.2\n---\na: {script: x}\n",
        "GitLab splits the text at `---` before Psych sees it, so the directive is parsed \
         alone and fails in GitLab too",
    ),
    (
        "---\n...\n",
        "GitLab splits the text at `---`, so Psych parses `...` alone, a document end marker \
         with no document, and fails",
    ),
];

fn ruby_available() -> bool {
    Command::new("ruby")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run_psych(sources: &[String]) -> Vec<Value> {
    let mut child = Command::new("ruby")
        .args(["-e", ORACLE_SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ruby");
    let input = serde_json::to_vec(sources).unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "ruby failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("ruby prints a JSON array")
}

/// What one loader produced.
#[derive(Debug, PartialEq)]
enum Outcome {
    Value(Value),
    Error { message: String, syntax: bool },
}

fn psych_outcome(result: &Value) -> Outcome {
    if let Some(value) = result.get("ok") {
        let value = if is_blank(value) {
            Value::Null
        } else {
            value.clone()
        };
        return Outcome::Value(value);
    }
    Outcome::Error {
        message: result["error"].as_str().unwrap().to_owned(),
        syntax: result.get("syntax").is_some(),
    }
}

/// Rails' `blank?` on a JSON value.
fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn glplan_outcome(source: &str) -> Outcome {
    let mut diags = Diagnostics::new();
    match yaml::load(FileId(0), source, &Limits::default(), &mut diags) {
        Some(document) => Outcome::Value(document.body.to_json()),
        None => {
            let error = diags.iter().find(|d| d.is_error()).expect("an error");
            Outcome::Error {
                message: error.message.clone(),
                syntax: error.code == "yaml-syntax-error",
            }
        }
    }
}

#[test]
fn psych_agrees() {
    if !ruby_available() {
        skip_without_oracle("ruby not found (apt-get install ruby)");
        return;
    }
    let sources: Vec<String> = SCALARS
        .iter()
        .map(|s| format!("v: {s}\n"))
        .chain(DOCUMENTS.iter().map(|d| (*d).to_owned()))
        .collect();
    let results = run_psych(&sources);
    assert_eq!(results.len(), sources.len());

    let mut unexpected = Vec::new();
    let mut stale = Vec::new();
    for (source, result) in sources.iter().zip(&results) {
        let psych = psych_outcome(result);
        let glplan = glplan_outcome(source);
        let agrees = psych == glplan;
        let listed = EXPECTED_DIFFERENCES.iter().any(|(s, _)| s == source);
        if !agrees && !listed {
            unexpected.push(format!(
                "{source:?}\n  psych:  {psych:?}\n  glplan: {glplan:?}"
            ));
        }
        let gitlab = psych_outcome(&result["gitlab"]);
        if listed && gitlab != glplan {
            unexpected.push(format!(
                "{source:?}\n  gitlab: {gitlab:?}\n  glplan: {glplan:?}"
            ));
        }
        if agrees && listed {
            stale.push(format!("{source:?}"));
        }
    }
    assert!(
        unexpected.is_empty(),
        "glplan disagrees with Psych on {} snippets:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        stale.is_empty(),
        "listed differences that now agree: {}",
        stale.join(", ")
    );
}

#[test]
fn blank_check_matches_rails() {
    assert!(is_blank(&json!({})));
    assert!(is_blank(&json!("  ")));
    assert!(!is_blank(&json!(0)));
}

/// The differential test, as the child processes below name it.
const TEST_NAME: &str = "psych_agrees";

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
