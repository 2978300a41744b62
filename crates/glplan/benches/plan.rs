//! Measures pipeline creation ([`glplan::pipeline::evaluate`]) on generated configurations of
//! 10,000 and 300 jobs after parallel expansion, and the whole of [`glplan::pipeline::plan`]
//! (resolve, then evaluate) on the same files.
//!
//! Run with `cargo bench -p glplan --bench plan`. The configurations are matrix-heavy: every
//! job definition expands into a `parallel:matrix` of instances whose variables appear in
//! `tags` and `rules`. Each job has four rules (`if` with `&&` and `=~`, `changes`, a catch-all
//! with `variables`), every fifth job has `needs` on a job of an earlier stage, and global, job
//! and rule variables reference each other, so every step of pipeline creation has work to do.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use glplan::context::{PipelineContext, SettingsVariable};
use glplan::pipeline::{EvaluateOptions, PlanOptions, evaluate, plan};
use glplan::{MemoryFiles, ResolveOptions};

// The `glplan` binary's allocator, so that the figures are those of the command line.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const STAGES: [&str; 6] = [
    "build",
    "test",
    "integration",
    "package",
    "deploy",
    "verify",
];

/// Generates `definitions` job definitions, each a matrix of `OS` × `ARCH` with `instances`
/// combinations (`instances` must be a multiple of 4), plus one plain job per stage that
/// matrix jobs `needs`.
fn generate(definitions: usize, instances: usize) -> String {
    let mut out = String::new();
    out.push_str("stages: [");
    out.push_str(&STAGES.join(", "));
    out.push_str("]\n");
    out.push_str(
        "\
variables:
  GIT_DEPTH: \"20\"
  REGISTRY: registry.example.com/$CI_PROJECT_PATH
  IMAGE_TAG: $CI_COMMIT_SHORT_SHA
  FULL_IMAGE: ${REGISTRY}:${IMAGE_TAG}
  DEPLOY: \"no\"

workflow:
  name: 'Pipeline for $CI_COMMIT_REF_NAME'
  rules:
    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
      variables: {DEPLOY: \"yes\"}
    - if: $CI_COMMIT_TAG

default:
  image: $REGISTRY/builder:latest
  interruptible: true
  retry: {max: 2, when: [runner_system_failure]}
",
    );
    for stage in STAGES {
        let _ = writeln!(
            out,
            "{stage}-gate: {{stage: {stage}, script: [make {stage}], tags: [docker]}}"
        );
    }
    let oses = instances / 4;
    for index in 0..definitions {
        let stage_index = index % STAGES.len();
        let stage = STAGES.get(stage_index).copied().unwrap_or("build");
        let _ = writeln!(out, "job-{index}:");
        let _ = writeln!(out, "  stage: {stage}");
        out.push_str("  script: [./ci/run.sh \"$OS\" \"$ARCH\"]\n");
        out.push_str("  variables:\n");
        let _ = writeln!(out, "    SUITE: suite-{index}");
        out.push_str("    TARGET: ${OS}-${ARCH}-$SUITE\n");
        out.push_str("    CACHE_DIR: .cache/$TARGET\n");
        out.push_str("  parallel:\n    matrix:\n      - OS: [");
        let os_list: Vec<String> = (0..oses).map(|os| format!("os{os}")).collect();
        out.push_str(&os_list.join(", "));
        out.push_str("]\n        ARCH: [amd64, arm64, riscv, s390x]\n");
        out.push_str("  tags: [\"${OS}-${ARCH}\", docker]\n");
        out.push_str("  cache: {key: deps-$OS-$CI_COMMIT_REF_SLUG, paths: [.cache/]}\n");
        out.push_str("  artifacts: {paths: [out/], expire_in: 1 week}\n");
        let earlier = stage_index.checked_sub(1).and_then(|i| STAGES.get(i));
        if let (4, Some(earlier)) = (index % 5, earlier) {
            let _ = writeln!(out, "  needs: [{earlier}-gate]");
        }
        if index % 7 == 3 {
            out.push_str("  environment: {name: review/$CI_COMMIT_REF_SLUG-$OS, url: 'https://$OS.example.com'}\n");
            out.push_str("  resource_group: deploy-$OS\n");
        }
        // A `\` line continuation would drop the indentation of `rules:` too, so the lines
        // are written one by one.
        for line in [
            "  rules:",
            "    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\" && $OS =~ /os1/",
            "      when: manual",
            "    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $ARCH != \"s390x\"",
            "      variables: {DEPLOY: \"$TARGET\"}",
            "    - changes: [src/**/*.rs, Cargo.lock]",
            "      when: on_success",
            "    - when: on_failure",
        ] {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

fn context() -> PipelineContext {
    let mut context = PipelineContext::push("main");
    context.project_variables = vec![
        SettingsVariable::new("DEPLOY_TOKEN", "token-value-1234"),
        SettingsVariable {
            masked: true,
            ..SettingsVariable::new("SECRET", "s3cr3t-value-5678")
        },
    ];
    context.changed_files = Some(vec!["src/main.rs".to_owned(), "README.md".to_owned()]);
    context
}

fn bench_size(c: &mut Criterion, label: &str, definitions: usize, instances: usize) {
    let text = generate(definitions, instances);
    let files = MemoryFiles::new().with_file(".gitlab-ci.yml", text);
    let resolution = glplan::resolve(".gitlab-ci.yml", &files, &ResolveOptions::default());
    let errors: Vec<_> = resolution
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.is_error())
        .collect();
    assert!(errors.is_empty(), "{label}: {errors:?}");
    let Some(config) = resolution.config.as_ref() else {
        return;
    };
    let context = context();
    let options = EvaluateOptions {
        files: Some(&files),
        sources: Some(&resolution.sources),
        ..EvaluateOptions::default()
    };
    let pipeline = evaluate(config, &context, &options);
    assert!(pipeline.created, "{:?}", pipeline.errors);
    assert!(pipeline.jobs.len() > definitions * instances, "{label}");

    let mut group = c.benchmark_group(label);
    group.measurement_time(Duration::from_secs(10));
    group.sample_size(20);
    group.bench_function("evaluate", |b| {
        b.iter(|| evaluate(black_box(config), black_box(&context), &options));
    });
    // The same on the calling thread alone, as in WebAssembly.
    let one_thread = EvaluateOptions {
        threads: std::num::NonZeroUsize::new(1),
        ..options.clone()
    };
    group.bench_function("evaluate_one_thread", |b| {
        b.iter(|| evaluate(black_box(config), black_box(&context), &one_thread));
    });
    group.bench_function("plan", |b| {
        b.iter(|| {
            plan(
                ".gitlab-ci.yml",
                black_box(&files),
                &context,
                &PlanOptions::default(),
            )
        });
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    // 50 definitions × 200 instances + 6 gates = 10,006 jobs.
    bench_size(c, "plan_10000_jobs", 50, 200);
    // 24 definitions × 12 instances + 6 gates = 294 jobs.
    bench_size(c, "plan_300_jobs", 24, 12);
}

criterion_group!(plan_benches, benches);
criterion_main!(plan_benches);
