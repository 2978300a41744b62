//! `artifacts:`: `{paths, exclude, expire_in, expose_as, name, public | access, reports,
//! untracked, when}`.

use indexmap::IndexMap;
use serde::Serialize;

use super::duration::{self, ExpireIn};
use super::shape::{
    exclusive_keys, failed_since, field, field_message, mark, optional_bool, optional_string,
    optional_strings, report, report_enum, report_field_type, string_or_strings,
};
use crate::config::check::Ctx;
use crate::yaml::{Mapping, Node};

/// Longest `expose_as`, in characters.
pub const MAX_EXPOSE_AS_LENGTH: usize = 100;

/// Report types GitLab 18 accepts, including deprecated ones.
pub const REPORT_TYPES: &[&str] = &[
    "accessibility",
    "annotations",
    "api_fuzzing",
    "browser_performance",
    "cluster_image_scanning",
    "codequality",
    "container_scanning",
    "coverage_fuzzing",
    "coverage_report",
    "cyclonedx",
    "dast",
    "dependency_scanning",
    "dotenv",
    "junit",
    "license_scanning",
    "load_performance",
    "lsif",
    "metrics",
    "performance",
    "repository_xray",
    "requirements",
    "requirements_v2",
    "sast",
    "secret_detection",
    "terraform",
];

/// `artifacts:` after validation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Artifacts {
    /// Archive name (default `artifacts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Add all untracked files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub untracked: Option<bool>,
    /// Paths to upload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
    /// Paths to leave out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude: Option<Vec<String>>,
    /// Report files, by report type. Reports are uploaded whatever the job's result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reports: Option<Reports>,
    /// When to upload; `None` means `on_success`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<ArtifactsWhen>,
    /// How long to keep the artifacts; `None` means the instance default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_in: Option<ExpireIn>,
    /// Link text shown in merge requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expose_as: Option<String>,
    /// Deprecated form of `access`: `false` is `developer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
    /// Roles allowed to download the artifacts; `None` means `all`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access: Option<ArtifactsAccess>,
}

/// Report files by report type, in the order written.
pub type Reports = IndexMap<String, Report>;

/// One report's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Report {
    /// File paths or globs (a single string is stored as a one-element list).
    Paths(Vec<String>),
    /// `coverage_report:`.
    Coverage {
        /// `cobertura` or `jacoco`.
        coverage_format: String,
        /// Path or glob of the report file.
        path: String,
    },
}

/// `artifacts:when`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactsWhen {
    /// Upload when the job succeeds (the default).
    OnSuccess,
    /// Upload only when the job fails.
    OnFailure,
    /// Always upload.
    Always,
}

/// `artifacts:access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactsAccess {
    /// Anyone who can see the job (the default).
    All,
    /// Developers and above.
    Developer,
    /// Maintainers and above.
    Maintainer,
    /// No download through the UI or API.
    None,
}

const WHEN_VALUES: &[&str] = &["on_success", "on_failure", "always"];
const ACCESS_VALUES: &[&str] = &["none", "developer", "maintainer", "all"];

