//! Properties of the schedule simulation over random pipelines and runner pools: slot bounds,
//! ordering, progress, pickup within one `check_interval`, the critical path and determinism.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "generated inputs are valid by construction; a failure fails the property"
)]

use std::collections::BTreeMap;

use glplan::context::PipelineContext;
use glplan::pipeline::{Pipeline, PlanOptions, plan};
use glplan::schedule::{
    Durations, Eligible, Host, JobSelector, JobStatus, Runner, RunnerPool, Schedule,
    ScheduleOptions, simulate,
};
use glplan::{Diagnostics, FileId, Limits, MemoryFiles};
use proptest::prelude::*;

/// One generated job.
#[derive(Debug, Clone)]
struct JobSpec {
    stage: usize,
    /// `None` waits for the earlier stages; `Some` lists needed jobs by index (lower ones).
    needs: Option<Vec<usize>>,
    when: &'static str,
    allow_failure: bool,
    resource_group: bool,
    retry: u8,
    seconds: u64,
    fail: u8,
    runners: Vec<usize>,
}

#[derive(Debug, Clone)]
struct Case {
    jobs: Vec<JobSpec>,
    hosts: Vec<(u32, u64)>,
    runners: Vec<(usize, u32)>,
    play: Vec<usize>,
    /// Sets `workflow:auto_cancel:on_job_failure: all`.
    cancel: bool,
}

fn when() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        6 => Just("on_success"),
        1 => Just("on_failure"),
        1 => Just("always"),
        1 => Just("manual"),
        1 => Just("delayed"),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let hosts = prop::collection::vec((0u32..4, 0u64..6), 1..4);
    let runners = prop::collection::vec((0usize..3, 0u32..3), 1..6);
    (hosts, runners, 1usize..14).prop_flat_map(|(hosts, runners, count)| {
        let host_count = hosts.len();
        let runners: Vec<(usize, u32)> = runners
            .into_iter()
            .map(|(host, limit)| (host % host_count, limit))
            .collect();
        let runner_count = runners.len();
        let job = (
            0usize..4,
            prop::option::weighted(0.5, prop::collection::vec(0usize..64, 0..3)),
            when(),
            any::<bool>(),
            prop::bool::weighted(0.2),
            0u8..3,
            1u64..200,
            prop_oneof![4 => Just(0u8), 1 => Just(1u8), 1 => Just(9u8)],
            prop::collection::vec(0usize..runner_count, 0..3),
        );
        let jobs = prop::collection::vec(job, count);
        let play = prop::collection::vec(0usize..count, 0..3);
        // Drawn last, so the seeds saved before it was added still give the same jobs.
        let cancel = prop::bool::weighted(0.25);
        (Just(hosts), Just(runners), jobs, play, cancel).prop_map(
            |(hosts, runners, raw, play, cancel)| {
                let mut raw = raw;
                raw.sort_by_key(|job| job.0);
                let jobs = raw
                    .into_iter()
                    .enumerate()
                    .map(|(index, job)| {
                        let needs = job.1.map(|needs| {
                            let mut needs: Vec<usize> = needs
                                .into_iter()
                                .filter(|_| index > 0)
                                .map(|n| n % index.max(1))
                                .collect();
                            needs.sort_unstable();
                            needs.dedup();
                            needs
                        });
                        JobSpec {
                            stage: job.0,
                            needs,
                            when: job.2,
                            allow_failure: job.3,
                            resource_group: job.4,
                            retry: job.5,
                            seconds: job.6,
                            fail: job.7,
                            runners: job.8,
                        }
                    })
                    .collect();
                Case {
                    jobs,
                    hosts,
                    runners,
                    play,
                    cancel,
                }
            },
        )
    })
}

fn yaml(case: &Case) -> String {
    let mut out = String::from("stages: [s0, s1, s2, s3]\n");
    if case.cancel {
        out.push_str("workflow: {auto_cancel: {on_job_failure: all}}\n");
    }
    for (index, job) in case.jobs.iter().enumerate() {
        out.push_str(&format!(
            "j{index}:\n  stage: s{}\n  script: x\n",
            job.stage
        ));
        out.push_str(&format!("  when: {}\n", job.when));
        if job.when == "delayed" {
            out.push_str("  start_in: 30 seconds\n");
        }
        out.push_str(&format!("  allow_failure: {}\n", job.allow_failure));
        if let Some(needs) = &job.needs {
            let names: Vec<String> = needs.iter().map(|n| format!("j{n}")).collect();
            out.push_str(&format!("  needs: [{}]\n", names.join(", ")));
        }
        if job.resource_group {
            out.push_str("  resource_group: shared\n");
        }
        if job.retry > 0 {
            out.push_str(&format!("  retry: {}\n", job.retry));
        }
        out.push_str("  timeout: 2 minutes\n");
    }
    out
}

