//! `only` and `except` (deprecated, still supported), as GitLab's `Build::Policy` classes
//! evaluate them: a job is included when every key of `only` is true and no key of `except`
//! is.

use std::fmt;

use serde::Serialize;

use super::PipelineFacts;
use super::clause::{self, ChangesTrace, IfTrace};
use crate::config::keywords::only_except::{DEFAULT_ONLY_REFS, OnlyExcept};
use crate::config::keywords::shape::ruby_regexp;
use crate::expr::Variables;
use crate::limits::Limits;

/// The evaluation of a job's `only` and `except`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyTrace {
    /// Whether the job is included.
    pub included: bool,
    /// `only`, when the job has it (or gets the implicit one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only: Option<SpecTrace>,
    /// `except`, when the job has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub except: Option<SpecTrace>,
    /// Whether `only` is the implicit `only: [branches, tags]` of a job without `only` and
    /// `rules`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub implicit_only: bool,
}

impl PolicyTrace {
    /// Lists the notes of clauses whose result was assumed because a fact is not available
    /// offline. `only`/`except` have no such clause, so the list is empty.
    pub fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

impl fmt::Display for PolicyTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(only) = &self.only {
            let implicit = if self.implicit_only {
                " (implicit)"
            } else {
                ""
            };
            let verdict = if only.satisfied {
                "holds"
            } else {
                "does not hold"
            };
            parts.push(format!("only{implicit} {verdict}: {only}"));
        }
        if let Some(except) = &self.except {
            let verdict = if except.satisfied {
                "holds"
            } else {
                "does not hold"
            };
            parts.push(format!("except {verdict}: {except}"));
        }
        f.write_str(&parts.join("; "))
    }
}

/// The evaluation of one `only:` or `except:` value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpecTrace {
    /// For `only`, whether every key holds; for `except`, whether any key holds.
    pub satisfied: bool,
    /// Each key written, in the order `refs`, `variables`, `changes`, `kubernetes`.
    pub keys: Vec<KeyTrace>,
}

impl fmt::Display for SpecTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<String> = self.keys.iter().map(ToString::to_string).collect();
        f.write_str(&keys.join(", "))
    }
}

/// The evaluation of one key of `only` or `except`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "key", rename_all = "snake_case")]
pub enum KeyTrace {
    /// `refs` (or the list form).
    Refs(RefsTrace),
    /// `variables`: holds when any expression is true.
    Variables {
        /// Whether any expression is true.
        holds: bool,
        /// Each expression's evaluation.
        expressions: Vec<IfTrace>,
    },
    /// `changes`.
    Changes(ChangesTrace),
    /// `kubernetes: active`.
    Kubernetes {
        /// Whether the project's Kubernetes integration is active.
        holds: bool,
    },
}

impl KeyTrace {
    /// Returns whether the key holds.
    pub fn holds(&self) -> bool {
        match self {
            KeyTrace::Refs(trace) => trace.matched.is_some(),
            KeyTrace::Variables { holds, .. } | KeyTrace::Kubernetes { holds } => *holds,
            KeyTrace::Changes(trace) => trace.holds(),
        }
    }
}

impl fmt::Display for KeyTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyTrace::Refs(trace) => trace.fmt(f),
            KeyTrace::Variables { holds, expressions } => {
                let verdict = if *holds { "true" } else { "false" };
                write!(f, "variables is {verdict} (")?;
                super::select::write_joined(f, expressions)?;
                f.write_str(")")
            }
            KeyTrace::Changes(trace) => trace.fmt(f),
            KeyTrace::Kubernetes { holds } => {
                let state = if *holds { "active" } else { "not active" };
                write!(f, "kubernetes is {state}")
            }
        }
    }
}

/// The evaluation of `refs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefsTrace {
    /// The items as written.
    pub refs: Vec<String>,
    /// The first item that matched, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<RefMatch>,
}

impl fmt::Display for RefsTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.matched {
            Some(found) => write!(f, "refs item `{}` matches ({})", found.item, found.reason),
            None => {
                let items: Vec<String> = self.refs.iter().map(|r| format!("`{r}`")).collect();
                write!(f, "no refs item matches ({})", items.join(", "))
            }
        }
    }
}

/// A `refs` item that matched, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefMatch {
    /// The item as written.
    pub item: String,
    /// The reason it matched.
    pub reason: RefReason,
}

/// The reason a `refs` item matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefReason {
    /// `branches` in a branch pipeline.
    Branches,
    /// `tags` in a tag pipeline.
    Tags,
    /// The pipeline source, such as `schedules` for `schedule`.
    Source,
    /// `merge_requests` in a pipeline from an external merge request.
    ExternalMergeRequest,
    /// A `/regex/` that matches the ref name.
    Pattern,
    /// The ref name itself.
    Name,
}

