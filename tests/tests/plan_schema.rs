//! Real plan outputs checked against the checked-in JSON Schema `docs/plan.schema.json`.
//!
//! The unit test next to the Rust types proves that the file matches the types it is generated
//! from. These tests prove that the serialized plan, which `glplan plan --format json` prints,
//! matches the file. Several pipelines, between them using every member the schema declares,
//! are serialized and validated strictly, so a member the schema lacks fails as well as a
//! wrong type or value.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test on a broken fixture"
)]

use std::collections::BTreeSet;
use std::path::Path;

use glplan::MemoryFiles;
use glplan::context::{GroupVariables, PipelineContext, SettingsVariable};
use glplan::fleet::MatchContext;
use glplan::pipeline::{PlanOptions, plan};
use glplan::report::{MatchedFleet, add_runners};
use glplan_tests::json_schema::Validator;
use serde_json::{Value, json};

const ENTRY: &str = ".gitlab-ci.yml";

/// A pipeline that uses most keywords: a matrix, caches, artifacts, retry, image and services,
/// DAG and cross-pipeline needs, environments, a child and a multi-project trigger, rules,
/// `only`/`except`, and `workflow` with a name, variables and auto-cancel settings.
const FULL: &str = r#"
stages: [build, test, deploy]
variables:
  GLOBAL: g
workflow:
  name: 'Pipeline for $CI_COMMIT_REF_NAME'
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
      variables: {DEPLOY: prod}
      auto_cancel: {on_new_commit: interruptible, on_job_failure: all}
    - when: always
default:
  image: ruby:3.3
  services: [postgres:16]
build:
  stage: build
  script: x
  parallel: {matrix: [{ARCH: [amd64, arm64]}]}
  tags: ["${ARCH}-runner"]
  cache:
    - {key: "cache-$ARCH", paths: [vendor/], policy: pull, untracked: true, unprotect: true, fallback_keys: [main]}
    - {key: {files: [Gemfile.lock], prefix: gems}, paths: [gems/]}
  artifacts:
    name: "build-$ARCH"
    paths: [out/]
    exclude: [out/tmp/]
    untracked: true
    expire_in: 1 week
    reports: {dotenv: build.env, junit: report.xml}
  retry: {max: 2, when: [runner_system_failure], exit_codes: [137]}
  timeout: 30 minutes
  interruptible: true
test:
  stage: test
  script: x
  image:
    name: "registry.example.com/cli:$GLOBAL"
    entrypoint: [""]
    pull_policy: [always, if-not-present]
  services:
    - {name: "redis:$GLOBAL", alias: cache, pull_policy: if-not-present}
  needs:
    - {job: build, artifacts: true}
    - {job: missing, optional: true}
    - {project: group/other, job: lint, ref: main, artifacts: true}
  dependencies: [build]
  variables:
    LOCAL: "$GLOBAL-x"
    RAW: {value: "$GLOBAL", expand: false}
  allow_failure: {exit_codes: [1, 2]}
  rules:
    - if: $CI_COMMIT_TAG
      when: never
    - if: $CI_COMMIT_BRANCH == "main" && $GLOBAL
      exists: [Gemfile]
      when: manual
  manual_confirmation: Run the tests?
deploy:
  stage: deploy
  script: x
  environment:
    name: review/$CI_COMMIT_REF_SLUG
    url: https://$CI_COMMIT_REF_SLUG.example.com
    on_stop: stop
    deployment_tier: staging
    auto_stop_in: 1 day
  resource_group: prod
  when: delayed
  start_in: 10 minutes
  only: [main]
  except: {variables: [$SKIP]}
stop:
  stage: deploy
  script: x
  environment: {name: review/$CI_COMMIT_REF_SLUG, action: stop}
  when: manual
  only: [main]
child:
  stage: deploy
  trigger: {include: child.yml, strategy: depend, forward: {pipeline_variables: true}}
  variables: {FOR_CHILD: "1"}
multi:
  stage: deploy
  trigger: {project: group/other, branch: stable}
  needs: {pipeline: group/upstream}
  when: manual
