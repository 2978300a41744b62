//! `image:`: a string `name[:tag|@digest]`, or `{name, entrypoint, docker: {platform, user},
//! kubernetes: {user}, pull_policy}`. The parts shared with `services:` entries live here too.
//!
//! GitLab accepts `ports` on images and services only in the Web IDE terminal configuration;
//! in `.gitlab-ci.yml` it reports `config contains disallowed keys: ports`.

use serde::Serialize;

use super::shape::{
    failed_since, field, field_message, mark, report, report_enum, report_field_type, strings,
};
use crate::config::check::Ctx;
use crate::yaml::{Mapping, Node, Value};

/// `image:`, normalized to the hash form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    /// Image reference, such as `ruby:3.3` or `registry.example.com/tools/cli:1.2`.
    pub name: String,
    /// Overrides the image's entrypoint (`[""]` clears it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// Docker executor options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docker: Option<DockerOptions>,
    /// Kubernetes executor options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesOptions>,
    /// Pull policies in order of preference (a single string becomes a one-element list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_policy: Option<Vec<PullPolicy>>,
    /// Exposed ports (Web IDE terminal configuration only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<Port>>,
}

/// `docker:` options of an image or service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DockerOptions {
    /// Platform to pull, such as `arm64/v8` (1 to 64 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// User to run the container as, `user[:group]` (1 to 255 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// `kubernetes:` options of an image or service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KubernetesOptions {
    /// User to run the container as, `uid[:gid]`; an integer is kept as its decimal text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// An image pull policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PullPolicy {
    /// Pull every time.
    Always,
    /// Pull only when the image is not present locally.
    IfNotPresent,
    /// Never pull.
    Never,
}

impl PullPolicy {
    /// Returns the YAML spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PullPolicy::Always => "always",
            PullPolicy::IfNotPresent => "if-not-present",
            PullPolicy::Never => "never",
        }
    }

    fn parse(text: &str) -> Option<PullPolicy> {
        Some(match text {
            "always" => PullPolicy::Always,
            "if-not-present" => PullPolicy::IfNotPresent,
            "never" => PullPolicy::Never,
            _ => return None,
        })
    }
}

/// Pull policy spellings, in GitLab's order.
pub const PULL_POLICIES: &[&str] = &["always", "never", "if-not-present"];

/// A port exposed by an image or service (Web IDE terminals only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Port {
    /// Port number.
    pub number: i64,
    /// `http` or `https`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Name, required when there is more than one port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Keys every image-like entry accepts.
pub(crate) const IMAGEABLE_KEYS: &[&str] = &[
    "docker",
    "kubernetes",
    "name",
    "entrypoint",
    "ports",
    "pull_policy",
];

/// Whether `ports` are allowed: only in the Web IDE terminal configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PortsPolicy {
    /// `.gitlab-ci.yml`: `ports` is a disallowed key.
    Disallowed,
    /// Web IDE terminal: `ports` is parsed.
    Allowed,
}

/// Parses `image:` in `.gitlab-ci.yml`.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Image> {
    parse_with(path, node, cx, PortsPolicy::Disallowed)
}

/// Parses `image:` with an explicit ports policy.
pub(crate) fn parse_with(
    path: &str,
    node: &Node,
    cx: &mut Ctx,
    ports: PortsPolicy,
) -> Option<Image> {
    match &node.value {
        Value::String(name) => parse_name_string(path, name, node, cx),
        Value::Map(map) => {
            let start = mark(cx);
            cx.check_keys(path, map, IMAGEABLE_KEYS);
            let image = parse_imageable(path, map, node, cx, ports);
            if failed_since(cx, start) { None } else { image }
        }
        _ => {
            cx.type_error(path, "a hash or a string", node);
            None
        }
    }
}

