//! The JSON forms of a resolution and of a pipeline, built in one place so that the `glplan`
//! CLI (`--format json`) and the wasm package return the same objects for the same input.
//!
//! File names stay as the resolver gives them: repository paths, `project:ref:path` and so on.
//! A caller that shows other names (the CLI shows paths from the current directory) rewrites
//! them afterwards.

pub mod children;
mod plan_json;
mod runners;

pub use plan_json::{PipelineReport, plan_diagnostics};
pub use runners::{JobRunners, MatchedFleet, RejectedRunner, add_runners};

use serde::Serialize;
use serde_json::Value;

use crate::config::Config;
use crate::diagnostic::{LocatedDiagnostic, code_span, did_you_mean};
use crate::pipeline::{AbsentJob, EdgeKind, Pipeline, PlannedJob};
use crate::resolve::Resolution;
use crate::yaml::Mapping;

/// Plans `pipeline` for a push to `main` and matches its jobs with the one-runner fleet
/// every report test uses: a `docker` executor tagged `docker`.
#[cfg(test)]
fn plan_with_docker_runner(pipeline: &str) -> (Resolution, Pipeline, MatchedFleet) {
    plan_files_with_docker_runner(&[(".gitlab-ci.yml", pipeline)])
}

/// Plans `.gitlab-ci.yml` as [`plan_with_docker_runner`] does, with the other `files` available
/// to `trigger:include`.
#[cfg(test)]
fn plan_files_with_docker_runner(files: &[(&str, &str)]) -> (Resolution, Pipeline, MatchedFleet) {
    const RUNNERS: &str = "concurrent = 2\n\
        [[runners]]\nname = \"docker-1\"\nexecutor = \"docker\"\ntags = [\"docker\"]\n\
        [runners.docker]\nimage = \"alpine\"\n";

    let files = files
        .iter()
        .fold(crate::MemoryFiles::new(), |memory, (name, text)| {
            memory.with_file(*name, *text)
        });
    let context = crate::context::PipelineContext::push("main");
    let options = crate::pipeline::PlanOptions::default();
    let (mut resolution, planned) =
        crate::pipeline::plan(".gitlab-ci.yml", &files, &context, &options);
    let planned = planned.unwrap();
    let file = resolution.sources.add("config.toml", RUNNERS);
    let fleet = MatchedFleet::new(
        &[(file, RUNNERS)],
        &planned,
        &crate::fleet::MatchContext::from(&context),
        &resolution.sources,
    );
    (resolution, planned, fleet)
}

/// Returns the configuration as `glplan config --format json` prints it: the typed
/// configuration, or the merged tree when the typed model could not be built. `None` when not
/// even the merged tree exists.
pub fn configuration(resolution: &Resolution) -> serde_json::Result<Option<Value>> {
    if let Some(config) = &resolution.config {
        return serde_json::to_value(config).map(Some);
    }
    Ok(resolution.merged.as_ref().map(mapping_json))
}

/// Returns the configuration of [`configuration`] as JSON text. It serializes the typed
/// configuration straight to text, which is faster than building the [`Value`] first.
pub fn configuration_text(resolution: &Resolution) -> serde_json::Result<Option<String>> {
    configuration_report(resolution)
        .map(|report| serde_json::to_string(&report))
        .transpose()
}

/// The configuration of [`configuration`], ready for any serde serializer.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ConfigurationReport<'a> {
    /// The typed configuration, serialized without building a [`Value`].
    Typed(&'a Config),
    /// The merged tree, when the typed model could not be built.
    Merged(Value),
}

/// Returns the configuration of [`configuration`] for serializing it straight to text.
/// `None` when not even the merged tree exists.
pub fn configuration_report(resolution: &Resolution) -> Option<ConfigurationReport<'_>> {
    if let Some(config) = &resolution.config {
        return Some(ConfigurationReport::Typed(config));
    }
    let merged = resolution.merged.as_ref().map(mapping_json);
    merged.map(ConfigurationReport::Merged)
}

fn mapping_json(mapping: &Mapping) -> Value {
    Value::Object(
        mapping
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_json()))
            .collect(),
    )
}

/// Returns the configuration's diagnostics with file names and positions, as
/// `glplan lint --format json` prints them.
pub fn diagnostics(resolution: &Resolution) -> Vec<LocatedDiagnostic> {
    resolution
        .diagnostics
        .iter()
        .map(|diagnostic| diagnostic.locate(&resolution.sources))
        .collect()
}

/// Returns the pipeline as `glplan plan --format json` prints it: the pipeline's JSON form,
/// with the configuration's diagnostics placed before the pipeline's own. Serializing a
/// [`PipelineReport`] gives the same JSON without building the tree.
pub fn pipeline(pipeline: &Pipeline, resolution: &Resolution) -> serde_json::Result<Value> {
    serde_json::to_value(PipelineReport::new(pipeline, resolution))
}

