//! The planned pipeline: the serializable result of [`super::evaluate`].
//!
//! Field names are GitLab's keyword names. The JSON form carries [`Pipeline::version`], which
//! changes whenever a field changes meaning or disappears; new fields may be added without a
//! version change. `docs/plan.schema.json` is the JSON Schema of this form, generated from
//! these types by a unit test that fails when the checked-in file is out of date.

use compact_str::CompactString;
use serde::Serialize;

use crate::config::{AllowFailure, ExitCode, JobKind, SchedulingType, When};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{SourceMap, Span};
use crate::variables::VariableSource;

use super::trace::Masker;

#[cfg(test)]
use super::schema;

/// Version of the JSON form of [`Pipeline`].
pub const FORMAT_VERSION: u32 = 3;

/// The pipeline GitLab would create for one push, merge request, tag, schedule or manual run,
/// with the reason behind every decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Pipeline {
    /// Version of this JSON form. It changes when a member changes its meaning or type or
    /// disappears, not when a member is added.
    pub version: u32,
    /// Whether GitLab creates the pipeline: `false` when `workflow:rules` filter it out, when
    /// no job is left, when pipeline creation fails with one of `errors`, or when the pipeline
    /// is `skipped`.
    pub created: bool,
    /// The `[skip ci]` marker of the commit message, as written, when GitLab skips the
    /// pipeline because of it: GitLab then saves the pipeline as skipped, with no jobs and no
    /// errors, without reading the configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<CompactString>,
    /// GitLab's pipeline errors, in GitLab's wording, when the pipeline is not created.
    pub errors: Vec<String>,
    /// The pipeline source (`CI_PIPELINE_SOURCE`).
    pub source: CompactString,
    /// The branch or tag (`CI_COMMIT_REF_NAME`).
    #[serde(rename = "ref")]
    pub ref_name: CompactString,
    /// The outcome of `workflow:`.
    pub workflow: WorkflowResult,
    /// The stages that have jobs, in pipeline order.
    pub stages: Vec<Stage>,
    /// The jobs GitLab creates, in stage order and, within a stage, in configuration order.
    pub jobs: Vec<PlannedJob>,
    /// The jobs GitLab leaves out, with the reason.
    pub absent: Vec<AbsentJob>,
    /// Job names in an order where every job comes after the jobs it waits for. Empty when
    /// the jobs wait for each other in a cycle.
    pub order: Vec<CompactString>,
    /// What glplan found while planning: pipeline errors with their location, warnings, and
    /// notes about facts that are not available offline.
    pub diagnostics: Vec<PlanDiagnostic>,
    /// GitLab's failure reason for a pipeline it does not create: `config_error`,
    /// `filtered_by_workflow_rules` or `filtered_by_rules` (no job left). `None` when the
    /// pipeline is created, or when GitLab fails it without a reason, as for a
    /// `workflow:name` that is not valid.
    #[serde(skip)]
    #[cfg_attr(test, schemars(skip))]
    pub(crate) failure_reason: Option<&'static str>,
    /// The masked values of this pipeline and of its upstream pipelines, for the runner and
    /// schedule reports built from it, which must hide them too.
    #[serde(skip)]
    #[cfg_attr(test, schemars(skip))]
    pub(crate) masker: Masker,
}

impl Pipeline {
    /// Returns the planned job called `name`.
    pub fn job(&self, name: &str) -> Option<&PlannedJob> {
        self.jobs.iter().find(|job| job.name == name)
    }

    /// Returns the absent job called `name`.
    pub fn absent_job(&self, name: &str) -> Option<&AbsentJob> {
        self.absent.iter().find(|job| job.name == name)
    }

    /// Lists every edge of the job graph as `(predecessor, successor, kind)`: the `needs` of
    /// DAG jobs, and for a stage-scheduled job the jobs of [`Stage::waits_for`] of its stage.
    pub fn edges(&self) -> Vec<(&str, &str, EdgeKind)> {
        let mut edges = Vec::new();
        for job in &self.jobs {
            match &job.needs {
                Some(needs) => {
                    for need in needs {
                        edges.push((need.job.as_str(), job.name.as_str(), EdgeKind::Needs));
                    }
                }
                None => {
                    let stage = self.stages.iter().find(|stage| stage.name == job.stage);
                    for waited in stage.into_iter().flat_map(|stage| &stage.waits_for) {
                        edges.push((waited.as_str(), job.name.as_str(), EdgeKind::Stage));
                    }
                }
            }
        }
        edges
    }

