//! `needs:` of jobs and trigger jobs. The entry types are the keyword parsers' own, which
//! `rules:needs` shares.

use crate::diagnostic::Diagnostic;
use crate::yaml::{Mapping, Node, Value};

use super::check::{Ctx, describe};
use super::model::{
    JobNeed, MatrixSelection, Need, Parallel, PipelineNeed, ProjectNeed, UpstreamNeed,
};
use super::parallel;

/// Where a `needs:` list is written, which decides the kinds of entry it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    /// A regular job: same-pipeline jobs and cross-project or cross-pipeline artifacts.
    Job,
    /// A trigger job: same-pipeline jobs and one upstream pipeline to mirror.
    Bridge,
}

impl Context {
    fn allows(self, kind: &str) -> bool {
        match self {
            Context::Job => kind == "job" || kind == "cross_dependency",
            Context::Bridge => kind == "job" || kind == "bridge",
        }
    }
}

/// GitLab's name for the kind of a need, used in `uses invalid types: ...`.
fn kind_name(need: &Need) -> &'static str {
    match need {
        Need::Job(_) => "job",
        Need::Project(_) | Need::Pipeline(_) => "cross_dependency",
        Need::Upstream(_) => "bridge",
    }
}

/// Parses a non-null `needs:` value at GitLab's entry path `path` (`jobs:deploy:needs`).
/// Entries that fail validation are reported and left out; `None` means the whole value was
/// unusable.
pub(crate) fn parse(path: &str, node: &Node, context: Context, cx: &mut Ctx) -> Option<Vec<Need>> {
    let items: Vec<&Node> = match &node.value {
        Value::Map(map) if map.is_empty() => {
            error(cx, format!("{path} config can not be an empty Hash"), node);
            return None;
        }
        Value::Map(_) => vec![node],
        Value::Seq(_) => {
            // GitLab flattens nested arrays here without a depth limit.
            let mut items = Vec::new();
            flatten_all(node, &mut items);
            items
        }
        _ => {
            error(
                cx,
                format!("{path} config can only be a Hash or an Array"),
                node,
            );
            return None;
        }
    };

    if let Some(number) = items.iter().find_map(|item| numeric_parallel(item)) {
        let message = format!("{path} config cannot use \"parallel: <number>\".");
        cx.diags.push(
            Diagnostic::error("invalid-needs", message)
                .with_span(number.span)
                .with_help("select instances of a parallel job with `parallel: {matrix: [...]}`"),
        );
    }

    // GitLab's entry path for each need; `parse_entry` appends `:need`.
    let needs: Vec<Need> = items
        .into_iter()
        .filter_map(|item| parse_entry(path, item, cx))
        .collect();

    check_kinds(path, &needs, context, cx);
    check_cross_limits(path, node, &needs, cx);
    Some(needs)
}

fn flatten_all<'n>(node: &'n Node, out: &mut Vec<&'n Node>) {
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|item| flatten_all(item, out)),
        _ => out.push(node),
    }
}

fn numeric_parallel(item: &Node) -> Option<&Node> {
    item.get("parallel")
        .filter(|p| matches!(p.value, Value::Int(_) | Value::BigInt(_) | Value::Float(_)))
}

/// Parses one entry, picking its kind as GitLab does (first match wins). A string is a job.
/// A hash with `job` and none of `project`, `ref` or `pipeline` is a job too. With `job` and
/// `pipeline` but no `project`, it is a cross-pipeline need. Without `job` and `project`, it
/// is an upstream pipeline. Anything else with `project` or `ref` is a cross-project need.
/// `needs_path` is the path of the `needs:` list. The entry's own path, `<needs_path>:need`,
/// is built only when a message needs it, because most entries are plain job names.
fn parse_entry(needs_path: &str, item: &Node, cx: &mut Ctx) -> Option<Need> {
    match &item.value {
        Value::String(name) => {
            if name.trim().is_empty() {
                error(cx, format!("{needs_path}:need config can't be blank"), item);
                return None;
            }
            Some(Need::Job(JobNeed {
                job: name.clone(),
                artifacts: true,
                optional: false,
                parallel: None,
                span: item.span,
            }))
        }
        Value::Map(map) => {
            let path = &format!("{needs_path}:need");
            let has = |k: &str| map.contains_key(k);
            if has("job") && !(has("project") || has("ref") || has("pipeline")) {
                job_hash(path, item, map, cx)
            } else if has("job") && has("pipeline") && !has("project") {
                pipeline_hash(path, item, map, cx)
            } else if !has("job") && !has("project") {
                upstream_hash(path, item, map, cx)
            } else {
                project_hash(path, item, map, cx)
            }
        }
        _ => {
            cx.diags.push(
                Diagnostic::error(
                    "invalid-needs",
                    format!("{needs_path}:need has an unsupported type"),
                )
                .with_span(item.span)
                .with_help(format!(
                    "write a job name or a hash with `job:`; found {}",
                    describe(item)
                )),
            );
            None
        }
    }
}

