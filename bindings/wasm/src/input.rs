//! The argument every function takes, as JavaScript passes it, and its conversion into the
//! core's options.
//!
//! Field names are snake_case like the JSON the functions return. Unknown fields are errors, so
//! a misspelt option is reported instead of ignored.

use std::borrow::Cow;
use std::collections::BTreeMap;

use glplan::FileId;
use glplan::Span;
use glplan::context::{
    ContextError, ContextOptions, GroupVariablesOption, MergeRequestEventType, PipelineContext,
    PipelineSource, Project, SettingsVariable, check_environment_scope, is_variable_name,
    variables_from_json,
};
use glplan::diagnostic::quote_serde_unknown_name;
use glplan::schedule::JobSelector;
use glplan::yaml::{Mapping, Node, Value};
use indexmap::IndexMap;
use serde::Deserialize;

use crate::files::{MapFiles, invalid_path, repository_key};
use crate::js_value::{Argument, Step, escape_hidden, format_path, invalid_at, quote};
use serde_path_to_error::Segment;

/// The files to read and the pipeline to plan.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Input {
    /// Files of the repository being planned, by path from the repository root (a plain object
    /// or a `Map`). `include:local` reads them; `include:local` wildcards and `rules:exists`
    /// search their paths.
    #[serde(deserialize_with = "crate::files::repository_files")]
    pub files: BTreeMap<String, String>,
    /// Path of the pipeline file in `files`. Default `.gitlab-ci.yml`.
    pub entry: Option<String>,
    /// Files of other projects for `include:project` and CI/CD components: project path (such
    /// as `my-group/ci-tools`, compared without regard to case), then file path. The requested
    /// ref is ignored.
    #[serde(deserialize_with = "crate::files::project_files")]
    pub projects: BTreeMap<String, BTreeMap<String, String>>,
    /// GitLab's CI/CD templates for `include:template`, by name exactly as the include writes
    /// it (such as `Jobs/SAST.gitlab-ci.yml`). Locations name them `template:NAME`.
    pub templates: Option<BTreeMap<String, String>>,
    /// Files for `include:remote`, by URL exactly as the include writes it after variable
    /// expansion.
    pub remote: Option<BTreeMap<String, String>>,
    /// Pipeline variables, as **Run pipeline** or the API would set them, or with the source
    /// `schedule` the schedule's variables. A value is a string, or an object with a string
    /// `value` and the optional boolean flags `masked`, `raw` and `file`. A number or boolean is
    /// an error, because GitLab's API takes variable values as strings (the CLI's `--var-file`
    /// rejects them too). `lint` and `resolveConfig` pass them to `include` only, where YAML
    /// `variables:` never reach; `plan` and `explain` also give them to the jobs.
    #[cfg_attr(test, schemars(with = "Option<BTreeMap<String, VariableValue>>"))]
    pub variables: Option<serde_json::Map<String, serde_json::Value>>,
    /// Pipeline inputs for the entry file's `spec:inputs`, as JSON values.
    pub inputs: Option<serde_json::Map<String, serde_json::Value>>,
    /// The pipeline to plan (`plan` and `explain`). Default: a push to the default branch.
    pub context: ContextInput,
    /// Whether each job's variables in `explain` include the predefined `CI_*` variables.
    pub predefined: bool,
    /// Whether each job's `rule` in `plan` keeps the evaluation of every rule up to the
    /// matched one and of `only` and `except`, as `glplan plan --rule-traces` does. Without
    /// it a job's `rule` keeps `by`, `summary`, `matched`, `implicit_only` and `notes`.
    /// `explain` always has them.
    pub rule_traces: bool,
    /// gitlab-runner `config.toml` files (and GitLab runner settings files), by file name, in
    /// the order the CLI takes `--runners`, because the fleet lists hosts in that order. With
    /// them, `plan` adds each job's runners and the fleet to the pipeline, and `schedule` runs
    /// the jobs on those runners. Without them, `schedule` runs every job at once on unlimited
    /// runners.
    #[cfg_attr(test, schemars(with = "BTreeMap<String, String>"))]
    pub runners: IndexMap<String, String>,
    /// The durations file for `schedule`: run times and failures of the jobs. Its
    /// diagnostics name the file `durations`.
    pub durations: Option<String>,
    /// Manual jobs that `schedule` starts as soon as they can run. Each is a name, such as
    /// `deploy/rspec` for a job of the child pipeline of `deploy`, or an array of names. The
    /// array lists the trigger jobs from the top pipeline down, then the job, such as
    /// `["deploy", "rspec"]`, and so stays apart from a job named `deploy/rspec`. A name in
    /// either form may be a parallel job's base name, for all its instances.
    #[serde(deserialize_with = "job_selectors")]
    #[cfg_attr(test, schemars(with = "Vec<JobSelectorSchema>"))]
    pub play: Vec<JobSelector>,
    /// Jobs whose every attempt fails in `schedule`, named as in `play`.
    #[serde(deserialize_with = "job_selectors")]
    #[cfg_attr(test, schemars(with = "Vec<JobSelectorSchema>"))]
    pub fail: Vec<JobSelector>,
    /// The paths of the values that JavaScript passed as `BigInt`s, formatted by
    /// [`format_path`]. JSON stores them as numbers, and messages about them name a bigint.
    #[serde(skip)]
    pub bigint_paths: Vec<String>,
}

/// A job in `play` or `fail`: a name, or the names of the trigger jobs and the job.
#[cfg(test)]
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "JobSelector")]
#[expect(
    dead_code,
    reason = "the type only describes the JSON form for the declarations"
)]
enum JobSelectorSchema {
    /// A job name, with the trigger jobs of its child pipeline in front, as in `deploy/rspec`.
    Name(String),
    /// The trigger jobs from the top pipeline down, then the job, as in `["deploy", "rspec"]`.
    Path(Vec<String>),
}

/// Reads `play` or `fail`: an array whose items are job names or arrays of job names.
fn job_selectors<'de, D>(deserializer: D) -> Result<Vec<JobSelector>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let items: Vec<JobSelectorItem> = Deserialize::deserialize(deserializer)?;
    Ok(items.into_iter().map(|item| item.0).collect())
}

/// One item of `play` or `fail`.
struct JobSelectorItem(JobSelector);

impl<'de> Deserialize<'de> for JobSelectorItem {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JobSelectorVisitor)
    }
}

struct JobSelectorVisitor;

impl<'de> serde::de::Visitor<'de> for JobSelectorVisitor {
    type Value = JobSelectorItem;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(
            "the name of a job as a string, or an array of the names of the trigger jobs and \
             the job",
        )
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(JobSelectorItem(JobSelector::Name(name.to_owned())))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut names = Vec::new();
        while let Some(name) = seq.next_element::<String>()? {
            names.push(name);
        }
        if names.is_empty() {
            return Err(serde::de::Error::custom(
                "the array is empty; give at least the job's name",
            ));
        }
        Ok(JobSelectorItem(JobSelector::Path(names)))
    }
}

