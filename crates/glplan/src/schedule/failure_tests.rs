//! Jobs that an eligible runner takes and then fails: the executor checks' errors in the
//! simulation.

use super::tests::durations;
use super::*;
use crate::SourceMap;

/// Jobs that the strict runner below rejects, beside jobs that it runs.
const JOBS: &str = "default: {tags: [d]}\n\
    ok: {script: x, image: \"registry.example.com/team/app:1\"}\n\
    bad: {script: x, image: \"docker.io/kalilinux/kali:latest\"}\n\
    pp: {script: x, image: {name: alpine, pull_policy: always}}\n\
    svc: {script: x, image: alpine, services: [postgres:16, redis:7]}\n\
    noimg: {script: x}\n";

const STRICT: &str = "concurrent = 4\n[[runners]]\nname = \"d\"\nexecutor = \"docker\"\n\
    tags = [\"d\"]\n[runners.docker]\nimage = \"alpine\"\n\
    allowed_images = [\"registry.example.com/**\", \"alpine*\", \"!*/kali*\"]\n\
    allowed_services = [\"postgres:*\"]\npull_policy = [\"if-not-present\"]\n\
    allowed_pull_policies = [\"if-not-present\", \"never\"]\nservices_limit = 1\n";

/// A Docker runner with the tag `d` that allows everything.
const OPEN: &str = "[[runners]]\nname = \"open\"\nexecutor = \"docker\"\ntags = [\"d\"]\n\
    [runners.docker]\nimage = \"alpine\"\n";

fn pipeline(yaml: &str) -> Pipeline {
    child_tests::planned(&[(".gitlab-ci.yml", yaml)])
}

/// Simulates `yaml` on the runners of one `config.toml`, with `durations`.
fn run(yaml: &str, toml: &str, durations_text: &str) -> Schedule {
    let pipeline = pipeline(yaml);
    let mut sources = SourceMap::new();
    let file = sources.add("config.toml", toml);
    let (fleet, diagnostics) = Fleet::parse(&[(file, toml)], &sources);
    assert!(!diagnostics.iter().any(|d| d.is_error()), "{diagnostics:?}");
    let matching = crate::fleet::match_jobs(&pipeline, &fleet, &Default::default());
    let pool = RunnerPool::from_fleet(&fleet, &matching);
    simulate(
        &pipeline,
        &pool,
        &durations(durations_text),
        &ScheduleOptions::default(),
    )
}

/// Returns (status, failure reason, start, end) of job `name`.
fn outcome(
    schedule: &Schedule,
    name: &str,
) -> (JobStatus, Option<String>, Option<u64>, Option<u64>) {
    let job = schedule.job(name).unwrap();
    (
        job.status,
        job.failure_reason.clone(),
        job.started_at,
        job.finished_at,
    )
}

fn failed_at(
    start: u64,
    end: u64,
    reason: &str,
) -> (JobStatus, Option<String>, Option<u64>, Option<u64>) {
    (
        JobStatus::Failed,
        Some(reason.to_owned()),
        Some(start),
        Some(end),
    )
}

#[test]
fn rejected_images_fail_before_script() {
    let schedule = run(JOBS, STRICT, "");
    for name in ["bad", "pp", "svc"] {
        assert_eq!(
            outcome(&schedule, name),
            failed_at(0, 9, "runner_system_failure"),
            "{name}"
        );
    }
    assert_eq!(
        outcome(&schedule, "ok"),
        (JobStatus::Success, None, Some(0), Some(300))
    );
    assert_eq!(schedule.status, PipelineStatus::Failed);
}

#[test]
fn failing_attempt_holds_worker() {
    // `concurrent = 4`: `noimg` waits for a worker until the failing jobs end at 9 s.
    let schedule = run(JOBS, STRICT, "");
    assert_eq!(
        outcome(&schedule, "noimg"),
        (JobStatus::Success, None, Some(9), Some(309))
    );
    assert_eq!(schedule.duration, 309);
}

#[test]
fn failure_reason_names_check() {
    let schedule = run(JOBS, STRICT, "");
    let bad = schedule.job("bad").unwrap();
    assert_eq!(
        bad.reason.as_deref(),
        Some(
            "runner `d` fails the job before its script: The \
             \"docker.io/kalilinux/kali:latest\" image is not present on list of allowed \
             images; every runner that can take the job fails it"
        )
    );
    let attempt = bad.attempts.first().unwrap();
    assert_eq!(
        attempt.failure_reason.as_deref(),
        Some("runner_system_failure")
    );
    assert_eq!(attempt.reason, bad.reason);
    assert_eq!(attempt.runner.as_deref(), Some("d"));
}

