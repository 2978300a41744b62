//! Include items: normalization, shape checks, variable expansion and type matching, after
//! GitLab's `External::Mapper` steps (`Normalizer`, `VariablesExpander`, `Matcher`) and the
//! `Entry::Include` validations.

use base64::Engine;

use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::expand;
use crate::inputs::ruby;
use crate::source::Span;
use crate::yaml::{Mapping, Node, Value};

/// One include entry in mapping form, with the span of the include item it came from.
#[derive(Debug, Clone)]
pub(super) struct Item {
    /// The entry's keys (`local`, `project`, `file`, `inputs`, ...).
    pub map: Mapping,
    /// Span of the include item as written.
    pub span: Span,
    /// Span of the entry of a `file:` list that this item was expanded from, where the errors
    /// about that one file point.
    pub file_span: Option<Span>,
    /// The `local` or `file` location as written, when variable expansion changed it.
    pub written_location: Option<String>,
}

impl Item {
    /// The value of a key, unless it is missing or null.
    pub(super) fn get(&self, key: &str) -> Option<&Node> {
        self.map.get(key).filter(|node| !node.is_null())
    }

    /// A copy with `key` set to `value`, keeping the other keys (GitLab's `location.merge`).
    pub(super) fn with(&self, key: &str, value: Node) -> Item {
        let mut map = self.map.clone();
        let key_span = map.entry(key).map_or(value.span, |entry| entry.key_span);
        map.insert(key, key_span, value);
        Item {
            map,
            span: self.span,
            file_span: self.file_span,
            written_location: self.written_location.clone(),
        }
    }

    /// The input arguments: `inputs`, or the legacy `with` when `inputs` is absent.
    pub(super) fn inputs(&self) -> Option<&Node> {
        self.map.get("inputs").or_else(|| self.map.get("with"))
    }
}

/// The include kinds, in the order GitLab's messages list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Local,
    Project,
    Remote,
    Template,
    Artifact,
    Component,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::Local,
        Kind::Project,
        Kind::Remote,
        Kind::Template,
        Kind::Artifact,
        Kind::Component,
    ];

    fn key(self) -> &'static str {
        match self {
            Kind::Local => "local",
            Kind::Project => "project",
            Kind::Remote => "remote",
            Kind::Template => "template",
            Kind::Artifact => "artifact",
            Kind::Component => "component",
        }
    }

    /// Returns the key that contains the location: `file` for project includes, the kind's own
    /// key otherwise.
    pub(super) fn location_key(self) -> &'static str {
        match self {
            Kind::Project => "file",
            other => other.key(),
        }
    }

    /// Returns whether an item has this kind's keys, as each GitLab file class's `matching?`
    /// checks.
    fn matches(self, item: &Item) -> bool {
        let present = |key: &str| item.get(key).is_some_and(|node| !node.is_blank());
        match self {
            Kind::Project => present("file") && !project_name(item).is_empty(),
            other => present(other.key()),
        }
    }
}

/// Keys GitLab accepts in an include mapping. `with` is the legacy name of `inputs`.
const ALLOWED_KEYS: &[&str] = &[
    "local",
    "file",
    "remote",
    "template",
    "component",
    "artifact",
    "inputs",
    "with",
    "job",
    "project",
    "ref",
    "rules",
    "integrity",
];

/// Turns the `include` value into items: a single item or a list, null entries dropped. A
/// string item is variable-expanded first and becomes `remote` when it is a URL and `local`
/// otherwise, because the expanded text decides which it is.
pub(super) fn normalize(
    include: &Node,
    variables: &[(String, String)],
    diags: &mut Diagnostics,
) -> Vec<Item> {
    let items: Vec<&Node> = match &include.value {
        Value::Null => Vec::new(),
        Value::Seq(items) => items.iter().collect(),
        _ => vec![include],
    };
    let mut normalized = Vec::new();
    for item in items {
        match &item.value {
            Value::Null => {}
            Value::String(text) => {
                let expanded = expand::expand(text, variables);
                let key = if is_valid_url(&expanded) {
                    "remote"
                } else {
                    "local"
                };
                let written_location = (expanded != *text).then(|| text.clone());
                let mut map = Mapping::new();
                map.insert(key, item.span, Node::string(expanded, item.span));
                normalized.push(Item {
                    written_location,
                    map,
                    span: item.span,
                    file_span: None,
                });
            }
            Value::Map(map) => normalized.push(Item {
                map: map.clone(),
                span: item.span,
                file_span: None,
                written_location: None,
            }),
            _ => diags.push(
                Diagnostic::error(
                    "include-invalid-type",
                    "Each include must be a hash or a string",
                )
                .with_span(item.span)
                .with_help(format!(
                    "found {}; write a path, a URL or a mapping such as `local: ci/build.yml`",
                    item.type_name()
                )),
            ),
        }
    }
    normalized
}

