//! A deterministic simulation of a planned pipeline on a runner fleet: runner slots over time.
//!
//! [`simulate`] plays a [`Pipeline`] forward in whole seconds from its creation at time 0. Job
//! run times and failures come from a [`Durations`] file. The runners come from a
//! [`RunnerPool`]: hosts with `concurrent`, runners with `limit`, and for each job the runners
//! that can take it. The same inputs always give the same [`Schedule`].
//!
//! # Processing, as GitLab does it
//!
//! - A job without `needs` waits until every job of the earlier stages is complete; a job
//!   with `needs` waits for those jobs only. The predecessors' statuses are aggregated as
//!   GitLab's composite status does, then the job's `when` decides: `on_success`, `manual`
//!   and `delayed` run after success (after success or skipped jobs for a job without
//!   `needs`), `on_failure` only after a failure that is not allowed, `always` after success,
//!   failure or skipped jobs. Any other outcome skips the job, and jobs never run after a
//!   cancellation.
//! - A failed job with `allow_failure: true` (or one of its `exit_codes`) counts as success
//!   with warnings.
//! - Manual jobs stay `manual` unless [`ScheduleOptions::play`] names them; a played job is
//!   started as soon as it becomes manual. An unplayed optional manual job (`allow_failure:
//!   true`) is ignored by the stages after it, but a job that `needs` it is skipped; an
//!   unplayed blocking one holds back every later stage.
//! - A delayed job becomes pending `start_in` after its predecessors complete.
//! - Jobs with the same `resource_group` run one at a time, unless GitLab cannot save the
//!   expanded key (the plan's `resource-group-not-created` warning). The resource is taken
//!   when the job becomes ready and given back when it completes. GitLab's process modes
//!   (`unordered`, `oldest_first`, `newest_first`, `newest_ready_first`) order waiting jobs by
//!   pipeline, and within one pipeline every mode hands the resource to a job that is already
//!   waiting, so glplan gives it to the waiting job with the lowest job id in every mode.
//! - An attempt longer than the job's timeout fails at the timeout with
//!   `job_execution_timeout`. The timeout is the job's `timeout:`, else the project's (from
//!   the durations file), lowered to the runner's `maximum_timeout`.
//! - A failed attempt is retried as a new job (with a new, higher job id) while `retry:max`
//!   allows it and `retry:when` lists the failure reason or `always`, or `retry:exit_codes`
//!   lists the exit code. Failures from [`ScheduleOptions::fail`] and the durations file are
//!   `script_failure`s.
//! - With `workflow:auto_cancel:on_job_failure: all`, a failure that is not allowed cancels
//!   every job that has not completed.
//! - A job whose environment name is not valid after expansion is failed from time 0 with
//!   `environment_creation_failure`, whatever its `when`: GitLab saves it with that status
//!   when it creates the pipeline. It takes no runner, and as the status is set rather than
//!   reached, it is not retried and cancels nothing.
//! - Trigger jobs take no runner. The plan finds when GitLab cannot create a child pipeline:
//!   it is filtered out by `workflow:rules`, has no jobs or a configuration error, or breaks
//!   the depth or size limit of a pipeline hierarchy. Then the trigger job fails as soon as it
//!   starts, with `downstream_pipeline_creation_failed` or the limit's failure reason. Any
//!   other trigger job completes after the run time the durations file gives it (0 by
//!   default), because downstream pipelines are not simulated. So a `strategy: depend` or
//!   `strategy: mirror` trigger job does not wait for its downstream pipeline or take its
//!   status: give it the downstream pipeline's run time, and its failures, in the durations
//!   file.
//!
//! # Runners
//!
//! When a runner requests a job, GitLab hands it the pending job with the lowest job id among
//! those it can take. Job ids follow the pipeline's job order, and a retry gets a new id.
//!
//! Each host runs gitlab-runner's feeder (`feedRunners` in gitlab-runner's
//! `commands/multi.go`). It hands the host's n runners, in file order and round after round,
//! to a pool of `concurrent` workers, and sleeps `check_interval / n` after each one, so feed
//! k comes `floor(k * check_interval / n)` seconds after the pipeline's creation. The
//! hand-over is a send on an unbuffered channel, so it waits while every worker runs a job.
//! The feeder then stalls on that runner until a job of the host ends: the freed worker takes
//! the runner at that second, and the later feeds count from there.
//!
//! A worker given a runner requests jobs for it unless the runner already runs `limit` jobs
//! (0 is unlimited). A runner that gets a job is requeued without waiting, and a worker with
//! no job takes it at once. So at one feed a runner takes jobs until it reaches its `limit`,
//! until the host has no free worker, or until no job it can take is left. Feeds that come at the same
//! second are handled in host order, then in each host's feed order. A job no runner can take
//! stays pending and is reported as stuck; GitLab drops such a job after an hour, which
//! glplan does not model.
//!
//! NOTE: a job request takes no time in the model. gitlab-runner's requests can wait for a
//! job on GitLab's side (long polling) and keep their worker busy meanwhile. Also,
//! `request_concurrency` bounds how many requests a runner has in flight. Neither appears here.
//! `strict_check_interval` (no requeue after a job) and runners that the feeder skips
//! without waiting (unhealthy ones, such as a runner with an unknown executor) are not
//! modelled either.

