//! Evaluation of parsed expressions with GitLab's (Ruby's) semantics.

use std::borrow::Cow;
use std::ops::Range;

use compact_str::CompactString;

use super::parser::{BinaryOp, Node};
use super::value::{ExprRegex, ExprValue};
use super::{ExprError, ExprErrorKind, Variables};

/// Kind of name an evaluation read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadSource {
    /// A CI/CD variable, `$NAME`.
    Variable,
    /// An input, `$[[ inputs.NAME ]]`.
    Input,
}

/// One value an evaluation read, in evaluation order. `&&` and `||` skip their right operand
/// when the left one decides, as in Ruby, so skipped variables are not listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    /// The variable or input name.
    pub name: CompactString,
    /// Whether it is a variable or an input.
    pub source: ReadSource,
    /// The value read; [`ExprValue::Null`] when it is not defined.
    pub value: ExprValue,
    /// Byte range of the name in the expression.
    pub span: Range<usize>,
}

/// The result of an evaluation together with the values it read, so that a caller can explain
/// why a rule matched ("`$CI_COMMIT_BRANCH` was `main`").
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The expression's value, or the error GitLab would hit.
    pub result: Result<ExprValue, ExprError>,
    /// Every variable and input read, in order.
    pub reads: Vec<Read>,
}

impl Evaluation {
    /// Checks whether the rule matches, that is whether the value is present (Ruby's
    /// `present?`). An evaluation error counts as no match, as in GitLab's `truthful?`.
    pub fn is_match(&self) -> bool {
        self.result.as_ref().is_ok_and(ExprValue::is_present)
    }
}

pub(super) fn evaluate<V: Variables + ?Sized>(root: &Node, variables: &V) -> Evaluation {
    let mut evaluator = Evaluator {
        variables,
        reads: Vec::new(),
    };
    let result = evaluator.eval(root);
    Evaluation {
        result,
        reads: evaluator.reads,
    }
}

struct Evaluator<'v, V: ?Sized> {
    variables: &'v V,
    reads: Vec<Read>,
}

impl<V: Variables + ?Sized> Evaluator<'_, V> {
    fn eval(&mut self, node: &Node) -> Result<ExprValue, ExprError> {
        Ok(match node {
            Node::Variable { name, span } => {
                let value = match self.variables.get(name) {
                    Some(text) => ExprValue::String(CompactString::from(text)),
                    None => ExprValue::Null,
                };
                self.record(name.clone(), ReadSource::Variable, &value, span);
                value
            }
            Node::Input { name, span } => {
                let value = self.variables.input(name).unwrap_or(ExprValue::Null);
                self.record(CompactString::from(name), ReadSource::Input, &value, span);
                value
            }
            Node::String { value, .. } => ExprValue::String(value.clone()),
            Node::Regex { regex, .. } => ExprValue::Regex(regex.clone()),
            Node::Null { .. } => ExprValue::Null,
            Node::Boolean { value, .. } => ExprValue::Bool(*value),
            Node::Not { operand, .. } => ExprValue::Bool(!self.eval(operand)?.is_present()),
            Node::Binary {
                op, left, right, ..
            } => return self.binary(*op, left, right, node.span()),
        })
    }

    fn record(
        &mut self,
        name: CompactString,
        source: ReadSource,
        value: &ExprValue,
        span: &Range<usize>,
    ) {
        self.reads.push(Read {
            name,
            source,
            value: value.clone(),
            span: span.clone(),
        });
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        left: &Node,
        right: &Node,
        span: Range<usize>,
    ) -> Result<ExprValue, ExprError> {
        // Ruby's `&&` and `||` return an operand and evaluate the right one only when needed.
        if op == BinaryOp::And || op == BinaryOp::Or {
            let left_value = self.eval(left)?;
            let decided = left_value.is_truthy() == (op == BinaryOp::Or);
            return if decided {
                Ok(left_value)
            } else {
                self.eval(right)
            };
        }

        let left_value = self.eval(left)?;
        let right_value = self.eval(right)?;
        let result = match op {
            BinaryOp::Equals | BinaryOp::NotEquals => {
                let equal = equals(&left_value, &right_value).ok_or_else(|| {
                    let found = if matches!(left_value, ExprValue::Regex(_)) {
                        right_value.describe()
                    } else {
                        left_value.describe()
                    };
                    ExprError::new(ExprErrorKind::RegexComparison { found }, span.clone())
                })?;
                equal == (op == BinaryOp::Equals)
            }
            _ => {
                let found = matches(&left_value, &right_value, right.span(), left.span())?;
                found == (op == BinaryOp::Matches)
            }
        };
        Ok(ExprValue::Bool(result))
    }
}

/// Evaluates GitLab's `=~`. `nil` or `false` on the right never matches. A string on the right
/// that is a valid `/pattern/flags` literal is used as a regex. Any other string tests whether
/// it contains the left side, with Ruby's `String#scan`, which finds the empty string everywhere.
/// GitLab's `==`: Ruby's `==`, except that a boolean equals a string of its text
/// (`true == "true"`), which `Lexeme::Equals` has done since expressions gained the `true` and
/// `false` literals. `None` where Ruby raises.
fn equals(left: &ExprValue, right: &ExprValue) -> Option<bool> {
    match (left, right) {
        (ExprValue::Bool(b), ExprValue::String(s)) | (ExprValue::String(s), ExprValue::Bool(b)) => {
            Some(s.as_str() == if *b { "true" } else { "false" })
        }
        _ => left.ruby_eq(right),
    }
}

fn matches(
    text: &ExprValue,
    pattern: &ExprValue,
    pattern_span: Range<usize>,
    text_span: Range<usize>,
) -> Result<bool, ExprError> {
    let regex = match pattern {
        ExprValue::Null | ExprValue::Bool(false) => return Ok(false),
        ExprValue::Regex(regex) => regex.clone(),
        ExprValue::String(string) => match ExprRegex::from_literal(string) {
            Ok(regex) => regex,
            Err(_) => return Ok(string.contains(&*left_text(text, text_span)?)),
        },
        other => {
            let found = other.describe();
            return Err(ExprError::new(
                ExprErrorKind::InvalidPattern { found },
                pattern_span,
            ));
        }
    };
    Ok(regex.is_match(&left_text(text, text_span)?))
}

fn left_text(text: &ExprValue, span: Range<usize>) -> Result<Cow<'_, str>, ExprError> {
    text.ruby_to_s()
        .ok_or_else(|| ExprError::new(ExprErrorKind::RegexAsText, span))
}
