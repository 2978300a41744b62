// Generated from the Rust types by `cargo test -p glplan-wasm typescript`; do not edit.

/**
 * A map with string keys: a plain object or a `Map`.
 */
export type MapLike<T> = { [key: string]: T } | Map<string, T>;

/**
 * The files to read and the pipeline to plan.
 */
export interface Input {
  /**
   * Files of the repository being planned, by path from the repository root (a plain object
   * or a `Map`). `include:local` reads them; `include:local` wildcards and `rules:exists`
   * search their paths.
   */
  files?: MapLike<string>;
  /**
   * Path of the pipeline file in `files`. Default `.gitlab-ci.yml`.
   */
  entry?: string | null;
  /**
   * Files of other projects for `include:project` and CI/CD components: project path (such
   * as `my-group/ci-tools`, compared without regard to case), then file path. The requested
   * ref is ignored.
   */
  projects?: MapLike<MapLike<string>>;
  /**
   * GitLab's CI/CD templates for `include:template`, by name exactly as the include writes
   * it (such as `Jobs/SAST.gitlab-ci.yml`). Locations name them `template:NAME`.
   */
  templates?: MapLike<string> | null;
  /**
   * Files for `include:remote`, by URL exactly as the include writes it after variable
   * expansion.
   */
  remote?: MapLike<string> | null;
  /**
   * Pipeline variables, as **Run pipeline** or the API would set them, or with the source
   * `schedule` the schedule's variables. A value is a string, or an object with a string
   * `value` and the optional boolean flags `masked`, `raw` and `file`. A number or boolean is
   * an error, because GitLab's API takes variable values as strings (the CLI's `--var-file`
   * rejects them too). `lint` and `resolveConfig` pass them to `include` only, where YAML
   * `variables:` never reach; `plan` and `explain` also give them to the jobs.
   */
  variables?: MapLike<VariableValue> | null;
  /**
   * Pipeline inputs for the entry file's `spec:inputs`, as JSON values.
   */
  inputs?: MapLike<unknown> | null;
  /**
   * The pipeline to plan (`plan` and `explain`). Default: a push to the default branch.
   */
  context?: ContextInput;
  /**
   * Whether each job's variables in `explain` include the predefined `CI_*` variables.
   */
  predefined?: boolean;
  /**
   * Whether each job's `rule` in `plan` keeps the evaluation of every rule up to the
   * matched one and of `only` and `except`, as `glplan plan --rule-traces` does. Without
   * it a job's `rule` keeps `by`, `summary`, `matched`, `implicit_only` and `notes`.
   * `explain` always has them.
   */
  rule_traces?: boolean;
  /**
   * gitlab-runner `config.toml` files (and GitLab runner settings files), by file name, in
   * the order the CLI takes `--runners`, because the fleet lists hosts in that order. With
   * them, `plan` adds each job's runners and the fleet to the pipeline, and `schedule` runs
   * the jobs on those runners. Without them, `schedule` runs every job at once on unlimited
   * runners.
   */
  runners?: MapLike<string>;
  /**
   * The durations file for `schedule`: run times and failures of the jobs. Its
   * diagnostics name the file `durations`.
   */
  durations?: string | null;
  /**
   * Manual jobs that `schedule` starts as soon as they can run. Each is a name, such as
   * `deploy/rspec` for a job of the child pipeline of `deploy`, or an array of names. The
   * array lists the trigger jobs from the top pipeline down, then the job, such as
   * `["deploy", "rspec"]`, and so stays apart from a job named `deploy/rspec`. A name in
   * either form may be a parallel job's base name, for all its instances.
   */
  play?: JobSelector[];
  /**
   * Jobs whose every attempt fails in `schedule`, named as in `play`.
   */
  fail?: JobSelector[];
}

/**
 * One variable in `variables`: its value, or its value with flags.
 */
export type VariableValue = string | {
  /**
   * The value.
   */
  value: string;
  /**
   * Whether the value is shown as `[MASKED]`.
   */
  masked?: boolean;
  /**
   * Whether the value is used without variable expansion.
   */
  raw?: boolean;
  /**
   * Whether the variable is of type file.
   */
  file?: boolean;
};

/**
 * The pipeline to plan, with the same meaning as the context options of `glplan plan`.
 */
export interface ContextInput {
  /**
   * `CI_PIPELINE_SOURCE`. Default `push`, or `merge_request_event` when a merge request
   * field is set.
   */
  source?: PipelineSource | null;
  /**
   * The branch or tag (`CI_COMMIT_REF_NAME`). Default: the default branch. This and the other
   * branch names must be valid Git ref names (`git check-ref-format`). Write them as GitLab
   * does, without `refs/heads/` or `refs/tags/`: `refs/heads/main` plans a branch of that
   * name.
   */
  ref?: string | null;
  /**
   * Whether `ref` is a tag (`CI_COMMIT_TAG` instead of `CI_COMMIT_BRANCH`). Needs `ref`.
   */
  tag?: boolean;
  /**
   * `CI_DEFAULT_BRANCH`. Default `main`. A push to it counts as a push to a protected
   * branch, unless `protected_ref` is `false`.
   */
  default_branch?: string | null;
  /**
   * Whether `ref` is a protected branch or tag (`CI_COMMIT_REF_PROTECTED`), as the CLI's
   * `--protected-ref` sets it. Default: `true` for the default branch, `false` for other
   * branches and for tags. glplan treats a merge request pipeline as unprotected, so `true` throws
   * there.
   */
  protected_ref?: boolean | null;
  /**
   * The project's full path, `namespace/name` (`CI_PROJECT_PATH`). Default
   * `group/project`. Its namespace and the namespace's ancestors are the groups that
   * `group_variables` can name.
   */
  project_path?: string | null;
  /**
   * The merge request's source branch. Default: `ref`, else the default branch. It must
   * differ from the target branch, as GitLab requires. Any `mr_*` field makes the pipeline a
   * `merge_request_event` pipeline.
   */
  mr_source?: string | null;
  /**
   * The merge request's target branch. Default: the default branch.
   */
  mr_target?: string | null;
  /**
   * The merge request's labels (`CI_MERGE_REQUEST_LABELS`).
   */
  mr_labels?: string[];
  /**
   * `CI_MERGE_REQUEST_EVENT_TYPE`: `detached` (the default), `merged_result` or
   * `merge_train`.
   */
  mr_event_type?: MergeRequestEventType | null;
  /**
   * The merge request's title (`CI_MERGE_REQUEST_TITLE`; default `Add feature`). A title
   * that starts with `Draft:`, `[Draft]` or `(Draft)`, in any case, makes the merge request
   * a draft (`CI_MERGE_REQUEST_DRAFT`).
   */
  mr_title?: string | null;
  /**
   * Instance CI/CD variables, the lowest in precedence of the settings variables, in the
   * form of `variables`, where the object form may also have `protected`.
   */
  instance_variables?: MapLike<InstanceVariableValue> | null;
  /**
   * Group CI/CD variables, above instance and below project variables in precedence: the
   * variables of the project's own group in the form of `project_variables`, or an array of
   * groups in any order, each with its full `path` and its `variables`. A subgroup's value
   * wins over its ancestors'. Two entries for the same group throw an `Error`.
   */
  group_variables?: GroupVariablesValue | null;
  /**
   * Project CI/CD variables, below pipeline variables in precedence. Each name maps to a
   * value, to an object with `value` and the optional `masked`, `raw`, `file`, `protected`
   * and `environment_scope`, or to an array of such objects, one per environment scope. A
   * job gets the definition whose scope matches its environment: an exact name wins over a
   * pattern, and a pattern over `*`, the default.
   */
  project_variables?: MapLike<ScopedVariableValue> | null;
  /**
   * Names of variables whose values are shown as `[MASKED]`, at every level that sets
   * them. As in GitLab, a masked value needs at least 8 characters, all from
   * `a-z A-Z 0-9 _ + = / @ : . ~ -`, or, for a raw variable, at least 8 characters without
   * whitespace. Other values throw, also for variables with `masked: true`.
   */
  masked?: string[];
  /**
   * The files the push or merge request changed, for `rules:changes` and `only:changes`.
   * Absent or `null`: there is no diff, so every `changes` clause holds. An empty array is
   * a diff without changes.
   */
  changed?: string[] | null;
  /**
   * The commit message, whose first line is `CI_COMMIT_TITLE`.
   */
  title?: string | null;
  /**
   * The GitLab server's host name or IPv6 address in brackets, followed by `:PORT` when the
   * server does not listen on 443, such as `gitlab.com`, `gitlab.internal:8443` or
   * `[2001:db8::1]:8443` (`CI_SERVER_FQDN`). Default
   * `gitlab.example.com`. The server URL (`CI_SERVER_URL`) is `https://` followed by it. An
   * `include:component` address must start with it, so
   * `gitlab.com/my-group/components/lint@1.0` needs `server_host: "gitlab.com"`. A value
   * with a scheme or a path, a name that is not a host name (labels of letters, digits and
   * `-` joined by `.`), an IPv6 address without brackets, or a port outside 1 to 65535
   * throws an `Error`. A port of 443 is
   * left out of the server URL, as GitLab does. When it is given, a runner whose `url` names
   * another host or port is rejected with the reason `other_server`.
   */
  server_host?: string | null;
}

