//! Trigger jobs and their downstream pipelines. A child pipeline (`trigger:include`) is
//! planned from the same inputs as its parent: its configuration is resolved from the same
//! files, with `CI_PIPELINE_SOURCE=parent_pipeline` and the variables the trigger job
//! forwards as pipeline variables. A multi-project pipeline is listed, not planned, since its
//! configuration lives in another project.

use compact_str::CompactString;
use serde_json::Value;

use crate::context::{PipelineContext, SettingsVariable};
use crate::diagnostic::Diagnostic;
use crate::files::{FetchError, FileProvider, FileRequest};
use crate::resolve::{ResolveOptions, resolve};
use crate::variables::{Forward, MASKED, downstream_variables, include_variables};

use super::attributes::FinalVariables;
use super::keywords::{self, ChildIncludeView, TriggerView};
use super::output::{
    ChildConfiguration, EntryItem, EntryPart, NameValue, PlanTrigger, TriggerKind,
};
use super::trace::{Masker, TraceContext};
use super::{EvaluateOptions, Planner};

/// Builds the `trigger` of a trigger job, planning its child pipeline when possible.
pub(super) fn trigger(
    planner: &Planner<'_, '_>,
    context: &PipelineContext,
    job: &crate::config::Job,
    variables: &FinalVariables,
    traces: TraceContext<'_>,
) -> Option<PlanTrigger> {
    let view = keywords::trigger(job)?;
    let (kind, strategy, forward) = match &view {
        TriggerView::Project {
            strategy, forward, ..
        } => (TriggerKind::MultiProject, strategy.clone(), *forward),
        TriggerView::Child {
            strategy, forward, ..
        } => (TriggerKind::Child, strategy.clone(), *forward),
    };
    let forwarded = downstream_variables(
        &variables.to_list(),
        Forward {
            yaml_variables: forward.yaml_variables,
            pipeline_variables: forward.pipeline_variables,
        },
    );
    let mut plan = PlanTrigger {
        kind,
        project: None,
        branch: None,
        include: Vec::new(),
        strategy: strategy.map(CompactString::from),
        forward_yaml_variables: forward.yaml_variables,
        forward_pipeline_variables: forward.pipeline_variables,
        variables: forwarded
            .iter()
            .map(|variable| NameValue {
                name: CompactString::from(&variable.key),
                value: if variable.masked {
                    CompactString::const_new(MASKED)
                } else {
                    traces.masker.mask_compact(&variable.value)
                },
            })
            .collect(),
        downstream: None,
        note: None,
        downstream_created_when_played: false,
        failure_reason: None,
        max_hierarchy_size: planner.options.limits.max_pipeline_hierarchy_size,
        configuration: None,
    };

    match view {
        TriggerView::Project {
            project, branch, ..
        } => {
            // GitLab expands the project and branch once with the trigger job's variables.
            let project = traces
                .masker
                .mask_owned(variables.expand_gitlab_once(&project));
            let branch = branch.map(|branch| {
                traces
                    .masker
                    .mask_owned(variables.expand_gitlab_once(&branch))
            });
            plan.note = Some(format!(
                "GitLab creates the downstream pipeline from the configuration of `{project}` \
                 at {}, with CI_PIPELINE_SOURCE=pipeline; glplan does not plan other projects",
                branch
                    .as_deref()
                    .map_or_else(|| "its default branch".to_owned(), |b| format!("`{b}`"))
            ));
            plan.project = Some(CompactString::from(project));
            plan.branch = branch.map(CompactString::from);
        }
        TriggerView::Child { include, .. } => {
            plan.include = include
                .iter()
                .map(|item| CompactString::from(&item.description))
                .collect();
            match child_pipeline(planner, context, job, &include, forwarded, traces.masker) {
                Ok((mut pipeline, configuration)) => {
                    // A problem in the generated entry file is about the parent's
                    // `trigger:include`, so it is located at the item there.
                    for diagnostic in &mut pipeline.diagnostics {
                        if let Some(span) =
                            diagnostic.span.filter(|span| configuration.in_entry(*span))
                        {
                            diagnostic.location = configuration
                                .parent_span(span)
                                .and_then(|span| traces.locator.locate(span));
                        }
                    }
                    plan.configuration = Some(Box::new(configuration));
                    if !pipeline.created {
                        plan.note = Some(format!(
                            "GitLab cannot create the child pipeline, so the trigger job fails \
                             with `{CREATION_FAILED}`"
                        ));
                        plan.failure_reason = Some(CREATION_FAILED);
                    }
                    plan.downstream = Some(Box::new(pipeline));
                }
                Err(unplanned) => {
                    plan.note = Some(unplanned.note);
                    plan.failure_reason = unplanned.failure_reason;
                }
            }
        }
    }
    Some(plan)
}

