//! Command-line arguments.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};
use glplan::context::{
    MergeRequestEventType, PipelineSource, is_project_path, is_server_host, is_variable_name,
    project_key, server_host_problem,
};
use glplan::schedule::JobSelector;

/// Offline planner for GitLab CI/CD pipelines: resolves `.gitlab-ci.yml` with its includes the
/// way GitLab does, reports what GitLab would reject, and shows the resulting jobs.
#[derive(Debug, Parser)]
#[command(name = "glplan", version, max_term_width = 100)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a pipeline configuration and print its diagnostics.
    ///
    /// Takes the context options of `plan`. They set the variables, masked names and changed
    /// files that `include` locations and `include:rules` see. They also reach
    /// `workflow:rules` and the jobs' rules, which decide the trigger jobs that this pipeline
    /// creates. The configurations of those jobs' child pipelines (`trigger:include`) are
    /// checked too, and no others. Exits with 0 when there is no error (warnings allowed), 1
    /// when there is an error, and 2 when the command line is invalid or a file or folder
    /// cannot be read.
    Lint(LintArgs),
    /// Print the merged configuration after include, extends, !reference, default and parallel.
    ///
    /// Takes the context options of `plan`, as `lint` does. Diagnostics go to standard error;
    /// exit codes are those of `lint`.
    Config(ConfigArgs),
    /// Print the pipeline GitLab would create for one push, tag, merge request or other
    /// trigger: the outcome of `workflow:rules`, the stages with each job's `when`,
    /// `allow_failure`, `needs`, tags and image, and the jobs left out with the reason.
    ///
    /// Without context options it plans a push to the default branch. Diagnostics go to
    /// standard error. Exits with 0 when the pipeline is created, and also when
    /// `workflow:rules` or the jobs' rules leave no pipeline (the reason is printed); with 1
    /// when the configuration has an error or pipeline creation fails (for example a missing
    /// required need); with 2 when the command line is invalid or a file cannot be read.
    Plan(PlanArgs),
    /// Explain one job: the rule that kept it or left it out (with the expression, its
    /// location and the values it read), its variables with their precedence source, its
    /// needs and the jobs that need it, `when`, `allow_failure`, `start_in`, tags and image.
    ///
    /// Takes the context options of `plan`. Exits with 1 when the job is not in the
    /// configuration, otherwise as `plan` does.
    Explain(ExplainArgs),
    /// Simulate the pipeline on a runner fleet. Prints when each job is queued, starts and
    /// ends, on which runner and slot, and with what result. Also prints how busy each runner
    /// is, the critical path, the longest waits for a runner and the stuck jobs.
    ///
    /// Takes the context options of `plan`. Without `--runners`, every job starts as soon as
    /// it is ready. Exits with 0 when the pipeline is created, no child pipeline that `plan`
    /// plans has an error, and the runner and durations files have no error, whatever the
    /// simulated result. Exits with 1 otherwise, and with 2 when the command line is invalid
    /// or a file cannot be read.
    Schedule(ScheduleArgs),
}

/// Arguments of `glplan lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files and options shared by every command.
    #[command(flatten)]
    pub common: CommonArgs,
    /// The pipeline whose variables, masked names and changed files `include` uses, and whose
    /// rules decide which child pipelines are checked.
    #[command(flatten)]
    pub context: ContextArgs,
    /// Output format: `human` prints rustc-style text with source snippets; `json` prints an
    /// array of diagnostics with file, line and column.
    #[arg(long, value_enum, default_value_t = LintFormat::Human)]
    pub format: LintFormat,
}

/// Arguments of `glplan config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Files and options shared by every command.
    #[command(flatten)]
    pub common: CommonArgs,
    /// The pipeline whose variables, masked names and changed files `include` uses.
    #[command(flatten)]
    pub context: ContextArgs,
    /// Output format of the configuration.
    #[arg(long, value_enum, default_value_t = ConfigFormat::Yaml)]
    pub format: ConfigFormat,
}

/// Arguments of `glplan plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Files and options shared by every command.
    #[command(flatten)]
    pub common: CommonArgs,
    /// The pipeline to plan.
    #[command(flatten)]
    pub context: ContextArgs,
    /// Output format: `table` prints the workflow outcome, one row per job grouped by stage
    /// and the absent jobs. `json` prints the pipeline object, whose `version` field changes
    /// when a member changes its meaning or type or disappears. `dot` prints a Graphviz
    /// digraph and `mermaid` a Mermaid flowchart of the jobs and their needs.
    #[arg(long, value_enum, default_value_t = PlanFormat::Table)]
    pub format: PlanFormat,
    /// Keeps in each job's `rule` the evaluation of every rule up to the matched one, and of
    /// `only` and `except`: each clause's result, expression, variable reads and location.
    /// Without it a job's `rule` keeps `by`, `summary`, `matched`, `implicit_only` and `notes`.
    /// Only the `json` format shows the traces, so other formats reject the option; `glplan
    /// explain` always shows them.
    #[arg(long)]
    pub rule_traces: bool,
    /// A gitlab-runner `config.toml` file (one per host) or a GitLab runner settings file;
    /// adds each job's eligible runners, or `stuck`, to the output, and checks the runners'
    /// executor settings against the jobs. Repeat the option for several files.
    #[arg(long, value_name = "FILE")]
    pub runners: Vec<PathBuf>,
}

