//! The runner information of `glplan plan --runners ... --format json`: the fleet, and for each
//! job the runners that can take it and why the others cannot.

use serde::Serialize;
use serde_json::Value;

use crate::diagnostic::Diagnostics;
use crate::fleet::{Fleet, JobMatch, MatchContext, Matching, Rejection, check, match_jobs};
use crate::pipeline::Pipeline;
use crate::source::{FileId, SourceMap};

/// A fleet parsed from runner files, with its matching against one pipeline.
#[derive(Debug, Clone)]
pub struct MatchedFleet {
    /// The hosts and runners.
    pub fleet: Fleet,
    /// Each job's eligible runners.
    pub matching: Matching,
    /// Diagnostics of the runner files, then those of the executor checks.
    pub diagnostics: Diagnostics,
}

impl MatchedFleet {
    /// Parses the runner files as one fleet, matches the pipeline's jobs to its runners and
    /// runs the executor checks. Each file must already be in `sources` under its `FileId`, so
    /// that the diagnostics have positions.
    pub fn new(
        files: &[(FileId, &str)],
        pipeline: &Pipeline,
        context: &MatchContext,
        sources: &SourceMap,
    ) -> Self {
        let (mut fleet, parsed) = Fleet::parse(files, sources);
        let mut matching = match_jobs(pipeline, &fleet, context);
        let mut checked = check(pipeline, &fleet, &matching, sources);
        // The matching and the checks read the jobs' real tags and images, so what they
        // report can show masked values.
        mask_rejections(&mut matching, pipeline);
        // A child job's diagnostic can show the child's own masked values, so every
        // pipeline's masker applies.
        let mut pipelines = vec![pipeline];
        let mut next = 0;
        while let Some(current) = pipelines.get(next).copied() {
            pipelines.extend(
                current
                    .jobs
                    .iter()
                    .filter_map(crate::schedule::simulated_child),
            );
            next += 1;
        }
        for diagnostic in &mut checked {
            for masked in &pipelines {
                masked.masker.mask_diagnostic(diagnostic);
            }
        }
        let masker = &pipeline.masker;
        // A runner tag equal to a masked value would show it beside the jobs' masked tags.
        for tag in fleet.runners.iter_mut().flat_map(|runner| &mut runner.tags) {
            *tag = masker.mask_owned(std::mem::take(tag));
        }
        let mut diagnostics = Diagnostics::new();
        diagnostics.extend(parsed);
        diagnostics.extend(checked);
        MatchedFleet {
            fleet,
            matching,
            diagnostics,
        }
    }

    /// Returns the name of the runner at `index` in [`Fleet::runners`].
    fn runner_name(&self, index: usize) -> &str {
        self.fleet
            .runners
            .get(index)
            .map_or("", |runner| runner.name.as_str())
    }

    /// Returns the `runners` object of job `name`, or `None` for a name the matching does not
    /// list.
    pub fn job_runners(&self, name: &str) -> Option<JobRunners<'_>> {
        self.runners_in(&self.matching, name)
    }

    /// Returns the `runners` object of job `name` of the pipeline that `matching` belongs to:
    /// [`MatchedFleet::matching`] or the matching of one of its child pipelines.
    pub(super) fn runners_in<'a>(
        &'a self,
        matching: &'a Matching,
        name: &str,
    ) -> Option<JobRunners<'a>> {
        matching.job(name).map(|found| JobRunners::new(self, found))
    }
}

/// Returns the matching of the child pipeline that trigger job `trigger` creates, when the
/// matching has one: only for a child pipeline that GitLab creates.
pub(super) fn child_matching<'a>(matching: &'a Matching, trigger: &str) -> Option<&'a Matching> {
    matching
        .children
        .iter()
        .find(|child| child.trigger == trigger)
        .map(|child| &child.matching)
}

/// Masks the rejections and runner failures of `pipeline`'s jobs, and of its child
/// pipelines' jobs with each child's masked values.
fn mask_rejections(matching: &mut Matching, pipeline: &Pipeline) {
    let masker = &pipeline.masker;
    for failure in matching.jobs.iter_mut().flat_map(|job| &mut job.failing) {
        failure.message = masker.mask_owned(std::mem::take(&mut failure.message));
    }
    for rejection in matching.jobs.iter_mut().flat_map(|job| &mut job.rejected) {
        rejection.message = masker.mask_owned(std::mem::take(&mut rejection.message));
        if let Rejection::MissingTags { tags } = &mut rejection.reason {
            for tag in tags {
                *tag = masker.mask_owned(std::mem::take(tag));
            }
        }
    }
    for child in &mut matching.children {
        let downstream = pipeline
            .job(&child.trigger)
            .and_then(crate::schedule::simulated_child);
        if let Some(downstream) = downstream {
            mask_rejections(&mut child.matching, downstream);
        }
    }
}

