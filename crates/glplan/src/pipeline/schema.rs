//! The JSON Schema of [`Pipeline`], generated from the Rust types with `schemars` in tests only,
//! so the library does not depend on it.
//!
//! `docs/plan.schema.json` is the checked-in copy. [`schema_file_up_to_date`] fails when it
//! differs from the types; run the test with `GLPLAN_UPDATE_SCHEMA=1` to rewrite the file.
//!
//! Types from other modules that appear in the plan have a mirror here with the same JSON form;
//! [`mirrors_serialize_like_originals`] checks every variant.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Serialize;

use super::output::Pipeline;
use crate::fleet::Fleet;
use crate::report::JobRunners;

// Mirror of `crate::config::JobKind`.
/// The kind of a job.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum JobKind {
    /// A regular job.
    Job,
    /// A trigger job.
    Bridge,
}

// Mirror of `crate::config::When`.
/// When a job runs.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum When {
    /// Run when the predecessors succeeded.
    OnSuccess,
    /// Run when a predecessor failed.
    OnFailure,
    /// Run whatever the predecessors' result.
    Always,
    /// Wait for a user.
    Manual,
    /// Start `start_in` after the job becomes ready.
    Delayed,
    /// Not created.
    Never,
}

// Mirror of `crate::config::ExitCode`.
/// A script exit code: a number from -(2^53 - 1) to 2^53 - 1, which a JavaScript number
/// represents exactly, else a string of its decimal digits.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
pub(super) enum ExitCode {
    /// An exit code that a JavaScript number represents exactly.
    Number(i64),
    /// The decimal digits of any other exit code, with a leading `-` when negative.
    Digits(String),
}

// Mirror of `crate::config::AllowFailure`.
/// Whether a job may fail without failing the pipeline.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
pub(super) enum AllowFailure {
    /// `true` or `false`.
    Bool(bool),
    /// Allowed to fail only with these exit codes.
    ExitCodes {
        /// The exit codes.
        exit_codes: Vec<ExitCode>,
    },
}

// Mirror of `crate::config::SchedulingType`.
/// What a job waits for before it starts.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum SchedulingType {
    /// Waits for every job of the earlier stages.
    Stage,
    /// Waits only for its `needs`.
    Dag,
}

// Mirror of `crate::variables::VariableSource`.
/// The origin of a variable's value. The values are listed lowest precedence first.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum VariableSource {
    /// A predefined variable.
    Predefined,
    /// A deployment integration's variable.
    Deployment,
    /// Top-level YAML `variables:`.
    GlobalYaml,
    /// The matched workflow rule's `variables:`.
    WorkflowRules,
    /// The job's YAML `variables:`.
    JobYaml,
    /// A `parallel:matrix` value.
    Matrix,
    /// The matched rule's `variables:`.
    Rules,
    /// A `dotenv` report.
    Dotenv,
    /// An instance CI/CD variable.
    Instance,
    /// A group CI/CD variable.
    Group,
    /// A project CI/CD variable.
    Project,
    /// A pipeline variable.
    Pipeline,
    /// A pipeline schedule variable.
    Schedule,
    /// A variable entered when a manual job was run.
    ManualJob,
}

// Mirror of `crate::diagnostic::Severity`.
/// How serious a diagnostic is.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum Severity {
    /// Extra information.
    Info,
    /// Accepted, but probably not what the author meant.
    Warning,
    /// GitLab does not create the pipeline.
    Error,
}

