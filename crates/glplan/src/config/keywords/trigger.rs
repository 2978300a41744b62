//! `trigger:` of trigger jobs: a project path (multi-project pipeline), `{project, branch,
//! strategy, forward, inputs}`, or `{include, strategy, forward}` (child pipeline).

use serde::Serialize;

use super::shape::{
    failed_since, field, field_message, mark, optional_bool, optional_string, report, report_enum,
    report_field_type,
};
use crate::config::check::Ctx;
use crate::source::Span;
use crate::yaml::{Mapping, Node, Value};

/// Most files a child pipeline's `trigger:include` may list.
pub const MAX_CHILD_INCLUDES: usize = 3;

/// `trigger:` after validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Trigger {
    /// A pipeline in another project.
    Project(ProjectTrigger),
    /// A child pipeline built from files of this project (or artifacts of a job).
    Child(ChildTrigger),
}

impl Trigger {
    /// `strategy:`, when set.
    pub fn strategy(&self) -> Option<Strategy> {
        match self {
            Trigger::Project(t) => t.strategy,
            Trigger::Child(t) => t.strategy,
        }
    }

    /// `forward:`, when set.
    pub fn forward(&self) -> Option<&Forward> {
        match self {
            Trigger::Project(t) => t.forward.as_ref(),
            Trigger::Child(t) => t.forward.as_ref(),
        }
    }

    /// Jobs whose artifacts a child pipeline includes (`include: [{artifact, job}]`).
    pub fn artifact_jobs(&self) -> Vec<&str> {
        match self {
            Trigger::Project(_) => Vec::new(),
            Trigger::Child(t) => t
                .include
                .iter()
                .filter_map(|item| match &item.location {
                    ChildInclude::Artifact { job, .. } => Some(job.as_str()),
                    _ => None,
                })
                .collect(),
        }
    }
}

/// A multi-project trigger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectTrigger {
    /// Full path of the downstream project.
    pub project: String,
    /// Branch to run (default: the project's default branch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Strategy for reflecting the downstream pipeline's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// Variables passed downstream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward: Option<Forward>,
    /// `spec:inputs` values for the downstream configuration, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<serde_json::Value>,
}

/// A parent-child trigger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChildTrigger {
    /// The child pipeline's configuration files (at most three).
    pub include: Vec<ChildIncludeItem>,
    /// Strategy for reflecting the child pipeline's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// Variables passed to the child pipeline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward: Option<Forward>,
}

/// One file of a child pipeline's configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChildIncludeItem {
    /// Source of the file.
    #[serde(flatten)]
    pub location: ChildInclude,
    /// `inputs:` for the file's `spec:inputs`, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<serde_json::Value>,
    /// The item as written in `trigger:include`, or the whole value of the string form.
    #[serde(skip)]
    pub span: Span,
    /// The spans of the `inputs` entries, in the order written.
    #[serde(skip)]
    pub input_spans: Vec<InputSpan>,
}

/// The key and value spans of one entry of an include item's `inputs`.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSpan {
    /// The input name, as the key of the `inputs` JSON object.
    pub name: String,
    /// The key.
    pub key: Span,
    /// The value.
    pub value: Span,
}

/// The source of a child pipeline file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ChildInclude {
    /// A file of this project at the pipeline's commit.
    Local {
        /// Repository path.
        local: String,
    },
    /// A GitLab-bundled template.
    Template {
        /// Template name, ending in `.gitlab-ci.yml`.
        template: String,
    },
    /// An artifact of an earlier job of this pipeline (dynamic child pipelines).
    Artifact {
        /// Path inside the artifacts archive.
        artifact: String,
        /// The job that produced it.
        job: String,
    },
    /// Files of another project.
    Project {
        /// Full path of the project.
        project: String,
        /// Files in that project.
        file: Vec<String>,
        /// Branch, tag or commit (default `HEAD`).
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        git_ref: Option<String>,
    },
    /// A CI/CD catalog component.
    Component {
        /// `<fqdn>/<project>/<component>@<version>`.
        component: String,
    },
    /// A public URL.
    Remote {
        /// The URL.
        remote: String,
    },
}

