//! The shapes of `needs:` entries, and the `parallel:matrix` shape they share with `parallel:`.
//!
//! The model builder checks that the needed jobs exist, the 50-needs limit and duplicates,
//! because those checks need every job.

use indexmap::IndexMap;
use serde::Serialize;

use super::shape::{
    failed_since, field, field_message, mark, optional_bool, report, report_field_type,
};
use crate::config::check::Ctx;
use crate::source::Span;
use crate::yaml::{Key, Mapping, Node, Value};

/// One `needs:` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Need {
    /// A job of the same pipeline: `name` or `{job, artifacts, optional, parallel}`.
    Job(JobNeed),
    /// Artifacts from another project's latest successful job: `{project, job, ref,
    /// artifacts}` (GitLab Premium).
    Project(ProjectNeed),
    /// Artifacts from a job of another pipeline in the same hierarchy: `{pipeline, job,
    /// artifacts}`.
    Pipeline(PipelineNeed),
    /// A trigger job that mirrors an upstream project's pipeline status: `{pipeline}`.
    Upstream(UpstreamNeed),
}

/// The kinds of needs, named as GitLab names them in `uses invalid types: ...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NeedKind {
    /// Same-pipeline job needs.
    Job,
    /// Project and pipeline needs (GitLab's `cross_dependency`).
    CrossDependency,
    /// Upstream-pipeline needs of trigger jobs (GitLab's `bridge`).
    Bridge,
}

impl NeedKind {
    fn as_str(self) -> &'static str {
        match self {
            NeedKind::Job => "job",
            NeedKind::CrossDependency => "cross_dependency",
            NeedKind::Bridge => "bridge",
        }
    }
}

/// Need kinds a regular job accepts.
pub const JOB_NEED_KINDS: &[NeedKind] = &[NeedKind::Job, NeedKind::CrossDependency];

/// Need kinds a trigger job accepts.
pub const BRIDGE_NEED_KINDS: &[NeedKind] = &[NeedKind::Job, NeedKind::Bridge];

/// Need kinds `rules:needs` accepts.
pub const RULE_NEED_KINDS: &[NeedKind] = &[NeedKind::Job];

impl Need {
    /// Returns the kind, for the per-context check.
    pub fn kind(&self) -> NeedKind {
        match self {
            Need::Job(_) => NeedKind::Job,
            Need::Project(_) | Need::Pipeline(_) => NeedKind::CrossDependency,
            Need::Upstream(_) => NeedKind::Bridge,
        }
    }

    /// Returns the same-pipeline need, when this is one.
    pub fn as_job(&self) -> Option<&JobNeed> {
        match self {
            Need::Job(need) => Some(need),
            _ => None,
        }
    }

    /// Returns the span of the entry.
    pub fn span(&self) -> Span {
        match self {
            Need::Job(need) => need.span,
            Need::Project(need) => need.span,
            Need::Pipeline(need) => need.span,
            Need::Upstream(need) => need.span,
        }
    }
}

/// A need on a job of the same pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobNeed {
    /// Name of the needed job.
    pub job: String,
    /// Whether to download the needed job's artifacts (default `true`).
    pub artifacts: bool,
    /// Whether the need is ignored when the job is not in the pipeline (default `false`).
    pub optional: bool,
    /// `parallel:matrix` selecting instances of a parallel job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel: Option<MatrixSelection>,
    /// Span of the entry.
    #[serde(skip)]
    pub span: Span,
}

/// `needs:parallel:`, which may only be a matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatrixSelection {
    /// One mapping per entry, from identifier to its values (numbers stringified).
    pub matrix: Matrix,
}

/// A `parallel:matrix` list: one mapping per entry, from identifier to values.
pub type Matrix = Vec<IndexMap<String, Vec<String>>>;

/// A need on a job of another project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectNeed {
    /// Full path of the other project.
    pub project: String,
    /// Name of the job there.
    pub job: String,
    /// Branch or tag whose latest successful pipeline is used.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// Whether to download the job's artifacts (default `true`).
    pub artifacts: bool,
    /// Span of the entry.
    #[serde(skip)]
    pub span: Span,
}

