//! The checks GitLab runs on the seeded jobs before it saves the pipeline: rules that raised
//! an error, `needs` on jobs that are not in the pipeline, the `needs` count limit and circular
//! references between variables. Then the `needs` and `dependencies` each job keeps.

use compact_str::CompactString;

use crate::hash::HashSet;

use crate::config::{Config, JobNeed, Need};
use crate::diagnostic::Diagnostic;
use crate::limits::Limits;
use crate::source::Span;

use super::layers::SeedList;
use super::output::{CrossNeed, NeedEdge, PlanDiagnostic};
use super::seed::{RuleFailure, Seed};
use super::trace::Locator;

/// The needs and dependencies a created job keeps.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct JobLinks {
    /// Same-pipeline needs of a DAG job, on jobs that are in the pipeline; `None` for a
    /// stage-scheduled job.
    pub(super) needs: Option<Vec<NeedEdge>>,
    /// `needs:project`, `needs:pipeline` and upstream-mirror entries.
    pub(super) cross_needs: Vec<CrossNeed>,
    /// `dependencies:` on jobs that are in the pipeline.
    pub(super) dependencies: Option<Vec<CompactString>>,
}

/// What the checks found.
#[derive(Debug, Default)]
pub(super) struct Checked {
    /// One entry per seed, in the seeds' order.
    pub(super) links: Vec<JobLinks>,
    /// GitLab's pipeline errors, in GitLab's order.
    pub(super) errors: Vec<String>,
    /// Errors, warnings and notes with their locations.
    pub(super) diagnostics: Vec<PlanDiagnostic>,
}

