//! The diagnostics of child pipelines (`trigger:include`), gathered so that `lint`, `plan` and
//! `explain` of the CLI and of the wasm package report them next to the parent's.
//!
//! Each child configuration is loaded into its own source map, so its spans are moved into one
//! map that starts with the parent's files. A span in a child's generated entry file (the
//! file that includes what `trigger:include` lists) is moved to the parent, where the user
//! wrote that list: to the `trigger:include` item it belongs to, or else to `trigger:`.

use crate::pipeline::{ChildConfiguration, Pipeline, PlanDiagnostic, SourceLocation};
use crate::{Diagnostic, FileId, Severity, SourceMap, Span};

/// Diagnostic codes of a pipeline that GitLab does not create by design rather than by
/// mistake: `workflow:rules` filtered it out, the jobs' rules left no job, or the commit
/// message skips it. The output shows the reason, and the exit status stays 0.
pub const NOT_CREATED_BY_RULES: [&str; 3] = ["workflow-filtered", "no-jobs", "skip-ci"];

/// A diagnostic of a child pipeline and the trigger jobs that lead to it.
#[derive(Debug, Clone)]
pub struct Child<T> {
    /// The trigger jobs from the top pipeline down, such as `["deploy"]`, or
    /// `["deploy", "inner"]` for a grandchild.
    pub trigger_jobs: Vec<String>,
    /// The diagnostic, with its spans in [`Children::sources`].
    pub diagnostic: T,
}

impl<T> Child<T> {
    /// Returns the note added to the message, such as
    /// `in the child pipeline of trigger job `deploy``.
    pub fn origin(&self) -> String {
        let path: Vec<String> = self
            .trigger_jobs
            .iter()
            .map(|name| format!("`{name}`"))
            .collect();
        match path.as_slice() {
            [job] => format!("in the child pipeline of trigger job {job}"),
            _ => format!("in the child pipeline of trigger jobs {}", path.join(" > ")),
        }
    }
}

/// The diagnostics of every child pipeline planned under one pipeline.
#[derive(Debug, Clone, Default)]
pub struct Children {
    /// The parent's files with their ids unchanged, then the files of each child
    /// configuration.
    pub sources: SourceMap,
    /// The diagnostics of resolving each child configuration.
    pub configuration: Vec<Child<Diagnostic>>,
    /// The diagnostics of planning each child pipeline, without those of its configuration.
    pub planning: Vec<Child<PlanDiagnostic>>,
}

impl Children {
    /// Gathers the child pipelines' diagnostics of `pipeline`, whose configuration was loaded
    /// into `sources`.
    pub fn collect(sources: &SourceMap, pipeline: Option<&Pipeline>) -> Self {
        let mut children = Children {
            sources: sources.clone(),
            configuration: Vec::new(),
            planning: Vec::new(),
        };
        if let Some(pipeline) = pipeline {
            children.add(pipeline, 0, &[]);
        }
        children
    }

    /// Returns whether a child has an error that keeps GitLab from creating it, other than its rules
    /// leaving no pipeline.
    pub fn has_errors(&self) -> bool {
        self.configuration
            .iter()
            .any(|child| child.diagnostic.is_error())
            || self.planning.iter().any(|child| {
                child.diagnostic.severity == Severity::Error
                    && !NOT_CREATED_BY_RULES.contains(&child.diagnostic.code.as_str())
            })
    }

    /// Returns whether a child configuration has an error.
    pub fn has_configuration_errors(&self) -> bool {
        self.configuration
            .iter()
            .any(|child| child.diagnostic.is_error())
    }

    /// Returns the diagnostics in the form of the pipeline's `diagnostics` entries, each with
    /// a `trigger_jobs` member, as the schedule's JSON lists them: the child configurations'
    /// diagnostics, then the child pipelines'. A child pipeline that its rules leave out
    /// ([`NOT_CREATED_BY_RULES`]) is left out here too, because its trigger job's failure
    /// already gives the reason.
    pub fn plan_entries(&self) -> Vec<serde_json::Value> {
        let mut entries = Vec::new();
        for child in &self.configuration {
            let entry = super::plan_json::plan_entry(&child.diagnostic, &self.sources);
            entries.push(with_trigger_jobs(entry, &child.trigger_jobs));
        }
        for child in &self.planning {
            if NOT_CREATED_BY_RULES.contains(&child.diagnostic.code.as_str()) {
                continue;
            }
            let mut diagnostic = child.diagnostic.clone();
            diagnostic.location = diagnostic.span.and_then(|span| self.locate(span));
            let entry = serde_json::to_value(&diagnostic).unwrap_or_default();
            entries.push(with_trigger_jobs(entry, &child.trigger_jobs));
        }
        entries
    }

    /// Returns the start of `span` in [`Children::sources`].
    fn locate(&self, span: Span) -> Option<SourceLocation> {
        let file = self.sources.get(span.file)?;
        Some(SourceLocation::at(file, span.start))
    }

    /// Adds the children of `pipeline`, whose files start at `parent_offset` in
    /// [`Children::sources`].
    fn add(&mut self, pipeline: &Pipeline, parent_offset: u32, trail: &[String]) {
        for job in &pipeline.jobs {
            let Some(trigger) = &job.trigger else {
                continue;
            };
            let (Some(configuration), Some(downstream)) =
                (&trigger.configuration, &trigger.downstream)
            else {
                continue;
            };
            let offset = self.sources.files().count() as u32;
            for (_, file) in configuration.sources.files() {
                self.sources.add(file.name.clone(), file.text.clone());
            }
            let mut trigger_jobs = trail.to_vec();
            trigger_jobs.push(job.name.to_string());
            let spans = SpanMove {
                configuration,
                parent_offset,
                offset,
            };

            for diagnostic in &configuration.diagnostics {
                self.configuration.push(Child {
                    trigger_jobs: trigger_jobs.clone(),
                    diagnostic: spans.diagnostic(diagnostic),
                });
            }
            // The child pipeline's diagnostics start with its configuration's, located.
            let planning = downstream
                .diagnostics
                .iter()
                .skip(configuration.diagnostics.len());
            for diagnostic in planning {
                let mut moved = diagnostic.clone();
                moved.span = diagnostic.span.and_then(|span| spans.span(span));
                self.planning.push(Child {
                    trigger_jobs: trigger_jobs.clone(),
                    diagnostic: moved,
                });
            }

            self.add(downstream, offset, &trigger_jobs);
        }
    }
}

