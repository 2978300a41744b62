//! The public typed model of a resolved configuration.
//!
//! Field and JSON names are GitLab's keyword names. Keywords a job did not write are `None` and
//! left out of the JSON, except where GitLab itself fills in a value during composition (`stage`
//! defaults to `test`, `default:` keywords are copied into jobs, parallel jobs are expanded).

use std::sync::Arc;

use indexmap::IndexMap;
use serde::Serialize;

use crate::source::Span;

pub use super::keywords::exit_code::ExitCode;
pub use super::keywords::needs::{
    JobNeed, Matrix, MatrixSelection, Need, PipelineNeed, ProjectNeed, UpstreamNeed,
};
pub use super::leaf::{
    AllowFailure, Artifacts, Cache, DastConfiguration, Dependency, Duration, Environment,
    EnvironmentAction, Hooks, IdTokens, Image, Inherit, OnlyExcept, Pages, Release, Retry, Rule,
    Rules, Run, Secrets, Services, Trigger, When, Workflow,
};

/// The configuration after `include`, `extends`, `!reference`, `default:`, `inherit:` and
/// `parallel` expansion: what GitLab's YAML processor hands to pipeline creation.
///
/// The model is built best-effort: when the diagnostics contain errors, GitLab would reject the
/// configuration, and keywords that failed validation are missing from the jobs here.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    /// Stage names in order, with `.pre` first and `.post` last.
    pub stages: Vec<String>,
    /// Global YAML `variables:`, in definition order. Job variables are kept on each job.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub variables: IndexMap<String, Variable>,
    /// `workflow:`, when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow: Option<Workflow>,
    /// `default:`, with the deprecated top-level `image`, `services`, `cache`, `before_script`
    /// and `after_script` merged in.
    #[serde(skip_serializing_if = "Defaults::is_empty")]
    pub default: Defaults,
    /// Jobs in configuration order, after parallel expansion: a parallel job is replaced, at
    /// its position, by its instances.
    pub jobs: IndexMap<String, Job>,
    /// Names of hidden keys (starting with `.`), which never become jobs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hidden: Vec<String>,
}

/// Keywords under `default:` that jobs inherit when they do not set them.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Defaults {
    /// `default:after_script`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_script: Option<Arc<Vec<String>>>,
    /// `default:artifacts`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifacts: Option<Arc<Artifacts>>,
    /// `default:before_script`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_script: Option<Arc<Vec<String>>>,
    /// `default:cache`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<Arc<Cache>>,
    /// `default:hooks`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hooks: Option<Hooks>,
    /// `default:id_tokens`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_tokens: Option<IdTokens>,
    /// `default:identity` (GitLab EE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// `default:image`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<Arc<Image>>,
    /// `default:interruptible`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interruptible: Option<bool>,
    /// `default:retry`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<Arc<Retry>>,
    /// `default:services`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services: Option<Arc<Services>>,
    /// `default:tags`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Arc<Vec<String>>>,
    /// `default:timeout`. GitLab documents that it has no effect; jobs still inherit it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
}

impl Defaults {
    /// Returns whether no default keyword is set.
    pub fn is_empty(&self) -> bool {
        *self == Defaults::default()
    }
}

/// Whether a job runs commands on a runner or triggers a downstream pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// A regular job (it has `script` or `run`).
    Job,
    /// A trigger job, which GitLab calls a bridge (it has `trigger`, or only `needs`).
    Bridge,
}

/// Scheduling mode of a job: what it waits for before it can start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SchedulingType {
    /// The job waits for every job of the earlier stages.
    Stage,
    /// The job waits only for its `needs` (any `needs:` key, even `[]`, selects this).
    Dag,
}

/// One YAML variable definition, global or job-level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variable {
    /// The value as GitLab stores it: scalars are converted with Ruby's `to_s` (`1.10` becomes
    /// `1.1`, `true` becomes `true`), and a hash without `value` gives `""`.
    pub value: String,
    /// `description:` (global variables only): prefill text for manually run pipelines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `options:` (global variables only): the values offered for manually run pipelines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// `expand:`; `Some(false)` marks the value as raw, never expanded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expand: Option<bool>,
    /// Span of the value.
    #[serde(skip)]
    pub span: Span,
}

impl Variable {
    /// Creates a plain variable with no options.
    pub fn plain(value: impl Into<String>, span: Span) -> Self {
        Variable {
            value: value.into(),
            description: None,
            options: None,
            expand: None,
            span,
        }
    }
}

/// `parallel:` as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Parallel {
    /// `parallel: N`: N identical instances.
    Number(u32),
    /// `parallel: {matrix: [...]}`: one instance per combination of values.
    Matrix {
        /// One mapping per entry, from identifier to its values (numbers stringified).
        matrix: Matrix,
    },
}

/// Identity of one parallel instance among its siblings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instance {
    /// Name of the job that was expanded.
    pub base_name: String,
    /// `CI_NODE_INDEX`: 1-based position among the instances.
    pub node_index: u32,
    /// `CI_NODE_TOTAL`: number of instances.
    pub node_total: u32,
    /// The matrix identifiers and this instance's values (empty for `parallel: N`). They are
    /// also merged into the job's `variables`, where they beat same-named job variables.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub matrix: IndexMap<String, String>,
    /// The matrix identifiers that the job's own `variables` also define. Their job values
    /// are replaced in the merged `variables`, so this keeps the job level for `explain`.
    #[serde(skip)]
    pub shadowed: Vec<String>,
}

