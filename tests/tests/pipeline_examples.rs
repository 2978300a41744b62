//! The worked examples of GitLab's pipeline creation semantics (which jobs a pipeline gets and
//! with which attributes), run end to end through [`glplan::pipeline::plan`]: `when`,
//! `allow_failure` and `start_in`, `needs` and `dependencies`, `rules`, `only`/`except`,
//! `workflow`, `parallel`, tags, trigger jobs, variable precedence and expansion, and the
//! creation side of the processing examples.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test on a broken fixture or oracle"
)]

use glplan::config::{AllowFailure, SchedulingType, When};
use glplan::context::{PipelineContext, SettingsVariable};
use glplan::pipeline::{
    AbsentReason, EdgeKind, Pipeline, PlanOptions, PlannedJob, TriggerKind, plan,
};
use glplan::variables::VariableSource;
use glplan::{CompactString, MemoryFiles};

const ENTRY: &str = ".gitlab-ci.yml";

/// Removes the indentation common to all non-blank lines, so YAML can sit indented in the code.
fn dedent(text: &str) -> String {
    let indent = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for line in text.lines() {
        out.push_str(line.get(indent..).unwrap_or("").trim_end());
        out.push('\n');
    }
    out.trim_start_matches('\n').to_owned()
}

fn files(entry: &str, others: &[(&str, &str)]) -> MemoryFiles {
    let mut files = MemoryFiles::new().with_file(ENTRY, dedent(entry));
    for (path, text) in others {
        files = files.with_file(*path, dedent(text));
    }
    files
}

/// Plans `entry` for `context` with the predefined variables and the rule traces; the
/// configuration must be valid.
fn plan_with(entry: &str, others: &[(&str, &str)], context: &PipelineContext) -> Pipeline {
    let files = files(entry, others);
    let options = PlanOptions {
        predefined_variables: true,
        rule_traces: true,
        ..PlanOptions::default()
    };
    let (resolution, pipeline) = plan(ENTRY, &files, context, &options);
    let errors: Vec<&str> = resolution
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(errors, Vec::<&str>::new(), "configuration errors");
    pipeline.expect("a configuration")
}

fn plan_on(entry: &str, context: &PipelineContext) -> Pipeline {
    plan_with(entry, &[], context)
}

fn names(pipeline: &Pipeline) -> Vec<&str> {
    pipeline.jobs.iter().map(|job| job.name.as_str()).collect()
}

fn job<'p>(pipeline: &'p Pipeline, name: &str) -> &'p PlannedJob {
    pipeline
        .job(name)
        .unwrap_or_else(|| panic!("`{name}` is not planned; planned: {:?}", names(pipeline)))
}

fn var<'p>(pipeline: &'p Pipeline, job_name: &str, variable: &str) -> Option<&'p str> {
    job(pipeline, job_name).variable(variable)
}

fn source(pipeline: &Pipeline, job_name: &str, variable: &str) -> Option<VariableSource> {
    job(pipeline, job_name)
        .variables
        .iter()
        .find(|v| v.name == variable)
        .map(|v| v.source)
}

fn waits_for<'p>(pipeline: &'p Pipeline, stage: &str) -> Vec<&'p str> {
    pipeline
        .stages
        .iter()
        .find(|s| s.name == stage)
        .map(|s| s.waits_for.iter().map(CompactString::as_str).collect())
        .unwrap_or_default()
}

fn push(branch: &str) -> PipelineContext {
    PipelineContext::push(branch)
}

// T5.1: stages without jobs are left out of the pipeline.

#[test]
fn stages_only_with_jobs() {
    let pipeline = plan_on(
        "
        stages: [build, .post, test, [deploy, release]]
        a: {stage: build, script: x}
        b: {script: x}
        ",
        &push("main"),
    );
    let stages: Vec<&str> = pipeline.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(stages, ["build", "test"]);
    assert_eq!(job(&pipeline, "b").stage, "test");
}

// T5.2: `when`, manual jobs and `allow_failure`.

const T5_2: &str = "
    stages: [a, b, c]
    flaky: {stage: a, script: exit 1, allow_failure: true}
    cleanup: {stage: b, script: x, when: on_failure}
    next: {stage: b, script: x}
    deploy: {stage: c, script: x, when: manual}
    gate: {stage: c, script: x, rules: [{when: manual}]}
    after: {stage: c, script: x}
