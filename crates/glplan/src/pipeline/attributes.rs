//! The attributes of a created job as GitLab saves them: its final variables, and the
//! keywords GitLab expands (`tags`, `environment`, `resource_group`), next to the ones the
//! runner expands (`image`, `services`, `cache:key`), shown as written and expanded.

use compact_str::CompactString;

use crate::config::keywords::retry::RETRY_WHEN_VALUES;
use crate::config::keywords::services::default_hostnames;
use crate::config::{Job, When};
use crate::expand::{Unknown, expand_with};
use crate::variables::{
    Availability, ExpandOptions, GlobalVariables, JobOutcome, MASKED, ResolvedVariable,
    RunnerValue, VariableList, VariableSource, YamlVariable, environment_slug, expand,
    predefined_availability, runner_expand_with,
};

use super::keywords::{self, EnvironmentView};
use super::layers::{FinalList, Layers, Payload, ReferenceNames, VariableLists, reference_names};
use super::needs::JobLinks;
use super::output::{
    ParallelInstance, PlanDuration, PlanEnvironment, PlanImage, PlanRetry, PlanService,
    PlanVariable, PlannedJob, RunnerFields, UnmaskedJob, WithheldVariable,
};
use super::seed::Seed;
use super::tag_list::saved_tags;
use super::trace::{Masker, TraceContext, mark_withheld_in_rule, withheld_variables};

/// The final variables of a created job, expanded the ways GitLab and the runner use them.
pub(super) struct FinalVariables<'a> {
    /// The list in GitLab's order, values as written.
    pub(super) list: Layers,
    /// The job's environment name after GitLab's expansion.
    pub(super) environment: Option<String>,
    /// The expanded values GitLab sends to the runner for the definitions that reference
    /// other variables (and those they reach); every other value is sent as written.
    payload: Payload,
    /// The YAML levels that define variables, which GitLab merges into one definition, so
    /// that the list shows only the winner.
    yaml_levels: YamlLevels<'a>,
    /// The protected settings variables that apply to the job but that GitLab leaves out.
    withheld: Vec<WithheldVariable>,
    /// The same for the variables the job's rules read.
    withheld_in_rules: Vec<WithheldVariable>,
}

/// The YAML levels of a job's variables: inherited top-level and workflow rule variables, the
/// job's own, the matrix values and the matched rule's, in that order.
struct YamlLevels<'a> {
    globals: &'a GlobalVariables,
    spec: &'a crate::variables::JobSpec,
    /// The job's own variables that a matrix value replaced, which `spec` no longer contains.
    shadowed: &'a [String],
    rule_variables: Vec<YamlVariable>,
}

impl YamlLevels<'_> {
    /// Lists the YAML levels that define `name`, lowest precedence first.
    fn of(&self, name: &str) -> impl Iterator<Item = VariableSource> + Clone + use<> {
        let defines = |variables: &[YamlVariable]| {
            variables
                .iter()
                .any(|v| super::layers::same_name(&v.name, name))
        };
        let inherited = self.spec.inherit.allows(name);
        let levels = [
            (
                VariableSource::GlobalYaml,
                inherited && defines(&self.globals.variables),
            ),
            (
                VariableSource::WorkflowRules,
                inherited && defines(&self.globals.workflow_rules),
            ),
            (
                VariableSource::JobYaml,
                defines(&self.spec.variables) || self.shadowed.iter().any(|n| n == name),
            ),
            (VariableSource::Matrix, defines(&self.spec.matrix)),
            (VariableSource::Rules, defines(&self.rule_variables)),
        ];
        levels
            .into_iter()
            .filter(|(_, defined)| *defined)
            .map(|(source, _)| source)
    }
}