absent:
  script: x
  rules: [{if: $NOPE}]
compared:
  stage: deploy
  script: x
  rules:
    - changes: {paths: [src/**/*], compare_to: refs/heads/main}
"#;

const CHILD: &str = "child-job: {script: x, variables: {FROM_CHILD: c}}\n";

/// Plans `entry` for `context` with the rule traces kept, and returns the JSON the CLI writes.
fn plan_json(entry: &str, context: &PipelineContext, predefined: bool) -> Value {
    let options = PlanOptions {
        predefined_variables: predefined,
        rule_traces: true,
        ..PlanOptions::default()
    };
    plan_json_with(entry, context, &options)
}

fn plan_json_with(entry: &str, context: &PipelineContext, options: &PlanOptions) -> Value {
    let files = MemoryFiles::new()
        .with_file(ENTRY, entry)
        .with_file("child.yml", CHILD);
    let (_, pipeline) = plan(ENTRY, &files, context, options);
    serde_json::to_value(pipeline.expect("a configuration")).unwrap()
}

fn main_push() -> PipelineContext {
    let mut context = PipelineContext::push("main");
    context.repository_files = vec!["Gemfile".to_owned()];
    context.project_variables.push(SettingsVariable {
        masked: true,
        ..SettingsVariable::new("TOKEN", "secret-value-1234")
    });
    context.project_variables.push(SettingsVariable {
        file: true,
        ..SettingsVariable::new("KUBE_CONFIG", "apiVersion: v1")
    });
    context
}

/// The runner fixtures of the fleet module, as `(file name, text)`. They include a GitLab
/// settings file and runners that reject jobs.
const RUNNER_FILES: &[(&str, &str)] = &[
    (
        "executors.toml",
        include_str!("../../crates/glplan/src/fleet/fixtures/executors.toml"),
    ),
    (
        "dind.toml",
        include_str!("../../crates/glplan/src/fleet/fixtures/dind.toml"),
    ),
    (
        "socket.toml",
        include_str!("../../crates/glplan/src/fleet/fixtures/socket.toml"),
    ),
    (
        "concurrency.toml",
        include_str!("../../crates/glplan/src/fleet/fixtures/concurrency.toml"),
    ),
    (
        "multi-arch.toml",
        include_str!("../../crates/glplan/src/fleet/fixtures/multi-arch.toml"),
    ),
    (
        "gitlab-settings.toml",
        include_str!("../../crates/glplan/src/fleet/fixtures/gitlab-settings.toml"),
    ),
];

/// A runner host that sets the keys the fixtures leave out: the settings of the remaining
/// executors, Docker and Kubernetes services and allow lists, and project and group runners.
const MORE_RUNNERS: &str = r#"
concurrent = 8

[[runners]]
  name = "machine"
  executor = "docker+machine"
  strict_check_interval = true
  environment = ["DOCKER_DRIVER=overlay2"]
  runner_type = "project_type"
  projects = ["group/project"]
  [runners.docker]
    image = "alpine:3.20"
    host = "tcp://docker.example.com:2376"
    network_mode = "ci"
    services_privileged = false
    allowed_images = ["alpine:*"]
    allowed_pull_policies = ["if-not-present"]
    allowed_services = ["postgres:*"]
    services_limit = 2
    [[runners.docker.services]]
      name = "postgres:16"
      alias = "db"
      environment = ["POSTGRES_PASSWORD=x"]
  [runners.cache]
    Type = "local"
    Path = "/cache"
  [runners.machine]
    IdleCount = 2
    IdleTime = 600
    MaxBuilds = 10
    MaxGrowthRate = 1
    MachineDriver = "google"

[[runners]]
  name = "autoscaler"
  executor = "docker-autoscaler"
  runner_type = "group_type"
  groups = ["group"]
  [runners.autoscaler]
    plugin = "fleeting-plugin-aws"
    capacity_per_instance = 2
    max_use_count = 5
    max_instances = 4