fn durations(case: &Case) -> Durations {
    let mut text = String::from("jobs:\n");
    for (index, job) in case.jobs.iter().enumerate() {
        let fail = match job.fail {
            0 => "false".to_owned(),
            9 => "true".to_owned(),
            n => n.to_string(),
        };
        text.push_str(&format!(
            "  j{index}: {{duration: {}, fail: {fail}}}\n",
            job.seconds
        ));
    }
    let mut diagnostics = Diagnostics::new();
    let durations = Durations::parse(FileId(0), &text, &Limits::default(), &mut diagnostics);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    durations
}

fn pipeline(case: &Case) -> Pipeline {
    let files = MemoryFiles::new().with_file(".gitlab-ci.yml", yaml(case));
    let (resolution, pipeline) = plan(
        ".gitlab-ci.yml",
        &files,
        &PipelineContext::push("main"),
        &PlanOptions::default(),
    );
    assert!(
        !resolution.diagnostics.has_errors(),
        "{:?}\n{}",
        resolution.diagnostics,
        yaml(case)
    );
    let pipeline = pipeline.unwrap();
    assert!(pipeline.created, "{:?}\n{}", pipeline.errors, yaml(case));
    pipeline
}

fn pool(case: &Case, pipeline: &Pipeline) -> RunnerPool {
    RunnerPool {
        hosts: case
            .hosts
            .iter()
            .enumerate()
            .map(|(i, &(concurrent, check_interval))| Host {
                name: format!("h{i}"),
                concurrent,
                check_interval,
            })
            .collect(),
        runners: case
            .runners
            .iter()
            .enumerate()
            .map(|(i, &(host, limit))| Runner {
                name: format!("r{i}"),
                host,
                limit,
                maximum_timeout: None,
                strict_check_interval: false,
            })
            .collect(),
        eligible: pipeline
            .jobs
            .iter()
            .map(|job| {
                let index: usize = job.name[1..].parse().unwrap();
                let runners = case.jobs[index].runners.clone();
                Eligible {
                    reason: runners.is_empty().then(|| "no runner".to_owned()),
                    runners,
                    failing: Vec::new(),
                }
            })
            .collect(),
        children: Vec::new(),
    }
}

fn options(case: &Case) -> ScheduleOptions {
    ScheduleOptions {
        play: case
            .play
            .iter()
            .map(|i| JobSelector::from(format!("j{i}")))
            .collect(),
        fail: Vec::new(),
    }
}

struct Run {
    pipeline: Pipeline,
    pool: RunnerPool,
    schedule: Schedule,
}

fn run(case: &Case) -> Run {
    let pipeline = pipeline(case);
    let pool = pool(case, &pipeline);
    let schedule = simulate(&pipeline, &pool, &durations(case), &options(case));
    Run {
        pipeline,
        pool,
        schedule,
    }
}

/// Lists every attempt that ran on a runner as (runner index, start, end).
fn attempts(run: &Run) -> Vec<(usize, u64, u64)> {
    let index: BTreeMap<&str, usize> = run
        .pool
        .runners
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.as_str(), i))
        .collect();
    run.schedule
        .jobs
        .iter()
        .flat_map(|job| &job.attempts)
        .filter_map(|a| {
            let runner = index[a.runner.as_deref()?];
            Some((runner, a.started_at?, a.finished_at?))
        })
        .collect()
}

/// Lists the jobs that job `index` waits for, by name: its needs, or every job of an
/// earlier stage.
fn predecessors(case: &Case, index: usize) -> Vec<String> {
    let job = &case.jobs[index];
    match &job.needs {
        Some(needs) => needs.iter().map(|n| format!("j{n}")).collect(),
        None => (0..case.jobs.len())
            .filter(|&other| case.jobs[other].stage < job.stage)
            .map(|other| format!("j{other}"))
            .collect(),
    }
}

