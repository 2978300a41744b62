//! `rules:` of jobs, `workflow:rules` and `include:rules`: lists of rule hashes, where
//! nested lists (from `!reference`) are flattened first.
//!
//! The three places share the clause shapes (`if`, `changes`, `exists`) and differ in the
//! keys and `when` values they allow; `RuleSet` carries the difference.

use serde::{Serialize, Serializer};

use super::duration::{self, Duration};
use super::needs::{self, Need, RULE_NEED_KINDS};
use super::shape::{failed_since, field, field_message, mark, report, report_field_type, strings};
use super::variables::{self, Variables};
use super::when::{self, When};
use super::workflow::{self, AutoCancel};
use crate::config::check::Ctx;
use crate::source::Span;
use crate::yaml::{Mapping, Node, Value};

/// Most paths one `changes` or `exists` clause may list.
pub const MAX_PATHS: usize = 50;

/// A rule `if:` expression, kept as written; it is evaluated per pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression {
    /// The expression text, such as `$CI_COMMIT_BRANCH == "main"`.
    pub text: String,
    /// Span of the expression.
    pub span: Span,
}

impl Serialize for Expression {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// One rule after validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// `if:` clause.
    #[serde(rename = "if", skip_serializing_if = "Option::is_none")]
    pub if_expr: Option<Expression>,
    /// `changes:` clause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
    /// `exists:` clause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exists: Option<Exists>,
    /// `when:`; `None` keeps the job's own `when` (or `always` for workflow and include rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<When>,
    /// `start_in:` (only with `when: delayed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_in: Option<Duration>,
    /// `allow_failure:`, overriding the job's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_failure: Option<bool>,
    /// `variables:` merged over the job's (or, for workflow rules, the global) variables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<Variables>,
    /// `needs:` replacing the job's needs (same-pipeline jobs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs: Option<Vec<Need>>,
    /// `interruptible:`, overriding the job's (job rules only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interruptible: Option<bool>,
    /// `auto_cancel:` (workflow rules only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_cancel: Option<AutoCancel>,
    /// Span of the rule.
    #[serde(skip)]
    pub span: Span,
    /// The clauses present, in the order they are written. GitLab evaluates a rule's clauses
    /// in this order and stops at the first one that does not hold.
    #[serde(skip)]
    pub clause_order: Vec<RuleClause>,
}

/// A clause of a rule: a condition that must hold for the rule to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleClause {
    /// `if:`.
    If,
    /// `changes:`.
    Changes,
    /// `exists:`.
    Exists,
}

impl Rule {
    /// Returns whether the rule has no clause, so it always matches.
    pub fn is_unconditional(&self) -> bool {
        self.if_expr.is_none() && self.changes.is_none() && self.exists.is_none()
    }
}

/// The rules of a job, workflow or include, flattened and in order.
pub type Rules = Vec<Rule>;

/// `changes:` as a list of globs, or `{paths, compare_to}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// File globs; any change matching one makes the clause true.
    pub paths: Vec<String>,
    /// Ref to diff against instead of the pipeline's default base.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compare_to: Option<String>,
    /// Location of the `compare_to` value; the default span when there is none.
    #[serde(skip)]
    pub compare_to_span: Span,
}

/// `exists:` as a glob, a list of globs, or `{paths, project, ref}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exists {
    /// File globs; any existing file matching one makes the clause true.
    pub paths: Vec<String>,
    /// Project to search instead of the pipeline's (or the including file's) project.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Ref of `project` to search (needs `project`).
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
}

/// Where a rule list is written, which decides its keys and `when` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSet {
    /// A job's `rules:`.
    Job,
    /// `workflow:rules:`. GitLab accepts `start_in`, `allow_failure` and `needs` here for
    /// compatibility and ignores them.
    Workflow,
    /// `include:rules:`.
    Include,
}

impl RuleSet {
    fn keys(self) -> &'static [&'static str] {
        match self {
            RuleSet::Job => &[
                "if",
                "changes",
                "exists",
                "when",
                "start_in",
                "allow_failure",
                "variables",
                "needs",
                "interruptible",
            ],
            RuleSet::Workflow => &[
                "if",
                "changes",
                "exists",
                "when",
                "start_in",
                "allow_failure",
                "variables",
                "needs",
                "auto_cancel",
            ],
            RuleSet::Include => &["if", "exists", "when", "changes"],
        }
    }

    fn when_values(self) -> &'static [&'static str] {
        match self {
            RuleSet::Job => when::RULE_VALUES,
            RuleSet::Workflow | RuleSet::Include => when::WORKFLOW_VALUES,
        }
    }
}