/// An entry of the seed checks: a created job, or a job whose rules raised an error.
enum Checking<'s, 'c> {
    /// A created job.
    Created(&'s Seed<'c>),
    /// A job whose rules raised an error.
    Failed(&'s RuleFailure),
}

/// Runs GitLab's seed checks on the created jobs and on the `failures`, jobs of `config`
/// whose rules raised an error, and works out each created job's needs and dependencies.
///
/// GitLab's `Seed::Build` checks the needs the job was configured with, not the ones a
/// matched `rules:needs` put in their place: a required need on a job that is not in the
/// pipeline fails pipeline creation, and so does a list longer than the needs limit. Needs
/// that came from `rules:needs` are not checked; GitLab's processing ignores the ones on jobs
/// that are not in the pipeline, so glplan drops them with a warning.
pub(super) fn check(
    seeds: &[&Seed<'_>],
    failures: &[RuleFailure],
    config: &Config,
    limits: &Limits,
    locator: Locator<'_>,
) -> Checked {
    let present: HashSet<&str> = seeds.iter().map(|seed| seed.job.name.as_str()).collect();
    let mut checked = Checked {
        links: Vec::with_capacity(seeds.len()),
        ..Checked::default()
    };

    // GitLab reports the errors stage by stage, and within a stage in configuration order.
    // The created jobs are in configuration order already, so their positions are looked up
    // only to place the failures among them.
    let position = |seed: &Seed<'_>| {
        if failures.is_empty() {
            0
        } else {
            config
                .jobs
                .get_index_of(&seed.job.name)
                .unwrap_or(usize::MAX)
        }
    };
    let mut by_stage: Vec<(usize, usize, Checking<'_, '_>)> = seeds
        .iter()
        .map(|seed| (seed.stage_index, position(seed), Checking::Created(seed)))
        .chain(failures.iter().map(|failure| {
            (
                failure.stage_index,
                failure.position,
                Checking::Failed(failure),
            )
        }))
        .collect();
    crate::sort::sort_by_key(&mut by_stage, |(stage, position, _)| (*stage, *position));
    let stages_with_jobs: HashSet<usize> = seeds.iter().map(|seed| seed.stage_index).collect();
    for (_, _, entry) in &by_stage {
        match entry {
            Checking::Created(seed) => {
                check_configured_needs(seed, &present, limits, locator, &mut checked);
                check_variable_cycles(seed, locator, &mut checked);
            }
            Checking::Failed(failure) => {
                let created_in_stage = stages_with_jobs.contains(&failure.stage_index);
                check_rule_failure(failure, created_in_stage, locator, &mut checked);
            }
        }
    }

    for seed in seeds {
        let links = links(seed, &present, locator, &mut checked.diagnostics);
        checked.links.push(links);
    }
    checked
}

/// GitLab's `rules_errors`: the error of a job whose rules raised one. GitLab's
/// `Seed::Pipeline` collects errors only from the stages that keep a created job, so in a
/// stage without one the error is lost and the pipeline is created without the job.
fn check_rule_failure(
    failure: &RuleFailure,
    created_in_stage: bool,
    locator: Locator<'_>,
    checked: &mut Checked,
) {
    if created_in_stage {
        checked.errors.push(failure.diagnostic.message.clone());
        checked
            .diagnostics
            .push(locator.diagnostic(failure.diagnostic.clone(), Some(failure.job.as_str())));
        return;
    }
    let mut warning = Diagnostic::warning(
        "ignored-rule-error",
        format!(
            "GitLab leaves job `{}` out without failing the pipeline, because no job of stage \
             `{}` is created and GitLab ignores the errors of such a stage: {}",
            failure.job, failure.stage, failure.diagnostic.message
        ),
    );
    warning.span = failure.diagnostic.span;
    warning.help = failure.diagnostic.help.clone();
    checked
        .diagnostics
        .push(locator.diagnostic(warning, Some(failure.job.as_str())));
}

/// GitLab's `needs_errors`: the configured needs of a created job.
fn check_configured_needs(
    seed: &Seed<'_>,
    present: &HashSet<&str>,
    limits: &Limits,
    locator: Locator<'_>,
    checked: &mut Checked,
) {
    let job = seed.job;
    let Some(needs) = &job.needs else {
        return;
    };
    let job_needs: Vec<&JobNeed> = needs.iter().filter_map(Need::as_job).collect();
    if job_needs.len() > limits.max_needs {
        let message = format!(
            "{}: one job can only need {} others, but you have listed {}. See needs keyword \
             documentation for more details",
            job.name,
            limits.max_needs,
            job_needs.len()
        );
        let diagnostic = Diagnostic::error("too-many-needs", message.clone())
            .with_span(job.keyword_span("needs").unwrap_or(job.span))
            .with_help("a parallel job in `needs` counts once per instance");
        checked.errors.push(message);
        checked
            .diagnostics
            .push(locator.diagnostic(diagnostic, Some(&job.name)));
        return;
    }
    for need in job_needs {
        if need.optional || present.contains(need.job.as_str()) {
            continue;
        }
        let diagnostic = missing_need(&job.name, need);
        checked.errors.push(diagnostic.message.clone());
        checked
            .diagnostics
            .push(locator.diagnostic(diagnostic, Some(&job.name)));
    }
}

/// The error for a required need on a job that rules, `only` or `except` left out.
pub(super) fn missing_need(job: &str, need: &JobNeed) -> Diagnostic {
    let needed = &need.job;
    Diagnostic::error(
        "missing-need",
        format!(
            "'{job}' job needs '{needed}' job, but '{needed}' does not exist in the pipeline. \
             This might be because of the only, except, or rules keywords. To need a job that \
             sometimes does not exist in the pipeline, use needs:optional."
        ),
    )
    .with_span(need.span)
    .with_help(format!(
        "add `optional: true` to this need, as in `{{job: {}, optional: true}}`, or give \
         `{needed}` the same rules as `{job}`",
        yaml_flow_scalar(needed)
    ))
}

/// Writes a job name as a YAML scalar that can stand in a flow mapping: plain when the name
/// has only letters, digits, `_`, `-`, `.` and `/` and YAML 1.1 reads it as a string, else
/// double-quoted. Parallel instance names such as `build: [prod, us]` need the quotes.
fn yaml_flow_scalar(name: &str) -> String {
    const YAML_1_1_WORDS: [&str; 10] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
    ];
    let starts_with_letter = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let plain_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'));
    let typed_word = YAML_1_1_WORDS
        .iter()
        .any(|word| word.eq_ignore_ascii_case(name));
    if starts_with_letter && plain_chars && !typed_word {
        return name.to_owned();
    }
    // JSON's escapes are a subset of YAML's double-quoted escapes.
    serde_json::to_string(name).unwrap_or_else(|_| format!("\"{name}\""))
}

