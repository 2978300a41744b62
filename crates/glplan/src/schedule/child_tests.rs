//! Worked examples of child pipelines in the simulation: their jobs on the parent's runners,
//! `trigger:strategy`, failures, cancellation, resource groups and nesting.

use super::tests::{durations, shown, unreached_warnings};
use super::*;
use crate::MemoryFiles;
use crate::context::PipelineContext;
use crate::pipeline::{PlanOptions, plan};

/// Plans `.gitlab-ci.yml` with the other `files` available to `trigger:include`.
pub(super) fn planned(files: &[(&str, &str)]) -> Pipeline {
    let mut memory = MemoryFiles::new();
    for (name, text) in files {
        memory = memory.with_file(*name, *text);
    }
    let (resolution, pipeline) = plan(
        ".gitlab-ci.yml",
        &memory,
        &PipelineContext::push("main"),
        &PlanOptions::default(),
    );
    assert!(
        !resolution.diagnostics.has_errors(),
        "{:?}",
        resolution.diagnostics
    );
    let pipeline = pipeline.unwrap();
    assert!(pipeline.created, "{:?}", pipeline.errors);
    pipeline
}

/// Returns the files of a parent configuration `yaml` whose trigger jobs include `child.yml`.
fn with_child<'a>(yaml: &'a str, child: &'a str) -> [(&'static str, &'a str); 2] {
    [(".gitlab-ci.yml", yaml), ("child.yml", child)]
}

fn options(play: &[&str], fail: &[&str]) -> ScheduleOptions {
    ScheduleOptions {
        play: play.iter().map(|s| JobSelector::from(*s)).collect(),
        fail: fail.iter().map(|s| JobSelector::from(*s)).collect(),
    }
}

/// Simulates on runners without limits.
fn run(files: &[(&str, &str)], times: &str, options: &ScheduleOptions) -> Schedule {
    let pipeline = planned(files);
    simulate(
        &pipeline,
        &RunnerPool::unlimited(&pipeline),
        &durations(times),
        options,
    )
}

/// Returns a pool of one runner with `limit = 1` on a host with `check_interval = 0`, which
/// takes every job.
fn one_slot(pipeline: &Pipeline) -> RunnerPool {
    let mut pool = RunnerPool::unlimited(pipeline);
    if let Some(host) = pool.hosts.first_mut() {
        host.concurrent = 1;
    }
    if let Some(runner) = pool.runners.first_mut() {
        runner.limit = 1;
    }
    pool
}

fn job<'s>(schedule: &'s Schedule, name: &str) -> &'s ScheduledJob {
    schedule
        .job(name)
        .unwrap_or_else(|| panic!("no job `{name}`"))
}

fn child<'s>(schedule: &'s Schedule, trigger: &str) -> &'s ChildPipeline {
    schedule
        .pipelines
        .iter()
        .find(|p| p.trigger == trigger)
        .unwrap_or_else(|| panic!("no child pipeline of `{trigger}`"))
}

/// Returns a parent configuration with trigger job `t` of `child.yml` in stage `a`, with
/// `strategy` appended to its `trigger`, and `after` and `always` in stage `b`.
fn parent(strategy: &str) -> String {
    format!(
        "stages: [a, b]\n\
         t: {{stage: a, trigger: {{include: child.yml{strategy}}}}}\n\
         after: {{stage: b, script: x}}\n\
         always: {{stage: b, script: x, when: always}}\n"
    )
}

#[test]
fn child_jobs_named_after_trigger() {
    let yaml = parent("");
    let files = with_child(&yaml, "c: {script: x}\n");
    let schedule = run(&files, "default: 10\n", &ScheduleOptions::default());
    let names: Vec<&str> = schedule.jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, ["t", "after", "always", "t/c"]);
    assert_eq!(job(&schedule, "t/c").pipeline.as_deref(), Some("t"));
    assert_eq!(job(&schedule, "after").pipeline, None);
    assert_eq!(schedule.pipelines.len(), 1);
}

/// The child's job gets a job id after every job of the parent, so on a runner with one
/// slot it waits for `late`, which became pending later but was created first.
#[test]
fn child_jobs_wait_behind_parent_jobs() {
    let yaml = "stages: [a, b]\n\
                early: {stage: a, script: x}\n\
                t: {stage: a, trigger: {include: child.yml}}\n\
                late: {stage: b, script: x}\n";
    let pipeline = planned(&[(".gitlab-ci.yml", yaml), ("child.yml", "c: {script: x}\n")]);
    let schedule = simulate(
        &pipeline,
        &one_slot(&pipeline),
        &durations("default: 10\n"),
        &ScheduleOptions::default(),
    );
    let c = job(&schedule, "t/c");
    assert_eq!(c.queued_at, Some(0));
    assert_eq!(c.started_at, Some(20));
    assert_eq!(c.runner.as_deref(), Some("unlimited"));
    assert_eq!(job(&schedule, "early").started_at, Some(0));
    assert_eq!(job(&schedule, "late").started_at, Some(10));
    assert_eq!(schedule.duration, 30);
    assert_eq!(schedule.runners.first().map(|r| r.jobs), Some(3));
    assert_eq!(schedule.runners.first().map(|r| r.peak), Some(1));
}

#[test]
fn depend_waits_no_strategy_does_not() {
    let times = "default: 10\njobs: {t/c: 30}\n";
    let cases = [("", 0, 0, 30), (", strategy: depend", 30, 30, 40)];
    for (strategy, trigger_end, after_start, duration) in cases {
        let yaml = parent(strategy);
        let files = with_child(&yaml, "c: {script: x}\n");
        let schedule = run(&files, times, &ScheduleOptions::default());
        let trigger = job(&schedule, "t");
        assert_eq!(trigger.status, JobStatus::Success, "{strategy}");
        assert_eq!(trigger.started_at, Some(0), "{strategy}");
        assert_eq!(trigger.finished_at, Some(trigger_end), "{strategy}");
        assert_eq!(
            job(&schedule, "after").started_at,
            Some(after_start),
            "{strategy}"
        );
        assert_eq!(job(&schedule, "t/c").finished_at, Some(30), "{strategy}");
        let pipeline = child(&schedule, "t");
        assert_eq!(pipeline.created_at, 0, "{strategy}");
        assert_eq!(pipeline.finished_at, Some(30), "{strategy}");
        assert_eq!(pipeline.status, PipelineStatus::Success, "{strategy}");
        assert!(schedule.finished, "{strategy}");
        assert_eq!(schedule.status, PipelineStatus::Success, "{strategy}");
        assert_eq!(schedule.duration, duration, "{strategy}");
    }
}

