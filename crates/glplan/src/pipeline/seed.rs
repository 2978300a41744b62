//! GitLab's pipeline seed: for every job, its seed variables, the decision of its `rules` or
//! `only`/`except`, and the attributes the matched rule sets (`when`, `allow_failure`,
//! `start_in`, `interruptible`, `needs`).

use compact_str::CompactString;

use crate::config::{AllowFailure, Config, Duration, Job, JobKind, Need, SchedulingType, When};
use crate::context::PipelineContext;
use crate::diagnostic::Diagnostic;
use crate::limits::Limits;
use crate::rules::{self, JobDecision, JobRules, JobTrace, PipelineFacts};
use crate::variables::{GlobalVariables, JobSpec, YamlVariable};

use super::keywords;
use super::layers::{SeedList, VariableLists};
use super::output::{AbsentJob, AbsentReason};
use super::trace::{TraceContext, mark_withheld_in_rule, withheld_variables};

/// A job GitLab creates, with what its rules decided.
#[derive(Debug)]
pub(super) struct Seed<'a> {
    pub(super) job: &'a Job,
    /// Position of the stage in the configuration's stage list.
    pub(super) stage_index: usize,
    pub(super) spec: JobSpec,
    /// The variables `rules:if` read, which GitLab also expands `tags` with and checks for
    /// circular references.
    pub(super) seed: SeedList,
    pub(super) decision: JobDecision,
    pub(super) environment: Option<keywords::EnvironmentView>,
    pub(super) effective: Effective,
    /// A reference cycle or oversized expansion among the seed variables, which fails the
    /// pipeline.
    pub(super) variable_error: Option<Diagnostic>,
}

/// A job whose `rules` raised an error. GitLab does not create the job, and reports the error
/// as a pipeline error when its stage keeps a created job.
#[derive(Debug)]
pub(super) struct RuleFailure {
    /// Job name.
    pub(super) job: CompactString,
    /// Stage name.
    pub(super) stage: CompactString,
    /// Position of the stage in the configuration's stage list.
    pub(super) stage_index: usize,
    /// Position of the job in the configuration, which orders the errors within a stage.
    pub(super) position: usize,
    /// The error GitLab reports, at the value that raised it, with masked values hidden.
    pub(super) diagnostic: Diagnostic,
}

/// The job's attributes after its matched rule.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Effective {
    pub(super) when: When,
    pub(super) allow_failure: AllowFailure,
    pub(super) start_in: Option<Duration>,
    pub(super) interruptible: bool,
    /// The same-pipeline needs after `rules:needs`, before optional needs on absent jobs are
    /// dropped.
    pub(super) needs: Option<Vec<Need>>,
    pub(super) scheduling_type: SchedulingType,
    /// Whether [`Effective::needs`] came from the matched rule.
    pub(super) needs_from_rule: bool,
}

/// Builds the facts the rule evaluator reads from the context.
pub(super) fn facts<'a>(
    context: &'a PipelineContext,
    repository_files: Option<&'a [String]>,
    planner_files: Option<&'a dyn crate::files::FileProvider>,
    expressions: &'a rules::ExpressionCache,
) -> PipelineFacts<'a> {
    let merge_request = context.merge_request_pipeline().is_some();
    PipelineFacts {
        source: context.source.as_str(),
        ref_name: context.commit_ref_name(),
        is_branch: context.branch().is_some(),
        is_tag: context.tag && !merge_request,
        is_merge_request: merge_request,
        project_path: &context.project.path,
        changed_files: context.diff(),
        repository_files,
        other_projects: planner_files,
        kubernetes_active: context.pipeline.kubernetes_active,
        expressions: Some(expressions),
    }
}

/// Describes the job to the variables engine.
pub(super) fn job_spec(job: &Job, environment: Option<&keywords::EnvironmentView>) -> JobSpec {
    let matrix = job.instance.as_ref().map(|instance| &instance.matrix);
    // The model merges the matrix values into the job's variables; they are split out again
    // so that each keeps its own precedence level.
    let variables = job
        .variables
        .iter()
        .filter(|(name, _)| !matrix.is_some_and(|m| m.contains_key(name.as_str())))
        .map(|(name, variable)| YamlVariable::from_config(name, variable))
        .collect();
    let matrix = matrix
        .map(|m| {
            m.iter()
                .map(|(name, value)| YamlVariable::new(name, value))
                .collect()
        })
        .unwrap_or_default();
    JobSpec {
        name: job.name.clone(),
        stage: job.stage.clone(),
        manual: matches!(job.when, Some(When::Manual | When::Delayed)),
        node_index: job.instance.as_ref().map(|instance| instance.node_index),
        node_total: job
            .instance
            .as_ref()
            .map_or(1, |instance| instance.node_total),
        environment: environment.map(keywords::EnvironmentView::to_job_environment),
        variables,
        matrix,
        inherit: keywords::inherit_variables(job),
        bridge: job.kind == JobKind::Bridge,
    }
}

/// The jobs [`evaluate_jobs`] evaluated, each list in the order of its `jobs`.
#[derive(Debug, Default)]
pub(super) struct Evaluated<'a> {
    /// The jobs GitLab creates.
    pub(super) seeds: Vec<Seed<'a>>,
    /// The jobs GitLab leaves out, those of `failures` included.
    pub(super) absent: Vec<AbsentJob>,
    /// The absent jobs whose `rules` raised an error.
    pub(super) failures: Vec<RuleFailure>,
}

