//! Pipeline creation: the pipeline GitLab creates from a resolved configuration for one push,
//! merge request, tag, schedule or manual run, with the reason behind every decision.
//!
//! [`evaluate`] follows GitLab's pipeline creation steps, in GitLab's order:
//!
//! 1. `workflow:rules` decide whether there is a pipeline at all; the matched rule's
//!    `variables` join the top-level ones, `workflow:name` becomes `CI_PIPELINE_NAME` and
//!    `auto_cancel` is settled.
//! 2. Every job (parallel instances included) is kept or dropped by its `rules`, or its
//!    `only`/`except` (with the implicit `only: [branches, tags]`), evaluated with the job's
//!    seed variables. The matched rule sets `when`, `allow_failure`, `start_in`,
//!    `interruptible`, `variables` and `needs`.
//! 3. The seed checks fail pipeline creation: rules that raised an error (a `compare_to` that
//!    names no commit), a required need on a job that is not in the pipeline, too many needs,
//!    variables that reference each other in a cycle. A pipeline without a job outside `.pre`
//!    and `.post` is not created either.
//! 4. Each created job gets its final variables (with their precedence level and the value
//!    GitLab sends), and the keywords GitLab expands (`tags`, `environment`, `resource_group`).
//! 5. The job graph: `needs` edges, and the stage order for stage-scheduled jobs; it is checked
//!    for cycles and sorted topologically.
//! 6. Trigger jobs: a child pipeline is planned recursively from the same inputs when its files
//!    are available; a multi-project trigger is listed.
//!
//! ```
//! use glplan::MemoryFiles;
//! use glplan::context::PipelineContext;
//! use glplan::pipeline::{PlanOptions, plan};
//!
//! let files = MemoryFiles::new().with_file(
//!     ".gitlab-ci.yml",
//!     "build: {script: make}\ndeploy: {script: make deploy, rules: [{if: $CI_COMMIT_TAG}]}\n",
//! );
//! let (_resolution, pipeline) = plan(
//!     ".gitlab-ci.yml",
//!     &files,
//!     &PipelineContext::push("main"),
//!     &PlanOptions::default(),
//! );
//! let pipeline = pipeline.unwrap();
//! assert!(pipeline.created);
//! assert!(pipeline.job("build").is_some());
//! assert!(pipeline.absent_job("deploy").is_some());
//! ```
//!
//! The result is a pure function of its inputs: the same configuration, context and options
//! always give the same [`Pipeline`]. Masked CI/CD variable values never appear in it.

mod attributes;
mod cross_needs;
mod downstream;
mod graph;
mod keywords;
mod layers;
mod needs;
mod output;
mod parallel;
#[cfg(test)]
mod schema;
mod seed;
mod tag_list;
mod trace;
mod workflow;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use compact_str::CompactString;

pub use output::Pipeline;
pub use output::{
    AbsentJob, AbsentReason, AutoCancel, ChildConfiguration, ClauseEvaluation, ClauseKind,
    CrossNeed, DecidedBy, EdgeKind, FORMAT_VERSION, JobRule, NameValue, NeedEdge, ParallelInstance,
    PlanArtifacts, PlanCache, PlanDiagnostic, PlanDuration, PlanEnvironment, PlanImage, PlanRetry,
    PlanService, PlanTrigger, PlanVariable, PlannedJob, PolicyEvaluation, RuleEvaluation,
    SourceLocation, Stage, TriggerKind, VariableRead, WithheldVariable, WorkflowResult,
};
pub use trace::Masker;

pub(crate) use downstream::{CREATION_FAILED, DEPTH_FAILED, HIERARCHY_SIZE_FAILED};
pub(crate) use graph::processing_cycle;

use crate::config::{Config, Job, JobKind, When};
use crate::context::PipelineContext;
use crate::diagnostic::{Diagnostic, Severity};
use crate::files::FileProvider;
use crate::limits::Limits;
use crate::resolve::{Resolution, ResolveOptions, resolve};
use crate::rules::FILTERED_OUT_MESSAGE;
use crate::source::SourceMap;
use crate::variables::include_variables;
use crate::yaml::Mapping;

