//! Real schedule outputs checked against the JSON Schema of the core's schedule types, which the
//! wasm package turns into its TypeScript declaration of `schedule`.
//!
//! The schema is generated from `glplan::schedule::Schedule` with `schemars` for serialization,
//! and gets the `diagnostics` member that `glplan schedule --format json` adds, with the entry
//! type of `docs/plan.schema.json`. Simulations that between them produce every member the
//! schema declares are serialized and validated strictly, so a member the schema lacks fails as
//! well as a wrong type, a missing required member or an unknown status.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test on a broken fixture"
)]

use std::collections::BTreeSet;
use std::path::Path;

use glplan::context::PipelineContext;
use glplan::fleet::MatchContext;
use glplan::pipeline::{PlanOptions, plan};
use glplan::report::{MatchedFleet, plan_diagnostics};
use glplan::schedule::{Durations, RunnerPool, Schedule, ScheduleOptions, simulate};
use glplan::{Diagnostics, Limits, MemoryFiles};
use glplan_tests::json_schema::Validator;
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

const ENTRY: &str = ".gitlab-ci.yml";

/// Jobs that retry, fail with and without `allow_failure`, wait for the only Docker slot, run a
/// trigger, find no runner, and stay `created` behind the job that found none.
const PIPELINE: &str = r"
stages: [build, test, deploy]
build:
  stage: build
  script: make
  tags: [docker]
  retry: 1
lint:
  stage: build
  script: make lint
  tags: [docker]
  allow_failure: true
test:
  stage: test
  script: make test
  tags: [docker]
  needs: [build]
downstream:
  stage: test
  trigger: group/other
  needs: [build]
windows:
  stage: test
  script: make
  tags: [windows]
  needs: []
deploy:
  stage: deploy
  script: make deploy
  tags: [docker]
  needs: [windows]
";

/// A `depend` trigger job whose child pipeline is blocked by a manual job, so it stays
/// running, and a trigger job without strategy whose child pipeline finishes.
const CHILDREN: &str = "stages: [a, b]\n\
    waits: {stage: a, trigger: {include: child.yml, strategy: depend}}\n\
    fire: {stage: a, trigger: {include: child.yml}, variables: {GATE: 'no'}}\n\
    after: {stage: b, script: x}\n";

/// A child pipeline with a blocking manual job unless `GATE` is `no`.
const CHILD: &str = "stages: [one, two]\n\
    gate: {stage: one, script: x, when: manual, allow_failure: false, rules: [{if: $GATE != 'no'}]}\n\
    work: {stage: two, script: x}\n";

/// `b` takes the resource group when the first attempt of `a` fails, and no runner has its
/// tag, so the retry of `a` waits for the group and has an attempt without runner or times.
const RETRY_WAITS_FOR_RESOURCE: &str = "a: {script: x, tags: [docker], resource_group: r, retry: 1}\n\
    b: {script: x, tags: [gpu], resource_group: r}\n";

/// One Docker runner with one slot.
const RUNNERS: &str = "concurrent = 1\ncheck_interval = 3\n\
    [[runners]]\nname = \"docker\"\nexecutor = \"docker\"\nlimit = 1\ntags = [\"docker\"]\n";

/// The first attempt of `build` fails, `lint` always fails and `test` runs past the timeout.
const DURATIONS: &str = "default: 2m\ntimeout: 10m\njobs:\n\
    \x20 build: {duration: 1m, fail: 1}\n\
    \x20 lint: {duration: 30s, fail: true}\n\
    \x20 test: 20m\n\
    \x20 downstream: 45s\n";

/// Simulates `yaml` with optional runner and durations files and returns the JSON that
/// `glplan schedule --format json` prints: the schedule, then `diagnostics`.
fn schedule_json(yaml: &str, runners: Option<&str>, durations: Option<&str>) -> Value {
    schedule_json_with(yaml, &[], runners, durations)
}

/// Simulates `yaml` as [`schedule_json`] does, with `children` as further files that
/// `trigger:include` can name.
fn schedule_json_with(
    yaml: &str,
    children: &[(&str, &str)],
    runners: Option<&str>,
    durations: Option<&str>,
) -> Value {
    let mut files = MemoryFiles::new().with_file(ENTRY, yaml);
    for (name, text) in children {
        files = files.with_file(*name, *text);
    }
    let context = PipelineContext::push("main");
    let (mut resolution, pipeline) = plan(ENTRY, &files, &context, &PlanOptions::default());
    let pipeline = pipeline.expect("a configuration");

    let mut found = Diagnostics::new();
    let pool = match runners {
        Some(text) => {
            let file = resolution.sources.add("config.toml", text);
            let fleet = MatchedFleet::new(
                &[(file, text)],
                &pipeline,
                &MatchContext::from(&context),
                &resolution.sources,
            );
            found.extend(fleet.diagnostics.iter().cloned());
            RunnerPool::from_fleet(&fleet.fleet, &fleet.matching)
        }
        None => RunnerPool::unlimited(&pipeline),
    };
    let durations = match durations {
        Some(text) => {
            let file = resolution.sources.add("durations.yml", text);
            Durations::parse(file, text, &Limits::default(), &mut found)
        }
        None => Durations::default(),
    };
    let schedule = simulate(&pipeline, &pool, &durations, &ScheduleOptions::default());

    let mut value = serde_json::to_value(&schedule).unwrap();
    let mut report = glplan::report::pipeline(&pipeline, &resolution).unwrap();
    let mut diagnostics = report["diagnostics"].take();
    diagnostics
        .as_array_mut()
        .unwrap()
        .extend(plan_diagnostics(&found, &resolution.sources));
    value["diagnostics"] = diagnostics;
    value
}

