//! `run:` (CI/CD steps, experimental): a list of steps, each `{name, script}` or `{name,
//! step | func, env, inputs}`. That `run` excludes `script` is the model builder's check.
//!
//! GitLab checks `run` against a JSON schema and reports the schema validator's messages on
//! the job, such as `jobs:build run object at `/0` is missing required properties: name`.

use indexmap::IndexMap;
use serde::Serialize;

use super::shape::{attribute_message, report};
use crate::config::check::Ctx;
use crate::source::Span;
use crate::yaml::{Mapping, Node, Value};

/// The steps of a job, in order.
pub type Run = Vec<Step>;

/// One step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Step name: a letter or `_`, then letters, digits and `_`.
    pub name: String,
    /// Shell script of a script step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    /// Reference of a reusable step: a string, `{git: {...}}` or `{oci: {...}}`, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<serde_json::Value>,
    /// Reference of a function step, in the same forms as `step`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub func: Option<serde_json::Value>,
    /// Environment variables of the step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<IndexMap<String, String>>,
    /// Inputs of a reusable step, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<serde_json::Value>,
}

/// Parses `run:` (`path` is `jobs:<name>:run`). Reports the first schema violation.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Run> {
    match check_steps(node) {
        Ok(steps) => Some(steps),
        Err((detail, span)) => {
            report(
                cx,
                "invalid-steps",
                attribute_message(path, detail),
                span,
                Some("each step is `{name, script}` or `{name, step, inputs, env}`".to_owned()),
            );
            None
        }
    }
}

type SchemaResult<T> = Result<T, (String, Span)>;