use attributes::FinalVariables;
use layers::VariableLists;
use needs::JobLinks;
use output::CONFIG_ERROR;
use seed::Seed;
use trace::{Locator, TraceContext};

/// GitLab's error when no job is left, or only jobs of `.pre` and `.post`.
pub const NO_JOBS_MESSAGE: &str = "No stages / jobs for this pipeline.";

/// The stages that alone do not make a pipeline.
const EDGE_STAGES: [&str; 2] = [".pre", ".post"];

/// What [`evaluate`] needs besides the configuration and the context.
#[derive(Clone, Default)]
pub struct EvaluateOptions<'a> {
    /// Limits to enforce.
    pub limits: Limits,
    /// The configuration files, for child pipelines (`trigger:include`), for `exists` in other
    /// projects, and for the repository's file list when the context has none. Without them
    /// child pipelines are listed, not planned.
    pub files: Option<&'a dyn FileProvider>,
    /// The loaded source files, to turn spans into file names and line numbers.
    pub sources: Option<&'a SourceMap>,
    /// Whether each job's variable list includes the predefined variables (`CI_*`,
    /// `GITLAB_*`); they are left out by default.
    pub predefined_variables: bool,
    /// Whether each job's [`JobRule`] keeps the evaluation of every rule up to the matched one
    /// ([`JobRule::rules`]) and of `only` and `except` ([`JobRule::only`], [`JobRule::except`]).
    /// By default a job's decision is its summary line and the matched rule's index; the
    /// workflow's rules are always kept.
    pub rule_traces: bool,
    /// The maximum number of threads that evaluate the jobs of one pipeline. `None` allows as
    /// many as the process-wide pool has: the machine's available parallelism, or
    /// `RAYON_NUM_THREADS`. Only pipelines of 256 jobs or more use more than one, and the
    /// result is the same for any number. On WebAssembly the calling thread does all the work.
    pub threads: Option<std::num::NonZeroUsize>,
}

impl fmt::Debug for EvaluateOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EvaluateOptions")
            .field("limits", &self.limits)
            .field("files", &self.files.is_some())
            .field("sources", &self.sources.is_some())
            .field("predefined_variables", &self.predefined_variables)
            .field("rule_traces", &self.rule_traces)
            .field("threads", &self.threads)
            .finish()
    }
}

/// What [`plan`] needs besides the files and the context.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Limits to enforce.
    pub limits: Limits,
    /// Pipeline inputs for the entry file's `spec:inputs`.
    pub inputs: Option<Mapping>,
    /// Whether each job's variable list includes the predefined variables.
    pub predefined_variables: bool,
    /// Whether each job's decision keeps the evaluation of every rule, `only` and `except`
    /// (see [`EvaluateOptions::rule_traces`]).
    pub rule_traces: bool,
}

/// Works out the pipeline GitLab creates from `config` for the pipeline `context` describes.
pub fn evaluate(
    config: &Config,
    context: &PipelineContext,
    options: &EvaluateOptions<'_>,
) -> Pipeline {
    let downstream_count = Cell::new(0);
    let planner = Planner {
        config,
        options,
        depth: 0,
        downstream_count: &downstream_count,
        masker: None,
    };
    planner.run(context)
}

/// The options [`plan`] resolves the configuration with for `context`: the variables
/// `include` sees, the masked names among them, and the pipeline's diff. `lint` and `config`
/// resolve with the same options, so that `include:rules` decide as they do in a plan.
pub fn resolve_options(context: &PipelineContext, options: &PlanOptions) -> ResolveOptions {
    let include = include_variables(context);
    ResolveOptions {
        limits: options.limits.clone(),
        variables: include.to_pairs(),
        changed_files: context.diff().map(<[String]>::to_vec),
        masked: include.masked_names(),
        raw: include.raw_flags(),
        inputs: options.inputs.clone(),
        server_fqdn: Some(context.server.fqdn()),
    }
}