/// Parses the string form, where the whole string is the name and may not be empty.
pub(crate) fn parse_name_string(
    path: &str,
    name: &str,
    node: &Node,
    cx: &mut Ctx,
) -> Option<Image> {
    if name.trim().is_empty() {
        report(
            cx,
            "missing-keys",
            field_message(path, "name", "can't be blank"),
            node.span,
            Some("write the image reference, such as `alpine:3.20`".to_owned()),
        );
        return None;
    }
    Some(Image {
        name: name.to_owned(),
        entrypoint: None,
        docker: None,
        kubernetes: None,
        pull_policy: None,
        ports: None,
    })
}

/// Parses the hash form without the unknown-keys check, because the caller has the full key
/// list. Reports every problem and returns the image when its name parsed.
pub(crate) fn parse_imageable(
    path: &str,
    map: &Mapping,
    node: &Node,
    cx: &mut Ctx,
    ports_policy: PortsPolicy,
) -> Option<Image> {
    if ports_policy == PortsPolicy::Disallowed {
        super::shape::disallow_keys(cx, path, map, &["ports"], "contains disallowed keys");
    }

    let name = match field(map, "name") {
        None => {
            report(
                cx,
                "missing-keys",
                field_message(path, "name", "can't be blank"),
                node.span,
                Some("add `name:` with the image reference".to_owned()),
            );
            None
        }
        Some(value) => match value.as_str() {
            Some(text) if !text.trim().is_empty() => Some(text.to_owned()),
            Some(_) => {
                report(
                    cx,
                    "missing-keys",
                    field_message(path, "name", "can't be blank"),
                    value.span,
                    None,
                );
                None
            }
            None => {
                report_field_type(cx, path, "name", "a string", value);
                None
            }
        },
    };

    let entrypoint = match field(map, "entrypoint") {
        Some(value) => match strings(value) {
            Some(list) => Some(list),
            None => {
                report_field_type(cx, path, "entrypoint", "an array of strings", value);
                None
            }
        },
        None => None,
    };

    let docker = field(map, "docker").and_then(|value| parse_docker(path, value, cx));
    let kubernetes = field(map, "kubernetes").and_then(|value| parse_kubernetes(path, value, cx));
    let pull_policy = field(map, "pull_policy")
        .and_then(|value| parse_pull_policy(&format!("{path}:pull_policy"), value, cx));
    let ports = match (ports_policy, field(map, "ports")) {
        (PortsPolicy::Allowed, Some(value)) => parse_ports(&format!("{path}:ports"), value, cx),
        _ => None,
    };

    Some(Image {
        name: name?,
        entrypoint,
        docker,
        kubernetes,
        pull_policy,
        ports,
    })
}

/// Reports a problem found by GitLab's executor-options JSON schema, worded as its schema
/// validator words it.
fn schema_error(cx: &mut Ctx, path: &str, detail: String, span: crate::source::Span) {
    report(
        cx,
        "invalid-executor-options",
        field_message(path, "executor opts", detail),
        span,
        None,
    );
}

fn parse_docker(path: &str, node: &Node, cx: &mut Ctx) -> Option<DockerOptions> {
    let Some(map) = node.as_map() else {
        schema_error(
            cx,
            path,
            "value at `/docker` is not an object".to_owned(),
            node.span,
        );
        return None;
    };
    let start = mark(cx);
    reject_extra_properties(cx, path, "docker", map, &["platform", "user"]);
    let platform = schema_string(cx, path, "/docker/platform", field(map, "platform"), 64);
    let user = schema_string(cx, path, "/docker/user", field(map, "user"), 255);
    (!failed_since(cx, start)).then_some(DockerOptions { platform, user })
}

fn parse_kubernetes(path: &str, node: &Node, cx: &mut Ctx) -> Option<KubernetesOptions> {
    let Some(map) = node.as_map() else {
        schema_error(
            cx,
            path,
            "value at `/kubernetes` is not an object".to_owned(),
            node.span,
        );
        return None;
    };
    let start = mark(cx);
    reject_extra_properties(cx, path, "kubernetes", map, &["user"]);
    // The user may be a numeric uid.
    let user = match field(map, "user") {
        Some(value) if value.as_int().is_some() => value.as_int().map(|uid| uid.to_string()),
        other => schema_string(cx, path, "/kubernetes/user", other, 255),
    };
    (!failed_since(cx, start)).then_some(KubernetesOptions { user })
}