/**
 * Trigger of a pipeline: the value of `CI_PIPELINE_SOURCE`.
 */
export type PipelineSource = "push" | "web" | "trigger" | "schedule" | "api" | "external" | "pipeline" | "chat" | "webide" | "merge_request_event" | "external_pull_request_event" | "parent_pipeline" | "ondemand_dast_scan" | "ondemand_dast_validation" | "security_orchestration_policy";

/**
 * The kind of merge request pipeline: the value of `CI_MERGE_REQUEST_EVENT_TYPE`.
 */
export type MergeRequestEventType = "detached" | "merged_result" | "merge_train";

/**
 * One variable in `context.instance_variables`: its value, or its value with flags.
 */
export type InstanceVariableValue = string | {
  /**
   * The value.
   */
  value: string;
  /**
   * Whether the value is shown as `[MASKED]`.
   */
  masked?: boolean;
  /**
   * Whether the value is used without variable expansion.
   */
  raw?: boolean;
  /**
   * Whether the variable is of type file.
   */
  file?: boolean;
  /**
   * Whether only pipelines of protected branches and tags get the variable.
   */
  protected?: boolean;
};

/**
 * `context.group_variables`: the project's own group's variables, or groups by path.
 */
export type GroupVariablesValue = MapLike<ScopedVariableValue> | GroupInput[];

/**
 * One variable of a group or of the project: its value, its value with flags, or its
 * definitions for several environment scopes.
 */
export type ScopedVariableValue = string | ScopedVariableDefinition | ScopedVariableDefinition[];

/**
 * One definition of a group or project variable.
 */
export interface ScopedVariableDefinition {
  /**
   * The value.
   */
  value: string;
  /**
   * Whether the value is shown as `[MASKED]`.
   */
  masked?: boolean;
  /**
   * Whether the value is used without variable expansion.
   */
  raw?: boolean;
  /**
   * Whether the variable is of type file.
   */
  file?: boolean;
  /**
   * Whether only pipelines of protected branches and tags get the variable.
   */
  protected?: boolean;
  /**
   * The environments whose jobs get this definition: `*` (every job, the default), an
   * environment name such as `production`, or a pattern where `*` matches any characters,
   * such as `review/*`.
   */
  environment_scope?: string | null;
}

/**
 * One group in `context.group_variables`.
 */
export interface GroupInput {
  /**
   * The group's full path, such as `top/sub`: the project's namespace or one of its
   * ancestors, compared without regard to ASCII case as GitLab looks up paths. Absent or
   * `null`: the project's namespace.
   */
  path?: string | null;
  /**
   * The group's variables, in the form of `project_variables`.
   */
  variables: MapLike<ScopedVariableValue>;
}

/**
 * A job in `play` or `fail`: a name, or the names of the trigger jobs and the job.
 */
export type JobSelector = string | string[];

/**
 * One message about the configuration or the pipeline. `lint` returns the same objects as
 * `glplan lint --format json`. Positions are 1-based lines, columns in Unicode scalar values
 * and in UTF-16 code units (`column_utf16`, what Monaco and CodeMirror count), and byte
 * offsets into the file's UTF-8 text.
 */
export interface Diagnostic {
  /**
   * Stable kebab-case identifier, such as `unknown-stage`.
   */
  code: string;
  /**
   * The severity: `error` when GitLab rejects the configuration or does not create the
   * pipeline.
   */
  severity: Severity;
  /**
   * The message, in GitLab's wording where GitLab reports the same problem.
   */
  message: string;
  /**
   * The job a pipeline diagnostic is about.
   */
  job?: string;
  /**
   * The place where the problem is written.
   */
  location?: Location;
  /**
   * Other places that explain the problem.
   */
  labels?: LocatedLabel[];
  /**
   * How to fix the problem.
   */
  help?: string;
  /**
   * For a diagnostic of a child pipeline (`trigger:include`), the trigger jobs that lead to
   * it from the top pipeline down, such as `["deploy"]`, or `["deploy", "inner"]` for a
   * grandchild. Absent for the top pipeline's own diagnostics.
   */
  trigger_jobs?: string[];
}

/**
 * How serious a diagnostic is.
 */
export type Severity = "info" | "warning" | "error";

/**
 * A span turned into a file name and start and end positions.
 */
export interface Location {
  /**
   * File name. A file of the repository being planned has its path from the repository root, and
   * a file of another project (from `include:project` or a component) is `PROJECT:REF:PATH`,
   * with the component's version as REF. An `include:remote` file has its URL, and an
   * `include:template` file is `template:NAME`. Runner and durations files keep the name they
   * were given.
   */
  file: string;
  /**
   * First character.
   */
  start: Position;
  /**
   * One past the last character.
   */
  end: Position;
}

/**
 * A 1-based position in a file, with the column counted three ways.
 */
export interface Position {
  /**
   * 1-based line number.
   */
  line: number;
  /**
   * 1-based column in Unicode scalar values (what terminals and rustc-style output show).
   */
  column: number;
  /**
   * 1-based column in UTF-16 code units (what JavaScript editors such as Monaco expect).
   */
  column_utf16: number;
  /**
   * Byte offset from the start of the file.
   */
  offset: number;
}

/**
 * A label with its location resolved.
 */
export interface LocatedLabel {
  /**
   * The label's message.
   */
  message: string;
  /**
   * Where it points.
   */
  location: Location;
}

/**
 * The result of `resolveConfig`.
 */
export interface ConfigResult {
  /**
   * The merged configuration after `include`, `extends`, `!reference`, `default:` and
   * `parallel`, as `glplan config --format json` prints it; `null` when the entry file could
   * not be loaded. Its members are not declared, because the core's configuration model has
   * no JSON Schema. It usually has `stages`, `jobs` (by name), and optionally `variables`,
   * `workflow`, `default` and `hidden`. When errors keep the model from being built, it is
   * the merged YAML tree instead, so check each member before use.
   */
  config: { [key: string]: unknown } | null;
  /**
   * The configuration's diagnostics.
   */
  diagnostics: Diagnostic[];
}

/**
 * The result of `plan`.
 */
export interface PlanResult {
  /**
   * The pipeline, as `glplan plan --format json` prints it; `null` when the configuration
   * could not be built.
   */
  pipeline: Pipeline | null;
  /**
   * The configuration's diagnostics, the pipeline's, those of the child pipelines (with
   * `trigger_jobs`), then those of the runner files.
   */
  diagnostics: Diagnostic[];
}

/**
 * The result of `explain`.
 */
export interface ExplainResult {
  /**
   * The job's trace, as `glplan explain --format json` prints it; `null` when the
   * configuration could not be built.
   */
  explanation: Explanation | null;
  /**
   * The configuration's diagnostics, the pipeline's, then those of the child pipelines
   * (with `trigger_jobs`).
   */
  diagnostics: Diagnostic[];
}

