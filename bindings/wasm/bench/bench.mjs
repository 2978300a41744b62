// Times the Node.js build of the package (bindings/wasm/pkg/node, made by build.sh) on the
// configurations of the core's Criterion benchmarks: `plan` of the 294-job matrix pipeline of
// crates/glplan/benches/plan.rs (`plan_300_jobs`), without and with `rule_traces`, and `lint`
// and `resolveConfig` of the 3,000-job configuration of crates/glplan/benches/resolve.rs. The
// generators below write the same text as those benchmarks' `generate` functions; the script
// checks the sizes the benchmarks page gives.
//
// Run: node bindings/wasm/bench/bench.mjs [samples] [warm-up calls]
//
// The default of 2 warm-up calls measures the module while V8 is still optimizing it: its
// code starts in the baseline compiler (Liftoff) and moves to the optimizing compiler
// (TurboFan) function by function as calls repeat. About 100 warm-up calls reach the steady
// state. The benchmarks page uses `bench.mjs 100 200`: 100 samples spread over about a second
// show when the host slows the machine down for a while, where 15 samples may fall into one
// such stretch.

import { createRequire } from "node:module";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const glplan = require(path.join(here, "../pkg/node/glplan.js"));

const RESOLVE_STAGES = ["prepare", "build", "test", "integration", "package", "security", "deploy", "verify"];

/** Writes the configuration of `generate(jobs)` in crates/glplan/benches/resolve.rs. */
function resolveConfiguration(jobs) {
  let out = "stages:\n";
  for (const stage of RESOLVE_STAGES) {
    out += `  - ${stage}\n`;
  }
  out += `default:
  image: registry.example.com/build/ruby:3.3
  tags: [docker, linux]
  retry:
    max: 2
    when: [runner_system_failure, stuck_or_timeout_failure]
  interruptible: true
  before_script:
    - echo "starting $CI_JOB_NAME on $CI_RUNNER_DESCRIPTION"

variables:
  GIT_DEPTH: "20"
  FF_USE_FASTZIP: "true"
  DOCKER_DRIVER: overlay2
  BUILD_MODE:
    value: release
    description: Build profile for manual pipelines
    options: [release, debug]

workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
    - if: $CI_COMMIT_TAG

.cache-defaults: &cache-defaults
  key: deps-$CI_COMMIT_REF_SLUG
  paths: [vendor/, .cache/]
  policy: pull

.shared-scripts:
  setup:
    - ./ci/setup.sh --mode "$BUILD_MODE"
    - export PATH="$CI_PROJECT_DIR/bin:$PATH"
  report:
    - ./ci/report.sh "$CI_JOB_NAME"

.rules-default:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
      changes: [src/**/*, Gemfile.lock]
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
    - if: $CI_COMMIT_TAG =~ /^v\\d+\\.\\d+\\.\\d+$/
      when: manual
      allow_failure: true
    - when: never

.base:
  variables:
    RETRIES: "3"
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

`;
  RESOLVE_STAGES.forEach((stage, i) => {
    out += `.${stage}-template:\n  extends: ${i % 2 === 0 ? ".base" : ".with-services"}\n  stage: ${stage}\n  timeout: 30m\n\n`;
  });
  const perStage = Math.ceil(jobs / RESOLVE_STAGES.length);
  const pad = (n) => String(n).padStart(5, "0");
  for (let index = 0; index < jobs; index++) {
    const stageIndex = Math.min(Math.floor(index / perStage), RESOLVE_STAGES.length - 1);
    const stage = RESOLVE_STAGES[stageIndex];
    const component = index % 97;
    out += `${stage}-${pad(index)}:\n  extends: [.${stage}-template, .rules-default]\n`;
    out += `  variables:\n    COMPONENT: component-${component}\n    SHARD: "${index % 16}"\n`;
    out += `    TARGET_DIR: $CI_PROJECT_DIR/out/${stage}/component-${component}\n`;
    out += "  script:\n    - !reference [.shared-scripts, setup]\n";
    out += `    - make -C src/component-${component} ${stage} SHARD=$SHARD JOBS=4\n`;
    out += `    - ./ci/check.sh --component component-${component} --shard $SHARD --out "$TARGET_DIR"\n`;
    out += "  after_script:\n    - !reference [.shared-scripts, report]\n";
    if (stageIndex > 0) {
      if (index % 10 === 5) {
        out += "  needs: []\n";
      } else {
        const previous = RESOLVE_STAGES[stageIndex - 1];
        const first = (stageIndex - 1) * perStage + (index % perStage);
        const second = (stageIndex - 1) * perStage + ((index * 7 + 3) % perStage);
        out += `  needs:\n    - ${previous}-${pad(first)}\n`;
        if (second !== first) {
          out += `    - job: ${previous}-${pad(second)}\n      artifacts: false\n      optional: true\n`;
        }
      }
    }
    if (index % 50 === 7) {
      out += "  parallel: 3\n";
    } else if (index % 75 === 11) {
      out += '  parallel:\n    matrix:\n      - RUBY: ["3.2", "3.3"]\n        DB: [postgres, mysql]\n';
    }
    out += `  artifacts:\n    paths:\n      - out/${stage}/component-${component}/\n`;
    out += `    reports:\n      junit: out/${stage}/junit-${index}.xml\n`;
    if (index % 10 === 0) {
      out += "  rules:\n    - !reference [.rules-default, rules]\n";
      out += `    - exists: [src/component-${component}/Makefile]\n      when: manual\n`;
    }
    out += "\n";
  }
  return out;
}

const PLAN_STAGES = ["build", "test", "integration", "package", "deploy", "verify"];

