//! End-to-end tests of the options that shape settings variables: `--protect`, `--raw`,
//! `--file-var`, environment scopes in `--project-var KEY@SCOPE=VALUE` and `--group-var`, and
//! `--protected-ref`. They run the binary from the workspace root on the fixtures
//! `tests/fixtures/variable-flags` and `tests/fixtures/withheld-groups`.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers outside #[test] functions fail the test on unexpected output"
)]

mod common;

use serde_json::Value;

use common::{created, glplan, job, plan_json, stderr, stdout};

const FIXTURE: &str = "crates/glplan-cli/tests/fixtures/variable-flags/.gitlab-ci.yml";

/// Runs `plan --format json` on the fixture with `args` and returns the pipeline.
fn plan_fixture(args: &[&str]) -> Value {
    let mut all = vec![FIXTURE];
    all.extend_from_slice(args);
    plan_json(&all, 0)
}

/// Returns variable `name` of job `job_name` in the JSON of a plan.
fn job_variable<'a>(pipeline: &'a Value, job_name: &str, name: &str) -> &'a Value {
    let job = job(pipeline, job_name);
    job["variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|variable| variable["name"] == name)
        .unwrap_or_else(|| panic!("job `{job_name}` has no variable `{name}`: {job:#}"))
}

/// Runs `explain JOB` on the fixture with `args` and returns the line of variable `name`.
fn explain_variable_line(job: &str, name: &str, args: &[&str]) -> String {
    let mut all = vec!["explain", job, FIXTURE];
    all.extend_from_slice(args);
    let output = glplan(&all);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        stderr(&output)
    );
    let text = stdout(&output);
    text.lines()
        .find(|line| line.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("`explain {job}` shows no variable {name}:\n{text}"))
        .to_owned()
}

/// Runs `plan` on the fixture with `args`, expects exit status 2 and returns standard error.
fn usage_error(args: &[&str]) -> String {
    let mut all = vec!["plan", FIXTURE];
    all.extend_from_slice(args);
    let output = glplan(&all);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{args:?}: {}",
        stdout(&output)
    );
    assert!(stdout(&output).is_empty(), "{args:?}: {}", stdout(&output));
    stderr(&output)
}

const PROTECTED_TOKEN: [&str; 4] = [
    "--project-var",
    "DEPLOY_TOKEN=s3cret",
    "--protect",
    "DEPLOY_TOKEN",
];

#[test]
fn protected_variable_absent_on_feature_branch() {
    let mut args = vec!["--ref", "feature"];
    args.extend_from_slice(&PROTECTED_TOKEN);
    let pipeline = plan_fixture(&args);
    assert_eq!(
        created(&pipeline),
        ["build", "deploy-review", "deploy-production"]
    );
    let absent = &pipeline["absent"][0];
    assert_eq!(absent["name"], "release", "{pipeline:#}");
}

#[test]
fn protected_variable_present_on_protected_ref() {
    let mut args = vec!["--ref", "feature", "--protected-ref", "true"];
    args.extend_from_slice(&PROTECTED_TOKEN);
    let pipeline = plan_fixture(&args);
    assert_eq!(
        created(&pipeline),
        ["build", "release", "deploy-review", "deploy-production"]
    );
    let token = job_variable(&pipeline, "release", "DEPLOY_TOKEN");
    assert_eq!(token["value"], "s3cret");
    assert_eq!(token["source"], "project");
}

#[test]
fn protected_variable_flagged_on_protected_ref() {
    let pipeline = plan_fixture(&PROTECTED_TOKEN);
    let token = job_variable(&pipeline, "release", "DEPLOY_TOKEN");
    assert_eq!(token["protected"], true);
    let build = &pipeline["jobs"][0];
    assert_eq!(build["name"], "build");
    assert!(build.get("withheld_variables").is_none(), "{build:#}");

    let line = explain_variable_line("release", "DEPLOY_TOKEN", &PROTECTED_TOKEN);
    assert!(line.ends_with("(project; protected)"), "{line}");
}

#[test]
fn withheld_protected_variable_in_json() {
    let mut args = vec!["--ref", "feature", "--rule-traces"];
    args.extend_from_slice(&PROTECTED_TOKEN);
    let pipeline = plan_fixture(&args);
    let build = &pipeline["jobs"][0];
    assert_eq!(build["name"], "build");
    assert_eq!(
        build["withheld_variables"],
        serde_json::json!([{"name": "DEPLOY_TOKEN", "sources": ["project"]}])
    );
    let absent = &pipeline["absent"][0];
    assert_eq!(absent["name"], "release");
    let read = &absent["rule"]["rules"][0]["clauses"][0]["reads"][0];
    assert_eq!(
        *read,
        serde_json::json!({"name": "DEPLOY_TOKEN", "value": null, "withheld": ["project"]})
    );
}

