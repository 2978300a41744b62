//! Unit tests of pipeline creation, through [`plan`] on small configurations.

use super::*;
use crate::config::{AllowFailure, JobNeed, SchedulingType, When};
use crate::context::{PipelineSource, SettingsVariable};
use crate::files::MemoryFiles;
use crate::source::{FileId, Span};

const ENTRY: &str = ".gitlab-ci.yml";

/// Plans with the rule traces kept, which most tests read.
fn plan_files(files: &MemoryFiles, context: &PipelineContext) -> Pipeline {
    let options = PlanOptions {
        rule_traces: true,
        ..PlanOptions::default()
    };
    let (resolution, pipeline) = plan(ENTRY, files, context, &options);
    let errors: Vec<&str> = resolution
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.as_str())
        .collect();
    assert!(errors.is_empty(), "configuration errors: {errors:?}");
    pipeline.unwrap()
}

fn plan_on(yaml: &str, context: &PipelineContext) -> Pipeline {
    plan_files(&MemoryFiles::new().with_file(ENTRY, yaml), context)
}

fn plan_main(yaml: &str) -> Pipeline {
    plan_on(yaml, &PipelineContext::push("main"))
}

fn names(pipeline: &Pipeline) -> Vec<&str> {
    pipeline.jobs.iter().map(|job| job.name.as_str()).collect()
}

fn job<'p>(pipeline: &'p Pipeline, name: &str) -> &'p PlannedJob {
    pipeline
        .job(name)
        .unwrap_or_else(|| panic!("job `{name}` is not planned: {:?}", names(pipeline)))
}

#[test]
fn jobs_in_stage_order() {
    let pipeline = plan_main("t: {stage: test, script: x}\nb: {stage: build, script: x}\n");
    assert_eq!(names(&pipeline), ["b", "t"]);
    let stages: Vec<&str> = pipeline.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(stages, ["build", "test"]);
    assert!(pipeline.created);
    assert_eq!(pipeline.version, 3);
}

#[test]
fn allow_failure_defaults() {
    let pipeline = plan_main(
        "
manual: {script: x, when: manual}
rule_manual: {script: x, rules: [{when: manual}]}
manual_then_rule: {script: x, when: manual, rules: [{when: on_success}]}
codes: {script: x, allow_failure: {exit_codes: [137]}}
rule_overrides_codes: {script: x, allow_failure: {exit_codes: 2}, rules: [{allow_failure: true}]}
plain: {script: x}
",
    );
    let cases = [
        ("manual", AllowFailure::Bool(true)),
        ("rule_manual", AllowFailure::Bool(false)),
        ("manual_then_rule", AllowFailure::Bool(true)),
        (
            "codes",
            AllowFailure::ExitCodes {
                exit_codes: vec![crate::config::ExitCode::from(137)],
            },
        ),
        ("rule_overrides_codes", AllowFailure::Bool(true)),
        ("plain", AllowFailure::Bool(false)),
    ];
    for (name, expected) in cases {
        assert_eq!(job(&pipeline, name).allow_failure, expected, "{name}");
    }
}

#[test]
fn delayed_rule_start_in() {
    let pipeline = plan_main(
        "j: {script: x, rules: [{when: delayed, start_in: 10 minutes}]}\nk: {script: x}\n",
    );
    let j = job(&pipeline, "j");
    assert_eq!(j.when, When::Delayed);
    assert_eq!(j.start_in.as_ref().map(|d| d.seconds), Some(600));
    assert_eq!(job(&pipeline, "k").start_in, None);
}

#[test]
fn rule_interruptible_overrides() {
    let pipeline = plan_main(
        "
default: {interruptible: true}
a: {script: x}
b: {script: x, rules: [{interruptible: false}]}
",
    );
    assert!(job(&pipeline, "a").interruptible);
    assert!(!job(&pipeline, "b").interruptible);
}

#[test]
fn rule_needs_replace_job_needs() {
    let pipeline = plan_main(
        "
stages: [build, test]
a: {stage: build, script: x}
b: {stage: build, script: x}
j: {stage: test, script: x, needs: [a], rules: [{needs: [b]}]}
",
    );
    let j = job(&pipeline, "j");
    assert_eq!(j.need_names(), ["b"]);
    assert_eq!(j.scheduling_type, SchedulingType::Dag);
}

#[test]
fn rule_needs_empty_keeps_scheduling() {
    let pipeline = plan_main(
        "
stages: [build, test]
a: {stage: build, script: x}
stage_job: {stage: test, script: x, rules: [{needs: []}]}
dag_job: {stage: test, script: x, needs: [a], rules: [{needs: []}]}
",
    );
    let stage_job = job(&pipeline, "stage_job");
    assert_eq!(stage_job.scheduling_type, SchedulingType::Stage);
    assert_eq!(stage_job.needs, None);
    let dag_job = job(&pipeline, "dag_job");
    assert_eq!(dag_job.scheduling_type, SchedulingType::Dag);
    assert_eq!(dag_job.needs, Some(Vec::new()));
}

#[test]
fn rule_need_on_absent_job_warns() {
    let pipeline = plan_main(
        "
stages: [build, test]
a: {stage: build, script: x, rules: [{if: $NEVER}]}
b: {stage: build, script: x}
j: {stage: test, script: x, rules: [{needs: [a, b]}]}
",
    );
    assert!(pipeline.created);
    assert_eq!(job(&pipeline, "j").need_names(), ["b"]);
    let codes: Vec<&str> = pipeline
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(codes, ["rules-need-not-in-pipeline"]);
}

#[test]
fn missing_required_need_fails() {
    let pipeline = plan_main(
        "
stages: [build, test]
a: {stage: build, script: x, rules: [{if: $NEVER}]}
j: {stage: test, script: x, needs: [a]}
",
    );
    assert!(!pipeline.created);
    assert_eq!(
        pipeline.errors,
        [
            "'j' job needs 'a' job, but 'a' does not exist in the pipeline. This might be because \
          of the only, except, or rules keywords. To need a job that sometimes does not exist in \
          the pipeline, use needs:optional."
        ]
    );
    let diagnostic = pipeline.error_diagnostics().next().unwrap();
    assert_eq!(diagnostic.job.as_deref(), Some("j"));
    assert_eq!(diagnostic.location.as_ref().map(|l| l.line), Some(4));
}