fn job_hash(path: &str, item: &Node, map: &Mapping, cx: &mut Ctx) -> Option<Need> {
    let mut valid = cx.check_keys(path, map, &["job", "artifacts", "optional", "parallel"]);
    let job = required_string(path, "job", item, map, cx);
    let artifacts = optional_bool(path, "artifacts", map, cx, &mut valid).unwrap_or(true);
    let optional = optional_bool(path, "optional", map, cx, &mut valid).unwrap_or(false);
    let parallel = match map.get("parallel").filter(|p| !p.is_null()) {
        // The `needs` level already reported `parallel: <number>`.
        Some(p) if matches!(p.value, Value::Int(_) | Value::BigInt(_) | Value::Float(_)) => None,
        Some(p) => {
            let parsed = parallel::parse(&format!("{path}:parallel"), p, None, cx);
            valid &= parsed.is_some();
            match parsed {
                Some(Parallel::Matrix { matrix }) => Some(MatrixSelection { matrix }),
                _ => None,
            }
        }
        None => None,
    };
    let job = job?;
    valid.then(|| {
        Need::Job(JobNeed {
            job,
            artifacts,
            optional,
            parallel,
            span: item.span,
        })
    })
}

fn pipeline_hash(path: &str, item: &Node, map: &Mapping, cx: &mut Ctx) -> Option<Need> {
    let mut valid = cx.check_keys(path, map, &["pipeline", "job", "artifacts"]);
    let pipeline = required_string(path, "pipeline", item, map, cx);
    let job = required_string(path, "job", item, map, cx);
    let artifacts = optional_bool(path, "artifacts", map, cx, &mut valid).unwrap_or(true);
    let (pipeline, job) = (pipeline?, job?);
    valid.then(|| {
        Need::Pipeline(PipelineNeed {
            pipeline,
            job,
            artifacts,
            span: item.span,
        })
    })
}

fn upstream_hash(path: &str, item: &Node, map: &Mapping, cx: &mut Ctx) -> Option<Need> {
    let valid = cx.check_keys(path, map, &["pipeline"]);
    let pipeline = required_string(path, "pipeline", item, map, cx)?;
    valid.then(|| {
        Need::Upstream(UpstreamNeed {
            pipeline,
            span: item.span,
        })
    })
}

fn project_hash(path: &str, item: &Node, map: &Mapping, cx: &mut Ctx) -> Option<Need> {
    let mut valid = cx.check_keys(path, map, &["project", "ref", "job", "artifacts"]);
    let project = required_string(path, "project", item, map, cx);
    let git_ref = required_string(path, "ref", item, map, cx);
    let job = required_string(path, "job", item, map, cx);
    let artifacts = optional_bool(path, "artifacts", map, cx, &mut valid).unwrap_or(true);
    let (project, git_ref, job) = (project?, git_ref?, job?);
    valid.then(|| {
        Need::Project(ProjectNeed {
            project,
            job,
            git_ref,
            artifacts,
            span: item.span,
        })
    })
}

