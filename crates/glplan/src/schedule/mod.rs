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
//! - A delayed job becomes pending `start_in` after its predecessors complete. A trigger job
//!   that `rules` make `delayed` starts at once, because GitLab never delays a trigger job.
//! - Jobs with the same `resource_group` run one at a time, unless GitLab cannot save the
//!   expanded key (the plan's `resource-group-not-created` warning). The resource is taken
//!   when the job becomes ready and given back when it completes. GitLab's process modes
//!   (`unordered`, `oldest_first`, `newest_first`, `newest_ready_first`) order waiting jobs by
//!   pipeline, and within one pipeline every mode hands the resource to a job that is already
//!   waiting, so glplan gives it to the waiting job with the lowest job id in every mode.
//!   NOTE: a child pipeline's jobs wait in the same groups as its parent's. Their job ids are
//!   higher, so they come after the parent's waiting jobs, as with `oldest_first`, but
//!   `newest_first` and `newest_ready_first` would serve the newer child pipeline first.
//! - An attempt longer than the job's timeout fails at the timeout with
//!   `job_execution_timeout`. The timeout is the job's `timeout:`, else the project's (from
//!   the durations file), lowered to the runner's `maximum_timeout`.
//! - A runner whose settings make gitlab-runner fail the job
//!   ([`crate::fleet::JobMatch::failing`]) fails each attempt it takes. A failure before the
//!   script is a `runner_system_failure`. It comes after 9 seconds (three tries of the
//!   executor's `Prepare`, 3 seconds apart), or after 1 second when the Kubernetes executor
//!   cannot create the job pod. A failure in the script (a Docker client that cannot reach its daemon) is
//!   a `script_failure` with exit code 1 at the job's run time. The other eligible runners run
//!   the job as usual, so which one takes an attempt decides its outcome.
//! - A failed attempt is retried as a new job (with a new, higher job id) while `retry:max`
//!   allows it and `retry:when` lists the failure reason or `always`, or `retry:exit_codes`
//!   lists the exit code. The retry goes to whichever eligible runner requests a job first,
//!   as in GitLab. Failures from [`ScheduleOptions::fail`] and the durations file are
//!   `script_failure`s.
//! - With `workflow:auto_cancel:on_job_failure: all`, a failure that is not allowed cancels
//!   every job that has not completed.
//! - A cycle among the `needs` of one stage, which only `rules:needs` can close, stops
//!   GitLab's processing at that stage. The earlier stages run, but no job of that stage or of
//!   a later one leaves `created`, and the pipeline's status stays `created`. Only canceling
//!   the pipeline (through `workflow:auto_cancel:on_job_failure: all`) moves the jobs on.
//! - A job whose environment name is not valid after expansion is failed from time 0 with
//!   `environment_creation_failure`, whatever its `when`: GitLab saves it with that status
//!   when it creates the pipeline. It takes no runner, and as the status is set rather than
//!   reached, it is not retried and cancels nothing.
//! - Trigger jobs take no runner. The plan finds when GitLab cannot create a child pipeline:
//!   it is filtered out by `workflow:rules`, has no jobs or a configuration error, or breaks
//!   the depth limit of a pipeline hierarchy. Then the trigger job fails as soon as it
//!   starts, with `downstream_pipeline_creation_failed` or the limit's failure reason.
//! - A trigger job that starts when the pipeline hierarchy already has 1,000 pipelines
//!   ([`Limits::max_pipeline_hierarchy_size`](crate::Limits)) fails with
//!   `reached_max_pipeline_hierarchy_size`, as in GitLab, which counts the pipelines that
//!   exist at that moment. The simulation counts the top pipeline and one downstream pipeline
//!   for each trigger job attempt that started without failing, multi-project ones included.
//!   A trigger job that fails because its child pipeline has a configuration error counts
//!   too: GitLab saves that child as failed (`config_error`) and links it to the trigger job
//!   before it reads the child's configuration. A child filtered out by `workflow:rules` or
//!   left without jobs (`filtered_by_workflow_rules`, `filtered_by_rules`) is not saved.
//!   The plan plans child pipelines up to the limit in plan order, so a trigger job that
//!   starts below the limit can have no planned child pipeline. Its child pipeline is counted
//!   but not simulated, as for any other child pipeline that was not planned.
//!   NOTE: the downstream pipelines of a pipeline that is not simulated (a multi-project
//!   pipeline, or a child pipeline left unplanned) are not known, so they are not counted.
//!   Near the limit, the simulated trigger jobs can then create more pipelines than in GitLab.
//! - A trigger job whose child pipeline was planned creates that pipeline when it starts, and
//!   the child's jobs enter the same simulation (see [Child pipelines](#child-pipelines)).
//! - Any other trigger job, such as a multi-project trigger (`trigger:project`) or one whose
//!   child configuration was not available, completes after the run time the durations file
//!   gives it (0 by default), because its downstream pipeline is not simulated. So such a
//!   `strategy: depend` or `strategy: mirror` trigger job does not wait for its downstream
//!   pipeline or take its status: give it the downstream pipeline's run time, and its
//!   failures, in the durations file. Such a failure has no failure reason, as when GitLab
//!   fails the trigger job for its downstream pipeline's status. A trigger job without a
//!   strategy fails only when GitLab cannot create the downstream pipeline, so a failure
//!   from the durations file gets `downstream_pipeline_creation_failed`.
//!
//! # Child pipelines
//!
//! A child pipeline is created at the second its trigger job starts. Its jobs get job ids
//! after every job created before, so a runner that can take jobs of both pipelines takes the
//! parent's pending jobs first. They follow their own stages, `needs`, `when`,
//! `allow_failure`, manual jobs, retries and `workflow:auto_cancel`, and compete for the same
//! runners. Resource groups belong to the project, so parent and child jobs with the same
//! `resource_group` key wait for each other. A child's trigger jobs create grandchild
//! pipelines the same way, as deep as the plan planned them (GitLab allows two levels below
//! the top pipeline).
//!
//! A child pipeline's jobs are named after the trigger jobs that lead to them:
//! `deploy/rspec` is job `rspec` of the pipeline that trigger job `deploy` creates, and
//! `deploy/inner/rspec` a job of a grandchild. [`ScheduleOptions`], the durations file and the
//! output use these names. [`ScheduleOptions`] and the durations file also take the name built
//! from parallel base names, which selects a job in the child pipelines of every instance of a
//! parallel trigger job. Job names may contain `/`, so both also take a [`JobSelector::Path`],
//! the whole names from the top pipeline down, which selects one of the jobs that share a name.
//!
//! How the trigger job ends depends on `trigger:strategy`, as in GitLab's `Ci::Bridge`:
//!
//! - Without a strategy, it succeeds at the second it starts, and its successors do not wait
//!   for the child pipeline, which runs on.
//! - With `depend`, it runs until the child pipeline completes, then takes its status:
//!   `success`, `failed`, or `canceled`, and `failed` for a `skipped` child (one with only
//!   optional manual jobs left, for example). A child blocked by a manual job never
//!   completes, so the trigger job stays `running`.
//! - With `mirror` (GitLab 18.2 and later), it takes the child's status as `depend` does, but a
//!   `skipped` child skips it, and a child blocked by a manual job makes it `manual`. It then
//!   blocks its own pipeline, unless it has `allow_failure: true`, which makes it ignored there.
//!
//! Such a trigger job takes no run time or failures from the durations file, because its
//! child pipeline decides both. [`ScheduleOptions::fail`] still fails it, as GitLab fails a
//! trigger job that cannot create its child pipeline: at its start, with
//! `downstream_pipeline_creation_failed`, and without a child pipeline.
//! `workflow:auto_cancel:on_job_failure: all` cancels the pipeline of the failed job and the
//! child pipelines created under it, as GitLab's pipeline cancellation does by default.
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
//! until the host has no free worker, or until no job it can take is left. A runner with
//! `strict_check_interval = true` is not requeued after a job, so it takes at most one job
//! per feed. Feeds that come at the same
//! second are handled in host order, then in each host's feed order.
//!
//! GitLab drops a job that no runner can take after an hour pending, with the failure reason
//! `stuck_pending_no_matching_runners`, and any job after a day pending, with
//! `stuck_pending_with_matching_runners`. Such a job fails without a runner or a start, is
//! retried as other failures are, and is listed in [`Schedule::stuck`].
//!
//! On a host with `concurrent = 0`, gitlab-runner's `run` command exits at start, so the
//! host's runners request no job. GitLab then finds no online runner for a job that only they
//! match, and drops it after an hour as one that no runner can take.
//! NOTE: GitLab counts a runner as online for 2 hours after its last contact
//! (`Ci::Runner::ONLINE_CONTACT_TIMEOUT`), so a runner whose process stopped less than 2 hours
//! before the pipeline still counts, and GitLab drops the job later than the model does.
//!
//! NOTE: a job request takes no time in the model. gitlab-runner's requests can wait for a
//! job on GitLab's side (long polling) and keep their worker busy meanwhile. Also,
//! `request_concurrency` bounds how many requests a runner has in flight. Neither appears here.
//! Runners that the feeder skips without waiting (unhealthy ones, such as a runner with an
//! unknown executor) are not modelled either.

