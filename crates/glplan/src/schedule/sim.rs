//! The event loop of the simulation.
//!
//! Events are kept in a heap ordered by (time, kind, key): at one second, attempts end first
//! (in job order), then GitLab drops jobs pending too long, then delayed jobs' timers fire,
//! then hosts hand a runner to a worker (in host order, and each host in its feed order). After each event the jobs it unblocked are
//! decided in job order, so they become pending at the same second.
//!
//! The top pipeline and its simulated child pipelines share one list of jobs, one event heap
//! and the runners. Each pipeline keeps its own stage state in a [`Run`], and the
//! [`downstream`] module creates child pipelines and ends the trigger jobs that wait for them.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, VecDeque};
use std::ops::Range;

use crate::hash::HashMap;

use crate::config::{AllowFailure, JobKind, SchedulingType, When};
use crate::pipeline::{CREATION_FAILED, DEPTH_FAILED, HIERARCHY_SIZE_FAILED, Pipeline, PlannedJob};

use super::durations::{Durations, Failures, JobTiming};
use super::feeder::Feeder;
use super::layout::{Layout, Strategy};
use super::output::{
    Attempt, CriticalStep, JobStatus, RunnerUsage, Schedule, ScheduledJob, SlotWait, StuckJob,
};
use super::status::{PipelineStatus, Token, TokenCounts, TokenSet, composite};
use super::{RunnerPool, ScheduleOptions};
use crate::fleet::{FailureStage, RunnerFailure};

mod downstream;

/// Failure reason of a failing attempt from the durations file or `--fail`.
const SCRIPT_FAILURE: &str = "script_failure";
/// Failure reason of an attempt that runs past its timeout.
const TIMEOUT_FAILURE: &str = "job_execution_timeout";
/// How many jobs [`Schedule::longest_waits`] lists.
const LONGEST_WAITS: usize = 5;
/// How long a job that no runner can take stays pending before GitLab drops it, and the
/// failure reason it gets (`BUILD_PENDING_STUCK_TIMEOUT` of GitLab's
/// `Ci::StuckBuilds::DropPendingService`).
const STUCK_TIMEOUT: u64 = 3600;
const STUCK_FAILURE: &str = "stuck_pending_no_matching_runners";
/// How long any job stays pending before GitLab drops it, and the failure reason it gets
/// (`BUILD_PENDING_OUTDATED_TIMEOUT` of the same service).
const PENDING_TIMEOUT: u64 = 86_400;
const PENDING_FAILURE: &str = "stuck_pending_with_matching_runners";

/// Kinds of events, in the order they are handled within one second.
const FINISH: u8 = 0;
/// Drops job `key` if it is still pending without a runner that can take it.
const DROP: u8 = 1;
/// Drops the jobs that have been pending for [`PENDING_TIMEOUT`] (key 0).
const DROP_OLD: u8 = 2;
const TIMER: u8 = 3;
const FEED: u8 = 4;

/// The step of its life a job is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Created,
    Scheduled,
    Manual,
    WaitingForResource,
    Pending,
    Running,
    /// Completed, or an optional manual job left alone: the token no longer changes.
    Settled,
}

/// A job's fixed facts.
struct JobFacts<'p> {
    planned: &'p PlannedJob,
    /// The job's name in the output, with the trigger jobs of a child pipeline in front.
    name: Cow<'p, str>,
    /// Index in [`Sim::runs`] of its pipeline.
    pipeline: usize,
    /// Index in [`Sim::runs`] of the child pipeline this trigger job creates.
    child: Option<usize>,
    /// Index of its stage in its pipeline's stages.
    stage: usize,
    dag: bool,
    needs: Vec<usize>,
    /// DAG jobs that need this job.
    dependents: Vec<usize>,
    timing: JobTiming,
    play: bool,
    bridge: bool,
    /// GitLab's failure reason for a trigger job whose child pipeline GitLab cannot create.
    /// The plan's `reached_max_pipeline_hierarchy_size` is left out, because the simulation
    /// checks that limit when the job starts.
    downstream_failure: Option<&'static str>,
    /// The pipeline hierarchy size at which GitLab fails a trigger job that starts, or 0 for
    /// no limit. `None` for a job that is not a trigger job.
    max_hierarchy_size: Option<usize>,
    /// Whether this is a trigger job with `strategy: depend` or `mirror`, which takes the
    /// status of its downstream pipeline.
    mirrors_downstream: bool,
    /// Whether GitLab saves the child pipeline it fails to create, linked to this trigger
    /// job, so that it counts toward the hierarchy size. It does so for a configuration
    /// error, not for a pipeline filtered out by `workflow:rules` or left without jobs.
    saves_failed_child: bool,
    /// GitLab's failure reason for a job that it creates as failed, without running it.
    creation_failure: Option<&'static str>,
    timeout: u64,
    resource: Option<usize>,
    eligible: Vec<usize>,
    /// The pool's reason that no runner can take the job.
    no_runner_reason: Option<&'p str>,
    /// The eligible runners that fail the job once they take it.
    failing: &'p [RunnerFailure],
    /// Whether runners match the job but every one is on a host with `concurrent = 0`.
    hosts_not_running: bool,
    /// Index in [`Sim::classes`] of the job's set of eligible runners.
    class: Option<usize>,
}

/// The attempt that is running.
#[derive(Debug, Clone, Copy)]
struct Current {
    runner: Option<usize>,
    slot: Option<u32>,
    queued: u64,
    started: u64,
    end: u64,
    failure: Option<&'static str>,
    exit_code: Option<i64>,
    canceled: bool,
    /// The attempt whose end let this attempt become pending. For a trigger job that waited
    /// for its child pipeline, the child's attempt that ended last.
    after: Option<AttemptRef>,
    /// Whether this is a trigger job's attempt that lasts until its child pipeline completes.
    waits_for_child: bool,
    /// The status the attempt took from the child pipeline, in place of the one its
    /// `failure` and `canceled` give.
    inherited: Option<JobStatus>,
    /// Whether the attempt started. One that did not has its `started` and `end` at the
    /// time it was dropped or canceled.
    start: Start,
    /// Index in the job's [`JobFacts::failing`] of the failure of the attempt's runner, when
    /// its runner fails the job.
    runner_failure: Option<usize>,
}

/// The start of an attempt, or the reason it never started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// It started, on a runner or as a trigger job.
    Started,
    /// GitLab dropped it while it was pending.
    Dropped,
    /// `auto_cancel:on_job_failure` canceled this retry while it was pending.
    CanceledPending,
    /// `auto_cancel:on_job_failure` canceled this retry while it waited for its resource
    /// group, before it became pending.
    CanceledWaiting,
}

/// An attempt of a job: (job index, attempt index), the attempt index `None` for a job that
/// never ran (a skipped job passes on its own cause).
type AttemptRef = (usize, Option<usize>);

/// A job's changing state.
struct JobState {
    phase: Phase,
    token: Token,
    unsettled_needs: usize,
    /// Job id of the current attempt: the job's index for the first, a new id for a retry.
    queue_id: u32,
    queued: u64,
    ready_at: Option<u64>,
    current: Option<Current>,
    attempts: Vec<Current>,
    /// The attempt whose end (a completion, a release of the resource group, or a failure
    /// before a retry) lets the job's next attempt go ahead.
    cause: Option<AttemptRef>,
    reason: Option<String>,
    canceled: bool,
}

/// Jobs with the same eligible runners share one pending queue, so a job is queued once
/// however many runners can take it. Fleets have few such sets, about one per tag combination.
struct Class {
    runners: Vec<usize>,
    /// The hosts of [`Class::runners`], without repeats.
    hosts: Vec<usize>,
    /// Pending jobs as (job id, job index), lowest job id first.
    queue: BTreeSet<(u32, usize)>,
}

struct RunnerState {
    running: u32,
    slots: Vec<bool>,
    /// The classes whose jobs this runner can take.
    classes: Vec<usize>,
    busy: u64,
    jobs: u32,
    peak: u32,
}

struct Group {
    /// The name GitLab groups jobs by.
    name: String,
    /// The name as shown, with masked values hidden.
    shown: String,
    holder: Option<usize>,
    waiting: BTreeSet<(u32, usize)>,
}

