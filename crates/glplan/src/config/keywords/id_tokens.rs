//! `id_tokens:`: JSON web tokens GitLab creates for the job, by variable name, each with its
//! audience.

use indexmap::IndexMap;
use serde::Serialize;

use super::shape::{field_message, report, require_keys, string_or_strings};
use crate::config::check::Ctx;
use crate::yaml::{Node, Value};

/// Tokens by the name of the variable that contains them.
pub type IdTokens = IndexMap<String, IdToken>;

/// One token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdToken {
    /// Audience (`aud` claim); a single string is stored as a one-element list.
    pub aud: Vec<String>,
}

/// Parses `id_tokens:` (job or `default:`).
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<IdTokens> {
    let map = cx.mapping(path, node)?;
    let mut tokens = IdTokens::new();
    let mut failed = false;
    for (key, entry) in map.entries() {
        let name = key.to_string();
        let token_path = format!("{path}:{name}");
        let value = &entry.value;
        let token_map = match &value.value {
            Value::Map(token) => token,
            _ => {
                report(
                    cx,
                    "missing-keys",
                    format!("{token_path} config missing required keys: aud"),
                    value.span,
                    Some("write `NAME: {aud: https://example.com}`".to_owned()),
                );
                failed = true;
                continue;
            }
        };
        let keys_ok = cx.check_keys(&token_path, token_map, &["aud"]);
        let aud = match token_map.get("aud") {
            None => {
                require_keys(cx, &token_path, token_map, value.span, &["aud"]);
                None
            }
            Some(aud) => match string_or_strings(aud) {
                Some(list) => Some(list),
                None => {
                    report(
                        cx,
                        "invalid-type",
                        field_message(
                            &token_path,
                            "aud",
                            "should be an array of strings or a string",
                        ),
                        aud.span,
                        None,
                    );
                    None
                }
            },
        };
        match aud {
            Some(aud) if keys_ok => {
                tokens.insert(name, IdToken { aud });
            }
            _ => failed = true,
        }
    }
    (!failed).then_some(tokens)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:deploy:id_tokens";

    #[test]
    fn audiences() {
        let tokens = ok(
            parse,
            PATH,
            json!({"VAULT_ID_TOKEN": {"aud": "https://vault.example.com"}, "AWS": {"aud": ["a", "b"]}}),
        );
        assert_eq!(tokens["VAULT_ID_TOKEN"].aud, ["https://vault.example.com"]);
        assert_eq!(tokens["AWS"].aud, ["a", "b"]);
    }

    #[test]
    fn error_messages() {
        let cases = [
            (
                json!(["A"]),
                "jobs:deploy:id_tokens config should be a hash",
            ),
            (
                json!({"A": "aud"}),
                "jobs:deploy:id_tokens:A config missing required keys: aud",
            ),
            (
                json!({"A": {}}),
                "jobs:deploy:id_tokens:A config missing required keys: aud",
            ),
            (
                json!({"A": {"aud": "x", "sub": "y"}}),
                "jobs:deploy:id_tokens:A config contains unknown keys: sub",
            ),
            (
                json!({"A": {"aud": 1}}),
                "jobs:deploy:id_tokens:A aud should be an array of strings or a string",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(messages(parse, PATH, input.clone()), [expected], "{input}");
        }
    }
}