/// The job `explain` is about: created, or left out.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A job GitLab creates.
    Created(&'a PlannedJob),
    /// A job GitLab leaves out.
    Absent(&'a AbsentJob),
}

/// Returns the created or absent job called `name`.
pub fn find<'a>(pipeline: &'a Pipeline, name: &str) -> Option<Subject<'a>> {
    if let Some(job) = pipeline.job(name) {
        return Some(Subject::Created(job));
    }
    pipeline.absent_job(name).map(Subject::Absent)
}

/// A job that `explain` found in the top pipeline or in a planned child pipeline.
#[derive(Debug, Clone)]
pub struct Found<'a> {
    /// The pipeline the job belongs to.
    pub pipeline: &'a Pipeline,
    /// The trigger jobs that lead from the top pipeline to that pipeline, outermost first;
    /// empty for a job of the top pipeline.
    pub triggers: Vec<&'a str>,
    /// The pipeline whose trigger job creates the job's pipeline; `None` for a job of the top
    /// pipeline.
    pub parent: Option<&'a Pipeline>,
    /// The manual trigger jobs among [`Found::triggers`], outermost first, named as
    /// [`Found::trigger`] names them (`deploy`, `deploy/inner`). GitLab creates the job's
    /// pipeline only once each of them is played.
    pub manual_triggers: Vec<String>,
    /// The job.
    pub subject: Subject<'a>,
}

impl<'a> Found<'a> {
    /// Returns the name of the trigger job that creates the job's pipeline, with the trigger
    /// jobs above it in front, as in `deploy/inner`. Returns `None` for the top pipeline.
    pub fn trigger(&self) -> Option<String> {
        (!self.triggers.is_empty()).then(|| self.triggers.join("/"))
    }

    /// Adds `job`, a trigger job of `pipeline`, as the outermost trigger job of a job found in
    /// `job`'s child pipeline.
    fn below_trigger(mut self, pipeline: &'a Pipeline, job: &'a PlannedJob) -> Self {
        self.triggers.insert(0, job.name.as_str());
        self.parent.get_or_insert(pipeline);
        for manual in &mut self.manual_triggers {
            *manual = format!("{}/{manual}", job.name);
        }
        if job
            .trigger
            .as_ref()
            .is_some_and(|trigger| trigger.downstream_created_when_played)
        {
            self.manual_triggers.insert(0, job.name.to_string());
        }
        self
    }
}

/// Returns the created or absent job called `name` of `pipeline` or of a planned child
/// pipeline. A child pipeline's jobs are named after the trigger jobs that lead to them, as
/// `glplan schedule` names them: `deploy/rspec` is job `rspec` of the child pipeline of
/// trigger job `deploy`. A job of the top pipeline comes first when a name fits both.
pub fn find_nested<'a>(pipeline: &'a Pipeline, name: &str) -> Option<Found<'a>> {
    if let Some(subject) = find(pipeline, name) {
        return Some(Found {
            pipeline,
            triggers: Vec::new(),
            parent: None,
            manual_triggers: Vec::new(),
            subject,
        });
    }
    for (at, _) in name.match_indices('/') {
        let (Some(trigger), Some(rest)) = (name.get(..at), name.get(at + 1..)) else {
            continue;
        };
        let Some(job) = pipeline.job(trigger) else {
            continue;
        };
        let Some(trigger) = job.trigger.as_ref() else {
            continue;
        };
        let Some(child) = trigger.downstream.as_deref() else {
            continue;
        };
        if let Some(found) = find_nested(child, rest) {
            return Some(found.below_trigger(pipeline, job));
        }
    }
    None
}

/// Returns the created or absent job at `path`: the names of the trigger jobs that lead from
/// the top pipeline to the job's pipeline, outermost first, then the job's name, as in
/// `["deploy", "rspec"]`. Each item is one whole job name, so unlike [`find_nested`] this
/// reaches a child pipeline's job also when a job of the top pipeline has the name
/// `deploy/rspec`. Returns `None` for an empty path.
pub fn find_path<'a>(pipeline: &'a Pipeline, path: &[&str]) -> Option<Found<'a>> {
    match path {
        [] => None,
        [name] => Some(Found {
            pipeline,
            triggers: Vec::new(),
            parent: None,
            manual_triggers: Vec::new(),
            subject: find(pipeline, name)?,
        }),
        [trigger, rest @ ..] => {
            let job = pipeline.job(trigger)?;
            let child = job.trigger.as_ref()?.downstream.as_deref()?;
            Some(find_path(child, rest)?.below_trigger(pipeline, job))
        }
    }
}