/// One pipeline's processing state: the top pipeline or a child pipeline.
struct Run {
    /// The trigger job that creates it; `None` for the top pipeline.
    trigger: Option<usize>,
    /// The name of the trigger job, in front of its jobs' names.
    prefix: Option<String>,
    strategy: Strategy,
    /// Its jobs' indexes.
    jobs: Range<usize>,
    /// The child pipelines its trigger jobs create.
    children: Vec<usize>,
    /// When it was created; `None` while its trigger job has not started.
    created_at: Option<u64>,
    /// When a cancellation last canceled one of its jobs. A job canceled before it started
    /// has no attempt, so the pipeline's end can be later than every attempt's end.
    canceled_at: Option<u64>,
    /// Per stage: jobs whose token is not settled, and the settled tokens.
    stage_unsettled: Vec<usize>,
    stage_tokens: Vec<TokenSet>,
    /// Per stage: the jobs without `needs`.
    stage_jobs: Vec<Vec<usize>>,
    /// The tokens of all stages before each opened stage.
    stage_prefix: Vec<TokenSet>,
    /// Stages whose jobs without `needs` were handed to the decision list.
    opened: usize,
    /// The tokens of its jobs.
    tokens: TokenCounts,
    cancel_on_failure: bool,
    /// The cycle among the `needs` of one stage that GitLab's processing fails on.
    halt: Option<Halt>,
}

/// The stage where GitLab's processing of a pipeline stops. Each processing run sorts the
/// `created` jobs of each stage by their `needs` and raises at the first stage where they form
/// a cycle. Until the cycle's jobs leave `created`, which only a cancellation does, no job of
/// that stage or of a later stage is processed, and the pipeline's status stays `created`.
struct Halt {
    /// Index of the stage in its pipeline's stages.
    stage: usize,
    /// Indexes of the jobs that need each other.
    members: Vec<usize>,
    /// The reason shown for each job that stays `created` because of the halt.
    reason: String,
}

struct Sim<'p> {
    pool: &'p RunnerPool,
    facts: Vec<JobFacts<'p>>,
    states: Vec<JobState>,
    runs: Vec<Run>,
    runners: Vec<RunnerState>,
    host_running: Vec<u32>,
    feeders: Vec<Feeder>,
    groups: Vec<Group>,
    classes: Vec<Class>,
    events: BinaryHeap<Reverse<(u64, u8, usize)>>,
    decide: BTreeSet<usize>,
    /// Child pipelines whose trigger job waits for them to complete (`depend` or `mirror`).
    waited: BTreeSet<usize>,
    /// The jobs that became pending with a runner that can take them, as (time, job id,
    /// job), oldest first. Entries of jobs that have left the queue since are removed when
    /// they come first. One [`DROP_OLD`] event at a time waits for the first entry to time
    /// out, which keeps the event heap as small as without the timeout.
    pending_since: VecDeque<(u64, u32, usize)>,
    /// Whether a [`DROP_OLD`] event is queued.
    drop_old_queued: bool,
    next_queue_id: u32,
    /// Pipelines of the hierarchy created so far: the top pipeline and one downstream
    /// pipeline per trigger job attempt that started without failing.
    hierarchy_size: usize,
}

/// Runs the simulation.
pub(super) fn run(
    pipeline: &Pipeline,
    pool: &RunnerPool,
    durations: &Durations,
    options: &ScheduleOptions,
) -> Schedule {
    let mut sim = Sim::new(pipeline, pool, durations, options);
    sim.start();
    while let Some(Reverse((time, kind, key))) = sim.events.pop() {
        match kind {
            FINISH => sim.finish(key, time),
            DROP => sim.drop_stuck(key, time),
            DROP_OLD => sim.drop_old(time),
            TIMER => sim.timer(key, time),
            _ => sim.feed(key, time),
        }
        sim.process_all(time);
    }
    sim.result()
}

impl<'p> Sim<'p> {
    fn new(
        pipeline: &'p Pipeline,
        pool: &'p RunnerPool,
        durations: &Durations,
        options: &ScheduleOptions,
    ) -> Self {
        let layout = Layout::new(pipeline, Some(pool));
        let mut groups: Vec<Group> = Vec::new();
        let mut classes: Vec<Class> = Vec::new();
        let mut class_of: HashMap<Vec<usize>, usize> = HashMap::default();
        let mut facts: Vec<JobFacts<'p>> = Vec::with_capacity(layout.jobs.len());
        let mut runs: Vec<Run> = Vec::with_capacity(layout.pipelines.len());
        for (position, planned) in layout.pipelines.iter().enumerate() {
            let jobs = planned.jobs.clone();
            let index: HashMap<&str, usize> = planned
                .pipeline
                .jobs
                .iter()
                .zip(jobs.clone())
                .map(|(job, i)| (job.name.as_str(), i))
                .collect();
            let stage_of: HashMap<&str, usize> = planned
                .pipeline
                .stages
                .iter()
                .enumerate()
                .map(|(i, stage)| (stage.name.as_str(), i))
                .collect();
            let stage_count = planned.pipeline.stages.len().max(1);
            for i in jobs.clone() {
                let Some(entry) = layout.jobs.get(i) else {
                    continue;
                };
                let job = entry.planned;
                let dag = job.scheduling_type == SchedulingType::Dag || job.needs.is_some();
                let needs: Vec<usize> = job
                    .needs
                    .iter()
                    .flatten()
                    .filter_map(|need| index.get(need.job.as_str()).copied())
                    .filter(|&need| need != i)
                    .collect();
                let bridge = job.kind == JobKind::Bridge;
                // The child pipeline decides when such a trigger job ends and how, so the
                // durations file does not apply to it.
                let mut timing = match entry.child {
                    Some(_) => JobTiming {
                        seconds: 0,
                        failures: Failures::None,
                        exit_code: 1,
                        matched: false,
                    },
                    None => {
                        let bases = entry.bases();
                        let names = entry.durations_names(&bases);
                        durations.timing_of(&names, job.trigger.is_some() || bridge)
                    }
                };
                if options.fail.iter().any(|name| entry.is_selected_by(name)) {
                    timing.failures = Failures::All;
                }
                // Jobs share a resource group by its real name; the group is shown by the
                // job's masked one. Resource groups belong to the project, so the jobs of
                // child pipelines share them with the parent's.
                let resource = job.resource_group_key().map(|name| {
                    match groups.iter().position(|group| group.name == name) {
                        Some(position) => position,
                        None => {
                            groups.push(Group {
                                name: name.to_owned(),
                                shown: job.resource_group.as_deref().unwrap_or_default().to_owned(),
                                holder: None,
                                waiting: BTreeSet::new(),
                            });
                            groups.len() - 1
                        }
                    }
                });
                let matched = entry
                    .eligible
                    .map(|e| {
                        let mut runners: Vec<usize> = e
                            .runners
                            .iter()
                            .copied()
                            .filter(|&r| r < pool.runners.len())
                            .collect();
                        runners.sort_unstable();
                        runners.dedup();
                        runners
                    })
                    .unwrap_or_default();
                // gitlab-runner exits at start on a host with `concurrent = 0`, so the runners
                // there request no job.
                let eligible: Vec<usize> = matched
                    .iter()
                    .copied()
                    .filter(|&r| {
                        pool.runners
                            .get(r)
                            .and_then(|runner| pool.hosts.get(runner.host))
                            .is_some_and(|host| host.concurrent > 0)
                    })
                    .collect();
                let hosts_not_running = eligible.is_empty() && !matched.is_empty();
                // Classes are numbered in job order, so the numbering is deterministic.
                let class = (!eligible.is_empty()).then(|| {
                    *class_of.entry(eligible.clone()).or_insert_with(|| {
                        let mut hosts: Vec<usize> = eligible
                            .iter()
                            .filter_map(|&r| pool.runners.get(r).map(|runner| runner.host))
                            .collect();
                        hosts.sort_unstable();
                        hosts.dedup();
                        classes.push(Class {
                            runners: eligible.clone(),
                            hosts,
                            queue: BTreeSet::new(),
                        });
                        classes.len() - 1
                    })
                });
                facts.push(JobFacts {
                    planned: job,
                    name: entry.name.clone(),
                    pipeline: position,
                    child: entry.child,
                    stage: stage_of
                        .get(job.stage.as_str())
                        .copied()
                        .unwrap_or(stage_count - 1),
                    dag,
                    needs,
                    dependents: Vec::new(),
                    timing,
                    play: options.play.iter().any(|name| entry.is_selected_by(name)),
                    bridge,
                    downstream_failure: job
                        .trigger
                        .as_ref()
                        .and_then(|t| t.failure_reason)
                        .filter(|reason| *reason != HIERARCHY_SIZE_FAILED),
                    max_hierarchy_size: job.trigger.as_ref().map(|t| t.max_hierarchy_size),
                    mirrors_downstream: bridge && Strategy::of(job) != Strategy::None,
                    saves_failed_child: job
                        .trigger
                        .as_ref()
                        .and_then(|t| t.downstream.as_ref())
                        .is_some_and(|child| child.saved_as_failed()),
                    creation_failure: job.creation_failure(),
                    timeout: job
                        .timeout
                        .as_ref()
                        .map_or(durations.project_timeout, |t| t.seconds),
                    resource,
                    eligible,
                    no_runner_reason: entry.eligible.and_then(|e| e.reason.as_deref()),
                    failing: entry.eligible.map_or(&[], |e| e.failing.as_slice()),
                    hosts_not_running,
                    class,
                });
            }

            let mut stage_unsettled = vec![0; stage_count];
            let mut stage_jobs = vec![Vec::new(); stage_count];
            for i in jobs.clone() {
                let Some(fact) = facts.get(i) else {
                    continue;
                };
                if let Some(count) = stage_unsettled.get_mut(fact.stage) {
                    *count += 1;
                }
                if !fact.dag
                    && let Some(list) = stage_jobs.get_mut(fact.stage)
                {
                    list.push(i);
                }
            }
            let mut tokens = TokenCounts::default();
            for _ in jobs.clone() {
                tokens.add(Token::Created);
            }
            let halt = halt_of(planned.pipeline, jobs.start, &facts);
            let children = layout
                .jobs
                .get(jobs.clone())
                .unwrap_or_default()
                .iter()
                .filter_map(|job| job.child)
                .collect();
            runs.push(Run {
                trigger: planned.trigger,
                prefix: planned.prefix.clone(),
                strategy: planned.strategy,
                jobs,
                children,
                created_at: None,
                canceled_at: None,
                stage_unsettled,
                stage_tokens: vec![TokenSet::default(); stage_count],
                stage_jobs,
                stage_prefix: vec![TokenSet::default(); stage_count],
                opened: 0,
                tokens,
                cancel_on_failure: planned.pipeline.workflow.auto_cancel.on_job_failure == "all",
                halt,
            });
        }
        for i in 0..facts.len() {
            let needs = facts.get(i).map(|f| f.needs.clone()).unwrap_or_default();
            for need in needs {
                if let Some(needed) = facts.get_mut(need) {
                    needed.dependents.push(i);
                }
            }
        }

        let states = facts
            .iter()
            .map(|fact| JobState {
                phase: Phase::Created,
                token: Token::Created,
                unsettled_needs: fact.needs.len(),
                queue_id: 0,
                queued: 0,
                ready_at: None,
                current: None,
                attempts: Vec::new(),
                cause: None,
                reason: None,
                canceled: false,
            })
            .collect();

        let mut host_runners = vec![Vec::new(); pool.hosts.len()];
        for (r, runner) in pool.runners.iter().enumerate() {
            if let Some(list) = host_runners.get_mut(runner.host) {
                list.push(r);
            }
        }
        let feeders = host_runners
            .into_iter()
            .zip(&pool.hosts)
            .map(|(runners, host)| Feeder::new(runners, host.check_interval))
            .collect();
        let runners = (0..pool.runners.len())
            .map(|r| {
                let served = classes
                    .iter()
                    .enumerate()
                    .filter(|(_, class)| class.runners.binary_search(&r).is_ok())
                    .map(|(c, _)| c)
                    .collect();
                RunnerState {
                    running: 0,
                    slots: Vec::new(),
                    classes: served,
                    busy: 0,
                    jobs: 0,
                    peak: 0,
                }
            })
            .collect();

        Sim {
            pool,
            next_queue_id: 0,
            hierarchy_size: 1,
            facts,
            states,
            runs,
            runners,
            host_running: vec![0; pool.hosts.len()],
            feeders,
            groups,
            classes,
            events: BinaryHeap::new(),
            decide: BTreeSet::new(),
            waited: BTreeSet::new(),
            pending_since: VecDeque::new(),
            drop_old_queued: false,
        }
    }

