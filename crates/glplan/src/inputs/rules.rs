//! `spec:inputs:<name>:rules`: options and a default that depend on the values of other inputs.
//! GitLab documents them since 18.7 (`doc/ci/inputs/_index.md`), and a rule's `default: null`
//! since 18.9. Some versions of `header/input.rb` reject `rules` unless the feature flag
//! `ci_dynamic_pipeline_inputs` is on; later ones no longer check it, and glplan does not.
//!
//! What GitLab does, from its source:
//!
//! - Validation (`lib/gitlab/ci/config/header/input.rb`, `header/input/rules.rb`,
//!   `header/input/rules/rule.rb`): `rules` cannot be used together with `options` or
//!   `default` of the same input. `rules` must be an array, and each rule a non-blank hash with
//!   the keys `if`, `options` and `default` only. `if` must be a string and `options` an array,
//!   of at most 50 items. A rule with `if` needs `options` or `default`, and a rule without `if`
//!   (a fallback rule) needs `options`. The entry itself does not parse the `if` text, but
//!   `header/inputs/validator.rb` then reads the inputs each `if` names: an undeclared one is
//!   `rule[N] references undefined inputs: NAME`, and a cycle of reads, an input that reads
//!   itself included, is `circular dependency detected` on the first input.
//! - Selection (`lib/ci/inputs/rules_evaluator.rb`): the first rule whose `if` is true wins, and
//!   a rule without `if` always matches. `if` is a CI/CD expression (`Expression::Statement`)
//!   evaluated with the inputs only, so `$[[ inputs.NAME ]]` reads an input, an undefined
//!   input and every `$VARIABLE` are `nil`, and an `if` that fails to parse or evaluate is
//!   false. Since the `true`/`false` literals, `==` and `!=` compare a boolean with a string
//!   by its text
//!   (`spec/lib/gitlab/ci/pipeline/expression/lexeme/equals_spec.rb`).
//! - Values (`lib/ci/inputs/builder.rb`, `base_input.rb`, `string_input.rb`,
//!   `number_input.rb`, `array_input.rb`): inputs are resolved in declaration order, and an
//!   `if` reads the converted values already chosen for the inputs declared before it and the
//!   caller's values of the others. The chosen rule's `options` restrict the caller's value of
//!   a string, number or array input, and boolean inputs ignore them. Without a chosen rule,
//!   or when it has no `options`, any value is allowed. When the caller gives no value, or an
//!   empty string, the chosen rule's `default` is used and checked like a declared default,
//!   unless it is null. The input is required only when no rule has a `default` key. A
//!   rule-based input that ends up without a value gets the conversion of `nil`: the empty
//!   string for a string input and `null` for the other types.

use indexmap::IndexMap;

use crate::diagnostic::Diagnostic;
use crate::expr::{self, ExprValue, Expression, NoVariables, Variables, WithInputs};
use crate::limits::Limits;
use crate::source::Span;
use crate::yaml::{Node, Value};

use super::Problem;
use super::ruby;
use super::spec::{entry_span, problem, unknown_keys};

/// One rule of an input.
#[derive(Debug, Clone)]
pub(super) struct InputRule {
    /// The `if` condition, or `None` for a fallback rule.
    pub condition: Option<Condition>,
    /// `options`, when present and not null.
    pub options: Option<Node>,
    /// The span of the `options` entry, from the key to the end of the value.
    pub options_entry: Option<Span>,
    /// `default`, when the key is present (even with a null value).
    pub default: Option<Node>,
}

/// The `if` of a rule.
#[derive(Debug, Clone)]
pub(super) struct Condition {
    /// The parsed expression, or `None` when it does not parse, so the rule never matches.
    pub expression: Option<Expression>,
}

const RULE_KEYS: &[&str] = &["if", "options", "default"];

/// Validates `rules` of the input at `location` as GitLab's `Header::Input::Rules` entry does,
/// and returns the rules when they are valid. `if` texts that do not parse add a warning,
/// because GitLab accepts them and skips the rule.
pub(super) fn parse_rules(
    location: &str,
    rules: &Node,
    limits: &Limits,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Diagnostic>,
) -> Option<Vec<InputRule>> {
    let location = format!("{location}:rules");
    let Some(items) = rules.as_seq() else {
        problems.push(problem(
            format!("{location} config should be an array"),
            rules.span,
        ));
        return None;
    };

    let before = problems.len();
    let mut parsed = Vec::with_capacity(items.len());
    for item in items {
        if let Some(rule) = parse_rule(&location, item, limits, problems, warnings) {
            parsed.push(rule);
        }
    }
    (problems.len() == before).then_some(parsed)
}