/// Returns the message for a `path` that [`find_path`] does not find. It names the first
/// item that is not a job, or not a trigger job with a planned child pipeline.
pub fn path_not_found(pipeline: &Pipeline, path: &[&str]) -> String {
    let mut current = pipeline;
    let mut triggers: Vec<&str> = Vec::new();
    for (index, name) in path.iter().enumerate() {
        // The child pipeline's jobs are named as in that pipeline, so the suggestions are too.
        let place = if triggers.is_empty() {
            String::new()
        } else {
            format!(
                "in the child pipeline of {}: ",
                code_span(&triggers.join("/"))
            )
        };
        if index + 1 == path.len() {
            return format!("{place}{}", job_not_found_in(current, name));
        }
        let Some(job) = current.job(name) else {
            if current.absent_job(name).is_some() {
                return format!(
                    "{place}job {} is left out of the pipeline, so it creates no child pipeline",
                    code_span(name)
                );
            }
            return format!("{place}{}", job_not_found_in(current, name));
        };
        let Some(trigger) = job.trigger.as_ref() else {
            return format!("{place}job {} is not a trigger job", code_span(name));
        };
        let Some(child) = trigger.downstream.as_deref() else {
            return format!(
                "{place}trigger job {} has no child pipeline that glplan planned",
                code_span(name)
            );
        };
        triggers.push(name);
        current = child;
    }
    "the job path is empty; name at least the job".to_owned()
}

/// Returns the message for a job name that [`find`] does not find in `pipeline` itself: the
/// parallel instances of that name, the closest job name, or the list of job names. Unlike
/// [`job_not_found`], it leaves out the jobs of child pipelines.
fn job_not_found_in(pipeline: &Pipeline, name: &str) -> String {
    let known = job_names(pipeline);
    let instances = instances(pipeline, name);
    let mut message = format!("job {} not found", code_span(name));
    match did_you_mean(name, known.iter().copied()) {
        _ if !instances.is_empty() => message.push_str(&format!(
            "; it runs as parallel jobs, name one of them: {}",
            instances.join(", ")
        )),
        Some(suggestion) => message.push_str(&format!("; did you mean {}?", code_span(suggestion))),
        None if known.is_empty() => message.push_str("; the pipeline has no jobs"),
        None => message.push_str(&format!("; the jobs are {}", known.join(", "))),
    }
    message
}

/// Returns the names of every job in the configuration, created or absent, in pipeline
/// order, followed by those of the planned child pipelines, named as [`find_nested`] takes
/// them.
pub fn nested_job_names(pipeline: &Pipeline) -> Vec<String> {
    let mut names: Vec<String> = job_names(pipeline).into_iter().map(str::to_owned).collect();
    for job in &pipeline.jobs {
        if let Some(child) = job.trigger.as_ref().and_then(|t| t.downstream.as_deref()) {
            let prefix = &job.name;
            names.extend(
                nested_job_names(child)
                    .into_iter()
                    .map(|name| format!("{prefix}/{name}")),
            );
        }
    }
    names
}

/// Returns the names of every job in the configuration, created or absent, in pipeline
/// order.
pub fn job_names(pipeline: &Pipeline) -> Vec<&str> {
    let created = pipeline.jobs.iter().map(|job| job.name.as_str());
    let absent = pipeline.absent.iter().map(|job| job.name.as_str());
    created.chain(absent).collect()
}

/// Returns the parallel instances of the job written as `name`, for the message of a name
/// that `explain` cannot find.
pub fn instances<'a>(pipeline: &'a Pipeline, name: &str) -> Vec<&'a str> {
    pipeline
        .jobs
        .iter()
        .filter(|job| job.parallel.as_ref().is_some_and(|p| p.base_name == name))
        .map(|job| job.name.as_str())
        .collect()
}

/// Returns the message for a job name that [`find`] does not find: the parallel instances of
/// that name, the closest job name, or the list of job names.
pub fn job_not_found(pipeline: &Pipeline, name: &str) -> String {
    let known = nested_job_names(pipeline);
    let instances = instances(pipeline, name);
    let mut message = format!("job {} not found", code_span(name));
    if let Some(reason) = no_child_pipeline(pipeline, name) {
        message.push_str(&format!(" ({reason})"));
    } else if name.starts_with('.') {
        message.push_str(
            " (a name that starts with `.` is a hidden job, which GitLab does not create)",
        );
    }
    match did_you_mean(name, known.iter().map(String::as_str)) {
        _ if !instances.is_empty() => message.push_str(&format!(
            "; it runs as parallel jobs, name one of them: {}",
            instances.join(", ")
        )),
        Some(suggestion) => message.push_str(&format!("; did you mean {}?", code_span(suggestion))),
        None if known.is_empty() => message.push_str("; the configuration has no jobs"),
        None => message.push_str(&format!("; the jobs are {}", known.join(", "))),
    }
    message
}

