//! The attributes of a created job as GitLab saves them: its final variables, and the
//! keywords GitLab expands (`tags`, `environment`, `resource_group`), next to the ones the
//! runner expands (`image`, `services`, `cache:key`), shown as written and expanded.

use std::cell::OnceCell;
use std::collections::HashMap;

use crate::config::keywords::services::default_hostnames;
use crate::config::{Job, When};
use crate::context::PipelineContext;
use crate::variables::{
    Availability, ExpandOptions, GlobalVariables, JobOutcome, JobVariables, ResolvedVariable,
    VariableList, VariableSource, YamlVariable, expand, expand_existing, job_variables,
    predefined_availability, runner_expand, sort_and_expand_all,
};

use super::keywords::{self, EnvironmentView};
use super::needs::JobLinks;
use super::output::{
    ParallelInstance, PlanDuration, PlanEnvironment, PlanImage, PlanRetry, PlanService,
    PlanVariable, PlannedJob,
};
use super::seed::Seed;
use super::trace::TraceContext;

/// The final variables of a created job, expanded the ways GitLab and the runner use them.
pub(super) struct FinalVariables {
    /// The list in GitLab's order, values as written.
    pub(super) list: JobVariables,
    /// The values GitLab sends to the runner: references between variables expanded,
    /// references the runner resolves kept.
    pub(super) payload: VariableList,
    /// For each YAML variable name, the YAML levels that define it, lowest precedence first.
    /// GitLab merges them into one definition, so the list shows only the winner.
    yaml_levels: HashMap<String, Vec<VariableSource>>,
    /// Fully expanded values, unknown references empty, for environment URLs. Built on first
    /// use.
    complete: OnceCell<VariableList>,
    /// The same without the variables only a running job has and without
    /// `CI_ENVIRONMENT_URL`, for `resource_group`, `auto_stop_in` and trigger targets. Built
    /// on first use.
    without_persisted: OnceCell<VariableList>,
}

impl FinalVariables {
    pub(super) fn new(
        context: &PipelineContext,
        globals: &GlobalVariables,
        seed: &Seed<'_>,
    ) -> FinalVariables {
        let rule_variables = seed
            .decision
            .variables
            .as_ref()
            .map(YamlVariable::from_plain_map)
            .unwrap_or_default();
        let yaml_levels = yaml_levels(globals, &seed.spec, &rule_variables);
        let outcome = JobOutcome {
            rule_variables,
            manual: Some(matches!(seed.effective.when, When::Manual | When::Delayed)),
            ..JobOutcome::default()
        };
        let list = job_variables(context, globals, &seed.spec, &outcome);
        let payload = list.runner_payload();
        FinalVariables {
            list,
            payload,
            yaml_levels,
            complete: OnceCell::new(),
            without_persisted: OnceCell::new(),
        }
    }

    /// Expands `value` as GitLab does for `environment:url`: with every variable of the job,
    /// `CI_ENVIRONMENT_SLUG` included, and undefined references empty.
    pub(super) fn expand_complete(&self, value: &str) -> String {
        let list = self.complete.get_or_init(|| {
            sort_and_expand_all(&self.list.variables, ExpandOptions::GITLAB).variables
        });
        expand(value, list)
    }

    /// Expands `value` as GitLab does for `resource_group` and trigger targets, which cannot
    /// use the variables only a running job has, nor `CI_ENVIRONMENT_URL`.
    pub(super) fn expand_gitlab(&self, value: &str) -> String {
        let list = self.without_persisted.get_or_init(|| {
            let mut list = self.list.variables.clone();
            list.retain(|variable| {
                variable.name != "CI_ENVIRONMENT_URL"
                    && !(variable.source == VariableSource::Predefined
                        && predefined_availability(&variable.name) == Some(Availability::JobOnly))
            });
            sort_and_expand_all(&list, ExpandOptions::GITLAB).variables
        });
        expand(value, list)
    }

