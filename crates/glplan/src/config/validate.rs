//! Logical validation of the expanded jobs, as GitLab's YAML processor runs it after
//! composition: stages, `dependencies`, `needs` (including `rules:needs`), child-pipeline
//! artifact jobs, `environment:on_stop`, Pages `publish`, and `needs` cycles.
//!
//! GitLab stops at the first of these errors; glplan reports all of them, in GitLab's order
//! for each job.

use crate::hash::HashSet;

use indexmap::IndexMap;

use crate::diagnostic::{Diagnostic, code_span, did_you_mean};
use crate::inputs::ruby;
use crate::source::Span;

use super::check::Ctx;
use super::model::{EnvironmentAction, Job, JobNeed, Need};
use super::stages::Stages;

/// Runs every logical check over `jobs`, which are already expanded.
///
/// The instances of one parallel job share their source, so a mistake in it would be found
/// once per instance. GitLab stops at the first error, which names the first instance, so a
/// problem of an instance is reported only when no earlier instance of the same job had the
/// same code at the same place.
///
/// `failed` names the top-level keys that an earlier phase failed on (a `!reference` or
/// `extends` error). They are not jobs, but naming one in `needs` or `dependencies` is a
/// consequence of that error, not a new one.
pub(crate) fn check(
    stages: &Stages,
    jobs: &IndexMap<String, Job>,
    failed: &HashSet<String>,
    cx: &mut Ctx,
) {
    let incomplete = jobs
        .values()
        .filter(|job| cx.diags.is_failed_value(job.span))
        .map(|job| job.name.as_str())
        .collect();
    let checker = Checker {
        stages,
        jobs,
        failed,
        incomplete,
    };
    let mut reported: HashSet<(&str, &'static str, Option<Span>)> = HashSet::default();
    for job in jobs.values() {
        let earlier = std::mem::take(cx.diags);
        checker.stage(job, cx);
        checker.dependencies(job, cx);
        checker.needs(job, cx);
        checker.child_pipeline_artifacts(job, cx);
        checker.on_stop(job, cx);
        checker.pages_publish(job, cx);
        checker.needs_count(job, cx);
        let found = std::mem::replace(cx.diags, earlier);

        match &job.instance {
            None => cx.diags.extend(found.into_vec()),
            Some(instance) => {
                let base = instance.base_name.as_str();
                for diagnostic in found.into_vec() {
                    if reported.insert((base, diagnostic.code, diagnostic.span)) {
                        cx.diags.push(diagnostic);
                    }
                }
            }
        }
    }
    check_cycles(jobs, cx);
}

struct Checker<'a> {
    stages: &'a Stages,
    jobs: &'a IndexMap<String, Job>,
    failed: &'a HashSet<String>,
    /// Jobs whose `extends` failed, so that they lack what their parents would give them.
    incomplete: HashSet<&'a str>,
}

/// What a job refers to another job for, which decides the message wording.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reference {
    Dependency,
    Need,
}

impl Reference {
    fn word(self) -> &'static str {
        match self {
            Reference::Dependency => "dependency",
            Reference::Need => "need",
        }
    }
}