mod durations;
mod feeder;
mod layout;
mod output;
mod selector;
mod sim;
mod status;

#[cfg(test)]
mod child_tests;
#[cfg(test)]
mod failure_tests;
#[cfg(test)]
mod tests;

pub use durations::{
    DEFAULT_JOB_SECONDS, DEFAULT_PROJECT_TIMEOUT_SECONDS, DurationEntry, Durations, EmptyClass,
    Failures, JobTiming, MIN_PROJECT_TIMEOUT_SECONDS, PROJECT_TIMEOUT_LIMIT_SECONDS, UnclosedGlob,
};
pub use output::{
    Attempt, ChildPipeline, CriticalStep, JobStatus, RunnerUsage, Schedule, ScheduledJob, SlotWait,
    StuckJob,
};
pub use selector::JobSelector;
pub use status::PipelineStatus;

pub(crate) use layout::simulated_child;

use crate::config::When;
use crate::fleet::{Fleet, Matching, RunnerFailure};
use crate::pipeline::Pipeline;

use durations::JobNames;
use layout::{Layout, LayoutJob};
use selector::PathLevel;

/// One gitlab-runner process: a `config.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// Name shown in the output, usually the file name.
    pub name: String,
    /// `concurrent`: the maximum number of jobs the host runs at once. With 0 gitlab-runner
    /// exits at start, so the host's runners take no job.
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
    /// `strict_check_interval`: the runner takes at most one job per feed, because
    /// gitlab-runner does not requeue it after a job.
    pub strict_check_interval: bool,
}

