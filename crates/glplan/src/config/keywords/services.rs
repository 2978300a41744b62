//! `services:`: a list of strings or `{name, alias, entrypoint, command, variables,
//! pull_policy, docker, kubernetes}` hashes, and the host names the runner gives a service.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::image::{
    self, DockerOptions, IMAGEABLE_KEYS, KubernetesOptions, Port, PortsPolicy, PullPolicy,
};
use super::shape::{failed_since, field, mark, report, report_field_type, strings};
use super::variables::{self, Variables};
use crate::config::check::Ctx;
use crate::yaml::{Node, Value};

/// One service container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    /// Image reference.
    pub name: String,
    /// Extra host name for the service. GitLab does not expand variables in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Overrides the image's entrypoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// Overrides the image's command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Variables passed to this service only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<Variables>,
    /// Pull policies in order of preference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_policy: Option<Vec<PullPolicy>>,
    /// Docker executor options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docker: Option<DockerOptions>,
    /// Kubernetes executor options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesOptions>,
    /// Exposed ports (Web IDE terminal configuration only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<Port>>,
}

impl Service {
    /// Host names the job reaches this service at: the runner's default names for the image
    /// (see [`default_hostnames`]) and then the alias, when set.
    pub fn hostnames(&self) -> Vec<String> {
        let mut names = default_hostnames(&self.name);
        if let Some(alias) = &self.alias {
            names.push(alias.clone());
        }
        names
    }
}

/// The services of a job or of `default:`.
pub type Services = Vec<Service>;

/// Keys a service hash accepts besides the image keys.
const SERVICE_KEYS: &[&str] = &["command", "alias", "variables"];

/// Parses `services:` in `.gitlab-ci.yml`.
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Services> {
    parse_with(path, node, cx, PortsPolicy::Disallowed)
}

/// Parses `services:` with an explicit ports policy.
pub(crate) fn parse_with(
    path: &str,
    node: &Node,
    cx: &mut Ctx,
    ports: PortsPolicy,
) -> Option<Services> {
    let Some(items) = node.as_seq() else {
        cx.type_error(path, "a array", node);
        return None;
    };
    let start = mark(cx);
    let entry_path = format!("{path}:service");
    let services: Services = items
        .iter()
        .filter_map(|item| parse_service(&entry_path, item, cx, ports))
        .collect();
    if failed_since(cx, start) {
        return None;
    }

    // Aliases must be unique among services that expose ports.
    let aliases: Vec<&str> = services
        .iter()
        .filter(|s| s.ports.is_some())
        .filter_map(|s| s.alias.as_deref())
        .collect();
    let mut unique = aliases.clone();
    crate::sort::sort_by(&mut unique, |a, b| a.cmp(b));
    unique.dedup();
    if unique.len() != aliases.len() {
        report(
            cx,
            "duplicate-alias",
            format!("{path} config alias must be unique in services with ports"),
            node.span,
            None,
        );
        return None;
    }
    Some(services)
}