#[test]
fn services_limit_fails_job() {
    let yaml = "a: {script: x, tags: [d], services: [postgres:15, postgres:16]}\n";
    let schedule = run(yaml, STRICT, "");
    assert_eq!(
        outcome(&schedule, "a"),
        failed_at(0, 9, "runner_system_failure")
    );
    let reason = schedule.job("a").unwrap().reason.clone().unwrap();
    assert!(reason.contains("`services_limit`"), "{reason}");
}

#[test]
fn retry_when_runner_system_failure() {
    let yaml = "bad: {script: x, tags: [d], image: ubuntu, \
        retry: {max: 2, when: runner_system_failure}}\n";
    let schedule = run(yaml, STRICT, "");
    let bad = schedule.job("bad").unwrap();
    let ends: Vec<Option<u64>> = bad.attempts.iter().map(|a| a.finished_at).collect();
    assert_eq!(ends, [Some(9), Some(18), Some(27)]);
    assert!(
        bad.attempts
            .iter()
            .all(|a| a.failure_reason.as_deref() == Some("runner_system_failure"))
    );
    assert_eq!(bad.status, JobStatus::Failed);
}

#[test]
fn retry_when_script_failure_only() {
    let yaml =
        "bad: {script: x, tags: [d], image: ubuntu, retry: {max: 2, when: script_failure}}\n";
    let schedule = run(yaml, STRICT, "");
    assert_eq!(schedule.job("bad").unwrap().attempts.len(), 1);
}

#[test]
fn retry_always_by_default() {
    let yaml = "bad: {script: x, tags: [d], image: ubuntu, retry: 1}\n";
    let schedule = run(yaml, STRICT, "");
    assert_eq!(schedule.job("bad").unwrap().attempts.len(), 2);
}

#[test]
fn allow_failure_ignores_runner_failure() {
    let yaml = "bad: {script: x, tags: [d], image: ubuntu, allow_failure: true}\n";
    let schedule = run(yaml, STRICT, "");
    let bad = schedule.job("bad").unwrap();
    assert_eq!(bad.status, JobStatus::Failed);
    assert!(bad.allowed_failure);
    assert_eq!(schedule.status, PipelineStatus::Success);
}

#[test]
fn allow_failure_exit_codes_miss_runner_failure() {
    // `runner_system_failure` has no exit code, so no `exit_codes` entry allows it.
    let yaml = "bad: {script: x, tags: [d], image: ubuntu, allow_failure: {exit_codes: [1]}}\n";
    let schedule = run(yaml, STRICT, "");
    assert!(!schedule.job("bad").unwrap().allowed_failure);
    assert_eq!(schedule.status, PipelineStatus::Failed);
}

#[test]
fn needs_and_stages_react() {
    let yaml = "stages: [build, test, cleanup]\n\
        bad: {stage: build, script: x, tags: [d], image: ubuntu}\n\
        after: {stage: test, script: x, tags: [d], needs: [bad]}\n\
        later: {stage: test, script: x, tags: [d]}\n\
        rescue: {stage: cleanup, script: x, tags: [d], when: on_failure}\n";
    let schedule = run(yaml, STRICT, "");
    assert_eq!(schedule.job("after").unwrap().status, JobStatus::Skipped);
    assert_eq!(schedule.job("later").unwrap().status, JobStatus::Skipped);
    assert_eq!(
        outcome(&schedule, "rescue"),
        (JobStatus::Success, None, Some(9), Some(309))
    );
}

#[test]
fn other_runner_named_in_reason() {
    let toml = format!("{STRICT}{OPEN}");
    let yaml = "bad: {script: x, tags: [d], image: ubuntu}\n";
    let schedule = run(yaml, &toml, "");
    let bad = schedule.job("bad").unwrap();
    // The feeder hands `d` over first, at 0 s.
    assert_eq!(bad.runner.as_deref(), Some("d"));
    let reason = bad.reason.clone().unwrap();
    assert!(reason.ends_with("; runner `open` runs it"), "{reason}");
}