/// The runners that can take one job.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Eligible {
    /// Indexes in [`RunnerPool::runners`], in any order.
    pub runners: Vec<usize>,
    /// Why no runner can take the job, shown when [`Eligible::runners`] is empty.
    pub reason: Option<String>,
    /// The runners of [`Eligible::runners`] that take the job and fail it, with
    /// [`RunnerFailure::runner`] an index in [`RunnerPool::runners`].
    pub failing: Vec<RunnerFailure>,
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
    /// The runners of the jobs of the simulated child pipelines (see [`simulate`]). The jobs of
    /// a child pipeline without an entry have no runner.
    pub children: Vec<ChildEligible>,
}

/// The runners that can take the jobs of one child pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChildEligible {
    /// The name of the trigger job that creates the child pipeline, in its parent pipeline.
    pub trigger: String,
    /// For each job of the child pipeline, in its job order, the runners that can take it.
    pub eligible: Vec<Eligible>,
    /// The same for the child pipeline's own child pipelines.
    pub children: Vec<ChildEligible>,
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
                strict_check_interval: false,
            }],
            eligible: unlimited_eligible(pipeline),
            children: unlimited_children(pipeline),
        }
    }

    /// Takes the hosts and runners of a parsed fleet, and each job's runners, and the runners
    /// that fail it, from the fleet's matching. A runner's slots are its
    /// [`crate::fleet::Runner::max_jobs`]. A job no runner can take gets every runner's
    /// rejection as its reason.
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
                strict_check_interval: runner.strict_check_interval,
            })
            .collect();
        RunnerPool {
            hosts,
            runners,
            eligible: matched_eligible(matching),
            children: matched_children(matching),
        }
    }
}

/// Returns runner 0 for every job of `pipeline`.
fn unlimited_eligible(pipeline: &Pipeline) -> Vec<Eligible> {
    pipeline
        .jobs
        .iter()
        .map(|_| Eligible {
            runners: vec![0],
            reason: None,
            failing: Vec::new(),
        })
        .collect()
}

/// Returns runner 0 for every job of the simulated child pipelines of `pipeline`.
fn unlimited_children(pipeline: &Pipeline) -> Vec<ChildEligible> {
    pipeline
        .jobs
        .iter()
        .filter_map(|job| {
            let child = simulated_child(job)?;
            Some(ChildEligible {
                trigger: job.name.to_string(),
                eligible: unlimited_eligible(child),
                children: unlimited_children(child),
            })
        })
        .collect()
}

