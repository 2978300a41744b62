//! Inputs of the variable collections, from the configuration and from pipeline creation.
//!
//! These types are deliberately small and independent of the configuration model, so any
//! caller can fill them; `convert.rs` builds them from the model's types.

use serde::{Deserialize, Serialize};

use crate::context::SettingsVariable;
use crate::source::Span;

/// One YAML variable definition: a name, its value as GitLab stores it (scalars converted with
/// Ruby's `to_s`), and whether it is raw (`expand: false`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct YamlVariable {
    /// Variable name.
    pub name: String,
    /// Value.
    pub value: String,
    /// Whether the value is used as written, never expanded (`expand: false`).
    pub raw: bool,
    /// Location of the value in the configuration, for diagnostics.
    #[serde(skip)]
    pub span: Option<Span>,
}

impl YamlVariable {
    /// Creates a variable that is expanded (`expand: true`, the default).
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        YamlVariable {
            name: name.into(),
            value: value.into(),
            raw: false,
            span: None,
        }
    }

    /// Creates a raw variable (`expand: false`).
    pub fn raw(name: impl Into<String>, value: impl Into<String>) -> Self {
        YamlVariable {
            raw: true,
            ..YamlVariable::new(name, value)
        }
    }
}

/// `inherit:variables`: which top-level variables a job takes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InheritVariables {
    /// Every top-level variable (`true`, or no `inherit:variables`).
    #[default]
    All,
    /// No top-level variable (`false`).
    None,
    /// Only the listed names.
    Only(Vec<String>),
}

impl InheritVariables {
    /// Returns whether the job takes the top-level variable `name`.
    pub fn allows(&self, name: &str) -> bool {
        match self {
            InheritVariables::All => true,
            InheritVariables::None => false,
            InheritVariables::Only(names) => names.iter().any(|listed| listed == name),
        }
    }
}

/// The YAML variables every job starts from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GlobalVariables {
    /// Top-level `variables:`, in definition order.
    pub variables: Vec<YamlVariable>,
    /// `variables:` of the matched `workflow:rules` entry; they override top-level variables
    /// of the same name.
    pub workflow_rules: Vec<YamlVariable>,
}

/// A job as the variable collections see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobSpec {
    /// Job name (`CI_JOB_NAME`); for a parallel instance the generated name (`test 1/3`).
    pub name: String,
    /// Stage (`CI_JOB_STAGE`).
    pub stage: String,
    /// Whether the job's `when` is `manual` or `delayed`, which GitLab calls an actionable job
    /// and marks with `CI_JOB_MANUAL=true`. For `rules:if` this is the job's own `when`;
    /// [`JobOutcome::manual`] gives the `when` after rules for the final list.
    pub manual: bool,
    /// 1-based index of a parallel instance (`CI_NODE_INDEX`).
    pub node_index: Option<u32>,
    /// Number of parallel instances (`CI_NODE_TOTAL`), 1 for a job without `parallel`.
    pub node_total: u32,
    /// `environment:`, when the job has one.
    pub environment: Option<JobEnvironment>,
    /// The job's own `variables:`, in definition order.
    pub variables: Vec<YamlVariable>,
    /// The `parallel:matrix` values of this instance; they override job variables.
    pub matrix: Vec<YamlVariable>,
    /// `inherit:variables`.
    pub inherit: InheritVariables,
    /// Whether this is a trigger job, which never receives job-only variables.
    pub bridge: bool,
}

impl Default for JobSpec {
    fn default() -> Self {
        JobSpec {
            name: String::new(),
            stage: "test".to_owned(),
            manual: false,
            node_index: None,
            node_total: 1,
            environment: None,
            variables: Vec::new(),
            matrix: Vec::new(),
            inherit: InheritVariables::All,
            bridge: false,
        }
    }
}

impl JobSpec {
    /// Creates a job with no variables, environment or `parallel`.
    pub fn new(name: impl Into<String>, stage: impl Into<String>) -> Self {
        JobSpec {
            name: name.into(),
            stage: stage.into(),
            ..JobSpec::default()
        }
    }
}

/// The parts of `environment:` that define variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobEnvironment {
    /// `environment:name` as written; GitLab expands it before use.
    pub name: String,
    /// `environment:action` (`CI_ENVIRONMENT_ACTION`). Default `start`.
    pub action: String,
    /// `environment:url` as written (`CI_ENVIRONMENT_URL`; the runner expands it).
    pub url: Option<String>,
    /// `environment:deployment_tier` (`CI_ENVIRONMENT_TIER`); `None` lets GitLab guess the
    /// tier from the name.
    pub deployment_tier: Option<String>,
}

impl Default for JobEnvironment {
    fn default() -> Self {
        JobEnvironment {
            name: String::new(),
            action: "start".to_owned(),
            url: None,
            deployment_tier: None,
        }
    }
}

impl JobEnvironment {
    /// Creates an environment with only a name.
    pub fn named(name: impl Into<String>) -> Self {
        JobEnvironment {
            name: name.into(),
            ..JobEnvironment::default()
        }
    }
}

/// Additions to a job from rule evaluation and from the pipeline's progress, before it runs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobOutcome {
    /// `variables:` of the matched `rules` entry; they override the job's YAML variables.
    pub rule_variables: Vec<YamlVariable>,
    /// Whether the job is manual or delayed after rules (`CI_JOB_MANUAL`); `None` keeps
    /// [`JobSpec::manual`].
    pub manual: Option<bool>,
    /// Variables from the `dotenv` reports of the jobs this job takes artifacts from, in
    /// dependency order.
    pub dotenv: Vec<YamlVariable>,
    /// Variables entered when the manual job was run; they override everything else.
    pub manual_job_variables: Vec<SettingsVariable>,
    /// Identity of the running job, for the job-only variables; `None` leaves them out.
    pub runtime: Option<JobRuntime>,
}

/// Identity of a running job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobRuntime {
    /// Job ID (`CI_JOB_ID`, `CI_JOB_URL`).
    pub job_id: u64,
    /// Start time in ISO 8601 (`CI_JOB_STARTED_AT`).
    pub started_at: Option<String>,
    /// The job token (`CI_JOB_TOKEN`, `CI_REGISTRY_PASSWORD`, `CI_DEPENDENCY_PROXY_PASSWORD`),
    /// always masked. Default a placeholder, since the real token exists only in GitLab.
    pub token: String,
}

impl Default for JobRuntime {
    fn default() -> Self {
        JobRuntime {
            job_id: 1,
            started_at: None,
            token: "glcbt-planned-job-token".to_owned(),
        }
    }
}