/// A need on a job of another pipeline in the same parent-child hierarchy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PipelineNeed {
    /// The pipeline id, usually `$PARENT_PIPELINE_ID`.
    pub pipeline: String,
    /// Name of the job there.
    pub job: String,
    /// Whether to download the job's artifacts (default `true`).
    pub artifacts: bool,
    /// Span of the entry.
    #[serde(skip)]
    pub span: Span,
}

/// The upstream project whose pipeline status a trigger job mirrors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpstreamNeed {
    /// Full path of the upstream project.
    pub pipeline: String,
    /// Span of the entry.
    #[serde(skip)]
    pub span: Span,
}

/// Parses `needs:`: a list of entries, or a single hash (GitLab wraps it in a list). Every
/// kind is accepted here; [`check_kinds`] restricts them per context.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Vec<Need>> {
    let items: Vec<&Node> = match &node.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Map(_) => vec![node],
        _ => {
            report(
                cx,
                "invalid-type",
                format!("{path} config can only be a hash or an array"),
                node.span,
                None,
            );
            return None;
        }
    };
    let start = mark(cx);
    let entry_path = format!("{path}:need");
    let needs: Vec<Need> = items
        .into_iter()
        .filter_map(|item| parse_need(&entry_path, item, cx))
        .collect();
    (!failed_since(cx, start)).then_some(needs)
}

/// Parses `needs:` and checks the kinds in one step.
pub(crate) fn parse_for(
    path: &str,
    node: &Node,
    cx: &mut Ctx,
    allowed: &[NeedKind],
) -> Option<Vec<Need>> {
    let needs = parse(path, node, cx)?;
    check_kinds(path, &needs, allowed, node.span, cx).then_some(needs)
}

/// Reports `<path> config uses invalid types: bridge` when a need kind is not allowed in
/// this context.
pub(crate) fn check_kinds(
    path: &str,
    needs: &[Need],
    allowed: &[NeedKind],
    span: Span,
    cx: &mut Ctx,
) -> bool {
    let mut invalid: Vec<NeedKind> = Vec::new();
    for need in needs {
        let kind = need.kind();
        if !allowed.contains(&kind) && !invalid.contains(&kind) {
            invalid.push(kind);
        }
    }
    if invalid.is_empty() {
        return true;
    }
    let names: Vec<&str> = invalid.iter().map(|k| k.as_str()).collect();
    let help = if invalid.contains(&NeedKind::CrossDependency) {
        "`needs:project` and `needs:pipeline:job` are not allowed here"
    } else {
        "this need form is not allowed here"
    };
    report(
        cx,
        "invalid-need-type",
        format!("{path} config uses invalid types: {}", names.join(", ")),
        span,
        Some(help.to_owned()),
    );
    false
}

fn parse_need(path: &str, node: &Node, cx: &mut Ctx) -> Option<Need> {
    let map = match &node.value {
        Value::String(name) => {
            if name.trim().is_empty() {
                report(
                    cx,
                    "blank-value",
                    format!("{path} config can't be blank"),
                    node.span,
                    None,
                );
                return None;
            }
            return Some(Need::Job(JobNeed {
                job: name.clone(),
                artifacts: true,
                optional: false,
                parallel: None,
                span: node.span,
            }));
        }
        Value::Map(map) => map,
        _ => {
            unsupported(path, node, cx);
            return None;
        }
    };

    // GitLab picks the shape from the keys present, in this order.
    let has = |key: &str| map.contains_key(key);
    if has("job") && !(has("project") || has("ref") || has("pipeline")) {
        parse_job_hash(path, map, node, cx)
    } else if has("job") && has("pipeline") && !has("project") {
        parse_pipeline_need(path, map, node, cx)
    } else if !has("job") && !has("project") {
        parse_upstream_need(path, map, node, cx)
    } else if has("project") || has("ref") {
        parse_project_need(path, map, node, cx)
    } else {
        unsupported(path, node, cx);
        None
    }
}

fn unsupported(path: &str, node: &Node, cx: &mut Ctx) {
    report(
        cx,
        "invalid-need",
        format!("{path} has an unsupported type"),
        node.span,
        Some("write a job name, or a hash with `job:`".to_owned()),
    );
}