fn check_steps(node: &Node) -> SchemaResult<Run> {
    let Some(items) = node.as_seq() else {
        return Err(("value at root is not an array".to_owned(), node.span));
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| check_step(&format!("/{index}"), item))
        .collect()
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

const NAME_PATTERN: &str = "^[a-zA-Z_][a-zA-Z0-9_]*$";

fn check_step(pointer: &str, node: &Node) -> SchemaResult<Step> {
    let Some(map) = node.as_map() else {
        return Err((format!("value at `{pointer}` is not an object"), node.span));
    };
    let script_step = map.contains_key("script");
    let allowed: &[&str] = if script_step {
        &["name", "env", "script"]
    } else {
        &["name", "env", "inputs", "step", "func"]
    };
    disallow_extra(pointer, map, allowed)?;

    let name = match map.get("name") {
        None => {
            return Err((
                format!("object at `{pointer}` is missing required properties: name"),
                node.span,
            ));
        }
        Some(value) => match value.as_str() {
            Some(text) if is_name(text) => text.to_owned(),
            Some(_) => {
                return Err((
                    format!("string at `{pointer}/name` does not match pattern: {NAME_PATTERN}"),
                    value.span,
                ));
            }
            None => {
                return Err((
                    format!("value at `{pointer}/name` is not a string"),
                    value.span,
                ));
            }
        },
    };
    let env = map
        .get("env")
        .map(|value| check_env(&format!("{pointer}/env"), value))
        .transpose()?;

    if script_step {
        let value = map.get("script").unwrap_or(node);
        let script = match value.as_str() {
            Some(text) if !text.is_empty() => text.to_owned(),
            Some(_) => {
                return Err((
                    format!("string length at `{pointer}/script` is less than: 1"),
                    value.span,
                ));
            }
            None => {
                return Err((
                    format!("value at `{pointer}/script` is not a string"),
                    value.span,
                ));
            }
        };
        return Ok(Step {
            name,
            script: Some(script),
            step: None,
            func: None,
            env,
            inputs: None,
        });
    }

    let reference = match (map.get("step"), map.get("func")) {
        (Some(_), Some(_)) | (None, None) => {
            return Err((
                format!("object at `{pointer}` must have exactly one of: step, func, script"),
                node.span,
            ));
        }
        (Some(value), None) => ("step", value),
        (None, Some(value)) => ("func", value),
    };
    check_reference(&format!("{pointer}/{}", reference.0), reference.1)?;
    let inputs = match map.get("inputs") {
        Some(value) => {
            let Some(inputs) = value.as_map() else {
                return Err((
                    format!("value at `{pointer}/inputs` is not an object"),
                    value.span,
                ));
            };
            check_names(&format!("{pointer}/inputs"), inputs)?;
            Some(value.to_json())
        }
        None => None,
    };
    let json = Some(reference.1.to_json());
    let (step, func) = if reference.0 == "step" {
        (json, None)
    } else {
        (None, json)
    };
    Ok(Step {
        name,
        script: None,
        step,
        func,
        env,
        inputs,
    })
}

fn disallow_extra(pointer: &str, map: &Mapping, allowed: &[&str]) -> SchemaResult<()> {
    for (key, entry) in map.entries() {
        if !key.as_str().is_some_and(|k| allowed.contains(&k)) {
            return Err((
                format!("object property at `{pointer}/{key}` is a disallowed additional property"),
                entry.key_span,
            ));
        }
    }
    Ok(())
}

fn check_names(pointer: &str, map: &Mapping) -> SchemaResult<()> {
    for (key, entry) in map.entries() {
        if !key.as_str().is_some_and(is_name) {
            return Err((
                format!("object property at `{pointer}/{key}` is a disallowed additional property"),
                entry.key_span,
            ));
        }
    }
    Ok(())
}

fn check_env(pointer: &str, node: &Node) -> SchemaResult<IndexMap<String, String>> {
    let Some(map) = node.as_map() else {
        return Err((format!("value at `{pointer}` is not an object"), node.span));
    };
    check_names(pointer, map)?;
    map.iter()
        .map(|(key, value)| match value.as_str() {
            Some(text) => Ok((key.to_string(), text.to_owned())),
            None => Err((
                format!("value at `{pointer}/{key}` is not a string"),
                value.span,
            )),
        })
        .collect()
}

/// Checks a step reference: a string, `{git: {url, rev, dir, file}}` or `{oci: {registry,
/// repository, tag, dir, file}}`.
fn check_reference(pointer: &str, node: &Node) -> SchemaResult<()> {
    let map = match &node.value {
        Value::String(_) => return Ok(()),
        Value::Map(map) => map,
        _ => {
            return Err((
                format!("value at `{pointer}` is not a string or an object"),
                node.span,
            ));
        }
    };
    let (kind, required, optional): (&str, &[&str], &[&str]) = if map.contains_key("git") {
        ("git", &["url", "rev"], &["dir", "file"])
    } else if map.contains_key("oci") {
        ("oci", &["registry", "repository", "tag"], &["dir", "file"])
    } else {
        return Err((
            format!("object at `{pointer}` is missing required properties: git"),
            node.span,
        ));
    };
    disallow_extra(pointer, map, &[kind])?;

    let inner_pointer = format!("{pointer}/{kind}");
    let inner = map.get(kind).unwrap_or(node);
    let Some(inner_map) = inner.as_map() else {
        return Err((
            format!("value at `{inner_pointer}` is not an object"),
            inner.span,
        ));
    };

    let allowed: Vec<&str> = required.iter().chain(optional).copied().collect();
    disallow_extra(&inner_pointer, inner_map, &allowed)?;
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|k| !inner_map.contains_key(k))
        .collect();
    if !missing.is_empty() {
        return Err((
            format!(
                "object at `{inner_pointer}` is missing required properties: {}",
                missing.join(", ")
            ),
            inner.span,
        ));
    }
    for (key, value) in inner_map.iter() {
        if value.as_str().is_none() {
            return Err((
                format!("value at `{inner_pointer}/{key}` is not a string"),
                value.span,
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:build:run";

    #[test]
    fn steps() {
        let run = ok(
            parse,
            PATH,
            json!([
                {"name": "hello", "script": "echo hello", "env": {"GREETING": "hi"}},
                {"name": "remote", "step": "gitlab.com/components/echo@v1", "inputs": {"message": 1}},
                {"name": "git_step", "func": {"git": {"url": "https://x", "rev": "main", "file": "step.yml"}}}
            ]),
        );
        assert_eq!(run.len(), 3);
        assert_eq!(run[0].script.as_deref(), Some("echo hello"));
        assert_eq!(run[1].inputs, Some(json!({"message": 1})));
        assert!(run[2].func.is_some());
    }

    #[test]
    fn error_messages() {
        let cases = [
            (
                json!({"name": "a"}),
                "jobs:build run value at root is not an array",
            ),
            (
                json!(["a"]),
                "jobs:build run value at `/0` is not an object",
            ),
            (
                json!([{"script": "x"}]),
                "jobs:build run object at `/0` is missing required properties: name",
            ),
            (
                json!([{"name": "1st", "script": "x"}]),
                "jobs:build run string at `/0/name` does not match pattern: ^[a-zA-Z_][a-zA-Z0-9_]*$",
            ),
            (
                json!([{"name": "a", "script": ["x"]}]),
                "jobs:build run value at `/0/script` is not a string",
            ),
            (
                json!([{"name": "a", "script": "x", "inputs": {}}]),
                "jobs:build run object property at `/0/inputs` is a disallowed additional property",
            ),
            (
                json!([{"name": "a"}]),
                "jobs:build run object at `/0` must have exactly one of: step, func, script",
            ),
            (
                json!([{"name": "a", "step": "x", "func": "y"}]),
                "jobs:build run object at `/0` must have exactly one of: step, func, script",
            ),
            (
                json!([{"name": "a", "step": {"git": {"url": "u"}}}]),
                "jobs:build run object at `/0/step/git` is missing required properties: rev",
            ),
            (
                json!([{"name": "a", "script": "x", "env": {"A": 1}}]),
                "jobs:build run value at `/0/env/A` is not a string",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(messages(parse, PATH, input.clone()), [expected], "{input}");
        }
    }
}
