//! Worked examples of the simulation: GitLab's processing rules and the runner model.

use super::*;
use crate::context::PipelineContext;
use crate::pipeline::{PlanOptions, plan};
use crate::source::FileId;
use crate::{Diagnostics, Limits, MemoryFiles};

fn pipeline(yaml: &str) -> Pipeline {
    child_tests::planned(&[(".gitlab-ci.yml", yaml)])
}

pub(super) fn durations(text: &str) -> Durations {
    let mut diags = Diagnostics::new();
    let durations = Durations::parse(FileId(0), text, &Limits::default(), &mut diags);
    assert!(diags.is_empty(), "{diags:?}");
    durations
}

/// Makes every job of the child pipelines eligible for runners `0..count`.
fn every_runner(children: Vec<ChildEligible>, count: usize) -> Vec<ChildEligible> {
    children
        .into_iter()
        .map(|child| ChildEligible {
            trigger: child.trigger,
            eligible: child
                .eligible
                .into_iter()
                .map(|_| Eligible {
                    runners: (0..count).collect(),
                    reason: None,
                    failing: Vec::new(),
                })
                .collect(),
            children: every_runner(child.children, count),
        })
        .collect()
}

/// Builds one host with `concurrent` and `check_interval` and runners with these limits,
/// with every job eligible for every runner.
fn pool(pipeline: &Pipeline, concurrent: u32, interval: u64, limits: &[u32]) -> RunnerPool {
    RunnerPool {
        hosts: vec![Host {
            name: "host".into(),
            concurrent,
            check_interval: interval,
        }],
        runners: limits
            .iter()
            .enumerate()
            .map(|(i, &limit)| Runner {
                name: format!("r{i}"),
                host: 0,
                limit,
                maximum_timeout: None,
                strict_check_interval: false,
            })
            .collect(),
        eligible: pipeline
            .jobs
            .iter()
            .map(|_| Eligible {
                runners: (0..limits.len()).collect(),
                reason: None,
                failing: Vec::new(),
            })
            .collect(),
        children: every_runner(RunnerPool::unlimited(pipeline).children, limits.len()),
    }
}

/// Builds one host with one runner that takes every job but the first, a `gpu` job that no
/// runner can take.
fn pool_without_gpu_runner(pipeline: &Pipeline) -> RunnerPool {
    let mut pool = pool(pipeline, 1, 0, &[1]);
    if let Some(eligible) = pool.eligible.first_mut() {
        *eligible = Eligible {
            runners: Vec::new(),
            reason: Some("no runner has the tag `gpu`".into()),
            failing: Vec::new(),
        };
    }
    pool
}

fn run(yaml: &str, times: &str, options: &ScheduleOptions) -> Schedule {
    let pipeline = pipeline(yaml);
    simulate(
        &pipeline,
        &RunnerPool::unlimited(&pipeline),
        &durations(times),
        options,
    )
}

fn status(schedule: &Schedule, job: &str) -> JobStatus {
    schedule.job(job).unwrap().status
}

fn started(schedule: &Schedule, job: &str) -> Option<u64> {
    schedule.job(job).unwrap().started_at
}

fn finished(schedule: &Schedule, job: &str) -> Option<u64> {
    schedule.job(job).unwrap().finished_at
}

fn names(list: &[String]) -> ScheduleOptions {
    ScheduleOptions {
        play: list.iter().cloned().map(JobSelector::from).collect(),
        fail: Vec::new(),
    }
}

/// Returns the selectors as messages show them, without the backticks.
pub(super) fn shown(selectors: &[&JobSelector]) -> Vec<String> {
    selectors.iter().map(ToString::to_string).collect()
}

fn failing(list: &[&str]) -> ScheduleOptions {
    ScheduleOptions {
        play: Vec::new(),
        fail: list.iter().map(|s| JobSelector::from(*s)).collect(),
    }
}

const STAGE_VS_DAG: &str = "stages: [build, test, deploy]
b1: {stage: build, script: sleep 1}
b2: {stage: build, script: sleep 100}
t1: {stage: test, script: x, needs: [b1]}
t2: {stage: test, script: x}
d:  {stage: deploy, script: x}
";

#[test]
fn stage_barrier_and_needs() {
    let times = "default: 10\njobs: {b1: 1, b2: 100}\n";
    let schedule = run(STAGE_VS_DAG, times, &ScheduleOptions::default());
    assert_eq!(started(&schedule, "b1"), Some(0));
    assert_eq!(started(&schedule, "b2"), Some(0));
    assert_eq!(started(&schedule, "t1"), Some(1), "t1 needs only b1");
    assert_eq!(
        started(&schedule, "t2"),
        Some(100),
        "t2 waits for the build stage"
    );
    assert_eq!(started(&schedule, "d"), Some(110), "d waits for t1 and t2");
    assert_eq!(schedule.duration, 120);
    assert_eq!(schedule.status, PipelineStatus::Success);
    assert!(schedule.finished);
}

#[test]
fn critical_path_chain() {
    let times = "default: 10\njobs: {b1: 1, b2: 100}\n";
    let schedule = run(STAGE_VS_DAG, times, &ScheduleOptions::default());
    let path: Vec<&str> = schedule
        .critical_path
        .iter()
        .map(|step| step.job.as_str())
        .collect();
    assert_eq!(path, ["b2", "t2", "d"]);
}

const FAILURE_HANDLING: &str = "stages: [build, test, cleanup]
build: {stage: build, script: exit 1}
unit:  {stage: test, script: x}
dag:   {stage: test, script: x, needs: [build]}
notify: {stage: cleanup, script: x, when: on_failure}
always: {stage: cleanup, script: x, when: always}
post:  {stage: .post, script: x}
";

#[test]
fn failure_handling() {
    let schedule = run(FAILURE_HANDLING, "default: 10\n", &failing(&["build"]));
    let cases = [
        ("build", JobStatus::Failed),
        ("unit", JobStatus::Skipped),
        ("dag", JobStatus::Skipped),
        ("notify", JobStatus::Success),
        ("always", JobStatus::Success),
        ("post", JobStatus::Skipped),
    ];
    for (job, expected) in cases {
        assert_eq!(status(&schedule, job), expected, "{job}");
    }
    assert_eq!(schedule.status, PipelineStatus::Failed);
    assert_eq!(started(&schedule, "notify"), Some(10));
}

#[test]
fn failure_reason_is_script_failure() {
    let schedule = run(FAILURE_HANDLING, "default: 10\n", &failing(&["build"]));
    let build = schedule.job("build").unwrap();
    assert_eq!(build.failure_reason.as_deref(), Some("script_failure"));
}

#[test]
fn success_skips_on_failure_jobs() {
    let schedule = run(
        FAILURE_HANDLING,
        "default: 10\n",
        &ScheduleOptions::default(),
    );
    assert_eq!(status(&schedule, "notify"), JobStatus::Skipped);
    assert_eq!(status(&schedule, "always"), JobStatus::Success);
    assert_eq!(schedule.status, PipelineStatus::Success);
}

const MANUAL_GATES: &str = "stages: [a, b]
opt: {stage: a, script: x, when: manual}
blk: {stage: a, script: x, when: manual, allow_failure: false}
n1:  {stage: b, script: x}
n2:  {stage: b, script: x, needs: [opt]}
";

#[test]
fn manual_gates_unplayed() {
    let schedule = run(MANUAL_GATES, "default: 10\n", &ScheduleOptions::default());
    assert_eq!(status(&schedule, "opt"), JobStatus::Manual);
    assert_eq!(status(&schedule, "blk"), JobStatus::Manual);
    assert_eq!(status(&schedule, "n1"), JobStatus::Created);
    assert_eq!(status(&schedule, "n2"), JobStatus::Skipped);
    assert_eq!(schedule.status, PipelineStatus::Manual);
    assert!(!schedule.finished);
}

#[test]
fn manual_gate_blocker_named() {
    let schedule = run(MANUAL_GATES, "default: 10\n", &ScheduleOptions::default());
    let reason = schedule.job("n1").unwrap().reason.clone().unwrap();
    assert!(reason.contains("`blk`"), "{reason}");
}

#[test]
fn manual_gate_played() {
    let schedule = run(MANUAL_GATES, "default: 10\n", &names(&["blk".into()]));
    assert_eq!(started(&schedule, "blk"), Some(0));
    assert_eq!(started(&schedule, "n1"), Some(10));
    assert_eq!(status(&schedule, "n2"), JobStatus::Skipped);
    assert_eq!(schedule.status, PipelineStatus::Success);
}

#[test]
fn optional_manual_played_runs_need() {
    let schedule = run(
        MANUAL_GATES,
        "default: 10\n",
        &names(&["blk".into(), "opt".into()]),
    );
    assert_eq!(started(&schedule, "n2"), Some(10));
    assert_eq!(status(&schedule, "n2"), JobStatus::Success);
}

