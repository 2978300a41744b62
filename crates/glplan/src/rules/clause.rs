//! The clauses of a rule (`if`, `changes`, `exists`), evaluated as GitLab's
//! `Build::Rules::Rule::Clause` classes do, each with a trace of why it was true or false.
//!
//! Job rules, workflow rules and include rules share these functions. Include rules call
//! [`trace_parsed_if`], [`trace_changes`] and [`match_exists`] with their own inputs, because
//! they list another project's files through the file provider and report its errors.

use std::cell::RefCell;
use std::rc::Rc;

use compact_str::CompactString;

use crate::hash::HashMap;
use std::fmt;

use indexmap::IndexSet;
use serde::Serialize;

use crate::config::keywords::rules::{Changes, Exists, Expression};
use crate::expand::{self, Unknown};
use crate::expr::{self, ExprValue, ReadSource, Variables};
use crate::files::FileProvider;
use crate::glob::{self, Fnmatch, GlobSet};
use crate::limits::Limits;
use crate::source::Span;

/// The prefix GitLab strips from `**/*.ext` globs before comparing file-name endings.
const NESTED_WILDCARD: &str = "**/*";

/// The evaluation of one clause.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "clause", rename_all = "snake_case")]
pub enum ClauseTrace {
    /// `if:`.
    If(IfTrace),
    /// `changes:`.
    Changes(ChangesTrace),
    /// `exists:`.
    Exists(ExistsTrace),
}

impl ClauseTrace {
    /// Returns whether the clause holds.
    pub fn holds(&self) -> bool {
        match self {
            ClauseTrace::If(trace) => trace.holds,
            ClauseTrace::Changes(trace) => trace.holds(),
            ClauseTrace::Exists(trace) => trace.holds(),
        }
    }

    /// Explains a result that glplan assumed because the facts it needs are not available
    /// offline, such as the files changed since a `compare_to` ref.
    pub fn note(&self) -> Option<String> {
        match self {
            ClauseTrace::If(_) => None,
            ClauseTrace::Changes(trace) => trace.note(),
            ClauseTrace::Exists(trace) => trace.note(),
        }
    }

    /// Returns the error GitLab raises when it evaluates the clause, which stops the
    /// evaluation of the whole rule list.
    pub fn error(&self) -> Option<&'static str> {
        match self {
            ClauseTrace::Changes(trace) => trace.error(),
            ClauseTrace::If(_) | ClauseTrace::Exists(_) => None,
        }
    }
}

impl fmt::Display for ClauseTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClauseTrace::If(trace) => trace.fmt(f),
            ClauseTrace::Changes(trace) => trace.fmt(f),
            ClauseTrace::Exists(trace) => trace.fmt(f),
        }
    }
}

/// A variable or input that an expression read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VariableRead {
    /// The name, without `$`.
    pub name: CompactString,
    /// Whether it is an input (`$[[ inputs.name ]]`) rather than a variable.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub input: bool,
    /// The value read; `None` when it is undefined (`null`).
    pub value: Option<CompactString>,
}

impl fmt::Display for VariableRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.input {
            write!(f, "inputs.{}", self.name)?;
        } else {
            f.write_str(&self.name)?;
        }
        match &self.value {
            Some(value) => {
                f.write_str(" = ")?;
                write_quoted(f, value)
            }
            None => f.write_str(" = null"),
        }
    }
}

/// Writes `text` as Rust's `Debug` does for a string: quoted, with `"`, `\` and the
/// characters that are not printable escaped. Printable ASCII without those two is copied
/// as it is, which is what most values are.
fn write_quoted(out: &mut impl fmt::Write, text: &str) -> fmt::Result {
    let plain = text
        .bytes()
        .all(|byte| (0x20..0x7f).contains(&byte) && byte != b'"' && byte != b'\\');
    if plain {
        out.write_char('"')?;
        out.write_str(text)?;
        out.write_char('"')
    } else {
        write!(out, "{text:?}")
    }
}

/// Why an `if:` clause (or one `only:variables` expression) was true or false.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IfTrace {
    /// Whether the expression's value is present (Ruby's `present?`).
    pub holds: bool,
    /// The expression as written.
    pub expression: String,
    /// Location of the expression in the configuration.
    #[serde(skip)]
    pub span: Span,
    /// The variables and inputs the evaluation read, in order. `&&` and `||` skip their right
    /// side when the left side decides, so skipped names are missing.
    pub reads: Vec<VariableRead>,
    /// The value, rendered as `null`, `true`, `"text"` or `/pattern/`; `None` after an error.
    pub value: Option<String>,
    /// The error that stopped the evaluation. GitLab counts such a clause as false.
    pub error: Option<String>,
}