/// Resolves the configuration whose entry file is `entry`, then evaluates it for `context`.
///
/// The include phase sees the variables GitLab gives it (predefined, settings and pipeline
/// variables of `context`). The pipeline is `None` only when no configuration could be built;
/// when the configuration has errors, the pipeline is planned as far as possible and is not
/// created, with the configuration errors as its [`Pipeline::errors`].
pub fn plan(
    entry: &str,
    files: &dyn FileProvider,
    context: &PipelineContext,
    options: &PlanOptions,
) -> (Resolution, Option<Pipeline>) {
    let resolution = resolve(entry, files, &resolve_options(context, options));
    let Some(config) = &resolution.config else {
        return (resolution, None);
    };
    let evaluate_options = EvaluateOptions {
        limits: options.limits.clone(),
        files: Some(files),
        sources: Some(&resolution.sources),
        predefined_variables: options.predefined_variables,
        rule_traces: options.rule_traces,
        threads: None,
    };
    let pipeline = evaluate(config, context, &evaluate_options);
    let pipeline = with_resolution(pipeline, &resolution, false);
    (resolution, Some(pipeline))
}

/// One pipeline being planned, at some depth of the parent-child hierarchy.
pub(super) struct Planner<'c, 'o> {
    pub(super) config: &'c Config,
    pub(super) options: &'o EvaluateOptions<'o>,
    /// 0 for the pipeline [`evaluate`] was called for, 1 for its children, and so on.
    pub(super) depth: usize,
    /// Child pipelines planned so far in the whole hierarchy.
    pub(super) downstream_count: &'o Cell<usize>,
    /// The masker of a downstream pipeline, which also hides the upstream pipelines' masked
    /// values; `None` builds one from the context.
    masker: Option<&'o Masker>,
}