/// Returns why `name`, read as `TRIGGER/JOB`, names no job of a child pipeline: the top
/// pipeline's job `TRIGGER` is left out, is not a trigger job, or has no planned child pipeline.
/// Returns `None` when no prefix of `name` before a `/` is a job of `pipeline`, or when one of
/// them has a planned child pipeline.
fn no_child_pipeline(pipeline: &Pipeline, name: &str) -> Option<String> {
    let mut reason = None;
    for (at, _) in name.match_indices('/') {
        let Some(trigger) = name.get(..at) else {
            continue;
        };
        if let Some(job) = pipeline.job(trigger) {
            match job.trigger.as_ref() {
                Some(t) if t.downstream.is_some() => return None,
                Some(_) => {
                    reason = Some(format!(
                        "trigger job `{trigger}` has no child pipeline that glplan planned"
                    ))
                }
                None => reason = Some(format!("job `{trigger}` is not a trigger job")),
            }
        } else if pipeline.absent_job(trigger).is_some() {
            reason = Some(format!(
                "job `{trigger}` is left out of the pipeline, so it creates no child pipeline"
            ));
        }
    }
    reason
}

/// The jobs next to one job in the job graph.
#[derive(Debug, Default, Serialize)]
pub struct Neighbours<'a> {
    /// The jobs of earlier stages a stage-scheduled job waits for (the ones no other earlier
    /// job waits for, which cover the rest).
    pub waits_for: Vec<&'a str>,
    /// The jobs that list this one in `needs`.
    pub needed_by: Vec<&'a str>,
    /// The stage-scheduled jobs of later stages that wait for this one.
    pub waited_for_by: Vec<&'a str>,
}

/// Returns the graph neighbours of job `name`.
pub fn neighbours<'a>(pipeline: &'a Pipeline, name: &str) -> Neighbours<'a> {
    let mut neighbours = Neighbours::default();
    for (from, to, kind) in pipeline.edges() {
        match kind {
            EdgeKind::Stage if to == name => neighbours.waits_for.push(from),
            EdgeKind::Stage if from == name => neighbours.waited_for_by.push(to),
            EdgeKind::Needs if from == name => neighbours.needed_by.push(to),
            _ => {}
        }
    }
    neighbours
}

/// Returns the created jobs whose artifacts, `dotenv` variables included, the job `name`
/// downloads. These are the jobs it needs with `artifacts: true`, or without `needs` the jobs
/// of the earlier stages, and only those in its `dependencies` when it lists them. A
/// dependency on a parallel job's base name covers every instance.
pub fn artifact_sources<'a>(pipeline: &'a Pipeline, name: &str) -> Vec<&'a PlannedJob> {
    let Some(job) = pipeline.job(name) else {
        return Vec::new();
    };
    let candidates: Vec<&PlannedJob> = match &job.needs {
        Some(needs) => needs
            .iter()
            .filter(|need| need.artifacts)
            .filter_map(|need| pipeline.job(&need.job))
            .collect(),
        None => {
            let stage = pipeline
                .stages
                .iter()
                .position(|stage| stage.name == job.stage)
                .unwrap_or(0);
            pipeline
                .stages
                .iter()
                .take(stage)
                .flat_map(|stage| stage.jobs.iter())
                .filter_map(|name| pipeline.job(name))
                .collect()
        }
    };
    let Some(dependencies) = &job.dependencies else {
        return candidates;
    };
    let listed = |candidate: &PlannedJob| {
        dependencies.iter().any(|dependency| {
            *dependency == candidate.name
                || candidate
                    .parallel
                    .as_ref()
                    .is_some_and(|parallel| parallel.base_name == *dependency)
        })
    };
    candidates
        .into_iter()
        .filter(|candidate| listed(candidate))
        .collect()
}

/// Returns the created jobs of `parent`, the pipeline above the job's child pipeline, whose
/// artifacts, `dotenv` variables included, the job downloads through `needs:pipeline:job` with
/// `artifacts: true`.
///
/// The job is named by its expanded `job:` value, and an entry whose value references a
/// variable known only once a runner takes the job is left out.
///
/// NOTE: each entry is taken to name the parent pipeline, whatever its `pipeline:` value. glplan
/// gives every pipeline of a hierarchy the top pipeline's ID, so the expanded value cannot tell
/// them apart. GitLab also accepts another pipeline of the same hierarchy, whose job this
/// misses, or confuses with a job of the parent of the same name.
pub fn parent_artifact_sources<'a>(parent: &'a Pipeline, job: &PlannedJob) -> Vec<&'a PlannedJob> {
    job.cross_needs
        .iter()
        .filter(|need| need.artifacts && need.project.is_none() && need.pipeline.is_some())
        .filter(|need| need.unknown_variables.is_empty())
        .filter_map(|need| parent.job(need.job_expanded.as_deref().or(need.job.as_deref())?))
        .collect()
}

