//! The result of a simulation. Times are whole seconds after the pipeline was created.

use serde::Serialize;

use super::status::PipelineStatus;

/// A simulated pipeline run. Times are whole seconds after the pipeline was created.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct Schedule {
    /// The pipeline's status when nothing more can happen: `success`, `failed`, `canceled`,
    /// `skipped`, `manual` (blocked by a manual job), or `running` while a trigger job waits
    /// for a child pipeline that does not finish. The jobs of child pipelines count only
    /// through their trigger jobs.
    pub status: PipelineStatus,
    /// Whether every job completed or was left as an optional manual job, so the pipeline
    /// finished. The jobs of child pipelines count only through their trigger jobs.
    pub finished: bool,
    /// Seconds from the pipeline's creation to the end of its last job, the jobs of child
    /// pipelines included.
    pub duration: u64,
    /// When the pipeline's own last job ended, once the pipeline finished, and only when it
    /// created child pipelines. A child pipeline counts through its trigger job, so one whose
    /// trigger job has no `strategy` can end after this, and `duration` is then longer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
    /// Every job, in the pipeline's job order, then the jobs of each child pipeline that was
    /// created, depth first in the order of their trigger jobs.
    pub jobs: Vec<ScheduledJob>,
    /// The child pipelines that were created, in the order of their jobs in `jobs`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pipelines: Vec<ChildPipeline>,
    /// Every runner, in the pool's order.
    pub runners: Vec<RunnerUsage>,
    /// The chain of jobs that ends last, first job first: each job became ready when the one
    /// before it completed (or released the resource group it waited for). A job can appear
    /// more than once: a retry that waited for another job's turn in the resource group is a
    /// step of its own. No step starts before the one before it ended, so the steps' run
    /// times add up to at most `duration`.
    pub critical_path: Vec<CriticalStep>,
    /// The jobs that waited longest between becoming pending and starting, longest first
    /// (at most five).
    pub longest_waits: Vec<SlotWait>,
    /// Jobs that GitLab dropped because they stayed pending: after an hour when no runner can
    /// take them (failure reason `stuck_pending_no_matching_runners`), after a day when the
    /// runners that can take them have no free slot (`stuck_pending_with_matching_runners`).
    pub stuck: Vec<StuckJob>,
}

impl Schedule {
    /// Returns the simulated job called `name`: for a job of a child pipeline, its name with
    /// the trigger jobs in front, as in `deploy/rspec`.
    pub fn job(&self, name: &str) -> Option<&ScheduledJob> {
        self.jobs.iter().find(|job| job.name == name)
    }
}

/// A child pipeline that a trigger job created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct ChildPipeline {
    /// The trigger job that created it, by its name in `jobs`, such as `deploy` or
    /// `deploy/inner`. Its jobs' names start with this name and `/`.
    pub trigger: String,
    /// Index in the schedule's `jobs` of the trigger job that created it.
    pub trigger_index: usize,
    /// The trigger job's `trigger:strategy`: `depend`, `mirror`, or absent when the trigger job
    /// succeeds as soon as the child pipeline is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// The child pipeline's status when nothing more can happen, as the pipeline's `status`.
    pub status: PipelineStatus,
    /// Whether every job of the child pipeline completed or was left as an optional manual
    /// job.
    pub finished: bool,
    /// When the trigger job created it.
    pub created_at: u64,
    /// When its last job ended, once it finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
}

/// A job's final status in the simulation, with GitLab's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Never became ready: a job it waits for never completed.
    Created,
    /// Ready, but another job keeps its resource group until the end.
    WaitingForResource,
    /// A manual job that was not played.
    Manual,
    /// Started and never ended: a trigger job with `strategy: depend` or `mirror` whose child
    /// pipeline does not finish.
    Running,
    /// Succeeded.
    Success,
    /// Failed (with `allow_failure`, a warning).
    Failed,
    /// Canceled by `auto_cancel:on_job_failure`.
    Canceled,
    /// Skipped because of its predecessors' result and its `when`.
    Skipped,
}

impl JobStatus {
    /// Returns GitLab's name of the status, as the JSON output writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Created => "created",
            JobStatus::WaitingForResource => "waiting_for_resource",
            JobStatus::Manual => "manual",
            JobStatus::Running => "running",
            JobStatus::Success => "success",
            JobStatus::Failed => "failed",
            JobStatus::Canceled => "canceled",
            JobStatus::Skipped => "skipped",
        }
    }
}