/// Applies the checks of GitLab's include entry (`Entry::Include`). Unknown keys get a warning,
/// because the top-level `include` ignores them; the other problems are errors and the item is
/// skipped. Returns whether the item can be used.
pub(super) fn check_shape(item: &Item, diags: &mut Diagnostics) -> bool {
    let unknown: Vec<(String, Span)> = item
        .map
        .entries()
        .filter(|(key, _)| !key.as_str().is_some_and(|k| ALLOWED_KEYS.contains(&k)))
        .map(|(key, entry)| (key.to_string(), entry.key_span))
        .collect();
    if let Some((first, span)) = unknown.first() {
        let names: Vec<&str> = unknown.iter().map(|(name, _)| name.as_str()).collect();
        let mut diagnostic = Diagnostic::warning(
            "include-unknown-keys",
            format!("include config contains unknown keys: {}", names.join(", ")),
        )
        .with_span(*span);
        for (name, span) in unknown.iter().skip(1) {
            let label = match did_you_mean(name, ALLOWED_KEYS.iter().copied()) {
                Some(suggestion) => format!("unknown key; did you mean `{suggestion}`?"),
                None => "unknown key".to_owned(),
            };
            diagnostic = diagnostic.with_label(*span, label);
        }
        let help = match did_you_mean(first, ALLOWED_KEYS.iter().copied()) {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None => format!("allowed keys: {}", ALLOWED_KEYS.join(", ")),
        };
        diags.push(diagnostic.with_help(help));
    }

    let mut usable = true;
    let mut error = |message: &str, span: Span, help: &str| {
        diags.push(
            Diagnostic::error("invalid-include", message)
                .with_span(span)
                .with_help(help),
        );
        usable = false;
    };
    let truthy = |node: Option<&Node>| node.is_some_and(|n| !matches!(n.value, Value::Bool(false)));
    let blank = |node: Option<&Node>| node.is_none_or(Node::is_blank);

    if truthy(item.get("project")) && blank(item.get("file")) {
        error(
            "include config must specify the file where to fetch the config from",
            item.span,
            "add `file:` with the path of the file in that project, such as \
             `file: /templates/build.yml`",
        );
    }
    if truthy(item.get("artifact")) && blank(item.get("job")) {
        error(
            "include config must specify the job where to fetch the artifact from",
            item.span,
            "add `job:` with the name of the job that creates the artifact",
        );
    }
    if let Some(integrity) = item.get("integrity").filter(|node| truthy(Some(node))) {
        if blank(item.get("remote")) {
            error(
                "include config integrity can only be specified for remote includes",
                integrity.span,
                "remove `integrity`, or include the file with `remote:`",
            );
        }
        match integrity
            .as_str()
            .and_then(|text| text.strip_prefix("sha256-"))
        {
            None => error(
                "include config integrity hash must start with 'sha256-'",
                integrity.span,
                "write the hash as `sha256-` followed by the base64-encoded SHA-256 digest of \
                 the file",
            ),
            Some(hash) => {
                if base64::engine::general_purpose::STANDARD
                    .decode(hash)
                    .is_err()
                {
                    error(
                        "include config integrity hash must be base64 encoded",
                        integrity.span,
                        "encode the SHA-256 digest with standard base64, for example with \
                         `openssl dgst -sha256 -binary FILE | openssl base64 -A`",
                    );
                }
            }
        }
    }
    usable
}

/// Expands variables in the item's top-level values as GitLab's `VariablesExpander` does:
/// strings are expanded, array elements are converted to strings and expanded, and every
/// other value (including the `inputs` mapping) is left alone.
pub(super) fn expand_values(item: &mut Item, variables: &[(String, String)]) {
    for (key, value) in item.map.iter_mut() {
        match &mut value.value {
            Value::String(text) => {
                let expanded = expand::expand(text, variables);
                let is_location = matches!(key.as_str(), Some("local" | "file"));
                if is_location && expanded != *text {
                    item.written_location = Some(std::mem::replace(text, expanded));
                } else {
                    *text = expanded;
                }
            }
            Value::Seq(elements) => {
                for element in elements.iter_mut() {
                    let text = expand::expand(&ruby::to_s(element), variables);
                    *element = Node::string(text, element.span);
                }
            }
            _ => {}
        }
    }
}