[[runners]]
  name = "instance"
  executor = "instance"
  [runners.instance]
    allowed_images = ["ubuntu-*"]

[[runners]]
  name = "virtualbox"
  executor = "virtualbox"
  [runners.virtualbox]
    base_name = "ubuntu-base"
    allowed_images = ["ubuntu-.*"]

[[runners]]
  name = "parallels"
  executor = "parallels"
  [runners.parallels]
    base_name = "macos-base"

[[runners]]
  name = "pods"
  executor = "kubernetes"
  [runners.kubernetes]
    ephemeral_storage_request = "1Gi"
    ephemeral_storage_limit = "2Gi"
    cpu_limit_overwrite_max_allowed = "2"
    pull_policy = "if-not-present"
    allowed_pull_policies = ["if-not-present"]
    allowed_images = ["alpine:*"]
    allowed_services = ["redis:*"]
    [[runners.kubernetes.services]]
      name = "redis:7"
    [[runners.kubernetes.volumes.empty_dir]]
      name = "scratch"
      mount_path = "/scratch"
"#;

/// Plans `entry` on `main` and returns the plan's JSON with the `runners` and `fleet` members
/// that `glplan plan --runners` adds, for the fleet of [`RUNNER_FILES`] and [`MORE_RUNNERS`].
fn plan_with_runners_json(entry: &str) -> Value {
    let files = MemoryFiles::new()
        .with_file(ENTRY, entry)
        .with_file("child.yml", CHILD);
    let context = main_push();
    let (mut resolution, pipeline) = plan(ENTRY, &files, &context, &PlanOptions::default());
    let pipeline = pipeline.expect("a configuration");
    let mut runner_files: Vec<_> = RUNNER_FILES
        .iter()
        .map(|&(name, text)| (resolution.sources.add(name, text), text))
        .collect();
    let more = resolution.sources.add("more.toml", MORE_RUNNERS);
    runner_files.push((more, MORE_RUNNERS));
    let fleet = MatchedFleet::new(
        &runner_files,
        &pipeline,
        &MatchContext::from(&context),
        &resolution.sources,
    );
    let mut value = serde_json::to_value(&pipeline).unwrap();
    add_runners(&mut value, &fleet).unwrap();
    value
}

/// Returns a push of `branch` with a protected project variable `DEPLOY_TOKEN`.
fn skip_ci_push() -> PipelineContext {
    let mut context = PipelineContext::push("main");
    context.commit.message = "Update docs [ci skip]".to_owned();
    context
}

fn protected_token_push(branch: &str) -> PipelineContext {
    let mut context = PipelineContext::push(branch);
    context.project_variables.push(SettingsVariable {
        protected: true,
        ..SettingsVariable::new("DEPLOY_TOKEN", "token")
    });
    context
}

/// Returns a push of `main` with project variable `A` in the scopes `*`, `prod*` and
/// `production`, over group variables `A` and `B` of the groups `top` and `top/sub`.
fn scoped_variables_push() -> PipelineContext {
    let mut context = PipelineContext::push("main");
    for path in ["top", "top/sub"] {
        context.group_variables.push(GroupVariables {
            path: path.to_owned(),
            variables: vec![
                SettingsVariable::new("A", path),
                SettingsVariable::new("B", path),
            ],
        });
    }
    for (value, scope) in [("1", "*"), ("2", "production"), ("3", "prod*")] {
        context.project_variables.push(SettingsVariable {
            environment_scope: scope.to_owned(),
            ..SettingsVariable::new("A", value)
        });
    }
    context
}

/// Returns a push of `feature` with protected variable `A` in the groups `top` and `top/sub`,
/// and in the project in the scopes `*` and `production`.
fn scoped_protected_push() -> PipelineContext {
    let mut context = PipelineContext::push("feature");
    for path in ["top", "top/sub"] {
        context.group_variables.push(GroupVariables {
            path: path.to_owned(),
            variables: vec![SettingsVariable {
                protected: true,
                ..SettingsVariable::new("A", path)
            }],
        });
    }
    for scope in ["*", "production"] {
        context.project_variables.push(SettingsVariable {
            protected: true,
            environment_scope: scope.to_owned(),
            ..SettingsVariable::new("A", "v")
        });
    }
    context
}