mod durations;
mod feeder;
mod output;
mod sim;
mod status;

#[cfg(test)]
mod tests;

pub use durations::{
    DEFAULT_JOB_SECONDS, DEFAULT_PROJECT_TIMEOUT_SECONDS, DurationEntry, Durations, Failures,
    JobTiming, MIN_PROJECT_TIMEOUT_SECONDS, PROJECT_TIMEOUT_LIMIT_SECONDS,
};
pub use output::{
    Attempt, CriticalStep, JobStatus, RunnerUsage, Schedule, ScheduledJob, SlotWait, StuckJob,
};
pub use status::PipelineStatus;

use crate::config::When;
use crate::fleet::{Fleet, Matching};
use crate::pipeline::{Pipeline, PlannedJob};

/// One gitlab-runner process: a `config.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// Name shown in the output, usually the file name.
    pub name: String,
    /// `concurrent`: the maximum number of jobs the host runs at once. 0 runs nothing.
    pub concurrent: u32,
    /// `check_interval` in seconds: the length of one round of the feeder over the host's
    /// runners. 0 hands the runners over without sleeping, so a job starts the second it
    /// becomes pending if the host has a free worker and a runner below its `limit` can take
    /// it.
    pub check_interval: u64,
}

/// One `[[runners]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runner {
    /// `name`.
    pub name: String,
    /// Index of the runner's host in [`RunnerPool::hosts`].
    pub host: usize,
    /// `limit`: the maximum number of jobs the runner runs at once; 0 is unlimited.
    pub limit: u32,
    /// `maximum_timeout` in seconds, which lowers the timeout of the jobs it runs.
    pub maximum_timeout: Option<u64>,
}

/// The runners that can take one job.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Eligible {
    /// Indexes in [`RunnerPool::runners`], in any order.
    pub runners: Vec<usize>,
    /// Why no runner can take the job, shown when [`Eligible::runners`] is empty.
    pub reason: Option<String>,
}

/// The runners of a simulation, and which of them can take each job.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunnerPool {
    /// The hosts.
    pub hosts: Vec<Host>,
    /// The runners, in host order and, within a host, in file order.
    pub runners: Vec<Runner>,
    /// For each job of [`Pipeline::jobs`], in the same order, the runners that can take it.
    /// A job without an entry has no runner.
    pub eligible: Vec<Eligible>,
}

impl RunnerPool {
    /// Returns a pool where every job starts as soon as it is ready: one host and one runner
    /// without limits, which takes every job the second it becomes pending.
    pub fn unlimited(pipeline: &Pipeline) -> RunnerPool {
        RunnerPool {
            hosts: vec![Host {
                name: "unlimited".to_owned(),
                concurrent: u32::MAX,
                check_interval: 0,
            }],
            runners: vec![Runner {
                name: "unlimited".to_owned(),
                host: 0,
                limit: 0,
                maximum_timeout: None,
            }],
            eligible: pipeline
                .jobs
                .iter()
                .map(|_| Eligible {
                    runners: vec![0],
                    reason: None,
                })
                .collect(),
        }
    }

    /// Takes the hosts and runners of a parsed fleet, and each job's runners from the
    /// fleet's matching. A runner's slots are its [`crate::fleet::Runner::max_jobs`]. A job no
    /// runner can take gets every runner's rejection as its reason.
    pub fn from_fleet(fleet: &Fleet, matching: &Matching) -> RunnerPool {
        let hosts = fleet
            .hosts
            .iter()
            .map(|host| Host {
                name: host.name.clone(),
                concurrent: host.concurrent,
                check_interval: u64::from(host.check_interval),
            })
            .collect();
        let runners = fleet
            .runners
            .iter()
            .map(|runner| Runner {
                name: runner.name.clone(),
                host: runner.host,
                limit: runner.max_jobs().unwrap_or(0),
                maximum_timeout: runner.maximum_timeout,
            })
            .collect();
        let eligible = matching
            .jobs
            .iter()
            .map(|job| {
                let reason = job.eligible.is_empty().then(|| {
                    if job.rejected.is_empty() {
                        "the fleet has no runner".to_owned()
                    } else {
                        let reasons: Vec<&str> =
                            job.rejected.iter().map(|r| r.message.as_str()).collect();
                        reasons.join("; ")
                    }
                });
                Eligible {
                    runners: job.eligible.clone(),
                    reason,
                }
            })
            .collect();
        RunnerPool {
            hosts,
            runners,
            eligible,
        }
    }
}