#[test]
fn missing_need_help_quotes_names() {
    let cases = [
        ("a", "{job: a, optional: true}"),
        (
            "build: [prod, us]",
            r#"{job: "build: [prod, us]", optional: true}"#,
        ),
        ("test 1/2", r#"{job: "test 1/2", optional: true}"#),
        ("yes", r#"{job: "yes", optional: true}"#),
        ("say \"hi\"", r#"{job: "say \"hi\"", optional: true}"#),
    ];
    for (needed, written) in cases {
        let need = JobNeed {
            job: needed.to_owned(),
            artifacts: true,
            optional: false,
            parallel: None,
            span: Span::default(),
        };
        let help = needs::missing_need("j", &need).help.unwrap_or_default();
        assert!(help.contains(written), "{needed}: {help}");
    }
}

#[test]
fn missing_optional_need_dropped() {
    let pipeline = plan_main(
        "
stages: [build, test]
a: {stage: build, script: x, rules: [{if: $NEVER}]}
j: {stage: test, script: x, needs: [{job: a, optional: true}]}
",
    );
    assert!(pipeline.created);
    assert_eq!(job(&pipeline, "j").needs, Some(Vec::new()));
}

fn needs_yaml(count: usize) -> String {
    let mut yaml = String::from("stages: [build, test]\n");
    let mut needs = Vec::new();
    for index in 0..count {
        yaml.push_str(&format!("n{index}: {{stage: build, script: x}}\n"));
        needs.push(format!("n{index}"));
    }
    yaml.push_str(&format!(
        "j: {{stage: test, script: x, needs: [{}]}}\n",
        needs.join(", ")
    ));
    yaml
}

#[test]
fn needs_limit_boundary() {
    let limits = Limits {
        max_needs: 3,
        ..Limits::default()
    };
    let options = PlanOptions {
        limits,
        ..PlanOptions::default()
    };
    let context = PipelineContext::push("main");
    let at_limit = MemoryFiles::new().with_file(ENTRY, needs_yaml(3));
    let (_, pipeline) = plan(ENTRY, &at_limit, &context, &options);
    assert_eq!(pipeline.map(|p| p.errors), Some(Vec::new()));

    let over = MemoryFiles::new().with_file(ENTRY, needs_yaml(4));
    let (_, pipeline) = plan(ENTRY, &over, &context, &options);
    let errors = pipeline.map(|p| p.errors).unwrap_or_default();
    assert!(
        errors.contains(
            &"j: one job can only need 3 others, but you have listed 4. See needs keyword \
              documentation for more details"
                .to_owned()
        ),
        "{errors:?}"
    );
}

#[test]
fn variable_cycle_fails() {
    let pipeline = plan_main("j: {script: x, variables: {A: $B, B: $A}}\n");
    assert!(!pipeline.created);
    assert_eq!(
        pipeline.errors,
        [r#"j: circular variable reference detected: ["A", "B"]"#]
    );
}

#[test]
fn variable_expansion_bomb_fails() {
    let mut yaml = String::from("variables:\n  V0: xxxxxxxxxx\n");
    for level in 1..=15 {
        let previous = format!("$V{}", level - 1);
        yaml.push_str(&format!("  V{level}: \"{}\"\n", previous.repeat(4)));
    }
    yaml.push_str("j: {script: x}\n");
    let pipeline = plan_main(&yaml);
    assert!(!pipeline.created);
    assert_eq!(
        pipeline.errors,
        ["j: expanding variable `V9` adds more than 1048576 bytes to the job's variables"]
    );
}

#[test]
fn changes_true_without_diff() {
    let yaml = "c: {script: x, rules: [{changes: [src/a.rs]}]}\n\
                o: {script: x, only: {changes: [src/a.rs]}}\n\
                main: {script: x}\n";
    let changed = Some(vec!["other.txt".to_owned()]);
    let api = PipelineContext {
        source: PipelineSource::Api,
        ..PipelineContext::push("main")
    };
    let cases = [
        ("push", PipelineContext::push("main"), vec!["main"]),
        ("tag", PipelineContext::tag("v1"), vec!["c", "o", "main"]),
        (
            "schedule",
            PipelineContext::schedule("main"),
            vec!["c", "o", "main"],
        ),
        ("web", PipelineContext::web("main"), vec!["c", "o", "main"]),
        ("api", api, vec!["c", "o", "main"]),
    ];
    for (name, context, expected) in cases {
        let context = PipelineContext {
            changed_files: changed.clone(),
            ..context
        };
        assert_eq!(names(&plan_on(yaml, &context)), expected, "{name}");
    }
}

#[test]
fn include_rules_use_changed_files() {
    let files = MemoryFiles::new()
        .with_file(
            ENTRY,
            "include:\n  - local: c.yml\n    rules: [{changes: [src/*]}]\nmain: {script: x}\n",
        )
        .with_file("c.yml", "c: {script: x}\n");
    let cases = [
        ("push", PipelineContext::push("feature"), vec!["main"]),
        ("tag", PipelineContext::tag("v1"), vec!["c", "main"]),
    ];
    for (name, context, expected) in cases {
        let context = PipelineContext {
            changed_files: Some(vec!["docs/readme.md".to_owned()]),
            ..context
        };
        assert_eq!(names(&plan_files(&files, &context)), expected, "{name}");
    }
}

#[test]
fn changes_and_exists_expand_nested_variables() {
    let yaml = "variables: {BASE: root, DIR: $BASE/src}\n\
                c: {script: x, rules: [{changes: [$DIR/*.rb]}]}\n\
                e: {script: x, rules: [{exists: [$DIR/*.rb]}]}\n\
                main: {script: x}\n";
    let context = PipelineContext {
        changed_files: Some(vec!["root/src/a.rb".to_owned()]),
        repository_files: vec!["root/src/a.rb".to_owned()],
        ..PipelineContext::push("feature")
    };
    let pipeline = plan_on(yaml, &context);
    assert_eq!(names(&pipeline), ["c", "e", "main"]);
}

#[test]
fn workflow_changes_expand_nested_variables() {
    let yaml = "variables: {BASE: root, DIR: $BASE/src}\n\
                workflow: {rules: [{changes: [$DIR/*.rb]}]}\n\
                main: {script: x}\n";
    let context = PipelineContext {
        changed_files: Some(vec!["root/src/a.rb".to_owned()]),
        ..PipelineContext::push("feature")
    };
    assert!(plan_on(yaml, &context).created);
}

#[test]
fn implicit_only_traced() {
    let pipeline = plan_main("a: {script: x}\nb: {script: x, only: [branches, tags]}\n");
    assert!(job(&pipeline, "a").rule.implicit_only);
    assert!(!job(&pipeline, "b").rule.implicit_only);
}

#[test]
fn no_jobs_left() {
    let pipeline = plan_main("j: {script: x, rules: [{if: $NEVER}]}\n");
    assert!(!pipeline.created);
    assert_eq!(pipeline.errors, [NO_JOBS_MESSAGE]);
    assert_eq!(pipeline.absent[0].reason, AbsentReason::NoRuleMatched);
}

#[test]
fn pipeline_outcome_has_no_location() {
    let cases = [
        (
            "workflow-filtered",
            "workflow: {rules: [{if: $NEVER}]}\na: {script: x}\n",
        ),
        ("no-jobs", "j: {script: x, rules: [{if: $NEVER}]}\n"),
    ];
    for (code, yaml) in cases {
        let pipeline = plan_main(yaml);
        let diagnostic = pipeline.diagnostics.iter().find(|d| d.code == code);
        let diagnostic = diagnostic.unwrap_or_else(|| panic!("no {code} diagnostic"));
        assert_eq!(diagnostic.location, None, "{code}");
        assert_eq!(diagnostic.span, None, "{code}");
    }
}

#[test]
fn only_edge_stages_left() {
    let pipeline = plan_main(
        "
p: {stage: .pre, script: x}
q: {stage: .post, script: x}
j: {script: x, rules: [{if: $NEVER}]}
",
    );
    assert!(!pipeline.created);
    assert_eq!(pipeline.errors, [NO_JOBS_MESSAGE]);
    assert_eq!(names(&pipeline), ["p", "q"]);
}

#[test]
fn absent_reasons() {
    let pipeline = plan_main(
        "
never: {script: x, rules: [{if: $CI_COMMIT_BRANCH, when: never}]}
unmatched: {script: x, rules: [{if: $NOPE}]}
tags_only: {script: x, only: [tags]}
kept: {script: x}
",
    );
    let reason = |name: &str| pipeline.absent_job(name).map(|job| job.reason);
    assert_eq!(reason("never"), Some(AbsentReason::WhenNever));
    assert_eq!(reason("unmatched"), Some(AbsentReason::NoRuleMatched));
    assert_eq!(reason("tags_only"), Some(AbsentReason::OnlyExcept));
    assert_eq!(reason("kept"), None);
}

#[test]
fn absent_trace_explains() {
    let pipeline = plan_main("j: {script: x, rules: [{if: '$X == \"y\"'}]}\nk: {script: x}\n");
    let rule = pipeline
        .absent_job("j")
        .and_then(|job| job.rule.as_ref())
        .unwrap();
    assert_eq!(rule.by, DecidedBy::Rules);
    let clause = &rule.rules[0].clauses[0];
    assert_eq!(clause.expression.as_deref(), Some("$X == \"y\""));
    assert_eq!(
        clause.reads,
        [VariableRead {
            name: "X".into(),
            value: None,
            withheld: Vec::new(),
            withheld_scopes: Vec::new(),
            withheld_groups: Vec::new(),
        }]
    );
    let location = rule.rules[0].location.as_ref().unwrap();
    assert_eq!((location.file.as_str(), location.line), (ENTRY, 1));
}

#[test]
fn matched_rule_trace() {
    let pipeline = plan_main(
        "j:\n  script: x\n  rules:\n    - if: $CI_COMMIT_TAG\n    - if: $CI_COMMIT_BRANCH == \"main\"\n",
    );
    let rule = &job(&pipeline, "j").rule;
    assert_eq!(rule.matched, Some(1));
    assert_eq!(rule.rules.len(), 2);
    assert!(!rule.rules[0].matched);
    assert_eq!(
        rule.rules[1].clauses[0].reads,
        [VariableRead {
            name: "CI_COMMIT_BRANCH".into(),
            value: Some("main".into()),
            withheld: Vec::new(),
            withheld_scopes: Vec::new(),
            withheld_groups: Vec::new(),
        }]
    );
    assert_eq!(rule.rules[1].location.as_ref().map(|l| l.line), Some(5));
}

#[test]
fn rule_traces_left_out_by_default() {
    let yaml = "
workflow: {rules: [{if: $CI_COMMIT_TAG, when: never}, {when: always}]}
j:
  script: x
  rules:
    - if: $CI_COMMIT_TAG
    - if: $CI_PIPELINE_SOURCE == \"schedule\"
      when: never
    - if: $CI_COMMIT_BRANCH == \"main\"
gone: {script: x, rules: [{if: $CI_COMMIT_TAG}]}
old: {script: x, only: [tags], except: {variables: [$X]}}
";
    let files = MemoryFiles::new().with_file(ENTRY, yaml);
    let context = PipelineContext::push("main");
    let (_, lean) = plan(ENTRY, &files, &context, &PlanOptions::default());
    let lean = lean.unwrap();
    let full = plan_files(&files, &context);

    let (lean_rule, full_rule) = (&job(&lean, "j").rule, &job(&full, "j").rule);
    assert!(lean_rule.rules.is_empty());
    assert_eq!(full_rule.rules.len(), 3);
    assert_eq!(lean_rule.matched, Some(2));
    assert_eq!(lean_rule.summary, full_rule.summary);
    assert!(lean_rule.summary.contains("CI_COMMIT_BRANCH = \"main\""));
    assert_eq!(lean_rule.by, full_rule.by);

    for name in ["gone", "old"] {
        let lean_rule = lean.absent_job(name).and_then(|j| j.rule.as_ref()).unwrap();
        let full_rule = full.absent_job(name).and_then(|j| j.rule.as_ref()).unwrap();
        assert!(lean_rule.rules.is_empty());
        assert!(lean_rule.only.is_none());
        assert!(lean_rule.except.is_none());
        assert_eq!(lean_rule.summary, full_rule.summary);
    }
    let old = full
        .absent_job("old")
        .and_then(|j| j.rule.as_ref())
        .unwrap();
    assert!(old.only.is_some());
    assert!(old.except.is_some());

    // The workflow's rules are one list per pipeline and stay.
    assert_eq!(lean.workflow, full.workflow);
    assert_eq!(lean.workflow.rules.len(), 2);
}

#[test]
fn workflow_filtered_lists_all_jobs() {
    let pipeline = plan_main("workflow: {rules: [{if: $CI_COMMIT_TAG}]}\na: {script: x}\n");
    assert!(!pipeline.created);
    assert!(!pipeline.workflow.created);
    assert_eq!(
        pipeline.errors,
        ["Pipeline filtered out by workflow rules."]
    );
    assert_eq!(pipeline.absent.len(), 1);
    assert_eq!(pipeline.absent[0].reason, AbsentReason::WorkflowFiltered);
    assert!(pipeline.jobs.is_empty());
}

#[test]
fn tags_expand_keep_unknown() {
    let pipeline = plan_main(
        "variables: {ARCH: arm64}\nj: {script: x, tags: [\"$ARCH-runner\", \"$NOPE\", docker]}\n",
    );
    assert_eq!(
        job(&pipeline, "j").tags,
        ["arm64-runner", "$NOPE", "docker"]
    );
}

#[test]
fn tags_saved_without_blank_tags() {
    // GitLab strips each expanded tag, then drops blank and repeated ones.
    let pipeline = plan_main(
        "variables: {EMPTY: '', ARCH: ' arm64'}\n\
         j: {script: x, tags: ['', $EMPTY, '  ', $ARCH, ' docker ', docker]}\n\
         k: {script: x, tags: ['']}\n",
    );
    assert_eq!(job(&pipeline, "j").tags, ["arm64", "docker"]);
    assert!(job(&pipeline, "k").tags.is_empty());
}

#[test]
fn variables_with_sources() {
    let mut context = PipelineContext::push("main");
    context.project_variables = vec![SettingsVariable::new("B", "project")];
    let pipeline = plan_on(
        "variables: {A: global, B: global}\nj: {script: x, variables: {A: job, C: \"${A}-c\"}}\n",
        &context,
    );
    let j = job(&pipeline, "j");
    let find = |name: &str| j.variables.iter().find(|v| v.name == name).unwrap();
    assert_eq!(find("A").value, "job");
    assert_eq!(find("A").source, VariableSource::JobYaml);
    assert_eq!(find("A").overrides, [VariableSource::GlobalYaml]);
    assert_eq!(find("B").value, "project");
    assert_eq!(find("B").source, VariableSource::Project);
    assert_eq!(find("C").value, "job-c");
    assert!(
        j.variables
            .iter()
            .all(|v| v.source != VariableSource::Predefined)
    );
}

/// Returns a push of `ref_name` with an unprotected group value and a protected project value
/// of `TOKEN`, and a protected project `DEPLOY_KEY` for environment `production` only.
fn protected_context(ref_name: &str) -> PipelineContext {
    let mut context = PipelineContext::push(ref_name);
    let protected = |key: &str, value: &str, scope: &str| SettingsVariable {
        protected: true,
        environment_scope: scope.to_owned(),
        ..SettingsVariable::new(key, value)
    };
    context.group_variables = vec![crate::context::GroupVariables {
        path: "group".to_owned(),
        variables: vec![SettingsVariable::new("TOKEN", "group")],
    }];
    context.project_variables = vec![
        protected("TOKEN", "project", "*"),
        protected("DEPLOY_KEY", "key", "production"),
    ];
    context
}

const PROTECTED_YAML: &str = "\
deploy:
  script: x
  environment: production
  rules: [{if: $DEPLOY_KEY}, {when: manual}]
review: {script: x, environment: review/a, rules: [{if: $DEPLOY_KEY}]}
";

#[test]
fn protected_variable_flag_shown() {
    let pipeline = plan_on(PROTECTED_YAML, &protected_context("main"));
    let deploy = job(&pipeline, "deploy");
    let find = |name: &str| deploy.variables.iter().find(|v| v.name == name).unwrap();
    assert_eq!(find("TOKEN").value, "project");
    assert!(find("TOKEN").protected);
    assert_eq!(find("TOKEN").overrides, [VariableSource::Group]);
    assert!(find("DEPLOY_KEY").protected);
    assert!(deploy.withheld_variables.is_empty());
    assert_eq!(deploy.rule.matched, Some(0));
}

#[test]
fn overridden_scopes_named() {
    let scoped = |key: &str, value: &str, scope: &str| SettingsVariable {
        environment_scope: scope.to_owned(),
        ..SettingsVariable::new(key, value)
    };
    let mut context = PipelineContext::default();
    context.group_variables = vec![crate::context::GroupVariables {
        path: "group".to_owned(),
        variables: vec![scoped("A", "0", "prod*")],
    }];
    context.project_variables = vec![
        scoped("A", "1", "*"),
        scoped("A", "2", "production"),
        scoped("A", "3", "prod*"),
    ];
    let pipeline = plan_on("deploy: {script: x, environment: production}\n", &context);
    let deploy = job(&pipeline, "deploy");
    let a = deploy.variables.iter().find(|v| v.name == "A").unwrap();
    assert_eq!(a.value, "2");
    assert_eq!(a.environment_scope.as_deref(), Some("production"));
    assert_eq!(
        a.overrides,
        [
            VariableSource::Group,
            VariableSource::Project,
            VariableSource::Project
        ]
    );
    assert_eq!(
        a.override_scopes,
        [Some("prod*".into()), None, Some("prod*".into())]
    );
}

#[test]
fn overridden_groups_named() {
    let mut context = PipelineContext::default();
    context.instance_variables = vec![SettingsVariable::new("A", "0")];
    context.group_variables = ["top", "top/sub"]
        .into_iter()
        .map(|path| crate::context::GroupVariables {
            path: path.to_owned(),
            variables: vec![SettingsVariable::new("A", path)],
        })
        .collect();
    let pipeline = plan_on("build: {script: x}\n", &context);
    let build = job(&pipeline, "build");
    let a = build.variables.iter().find(|v| v.name == "A").unwrap();
    assert_eq!(a.value, "top/sub");
    assert_eq!(a.group.as_deref(), Some("top/sub"));
    assert_eq!(
        a.overrides,
        [VariableSource::Instance, VariableSource::Group]
    );
    assert_eq!(a.override_groups, [None, Some("top".into())]);
}

#[test]
fn unscoped_overrides_have_no_scopes() {
    let pipeline = plan_on(PROTECTED_YAML, &protected_context("main"));
    let deploy = job(&pipeline, "deploy");
    let token = deploy.variables.iter().find(|v| v.name == "TOKEN").unwrap();
    assert_eq!(token.environment_scope, None);
    assert!(token.override_scopes.is_empty());
    assert_eq!(token.group, None);
    assert_eq!(token.override_groups, [Some("group".into())]);
}

#[test]
fn withheld_protected_variable_lets_group_value_through() {
    // GitLab drops protected definitions before merging the levels, so on an unprotected
    // ref the job gets the group's unprotected `TOKEN`.
    let pipeline = plan_on(PROTECTED_YAML, &protected_context("feature"));
    let deploy = job(&pipeline, "deploy");
    let token = deploy.variables.iter().find(|v| v.name == "TOKEN").unwrap();
    assert_eq!(token.value, "group");
    assert_eq!(token.source, VariableSource::Group);
    assert!(!token.protected);
    assert!(token.overrides.is_empty());
    assert!(deploy.variables.iter().all(|v| v.name != "DEPLOY_KEY"));
    let withheld: Vec<(&str, &[VariableSource])> = deploy
        .withheld_variables
        .iter()
        .map(|variable| (variable.name.as_str(), variable.sources.as_slice()))
        .collect();
    assert_eq!(
        withheld,
        [
            ("TOKEN", &[VariableSource::Project][..]),
            ("DEPLOY_KEY", &[VariableSource::Project][..]),
        ]
    );
}

#[test]
fn withheld_protected_variable_marks_reads() {
    let pipeline = plan_on(PROTECTED_YAML, &protected_context("feature"));
    let deploy = job(&pipeline, "deploy");
    assert_eq!(deploy.rule.matched, Some(1));
    let read = &deploy.rule.rules[0].clauses[0].reads[0];
    assert_eq!(read.name, "DEPLOY_KEY");
    assert_eq!(read.value, None);
    assert_eq!(read.withheld, [VariableSource::Project]);
    assert_eq!(read.withheld_scopes, [Some("production".into())]);
    assert!(read.withheld_groups.is_empty());

    // `review` is absent. Its environment is outside the scope `production`, so GitLab
    // would not pass `DEPLOY_KEY` on a protected ref either, and the read is not marked.
    let review = pipeline.absent.iter().find(|j| j.name == "review").unwrap();
    let rule = review.rule.as_ref().unwrap();
    let read = &rule.rules[0].clauses[0].reads[0];
    assert_eq!(read.value, None);
    assert!(read.withheld.is_empty());
}

#[test]
fn withheld_groups_and_scopes_named() {
    let protected = |value: &str, scope: &str| SettingsVariable {
        protected: true,
        environment_scope: scope.to_owned(),
        ..SettingsVariable::new("A", value)
    };
    let mut context = PipelineContext::push("feature");
    context.group_variables = vec![
        crate::context::GroupVariables {
            path: "top".to_owned(),
            variables: vec![protected("1", "*")],
        },
        crate::context::GroupVariables {
            path: "top/sub".to_owned(),
            variables: vec![protected("2", "*"), protected("3", "production")],
        },
    ];
    let yaml = "deploy: {script: x, environment: production, rules: [{if: $A}, {when: manual}]}
";
    let pipeline = plan_on(yaml, &context);
    let deploy = job(&pipeline, "deploy");
    let expected_groups = [Some("top".into()), Some("top/sub".into())];
    let expected_scopes = [None, Some("production".into())];

    let withheld = &deploy.withheld_variables[0];
    assert_eq!(
        withheld.sources,
        [VariableSource::Group, VariableSource::Group]
    );
    assert_eq!(withheld.groups, expected_groups);
    assert_eq!(withheld.scopes, expected_scopes);

    let read = &deploy.rule.rules[0].clauses[0].reads[0];
    assert_eq!(
        read.withheld,
        [VariableSource::Group, VariableSource::Group]
    );
    assert_eq!(read.withheld_groups, expected_groups);
    assert_eq!(read.withheld_scopes, expected_scopes);
}

#[test]
fn withheld_protected_variable_marks_absent_job_reads() {
    let yaml = "prod: {script: x, environment: production, rules: [{if: $DEPLOY_KEY}]}\n\
                other: {script: x}\n";
    let pipeline = plan_on(yaml, &protected_context("feature"));
    let prod = pipeline.absent.iter().find(|j| j.name == "prod").unwrap();
    let read = &prod.rule.as_ref().unwrap().rules[0].clauses[0].reads[0];
    assert_eq!(read.withheld, [VariableSource::Project]);
}

#[test]
fn withheld_protected_variable_marks_workflow_reads() {
    let yaml = "workflow: {rules: [{if: $TOKEN == 'project'}, {when: always}]}\nj: {script: x}\n";
    let pipeline = plan_on(yaml, &protected_context("feature"));
    let read = &pipeline.workflow.rules[0].clauses[0].reads[0];
    assert_eq!(read.value.as_deref(), Some("group"));
    assert_eq!(read.withheld, [VariableSource::Project]);

    let pipeline = plan_on(yaml, &protected_context("main"));
    let read = &pipeline.workflow.rules[0].clauses[0].reads[0];
    assert_eq!(read.value.as_deref(), Some("project"));
    assert!(read.withheld.is_empty());
}

#[test]
fn matrix_overrides_job_variable() {
    let pipeline = plan_on(
        "variables: {V: global, W: global}\n\
         j:\n  script: x\n  variables: {V: job, W: job}\n\
         \x20 parallel: {matrix: [{V: [m1], W: [m2]}]}\n\
         \x20 rules: [{if: '$V == \"m1\"', variables: {W: rule}}]\n",
        &PipelineContext::push("main"),
    );
    let j = job(&pipeline, "j: [m1, m2]");
    let find = |name: &str| j.variables.iter().find(|v| v.name == name).unwrap();
    assert_eq!(find("V").value, "m1");
    assert_eq!(find("V").source, VariableSource::Matrix);
    assert_eq!(
        find("V").overrides,
        [VariableSource::GlobalYaml, VariableSource::JobYaml]
    );
    assert_eq!(find("W").value, "rule");
    assert_eq!(find("W").source, VariableSource::Rules);
    assert_eq!(
        find("W").overrides,
        [
            VariableSource::GlobalYaml,
            VariableSource::JobYaml,
            VariableSource::Matrix
        ]
    );
}

#[test]
fn predefined_variables_on_request() {
    let files = MemoryFiles::new().with_file(ENTRY, "j: {script: x}\n");
    let options = PlanOptions {
        predefined_variables: true,
        ..PlanOptions::default()
    };
    let (_, pipeline) = plan(ENTRY, &files, &PipelineContext::push("main"), &options);
    let pipeline = pipeline.unwrap();
    assert_eq!(job(&pipeline, "j").variable("CI_JOB_NAME"), Some("j"));
    assert_eq!(
        job(&pipeline, "j").variable("CI_COMMIT_BRANCH"),
        Some("main")
    );
}

use crate::variables::VariableSource;

#[test]
fn masked_values_never_shown() {
    let secret = "s3cr3t-t0ken-value";
    let mut context = PipelineContext::push("main");
    context.project_variables = vec![SettingsVariable {
        masked: true,
        ..SettingsVariable::new("TOKEN", secret)
    }];
    let pipeline = plan_on(
        "
workflow: {name: 'run $TOKEN'}
j:
  script: x
  variables: {URL: 'https://$TOKEN@example.com'}
  tags: [$TOKEN]
  environment: {name: env-$TOKEN, url: 'https://$TOKEN.example.com'}
  resource_group: rg-$TOKEN
  image: registry/$TOKEN
  rules: [{if: $TOKEN}]
t: {trigger: {project: group/$TOKEN}, variables: {T: $TOKEN}}
",
        &context,
    );
    let json = serde_json::to_string(&pipeline).unwrap();
    assert!(!json.contains(secret), "{json}");
    assert!(json.contains("[MASKED]"));
}

#[test]
fn masked_value_hidden_in_child() {
    let secret = "s3cr3tval";
    let mut context = PipelineContext::push("main");
    context.pipeline_variables = vec![SettingsVariable {
        masked: true,
        ..SettingsVariable::new("SEC", secret)
    }];
    let files = MemoryFiles::new()
        .with_file(
            ENTRY,
            "
yaml: {variables: {TV: $SEC}, trigger: {include: c.yml}}
forwarded: {trigger: {include: c.yml, forward: {pipeline_variables: true}}}
missing: {variables: {TV: $SEC}, trigger: {include: c-missing.yml}}
",
        )
        .with_file(
            "c.yml",
            "
workflow: {name: 'child $TV $SEC'}
c:
  script: x
  image: i:$TV$SEC
  tags: [t-$TV$SEC]
  environment: {name: env-$TV$SEC}
  resource_group: rg-$TV$SEC
  variables: {K: k-$TV$SEC}
  rules: [{if: '$TV || $SEC'}]
",
        )
        .with_file("c-missing.yml", "include: {local: 'ci/$TV.yml'}\n");
    let pipeline = plan_files(&files, &context);
    for name in ["yaml", "forwarded", "missing"] {
        let trigger = job(&pipeline, name).trigger.as_ref().unwrap();
        let child = trigger.downstream.as_ref().unwrap();
        let json = serde_json::to_string(child).unwrap();
        assert!(!json.contains(secret), "{name}: {json}");
        assert!(json.contains("[MASKED]"), "{name}: {json}");
        let configuration = trigger.configuration.as_ref().unwrap();
        for diagnostic in &configuration.diagnostics {
            assert!(
                !diagnostic.message.contains(secret),
                "{name}: {diagnostic:?}"
            );
        }
    }
    let missing = job(&pipeline, "missing").trigger.as_ref().unwrap();
    let errors = &missing.downstream.as_ref().unwrap().errors;
    assert!(
        errors.iter().any(|e| e.contains("ci/[MASKED].yml")),
        "{errors:?}"
    );
}

#[test]
fn environment_and_resource_group_expanded() {
    let pipeline = plan_main(
        "
deploy:
  script: x
  environment: {name: review/$CI_COMMIT_REF_SLUG, url: 'https://$CI_ENVIRONMENT_SLUG.example.com'}
  resource_group: deploy-$CI_COMMIT_REF_SLUG
",
    );
    let deploy = job(&pipeline, "deploy");
    let environment = deploy.environment.as_ref().unwrap();
    assert_eq!(environment.name, "review/main");
    assert_eq!(
        environment.written.as_deref(),
        Some("review/$CI_COMMIT_REF_SLUG")
    );
    // GitLab appends a hash to the slug of a name that slugifying changes.
    let slug = crate::variables::environment_slug("review/main");
    assert!(slug.starts_with("review-main-"), "{slug}");
    assert_eq!(
        environment.url.as_deref(),
        Some(format!("https://{slug}.example.com").as_str())
    );
    assert_eq!(deploy.resource_group.as_deref(), Some("deploy-main"));
}

#[test]
fn runner_fields_written_and_expanded() {
    let pipeline = plan_main(
        "
variables: {TAG: '3.3'}
j:
  script: x
  image: ruby:$TAG
  services: [{name: postgres:$TAG, alias: db}]
  cache: {key: gems-$CI_COMMIT_REF_SLUG, paths: [vendor/]}
",
    );
    let j = job(&pipeline, "j");
    let image = j.image.as_ref().unwrap();
    assert_eq!(image.name, "ruby:$TAG");
    assert_eq!(image.expanded.as_deref(), Some("ruby:3.3"));
    assert_eq!(j.services[0].expanded.as_deref(), Some("postgres:3.3"));
    assert_eq!(j.services[0].hostnames, ["postgres", "db"]);
    assert_eq!(j.cache[0].key.as_deref(), Some("gems-$CI_COMMIT_REF_SLUG"));
    assert_eq!(j.cache[0].key_expanded.as_deref(), Some("gems-main"));
}

/// The runner expands a file variable to the path of its file, under
/// `RUNNER_TEMP_PROJECT_DIR` when the value names that variable too and GitLab sends it.
#[test]
fn runner_fields_expand_file_variables() {
    let mut context = PipelineContext::push("main");
    context.project_variables = vec![
        SettingsVariable {
            file: true,
            ..SettingsVariable::new("KEYFILE", "secret contents")
        },
        SettingsVariable::new("RUNNER_TEMP_PROJECT_DIR", "/builds/p.tmp"),
    ];
    let pipeline = plan_on(
        "
j:
  script: x
  image: registry/$KEYFILE/${UNSET}x
  cache:
    - {key: k-$KEYFILE, paths: [a/]}
    - {key: $RUNNER_TEMP_PROJECT_DIR-$KEYFILE, paths: [b/]}
",
        &context,
    );
    let j = job(&pipeline, "j");
    let image = j.image.as_ref().unwrap();
    assert_eq!(image.expanded.as_deref(), Some("registry/KEYFILE/x"));
    assert_eq!(j.cache[0].key_expanded.as_deref(), Some("k-KEYFILE"));
    assert_eq!(
        j.cache[1].key_expanded.as_deref(),
        Some("/builds/p.tmp-/builds/p.tmp/KEYFILE")
    );
}

#[test]
fn stage_barrier_waits_for_uncovered_jobs() {
    let pipeline = plan_main(
        "
stages: [one, two, three]
early: {stage: one, script: x}
loose: {stage: one, script: x}
dag: {stage: two, script: x, needs: [early]}
late: {stage: three, script: x}
",
    );
    let waits = |stage: &str| {
        pipeline
            .stages
            .iter()
            .find(|s| s.name == stage)
            .map(|s| s.waits_for.clone())
            .unwrap()
    };
    assert_eq!(waits("one"), Vec::<String>::new());
    // `two` has no stage-scheduled job.
    assert_eq!(waits("two"), Vec::<String>::new());
    // `early` is covered by `dag`; `loose` waits for nobody else.
    assert_eq!(waits("three"), ["loose", "dag"]);
}

#[test]
fn edges_cover_stages_and_needs() {
    let pipeline = plan_main(
        "
stages: [build, test]
b1: {stage: build, script: x}
b2: {stage: build, script: x}
t1: {stage: test, script: x, needs: [b1]}
t2: {stage: test, script: x}
",
    );
    let edges = pipeline.edges();
    assert!(edges.contains(&("b1", "t1", EdgeKind::Needs)));
    assert!(edges.contains(&("b1", "t2", EdgeKind::Stage)));
    assert!(edges.contains(&("b2", "t2", EdgeKind::Stage)));
    assert!(
        !edges
            .iter()
            .any(|(from, to, _)| *from == "b2" && *to == "t1")
    );
}

#[test]
fn order_is_topological() {
    let pipeline = plan_main(
        "
stages: [build, test]
b: {stage: build, script: x}
t: {stage: test, script: x}
lint: {stage: test, script: x, needs: []}
",
    );
    // `lint` is ready at once, `t` only after the whole `build` stage.
    assert_eq!(pipeline.order, ["b", "lint", "t"]);
}

/// Returns the pipeline's diagnostic with `code`.
fn warning<'p>(pipeline: &'p Pipeline, code: &str) -> &'p PlanDiagnostic {
    pipeline
        .diagnostics
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("no `{code}` diagnostic: {:?}", pipeline.diagnostics))
}

#[test]
fn rule_needs_cycle_creates_pipeline() {
    let pipeline = plan_main(
        "
stages: [build]
a: {stage: build, script: x, rules: [{needs: [b]}]}
b: {stage: build, script: x, rules: [{needs: [a]}]}
",
    );
    assert!(pipeline.created);
    assert!(pipeline.errors.is_empty(), "{:?}", pipeline.errors);
    assert_eq!(names(&pipeline), ["a", "b"]);
    // No order puts every job after the jobs it needs.
    assert!(pipeline.order.is_empty());
}

#[test]
fn rule_needs_cycle_warning() {
    let pipeline = plan_main(
        "
stages: [build, test]
a: {stage: test, script: x, rules: [{needs: [b]}]}
b: {stage: test, script: x, rules: [{needs: [a]}]}
",
    );
    let cycle = warning(&pipeline, "rules-needs-cycle");
    assert_eq!(cycle.severity, Severity::Warning);
    assert_eq!(
        cycle.message,
        "jobs `a`, `b` of stage `test` need each other in a cycle: GitLab creates the \
         pipeline, because it checks only job-level `needs` for cycles, but processing it \
         fails at this stage with `TSort::Cyclic`, so the jobs of this stage and of the later \
         stages never leave `created`, and neither does the pipeline"
    );
    assert_eq!(cycle.job.as_deref(), Some("a"));
    let location = cycle.location.as_ref().expect("the warning has a location");
    assert_eq!(location.line, 3);
}

#[test]
fn rule_needs_self_dependency_warning() {
    let pipeline = plan_main("a: {script: x, rules: [{needs: [a]}]}\n");
    assert!(pipeline.created);
    let cycle = warning(&pipeline, "rules-needs-cycle");
    assert!(
        cycle
            .message
            .starts_with("job `a` of stage `test` needs itself: "),
        "{}",
        cycle.message
    );
}

/// GitLab checks the job-level `needs` alone, which have no cycle here.
#[test]
fn job_and_rule_needs_cycle_warning() {
    let pipeline = plan_main(
        "
a: {script: x, needs: [b]}
b: {script: x, rules: [{needs: [a]}]}
c: {script: x, needs: [a]}
",
    );
    assert!(pipeline.created);
    let cycle = warning(&pipeline, "rules-needs-cycle");
    assert!(
        cycle.message.starts_with("jobs `a`, `b` of stage `test` "),
        "{}",
        cycle.message
    );
}

/// A rule that does not match keeps the job-level `needs`, so no cycle forms.
#[test]
fn unmatched_rule_needs_no_cycle() {
    let pipeline = plan_main(
        "
a: {script: x, rules: [{if: $NOPE, needs: [b]}, {when: on_success}]}
b: {script: x, rules: [{needs: [a]}]}
",
    );
    assert!(pipeline.created);
    assert!(
        pipeline
            .diagnostics
            .iter()
            .all(|d| d.code != "rules-needs-cycle"),
        "{:?}",
        pipeline.diagnostics
    );
    assert_eq!(pipeline.order, ["a", "b"]);
}

/// Each configuration error is reported once: the planning phase does not repeat it as a
/// missing need, a second need limit error or a job graph cycle.
#[test]
fn config_errors_not_repeated() {
    let many: Vec<String> = (0..51).map(|n| format!("n{n}")).collect();
    let mut too_many = String::from("a: {script: x, needs: [");
    too_many.push_str(&many.join(", "));
    too_many.push_str("]}\n");
    for name in &many {
        too_many.push_str(&format!("{name}: {{script: x}}\n"));
    }
    let cases = [
        (
            "cycle",
            "a: {script: x, needs: [b]}\nb: {script: x, needs: [a]}\n".to_owned(),
        ),
        (
            "later stage",
            "a: {stage: build, script: x, needs: [b]}\nb: {stage: test, script: x}\n".to_owned(),
        ),
        ("undefined", "a: {script: x, needs: [nope]}\n".to_owned()),
        ("too many", too_many),
    ];
    for (name, yaml) in cases {
        let files = MemoryFiles::new().with_file(ENTRY, &yaml);
        let (resolution, pipeline) = plan(
            ENTRY,
            &files,
            &PipelineContext::push("main"),
            &PlanOptions::default(),
        );
        let configured = resolution
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .count();
        let pipeline = pipeline.unwrap();
        let planned = pipeline
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        assert_eq!(configured, 1, "{name}");
        assert_eq!(planned, 0, "{name}");
    }
}

#[test]
fn evaluate_is_deterministic() {
    let yaml = "
stages: [a, b]
x: {stage: a, script: x, parallel: {matrix: [{V: [1, 2, 3]}]}}
y: {stage: b, script: x, needs: [x], rules: [{if: $CI_COMMIT_BRANCH, variables: {R: r}}]}
";
    let first = plan_main(yaml);
    let second = plan_main(yaml);
    assert_eq!(first, second);
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );
}