/// Lists the outputs the tests validate, each with a label for failure reports.
fn outputs() -> Vec<(&'static str, Value)> {
    let tag = PipelineContext::tag("v1.0");
    let protected = "release: {script: x, rules: [{if: $DEPLOY_TOKEN}]}\nbuild: {script: x}\n";
    let filtered = "workflow: {rules: [{if: $CI_COMMIT_TAG}]}\nj: {script: x}\n";
    let invalid = "a: {script: x, needs: [b]}\nb: {script: x, needs: [a]}\n\
                   c: {script: x, rules: [{when: manual}]}\n";
    let missing_need = "a: {script: x, rules: [{if: $NOPE}]}\nb: {script: x, needs: [a]}\n";
    let no_commit = "a: {script: x, rules: [{changes: {paths: [x], compare_to: $NOPE}}]}\n\
                     b: {script: x}\n";
    let only_except = "a: {script: x, only: {refs: [branches], variables: [$A], changes: [x], \
                       kubernetes: active}}\nb: {script: x, except: [tags]}\n";
    let deploy = "deploy: {script: x, environment: production}\n";
    let deploy_if_a =
        "deploy: {script: x, environment: production, rules: [{if: $A}, {when: manual}]}\n";
    let cross_needs = "use: {script: x, variables: {P: g/p, R: main, J: pkg, ID: '7'}, needs: [\
                       {project: $P, ref: $R, job: $J}, {pipeline: $ID, job: $J}, \
                       {project: g/p, ref: main, job: 'pkg-$CI_RUNNER_TAGS'}]}\n";
    vec![
        (
            "full pipeline on main",
            plan_json(FULL, &main_push(), false),
        ),
        (
            "full pipeline with predefined variables",
            plan_json(FULL, &main_push(), true),
        ),
        ("full pipeline on a tag", plan_json(FULL, &tag, false)),
        (
            "full pipeline without rule traces",
            plan_json_with(FULL, &main_push(), &PlanOptions::default()),
        ),
        (
            "workflow filters the pipeline",
            plan_json(filtered, &PipelineContext::push("main"), false),
        ),
        (
            "the commit message skips the pipeline",
            plan_json(filtered, &skip_ci_push(), false),
        ),
        (
            "needs in a cycle",
            plan_json(invalid, &PipelineContext::push("main"), false),
        ),
        (
            "a required need on an absent job",
            plan_json(missing_need, &PipelineContext::push("main"), false),
        ),
        (
            "a compare_to that names no commit",
            plan_json(no_commit, &PipelineContext::push("main"), false),
        ),
        (
            "only and except keys",
            plan_json(only_except, &PipelineContext::push("main"), false),
        ),
        (
            "a protected variable on a protected branch",
            plan_json(protected, &protected_token_push("main"), false),
        ),
        (
            "a protected variable withheld on an unprotected branch",
            plan_json(protected, &protected_token_push("feature"), false),
        ),
        (
            "project variables in several environment scopes",
            plan_json(deploy, &scoped_variables_push(), false),
        ),
        (
            "scoped protected variables of two groups withheld and read by a rule",
            plan_json(deploy_if_a, &scoped_protected_push(), false),
        ),
        (
            "cross-pipeline needs with variables",
            plan_json(cross_needs, &PipelineContext::push("main"), false),
        ),
        ("full pipeline with runners", plan_with_runners_json(FULL)),
        (
            "multi-arch pipeline with runners",
            plan_with_runners_json(include_str!(
                "../../crates/glplan/src/fleet/fixtures/multi-arch.yml"
            )),
        ),
    ]
}

fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/plan.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn outputs_match_schema() {
    let schema = schema();
    for (label, output) in outputs() {
        let errors = Validator::new(&schema)
            .strict()
            .absent_not_null()
            .validate(&output);
        assert_eq!(errors, Vec::<String>::new(), "{label}");
    }
}