/// Parses `artifacts:` (`path` is `jobs:<name>:artifacts` or `default:artifacts`).
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Artifacts> {
    let map = cx.mapping(path, node)?;
    let start = mark(cx);
    cx.check_keys(
        path,
        map,
        &[
            "name",
            "untracked",
            "paths",
            "reports",
            "when",
            "expire_in",
            "expose_as",
            "exclude",
            "public",
            "access",
        ],
    );
    exclusive_keys(cx, path, map, &["access", "public"]);

    let name = optional_string(cx, path, map, "name").ok().flatten();
    let public = optional_bool(cx, path, map, "public").ok().flatten();
    let untracked = optional_bool(cx, path, map, "untracked").ok().flatten();
    let paths = optional_strings(cx, path, map, "paths").ok().flatten();
    let exclude = optional_strings(cx, path, map, "exclude").ok().flatten();
    let expose_as = parse_expose_as(path, map, paths.as_deref(), node, cx);

    let reports = field(map, "reports").and_then(|value| {
        if value.as_map().is_none() {
            report_field_type(cx, path, "reports", "a hash", value);
            return None;
        }
        parse_reports(&format!("{path}:reports"), value, cx)
    });
    let when = field(map, "when").and_then(|value| {
        let text = enum_text(cx, path, "when", value, WHEN_VALUES)?;
        Some(match text {
            "on_failure" => ArtifactsWhen::OnFailure,
            "always" => ArtifactsWhen::Always,
            _ => ArtifactsWhen::OnSuccess,
        })
    });
    let expire_in = field(map, "expire_in")
        .and_then(|value| duration::parse_expire_in(&format!("{path}:expire_in"), value, cx));
    let access = field(map, "access").and_then(|value| {
        let text = enum_text(cx, path, "access", value, ACCESS_VALUES)?;
        Some(match text {
            "none" => ArtifactsAccess::None,
            "developer" => ArtifactsAccess::Developer,
            "maintainer" => ArtifactsAccess::Maintainer,
            _ => ArtifactsAccess::All,
        })
    });

    (!failed_since(cx, start)).then_some(Artifacts {
        name,
        untracked,
        paths,
        exclude,
        reports,
        when,
        expire_in,
        expose_as,
        public,
        access,
    })
}

/// `expose_as` needs `paths` without `*`, and is at most 100 letters, digits, `-`, `_` and
/// spaces, starting with a letter, digit or `_`.
fn parse_expose_as(
    path: &str,
    map: &Mapping,
    paths: Option<&[String]>,
    node: &Node,
    cx: &mut Ctx,
) -> Option<String> {
    let value = field(map, "expose_as")?;
    let mut ok = true;
    match paths {
        None if field(map, "paths").is_none() => {
            report(
                cx,
                "missing-keys",
                field_message(path, "paths", "can't be blank"),
                node.span,
                Some("`expose_as` needs `paths`".to_owned()),
            );
            ok = false;
        }
        Some(paths) if paths.iter().any(|p| p.contains('*')) => {
            report(
                cx,
                "invalid-paths",
                field_message(
                    path,
                    "paths",
                    "can't contain '*' when used with 'expose_as'",
                ),
                field(map, "paths").map_or(node.span, |p| p.span),
                None,
            );
            ok = false;
        }
        _ => {}
    }
    let Some(text) = value.as_str() else {
        report_field_type(cx, path, "expose_as", "a string", value);
        return None;
    };
    if text.chars().count() > MAX_EXPOSE_AS_LENGTH {
        report(
            cx,
            "invalid-length",
            field_message(
                path,
                "expose_as",
                format_args!("is too long (maximum is {MAX_EXPOSE_AS_LENGTH} characters)"),
            ),
            value.span,
            None,
        );
        ok = false;
    }
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut chars = text.chars();
    let well_formed =
        chars.next().is_some_and(word) && chars.all(|c| word(c) || c == '-' || c == ' ');
    if !well_formed {
        report(
            cx,
            "invalid-value",
            field_message(
                path,
                "expose_as",
                "can contain only letters, digits, '-', '_' and spaces",
            ),
            value.span,
            None,
        );
        ok = false;
    }
    ok.then(|| text.to_owned())
}

fn enum_text<'a>(
    cx: &mut Ctx,
    path: &str,
    key: &str,
    node: &'a Node,
    allowed: &[&str],
) -> Option<&'a str> {
    let Some(text) = node.as_str() else {
        report_field_type(cx, path, key, "a string", node);
        return None;
    };
    if allowed.contains(&text) {
        return Some(text);
    }
    let message = field_message(
        path,
        key,
        format_args!("should be one of: {}", allowed.join(", ")),
    );
    report_enum(cx, message, text, allowed, node.span);
    None
}

