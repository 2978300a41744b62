//! CI/CD variable expressions: the conditions of `rules:if`, `workflow:rules:if`,
//! `include:rules:if` and `only`/`except:variables`.
//!
//! This module reproduces GitLab's `Gitlab::Ci::Pipeline::Expression` (GitLab 18.x, with the
//! `!`, `true`/`false` and `$[[ inputs.x ]]` lexemes, which GitLab accepts in every `if:`):
//!
//! - [`tokenize`] splits the text as GitLab's lexer does (`$NAME`, `"..."` and `'...'` without
//!   escapes, `/pattern/flags`, `null`, `true`, `false`, `==`, `!=`, `=~`, `!~`, `&&`, `||`,
//!   `!`, parentheses), with the limit of 99 tokens.
//! - [`parse`] builds the tree with GitLab's shunting-yard parser, so it accepts the same
//!   expressions, including oddities such as `== $A $B`.
//! - [`Expression::evaluate`] evaluates with Ruby semantics: `&&` and `||` return an operand,
//!   `=~` searches with RE2 (see [`crate::re2`]) or tests for a substring when the right side is
//!   a plain string, `==` and `!=` take a boolean equal to the string of its text (`true ==
//!   "true"`, as GitLab's `Lexeme::Equals` does), and a rule matches when the value is
//!   `present?`.
//!
//! ```
//! use std::collections::HashMap;
//! use glplan::expr;
//!
//! let rule = expr::parse(r#"$CI_COMMIT_BRANCH == "main" || $CI_COMMIT_TAG =~ /^v\d+/"#)?;
//! let mut variables = HashMap::new();
//! variables.insert("CI_COMMIT_TAG".to_owned(), "v1.2".to_owned());
//! assert!(rule.truthy(&variables));
//!
//! let error = expr::parse("$CI_COMMIT_BRANCH == main").unwrap_err();
//! assert_eq!(error.to_string(), "Invalid expression syntax: Unknown lexeme found!");
//! assert_eq!(error.span(), 21..25);
//! # Ok::<(), expr::ExprError>(())
//! ```

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::ops::Range;

use indexmap::IndexMap;

use crate::limits::Limits;

mod eval;
mod lexer;
mod parser;
mod value;

#[cfg(test)]
mod tests;

pub use eval::{Evaluation, Read, ReadSource};
pub use lexer::{Token, TokenKind, tokenize};
pub use parser::{BinaryOp, Node};
pub use value::{ExprRegex, ExprValue};

/// Parses an expression with GitLab.com's token limit.
pub fn parse(source: &str) -> Result<Expression, ExprError> {
    parse_with_limits(source, &Limits::default())
}

/// Parses an expression, failing where GitLab's `Statement#parse_tree` fails: at an unknown
/// lexeme, past `limits.max_expression_tokens` tokens, for an empty expression, or on a syntax
/// or regex error.
pub fn parse_with_limits(source: &str, limits: &Limits) -> Result<Expression, ExprError> {
    let tokens = tokenize(source, limits.max_expression_tokens)?;
    if tokens.is_empty() {
        return Err(
            ExprError::new(ExprErrorKind::EmptyExpression, 0..source.len())
                .with_help("write a condition such as `$CI_COMMIT_BRANCH == \"main\"`"),
        );
    }
    let root = parser::parse_tokens(&tokens, source.len())?;
    Ok(Expression {
        source: source.to_owned(),
        root,
    })
}

/// A parsed expression.
#[derive(Debug, Clone)]
pub struct Expression {
    source: String,
    root: Node,
}

impl Expression {
    /// Returns the text the expression was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Returns the root of the parse tree.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// Evaluates the expression. Undefined variables and inputs are `null`.
    pub fn evaluate<V: Variables + ?Sized>(&self, variables: &V) -> Result<ExprValue, ExprError> {
        eval::evaluate(&self.root, variables).result
    }

    /// Evaluates the expression and records every variable and input it read.
    pub fn evaluate_traced<V: Variables + ?Sized>(&self, variables: &V) -> Evaluation {
        eval::evaluate(&self.root, variables)
    }

    /// Checks whether a rule with this `if:` matches, that is whether the value is present
    /// (Ruby's `present?`). Evaluation errors count as no match, as in GitLab's
    /// `Statement#truthful?`.
    pub fn truthy<V: Variables + ?Sized>(&self, variables: &V) -> bool {
        self.evaluate_traced(variables).is_match()
    }

    /// Checks the expression the way GitLab's `Statement#valid?` does when it validates the
    /// configuration, which evaluates it once without variables after parsing. Only the
    /// evaluation errors of [`ExprErrorKind`] can happen there, such as `/ab/ == "ab"`. GitLab
    /// fails with an internal error on them instead of reporting invalid syntax.
    pub fn validate(&self) -> Result<(), ExprError> {
        // Evaluating through `dyn Variables` reuses the evaluator compiled for the rules of jobs
        // instead of compiling another copy of it for `NoVariables`.
        let variables: &dyn Variables = &NoVariables;
        self.evaluate(variables).map(|_| ())
    }