/// Arguments of `glplan schedule`.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// Files and options shared by every command.
    #[command(flatten)]
    pub common: CommonArgs,
    /// The pipeline to plan.
    #[command(flatten)]
    pub context: ContextArgs,
    /// A gitlab-runner `config.toml` file (one per host) or a GitLab runner settings file.
    /// Repeat the option for several files [default: unlimited runners that take every job at
    /// once].
    #[arg(long, value_name = "FILE")]
    pub runners: Vec<PathBuf>,
    /// YAML file of job run times: `default:` (5 minutes when absent), `timeout:` (the
    /// project's job timeout, 1 hour when absent) and `jobs:`, mapping job names or globs to
    /// a duration or to `{duration, fail, exit_code}`. `exit_code` is the code gitlab-runner
    /// reports, from -2147483648 to 4294967295. As in GitLab, `timeout:` must be at least 10
    /// minutes and less than 1 month. The jobs of a planned child pipeline are named
    /// after their trigger job (`deploy/rspec`), or by a key that is a path, such as
    /// `[deploy, rspec]`. An entry for that trigger job is ignored with a warning, because the
    /// child pipeline decides when it ends.
    #[arg(long, value_name = "FILE")]
    pub durations: Option<PathBuf>,
    /// Plays the manual job JOB (a job name, or a parallel job's name for all its
    /// instances) as soon as it becomes manual. A job of a planned child pipeline is named
    /// after its trigger job, as in `deploy/rspec`, which is ambiguous when a job name contains
    /// `/`. A value that starts with `[` is a path instead: the whole names of the trigger jobs
    /// from the top pipeline down, then the job, as a YAML flow sequence such as
    /// `[deploy, rspec]`, as `explain --in` takes them. Repeat for several jobs. A job that
    /// GitLab creates as failed (`environment_creation_failure`) cannot be played and is an
    /// error.
    #[arg(long, value_name = "JOB", value_parser = parse_job_selector)]
    pub play: Vec<JobSelector>,
    /// Makes every attempt of JOB fail with exit code 1 (`script_failure`), to see what
    /// runs after a failure. JOB is a name or a path, as for `--play`. A trigger job whose
    /// child pipeline is simulated fails at its start with
    /// `downstream_pipeline_creation_failed`, without a child pipeline. Any other trigger job,
    /// such as a multi-project one, fails after its run time from the durations file. With
    /// `strategy: depend` or `mirror` it fails without a failure reason, as GitLab fails it for
    /// a failed downstream pipeline. Without a strategy it fails with
    /// `downstream_pipeline_creation_failed`. Repeat for several jobs.
    #[arg(long, value_name = "JOB", value_parser = parse_job_selector)]
    pub fail: Vec<JobSelector>,
    /// Output format: `table` prints the jobs, the runners and the summary, and `json` the
    /// schedule object, or `{"schedule": null, "diagnostics": [...]}` when GitLab would not
    /// create the pipeline. `mermaid` prints a Mermaid Gantt chart with one section per runner.
    #[arg(long, value_enum, default_value_t = ScheduleFormat::Table)]
    pub format: ScheduleFormat,
}

/// Arguments of `glplan explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Name of the job to explain, as the pipeline names it (a parallel instance is
    /// `test 1/2` or `build: [amd64]`).
    pub job: String,
    /// Looks for JOB in the child pipeline of trigger job TRIGGER, by whole names; repeat it
    /// for a grandchild, outermost first (`--in deploy --in nested`). Without it, JOB may name
    /// a child pipeline's job as `TRIGGER/JOB`, which is ambiguous when a job name contains `/`.
    #[arg(long = "in", value_name = "TRIGGER")]
    pub triggers: Vec<String>,
    /// Files and options shared by every command.
    #[command(flatten)]
    pub common: CommonArgs,
    /// The pipeline to plan.
    #[command(flatten)]
    pub context: ContextArgs,
    /// Lists the predefined variables (`CI_*`, `GITLAB_*`) among the job's variables too.
    #[arg(long)]
    pub predefined: bool,
    /// `plan`'s option, accepted here only to reject it with an error that explains that
    /// `explain` always shows the rule traces.
    #[arg(long, hide = true)]
    pub rule_traces: bool,
    /// Output format: `text` for reading, `json` for the job's object from the pipeline
    /// (`job`, or `absent` for a job left out) with its graph neighbours.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
}

/// The pipeline to plan: what triggered it, for which ref, with which variables and changes.
/// Without any of these options, glplan plans a push to the default branch.
#[derive(Debug, Clone, Default, Args)]
pub struct ContextArgs {
    /// Pipeline source, the value of `CI_PIPELINE_SOURCE` (such as `push`, `web`,
    /// `schedule`, `merge_request_event`) [default: `push`, or `merge_request_event` with an
    /// `--mr-*` option]. `parent_pipeline` with an `--mr-*` option plans the child of a merge
    /// request pipeline.
    #[arg(long, value_name = "SOURCE", value_parser = parse_source)]
    pub source: Option<PipelineSource>,

    /// Branch or tag the pipeline runs for (`CI_COMMIT_REF_NAME`), named as GitLab names it,
    /// without `refs/heads/` or `refs/tags/`. A name that `git check-ref-format` rejects is an
    /// error [default: the default branch, or the merge request's source branch].
    #[arg(long = "ref", value_name = "REF", value_parser = parse_non_empty)]
    pub ref_name: Option<String>,

    /// Makes `--ref` a tag: sets `CI_COMMIT_TAG` instead of `CI_COMMIT_BRANCH`.
    #[arg(long, requires = "ref_name")]
    pub tag: bool,

    /// The project's default branch (`CI_DEFAULT_BRANCH`). A push to it counts as a push to a
    /// protected branch unless `--protected-ref false` is given [default: `main`].
    #[arg(long, value_name = "BRANCH", value_parser = parse_non_empty)]
    pub default_branch: Option<String>,