    /// Returns whether GitLab saves this pipeline although it does not create it. GitLab
    /// saves a failed pipeline only when its failure reason is one of
    /// `Enums::Ci::Pipeline.persistable_failure_reasons`, which leave out the
    /// `filtered_by_*` reasons, and only `config_error` of those applies here.
    pub(crate) fn saved_as_failed(&self) -> bool {
        !self.created && self.failure_reason == Some(CONFIG_ERROR)
    }

    /// Returns the errors among [`Pipeline::diagnostics`].
    pub fn error_diagnostics(&self) -> impl Iterator<Item = &PlanDiagnostic> {
        self.diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == Severity::Error)
    }
}

/// GitLab's failure reason for a pipeline whose configuration has errors, including errors
/// found when it seeds the jobs, such as an undefined need.
pub(crate) const CONFIG_ERROR: &str = "config_error";

/// Why a job waits for another one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum EdgeKind {
    /// The waiting job lists the other one in `needs`.
    Needs,
    /// The waiting job is stage-scheduled and the other one is in an earlier stage.
    Stage,
}

/// The outcome of `workflow:`: whether the pipeline is created, its name and auto-cancel
/// settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct WorkflowResult {
    /// Whether `workflow:rules` let the pipeline be created (always `true` without them).
    pub created: bool,
    /// The explanation, such as `created by workflow rule 2: ...` or
    /// `Pipeline filtered out by workflow rules. No workflow rule matched: ...`.
    pub reason: String,
    /// The pipeline name (`CI_PIPELINE_NAME`): `workflow:name` after variable expansion,
    /// absent when it is not set or expands to nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<CompactString>,
    /// Index (from 0) of the workflow rule that matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<usize>,
    /// Each workflow rule evaluated, in order, up to the one that matched.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleEvaluation>,
    /// `variables:` of the matched workflow rule, which every job inherits like top-level
    /// variables.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<NameValue>,
    /// The auto-cancel settings: `workflow:auto_cancel`, overridden by the matched rule's.
    pub auto_cancel: AutoCancel,
}

/// Effective `workflow:auto_cancel` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct AutoCancel {
    /// `on_new_commit`: `conservative` (the default), `interruptible` or `none`.
    pub on_new_commit: CompactString,
    /// `on_job_failure`: `none` (the default) or `all`.
    pub on_job_failure: CompactString,
}

/// A variable name and value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct NameValue {
    /// Variable name.
    pub name: CompactString,
    /// Value; `[MASKED]` for a masked variable.
    pub value: CompactString,
}

/// A stage with jobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Stage {
    /// Stage name.
    pub name: CompactString,
    /// Names of the stage's jobs, in configuration order.
    pub jobs: Vec<CompactString>,
    /// The jobs a stage-scheduled job of this stage waits for. GitLab starts such a job once
    /// every job of the earlier stages is complete; the list contains the earlier jobs that no
    /// other earlier job waits for, which is enough to cover all of them.
    pub waits_for: Vec<CompactString>,
}

