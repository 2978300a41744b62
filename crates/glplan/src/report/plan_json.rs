//! The JSON of `glplan plan --format json`, serialized straight from the pipeline.
//!
//! [`PipelineReport`] writes the same members in the same order as the [`Value`] that
//! [`super::pipeline`] and [`super::add_runners`] build, without building that tree first.
//! Building and dropping that tree cost more than writing the text.

use serde::ser::{Error as _, Impossible, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::runners::{JobRunners, MatchedFleet, child_matching};
use crate::diagnostic::{Diagnostics, LocatedDiagnostic, Severity};
use crate::fleet::Matching;
use crate::pipeline::{Pipeline, PlanDiagnostic, PlanTrigger, PlannedJob};
use crate::resolve::Resolution;
use crate::source::SourceMap;

/// The pipeline as `glplan plan --format json` prints it, ready for any serde serializer.
///
/// `diagnostics` lists the configuration's diagnostics, then the pipeline's, then those of the
/// runner files. With a fleet, each job that the matching lists gets a `runners` object
/// ([`JobRunners`]) after its own members, including the jobs of the child pipelines that GitLab
/// creates. A `fleet` member follows `diagnostics`.
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
        PipelineMembers {
            pipeline: self.pipeline,
            resolution: Some(self.resolution),
            runners: self.fleet.map(|fleet| PipelineRunners {
                fleet,
                matching: &fleet.matching,
            }),
        }
        .serialize(serializer)
    }
}

/// The members of a pipeline: the planned pipeline of a [`PipelineReport`], or a child
/// pipeline inside its trigger job's `downstream`.
struct PipelineMembers<'a> {
    pipeline: &'a Pipeline,
    /// The planned pipeline's resolution, whose diagnostics come before the pipeline's own, and
    /// those of the runner files after them. `None` for a child pipeline, whose `diagnostics`
    /// are its own and which has no `fleet` member.
    resolution: Option<&'a Resolution>,
    /// The runners of the pipeline's jobs, when runner files are given.
    runners: Option<PipelineRunners<'a>>,
}

impl Serialize for PipelineMembers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Every field is named, so a field added to `Pipeline` fails to compile here until it
        // is written below, at its place in the struct's order.
        let Pipeline {
            version,
            created,
            skipped,
            errors,
            source,
            ref_name,
            workflow,
            stages,
            jobs,
            absent,
            order,
            diagnostics,
            // Never serialized, like `Pipeline` itself leaves it out.
            failure_reason: _,
            // Never serialized: the values it hides are not part of the output.
            masker: _,
        } = self.pipeline;
        // The fleet and the runner files' diagnostics belong to the planned pipeline.
        let fleet = self
            .runners
            .filter(|_| self.resolution.is_some())
            .map(|runners| runners.fleet);

        let members = 11 + usize::from(fleet.is_some()) + usize::from(skipped.is_some());
        let mut object = serializer.serialize_struct("Pipeline", members)?;
        object.serialize_field("version", version)?;
        object.serialize_field("created", created)?;
        if let Some(marker) = skipped {
            object.serialize_field("skipped", marker)?;
        }
        object.serialize_field("errors", errors)?;
        object.serialize_field("source", source)?;
        object.serialize_field("ref", ref_name)?;
        object.serialize_field("workflow", workflow)?;
        object.serialize_field("stages", stages)?;

        match self.runners {
            Some(runners) => object.serialize_field(
                "jobs",
                &JobsWithRunners {
                    jobs,
                    fleet: runners.fleet,
                    matching: runners.matching,
                },
            )?,
            None => object.serialize_field("jobs", jobs)?,
        }
        object.serialize_field("absent", absent)?;
        object.serialize_field("order", order)?;

        let all = AllDiagnostics {
            resolution: self.resolution,
            pipeline: diagnostics,
            files: fleet.map(|fleet| &fleet.diagnostics),
        };
        object.serialize_field("diagnostics", &all)?;

        if let Some(fleet) = fleet {
            object.serialize_field("fleet", &fleet.fleet)?;
        }
        object.end()
    }
}