/// GitLab's `variable_expansion_errors`: the seed variables must not reference each other in
/// a cycle. The matched rule's variables are not part of this check.
/// glplan also reports here when nested expansion grows past
/// [`Limits::max_variable_expansion_bytes`]. Runs with the rules, on the job's thread, and
/// [`check`] reports the error in stage order.
pub(super) fn variable_error(seed: &SeedList, job: &str, limits: &Limits) -> Option<Diagnostic> {
    match seed.layers.cycles() {
        Some(expansion) => expansion.cycle_diagnostic(job),
        None => seed
            .layers
            .expansion_too_large(limits.max_variable_expansion_bytes)
            .and_then(|expansion| {
                expansion.too_large_diagnostic(job, limits.max_variable_expansion_bytes)
            }),
    }
}

/// Reports the error [`variable_error`] found for the job.
fn check_variable_cycles(seed: &Seed<'_>, locator: Locator<'_>, checked: &mut Checked) {
    let Some(diagnostic) = seed.variable_error.clone() else {
        return;
    };
    checked.errors.push(diagnostic.message.clone());
    checked
        .diagnostics
        .push(locator.diagnostic(diagnostic, Some(&seed.job.name)));
}

/// Works out the needs and dependencies a created job keeps.
fn links(
    seed: &Seed<'_>,
    present: &HashSet<&str>,
    locator: Locator<'_>,
    diagnostics: &mut Vec<PlanDiagnostic>,
) -> JobLinks {
    let job = seed.job;
    let effective = &seed.effective;
    let mut links = JobLinks::default();

    let mut kept = Vec::new();
    for need in effective.needs.iter().flatten() {
        match need {
            Need::Job(need) if present.contains(need.job.as_str()) => kept.push(NeedEdge {
                job: CompactString::from(&need.job),
                artifacts: need.artifacts,
                optional: need.optional,
            }),
            Need::Job(need) => {
                // A missing optional need is dropped silently, as in GitLab. A missing
                // configured need already failed the pipeline above.
                if !need.optional && effective.needs_from_rule {
                    let diagnostic = Diagnostic::warning(
                        "rules-need-not-in-pipeline",
                        format!(
                            "`{}` needs `{}` through `rules:needs`, but `{}` is not in the \
                             pipeline, so the job does not wait for it",
                            job.name, need.job, need.job
                        ),
                    )
                    .with_span(need.span)
                    .with_help("add `optional: true` to say that the job may be absent");
                    diagnostics.push(locator.diagnostic(diagnostic, Some(&job.name)));
                }
            }
            Need::Project(need) => links.cross_needs.push(CrossNeed {
                project: Some(CompactString::from(&need.project)),
                git_ref: Some(CompactString::from(&need.git_ref)),
                job: Some(CompactString::from(&need.job)),
                artifacts: need.artifacts,
                ..cross_need(need.span)
            }),
            Need::Pipeline(need) => links.cross_needs.push(CrossNeed {
                pipeline: Some(CompactString::from(&need.pipeline)),
                job: Some(CompactString::from(&need.job)),
                artifacts: need.artifacts,
                ..cross_need(need.span)
            }),
            Need::Upstream(need) => links.cross_needs.push(CrossNeed {
                pipeline: Some(CompactString::from(&need.pipeline)),
                ..cross_need(need.span)
            }),
        }
    }
    if effective.scheduling_type == crate::config::SchedulingType::Dag {
        links.needs = Some(kept);
    }

    links.dependencies = job.dependencies.as_ref().map(|dependencies| {
        let mut kept = Vec::with_capacity(dependencies.len());
        for dependency in dependencies {
            let name = &dependency.job;
            if present.contains(name.as_str()) {
                kept.push(CompactString::from(name));
                continue;
            }
            let diagnostic = Diagnostic::info(
                "dependency-not-in-pipeline",
                format!(
                    "`{}` lists `{name}` in `dependencies`, but `{name}` is not in the pipeline, \
                     so the job gets no artifacts from it",
                    job.name
                ),
            )
            .with_span(dependency.span);
            diagnostics.push(locator.diagnostic(diagnostic, Some(&job.name)));
        }
        kept
    });
    links
}

/// Returns a cross need written at `span` with every value still to be set.
fn cross_need(span: Span) -> CrossNeed {
    CrossNeed {
        project: None,
        project_expanded: None,
        git_ref: None,
        git_ref_expanded: None,
        pipeline: None,
        pipeline_expanded: None,
        job: None,
        job_expanded: None,
        unknown_variables: Vec::new(),
        artifacts: false,
        span: Some(span),
    }
}