/// A job GitLab creates.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PlannedJob {
    /// Job name; a parallel instance has its generated name (`test 1/3`, `build: [amd64]`).
    pub name: CompactString,
    /// Regular job or trigger job (`bridge`).
    #[cfg_attr(test, schemars(with = "schema::JobKind"))]
    pub kind: JobKind,
    /// Stage.
    pub stage: CompactString,
    /// The parallel job this instance was expanded from, with its position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel: Option<ParallelInstance>,
    /// Effective `when`: the matched rule's, else the job's, else `on_success`.
    #[cfg_attr(test, schemars(with = "schema::When"))]
    pub when: When,
    /// Effective `allow_failure`: the matched rule's, else the job's, else `true` for a job
    /// whose own `when` is `manual` and `false` otherwise. `{exit_codes: [...]}` lets the job
    /// fail only with those exit codes.
    #[cfg_attr(test, schemars(with = "schema::AllowFailure"))]
    pub allow_failure: AllowFailure,
    /// The delay of a `when: delayed` job, counted from when the job becomes ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_in: Option<PlanDuration>,
    /// The confirmation message of a manual job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual_confirmation: Option<CompactString>,
    /// `stage`: the job waits for every job of the earlier stages; `dag`: only for its
    /// `needs`.
    #[cfg_attr(test, schemars(with = "schema::SchedulingType"))]
    pub scheduling_type: SchedulingType,
    /// The jobs of this pipeline a DAG job waits for, after `rules:needs` and without optional
    /// needs on absent jobs; absent for a stage-scheduled job. An empty list means the job
    /// can start as soon as the pipeline does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs: Option<Vec<NeedEdge>>,
    /// `needs:project` and `needs:pipeline` entries: artifacts from other pipelines, which the
    /// job does not wait for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cross_needs: Vec<CrossNeed>,
    /// `dependencies:`, without the jobs that are not in the pipeline. Without the keyword a
    /// job takes the artifacts of every job of earlier stages, or of its `needs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<Vec<CompactString>>,
    /// The job's variables: the winning definition of each name, with its origin and the
    /// value GitLab sends after expanding references between variables.
    pub variables: Vec<PlanVariable>,
    /// The protected CI/CD variables that apply to the job but that GitLab leaves out, because
    /// the pipeline's ref is not protected. A name listed here may still be in `variables`,
    /// with a value from a lower level or from the YAML.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub withheld_variables: Vec<WithheldVariable>,
    /// Runner tags as GitLab saves them: expanded, with references to undefined variables
    /// kept as written, then split at commas outside quotes, stripped of surrounding white
    /// space, without blank and repeated tags.
    pub tags: Vec<CompactString>,
    /// `image:`, as written and as the runner would expand it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<PlanImage>,
    /// `services:`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<PlanService>,
    /// `environment:`, with the name and URL expanded as GitLab does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<PlanEnvironment>,
    /// `resource_group:` after GitLab's expansion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<CompactString>,
    /// Effective `interruptible`: the matched rule's, else the job's, else `false`.
    pub interruptible: bool,
    /// `timeout:`; without it the project's timeout applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<PlanDuration>,
    /// `retry:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<PlanRetry>,
    /// `cache:` entries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cache: Vec<PlanCache>,
    /// `artifacts:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifacts: Option<PlanArtifacts>,
    /// `trigger:` of a trigger job, with the downstream pipeline when glplan could plan it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<PlanTrigger>,
    /// Why the job was created.
    pub rule: JobRule,
    /// Where the job is defined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
    /// The fields the runner matching and the schedule read, as GitLab and the runner see
    /// them, when masking changed them above. Masking changes only what is shown, never
    /// which runner takes a job or which resource group it waits for.
    #[serde(skip)]
    #[cfg_attr(test, schemars(skip))]
    pub(crate) unmasked: Option<Box<UnmaskedJob>>,
    /// Whether the environment name is not a valid name after expansion, so that GitLab creates
    /// the job as failed (`environment_creation_failure`).
    #[serde(skip)]
    #[cfg_attr(test, schemars(skip))]
    pub(crate) environment_invalid: bool,
    /// The expanded `resource_group` key, with masked values hidden, when GitLab cannot save
    /// it: not a valid name, or over 255 characters. The job then has no resource group.
    #[serde(skip)]
    #[cfg_attr(test, schemars(skip))]
    pub(crate) resource_group_dropped: Option<CompactString>,
}

/// The fields of a job before masking; see [`PlannedJob::unmasked`]. Its `Debug` form leaves
/// the values out.
#[derive(Clone, PartialEq, Eq, Default)]
pub(crate) struct UnmaskedJob {
    /// The runner-side fields, when masking changed one of them; `None` when they are shown
    /// as they are.
    pub(crate) fields: Option<RunnerFields>,
    /// The name and real value of each variable whose shown value masking changed.
    pub(crate) variables: Vec<(String, String)>,
}

impl std::fmt::Debug for UnmaskedJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnmaskedJob { .. }")
    }
}

/// The fields of a job that runner matching and the schedule read, which masking may change.
/// Its `Debug` form leaves the values out.
#[derive(Clone, PartialEq, Eq, Default)]
pub(crate) struct RunnerFields {
    pub(crate) tags: Vec<CompactString>,
    pub(crate) image: Option<PlanImage>,
    pub(crate) services: Vec<PlanService>,
    pub(crate) resource_group: Option<CompactString>,
}

impl std::fmt::Debug for RunnerFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunnerFields { .. }")
    }
}

impl PlannedJob {
    /// Returns the runner-side fields before masking, when masking changed them.
    fn unmasked_fields(&self) -> Option<&RunnerFields> {
        self.unmasked.as_deref()?.fields.as_ref()
    }

    /// Returns the runner tags as GitLab matches them, with masked values in place.
    pub(crate) fn runner_tags(&self) -> &[CompactString] {
        match self.unmasked_fields() {
            Some(unmasked) => &unmasked.tags,
            None => &self.tags,
        }
    }

    /// Returns `image:` as the runner pulls it, with masked values in place.
    pub(crate) fn runner_image(&self) -> Option<&PlanImage> {
        match self.unmasked_fields() {
            Some(unmasked) => unmasked.image.as_ref(),
            None => self.image.as_ref(),
        }
    }

    /// Returns `services:` as the runner starts them, with masked values in place.
    pub(crate) fn runner_services(&self) -> &[PlanService] {
        match self.unmasked_fields() {
            Some(unmasked) => &unmasked.services,
            None => &self.services,
        }
    }