/// Returns each job's eligible runners from `matching`.
fn matched_eligible(matching: &Matching) -> Vec<Eligible> {
    matching
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
                failing: job.failing.clone(),
            }
        })
        .collect()
}

fn matched_children(matching: &Matching) -> Vec<ChildEligible> {
    matching
        .children
        .iter()
        .map(|child| ChildEligible {
            trigger: child.trigger.clone(),
            eligible: matched_eligible(&child.matching),
            children: matched_children(&child.matching),
        })
        .collect()
}

/// What-if choices of a simulation. A name selects a job by its name or its parallel base
/// name, with the trigger jobs of its child pipeline in front (`deploy/rspec`, see
/// [Child pipelines](self#child-pipelines)). Built from the parallel base names of the job
/// and its trigger jobs, it selects the job in the child pipeline of every instance of a
/// parallel trigger job (`deploy/rspec` for `deploy: [eu]/rspec` and `deploy: [us]/rspec`).
/// A [`JobSelector::Path`] gives those names one by one, so a `/` in a job name stays apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleOptions {
    /// Manual jobs to play as soon as they become manual: job names, or parallel base names
    /// that play every instance.
    pub play: Vec<JobSelector>,
    /// Jobs whose every attempt fails with exit code 1: job names or parallel base names.
    pub fail: Vec<JobSelector>,
}

/// Returns the selectors in `names` that select no job of `pipeline` or of its simulated
/// child pipelines, neither by a job name nor by a parallel base name.
pub fn unknown_jobs<'n>(pipeline: &Pipeline, names: &'n [JobSelector]) -> Vec<&'n JobSelector> {
    let layout = Layout::new(pipeline, None);
    names
        .iter()
        .filter(|name| layout.selected_by(name).next().is_none())
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
    names: &'n [JobSelector],
) -> Vec<(&'n JobSelector, &'static str)> {
    let layout = Layout::new(pipeline, None);
    let mut found = Vec::new();
    for name in names {
        let mut selected = layout.selected_by(name).map(|job| job.planned);
        let Some(first) = selected.next() else {
            continue;
        };
        let Some(reason) = first.creation_failure() else {
            continue;
        };
        if selected.all(|job| job.creation_failure().is_some()) {
            found.push((name, reason));
        }
    }
    found
}

/// Returns a warning for each name in `names` that selects only jobs that are neither manual
/// nor created as failed. [`simulate`] plays manual jobs only, so such a name changes nothing.
/// `option` names the option or field in the message, such as `--play`.
pub fn not_manual_play_warnings(
    pipeline: &Pipeline,
    names: &[JobSelector],
    option: &str,
) -> Vec<crate::Diagnostic> {
    let layout = Layout::new(pipeline, None);
    let mut warnings = Vec::new();
    for name in names {
        let mut selected = layout.selected_by(name).map(|job| job.planned).peekable();
        let Some(first) = selected.peek().copied() else {
            continue;
        };
        if selected.any(|job| job.when == When::Manual || job.creation_failure().is_some()) {
            continue;
        }
        let message = format!(
            "{option} names job {}, whose `when` is `{}`, not `manual`, so playing it \
             changes nothing",
            name.quoted(),
            first.when.as_str()
        );
        let help = "name a job with `when: manual`, or leave the name out";
        warnings.push(crate::Diagnostic::warning("play-not-manual", message).with_help(help));
    }
    warnings
}

/// The option of [`ScheduleOptions`] that a name comes from: what it does to the jobs it
/// selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Play the manual jobs ([`ScheduleOptions::play`]).
    Play,
    /// Fail every attempt ([`ScheduleOptions::fail`]).
    Fail,
}

