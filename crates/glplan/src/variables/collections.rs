//! The variable collections GitLab builds while it creates a pipeline, each in GitLab's code
//! order (later definitions win).
//!
//! | Function | GitLab code | Used for |
//! |---|---|---|
//! | [`include_variables`] | `Variables::Builder#config_variables` | `include` locations and `include:rules` |
//! | [`workflow_variables`] | `Build::Context::Global#variables` | `workflow:rules` |
//! | [`seed_variables`] | `Variables::Builder#scoped_variables_for_pipeline_seed` | job `rules:if`, `only`/`except:variables`, `tags`, the circular reference check |
//! | [`job_variables`] | `Ci::Build#variables` | the job's variables once a rule matched, sent to the runner |

use crate::hash::HashMap;

use compact_str::CompactString;

use crate::context::{PipelineContext, SettingsVariable};

use super::expand::{ExpandOptions, Expansion, expand, sort_and_expand_all};
use super::input::{GlobalVariables, JobOutcome, JobSpec, YamlVariable};
use super::list::{ResolvedVariable, VariableList, VariableSource};
use super::predefined::{
    Availability, PredefinedVariable, is_blank, job_predefined_variables,
    persisted_environment_variables, persisted_variables, predefined_variables, release_variables,
    user_variables, workflow_job_variables,
};

/// A job's variables, with the environment name they were computed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobVariables {
    /// The variables in GitLab's order; later definitions win.
    pub variables: VariableList,
    /// The job's `environment:name` after expansion; `None` when the job has no environment.
    /// GitLab expands it with the job's variables minus the environment-scoped ones and the
    /// `CI_ENVIRONMENT_*` variables, and unknown references become empty.
    pub environment: Option<String>,
}

impl JobVariables {
    /// Expands nested references in the variables (see [`sort_and_expand_all`]). GitLab fails
    /// pipeline creation when the job's [`seed_variables`] contain a cycle, and
    /// [`Expansion::cycle_diagnostic`] gives that error.
    pub fn expand(&self, options: ExpandOptions) -> Expansion {
        sort_and_expand_all(&self.variables, options)
    }

    /// Expands the variables as GitLab does before it sends them to the runner: nested
    /// references are expanded, and references to undefined, file and raw variables are kept for
    /// the runner. With a reference cycle GitLab sends them unexpanded.
    pub fn runner_payload(&self) -> VariableList {
        self.expand(ExpandOptions::RUNNER_PAYLOAD).variables
    }
}

/// Builds the variables visible to `include` locations and `include:rules`: the pre-pipeline
/// predefined variables, the instance, group and project CI/CD variables, and the pipeline and
/// schedule variables. Protected variables are included only on protected refs, and
/// environment-scoped ones only with scope `*`. YAML `variables:` are never visible there.
pub fn include_variables(context: &PipelineContext) -> VariableList {
    let mut list = VariableList::new();
    push_predefined(&mut list, predefined_variables(context), |class| {
        class == Availability::PrePipeline
    });
    push_settings_variables(&mut list, context, None);
    push_pipeline_level(&mut list, context);
    list
}

/// Builds the variables visible to `workflow:rules`: those of a job without name or stage,
/// built from the top-level YAML `variables:` (`global`). Every `CI_JOB_*` and `CI_BUILD_*`
/// name is removed, as GitLab's `Context::Global` does. Environment-scoped CI/CD variables
/// apply only with scope `*`.
pub fn workflow_variables(context: &PipelineContext, global: &[YamlVariable]) -> VariableList {
    let mut list = VariableList::new();
    push_predefined(&mut list, workflow_job_variables(context), |_| true);
    push_predefined(&mut list, predefined_variables(context), not_job_only);
    list.extend(
        global
            .iter()
            .map(|variable| yaml_entry(variable, VariableSource::GlobalYaml)),
    );
    push_predefined(&mut list, user_variables(context), |_| true);
    push_settings_variables(&mut list, context, None);
    push_pipeline_level(&mut list, context);
    push_predefined(&mut list, release_variables(context), |_| true);
    list.retain(|variable| {
        !(variable.name.starts_with("CI_JOB") || variable.name.starts_with("CI_BUILD"))
    });
    list
}

/// Merges the matched workflow rule's variables over the top-level YAML variables.
pub fn root_variables(globals: &GlobalVariables) -> Vec<ResolvedVariable> {
    let global = globals
        .variables
        .iter()
        .map(|variable| yaml_entry(variable, VariableSource::GlobalYaml));
    let workflow = globals
        .workflow_rules
        .iter()
        .map(|variable| yaml_entry(variable, VariableSource::WorkflowRules));
    merge(global.collect(), workflow.collect())
}

/// Merges a job's YAML variables as GitLab does: the root variables the job inherits
/// (`inherit:variables`), then the job's `variables:`, the `parallel:matrix` values and the
/// matched rule's `variables:`, each overriding the ones before it. Each name appears once, at
/// the position of the definition that wins.
pub fn job_yaml_variables(
    globals: &GlobalVariables,
    job: &JobSpec,
    rule_variables: &[YamlVariable],
) -> Vec<ResolvedVariable> {
    let inherited: Vec<ResolvedVariable> = root_variables(globals)
        .into_iter()
        .filter(|variable| job.inherit.allows(&variable.name))
        .collect();
    let own = entries(&job.variables, VariableSource::JobYaml);
    let matrix = entries(&job.matrix, VariableSource::Matrix);
    let rules = entries(rule_variables, VariableSource::Rules);
    let job_level = merge(own, matrix);
    merge(merge(inherited, job_level), rules)
}

/// Merges the job's own part of [`job_yaml_variables`]: its `variables:`, the
/// `parallel:matrix` values and the matched rule's `variables:`. When the job inherits every
/// root variable, [`job_yaml_variables`] is the root variables without the names of this list,
/// followed by this list.
pub(crate) fn job_level_variables(
    job: &JobSpec,
    rule_variables: &[YamlVariable],
) -> Vec<ResolvedVariable> {
    merge_job_lists(&job.variables, &job.matrix, rule_variables)
}