/// `trigger:strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The trigger job waits and takes the downstream pipeline's result.
    Depend,
    /// The trigger job mirrors the downstream pipeline's status exactly (GitLab 18.2+).
    Mirror,
}

/// `trigger:forward`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forward {
    /// Pass the trigger job's YAML variables (default `true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yaml_variables: Option<bool>,
    /// Pass this pipeline's pipeline variables (default `false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_variables: Option<bool>,
}

impl Forward {
    /// Returns whether YAML variables are forwarded.
    pub fn forwards_yaml_variables(&self) -> bool {
        self.yaml_variables.unwrap_or(true)
    }

    /// Returns whether pipeline variables are forwarded.
    pub fn forwards_pipeline_variables(&self) -> bool {
        self.pipeline_variables.unwrap_or(false)
    }
}

/// Parses `trigger:` (`path` is `jobs:<name>:trigger`).
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Trigger> {
    match &node.value {
        Value::String(project) => {
            if project.trim().is_empty() {
                report(
                    cx,
                    "blank-value",
                    format!("{path} config can't be blank"),
                    node.span,
                    None,
                );
                return None;
            }
            Some(Trigger::Project(ProjectTrigger {
                project: project.clone(),
                branch: None,
                strategy: None,
                forward: None,
                inputs: None,
            }))
        }
        Value::Map(map) if map.contains_key("include") => parse_child(path, map, cx),
        Value::Map(map) => parse_project(path, map, node, cx),
        _ => {
            report(
                cx,
                "invalid-type",
                format!("{path} has to be either a string or a hash"),
                node.span,
                Some("write a project path, or a hash with `project` or `include`".to_owned()),
            );
            None
        }
    }
}

fn parse_project(path: &str, map: &Mapping, node: &Node, cx: &mut Ctx) -> Option<Trigger> {
    let start = mark(cx);
    cx.check_keys(
        path,
        map,
        &["project", "branch", "strategy", "forward", "inputs"],
    );
    let project = match field(map, "project") {
        None => {
            report(
                cx,
                "missing-keys",
                field_message(path, "project", "can't be blank"),
                node.span,
                Some(
                    "a trigger hash needs `project` (or `include` for a child pipeline)".to_owned(),
                ),
            );
            None
        }
        Some(value) => match value.as_str() {
            Some(text) if !text.trim().is_empty() => Some(text.to_owned()),
            Some(_) => {
                report(
                    cx,
                    "blank-value",
                    field_message(path, "project", "can't be blank"),
                    value.span,
                    None,
                );
                None
            }
            None => {
                report_field_type(cx, path, "project", "a string", value);
                None
            }
        },
    };
    let branch = optional_string(cx, path, map, "branch").ok().flatten();
    let strategy = parse_strategy(path, map, cx);
    let forward =
        field(map, "forward").and_then(|v| parse_forward(&format!("{path}:forward"), v, cx));
    let inputs = parse_inputs(path, map, cx);
    if failed_since(cx, start) {
        return None;
    }
    Some(Trigger::Project(ProjectTrigger {
        project: project?,
        branch,
        strategy,
        forward,
        inputs,
    }))
}

fn parse_child(path: &str, map: &Mapping, cx: &mut Ctx) -> Option<Trigger> {
    let start = mark(cx);
    cx.check_keys(path, map, &["include", "strategy", "forward"]);
    let strategy = parse_strategy(path, map, cx);
    let forward =
        field(map, "forward").and_then(|v| parse_forward(&format!("{path}:forward"), v, cx));
    let include = match map.get("include") {
        Some(value) => parse_child_includes(&format!("{path}:include"), value, cx),
        None => None,
    };
    if failed_since(cx, start) {
        return None;
    }
    Some(Trigger::Child(ChildTrigger {
        include: include?,
        strategy,
        forward,
    }))
}