/// Members no output here produces, with the reason.
const NOT_PRODUCED: &[(&str, &str, &str)] = &[(
    "JobRule",
    "implicit_only",
    "the configuration stores the default `only: [branches, tags]` as if it were written, so \
     the planner cannot tell the two apart and never sets the flag",
)];

#[test]
fn outputs_cover_schema() {
    let schema = schema();
    let mut validator = Validator::new(&schema).strict().absent_not_null();
    for (_, output) in outputs() {
        validator.validate(&output);
    }
    let mut declared: BTreeSet<(String, String)> = BTreeSet::new();
    let mut add = |definition: &str, object: &Value| {
        for name in object["properties"].as_object().into_iter().flatten() {
            declared.insert((definition.to_owned(), name.0.clone()));
        }
    };
    add("#", &schema);
    for (name, definition) in schema["$defs"].as_object().unwrap() {
        add(name, definition);
        for option in definition["anyOf"].as_array().into_iter().flatten() {
            add(name, option);
        }
    }
    let skipped: BTreeSet<(String, String)> = NOT_PRODUCED
        .iter()
        .map(|(definition, name, _)| ((*definition).to_owned(), (*name).to_owned()))
        .collect();
    let missing: Vec<&(String, String)> = declared
        .difference(&validator.visited)
        .filter(|member| !skipped.contains(*member))
        .collect();
    assert_eq!(missing, Vec::<&(String, String)>::new());
}

/// The members the plan format promises at least, as `(definition, member)`.
const PROMISED: &[(&str, &str)] = &[
    ("#", "version"),
    ("#", "stages"),
    ("#", "jobs"),
    ("#", "workflow"),
    ("#", "diagnostics"),
    ("PlannedJob", "name"),
    ("PlannedJob", "stage"),
    ("PlannedJob", "when"),
    ("PlannedJob", "allow_failure"),
    ("PlannedJob", "needs"),
    ("PlannedJob", "variables"),
    ("PlannedJob", "tags"),
    ("PlannedJob", "image"),
    ("PlannedJob", "rule"),
    ("PlanVariable", "name"),
    ("PlanVariable", "value"),
    ("PlanVariable", "source"),
    ("WorkflowResult", "created"),
    ("WorkflowResult", "reason"),
    ("JobRule", "rules"),
    ("RuleEvaluation", "clauses"),
    ("ClauseEvaluation", "expression"),
    ("ClauseEvaluation", "reads"),
    ("PlanDiagnostic", "code"),
    ("PlanDiagnostic", "severity"),
    ("PlanDiagnostic", "message"),
];

#[test]
fn schema_declares_promised_members() {
    let schema = schema();
    for (definition, member) in PROMISED {
        let object = match *definition {
            "#" => &schema,
            name => &schema["$defs"][name],
        };
        assert!(
            object["properties"].get(member).is_some(),
            "`{definition}` lacks `{member}`"
        );
    }
}

#[test]
fn masked_value_never_written() {
    let (_, output) = &outputs()[0];
    assert!(!output.to_string().contains("secret-value-1234"));
}

