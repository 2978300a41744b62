//! `include:rules`: validation and evaluation.
//!
//! GitLab validates include rules with its rule entries and reports the first problem prefixed
//! with `include:`, for example `include:rule when unknown value: on_success`. A rule matches
//! when all its clauses are true. The first matching rule includes the file unless its `when`
//! is `never`. When no rule matches, the file is not included. Only the variables known before
//! the pipeline exists are visible (never YAML `variables:`).
//!
//! `changes` compares the pipeline's changed files as job rules do. With `compare_to` it needs
//! the files changed since that ref, which glplan cannot compute offline: the file is included
//! as if the clause were true, with a warning. A `compare_to` that names no commit is an error,
//! as in GitLab.
//!
//! The clauses are evaluated by [`crate::rules::clause`], which job and workflow rules share.
//! Only the listing of another project's files is done here, so that its errors are reported
//! with GitLab's `include:` messages.

use crate::config::keywords::rules::{Changes, Exists as ExistsClause};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{self, Expression, Variables};
use crate::files::{FetchError, FileProvider};
use crate::inputs::ruby;
use crate::limits::Limits;
use crate::rules::clause;
use crate::source::Span;
use crate::variables::{self, Expansion, ResolvedVariable, VariableList, VariableSource};
use crate::yaml::{Mapping, Node, Value};
use std::borrow::Cow;
use std::cell::{Cell, OnceCell};

use super::Repo;

/// Inputs of rule evaluation besides the rules.
pub(super) struct RuleEnv<'a> {
    /// Variables visible to the include.
    pub variables: &'a dyn Variables,
    /// The same variables when they are [`RuleVariables`], which can report an expansion
    /// that passed the size limit. `None` where the include has no variables.
    pub rule_variables: Option<&'a RuleVariables<'a>>,
    /// File provider that `exists` lists files with.
    pub files: &'a dyn FileProvider,
    /// The repository of the file that contains the include, which `exists` searches; `None`
    /// for files without a project (remote and template includes).
    pub repo: Option<&'a Repo>,
    /// Limits in force (the expression token limit and the glob comparison budget).
    pub limits: &'a Limits,
    /// The pipeline's changed files, which `changes` compares with as job rules do; `None`
    /// when the pipeline has no diff, which makes every `changes` clause true.
    pub changed_files: Option<&'a [String]>,
}

/// The variables `include:rules` reads. `if` compares the values as written. `exists` and
/// `changes` expand their paths with the values after GitLab's `sort_and_expand_all` (the
/// include context's `variables_hash_expanded`), which expands each value with the others
/// unless the variable is raw.
pub(super) struct RuleVariables<'a> {
    /// Definitions in order; the last definition of a name wins.
    written: &'a [(String, String)],
    /// For each definition of `written`, whether it is raw.
    raw: &'a [bool],
    /// [`Limits::max_variable_expansion_bytes`], where glplan stops expanding.
    max_added_bytes: usize,
    /// The definitions after `sort_and_expand_all`, built on first use. When the expansion
    /// passed `max_added_bytes`, they are the definitions as written.
    expanded: OnceCell<Expansion>,
    /// Whether a lookup returned a value as written because the expansion passed
    /// `max_added_bytes`, since the reads were last cleared or taken.
    read_unexpanded: Cell<bool>,
}

impl<'a> RuleVariables<'a> {
    pub(super) fn new(written: &'a [(String, String)], raw: &'a [bool], limits: &Limits) -> Self {
        RuleVariables {
            written,
            raw,
            max_added_bytes: limits.max_variable_expansion_bytes,
            expanded: OnceCell::new(),
            read_unexpanded: Cell::new(false),
        }
    }

    /// Forgets the lookups made so far, for [`RuleVariables::take_too_large`].
    fn clear_reads(&self) {
        self.read_unexpanded.set(false);
    }

    /// Returns the variable where the expansion passed the size limit, when a lookup since
    /// the last call returned a value as written for that reason.
    fn take_too_large(&self) -> Option<&str> {
        if !self.read_unexpanded.replace(false) {
            return None;
        }
        self.expansion().too_large.as_deref()
    }