fn parse_job_hash(path: &str, map: &Mapping, node: &Node, cx: &mut Ctx) -> Option<Need> {
    let start = mark(cx);
    cx.check_keys(path, map, &["job", "artifacts", "optional", "parallel"]);
    let job = required_string(cx, path, map, "job", node.span);
    let artifacts = optional_bool(cx, path, map, "artifacts").ok().flatten();
    let optional = optional_bool(cx, path, map, "optional").ok().flatten();
    let parallel = field(map, "parallel")
        .and_then(|value| parse_matrix_selection(&format!("{path}:parallel"), value, cx));
    if failed_since(cx, start) {
        return None;
    }
    Some(Need::Job(JobNeed {
        job: job?,
        artifacts: artifacts.unwrap_or(true),
        optional: optional.unwrap_or(false),
        parallel,
        span: node.span,
    }))
}

fn parse_pipeline_need(path: &str, map: &Mapping, node: &Node, cx: &mut Ctx) -> Option<Need> {
    let start = mark(cx);
    cx.check_keys(path, map, &["pipeline", "job", "artifacts"]);
    let pipeline = required_string(cx, path, map, "pipeline", node.span);
    let job = required_string(cx, path, map, "job", node.span);
    let artifacts = optional_bool(cx, path, map, "artifacts").ok().flatten();
    if failed_since(cx, start) {
        return None;
    }
    Some(Need::Pipeline(PipelineNeed {
        pipeline: pipeline?,
        job: job?,
        artifacts: artifacts.unwrap_or(true),
        span: node.span,
    }))
}

fn parse_upstream_need(path: &str, map: &Mapping, node: &Node, cx: &mut Ctx) -> Option<Need> {
    let start = mark(cx);
    cx.check_keys(path, map, &["pipeline"]);
    let pipeline = required_string(cx, path, map, "pipeline", node.span);
    if failed_since(cx, start) {
        return None;
    }
    Some(Need::Upstream(UpstreamNeed {
        pipeline: pipeline?,
        span: node.span,
    }))
}

fn parse_project_need(path: &str, map: &Mapping, node: &Node, cx: &mut Ctx) -> Option<Need> {
    let start = mark(cx);
    cx.check_keys(path, map, &["project", "ref", "job", "artifacts"]);
    let project = required_string(cx, path, map, "project", node.span);
    let git_ref = required_string(cx, path, map, "ref", node.span);
    let job = required_string(cx, path, map, "job", node.span);
    let artifacts = optional_bool(cx, path, map, "artifacts").ok().flatten();
    if failed_since(cx, start) {
        return None;
    }
    Some(Need::Project(ProjectNeed {
        project: project?,
        job: job?,
        git_ref: git_ref?,
        artifacts: artifacts.unwrap_or(true),
        span: node.span,
    }))
}

/// Reads a non-blank string attribute, reporting `<path> <key> can't be blank` or `should be
/// a string`.
fn required_string(
    cx: &mut Ctx,
    path: &str,
    map: &Mapping,
    key: &str,
    span: Span,
) -> Option<String> {
    match field(map, key) {
        None => {
            report(
                cx,
                "missing-keys",
                field_message(path, key, "can't be blank"),
                span,
                None,
            );
            None
        }
        Some(value) => match value.as_str() {
            Some(text) if !text.trim().is_empty() => Some(text.to_owned()),
            Some(_) => {
                report(
                    cx,
                    "missing-keys",
                    field_message(path, key, "can't be blank"),
                    value.span,
                    None,
                );
                None
            }
            None => {
                report_field_type(cx, path, key, "a string", value);
                None
            }
        },
    }
}

