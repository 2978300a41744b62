//! CI/CD variables: GitLab's predefined variables, the variable collections GitLab builds while
//! it creates a pipeline, their precedence, and variable expansion.
//!
//! GitLab builds a different variable collection for each step of pipeline creation:
//!
//! - [`include_variables`] for `include` locations and `include:rules`: pre-pipeline predefined
//!   variables and CI/CD settings and pipeline variables, never YAML `variables:`.
//! - [`workflow_variables`] for `workflow:rules`: the above plus the top-level YAML variables.
//! - [`seed_variables`] for a job's `rules:if`: the job's full set before its rule matched.
//! - [`job_variables`] once a rule matched: what GitLab sends to the runner.
//!
//! Each collection is a [`VariableList`] in GitLab's code order, where a later definition of
//! a name wins. Every entry records its [`VariableSource`] and whether it is masked, raw or a
//! file. Masked values are shown as `[MASKED]` by [`ResolvedVariable::display_value`], `Debug`
//! and serialization.
//!
//! ```
//! use glplan::context::{PipelineContext, SettingsVariable};
//! use glplan::variables::{GlobalVariables, JobSpec, YamlVariable, seed_variables};
//!
//! let mut context = PipelineContext::push("main");
//! context.project_variables.push(SettingsVariable::new("B", "project"));
//! let globals = GlobalVariables {
//!     variables: vec![YamlVariable::new("A", "global"), YamlVariable::new("B", "global")],
//!     ..GlobalVariables::default()
//! };
//! let seed = seed_variables(&context, &globals, &JobSpec::new("build", "build"));
//! assert_eq!(seed.variables.value("A"), Some("global"));
//! assert_eq!(seed.variables.value("B"), Some("project"));
//! assert_eq!(seed.variables.value("CI_COMMIT_BRANCH"), Some("main"));
//! ```

mod collections;
mod convert;
mod downstream;
mod expand;
mod input;
mod list;
mod predefined;

#[cfg(test)]
mod tests;

pub use collections::{
    JobVariables, WithheldSource, include_variables, job_variables, job_yaml_variables,
    pipeline_name, root_variables, scope_rank, seed_variables, withheld_protected_variables,
    workflow_variables,
};
pub(crate) use collections::{
    job_level_variables, job_variables_in_environment, merge_job_lists,
    seed_variables_in_environment,
};
pub use downstream::{Forward, downstream_variables};
pub use expand::{
    DEFAULT_MAX_VARIABLE_EXPANSION_BYTES, ExpandOptions, Expansion, RUNNER_TEMP_PROJECT_DIR,
    expand, expand_existing, runner_expand, runner_expand_all, sort_and_expand_all,
};
pub(crate) use expand::{
    RunnerValue, expand_collection_value, runner_expand_with, sort_and_expand_definitions,
    sort_and_expand_indexed,
};
pub use input::{
    GlobalVariables, InheritVariables, JobEnvironment, JobOutcome, JobRuntime, JobSpec,
    YamlVariable,
};
pub use list::{MASKED, ResolvedVariable, VariableList, VariableSource};
pub use predefined::{
    Availability, MAX_COMMIT_MESSAGE_BYTES, MAX_MERGE_REQUEST_DESCRIPTION_CHARS,
    MAX_OPEN_MERGE_REQUESTS, MAX_RELEASE_DESCRIPTION_CHARS, PredefinedVariable, environment_slug,
    guess_environment_tier, job_group_name, job_predefined_variables, predefined_availability,
    predefined_variables, slug_characters, slugify,
};
pub(crate) use predefined::{is_blank, predefined_name};
