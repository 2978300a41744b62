//! The JSON of `glplan plan --format json`, serialized straight from the pipeline.
//!
//! [`PipelineReport`] writes the same members in the same order as the [`Value`] that
//! [`super::pipeline`] and [`super::add_runners`] build, without building that tree first.
//! Building and dropping that tree cost more than writing the text.

use serde::ser::{Error as _, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::runners::{JobRunners, MatchedFleet, add_job_runners, child_matching};
use crate::diagnostic::{Diagnostics, LocatedDiagnostic, Severity};
use crate::pipeline::{Pipeline, PlanDiagnostic, PlannedJob};
use crate::resolve::Resolution;
use crate::source::SourceMap;

/// The pipeline as `glplan plan --format json` prints it, ready for any serde serializer.
///
/// `diagnostics` lists the configuration's diagnostics, then the pipeline's, then those of the
/// runner files. With a fleet, each job that the matching lists gets a `runners` object
/// ([`JobRunners`]) after its own members, the jobs of the child pipelines that GitLab creates
/// included, and a `fleet` member follows `diagnostics`.
#[derive(Debug, Clone, Copy)]
pub struct PipelineReport<'a> {
    pipeline: &'a Pipeline,
    resolution: &'a Resolution,
    fleet: Option<&'a MatchedFleet>,
}

impl<'a> PipelineReport<'a> {
    /// Creates the report of `pipeline`, planned from `resolution`, without runners.
    pub fn new(pipeline: &'a Pipeline, resolution: &'a Resolution) -> Self {
        PipelineReport {
            pipeline,
            resolution,
            fleet: None,
        }
    }

    /// Adds the runner information of `fleet`. The runner files must be in the resolution's
    /// source map, so that their diagnostics have positions.
    pub fn with_fleet(self, fleet: &'a MatchedFleet) -> Self {
        PipelineReport {
            fleet: Some(fleet),
            ..self
        }
    }
}

impl Serialize for PipelineReport<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Every field is named, so a field added to `Pipeline` fails to compile here until it
        // is written below, at its place in the struct's order.
        let Pipeline {
            version,
            created,
            errors,
            source,
            ref_name,
            workflow,
            stages,
            jobs,
            absent,
            order,
            diagnostics,
            // Never serialized: the values it hides are not part of the output.
            masker: _,
        } = self.pipeline;

        let members = if self.fleet.is_some() { 12 } else { 11 };
        let mut object = serializer.serialize_struct("Pipeline", members)?;
        object.serialize_field("version", version)?;
        object.serialize_field("created", created)?;
        object.serialize_field("errors", errors)?;
        object.serialize_field("source", source)?;
        object.serialize_field("ref", ref_name)?;
        object.serialize_field("workflow", workflow)?;
        object.serialize_field("stages", stages)?;

        match self.fleet {
            Some(fleet) => object.serialize_field("jobs", &JobsWithRunners { jobs, fleet })?,
            None => object.serialize_field("jobs", jobs)?,
        }
        object.serialize_field("absent", absent)?;
        object.serialize_field("order", order)?;

        let all = AllDiagnostics {
            resolution: self.resolution,
            pipeline: diagnostics,
            files: self.fleet.map(|fleet| &fleet.diagnostics),
        };
        object.serialize_field("diagnostics", &all)?;

        if let Some(fleet) = self.fleet {
            object.serialize_field("fleet", &fleet.fleet)?;
        }
        object.end()
    }
}

/// The `jobs` array when runner files are given.
struct JobsWithRunners<'a> {
    jobs: &'a [PlannedJob],
    fleet: &'a MatchedFleet,
}

impl Serialize for JobsWithRunners<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let matching = &self.fleet.matching;
        let mut array = serializer.serialize_seq(Some(self.jobs.len()))?;
        for job in self.jobs {
            let element = JobWithRunners {
                job,
                runners: self.fleet.job_runners(&job.name),
            };
            let Some(child) = child_matching(matching, &job.name) else {
                array.serialize_element(&element)?;
                continue;
            };
            // The runners of the child pipeline's jobs go inside `trigger.downstream`, which
            // `PlannedJob` serializes itself, so this job is built as a tree to add them there.
            // NOTE: building the tree is slower than streaming (see the module documentation),
            // so a child pipeline's jobs cost more here than the top pipeline's.
            let mut value = serde_json::to_value(&element).map_err(S::Error::custom)?;
            let downstream_jobs = value
                .get_mut("trigger")
                .and_then(|trigger| trigger.get_mut("downstream"))
                .and_then(|downstream| downstream.get_mut("jobs"));
            if let Some(downstream_jobs) = downstream_jobs {
                add_job_runners(downstream_jobs, self.fleet, child).map_err(S::Error::custom)?;
            }
            array.serialize_element(&value)?;
        }
        array.end()
    }
}

