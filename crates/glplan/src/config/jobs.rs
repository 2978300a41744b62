//! The composition of one job or trigger job from its mapping: keyword allow-lists, mutual
//! exclusions, every keyword's validation, and the checks GitLab runs on the composed job.

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::yaml::{Entry, Mapping, Node, Value};

use super::check::{Ctx, describe};
use super::memo::JobMemos;
use super::model::{Job, JobKind, Need, SchedulingType};
use super::stages::DEFAULT_JOB_STAGE;
use super::variables::{self, Scope};
use super::{commands, leaf, needs, parallel};

/// Every keyword of a regular job: the 13 it shares with trigger jobs, then its own, then GitLab
/// EE's `secrets`, `dast_configuration` and `identity` (GitLab.com runs EE).
const JOB_KEYS: [&str; 37] = [
    "extends",
    "stage",
    "only",
    "except",
    "rules",
    "variables",
    "inherit",
    "allow_failure",
    "when",
    "needs",
    "resource_group",
    "environment",
    "interruptible",
    "tags",
    "script",
    "image",
    "services",
    "start_in",
    "artifacts",
    "cache",
    "dependencies",
    "before_script",
    "after_script",
    "hooks",
    "coverage",
    "retry",
    "parallel",
    "timeout",
    "release",
    "id_tokens",
    "publish",
    "pages",
    "manual_confirmation",
    "run",
    "secrets",
    "dast_configuration",
    "identity",
];

/// Every keyword of a trigger job: the 13 shared ones, then `trigger` and `parallel`.
const BRIDGE_KEYS: [&str; 15] = [
    "extends",
    "stage",
    "only",
    "except",
    "rules",
    "variables",
    "inherit",
    "allow_failure",
    "when",
    "needs",
    "resource_group",
    "environment",
    "interruptible",
    "trigger",
    "parallel",
];

/// Returns the keywords a job of `kind` accepts.
pub(crate) fn allowed_keys(kind: JobKind) -> &'static [&'static str] {
    match kind {
        JobKind::Job => &JOB_KEYS,
        JobKind::Bridge => &BRIDGE_KEYS,
    }
}

/// Facts about the whole configuration that change how a job is checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context {
    /// Whether `workflow:rules` exists; without it GitLab warns about a trailing `when:` rule.
    pub workflow_has_rules: bool,
}

/// Composes one job from its mapping. Keywords that fail validation are reported and left
/// out, so the job is always returned.
pub(crate) fn parse<'t>(
    name: &str,
    key_span: Span,
    map: &'t Mapping,
    kind: JobKind,
    context: Context,
    memos: &mut JobMemos<'t>,
    cx: &mut Ctx,
) -> Job {
    let path = format!("jobs:{name}");
    let allowed = allowed_keys(kind);
    let written = Written::scan(map, allowed);

    // Checks on the mapping as a whole, before any keyword.
    if written.unknown {
        cx.check_keys(&path, map, allowed);
    }
    check_exclusive(&path, &written, kind, cx);
    // GitLab's `has_rules?` counts the key even when it is null; the exclusions below only
    // apply to a non-null value.
    let has_rules = written.has("rules");
    if written.present("rules").is_some() {
        check_rules_exclusive(&path, &written, cx);
    }

    let mut job = Job::new(name.to_owned(), kind, key_span);
    job.meta.keyword_spans.reserve(written.entries.len());
    // One buffer for every keyword's path (`jobs:<name>:<keyword>`), so that a job with many
    // keywords does not allocate a path for each.
    let mut keyword_path = String::with_capacity(path.len() + 24);
    keyword_path.push_str(&path);
    keyword_path.push(':');
    for &(_, keyword, entry) in &written.entries {
        // GitLab treats a keyword whose value is null as not written.
        let Some(keyword) = keyword.filter(|_| !entry.value.is_null()) else {
            continue;
        };
        job.meta.keyword_spans.push((keyword, entry.value.span));
        keyword_path.truncate(path.len() + 1);
        keyword_path.push_str(keyword);
        parse_keyword(
            &mut job,
            &path,
            &keyword_path,
            keyword,
            &entry.value,
            memos,
            cx,
        );
    }

    if written.present("stage").is_none() {
        job.stage = DEFAULT_JOB_STAGE.to_owned();
    }

    // GitLab's default `only`, which `rules` and `workflow:rules` switch off.
    let default_only = !has_rules && !context.workflow_has_rules;
    if default_only && job.only.is_none() && written.present("only").is_none() {
        job.only = Some(leaf::default_only());
        job.implicit_only = true;
    }

    // Checks GitLab runs once the keywords are composed.
    job.scheduling_type = scheduling_type(&job, &written);
    check_script_present(&path, &job, &written, key_span, cx);
    check_start_in(&path, &mut job, &written, has_rules, cx);
    check_bridge_target(&path, &job, &written, key_span, cx);
    check_publish(&path, &job, &written, cx);
    check_dependencies_in_needs(&path, &job, cx);
    if !context.workflow_has_rules && job.rules.is_some() {
        warn_trailing_when_rule(&path, &written, cx);
    }
    job
}

/// The string keys of a job's mapping in the order written, each with its keyword from the
/// allow-list when it is one. Scanning once saves hashing the same keys again for every check.
struct Written<'m> {
    entries: Vec<(&'m str, Option<&'static str>, &'m Entry)>,
    /// Whether some key is not a keyword of this kind of job.
    unknown: bool,
}

