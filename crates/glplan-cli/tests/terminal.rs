//! End-to-end tests of the human-readable outputs on names that contain control characters,
//! East Asian wide characters, emoji and combining marks. No character of the configuration
//! may reach the terminal as a control character, and table columns line up in terminal
//! columns.
//!
//! Each test writes its configuration into a folder of its own under the system's temporary
//! folder, and runs the binary there with colors off unless it tests colors.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "helpers outside #[test] functions fail the test on unexpected output"
)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;
use unicode_width::UnicodeWidthStr;

/// A configuration whose names, values, tags, image and rule contain ESC, BEL, CR, LF and tab
/// (written as YAML double-quoted escapes), wide characters, an emoji and a combining mark.
const CONFIG: &str = r#"stages: ["build\e[31m", "テスト"]
variables:
  "GREETING\x07": "hi\tthere\r\nend\e]0;title\a"
"evil\e[2Jjob":
  stage: "build\e[31m"
  image: "alpine\r"
  tags: ["t\x07ag", "漢字"]
  script: x
"ビルド":
  stage: "テスト"
  script: x
  needs: ["evil\e[2Jjob"]
"e\u0301clair 🦀":
  stage: "テスト"
  script: x
"line\nbreak":
  stage: "テスト"
  script: x
absent:
  stage: "テスト"
  script: x
  rules:
    - if: "$X == \"a\eb\""
"#;

/// The name of the job `evil\e[2Jjob` as the YAML reads, and as the outputs show it.
const EVIL: &str = "evil\u{1b}[2Jjob";
const EVIL_SHOWN: &str = "evil\\u{1b}[2Jjob";

/// A folder under the system's temporary folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("glplan-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, name: &str, text: &str) -> &Self {
        std::fs::write(self.0.join(name), text).unwrap();
        self
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_glplan"))
            .args(args)
            .current_dir(&self.0)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes [`CONFIG`] into a new scratch folder.
fn scratch(name: &str) -> Scratch {
    let scratch = Scratch::new(name);
    scratch.write(".gitlab-ci.yml", CONFIG);
    scratch
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Returns whether a terminal would act on `ch` rather than show it: a C0 or C1 control
/// character, DEL, or a bidirectional formatting character.
fn is_raw_control(ch: char) -> bool {
    let code = u32::from(ch);
    code < 0x20
        || (0x7f..=0x9f).contains(&code)
        || (0x202a..=0x202e).contains(&code)
        || (0x2066..=0x2069).contains(&code)
}

/// Asserts that `text` contains no control character but the line feed.
fn assert_no_raw_controls(text: &str, what: &str) {
    let found: Vec<(usize, char)> = text
        .char_indices()
        .filter(|&(_, ch)| ch != '\n' && is_raw_control(ch))
        .collect();
    assert!(
        found.is_empty(),
        "{what}: raw control characters {found:?} in:\n{text:?}"
    );
}

/// Returns the rows of the table that starts with the line starting with `header`, up to the
/// first empty line or, when `end` is not empty, the first line starting with `end`.
fn table_rows<'a>(text: &'a str, header: &str, end: &str) -> Vec<&'a str> {
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|line| !line.starts_with(header))
        .take_while(|line| !line.is_empty() && (end.is_empty() || !line.starts_with(end)))
        .collect();
    assert!(
        !rows.is_empty(),
        "no table starting with {header:?} in:\n{text}"
    );
    rows
}

/// Returns the part of `line` from terminal column `column` on, or `None` when `column` falls
/// inside a wide character or past the end.
fn from_column(line: &str, column: usize) -> Option<&str> {
    let mut width = 0;
    for (index, ch) in line.char_indices() {
        if width == column {
            return Some(&line[index..]);
        }
        if width > column {
            return None;
        }
        width += ch.to_string().width();
    }
    None
}

/// Asserts that in every row below the header, the cell under `title` starts at the title's
/// terminal column, after a space, and starts with one of `values`.
fn assert_column(rows: &[&str], title: &str, values: &[&str]) {
    let header = rows[0];
    let at = header
        .find(title)
        .unwrap_or_else(|| panic!("no {title} in {header}"));
    let column = header[..at].width();
    for row in &rows[1..] {
        let before = from_column(row, column - 1)
            .unwrap_or_else(|| panic!("{title}: column {column} is inside a character: {row}"));
        assert!(before.starts_with(' '), "{title}: no space before: {row}");
        let cell = &before[1..];
        assert!(
            values.iter().any(|value| cell.starts_with(value)),
            "{title}: {cell:?} at column {column} in:\n{}",
            rows.join("\n")
        );
    }
}