    /// Returns the value GitLab sends for variable `name`, with masked values in place.
    pub(crate) fn runner_variable(&self, name: &str) -> Option<&str> {
        let hidden = self
            .unmasked
            .as_ref()
            .and_then(|unmasked| unmasked.variables.iter().find(|(hidden, _)| hidden == name));
        match hidden {
            Some((_, value)) => Some(value),
            None => self.variable(name),
        }
    }

    /// Returns GitLab's failure reason when it creates the job as failed rather than running
    /// it: `environment_creation_failure` for an environment name that is not valid after
    /// expansion.
    pub fn creation_failure(&self) -> Option<&'static str> {
        self.environment_invalid
            .then_some("environment_creation_failure")
    }

    /// Returns the resource group GitLab assigns the job to, with masked values in place.
    pub(crate) fn resource_group_key(&self) -> Option<&str> {
        match self.unmasked_fields() {
            Some(unmasked) => unmasked.resource_group.as_deref(),
            None => self.resource_group.as_deref(),
        }
    }

    /// Returns the winning value of variable `name` (`[MASKED]` for a masked variable).
    pub fn variable(&self, name: &str) -> Option<&str> {
        self.variables
            .iter()
            .find(|variable| variable.name == name)
            .map(|variable| variable.value.as_str())
    }

    /// Returns the names of the jobs this DAG job waits for.
    pub fn need_names(&self) -> Vec<&str> {
        self.needs
            .iter()
            .flatten()
            .map(|need| need.job.as_str())
            .collect()
    }
}

/// Identity of a parallel instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ParallelInstance {
    /// Name of the job that was expanded.
    pub base_name: CompactString,
    /// `CI_NODE_INDEX`, from 1.
    pub node_index: u32,
    /// `CI_NODE_TOTAL`.
    pub node_total: u32,
}

/// A need on a job of this pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct NeedEdge {
    /// The needed job.
    pub job: CompactString,
    /// Whether the job downloads the needed job's artifacts and `dotenv` variables.
    pub artifacts: bool,
    /// Whether the need was written with `optional: true`.
    pub optional: bool,
}

/// A `needs:project` or `needs:pipeline` entry.
///
/// `project`, `ref`, `pipeline` and `job` are as written. GitLab expands them with the job's
/// variables only when a runner takes the job, and each `*_expanded` member contains that value
/// when it differs from the written one. An upstream status mirror's project is never
/// expanded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct CrossNeed {
    /// The project of `needs:project`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<CompactString>,
    /// `project` as GitLab expands it, when that changes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_expanded: Option<CompactString>,
    /// The ref of `needs:project`.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<CompactString>,
    /// `ref` as GitLab expands it, when that changes it.
    #[serde(rename = "ref_expanded", skip_serializing_if = "Option::is_none")]
    pub git_ref_expanded: Option<CompactString>,
    /// The pipeline of `needs:pipeline` (usually `$PARENT_PIPELINE_ID`), or of a trigger
    /// job's upstream status mirror.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<CompactString>,
    /// `pipeline` of `needs:pipeline:job` as GitLab expands it, when that changes it. GitLab
    /// reads the leading decimal digits of the result as the pipeline ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_expanded: Option<CompactString>,
    /// The job whose artifacts are downloaded; absent for an upstream status mirror.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<CompactString>,
    /// `job` as GitLab expands it, when that changes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_expanded: Option<CompactString>,
    /// The variables that the values reference and whose values are known only once a runner
    /// takes the job, such as `CI_RUNNER_TAGS`. A value that references one has no
    /// `*_expanded` member.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_variables: Vec<CompactString>,
    /// Whether artifacts are downloaded.
    pub artifacts: bool,
    /// The entry in the configuration, for diagnostics.
    #[serde(skip)]
    #[cfg_attr(test, schemars(skip))]
    pub(crate) span: Option<Span>,
}