#[test]
fn workflow_name_reaches_jobs() {
    let files = MemoryFiles::new().with_file(
        ENTRY,
        "workflow: {name: 'Build $CI_COMMIT_REF_NAME'}\nj: {script: x}\n",
    );
    let options = PlanOptions {
        predefined_variables: true,
        ..PlanOptions::default()
    };
    let (_, pipeline) = plan(ENTRY, &files, &PipelineContext::push("main"), &options);
    let pipeline = pipeline.unwrap();
    assert_eq!(pipeline.workflow.name.as_deref(), Some("Build main"));
    assert_eq!(
        job(&pipeline, "j").variable("CI_PIPELINE_NAME"),
        Some("Build main")
    );
}

#[test]
fn workflow_name_too_long_after_expansion() {
    let long = "a".repeat(256);
    let yaml = format!(
        "variables: {{ROOT: {long}}}\nworkflow: {{name: 'Pipeline $ROOT'}}\nj: {{script: x}}\n"
    );
    let pipeline = plan_main(&yaml);
    assert!(!pipeline.created);
    assert_eq!(
        pipeline.errors,
        ["Failed to build pipeline metadata! Name is too long (maximum is 255 characters)"]
    );
    let codes: Vec<&str> = pipeline
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(codes, ["invalid-pipeline-name"]);
    let location = pipeline.diagnostics[0].location.as_ref().unwrap();
    assert_eq!(location.file, ".gitlab-ci.yml");
    assert_eq!(location.line, 2);
    assert_eq!(location.column, 18);
}