fn reject_extra_properties(
    cx: &mut Ctx,
    path: &str,
    object: &str,
    map: &Mapping,
    allowed: &[&str],
) {
    for (key, entry) in map.entries() {
        if !key.as_str().is_some_and(|k| allowed.contains(&k)) {
            schema_error(
                cx,
                path,
                format!("object property at `/{object}/{key}` is a disallowed additional property"),
                entry.key_span,
            );
        }
    }
}

fn schema_string(
    cx: &mut Ctx,
    path: &str,
    pointer: &str,
    node: Option<&Node>,
    max_chars: usize,
) -> Option<String> {
    let node = node?;
    let Some(text) = node.as_str() else {
        schema_error(
            cx,
            path,
            format!("value at `{pointer}` is not a string"),
            node.span,
        );
        return None;
    };
    let length = text.chars().count();
    if length < 1 {
        schema_error(
            cx,
            path,
            format!("string length at `{pointer}` is less than: 1"),
            node.span,
        );
        return None;
    }
    if length > max_chars {
        schema_error(
            cx,
            path,
            format!("string length at `{pointer}` is greater than: {max_chars}"),
            node.span,
        );
        return None;
    }
    Some(text.to_owned())
}

/// Parses `pull_policy:` (its own entry, at `path`): one policy or a non-empty list.
pub(crate) fn parse_pull_policy(path: &str, node: &Node, cx: &mut Ctx) -> Option<Vec<PullPolicy>> {
    match &node.value {
        Value::String(text) => match PullPolicy::parse(text) {
            Some(policy) => Some(vec![policy]),
            None => {
                let message = format!("{path} config is not included in the list");
                report_enum(cx, message, text, PULL_POLICIES, node.span);
                None
            }
        },
        Value::Seq(items) => {
            let Some(texts) = strings(node) else {
                cx.type_error(path, "an array of strings or a string", node);
                return None;
            };
            if items.is_empty() {
                report(
                    cx,
                    "blank-value",
                    format!("{path} config can't be blank"),
                    node.span,
                    None,
                );
                return None;
            }
            let unknown: Vec<&str> = texts
                .iter()
                .map(String::as_str)
                .filter(|t| PullPolicy::parse(t).is_none())
                .collect();
            if let Some(first) = unknown.first() {
                let message = format!(
                    "{path} config contains unknown values: {}",
                    unknown.join(", ")
                );
                report_enum(cx, message, first, PULL_POLICIES, node.span);
                return None;
            }
            Some(texts.iter().filter_map(|t| PullPolicy::parse(t)).collect())
        }
        _ => {
            cx.type_error(path, "an array of strings or a string", node);
            None
        }
    }
}

/// Parses `ports:` (Web IDE only): integers or `{number, protocol, name}` hashes, with unique
/// numbers, and unique names when there is more than one port.
pub(crate) fn parse_ports(path: &str, node: &Node, cx: &mut Ctx) -> Option<Vec<Port>> {
    let Some(items) = node.as_seq() else {
        cx.type_error(path, "a array", node);
        return None;
    };
    let start = mark(cx);
    let entry_path = format!("{path}:port");
    let ports: Vec<Port> = items
        .iter()
        .filter_map(|item| parse_port(&entry_path, item, cx))
        .collect();
    if failed_since(cx, start) {
        return None;
    }

    if ports.len() > 1 {
        let names: Vec<String> = ports
            .iter()
            .filter_map(|p| p.name.as_ref().map(|n| n.to_lowercase()))
            .collect();
        if names.len() != ports.len() {
            report(
                cx,
                "invalid-ports",
                format!(
                    "{path} config when there is more than one port, a unique name should be added"
                ),
                node.span,
                None,
            );
        }
        let mut unique_names = names.clone();
        crate::sort::sort_by(&mut unique_names, |a, b| a.cmp(b));
        unique_names.dedup();
        if unique_names.len() != ports.len() {
            report(
                cx,
                "invalid-ports",
                format!("{path} config each port name must be different"),
                node.span,
                None,
            );
        }
        let mut numbers: Vec<i64> = ports.iter().map(|p| p.number).collect();
        crate::sort::sort_by(&mut numbers, |a, b| a.cmp(b));
        numbers.dedup();
        if numbers.len() != ports.len() {
            report(
                cx,
                "invalid-ports",
                format!("{path} config each port number can only be referenced once"),
                node.span,
                None,
            );
        }
    }
    (!failed_since(cx, start)).then_some(ports)
}