fn parse_strategy(path: &str, map: &Mapping, cx: &mut Ctx) -> Option<Strategy> {
    let value = field(map, "strategy")?;
    let Some(text) = value.as_str() else {
        report_field_type(cx, path, "strategy", "a string", value);
        return None;
    };
    match text {
        "depend" => Some(Strategy::Depend),
        "mirror" => Some(Strategy::Mirror),
        _ => {
            // NOTE: GitLab before 18.2 reports `should be depend`. The wording with `mirror`
            // is assumed from the newer allowed values.
            let message = field_message(path, "strategy", "should be depend or mirror");
            report_enum(cx, message, text, &["depend", "mirror"], value.span);
            None
        }
    }
}

fn parse_forward(path: &str, node: &Node, cx: &mut Ctx) -> Option<Forward> {
    let map = cx.mapping(path, node)?;
    let start = mark(cx);
    cx.check_keys(path, map, &["yaml_variables", "pipeline_variables"]);
    let yaml_variables = optional_bool(cx, path, map, "yaml_variables")
        .ok()
        .flatten();
    let pipeline_variables = optional_bool(cx, path, map, "pipeline_variables")
        .ok()
        .flatten();
    (!failed_since(cx, start)).then_some(Forward {
        yaml_variables,
        pipeline_variables,
    })
}

fn parse_inputs(path: &str, map: &Mapping, cx: &mut Ctx) -> Option<serde_json::Value> {
    let value = field(map, "inputs")?;
    if value.as_map().is_none() {
        report_field_type(cx, path, "inputs", "a hash", value);
        return None;
    }
    Some(value.to_json())
}

/// Returns the key and value spans of each entry of an `inputs` mapping.
fn input_spans(inputs: &Node) -> Vec<InputSpan> {
    let Some(map) = inputs.as_map() else {
        return Vec::new();
    };
    map.entries()
        .map(|(key, entry)| InputSpan {
            name: key.to_string(),
            key: entry.key_span,
            value: entry.value.span,
        })
        .collect()
}

/// `trigger:include`: a path, or a list of at most three include items.
fn parse_child_includes(path: &str, node: &Node, cx: &mut Ctx) -> Option<Vec<ChildIncludeItem>> {
    let items: Vec<&Node> = match &node.value {
        Value::String(_) => vec![node],
        Value::Seq(items) => items.iter().collect(),
        _ => {
            cx.type_error(path, "an array or a string", node);
            return None;
        }
    };
    if items.len() > MAX_CHILD_INCLUDES {
        report(
            cx,
            "too-many-entries",
            format!("{path} config is too long (maximum is {MAX_CHILD_INCLUDES})"),
            node.span,
            Some(format!(
                "a child pipeline can include at most {MAX_CHILD_INCLUDES} files"
            )),
        );
        return None;
    }
    let start = mark(cx);
    let parsed: Vec<ChildIncludeItem> = items
        .into_iter()
        .filter_map(|item| parse_child_include(item, cx))
        .collect();
    (!failed_since(cx, start)).then_some(parsed)
}

/// Source keys of an include item, in GitLab's order.
const INCLUDE_TYPES: &[&str] = &[
    "local",
    "project",
    "remote",
    "template",
    "artifact",
    "component",
];

