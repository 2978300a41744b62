//! `environment:`: a name, or `{name, url, on_stop, action, auto_stop_in, kubernetes,
//! deployment_tier}`.
//!
//! Whether `on_stop` names a job with a matching environment is checked by the model builder.

use serde::Serialize;

use super::duration::{self, Duration};
use super::shape::{
    failed_since, field, field_message, mark, optional_string, report, report_enum,
    report_field_type,
};
use crate::config::check::Ctx;
use crate::yaml::{Mapping, Node, Value};

/// Longest `environment:url`, in characters.
pub const MAX_URL_LENGTH: usize = 255;

/// GitLab's explanation of valid environment names (and resource group keys).
pub const NAME_RULE: &str = "can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', and spaces, but it cannot start or end with '/'";

/// `environment:`, normalized to the hash form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Environment {
    /// Environment name; variables are expanded when the job is created.
    pub name: String,
    /// Deployment URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Job that stops this environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_stop: Option<String>,
    /// Action the job performs on the environment; `None` means `start`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<EnvironmentAction>,
    /// When the environment stops by itself, as written (may contain variables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_stop_in: Option<String>,
    /// Kubernetes settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<EnvironmentKubernetes>,
    /// Tier, such as `production`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_tier: Option<DeploymentTier>,
}

impl Environment {
    /// Returns the action, `start` when not written.
    pub fn action(&self) -> EnvironmentAction {
        self.action.unwrap_or(EnvironmentAction::Start)
    }
}

/// `environment:action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvironmentAction {
    /// Deploy to the environment (the default).
    Start,
    /// Prepare without deploying.
    Prepare,
    /// Stop the environment.
    Stop,
    /// Verify without deploying.
    Verify,
    /// Access without deploying.
    Access,
}

const ACTIONS: &[&str] = &["start", "stop", "prepare", "verify", "access"];

/// `environment:deployment_tier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentTier {
    /// Production.
    Production,
    /// Staging.
    Staging,
    /// Testing.
    Testing,
    /// Development.
    Development,
    /// Anything else.
    Other,
}

const TIERS: &[&str] = &["production", "staging", "testing", "development", "other"];

/// `environment:kubernetes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvironmentKubernetes {
    /// GitLab agent for Kubernetes, `path/to/project:agent-name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Namespace (deprecated in favour of `dashboard:namespace`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Flux resource (deprecated in favour of `dashboard:flux_resource_path`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flux_resource_path: Option<String>,
    /// Dashboard settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dashboard: Option<KubernetesDashboard>,
    /// GitLab-managed resources settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_resources: Option<ManagedResources>,
}

/// `environment:kubernetes:dashboard`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KubernetesDashboard {
    /// Namespace the dashboard shows (1 to 63 characters).
    pub namespace: String,
    /// Flux resource the dashboard shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flux_resource_path: Option<String>,
}

/// `environment:kubernetes:managed_resources`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagedResources {
    /// Whether GitLab manages Kubernetes resources for the environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// Returns whether `name` matches GitLab's environment name pattern: letters, digits, `_`, `-`, `$`,
/// `{`, `}`, `.`, spaces and `/`, with no `/` at either end.
pub fn is_valid_name(name: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_-${}. /".contains(c);
    !name.is_empty() && name.chars().all(allowed) && !name.starts_with('/') && !name.ends_with('/')
}

/// Maximum length, in characters, of an environment name or resource group key that GitLab
/// saves (`length: { maximum: 255 }` on the `Environment` and `Ci::ResourceGroup` models). The
/// configuration's own check is only [`is_valid_name`], so a longer name passes it and fails
/// when the pipeline is created.
pub const MAX_SAVED_NAME_CHARS: usize = 255;

/// Returns whether GitLab saves an environment or a resource group under the expanded name
/// `name`: it matches [`is_valid_name`] and has at most [`MAX_SAVED_NAME_CHARS`] characters.
pub fn is_saved_name(name: &str) -> bool {
    is_valid_name(name) && name.chars().count() <= MAX_SAVED_NAME_CHARS
}