/// Returns `merge(merge(own, matrix), rules)`, the three lists entered with their sources.
/// Short lists are merged in one pass that copies only the definitions kept. A definition of
/// `own` is kept when no later list defines its name, and one of `matrix` or `rules` when no
/// later definition anywhere has its name.
pub(crate) fn merge_job_lists(
    own: &[YamlVariable],
    matrix: &[YamlVariable],
    rules: &[YamlVariable],
) -> Vec<ResolvedVariable> {
    let total = own.len() + matrix.len() + rules.len();
    if total > SHORT_MERGE {
        let own = entries(own, VariableSource::JobYaml);
        let matrix = entries(matrix, VariableSource::Matrix);
        let rules = entries(rules, VariableSource::Rules);
        return merge(merge(own, matrix), rules);
    }
    let all = || own.iter().chain(matrix).chain(rules);
    let mut merged = Vec::with_capacity(total);
    for (position, variable) in all().enumerate() {
        let (later, source) = if position < own.len() {
            (own.len(), VariableSource::JobYaml)
        } else if position < own.len() + matrix.len() {
            (position + 1, VariableSource::Matrix)
        } else {
            (position + 1, VariableSource::Rules)
        };
        if !all().skip(later).any(|other| other.name == variable.name) {
            merged.push(yaml_entry(variable, source));
        }
    }
    merged
}

/// Builds the variables of a job's `rules:if` and `only`/`except:variables`. GitLab also
/// expands `tags` with them and checks them for circular references.
///
/// The list contains, in order:
/// - the job predefined variables, with `CI_ENVIRONMENT_*` for the expanded environment name;
/// - the project and pipeline predefined variables, and deployment variables;
/// - the YAML variables: top-level, workflow rule, job and matrix, without the rule's;
/// - `GITLAB_USER_*`;
/// - the instance, group and project variables;
/// - the pipeline, schedule and release variables.
///
/// Protected variables are included only on protected refs, and environment-scoped ones when
/// the scope matches the job's environment.
///
/// Values are as written: GitLab evaluates `rules:if` without nested expansion.
pub fn seed_variables(
    context: &PipelineContext,
    globals: &GlobalVariables,
    job: &JobSpec,
) -> JobVariables {
    let yaml = job_yaml_variables(globals, job, &[]);
    let environment = expand_environment_name(context, job, &yaml, job.manual);
    seed_variables_with_yaml(context, job, &yaml, environment)
}

/// Builds [`seed_variables`] for a job whose environment name needs no expansion, such as a
/// name without references. `environment` is the expanded name.
pub(crate) fn seed_variables_in_environment(
    context: &PipelineContext,
    globals: &GlobalVariables,
    job: &JobSpec,
    environment: Option<String>,
) -> JobVariables {
    let yaml = job_yaml_variables(globals, job, &[]);
    seed_variables_with_yaml(context, job, &yaml, environment)
}

fn seed_variables_with_yaml(
    context: &PipelineContext,
    job: &JobSpec,
    yaml: &[ResolvedVariable],
    environment: Option<String>,
) -> JobVariables {
    let variables = scoped_variables(context, job, yaml, environment.as_deref(), job.manual, None);
    JobVariables {
        variables,
        environment,
    }
}

/// Builds the variables of a job whose rule matched, in the order GitLab sends them to the
/// runner.
///
/// The list contains, in order:
/// - the job-only persisted variables: pipeline and job IDs and URLs, tokens;
/// - the job predefined variables;
/// - the project and pipeline predefined variables, and deployment variables;
/// - the YAML variables, now with the rule's;
/// - `GITLAB_USER_*` and the `dotenv` variables;
/// - the instance, group and project variables;
/// - the pipeline, schedule and release variables;
/// - the manual job's variables;
/// - `CI_ENVIRONMENT_SLUG` and `CI_ENVIRONMENT_URL`.
///
/// Trigger jobs (`JobSpec::bridge`) get no job-only variable other than `CI_PIPELINE_ID` and
/// `CI_PIPELINE_URL`. Runner variables (`CI_RUNNER_*`, `CI_BUILDS_DIR`, ...) are the runner's
/// to add.
pub fn job_variables(
    context: &PipelineContext,
    globals: &GlobalVariables,
    job: &JobSpec,
    outcome: &JobOutcome,
) -> JobVariables {
    let yaml = job_yaml_variables(globals, job, &outcome.rule_variables);
    let manual = outcome.manual.unwrap_or(job.manual);
    let environment = expand_environment_name(context, job, &yaml, manual);
    job_variables_with_yaml(context, job, outcome, &yaml, environment)
}

/// Builds [`job_variables`] for a job whose environment name needs no expansion, as
/// [`seed_variables_in_environment`] does.
pub(crate) fn job_variables_in_environment(
    context: &PipelineContext,
    globals: &GlobalVariables,
    job: &JobSpec,
    outcome: &JobOutcome,
    environment: Option<String>,
) -> JobVariables {
    let yaml = job_yaml_variables(globals, job, &outcome.rule_variables);
    job_variables_with_yaml(context, job, outcome, &yaml, environment)
}

fn job_variables_with_yaml(
    context: &PipelineContext,
    job: &JobSpec,
    outcome: &JobOutcome,
    yaml: &[ResolvedVariable],
    environment: Option<String>,
) -> JobVariables {
    let manual = outcome.manual.unwrap_or(job.manual);
    let mut variables = VariableList::new();
    push_predefined(
        &mut variables,
        persisted_variables(context, job, outcome),
        |_| true,
    );
    let scoped = scoped_variables(
        context,
        job,
        yaml,
        environment.as_deref(),
        manual,
        Some(outcome),
    );
    variables.extend(scoped);
    let manual_job = &outcome.manual_job_variables;
    variables.extend(
        manual_job
            .iter()
            .map(|variable| settings_entry(variable, VariableSource::ManualJob)),
    );
    if !job.bridge {
        let environment_variables = persisted_environment_variables(job, environment.as_deref());
        push_predefined(&mut variables, environment_variables, |_| true);
    }
    JobVariables {
        variables,
        environment,
    }
}