/**
 * One job's trace, as `glplan explain --format json` prints it.
 */
export interface Explanation {
  /**
   * The pipeline's format version, as in `plan`.
   */
  version: number;
  /**
   * The pipeline source (`CI_PIPELINE_SOURCE`).
   */
  source: string;
  /**
   * The branch or tag (`CI_COMMIT_REF_NAME`).
   */
  ref: string;
  /**
   * Whether GitLab creates the pipeline.
   */
  created: boolean;
  /**
   * The job, when GitLab creates it.
   */
  job?: PlannedJob;
  /**
   * The job, when GitLab leaves it out, with the reason.
   */
  absent?: AbsentJob;
  /**
   * The jobs of earlier stages a stage-scheduled job waits for.
   */
  waits_for: string[];
  /**
   * The jobs that list this one in `needs`.
   */
  needed_by: string[];
  /**
   * The stage-scheduled jobs of later stages that wait for this one.
   */
  waited_for_by: string[];
  /**
   * For a job of a child pipeline (named as in `deploy/rspec`), the trigger job that
   * creates that pipeline, with the trigger jobs above it in front, as in `deploy/inner`.
   * `source`, `ref` and `created` are then the child pipeline's.
   */
  trigger?: string;
  /**
   * For a job of a child pipeline, the names of the trigger jobs from the top pipeline down,
   * such as `["deploy", "inner"]`: the array that `explain` takes, without the job's name.
   * Unlike `trigger`, it keeps a name that contains `/` apart. Absent for the top pipeline.
   */
  trigger_jobs?: string[];
  /**
   * The manual jobs among the trigger jobs that lead to the job's child pipeline, outermost
   * first and named as `trigger` is. GitLab creates that pipeline only once each of them is
   * played. Absent when there are none.
   */
  manual_triggers?: string[];
}

/**
 * The result of `schedule`.
 */
export interface ScheduleResult {
  /**
   * The simulated run, as `glplan schedule --format json` prints it, or `null` when GitLab
   * would not create the pipeline. It lists each job's attempts with their runner and
   * times, runner usage, the critical path and the diagnostics.
   */
  schedule: Schedule | null;
  /**
   * The configuration's diagnostics, the pipeline's, those of the child pipelines (with
   * `trigger_jobs`), then those of the runner and durations files.
   */
  diagnostics: Diagnostic[];
}

/**
 * A simulated run with its diagnostics, as `glplan schedule --format json` prints it: the
 * members of the core's schedule, then `diagnostics`. Times are whole seconds after the
 * pipeline was created.
 */
export interface Schedule {
  /**
   * The pipeline's status when nothing more can happen: `success`, `failed`, `canceled`,
   * `skipped`, `manual` (blocked by a manual job), or `running` while a trigger job waits
   * for a child pipeline that does not finish. The jobs of child pipelines count only
   * through their trigger jobs.
   */
  status: PipelineStatus;
  /**
   * Whether every job completed or was left as an optional manual job, so the pipeline
   * finished. The jobs of child pipelines count only through their trigger jobs.
   */
  finished: boolean;
  /**
   * Seconds from the pipeline's creation to the end of its last job, the jobs of child
   * pipelines included.
   */
  duration: number;
  /**
   * When the pipeline's own last job ended, once the pipeline finished, and only when it
   * created child pipelines. A child pipeline counts through its trigger job, so one whose
   * trigger job has no `strategy` can end after this, and `duration` is then longer.
   */
  finished_at?: number;
  /**
   * Every job, in the pipeline's job order, then the jobs of each child pipeline that was
   * created, depth first in the order of their trigger jobs.
   */
  jobs: ScheduledJob[];
  /**
   * The child pipelines that were created, in the order of their jobs in `jobs`.
   */
  pipelines?: ChildPipeline[];
  /**
   * Every runner, in the pool's order.
   */
  runners: RunnerUsage[];
  /**
   * The chain of jobs that ends last, first job first: each job became ready when the one
   * before it completed (or released the resource group it waited for). A job can appear
   * more than once: a retry that waited for another job's turn in the resource group is a
   * step of its own. No step starts before the one before it ended, so the steps' run
   * times add up to at most `duration`.
   */
  critical_path: CriticalStep[];
  /**
   * The jobs that waited longest between becoming pending and starting, longest first
   * (at most five).
   */
  longest_waits: SlotWait[];
  /**
   * Jobs that GitLab dropped because they stayed pending: after an hour when no runner can
   * take them (failure reason `stuck_pending_no_matching_runners`), after a day when the
   * runners that can take them have no free slot (`stuck_pending_with_matching_runners`).
   */
  stuck: StuckJob[];
  /**
   * The configuration's diagnostics, the pipeline's, those of the child pipelines (with
   * `trigger_jobs`), then those of the runner and durations files, in the form of the
   * pipeline's `diagnostics`.
   */
  diagnostics: (PlanDiagnostic & {
    /**
     * For a child pipeline's diagnostic, the trigger jobs above it, such as `["deploy"]`.
     */
    trigger_jobs?: string[];
  })[];
}

/**
 * A pipeline's status, with GitLab's names.
 */
export type PipelineStatus = "created" | "pending" | "running" | "waiting_for_resource" | "manual" | "scheduled" | "success" | "failed" | "canceled" | "skipped";

/**
 * One job's simulated run.
 */
export interface ScheduledJob {
  /**
   * Job name; in a child pipeline, with the trigger jobs in front, as in `deploy/rspec`.
   */
  name: string;
  /**
   * The `trigger` of the child pipeline the job belongs to; absent for the jobs of the
   * pipeline itself.
   */
  pipeline?: string;
  /**
   * Index in the schedule's `pipelines` of the child pipeline the job belongs to; absent
   * for the jobs of the pipeline itself. Unlike `pipeline`, it stays unique when a job name
   * that contains `/` makes two pipelines' names equal.
   */
  pipeline_index?: number;
  /**
   * Stage.
   */
  stage: string;
  /**
   * Final status.
   */
  status: JobStatus;
  /**
   * Whether a failure is allowed (`allow_failure`), so it counts as a warning.
   */
  allowed_failure?: boolean;
  /**
   * The runner of the last attempt.
   */
  runner?: string;
  /**
   * The slot of the last attempt on its runner, from 0.
   */
  slot?: number;
  /**
   * When the first attempt became pending.
   */
  queued_at?: number;
  /**
   * When the job first started. An attempt that GitLab dropped while it was pending never
   * starts, so this is absent when GitLab dropped every attempt.
   */
  started_at?: number;
  /**
   * When the last attempt ended.
   */
  finished_at?: number;
  /**
   * GitLab's failure reason of the last attempt (`script_failure`,
   * `job_execution_timeout`, `runner_system_failure`, `stuck_pending_no_matching_runners`).
   */
  failure_reason?: string;
  /**
   * The reason the job did not run or did not finish, or the reason its runner failed its
   * last attempt.
   */
  reason?: string;
  /**
   * Every attempt, retries included, in order.
   */
  attempts?: Attempt[];
}

/**
 * A job's final status in the simulation, with GitLab's names.
 */
export type JobStatus = "created" | "waiting_for_resource" | "manual" | "running" | "success" | "failed" | "canceled" | "skipped";

/**
 * One attempt of a job: the first run or a retry. GitLab creates each retry as a new job, so
 * a retry that still waits for its resource group when the simulation ends is an attempt
 * too, without a runner or times.
 */