fn parse_port(path: &str, node: &Node, cx: &mut Ctx) -> Option<Port> {
    let map = match &node.value {
        Value::Int(number) => {
            return Some(Port {
                number: *number,
                protocol: None,
                name: None,
            });
        }
        Value::Map(map) => map,
        _ => {
            cx.type_error(path, "a hash or an integer", node);
            return None;
        }
    };
    let start = mark(cx);
    cx.check_keys(path, map, &["number", "protocol", "name"]);
    let number = match field(map, "number") {
        Some(value) => match value.as_int() {
            Some(n) => Some(n),
            None => {
                report_field_type(cx, path, "number", "a integer", value);
                None
            }
        },
        None => {
            report(
                cx,
                "missing-keys",
                field_message(path, "number", "can't be blank"),
                node.span,
                None,
            );
            None
        }
    };
    let protocol = match field(map, "protocol") {
        Some(value) => match value.as_str() {
            Some("") => None,
            Some(p @ ("http" | "https")) => Some(p.to_owned()),
            Some(p) => {
                let message = field_message(path, "protocol", "should be http or https");
                report_enum(cx, message, p, &["http", "https"], value.span);
                None
            }
            None => {
                report_field_type(cx, path, "protocol", "a string", value);
                None
            }
        },
        None => None,
    };
    let name = super::shape::optional_string(cx, path, map, "name")
        .ok()
        .flatten();
    if failed_since(cx, start) {
        return None;
    }
    Some(Port {
        number: number?,
        protocol,
        name,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:j1:image";

    #[test]
    fn string_form() {
        let image = ok(parse, PATH, json!("ruby:3.3"));
        assert_eq!(image.name, "ruby:3.3");
        assert_eq!(
            serde_json::to_value(&image).unwrap(),
            json!({"name": "ruby:3.3"})
        );
    }

    /// T5.12: the hash form keeps `entrypoint` and the pull policy list.
    #[test]
    fn worked_example_hash() {
        let image = ok(
            parse,
            PATH,
            json!({
                "name": "registry.example.com/tools/cli:1.2",
                "entrypoint": [""],
                "pull_policy": ["always", "if-not-present"]
            }),
        );
        assert_eq!(
            serde_json::to_value(&image).unwrap(),
            json!({
                "name": "registry.example.com/tools/cli:1.2",
                "entrypoint": [""],
                "pull_policy": ["always", "if-not-present"]
            })
        );
    }

    #[test]
    fn executor_options() {
        let image = ok(
            parse,
            PATH,
            json!({"name": "a", "docker": {"platform": "arm64", "user": "1000"}, "kubernetes": {"user": 1000}}),
        );
        assert_eq!(
            image.docker,
            Some(DockerOptions {
                platform: Some("arm64".to_owned()),
                user: Some("1000".to_owned())
            })
        );
        assert_eq!(image.kubernetes.unwrap().user.as_deref(), Some("1000"));
    }

    #[test]
    fn pull_policy_string_becomes_list() {
        let image = ok(parse, PATH, json!({"name": "a", "pull_policy": "never"}));
        assert_eq!(image.pull_policy, Some(vec![PullPolicy::Never]));
    }

    #[test]
    fn error_messages() {
        let cases = [
            (
                json!(1),
                "jobs:j1:image config should be a hash or a string",
            ),
            (json!(""), "jobs:j1:image name can't be blank"),
            (
                json!({"entrypoint": ["a"]}),
                "jobs:j1:image name can't be blank",
            ),
            (json!({"name": 1}), "jobs:j1:image name should be a string"),
            (
                json!({"name": "a", "tag": "b"}),
                "jobs:j1:image config contains unknown keys: tag",
            ),
            (
                json!({"name": "a", "entrypoint": "sh"}),
                "jobs:j1:image entrypoint should be an array of strings",
            ),
            (
                json!({"name": "a", "ports": [80]}),
                "jobs:j1:image config contains disallowed keys: ports",
            ),
            (
                json!({"name": "a", "pull_policy": "sometimes"}),
                "jobs:j1:image:pull_policy config is not included in the list",
            ),
            (
                json!({"name": "a", "pull_policy": ["always", "later"]}),
                "jobs:j1:image:pull_policy config contains unknown values: later",
            ),
            (
                json!({"name": "a", "pull_policy": []}),
                "jobs:j1:image:pull_policy config can't be blank",
            ),
            (
                json!({"name": "a", "pull_policy": 1}),
                "jobs:j1:image:pull_policy config should be an array of strings or a string",
            ),
            (
                json!({"name": "a", "docker": {"platform": 1}}),
                "jobs:j1:image executor opts value at `/docker/platform` is not a string",
            ),
            (
                json!({"name": "a", "docker": {"cpus": "1"}}),
                "jobs:j1:image executor opts object property at `/docker/cpus` is a disallowed additional property",
            ),
            (
                json!({"name": "a", "docker": {"user": ""}}),
                "jobs:j1:image executor opts string length at `/docker/user` is less than: 1",
            ),
            (
                json!({"name": "a", "docker": "x"}),
                "jobs:j1:image executor opts value at `/docker` is not an object",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(messages(parse, PATH, input.clone()), [expected], "{input}");
        }
    }

    #[test]
    fn docker_platform_length() {
        let long = "x".repeat(65);
        assert_eq!(
            messages(
                parse,
                PATH,
                json!({"name": "a", "docker": {"platform": long}})
            ),
            ["jobs:j1:image executor opts string length at `/docker/platform` is greater than: 64"]
        );
    }

    #[test]
    fn ports_allowed_in_web_ide() {
        let parse_ide =
            |p: &str, n: &Node, cx: &mut Ctx| parse_with(p, n, cx, PortsPolicy::Allowed);
        let image = ok(
            parse_ide,
            PATH,
            json!({"name": "a", "ports": [{"number": 80, "name": "web", "protocol": "http"}, {"number": 443, "name": "tls"}]}),
        );
        assert_eq!(image.ports.map(|p| p.len()), Some(2));
    }

    #[test]
    fn ports_need_unique_names_and_numbers() {
        let parse_ide =
            |p: &str, n: &Node, cx: &mut Ctx| parse_with(p, n, cx, PortsPolicy::Allowed);
        assert_eq!(
            messages(parse_ide, PATH, json!({"name": "a", "ports": [80, 80]})),
            [
                "jobs:j1:image:ports config when there is more than one port, a unique name should be added",
                "jobs:j1:image:ports config each port name must be different",
                "jobs:j1:image:ports config each port number can only be referenced once",
            ]
        );
    }

    #[test]
    fn port_protocol() {
        let parse_ide =
            |p: &str, n: &Node, cx: &mut Ctx| parse_with(p, n, cx, PortsPolicy::Allowed);
        assert_eq!(
            messages(
                parse_ide,
                PATH,
                json!({"name": "a", "ports": [{"number": 80, "protocol": "tcp"}]})
            ),
            ["jobs:j1:image:ports:port protocol should be http or https"]
        );
    }
}