/// The JSON form of `explain`: the pipeline's source, ref and outcome, the job's object from
/// the pipeline (`job`, or `absent` for a job left out), and its graph neighbours. `explain`
/// plans with [`PlanOptions::rule_traces`](crate::pipeline::PlanOptions::rule_traces), so that
/// the job's object has the evaluation of each rule.
#[derive(Debug, Serialize)]
pub struct Explanation<'a> {
    /// The pipeline's format version, as in `plan --format json`.
    version: u32,
    source: &'a str,
    #[serde(rename = "ref")]
    ref_name: &'a str,
    created: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    job: Option<&'a PlannedJob>,
    #[serde(skip_serializing_if = "Option::is_none")]
    absent: Option<&'a AbsentJob>,
    #[serde(flatten)]
    neighbours: Neighbours<'a>,
    /// For a job of a child pipeline, the trigger job that creates that pipeline, with the
    /// trigger jobs above it in front, as in `deploy/inner`.
    #[serde(skip_serializing_if = "Option::is_none")]
    trigger: Option<String>,
    /// For a job of a child pipeline, the names of the trigger jobs from the top pipeline down
    /// to the one that creates that pipeline. Unlike `trigger`, it keeps a name that contains
    /// `/` apart from the names around it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    trigger_jobs: Vec<&'a str>,
    /// [`Found::manual_triggers`]: the manual trigger jobs that must be played before GitLab
    /// creates the job's pipeline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    manual_triggers: Vec<String>,
}

impl<'a> Explanation<'a> {
    /// Creates the explanation of a job that [`find_nested`] found.
    pub fn of_found(found: &Found<'a>) -> Self {
        Explanation {
            trigger: found.trigger(),
            trigger_jobs: found.triggers.clone(),
            manual_triggers: found.manual_triggers.clone(),
            ..Explanation::new(found.pipeline, &found.subject)
        }
    }

    /// Creates the explanation of `subject`, a created or absent job of `pipeline`.
    pub fn new(pipeline: &'a Pipeline, subject: &Subject<'a>) -> Self {
        let (job, absent, name) = match subject {
            Subject::Created(job) => (Some(*job), None, job.name.as_str()),
            Subject::Absent(job) => (None, Some(*job), job.name.as_str()),
        };
        Explanation {
            version: pipeline.version,
            source: &pipeline.source,
            ref_name: &pipeline.ref_name,
            created: pipeline.created,
            job,
            absent,
            neighbours: neighbours(pipeline, name),
            trigger: None,
            trigger_jobs: Vec::new(),
            manual_triggers: Vec::new(),
        }
    }
}