#[test]
fn delayed_job_waits_start_in() {
    let yaml = "deploy: {script: x, when: delayed, start_in: 5 minutes, resource_group: prod}\n";
    let schedule = run(yaml, "default: 10\n", &ScheduleOptions::default());
    let deploy = schedule.job("deploy").unwrap();
    assert_eq!(deploy.queued_at, Some(300));
    assert_eq!(deploy.started_at, Some(300));
    assert_eq!(schedule.duration, 310);
}

#[test]
fn allow_failure_and_manual_kinds() {
    let yaml = "stages: [a, b, c]
flaky: {stage: a, script: exit 1, allow_failure: true}
cleanup: {stage: b, script: x, when: on_failure}
next: {stage: b, script: x}
deploy: {stage: c, script: x, when: manual}
gate: {stage: c, script: x, rules: [{when: manual}]}
after: {stage: c, script: x}
";
    let schedule = run(yaml, "default: 10\n", &failing(&["flaky"]));
    let cases = [
        ("flaky", JobStatus::Failed),
        ("cleanup", JobStatus::Skipped),
        ("next", JobStatus::Success),
        ("deploy", JobStatus::Manual),
        ("gate", JobStatus::Manual),
        ("after", JobStatus::Success),
    ];
    for (job, expected) in cases {
        assert_eq!(status(&schedule, job), expected, "{job}");
    }
    assert!(schedule.job("flaky").unwrap().allowed_failure);
    assert_eq!(schedule.status, PipelineStatus::Manual);
}

#[test]
fn allow_failure_exit_codes() {
    let yaml = "a: {script: x, allow_failure: {exit_codes: [137]}}\nb: {script: x, allow_failure: {exit_codes: [137]}}\n";
    let times = "jobs:\n  a: {duration: 5, fail: true, exit_code: 137}\n  b: {duration: 5, fail: true, exit_code: 1}\n";
    let schedule = run(yaml, times, &ScheduleOptions::default());
    assert!(schedule.job("a").unwrap().allowed_failure);
    assert!(!schedule.job("b").unwrap().allowed_failure);
    assert_eq!(schedule.status, PipelineStatus::Failed);
}

#[test]
fn retry_after_flaky_attempt() {
    let yaml = "a: {script: x, retry: 2}\n";
    let times = "jobs:\n  a: {duration: 30, fail: 1}\n";
    let schedule = run(yaml, times, &ScheduleOptions::default());
    let job = schedule.job("a").unwrap();
    assert_eq!(job.attempts.len(), 2);
    assert_eq!(job.status, JobStatus::Success);
    assert_eq!(job.finished_at, Some(60));
}

#[test]
fn retry_exhausted() {
    let yaml = "a: {script: x, retry: 2}\n";
    let schedule = run(yaml, "default: 30\n", &failing(&["a"]));
    let job = schedule.job("a").unwrap();
    assert_eq!(job.attempts.len(), 3);
    assert_eq!(job.status, JobStatus::Failed);
}

#[test]
fn retry_when_other_reason() {
    let yaml = "a: {script: x, retry: {max: 2, when: runner_system_failure}}\n";
    let schedule = run(yaml, "default: 30\n", &failing(&["a"]));
    assert_eq!(schedule.job("a").unwrap().attempts.len(), 1);
}

#[test]
fn retry_exit_code_match() {
    let yaml = "a: {script: x, retry: {max: 1, when: runner_system_failure, exit_codes: 137}}\n";
    let times = "jobs:\n  a: {duration: 5, fail: true, exit_code: 137}\n";
    let schedule = run(yaml, times, &ScheduleOptions::default());
    assert_eq!(schedule.job("a").unwrap().attempts.len(), 2);
}

/// GitLab compares `retry:exit_codes` with the exit code it saved, clamped to 0..32767, but
/// `allow_failure:exit_codes` with the exit code the runner reported.
#[test]
fn exit_codes_above_saved_range() {
    let yaml = "clamped: {script: x, retry: {max: 1, exit_codes: 32767}}
exact: {script: x, retry: {max: 1, exit_codes: 40000}}
allowed: {script: x, allow_failure: {exit_codes: 40000}}
";
    let failing = "{duration: 5, fail: true, exit_code: 40000}";
    let times = format!("jobs:\n  clamped: {failing}\n  exact: {failing}\n  allowed: {failing}\n");
    let schedule = run(yaml, &times, &ScheduleOptions::default());
    assert_eq!(schedule.job("clamped").unwrap().attempts.len(), 2);
    assert_eq!(schedule.job("exact").unwrap().attempts.len(), 1);
    assert!(schedule.job("allowed").unwrap().allowed_failure);
}

/// A code beyond 64 bits is kept in the plan but matches no exit code a runner reports.
#[test]
fn exit_code_beyond_64_bits() {
    let yaml = "a: {script: x, allow_failure: {exit_codes: [99999999999999999999, 137]}}
b: {script: x, allow_failure: {exit_codes: 99999999999999999999}}
";
    let times = "jobs:\n  a: {duration: 5, fail: true, exit_code: 137}\n  b: {duration: 5, fail: true, exit_code: 2147483647}\n";
    let schedule = run(yaml, times, &ScheduleOptions::default());
    assert!(schedule.job("a").unwrap().allowed_failure);
    assert!(!schedule.job("b").unwrap().allowed_failure);
}

#[test]
fn timeout_fails_at_limit() {
    let yaml = "a: {script: x, timeout: 10 minutes}\nb: {script: x}\n";
    let times = "timeout: 1h\njobs: {a: 1h, b: 2h}\n";
    let schedule = run(yaml, times, &ScheduleOptions::default());
    let a = schedule.job("a").unwrap();
    assert_eq!(a.finished_at, Some(600));
    assert_eq!(a.failure_reason.as_deref(), Some("job_execution_timeout"));
    assert_eq!(finished(&schedule, "b"), Some(3600), "project timeout");
}

#[test]
fn runner_maximum_timeout() {
    let pipeline = pipeline("a: {script: x}\n");
    let mut pool = pool(&pipeline, 1, 0, &[1]);
    if let Some(runner) = pool.runners.first_mut() {
        runner.maximum_timeout = Some(120);
    }
    let schedule = simulate(
        &pipeline,
        &pool,
        &durations("default: 5m\n"),
        &ScheduleOptions::default(),
    );
    assert_eq!(finished(&schedule, "a"), Some(120));
    assert_eq!(status(&schedule, "a"), JobStatus::Failed);
}

#[test]
fn resource_group_one_at_a_time() {
    let yaml = "a: {script: x, resource_group: prod}\nb: {script: x, resource_group: prod}\nc: {script: x}\n";
    let schedule = run(yaml, "default: 10\n", &ScheduleOptions::default());
    assert_eq!(started(&schedule, "a"), Some(0));
    assert_eq!(started(&schedule, "b"), Some(10));
    assert_eq!(started(&schedule, "c"), Some(0));
    let path: Vec<&str> = schedule
        .critical_path
        .iter()
        .map(|s| s.job.as_str())
        .collect();
    assert_eq!(path, ["a", "b"]);
}

/// Sums the critical path's steps and checks that each starts after the one before ended.
fn path_length(schedule: &Schedule) -> u64 {
    for pair in schedule.critical_path.windows(2) {
        assert!(
            pair[0].finished_at <= pair[1].started_at,
            "{pair:?} overlap"
        );
    }
    schedule
        .critical_path
        .iter()
        .map(|step| step.finished_at - step.started_at)
        .sum()
}

/// `a` times out, hands the group to `b`, and its retry waits for `b` to hand it back:
/// `a` is on the path twice, once per attempt, with `b` between.
#[test]
fn critical_path_retry_after_resource_handoff() {
    let yaml = "a: {script: x, resource_group: prod, retry: 1, timeout: 2 minutes}
\
                b: {script: x, resource_group: prod, when: delayed, start_in: 30 seconds}
";
    let times = "jobs: {a: 121, b: 2}
";
    let schedule = run(yaml, times, &ScheduleOptions::default());
    let steps: Vec<(&str, u64, u64)> = schedule
        .critical_path
        .iter()
        .map(|s| (s.job.as_str(), s.started_at, s.finished_at))
        .collect();
    assert_eq!(steps, [("a", 0, 120), ("b", 120, 122), ("a", 122, 242)]);
    assert_eq!(schedule.duration, 242);
    assert_eq!(path_length(&schedule), 242);
}