#[test]
fn failing_child_job_fails_depend_trigger() {
    let yaml = parent(", strategy: depend");
    let files = with_child(&yaml, "c: {script: x}\n");
    let schedule = run(&files, "default: 10\n", &options(&[], &["t/c"]));
    let trigger = job(&schedule, "t");
    assert_eq!(trigger.status, JobStatus::Failed);
    assert_eq!(trigger.failure_reason, None);
    assert_eq!(
        trigger.reason.as_deref(),
        Some("its child pipeline ended `failed`")
    );
    assert_eq!(trigger.finished_at, Some(10));
    assert_eq!(job(&schedule, "after").status, JobStatus::Skipped);
    assert_eq!(job(&schedule, "always").status, JobStatus::Success);
    assert_eq!(job(&schedule, "always").started_at, Some(10));
    assert_eq!(child(&schedule, "t").status, PipelineStatus::Failed);
    assert_eq!(schedule.status, PipelineStatus::Failed);
}

/// A child pipeline whose processing stops at a `rules:needs` cycle stays `created`, so a
/// `depend` trigger job waits for it without end.
#[test]
fn rule_needs_cycle_in_child() {
    let yaml = parent(", strategy: depend");
    let child_yaml =
        "a: {script: x, rules: [{needs: [b]}]}\nb: {script: x, rules: [{needs: [a]}]}\n";
    let files = with_child(&yaml, child_yaml);
    let schedule = run(&files, "default: 10\n", &options(&[], &[]));
    assert_eq!(job(&schedule, "t/a").status, JobStatus::Created);
    assert_eq!(child(&schedule, "t").status, PipelineStatus::Created);
    assert_eq!(job(&schedule, "t").status, JobStatus::Running);
    assert_eq!(job(&schedule, "after").status, JobStatus::Created);
    assert!(!schedule.finished);
}

#[test]
fn failing_child_job_without_strategy() {
    let yaml = parent("");
    let files = with_child(&yaml, "c: {script: x}\n");
    let schedule = run(&files, "default: 10\n", &options(&[], &["t/c"]));
    assert_eq!(job(&schedule, "t").status, JobStatus::Success);
    assert_eq!(job(&schedule, "after").status, JobStatus::Success);
    assert_eq!(child(&schedule, "t").status, PipelineStatus::Failed);
    assert_eq!(schedule.status, PipelineStatus::Success);
}

#[test]
fn allowed_failure_of_depend_trigger() {
    let yaml = "stages: [a, b]\n\
                t: {stage: a, trigger: {include: child.yml, strategy: depend}, allow_failure: true}\n\
                after: {stage: b, script: x}\n";
    let files = with_child(yaml, "c: {script: x}\n");
    let schedule = run(&files, "default: 10\n", &options(&[], &["t/c"]));
    let trigger = job(&schedule, "t");
    assert_eq!(trigger.status, JobStatus::Failed);
    assert!(trigger.allowed_failure);
    assert_eq!(job(&schedule, "after").status, JobStatus::Success);
    assert_eq!(schedule.status, PipelineStatus::Success);
}

/// A child with only an optional manual job is `skipped`: `depend` fails the trigger job and
/// `mirror` skips it.
#[test]
fn skipped_child_depend_and_mirror() {
    let child_yaml = "m: {script: x, when: manual}\n";
    let cases = [
        ("depend", JobStatus::Failed, JobStatus::Skipped),
        ("mirror", JobStatus::Skipped, JobStatus::Success),
    ];
    for (strategy, trigger_status, after_status) in cases {
        let yaml = parent(&format!(", strategy: {strategy}"));
        let files = with_child(&yaml, child_yaml);
        let schedule = run(&files, "default: 10\n", &ScheduleOptions::default());
        let trigger = job(&schedule, "t");
        assert_eq!(trigger.status, trigger_status, "{strategy}");
        assert_eq!(trigger.finished_at, Some(0), "{strategy}");
        assert_eq!(
            trigger.attempts.first().map(|a| a.status),
            Some(trigger_status),
            "{strategy}"
        );
        assert_eq!(job(&schedule, "after").status, after_status, "{strategy}");
        assert_eq!(
            job(&schedule, "t/m").status,
            JobStatus::Manual,
            "{strategy}"
        );
        assert_eq!(
            child(&schedule, "t").status,
            PipelineStatus::Skipped,
            "{strategy}"
        );
    }
}

/// A child blocked by a manual job never completes: a `depend` trigger job stays running,
/// and a `mirror` one becomes a blocking manual job of the parent.
#[test]
fn blocked_child_depend_and_mirror() {
    let child_yaml = "stages: [one, two]\n\
                      gate: {stage: one, script: x, when: manual, allow_failure: false}\n\
                      next: {stage: two, script: x}\n";
    let cases = [
        (
            "depend",
            JobStatus::Running,
            "waits for its child pipeline, which is blocked by a manual job",
            PipelineStatus::Running,
        ),
        (
            "mirror",
            JobStatus::Manual,
            "its child pipeline is blocked by a manual job",
            PipelineStatus::Manual,
        ),
    ];
    for (strategy, trigger_status, reason, parent_status) in cases {
        let yaml = parent(&format!(", strategy: {strategy}"));
        let files = with_child(&yaml, child_yaml);
        let schedule = run(&files, "default: 10\n", &ScheduleOptions::default());
        let trigger = job(&schedule, "t");
        assert_eq!(trigger.status, trigger_status, "{strategy}");
        assert_eq!(trigger.reason.as_deref(), Some(reason), "{strategy}");
        assert_eq!(trigger.started_at, Some(0), "{strategy}");
        assert_eq!(trigger.finished_at, None, "{strategy}");
        assert_eq!(
            job(&schedule, "after").status,
            JobStatus::Created,
            "{strategy}"
        );
        assert_eq!(
            job(&schedule, "t/next").status,
            JobStatus::Created,
            "{strategy}"
        );
        assert!(!schedule.finished, "{strategy}");
        assert_eq!(schedule.status, parent_status, "{strategy}");
        let pipeline = child(&schedule, "t");
        assert_eq!(pipeline.status, PipelineStatus::Manual, "{strategy}");
        assert!(!pipeline.finished, "{strategy}");
        assert_eq!(pipeline.finished_at, None, "{strategy}");
    }
}

#[test]
fn mirror_blocked_optional_trigger_ignored() {
    let yaml = "stages: [a, b]\n\
                t: {stage: a, trigger: {include: child.yml, strategy: mirror}, allow_failure: true}\n\
                after: {stage: b, script: x}\n";
    let child_yaml = "gate: {script: x, when: manual, allow_failure: false}\n";
    let files = with_child(yaml, child_yaml);
    let schedule = run(&files, "default: 10\n", &ScheduleOptions::default());
    assert_eq!(job(&schedule, "t").status, JobStatus::Manual);
    assert_eq!(job(&schedule, "after").status, JobStatus::Success);
    assert!(schedule.finished);
}

#[test]
fn played_child_manual_job() {
    let yaml = parent(", strategy: depend");
    let child_yaml = "gate: {script: x, when: manual, allow_failure: false}\n";
    let files = with_child(&yaml, child_yaml);
    let schedule = run(&files, "default: 10\n", &options(&["t/gate"], &[]));
    assert_eq!(job(&schedule, "t/gate").status, JobStatus::Success);
    assert_eq!(job(&schedule, "t").finished_at, Some(10));
    assert_eq!(job(&schedule, "after").started_at, Some(10));
}