/// A job or trigger job after composition.
///
/// Every keyword GitLab accepts on a job is a field. `stage` is always set (GitLab's default is
/// `test`), and the keywords GitLab copies from `default:` are filled in unless `inherit:default`
/// excludes them.
///
/// The keywords that parsing sets once and nothing changes later are [`Arc`]s. The instances
/// of a parallel job share them, and so do the jobs that take a keyword from `default:`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    /// The job name; for a parallel instance, the generated name such as `test 1/3`.
    pub name: String,
    /// Regular job or trigger job.
    pub kind: JobKind,
    /// The stage.
    pub stage: String,
    /// Stage scheduling or DAG scheduling, as GitLab derives it from `needs`.
    pub scheduling_type: SchedulingType,
    /// Set on the instances a `parallel:` job expanded into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<Instance>,
    /// Span of the job's key (for an instance, the key of the expanded job).
    #[serde(skip)]
    pub span: Span,

    /// `extends:` as written; the merge itself already happened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extends: Option<Vec<String>>,
    /// `inherit:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inherit: Option<Inherit>,
    /// `image:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<Arc<Image>>,
    /// `services:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services: Option<Arc<Services>>,
    /// `before_script:`, flattened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_script: Option<Arc<Vec<String>>>,
    /// `script:`, flattened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<Arc<Vec<String>>>,
    /// `run:` (CI/CD steps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<Run>,
    /// `after_script:`, flattened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_script: Option<Arc<Vec<String>>>,
    /// `hooks:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hooks: Option<Hooks>,
    /// Job-level `variables:`, plus the matrix values of a parallel instance. Global variables
    /// are in [`Config::variables`], and `inherit:variables` decides which of them the job receives.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub variables: IndexMap<String, Variable>,
    /// `tags:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Arc<Vec<String>>>,
    /// `when:` as written; `None` means `on_success`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<When>,
    /// `start_in:` (only with `when: delayed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_in: Option<Duration>,
    /// `manual_confirmation:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual_confirmation: Option<String>,
    /// `allow_failure:` as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_failure: Option<AllowFailure>,
    /// `rules:`, with nested arrays flattened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<Arc<Rules>>,
    /// `only:`. GitLab gives a job without `only` and `rules`, in a configuration without
    /// `workflow:rules`, the default `only: {refs: [branches, tags]}`, and so does this model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only: Option<OnlyExcept>,
    /// Whether [`Job::only`] is GitLab's default rather than written in the configuration.
    #[serde(skip)]
    pub implicit_only: bool,
    /// `except:` as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub except: Option<OnlyExcept>,
    /// `needs:`, with base names of parallel jobs replaced by their instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs: Option<Vec<Need>>,
    /// `dependencies:`, with base names of parallel jobs replaced by their instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<Vec<Dependency>>,
    /// `cache:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<Arc<Cache>>,
    /// `artifacts:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifacts: Option<Arc<Artifacts>>,
    /// `environment:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    /// `coverage:` as written, a `/regex/` in RE2 syntax.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<String>,
    /// `retry:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<Arc<Retry>>,
    /// `timeout:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// `interruptible:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interruptible: Option<bool>,
    /// `resource_group:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    /// `parallel:` as written (kept on each instance).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel: Option<Arc<Parallel>>,
    /// `trigger:` (trigger jobs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Trigger>,
    /// `release:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<Release>,
    /// `pages:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages: Option<Pages>,
    /// `publish:` (Pages jobs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish: Option<String>,
    /// `id_tokens:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_tokens: Option<IdTokens>,
    /// `secrets:` (GitLab EE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Secrets>,
    /// `identity:` (GitLab EE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// `dast_configuration:` (GitLab EE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dast_configuration: Option<DastConfiguration>,

    /// Source positions and other facts that validation needs but the model does not show.
    #[serde(skip)]
    pub(crate) meta: JobMeta,
}

/// Source positions of a job, kept for diagnostics.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct JobMeta {
    /// Span of each keyword's value, in the order written.
    pub keyword_spans: Vec<(&'static str, Span)>,
}

impl Job {
    /// Creates a job with only the derived fields set. The stage is empty until the builder
    /// sets it, to the job's `stage:` or GitLab's default.
    pub(crate) fn new(name: String, kind: JobKind, span: Span) -> Self {
        Job {
            name,
            kind,
            stage: String::new(),
            scheduling_type: SchedulingType::Stage,
            instance: None,
            span,
            extends: None,
            inherit: None,
            image: None,
            services: None,
            before_script: None,
            script: None,
            run: None,
            after_script: None,
            hooks: None,
            variables: IndexMap::new(),
            tags: None,
            when: None,
            start_in: None,
            manual_confirmation: None,
            allow_failure: None,
            rules: None,
            only: None,
            implicit_only: false,
            except: None,
            needs: None,
            dependencies: None,
            cache: None,
            artifacts: None,
            environment: None,
            coverage: None,
            retry: None,
            timeout: None,
            interruptible: None,
            resource_group: None,
            parallel: None,
            trigger: None,
            release: None,
            pages: None,
            publish: None,
            id_tokens: None,
            secrets: None,
            identity: None,
            dast_configuration: None,
            meta: JobMeta::default(),
        }
    }

    /// Returns the span of the value of `keyword` in this job (or in what it extends).
    pub fn keyword_span(&self, keyword: &str) -> Option<Span> {
        self.meta
            .keyword_spans
            .iter()
            .find(|(k, _)| *k == keyword)
            .map(|(_, span)| *span)
    }

    /// Returns the same-pipeline needs, in order.
    pub fn job_needs(&self) -> impl Iterator<Item = &JobNeed> {
        self.needs.iter().flatten().filter_map(Need::as_job)
    }
}