impl<'a> FinalVariables<'a> {
    pub(super) fn new(
        lists: &VariableLists<'_>,
        globals: &'a GlobalVariables,
        seed: &'a Seed<'_>,
    ) -> FinalVariables<'a> {
        let rule_variables = seed
            .decision
            .variables
            .as_ref()
            .map(YamlVariable::from_plain_map)
            .unwrap_or_default();
        let shadowed = seed
            .job
            .instance
            .as_ref()
            .map_or(&[][..], |instance| instance.shadowed.as_slice());
        let outcome = JobOutcome {
            rule_variables,
            manual: Some(matches!(seed.effective.when, When::Manual | When::Delayed)),
            ..JobOutcome::default()
        };
        let FinalList {
            layers: list,
            environment,
        } = lists.final_list(globals, &seed.spec, &outcome, &seed.seed);
        let payload = list.expand_payload(ExpandOptions::RUNNER_PAYLOAD);
        let withheld = withheld_variables(lists.context(), environment.as_deref());
        // The rules read the seed's variables, whose environment name may differ from the
        // final one when a rule's variables change it.
        let withheld_in_rules = if seed.seed.environment() == environment.as_deref() {
            withheld.clone()
        } else {
            withheld_variables(lists.context(), seed.seed.environment())
        };
        FinalVariables {
            list,
            environment,
            payload,
            withheld,
            withheld_in_rules,
            yaml_levels: YamlLevels {
                globals,
                spec: &seed.spec,
                shadowed,
                rule_variables: outcome.rule_variables,
            },
        }
    }

    /// Returns the definition GitLab sends for `name` and its value: expanded when it
    /// references other variables.
    fn sent(&self, name: &str) -> Option<(&ResolvedVariable, &str)> {
        self.payload.get(&self.list, name).or_else(|| {
            let definition = self.list.get(name)?;
            Some((definition, definition.value.as_str()))
        })
    }

    /// Expands `value` as GitLab does for `environment:url`: with every variable of the job,
    /// `CI_ENVIRONMENT_SLUG` included, and undefined references empty.
    pub(super) fn expand_complete(&self, value: &str) -> String {
        let roots = reference_names(value);
        let expanded = self
            .list
            .expand_closure(Some(&roots), ExpandOptions::GITLAB, |_| true);
        expand(value, &expanded)
    }

    /// Expands `value` as GitLab does for `resource_group` and trigger targets, which cannot
    /// use the variables only a running job has, nor `CI_ENVIRONMENT_URL`.
    pub(super) fn expand_gitlab(&self, value: &str) -> String {
        let roots = reference_names(value);
        let expanded = self
            .list
            .expand_closure(Some(&roots), ExpandOptions::GITLAB, |variable| {
                variable.name != "CI_ENVIRONMENT_URL"
                    && !(variable.source == VariableSource::Predefined
                        && predefined_availability(&variable.name) == Some(Availability::JobOnly))
            });
        expand(value, &expanded)
    }

    /// Expands `value` as GitLab does for a trigger's `project` and `branch`: once, with the
    /// values as written (`scoped_variables.to_hash_variables`), so a reference inside a
    /// referenced value stays as it is. The variables are those of [`Self::expand_gitlab`].
    pub(super) fn expand_gitlab_once(&self, value: &str) -> String {
        let variables: VariableList = self
            .list
            .entries()
            .filter(|variable| {
                variable.name != "CI_ENVIRONMENT_URL"
                    && !(variable.source == VariableSource::Predefined
                        && predefined_availability(&variable.name) == Some(Availability::JobOnly))
            })
            .cloned()
            .collect();
        expand(value, &variables)
    }

    /// Expands a runner-side value (`image`, `cache:key`) as the runner does with the
    /// variables GitLab sends.
    pub(super) fn expand_runner(&self, value: &str) -> String {
        // Only the variables that `value` names are looked up, so a file variable's path
        // uses `RUNNER_TEMP_PROJECT_DIR` only when `value` names that too.
        runner_expand_with(value, |name| {
            if !ReferenceNames::new(value).any(|referenced| referenced == name) {
                return None;
            }
            let (definition, value) = self.sent(name)?;
            Some(RunnerValue {
                value,
                file: definition.file,
            })
        })
    }

    /// Returns what [`Self::sent`] returns for the name of `winner`, the name's winning
    /// definition, without looking the winner up again.
    fn sent_winner<'l>(&'l self, winner: &'l ResolvedVariable) -> (&'l ResolvedVariable, &'l str) {
        self.payload
            .get(&self.list, &winner.name)
            .unwrap_or((winner, winner.value.as_str()))
    }

    /// The whole list as GitLab sends it, for the variables a trigger job passes downstream.
    pub(super) fn to_list(&self) -> VariableList {
        self.list.to_list()
    }

    /// Lists the origins that the winning (last) definition of one name overrides, lowest
    /// precedence first, the merged YAML levels included. `definitions` are every definition
    /// of that name, in list order.
    fn overridden(&self, definitions: &[&ResolvedVariable]) -> Vec<Overridden> {
        let Some(winner) = definitions.last() else {
            return Vec::new();
        };
        let yaml = self.yaml_levels.of(&winner.name);
        let lower_yaml =
            |than: VariableSource| yaml.clone().take_while(move |level| *level != than);
        // Every definition but the last (the winner) is overridden.
        let mut sources = Vec::new();
        let mut previous: Option<&ResolvedVariable> = None;
        for definition in definitions {
            if let Some(overridden) = previous.replace(*definition) {
                sources.push(Overridden {
                    source: overridden.source,
                    scope: overridden.environment_scope.clone(),
                    group: overridden.group.clone(),
                });
            }
            if definition.source.is_yaml() {
                sources.extend(lower_yaml(definition.source).map(|source| Overridden {
                    source,
                    scope: None,
                    group: None,
                }));
            }
        }
        sources
    }
}