impl fmt::Display for IfTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.holds { "true" } else { "false" };
        // Plain `write_str` calls, because the texts need no padding and a trace is written for
        // every clause of every job.
        f.write_str("if `")?;
        f.write_str(&self.expression)?;
        f.write_str("` is ")?;
        f.write_str(verdict)?;
        if let Some(error) = &self.error {
            f.write_str(" because its evaluation failed: ")?;
            f.write_str(error)?;
        }
        let mut separator = " (";
        for read in &self.reads {
            f.write_str(separator)?;
            read.fmt(f)?;
            separator = ", ";
        }
        if !self.reads.is_empty() {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// Evaluates an `if:` clause. The expression was validated with the configuration, so a
/// parse error here only happens with a lower token limit; it is kept as the error.
pub fn evaluate_if(expression: &Expression, variables: &dyn Variables, limits: &Limits) -> IfTrace {
    let parsed = expr::parse_with_limits(&expression.text, limits).map_err(|e| e.to_string());
    trace_if(&parsed, expression, variables)
}

/// Evaluates an `if:` clause as [`evaluate_if`] does, parsing each expression text once per
/// `cache`. All the calls that share a cache must pass the same `limits`.
pub fn evaluate_if_cached(
    expression: &Expression,
    variables: &dyn Variables,
    limits: &Limits,
    cache: &ExpressionCache,
) -> IfTrace {
    let cached = cache.parse(&expression.text, limits);
    let Ok(parsed) = &cached.parsed else {
        return trace_if(&cached.parsed, expression, variables);
    };
    if let Some(trace) = cached.earlier_trace(expression.span, variables) {
        return trace;
    }
    let trace = trace_parsed_if(parsed, expression.span, variables);
    cached.remember(&trace);
    trace
}

fn trace_if(
    parsed: &Result<expr::Expression, String>,
    expression: &Expression,
    variables: &dyn Variables,
) -> IfTrace {
    match parsed {
        Ok(parsed) => trace_parsed_if(parsed, expression.span, variables),
        Err(error) => IfTrace {
            holds: false,
            expression: expression.text.clone(),
            span: expression.span,
            reads: Vec::new(),
            value: None,
            error: Some(error.clone()),
        },
    }
}

/// Parsed `if:` expressions by text, and the outcomes of `changes:` comparisons by glob list.
/// Parsing compiles the expression's regular expressions and comparing compiles the globs,
/// which costs more than evaluating either. Every instance of a `parallel:matrix` job has the
/// same rules. The changed files are those of one pipeline, so a cache serves the
/// evaluations of one pipeline only.
#[derive(Debug, Default)]
pub struct ExpressionCache {
    parsed: RefCell<HashMap<String, Rc<CachedExpression>>>,
    changes: RefCell<HashMap<Vec<String>, ChangesOutcome>>,
}

/// An `if:` expression parsed once, with traces of its earlier evaluations. An evaluation
/// depends only on the values of the variables it reads, so a trace whose reads all have the
/// same values in another job's variables is that job's trace too. The instances of a
/// `parallel:matrix` job usually evaluate each rule to one of a few traces.
#[derive(Debug)]
struct CachedExpression {
    parsed: Result<expr::Expression, String>,
    traces: RefCell<EarlierTraces>,
}

/// The traces [`CachedExpression`] reuses, at most [`EarlierTraces::MAX`] of them.
#[derive(Debug, Default)]
struct EarlierTraces {
    traces: Vec<IfTrace>,
    /// Evaluations that no kept trace matched while the list was full. Past
    /// [`EarlierTraces::MAX_MISSES`] the list is no longer searched. An expression that reads a
    /// value that differs from job to job never matches, and each search costs as many
    /// variable lookups as the kept traces have reads.
    misses: usize,
}

impl EarlierTraces {
    const MAX: usize = 8;
    const MAX_MISSES: usize = 16;
}

impl CachedExpression {
    /// Finds an earlier trace whose reads see the same values in `variables`, and returns a copy
    /// of it with the location `span`.
    fn earlier_trace(&self, span: Span, variables: &dyn Variables) -> Option<IfTrace> {
        let mut earlier = self.traces.borrow_mut();
        if earlier.misses > EarlierTraces::MAX_MISSES {
            return None;
        }
        let found = earlier.traces.iter().find(|trace| {
            trace
                .reads
                .iter()
                .all(|read| !read.input && variables.get(&read.name) == read.value.as_deref())
        });
        match found {
            Some(trace) => Some(IfTrace {
                span,
                ..trace.clone()
            }),
            None => {
                if earlier.traces.len() == EarlierTraces::MAX {
                    earlier.misses += 1;
                }
                None
            }
        }
    }

    /// Keeps `trace` for later evaluations unless it read an input, because the trace of an
    /// input keeps only the text of its value and not its type.
    fn remember(&self, trace: &IfTrace) {
        let mut earlier = self.traces.borrow_mut();
        if earlier.traces.len() < EarlierTraces::MAX && trace.reads.iter().all(|read| !read.input) {
            earlier.traces.push(trace.clone());
        }
    }
}

impl ExpressionCache {
    /// Returns the parse of `text`, parsing it on the first request.
    fn parse(&self, text: &str, limits: &Limits) -> Rc<CachedExpression> {
        if let Some(cached) = self.parsed.borrow().get(text) {
            return Rc::clone(cached);
        }
        let cached = Rc::new(CachedExpression {
            parsed: expr::parse_with_limits(text, limits).map_err(|e| e.to_string()),
            traces: RefCell::default(),
        });
        self.parsed
            .borrow_mut()
            .insert(text.to_owned(), Rc::clone(&cached));
        cached
    }

    /// Returns the outcome of comparing `globs` with the pipeline's changed `files`, comparing
    /// on the first request.
    fn compare_changes(
        &self,
        globs: &[String],
        files: &[String],
        limits: &Limits,
    ) -> ChangesOutcome {
        if let Some(outcome) = self.changes.borrow().get(globs) {
            return outcome.clone();
        }
        let outcome = compare_changes(globs, files, Some(limits));
        self.changes
            .borrow_mut()
            .insert(globs.to_vec(), outcome.clone());
        outcome
    }
}

/// Evaluates a parsed expression as a rule condition and records what it read.
pub fn trace_parsed_if(
    expression: &expr::Expression,
    span: Span,
    variables: &dyn Variables,
) -> IfTrace {
    let evaluation = expression.evaluate_traced(variables);
    let holds = evaluation.is_match();
    let reads = evaluation
        .reads
        .into_iter()
        .map(|read| VariableRead {
            name: read.name,
            input: read.source == ReadSource::Input,
            value: match read.value {
                ExprValue::Null => None,
                ExprValue::String(text) => Some(text),
                other => Some(CompactString::from(other.to_string())),
            },
        })
        .collect();
    let (value, error) = match &evaluation.result {
        Ok(value) => (Some(render_value(value)), None),
        Err(error) => (None, Some(error.to_string())),
    };
    IfTrace {
        holds,
        expression: expression.source().to_owned(),
        span,
        reads,
        value,
        error,
    }
}

fn render_value(value: &ExprValue) -> String {
    match value {
        ExprValue::Null => "null".to_owned(),
        ExprValue::String(text) => {
            let mut out = String::with_capacity(text.len() + 2);
            // Writing to a `String` cannot fail.
            let _ = write_quoted(&mut out, text);
            out
        }
        other => other.to_string(),
    }
}

/// GitLab's error when `changes:compare_to` names no commit of the project.
pub const COMPARE_TO_NOT_FOUND_MESSAGE: &str = "rules:changes:compare_to is not a valid ref";

/// Why a `changes:` clause (or `only:changes`) was true or false.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangesTrace {
    /// The globs compared: for rules after variable expansion with duplicates removed, for
    /// `only`/`except` as written.
    pub globs: Vec<String>,
    /// `compare_to`, after variable expansion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compare_to: Option<String>,
    /// Location of the `compare_to` value, or the default span when there is none.
    #[serde(skip)]
    pub compare_to_span: Span,
    /// The reason for the result.
    pub outcome: ChangesOutcome,
}