/// The pipeline to plan, with the same meaning as the context options of `glplan plan`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ContextInput {
    /// `CI_PIPELINE_SOURCE`. Default `push`, or `merge_request_event` when a merge request
    /// field is set.
    pub source: Option<PipelineSource>,
    /// The branch or tag (`CI_COMMIT_REF_NAME`). Default: the default branch. This and the other
    /// branch names must be valid Git ref names (`git check-ref-format`). Write them as GitLab
    /// does, without `refs/heads/` or `refs/tags/`: `refs/heads/main` plans a branch of that
    /// name.
    #[serde(rename = "ref")]
    pub ref_name: Option<String>,
    /// Whether `ref` is a tag (`CI_COMMIT_TAG` instead of `CI_COMMIT_BRANCH`). Needs `ref`.
    pub tag: bool,
    /// `CI_DEFAULT_BRANCH`. Default `main`. A push to it counts as a push to a protected
    /// branch, unless `protected_ref` is `false`.
    pub default_branch: Option<String>,
    /// Whether `ref` is a protected branch or tag (`CI_COMMIT_REF_PROTECTED`), as the CLI's
    /// `--protected-ref` sets it. Default: `true` for the default branch, `false` for other
    /// branches and for tags. glplan treats a merge request pipeline as unprotected, so `true` throws
    /// there.
    pub protected_ref: Option<bool>,
    /// The project's full path, `namespace/name` (`CI_PROJECT_PATH`). Default
    /// `group/project`. Its namespace and the namespace's ancestors are the groups that
    /// `group_variables` can name.
    pub project_path: Option<String>,
    /// The merge request's source branch. Default: `ref`, else the default branch. It must
    /// differ from the target branch, as GitLab requires. Any `mr_*` field makes the pipeline a
    /// `merge_request_event` pipeline.
    pub mr_source: Option<String>,
    /// The merge request's target branch. Default: the default branch.
    pub mr_target: Option<String>,
    /// The merge request's labels (`CI_MERGE_REQUEST_LABELS`).
    pub mr_labels: Vec<String>,
    /// `CI_MERGE_REQUEST_EVENT_TYPE`: `detached` (the default), `merged_result` or
    /// `merge_train`.
    pub mr_event_type: Option<MergeRequestEventType>,
    /// The merge request's title (`CI_MERGE_REQUEST_TITLE`; default `Add feature`). A title
    /// that starts with `Draft:`, `[Draft]` or `(Draft)`, in any case, makes the merge request
    /// a draft (`CI_MERGE_REQUEST_DRAFT`).
    pub mr_title: Option<String>,
    /// Instance CI/CD variables, the lowest in precedence of the settings variables, in the
    /// form of `variables`, where the object form may also have `protected`.
    #[cfg_attr(
        test,
        schemars(with = "Option<BTreeMap<String, InstanceVariableValue>>")
    )]
    pub instance_variables: Option<serde_json::Map<String, serde_json::Value>>,
    /// Group CI/CD variables, above instance and below project variables in precedence: the
    /// variables of the project's own group in the form of `project_variables`, or an array of
    /// groups in any order, each with its full `path` and its `variables`. A subgroup's value
    /// wins over its ancestors'. Two entries for the same group throw an `Error`.
    #[cfg_attr(test, schemars(with = "Option<GroupVariablesValue>"))]
    pub group_variables: Option<serde_json::Value>,
    /// Project CI/CD variables, below pipeline variables in precedence. Each name maps to a
    /// value, to an object with `value` and the optional `masked`, `raw`, `file`, `protected`
    /// and `environment_scope`, or to an array of such objects, one per environment scope. A
    /// job gets the definition whose scope matches its environment: an exact name wins over a
    /// pattern, and a pattern over `*`, the default.
    #[cfg_attr(test, schemars(with = "Option<BTreeMap<String, ScopedVariableValue>>"))]
    pub project_variables: Option<serde_json::Map<String, serde_json::Value>>,
    /// Names of variables whose values are shown as `[MASKED]`, at every level that sets
    /// them. As in GitLab, a masked value needs at least 8 characters, all from
    /// `a-z A-Z 0-9 _ + = / @ : . ~ -`, or, for a raw variable, at least 8 characters without
    /// whitespace. Other values throw, also for variables with `masked: true`.
    pub masked: Vec<String>,
    /// The files the push or merge request changed, for `rules:changes` and `only:changes`.
    /// Absent or `null`: there is no diff, so every `changes` clause holds. An empty array is
    /// a diff without changes.
    pub changed: Option<Vec<String>>,
    /// The commit message, whose first line is `CI_COMMIT_TITLE`.
    pub title: Option<String>,
    /// The GitLab server's host name or IPv6 address in brackets, followed by `:PORT` when the
    /// server does not listen on 443, such as `gitlab.com`, `gitlab.internal:8443` or
    /// `[2001:db8::1]:8443` (`CI_SERVER_FQDN`). Default
    /// `gitlab.example.com`. The server URL (`CI_SERVER_URL`) is `https://` followed by it. An
    /// `include:component` address must start with it, so
    /// `gitlab.com/my-group/components/lint@1.0` needs `server_host: "gitlab.com"`. A value
    /// with a scheme or a path, a name that is not a host name (labels of letters, digits and
    /// `-` joined by `.`), an IPv6 address without brackets, or a port outside 1 to 65535
    /// throws an `Error`. A port of 443 is
    /// left out of the server URL, as GitLab does. When it is given, a runner whose `url` names
    /// another host or port is rejected with the reason `other_server`.
    pub server_host: Option<String>,
}

// Only the JSON Schemas of this type and the five below are used, for the TypeScript
// declarations.
/// One variable in `variables`: its value, or its value with flags.
#[cfg(test)]
#[derive(Debug, schemars::JsonSchema)]
#[serde(untagged)]
pub enum VariableValue {
    /// The value, used as written.
    Text(String),
    /// The value with its flags.
    Object {
        /// The value.
        value: String,
        /// Whether the value is shown as `[MASKED]`.
        #[serde(default)]
        masked: bool,
        /// Whether the value is used without variable expansion.
        #[serde(default)]
        raw: bool,
        /// Whether the variable is of type file.
        #[serde(default)]
        file: bool,
    },
}

/// One variable in `context.instance_variables`: its value, or its value with flags.
#[cfg(test)]
#[derive(Debug, schemars::JsonSchema)]
#[serde(untagged)]
pub enum InstanceVariableValue {
    /// The value, used as written.
    Text(String),
    /// The value with its flags.
    Object {
        /// The value.
        value: String,
        /// Whether the value is shown as `[MASKED]`.
        #[serde(default)]
        masked: bool,
        /// Whether the value is used without variable expansion.
        #[serde(default)]
        raw: bool,
        /// Whether the variable is of type file.
        #[serde(default)]
        file: bool,
        /// Whether only pipelines of protected branches and tags get the variable.
        #[serde(default)]
        protected: bool,
    },
}

/// One variable of a group or of the project: its value, its value with flags, or its
/// definitions for several environment scopes.
#[cfg(test)]
#[derive(Debug, schemars::JsonSchema)]
#[serde(untagged)]
pub enum ScopedVariableValue {
    /// The value, used as written, for every environment.
    Text(String),
    /// The value with its flags.
    Object(ScopedVariableDefinition),
    /// One definition per environment scope. A scope given twice throws an `Error`.
    Scopes(Vec<ScopedVariableDefinition>),
}

/// One definition of a group or project variable.
#[cfg(test)]
#[derive(Debug, schemars::JsonSchema)]
pub struct ScopedVariableDefinition {
    /// The value.
    pub value: String,
    /// Whether the value is shown as `[MASKED]`.
    #[serde(default)]
    pub masked: bool,
    /// Whether the value is used without variable expansion.
    #[serde(default)]
    pub raw: bool,
    /// Whether the variable is of type file.
    #[serde(default)]
    pub file: bool,
    /// Whether only pipelines of protected branches and tags get the variable.
    #[serde(default)]
    pub protected: bool,
    /// The environments whose jobs get this definition: `*` (every job, the default), an
    /// environment name such as `production`, or a pattern where `*` matches any characters,
    /// such as `review/*`.
    #[serde(default)]
    pub environment_scope: Option<String>,
}

/// `context.group_variables`: the project's own group's variables, or groups by path.
#[cfg(test)]
#[derive(Debug, schemars::JsonSchema)]
#[serde(untagged)]
pub enum GroupVariablesValue {
    /// The variables of the project's own group, in the form of `project_variables`.
    Own(BTreeMap<String, ScopedVariableValue>),
    /// Groups of the project, in any order.
    Groups(Vec<GroupInput>),
}

/// One group in `context.group_variables`.
#[cfg(test)]
#[derive(Debug, schemars::JsonSchema)]
pub struct GroupInput {
    /// The group's full path, such as `top/sub`: the project's namespace or one of its
    /// ancestors, compared without regard to ASCII case as GitLab looks up paths. Absent or
    /// `null`: the project's namespace.
    #[serde(default)]
    pub path: Option<String>,
    /// The group's variables, in the form of `project_variables`.
    pub variables: BTreeMap<String, ScopedVariableValue>,
}

/// The file id given to `inputs` values. No source file has it, so a diagnostic about an input
/// value has no source position, as with the CLI's `--input`.
const INPUT_FILE: FileId = FileId(u32::MAX);

impl Input {
    /// Reads the argument of a function from JSON.
    pub fn from_json(value: serde_json::Value) -> Result<Self, String> {
        Self::read(value, Vec::new())
    }

    /// Reads the argument of a function as [`crate::js_value::to_json`] converted it.
    pub fn from_argument(argument: Argument) -> Result<Self, String> {
        let bigint_paths = argument
            .bigint_paths
            .iter()
            .map(|path| format_path(path))
            .collect();
        Self::read(argument.json, bigint_paths)
    }

    fn read(value: serde_json::Value, bigint_paths: Vec<String>) -> Result<Self, String> {
        let is_bigint = |path: &str| bigint_paths.iter().any(|bigint| bigint == path);
        if !value.is_object() {
            return Err(format!(
                "invalid argument: expected an object with `files` and `entry`, found {}",
                json_type_at(&value, "", &bigint_paths)
            ));
        }
        // serde reads a struct from an array too, taking its fields by position.
        if let Some(context @ serde_json::Value::Array(_)) = value.get("context") {
            return Err(format!(
                "invalid argument `context`: expected an object, found {}",
                json_type(context)
            ));
        }
        let mut input: Self = serde_path_to_error::deserialize(value).map_err(|error| {
            let path: Vec<Step> = error
                .path()
                .iter()
                .filter_map(|segment| match segment {
                    Segment::Seq { index } => Some(Step::Index(*index)),
                    Segment::Map { key } => Some(Step::Key(key.clone())),
                    Segment::Enum { variant } => Some(Step::Key(variant.clone())),
                    Segment::Unknown => None,
                })
                .collect();
            let inner = error.inner().to_string();
            let mut message = javascript_terms(&quote_serde_unknown_name(&inner));
            if is_bigint(&format_path(&path)) {
                message = bigint_terms(&message);
            }
            invalid_at(&path, &message)
        })?;
        input.bigint_paths = bigint_paths;
        Ok(input)
    }