export interface Attempt {
  /**
   * The runner. Absent for a trigger job, for a retry that waits for its resource group,
   * and for an attempt that ended without starting.
   */
  runner?: string;
  /**
   * The slot on the runner, from 0.
   */
  slot?: number;
  /**
   * When the attempt became pending. Absent for a retry that waits for its resource group,
   * or that was canceled while it waited for it.
   */
  queued_at?: number;
  /**
   * When it started. Absent for a retry that waits for its resource group and for an
   * attempt that ended without starting: one that GitLab dropped while it was pending, or a
   * retry that `auto_cancel:on_job_failure` canceled before it started.
   */
  started_at?: number;
  /**
   * When it ended, or was dropped or canceled before it started. Absent for a retry that
   * waits for its resource group.
   */
  finished_at?: number;
  /**
   * `success`, `failed` or `canceled`. The attempt of a trigger job with `strategy: mirror`
   * whose child pipeline was skipped is `skipped`, and a retry that waits for its resource
   * group is `waiting_for_resource`.
   */
  status: JobStatus;
  /**
   * GitLab's failure reason, for a failed attempt.
   */
  failure_reason?: string;
  /**
   * For an attempt that GitLab dropped while it was pending, the reason no runner took it:
   * the same text as the job's entry in the schedule's `stuck`. For an attempt that its
   * runner failed because of the runner's settings, which runner failed it and how, and
   * whether another runner that can take the job runs it.
   */
  reason?: string;
}

/**
 * A child pipeline that a trigger job created.
 */
export interface ChildPipeline {
  /**
   * The trigger job that created it, by its name in `jobs`, such as `deploy` or
   * `deploy/inner`. Its jobs' names start with this name and `/`.
   */
  trigger: string;
  /**
   * Index in the schedule's `jobs` of the trigger job that created it.
   */
  trigger_index: number;
  /**
   * The trigger job's `trigger:strategy`: `depend`, `mirror`, or absent when the trigger job
   * succeeds as soon as the child pipeline is created.
   */
  strategy?: string;
  /**
   * The child pipeline's status when nothing more can happen, as the pipeline's `status`.
   */
  status: PipelineStatus;
  /**
   * Whether every job of the child pipeline completed or was left as an optional manual
   * job.
   */
  finished: boolean;
  /**
   * When the trigger job created it.
   */
  created_at: number;
  /**
   * When its last job ended, once it finished.
   */
  finished_at?: number;
}

/**
 * How much one runner worked.
 */
export interface RunnerUsage {
  /**
   * Runner name.
   */
  name: string;
  /**
   * Host name.
   */
  host: string;
  /**
   * Attempts it ran.
   */
  jobs: number;
  /**
   * Seconds of job run time, summed over its slots.
   */
  busy: number;
  /**
   * The maximum number of jobs it ran at once.
   */
  peak: number;
  /**
   * `busy` divided by (slots × pipeline duration), from 0 to 1. The slots are `limit`,
   * lowered to the host's `concurrent`; for a runner without either limit, its peak.
   */
  utilisation: number;
}

/**
 * A job of the critical path: one or more consecutive attempts of it.
 */
export interface CriticalStep {
  /**
   * Job name.
   */
  job: string;
  /**
   * When it became ready (pending, or waiting for its resource group or timer).
   */
  ready_at: number;
  /**
   * When the step's first attempt started, or GitLab dropped it while it was pending.
   */
  started_at: number;
  /**
   * When the step's last attempt ended.
   */
  finished_at: number;
}

/**
 * A job that waited for a runner slot.
 */
export interface SlotWait {
  /**
   * Job name.
   */
  job: string;
  /**
   * Seconds between becoming pending and starting, or being dropped while pending, summed
   * over its attempts.
   */
  wait: number;
  /**
   * The runner that finally took it.
   */
  runner: string;
}

/**
 * A job that GitLab dropped because it stayed pending.
 */
export interface StuckJob {
  /**
   * Job name.
   */
  job: string;
  /**
   * The reason no runner took it.
   */
  reason: string;
}

/**
 * The pipeline GitLab would create for one push, merge request, tag, schedule or manual run,
 * with the reason behind every decision.
 */
export interface Pipeline {
  /**
   * Version of this JSON form. It changes when a member changes its meaning or type or
   * disappears, not when a member is added.
   */
  version: number;
  /**
   * Whether GitLab creates the pipeline: `false` when `workflow:rules` filter it out, when
   * no job is left, when pipeline creation fails with one of `errors`, or when the pipeline
   * is `skipped`.
   */
  created: boolean;
  /**
   * The `[skip ci]` marker of the commit message, as written, when GitLab skips the
   * pipeline because of it: GitLab then saves the pipeline as skipped, with no jobs and no
   * errors, without reading the configuration.
   */
  skipped?: string;
  /**
   * GitLab's pipeline errors, in GitLab's wording, when the pipeline is not created.
   */
  errors: string[];
  /**
   * The pipeline source (`CI_PIPELINE_SOURCE`).
   */
  source: string;
  /**
   * The branch or tag (`CI_COMMIT_REF_NAME`).
   */
  ref: string;
  /**
   * The outcome of `workflow:`.
   */
  workflow: WorkflowResult;
  /**
   * The stages that have jobs, in pipeline order.
   */
  stages: Stage[];
  /**
   * The jobs GitLab creates, in stage order and, within a stage, in configuration order.
   */
  jobs: PlannedJob[];
  /**
   * The jobs GitLab leaves out, with the reason.
   */
  absent: AbsentJob[];
  /**
   * Job names in an order where every job comes after the jobs it waits for. Empty when
   * the jobs wait for each other in a cycle.
   */
  order: string[];
  /**
   * What glplan found while planning: pipeline errors with their location, warnings, and
   * notes about facts that are not available offline.
   */
  diagnostics: PlanDiagnostic[];
  /**
   * The hosts and runners of the runner files; only with runner files.
   */
  fleet?: Fleet;
}

/**
 * The outcome of `workflow:`: whether the pipeline is created, its name and auto-cancel
 * settings.
 */
export interface WorkflowResult {
  /**
   * Whether `workflow:rules` let the pipeline be created (always `true` without them).
   */
  created: boolean;
  /**
   * The explanation, such as `created by workflow rule 2: ...` or
   * `Pipeline filtered out by workflow rules. No workflow rule matched: ...`.
   */
  reason: string;
  /**
   * The pipeline name (`CI_PIPELINE_NAME`): `workflow:name` after variable expansion,
   * absent when it is not set or expands to nothing.
   */
  name?: string;
  /**
   * Index (from 0) of the workflow rule that matched.
   */
  rule?: number;
  /**
   * Each workflow rule evaluated, in order, up to the one that matched.
   */
  rules?: RuleEvaluation[];
  /**
   * `variables:` of the matched workflow rule, which every job inherits like top-level
   * variables.
   */
  variables?: NameValue[];
  /**
   * The auto-cancel settings: `workflow:auto_cancel`, overridden by the matched rule's.
   */
  auto_cancel: AutoCancel;
}

/**
 * The evaluation of one rule.
 */
export interface RuleEvaluation {
  /**
   * Position in the flattened rule list, from 0.
   */
  index: number;
  /**
   * Whether every clause held.
   */
  matched: boolean;
  /**
   * The clauses evaluated, in the order they are written (GitLab's evaluation order), up
   * to the first one that did not hold. A rule without clauses always matches.
   */
  clauses?: ClauseEvaluation[];
  /**
   * Where the rule is written.
   */
  location?: SourceLocation;
}

/**
 * The evaluation of one clause of a rule, or one key of `only`/`except`.
 */
export interface ClauseEvaluation {
  /**
   * The clause or key.
   */
  clause: ClauseKind;
  /**
   * Whether it held.
   */
  holds: boolean;
  /**
   * The explanation, such as ``if `$CI_COMMIT_TAG` is false (CI_COMMIT_TAG = null)``.
   */
  detail: string;
  /**
   * The expression as written (`if:` clauses).
   */
  expression?: string;
  /**
   * The variables the expressions read, with their values (`null` when undefined).
   */
  reads?: VariableRead[];
  /**
   * A result glplan assumed because a fact is not available offline.
   */
  note?: string;
  /**
   * The error GitLab raises when it evaluates the clause, such as
   * `rules:changes:compare_to is not a valid ref`. It ends the evaluation of the rule list
   * with `when: never`.
   */
  error?: string;
  /**
   * Location of the expression (`if:` clauses), or of the `compare_to` value that raised
   * `error`.
   */
  location?: SourceLocation;
}

/**
 * The clause of a rule or the key of `only`/`except` that an evaluation is about.
 */
export type ClauseKind = "if" | "changes" | "exists" | "refs" | "variables" | "kubernetes";

/**
 * A variable an expression read.
 */