/// Parses `needs:parallel:`, which must be `{matrix: [...]}`.
fn parse_matrix_selection(path: &str, node: &Node, cx: &mut Ctx) -> Option<MatrixSelection> {
    let map = match &node.value {
        Value::Map(map) => map,
        Value::Int(_) | Value::BigInt(_) | Value::Float(_) => {
            report(
                cx,
                "invalid-parallel",
                format!("{path} config cannot use \"parallel: <number>\"."),
                node.span,
                Some("select instances with `parallel: {matrix: [...]}`".to_owned()),
            );
            return None;
        }
        _ => {
            report(
                cx,
                "invalid-type",
                format!("{path} should be an integer or a hash"),
                node.span,
                None,
            );
            return None;
        }
    };
    let start = mark(cx);
    cx.check_keys(path, map, &["matrix"]);
    super::shape::require_keys(cx, path, map, node.span, &["matrix"]);
    let matrix =
        field(map, "matrix").and_then(|value| parse_matrix(&format!("{path}:matrix"), value, cx));
    if failed_since(cx, start) {
        return None;
    }
    Some(MatrixSelection { matrix: matrix? })
}

/// Parses a `matrix:` list (at `path`, such as `jobs:deploy:parallel:matrix`): hashes of
/// identifiers to a string, an integer or a list of them, each hash non-empty. Values are
/// stringified. The 200-job limit is the caller's check, since needs and jobs count
/// differently.
pub(crate) fn parse_matrix(path: &str, node: &Node, cx: &mut Ctx) -> Option<Matrix> {
    let Some(items) = node
        .as_seq()
        .filter(|items| items.iter().all(|i| i.as_map().is_some()))
    else {
        cx.type_error(path, "an array of hashes", node);
        return None;
    };
    let entry_path = format!("{path}:variables");
    let mut matrix = Matrix::new();
    let mut failed = false;
    for item in items {
        let Some(map) = item.as_map() else { continue };
        match parse_matrix_entry(map) {
            Some(entry) if !entry.is_empty() => matrix.push(entry),
            Some(_) => {
                report(
                    cx,
                    "blank-value",
                    format!("{entry_path} config requires at least 1 items"),
                    item.span,
                    None,
                );
                failed = true;
            }
            None => {
                report(
                    cx,
                    "invalid-type",
                    format!(
                        "{entry_path} config should be a hash of key value pairs, value can be an array"
                    ),
                    item.span,
                    Some("matrix values are strings, integers, or lists of them".to_owned()),
                );
                failed = true;
            }
        }
    }
    (!failed).then_some(matrix)
}