    fn expansion(&self) -> &Expansion {
        self.expanded.get_or_init(|| {
            let list: VariableList = self
                .written
                .iter()
                .enumerate()
                .map(|(index, (name, value))| {
                    let mut variable = ResolvedVariable::new(
                        name.as_str(),
                        value.as_str(),
                        VariableSource::Pipeline,
                    );
                    variable.raw = self.raw.get(index).copied().unwrap_or(false);
                    variable
                })
                .collect();
            let options = variables::ExpandOptions {
                max_added_bytes: self.max_added_bytes,
                ..variables::ExpandOptions::GITLAB
            };
            variables::sort_and_expand_all(&list, options)
        })
    }
}

impl Variables for RuleVariables<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        Variables::get(self.written, name)
    }

    fn get_expanded(&self, name: &str) -> Option<Cow<'_, str>> {
        let value = self.get(name)?;
        if !value.contains(['$', '%']) {
            return Some(Cow::Borrowed(value));
        }
        let expansion = self.expansion();
        if expansion.too_large.is_some() {
            self.read_unexpanded.set(true);
        }
        expansion.variables.value(name).map(Cow::Borrowed)
    }
}

/// Maximum paths in `changes` (and in `exists:paths` of the mapping form).
const MAX_RULE_PATHS: usize = 50;

const RULE_KEYS: &[&str] = &["if", "exists", "when", "changes"];
const EXISTS_KEYS: &[&str] = &["paths", "project", "ref"];
const CHANGES_KEYS: &[&str] = &["paths", "compare_to"];

/// One validated rule.
#[derive(Debug)]
struct Rule {
    /// Clauses in the order they are written, as GitLab evaluates them.
    clauses: Vec<Clause>,
    /// `when`, when given.
    when: Option<String>,
}

impl Clause {
    /// Returns the name and span of a clause whose paths GitLab expands with
    /// `sort_and_expand_all`; `if` compares the values as written.
    fn expanding_span(&self) -> Option<(&'static str, Span)> {
        match self {
            Clause::If { .. } => None,
            Clause::Exists(exists) => Some(("exists", exists.span)),
            Clause::Changes(_, span) => Some(("changes", *span)),
        }
    }
}

#[derive(Debug)]
enum Clause {
    If {
        expression: Box<Expression>,
        span: Span,
    },
    Exists(Exists),
    /// The clause and the span of its value.
    Changes(Changes, Span),
}

#[derive(Debug)]
struct Exists {
    clause: ExistsClause,
    /// Span of the `exists` value, for errors found while evaluating it.
    span: Span,
}

/// A rule problem with GitLab's message (without the `include:` prefix) and its location.
#[derive(Debug)]
struct Invalid {
    message: String,
    span: Span,
    /// How to fix the problem, when the general help of [`rules_error`] does not fit.
    help: Option<String>,
}

impl Invalid {
    /// Creates a problem that takes the general help of [`rules_error`].
    fn new(message: String, span: Span) -> Self {
        Invalid {
            message,
            span,
            help: None,
        }
    }
}

/// Decides whether an include item with these `rules` is included. Reports invalid rules as an
/// error and skips the item, and reports clauses that cannot be evaluated as warnings.
pub(super) fn evaluate(
    rules: &Node,
    location: &str,
    env: &RuleEnv<'_>,
    diags: &mut Diagnostics,
) -> bool {
    let parsed = match parse_rules(rules, env.limits) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return true,
        // GitLab takes these from its `include:rules` entry, whose validator lower-cases them.
        Err(invalid) => {
            let message = ruby::downcase(&invalid.message);
            diags.push(rules_error(&message, invalid.span, invalid.help));
            return false;
        }
    };

    for rule in &parsed {
        match rule_matches(rule, location, env, diags) {
            Ok(true) => return rule.when.as_deref() != Some("never"),
            Ok(false) => {}
            Err(invalid) => {
                diags.push(rules_error(&invalid.message, invalid.span, invalid.help));
                return false;
            }
        }
    }
    false
}

fn rules_error(message: &str, span: Span, help: Option<String>) -> Diagnostic {
    let help = help.unwrap_or_else(|| {
        "`include:rules` takes a list of hashes with `if`, `exists`, `changes` and `when` \
         (`always` or `never`); fix the rule, because GitLab rejects the configuration"
            .to_owned()
    });
    Diagnostic::error("invalid-include-rules", format!("include:{message}"))
        .with_span(span)
        .with_help(help)
}