fn parse_service(path: &str, node: &Node, cx: &mut Ctx, ports: PortsPolicy) -> Option<Service> {
    let map = match &node.value {
        Value::String(name) => {
            let image = image::parse_name_string(path, name, node, cx)?;
            return Some(Service {
                name: image.name,
                alias: None,
                entrypoint: None,
                command: None,
                variables: None,
                pull_policy: None,
                docker: None,
                kubernetes: None,
                ports: None,
            });
        }
        Value::Map(map) => map,
        _ => {
            cx.type_error(path, "a hash or a string", node);
            return None;
        }
    };

    let start = mark(cx);
    let allowed: Vec<&str> = SERVICE_KEYS.iter().chain(IMAGEABLE_KEYS).copied().collect();
    cx.check_keys(path, map, &allowed);
    let image = image::parse_imageable(path, map, node, cx, ports);

    let command = field(map, "command").and_then(|value| match strings(value) {
        Some(list) => Some(list),
        None => {
            report_field_type(cx, path, "command", "an array of strings", value);
            None
        }
    });

    let alias = match field(map, "alias") {
        Some(value) => match value.as_str() {
            Some(alias) => Some(alias.to_owned()),
            None => {
                report_field_type(cx, path, "alias", "a string", value);
                None
            }
        },
        None => None,
    };
    let has_ports = image.as_ref().is_some_and(|i| i.ports.is_some());
    if has_ports && alias.as_deref().is_none_or(|a| a.trim().is_empty()) {
        report(
            cx,
            "missing-keys",
            super::shape::field_message(path, "alias", "can't be blank"),
            node.span,
            Some("a service that exposes ports needs an `alias`".to_owned()),
        );
    }

    let variables = field(map, "variables")
        .and_then(|value| variables::parse(&format!("{path}:variables"), value, cx));

    if failed_since(cx, start) {
        return None;
    }
    let image = image?;
    Some(Service {
        name: image.name,
        alias,
        entrypoint: image.entrypoint,
        command,
        variables,
        pull_policy: image.pull_policy,
        docker: image.docker,
        kubernetes: image.kubernetes,
        ports: image.ports,
    })
}

/// Docker's image reference grammar (`distribution/reference`): an optional registry host and
/// port, a lower-case path, an optional tag and an optional digest.
static REFERENCE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let alphanumeric = "[a-z0-9]+";
    let separator = "(?:[._]|__|[-]+)";
    let path_component = format!("{alphanumeric}(?:{separator}{alphanumeric})*");
    let domain_component = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    let domain =
        format!(r"(?:{domain_component}(?:\.{domain_component})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?");
    let name = format!("(?:{domain}/)?{path_component}(?:/{path_component})*");
    // Docker's grammar is a Go regular expression, where `\w` is ASCII.
    let tag = "[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}";
    let digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
    Regex::new(&format!("^({name})(?::({tag}))?(?:@({digest}))?$")).ok()
});

/// Splits `host:port/path` into the parts before and after the port, as the runner does.
static REGISTRY_PORT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new("^(.*?)(|:[0-9]+)(|/.*)$").ok());