impl Checker<'_> {
    /// `<job> job: chosen stage <s> does not exist; available stages are <list>`.
    fn stage(&self, job: &Job, cx: &mut Ctx) {
        if self.stages.position(&job.stage).is_some() {
            return;
        }
        let available = self.stages.names.join(", ");
        let help = match did_you_mean(&job.stage, self.stages.names.iter().map(String::as_str)) {
            Some(suggestion) => format!("did you mean {}?", code_span(suggestion)),
            None => format!("add {} to `stages:`", code_span(&job.stage)),
        };
        let mut diagnostic = Diagnostic::error(
            "unknown-stage",
            format!(
                "{} job: chosen stage {} does not exist; available stages are {available}",
                job.name, job.stage
            ),
        )
        .with_span(job.keyword_span("stage").unwrap_or(job.span))
        .with_help(help)
        .missing_definition();
        if let Some(span) = self.stages.span {
            diagnostic = diagnostic.with_label(span, "stages are defined here");
        }
        cx.diags.push(diagnostic);
    }

    fn dependencies(&self, job: &Job, cx: &mut Ctx) {
        for dependency in job.dependencies.iter().flatten() {
            let target = dependency.job.as_str();
            self.reference(
                job,
                target,
                dependency.span,
                Reference::Dependency,
                false,
                cx,
            );
        }
    }

    /// Job needs, then the needs of each rule, each list followed by its duplicate check.
    fn needs(&self, job: &Job, cx: &mut Ctx) {
        let job_needs: Vec<&JobNeed> = job.job_needs().collect();
        self.need_list(job, &job_needs, cx);
        for rule in job.rules.iter().flat_map(|rules| rules.iter()) {
            if let Some(needs) = &rule.needs {
                let rule_needs: Vec<&JobNeed> = needs.iter().filter_map(Need::as_job).collect();
                self.need_list(job, &rule_needs, cx);
            }
        }
    }

    fn need_list(&self, job: &Job, needs: &[&JobNeed], cx: &mut Ctx) {
        for need in needs {
            self.reference(
                job,
                &need.job,
                need.span,
                Reference::Need,
                need.optional,
                cx,
            );
        }

        // `<job> has the following needs duplicated: a, b.`, names in order of first use,
        // each pointing at its second occurrence.
        let duplicated = duplicates(needs);
        let Some((_, first_span)) = duplicated.first() else {
            return;
        };
        let names: Vec<&str> = duplicated.iter().map(|(n, _)| *n).collect();
        cx.diags.push(
            Diagnostic::error(
                "duplicate-needs",
                format!(
                    "{} has the following needs duplicated: {}.",
                    job.name,
                    names.join(", ")
                ),
            )
            .with_span(*first_span)
            .with_help("list each needed job once; a parallel job's name already stands for all of its instances"),
        );
    }

    /// Checks one reference to another job: it exists (unless optional), a needed name fits
    /// the length limit, and the target's stage is not later than the job's.
    fn reference(
        &self,
        job: &Job,
        target: &str,
        span: Span,
        kind: Reference,
        optional: bool,
        cx: &mut Ctx,
    ) {
        let Some(target_job) = self.jobs.get(target) else {
            // An optional need may name a job that an `include:rules` left out.
            if optional || self.failed.contains(target) {
                return;
            }
            let help = match did_you_mean(target, self.jobs.keys().map(String::as_str)) {
                Some(suggestion) => format!("did you mean {}?", code_span(suggestion)),
                None if kind == Reference::Need => {
                    "name a job of this pipeline, or add `optional: true` if it is not always \
                     there"
                        .to_owned()
                }
                None => "name a job of this pipeline".to_owned(),
            };
            cx.diags.push(
                Diagnostic::error(
                    "undefined-job",
                    format!("{} job: undefined {}: {target}", job.name, kind.word()),
                )
                .with_span(span)
                .with_help(help)
                .missing_definition(),
            );
            return;
        };

        let max = cx.limits.max_needed_job_name_length;
        if kind == Reference::Need && target.chars().count() > max {
            cx.diags.push(
                Diagnostic::error(
                    "needed-job-name-too-long",
                    format!(
                        "{} job: need `{target}` name is too long (maximum is {max} characters)",
                        job.name
                    ),
                )
                .with_span(span)
                .with_label(target_job.span, "needed job defined here"),
            );
        }

        // A job whose own stage is unknown was reported above; GitLab never gets here for it.
        let Some(job_stage) = self.stages.position(&job.stage) else {
            return;
        };
        // A target whose `extends` failed lacks its parents' `stage`; that error was reported.
        if self.incomplete.contains(target) {
            return;
        }
        let later = self
            .stages
            .position(&target_job.stage)
            .is_none_or(|target_stage| target_stage > job_stage);
        if later {
            cx.diags.push(
                Diagnostic::error(
                    "reference-to-later-stage",
                    format!(
                        "{} job: {} {target} is not defined in current or prior stages",
                        job.name,
                        kind.word()
                    ),
                )
                .with_span(span)
                .with_label(
                    target_job.span,
                    format!("`{target}` is in stage `{}`", target_job.stage),
                )
                .with_help(format!(
                    "`{}` is in stage `{}`; a job can only refer to jobs of its own or earlier \
                     stages",
                    job.name, job.stage
                )),
            );
        }
    }

    /// `trigger:include:job` in a dynamic child pipeline names a job whose artifact contains the
    /// child configuration; GitLab checks it like a dependency.
    fn child_pipeline_artifacts(&self, job: &Job, cx: &mut Ctx) {
        let Some(trigger) = &job.trigger else {
            return;
        };
        let span = job.keyword_span("trigger").unwrap_or(job.span);
        for target in trigger.artifact_jobs() {
            self.reference(job, target, span, Reference::Dependency, false, cx);
        }
    }

    /// `environment:on_stop` must name a job with the same environment and `action: stop`.
    fn on_stop(&self, job: &Job, cx: &mut Ctx) {
        let Some(environment) = &job.environment else {
            return;
        };
        let Some(on_stop) = environment.on_stop.as_deref() else {
            return;
        };
        let span = job.keyword_span("environment").unwrap_or(job.span);
        let prefix = format!("{} job: on_stop job {on_stop}", job.name);
        let Some(stop_job) = self.jobs.get(on_stop) else {
            if self.failed.contains(on_stop) {
                return;
            }
            cx.diags.push(
                Diagnostic::error("on-stop-undefined", format!("{prefix} is not defined"))
                    .with_span(span)
                    .with_help(format!(
                        "define a job named `{on_stop}` with `environment:action: stop`, or fix \
                         the name in `on_stop`"
                    ))
                    .missing_definition(),
            );
            return;
        };
        let Some(stop_environment) = &stop_job.environment else {
            cx.diags.push(
                Diagnostic::error(
                    "on-stop-without-environment",
                    format!("{prefix} does not have environment defined"),
                )
                .with_span(span)
                .with_label(stop_job.span, "stop job defined here"),
            );
            return;
        };
        if stop_environment.name != environment.name {
            cx.diags.push(
                Diagnostic::error(
                    "on-stop-environment-mismatch",
                    format!("{prefix} have different environment name"),
                )
                .with_span(span)
                .with_label(stop_job.span, "stop job defined here"),
            );
            return;
        }
        // GitLab compares the action as written, so a stop job needs an explicit `action: stop`.
        if stop_environment.action != Some(EnvironmentAction::Stop) {
            cx.diags.push(
                Diagnostic::error(
                    "on-stop-without-stop-action",
                    format!("{prefix} needs to have action stop defined"),
                )
                .with_span(span)
                .with_label(stop_job.span, "stop job defined here")
                .with_help("add `action: stop` to the stop job's `environment:`"),
            );
        }
    }

    /// `publish` and `pages:publish` are two spellings of the same setting.
    fn pages_publish(&self, job: &Job, cx: &mut Ctx) {
        let Some(pages) = &job.pages else {
            return;
        };
        if job.publish.is_none() || pages.publish().is_none() {
            return;
        }
        let name = &job.name;
        cx.diags.push(
            Diagnostic::error(
                "duplicate-publish",
                format!("{name} job: use either {name}:publish or {name}:pages:publish"),
            )
            .with_span(job.keyword_span("publish").unwrap_or(job.span)),
        );
    }

    /// Reports more same-pipeline needs than `ci_needs_size_limit`. GitLab checks this when it
    /// creates the pipeline, after a matching rule's `needs` may have replaced the list. So a
    /// job-level list over the limit is an error unless some rule has `needs`, and a warning
    /// then.
    fn needs_count(&self, job: &Job, cx: &mut Ctx) {
        let count = job.job_needs().count();
        let max = cx.limits.max_needs;
        if count <= max {
            return;
        }
        let message = format!(
            "{}: one job can only need {max} others, but you have listed {count}. See needs \
             keyword documentation for more details",
            job.name
        );
        let replaceable = job
            .rules
            .iter()
            .flat_map(|rules| rules.iter())
            .any(|rule| rule.needs.is_some());
        let diagnostic = if replaceable {
            Diagnostic::warning("too-many-needs", message)
                .with_help("pipelines where no rule with `needs` matches fail with this error")
        } else {
            Diagnostic::error("too-many-needs", message)
                .with_help("a parallel job in `needs` counts once per instance")
        };
        cx.diags
            .push(diagnostic.with_span(job.keyword_span("needs").unwrap_or(job.span)));
    }
}