    /// The origins of the definitions the winning definition of `winner`'s name overrides,
    /// lowest precedence first, the merged YAML levels included.
    fn overridden(&self, winner: &ResolvedVariable) -> Vec<VariableSource> {
        let yaml = self.yaml_levels.get(&winner.name);
        let lower_yaml = |than: VariableSource| {
            yaml.into_iter()
                .flatten()
                .copied()
                .take_while(move |level| *level != than)
        };
        let all: Vec<&ResolvedVariable> = self.list.variables.all(&winner.name).collect();
        let mut sources = Vec::new();
        for (index, definition) in all.iter().enumerate() {
            if definition.source.is_yaml() {
                sources.extend(lower_yaml(definition.source));
            }
            if index + 1 < all.len() {
                sources.push(definition.source);
            }
        }
        sources
    }
}

/// The YAML levels that define each name: inherited top-level and workflow rule variables,
/// the job's own, the matrix values and the matched rule's, in that order.
fn yaml_levels(
    globals: &GlobalVariables,
    spec: &crate::variables::JobSpec,
    rule_variables: &[YamlVariable],
) -> HashMap<String, Vec<VariableSource>> {
    let inherited = |variable: &&YamlVariable| spec.inherit.allows(&variable.name);
    let levels = [
        (
            VariableSource::GlobalYaml,
            globals
                .variables
                .iter()
                .filter(inherited)
                .collect::<Vec<_>>(),
        ),
        (
            VariableSource::WorkflowRules,
            globals.workflow_rules.iter().filter(inherited).collect(),
        ),
        (VariableSource::JobYaml, spec.variables.iter().collect()),
        (VariableSource::Matrix, spec.matrix.iter().collect()),
        (VariableSource::Rules, rule_variables.iter().collect()),
    ];
    let mut map: HashMap<String, Vec<VariableSource>> = HashMap::new();
    for (source, variables) in levels {
        for variable in variables {
            let sources = map.entry(variable.name.clone()).or_default();
            if sources.last() != Some(&source) {
                sources.push(source);
            }
        }
    }
    map
}

/// Builds the output form of a created job, without its downstream pipeline.
pub(super) fn planned_job(
    seed: &Seed<'_>,
    links: JobLinks,
    variables: &FinalVariables,
    include_predefined: bool,
    traces: TraceContext<'_>,
) -> PlannedJob {
    let job = seed.job;
    let masker = traces.masker;
    let effective = &seed.effective;
    let mask = |text: String| masker.mask_owned(text);

    // GitLab expands tags with the seed variables as written, keeping unknown references.
    let tags = job
        .tags
        .iter()
        .flatten()
        .map(|tag| mask(expand_existing(tag, &seed.seed.variables)))
        .collect();

    PlannedJob {
        name: job.name.clone(),
        kind: job.kind,
        stage: job.stage.clone(),
        parallel: job.instance.as_ref().map(|instance| ParallelInstance {
            base_name: instance.base_name.clone(),
            node_index: instance.node_index,
            node_total: instance.node_total,
        }),
        when: effective.when,
        allow_failure: effective.allow_failure.clone(),
        start_in: effective.start_in.as_ref().map(duration),
        manual_confirmation: job
            .manual_confirmation
            .clone()
            .filter(|_| effective.when == When::Manual),
        scheduling_type: effective.scheduling_type,
        needs: links.needs,
        cross_needs: links.cross_needs,
        dependencies: links.dependencies,
        variables: plan_variables(variables, include_predefined, traces),
        tags,
        image: image(job, variables, traces),
        services: services(job, variables, traces),
        environment: seed
            .environment
            .as_ref()
            .map(|view| environment(view, variables, traces)),
        resource_group: job
            .resource_group
            .as_ref()
            .map(|group| mask(variables.expand_gitlab(group))),
        interruptible: effective.interruptible,
        timeout: job.timeout.as_ref().map(duration),
        retry: job.retry.as_ref().map(|retry| PlanRetry {
            max: retry.max.unwrap_or(0),
            when: retry
                .when
                .clone()
                .unwrap_or_else(|| vec!["always".to_owned()]),
            exit_codes: retry.exit_codes.clone().unwrap_or_default(),
        }),
        cache: keywords::cache(job)
            .into_iter()
            .map(|mut entry| {
                entry.key_expanded = entry
                    .key
                    .as_deref()
                    .map(|key| runner_expand(key, &variables.payload))
                    .filter(|expanded| Some(expanded.as_str()) != entry.key.as_deref())
                    .map(mask);
                entry
            })
            .collect(),
        artifacts: keywords::artifacts(job),
        trigger: None,
        rule: traces.job_rule(&seed.decision),
        location: traces.locator.locate(job.span),
    }
}