/// Finds the item's kind; reports GitLab's error when it has none or several.
pub(super) fn match_kind(item: &Item, diags: &mut Diagnostics) -> Option<Kind> {
    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|kind| kind.matches(item))
        .collect();
    let keys = Kind::ALL.map(Kind::key).join("`, `");
    match kinds.as_slice() {
        [kind] => Some(*kind),
        [] => {
            let json = ruby_json(&Node::new(Value::Map(item.map.clone()), item.span));
            // An item of a `file:` list whose project is named fails because of its entry.
            let span = match item.file_span {
                Some(file_span) if !project_name(item).is_empty() => file_span,
                _ => item.span,
            };
            diags.push(
                Diagnostic::error(
                    "include-without-type",
                    format!(
                        "`{json}` does not have a valid subkey for include. \
                         Valid subkeys are: `{keys}`"
                    ),
                )
                .with_span(span)
                .with_help(
                    "say where the file comes from with one of these keys, such as \
                     `local: ci/build.yml`; a blank value counts as missing",
                ),
            );
            None
        }
        _ => {
            let found: Vec<&str> = kinds.iter().map(|kind| kind.key()).collect();
            diags.push(
                Diagnostic::error(
                    "include-ambiguous-type",
                    format!("Each include must use only one of: `{keys}`"),
                )
                .with_span(item.span)
                .with_help(format!(
                    "this include uses `{}`; split it into one include per file",
                    found.join("`, `")
                )),
            );
            None
        }
    }
}

/// Returns the project path of a `project` include as GitLab reads it: the first element when
/// it is a list (a deprecated form), as text, lower-cased.
pub(super) fn project_name(item: &Item) -> String {
    let project = match item.get("project") {
        Some(Node {
            value: Value::Seq(elements),
            ..
        }) => elements.first(),
        other => other,
    };
    project.map(ruby::to_s).unwrap_or_default().to_lowercase()
}

/// The `ref` of a `project` include as text, when given.
pub(super) fn project_ref(item: &Item) -> Option<String> {
    item.get("ref")
        .filter(|node| !matches!(node.value, Value::Bool(false)))
        .map(ruby::to_s)
}

/// Returns whether GitLab's `UrlSanitizer.valid?` accepts the text: after trimming, a URL whose
/// scheme is `http`, `https`, `ssh` or `git`.
pub(super) fn is_valid_url(text: &str) -> bool {
    let text = text.trim();
    let Some((scheme, _)) = text.split_once(':') else {
        return false;
    };
    let well_formed = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    well_formed && matches!(scheme, "http" | "https" | "ssh" | "git")
}