/// Parses a job's `rules:` (`path` is `jobs:<name>:rules`).
pub(crate) fn parse(path: &str, node: &Node, cx: &mut Ctx) -> Option<Rules> {
    parse_in(path, node, cx, RuleSet::Job)
}

/// Parses `workflow:rules:` (`path` is `workflow:rules`).
pub(crate) fn parse_workflow(path: &str, node: &Node, cx: &mut Ctx) -> Option<Rules> {
    parse_in(path, node, cx, RuleSet::Workflow)
}

/// Parses an include's `rules:`. GitLab reports only the first problem, prefixed with
/// `include:`, so callers pass `include:rules` as `path` and may keep the first diagnostic.
pub(crate) fn parse_include(path: &str, node: &Node, cx: &mut Ctx) -> Option<Rules> {
    parse_in(path, node, cx, RuleSet::Include)
}

/// Parses a rule list for `set`.
pub(crate) fn parse_in(path: &str, node: &Node, cx: &mut Ctx, set: RuleSet) -> Option<Rules> {
    // A job checks the nesting of its rules itself, with its own wording.
    let well_nested =
        node.as_seq().is_some() && nested_hashes(node, 1, cx.limits.max_nested_array_depth);
    if set == RuleSet::Job && !well_nested {
        report(
            cx,
            "invalid-type",
            super::shape::attribute_message(
                path,
                "should be an array containing hashes and arrays of hashes",
            ),
            node.span,
            Some(format!(
                "write a list of rule hashes, nested at most {} levels",
                cx.limits.max_nested_array_depth
            )),
        );
        return None;
    }
    let Some(items) = node.as_seq() else {
        cx.type_error(path, "a array", node);
        return None;
    };
    if items.is_empty() {
        report(
            cx,
            "blank-value",
            format!("{path} config can't be blank"),
            node.span,
            Some("remove `rules:` or add a rule".to_owned()),
        );
        return None;
    }

    let mut flat: Vec<&Node> = Vec::new();
    flatten(items, &mut flat);
    let start = mark(cx);
    let entry_path = format!("{path}:rule");
    let rules: Rules = flat
        .into_iter()
        .filter_map(|item| parse_rule(&entry_path, item, cx, set))
        .collect();
    (!failed_since(cx, start)).then_some(rules)
}

/// GitLab's nested-array check: every element is a hash, or an array of such elements, at
/// most `max_level` arrays deep.
fn nested_hashes(node: &Node, level: usize, max_level: usize) -> bool {
    if node.as_map().is_some() {
        return true;
    }
    if level > max_level {
        return false;
    }
    match node.as_seq() {
        Some(items) => items
            .iter()
            .all(|item| nested_hashes(item, level + 1, max_level)),
        None => false,
    }
}

fn flatten<'a>(items: &'a [Node], out: &mut Vec<&'a Node>) {
    for item in items {
        match item.as_seq() {
            Some(inner) => flatten(inner, out),
            None => out.push(item),
        }
    }
}

