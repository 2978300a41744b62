//! End-to-end tests of the `glplan` binary on the fixtures in `tests/fixtures/cli`.
//!
//! Every command runs from the workspace root, so file names in the output are the paths given
//! on the command line.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers outside #[test] functions fail the test on unexpected output"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use glplan::{Diagnostics, FileId, Limits};
use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn glplan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glplan"))
        .args(args)
        .current_dir(workspace())
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

const CLEAN: &str = "tests/fixtures/cli/clean/.gitlab-ci.yml";
const UNKNOWN_STAGE: &str = "tests/fixtures/cli/unknown-stage/.gitlab-ci.yml";
const QUOTING: &str = "tests/fixtures/cli/quoting/.gitlab-ci.yml";
const SYNTAX_ERROR: &str = "tests/fixtures/cli/syntax-error/.gitlab-ci.yml";
const INPUTS: &str = "tests/fixtures/cli/inputs/.gitlab-ci.yml";
const TEMPLATE_MISSING: &str = "tests/fixtures/cli/template-missing/.gitlab-ci.yml";
const EXTERNAL: &str = "tests/fixtures/cli/external/.gitlab-ci.yml";
const SOURCES: &str = "tests/fixtures/cli/sources";

#[test]
fn lint_clean_exits_zero() {
    let output = glplan(&["lint", CLEAN]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(stdout(&output), format!("{CLEAN}: 0 errors, 0 warnings\n"));
}

#[test]
fn lint_error_exits_one() {
    let output = glplan(&["lint", UNKNOWN_STAGE]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
}

#[test]
fn lint_error_shows_position_and_snippet() {
    let text = stdout(&glplan(&["lint", "--color", "never", UNKNOWN_STAGE]));
    // The stage value `biuld` is on line 4, from column 10.
    assert!(
        text.contains(&format!("{UNKNOWN_STAGE}:4:10")),
        "no file:line:col in:\n{text}"
    );
    assert!(text.contains("  stage: biuld"), "no snippet in:\n{text}");
    assert!(text.starts_with("error["), "no error header in:\n{text}");
}

#[test]
fn lint_syntax_error_exits_one() {
    let output = glplan(&["lint", SYNTAX_ERROR]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(stdout(&output).contains(SYNTAX_ERROR));
}

#[test]
fn lint_missing_file_exits_two() {
    let output = glplan(&["lint", "tests/fixtures/cli/nope/.gitlab-ci.yml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("error: cannot read `tests/fixtures/cli/nope/.gitlab-ci.yml`"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).is_empty());
}

#[test]
fn lint_outside_repo_exits_two() {
    let output = glplan(&["lint", CLEAN, "--repo", "tests/fixtures/cli/quoting"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("is not inside the repository folder"));
}

#[test]
fn usage_error_exits_two() {
    let cases: [&[&str]; 4] = [
        &["lint", "--bogus"],
        &["frobnicate"],
        &["lint", "--format", "xml"],
        &["lint", "--var", "NOEQUALS"],
    ];
    for args in cases {
        let output = glplan(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn missing_templates_folder_exits_two() {
    let output = glplan(&["lint", CLEAN, "--templates", "tests/fixtures/cli/none"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--templates: `tests/fixtures/cli/none` is not a folder"));
}

#[test]
fn help_describes_options() {
    for command in ["lint", "config", "plan"] {
        let output = glplan(&[command, "--help"]);
        assert_eq!(output.status.code(), Some(0), "{command}");
        let text = stdout(&output);
        for option in [
            "--repo <DIR>",
            "--templates <DIR>",
            "--project <PATH=DIR>",
            "--remote-cache <DIR>",
            "--var <KEY=VALUE>",
            "--input <NAME=VALUE>",
            "--color <COLOR>",
            "--format <FORMAT>",
        ] {
            assert!(text.contains(option), "`{command} --help` lacks {option}");
        }
    }
}

#[test]
fn lint_json_shape() {
    let output = glplan(&["lint", "--format", "json", UNKNOWN_STAGE]);
    assert_eq!(output.status.code(), Some(1));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    let diagnostics = value.as_array().unwrap();
    assert!(!diagnostics.is_empty());
    let first = &diagnostics[0];
    assert!(first["code"].is_string());
    assert_eq!(first["severity"], "error");
    assert!(first["message"].is_string());
    assert_eq!(first["location"]["file"], UNKNOWN_STAGE);
    assert_eq!(first["location"]["start"]["line"], 4);
    assert_eq!(first["location"]["start"]["column"], 10);
    assert!(first["location"]["end"]["offset"].is_u64());
}

#[test]
fn lint_json_clean_is_empty_array() {
    let output = glplan(&["lint", "--format", "json", CLEAN]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "[]\n");
}

#[test]
fn color_always_and_never() {
    let colored = stdout(&glplan(&["lint", "--color", "always", UNKNOWN_STAGE]));
    let plain = stdout(&glplan(&["lint", "--color", "never", UNKNOWN_STAGE]));
    assert!(colored.contains('\x1b'));
    assert!(!plain.contains('\x1b'));
}

#[test]
fn color_auto_off_when_piped() {
    let text = stdout(&glplan(&["lint", UNKNOWN_STAGE]));
    assert!(!text.contains('\x1b'));
}

/// Loads YAML text with glplan's own Psych-compatible loader and returns it as JSON.
fn load_yaml(text: &str) -> Value {
    let mut diagnostics = Diagnostics::new();
    let document = glplan::yaml::load(FileId(0), text, &Limits::default(), &mut diagnostics)
        .unwrap_or_else(|| panic!("output is not loadable YAML:\n{text}"));
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    document.body.to_json()
}

#[test]
fn config_yaml_round_trips() {
    let yaml = glplan(&["config", QUOTING]);
    let json = glplan(&["config", "--format", "json", QUOTING]);
    assert_eq!(yaml.status.code(), Some(0), "{}", stderr(&yaml));
    let expected: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(load_yaml(&stdout(&yaml)), expected);
}

#[test]
fn config_yaml_quotes_ambiguous_strings() {
    let text = stdout(&glplan(&["config", QUOTING]));
    for line in [
        "BOOL_WORD:\n    value: 'yes'",
        "SWITCH:\n    value: 'on'",
        "OCTAL:\n    value: '0755'",
        "SEXAGESIMAL:\n    value: '1:20'",
        "COLON_SPACE:\n    value: 'a: b'",
        "HASH:\n    value: '#not a comment'",
        "SYMBOL:\n    value: ':symbol'",
        "MERGE:\n    value: '<<'",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
}

/// Psych, the YAML library GitLab uses, must read the output as the same values. Runs only
/// where Ruby is installed (CI installs it).
#[test]
fn config_yaml_psych_agrees() {
    let has_ruby = Command::new("ruby").arg("--version").output().is_ok();
    if !has_ruby {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install ruby for the Psych round-trip test"
        );
        eprintln!("skipped: ruby is not installed");
        return;
    }

    let yaml = glplan(&["config", QUOTING]);
    let json = glplan(&["config", "--format", "json", QUOTING]);

    let dir = std::env::temp_dir().join(format!("glplan-psych-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.yml");
    std::fs::write(&file, &yaml.stdout).unwrap();
    let psych = Command::new("ruby")
        .args([
            "-ryaml",
            "-rjson",
            "-e",
            "puts JSON.generate(YAML.safe_load(File.read(ARGV[0])))",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        psych.status.success(),
        "{}",
        String::from_utf8_lossy(&psych.stderr)
    );
    let from_psych: Value = serde_json::from_slice(&psych.stdout).unwrap();
    let expected: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(from_psych, expected);
}

#[test]
fn config_errors_go_to_stderr() {
    let output = glplan(&["config", UNKNOWN_STAGE]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains(&format!("{UNKNOWN_STAGE}:4:10")));
    assert!(!stdout(&output).contains("error["));
}

#[test]
fn config_shows_merged_include() {
    let output = glplan(&["config", "--format", "json", CLEAN]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    let text = value.to_string();
    assert!(
        text.contains("echo common"),
        "include and extends not applied: {text}"
    );
}

#[test]
fn plan_table_lists_stages_and_jobs() {
    let output = glplan(&["plan", CLEAN]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("STAGE"), "{text}");
    let row = |job: &str| {
        lines
            .iter()
            .find(|l| l.split("  ").any(|cell| cell.trim() == job))
            .unwrap_or_else(|| panic!("no row for {job} in:\n{text}"))
            .to_string()
    };
    assert!(row("build").starts_with("build"), "{text}");
    assert!(row("build").contains("alpine:3.20"), "{text}");
    assert!(row("test 1/2").contains("build"), "{text}");
    assert!(row("test 2/2").contains("linux"), "{text}");
    assert!(row("deploy").contains("manual"), "{text}");
    assert!(row("deploy").contains("yes"), "{text}");
    assert!(
        row("deploy").contains("registry.example.com/deployer:1"),
        "{text}"
    );
    assert!(row("deploy").contains("deploy, prod"), "{text}");
    assert_eq!(lines.last(), Some(&"4 jobs in 3 stages"), "{text}");
}

#[test]
fn plan_json_has_version_and_needs() {
    let output = glplan(&["plan", "--format", "json", CLEAN]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["version"], 1);
    let stages = value["stages"].as_array().unwrap();
    let names: Vec<&str> = stages.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["build", "test", "deploy"]);
    let deploy = &stages[2]["jobs"][0];
    assert_eq!(deploy["needs"][0]["job"], "test 1/2");
    assert_eq!(deploy["needs"][1]["job"], "test 2/2");
    assert_eq!(deploy["needs"][0]["artifacts"], false);
    assert_eq!(deploy["allow_failure"], true);
}

#[test]
fn plan_inputs_change_jobs() {
    let output = glplan(&[
        "plan",
        INPUTS,
        "--input",
        "stage=build",
        "--input",
        "replicas=2",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("run-build 1/2"), "{text}");
    assert!(text.contains("run-build 2/2"), "{text}");
}

#[test]
fn plan_input_wrong_type_exits_one() {
    let output = glplan(&["plan", INPUTS, "--input", "replicas=many"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn missing_template_names_option() {
    let output = glplan(&["lint", "--color", "never", TEMPLATE_MISSING]);
    let text = stdout(&output);
    assert!(text.contains("--templates DIR"), "{text}");
}

#[test]
fn bundled_example_plans_cleanly() {
    let output = glplan(&["plan", "examples/basic/.gitlab-ci.yml"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("deploy-production"));
}

#[test]
fn external_sources_from_folders() {
    let output = glplan(&[
        "plan",
        EXTERNAL,
        "--project",
        &format!("my-group/tools={SOURCES}/tools"),
        "--remote-cache",
        &format!("{SOURCES}/remote-cache"),
        "--templates",
        &format!("{SOURCES}/templates"),
        "--var",
        "TARGET=linux",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    for job in [
        "build-linux",
        "lint-from-project",
        "job-from-remote",
        "job-from-template",
    ] {
        assert!(text.contains(job), "no {job} in:\n{text}");
    }
}

#[test]
fn external_sources_missing_name_options() {
    let output = glplan(&[
        "lint",
        "--color",
        "never",
        EXTERNAL,
        "--var",
        "TARGET=linux",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    for option in [
        "pass --project my-group/tools=DIR",
        "pass --remote-cache DIR",
        "pass --templates DIR",
    ] {
        assert!(text.contains(option), "no `{option}` in:\n{text}");
    }
}

#[test]
fn remote_missing_from_cache_names_path() {
    let output = glplan(&[
        "lint",
        "--color",
        "never",
        EXTERNAL,
        "--remote-cache",
        "tests/fixtures/cli/clean",
    ]);
    let text = stdout(&output);
    assert!(
        text.contains("is not in the remote cache; save it as `tests/fixtures/cli/clean/example.com/ci/remote.yml`"),
        "{text}"
    );
}