    /// Returns the entry path, after checking that `files` has it.
    pub fn entry(&self) -> Result<String, String> {
        let entry = self.entry.as_deref().unwrap_or(".gitlab-ci.yml");
        let key = repository_key(entry)
            .filter(|key| !key.is_empty() && !entry.ends_with('/') && !entry.contains('\0'))
            .ok_or_else(|| format!("invalid argument `entry`: {}", invalid_path(entry)))?;
        if self.files.contains_key(&key) {
            return Ok(key);
        }
        let mut message = format!("entry file {} is not in `files`", quote(entry));
        if self.files.is_empty() {
            message.push_str("; `files` is empty");
        } else {
            let names: Vec<Cow<str>> = self
                .files
                .keys()
                .take(5)
                .map(|name| escape_hidden(name))
                .collect();
            let more = if self.files.len() > names.len() {
                ", ..."
            } else {
                ""
            };
            message.push_str(&format!("; its paths are {}{more}", names.join(", ")));
        }
        Err(message)
    }

    /// Moves the file maps into a file provider.
    pub fn take_files(&mut self) -> MapFiles {
        MapFiles {
            repository: std::mem::take(&mut self.files),
            projects: std::mem::take(&mut self.projects),
            templates: self.templates.take(),
            remote: self.remote.take(),
        }
    }

    /// Returns the pipeline inputs as YAML nodes, or `None` when none were given.
    pub fn pipeline_inputs(&self) -> Option<Mapping> {
        let inputs = self.inputs.as_ref()?;
        let mut mapping = Mapping::new();
        for (name, value) in inputs {
            mapping.insert(name.clone(), input_span(), json_node(value));
        }
        Some(mapping)
    }

    /// Builds the pipeline context `context` and `variables` describe.
    pub fn pipeline_context(&self) -> Result<PipelineContext, String> {
        let context = &self.context;
        // The default ref is a branch name, so a tag pipeline without `ref` would plan a tag
        // named after the default branch. The CLI's `--tag` requires `--ref` for this reason.
        if context.tag && context.ref_name.is_none() {
            return Err(
                "invalid argument `context.tag`: a tag pipeline needs the tag's name in \
                        `context.ref`"
                    .to_owned(),
            );
        }
        let options = ContextOptions {
            source: context.source,
            ref_name: context.ref_name.clone(),
            tag: context.tag,
            default_branch: context.default_branch.clone(),
            protected_ref: context.protected_ref,
            project_path: context.project_path.clone(),
            mr_source: context.mr_source.clone(),
            mr_target: context.mr_target.clone(),
            mr_labels: context.mr_labels.clone(),
            mr_event_type: context.mr_event_type,
            mr_title: context.mr_title.clone(),
            variables: settings_variables(
                self.variables.as_ref(),
                "variables",
                Level::Pipeline,
                &self.bigint_paths,
            )?,
            instance_variables: settings_variables(
                context.instance_variables.as_ref(),
                "context.instance_variables",
                Level::Instance,
                &self.bigint_paths,
            )?,
            group_variables: group_variables(
                context.group_variables.as_ref(),
                context.project_path.as_deref(),
                &self.bigint_paths,
            )?,
            project_variables: settings_variables(
                context.project_variables.as_ref(),
                "context.project_variables",
                Level::Scoped,
                &self.bigint_paths,
            )?,
            masked: context.masked.clone(),
            changed: context.changed.clone(),
            title: context.title.clone(),
            server_host: context.server_host.clone(),
        };
        let built = options.build().map_err(context_error_message)?;
        if context.protected_ref == Some(true) && built.merge_request_pipeline().is_some() {
            return Err(
                "invalid argument `context.protected_ref`: a merge request pipeline runs on the \
                 merge request's own ref, which glplan treats as unprotected; leave `protected_ref` \
                 out, or plan a branch pipeline without the `mr_*` fields"
                    .to_owned(),
            );
        }
        Ok(built)
    }
}

/// Rewrites serde's message about a JSON value in JavaScript's terms: `object` and `array`
/// for serde's `map` and `sequence`, and no Rust type names.
fn javascript_terms(message: &str) -> String {
    message
        .replace("expected struct ContextInput", "expected an object")
        .replace("expected struct Input", "expected an object")
        .replace("invalid type: map,", "invalid type: object,")
        .replace("invalid type: sequence,", "invalid type: array,")
        .replace("expected a sequence", "expected an array")
        .replace("expected a map", "expected an object")
        .replace("invalid type: floating point ", "invalid type: number ")
        .replace("invalid type: integer ", "invalid type: number ")
}

/// Returns whether the string at `path` of the argument is text rather than a name: a file's
/// contents in `files`, `projects`, `templates`, `remote`, `runners` or `durations`, a value in
/// `inputs`, a variable's value, `context.title` or `context.mr_title`. A lone surrogate in text becomes U+FFFD,
/// and in a name it is an error (see [`crate::js_value::to_json`]).
///
/// NOTE: the paths follow the fields of [`Input`] by hand, so a new text field needs a case
/// here, or a lone surrogate in it throws.
pub fn is_text_path(path: &[Step]) -> bool {
    let [Step::Key(field), rest @ ..] = path else {
        return false;
    };
    match (field.as_str(), rest) {
        ("files" | "templates" | "remote" | "runners", [_]) => true,
        ("projects", [_, _]) => true,
        ("durations", []) => true,
        ("inputs", [_, ..]) => true,
        ("variables", rest) => is_variable_value(rest),
        ("context", [Step::Key(field), rest @ ..]) => match (field.as_str(), rest) {
            ("title" | "mr_title", []) => true,
            ("instance_variables" | "project_variables", rest) => is_variable_value(rest),
            ("group_variables", [Step::Index(_), Step::Key(variables), rest @ ..]) => {
                variables == "variables" && is_variable_value(rest)
            }
            ("group_variables", rest) => is_variable_value(rest),
            _ => false,
        },
        _ => false,
    }
}

/// Returns whether `path`, inside an object of variables, leads to a value: `NAME`,
/// `NAME.value` or `NAME[index].value`.
fn is_variable_value(path: &[Step]) -> bool {
    match path {
        [Step::Key(_)] => true,
        [Step::Key(_), Step::Key(member)] | [Step::Key(_), Step::Index(_), Step::Key(member)] => {
            member == "value"
        }
        _ => false,
    }
}

/// Rewrites serde's message about a number that JavaScript passed as a `BigInt`:
/// ``invalid type: number `10` `` becomes ``invalid type: bigint `10n` ``.
fn bigint_terms(message: &str) -> String {
    const NUMBER: &str = "invalid type: number `";
    let Some(start) = message.find(NUMBER) else {
        return message.to_owned();
    };
    let digits_start = start + NUMBER.len();
    let Some(length) = message[digits_start..].find('`') else {
        return message.to_owned();
    };
    let digits_end = digits_start + length;
    format!(
        "{}invalid type: bigint `{}n`{}",
        &message[..start],
        &message[digits_start..digits_end],
        &message[digits_end + 1..]
    )
}

/// Words a [`ContextError`] with the names of the argument's fields.
fn context_error_message(error: ContextError) -> String {
    match error {
        ContextError::SourceNotMergeRequest { source } => format!(
            "invalid argument `context.source`: `{}` cannot be combined with the `mr_*` \
             fields, which describe a merge_request_event pipeline",
            source.as_str()
        ),
        ContextError::SameMergeRequestBranches {
            branch,
            source_field,
            target_given,
        } => {
            let (source, fix) = match source_field {
                Some("ref_name") => ("`ref`", "`ref`"),
                Some(_) => ("`mr_source`", "`mr_source`"),
                None => (
                    "the default branch, as neither `mr_source` nor `ref` is set",
                    "`mr_source`",
                ),
            };
            let target = if target_given {
                "`mr_target`"
            } else {
                "the default branch, as `mr_target` is not set"
            };
            format!(
                "invalid argument `context`: the merge request's source branch ({source}) and \
                 target branch ({target}) are both `{branch}`, and GitLab rejects a merge \
                 request from a branch into itself; set another branch in {fix} or `mr_target`"
            )
        }
        ContextError::InvalidRefName {
            field,
            name,
            reason,
        } => {
            let (field, kind) = match field {
                "ref_name" => ("ref", "branch or tag"),
                other => (other, "branch"),
            };
            format!(
                "invalid argument `context.{field}`: `{name}` is not a valid Git {kind} name, \
                 because {reason} (see `git help check-ref-format`)"
            )
        }
        ContextError::RefNotMergeRequestSource {
            ref_name,
            mr_source,
        } => format!(
            "invalid argument `context`: `ref` {ref_name} and `mr_source` {mr_source} \
             differ; a merge request pipeline runs for the merge request's source branch, \
             so set only `mr_source`"
        ),
        ContextError::MaskedVariableNotSet { name } => format!(
            "invalid argument `context.masked`: no variable `{name}` is set in `variables`, \
             `context.instance_variables`, `context.group_variables` or \
             `context.project_variables`"
        ),
        ContextError::EmptyValue {
            field: "group_variables",
            index,
        } => {
            let at = index.map(|index| format!("[{index}]")).unwrap_or_default();
            format!(
                "invalid argument `context.group_variables{at}.path`: a group's `path` must not \
                 be empty; leave it out for the project's own group"
            )
        }
        ContextError::EmptyValue { field, index } => {
            // The object field of `ref_name` is `ref`; the others keep their names.
            let field = if field == "ref_name" { "ref" } else { field };
            let at = index.map(|index| format!("[{index}]")).unwrap_or_default();
            format!("invalid argument `context.{field}{at}`: the value must not be empty")
        }
        ContextError::InvalidProjectPath { path } => format!(
            "invalid argument `context.project_path`: `{path}` is not a project's full path; \
             expected NAMESPACE/NAME such as `my-group/my-project`, with letters, digits, `_`, \
             `-` and `.` between the `/`"
        ),
        ContextError::InvalidServerHost { host } => format!(
            "invalid argument `context.server_host`: {}; give the host alone, such as \
             `gitlab.com`, `gitlab.internal:8443` or `[2001:db8::1]:8443`",
            glplan::context::server_host_problem(&host).unwrap_or_default()
        ),
        ContextError::GroupNotAncestor {
            group,
            project_path,
        } => format!(
            "invalid argument `context.group_variables`: group `{group}` does not contain \
             project `{project_path}`; name the project's namespace or one of its ancestors, \
             and set the project's full path in `context.project_path`"
        ),
        ContextError::UnmaskableValue {
            field,
            group,
            key,
            masked_by_name,
            reason,
        } => {
            let variable = match (field, group) {
                (_, Some(group)) => {
                    format!("`context.group_variables`: variable `{key}` of group `{group}`")
                }
                ("variables", None) => format!("`variables.{key}`"),
                (field, None) => format!("`context.{field}.{key}`"),
            };
            let mut fixes = vec!["change the value".to_owned()];
            if reason.raw_accepts {
                fixes.push("set `raw: true`".to_owned());
            }
            if masked_by_name {
                fixes.push(format!("remove `{key}` from `context.masked`"));
            } else {
                fixes.push("set `masked: false`".to_owned());
            }
            let last = fixes.pop().unwrap_or_default();
            let fixes = if fixes.is_empty() {
                last
            } else {
                format!("{} or {last}", fixes.join(", "))
            };
            format!(
                "invalid argument {variable}: the variable cannot be masked: {reason}. GitLab \
                 rejects such a masked variable; {fixes}"
            )
        }
    }
}