/// Generates the schema of the serialized form. The serialize contract matters: a field with
/// `skip_serializing_if` is then optional, as it is in the output, where the default
/// (deserialize) contract would mark it required.
///
/// The runner members are not fields of [`Pipeline`]: [`crate::report::add_runners`] inserts them
/// into the JSON when runner files are given. They are declared here as optional members, a
/// `runners` object ([`JobRunners`]) on each job and a top-level `fleet` ([`Fleet`]).
fn pipeline_schema() -> schemars::Schema {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    // The first pass registers the pipeline's definitions, so that they come first in `$defs`.
    generator.root_schema_for::<Pipeline>();
    let runners = generator.subschema_for::<JobRunners<'static>>();
    let fleet = generator.subschema_for::<Fleet>();
    let mut schema = generator.root_schema_for::<Pipeline>();

    let job = schema
        .get_mut("$defs")
        .and_then(|definitions| definitions.get_mut("PlannedJob"))
        .and_then(serde_json::Value::as_object_mut);
    add_optional_property(
        job,
        "runners",
        runners,
        "The runners that can take the job and why the others cannot; present only with runner \
         files, on the jobs of the planned pipeline and of the child pipelines GitLab creates.",
    );
    add_optional_property(
        schema.as_object_mut(),
        "fleet",
        fleet,
        "The hosts and runners read from the runner files; present only with runner files.",
    );
    schema
}

/// Adds `name` to the `properties` of `object` without adding it to `required`.
fn add_optional_property(
    object: Option<&mut serde_json::Map<String, serde_json::Value>>,
    name: &str,
    schema: schemars::Schema,
    description: &str,
) {
    let mut property = schema.to_value();
    if let Some(map) = property.as_object_mut() {
        map.insert("description".into(), description.into());
    }
    if let Some(properties) = object
        .and_then(|object| object.get_mut("properties"))
        .and_then(serde_json::Value::as_object_mut)
    {
        properties.insert(name.into(), property);
    }
}

/// Returns the schema as the checked-in file holds it: pretty JSON and a final newline.
fn schema_text() -> String {
    let schema = pipeline_schema();
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/plan.schema.json")
}

#[test]
fn schema_file_up_to_date() {
    let expected = schema_text();
    let path = schema_path();
    if std::env::var_os("GLPLAN_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let found = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        found == expected,
        "{} is out of date; run `GLPLAN_UPDATE_SCHEMA=1 cargo test -p glplan --lib \
         pipeline::schema` to rewrite it",
        path.display()
    );
}

#[test]
fn schema_names_top_level_fields() {
    let schema = serde_json::to_value(pipeline_schema()).unwrap();
    let properties = schema["properties"].as_object().unwrap();
    for field in [
        "version",
        "created",
        "errors",
        "workflow",
        "stages",
        "jobs",
        "absent",
        "order",
        "diagnostics",
        "fleet",
    ] {
        assert!(properties.contains_key(field), "missing `{field}`");
    }
    let required = schema["required"].as_array().unwrap();
    assert!(!required.contains(&"fleet".into()), "`fleet` is required");
}

#[test]
fn schema_declares_job_runners_optional() {
    let schema = serde_json::to_value(pipeline_schema()).unwrap();
    let job = &schema["$defs"]["PlannedJob"];
    assert_eq!(job["properties"]["runners"]["$ref"], "#/$defs/JobRunners");
    let required = job["required"].as_array().unwrap();
    assert!(
        !required.contains(&"runners".into()),
        "`runners` is required"
    );
    let rejected = &schema["$defs"]["RejectedRunner"];
    assert!(rejected.is_object(), "no `RejectedRunner` definition");
}