/// One variable of a job: the winning definition of the name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PlanVariable {
    /// Variable name.
    pub name: CompactString,
    /// The value GitLab sends to the runner: references to other variables expanded,
    /// references the runner resolves (undefined, file and raw variables) kept as written.
    /// `[MASKED]` for a masked variable.
    pub value: CompactString,
    /// Where the winning definition comes from, which is its precedence level.
    #[cfg_attr(test, schemars(with = "schema::VariableSource"))]
    pub source: VariableSource,
    /// Whether the value is masked in job logs.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub masked: bool,
    /// Whether the value is raw (`expand: false`): used as written.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub raw: bool,
    /// Whether the variable is of type file.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub file: bool,
    /// Whether the winning definition is a protected CI/CD variable, which GitLab passes only
    /// to pipelines of protected branches and tags.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub protected: bool,
    /// The environment scope of the winning definition, for a project, group or deployment
    /// variable whose scope is not `*` (every environment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment_scope: Option<CompactString>,
    /// The full path of the group that defines the winning definition, for a group variable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<CompactString>,
    /// The origins of the definitions this one overrides, lowest precedence first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, schemars(with = "Vec<schema::VariableSource>"))]
    pub overrides: Vec<VariableSource>,
    /// The environment scope of each definition in `overrides`, at the same index: the scope
    /// of a project, group or deployment variable when it is not `*`, else `null`. Empty when
    /// every entry would be `null`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub override_scopes: Vec<Option<CompactString>>,
    /// The full path of the group of each definition in `overrides`, at the same index, for a
    /// group variable, else `null`. Empty when every entry would be `null`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub override_groups: Vec<Option<CompactString>>,
}

/// A protected CI/CD variable that applies to a job, but that GitLab does not pass to it
/// because the pipeline's ref is not protected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct WithheldVariable {
    /// Variable name.
    pub name: CompactString,
    /// The levels of the protected definitions left out, lowest precedence first: `instance`,
    /// `group` (once per group, from the top-level group down) and `project`.
    #[cfg_attr(test, schemars(with = "Vec<schema::VariableSource>"))]
    pub sources: Vec<VariableSource>,
    /// The environment scope of each definition in `sources`, at the same index: the scope of
    /// a group or project variable when it is not `*`, else `null`. When several scopes of one
    /// level apply, the entry has the most specific one, which would win. Empty when every
    /// entry would be `null`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<Option<CompactString>>,
    /// The full path of the group of each definition in `sources`, at the same index, for a
    /// group variable, else `null`. Empty when every entry would be `null`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Option<CompactString>>,
}

/// A length of time as written, with its value in seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PlanDuration {
    /// The text as written, such as `30 minutes`.
    pub text: CompactString,
    /// Whole seconds.
    pub seconds: u64,
}

/// `image:` of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PlanImage {
    /// The image as written. The runner expands variables in it.
    pub name: CompactString,
    /// The name with the job's variables expanded as the runner does, when that changes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expanded: Option<CompactString>,
    /// `entrypoint:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<CompactString>>,
    /// `pull_policy:`, in order of preference.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pull_policy: Vec<CompactString>,
}

/// One entry of `services:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PlanService {
    /// The image as written.
    pub name: CompactString,
    /// The name with the job's variables expanded as the runner does, when that changes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expanded: Option<CompactString>,
    /// `alias:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<CompactString>,
    /// The host names the job reaches the service at.
    pub hostnames: Vec<CompactString>,
    /// `pull_policy:`, in order of preference.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pull_policy: Vec<CompactString>,
}

/// `environment:` of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PlanEnvironment {
    /// The name after GitLab's expansion (`CI_ENVIRONMENT_NAME`).
    pub name: CompactString,
    /// The name as written, when expansion changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written: Option<CompactString>,
    /// `url:` after expansion with the job's variables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<CompactString>,
    /// `action:` (`start` by default).
    pub action: CompactString,
    /// `deployment_tier:`, when written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_tier: Option<CompactString>,
    /// `on_stop:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_stop: Option<CompactString>,
    /// `auto_stop_in:` after expansion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_stop_in: Option<CompactString>,
}

/// `retry:` of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PlanRetry {
    /// How many times GitLab retries a failed job (0 to 2).
    pub max: u8,
    /// Failure reasons that cause a retry. When the job lists none: empty if it sets
    /// `exit_codes` (only the exit codes decide), `always` otherwise.
    pub when: Vec<CompactString>,
    /// Exit codes that cause a retry.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, schemars(with = "Vec<schema::ExitCode>"))]
    pub exit_codes: Vec<ExitCode>,
}

/// One `cache:` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PlanCache {
    /// The key as written (`default` when not written); absent for a key computed from
    /// files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<CompactString>,
    /// The key with the job's variables expanded as the runner does, when that changes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_expanded: Option<CompactString>,
    /// `key:files` or `key:files_commits`: the key is computed from these files' commits.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub key_files: Vec<CompactString>,
    /// `key:prefix`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_prefix: Option<CompactString>,
    /// `paths:`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<CompactString>,
    /// `policy:` (`pull-push` by default).
    pub policy: CompactString,
    /// `when:` (`on_success` by default).
    pub when: CompactString,
    /// `untracked: true`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub untracked: bool,
    /// `unprotect: true`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unprotect: bool,
    /// `fallback_keys:`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fallback_keys: Vec<CompactString>,
}