/// Evaluates the `rules` or `only`/`except` of `jobs`, jobs of `config`.
pub(super) fn evaluate_jobs<'a>(
    config: &'a Config,
    jobs: &[&'a Job],
    limits: &Limits,
    lists: &VariableLists<'_>,
    globals: &GlobalVariables,
    facts: &PipelineFacts<'_>,
    traces: TraceContext<'_>,
) -> Evaluated<'a> {
    let workflow_has_rules = config
        .workflow
        .as_ref()
        .is_some_and(|workflow| workflow.rules.is_some());
    let mut evaluated = Evaluated {
        seeds: Vec::with_capacity(jobs.len()),
        ..Evaluated::default()
    };
    for &job in jobs {
        let environment = keywords::environment(job);
        let spec = job_spec(job, environment.as_ref());
        let seed = lists.seed(globals, &spec);
        let keywords = JobRules {
            rules: job.rules.as_deref().map(Vec::as_slice),
            // The evaluator adds the default `only` itself and records that it did.
            only: job.only.as_ref().filter(|_| !job.implicit_only),
            except: job.except.as_ref(),
            when: job.when,
        };
        let decision =
            rules::evaluate_job(&keywords, workflow_has_rules, facts, &seed.layers, limits);
        if !decision.is_created() {
            let mut rule = traces.job_rule(&decision);
            let withheld = withheld_variables(lists.context(), seed.environment());
            mark_withheld_in_rule(&mut rule, &withheld);
            if let Some(failure) = rule_failure(config, job, &decision, traces) {
                evaluated.failures.push(failure);
            }
            evaluated.absent.push(AbsentJob {
                name: CompactString::from(&job.name),
                stage: CompactString::from(&job.stage),
                reason: absent_reason(&decision),
                rule: Some(rule),
                location: traces.locator.locate(job.span),
            });
            continue;
        }
        let effective = effective(job, &decision);
        let variable_error = super::needs::variable_error(&seed, &job.name, limits);
        evaluated.seeds.push(Seed {
            job,
            stage_index: stage_index(config, &job.stage),
            spec,
            seed,
            decision,
            environment,
            effective,
            variable_error,
        });
    }
    evaluated
}

/// Builds GitLab's pipeline error for a job whose `rules` raised an error, placed at the
/// `compare_to` value that raised it.
fn rule_failure(
    config: &Config,
    job: &Job,
    decision: &JobDecision,
    traces: TraceContext<'_>,
) -> Option<RuleFailure> {
    let JobTrace::Rules(trace) = &decision.trace else {
        return None;
    };
    let changes = trace.failed_changes()?;
    let error = changes.error()?;
    let mut diagnostic = Diagnostic::error(
        "invalid-compare-to",
        format!("Failed to parse rule for {}: {error}", job.name),
    )
    .with_span(changes.compare_to_span)
    .with_help(changes.error_help());
    traces.masker.mask_diagnostic(&mut diagnostic);
    Some(RuleFailure {
        job: CompactString::from(&job.name),
        stage: CompactString::from(&job.stage),
        stage_index: stage_index(config, &job.stage),
        position: config.jobs.get_index_of(&job.name).unwrap_or(usize::MAX),
        diagnostic,
    })
}

/// Position of `stage`; a stage GitLab would have rejected goes last.
pub(super) fn stage_index(config: &Config, stage: &str) -> usize {
    config
        .stages
        .iter()
        .position(|name| name == stage)
        .unwrap_or(config.stages.len())
}

fn absent_reason(decision: &JobDecision) -> AbsentReason {
    match &decision.trace {
        JobTrace::Rules(trace) if trace.error().is_some() => AbsentReason::RuleError,
        JobTrace::Rules(trace) if trace.matched().is_some() => AbsentReason::WhenNever,
        JobTrace::Rules(_) => AbsentReason::NoRuleMatched,
        JobTrace::OnlyExcept(_) | JobTrace::Unconditional => AbsentReason::OnlyExcept,
    }
}

/// Applies the matched rule to the job's own attributes, as GitLab's `Build::Rules::Result`
/// and `Seed::Build` do.
pub(super) fn effective(job: &Job, decision: &JobDecision) -> Effective {
    let when = decision.when;

    // GitLab's default: a job whose own `when` is `manual` may fail. `rules: [{when: manual}]`
    // does not change the default, and an `exit_codes` hash means "not allowed" except for
    // those codes. A rule's `allow_failure` overrides all of it, `exit_codes` included.
    let allow_failure = match (decision.allow_failure, &job.allow_failure) {
        (Some(allowed), _) => AllowFailure::Bool(allowed),
        (None, Some(written)) => written.clone(),
        (None, None) => AllowFailure::Bool(job.when == Some(When::Manual)),
    };

    let start_in = if when == When::Delayed {
        decision.start_in.clone().or_else(|| job.start_in.clone())
    } else {
        None
    };

    // `rules:needs` replaces the job's `needs`. Only a non-empty list switches the job to DAG
    // scheduling; `rules:needs: []` clears the list and keeps the job's own scheduling type.
    let (needs, scheduling_type, needs_from_rule) = match &decision.needs {
        Some(rule_needs) => {
            let scheduling = if rule_needs.iter().any(|need| need.as_job().is_some()) {
                SchedulingType::Dag
            } else {
                job.scheduling_type
            };
            let mut needs: Vec<Need> = rule_needs.clone();
            // Cross-pipeline needs are not part of `rules:needs`; the job keeps its own.
            needs.extend(
                job.needs
                    .iter()
                    .flatten()
                    .filter(|need| need.as_job().is_none())
                    .cloned(),
            );
            (Some(needs), scheduling, true)
        }
        None => (job.needs.clone(), job.scheduling_type, false),
    };

    Effective {
        when,
        allow_failure,
        start_in,
        interruptible: decision
            .interruptible
            .or(job.interruptible)
            .unwrap_or(false),
        needs,
        scheduling_type,
        needs_from_rule,
    }
}