impl Planner<'_, '_> {
    /// Runs GitLab's pipeline creation steps.
    pub(super) fn run(&self, context: &PipelineContext) -> Pipeline {
        let own_masker;
        let masker = match self.masker {
            Some(masker) => masker,
            None => {
                own_masker = Masker::new(context);
                &own_masker
            }
        };
        let locator = Locator {
            sources: self.options.sources,
        };
        let traces = TraceContext {
            masker,
            locator,
            rule_traces: self.options.rule_traces,
        };
        let limits = &self.options.limits;
        let repository = self.repository_files(context);
        let expressions = crate::rules::ExpressionCache::default();
        let facts = seed::facts(
            context,
            repository.as_deref(),
            self.options.files,
            &expressions,
        );

        // 1. `[skip ci]` in the commit message skips the pipeline before anything else.
        if let Some(marker) = context.skip_ci_marker() {
            return self.skip(context, marker, masker, traces);
        }

        // 2. `workflow:rules` decide whether the pipeline exists.
        let workflow = workflow::evaluate(self.config, context, &facts, limits, traces);
        let mut pipeline = Pipeline {
            version: FORMAT_VERSION,
            created: workflow.result.created,
            skipped: None,
            errors: Vec::new(),
            source: CompactString::const_new(context.source.as_str()),
            ref_name: masker.mask_compact(context.commit_ref_name()),
            workflow: workflow.result.clone(),
            stages: Vec::new(),
            jobs: Vec::new(),
            absent: Vec::new(),
            order: Vec::new(),
            diagnostics: Vec::new(),
            failure_reason: None,
            masker: masker.clone(),
        };
        if !workflow.result.created {
            self.filter_out(&mut pipeline, traces);
            return pipeline;
        }
        let named;
        let context = match &workflow.name {
            Some(name) => {
                named = PipelineContext {
                    pipeline: crate::context::PipelineInfo {
                        name: Some(name.clone()),
                        ..context.pipeline.clone()
                    },
                    ..context.clone()
                };
                &named
            }
            None => context,
        };

        // 3. Every job's `rules` or `only`/`except`, with its seed variables, in runs of
        // consecutive jobs that each keep their own caches.
        let config = self.config;
        let globals = &workflow.globals;
        let files = self.options.files;
        let all_jobs: Vec<&Job> = config.jobs.values().collect();
        let threads = parallel::thread_count(self.options.threads, all_jobs.len());
        let evaluated = parallel::map(parallel::split(all_jobs, threads), |jobs| {
            let expressions = crate::rules::ExpressionCache::default();
            let facts = seed::facts(context, repository.as_deref(), files, &expressions);
            let lists = VariableLists::with_globals(context, globals);
            let evaluated =
                seed::evaluate_jobs(config, &jobs, limits, &lists, globals, &facts, traces);
            (evaluated, lists)
        });
        // The seeds stay in their runs' vectors, which are freed run by run after step 5;
        // `seeds` lists them in configuration order.
        let mut run_seeds = Vec::with_capacity(evaluated.len());
        let mut lists = Vec::with_capacity(evaluated.len());
        let mut failures = Vec::new();
        for (run, run_lists) in evaluated {
            run_seeds.push(run.seeds);
            pipeline.absent.extend(run.absent);
            failures.extend(run.failures);
            lists.push(run_lists);
        }
        let seeds: Vec<&Seed<'_>> = run_seeds.iter().flatten().collect();

        // 4. The seed checks, then the check for a pipeline without jobs.
        let checked = needs::check(&seeds, &failures, config, limits, locator);
        if !checked.errors.is_empty() {
            pipeline.failure_reason = Some(CONFIG_ERROR);
        }
        pipeline.errors.extend(checked.errors);
        pipeline.diagnostics.extend(checked.diagnostics);
        let has_regular_stage = seeds
            .iter()
            .any(|seed| !EDGE_STAGES.contains(&seed.job.stage.as_str()));
        if pipeline.errors.is_empty() && !has_regular_stage {
            pipeline.errors.push(NO_JOBS_MESSAGE.to_owned());
            pipeline.failure_reason = Some("filtered_by_rules");
            let diagnostic = Diagnostic::error("no-jobs", NO_JOBS_MESSAGE).with_help(
                "every job was left out by its rules, only or except, or only jobs of `.pre` \
                 and `.post` are left; GitLab 16 and later word this as `Pipeline will not run \
                 for the selected trigger. The rules configuration prevented any jobs from \
                 being added to the pipeline.`",
            );
            pipeline
                .diagnostics
                .push(locator.diagnostic(diagnostic, None));
        }
        // GitLab saves the expanded pipeline name only after the jobs are seeded, and fails
        // pipeline creation when the name is not a valid `Ci::PipelineMetadata#name`.
        if pipeline.errors.is_empty()
            && let Some(problem) = workflow
                .name
                .as_deref()
                .and_then(crate::config::keywords::workflow::name_problem)
        {
            let message = format!("Failed to build pipeline metadata! Name {problem}");
            let diagnostic = Diagnostic::error("invalid-pipeline-name", message.clone()).with_help(
                "`workflow:name` needs 1 to 255 characters once its variables are \
                     expanded and the surrounding whitespace is stripped; check the values of \
                     the variables it references",
            );
            let span = config.workflow.as_ref().and_then(|w| w.name_span);
            let diagnostic = match span {
                Some(span) => diagnostic.with_span(span),
                None => diagnostic,
            };
            pipeline.errors.push(message);
            pipeline
                .diagnostics
                .push(locator.diagnostic(diagnostic, None));
        }

        // 5. The attributes of every created job, in stage order, in runs that reuse the
        // caches of step 3; 7. trigger jobs, whose child pipelines are planned one by one.
        let mut by_stage: Vec<(&Seed<'_>, JobLinks)> =
            seeds.iter().copied().zip(checked.links).collect();
        crate::sort::sort_by_key(&mut by_stage, |(seed, _)| seed.stage_index);
        let order: Vec<&Seed<'_>> = by_stage.iter().map(|(seed, _)| *seed).collect();
        let predefined = self.options.predefined_variables;
        let total = by_stage.len();
        let runs = parallel::split(by_stage, lists.len());
        let planned = parallel::map(
            runs.into_iter().zip(lists).enumerate().collect(),
            |(index, (run, lists))| {
                // The first run's vector takes every job, so that the others are appended to it
                // instead of all being moved into a new one.
                let mut jobs: Vec<PlannedJob> =
                    Vec::with_capacity(if index == 0 { total } else { run.len() });
                // Trigger jobs keep their final variables for step 7.
                let mut bridges = Vec::new();
                jobs.extend(run.into_iter().map(|(seed, links)| {
                    let variables = FinalVariables::new(&lists, globals, seed);
                    let job = attributes::planned_job(seed, links, &variables, predefined, traces);
                    if seed.job.kind == JobKind::Bridge {
                        bridges.push(variables);
                    }
                    job
                }));
                (jobs, bridges, lists)
            },
        );
        // The final variables of the trigger jobs, in the order of `pipeline.jobs`.
        let mut bridges = Vec::new();
        for (jobs, run_bridges, run_lists) in planned {
            if pipeline.jobs.is_empty() {
                pipeline.jobs = jobs;
            } else {
                pipeline.jobs.extend(jobs);
            }
            bridges.extend(run_bridges);
            drop(run_lists);
        }
        if pipeline.errors.is_empty() {
            let mut bridges = bridges.iter();
            for (job, seed) in pipeline.jobs.iter_mut().zip(&order) {
                if seed.job.kind == JobKind::Bridge
                    && let Some(variables) = bridges.next()
                {
                    job.trigger = downstream::trigger(self, context, seed.job, variables, traces);
                    // GitLab creates the downstream pipeline when the trigger job runs, which
                    // a manual job does only once played. It never delays a trigger job. A
                    // child pipeline that GitLab cannot create is not marked, except one left
                    // unplanned at the hierarchy size limit, which depends on the run order.
                    if let Some(trigger) = &mut job.trigger {
                        let may_create = trigger
                            .failure_reason
                            .is_none_or(|reason| reason == HIERARCHY_SIZE_FAILED);
                        trigger.downstream_created_when_played =
                            job.when == When::Manual && may_create;
                    }
                }
            }
        }
        drop(bridges);
        // GitLab saves the environment of each job with its expanded name, and creates the job
        // as failed when the name is not valid. It creates the resource group under its
        // expanded key too, and drops the keyword when it cannot save the key.
        let rule = |what: &str, noun: &str| {
            format!(
                "{what} {noun} {}, and it can have at most {} characters; check the variables \
                 the {noun} references",
                crate::config::keywords::environment::NAME_RULE,
                crate::config::keywords::environment::MAX_SAVED_NAME_CHARS,
            )
        };
        for job in &pipeline.jobs {
            let mut found = Vec::new();
            if job.environment_invalid {
                let name = job.environment.as_ref().map_or("", |e| e.name.as_str());
                let message = format!(
                    "GitLab creates job `{}` as failed (`environment_creation_failure`): its \
                     environment name {}",
                    job.name,
                    invalid_after_expansion(name)
                );
                let help = rule("an environment", "name");
                found.push(("environment", "environment-creation-failure", message, help));
            }
            if let Some(key) = &job.resource_group_dropped {
                let message = format!(
                    "GitLab runs job `{}` without a resource group: its resource group key {}",
                    job.name,
                    invalid_after_expansion(key)
                );
                let help = rule("a resource group", "key");
                found.push((
                    "resource_group",
                    "resource-group-not-created",
                    message,
                    help,
                ));
            }
            // `rules` may make a trigger job `delayed`, and GitLab saves it so, but it never
            // delays a trigger job (`Ci::Bridge#schedulable?` is false): the job starts when
            // it becomes ready, and `start_in` is ignored.
            if job.kind == JobKind::Bridge && job.when == When::Delayed {
                let message = format!(
                    "GitLab starts trigger job `{}` as soon as it is ready, without waiting \
                     `start_in`: trigger jobs are never delayed",
                    job.name
                );
                let help = "use `when: manual` to hold a trigger job back, or remove \
                            `when: delayed` from its rules"
                    .to_owned();
                found.push(("rules", "trigger-job-not-delayed", message, help));
            }
            for (keyword, code, message, help) in found {
                let mut diagnostic = Diagnostic::warning(code, message).with_help(help);
                let span = self
                    .config
                    .jobs
                    .get(job.name.as_str())
                    .and_then(|config| config.keyword_span(keyword));
                if let Some(span) = span {
                    diagnostic = diagnostic.with_span(span);
                }
                pipeline
                    .diagnostics
                    .push(locator.diagnostic(diagnostic, Some(&job.name)));
            }
            for warning in cross_needs::unresolved_cross_needs(job) {
                pipeline
                    .diagnostics
                    .push(locator.diagnostic(warning, Some(&job.name)));
            }
        }
        // The seeds own their variable lists and rule traces. Each run frees its own: the
        // first on the calling thread, which built it, the others on the pool's threads.
        drop(order);
        drop(seeds);
        parallel::map(run_seeds, drop);

        // 6. The job graph.
        let graph = graph::build(&pipeline.jobs, &self.config.stages);
        let cycle = graph
            .cyclic
            .then(|| processing_cycle(&pipeline.jobs, &graph.stages))
            .flatten();
        if let Some(cycle) = cycle {
            let (mut warning, first) =
                graph::processing_cycle_warning(&cycle, &pipeline.jobs, &graph.stages);
            // Point at the `rules` of the first job in the cycle, which replace its `needs`.
            if let Some(job) = self.config.jobs.get(first.as_str()) {
                let span = job.keyword_span("rules").or(job.keyword_span("needs"));
                warning = warning.with_span(span.unwrap_or(job.span));
            }
            pipeline
                .diagnostics
                .push(locator.diagnostic(warning, Some(&first)));
        }
        pipeline.stages = graph.stages;
        pipeline.order = graph.order;

        pipeline.created = pipeline.errors.is_empty();
        pipeline
    }

    /// The repository's file list for `exists`: the context's, else the file provider's.
    fn repository_files<'a>(&self, context: &'a PipelineContext) -> Option<Cow<'a, [String]>> {
        if !context.repository_files.is_empty() {
            return Some(Cow::Borrowed(context.repository_files.as_slice()));
        }
        let files = self.options.files?.list(None, None).ok()?;
        Some(Cow::Owned(files))
    }

    /// Records that `workflow:rules` filtered the pipeline out: no job is created.
    /// Returns the pipeline GitLab saves as skipped for a commit message with the `[skip ci]`
    /// marker: no jobs, no errors, and no `workflow:rules` evaluated.
    fn skip(
        &self,
        context: &PipelineContext,
        marker: &str,
        masker: &Masker,
        traces: TraceContext<'_>,
    ) -> Pipeline {
        let marker = masker.mask_compact(marker);
        let message = format!("Pipeline skipped: the commit message contains `{marker}`");
        let diagnostic = Diagnostic::error("skip-ci", message).with_help(
            "GitLab saves a pipeline whose commit message contains `[ci skip]` or `[skip ci]` as \
             skipped, with no jobs, before it reads the configuration. Pipelines run from the \
             UI, the API, a schedule, a trigger token or an upstream pipeline ignore the marker",
        );
        Pipeline {
            version: FORMAT_VERSION,
            created: false,
            skipped: Some(marker),
            errors: Vec::new(),
            source: CompactString::const_new(context.source.as_str()),
            ref_name: masker.mask_compact(context.commit_ref_name()),
            workflow: unevaluated_workflow(WORKFLOW_NOT_EVALUATED_SKIPPED),
            stages: Vec::new(),
            jobs: Vec::new(),
            absent: self.all_absent(AbsentReason::SkipCi, traces),
            order: Vec::new(),
            diagnostics: vec![traces.locator.diagnostic(diagnostic, None)],
            failure_reason: None,
            masker: masker.clone(),
        }
    }

    fn filter_out(&self, pipeline: &mut Pipeline, traces: TraceContext<'_>) {
        pipeline.errors.push(FILTERED_OUT_MESSAGE.to_owned());
        pipeline.failure_reason = Some("filtered_by_workflow_rules");
        let diagnostic = Diagnostic::error("workflow-filtered", FILTERED_OUT_MESSAGE)
            .with_help(pipeline.workflow.reason.clone());
        pipeline
            .diagnostics
            .push(traces.locator.diagnostic(diagnostic, None));
        pipeline.absent = self.all_absent(AbsentReason::WorkflowFiltered, traces);
    }

    /// Lists every job of the configuration as absent for `reason`, which decides before any
    /// job is looked at.
    fn all_absent(&self, reason: AbsentReason, traces: TraceContext<'_>) -> Vec<AbsentJob> {
        self.config
            .jobs
            .values()
            .map(|job| AbsentJob {
                name: CompactString::from(&job.name),
                stage: CompactString::from(&job.stage),
                reason,
                rule: None,
                location: traces.locator.locate(job.span),
            })
            .collect()
    }
}