#[test]
fn workflow_name_of_255_characters() {
    let name = "b".repeat(251);
    let yaml =
        format!("variables: {{ROOT: {name}}}\nworkflow: {{name: 'Run $ROOT'}}\nj: {{script: x}}\n");
    let pipeline = plan_main(&yaml);
    assert!(pipeline.created, "{:?}", pipeline.errors);
    assert_eq!(pipeline.workflow.name.map(|n| n.len()), Some(255));
}

#[test]
fn workflow_name_no_jobs_error_first() {
    let long = "a".repeat(256);
    let yaml = format!(
        "variables: {{ROOT: {long}}}\nworkflow: {{name: $ROOT}}\nj: {{script: x, rules: [{{if: $NEVER}}]}}\n"
    );
    let pipeline = plan_main(&yaml);
    assert_eq!(pipeline.errors, [NO_JOBS_MESSAGE]);
}

#[test]
fn workflow_name_stripped_as_ruby_strips() {
    let cases = [
        ("' Pipeline name  '", Some("Pipeline name")),
        ("'$EMPTY  '", None),
        ("\"\\u00a0x\\u00a0\"", Some("\u{a0}x\u{a0}")),
        ("\"\\tx\\v\\0\"", Some("x")),
    ];
    for (name, expected) in cases {
        let yaml =
            format!("variables: {{EMPTY: ''}}\nworkflow: {{name: {name}}}\nj: {{script: x}}\n");
        let pipeline = plan_main(&yaml);
        assert_eq!(pipeline.workflow.name.as_deref(), expected, "name {name}");
    }
}