/// Parses `environment:` (`path` is `jobs:<name>:environment`).
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Environment> {
    match &node.value {
        Value::String(name) => {
            let name = check_name(path, name, node, cx)?;
            Some(Environment {
                name,
                url: None,
                on_stop: None,
                action: None,
                auto_stop_in: None,
                kubernetes: None,
                deployment_tier: None,
            })
        }
        Value::Map(map) => parse_hash(path, map, node, cx),
        _ => {
            cx.type_error(path, "a hash or a string", node);
            None
        }
    }
}

fn check_name(path: &str, name: &str, node: &Node, cx: &mut Ctx) -> Option<String> {
    if name.trim().is_empty() {
        report(
            cx,
            "blank-value",
            field_message(path, "name", "can't be blank"),
            node.span,
            None,
        );
        return None;
    }
    if !is_valid_name(name) {
        report(
            cx,
            "invalid-name",
            field_message(path, "name", NAME_RULE),
            node.span,
            Some(format!("`{name}` is not a valid environment name")),
        );
        return None;
    }
    Some(name.to_owned())
}

fn parse_hash(path: &str, map: &Mapping, node: &Node, cx: &mut Ctx) -> Option<Environment> {
    let start = mark(cx);
    cx.check_keys(
        path,
        map,
        &[
            "name",
            "url",
            "action",
            "on_stop",
            "auto_stop_in",
            "kubernetes",
            "deployment_tier",
        ],
    );

    let name = match field(map, "name") {
        None => {
            report(
                cx,
                "missing-keys",
                field_message(path, "name", "can't be blank"),
                node.span,
                None,
            );
            None
        }
        Some(value) => match value.as_str() {
            Some(name) => check_name(path, name, value, cx),
            None => {
                report(
                    cx,
                    "invalid-name",
                    field_message(path, "name", NAME_RULE),
                    value.span,
                    None,
                );
                None
            }
        },
    };

    let url = optional_string(cx, path, map, "url").ok().flatten();
    if let (Some(url), Some(value)) = (&url, field(map, "url"))
        && url.chars().count() > MAX_URL_LENGTH
    {
        report(
            cx,
            "invalid-length",
            field_message(
                path,
                "url",
                format_args!("is too long (maximum is {MAX_URL_LENGTH} characters)"),
            ),
            value.span,
            None,
        );
    }

    let action = field(map, "action").and_then(|value| {
        let text = enum_text(cx, path, "action", value)?;
        let action = match text {
            "start" => EnvironmentAction::Start,
            "stop" => EnvironmentAction::Stop,
            "prepare" => EnvironmentAction::Prepare,
            "verify" => EnvironmentAction::Verify,
            "access" => EnvironmentAction::Access,
            _ => {
                // NOTE: GitLab 17 reports `should be start, stop or prepare`. The wording for
                // the five actions of newer versions is assumed.
                let message = field_message(
                    path,
                    "action",
                    "should be start, stop, prepare, verify, or access",
                );
                report_enum(cx, message, text, ACTIONS, value.span);
                return None;
            }
        };
        Some(action)
    });

    let deployment_tier = field(map, "deployment_tier").and_then(|value| {
        let text = enum_text(cx, path, "deployment_tier", value)?;
        let tier = match text {
            "production" => DeploymentTier::Production,
            "staging" => DeploymentTier::Staging,
            "testing" => DeploymentTier::Testing,
            "development" => DeploymentTier::Development,
            "other" => DeploymentTier::Other,
            _ => {
                let message = field_message(
                    path,
                    "deployment_tier",
                    format_args!("must be one of {}", TIERS.join(", ")),
                );
                report_enum(cx, message, text, TIERS, value.span);
                return None;
            }
        };
        Some(tier)
    });

    let on_stop = optional_string(cx, path, map, "on_stop").ok().flatten();
    let auto_stop_in =
        field(map, "auto_stop_in").and_then(|value| parse_auto_stop_in(path, value, cx));
    let kubernetes = field(map, "kubernetes").and_then(|value| {
        if value.as_map().is_none() {
            report_field_type(cx, path, "kubernetes", "a hash", value);
            return None;
        }
        parse_kubernetes(&format!("{path}:kubernetes"), value, cx)
    });

    if failed_since(cx, start) {
        return None;
    }
    Some(Environment {
        name: name?,
        url,
        on_stop,
        action,
        auto_stop_in,
        kubernetes,
        deployment_tier,
    })
}