    /// Creates the top pipeline at time 0 and processes it.
    fn start(&mut self) {
        self.create_pipeline(0, 0, None);
        self.process_all(0);
    }

    /// Processes the decision list, then lets the trigger jobs of child pipelines that
    /// completed take their status, until neither changes anything more.
    fn process_all(&mut self, time: u64) {
        loop {
            self.process(time);
            if !self.resolve_children(time) {
                break;
            }
        }
    }

    /// Returns why GitLab creates `job` as failed.
    fn creation_failure_reason(&self, job: usize) -> String {
        let name = self
            .facts
            .get(job)
            .and_then(|f| f.planned.environment.as_ref())
            .map_or("", |environment| environment.name.as_str());
        format!("GitLab creates the job as failed: its environment name `{name}` is not valid")
    }

    /// Hands the jobs without `needs` of every stage of pipeline `run` whose earlier stages are
    /// all settled to the decision list.
    fn open_stages(&mut self, run: usize, cause: Option<AttemptRef>) {
        let Some(state) = self.runs.get_mut(run).filter(|r| r.created_at.is_some()) else {
            return;
        };
        while state.opened < state.stage_jobs.len() {
            let earlier = state.opened;
            let settled_before = state
                .stage_unsettled
                .iter()
                .take(earlier)
                .all(|&count| count == 0);
            if !settled_before {
                return;
            }
            let prefix = match earlier.checked_sub(1) {
                Some(previous) => {
                    let before = state
                        .stage_prefix
                        .get(previous)
                        .copied()
                        .unwrap_or_default();
                    let tokens = state
                        .stage_tokens
                        .get(previous)
                        .copied()
                        .unwrap_or_default();
                    before.union(tokens)
                }
                None => TokenSet::default(),
            };
            if let Some(slot) = state.stage_prefix.get_mut(earlier) {
                *slot = prefix;
            }
            let jobs = state.stage_jobs.get(earlier).cloned().unwrap_or_default();
            for job in jobs {
                if let Some(job_state) = self.states.get_mut(job) {
                    job_state.cause = cause;
                }
                self.decide.insert(job);
            }
            state.opened += 1;
        }
    }

    /// Decides every job in the decision list, lowest index first.
    fn process(&mut self, time: u64) {
        while let Some(job) = self.decide.pop_first() {
            self.decide_job(job, time);
        }
    }

    /// GitLab's processing step for one created job whose predecessors are settled.
    fn decide_job(&mut self, job: usize, time: u64) {
        let (Some(fact), Some(state)) = (self.facts.get(job), self.states.get(job)) else {
            return;
        };
        if state.phase != Phase::Created {
            return;
        }
        if self
            .halted_stage(fact.pipeline)
            .is_some_and(|stage| fact.stage >= stage)
        {
            return;
        }
        let previous = if fact.dag {
            let mut set = TokenSet::default();
            for &need in &fact.needs {
                if let Some(needed) = self.states.get(need) {
                    set.insert(needed.token);
                }
            }
            composite(set, true)
        } else {
            composite(
                self.runs
                    .get(fact.pipeline)
                    .and_then(|run| run.stage_prefix.get(fact.stage))
                    .copied()
                    .unwrap_or_default(),
                false,
            )
        };
        let when = fact.planned.when;
        let play = fact.play;
        let static_allow = fact.planned.allow_failure.is_static_allow();
        let start_in = fact.planned.start_in.as_ref().map_or(0, |d| d.seconds);
        let allowed = match when {
            When::OnFailure => previous == PipelineStatus::Failed,
            When::Always => matches!(
                previous,
                PipelineStatus::Success | PipelineStatus::Failed | PipelineStatus::Skipped
            ),
            _ if fact.dag => previous == PipelineStatus::Success,
            _ => matches!(previous, PipelineStatus::Success | PipelineStatus::Skipped),
        };
        if !allowed {
            let reason = format!(
                "the jobs it waits for ended `{}` and it runs `when: {}`",
                status_name(previous),
                when.as_str()
            );
            self.settle(job, Token::Skipped, Some(reason));
            return;
        }
        if let Some(state) = self.states.get_mut(job) {
            state.ready_at = Some(time);
        }
        // GitLab never delays a trigger job (`Ci::Bridge#schedulable?` is false), so one that
        // `rules` make `delayed` is enqueued at once, as with `on_success`.
        let bridge = fact.planned.kind == JobKind::Bridge;
        match when {
            When::Delayed if !bridge => {
                self.set_phase(job, Phase::Scheduled, Token::Scheduled);
                self.events
                    .push(Reverse((time.saturating_add(start_in), TIMER, job)));
            }
            When::Manual if !play => {
                if static_allow {
                    self.settle(job, Token::Ignored, None);
                    self.set_phase(job, Phase::Manual, Token::Ignored);
                } else {
                    self.set_phase(job, Phase::Manual, Token::Manual);
                }
            }
            _ => self.enqueue(job, time),
        }
    }