impl<'m> Written<'m> {
    fn scan(map: &'m Mapping, allowed: &'static [&'static str]) -> Self {
        let mut entries = Vec::with_capacity(map.len());
        let mut unknown = false;
        for (key, entry) in map.entries() {
            let Some(key) = key.as_str() else {
                unknown = true;
                continue;
            };
            let keyword = allowed.iter().copied().find(|a| *a == key);
            unknown |= keyword.is_none();
            entries.push((key, keyword, entry));
        }
        Written { entries, unknown }
    }

    /// Returns whether `key` is written, even with a null value.
    fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _, _)| *k == key)
    }

    /// Returns the value of `key`, which may be null.
    fn value(&self, key: &str) -> Option<&'m Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, e)| &e.value)
    }

    /// Returns the value of `key` unless it is missing or null.
    fn present(&self, key: &str) -> Option<&'m Node> {
        self.value(key).filter(|n| !n.is_null())
    }
}

fn parse_keyword<'t>(
    job: &mut Job,
    path: &str,
    kpath: &str,
    keyword: &'static str,
    node: &'t Node,
    memos: &mut JobMemos<'t>,
    cx: &mut Ctx,
) {
    let kind = job.kind;
    match keyword {
        // An invalid stage was reported; the default keeps the job out of later stage checks.
        "stage" => {
            job.stage = cx
                .string(kpath, node)
                .unwrap_or_else(|| DEFAULT_JOB_STAGE.to_owned());
        }
        "extends" => job.extends = extends(path, node, cx),
        "inherit" => job.inherit = leaf::inherit(kpath, node, cx),
        "image" => job.image = memos.image.parse_shared(kpath, node, cx, leaf::image),
        "services" => job.services = memos.services.parse_shared(kpath, node, cx, leaf::services),
        "before_script" => {
            job.before_script = memos
                .before_script
                .parse_shared(kpath, node, cx, commands::parse);
        }
        "script" => job.script = commands::parse(kpath, node, cx).map(Arc::new),
        "after_script" => {
            job.after_script = memos
                .after_script
                .parse_shared(kpath, node, cx, commands::parse);
        }
        "run" => job.run = leaf::run(kpath, node, cx),
        "hooks" => job.hooks = leaf::hooks(kpath, node, cx),
        "variables" => job.variables = variables::parse(kpath, node, Scope::Job, cx),
        "tags" => job.tags = memos.tags.parse_shared(kpath, node, cx, leaf::tags),
        "when" => job.when = leaf::when(kpath, node, kind == JobKind::Bridge, cx),
        // Validated with `when` once the whole job is read; see `check_start_in`.
        "start_in" => {}
        "manual_confirmation" => {
            job.manual_confirmation = leaf::manual_confirmation(kpath, node, cx);
        }
        "allow_failure" => job.allow_failure = allow_failure(path, kpath, node, kind, cx),
        "rules" => job.rules = memos.rules.parse_shared(kpath, node, cx, leaf::rules),
        "only" => job.only = memos.only.parse(kpath, node, cx, leaf::only),
        "except" => job.except = memos.except.parse(kpath, node, cx, leaf::except),
        "needs" => {
            let context = match kind {
                JobKind::Job => needs::Context::Job,
                JobKind::Bridge => needs::Context::Bridge,
            };
            job.needs = needs::parse(kpath, node, context, cx);
        }
        "dependencies" => job.dependencies = leaf::dependencies(kpath, node, cx),
        "cache" => job.cache = memos.cache.parse_shared(kpath, node, cx, leaf::cache),
        "artifacts" => job.artifacts = leaf::artifacts(kpath, node, cx).map(Arc::new),
        "environment" => job.environment = leaf::environment(kpath, node, cx),
        "coverage" => job.coverage = leaf::coverage(kpath, node, cx),
        "retry" => job.retry = memos.retry.parse_shared(kpath, node, cx, leaf::retry),
        "timeout" => job.timeout = memos.timeout.parse(kpath, node, cx, leaf::timeout),
        "interruptible" => job.interruptible = leaf::interruptible(kpath, node, cx),
        "resource_group" => job.resource_group = leaf::resource_group(kpath, node, cx),
        "parallel" => {
            job.parallel = parallel::parse(kpath, node, Some(kind), cx).map(Arc::new);
        }
        "trigger" => job.trigger = leaf::trigger(kpath, node, cx),
        "release" => job.release = leaf::release(kpath, node, cx),
        "pages" => job.pages = leaf::pages(kpath, node, cx),
        "publish" => job.publish = leaf::publish(kpath, node, cx),
        "id_tokens" => job.id_tokens = leaf::id_tokens(kpath, node, cx),
        "secrets" => job.secrets = leaf::secrets(kpath, node, cx),
        "identity" => job.identity = leaf::identity(kpath, node, cx),
        "dast_configuration" => job.dast_configuration = leaf::dast_configuration(kpath, node, cx),
        _ => {}
    }
}

