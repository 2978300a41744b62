//! Measures [`glplan::schedule::simulate`] on a generated pipeline of 10,000 jobs and a pool of
//! 50 runners.
//!
//! Run with `cargo bench -p glplan --bench schedule`. The pipeline has 8 stages of 50 job
//! definitions, each `parallel: 25`. Every fourth definition `needs` a definition of the
//! previous stage (25 needs after expansion), one in ten is retried after a flaky first
//! attempt, and one in twenty shares a resource group. The pool has 5 hosts with
//! `concurrent = 25` and `check_interval = 3`, each with 10 runners of `limit = 4`. A job can
//! run on the 10 runners of its tag family and on the 10 runners of the first host.
//! Planning the pipeline happens once, outside the measurement.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use glplan::context::PipelineContext;
use glplan::pipeline::{Pipeline, PlanOptions, plan};
use glplan::schedule::{Durations, Eligible, Host, Runner, RunnerPool, ScheduleOptions, simulate};
use glplan::{Diagnostics, FileId, Limits, MemoryFiles};

const STAGES: usize = 8;
const DEFINITIONS_PER_STAGE: usize = 50;
const INSTANCES: usize = 25;
const HOSTS: usize = 5;
const RUNNERS_PER_HOST: usize = 10;

fn generate() -> String {
    let mut out = String::from("stages: [");
    let stages: Vec<String> = (0..STAGES).map(|s| format!("s{s}")).collect();
    out.push_str(&stages.join(", "));
    out.push_str("]\n");
    for stage in 0..STAGES {
        for definition in 0..DEFINITIONS_PER_STAGE {
            let _ = writeln!(out, "job-{stage}-{definition}:");
            let _ = writeln!(out, "  stage: s{stage}");
            let _ = writeln!(out, "  parallel: {INSTANCES}");
            let _ = writeln!(out, "  script: make");
            if stage > 0 && definition % 4 == 0 {
                let _ = writeln!(out, "  needs: [job-{}-{definition}]", stage - 1);
            }
            if definition % 10 == 3 {
                let _ = writeln!(out, "  retry: 1");
            }
            if definition % 20 == 7 {
                let _ = writeln!(out, "  resource_group: shared-{stage}");
            }
        }
    }
    out
}

fn pipeline() -> Pipeline {
    let files = MemoryFiles::new().with_file(".gitlab-ci.yml", generate());
    let context = PipelineContext::push("main");
    let (resolution, pipeline) = plan(".gitlab-ci.yml", &files, &context, &PlanOptions::default());
    assert!(
        !resolution.diagnostics.has_errors(),
        "{:?}",
        resolution.diagnostics
    );
    let Some(pipeline) = pipeline else {
        unreachable!("the generated configuration resolves");
    };
    assert!(pipeline.created, "{:?}", pipeline.errors);
    assert_eq!(
        pipeline.jobs.len(),
        STAGES * DEFINITIONS_PER_STAGE * INSTANCES
    );
    pipeline
}

fn pool(pipeline: &Pipeline) -> RunnerPool {
    let hosts = (0..HOSTS)
        .map(|h| Host {
            name: format!("host-{h}"),
            concurrent: 25,
            check_interval: 3,
        })
        .collect();
    let runners = (0..HOSTS * RUNNERS_PER_HOST)
        .map(|r| Runner {
            name: format!("runner-{r}"),
            host: r / RUNNERS_PER_HOST,
            limit: 4,
            maximum_timeout: None,
            strict_check_interval: false,
        })
        .collect();
    let eligible = (0..pipeline.jobs.len())
        .map(|job| {
            let family = 1 + job % (HOSTS - 1);
            let mut runners: Vec<usize> = (0..RUNNERS_PER_HOST).collect();
            runners.extend((0..RUNNERS_PER_HOST).map(|r| family * RUNNERS_PER_HOST + r));
            Eligible {
                runners,
                reason: None,
                failing: Vec::new(),
            }
        })
        .collect();
    RunnerPool {
        hosts,
        runners,
        eligible,
        children: Vec::new(),
    }
}

fn durations() -> Durations {
    let text = "default: 5m\njobs:\n  'job-*-3': {duration: 4m, fail: 1}\n  'job-0-*': 2m\n  'job-7-*': 90\n";
    let mut diagnostics = Diagnostics::new();
    let durations = Durations::parse(FileId(0), text, &Limits::default(), &mut diagnostics);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    durations
}

fn bench_simulate(c: &mut Criterion) {
    let pipeline = pipeline();
    let pool = pool(&pipeline);
    let durations = durations();
    let options = ScheduleOptions::default();

    let schedule = simulate(&pipeline, &pool, &durations, &options);
    assert!(schedule.finished, "every job completes");

    let mut group = c.benchmark_group("schedule");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("jobs/10000/runners/50", |b| {
        b.iter(|| simulate(black_box(&pipeline), &pool, &durations, &options));
    });
    group.finish();
}

criterion_group!(benches, bench_simulate);
criterion_main!(benches);