/// `artifacts:` of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PlanArtifacts {
    /// `paths:`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<CompactString>,
    /// `exclude:`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<CompactString>,
    /// `name:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<CompactString>,
    /// `when:` (`on_success` by default).
    pub when: CompactString,
    /// `expire_in:` as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_in: Option<CompactString>,
    /// `untracked: true`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub untracked: bool,
    /// The report types under `reports:`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reports: Vec<CompactString>,
    /// The `reports:dotenv` files, whose variables flow to the jobs that take this job's
    /// artifacts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dotenv: Vec<CompactString>,
}

/// `trigger:` of a trigger job and the downstream pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PlanTrigger {
    /// A child pipeline of this project, or a pipeline of another project.
    pub kind: TriggerKind,
    /// The downstream project (multi-project pipelines), after GitLab's expansion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<CompactString>,
    /// The downstream branch (multi-project pipelines; the project's default branch when
    /// absent), after GitLab's expansion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<CompactString>,
    /// The configuration files of a child pipeline, as written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<CompactString>,
    /// `strategy:`: absent when the trigger job succeeds as soon as the downstream pipeline
    /// is created, `depend` or `mirror` when it takes the downstream pipeline's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<CompactString>,
    /// Whether the job's YAML variables are passed downstream (`forward:yaml_variables`).
    pub forward_yaml_variables: bool,
    /// Whether this pipeline's pipeline variables are passed downstream
    /// (`forward:pipeline_variables`).
    pub forward_pipeline_variables: bool,
    /// The variables the downstream pipeline receives as pipeline variables.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<NameValue>,
    /// The planned child pipeline, when its configuration files were available.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, schemars(with = "Option<Box<Pipeline>>"))]
    pub downstream: Option<Box<Pipeline>>,
    /// Why the downstream pipeline is not planned, or what GitLab will do with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Whether GitLab creates the downstream pipeline only when a user plays the trigger job,
    /// because the job is `manual`. The child pipeline in `downstream` is still planned, as if
    /// the job were played. `false` when GitLab cannot create the child pipeline, whose trigger
    /// job fails when played.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub downstream_created_when_played: bool,
    /// GitLab's failure reason for the trigger job when GitLab cannot create the child
    /// pipeline (`downstream_pipeline_creation_failed`, or the depth limit's reason), so the job
    /// fails as soon as it starts. `reached_max_pipeline_hierarchy_size` marks a child pipeline
    /// left unplanned at the hierarchy size limit, which GitLab may still create, because it
    /// checks that limit when the job starts. `None` when the child is created or glplan
    /// cannot tell, as for a multi-project pipeline.
    #[serde(skip)]
    #[cfg_attr(test, schemars(skip))]
    pub failure_reason: Option<&'static str>,
    /// The maximum number of pipelines in a pipeline hierarchy
    /// ([`Limits::max_pipeline_hierarchy_size`](crate::Limits)) the plan was made with. GitLab
    /// fails the trigger job with `reached_max_pipeline_hierarchy_size` when the hierarchy has
    /// this many pipelines at the moment the job starts.
    #[serde(skip)]
    #[cfg_attr(test, schemars(skip))]
    pub max_hierarchy_size: usize,
    /// The files and diagnostics of the child configuration, when it was resolved. The spans
    /// of [`PlanTrigger::downstream`]'s diagnostics point into its files, not into the
    /// parent's.
    #[serde(skip)]
    #[cfg_attr(test, schemars(skip))]
    pub configuration: Option<Box<ChildConfiguration>>,
}

/// The resolved configuration of a child pipeline, for renderers that show source lines.
#[derive(Debug, Clone)]
pub struct ChildConfiguration {
    /// Name of the generated entry file, which includes the files `trigger:include` lists.
    pub entry: String,
    /// Every file loaded for the child configuration, the entry file first.
    pub sources: SourceMap,
    /// The diagnostics of resolving the child configuration, with spans in
    /// [`ChildConfiguration::sources`]. The child pipeline's diagnostics start with these.
    pub diagnostics: Vec<Diagnostic>,
    /// Span of the trigger job's `trigger:` in the parent configuration. A diagnostic in the
    /// generated entry file is about this part of the parent, or about one of its
    /// `trigger:include` items.
    pub trigger_span: Option<Span>,
    /// The `trigger:include` items in the generated entry file, in the order written.
    pub(crate) include_items: Vec<EntryItem>,
}

