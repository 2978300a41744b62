//! End-to-end tests of the `glplan` binary on the fixtures in `tests/fixtures/cli`.
//!
//! Every command runs from the workspace root, so file names in the output are the paths given
//! on the command line.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers outside #[test] functions fail the test on unexpected output"
)]

mod common;

use std::io::Write;
use std::process::Command;

use glplan::{Diagnostics, FileId, Limits};
use serde_json::Value;

use common::{created, glplan, job, plan_json, stderr, stdout};

const CLEAN: &str = "tests/fixtures/cli/clean/.gitlab-ci.yml";
const UNKNOWN_STAGE: &str = "tests/fixtures/cli/unknown-stage/.gitlab-ci.yml";
const QUOTING: &str = "tests/fixtures/cli/quoting/.gitlab-ci.yml";
const SYNTAX_ERROR: &str = "tests/fixtures/cli/syntax-error/.gitlab-ci.yml";
const INPUTS: &str = "tests/fixtures/cli/inputs/.gitlab-ci.yml";
const INPUT_RULES: &str = "tests/fixtures/cli/input-rules/.gitlab-ci.yml";
const INPUT_TYPES: &str = "tests/fixtures/cli/input-types/.gitlab-ci.yml";
const TEMPLATE_MISSING: &str = "tests/fixtures/cli/template-missing/.gitlab-ci.yml";
const EXTERNAL: &str = "tests/fixtures/cli/external/.gitlab-ci.yml";
const SOURCES: &str = "tests/fixtures/cli/sources";
const CHILD_ERRORS: &str = "tests/fixtures/cli/child-errors/.gitlab-ci.yml";
const MANUAL_CHILD: &str = "tests/fixtures/cli/manual-child/.gitlab-ci.yml";
const BYTE_ORDER_MARK: &str = "tests/fixtures/cli/byte-order-mark/.gitlab-ci.yml";
const TEMPLATE_SHADOWED: &str = "tests/fixtures/cli/template-shadowed/.gitlab-ci.yml";
const COMPARE_TO: &str = "tests/fixtures/cli/compare-to/.gitlab-ci.yml";
const CROSS_NEEDS: &str = "tests/fixtures/cli/cross-needs/.gitlab-ci.yml";

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
fn byte_order_mark_is_a_column() {
    // The file starts with U+FEFF, then `build: script: make`. GitLab's YAML parser counts the
    // mark as a column, so the second `:` is at column 15.
    let output = glplan(&["lint", "--format", "json", BYTE_ORDER_MARK]);
    let diagnostics: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let error = diagnostics
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["severity"] == "error")
        .unwrap();
    let message = error["message"].as_str().unwrap();
    assert!(message.ends_with("at line 1 column 15"), "{message}");
    let start = &error["location"]["start"];
    assert_eq!(start["line"], 1);
    assert_eq!(start["column"], 15);
    assert_eq!(start["column_utf16"], 15);
    // The offset counts the mark's 3 bytes.
    assert_eq!(start["offset"], 16);
}

#[test]
fn lint_child_errors_exit_one() {
    let output = glplan(&["lint", "--color", "never", CHILD_ERRORS]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let text = stdout(&output);
    let child = "tests/fixtures/cli/child-errors/child.yml";
    assert!(text.contains(&format!("{child}:2:10")), "{text}");
    assert!(text.contains("  stage: nope"), "{text}");
    assert!(
        text.contains("(in the child pipeline of trigger job `deploy`)"),
        "{text}"
    );
    // The missing file is written in the parent's `trigger:include`.
    assert!(text.contains(&format!("{CHILD_ERRORS}:8:14")), "{text}");
    assert!(text.contains("include: missing.yml"), "{text}");
    assert!(text.ends_with(": 2 errors, 0 warnings\n"), "{text}");
}

#[test]
fn lint_json_child_errors() {
    let output = glplan(&["lint", "--format", "json", CHILD_ERRORS]);
    assert_eq!(output.status.code(), Some(1));
    let diagnostics: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let stage = diagnostics
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "unknown-stage")
        .unwrap();
    assert_eq!(
        stage["location"]["file"],
        "tests/fixtures/cli/child-errors/child.yml"
    );
    assert_eq!(stage["location"]["start"]["line"], 2);
    assert_eq!(stage["trigger_jobs"], serde_json::json!(["deploy"]));
}