fn enum_text<'a>(cx: &mut Ctx, path: &str, key: &str, node: &'a Node) -> Option<&'a str> {
    match node.as_str() {
        Some(text) => Some(text),
        None => {
            report_field_type(cx, path, key, "a string", node);
            None
        }
    }
}

/// `auto_stop_in` is a duration, or text with variables that GitLab expands first.
fn parse_auto_stop_in(path: &str, node: &Node, cx: &mut Ctx) -> Option<String> {
    let text = node.as_str();
    if let Some(text) = text.filter(|t| t.contains('$')) {
        // NOTE: the expanded value is not validated here; GitLab checks it when the
        // environment is created.
        return Some(text.to_owned());
    }
    let duration: Option<Duration> =
        duration::parse_attribute(&format!("{path}:auto_stop_in"), node, cx);
    duration.map(|d| d.text)
}

fn parse_kubernetes(path: &str, node: &Node, cx: &mut Ctx) -> Option<EnvironmentKubernetes> {
    let map = cx.mapping(path, node)?;
    if map.is_empty() {
        report(
            cx,
            "blank-value",
            format!("{path} config can't be blank"),
            node.span,
            None,
        );
        return None;
    }
    let start = mark(cx);
    cx.check_keys(
        path,
        map,
        &[
            "namespace",
            "agent",
            "flux_resource_path",
            "managed_resources",
            "dashboard",
        ],
    );
    let namespace = optional_string(cx, path, map, "namespace").ok().flatten();
    let agent = optional_string(cx, path, map, "agent").ok().flatten();
    let flux_resource_path = optional_string(cx, path, map, "flux_resource_path")
        .ok()
        .flatten();
    let managed_resources =
        field(map, "managed_resources").and_then(|value| parse_managed(path, value, cx));
    // GitLab validates `dashboard` only when it is present in the Rails sense, so `{}` passes.
    let dashboard = field(map, "dashboard")
        .filter(|value| !value.is_blank())
        .and_then(|value| parse_dashboard(path, value, cx));

    let present = |text: &Option<String>| text.as_deref().is_some_and(|t| !t.trim().is_empty());
    if present(&flux_resource_path) && !present(&namespace) {
        report(
            cx,
            "missing-keys",
            field_message(path, "namespace", "can't be blank"),
            node.span,
            None,
        );
    }
    let managed = managed_resources
        .as_ref()
        .is_some_and(|m| m.enabled == Some(true));
    if (present(&flux_resource_path) || dashboard.is_some() || managed) && !present(&agent) {
        report(
            cx,
            "missing-keys",
            field_message(path, "agent", "can't be blank"),
            node.span,
            None,
        );
    }
    if let Some(dashboard) = &dashboard {
        if present(&namespace) {
            report(
                cx,
                "conflicting-keys",
                field_message(
                    path,
                    "namespace",
                    "cannot be specified when dashboard.namespace is set",
                ),
                node.span,
                None,
            );
        }
        if present(&flux_resource_path) && dashboard.flux_resource_path.is_some() {
            report(
                cx,
                "conflicting-keys",
                field_message(
                    path,
                    "flux_resource_path",
                    "cannot be specified when dashboard.flux_resource_path is set",
                ),
                node.span,
                None,
            );
        }
    }

    (!failed_since(cx, start)).then_some(EnvironmentKubernetes {
        agent,
        namespace,
        flux_resource_path,
        dashboard,
        managed_resources,
    })
}