#[test]
fn withheld_protected_variable_in_explain() {
    let mut args = vec!["explain", "release", FIXTURE, "--ref", "feature"];
    args.extend_from_slice(&PROTECTED_TOKEN);
    let output = glplan(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("      values: DEPLOY_TOKEN = null (withheld protected project variable)\n"),
        "{text}"
    );

    let mut args = vec!["explain", "build", FIXTURE, "--ref", "feature"];
    args.extend_from_slice(&PROTECTED_TOKEN);
    args.extend_from_slice(&["--group-var", "DEPLOY_TOKEN=group"]);
    let output = glplan(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    // `--protect` protects the group's value too, so neither level reaches the job.
    assert!(
        text.ends_with(
            "variables: none\n\
             withheld: protected variables, which GitLab passes only to pipelines of protected \
             branches and tags:\n\
             \x20 DEPLOY_TOKEN  (group, project)\n"
        ),
        "{text}"
    );
}

#[test]
fn withheld_variable_names_scope() {
    let args = [
        "--ref",
        "feature",
        "--project-var",
        "A=1",
        "--project-var",
        "A@review/*=2",
        "--protect",
        "A",
        "--group-var",
        "A=3",
    ];
    let mut all = vec!["explain", "deploy-review", FIXTURE];
    all.extend_from_slice(&args);
    let output = glplan(&all);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.ends_with("  A  (group, project@review/*)\n"), "{text}");

    let pipeline = plan_fixture(&args);
    let review = job(&pipeline, "deploy-review");
    assert_eq!(
        review["withheld_variables"],
        serde_json::json!([{
            "name": "A",
            "sources": ["group", "project"],
            "scopes": [null, "review/*"],
            "groups": ["group", null],
        }])
    );
    let build = job(&pipeline, "build");
    assert_eq!(
        build["withheld_variables"],
        serde_json::json!([{
            "name": "A",
            "sources": ["group", "project"],
            "groups": ["group", null],
        }]),
        "scope `*` is not named"
    );
}

/// The protected definitions of `A` in the groups `top` and `top/sub`, the second in two scopes,
/// on the unprotected branch `feature`, with the pipeline value `A=pipeline`.
const WITHHELD_GROUPS: [&str; 15] = [
    "crates/glplan-cli/tests/fixtures/withheld-groups/.gitlab-ci.yml",
    "--ref",
    "feature",
    "--project-path",
    "top/sub/app",
    "--group-var",
    "top:A=1",
    "--group-var",
    "A=2",
    "--group-var",
    "A@production=3",
    "--protect",
    "A",
    "--var",
    "A=pipeline",
];

#[test]
fn withheld_variable_names_groups_in_explain() {
    let mut args = vec!["explain", "deploy"];
    args.extend_from_slice(&WITHHELD_GROUPS);
    let output = glplan(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.ends_with(
            "  A  (group top, group top/sub@production; the job gets the pipeline value above)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "      values: A = \"pipeline\" (withheld protected group top, \
             group top/sub@production variables)\n"
        ),
        "{text}"
    );
}

#[test]
fn withheld_variable_names_groups_in_json() {
    let mut args = vec!["--rule-traces"];
    args.extend_from_slice(&WITHHELD_GROUPS);
    let pipeline = plan_json(&args, 0);
    let deploy = job(&pipeline, "deploy");
    assert_eq!(
        deploy["withheld_variables"],
        serde_json::json!([{
            "name": "A",
            "sources": ["group", "group"],
            "scopes": [null, "production"],
            "groups": ["top", "top/sub"],
        }])
    );
    assert_eq!(
        deploy["rule"]["rules"][0]["clauses"][0]["reads"][0],
        serde_json::json!({
            "name": "A",
            "value": "pipeline",
            "withheld": ["group", "group"],
            "withheld_scopes": [null, "production"],
            "withheld_groups": ["top", "top/sub"],
        })
    );
}