/// Trigger job `t` takes the group when the first attempt of `a` fails, and waits for a child
/// pipeline that a manual job blocks, so the retry of `a` waits for the group until the
/// simulation ends.
#[test]
fn retry_waiting_for_resource_is_own_attempt() {
    let yaml = "a: {script: x, resource_group: r, retry: 1}\n\
                t: {trigger: {include: child.yml, strategy: depend}, resource_group: r}\n";
    let child = "m: {script: x, when: manual, allow_failure: false}\n";
    let pipeline = child_tests::planned(&[(".gitlab-ci.yml", yaml), ("child.yml", child)]);
    let pool = pool(&pipeline, 2, 0, &[1]);
    let times = durations("jobs:\n  a: {duration: 60, fail: 1}\n");
    let schedule = simulate(&pipeline, &pool, &times, &ScheduleOptions::default());
    assert_eq!(status(&schedule, "t"), JobStatus::Running);
    assert_eq!(started(&schedule, "t"), Some(60));

    let a = schedule.job("a").unwrap();
    assert_eq!(a.status, JobStatus::WaitingForResource);
    assert_eq!(a.attempts.len(), 2);
    let first = &a.attempts[0];
    assert_eq!(first.status, JobStatus::Failed);
    assert_eq!(first.runner.as_deref(), Some("r0"));
    assert_eq!(first.started_at, Some(0));
    assert_eq!(first.finished_at, Some(60));
    let retry = &a.attempts[1];
    assert_eq!(retry.status, JobStatus::WaitingForResource);
    assert_eq!(retry.runner, None);
    assert_eq!(retry.queued_at, None);
    assert_eq!(retry.started_at, None);
    assert_eq!(retry.finished_at, None);

    // The job's runner, slot and end are the waiting retry's, and its start the first
    // attempt's, as for any retried job.
    assert_eq!(a.runner, None);
    assert_eq!(a.slot, None);
    assert_eq!(a.finished_at, None);
    assert_eq!(a.started_at, Some(0));
    assert_eq!(a.failure_reason, None);
}

#[test]
fn concurrency_two_runners() {
    // concurrent 2, check_interval 10; runner a has limit 1, runner b has none.
    let yaml =
        "j1: {script: x}\nj2: {script: x}\nj3: {script: x}\nj4: {script: x}\nj5: {script: x}\n";
    let pipeline = pipeline(yaml);
    let pool = pool(&pipeline, 2, 10, &[1, 0]);
    let schedule = simulate(
        &pipeline,
        &pool,
        &durations("default: 60\n"),
        &ScheduleOptions::default(),
    );
    let runner = |job: &str| schedule.job(job).unwrap().runner.clone().unwrap();
    assert_eq!(runner("j1"), "r0", "a polls first, at 0");
    assert_eq!(started(&schedule, "j1"), Some(0));
    assert_eq!(runner("j2"), "r1", "b polls 5 s into each round");
    assert_eq!(started(&schedule, "j2"), Some(5));
    assert_eq!(started(&schedule, "j3"), Some(60), "a's next poll after j1");
    assert_eq!(started(&schedule, "j4"), Some(65));
    let peaks: Vec<u32> = schedule.runners.iter().map(|r| r.peak).collect();
    assert_eq!(peaks, [1, 1], "concurrent 2 caps b at one job while a runs");
}

#[test]
fn concurrent_below_sum_of_limits() {
    let yaml = "j1: {script: x}\nj2: {script: x}\nj3: {script: x}\nj4: {script: x}\n";
    let pipeline = pipeline(yaml);
    let pool = pool(&pipeline, 2, 0, &[2, 2]);
    let schedule = simulate(
        &pipeline,
        &pool,
        &durations("default: 60\n"),
        &ScheduleOptions::default(),
    );
    assert_eq!(started(&schedule, "j3"), Some(60));
    assert_eq!(schedule.duration, 120);
    let wait = schedule.longest_waits.first().unwrap();
    assert_eq!((wait.job.as_str(), wait.wait), ("j3", 60));
}

#[test]
fn lower_job_id_first() {
    let yaml =
        "stages: [a, b]\nlate: {stage: b, script: x, needs: []}\nearly: {stage: a, script: x}\n";
    let pipeline = pipeline(yaml);
    let pool = pool(&pipeline, 1, 0, &[1]);
    let schedule = simulate(
        &pipeline,
        &pool,
        &durations("default: 60\n"),
        &ScheduleOptions::default(),
    );
    assert_eq!(
        started(&schedule, "early"),
        Some(0),
        "earlier in the job order"
    );
    assert_eq!(started(&schedule, "late"), Some(60));
}

#[test]
fn stuck_job_reported() {
    let yaml =
        "stages: [a, b]\ngpu: {stage: a, script: x, tags: [gpu]}\nafter: {stage: b, script: x}\n";
    let pipeline = pipeline(yaml);
    let pool = pool_without_gpu_runner(&pipeline);
    let schedule = simulate(
        &pipeline,
        &pool,
        &durations("default: 60\n"),
        &ScheduleOptions::default(),
    );
    // GitLab drops the job after an hour pending, without a runner or a start.
    let gpu = schedule.job("gpu").unwrap();
    assert_eq!(gpu.status, JobStatus::Failed);
    assert_eq!(
        gpu.failure_reason.as_deref(),
        Some("stuck_pending_no_matching_runners")
    );
    assert_eq!(gpu.reason.as_deref(), Some("no runner has the tag `gpu`"));
    assert_eq!((gpu.queued_at, gpu.started_at), (Some(0), None));
    assert_eq!(gpu.finished_at, Some(3600));
    assert_eq!(gpu.runner, None);
    assert_eq!(gpu.attempts.len(), 1);
    assert_eq!(gpu.attempts[0].started_at, None);
    assert_eq!(status(&schedule, "after"), JobStatus::Skipped);
    let stuck = schedule.stuck.first().unwrap();
    assert_eq!(stuck.job, "gpu");
    assert_eq!(stuck.reason, "no runner has the tag `gpu`");
    assert_eq!(schedule.status, PipelineStatus::Failed);
    assert!(schedule.finished);
    assert_eq!(schedule.duration, 3600);
    assert!(schedule.longest_waits.is_empty());
    let steps: Vec<(&str, u64, u64, u64)> = schedule
        .critical_path
        .iter()
        .map(|s| (s.job.as_str(), s.ready_at, s.started_at, s.finished_at))
        .collect();
    assert_eq!(steps, [("gpu", 0, 3600, 3600)]);
}

/// GitLab retries a dropped job as other failures: with `when: always`, which `retry: 1`
/// means, but not with `when: stuck_or_timeout_failure`, the reason older versions gave.
/// Each retry is dropped an hour after it became pending.
#[test]
fn dropped_job_retried_by_reason() {
    let run_with = |retry: &str| {
        let yaml = format!("gpu: {{script: x, tags: [gpu], retry: {retry}}}\n");
        let pipeline = pipeline(&yaml);
        let mut pool = pool(&pipeline, 1, 0, &[1]);
        if let Some(eligible) = pool.eligible.first_mut() {
            eligible.runners.clear();
        }
        simulate(
            &pipeline,
            &pool,
            &Durations::default(),
            &ScheduleOptions::default(),
        )
    };
    let schedule = run_with("1");
    let gpu = schedule.job("gpu").unwrap();
    let attempts: Vec<(Option<u64>, Option<u64>)> = gpu
        .attempts
        .iter()
        .map(|a| (a.queued_at, a.finished_at))
        .collect();
    assert_eq!(attempts, [(Some(0), Some(3600)), (Some(3600), Some(7200))]);
    assert_eq!(schedule.duration, 7200);
    assert_eq!(schedule.stuck.len(), 1);

    let schedule = run_with("{max: 2, when: [stuck_or_timeout_failure]}");
    assert_eq!(schedule.job("gpu").unwrap().attempts.len(), 1);
    let schedule = run_with("{max: 2, when: [stuck_pending_no_matching_runners]}");
    assert_eq!(schedule.job("gpu").unwrap().attempts.len(), 3);
}

/// Every attempt that GitLab dropped while it was pending gives the reason no runner took it,
/// not only the last one.
#[test]
fn dropped_attempts_each_have_reason() {
    let pipeline = pipeline("gpu: {script: x, tags: [gpu], retry: 1}\n");
    let pool = pool_without_gpu_runner(&pipeline);
    let schedule = simulate(
        &pipeline,
        &pool,
        &Durations::default(),
        &ScheduleOptions::default(),
    );
    let gpu = schedule.job("gpu").unwrap();
    let reasons: Vec<Option<&str>> = gpu.attempts.iter().map(|a| a.reason.as_deref()).collect();
    assert_eq!(reasons, [Some("no runner has the tag `gpu`"); 2]);
    assert_eq!(gpu.reason.as_deref(), Some("no runner has the tag `gpu`"));
}

/// Attempts that start on a runner have no `reason`, whether they fail or succeed.
#[test]
fn started_attempts_have_no_reason() {
    let schedule = run(
        "build: {script: x, retry: 1}\n",
        "jobs: {build: {duration: 10, fail: 1}}\n",
        &ScheduleOptions::default(),
    );
    let build = schedule.job("build").unwrap();
    assert_eq!(build.attempts.len(), 2);
    assert!(build.attempts.iter().all(|a| a.reason.is_none()));
}