/// Validates the rules as GitLab's `Entry::Include::Rules` does and returns the first
/// problem. `Ok(None)` means there are no rules (null or `false`).
fn parse_rules(rules: &Node, limits: &Limits) -> Result<Option<Vec<Rule>>, Invalid> {
    let invalid = |message: &str, span: Span| Invalid::new(message.to_owned(), span);
    match &rules.value {
        Value::Null | Value::Bool(false) => Ok(None),
        Value::Seq(items) if items.is_empty() => {
            Err(invalid("rules config can't be blank", rules.span))
        }
        Value::Seq(items) => {
            // GitLab flattens nested lists of rules.
            let mut flat = Vec::new();
            flatten(items, &mut flat);
            flat.into_iter()
                .map(|rule| parse_rule(rule, limits))
                .collect::<Result<Vec<_>, _>>()
                .map(Some)
        }
        _ if rules.is_blank() => Err(invalid("rules config can't be blank", rules.span)),
        _ => Err(invalid("rules config should be an array", rules.span)),
    }
}

fn flatten<'n>(items: &'n [Node], out: &mut Vec<&'n Node>) {
    for item in items {
        match &item.value {
            Value::Seq(inner) => flatten(inner, out),
            _ => out.push(item),
        }
    }
}

fn parse_rule(node: &Node, limits: &Limits) -> Result<Rule, Invalid> {
    let invalid = Invalid::new;
    if node.is_blank() {
        return Err(invalid("rule config can't be blank".to_owned(), node.span));
    }
    let Some(map) = node.as_map() else {
        return Err(invalid(
            "rule config should be a hash".to_owned(),
            node.span,
        ));
    };
    if let Some(message) = unknown_keys("rule", map, RULE_KEYS) {
        return Err(invalid(message, node.span));
    }

    let mut clauses = Vec::new();
    let mut when = None;
    for (key, entry) in map.entries() {
        let value = &entry.value;
        match key.as_str() {
            Some("if") => match &value.value {
                Value::Null => {}
                Value::String(source) => match expr::parse_with_limits(source, limits) {
                    Ok(expression) => clauses.push(Clause::If {
                        expression: Box::new(expression),
                        span: value.span,
                    }),
                    Err(_) => {
                        let message = "rule if invalid expression syntax".to_owned();
                        return Err(invalid(message, value.span));
                    }
                },
                _ => {
                    let message = "rule if invalid expression syntax".to_owned();
                    return Err(invalid(message, value.span));
                }
            },
            Some("when") if !value.is_null() => {
                let text = ruby::to_s(value);
                if text != "always" && text != "never" {
                    let message = format!("rule when unknown value: {text}");
                    return Err(invalid(message, value.span));
                }
                when = Some(text);
            }
            Some("exists") => {
                if let Some(exists) = parse_exists(value)? {
                    clauses.push(Clause::Exists(exists));
                }
            }
            Some("changes") if !value.is_null() => {
                clauses.push(Clause::Changes(check_changes(value)?, value.span));
            }
            _ => {}
        }
    }
    Ok(Rule { clauses, when })
}