/// Expands `workflow:name` into the pipeline name (`CI_PIPELINE_NAME`). The variables are those
/// of `workflow:rules` plus the matched workflow rule's variables, and undefined references
/// become empty. The result is `None` when it is blank (only Unicode whitespace, as Rails'
/// `blank?` decides), else stripped of what Ruby's `String#strip` removes: ASCII whitespace
/// and NUL. The name is not checked against GitLab's length limits here.
pub fn pipeline_name(
    context: &PipelineContext,
    globals: &GlobalVariables,
    template: &str,
) -> Option<String> {
    let root: Vec<YamlVariable> = root_variables(globals)
        .into_iter()
        .map(|variable| YamlVariable {
            name: variable.name.into_string(),
            value: variable.value,
            raw: variable.raw,
            span: variable.span,
        })
        .collect();
    let variables = workflow_variables(context, &root);
    let expanded = sort_and_expand_all(&variables, ExpandOptions::GITLAB).variables;
    let name = expand(template, &expanded);
    if name.chars().all(char::is_whitespace) {
        return None;
    }
    let stripped = name.trim_matches(|c: char| c == '\0' || c == '\x0b' || c.is_ascii_whitespace());
    Some(stripped.to_owned())
}

/// Expands the job's environment name as GitLab does before the environment exists: with the
/// job's variables built without environment (so without environment-scoped variables and
/// `CI_ENVIRONMENT_*`), nested references expanded, unknown references empty.
fn expand_environment_name(
    context: &PipelineContext,
    job: &JobSpec,
    yaml: &[ResolvedVariable],
    manual: bool,
) -> Option<String> {
    let environment = job.environment.as_ref()?;
    if is_blank(&environment.name) {
        return None;
    }
    let simple = scoped_variables(context, job, yaml, None, manual, None);
    let expanded = sort_and_expand_all(&simple, ExpandOptions::GITLAB).variables;
    Some(expand(&environment.name, &expanded))
}

/// GitLab's `scoped_variables`: everything but the job-only persisted variables and the
/// manual job's variables. `outcome` is `Some` for a created job, which also receives the
/// job-only predefined variables and `dotenv` variables.
fn scoped_variables(
    context: &PipelineContext,
    job: &JobSpec,
    yaml: &[ResolvedVariable],
    environment: Option<&str>,
    manual: bool,
    outcome: Option<&JobOutcome>,
) -> VariableList {
    let created = outcome.is_some();
    let mut list = VariableList::new();
    let job_predefined = job_predefined_variables(context, job, environment, manual);
    push_predefined(&mut list, job_predefined, |_| true);
    push_predefined(&mut list, predefined_variables(context), |class| {
        created || class != Availability::JobOnly
    });
    push_deployment_variables(&mut list, context, environment);
    list.extend(yaml.iter().cloned());
    push_predefined(&mut list, user_variables(context), |_| true);
    if let Some(outcome) = outcome {
        list.extend(entries(&outcome.dotenv, VariableSource::Dotenv));
    }
    push_settings_variables(&mut list, context, environment);
    push_pipeline_level(&mut list, context);
    push_predefined(&mut list, release_variables(context), |_| true);
    list
}

fn not_job_only(class: Availability) -> bool {
    class != Availability::JobOnly
}

fn push_predefined(
    list: &mut VariableList,
    predefined: Vec<PredefinedVariable>,
    keep: impl Fn(Availability) -> bool,
) {
    list.extend(
        predefined
            .into_iter()
            .filter(|entry| keep(entry.availability))
            .map(|entry| entry.variable),
    );
}

/// Instance, group and project CI/CD variables.
fn push_settings_variables(
    list: &mut VariableList,
    context: &PipelineContext,
    environment: Option<&str>,
) {
    let protected_ref = context.protected_ref();
    let instance = context
        .instance_variables
        .iter()
        .filter(|variable| protected_ref || !variable.protected)
        .map(|variable| settings_entry(variable, VariableSource::Instance));
    list.extend(instance);
    for group in &context.group_variables {
        let entries = scoped_settings(
            &group.variables,
            VariableSource::Group,
            protected_ref,
            environment,
        );
        let path = CompactString::from(group.path.as_str());
        list.extend(entries.into_iter().map(|entry| ResolvedVariable {
            group: Some(path.clone()),
            ..entry
        }));
    }
    list.extend(scoped_settings(
        &context.project_variables,
        VariableSource::Project,
        protected_ref,
        environment,
    ));
}

/// A protected definition that GitLab withholds, by level, environment scope and group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WithheldSource<'c> {
    /// `Instance`, `Group` or `Project`.
    pub source: VariableSource,
    /// Environment scope of a group or project definition, when it is not `*`.
    pub scope: Option<&'c str>,
    /// Full path of the group, for a group definition.
    pub group: Option<&'c str>,
}