impl fmt::Display for RefReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefReason::Branches => "a branch pipeline",
            RefReason::Tags => "a tag pipeline",
            RefReason::Source => "the pipeline source",
            RefReason::ExternalMergeRequest => "an external merge request pipeline",
            RefReason::Pattern => "the ref matches the pattern",
            RefReason::Name => "the ref name",
        })
    }
}

/// Returns the `only` GitLab gives a job that has no `only` and no `rules`, in a configuration
/// without `workflow:rules`: `refs: [branches, tags]`.
pub fn implicit_only() -> OnlyExcept {
    OnlyExcept {
        refs: Some(DEFAULT_ONLY_REFS.iter().map(|r| (*r).to_owned()).collect()),
        variables: None,
        changes: None,
        kubernetes: None,
    }
}

/// Evaluates `only` and `except` (`None` when not written; pass [`implicit_only`] for a job
/// that gets the default). `variables` are the job's variables, which `variables:` expressions
/// read. Every key is evaluated so that the trace is complete; the result is the same as
/// GitLab's, which stops at the first key that decides.
pub fn evaluate_only_except(
    only: Option<&OnlyExcept>,
    except: Option<&OnlyExcept>,
    facts: &PipelineFacts<'_>,
    variables: &dyn Variables,
    limits: &Limits,
) -> PolicyTrace {
    let evaluate = |spec: &OnlyExcept, all: bool| {
        let keys = evaluate_keys(spec, facts, variables, limits);
        let satisfied = if all {
            keys.iter().all(KeyTrace::holds)
        } else {
            keys.iter().any(KeyTrace::holds)
        };
        SpecTrace { satisfied, keys }
    };
    let only = only.map(|spec| evaluate(spec, true));
    let except = except.map(|spec| evaluate(spec, false));
    let included = only.as_ref().is_none_or(|only| only.satisfied)
        && !except.as_ref().is_some_and(|except| except.satisfied);
    PolicyTrace {
        included,
        only,
        except,
        implicit_only: false,
    }
}

fn evaluate_keys(
    spec: &OnlyExcept,
    facts: &PipelineFacts<'_>,
    variables: &dyn Variables,
    limits: &Limits,
) -> Vec<KeyTrace> {
    let mut keys = Vec::new();
    if let Some(refs) = &spec.refs {
        keys.push(KeyTrace::Refs(match_refs(refs, facts)));
    }
    if let Some(expressions) = &spec.variables {
        let expressions: Vec<IfTrace> = expressions
            .iter()
            .map(|expression| facts.evaluate_if(expression, variables, limits))
            .collect();
        keys.push(KeyTrace::Variables {
            holds: expressions.iter().any(|trace| trace.holds),
            expressions,
        });
    }
    if let Some(globs) = &spec.changes {
        let trace = clause::trace_policy_changes(globs, facts.changed_files);
        keys.push(KeyTrace::Changes(trace));
    }
    if spec.kubernetes.is_some() {
        keys.push(KeyTrace::Kubernetes {
            holds: facts.kubernetes_active,
        });
    }
    keys
}

/// Finds the first `refs` item that matches the pipeline, as GitLab's `Policy::Refs` does.
fn match_refs(refs: &[String], facts: &PipelineFacts<'_>) -> RefsTrace {
    let matched = refs.iter().find_map(|item| {
        match_ref(item, facts).map(|reason| RefMatch {
            item: item.clone(),
            reason,
        })
    });
    RefsTrace {
        refs: refs.to_vec(),
        matched,
    }
}

fn match_ref(item: &str, facts: &PipelineFacts<'_>) -> Option<RefReason> {
    // Every item is split at its first `@`; the rest must be the project's full path.
    let (pattern, project) = match item.split_once('@') {
        Some((pattern, project)) => (pattern, Some(project)),
        None => (item, None),
    };
    if project.is_some_and(|project| project != facts.project_path) {
        return None;
    }

    if facts.is_tag && pattern == "tags" {
        return Some(RefReason::Tags);
    }
    if facts.is_branch && pattern == "branches" {
        return Some(RefReason::Branches);
    }
    let source = facts.source.strip_suffix("_event").unwrap_or(facts.source);
    if !source.is_empty() && (source == pattern || pluralize(source) == pattern) {
        return Some(RefReason::Source);
    }
    // GitLab compares names and patterns only in branch and tag pipelines, so they never
    // match a merge request pipeline.
    if facts.is_branch || facts.is_tag {
        match compile_ref_pattern(pattern) {
            Some(regex) => {
                if is_present(facts.ref_name) && regex.is_match(facts.ref_name) {
                    return Some(RefReason::Pattern);
                }
            }
            None => {
                if pattern == facts.ref_name {
                    return Some(RefReason::Name);
                }
            }
        }
    }
    // GitLab reuses `merge_requests` for pipelines of external merge requests.
    if source == "external_merge_request" && pattern == "merge_requests" {
        return Some(RefReason::ExternalMergeRequest);
    }
    None
}