/// gitlab-runner exits at start on a host with `concurrent = 0`, so its runners request no
/// job and GitLab drops the job after an hour as one that no runner can take.
#[test]
fn host_without_workers_drops_after_hour() {
    let pipeline = pipeline(
        "stages: [a, b]\na: {stage: a, script: x}\nb: {stage: b, script: x, when: on_failure}\n",
    );
    let pool = pool(&pipeline, 0, 0, &[1]);
    let schedule = simulate(
        &pipeline,
        &pool,
        &Durations::default(),
        &ScheduleOptions::default(),
    );
    let a = schedule.job("a").unwrap();
    assert_eq!(a.status, JobStatus::Failed);
    assert_eq!(
        a.failure_reason.as_deref(),
        Some("stuck_pending_no_matching_runners")
    );
    assert_eq!(a.finished_at, Some(3_600));
    assert_eq!(
        a.reason.as_deref(),
        Some(
            "the runners that match it are on hosts with `concurrent = 0`, where gitlab-runner \
             exits at start"
        )
    );
    // `b` becomes pending when `a` fails, and is dropped an hour later in turn.
    let b = schedule.job("b").unwrap();
    assert_eq!((b.queued_at, b.finished_at), (Some(3_600), Some(7_200)));
    assert_eq!(schedule.status, PipelineStatus::Failed);
}

/// `b` waits a day for the only slot, is dropped and retried, then waits an hour more.
#[test]
fn dropped_attempt_wait_counted() {
    let pipeline = pipeline("a: {script: x}\nb: {script: x, retry: 1}\n");
    let pool = pool(&pipeline, 1, 0, &[1]);
    let times = "timeout: 48h\ndefault: 10\njobs: {a: 25h}\n";
    let schedule = simulate(
        &pipeline,
        &pool,
        &durations(times),
        &ScheduleOptions::default(),
    );
    assert_eq!(started(&schedule, "b"), Some(90_000));
    let waits: Vec<(&str, u64)> = schedule
        .longest_waits
        .iter()
        .map(|w| (w.job.as_str(), w.wait))
        .collect();
    assert_eq!(waits, [("b", 90_000)]);
}

/// GitLab checks only a job's own `needs` against the created jobs. A `rules:needs` entry on
/// a job that rules left out is saved, and processing finds no status for it, so the job waits
/// for its other needs only: `j` starts with the pipeline, and `k` after `b`.
#[test]
fn rules_need_on_absent_job_ignored() {
    let yaml = "stages: [build, test]\n\
                a: {stage: build, script: x, rules: [{when: never}]}\n\
                b: {stage: build, script: x}\n\
                j: {stage: test, script: x, rules: [{needs: [a]}]}\n\
                k: {stage: test, script: x, rules: [{needs: [a, b]}]}\n";
    let schedule = run(yaml, "default: 60\n", &ScheduleOptions::default());
    assert!(schedule.job("a").is_none());
    assert_eq!(started(&schedule, "j"), Some(0));
    assert_eq!(started(&schedule, "k"), Some(60));
    assert_eq!(status(&schedule, "j"), JobStatus::Success);
}

#[test]
fn trigger_job_takes_no_runner() {
    let yaml =
        "stages: [a, b]\nchild: {stage: a, trigger: {project: g/p}}\nnext: {stage: b, script: x}\n";
    let schedule = run(yaml, "default: 10\n", &ScheduleOptions::default());
    let child = schedule.job("child").unwrap();
    assert_eq!(child.runner, None);
    assert_eq!(child.finished_at, Some(0));
    assert_eq!(started(&schedule, "next"), Some(0));
}

/// A trigger job's failure has no exit code, so an entry that only trigger jobs take gets a
/// warning at its `exit_code` key. An entry that a job with a script also takes gets none.
#[test]
fn trigger_exit_code_ignored() {
    let pipeline = pipeline(
        "build: {script: x}\nup: {trigger: {project: g/p, strategy: depend}}\n\
         down: {trigger: {project: g/q}}\n",
    );
    let text = "jobs:\n  up: {duration: 1, fail: true, exit_code: 3}\n  down: {duration: 1}\n  \
                '*': {duration: 2, fail: 1, exit_code: 4}\n";
    let warnings = ignored_trigger_durations(&pipeline, &durations(text));
    let codes: Vec<&str> = warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, ["trigger-exit-code-ignored"]);
    let warning = warnings.first().unwrap();
    assert_eq!(
        warning.message,
        "the durations entry `up` sets `exit_code`, but only trigger jobs take the entry, such \
         as `up`, and a trigger job's failure has no exit code, so `exit_code` is ignored"
    );
    let span = warning.span.unwrap();
    assert_eq!(&text[span.range()], "exit_code");
    assert_eq!(span.range().start, text.find("exit_code").unwrap());
}

/// Plans a parent with trigger job `t` in stage `a`, `after` in stage `b` and `needer`, which
/// needs `t`, then simulates it with every job taking 10 seconds.
fn run_with_child(child_yaml: &str, trigger_extra: &str) -> Schedule {
    let parent = format!(
        "stages: [a, b]\n\
         t: {{stage: a, trigger: {{include: child.yml, strategy: depend}}{trigger_extra}}}\n\
         after: {{stage: b, script: x}}\n\
         needer: {{stage: b, script: x, needs: [t]}}\n\
         always: {{stage: b, script: x, when: always}}\n"
    );
    let files = MemoryFiles::new()
        .with_file(".gitlab-ci.yml", &parent)
        .with_file("child.yml", child_yaml);
    let (resolution, pipeline) = plan(
        ".gitlab-ci.yml",
        &files,
        &PipelineContext::push("main"),
        &PlanOptions::default(),
    );
    assert!(!resolution.diagnostics.has_errors());
    let pipeline = pipeline.unwrap();
    assert!(pipeline.created, "{:?}", pipeline.errors);
    simulate(
        &pipeline,
        &RunnerPool::unlimited(&pipeline),
        &durations("default: 10\n"),
        &ScheduleOptions::default(),
    )
}

#[test]
fn trigger_fails_without_child() {
    let schedule = run_with_child("workflow: {rules: [{if: $NOPE}]}\nc: {script: x}\n", "");
    let trigger = schedule.job("t").unwrap();
    assert_eq!(trigger.status, JobStatus::Failed);
    assert_eq!(
        trigger.failure_reason.as_deref(),
        Some("downstream_pipeline_creation_failed")
    );
    assert_eq!(
        trigger.reason.as_deref(),
        Some("GitLab cannot create the child pipeline")
    );
    assert_eq!(trigger.started_at, Some(0));
    assert_eq!(trigger.finished_at, Some(0));
    assert_eq!(status(&schedule, "after"), JobStatus::Skipped);
    assert_eq!(status(&schedule, "needer"), JobStatus::Skipped);
    assert_eq!(status(&schedule, "always"), JobStatus::Success);
    assert_eq!(schedule.status, PipelineStatus::Failed);
}

#[test]
fn trigger_without_child_allowed_to_fail() {
    let schedule = run_with_child(
        "c: {script: x, rules: [{if: $NOPE}]}\n",
        ", allow_failure: true",
    );
    let trigger = schedule.job("t").unwrap();
    assert_eq!(trigger.status, JobStatus::Failed);
    assert!(trigger.allowed_failure);
    assert_eq!(status(&schedule, "after"), JobStatus::Success);
    assert_eq!(status(&schedule, "needer"), JobStatus::Success);
}

#[test]
fn trigger_with_child_succeeds() {
    let schedule = run_with_child("c: {script: x}\n", "");
    let trigger = schedule.job("t").unwrap();
    assert_eq!(trigger.status, JobStatus::Success);
    assert_eq!(trigger.failure_reason, None);
    // With `strategy: depend` the trigger job ends with its child pipeline's job.
    assert_eq!(trigger.finished_at, Some(10));
    assert_eq!(status(&schedule, "t/c"), JobStatus::Success);
    assert_eq!(started(&schedule, "after"), Some(10));
    assert_eq!(status(&schedule, "after"), JobStatus::Success);
}

#[test]
fn auto_cancel_on_job_failure() {
    let yaml = "workflow: {auto_cancel: {on_job_failure: all}}\nstages: [a, b]\nfast: {stage: a, script: x}\nslow: {stage: a, script: x}\nlater: {stage: b, script: x}\n";
    let times = "jobs: {fast: 10, slow: 100}\n";
    let schedule = run(yaml, times, &failing(&["fast"]));
    assert_eq!(status(&schedule, "slow"), JobStatus::Canceled);
    assert_eq!(finished(&schedule, "slow"), Some(10));
    assert_eq!(status(&schedule, "later"), JobStatus::Canceled);
    assert_eq!(schedule.status, PipelineStatus::Failed);
}

