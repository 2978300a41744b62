//! The typed model of a resolved configuration, and the phase that builds it from the merged
//! YAML tree: classifying top-level keys, validating every keyword, applying `default:` and
//! `inherit:`, injecting the `.pre` and `.post` stages, expanding `parallel` jobs and checking
//! the references between jobs.

pub(crate) mod check;
mod commands;
mod default;
mod jobs;
pub mod keywords;
mod leaf;
mod model;
mod needs;
mod parallel;
mod stages;
mod validate;
mod variables;

pub use model::{
    AllowFailure, Artifacts, Cache, Config, Defaults, Duration, Environment, Hooks, IdTokens,
    Image, Inherit, Instance, Job, JobKind, JobNeed, Need, OnlyExcept, Pages, Parallel,
    PipelineNeed, ProjectNeed, Release, Retry, Rules, SchedulingType, Secrets, Services, Trigger,
    UpstreamNeed, Variable, When, Workflow,
};

use indexmap::IndexMap;

use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::limits::Limits;
use crate::source::Span;
use crate::yaml::{Key, Mapping, Node};

use check::Ctx;

/// Top-level keys that can never be job names.
const RESERVED: [&str; 8] = [
    "include",
    "before_script",
    "image",
    "services",
    "after_script",
    "variables",
    "stages",
    "cache",
];

/// Every global keyword. `default` and `workflow` are not reserved: a value that looks like a
/// job makes them jobs.
const GLOBAL_KEYWORDS: [&str; 10] = [
    "default",
    "include",
    "before_script",
    "image",
    "services",
    "after_script",
    "variables",
    "stages",
    "cache",
    "workflow",
];

/// Builds the typed configuration from the merged tree (GitLab's steps 5 to 8).
///
/// The result is best-effort: it is returned even when `diags` received errors, with the
/// invalid parts left out, so that later phases and tools can show as much as possible.
pub(crate) fn build(root: &Mapping, limits: &Limits, diags: &mut Diagnostics) -> Option<Config> {
    let mut cx = Ctx { diags, limits };

    // 5. Stages, with `.pre` and `.post` injected.
    let stages = stages::parse(root, &mut cx);

    // 6. Entry composition: classify top-level keys, then compose globals and jobs.
    let top = classify(root, &mut cx);
    let variables = match root.get("variables") {
        Some(node) => variables::parse("variables", node, variables::Scope::Global, &mut cx),
        None => IndexMap::new(),
    };
    let workflow_has_rules = top
        .workflow
        .and_then(|w| w.get("rules"))
        .is_some_and(|r| !r.is_null());
    let workflow = top
        .workflow
        .filter(|w| !w.is_null())
        .and_then(|w| leaf::workflow("workflow", w, &mut cx));
    let defaults = default::parse(root, top.default, &mut cx);
    let context = jobs::Context { workflow_has_rules };
    let mut composed = IndexMap::with_capacity(top.jobs.len());
    for entry in &top.jobs {
        let mut job = jobs::parse(
            entry.name, entry.span, entry.map, entry.kind, context, &mut cx,
        );
        default::apply(&defaults, &mut job);
        composed.insert(entry.name.to_owned(), job);
    }

    // 8. Normalization: parallel jobs become their instances. GitLab runs the logical checks
    // of step 7 on the normalized jobs, so this comes first.
    let jobs = parallel::expand(composed, &mut cx);

    // 7. Logical validation of stages and the references between jobs.
    validate::check(&stages, &jobs, &mut cx);

    Some(Config {
        stages: stages.names,
        variables,
        workflow,
        default: defaults,
        jobs,
        hidden: top.hidden,
    })
}

/// A top-level key taken as a job.
struct JobEntry<'r> {
    name: &'r str,
    span: Span,
    map: &'r Mapping,
    kind: JobKind,
}

/// The top-level keys sorted into their roles.
struct TopLevel<'r> {
    jobs: Vec<JobEntry<'r>>,
    hidden: Vec<String>,
    default: Option<&'r Node>,
    workflow: Option<&'r Node>,
}

/// What a top-level key is, by GitLab's rules, first match wins.
enum Class {
    /// A reserved keyword, or `default`/`workflow` when they do not look like a job.
    Global,
    /// A name starting with `.`.
    Hidden,
    /// A mapping with `script` or `run`.
    Job,
    /// A mapping with `trigger` or `needs`.
    Bridge,
    /// Anything else: an error.
    Unmatched,
}

fn classify_key(key: &Key, value: &Node) -> Class {
    if key.as_str().is_some_and(|k| RESERVED.contains(&k)) {
        return Class::Global;
    }
    let name = key.to_string();
    let map = value.as_map();
    let has = |k: &str| map.is_some_and(|m| m.contains_key(k));
    if name.starts_with('.') {
        Class::Hidden
    } else if has("script") || has("run") {
        Class::Job
    } else if has("trigger") || has("needs") {
        Class::Bridge
    } else if key.as_str().is_some_and(|k| GLOBAL_KEYWORDS.contains(&k)) {
        Class::Global
    } else {
        Class::Unmatched
    }
}