/// One definition that a variable's winning definition overrides.
struct Overridden {
    source: VariableSource,
    /// Environment scope, when it is not `*`.
    scope: Option<CompactString>,
    /// Full path of the group, for a group variable.
    group: Option<CompactString>,
}

/// Returns `entries`, or an empty list when every entry is `None`.
pub(super) fn empty_if_all_none<T>(entries: Vec<Option<T>>) -> Vec<Option<T>> {
    if entries.iter().any(Option::is_some) {
        entries
    } else {
        Vec::new()
    }
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
    let effective = &seed.effective;

    // The environment's slug is derived from its name, so a name that shows a masked value
    // has a slug that shows it in another form, in `CI_ENVIRONMENT_SLUG` and in the URL.
    let job_masker;
    let traces = match environment_slug_to_hide(seed, variables, traces.masker) {
        Some(slug) => {
            job_masker = traces.masker.with_values([slug]);
            TraceContext {
                masker: &job_masker,
                ..traces
            }
        }
        None => traces,
    };
    let masker = traces.masker;

    // GitLab expands tags with the seed variables as written, keeping unknown references.
    let expanded_tags: Vec<CompactString> = job
        .tags
        .iter()
        .flat_map(|tags| tags.iter())
        .map(|tag| {
            // Expansion keeps a tag without a `$` or `%` as it is, and copying it into a
            // compact string allocates nothing when it is short.
            if !tag.contains(['$', '%']) {
                return CompactString::from(tag.as_str());
            }
            let lookup = |name: &str| seed.seed.layers.get(name).map(|v| v.value.as_str());
            CompactString::from(expand_with(tag, lookup, Unknown::Keep))
        })
        .collect();
    let tags = saved_tags(expanded_tags);
    let image = image(job, variables);
    let services = services(job, variables);
    // GitLab creates the resource group of the expanded key, and a key it cannot save leaves
    // the job without one.
    let mut resource_group_dropped = None;
    let resource_group = job.resource_group.as_ref().and_then(|group| {
        let key = variables.expand_gitlab(group);
        if crate::config::keywords::environment::is_saved_name(&key) {
            Some(CompactString::from(key))
        } else {
            resource_group_dropped = Some(traces.masker.mask_into_compact(key));
            None
        }
    });
    let (variables_shown, hidden_variables) = plan_variables(variables, include_predefined, traces);
    let fields = RunnerFields {
        tags,
        image,
        services,
        resource_group,
    };
    // The runner-side fields are copied only when masking changes one of them; a masked
    // variable alone keeps just its real value.
    let (shown, unmasked) = if shows_masked_value(&fields, masker) {
        let shown = masked_fields(&fields, masker);
        let unmasked = UnmaskedJob {
            fields: Some(fields),
            variables: hidden_variables,
        };
        (shown, Some(Box::new(unmasked)))
    } else if !hidden_variables.is_empty() {
        let unmasked = UnmaskedJob {
            fields: None,
            variables: hidden_variables,
        };
        (fields, Some(Box::new(unmasked)))
    } else {
        (fields, None)
    };

    let mut cross_needs = links.cross_needs;
    super::cross_needs::expand_cross_needs(&mut cross_needs, variables, masker);

    let mut rule = traces.job_rule(&seed.decision);
    mark_withheld_in_rule(&mut rule, &variables.withheld_in_rules);
    PlannedJob {
        name: CompactString::from(&job.name),
        kind: job.kind,
        stage: CompactString::from(&job.stage),
        parallel: job.instance.as_ref().map(|instance| ParallelInstance {
            base_name: CompactString::from(&instance.base_name),
            node_index: instance.node_index,
            node_total: instance.node_total,
        }),
        when: effective.when,
        allow_failure: effective.allow_failure.clone(),
        start_in: effective.start_in.as_ref().map(duration),
        manual_confirmation: job
            .manual_confirmation
            .as_deref()
            .filter(|_| effective.when == When::Manual)
            .map(CompactString::from),
        scheduling_type: effective.scheduling_type,
        needs: links.needs,
        cross_needs,
        dependencies: links.dependencies,
        variables: variables_shown,
        withheld_variables: variables.withheld.clone(),
        tags: shown.tags,
        image: shown.image,
        services: shown.services,
        environment: seed
            .environment
            .as_ref()
            .map(|view| environment(view, variables, traces)),
        resource_group: shown.resource_group,
        interruptible: effective.interruptible,
        timeout: job.timeout.as_ref().map(duration),
        retry: job.retry.as_ref().map(|retry| PlanRetry {
            max: retry.max.unwrap_or(0),
            when: retry_when(retry.when.as_deref(), retry.exit_codes.is_some()),
            exit_codes: retry.exit_codes.clone().unwrap_or_default(),
        }),
        cache: keywords::cache(job)
            .into_iter()
            .map(|mut entry| {
                entry.key_expanded = entry
                    .key
                    .as_deref()
                    .map(|key| variables.expand_runner(key))
                    .filter(|expanded| Some(expanded.as_str()) != entry.key.as_deref())
                    .map(|key| masker.mask_into_compact(key));
                entry
            })
            .collect(),
        artifacts: keywords::artifacts(job),
        trigger: None,
        rule,
        location: traces.locator.locate(job.span),
        unmasked,
        environment_invalid: seed.environment.as_ref().is_some_and(|view| {
            !crate::config::keywords::environment::is_saved_name(environment_name(view, variables))
        }),
        resource_group_dropped,
    }
}