/// What-if choices of a simulation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleOptions {
    /// Manual jobs to play as soon as they become manual: job names, or parallel base names
    /// that play every instance.
    pub play: Vec<String>,
    /// Jobs whose every attempt fails with exit code 1: job names or parallel base names.
    pub fail: Vec<String>,
}

/// Returns the names in `names` that name no job of `pipeline`, neither as a job name nor as
/// a parallel base name.
pub fn unknown_jobs<'n>(pipeline: &Pipeline, names: &'n [String]) -> Vec<&'n str> {
    names
        .iter()
        .filter(|name| selected_jobs(pipeline, name).next().is_none())
        .map(String::as_str)
        .collect()
}

/// Returns the names in `names` that select only jobs GitLab creates as failed, each with
/// GitLab's failure reason (see [`PlannedJob::creation_failure`]). GitLab cannot play such a
/// job, because it is already failed when the pipeline is created. A parallel base name is
/// returned only when every instance is created as failed, and a name that selects no job
/// is not returned (see [`unknown_jobs`]).
///
/// [`PlannedJob::creation_failure`]: crate::pipeline::PlannedJob::creation_failure
pub fn created_failed_jobs<'n>(
    pipeline: &Pipeline,
    names: &'n [String],
) -> Vec<(&'n str, &'static str)> {
    let mut found = Vec::new();
    for name in names {
        let mut selected = selected_jobs(pipeline, name);
        let Some(first) = selected.next() else {
            continue;
        };
        let Some(reason) = first.creation_failure() else {
            continue;
        };
        if selected.all(|job| job.creation_failure().is_some()) {
            found.push((name.as_str(), reason));
        }
    }
    found
}

/// Returns a warning for each name in `names` that selects only jobs that are neither manual
/// nor created as failed. [`simulate`] plays manual jobs only, so such a name changes nothing.
/// `option` names the option or field in the message, such as `--play`.
pub fn not_manual_play_warnings(
    pipeline: &Pipeline,
    names: &[String],
    option: &str,
) -> Vec<crate::Diagnostic> {
    let mut warnings = Vec::new();
    for name in names {
        let mut selected = selected_jobs(pipeline, name).peekable();
        let Some(first) = selected.peek().copied() else {
            continue;
        };
        if selected.any(|job| job.when == When::Manual || job.creation_failure().is_some()) {
            continue;
        }
        let message = format!(
            "{option} names job `{name}`, whose `when` is `{}`, not `manual`, so playing it \
             changes nothing",
            first.when.as_str()
        );
        let help = "name a job with `when: manual`, or leave the name out";
        warnings.push(crate::Diagnostic::warning("play-not-manual", message).with_help(help));
    }
    warnings
}

/// Returns the jobs of `pipeline` that `name` selects (see [`names_job`]).
fn selected_jobs<'p>(pipeline: &'p Pipeline, name: &str) -> impl Iterator<Item = &'p PlannedJob> {
    pipeline.jobs.iter().filter(move |job| names_job(name, job))
}

/// Returns whether `name` is the job's name or its parallel base name.
fn names_job(name: &str, job: &PlannedJob) -> bool {
    job.name == name
        || job
            .parallel
            .as_ref()
            .is_some_and(|parallel| parallel.base_name == name)
}

/// Simulates `pipeline` on `pool`, with run times and failures from `durations`.
///
/// ```
/// use glplan::MemoryFiles;
/// use glplan::context::PipelineContext;
/// use glplan::pipeline::{PlanOptions, plan};
/// use glplan::schedule::{Durations, RunnerPool, ScheduleOptions, simulate};
///
/// let yaml = "stages: [build, test]\nbuild: {stage: build, script: make}\ntest: {stage: test, script: make test}\n";
/// let files = MemoryFiles::new().with_file(".gitlab-ci.yml", yaml);
/// let context = PipelineContext::push("main");
/// let (_, pipeline) = plan(".gitlab-ci.yml", &files, &context, &PlanOptions::default());
/// let pipeline = pipeline.unwrap();
///
/// // Without a durations file every job runs 5 minutes.
/// let pool = RunnerPool::unlimited(&pipeline);
/// let schedule = simulate(&pipeline, &pool, &Durations::default(), &ScheduleOptions::default());
/// assert_eq!(schedule.job("test").unwrap().started_at, Some(300));
/// assert_eq!(schedule.duration, 600);
/// ```
pub fn simulate(
    pipeline: &Pipeline,
    pool: &RunnerPool,
    durations: &Durations,
    options: &ScheduleOptions,
) -> Schedule {
    sim::run(pipeline, pool, durations, options)
}