#[test]
fn nested_grandchild_pipeline() {
    let yaml = parent(", strategy: depend");
    let child_yaml = "stages: [one, two]\n\
                      inner: {stage: one, trigger: {include: grand.yml, strategy: depend}}\n\
                      c: {stage: two, script: x}\n";
    let files = [
        (".gitlab-ci.yml", yaml.as_str()),
        ("child.yml", child_yaml),
        ("grand.yml", "g: {script: x}\n"),
    ];
    let times = "default: 10\njobs: {t/inner/g: 50}\n";
    let schedule = run(&files, times, &ScheduleOptions::default());

    let g = job(&schedule, "t/inner/g");
    assert_eq!(g.pipeline.as_deref(), Some("t/inner"));
    assert_eq!(g.finished_at, Some(50));
    assert_eq!(job(&schedule, "t/inner").finished_at, Some(50));
    assert_eq!(job(&schedule, "t/c").started_at, Some(50));
    assert_eq!(job(&schedule, "t").finished_at, Some(60));
    assert_eq!(job(&schedule, "after").started_at, Some(60));

    let triggers: Vec<&str> = schedule
        .pipelines
        .iter()
        .map(|p| p.trigger.as_str())
        .collect();
    assert_eq!(triggers, ["t", "t/inner"]);
    let path: Vec<&str> = schedule
        .critical_path
        .iter()
        .map(|s| s.job.as_str())
        .collect();
    assert_eq!(path, ["t/inner/g", "t/c", "after"]);
}

#[test]
fn failing_grandchild_fails_every_depend_trigger() {
    let yaml = parent(", strategy: depend");
    let child_yaml = "stages: [one, two]\n\
                      inner: {stage: one, trigger: {include: grand.yml, strategy: depend}}\n\
                      c: {stage: two, script: x}\n";
    let files = [
        (".gitlab-ci.yml", yaml.as_str()),
        ("child.yml", child_yaml),
        ("grand.yml", "g: {script: x}\n"),
    ];
    let schedule = run(&files, "default: 10\n", &options(&[], &["t/inner/g"]));
    assert_eq!(job(&schedule, "t/inner").status, JobStatus::Failed);
    assert_eq!(job(&schedule, "t/c").status, JobStatus::Skipped);
    assert_eq!(job(&schedule, "t").status, JobStatus::Failed);
    assert_eq!(job(&schedule, "after").status, JobStatus::Skipped);
    assert_eq!(schedule.status, PipelineStatus::Failed);
}

/// `hold` keeps the project's `prod` group for 50 seconds, so the child's `c` waits for it.
#[test]
fn resource_group_shared_with_child() {
    let yaml = "hold: {script: x, resource_group: prod}\n\
                t: {trigger: {include: child.yml}}\n";
    let child_yaml = "c: {script: x, resource_group: prod}\n";
    let files = with_child(yaml, child_yaml);
    let schedule = run(
        &files,
        "default: 10\njobs: {hold: 50}\n",
        &ScheduleOptions::default(),
    );
    assert_eq!(job(&schedule, "t/c").queued_at, Some(50));
    assert_eq!(job(&schedule, "t/c").started_at, Some(50));
}

#[test]
fn retried_child_job() {
    let yaml = parent(", strategy: depend");
    let child_yaml = "c: {script: x, retry: 1}\n";
    let files = with_child(&yaml, child_yaml);
    let times = "jobs: {t/c: {duration: 10, fail: 1}}\n";
    let schedule = run(&files, times, &ScheduleOptions::default());
    let c = job(&schedule, "t/c");
    assert_eq!(c.status, JobStatus::Success);
    assert_eq!(c.attempts.len(), 2);
    assert_eq!(job(&schedule, "t").status, JobStatus::Success);
    assert_eq!(job(&schedule, "t").finished_at, Some(20));
}

#[test]
fn auto_cancel_reaches_child_pipeline() {
    let yaml = "workflow: {auto_cancel: {on_job_failure: all}}\n\
                bad: {script: x}\n\
                t: {trigger: {include: child.yml}}\n";
    let files = with_child(yaml, "c: {script: x}\n");
    let times = "jobs: {bad: 10, t/c: 100}\n";
    let schedule = run(&files, times, &options(&[], &["bad"]));
    let c = job(&schedule, "t/c");
    assert_eq!(c.status, JobStatus::Canceled);
    assert_eq!(c.finished_at, Some(10));
    assert_eq!(child(&schedule, "t").status, PipelineStatus::Canceled);
}

/// `bad` fails at 10 and cancels the child pipeline of `t`, whose only job is delayed.
const CANCELED_DELAYED_CHILD: [(&str, &str); 2] = [
    (
        ".gitlab-ci.yml",
        "workflow: {auto_cancel: {on_job_failure: all}}\n\
         t: {trigger: {include: child.yml, strategy: depend}}\n\
         bad: {script: x}\n",
    ),
    (
        "child.yml",
        "c: {script: x, when: delayed, start_in: 1 hour}\n",
    ),
];

/// The cancellation ends the child pipeline before any of its jobs has an attempt.
#[test]
fn canceled_child_ends_at_cancel() {
    let schedule = run(
        &CANCELED_DELAYED_CHILD,
        "jobs: {bad: 10}\n",
        &options(&[], &["bad"]),
    );
    assert_eq!(job(&schedule, "t/c").status, JobStatus::Canceled);
    assert_eq!(child(&schedule, "t").status, PipelineStatus::Canceled);
    assert_eq!(child(&schedule, "t").finished_at, Some(10));
}

/// `t` ends in a tie with `bad`, whose failure canceled it, so the path ends with `bad`.
#[test]
fn critical_path_through_cancel_cause() {
    let schedule = run(
        &CANCELED_DELAYED_CHILD,
        "jobs: {bad: 10}\n",
        &options(&[], &["bad"]),
    );
    let path: Vec<&str> = schedule
        .critical_path
        .iter()
        .map(|step| step.job.as_str())
        .collect();
    assert_eq!(path, ["bad"]);
}

#[test]
fn auto_cancel_of_child_leaves_parent() {
    let yaml = "stages: [a, b]\n\
                t: {stage: a, trigger: {include: child.yml, strategy: depend}}\n\
                other: {stage: a, script: x}\n\
                after: {stage: b, script: x}\n";
    let child_yaml = "workflow: {auto_cancel: {on_job_failure: all}}\n\
                      bad: {script: x}\n\
                      long: {script: x}\n";
    let files = with_child(yaml, child_yaml);
    let times = "jobs: {t/bad: 10, t/long: 100, other: 50}\n";
    let schedule = run(&files, times, &options(&[], &["t/bad"]));
    assert_eq!(job(&schedule, "t/long").status, JobStatus::Canceled);
    assert_eq!(job(&schedule, "other").status, JobStatus::Success);
    assert_eq!(job(&schedule, "other").finished_at, Some(50));
    assert_eq!(job(&schedule, "t").status, JobStatus::Failed);
    assert_eq!(job(&schedule, "t").finished_at, Some(10));
    assert_eq!(job(&schedule, "after").status, JobStatus::Skipped);
}