export interface VariableRead {
  /**
   * Variable name, without `$`.
   */
  name: string;
  /**
   * The value read, `[MASKED]` for a masked variable; `null` when it is undefined.
   */
  value: string | null;
  /**
   * The levels of the protected CI/CD variables of this name that GitLab left out, because
   * the pipeline's ref is not protected, lowest precedence first. The value read comes
   * from the other definitions, if any.
   */
  withheld?: VariableSource[];
  /**
   * The environment scope of each definition in `withheld`, at the same index: the scope of
   * a group or project variable when it is not `*`, else `null`. Empty when every entry
   * would be `null`.
   */
  withheld_scopes?: (string | null)[];
  /**
   * The full path of the group of each definition in `withheld`, at the same index, for a
   * group variable, else `null`. Empty when every entry would be `null`.
   */
  withheld_groups?: (string | null)[];
}

/**
 * The origin of a variable's value. The values are listed lowest precedence first.
 */
export type VariableSource = "predefined" | "deployment" | "global_yaml" | "workflow_rules" | "job_yaml" | "matrix" | "rules" | "dotenv" | "instance" | "group" | "project" | "pipeline" | "schedule" | "manual_job";

/**
 * A file name and 1-based line and column.
 */
export interface SourceLocation {
  /**
   * File name. A file of the repository being planned has its path from the repository root, and
   * a file of another project (from `include:project` or a component) is `PROJECT:REF:PATH`,
   * with the component's version as REF. An `include:remote` file has its URL, and an
   * `include:template` file is `template:NAME`.
   */
  file: string;
  /**
   * Line, from 1.
   */
  line: number;
  /**
   * Column in characters, from 1.
   */
  column: number;
  /**
   * Column in UTF-16 code units, from 1, as JavaScript editors count.
   */
  column_utf16: number;
  /**
   * Byte offset from the start of the file.
   */
  offset: number;
}

/**
 * A variable name and value.
 */
export interface NameValue {
  /**
   * Variable name.
   */
  name: string;
  /**
   * Value; `[MASKED]` for a masked variable.
   */
  value: string;
}

/**
 * Effective `workflow:auto_cancel` settings.
 */
export interface AutoCancel {
  /**
   * `on_new_commit`: `conservative` (the default), `interruptible` or `none`.
   */
  on_new_commit: string;
  /**
   * `on_job_failure`: `none` (the default) or `all`.
   */
  on_job_failure: string;
}

/**
 * A stage with jobs.
 */
export interface Stage {
  /**
   * Stage name.
   */
  name: string;
  /**
   * Names of the stage's jobs, in configuration order.
   */
  jobs: string[];
  /**
   * The jobs a stage-scheduled job of this stage waits for. GitLab starts such a job once
   * every job of the earlier stages is complete; the list contains the earlier jobs that no
   * other earlier job waits for, which is enough to cover all of them.
   */
  waits_for: string[];
}

/**
 * A job GitLab creates.
 */
export interface PlannedJob {
  /**
   * Job name; a parallel instance has its generated name (`test 1/3`, `build: [amd64]`).
   */
  name: string;
  /**
   * Regular job or trigger job (`bridge`).
   */
  kind: JobKind;
  /**
   * Stage.
   */
  stage: string;
  /**
   * The parallel job this instance was expanded from, with its position.
   */
  parallel?: ParallelInstance;
  /**
   * Effective `when`: the matched rule's, else the job's, else `on_success`.
   */
  when: When;
  /**
   * Effective `allow_failure`: the matched rule's, else the job's, else `true` for a job
   * whose own `when` is `manual` and `false` otherwise. `{exit_codes: [...]}` lets the job
   * fail only with those exit codes.
   */
  allow_failure: AllowFailure;
  /**
   * The delay of a `when: delayed` job, counted from when the job becomes ready.
   */
  start_in?: PlanDuration;
  /**
   * The confirmation message of a manual job.
   */
  manual_confirmation?: string;
  /**
   * `stage`: the job waits for every job of the earlier stages; `dag`: only for its
   * `needs`.
   */
  scheduling_type: SchedulingType;
  /**
   * The jobs of this pipeline a DAG job waits for, after `rules:needs` and without optional
   * needs on absent jobs; absent for a stage-scheduled job. An empty list means the job
   * can start as soon as the pipeline does.
   */
  needs?: NeedEdge[];
  /**
   * `needs:project` and `needs:pipeline` entries: artifacts from other pipelines, which the
   * job does not wait for.
   */
  cross_needs?: CrossNeed[];
  /**
   * `dependencies:`, without the jobs that are not in the pipeline. Without the keyword a
   * job takes the artifacts of every job of earlier stages, or of its `needs`.
   */
  dependencies?: string[];
  /**
   * The job's variables: the winning definition of each name, with its origin and the
   * value GitLab sends after expanding references between variables.
   */
  variables: PlanVariable[];
  /**
   * The protected CI/CD variables that apply to the job but that GitLab leaves out, because
   * the pipeline's ref is not protected. A name listed here may still be in `variables`,
   * with a value from a lower level or from the YAML.
   */
  withheld_variables?: WithheldVariable[];
  /**
   * Runner tags as GitLab saves them: expanded, with references to undefined variables
   * kept as written, then split at commas outside quotes, stripped of surrounding white
   * space, without blank and repeated tags.
   */
  tags: string[];
  /**
   * `image:`, as written and as the runner would expand it.
   */
  image?: PlanImage;
  /**
   * `services:`.
   */
  services?: PlanService[];
  /**
   * `environment:`, with the name and URL expanded as GitLab does.
   */
  environment?: PlanEnvironment;
  /**
   * `resource_group:` after GitLab's expansion.
   */
  resource_group?: string;
  /**
   * Effective `interruptible`: the matched rule's, else the job's, else `false`.
   */
  interruptible: boolean;
  /**
   * `timeout:`; without it the project's timeout applies.
   */
  timeout?: PlanDuration;
  /**
   * `retry:`.
   */
  retry?: PlanRetry;
  /**
   * `cache:` entries.
   */
  cache?: PlanCache[];
  /**
   * `artifacts:`.
   */
  artifacts?: PlanArtifacts;
  /**
   * `trigger:` of a trigger job, with the downstream pipeline when glplan could plan it.
   */
  trigger?: PlanTrigger;
  /**
   * Why the job was created.
   */
  rule: JobRule;
  /**
   * Where the job is defined.
   */
  location?: SourceLocation;
  /**
   * The runners that can take the job, and why the others cannot; only with runner files.
   */
  runners?: JobRunners;
}

/**
 * The kind of a job.
 */
export type JobKind = "job" | "bridge";

/**
 * Identity of a parallel instance.
 */
export interface ParallelInstance {
  /**
   * Name of the job that was expanded.
   */
  base_name: string;
  /**
   * `CI_NODE_INDEX`, from 1.
   */
  node_index: number;
  /**
   * `CI_NODE_TOTAL`.
   */
  node_total: number;
}

/**
 * When a job runs.
 */
export type When = "on_success" | "on_failure" | "always" | "manual" | "delayed" | "never";

/**
 * Whether a job may fail without failing the pipeline.
 */
export type AllowFailure = boolean | {
  /**
   * The exit codes.
   */
  exit_codes: ExitCode[];
};

/**
 * A script exit code: a number from -(2^53 - 1) to 2^53 - 1, which a JavaScript number
 * represents exactly, else a string of its decimal digits.
 */
export type ExitCode = number | string;

/**
 * A length of time as written, with its value in seconds.
 */
export interface PlanDuration {
  /**
   * The text as written, such as `30 minutes`.
   */
  text: string;
  /**
   * Whole seconds.
   */
  seconds: number;
}

/**
 * What a job waits for before it starts.
 */
export type SchedulingType = "stage" | "dag";

/**
 * A need on a job of this pipeline.
 */
export interface NeedEdge {
  /**
   * The needed job.
   */
  job: string;
  /**
   * Whether the job downloads the needed job's artifacts and `dotenv` variables.
   */
  artifacts: boolean;
  /**
   * Whether the need was written with `optional: true`.
   */
  optional: boolean;
}