/// Parses one include item. GitLab's include entries here have no parent, so their messages
/// start with plain `include`.
fn parse_child_include(node: &Node, cx: &mut Ctx) -> Option<ChildIncludeItem> {
    const PATH: &str = "include";
    let map = match &node.value {
        Value::String(location) => {
            let location = if is_url(location) {
                ChildInclude::Remote {
                    remote: location.clone(),
                }
            } else {
                ChildInclude::Local {
                    local: location.clone(),
                }
            };
            return Some(ChildIncludeItem {
                location,
                inputs: None,
                span: node.span,
                input_spans: Vec::new(),
            });
        }
        Value::Map(map) => map,
        _ => {
            cx.type_error(PATH, "a hash or a string", node);
            return None;
        }
    };

    let start = mark(cx);
    cx.check_keys(
        PATH,
        map,
        &[
            "local",
            "file",
            "remote",
            "template",
            "component",
            "artifact",
            "inputs",
            "job",
            "project",
            "ref",
            "rules",
            "integrity",
        ],
    );
    if map.contains_key("artifact") && field(map, "job").is_none_or(Node::is_blank) {
        report(
            cx,
            "missing-keys",
            "include config must specify the job where to fetch the artifact from",
            node.span,
            None,
        );
    }
    if map.contains_key("project") && field(map, "file").is_none_or(Node::is_blank) {
        report(
            cx,
            "missing-keys",
            "include config must specify the file where to fetch the config from",
            node.span,
            None,
        );
    }
    let inputs = parse_inputs(PATH, map, cx);
    if failed_since(cx, start) {
        return None;
    }

    let types: Vec<&str> = INCLUDE_TYPES
        .iter()
        .copied()
        .filter(|key| field(map, key).is_some())
        .collect();
    let valid_subkeys = "`local`, `project`, `remote`, `template`, `artifact`, `component`";
    match types.as_slice() {
        [] => {
            report(
                cx,
                "invalid-include",
                format!(
                    "`{}` does not have a valid subkey for include. Valid subkeys are: {valid_subkeys}",
                    node.to_json()
                ),
                node.span,
                None,
            );
            None
        }
        [kind] => {
            let location = child_location(kind, map, cx)?;
            Some(ChildIncludeItem {
                location,
                inputs,
                span: node.span,
                input_spans: field(map, "inputs").map(input_spans).unwrap_or_default(),
            })
        }
        _ => {
            report(
                cx,
                "invalid-include",
                format!("Each include must use only one of: {valid_subkeys}"),
                node.span,
                None,
            );
            None
        }
    }
}

fn child_location(kind: &str, map: &Mapping, cx: &mut Ctx) -> Option<ChildInclude> {
    const PATH: &str = "include";
    let text = |cx: &mut Ctx, key: &str| -> Option<String> {
        let value = field(map, key)?;
        match value.as_str() {
            Some(text) => Some(text.to_owned()),
            None => {
                report_field_type(cx, PATH, key, "a string", value);
                None
            }
        }
    };
    Some(match kind {
        "local" => ChildInclude::Local {
            local: text(cx, "local")?,
        },
        "template" => ChildInclude::Template {
            template: text(cx, "template")?,
        },
        "remote" => ChildInclude::Remote {
            remote: text(cx, "remote")?,
        },
        "component" => ChildInclude::Component {
            component: text(cx, "component")?,
        },
        "artifact" => ChildInclude::Artifact {
            artifact: text(cx, "artifact")?,
            job: text(cx, "job")?,
        },
        _ => {
            let project = text(cx, "project")?;
            let file_node = field(map, "file")?;
            let Some(file) = super::shape::string_or_strings(file_node) else {
                report_field_type(
                    cx,
                    PATH,
                    "file",
                    "a string or an array of strings",
                    file_node,
                );
                return None;
            };
            let git_ref = match field(map, "ref") {
                Some(_) => Some(text(cx, "ref")?),
                None => None,
            };
            ChildInclude::Project {
                project,
                file,
                git_ref,
            }
        }
    })
}