#[test]
fn child_pipeline_planned() {
    let files = MemoryFiles::new()
        .with_file(
            ENTRY,
            "variables: {G: g}\nchild: {trigger: {include: ci/child.yml, strategy: depend}, variables: {F: '1'}}\n",
        )
        .with_file(
            "ci/child.yml",
            "c1: {script: x, rules: [{if: '$CI_PIPELINE_SOURCE == \"parent_pipeline\"'}]}\nc2: {script: x, rules: [{if: $F}]}\n",
        );
    let pipeline = plan_files(&files, &PipelineContext::push("main"));
    let trigger = job(&pipeline, "child").trigger.as_ref().unwrap();
    assert_eq!(trigger.kind, TriggerKind::Child);
    assert_eq!(trigger.strategy.as_deref(), Some("depend"));
    let forwarded: Vec<&str> = trigger.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(forwarded, ["G", "F"]);
    let child = trigger.downstream.as_ref().unwrap();
    assert_eq!(child.source, "parent_pipeline");
    assert_eq!(names(child), ["c1", "c2"]);
    assert_eq!(
        child
            .job("c2")
            .and_then(|j| j.variables.iter().find(|v| v.name == "F"))
            .map(|v| v.source),
        Some(VariableSource::Pipeline)
    );
}

/// GitLab creates the downstream pipeline of a manual trigger job only when the job is
/// played. The plan still plans the child pipeline and marks it.
#[test]
fn manual_trigger_downstream_when_played() {
    let files = MemoryFiles::new()
        .with_file(
            ENTRY,
            "manual: {when: manual, trigger: {include: c.yml}}\n\
             ruled: {trigger: {include: c.yml}, rules: [{when: manual}]}\n\
             delayed: {trigger: {include: c.yml}, rules: [{when: delayed, start_in: 1 hour}]}\n\
             auto: {trigger: {include: c.yml}}\n\
             other: {when: manual, trigger: group/other}\n",
        )
        .with_file("c.yml", "c: {script: x}\n");
    let pipeline = plan_files(&files, &PipelineContext::push("main"));
    let trigger = |name| job(&pipeline, name).trigger.as_ref().unwrap();

    assert!(trigger("manual").downstream_created_when_played);
    assert!(trigger("ruled").downstream_created_when_played);
    assert!(trigger("other").downstream_created_when_played);
    assert!(!trigger("delayed").downstream_created_when_played);
    assert!(!trigger("auto").downstream_created_when_played);
    let child = trigger("manual").downstream.as_ref().unwrap();
    assert_eq!(names(child), ["c"]);

    let json = serde_json::to_value(&pipeline).unwrap();
    let member =
        |index: usize| json["jobs"][index]["trigger"]["downstream_created_when_played"].clone();
    assert_eq!(member(0), serde_json::Value::Bool(true));
    assert_eq!(member(3), serde_json::Value::Null);
}

/// A manual trigger job whose child pipeline GitLab cannot create fails when played, so its
/// downstream pipeline is not marked as created when played.
#[test]
fn manual_trigger_uncreated_child_unmarked() {
    let files = MemoryFiles::new()
        .with_file(
            ENTRY,
            "filtered: {when: manual, trigger: {include: filtered.yml}}\n\
             deep: {when: manual, trigger: {include: deep.yml}}\n",
        )
        .with_file(
            "filtered.yml",
            "workflow: {rules: [{if: $NOPE}]}\nc: {script: x}\n",
        )
        .with_file(
            "deep.yml",
            "t: {when: manual, trigger: {include: deep.yml}}\n",
        );
    let pipeline = plan_files(&files, &PipelineContext::push("main"));

    let filtered = job(&pipeline, "filtered").trigger.as_ref().unwrap();
    assert_eq!(
        filtered.failure_reason,
        Some("downstream_pipeline_creation_failed")
    );
    assert!(!filtered.downstream_created_when_played);

    let level1 = job(&pipeline, "deep").trigger.as_ref().unwrap();
    let child_trigger = |trigger: &PlanTrigger| {
        trigger
            .downstream
            .as_ref()
            .and_then(|p| p.job("t"))
            .and_then(|j| j.trigger.clone())
            .unwrap()
    };
    let level2 = child_trigger(level1);
    let level3 = child_trigger(&level2);
    assert!(level1.downstream_created_when_played);
    assert!(level2.downstream_created_when_played);
    assert_eq!(
        level3.failure_reason,
        Some("reached_max_descendant_pipelines_depth")
    );
    assert!(!level3.downstream_created_when_played);
}

#[test]
fn child_configuration_kept_for_renderers() {
    let files = MemoryFiles::new()
        .with_file(
            ENTRY,
            "child: {trigger: {include: ci/child.yml}}
",
        )
        .with_file(
            "ci/child.yml",
            "c1: {script: x, stage: nope}
",
        );
    let pipeline = plan_files(&files, &PipelineContext::push("main"));
    let trigger = job(&pipeline, "child").trigger.as_ref().unwrap();
    let configuration = trigger.configuration.as_ref().unwrap();
    assert_eq!(configuration.diagnostics.len(), 1);
    let span = configuration.diagnostics[0].span.unwrap();
    assert_eq!(
        configuration.sources.get(span.file).unwrap().name,
        "ci/child.yml"
    );
    assert_eq!(configuration.sources.snippet(span), "nope");
    let child = trigger.downstream.as_ref().unwrap();
    assert_eq!(child.diagnostics[0].code, "unknown-stage");
}

#[test]
fn child_entry_error_located_at_path() {
    let files = MemoryFiles::new().with_file(ENTRY, "child:\n  trigger:\n    include: gone.yml\n");
    let pipeline = plan_files(&files, &PipelineContext::push("main"));
    let trigger = job(&pipeline, "child").trigger.as_ref().unwrap();
    let child = trigger.downstream.as_ref().unwrap();
    let location = child.diagnostics[0].location.as_ref().unwrap();
    assert_eq!(location.file, ENTRY);
    assert_eq!((location.line, location.column), (3, 14));
}

#[test]
fn child_entry_error_located_at_item() {
    let parent = "t:
  trigger:
    strategy: depend
    include:
      - local: ok.yml
      - local: gone.yml
      - local: ok.yml
";
    let files = MemoryFiles::new()
        .with_file(ENTRY, parent)
        .with_file("ok.yml", "c: {script: x}\n");
    let pipeline = plan_files(&files, &PipelineContext::push("main"));
    let trigger = job(&pipeline, "t").trigger.as_ref().unwrap();
    let child = trigger.downstream.as_ref().unwrap();
    assert_eq!(child.diagnostics.len(), 1);
    assert_eq!(
        child.diagnostics[0].message,
        "Local file `gone.yml` does not exist!"
    );
    let location = child.diagnostics[0].location.as_ref().unwrap();
    assert_eq!(location.file, ENTRY);
    assert_eq!((location.line, location.column), (6, 9));
}

#[test]
fn child_input_error_located_at_input() {
    let parent = "t:
  trigger:
    include:
      - local: ok.yml
      - local: child.yml
        inputs:
          env: prod
          n: \"x\"
          extra: 1
";
    let child = "spec:\n  inputs:\n    env:\n    n: {type: number}\n---\nc: {script: x}\n";
    let files = MemoryFiles::new()
        .with_file(ENTRY, parent)
        .with_file("ok.yml", "c: {script: x}\n")
        .with_file("child.yml", child);
    let pipeline = plan_files(&files, &PipelineContext::push("main"));
    let trigger = job(&pipeline, "t").trigger.as_ref().unwrap();
    let child = trigger.downstream.as_ref().unwrap();
    assert_eq!(child.diagnostics.len(), 1);
    let diagnostic = &child.diagnostics[0];
    assert_eq!(
        diagnostic.message,
        "`child.yml`: unknown input arguments: extra, `n` input: provided value is not a number"
    );
    // The first problem is the unknown input, so the diagnostic points at its key.
    let location = diagnostic.location.as_ref().unwrap();
    assert_eq!(location.file, ENTRY);
    assert_eq!((location.line, location.column), (9, 11));

    // Without it, the diagnostic points at the value that is not a number.
    let parent = parent.replace("          extra: 1\n", "");
    let files = files.with_file(ENTRY, parent);
    let pipeline = plan_files(&files, &PipelineContext::push("main"));
    let trigger = job(&pipeline, "t").trigger.as_ref().unwrap();
    let child = trigger.downstream.as_ref().unwrap();
    let location = child.diagnostics[0].location.as_ref().unwrap();
    assert_eq!((location.line, location.column), (8, 14));
}

#[test]
fn child_entry_span_outside_items_is_trigger() {
    let trigger = Span::new(FileId(0), 5, 80);
    let item = Span::new(FileId(0), 40, 60);
    let configuration = ChildConfiguration {
        entry: "entry".to_owned(),
        sources: SourceMap::new(),
        diagnostics: Vec::new(),
        trigger_span: Some(trigger),
        include_items: vec![output::EntryItem {
            start: 12,
            end: 30,
            span: item,
            parts: Vec::new(),
        }],
    };
    let at = |start| configuration.parent_span(Span::new(FileId(1), start, start + 1));
    assert_eq!(at(0), Some(trigger));
    assert_eq!(at(12), Some(item));
    assert_eq!(at(29), Some(item));
    assert_eq!(at(30), Some(trigger));
}

#[test]
fn child_depth_limited() {
    let files = MemoryFiles::new()
        .with_file(ENTRY, "t: {trigger: {include: a.yml}}\n")
        .with_file("a.yml", "t: {trigger: {include: a.yml}}\n");
    let pipeline = plan_files(&files, &PipelineContext::push("main"));
    let level1 = job(&pipeline, "t").trigger.as_ref().unwrap();
    let level2 = level1.downstream.as_ref().and_then(|p| p.job("t")).unwrap();
    let level2_trigger = level2.trigger.as_ref().unwrap();
    let level3 = level2_trigger
        .downstream
        .as_ref()
        .and_then(|p| p.job("t"))
        .and_then(|j| j.trigger.as_ref())
        .unwrap();
    assert!(level3.downstream.is_none());
    assert_eq!(
        level3.failure_reason,
        Some("reached_max_descendant_pipelines_depth")
    );
    assert_eq!(level2_trigger.failure_reason, None);
    assert!(
        level3.note.as_deref().is_some_and(
            |note| note.starts_with("You reached the maximum depth of child pipelines")
        )
    );
}

#[test]
fn child_from_artifact_not_planned() {
    let pipeline = plan_main(
        "
stages: [build, deploy]
generate: {stage: build, script: x}
child: {stage: deploy, trigger: {include: [{artifact: gen.yml, job: generate}]}}
",
    );
    let trigger = job(&pipeline, "child").trigger.as_ref().unwrap();
    assert!(trigger.downstream.is_none());
    assert!(
        trigger
            .note
            .as_deref()
            .is_some_and(|n| n.contains("artifact of job `generate`"))
    );
    assert_eq!(trigger.failure_reason, None);
}

#[test]
fn child_with_missing_file_fails() {
    let files = MemoryFiles::new().with_file(ENTRY, "t: {trigger: {include: missing.yml}}\n");
    let pipeline = plan_files(&files, &PipelineContext::push("main"));
    let trigger = job(&pipeline, "t").trigger.as_ref().unwrap();
    let child = trigger.downstream.as_ref().unwrap();
    assert!(!child.created);
    assert_eq!(
        child.errors.first().map(String::as_str),
        Some("Local file `missing.yml` does not exist!")
    );
    assert!(
        trigger
            .note
            .as_deref()
            .is_some_and(|n| n.contains("downstream_pipeline_creation_failed"))
    );
    assert_eq!(
        trigger.failure_reason,
        Some("downstream_pipeline_creation_failed")
    );
}

/// Plans a parent pipeline with a `changes: [docs/**]` job and a trigger job that runs in
/// every pipeline, with `child_yaml` as its child configuration. Returns the parent and the
/// child pipeline.
fn plan_parent_and_child(child_yaml: &str, context: &PipelineContext) -> (Pipeline, Pipeline) {
    let files = MemoryFiles::new()
        .with_file(
            ENTRY,
            "p_docs: {script: x, rules: [{changes: [docs/**]}]}\n\
             child: {trigger: {include: child.yml}, rules: [{when: always}]}\n",
        )
        .with_file("child.yml", child_yaml);
    let parent = plan_files(&files, context);
    let trigger = job(&parent, "child").trigger.as_ref().unwrap();
    let child = trigger.downstream.as_ref().unwrap();
    let child = (**child).clone();
    (parent, child)
}