    /// Returns the stage where GitLab's processing of pipeline `run` stops, while a job of its
    /// cycle is still `created`.
    fn halted_stage(&self, run: usize) -> Option<usize> {
        let halt = self.runs.get(run)?.halt.as_ref()?;
        let created = halt.members.iter().any(|&job| {
            self.states
                .get(job)
                .is_some_and(|s| s.phase == Phase::Created)
        });
        created.then_some(halt.stage)
    }

    fn set_phase(&mut self, job: usize, phase: Phase, token: Token) {
        if let Some(state) = self.states.get_mut(job) {
            state.phase = phase;
        }
        self.set_token(job, token);
    }

    /// Sets the job's token and counts it for its pipeline.
    fn set_token(&mut self, job: usize, token: Token) {
        let Some(state) = self.states.get_mut(job) else {
            return;
        };
        let previous = std::mem::replace(&mut state.token, token);
        let run = self
            .facts
            .get(job)
            .and_then(|f| self.runs.get_mut(f.pipeline));
        if let Some(run) = run {
            run.tokens.shift(previous, token);
        }
    }

    /// Records a job's final token, then lets the jobs that wait for it go ahead.
    fn settle(&mut self, job: usize, token: Token, reason: Option<String>) {
        let Some(state) = self.states.get_mut(job) else {
            return;
        };
        if state.phase == Phase::Settled {
            return;
        }
        state.phase = Phase::Settled;
        let cause = Some((job, state.attempts.len().checked_sub(1)));
        if reason.is_some() {
            state.reason = reason;
        }
        self.set_token(job, token);
        let Some(fact) = self.facts.get(job) else {
            return;
        };
        let stage = fact.stage;
        let run = fact.pipeline;
        if let Some(state) = self.runs.get_mut(run) {
            if let Some(tokens) = state.stage_tokens.get_mut(stage) {
                tokens.insert(token);
            }
            if let Some(count) = state.stage_unsettled.get_mut(stage) {
                *count = count.saturating_sub(1);
            }
        }
        for &dependent in &fact.dependents {
            let Some(waiting) = self.states.get_mut(dependent) else {
                continue;
            };
            waiting.unsettled_needs = waiting.unsettled_needs.saturating_sub(1);
            if waiting.unsettled_needs == 0 {
                waiting.cause = cause;
                self.decide.insert(dependent);
            }
        }
        self.open_stages(run, cause);
    }

    /// Takes the job's resource group, or waits for it, then makes the job pending.
    fn enqueue(&mut self, job: usize, time: u64) {
        let (Some(fact), Some(state)) = (self.facts.get(job), self.states.get(job)) else {
            return;
        };
        let queue_id = state.queue_id;
        if let Some(group) = fact.resource.and_then(|g| self.groups.get_mut(g)) {
            match group.holder {
                None => group.holder = Some(job),
                Some(_) => {
                    group.waiting.insert((queue_id, job));
                    self.set_phase(job, Phase::WaitingForResource, Token::WaitingForResource);
                    return;
                }
            }
        }
        self.make_pending(job, time);
    }

    fn make_pending(&mut self, job: usize, time: u64) {
        let Some(fact) = self.facts.get(job) else {
            return;
        };
        if fact.bridge {
            self.begin(job, None, time, time);
            return;
        }
        let class = fact.class;
        self.set_phase(job, Phase::Pending, Token::Pending);
        let Some(state) = self.states.get_mut(job) else {
            return;
        };
        state.queued = time;
        let entry = (state.queue_id, job);
        let Some(class) = class.and_then(|c| self.classes.get_mut(c)) else {
            self.events
                .push(Reverse((time.saturating_add(STUCK_TIMEOUT), DROP, job)));
            return;
        };
        class.queue.insert(entry);
        let hosts = class.hosts.clone();
        self.pending_since.push_back((time, entry.0, job));
        self.queue_drop_old();
        for host in hosts {
            self.wake_host(host, time);
        }
    }

    /// Returns whether `job` is still pending as the attempt with job id `id` that became
    /// pending at `since`.
    fn pending_as(&self, job: usize, id: u32, since: u64) -> bool {
        self.states
            .get(job)
            .is_some_and(|s| s.phase == Phase::Pending && s.queue_id == id && s.queued == since)
    }

    /// Removes the first entries of [`Sim::pending_since`] whose jobs left the queue, then
    /// queues a [`DROP_OLD`] event for the first one left, unless one is queued.
    fn queue_drop_old(&mut self) {
        if self.drop_old_queued {
            return;
        }
        while let Some(&(since, id, job)) = self.pending_since.front() {
            if self.pending_as(job, id, since) {
                let due = since.saturating_add(PENDING_TIMEOUT);
                self.events.push(Reverse((due, DROP_OLD, 0)));
                self.drop_old_queued = true;
                return;
            }
            self.pending_since.pop_front();
        }
    }

    /// Queues the host's next feed, at or after `time`, of a runner that would take a job.
    /// While every worker of the host is busy nothing is queued, because the end of a job
    /// queues the feed.
    fn wake_host(&mut self, host: usize, time: u64) {
        if !self.host_has_room(host) {
            return;
        }
        let Some(feeder) = self.feeders.get(host) else {
            return;
        };
        let found = feeder
            .candidates(time)
            .find(|&feed| feeder.runner(feed).is_some_and(|r| self.wants_job(r)));
        let Some(feed) = found else {
            return;
        };
        let second = feeder.second(feed, time);
        if let Some(feeder) = self.feeders.get_mut(host) {
            feeder.queue(second, feed);
        }
        self.events.push(Reverse((second, FEED, host)));
    }

    /// Returns whether `runner` is below its `limit` and a job it can take is pending.
    fn wants_job(&self, runner: usize) -> bool {
        let (Some(config), Some(state)) = (self.pool.runners.get(runner), self.runners.get(runner))
        else {
            return false;
        };
        if config.limit != 0 && state.running >= config.limit {
            return false;
        }
        state.classes.iter().any(|&c| {
            self.classes
                .get(c)
                .is_some_and(|class| !class.queue.is_empty())
        })
    }

    /// Returns whether the host has a worker that runs no job.
    fn host_has_room(&self, host: usize) -> bool {
        match (self.pool.hosts.get(host), self.host_running.get(host)) {
            (Some(config), Some(&running)) => running < config.concurrent,
            _ => false,
        }
    }

    fn has_room(&self, runner: usize) -> bool {
        let (Some(config), Some(state)) = (self.pool.runners.get(runner), self.runners.get(runner))
        else {
            return false;
        };
        self.host_has_room(config.host) && (config.limit == 0 || state.running < config.limit)
    }

    /// Hands the host's queued runner to a free worker, which requests jobs for it.
    fn feed(&mut self, host: usize, time: u64) {
        let Some(feed) = self.feeders.get_mut(host).and_then(|f| f.take_due(time)) else {
            return;
        };
        let runner = self.feeders.get(host).and_then(|f| f.runner(feed));
        if let Some(runner) = runner {
            self.poll(runner, time);
        }
        if self.host_has_room(host) {
            self.wake_host(host, time);
        } else if let Some(feeder) = self.feeders.get_mut(host) {
            feeder.block();
        }
    }

    /// Requests jobs for `runner`, lowest job id first. gitlab-runner requeues a runner that
    /// got a job without waiting, and a worker with no job takes it at once, so the runner
    /// takes jobs until it reaches its `limit`, its host has no free worker or none is left.
    /// A runner with `strict_check_interval` is not requeued and takes one job at most.
    fn poll(&mut self, runner: usize, time: u64) {
        let strict = self
            .pool
            .runners
            .get(runner)
            .is_some_and(|config| config.strict_check_interval);
        while self.has_room(runner) {
            let Some((entry, class)) = self.first_pending(runner) else {
                break;
            };
            if let Some(class) = self.classes.get_mut(class) {
                class.queue.remove(&entry);
            }
            let job = entry.1;
            let queued = self.states.get(job).map_or(time, |s| s.queued);
            self.begin(job, Some(runner), queued, time);
            if strict {
                break;
            }
        }
    }