/// Validates `exists` in its string, list or mapping form.
fn parse_exists(node: &Node) -> Result<Option<Exists>, Invalid> {
    let location = "rule:exists";
    let invalid = |message: String| Invalid::new(message, node.span);
    let simple = |paths: Vec<String>| {
        Some(Exists {
            clause: ExistsClause {
                paths,
                project: None,
                git_ref: None,
            },
            span: node.span,
        })
    };
    match &node.value {
        Value::Null => Ok(None),
        Value::String(path) => Ok(simple(vec![path.clone()])),
        Value::Seq(items) => match strings(items) {
            Some(paths) if paths.len() > MAX_RULE_PATHS => Err(invalid(format!(
                "{location} config has too many entries (maximum {MAX_RULE_PATHS})"
            ))),
            Some(paths) => Ok(simple(paths)),
            None => Err(invalid(format!(
                "{location} config should be an array of strings"
            ))),
        },
        _ if node.is_blank() => Ok(simple(Vec::new())),
        Value::Map(map) => {
            if let Some(message) = unknown_keys(location, map, EXISTS_KEYS) {
                return Err(invalid(message));
            }
            if !map.contains_key("paths") {
                return Err(invalid(format!(
                    "{location} config missing required keys: paths"
                )));
            }
            let project = map.get("project").filter(|n| !n.is_null());
            let git_ref = map.get("ref").filter(|n| !n.is_null());
            if git_ref.is_some() && !map.contains_key("project") {
                return Err(invalid(format!(
                    "{location} config missing required keys: project"
                )));
            }
            let paths = match map.get("paths").map(|n| &n.value) {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Seq(items)) => strings(items).ok_or_else(|| {
                    invalid(format!("{location} paths should be an array of strings"))
                })?,
                Some(_) => {
                    return Err(invalid(format!(
                        "{location} paths should be an array of strings"
                    )));
                }
            };
            if paths.len() > MAX_RULE_PATHS {
                return Err(invalid(format!(
                    "{location} paths has too many entries (maximum {MAX_RULE_PATHS})"
                )));
            }
            let project = match project {
                None => None,
                Some(Node {
                    value: Value::String(p),
                    ..
                }) => Some(p.clone()),
                Some(_) => return Err(invalid(format!("{location} project should be a string"))),
            };
            let git_ref = match git_ref {
                None => None,
                Some(Node {
                    value: Value::String(r),
                    ..
                }) => Some(r.clone()),
                Some(_) => return Err(invalid(format!("{location} ref should be a string"))),
            };
            Ok(Some(Exists {
                clause: ExistsClause {
                    paths,
                    project,
                    git_ref,
                },
                span: node.span,
            }))
        }
        _ => Err(invalid(format!(
            "{location} should be a string, an array of strings, or a hash"
        ))),
    }
}

/// Validates `changes` in its list or mapping form.
fn check_changes(node: &Node) -> Result<Changes, Invalid> {
    let location = "rule:changes";
    let invalid = |message: String| Invalid::new(message, node.span);
    match &node.value {
        Value::Seq(items) => {
            if strings(items).is_none() {
                return Err(invalid(format!(
                    "{location} config should be an array of strings"
                )));
            }
            if items.len() > MAX_RULE_PATHS {
                return Err(invalid(format!(
                    "{location} config has too many entries (maximum {MAX_RULE_PATHS})"
                )));
            }
            Ok(Changes {
                paths: strings(items).unwrap_or_default(),
                compare_to: None,
                compare_to_span: Span::default(),
            })
        }
        Value::Map(map) => {
            if let Some(message) = unknown_keys(location, map, CHANGES_KEYS) {
                return Err(invalid(message));
            }
            if !map.contains_key("paths") {
                return Err(invalid(format!(
                    "{location} config missing required keys: paths"
                )));
            }
            let paths = match map.get("paths").and_then(Node::as_seq).and_then(strings) {
                Some(paths) if paths.len() > MAX_RULE_PATHS => {
                    return Err(invalid(format!(
                        "{location} paths has too many entries (maximum {MAX_RULE_PATHS})"
                    )));
                }
                Some(paths) => paths,
                None => {
                    return Err(invalid(format!(
                        "{location} paths should be an array of strings"
                    )));
                }
            };
            let compare_to = map.get("compare_to").filter(|n| !n.is_null());
            if compare_to.is_some_and(|n| n.as_str().is_none()) {
                return Err(invalid(format!("{location} compare to should be a string")));
            }
            Ok(Changes {
                paths,
                compare_to: compare_to.and_then(Node::as_str).map(str::to_owned),
                compare_to_span: compare_to.map_or(node.span, |node| node.span),
            })
        }
        _ => Err(invalid(format!("{location} should be an array or a hash"))),
    }
}

fn strings(items: &[Node]) -> Option<Vec<String>> {
    items
        .iter()
        .map(|item| item.as_str().map(str::to_owned))
        .collect()
}

fn unknown_keys(location: &str, map: &Mapping, allowed: &[&str]) -> Option<String> {
    let unknown: Vec<String> = map
        .keys()
        .filter(|key| !key.as_str().is_some_and(|k| allowed.contains(&k)))
        .map(ToString::to_string)
        .collect();
    if unknown.is_empty() {
        None
    } else {
        Some(format!(
            "{location} config contains unknown keys: {}",
            unknown.join(", ")
        ))
    }
}