fn is_url(text: &str) -> bool {
    text.starts_with("http://") || text.starts_with("https://")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:child:trigger";

    /// T5.14: a child pipeline with `strategy: depend`, and a multi-project trigger that
    /// forwards pipeline variables.
    #[test]
    fn worked_example() {
        let child = ok(
            parse,
            PATH,
            json!({"include": "ci/child.yml", "strategy": "depend"}),
        );
        assert_eq!(child.strategy(), Some(Strategy::Depend));
        let Trigger::Child(child) = child else {
            panic!("expected a child trigger")
        };
        assert_eq!(
            child.include[0].location,
            ChildInclude::Local {
                local: "ci/child.yml".to_owned()
            }
        );

        let multi = ok(
            parse,
            "jobs:multi:trigger",
            json!({"project": "group/other", "branch": "stable", "forward": {"pipeline_variables": true}}),
        );
        let forward = multi.forward().unwrap();
        assert!(forward.forwards_pipeline_variables());
        assert!(forward.forwards_yaml_variables());
        let Trigger::Project(multi) = multi else {
            panic!("expected a project trigger")
        };
        assert_eq!(multi.branch.as_deref(), Some("stable"));
    }

    #[test]
    fn string_form() {
        let trigger = ok(parse, PATH, json!("group/other"));
        assert_eq!(
            serde_json::to_value(&trigger).unwrap(),
            json!({"project": "group/other"})
        );
    }

    #[test]
    fn include_items() {
        let trigger = ok(
            parse,
            PATH,
            json!({"include": [
                {"local": "a.yml", "inputs": {"x": 1}},
                {"artifact": "gen.yml", "job": "generate"},
                {"project": "g/p", "file": ["b.yml"], "ref": "main"}
            ], "strategy": "mirror"}),
        );
        assert_eq!(trigger.artifact_jobs(), ["generate"]);
        assert_eq!(trigger.strategy(), Some(Strategy::Mirror));
        assert_eq!(
            serde_json::to_value(&trigger).unwrap()["include"][0],
            json!({"local": "a.yml", "inputs": {"x": 1}})
        );
    }

    #[test]
    fn remote_string_include() {
        let Trigger::Child(child) =
            ok(parse, PATH, json!({"include": "https://example.com/a.yml"}))
        else {
            panic!("expected a child trigger")
        };
        assert!(matches!(
            child.include[0].location,
            ChildInclude::Remote { .. }
        ));
    }

    #[test]
    fn error_messages() {
        let cases = [
            (
                json!(1),
                "jobs:child:trigger has to be either a string or a hash",
            ),
            (json!(""), "jobs:child:trigger config can't be blank"),
            (
                json!({"branch": "main"}),
                "jobs:child:trigger project can't be blank",
            ),
            (
                json!({"project": 1}),
                "jobs:child:trigger project should be a string",
            ),
            (
                json!({"project": "a/b", "strategy": "wait"}),
                "jobs:child:trigger strategy should be depend or mirror",
            ),
            (
                json!({"project": "a/b", "ref": "main"}),
                "jobs:child:trigger config contains unknown keys: ref",
            ),
            (
                json!({"project": "a/b", "forward": {"yaml_variables": "no"}}),
                "jobs:child:trigger:forward yaml variables should be a boolean value",
            ),
            (
                json!({"project": "a/b", "forward": {"all": true}}),
                "jobs:child:trigger:forward config contains unknown keys: all",
            ),
            (
                json!({"include": "a.yml", "branch": "x"}),
                "jobs:child:trigger config contains unknown keys: branch",
            ),
            (
                json!({"include": 1}),
                "jobs:child:trigger:include config should be an array or a string",
            ),
            (
                json!({"include": ["a.yml", "b.yml", "c.yml", "d.yml"]}),
                "jobs:child:trigger:include config is too long (maximum is 3)",
            ),
            (
                json!({"include": [{"artifact": "a.yml"}]}),
                "include config must specify the job where to fetch the artifact from",
            ),
            (
                json!({"include": [{"project": "g/p"}]}),
                "include config must specify the file where to fetch the config from",
            ),
            (
                json!({"include": [{"local": "a.yml", "template": "b.yml"}]}),
                "Each include must use only one of: `local`, `project`, `remote`, `template`, `artifact`, `component`",
            ),
            (
                json!({"include": [{"inputs": {}}]}),
                "`{\"inputs\":{}}` does not have a valid subkey for include. Valid subkeys are: `local`, `project`, `remote`, `template`, `artifact`, `component`",
            ),
            (
                json!({"include": [1]}),
                "include config should be a hash or a string",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(messages(parse, PATH, input.clone()), [expected], "{input}");
        }
    }

    #[test]
    fn three_includes_allowed() {
        assert!(messages(parse, PATH, json!({"include": ["a.yml", "b.yml", "c.yml"]})).is_empty());
    }
}