    /// Returns the pending job with the lowest job id that `runner` can take, with its class.
    fn first_pending(&self, runner: usize) -> Option<((u32, usize), usize)> {
        self.runners
            .get(runner)?
            .classes
            .iter()
            .filter_map(|&c| Some((*self.classes.get(c)?.queue.first()?, c)))
            .min()
    }

    /// Starts an attempt of `job` on `runner` (none for a trigger job) at `time`.
    fn begin(&mut self, job: usize, runner: Option<usize>, queued: u64, time: u64) {
        let Some(fact) = self.facts.get(job) else {
            return;
        };
        let attempt = self.states.get(job).map_or(0, |s| s.attempts.len());
        let attempt = u32::try_from(attempt).unwrap_or(u32::MAX);
        let mut timeout = fact.timeout;
        if let Some(maximum) = runner
            .and_then(|r| self.pool.runners.get(r))
            .and_then(|r| r.maximum_timeout)
        {
            timeout = timeout.min(maximum);
        }
        let seconds = fact.timing.seconds;
        let runner_failure =
            runner.and_then(|r| fact.failing.iter().position(|failure| failure.runner == r));
        let failing = runner_failure.and_then(|index| fact.failing.get(index));
        // GitLab fails such a trigger job as soon as it starts, before any downstream
        // pipeline exists, so the durations file does not apply. It checks the depth limit
        // first, then the hierarchy size, then whether it can create the child pipeline.
        let hierarchy_full = fact
            .max_hierarchy_size
            .is_some_and(|max| max > 0 && self.hierarchy_size >= max);
        let downstream_failure = match fact.downstream_failure {
            Some(DEPTH_FAILED) => Some(DEPTH_FAILED),
            _ if hierarchy_full => Some(HIERARCHY_SIZE_FAILED),
            other => other,
        };
        let mut inherited = None;
        let (length, failure, exit_code) = if let Some(reason) = downstream_failure {
            (0, Some(reason), None)
        } else if let Some((failing, after)) =
            failing.and_then(|failing| Some((failing, failing.seconds()?)))
        {
            // The runner fails the job before its script runs.
            (after.min(timeout), Some(failing.failure_reason()), None)
        } else if !fact.bridge && seconds > timeout {
            (timeout, Some(TIMEOUT_FAILURE), None)
        } else if let Some(failing) = failing {
            // The script fails at its first Docker command, at a time glplan does not know,
            // so the attempt keeps the job's run time. A failure from the durations file keeps
            // its exit code.
            let exit_code = if fact.timing.failures.fails(attempt) {
                fact.timing.exit_code
            } else {
                failing.exit_code().unwrap_or(fact.timing.exit_code)
            };
            (seconds, Some(failing.failure_reason()), Some(exit_code))
        } else if !fact.timing.failures.fails(attempt) {
            (seconds, None, None)
        } else if !fact.bridge {
            (seconds, Some(SCRIPT_FAILURE), Some(fact.timing.exit_code))
        } else if fact.child.is_none() && fact.mirrors_downstream {
            // The failure of a downstream pipeline that is not simulated: GitLab fails the
            // trigger job without a failure reason (`inherit_failed` of `Ci::Bridge`).
            inherited = Some(JobStatus::Failed);
            (seconds, None, None)
        } else {
            (seconds, Some(CREATION_FAILED), None)
        };

        // A trigger job that starts creates its downstream pipeline, which the simulation
        // runs when the plan planned it. With `depend` or `mirror` the job runs until that
        // child pipeline completes, so no end is queued. GitLab links the child pipeline to
        // the trigger job before it reads the child's configuration, so a child saved with a
        // configuration error is in the hierarchy too.
        let saved_failed_child =
            fact.saves_failed_child && downstream_failure == Some(CREATION_FAILED);
        if fact.bridge && (failure.is_none() || saved_failed_child) {
            self.hierarchy_size += 1;
        }
        let child = fact.child.filter(|_| failure.is_none());
        let waits_for_child = child.is_some_and(|c| {
            self.runs
                .get(c)
                .is_some_and(|run| run.strategy != Strategy::None)
        });

        let slot = runner.map(|r| self.take_slot(r));
        let end = if waits_for_child {
            u64::MAX
        } else {
            time.saturating_add(length)
        };
        let mut cause = None;
        if let Some(state) = self.states.get_mut(job) {
            let after = state.cause;
            cause = after;
            state.phase = Phase::Running;
            state.current = Some(Current {
                runner,
                slot,
                queued,
                started: time,
                end,
                failure,
                exit_code,
                canceled: false,
                after,
                waits_for_child,
                inherited,
                start: Start::Started,
                runner_failure: runner_failure.filter(|_| failure.is_some()),
            });
        }
        self.set_token(job, Token::Running);
        if !waits_for_child {
            self.events.push(Reverse((end, FINISH, job)));
        }
        if let Some(child) = child {
            if waits_for_child {
                self.waited.insert(child);
            }
            self.create_pipeline(child, time, cause);
        }
    }

    fn take_slot(&mut self, runner: usize) -> u32 {
        let host = self.pool.runners.get(runner).map(|r| r.host);
        if let Some(running) = host.and_then(|h| self.host_running.get_mut(h)) {
            *running += 1;
        }
        let Some(state) = self.runners.get_mut(runner) else {
            return 0;
        };
        state.running += 1;
        state.jobs += 1;
        state.peak = state.peak.max(state.running);
        let slot = match state.slots.iter().position(|used| !used) {
            Some(free) => free,
            None => {
                state.slots.push(false);
                state.slots.len() - 1
            }
        };
        if let Some(used) = state.slots.get_mut(slot) {
            *used = true;
        }
        u32::try_from(slot).unwrap_or(u32::MAX)
    }

    /// Frees the attempt's slot, records the attempt and returns it.
    fn end_attempt(&mut self, job: usize, time: u64) -> Option<Current> {
        let state = self.states.get_mut(job)?;
        let mut current = state.current.take()?;
        current.end = time;
        state.attempts.push(current);
        if let (Some(runner), Some(slot)) = (current.runner, current.slot) {
            let host = self.pool.runners.get(runner).map(|r| r.host);
            if let Some(running) = host.and_then(|h| self.host_running.get_mut(h)) {
                *running = running.saturating_sub(1);
            }
            if let Some(state) = self.runners.get_mut(runner) {
                state.running = state.running.saturating_sub(1);
                state.busy += time.saturating_sub(current.started);
                if let Some(used) = usize::try_from(slot)
                    .ok()
                    .and_then(|s| state.slots.get_mut(s))
                {
                    *used = false;
                }
            }
            // The freed worker ends a stalled feed, and the freed slot counts for every runner
            // of the host.
            if let Some(host) = host {
                if let Some(feeder) = self.feeders.get_mut(host) {
                    feeder.release(time);
                }
                self.wake_host(host, time);
            }
        }
        self.release(job, time);
        Some(current)
    }

    /// Gives the job's resource group back and hands it to the waiting job with the lowest
    /// job id.
    fn release(&mut self, job: usize, time: u64) {
        let Some(group) = self
            .facts
            .get(job)
            .and_then(|f| f.resource)
            .and_then(|g| self.groups.get_mut(g))
        else {
            return;
        };
        if group.holder != Some(job) {
            return;
        }
        group.holder = None;
        let Some((_, next)) = group.waiting.pop_first() else {
            return;
        };
        group.holder = Some(next);
        let released = self
            .states
            .get(job)
            .map(|s| (job, s.attempts.len().checked_sub(1)));
        if let Some(state) = self.states.get_mut(next) {
            state.cause = released;
        }
        self.make_pending(next, time);
    }

    /// Ends an attempt with a success, a retry or a failure.
    fn finish(&mut self, job: usize, time: u64) {
        let running = self
            .states
            .get(job)
            .is_some_and(|s| s.phase == Phase::Running && s.current.is_some_and(|c| c.end == time));
        if !running {
            return;
        }
        let Some(attempt) = self.end_attempt(job, time) else {
            return;
        };
        self.conclude(job, &attempt, time);
    }