/// Returns whether every clause of the rule is true. Like GitLab, it evaluates the clauses in
/// order and stops at the first false one.
fn rule_matches(
    rule: &Rule,
    location: &str,
    env: &RuleEnv<'_>,
    diags: &mut Diagnostics,
) -> Result<bool, Invalid> {
    let variables = env.variables;
    for clause in &rule.clauses {
        if let Some(rule_variables) = env.rule_variables {
            rule_variables.clear_reads();
        }
        let is_true = match clause {
            Clause::If { expression, span } => {
                clause::trace_parsed_if(expression, *span, variables).holds
            }
            Clause::Exists(exists) => exists_holds(exists, location, env, diags)?,
            Clause::Changes(changes, span) => {
                let trace =
                    clause::trace_changes(changes, variables, env.changed_files, env.limits);
                // GitLab's `External::Rules#evaluate` turns the clause's error into an
                // `include:` error of the configuration.
                if let Some(error) = trace.error() {
                    return Err(Invalid {
                        message: error.to_owned(),
                        span: trace.compare_to_span,
                        help: Some(trace.error_help()),
                    });
                }
                // Only `compare_to` needs what glplan cannot know offline.
                if let Some(note) = trace.note() {
                    diags.push(
                        Diagnostic::warning(
                            "include-rules-not-evaluated",
                            format!("`include:rules:changes` for `{location}`: {note}"),
                        )
                        .with_span(*span),
                    );
                }
                trace.holds()
            }
        };
        if let Some((clause, span)) = clause.expanding_span()
            && let Some(name) = env.rule_variables.and_then(RuleVariables::take_too_large)
        {
            diags.push(expansion_too_large(location, clause, name, env.limits).with_span(span));
        }
        if !is_true {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Builds the warning that an `exists` or `changes` clause read variable values as written,
/// because expanding variable `name` passed [`Limits::max_variable_expansion_bytes`].
fn expansion_too_large(location: &str, clause: &str, name: &str, limits: &Limits) -> Diagnostic {
    Diagnostic::warning(
        "include-rules-expansion-too-large",
        format!(
            "`include:rules:{clause}` for `{location}`: expanding variable `{name}` adds more \
             than {} bytes, so glplan compared the paths with the variable values as written",
            limits.max_variable_expansion_bytes
        ),
    )
    .with_help(
        "GitLab expands the variables of `include:rules` without a size limit, so its result \
         can differ; variables that reference other variables several times grow with every \
         level, so reference the long value fewer times",
    )
}

fn not_evaluated(location: &str, clause: &str, reason: &str) -> Diagnostic {
    Diagnostic::warning(
        "include-rules-not-evaluated",
        format!(
            "`include:rules:{clause}` for `{location}` was not evaluated: {reason}; \
             the file is included as if the clause matched"
        ),
    )
}

/// Evaluates `exists` like GitLab's `Clause::Exists` (see [`clause::match_exists`]), searching
/// the repository of the file that contains the include, or the project given in the clause.
/// Paths, `project` and `ref` are expanded as `changes` paths are.
fn exists_holds(
    exists: &Exists,
    location: &str,
    env: &RuleEnv<'_>,
    diags: &mut Diagnostics,
) -> Result<bool, Invalid> {
    let expand = |text: &str| clause::expand_existing_nested(text, env.variables);
    let spec = &exists.clause;
    // GitLab returns before it looks up a project or lists any file.
    if spec.paths.is_empty() {
        return Ok(false);
    }
    let globs: Vec<String> = spec.paths.iter().map(|p| expand(p)).collect();

    let listing = match &spec.project {
        Some(project) => {
            let project = expand(project);
            let git_ref = spec.git_ref.as_deref().map(expand);
            match env.files.list(Some(&project), git_ref.as_deref()) {
                Ok(paths) => paths,
                // GitLab gives this one message both for a missing project and for one that
                // the user may not read.
                Err(FetchError::ProjectNotFound) => {
                    return Err(Invalid::new(
                        format!("rules:exists:project `{project}` not found or access denied"),
                        exists.span,
                    ));
                }
                Err(FetchError::RefNotFound) => {
                    return Err(Invalid::new(
                        format!(
                            "rules:exists:ref `{}` is not a valid ref in project `{project}`",
                            git_ref.unwrap_or_default()
                        ),
                        exists.span,
                    ));
                }
                Err(other) => {
                    diags.push(
                        not_evaluated(location, "exists", &listing_failure(&other))
                            .with_span(exists.span),
                    );
                    return Ok(true);
                }
            }
        }
        None => {
            let Some(repo) = env.repo else {
                return Ok(false);
            };
            match env
                .files
                .list(repo.project.as_deref(), repo.git_ref.as_deref())
            {
                Ok(paths) => paths,
                Err(error) => {
                    diags.push(
                        not_evaluated(location, "exists", &listing_failure(&error))
                            .with_span(exists.span),
                    );
                    return Ok(true);
                }
            }
        }
    };

    Ok(clause::match_exists(&globs, &listing, env.limits).holds())
}

fn listing_failure(error: &FetchError) -> String {
    format!("the repository files could not be listed ({error})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::NoVariables;
    use crate::files::MemoryFiles;

    fn sp() -> Span {
        Span::default()
    }

    fn s(text: &str) -> Node {
        Node::string(text, sp())
    }

    fn seq(items: Vec<Node>) -> Node {
        Node::new(Value::Seq(items), sp())
    }

    fn map(pairs: Vec<(&str, Node)>) -> Node {
        let mut m = Mapping::new();
        for (k, v) in pairs {
            m.insert(k, sp(), v);
        }
        Node::new(Value::Map(m), sp())
    }

    fn files() -> MemoryFiles {
        MemoryFiles::new()
            .with_file("Dockerfile", "")
            .with_file("src/main.rs", "")
            .with_file("docs/a.md", "")
    }

    fn run(rules: Node, files: &MemoryFiles) -> (bool, Vec<String>) {
        run_with(rules, files, &[])
    }

    fn run_with(
        rules: Node,
        files: &MemoryFiles,
        variables: &[(String, String)],
    ) -> (bool, Vec<String>) {
        let limits = Limits::default();
        let repo = Repo::default();
        let variables = RuleVariables::new(variables, &[], &limits);
        let env = RuleEnv {
            variables: &variables,
            rule_variables: Some(&variables),
            files,
            repo: Some(&repo),
            limits: &limits,
            changed_files: None,
        };
        let mut diags = Diagnostics::new();
        let included = evaluate(&rules, "x.yml", &env, &mut diags);
        (included, diags.iter().map(|d| d.message.clone()).collect())
    }

    fn errors(rules: Node) -> Vec<String> {
        run(rules, &files()).1
    }

    #[test]
    fn invalid_rules_have_help() {
        let diagnostic = rules_error("rules config can't be blank", sp(), None);
        assert!(
            diagnostic
                .help
                .is_some_and(|help| help.contains("`include:rules`"))
        );
    }

    #[test]
    fn no_rules_include() {
        assert!(run(Node::null(sp()), &files()).0);
    }

    #[test]
    fn validation_messages() {
        let cases: Vec<(Node, &str)> = vec![
            (seq(vec![]), "include:rules config can't be blank"),
            (
                map(vec![("if", s("$X"))]),
                "include:rules config should be an array",
            ),
            (seq(vec![s("x")]), "include:rule config should be a hash"),
            (seq(vec![map(vec![])]), "include:rule config can't be blank"),
            (
                seq(vec![map(vec![("invalid", s("x"))])]),
                "include:rule config contains unknown keys: invalid",
            ),
            (
                seq(vec![map(vec![("Invalid_Key", s("x"))])]),
                "include:rule config contains unknown keys: invalid_key",
            ),
            (
                seq(vec![map(vec![("when", s("on_success"))])]),
                "include:rule when unknown value: on_success",
            ),
            (
                seq(vec![map(vec![("if", seq(vec![s("$A")]))])]),
                "include:rule if invalid expression syntax",
            ),
            (
                seq(vec![map(vec![("if", s("$A == main"))])]),
                "include:rule if invalid expression syntax",
            ),
            (
                seq(vec![map(vec![(
                    "exists",
                    seq(vec![Node::new(Value::Int(1), sp())]),
                )])]),
                "include:rule:exists config should be an array of strings",
            ),
            (
                seq(vec![map(vec![("exists", Node::new(Value::Int(1), sp()))])]),
                "include:rule:exists should be a string, an array of strings, or a hash",
            ),
            (
                seq(vec![map(vec![(
                    "exists",
                    map(vec![("project", s("g/p"))]),
                )])]),
                "include:rule:exists config missing required keys: paths",
            ),
            (
                seq(vec![map(vec![(
                    "exists",
                    map(vec![("paths", seq(vec![])), ("ref", s("main"))]),
                )])]),
                "include:rule:exists config missing required keys: project",
            ),
            (
                seq(vec![map(vec![("exists", map(vec![("paths", s("a"))]))])]),
                "include:rule:exists paths should be an array of strings",
            ),
            (
                seq(vec![map(vec![("changes", s("a"))])]),
                "include:rule:changes should be an array or a hash",
            ),
            (
                seq(vec![map(vec![(
                    "changes",
                    map(vec![("paths", seq(vec![])), ("x", s("y"))]),
                )])]),
                "include:rule:changes config contains unknown keys: x",
            ),
            (
                seq(vec![map(vec![(
                    "changes",
                    seq((0..51).map(|i| s(&i.to_string())).collect()),
                )])]),
                "include:rule:changes config has too many entries (maximum 50)",
            ),
            (
                seq(vec![map(vec![(
                    "exists",
                    seq((0..51).map(|i| s(&i.to_string())).collect()),
                )])]),
                "include:rule:exists config has too many entries (maximum 50)",
            ),
            (
                seq(vec![map(vec![(
                    "exists",
                    map(vec![(
                        "paths",
                        seq((0..51).map(|i| s(&i.to_string())).collect()),
                    )]),
                )])]),
                "include:rule:exists paths has too many entries (maximum 50)",
            ),
        ];
        for (rules, expected) in cases {
            assert_eq!(errors(rules), [expected], "expected {expected:?}");
        }
    }

    #[test]
    fn when_never_excludes() {
        let rules = seq(vec![map(vec![
            ("exists", s("Dockerfile")),
            ("when", s("never")),
        ])]);
        assert!(!run(rules, &files()).0);
    }

    #[test]
    fn no_matching_rule_excludes() {
        let rules = seq(vec![map(vec![("exists", s("missing.txt"))])]);
        assert!(!run(rules, &files()).0);
    }

    #[test]
    fn rule_with_only_when_matches() {
        let rules = seq(vec![
            map(vec![("exists", s("missing.txt"))]),
            map(vec![("when", s("always"))]),
        ]);
        assert!(run(rules, &files()).0);
    }

    #[test]
    fn exists_forms() {
        let cases = [
            (s("Dockerfile"), true),
            (s("*.md"), false),
            (s("**/*.md"), true),
            (s("src/*.rs"), true),
            (s("**/*.py"), false),
            (seq(vec![s("nope"), s("docs/{a,b}.md")]), true),
            (map(vec![("paths", seq(vec![s("Dockerfile")]))]), true),
        ];
        for (exists, expected) in cases {
            let rules = seq(vec![map(vec![("exists", exists.clone())])]);
            assert_eq!(run(rules, &files()).0, expected, "exists {exists:?}");
        }
    }

    #[test]
    fn exists_in_other_project() {
        let mut other = MemoryFiles::new();
        other.projects.insert(
            "g/p".to_owned(),
            [("ci.yml".to_owned(), String::new())].into_iter().collect(),
        );
        let rules = seq(vec![map(vec![(
            "exists",
            map(vec![
                ("paths", seq(vec![s("ci.yml")])),
                ("project", s("g/p")),
            ]),
        )])]);
        assert!(run(rules.clone(), &other).0);
        let missing = seq(vec![map(vec![(
            "exists",
            map(vec![
                ("paths", seq(vec![s("ci.yml")])),
                ("project", s("g/none")),
            ]),
        )])]);
        assert_eq!(
            run(missing, &other).1,
            ["include:rules:exists:project `g/none` not found or access denied"]
        );
    }

    /// Three files × one wildcard glob: within a budget of 3, past a budget of 2.
    #[test]
    fn exists_comparison_limit() {
        let repo = Repo::default();
        let files = files();
        let rules = seq(vec![map(vec![("exists", s("nothing/*"))])]);
        for (limit, expected) in [(3, false), (2, true)] {
            let limits = Limits {
                max_rule_glob_comparisons: limit,
                ..Limits::default()
            };
            let env = RuleEnv {
                variables: &NoVariables,
                rule_variables: None,
                files: &files,
                repo: Some(&repo),
                limits: &limits,
                changed_files: None,
            };
            let mut diags = Diagnostics::new();
            assert_eq!(
                evaluate(&rules, "x.yml", &env, &mut diags),
                expected,
                "limit {limit}"
            );
        }
    }

    #[test]
    fn exists_without_project_is_false() {
        let limits = Limits::default();
        let files = files();
        let env = RuleEnv {
            variables: &NoVariables,
            rule_variables: None,
            files: &files,
            repo: None,
            limits: &limits,
            changed_files: None,
        };
        let rules = seq(vec![map(vec![("exists", s("Dockerfile"))])]);
        let mut diags = Diagnostics::new();
        assert!(!evaluate(&rules, "x.yml", &env, &mut diags));
    }

    #[test]
    fn if_uses_variables() {
        let variables = vec![("INCLUDE_EXTRA".to_owned(), "true".to_owned())];
        let rules = seq(vec![
            map(vec![("if", s(r#"$INCLUDE_EXTRA == "true""#))]),
            map(vec![("when", s("never"))]),
        ]);
        assert!(run_with(rules.clone(), &files(), &variables).0);
        assert!(!run_with(rules, &files(), &[]).0);
    }

    #[test]
    fn if_false_skips_later_clauses() {
        let rules = seq(vec![map(vec![
            ("if", s("$MISSING")),
            ("changes", seq(vec![s("a")])),
        ])]);
        let (included, messages) = run(rules, &files());
        assert!(!included);
        assert!(messages.is_empty());
    }

    #[test]
    fn changes_without_diff_includes() {
        let rules = seq(vec![map(vec![("changes", seq(vec![s("src/**")]))])]);
        let (included, messages) = run(rules, &files());
        assert!(included);
        assert!(messages.is_empty());
    }

    #[test]
    fn exists_directory_and_variables() {
        let variables = vec![("DIR".to_owned(), "docs".to_owned())];
        let cases = [
            (s("$DIR/"), true),
            (s("doc/"), false),
            (s("${DIR}/*.md"), true),
        ];
        for (exists, expected) in cases {
            let rules = seq(vec![map(vec![("exists", exists.clone())])]);
            let (included, _) = run_with(rules, &files(), &variables);
            assert_eq!(included, expected, "exists {exists:?}");
        }
    }

    #[test]
    fn exists_empty_list_is_false() {
        let rules = seq(vec![map(vec![("exists", seq(vec![]))])]);
        assert!(!run(rules, &files()).0);
    }

    #[test]
    fn changes_compare_to_warns_and_includes() {
        let changes = map(vec![
            ("paths", seq(vec![s("src/**")])),
            ("compare_to", s("refs/heads/main")),
        ]);
        let rules = seq(vec![map(vec![("changes", changes)])]);
        let (included, messages) = run(rules, &files());
        assert!(included);
        assert_eq!(messages.len(), 1);
    }

    #[test]
    fn changes_compare_to_without_ref_is_error() {
        let changes = map(vec![
            ("paths", seq(vec![s("src/**")])),
            ("compare_to", s("$CI_MERGE_REQUEST_TARGET_BRANCH_NAME")),
        ]);
        let rules = seq(vec![map(vec![("changes", changes)])]);
        let (included, messages) = run(rules, &files());
        assert!(!included);
        assert_eq!(
            messages,
            ["include:rules:changes:compare_to is not a valid ref"]
        );
    }

    #[test]
    fn changes_compare_to_after_false_if() {
        let changes = map(vec![
            ("paths", seq(vec![s("src/**")])),
            ("compare_to", s("")),
        ]);
        let rules = seq(vec![map(vec![
            ("if", s("$CI_MERGE_REQUEST_IID")),
            ("changes", changes),
        ])]);
        let (included, messages) = run(rules, &files());
        assert!(!included);
        assert!(messages.is_empty(), "{messages:?}");
    }

    /// The first matching rule decides, even when a later one would exclude.
    #[test]
    fn first_matching_rule_decides() {
        let rules = seq(vec![
            map(vec![("exists", s("Dockerfile")), ("when", s("always"))]),
            map(vec![("when", s("never"))]),
        ]);
        assert!(run(rules, &files()).0);
    }
}