/// Parses `artifacts:reports` at `path`.
fn parse_reports(path: &str, node: &Node, cx: &mut Ctx) -> Option<Reports> {
    let map = node.as_map()?;
    let start = mark(cx);
    cx.check_keys(path, map, REPORT_TYPES);
    let mut reports = Reports::new();
    for (key, value) in map.iter() {
        let Some(name) = key.as_str().filter(|k| REPORT_TYPES.contains(k)) else {
            continue;
        };
        if value.is_null() {
            continue;
        }
        if name == "coverage_report" {
            if let Some(report) =
                parse_coverage_report(&format!("{path}:coverage_report"), value, cx)
            {
                reports.insert(name.to_owned(), report);
            }
            continue;
        }
        match string_or_strings(value) {
            Some(files) => {
                reports.insert(name.to_owned(), Report::Paths(files));
            }
            None => report_field_type(cx, path, name, "an array of strings or a string", value),
        }
    }
    (!failed_since(cx, start)).then_some(reports)
}

fn parse_coverage_report(path: &str, node: &Node, cx: &mut Ctx) -> Option<Report> {
    let map = cx.mapping(path, node)?;
    let start = mark(cx);
    cx.check_keys(path, map, &["coverage_format", "path"]);
    let format = match field(map, "coverage_format") {
        Some(value) => match value.as_str() {
            Some(text @ ("cobertura" | "jacoco")) => Some(text.to_owned()),
            other => {
                let found = other.unwrap_or_default();
                let message = field_message(
                    path,
                    "coverage_format",
                    "must be one of supported formats: cobertura, jacoco.",
                );
                report_enum(cx, message, found, &["cobertura", "jacoco"], value.span);
                None
            }
        },
        None => {
            report(
                cx,
                "missing-keys",
                field_message(path, "coverage_format", "can't be blank"),
                node.span,
                None,
            );
            None
        }
    };
    let report_path = match field(map, "path") {
        Some(value) => match value.as_str() {
            Some(text) if !text.trim().is_empty() => Some(text.to_owned()),
            Some(_) => {
                report(
                    cx,
                    "blank-value",
                    field_message(path, "path", "can't be blank"),
                    value.span,
                    None,
                );
                None
            }
            None => {
                report_field_type(cx, path, "path", "a string", value);
                None
            }
        },
        None => {
            report(
                cx,
                "missing-keys",
                field_message(path, "path", "can't be blank"),
                node.span,
                None,
            );
            None
        }
    };
    if failed_since(cx, start) {
        return None;
    }
    Some(Report::Coverage {
        coverage_format: format?,
        path: report_path?,
    })
}

impl Report {
    /// Returns the report's file paths (for `coverage_report`, its one path).
    pub fn paths(&self) -> Vec<&str> {
        match self {
            Report::Paths(paths) => paths.iter().map(String::as_str).collect(),
            Report::Coverage { path, .. } => vec![path.as_str()],
        }
    }
}