/// Reads `context.group_variables`: an object of the project's own group's variables, or an
/// array of `{path, variables}` objects. Two entries for one group are an error, as two keys
/// for one project in `projects` are, because a repeated group is more likely a mistake than
/// an override. `project_path` is `context.project_path`, whose namespace an entry without
/// `path` names.
fn group_variables(
    value: Option<&serde_json::Value>,
    project_path: Option<&str>,
    bigint_paths: &[String],
) -> Result<Vec<GroupVariablesOption>, String> {
    const FIELD: &str = "context.group_variables";
    let groups = match value {
        None | Some(serde_json::Value::Null) => return Ok(Vec::new()),
        Some(serde_json::Value::Object(object)) => {
            return Ok(vec![GroupVariablesOption {
                path: None,
                variables: settings_variables(Some(object), FIELD, Level::Scoped, bigint_paths)?,
            }]);
        }
        Some(serde_json::Value::Array(groups)) => groups,
        Some(other) => {
            return Err(format!(
                "invalid argument `{FIELD}`: expected an object of variables or an array of \
                 `{{path, variables}}` objects, found {}",
                json_type_at(other, FIELD, bigint_paths)
            ));
        }
    };
    let mut options = Vec::new();
    for (index, group) in groups.iter().enumerate() {
        let field = format!("{FIELD}[{index}]");
        let serde_json::Value::Object(group) = group else {
            return Err(format!(
                "invalid argument `{field}`: expected an object with `variables` and an \
                 optional `path`, found {}",
                json_type_at(group, &field, bigint_paths)
            ));
        };
        if let Some(unknown) = group
            .keys()
            .find(|key| !matches!(key.as_str(), "path" | "variables"))
        {
            return Err(format!(
                "invalid argument `{field}`: unknown field {}, expected `path` or `variables`",
                quote(unknown)
            ));
        }
        let path = match group.get("path") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(path)) => Some(path.clone()),
            Some(other) => {
                return Err(format!(
                    "invalid argument `{field}.path`: expected a string, found {}",
                    json_type_at(other, &format!("{field}.path"), bigint_paths)
                ));
            }
        };
        let variables = match group.get("variables") {
            Some(serde_json::Value::Object(object)) => settings_variables(
                Some(object),
                &format!("{field}.variables"),
                Level::Scoped,
                bigint_paths,
            )?,
            None => {
                return Err(format!(
                    "invalid argument `{field}`: missing field `variables`"
                ));
            }
            Some(other) => {
                return Err(format!(
                    "invalid argument `{field}.variables`: expected an object of variables, \
                     found {}",
                    json_type_at(other, &format!("{field}.variables"), bigint_paths)
                ));
            }
        };
        options.push(GroupVariablesOption { path, variables });
    }
    check_group_duplicates(&options, project_path)?;
    Ok(options)
}

/// Rejects two entries of `context.group_variables` that name the same group. Paths are
/// compared without regard to ASCII case, as the core compares them, and an entry without
/// `path` names the namespace of `project_path` (by default the core's default project).
fn check_group_duplicates(
    groups: &[GroupVariablesOption],
    project_path: Option<&str>,
) -> Result<(), String> {
    let default_project = Project::default();
    let project_path = project_path.unwrap_or(&default_project.path);
    let namespace = project_path
        .rsplit_once('/')
        .map_or("", |(namespace, _)| namespace);
    let mut seen: Vec<(usize, &str)> = Vec::new();
    for (later, group) in groups.iter().enumerate() {
        let path = group.path.as_deref().unwrap_or(namespace);
        let earlier = seen
            .iter()
            .find(|(_, other)| other.eq_ignore_ascii_case(path));
        if let Some((earlier, first_path)) = earlier {
            return Err(format!(
                "invalid argument `context.group_variables`: entries {earlier} and {later} both \
                 name group {}; keep one of them",
                quote(first_path)
            ));
        }
        seen.push((later, path));
    }
    Ok(())
}

/// The level a JSON object of variables sets, which decides the flags GitLab allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// Pipeline or schedule variables: no `protected`, no environment scope.
    Pipeline,
    /// Instance variables: `protected`, but no environment scope.
    Instance,
    /// Group and project variables: `protected`, and one definition per environment scope.
    Scoped,
}

/// The object form of a settings variable.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsJson {
    value: String,
    #[serde(default)]
    masked: bool,
    #[serde(default)]
    raw: bool,
    #[serde(default)]
    file: bool,
    #[serde(default)]
    protected: bool,
    environment_scope: Option<String>,
}

/// Reads the variables of one level from a JSON object, with the flags and forms that
/// `level` allows. `field` names the object in error messages, and `bigint_paths` are the
/// paths of the argument's `BigInt`s ([`Input::bigint_paths`]).
fn settings_variables(
    object: Option<&serde_json::Map<String, serde_json::Value>>,
    field: &str,
    level: Level,
    bigint_paths: &[String],
) -> Result<Vec<SettingsVariable>, String> {
    let Some(object) = object else {
        return Ok(Vec::new());
    };
    if level == Level::Pipeline {
        for (key, value) in object {
            check_variable_name(field, key)?;
            check_variable_value(&format!("{field}.{key}"), value, bigint_paths)?;
            check_pipeline_flags(field, key, value)?;
        }
        return variables_from_json(object.clone())
            .map_err(|message| format!("invalid argument `{field}`: {message}"));
    }
    let mut variables = Vec::new();
    for (key, value) in object {
        check_variable_name(field, key)?;
        let serde_json::Value::Array(definitions) = value else {
            variables.push(settings_variable(
                key,
                value,
                &format!("{field}.{key}"),
                level,
                bigint_paths,
            )?);
            continue;
        };
        if level == Level::Instance {
            return Err(format!(
                "invalid argument `{field}.{key}`: expected a string or an object with `value`, \
                 found an array. GitLab gives instance variables no environment scope, so an \
                 instance variable has one definition"
            ));
        }
        if definitions.is_empty() {
            return Err(format!(
                "invalid argument `{field}.{key}`: expected one definition or more, found an \
                 empty array"
            ));
        }
        let first = variables.len();
        for (index, definition) in definitions.iter().enumerate() {
            let path = format!("{field}.{key}[{index}]");
            if !definition.is_object() {
                return Err(format!(
                    "invalid argument `{path}`: expected an object with `value` and an optional \
                     `environment_scope`, found {}",
                    json_type_at(definition, &path, bigint_paths)
                ));
            }
            let variable = settings_variable(key, definition, &path, level, bigint_paths)?;
            let earlier = variables
                .iter()
                .skip(first)
                .position(|other: &SettingsVariable| {
                    other.environment_scope == variable.environment_scope
                });
            if let Some(earlier) = earlier {
                return Err(format!(
                    "invalid argument `{path}`: `{key}` already has a definition with \
                     environment scope `{}` at index {earlier}. GitLab keeps one variable per \
                     key and environment scope",
                    variable.environment_scope
                ));
            }
            variables.push(variable);
        }
    }
    Ok(variables)
}