/// One job's members, then its `runners`.
#[derive(Serialize)]
struct JobWithRunners<'a> {
    #[serde(flatten)]
    job: &'a PlannedJob,
    #[serde(skip_serializing_if = "Option::is_none")]
    runners: Option<JobRunners<'a>>,
}

/// The pipeline's `diagnostics` array, with the entries of the configuration and of the runner
/// files around the pipeline's own.
struct AllDiagnostics<'a> {
    resolution: &'a Resolution,
    pipeline: &'a [PlanDiagnostic],
    files: Option<&'a Diagnostics>,
}

impl Serialize for AllDiagnostics<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let sources = &self.resolution.sources;
        let files = self.files.into_iter().flat_map(|files| files.iter());
        let length = self.resolution.diagnostics.iter().count()
            + self.pipeline.len()
            + files.clone().count();
        let mut array = serializer.serialize_seq(Some(length))?;
        for diagnostic in self.resolution.diagnostics.iter() {
            array.serialize_element(&PlanEntry::new(&diagnostic.locate(sources)))?;
        }
        for diagnostic in self.pipeline {
            array.serialize_element(diagnostic)?;
        }
        for diagnostic in files {
            array.serialize_element(&PlanEntry::new(&diagnostic.locate(sources)))?;
        }
        array.end()
    }
}

/// A diagnostic of the configuration or of a runner file in the shape of the pipeline's
/// `diagnostics` entries: the location is the start position's file, line and column.
#[derive(Serialize)]
struct PlanEntry<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<StartLocation<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct StartLocation<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    column_utf16: u32,
    offset: u32,
}

impl<'a> PlanEntry<'a> {
    fn new(diagnostic: &'a LocatedDiagnostic) -> Self {
        PlanEntry {
            code: diagnostic.code,
            severity: diagnostic.severity,
            message: &diagnostic.message,
            location: diagnostic.location.as_ref().map(|location| StartLocation {
                file: &location.file,
                line: location.start.line,
                column: location.start.column,
                column_utf16: location.start.column_utf16,
                offset: location.start.offset,
            }),
            help: diagnostic.help.as_deref(),
        }
    }
}

/// Returns one diagnostic in the form of the pipeline's `diagnostics` entries.
pub(super) fn plan_entry(diagnostic: &crate::Diagnostic, sources: &SourceMap) -> Value {
    let located = diagnostic.locate(sources);
    serde_json::to_value(PlanEntry::new(&located)).unwrap_or_default()
}