/// `script` and `trigger`, `run` and `trigger`, and in regular jobs `script` and `run`, are
/// mutually exclusive. GitLab counts a key even when its value is null, and lists the keys in
/// the order they are written.
fn check_exclusive(path: &str, written: &Written, kind: JobKind, cx: &mut Ctx) {
    let mut groups: Vec<[&str; 2]> = vec![["script", "trigger"], ["run", "trigger"]];
    if kind == JobKind::Job {
        groups.push(["script", "run"]);
    }
    for group in groups {
        let present: Vec<(&str, Span)> = written
            .entries
            .iter()
            .filter(|(k, _, _)| group.contains(k))
            .map(|(k, _, e)| (*k, e.key_span))
            .collect();
        if present.len() < 2 {
            continue;
        }
        let names: Vec<&str> = present.iter().map(|(k, _)| *k).collect();
        let mut diagnostic = Diagnostic::error(
            "exclusive-keys",
            format!(
                "{path} config these keys cannot be used together: {}",
                names.join(", ")
            ),
        );
        if let Some((_, span)) = present.get(1) {
            diagnostic = diagnostic.with_span(*span);
        }
        if let Some((first, span)) = present.first() {
            diagnostic = diagnostic.with_label(*span, format!("`{first}` is set here"));
        }
        let help = if group.contains(&"trigger") {
            "a trigger job starts a downstream pipeline and runs no commands; split it into two jobs"
        } else {
            "`run` replaces `script`; keep only one of them"
        };
        cx.diags.push(diagnostic.with_help(help));
    }
}

/// Reports `only`, `except` or job-level `start_in` in a job with `rules`, as GitLab's
/// ``config key may not be used with `rules`: only, except``. Null values do not count.
fn check_rules_exclusive(path: &str, written: &Written, cx: &mut Ctx) {
    let used: Vec<(&str, Span)> = written
        .entries
        .iter()
        .filter(|(k, _, e)| !e.value.is_null() && ["only", "except", "start_in"].contains(k))
        .map(|(k, _, e)| (*k, e.key_span))
        .collect();
    let Some((_, first_span)) = used.first() else {
        return;
    };
    let names: Vec<&str> = used.iter().map(|(k, _)| *k).collect();
    let help = if names.contains(&"start_in") {
        "move `start_in` into the rule that sets `when: delayed`, and express `only`/`except` \
         as rules"
    } else {
        "express the `only`/`except` conditions as `rules`"
    };
    let mut diagnostic = Diagnostic::error(
        "rules-exclusive-keys",
        format!(
            "{path} config key may not be used with `rules`: {}",
            names.join(", ")
        ),
    )
    .with_span(*first_span)
    .with_help(help);
    for (_, span) in used.iter().skip(1) {
        diagnostic = diagnostic.with_label(*span, "also not allowed with `rules`");
    }
    cx.diags.push(diagnostic);
}

/// Creates an attribute-level error in GitLab's form `<path> <attribute> <message>`, where
/// the attribute name has its underscores replaced by spaces (`allow failure`).
fn attribute_error(code: &'static str, message: String, span: Span) -> Diagnostic {
    Diagnostic::error(code, message).with_span(span)
}