/// Adds `trigger_jobs` to a JSON diagnostic entry.
fn with_trigger_jobs(mut entry: serde_json::Value, trigger_jobs: &[String]) -> serde_json::Value {
    if let serde_json::Value::Object(object) = &mut entry {
        object.insert("trigger_jobs".to_owned(), trigger_jobs.into());
    }
    entry
}

/// Moves spans of one child configuration into [`Children::sources`].
struct SpanMove<'a> {
    configuration: &'a ChildConfiguration,
    /// Index of the parent's first file in [`Children::sources`].
    parent_offset: u32,
    /// Index of the child's first file in [`Children::sources`].
    offset: u32,
}

impl SpanMove<'_> {
    fn span(&self, span: Span) -> Option<Span> {
        if self.configuration.in_entry(span) {
            let parent = self.configuration.parent_span(span)?;
            Some(shift(parent, self.parent_offset))
        } else {
            Some(shift(span, self.offset))
        }
    }

    fn diagnostic(&self, diagnostic: &Diagnostic) -> Diagnostic {
        let mut moved = diagnostic.clone();
        moved.span = diagnostic.span.and_then(|span| self.span(span));
        moved
            .labels
            .retain_mut(|label| match self.span(label.span) {
                Some(span) => {
                    label.span = span;
                    true
                }
                None => false,
            });
        moved
    }
}

fn shift(span: Span, offset: u32) -> Span {
    Span::new(FileId(span.file.0 + offset), span.start, span.end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryFiles;
    use crate::context::PipelineContext;
    use crate::pipeline::{PlanOptions, plan};

    fn children(files: &MemoryFiles) -> Children {
        let (resolution, pipeline) = plan(
            ".gitlab-ci.yml",
            files,
            &PipelineContext::push("main"),
            &PlanOptions::default(),
        );
        Children::collect(&resolution.sources, pipeline.as_ref())
    }

    const PARENT: &str = "build: {script: make}\ndeploy:\n  trigger:\n    include: child.yml\n";

    #[test]
    fn child_error_moves_into_child_file() {
        let files = MemoryFiles::new()
            .with_file(".gitlab-ci.yml", PARENT)
            .with_file("child.yml", "job: {script: x, stage: nope}\n");
        let children = children(&files);
        assert!(children.has_errors());
        assert_eq!(children.configuration.len(), 1);
        let child = &children.configuration[0];
        assert_eq!(child.trigger_jobs, ["deploy"]);
        assert_eq!(
            child.origin(),
            "in the child pipeline of trigger job `deploy`"
        );
        let span = child.diagnostic.span.unwrap();
        assert_eq!(children.sources.get(span.file).unwrap().name, "child.yml");
        assert_eq!(children.sources.snippet(span), "nope");
    }

    #[test]
    fn entry_file_error_points_at_path() {
        let files = MemoryFiles::new().with_file(".gitlab-ci.yml", PARENT);
        let children = children(&files);
        assert!(children.has_configuration_errors());
        let span = children.configuration[0].diagnostic.span.unwrap();
        assert_eq!(span.file, FileId(0));
        assert_eq!(children.sources.snippet(span), "child.yml");
    }

    #[test]
    fn entry_file_error_points_at_item() {
        let parent = "deploy:\n  trigger:\n    include:\n      - local: ok.yml\n      \
                      - local: gone.yml\n      - local: ok.yml\n";
        let files = MemoryFiles::new()
            .with_file(".gitlab-ci.yml", parent)
            .with_file("ok.yml", "job: {script: x}\n");
        let children = children(&files);
        assert_eq!(children.configuration.len(), 1);
        let span = children.configuration[0].diagnostic.span.unwrap();
        assert_eq!(span.file, FileId(0));
        assert_eq!(children.sources.snippet(span), "local: gone.yml");
    }

    #[test]
    fn clean_child_has_no_errors() {
        let files = MemoryFiles::new()
            .with_file(".gitlab-ci.yml", PARENT)
            .with_file("child.yml", "job: {script: x}\n");
        let children = children(&files);
        assert!(!children.has_errors());
        assert!(children.configuration.is_empty());
        assert!(children.planning.is_empty());
    }

    #[test]
    fn grandchild_names_both_triggers() {
        let files = MemoryFiles::new()
            .with_file(".gitlab-ci.yml", PARENT)
            .with_file(
                "child.yml",
                "job: {script: x}\ninner:\n  trigger:\n    include: grandchild.yml\n",
            )
            .with_file("grandchild.yml", "job: {script: x, retry: 5}\n");
        let children = children(&files);
        assert_eq!(children.configuration.len(), 1);
        let child = &children.configuration[0];
        assert_eq!(child.trigger_jobs, ["deploy", "inner"]);
        let span = child.diagnostic.span.unwrap();
        assert_eq!(
            children.sources.get(span.file).unwrap().name,
            "grandchild.yml"
        );
        assert_eq!(children.sources.snippet(span), "5");
    }
}