    /// Whether the branch or tag of `--ref` is protected (`CI_COMMIT_REF_PROTECTED`), which
    /// decides whether protected CI/CD variables (`--protect`) reach the pipeline. A merge
    /// request pipeline runs on the merge request's own ref, which glplan treats as unprotected, so
    /// `true` is rejected with `--source merge_request_event` or the `--mr-*` options [default: `true` for the default branch,
    /// `false` for other branches and for tags].
    #[arg(long, value_name = "BOOL")]
    pub protected_ref: Option<bool>,

    /// Source branch of the merge request (`CI_MERGE_REQUEST_SOURCE_BRANCH_NAME`); makes the
    /// pipeline a merge request pipeline. It must differ from the target branch, as GitLab
    /// requires [default: `--ref`, else the default branch].
    #[arg(long, value_name = "BRANCH", value_parser = parse_non_empty, conflicts_with = "tag")]
    pub mr_source: Option<String>,

    /// Target branch of the merge request (`CI_MERGE_REQUEST_TARGET_BRANCH_NAME`); makes the
    /// pipeline a merge request pipeline [default: the default branch].
    #[arg(long, value_name = "BRANCH", value_parser = parse_non_empty, conflicts_with = "tag")]
    pub mr_target: Option<String>,

    /// Label of the merge request (`CI_MERGE_REQUEST_LABELS`); makes the pipeline a merge
    /// request pipeline. Repeat for several labels.
    #[arg(
        long = "mr-label",
        value_name = "LABEL",
        value_parser = parse_non_empty,
        conflicts_with = "tag"
    )]
    pub mr_labels: Vec<String>,

    /// Kind of merge request pipeline (`CI_MERGE_REQUEST_EVENT_TYPE`); makes the pipeline a
    /// merge request pipeline [default: detached].
    #[arg(long, value_name = "TYPE", value_parser = parse_event_type, conflicts_with = "tag")]
    pub mr_event_type: Option<MergeRequestEventType>,

    /// Title of the merge request (`CI_MERGE_REQUEST_TITLE`); makes the pipeline a merge
    /// request pipeline. A title that starts with `Draft:`, `[Draft]` or `(Draft)`, in any
    /// case, makes it a draft (`CI_MERGE_REQUEST_DRAFT=true`) [default: Add feature].
    #[arg(long, value_name = "TITLE", value_parser = parse_non_empty, conflicts_with = "tag")]
    pub mr_title: Option<String>,

    /// Reads pipeline variables from FILE: either `KEY=VALUE` lines, or a JSON object whose
    /// values are strings or objects with a string `value` and the boolean flags `masked`,
    /// `raw` and `file`. In `KEY=VALUE` lines, blank lines and lines starting with `#` are
    /// skipped and an `export ` prefix is ignored. Spaces around the name and the value are
    /// trimmed, then one pair of surrounding quotes is removed from the value, so `A=" x "`
    /// keeps its spaces. The last value of a name wins. In JSON, numbers and booleans are
    /// rejected, because GitLab's API takes variable values as strings, and so is a name that
    /// appears twice. `--var` overrides a variable of the file.
    /// With `--source schedule` they are the schedule's variables.
    #[arg(long, value_name = "FILE")]
    pub var_file: Option<PathBuf>,

    /// The project's full path, NAMESPACE/NAME (`CI_PROJECT_PATH`). Its namespace and the
    /// namespace's ancestors are the groups whose variables `--group-var` sets [default:
    /// `group/project`].
    #[arg(long, value_name = "PATH", value_parser = parse_non_empty)]
    pub project_path: Option<String>,

    /// Sets an instance-level CI/CD variable, as in the Admin area's CI/CD settings; it has
    /// the lowest precedence of the settings variables, below group variables. GitLab gives
    /// instance variables no environment scope, so `KEY@SCOPE=VALUE` is rejected. Repeat for
    /// several variables; the last value of a name wins.
    #[arg(
        long = "instance-var",
        value_name = "KEY=VALUE",
        value_parser = parse_instance_variable
    )]
    pub instance_vars: Vec<(String, String)>,

    /// Sets a group-level CI/CD variable: `KEY=VALUE` in the project's own group (the
    /// namespace of `--project-path`), `GROUP:KEY=VALUE` in the group with full path GROUP,
    /// which must be that group or one of its ancestors (`top` or `top/sub` for project
    /// `top/sub/app`, in any letter case, as GitLab looks up paths). `KEY@SCOPE=VALUE` gives
    /// the variable an environment scope, as `--project-var` does. Group variables are above
    /// instance and below project variables in precedence, and a subgroup's value wins over
    /// its ancestors'. Repeat for several variables; the last value of a name and scope in a
    /// group wins.
    #[arg(
        long = "group-var",
        value_name = "[GROUP:]KEY[@SCOPE]=VALUE",
        value_parser = parse_group_variable
    )]
    pub group_vars: Vec<GroupVariableArg>,

    /// Sets a project-level CI/CD variable, as in the project's CI/CD settings; it has lower
    /// precedence than pipeline variables (`--var`) and higher than group variables.
    /// `KEY@SCOPE=VALUE` limits it to the jobs whose environment matches SCOPE: an exact
    /// environment name such as `production`, or a pattern where `*` matches any characters,
    /// such as `review/*` [default scope: `*`, every job]. Where several scopes of a name
    /// match a job's environment, the exact name wins over a pattern, and a pattern over `*`.
    /// Repeat for several variables; the last value of a name and scope wins.
    #[arg(
        long = "project-var",
        value_name = "KEY[@SCOPE]=VALUE",
        value_parser = parse_scoped_variable
    )]
    pub project_vars: Vec<ScopedVariableArg>,

    /// Marks the variable NAME as masked at every level that sets it (`--instance-var`,
    /// `--group-var`, `--project-var`, `--var`, `--var-file`): its value is shown as `[MASKED]`
    /// wherever it appears. As in GitLab, a masked value needs at least 8 characters, all from
    /// `a-z A-Z 0-9 _ + = / @ : . ~ -`, or, for a raw variable (`--raw`, or `"raw": true` in a
    /// JSON `--var-file`), at least 8 characters without whitespace; other values are
    /// rejected. Repeat for several variables.
    #[arg(long = "mask", value_name = "NAME", value_parser = parse_non_empty)]
    pub masked: Vec<String>,

    /// Marks the settings variable NAME as protected at every level that sets it
    /// (`--instance-var`, `--group-var`, `--project-var`): only pipelines of protected refs
    /// receive it (see `--protected-ref`). GitLab's pipeline variables (`--var`, `--var-file`)
    /// cannot be protected, so a NAME that only they set is rejected. Repeat for several
    /// variables.
    #[arg(long = "protect", value_name = "NAME", value_parser = parse_non_empty)]
    pub protected: Vec<String>,

    /// Marks the variable NAME as raw at every level that sets it (`--instance-var`,
    /// `--group-var`, `--project-var`, `--var`, `--var-file`): its value is used as written,
    /// so a `$OTHER` in it is not expanded. Repeat for several variables.
    #[arg(long = "raw", value_name = "NAME", value_parser = parse_non_empty)]
    pub raw: Vec<String>,

    /// Makes the variable NAME of type file at every level that sets it (`--instance-var`,
    /// `--group-var`, `--project-var`, `--var`, `--var-file`): the runner writes the value to a
    /// temporary file and sets the variable to the file's path. Repeat for several variables.
    #[arg(long = "file-var", value_name = "NAME", value_parser = parse_non_empty)]
    pub file_vars: Vec<String>,

    /// A file changed by the push or the merge request, as a path from the repository root;
    /// `rules:changes` and `only:changes` compare their patterns with these paths. Repeat for
    /// several files. Without `--changed` or `--changed-from`, glplan has no diff, and every
    /// `changes` clause holds, as in GitLab's pipelines without a diff (a new branch, a tag,
    /// a schedule, a manual run).
    #[arg(
        long,
        value_name = "PATH",
        value_parser = parse_non_empty,
        conflicts_with = "no_diff"
    )]
    pub changed: Vec<String>,

    /// Reads the changed files from FILE, one path per line (as `git diff --name-only`
    /// prints them); an empty file is a diff without changes, where `changes` clauses fail.
    #[arg(long, value_name = "FILE", conflicts_with = "no_diff")]
    pub changed_from: Option<PathBuf>,

    /// States that the pipeline has no diff to compare with, so every `changes` clause holds.
    /// This is the default; the option rejects `--changed` and `--changed-from`.
    #[arg(long)]
    pub no_diff: bool,

    /// Commit message, whose first line is the commit title (`CI_COMMIT_MESSAGE`,
    /// `CI_COMMIT_TITLE`) [default: `Update .gitlab-ci.yml`].
    #[arg(long, value_name = "MESSAGE")]
    pub title: Option<String>,

    /// Host name of the GitLab server, or its IPv6 address in brackets such as `[2001:db8::1]`,
    /// with `:PORT` when it does not listen on 443 (`CI_SERVER_FQDN`). The server URL becomes
    /// `https://HOST`, without `:443`. `include:component` addresses must start with it, as in
    /// `gitlab.com/my-group/components/lint@1.0` with `--server-host gitlab.com`. When given, a
    /// `--runners` runner whose `url` names another host or port takes no job [default:
    /// `gitlab.example.com`].
    #[arg(long, value_name = "HOST", value_parser = parse_server_host)]
    pub server_host: Option<String>,
}