/// Reads one definition of an instance, group or project variable: a string, or an object
/// with `value` and the optional `masked`, `raw`, `file`, `protected` and, for group and
/// project variables, `environment_scope`.
fn settings_variable(
    key: &str,
    value: &serde_json::Value,
    path: &str,
    level: Level,
    bigint_paths: &[String],
) -> Result<SettingsVariable, String> {
    check_variable_value(path, value, bigint_paths)?;
    let parsed = match value {
        serde_json::Value::String(text) => return Ok(SettingsVariable::new(key, text.clone())),
        serde_json::Value::Object(_) => serde_json::from_value::<SettingsJson>(value.clone())
            .map_err(|error| {
                let error = error.to_string();
                format!(
                    "invalid argument `{path}`: {}",
                    quote_serde_unknown_name(&error)
                )
            })?,
        _ => {
            return Err(format!(
                "invalid argument `{path}`: expected a string or an object with `value`, found \
                 {}",
                json_type_at(value, path, bigint_paths)
            ));
        }
    };
    let environment_scope = match parsed.environment_scope {
        Some(scope) if level == Level::Instance => {
            return Err(format!(
                "invalid argument `{path}.environment_scope`: GitLab gives instance variables no \
                 environment scope, so `{scope}` is rejected; set the scoped value in \
                 `context.group_variables` or `context.project_variables`"
            ));
        }
        Some(scope) => {
            check_environment_scope(&scope).map_err(|message| {
                format!("invalid argument `{path}.environment_scope`: {message}")
            })?;
            scope
        }
        None => "*".to_owned(),
    };
    Ok(SettingsVariable {
        masked: parsed.masked,
        raw: parsed.raw,
        file: parsed.file,
        protected: parsed.protected,
        environment_scope,
        ..SettingsVariable::new(key, parsed.value)
    })
}

/// Rejects `protected` and `environment_scope` on a pipeline variable, which GitLab has only
/// for instance, group and project variables.
fn check_pipeline_flags(field: &str, key: &str, value: &serde_json::Value) -> Result<(), String> {
    let serde_json::Value::Object(object) = value else {
        return Ok(());
    };
    for flag in ["protected", "environment_scope"] {
        if object.contains_key(flag) {
            return Err(format!(
                "invalid argument `{field}.{key}.{flag}`: GitLab sets `{flag}` only on instance, \
                 group and project variables (`context.instance_variables`, \
                 `context.group_variables`, `context.project_variables`), not on the variables \
                 of a pipeline"
            ));
        }
    }
    Ok(())
}

/// Checks that `key` of the variables object `field` is a variable name, before its value is
/// read, so that an empty or invalid name is reported as such.
fn check_variable_name(field: &str, key: &str) -> Result<(), String> {
    if is_variable_name(key) {
        return Ok(());
    }
    Err(format!(
        "invalid argument `{field}`: {} is not a valid variable name (letters, digits and `_` \
         only)",
        quote(key)
    ))
}

/// Rejects a number or boolean as a variable's value, alone or as the object form's `value`.
/// GitLab's API takes variable values as strings, and the CLI's `--var-file` rejects other
/// types too. A value whose path is in `bigint_paths` is named a bigint, as JavaScript wrote it.
fn check_variable_value(
    path: &str,
    value: &serde_json::Value,
    bigint_paths: &[String],
) -> Result<(), String> {
    let (path, value) = match value {
        serde_json::Value::Object(object) => (format!("{path}.value"), object.get("value")),
        _ => (path.to_owned(), Some(value)),
    };
    let (found, text) = match value {
        Some(serde_json::Value::Number(number)) if bigint_paths.contains(&path) => {
            (format!("bigint `{number}n`"), number.to_string())
        }
        Some(serde_json::Value::Number(number)) => {
            (format!("number `{number}`"), number.to_string())
        }
        Some(serde_json::Value::Bool(flag)) => (format!("boolean `{flag}`"), flag.to_string()),
        _ => return Ok(()),
    };
    Err(format!(
        "invalid argument `{path}`: expected a string, found the {found}. GitLab's API takes \
         variable values as strings, so quote it: `\"{text}\"`"
    ))
}

fn input_span() -> Span {
    Span::new(INPUT_FILE, 0, 0)
}

/// Converts a JSON value into the YAML node a value written in `include:inputs` would give.
fn json_node(value: &serde_json::Value) -> Node {
    let value = match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(flag) => Value::Bool(*flag),
        serde_json::Value::Number(number) => match number.as_i64() {
            Some(integer) => Value::Int(integer),
            None => Value::Float(number.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(text) => Value::String(text.clone()),
        serde_json::Value::Array(items) => Value::Seq(items.iter().map(json_node).collect()),
        serde_json::Value::Object(object) => {
            let mut mapping = Mapping::new();
            for (key, item) in object {
                mapping.insert(key.clone(), input_span(), json_node(item));
            }
            Value::Map(mapping)
        }
    };
    Node::new(value, input_span())
}

/// Names the type of the argument's `value` at `path` as [`json_type`] does, calling a number
/// that JavaScript passed as a `BigInt` a bigint.
fn json_type_at(value: &serde_json::Value, path: &str, bigint_paths: &[String]) -> &'static str {
    if value.is_number() && bigint_paths.iter().any(|bigint| bigint == path) {
        "a bigint"
    } else {
        json_type(value)
    }
}

fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null or undefined",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: serde_json::Value) -> Result<Input, String> {
        Input::from_json(json)
    }

    #[test]
    fn from_json_rejects_string() {
        assert_eq!(
            input(serde_json::json!("x")).unwrap_err(),
            "invalid argument: expected an object with `files` and `entry`, found a string"
        );
    }

    #[test]
    fn from_json_names_bad_field() {
        let error = input(serde_json::json!({"files": {"a.yml": 3}})).unwrap_err();
        assert!(
            error.starts_with("invalid argument `files[\"a.yml\"]`: "),
            "{error}"
        );
    }

    #[test]
    fn from_json_names_no_rust_type() {
        let error = input(serde_json::json!({"context": null})).unwrap_err();
        assert_eq!(
            error,
            "invalid argument `context`: invalid type: null, expected an object"
        );
        let error = input(serde_json::json!({"files": {"a.yml": {}}})).unwrap_err();
        assert_eq!(
            error,
            "invalid argument `files[\"a.yml\"]`: invalid type: object, expected a string"
        );
    }

    #[test]
    fn from_json_rejects_unknown_field() {
        let error = input(serde_json::json!({"contxt": {}})).unwrap_err();
        assert!(error.contains("unknown field `contxt`"), "{error}");
    }

    #[test]
    fn from_json_rejects_unknown_source() {
        let error = input(serde_json::json!({"context": {"source": "psuh"}})).unwrap_err();
        assert!(
            error.starts_with("invalid argument `context.source`: "),
            "{error}"
        );
    }

    #[test]
    fn unknown_names_quoted_as_code_spans() {
        let cases = [
            (
                serde_json::json!({"": 1}),
                "unknown field `\"\"` (empty), expected one of",
            ),
            (
                serde_json::json!({"context": {"a`b": 1}}),
                "unknown field ``a`b``, expected one of",
            ),
            (
                serde_json::json!({"context": {"source": ""}}),
                "unknown variant `\"\"` (empty), expected one of",
            ),
        ];
        for (json, expected) in cases {
            let error = input(json.clone()).unwrap_err();
            assert!(error.contains(expected), "{json}: {error}");
        }
    }

    #[test]
    fn text_paths_distinguished_from_names() {
        let key = |name: &str| Step::Key(name.to_owned());
        let text = [
            vec![key("files"), key("a.yml")],
            vec![key("projects"), key("group/ci"), key("a.yml")],
            vec![key("durations")],
            vec![key("inputs"), key("list"), Step::Index(0)],
            vec![key("variables"), key("A")],
            vec![key("variables"), key("A"), key("value")],
            vec![key("context"), key("title")],
            vec![key("context"), key("mr_title")],
            vec![
                key("context"),
                key("project_variables"),
                key("A"),
                Step::Index(1),
                key("value"),
            ],
            vec![key("context"), key("group_variables"), key("path")],
            vec![
                key("context"),
                key("group_variables"),
                Step::Index(0),
                key("variables"),
                key("A"),
            ],
        ];
        for path in text {
            assert!(is_text_path(&path), "{path:?}");
        }
        let names = [
            vec![key("entry")],
            vec![key("play"), Step::Index(0)],
            vec![key("context"), key("ref")],
            vec![key("context"), key("masked"), Step::Index(0)],
            vec![key("context"), key("changed"), Step::Index(0)],
            vec![
                key("context"),
                key("group_variables"),
                Step::Index(0),
                key("path"),
            ],
            vec![
                key("context"),
                key("project_variables"),
                key("A"),
                key("environment_scope"),
            ],
            vec![key("variables"), key("A"), key("masked")],
        ];
        for path in names {
            assert!(!is_text_path(&path), "{path:?}");
        }
    }

    #[test]
    fn runners_keep_given_order() {
        let runners = serde_json::json!({"b.toml": "", "a.toml": ""});
        let input = input(serde_json::json!({"runners": runners})).unwrap();
        let names: Vec<&str> = input.runners.keys().map(String::as_str).collect();
        assert_eq!(names, ["b.toml", "a.toml"]);
    }

    #[test]
    fn entry_defaults_to_gitlab_ci_yml() {
        let input = input(serde_json::json!({"files": {".gitlab-ci.yml": ""}})).unwrap();
        assert_eq!(input.entry().unwrap(), ".gitlab-ci.yml");
    }

    #[test]
    fn entry_missing_lists_paths() {
        let input = input(serde_json::json!({"files": {"a.yml": ""}, "entry": "b.yml"})).unwrap();
        assert_eq!(
            input.entry().unwrap_err(),
            "entry file `b.yml` is not in `files`; its paths are a.yml"
        );
    }

    #[test]
    fn inputs_keep_json_types() {
        let input = input(serde_json::json!({"inputs": {"n": 3, "s": "3", "f": 1.5}})).unwrap();
        let inputs = input.pipeline_inputs().unwrap();
        assert_eq!(inputs.get("n").unwrap().as_int(), Some(3));
        assert_eq!(inputs.get("s").unwrap().as_str(), Some("3"));
        assert_eq!(inputs.get("f").unwrap().value, Value::Float(1.5));
    }

    #[test]
    fn context_merge_request_from_field() {
        let input = input(serde_json::json!({"context": {"mr_source": "feature"}})).unwrap();
        let context = input.pipeline_context().unwrap();
        assert_eq!(context.source, PipelineSource::MergeRequestEvent);
    }

    #[test]
    fn context_merge_request_title() {
        let context = serde_json::json!({"ref": "feature", "mr_title": "[Draft] login"});
        let input = input(serde_json::json!({ "context": context })).unwrap();
        let context = input.pipeline_context().unwrap();
        assert_eq!(context.source, PipelineSource::MergeRequestEvent);
        let merge_request = context.merge_request_pipeline().unwrap();
        assert_eq!(merge_request.title, "[Draft] login");
        assert!(merge_request.draft);
    }

    #[test]
    fn context_merge_request_default_source() {
        let input = input(serde_json::json!({"context": {"mr_target": "release"}})).unwrap();
        let context = input.pipeline_context().unwrap();
        let merge_request = context.merge_request_pipeline().unwrap();
        assert_eq!(merge_request.source_branch, "main");
        assert_eq!(merge_request.target_branch, "release");
    }

    #[test]
    fn context_merge_request_same_branches() {
        let cases = [
            (
                serde_json::json!({"mr_source": "main", "mr_target": "main"}),
                "invalid argument `context`: the merge request's source branch (`mr_source`) \
                 and target branch (`mr_target`) are both `main`, and GitLab rejects a merge \
                 request from a branch into itself; set another branch in `mr_source` or \
                 `mr_target`",
            ),
            (
                serde_json::json!({"mr_labels": ["x"]}),
                "invalid argument `context`: the merge request's source branch (the default \
                 branch, as neither `mr_source` nor `ref` is set) and target branch (the \
                 default branch, as `mr_target` is not set) are both `main`, and GitLab rejects \
                 a merge request from a branch into itself; set another branch in `mr_source` \
                 or `mr_target`",
            ),
            (
                serde_json::json!({"ref": "dev", "mr_target": "dev"}),
                "invalid argument `context`: the merge request's source branch (`ref`) and \
                 target branch (`mr_target`) are both `dev`, and GitLab rejects a merge request \
                 from a branch into itself; set another branch in `ref` or `mr_target`",
            ),
        ];
        for (context, expected) in cases {
            let input = input(serde_json::json!({"context": context})).unwrap();
            assert_eq!(input.pipeline_context().unwrap_err(), expected, "{context}");
        }
    }

    #[test]
    fn context_invalid_ref_names() {
        let cases = [
            (
                serde_json::json!({"ref": "a..b"}),
                "invalid argument `context.ref`: `a..b` is not a valid Git branch or tag name, \
                 because it contains `..` (see `git help check-ref-format`)",
            ),
            (
                serde_json::json!({"default_branch": "-main"}),
                "invalid argument `context.default_branch`: `-main` is not a valid Git branch \
                 name, because it starts with `-` (see `git help check-ref-format`)",
            ),
            (
                serde_json::json!({"mr_source": "feat:x"}),
                "invalid argument `context.mr_source`: `feat:x` is not a valid Git branch name, \
                 because it contains `:` (see `git help check-ref-format`)",
            ),
            (
                serde_json::json!({"mr_source": "feat", "mr_target": "@"}),
                "invalid argument `context.mr_target`: `@` is not a valid Git branch name, \
                 because Git reads `@` as `HEAD` (see `git help check-ref-format`)",
            ),
        ];
        for (context, expected) in cases {
            let input = input(serde_json::json!({"context": context})).unwrap();
            assert_eq!(input.pipeline_context().unwrap_err(), expected, "{context}");
        }
    }

    #[test]
    fn context_empty_list_entry_named_by_index() {
        let cases = [
            (
                serde_json::json!({"mr_source": "feat", "mr_labels": ["backend", ""]}),
                "invalid argument `context.mr_labels[1]`: the value must not be empty",
            ),
            (
                serde_json::json!({"changed": ["a.rs", "b.rs", ""]}),
                "invalid argument `context.changed[2]`: the value must not be empty",
            ),
            (
                serde_json::json!({"masked": [""]}),
                "invalid argument `context.masked[0]`: the value must not be empty",
            ),
            (
                serde_json::json!({"group_variables": [
                    {"variables": {"A": "1"}},
                    {"path": "", "variables": {"A": "2"}},
                ]}),
                "invalid argument `context.group_variables[1].path`: a group's `path` must not \
                 be empty; leave it out for the project's own group",
            ),
            (
                serde_json::json!({"ref": ""}),
                "invalid argument `context.ref`: the value must not be empty",
            ),
        ];
        for (context, expected) in cases {
            let input = input(serde_json::json!({"context": context})).unwrap();
            assert_eq!(input.pipeline_context().unwrap_err(), expected, "{context}");
        }
    }

    #[test]
    fn context_group_path_case_ignored() {
        let input = input(serde_json::json!({
            "context": {
                "project_path": "Top/Sub/app",
                "group_variables": [{"path": "top", "variables": {"A": "1"}}]
            }
        }))
        .unwrap();
        let context = input.pipeline_context().unwrap();
        assert_eq!(context.group_variables[0].path, "top");
    }

    #[test]
    fn context_server_host_sets_server() {
        let input = input(serde_json::json!({"context": {"server_host": "gitlab.acme.test:8443"}}))
            .unwrap();
        let context = input.pipeline_context().unwrap();
        assert_eq!(context.server.url, "https://gitlab.acme.test:8443");
        assert_eq!(context.server.fqdn(), "gitlab.acme.test:8443");

        let default_port =
            self::input(serde_json::json!({"context": {"server_host": "gitlab.com:443"}})).unwrap();
        let context = default_port.pipeline_context().unwrap();
        assert_eq!(context.server.url, "https://gitlab.com");

        let ipv6 =
            self::input(serde_json::json!({"context": {"server_host": "[2001:db8::1]:8443"}}))
                .unwrap();
        let context = ipv6.pipeline_context().unwrap();
        assert_eq!(context.server.url, "https://[2001:db8::1]:8443");
        assert_eq!(context.server.fqdn(), "[2001:db8::1]:8443");
    }

    #[test]
    fn context_server_host_invalid() {
        for host in [
            "https://gitlab.acme.test",
            "gitlab.acme.test/group",
            "host:0",
            "",
            "gitlab.com:+443",
            "gitlab.com:0443",
            ".",
            "a..b",
            "_",
        ] {
            let input = input(serde_json::json!({"context": {"server_host": host}})).unwrap();
            let problem = glplan::context::server_host_problem(host).unwrap();
            assert_eq!(
                input.pipeline_context().unwrap_err(),
                format!(
                    "invalid argument `context.server_host`: {problem}; give the host alone, \
                     such as `gitlab.com`, `gitlab.internal:8443` or `[2001:db8::1]:8443`"
                ),
            );
        }
    }

    #[test]
    fn context_tag_without_ref_rejected() {
        let input = input(serde_json::json!({"context": {"tag": true}})).unwrap();
        assert_eq!(
            input.pipeline_context().unwrap_err(),
            "invalid argument `context.tag`: a tag pipeline needs the tag's name in \
             `context.ref`"
        );
    }

    #[test]
    fn context_protected_ref() {
        let cases = [
            (serde_json::json!({}), true),
            (serde_json::json!({"protected_ref": false}), false),
            (serde_json::json!({"ref": "release/1"}), false),
            (
                serde_json::json!({"ref": "release/1", "protected_ref": true}),
                true,
            ),
            (
                serde_json::json!({"ref": "v1", "tag": true, "protected_ref": true}),
                true,
            ),
            (
                serde_json::json!({"mr_source": "feat", "protected_ref": false}),
                false,
            ),
        ];
        for (context, expected) in cases {
            let input = input(serde_json::json!({ "context": context })).unwrap();
            let built = input.pipeline_context().unwrap();
            assert_eq!(built.protected_ref(), expected, "{context}");
        }
        let input = input(serde_json::json!({
            "context": {"mr_source": "feat", "protected_ref": true}
        }))
        .unwrap();
        assert_eq!(
            input.pipeline_context().unwrap_err(),
            "invalid argument `context.protected_ref`: a merge request pipeline runs on the \
             merge request's own ref, which glplan treats as unprotected; leave `protected_ref` out, \
             or plan a branch pipeline without the `mr_*` fields"
        );
    }

    #[test]
    fn context_tag_with_ref_sets_commit_tag() {
        let input = input(serde_json::json!({"context": {"tag": true, "ref": "v1.0"}})).unwrap();
        let context = input.pipeline_context().unwrap();
        assert!(context.tag);
        assert_eq!(context.ref_name, "v1.0");
    }

    #[test]
    fn context_mask_unknown_variable() {
        let input = input(serde_json::json!({"context": {"masked": ["TOKEN"]}})).unwrap();
        assert_eq!(
            input.pipeline_context().unwrap_err(),
            "invalid argument `context.masked`: no variable `TOKEN` is set in `variables`, \
             `context.instance_variables`, `context.group_variables` or \
             `context.project_variables`"
        );
    }

    #[test]
    fn variables_reject_non_string_values() {
        let cases = [
            (
                serde_json::json!({"variables": {"PORT": 8080}}),
                "invalid argument `variables.PORT`: expected a string, found the number `8080`. \
                 GitLab's API takes variable values as strings, so quote it: `\"8080\"`",
            ),
            (
                serde_json::json!({"variables": {"DEBUG": true}}),
                "invalid argument `variables.DEBUG`: expected a string, found the boolean \
                 `true`. GitLab's API takes variable values as strings, so quote it: `\"true\"`",
            ),
            (
                serde_json::json!({"variables": {"RATIO": {"value": 1.5, "masked": true}}}),
                "invalid argument `variables.RATIO.value`: expected a string, found the number \
                 `1.5`. GitLab's API takes variable values as strings, so quote it: `\"1.5\"`",
            ),
            (
                serde_json::json!({"context": {"project_variables": {"N": 3}}}),
                "invalid argument `context.project_variables.N`: expected a string, found the \
                 number `3`. GitLab's API takes variable values as strings, so quote it: \
                 `\"3\"`",
            ),
            (
                serde_json::json!({"context": {"project_variables": {"F": {"value": false}}}}),
                "invalid argument `context.project_variables.F.value`: expected a string, found \
                 the boolean `false`. GitLab's API takes variable values as strings, so quote \
                 it: `\"false\"`",
            ),
        ];
        for (json, expected) in cases {
            let input = input(json.clone()).unwrap();
            let error = input.pipeline_context().unwrap_err();
            assert_eq!(error, expected, "{json}");
        }
    }

    #[test]
    fn variables_accept_string_values() {
        let input = input(serde_json::json!({
            "variables": {"PORT": "8080", "DEBUG": {"value": "true", "raw": true}},
            "context": {"project_variables": {"N": "3"}}
        }))
        .unwrap();
        let context = input.pipeline_context().unwrap();
        assert_eq!(context.pipeline_variables[0].value, "8080");
        assert_eq!(context.pipeline_variables[1].value, "true");
        assert!(context.pipeline_variables[1].raw);
        assert_eq!(context.project_variables[0].value, "3");
    }

    #[test]
    fn variables_null_value_is_error() {
        let input = input(serde_json::json!({"variables": {"A": null}})).unwrap();
        let error = input.pipeline_context().unwrap_err();
        assert_eq!(
            error,
            "invalid argument `variables`: variable `A`: expected a string or an object with \
             `value`"
        );
    }

    #[test]
    fn inputs_accept_booleans_and_arrays() {
        let input =
            input(serde_json::json!({"inputs": {"b": true, "a": ["x", 2], "o": {"k": "v"}}}))
                .unwrap();
        let inputs = input.pipeline_inputs().unwrap();
        assert_eq!(inputs.get("b").unwrap().value, Value::Bool(true));
        let Value::Seq(items) = &inputs.get("a").unwrap().value else {
            panic!("`a` is not a sequence: {inputs:?}");
        };
        assert_eq!(items[0].as_str(), Some("x"));
        assert_eq!(items[1].as_int(), Some(2));
        assert!(matches!(inputs.get("o").unwrap().value, Value::Map(_)));
    }

    #[test]
    fn variables_object_form() {
        let input = input(serde_json::json!({
            "variables": {"A": "1", "B": {"value": "s3cret-value", "masked": true}},
            "context": {"masked": []}
        }))
        .unwrap();
        let context = input.pipeline_context().unwrap();
        assert_eq!(context.pipeline_variables[1].key, "B");
        assert!(context.pipeline_variables[1].masked);
    }

    fn pairs(variables: &[SettingsVariable]) -> Vec<(&str, &str)> {
        variables
            .iter()
            .map(|v| (v.key.as_str(), v.value.as_str()))
            .collect()
    }

    #[test]
    fn context_variable_levels() {
        let input = input(serde_json::json!({
            "variables": {"V": "pipeline"},
            "context": {
                "project_path": "top/sub/app",
                "instance_variables": {"I": "instance"},
                "group_variables": {"G": {"value": "group", "raw": true}},
                "project_variables": {"P": "project"}
            }
        }))
        .unwrap();
        let context = input.pipeline_context().unwrap();
        assert_eq!(context.project.path, "top/sub/app");
        assert_eq!(pairs(&context.instance_variables), [("I", "instance")]);
        assert_eq!(context.group_variables.len(), 1);
        assert_eq!(context.group_variables[0].path, "top/sub");
        assert_eq!(
            pairs(&context.group_variables[0].variables),
            [("G", "group")]
        );
        assert!(context.group_variables[0].variables[0].raw);
        assert_eq!(pairs(&context.project_variables), [("P", "project")]);
        assert_eq!(pairs(&context.pipeline_variables), [("V", "pipeline")]);
    }

    #[test]
    fn context_scoped_and_protected_variables() {
        let input = input(serde_json::json!({
            "context": {
                "instance_variables": {"I": {"value": "instance", "protected": true}},
                "group_variables": {"G": {"value": "group", "environment_scope": "review/*"}},
                "project_variables": {
                    "URL": [
                        {"value": "https://example.com"},
                        {"value": "https://prod.example.com", "environment_scope": "production", "protected": true},
                        {"value": "https://review.example.com", "environment_scope": "review/*", "masked": true}
                    ],
                    "P": "project"
                }
            }
        }))
        .unwrap();
        let context = input.pipeline_context().unwrap();
        let instance = &context.instance_variables[0];
        assert!(instance.protected);
        assert_eq!(instance.environment_scope, "*");
        let group = &context.group_variables[0].variables[0];
        assert_eq!(group.environment_scope, "review/*");
        assert!(!group.protected);
        let project: Vec<(&str, &str, &str, bool, bool)> = context
            .project_variables
            .iter()
            .map(|v| {
                (
                    v.key.as_str(),
                    v.environment_scope.as_str(),
                    v.value.as_str(),
                    v.protected,
                    v.masked,
                )
            })
            .collect();
        assert_eq!(
            project,
            [
                ("URL", "*", "https://example.com", false, false),
                ("URL", "production", "https://prod.example.com", true, false),
                ("URL", "review/*", "https://review.example.com", false, true),
                ("P", "*", "project", false, false),
            ]
        );
    }

    #[test]
    fn context_scoped_variable_errors() {
        let cases = [
            (
                serde_json::json!({"instance_variables": {"I": {"value": "v", "environment_scope": "production"}}}),
                "invalid argument `context.instance_variables.I.environment_scope`: GitLab gives \
                 instance variables no environment scope, so `production` is rejected; set the \
                 scoped value in `context.group_variables` or `context.project_variables`",
            ),
            (
                serde_json::json!({"instance_variables": {"I": [{"value": "v"}]}}),
                "invalid argument `context.instance_variables.I`: expected a string or an object \
                 with `value`, found an array. GitLab gives instance variables no environment \
                 scope, so an instance variable has one definition",
            ),
            (
                serde_json::json!({"project_variables": {"U": []}}),
                "invalid argument `context.project_variables.U`: expected one definition or \
                 more, found an empty array",
            ),
            (
                serde_json::json!({"project_variables": {"U": [{"value": "a"}, {"value": "b", "environment_scope": "*"}]}}),
                "invalid argument `context.project_variables.U[1]`: `U` already has a definition \
                 with environment scope `*` at index 0. GitLab keeps one variable per key and \
                 environment scope",
            ),
            (
                serde_json::json!({"group_variables": [{"variables": {"U": [{"value": "a", "environment_scope": "prod"}, {"value": "b", "environment_scope": "prod"}]}}]}),
                "invalid argument `context.group_variables[0].variables.U[1]`: `U` already has a \
                 definition with environment scope `prod` at index 0. GitLab keeps one variable \
                 per key and environment scope",
            ),
            (
                serde_json::json!({"project_variables": {"U": {"value": "a", "environment_scope": "prod:eu"}}}),
                "invalid argument `context.project_variables.U.environment_scope`: environment \
                 scope `prod:eu` contains `:`, but GitLab allows only letters, digits, `-`, `_`, \
                 `/`, `$`, `{`, `}`, `.`, `*` and spaces",
            ),
            (
                serde_json::json!({"project_variables": {"U": {"value": "a", "environment_scope": ""}}}),
                "invalid argument `context.project_variables.U.environment_scope`: the \
                 environment scope is empty; write `*` for every environment, an environment \
                 name such as `production`, or a pattern such as `review/*`",
            ),
            (
                serde_json::json!({"project_variables": {"U": [{"value": 1}]}}),
                "invalid argument `context.project_variables.U[0].value`: expected a string, \
                 found the number `1`. GitLab's API takes variable values as strings, so quote \
                 it: `\"1\"`",
            ),
            (
                serde_json::json!({"project_variables": {"U": ["a"]}}),
                "invalid argument `context.project_variables.U[0]`: expected an object with \
                 `value` and an optional `environment_scope`, found a string",
            ),
            (
                serde_json::json!({"project_variables": {"U": null}}),
                "invalid argument `context.project_variables.U`: expected a string or an object \
                 with `value`, found null or undefined",
            ),
            (
                serde_json::json!({"project_variables": {"U": {"value": "a", "scope": "prod"}}}),
                "invalid argument `context.project_variables.U`: unknown field `scope`, expected \
                 one of `value`, `masked`, `raw`, `file`, `protected`, `environment_scope`",
            ),
            (
                serde_json::json!({"project_variables": {"BAD-NAME": "a"}}),
                "invalid argument `context.project_variables`: `BAD-NAME` is not a valid \
                 variable name (letters, digits and `_` only)",
            ),
            (
                serde_json::json!({"instance_variables": {"": "a"}}),
                "invalid argument `context.instance_variables`: `\"\"` (empty) is not a valid \
                 variable name (letters, digits and `_` only)",
            ),
        ];
        for (context, expected) in cases {
            let input = input(serde_json::json!({"context": context})).unwrap();
            assert_eq!(
                input.pipeline_context().err().as_deref(),
                Some(expected),
                "{context}"
            );
        }
    }

    #[test]
    fn pipeline_variables_reject_settings_flags() {
        for flag in ["protected", "environment_scope"] {
            let input =
                input(serde_json::json!({"variables": {"V": {"value": "a", flag: "x"}}})).unwrap();
            assert_eq!(
                input.pipeline_context().unwrap_err(),
                format!(
                    "invalid argument `variables.V.{flag}`: GitLab sets `{flag}` only on \
                     instance, group and project variables (`context.instance_variables`, \
                     `context.group_variables`, `context.project_variables`), not on the \
                     variables of a pipeline"
                )
            );
        }
    }

    #[test]
    fn context_group_array_ordered_from_top() {
        let input = input(serde_json::json!({
            "context": {
                "project_path": "top/sub/app",
                "group_variables": [
                    {"variables": {"A": "sub", "C": "sub"}},
                    {"path": "top", "variables": {"A": "top", "B": "top"}}
                ]
            }
        }))
        .unwrap();
        let context = input.pipeline_context().unwrap();
        let paths: Vec<&str> = context
            .group_variables
            .iter()
            .map(|group| group.path.as_str())
            .collect();
        assert_eq!(paths, ["top", "top/sub"]);
        assert_eq!(
            pairs(&context.group_variables[0].variables),
            [("A", "top"), ("B", "top")]
        );
        assert_eq!(
            pairs(&context.group_variables[1].variables),
            [("A", "sub"), ("C", "sub")]
        );
    }

    #[test]
    fn context_group_duplicate_paths() {
        let cases = [
            (
                serde_json::json!([{"path": "top", "variables": {}}, {"path": "top", "variables": {}}]),
                "invalid argument `context.group_variables`: entries 0 and 1 both name group \
                 `top`; keep one of them",
            ),
            (
                serde_json::json!([{"path": "top", "variables": {}}, {"path": "top/sub", "variables": {}}, {"path": "TOP", "variables": {}}]),
                "invalid argument `context.group_variables`: entries 0 and 2 both name group \
                 `top`; keep one of them",
            ),
            (
                serde_json::json!([{"path": "top/sub", "variables": {}}, {"variables": {}}]),
                "invalid argument `context.group_variables`: entries 0 and 1 both name group \
                 `top/sub`; keep one of them",
            ),
            (
                serde_json::json!([{"variables": {}}, {"path": null, "variables": {}}]),
                "invalid argument `context.group_variables`: entries 0 and 1 both name group \
                 `top/sub`; keep one of them",
            ),
        ];
        for (groups, expected) in cases {
            let context =
                serde_json::json!({"project_path": "top/sub/app", "group_variables": groups});
            let input = input(serde_json::json!({"context": context})).unwrap();
            assert_eq!(input.pipeline_context().unwrap_err(), expected, "{groups}");
        }
    }

    #[test]
    fn context_schedule_variables() {
        let input = input(serde_json::json!({
            "variables": {"V": "1"},
            "context": {"source": "schedule"}
        }))
        .unwrap();
        let context = input.pipeline_context().unwrap();
        assert_eq!(pairs(&context.schedule_variables), [("V", "1")]);
        assert!(context.pipeline_variables.is_empty());
    }

    #[test]
    fn context_group_errors() {
        let cases = [
            (
                serde_json::json!({"group_variables": "A=1"}),
                "invalid argument `context.group_variables`: expected an object of variables or \
                 an array of `{path, variables}` objects, found a string",
            ),
            (
                serde_json::json!({"group_variables": [3]}),
                "invalid argument `context.group_variables[0]`: expected an object with \
                 `variables` and an optional `path`, found a number",
            ),
            (
                serde_json::json!({"group_variables": [{"path": "group", "vars": {}}]}),
                "invalid argument `context.group_variables[0]`: unknown field `vars`, expected \
                 `path` or `variables`",
            ),
            (
                serde_json::json!({"group_variables": [{"path": "group"}]}),
                "invalid argument `context.group_variables[0]`: missing field `variables`",
            ),
            (
                serde_json::json!({"group_variables": [{"path": 1, "variables": {}}]}),
                "invalid argument `context.group_variables[0].path`: expected a string, found a \
                 number",
            ),
            (
                serde_json::json!({"group_variables": [{"variables": []}]}),
                "invalid argument `context.group_variables[0].variables`: expected an object of \
                 variables, found an array",
            ),
            (
                serde_json::json!({"group_variables": [{"variables": {"N": 3}}]}),
                "invalid argument `context.group_variables[0].variables.N`: expected a string, \
                 found the number `3`. GitLab's API takes variable values as strings, so quote \
                 it: `\"3\"`",
            ),
            (
                serde_json::json!({"group_variables": [{"path": "", "variables": {}}]}),
                "invalid argument `context.group_variables[0].path`: a group's `path` must not \
                 be empty; leave it out for the project's own group",
            ),
            (
                serde_json::json!({"group_variables": [{"path": "acme", "variables": {}}]}),
                "invalid argument `context.group_variables`: group `acme` does not contain \
                 project `group/project`; name the project's namespace or one of its ancestors, \
                 and set the project's full path in `context.project_path`",
            ),
            (
                serde_json::json!({"project_path": "app"}),
                "invalid argument `context.project_path`: `app` is not a project's full path; \
                 expected NAMESPACE/NAME such as `my-group/my-project`, with letters, digits, \
                 `_`, `-` and `.` between the `/`",
            ),
        ];
        for (context, expected) in cases {
            let input = input(serde_json::json!({"context": context})).unwrap();
            assert_eq!(input.pipeline_context().unwrap_err(), expected, "{context}");
        }
    }

    #[test]
    fn context_unmaskable_values() {
        let cases = [
            (
                serde_json::json!({"variables": {"T": {"value": "main", "masked": true}}}),
                "invalid argument `variables.T`: the variable cannot be masked: a masked \
                 variable that is expanded needs a value of at least 8 characters from `a-z A-Z \
                 0-9 _ + = / @ : . ~ -`, but the value has 4 characters. GitLab rejects such a \
                 masked variable; change the value or set `masked: false`",
            ),
            (
                serde_json::json!({"context": {
                    "instance_variables": {"T": "p@ss!word"},
                    "masked": ["T"]
                }}),
                "invalid argument `context.instance_variables.T`: the variable cannot be \
                 masked: a masked variable that is expanded needs a value of at least 8 \
                 characters from `a-z A-Z 0-9 _ + = / @ : . ~ -`, but the value contains `!`. \
                 GitLab rejects such a masked variable; change the value, set `raw: true` or \
                 remove `T` from `context.masked`",
            ),
            (
                serde_json::json!({"context": {
                    "group_variables": {"T": {"value": "two words", "raw": true}},
                    "masked": ["T"]
                }}),
                "invalid argument `context.group_variables`: variable `T` of group `group`: the \
                 variable cannot be masked: a masked raw variable needs a value of at least 8 \
                 characters without whitespace, but the value contains a space. GitLab rejects \
                 such a masked variable; change the value or remove `T` from `context.masked`",
            ),
            (
                serde_json::json!({"context": {
                    "project_variables": {"T": {"value": "short", "masked": true}}
                }}),
                "invalid argument `context.project_variables.T`: the variable cannot be masked: \
                 a masked variable that is expanded needs a value of at least 8 characters from \
                 `a-z A-Z 0-9 _ + = / @ : . ~ -`, but the value has 5 characters. GitLab \
                 rejects such a masked variable; change the value or set `masked: false`",
            ),
        ];
        for (json, expected) in cases {
            let input = input(json.clone()).unwrap();
            assert_eq!(input.pipeline_context().unwrap_err(), expected, "{json}");
        }
    }

    #[test]
    fn context_raw_masked_value_accepted() {
        let input = input(serde_json::json!({
            "context": {
                "project_variables": {"T": {"value": "p@ss!wörd", "raw": true}},
                "masked": ["T"]
            }
        }))
        .unwrap();
        let context = input.pipeline_context().unwrap();
        assert!(context.project_variables[0].masked);
    }
}