/// Returns each name listed more than once, in order of first use, with the span of its
/// second occurrence. Short lists, the usual case, are compared pairwise without allocating
/// a map.
fn duplicates<'n>(needs: &[&'n JobNeed]) -> Vec<(&'n str, Span)> {
    let mut duplicated: Vec<(&'n str, Span)> = Vec::new();
    if needs.len() <= 16 {
        for (i, need) in needs.iter().enumerate() {
            let listed = duplicated.iter().any(|(name, _)| *name == need.job);
            let again = needs.iter().skip(i + 1).find(|n| n.job == need.job);
            if let (false, Some(again)) = (listed, again) {
                duplicated.push((need.job.as_str(), again.span));
            }
        }
        return duplicated;
    }
    let mut seen: IndexMap<&str, (usize, Span)> = IndexMap::with_capacity(needs.len());
    for need in needs {
        seen.entry(need.job.as_str())
            .and_modify(|(count, span)| {
                if *count == 1 {
                    *span = need.span;
                }
                *count += 1;
            })
            .or_insert((1, need.span));
    }
    seen.into_iter()
        .filter(|(_, (count, _))| *count > 1)
        .map(|(name, (_, span))| (name, span))
        .collect()
}

/// Reports cycles among job needs as GitLab's `TSort` does: a job that needs itself is a
/// `self-dependency`, and any larger strongly connected component fails the sort. GitLab
/// reports the first one it meets; glplan reports each.
fn check_cycles(jobs: &IndexMap<String, Job>, cx: &mut Ctx) {
    for cycle in find_cycles(jobs) {
        let (message, span) = match &cycle {
            Cycle::SelfDependency(index) => {
                let Some((name, job)) = jobs.get_index(*index) else {
                    continue;
                };
                let span = job
                    .job_needs()
                    .find(|n| &n.job == name)
                    .map_or(job.span, |n| n.span);
                (format!("self-dependency: {name}"), span)
            }
            Cycle::Component(members) => {
                let names: Vec<String> = members
                    .iter()
                    .filter_map(|i| jobs.get_index(*i).map(|(name, _)| ruby::inspect_str(name)))
                    .collect();
                let span = members
                    .first()
                    .and_then(|i| jobs.get_index(*i))
                    .map(|(_, job)| job.keyword_span("needs").unwrap_or(job.span))
                    .unwrap_or_default();
                (
                    format!("topological sort failed: [{}]", names.join(", ")),
                    span,
                )
            }
        };
        let mut diagnostic = Diagnostic::error(
            "needs-cycle",
            format!("The pipeline has circular dependencies: {message}"),
        )
        .with_span(span)
        .with_help("remove one of the `needs` that close the cycle");
        if let Cycle::Component(members) = &cycle {
            for (_, job) in members.iter().skip(1).filter_map(|i| jobs.get_index(*i)) {
                diagnostic = diagnostic.with_label(
                    job.keyword_span("needs").unwrap_or(job.span),
                    format!("`{}` is part of the cycle", job.name),
                );
            }
        }
        cx.diags.push(diagnostic);
    }
}

enum Cycle {
    SelfDependency(usize),
    Component(Vec<usize>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    /// On the DFS stack, with its visit number.
    Open(usize),
    Done,
}

/// One node being explored: its visit number, the next child to look at, and the lowest visit
/// number reachable from it so far.
#[derive(Clone, Copy)]
struct Frame {
    node: usize,
    id: usize,
    next_child: usize,
    low: usize,
}

/// Tarjan's strongly connected components in the order Ruby's `TSort` produces them: nodes are
/// visited in job order and children in `needs` order, and a component's members are listed in
/// the order they were first visited. Needs naming unknown jobs are ignored.
fn find_cycles(jobs: &IndexMap<String, Job>) -> Vec<Cycle> {
    let children: Vec<Vec<usize>> = jobs
        .values()
        .map(|job| {
            job.job_needs()
                .filter_map(|n| jobs.get_index_of(n.job.as_str()))
                .collect()
        })
        .collect();

    let mut state = vec![Visit::New; children.len()];
    let mut next_id = 0;
    let mut stack: Vec<usize> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut cycles = Vec::new();

    let mut open = |node: usize, state: &mut Vec<Visit>, stack: &mut Vec<usize>| {
        let id = next_id;
        next_id += 1;
        if let Some(slot) = state.get_mut(node) {
            *slot = Visit::Open(id);
        }
        stack.push(node);
        Frame {
            node,
            id,
            next_child: 0,
            low: id,
        }
    };

    for root in 0..children.len() {
        if state.get(root) != Some(&Visit::New) {
            continue;
        }
        frames.push(open(root, &mut state, &mut stack));

        while let Some(frame) = frames.last().copied() {
            let kids = children.get(frame.node).map_or(&[][..], Vec::as_slice);
            // Ruby's TSort raises for a self-dependency when it first lists the node's children.
            if frame.next_child == 0 && kids.contains(&frame.node) {
                cycles.push(Cycle::SelfDependency(frame.node));
            }
            if let Some(&child) = kids.get(frame.next_child) {
                let child_state = state.get(child).copied();
                if let Some(top) = frames.last_mut() {
                    top.next_child += 1;
                    if let Some(Visit::Open(child_id)) = child_state {
                        top.low = top.low.min(child_id);
                    }
                }
                if child_state == Some(Visit::New) {
                    frames.push(open(child, &mut state, &mut stack));
                }
                continue;
            }

            frames.pop();
            if let Some(parent) = frames.last_mut() {
                parent.low = parent.low.min(frame.low);
            }
            if frame.low == frame.id {
                let start = stack.iter().rposition(|&n| n == frame.node).unwrap_or(0);
                let component = stack.split_off(start);
                for &member in &component {
                    if let Some(slot) = state.get_mut(member) {
                        *slot = Visit::Done;
                    }
                }
                if component.len() > 1 {
                    cycles.push(Cycle::Component(component));
                }
            }
        }
    }
    cycles
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{build, build_with, build_yaml, valid, valid_yaml};
    use crate::limits::Limits;

    #[test]
    fn unknown_stage() {
        let built = build(json!({"a": {"stage": "deploi", "script": "x"}}));
        let message = "a job: chosen stage deploi does not exist; available stages are .pre, build, test, deploy, .post";
        assert_eq!(built.errors(), [message]);
        let diagnostic = built.diagnostic(message);
        assert_eq!(diagnostic.span, Some(built.at(&["a", "stage"]).span));
        assert_eq!(diagnostic.help.as_deref(), Some("did you mean `deploy`?"));
    }

    #[test]
    fn parallel_stage_error_once() {
        let built = build(json!({
            "stages": ["a", "b"],
            "p": {"script": "x", "parallel": 200},
        }));
        assert_eq!(
            built.errors(),
            [
                "p 1/200 job: chosen stage test does not exist; available stages are .pre, a, b, .post"
            ]
        );
    }

    #[test]
    fn matrix_need_error_once() {
        let built = build(json!({
            "p": {"script": "x", "parallel": {"matrix": [{"V": ["1", "2", "3"]}]}, "needs": ["missing"]},
            "q": {"script": "x", "parallel": 3, "dependencies": ["gone"]},
        }));
        assert_eq!(
            built.errors(),
            [
                "p: [1] job: undefined need: missing",
                "q 1/3 job: undefined dependency: gone",
            ]
        );
    }

    #[test]
    fn empty_stage_name() {
        let built = build(json!({"a": {"stage": "", "script": "x"}}));
        assert_eq!(
            built.errors(),
            [
                "a job: chosen stage  does not exist; available stages are .pre, build, test, deploy, .post"
            ]
        );
    }

    #[test]
    fn dag_with_optional_need() {
        // T5.3, the configuration part: an optional need on a job that rules may drop.
        let built = valid_yaml(
            "stages: [build, test, deploy]\n\
             build-a: {stage: build, script: x}\n\
             build-b: {stage: build, script: x, rules: [{if: $B == \"1\"}]}\n\
             lint: {stage: test, needs: [], script: x}\n\
             test-a: {stage: test, needs: [build-a], script: x}\n\
             deploy: {stage: deploy, script: x, needs: [test-a, {job: build-b, optional: true}]}\n",
        );
        assert_eq!(built.job("deploy").job_needs().count(), 2);
        assert_eq!(built.job("lint").needs.as_deref(), Some(&[][..]));
    }

    #[test]
    fn need_in_later_stage() {
        // T5.4
        let built = build_yaml(
            "a: {stage: build, script: x, needs: [b]}\n\
             b: {stage: test, script: x}\n",
        );
        let message = "a job: need b is not defined in current or prior stages";
        assert_eq!(built.errors(), [message]);
        let diagnostic = built.diagnostic(message);
        assert_eq!(diagnostic.span, Some(built.at(&["a", "needs", "0"]).span));
        assert_eq!(diagnostic.labels[0].span, built.key_span("b"));
    }

    #[test]
    fn need_in_same_stage() {
        valid(json!({
            "a": {"script": "x", "needs": ["b"]},
            "b": {"script": "x"},
        }));
    }

    #[test]
    fn undefined_need() {
        let built =
            build(json!({"a": {"script": "x", "needs": ["buidl"]}, "build": {"script": "x"}}));
        assert_eq!(built.errors(), ["a job: undefined need: buidl"]);
        let help = built
            .diagnostic("a job: undefined need: buidl")
            .help
            .clone();
        assert_eq!(help.as_deref(), Some("did you mean `build`?"));
    }

    #[test]
    fn undefined_need_help_quotes_backtick() {
        let built =
            build(json!({"a": {"script": "x", "needs": ["t`ic"]}, "t`ick": {"script": "x"}}));
        let help = built.diagnostic("a job: undefined need: t`ic").help.clone();
        assert_eq!(help.as_deref(), Some("did you mean ``t`ick``?"));
    }

    #[test]
    fn undefined_optional_need() {
        valid(json!({"a": {"script": "x", "needs": [{"job": "gone", "optional": true}]}}));
    }

    #[test]
    fn duplicated_needs() {
        let built = build(json!({
            "b": {"stage": "build", "script": "x"},
            "c": {"stage": "build", "script": "x"},
            "a": {"script": "x", "needs": ["b", "c", "c", {"job": "b"}]},
        }));
        let message = "a has the following needs duplicated: b, c.";
        assert_eq!(built.errors(), [message]);
        let diagnostic = built.diagnostic(message);
        assert_eq!(diagnostic.span, Some(built.at(&["a", "needs", "3"]).span));
    }

    #[test]
    fn duplicated_needs_long_list() {
        let mut root = serde_json::Map::new();
        let mut needs = Vec::new();
        for i in 0..20 {
            root.insert(format!("j{i}"), json!({"stage": "build", "script": "x"}));
            needs.push(json!(format!("j{i}")));
        }
        needs.push(json!("j3"));
        needs.push(json!("j1"));
        needs.push(json!("j3"));
        root.insert("a".into(), json!({"script": "x", "needs": needs}));
        let built = build(serde_json::Value::Object(root));
        let message = "a has the following needs duplicated: j1, j3.";
        assert_eq!(built.errors(), [message]);
        let diagnostic = built.diagnostic(message);
        assert_eq!(diagnostic.span, Some(built.at(&["a", "needs", "21"]).span));
    }

    #[test]
    fn undefined_dependency() {
        let built = build(json!({"a": {"script": "x", "dependencies": ["nope"]}}));
        assert_eq!(built.errors(), ["a job: undefined dependency: nope"]);
    }

    #[test]
    fn dependency_in_later_stage() {
        let built = build(json!({
            "a": {"stage": "build", "script": "x", "dependencies": ["b"]},
            "b": {"stage": "test", "script": "x"},
        }));
        assert_eq!(
            built.errors(),
            ["a job: dependency b is not defined in current or prior stages"]
        );
    }

    #[test]
    fn dependency_in_same_stage() {
        valid(json!({
            "a": {"script": "x", "dependencies": ["b"]},
            "b": {"script": "x"},
        }));
    }

    #[test]
    fn rules_needs_checked() {
        let built = build(json!({
            "a": {"script": "x", "rules": [{"if": "$A", "needs": ["missing"]}]},
        }));
        assert_eq!(built.errors(), ["a job: undefined need: missing"]);
    }

    #[test]
    fn rules_needs_not_expanded() {
        let built = build(json!({
            "build": {"stage": "build", "script": "x", "parallel": 2},
            "a": {"script": "x", "rules": [{"if": "$A", "needs": ["build"]}]},
        }));
        assert_eq!(built.errors(), ["a job: undefined need: build"]);
    }

    #[test]
    fn child_pipeline_artifact_job() {
        let built = build(json!({
            "child": {"trigger": {"include": [{"artifact": "gen.yml", "job": "generate"}]}},
        }));
        assert_eq!(
            built.errors(),
            ["child job: undefined dependency: generate"]
        );
        valid(json!({
            "generate": {"stage": "build", "script": "x"},
            "child": {"trigger": {"include": [{"artifact": "gen.yml", "job": "generate"}]}},
        }));
    }

    #[test]
    fn needs_cycle() {
        let built = build(json!({
            "a": {"script": "x", "needs": ["b"]},
            "b": {"script": "x", "needs": ["c"]},
            "c": {"script": "x", "needs": ["a"]},
        }));
        let message = "The pipeline has circular dependencies: topological sort failed: [\"a\", \"b\", \"c\"]";
        assert_eq!(built.errors(), [message]);
        assert_eq!(built.diagnostic(message).labels.len(), 2);
    }

    #[test]
    fn needs_cycle_member_order() {
        // The DFS enters at `d`, then `a`; the component lists members in visit order.
        let built = build(json!({
            "d": {"script": "x", "needs": ["a"]},
            "a": {"script": "x", "needs": ["b"]},
            "b": {"script": "x", "needs": ["a"]},
        }));
        assert_eq!(
            built.errors(),
            ["The pipeline has circular dependencies: topological sort failed: [\"a\", \"b\"]"]
        );
    }

    #[test]
    fn self_dependency() {
        let built = build(json!({"a": {"script": "x", "needs": ["a"]}}));
        assert_eq!(
            built.errors(),
            ["The pipeline has circular dependencies: self-dependency: a"]
        );
    }

    #[test]
    fn needs_count_limit() {
        let jobs = |n: usize| {
            let mut root = serde_json::Map::new();
            let names: Vec<String> = (0..n).map(|i| format!("j{i}")).collect();
            for name in &names {
                root.insert(name.clone(), json!({"stage": "build", "script": "x"}));
            }
            root.insert("a".into(), json!({"script": "x", "needs": names}));
            serde_json::Value::Object(root)
        };
        valid(jobs(50));
        let built = build(jobs(51));
        assert_eq!(
            built.errors(),
            [
                "a: one job can only need 50 others, but you have listed 51. See needs keyword documentation for more details"
            ]
        );
    }

    #[test]
    fn needs_count_with_rule_needs_warns() {
        let mut root = serde_json::Map::new();
        let names: Vec<String> = (0..51).map(|i| format!("j{i}")).collect();
        for name in &names {
            root.insert(name.clone(), json!({"stage": "build", "script": "x"}));
        }
        root.insert(
            "a".into(),
            json!({"script": "x", "needs": names, "rules": [{"if": "$A", "needs": ["j0"]}]}),
        );
        let built = build(serde_json::Value::Object(root));
        assert_eq!(built.errors(), Vec::<&str>::new());
        assert_eq!(
            built.warnings(),
            [
                "a: one job can only need 50 others, but you have listed 51. See needs keyword documentation for more details"
            ]
        );
    }

    #[test]
    fn needs_count_follows_limits() {
        let limits = Limits {
            max_needs: 1,
            ..Limits::default()
        };
        let built = build_with(
            json!({
                "b": {"stage": "build", "script": "x", "parallel": 2},
                "a": {"script": "x", "needs": ["b"]},
            }),
            &limits,
        );
        assert_eq!(
            built.errors(),
            [
                "a: one job can only need 1 others, but you have listed 2. See needs keyword documentation for more details"
            ]
        );
    }

    #[test]
    fn needed_name_length() {
        let ok = "n".repeat(128);
        valid(
            json!({ok.clone(): {"stage": "build", "script": "x"}, "a": {"script": "x", "needs": [ok]}}),
        );

        let long = "n".repeat(129);
        let built = build(
            json!({long.clone(): {"stage": "build", "script": "x"}, "a": {"script": "x", "needs": [long.clone()]}}),
        );
        assert_eq!(
            built.errors(),
            [format!(
                "a job: need `{long}` name is too long (maximum is 128 characters)"
            )]
        );
    }

    #[test]
    fn on_stop_checks() {
        let cases = [
            (
                json!({"script": "x"}),
                "deploy job: on_stop job stop does not have environment defined",
            ),
            (
                json!({"script": "x", "environment": {"name": "other", "action": "stop"}}),
                "deploy job: on_stop job stop have different environment name",
            ),
            (
                json!({"script": "x", "environment": "review"}),
                "deploy job: on_stop job stop needs to have action stop defined",
            ),
        ];
        for (stop, message) in cases {
            let built = build(json!({
                "deploy": {"script": "x", "environment": {"name": "review", "on_stop": "stop"}},
                "stop": stop.clone(),
            }));
            assert_eq!(built.errors(), [message], "stop job {stop}");
        }

        let built = build(
            json!({"deploy": {"script": "x", "environment": {"name": "review", "on_stop": "stop"}}}),
        );
        assert_eq!(
            built.errors(),
            ["deploy job: on_stop job stop is not defined"]
        );

        valid(json!({
            "deploy": {"script": "x", "environment": {"name": "review", "on_stop": "stop"}},
            "stop": {"script": "x", "when": "manual", "environment": {"name": "review", "action": "stop"}},
        }));
    }

    #[test]
    fn publish_twice() {
        let built = build(
            json!({"pages": {"script": "x", "publish": "out", "pages": {"publish": "dist"}}}),
        );
        assert_eq!(
            built.errors(),
            ["pages job: use either pages:publish or pages:pages:publish"]
        );
    }
}