#[test]
fn withheld_variable_names_value_source() {
    let args = [
        "--ref",
        "feature",
        "--project-var",
        "DEPLOY_TOKEN=s3cret",
        "--protect",
        "DEPLOY_TOKEN",
        "--var",
        "DEPLOY_TOKEN=from-pipeline",
    ];
    let line = explain_variable_line("build", "DEPLOY_TOKEN", &args);
    assert!(line.ends_with("(pipeline)"), "{line}");
    let mut all = vec!["explain", "build", FIXTURE];
    all.extend_from_slice(&args);
    let text = stdout(&glplan(&all));
    assert!(
        text.ends_with("  DEPLOY_TOKEN  (project; the job gets the pipeline value above)\n"),
        "{text}"
    );
}

#[test]
fn protected_ref_false_hides_variable_on_default_branch() {
    let pipeline = plan_fixture(&PROTECTED_TOKEN);
    assert!(created(&pipeline).contains(&"release".to_owned()));
    let mut args = vec!["--protected-ref", "false"];
    args.extend_from_slice(&PROTECTED_TOKEN);
    let pipeline = plan_fixture(&args);
    assert!(!created(&pipeline).contains(&"release".to_owned()));
}

#[test]
fn protected_ref_in_header() {
    let cases: [(&[&str], &str); 3] = [
        (
            &["--ref", "release/1", "--protected-ref", "true"],
            "pipeline: push to branch release/1 (protected by --protected-ref)\n",
        ),
        (
            &["--ref", "v1.0", "--tag", "--protected-ref", "true"],
            "pipeline: push of tag v1.0 (protected by --protected-ref)\n",
        ),
        (
            &["--protected-ref", "false"],
            "pipeline: push to branch main (the default branch, unprotected by \
             --protected-ref)\n",
        ),
    ];
    for (options, expected) in cases {
        let mut args = vec!["plan", FIXTURE];
        args.extend_from_slice(options);
        let output = glplan(&args);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let text = stdout(&output);
        assert!(text.starts_with(expected), "{options:?}:\n{text}");
    }
}

#[test]
fn header_names_protected_variables() {
    let mut args = vec!["plan", FIXTURE, "--ref", "feature"];
    args.extend_from_slice(&PROTECTED_TOKEN);
    let output = glplan(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with(
            "pipeline: push to branch feature\n\
             variables: 1 project; protected: DEPLOY_TOKEN\n"
        ),
        "{text}"
    );
}

#[test]
fn raw_variable_not_expanded() {
    let pipeline = plan_fixture(&[
        "--project-var",
        "OTHER=expanded",
        "--project-var",
        "URL=$OTHER/path",
        "--var",
        "PIPELINE_URL=$OTHER/path",
        "--project-var",
        "PLAIN=$OTHER/path",
        "--raw",
        "URL",
        "--raw",
        "PIPELINE_URL",
    ]);
    let url = job_variable(&pipeline, "build", "URL");
    assert_eq!(url["value"], "$OTHER/path");
    assert_eq!(url["raw"], true);
    let pipeline_url = job_variable(&pipeline, "build", "PIPELINE_URL");
    assert_eq!(pipeline_url["value"], "$OTHER/path");
    assert_eq!(pipeline_url["raw"], true);
    let plain = job_variable(&pipeline, "build", "PLAIN");
    assert_eq!(plain["value"], "expanded/path");
}

#[test]
fn raw_masked_value_accepted() {
    let pipeline = plan_fixture(&[
        "--project-var",
        "PASSWORD=p@ss!word%",
        "--mask",
        "PASSWORD",
        "--raw",
        "PASSWORD",
    ]);
    let password = job_variable(&pipeline, "build", "PASSWORD");
    assert_eq!(password["value"], "[MASKED]");
    assert_eq!(password["raw"], true);
}

#[test]
fn file_variable_in_explain() {
    let args = [
        "--instance-var",
        "KUBECONFIG=apiVersion: v1",
        "--file-var",
        "KUBECONFIG",
    ];
    let line = explain_variable_line("build", "KUBECONFIG", &args);
    assert!(line.contains("\"apiVersion: v1\""), "{line}");
    assert!(line.ends_with("(instance; file)"), "{line}");
    let pipeline = plan_fixture(&args);
    assert_eq!(job_variable(&pipeline, "build", "KUBECONFIG")["file"], true);
}

#[test]
fn scoped_values_follow_environment() {
    let args = [
        "--project-var",
        "URL=https://default.test",
        "--project-var",
        "URL@review/*=https://review.test",
        "--project-var",
        "URL@production=https://first.test",
        "--project-var",
        "URL@production=https://production.test",
    ];
    let cases = [
        ("build", "\"https://default.test\""),
        ("deploy-review", "\"https://review.test\""),
        ("deploy-production", "\"https://production.test\""),
    ];
    for (job, value) in cases {
        let line = explain_variable_line(job, "URL", &args);
        assert!(line.contains(value), "{job}: {line}");
        assert!(line.contains("(project"), "{job}: {line}");
    }
}