/// `hold` takes `prod` but stays pending on a host without a free slot. When `bad` fails,
/// canceling `hold` frees `prod`; `child`, which waited for the group, is canceled without
/// starting.
#[test]
fn auto_cancel_hands_no_resource_group() {
    let yaml = "workflow: {auto_cancel: {on_job_failure: all}}\n\
                hold: {script: x, resource_group: prod}\n\
                child: {trigger: {project: g/p}, resource_group: prod}\n\
                bad: {script: x}\n";
    let pipeline = pipeline(yaml);

    let host = |name: &str, concurrent| Host {
        name: name.into(),
        concurrent,
        check_interval: 0,
    };
    let runner = |name: &str, host| Runner {
        name: name.into(),
        host,
        limit: 0,
        maximum_timeout: None,
        strict_check_interval: false,
    };
    let eligible = |runners: Vec<usize>| Eligible {
        runners,
        reason: None,
        failing: Vec::new(),
    };
    let pool = RunnerPool {
        hosts: vec![host("full", 0), host("free", 1)],
        runners: vec![runner("r0", 0), runner("r1", 1)],
        eligible: vec![eligible(vec![0]), eligible(Vec::new()), eligible(vec![1])],
        children: Vec::new(),
    };

    let schedule = simulate(
        &pipeline,
        &pool,
        &durations("default: 10\n"),
        &failing(&["bad"]),
    );

    let child = schedule.job("child").unwrap();
    assert_eq!(child.status, JobStatus::Canceled);
    assert_eq!(child.started_at, None);
    assert_eq!(status(&schedule, "hold"), JobStatus::Canceled);
    assert_eq!(schedule.duration, 10);
}

#[test]
fn identical_inputs_identical_output() {
    let times = "default: 10\njobs: {b1: 1, b2: 100}\n";
    let first = run(STAGE_VS_DAG, times, &ScheduleOptions::default());
    let second = run(STAGE_VS_DAG, times, &ScheduleOptions::default());
    assert_eq!(first, second);
}

#[test]
fn unknown_job_names() {
    let pipeline = pipeline("test: {script: x, parallel: 2}\n");
    let names = ["test", "test 1/2", "nope"].map(JobSelector::from);
    assert_eq!(shown(&unknown_jobs(&pipeline, &names)), ["nope"]);
}

#[test]
fn utilisation_of_busy_runner() {
    let pipeline = pipeline("a: {script: x}\nb: {script: x}\n");
    let pool = pool(&pipeline, 2, 0, &[2]);
    let schedule = simulate(
        &pipeline,
        &pool,
        &durations("jobs: {a: 100, b: 50}\n"),
        &ScheduleOptions::default(),
    );
    let usage = schedule.runners.first().unwrap();
    assert_eq!(usage.busy, 150);
    assert_eq!(usage.utilisation, 0.75);
}

#[test]
fn pool_from_fleet() {
    let pipeline = pipeline("a: {script: x, tags: [docker]}\nb: {script: x, tags: [gpu]}\n");
    let mut sources = crate::SourceMap::new();
    let text = "concurrent = 3\ncheck_interval = 5\n[[runners]]\nname = \"d\"\nexecutor = \"docker\"\nlimit = 2\ntags = [\"docker\"]\n";
    let file = sources.add("config.toml", text);
    let (fleet, diagnostics) = Fleet::parse(&[(file, text)], &sources);
    assert!(!diagnostics.iter().any(|d| d.is_error()), "{diagnostics:?}");
    let matching = crate::fleet::match_jobs(&pipeline, &fleet, &Default::default());
    let pool = RunnerPool::from_fleet(&fleet, &matching);
    assert_eq!(
        pool.hosts.first().map(|h| (h.concurrent, h.check_interval)),
        Some((3, 5))
    );
    assert_eq!(pool.runners.first().map(|r| r.limit), Some(2));
    assert_eq!(
        pool.eligible.first().map(|e| e.runners.clone()),
        Some(vec![0])
    );
    let reason = pool.eligible.get(1).and_then(|e| e.reason.clone()).unwrap();
    assert!(reason.contains("`gpu`"), "{reason}");
}

/// Parses `config.toml` texts into a pool for `pipeline`, one host per text.
fn fleet_pool(pipeline: &Pipeline, texts: &[&str]) -> RunnerPool {
    let mut sources = crate::SourceMap::new();
    let files: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| (sources.add(format!("config{i}.toml"), *text), *text))
        .collect();
    let (fleet, diagnostics) = Fleet::parse(&files, &sources);
    assert!(!diagnostics.iter().any(|d| d.is_error()), "{diagnostics:?}");
    let matching = crate::fleet::match_jobs(pipeline, &fleet, &Default::default());
    RunnerPool::from_fleet(&fleet, &matching)
}

/// Returns the job's runner, start and end.
fn placement(schedule: &Schedule, job: &str) -> (String, Option<u64>, Option<u64>) {
    let job = schedule.job(job).unwrap();
    (
        job.runner.clone().unwrap_or_default(),
        job.started_at,
        job.finished_at,
    )
}

/// One worker, two runners, a 10-minute `check_interval`: the feeder hands `r1` over at 0
/// and `r2` at 300.
const ONE_WORKER_TWO_RUNNERS: &str = "concurrent = 1\ncheck_interval = 600\n\
    [[runners]]\n  name = \"r1\"\n  executor = \"shell\"\n\
    [[runners]]\n  name = \"r2\"\n  executor = \"shell\"\n";

/// `a` occupies the only worker from 0 to 1000, so the feeder's hand-over of `r2` at 300
/// waits for it. The worker takes `r2` at 1000 and `r2` takes `b` at once.
#[test]
fn feeder_stall_hands_waiting_runner() {
    let pipeline = pipeline("a:\n  script: x\nb:\n  script: x\n");
    let pool = fleet_pool(&pipeline, &[ONE_WORKER_TWO_RUNNERS]);
    let schedule = simulate(
        &pipeline,
        &pool,
        &durations("default: 1m\njobs:\n  a: 1000\n"),
        &ScheduleOptions::default(),
    );
    assert_eq!(
        placement(&schedule, "a"),
        ("r1".to_owned(), Some(0), Some(1000))
    );
    assert_eq!(
        placement(&schedule, "b"),
        ("r2".to_owned(), Some(1000), Some(1060))
    );
    assert_eq!(schedule.duration, 1060);
    let wait = schedule.longest_waits.first().unwrap();
    assert_eq!(
        (wait.job.as_str(), wait.wait, wait.runner.as_str()),
        ("b", 1000, "r2")
    );
}

/// With `strict_check_interval`, gitlab-runner does not requeue the runner after a job, so
/// each feed, every 10 seconds, starts one job. The fifth waits for a free worker at 300 and
/// the sixth for the next job's end at 310. Without it, the first feed fills all 4 workers.
#[test]
fn strict_check_interval_one_job_per_feed() {
    let pipeline = pipeline("j:\n  script: x\n  parallel: 6\n");
    let runner = |strict: &str| {
        format!(
            "concurrent = 4\ncheck_interval = 10\n[[runners]]\n  name = \"r\"\n  \
             executor = \"shell\"\n{strict}"
        )
    };
    let starts = |text: &str| {
        let pool = fleet_pool(&pipeline, &[text]);
        let schedule = simulate(
            &pipeline,
            &pool,
            &durations("default: 5m\n"),
            &ScheduleOptions::default(),
        );
        (1..=6)
            .map(|i| placement(&schedule, &format!("j {i}/6")).1)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        starts(&runner("  strict_check_interval = true\n")),
        [Some(0), Some(10), Some(20), Some(30), Some(300), Some(310)]
    );
    assert_eq!(
        starts(&runner("")),
        [Some(0), Some(0), Some(0), Some(0), Some(300), Some(300)]
    );
}

/// After the stall ends at 1000 the feeds follow from there: `r2` at 1000, `r1` at 1300.
/// `b` ends at 1060, before the feed at 1300, so that feed does not stall, and `c`, which
/// waits for the first stage, goes to `r1` at 1300.
#[test]
fn feeder_stall_shifts_later_feeds() {
    let yaml = "stages: [build, test]\n\
                a: {stage: build, script: x}\n\
                b: {stage: build, script: x}\n\
                c: {stage: test, script: x}\n";
    let pipeline = pipeline(yaml);
    let pool = fleet_pool(&pipeline, &[ONE_WORKER_TWO_RUNNERS]);
    let schedule = simulate(
        &pipeline,
        &pool,
        &durations("default: 1m\njobs:\n  a: 1000\n"),
        &ScheduleOptions::default(),
    );
    assert_eq!(
        placement(&schedule, "a"),
        ("r1".to_owned(), Some(0), Some(1000))
    );
    assert_eq!(
        placement(&schedule, "b"),
        ("r2".to_owned(), Some(1000), Some(1060))
    );
    assert_eq!(
        placement(&schedule, "c"),
        ("r1".to_owned(), Some(1300), Some(1360))
    );
    assert_eq!(schedule.duration, 1360);
}

/// With as many workers as runners and jobs that end before the host is full at a feed,
/// the feeds keep the fixed offsets `k * check_interval / n` of every round.
#[test]
fn feeder_without_stall_keeps_offsets() {
    let yaml = "stages: [build, test]\n\
                a: {stage: build, script: x}\n\
                b: {stage: build, script: x}\n\
                c: {stage: test, script: x}\n\
                d: {stage: test, script: x}\n";
    let pipeline = pipeline(yaml);
    let pool = pool(&pipeline, 2, 600, &[1, 1]);
    let schedule = simulate(
        &pipeline,
        &pool,
        &durations("default: 100\n"),
        &ScheduleOptions::default(),
    );
    assert_eq!(
        placement(&schedule, "a"),
        ("r0".to_owned(), Some(0), Some(100))
    );
    assert_eq!(
        placement(&schedule, "b"),
        ("r1".to_owned(), Some(300), Some(400))
    );
    // The host is full from 300 to 400, but its next feed comes at 600.
    assert_eq!(
        placement(&schedule, "c"),
        ("r0".to_owned(), Some(600), Some(700))
    );
    assert_eq!(
        placement(&schedule, "d"),
        ("r1".to_owned(), Some(900), Some(1000))
    );
}