/// The `jobs` array of a pipeline when runner files are given: the planned pipeline's, with
/// [`MatchedFleet::matching`], or a child pipeline's, with the matching of its jobs.
struct JobsWithRunners<'a> {
    jobs: &'a [PlannedJob],
    fleet: &'a MatchedFleet,
    matching: &'a Matching,
}

impl Serialize for JobsWithRunners<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.jobs.iter().map(|job| JobWithRunners {
            job: JobMembers {
                job,
                child: child_matching(self.matching, &job.name).map(|matching| PipelineRunners {
                    fleet: self.fleet,
                    matching,
                }),
            },
            runners: self.fleet.runners_in(self.matching, &job.name),
        }))
    }
}

/// One job's members, then its `runners`.
#[derive(Serialize)]
struct JobWithRunners<'a> {
    #[serde(flatten)]
    job: JobMembers<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    runners: Option<JobRunners<'a>>,
}

/// The fleet, and the matching of the jobs of one pipeline: the planned one or a child.
#[derive(Clone, Copy)]
struct PipelineRunners<'a> {
    fleet: &'a MatchedFleet,
    matching: &'a Matching,
}

/// A job's own members. When the matching covers a trigger job's child pipeline, the child's
/// jobs in `trigger.downstream.jobs` get their `runners` too.
struct JobMembers<'a> {
    job: &'a PlannedJob,
    child: Option<PipelineRunners<'a>>,
}

impl Serialize for JobMembers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match (self.child, &self.job.trigger) {
            (Some(child), Some(trigger)) => {
                let trigger = TriggerWithRunners { trigger, child };
                self.job
                    .serialize(ReplaceField::new(serializer, "trigger", &trigger))
            }
            _ => self.job.serialize(serializer),
        }
    }
}

/// A trigger job's `trigger`, whose `downstream` pipeline lists its jobs' runners.
struct TriggerWithRunners<'a> {
    trigger: &'a PlanTrigger,
    child: PipelineRunners<'a>,
}

impl Serialize for TriggerWithRunners<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(downstream) = &self.trigger.downstream else {
            return self.trigger.serialize(serializer);
        };
        let downstream = DownstreamWithRunners {
            pipeline: downstream,
            child: self.child,
        };
        let serializer = ReplaceField::new(serializer, "downstream", &downstream);
        self.trigger.serialize(serializer)
    }
}

/// A child pipeline whose jobs list their runners.
struct DownstreamWithRunners<'a> {
    pipeline: &'a Pipeline,
    child: PipelineRunners<'a>,
}

impl Serialize for DownstreamWithRunners<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let members = PipelineMembers {
            pipeline: self.pipeline,
            resolution: None,
            runners: Some(self.child),
        };
        members.serialize(serializer)
    }
}

/// A serializer for one struct that writes it as `inner` does, except that the value of field
/// `key` is `replacement`. The struct's own `Serialize` keeps deciding which fields it writes,
/// in which order, so the output differs from the struct's only in that field. The values of
/// the other fields, and the structs inside them, go to `inner` unchanged.
struct ReplaceField<'r, S, R: ?Sized> {
    inner: S,
    key: &'static str,
    replacement: &'r R,
}

impl<'r, S: Serializer, R: Serialize + ?Sized> ReplaceField<'r, S, R> {
    fn new(inner: S, key: &'static str, replacement: &'r R) -> Self {
        ReplaceField {
            inner,
            key,
            replacement,
        }
    }

    fn not_a_struct(&self) -> S::Error {
        S::Error::custom("internal error: a field can only be replaced in a struct")
    }
}

/// Writes the methods of [`Serializer`] that [`ReplaceField`] rejects: every value but a
/// struct.
macro_rules! reject_values {
    ($($method:ident($($arg:ident: $type:ty),*) -> $output:ty;)*) => {
        $(
            fn $method(self, $($arg: $type),*) -> Result<$output, S::Error> {
                $(let _ = $arg;)*
                Err(self.not_a_struct())
            }
        )*
    };
}

