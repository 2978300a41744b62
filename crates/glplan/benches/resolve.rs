//! Measures `glplan::resolve` on large generated configurations: 3,000 jobs in about 1.9 MB
//! (just under GitLab's 2 MiB `max_yaml_size_bytes`) and 300 jobs in about 190 KB.
//!
//! Run with `cargo bench -p glplan --bench resolve`. The generated files use what large real
//! pipelines use: YAML anchors and merge keys, `extends` chains, `!reference` tags, `default:`,
//! global and job variables, `rules` with `if`/`changes`/`exists`, `needs` across stages,
//! `parallel: N` and `parallel:matrix`, caches and artifacts.
//!
//! The `yaml` group measures YAML loading of the 3,000-job file alone.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use glplan::{Diagnostics, FileId, Limits, MemoryFiles, ResolveOptions};

const STAGES: [&str; 8] = [
    "prepare",
    "build",
    "test",
    "integration",
    "package",
    "security",
    "deploy",
    "verify",
];

/// Generates a configuration with `jobs` job definitions (before parallel expansion), spread
/// evenly over the stages.
fn generate(jobs: usize) -> String {
    let mut out = String::with_capacity(jobs * 660);
    write_header(&mut out);
    let per_stage = jobs.div_ceil(STAGES.len());
    for index in 0..jobs {
        let stage_index = (index / per_stage).min(STAGES.len() - 1);
        write_job(&mut out, index, stage_index, per_stage);
    }
    out
}

fn write_header(out: &mut String) {
    out.push_str("stages:\n");
    for stage in STAGES {
        let _ = writeln!(out, "  - {stage}");
    }
    out.push_str(
        "\
default:
  image: registry.example.com/build/ruby:3.3
  tags: [docker, linux]
  retry:
    max: 2
    when: [runner_system_failure, stuck_or_timeout_failure]
  interruptible: true
  before_script:
    - echo \"starting $CI_JOB_NAME on $CI_RUNNER_DESCRIPTION\"

variables:
  GIT_DEPTH: \"20\"
  FF_USE_FASTZIP: \"true\"
  DOCKER_DRIVER: overlay2
  BUILD_MODE:
    value: release
    description: Build profile for manual pipelines
    options: [release, debug]

workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
    - if: $CI_COMMIT_TAG

.cache-defaults: &cache-defaults
  key: deps-$CI_COMMIT_REF_SLUG
  paths: [vendor/, .cache/]
  policy: pull

.shared-scripts:
  setup:
    - ./ci/setup.sh --mode \"$BUILD_MODE\"
    - export PATH=\"$CI_PROJECT_DIR/bin:$PATH\"
  report:
    - ./ci/report.sh \"$CI_JOB_NAME\"

.rules-default:
  rules:
    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"
      changes: [src/**/*, Gemfile.lock]
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
    - if: $CI_COMMIT_TAG =~ /^v\\d+\\.\\d+\\.\\d+$/
      when: manual
      allow_failure: true
    - when: never

.base:
  variables:
    RETRIES: \"3\"
  cache:
    <<: *cache-defaults
  artifacts:
    expire_in: 1 week
    when: always

.with-services:
  extends: .base
  services:
    - name: postgres:16
      alias: db
    - redis:7

",
    );
    for (i, stage) in STAGES.iter().enumerate() {
        let _ = writeln!(
            out,
            ".{stage}-template:\n  extends: {}\n  stage: {stage}\n  timeout: 30m\n",
            if i % 2 == 0 {
                ".base"
            } else {
                ".with-services"
            }
        );
    }
}