/// As many workers as runners still stall when every runner runs a job at a feed. `r0`, `r1`
/// and `r2` are busy at the feed of `r0` at 9, so `r0` is handed over when `j1` ends at 30.
/// The later feeds follow from there.
#[test]
fn feeder_stall_with_concurrent_equal_runners() {
    let yaml = "j1: {script: x}\nj2: {script: x}\nj3: {script: x}\nj4: {script: x}\n\
                j5: {script: x}\n";
    let pipeline = pipeline(yaml);
    let pool = pool(&pipeline, 3, 9, &[1, 1, 1]);
    let schedule = simulate(
        &pipeline,
        &pool,
        &durations("default: 30\n"),
        &ScheduleOptions::default(),
    );
    let starts: Vec<(String, Option<u64>)> = ["j1", "j2", "j3", "j4", "j5"]
        .iter()
        .map(|job| {
            let (runner, start, _) = placement(&schedule, job);
            (runner, start)
        })
        .collect();
    let expected = [("r0", 0), ("r1", 3), ("r2", 6), ("r0", 30), ("r1", 33)];
    let expected: Vec<(String, Option<u64>)> = expected
        .iter()
        .map(|&(runner, start)| (runner.to_owned(), Some(start)))
        .collect();
    assert_eq!(starts, expected);
}

/// A runner that gets a job is requeued to an idle worker at once, so it fills every free
/// worker at one feed. The host is then full and the feed of `r1` at 5 waits until 60.
#[test]
fn requeue_fills_idle_workers() {
    let yaml = "j1: {script: x}\nj2: {script: x}\nj3: {script: x}\nj4: {script: x}\n";
    let pipeline = pipeline(yaml);
    let pool = pool(&pipeline, 3, 10, &[0, 0]);
    let schedule = simulate(
        &pipeline,
        &pool,
        &durations("default: 60\n"),
        &ScheduleOptions::default(),
    );
    for job in ["j1", "j2", "j3"] {
        assert_eq!(
            placement(&schedule, job),
            ("r0".to_owned(), Some(0), Some(60)),
            "{job}"
        );
    }
    assert_eq!(
        placement(&schedule, "j4"),
        ("r1".to_owned(), Some(60), Some(120))
    );
}

/// Each host has its own feeder, and a stall on one shifts only its own feeds. Host 0 stalls
/// on `a2` from 300 until `x` ends at 1000; host 1's single runner takes `y` at 0 and is fed
/// again only at 1200, so `z` goes to `a2` at 1000.
#[test]
fn feeders_per_host() {
    let yaml = "x: {script: x}\ny: {script: x}\nz: {script: x}\n";
    let pipeline = pipeline(yaml);
    let first = "concurrent = 1\ncheck_interval = 600\n\
                 [[runners]]\n  name = \"a1\"\n  executor = \"shell\"\n\
                 [[runners]]\n  name = \"a2\"\n  executor = \"shell\"\n";
    let second = "concurrent = 1\ncheck_interval = 1200\n\
                  [[runners]]\n  name = \"b1\"\n  executor = \"shell\"\n";
    let pool = fleet_pool(&pipeline, &[first, second]);
    let schedule = simulate(
        &pipeline,
        &pool,
        &durations("default: 60\njobs:\n  x: 1000\n"),
        &ScheduleOptions::default(),
    );
    assert_eq!(
        placement(&schedule, "x"),
        ("a1".to_owned(), Some(0), Some(1000))
    );
    assert_eq!(
        placement(&schedule, "y"),
        ("b1".to_owned(), Some(0), Some(60))
    );
    assert_eq!(
        placement(&schedule, "z"),
        ("a2".to_owned(), Some(1000), Some(1060))
    );
}

/// Host 1 stalls while host 0 keeps its offsets: host 1's only worker runs `x` until 1000,
/// so `z` waits for the end of the stall there, but `y` and `w` go to host 0 on its own feeds.
#[test]
fn stall_on_one_host_only() {
    let yaml = "x: {script: x, tags: [slow]}\ny: {script: x}\nz: {script: x, tags: [slow]}\n\
                w: {script: x}\n";
    let pipeline = pipeline(yaml);
    let fast = "concurrent = 1\ncheck_interval = 100\n\
                [[runners]]\n  name = \"f1\"\n  executor = \"shell\"\n";
    let slow = "concurrent = 1\ncheck_interval = 600\n\
                [[runners]]\n  name = \"s1\"\n  executor = \"shell\"\n  tags = [\"slow\"]\n\
                [[runners]]\n  name = \"s2\"\n  executor = \"shell\"\n  tags = [\"slow\"]\n";
    let pool = fleet_pool(&pipeline, &[fast, slow]);
    let schedule = simulate(
        &pipeline,
        &pool,
        &durations("default: 60\njobs:\n  x: 1000\n"),
        &ScheduleOptions::default(),
    );
    assert_eq!(
        placement(&schedule, "x"),
        ("s1".to_owned(), Some(0), Some(1000))
    );
    assert_eq!(
        placement(&schedule, "y"),
        ("f1".to_owned(), Some(0), Some(60))
    );
    assert_eq!(
        placement(&schedule, "w"),
        ("f1".to_owned(), Some(100), Some(160))
    );
    assert_eq!(
        placement(&schedule, "z"),
        ("s2".to_owned(), Some(1000), Some(1060))
    );
}

#[test]
fn masked_resource_groups_kept_apart() {
    let mut context = PipelineContext::push("main");
    context.project_variables = ["RG_ONE", "RG_TWO"]
        .iter()
        .zip(["group-one-a1b2", "group-two-c3d4"])
        .map(|(name, value)| crate::context::SettingsVariable {
            masked: true,
            ..crate::context::SettingsVariable::new(*name, value)
        })
        .collect();
    let yaml = "a: {script: x, resource_group: $RG_ONE}\nb: {script: x, resource_group: $RG_TWO}\n";
    let files = MemoryFiles::new().with_file(".gitlab-ci.yml", yaml);
    let (_, pipeline) = plan(".gitlab-ci.yml", &files, &context, &PlanOptions::default());
    let pipeline = pipeline.unwrap();
    for job in &pipeline.jobs {
        assert_eq!(
            job.resource_group.as_deref(),
            Some("[MASKED]"),
            "{}",
            job.name
        );
    }
    let schedule = simulate(
        &pipeline,
        &RunnerPool::unlimited(&pipeline),
        &durations("default: 10\n"),
        &ScheduleOptions::default(),
    );
    assert_eq!(started(&schedule, "a"), Some(0));
    assert_eq!(started(&schedule, "b"), Some(0));
}

/// A job whose environment name is not valid after expansion, such as `review/a:b`.
const INVALID_ENVIRONMENT: &str = "stages: [build, test]
variables: {BRANCH: 'a:b'}
deploy: {stage: build, script: x, environment: review/$BRANCH, retry: 2}
gate: {stage: build, script: x, when: manual, environment: review/$BRANCH}
other: {stage: build, script: x}
after: {stage: test, script: x}
cleanup: {stage: test, script: x, when: on_failure}
follow: {stage: test, script: x, needs: [deploy]}
";

#[test]
fn invalid_environment_name_fails_the_job_at_creation() {
    let schedule = run(
        INVALID_ENVIRONMENT,
        "default: 10\n",
        &ScheduleOptions::default(),
    );
    for name in ["deploy", "gate"] {
        let job = schedule.job(name).unwrap();
        assert_eq!(job.status, JobStatus::Failed, "{name}");
        assert_eq!(
            job.failure_reason.as_deref(),
            Some("environment_creation_failure"),
            "{name}"
        );
        // Never queued, never run, never retried.
        assert!(job.attempts.is_empty(), "{name}: {:?}", job.attempts);
        assert_eq!((job.queued_at, job.started_at), (None, None), "{name}");
        assert_eq!(job.runner, None, "{name}");
        assert_eq!(
            job.reason.as_deref(),
            Some(
                "GitLab creates the job as failed: its environment name `review/a:b` is not valid"
            ),
            "{name}"
        );
    }
    let cases = [
        ("other", JobStatus::Success),
        ("after", JobStatus::Skipped),
        ("cleanup", JobStatus::Success),
        ("follow", JobStatus::Skipped),
    ];
    for (job, expected) in cases {
        assert_eq!(status(&schedule, job), expected, "{job}");
    }
    assert_eq!(started(&schedule, "cleanup"), Some(10));
    assert_eq!(schedule.status, PipelineStatus::Failed);
}