/// Marks a pipeline planned from a configuration with errors as not created, with the
/// configuration errors as its errors, as GitLab shows them. With
/// `include_diagnostics`, the configuration's diagnostics are added to the pipeline's, for a
/// child pipeline whose resolution the caller never sees.
fn with_resolution(
    mut pipeline: Pipeline,
    resolution: &Resolution,
    include_diagnostics: bool,
) -> Pipeline {
    let errors: Vec<String> = resolution
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.is_error())
        .map(|diagnostic| diagnostic.message.clone())
        .collect();
    // GitLab skips a pipeline before it reads the configuration, so the configuration's errors
    // do not fail a skipped pipeline.
    if !errors.is_empty() && pipeline.skipped.is_none() {
        // GitLab stops at the configuration errors, so the planning errors never show. They
        // would mostly repeat the configuration errors (an undefined need is also a missing
        // one, a need cycle also fails the job graph), so only warnings and notes are kept.
        pipeline.created = false;
        pipeline.errors = errors;
        pipeline.failure_reason = Some(CONFIG_ERROR);
        // GitLab evaluates no `workflow:rules` for an invalid configuration, and an invalid
        // `workflow:` is dropped before evaluation, so the decision made without it would be
        // false.
        let workflow = &mut pipeline.workflow;
        workflow.created = false;
        workflow.reason = WORKFLOW_NOT_EVALUATED.to_owned();
        workflow.name = None;
        workflow.rule = None;
        workflow.rules.clear();
        workflow.variables.clear();
        pipeline
            .diagnostics
            .retain(|diagnostic| diagnostic.severity != Severity::Error);
    }
    if include_diagnostics {
        let locator = Locator {
            sources: Some(&resolution.sources),
        };
        let resolved = resolution
            .diagnostics
            .iter()
            .map(|diagnostic| locator.diagnostic(diagnostic.clone(), None));
        let planned = std::mem::take(&mut pipeline.diagnostics);
        pipeline.diagnostics = resolved.chain(planned).collect();
    }
    pipeline
}