/// One job's simulated run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct ScheduledJob {
    /// Job name; in a child pipeline, with the trigger jobs in front, as in `deploy/rspec`.
    pub name: String,
    /// The `trigger` of the child pipeline the job belongs to; absent for the jobs of the
    /// pipeline itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<String>,
    /// Index in the schedule's `pipelines` of the child pipeline the job belongs to; absent
    /// for the jobs of the pipeline itself. Unlike `pipeline`, it stays unique when a job name
    /// that contains `/` makes two pipelines' names equal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_index: Option<usize>,
    /// Stage.
    pub stage: String,
    /// Final status.
    pub status: JobStatus,
    /// Whether a failure is allowed (`allow_failure`), so it counts as a warning.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allowed_failure: bool,
    /// The runner of the last attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner: Option<String>,
    /// The slot of the last attempt on its runner, from 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot: Option<u32>,
    /// When the first attempt became pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queued_at: Option<u64>,
    /// When the job first started. An attempt that GitLab dropped while it was pending never
    /// starts, so this is absent when GitLab dropped every attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<u64>,
    /// When the last attempt ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
    /// GitLab's failure reason of the last attempt (`script_failure`,
    /// `job_execution_timeout`, `runner_system_failure`, `stuck_pending_no_matching_runners`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// The reason the job did not run or did not finish, or the reason its runner failed its
    /// last attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Every attempt, retries included, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<Attempt>,
}

/// One attempt of a job: the first run or a retry. GitLab creates each retry as a new job, so
/// a retry that still waits for its resource group when the simulation ends is an attempt
/// too, without a runner or times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct Attempt {
    /// The runner. Absent for a trigger job, for a retry that waits for its resource group,
    /// and for an attempt that ended without starting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner: Option<String>,
    /// The slot on the runner, from 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot: Option<u32>,
    /// When the attempt became pending. Absent for a retry that waits for its resource group,
    /// or that was canceled while it waited for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queued_at: Option<u64>,
    /// When it started. Absent for a retry that waits for its resource group and for an
    /// attempt that ended without starting: one that GitLab dropped while it was pending, or a
    /// retry that `auto_cancel:on_job_failure` canceled before it started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<u64>,
    /// When it ended, or was dropped or canceled before it started. Absent for a retry that
    /// waits for its resource group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
    /// `success`, `failed` or `canceled`. The attempt of a trigger job with `strategy: mirror`
    /// whose child pipeline was skipped is `skipped`, and a retry that waits for its resource
    /// group is `waiting_for_resource`.
    pub status: JobStatus,
    /// GitLab's failure reason, for a failed attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// For an attempt that GitLab dropped while it was pending, the reason no runner took it:
    /// the same text as the job's entry in the schedule's `stuck`. For an attempt that its
    /// runner failed because of the runner's settings, which runner failed it and how, and
    /// whether another runner that can take the job runs it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// How much one runner worked.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct RunnerUsage {
    /// Runner name.
    pub name: String,
    /// Host name.
    pub host: String,
    /// Attempts it ran.
    pub jobs: u32,
    /// Seconds of job run time, summed over its slots.
    pub busy: u64,
    /// The maximum number of jobs it ran at once.
    pub peak: u32,
    /// `busy` divided by (slots × pipeline duration), from 0 to 1. The slots are `limit`,
    /// lowered to the host's `concurrent`; for a runner without either limit, its peak.
    pub utilisation: f64,
}

/// A job of the critical path: one or more consecutive attempts of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct CriticalStep {
    /// Job name.
    pub job: String,
    /// When it became ready (pending, or waiting for its resource group or timer).
    pub ready_at: u64,
    /// When the step's first attempt started, or GitLab dropped it while it was pending.
    pub started_at: u64,
    /// When the step's last attempt ended.
    pub finished_at: u64,
}

/// A job that waited for a runner slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct SlotWait {
    /// Job name.
    pub job: String,
    /// Seconds between becoming pending and starting, or being dropped while pending, summed
    /// over its attempts.
    pub wait: u64,
    /// The runner that finally took it.
    pub runner: String,
}

/// A job that GitLab dropped because it stayed pending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct StuckJob {
    /// Job name.
    pub job: String,
    /// The reason no runner took it.
    pub reason: String,
}