/// Reads one matrix hash, or returns `None` when a key or value is not a string or an
/// integer, or a value is blank.
fn parse_matrix_entry(map: &Mapping) -> Option<IndexMap<String, Vec<String>>> {
    let alphanumeric = |node: &Node| match &node.value {
        Value::String(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::BigInt(digits) => Some(digits.clone()),
        _ => None,
    };
    let mut entry = IndexMap::new();
    for (key, value) in map.iter() {
        let name = match key {
            Key::String(s) => s.clone(),
            Key::Int(i) => i.to_string(),
            _ => return None,
        };
        if value.is_blank() {
            return None;
        }
        let values: Vec<String> = match &value.value {
            Value::Seq(items) => items.iter().map(alphanumeric).collect::<Option<_>>()?,
            _ => vec![alphanumeric(value)?],
        };
        entry.insert(name, values);
    }
    Some(entry)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:deploy:needs";

    #[test]
    fn string_and_hash_forms() {
        let needs = ok(
            parse,
            PATH,
            json!(["test-a", {"job": "build-b", "optional": true, "artifacts": false}]),
        );
        let jobs: Vec<&JobNeed> = needs.iter().filter_map(Need::as_job).collect();
        assert_eq!(jobs[0].job, "test-a");
        assert!(jobs[0].artifacts);
        assert!(!jobs[0].optional);
        assert_eq!(jobs[1].job, "build-b");
        assert!(!jobs[1].artifacts);
        assert!(jobs[1].optional);
    }

    #[test]
    fn empty_list() {
        assert!(ok(parse, PATH, json!([])).is_empty());
    }

    #[test]
    fn project_need() {
        let needs = ok(
            parse,
            PATH,
            json!([{"project": "group/other", "job": "build", "ref": "main", "artifacts": true}]),
        );
        assert_eq!(
            serde_json::to_value(&needs).unwrap(),
            json!([{"project": "group/other", "job": "build", "ref": "main", "artifacts": true}])
        );
    }

    #[test]
    fn pipeline_need() {
        let needs = ok(
            parse,
            PATH,
            json!([{"pipeline": "$PARENT_PIPELINE_ID", "job": "gen"}]),
        );
        assert_eq!(needs[0].kind(), NeedKind::CrossDependency);
        let Need::Pipeline(pipeline) = &needs[0] else {
            panic!("expected a pipeline need")
        };
        assert_eq!(pipeline.job, "gen");
        assert!(pipeline.artifacts);
    }

    #[test]
    fn upstream_need_as_mapping() {
        let needs = ok(parse, PATH, json!({"pipeline": "other/project"}));
        assert_eq!(needs.len(), 1);
        assert_eq!(needs[0].kind(), NeedKind::Bridge);
    }

    #[test]
    fn matrix_selection() {
        let needs = ok(
            parse,
            PATH,
            json!([{"job": "build", "parallel": {"matrix": [{"PROVIDER": "aws", "STACK": ["a", 2]}]}}]),
        );
        let matrix = &needs[0].as_job().unwrap().parallel.as_ref().unwrap().matrix;
        assert_eq!(matrix[0]["PROVIDER"], ["aws"]);
        assert_eq!(matrix[0]["STACK"], ["a", "2"]);
    }

    #[test]
    fn kinds_per_context() {
        let parse_rule = |p: &str, n: &Node, cx: &mut Ctx| parse_for(p, n, cx, RULE_NEED_KINDS);
        assert_eq!(
            messages(
                parse_rule,
                PATH,
                json!([{"project": "a/b", "job": "j", "ref": "main"}])
            ),
            ["jobs:deploy:needs config uses invalid types: cross_dependency"]
        );
        let parse_job = |p: &str, n: &Node, cx: &mut Ctx| parse_for(p, n, cx, JOB_NEED_KINDS);
        assert_eq!(
            messages(parse_job, PATH, json!({"pipeline": "a/b"})),
            ["jobs:deploy:needs config uses invalid types: bridge"]
        );
        let parse_bridge = |p: &str, n: &Node, cx: &mut Ctx| parse_for(p, n, cx, BRIDGE_NEED_KINDS);
        assert!(messages(parse_bridge, PATH, json!({"pipeline": "a/b"})).is_empty());
    }

    #[test]
    fn error_messages() {
        let cases = [
            (
                json!("a"),
                "jobs:deploy:needs config can only be a hash or an array",
            ),
            (json!([""]), "jobs:deploy:needs:need config can't be blank"),
            (json!([1]), "jobs:deploy:needs:need has an unsupported type"),
            (
                json!([{"job": "a", "when": "x"}]),
                "jobs:deploy:needs:need config contains unknown keys: when",
            ),
            (
                json!([{"job": 1}]),
                "jobs:deploy:needs:need job should be a string",
            ),
            (
                json!([{"job": "a", "optional": "yes"}]),
                "jobs:deploy:needs:need optional should be a boolean value",
            ),
            (
                json!([{"job": "a", "project": "g/p"}]),
                "jobs:deploy:needs:need ref can't be blank",
            ),
            (
                json!([{"job": "a", "parallel": 2}]),
                "jobs:deploy:needs:need:parallel config cannot use \"parallel: <number>\".",
            ),
            (
                json!([{"job": "a", "parallel": {"matrix": ["x"]}}]),
                "jobs:deploy:needs:need:parallel:matrix config should be an array of hashes",
            ),
            (
                json!([{"job": "a", "parallel": {"matrix": [{}]}}]),
                "jobs:deploy:needs:need:parallel:matrix:variables config requires at least 1 items",
            ),
            (
                json!([{"job": "a", "parallel": {"matrix": [{"A": true}]}}]),
                "jobs:deploy:needs:need:parallel:matrix:variables config should be a hash of key value pairs, value can be an array",
            ),
            (
                json!([{"job": "a", "parallel": {}}]),
                "jobs:deploy:needs:need:parallel config missing required keys: matrix",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(messages(parse, PATH, input.clone()), [expected], "{input}");
        }
    }
}