/// Returns the protected instance, group and project variables that apply to a job in
/// `environment` but that GitLab leaves out, because the pipeline's ref is not protected.
/// Each name comes once, in the order of its first such definition, with the levels of its
/// definitions, lowest precedence first. Empty on a protected ref.
///
/// A level counts once per name even when several of its scopes apply, and its entry has the
/// scope that would win among them: the most specific, the last in list order among equals.
///
/// GitLab drops these definitions before it merges the levels (`secret_variables` of
/// `Gitlab::Ci::Variables::Builder::Project` and its instance and group peers), so a lower
/// level's unprotected value of the same name still reaches the job.
pub fn withheld_protected_variables<'c>(
    context: &'c PipelineContext,
    environment: Option<&str>,
) -> Vec<(&'c str, Vec<WithheldSource<'c>>)> {
    let mut withheld: Vec<(&'c str, Vec<WithheldSource<'c>>)> = Vec::new();
    let group_variables = context
        .group_variables
        .iter()
        .flat_map(|group| &group.variables);
    let any_protected = context
        .instance_variables
        .iter()
        .chain(group_variables)
        .chain(&context.project_variables)
        .any(|variable| variable.protected);
    if !any_protected || context.protected_ref() {
        return withheld;
    }
    // Instance variables have no environment scope, so each applies to every job.
    let mut levels = vec![(
        &context.instance_variables[..],
        VariableSource::Instance,
        false,
        None,
    )];
    for group in &context.group_variables {
        levels.push((
            &group.variables[..],
            VariableSource::Group,
            true,
            Some(group.path.as_str()),
        ));
    }
    levels.push((
        &context.project_variables[..],
        VariableSource::Project,
        true,
        None,
    ));
    for (variables, source, scoped, group) in levels {
        // The names this level has added an entry for, by index in `withheld`, each with the
        // scope rank of that entry.
        let mut counted: Vec<(usize, u8)> = Vec::new();
        for variable in variables {
            if !variable.protected {
                continue;
            }
            let scope = variable.environment_scope.as_str();
            let rank = if scoped {
                scope_rank(scope, environment)
            } else {
                Some(0)
            };
            let Some(rank) = rank else {
                continue;
            };
            let scope = (scoped && scope != "*").then_some(scope);
            let index = withheld
                .iter()
                .position(|(name, _)| *name == variable.key)
                .unwrap_or_else(|| {
                    withheld.push((variable.key.as_str(), Vec::new()));
                    withheld.len() - 1
                });
            let Some((_, sources)) = withheld.get_mut(index) else {
                continue;
            };
            match counted
                .iter_mut()
                .find(|(counted_index, _)| *counted_index == index)
            {
                Some((_, counted_rank)) => {
                    if rank >= *counted_rank {
                        *counted_rank = rank;
                        if let Some(last) = sources.last_mut() {
                            last.scope = scope;
                        }
                    }
                }
                None => {
                    counted.push((index, rank));
                    sources.push(WithheldSource {
                        source,
                        scope,
                        group,
                    });
                }
            }
        }
    }
    withheld
}

/// Pipeline and schedule variables, which have no protection or scope.
fn push_pipeline_level(list: &mut VariableList, context: &PipelineContext) {
    let pipeline = context
        .pipeline_variables
        .iter()
        .map(|variable| settings_entry(variable, VariableSource::Pipeline));
    list.extend(pipeline);
    let schedule = context
        .schedule_variables
        .iter()
        .map(|variable| settings_entry(variable, VariableSource::Schedule));
    list.extend(schedule);
}

/// Deployment integration variables exist only for jobs with an environment.
fn push_deployment_variables(
    list: &mut VariableList,
    context: &PipelineContext,
    environment: Option<&str>,
) {
    if environment.is_none() {
        return;
    }
    list.extend(scoped_settings(
        &context.deployment_variables,
        VariableSource::Deployment,
        true,
        environment,
    ));
}

/// Selects the variables of one settings level that apply: protected ones only on protected
/// refs, and those whose environment scope matches. They are ordered as GitLab's query orders
/// them (scope `*`, then wildcard scopes, then the exact environment name), so the most
/// specific wins.
fn scoped_settings(
    variables: &[SettingsVariable],
    source: VariableSource,
    protected_ref: bool,
    environment: Option<&str>,
) -> Vec<ResolvedVariable> {
    let mut ranked: Vec<(u8, &SettingsVariable)> = variables
        .iter()
        .filter(|variable| protected_ref || !variable.protected)
        .filter_map(|variable| {
            scope_rank(&variable.environment_scope, environment).map(|rank| (rank, variable))
        })
        .collect();
    crate::sort::sort_by_key(&mut ranked, |(rank, _)| *rank);
    ranked
        .into_iter()
        .map(|(_, variable)| {
            let scope = variable.environment_scope.as_str();
            ResolvedVariable {
                environment_scope: (scope != "*").then(|| CompactString::from(scope)),
                ..settings_entry(variable, source)
            }
        })
        .collect()
}

/// Ranks how specifically an environment scope matches a job's environment: 0 for `*`, 1 for
/// a wildcard scope, 2 for the exact environment name, `None` when it does not apply. A job
/// without environment gets only scope `*`.
pub fn scope_rank(scope: &str, environment: Option<&str>) -> Option<u8> {
    if scope == "*" {
        return Some(0);
    }
    let environment = environment?;
    if scope == environment {
        Some(2)
    } else if scope.contains('*') && wildcard_match(scope, environment) {
        Some(1)
    } else {
        None
    }
}

/// Matches `text` against `pattern`, where `*` matches any run of characters (`/` included)
/// and every other character only itself, case-sensitively, as GitLab's SQL `LIKE` does.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return false;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let middle: Vec<&str> = parts.collect();
    let Some((last, middle)) = middle.split_last() else {
        // No `*` at all: the prefix must be the whole text.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(position) => rest = rest.get(position + part.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    rest.ends_with(last)
}

fn settings_entry(variable: &SettingsVariable, source: VariableSource) -> ResolvedVariable {
    ResolvedVariable {
        name: CompactString::from(variable.key.as_str()),
        value: variable.value.clone(),
        source,
        masked: variable.masked,
        raw: variable.raw,
        file: variable.file,
        protected: variable.protected,
        span: None,
        environment_scope: None,
        group: None,
    }
}

fn yaml_entry(variable: &YamlVariable, source: VariableSource) -> ResolvedVariable {
    ResolvedVariable {
        name: CompactString::from(variable.name.as_str()),
        value: variable.value.clone(),
        source,
        masked: false,
        raw: variable.raw,
        file: false,
        protected: false,
        span: variable.span,
        environment_scope: None,
        group: None,
    }
}

fn entries(variables: &[YamlVariable], source: VariableSource) -> Vec<ResolvedVariable> {
    variables
        .iter()
        .map(|variable| yaml_entry(variable, source))
        .collect()
}