/// Sorts the top-level keys and reports keys that are neither globals nor jobs, blank hidden
/// keys, invalid job names, and a configuration without visible jobs.
fn classify<'r>(root: &'r Mapping, cx: &mut Ctx) -> TopLevel<'r> {
    let mut top = TopLevel {
        jobs: Vec::new(),
        hidden: Vec::new(),
        default: None,
        workflow: None,
    };
    let mut visible = false;
    for (key, entry) in root.entries() {
        let value = &entry.value;
        match classify_key(key, value) {
            Class::Global => match key.as_str() {
                Some("default") => top.default = Some(value),
                Some("workflow") => top.workflow = Some(value),
                _ => {}
            },
            Class::Hidden => {
                let name = key.to_string();
                if value.is_blank() {
                    cx.diags.push(
                        Diagnostic::error(
                            "blank-hidden-key",
                            format!("jobs:{name} config can't be blank"),
                        )
                        .with_span(value.span)
                        .with_help("give the hidden key some content, or remove it"),
                    );
                }
                top.hidden.push(name);
            }
            class @ (Class::Job | Class::Bridge) => {
                visible = true;
                let kind = match class {
                    Class::Bridge => JobKind::Bridge,
                    _ => JobKind::Job,
                };
                let Some(name) = check_job_name(key, entry.key_span, cx) else {
                    continue;
                };
                if let Some(map) = value.as_map() {
                    top.jobs.push(JobEntry {
                        name,
                        span: entry.key_span,
                        map,
                        kind,
                    });
                }
            }
            Class::Unmatched => report_unmatched(key, entry.key_span, value, cx),
        }
    }

    if !visible {
        let mut diagnostic = Diagnostic::error(
            "no-visible-job",
            "jobs config should contain at least one visible job",
        )
        .with_help("add a job with `script:`; keys starting with `.` are hidden and never run");
        if let Some((_, first)) = root.entries().next() {
            diagnostic = diagnostic.with_span(first.key_span);
        }
        cx.diags.push(diagnostic);
    }
    top
}

/// Checks a job's key: a string (GitLab symbolizes string keys only), not blank, and at most
/// `max_job_name_length` characters. Returns the name when the job can be built.
fn check_job_name<'r>(key: &'r Key, span: Span, cx: &mut Ctx) -> Option<&'r str> {
    let Some(name) = key.as_str() else {
        cx.diags.push(
            Diagnostic::error(
                "invalid-job-name",
                format!("jobs:{key} name should be a symbol"),
            )
            .with_span(span)
            .with_help(format!("quote the job name: `\"{key}\":`")),
        );
        return None;
    };
    let max = cx.limits.max_job_name_length;
    if name.is_empty() {
        cx.diags.push(
            Diagnostic::error("invalid-job-name", "jobs: name can't be blank").with_span(span),
        );
    } else if name.chars().count() > max {
        cx.diags.push(
            Diagnostic::error(
                "job-name-too-long",
                format!("jobs:{name} name is too long (maximum is {max} characters)"),
            )
            .with_span(span),
        );
    }
    Some(name)
}

/// `jobs <name> config should implement the script:, run:, or trigger: keyword`, with a hint
/// when the key looks like a misspelled global keyword.
fn report_unmatched(key: &Key, span: Span, value: &Node, cx: &mut Ctx) {
    let name = key.to_string();
    let help = if name == "types" {
        "`types` was removed from GitLab; use `stages`".to_owned()
    } else if name == "spec" {
        "a `spec:` header must be its own YAML document, followed by `---`".to_owned()
    } else if let Some(global) = did_you_mean(&name, GLOBAL_KEYWORDS) {
        format!("did you mean the global keyword `{global}`?")
    } else if value.as_map().is_some() {
        "add `script:` with the commands to run, or `trigger:` to start a downstream pipeline"
            .to_owned()
    } else {
        "a job must be a hash with `script:`, `run:` or `trigger:`".to_owned()
    };
    cx.diags.push(
        Diagnostic::error(
            "unmatched-job",
            format!("jobs {name} config should implement the script:, run:, or trigger: keyword"),
        )
        .with_span(span)
        .with_help(help),
    );
}

impl Config {
    /// The YAML variables a job sees before `rules:variables`: the global variables that
    /// `inherit:variables` lets through, overridden by the job's own (which include the matrix
    /// values of a parallel instance). This is GitLab's `inherit_yaml_variables`.
    pub fn yaml_variables(&self, job: &Job) -> IndexMap<String, Variable> {
        let mut out: IndexMap<String, Variable> = self
            .variables
            .iter()
            .filter(|(name, _)| leaf::inherits_variable(job.inherit.as_ref(), name))
            .map(|(name, variable)| (name.clone(), variable.clone()))
            .collect();
        for (name, variable) in &job.variables {
            out.insert(name.clone(), variable.clone());
        }
        out
    }
}