";

#[test]
fn t5_2_every_job_created() {
    let pipeline = plan_on(T5_2, &push("main"));
    assert_eq!(
        names(&pipeline),
        ["flaky", "cleanup", "next", "deploy", "gate", "after"]
    );
    assert!(pipeline.created);
}

#[test]
fn t5_2_when_and_allow_failure() {
    let pipeline = plan_on(T5_2, &push("main"));
    let cases = [
        ("flaky", When::OnSuccess, true),
        ("cleanup", When::OnFailure, false),
        ("next", When::OnSuccess, false),
        // An optional manual job: `when: manual` on the job allows failure by default.
        ("deploy", When::Manual, true),
        // A blocking manual job: `when: manual` from a rule keeps the default `false`.
        ("gate", When::Manual, false),
        ("after", When::OnSuccess, false),
    ];
    for (name, when, allowed) in cases {
        let planned = job(&pipeline, name);
        assert_eq!(planned.when, when, "{name}");
        assert_eq!(planned.allow_failure, AllowFailure::Bool(allowed), "{name}");
    }
}

// T5.3: DAG with an optional need.

const T5_3: &str = "
    stages: [build, test, deploy]
    build-a: {stage: build, script: x}
    build-b: {stage: build, script: x, rules: [{if: $B == \"1\"}]}
    lint: {stage: test, needs: [], script: x}
    test-a: {stage: test, needs: [build-a], script: x}
    deploy: {stage: deploy, script: x, needs: [test-a, {job: build-b, optional: true}]}
";

#[test]
fn t5_3_jobs_without_b() {
    let pipeline = plan_on(T5_3, &push("main"));
    assert_eq!(names(&pipeline), ["build-a", "lint", "test-a", "deploy"]);
    assert_eq!(
        pipeline.absent_job("build-b").map(|j| j.reason),
        Some(AbsentReason::NoRuleMatched)
    );
}

#[test]
fn t5_3_needs_without_b() {
    let pipeline = plan_on(T5_3, &push("main"));
    assert_eq!(job(&pipeline, "lint").needs, Some(Vec::new()));
    assert_eq!(job(&pipeline, "test-a").need_names(), ["build-a"]);
    assert_eq!(job(&pipeline, "deploy").need_names(), ["test-a"]);
    assert!(
        pipeline
            .order
            .iter()
            .position(|n| n == "lint")
            .is_some_and(|lint| lint < 2)
    );
}

#[test]
fn t5_3_optional_need_present_with_b() {
    let mut context = push("main");
    context.pipeline_variables = vec![SettingsVariable::new("B", "1")];
    let pipeline = plan_on(T5_3, &context);
    assert_eq!(job(&pipeline, "deploy").need_names(), ["test-a", "build-b"]);
}

#[test]
fn t5_3_required_need_missing() {
    let pipeline = plan_on(
        &T5_3.replace("optional: true", "optional: false"),
        &push("main"),
    );
    assert!(!pipeline.created);
    assert_eq!(
        pipeline.errors,
        [
            "'deploy' job needs 'build-b' job, but 'build-b' does not exist in the pipeline. \
             This might be because of the only, except, or rules keywords. To need a job that \
             sometimes does not exist in the pipeline, use needs:optional."
        ]
    );
}

// T5.5: rules with `when`, `allow_failure`, `variables` and `start_in`.

const T5_5: &str = "
    job:
      script: x
      variables: {DEPLOY: default}
      rules:
        - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"
          when: manual
          allow_failure: true
        - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
          variables: {DEPLOY: prod}
        - if: $CI_COMMIT_BRANCH =~ /^feature/
          when: delayed
          start_in: 10 minutes
";

#[test]
fn t5_5_merge_request() {
    let pipeline = plan_on(T5_5, &PipelineContext::merge_request("feature", "main"));
    let planned = job(&pipeline, "job");
    assert_eq!(planned.when, When::Manual);
    assert_eq!(planned.allow_failure, AllowFailure::Bool(true));
    assert_eq!(planned.variable("DEPLOY"), Some("default"));
    assert_eq!(planned.rule.matched, Some(0));
}

#[test]
fn t5_5_default_branch() {
    let pipeline = plan_on(T5_5, &push("main"));
    let planned = job(&pipeline, "job");
    assert_eq!(planned.when, When::OnSuccess);
    assert_eq!(planned.variable("DEPLOY"), Some("prod"));
    assert_eq!(
        source(&pipeline, "job", "DEPLOY"),
        Some(VariableSource::Rules)
    );
}

#[test]
fn t5_5_feature_branch() {
    let pipeline = plan_on(T5_5, &push("feature-x"));
    let planned = job(&pipeline, "job");
    assert_eq!(planned.when, When::Delayed);
    assert_eq!(planned.start_in.as_ref().map(|d| d.seconds), Some(600));
    assert_eq!(
        planned.start_in.as_ref().map(|d| d.text.as_str()),
        Some("10 minutes")
    );
}

#[test]
fn t5_5_tag() {
    let pipeline = plan_on(T5_5, &PipelineContext::tag("v1.0"));
    let absent = pipeline.absent_job("job").expect("absent job");
    assert_eq!(absent.reason, AbsentReason::NoRuleMatched);
    let rules = &absent.rule.as_ref().expect("a trace").rules;
    assert_eq!(rules.len(), 3);
    assert!(rules.iter().all(|rule| !rule.matched));
    assert_eq!(pipeline.errors, ["No stages / jobs for this pipeline."]);
}

// T5.6: `changes` is true when there is nothing to diff against.

const T5_6: &str = "docs: {script: x, rules: [{changes: [\"docs/**/*\"]}]}\nother: {script: x}\n";

#[test]
fn t5_6_changes_cases() {
    let mut changed_code = push("feature");
    changed_code.changed_files = Some(vec!["src/a.rs".to_owned()]);
    let mut changed_docs = push("feature");
    changed_docs.changed_files = Some(vec!["docs/guide/index.md".to_owned()]);
    let cases = [
        ("tag", PipelineContext::tag("v1"), true),
        ("schedule", PipelineContext::schedule("main"), true),
        ("code change", changed_code, false),
        ("docs change", changed_docs, true),
        ("new branch", push("new-branch"), true),
    ];
    for (case, context, created) in cases {
        let pipeline = plan_on(T5_6, &context);
        assert_eq!(pipeline.job("docs").is_some(), created, "{case}");
    }
}

// T5.7: `only`/`except`, and the implicit `only: [branches, tags]`.

const T5_7: &str = "
    a: {script: x}
    b: {script: x, only: [main, /^release-.*$/, merge_requests]}
    c: {script: x, except: {refs: [schedules], variables: [$SKIP == \"1\"]}}
";

fn created_jobs(pipeline: &Pipeline) -> Vec<&str> {
    names(pipeline)
}

#[test]
fn t5_7_schedule_on_main() {
    let pipeline = plan_on(T5_7, &PipelineContext::schedule("main"));
    assert_eq!(created_jobs(&pipeline), ["a", "b"]);
    assert_eq!(
        pipeline.absent_job("c").map(|j| j.reason),
        Some(AbsentReason::OnlyExcept)
    );
}

#[test]
fn t5_7_merge_request() {
    let pipeline = plan_on(T5_7, &PipelineContext::merge_request("feature", "main"));
    assert_eq!(created_jobs(&pipeline), ["b"]);
}

#[test]
fn t5_7_release_branch_skip() {
    let mut context = push("release-1");
    context.pipeline_variables = vec![SettingsVariable::new("SKIP", "1")];
    let pipeline = plan_on(T5_7, &context);
    assert_eq!(created_jobs(&pipeline), ["a", "b"]);
    let except = pipeline
        .absent_job("c")
        .and_then(|j| j.rule.as_ref())
        .and_then(|rule| rule.except.as_ref())
        .expect("an except trace");
    assert!(except.satisfied);
}

#[test]
fn t5_7_implicit_only_trace() {
    let pipeline = plan_on(T5_7, &PipelineContext::merge_request("feature", "main"));
    let only = pipeline
        .absent_job("a")
        .and_then(|j| j.rule.as_ref())
        .and_then(|rule| rule.only.as_ref())
        .expect("an only trace");
    assert!(!only.satisfied);
}

// T5.8: `workflow:rules`, `workflow:name` and workflow variables.

const T5_8: &str = "
    variables: {DEPLOY: \"default\"}
    workflow:
      name: 'Pipeline for $CI_COMMIT_REF_NAME'
      rules:
        - if: $CI_COMMIT_TITLE =~ /-draft$/
          when: never
        - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
          variables: {DEPLOY: \"prod\"}
        - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"
    j1: {script: x, variables: {DEPLOY: \"job\"}}
    j2: {script: x}
";

#[test]
fn t5_8_push_to_main() {
    let pipeline = plan_on(T5_8, &push("main"));
    assert!(pipeline.created);
    assert_eq!(pipeline.workflow.name.as_deref(), Some("Pipeline for main"));
    assert_eq!(pipeline.workflow.rule, Some(1));
    assert_eq!(var(&pipeline, "j1", "DEPLOY"), Some("job"));
    assert_eq!(var(&pipeline, "j2", "DEPLOY"), Some("prod"));
    assert_eq!(
        source(&pipeline, "j2", "DEPLOY"),
        Some(VariableSource::WorkflowRules)
    );
    assert_eq!(
        var(&pipeline, "j2", "CI_PIPELINE_NAME"),
        Some("Pipeline for main")
    );
}

#[test]
fn t5_8_push_to_feature() {
    let pipeline = plan_on(T5_8, &push("feat"));
    assert!(!pipeline.created);
    assert_eq!(
        pipeline.errors,
        ["Pipeline filtered out by workflow rules."]
    );
    assert!(
        pipeline
            .workflow
            .reason
            .contains("No workflow rule matched")
    );
    assert!(
        pipeline
            .absent
            .iter()
            .all(|j| j.reason == AbsentReason::WorkflowFiltered)
    );
}

#[test]
fn t5_8_draft_title() {
    let mut context = push("main");
    context.commit.message = "wip-draft".to_owned();
    let pipeline = plan_on(T5_8, &context);
    assert!(!pipeline.created);
    assert_eq!(pipeline.workflow.rule, Some(0));
    assert_eq!(
        pipeline.errors,
        ["Pipeline filtered out by workflow rules."]
    );
}

// T5.9 and T5.10: `parallel` and `parallel:matrix`.

#[test]
fn t5_9_matrix_order() {
    let pipeline = plan_on(
        "
        deploystacks:
          script: x
          parallel:
            matrix:
              - PROVIDER: aws
                STACK: [monitoring, app1]
              - PROVIDER: [gcp, vultr]
                STACK: [data, processing]
        ",
        &push("main"),
    );
    assert_eq!(
        names(&pipeline),
        [
            "deploystacks: [aws, monitoring]",
            "deploystacks: [aws, app1]",
            "deploystacks: [gcp, data]",
            "deploystacks: [gcp, processing]",
            "deploystacks: [vultr, data]",
            "deploystacks: [vultr, processing]",
        ]
    );
    let last = job(&pipeline, "deploystacks: [vultr, processing]");
    assert_eq!(last.variable("CI_NODE_TOTAL"), Some("6"));
    assert_eq!(last.variable("CI_NODE_INDEX"), Some("6"));
}

const T5_10: &str = "
    test: {script: x, parallel: 3}
    report: {script: x, needs: [test]}
    one: {script: x, parallel: {matrix: [{V: [\"1\", 2]}]}, variables: {V: \"0\"}}
";

#[test]
fn t5_10_parallel_instances() {
    let pipeline = plan_on(T5_10, &push("main"));
    assert_eq!(
        names(&pipeline),
        [
            "test 1/3", "test 2/3", "test 3/3", "report", "one: [1]", "one: [2]"
        ]
    );
    assert_eq!(
        job(&pipeline, "report").need_names(),
        ["test 1/3", "test 2/3", "test 3/3"]
    );
    let instance = job(&pipeline, "test 2/3")
        .parallel
        .as_ref()
        .expect("an instance");
    assert_eq!((instance.node_index, instance.node_total), (2, 3));
}

#[test]
fn t5_10_matrix_beats_job_variable() {
    let pipeline = plan_on(T5_10, &push("main"));
    assert_eq!(var(&pipeline, "one: [1]", "V"), Some("1"));
    assert_eq!(var(&pipeline, "one: [2]", "V"), Some("2"));
    assert_eq!(
        source(&pipeline, "one: [2]", "V"),
        Some(VariableSource::Matrix)
    );
}

// T5.11: tags with variables and a matrix.

#[test]
fn t5_11_tags_expanded() {
    let pipeline = plan_on(
        "
        build:
          script: x
          parallel: {matrix: [{ARCH: [amd64, arm64]}]}
          tags: [\"${ARCH}-runner\", \"$UNDEFINED_TAG\"]
        ",
        &push("main"),
    );
    assert_eq!(
        job(&pipeline, "build: [amd64]").tags,
        ["amd64-runner", "$UNDEFINED_TAG"]
    );
    assert_eq!(
        job(&pipeline, "build: [arm64]").tags,
        ["arm64-runner", "$UNDEFINED_TAG"]
    );
}

// T5.12: image and services.

#[test]
fn t5_12_image_and_services() {
    let pipeline = plan_on(
        "
        default:
          image: ruby:3.3
          services: [postgres:16]
        j1:
          script: x
          image: {name: \"registry.example.com/tools/cli:1.2\", entrypoint: [\"\"], pull_policy: [always, if-not-present]}
          services:
            - name: tutum/wordpress:latest
            - {name: redis:7, alias: cache}
        j2: {script: x}
        ",
        &push("main"),
    );
    let j1 = job(&pipeline, "j1");
    let image = j1.image.as_ref().expect("an image");
    assert_eq!(image.name, "registry.example.com/tools/cli:1.2");
    assert_eq!(image.entrypoint, Some(vec![CompactString::default()]));
    assert_eq!(image.pull_policy, ["always", "if-not-present"]);
    let hostnames: Vec<&[CompactString]> =
        j1.services.iter().map(|s| s.hostnames.as_slice()).collect();
    assert_eq!(hostnames[0], ["tutum__wordpress", "tutum-wordpress"]);
    assert_eq!(hostnames[1], ["redis", "cache"]);
    let j2 = job(&pipeline, "j2");
    assert_eq!(j2.image.as_ref().map(|i| i.name.as_str()), Some("ruby:3.3"));
    assert_eq!(j2.services[0].hostnames, ["postgres"]);
}

// T5.13: retry.

#[test]
fn t5_13_retry() {
    let pipeline = plan_on(
        "
        t1: {script: x, retry: 2}
        t2: {script: x, retry: {max: 1, when: [runner_system_failure, stuck_or_timeout_failure]}}
        t3: {script: x, retry: {max: 2, exit_codes: [137]}}
        ",
        &push("main"),
    );
    let retry = |name: &str| job(&pipeline, name).retry.clone().expect("a retry");
    assert_eq!(retry("t1").max, 2);
    assert_eq!(retry("t1").when, ["always"]);
    assert_eq!(
        retry("t2").when,
        ["runner_system_failure", "stuck_or_timeout_failure"]
    );
    assert_eq!(
        retry("t3").exit_codes,
        [glplan::config::ExitCode::from(137)]
    );
}

// T5.14: trigger jobs.

const T5_14: &str = "
    variables: {GLOBAL: g}
    child:
      stage: test
      trigger:
        include: ci/child.yml
        strategy: depend
      variables: {FOR_CHILD: \"1\"}
    multi:
      trigger: {project: group/other, branch: stable, forward: {pipeline_variables: true}}
";

const CHILD: &str = "
    child-job:
      script: x
      rules:
        - if: $CI_PIPELINE_SOURCE == \"parent_pipeline\"
";

#[test]
fn t5_14_child_pipeline() {
    let pipeline = plan_with(T5_14, &[("ci/child.yml", CHILD)], &push("main"));
    let trigger = job(&pipeline, "child").trigger.as_ref().expect("a trigger");
    assert_eq!(trigger.kind, TriggerKind::Child);
    assert_eq!(trigger.strategy.as_deref(), Some("depend"));
    assert_eq!(trigger.include, ["ci/child.yml"]);
    let child = trigger.downstream.as_ref().expect("a child pipeline");
    assert_eq!(child.source, "parent_pipeline");
    assert_eq!(names(child), ["child-job"]);
    assert_eq!(var(child, "child-job", "GLOBAL"), Some("g"));
    assert_eq!(var(child, "child-job", "FOR_CHILD"), Some("1"));
    assert_eq!(
        source(child, "child-job", "FOR_CHILD"),
        Some(VariableSource::Pipeline)
    );
}

#[test]
fn t5_14_multi_project() {
    let mut context = push("main");
    context.pipeline_variables = vec![SettingsVariable::new("RUN", "manual")];
    let pipeline = plan_with(T5_14, &[("ci/child.yml", CHILD)], &context);
    let trigger = job(&pipeline, "multi").trigger.as_ref().expect("a trigger");
    assert_eq!(trigger.kind, TriggerKind::MultiProject);
    assert_eq!(trigger.project.as_deref(), Some("group/other"));
    assert_eq!(trigger.branch.as_deref(), Some("stable"));
    assert_eq!(trigger.strategy, None);
    assert!(trigger.forward_pipeline_variables);
    let forwarded: Vec<&str> = trigger.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(forwarded, ["GLOBAL", "RUN"]);
    assert!(trigger.downstream.is_none());
}

#[test]
fn t5_14_script_and_trigger_rejected() {
    let files = files(
        "bad: {trigger: group/other, script: x}\nok: {script: x}\n",
        &[],
    );
    let (resolution, pipeline) = plan(ENTRY, &files, &push("main"), &PlanOptions::default());
    assert!(resolution.diagnostics.iter().any(|d| d.is_error()));
    assert!(!pipeline.expect("a configuration").created);
}

// T7.1: variable precedence.

#[test]
fn t7_1_precedence() {
    let mut context = PipelineContext::web("main");
    context.project_variables = vec![SettingsVariable::new("B", "project")];
    context.pipeline_variables = vec![SettingsVariable::new("C", "pipeline")];
    let pipeline = plan_on(
        "
        variables: {A: global, B: global, C: global}
        job:
          variables: {A: job, B: job}
          rules:
            - if: $CI_COMMIT_BRANCH
              variables: {A: rule}
          script: x
        ",
        &context,
    );
    let cases = [
        ("A", "rule", VariableSource::Rules),
        ("B", "project", VariableSource::Project),
        ("C", "pipeline", VariableSource::Pipeline),
    ];
    for (name, value, origin) in cases {
        assert_eq!(var(&pipeline, "job", name), Some(value), "{name}");
        assert_eq!(source(&pipeline, "job", name), Some(origin), "{name}");
    }
}

// T7.2: nested expansion, raw values and `$$`.

#[test]
fn t7_2_nested_and_raw() {
    let pipeline = plan_on(
        "
        variables:
          ROOT: '${CI_BUILDS_DIR}'
          OUT: '${ROOT}/out'
          PKG: '$OUT/pkg'
          RAW: {value: '$OUT/raw', expand: false}
          ESC: 'cost $$5'
        job: {script: x}
        ",
        &push("main"),
    );
    assert_eq!(
        var(&pipeline, "job", "PKG"),
        Some("${CI_BUILDS_DIR}/out/pkg")
    );
    assert_eq!(var(&pipeline, "job", "RAW"), Some("$OUT/raw"));
    assert_eq!(var(&pipeline, "job", "ESC"), Some("cost $$5"));
    let raw = job(&pipeline, "job")
        .variables
        .iter()
        .find(|v| v.name == "RAW")
        .expect("RAW");
    assert!(raw.raw);
}

// T7.3: `include` does not see YAML variables.

#[test]
fn t7_3_include_sees_no_yaml_variables() {
    let files = files(
        "variables: {TPL: a.yml}\ninclude: $TPL\n",
        &[("a.yml", "a: {script: x}\n")],
    );
    let (_, pipeline) = plan(ENTRY, &files, &push("main"), &PlanOptions::default());
    let pipeline = pipeline.expect("a configuration");
    assert!(!pipeline.created);
    assert!(
        pipeline
            .errors
            .iter()
            .any(|e| e.starts_with("`{\"local\":\"\"}` does not have a valid subkey for include.")),
        "{:?}",
        pipeline.errors
    );
}

#[test]
fn t7_3_include_sees_project_variable() {
    let mut context = push("main");
    context.project_variables = vec![SettingsVariable::new("TPL", "a.yml")];
    let pipeline = plan_with(
        "include: $TPL\n",
        &[("a.yml", "a: {script: x}\n")],
        &context,
    );
    assert_eq!(names(&pipeline), ["a"]);
}

// T7.4: `inherit:variables` and a matrix.

#[test]
fn t7_4_inherit_and_matrix() {
    let pipeline = plan_on(
        "
        variables: {G1: g, G2: g}
        job:
          inherit: {variables: [G1]}
          variables: {OS: none}
          parallel: {matrix: [{OS: [linux]}]}
          script: x
        ",
        &push("main"),
    );
    let name = "job: [linux]";
    assert_eq!(var(&pipeline, name, "G1"), Some("g"));
    assert_eq!(var(&pipeline, name, "G2"), None);
    assert_eq!(var(&pipeline, name, "OS"), Some("linux"));
}

// T8.1 to T8.4: what the processing examples start from.

#[test]
fn t8_1_stage_barrier_and_dag() {
    let pipeline = plan_on(
        "
        stages: [build, test, deploy]
        b1: {stage: build, script: sleep 1}
        b2: {stage: build, script: sleep 100}
        t1: {stage: test, script: x, needs: [b1]}
        t2: {stage: test, script: x}
        d:  {stage: deploy, script: x}
        ",
        &push("main"),
    );
    assert_eq!(job(&pipeline, "t1").scheduling_type, SchedulingType::Dag);
    assert_eq!(job(&pipeline, "t1").need_names(), ["b1"]);
    assert_eq!(job(&pipeline, "t2").scheduling_type, SchedulingType::Stage);
    assert_eq!(waits_for(&pipeline, "test"), ["b1", "b2"]);
    // `d` waits for b1 through t1, and for b2 through t2, which waits for the build stage.
    assert_eq!(waits_for(&pipeline, "deploy"), ["t1", "t2"]);
    let edges = pipeline.edges();
    assert!(edges.contains(&("b1", "t2", EdgeKind::Stage)));
    assert!(!edges.contains(&("b2", "t1", EdgeKind::Stage)));
}

#[test]
fn t8_2_failure_handling_jobs() {
    let pipeline = plan_on(
        "
        stages: [build, test, cleanup]
        build: {stage: build, script: exit 1}
        unit:  {stage: test, script: x}
        dag:   {stage: test, script: x, needs: [build]}
        notify: {stage: cleanup, script: x, when: on_failure}
        always: {stage: cleanup, script: x, when: always}
        post:  {stage: .post, script: x}
        ",
        &push("main"),
    );
    assert_eq!(
        names(&pipeline),
        ["build", "unit", "dag", "notify", "always", "post"]
    );
    assert_eq!(job(&pipeline, "notify").when, When::OnFailure);
    assert_eq!(job(&pipeline, "always").when, When::Always);
    // The cleanup jobs wait for `unit` and `dag` through their stage.
    assert_eq!(waits_for(&pipeline, ".post"), ["notify", "always"]);
}

#[test]
fn t8_3_manual_gates() {
    let pipeline = plan_on(
        "
        stages: [a, b]
        opt: {stage: a, script: x, when: manual}
        blk: {stage: a, script: x, when: manual, allow_failure: false}
        n1:  {stage: b, script: x}
        n2:  {stage: b, script: x, needs: [opt]}
        ",
        &push("main"),
    );
    assert_eq!(
        job(&pipeline, "opt").allow_failure,
        AllowFailure::Bool(true)
    );
    assert_eq!(
        job(&pipeline, "blk").allow_failure,
        AllowFailure::Bool(false)
    );
    assert_eq!(waits_for(&pipeline, "b"), ["opt", "blk"]);
    assert_eq!(job(&pipeline, "n2").need_names(), ["opt"]);
}

#[test]
fn t8_4_delayed_with_resource_group() {
    let pipeline = plan_on(
        "deploy: {script: x, when: delayed, start_in: 5 minutes, resource_group: prod}\n",
        &push("main"),
    );
    let deploy = job(&pipeline, "deploy");
    assert_eq!(deploy.when, When::Delayed);
    assert_eq!(deploy.start_in.as_ref().map(|d| d.seconds), Some(300));
    assert_eq!(deploy.resource_group.as_deref(), Some("prod"));
    assert_eq!(deploy.allow_failure, AllowFailure::Bool(false));
}

// The JSON form.

#[test]
fn json_form_is_versioned() {
    let pipeline = plan_on("j: {script: x}\n", &push("main"));
    let json = serde_json::to_value(&pipeline).expect("JSON");
    assert_eq!(json["version"], 3);
    assert_eq!(json["jobs"][0]["name"], "j");
    assert_eq!(json["jobs"][0]["when"], "on_success");
    assert_eq!(json["workflow"]["created"], true);
}