/// The runners of one job in the JSON of `plan`.
#[derive(Debug, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct JobRunners<'a> {
    /// Whether the job needs a runner; trigger jobs run in GitLab itself.
    pub needs_runner: bool,
    /// The names of the runners GitLab may hand the job to, in fleet order.
    pub eligible: Vec<&'a str>,
    /// Whether the job needs a runner and no runner can take it.
    pub stuck: bool,
    /// Every other runner, with the first reason GitLab skips it.
    pub rejected: Vec<RejectedRunner<'a>>,
}

impl<'a> JobRunners<'a> {
    fn new(fleet: &'a MatchedFleet, found: &'a JobMatch) -> Self {
        let eligible = found
            .eligible
            .iter()
            .map(|&index| fleet.runner_name(index))
            .collect();
        let rejected = found
            .rejected
            .iter()
            .map(|rejection| RejectedRunner {
                runner: fleet.runner_name(rejection.runner),
                reason: &rejection.reason,
                message: &rejection.message,
            })
            .collect();
        JobRunners {
            needs_runner: found.needs_runner,
            eligible,
            stuck: found.stuck,
            rejected,
        }
    }
}

/// A runner that cannot take a job, by name, with the reason's fields beside it.
#[derive(Debug, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct RejectedRunner<'a> {
    /// The runner's name.
    pub runner: &'a str,
    /// The first reason, as `reason` and the reason's own fields.
    #[serde(flatten)]
    pub reason: &'a Rejection,
    /// The reason as a sentence, naming the runner.
    pub message: &'a str,
}

/// Adds the fleet and each job's runners to the JSON of a pipeline ([`super::pipeline`]). Each
/// job that the matching lists gets a `runners` object ([`JobRunners`]): the jobs of the
/// pipeline and those of each child pipeline that GitLab creates, in the trigger job's
/// `downstream`. A top-level `fleet` lists the hosts and runners.
pub fn add_runners(value: &mut Value, fleet: &MatchedFleet) -> serde_json::Result<()> {
    if let Some(jobs) = value.get_mut("jobs") {
        add_job_runners(jobs, fleet, &fleet.matching)?;
    }
    if let Value::Object(object) = value {
        object.insert("fleet".into(), serde_json::to_value(&fleet.fleet)?);
    }
    Ok(())
}