impl Artifacts {
    /// Returns the `dotenv` report files, whose variables flow to jobs that download these
    /// artifacts.
    pub fn dotenv(&self) -> Vec<&str> {
        self.reports
            .as_ref()
            .and_then(|r| r.get("dotenv"))
            .map(Report::paths)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:test:artifacts";

    #[test]
    fn every_key() {
        let artifacts = ok(
            parse,
            PATH,
            json!({
                "name": "report",
                "untracked": false,
                "paths": ["out/"],
                "exclude": ["out/*.tmp"],
                "expire_in": "1 week",
                "expose_as": "Test report",
                "access": "developer",
                "when": "always",
                "reports": {"junit": "rspec.xml", "dotenv": ["build.env"], "coverage_report": {"coverage_format": "cobertura", "path": "cov.xml"}}
            }),
        );
        assert_eq!(artifacts.when, Some(ArtifactsWhen::Always));
        assert_eq!(artifacts.access, Some(ArtifactsAccess::Developer));
        assert_eq!(artifacts.dotenv(), ["build.env"]);
        let reports = artifacts.reports.unwrap();
        assert_eq!(
            reports["junit"],
            Report::Paths(vec!["rspec.xml".to_owned()])
        );
        assert_eq!(reports["coverage_report"].paths(), ["cov.xml"]);
    }

    #[test]
    fn expire_in_never() {
        let artifacts = ok(parse, PATH, json!({"expire_in": "never"}));
        assert_eq!(
            artifacts.expire_in,
            Some(ExpireIn::Never("never".to_owned()))
        );
    }

    #[test]
    fn every_report_type_accepted() {
        for name in REPORT_TYPES.iter().filter(|n| **n != "coverage_report") {
            assert!(
                messages(parse, PATH, json!({"reports": {*name: "f"}})).is_empty(),
                "{name}"
            );
        }
    }

    #[test]
    fn every_access_value() {
        for value in ACCESS_VALUES {
            assert!(
                messages(parse, PATH, json!({"access": value})).is_empty(),
                "{value}"
            );
        }
    }

    #[test]
    fn public_flag() {
        assert_eq!(
            ok(parse, PATH, json!({"public": false})).public,
            Some(false)
        );
    }

    #[test]
    fn error_messages() {
        let long = "a".repeat(101);
        let cases = [
            (
                json!(["out/"]),
                "jobs:test:artifacts config should be a hash",
            ),
            (
                json!({"path": ["a"]}),
                "jobs:test:artifacts config contains unknown keys: path",
            ),
            (
                json!({"public": true, "access": "all"}),
                "jobs:test:artifacts config these keys cannot be used together: public, access",
            ),
            (
                json!({"name": 1}),
                "jobs:test:artifacts name should be a string",
            ),
            (
                json!({"public": "yes"}),
                "jobs:test:artifacts public should be a boolean value",
            ),
            (
                json!({"untracked": 1}),
                "jobs:test:artifacts untracked should be a boolean value",
            ),
            (
                json!({"paths": "out/"}),
                "jobs:test:artifacts paths should be an array of strings",
            ),
            (
                json!({"exclude": "x"}),
                "jobs:test:artifacts exclude should be an array of strings",
            ),
            (
                json!({"when": "never"}),
                "jobs:test:artifacts when should be one of: on_success, on_failure, always",
            ),
            (
                json!({"access": "public"}),
                "jobs:test:artifacts access should be one of: none, developer, maintainer, all",
            ),
            (
                json!({"expire_in": "forever"}),
                "jobs:test:artifacts expire in should be a duration",
            ),
            (
                json!({"expose_as": "Report"}),
                "jobs:test:artifacts paths can't be blank",
            ),
            (
                json!({"expose_as": "Report", "paths": ["*.xml"]}),
                "jobs:test:artifacts paths can't contain '*' when used with 'expose_as'",
            ),
            (
                json!({"expose_as": "Report!", "paths": ["a"]}),
                "jobs:test:artifacts expose as can contain only letters, digits, '-', '_' and spaces",
            ),
            (
                json!({"expose_as": long, "paths": ["a"]}),
                "jobs:test:artifacts expose as is too long (maximum is 100 characters)",
            ),
            (
                json!({"reports": ["junit"]}),
                "jobs:test:artifacts reports should be a hash",
            ),
            (
                json!({"reports": {"jnuit": "a"}}),
                "jobs:test:artifacts:reports config contains unknown keys: jnuit",
            ),
            (
                json!({"reports": {"junit": 1}}),
                "jobs:test:artifacts:reports junit should be an array of strings or a string",
            ),
            (
                json!({"reports": {"coverage_report": {"coverage_format": "lcov", "path": "a"}}}),
                "jobs:test:artifacts:reports:coverage_report coverage format must be one of supported formats: cobertura, jacoco.",
            ),
            (
                json!({"reports": {"coverage_report": {"coverage_format": "jacoco"}}}),
                "jobs:test:artifacts:reports:coverage_report path can't be blank",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(messages(parse, PATH, input.clone()), [expected], "{input}");
        }
    }
}
