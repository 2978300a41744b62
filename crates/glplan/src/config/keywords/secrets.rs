//! `secrets:` (GitLab EE): variables whose values the runner fetches from a secrets provider,
//! by variable name. Each secret names exactly one provider.

use indexmap::IndexMap;
use serde::Serialize;

use super::shape::{
    failed_since, field, field_message, mark, optional_string, report, report_field_type,
};
use crate::config::check::Ctx;
use crate::yaml::{Mapping, Node, Value};

/// Secrets by variable name.
pub type Secrets = IndexMap<String, Secret>;

/// Provider keys, one of which each secret must use.
pub const PROVIDERS: &[&str] = &[
    "vault",
    "azure_key_vault",
    "gcp_secret_manager",
    "aws_secrets_manager",
    "akeyless",
    "gitlab_secrets_manager",
];

/// One secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Secret {
    /// HashiCorp Vault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vault: Option<VaultSecret>,
    /// Azure Key Vault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azure_key_vault: Option<NamedSecret>,
    /// Google Cloud Secret Manager.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gcp_secret_manager: Option<NamedSecret>,
    /// AWS Secrets Manager, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_secrets_manager: Option<serde_json::Value>,
    /// Akeyless, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub akeyless: Option<serde_json::Value>,
    /// GitLab's own secrets manager.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gitlab_secrets_manager: Option<GitlabSecret>,
    /// Expose the secret as a file variable (default `true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<bool>,
    /// ID token variable used to authenticate, such as `$VAULT_ID_TOKEN`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// A Vault secret, with the short string form expanded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VaultSecret {
    /// Secrets engine.
    pub engine: VaultEngine,
    /// Secret path inside the engine.
    pub path: String,
    /// Field of the secret.
    pub field: String,
}

/// A Vault secrets engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VaultEngine {
    /// Engine type, such as `kv-v2`.
    pub name: String,
    /// Mount path.
    pub path: String,
}

/// A secret identified by name and optional version (Azure, Google Cloud).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedSecret {
    /// Secret name.
    pub name: String,
    /// Version (a Google Cloud version number is kept as text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A secret of GitLab's secrets manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GitlabSecret {
    /// Secret name.
    pub name: String,
    /// `project` or `group/<full path>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Parses `secrets:` (`path` is `jobs:<name>:secrets`).
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Secrets> {
    let map = cx.mapping(path, node)?;
    let start = mark(cx);
    let mut secrets = Secrets::new();
    for (key, value) in map.iter() {
        let name = key.to_string();
        if let Some(secret) = parse_secret(&format!("{path}:{name}"), value, cx) {
            secrets.insert(name, secret);
        }
    }
    (!failed_since(cx, start)).then_some(secrets)
}

fn parse_secret(path: &str, node: &Node, cx: &mut Ctx) -> Option<Secret> {
    let map = cx.mapping(path, node)?;
    let start = mark(cx);
    let allowed: Vec<&str> = PROVIDERS.iter().copied().chain(["file", "token"]).collect();
    cx.check_keys(path, map, &allowed);
    let providers = PROVIDERS.iter().filter(|p| map.contains_key(p)).count();
    if providers != 1 {
        report(
            cx,
            "invalid-secret",
            format!(
                "{path} config must use exactly one of these keys: {}",
                PROVIDERS.join(", ")
            ),
            node.span,
            None,
        );
    }
    let token = optional_string(cx, path, map, "token").ok().flatten();
    if map.contains_key("gcp_secret_manager")
        && token.as_deref().is_none_or(|t| t.trim().is_empty())
    {
        report(
            cx,
            "missing-keys",
            field_message(path, "token", "is required with gcp secrets manager"),
            node.span,
            None,
        );
    }
    let file = field(map, "file").and_then(|value| cx.boolean(&format!("{path}:file"), value));

    let vault = field(map, "vault").and_then(|v| parse_vault(&format!("{path}:vault"), v, cx));
    let azure_key_vault = field(map, "azure_key_vault")
        .and_then(|v| parse_named(&format!("{path}:azure_key_vault"), v, cx, false));
    let gcp_secret_manager = field(map, "gcp_secret_manager")
        .and_then(|v| parse_named(&format!("{path}:gcp_secret_manager"), v, cx, true));
    let aws_secrets_manager = field(map, "aws_secrets_manager")
        .and_then(|v| parse_aws(&format!("{path}:aws_secrets_manager"), v, cx));
    let akeyless = field(map, "akeyless").and_then(|v| {
        cx.mapping(&format!("{path}:akeyless"), v)?;
        Some(v.to_json())
    });
    let gitlab_secrets_manager = field(map, "gitlab_secrets_manager")
        .and_then(|v| parse_gitlab(&format!("{path}:gitlab_secrets_manager"), v, cx));

    (!failed_since(cx, start)).then_some(Secret {
        vault,
        azure_key_vault,
        gcp_secret_manager,
        aws_secrets_manager,
        akeyless,
        gitlab_secrets_manager,
        file,
        token,
    })
}