impl ContextArgs {
    /// Returns whether no option that describes the pipeline was given, so glplan plans its
    /// default: a push to the default branch.
    pub fn is_default(&self) -> bool {
        self.source.is_none()
            && self.ref_name.is_none()
            && !self.tag
            && !self.is_merge_request()
            && self.var_file.is_none()
            && self.project_path.is_none()
            && self.instance_vars.is_empty()
            && self.group_vars.is_empty()
            && self.project_vars.is_empty()
            && self.masked.is_empty()
            && self.protected.is_empty()
            && self.raw.is_empty()
            && self.file_vars.is_empty()
            && self.protected_ref.is_none()
            && self.changed.is_empty()
            && self.changed_from.is_none()
            && !self.no_diff
            && self.title.is_none()
            && self.default_branch.is_none()
            && self.server_host.is_none()
    }

    /// Returns whether an `--mr-*` option was given.
    pub fn is_merge_request(&self) -> bool {
        self.mr_source.is_some()
            || self.mr_target.is_some()
            || !self.mr_labels.is_empty()
            || self.mr_event_type.is_some()
            || self.mr_title.is_some()
    }
}

/// The configuration files and the diagnostic colors, shared by every command.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Pipeline configuration file to read.
    #[arg(default_value = ".gitlab-ci.yml")]
    pub path: PathBuf,

    /// Repository root folder: `include:local` paths and wildcards are looked up in it, and
    /// PATH must be inside it [default: the folder that contains PATH].
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,

    /// Folder of GitLab's CI/CD templates for `include:template`, laid out like GitLab's
    /// `lib/gitlab/ci/templates` (so `Jobs/Build.gitlab-ci.yml` is read from
    /// `DIR/Jobs/Build.gitlab-ci.yml`).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,

    /// Reads the files of project PATH (such as `my-group/ci-tools`) for `include:project`
    /// and CI/CD components from folder DIR; the requested ref is ignored. PATH is compared
    /// without regard to case, as GitLab finds projects. Repeat for several projects, naming
    /// each project once.
    #[arg(long = "project", value_name = "PATH=DIR", value_parser = parse_project)]
    pub projects: Vec<(String, PathBuf)>,

    /// Folder of cached `include:remote` files: a URL's content is read from
    /// `DIR/<host>/<path>`, followed by `?<query>` with each `/` of the query written `%2F`
    /// (the fragment is dropped, and a port stays in the host name, as in `example.com:8443`),
    /// which is where `wget --force-directories` saves it.
    #[arg(long, value_name = "DIR")]
    pub remote_cache: Option<PathBuf>,

    /// Sets a pipeline variable, as **Run pipeline** or the API would, or with `--source
    /// schedule` a variable of the pipeline schedule: `include` locations, `include:rules`,
    /// `workflow:rules` and the jobs see it, and it overrides YAML and settings variables of
    /// the same name. `config` uses it for `include` only. `lint` uses it for `include` and for
    /// the rules that decide which child pipelines it checks. Repeat for several variables; the
    /// last value of a name wins.
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_variable)]
    pub vars: Vec<(String, String)>,

    /// Sets pipeline input NAME for the entry file's `spec:inputs`. VALUE is read as YAML:
    /// `3` is a number, `true` a boolean, `[a, b]` an array, `'3'` a string, and an empty
    /// VALUE is the empty string. Then GitLab's conversion applies: a string input takes the
    /// text of any value (`1.10` is the number 1.1, so write `'1.10'`), and a number, boolean
    /// or array input reads a string as JSON (`'3'` becomes 3). Repeat for several inputs; the
    /// last value of a name wins.
    #[arg(long = "input", value_name = "NAME=VALUE", value_parser = parse_pair)]
    pub inputs: Vec<(String, String)>,

    /// When to color diagnostics: `auto` colors only when writing to a terminal and the
    /// `NO_COLOR` environment variable is unset or empty.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Output formats of `lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// rustc-style text with source snippets.
    Human,
    /// A JSON array of diagnostics.
    Json,
}