fn duration(duration: &crate::config::Duration) -> PlanDuration {
    PlanDuration {
        text: duration.text.clone(),
        seconds: duration.seconds,
    }
}

/// The winning definition of each name, in the order the names first appear, with the
/// payload value and the origins it overrides.
fn plan_variables(
    variables: &FinalVariables,
    include_predefined: bool,
    traces: TraceContext<'_>,
) -> Vec<PlanVariable> {
    let list = &variables.list.variables;
    list.effective()
        .into_iter()
        .filter(|variable| include_predefined || variable.source != VariableSource::Predefined)
        .map(|variable| {
            let value = variables
                .payload
                .get(&variable.name)
                .map_or(variable, |expanded| expanded);
            PlanVariable {
                name: variable.name.clone(),
                value: traces.masker.mask_owned(display(value)),
                source: variable.source,
                masked: variable.masked,
                raw: variable.raw,
                file: variable.file,
                overrides: variables.overridden(variable),
            }
        })
        .collect()
}

fn display(variable: &ResolvedVariable) -> String {
    variable.display_value().to_owned()
}

/// Expands a runner-side value for display, or `None` when expansion does not change it.
fn runner_display(
    value: &str,
    variables: &FinalVariables,
    traces: TraceContext<'_>,
) -> Option<String> {
    let expanded = runner_expand(value, &variables.payload);
    (expanded != value).then(|| traces.masker.mask_owned(expanded))
}

fn image(job: &Job, variables: &FinalVariables, traces: TraceContext<'_>) -> Option<PlanImage> {
    let image = job.image.as_ref()?;
    Some(PlanImage {
        name: image.name.clone(),
        expanded: runner_display(&image.name, variables, traces),
        entrypoint: image.entrypoint.clone(),
        pull_policy: image
            .pull_policy
            .iter()
            .flatten()
            .map(|policy| policy.as_str().to_owned())
            .collect(),
    })
}

fn services(job: &Job, variables: &FinalVariables, traces: TraceContext<'_>) -> Vec<PlanService> {
    job.services
        .iter()
        .flatten()
        .map(|service| {
            let expanded = runner_display(&service.name, variables, traces);
            // The runner derives host names from the expanded image name.
            let mut hostnames = default_hostnames(expanded.as_deref().unwrap_or(&service.name));
            if let Some(alias) = &service.alias {
                hostnames.push(alias.clone());
            }
            PlanService {
                name: service.name.clone(),
                expanded,
                alias: service.alias.clone(),
                hostnames,
            }
        })
        .collect()
}

fn environment(
    view: &EnvironmentView,
    variables: &FinalVariables,
    traces: TraceContext<'_>,
) -> PlanEnvironment {
    let masker = traces.masker;
    // The variables engine expanded the name as GitLab does before the environment exists.
    let name = variables
        .list
        .environment
        .clone()
        .unwrap_or_else(|| view.name.clone());
    let written = (name != view.name).then(|| view.name.clone());
    PlanEnvironment {
        name: masker.mask_owned(name),
        written,
        url: view
            .url
            .as_ref()
            .map(|url| masker.mask_owned(variables.expand_complete(url))),
        action: view.action.clone(),
        deployment_tier: view.deployment_tier.clone(),
        on_stop: view.on_stop.clone(),
        auto_stop_in: view
            .auto_stop_in
            .as_ref()
            .map(|text| masker.mask_owned(variables.expand_gitlab(text))),
    }
}