#[test]
fn mirrors_serialize_like_originals() {
    use crate::config as c;
    use crate::diagnostic as d;
    use crate::variables as v;

    fn same<A: Serialize, B: Serialize>(original: A, mirror: B) {
        assert_eq!(
            serde_json::to_value(original).unwrap(),
            serde_json::to_value(mirror).unwrap()
        );
    }

    // Each exhaustive match fails to compile when the original type gains a variant, so no
    // mirror can fall behind its original.
    fn job_kind(kind: c::JobKind) -> JobKind {
        match kind {
            c::JobKind::Job => JobKind::Job,
            c::JobKind::Bridge => JobKind::Bridge,
        }
    }
    fn when(when: c::When) -> When {
        match when {
            c::When::OnSuccess => When::OnSuccess,
            c::When::OnFailure => When::OnFailure,
            c::When::Always => When::Always,
            c::When::Manual => When::Manual,
            c::When::Delayed => When::Delayed,
            c::When::Never => When::Never,
        }
    }
    fn allow_failure(allow: c::AllowFailure) -> AllowFailure {
        match allow {
            c::AllowFailure::Bool(value) => AllowFailure::Bool(value),
            c::AllowFailure::ExitCodes { exit_codes } => AllowFailure::ExitCodes {
                exit_codes: exit_codes.iter().map(exit_code).collect(),
            },
        }
    }
    fn exit_code(code: &c::ExitCode) -> ExitCode {
        match serde_json::to_value(code).unwrap() {
            serde_json::Value::String(digits) => ExitCode::Digits(digits),
            value => ExitCode::Number(value.as_i64().unwrap()),
        }
    }
    fn scheduling_type(scheduling: c::SchedulingType) -> SchedulingType {
        match scheduling {
            c::SchedulingType::Stage => SchedulingType::Stage,
            c::SchedulingType::Dag => SchedulingType::Dag,
        }
    }
    fn severity(severity: d::Severity) -> Severity {
        match severity {
            d::Severity::Info => Severity::Info,
            d::Severity::Warning => Severity::Warning,
            d::Severity::Error => Severity::Error,
        }
    }
    fn variable_source(source: v::VariableSource) -> VariableSource {
        match source {
            v::VariableSource::Predefined => VariableSource::Predefined,
            v::VariableSource::Deployment => VariableSource::Deployment,
            v::VariableSource::GlobalYaml => VariableSource::GlobalYaml,
            v::VariableSource::WorkflowRules => VariableSource::WorkflowRules,
            v::VariableSource::JobYaml => VariableSource::JobYaml,
            v::VariableSource::Matrix => VariableSource::Matrix,
            v::VariableSource::Rules => VariableSource::Rules,
            v::VariableSource::Dotenv => VariableSource::Dotenv,
            v::VariableSource::Instance => VariableSource::Instance,
            v::VariableSource::Group => VariableSource::Group,
            v::VariableSource::Project => VariableSource::Project,
            v::VariableSource::Pipeline => VariableSource::Pipeline,
            v::VariableSource::Schedule => VariableSource::Schedule,
            v::VariableSource::ManualJob => VariableSource::ManualJob,
        }
    }

    for kind in [c::JobKind::Job, c::JobKind::Bridge] {
        same(kind, job_kind(kind));
    }
    let whens = [
        c::When::OnSuccess,
        c::When::OnFailure,
        c::When::Always,
        c::When::Manual,
        c::When::Delayed,
        c::When::Never,
    ];
    for value in whens {
        same(value, when(value));
    }
    let allows = [
        c::AllowFailure::Bool(true),
        c::AllowFailure::Bool(false),
        c::AllowFailure::ExitCodes {
            exit_codes: vec![c::ExitCode::from(1), c::ExitCode::from(137)],
        },
        c::AllowFailure::ExitCodes {
            exit_codes: vec![c::ExitCode::from(1 << 53), c::ExitCode::from(-1)],
        },
    ];
    for allow in allows {
        same(allow.clone(), allow_failure(allow));
    }
    for scheduling in [c::SchedulingType::Stage, c::SchedulingType::Dag] {
        same(scheduling, scheduling_type(scheduling));
    }
    for value in [d::Severity::Info, d::Severity::Warning, d::Severity::Error] {
        same(value, severity(value));
    }
    let sources = [
        v::VariableSource::Predefined,
        v::VariableSource::Deployment,
        v::VariableSource::GlobalYaml,
        v::VariableSource::WorkflowRules,
        v::VariableSource::JobYaml,
        v::VariableSource::Matrix,
        v::VariableSource::Rules,
        v::VariableSource::Dotenv,
        v::VariableSource::Instance,
        v::VariableSource::Group,
        v::VariableSource::Project,
        v::VariableSource::Pipeline,
        v::VariableSource::Schedule,
        v::VariableSource::ManualJob,
    ];
    for source in sources {
        same(source, variable_source(source));
    }
}