/// Returns a warning for each name in `names` whose jobs the simulated run `schedule` never
/// reaches, so the choice changed nothing. A manual job is reached when it is played, which
/// needs its pipeline to be created and the jobs it waits for to succeed. A job to fail is
/// reached when an attempt starts. For [`Choice::Play`], only the manual jobs that the name
/// selects count, because [`not_manual_play_warnings`] reports the others. A name that selects
/// no job is not reported (see [`unknown_jobs`]). `option` names the option or field in the
/// message, such as `--play`.
pub fn unreached_choice_warnings(
    pipeline: &Pipeline,
    schedule: &Schedule,
    names: &[JobSelector],
    choice: Choice,
    option: &str,
) -> Vec<crate::Diagnostic> {
    let layout = Layout::new(pipeline, None);
    let mut warnings = Vec::new();
    for name in names {
        let mut selected = layout
            .selected_by(name)
            .filter(|job| choice == Choice::Fail || job.planned.when == When::Manual)
            .peekable();
        let Some(first) = selected.peek().copied() else {
            continue;
        };
        if selected.any(|job| reached(schedule, &job.name, choice)) {
            continue;
        }
        let scheduled = schedule.job(&first.name);
        let why = match scheduled {
            Some(job) => ending(job),
            None => match unreached_trigger(&layout, schedule, first) {
                Some((trigger, status)) => format!(
                    "its child pipeline is not created, because trigger job {} ends as `{}`",
                    crate::diagnostic::code_span(trigger),
                    status.as_str()
                ),
                None => "its child pipeline is not created".to_owned(),
            },
        };
        let (code, verb) = match choice {
            Choice::Play => ("play-not-reached", "playing"),
            Choice::Fail => ("fail-not-reached", "failing"),
        };
        let message = format!(
            "{option} names job {}, which the simulated run never reaches: {why}, so {verb} it \
             changes nothing",
            name.quoted()
        );
        let unplayed =
            choice == Choice::Fail && scheduled.is_some_and(|job| job.status == JobStatus::Manual);
        let help = if unplayed {
            "play the job too, because a manual job starts only when it is played"
        } else {
            "change what keeps the run from reaching the job, or leave the name out"
        };
        warnings.push(crate::Diagnostic::warning(code, message).with_help(help));
    }
    warnings
}

/// Describes how `job` ends in the simulated run: its status, its failure reason and why it
/// did not run or finish, as the schedule lists them.
fn ending(job: &ScheduledJob) -> String {
    let mut text = format!("it ends as `{}`", job.status.as_str());
    if let Some(failure) = &job.failure_reason {
        text.push_str(&format!(" with `{failure}`"));
    }
    if let Some(reason) = &job.reason {
        text.push_str(&format!(" ({reason})"));
    }
    text
}

/// Returns whether the simulated run reached job `name` for `choice`.
fn reached(schedule: &Schedule, name: &str, choice: Choice) -> bool {
    schedule
        .jobs
        .iter()
        .filter(|job| job.name == name)
        .any(|job| match choice {
            Choice::Fail => job.started_at.is_some(),
            Choice::Play => {
                job.queued_at.is_some()
                    || job.started_at.is_some()
                    || matches!(
                        job.status,
                        JobStatus::WaitingForResource | JobStatus::Running
                    )
            }
        })
}

/// Returns the closest trigger job above `job` that the simulated run lists, with its status:
/// the one that did not create the child pipeline on the way to `job`.
fn unreached_trigger<'s>(
    layout: &Layout<'_>,
    schedule: &'s Schedule,
    job: &LayoutJob<'_>,
) -> Option<(&'s str, JobStatus)> {
    let mut index = layout
        .jobs
        .iter()
        .position(|candidate| std::ptr::eq(candidate, job))?;
    loop {
        let pipeline = layout
            .pipelines
            .iter()
            .find(|pipeline| pipeline.jobs.contains(&index))?;
        index = pipeline.trigger?;
        let trigger = layout.jobs.get(index)?;
        if let Some(found) = schedule.job(&trigger.name) {
            return Some((found.name.as_str(), found.status));
        }
    }
}

/// Returns a warning for each entry of `durations` that names a trigger job whose child
/// pipeline is simulated, by its name or its parallel base name. The child pipeline decides
/// when such a trigger job ends and whether it fails, so [`simulate`] ignores the entry. A
/// glob is left to [`unused_durations`], which reports it when it selects only such trigger
/// jobs.
///
/// Other trigger jobs take their entries, but GitLab runs a trigger job without a runner, so
/// its failure has no exit code. An entry with `exit_code` that only trigger jobs take gets a
/// warning at that key (`trigger-exit-code-ignored`).
pub fn ignored_trigger_durations(
    pipeline: &Pipeline,
    durations: &Durations,
) -> Vec<crate::Diagnostic> {
    let layout = Layout::new(pipeline, None);
    let mut warnings = Vec::new();
    for (index, entry) in durations.entries.iter().enumerate() {
        let named = layout.named_by(entry).find(|job| job.child.is_some());
        let Some(job) = named else {
            warnings.extend(ignored_exit_code(&layout, durations, index));
            continue;
        };
        let message = format!(
            "the durations file names trigger job `{}`, whose child pipeline is simulated, so \
             the entry is ignored: the trigger job ends when its child pipeline does, or at \
             once without `strategy`",
            entry.pattern
        );
        let help = format!(
            "give durations to the child pipeline's jobs, as in `{}{}JOB`, or remove the entry",
            job.name,
            layout::SEPARATOR
        );
        warnings.push(
            crate::Diagnostic::warning("trigger-duration-ignored", message)
                .with_span(entry.span)
                .with_help(help),
        );
    }
    warnings
}