/// Returns the slug of the job's environment when its name contains a masked value.
fn environment_slug_to_hide(
    seed: &Seed<'_>,
    variables: &FinalVariables,
    masker: &Masker,
) -> Option<String> {
    let view = seed.environment.as_ref()?;
    let name = environment_name(view, variables);
    masker.hides(name).then(|| environment_slug(name))
}

/// Returns the job's environment name as GitLab saves it: expanded by the variables engine,
/// else as written.
fn environment_name<'a>(view: &'a EnvironmentView, variables: &'a FinalVariables) -> &'a str {
    variables.environment.as_deref().unwrap_or(&view.name)
}

/// Returns whether masking changes one of the runner-side fields of a job.
fn shows_masked_value(job: &RunnerFields, masker: &Masker) -> bool {
    let image = job.image.iter().filter_map(|image| image.expanded.as_ref());
    let services = job
        .services
        .iter()
        .filter_map(|service| service.expanded.as_ref());
    job.tags
        .iter()
        .chain(image)
        .chain(services)
        .chain(&job.resource_group)
        .any(|text| masker.hides(text))
}

/// Returns the runner-side fields of a job as shown. A service's host names are derived again from the
/// masked image name, because the runner's host names show a masked value in another form
/// (`/` turned into `__` or `-`), which substring masking would miss.
fn masked_fields(unmasked: &RunnerFields, masker: &Masker) -> RunnerFields {
    let mask = |text: &CompactString| masker.mask_compact(text);
    RunnerFields {
        tags: unmasked.tags.iter().map(mask).collect(),
        image: unmasked.image.as_ref().map(|image| PlanImage {
            expanded: image.expanded.as_ref().map(mask),
            ..image.clone()
        }),
        services: unmasked
            .services
            .iter()
            .map(|service| {
                let expanded = service.expanded.as_ref().map(mask);
                if expanded == service.expanded {
                    return service.clone();
                }
                PlanService {
                    hostnames: service_hostnames(
                        expanded.as_deref().unwrap_or(&service.name),
                        service.alias.as_deref(),
                    ),
                    expanded,
                    ..service.clone()
                }
            })
            .collect(),
        resource_group: unmasked.resource_group.as_ref().map(mask),
    }
}