/// One `trigger:include` item: its byte range in the generated entry file of a child
/// configuration, and where the user wrote it in the parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryItem {
    /// Byte offset of the item's first byte in the entry file.
    pub(crate) start: u32,
    /// Byte offset one past the item's last byte in the entry file.
    pub(crate) end: u32,
    /// The item in the parent configuration.
    pub(crate) span: Span,
    /// The keys and values of the item's `inputs`, each with its own range, so that a
    /// problem with one input points at that input in the parent.
    pub(crate) parts: Vec<EntryPart>,
}

/// A part of a `trigger:include` item in the generated entry file, such as an input's key or
/// value, and where the user wrote it in the parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntryPart {
    /// Byte offset of the part's first byte in the entry file.
    pub(crate) start: u32,
    /// Byte offset one past the part's last byte in the entry file.
    pub(crate) end: u32,
    /// The part in the parent configuration.
    pub(crate) span: Span,
}

impl ChildConfiguration {
    /// Returns whether `span` lies in the generated entry file rather than in a file the user
    /// wrote.
    pub fn in_entry(&self, span: Span) -> bool {
        self.sources
            .get(span.file)
            .is_some_and(|file| file.name == self.entry)
    }

    /// Returns the span in the parent configuration that a span of the generated entry file
    /// is about: the input key or value of a `trigger:include` item that contains its start,
    /// else that item, or else `trigger:`.
    pub fn parent_span(&self, span: Span) -> Option<Span> {
        let contains = |start: u32, end: u32| start <= span.start && span.start < end;
        let Some(item) = self
            .include_items
            .iter()
            .find(|item| contains(item.start, item.end))
        else {
            return self.trigger_span;
        };
        let part = item
            .parts
            .iter()
            .find(|part| contains(part.start, part.end));
        Some(part.map_or(item.span, |part| part.span))
    }
}

impl PartialEq for ChildConfiguration {
    fn eq(&self, other: &Self) -> bool {
        let files = |sources: &SourceMap| -> Vec<(String, String)> {
            sources
                .files()
                .map(|(_, file)| (file.name.clone(), file.text.clone()))
                .collect()
        };
        self.entry == other.entry
            && self.diagnostics == other.diagnostics
            && self.trigger_span == other.trigger_span
            && self.include_items == other.include_items
            && files(&self.sources) == files(&other.sources)
    }
}

/// The kind of downstream pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum TriggerKind {
    /// A child pipeline (`trigger:include`), with `CI_PIPELINE_SOURCE=parent_pipeline`.
    Child,
    /// A pipeline of another project (`trigger:project`), with
    /// `CI_PIPELINE_SOURCE=pipeline`.
    MultiProject,
}

/// A job GitLab does not create.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct AbsentJob {
    /// Job name.
    pub name: CompactString,
    /// Stage.
    pub stage: CompactString,
    /// Why the job is absent.
    pub reason: AbsentReason,
    /// The evaluation behind the decision; absent when `workflow:rules` filtered the whole
    /// pipeline out before any job was looked at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<JobRule>,
    /// Where the job is defined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
}

/// Why a job is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum AbsentReason {
    /// `workflow:rules` filtered the pipeline out.
    WorkflowFiltered,
    /// The commit message contains `[skip ci]`, so GitLab skipped the pipeline before it
    /// read the configuration.
    SkipCi,
    /// None of the job's `rules` matched.
    NoRuleMatched,
    /// The matching rule has `when: never`.
    WhenNever,
    /// `only` did not hold, or `except` did.
    OnlyExcept,
    /// Evaluating the job's `rules` raised an error, such as `rules:changes:compare_to is not
    /// a valid ref`. GitLab fails pipeline creation with `Failed to parse rule for JOB: ...`,
    /// unless no job of the job's stage is created.
    RuleError,
}

/// What decided that a job exists or not.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct JobRule {
    /// The keywords that decided.
    pub by: DecidedBy,
    /// One line explaining the decision.
    pub summary: String,
    /// Index (from 0) of the rule that matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<usize>,
    /// Each rule evaluated, in order, up to the one that matched. Kept only with the
    /// `rule_traces` option.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleEvaluation>,
    /// `only:` (or the implicit `only: [branches, tags]`). Kept only with the `rule_traces`
    /// option.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only: Option<PolicyEvaluation>,
    /// `except:`. Kept only with the `rule_traces` option.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub except: Option<PolicyEvaluation>,
    /// Whether `only` is the implicit `only: [branches, tags]` of a job without `only` and
    /// `rules`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub implicit_only: bool,
    /// Results glplan assumed because a fact is not available offline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The keywords that decided whether a job exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum DecidedBy {
    /// The job's `rules`.
    Rules,
    /// The job's `only`/`except`, or the implicit `only: [branches, tags]`.
    OnlyExcept,
    /// Nothing: the job has no `rules`, `only` or `except` and the configuration has
    /// `workflow:rules`.
    Unconditional,
    /// `workflow:rules`, which filtered the whole pipeline out.
    Workflow,
}