/// GitLab's failure reason for a trigger job whose downstream pipeline is not created.
pub(crate) const CREATION_FAILED: &str = "downstream_pipeline_creation_failed";

/// GitLab's failure reason for a trigger job more than
/// [`Limits::max_descendant_pipeline_depth`](crate::Limits) levels below the top pipeline.
pub(crate) const DEPTH_FAILED: &str = "reached_max_descendant_pipelines_depth";

/// GitLab's failure reason for a trigger job that starts when the pipeline hierarchy already
/// has [`Limits::max_pipeline_hierarchy_size`](crate::Limits) pipelines.
pub(crate) const HIERARCHY_SIZE_FAILED: &str = "reached_max_pipeline_hierarchy_size";

/// The reason a child pipeline is not planned.
struct Unplanned {
    note: String,
    /// GitLab's failure reason for the trigger job, when GitLab fails it before creating the
    /// child pipeline.
    failure_reason: Option<&'static str>,
}

impl Unplanned {
    /// Describes a child pipeline that glplan cannot plan, although GitLab may create it.
    fn unknown(note: String) -> Self {
        Unplanned {
            note,
            failure_reason: None,
        }
    }
}

/// Plans the child pipeline, or explains why it cannot be planned.
fn child_pipeline(
    planner: &Planner<'_, '_>,
    context: &PipelineContext,
    job: &crate::config::Job,
    include: &[ChildIncludeView],
    forwarded: Vec<SettingsVariable>,
    upstream_masker: &Masker,
) -> Result<(super::Pipeline, ChildConfiguration), Unplanned> {
    let limits = &planner.options.limits;
    if let Some(item) = include.iter().find(|item| item.artifact_job.is_some()) {
        return Err(Unplanned::unknown(format!(
            "the child configuration `{}` is an artifact of job `{}`, which exists only once \
             that job has run, so glplan cannot plan the child pipeline",
            item.description,
            item.artifact_job.as_deref().unwrap_or_default()
        )));
    }
    let Some(files) = planner.options.files else {
        return Err(Unplanned::unknown(
            "no configuration files were given to plan the child pipeline from".to_owned(),
        ));
    };
    if planner.depth >= limits.max_descendant_pipeline_depth {
        return Err(Unplanned {
            note: format!(
                "You reached the maximum depth of child pipelines: GitLab fails this trigger \
                 job because the pipeline is already {} levels below the first one (the \
                 maximum is {})",
                planner.depth, limits.max_descendant_pipeline_depth
            ),
            failure_reason: Some(DEPTH_FAILED),
        });
    }
    // GitLab counts the pipelines that exist when the trigger job starts, which depends on
    // the order the trigger jobs run in. The plan cannot know that order, so it counts every
    // child pipeline planned before this one, in plan order, and the simulation counts again.
    let planned = planner.downstream_count.get();
    let limit = limits.max_pipeline_hierarchy_size;
    if limit > 0 && planned >= limit - 1 {
        return Err(Unplanned {
            note: format!(
                "The downstream pipeline tree may be too large: {planned} child pipelines \
                 come before this one in the plan, so glplan does not plan it. GitLab fails \
                 this trigger job with `{HIERARCHY_SIZE_FAILED}` only if the pipeline \
                 hierarchy has {} pipelines when the job starts, which depends on the trigger \
                 jobs that run before it",
                limits.max_pipeline_hierarchy_size
            ),
            failure_reason: Some(HIERARCHY_SIZE_FAILED),
        });
    }
    planner.downstream_count.set(planned + 1);

    let child = context.child(forwarded);

    // GitLab builds the child configuration as a file that includes the listed files.
    let (text, include_items) = entry_file(include);
    let entry = format!("trigger:include of `{}`", job.name);
    let child_files = ChildFiles {
        entry: &entry,
        text: &text,
        inner: files,
    };
    let include = include_variables(&child);
    let resolve_options = ResolveOptions {
        limits: limits.clone(),
        variables: include.to_pairs(),
        changed_files: child.diff().map(<[String]>::to_vec),
        masked: include.masked_names(),
        raw: include.raw_flags(),
        inputs: None,
        server_fqdn: Some(child.server.fqdn()),
    };
    let resolution = resolve(&entry, &child_files, &resolve_options);

    // The forwarded variables are plain pipeline variables of the child, so their secret
    // values are hidden by the parent's masked values. Messages of the include phase can show
    // them too, for example in the path of a missing file.
    let masker = Masker::downstream(&child, upstream_masker);
    let mut diagnostics: Vec<Diagnostic> = resolution.diagnostics.iter().cloned().collect();
    for diagnostic in &mut diagnostics {
        masker.mask_diagnostic(diagnostic);
    }
    let configuration = ChildConfiguration {
        entry: entry.clone(),
        sources: resolution.sources.clone(),
        diagnostics,
        trigger_span: job.keyword_span("trigger"),
        include_items,
    };
    let options = EvaluateOptions {
        limits: limits.clone(),
        files: Some(files),
        sources: Some(&resolution.sources),
        predefined_variables: planner.options.predefined_variables,
        rule_traces: planner.options.rule_traces,
        threads: planner.options.threads,
    };
    let Some(config) = &resolution.config else {
        let pipeline = super::unresolved(&child, &resolution);
        return Ok((mask_messages(pipeline, &masker), configuration));
    };
    let nested = Planner {
        config,
        options: &options,
        depth: planner.depth + 1,
        downstream_count: planner.downstream_count,
        masker: Some(&masker),
    };
    let pipeline = nested.run(&child);
    let pipeline = super::with_resolution(pipeline, &resolution, true);
    Ok((mask_messages(pipeline, &masker), configuration))
}