    /// Drops `job` if it became pending [`STUCK_TIMEOUT`] before `time`, with no runner that
    /// can take it, and is still pending.
    fn drop_stuck(&mut self, job: usize, time: u64) {
        let Some(state) = self.states.get(job) else {
            return;
        };
        if state.phase == Phase::Pending && state.queued.saturating_add(STUCK_TIMEOUT) == time {
            self.drop_pending(job, STUCK_FAILURE, time);
        }
    }

    /// Drops the jobs that have been pending for [`PENDING_TIMEOUT`] at `time`, then queues
    /// the next [`DROP_OLD`] event.
    fn drop_old(&mut self, time: u64) {
        self.drop_old_queued = false;
        while let Some(&(since, id, job)) = self.pending_since.front() {
            if since.saturating_add(PENDING_TIMEOUT) > time {
                break;
            }
            self.pending_since.pop_front();
            if self.pending_as(job, id, since) {
                self.drop_pending(job, PENDING_FAILURE, time);
            }
        }
        self.queue_drop_old();
    }

    /// Fails pending `job` at `time` with `reason`, without a runner, as GitLab's
    /// `Ci::StuckBuilds::DropPendingService` does, then retries it as other failures.
    ///
    /// NOTE: GitLab's cron worker looks for such jobs once an hour, so GitLab drops a job up
    /// to an hour later than here. Older versions give both kinds of job the failure reason
    /// `stuck_or_timeout_failure`.
    fn drop_pending(&mut self, job: usize, reason: &'static str, time: u64) {
        let Some(state) = self.states.get(job) else {
            return;
        };
        let attempt = Current {
            runner: None,
            slot: None,
            queued: state.queued,
            started: time,
            end: time,
            failure: Some(reason),
            exit_code: None,
            canceled: false,
            after: state.cause,
            waits_for_child: false,
            inherited: None,
            start: Start::Dropped,
            runner_failure: None,
        };
        // The attempt is recorded before the resource group is released, so the job that
        // takes the group next follows this attempt on the critical path.
        if let Some(state) = self.states.get_mut(job) {
            state.attempts.push(attempt);
        }
        self.unqueue(job, time);
        self.conclude(job, &attempt, time);
    }

    /// Settles `job` after its `attempt` ended at `time`, or retries it.
    fn conclude(&mut self, job: usize, attempt: &Current, time: u64) {
        let failed_downstream = attempt.inherited == Some(JobStatus::Failed);
        if attempt.failure.is_none() && !failed_downstream {
            self.settle(job, Token::Success, None);
            return;
        }
        if let Some(failure) = attempt.failure
            && self.retries(job, failure, attempt.exit_code)
        {
            let queue_id = self.next_queue_id;
            self.next_queue_id = self.next_queue_id.saturating_add(1);
            if let Some(state) = self.states.get_mut(job) {
                state.queue_id = queue_id;
                state.cause = Some((job, state.attempts.len().checked_sub(1)));
            }
            self.enqueue(job, time);
            return;
        }
        let allowed = self.failure_allowed(job, attempt.exit_code);
        let token = if allowed {
            Token::SuccessWithWarnings
        } else {
            Token::Failed
        };
        let reason = if failed_downstream {
            Some(
                "its downstream pipeline failed, as the durations file or `--fail` says".to_owned(),
            )
        } else if attempt.failure == Some(HIERARCHY_SIZE_FAILED) {
            Some(format!(
                "the pipeline hierarchy already had {} pipelines when the job started",
                self.hierarchy_size
            ))
        } else {
            self.facts
                .get(job)
                .and_then(|f| f.downstream_failure)
                .map(|_| "GitLab cannot create the child pipeline".to_owned())
        };
        self.settle(job, token, reason);
        let run = self.facts.get(job).map_or(0, |f| f.pipeline);
        if !allowed && self.runs.get(run).is_some_and(|r| r.cancel_on_failure) {
            let cause = self.last_attempt_of(job);
            self.cancel_pipeline(run, time, cause);
        }
    }

    /// GitLab's automatic retry: within `retry:max`, when `retry:when` lists the reason or
    /// `always`, or `retry:exit_codes` lists the exit code.
    fn retries(&self, job: usize, failure: &str, exit_code: Option<i64>) -> bool {
        let (Some(fact), Some(state)) = (self.facts.get(job), self.states.get(job)) else {
            return false;
        };
        let Some(retry) = &fact.planned.retry else {
            return false;
        };
        if fact.bridge || state.attempts.len() > usize::from(retry.max) {
            return false;
        }
        let by_reason = retry.when.iter().any(|w| w == "always" || w == failure);
        let by_code = exit_code.is_some_and(|code| {
            retry
                .exit_codes
                .iter()
                .any(|listed| listed.matches_saved(code))
        });
        by_reason || by_code
    }

    fn failure_allowed(&self, job: usize, exit_code: Option<i64>) -> bool {
        let Some(fact) = self.facts.get(job) else {
            return false;
        };
        match &fact.planned.allow_failure {
            AllowFailure::Bool(allowed) => *allowed,
            AllowFailure::ExitCodes { exit_codes } => exit_code.is_some_and(|code| {
                exit_codes
                    .iter()
                    .any(|listed| listed.matches_reported(code))
            }),
        }
    }

    fn timer(&mut self, job: usize, time: u64) {
        if self
            .states
            .get(job)
            .is_some_and(|s| s.phase == Phase::Scheduled)
        {
            self.enqueue(job, time);
        }
    }

    /// Cancels `job` unless it completed, or is manual.
    /// Cancels `job` at `time` unless it completed or is manual. `cause` is the failed attempt
    /// that canceled the pipeline.
    fn cancel_job(&mut self, job: usize, time: u64, cause: AttemptRef) {
        let Some(phase) = self.states.get(job).map(|s| s.phase) else {
            return;
        };
        match phase {
            Phase::Running => {
                if let Some(current) = self.states.get_mut(job).and_then(|s| s.current.as_mut()) {
                    current.canceled = true;
                    current.failure = None;
                    // The critical path passes over a trigger job's wait for its child
                    // pipeline, so it goes on to the failure that ended the wait.
                    if current.waits_for_child {
                        current.after = Some(cause);
                    }
                }
                self.end_attempt(job, time);
            }
            Phase::Pending => {
                self.cancel_retry(job, Start::CanceledPending, time);
                self.unqueue(job, time);
            }
            Phase::WaitingForResource => self.cancel_retry(job, Start::CanceledWaiting, time),
            Phase::Created | Phase::Scheduled => {}
            Phase::Manual | Phase::Settled => return,
        }
        if let Some(state) = self.states.get_mut(job) {
            state.canceled = true;
        }
        let run = self.facts.get(job).map(|f| f.pipeline);
        if let Some(run) = run.and_then(|run| self.runs.get_mut(run)) {
            run.canceled_at = Some(time);
        }
        let token = if self.failure_allowed(job, None) {
            Token::SuccessWithWarnings
        } else {
            Token::Canceled
        };
        self.settle(
            job,
            token,
            Some("canceled by `auto_cancel:on_job_failure`".into()),
        );
    }

    /// Records the cancellation of a retry of `job` that had not started. GitLab creates each
    /// retry as a new job, so the canceled retry is an attempt of its own, without a runner.
    /// The first attempt of a job that never started is not recorded.
    fn cancel_retry(&mut self, job: usize, start: Start, time: u64) {
        let Some(state) = self.states.get_mut(job) else {
            return;
        };
        let Some(previous) = state.attempts.last() else {
            return;
        };
        // A retry that waits for its resource group was created when the attempt before it
        // ended.
        let queued = match start {
            Start::CanceledWaiting => previous.end,
            _ => state.queued,
        };
        let attempt = Current {
            runner: None,
            slot: None,
            queued,
            started: time,
            end: time,
            failure: None,
            exit_code: None,
            canceled: true,
            after: state.cause,
            waits_for_child: false,
            inherited: None,
            start,
            runner_failure: None,
        };
        state.attempts.push(attempt);
    }

    /// Returns the last attempt of `job`.
    fn last_attempt_of(&self, job: usize) -> AttemptRef {
        let last = self
            .states
            .get(job)
            .and_then(|s| s.attempts.len().checked_sub(1));
        (job, last)
    }