/// Output formats of `config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfigFormat {
    /// Block-style YAML.
    Yaml,
    /// Pretty-printed JSON.
    Json,
}

/// Output formats of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// An aligned table, one row per job, grouped by stage.
    Table,
    /// The pipeline object as pretty-printed JSON.
    Json,
    /// A Graphviz digraph: stages as clusters, needs as solid edges, optional needs dotted,
    /// the stage order as dashed edges.
    Dot,
    /// A Mermaid `flowchart LR` with one subgraph per stage.
    Mermaid,
}

/// Output formats of `schedule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScheduleFormat {
    /// Aligned tables and summary lines.
    Table,
    /// The schedule object as pretty-printed JSON.
    Json,
    /// A Mermaid Gantt chart.
    Mermaid,
}

/// Output formats of `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// Labelled lines for reading.
    Text,
    /// Pretty-printed JSON.
    Json,
}

/// When to write ANSI colors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Only on a terminal, and only when `NO_COLOR` is unset or empty.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Parses `KEY=VALUE`; the value may contain `=` and may be empty, the key may not be empty.
pub fn parse_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("expected KEY=VALUE, found `{text}`")),
    }
}

/// Parses the `KEY=VALUE` of a CI/CD variable, whose key GitLab limits to letters, digits and
/// `_`.
pub fn parse_variable(text: &str) -> Result<(String, String), String> {
    let (key, value) = parse_pair(text)?;
    if !is_variable_name(&key) {
        return Err(format!(
            "`{key}` is not a valid variable name (letters, digits and `_` only)"
        ));
    }
    Ok((key, value))
}

/// Parses the `KEY=VALUE` of `--instance-var`. A `KEY@SCOPE=VALUE`, which only group and
/// project variables accept, gets an error that names those options.
pub fn parse_instance_variable(text: &str) -> Result<(String, String), String> {
    if let Some((name, _)) = text.split_once('=')
        && let Some((key, scope)) = name.split_once('@')
        && is_variable_name(key)
    {
        // A scope that group and project variables reject too, such as an empty one, gets
        // no alternative.
        let alternative = if check_environment_scope(scope).is_err() {
            String::new()
        } else {
            format!(
                ", or set a group or project variable with --group-var or --project-var \
                 {key}@{scope}=VALUE"
            )
        };
        return Err(format!(
            "GitLab gives instance variables no environment scope, so `{key}@{scope}` is \
             rejected; drop `@{scope}`{alternative}"
        ));
    }
    parse_variable(text)
}

/// A `--project-var`: the key, the environment scope and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedVariableArg {
    /// The variable's name.
    pub key: String,
    /// The environments whose jobs receive the variable: `*` (all, the default), an
    /// environment name, or a pattern with `*` wildcards.
    pub environment_scope: String,
    /// The variable's value.
    pub value: String,
}

/// Parses `KEY[@SCOPE]=VALUE` for `--project-var`. Neither a variable name nor an environment
/// scope contains `=`, and a variable name has no `@`, so the first `=` ends the scope and the
/// first `@` starts it.
pub fn parse_scoped_variable(text: &str) -> Result<ScopedVariableArg, String> {
    let Some((name, value)) = text
        .split_once('=')
        .filter(|(name, _)| !name.is_empty() && !name.starts_with('@'))
    else {
        return Err(format!(
            "expected KEY=VALUE or KEY@SCOPE=VALUE such as `URL@production=https://example.com`, \
             found `{text}`"
        ));
    };
    let (key, environment_scope) = split_scope(name)?;
    Ok(ScopedVariableArg {
        key: key.to_owned(),
        environment_scope,
        value: value.to_owned(),
    })
}