#[test]
fn created_failed_jobs_cannot_be_played() {
    // `review` has one instance created as failed and one with a valid name, so playing it
    // still plays that instance.
    let yaml = "variables: {BRANCH: 'a:b'}
gate: {script: x, when: manual, environment: review/$BRANCH}
build: {script: x, parallel: 2, environment: 'ci/$BRANCH'}
review:
  script: x
  when: manual
  environment: review/$SLOT
  parallel: {matrix: [{SLOT: ['a:b', ok]}]}
deploy: {script: x, when: manual, environment: production}
";
    let pipeline = pipeline(yaml);
    let names = ["gate", "build", "review", "deploy", "nope"].map(JobSelector::from);
    let found: Vec<(String, &str)> = created_failed_jobs(&pipeline, &names)
        .into_iter()
        .map(|(name, reason)| (name.to_string(), reason))
        .collect();
    assert_eq!(
        found,
        [
            ("gate".to_owned(), "environment_creation_failure"),
            ("build".to_owned(), "environment_creation_failure"),
        ]
    );
}

#[test]
fn invalid_environment_name_with_allow_failure() {
    let yaml = "stages: [build, test]
variables: {BRANCH: 'a:b'}
deploy: {stage: build, script: x, environment: review/$BRANCH, allow_failure: true}
strict: {stage: build, script: x, environment: review/$BRANCH, allow_failure: {exit_codes: [1]}}
";
    let schedule = run(yaml, "default: 10\n", &ScheduleOptions::default());
    assert!(schedule.job("deploy").unwrap().allowed_failure);
    // Exit codes cannot allow a failure without a script that ran.
    assert!(!schedule.job("strict").unwrap().allowed_failure);

    let yaml = "stages: [build, test]
deploy: {stage: build, script: x, environment: 'review/$NAME', allow_failure: true}
after: {stage: test, script: x, variables: {NAME: x}}
variables: {NAME: 'trailing/'}
";
    let schedule = run(yaml, "default: 10\n", &ScheduleOptions::default());
    assert_eq!(status(&schedule, "deploy"), JobStatus::Failed);
    assert!(schedule.job("deploy").unwrap().allowed_failure);
    assert_eq!(status(&schedule, "after"), JobStatus::Success);
    assert_eq!(started(&schedule, "after"), Some(0));
    assert_eq!(schedule.status, PipelineStatus::Success);
}

#[test]
fn invalid_environment_name_does_not_cancel_the_pipeline() {
    let yaml = "workflow: {auto_cancel: {on_job_failure: all}}
variables: {BRANCH: 'a:b'}
deploy: {script: x, environment: review/$BRANCH}
long: {script: x}
";
    let schedule = run(yaml, "default: 100\n", &ScheduleOptions::default());
    assert_eq!(status(&schedule, "deploy"), JobStatus::Failed);
    assert_eq!(status(&schedule, "long"), JobStatus::Success);
    assert_eq!(schedule.status, PipelineStatus::Failed);
}

#[test]
fn invalid_resource_group_key_does_not_serialize_jobs() {
    let yaml = "variables: {BRANCH: 'a:b'}
j1: {script: x, resource_group: rg-$BRANCH}
j2: {script: x, resource_group: rg-$BRANCH}
";
    let schedule = run(yaml, "default: 300\n", &ScheduleOptions::default());
    assert_eq!(started(&schedule, "j1"), Some(0));
    assert_eq!(started(&schedule, "j2"), Some(0));
}

/// Simulates `pipeline` with `options` on runners without limits, and returns the warnings of
/// [`unreached_choice_warnings`] for `--play`, then for `--fail`.
pub(super) fn unreached_warnings(
    pipeline: &Pipeline,
    options: &ScheduleOptions,
) -> Vec<crate::Diagnostic> {
    let schedule = simulate(
        pipeline,
        &RunnerPool::unlimited(pipeline),
        &Durations::default(),
        options,
    );
    let mut warnings =
        unreached_choice_warnings(pipeline, &schedule, &options.play, Choice::Play, "--play");
    warnings.extend(unreached_choice_warnings(
        pipeline,
        &schedule,
        &options.fail,
        Choice::Fail,
        "--fail",
    ));
    warnings
}

fn unreached(yaml: &str, play: &[&str], fail: &[&str]) -> Vec<String> {
    let options = ScheduleOptions {
        play: play.iter().map(|s| JobSelector::from(*s)).collect(),
        fail: fail.iter().map(|s| JobSelector::from(*s)).collect(),
    };
    unreached_warnings(&pipeline(yaml), &options)
        .iter()
        .map(|w| format!("{}: {}", w.code, w.message))
        .collect()
}

const BUILD_THEN_MANUAL: &str = "stages: [build, test, deploy]
build: {stage: build, script: x}
test: {stage: test, script: x, needs: [build]}
deploy: {stage: deploy, script: x, when: manual}
";

#[test]
fn play_after_failure_unreached() {
    assert_eq!(
        unreached(BUILD_THEN_MANUAL, &["deploy"], &["build"]),
        [
            "play-not-reached: --play names job `deploy`, which the simulated run never \
             reaches: it ends as `skipped` (the jobs it waits for ended `failed` and it runs \
             `when: manual`), so playing it changes nothing"
        ]
    );
    assert!(unreached(BUILD_THEN_MANUAL, &["deploy"], &[]).is_empty());
}

#[test]
fn fail_of_unstarted_job_unreached() {
    assert_eq!(
        unreached(BUILD_THEN_MANUAL, &[], &["build", "test"]),
        [
            "fail-not-reached: --fail names job `test`, which the simulated run never \
             reaches: it ends as `skipped` (the jobs it waits for ended `failed` and it runs \
             `when: on_success`), so failing it changes nothing"
        ]
    );
    // A manual job that is not played never starts either.
    assert_eq!(
        unreached(BUILD_THEN_MANUAL, &[], &["deploy"]),
        [
            "fail-not-reached: --fail names job `deploy`, which the simulated run never \
             reaches: it ends as `manual` (optional manual job, not played), so failing it \
             changes nothing"
        ]
    );
    assert!(unreached(BUILD_THEN_MANUAL, &["deploy"], &["deploy"]).is_empty());
}

/// The warning names the status, failure reason and note that stop the job, because a stuck
/// job, an unplayed manual job and a failed job each need a different change.
#[test]
fn unreached_warning_names_stuck_job() {
    let yaml = "stages: [a, b]\ngpu: {stage: a, script: x, tags: [gpu]}\n\
        deploy: {stage: b, script: x, when: manual}\n";
    let pipeline = pipeline(yaml);
    let pool = pool_without_gpu_runner(&pipeline);
    let options = ScheduleOptions {
        play: vec![JobSelector::from("deploy")],
        fail: vec![JobSelector::from("gpu")],
    };
    let schedule = simulate(&pipeline, &pool, &Durations::default(), &options);

    let played =
        unreached_choice_warnings(&pipeline, &schedule, &options.play, Choice::Play, "--play");
    let failed =
        unreached_choice_warnings(&pipeline, &schedule, &options.fail, Choice::Fail, "--fail");
    let messages = |warnings: &[crate::Diagnostic]| -> Vec<String> {
        warnings.iter().map(|w| w.message.clone()).collect()
    };

    assert_eq!(
        messages(&played),
        [
            "--play names job `deploy`, which the simulated run never reaches: it ends as \
             `skipped` (the jobs it waits for ended `failed` and it runs `when: manual`), so \
             playing it changes nothing"
        ]
    );
    assert_eq!(
        messages(&failed),
        [
            "--fail names job `gpu`, which the simulated run never reaches: it ends as `failed` \
             with `stuck_pending_no_matching_runners` (no runner has the tag `gpu`), so failing \
             it changes nothing"
        ]
    );
    let help = played.first().and_then(|w| w.help.as_deref());
    assert_eq!(
        help,
        Some("change what keeps the run from reaching the job, or leave the name out")
    );
}

#[test]
fn fail_of_unplayed_job_suggests_play() {
    let warnings = unreached_warnings(&pipeline(BUILD_THEN_MANUAL), &failing(&["deploy"]));
    let help = warnings.first().and_then(|w| w.help.as_deref());
    assert_eq!(
        help,
        Some("play the job too, because a manual job starts only when it is played")
    );
}

#[test]
fn play_of_non_manual_job_ignored() {
    assert!(unreached(BUILD_THEN_MANUAL, &["test"], &["build"]).is_empty());
}