fn parse_rule(
    location: &str,
    item: &Node,
    limits: &Limits,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Diagnostic>,
) -> Option<InputRule> {
    let location = format!("{location}:rule");
    let before = problems.len();

    // Rails runs the presence, type and allowed-keys checks of the rule all together.
    if is_blank(item) {
        problems.push(problem(
            format!("{location} config can't be blank"),
            item.span,
        ));
    }
    let Some(map) = item.as_map() else {
        problems.push(problem(
            format!("{location} config should be a hash"),
            item.span,
        ));
        return None;
    };
    unknown_keys(&location, map, RULE_KEYS, problems);

    let condition = map.get("if").filter(|node| !node.is_null());
    if let Some(condition) = condition
        && condition.as_str().is_none()
    {
        problems.push(problem(
            format!("{location} if should be a string"),
            condition.span,
        ));
    }
    let options = map.get("options").filter(|node| !node.is_null());
    if let Some(options) = options
        && options.as_seq().is_none()
    {
        problems.push(problem(
            format!("{location} options should be an array"),
            options.span,
        ));
    }
    if problems.len() > before {
        return None;
    }

    // GitLab checks the rule's own constraints only when the checks above passed.
    if let Some(items) = options.and_then(Node::as_seq)
        && items.len() > limits.max_input_options
    {
        let message = format!(
            "{location} config cannot define more than {} options",
            limits.max_input_options
        );
        problems.push(problem(message, options.map_or(item.span, |o| o.span)));
    }
    let has_default = map.entry("default").is_some();
    if condition.is_some() && options.is_none() && !has_default {
        let message =
            format!("{location} config rule with 'if' must define 'options' or 'default'");
        problems.push(problem(message, item.span));
    }
    if condition.is_none() && options.is_none() {
        let message = format!("{location} config fallback rule must define 'options'");
        problems.push(problem(message, item.span));
    }
    if problems.len() > before {
        return None;
    }

    let condition = condition.map(|node| parse_condition(node, limits, warnings));
    Some(InputRule {
        condition,
        options: options.cloned(),
        options_entry: map.entry("options").map(entry_span),
        default: map.get("default").cloned(),
    })
}

/// Parses an `if`. A text that does not parse is kept as a condition that is never true, as
/// GitLab's `Statement#truthful?` returns false on it, and glplan warns about it.
fn parse_condition(node: &Node, limits: &Limits, warnings: &mut Vec<Diagnostic>) -> Condition {
    let text = node.as_str().unwrap_or_default();
    match expr::parse_with_limits(text, limits) {
        Ok(expression) => Condition {
            expression: Some(expression),
        },
        Err(error) => {
            warnings.push(
                Diagnostic::warning(
                    "input-rule-if-invalid",
                    format!("this `if` of an input rule never matches: {error}"),
                )
                .with_span(node.span)
                .with_help(
                    "GitLab skips a rule whose `if` is not a valid expression; compare inputs \
                     as in `$[[ inputs.NAME ]] == 'value'`",
                ),
            );
            Condition { expression: None }
        }
    }
}

/// Returns the first rule whose `if` is true for `inputs`, or a fallback rule, as GitLab's
/// `RulesEvaluator` does; `None` when no rule matches.
pub(super) fn select<'r>(
    rules: &'r [InputRule],
    inputs: &IndexMap<String, ExprValue>,
) -> Option<&'r InputRule> {
    // Evaluating through `dyn Variables` reuses the evaluator compiled for the rules of jobs.
    let variables: &dyn Variables = &WithInputs {
        variables: &NoVariables,
        inputs,
    };
    rules.iter().find(|rule| match &rule.condition {
        None => true,
        Some(Condition { expression }) => expression
            .as_ref()
            .is_some_and(|expression| expression.truthy(variables)),
    })
}

/// Checks whether the rules give the input a default, which makes it optional: some rule has
/// a `default` key, even a null one.
pub(super) fn provide_default(rules: &[InputRule]) -> bool {
    rules.iter().any(|rule| rule.default.is_some())
}

/// Converts an input value into the value `$[[ inputs.NAME ]]` has in an `if`.
///
/// NOTE: a hash inside an array input becomes its Ruby `inspect` text, because expression
/// values have no hash type. Only `=~` and `!~` on the whole array can tell the difference.
pub(super) fn expression_value(node: &Node) -> ExprValue {
    match &node.value {
        Value::Null => ExprValue::Null,
        Value::Bool(b) => ExprValue::Bool(*b),
        Value::Int(i) => ExprValue::Integer(*i),
        Value::Float(f) => ExprValue::Float(*f),
        Value::String(s) => ExprValue::String(s.as_str().into()),
        Value::Seq(items) => ExprValue::Array(items.iter().map(expression_value).collect()),
        Value::BigInt(_) | Value::Map(_) | Value::Reference(_) => {
            ExprValue::String(ruby::to_s(node).into())
        }
    }
}

/// Ruby's `blank?` of a configuration value, as Rails' presence check applies it.
fn is_blank(node: &Node) -> bool {
    match &node.value {
        Value::Null | Value::Bool(false) => true,
        Value::String(s) => ruby::is_blank(s),
        Value::Seq(items) => items.is_empty(),
        Value::Map(map) => map.is_empty(),
        _ => false,
    }
}