/// A key that must hold a non-blank string: `<path> job should be a string` or
/// `<path> job can't be blank`.
fn required_string(
    path: &str,
    key: &str,
    item: &Node,
    map: &Mapping,
    cx: &mut Ctx,
) -> Option<String> {
    match map.get(key) {
        Some(Node {
            value: Value::String(s),
            ..
        }) if !s.trim().is_empty() => Some(s.clone()),
        Some(
            node @ Node {
                value: Value::String(_),
                ..
            },
        ) => {
            error(cx, format!("{path} {key} can't be blank"), node);
            None
        }
        Some(node) if !node.is_null() => {
            error(cx, format!("{path} {key} should be a string"), node);
            None
        }
        _ => {
            error(cx, format!("{path} {key} can't be blank"), item);
            None
        }
    }
}

fn optional_bool(
    path: &str,
    key: &str,
    map: &Mapping,
    cx: &mut Ctx,
    valid: &mut bool,
) -> Option<bool> {
    let node = map.get(key).filter(|n| !n.is_null())?;
    match node.value {
        Value::Bool(b) => Some(b),
        _ => {
            error(cx, format!("{path} {key} should be a boolean value"), node);
            *valid = false;
            None
        }
    }
}

/// Reports kinds of entry this place does not accept: `<path> config uses invalid types:
/// cross_dependency`, listing kinds in order of first appearance.
fn check_kinds(path: &str, needs: &[Need], context: Context, cx: &mut Ctx) {
    let mut invalid: Vec<(&'static str, &Need)> = Vec::new();
    for need in needs {
        let kind = kind_name(need);
        if !context.allows(kind) && !invalid.iter().any(|(k, _)| *k == kind) {
            invalid.push((kind, need));
        }
    }
    let Some((_, first)) = invalid.first() else {
        return;
    };
    let kinds: Vec<&str> = invalid.iter().map(|(k, _)| *k).collect();
    let help = match context {
        Context::Job => "only trigger jobs may mirror an upstream pipeline with `needs:pipeline`",
        Context::Bridge => {
            "trigger jobs may not use `needs:project` or `needs:pipeline` with `job`"
        }
    };
    cx.diags.push(
        Diagnostic::error(
            "invalid-needs",
            format!("{path} config uses invalid types: {}", kinds.join(", ")),
        )
        .with_span(first.span())
        .with_help(help),
    );
}

/// At most five cross-pipeline and five cross-project needs per job.
fn check_cross_limits(path: &str, node: &Node, needs: &[Need], cx: &mut Ctx) {
    let limit = cx.limits.max_cross_pipeline_needs;
    let pipelines = needs
        .iter()
        .filter(|n| matches!(n, Need::Pipeline(_)))
        .count();
    let projects = needs
        .iter()
        .filter(|n| matches!(n, Need::Project(_)))
        .count();
    for (count, what) in [
        (pipelines, "needs:pipeline:job"),
        (projects, "needs:project"),
    ] {
        if count > limit {
            cx.diags.push(
                Diagnostic::error(
                    "too-many-cross-needs",
                    format!("{path} config must be less than or equal to {limit}"),
                )
                .with_span(node.span)
                .with_help(format!("found {count} `{what}` entries")),
            );
        }
    }
}

fn error(cx: &mut Ctx, message: String, node: &Node) {
    cx.error("invalid-needs", message, node.span);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{build, valid};
    use super::*;

    #[test]
    fn entry_forms() {
        let built = valid(json!({
            "b": {"stage": "build", "script": "x"},
            "c": {"stage": "build", "script": "x"},
            "a": {"script": "x", "needs": [
                "b",
                {"job": "c", "artifacts": false, "optional": true},
                {"project": "group/other", "job": "lint", "ref": "main"},
                {"pipeline": "$PARENT_PIPELINE_ID", "job": "gen", "artifacts": false},
            ]},
        }));
        let needs = built.job("a").needs.clone().unwrap();
        let Need::Job(b) = &needs[0] else {
            panic!("not a job need: {:?}", needs[0])
        };
        assert_eq!(b.job, "b");
        assert!(b.artifacts);
        assert!(!b.optional);
        let Need::Job(c) = &needs[1] else {
            panic!("not a job need: {:?}", needs[1])
        };
        assert_eq!(c.job, "c");
        assert!(!c.artifacts);
        assert!(c.optional);
        let Need::Project(project) = &needs[2] else {
            panic!("not a project need")
        };
        assert_eq!(project.project, "group/other");
        assert_eq!(project.git_ref, "main");
        assert!(project.artifacts);
        let Need::Pipeline(pipeline) = &needs[3] else {
            panic!("not a pipeline need")
        };
        assert_eq!(pipeline.job, "gen");
        assert!(!pipeline.artifacts);
    }

    #[test]
    fn serialized_forms() {
        let built = valid(json!({
            "b": {"stage": "build", "script": "x"},
            "a": {"script": "x", "needs": ["b", {"project": "p", "job": "j", "ref": "r"}]},
        }));
        let json = serde_json::to_value(built.job("a").needs.as_ref().unwrap()).unwrap();
        assert_eq!(
            json,
            json!([
                {"job": "b", "artifacts": true, "optional": false},
                {"project": "p", "job": "j", "ref": "r", "artifacts": true},
            ])
        );
    }

    #[test]
    fn nested_arrays_flattened() {
        let built = valid(json!({
            "b": {"stage": "build", "script": "x"},
            "c": {"stage": "build", "script": "x"},
            "a": {"script": "x", "needs": [["b"], [["c"]]]},
        }));
        let names: Vec<&str> = built.job("a").job_needs().map(|n| n.job.as_str()).collect();
        assert_eq!(names, ["b", "c"]);
    }

    #[test]
    fn single_hash() {
        let built = valid(json!({
            "b": {"stage": "build", "script": "x"},
            "a": {"script": "x", "needs": {"job": "b"}},
        }));
        assert_eq!(built.job("a").job_needs().count(), 1);
    }

    #[test]
    fn invalid_needs() {
        let cases = [
            (json!({}), "jobs:a:needs config can not be an empty hash"),
            (
                json!("b"),
                "jobs:a:needs config can only be a hash or an array",
            ),
            (json!([1]), "jobs:a:needs:need has an unsupported type"),
            (json!([""]), "jobs:a:needs:need config can't be blank"),
            (
                json!([{"job": 1}]),
                "jobs:a:needs:need job should be a string",
            ),
            (
                json!([{"job": "b", "artifacts": "no"}]),
                "jobs:a:needs:need artifacts should be a boolean value",
            ),
            (
                json!([{"job": "b", "optional": 1}]),
                "jobs:a:needs:need optional should be a boolean value",
            ),
            (
                json!([{"job": "b", "when": "always"}]),
                "jobs:a:needs:need config contains unknown keys: when",
            ),
            (
                json!([{"project": "p", "job": "j"}]),
                "jobs:a:needs:need ref can't be blank",
            ),
            (
                json!([{"pipeline": "other/project"}]),
                "jobs:a:needs config uses invalid types: bridge",
            ),
            (
                json!([{"job": "b", "parallel": 2}]),
                "jobs:a:needs config cannot use \"parallel: <number>\".",
            ),
        ];
        for (needs, message) in cases {
            let built = build(json!({
                "b": {"stage": "build", "script": "x"},
                "a": {"script": "x", "needs": needs.clone()},
            }));
            assert_eq!(built.errors(), [message], "needs {needs}");
        }
    }

    #[test]
    fn bridge_rejects_cross_dependency() {
        let built = build(json!({
            "t": {"trigger": "p", "needs": [{"project": "p", "job": "j", "ref": "r"}]},
        }));
        assert_eq!(
            built.errors(),
            ["jobs:t:needs config uses invalid types: cross_dependency"]
        );
    }

    #[test]
    fn cross_pipeline_limit() {
        let entries = |n: usize| -> Vec<serde_json::Value> {
            (0..n)
                .map(|i| json!({"pipeline": "$PARENT_PIPELINE_ID", "job": format!("j{i}")}))
                .collect()
        };
        valid(json!({"a": {"script": "x", "needs": entries(5)}}));
        let built = build(json!({"a": {"script": "x", "needs": entries(6)}}));
        assert_eq!(
            built.errors(),
            ["jobs:a:needs config must be less than or equal to 5"]
        );
    }

    #[test]
    fn context_kinds() {
        assert!(Context::Job.allows("cross_dependency"));
        assert!(!Context::Job.allows("bridge"));
        assert!(Context::Bridge.allows("bridge"));
        assert!(!Context::Bridge.allows("cross_dependency"));
    }
}