/// Splits `KEY[@SCOPE]` into a valid variable name and a valid environment scope, `*` when
/// there is no `@`.
fn split_scope(name: &str) -> Result<(&str, String), String> {
    let (key, scope) = match name.split_once('@') {
        Some((key, scope)) => (key, Some(scope)),
        None => (name, None),
    };
    if !is_variable_name(key) {
        return Err(format!(
            "`{key}` is not a valid variable name (letters, digits and `_` only)"
        ));
    }
    let scope = match scope {
        Some(scope) => {
            check_environment_scope(scope)?;
            scope.to_owned()
        }
        None => "*".to_owned(),
    };
    Ok((key, scope))
}

/// Checks the environment scope of a `KEY@SCOPE` with GitLab's rule for the `environment_scope`
/// of CI/CD variables ([`glplan::context::check_environment_scope`]).
pub fn check_environment_scope(scope: &str) -> Result<(), String> {
    if scope.is_empty() {
        return Err(
            "the environment scope after `@` is empty; write `*` for every \
                    environment, an environment name such as `production`, or a pattern such \
                    as `review/*`"
                .to_owned(),
        );
    }
    glplan::context::check_environment_scope(scope)
}

/// A `--group-var`: the group's full path (`None` for the project's own group), the key, the
/// environment scope and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupVariableArg {
    /// The group's full path, or `None` for the project's namespace.
    pub group: Option<String>,
    /// The variable's name.
    pub key: String,
    /// The environments whose jobs receive the variable, as in [`ScopedVariableArg`].
    pub environment_scope: String,
    /// The variable's value.
    pub value: String,
}

/// Parses `[GROUP:]KEY[@SCOPE]=VALUE` for `--group-var`. A variable name has no `:`, a group
/// path has no `@`, and an environment scope has neither `:` nor `=`, so a `:` before the first
/// `@` or `=` ends the group path.
pub fn parse_group_variable(text: &str) -> Result<GroupVariableArg, String> {
    let invalid = || {
        format!(
            "expected KEY=VALUE or GROUP:KEY=VALUE such as `my-group/sub:TOKEN=value`, with \
             `@SCOPE` after KEY for an environment scope, found `{text}`"
        )
    };
    let (name, value) = text.split_once('=').ok_or_else(invalid)?;
    let (group, name) = match name.split_once(':') {
        Some((group, rest)) if !group.contains('@') => (Some(group), rest),
        _ => (None, name),
    };
    if group == Some("") || name.is_empty() || name.starts_with('@') {
        return Err(invalid());
    }
    let (key, environment_scope) = split_scope(name)?;
    Ok(GroupVariableArg {
        group: group.map(str::to_owned),
        key: key.to_owned(),
        environment_scope,
        value: value.to_owned(),
    })
}

/// Parses a ref, branch, label, path or variable name, which cannot be empty.
pub fn parse_non_empty(text: &str) -> Result<String, String> {
    if text.is_empty() {
        Err("the value must not be empty".to_owned())
    } else {
        Ok(text.to_owned())
    }
}

/// Parses the JOB of `--play` and `--fail`: a job name, or a path written as a YAML flow
/// sequence when the value starts with `[`.
pub fn parse_job_selector(text: &str) -> Result<JobSelector, String> {
    JobSelector::parse(text)
}

/// Parses `HOST`, `HOST:PORT`, `[IPV6]` or `[IPV6]:PORT` for `--server-host`, with the rules of
/// [`is_server_host`].
pub fn parse_server_host(text: &str) -> Result<String, String> {
    if is_server_host(text) {
        Ok(text.to_owned())
    } else {
        Err(invalid_server_host(text))
    }
}

/// Words the error for a `--server-host` value that [`is_server_host`] rejects.
pub fn invalid_server_host(text: &str) -> String {
    let problem = server_host_problem(text).unwrap_or_default();
    format!(
        "{problem}; pass the host alone, such as `gitlab.com`, `gitlab.internal:8443` or \
         `[2001:db8::1]:8443`"
    )
}

/// Parses a `CI_PIPELINE_SOURCE` value for `--source`.
pub fn parse_source(text: &str) -> Result<PipelineSource, String> {
    PipelineSource::ALL
        .into_iter()
        .find(|source| source.as_str() == text)
        .ok_or_else(|| {
            let names: Vec<&str> = PipelineSource::ALL.iter().map(|s| s.as_str()).collect();
            format!(
                "`{text}` is not a pipeline source; expected one of {}",
                names.join(", ")
            )
        })
}

/// Parses a `CI_MERGE_REQUEST_EVENT_TYPE` value for `--mr-event-type`.
pub fn parse_event_type(text: &str) -> Result<MergeRequestEventType, String> {
    [
        MergeRequestEventType::Detached,
        MergeRequestEventType::MergedResult,
        MergeRequestEventType::MergeTrain,
    ]
    .into_iter()
    .find(|kind| kind.as_str() == text)
    .ok_or_else(|| {
        format!("`{text}` is not a merge request event type; expected detached, merged_result or merge_train")
    })
}

/// Parses `PATH=DIR` for `--project`. PATH is a project's full path, as
/// [`is_project_path`] accepts it after leading and trailing `/` are dropped.
pub fn parse_project(text: &str) -> Result<(String, PathBuf), String> {
    let Some((project, dir)) = text.split_once('=').filter(|(_, dir)| !dir.is_empty()) else {
        return Err(format!(
            "expected PROJECT=DIR such as `my-group/ci-tools=../ci-tools`, found `{text}`"
        ));
    };
    if !is_project_path(project.trim_matches('/')) {
        return Err(format!(
            "`{project}` is not a project's full path; expected NAMESPACE/NAME such as \
             `my-group/ci-tools`, with letters, digits, `_`, `-` and `.` between the `/`"
        ));
    }
    Ok((project.to_owned(), PathBuf::from(dir)))
}