fn duration(duration: &crate::config::Duration) -> PlanDuration {
    PlanDuration {
        text: CompactString::from(&duration.text),
        seconds: duration.seconds,
    }
}

/// The winning definition of each name, in the order the names first appear, with the value
/// GitLab sends and the origins it overrides; and the name and real value of each variable
/// whose value masking changed.
fn plan_variables(
    variables: &FinalVariables,
    include_predefined: bool,
    traces: TraceContext<'_>,
) -> (Vec<PlanVariable>, Vec<(String, String)>) {
    let effective = variables.list.effective_definitions(include_predefined);
    let mut hidden = Vec::new();
    let mut planned = Vec::with_capacity(effective.len());
    planned.extend(effective.iter().filter_map(|definitions| {
        let winner = *definitions.last()?;
        let (sent, sent_value) = variables.sent_winner(winner);
        let value = if sent.masked {
            CompactString::const_new(MASKED)
        } else {
            traces.masker.mask_compact(sent_value)
        };
        if value != sent_value {
            hidden.push((winner.name.as_str().to_owned(), sent_value.to_owned()));
        }
        let overridden = variables.overridden(definitions);
        let mut overrides = Vec::with_capacity(overridden.len());
        let mut override_scopes = Vec::with_capacity(overridden.len());
        let mut override_groups = Vec::with_capacity(overridden.len());
        for entry in overridden {
            overrides.push(entry.source);
            override_scopes.push(entry.scope);
            override_groups.push(entry.group);
        }
        Some(PlanVariable {
            name: winner.name.clone(),
            value,
            source: winner.source,
            masked: winner.masked,
            raw: winner.raw,
            file: winner.file,
            protected: winner.protected,
            environment_scope: winner.environment_scope.clone(),
            group: winner.group.clone(),
            overrides,
            override_scopes: empty_if_all_none(override_scopes),
            override_groups: empty_if_all_none(override_groups),
        })
    }));
    (planned, hidden)
}

/// Expands a runner-side value, or returns `None` when expansion does not change it.
fn runner_expanded(value: &str, variables: &FinalVariables) -> Option<CompactString> {
    let expanded = variables.expand_runner(value);
    (expanded != value).then(|| CompactString::from(expanded))
}

fn image(job: &Job, variables: &FinalVariables) -> Option<PlanImage> {
    let image = job.image.as_ref()?;
    Some(PlanImage {
        name: CompactString::from(&image.name),
        expanded: runner_expanded(&image.name, variables),
        entrypoint: image
            .entrypoint
            .as_ref()
            .map(|entrypoint| entrypoint.iter().map(CompactString::from).collect()),
        pull_policy: image
            .pull_policy
            .iter()
            .flatten()
            .map(|policy| CompactString::const_new(policy.as_str()))
            .collect(),
    })
}

/// Returns the host names of a service of image `image`: the runner's names for the image,
/// then the alias.
fn service_hostnames(image: &str, alias: Option<&str>) -> Vec<CompactString> {
    let mut hostnames: Vec<CompactString> = default_hostnames(image)
        .into_iter()
        .map(CompactString::from)
        .collect();
    hostnames.extend(alias.map(CompactString::from));
    hostnames
}