/// The reason a `changes` clause is true or false.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangesOutcome {
    /// The pipeline has nothing to diff against (tag, schedule, web, API or trigger
    /// pipelines, and the push that creates a branch), so GitLab counts the clause as true.
    NoDiff,
    /// `compare_to` is set, and the files changed since that ref cannot be computed offline,
    /// so glplan counts the clause as true.
    CompareToUnavailable,
    /// `compare_to` expands to a value that names no commit: the empty string, a value that
    /// keeps a reference to an undefined variable, or one GitLab does not look up. GitLab
    /// raises [`COMPARE_TO_NOT_FOUND_MESSAGE`], so the clause does not hold and the rule list
    /// stops there.
    CompareToNotFound,
    /// The diff is known and empty: false.
    NoChangedFiles,
    /// No glob is left to compare: false.
    NoGlobs,
    /// Changed files × globs exceeds the limit, so the clause is true without comparing.
    BudgetExceeded {
        /// Changed files × globs.
        comparisons: usize,
        /// The limit in force ([`Limits::max_rule_glob_comparisons`]).
        limit: usize,
    },
    /// A changed file matches a glob: true.
    Matched {
        /// The first glob that matched.
        glob: String,
        /// The changed file it matched.
        path: String,
    },
    /// No changed file matches any glob: false.
    NoMatch {
        /// Number of changed files compared.
        changed_files: usize,
    },
}

impl ChangesOutcome {
    /// Returns whether the clause holds.
    pub fn holds(&self) -> bool {
        matches!(
            self,
            ChangesOutcome::NoDiff
                | ChangesOutcome::CompareToUnavailable
                | ChangesOutcome::BudgetExceeded { .. }
                | ChangesOutcome::Matched { .. }
        )
    }
}

impl ChangesTrace {
    /// Returns whether the clause holds.
    pub fn holds(&self) -> bool {
        self.outcome.holds()
    }

    /// Explains a result assumed offline.
    pub fn note(&self) -> Option<String> {
        let (ChangesOutcome::CompareToUnavailable, Some(compare_to)) =
            (&self.outcome, &self.compare_to)
        else {
            return None;
        };
        Some(format!(
            "`changes:compare_to: {compare_to}` needs the files changed since `{compare_to}`, \
             which glplan cannot compute offline; the clause is taken as true"
        ))
    }

    /// Returns the error GitLab raises when it evaluates the clause.
    pub fn error(&self) -> Option<&'static str> {
        (self.outcome == ChangesOutcome::CompareToNotFound).then_some(COMPARE_TO_NOT_FOUND_MESSAGE)
    }

    /// Explains [`ChangesTrace::error`] and how to avoid it, for the help of a diagnostic.
    pub(crate) fn error_help(&self) -> String {
        let compare_to = self.compare_to.as_deref().unwrap_or_default();
        let problem = compare_to_problem(compare_to).unwrap_or_default();
        format!(
            "`compare_to` expands to `{compare_to}`, which {problem}, so GitLab finds no commit \
             for it; GitLab looks `compare_to` up whenever it evaluates this clause, whatever \
             the pipeline source and diff. Write an `if:` before `changes:` in the rule that is \
             false when the ref is unknown, or compare to a ref every pipeline has, such as \
             `$CI_DEFAULT_BRANCH`"
        )
    }
}

/// Returns why the expanded `compare_to` can name no commit of any repository, as a phrase
/// for messages, or `None` when it may name one.
///
/// GitLab looks the value up with `Project#commit`, which finds nothing for the empty string
/// and, through `Gitlab::Git::Commit.valid?`, for a value that starts with `-` or contains
/// `:`, whitespace or a NUL byte. A reference to an undefined variable is kept as written, and
/// glplan assumes that no branch or tag has a name such as `$NAME`, `${NAME}` or `%NAME%`.
pub(crate) fn compare_to_problem(compare_to: &str) -> Option<String> {
    if compare_to.is_empty() {
        return Some("is empty".to_owned());
    }
    let undefined = RefCell::new(Vec::new());
    expand::expand_with(
        compare_to,
        |name| {
            undefined.borrow_mut().push(name.to_owned());
            None::<&str>
        },
        Unknown::Keep,
    );
    if let Some(name) = undefined.into_inner().first() {
        return Some(format!(
            "keeps a reference to `{name}`, a variable this pipeline does not define"
        ));
    }
    let rejected = compare_to.starts_with('-')
        || compare_to
            .chars()
            .any(|c| c == ':' || c == '\0' || is_ruby_space(c));
    rejected.then(|| {
        "is not a revision GitLab looks up, because it starts with `-` or contains `:`, \
         whitespace or a NUL byte"
            .to_owned()
    })
}

/// Returns whether Ruby's `\s` matches `c`: space, tab, line feed, vertical tab, form feed or
/// carriage return.
fn is_ruby_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r')
}

impl fmt::Display for ChangesTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.outcome == ChangesOutcome::CompareToNotFound {
            let compare_to = self.compare_to.as_deref().unwrap_or_default();
            let problem = compare_to_problem(compare_to).unwrap_or_default();
            return write!(
                f,
                "changes raises `{COMPARE_TO_NOT_FOUND_MESSAGE}`: `compare_to` expands to \
                 `{compare_to}`, which {problem}"
            );
        }
        let verdict = if self.holds() { "true" } else { "false" };
        f.write_str("changes is ")?;
        f.write_str(verdict)?;
        f.write_str(": ")?;
        match &self.outcome {
            ChangesOutcome::NoDiff => f.write_str("the pipeline has no diff to compare against"),
            ChangesOutcome::CompareToUnavailable => write!(
                f,
                "the files changed since `{}` are not known offline",
                self.compare_to.as_deref().unwrap_or_default()
            ),
            // Written above, before the verdict.
            ChangesOutcome::CompareToNotFound => Ok(()),
            ChangesOutcome::NoChangedFiles => f.write_str("the diff has no changed files"),
            ChangesOutcome::NoGlobs => f.write_str("no paths to compare"),
            ChangesOutcome::BudgetExceeded { comparisons, limit } => write!(
                f,
                "{comparisons} comparisons (changed files × globs) exceed the limit of {limit}, \
                 so nothing was compared"
            ),
            ChangesOutcome::Matched { glob, path } => {
                f.write_str("changed file `")?;
                f.write_str(path)?;
                f.write_str("` matches `")?;
                f.write_str(glob)?;
                f.write_str("`")
            }
            ChangesOutcome::NoMatch { changed_files } => write!(
                f,
                "none of the {changed_files} changed files matches {}",
                quoted_list(&self.globs)
            ),
        }
    }
}

