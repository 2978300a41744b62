//! The static plan: what a pipeline built from the configuration would contain, before any
//! pipeline-specific input (ref, source, variables) is known.
//!
//! The plan lists the stages in order and, in each, the jobs with the values that decide when
//! they start and where they run: the effective `when` and `allow_failure`, the `needs` edges,
//! the image and the runner tags. Jobs are taken as configured; `rules`, `only` and `except`
//! are not evaluated yet, so every job appears.
//!
//! The JSON form carries a [`Plan::version`] that changes whenever a field changes meaning or
//! disappears; new fields may be added without a version change.

use serde::Serialize;

use crate::config::keywords::trigger::ChildInclude;
use crate::config::{AllowFailure, Config, Job, JobKind, Need, SchedulingType, Trigger, When};

/// The version of the plan's JSON shape.
pub const PLAN_VERSION: u32 = 1;

/// The static plan of a configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Version of this JSON shape ([`PLAN_VERSION`]).
    pub version: u32,
    /// The stages that have jobs, in pipeline order. GitLab leaves stages without jobs out of
    /// the pipeline, so they are left out here too.
    pub stages: Vec<StagePlan>,
}

/// One stage and its jobs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StagePlan {
    /// The stage name.
    pub name: String,
    /// The stage's jobs in configuration order (parallel instances in expansion order).
    pub jobs: Vec<JobPlan>,
}

/// One job of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobPlan {
    /// The job name; parallel instances have their generated names (`test 1/3`).
    pub name: String,
    /// Regular job or trigger job (bridge).
    pub kind: JobKind,
    /// The job-level `when`, `on_success` when the job sets none.
    pub when: When,
    /// The delay of a `when: delayed` job, as written (`30 minutes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_in: Option<String>,
    /// Whether a failure of the job lets the pipeline continue: as written, or GitLab's
    /// default when the job sets nothing (`true` for `when: manual`, `false` otherwise).
    pub allow_failure: AllowFailure,
    /// Stage scheduling (waits for all earlier stages) or DAG scheduling (waits for `needs`).
    pub scheduling_type: SchedulingType,
    /// The `needs` edges of a DAG-scheduled job; absent for stage-scheduled jobs. An empty
    /// list means the job starts as soon as the pipeline does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs: Option<Vec<Need>>,
    /// The image the job requests, as written (variables are expanded by the runner).
    /// Absent when neither the job nor `default:` sets one, so the runner's default applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The runner tags the job requests. A runner must have all of them to run the job.
    pub tags: Vec<String>,
    /// The downstream pipeline of a trigger job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Downstream>,
}

/// The downstream pipeline of a trigger job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Downstream {
    /// A pipeline in another project.
    MultiProject {
        /// Full path of the downstream project.
        project: String,
        /// The branch to run; absent means the project's default branch.
        #[serde(skip_serializing_if = "Option::is_none")]
        branch: Option<String>,
    },
    /// A child pipeline in the same project.
    Child {
        /// The configuration files of the child pipeline, as written (`local`, `template`,
        /// `project` paths or `artifact` names).
        include: Vec<String>,
    },
}

impl Plan {
    /// Builds the plan of a resolved configuration.
    pub fn from_config(config: &Config) -> Plan {
        let mut stages: Vec<StagePlan> = config
            .stages
            .iter()
            .map(|name| StagePlan {
                name: name.clone(),
                jobs: Vec::new(),
            })
            .collect();
        for job in config.jobs.values() {
            let plan = JobPlan::from_job(job);
            match stages.iter_mut().find(|s| s.name == job.stage) {
                Some(stage) => stage.jobs.push(plan),
                // A job in an undeclared stage is an error GitLab reports; the plan still shows
                // the job, in a stage placed after the declared ones.
                None => stages.push(StagePlan {
                    name: job.stage.clone(),
                    jobs: vec![plan],
                }),
            }
        }
        stages.retain(|s| !s.jobs.is_empty());
        Plan {
            version: PLAN_VERSION,
            stages,
        }
    }

    /// Returns all jobs in stage order.
    pub fn jobs(&self) -> impl Iterator<Item = &JobPlan> {
        self.stages.iter().flat_map(|s| s.jobs.iter())
    }
}