fn extends(path: &str, node: &Node, cx: &mut Ctx) -> Option<Vec<String>> {
    let names = match &node.value {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Seq(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>(),
        _ => None,
    };
    if names.is_none() {
        let diagnostic = attribute_error(
            "invalid-type",
            format!("{path} extends should be an array of strings or a string"),
            node.span,
        );
        cx.diags.push(diagnostic);
    }
    names
}

/// Regular jobs accept a boolean or `{exit_codes: ...}`; trigger jobs only a boolean.
fn allow_failure(
    path: &str,
    kpath: &str,
    node: &Node,
    kind: JobKind,
    cx: &mut Ctx,
) -> Option<leaf::AllowFailure> {
    let expected = match (&node.value, kind) {
        (Value::Bool(_), _) | (Value::Map(_), JobKind::Job) => None,
        (_, JobKind::Job) => Some("a hash or a boolean value"),
        (_, JobKind::Bridge) => Some("a boolean value"),
    };
    if let Some(expected) = expected {
        let diagnostic = attribute_error(
            "invalid-type",
            format!("{path} allow failure should be {expected}"),
            node.span,
        )
        .with_help(format!("found {} here", describe(node)));
        cx.diags.push(diagnostic);
        return None;
    }
    leaf::allow_failure(kpath, node, cx)
}

/// Regular jobs with a `needs:` key use DAG scheduling; trigger jobs too, unless their need is
/// an upstream pipeline to mirror.
fn scheduling_type(job: &Job, written: &Written) -> SchedulingType {
    if written.present("needs").is_none() {
        return SchedulingType::Stage;
    }
    let mirrors_upstream = job
        .needs
        .iter()
        .flatten()
        .any(|n| matches!(n, Need::Upstream(_)));
    if job.kind == JobKind::Bridge && mirrors_upstream {
        SchedulingType::Stage
    } else {
        SchedulingType::Dag
    }
}

/// Checks that a regular job without `run` has a non-blank `script`, reporting `<path> script
/// can't be blank` otherwise.
fn check_script_present(path: &str, job: &Job, written: &Written, key_span: Span, cx: &mut Ctx) {
    if job.kind != JobKind::Job || written.has("run") {
        return;
    }
    let script = written.value("script");
    if script.is_some_and(|s| !s.is_blank()) {
        return;
    }
    let span = script.map_or(key_span, |s| s.span);
    cx.diags.push(
        Diagnostic::error("blank-script", format!("{path} script can't be blank"))
            .with_span(span)
            .with_help("give the job at least one command"),
    );
}

/// `when: delayed` requires a `start_in` duration of at most one week, and `start_in` is only
/// allowed with it and without `rules` (GitLab checks both when the job is delayed and has
/// rules).
fn check_start_in(path: &str, job: &mut Job, written: &Written, has_rules: bool, cx: &mut Ctx) {
    if job.kind != JobKind::Job {
        return;
    }
    let delayed = written.value("when").and_then(Node::as_str) == Some("delayed");
    let start_in = written.present("start_in");
    if delayed {
        match start_in {
            Some(node) => job.start_in = leaf::start_in(&format!("{path}:start_in"), node, cx),
            None => {
                let span = written.value("when").map_or(job.span, |n| n.span);
                cx.diags.push(
                    Diagnostic::error(
                        "invalid-start-in",
                        format!("{path} start in should be a duration"),
                    )
                    .with_span(span)
                    .with_help("`when: delayed` needs `start_in`, such as `start_in: 30 minutes`"),
                );
            }
        }
    }
    if (has_rules || !delayed)
        && let Some(node) = start_in.filter(|n| !n.is_blank())
    {
        let help = if has_rules {
            "with `rules`, set `start_in` in the rule that sets `when: delayed`"
        } else {
            "`start_in` is only used with `when: delayed`"
        };
        cx.diags.push(
            Diagnostic::error("invalid-start-in", format!("{path} start in must be blank"))
                .with_span(node.span)
                .with_help(help),
        );
    }
}

/// Checks that a trigger job has `trigger`, or one `needs:pipeline` naming an upstream
/// project to mirror. A written but invalid `trigger` counts as present, because GitLab treats
/// any non-null value as specified and reports only the trigger's own error.
fn check_bridge_target(path: &str, job: &Job, written: &Written, key_span: Span, cx: &mut Ctx) {
    if job.kind != JobKind::Bridge {
        return;
    }
    let upstream: Vec<Span> = job
        .needs
        .iter()
        .flatten()
        .filter_map(|n| match n {
            Need::Upstream(u) => Some(u.span),
            _ => None,
        })
        .collect();
    if written.present("trigger").is_none() && upstream.is_empty() {
        cx.diags.push(
            Diagnostic::error(
                "missing-trigger",
                format!("{path} config should contain either a trigger or a needs:pipeline"),
            )
            .with_span(key_span)
            .with_help(
                "a job without `script` or `run` is a trigger job; add `script:` to run commands",
            ),
        );
    }
    if upstream.len() > 1 {
        let mut diagnostic = Diagnostic::error(
            "too-many-bridge-needs",
            format!("{path} config should contain at most one bridge need"),
        );
        if let Some(span) = upstream.get(1) {
            diagnostic = diagnostic.with_span(*span);
        }
        cx.diags.push(diagnostic);
    }
}

/// `publish` belongs to Pages jobs: jobs with a present `pages:`, or a job named `pages`
/// unless it sets `pages: false`.
fn check_publish(path: &str, job: &Job, written: &Written, cx: &mut Ctx) {
    let Some(publish) = written.value("publish").filter(|n| !n.is_blank()) else {
        return;
    };
    let pages = written.value("pages");
    let pages_job = pages.is_some_and(|p| !p.is_blank())
        || (job.name == "pages" && pages.and_then(Node::as_bool) != Some(false));
    if !pages_job {
        cx.diags.push(
            Diagnostic::error(
                "publish-outside-pages",
                format!("{path} publish can only be used within a `pages` job"),
            )
            .with_span(publish.span)
            .with_help("add `pages: true` to make this a Pages job"),
        );
    }
}

/// With both `dependencies` and `needs`, every dependency must also be a same-pipeline need.
fn check_dependencies_in_needs(path: &str, job: &Job, cx: &mut Ctx) {
    let Some(dependencies) = job.dependencies.as_ref().filter(|d| !d.is_empty()) else {
        return;
    };
    let Some(needs) = job.needs.as_ref().filter(|n| !n.is_empty()) else {
        return;
    };

    let job_needs: Vec<&str> = needs
        .iter()
        .filter_map(Need::as_job)
        .map(|n| n.job.as_str())
        .collect();
    if job_needs.is_empty()
        && needs
            .iter()
            .any(|n| matches!(n, Need::Project(_) | Need::Pipeline(_)))
    {
        cx.diags.push(
            Diagnostic::error(
                "dependencies-not-in-needs",
                format!(
                    "{path} needs corresponding to dependencies must be from the same pipeline"
                ),
            )
            .with_span(job.keyword_span("needs").unwrap_or(job.span)),
        );
        return;
    }

    let missing: Vec<&leaf::Dependency> = dependencies
        .iter()
        .filter(|d| !job_needs.contains(&d.job.as_str()))
        .collect();
    let Some(first) = missing.first() else {
        return;
    };

    let names: Vec<&str> = missing.iter().map(|d| d.job.as_str()).collect();
    let span = first.span;
    let mut diagnostic = Diagnostic::error(
        "dependencies-not-in-needs",
        format!(
            "{path} dependencies the {} should be part of needs",
            names.join(", ")
        ),
    )
    .with_span(span)
    .with_help(
        "add them to `needs`, or drop `dependencies`, since with `needs` artifacts come from the \
         needed jobs",
    );
    if let Some(needs_span) = job.keyword_span("needs") {
        diagnostic = diagnostic.with_label(needs_span, "`needs` is set here");
    }
    cx.diags.push(diagnostic);
}

/// Without `workflow:rules`, a last rule that has only a `when:` other than `never` matches
/// every pipeline, so a push to a branch with an open merge request runs the job twice.
fn warn_trailing_when_rule(path: &str, written: &Written, cx: &mut Ctx) {
    let Some(rules) = written.value("rules") else {
        return;
    };
    let max = cx.limits.max_nested_array_depth;
    let is_hash = |n: &Node| matches!(n.value, Value::Map(_));
    let Ok(flat) = commands::flatten(rules, max, &is_hash) else {
        return;
    };
    let Some(last) = flat.last().and_then(|n| n.as_map()) else {
        return;
    };
    let keys: Vec<&str> = last
        .iter()
        .filter(|(_, v)| !v.is_null())
        .filter_map(|(k, _)| k.as_str())
        .collect();
    let when = last.get("when").and_then(Node::as_str);
    if keys == ["when"] && when.is_some_and(|w| w != "never") {
        let span = last.get("when").map_or(rules.span, |n| n.span);
        cx.diags.push(
            Diagnostic::warning(
                "rules-when-without-workflow-rules",
                format!(
                    "{path} may allow multiple pipelines to run for a single action due to \
                     `rules:when` clause with no `workflow:rules` - read more: \
                     https://docs.gitlab.com/ee/ci/jobs/job_troubleshooting.html\
                     #job-may-allow-multiple-pipelines-to-run-for-a-single-action-warning"
                ),
            )
            .with_span(span)
            .with_help(
                "add `workflow:rules` that choose between branch and merge request pipelines",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{build, build_with, build_yaml, valid};
    use super::*;
    use crate::config::When;
    use crate::limits::Limits;

    #[test]
    fn unknown_key_suggests() {
        let built = build(json!({"build": {"script": "x", "scirpt": "y"}}));
        assert_eq!(
            built.errors(),
            ["jobs:build config contains unknown keys: scirpt"]
        );
        let diagnostic = built.diagnostic("jobs:build config contains unknown keys: scirpt");
        assert_eq!(diagnostic.help.as_deref(), Some("did you mean `script`?"));
    }

    #[test]
    fn bridge_rejects_job_keywords() {
        let built = build(json!({"deploy": {"trigger": "a/b", "image": "ruby", "tags": ["x"]}}));
        assert_eq!(
            built.errors(),
            ["jobs:deploy config contains unknown keys: image, tags"]
        );
    }

    #[test]
    fn legacy_type_is_unknown() {
        let built = build(json!({"build": {"script": "x", "type": "build"}}));
        assert_eq!(
            built.errors(),
            ["jobs:build config contains unknown keys: type"]
        );
    }

    #[test]
    fn trigger_with_script() {
        // T5.14: `bad` has `script`, so it is a regular job, where `trigger` is unknown.
        let built = build_yaml(
            "variables: {GLOBAL: g}\n\
             child:\n  stage: test\n  trigger:\n    include: ci/child.yml\n    strategy: depend\n  \
             variables: {FOR_CHILD: \"1\"}\n\
             multi:\n  trigger: {project: group/other, branch: stable, forward: {pipeline_variables: true}}\n\
             bad:\n  trigger: group/other\n  script: x\n",
        );
        assert_eq!(
            built.errors(),
            [
                "jobs:bad config contains unknown keys: trigger",
                "jobs:bad config these keys cannot be used together: trigger, script",
            ]
        );
        assert_eq!(built.job("child").kind, JobKind::Bridge);
        assert_eq!(built.job("multi").kind, JobKind::Bridge);
        assert_eq!(built.job("child").variables["FOR_CHILD"].value, "1");
    }

    #[test]
    fn script_with_run() {
        let built = build(json!({"a": {"script": "x", "run": [{"name": "s", "script": "y"}]}}));
        assert_eq!(
            built.errors(),
            ["jobs:a config these keys cannot be used together: script, run"]
        );
    }

    #[test]
    fn exclusive_counts_null_values() {
        let built = build(json!({"a": {"script": "x", "run": null}}));
        assert_eq!(
            built.errors(),
            ["jobs:a config these keys cannot be used together: script, run"]
        );
    }

    #[test]
    fn rules_with_only_and_except() {
        let built = build(json!({"a": {
            "script": "x",
            "rules": [{"when": "never"}],
            "only": ["main"],
            "except": ["tags"],
        }}));
        assert_eq!(
            built.errors(),
            ["jobs:a config key may not be used with `rules`: only, except"]
        );
    }

    #[test]
    fn rules_with_null_only() {
        valid(json!({"a": {"script": "x", "rules": [{"when": "never"}], "only": null}}));
    }

    #[test]
    fn rules_with_start_in() {
        let built = build(json!({"a": {
            "script": "x",
            "rules": [{"when": "never"}],
            "start_in": "1 day",
        }}));
        assert_eq!(
            built.errors(),
            [
                "jobs:a config key may not be used with `rules`: start_in",
                "jobs:a start in must be blank",
            ]
        );
    }

    #[test]
    fn job_when_values() {
        let built = build(json!({"a": {"script": "x", "when": "never"}}));
        assert_eq!(
            built.errors(),
            ["jobs:a when should be one of: on_success, on_failure, always, manual, delayed"]
        );
        let built = valid(json!({"a": {"script": "x", "when": "manual"}}));
        assert_eq!(built.job("a").when, Some(When::Manual));
    }

    #[test]
    fn bridge_when_values() {
        let built = build(json!({"t": {"trigger": "p", "when": "delayed"}}));
        assert_eq!(
            built.errors(),
            ["jobs:t when should be one of: on_success, on_failure, always, manual"]
        );
    }

    #[test]
    fn start_in_without_delayed() {
        let built = build(json!({"a": {"script": "x", "start_in": "1 day"}}));
        assert_eq!(built.errors(), ["jobs:a start in must be blank"]);
        let diagnostic = built.diagnostic("jobs:a start in must be blank");
        assert_eq!(diagnostic.span, Some(built.at(&["a", "start_in"]).span));
    }

    #[test]
    fn delayed_without_start_in() {
        let built = build(json!({"a": {"script": "x", "when": "delayed"}}));
        assert_eq!(built.errors(), ["jobs:a start in should be a duration"]);
    }

    #[test]
    fn delayed_with_start_in() {
        let built =
            valid(json!({"a": {"script": "x", "when": "delayed", "start_in": "10 minutes"}}));
        let start_in = built.job("a").start_in.clone().unwrap();
        assert_eq!(start_in.seconds, 600);
        assert_eq!(built.job("a").when, Some(When::Delayed));
    }

    #[test]
    fn script_forms() {
        let built = valid(json!({
            "a": {"script": "make"},
            "b": {"script": ["a", ["b", ["c"]], "d"]},
        }));
        assert_eq!(
            built.job("a").script.as_deref(),
            Some(&vec!["make".to_owned()])
        );
        let flat: Vec<&str> = built
            .job("b")
            .script
            .iter()
            .flat_map(|script| script.iter())
            .map(String::as_str)
            .collect();
        assert_eq!(flat, ["a", "b", "c", "d"]);
    }

    fn nested(depth: usize) -> serde_json::Value {
        let mut value = json!("echo");
        for _ in 0..depth {
            value = json!([value]);
        }
        value
    }

    #[test]
    fn script_depth_limit() {
        let built = valid(json!({"a": {"script": nested(10)}}));
        assert_eq!(
            built.job("a").script.as_deref(),
            Some(&vec!["echo".to_owned()])
        );

        let built = build(json!({"a": {"script": nested(11)}}));
        assert_eq!(
            built.errors(),
            [
                "jobs:a:script config should be a string or a nested array of strings up to 10 levels deep"
            ]
        );
    }

    #[test]
    fn script_line_read_as_hash() {
        let built = build(json!({"a": {"script": ["echo ok", {"echo status": "ok"}]}}));
        let message = "jobs:a:script config should be a string or a nested array of strings up to 10 levels deep";
        assert_eq!(built.errors(), [message]);
        let diagnostic = built.diagnostic(message);
        assert_eq!(diagnostic.span, Some(built.at(&["a", "script", "1"]).span));
        assert!(diagnostic.help.as_deref().unwrap().contains("quote it"));
    }

    #[test]
    fn before_and_after_script() {
        let built = valid(json!({"a": {
            "script": "x",
            "before_script": [["b1"], "b2"],
            "after_script": "after",
        }}));
        assert_eq!(
            built.job("a").before_script.as_deref(),
            Some(&vec!["b1".to_owned(), "b2".to_owned()])
        );
        assert_eq!(
            built.job("a").after_script.as_deref(),
            Some(&vec!["after".to_owned()])
        );
    }

    #[test]
    fn blank_script() {
        for blank in [json!([]), json!(null), json!("")] {
            let built = build(json!({"a": {"script": blank.clone()}}));
            assert_eq!(
                built.errors(),
                ["jobs:a script can't be blank"],
                "script {blank}"
            );
        }
    }

    #[test]
    fn run_needs_no_script() {
        let built = valid(json!({"a": {"run": [{"name": "s", "step": "x"}]}}));
        assert!(built.job("a").run.is_some());
        let built = build(json!({"a": {"run": "make"}}));
        assert_eq!(built.errors(), ["jobs:a run value at root is not an array"]);
    }

    #[test]
    fn rules_flattened() {
        let built = valid(json!({"a": {
            "script": "x",
            "rules": [[{"if": "$A"}, [{"if": "$B"}]], {"when": "never"}],
        }}));
        let rules = built.job("a").rules.clone().unwrap();
        let conditions: Vec<Option<&str>> = rules
            .iter()
            .map(|r| r.if_expr.as_ref().map(|e| e.text.as_str()))
            .collect();
        assert_eq!(conditions, [Some("$A"), Some("$B"), None]);
    }

    #[test]
    fn rules_not_array() {
        let built = build(json!({"a": {"script": "x", "rules": {"if": "$A"}}}));
        assert_eq!(
            built.errors(),
            ["jobs:a rules should be an array containing hashes and arrays of hashes"]
        );
    }

    #[test]
    fn rules_empty() {
        let built = build(json!({"a": {"script": "x", "rules": []}}));
        assert_eq!(built.errors(), ["jobs:a:rules config can't be blank"]);
    }

    #[test]
    fn stage_default_and_type() {
        let built = valid(json!({"a": {"script": "x"}, "b": {"script": "x", "stage": "build"}}));
        assert_eq!(built.job("a").stage, "test");
        assert_eq!(built.job("b").stage, "build");

        let built = build(json!({"a": {"script": "x", "stage": 1}}));
        assert_eq!(built.errors(), ["jobs:a:stage config should be a string"]);
    }

    #[test]
    fn tags_limit() {
        let tags: Vec<String> = (0..49).map(|i| format!("t{i}")).collect();
        valid(json!({"a": {"script": "x", "tags": tags}}));

        let tags: Vec<String> = (0..50).map(|i| format!("t{i}")).collect();
        let built = build(json!({"a": {"script": "x", "tags": tags}}));
        assert_eq!(
            built.errors(),
            ["jobs:a:tags config must be less than the limit of 50 tags"]
        );
    }

    #[test]
    fn tags_type() {
        let built = build(json!({"a": {"script": "x", "tags": "docker"}}));
        assert_eq!(
            built.errors(),
            ["jobs:a:tags config should be an array of strings"]
        );
    }

    #[test]
    fn attribute_types() {
        let cases = [
            (
                "dependencies",
                json!("b"),
                "jobs:a dependencies should be an array of strings",
            ),
            (
                "resource_group",
                json!(1),
                "jobs:a resource group should be a string",
            ),
            (
                "manual_confirmation",
                json!(true),
                "jobs:a manual confirmation should be a string",
            ),
            (
                "extends",
                json!(1),
                "jobs:a extends should be an array of strings or a string",
            ),
            (
                "interruptible",
                json!("yes"),
                "jobs:a:interruptible config should be a boolean value",
            ),
            (
                "publish",
                json!(1),
                "jobs:a:publish config should be a string",
            ),
        ];
        for (key, value, message) in cases {
            let built = build(json!({"a": {"script": "x", "pages": true, key: value}}));
            assert_eq!(built.errors(), [message], "key {key}");
        }
    }

    #[test]
    fn extends_kept() {
        let built = valid(json!({"a": {"script": "x", "extends": ".base"}}));
        assert_eq!(built.job("a").extends, Some(vec![".base".to_owned()]));
    }

    #[test]
    fn dependencies_not_in_needs() {
        let built = build(json!({
            "b": {"stage": "build", "script": "x"},
            "c": {"stage": "build", "script": "x"},
            "a": {"script": "x", "needs": ["b"], "dependencies": ["b", "c"]},
        }));
        assert_eq!(
            built.errors(),
            ["jobs:a dependencies the c should be part of needs"]
        );
        let diagnostic = built.diagnostic("jobs:a dependencies the c should be part of needs");
        assert_eq!(
            diagnostic.span,
            Some(built.at(&["a", "dependencies", "1"]).span)
        );
    }

    #[test]
    fn dependencies_with_cross_pipeline_needs() {
        let built = build(json!({
            "b": {"stage": "build", "script": "x"},
            "a": {
                "script": "x",
                "needs": [{"pipeline": "$PARENT_PIPELINE_ID", "job": "gen"}],
                "dependencies": ["b"],
            },
        }));
        assert_eq!(
            built.errors(),
            ["jobs:a needs corresponding to dependencies must be from the same pipeline"]
        );
    }

    #[test]
    fn dependencies_with_empty_needs() {
        valid(json!({
            "b": {"stage": "build", "script": "x"},
            "a": {"script": "x", "needs": [], "dependencies": ["b"]},
        }));
    }

    #[test]
    fn bridge_needs_target() {
        let built = build(json!({
            "b": {"script": "x", "stage": "build"},
            "a": {"needs": ["b"]},
        }));
        assert_eq!(
            built.errors(),
            ["jobs:a config should contain either a trigger or a needs:pipeline"]
        );
    }

    #[test]
    fn bridge_mirrors_upstream() {
        let built = valid(json!({"mirror": {"needs": {"pipeline": "group/upstream"}}}));
        let job = built.job("mirror");
        assert_eq!(job.kind, JobKind::Bridge);
        assert_eq!(job.scheduling_type, SchedulingType::Stage);
        assert!(
            matches!(job.needs.as_deref(), Some([Need::Upstream(u)]) if u.pipeline == "group/upstream")
        );
    }

    #[test]
    fn bridge_invalid_trigger_is_present() {
        // GitLab reports only the trigger's own error, because an invalid `trigger` is still
        // specified.
        let cases = [
            json!({"project": "g/p", "strategy": "wait"}),
            json!({"include": 5}),
            json!({"project": "g/p", "bogus": 1}),
            json!({"include": [{"local": "a.yml", "bogus": 1}]}),
            json!({"project": "g/p", "forward": {"x": 1}}),
            json!({"include": ["a.yml", "b.yml", "c.yml", "d.yml"]}),
            json!(5),
            json!(""),
        ];
        for trigger in cases {
            let built = build(json!({"t": {"trigger": trigger}}));
            let errors = built.errors();
            assert!(!errors.is_empty(), "no error for trigger {trigger}");
            assert!(
                errors.iter().all(|e| !e.contains("either a trigger")),
                "trigger {trigger} gave {errors:?}"
            );
        }
    }

    #[test]
    fn bridge_null_trigger_is_missing() {
        let built = build(json!({"t": {"trigger": null}}));
        assert_eq!(
            built.errors(),
            ["jobs:t config should contain either a trigger or a needs:pipeline"]
        );
    }

    #[test]
    fn bridge_two_upstreams() {
        let built = build(json!({"m": {"needs": [{"pipeline": "a/b"}, {"pipeline": "c/d"}]}}));
        assert_eq!(
            built.errors(),
            ["jobs:m config should contain at most one bridge need"]
        );
    }

    #[test]
    fn bridge_with_trigger_and_needs_is_dag() {
        let built = valid(json!({
            "b": {"script": "x", "stage": "build"},
            "t": {"trigger": "a/b", "needs": ["b"]},
        }));
        assert_eq!(built.job("t").scheduling_type, SchedulingType::Dag);
    }

    #[test]
    fn scheduling_type_from_needs() {
        let built = valid(json!({"a": {"script": "x", "needs": []}, "b": {"script": "x"}}));
        assert_eq!(built.job("a").scheduling_type, SchedulingType::Dag);
        assert_eq!(built.job("b").scheduling_type, SchedulingType::Stage);
    }

    #[test]
    fn bridge_allow_failure_boolean() {
        let built = build(json!({"t": {"trigger": "p", "allow_failure": {"exit_codes": 1}}}));
        assert_eq!(
            built.errors(),
            ["jobs:t allow failure should be a boolean value"]
        );
        let built = valid(json!({"t": {"trigger": "p", "allow_failure": true}}));
        assert!(built.job("t").allow_failure.is_some());
    }

    #[test]
    fn publish_outside_pages() {
        let built = build(json!({"a": {"script": "x", "publish": "out"}}));
        assert_eq!(
            built.errors(),
            ["jobs:a publish can only be used within a `pages` job"]
        );
        valid(json!({"pages": {"script": "x", "publish": "out"}}));
        valid(json!({"a": {"script": "x", "pages": true, "publish": "out"}}));
        let built = build(json!({"pages": {"script": "x", "pages": false, "publish": "out"}}));
        assert_eq!(
            built.errors(),
            ["jobs:pages publish can only be used within a `pages` job"]
        );
    }

    #[test]
    fn coverage_regex() {
        let built = valid(json!({"a": {"script": "x", "coverage": "/Total: (\\d+)%/i"}}));
        assert_eq!(
            built.job("a").coverage.as_deref(),
            Some("/Total: (\\d+)%/i")
        );

        for bad in [json!("Total"), json!("/(/"), json!(1), json!("/a/x")] {
            let built = build(json!({"a": {"script": "x", "coverage": bad.clone()}}));
            assert_eq!(
                built.errors(),
                ["jobs:a:coverage config must be a regular expression with re2 syntax"],
                "coverage {bad}"
            );
        }
    }

    const TRAILING_WHEN: &str = "jobs:a may allow multiple pipelines to run for a single action due to `rules:when` clause with no `workflow:rules` - read more: https://docs.gitlab.com/ee/ci/jobs/job_troubleshooting.html#job-may-allow-multiple-pipelines-to-run-for-a-single-action-warning";

    #[test]
    fn trailing_when_rule_warns() {
        let built =
            valid(json!({"a": {"script": "x", "rules": [{"if": "$A"}, {"when": "always"}]}}));
        assert_eq!(built.warnings(), [TRAILING_WHEN]);
    }

    #[test]
    fn trailing_when_rule_quiet_cases() {
        let cases = [
            json!({"a": {"script": "x", "rules": [{"when": "never"}]}}),
            json!({"a": {"script": "x", "rules": [{"when": "always", "if": "$A"}]}}),
            json!({
                "workflow": {"rules": [{"when": "always"}]},
                "a": {"script": "x", "rules": [{"when": "always"}]},
            }),
        ];
        for case in cases {
            let built = valid(case.clone());
            assert_eq!(built.warnings(), Vec::<&str>::new(), "config {case}");
        }
    }

    #[test]
    fn default_only_refs() {
        let built = valid(json!({
            "plain": {"script": "x"},
            "except_only": {"script": "x", "except": ["tags"]},
            "ruled": {"script": "x", "rules": [{"when": "always", "if": "$A"}]},
            "null_rules": {"script": "x", "rules": null},
        }));
        let refs = |name: &str| built.job(name).only.as_ref().and_then(|o| o.refs.clone());
        assert!(built.job("except_only").implicit_only);
        let default = Some(vec!["branches".to_owned(), "tags".to_owned()]);
        assert_eq!(refs("plain"), default);
        assert_eq!(refs("except_only"), default);
        assert_eq!(refs("ruled"), None);
        assert_eq!(refs("null_rules"), None);
    }

    #[test]
    fn workflow_rules_drop_default_only() {
        let built = valid(json!({
            "workflow": {"rules": [{"when": "always"}]},
            "a": {"script": "x"},
        }));
        assert_eq!(built.job("a").only, None);
    }

    #[test]
    fn null_keyword_is_absent() {
        let built = valid(json!({"a": {"script": "x", "stage": null, "tags": null, "when": null}}));
        assert_eq!(built.job("a").stage, "test");
        assert_eq!(built.job("a").tags, None);
        assert_eq!(built.job("a").when, None);
    }

    #[test]
    fn keyword_span_recorded() {
        let built = valid(json!({"a": {"script": "x", "stage": "build"}}));
        let span = built.job("a").keyword_span("stage");
        assert_eq!(span, Some(built.at(&["a", "stage"]).span));
    }

    #[test]
    fn nested_limit_follows_limits() {
        let limits = Limits {
            max_nested_array_depth: 2,
            ..Limits::default()
        };
        let built = build_with(json!({"a": {"script": [["x"]]}}), &limits);
        assert_eq!(built.errors(), Vec::<&str>::new());
        let built = build_with(json!({"a": {"script": [[["x"]]]}}), &limits);
        assert_eq!(
            built.errors(),
            [
                "jobs:a:script config should be a string or a nested array of strings up to 2 levels deep"
            ]
        );
    }
}