/// Compiles a `/pattern/flags` item with RE2, as GitLab's `UntrustedRegexp::RubySyntax`
/// does. Returns `None` for an item that is not in that form or does not compile, because
/// GitLab then compares it with the ref name as plain text.
fn compile_ref_pattern(pattern: &str) -> Option<crate::re2::Regex> {
    let literal = ruby_regexp(pattern)?;
    let source = if literal.flags.is_empty() {
        literal.pattern.to_owned()
    } else {
        format!("(?{}){}", literal.flags, literal.pattern)
    };
    crate::re2::Regex::new(&source).ok()
}

/// Ruby's `present?` for a string: not empty and not only whitespace.
fn is_present(text: &str) -> bool {
    !text.chars().all(char::is_whitespace)
}

/// English plural of a pipeline source name, following the ActiveSupport inflection rules
/// that apply to GitLab's source names (`push` → `pushes`, `schedule` → `schedules`,
/// `security_orchestration_policy` → `security_orchestration_policies`).
fn pluralize(word: &str) -> String {
    let ends_with_any = |endings: &[&str]| endings.iter().any(|e| word.ends_with(e));
    if ends_with_any(&["s"]) {
        return word.to_owned();
    }
    if ends_with_any(&["x", "ch", "sh"]) {
        return format!("{word}es");
    }
    if let Some(stem) = word.strip_suffix('y') {
        let before = stem.chars().last();
        let consonant = before.is_some_and(|c| !"aeiouy".contains(c));
        if consonant || stem.ends_with("qu") {
            return format!("{stem}ies");
        }
    }
    format!("{word}s")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::keywords::rules::Expression;
    use crate::source::Span;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn refs(items: &[&str]) -> OnlyExcept {
        OnlyExcept {
            refs: Some(strings(items)),
            variables: None,
            changes: None,
            kubernetes: None,
        }
    }

    fn branch<'a>(name: &'a str, source: &'a str) -> PipelineFacts<'a> {
        PipelineFacts {
            source,
            ref_name: name,
            is_branch: true,
            project_path: "group/project",
            ..PipelineFacts::default()
        }
    }

    fn tag(name: &str) -> PipelineFacts<'_> {
        PipelineFacts {
            source: "push",
            ref_name: name,
            is_tag: true,
            project_path: "group/project",
            ..PipelineFacts::default()
        }
    }

    fn merge_request() -> PipelineFacts<'static> {
        PipelineFacts {
            source: "merge_request_event",
            ref_name: "feature",
            is_merge_request: true,
            project_path: "group/project",
            ..PipelineFacts::default()
        }
    }

    fn reason(item: &str, facts: &PipelineFacts<'_>) -> Option<RefReason> {
        match_ref(item, facts)
    }

    #[test]
    fn refs_keywords() {
        let push = branch("main", "push");
        let cases: Vec<(&str, PipelineFacts<'_>, Option<RefReason>)> = vec![
            ("branches", push, Some(RefReason::Branches)),
            ("branches", tag("v1"), None),
            ("branches", merge_request(), None),
            ("tags", tag("v1"), Some(RefReason::Tags)),
            ("tags", push, None),
            ("main", push, Some(RefReason::Name)),
            ("main", merge_request(), None),
            ("/^ma/", push, Some(RefReason::Pattern)),
            ("/^MA/i", push, Some(RefReason::Pattern)),
            ("/^ma/", merge_request(), None),
            ("/^v\\d/", tag("v1"), Some(RefReason::Pattern)),
            ("/(/", branch("/(/", "push"), Some(RefReason::Name)),
            ("other", push, None),
        ];
        for (item, facts, expected) in cases {
            assert_eq!(reason(item, &facts), expected, "{item:?} {facts:?}");
        }
    }

    /// Each source keyword matches in its singular and plural form.
    #[test]
    fn refs_sources() {
        let cases = [
            ("api", "api", "apis"),
            ("chat", "chat", "chats"),
            ("external", "external", "externals"),
            (
                "external_pull_request_event",
                "external_pull_request",
                "external_pull_requests",
            ),
            ("merge_request_event", "merge_request", "merge_requests"),
            ("pipeline", "pipeline", "pipelines"),
            ("parent_pipeline", "parent_pipeline", "parent_pipelines"),
            ("push", "push", "pushes"),
            ("schedule", "schedule", "schedules"),
            ("trigger", "trigger", "triggers"),
            ("web", "web", "webs"),
            (
                "security_orchestration_policy",
                "security_orchestration_policy",
                "security_orchestration_policies",
            ),
        ];
        for (source, singular, plural) in cases {
            let facts = PipelineFacts {
                source,
                is_merge_request: true,
                ..PipelineFacts::default()
            };
            assert_eq!(
                reason(singular, &facts),
                Some(RefReason::Source),
                "{singular}"
            );
            assert_eq!(reason(plural, &facts), Some(RefReason::Source), "{plural}");
        }
    }

    #[test]
    fn refs_project_suffix() {
        let push = branch("main", "push");
        let cases = [
            ("main@group/project", Some(RefReason::Name)),
            ("main@group/other", None),
            ("branches@group/project", Some(RefReason::Branches)),
            ("branches@GROUP/project", None),
            ("main@", None),
            // The item is split at its first `@`, so an `@` in a pattern must be written `\x40`.
            ("/^a@b$/", None),
            ("/^main$/@group/project", Some(RefReason::Pattern)),
        ];
        for (item, expected) in cases {
            assert_eq!(reason(item, &push), expected, "{item:?}");
        }
        let at = branch("a@b", "push");
        assert_eq!(reason("/^a\\x40b$/", &at), Some(RefReason::Pattern));
    }

    #[test]
    fn external_merge_request_source() {
        let facts = PipelineFacts {
            source: "external_merge_request",
            ..PipelineFacts::default()
        };
        assert_eq!(
            reason("merge_requests", &facts),
            Some(RefReason::ExternalMergeRequest)
        );
    }

    #[test]
    fn pluralize_cases() {
        let cases = [
            ("push", "pushes"),
            ("schedule", "schedules"),
            ("policy", "policies"),
            ("day", "days"),
            ("box", "boxes"),
            ("batch", "batches"),
            ("status", "status"),
        ];
        for (word, plural) in cases {
            assert_eq!(pluralize(word), plural, "{word}");
        }
    }

    fn expression(text: &str) -> Expression {
        Expression {
            text: text.to_owned(),
            span: Span::default(),
        }
    }

    #[test]
    fn variables_any_true() {
        let spec = OnlyExcept {
            refs: None,
            variables: Some(vec![expression("$A"), expression(r#"$B == "1""#)]),
            changes: None,
            kubernetes: None,
        };
        let variables = vec![("B".to_owned(), "1".to_owned())];
        let trace = evaluate_only_except(
            Some(&spec),
            None,
            &branch("main", "push"),
            &variables,
            &Limits::default(),
        );
        assert!(trace.included);
    }

    #[test]
    fn kubernetes_and_changes() {
        let spec = OnlyExcept {
            refs: None,
            variables: None,
            changes: Some(strings(&["docs/*"])),
            kubernetes: Some("active".to_owned()),
        };
        let changed = strings(&["docs/a.md"]);
        let mut facts = branch("main", "push");
        facts.changed_files = Some(&changed);
        let limits = Limits::default();
        let no_vars: Vec<(String, String)> = Vec::new();
        let inactive = evaluate_only_except(Some(&spec), None, &facts, &no_vars, &limits);
        assert!(!inactive.included);
        facts.kubernetes_active = true;
        let active = evaluate_only_except(Some(&spec), None, &facts, &no_vars, &limits);
        assert!(active.included);
    }

    /// Without a diff, `except:changes` always excludes.
    #[test]
    fn except_changes_without_diff() {
        let spec = OnlyExcept {
            refs: None,
            variables: None,
            changes: Some(strings(&["docs/*"])),
            kubernetes: None,
        };
        let no_vars: Vec<(String, String)> = Vec::new();
        let trace = evaluate_only_except(
            Some(&implicit_only()),
            Some(&spec),
            &tag("v1"),
            &no_vars,
            &Limits::default(),
        );
        assert!(!trace.included);
    }

    #[test]
    fn except_refs_excludes() {
        let no_vars: Vec<(String, String)> = Vec::new();
        let trace = evaluate_only_except(
            None,
            Some(&refs(&["main"])),
            &branch("main", "push"),
            &no_vars,
            &Limits::default(),
        );
        assert!(!trace.included);
        assert_eq!(
            trace.to_string(),
            "except holds: refs item `main` matches (the ref name)"
        );
    }
}