#[test]
fn failed_trigger_creates_no_child() {
    let yaml = parent(", strategy: depend");
    let files = with_child(&yaml, "c: {script: x}\n");
    let schedule = run(&files, "default: 10\n", &options(&[], &["t"]));
    let trigger = job(&schedule, "t");
    assert_eq!(trigger.status, JobStatus::Failed);
    assert_eq!(
        trigger.failure_reason.as_deref(),
        Some("downstream_pipeline_creation_failed")
    );
    assert!(schedule.job("t/c").is_none());
    assert!(schedule.pipelines.is_empty());
}

#[test]
fn trigger_duration_ignored_with_child() {
    let yaml = parent(", strategy: depend");
    let files = with_child(&yaml, "c: {script: x}\n");
    let pipeline = planned(&files);
    let times = durations("default: 10\njobs: {t: {duration: 500, fail: true}, 't*': 7}\n");
    let schedule = simulate(
        &pipeline,
        &RunnerPool::unlimited(&pipeline),
        &times,
        &ScheduleOptions::default(),
    );
    assert_eq!(job(&schedule, "t").status, JobStatus::Success);
    assert_eq!(job(&schedule, "t").finished_at, Some(10));
    let warnings = ignored_trigger_durations(&pipeline, &times);
    let codes: Vec<&str> = warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, ["trigger-duration-ignored"]);
    assert_eq!(
        warnings.first().and_then(|w| w.help.as_deref()),
        Some("give durations to the child pipeline's jobs, as in `t/JOB`, or remove the entry")
    );
}

/// A parent with a build job, a parallel test job, a deploy job that a push to `main` leaves
/// out, and trigger job `t` whose child pipeline has job `c` and leaves out job `late`.
const UNUSED_PARENT: &str = "build: {script: x}
test: {script: x, parallel: 2}
deploy: {script: x, rules: [{if: '$CI_COMMIT_BRANCH == \"production\"'}]}
t: {trigger: {include: child.yml}}
";
const UNUSED_CHILD: &str = "c: {script: x}\nlate: {script: x, rules: [{when: never}]}\n";

fn unused_codes(times: &str) -> Vec<(&'static str, String, Option<String>)> {
    let files = with_child(UNUSED_PARENT, UNUSED_CHILD);
    let pipeline = planned(&files);
    unused_durations(&pipeline, &durations(times))
        .into_iter()
        .map(|w| (w.code, w.message, w.help))
        .collect()
}

#[test]
fn misspelt_durations_entry_suggests_job_name() {
    let found = unused_codes("jobs: {biuld: 1, 't/cc': 2, 'nothing*': 3}\n");
    let codes: Vec<&str> = found.iter().map(|(code, _, _)| *code).collect();
    assert_eq!(codes, ["duration-entry-unknown"; 3]);
    let helps: Vec<Option<&str>> = found.iter().map(|(_, _, help)| help.as_deref()).collect();
    assert_eq!(helps[0], Some("did you mean `build`?"));
    assert_eq!(helps[1], Some("did you mean `t/c`?"));
    assert!(helps[2].is_some_and(|help| help.contains("`TRIGGER/JOB`")));
    assert_eq!(
        found[0].1,
        "the durations entry `biuld` selects no job of the pipeline"
    );
}

#[test]
fn unclosed_glob_durations_entry_says_why() {
    let pipeline = planned(&with_child(UNUSED_PARENT, UNUSED_CHILD));
    let cases = [
        ("jobs:\n  'build: [linux*': 1\n", "["),
        ("jobs:\n  \"te{st,x\": 1\n", "{"),
        ("jobs:\n  te[st: 1\n", "["),
    ];
    for (text, at) in cases {
        let warnings = unused_durations(&pipeline, &durations(text));
        let [warning] = warnings.as_slice() else {
            panic!("{text:?}: {warnings:#?}");
        };
        assert_eq!(warning.code, "duration-entry-unknown", "{text:?}");
        let span = warning.span.expect("a span");
        assert_eq!(text.get(span.range()), Some(at), "{text:?}");
    }

    // A key whose text is not the pattern as written gets the span of the whole key.
    let text = "jobs:\n  \"\\x74e[st\": 1\n";
    let warnings = unused_durations(&pipeline, &durations(text));
    let span = warnings[0].span.expect("a span");
    assert!(
        text[span.range()].contains("\\x74e[st"),
        "{:?}",
        &text[span.range()]
    );

    let warnings = unused_durations(&pipeline, &durations("jobs: {'build: [linux*': 1}\n"));
    assert_eq!(
        warnings[0].message,
        "the durations entry `build: [linux*` selects no job of the pipeline, because its `[` \
         opens a character class that is never closed, and such a class matches nothing"
    );
    assert_eq!(
        warnings[0].help.as_deref(),
        Some(
            "write `\\[` to match a `[`, as in `build: \\[linux*` (in single quotes in YAML, \
             because `\\[` is not a valid escape in double quotes), or close the class with `]`"
        )
    );
    let warnings = unused_durations(&pipeline, &durations("jobs: {'te{st': 1}\n"));
    assert_eq!(
        warnings[0].message,
        "the durations entry `te{st` selects no job of the pipeline, because its `{` has no \
         closing `}`, which makes the whole glob match nothing"
    );
}

#[test]
fn empty_class_durations_entry_says_why() {
    let pipeline = planned(&with_child(UNUSED_PARENT, UNUSED_CHILD));
    let cases = [
        ("jobs:\n  '*[]*': 1\n", "[]"),
        ("jobs:\n  \"b[]]\": 1\n", "[]"),
        ("jobs:\n  te[]st: 1\n", "[]"),
    ];
    for (text, at) in cases {
        let warnings = unused_durations(&pipeline, &durations(text));
        let [warning] = warnings.as_slice() else {
            panic!("{text:?}: {warnings:#?}");
        };
        assert_eq!(warning.code, "duration-entry-unknown", "{text:?}");
        let span = warning.span.expect("a span");
        assert_eq!(text.get(span.range()), Some(at), "{text:?}");
    }

    let warnings = unused_durations(&pipeline, &durations("jobs: {'b[]]': 1}\n"));
    assert_eq!(
        warnings[0].message,
        "the durations entry `b[]]` selects no job of the pipeline, because its `[]` is an \
         empty character class, which matches nothing"
    );
    assert_eq!(
        warnings[0].help.as_deref(),
        Some(
            "write `\\[` to match a `[`, as in `b\\[]]` (in single quotes in YAML, because \
             `\\[` is not a valid escape in double quotes). A `]` right after `[` closes the \
             class, so a class that matches `]` is written `[\\]]`"
        )
    );

    // An alternative of a brace list may match nothing while another matches a job.
    let warnings = unused_durations(&pipeline, &durations("jobs: {'{biuld,[]}': 1}\n"));
    assert_eq!(
        warnings[0].message,
        "the durations entry `{biuld,[]}` selects no job of the pipeline"
    );
}