/// Writes one job: extends, variables, scripts with `!reference`, needs, parallel, artifacts,
/// and on one job in ten its own `rules`.
fn write_job(out: &mut String, index: usize, stage_index: usize, per_stage: usize) {
    let stage = STAGES.get(stage_index).copied().unwrap_or("test");
    let component = index % 97;
    let _ = writeln!(out, "{stage}-{index:05}:");
    let _ = writeln!(out, "  extends: [.{stage}-template, .rules-default]");

    out.push_str("  variables:\n");
    let _ = writeln!(out, "    COMPONENT: component-{component}");
    let _ = writeln!(out, "    SHARD: \"{}\"", index % 16);
    let _ = writeln!(
        out,
        "    TARGET_DIR: $CI_PROJECT_DIR/out/{stage}/component-{component}"
    );

    out.push_str("  script:\n    - !reference [.shared-scripts, setup]\n");
    let _ = writeln!(
        out,
        "    - make -C src/component-{component} {stage} SHARD=$SHARD JOBS=4"
    );
    let _ = writeln!(
        out,
        "    - ./ci/check.sh --component component-{component} --shard $SHARD --out \"$TARGET_DIR\""
    );
    out.push_str("  after_script:\n    - !reference [.shared-scripts, report]\n");

    write_needs(out, index, stage_index, per_stage);
    write_parallel(out, index);

    out.push_str("  artifacts:\n    paths:\n");
    let _ = writeln!(out, "      - out/{stage}/component-{component}/");
    let _ = writeln!(
        out,
        "    reports:\n      junit: out/{stage}/junit-{index}.xml"
    );

    if index.is_multiple_of(10) {
        out.push_str("  rules:\n    - !reference [.rules-default, rules]\n");
        let _ = writeln!(
            out,
            "    - exists: [src/component-{component}/Makefile]\n      when: manual"
        );
    }
    out.push('\n');
}

/// Writes `needs` for jobs after the first stage: two jobs of the previous stage, or `needs: []`
/// for one job in ten.
fn write_needs(out: &mut String, index: usize, stage_index: usize, per_stage: usize) {
    if stage_index == 0 {
        return;
    }
    if index % 10 == 5 {
        out.push_str("  needs: []\n");
        return;
    }
    let previous_stage = STAGES.get(stage_index - 1).copied().unwrap_or("test");
    let first = (stage_index - 1) * per_stage + index % per_stage;
    let second = (stage_index - 1) * per_stage + (index * 7 + 3) % per_stage;
    let _ = writeln!(out, "  needs:");
    let _ = writeln!(out, "    - {previous_stage}-{first:05}");
    if second != first {
        let _ = writeln!(
            out,
            "    - job: {previous_stage}-{second:05}\n      artifacts: false\n      optional: true"
        );
    }
}

/// Writes `parallel: 3` on one job in 50 and a 2×2 `parallel:matrix` on one in 75.
fn write_parallel(out: &mut String, index: usize) {
    if index % 50 == 7 {
        out.push_str("  parallel: 3\n");
    } else if index % 75 == 11 {
        out.push_str(
            "  parallel:\n    matrix:\n      - RUBY: [\"3.2\", \"3.3\"]\n        DB: [postgres, mysql]\n",
        );
    }
}

fn bench_resolve(c: &mut Criterion) {
    let options = ResolveOptions::default();
    let mut group = c.benchmark_group("resolve");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(15));
    for jobs in [300, 3000] {
        let text = generate(jobs);
        let files = MemoryFiles::new().with_file(".gitlab-ci.yml", text.clone());

        // The benchmark must measure a configuration that every phase accepts, not one that
        // stops at the first error.
        let resolution = glplan::resolve(".gitlab-ci.yml", &files, &options);
        let errors: Vec<&str> = resolution
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.message.as_str())
            .take(5)
            .collect();
        assert!(
            errors.is_empty() && resolution.config.is_some(),
            "the generated {jobs}-job configuration does not resolve cleanly: {errors:?}"
        );

        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("jobs", jobs), &files, |b, files| {
            b.iter(|| glplan::resolve(black_box(".gitlab-ci.yml"), files, &options));
        });
    }
    group.finish();
}

/// Measures the YAML layer alone on the 3,000-job configuration: `glplan::yaml::load`, which
/// scans, parses and builds the tree with spans and Psych's scalar rules.
fn bench_yaml(c: &mut Criterion) {
    let text = generate(3000);
    let limits = Limits::default();
    let mut group = c.benchmark_group("yaml");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("load/3000", |b| {
        b.iter(|| {
            let mut diagnostics = Diagnostics::new();
            glplan::yaml::load(FileId(0), black_box(&text), &limits, &mut diagnostics)
        });
    });
    group.finish();
}

criterion_group!(benches, bench_resolve, bench_yaml);
criterion_main!(benches);