/// Lists the outputs the tests validate, each with a label for failure reports.
fn outputs() -> Vec<(&'static str, Value)> {
    let manual = "a: {script: x}\nb: {script: x, when: manual, allow_failure: false}\n\
                  c: {stage: deploy, script: x}\n";
    // A duplicate key (configuration), a dependency that is not in the pipeline (pipeline,
    // about a job) and an invalid duration (durations file).
    let diagnosed = "a: {script: x}\na: {script: y}\nb: {script: x, dependencies: [gone]}\n\
                     gone: {script: x, rules: [{when: never}]}\n";
    vec![
        (
            "runners and durations",
            schedule_json(PIPELINE, Some(RUNNERS), Some(DURATIONS)),
        ),
        ("unlimited runners", schedule_json(PIPELINE, None, None)),
        ("blocking manual job", schedule_json(manual, None, None)),
        (
            "diagnostics of every source",
            schedule_json(diagnosed, None, Some("jobs: {a: soon}\n")),
        ),
        (
            "child pipelines",
            schedule_json_with(CHILDREN, &[("child.yml", CHILD)], None, None),
        ),
        (
            "finished pipeline with a child pipeline",
            schedule_json_with(
                "fire: {trigger: {include: child.yml}, variables: {GATE: 'no'}}\n",
                &[("child.yml", CHILD)],
                None,
                None,
            ),
        ),
        (
            "retry waiting for its resource group",
            schedule_json(
                RETRY_WAITS_FOR_RESOURCE,
                Some(RUNNERS),
                Some("jobs: {a: {duration: 1m, fail: 1}}\n"),
            ),
        ),
    ]
}

/// Returns the schema of the schedule JSON: the `Schedule` type's, with `diagnostics` as the
/// plan schema's `PlanDiagnostic` entries and the definitions they use.
fn schema() -> Value {
    let mut schema = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<Schedule>()
        .to_value();
    schema["properties"]["diagnostics"] = json!({
        "type": "array",
        "items": {"$ref": "#/$defs/PlanDiagnostic"},
    });
    schema["required"]
        .as_array_mut()
        .unwrap()
        .push(json!("diagnostics"));

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/plan.schema.json");
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for name in ["PlanDiagnostic", "Severity", "SourceLocation"] {
        assert!(
            schema["$defs"].get(name).is_none(),
            "`{name}` is defined twice"
        );
        schema["$defs"][name] = plan["$defs"][name].clone();
    }
    schema
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
    }
    let missing: Vec<&(String, String)> = declared.difference(&validator.visited).collect();
    assert_eq!(missing, Vec::<&(String, String)>::new());
}

/// Returns every string that a definition of `schema` allows through `enum`, `const` or the
/// `oneOf` options of either.
fn allowed_strings(schema: &Value, definition: &str) -> BTreeSet<String> {
    let definition = &schema["$defs"][definition];
    let options = definition["oneOf"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![definition.clone()]);
    let mut values = BTreeSet::new();
    for option in options {
        if let Some(Value::String(value)) = option.get("const") {
            values.insert(value.clone());
        }
        for value in option["enum"].as_array().into_iter().flatten() {
            values.insert(value.as_str().unwrap().to_owned());
        }
    }
    values
}

#[test]
fn statuses_are_gitlab_names() {
    let schema = schema();
    let jobs: BTreeSet<String> = [
        "created",
        "waiting_for_resource",
        "manual",
        "running",
        "success",
        "failed",
        "canceled",
        "skipped",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(allowed_strings(&schema, "JobStatus"), jobs);
    let pipelines: BTreeSet<String> = [
        "created",
        "pending",
        "running",
        "waiting_for_resource",
        "manual",
        "scheduled",
        "success",
        "failed",
        "canceled",
        "skipped",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(allowed_strings(&schema, "PipelineStatus"), pipelines);
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
    change("unknown job status", &|o| {
        o["jobs"][0]["status"] = json!("passed")
    });
    change("unknown pipeline status", &|o| {
        o["status"] = json!("blocked")
    });
    change("duration as text", &|o| o["duration"] = json!("10m"));
    change("negative start", &|o| {
        o["jobs"][0]["started_at"] = json!(-1)
    });
    change("missing job name", &|o| {
        o["jobs"][0].as_object_mut().unwrap().remove("name");
    });
    change("attempt without status", &|o| {
        o["jobs"][0]["attempts"][0]
            .as_object_mut()
            .unwrap()
            .remove("status");
    });
    change("utilisation as text", &|o| {
        o["runners"][0]["utilisation"] = json!("50%")
    });
    change("undeclared member", &|o| {
        o["jobs"][0]["colour"] = json!("red")
    });
    change("missing diagnostics", &|o| {
        o.as_object_mut().unwrap().remove("diagnostics");
    });
    change("diagnostic without code", &|o| {
        o["diagnostics"] = json!([{"severity": "error", "message": "m"}]);
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