/// A multi-project trigger job with `strategy: depend` takes its downstream pipeline's status,
/// which the durations file gives. GitLab fails it without a failure reason.
#[test]
fn failed_downstream_has_no_failure_reason() {
    let yaml = "up: {trigger: {project: g/p, strategy: depend}}\n\
                plain: {trigger: {project: g/q}}\n";
    let times = "jobs:\n  up: {duration: 300, fail: 1}\n  plain: {duration: 20, fail: 1}\n";
    let schedule = run(yaml, times, &ScheduleOptions::default());
    let up = schedule.job("up").unwrap();
    assert_eq!(up.status, JobStatus::Failed);
    assert_eq!(up.failure_reason, None);
    assert_eq!(up.finished_at, Some(300));
    assert_eq!(up.attempts[0].status, JobStatus::Failed);
    assert_eq!(
        up.reason.as_deref(),
        Some("its downstream pipeline failed, as the durations file or `--fail` says")
    );
    // Without a strategy, a trigger job fails only when GitLab cannot create the downstream
    // pipeline.
    let plain = schedule.job("plain").unwrap();
    assert_eq!(plain.status, JobStatus::Failed);
    assert_eq!(
        plain.failure_reason.as_deref(),
        Some("downstream_pipeline_creation_failed")
    );
    assert_eq!(schedule.status, PipelineStatus::Failed);
}

/// `a` and `b` need each other only through `rules:needs`, so GitLab creates the pipeline,
/// but its processing stops at stage `test` every time.
const RULE_NEEDS_CYCLE: &str = "stages: [build, test, deploy]
build: {stage: build, script: x}
a: {stage: test, script: x, rules: [{needs: [b]}]}
b: {stage: test, script: x, rules: [{needs: [a]}]}
plain: {stage: test, script: x}
early: {stage: test, script: x, needs: []}
deploy: {stage: deploy, script: x, needs: [build]}
";

#[test]
fn rule_needs_cycle_halts_processing() {
    let schedule = run(
        RULE_NEEDS_CYCLE,
        "default: 10\n",
        &ScheduleOptions::default(),
    );
    assert_eq!(status(&schedule, "build"), JobStatus::Success);
    assert_eq!(finished(&schedule, "build"), Some(10));
    // No job of the stage with the cycle or of a later stage is processed, not even one
    // that needs nothing or only jobs of an earlier stage.
    for job in ["a", "b", "plain", "early", "deploy"] {
        assert_eq!(status(&schedule, job), JobStatus::Created, "{job}");
        assert_eq!(started(&schedule, job), None, "{job}");
    }
    assert_eq!(schedule.status, PipelineStatus::Created);
    assert!(!schedule.finished);
    assert_eq!(schedule.duration, 10);
}

#[test]
fn rule_needs_cycle_reason() {
    let schedule = run(
        RULE_NEEDS_CYCLE,
        "default: 10\n",
        &ScheduleOptions::default(),
    );
    let reason = "GitLab's processing stops at stage `test`, where `a`, `b` need each other, \
                  so the job is never processed";
    for job in ["a", "plain", "deploy"] {
        assert_eq!(
            schedule.job(job).unwrap().reason.as_deref(),
            Some(reason),
            "{job}"
        );
    }
}

#[test]
fn rule_needs_self_dependency_halts() {
    let yaml = "a: {script: x, rules: [{needs: [a]}]}\nb: {stage: deploy, script: x}\n";
    let schedule = run(yaml, "default: 10\n", &ScheduleOptions::default());
    assert_eq!(status(&schedule, "a"), JobStatus::Created);
    assert_eq!(status(&schedule, "b"), JobStatus::Created);
    assert_eq!(schedule.status, PipelineStatus::Created);
}

/// Canceling the pipeline moves the cycle's jobs out of `created`, so processing gets past
/// the stage again and sets the pipeline's status.
#[test]
fn rule_needs_cycle_canceled() {
    let yaml = format!("workflow: {{auto_cancel: {{on_job_failure: all}}}}\n{RULE_NEEDS_CYCLE}");
    let schedule = run(&yaml, "default: 10\n", &failing(&["build"]));
    assert_eq!(status(&schedule, "build"), JobStatus::Failed);
    for job in ["a", "b", "plain", "early", "deploy"] {
        assert_eq!(status(&schedule, job), JobStatus::Canceled, "{job}");
    }
    assert_eq!(schedule.status, PipelineStatus::Failed);
    assert!(schedule.finished);
}

/// GitLab creates `a` as failed, because its environment name is not valid, so it is not
/// among the `created` jobs that processing sorts, and the cycle does not stop processing.
#[test]
fn rule_needs_cycle_through_failed_job() {
    let yaml = "variables: {BRANCH: 'a:b'}
a: {script: x, environment: review/$BRANCH, rules: [{needs: [b]}]}
b: {script: x, rules: [{needs: [a]}], when: always}
";
    let pipeline = pipeline(yaml);
    assert!(
        pipeline
            .diagnostics
            .iter()
            .all(|d| d.code != "rules-needs-cycle"),
        "{:?}",
        pipeline.diagnostics
    );
    let schedule = run(yaml, "default: 10\n", &ScheduleOptions::default());
    assert_eq!(status(&schedule, "a"), JobStatus::Failed);
    assert_eq!(status(&schedule, "b"), JobStatus::Success);
    assert_eq!(schedule.status, PipelineStatus::Failed);
}

/// `flaky` fails at 10 and its retry waits for `r`, which `holder` took. `bad` fails at 50,
/// and `auto_cancel:on_job_failure` cancels the waiting retry, which GitLab created as a job
/// of its own: an attempt without a runner, a queue time or a start.
#[test]
fn canceled_waiting_retry_is_attempt() {
    let yaml = "workflow: {auto_cancel: {on_job_failure: all}}\n\
                flaky: {script: x, resource_group: r, retry: 1}\n\
                holder: {script: x, resource_group: r}\n\
                bad: {script: x}\n";
    let times = "jobs:\n  flaky: {duration: 10, fail: 1}\n  holder: 100\n  \
                 bad: {duration: 50, fail: 1}\n";
    let schedule = run(yaml, times, &ScheduleOptions::default());
    let flaky = schedule.job("flaky").unwrap();
    assert_eq!(flaky.status, JobStatus::Canceled);
    assert_eq!(flaky.attempts.len(), 2);
    assert_eq!(flaky.attempts[0].status, JobStatus::Failed);
    assert_eq!(flaky.attempts[0].finished_at, Some(10));
    let retry = &flaky.attempts[1];
    assert_eq!(retry.status, JobStatus::Canceled);
    assert_eq!(retry.runner, None);
    assert_eq!(retry.queued_at, None);
    assert_eq!(retry.started_at, None);
    assert_eq!(retry.finished_at, Some(50));
    // The job's runner and end are the canceled retry's, its start the first attempt's.
    assert_eq!(flaky.runner, None);
    assert_eq!(flaky.finished_at, Some(50));
    assert_eq!(flaky.started_at, Some(0));
    assert_eq!(status(&schedule, "holder"), JobStatus::Canceled);
}

/// `flaky` fails at 10, and its retry is pending behind `bad` on a runner with two slots.
/// `bad` fails at 60 and cancels the pending retry.
#[test]
fn canceled_pending_retry_is_attempt() {
    let yaml = "workflow: {auto_cancel: {on_job_failure: all}}\n\
                flaky: {script: x, retry: 1}\nlong: {script: x}\nbad: {script: x}\n";
    let pipeline = pipeline(yaml);
    let pool = pool(&pipeline, 2, 0, &[2]);
    let times = durations(
        "jobs:\n  flaky: {duration: 10, fail: 1}\n  long: 100\n  bad: {duration: 50, fail: 1}\n",
    );
    let schedule = simulate(&pipeline, &pool, &times, &ScheduleOptions::default());
    assert_eq!(started(&schedule, "bad"), Some(10));
    let flaky = schedule.job("flaky").unwrap();
    assert_eq!(flaky.status, JobStatus::Canceled);
    let retry = flaky.attempts.get(1).unwrap();
    assert_eq!(retry.status, JobStatus::Canceled);
    assert_eq!(retry.runner, None);
    assert_eq!(retry.queued_at, Some(10));
    assert_eq!(retry.started_at, None);
    assert_eq!(retry.finished_at, Some(60));
    // A job is listed with the runner of its last attempt, and the canceled retry has none.
    assert!(
        schedule
            .longest_waits
            .iter()
            .all(|wait| wait.job != "flaky")
    );
}

/// `gpu` keeps `r` while no runner can take it. When GitLab drops it, `deploy` takes `r`, and
/// the retry of `gpu` waits for it, so the critical path runs through all three in turn.
#[test]
fn dropped_job_hands_group_on_path() {
    let yaml = "gpu: {script: x, resource_group: r, retry: 1}\n\
                deploy: {script: x, resource_group: r}\n";
    let pipeline = pipeline(yaml);
    let mut pool = pool(&pipeline, 1, 0, &[1]);
    if let Some(gpu) = pool.eligible.first_mut() {
        gpu.runners.clear();
    }
    let times = durations("jobs: {deploy: 60}\n");
    let schedule = simulate(&pipeline, &pool, &times, &ScheduleOptions::default());
    let steps: Vec<(&str, u64, u64, u64)> = schedule
        .critical_path
        .iter()
        .map(|s| (s.job.as_str(), s.ready_at, s.started_at, s.finished_at))
        .collect();
    assert_eq!(
        steps,
        [
            ("gpu", 0, 3600, 3600),
            ("deploy", 0, 3600, 3660),
            ("gpu", 3660, 7260, 7260)
        ]
    );
}