/**
 * A `needs:project` or `needs:pipeline` entry.
 *
 * `project`, `ref`, `pipeline` and `job` are as written. GitLab expands them with the job's
 * variables only when a runner takes the job, and each `*_expanded` member contains that value
 * when it differs from the written one. An upstream status mirror's project is never
 * expanded.
 */
export interface CrossNeed {
  /**
   * The project of `needs:project`.
   */
  project?: string;
  /**
   * `project` as GitLab expands it, when that changes it.
   */
  project_expanded?: string;
  /**
   * The ref of `needs:project`.
   */
  ref?: string;
  /**
   * `ref` as GitLab expands it, when that changes it.
   */
  ref_expanded?: string;
  /**
   * The pipeline of `needs:pipeline` (usually `$PARENT_PIPELINE_ID`), or of a trigger
   * job's upstream status mirror.
   */
  pipeline?: string;
  /**
   * `pipeline` of `needs:pipeline:job` as GitLab expands it, when that changes it. GitLab
   * reads the leading decimal digits of the result as the pipeline ID.
   */
  pipeline_expanded?: string;
  /**
   * The job whose artifacts are downloaded; absent for an upstream status mirror.
   */
  job?: string;
  /**
   * `job` as GitLab expands it, when that changes it.
   */
  job_expanded?: string;
  /**
   * The variables that the values reference and whose values are known only once a runner
   * takes the job, such as `CI_RUNNER_TAGS`. A value that references one has no
   * `*_expanded` member.
   */
  unknown_variables?: string[];
  /**
   * Whether artifacts are downloaded.
   */
  artifacts: boolean;
}

/**
 * One variable of a job: the winning definition of the name.
 */
export interface PlanVariable {
  /**
   * Variable name.
   */
  name: string;
  /**
   * The value GitLab sends to the runner: references to other variables expanded,
   * references the runner resolves (undefined, file and raw variables) kept as written.
   * `[MASKED]` for a masked variable.
   */
  value: string;
  /**
   * Where the winning definition comes from, which is its precedence level.
   */
  source: VariableSource;
  /**
   * Whether the value is masked in job logs.
   */
  masked?: boolean;
  /**
   * Whether the value is raw (`expand: false`): used as written.
   */
  raw?: boolean;
  /**
   * Whether the variable is of type file.
   */
  file?: boolean;
  /**
   * Whether the winning definition is a protected CI/CD variable, which GitLab passes only
   * to pipelines of protected branches and tags.
   */
  protected?: boolean;
  /**
   * The environment scope of the winning definition, for a project, group or deployment
   * variable whose scope is not `*` (every environment).
   */
  environment_scope?: string;
  /**
   * The full path of the group that defines the winning definition, for a group variable.
   */
  group?: string;
  /**
   * The origins of the definitions this one overrides, lowest precedence first.
   */
  overrides?: VariableSource[];
  /**
   * The environment scope of each definition in `overrides`, at the same index: the scope
   * of a project, group or deployment variable when it is not `*`, else `null`. Empty when
   * every entry would be `null`.
   */
  override_scopes?: (string | null)[];
  /**
   * The full path of the group of each definition in `overrides`, at the same index, for a
   * group variable, else `null`. Empty when every entry would be `null`.
   */
  override_groups?: (string | null)[];
}

/**
 * A protected CI/CD variable that applies to a job, but that GitLab does not pass to it
 * because the pipeline's ref is not protected.
 */
export interface WithheldVariable {
  /**
   * Variable name.
   */
  name: string;
  /**
   * The levels of the protected definitions left out, lowest precedence first: `instance`,
   * `group` (once per group, from the top-level group down) and `project`.
   */
  sources: VariableSource[];
  /**
   * The environment scope of each definition in `sources`, at the same index: the scope of
   * a group or project variable when it is not `*`, else `null`. When several scopes of one
   * level apply, the entry has the most specific one, which would win. Empty when every
   * entry would be `null`.
   */
  scopes?: (string | null)[];
  /**
   * The full path of the group of each definition in `sources`, at the same index, for a
   * group variable, else `null`. Empty when every entry would be `null`.
   */
  groups?: (string | null)[];
}

/**
 * `image:` of a job.
 */
export interface PlanImage {
  /**
   * The image as written. The runner expands variables in it.
   */
  name: string;
  /**
   * The name with the job's variables expanded as the runner does, when that changes it.
   */
  expanded?: string;
  /**
   * `entrypoint:`.
   */
  entrypoint?: string[];
  /**
   * `pull_policy:`, in order of preference.
   */
  pull_policy?: string[];
}

/**
 * One entry of `services:`.
 */
export interface PlanService {
  /**
   * The image as written.
   */
  name: string;
  /**
   * The name with the job's variables expanded as the runner does, when that changes it.
   */
  expanded?: string;
  /**
   * `alias:`.
   */
  alias?: string;
  /**
   * The host names the job reaches the service at.
   */
  hostnames: string[];
  /**
   * `pull_policy:`, in order of preference.
   */
  pull_policy?: string[];
}

/**
 * `environment:` of a job.
 */
export interface PlanEnvironment {
  /**
   * The name after GitLab's expansion (`CI_ENVIRONMENT_NAME`).
   */
  name: string;
  /**
   * The name as written, when expansion changed it.
   */
  written?: string;
  /**
   * `url:` after expansion with the job's variables.
   */
  url?: string;
  /**
   * `action:` (`start` by default).
   */
  action: string;
  /**
   * `deployment_tier:`, when written.
   */
  deployment_tier?: string;
  /**
   * `on_stop:`.
   */
  on_stop?: string;
  /**
   * `auto_stop_in:` after expansion.
   */
  auto_stop_in?: string;
}

/**
 * `retry:` of a job.
 */
export interface PlanRetry {
  /**
   * How many times GitLab retries a failed job (0 to 2).
   */
  max: number;
  /**
   * Failure reasons that cause a retry. When the job lists none: empty if it sets
   * `exit_codes` (only the exit codes decide), `always` otherwise.
   */
  when: string[];
  /**
   * Exit codes that cause a retry.
   */
  exit_codes?: ExitCode[];
}

/**
 * One `cache:` entry.
 */
export interface PlanCache {
  /**
   * The key as written (`default` when not written); absent for a key computed from
   * files.
   */
  key?: string;
  /**
   * The key with the job's variables expanded as the runner does, when that changes it.
   */
  key_expanded?: string;
  /**
   * `key:files` or `key:files_commits`: the key is computed from these files' commits.
   */
  key_files?: string[];
  /**
   * `key:prefix`.
   */
  key_prefix?: string;
  /**
   * `paths:`.
   */
  paths?: string[];
  /**
   * `policy:` (`pull-push` by default).
   */
  policy: string;
  /**
   * `when:` (`on_success` by default).
   */
  when: string;
  /**
   * `untracked: true`.
   */
  untracked?: boolean;
  /**
   * `unprotect: true`.
   */
  unprotect?: boolean;
  /**
   * `fallback_keys:`.
   */
  fallback_keys?: string[];
}

/**
 * `artifacts:` of a job.
 */
export interface PlanArtifacts {
  /**
   * `paths:`.
   */
  paths?: string[];
  /**
   * `exclude:`.
   */
  exclude?: string[];
  /**
   * `name:`.
   */
  name?: string;
  /**
   * `when:` (`on_success` by default).
   */
  when: string;
  /**
   * `expire_in:` as written.
   */
  expire_in?: string;
  /**
   * `untracked: true`.
   */
  untracked?: boolean;
  /**
   * The report types under `reports:`.
   */
  reports?: string[];
  /**
   * The `reports:dotenv` files, whose variables flow to the jobs that take this job's
   * artifacts.
   */
  dotenv?: string[];
}

/**
 * `trigger:` of a trigger job and the downstream pipeline.
 */