#[test]
fn retry_can_reach_working_runner() {
    // With `check_interval = 2` the feeder hands `d` over at even seconds and `open` at odd
    // ones. `d` takes the first attempt at 0 s and fails it at 9 s, when `open` comes next.
    let toml = format!("check_interval = 2\n{STRICT}{OPEN}");
    let yaml = "bad: {script: x, tags: [d], image: ubuntu, retry: 1}\n";
    let schedule = run(yaml, &toml, "");
    let bad = schedule.job("bad").unwrap();
    let runners: Vec<Option<&str>> = bad.attempts.iter().map(|a| a.runner.as_deref()).collect();
    assert_eq!(runners, [Some("d"), Some("open")]);
    assert_eq!(bad.status, JobStatus::Success);
    assert_eq!(schedule.status, PipelineStatus::Success);
}

#[test]
fn kubernetes_pod_rejected_after_one_second() {
    let toml = "[[runners]]\nname = \"k\"\nexecutor = \"kubernetes\"\n\
        [runners.kubernetes]\nimage = \"alpine\"\nallowed_images = [\"alpine*\"]\n";
    let schedule = run("bad: {script: x, image: ubuntu}\n", toml, "");
    assert_eq!(
        outcome(&schedule, "bad"),
        failed_at(0, 1, "runner_system_failure")
    );
}

#[test]
fn kubernetes_overwrite_above_max_fails_prepare() {
    let toml = "[[runners]]\nname = \"k\"\nexecutor = \"kubernetes\"\n\
        [runners.kubernetes]\ncpu_request_overwrite_max_allowed = \"2\"\n";
    let yaml = "big: {script: x, variables: {KUBERNETES_CPU_REQUEST: \"4\"}}\n\
        fits: {script: x, variables: {KUBERNETES_CPU_REQUEST: \"2\"}}\n";
    let schedule = run(yaml, toml, "");
    assert_eq!(
        outcome(&schedule, "big"),
        failed_at(0, 9, "runner_system_failure")
    );
    assert_eq!(
        schedule.job("big").unwrap().reason.as_deref(),
        Some(
            "runner `k` fails the job before its script: invalid build requests specified: the \
             resource \"CPURequest\" requested \"4\" is higher than limit allowed \"2\"; every \
             runner that can take the job fails it"
        )
    );
    assert_eq!(schedule.job("fits").unwrap().status, JobStatus::Success);
}

#[test]
fn kubernetes_overwrite_without_max_runs() {
    let toml = "[[runners]]\nname = \"k\"\nexecutor = \"kubernetes\"\n";
    let yaml = "big: {script: x, variables: {KUBERNETES_CPU_REQUEST: \"400\"}}\n";
    let schedule = run(yaml, toml, "");
    assert_eq!(schedule.job("big").unwrap().status, JobStatus::Success);
}

#[test]
fn unprivileged_dind_fails_script() {
    let toml = "[[runners]]\nname = \"d\"\nexecutor = \"docker\"\n\
        [runners.docker]\nimage = \"docker:27\"\nvolumes = [\"/certs/client\"]\n";
    let yaml = "build: {script: docker build ., services: [docker:27-dind], \
        variables: {DOCKER_HOST: tcp://docker:2376}}\n";
    let schedule = run(yaml, toml, "jobs: {build: 100}\n");
    assert_eq!(
        outcome(&schedule, "build"),
        failed_at(0, 100, "script_failure")
    );
    let reason = schedule.job("build").unwrap().reason.clone().unwrap();
    assert!(
        reason.starts_with("the script fails on runner `d`: job `build` starts"),
        "{reason}"
    );
}

#[test]
fn script_failure_exit_code_one() {
    let toml = "[[runners]]\nname = \"d\"\nexecutor = \"docker\"\n\
        [runners.docker]\nimage = \"docker:27\"\nvolumes = [\"/certs/client\"]\n";
    let yaml = "build: {script: docker build ., services: [docker:27-dind], \
        variables: {DOCKER_HOST: tcp://docker:2376}, allow_failure: {exit_codes: [1]}}\n";
    let schedule = run(yaml, toml, "");
    let build = schedule.job("build").unwrap();
    assert_eq!(build.status, JobStatus::Failed);
    assert!(build.allowed_failure);
}

#[test]
fn unlimited_pool_fails_nothing() {
    let pipeline = pipeline(JOBS);
    let pool = RunnerPool::unlimited(&pipeline);
    let schedule = simulate(
        &pipeline,
        &pool,
        &Durations::default(),
        &ScheduleOptions::default(),
    );
    assert_eq!(schedule.status, PipelineStatus::Success);
}