fn required(cx: &mut Ctx, path: &str, map: &Mapping, key: &str, node: &Node) -> Option<String> {
    match field(map, key) {
        None => {
            report(
                cx,
                "missing-keys",
                field_message(path, key, "can't be blank"),
                node.span,
                None,
            );
            None
        }
        Some(value) => match value.as_str() {
            Some(text) if !text.trim().is_empty() => Some(text.to_owned()),
            Some(_) => {
                report(
                    cx,
                    "blank-value",
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

/// `vault:` as `path/to/secret/field@engine-path` or `{engine: {name, path}, path, field}`.
fn parse_vault(path: &str, node: &Node, cx: &mut Ctx) -> Option<VaultSecret> {
    match &node.value {
        Value::String(text) if text.trim().is_empty() => {
            report(
                cx,
                "blank-value",
                format!("{path} config can't be blank"),
                node.span,
                None,
            );
            None
        }
        // The engine path follows the last `@` (default `kv-v2`), and the field follows the
        // last `/` before it.
        Value::String(text) => {
            let (secret, engine_path) = match text.rsplit_once('@') {
                Some((secret, engine)) if !secret.is_empty() => (secret, engine),
                _ => (text.as_str(), "kv-v2"),
            };
            let (secret_path, field_name) = secret.rsplit_once('/').unwrap_or(("", secret));
            Some(VaultSecret {
                engine: VaultEngine {
                    name: "kv-v2".to_owned(),
                    path: engine_path.to_owned(),
                },
                path: secret_path.to_owned(),
                field: field_name.to_owned(),
            })
        }
        Value::Map(map) => {
            let start = mark(cx);
            cx.check_keys(path, map, &["engine", "path", "field"]);
            let secret_path = required(cx, path, map, "path", node);
            let field_name = required(cx, path, map, "field", node);
            let engine = match field(map, "engine") {
                None => {
                    report(
                        cx,
                        "missing-keys",
                        field_message(path, "engine", "can't be blank"),
                        node.span,
                        None,
                    );
                    None
                }
                Some(value) => match value.as_map() {
                    Some(engine) => {
                        let engine_path = format!("{path}:engine");
                        cx.check_keys(&engine_path, engine, &["name", "path"]);
                        let name = required(cx, &engine_path, engine, "name", value);
                        let mount = required(cx, &engine_path, engine, "path", value);
                        name.zip(mount)
                            .map(|(name, path)| VaultEngine { name, path })
                    }
                    None => {
                        report_field_type(cx, path, "engine", "a hash", value);
                        None
                    }
                },
            };
            if failed_since(cx, start) {
                return None;
            }
            Some(VaultSecret {
                engine: engine?,
                path: secret_path?,
                field: field_name?,
            })
        }
        _ => {
            report(
                cx,
                "invalid-type",
                format!("{path} should be a hash or a string"),
                node.span,
                None,
            );
            None
        }
    }
}

/// Azure Key Vault and Google Cloud secrets: `{name, version}`. Google Cloud versions may be
/// integers.
fn parse_named(
    path: &str,
    node: &Node,
    cx: &mut Ctx,
    integer_version: bool,
) -> Option<NamedSecret> {
    let map = cx.mapping(path, node)?;
    let start = mark(cx);
    cx.check_keys(path, map, &["name", "version"]);
    let name = required(cx, path, map, "name", node);
    let version = match field(map, "version") {
        Some(value) => match (&value.value, integer_version) {
            (Value::String(text), _) => Some(text.clone()),
            (Value::Int(number), true) => Some(number.to_string()),
            (Value::BigInt(digits), true) => Some(digits.clone()),
            _ => {
                let expected = if integer_version {
                    "a string or an integer"
                } else {
                    "a string"
                };
                report_field_type(cx, path, "version", expected, value);
                None
            }
        },
        None => None,
    };
    if failed_since(cx, start) {
        return None;
    }
    Some(NamedSecret {
        name: name?,
        version,
    })
}

fn parse_aws(path: &str, node: &Node, cx: &mut Ctx) -> Option<serde_json::Value> {
    match &node.value {
        Value::String(_) => Some(node.to_json()),
        Value::Map(map) => {
            let start = mark(cx);
            cx.check_keys(
                path,
                map,
                &[
                    "secret_id",
                    "version_id",
                    "version_stage",
                    "region",
                    "role_arn",
                    "role_session_name",
                    "field",
                ],
            );
            required(cx, path, map, "secret_id", node);
            for key in [
                "version_id",
                "version_stage",
                "region",
                "role_arn",
                "role_session_name",
                "field",
            ] {
                let _ = optional_string(cx, path, map, key);
            }
            (!failed_since(cx, start)).then(|| node.to_json())
        }
        _ => {
            report(
                cx,
                "invalid-type",
                format!("{path} should be a hash or a string"),
                node.span,
                None,
            );
            None
        }
    }
}

fn parse_gitlab(path: &str, node: &Node, cx: &mut Ctx) -> Option<GitlabSecret> {
    let map = cx.mapping(path, node)?;
    let start = mark(cx);
    cx.check_keys(path, map, &["name", "source"]);
    let name = required(cx, path, map, "name", node);
    let source = optional_string(cx, path, map, "source").ok().flatten();
    if let (Some(source), Some(value)) = (&source, field(map, "source")) {
        let group_path_ok = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c))
        };
        let valid = source == "project" || source.strip_prefix("group/").is_some_and(group_path_ok);
        if !valid {
            report(
                cx,
                "invalid-value",
                field_message(
                    path,
                    "source",
                    "must follow the format group/group_full_path or 'project'",
                ),
                value.span,
                None,
            );
        }
    }
    if failed_since(cx, start) {
        return None;
    }
    Some(GitlabSecret {
        name: name?,
        source,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:deploy:secrets";

    #[test]
    fn vault_short_form() {
        let secrets = ok(
            parse,
            PATH,
            json!({"DB_PASSWORD": {"vault": "production/db/password@ops"}}),
        );
        let vault = secrets["DB_PASSWORD"].vault.as_ref().unwrap();
        assert_eq!(vault.engine.path, "ops");
        assert_eq!(vault.path, "production/db");
        assert_eq!(vault.field, "password");
    }

    #[test]
    fn vault_short_form_default_engine() {
        let secrets = ok(parse, PATH, json!({"A": {"vault": "db/password"}}));
        assert_eq!(secrets["A"].vault.as_ref().unwrap().engine.path, "kv-v2");
    }

    #[test]
    fn other_providers() {
        let secrets = ok(
            parse,
            PATH,
            json!({
                "V": {"vault": {"engine": {"name": "kv-v2", "path": "secret"}, "path": "p", "field": "f"}, "file": false, "token": "$VAULT_ID_TOKEN"},
                "AZ": {"azure_key_vault": {"name": "s", "version": "1"}},
                "GCP": {"gcp_secret_manager": {"name": "s", "version": 2}, "token": "$GCP_ID_TOKEN"},
                "AWS": {"aws_secrets_manager": {"secret_id": "arn"}},
                "GL": {"gitlab_secrets_manager": {"name": "s", "source": "group/a/b"}}
            }),
        );
        assert_eq!(secrets.len(), 5);
        assert_eq!(secrets["V"].file, Some(false));
        assert_eq!(
            secrets["GCP"]
                .gcp_secret_manager
                .as_ref()
                .unwrap()
                .version
                .as_deref(),
            Some("2")
        );
    }

    #[test]
    fn error_messages() {
        let providers = PROVIDERS.join(", ");
        let cases = [
            (json!(["A"]), "jobs:deploy:secrets config should be a hash".to_owned()),
            (json!({"A": {"token": "$T"}}), format!("jobs:deploy:secrets:A config must use exactly one of these keys: {providers}")),
            (
                json!({"A": {"vault": "a/b", "azure_key_vault": {"name": "x"}}}),
                format!("jobs:deploy:secrets:A config must use exactly one of these keys: {providers}"),
            ),
            (json!({"A": {"vault": "a/b", "extra": 1}}), "jobs:deploy:secrets:A config contains unknown keys: extra".to_owned()),
            (json!({"A": {"gcp_secret_manager": {"name": "s"}}}), "jobs:deploy:secrets:A token is required with gcp secrets manager".to_owned()),
            (json!({"A": {"vault": {"path": "p", "field": "f"}}}), "jobs:deploy:secrets:A:vault engine can't be blank".to_owned()),
            (json!({"A": {"vault": 1}}), "jobs:deploy:secrets:A:vault should be a hash or a string".to_owned()),
            (
                json!({"A": {"vault": {"engine": {"name": "kv"}, "path": "p", "field": "f"}}}),
                "jobs:deploy:secrets:A:vault:engine path can't be blank".to_owned(),
            ),
            (json!({"A": {"azure_key_vault": {"version": "1"}}}), "jobs:deploy:secrets:A:azure_key_vault name can't be blank".to_owned()),
            (json!({"A": {"vault": "a/b", "file": "yes"}}), "jobs:deploy:secrets:A:file config should be a boolean value".to_owned()),
            (
                json!({"A": {"gitlab_secrets_manager": {"name": "s", "source": "elsewhere"}}}),
                "jobs:deploy:secrets:A:gitlab_secrets_manager source must follow the format group/group_full_path or 'project'".to_owned(),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(messages(parse, PATH, input.clone()), [expected], "{input}");
        }
    }
}