fn plan_child(child_yaml: &str, context: &PipelineContext) -> Pipeline {
    plan_parent_and_child(child_yaml, context).1
}

#[test]
fn child_of_merge_request_pipeline() {
    let child = plan_child(
        r#"
c_mr: {script: x, rules: [{if: $CI_MERGE_REQUEST_IID}]}
c_mr_id: {script: x, rules: [{if: $CI_MERGE_REQUEST_ID}]}
c_branch: {script: x, rules: [{if: $CI_COMMIT_BRANCH}]}
c_ref: {script: x, rules: [{if: '$CI_COMMIT_REF_NAME == "feat"'}]}
c_mr_event: {script: x, rules: [{if: '$CI_PIPELINE_SOURCE == "merge_request_event"'}]}
c_parent: {script: x, rules: [{if: '$CI_PIPELINE_SOURCE == "parent_pipeline"'}]}
c_only_mr: {script: x, only: [merge_requests]}
c_only_parent: {script: x, only: [parent_pipelines]}
c_only_branches: {script: x, only: [branches]}
c_only_name: {script: x, only: [feat]}
c_implicit: {script: x}
"#,
        &PipelineContext::merge_request("feat", "main"),
    );
    assert!(child.created);
    assert_eq!(child.source, "parent_pipeline");
    assert_eq!(
        names(&child),
        ["c_mr", "c_mr_id", "c_ref", "c_parent", "c_only_parent"]
    );
}

#[test]
fn child_of_merge_request_passes_workflow() {
    let child = plan_child(
        "workflow: {rules: [{if: $CI_MERGE_REQUEST_ID}]}
c: {script: x}
",
        &PipelineContext::merge_request("feat", "main"),
    );
    assert!(child.created, "{:?}", child.errors);
    assert_eq!(names(&child), ["c"]);
}

#[test]
fn child_of_branch_pipeline_is_branch_pipeline() {
    let child = plan_child(
        "c_mr: {script: x, rules: [{if: $CI_MERGE_REQUEST_IID}]}
c_branch: {script: x, rules: [{if: $CI_COMMIT_BRANCH}]}
c_implicit: {script: x}
",
        &PipelineContext::push("feat"),
    );
    assert_eq!(names(&child), ["c_branch", "c_implicit"]);
}

#[test]
fn child_diff_same_as_parent() {
    let child_yaml = "c_docs: {script: x, rules: [{changes: [docs/**]}]}
c_always: {script: x, rules: [{when: always}]}
";
    let with_source = |source| PipelineContext {
        source,
        ..PipelineContext::push("main")
    };
    // With `src/main.rs` changed, `changes: [docs/**]` holds only where there is no diff.
    let cases = [
        ("push", PipelineContext::push("main"), false),
        (
            "merge request",
            PipelineContext::merge_request("feat", "main"),
            false,
        ),
        ("web", PipelineContext::web("main"), true),
        ("schedule", PipelineContext::schedule("main"), true),
        ("api", with_source(PipelineSource::Api), true),
        ("trigger", with_source(PipelineSource::Trigger), true),
    ];
    for (name, context, docs_job) in cases {
        let context = PipelineContext {
            changed_files: Some(vec!["src/main.rs".to_owned()]),
            ..context
        };
        let (parent, child) = plan_parent_and_child(child_yaml, &context);
        assert_eq!(parent.job("p_docs").is_some(), docs_job, "parent of {name}");
        assert_eq!(child.job("c_docs").is_some(), docs_job, "child of {name}");
        assert!(child.job("c_always").is_some(), "child of {name}");
    }
}

#[test]
fn multi_project_listed() {
    let pipeline = plan_main(
        "variables: {TARGET: other}\nt: {trigger: {project: group/$TARGET, branch: stable, strategy: depend}}\n",
    );
    let trigger = job(&pipeline, "t").trigger.as_ref().unwrap();
    assert_eq!(trigger.kind, TriggerKind::MultiProject);
    assert_eq!(trigger.project.as_deref(), Some("group/other"));
    assert_eq!(trigger.branch.as_deref(), Some("stable"));
    assert!(trigger.downstream.is_none());
}

#[test]
fn multi_project_target_expanded_once() {
    let pipeline = plan_main(
        "variables: {GROUP: g, NS: $GROUP, PROJ: $NS/deploy, V: '1.2', BR: release-$V, MISSING_REF: x$NOPE}\n\
         t: {trigger: {project: $PROJ, branch: $BR}}\n\
         u: {trigger: {project: a/$MISSING_REF, branch: $GROUP}}\n",
    );
    let trigger = job(&pipeline, "t").trigger.as_ref().unwrap();
    // One pass over the values as written: `$NS` and `$V` inside them stay.
    assert_eq!(trigger.project.as_deref(), Some("$NS/deploy"));
    assert_eq!(trigger.branch.as_deref(), Some("release-$V"));
    let trigger = job(&pipeline, "u").trigger.as_ref().unwrap();
    assert_eq!(trigger.project.as_deref(), Some("a/x$NOPE"));
    assert_eq!(trigger.branch.as_deref(), Some("g"));
}

#[test]
fn config_errors_block_creation() {
    let files = MemoryFiles::new().with_file(ENTRY, "j: {script: x, stage: nope}\n");
    let (resolution, pipeline) = plan(
        ENTRY,
        &files,
        &PipelineContext::push("main"),
        &PlanOptions::default(),
    );
    assert!(resolution.diagnostics.iter().any(|d| d.is_error()));
    let pipeline = pipeline.unwrap();
    assert!(!pipeline.created);
    assert!(pipeline.errors[0].contains("chosen stage nope does not exist"));
}

#[test]
fn invalid_workflow_rules_are_not_evaluated() {
    let files = MemoryFiles::new().with_file(
        ENTRY,
        "workflow:\n  rules:\n    - if: $CI_COMMIT_BRANCH\n      when: sometimes\njob:\n  script: x\n",
    );
    let context = PipelineContext::push("main");
    let (resolution, pipeline) = plan(ENTRY, &files, &context, &PlanOptions::default());
    assert!(resolution.diagnostics.iter().any(|d| d.is_error()));
    let pipeline = pipeline.unwrap();
    assert!(!pipeline.created);
    assert!(!pipeline.workflow.created);
    assert_eq!(
        pipeline.workflow.reason,
        "not evaluated, because the configuration is invalid"
    );
    assert!(pipeline.workflow.rules.is_empty());
}

#[test]
fn masked_environment_slug_hidden() {
    let secret = "Review-S3cret-Name";
    let mut context = PipelineContext::push("main");
    context.project_variables = vec![SettingsVariable {
        masked: true,
        ..SettingsVariable::new("ENV", secret)
    }];
    let pipeline = plan_on(
        "
j:
  script: x
  variables: {SLUG: $CI_ENVIRONMENT_SLUG}
  environment: {name: review/$ENV, url: 'https://$CI_ENVIRONMENT_SLUG.example.com'}
",
        &context,
    );
    let slug = crate::variables::environment_slug(&format!("review/{secret}"));
    let job = job(&pipeline, "j");
    assert_eq!(job.variable("SLUG"), Some("[MASKED]"));
    let environment = job.environment.as_ref().unwrap();
    assert_eq!(environment.name, "review/[MASKED]");
    assert_eq!(
        environment.url.as_deref(),
        Some("https://[MASKED].example.com")
    );
    let json = serde_json::to_string(&pipeline).unwrap();
    assert!(!json.contains(&slug), "{json}");
    assert!(!json.contains(secret), "{json}");
}

#[test]
fn masked_ref_and_slug_hidden() {
    let secret = "feature-s3cr3t99";
    let mut context = PipelineContext::push(secret);
    context.project_variables = vec![SettingsVariable {
        masked: true,
        ..SettingsVariable::new("BRANCH_SECRET", secret)
    }];
    let pipeline = plan_on(
        "j: {script: x, variables: {SLUG: $CI_COMMIT_REF_SLUG}}\n",
        &context,
    );
    assert_eq!(pipeline.ref_name, "[MASKED]");
    let job = job(&pipeline, "j");
    assert_eq!(job.variable("SLUG"), Some("[MASKED]"));
}

#[test]
fn masked_values_not_in_debug_form() {
    let secret = "s3cr3t-t0ken-value";
    let mut context = PipelineContext::push("main");
    context.project_variables = vec![SettingsVariable {
        masked: true,
        ..SettingsVariable::new("TOKEN", secret)
    }];
    let pipeline = plan_on(
        "j: {script: x, tags: [$TOKEN], image: i/$TOKEN}\n",
        &context,
    );
    let job = job(&pipeline, "j");
    assert_eq!(job.runner_tags(), [secret]);
    let debug = format!("{pipeline:?}");
    assert!(!debug.contains(secret), "{debug}");
}