/// Parses one rule hash at `path` (`...:rules:rule`).
pub(crate) fn parse_rule(path: &str, node: &Node, cx: &mut Ctx, set: RuleSet) -> Option<Rule> {
    let map = match &node.value {
        Value::Map(map) if map.is_empty() => {
            report(
                cx,
                "blank-value",
                format!("{path} config can't be blank"),
                node.span,
                None,
            );
            return None;
        }
        Value::Map(map) => map,
        _ => {
            cx.type_error(path, "a hash", node);
            return None;
        }
    };
    let start = mark(cx);
    cx.check_keys(path, map, set.keys());

    let when = field(map, "when")
        .and_then(|value| when::parse_rule(&format!("{path}:when"), value, cx, set.when_values()));
    // GitLab looks at the raw `when`, so an invalid value does not also trip `start_in`.
    let delayed = field(map, "when").and_then(Node::as_str) == Some("delayed");
    let start_in = parse_rule_start_in(path, map, node, delayed, cx);

    let if_expr = field(map, "if").and_then(|value| parse_if(path, value, cx));
    let changes = field(map, "changes")
        .and_then(|value| parse_changes(&format!("{path}:changes"), value, cx));
    let exists = field(map, "exists").and_then(|value| {
        parse_exists(
            &format!("{path}:exists"),
            value,
            cx,
            set != RuleSet::Include,
        )
    });
    let allow_failure = rule_bool(path, map, "allow_failure", cx);
    let interruptible = rule_bool(path, map, "interruptible", cx);
    let variables = field(map, "variables")
        .and_then(|value| variables::parse(&format!("{path}:variables"), value, cx));
    let needs = field(map, "needs")
        .and_then(|value| needs::parse_for(&format!("{path}:needs"), value, cx, RULE_NEED_KINDS));
    let auto_cancel = match set {
        RuleSet::Workflow => field(map, "auto_cancel").and_then(|value| {
            workflow::parse_auto_cancel(&format!("{path}:auto_cancel"), value, cx)
        }),
        _ => None,
    };

    if failed_since(cx, start) {
        return None;
    }
    let clause_order = map
        .entries()
        .filter_map(|(key, _)| match key.as_str() {
            Some("if") if if_expr.is_some() => Some(RuleClause::If),
            Some("changes") if changes.is_some() => Some(RuleClause::Changes),
            Some("exists") if exists.is_some() => Some(RuleClause::Exists),
            _ => None,
        })
        .collect();
    Some(Rule {
        if_expr,
        changes,
        exists,
        when,
        start_in,
        allow_failure,
        variables,
        needs,
        interruptible,
        auto_cancel,
        span: node.span,
        clause_order,
    })
}

/// `start_in` is required with `when: delayed` and disallowed otherwise.
fn parse_rule_start_in(
    path: &str,
    map: &Mapping,
    node: &Node,
    delayed: bool,
    cx: &mut Ctx,
) -> Option<Duration> {
    let start_in = field(map, "start_in");
    if !delayed {
        super::shape::disallow_keys(cx, path, map, &["start_in"], "contains disallowed keys");
        return None;
    }
    match start_in {
        Some(value) => duration::parse_start_in(&format!("{path}:start_in"), value, cx),
        None => {
            report(
                cx,
                "missing-keys",
                field_message(path, "start_in", "can't be blank"),
                node.span,
                Some(
                    "a rule with `when: delayed` needs `start_in`, such as `10 minutes`".to_owned(),
                ),
            );
            None
        }
    }
}

fn rule_bool(path: &str, map: &Mapping, key: &str, cx: &mut Ctx) -> Option<bool> {
    let value = field(map, key)?;
    match value.as_bool() {
        Some(b) => Some(b),
        None => {
            report_field_type(cx, path, key, "a boolean value", value);
            None
        }
    }
}

fn parse_if(path: &str, node: &Node, cx: &mut Ctx) -> Option<Expression> {
    parse_expression(path, "if", node, cx)
}

/// Checks a CI/CD variable expression written at `node` (the `if` of a rule, or one entry of
/// `only:variables`) and reports problems as `<entry> <attribute> invalid expression syntax`.
/// GitLab's validator message is `Invalid expression syntax`, but GitLab lower-cases every
/// entry message, so users see it in lower case. The specific reason goes into the help line.
pub(crate) fn parse_expression(
    entry: &str,
    attribute: &str,
    node: &Node,
    cx: &mut Ctx,
) -> Option<Expression> {
    let syntax_error = |cx: &mut Ctx, help: String| {
        report(
            cx,
            "invalid-expression",
            field_message(entry, attribute, "invalid expression syntax"),
            node.span,
            Some(help),
        );
    };
    let Some(text) = node.as_str() else {
        syntax_error(
            cx,
            format!(
                "found {}; write a condition such as `$CI_COMMIT_BRANCH == \"main\"`",
                crate::config::check::describe(node)
            ),
        );
        return None;
    };
    // Jobs get their rules through `extends` and `!reference`, so a large configuration
    // repeats a few expression texts thousands of times. The verdict depends only on the text
    // and the limits, and finding it compiles the expression's regular expressions.
    let check = match cx.expressions.get(text) {
        Some(check) => check.clone(),
        None => {
            let check = check_expression(text, cx.limits);
            cx.expressions.insert(text.to_owned(), check.clone());
            check
        }
    };
    match check {
        ExpressionCheck::Valid => {}
        ExpressionCheck::Syntax(help) => {
            syntax_error(cx, help);
            return None;
        }
        ExpressionCheck::Evaluation { detail, help } => {
            report(
                cx,
                "expression-evaluation-failed",
                field_message(
                    entry,
                    attribute,
                    format_args!("expression evaluation failed: {detail}"),
                ),
                node.span,
                help,
            );
            return None;
        }
    }
    Some(Expression {
        text: text.to_owned(),
        span: node.span,
    })
}