/// Evaluates a rule's `changes:` as GitLab's `Clause::Changes` does: paths are expanded with
/// the variables that exist, their values expanded first (others stay as written), duplicates
/// are removed, and `changed_files` is `None` when the pipeline has no diff to compare against.
pub fn trace_changes(
    changes: &Changes,
    variables: &dyn Variables,
    changed_files: Option<&[String]>,
    limits: &Limits,
) -> ChangesTrace {
    trace_changes_cached(changes, variables, changed_files, limits, None)
}

/// Evaluates a rule's `changes:` as [`trace_changes`] does, comparing each glob list once per
/// `cache`. All the calls that share a cache must pass the same changed files and `limits`.
pub fn trace_changes_cached(
    changes: &Changes,
    variables: &dyn Variables,
    changed_files: Option<&[String]>,
    limits: &Limits,
    cache: Option<&ExpressionCache>,
) -> ChangesTrace {
    let expand = |text: &str| expand_existing_nested(text, variables);
    let compare_to = changes.compare_to.as_deref().map(expand);
    let globs: Vec<String> = changes
        .paths
        .iter()
        .map(|path| expand(path))
        .collect::<IndexSet<String>>()
        .into_iter()
        .collect();
    // GitLab looks up `compare_to` before it looks at the diff, so a value that names no
    // commit raises whatever the pipeline source.
    let outcome = if let Some(compare_to) = &compare_to {
        if compare_to_problem(compare_to).is_some() {
            ChangesOutcome::CompareToNotFound
        } else {
            ChangesOutcome::CompareToUnavailable
        }
    } else {
        match changed_files {
            None => ChangesOutcome::NoDiff,
            Some(files) => match cache {
                Some(cache) => cache.compare_changes(&globs, files, limits),
                None => compare_changes(&globs, files, Some(limits)),
            },
        }
    };
    ChangesTrace {
        globs,
        compare_to,
        compare_to_span: changes.compare_to_span,
        outcome,
    }
}

/// Evaluates `only:changes` or `except:changes` as GitLab's `Policy::Changes` does: the globs
/// are compared as written, without variable expansion or comparison limit.
pub fn trace_policy_changes(globs: &[String], changed_files: Option<&[String]>) -> ChangesTrace {
    let outcome = match changed_files {
        None => ChangesOutcome::NoDiff,
        Some(files) => compare_changes(globs, files, None),
    };
    ChangesTrace {
        globs: globs.to_vec(),
        compare_to: None,
        compare_to_span: Span::default(),
        outcome,
    }
}

fn compare_changes(globs: &[String], files: &[String], limits: Option<&Limits>) -> ChangesOutcome {
    if files.is_empty() {
        return ChangesOutcome::NoChangedFiles;
    }
    if globs.is_empty() {
        return ChangesOutcome::NoGlobs;
    }
    if let Some(limits) = limits {
        let comparisons = files.len().saturating_mul(globs.len());
        if comparisons > limits.max_rule_glob_comparisons {
            return ChangesOutcome::BudgetExceeded {
                comparisons,
                limit: limits.max_rule_glob_comparisons,
            };
        }
    }
    let set = GlobSet::new(globs);
    for path in files {
        if let Some(index) = set.first_match(path) {
            return ChangesOutcome::Matched {
                glob: set.pattern(index).unwrap_or_default().to_owned(),
                path: path.clone(),
            };
        }
    }
    ChangesOutcome::NoMatch {
        changed_files: files.len(),
    }
}

/// The repository files that `exists` searches.
#[derive(Clone, Copy, Default)]
pub struct ExistsSource<'a> {
    /// Every file path of the pipeline's repository at its commit; `None` when the caller has
    /// no listing, which makes `exists` true with a note.
    pub files: Option<&'a [String]>,
    /// Source of other projects' files for `exists: {project, ref}`. Without it, or when it
    /// cannot list the project, such a clause is true with a note.
    pub other_projects: Option<&'a dyn FileProvider>,
}

impl fmt::Debug for ExistsSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExistsSource")
            .field("files", &self.files.map(<[String]>::len))
            .field("other_projects", &self.other_projects.is_some())
            .finish()
    }
}

/// Why an `exists:` clause was true or false.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExistsTrace {
    /// The globs after variable expansion.
    pub globs: Vec<String>,
    /// `project`, after variable expansion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// `ref`, after variable expansion.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// The reason for the result.
    pub outcome: ExistsOutcome,
}

/// The reason an `exists` clause is true or false.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExistsOutcome {
    /// The clause lists no path: false.
    NoGlobs,
    /// The repository's file list was not supplied, so glplan counts the clause as true.
    FilesUnknown,
    /// The other project's files could not be listed offline, so glplan counts the clause
    /// as true.
    ProjectUnavailable {
        /// The listing error.
        reason: String,
    },
    /// A path matches: true.
    Matched {
        /// The glob that matched.
        glob: String,
        /// The file it matched (for a directory glob, a file inside the directory).
        path: String,
        /// The comparison that matched.
        by: ExistsComparison,
    },
    /// Repository paths × wildcard globs exceeds the limit, so the clause is true without
    /// comparing the wildcard globs.
    BudgetExceeded {
        /// Repository paths × wildcard globs.
        comparisons: usize,
        /// The limit in force ([`Limits::max_rule_glob_comparisons`]).
        limit: usize,
    },
    /// No path matches: false.
    NoMatch {
        /// Number of repository paths searched.
        paths: usize,
        /// Whether only the paths of the top directory were searched, because no glob
        /// contains `/` or `**`.
        top_level: bool,
    },
}

/// The kind of comparison `exists` makes for a glob, after GitLab's grouping of globs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExistsComparison {
    /// A glob without `*`, `?`, `[` or `{`, compared as a string.
    Exact,
    /// An exact glob ending in `/`: some file is inside that directory (GitLab 18.2+).
    Directory,
    /// A `**/*.ext` glob, compared as a file-name ending.
    Extension,
    /// Any other glob, matched with `File.fnmatch?`.
    Pattern,
}

impl ExistsOutcome {
    /// Returns whether the clause holds.
    pub fn holds(&self) -> bool {
        !matches!(self, ExistsOutcome::NoGlobs | ExistsOutcome::NoMatch { .. })
    }
}

impl ExistsTrace {
    /// Returns whether the clause holds.
    pub fn holds(&self) -> bool {
        self.outcome.holds()
    }

    /// Explains a result assumed offline.
    pub fn note(&self) -> Option<String> {
        match &self.outcome {
            ExistsOutcome::FilesUnknown => Some(
                "`exists` needs the repository's file list, which was not supplied; the clause \
                 is taken as true"
                    .to_owned(),
            ),
            ExistsOutcome::ProjectUnavailable { reason } => Some(format!(
                "`exists` searches project `{}`, whose files are not available offline \
                 ({reason}); the clause is taken as true",
                self.project.as_deref().unwrap_or_default()
            )),
            _ => None,
        }
    }
}