/// Changes one part of a valid output; each change must make it invalid.
fn broken_outputs() -> Vec<(&'static str, Value)> {
    let (_, valid) = outputs().remove(0);
    let mut cases = Vec::new();
    let mut change = |label: &'static str, edit: &dyn Fn(&mut Value)| {
        let mut output = valid.clone();
        edit(&mut output);
        cases.push((label, output));
    };
    change("unknown when", &|o| {
        o["jobs"][0]["when"] = json!("sometimes")
    });
    change("missing stage", &|o| {
        o["jobs"][0].as_object_mut().unwrap().remove("stage");
    });
    change("needs of numbers", &|o| o["jobs"][1]["needs"] = json!([1]));
    change("unknown source", &|o| {
        o["jobs"][0]["variables"][0]["source"] = json!("runner");
    });
    change("undeclared member", &|o| {
        o["jobs"][0]["colour"] = json!("red")
    });
    change("negative version", &|o| o["version"] = json!(-1));
    change("workflow without reason", &|o| {
        o["workflow"].as_object_mut().unwrap().remove("reason");
    });
    change("optional member written as null", &|o| {
        o["jobs"][0]["location"] = Value::Null;
    });
    change("severity in capitals", &|o| {
        o["diagnostics"] = json!([{"code": "x", "severity": "ERROR", "message": "m"}]);
    });

    let with_runners = plan_with_runners_json(FULL);
    let mut change_runners = |label: &'static str, edit: &dyn Fn(&mut Value)| {
        let mut output = with_runners.clone();
        edit(&mut output);
        cases.push((label, output));
    };
    change_runners("unknown rejection reason", &|o| {
        o["jobs"][0]["runners"]["rejected"][0]["reason"] = json!("busy");
    });
    change_runners("rejection without its members", &|o| {
        let rejected = &mut o["jobs"][0]["runners"]["rejected"][0];
        rejected.as_object_mut().unwrap().remove("tags");
    });
    change_runners("undeclared runners member", &|o| {
        o["jobs"][0]["runners"]["queued"] = json!(1);
    });
    change_runners("unknown executor", &|o| {
        o["fleet"]["runners"][0]["executor"] = json!("podman");
    });
    change_runners("host without concurrent", &|o| {
        o["fleet"]["hosts"][0]
            .as_object_mut()
            .unwrap()
            .remove("concurrent");
    });
    cases
}

#[test]
fn broken_outputs_fail() {
    let schema = schema();
    for (label, output) in broken_outputs() {
        let errors = Validator::new(&schema)
            .strict()
            .absent_not_null()
            .validate(&output);
        assert!(!errors.is_empty(), "{label} was accepted");
    }
}

/// Returns the lines of the section of `doc` whose heading names `` `name` ``, up to the next
/// heading of the same or a higher level.
fn doc_section<'d>(doc: &'d str, name: &str) -> Option<String> {
    let marker = format!("`{name}`");
    let mut lines = doc.lines();
    let heading = lines.find(|line| line.starts_with('#') && line.contains(&marker))?;
    let level = heading.chars().take_while(|c| *c == '#').count();
    let section: Vec<&'d str> = lines
        .take_while(|line| {
            let depth = line.chars().take_while(|c| *c == '#').count();
            depth == 0 || depth > level
        })
        .collect();
    Some(section.join("\n"))
}

#[test]
fn format_doc_describes_every_member() {
    let schema = schema();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/plan-format.md");
    let doc = std::fs::read_to_string(path).unwrap();

    // The top level and the jobs: every member in its own section's table.
    for (name, object) in [
        ("Pipeline", &schema),
        ("PlannedJob", &schema["$defs"]["PlannedJob"]),
    ] {
        let section = doc_section(&doc, name).unwrap_or_else(|| panic!("no section for `{name}`"));
        for member in object["properties"].as_object().unwrap().keys() {
            assert!(
                section.contains(&format!("| `{member}` |")),
                "the `{name}` section has no row for `{member}`"
            );
        }
    }

    // Every other definition: its name, members and enumerated values appear somewhere.
    for (name, definition) in schema["$defs"].as_object().unwrap() {
        assert!(
            doc.contains(&format!("`{name}`")),
            "`{name}` is not mentioned"
        );
        let members = definition["properties"].as_object().into_iter().flatten();
        for (member, _) in members {
            assert!(
                doc.contains(&format!("`{member}`")),
                "`{name}.{member}` is not mentioned"
            );
        }
        let values = definition["oneOf"].as_array().into_iter().flatten();
        for value in values.filter_map(|option| option["const"].as_str()) {
            assert!(
                doc.contains(&format!("`{value}`")),
                "`{name}` value `{value}` is not mentioned"
            );
        }
    }
}

#[test]
fn format_doc_states_version() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/plan-format.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let version = glplan::pipeline::FORMAT_VERSION;
    assert!(
        doc.contains(&format!("now `{version}`")),
        "docs/plan-format.md does not name format version {version}"
    );
}