    /// Lists the variables the expression refers to, in order of first appearance.
    pub fn variable_names(&self) -> Vec<&str> {
        let mut names = Vec::new();
        collect_names(&self.root, ReadSource::Variable, &mut names);
        names
    }

    /// Lists the inputs the expression refers to, in order of first appearance.
    pub fn input_names(&self) -> Vec<&str> {
        let mut names = Vec::new();
        collect_names(&self.root, ReadSource::Input, &mut names);
        names
    }
}

fn collect_names<'n>(node: &'n Node, source: ReadSource, names: &mut Vec<&'n str>) {
    let name = match node {
        Node::Variable { name, .. } if source == ReadSource::Variable => name.as_str(),
        Node::Input { name, .. } if source == ReadSource::Input => name.as_str(),
        Node::Not { operand, .. } => return collect_names(operand, source, names),
        Node::Binary { left, right, .. } => {
            collect_names(left, source, names);
            return collect_names(right, source, names);
        }
        _ => return,
    };
    if !names.contains(&name) {
        names.push(name);
    }
}

/// The variables (and inputs) an expression is evaluated with.
///
/// Implemented for maps from names to values and for slices, arrays and vectors of
/// `(name, value)` pairs, where the last pair with a name wins, as when later variable
/// definitions override earlier ones.
pub trait Variables {
    /// Returns the value of variable `name`, or `None` when it is not defined. An empty value
    /// is `Some("")`, which GitLab distinguishes from undefined.
    fn get(&self, name: &str) -> Option<&str>;

    /// Returns the value of variable `name` after GitLab expands the whole variable collection
    /// (`sort_and_expand_all`), as `rules:changes` and `rules:exists` read it. References to
    /// other variables are replaced by their expanded values, and references to undefined
    /// variables by nothing. The default returns the value as written, which is right for sets
    /// whose values reference no other variable.
    fn get_expanded(&self, name: &str) -> Option<Cow<'_, str>> {
        self.get(name).map(Cow::Borrowed)
    }

    /// Returns the value of input `name` for `$[[ inputs.name ]]`. Without inputs (the
    /// default) every input is `null`, as in GitLab's job and workflow rules.
    fn input(&self, name: &str) -> Option<ExprValue> {
        let _ = name;
        None
    }
}

/// An empty set of variables.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoVariables;

impl Variables for NoVariables {
    fn get(&self, _name: &str) -> Option<&str> {
        None
    }
}

/// Variables together with input values.
#[derive(Debug, Clone, Copy)]
pub struct WithInputs<'a, V: ?Sized> {
    /// The CI/CD variables.
    pub variables: &'a V,
    /// The inputs, by name.
    pub inputs: &'a IndexMap<String, ExprValue>,
}

impl<V: Variables + ?Sized> Variables for WithInputs<'_, V> {
    fn get(&self, name: &str) -> Option<&str> {
        self.variables.get(name)
    }

    fn get_expanded(&self, name: &str) -> Option<Cow<'_, str>> {
        self.variables.get_expanded(name)
    }

    fn input(&self, name: &str) -> Option<ExprValue> {
        self.inputs.get(name).cloned()
    }
}

impl<T: Variables + ?Sized> Variables for &T {
    fn get(&self, name: &str) -> Option<&str> {
        (**self).get(name)
    }

    fn get_expanded(&self, name: &str) -> Option<Cow<'_, str>> {
        (**self).get_expanded(name)
    }

    fn input(&self, name: &str) -> Option<ExprValue> {
        (**self).input(name)
    }
}

impl<K, V, S> Variables for HashMap<K, V, S>
where
    K: std::borrow::Borrow<str> + Eq + Hash,
    V: AsRef<str>,
    S: BuildHasher,
{
    fn get(&self, name: &str) -> Option<&str> {
        HashMap::get(self, name).map(AsRef::as_ref)
    }
}

impl<K, V, S> Variables for IndexMap<K, V, S>
where
    K: std::borrow::Borrow<str> + Eq + Hash,
    V: AsRef<str>,
    S: BuildHasher,
{
    fn get(&self, name: &str) -> Option<&str> {
        IndexMap::get(self, name).map(AsRef::as_ref)
    }
}