export interface PlanTrigger {
  /**
   * A child pipeline of this project, or a pipeline of another project.
   */
  kind: TriggerKind;
  /**
   * The downstream project (multi-project pipelines), after GitLab's expansion.
   */
  project?: string;
  /**
   * The downstream branch (multi-project pipelines; the project's default branch when
   * absent), after GitLab's expansion.
   */
  branch?: string;
  /**
   * The configuration files of a child pipeline, as written.
   */
  include?: string[];
  /**
   * `strategy:`: absent when the trigger job succeeds as soon as the downstream pipeline
   * is created, `depend` or `mirror` when it takes the downstream pipeline's status.
   */
  strategy?: string;
  /**
   * Whether the job's YAML variables are passed downstream (`forward:yaml_variables`).
   */
  forward_yaml_variables: boolean;
  /**
   * Whether this pipeline's pipeline variables are passed downstream
   * (`forward:pipeline_variables`).
   */
  forward_pipeline_variables: boolean;
  /**
   * The variables the downstream pipeline receives as pipeline variables.
   */
  variables?: NameValue[];
  /**
   * The planned child pipeline, when its configuration files were available.
   */
  downstream?: Pipeline;
  /**
   * Why the downstream pipeline is not planned, or what GitLab will do with it.
   */
  note?: string;
  /**
   * Whether GitLab creates the downstream pipeline only when a user plays the trigger job,
   * because the job is `manual`. The child pipeline in `downstream` is still planned, as if
   * the job were played. `false` when GitLab cannot create the child pipeline, whose trigger
   * job fails when played.
   */
  downstream_created_when_played?: boolean;
}

/**
 * The kind of downstream pipeline.
 */
export type TriggerKind = "child" | "multi_project";

/**
 * What decided that a job exists or not.
 */
export interface JobRule {
  /**
   * The keywords that decided.
   */
  by: DecidedBy;
  /**
   * One line explaining the decision.
   */
  summary: string;
  /**
   * Index (from 0) of the rule that matched.
   */
  matched?: number;
  /**
   * Each rule evaluated, in order, up to the one that matched. Kept only with the
   * `rule_traces` option.
   */
  rules?: RuleEvaluation[];
  /**
   * `only:` (or the implicit `only: [branches, tags]`). Kept only with the `rule_traces`
   * option.
   */
  only?: PolicyEvaluation;
  /**
   * `except:`. Kept only with the `rule_traces` option.
   */
  except?: PolicyEvaluation;
  /**
   * Whether `only` is the implicit `only: [branches, tags]` of a job without `only` and
   * `rules`.
   */
  implicit_only?: boolean;
  /**
   * Results glplan assumed because a fact is not available offline.
   */
  notes?: string[];
}

/**
 * The keywords that decided whether a job exists.
 */
export type DecidedBy = "rules" | "only_except" | "unconditional" | "workflow";

/**
 * The evaluation of one `only:` or `except:`.
 */
export interface PolicyEvaluation {
  /**
   * For `only`, whether every key holds; for `except`, whether any key holds.
   */
  satisfied: boolean;
  /**
   * Each key written, in the order `refs`, `variables`, `changes`, `kubernetes`.
   */
  keys: ClauseEvaluation[];
}

/**
 * A job GitLab does not create.
 */
export interface AbsentJob {
  /**
   * Job name.
   */
  name: string;
  /**
   * Stage.
   */
  stage: string;
  /**
   * Why the job is absent.
   */
  reason: AbsentReason;
  /**
   * The evaluation behind the decision; absent when `workflow:rules` filtered the whole
   * pipeline out before any job was looked at.
   */
  rule?: JobRule;
  /**
   * Where the job is defined.
   */
  location?: SourceLocation;
}

/**
 * Why a job is absent.
 */
export type AbsentReason = "workflow_filtered" | "skip_ci" | "no_rule_matched" | "when_never" | "only_except" | "rule_error";

/**
 * Something glplan reports about the pipeline.
 */
export interface PlanDiagnostic {
  /**
   * Stable kebab-case identifier, such as `missing-need`.
   */
  code: string;
  /**
   * `error` when GitLab does not create the pipeline because of it.
   */
  severity: Severity;
  /**
   * The message, in GitLab's wording where GitLab reports the same problem.
   */
  message: string;
  /**
   * The job it is about.
   */
  job?: string;
  /**
   * Where the problem is written.
   */
  location?: SourceLocation;
  /**
   * How to fix it.
   */
  help?: string;
}

/**
 * The runners of one job in the JSON of `plan`.
 */
export interface JobRunners {
  /**
   * Whether the job needs a runner; trigger jobs run in GitLab itself.
   */
  needs_runner: boolean;
  /**
   * The names of the runners GitLab may hand the job to, in fleet order.
   */
  eligible: string[];
  /**
   * Whether the job needs a runner and no runner can take it.
   */
  stuck: boolean;
  /**
   * Every other runner, with the first reason GitLab skips it.
   */
  rejected: RejectedRunner[];
}

/**
 * A runner that cannot take a job, by name, with the reason's fields beside it.
 */
export type RejectedRunner = {
  /**
   * The runner's name.
   */
  runner: string;
  /**
   * The reason as a sentence, naming the runner.
   */
  message: string;
} & ({
  reason: "host_not_running";
} | {
  reason: "other_server";
  /**
   * The runner's `url`.
   */
  url: string;
  /**
   * The pipeline's server host.
   */
  server_host: string;
} | {
  reason: "executor_not_found";
} | {
  reason: "paused";
} | {
  reason: "shared_runners_disabled";
} | {
  reason: "project_not_assigned";
  /**
   * The projects it is assigned to.
   */
  projects: string[];
  /**
   * Whether it is locked, so that it cannot be enabled for the project either.
   */
  locked: boolean;
} | {
  reason: "group_not_ancestor";
  /**
   * The runner's group.
   */
  groups: string[];
} | {
  reason: "protected_ref_only";
} | {
  reason: "missing_tags";
  /**
   * The job's tags the runner does not have, in the job's order.
   */
  tags: string[];
} | {
  reason: "untagged_job";
});

/**
 * Every runner of every host, in file order.
 */
export interface Fleet {
  /**
   * One entry per gitlab-runner `config.toml`.
   */
  hosts: Host[];
  /**
   * Every `[[runners]]` entry of every host, host by host in the order the files were given,
   * then in file order.
   */
  runners: Runner[];
}

/**
 * One gitlab-runner process, described by one `config.toml`.
 */
export interface Host {
  /**
   * The runner file's name.
   */
  name: string;
  /**
   * The file.
   */
  file: FileId;
  /**
   * `concurrent`: the size of the worker pool, which bounds the jobs running at once over
   * all of the host's runners. Default 1.
   */
  concurrent: number;
  /**
   * `check_interval` in seconds: the length of one polling round over the host's runners.
   * Default 3; values of 0 or less also mean 3.
   */
  check_interval: number;
}

/**
 * Index of the file among the files the call read.
 */
export type FileId = number;

/**
 * One `[[runners]]` entry: a runner registered in GitLab, run by one host.
 */