#[test]
fn scoped_group_value_below_project_value() {
    let pipeline = plan_fixture(&[
        "--group-var",
        "URL@production=https://group.test",
        "--project-var",
        "URL@review/*=https://review.test",
    ]);
    let production = job_variable(&pipeline, "deploy-production", "URL");
    assert_eq!(production["value"], "https://group.test");
    assert_eq!(production["source"], "group");
    let review = job_variable(&pipeline, "deploy-review", "URL");
    assert_eq!(review["value"], "https://review.test");
    assert_eq!(review["source"], "project");
}

#[test]
fn flag_errors_exit_two() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["--var", "TOKEN=x", "--protect", "TOKEN"],
            "error: --protect TOKEN: `TOKEN` is set only by --var or --var-file, and GitLab's \
             pipeline variables cannot be protected; set it with --instance-var, --group-var or \
             --project-var to protect it\n",
        ),
        (
            &["--protect", "TOKEN"],
            "error: --protect TOKEN: no variable `TOKEN` is set by --instance-var, --group-var \
             or --project-var\n",
        ),
        (
            &["--raw", "TOKEN"],
            "error: --raw TOKEN: no variable `TOKEN` is set by --instance-var, --group-var, \
             --project-var, --var or --var-file\n",
        ),
        (
            &["--file-var", "TOKEN"],
            "error: --file-var TOKEN: no variable `TOKEN` is set by --instance-var, \
             --group-var, --project-var, --var or --var-file\n",
        ),
        (
            &["--mr-source", "feat", "--protected-ref", "true"],
            "error: --protected-ref true: a merge request pipeline runs on the merge request's \
             own ref, which glplan treats as unprotected, so protected variables never reach it; drop \
             --protected-ref, or plan a branch pipeline without --source merge_request_event and the --mr-* options\n",
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(usage_error(args), expected, "{args:?}");
    }
}

#[test]
fn scope_errors_exit_two() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["--instance-var", "TOKEN@production=x"],
            "error: invalid value 'TOKEN@production=x' for '--instance-var <KEY=VALUE>': GitLab \
             gives instance variables no environment scope, so `TOKEN@production` is rejected; \
             drop `@production`, or set a group or project variable with --group-var or \
             --project-var TOKEN@production=VALUE\n",
        ),
        (
            &["--project-var", "URL@=x"],
            "error: invalid value 'URL@=x' for '--project-var <KEY[@SCOPE]=VALUE>': the \
             environment scope after `@` is empty; write `*` for every environment, an \
             environment name such as `production`, or a pattern such as `review/*`\n",
        ),
        (
            &["--project-var", "URL@prod!=x"],
            "error: invalid value 'URL@prod!=x' for '--project-var <KEY[@SCOPE]=VALUE>': \
             environment scope `prod!` contains `!`, but GitLab allows only letters, digits, \
             `-`, `_`, `/`, `$`, `{`, `}`, `.`, `*` and spaces\n",
        ),
        (
            &["--group-var", "top:URL@=x"],
            "error: invalid value 'top:URL@=x' for '--group-var <[GROUP:]KEY[@SCOPE]=VALUE>': \
             the environment scope after `@` is empty; write `*` for every environment, an \
             environment name such as `production`, or a pattern such as `review/*`\n",
        ),
    ];
    for (args, expected) in cases {
        let message = usage_error(args);
        let first = message.split("\n\n").next().unwrap_or_default();
        assert_eq!(format!("{first}\n"), expected, "{args:?}");
    }
}

#[test]
fn protected_ref_invalid_value_exits_two() {
    let message = usage_error(&["--protected-ref", "yes"]);
    assert!(
        message.starts_with(
            "error: invalid value 'yes' for '--protected-ref <BOOL>'\n  [possible values: true, \
             false]\n"
        ),
        "{message}"
    );
}

#[test]
fn later_matching_pattern_wins() {
    let cases = [
        (["U@review/*=review", "U@*/login=login"], "\"login\""),
        (["U@*/login=login", "U@review/*=review"], "\"review\""),
    ];
    for ([first, second], value) in cases {
        let args = ["--project-var", first, "--project-var", second];
        let line = explain_variable_line("deploy-review", "U", &args);
        assert!(line.contains(value), "{args:?}: {line}");
    }
}