/// Returns the `trigger-exit-code-ignored` warning for entry `index` of `durations` when it sets
/// `exit_code` and the jobs that take it are all trigger jobs. An entry that no job takes is
/// left to [`unused_durations`].
fn ignored_exit_code(
    layout: &Layout<'_>,
    durations: &Durations,
    index: usize,
) -> Option<crate::Diagnostic> {
    let entry = durations.entries.get(index)?;
    let span = entry.exit_code_span?;
    // A trigger job whose child pipeline is simulated takes no entry.
    let mut taking_jobs = layout.jobs.iter().filter(|job| {
        let bases = job.bases();
        job.child.is_none() && durations.entry_for(&job.durations_names(&bases)) == Some(index)
    });
    let first = taking_jobs.next()?;
    let is_trigger = |job: &LayoutJob<'_>| {
        job.planned.trigger.is_some() || job.planned.kind == crate::config::JobKind::Bridge
    };
    if !is_trigger(first) || !taking_jobs.all(is_trigger) {
        return None;
    }
    let message = format!(
        "the durations entry `{}` sets `exit_code`, but only trigger jobs take the entry, such \
         as `{}`, and a trigger job's failure has no exit code, so `exit_code` is ignored",
        entry.pattern, first.name
    );
    let help = "remove `exit_code`: GitLab runs a trigger job without a runner, and its \
                `allow_failure` and `retry` cannot match exit codes";
    Some(
        crate::Diagnostic::warning("trigger-exit-code-ignored", message)
            .with_span(span)
            .with_help(help),
    )
}