export interface Runner {
  /**
   * Index of the host in the fleet's `hosts`, from 0.
   */
  host: number;
  /**
   * `name`; `runners[N]` (from 0, in its file) when the entry has none.
   */
  name: string;
  /**
   * `url`.
   */
  url?: string;
  /**
   * Whether `token` is set. The token itself is never kept.
   */
  has_token: boolean;
  /**
   * `executor`; `None` when it is missing or not one gitlab-runner supports, in which case the
   * runner requests no jobs.
   */
  executor: Executor | null;
  /**
   * `limit`: the most jobs this runner runs at once; 0 means no limit of its own.
   */
  limit: number;
  /**
   * `request_concurrency`: the most job requests in flight at once. Default 1.
   */
  request_concurrency: number;
  /**
   * `strict_check_interval`: after a job, the runner waits for its next turn of the
   * feeder (`check_interval`) instead of requesting the next job at once. Default `false`.
   */
  strict_check_interval?: boolean;
  /**
   * `environment`: `NAME=value` entries added to every job's environment.
   */
  environment?: string[];
  /**
   * The runner's tags.
   */
  tags: string[];
  /**
   * Whether the runner takes jobs without tags.
   */
  run_untagged: boolean;
  /**
   * Whether this project runner is locked to its projects.
   */
  locked: boolean;
  /**
   * Whether the runner is paused.
   */
  paused: boolean;
  /**
   * The refs whose jobs the runner takes.
   */
  access_level: AccessLevel;
  /**
   * The runner's scope.
   */
  runner_type: RunnerType;
  /**
   * The projects a project runner is assigned to. Empty means the planned project.
   */
  projects?: string[];
  /**
   * The group of a group runner. Empty means the planned project's group.
   */
  groups?: string[];
  /**
   * The maximum job timeout in seconds.
   */
  maximum_timeout?: number;
  /**
   * `[runners.docker]`.
   */
  docker?: DockerSettings;
  /**
   * `[runners.kubernetes]`.
   */
  kubernetes?: KubernetesSettings;
  /**
   * `[runners.cache]`.
   */
  cache?: CacheSettings;
  /**
   * `[runners.machine]` of a `docker+machine` runner.
   */
  machine?: MachineSettings;
  /**
   * `[runners.autoscaler]` of a `docker-autoscaler` or `instance` runner.
   */
  autoscaler?: AutoscalerSettings;
  /**
   * `[runners.instance]` of an `instance` runner.
   */
  instance?: InstanceSettings;
  /**
   * `[runners.virtualbox]` of a `virtualbox` runner.
   */
  virtualbox?: VmSettings;
  /**
   * `[runners.parallels]` of a `parallels` runner.
   */
  parallels?: VmSettings;
}

/**
 * An executor gitlab-runner supports.
 */
export type Executor = "shell" | "docker" | "docker-windows" | "docker+machine" | "docker-autoscaler" | "instance" | "kubernetes" | "ssh" | "parallels" | "virtualbox" | "custom";

/**
 * The refs whose jobs a runner takes (`access_level`).
 */
export type AccessLevel = "not_protected" | "ref_protected";

/**
 * The scope of a runner (`runner_type`).
 */
export type RunnerType = "instance_type" | "group_type" | "project_type";

/**
 * `[runners.docker]`.
 */
export interface DockerSettings {
  /**
   * `image`: used when the job has none.
   */
  image?: string;
  /**
   * `privileged`: build and service containers run privileged.
   */
  privileged: boolean;
  /**
   * `services_privileged`: overrides `privileged` for service containers.
   */
  services_privileged?: boolean;
  /**
   * `volumes`, in Docker's `-v` syntax.
   */
  volumes?: string[];
  /**
   * `pull_policy`, in order; empty means `always`.
   */
  pull_policy?: string[];
  /**
   * `allowed_pull_policies`; empty means the `pull_policy` list.
   */
  allowed_pull_policies?: string[];
  /**
   * `allowed_images`: patterns; empty allows every image.
   */
  allowed_images?: string[];
  /**
   * `allowed_services`: patterns; empty allows every service.
   */
  allowed_services?: string[];
  /**
   * `services` started with every job.
   */
  services?: RunnerService[];
  /**
   * `services_limit`: the maximum number of services of a job, the runner's own `services`
   * included. Unset or negative means no limit, and gitlab-runner's default is -1.
   */
  services_limit?: number;
  /**
   * `host`: the Docker daemon the runner uses.
   */
  host?: string;
  /**
   * `network_mode`.
   */
  network_mode?: string;
}

/**
 * A service a runner starts with every job (`[[runners.docker.services]]`,
 * `[[runners.kubernetes.services]]`).
 */
export interface RunnerService {
  /**
   * `name`: the image.
   */
  name: string;
  /**
   * `alias`: space- or comma-separated host names.
   */
  alias?: string;
  /**
   * `environment`: `NAME=value` entries.
   */
  environment?: string[];
}

/**
 * `[runners.kubernetes]`.
 */
export interface KubernetesSettings {
  /**
   * `image`: used when the job has none.
   */
  image?: string;
  /**
   * `namespace`.
   */
  namespace?: string;
  /**
   * `privileged`: every container of the pod runs privileged.
   */
  privileged: boolean;
  /**
   * The build container's `cpu_request`, `memory_limit` and so on.
   */
  build: ContainerResources;
  /**
   * The service containers' `service_cpu_request` and so on.
   */
  service: ContainerResources;
  /**
   * The helper container's `helper_cpu_request` and so on.
   */
  helper: ContainerResources;
  /**
   * `poll_interval` in seconds. Default 3.
   */
  poll_interval: number;
  /**
   * `poll_timeout` in seconds: how long the runner waits for the pod to start. Default 180.
   */
  poll_timeout: number;
  /**
   * `node_selector`.
   */
  node_selector?: { [key: string]: string };
  /**
   * `services` started with every job.
   */
  services?: RunnerService[];
  /**
   * `allowed_images`.
   */
  allowed_images?: string[];
  /**
   * `allowed_services`.
   */
  allowed_services?: string[];
  /**
   * `pull_policy`; empty means the cluster's default.
   */
  pull_policy?: string[];
  /**
   * `allowed_pull_policies`.
   */
  allowed_pull_policies?: string[];
  /**
   * The `mount_path` of every volume under `[runners.kubernetes.volumes]`.
   */
  volume_mounts?: string[];
  /**
   * The `*_overwrite_max_allowed` keys that are set, which let jobs override the matching
   * request or limit with `KUBERNETES_*` variables.
   */
  overwrite_max_allowed?: { [key: string]: string };
}

/**
 * Resource requests and limits of one kind of container in a Kubernetes job pod, as written
 * (Kubernetes quantities such as `500m` or `1Gi`).
 */
export interface ContainerResources {
  /**
   * `*cpu_request`.
   */
  cpu_request?: string;
  /**
   * `*cpu_limit`.
   */
  cpu_limit?: string;
  /**
   * `*memory_request`.
   */
  memory_request?: string;
  /**
   * `*memory_limit`.
   */
  memory_limit?: string;
  /**
   * `*ephemeral_storage_request`.
   */
  ephemeral_storage_request?: string;
  /**
   * `*ephemeral_storage_limit`.
   */
  ephemeral_storage_limit?: string;
}

/**
 * `[runners.cache]`.
 */
export interface CacheSettings {
  /**
   * `Type`: `s3`, `gcs` or `azure`; none means a local cache on the host.
   */
  type?: string;
  /**
   * `Path`: prefix of the cache keys.
   */
  path?: string;
  /**
   * `Shared`: whether runners share the cache.
   */
  shared: boolean;
}

/**
 * `[runners.machine]`.
 */
export interface MachineSettings {
  /**
   * `IdleCount`: machines kept idle.
   */
  idle_count: number;
  /**
   * `IdleTime` in seconds.
   */
  idle_time: number;
  /**
   * `MaxBuilds`: jobs per machine before it is removed; 0 means no maximum.
   */
  max_builds: number;
  /**
   * `MaxGrowthRate`: machines created at once; 0 means no maximum.
   */
  max_growth_rate: number;
  /**
   * `MachineDriver`.
   */
  machine_driver?: string;
}

/**
 * `[runners.autoscaler]`.
 */
export interface AutoscalerSettings {
  /**
   * `plugin`.
   */
  plugin?: string;
  /**
   * `capacity_per_instance`: jobs one instance runs at once. Default 1.
   */
  capacity_per_instance: number;
  /**
   * `max_use_count`: jobs per instance before it is removed; 0 means no maximum.
   */
  max_use_count: number;
  /**
   * `max_instances`: 0 means no maximum.
   */
  max_instances: number;
}

/**
 * `[runners.instance]`.
 */
export interface InstanceSettings {
  /**
   * `allowed_images`: which job images may select the VM image when VM isolation is on.
   */
  allowed_images?: string[];
}

/**
 * `[runners.virtualbox]` or `[runners.parallels]`: the virtual machine each job runs in.
 */
export interface VmSettings {
  /**
   * `base_name`: the VM the runner clones for a job.
   */
  base_name?: string;
  /**
   * `allowed_images`: regular expressions of the VM names a job's `image` may select instead
   * of `base_name`. Empty: the runner ignores the job's `image`.
   */
  allowed_images?: string[];
}