#[test]
fn durations_entries_jobs_take_not_reported() {
    // Names, a parallel base name, a child job, globs, and jobs that the pipelines leave out.
    let times = "jobs: {build: 1, test: 2, 't/c': 3, deploy: 4, 't/late': 5, 'dep*': 6, 'b*': 7}\n";
    let found = unused_codes(times);
    let codes: Vec<&str> = found.iter().map(|(code, _, _)| *code).collect();
    assert_eq!(codes, ["duration-entry-shadowed"]);
    assert_eq!(
        found[0].1,
        "the durations entry `b*` is never used: every job it selects takes another entry, as \
         job `build` takes `build`"
    );
}

#[test]
fn name_entry_shadows_earlier_glob() {
    // A job's own name wins over a glob written before it.
    let found = unused_codes("jobs: {'te*': 1, 'test 1/2': 2, 'test 2/2': 3, '*': 4}\n");
    let messages: Vec<&str> = found
        .iter()
        .map(|(_, message, _)| message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "the durations entry `te*` is never used: every job it selects takes another entry, \
          as job `test 1/2` takes `test 1/2`"
        ]
    );
}

#[test]
fn durations_glob_on_child_names() {
    let yaml = parent("");
    let child_yaml = "c1: {script: x}\nc2: {script: x}\n";
    let files = with_child(&yaml, child_yaml);
    let schedule = run(
        &files,
        "default: 10\njobs: {'t/*': 40, '**/after': 20}\n",
        &ScheduleOptions::default(),
    );
    assert_eq!(job(&schedule, "t/c1").finished_at, Some(40));
    assert_eq!(job(&schedule, "t/c2").finished_at, Some(40));
    assert_eq!(job(&schedule, "after").finished_at, Some(20));
}

#[test]
fn unknown_child_names() {
    let yaml = parent("");
    let files = with_child(&yaml, "c: {script: x}\n");
    let pipeline = planned(&files);
    let names = ["t/c", "t/nope", "c"].map(JobSelector::from);
    assert_eq!(shown(&unknown_jobs(&pipeline, &names)), ["t/nope", "c"]);
}

#[test]
fn multi_project_trigger_keeps_durations() {
    let yaml = "stages: [a, b]\n\
                t: {stage: a, trigger: {project: g/p, strategy: depend}}\n\
                after: {stage: b, script: x}\n";
    let schedule = run(
        &[(".gitlab-ci.yml", yaml)],
        "default: 10\njobs: {t: 30}\n",
        &ScheduleOptions::default(),
    );
    assert_eq!(job(&schedule, "t").finished_at, Some(30));
    assert_eq!(job(&schedule, "after").started_at, Some(30));
    assert!(schedule.pipelines.is_empty());
}

#[test]
fn child_job_without_runner_dropped() {
    let yaml = parent(", strategy: depend");
    let files = with_child(&yaml, "c: {script: x}\n");
    let pipeline = planned(&files);
    let mut pool = RunnerPool::unlimited(&pipeline);
    pool.children.clear();
    let schedule = simulate(
        &pipeline,
        &pool,
        &durations("default: 10\n"),
        &ScheduleOptions::default(),
    );
    // GitLab drops the stuck job after an hour, which fails the child pipeline and the
    // trigger job that waits for it.
    let c = job(&schedule, "t/c");
    assert_eq!(c.status, JobStatus::Failed);
    assert_eq!(
        c.failure_reason.as_deref(),
        Some("stuck_pending_no_matching_runners")
    );
    assert_eq!(c.finished_at, Some(3600));
    assert_eq!(job(&schedule, "t").status, JobStatus::Failed);
    assert_eq!(job(&schedule, "t").finished_at, Some(3600));
    assert_eq!(child(&schedule, "t").status, PipelineStatus::Failed);
    assert_eq!(schedule.status, PipelineStatus::Failed);
    let stuck: Vec<&str> = schedule.stuck.iter().map(|s| s.job.as_str()).collect();
    assert_eq!(stuck, ["t/c"]);
}

/// `rules` may make a trigger job `delayed`, but GitLab never delays a trigger job
/// (`Ci::Bridge#schedulable?` is false): it starts at once, and `plan` warns.
#[test]
fn delayed_trigger_job_starts_at_once() {
    let yaml = "del:\n\
                \x20 rules: [{when: delayed, start_in: 10 minutes}]\n\
                \x20 trigger: {include: child.yml, strategy: depend}\n\
                mp:\n\
                \x20 rules: [{when: delayed, start_in: 10 minutes}]\n\
                \x20 trigger: {project: g/p}\n";
    let files = with_child(yaml, "c: {script: x}\n");
    let pipeline = planned(&files);
    let warned: Vec<Option<&str>> = pipeline
        .diagnostics
        .iter()
        .filter(|d| d.code == "trigger-job-not-delayed")
        .map(|d| d.job.as_deref())
        .collect();
    assert_eq!(warned, [Some("del"), Some("mp")]);
    let schedule = run(&files, "default: 10\n", &ScheduleOptions::default());
    let trigger = job(&schedule, "del");
    assert_eq!(trigger.queued_at, Some(0));
    assert_eq!(trigger.started_at, Some(0));
    assert_eq!(trigger.finished_at, Some(10));
    assert_eq!(child(&schedule, "del").created_at, 0);
    assert_eq!(job(&schedule, "del/c").started_at, Some(0));
    assert_eq!(job(&schedule, "mp").started_at, Some(0));
    assert_eq!(schedule.duration, 10);
}

/// A job name may contain `/`, so parent job `a/b` and job `b` of trigger job `a`'s child
/// share the name `a/b`. The simulation keeps them apart, and a warning names both.
#[test]
fn slash_in_job_name_collides_with_child_job() {
    let yaml = "a: {trigger: {include: child.yml, strategy: depend}}\n\
                a/b: {script: x}\n";
    let files = with_child(yaml, "b: {script: x}\n");
    let pipeline = planned(&files);
    let warnings = name_collisions(&pipeline);
    let messages: Vec<&str> = warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "2 jobs have the same name `a/b` in the simulation: job `a/b` of the top pipeline, \
          job `b` of the child pipeline of job `a` of the top pipeline. `--play`, `--fail` and \
          the durations file select all of them by that name, and each one by its path of whole \
          job names, such as `[\"a\", \"b\"]`. The table and chart show each under that name"
        ]
    );
    assert_eq!(warnings.first().map(|w| w.code), Some("job-name-collision"));

    let schedule = run(
        &files,
        "default: 10\njobs: {a/b: 30}\n",
        &options(&[], &["a/b"]),
    );
    let named: Vec<(&str, Option<usize>, JobStatus, Option<u64>)> = schedule
        .jobs
        .iter()
        .map(|j| (j.name.as_str(), j.pipeline_index, j.status, j.finished_at))
        .collect();
    assert_eq!(
        named,
        [
            ("a", None, JobStatus::Failed, Some(30)),
            ("a/b", None, JobStatus::Failed, Some(30)),
            ("a/b", Some(0), JobStatus::Failed, Some(30)),
        ]
    );
    assert_eq!(schedule.pipelines.first().map(|p| p.trigger_index), Some(0));
}

