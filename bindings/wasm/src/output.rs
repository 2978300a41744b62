//! The results of the functions. The `config`, `pipeline`, `explanation` and `schedule` objects
//! are exactly what the CLI prints with `--format json`. The results' own `diagnostics` have one
//! shape everywhere, with the positions a JavaScript editor needs.

use glplan::diagnostic::{LocatedDiagnostic, LocatedLabel, Location};
use glplan::pipeline::PlanDiagnostic;
use glplan::schedule::Schedule;
use glplan::{Severity, SourceMap};
use serde::Serialize;
#[cfg(test)]
use serde_json::Map;
use serde_json::Value;
use serde_json::value::RawValue;

/// One message about the configuration or the pipeline. `lint` returns the same objects as
/// `glplan lint --format json`. Positions are 1-based lines, columns in Unicode scalar values
/// and in UTF-16 code units (`column_utf16`, what Monaco and CodeMirror count), and byte
/// offsets into the file's UTF-8 text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Diagnostic {
    /// Stable kebab-case identifier, such as `unknown-stage`.
    pub code: String,
    /// The severity: `error` when GitLab rejects the configuration or does not create the
    /// pipeline.
    pub severity: Severity,
    /// The message, in GitLab's wording where GitLab reports the same problem.
    pub message: String,
    /// The job a pipeline diagnostic is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// The place where the problem is written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Other places that explain the problem.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<LocatedLabel>,
    /// How to fix the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// For a diagnostic of a child pipeline (`trigger:include`), the trigger jobs that lead to
    /// it from the top pipeline down, such as `["deploy"]`, or `["deploy", "inner"]` for a
    /// grandchild. Absent for the top pipeline's own diagnostics.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trigger_jobs: Vec<String>,
}

impl From<LocatedDiagnostic> for Diagnostic {
    fn from(diagnostic: LocatedDiagnostic) -> Self {
        Diagnostic {
            code: diagnostic.code.to_owned(),
            severity: diagnostic.severity,
            message: diagnostic.message,
            job: None,
            location: diagnostic.location,
            labels: diagnostic.labels,
            help: diagnostic.help,
            trigger_jobs: Vec::new(),
        }
    }
}

impl Diagnostic {
    /// Converts a diagnostic of pipeline planning, with its span resolved in `sources`.
    pub fn from_plan(diagnostic: &PlanDiagnostic, sources: &SourceMap) -> Self {
        Diagnostic {
            code: diagnostic.code.clone(),
            severity: diagnostic.severity,
            message: diagnostic.message.clone(),
            job: diagnostic.job.clone(),
            location: diagnostic
                .span
                .and_then(|span| Location::new(sources, span)),
            labels: Vec::new(),
            help: diagnostic.help.clone(),
            trigger_jobs: Vec::new(),
        }
    }
}

/// The result of `resolveConfig`.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ConfigResult {
    /// The merged configuration after `include`, `extends`, `!reference`, `default:` and
    /// `parallel`, as `glplan config --format json` prints it; `null` when the entry file could
    /// not be loaded. Its members are not declared, because the core's configuration model has
    /// no JSON Schema. It usually has `stages`, `jobs` (by name), and optionally `variables`,
    /// `workflow`, `default` and `hidden`. When errors keep the model from being built, it is
    /// the merged YAML tree instead, so check each member before use.
    #[cfg_attr(test, schemars(with = "Option<Map<String, Value>>"))]
    pub config: Option<Box<RawValue>>,
    /// The configuration's diagnostics.
    pub diagnostics: Vec<Diagnostic>,
}

/// The result of `plan`.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PlanResult {
    /// The pipeline, as `glplan plan --format json` prints it; `null` when the configuration
    /// could not be built.
    #[cfg_attr(test, schemars(with = "Option<crate::typescript::PipelineRef>"))]
    pub pipeline: Option<Box<RawValue>>,
    /// The configuration's diagnostics, the pipeline's, those of the child pipelines (with
    /// `trigger_jobs`), then those of the runner files.
    pub diagnostics: Vec<Diagnostic>,
}

/// The result of `schedule`.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ScheduleResult {
    /// The simulated run, as `glplan schedule --format json` prints it, or `null` when GitLab
    /// would not create the pipeline. It lists each job's attempts with their runner and
    /// times, runner usage, the critical path and the diagnostics.
    #[cfg_attr(test, schemars(with = "Option<ScheduleReport<'static>>"))]
    pub schedule: Option<Box<RawValue>>,
    /// The configuration's diagnostics, the pipeline's, those of the child pipelines (with
    /// `trigger_jobs`), then those of the runner and durations files.
    pub diagnostics: Vec<Diagnostic>,
}

/// A simulated run with its diagnostics, as `glplan schedule --format json` prints it: the
/// members of the core's schedule, then `diagnostics`. Times are whole seconds after the
/// pipeline was created.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(rename = "Schedule"))]
pub struct ScheduleReport<'a> {
    /// The run.
    #[serde(flatten)]
    pub schedule: &'a Schedule,
    /// The configuration's diagnostics, the pipeline's, those of the child pipelines (with
    /// `trigger_jobs`), then those of the runner and durations files, in the form of the
    /// pipeline's `diagnostics`.
    #[cfg_attr(test, schemars(with = "Vec<crate::typescript::ScheduleDiagnosticRef>"))]
    pub diagnostics: Vec<Value>,
}

/// The result of `explain`.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ExplainResult {
    /// The job's trace, as `glplan explain --format json` prints it; `null` when the
    /// configuration could not be built.
    #[cfg_attr(test, schemars(with = "Option<crate::typescript::Explanation>"))]
    pub explanation: Option<Box<RawValue>>,
    /// The configuration's diagnostics, the pipeline's, then those of the child pipelines
    /// (with `trigger_jobs`).
    pub diagnostics: Vec<Diagnostic>,
}