/// Returns a warning for each entry of `durations` that no job of the simulation takes. Such
/// an entry selects no job at all, usually a misspelt name (`duration-entry-unknown`). Or every
/// job it selects takes another entry, which ranks higher for it
/// (`duration-entry-shadowed`). Or it is a glob that selects only trigger jobs whose child
/// pipelines are simulated (`trigger-duration-ignored`). An entry that selects a job the
/// pipeline leaves out, such as a deploy job that runs only on the default branch, is not
/// reported, because one durations file often serves several pipelines.
pub fn unused_durations(pipeline: &Pipeline, durations: &Durations) -> Vec<crate::Diagnostic> {
    let layout = Layout::new(pipeline, None);
    let bases: Vec<Vec<&str>> = layout.jobs.iter().map(LayoutJob::bases).collect();
    // A trigger job whose child pipeline is simulated takes no entry.
    let chosen: Vec<Option<usize>> = layout
        .jobs
        .iter()
        .zip(&bases)
        .map(|(job, bases)| match job.child {
            Some(_) => None,
            None => durations.entry_for(&job.durations_names(bases)),
        })
        .collect();
    // Each absent job's names, its own name first, and its path.
    let absent_owned: Vec<(Vec<String>, Vec<PathLevel<'_>>)> = layout
        .pipelines
        .iter()
        .flat_map(|pipe| {
            let above = pipe
                .trigger
                .and_then(|trigger| layout.jobs.get(trigger))
                .map_or(&[][..], |trigger| trigger.levels.as_slice());
            pipe.pipeline.absent.iter().map(move |job| {
                let mut levels = above.to_vec();
                levels.push(PathLevel {
                    name: job.name.as_str(),
                    base: parallel_base(&job.name),
                });
                (absent_names(pipe, &job.name), levels)
            })
        })
        .collect();
    let absent: Vec<(Vec<&str>, &[PathLevel<'_>])> = absent_owned
        .iter()
        .map(|(names, levels)| {
            (
                names.iter().map(String::as_str).collect(),
                levels.as_slice(),
            )
        })
        .collect();
    let mut warnings = Vec::new();
    for (index, entry) in durations.entries.iter().enumerate() {
        if chosen.contains(&Some(index)) {
            continue;
        }
        // `ignored_trigger_durations` reports an entry that names such a trigger job.
        if layout.named_by(entry).any(|job| job.child.is_some()) {
            continue;
        }
        let shadowed = layout
            .jobs
            .iter()
            .zip(&bases)
            .zip(&chosen)
            .filter(|((job, bases), _)| entry.selects(&job.durations_names(bases)))
            .find_map(|((job, _), other)| Some((job, durations.entries.get((*other)?)?)));
        if let Some((job, other)) = shadowed {
            let message = format!(
                "the durations entry `{}` is never used: every job it selects takes another \
                 entry, as job `{}` takes `{}`",
                entry.pattern, job.name, other.pattern
            );
            let help = "a job takes the entry that is its name or its parallel base name, else \
                        the first glob in file order that matches it; remove the entry or make \
                        it select other jobs";
            warnings.push(
                crate::Diagnostic::warning("duration-entry-shadowed", message)
                    .with_span(entry.span)
                    .with_help(help),
            );
            continue;
        }
        let selects_absent = absent.iter().any(|(names, levels)| {
            names.split_first().is_some_and(|(name, bases)| {
                entry.selects(&JobNames {
                    name,
                    bases,
                    levels,
                })
            })
        });
        if selects_absent {
            continue;
        }
        let trigger =
            layout.jobs.iter().zip(&bases).find(|(job, bases)| {
                job.child.is_some() && entry.selects(&job.durations_names(bases))
            });
        if let Some((job, _)) = trigger {
            let message = format!(
                "the durations entry `{}` is never used: it selects only trigger jobs whose \
                 child pipelines are simulated, such as `{}`, and they take no entry",
                entry.pattern, job.name
            );
            let help = "a trigger job ends when its child pipeline does, or at once without \
                        `strategy`; give durations to the child pipeline's jobs, as in \
                        `TRIGGER/JOB`, or remove the entry";
            warnings.push(
                crate::Diagnostic::warning("trigger-duration-ignored", message)
                    .with_span(entry.span)
                    .with_help(help),
            );
            continue;
        }
        let names = layout
            .jobs
            .iter()
            .zip(&bases)
            .flat_map(|(job, bases)| {
                std::iter::once(job.name.as_ref()).chain(bases.iter().copied())
            })
            .chain(absent.iter().flat_map(|(names, _)| names.iter().copied()));
        if let Some(unclosed) = &entry.unclosed {
            warnings.push(unclosed_glob_warning(&entry.pattern, unclosed));
            continue;
        }
        if let Some(empty_class) = &entry.empty_class {
            warnings.push(empty_class_warning(&entry.pattern, empty_class));
            continue;
        }
        let help = match crate::diagnostic::did_you_mean(&entry.pattern, names) {
            Some(name) => format!("did you mean {}?", crate::diagnostic::code_span(name)),
            None => "write a job name, a parallel job's base name or a glob; the jobs of a child \
                     pipeline are named after their trigger job, as in `TRIGGER/JOB`"
                .to_owned(),
        };
        let message = format!(
            "the durations entry `{}` selects no job of the pipeline",
            entry.pattern
        );
        warnings.push(
            crate::Diagnostic::warning("duration-entry-unknown", message)
                .with_span(entry.span)
                .with_help(help),
        );
    }
    warnings
}

/// Returns the `duration-entry-unknown` warning of an entry whose glob `pattern` matches nothing
/// because a `[` or `{` is never closed.
fn unclosed_glob_warning(pattern: &str, unclosed: &UnclosedGlob) -> crate::Diagnostic {
    let character = unclosed.character;
    let (reason, close) = if character == '[' {
        (
            "its `[` opens a character class that is never closed, and such a class matches \
             nothing",
            "close the class with `]`",
        )
    } else {
        (
            "its `{` has no closing `}`, which makes the whole glob match nothing",
            "close the list with `}`",
        )
    };
    let message =
        format!("the durations entry `{pattern}` selects no job of the pipeline, because {reason}");
    let escaped = format!(
        "{}\\{}",
        pattern.get(..unclosed.index).unwrap_or_default(),
        pattern.get(unclosed.index..).unwrap_or_default()
    );
    let help = format!(
        "write `\\{character}` to match a `{character}`, as in `{escaped}` (in single quotes \
         in YAML, because `\\{character}` is not a valid escape in double quotes), or {close}"
    );
    crate::Diagnostic::warning("duration-entry-unknown", message)
        .with_span(unclosed.span)
        .with_help(help)
}

/// Returns the `duration-entry-unknown` warning of an entry whose glob `pattern` matches nothing
/// because of an empty class `[]`.
fn empty_class_warning(pattern: &str, empty_class: &EmptyClass) -> crate::Diagnostic {
    let message = format!(
        "the durations entry `{pattern}` selects no job of the pipeline, because its `[]` is an \
         empty character class, which matches nothing"
    );
    let escaped = format!(
        "{}\\{}",
        pattern.get(..empty_class.index).unwrap_or_default(),
        pattern.get(empty_class.index..).unwrap_or_default()
    );
    let help = format!(
        "write `\\[` to match a `[`, as in `{escaped}` (in single quotes in YAML, because `\\[` \
         is not a valid escape in double quotes). A `]` right after `[` closes the class, so a \
         class that matches `]` is written `[\\]]`"
    );
    crate::Diagnostic::warning("duration-entry-unknown", message)
        .with_span(empty_class.span)
        .with_help(help)
}

/// Returns the names that select absent job `name` of `pipe`, as `LayoutJob::bases` gives
/// them for a job that runs: its name with the trigger jobs in front, then its parallel base
/// name and its family name, where they differ.
///
/// NOTE: an absent job keeps only its name, so its parallel base name is read from the name
/// as GitLab builds it (`NAME 1/2`, `NAME: [a, b]`), which a plain job name of that form would
/// imitate.
fn absent_names(pipe: &layout::PipelineLayout<'_>, name: &str) -> Vec<String> {
    let qualify = |prefix: Option<&str>, own: &str| match prefix {
        Some(prefix) => format!("{prefix}{}{own}", layout::SEPARATOR),
        None => own.to_owned(),
    };
    let base = parallel_base(name);
    let mut names = vec![qualify(pipe.prefix.as_deref(), name)];
    if let Some(base) = base {
        names.push(qualify(pipe.prefix.as_deref(), base));
    }
    let family = qualify(pipe.family_prefix.as_deref(), base.unwrap_or(name));
    if !names.contains(&family) {
        names.push(family);
    }
    names
}

/// Returns the parallel base name in a job name that GitLab built for an instance of
/// `parallel: N` (`test 1/2`) or of `parallel:matrix` (`test: [a, b]`).
fn parallel_base(name: &str) -> Option<&str> {
    if name.ends_with(']')
        && let Some(at) = name.find(": [")
    {
        return name.get(..at);
    }
    let (base, counter) = name.rsplit_once(' ')?;
    let (index, total) = counter.split_once('/')?;
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    (digits(index) && digits(total)).then_some(base)
}

/// Returns a warning for each name that two or more jobs of the simulation share. A job name
/// may contain `/`, so job `a/b` of one pipeline and job `b` of the child pipeline of trigger
/// job `a` get the same name. [`simulate`] keeps them apart, but `--play`, `--fail` and the
/// durations file select jobs by name, so they apply to every job of that name.
pub fn name_collisions(pipeline: &Pipeline) -> Vec<crate::Diagnostic> {
    let layout = Layout::new(pipeline, None);
    let mut by_name: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (index, job) in layout.jobs.iter().enumerate() {
        by_name.entry(job.name.as_ref()).or_default().push(index);
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut warnings = Vec::new();
    for job in &layout.jobs {
        let name = job.name.as_ref();
        let Some(indexes) = by_name.get(name).filter(|indexes| indexes.len() > 1) else {
            continue;
        };
        if !seen.insert(name) {
            continue;
        }
        let described: Vec<String> = indexes
            .iter()
            .filter_map(|&index| layout.describe(index))
            .collect();
        let example = indexes
            .last()
            .and_then(|&index| layout.jobs.get(index))
            .map(|job| {
                let names = job.levels.iter().map(|level| level.name.to_owned());
                JobSelector::Path(names.collect()).quoted()
            })
            .unwrap_or_default();
        let message = format!(
            "{} jobs have the same name `{name}` in the simulation: {}. `--play`, `--fail` \
             and the durations file select all of them by that name, and each one by its path \
             of whole job names, such as {example}. The table and chart show each under that \
             name",
            indexes.len(),
            described.join(", ")
        );
        let help = "rename the job whose name contains `/`, or name it by its path; the JSON \
                    output tells the jobs apart by `pipeline_index`";
        warnings.push(crate::Diagnostic::warning("job-name-collision", message).with_help(help));
    }
    warnings
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