fn path(names: &[&str]) -> JobSelector {
    JobSelector::Path(names.iter().map(|name| (*name).to_owned()).collect())
}

/// A path names one of the jobs that share a name: `[a, b]` is job `b` of the child pipeline
/// of `a`, and `[a/b]` the top pipeline's job `a/b`.
#[test]
fn path_selects_one_namesake_job() {
    let yaml = "a: {trigger: {include: child.yml, strategy: depend}}\n\
                a/b: {script: x}\n";
    let files = with_child(yaml, "b: {script: x}\n");
    let options = ScheduleOptions {
        play: Vec::new(),
        fail: vec![path(&["a", "b"])],
    };
    let schedule = run(
        &files,
        "default: 10\njobs:\n  [a, b]: 30\n  ['a/b']: 20\n",
        &options,
    );
    let named: Vec<(&str, Option<usize>, JobStatus, Option<u64>)> = schedule
        .jobs
        .iter()
        .map(|j| (j.name.as_str(), j.pipeline_index, j.status, j.finished_at))
        .collect();
    assert_eq!(
        named,
        [
            ("a", None, JobStatus::Failed, Some(30)),
            ("a/b", None, JobStatus::Success, Some(20)),
            ("a/b", Some(0), JobStatus::Failed, Some(30)),
        ]
    );
}

#[test]
fn path_items_take_parallel_base_names() {
    let files = with_child(MATRIX_PARENT, "c: {script: x}\n");
    let pipeline = planned(&files);
    let names = [
        path(&["mx", "c"]),
        path(&["mx: [one]", "c"]),
        path(&["mx: [three]", "c"]),
        path(&["c"]),
    ];
    assert_eq!(
        shown(&unknown_jobs(&pipeline, &names)),
        ["[\"mx: [three]\", \"c\"]", "[\"c\"]"]
    );
    let schedule = run(
        &files,
        "default: 10\njobs:\n  ['mx: [one]', c]: 40\n  [mx, c]: 20\n",
        &ScheduleOptions::default(),
    );
    let times: Vec<(&str, Option<u64>)> = schedule
        .jobs
        .iter()
        .map(|j| (j.name.as_str(), j.finished_at))
        .collect();
    assert_eq!(
        times,
        [
            ("mx: [one]", Some(40)),
            ("mx: [two]", Some(20)),
            ("mx: [one]/c", Some(40)),
            ("mx: [two]/c", Some(20)),
        ]
    );
}

#[test]
fn path_warnings_show_path() {
    let yaml = "a: {trigger: {include: child.yml, strategy: depend}}\n";
    let files = with_child(yaml, "b: {script: x}\n");
    let pipeline = planned(&files);
    let warnings = not_manual_play_warnings(&pipeline, &[path(&["a", "b"])], "--play");
    let messages: Vec<&str> = warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "--play names job `[\"a\", \"b\"]`, whose `when` is `on_success`, not `manual`, so \
             playing it changes nothing"
        ]
    );
}

/// Trigger job `b` in the child of `a` and trigger job `a/b` in the top pipeline both create
/// a pipeline that the output calls `a/b`. `pipeline_index` and `trigger_index` tell them
/// apart.
#[test]
fn slash_in_trigger_name_collides_with_grandchild() {
    let yaml = "a: {trigger: {include: child.yml, strategy: depend}}\n\
                a/b: {trigger: {include: gc.yml, strategy: depend}}\n";
    let files = [
        (".gitlab-ci.yml", yaml),
        (
            "child.yml",
            "b: {trigger: {include: gc.yml, strategy: depend}}\n",
        ),
        ("gc.yml", "c: {script: x}\n"),
    ];
    let pipeline = planned(&files);
    let codes: Vec<&str> = name_collisions(&pipeline).iter().map(|w| w.code).collect();
    assert_eq!(codes, ["job-name-collision", "job-name-collision"]);

    let schedule = run(&files, "default: 10\n", &ScheduleOptions::default());
    let names: Vec<&str> = schedule.jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, ["a", "a/b", "a/b", "a/b/c", "a/b/c"]);
    let triggers: Vec<(&str, usize)> = schedule
        .pipelines
        .iter()
        .map(|p| (p.trigger.as_str(), p.trigger_index))
        .collect();
    assert_eq!(triggers, [("a", 0), ("a/b", 2), ("a/b", 1)]);
    let grandchildren: Vec<Option<usize>> = schedule
        .jobs
        .iter()
        .filter(|j| j.name == "a/b/c")
        .map(|j| j.pipeline_index)
        .collect();
    assert_eq!(grandchildren, [Some(1), Some(2)]);
}

/// In a durations glob `*` does not match `/`, so `t/*` leaves out the grandchild's jobs and
/// `t/**/*` takes them too.
#[test]
fn durations_glob_reaching_grandchild() {
    let yaml = "t: {trigger: {include: child.yml, strategy: depend}}\n";
    let child_yaml = "c: {script: x}\ninner: {trigger: {include: gc.yml, strategy: depend}}\n";
    let files = [
        (".gitlab-ci.yml", yaml),
        ("child.yml", child_yaml),
        ("gc.yml", "g: {script: x}\n"),
    ];
    let cases = [("t/*", 10), ("t/**/*", 40)];
    for (pattern, grandchild_end) in cases {
        let times = format!("default: 10\njobs: {{'{pattern}': 40}}\n");
        let schedule = run(&files, &times, &ScheduleOptions::default());
        assert_eq!(job(&schedule, "t/c").finished_at, Some(40), "{pattern}");
        assert_eq!(
            job(&schedule, "t/inner/g").finished_at,
            Some(grandchild_end),
            "{pattern}"
        );
    }
}

/// A matrix trigger job with two instances, each creating a child pipeline with job `c`.
const MATRIX_PARENT: &str = "mx:
  parallel: {matrix: [{R: [one, two]}]}
  trigger: {include: child.yml, strategy: depend}
";

#[test]
fn base_name_selects_every_instance_child() {
    let files = with_child(MATRIX_PARENT, "c: {script: x}\n");
    let pipeline = planned(&files);
    let names = [JobSelector::from("mx/c")];
    assert!(unknown_jobs(&pipeline, &names).is_empty());
    let schedule = simulate(
        &pipeline,
        &RunnerPool::unlimited(&pipeline),
        &durations("default: 10\njobs: {'mx/c': 40}\n"),
        &options(&[], &["mx/c"]),
    );
    for name in ["mx: [one]/c", "mx: [two]/c"] {
        let child = job(&schedule, name);
        assert_eq!(child.status, JobStatus::Failed, "{name}");
        assert_eq!(child.finished_at, Some(40), "{name}");
    }
    assert_eq!(job(&schedule, "mx: [one]").status, JobStatus::Failed);
}