/** Writes the configuration of `generate(definitions, instances)` in crates/glplan/benches/plan.rs. */
function planConfiguration(definitions, instances) {
  let out = `stages: [${PLAN_STAGES.join(", ")}]\n`;
  out += `variables:
  GIT_DEPTH: "20"
  REGISTRY: registry.example.com/$CI_PROJECT_PATH
  IMAGE_TAG: $CI_COMMIT_SHORT_SHA
  FULL_IMAGE: \${REGISTRY}:\${IMAGE_TAG}
  DEPLOY: "no"

workflow:
  name: 'Pipeline for $CI_COMMIT_REF_NAME'
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
      variables: {DEPLOY: "yes"}
    - if: $CI_COMMIT_TAG

default:
  image: $REGISTRY/builder:latest
  interruptible: true
  retry: {max: 2, when: [runner_system_failure]}
`;
  for (const stage of PLAN_STAGES) {
    out += `${stage}-gate: {stage: ${stage}, script: [make ${stage}], tags: [docker]}\n`;
  }
  const oses = Math.floor(instances / 4);
  for (let index = 0; index < definitions; index++) {
    const stageIndex = index % PLAN_STAGES.length;
    const stage = PLAN_STAGES[stageIndex];
    out += `job-${index}:\n  stage: ${stage}\n`;
    out += '  script: [./ci/run.sh "$OS" "$ARCH"]\n';
    out += `  variables:\n    SUITE: suite-${index}\n    TARGET: \${OS}-\${ARCH}-$SUITE\n    CACHE_DIR: .cache/$TARGET\n`;
    const osList = Array.from({ length: oses }, (_, os) => `os${os}`);
    out += `  parallel:\n    matrix:\n      - OS: [${osList.join(", ")}]\n        ARCH: [amd64, arm64, riscv, s390x]\n`;
    out += '  tags: ["${OS}-${ARCH}", docker]\n';
    out += "  cache: {key: deps-$OS-$CI_COMMIT_REF_SLUG, paths: [.cache/]}\n";
    out += "  artifacts: {paths: [out/], expire_in: 1 week}\n";
    if (index % 5 === 4 && stageIndex > 0) {
      out += `  needs: [${PLAN_STAGES[stageIndex - 1]}-gate]\n`;
    }
    if (index % 7 === 3) {
      out += "  environment: {name: review/$CI_COMMIT_REF_SLUG-$OS, url: 'https://$OS.example.com'}\n";
      out += "  resource_group: deploy-$OS\n";
    }
    out += `  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event" && $OS =~ /os1/
      when: manual
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $ARCH != "s390x"
      variables: {DEPLOY: "$TARGET"}
    - changes: [src/**/*.rs, Cargo.lock]
      when: on_success
    - when: on_failure
`;
  }
  return out;
}

/** Runs `run` `samples` times after `warmUp` runs; returns the median and the range in ms. */
function time(samples, warmUp, run) {
  for (let i = 0; i < warmUp; i++) {
    run();
  }
  const times = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1] };
}

const samples = Number(process.argv[2] ?? 20);
const warmUp = Number(process.argv[3] ?? 2);
if (!Number.isInteger(samples) || samples < 1 || !Number.isInteger(warmUp) || warmUp < 0) {
  throw new Error(`invalid arguments ${JSON.stringify(process.argv.slice(2))}: expected [samples >= 1] [warm-up calls >= 0]`);
}

const planText = planConfiguration(24, 12);
// Same context as the Rust benchmark: a push to main with two changed files and two project
// variables, one masked.
const planInput = {
  files: { ".gitlab-ci.yml": planText },
  variables: {},
  context: {
    ref: "main",
    changed: ["src/main.rs", "README.md"],
    project_variables: { DEPLOY_TOKEN: "token-value-1234", SECRET: { value: "s3cr3t-value-5678", masked: true } },
  },
};
const planned = glplan.plan(planInput);
const errors = planned.diagnostics.filter((d) => d.severity === "error");
if (!planned.pipeline || errors.length > 0) {
  throw new Error(`the plan benchmark's configuration does not plan cleanly: ${JSON.stringify(errors.slice(0, 3))}`);
}

const resolveText = resolveConfiguration(3000);
if (resolveText.length !== 1876973) {
  throw new Error(`the 3,000-job configuration is ${resolveText.length} bytes, not the Rust benchmark's 1,876,973`);
}
const resolveInput = { files: { ".gitlab-ci.yml": resolveText } };
const resolved = glplan.resolveConfig(resolveInput);
if (resolved.diagnostics.some((d) => d.severity === "error")) {
  throw new Error("the 3,000-job configuration does not resolve cleanly");
}

const format = ({ median, min, max }) => `${median.toFixed(1)} ms (min ${min.toFixed(1)}, max ${max.toFixed(1)})`;
const planTime = time(samples, warmUp, () => glplan.plan(planInput));
console.log(`plan, ${planned.pipeline.jobs.length} jobs (${planText.length} bytes): ${format(planTime)}`);
// The same call with each job's rule traces, which `plan` leaves out by default.
const tracedInput = { ...planInput, rule_traces: true };
const tracedTime = time(samples, warmUp, () => glplan.plan(tracedInput));
console.log(`plan with rule traces, ${planned.pipeline.jobs.length} jobs: ${format(tracedTime)}`);
const lintTime = time(samples, warmUp, () => glplan.lint(resolveInput));
console.log(`lint, 3,000-job configuration (${resolveText.length} bytes): ${format(lintTime)}`);
const resolveTime = time(samples, warmUp, () => glplan.resolveConfig(resolveInput));
console.log(`resolveConfig, 3,000-job configuration: ${format(resolveTime)}`);
