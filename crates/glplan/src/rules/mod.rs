//! Deciding which jobs a pipeline creates: `workflow:rules`, job `rules`, and `only`/`except`.
//!
//! GitLab decides this when it creates a pipeline, after the configuration is resolved:
//!
//! 1. `workflow:rules` ([`evaluate_workflow`]): the first rule whose clauses all hold
//!    decides; no match, or a match with `when: never`, drops the pipeline with
//!    `Pipeline filtered out by workflow rules.`
//! 2. For each job, `rules` ([`evaluate_rules`]) or else `only`/`except`
//!    ([`evaluate_only_except`]); [`evaluate_job`] picks the right one. A job without any
//!    of them gets `only: [branches, tags]` unless the configuration has `workflow:rules`.
//!
//! A rule's clauses (`if`, `changes`, `exists`) are evaluated by [`clause`], which
//! `include:rules` shares. Every decision carries a trace: which rule matched, what each
//! expression read, why each clause held or not, and which budget shortcut was taken, so that a
//! caller can explain why a job is absent.
//!
//! Some facts are not available offline. Such clauses are taken as true, as GitLab does when it
//! cannot compute them, and the trace carries a note:
//! - `changes` with `compare_to` (the files changed since another ref);
//! - `exists` without the repository's file list, or for another project whose files the
//!   caller did not supply.
//!
//! A `compare_to` that expands to a value naming no commit (empty, or keeping a reference to
//! an undefined variable) is an error instead: GitLab raises `rules:changes:compare_to is not a
//! valid ref`, which ends the evaluation of the rule list with `when: never`. The trace's
//! [`RulesTrace::error`] returns it, and pipeline creation reports it.

pub mod clause;
mod policy;
mod select;

use std::fmt;

pub use clause::{
    COMPARE_TO_NOT_FOUND_MESSAGE, ChangesOutcome, ChangesTrace, ClauseTrace, ExistsComparison,
    ExistsOutcome, ExistsSource, ExistsTrace, ExpressionCache, IfTrace, VariableRead,
};
pub use policy::{
    KeyTrace, PolicyTrace, RefMatch, RefReason, RefsTrace, SpecTrace, evaluate_only_except,
    implicit_only,
};
pub use select::{
    FILTERED_OUT_MESSAGE, JobDecision, JobRules, JobTrace, RuleTrace, RulesTrace, WorkflowDecision,
    evaluate_job, evaluate_rules, evaluate_workflow,
};

use crate::config::keywords::rules::Expression;
use crate::expr::Variables;
use crate::files::FileProvider;
use crate::limits::Limits;

/// Facts about the planned pipeline that rule evaluation reads.
#[derive(Clone, Copy, Default)]
pub struct PipelineFacts<'a> {
    /// `CI_PIPELINE_SOURCE`: `push`, `web`, `schedule`, `merge_request_event`, `api`,
    /// `trigger`, `pipeline`, `parent_pipeline`, `chat`, `external`,
    /// `external_pull_request_event`, ...
    pub source: &'a str,
    /// The branch or tag name (`CI_COMMIT_REF_NAME`); for merge request pipelines the source
    /// branch.
    pub ref_name: &'a str,
    /// Whether this is a branch pipeline. GitLab's `Ci::Pipeline#branch?` is true for any
    /// pipeline that is neither a tag nor a merge request pipeline, schedules included.
    pub is_branch: bool,
    /// Whether the pipeline runs for a tag.
    pub is_tag: bool,
    /// Whether this is a merge request pipeline.
    pub is_merge_request: bool,
    /// Full path of the project, such as `group/project`, which `only:refs` items with an
    /// `@group/project` suffix are compared with.
    pub project_path: &'a str,
    /// The files the pipeline changed, which `changes` compares. `None` means there is nothing
    /// to diff against (tags, schedules, web, API and trigger pipelines, and the push that
    /// creates a branch), so `changes` is true.
    pub changed_files: Option<&'a [String]>,
    /// Every file path of the repository at the pipeline's commit, which `exists` searches;
    /// `None` when unknown, which makes `exists` true with a note.
    pub repository_files: Option<&'a [String]>,
    /// Files of other projects for `exists: {project, ref}`; without them such a clause is
    /// true with a note.
    pub other_projects: Option<&'a dyn FileProvider>,
    /// Whether the project has an active Kubernetes integration (`only: {kubernetes: active}`).
    pub kubernetes_active: bool,
    /// Parsed `if:` expressions and `changes:` outcomes to reuse; without it every evaluation
    /// parses its expression and compiles its globs.
    pub expressions: Option<&'a ExpressionCache>,
}

impl<'a> PipelineFacts<'a> {
    /// Returns where `exists` looks for files.
    pub fn exists_source(&self) -> ExistsSource<'a> {
        ExistsSource {
            files: self.repository_files,
            other_projects: self.other_projects,
        }
    }
}

impl fmt::Debug for PipelineFacts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipelineFacts")
            .field("source", &self.source)
            .field("ref_name", &self.ref_name)
            .field("is_branch", &self.is_branch)
            .field("is_tag", &self.is_tag)
            .field("is_merge_request", &self.is_merge_request)
            .field("project_path", &self.project_path)
            .field("changed_files", &self.changed_files)
            .field(
                "repository_files",
                &self.repository_files.map(<[String]>::len),
            )
            .field("other_projects", &self.other_projects.is_some())
            .field("kubernetes_active", &self.kubernetes_active)
            .field("expressions", &self.expressions.is_some())
            .finish()
    }
}

impl PipelineFacts<'_> {
    /// Evaluates an `if:` clause with the facts' expression cache, when there is one.
    fn evaluate_if(
        &self,
        expression: &Expression,
        variables: &dyn Variables,
        limits: &Limits,
    ) -> IfTrace {
        match self.expressions {
            Some(cache) => clause::evaluate_if_cached(expression, variables, limits, cache),
            None => clause::evaluate_if(expression, variables, limits),
        }
    }
}