/// Returns the JSON tree of [`Explanation`], as `glplan explain --format json` prints it.
pub fn explanation(pipeline: &Pipeline, subject: &Subject<'_>) -> serde_json::Result<Value> {
    serde_json::to_value(Explanation::new(pipeline, subject))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline(yaml: &str) -> Pipeline {
        planned(&crate::MemoryFiles::new().with_file(".gitlab-ci.yml", yaml))
    }

    /// Plans `.gitlab-ci.yml` of `files` for a push to `main`.
    fn planned(files: &crate::MemoryFiles) -> Pipeline {
        let context = crate::context::PipelineContext::push("main");
        let (_, pipeline) = crate::pipeline::plan(
            ".gitlab-ci.yml",
            files,
            &context,
            &crate::pipeline::PlanOptions::default(),
        );
        pipeline.unwrap()
    }

    const YAML: &str = "stages: [build, test, deploy]\n\
        build: {stage: build, script: x}\n\
        test: {stage: test, script: x, needs: [build]}\n\
        deploy: {stage: deploy, script: x}\n\
        release: {stage: deploy, script: x, rules: [{if: $CI_COMMIT_TAG}]}\n";

    fn with_children() -> Pipeline {
        let files = crate::MemoryFiles::new()
            .with_file(
                ".gitlab-ci.yml",
                "a/b: {script: x}\na: {trigger: {include: child.yml}}\n",
            )
            .with_file(
                "child.yml",
                "b: {script: x}\nc: {script: x, rules: [{when: never}]}\n\
                 d: {trigger: {include: grand.yml}}\n",
            )
            .with_file("grand.yml", "e: {script: x}\n");
        planned(&files)
    }

    #[test]
    fn find_nested_prefers_top_pipeline_job() {
        let pipeline = with_children();
        let found = find_nested(&pipeline, "a/b").unwrap();
        assert!(found.triggers.is_empty());
        assert!(matches!(found.subject, Subject::Created(job) if job.name == "a/b"));
    }

    #[test]
    fn find_nested_reaches_child_and_grandchild_jobs() {
        let pipeline = with_children();
        let absent = find_nested(&pipeline, "a/c").unwrap();
        assert_eq!(absent.triggers, ["a"]);
        assert!(matches!(absent.subject, Subject::Absent(job) if job.name == "c"));
        let grand = find_nested(&pipeline, "a/d/e").unwrap();
        assert_eq!(grand.trigger().as_deref(), Some("a/d"));
        assert_eq!(grand.pipeline.source, "parent_pipeline");
        assert!(find_nested(&pipeline, "a/d/x").is_none());
        assert!(find_nested(&pipeline, "a/").is_none());
    }

    #[test]
    fn find_path_reaches_shadowed_child_job() {
        let pipeline = with_children();
        let child = find_path(&pipeline, &["a", "b"]).unwrap();
        assert_eq!(child.triggers, ["a"]);
        assert!(matches!(child.subject, Subject::Created(job) if job.name == "b"));
        let top = find_path(&pipeline, &["a/b"]).unwrap();
        assert!(top.triggers.is_empty());
        assert!(matches!(top.subject, Subject::Created(job) if job.name == "a/b"));
        let grand = find_path(&pipeline, &["a", "d", "e"]).unwrap();
        assert_eq!(grand.trigger().as_deref(), Some("a/d"));
        assert!(find_path(&pipeline, &[]).is_none());
        assert!(find_path(&pipeline, &["a/b", "b"]).is_none());
        assert!(find_path(&pipeline, &["a", "d/e"]).is_none());
    }

    #[test]
    fn explanation_lists_trigger_jobs() {
        let files = crate::MemoryFiles::new()
            .with_file(".gitlab-ci.yml", "a/b: {trigger: {include: child.yml}}\n")
            .with_file("child.yml", "c: {script: x}\n");
        let pipeline = planned(&files);
        let found = find_path(&pipeline, &["a/b", "c"]).unwrap();
        let json = serde_json::to_value(Explanation::of_found(&found)).unwrap();
        assert_eq!(json["trigger"], "a/b");
        assert_eq!(json["trigger_jobs"], serde_json::json!(["a/b"]));

        let top = find_path(&pipeline, &["a/b"]).unwrap();
        let json = serde_json::to_value(Explanation::of_found(&top)).unwrap();
        assert!(json.get("trigger_jobs").is_none());
    }

    #[test]
    fn path_not_found_names_failing_step() {
        let pipeline = with_children();
        assert_eq!(
            path_not_found(&pipeline, &["a/b", "b"]),
            "job `a/b` is not a trigger job"
        );
        assert_eq!(
            path_not_found(&pipeline, &["a", "c", "x"]),
            "in the child pipeline of `a`: job `c` is left out of the pipeline, so it creates \
             no child pipeline"
        );
        assert_eq!(
            path_not_found(&pipeline, &["a", "d", "f"]),
            "in the child pipeline of `a/d`: job `f` not found; the jobs are e"
        );
        assert_eq!(
            path_not_found(&pipeline, &["x", "b"]),
            "job `x` not found; the jobs are a/b, a"
        );
    }

    #[test]
    fn find_nested_keeps_parent_pipeline() {
        let pipeline = with_children();
        let top = find_nested(&pipeline, "a/b").unwrap();
        assert!(top.parent.is_none());
        let child = find_nested(&pipeline, "a/c").unwrap();
        assert!(
            child
                .parent
                .is_some_and(|parent| std::ptr::eq(parent, &pipeline))
        );
        let grand = find_nested(&pipeline, "a/d/e").unwrap();
        let child_pipeline = pipeline
            .job("a")
            .and_then(|job| job.trigger.as_ref()?.downstream.as_deref())
            .unwrap();
        let grand_parent = grand.parent.unwrap();
        assert!(std::ptr::eq(grand_parent, child_pipeline));
    }

    #[test]
    fn parent_artifact_sources_follow_pipeline_needs() {
        let files = crate::MemoryFiles::new()
            .with_file(
                ".gitlab-ci.yml",
                "stages: [build, test]\n\
                 gen: {stage: build, script: x}\n\
                 lint: {stage: build, script: x}\n\
                 c: {stage: test, trigger: {include: child.yml}, \
                 variables: {PARENT_PIPELINE_ID: $CI_PIPELINE_ID}}\n",
            )
            .with_file(
                "child.yml",
                "use: {script: x, needs: [{pipeline: $PARENT_PIPELINE_ID, job: gen}, \
                 {pipeline: $PARENT_PIPELINE_ID, job: lint, artifacts: false}, \
                 {pipeline: $PARENT_PIPELINE_ID, job: gone}]}\n\
                 by_variable: {script: x, variables: {SOURCE: lint}, \
                 needs: [{pipeline: $PARENT_PIPELINE_ID, job: $SOURCE}]}\n",
            );
        let pipeline = planned(&files);
        let sources = |name: &str| -> Vec<String> {
            let found = find_nested(&pipeline, name).unwrap();
            let Subject::Created(job) = found.subject else {
                panic!("{name} is not created");
            };
            parent_artifact_sources(found.parent.unwrap(), job)
                .iter()
                .map(|source| source.name.to_string())
                .collect()
        };
        assert_eq!(sources("c/use"), ["gen"]);
        assert_eq!(sources("c/by_variable"), ["lint"], "expanded job name");
    }

    #[test]
    fn find_nested_lists_manual_triggers() {
        let files = crate::MemoryFiles::new()
            .with_file(
                ".gitlab-ci.yml",
                "a: {when: manual, trigger: {include: child.yml}}\n",
            )
            .with_file(
                "child.yml",
                "b: {script: x}\n\
                 auto: {trigger: {include: grand.yml}}\n\
                 manual: {when: manual, trigger: {include: grand.yml}}\n",
            )
            .with_file("grand.yml", "e: {script: x}\n");
        let pipeline = planned(&files);

        assert!(
            find_nested(&pipeline, "a")
                .unwrap()
                .manual_triggers
                .is_empty()
        );
        assert_eq!(
            find_nested(&pipeline, "a/b").unwrap().manual_triggers,
            ["a"]
        );
        let auto = find_nested(&pipeline, "a/auto/e").unwrap();
        assert_eq!(auto.manual_triggers, ["a"]);
        let manual = find_nested(&pipeline, "a/manual/e").unwrap();
        assert_eq!(manual.manual_triggers, ["a", "a/manual"]);

        let json = serde_json::to_value(Explanation::of_found(&manual)).unwrap();
        assert_eq!(
            json["manual_triggers"],
            serde_json::json!(["a", "a/manual"])
        );
        let top = find_nested(&pipeline, "a").unwrap();
        let json = serde_json::to_value(Explanation::of_found(&top)).unwrap();
        assert!(json.get("manual_triggers").is_none(), "{json}");
    }

    #[test]
    fn nested_names_follow_job_names() {
        let pipeline = with_children();
        assert_eq!(
            nested_job_names(&pipeline),
            ["a/b", "a", "a/b", "a/d", "a/c", "a/d/e"]
        );
        assert_eq!(
            job_not_found(&pipeline, "a/d/f"),
            "job `a/d/f` not found; did you mean `a/d/e`?"
        );
    }

    #[test]
    fn job_not_found_quotes_backtick() {
        let files = crate::MemoryFiles::new().with_file(".gitlab-ci.yml", "t`ick: {script: x}\n");
        let pipeline = planned(&files);
        assert_eq!(
            job_not_found(&pipeline, "t`ic"),
            "job ``t`ic`` not found; did you mean ``t`ick``?"
        );
    }

    #[test]
    fn neighbours_of_needed_job() {
        let pipeline = pipeline(YAML);
        let neighbours = neighbours(&pipeline, "build");
        assert_eq!(neighbours.needed_by, ["test"]);
        assert!(neighbours.waits_for.is_empty());
    }

    #[test]
    fn neighbours_of_stage_job() {
        let pipeline = pipeline(YAML);
        let neighbours = neighbours(&pipeline, "deploy");
        assert_eq!(neighbours.waits_for, ["test"]);
        assert!(neighbours.needed_by.is_empty());
    }

    #[test]
    fn find_created_and_absent() {
        let pipeline = pipeline(YAML);
        assert!(matches!(find(&pipeline, "test"), Some(Subject::Created(_))));
        assert!(matches!(
            find(&pipeline, "release"),
            Some(Subject::Absent(_))
        ));
        assert!(find(&pipeline, "nope").is_none());
    }

    #[test]
    fn job_not_found_suggests_name() {
        let pipeline = pipeline(YAML);
        assert_eq!(
            job_not_found(&pipeline, "tset"),
            "job `tset` not found; did you mean `test`?"
        );
    }

    #[test]
    fn job_not_found_says_why_no_child_pipeline() {
        let top = pipeline(YAML);
        assert_eq!(
            job_not_found(&top, "release/x"),
            "job `release/x` not found (job `release` is left out of the pipeline, so it \
             creates no child pipeline); did you mean `release`?"
        );
        assert_eq!(
            job_not_found(&top, "build/x"),
            "job `build/x` not found (job `build` is not a trigger job); did you mean `build`?"
        );
        let multi = pipeline("up: {trigger: {project: g/p}}\n");
        assert_eq!(
            job_not_found(&multi, "up/x"),
            "job `up/x` not found (trigger job `up` has no child pipeline that glplan planned); \
             did you mean `up`?"
        );
        let nested = with_children();
        assert_eq!(
            job_not_found(&nested, "a/zzz"),
            "job `a/zzz` not found; the jobs are a/b, a, a/b, a/d, a/c, a/d/e"
        );
    }

    #[test]
    fn job_not_found_names_hidden_job() {
        let pipeline = pipeline(YAML);
        assert_eq!(
            job_not_found(&pipeline, ".build"),
            "job `.build` not found (a name that starts with `.` is a hidden job, which GitLab \
             does not create); did you mean `build`?"
        );
    }

    #[test]
    fn artifact_sources_follow_dependencies() {
        let pipeline = pipeline(
            "stages: [build, test]\n\
             unit: {stage: build, script: x, parallel: 2}\n\
             lint: {stage: build, script: x}\n\
             all: {stage: test, script: x}\n\
             some: {stage: test, script: x, dependencies: [unit]}\n\
             none: {stage: test, script: x, dependencies: []}\n\
             dag: {stage: test, script: x, needs: [lint, {job: unit, artifacts: false}]}\n",
        );
        let names = |job: &str| -> Vec<String> {
            artifact_sources(&pipeline, job)
                .iter()
                .map(|source| source.name.to_string())
                .collect()
        };
        assert_eq!(names("all"), ["unit 1/2", "unit 2/2", "lint"]);
        assert_eq!(names("some"), ["unit 1/2", "unit 2/2"]);
        assert!(names("none").is_empty());
        assert_eq!(names("dag"), ["lint"]);
        assert!(names("unit 1/2").is_empty());
    }

    #[test]
    fn job_not_found_lists_jobs() {
        let pipeline = pipeline(YAML);
        assert_eq!(
            job_not_found(&pipeline, "zzz"),
            "job `zzz` not found; the jobs are build, test, deploy, release"
        );
    }

    #[test]
    fn configuration_text_equals_value() {
        let yaml = "variables: {A: 1, B: {value: x, description: d}}\n\
            .base: {image: ruby:3.3, cache: {key: k, paths: [a]}}\n\
            a: {extends: .base, script: [x], parallel: {matrix: [{P: [1, 2]}]}}\n\
            b: {script: y, needs: [a], rules: [{if: $A == \"1\", when: manual}]}\n";
        let files = crate::MemoryFiles::new().with_file(".gitlab-ci.yml", yaml);
        let resolution = crate::resolve(".gitlab-ci.yml", &files, &Default::default());
        assert!(resolution.config.is_some());
        let value = configuration(&resolution).unwrap().unwrap();
        let text = configuration_text(&resolution).unwrap().unwrap();
        assert_eq!(text, serde_json::to_string(&value).unwrap());
    }

    #[test]
    fn configuration_text_of_merged_tree() {
        let yaml = "a: {script: x, variables: {A: 1}}\nb: [1, 2.5, true, null]\n";
        let files = crate::MemoryFiles::new().with_file(".gitlab-ci.yml", yaml);
        let mut resolution = crate::resolve(".gitlab-ci.yml", &files, &Default::default());
        // Without the typed model, both forms fall back to the merged tree.
        resolution.config = None;
        let value = configuration(&resolution).unwrap().unwrap();
        let text = configuration_text(&resolution).unwrap().unwrap();
        assert_eq!(text, serde_json::to_string(&value).unwrap());
    }

    #[test]
    fn pipeline_json_puts_configuration_diagnostics_first() {
        let yaml = "a: {script: x}\nb: {script: x, needs: [c]}\nb: {script: y, needs: [c]}\n";
        let files = crate::MemoryFiles::new().with_file(".gitlab-ci.yml", yaml);
        let context = crate::context::PipelineContext::push("main");
        let options = crate::pipeline::PlanOptions::default();
        let (resolution, planned) =
            crate::pipeline::plan(".gitlab-ci.yml", &files, &context, &options);
        let planned = planned.unwrap();
        let value = super::pipeline(&planned, &resolution).unwrap();
        let codes: Vec<&str> = value["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        let expected: Vec<&str> = resolution
            .diagnostics
            .iter()
            .map(|d| d.code)
            .chain(planned.diagnostics.iter().map(|d| d.code.as_str()))
            .collect();
        assert_eq!(codes.first(), Some(&"duplicate-key"));
        assert_eq!(codes, expected);
    }
}
