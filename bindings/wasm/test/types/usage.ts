// Uses every function of the package the way a TypeScript user would, with typed arguments, and
// reads members of the results. package.test.mjs installs the packed package next to a copy of
// this file and checks the copy with `tsc --noEmit --strict`, once for each entry point that has
// its own declarations. The file is only compiled, never run.
//
// A line after `// @ts-expect-error` must fail to compile: when it compiles, tsc reports the
// directive as unused, and the test fails.

import { explain, lint, plan, resolveConfig, schedule, version } from "glplan";
import type { Diagnostic, Input, Location, Pipeline, PlanImage, PlannedJob, Schedule, ScheduledJob } from "glplan";

/** `true` exactly when `A` and `B` are the same type, so a wider or narrower member fails. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// Members that the JSON leaves out when empty are optional and never `null`. Members that it
// writes as `null` are required and nullable.
const locationOptional: Equal<Diagnostic["location"], Location | undefined> = true;
const imageOptional: Equal<PlannedJob["image"], PlanImage | undefined> = true;
const runnerOptional: Equal<ScheduledJob["runner"], string | undefined> = true;
const downstreamOptional: Equal<NonNullable<PlannedJob["trigger"]>["downstream"], Pipeline | undefined> = true;
const pipelineNullable: Equal<ReturnType<typeof plan>["pipeline"], Pipeline | null> = true;
const scheduleNullable: Equal<ReturnType<typeof schedule>["schedule"], Schedule | null> = true;
// @ts-expect-error: an optional member is never null
const imageNullable: Equal<PlannedJob["image"], PlanImage | null | undefined> = true;

const input: Input = {
  files: {
    ".gitlab-ci.yml": "include: ci/build.yml\ndeploy:\n  script: make deploy\n  rules:\n    - if: $DEPLOY\n",
    "ci/build.yml": "build:\n  script: make\n",
  },
  entry: ".gitlab-ci.yml",
  projects: { "my-group/ci": { "jobs.yml": "lint:\n  script: make lint\n" } },
  templates: { "Jobs/SAST.gitlab-ci.yml": "sast:\n  script: scan\n" },
  remote: { "https://example.com/ci.yml": "remote:\n  script: x\n" },
  variables: { DEPLOY: "1", TOKEN: { value: "x", masked: true } },
  inputs: { environment: "staging", replicas: 3, debug: true },
  context: {
    ref: "feature/login",
    source: "merge_request_event",
    mr_labels: ["backend"],
    mr_event_type: "merged_result",
    instance_variables: { LEVEL: "instance" },
    group_variables: [{ path: "my-group", variables: new Map([["TEAM", "backend"]]) }],
    project_variables: { REGION: "eu" },
    changed: ["src/main.rs"],
    server_host: "gitlab.internal:8443",
  },
  predefined: true,
};

const packageVersion: string = version();

// lint: the README's editor loop, with the location checked before use.
for (const diagnostic of lint(input)) {
  const severity: "info" | "warning" | "error" = diagnostic.severity;
  const where = diagnostic.location
    ? `${diagnostic.location.file}:${diagnostic.location.start.line}:${diagnostic.location.start.column_utf16}`
    : "pipeline";
  const text: string = `${severity} ${diagnostic.code} ${where} ${diagnostic.message} ${diagnostic.help ?? ""}`;
  // @ts-expect-error: `location` is optional, so it must be checked first
  const line: number = diagnostic.location.start.line;
}

// resolveConfig, with the files in a `Map`: the merged configuration is plain JSON.
const { config, diagnostics: configDiagnostics } = resolveConfig({
  files: new Map([[".gitlab-ci.yml", "include: {project: my-group/ci, file: jobs.yml}\n"]]),
  projects: new Map([["my-group/ci", { "jobs.yml": "a:\n  script: x\n" }]]),
});
const jobNames: string[] = config === null ? [] : Object.keys(config);

// plan: jobs with their variables and rule trace, and the absent jobs with the reason.
const { pipeline, diagnostics } = plan(input);
if (pipeline !== null) {
  const created: boolean = pipeline.created;
  for (const job of pipeline.jobs) {
    const name: string = job.name;
    const variables: Record<string, string> = Object.fromEntries(job.variables.map((variable) => [variable.name, variable.value]));
    const needs: string[] = job.needs?.map((need) => need.job) ?? [];
    const summary: string = job.rule.summary;
    for (const rule of job.rule.rules ?? []) {
      const clauses: string[] = (rule.clauses ?? []).map((clause) => `${clause.clause}: ${clause.detail}`);
      const matched: boolean = rule.matched;
    }
    const image: string | undefined = job.image?.expanded ?? job.image?.name;
    const downstreamJobs: number = job.trigger?.downstream?.jobs.length ?? 0;
    const eligible: string[] = job.runners?.eligible ?? [];
    // @ts-expect-error: misspelt member
    const misspelt = job.nmae;
  }
  for (const absent of pipeline.absent) {
    const reason:
      | "workflow_filtered"
      | "skip_ci"
      | "no_rule_matched"
      | "when_never"
      | "only_except"
      | "rule_error" = absent.reason;
  }
  const skipped: string | undefined = pipeline.skipped;
  const runnerCount: number = pipeline.fleet?.runners.length ?? 0;
}
const errors: Diagnostic[] = diagnostics.filter((diagnostic) => diagnostic.severity === "error");

// explain: one job's trace.
const { explanation } = explain(input, "deploy");
if (explanation !== null) {
  const decidedBy: string = explanation.job?.rule.by ?? explanation.absent?.rule?.by ?? "";
  const neighbours: string[] = [...explanation.needed_by, ...explanation.waits_for];
  const toPlay: string[] = explanation.manual_triggers ?? [];
}
// A child pipeline's job by the names of its trigger jobs and its own, also from a constant.
explain(input, ["deploy", "rspec"]);
const jobPath = ["deploy", "rspec"] as const;
explain(input, jobPath);
// @ts-expect-error: the job is named by a string
explain(input, 1);
// @ts-expect-error: each item of a job path is a name
explain(input, ["deploy", 1]);

// schedule: the run on the runners of a config.toml, with run times.
const run = schedule({
  ...input,
  runners: { "config.toml": '[[runners]]\nname = "docker"\nexecutor = "docker"\n' },
  durations: "jobs:\n  build: 2m\n",
  play: ["deploy"],
  fail: ["lint"],
});
// A child pipeline's job by the names of its trigger jobs and its own.
schedule({ ...input, play: [["deploy", "rspec"]], fail: ["lint", ["deploy", "lint"]] });
// @ts-expect-error: each item of a job path is a name
schedule({ ...input, fail: [["deploy", 1]] });
if (run.schedule !== null) {
  const { status, finished, duration } = run.schedule;
  for (const job of run.schedule.jobs) {
    const started: number | undefined = job.started_at;
    // A retry that waits for its resource group is an attempt without times.
    const attempts: number[] = (job.attempts ?? []).flatMap((attempt) =>
      attempt.started_at === undefined || attempt.finished_at === undefined ? [] : [attempt.finished_at - attempt.started_at],
    );
  }
  const path: string[] = run.schedule.critical_path.map((step) => step.job);
  const busiest: number = Math.max(...run.schedule.runners.map((runner) => runner.utilisation));
  const stuck: string[] = run.schedule.stuck.map((job) => `${job.job}: ${job.reason}`);
}

// Arguments are checked too.
// @ts-expect-error: file texts are strings
lint({ files: { ".gitlab-ci.yml": 1 } });
// @ts-expect-error: file texts are strings in a `Map` too
lint({ files: new Map([[".gitlab-ci.yml", 1]]) });
// @ts-expect-error: unknown member of the argument
plan({ file: {} });
// @ts-expect-error: an unknown pipeline source
plan({ context: { source: "merge_request" } });