/// Returns whether, at the end of second `at`, `runner`'s host has a worker that runs no
/// attempt and `runner` runs fewer attempts than its `limit`.
fn has_room(run: &Run, attempts: &[(usize, u64, u64)], runner: usize, at: u64) -> bool {
    let config = &run.pool.runners[runner];
    let running: Vec<usize> = attempts
        .iter()
        .filter(|&&(_, start, end)| start <= at && at < end)
        .map(|&(r, _, _)| r)
        .collect();
    let on_host = running
        .iter()
        .filter(|&&r| run.pool.runners[r].host == config.host)
        .count() as u32;
    let own = running.iter().filter(|&&r| r == runner).count() as u32;
    on_host < run.pool.hosts[config.host].concurrent && (config.limit == 0 || own < config.limit)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn slots_within_limit_and_concurrent(case in case()) {
        let run = run(&case);
        let attempts = attempts(&run);
        for &(_, start, _) in &attempts {
            let active: Vec<usize> = attempts
                .iter()
                .filter(|&&(_, s, e)| s <= start && start < e)
                .map(|&(r, _, _)| r)
                .collect();
            for (r, runner) in run.pool.runners.iter().enumerate() {
                let count = active.iter().filter(|&&x| x == r).count() as u32;
                prop_assert!(runner.limit == 0 || count <= runner.limit,
                    "runner {r} runs {count} > limit {} at {start}", runner.limit);
            }
            for (h, host) in run.pool.hosts.iter().enumerate() {
                let count = active
                    .iter()
                    .filter(|&&x| run.pool.runners[x].host == h)
                    .count() as u32;
                prop_assert!(count <= host.concurrent,
                    "host {h} runs {count} > concurrent {} at {start}", host.concurrent);
            }
        }
    }

    #[test]
    fn no_start_before_predecessors_finish(case in case()) {
        let run = run(&case);
        for (index, _) in case.jobs.iter().enumerate() {
            let name = format!("j{index}");
            let Some(started) = run.schedule.job(&name).and_then(|j| j.started_at) else {
                continue;
            };
            for predecessor in predecessors(&case, index) {
                let finished = run.schedule.job(&predecessor).and_then(|j| j.finished_at);
                if let Some(finished) = finished {
                    prop_assert!(finished <= started,
                        "{name} starts at {started} before {predecessor} ends at {finished}");
                }
            }
        }
    }

    #[test]
    fn every_job_runs_or_has_reason(case in case()) {
        let run = run(&case);
        for (i, job) in run.schedule.jobs.iter().enumerate() {
            match job.status {
                JobStatus::Success | JobStatus::Failed => {
                    prop_assert!(!job.attempts.is_empty(), "{} has no attempt", job.name);
                }
                _ => {
                    let reason = job.reason.as_deref().unwrap_or_default();
                    prop_assert!(!reason.is_empty(), "{} ({:?}) has no reason", job.name, job.status);
                }
            }
            if job.failure_reason.as_deref().is_some_and(|r| r.starts_with("stuck_pending")) {
                let eligible = &run.pool.eligible[i].runners;
                let usable = eligible
                    .iter()
                    .any(|&r| run.pool.hosts[run.pool.runners[r].host].concurrent > 0);
                prop_assert!(!usable, "{} was dropped as stuck although a runner can take it", job.name);
            }
        }
    }

    #[test]
    fn duration_covers_critical_path(case in case()) {
        let run = run(&case);
        let path: u64 = run
            .schedule
            .critical_path
            .iter()
            .map(|step| step.finished_at - step.started_at)
            .sum();
        prop_assert!(path <= run.schedule.duration);

        // The longest chain of run times along the jobs' dependencies.
        let mut longest = vec![0u64; case.jobs.len()];
        for index in 0..case.jobs.len() {
            let Some(job) = run.schedule.job(&format!("j{index}")) else { continue };
            let own: u64 = job
                .attempts
                .iter()
                .filter_map(|a| Some(a.finished_at? - a.started_at?))
                .sum();
            if job.attempts.is_empty() {
                continue;
            }
            let before = predecessors(&case, index)
                .iter()
                .map(|name| longest[name[1..].parse::<usize>().unwrap()])
                .max()
                .unwrap_or(0);
            longest[index] = before + own;
        }
        let chain = longest.into_iter().max().unwrap_or(0);
        prop_assert!(chain <= run.schedule.duration,
            "chain {chain} > duration {}", run.schedule.duration);
    }

    /// The feeder hands each runner to a worker once per `check_interval` while the host has
    /// a free worker, so a pending job never waits `check_interval + 1` seconds in a row
    /// while one of its runners has room.
    #[test]
    fn pending_job_taken_within_interval(case in case()) {
        let run = run(&case);
        let attempts = attempts(&run);
        for job in &run.schedule.jobs {
            let index = run.pipeline.jobs.iter().position(|j| j.name == job.name).unwrap();
            for attempt in job.attempts.iter().filter(|a| a.runner.is_some()) {
                for &runner in &run.pool.eligible[index].runners {
                    let host = run.pool.runners[runner].host;
                    let interval = run.pool.hosts[host].check_interval;
                    let mut free = 0;
                    // An attempt on a runner always has both times.
                    let (Some(queued), Some(started)) = (attempt.queued_at, attempt.started_at)
                    else {
                        continue;
                    };
                    for at in queued..started {
                        free = if has_room(&run, &attempts, runner, at) { free + 1 } else { 0 };
                        prop_assert!(free <= interval,
                            "{} waits from {queued} to {started} although runner {runner} has \
                             room for {free} seconds up to {at}", job.name);
                    }
                }
            }
        }
    }

    #[test]
    fn identical_inputs_identical_output(case in case()) {
        let first = run(&case);
        let second = run(&case);
        prop_assert_eq!(&first.schedule, &second.schedule);
        let first_json = serde_json::to_string(&first.schedule).unwrap();
        let second_json = serde_json::to_string(&second.schedule).unwrap();
        prop_assert_eq!(first_json, second_json);
        prop_assert_eq!(first.pipeline.jobs.len(), case.jobs.len());
    }
}