impl fmt::Display for ExistsTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.holds() { "true" } else { "false" };
        write!(f, "exists is {verdict}: ")?;
        match &self.outcome {
            ExistsOutcome::NoGlobs => f.write_str("no paths to look for"),
            ExistsOutcome::FilesUnknown => f.write_str("the repository's files are not known"),
            ExistsOutcome::ProjectUnavailable { reason } => write!(
                f,
                "the files of project `{}` are not known ({reason})",
                self.project.as_deref().unwrap_or_default()
            ),
            ExistsOutcome::Matched { glob, path, by } => match by {
                ExistsComparison::Directory => {
                    write!(f, "directory `{glob}` exists (it contains `{path}`)")
                }
                _ => write!(f, "`{path}` matches `{glob}`"),
            },
            ExistsOutcome::BudgetExceeded { comparisons, limit } => write!(
                f,
                "{comparisons} comparisons (repository paths × globs) exceed the limit of \
                 {limit}, so nothing was compared"
            ),
            ExistsOutcome::NoMatch { paths, top_level } => write!(
                f,
                "none of the {paths} {}repository paths matches {}",
                if *top_level { "top-level " } else { "" },
                quoted_list(&self.globs)
            ),
        }
    }
}

/// Evaluates a rule's `exists:` as GitLab's `Clause::Exists` does (see [`match_exists`]),
/// searching the pipeline's repository, or another project's when `project` is set. Paths,
/// `project` and `ref` are expanded as `changes:` paths are.
pub fn trace_exists(
    exists: &Exists,
    variables: &dyn Variables,
    source: &ExistsSource<'_>,
    limits: &Limits,
) -> ExistsTrace {
    let expand = |text: &str| expand_existing_nested(text, variables);
    let mut trace = ExistsTrace {
        globs: Vec::new(),
        project: exists.project.as_deref().map(expand),
        git_ref: exists.git_ref.as_deref().map(expand),
        outcome: ExistsOutcome::NoGlobs,
    };
    // GitLab returns before it looks up the project or lists any file.
    if exists.paths.is_empty() {
        return trace;
    }
    trace.globs = exists.paths.iter().map(|path| expand(path)).collect();

    let listed;
    let files: &[String] = match &trace.project {
        Some(project) => {
            let Some(provider) = source.other_projects else {
                trace.outcome = ExistsOutcome::ProjectUnavailable {
                    reason: "no source of other projects' files was configured".to_owned(),
                };
                return trace;
            };
            match provider.list(Some(project), trace.git_ref.as_deref()) {
                Ok(paths) => {
                    listed = paths;
                    &listed
                }
                Err(error) => {
                    trace.outcome = ExistsOutcome::ProjectUnavailable {
                        reason: error.to_string(),
                    };
                    return trace;
                }
            }
        }
        None => match source.files {
            Some(files) => files,
            None => {
                trace.outcome = ExistsOutcome::FilesUnknown;
                return trace;
            }
        },
    };
    trace.outcome = match_exists(&trace.globs, files, limits);
    trace
}

/// Matches expanded `exists` globs against a repository's file paths, as GitLab's
/// `Clause::Exists` does after it has the paths:
///
/// 1. When every glob is top-level (no `/` and no `**`), only top-level files are searched.
/// 2. Exact globs (no `*`, `?`, `[`, `{`) are compared as strings; one ending in `/` holds
///    when a file is inside that directory.
/// 3. `**/*.ext` globs hold when a path ends with `.ext`.
/// 4. The other globs are matched with `File.fnmatch?`, unless paths × those globs exceeds
///    [`Limits::max_rule_glob_comparisons`]: then the clause is true without comparing.
pub fn match_exists(globs: &[String], paths: &[String], limits: &Limits) -> ExistsOutcome {
    if globs.is_empty() {
        return ExistsOutcome::NoGlobs;
    }
    let top_level_only = globs.iter().all(|glob| is_top_level(glob));
    let paths: Vec<&String> = paths
        .iter()
        .filter(|path| !top_level_only || !path.contains('/'))
        .collect();
    let matched = |glob: &str, path: &str, by| ExistsOutcome::Matched {
        glob: glob.to_owned(),
        path: path.to_owned(),
        by,
    };

    let (exact, rest): (Vec<&String>, Vec<&String>) =
        globs.iter().partition(|glob| glob::is_exact(glob));
    let (extension, pattern): (Vec<&String>, Vec<&String>) = rest
        .into_iter()
        .partition(|glob| extension_of(glob).is_some());

    for glob in exact {
        let (found, by) = if glob.ends_with('/') {
            let found = paths.iter().find(|path| path.starts_with(glob.as_str()));
            (found, ExistsComparison::Directory)
        } else {
            let found = paths.iter().find(|path| **path == glob);
            (found, ExistsComparison::Exact)
        };
        if let Some(path) = found {
            return matched(glob, path, by);
        }
    }

    let endings: Vec<(&String, &str)> = extension
        .into_iter()
        .filter_map(|glob| extension_of(glob).map(|ending| (glob, ending)))
        .collect();
    for path in &paths {
        if let Some((glob, _)) = endings.iter().find(|(_, ending)| path.ends_with(ending)) {
            return matched(glob, path, ExistsComparison::Extension);
        }
    }

    let comparisons = paths.len().saturating_mul(pattern.len());
    if comparisons > limits.max_rule_glob_comparisons {
        return ExistsOutcome::BudgetExceeded {
            comparisons,
            limit: limits.max_rule_glob_comparisons,
        };
    }
    for glob in pattern {
        let compiled = Fnmatch::new(glob);
        if let Some(path) = paths.iter().find(|path| compiled.matches(path)) {
            return matched(glob, path, ExistsComparison::Pattern);
        }
    }
    ExistsOutcome::NoMatch {
        paths: paths.len(),
        top_level: top_level_only,
    }
}

/// GitLab's `top_level_glob?`: a glob that can only match files of the top directory.
fn is_top_level(glob: &str) -> bool {
    !glob.contains('/') && !glob.contains("**")
}

/// For a glob such as `**/*.js` or `**/*.so.1`, the ending (`.js`) that GitLab compares with
/// `end_with?` instead of matching the glob.
fn extension_of(glob: &str) -> Option<&str> {
    let rest = glob.strip_prefix(NESTED_WILDCARD).unwrap_or(glob);
    let is_extension = rest.starts_with('.') && !rest.contains('/') && glob::is_exact(rest);
    is_extension.then_some(rest)
}