/// GitLab's `Helpers.merge_variables`: the current variables not redefined by `new`, then
/// `new`; each name once (the last definition within `new` wins).
fn merge(current: Vec<ResolvedVariable>, new: Vec<ResolvedVariable>) -> Vec<ResolvedVariable> {
    if new.is_empty() {
        return current;
    }
    // The merged lists are usually short (a job's own, matrix or rule variables), so
    // searching them costs less than hashing every name.
    let kept_new: Vec<bool>;
    let mut merged: Vec<ResolvedVariable>;
    if new.len() <= SHORT_MERGE {
        let last_in_new = |name: &str| new.iter().rposition(|variable| variable.name == name);
        kept_new = new
            .iter()
            .enumerate()
            .map(|(index, variable)| last_in_new(&variable.name) == Some(index))
            .collect();
        merged = current
            .into_iter()
            .filter(|variable| last_in_new(&variable.name).is_none())
            .collect();
    } else {
        let mut last_in_new: HashMap<&str, usize> =
            HashMap::with_capacity_and_hasher(new.len(), foldhash::fast::RandomState::default());
        for (index, variable) in new.iter().enumerate() {
            last_in_new.insert(variable.name.as_str(), index);
        }
        kept_new = new
            .iter()
            .enumerate()
            .map(|(index, variable)| last_in_new.get(variable.name.as_str()) == Some(&index))
            .collect();
        merged = current
            .into_iter()
            .filter(|variable| !last_in_new.contains_key(variable.name.as_str()))
            .collect();
    }
    merged.extend(
        new.into_iter()
            .zip(kept_new)
            .filter_map(|(variable, kept)| kept.then_some(variable)),
    );
    merged
}

/// [`merge`] searches a `new` list up to this length instead of hashing its names.
const SHORT_MERGE: usize = 16;

#[cfg(test)]
mod tests {
    use super::super::input::{InheritVariables, JobEnvironment};
    use super::*;
    use crate::context::GroupVariables;

    fn names(list: &[ResolvedVariable]) -> Vec<(&str, &str, VariableSource)> {
        list.iter()
            .map(|v| (v.name.as_str(), v.value.as_str(), v.source))
            .collect()
    }

    #[test]
    fn scope_rank_cases() {
        let cases = [
            ("*", None, Some(0)),
            ("*", Some("production"), Some(0)),
            ("production", Some("production"), Some(2)),
            ("production", Some("staging"), None),
            ("production", None, None),
            ("review/*", Some("review/app"), Some(1)),
            ("review/*", Some("review/app/deep"), Some(1)),
            ("review/*", Some("review"), None),
            ("review/*", None, None),
            ("*/app", Some("review/app"), Some(1)),
            ("r*w/*p", Some("review/app"), Some(1)),
            ("Review/*", Some("review/app"), None),
            ("review_*", Some("reviewXapp"), None),
            ("100%", Some("100x"), None),
        ];
        for (scope, environment, rank) in cases {
            assert_eq!(
                scope_rank(scope, environment),
                rank,
                "scope {scope:?} environment {environment:?}"
            );
        }
    }