#[test]
fn instance_name_still_selects_one_child() {
    let files = with_child(MATRIX_PARENT, "c: {script: x}\n");
    let schedule = run(
        &files,
        "default: 10\njobs: {'mx: [two]/c': 40, 'mx/c': 20}\n",
        &options(&[], &["mx: [one]/c"]),
    );
    assert_eq!(job(&schedule, "mx: [one]/c").status, JobStatus::Failed);
    assert_eq!(job(&schedule, "mx: [one]/c").finished_at, Some(20));
    assert_eq!(job(&schedule, "mx: [two]/c").status, JobStatus::Success);
    assert_eq!(job(&schedule, "mx: [two]/c").finished_at, Some(40));
    let pipeline = planned(&files);
    let warnings = unused_durations(&pipeline, &durations("jobs: {'mx/c': 1, 'mx/d': 2}\n"));
    let helps: Vec<Option<&str>> = warnings.iter().map(|w| w.help.as_deref()).collect();
    assert_eq!(helps, [Some("did you mean `mx/c`?")]);
}

#[test]
fn entries_for_absent_parallel_jobs_not_reported() {
    // The parallel base names of jobs that rules leave out, in the top pipeline and in the
    // child pipeline of every instance of a parallel trigger job.
    let parent = format!(
        "{MATRIX_PARENT}p: {{script: x, parallel: 2, rules: [{{when: never}}]}}
pm: {{script: x, parallel: {{matrix: [{{X: [a, b]}}]}}, rules: [{{when: never}}]}}
"
    );
    let child = "c: {script: x}\ngone: {script: x, rules: [{when: never}]}\n";
    let files = with_child(&parent, child);
    let pipeline = planned(&files);
    let times =
        "jobs: {p: 1, 'p 1/2': 2, pm: 3, 'pm: [a]': 4, 'mx/gone': 5, 'mx: [one]/gone': 6}\n";
    let warnings = unused_durations(&pipeline, &durations(times));
    let messages: Vec<&str> = warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(messages.is_empty(), "{messages:?}");
}