/// Returns diagnostics of files read beside the configuration (runner and durations files)
/// in the form of the pipeline's `diagnostics` entries, for the JSON outputs that show them
/// next to the pipeline's.
pub fn plan_diagnostics(diagnostics: &Diagnostics, sources: &SourceMap) -> Vec<Value> {
    diagnostics
        .iter()
        .map(|diagnostic| plan_entry(diagnostic, sources))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // A duplicate key (a configuration warning), a job without a runner (a fleet diagnostic)
    // and a need of a job that does not run (a pipeline error with a location).
    const PIPELINE: &str = "build: {script: x, tags: [docker]}\n\
        deploy: {script: x, tags: [shell], needs: [release]}\n\
        release: {script: x, rules: [{if: $CI_COMMIT_TAG}]}\n\
        build: {script: y, tags: [docker]}\n\
        downstream: {trigger: other/project}\n";

    fn planned() -> (Resolution, Pipeline, MatchedFleet) {
        super::super::plan_with_docker_runner(PIPELINE)
    }

    /// Builds the expected tree without [`PipelineReport`]: the pipeline's derived JSON, with
    /// the configuration's diagnostics put first.
    fn tree(pipeline: &Pipeline, resolution: &Resolution) -> Value {
        let mut value = serde_json::to_value(pipeline).unwrap();
        let configuration: Vec<Value> = resolution
            .diagnostics
            .iter()
            .map(|diagnostic| entry_tree(&diagnostic.locate(&resolution.sources)))
            .collect();
        let diagnostics = value["diagnostics"].as_array_mut().unwrap();
        diagnostics.splice(0..0, configuration);
        value
    }

    fn entry_tree(diagnostic: &LocatedDiagnostic) -> Value {
        let mut object = serde_json::Map::new();
        object.insert("code".into(), diagnostic.code.into());
        object.insert(
            "severity".into(),
            serde_json::to_value(diagnostic.severity).unwrap(),
        );
        object.insert("message".into(), diagnostic.message.clone().into());
        if let Some(location) = &diagnostic.location {
            let location = serde_json::json!({
                "file": location.file,
                "line": location.start.line,
                "column": location.start.column,
                "column_utf16": location.start.column_utf16,
                "offset": location.start.offset,
            });
            object.insert("location".into(), location);
        }
        if let Some(help) = &diagnostic.help {
            object.insert("help".into(), help.clone().into());
        }
        Value::Object(object)
    }

    fn codes(value: &Value) -> Vec<&str> {
        value["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|diagnostic| diagnostic["code"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn report_text_equals_tree() {
        let (resolution, pipeline, _) = planned();
        let expected = tree(&pipeline, &resolution);
        assert!(codes(&expected).contains(&"duplicate-key"), "{expected}");
        let text = serde_json::to_string(&PipelineReport::new(&pipeline, &resolution)).unwrap();
        assert_eq!(text, serde_json::to_string(&expected).unwrap());
    }

    #[test]
    fn report_text_with_fleet_equals_tree() {
        let (resolution, pipeline, fleet) = planned();
        let mut expected = tree(&pipeline, &resolution);
        super::super::add_runners(&mut expected, &fleet).unwrap();
        let files = plan_diagnostics(&fleet.diagnostics, &resolution.sources);
        expected["diagnostics"]
            .as_array_mut()
            .unwrap()
            .extend(files);
        assert!(codes(&expected).contains(&"fleet-stuck-job"), "{expected}");
        assert!(expected.get("fleet").is_some());

        let report = PipelineReport::new(&pipeline, &resolution).with_fleet(&fleet);
        let text = serde_json::to_string(&report).unwrap();
        assert_eq!(text, serde_json::to_string(&expected).unwrap());
    }

    #[test]
    fn report_text_with_child_runners_equals_tree() {
        let files = [
            (".gitlab-ci.yml", "t: {trigger: {include: child.yml}}\n"),
            (
                "child.yml",
                "unit: {script: x, tags: [docker]}\ninner: {trigger: {include: deep.yml}}\n",
            ),
            ("deep.yml", "gpu: {script: x, tags: [gpu]}\n"),
        ];
        let (resolution, pipeline, fleet) = super::super::plan_files_with_docker_runner(&files);
        let mut expected = tree(&pipeline, &resolution);
        super::super::add_runners(&mut expected, &fleet).unwrap();
        let files = plan_diagnostics(&fleet.diagnostics, &resolution.sources);
        expected["diagnostics"]
            .as_array_mut()
            .unwrap()
            .extend(files);
        let deep =
            &expected["jobs"][0]["trigger"]["downstream"]["jobs"][1]["trigger"]["downstream"];
        assert_eq!(deep["jobs"][0]["runners"]["stuck"], true, "{expected:#}");

        let report = PipelineReport::new(&pipeline, &resolution).with_fleet(&fleet);
        let text = serde_json::to_string(&report).unwrap();
        assert_eq!(text, serde_json::to_string(&expected).unwrap());
    }

    #[test]
    fn report_tree_equals_text() {
        let (resolution, pipeline, fleet) = planned();
        let report = PipelineReport::new(&pipeline, &resolution).with_fleet(&fleet);
        let value = serde_json::to_value(report).unwrap();
        let text = serde_json::to_string(&report).unwrap();
        assert_eq!(serde_json::to_string(&value).unwrap(), text);
    }

    #[test]
    fn plan_diagnostics_have_start_location() {
        let (resolution, _, fleet) = planned();
        let entries = plan_diagnostics(&fleet.diagnostics, &resolution.sources);
        let stuck = entries
            .iter()
            .find(|entry| entry["code"] == "fleet-stuck-job")
            .unwrap();
        let keys: Vec<&str> = stuck["location"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["file", "line", "column", "column_utf16", "offset"]);
    }
}