/// Rejects two `--project` options that name the same project. Without the check, the last
/// folder would be used silently.
pub fn check_unique_projects(projects: &[(String, PathBuf)]) -> Result<(), String> {
    let mut seen: BTreeMap<String, (&str, &Path)> = BTreeMap::new();
    for (project, dir) in projects {
        let key = project_key(project);
        if let Some((first_project, first_dir)) = seen.get(&key) {
            return Err(format!(
                "`--project {first_project}={}` and `--project {project}={}` name the same \
                 project `{key}` (project paths ignore case); keep one of them",
                first_dir.display(),
                dir.display()
            ));
        }
        seen.insert(key, (project, dir));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn pair_cases() {
        assert_eq!(parse_pair("A=1"), Ok(("A".into(), "1".into())));
        assert_eq!(parse_pair("A=x=y"), Ok(("A".into(), "x=y".into())));
        assert_eq!(parse_pair("A="), Ok(("A".into(), String::new())));
        assert!(parse_pair("=1").is_err());
        assert!(parse_pair("A").is_err());
    }

    #[test]
    fn variable_cases() {
        assert_eq!(parse_variable("A_1=x"), Ok(("A_1".into(), "x".into())));
        assert!(parse_variable("=x").is_err());
        assert!(parse_variable("K").is_err());
        assert!(parse_variable("A-B=x").is_err());
        assert!(parse_variable("A B=x").is_err());
    }

    #[test]
    fn group_variable_cases() {
        let own = |key: &str, value: &str| GroupVariableArg {
            group: None,
            key: key.to_owned(),
            environment_scope: "*".to_owned(),
            value: value.to_owned(),
        };
        let of = |group: &str, key: &str, value: &str| GroupVariableArg {
            group: Some(group.to_owned()),
            ..own(key, value)
        };
        assert_eq!(parse_group_variable("A=1"), Ok(own("A", "1")));
        assert_eq!(parse_group_variable("A="), Ok(own("A", "")));
        assert_eq!(parse_group_variable("A=x:y=z"), Ok(own("A", "x:y=z")));
        assert_eq!(parse_group_variable("top:A=1"), Ok(of("top", "A", "1")));
        assert_eq!(
            parse_group_variable("top/sub:A=a:b"),
            Ok(of("top/sub", "A", "a:b"))
        );
        for bad in [
            "A",
            "=1",
            ":A=1",
            "top:=1",
            "top:A-B=1",
            "top:sub:A=1",
            "A B=1",
        ] {
            assert!(parse_group_variable(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scoped_variable_cases() {
        let scoped = |key: &str, scope: &str, value: &str| ScopedVariableArg {
            key: key.to_owned(),
            environment_scope: scope.to_owned(),
            value: value.to_owned(),
        };
        let cases = [
            ("A=1", scoped("A", "*", "1")),
            ("A=x@y", scoped("A", "*", "x@y")),
            ("A@production=1", scoped("A", "production", "1")),
            ("A@*=1", scoped("A", "*", "1")),
            ("A@review/*=x=y", scoped("A", "review/*", "x=y")),
            (
                "A@review/${CI_X} 1.-_=",
                scoped("A", "review/${CI_X} 1.-_", ""),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_scoped_variable(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn scoped_variable_errors() {
        let cases = [
            (
                "A",
                "expected KEY=VALUE or KEY@SCOPE=VALUE such as \
                 `URL@production=https://example.com`, found `A`",
            ),
            (
                "@prod=1",
                "expected KEY=VALUE or KEY@SCOPE=VALUE such as \
                 `URL@production=https://example.com`, found `@prod=1`",
            ),
            (
                "=1",
                "expected KEY=VALUE or KEY@SCOPE=VALUE such as \
                 `URL@production=https://example.com`, found `=1`",
            ),
            (
                "A-B@prod=1",
                "`A-B` is not a valid variable name (letters, digits and `_` only)",
            ),
            (
                "A@=1",
                "the environment scope after `@` is empty; write `*` for every environment, an \
                 environment name such as `production`, or a pattern such as `review/*`",
            ),
            (
                "A@prod!=1",
                "environment scope `prod!` contains `!`, but GitLab allows only letters, \
                 digits, `-`, `_`, `/`, `$`, `{`, `}`, `.`, `*` and spaces",
            ),
            (
                "A@a@b=1",
                "environment scope `a@b` contains `@`, but GitLab allows only letters, digits, \
                 `-`, `_`, `/`, `$`, `{`, `}`, `.`, `*` and spaces",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_scoped_variable(text),
                Err(expected.to_owned()),
                "{text}"
            );
        }
    }

    #[test]
    fn group_variable_scope_cases() {
        let arg = |group: Option<&str>, key: &str, scope: &str, value: &str| GroupVariableArg {
            group: group.map(str::to_owned),
            key: key.to_owned(),
            environment_scope: scope.to_owned(),
            value: value.to_owned(),
        };
        assert_eq!(
            parse_group_variable("A@production=1"),
            Ok(arg(None, "A", "production", "1"))
        );
        assert_eq!(
            parse_group_variable("top/sub:A@review/*=a:b"),
            Ok(arg(Some("top/sub"), "A", "review/*", "a:b"))
        );
        assert_eq!(
            parse_group_variable("A@x:y=1"),
            Err(
                "environment scope `x:y` contains `:`, but GitLab allows only letters, digits, \
                 `-`, `_`, `/`, `$`, `{`, `}`, `.`, `*` and spaces"
                    .to_owned()
            )
        );
        assert_eq!(
            parse_group_variable("top:A@=1"),
            Err(
                "the environment scope after `@` is empty; write `*` for every environment, an \
                 environment name such as `production`, or a pattern such as `review/*`"
                    .to_owned()
            )
        );
        assert_eq!(
            parse_group_variable("top:@prod=1"),
            Err(
                "expected KEY=VALUE or GROUP:KEY=VALUE such as `my-group/sub:TOKEN=value`, \
                 with `@SCOPE` after KEY for an environment scope, found `top:@prod=1`"
                    .to_owned()
            )
        );
    }

    #[test]
    fn instance_variable_scope_rejected() {
        assert_eq!(
            parse_instance_variable("A=x@y"),
            Ok(("A".to_owned(), "x@y".to_owned()))
        );
        assert_eq!(
            parse_instance_variable("TOKEN@production=1"),
            Err("GitLab gives instance variables no environment scope, so \
                 `TOKEN@production` is rejected; drop `@production`, or set a group or project \
                 variable with --group-var or --project-var TOKEN@production=VALUE"
                .to_owned())
        );
        assert_eq!(
            parse_instance_variable("K@=v"),
            Err(
                "GitLab gives instance variables no environment scope, so `K@` is rejected; \
                 drop `@`"
                    .to_owned()
            )
        );
        assert_eq!(
            parse_instance_variable("K@@=v"),
            Err(
                "GitLab gives instance variables no environment scope, so `K@@` is rejected; \
                 drop `@@`"
                    .to_owned()
            )
        );
        assert_eq!(
            parse_instance_variable("A-B@x=1"),
            Err("`A-B@x` is not a valid variable name (letters, digits and `_` only)".to_owned())
        );
    }

    #[test]
    fn protected_ref_values() {
        let parse = |value: &str| {
            Cli::try_parse_from(["glplan", "plan", "--protected-ref", value]).map(|cli| {
                let Command::Plan(args) = cli.command else {
                    panic!("expected plan");
                };
                args.context.protected_ref
            })
        };
        assert_eq!(parse("true").unwrap(), Some(true));
        assert_eq!(parse("false").unwrap(), Some(false));
        let error = parse("yes").unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::InvalidValue);
    }

    #[test]
    fn empty_context_values_rejected() {
        for option in [
            "--ref",
            "--mr-source",
            "--mr-target",
            "--mr-label",
            "--default-branch",
            "--changed",
            "--mask",
            "--protect",
            "--raw",
            "--file-var",
            "--project-path",
        ] {
            let result = Cli::try_parse_from(["glplan", "plan", option, ""]);
            let error = result.expect_err(option);
            assert_eq!(error.kind(), clap::error::ErrorKind::ValueValidation);
            assert!(
                error.to_string().contains("the value must not be empty"),
                "{option}"
            );
        }
    }

    #[test]
    fn server_host_cases() {
        assert_eq!(parse_server_host("gitlab.com"), Ok("gitlab.com".to_owned()));
        assert_eq!(
            parse_server_host("gitlab.internal:8443"),
            Ok("gitlab.internal:8443".to_owned())
        );
        assert_eq!(parse_server_host("[::1]"), Ok("[::1]".to_owned()));
        assert_eq!(
            parse_server_host("[2001:db8::1]:8443"),
            Ok("[2001:db8::1]:8443".to_owned())
        );
        for bad in [
            "",
            "https://gitlab.com",
            "gitlab.com/group",
            "host:",
            "host:x",
            ":80",
            "gitlab.com:+443",
            "gitlab.com:0443",
            ".",
            "a..b",
            "_",
            "::1",
            "[::1]:",
            "[10.0.0.1]",
        ] {
            assert!(parse_server_host(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn project_cases() {
        assert_eq!(
            parse_project("g/p=../p"),
            Ok(("g/p".into(), PathBuf::from("../p")))
        );
        assert!(parse_project("g/p=").is_err());
        assert!(parse_project("=dir").is_err());
        assert!(parse_project("g/p").is_err());
        assert_eq!(
            parse_project("/G/p/=d"),
            Ok(("/G/p/".into(), PathBuf::from("d")))
        );
        for bad in ["a//b=d", "a/../b=d", " a/b =d", "a\\b=d", "ab=d", "/=d"] {
            let error = parse_project(bad).unwrap_err();
            assert!(
                error.contains("is not a project's full path"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn duplicate_projects_rejected() {
        let projects = [
            ("MY-group/CI".to_owned(), PathBuf::from("../proj")),
            ("other/ci".to_owned(), PathBuf::from("../x")),
            ("my-group/ci/".to_owned(), PathBuf::from("../other")),
        ];
        assert_eq!(
            check_unique_projects(&projects),
            Err(
                "`--project MY-group/CI=../proj` and `--project my-group/ci/=../other` name \
                 the same project `my-group/ci` (project paths ignore case); keep one of them"
                    .to_owned()
            )
        );
        assert_eq!(check_unique_projects(&projects[..2]), Ok(()));
    }

    #[test]
    fn default_path() {
        let cli = Cli::try_parse_from(["glplan", "lint"]).unwrap();
        let Command::Lint(args) = cli.command else {
            panic!("expected lint");
        };
        assert_eq!(args.common.path, PathBuf::from(".gitlab-ci.yml"));
        assert_eq!(args.format, LintFormat::Human);
    }

    #[test]
    fn repeated_options() {
        let cli = Cli::try_parse_from([
            "glplan",
            "plan",
            "ci.yml",
            "--var",
            "A=1",
            "--var",
            "B=2",
            "--input",
            "n=3",
            "--project",
            "g/p=dir",
            "--format",
            "json",
        ])
        .unwrap();
        let Command::Plan(args) = cli.command else {
            panic!("expected plan");
        };
        assert_eq!(args.common.vars.len(), 2);
        assert_eq!(args.common.inputs, [("n".to_owned(), "3".to_owned())]);
        assert_eq!(args.common.projects.len(), 1);
        assert_eq!(args.format, PlanFormat::Json);
    }
}