impl<'r, S: Serializer, R: Serialize + ?Sized> Serializer for ReplaceField<'r, S, R> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = ReplaceFieldStruct<'r, S::SerializeStruct, R>;
    type SerializeStructVariant = Impossible<S::Ok, S::Error>;

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        Ok(ReplaceFieldStruct {
            inner: self.inner.serialize_struct(name, len)?,
            key: self.key,
            replacement: self.replacement,
        })
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<S::Ok, S::Error> {
        Err(self.not_a_struct())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _value: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(self.not_a_struct())
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(self.not_a_struct())
    }

    reject_values! {
        serialize_bool(value: bool) -> S::Ok;
        serialize_i8(value: i8) -> S::Ok;
        serialize_i16(value: i16) -> S::Ok;
        serialize_i32(value: i32) -> S::Ok;
        serialize_i64(value: i64) -> S::Ok;
        serialize_u8(value: u8) -> S::Ok;
        serialize_u16(value: u16) -> S::Ok;
        serialize_u32(value: u32) -> S::Ok;
        serialize_u64(value: u64) -> S::Ok;
        serialize_f32(value: f32) -> S::Ok;
        serialize_f64(value: f64) -> S::Ok;
        serialize_char(value: char) -> S::Ok;
        serialize_str(value: &str) -> S::Ok;
        serialize_bytes(value: &[u8]) -> S::Ok;
        serialize_none() -> S::Ok;
        serialize_unit() -> S::Ok;
        serialize_unit_struct(name: &'static str) -> S::Ok;
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str) -> S::Ok;
        serialize_seq(len: Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(len: usize) -> Self::SerializeTuple;
        serialize_tuple_struct(name: &'static str, len: usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(
            name: &'static str,
            index: u32,
            variant: &'static str,
            len: usize
        ) -> Self::SerializeTupleVariant;
        serialize_map(len: Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(
            name: &'static str,
            index: u32,
            variant: &'static str,
            len: usize
        ) -> Self::SerializeStructVariant;
    }
}

/// The struct that [`ReplaceField`] writes.
struct ReplaceFieldStruct<'r, S, R: ?Sized> {
    inner: S,
    key: &'static str,
    replacement: &'r R,
}

impl<S: SerializeStruct, R: Serialize + ?Sized> SerializeStruct for ReplaceFieldStruct<'_, S, R> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), S::Error> {
        if key == self.key {
            self.inner.serialize_field(key, self.replacement)
        } else {
            self.inner.serialize_field(key, value)
        }
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
        self.inner.skip_field(key)
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        self.inner.end()
    }
}

/// The pipeline's `diagnostics` array, with the entries of the configuration and of the runner
/// files around the pipeline's own.
struct AllDiagnostics<'a> {
    /// `None` for a child pipeline, which lists only its own diagnostics.
    resolution: Option<&'a Resolution>,
    pipeline: &'a [PlanDiagnostic],
    files: Option<&'a Diagnostics>,
}

impl Serialize for AllDiagnostics<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(resolution) = self.resolution else {
            return self.pipeline.serialize(serializer);
        };
        let sources = &resolution.sources;
        let files = self.files.into_iter().flat_map(|files| files.iter());
        let length =
            resolution.diagnostics.iter().count() + self.pipeline.len() + files.clone().count();
        let mut array = serializer.serialize_seq(Some(length))?;
        for diagnostic in resolution.diagnostics.iter() {
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

    /// Builds the tree of [`tree`] with the runners and the runner files' diagnostics that
    /// [`PipelineReport::with_fleet`] adds.
    fn tree_with_fleet(
        pipeline: &Pipeline,
        resolution: &Resolution,
        fleet: &MatchedFleet,
    ) -> Value {
        let mut expected = tree(pipeline, resolution);
        super::super::add_runners(&mut expected, fleet).unwrap();
        let files = plan_diagnostics(&fleet.diagnostics, &resolution.sources);
        expected["diagnostics"]
            .as_array_mut()
            .unwrap()
            .extend(files);
        expected
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
        let expected = tree_with_fleet(&pipeline, &resolution, &fleet);
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
        let expected = tree_with_fleet(&pipeline, &resolution, &fleet);
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