/// Returns the host names the runner gives a service without an alias, as gitlab-runner's
/// `SplitNameAndVersion` computes them. The first is the image name without tag, digest and
/// registry port, with `/` replaced by `__`. The second, when it differs, replaces `/` with `-`.
/// `tutum/wordpress:latest` gives `tutum__wordpress` and `tutum-wordpress`;
/// `registry.example.com:5000/group/db:1` gives `registry.example.com__group__db` and
/// `registry.example.com-group-db`. A name that is not a valid image reference (for example
/// one with an unexpanded variable) gets no host names.
pub fn default_hostnames(image: &str) -> Vec<String> {
    let Some(captures) = REFERENCE.as_ref().and_then(|re| re.captures(image)) else {
        return Vec::new();
    };
    let Some(without_version) = captures.get(1).map(|m| m.as_str()) else {
        return Vec::new();
    };
    let service = match REGISTRY_PORT
        .as_ref()
        .and_then(|re| re.captures(without_version))
    {
        Some(parts) => {
            let host = parts.get(1).map_or("", |m| m.as_str());
            let rest = parts.get(3).map_or("", |m| m.as_str());
            format!("{host}{rest}")
        }
        None => without_version.to_owned(),
    };
    let first = service.replace('/', "__");
    let second = service.replace('/', "-");
    if first == second {
        vec![first]
    } else {
        vec![first, second]
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:j1:services";

    #[test]
    fn hostnames_table() {
        let cases: [(&str, &[&str]); 9] = [
            (
                "tutum/wordpress:latest",
                &["tutum__wordpress", "tutum-wordpress"],
            ),
            ("postgres:16", &["postgres"]),
            ("redis", &["redis"]),
            (
                "registry.example.com:5000/group/db:1",
                &[
                    "registry.example.com__group__db",
                    "registry.example.com-group-db",
                ],
            ),
            (
                "docker.io/library/nginx",
                &["docker.io__library__nginx", "docker.io-library-nginx"],
            ),
            (
                "mysql@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                &["mysql"],
            ),
            ("$IMAGE", &[]),
            ("group/Image", &[]),
            // A tag is ASCII: `\w` in Docker's Go regular expression does not match `é`.
            ("postgres:été", &[]),
        ];
        for (image, expected) in cases {
            assert_eq!(default_hostnames(image), expected, "{image}");
        }
    }

    /// T5.12: wordpress is reachable by its two default names, redis by its alias.
    #[test]
    fn worked_example() {
        let services = ok(
            parse,
            PATH,
            json!([{"name": "tutum/wordpress:latest"}, {"name": "redis:7", "alias": "cache"}]),
        );
        assert_eq!(services.len(), 2);
        assert_eq!(
            services[0].hostnames(),
            ["tutum__wordpress", "tutum-wordpress"]
        );
        assert_eq!(services[1].alias.as_deref(), Some("cache"));
        assert!(services[1].hostnames().contains(&"cache".to_owned()));
    }

    #[test]
    fn string_entries() {
        let services = ok(parse, PATH, json!(["postgres:16"]));
        assert_eq!(
            serde_json::to_value(&services).unwrap(),
            json!([{"name": "postgres:16"}])
        );
    }

    #[test]
    fn full_hash() {
        let services = ok(
            parse,
            PATH,
            json!([{
                "name": "db:1",
                "alias": "db",
                "entrypoint": ["/bin/sh"],
                "command": ["run"],
                "variables": {"A": 1},
                "pull_policy": "if-not-present",
                "docker": {"user": "root"},
                "kubernetes": {"user": "1000:1000"}
            }]),
        );
        let service = &services[0];
        assert_eq!(service.command, Some(vec!["run".to_owned()]));
        assert_eq!(
            service
                .variables
                .as_ref()
                .and_then(|v| v.get("A"))
                .map(String::as_str),
            Some("1")
        );
        assert_eq!(service.pull_policy, Some(vec![PullPolicy::IfNotPresent]));
    }

    #[test]
    fn error_messages() {
        let cases = [
            (
                json!("postgres"),
                "jobs:j1:services config should be a array",
            ),
            (
                json!([1]),
                "jobs:j1:services:service config should be a hash or a string",
            ),
            (
                json!([{"alias": "x"}]),
                "jobs:j1:services:service name can't be blank",
            ),
            (
                json!([{"name": "a", "command": "run"}]),
                "jobs:j1:services:service command should be an array of strings",
            ),
            (
                json!([{"name": "a", "alias": 1}]),
                "jobs:j1:services:service alias should be a string",
            ),
            (
                json!([{"name": "a", "hostname": "b"}]),
                "jobs:j1:services:service config contains unknown keys: hostname",
            ),
            (
                json!([{"name": "a", "ports": [80]}]),
                "jobs:j1:services:service config contains disallowed keys: ports",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(messages(parse, PATH, input.clone()), [expected], "{input}");
        }
    }

    #[test]
    fn ports_need_alias() {
        let parse_ide =
            |p: &str, n: &Node, cx: &mut Ctx| parse_with(p, n, cx, PortsPolicy::Allowed);
        assert_eq!(
            messages(parse_ide, PATH, json!([{"name": "a", "ports": [80]}])),
            ["jobs:j1:services:service alias can't be blank"]
        );
    }

    #[test]
    fn ports_aliases_unique() {
        let parse_ide =
            |p: &str, n: &Node, cx: &mut Ctx| parse_with(p, n, cx, PortsPolicy::Allowed);
        assert_eq!(
            messages(
                parse_ide,
                PATH,
                json!([
                    {"name": "a", "alias": "x", "ports": [80]},
                    {"name": "b", "alias": "x", "ports": [81]}
                ])
            ),
            ["jobs:j1:services config alias must be unique in services with ports"]
        );
    }
}