/// Writes the node as Rails' `to_json` does: compact, with `<`, `>` and `&` escaped.
pub(super) fn ruby_json(node: &Node) -> String {
    node.to_json()
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp() -> Span {
        Span::default()
    }

    fn s(text: &str) -> Node {
        Node::string(text, sp())
    }

    fn item(pairs: Vec<(&str, Node)>) -> Item {
        let mut map = Mapping::new();
        for (k, v) in pairs {
            map.insert(k, sp(), v);
        }
        Item {
            map,
            span: sp(),
            file_span: None,
            written_location: None,
        }
    }

    fn vars() -> Vec<(String, String)> {
        vec![
            ("SOURCE".to_owned(), "push".to_owned()),
            ("HOST".to_owned(), "https://example.com".to_owned()),
        ]
    }

    fn messages(diags: &Diagnostics) -> Vec<String> {
        diags.iter().map(|d| d.message.clone()).collect()
    }

    #[test]
    fn normalize_strings_and_lists() {
        let list = Node::new(
            Value::Seq(vec![
                s("ci/$SOURCE.yml"),
                Node::null(sp()),
                s("$HOST/ci.yml"),
            ]),
            sp(),
        );
        let mut diags = Diagnostics::new();
        let items = normalize(&list, &vars(), &mut diags);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].get("local").unwrap().as_str(), Some("ci/push.yml"));
        assert_eq!(
            items[1].get("remote").unwrap().as_str(),
            Some("https://example.com/ci.yml")
        );
        assert!(diags.is_empty());
    }

    #[test]
    fn ambiguous_kind_help_names_keys() {
        let mut diags = Diagnostics::new();
        let both = item(vec![
            ("local", s("a.yml")),
            ("remote", s("https://x/a.yml")),
        ]);
        assert_eq!(match_kind(&both, &mut diags), None);
        let help = diags.iter().next().and_then(|d| d.help.clone());
        assert_eq!(
            help.as_deref(),
            Some("this include uses `local`, `remote`; split it into one include per file")
        );
    }

    #[test]
    fn missing_kind_has_help() {
        let mut diags = Diagnostics::new();
        assert_eq!(match_kind(&item(vec![("local", s(""))]), &mut diags), None);
        assert!(diags.iter().all(|d| d.help.is_some()));
    }

    #[test]
    fn shape_errors_have_help() {
        let cases = [
            item(vec![("project", s("group/p"))]),
            item(vec![("artifact", s("a.yml"))]),
            item(vec![("local", s("a.yml")), ("integrity", s("sha256-abc"))]),
            item(vec![
                ("remote", s("https://x/a.yml")),
                ("integrity", s("md5-x")),
            ]),
            item(vec![
                ("remote", s("https://x/a.yml")),
                ("integrity", s("sha256-!!")),
            ]),
        ];
        for case in cases {
            let mut diags = Diagnostics::new();
            assert!(!check_shape(&case, &mut diags));
            assert!(
                diags.iter().all(|d| d.help.is_some()),
                "{:?}",
                messages(&diags)
            );
        }
    }

    #[test]
    fn unknown_keys_suggest_each_key() {
        let mut map = Mapping::new();
        map.insert("local", sp(), s("a.yml"));
        map.insert("inptus", sp(), s("x"));
        map.insert("rulse", sp(), s("y"));
        let mut diags = Diagnostics::new();
        let item = Item {
            map,
            span: sp(),
            file_span: None,
            written_location: None,
        };
        check_shape(&item, &mut diags);
        let diagnostic = diags.iter().next().unwrap();
        assert_eq!(diagnostic.help.as_deref(), Some("did you mean `inputs`?"));
        let labels: Vec<&str> = diagnostic
            .labels
            .iter()
            .map(|l| l.message.as_str())
            .collect();
        assert_eq!(labels, ["unknown key; did you mean `rules`?"]);
    }

    #[test]
    fn normalize_single_string() {
        let mut diags = Diagnostics::new();
        let items = normalize(&s("a.yml"), &[], &mut diags);
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn normalize_rejects_other_types() {
        let cases = [
            Node::new(Value::Bool(true), sp()),
            Node::new(
                Value::Seq(vec![
                    s("a.yml"),
                    Node::new(Value::Seq(vec![s("b.yml")]), sp()),
                ]),
                sp(),
            ),
            Node::new(Value::Seq(vec![Node::new(Value::Int(42), sp())]), sp()),
        ];
        for include in cases {
            let mut diags = Diagnostics::new();
            normalize(&include, &[], &mut diags);
            assert_eq!(
                messages(&diags),
                ["Each include must be a hash or a string"]
            );
        }
    }

    #[test]
    fn shape_errors() {
        let cases = [
            (
                item(vec![("project", s("g/p"))]),
                "include config must specify the file where to fetch the config from",
            ),
            (
                item(vec![("artifact", s("gen.yml"))]),
                "include config must specify the job where to fetch the artifact from",
            ),
            (
                item(vec![("local", s("a.yml")), ("integrity", s("sha256-AAAA"))]),
                "include config integrity can only be specified for remote includes",
            ),
            (
                item(vec![
                    ("remote", s("https://x/a.yml")),
                    ("integrity", s("md5-AAAA")),
                ]),
                "include config integrity hash must start with 'sha256-'",
            ),
            (
                item(vec![
                    ("remote", s("https://x/a.yml")),
                    ("integrity", Node::new(Value::Int(123), sp())),
                ]),
                "include config integrity hash must start with 'sha256-'",
            ),
            (
                item(vec![
                    ("remote", s("https://x/a.yml")),
                    ("integrity", s("sha256-not!valid@base64")),
                ]),
                "include config integrity hash must be base64 encoded",
            ),
        ];
        for (entry, expected) in cases {
            let mut diags = Diagnostics::new();
            assert!(!check_shape(&entry, &mut diags), "{expected}");
            assert_eq!(messages(&diags), [expected]);
        }
    }

    #[test]
    fn shape_accepts_valid_integrity() {
        let entry = item(vec![
            ("remote", s("https://x/a.yml")),
            (
                "integrity",
                s("sha256-BozLjE+uzwZJEC5jBWZoJ+ZfvcTiBlj80d0CsVi+ZsI="),
            ),
        ]);
        let mut diags = Diagnostics::new();
        assert!(check_shape(&entry, &mut diags));
        assert!(diags.is_empty());
    }

    #[test]
    fn shape_warns_on_unknown_keys() {
        let entry = item(vec![("local", s("a.yml")), ("bogus", s("x"))]);
        let mut diags = Diagnostics::new();
        assert!(check_shape(&entry, &mut diags));
        assert_eq!(
            messages(&diags),
            ["include config contains unknown keys: bogus"]
        );
    }

    #[test]
    fn expand_values_leaves_inputs() {
        let mut inputs = Mapping::new();
        inputs.insert("x", sp(), s("$SOURCE"));
        let mut entry = item(vec![
            ("local", s("ci/$SOURCE.yml")),
            (
                "file",
                Node::new(
                    Value::Seq(vec![s("$SOURCE.yml"), Node::new(Value::Int(1), sp())]),
                    sp(),
                ),
            ),
            ("inputs", Node::new(Value::Map(inputs), sp())),
        ]);
        expand_values(&mut entry, &vars());
        assert_eq!(entry.get("local").unwrap().as_str(), Some("ci/push.yml"));
        let files: Vec<&str> = entry
            .get("file")
            .unwrap()
            .as_seq()
            .unwrap()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        assert_eq!(files, ["push.yml", "1"]);
        let x = entry.get("inputs").unwrap().get("x").unwrap();
        assert_eq!(x.as_str(), Some("$SOURCE"));
    }

    #[test]
    fn match_kind_messages() {
        let mut diags = Diagnostics::new();
        assert_eq!(
            match_kind(&item(vec![("invalid", s("secret-file.yml"))]), &mut diags),
            None
        );
        assert_eq!(
            messages(&diags),
            [
                "`{\"invalid\":\"secret-file.yml\"}` does not have a valid subkey for include. \
              Valid subkeys are: `local`, `project`, `remote`, `template`, `artifact`, `component`"
            ]
        );

        let mut diags = Diagnostics::new();
        let both = item(vec![
            ("local", s("a.yml")),
            ("remote", s("https://x/a.yml")),
        ]);
        assert_eq!(match_kind(&both, &mut diags), None);
        assert_eq!(
            messages(&diags),
            ["Each include must use only one of: \
              `local`, `project`, `remote`, `template`, `artifact`, `component`"]
        );
    }

    #[test]
    fn match_kind_finds_each() {
        let cases = [
            (item(vec![("local", s("a.yml"))]), Kind::Local),
            (
                item(vec![("project", s("G/P")), ("file", s("a.yml"))]),
                Kind::Project,
            ),
            (item(vec![("remote", s("https://x/a.yml"))]), Kind::Remote),
            (
                item(vec![("template", s("Auto-DevOps.gitlab-ci.yml"))]),
                Kind::Template,
            ),
            (
                item(vec![("artifact", s("a.yml")), ("job", s("j"))]),
                Kind::Artifact,
            ),
            (
                item(vec![("component", s("gitlab.com/g/p/c@1"))]),
                Kind::Component,
            ),
        ];
        for (entry, expected) in cases {
            let mut diags = Diagnostics::new();
            assert_eq!(match_kind(&entry, &mut diags), Some(expected));
        }
    }

    #[test]
    fn project_name_lowercases_and_takes_first() {
        let entry = item(vec![(
            "project",
            Node::new(Value::Seq(vec![s("Group/Proj"), s("x")]), sp()),
        )]);
        assert_eq!(project_name(&entry), "group/proj");
    }

    #[test]
    fn url_detection() {
        let cases = [
            ("https://example.com/a.yml", true),
            ("http://example.com/a.yml", true),
            (" git://host/a.yml ", true),
            ("ftp://host/a.yml", false),
            ("ci/a.yml", false),
            ("c:/a.yml", false),
        ];
        for (text, expected) in cases {
            assert_eq!(is_valid_url(text), expected, "{text:?}");
        }
    }

    #[test]
    fn ruby_json_escapes_html() {
        assert_eq!(ruby_json(&s("<a&b>")), "\"\\u003ca\\u0026b\\u003e\"");
    }
}