    /// The one-pass merge of a job's three lists equals GitLab's two merges, for lists with
    /// names repeated within and across them, on both sides of the one-pass length limit.
    #[test]
    fn one_pass_merge_equals_two_merges() {
        // Names come from a small alphabet, so most lists repeat some. The values distinguish
        // the definitions.
        let list = |seed: usize, length: usize, tag: &str| -> Vec<YamlVariable> {
            (0..length)
                .map(|i| {
                    let name = ["A", "B", "C", "D", "E"][(seed * 7 + i * 3 + i * i) % 5];
                    YamlVariable::new(name, format!("{tag}{i}"))
                })
                .collect()
        };
        for own_length in 0..7 {
            for matrix_length in [0, 1, 2, 3, 9] {
                for rules_length in [0, 1, 2, 4, 12] {
                    for seed in 0..4 {
                        let own = list(seed, own_length, "o");
                        let matrix = list(seed + 1, matrix_length, "m");
                        let rules = list(seed + 2, rules_length, "r");
                        let expected = merge(
                            merge(
                                entries(&own, VariableSource::JobYaml),
                                entries(&matrix, VariableSource::Matrix),
                            ),
                            entries(&rules, VariableSource::Rules),
                        );
                        assert_eq!(
                            merge_job_lists(&own, &matrix, &rules),
                            expected,
                            "{own:?} {matrix:?} {rules:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn merge_puts_overrides_last() {
        let current = vec![
            ResolvedVariable::new("A", "1", VariableSource::GlobalYaml),
            ResolvedVariable::new("B", "1", VariableSource::GlobalYaml),
        ];
        let new = vec![
            ResolvedVariable::new("A", "2", VariableSource::JobYaml),
            ResolvedVariable::new("C", "2", VariableSource::JobYaml),
            ResolvedVariable::new("A", "3", VariableSource::JobYaml),
        ];
        assert_eq!(
            names(&merge(current, new)),
            [
                ("B", "1", VariableSource::GlobalYaml),
                ("C", "2", VariableSource::JobYaml),
                ("A", "3", VariableSource::JobYaml)
            ]
        );
    }

    #[test]
    fn job_yaml_precedence() {
        let globals = GlobalVariables {
            variables: vec![
                YamlVariable::new("G", "global"),
                YamlVariable::new("W", "global"),
                YamlVariable::new("J", "global"),
            ],
            workflow_rules: vec![YamlVariable::new("W", "workflow")],
        };
        let job = JobSpec {
            variables: vec![YamlVariable::new("J", "job"), YamlVariable::new("M", "job")],
            matrix: vec![YamlVariable::new("M", "matrix")],
            ..JobSpec::new("job", "test")
        };
        let rules = [
            YamlVariable::new("R", "rule"),
            YamlVariable::new("G", "rule"),
        ];
        let yaml = job_yaml_variables(&globals, &job, &rules);
        let list: VariableList = yaml.into_iter().collect();
        let expected = [
            ("G", "rule", VariableSource::Rules),
            ("W", "workflow", VariableSource::WorkflowRules),
            ("J", "job", VariableSource::JobYaml),
            ("M", "matrix", VariableSource::Matrix),
            ("R", "rule", VariableSource::Rules),
        ];
        for (name, value, source) in expected {
            let variable = list.get(name).unwrap();
            assert_eq!(variable.value, value, "{name}");
            assert_eq!(variable.source, source, "{name}");
        }
    }

    #[test]
    fn inherit_variables_filters_globals_only() {
        let globals = GlobalVariables {
            variables: vec![YamlVariable::new("G1", "g"), YamlVariable::new("G2", "g")],
            workflow_rules: vec![YamlVariable::new("W", "w")],
        };
        let cases = [
            (InheritVariables::All, vec!["G1", "G2", "W", "J"]),
            (InheritVariables::None, vec!["J"]),
            (InheritVariables::Only(vec!["W".to_owned()]), vec!["W", "J"]),
        ];
        for (inherit, expected) in cases {
            let job = JobSpec {
                variables: vec![YamlVariable::new("J", "j")],
                inherit: inherit.clone(),
                ..JobSpec::new("job", "test")
            };
            let yaml = job_yaml_variables(&globals, &job, &[]);
            let got: Vec<&str> = yaml.iter().map(|v| v.name.as_str()).collect();
            assert_eq!(got, expected, "{inherit:?}");
        }
    }

    #[test]
    fn protected_variables_need_protected_ref() {
        let mut context = PipelineContext::push("feature");
        context.project_variables = vec![
            SettingsVariable {
                protected: true,
                ..SettingsVariable::new("DEPLOY_KEY", "k")
            },
            SettingsVariable::new("PLAIN", "p"),
        ];
        context.instance_variables = vec![SettingsVariable {
            protected: true,
            ..SettingsVariable::new("INSTANCE_KEY", "i")
        }];
        let unprotected = include_variables(&context);
        assert!(!unprotected.contains("DEPLOY_KEY"));
        assert!(!unprotected.contains("INSTANCE_KEY"));
        assert!(unprotected.contains("PLAIN"));

        context.ref_protected = true;
        let protected = include_variables(&context);
        assert!(protected.contains("DEPLOY_KEY"));
        assert!(protected.contains("INSTANCE_KEY"));
    }

    #[test]
    fn withheld_variables_by_level() {
        let protected = |key: &str, scope: &str| SettingsVariable {
            protected: true,
            environment_scope: scope.to_owned(),
            ..SettingsVariable::new(key, "v")
        };
        let group = |path: &str, variables| GroupVariables {
            path: path.to_owned(),
            variables,
        };
        let mut context = PipelineContext::push("feature");
        context.instance_variables = vec![protected("KEY", "*")];
        context.group_variables = vec![
            group(
                "top",
                vec![protected("KEY", "*"), protected("OTHER", "staging")],
            ),
            group("top/sub", vec![protected("KEY", "*")]),
        ];
        // Two scopes of one level that both apply count once.
        context.project_variables = vec![
            protected("KEY", "*"),
            protected("KEY", "review/*"),
            SettingsVariable::new("PLAIN", "p"),
        ];
        let level = |source, scope, group| WithheldSource {
            source,
            scope,
            group,
        };
        let withheld = withheld_protected_variables(&context, Some("review/a"));
        let levels = [
            level(VariableSource::Instance, None, None),
            level(VariableSource::Group, None, Some("top")),
            level(VariableSource::Group, None, Some("top/sub")),
            level(VariableSource::Project, Some("review/*"), None),
        ];
        assert_eq!(withheld, [("KEY", levels.to_vec())]);

        let withheld = withheld_protected_variables(&context, Some("staging"));
        let names: Vec<&str> = withheld.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["KEY", "OTHER"]);
        let other = withheld.get(1).map(|(_, sources)| sources.clone());
        assert_eq!(
            other,
            Some(vec![level(
                VariableSource::Group,
                Some("staging"),
                Some("top")
            )])
        );

        // The most specific scope of a level is named, whatever the list order.
        context.project_variables.reverse();
        let withheld = withheld_protected_variables(&context, Some("review/a"));
        let project = withheld
            .first()
            .and_then(|(_, sources)| sources.last().copied());
        assert_eq!(
            project,
            Some(level(VariableSource::Project, Some("review/*"), None))
        );

        context.ref_protected = true;
        assert!(withheld_protected_variables(&context, Some("staging")).is_empty());
    }

    #[test]
    fn merge_request_never_gets_protected() {
        let mut context = PipelineContext::merge_request("feature", "main");
        context.ref_protected = true;
        context.project_variables = vec![SettingsVariable {
            protected: true,
            ..SettingsVariable::new("DEPLOY_KEY", "k")
        }];
        assert!(!include_variables(&context).contains("DEPLOY_KEY"));
    }

    fn scoped_context() -> PipelineContext {
        let scoped = |key: &str, value: &str, scope: &str| SettingsVariable {
            environment_scope: scope.to_owned(),
            ..SettingsVariable::new(key, value)
        };
        let mut context = PipelineContext::push("main");
        context.project_variables = vec![
            scoped("URL", "exact", "review/app"),
            scoped("URL", "wildcard", "review/*"),
            scoped("URL", "all", "*"),
            scoped("ONLY_PROD", "p", "production"),
        ];
        context
    }

    #[test]
    fn environment_scope_most_specific_wins() {
        let context = scoped_context();
        let job = JobSpec {
            environment: Some(JobEnvironment::named("review/app")),
            ..JobSpec::new("deploy", "deploy")
        };
        let seed = seed_variables(&context, &GlobalVariables::default(), &job);
        assert_eq!(seed.variables.value("URL"), Some("exact"));
        assert!(!seed.variables.contains("ONLY_PROD"));
        let urls: Vec<&str> = seed
            .variables
            .all("URL")
            .map(|v| v.value.as_str())
            .collect();
        assert_eq!(urls, ["all", "wildcard", "exact"]);
    }

    #[test]
    fn environment_scope_wildcard_and_none() {
        let context = scoped_context();
        let review = JobSpec {
            environment: Some(JobEnvironment::named("review/other")),
            ..JobSpec::new("deploy", "deploy")
        };
        let seed = seed_variables(&context, &GlobalVariables::default(), &review);
        assert_eq!(seed.variables.value("URL"), Some("wildcard"));

        let plain = JobSpec::new("test", "test");
        let seed = seed_variables(&context, &GlobalVariables::default(), &plain);
        assert_eq!(seed.variables.value("URL"), Some("all"));
        assert_eq!(include_variables(&context).value("URL"), Some("all"));
    }

    #[test]
    fn environment_name_expanded_for_scope() {
        let mut context = scoped_context();
        context.ref_name = "app".to_owned();
        let job = JobSpec {
            environment: Some(JobEnvironment::named("review/$CI_COMMIT_REF_NAME")),
            ..JobSpec::new("deploy", "deploy")
        };
        let seed = seed_variables(&context, &GlobalVariables::default(), &job);
        assert_eq!(seed.environment.as_deref(), Some("review/app"));
        assert_eq!(
            seed.variables.value("CI_ENVIRONMENT_NAME"),
            Some("review/app")
        );
        assert_eq!(seed.variables.value("URL"), Some("exact"));
    }

    #[test]
    fn environment_name_ignores_scoped_variables() {
        let mut context = PipelineContext::push("main");
        context.project_variables = vec![
            SettingsVariable::new("TARGET", "all"),
            SettingsVariable {
                environment_scope: "prod".to_owned(),
                ..SettingsVariable::new("TARGET", "scoped")
            },
        ];
        let job = JobSpec {
            environment: Some(JobEnvironment::named("$TARGET-$UNKNOWN")),
            ..JobSpec::new("deploy", "deploy")
        };
        let seed = seed_variables(&context, &GlobalVariables::default(), &job);
        assert_eq!(seed.environment.as_deref(), Some("all-"));
    }

    #[test]
    fn group_chain_closest_wins() {
        let mut context = PipelineContext::push("main");
        context.group_variables = vec![
            GroupVariables {
                path: "top".to_owned(),
                variables: vec![
                    SettingsVariable::new("LEVEL", "top"),
                    SettingsVariable::new("TOP_ONLY", "t"),
                ],
            },
            GroupVariables {
                path: "top/sub".to_owned(),
                variables: vec![SettingsVariable::new("LEVEL", "sub")],
            },
        ];
        context.instance_variables = vec![SettingsVariable::new("LEVEL", "instance")];
        let list = include_variables(&context);
        assert_eq!(list.value("LEVEL"), Some("sub"));
        assert_eq!(list.value("TOP_ONLY"), Some("t"));
        assert_eq!(
            list.get("LEVEL").map(|v| v.source),
            Some(VariableSource::Group)
        );
    }

    #[test]
    fn settings_order_code_precedence() {
        let mut context = PipelineContext::push("main");
        context.instance_variables = vec![SettingsVariable::new("X", "instance")];
        context.group_variables = vec![GroupVariables {
            path: "group".to_owned(),
            variables: vec![SettingsVariable::new("X", "group")],
        }];
        context.project_variables = vec![SettingsVariable::new("X", "project")];
        context.pipeline_variables = vec![SettingsVariable::new("X", "pipeline")];
        context.schedule_variables = vec![SettingsVariable::new("X", "schedule")];
        let globals = GlobalVariables {
            variables: vec![YamlVariable::new("X", "yaml")],
            workflow_rules: Vec::new(),
        };
        let seed = seed_variables(&context, &globals, &JobSpec::new("job", "test"));
        let order: Vec<&str> = seed.variables.all("X").map(|v| v.value.as_str()).collect();
        assert_eq!(
            order,
            [
                "yaml", "instance", "group", "project", "pipeline", "schedule"
            ]
        );
    }

    #[test]
    fn yaml_overrides_predefined_not_user() {
        let globals = GlobalVariables {
            variables: vec![
                YamlVariable::new("CI_COMMIT_BRANCH", "yaml"),
                YamlVariable::new("GITLAB_USER_LOGIN", "yaml"),
            ],
            workflow_rules: Vec::new(),
        };
        let seed = seed_variables(
            &PipelineContext::default(),
            &globals,
            &JobSpec::new("j", "test"),
        );
        assert_eq!(seed.variables.value("CI_COMMIT_BRANCH"), Some("yaml"));
        assert_eq!(seed.variables.value("GITLAB_USER_LOGIN"), Some("root"));
    }

    #[test]
    fn include_set_excludes_yaml_and_pipeline_class() {
        let list = include_variables(&PipelineContext::default());
        assert_eq!(list.value("CI_COMMIT_BRANCH"), Some("main"));
        assert!(!list.contains("CI_PIPELINE_IID"));
        assert!(!list.contains("GITLAB_USER_LOGIN"));
        assert!(!list.contains("CI_JOB_NAME"));
        assert!(list.iter().all(|v| !v.source.is_yaml()));
    }

    #[test]
    fn workflow_set_adds_globals_without_job_names() {
        let globals = [YamlVariable::new("DEPLOY", "default")];
        let list = workflow_variables(&PipelineContext::default(), &globals);
        assert_eq!(list.value("DEPLOY"), Some("default"));
        assert_eq!(list.value("CI_NODE_TOTAL"), Some("1"));
        assert_eq!(list.value("CI_PIPELINE_IID"), Some("1"));
        assert_eq!(list.value("GITLAB_USER_LOGIN"), Some("root"));
        assert!(list.iter().all(|v| !v.name.starts_with("CI_JOB")));
    }

    #[test]
    fn seed_has_job_predefined() {
        let job = JobSpec {
            manual: true,
            node_index: Some(2),
            node_total: 3,
            ..JobSpec::new("rspec 2/3", "test")
        };
        let seed = seed_variables(
            &PipelineContext::default(),
            &GlobalVariables::default(),
            &job,
        );
        let expected = [
            ("CI_JOB_NAME", "rspec 2/3"),
            ("CI_JOB_NAME_SLUG", "rspec-2-3"),
            ("CI_JOB_GROUP_NAME", "rspec"),
            ("CI_JOB_STAGE", "test"),
            ("CI_JOB_MANUAL", "true"),
            ("CI_NODE_INDEX", "2"),
            ("CI_NODE_TOTAL", "3"),
        ];
        for (name, value) in expected {
            assert_eq!(seed.variables.value(name), Some(value), "{name}");
        }
        assert!(!seed.variables.contains("CI_JOB_ID"));
        assert!(!seed.variables.contains("CI_PIPELINE_ID"));
    }

    #[test]
    fn final_list_has_job_only_and_environment() {
        let mut context = PipelineContext::push("main");
        context.pipeline.id = Some(42);
        let job = JobSpec {
            environment: Some(JobEnvironment {
                url: Some("https://$CI_ENVIRONMENT_SLUG.example.com".to_owned()),
                ..JobEnvironment::named("Review/App")
            }),
            ..JobSpec::new("deploy", "deploy")
        };
        let outcome = JobOutcome {
            runtime: Some(Default::default()),
            ..JobOutcome::default()
        };
        let final_list = job_variables(&context, &GlobalVariables::default(), &job, &outcome);
        let list = &final_list.variables;
        assert_eq!(
            list.as_slice().first().map(|v| v.name.as_str()),
            Some("CI_PIPELINE_ID")
        );
        assert_eq!(
            list.value("CI_PIPELINE_URL"),
            Some("https://gitlab.example.com/group/project/-/pipelines/42")
        );
        assert!(list.get("CI_JOB_TOKEN").is_some_and(|v| v.masked));
        assert_eq!(list.value("CI_ENVIRONMENT_TIER"), Some("development"));
        assert_eq!(list.value("CI_ENVIRONMENT_ACTION"), Some("start"));
        let last: Vec<&str> = list.iter().rev().take(2).map(|v| v.name.as_str()).collect();
        assert_eq!(last, ["CI_ENVIRONMENT_URL", "CI_ENVIRONMENT_SLUG"]);
    }

    #[test]
    fn bridge_gets_no_job_only() {
        let job = JobSpec {
            bridge: true,
            environment: Some(JobEnvironment::named("production")),
            ..JobSpec::new("trigger", "deploy")
        };
        let outcome = JobOutcome {
            runtime: Some(Default::default()),
            ..JobOutcome::default()
        };
        let list = job_variables(
            &PipelineContext::default(),
            &GlobalVariables::default(),
            &job,
            &outcome,
        )
        .variables;
        assert!(list.contains("CI_PIPELINE_ID"));
        assert!(!list.contains("CI_JOB_TOKEN"));
        assert!(!list.contains("CI_ENVIRONMENT_SLUG"));
        assert_eq!(list.value("CI_ENVIRONMENT_NAME"), Some("production"));
    }

    #[test]
    fn manual_job_variables_win() {
        let mut context = PipelineContext::push("main");
        context.pipeline_variables = vec![SettingsVariable::new("X", "pipeline")];
        let outcome = JobOutcome {
            manual: Some(true),
            manual_job_variables: vec![SettingsVariable::new("X", "played")],
            ..JobOutcome::default()
        };
        let list = job_variables(
            &context,
            &GlobalVariables::default(),
            &JobSpec::new("j", "test"),
            &outcome,
        )
        .variables;
        assert_eq!(list.value("X"), Some("played"));
        assert_eq!(list.value("CI_JOB_MANUAL"), Some("true"));
    }

    #[test]
    fn dotenv_between_yaml_and_settings() {
        let mut context = PipelineContext::push("main");
        context.project_variables = vec![SettingsVariable::new("P", "project")];
        let globals = GlobalVariables {
            variables: vec![
                YamlVariable::new("D", "yaml"),
                YamlVariable::new("P", "yaml"),
            ],
            workflow_rules: Vec::new(),
        };
        let outcome = JobOutcome {
            dotenv: vec![
                YamlVariable::new("D", "dotenv"),
                YamlVariable::new("P", "dotenv"),
            ],
            ..JobOutcome::default()
        };
        let list =
            job_variables(&context, &globals, &JobSpec::new("j", "test"), &outcome).variables;
        assert_eq!(list.value("D"), Some("dotenv"));
        assert_eq!(list.value("P"), Some("project"));
    }

    #[test]
    fn deployment_variables_need_environment() {
        let mut context = PipelineContext::push("main");
        context.deployment_variables = vec![SettingsVariable {
            file: true,
            ..SettingsVariable::new("KUBECONFIG", "apiVersion: v1")
        }];
        let plain = seed_variables(
            &context,
            &GlobalVariables::default(),
            &JobSpec::new("t", "test"),
        );
        assert!(!plain.variables.contains("KUBECONFIG"));
        let deploy = JobSpec {
            environment: Some(JobEnvironment::named("production")),
            ..JobSpec::new("d", "deploy")
        };
        let seed = seed_variables(&context, &GlobalVariables::default(), &deploy);
        let kubeconfig = seed.variables.get("KUBECONFIG").unwrap();
        assert_eq!(kubeconfig.source, VariableSource::Deployment);
        assert!(kubeconfig.file);
    }

    #[test]
    fn pipeline_name_cases() {
        let globals = GlobalVariables {
            variables: vec![YamlVariable::new("KIND", "nightly")],
            workflow_rules: vec![YamlVariable::new("KIND", "release")],
        };
        let context = PipelineContext::default();
        let cases = [
            (
                "Pipeline for $CI_COMMIT_REF_NAME",
                Some("Pipeline for main"),
            ),
            ("  $KIND build  ", Some("release build")),
            ("$UNDEFINED", None),
            ("   ", None),
        ];
        for (template, expected) in cases {
            assert_eq!(
                pipeline_name(&context, &globals, template).as_deref(),
                expected,
                "template {template:?}"
            );
        }
    }

    #[test]
    fn runner_payload_keeps_runner_references() {
        let globals = GlobalVariables {
            variables: vec![
                YamlVariable::new("OUT", "${CI_BUILDS_DIR}/out"),
                YamlVariable::new("REF", "$CI_COMMIT_REF_NAME"),
            ],
            workflow_rules: Vec::new(),
        };
        let list = job_variables(
            &PipelineContext::default(),
            &globals,
            &JobSpec::new("j", "test"),
            &JobOutcome::default(),
        );
        let payload = list.runner_payload();
        assert_eq!(payload.value("OUT"), Some("${CI_BUILDS_DIR}/out"));
        assert_eq!(payload.value("REF"), Some("main"));
    }
}
