//! `stages:`: flattening and the injection of `.pre` and `.post`.

use crate::hash::HashMap;

use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::yaml::{Mapping, Node, Value};

use super::check::Ctx;
use super::commands;

/// The stage a job gets when it sets none.
pub(crate) const DEFAULT_JOB_STAGE: &str = "test";

/// GitLab's stages when `stages:` is absent.
const DEFAULT_STAGES: [&str; 3] = ["build", "test", "deploy"];

const PRE: &str = ".pre";
const POST: &str = ".post";

/// The final stage list with a lookup from name to position.
#[derive(Debug, Clone)]
pub(crate) struct Stages {
    /// Stage names in order; a name may repeat when a nested list repeats it.
    pub names: Vec<String>,
    /// Span of the `stages:` value, when it was written.
    pub span: Option<Span>,
    index: HashMap<String, usize>,
}

impl Stages {
    fn new(names: Vec<String>, span: Option<Span>) -> Self {
        // GitLab looks stages up with `Array#index`, so a repeated name takes its first
        // position.
        let mut index =
            HashMap::with_capacity_and_hasher(names.len(), foldhash::fast::RandomState::default());
        for (i, name) in names.iter().enumerate() {
            index.entry(name.clone()).or_insert(i);
        }
        Stages { names, span, index }
    }

    /// Position of a stage, for ordering checks.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// Builds the stage list from the top-level `stages:` key.
///
/// GitLab first removes `.pre` and `.post` from the top level of a non-empty list and puts them
/// back first and last, then flattens nested lists. Because the removal happens before
/// flattening, a `.pre` written inside a nested list stays where it is and appears twice.
pub(crate) fn parse(root: &Mapping, cx: &mut Ctx) -> Stages {
    let Some(node) = root.get("stages").filter(|n| !n.is_null()) else {
        return Stages::new(wrap(DEFAULT_STAGES.map(str::to_owned).to_vec()), None);
    };

    let max = cx.limits.max_nested_array_depth;
    let is_string = |n: &Node| matches!(n.value, Value::String(_));
    let names: Vec<String> = match commands::flatten(node, max, &is_string) {
        Ok(_) => inject_edges(node),
        Err(bad) => {
            let message = format!(
                "stages config should be an array of strings or a nested array of strings up \
                 to {max} levels deep"
            );
            commands::report_nested(cx, message, node, bad);
            // Keep the names that are valid so that jobs naming them are not reported again.
            let mut names = Vec::new();
            collect_strings(node, &mut names);
            names
        }
    };

    check_name_lengths(node, cx);
    Stages::new(names, Some(node.span))
}

/// Applies GitLab's edge-stage injection to a valid `stages:` value and flattens it.
fn inject_edges(node: &Node) -> Vec<String> {
    let Value::Seq(items) = &node.value else {
        return Vec::new();
    };
    if items.is_empty() {
        return Vec::new();
    }
    let mut names = vec![PRE.to_owned()];
    for item in items {
        match &item.value {
            Value::String(s) if s == PRE || s == POST => {}
            _ => collect_strings(item, &mut names),
        }
    }
    names.push(POST.to_owned());
    names
}

fn wrap(stages: Vec<String>) -> Vec<String> {
    let mut names = Vec::with_capacity(stages.len() + 2);
    names.push(PRE.to_owned());
    names.extend(stages.into_iter().filter(|s| s != PRE && s != POST));
    names.push(POST.to_owned());
    names
}

fn collect_strings(node: &Node, out: &mut Vec<String>) {
    match &node.value {
        Value::String(s) => out.push(s.clone()),
        Value::Seq(items) => items.iter().for_each(|item| collect_strings(item, out)),
        _ => {}
    }
}

/// Warns about stage names longer than the 255 characters GitLab documents. GitLab's
/// configuration validator does not check the length, so this is only a warning.
fn check_name_lengths(node: &Node, cx: &mut Ctx) {
    match &node.value {
        Value::String(s) if s.chars().count() > cx.limits.max_stage_name_length => {
            cx.diags.push(
                Diagnostic::warning(
                    "stage-name-too-long",
                    format!(
                        "stage name `{s}` is too long (maximum is {} characters)",
                        cx.limits.max_stage_name_length
                    ),
                )
                .with_span(node.span),
            );
        }
        Value::Seq(items) => items.iter().for_each(|item| check_name_lengths(item, cx)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{build, valid, valid_yaml};

    #[test]
    fn default_stages() {
        let built = valid(json!({"a": {"script": "x"}}));
        assert_eq!(
            built.config.stages,
            [".pre", "build", "test", "deploy", ".post"]
        );
    }

    #[test]
    fn edges_moved_and_flattened() {
        // T5.1
        let built = valid_yaml(
            "stages: [build, .post, test, [deploy, release]]\n\
             a: {stage: build, script: x}\n\
             b: {script: x}\n",
        );
        assert_eq!(
            built.config.stages,
            [".pre", "build", "test", "deploy", "release", ".post"]
        );
        assert_eq!(built.job("b").stage, "test");
    }

    #[test]
    fn nested_edge_stays() {
        let built = valid(json!({"stages": ["test", [".pre"]], "a": {"script": "x"}}));
        assert_eq!(built.config.stages, [".pre", "test", ".pre", ".post"]);
    }

    #[test]
    fn empty_stages_get_no_edges() {
        let built = build(json!({"stages": [], "a": {"script": "x"}}));
        assert!(built.config.stages.is_empty());
        assert_eq!(
            built.errors(),
            ["a job: chosen stage test does not exist; available stages are "]
        );
    }

    #[test]
    fn null_stages_are_default() {
        let built = valid(json!({"stages": null, "a": {"script": "x"}}));
        assert_eq!(built.config.stages.len(), 5);
    }

    #[test]
    fn invalid_shapes() {
        let message = "stages config should be an array of strings or a nested array of strings up to 10 levels deep";
        let mut deep = json!("deep");
        for _ in 0..11 {
            deep = json!([deep]);
        }
        for stages in [json!("build"), json!(["build", 1]), deep] {
            let built =
                build(json!({"stages": stages.clone(), "a": {"stage": "build", "script": "x"}}));
            assert_eq!(built.errors()[0], message, "stages {stages}");
        }
    }

    #[test]
    fn invalid_keeps_valid_names() {
        let built = build(json!({"stages": ["build", 1], "a": {"stage": "build", "script": "x"}}));
        assert_eq!(built.errors().len(), 1);
        assert_eq!(built.config.stages, ["build"]);
    }

    #[test]
    fn long_stage_name_warns() {
        let long = "s".repeat(256);
        let built =
            valid(json!({"stages": [long.clone()], "a": {"stage": long.clone(), "script": "x"}}));
        assert_eq!(
            built.warnings(),
            [format!(
                "stage name `{long}` is too long (maximum is 255 characters)"
            )]
        );
    }
}