/// Writes the generated entry file of a child configuration, `{"include":[...]}` with the
/// items in GitLab's hash form, and records the byte range of each item in it, and of each
/// key and value of its `inputs`.
fn entry_file(include: &[ChildIncludeView]) -> (String, Vec<EntryItem>) {
    let mut text = String::from("{\"include\":[");
    let mut items = Vec::with_capacity(include.len());
    for (index, item) in include.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        let start = offset(&text);
        let parts = write_entry_item(&mut text, item);
        items.push(EntryItem {
            start,
            end: offset(&text),
            span: item.span,
            parts,
        });
    }
    text.push_str("]}");
    (text, items)
}

/// Appends one include item as a JSON object, its `inputs` last, and returns the ranges of
/// the keys and values of `inputs`.
fn write_entry_item(text: &mut String, item: &ChildIncludeView) -> Vec<EntryPart> {
    let mut fields = item.item.clone();
    let Some(Value::Object(inputs)) = fields.shift_remove("inputs") else {
        text.push_str(&Value::Object(item.item.clone()).to_string());
        return Vec::new();
    };

    // Write the object without `inputs`, then reopen it and append them.
    let fields = Value::Object(fields).to_string();
    text.push_str(fields.strip_suffix('}').unwrap_or(&fields));
    if fields.len() > 2 {
        text.push(',');
    }
    text.push_str("\"inputs\":{");
    let mut parts = Vec::new();
    for (index, (name, value)) in inputs.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        let written = item.input_spans.iter().find(|input| input.name == *name);
        let key_start = offset(text);
        text.push_str(&Value::String(name.clone()).to_string());
        let key_end = offset(text);
        text.push(':');
        let value_start = offset(text);
        text.push_str(&value.to_string());
        let value_end = offset(text);
        if let Some(written) = written {
            parts.push(EntryPart {
                start: key_start,
                end: key_end,
                span: written.key,
            });
            parts.push(EntryPart {
                start: value_start,
                end: value_end,
                span: written.value,
            });
        }
    }
    text.push_str("}}");
    parts
}

/// Returns the length of `text` as a span offset.
fn offset(text: &str) -> u32 {
    u32::try_from(text.len()).unwrap_or(u32::MAX)
}

/// Masks the errors and diagnostic texts of a child pipeline, which include the messages of
/// the include phase.
fn mask_messages(mut pipeline: super::Pipeline, masker: &Masker) -> super::Pipeline {
    for error in &mut pipeline.errors {
        *error = masker.mask_owned(std::mem::take(error));
    }
    for diagnostic in &mut pipeline.diagnostics {
        diagnostic.message = masker.mask_owned(std::mem::take(&mut diagnostic.message));
        diagnostic.help = diagnostic.help.take().map(|help| masker.mask_owned(help));
    }
    pipeline
}

/// The parent's files, plus the generated entry file of the child configuration.
struct ChildFiles<'a> {
    entry: &'a str,
    text: &'a str,
    inner: &'a dyn FileProvider,
}

impl FileProvider for ChildFiles<'_> {
    fn read(&self, request: FileRequest<'_>) -> Result<String, FetchError> {
        match request {
            FileRequest::Repository {
                project: None,
                path,
                ..
            } if path == self.entry => Ok(self.text.to_owned()),
            other => self.inner.read(other),
        }
    }

    fn list(
        &self,
        project: Option<&str>,
        git_ref: Option<&str>,
    ) -> Result<Vec<String>, FetchError> {
        self.inner.list(project, git_ref)
    }
}