/// Adds a `runners` object to each job of the `jobs` array that `matching` lists, then does the
/// same in the `downstream` pipeline of each trigger job whose child pipeline `matching` has.
fn add_job_runners(
    jobs: &mut Value,
    fleet: &MatchedFleet,
    matching: &Matching,
) -> serde_json::Result<()> {
    let Value::Array(jobs) = jobs else {
        return Ok(());
    };
    for job in jobs {
        let Value::Object(object) = job else {
            continue;
        };
        let Some(name) = object.get("name").and_then(Value::as_str) else {
            continue;
        };
        let name = name.to_owned();
        if let Some(runners) = fleet.runners_in(matching, &name) {
            object.insert("runners".into(), serde_json::to_value(runners)?);
        }

        let Some(child) = child_matching(matching, &name) else {
            continue;
        };
        let downstream_jobs = object
            .get_mut("trigger")
            .and_then(|trigger| trigger.get_mut("downstream"))
            .and_then(|downstream| downstream.get_mut("jobs"));
        if let Some(downstream_jobs) = downstream_jobs {
            add_job_runners(downstream_jobs, fleet, child)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIPELINE: &str = "build: {script: x, tags: [docker]}\n\
        deploy: {script: x, tags: [shell]}\n\
        downstream: {trigger: other/project}\n";

    fn matched() -> (Value, MatchedFleet) {
        let (resolution, pipeline, fleet) = super::super::plan_with_docker_runner(PIPELINE);
        let value = super::super::pipeline(&pipeline, &resolution).unwrap();
        (value, fleet)
    }

    fn job<'a>(value: &'a Value, name: &str) -> &'a Value {
        value["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|job| job["name"] == name)
            .unwrap()
    }

    #[test]
    fn eligible_runner_by_name() {
        let (mut value, fleet) = matched();
        add_runners(&mut value, &fleet).unwrap();
        let runners = &job(&value, "build")["runners"];
        assert_eq!(runners["eligible"], serde_json::json!(["docker-1"]));
        assert_eq!(runners["stuck"], false);
        assert_eq!(runners["rejected"], serde_json::json!([]));
    }

    #[test]
    fn rejected_runner_by_name_and_reason() {
        let (mut value, fleet) = matched();
        add_runners(&mut value, &fleet).unwrap();
        let runners = &job(&value, "deploy")["runners"];
        assert_eq!(runners["stuck"], true);
        let rejected = &runners["rejected"][0];
        let keys: Vec<&str> = rejected
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["runner", "reason", "tags", "message"]);
        assert_eq!(rejected["runner"], "docker-1");
        assert_eq!(rejected["reason"], "missing_tags");
        assert_eq!(rejected["tags"], serde_json::json!(["shell"]));
    }

    #[test]
    fn trigger_job_needs_no_runner() {
        let (mut value, fleet) = matched();
        add_runners(&mut value, &fleet).unwrap();
        let runners = &job(&value, "downstream")["runners"];
        assert_eq!(runners["needs_runner"], false);
        assert_eq!(runners["stuck"], false);
    }

    #[test]
    fn fleet_after_jobs() {
        let (mut value, fleet) = matched();
        add_runners(&mut value, &fleet).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.last(), Some(&"fleet"));
        assert_eq!(value["fleet"]["runners"][0]["name"], "docker-1");
    }

    /// A parent whose trigger job `t` creates a child pipeline, whose trigger job `inner`
    /// creates a grandchild.
    const FAMILY: [(&str, &str); 3] = [
        (
            ".gitlab-ci.yml",
            "build: {script: x, tags: [docker]}\nt: {trigger: {include: child.yml}}\n",
        ),
        (
            "child.yml",
            "unit: {script: x, tags: [docker]}\ngpu: {script: x, tags: [gpu]}\n\
             inner: {trigger: {include: grandchild.yml}}\n",
        ),
        ("grandchild.yml", "deep: {script: x, tags: [docker]}\n"),
    ];

    fn family() -> Value {
        let (resolution, pipeline, fleet) = super::super::plan_files_with_docker_runner(&FAMILY);
        let mut value = super::super::pipeline(&pipeline, &resolution).unwrap();
        add_runners(&mut value, &fleet).unwrap();
        value
    }

    #[test]
    fn child_jobs_get_runners() {
        let value = family();
        let child = &job(&value, "t")["trigger"]["downstream"];
        let unit = &job(child, "unit")["runners"];
        assert_eq!(unit["eligible"], serde_json::json!(["docker-1"]));
        assert_eq!(unit["stuck"], false);
        let gpu = &job(child, "gpu")["runners"];
        assert_eq!(gpu["stuck"], true);
        assert_eq!(gpu["rejected"][0]["reason"], "missing_tags");
        assert_eq!(gpu["rejected"][0]["tags"], serde_json::json!(["gpu"]));
        assert_eq!(job(child, "inner")["runners"]["needs_runner"], false);
    }

    #[test]
    fn grandchild_jobs_get_runners() {
        let value = family();
        let child = &job(&value, "t")["trigger"]["downstream"];
        let grandchild = &job(child, "inner")["trigger"]["downstream"];
        let deep = &job(grandchild, "deep")["runners"];
        assert_eq!(deep["eligible"], serde_json::json!(["docker-1"]));
    }

    #[test]
    fn child_pipeline_has_no_fleet() {
        let value = family();
        let child = &job(&value, "t")["trigger"]["downstream"];
        assert!(child.get("fleet").is_none(), "{child:#}");
        assert!(value.get("fleet").is_some());
    }

    #[test]
    fn stuck_job_is_diagnosed() {
        let (_, fleet) = matched();
        assert!(
            fleet
                .diagnostics
                .iter()
                .any(|d| d.code == "fleet-stuck-job"),
            "{:?}",
            fleet.diagnostics
        );
    }
}