#[test]
fn plan_table_has_no_raw_controls() {
    let scratch = scratch("term-plan");
    let output = scratch.run(&["plan", "--color", "never"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_no_raw_controls(&stdout(&output), "stdout");
    assert_no_raw_controls(&stderr(&output), "stderr");
}

#[test]
fn plan_table_shows_escapes() {
    let scratch = scratch("term-plan-escapes");
    let text = stdout(&scratch.run(&["plan", "--color", "never"]));
    let rows = table_rows(&text, "STAGE", "4 jobs in 2 stages");
    let evil = rows
        .iter()
        .find(|row| row.starts_with("build\\u{1b}[31m  "))
        .unwrap_or_else(|| panic!("no build row in:\n{text}"));
    assert!(evil.contains(EVIL_SHOWN), "{evil}");
    assert!(evil.contains("alpine\\r"), "{evil}");
    assert!(evil.contains("t\\u{7}ag, 漢字"), "{evil}");
    assert!(
        rows.iter().any(|row| row.contains("line\\nbreak")),
        "{text}"
    );
    let absent = text.lines().skip_while(|l| *l != "ABSENT").nth(1).unwrap();
    assert!(absent.contains(r#"$X == "a\u{1b}b""#), "{absent}");
}

#[test]
fn plan_table_columns_line_up() {
    let scratch = scratch("term-plan-columns");
    let text = stdout(&scratch.run(&["plan", "--color", "never"]));
    let rows = table_rows(&text, "STAGE", "4 jobs in 2 stages");
    // The header and one row per job: a line feed in a name does not start a row.
    assert_eq!(rows.len(), 5, "{text}");
    assert_column(&rows, "WHEN", &["on_success"]);
    assert_column(&rows, "ALLOW FAILURE", &["no"]);
    assert_column(&rows, "NEEDS", &["earlier stages", EVIL_SHOWN]);
    assert_column(&rows, "IMAGE", &["alpine", "-"]);
    assert_column(&rows, "TAGS", &["t\\u{7}ag", "-"]);
    assert!(
        rows.contains(
            &"テスト           ビルド            on_success  no             evil\\u{1b}[2Jjob  -         -"
        ),
        "{text}"
    );
    assert!(
        rows.contains(
            &"                 e\u{301}clair 🦀         on_success  no             earlier stages    -         -"
        ),
        "{text}"
    );
}

#[test]
fn plan_colored_has_only_own_sequences() {
    // A configuration error makes `plan` write a colored diagnostic.
    let scratch = Scratch::new("term-plan-color");
    scratch.write(
        ".gitlab-ci.yml",
        "\"evil\\e[2Jjob\": {script: x, stage: \"nope\\e[31m\"}\n",
    );
    let output = scratch.run(&["plan", "--color", "always"]);
    let errors = stderr(&output);
    assert!(errors.contains("\u{1b}[1;31merror"), "{errors:?}");
    assert!(errors.contains("nope\\u{1b}[31m"), "{errors:?}");
    let without_colors = strip_sgr(&errors);
    assert_no_raw_controls(&without_colors, "stderr");
}

/// Removes the SGR sequences (`ESC [ digits and semicolons m`) that color the output.
fn strip_sgr(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("\u{1b}[") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let length = after
            .find(|ch: char| !ch.is_ascii_digit() && ch != ';')
            .unwrap_or(after.len());
        if after[length..].starts_with('m') {
            rest = &after[length + 1..];
        } else {
            // Not a color: keep the ESC, so that the check reports it.
            out.push_str(&rest[start..start + 2]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn plan_json_keeps_exact_names() {
    let scratch = scratch("term-plan-json");
    let output = scratch.run(&["plan", "--format", "json"]);
    let plan: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let names: Vec<&str> = plan["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|job| job["name"].as_str())
        .collect();
    assert!(names.contains(&EVIL), "{names:?}");
    assert!(names.contains(&"line\nbreak"), "{names:?}");
}

#[test]
fn plan_dot_labels_escaped() {
    let scratch = scratch("term-plan-dot");
    let output = scratch.run(&["plan", "--format", "dot"]);
    let text = stdout(&output);
    assert_no_raw_controls(&text, "dot");
    assert!(
        text.contains("  subgraph cluster_0 {\n    label=\"build\\\\u{1b}[31m\";\n"),
        "{text}"
    );
    assert!(
        text.contains("[label=\"evil\\\\u{1b}[2Jjob\"];\n"),
        "{text}"
    );
    assert!(text.contains("[label=\"line\\\\nbreak\"];\n"), "{text}");
    // Every statement of the graph is on a line of its own.
    for line in text.lines() {
        assert!(
            line.ends_with(['{', '}', ';']),
            "statement split over lines: {line:?}\n{text}"
        );
    }
}

#[test]
fn plan_mermaid_labels_escaped() {
    let scratch = scratch("term-plan-mermaid");
    let output = scratch.run(&["plan", "--format", "mermaid"]);
    let text = stdout(&output);
    assert_no_raw_controls(&text, "mermaid");
    assert!(
        text.contains("  subgraph stage0 [\"build\\u{1b}[31m\"]\n"),
        "{text}"
    );
    assert!(text.contains("[\"evil\\u{1b}[2Jjob\"]\n"), "{text}");
    assert!(text.contains("[\"line\\nbreak\"]\n"), "{text}");
    // Every label ends on the line it starts on.
    for line in text.lines().filter(|line| line.contains("[\"")) {
        assert!(
            line.ends_with("\"]"),
            "label split over lines: {line:?}\n{text}"
        );
    }
}

#[test]
fn explain_text_has_no_raw_controls() {
    let scratch = scratch("term-explain");
    let output = scratch.run(&["explain", "--color", "never", EVIL]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert_no_raw_controls(&text, "stdout");
    assert_no_raw_controls(&stderr(&output), "stderr");
    assert!(text.contains(&format!("\njob: {EVIL_SHOWN}\n")), "{text}");
    assert!(text.contains("\nstage: build\\u{1b}[31m\n"), "{text}");
    assert!(text.contains("\ntags: t\\u{7}ag, 漢字\n"), "{text}");
    assert!(
        text.contains(r#"  GREETING\u{7}  "hi\tthere\r\nend\u{1b}]0;title\u{7}"  (global_yaml)"#),
        "{text}"
    );
    assert!(
        text.contains("\nwaited for by: e\u{301}clair 🦀, line\\nbreak\n"),
        "{text}"
    );
}

#[test]
fn explain_absent_rule_escaped() {
    let scratch = scratch("term-explain-absent");
    let output = scratch.run(&["explain", "--color", "never", "absent"]);
    let text = stdout(&output);
    assert_no_raw_controls(&text, "stdout");
    assert!(
        text.contains(r#"      expression at .gitlab-ci.yml:23:11: $X == "a\u{1b}b""#),
        "{text}"
    );
}

#[test]
fn explain_unknown_job_message_escaped() {
    let scratch = scratch("term-explain-unknown");
    let output = scratch.run(&["explain", "--color", "never", "evil\u{1b}[2Jjo"]);
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    assert_no_raw_controls(&errors, "stderr");
    assert!(errors.contains("evil\\u{1b}[2Jjo"), "{errors}");
}

#[test]
fn schedule_table_has_no_raw_controls() {
    let scratch = scratch("term-schedule");
    scratch.write(
        "runners.toml",
        "concurrent = 4\n\n[[runners]]\nname = \"r\\u001B[2Jun\\nner 漢字\"\nexecutor = \"shell\"\n\
         run_untagged = true\ntags = [\"t\\u0007ag\", \"漢字\"]\nlimit = 4\n",
    );
    let output = scratch.run(&["schedule", "--color", "never", "--runners", "runners.toml"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_no_raw_controls(&text, "stdout");
    assert_no_raw_controls(&stderr(&output), "stderr");

    let rows = table_rows(&text, "JOB", "");
    assert_eq!(rows.len(), 5, "{text}");
    assert_column(&rows, "STATUS", &["success"]);
    assert_column(&rows, "RUNNER", &["r\\u{1b}[2Jun\\nner 漢字"]);
    assert_column(&rows, "SLOT", &["0", "1", "2"]);
    assert_column(&rows, "START", &["0:00", "5:00"]);
    let runners = table_rows(&text, "RUNNER  ", "");
    assert_eq!(runners.len(), 2, "{text}");
    assert_column(&runners, "HOST", &["runners.toml"]);
    assert_column(&runners, "JOBS", &["4"]);
    assert!(
        text.contains(&format!("\ncritical path: {EVIL_SHOWN} -> ビルド\n")),
        "{text}"
    );
}

#[test]
fn schedule_gantt_keeps_lines() {
    let scratch = scratch("term-schedule-gantt");
    let output = scratch.run(&["schedule", "--format", "mermaid"]);
    let text = stdout(&output);
    assert_no_raw_controls(&text, "gantt");
    // A bar is `name :tags, id, start, end`, one line per job.
    let bars: Vec<&str> = text
        .lines()
        .filter(|line| line.contains(" :") && line.ends_with(|ch: char| ch.is_ascii_digit()))
        .collect();
    assert_eq!(bars.len(), 4, "{text}");
    assert!(
        text.contains("\n    line\\nbreak :j3, 300, 600\n"),
        "{text}"
    );
}

#[test]
fn schedule_unknown_play_message_escaped() {
    let scratch = scratch("term-schedule-play");
    let output = scratch.run(&["schedule", "--color", "never", "--play", "x\u{1b}[2J"]);
    assert_eq!(output.status.code(), Some(2));
    let errors = stderr(&output);
    assert_no_raw_controls(&errors, "stderr");
    assert!(
        errors.contains("error: --play: job `x\\u{1b}[2J` is not in the pipeline"),
        "{errors}"
    );
}

#[test]
fn lint_snippet_escapes_raw_controls() {
    let scratch = Scratch::new("term-lint-raw");
    // Raw ESC and BEL in the file itself: the YAML loader rejects them, and the diagnostic
    // shows the line.
    scratch.write(".gitlab-ci.yml", "job:\n  script: \"a\u{1b}[2Jb\u{7}\"\n");
    let output = scratch.run(&["lint", "--color", "never"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert_no_raw_controls(&text, "stdout");
    let lines: Vec<&str> = text.lines().collect();
    let source = lines
        .iter()
        .position(|line| line.starts_with("2 │ "))
        .unwrap_or_else(|| panic!("no source line in:\n{text}"));
    assert_eq!(
        lines[source], "2 │   script: \"a\\u{1b}[2Jb\\u{7}\"",
        "{text}"
    );
    // The carets sit under the escape of the rejected character, and cover all of it.
    let carets = lines[source + 1];
    let at = lines[source].find("\\u{1b}").unwrap();
    let start = carets
        .find('^')
        .unwrap_or_else(|| panic!("no caret in:\n{text}"));
    assert_eq!(
        lines[source][..at].width(),
        carets[..start].width(),
        "{text}"
    );
    assert_eq!(carets.matches('^').count(), "\\u{1b}".len(), "{text}");
}

#[test]
fn lint_messages_escape_names() {
    let scratch = scratch("term-lint-names");
    let output = scratch.run(&["lint", "--color", "never"]);
    let text = stdout(&output);
    assert_no_raw_controls(&text, "stdout");
    assert!(
        text.contains("variable name `GREETING\\u{7}` in `variables`"),
        "{text}"
    );
}

#[test]
fn lint_invalid_environment_escaped() {
    let scratch = Scratch::new("term-lint-environment");
    scratch.write(
        ".gitlab-ci.yml",
        "\"line\\nbreak\": {script: x, environment: \"review/\\e[8m\"}\n",
    );
    let output = scratch.run(&["lint", "--color", "never"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert_no_raw_controls(&text, "stdout");
    assert!(
        text.contains("error[invalid-name]: jobs:line\\nbreak:environment name"),
        "{text}"
    );
}

#[test]
fn lint_wide_characters_keep_carets_aligned() {
    let scratch = Scratch::new("term-lint-wide");
    scratch.write(
        ".gitlab-ci.yml",
        "stages: [ビルド]\n\"テスト\u{301}🦀\": {script: x, stage: 漢字}\n",
    );
    let output = scratch.run(&["lint", "--color", "never"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    let source = lines
        .iter()
        .position(|line| line.starts_with("2 │ "))
        .unwrap_or_else(|| panic!("no source line in:\n{text}"));
    let carets = lines[source + 1];
    let at = lines[source].find("漢字").unwrap();
    let start = carets
        .find('^')
        .unwrap_or_else(|| panic!("no caret in:\n{text}"));
    assert_eq!(
        lines[source][..at].width(),
        carets[..start].width(),
        "{text}"
    );
    assert_eq!(carets.matches('^').count(), "漢字".width(), "{text}");
}