/// The evaluation of one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct RuleEvaluation {
    /// Position in the flattened rule list, from 0.
    pub index: usize,
    /// Whether every clause held.
    pub matched: bool,
    /// The clauses evaluated, in the order they are written (GitLab's evaluation order), up
    /// to the first one that did not hold. A rule without clauses always matches.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clauses: Vec<ClauseEvaluation>,
    /// Where the rule is written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
}

/// The evaluation of one `only:` or `except:`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PolicyEvaluation {
    /// For `only`, whether every key holds; for `except`, whether any key holds.
    pub satisfied: bool,
    /// Each key written, in the order `refs`, `variables`, `changes`, `kubernetes`.
    pub keys: Vec<ClauseEvaluation>,
}

/// The evaluation of one clause of a rule, or one key of `only`/`except`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ClauseEvaluation {
    /// The clause or key.
    pub clause: ClauseKind,
    /// Whether it held.
    pub holds: bool,
    /// The explanation, such as ``if `$CI_COMMIT_TAG` is false (CI_COMMIT_TAG = null)``.
    pub detail: String,
    /// The expression as written (`if:` clauses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<CompactString>,
    /// The variables the expressions read, with their values (`null` when undefined).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reads: Vec<VariableRead>,
    /// A result glplan assumed because a fact is not available offline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The error GitLab raises when it evaluates the clause, such as
    /// `rules:changes:compare_to is not a valid ref`. It ends the evaluation of the rule list
    /// with `when: never`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Location of the expression (`if:` clauses), or of the `compare_to` value that raised
    /// `error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
}

/// The clause of a rule or the key of `only`/`except` that an evaluation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum ClauseKind {
    /// `rules:if`.
    If,
    /// `rules:changes` or `only/except:changes`.
    Changes,
    /// `rules:exists`.
    Exists,
    /// `only/except:refs`.
    Refs,
    /// `only/except:variables`.
    Variables,
    /// `only/except:kubernetes`.
    Kubernetes,
}

/// A variable an expression read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct VariableRead {
    /// Variable name, without `$`.
    pub name: CompactString,
    /// The value read, `[MASKED]` for a masked variable; `null` when it is undefined.
    pub value: Option<CompactString>,
    /// The levels of the protected CI/CD variables of this name that GitLab left out, because
    /// the pipeline's ref is not protected, lowest precedence first. The value read comes
    /// from the other definitions, if any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, schemars(with = "Vec<schema::VariableSource>"))]
    pub withheld: Vec<VariableSource>,
    /// The environment scope of each definition in `withheld`, at the same index: the scope of
    /// a group or project variable when it is not `*`, else `null`. Empty when every entry
    /// would be `null`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub withheld_scopes: Vec<Option<CompactString>>,
    /// The full path of the group of each definition in `withheld`, at the same index, for a
    /// group variable, else `null`. Empty when every entry would be `null`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub withheld_groups: Vec<Option<CompactString>>,
}

/// A file name and 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct SourceLocation {
    /// File name. A file of the repository being planned has its path from the repository root, and
    /// a file of another project (from `include:project` or a component) is `PROJECT:REF:PATH`,
    /// with the component's version as REF. An `include:remote` file has its URL, and an
    /// `include:template` file is `template:NAME`.
    pub file: CompactString,
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub column: u32,
    /// Column in UTF-16 code units, from 1, as JavaScript editors count.
    pub column_utf16: u32,
    /// Byte offset from the start of the file.
    pub offset: u32,
}

impl SourceLocation {
    /// Returns the location of byte `offset` of `file`.
    pub fn at(file: &crate::source::SourceFile, offset: u32) -> SourceLocation {
        let position = file.position(offset);
        SourceLocation {
            file: file.compact_name(),
            line: position.line,
            column: position.column,
            column_utf16: position.column_utf16,
            offset: position.offset,
        }
    }
}

/// Something glplan reports about the pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PlanDiagnostic {
    /// Stable kebab-case identifier, such as `missing-need`.
    pub code: String,
    /// `error` when GitLab does not create the pipeline because of it.
    #[cfg_attr(test, schemars(with = "schema::Severity"))]
    pub severity: Severity,
    /// The message, in GitLab's wording where GitLab reports the same problem.
    pub message: String,
    /// The job it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// Where the problem is written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The span behind [`PlanDiagnostic::location`], for renderers that show source lines.
    #[serde(skip)]
    #[cfg_attr(test, schemars(skip))]
    pub span: Option<Span>,
}