    fn unqueue(&mut self, job: usize, time: u64) {
        let queue_id = self.states.get(job).map_or(0, |s| s.queue_id);
        if let Some(class) = fact_class(&self.facts, job).and_then(|c| self.classes.get_mut(c)) {
            class.queue.remove(&(queue_id, job));
        }
        self.release(job, time);
    }

    /// Builds the [`Schedule`] once no event is left.
    fn result(self) -> Schedule {
        let duration = self
            .states
            .iter()
            .flat_map(|s| s.attempts.iter().map(|a| a.end))
            .max()
            .unwrap_or(0);
        // The top pipeline's status and end count its own jobs only, and a child pipeline
        // through its trigger job.
        let mut finished = true;
        let mut own_end = 0;
        for job in self
            .runs
            .first()
            .map(|r| r.jobs.clone())
            .unwrap_or_default()
        {
            let state = self.states.get(job);
            finished &= state.is_some_and(|state| state.token.is_settled());
            let end = state.and_then(|state| state.attempts.iter().map(|a| a.end).max());
            own_end = own_end.max(end.unwrap_or(0));
        }
        let pipelines = self.child_pipelines();
        let finished_at = (finished && !pipelines.is_empty()).then_some(own_end);
        let jobs: Vec<ScheduledJob> = (0..self.states.len())
            .filter(|&job| {
                self.facts
                    .get(job)
                    .and_then(|f| self.runs.get(f.pipeline))
                    .is_some_and(|r| r.created_at.is_some())
            })
            .filter_map(|job| self.scheduled_job(job))
            .collect();
        let stuck = (0..self.states.len())
            .filter(|&job| {
                self.states
                    .get(job)
                    .is_some_and(|s| s.attempts.iter().any(|a| a.start == Start::Dropped))
            })
            .filter_map(|job| {
                Some(StuckJob {
                    job: self.facts.get(job)?.name.to_string(),
                    reason: self.stuck_reason(job),
                })
            })
            .collect();
        Schedule {
            status: self.run_status(0),
            finished,
            duration,
            finished_at,
            pipelines,
            runners: self.usage(duration),
            critical_path: self.critical_path(),
            longest_waits: self.longest_waits(),
            stuck,
            jobs,
        }
    }

    fn scheduled_job(&self, job: usize) -> Option<ScheduledJob> {
        let fact = self.facts.get(job)?;
        let state = self.states.get(job)?;
        let runner_name = |runner: Option<usize>| {
            runner
                .and_then(|r| self.pool.runners.get(r))
                .map(|r| r.name.clone())
        };
        let mut attempts: Vec<Attempt> = state
            .attempts
            .iter()
            .map(|a| Attempt {
                runner: runner_name(a.runner),
                slot: a.slot,
                queued_at: (a.start != Start::CanceledWaiting).then_some(a.queued),
                started_at: (a.start == Start::Started).then_some(a.started),
                finished_at: Some(a.end),
                status: attempt_status(a),
                failure_reason: a.failure.map(str::to_owned),
                reason: match a.start {
                    Start::Dropped => Some(self.stuck_reason(job)),
                    _ => self.runner_failure_reason(job, a),
                },
            })
            .collect();
        // A retry that waits for its resource group is a new job in GitLab, so it gets an
        // attempt of its own, and the job's runner, slot and end come from that attempt.
        let waiting_retry = state.phase == Phase::WaitingForResource && !state.attempts.is_empty();
        if waiting_retry {
            attempts.push(Attempt {
                runner: None,
                slot: None,
                queued_at: None,
                started_at: None,
                finished_at: None,
                status: JobStatus::WaitingForResource,
                failure_reason: None,
                reason: None,
            });
        }
        let last = state.attempts.last().filter(|_| !waiting_retry);
        // A trigger job that still waits for its child pipeline, or was made manual by it,
        // has an attempt that never ended.
        let open = state.current.filter(|c| c.waits_for_child);
        let status = match (state.phase, state.token) {
            (_, Token::Success) => JobStatus::Success,
            (_, Token::Skipped) => JobStatus::Skipped,
            (_, Token::Canceled) => JobStatus::Canceled,
            (_, Token::Ignored) | (Phase::Manual, _) => JobStatus::Manual,
            (_, Token::Failed) => JobStatus::Failed,
            _ if state.canceled => JobStatus::Canceled,
            (_, Token::SuccessWithWarnings) => JobStatus::Failed,
            (Phase::WaitingForResource, _) => JobStatus::WaitingForResource,
            (Phase::Running, _) if open.is_some() => JobStatus::Running,
            _ => JobStatus::Created,
        };
        let halt = self
            .halted_stage(fact.pipeline)
            .filter(|&stage| fact.stage >= stage)
            .and_then(|_| self.runs.get(fact.pipeline)?.halt.as_ref());
        let reason = match status {
            JobStatus::Failed if last.is_some_and(|a| a.start == Start::Dropped) => {
                Some(self.stuck_reason(job))
            }
            JobStatus::Failed if last.is_some_and(|a| a.runner_failure.is_some()) => {
                last.and_then(|a| self.runner_failure_reason(job, a))
            }
            JobStatus::Created if halt.is_some() => halt.map(|h| h.reason.clone()),
            JobStatus::Created => self.blocker(job),
            JobStatus::WaitingForResource => self.resource_reason(job),
            JobStatus::Running => self.waiting_reason(job),
            JobStatus::Manual if open.is_some() => state.reason.clone(),
            JobStatus::Manual => Some(if state.token == Token::Ignored {
                "optional manual job, not played".to_owned()
            } else {
                "blocking manual job, not played".to_owned()
            }),
            _ => state.reason.clone(),
        };
        let failure_reason = match status {
            JobStatus::Failed => last
                .and_then(|a| a.failure)
                .or(fact.creation_failure)
                .map(str::to_owned),
            _ => None,
        };
        let pipeline = self.runs.get(fact.pipeline).and_then(|r| r.prefix.clone());
        let pipeline_index = self.output_pipeline_index(fact.pipeline);
        Some(ScheduledJob {
            name: fact.name.to_string(),
            pipeline,
            pipeline_index,
            stage: fact.planned.stage.to_string(),
            status,
            allowed_failure: state.token == Token::SuccessWithWarnings,
            runner: last.and_then(|a| runner_name(a.runner)),
            slot: last.and_then(|a| a.slot),
            queued_at: state.attempts.first().or(open.as_ref()).map(|a| a.queued),
            started_at: state
                .attempts
                .iter()
                .find(|a| a.start == Start::Started)
                .or(open.as_ref())
                .map(|a| a.started),
            finished_at: last.map(|a| a.end),
            failure_reason,
            reason,
            attempts,
        })
    }

    fn stuck_reason(&self, job: usize) -> String {
        let Some(fact) = self.facts.get(job) else {
            return String::new();
        };
        if fact.hosts_not_running {
            return "the runners that match it are on hosts with `concurrent = 0`, where \
                    gitlab-runner exits at start"
                .to_owned();
        }
        if fact.eligible.is_empty() {
            return fact
                .no_runner_reason
                .map_or_else(|| "no runner can take the job".to_owned(), str::to_owned);
        }
        "the runners that can take it had no free slot for a day".to_owned()
    }

    /// Describes how the runner of `attempt` failed `job`, and whether another runner that can
    /// take the job runs it. `None` for an attempt that its runner did not fail, or that was
    /// canceled.
    fn runner_failure_reason(&self, job: usize, attempt: &Current) -> Option<String> {
        let fact = self.facts.get(job)?;
        let failing = fact.failing.get(attempt.runner_failure?)?;
        if attempt.canceled || attempt.failure.is_none() {
            return None;
        }
        let runner_name = |r: usize| self.pool.runners.get(r).map_or("", |r| r.name.as_str());
        let runner = runner_name(failing.runner);
        let cause = match failing.stage {
            FailureStage::Prepare | FailureStage::PodCreation => {
                format!("runner `{runner}` fails the job before its script")
            }
            FailureStage::Script => format!("the script fails on runner `{runner}`"),
        };
        let others: Vec<String> = fact
            .eligible
            .iter()
            .filter(|&&r| !fact.failing.iter().any(|failure| failure.runner == r))
            .map(|&r| format!("`{}`", runner_name(r)))
            .collect();
        let rest = match others.as_slice() {
            [] => "every runner that can take the job fails it".to_owned(),
            [one] => format!("runner {one} runs it"),
            many => format!("runners {} run it", many.join(", ")),
        };
        Some(format!("{cause}: {}; {rest}", failing.message))
    }