#[test]
fn glob_selecting_only_simulated_triggers_reported() {
    let files = with_child(MATRIX_PARENT, "c: {script: x}\n");
    let pipeline = planned(&files);
    let warnings = unused_durations(&pipeline, &durations("jobs: {'m*': 1, 'mx/*': 2}\n"));
    let found: Vec<(&str, &str)> = warnings
        .iter()
        .map(|w| (w.code, w.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [(
            "trigger-duration-ignored",
            "the durations entry `m*` is never used: it selects only trigger jobs whose child \
             pipelines are simulated, such as `mx: [one]`, and they take no entry"
        )]
    );
}

#[test]
fn parallel_base_of_instance_names() {
    assert_eq!(parallel_base("test 1/2"), Some("test"));
    assert_eq!(parallel_base("test: [a, b]"), Some("test"));
    assert_eq!(parallel_base("test 1/x"), None);
    assert_eq!(parallel_base("test"), None);
}

#[test]
fn own_end_follows_strategy() {
    // Without a strategy the trigger job succeeds as it creates the child pipeline at 0 s, so
    // the parent's last jobs run from 0 to 10 s while the child's job runs until 40 s. With
    // `depend` they wait for the child pipeline and run from 40 to 50 s.
    for (strategy, duration, own_end) in [("", 40, 10), (", strategy: depend", 50, 50)] {
        let yaml = parent(strategy);
        let files = with_child(&yaml, "c: {script: x}\n");
        let times = "default: 10\njobs: {'t/c': 40}\n";
        let schedule = run(&files, times, &options(&[], &[]));
        assert_eq!(schedule.duration, duration, "{strategy}");
        assert_eq!(schedule.finished_at, Some(own_end), "{strategy}");
    }
}

#[test]
fn own_end_absent_without_children() {
    let files = [(".gitlab-ci.yml", "a: {script: x}\n")];
    let schedule = run(&files, "default: 10\n", &options(&[], &[]));
    assert_eq!(schedule.duration, 10);
    assert_eq!(schedule.finished_at, None);
}

#[test]
fn play_under_unrun_trigger_unreached() {
    let files = with_child(
        "t: {trigger: {include: child.yml}, when: manual}\n",
        "deploy: {script: x, when: manual}\nlast: {script: x, when: manual}\n",
    );
    let pipeline = planned(&files);
    let warnings = |play: &[&str]| -> Vec<String> {
        unreached_warnings(&pipeline, &options(play, &[]))
            .iter()
            .map(|w| w.message.clone())
            .collect()
    };
    assert_eq!(
        warnings(&["t/deploy"]),
        [
            "--play names job `t/deploy`, which the simulated run never reaches: its child \
             pipeline is not created, because trigger job `t` ends as `manual`, so playing it \
             changes nothing"
        ]
    );
    assert!(warnings(&["t", "t/deploy"]).is_empty());
}

#[test]
fn unreached_trigger_name_quoted() {
    let files = with_child(
        "\"t`x\": {trigger: {include: child.yml}, when: manual}\n",
        "deploy: {script: x, when: manual}\n",
    );
    let pipeline = planned(&files);
    let warnings = unreached_warnings(&pipeline, &options(&["t`x/deploy"], &[]));
    let message = warnings
        .first()
        .map(|w| w.message.as_str())
        .unwrap_or_default();
    assert!(
        message.contains("because trigger job ``t`x`` ends as `manual`"),
        "{message}"
    );
}

/// Returns a `parallel:matrix` of `count` values of `N`.
fn matrix(count: usize) -> String {
    let values: Vec<String> = (1..=count).map(|n| n.to_string()).collect();
    format!("{{matrix: [{{N: [{}]}}]}}", values.join(", "))
}

/// Returns the jobs of `schedule` that failed at the pipeline hierarchy size limit.
fn hierarchy_failures(schedule: &Schedule) -> Vec<&str> {
    schedule
        .jobs
        .iter()
        .filter(|j| j.failure_reason.as_deref() == Some("reached_max_pipeline_hierarchy_size"))
        .map(|j| j.name.as_str())
        .collect()
}

/// The plan counts the 620 pipelines under `idle` first, so it plans only 379 of the 620
/// under `busy`. `idle` is a manual job that never runs, so the hierarchy stays at 621
/// pipelines, below GitLab's limit of 1,000, and every trigger job of `busy` creates its
/// child pipeline.
#[test]
fn hierarchy_limit_ignores_unrun_triggers() {
    let yaml = format!(
        "stages: [a, b]\n\
         idle: {{stage: a, when: manual, parallel: {}, trigger: {{include: child.yml}}}}\n\
         busy: {{stage: b, parallel: {}, trigger: {{include: child.yml}}}}\n",
        matrix(20),
        matrix(20)
    );
    let child = format!(
        "t: {{parallel: {}, trigger: {{include: leaf.yml}}}}\n",
        matrix(30)
    );
    let files = [
        (".gitlab-ci.yml", yaml.as_str()),
        ("child.yml", child.as_str()),
        ("leaf.yml", "j: {script: x}\n"),
    ];
    let schedule = run(&files, "default: 10\n", &ScheduleOptions::default());

    assert_eq!(hierarchy_failures(&schedule), Vec::<&str>::new());
    let busy: Vec<&ScheduledJob> = schedule
        .jobs
        .iter()
        .filter(|j| j.name.starts_with("busy"))
        .collect();
    assert!(busy.iter().all(|j| j.status == JobStatus::Success));
    assert_eq!(job(&schedule, "idle: [1]").status, JobStatus::Manual);
}

/// 40 trigger jobs of 30 trigger jobs each would make 1,241 pipelines. The 40 of the top
/// pipeline start first and create their child pipelines. Then the child pipelines' trigger
/// jobs create pipelines until the hierarchy has 1,000, and the rest fail.
#[test]
fn hierarchy_limit_counts_at_start() {
    let yaml = format!(
        "busy: {{parallel: {}, trigger: {{include: child.yml}}}}\n",
        matrix(40)
    );
    let child = format!(
        "t: {{parallel: {}, trigger: {{include: leaf.yml}}}}\n",
        matrix(30)
    );
    let files = [
        (".gitlab-ci.yml", yaml.as_str()),
        ("child.yml", child.as_str()),
        ("leaf.yml", "j: {script: x}\n"),
    ];
    let schedule = run(&files, "default: 10\n", &ScheduleOptions::default());

    let top: Vec<&ScheduledJob> = schedule
        .jobs
        .iter()
        .filter(|j| j.pipeline.is_none())
        .collect();
    assert_eq!(top.len(), 40);
    assert!(top.iter().all(|j| j.status == JobStatus::Success));
    let failed = hierarchy_failures(&schedule);
    assert_eq!(failed.len(), 31);
    assert!(
        failed.iter().all(|name| name.contains("/t: [")),
        "{failed:?}"
    );
    let created = schedule
        .jobs
        .iter()
        .filter(|j| j.name.contains("/t: [") && !j.name.ends_with("/j"))
        .filter(|j| j.status == JobStatus::Success)
        .count();
    assert_eq!(created + top.len(), 999);
}

/// Plans `files` with `max_pipeline_hierarchy_size` set to `limit` and simulates them on
/// runners without limits.
fn run_with_hierarchy_limit(files: &[(&str, &str)], limit: usize) -> Schedule {
    let mut memory = MemoryFiles::new();
    for (name, text) in files {
        memory = memory.with_file(*name, *text);
    }
    let options = PlanOptions {
        limits: crate::Limits {
            max_pipeline_hierarchy_size: limit,
            ..crate::Limits::default()
        },
        ..PlanOptions::default()
    };
    let (_, pipeline) = plan(
        ".gitlab-ci.yml",
        &memory,
        &PipelineContext::push("main"),
        &options,
    );
    let pipeline = pipeline.unwrap();
    simulate(
        &pipeline,
        &RunnerPool::unlimited(&pipeline),
        &durations("default: 10\n"),
        &ScheduleOptions::default(),
    )
}

/// GitLab's plan limits take 0 as no limit (`PlanLimits#limit_for` keeps only positive
/// values), so a hierarchy size limit of 0 fails no trigger job.
#[test]
fn hierarchy_limit_zero_is_unlimited() {
    let yaml = format!(
        "t: {{parallel: {}, trigger: {{include: child.yml}}}}\n",
        matrix(3)
    );
    let files = [
        (".gitlab-ci.yml", yaml.as_str()),
        ("child.yml", "j: {script: x}\n"),
    ];

    let limited = run_with_hierarchy_limit(&files, 3);
    assert_eq!(hierarchy_failures(&limited), ["t: [3]"]);

    let unlimited = run_with_hierarchy_limit(&files, 0);
    assert_eq!(hierarchy_failures(&unlimited), Vec::<&str>::new());
    for name in ["t: [1]/j", "t: [2]/j", "t: [3]/j"] {
        assert_eq!(job(&unlimited, name).status, JobStatus::Success, "{name}");
    }
}

/// Simulates a top pipeline whose trigger job `bad` includes `child` (allowed to fail), then
/// two trigger jobs `t` that each create a child pipeline, with a hierarchy size limit of 3.
fn hierarchy_after_failed_child(child: &str) -> Schedule {
    let yaml = format!(
        "stages: [a, b]\n\
         bad: {{stage: a, allow_failure: true, trigger: {{include: bad.yml}}}}\n\
         t: {{stage: b, parallel: {}, trigger: {{include: child.yml}}}}\n",
        matrix(2)
    );
    let files = [
        (".gitlab-ci.yml", yaml.as_str()),
        ("bad.yml", child),
        ("child.yml", "j: {script: x}\n"),
    ];
    run_with_hierarchy_limit(&files, 3)
}

/// GitLab saves a child pipeline that fails with `config_error` and links it to its trigger
/// job before it processes the configuration, so the child counts toward the hierarchy size.
#[test]
fn hierarchy_counts_child_with_config_error() {
    let children = [
        ("invalid keyword", "j: {scrpt: x}\n"),
        ("undefined need", "j: {script: x, needs: [nope]}\n"),
    ];
    for (case, child) in children {
        let schedule = hierarchy_after_failed_child(child);
        assert_eq!(
            job(&schedule, "bad").failure_reason.as_deref(),
            Some("downstream_pipeline_creation_failed"),
            "{case}"
        );
        assert_eq!(hierarchy_failures(&schedule), ["t: [2]"], "{case}");
    }
}

/// GitLab does not save a pipeline filtered out by `workflow:rules` or left without jobs
/// (`filtered_by_workflow_rules`, `filtered_by_rules`), nor one that fails without a failure
/// reason, as for a pipeline name too long after expansion, so it does not count.
#[test]
fn hierarchy_skips_unsaved_child() {
    // A name of 255 characters at most is valid as written, but too long once expanded.
    let long_name = format!(
        "variables: {{A: {}}}\nworkflow: {{name: $A$A}}\nj: {{script: x}}\n",
        "n".repeat(200)
    );
    let children = [
        (
            "workflow",
            "workflow: {rules: [{when: never}]}\nj: {script: x}\n",
        ),
        ("no jobs", "j: {script: x, rules: [{when: never}]}\n"),
        ("only edge stages", "j: {stage: .pre, script: x}\n"),
        ("name too long after expansion", long_name.as_str()),
    ];
    for (case, child) in children {
        let schedule = hierarchy_after_failed_child(child);
        assert_eq!(
            job(&schedule, "bad").failure_reason.as_deref(),
            Some("downstream_pipeline_creation_failed"),
            "{case}"
        );
        assert_eq!(hierarchy_failures(&schedule), Vec::<&str>::new(), "{case}");
    }
}