#[test]
fn plan_child_errors_exit_one() {
    let output = glplan(&["plan", "--color", "never", CHILD_ERRORS]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let errors = stderr(&output);
    assert!(
        errors.contains("tests/fixtures/cli/child-errors/child.yml:2:10"),
        "{errors}"
    );
    assert!(errors.contains("  stage: nope"), "{errors}");
    let table = stdout(&output);
    assert!(
        table.contains("trigger child child.yml (not created)"),
        "{table}"
    );
}

#[test]
fn manual_trigger_child_created_when_played() {
    let output = glplan(&["plan", MANUAL_CHILD]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(
        table.contains("trigger child child.yml (created when played)"),
        "{table}"
    );

    let output = glplan(&["explain", "deploy/rspec", MANUAL_CHILD]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("child pipeline: created by manual trigger job `deploy` once it is played\n"),
        "{text}"
    );

    let output = glplan(&["plan", "--format", "json", MANUAL_CHILD]);
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let trigger = &json["jobs"][1]["trigger"];
    assert_eq!(trigger["downstream_created_when_played"], true);
    assert_eq!(trigger["downstream"]["jobs"][0]["name"], "rspec");
}

/// A branch pipeline does not define `CI_MERGE_REQUEST_TARGET_BRANCH_NAME`, which `lint` compares
/// to, so GitLab finds no commit for it.
#[test]
fn compare_to_without_ref_fails_plan() {
    let output = glplan(&["plan", "--color", "never", "--ref", "feature", COMPARE_TO]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let errors = stderr(&output);
    assert!(
        errors.contains(&format!("{COMPARE_TO}:9:21")),
        "no location in:\n{errors}"
    );
    assert!(
        errors.contains(
            "error[invalid-compare-to]: Failed to parse rule for lint: \
             rules:changes:compare_to is not a valid ref"
        ),
        "{errors}"
    );
    let table = stdout(&output);
    assert!(
        table.contains("not created: Failed to parse rule for lint"),
        "{table}"
    );

    let json = plan_json(&["--ref", "feature", COMPARE_TO], 1);
    assert_eq!(json["created"], false);
    assert_eq!(json["absent"][0]["name"], "lint");
    assert_eq!(json["absent"][0]["reason"], "rule_error");
    assert_eq!(json["diagnostics"][0]["code"], "invalid-compare-to");

    let output = glplan(&[
        "explain", "lint", "--color", "never", "--ref", "feature", COMPARE_TO,
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains(
            "rule 1 at tests/fixtures/cli/compare-to/.gitlab-ci.yml:7:7: raised an error"
        ),
        "{text}"
    );

    let output = glplan(&["schedule", "--ref", "feature", COMPARE_TO]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn compare_to_target_branch_in_merge_request() {
    let json = plan_json(&["--mr-target", "main", "--ref", "feature", COMPARE_TO], 0);
    assert_eq!(json["created"], true);
    // `build` and `unit` have the implicit `only: [branches, tags]`.
    assert_eq!(created(&json), ["lint"]);
}

#[test]
fn explain_trigger_shows_child_errors() {
    let output = glplan(&["explain", "deploy", "--color", "never", CHILD_ERRORS]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let errors = stderr(&output);
    assert!(
        errors.contains("tests/fixtures/cli/child-errors/child.yml:2:10"),
        "{errors}"
    );
    let text = stdout(&output);
    assert!(
        text.contains("downstream: child pipeline not created: child-job job: chosen stage nope"),
        "{text}"
    );
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
    for command in ["lint", "config", "plan", "explain"] {
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
        let required = std::env::var_os("CI").is_some()
            || std::env::var_os("GLPLAN_REQUIRE_ORACLES").is_some_and(|value| value == "1");
        assert!(
            !required,
            "CI must install ruby for the Psych round-trip test"
        );
        // Written past the test harness's capture, so that a local run shows the skip.
        let _ = writeln!(std::io::stderr(), "skipped: ruby is not installed");
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
    assert!(
        text.starts_with(
            "pipeline: push to branch main (the default branch; no context options given)\n"
        ),
        "{text}"
    );
    let lines: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("STAGE"))
        .collect();
    assert!(!lines.is_empty(), "no table in:\n{text}");
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
    assert_eq!(value["version"], 3);
    let stages = value["stages"].as_array().unwrap();
    let names: Vec<&str> = stages.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["build", "test", "deploy"]);
    let deploy = value["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|job| job["name"] == "deploy")
        .unwrap();
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
fn plan_inputs_converted_to_type() {
    let output = glplan(&[
        "plan",
        INPUT_TYPES,
        "--format",
        "json",
        "--input",
        "label=1.10",
        "--input",
        "count='2'",
        "--input",
        "publish='true'",
        "--input",
        "targets='[\"docker\"]'",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    let jobs = value["jobs"].as_array().unwrap();
    let names: Vec<&str> = jobs
        .iter()
        .map(|job| job["name"].as_str().unwrap())
        .collect();
    // YAML reads `1.10` as the float 1.1, whose text the string input takes.
    assert_eq!(names, ["build-1.1 1/2", "build-1.1 2/2"]);
    assert_eq!(jobs[0]["tags"], serde_json::json!(["docker"]));
    let publish = jobs[0]["variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|variable| variable["name"] == "PUBLISH")
        .unwrap();
    assert_eq!(publish["value"], "true");
}

#[test]
fn plan_input_not_json_points_at_type() {
    let output = glplan(&[
        "plan",
        INPUT_TYPES,
        "--color",
        "never",
        "--input",
        "label=x",
        "--input",
        "count=[2]",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("error[invalid-inputs]: `count` input: provided value is not a number"),
        "{text}"
    );
    assert!(text.contains("input-types/.gitlab-ci.yml:5:7"), "{text}");
    assert!(text.contains("was given as a pipeline input"), "{text}");
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
fn template_named_apart_from_repository_file() {
    // The repository has a file at the template's path, and includes both.
    let templates = format!("{SOURCES}/templates");
    let output = glplan(&[
        "plan",
        TEMPLATE_SHADOWED,
        "--templates",
        &templates,
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let plan: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let file_of = |job: &str| {
        let jobs = plan["jobs"].as_array().unwrap();
        let found = jobs.iter().find(|entry| entry["name"] == job).unwrap();
        found["location"]["file"].as_str().unwrap().to_owned()
    };
    assert_eq!(
        file_of("job-from-template"),
        "template:Jobs/Greeting.gitlab-ci.yml"
    );
    assert_eq!(
        file_of("job-from-repository"),
        "tests/fixtures/cli/template-shadowed/Jobs/Greeting.gitlab-ci.yml"
    );
}

#[test]
fn invalid_server_host_names_the_fault() {
    let cases = [
        (
            "[fe80::1%eth0]",
            "`[fe80::1%eth0]` has a zone, which names a network interface of one machine, not a \
             server",
        ),
        (
            "https://gitlab.com",
            "`https://gitlab.com` is a URL, not a host",
        ),
        ("", "the host is empty"),
    ];
    for (host, problem) in cases {
        let output = glplan(&[
            "plan",
            "examples/basic/.gitlab-ci.yml",
            "--server-host",
            host,
        ]);
        assert_eq!(output.status.code(), Some(2), "{host}");
        let expected = format!(
            "error: invalid value '{host}' for '--server-host <HOST>': {problem}; pass the host \
             alone, such as `gitlab.com`, `gitlab.internal:8443` or `[2001:db8::1]:8443`\n"
        );
        assert!(
            stderr(&output).starts_with(&expected),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn component_resolved_with_server_host() {
    let component = "tests/fixtures/cli/component/.gitlab-ci.yml";
    let project = format!("my-group/components={SOURCES}/components");
    let output = glplan(&[
        "plan",
        component,
        "--project",
        &project,
        "--server-host",
        "gitlab.com",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("greet"), "no greet in:\n{text}");

    // The default server host is gitlab.example.com, so the address names another server.
    let output = glplan(&["lint", component, "--project", &project]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("the component path is not supported"),
        "{text}"
    );
}

#[test]
fn duplicate_project_options_exit_two() {
    let first = format!("MY-group/Tools={SOURCES}/tools");
    let second = format!("my-group/tools={SOURCES}/components");
    let output = glplan(&["lint", EXTERNAL, "--project", &first, "--project", &second]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        format!(
            "error: `--project {first}` and `--project {second}` name the same project \
             `my-group/tools` (project paths ignore case); keep one of them\n"
        )
    );
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

const RULES: &str = "crates/glplan-cli/tests/fixtures/rules/.gitlab-ci.yml";
const ONLY_EXCEPT: &str = "crates/glplan-cli/tests/fixtures/only-except/.gitlab-ci.yml";
const MISSING_NEED: &str = "crates/glplan-cli/tests/fixtures/missing-need/.gitlab-ci.yml";

#[test]
fn plan_push_mr_tag_differ() {
    let push = plan_json(&[RULES], 0);
    let merge_request = plan_json(&[RULES, "--mr-source", "feat", "--mr-label", "preview"], 0);
    let tag = plan_json(&[RULES, "--ref", "v1.0", "--tag"], 0);
    assert_eq!(created(&push), ["build", "unit", "docs", "deploy"]);
    assert_eq!(
        created(&merge_request),
        ["build", "unit", "docs", "review", "deploy"]
    );
    assert_eq!(created(&tag), ["build", "unit", "docs", "release"]);
}

#[test]
fn plan_rule_attributes_per_trigger() {
    let push = plan_json(&[RULES], 0);
    let deploy = job(&push, "deploy");
    assert_eq!(deploy["when"], "on_success");
    let deploy_value = deploy["variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "DEPLOY")
        .unwrap();
    assert_eq!(deploy_value["value"], "prod");

    let merge_request = plan_json(&[RULES, "--mr-source", "feat"], 0);
    let deploy = job(&merge_request, "deploy");
    assert_eq!(deploy["when"], "manual");
    assert_eq!(deploy["allow_failure"], true);

    let feature = plan_json(&[RULES, "--ref", "feature-x"], 0);
    let deploy = job(&feature, "deploy");
    assert_eq!(deploy["when"], "delayed");
    assert_eq!(deploy["start_in"]["seconds"], 600);
}

#[test]
fn plan_rule_traces_only_on_request() {
    let lean = plan_json(&[RULES], 0);
    let traced = plan_json(&[RULES, "--rule-traces"], 0);
    let (lean_rule, traced_rule) = (
        &job(&lean, "deploy")["rule"],
        &job(&traced, "deploy")["rule"],
    );
    assert!(lean_rule.get("rules").is_none(), "{lean_rule:#}");
    assert_eq!(lean_rule["summary"], traced_rule["summary"]);
    assert_eq!(lean_rule["matched"], traced_rule["matched"]);
    let rules = traced_rule["rules"].as_array().unwrap();
    assert_eq!(
        rules.len() as u64 - 1,
        traced_rule["matched"].as_u64().unwrap()
    );
    assert!(rules[0]["clauses"][0]["location"]["line"].is_u64());
    // The workflow's rules are there either way.
    assert_eq!(lean["workflow"], traced["workflow"]);

    let lean = plan_json(&[ONLY_EXCEPT, "--ref", "feat"], 0);
    let traced = plan_json(&[ONLY_EXCEPT, "--ref", "feat", "--rule-traces"], 0);
    let lean_rule = &lean["absent"][0]["rule"];
    let traced_rule = &traced["absent"][0]["rule"];
    assert_eq!(lean_rule["by"], "only_except");
    assert!(lean_rule.get("only").is_none());
    assert!(lean_rule.get("except").is_none());
    assert!(traced_rule.get("only").is_some() || traced_rule.get("except").is_some());
    assert_eq!(lean_rule["summary"], traced_rule["summary"]);
}

#[test]
fn plan_rule_traces_need_json() {
    for format in ["table", "dot", "mermaid"] {
        let output = glplan(&["plan", RULES, "--rule-traces", "--format", format]);
        assert_eq!(output.status.code(), Some(2), "{format}");
        assert_eq!(
            stderr(&output),
            "error: --rule-traces: only `--format json` shows rule traces; `glplan explain JOB` \
             shows them for one job\n"
        );
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn explain_rejects_rule_traces_option() {
    let output = glplan(&["explain", "deploy", RULES, "--rule-traces"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: --rule-traces: `glplan explain` always shows the rule traces; the option is for \
         `glplan plan --format json`\n"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn plan_source_sets_pipeline_source() {
    let pipeline = plan_json(&[ONLY_EXCEPT, "--source", "schedule"], 0);
    assert_eq!(pipeline["source"], "schedule");
    assert_eq!(created(&pipeline), ["a", "b"]);
}

#[test]
fn plan_only_except_per_trigger() {
    let merge_request = plan_json(&[ONLY_EXCEPT, "--mr-source", "feat"], 0);
    assert_eq!(created(&merge_request), ["b"]);
    let release = plan_json(&[ONLY_EXCEPT, "--ref", "release-1", "--var", "SKIP=1"], 0);
    assert_eq!(created(&release), ["a", "b"]);
    let other = plan_json(&[ONLY_EXCEPT, "--ref", "feat"], 0);
    assert_eq!(created(&other), ["a", "c"]);
}

#[test]
fn plan_default_branch_option() {
    let pipeline = plan_json(&[RULES, "--default-branch", "trunk"], 0);
    assert_eq!(pipeline["ref"], "trunk");
    let deploy = job(&pipeline, "deploy");
    assert_eq!(deploy["when"], "on_success");
    let on_main = plan_json(&[RULES, "--default-branch", "trunk", "--ref", "main"], 0);
    assert!(
        !created(&on_main).contains(&"deploy".to_owned()),
        "main is not the default branch, so deploy has no matching rule"
    );
}

#[test]
fn plan_header_names_default_branch_option() {
    let output = glplan(&["plan", RULES, "--default-branch", "trunk"]);
    let text = stdout(&output);
    assert!(
        text.starts_with("pipeline: push to branch trunk (the default branch)\n"),
        "{text}"
    );
    assert!(!text.contains("no context options given"), "{text}");
}

#[test]
fn empty_context_values_exit_two() {
    let cases: [&[&str]; 14] = [
        &["--ref", ""],
        &["--mr-source", ""],
        &["--default-branch", ""],
        &["--changed", ""],
        &["--var", "=x"],
        &["--var", "K"],
        &["--var", "A-B=x"],
        &["--project-var", "=x"],
        &["--project-path", ""],
        &["--instance-var", "=x"],
        &["--instance-var", "A-B=x"],
        &["--group-var", ":A=x"],
        &["--group-var", "top:=x"],
        &["--group-var", "top:A-B=x"],
    ];
    for case in cases {
        let mut args = vec!["plan", RULES];
        args.extend_from_slice(case);
        let output = glplan(&args);
        assert_eq!(output.status.code(), Some(2), "{case:?}");
        assert!(stdout(&output).is_empty(), "{case:?}");
        let message = stderr(&output);
        assert!(
            message.starts_with("error: invalid value"),
            "{case:?}: {message}"
        );
    }
}

#[test]
fn plan_mr_target_and_event_type() {
    let output = glplan(&[
        "explain",
        "build",
        RULES,
        "--mr-source",
        "feat",
        "--mr-target",
        "stable",
        "--mr-event-type",
        "merged_result",
        "--predefined",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
        "{text}"
    );
    assert!(text.contains("\"stable\""), "{text}");
    assert!(text.contains("\"merged_result\""), "{text}");
}

#[test]
fn plan_changed_files_decide_changes() {
    let none = plan_json(&[RULES], 0);
    assert!(created(&none).contains(&"docs".to_owned()));
    let code = plan_json(&[RULES, "--changed", "src/a.rs"], 0);
    assert!(!created(&code).contains(&"docs".to_owned()));
    let docs = plan_json(
        &[RULES, "--changed", "src/a.rs", "--changed", "docs/x.md"],
        0,
    );
    assert!(created(&docs).contains(&"docs".to_owned()));
    let explicit = plan_json(&[RULES, "--no-diff"], 0);
    assert!(created(&explicit).contains(&"docs".to_owned()));
}

#[test]
fn plan_changed_from_file() {
    let dir = std::env::temp_dir().join(format!("glplan-changed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let list = dir.join("changed.txt");
    std::fs::write(&list, "docs/index.md\n\n").unwrap();
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let with_docs = plan_json(&[RULES, "--changed-from", list.to_str().unwrap()], 0);
    let without = plan_json(&[RULES, "--changed-from", empty.to_str().unwrap()], 0);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(created(&with_docs).contains(&"docs".to_owned()));
    assert!(!created(&without).contains(&"docs".to_owned()));
}

#[test]
fn plan_no_diff_rejects_changed() {
    let output = glplan(&["plan", RULES, "--no-diff", "--changed", "a"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn plan_context_usage_errors_exit_two() {
    let cases: [&[&str]; 5] = [
        &["plan", RULES, "--tag"],
        &["plan", RULES, "--source", "pushed"],
        &["plan", RULES, "--ref", "v1", "--tag", "--mr-source", "feat"],
        &["plan", RULES, "--mr-target", "main"],
        &["plan", RULES, "--mr-source", "feat", "--source", "push"],
    ];
    for args in cases {
        let output = glplan(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn plan_mr_source_defaults_to_default_branch() {
    let cases: [&[&str]; 3] = [
        &["--mr-target", "release"],
        &["--mr-target", "release", "--mr-label", "x"],
        &["--mr-target", "release", "--mr-event-type", "merged_result"],
    ];
    for case in cases {
        let mut args = vec!["plan", RULES];
        args.extend_from_slice(case);
        let output = glplan(&args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{case:?}: {}",
            stderr(&output)
        );
        let text = stdout(&output);
        assert!(
            text.starts_with("pipeline: merge_request_event, "),
            "{case:?}: {text}"
        );
        assert!(
            text.contains(" merge request from main into release"),
            "{case:?}: {text}"
        );
    }
}

#[test]
fn plan_mr_same_branches_exit_two() {
    let cases: [&[&str]; 4] = [
        &["--mr-source", "main", "--mr-target", "main"],
        &["--mr-label", "x"],
        &["--mr-event-type", "merged_result"],
        &["--ref", "dev", "--mr-target", "dev"],
    ];
    for case in cases {
        let mut args = vec!["plan", RULES];
        args.extend_from_slice(case);
        let output = glplan(&args);
        assert_eq!(output.status.code(), Some(2), "{case:?}");
        let message = stderr(&output);
        assert!(
            message.starts_with("error: the merge request's source branch ("),
            "{case:?}: {message}"
        );
        assert!(
            message.contains("GitLab rejects a merge request from a branch into itself"),
            "{case:?}: {message}"
        );
    }
}

#[test]
fn plan_invalid_ref_names_exit_two() {
    let cases = [
        ("--ref", "a..b"),
        ("--ref", "feat/"),
        ("--default-branch", "main.lock"),
        ("--mr-source", "a b"),
        ("--mr-target", "x~1"),
    ];
    for (option, name) in cases {
        let output = glplan(&["plan", RULES, option, name]);
        assert_eq!(output.status.code(), Some(2), "{option} {name}");
        assert!(stdout(&output).is_empty(), "{option} {name}");
        let message = stderr(&output);
        assert!(
            message.starts_with(&format!("error: {option} `{name}` is not a valid Git ")),
            "{message}"
        );
    }
}

#[test]
fn plan_full_ref_name_warns() {
    let output = glplan(&["plan", RULES, "--ref", "refs/heads/main"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "warning: --ref refs/heads/main: GitLab names branches and tags without the \
         `refs/heads/` prefix, so this plans a pipeline for a ref named `refs/heads/main`; for \
         `main`, pass --ref main\n"
    );
    assert!(
        stdout(&output).starts_with("pipeline: push to branch refs/heads/main\n"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn plan_source_error_lists_sources() {
    let output = glplan(&["plan", RULES, "--source", "pushed"]);
    assert!(
        stderr(&output).contains("merge_request_event"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn plan_title_filters_by_workflow() {
    let output = glplan(&["plan", RULES, "--title", "wip-draft"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("workflow: Pipeline filtered out by workflow rules."),
        "{text}"
    );
    assert!(text.contains("0 jobs in 0 stages, 6 jobs absent"), "{text}");
    assert!(!stderr(&output).contains("error["), "{}", stderr(&output));
}

#[test]
fn plan_title_skip_ci_skips() {
    let output = glplan(&["plan", RULES, "--title", "Fix typo [ci skip]"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("skipped: the commit message contains `[ci skip]`\n"),
        "{text}"
    );
    assert!(
        text.contains("workflow: not evaluated, because the commit message skips the pipeline"),
        "{text}"
    );
    assert!(text.contains("0 jobs in 0 stages, 6 jobs absent"), "{text}");
    assert!(!stderr(&output).contains("error["), "{}", stderr(&output));
}

#[test]
fn plan_skip_ci_keeps_configuration_errors() {
    let dir = std::env::temp_dir().join(format!("glplan-skip-invalid-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join(".gitlab-ci.yml");
    std::fs::write(&config, "job: {stage: nope, script: a}\n").unwrap();
    let output = glplan(&["plan", config.to_str().unwrap(), "--title", "[skip ci]"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stdout(&output).contains("skipped: "), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("error[unknown-stage]"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn plan_skip_ci_ignored_by_web_source() {
    let args = ["plan", RULES, "--title", "[skip ci]", "--source", "web"];
    let output = glplan(&args);
    let text = stdout(&output);
    assert!(!text.contains("skipped:"), "{text}");
    assert!(!text.contains("0 jobs in 0 stages"), "{text}");
}

#[test]
fn plan_json_skip_ci_member() {
    let args = ["plan", RULES, "--title", "[skip-ci]", "--format", "json"];
    let value: Value = serde_json::from_str(&stdout(&glplan(&args))).unwrap();
    assert_eq!(value["skipped"], "[skip-ci]");
    assert_eq!(value["created"], false);
    assert_eq!(value["errors"], serde_json::json!([]));
    assert_eq!(value["absent"][0]["reason"], "skip_ci");
    assert_eq!(value["diagnostics"][0]["code"], "skip-ci");
}

#[test]
fn explain_skip_ci_job() {
    let text = stdout(&glplan(&[
        "explain",
        "build",
        RULES,
        "--title",
        "[Skip_CI]",
    ]));
    assert!(
        text.contains("status: absent: the commit message skips the pipeline"),
        "{text}"
    );
}

#[test]
fn plan_table_shows_workflow_and_absent() {
    let output = glplan(&["plan", RULES]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("\nworkflow: created by workflow rule 4"),
        "{text}"
    );
    assert!(text.contains("\nname: Pipeline for main\n"), "{text}");
    let absent: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "ABSENT")
        .skip(1)
        .collect();
    assert_eq!(absent.len(), 2, "{text}");
    assert!(
        absent[0].starts_with(&format!("review   {RULES}:35:1  no rule matched")),
        "{text}"
    );
    assert!(absent[1].starts_with("release"), "{text}");
}

#[test]
fn plan_missing_need_exits_one() {
    let output = glplan(&["plan", "--color", "never", MISSING_NEED]);
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    assert!(errors.contains("error[missing-need]"), "{errors}");
    assert!(
        errors.contains(&format!("{MISSING_NEED}:10:11")),
        "{errors}"
    );
    assert!(stdout(&output).contains("not created: 'test' job needs 'build' job"));
}

#[test]
fn plan_missing_need_passes_on_tag() {
    plan_json(&[MISSING_NEED, "--ref", "v1", "--tag"], 0);
}

#[test]
fn plan_json_carries_config_diagnostics() {
    let output = glplan(&["plan", "--format", "json", UNKNOWN_STAGE]);
    assert_eq!(output.status.code(), Some(1));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["created"], false);
    let first = &value["diagnostics"][0];
    assert_eq!(first["code"], "unknown-stage");
    assert_eq!(first["location"]["file"], UNKNOWN_STAGE);
    assert_eq!(first["location"]["line"], 4);
}

#[test]
fn plan_json_names_files_from_cwd() {
    let pipeline = plan_json(&[RULES], 0);
    assert_eq!(job(&pipeline, "build")["location"]["file"], RULES);
}

#[test]
fn plan_dot_format() {
    let output = glplan(&[
        "plan",
        "--format",
        "dot",
        RULES,
        "--mr-source",
        "f",
        "--mr-label",
        "preview",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("digraph pipeline {\n"), "{text}");
    assert!(
        text.contains("  subgraph cluster_1 {\n    label=\"test\";\n"),
        "{text}"
    );
    assert!(
        text.contains("  job0 -> job1;\n"),
        "build to unit need: {text}"
    );
    assert!(
        text.contains("  job2 -> job3 [style=dotted];\n"),
        "optional need: {text}"
    );
    assert!(
        text.contains("  job1 -> job4 [style=dashed];\n"),
        "stage edge: {text}"
    );
}

#[test]
fn plan_mermaid_format() {
    let output = glplan(&["plan", "--format", "mermaid", RULES]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("flowchart LR\n"), "{text}");
    assert!(
        text.contains("  subgraph stage0 [\"build\"]\n    job0[\"build\"]\n  end\n"),
        "{text}"
    );
    assert!(text.contains("  job0 --> job1\n"), "{text}");
}

#[test]
fn plan_mr_title_sets_draft() {
    let dir = std::env::temp_dir().join(format!("glplan-mr-title-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join(".gitlab-ci.yml");
    std::fs::write(
        &config,
        "draft: {script: x, rules: [{if: '$CI_MERGE_REQUEST_DRAFT == \"true\"'}]}\n\
         titled: {script: x, rules: [{if: '$CI_MERGE_REQUEST_TITLE =~ /^Draft/'}]}\n\
         always: {script: x, rules: [{when: on_success}]}\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let default = plan_json(&[config, "--mr-source", "feat"], 0);
    let draft = plan_json(
        &[config, "--ref", "feat", "--mr-title", "Draft: fix login"],
        0,
    );
    let plain = plan_json(&[config, "--ref", "feat", "--mr-title", "Fix login"], 0);
    let empty = glplan(&["plan", config, "--ref", "feat", "--mr-title", ""]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(created(&default), ["always"]);
    assert_eq!(created(&draft), ["draft", "titled", "always"]);
    assert_eq!(draft["source"], "merge_request_event");
    assert_eq!(created(&plain), ["always"]);
    assert_eq!(empty.status.code(), Some(2));
}

#[test]
fn plan_var_file_formats() {
    let dir = std::env::temp_dir().join(format!("glplan-vars-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dotenv = dir.join("vars.env");
    std::fs::write(&dotenv, "# pipeline variables\nSKIP=1\n").unwrap();
    let json = dir.join("vars.json");
    std::fs::write(&json, r#"{"SKIP": {"value": "1", "raw": true}}"#).unwrap();
    let bad = dir.join("bad.env");
    std::fs::write(&bad, "SKIP\n").unwrap();
    let from_dotenv = plan_json(&[ONLY_EXCEPT, "--var-file", dotenv.to_str().unwrap()], 0);
    let from_json = plan_json(&[ONLY_EXCEPT, "--var-file", json.to_str().unwrap()], 0);
    let overridden = plan_json(
        &[
            ONLY_EXCEPT,
            "--var-file",
            dotenv.to_str().unwrap(),
            "--var",
            "SKIP=0",
        ],
        0,
    );
    let invalid = glplan(&["plan", ONLY_EXCEPT, "--var-file", bad.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(created(&from_dotenv), ["a", "b"]);
    assert_eq!(created(&from_json), ["a", "b"]);
    assert_eq!(created(&overridden), ["a", "b", "c"]);
    assert_eq!(invalid.status.code(), Some(2));
    assert!(
        stderr(&invalid).contains("line 1: expected KEY=VALUE"),
        "{}",
        stderr(&invalid)
    );
}

#[test]
fn plan_var_file_json_errors_exit_two() {
    let dir = std::env::temp_dir().join(format!("glplan-json-vars-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "array.json",
            "[1]\n",
            "a JSON var file must be an object of variables, such as {\"KEY\": \"value\"}, but \
             the file contains an array",
        ),
        (
            "duplicate.json",
            "{\"SKIP\": \"1\",\n \"SKIP\": \"0\"}\n",
            "invalid variables: duplicate variable `SKIP` at line 2 column 7",
        ),
        (
            "empty-field.json",
            "{\"SKIP\": {\"value\": \"1\", \"\": true}}\n",
            "invalid variables: unknown field `\"\"` (empty), expected one of `value`, `masked`, \
             `raw`, `file` at line 1 column 26",
        ),
    ];
    let mut outputs = Vec::new();
    for (name, text, _) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        outputs.push(glplan(&[
            "plan",
            ONLY_EXCEPT,
            "--var-file",
            path.to_str().unwrap(),
        ]));
    }
    for ((name, _, message), output) in cases.iter().zip(&outputs) {
        assert_eq!(output.status.code(), Some(2), "{name}");
        let path = dir.join(name);
        assert_eq!(
            stderr(output),
            format!("error: --var-file `{}`: {message}\n", path.display())
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn plan_missing_var_file_exits_two() {
    let output = glplan(&["plan", RULES, "--var-file", "tests/fixtures/cli/none.env"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("error: --var-file: cannot read"));
}

#[test]
fn explain_matched_job() {
    let output = glplan(&["explain", "deploy", RULES]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    for line in [
        "job: deploy\n",
        "status: created\n",
        &format!("defined at: {RULES}:45:1\n"),
        &format!("  rule 2 at {RULES}:53:7: matched\n"),
        &format!("      expression at {RULES}:53:11: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n"),
        "      values: CI_COMMIT_BRANCH = \"main\", CI_DEFAULT_BRANCH = \"main\"\n",
        "when: on_success\n",
        "allow_failure: no\n",
        "start_in: -\n",
        "tags: deploy\n",
        "image: -\n",
        "needs: none written; waits for the earlier stages: unit, docs\n",
    ] {
        assert!(text.contains(line), "no `{}` in:\n{text}", line.trim_end());
    }
    let deploy = text
        .lines()
        .find(|l| l.trim_start().starts_with("DEPLOY"))
        .unwrap();
    assert!(deploy.contains("\"prod\""), "{deploy}");
    assert!(
        deploy.contains("(rules; overrides global_yaml)"),
        "{deploy}"
    );
}

#[test]
fn explain_names_variable_scopes() {
    let dir = std::env::temp_dir().join(format!("glplan-scopes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join(".gitlab-ci.yml");
    std::fs::write(&config, "deploy: {script: x, environment: production}\n").unwrap();
    let output = glplan(&[
        "explain",
        "deploy",
        config.to_str().unwrap(),
        "--group-var",
        "A@prod*=0",
        "--project-var",
        "A=1",
        "--project-var",
        "A@production=2",
        "--project-var",
        "A@prod*=3",
    ]);
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("A "))
        .unwrap();
    assert!(
        line.ends_with("(project@production; overrides group@prod*, project, project@prod*)"),
        "{line}"
    );
}

#[test]
fn explain_names_groups_of_variable() {
    let dir = std::env::temp_dir().join(format!("glplan-groups-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join(".gitlab-ci.yml");
    std::fs::write(&config, "deploy: {script: x, environment: production}\n").unwrap();
    let explain_line = |extra: &[&str]| {
        let mut args = vec![
            "explain",
            "deploy",
            config.to_str().unwrap(),
            "--project-path",
            "top/sub/app",
            "--instance-var",
            "A=0",
            "--group-var",
            "top:A=1",
        ];
        args.extend_from_slice(extra);
        let output = glplan(&args);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        stdout(&output)
            .lines()
            .find(|l| l.trim_start().starts_with("A "))
            .unwrap()
            .to_owned()
    };
    let two_groups = explain_line(&["--group-var", "A@production=2", "--group-var", "A=3"]);
    let one_group = explain_line(&["--group-var", "top:A@production=2"]);
    let _ = std::fs::remove_dir_all(&dir);

    // With definitions from two groups, every group entry names its group.
    assert!(
        two_groups
            .ends_with("(group top/sub@production; overrides instance, group top, group top/sub)"),
        "{two_groups}"
    );
    // With one group, the path is left out to keep the line short.
    assert!(
        one_group.ends_with("(group@production; overrides instance, group)"),
        "{one_group}"
    );
}

#[test]
fn explain_needed_by() {
    let text = stdout(&glplan(&["explain", "build", RULES]));
    assert!(text.contains("needed by: unit\n"), "{text}");
    assert!(text.contains("waited for by: docs\n"), "{text}");
}

#[test]
fn explain_absent_job() {
    let output = glplan(&["explain", "release", RULES]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("status: absent: no rule matched"), "{text}");
    assert!(
        text.contains(&format!("  rule 1 at {RULES}:63:7: did not match\n")),
        "{text}"
    );
    assert!(
        text.contains("      values: CI_COMMIT_TAG = null\n"),
        "{text}"
    );
}

#[test]
fn explain_workflow_filtered_job() {
    let text = stdout(&glplan(&["explain", "build", RULES, "--title", "x-draft"]));
    assert!(
        text.contains("status: absent: workflow:rules filtered the pipeline out"),
        "{text}"
    );
    assert!(text.contains("CI_COMMIT_TITLE = \"x-draft\""), "{text}");
}

#[test]
fn explain_masks_variable() {
    let output = glplan(&[
        "explain",
        "deploy",
        RULES,
        "--project-var",
        "TOKEN=s3cret-value",
        "--mask",
        "TOKEN",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let token = text
        .lines()
        .find(|l| l.trim_start().starts_with("TOKEN"))
        .unwrap();
    assert!(token.contains("\"[MASKED]\""), "{token}");
    assert!(token.contains("(project)"), "{token}");
    assert!(!text.contains("s3cret-value"), "{text}");
}

#[test]
fn explain_masked_value_absent_from_json() {
    let output = glplan(&[
        "explain",
        "deploy",
        RULES,
        "--format",
        "json",
        "--var",
        "TOKEN=s3cret-value",
        "--mask",
        "TOKEN",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stdout(&output).contains("s3cret-value"));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    let token = value["job"]["variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "TOKEN")
        .unwrap();
    assert_eq!(token["value"], "[MASKED]");
    assert_eq!(token["source"], "pipeline");
}

#[test]
fn explain_unknown_job_suggests() {
    let output = glplan(&["explain", "relase", RULES]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: job `relase` not found; did you mean `release`?\n"
    );
    assert!(stdout(&output).is_empty());
}

#[test]
fn explain_unknown_job_lists_jobs() {
    let output = glplan(&["explain", "zzz", ONLY_EXCEPT]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: job `zzz` not found; the jobs are a, b, c\n"
    );
}

#[test]
fn explain_parallel_base_name() {
    let output = glplan(&["explain", "test", CLEAN]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("test 1/2, test 2/2"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn explain_json_absent_job() {
    let output = glplan(&["explain", "release", RULES, "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["absent"]["reason"], "no_rule_matched");
    assert_eq!(value["absent"]["location"]["file"], RULES);
    assert!(value.get("job").is_none());
}

#[test]
fn context_options_in_help() {
    for command in ["plan", "explain"] {
        let text = stdout(&glplan(&[command, "--help"]));
        for option in [
            "--source <SOURCE>",
            "--ref <REF>",
            "--tag",
            "--default-branch <BRANCH>",
            "--mr-source <BRANCH>",
            "--mr-target <BRANCH>",
            "--mr-label <LABEL>",
            "--mr-event-type <TYPE>",
            "--var-file <FILE>",
            "--project-path <PATH>",
            "--protected-ref <BOOL>",
            "--instance-var <KEY=VALUE>",
            "--group-var <[GROUP:]KEY[@SCOPE]=VALUE>",
            "--project-var <KEY[@SCOPE]=VALUE>",
            "--mask <NAME>",
            "--protect <NAME>",
            "--raw <NAME>",
            "--file-var <NAME>",
            "--changed <PATH>",
            "--changed-from <FILE>",
            "--no-diff",
            "--title <MESSAGE>",
        ] {
            assert!(text.contains(option), "`{command} --help` lacks {option}");
        }
    }
}

const INCLUDE_CHANGES: &str = "crates/glplan-cli/tests/fixtures/include-changes/.gitlab-ci.yml";
const INCLUDE_MASK: &str = "crates/glplan-cli/tests/fixtures/include-mask/.gitlab-ci.yml";

/// `include:rules:changes` in `lint` and `config` compares the changed files as `plan` does;
/// the included file has an unknown stage, so `lint` fails exactly when it is included.
#[test]
fn lint_include_changes_cases() {
    let cases: [(&[&str], i32); 5] = [
        (&[], 1),
        (&["--changed", "docs/a.md"], 0),
        (&["--changed", "src/a.rs"], 1),
        (&["--no-diff"], 1),
        (&["--ref", "v1", "--tag", "--changed", "docs/a.md"], 1),
    ];
    for (extra, status) in cases {
        let mut args = vec!["lint", INCLUDE_CHANGES];
        args.extend_from_slice(extra);
        let output = glplan(&args);
        assert_eq!(output.status.code(), Some(status), "{extra:?}");
    }
}

const LINT_VAR_CHILD: &str = "crates/glplan-cli/tests/fixtures/lint-var-child/.gitlab-ci.yml";

/// The trigger job runs only when `DEPLOY` is `yes`, and its child has an invalid `tags`, so
/// `lint` fails exactly when `--var` makes the job rules create the trigger job.
#[test]
fn lint_var_selects_child() {
    let cases: [(&[&str], i32); 3] = [
        (&[], 0),
        (&["--var", "DEPLOY=no"], 0),
        (&["--var", "DEPLOY=yes"], 1),
    ];
    for (extra, status) in cases {
        let mut args = vec!["lint", "--color", "never", LINT_VAR_CHILD];
        args.extend_from_slice(extra);
        let output = glplan(&args);
        assert_eq!(output.status.code(), Some(status), "{extra:?}");
        let checked = stdout(&output).contains("in the child pipeline of trigger job `deploy`");
        assert_eq!(checked, status == 1, "{extra:?}: {}", stdout(&output));
    }
}

#[test]
fn lint_help_var_reaches_rules() {
    let text = stdout(&glplan(&["lint", "--help"]));
    assert!(text.contains("which child pipelines it checks"), "{text}");
}

#[test]
fn config_include_changes_from_file() {
    let dir = std::env::temp_dir().join(format!("glplan-config-changed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let list = dir.join("changed.txt");
    std::fs::write(&list, "docs/a.md\n").unwrap();
    let output = glplan(&[
        "config",
        INCLUDE_CHANGES,
        "--format",
        "json",
        "--changed-from",
        list.to_str().unwrap(),
    ]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(value["jobs"].get("extra-job").is_none(), "{value:#}");
}

#[test]
fn lint_masks_include_messages() {
    let output = glplan(&[
        "lint",
        INCLUDE_MASK,
        "--var",
        "SECRET=hunter2-hunter2",
        "--mask",
        "SECRET",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("[MASKED]"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn config_masks_include_messages() {
    let args = [
        "config",
        INCLUDE_MASK,
        "--var",
        "SECRET=hunter2-hunter2",
        "--mask",
        "SECRET",
    ];
    let output = glplan(&args);
    let text = stderr(&output);
    assert!(text.contains("error[include-not-found]"), "{text}");
    assert!(text.contains("[MASKED]"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn mask_of_short_value_exits_two() {
    let output = glplan(&[
        "lint",
        INCLUDE_MASK,
        "--var",
        "SECRET=hunter2",
        "--mask",
        "SECRET",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    assert_eq!(
        stderr(&output),
        "error: --var or --var-file variable `SECRET` cannot be masked: a masked variable that \
         is expanded needs a value of at least 8 characters from `a-z A-Z 0-9 _ + = / @ : . ~ \
         -`, but the value has 7 characters. GitLab rejects such a masked variable; change the \
         value or drop --mask SECRET\n"
    );
}

#[test]
fn var_file_unmaskable_value_exits_two() {
    let dir = std::env::temp_dir().join(format!("glplan-unmaskable-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("vars.json");
    std::fs::write(&json, r#"{"SKIP": {"value": "1", "masked": true}}"#).unwrap();
    let output = glplan(&["plan", ONLY_EXCEPT, "--var-file", json.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.starts_with("error: --var or --var-file variable `SKIP` cannot be masked: "),
        "{message}"
    );
    assert!(message.contains("the value has 1 character."), "{message}");
    assert!(message.contains("set `\"masked\": false`"), "{message}");
}

#[test]
fn lint_mask_of_unset_variable_exits_two() {
    let output = glplan(&["lint", INCLUDE_MASK, "--mask", "SECRET"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: --mask SECRET: no variable `SECRET` is set by --instance-var, --group-var, \
         --project-var, --var or --var-file\n"
    );
}

/// Returns variable `name` of job `job_name` in the JSON of a plan.
fn job_variable<'a>(pipeline: &'a Value, job_name: &str, name: &str) -> &'a Value {
    job(pipeline, job_name)["variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|variable| variable["name"] == name)
        .unwrap_or_else(|| panic!("job `{job_name}` has no variable `{name}`: {pipeline:#}"))
}

#[test]
fn variable_levels_reach_plan_json() {
    let pipeline = plan_json(
        &[
            CLEAN,
            "--project-path",
            "top/sub/app",
            "--instance-var",
            "I=instance",
            "--group-var",
            "top:G=top",
            "--group-var",
            "S=sub",
            "--project-var",
            "P=project",
            "--var",
            "V=pipeline",
        ],
        0,
    );
    let cases = [
        ("I", "instance", "instance"),
        ("G", "top", "group"),
        ("S", "sub", "group"),
        ("P", "project", "project"),
        ("V", "pipeline", "pipeline"),
    ];
    for (name, value, source) in cases {
        let variable = job_variable(&pipeline, "build", name);
        assert_eq!(variable["value"], value, "{name}");
        assert_eq!(variable["source"], source, "{name}");
    }
}

#[test]
fn project_path_sets_predefined_variables() {
    let output = glplan(&[
        "explain",
        "build",
        CLEAN,
        "--predefined",
        "--format",
        "json",
        "--project-path",
        "top/sub/app",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    let variables = value["job"]["variables"].as_array().unwrap();
    let find = |name: &str| {
        variables
            .iter()
            .find(|variable| variable["name"] == name)
            .unwrap_or_else(|| panic!("no {name}"))["value"]
            .clone()
    };
    assert_eq!(find("CI_PROJECT_PATH"), "top/sub/app");
    assert_eq!(find("CI_PROJECT_NAMESPACE"), "top/sub");
    assert_eq!(find("CI_PROJECT_ROOT_NAMESPACE"), "top");
}

#[test]
fn variable_precedence_between_levels() {
    // Each row adds a definition of X at a higher level, which must win over all before it.
    let levels: [(&[&str], &str, &str, &[&str]); 6] = [
        (
            &["--instance-var", "X=instance"],
            "instance",
            "instance",
            &[],
        ),
        (&["--group-var", "top:X=top"], "top", "group", &["instance"]),
        (
            &["--group-var", "top/sub:X=sub"],
            "sub",
            "group",
            &["instance", "group"],
        ),
        (
            &["--project-var", "X=project"],
            "project",
            "project",
            &["instance", "group", "group"],
        ),
        (
            &["--var", "X=pipeline"],
            "pipeline",
            "pipeline",
            &["instance", "group", "group", "project"],
        ),
        (
            &["--source", "schedule"],
            "pipeline",
            "schedule",
            &["instance", "group", "group", "project"],
        ),
    ];
    let mut args = vec![CLEAN, "--project-path", "top/sub/app"];
    for (options, value, source, overrides) in levels {
        args.extend_from_slice(options);
        let pipeline = plan_json(&args, 0);
        let variable = job_variable(&pipeline, "build", "X");
        assert_eq!(variable["value"], value, "{args:?}");
        assert_eq!(variable["source"], source, "{args:?}");
        let expected: Vec<Value> = overrides
            .iter()
            .map(|source| Value::from(*source))
            .collect();
        let found = variable["overrides"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(found, expected, "{args:?}");
    }
}

#[test]
fn closest_group_wins_in_any_order() {
    let pipeline = plan_json(
        &[
            CLEAN,
            "--project-path",
            "top/sub/app",
            "--group-var",
            "X=own",
            "--group-var",
            "top:X=top",
            "--group-var",
            "top:Y=first",
            "--group-var",
            "top:Y=last",
        ],
        0,
    );
    assert_eq!(job_variable(&pipeline, "build", "X")["value"], "own");
    assert_eq!(job_variable(&pipeline, "build", "Y")["value"], "last");
}

#[test]
fn mask_hides_every_level() {
    for option in ["--instance-var", "--group-var", "--project-var", "--var"] {
        let output = glplan(&[
            "plan",
            "--format",
            "json",
            CLEAN,
            option,
            "TOKEN=s3cret-value",
            "--mask",
            "TOKEN",
        ]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{option}: {}",
            stderr(&output)
        );
        assert!(!stdout(&output).contains("s3cret-value"), "{option}");
        let pipeline: Value = serde_json::from_slice(&output.stdout).unwrap();
        let token = job_variable(&pipeline, "build", "TOKEN");
        assert_eq!(token["value"], "[MASKED]", "{option}");
        assert_eq!(token["masked"], true, "{option}");
    }
}

#[test]
fn group_var_path_ignores_case() {
    let pipeline = plan_json(
        &[
            CLEAN,
            "--project-path",
            "Acme/Platform/app",
            "--group-var",
            "acme/platform:REGISTRY=registry.test",
        ],
        0,
    );
    let registry = job_variable(&pipeline, "build", "REGISTRY");
    assert_eq!(registry["value"], "registry.test", "{registry}");
    assert_eq!(registry["source"], "group", "{registry}");
}

#[test]
fn group_var_outside_project_exits_two() {
    let output = glplan(&["plan", CLEAN, "--group-var", "acme:X=1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with(
            "error: --group-var: group `acme` does not contain project `group/project`"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn variable_header_line() {
    let output = glplan(&[
        "plan",
        CLEAN,
        "--project-path",
        "top/app",
        "--group-var",
        "X=1",
        "--var",
        "TOKEN=s3cret-value",
        "--mask",
        "TOKEN",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with(
            "pipeline: push to branch main (the default branch)\n\
             project: top/app\n\
             variables: 1 group, 1 pipeline; masked: TOKEN\n\
             changes: no diff, so every `changes` clause holds\n"
        ),
        "{text}"
    );
}

#[test]
fn tag_header_ignores_changed_files() {
    let output = glplan(&[
        "plan",
        CLEAN,
        "--ref",
        "v1",
        "--tag",
        "--changed",
        "src/a.rs",
    ]);
    let text = stdout(&output);
    assert!(
        text.contains("changes: this pipeline has no diff, so every `changes` clause holds"),
        "{text}"
    );
}

#[test]
fn runner_file_bom_is_column() {
    let dir = std::env::temp_dir().join(format!("glplan-bom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let runners = dir.join("runners.toml");
    std::fs::write(
        &runners,
        "\u{feff}concurrent = \"2\"\n[[runners]]\nname = \"r\"\nexecutor = \"shell\"\n",
    )
    .unwrap();
    let durations = dir.join("durations.yml");
    std::fs::write(&durations, "\u{feff}jobs:\n  build: soon\n").unwrap();
    let planned = plan_json(&[CLEAN, "--runners", runners.to_str().unwrap()], 1);
    let scheduled = glplan(&[
        "schedule",
        "--format",
        "json",
        "--durations",
        durations.to_str().unwrap(),
        CLEAN,
    ]);
    let _ = std::fs::remove_dir_all(&dir);

    // As in YAML files, the mark is the first character of line 1 and the offset counts its
    // 3 bytes, so the positions index the file as the npm package indexes the same text.
    let diagnostic = planned["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "fleet-invalid-type")
        .unwrap();
    assert_eq!(diagnostic["location"]["line"], 1);
    assert_eq!(diagnostic["location"]["column"], 15);
    assert_eq!(diagnostic["location"]["offset"], 16);
    let text = stderr(&scheduled);
    assert!(text.contains("durations.yml:2:10"), "{text}");
}

#[test]
fn runner_url_checked_with_server_host() {
    let dir = std::env::temp_dir().join(format!("glplan-runner-url-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let runners = dir.join("config.toml");
    std::fs::write(
        &runners,
        "concurrent = 1\n[[runners]]\nname = \"saas\"\nurl = \"https://gitlab.com/\"\n\
         executor = \"shell\"\ntags = [\"linux\"]\n",
    )
    .unwrap();
    let runners = runners.to_str().unwrap();
    let named = plan_json(
        &[
            CLEAN,
            "--runners",
            runners,
            "--server-host",
            "gitlab.internal.test",
        ],
        0,
    );
    let unnamed = plan_json(&[CLEAN, "--runners", runners], 0);
    let _ = std::fs::remove_dir_all(&dir);

    let rejected = &job(&named, "build")["runners"]["rejected"][0];
    assert_eq!(rejected["reason"], "other_server");
    assert_eq!(rejected["url"], "https://gitlab.com/");
    assert_eq!(rejected["server_host"], "gitlab.internal.test");
    // Without --server-host the server is a placeholder, so the runner's `url` is not compared.
    assert_eq!(job(&unnamed, "build")["runners"]["eligible"][0], "saas");
}

#[test]
fn runner_url_ipv6_checked_with_server_host() {
    let dir = std::env::temp_dir().join(format!("glplan-runner-ipv6-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let runners = dir.join("config.toml");
    std::fs::write(
        &runners,
        "concurrent = 2\n\
         [[runners]]\nname = \"same\"\nurl = \"https://[2001:DB8:0:0:0:0:0:1]:8443/\"\n\
         executor = \"shell\"\ntags = [\"linux\"]\n\
         [[runners]]\nname = \"other\"\nurl = \"https://[2001:db8::2]:8443/\"\n\
         executor = \"shell\"\ntags = [\"linux\"]\n",
    )
    .unwrap();
    let runners = runners.to_str().unwrap();
    let planned = plan_json(
        &[
            CLEAN,
            "--runners",
            runners,
            "--server-host",
            "[2001:db8::1]:8443",
        ],
        0,
    );
    let _ = std::fs::remove_dir_all(&dir);

    let build = &job(&planned, "build")["runners"];
    assert_eq!(build["eligible"], serde_json::json!(["same"]));
    assert_eq!(build["rejected"][0]["reason"], "other_server");
    assert_eq!(build["rejected"][0]["url"], "https://[2001:db8::2]:8443/");
    assert_eq!(build["rejected"][0]["server_host"], "[2001:db8::1]:8443");
}

#[test]
fn plan_input_rules_choose_default() {
    let output = glplan(&["plan", INPUT_RULES]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("deploy-small"),
        "{}",
        stdout(&output)
    );

    let output = glplan(&["plan", INPUT_RULES, "--input", "env=prod"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("deploy-large"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn lint_input_outside_rule_options() {
    let output = glplan(&[
        "lint",
        "--color",
        "never",
        INPUT_RULES,
        "--input",
        "env=prod",
        "--input",
        "size=small",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains(
            "`size` input: `small` cannot be used because it is not in the list of allowed options"
        ),
        "{text}"
    );
    // The fallback rule's `options` entry is on line 14, from column 11.
    assert!(text.contains(&format!("{INPUT_RULES}:14:11")), "{text}");
}

/// A reader that stops reading standard error early, as in `glplan plan 2>&1 | head -1`, leaves
/// the exit status to the configuration: the diagnostics cannot be written, which is the
/// reader's choice, not a failure of the command.
#[test]
fn closed_standard_error_keeps_status() {
    for args in [
        &["explain", "deploy", CHILD_ERRORS][..],
        &["schedule", CHILD_ERRORS],
        &["plan", CHILD_ERRORS],
        &["config", UNKNOWN_STAGE],
    ] {
        let expected = glplan(args).status.code();
        assert_eq!(expected, Some(1), "{args:?}");
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let status = Command::new(env!("CARGO_BIN_EXE_glplan"))
            .args(args)
            .current_dir(common::workspace())
            .stdout(std::process::Stdio::null())
            .stderr(writer)
            .status()
            .unwrap();
        assert_eq!(status.code(), expected, "{args:?}");
    }
}

#[test]
fn plan_shows_expanded_cross_needs() {
    let pipeline = plan_json(&[CROSS_NEEDS], 0);
    let needs = &job(&pipeline, "use")["cross_needs"];
    assert_eq!(needs[0]["project"], "$UPSTREAM");
    assert_eq!(needs[0]["project_expanded"], "group/lib");
    assert_eq!(needs[0]["job_expanded"], "package");
    assert_eq!(needs[0]["ref_expanded"], Value::Null);
    assert_eq!(needs[1]["pipeline_expanded"], "");
}

#[test]
fn plan_warns_unresolved_cross_need() {
    let output = glplan(&["plan", "--color", "never", CROSS_NEEDS]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("warning[cross-need-not-found]"),
        "no warning in:\n{text}"
    );
    // The `needs:pipeline:job` entry starts on line 12, column 7.
    assert!(
        text.contains(&format!("{CROSS_NEEDS}:12:7")),
        "no file:line:col in:\n{text}"
    );
}