impl JobPlan {
    fn from_job(job: &Job) -> JobPlan {
        let when = job.when.unwrap_or(When::OnSuccess);
        let needs = match job.scheduling_type {
            SchedulingType::Dag => Some(job.needs.clone().unwrap_or_default()),
            SchedulingType::Stage => None,
        };
        JobPlan {
            name: job.name.clone(),
            kind: job.kind,
            when,
            start_in: job.start_in.as_ref().map(|d| d.text.clone()),
            allow_failure: allow_failure(job.allow_failure.as_ref(), when),
            scheduling_type: job.scheduling_type,
            needs,
            image: job.image.as_ref().map(|image| image.name.clone()),
            tags: job.tags.as_deref().cloned().unwrap_or_default(),
            trigger: job.trigger.as_ref().map(downstream),
        }
    }
}

/// GitLab's rule: what the job writes wins (`{exit_codes}` meaning "only for these codes");
/// otherwise manual jobs may fail and all others may not.
fn allow_failure(written: Option<&AllowFailure>, when: When) -> AllowFailure {
    match written {
        Some(written) => written.clone(),
        None => AllowFailure::Bool(when == When::Manual),
    }
}

fn downstream(trigger: &Trigger) -> Downstream {
    match trigger {
        Trigger::Project(project) => Downstream::MultiProject {
            project: project.project.clone(),
            branch: project.branch.clone(),
        },
        Trigger::Child(child) => Downstream::Child {
            include: child
                .include
                .iter()
                .map(|item| include_location(&item.location))
                .collect(),
        },
    }
}