    /// Names the first job this created job still waits for.
    fn blocker(&self, job: usize) -> Option<String> {
        let fact = self.facts.get(job)?;
        let unsettled = |other: &usize| {
            self.states
                .get(*other)
                .is_some_and(|s| !s.token.is_settled())
        };
        let waited = if fact.dag {
            fact.needs.iter().find(|n| unsettled(n)).copied()
        } else {
            let jobs = self.runs.get(fact.pipeline)?.jobs.clone();
            jobs.clone().find(|other| {
                self.facts.get(*other).is_some_and(|f| f.stage < fact.stage) && unsettled(other)
            })
        };
        let Some(waited) = waited else {
            return Some("the jobs it waits for form a cycle".to_owned());
        };
        let name = self.facts.get(waited).map(|f| f.name.as_ref())?;
        let waited_state = self.states.get(waited);
        let trigger_open = waited_state
            .and_then(|s| s.current)
            .is_some_and(|c| c.waits_for_child);
        let what = match waited_state.map(|s| s.phase) {
            Some(Phase::Manual) if trigger_open => "manual because its child pipeline is blocked",
            Some(Phase::Running) if trigger_open => "still waiting for its child pipeline",
            Some(Phase::Manual) => "a blocking manual job that is not played",
            Some(Phase::Pending) => "stuck",
            Some(Phase::WaitingForResource) => "waiting for its resource group",
            _ => "never started",
        };
        Some(format!("waits for `{name}`, which is {what}"))
    }

    fn resource_reason(&self, job: usize) -> Option<String> {
        let group = self
            .facts
            .get(job)?
            .resource
            .and_then(|g| self.groups.get(g))?;
        let holder = group
            .holder
            .and_then(|h| self.facts.get(h))
            .map_or("nobody", |f| f.name.as_ref());
        Some(format!(
            "resource group `{}` is held by `{holder}`, which never completes",
            group.shown
        ))
    }

    fn usage(&self, duration: u64) -> Vec<RunnerUsage> {
        self.pool
            .runners
            .iter()
            .zip(&self.runners)
            .map(|(config, state)| {
                let host = self.pool.hosts.get(config.host);
                let concurrent = host.map_or(0, |h| h.concurrent);
                let slots = match (config.limit, concurrent) {
                    (0, u32::MAX) => state.peak,
                    (0, concurrent) => concurrent,
                    (limit, concurrent) => limit.min(concurrent),
                };
                let capacity = u64::from(slots).saturating_mul(duration);
                let utilisation = if capacity == 0 {
                    0.0
                } else {
                    let ratio = state.busy as f64 / capacity as f64;
                    (ratio * 10_000.0).round() / 10_000.0
                };
                RunnerUsage {
                    name: config.name.clone(),
                    host: host.map(|h| h.name.clone()).unwrap_or_default(),
                    jobs: state.jobs,
                    busy: state.busy,
                    peak: state.peak,
                    utilisation,
                }
            })
            .collect()
    }

    /// Walks back from the attempt that ends last, each attempt to the one whose end let it
    /// become pending, then joins consecutive attempts of one job into one step.
    fn critical_path(&self) -> Vec<CriticalStep> {
        let last = self
            .states
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let k = s.attempts.len().checked_sub(1)?;
                Some((s.attempts.get(k)?.end, Reverse(i), k))
            })
            .max()
            .map(|(_, Reverse(i), k)| (i, Some(k)));
        let mut chain: Vec<(usize, usize)> = Vec::new();
        let mut next = last;
        // Each step goes to an attempt that ended earlier, or to a skipped job decided
        // earlier, so the walk ends. The bound guards against a loop all the same.
        let bound = self.states.len() + self.next_queue_id as usize + 1;
        for _ in 0..bound {
            let Some((job, attempt)) = next else {
                break;
            };
            let Some(state) = self.states.get(job) else {
                break;
            };
            match attempt.and_then(|k| state.attempts.get(k).map(|a| (k, a))) {
                // A trigger job that waited for its child pipeline started before the child's
                // jobs ended, so the path goes through those jobs in its place.
                Some((k, current)) => {
                    if !current.waits_for_child {
                        chain.push((job, k));
                    }
                    next = current.after;
                }
                None => next = state.cause,
            }
        }
        chain.reverse();

        let mut path: Vec<CriticalStep> = Vec::new();
        let mut previous_job = None;
        for (job, k) in chain {
            let (Some(state), Some(fact)) = (self.states.get(job), self.facts.get(job)) else {
                continue;
            };
            let Some(attempt) = state.attempts.get(k) else {
                continue;
            };
            if previous_job == Some(job)
                && let Some(step) = path.last_mut()
            {
                step.finished_at = attempt.end;
                continue;
            }
            previous_job = Some(job);
            let ready_at = match k {
                0 => state.ready_at.unwrap_or(attempt.queued),
                _ => attempt.queued,
            };
            path.push(CriticalStep {
                job: fact.name.to_string(),
                ready_at,
                started_at: attempt.started,
                finished_at: attempt.end,
            });
        }
        path
    }

    fn longest_waits(&self) -> Vec<SlotWait> {
        let mut waits: Vec<(u64, usize)> = self
            .states
            .iter()
            .enumerate()
            .filter(|(_, s)| s.attempts.iter().any(|a| a.runner.is_some()))
            .map(|(i, s)| {
                // An attempt dropped or canceled while pending has its `started` at that
                // time, so its pending time counts too. A retry canceled while it waited for
                // its resource group never waited for a runner.
                let wait = s
                    .attempts
                    .iter()
                    .filter(|a| a.start != Start::CanceledWaiting)
                    .map(|a| a.started.saturating_sub(a.queued))
                    .sum();
                (wait, i)
            })
            .filter(|(wait, _)| *wait > 0)
            .collect();
        crate::sort::sort_by_key(&mut waits, |&(wait, job)| (Reverse(wait), job));
        waits
            .into_iter()
            .take(LONGEST_WAITS)
            .filter_map(|(wait, job)| {
                let runner = self.states.get(job)?.attempts.last()?.runner?;
                Some(SlotWait {
                    job: self.facts.get(job)?.name.to_string(),
                    wait,
                    runner: self.pool.runners.get(runner)?.name.clone(),
                })
            })
            .collect()
    }
}

/// Returns where GitLab's processing of `pipeline` stops, if it does. The pipeline's jobs are
/// `facts[first..]`, in the pipeline's job order.
fn halt_of(pipeline: &Pipeline, first: usize, facts: &[JobFacts<'_>]) -> Option<Halt> {
    let cycle = crate::pipeline::processing_cycle(&pipeline.jobs, &pipeline.stages)?;
    let members: Vec<usize> = cycle.members.iter().map(|&job| first + job).collect();
    let names: Vec<String> = members
        .iter()
        .filter_map(|&job| facts.get(job))
        .map(|fact| format!("`{}`", fact.name))
        .collect();
    let stage = pipeline
        .stages
        .get(cycle.stage)
        .map_or("", |stage| stage.name.as_str());
    let subject = match names.as_slice() {
        [single] => format!("{single} needs itself"),
        _ => format!("{} need each other", names.join(", ")),
    };
    Some(Halt {
        stage: cycle.stage,
        members,
        reason: format!(
            "GitLab's processing stops at stage `{stage}`, where {subject}, so the job is never \
             processed"
        ),
    })
}

fn fact_class(facts: &[JobFacts<'_>], job: usize) -> Option<usize> {
    facts.get(job).and_then(|f| f.class)
}

fn attempt_status(attempt: &Current) -> JobStatus {
    if let Some(status) = attempt.inherited {
        status
    } else if attempt.canceled {
        JobStatus::Canceled
    } else if attempt.failure.is_some() {
        JobStatus::Failed
    } else {
        JobStatus::Success
    }
}

fn status_name(status: PipelineStatus) -> &'static str {
    match status {
        PipelineStatus::Created => "created",
        PipelineStatus::Pending => "pending",
        PipelineStatus::Running => "running",
        PipelineStatus::WaitingForResource => "waiting_for_resource",
        PipelineStatus::Manual => "manual",
        PipelineStatus::Scheduled => "scheduled",
        PipelineStatus::Success => "success",
        PipelineStatus::Failed => "failed",
        PipelineStatus::Canceled => "canceled",
        PipelineStatus::Skipped => "skipped",
    }
}