fn services(job: &Job, variables: &FinalVariables) -> Vec<PlanService> {
    job.services
        .iter()
        .flat_map(|services| services.iter())
        .map(|service| {
            let expanded = runner_expanded(&service.name, variables);
            // The runner derives host names from the expanded image name.
            let hostnames = service_hostnames(
                expanded.as_deref().unwrap_or(&service.name),
                service.alias.as_deref(),
            );
            PlanService {
                name: CompactString::from(&service.name),
                expanded,
                alias: service.alias.as_deref().map(CompactString::from),
                hostnames,
                pull_policy: service
                    .pull_policy
                    .iter()
                    .flatten()
                    .map(|policy| CompactString::const_new(policy.as_str()))
                    .collect(),
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
    let name = environment_name(view, variables);
    let written = (name != view.name).then(|| CompactString::from(&view.name));
    PlanEnvironment {
        name: masker.mask_compact(name),
        written,
        url: view
            .url
            .as_ref()
            .map(|url| masker.mask_into_compact(variables.expand_complete(url))),
        action: CompactString::from(&view.action),
        deployment_tier: view.deployment_tier.as_deref().map(CompactString::from),
        on_stop: view.on_stop.as_deref().map(CompactString::from),
        auto_stop_in: view
            .auto_stop_in
            .as_ref()
            .map(|text| masker.mask_into_compact(variables.expand_gitlab(text))),
    }
}

/// Returns the failure reasons that retry a job. Without `when`, GitLab retries on every failure
/// (`always`), unless `exit_codes` is set: then only a listed exit code retries the job, as
/// `retry: {max: 2, exit_codes: [137]}` retries only an exit with 137. A reason from GitLab's
/// list refers to its static name instead of allocating a copy.
fn retry_when(when: Option<&[String]>, has_exit_codes: bool) -> Vec<CompactString> {
    let reason = |reason: &String| match RETRY_WHEN_VALUES.iter().find(|known| **known == reason) {
        Some(known) => CompactString::const_new(known),
        None => CompactString::from(reason),
    };
    match when {
        Some(when) => when.iter().map(reason).collect(),
        None if has_exit_codes => Vec::new(),
        None => vec![CompactString::const_new("always")],
    }
}

#[cfg(test)]
mod tests {
    use crate::context::PipelineContext;
    use crate::files::MemoryFiles;
    use crate::pipeline::{PlanOptions, plan};
    use crate::schedule::{Durations, RunnerPool, ScheduleOptions, simulate};
    use crate::{Diagnostics, FileId, Limits};

    const RETRIES: &str = "
        t1: {script: x, retry: 2}
        t2: {script: x, retry: {max: 1, when: [runner_system_failure]}}
        t3: {script: x, retry: {max: 2, exit_codes: [137]}}
        t4: {script: x, retry: {max: 1, when: [script_failure], exit_codes: 137}}
        t5: {script: x, retry: {max: 1}}
    ";

    fn pipeline() -> crate::pipeline::Pipeline {
        let files = MemoryFiles::new().with_file(".gitlab-ci.yml", RETRIES);
        let context = PipelineContext::push("main");
        let (_, pipeline) = plan(".gitlab-ci.yml", &files, &context, &PlanOptions::default());
        pipeline.unwrap()
    }

    #[test]
    fn retry_when_cases() {
        let pipeline = pipeline();
        let when = |name: &str| pipeline.job(name).unwrap().retry.clone().unwrap().when;
        let cases: [(&str, &[&str]); 5] = [
            ("t1", &["always"]),
            ("t2", &["runner_system_failure"]),
            ("t3", &[]),
            ("t4", &["script_failure"]),
            ("t5", &["always"]),
        ];
        for (name, expected) in cases {
            assert_eq!(when(name), expected, "{name}");
        }
    }

    /// Attempts of each job when every attempt fails with `exit_code`.
    fn attempts(exit_code: i64) -> Vec<(String, usize)> {
        let pipeline = pipeline();
        let text = format!("jobs:\n  t*: {{duration: 1m, fail: true, exit_code: {exit_code}}}\n");
        let mut diagnostics = Diagnostics::new();
        let durations = Durations::parse(FileId(1), &text, &Limits::default(), &mut diagnostics);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let pool = RunnerPool::unlimited(&pipeline);
        let schedule = simulate(&pipeline, &pool, &durations, &ScheduleOptions::default());
        schedule
            .jobs
            .iter()
            .map(|job| (job.name.clone(), job.attempts.len()))
            .collect()
    }

    #[test]
    fn simulated_retries_by_exit_code() {
        let expected = |t3: usize| {
            [("t1", 3), ("t2", 1), ("t3", t3), ("t4", 2), ("t5", 2)]
                .map(|(name, count)| (name.to_owned(), count))
                .to_vec()
        };
        assert_eq!(attempts(137), expected(3));
        assert_eq!(attempts(1), expected(1));
    }
}