impl<K, V> Variables for BTreeMap<K, V>
where
    K: std::borrow::Borrow<str> + Ord,
    V: AsRef<str>,
{
    fn get(&self, name: &str) -> Option<&str> {
        BTreeMap::get(self, name).map(AsRef::as_ref)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Variables for [(K, V)] {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .rev()
            .find(|(key, _)| key.as_ref() == name)
            .map(|(_, value)| value.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Variables for Vec<(K, V)> {
    fn get(&self, name: &str) -> Option<&str> {
        Variables::get(self.as_slice(), name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> Variables for [(K, V); N] {
    fn get(&self, name: &str) -> Option<&str> {
        Variables::get(self.as_slice(), name)
    }
}

/// Kind of expression error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExprErrorKind {
    /// No lexeme matches at this position: a bare word, `${X}`, a lone `=`, an unterminated
    /// string, a malformed regex literal.
    UnknownLexeme,
    /// The expression has 100 or more tokens.
    TooManyTokens,
    /// The expression is empty or only whitespace.
    EmptyExpression,
    /// A `/pattern/flags` literal that RE2 rejects.
    InvalidRegex,
    /// A `)` without its `(`.
    UnmatchedParenthesis,
    /// A `(` without its `)`.
    UnclosedParenthesis,
    /// A binary operator without both operands.
    InvalidLeftOperand,
    /// A `!` without an operand.
    InvalidOperand,
    /// Values that no operator joins, such as `$A $B`.
    UnreachableNodes,
    /// Only parentheses, such as `()`.
    EmptyParseTree,
    /// `==` or `!=` between a regex and something else: GitLab raises an internal error.
    RegexComparison {
        /// Description of the other operand.
        found: String,
    },
    /// The right side of `=~` or `!~` is `true`, a number or an array: GitLab raises an
    /// internal error.
    InvalidPattern {
        /// Description of the right operand.
        found: String,
    },
    /// The left side of `=~` or `!~` is a regex, whose text in GitLab is an object address.
    RegexAsText,
}

/// An expression error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    kind: ExprErrorKind,
    span: Range<usize>,
    help: Option<String>,
}

impl ExprError {
    pub(crate) fn new(kind: ExprErrorKind, span: Range<usize>) -> Self {
        ExprError {
            kind,
            span,
            help: None,
        }
    }

    #[must_use]
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Returns the kind of error.
    pub fn kind(&self) -> &ExprErrorKind {
        &self.kind
    }

    /// Returns the byte range inside the expression where the error is.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// Returns how to fix the error, when that is known.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// Checks whether GitLab rejects the expression when it validates the configuration, which
    /// is every error except the evaluation errors.
    pub fn is_syntax_error(&self) -> bool {
        !matches!(
            self.kind,
            ExprErrorKind::RegexComparison { .. }
                | ExprErrorKind::InvalidPattern { .. }
                | ExprErrorKind::RegexAsText
        )
    }

    /// Returns the message for a diagnostic: GitLab's `Invalid expression syntax` for syntax
    /// errors.
    pub fn message(&self) -> &'static str {
        if self.is_syntax_error() {
            "Invalid expression syntax"
        } else {
            "expression evaluation failed"
        }
    }

    /// Returns the specific reason. For syntax errors it is the text of GitLab's internal
    /// exception (`Unknown lexeme found!`, `Too many tokens!`, `Unmatched parenthesis`, ...),
    /// which GitLab itself does not show.
    pub fn detail(&self) -> String {
        match &self.kind {
            ExprErrorKind::UnknownLexeme => "Unknown lexeme found!".to_owned(),
            ExprErrorKind::TooManyTokens => "Too many tokens!".to_owned(),
            // GitLab raises a `StatementError` without a message here.
            ExprErrorKind::EmptyExpression => "Empty expression".to_owned(),
            ExprErrorKind::InvalidRegex => "Invalid regular expression!".to_owned(),
            ExprErrorKind::UnmatchedParenthesis => "Unmatched parenthesis".to_owned(),
            ExprErrorKind::UnclosedParenthesis => {
                "Unprocessable token found in parse tree: parenthesis_open".to_owned()
            }
            ExprErrorKind::InvalidLeftOperand => "Invalid left operand".to_owned(),
            ExprErrorKind::InvalidOperand => "Invalid operand".to_owned(),
            ExprErrorKind::UnreachableNodes => "Unreachable nodes in parse tree".to_owned(),
            ExprErrorKind::EmptyParseTree => "Empty parse tree".to_owned(),
            ExprErrorKind::RegexComparison { found } => {
                format!("`==` and `!=` cannot compare a regular expression with {found}")
            }
            ExprErrorKind::InvalidPattern { found } => format!(
                "the right side of `=~` and `!~` must be a string or a regular expression, \
                 not {found}"
            ),
            ExprErrorKind::RegexAsText => {
                "the left side of `=~` and `!~` cannot be a regular expression".to_owned()
            }
        }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.message(), self.detail())
    }
}

impl std::error::Error for ExprError {}