/// The workflow reason of a pipeline whose configuration has errors.
const WORKFLOW_NOT_EVALUATED: &str = "not evaluated, because the configuration is invalid";

/// The workflow reason of a pipeline skipped by `[skip ci]`.
const WORKFLOW_NOT_EVALUATED_SKIPPED: &str =
    "not evaluated, because the commit message skips the pipeline";

/// Returns the workflow result of a pipeline whose `workflow:` is not evaluated, for `reason`,
/// with GitLab's `workflow:auto_cancel` defaults.
fn unevaluated_workflow(reason: &str) -> WorkflowResult {
    WorkflowResult {
        created: false,
        reason: reason.to_owned(),
        name: None,
        rule: None,
        rules: Vec::new(),
        variables: Vec::new(),
        auto_cancel: AutoCancel {
            on_new_commit: CompactString::const_new("conservative"),
            on_job_failure: CompactString::const_new("none"),
        },
    }
}

/// The pipeline of a configuration that could not be built at all.
fn unresolved(context: &PipelineContext, resolution: &Resolution) -> Pipeline {
    let masker = Masker::new(context);
    let pipeline = Pipeline {
        version: FORMAT_VERSION,
        created: false,
        skipped: None,
        errors: Vec::new(),
        source: CompactString::const_new(context.source.as_str()),
        ref_name: masker.mask_compact(context.commit_ref_name()),
        workflow: unevaluated_workflow("the configuration could not be loaded"),
        stages: Vec::new(),
        jobs: Vec::new(),
        absent: Vec::new(),
        order: Vec::new(),
        diagnostics: Vec::new(),
        failure_reason: Some(CONFIG_ERROR),
        masker,
    };
    with_resolution(pipeline, resolution, true)
}

/// Says why an expanded environment name or resource group key cannot be saved, for the
/// warnings: "is empty after expansion", or "`NAME` is not valid after expansion".
fn invalid_after_expansion(name: &str) -> String {
    if name.is_empty() {
        "is empty after expansion".to_owned()
    } else {
        format!("`{name}` is not valid after expansion")
    }
}