/// Formats a child pipeline include entry as one string: the path of a `local`, `template`,
/// `artifact` or `remote` include, `project:file` (files joined with `, `) for a project, and
/// the address of a component.
fn include_location(location: &ChildInclude) -> String {
    match location {
        ChildInclude::Local { local } => local.clone(),
        ChildInclude::Template { template } => template.clone(),
        ChildInclude::Artifact { artifact, .. } => artifact.clone(),
        ChildInclude::Project { project, file, .. } => format!("{project}:{}", file.join(", ")),
        ChildInclude::Component { component } => component.clone(),
        ChildInclude::Remote { remote } => remote.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ExitCode, JobNeed};
    use crate::source::Span;
    use indexmap::IndexMap;
    use serde_json::json;

    fn job(name: &str, stage: &str) -> Job {
        let mut job = Job::new(name.to_owned(), JobKind::Job, Span::default());
        job.stage = stage.to_owned();
        job
    }

    fn config(stages: &[&str], jobs: Vec<Job>) -> Config {
        let mut map = IndexMap::new();
        for job in jobs {
            map.insert(job.name.clone(), job);
        }
        Config {
            stages: stages.iter().map(|s| (*s).to_owned()).collect(),
            variables: IndexMap::new(),
            workflow: None,
            default: Default::default(),
            jobs: map,
            hidden: Vec::new(),
        }
    }

    fn need(name: &str) -> Need {
        Need::Job(JobNeed {
            job: name.to_owned(),
            artifacts: true,
            optional: false,
            parallel: None,
            span: Span::default(),
        })
    }

    #[test]
    fn stages_in_order_without_empty() {
        let plan = Plan::from_config(&config(
            &[".pre", "build", "test", "deploy", ".post"],
            vec![job("t", "test"), job("b", "build")],
        ));
        let names: Vec<&str> = plan.stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["build", "test"]);
    }

    #[test]
    fn jobs_keep_configuration_order() {
        let plan = Plan::from_config(&config(&["test"], vec![job("z", "test"), job("a", "test")]));
        let names: Vec<&str> = plan.jobs().map(|j| j.name.as_str()).collect();
        assert_eq!(names, ["z", "a"]);
    }

    #[test]
    fn undeclared_stage_goes_last() {
        let plan = Plan::from_config(&config(
            &["build", "test"],
            vec![job("x", "nope"), job("b", "build")],
        ));
        let names: Vec<&str> = plan.stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["build", "nope"]);
    }

    #[test]
    fn when_defaults_to_on_success() {
        let plan = Plan::from_config(&config(&["test"], vec![job("a", "test")]));
        assert_eq!(plan.stages[0].jobs[0].when, When::OnSuccess);
    }

    #[test]
    fn allow_failure_cases() {
        let codes = AllowFailure::ExitCodes {
            exit_codes: vec![ExitCode::from(1), ExitCode::from(137)],
        };
        let cases = [
            (None, When::OnSuccess, AllowFailure::Bool(false)),
            (None, When::Manual, AllowFailure::Bool(true)),
            (None, When::Delayed, AllowFailure::Bool(false)),
            (
                Some(AllowFailure::Bool(false)),
                When::Manual,
                AllowFailure::Bool(false),
            ),
            (
                Some(AllowFailure::Bool(true)),
                When::OnSuccess,
                AllowFailure::Bool(true),
            ),
            (Some(codes.clone()), When::Manual, codes.clone()),
        ];
        for (written, when, expected) in cases {
            assert_eq!(
                allow_failure(written.as_ref(), when),
                expected,
                "{written:?} {when:?}"
            );
        }
    }

    #[test]
    fn needs_only_for_dag_jobs() {
        let mut dag = job("d", "test");
        dag.scheduling_type = SchedulingType::Dag;
        dag.needs = Some(vec![need("b")]);
        let mut empty = job("e", "test");
        empty.scheduling_type = SchedulingType::Dag;
        empty.needs = Some(Vec::new());
        let plan = Plan::from_config(&config(&["test"], vec![dag, empty, job("s", "test")]));
        let jobs = &plan.stages[0].jobs;
        assert_eq!(jobs[0].needs, Some(vec![need("b")]));
        assert_eq!(jobs[1].needs, Some(Vec::new()));
        assert_eq!(jobs[2].needs, None);
    }

    #[test]
    fn delayed_keeps_start_in() {
        let mut delayed = job("later", "test");
        delayed.when = Some(When::Delayed);
        delayed.start_in = Some(crate::config::Duration {
            text: "30 minutes".into(),
            seconds: 1800,
        });
        let plan = Plan::from_config(&config(&["test"], vec![delayed]));
        assert_eq!(
            plan.stages[0].jobs[0].start_in.as_deref(),
            Some("30 minutes")
        );
    }

    /// Resolves `yaml` as a whole pipeline and returns the trigger of its job `bridge`.
    fn trigger_of(yaml: &str) -> Option<Downstream> {
        let files = crate::MemoryFiles::new().with_file(".gitlab-ci.yml", yaml);
        let resolution = crate::resolve(".gitlab-ci.yml", &files, &Default::default());
        assert!(
            !resolution.diagnostics.has_errors(),
            "{:?}",
            resolution.diagnostics
        );
        let plan = Plan::from_config(resolution.config.as_ref().unwrap());
        plan.jobs()
            .find(|j| j.name == "bridge")
            .unwrap()
            .trigger
            .clone()
    }

    #[test]
    fn downstream_cases() {
        let cases = [
            (
                "bridge: {trigger: group/project}",
                Downstream::MultiProject {
                    project: "group/project".into(),
                    branch: None,
                },
            ),
            (
                "bridge: {trigger: {project: g/p, branch: stable}}",
                Downstream::MultiProject {
                    project: "g/p".into(),
                    branch: Some("stable".into()),
                },
            ),
            (
                "bridge: {trigger: {include: child.yml}}",
                Downstream::Child {
                    include: vec!["child.yml".into()],
                },
            ),
            (
                "bridge: {trigger: {include: [{local: a.yml}, {project: g/p, file: [x.yml, y.yml]}]}}",
                Downstream::Child {
                    include: vec!["a.yml".into(), "g/p:x.yml, y.yml".into()],
                },
            ),
            (
                "bridge: {trigger: {include: [{artifact: gen.yml, job: gen}]}, needs: [gen]}\n\
                 gen: {stage: build, script: x}",
                Downstream::Child {
                    include: vec!["gen.yml".into()],
                },
            ),
        ];
        for (yaml, expected) in cases {
            assert_eq!(trigger_of(yaml), Some(expected), "{yaml}");
        }
    }

    #[test]
    fn json_has_version() {
        let plan = Plan::from_config(&config(&["test"], vec![job("a", "test")]));
        let value = serde_json::to_value(&plan).unwrap();
        assert_eq!(value["version"], json!(PLAN_VERSION));
        assert_eq!(value["stages"][0]["jobs"][0]["allow_failure"], json!(false));
        assert!(value["stages"][0]["jobs"][0].get("needs").is_none());
    }
}