/// The outcome of checking one expression text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExpressionCheck {
    /// The expression parses and evaluates without variables.
    Valid,
    /// The expression does not parse. Contains the help line for the syntax error.
    Syntax(String),
    /// Evaluating it without variables fails, as GitLab's validation does.
    Evaluation {
        /// What failed.
        detail: String,
        /// How to fix it, when known.
        help: Option<String>,
    },
}

/// Parses `text` and evaluates it once without variables, as GitLab's validator does.
fn check_expression(text: &str, limits: &crate::limits::Limits) -> ExpressionCheck {
    let parsed = match crate::expr::parse_with_limits(text, limits) {
        Ok(parsed) => parsed,
        Err(error) => {
            let at = text.get(error.span()).filter(|s| !s.is_empty());
            let mut help = match at {
                Some(at) => format!("{} at `{at}`", error.detail()),
                None => error.detail(),
            };
            if let Some(extra) = error.help() {
                help = format!("{help}; {extra}");
            }
            return ExpressionCheck::Syntax(help);
        }
    };
    // GitLab also evaluates the expression once while validating; the errors that can
    // happen there make pipeline creation fail.
    match parsed.validate() {
        Ok(()) => ExpressionCheck::Valid,
        Err(error) => ExpressionCheck::Evaluation {
            detail: error.detail(),
            help: error.help().map(str::to_owned),
        },
    }
}

/// Parses `changes:` at `path`: a list of globs or `{paths, compare_to}`, at most 50 paths.
pub(crate) fn parse_changes(path: &str, node: &Node, cx: &mut Ctx) -> Option<Changes> {
    match &node.value {
        Value::Seq(_) => {
            let paths = path_list(cx, &format!("{path} config"), node, Some(MAX_PATHS))?;
            Some(Changes {
                paths,
                compare_to: None,
                compare_to_span: Span::default(),
            })
        }
        Value::Map(map) => {
            let start = mark(cx);
            cx.check_keys(path, map, &["paths", "compare_to"]);
            super::shape::require_keys(cx, path, map, node.span, &["paths"]);
            let paths = match map.get("paths") {
                Some(value) => path_list(cx, &format!("{path} paths"), value, Some(MAX_PATHS)),
                None => None,
            };
            let compare_to = super::shape::optional_string(cx, path, map, "compare_to")
                .ok()
                .flatten();
            let compare_to_span =
                field(map, "compare_to").map_or_else(Span::default, |node| node.span);
            if failed_since(cx, start) {
                return None;
            }
            Some(Changes {
                paths: paths?,
                compare_to,
                compare_to_span,
            })
        }
        _ => {
            report(
                cx,
                "invalid-type",
                format!("{path} should be an array or a hash"),
                node.span,
                None,
            );
            None
        }
    }
}

/// Parses `exists:` at `path`: a glob, a list of globs, or `{paths, project, ref}`. Include
/// rules do not limit the list form, so `limit_list` is false for them.
pub(crate) fn parse_exists(
    path: &str,
    node: &Node,
    cx: &mut Ctx,
    limit_list: bool,
) -> Option<Exists> {
    let simple = |paths| Exists {
        paths,
        project: None,
        git_ref: None,
    };
    match &node.value {
        Value::String(glob) => Some(simple(vec![glob.clone()])),
        Value::Seq(_) => {
            let limit = limit_list.then_some(MAX_PATHS);
            path_list(cx, &format!("{path} config"), node, limit).map(simple)
        }
        Value::Map(map) if map.is_empty() => Some(simple(Vec::new())),
        Value::Map(map) => {
            let start = mark(cx);
            cx.check_keys(path, map, &["paths", "project", "ref"]);
            super::shape::require_keys(cx, path, map, node.span, &["paths"]);
            if field(map, "ref").is_some() {
                super::shape::require_keys(cx, path, map, node.span, &["project"]);
            }
            let paths = match field(map, "paths") {
                Some(value) => path_list(cx, &format!("{path} paths"), value, Some(MAX_PATHS)),
                None => Some(Vec::new()),
            };
            let project = super::shape::optional_string(cx, path, map, "project")
                .ok()
                .flatten();
            let git_ref = super::shape::optional_string(cx, path, map, "ref")
                .ok()
                .flatten();
            if failed_since(cx, start) {
                return None;
            }
            Some(Exists {
                paths: paths?,
                project,
                git_ref,
            })
        }
        _ => {
            report(
                cx,
                "invalid-type",
                format!("{path} should be a string, an array of strings, or a hash"),
                node.span,
                None,
            );
            None
        }
    }
}