/// Expands `text` as GitLab's `expand_value_nested` does for `rules:changes` and
/// `rules:exists`: references to defined variables are replaced by their values after
/// [`Variables::get_expanded`], and references to undefined ones are kept as written
/// (`ExpandVariables.expand_existing`).
pub(crate) fn expand_existing_nested(text: &str, variables: &dyn Variables) -> String {
    expand::expand_with(text, |name| variables.get_expanded(name), Unknown::Keep)
}

fn quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("`{item}`")).collect();
    quoted.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::MemoryFiles;
    use indexmap::IndexMap;

    #[test]
    fn quoted_like_debug() {
        let cases = [
            "",
            "main",
            "a b ~",
            "say \"hi\"",
            "back\\slash",
            "tab\there",
            "line\nbreak",
            "\u{7f}",
            "é ü 日本",
            "zero\u{200b}width",
            "\u{0}",
        ];
        for text in cases {
            let mut ours = String::new();
            write_quoted(&mut ours, text).unwrap();
            assert_eq!(ours, format!("{text:?}"), "{text:?}");
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn changes(paths: &[&str]) -> Changes {
        Changes {
            paths: strings(paths),
            compare_to: None,
            compare_to_span: Span::default(),
        }
    }

    fn compared_to(compare_to: &str) -> Changes {
        Changes {
            compare_to: Some(compare_to.to_owned()),
            ..changes(&["a"])
        }
    }

    fn exists(paths: &[&str]) -> Exists {
        Exists {
            paths: strings(paths),
            project: None,
            git_ref: None,
        }
    }

    fn expression(text: &str) -> Expression {
        Expression {
            text: text.to_owned(),
            span: Span::default(),
        }
    }

    fn no_vars() -> Vec<(String, String)> {
        Vec::new()
    }

    #[test]
    fn if_records_reads() {
        let variables = vec![("A".to_owned(), "1".to_owned())];
        let trace = evaluate_if(
            &expression(r#"$A == "1" && $B == "2""#),
            &variables,
            &Limits::default(),
        );
        assert!(!trace.holds);
        assert_eq!(
            trace.reads,
            [
                VariableRead {
                    name: "A".into(),
                    input: false,
                    value: Some("1".into())
                },
                VariableRead {
                    name: "B".into(),
                    input: false,
                    value: None
                },
            ]
        );
        assert_eq!(trace.value.as_deref(), Some("false"));
    }

    #[test]
    fn if_display_names_values() {
        let trace = evaluate_if(&expression(r#"$X == "y""#), &no_vars(), &Limits::default());
        assert_eq!(trace.to_string(), r#"if `$X == "y"` is false (X = null)"#);
    }

    #[test]
    fn if_runtime_error_is_false() {
        let variables = vec![("P".to_owned(), "/ab/".to_owned())];
        let trace = evaluate_if(&expression("/ab/ == $P"), &variables, &Limits::default());
        assert!(!trace.holds);
        assert!(trace.error.is_some());
    }

    #[test]
    fn if_parse_error_is_false() {
        let limits = Limits {
            max_expression_tokens: 2,
            ..Limits::default()
        };
        let trace = evaluate_if(&expression(r#"$A == "1""#), &no_vars(), &limits);
        assert!(!trace.holds);
        assert_eq!(
            trace.error.as_deref(),
            Some("Invalid expression syntax: Too many tokens!")
        );
    }

    #[test]
    fn changes_outcomes() {
        let limits = Limits::default();
        let files = strings(&["docs/a.md", "src/main.rs"]);
        let empty: Vec<String> = Vec::new();
        let cases: Vec<(Changes, Option<&[String]>, ChangesOutcome)> = vec![
            (changes(&["docs/**/*"]), None, ChangesOutcome::NoDiff),
            (
                changes(&["docs/**/*"]),
                Some(&empty),
                ChangesOutcome::NoChangedFiles,
            ),
            (changes(&[]), Some(&files), ChangesOutcome::NoGlobs),
            (
                changes(&["*.md", "docs/**/*"]),
                Some(&files),
                ChangesOutcome::Matched {
                    glob: "docs/**/*".to_owned(),
                    path: "docs/a.md".to_owned(),
                },
            ),
            (
                changes(&["*.md"]),
                Some(&files),
                ChangesOutcome::NoMatch { changed_files: 2 },
            ),
        ];
        for (clause, changed, expected) in cases {
            let trace = trace_changes(&clause, &no_vars(), changed, &limits);
            assert_eq!(trace.outcome, expected, "{:?}", clause.paths);
        }
    }

    /// A cache returns, for every glob list after expansion, the outcome a fresh comparison
    /// gives, including for lists that expand to one already compared.
    #[test]
    fn cached_changes_match_fresh_comparisons() {
        let limits = Limits::default();
        let files = strings(&["src/main.rs", "docs/a.md"]);
        let variables = vec![("DIR".to_owned(), "docs".to_owned())];
        let cache = ExpressionCache::default();
        let clauses = [
            changes(&["src/**/*.rs"]),
            changes(&["$DIR/*.md"]),
            changes(&["docs/*.md"]),
            changes(&["*.txt"]),
            changes(&["src/**/*.rs"]),
            changes(&["docs/*.md", "src/**/*.rs"]),
        ];
        for _ in 0..2 {
            for clause in &clauses {
                let fresh = trace_changes(clause, &variables, Some(&files), &limits);
                let cached =
                    trace_changes_cached(clause, &variables, Some(&files), &limits, Some(&cache));
                assert_eq!(cached, fresh, "{:?}", clause.paths);
            }
        }
        assert_eq!(cache.changes.borrow().len(), 4);
    }

    /// T5.6: a branch push that only modified `src/a.rs` does not match `docs/**/*`.
    #[test]
    fn changes_worked_example() {
        let files = strings(&["src/a.rs"]);
        let trace = trace_changes(
            &changes(&["docs/**/*"]),
            &no_vars(),
            Some(&files),
            &Limits::default(),
        );
        assert!(!trace.holds());
    }

    #[test]
    fn changes_expands_existing_variables() {
        let variables = vec![("DIR".to_owned(), "docs".to_owned())];
        let trace = trace_changes(
            &changes(&["$DIR/*", "${DIR}/*", "$MISSING/*"]),
            &variables,
            None,
            &Limits::default(),
        );
        assert_eq!(trace.globs, ["docs/*", "$MISSING/*"]);
    }

    #[test]
    fn changes_compare_to_is_true_with_note() {
        let variables = vec![("BASE".to_owned(), "main".to_owned())];
        let clause = compared_to("refs/heads/$BASE");
        let files = strings(&["b"]);
        let trace = trace_changes(&clause, &variables, Some(&files), &Limits::default());
        assert_eq!(trace.outcome, ChangesOutcome::CompareToUnavailable);
        assert_eq!(trace.compare_to.as_deref(), Some("refs/heads/main"));
        assert!(trace.holds());
        assert_eq!(trace.error(), None);
        assert!(trace.note().is_some_and(|n| n.contains("refs/heads/main")));
    }

    /// GitLab raises `rules:changes:compare_to is not a valid ref` for these values, with a
    /// diff or without one.
    #[test]
    fn changes_compare_to_names_no_commit() {
        let variables = vec![
            ("EMPTY".to_owned(), String::new()),
            ("NESTED".to_owned(), "$MISSING".to_owned()),
        ];
        let cases = [
            (
                "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
                "`CI_MERGE_REQUEST_TARGET_BRANCH_NAME`",
            ),
            ("refs/heads/${MISSING}", "`MISSING`"),
            ("%MISSING%", "`MISSING`"),
            ("$NESTED", "`MISSING`"),
            ("$EMPTY", "is empty"),
            ("", "is empty"),
            ("main:docs", "contains `:`"),
            ("-main", "starts with `-`"),
            ("main branch", "whitespace"),
            ("main\u{0}", "NUL"),
        ];
        let files = strings(&["a"]);
        for diff in [None, Some(files.as_slice())] {
            for (compare_to, problem) in cases {
                let clause = compared_to(compare_to);
                let trace = trace_changes(&clause, &variables, diff, &Limits::default());
                assert_eq!(
                    trace.outcome,
                    ChangesOutcome::CompareToNotFound,
                    "{compare_to:?}"
                );
                assert!(!trace.holds(), "{compare_to:?}");
                assert_eq!(trace.error(), Some(COMPARE_TO_NOT_FOUND_MESSAGE));
                assert_eq!(trace.note(), None, "{compare_to:?}");
                let text = trace.to_string();
                assert!(text.starts_with("changes raises `rules:changes:"), "{text}");
                assert!(text.contains(problem), "{compare_to:?}: {text}");
                assert!(trace.error_help().contains(problem), "{compare_to:?}");
            }
        }
    }

    #[test]
    fn changes_compare_to_refs_may_exist() {
        let cases = [
            "main",
            "refs/heads/main",
            "v1.0",
            "HEAD~1",
            "100%",
            "a$",
            "0123abc",
        ];
        for compare_to in cases {
            let trace = trace_changes(
                &compared_to(compare_to),
                &no_vars(),
                None,
                &Limits::default(),
            );
            assert_eq!(
                trace.outcome,
                ChangesOutcome::CompareToUnavailable,
                "{compare_to:?}"
            );
        }
    }

    #[test]
    fn clause_error_only_for_compare_to() {
        let trace = trace_changes(
            &compared_to("$MISSING"),
            &no_vars(),
            None,
            &Limits::default(),
        );
        let clause = ClauseTrace::Changes(trace);
        assert_eq!(clause.error(), Some(COMPARE_TO_NOT_FOUND_MESSAGE));
        let plain = trace_changes(&changes(&["a"]), &no_vars(), None, &Limits::default());
        assert_eq!(ClauseTrace::Changes(plain).error(), None);
    }

    /// The budget counts distinct globs: 50,000 comparisons are made, 50,001 are not.
    #[test]
    fn changes_budget_boundary() {
        let limits = Limits::default();
        let files: Vec<String> = (0..25_000).map(|i| format!("f{i}")).collect();
        let two = changes(&["x", "y", "x"]);
        let trace = trace_changes(&two, &no_vars(), Some(&files), &limits);
        assert_eq!(
            trace.outcome,
            ChangesOutcome::NoMatch {
                changed_files: 25_000
            }
        );

        let files: Vec<String> = (0..50_001).map(|i| format!("f{i}")).collect();
        let one = changes(&["x"]);
        let trace = trace_changes(&one, &no_vars(), Some(&files), &limits);
        assert_eq!(
            trace.outcome,
            ChangesOutcome::BudgetExceeded {
                comparisons: 50_001,
                limit: 50_000
            }
        );
    }

    #[test]
    fn policy_changes_has_no_budget_or_expansion() {
        let files: Vec<String> = (0..50_001).map(|i| format!("f{i}")).collect();
        let trace = trace_policy_changes(&strings(&["$X"]), Some(&files));
        assert_eq!(
            trace.outcome,
            ChangesOutcome::NoMatch {
                changed_files: 50_001
            }
        );
        assert_eq!(trace.globs, ["$X"]);
    }

    fn repo() -> Vec<String> {
        strings(&[
            ".gitlab-ci.yml",
            "Dockerfile",
            "README.md",
            "docs/guide.md",
            "src/lib/x.so.1",
            "src/main.rs",
            "a\\b",
        ])
    }

    #[test]
    fn exists_comparisons() {
        let limits = Limits::default();
        let cases: Vec<(&[&str], Option<ExistsComparison>)> = vec![
            (&["Dockerfile"], Some(ExistsComparison::Exact)),
            (&["docs/guide.md"], Some(ExistsComparison::Exact)),
            (&["docs/"], Some(ExistsComparison::Directory)),
            (&["doc/"], None),
            (&["src/"], Some(ExistsComparison::Directory)),
            (&["**/*.rs"], Some(ExistsComparison::Extension)),
            (&["**/*.so.1"], Some(ExistsComparison::Extension)),
            (&["**/*.py"], None),
            (&["*.md"], Some(ExistsComparison::Pattern)),
            (&["src/*.rs"], Some(ExistsComparison::Pattern)),
            (&["{src,lib}/**/*.rs"], Some(ExistsComparison::Pattern)),
            (&[".*.yml"], Some(ExistsComparison::Pattern)),
            (&["docs/*/"], None),
            (&["a\\b"], Some(ExistsComparison::Exact)),
            (&["missing", "Dockerfile"], Some(ExistsComparison::Exact)),
        ];
        for (globs, expected) in cases {
            let outcome = match_exists(&strings(globs), &repo(), &limits);
            let by = match outcome {
                ExistsOutcome::Matched { by, .. } => Some(by),
                _ => None,
            };
            assert_eq!(by, expected, "{globs:?}");
        }
    }

    #[test]
    fn exists_top_level_globs_search_top_level_files() {
        let outcome = match_exists(&strings(&["*.rs"]), &repo(), &Limits::default());
        let expected = ExistsOutcome::NoMatch {
            paths: 4,
            top_level: true,
        };
        assert_eq!(outcome, expected);
        let trace = ExistsTrace {
            globs: strings(&["*.rs"]),
            project: None,
            git_ref: None,
            outcome,
        };
        assert_eq!(
            trace.to_string(),
            "exists is false: none of the 4 top-level repository paths matches `*.rs`"
        );
    }

    /// The budget counts wildcard globs only: 50,000 comparisons are made, 50,001 are not.
    #[test]
    fn exists_budget_boundary() {
        let limits = Limits::default();
        let paths: Vec<String> = (0..25_000).map(|i| format!("d/f{i}")).collect();
        let globs = strings(&["x/*", "y/*", "Dockerfile", "**/*.py"]);
        assert_eq!(
            match_exists(&globs, &paths, &limits),
            ExistsOutcome::NoMatch {
                paths: 25_000,
                top_level: false,
            }
        );

        let paths: Vec<String> = (0..50_001).map(|i| format!("d/f{i}")).collect();
        assert_eq!(
            match_exists(&strings(&["x/*"]), &paths, &limits),
            ExistsOutcome::BudgetExceeded {
                comparisons: 50_001,
                limit: 50_000
            }
        );
    }

    #[test]
    fn exists_without_listing_is_true_with_note() {
        let trace = trace_exists(
            &exists(&["Dockerfile"]),
            &no_vars(),
            &ExistsSource::default(),
            &Limits::default(),
        );
        assert_eq!(trace.outcome, ExistsOutcome::FilesUnknown);
        assert!(trace.note().is_some());
    }

    #[test]
    fn exists_empty_paths_is_false() {
        let files = repo();
        let source = ExistsSource {
            files: Some(&files),
            other_projects: None,
        };
        let trace = trace_exists(&exists(&[]), &no_vars(), &source, &Limits::default());
        assert!(!trace.holds());
    }

    #[test]
    fn exists_expands_variables() {
        let files = repo();
        let source = ExistsSource {
            files: Some(&files),
            other_projects: None,
        };
        let variables = vec![("FILE".to_owned(), "Dockerfile".to_owned())];
        let trace = trace_exists(
            &exists(&["$FILE", "$MISSING"]),
            &variables,
            &source,
            &Limits::default(),
        );
        assert_eq!(trace.globs, ["Dockerfile", "$MISSING"]);
        assert!(trace.holds());
    }

    #[test]
    fn exists_other_project() {
        let mut provider = MemoryFiles::new();
        provider.projects.insert(
            "g/p".to_owned(),
            [("ci.yml".to_owned(), String::new())].into_iter().collect(),
        );
        let files = repo();
        let clause = |project: &str| Exists {
            paths: strings(&["ci.yml"]),
            project: Some(project.to_owned()),
            git_ref: Some("main".to_owned()),
        };
        let with_provider = ExistsSource {
            files: Some(&files),
            other_projects: Some(&provider),
        };
        let limits = Limits::default();
        let found = trace_exists(&clause("g/p"), &no_vars(), &with_provider, &limits);
        assert!(matches!(found.outcome, ExistsOutcome::Matched { .. }));

        let unknown = trace_exists(&clause("g/none"), &no_vars(), &with_provider, &limits);
        assert!(matches!(
            unknown.outcome,
            ExistsOutcome::ProjectUnavailable { .. }
        ));
        assert!(unknown.note().is_some_and(|n| n.contains("`g/none`")));

        let without = ExistsSource {
            files: Some(&files),
            other_projects: None,
        };
        let assumed = trace_exists(&clause("g/p"), &no_vars(), &without, &limits);
        assert!(assumed.holds());
    }

    #[test]
    fn display_texts() {
        let files = strings(&["src/a.rs"]);
        let limits = Limits::default();
        let trace = trace_changes(&changes(&["docs/**/*"]), &no_vars(), Some(&files), &limits);
        assert_eq!(
            trace.to_string(),
            "changes is false: none of the 1 changed files matches `docs/**/*`"
        );
        let outcome = match_exists(&strings(&["docs/"]), &repo(), &limits);
        let trace = ExistsTrace {
            globs: strings(&["docs/"]),
            project: None,
            git_ref: None,
            outcome,
        };
        assert_eq!(
            trace.to_string(),
            "exists is true: directory `docs/` exists (it contains `docs/guide.md`)"
        );
    }
    /// Each cached evaluation must equal an uncached one, whether it reuses an earlier trace,
    /// adds one, or finds the list full.
    #[test]
    fn cached_if_traces_match_uncached() {
        let cache = ExpressionCache::default();
        let limits = Limits::default();
        let texts = [
            "$CI_PIPELINE_SOURCE == \"merge_request_event\" && $OS =~ /os1/",
            "$BRANCH == \"main\" && $ARCH != \"s390x\"",
            "$JOB_ID == \"7\" || $UNSET",
            "$[[ inputs.deploy ]] && $ARCH",
            "true",
            "$OS =~",
        ];
        let sources = ["push", "merge_request_event"];
        let archs = ["amd64", "arm64", "s390x"];
        let inputs: IndexMap<String, ExprValue> = [("deploy".to_owned(), ExprValue::Bool(true))]
            .into_iter()
            .collect();
        let mut job = 0;
        for round in 0..3 {
            for source in sources {
                for os in ["os0", "os1", "os12"] {
                    for arch in archs {
                        job += 1;
                        let job_id = job.to_string();
                        let pairs = vec![
                            ("CI_PIPELINE_SOURCE", source),
                            ("OS", os),
                            ("ARCH", arch),
                            ("BRANCH", if round == 1 { "dev" } else { "main" }),
                            ("JOB_ID", job_id.as_str()),
                        ];
                        let variables = expr::WithInputs {
                            variables: &pairs,
                            inputs: &inputs,
                        };
                        for (index, text) in texts.iter().enumerate() {
                            let start = u32::try_from(job * 100 + index).unwrap();
                            let expression = Expression {
                                text: (*text).to_owned(),
                                span: Span::new(crate::source::FileId(0), start, start + 5),
                            };
                            let cached =
                                evaluate_if_cached(&expression, &variables, &limits, &cache);
                            let uncached = evaluate_if(&expression, &variables, &limits);
                            assert_eq!(cached, uncached, "{text} for {pairs:?}");
                        }
                    }
                }
            }
        }
    }
}
