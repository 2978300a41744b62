//! The worked examples of CI/CD variable expressions, run end to end through
//! [`glplan::pipeline::plan`]: a regex held in a variable, empty against undefined variables,
//! the value semantics of `&&` and `||`, precedence, and the syntax errors that make a
//! configuration invalid.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test on a broken fixture"
)]

use glplan::MemoryFiles;
use glplan::context::{PipelineContext, SettingsVariable};
use glplan::pipeline::{Pipeline, PlanOptions, plan};

const ENTRY: &str = ".gitlab-ci.yml";

/// Plans `text` for `context` and returns the pipeline with the configuration's error messages.
fn plan_text(text: &str, context: &PipelineContext) -> (Pipeline, Vec<String>) {
    let files = MemoryFiles::new().with_file(ENTRY, text);
    let (resolution, pipeline) = plan(ENTRY, &files, context, &PlanOptions::default());
    let errors = resolution
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect();
    (pipeline.expect("a configuration"), errors)
}

fn with_pipeline_variables(pairs: &[(&str, &str)]) -> PipelineContext {
    let mut context = PipelineContext::push("main");
    for (key, value) in pairs {
        context
            .pipeline_variables
            .push(SettingsVariable::new(*key, *value));
    }
    context
}

fn created(pipeline: &Pipeline) -> Vec<&str> {
    pipeline.jobs.iter().map(|job| job.name.as_str()).collect()
}

#[test]
fn regex_in_variable_and_literal() {
    let text = r#"
variables:
  pattern: '/^ab.*/'
  string1: 'j1'
j1:
  variables: {teststring: abcde}
  script: x
  rules: [{if: '$teststring =~ $pattern'}]
j2:
  variables: {teststring: fghij}
  script: x
  rules: [{if: '$teststring =~ $pattern'}]
j3:
  script: x
  rules: [{if: '$CI_JOB_NAME =~ /$string1/'}]
"#;
    let (pipeline, errors) = plan_text(text, &PipelineContext::push("main"));
    assert_eq!(errors, Vec::<String>::new());
    // j3's regex is compiled as written: `$` anchors the end, so nothing can follow it.
    assert_eq!(created(&pipeline), ["j1"]);
}

#[test]
fn empty_undefined_and_value_operators() {
    let text = r#"
a: {script: x, rules: [{if: $EMPTY}]}
b: {script: x, rules: [{if: $EMPTY == ""}]}
c: {script: x, rules: [{if: $UNSET == null}]}
d: {script: x, rules: [{if: $EMPTY && $SET}]}
e: {script: x, rules: [{if: $EMPTY || $SET}]}
f: {script: x, rules: [{if: ($EMPTY == "") && $SET}]}
"#;
    let context = with_pipeline_variables(&[("EMPTY", ""), ("SET", "yes")]);
    let (pipeline, errors) = plan_text(text, &context);
    assert_eq!(errors, Vec::<String>::new());
    // `d` because `""` is truthy in Ruby, so `&&` returns `$SET`; not `e`, because `||`
    // returns the truthy `""`, which is not present.
    assert_eq!(created(&pipeline), ["b", "c", "d", "f"]);
}

#[test]
fn and_binds_tighter_than_or() {
    let text = "j:\n  script: x\n  rules:\n    - if: $A == \"1\" || $B == \"1\" && $C == \"1\"\n";
    let cases = [
        ([("A", "1"), ("B", "0"), ("C", "0")], true),
        ([("A", "0"), ("B", "1"), ("C", "0")], false),
        ([("A", "0"), ("B", "1"), ("C", "1")], true),
    ];
    for (variables, expected) in cases {
        let (pipeline, errors) = plan_text(text, &with_pipeline_variables(&variables));
        assert_eq!(errors, Vec::<String>::new(), "{variables:?}");
        assert_eq!(pipeline.created, expected, "{variables:?}");
    }
}

#[test]
fn syntax_errors_invalidate_configuration() {
    let expressions = [
        "$BRANCH == main",
        "$X =~ issue-/.*/",
        "${X} == \"a\"",
        "$X =~ /./",
    ];
    for expression in expressions {
        let text = format!("j:\n  script: x\n  rules:\n    - if: '{expression}'\n");
        let (pipeline, errors) = plan_text(&text, &PipelineContext::push("main"));
        assert!(!pipeline.created, "{expression}");
        assert_eq!(
            errors,
            ["jobs:j:rules:rule if invalid expression syntax"],
            "{expression}"
        );
    }
}