/// Reports a problem found by one of GitLab's Kubernetes JSON schemas.
fn schema_error(cx: &mut Ctx, path: &str, attribute: &str, detail: String, node: &Node) {
    report(
        cx,
        "invalid-kubernetes-options",
        field_message(path, attribute, detail),
        node.span,
        None,
    );
}

fn parse_managed(path: &str, node: &Node, cx: &mut Ctx) -> Option<ManagedResources> {
    let Some(map) = node.as_map() else {
        schema_error(
            cx,
            path,
            "managed resources",
            "value at root is not an object".to_owned(),
            node,
        );
        return None;
    };
    let mut enabled = None;
    for (key, value) in map.iter() {
        match (key.as_str(), value.as_bool()) {
            (Some("enabled"), Some(b)) => enabled = Some(b),
            (Some("enabled"), None) => {
                schema_error(
                    cx,
                    path,
                    "managed resources",
                    "value at `/enabled` is not a boolean".to_owned(),
                    value,
                );
                return None;
            }
            _ => {
                schema_error(
                    cx,
                    path,
                    "managed resources",
                    format!("object property at `/{key}` is a disallowed additional property"),
                    value,
                );
                return None;
            }
        }
    }
    Some(ManagedResources { enabled })
}

fn parse_dashboard(path: &str, node: &Node, cx: &mut Ctx) -> Option<KubernetesDashboard> {
    const ATTRIBUTE: &str = "dashboard";
    let Some(map) = node.as_map() else {
        schema_error(
            cx,
            path,
            ATTRIBUTE,
            "value at root is not an object".to_owned(),
            node,
        );
        return None;
    };
    for (key, value) in map.iter() {
        if !matches!(key.as_str(), Some("namespace" | "flux_resource_path")) {
            schema_error(
                cx,
                path,
                ATTRIBUTE,
                format!("object property at `/{key}` is a disallowed additional property"),
                value,
            );
            return None;
        }
    }
    let mut string = |key: &str, max: usize| -> Result<Option<String>, ()> {
        let Some(value) = map.get(key) else {
            return Ok(None);
        };
        let Some(text) = value.as_str() else {
            schema_error(
                cx,
                path,
                ATTRIBUTE,
                format!("value at `/{key}` is not a string"),
                value,
            );
            return Err(());
        };
        let length = text.chars().count();
        if length < 1 {
            schema_error(
                cx,
                path,
                ATTRIBUTE,
                format!("string length at `/{key}` is less than: 1"),
                value,
            );
            return Err(());
        }
        if length > max {
            schema_error(
                cx,
                path,
                ATTRIBUTE,
                format!("string length at `/{key}` is greater than: {max}"),
                value,
            );
            return Err(());
        }
        Ok(Some(text.to_owned()))
    };
    let namespace = string("namespace", 63).ok()?;
    let flux_resource_path = string("flux_resource_path", 255).ok()?;
    let Some(namespace) = namespace else {
        schema_error(
            cx,
            path,
            ATTRIBUTE,
            "object at root is missing required properties: namespace".to_owned(),
            node,
        );
        return None;
    };
    Some(KubernetesDashboard {
        namespace,
        flux_resource_path,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:deploy:environment";

    #[test]
    fn string_form() {
        let env = ok(parse, PATH, json!("review/$CI_COMMIT_REF_SLUG"));
        assert_eq!(env.name, "review/$CI_COMMIT_REF_SLUG");
        assert_eq!(env.action(), EnvironmentAction::Start);
    }

    #[test]
    fn full_hash() {
        let env = ok(
            parse,
            PATH,
            json!({
                "name": "production",
                "url": "https://example.com",
                "on_stop": "stop_prod",
                "action": "prepare",
                "auto_stop_in": "1 day",
                "deployment_tier": "production",
                "kubernetes": {"agent": "g/p:agent", "dashboard": {"namespace": "prod"}, "managed_resources": {"enabled": true}}
            }),
        );
        assert_eq!(env.action(), EnvironmentAction::Prepare);
        assert_eq!(env.deployment_tier, Some(DeploymentTier::Production));
        assert_eq!(env.auto_stop_in.as_deref(), Some("1 day"));
        assert_eq!(env.kubernetes.unwrap().dashboard.unwrap().namespace, "prod");
    }

    #[test]
    fn every_action_and_tier() {
        for action in ACTIONS {
            assert!(
                messages(parse, PATH, json!({"name": "a", "action": action})).is_empty(),
                "{action}"
            );
        }
        for tier in TIERS {
            assert!(
                messages(parse, PATH, json!({"name": "a", "deployment_tier": tier})).is_empty(),
                "{tier}"
            );
        }
    }

    #[test]
    fn auto_stop_in_with_variable() {
        let env = ok(
            parse,
            PATH,
            json!({"name": "a", "auto_stop_in": "$STOP_AFTER"}),
        );
        assert_eq!(env.auto_stop_in.as_deref(), Some("$STOP_AFTER"));
    }

    #[test]
    fn names() {
        for name in ["production", "review/feature-1", "${ENV}.example", "a b"] {
            assert!(is_valid_name(name), "{name}");
        }
        for name in ["/lead", "trail/", "a:b", "ü", ""] {
            assert!(!is_valid_name(name), "{name}");
        }
    }

    #[test]
    fn error_messages() {
        let long_url = format!("https://{}", "a".repeat(250));
        let rule = NAME_RULE;
        let cases = [
            (json!(1), "jobs:deploy:environment config should be a hash or a string".to_owned()),
            (json!(""), "jobs:deploy:environment name can't be blank".to_owned()),
            (json!("/prod"), format!("jobs:deploy:environment name {rule}")),
            (json!({"url": "x"}), "jobs:deploy:environment name can't be blank".to_owned()),
            (json!({"name": 1}), format!("jobs:deploy:environment name {rule}")),
            (json!({"name": "a", "tier": "x"}), "jobs:deploy:environment config contains unknown keys: tier".to_owned()),
            (json!({"name": "a", "url": 1}), "jobs:deploy:environment url should be a string".to_owned()),
            (json!({"name": "a", "url": long_url}), "jobs:deploy:environment url is too long (maximum is 255 characters)".to_owned()),
            (
                json!({"name": "a", "action": "deploy"}),
                "jobs:deploy:environment action should be start, stop, prepare, verify, or access".to_owned(),
            ),
            (
                json!({"name": "a", "deployment_tier": "prod"}),
                "jobs:deploy:environment deployment tier must be one of production, staging, testing, development, other".to_owned(),
            ),
            (json!({"name": "a", "on_stop": ["x"]}), "jobs:deploy:environment on stop should be a string".to_owned()),
            (json!({"name": "a", "auto_stop_in": "later"}), "jobs:deploy:environment auto stop in should be a duration".to_owned()),
            (json!({"name": "a", "kubernetes": "ns"}), "jobs:deploy:environment kubernetes should be a hash".to_owned()),
            (
                json!({"name": "a", "kubernetes": {"cluster": "x"}}),
                "jobs:deploy:environment:kubernetes config contains unknown keys: cluster".to_owned(),
            ),
            (
                json!({"name": "a", "kubernetes": {"agent": "g/p:a", "flux_resource_path": "x"}}),
                "jobs:deploy:environment:kubernetes namespace can't be blank".to_owned(),
            ),
            (
                json!({"name": "a", "kubernetes": {"dashboard": {"namespace": "n"}}}),
                "jobs:deploy:environment:kubernetes agent can't be blank".to_owned(),
            ),
            (
                json!({"name": "a", "kubernetes": {"agent": "g/p:a", "namespace": "x", "dashboard": {"namespace": "n"}}}),
                "jobs:deploy:environment:kubernetes namespace cannot be specified when dashboard.namespace is set".to_owned(),
            ),
            (
                json!({"name": "a", "kubernetes": {"agent": "g/p:a", "dashboard": {"flux_resource_path": "x"}}}),
                "jobs:deploy:environment:kubernetes dashboard object at root is missing required properties: namespace".to_owned(),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(messages(parse, PATH, input.clone()), [expected], "{input}");
        }
    }
}