/// Reads an array of strings with an optional length limit. `subject` starts the message
/// (`<path> config` or `<path> paths`).
fn path_list(
    cx: &mut Ctx,
    subject: &str,
    node: &Node,
    limit: Option<usize>,
) -> Option<Vec<String>> {
    let Some(paths) = strings(node) else {
        report(
            cx,
            "invalid-type",
            format!("{subject} should be an array of strings"),
            node.span,
            None,
        );
        return None;
    };
    if let Some(limit) = limit.filter(|limit| paths.len() > *limit) {
        report(
            cx,
            "too-many-entries",
            format!("{subject} has too many entries (maximum {limit})"),
            node.span,
            Some(format!("{} paths are listed", paths.len())),
        );
        return None;
    }
    Some(paths)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::keywords::testing::{messages, ok};

    const PATH: &str = "jobs:job:rules";

    /// T5.5: the three rules of the worked example.
    #[test]
    fn worked_example() {
        let rules = ok(
            parse,
            PATH,
            json!([
                {"if": "$CI_PIPELINE_SOURCE == \"merge_request_event\"", "when": "manual", "allow_failure": true},
                {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", "variables": {"DEPLOY": "prod"}},
                {"if": "$CI_COMMIT_BRANCH =~ /^feature/", "when": "delayed", "start_in": "10 minutes"}
            ]),
        );
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].when, Some(When::Manual));
        assert_eq!(rules[0].allow_failure, Some(true));
        assert_eq!(
            rules[1]
                .variables
                .as_ref()
                .and_then(|v| v.get("DEPLOY"))
                .map(String::as_str),
            Some("prod")
        );
        assert_eq!(rules[2].when, Some(When::Delayed));
        assert_eq!(rules[2].start_in.as_ref().map(|d| d.seconds), Some(600));
    }

    #[test]
    fn nested_lists_are_flattened() {
        let rules = ok(
            parse,
            PATH,
            json!([[{"when": "never"}], [[{"if": "$A"}]], {"when": "always"}]),
        );
        let whens: Vec<Option<When>> = rules.iter().map(|r| r.when).collect();
        assert_eq!(whens, [Some(When::Never), None, Some(When::Always)]);
    }

    #[test]
    fn clauseless_rule_is_unconditional() {
        let rules = ok(parse, PATH, json!([{"variables": {"X": "no"}}]));
        assert!(rules[0].is_unconditional());
    }

    #[test]
    fn changes_forms() {
        let rules = ok(
            parse,
            PATH,
            json!([{"changes": ["docs/**/*"]}, {"changes": {"paths": ["a"], "compare_to": "main"}}]),
        );
        assert_eq!(rules[0].changes.as_ref().unwrap().paths, ["docs/**/*"]);
        assert_eq!(
            rules[1].changes.as_ref().unwrap().compare_to.as_deref(),
            Some("main")
        );
    }

    #[test]
    fn exists_forms() {
        let rules = ok(
            parse,
            PATH,
            json!([
                {"exists": "Dockerfile"},
                {"exists": ["a", "b"]},
                {"exists": {"paths": ["c"], "project": "g/p", "ref": "main"}}
            ]),
        );
        assert_eq!(rules[0].exists.as_ref().unwrap().paths, ["Dockerfile"]);
        assert_eq!(rules[1].exists.as_ref().unwrap().paths, ["a", "b"]);
        assert_eq!(
            rules[2].exists.as_ref().unwrap().git_ref.as_deref(),
            Some("main")
        );
    }

    #[test]
    fn rule_needs_and_interruptible() {
        let rules = ok(
            parse,
            PATH,
            json!([{"needs": ["a", {"job": "b", "optional": true}], "interruptible": true}]),
        );
        assert_eq!(rules[0].needs.as_ref().map(Vec::len), Some(2));
        assert_eq!(rules[0].interruptible, Some(true));
    }

    #[test]
    fn changes_limit() {
        let fifty: Vec<String> = (0..50).map(|i| format!("f{i}")).collect();
        let fifty_one: Vec<String> = (0..51).map(|i| format!("f{i}")).collect();
        assert!(messages(parse, PATH, json!([{"changes": fifty}])).is_empty());
        assert_eq!(
            messages(parse, PATH, json!([{"changes": fifty_one.clone()}])),
            ["jobs:job:rules:rule:changes config has too many entries (maximum 50)"]
        );
        assert_eq!(
            messages(parse, PATH, json!([{"changes": {"paths": fifty_one}}])),
            ["jobs:job:rules:rule:changes paths has too many entries (maximum 50)"]
        );
    }

    #[test]
    fn exists_limit_not_in_include_lists() {
        let many: Vec<String> = (0..51).map(|i| format!("f{i}")).collect();
        assert_eq!(
            messages(parse, PATH, json!([{"exists": many.clone()}])),
            ["jobs:job:rules:rule:exists config has too many entries (maximum 50)"]
        );
        assert!(messages(parse_include, "include:rules", json!([{"exists": many}])).is_empty());
    }

    #[test]
    fn error_messages() {
        let cases = [
            (
                json!({"if": "$A"}),
                "jobs:job rules should be an array containing hashes and arrays of hashes",
            ),
            (
                json!(["when: never"]),
                "jobs:job rules should be an array containing hashes and arrays of hashes",
            ),
            (json!([]), "jobs:job:rules config can't be blank"),
            (json!([{}]), "jobs:job:rules:rule config can't be blank"),
            (
                json!([{"if": "$A", "only": "x"}]),
                "jobs:job:rules:rule config contains unknown keys: only",
            ),
            (
                json!([{"when": "sometimes"}]),
                "jobs:job:rules:rule when unknown value: sometimes",
            ),
            (
                json!([{"if": true}]),
                "jobs:job:rules:rule if invalid expression syntax",
            ),
            (
                json!([{"when": "manual", "start_in": "1 day"}]),
                "jobs:job:rules:rule config contains disallowed keys: start_in",
            ),
            (
                json!([{"when": "delayed"}]),
                "jobs:job:rules:rule start in can't be blank",
            ),
            (
                json!([{"when": "delayed", "start_in": "2 weeks"}]),
                "jobs:job:rules:rule start in should not exceed the limit",
            ),
            (
                json!([{"when": "delayed", "start_in": "soon"}]),
                "jobs:job:rules:rule start in should be a duration",
            ),
            (
                json!([{"allow_failure": {"exit_codes": 1}}]),
                "jobs:job:rules:rule allow failure should be a boolean value",
            ),
            (
                json!([{"interruptible": "yes"}]),
                "jobs:job:rules:rule interruptible should be a boolean value",
            ),
            (
                json!([{"changes": "a"}]),
                "jobs:job:rules:rule:changes should be an array or a hash",
            ),
            (
                json!([{"changes": [1]}]),
                "jobs:job:rules:rule:changes config should be an array of strings",
            ),
            (
                json!([{"changes": {"compare_to": "main"}}]),
                "jobs:job:rules:rule:changes config missing required keys: paths",
            ),
            (
                json!([{"changes": {"paths": ["a"], "base": "x"}}]),
                "jobs:job:rules:rule:changes config contains unknown keys: base",
            ),
            (
                json!([{"exists": 1}]),
                "jobs:job:rules:rule:exists should be a string, an array of strings, or a hash",
            ),
            (
                json!([{"exists": {"paths": ["a"], "ref": "main"}}]),
                "jobs:job:rules:rule:exists config missing required keys: project",
            ),
            (
                json!([{"needs": [{"pipeline": "x", "job": "y"}]}]),
                "jobs:job:rules:rule:needs config uses invalid types: cross_dependency",
            ),
            (
                json!([{"variables": {"A": {"value": "1"}}}]),
                "jobs:job:rules:rule:variables:A config must be a string",
            ),
            (
                json!([{"auto_cancel": {"on_new_commit": "none"}}]),
                "jobs:job:rules:rule config contains unknown keys: auto_cancel",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(messages(parse, PATH, input.clone()), [expected], "{input}");
        }
    }

    #[test]
    fn nesting_limit() {
        let mut deep = json!({"when": "always"});
        for _ in 0..10 {
            deep = json!([deep]);
        }
        assert!(messages(parse, PATH, deep.clone()).is_empty());
        assert_eq!(
            messages(parse, PATH, json!([deep])),
            ["jobs:job rules should be an array containing hashes and arrays of hashes"]
        );
    }

    #[test]
    fn workflow_rules() {
        let rules = ok(
            parse_workflow,
            "workflow:rules",
            json!([
                {"if": "$CI_COMMIT_TITLE =~ /-draft$/", "when": "never"},
                {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", "variables": {"DEPLOY": "prod"}, "auto_cancel": {"on_new_commit": "interruptible"}}
            ]),
        );
        assert_eq!(rules[0].when, Some(When::Never));
        assert!(rules[1].auto_cancel.is_some());
    }

    #[test]
    fn workflow_errors() {
        let cases = [
            (
                json!([{"when": "manual"}]),
                "workflow:rules:rule when unknown value: manual",
            ),
            (
                json!([{"interruptible": true}]),
                "workflow:rules:rule config contains unknown keys: interruptible",
            ),
            (
                json!({"if": "$A"}),
                "workflow:rules config should be a array",
            ),
            (json!([]), "workflow:rules config can't be blank"),
            (json!(["x"]), "workflow:rules:rule config should be a hash"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                messages(parse_workflow, "workflow:rules", input.clone()),
                [expected],
                "{input}"
            );
        }
    }

    #[test]
    fn include_rules() {
        let rules = ok(
            parse_include,
            "include:rules",
            json!([{"if": "$A", "exists": ["x"], "changes": ["y"], "when": "never"}]),
        );
        assert_eq!(rules[0].when, Some(When::Never));
        assert_eq!(
            messages(parse_include, "include:rules", json!([{"when": "manual"}])),
            ["include:rules:rule when unknown value: manual"]
        );
        assert_eq!(
            messages(
                parse_include,
                "include:rules",
                json!([{"variables": {"A": "1"}}])
            ),
            ["include:rules:rule config contains unknown keys: variables"]
        );
    }

    #[test]
    fn serializes_if_as_string() {
        let rules = ok(parse, PATH, json!([{"if": "$A", "when": "never"}]));
        assert_eq!(
            serde_json::to_value(&rules).unwrap(),
            json!([{"if": "$A", "when": "never"}])
        );
    }

    #[test]
    fn repeated_expression_reported_for_each_job() {
        let mut diags = crate::diagnostic::Diagnostics::new();
        let limits = crate::limits::Limits::default();
        let mut cx = Ctx::new(&mut diags, &limits);
        let rules = crate::config::keywords::testing::node(json!([
            {"if": "$A =="},
            {"if": "/ab/ == \"ab\""},
            {"if": "$A =~ /^v\\d+$/"}
        ]));
        for job in ["a", "b"] {
            parse(&format!("jobs:{job}:rules"), &rules, &mut cx);
        }
        let found: Vec<(&str, String)> =
            diags.iter().map(|d| (d.code, d.message.clone())).collect();
        let expected = ["a", "b"].map(|job| {
            [
                (
                    "invalid-expression",
                    format!("jobs:{job}:rules:rule if invalid expression syntax"),
                ),
                (
                    "expression-evaluation-failed",
                    format!(
                        "jobs:{job}:rules:rule if expression evaluation failed: {}",
                        evaluation_detail("/ab/ == \"ab\"")
                    ),
                ),
            ]
        });
        assert_eq!(found, expected.concat());
    }

    #[test]
    fn expression_verdicts_kept_by_text() {
        let mut diags = crate::diagnostic::Diagnostics::new();
        let limits = crate::limits::Limits::default();
        let mut cx = Ctx::new(&mut diags, &limits);
        let rules = crate::config::keywords::testing::node(json!([
            {"if": "$A =~ /^v\\d+$/"},
            {"if": "$A =~ /^v\\d+$/"},
            {"if": "$A =="}
        ]));
        parse("jobs:a:rules", &rules, &mut cx);
        assert_eq!(cx.expressions.len(), 2);
        assert_eq!(
            cx.expressions.get("$A =~ /^v\\d+$/"),
            Some(&ExpressionCheck::Valid)
        );
    }

    fn evaluation_detail(text: &str) -> String {
        match check_expression(text, &crate::limits::Limits::default()) {
            ExpressionCheck::Evaluation { detail, .. } => detail,
            other => panic!("`{text}` evaluates: {other:?}"),
        }
    }
}