#[test]
fn masked_raw_value_hidden_in_rule_traces() {
    let secret = "s3cr\"t\\Pa55";
    let mut context = PipelineContext::push("main");
    context.pipeline_variables = vec![SettingsVariable {
        masked: true,
        raw: true,
        ..SettingsVariable::new("TOKEN", secret)
    }];
    let pipeline = plan_on(
        "
workflow: {rules: [{if: $TOKEN}]}
deploy: {script: x, rules: [{if: $TOKEN == \"wrong\"}]}
build: {script: x, rules: [{if: $TOKEN}]}
",
        &context,
    );
    let json = serde_json::to_string(&pipeline).unwrap();
    assert!(!json.contains("s3cr"), "{json}");
    assert!(
        pipeline.workflow.reason.contains("[MASKED]"),
        "{}",
        pipeline.workflow.reason
    );
}

#[test]
fn masked_value_hidden_in_included_file_name() {
    let mut context = PipelineContext::push("main");
    context.project_variables = vec![SettingsVariable {
        masked: true,
        ..SettingsVariable::new("TEAM_KEY", "Abcdefgh12")
    }];
    let files = MemoryFiles::new()
        .with_file(ENTRY, "include: {local: ci/$TEAM_KEY.yml}\n")
        .with_file("ci/Abcdefgh12.yml", "included: {script: x}\n");
    let pipeline = plan_files(&files, &context);
    let location = job(&pipeline, "included").location.as_ref().unwrap();
    assert_eq!(location.file, "ci/[MASKED]xx.yml");
}

/// Builds a pipeline large enough to be evaluated on several threads: jobs with and without
/// environments, matrix instances, rules that leave some jobs out, `needs` across the runs,
/// `exists`, chained variables and trigger jobs with child pipelines.
fn many_kinds_of_jobs(count: usize) -> MemoryFiles {
    let mut yaml = String::from(
        "stages: [build, test, deploy]\n\
         variables: {ROOT: root-$CI_COMMIT_REF_SLUG, BOTH: $ROOT-x}\n",
    );
    for index in 0..count {
        let stage = ["build", "test", "deploy"][index % 3];
        yaml.push_str(&format!(
            "job-{index}:\n  stage: {stage}\n  script: [run {index}]\n"
        ));
        yaml.push_str(&format!(
            "  variables: {{OWN: v{index}-$ROOT, BOTH: own-{index}}}\n"
        ));
        match index % 6 {
            0 => yaml.push_str("  rules:\n    - if: $CI_COMMIT_BRANCH == \"main\"\n      variables: {OWN: ruled}\n"),
            1 => yaml.push_str("  rules:\n    - if: $CI_COMMIT_TAG\n"),
            2 => yaml.push_str("  environment: {name: review/$OWN}\n"),
            3 => yaml.push_str("  parallel: {matrix: [{OS: [a, b]}]}\n  tags: [\"$OS\"]\n"),
            4 => yaml.push_str("  rules:\n    - exists: [Cargo.toml]\n      when: manual\n"),
            _ => {}
        }
        if index % 3 != 0 && index >= 3 && (index - 3) % 6 != 1 {
            yaml.push_str(&format!(
                "  needs: [{{job: job-{}, optional: true}}]\n",
                index - 3
            ));
        }
    }
    yaml.push_str("chain: {stage: test, script: x, variables: {A: $B, B: $C, C: $ROOT}}\n");
    yaml.push_str("child-1: {stage: deploy, trigger: {include: child.yml}}\n");
    yaml.push_str("child-2: {stage: build, trigger: {include: child.yml}}\n");
    MemoryFiles::new()
        .with_file(ENTRY, yaml)
        .with_file("child.yml", "inner: {script: x, variables: {P: $ROOT}}\n")
        .with_file("Cargo.toml", "")
}

#[test]
fn threads_same_pipeline() {
    let files = many_kinds_of_jobs(1_200);
    let context = PipelineContext::push("main");
    let resolution = resolve(
        ENTRY,
        &files,
        &resolve_options(&context, &PlanOptions::default()),
    );
    let config = resolution.config.as_ref().unwrap();
    let evaluate_on = |threads: usize| {
        let options = EvaluateOptions {
            files: Some(&files),
            sources: Some(&resolution.sources),
            threads: std::num::NonZeroUsize::new(threads),
            rule_traces: true,
            ..EvaluateOptions::default()
        };
        let pipeline = evaluate(config, &context, &options);
        serde_json::to_string(&pipeline).unwrap()
    };
    let single = evaluate_on(1);
    let start = single.get(..2_000).unwrap_or(&single);
    assert!(single.contains("\"created\":true"), "{start}");
    assert!(
        single.contains("\"inner\""),
        "the child pipelines are planned"
    );
    assert!(
        single.contains("review/v2-root-main"),
        "environments are expanded"
    );
    for threads in [2, 3, 4] {
        let count = parallel::thread_count(std::num::NonZeroUsize::new(threads), 1_200);
        assert_eq!(count, threads, "{threads} threads are used");
        assert_eq!(evaluate_on(threads), single, "{threads} threads");
    }
}

#[test]
fn environment_name_over_255_characters_warns() {
    let yaml = format!(
        "variables: {{LONG: {long}, FITS: {fits}}}
long: {{script: x, environment: review/$LONG}}
fits: {{script: x, environment: r/$FITS}}
",
        long = "a".repeat(249),
        fits = "b".repeat(253),
    );
    let pipeline = plan_main(&yaml);
    let warned: Vec<Option<&str>> = pipeline
        .diagnostics
        .iter()
        .filter(|d| d.code == "environment-creation-failure")
        .map(|d| d.job.as_deref())
        .collect();
    // `review/` and 249 characters make 256, `r/` and 253 make 255.
    assert_eq!(warned, [Some("long")]);
    assert!(pipeline.job("long").unwrap().environment_invalid);
    assert!(!pipeline.job("fits").unwrap().environment_invalid);
}

#[test]
fn invalid_expanded_resource_group_dropped() {
    let yaml = format!(
        "variables: {{BAD: 'a:b', LONG: {long}, GOOD: prod}}
colon: {{script: x, resource_group: rg-$BAD}}
long: {{script: x, resource_group: $LONG}}
good: {{script: x, resource_group: rg-$GOOD}}
literal: {{script: x, resource_group: 'prod:eu'}}
",
        long = "c".repeat(256),
    );
    let pipeline = plan_main(&yaml);
    let warned: Vec<(&str, Option<&str>)> = pipeline
        .diagnostics
        .iter()
        .filter(|d| d.code == "resource-group-not-created")
        .map(|d| (d.message.as_str(), d.job.as_deref()))
        .collect();
    assert_eq!(warned.len(), 3, "{warned:?}");
    assert_eq!(warned[2].1, Some("literal"));
    assert_eq!(pipeline.job("literal").unwrap().resource_group, None);
    assert_eq!(
        warned[0],
        (
            "GitLab runs job `colon` without a resource group: its resource group key `rg-a:b` \
             is not valid after expansion",
            Some("colon")
        )
    );
    assert_eq!(warned[1].1, Some("long"));
    assert_eq!(pipeline.job("colon").unwrap().resource_group, None);
    assert_eq!(pipeline.job("long").unwrap().resource_group, None);
    assert_eq!(
        pipeline.job("good").unwrap().resource_group.as_deref(),
        Some("rg-prod")
    );
}

#[test]
fn invalid_expanded_environment_name_warns() {
    let pipeline = plan_main(
        "
variables: {TARGET: 'a:b', GOOD: feature-1}
bad: {script: x, environment: {name: review/$TARGET}}
empty: {script: x, environment: {name: $UNDEFINED_NAME}}
undefined: {script: x, environment: {name: review$UNDEFINED_NAME}}
good: {script: x, environment: {name: review/$GOOD}}
",
    );
    let warned: Vec<(&str, Option<&str>)> = pipeline
        .diagnostics
        .iter()
        .filter(|d| d.code == "environment-creation-failure")
        .map(|d| (d.message.as_str(), d.job.as_deref()))
        .collect();
    assert_eq!(warned.len(), 2, "{warned:?}");
    assert_eq!(warned[0].1, Some("bad"));
    assert!(warned[0].0.contains("`review/a:b`"), "{}", warned[0].0);
    assert_eq!(warned[1].1, Some("empty"));
    assert!(
        warned[1]
            .0
            .ends_with("its environment name is empty after expansion"),
        "{}",
        warned[1].0
    );
    assert!(pipeline.created);
}

/// GitLab accepts exit codes of any size, so the pipeline keeps every one, and the JSON output
/// writes the ones a JavaScript number cannot hold exactly as strings.
#[test]
fn exit_codes_kept_in_json() {
    let pipeline = plan_main(
        "a: {script: x, allow_failure: {exit_codes: [99999999999999999999, 9007199254740993, 1]}}
b: {script: x, retry: {max: 1, exit_codes: [-99999999999999999999, 137]}}
",
    );
    assert!(pipeline.created);
    let json = serde_json::to_value(&pipeline).unwrap();
    assert_eq!(
        json["jobs"][0]["allow_failure"],
        serde_json::json!({"exit_codes": ["99999999999999999999", "9007199254740993", 1]})
    );
    assert_eq!(
        json["jobs"][1]["retry"]["exit_codes"],
        serde_json::json!(["-99999999999999999999", 137])
    );
}

/// The `rules` of a job that compares to the merge request's target branch.
const TARGET_BRANCH_RULES: &str =
    "rules: [{changes: {paths: [a], compare_to: $CI_MERGE_REQUEST_TARGET_BRANCH_NAME}}]";

#[test]
fn compare_to_error_fails_creation() {
    let yaml = format!("job1: {{script: x, {TARGET_BRANCH_RULES}}}\njob2: {{script: x}}\n");
    let pipeline = plan_main(&yaml);
    assert!(!pipeline.created);
    assert_eq!(
        pipeline.errors,
        ["Failed to parse rule for job1: rules:changes:compare_to is not a valid ref"]
    );
    assert_eq!(pipeline.failure_reason, Some(CONFIG_ERROR));
    assert_eq!(names(&pipeline), ["job2"]);
    let absent = pipeline.absent_job("job1").unwrap();
    assert_eq!(absent.reason, AbsentReason::RuleError);
    let rule = absent.rule.as_ref().unwrap();
    assert!(
        rule.summary
            .starts_with("absent because evaluating its rules raised an error"),
        "{}",
        rule.summary
    );
    let clause = &rule.rules[0].clauses[0];
    assert_eq!(
        clause.error.as_deref(),
        Some("rules:changes:compare_to is not a valid ref")
    );
    assert!(!clause.holds);
    assert!(clause.location.is_some());

    let diagnostic = pipeline.error_diagnostics().next().unwrap();
    assert_eq!(diagnostic.code, "invalid-compare-to");
    assert_eq!(diagnostic.job.as_deref(), Some("job1"));
    let location = diagnostic.location.as_ref().unwrap();
    assert_eq!((location.line, location.column), (1, 62));
    let help = diagnostic.help.as_deref().unwrap_or_default();
    assert!(
        help.contains("`CI_MERGE_REQUEST_TARGET_BRANCH_NAME`"),
        "{help}"
    );
}

#[test]
fn compare_to_error_without_diff() {
    let yaml = format!("job1: {{script: x, {TARGET_BRANCH_RULES}}}\njob2: {{script: x}}\n");
    let contexts = [
        PipelineContext {
            changed_files: Some(vec!["a".to_owned()]),
            ..PipelineContext::push("main")
        },
        PipelineContext::tag("v1.0"),
    ];
    for context in contexts {
        let pipeline = plan_on(&yaml, &context);
        assert!(!pipeline.created, "{:?}", context.source);
        assert_eq!(pipeline.errors.len(), 1, "{:?}", context.source);
    }
}

#[test]
fn compare_to_errors_in_stage_order() {
    let pipeline = plan_main(
        "
stages: [build, test]
t1: {stage: test, script: x, rules: [{changes: {paths: [a], compare_to: $UNDEFINED}}]}
b1: {stage: build, script: x, rules: [{changes: {paths: [a], compare_to: ''}}]}
t2: {stage: test, script: x, needs: [gone]}
b2: {stage: build, script: x}
gone: {stage: build, script: x, rules: [{if: $NEVER}]}
t3: {stage: test, script: x, rules: [{changes: {paths: [a], compare_to: 'a b'}}]}
",
    );
    assert!(!pipeline.created);
    let failed = |job: &str| format!("Failed to parse rule for {job}: {COMPARE_TO_ERROR}");
    assert_eq!(
        pipeline.errors,
        [
            failed("b1"),
            failed("t1"),
            "'t2' job needs 'gone' job, but 'gone' does not exist in the pipeline. This might \
             be because of the only, except, or rules keywords. To need a job that sometimes \
             does not exist in the pipeline, use needs:optional."
                .to_owned(),
            failed("t3"),
        ]
    );
    let jobs: Vec<Option<&str>> = pipeline
        .error_diagnostics()
        .map(|d| d.job.as_deref())
        .collect();
    assert_eq!(jobs, [Some("b1"), Some("t1"), Some("t2"), Some("t3")]);
}

const COMPARE_TO_ERROR: &str = "rules:changes:compare_to is not a valid ref";

/// GitLab collects seed errors only from the stages that keep a created job.
#[test]
fn compare_to_error_ignored_in_empty_stage() {
    let yaml = format!(
        "stages: [build, deploy]\nb: {{stage: build, script: x}}\n\
         d: {{stage: deploy, script: x, {TARGET_BRANCH_RULES}}}\n"
    );
    let pipeline = plan_main(&yaml);
    assert!(pipeline.created, "{:?}", pipeline.errors);
    assert_eq!(names(&pipeline), ["b"]);
    assert_eq!(
        pipeline.absent_job("d").map(|job| job.reason),
        Some(AbsentReason::RuleError)
    );
    let warnings: Vec<&PlanDiagnostic> = pipeline
        .diagnostics
        .iter()
        .filter(|d| d.code == "ignored-rule-error")
        .collect();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].severity, Severity::Warning);
    assert!(warnings[0].message.contains("stage `deploy`"));
    assert!(warnings[0].location.is_some());
}

#[test]
fn compare_to_error_not_reached() {
    let pipeline = plan_main(
        "
guarded:
  script: x
  rules:
    - if: $CI_MERGE_REQUEST_IID
      changes: {paths: [a], compare_to: $CI_MERGE_REQUEST_TARGET_BRANCH_NAME}
    - when: manual
after_match:
  script: x
  rules:
    - if: $CI_COMMIT_BRANCH
    - changes: {paths: [a], compare_to: ''}
",
    );
    assert!(pipeline.created, "{:?}", pipeline.errors);
    assert_eq!(names(&pipeline), ["guarded", "after_match"]);
}

#[test]
fn compare_to_error_filters_workflow() {
    let yaml = format!("workflow:\n  {TARGET_BRANCH_RULES}\njob: {{script: x}}\n");
    let pipeline = plan_main(&yaml);
    assert!(!pipeline.created);
    assert!(!pipeline.workflow.created);
    assert_eq!(pipeline.errors, [FILTERED_OUT_MESSAGE]);
    assert_eq!(pipeline.failure_reason, Some("filtered_by_workflow_rules"));
    assert_eq!(
        pipeline.workflow.rules[0].clauses[0].error.as_deref(),
        Some(COMPARE_TO_ERROR)
    );
}

#[test]
fn compare_to_error_in_child() {
    let files = MemoryFiles::new()
        .with_file(ENTRY, "child: {trigger: {include: c.yml}}\n")
        .with_file(
            "c.yml",
            format!("c1: {{script: x, {TARGET_BRANCH_RULES}}}\nc2: {{script: x}}\n"),
        );
    let pipeline = plan_files(&files, &PipelineContext::push("main"));
    assert!(pipeline.created);
    let trigger = job(&pipeline, "child").trigger.as_ref().unwrap();
    let child = trigger.downstream.as_ref().unwrap();
    assert!(!child.created);
    assert_eq!(
        child.errors,
        [format!("Failed to parse rule for c1: {COMPARE_TO_ERROR}")]
    );
}

#[test]
fn compare_to_error_names_instance() {
    let pipeline = plan_main(
        "
build:
  script: x
  parallel: {matrix: [{OS: [linux]}]}
  rules: [{changes: {paths: [a], compare_to: $TARGET_$OS}}]
other: {script: x}
",
    );
    assert_eq!(
        pipeline.errors,
        [format!(
            "Failed to parse rule for build: [linux]: {COMPARE_TO_ERROR}"
        )]
    );
    let help = pipeline
        .error_diagnostics()
        .next()
        .and_then(|d| d.help.as_deref());
    assert!(
        help.is_some_and(|h| h.contains("`$TARGET_linux`")),
        "{help:?}"
    );
}

#[test]
fn compare_to_error_help_masked() {
    let secret = "s3cr3t-br4nch";
    let mut context = PipelineContext::push("main");
    context.project_variables = vec![SettingsVariable {
        masked: true,
        ..SettingsVariable::new("BASE", secret)
    }];
    let pipeline = plan_on(
        "job1: {script: x, rules: [{changes: {paths: [a], compare_to: '$BASE:docs'}}]}\n\
         job2: {script: x}\n",
        &context,
    );
    assert!(!pipeline.created);
    let json = serde_json::to_string(&pipeline).unwrap();
    assert!(!json.contains(secret), "{json}");
    let help = pipeline
        .error_diagnostics()
        .next()
        .and_then(|d| d.help.as_deref());
    assert!(
        help.is_some_and(|h| h.contains("[MASKED]:docs")),
        "{help:?}"
    );
}

const SKIP_CI_YAML: &str = "\
workflow:
  rules: [{if: $NEVER_SET}]
build: {script: x}
test: {stage: test, script: x, needs: [build]}
";

fn skip_ci_context(source: PipelineSource) -> PipelineContext {
    let mut context = PipelineContext::push("main");
    context.source = source;
    context.commit.message = "Fix typo [Skip CI]\n\nbody".to_owned();
    context
}

#[test]
fn skip_ci_skips_push_pipeline() {
    let pipeline = plan_on(SKIP_CI_YAML, &skip_ci_context(PipelineSource::Push));
    assert!(!pipeline.created);
    assert_eq!(pipeline.skipped.as_deref(), Some("[Skip CI]"));
    assert!(pipeline.errors.is_empty(), "{:?}", pipeline.errors);
    assert_eq!(pipeline.failure_reason, None);
    assert!(pipeline.jobs.is_empty());
    assert!(pipeline.stages.is_empty());

    let absent: Vec<(&str, AbsentReason)> = pipeline
        .absent
        .iter()
        .map(|job| (job.name.as_str(), job.reason))
        .collect();
    assert_eq!(
        absent,
        [
            ("build", AbsentReason::SkipCi),
            ("test", AbsentReason::SkipCi)
        ]
    );

    // `workflow:rules` are not evaluated, so they do not filter the pipeline out.
    assert!(pipeline.workflow.rules.is_empty());
    assert!(pipeline.workflow.reason.contains("skips the pipeline"));

    let codes: Vec<&str> = pipeline
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(codes, ["skip-ci"]);
    assert_eq!(
        pipeline.diagnostics[0].message,
        "Pipeline skipped: the commit message contains `[Skip CI]`"
    );
}

#[test]
fn skip_ci_ignored_by_run_pipeline_sources() {
    let yaml = "build: {script: x}\n";
    for source in [
        PipelineSource::Web,
        PipelineSource::Api,
        PipelineSource::Schedule,
        PipelineSource::Trigger,
    ] {
        let pipeline = plan_on(yaml, &skip_ci_context(source));
        assert!(pipeline.created, "{source:?}");
        assert_eq!(pipeline.skipped, None, "{source:?}");
        assert_eq!(names(&pipeline), ["build"], "{source:?}");
    }
}

#[test]
fn skip_ci_in_child_pipeline_ignored() {
    let files = MemoryFiles::new()
        .with_file(ENTRY, "child: {trigger: {include: c.yml}}\n")
        .with_file("c.yml", "c1: {script: x}\n");
    let mut context = skip_ci_context(PipelineSource::Web);
    let pipeline = plan_files(&files, &context);
    let trigger = job(&pipeline, "child").trigger.as_ref().unwrap();
    let child = trigger.downstream.as_ref().unwrap();
    assert!(child.created);
    assert_eq!(child.skipped, None);
    context.source = PipelineSource::Push;
    let pipeline = plan_files(&files, &context);
    assert_eq!(pipeline.skipped.as_deref(), Some("[Skip CI]"));
    assert!(pipeline.jobs.is_empty());
}

#[test]
fn skip_ci_keeps_configuration_errors_out_of_errors() {
    let files = MemoryFiles::new().with_file(ENTRY, "build: {script: x, needs: [missing]}\n");
    let (resolution, pipeline) = plan(
        ENTRY,
        &files,
        &skip_ci_context(PipelineSource::Push),
        &PlanOptions::default(),
    );
    assert!(resolution.diagnostics.has_errors());
    let pipeline = pipeline.unwrap();
    assert_eq!(pipeline.skipped.as_deref(), Some("[Skip CI]"));
    assert!(pipeline.errors.is_empty(), "{:?}", pipeline.errors);
    assert_eq!(pipeline.failure_reason, None);
}

/// Returns member `key` of cross need `index` of job `name` as the plan's JSON has it.
fn cross_need_member(
    pipeline: &Pipeline,
    name: &str,
    index: usize,
    key: &str,
) -> serde_json::Value {
    let json = serde_json::to_value(job(pipeline, name)).unwrap();
    json["cross_needs"][index][key].clone()
}

#[test]
fn project_need_values_expanded_once() {
    let pipeline = plan_main(
        "variables: {UPSTREAM: group/lib, DEP_JOB: build-$CI_COMMIT_REF_SLUG}\n\
         use:\n  script: x\n  variables: {DEP_REF: stable}\n  needs:\n\
         \x20   - {project: $UPSTREAM, job: $DEP_JOB, ref: '${DEP_REF}'}\n\
         \x20   - {project: group/tools, job: lint, ref: main}\n",
    );
    let member = |index: usize, key: &str| cross_need_member(&pipeline, "use", index, key);
    assert_eq!(member(0, "project"), "$UPSTREAM");
    assert_eq!(member(0, "project_expanded"), "group/lib");
    // GitLab expands once, so a reference inside the referenced value stays as written.
    assert_eq!(member(0, "job_expanded"), "build-$CI_COMMIT_REF_SLUG");
    assert_eq!(member(0, "ref"), "${DEP_REF}");
    assert_eq!(member(0, "ref_expanded"), "stable");
    for key in ["project_expanded", "job_expanded", "ref_expanded"] {
        assert_eq!(member(1, key), serde_json::Value::Null, "{key}");
    }
}

#[test]
fn pipeline_need_values_expanded() {
    let pipeline = plan_main(
        "use:\n  script: x\n  variables: {UP: '42', GEN: gen}\n\
         \x20 needs: [{pipeline: $UP, job: $GEN}]\n",
    );
    assert_eq!(
        cross_need_member(&pipeline, "use", 0, "pipeline_expanded"),
        "42"
    );
    assert_eq!(
        cross_need_member(&pipeline, "use", 0, "job_expanded"),
        "gen"
    );
    assert!(
        pipeline
            .diagnostics
            .iter()
            .all(|d| d.code != "cross-need-not-found"),
        "{:?}",
        pipeline.diagnostics
    );
}

#[test]
fn cross_need_without_environment_variables() {
    let scoped = |value: &str, scope: &str| SettingsVariable {
        environment_scope: scope.to_owned(),
        ..SettingsVariable::new("DEP", value)
    };
    let mut context = PipelineContext::push("main");
    context.project_variables = vec![scoped("any", "*"), scoped("prod", "production")];
    let pipeline = plan_on(
        "deploy:\n  script: x\n  environment: production\n  needs:\n\
         \x20   - {project: g/p, job: $DEP, ref: main}\n\
         \x20   - {project: g/p, job: 'build-$CI_ENVIRONMENT_NAME', ref: main}\n",
        &context,
    );
    // The job's own variable takes the environment's value, but GitLab expands the needs
    // without an environment.
    let dep = job(&pipeline, "deploy")
        .variables
        .iter()
        .find(|v| v.name == "DEP")
        .unwrap();
    assert_eq!(dep.value, "prod");
    assert_eq!(
        cross_need_member(&pipeline, "deploy", 0, "job_expanded"),
        "any"
    );
    assert_eq!(
        cross_need_member(&pipeline, "deploy", 1, "job_expanded"),
        "build-"
    );
}

#[test]
fn cross_need_empty_value_warns() {
    let pipeline = plan_main(
        "use:\n  script: x\n  needs:\n\
         \x20   - {project: g/p, job: $UNDEFINED, ref: main}\n\
         \x20   - {pipeline: $CI_PIPELINE_ID, job: gen}\n\
         \x20   - {pipeline: $CI_PIPELINE_ID, job: other, artifacts: false}\n",
    );
    let found: Vec<&PlanDiagnostic> = pipeline
        .diagnostics
        .iter()
        .filter(|d| d.code == "cross-need-not-found")
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    let first = found.first().unwrap();
    assert!(first.message.contains("`job`"), "{}", first.message);
    assert!(
        first.message.contains("missing_dependency_failure"),
        "{}",
        first.message
    );
    let location = first.location.as_ref().unwrap();
    assert_eq!((location.line, location.column), (4, 7));
    // `CI_PIPELINE_ID` is stored with the job, not among the variables GitLab expands with.
    let second = found.get(1).unwrap();
    assert!(second.message.contains("`pipeline`"), "{}", second.message);
    assert_eq!(
        cross_need_member(&pipeline, "use", 1, "pipeline_expanded"),
        ""
    );
}

#[test]
fn cross_need_runner_variable_unknown() {
    let pipeline = plan_main(
        "use:\n  script: x\n  needs: [{project: g/p, job: 'build-$CI_RUNNER_TAGS', ref: main}]\n",
    );
    assert_eq!(
        cross_need_member(&pipeline, "use", 0, "job_expanded"),
        serde_json::Value::Null
    );
    assert_eq!(
        cross_need_member(&pipeline, "use", 0, "unknown_variables"),
        serde_json::json!(["CI_RUNNER_TAGS"])
    );
    assert!(
        pipeline
            .diagnostics
            .iter()
            .all(|d| d.code != "cross-need-not-found"),
        "{:?}",
        pipeline.diagnostics
    );
}

#[test]
fn cross_need_masked_value_hidden() {
    let secret = "s3cr3t-pr0ject";
    let mut context = PipelineContext::push("main");
    context.project_variables = vec![SettingsVariable {
        masked: true,
        ..SettingsVariable::new("UPSTREAM", secret)
    }];
    let pipeline = plan_on(
        "use: {script: x, needs: [{project: $UPSTREAM, job: a, ref: main}]}\n",
        &context,
    );
    assert_eq!(
        cross_need_member(&pipeline, "use", 0, "project_expanded"),
        "[MASKED]"
    );
    let json = serde_json::to_string(&pipeline).unwrap();
    assert!(!json.contains(secret), "{json}");
}

#[test]
fn upstream_mirror_not_expanded() {
    let pipeline =
        plan_main("a: {script: x}\nmirror: {stage: test, needs: {pipeline: $UPSTREAM_PROJECT}}\n");
    assert_eq!(
        cross_need_member(&pipeline, "mirror", 0, "pipeline"),
        "$UPSTREAM_PROJECT"
    );
    assert_eq!(
        cross_need_member(&pipeline, "mirror", 0, "pipeline_expanded"),
        serde_json::Value::Null
    );
}
