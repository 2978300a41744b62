//! The leaf keyword types and parsers the job model uses, in one place.
//!
//! Each function validates one keyword at GitLab's entry path (`jobs:build:image`) and returns
//! its typed value, or `None` after reporting a diagnostic.

use crate::yaml::Node;

use super::check::Ctx;
use super::keywords;

pub use keywords::allow_failure::AllowFailure;
pub use keywords::duration::Duration;
pub use keywords::image::Image;
pub use keywords::only_except::OnlyExcept;
pub use keywords::retry::Retry;
pub use keywords::rules::{Rule, Rules};
pub use keywords::services::Services;
pub use keywords::when::When;
pub use keywords::workflow::Workflow;

// TODO: replace these raw JSON values with the typed keyword parsers of `keywords/` as they
// land; until then the keyword is kept as written and not validated.

/// `cache:`.
pub type Cache = serde_json::Value;
/// `artifacts:`.
pub type Artifacts = serde_json::Value;
/// `hooks:`.
pub type Hooks = serde_json::Value;
/// `id_tokens:`.
pub type IdTokens = serde_json::Value;
/// `environment:`.
pub type Environment = serde_json::Value;
/// `release:`.
pub type Release = serde_json::Value;
/// `pages:`.
pub type Pages = serde_json::Value;
/// `secrets:`.
pub type Secrets = serde_json::Value;
/// `trigger:`.
pub type Trigger = serde_json::Value;
/// `inherit:`.
pub type Inherit = serde_json::Value;

fn raw(node: &Node) -> Option<serde_json::Value> {
    Some(node.to_json())
}

pub(crate) fn image(path: &str, node: &Node, cx: &mut Ctx) -> Option<Image> {
    keywords::image::parse(path, node, cx)
}

pub(crate) fn services(path: &str, node: &Node, cx: &mut Ctx) -> Option<Services> {
    keywords::services::parse(path, node, cx)
}

pub(crate) fn cache(_path: &str, node: &Node, _cx: &mut Ctx) -> Option<Cache> {
    raw(node)
}

pub(crate) fn artifacts(_path: &str, node: &Node, _cx: &mut Ctx) -> Option<Artifacts> {
    raw(node)
}

pub(crate) fn hooks(_path: &str, node: &Node, _cx: &mut Ctx) -> Option<Hooks> {
    raw(node)
}

pub(crate) fn id_tokens(_path: &str, node: &Node, _cx: &mut Ctx) -> Option<IdTokens> {
    raw(node)
}

pub(crate) fn retry(path: &str, node: &Node, cx: &mut Ctx) -> Option<Retry> {
    keywords::retry::parse(path, node, cx)
}

pub(crate) fn timeout(path: &str, node: &Node, cx: &mut Ctx) -> Option<Duration> {
    keywords::duration::parse_timeout(path, node, cx)
}

/// `start_in:`, which must be a duration of at most one week.
pub(crate) fn start_in(path: &str, node: &Node, cx: &mut Ctx) -> Option<Duration> {
    keywords::duration::parse_start_in(path, node, cx)
}

pub(crate) fn environment(_path: &str, node: &Node, _cx: &mut Ctx) -> Option<Environment> {
    raw(node)
}

pub(crate) fn release(_path: &str, node: &Node, _cx: &mut Ctx) -> Option<Release> {
    raw(node)
}

pub(crate) fn pages(_path: &str, node: &Node, _cx: &mut Ctx) -> Option<Pages> {
    raw(node)
}

pub(crate) fn secrets(_path: &str, node: &Node, _cx: &mut Ctx) -> Option<Secrets> {
    raw(node)
}

pub(crate) fn trigger(_path: &str, node: &Node, _cx: &mut Ctx) -> Option<Trigger> {
    raw(node)
}

pub(crate) fn inherit(_path: &str, node: &Node, _cx: &mut Ctx) -> Option<Inherit> {
    raw(node)
}

pub(crate) fn allow_failure(path: &str, node: &Node, cx: &mut Ctx) -> Option<AllowFailure> {
    keywords::allow_failure::parse(path, node, cx)
}

/// A job's `when:`; trigger jobs accept fewer values.
pub(crate) fn when(path: &str, node: &Node, bridge: bool, cx: &mut Ctx) -> Option<When> {
    if bridge {
        keywords::when::parse_bridge(path, node, cx)
    } else {
        keywords::when::parse_job(path, node, cx)
    }
}

/// A job's `rules:`, nested arrays included; the parser flattens them.
pub(crate) fn rules(path: &str, node: &Node, cx: &mut Ctx) -> Option<Rules> {
    keywords::rules::parse(path, node, cx)
}

pub(crate) fn only(path: &str, node: &Node, cx: &mut Ctx) -> Option<OnlyExcept> {
    keywords::only_except::parse_only(path, node, cx)
}

pub(crate) fn except(path: &str, node: &Node, cx: &mut Ctx) -> Option<OnlyExcept> {
    keywords::only_except::parse_except(path, node, cx)
}

/// The `only:` GitLab gives a job that has no `only` and no `rules` in a configuration
/// without `workflow:rules`.
pub(crate) fn default_only() -> OnlyExcept {
    OnlyExcept {
        refs: Some(
            keywords::only_except::DEFAULT_ONLY_REFS
                .iter()
                .map(|r| (*r).to_owned())
                .collect(),
        ),
        variables: None,
        changes: None,
        kubernetes: None,
    }
}

pub(crate) fn workflow(path: &str, node: &Node, cx: &mut Ctx) -> Option<Workflow> {
    keywords::workflow::parse(path, node, cx)
}

/// Whether `inherit:default` lets a job take the default keyword `key`.
pub(crate) fn inherits_default(inherit: Option<&Inherit>, key: &str) -> bool {
    inherits(inherit, "default", key)
}

/// Whether `inherit:variables` lets a job take the global variable `name`.
pub(crate) fn inherits_variable(inherit: Option<&Inherit>, name: &str) -> bool {
    inherits(inherit, "variables", name)
}

fn inherits(inherit: Option<&Inherit>, field: &str, name: &str) -> bool {
    match inherit.and_then(|i| i.get(field)) {
        None | Some(serde_json::Value::Null) => true,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::Array(names)) => names.iter().any(|n| n.as_str() == Some(name)),
        Some(_) => false,
    }
}

/// The `environment:` parts that logical validation compares: name, action and `on_stop`.
pub(crate) struct EnvironmentRef<'a> {
    pub name: Option<&'a str>,
    pub action: Option<&'a str>,
    pub on_stop: Option<&'a str>,
}

pub(crate) fn environment_ref(environment: &Environment) -> EnvironmentRef<'_> {
    match environment {
        serde_json::Value::String(name) => EnvironmentRef {
            name: Some(name),
            action: None,
            on_stop: None,
        },
        other => EnvironmentRef {
            name: other.get("name").and_then(|v| v.as_str()),
            action: other.get("action").and_then(|v| v.as_str()),
            on_stop: other.get("on_stop").and_then(|v| v.as_str()),
        },
    }
}

/// The jobs whose artifacts a dynamic child pipeline includes (`trigger:include:job`).
pub(crate) fn trigger_artifact_jobs(trigger: &Trigger) -> Vec<&str> {
    match trigger.get("include") {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.get("job").and_then(|j| j.as_str()))
            .collect(),
        Some(item @ serde_json::Value::Object(_)) => item
            .get("job")
            .and_then(|j| j.as_str())
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether `pages:` is a mapping with its own `publish`.
pub(crate) fn pages_has_publish(pages: &Pages) -> bool {
    pages.get("publish").is_some()
}
