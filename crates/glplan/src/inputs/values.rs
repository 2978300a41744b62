//! Input values: checking the given arguments against `spec:inputs` and choosing each input's
//! value, as GitLab's `Interpolation::Inputs` and `Ci::Inputs::Builder` do. Every value is
//! converted to the input's type first (see [`coerce`]).

use indexmap::IndexMap;

use crate::expr::ExprValue;
use crate::source::Span;
use crate::yaml::{Mapping, Node, Value};

use super::coerce::coerce;
use super::ruby;
use super::rules;
use super::spec::{InputSpec, InputType};
use super::{ArgumentSource, PIPELINE_INPUTS_ORIGIN, Problem};

/// The problems found in the arguments, in GitLab's order, with a help line for the first.
#[derive(Debug, Default)]
pub(super) struct Rejection {
    pub problems: Vec<Problem>,
    pub help: Option<String>,
}

impl Rejection {
    fn push(&mut self, problem: Problem, help: Option<String>) {
        if self.problems.is_empty() {
            self.help = help;
        }
        self.problems.push(problem);
    }
}

/// Checks `arguments` against the declared inputs and returns each input's value (the
/// argument, or the default when the argument is missing or null). An input with `rules` takes
/// its options and default from the rule chosen with the inputs resolved before it and the
/// arguments of the others (see [`rules`]). Returns every problem,
/// in GitLab's order: unknown arguments, unknown specifications, then each input's problems in
/// declaration order.
///
/// Problems with an argument point at the argument when it was written in a file
/// (`include:inputs`). Pipeline inputs come from no file, so their problems point at what the
/// value breaks: the declaration's `type`, `options` or `regex` entry, or `inputs_span` for an
/// undeclared input.
pub(super) fn resolve(
    specs: &[InputSpec],
    arguments: Option<&Mapping>,
    source: ArgumentSource,
    inputs_span: Span,
) -> Result<Mapping, Rejection> {
    let empty = Mapping::new();
    let arguments = arguments.unwrap_or(&empty);
    let mut problems = Rejection::default();

    let unknown: Vec<(String, Span)> = arguments
        .entries()
        .filter(|(key, _)| !specs.iter().any(|spec| &spec.name == *key))
        .map(|(key, entry)| (key.to_string(), entry.key_span))
        .collect();
    if let Some((first, span)) = unknown.first() {
        let names: Vec<&str> = unknown.iter().map(|(name, _)| name.as_str()).collect();
        let (span, help) = match source {
            ArgumentSource::Include => (*span, None),
            ArgumentSource::Pipeline => (
                inputs_span,
                Some(format!(
                    "`{first}` was given as a pipeline input ({PIPELINE_INPUTS_ORIGIN}), but \
                     `spec:inputs` does not declare it"
                )),
            ),
        };
        let problem = Problem {
            message: format!("unknown input arguments: {}", names.join(", ")),
            span: Some(span),
        };
        problems.push(problem, help);
    }

    let mut typed = Vec::new();
    for spec in specs {
        match spec.input_type {
            Some(input_type) => typed.push((spec, input_type)),
            None => {
                let problem = Problem {
                    message: format!(
                        "unknown input specification for `{}` (valid types: {})",
                        spec.name,
                        InputType::NAMES.join(", ")
                    ),
                    span: Some(spec.key_span),
                };
                problems.push(problem, None);
            }
        }
    }

    // The inputs that the `if` of a rule reads: the arguments, replaced by the chosen value of each
    // input as soon as it is resolved.
    let mut context: IndexMap<String, ExprValue> = arguments
        .entries()
        .map(|(key, entry)| (key.to_string(), rules::expression_value(&entry.value)))
        .collect();
    let mut values = Mapping::new();
    for (spec, input_type) in typed {
        // An input with `rules` takes an empty string as no value, so that it gets the
        // default of the chosen rule.
        let argument = arguments
            .get_key(&spec.name)
            .filter(|node| !node.is_null())
            .filter(|node| spec.rules.is_none() || node.as_str() != Some(""));
        let checker = Checker::new(spec, input_type, source, &context);
        let before = problems.problems.len();
        checker.validate(argument, &mut problems);
        let value = checker.value(argument);
        let context_value = value
            .as_ref()
            .map_or(ExprValue::Null, rules::expression_value);
        context.insert(spec.name.to_string(), context_value);
        if problems.problems.len() > before {
            continue;
        }
        if let Some(value) = value {
            values.insert(spec.name.clone(), spec.key_span, value);
        }
    }

    if problems.problems.is_empty() {
        Ok(values)
    } else {
        Err(problems)
    }
}

/// The checks of one input, after GitLab's `BaseInput` and its subclasses.
struct Checker<'a> {
    spec: &'a InputSpec,
    input_type: InputType,
    source: ArgumentSource,
    /// Whether the input needs an argument: it has no `default` key and no rule provides one.
    required: bool,
    /// The declared `options`, or those of the chosen rule for an input with `rules`.
    options: Option<&'a Node>,
    /// The span of the `options` entry that `options` come from.
    options_entry: Option<Span>,
    /// The declared `default`, or the chosen rule's non-null one for an input with `rules`.
    default: Option<&'a Node>,
}

impl<'a> Checker<'a> {
    fn new(
        spec: &'a InputSpec,
        input_type: InputType,
        source: ArgumentSource,
        context: &IndexMap<String, ExprValue>,
    ) -> Self {
        let mut checker = Checker {
            spec,
            input_type,
            source,
            required: spec.default.is_none(),
            options: spec.options.as_ref(),
            options_entry: spec.entry_spans.options_entry,
            default: spec.default.as_ref(),
        };
        let Some(input_rules) = &spec.rules else {
            return checker;
        };
        checker.required = checker.required && !rules::provide_default(input_rules);
        if let Some(rule) = rules::select(input_rules, context) {
            if rule.options.is_some() {
                checker.options = rule.options.as_ref();
                checker.options_entry = rule.options_entry;
            }
            if let Some(default) = rule.default.as_ref().filter(|node| !node.is_null()) {
                checker.default = Some(default);
            }
        }
        checker
    }

    /// Returns the input's value: the argument, else the default, converted to the input's
    /// type. An optional input without a default (`default: null`, or `rules` of which none
    /// with a default matches) gets GitLab's conversion of `nil`: the empty string for a
    /// string input, and `null` for the other types.
    fn value(&self, argument: Option<&Node>) -> Option<Node> {
        if let Some(value) = argument.or(self.default) {
            return Some(coerce(self.input_type, value));
        }
        if self.required {
            return None;
        }
        Some(coerce(self.input_type, &Node::null(self.spec.key_span)))
    }

    fn validate(&self, argument: Option<&Node>, problems: &mut Rejection) {
        if self.required {
            if argument.is_none() {
                let help = match self.source {
                    ArgumentSource::Include => None,
                    ArgumentSource::Pipeline => Some(format!(
                        "give `{}` a value as a pipeline input ({PIPELINE_INPUTS_ORIGIN}), or \
                         declare a `default`",
                        self.spec.name
                    )),
                };
                let message = "required value has not been provided".to_owned();
                problems.push(self.problem(message, self.spec.key_span), help);
            }
            if let Some(argument) = argument {
                self.run(argument, Origin::Provided, problems);
            }
            return;
        }
        // GitLab skips the checks of a null default.
        if let Some(default) = self.default.filter(|default| !default.is_null()) {
            self.run(default, Origin::Default, problems);
        }
        if let Some(argument) = argument {
            self.run(argument, Origin::Provided, problems);
        }
    }

    /// Converts one value to the input's type and runs the type, options and regex checks on
    /// the result.
    fn run(&self, value: &Node, origin: Origin, problems: &mut Rejection) {
        let value = coerce(self.input_type, value);
        self.check_type(&value, origin, problems);
        self.check_options(&value, origin, problems);
        self.check_regex(&value, origin, problems);
    }

    /// Reports a problem with `value`: at the value when a file contains it, else at
    /// `declaration` (the declaration entry the value breaks), with a help line saying where
    /// the value came from.
    fn value_problem(
        &self,
        message: String,
        value: &Node,
        origin: Origin,
        declaration: Option<Span>,
        problems: &mut Rejection,
    ) {
        match (origin, self.source) {
            (Origin::Provided, ArgumentSource::Pipeline) => {
                let span = declaration.unwrap_or(self.spec.key_span);
                let help = format!(
                    "`{}` was given as a pipeline input ({PIPELINE_INPUTS_ORIGIN}), and its \
                     value is checked against this declaration",
                    self.spec.name
                );
                problems.push(self.problem(message, span), Some(help));
            }
            _ => problems.push(self.problem(message, value.span), None),
        }
    }

    fn check_type(&self, value: &Node, origin: Origin, problems: &mut Rejection) {
        let (ok, expected) = match self.input_type {
            // The conversion turns every value into a string.
            InputType::String => (true, "a string"),
            InputType::Number => (
                matches!(
                    value.value,
                    Value::Int(_) | Value::BigInt(_) | Value::Float(_)
                ),
                "a number",
            ),
            InputType::Boolean => (matches!(value.value, Value::Bool(_)), "a boolean"),
            InputType::Array => (matches!(value.value, Value::Seq(_)), "an array"),
        };
        if !ok {
            let message = format!("{} value is not {expected}", origin.word());
            let declaration = self.spec.entry_spans.type_entry;
            self.value_problem(message, value, origin, declaration, problems);
        }
    }

    fn check_options(&self, value: &Node, origin: Origin, problems: &mut Rejection) {
        let Some(options) = self.options else {
            return;
        };
        if self.input_type == InputType::Boolean {
            // GitLab's base input checks only the declared `options` here, so the options of
            // a rule do not apply to boolean inputs.
            if let Some(declared) = &self.spec.options {
                let message = "Options can only be used with string, number, and array inputs";
                problems.push(self.problem(message.to_owned(), declared.span), None);
            }
            return;
        }
        // Ruby skips the check for `false` and `nil` values.
        if matches!(value.value, Value::Null | Value::Bool(false)) {
            return;
        }
        let allowed = options.as_seq().unwrap_or_default();
        let message = match self.input_type {
            InputType::String => {
                // GitLab compares the converted value with the text of each option.
                let text = ruby::to_s(value);
                let listed = allowed.iter().any(|option| ruby::to_s(option) == text);
                (!listed).then(|| {
                    format!(
                        "`{text}` cannot be used because it is not in the list of allowed options"
                    )
                })
            }
            InputType::Number => {
                let listed = allowed.iter().any(|option| ruby::ruby_eq(option, value));
                // GitLab's number input words this message slightly differently.
                (!listed).then(|| {
                    format!(
                        "`{}` cannot be used because it is not in the list of the allowed options",
                        ruby::to_s(value)
                    )
                })
            }
            InputType::Array => {
                // GitLab checks a value that is not an array only for its type.
                let Value::Seq(items) = &value.value else {
                    return;
                };
                // Ruby's `Array#-` keeps each item that is `eql?` to no option, so `1` is not `1.0`.
                let invalid: Vec<Node> = items
                    .iter()
                    .filter(|item| !allowed.iter().any(|option| ruby::ruby_eql(option, item)))
                    .cloned()
                    .collect();
                (!invalid.is_empty()).then(|| {
                    format!(
                        "{} cannot be used because it is not in the list of allowed options",
                        ruby::join(&invalid, ", ")
                    )
                })
            }
            InputType::Boolean => None,
        };
        if let Some(message) = message {
            let declaration = self.options_entry;
            self.value_problem(message, value, origin, declaration, problems);
        }
    }

    fn check_regex(&self, value: &Node, origin: Origin, problems: &mut Rejection) {
        let Some(pattern) = &self.spec.regex else {
            return;
        };
        if self.input_type != InputType::String {
            let message = "RegEx validation can only be used with string inputs";
            problems.push(self.problem(message.to_owned(), pattern.span), None);
            return;
        }
        let Value::String(text) = &value.value else {
            return;
        };
        let Some(pattern_text) = pattern.as_str() else {
            let message = "invalid regular expression".to_owned();
            problems.push(self.problem(message, pattern.span), None);
            return;
        };
        let regex = match crate::re2::compile(pattern_text) {
            Ok(regex) => regex,
            Err(_) => {
                let message = "invalid regular expression".to_owned();
                problems.push(self.problem(message, pattern.span), None);
                return;
            }
        };
        // GitLab calls `UntrustedRegexp#match?` with `allow_empty_string: true`, so a blank
        // value is matched like any other.
        if !regex.is_match(text) {
            let message = format!(
                "{} value does not match required RegEx pattern",
                origin.word()
            );
            let declaration = self.spec.entry_spans.regex_entry;
            self.value_problem(message, value, origin, declaration, problems);
        }
    }

    fn problem(&self, message: String, span: Span) -> Problem {
        Problem {
            message: format!("`{}` input: {message}", self.spec.name),
            span: Some(span),
        }
    }
}

/// Whether a checked value is the declaration's default or the given argument.
#[derive(Debug, Clone, Copy)]
enum Origin {
    Default,
    Provided,
}

impl Origin {
    fn word(self) -> &'static str {
        match self {
            Origin::Default => "default",
            Origin::Provided => "provided",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::rules::{Condition, InputRule};
    use crate::inputs::spec::EntrySpans;
    use crate::yaml::Key;

    fn sp() -> Span {
        Span::default()
    }

    fn s(text: &str) -> Node {
        Node::string(text, sp())
    }

    fn n(value: Value) -> Node {
        Node::new(value, sp())
    }

    fn spec(name: &str, input_type: InputType) -> InputSpec {
        InputSpec {
            name: Key::from(name),
            key_span: sp(),
            input_type: Some(input_type),
            default: None,
            options: None,
            regex: None,
            rules: None,
            entry_spans: EntrySpans::default(),
        }
    }

    fn args(pairs: Vec<(&str, Node)>) -> Mapping {
        let mut m = Mapping::new();
        for (k, v) in pairs {
            m.insert(k, sp(), v);
        }
        m
    }

    fn errors(specs: &[InputSpec], arguments: Option<&Mapping>) -> Vec<String> {
        match resolve(specs, arguments, ArgumentSource::Include, sp()) {
            Ok(_) => Vec::new(),
            Err(rejection) => rejection.problems.into_iter().map(|p| p.message).collect(),
        }
    }

    fn seq(items: Vec<Node>) -> Node {
        n(Value::Seq(items))
    }

    fn rule(
        condition: Option<&str>,
        options: Option<Vec<&str>>,
        default: Option<Node>,
    ) -> InputRule {
        InputRule {
            condition: condition.map(|text| Condition {
                expression: crate::expr::parse(text).ok(),
            }),
            options: options.map(|items| seq(items.into_iter().map(s).collect())),
            options_entry: None,
            default,
        }
    }

    /// `cloud` (aws or gcp, default aws) and `size`, whose options and default depend on it.
    fn cloud_and_size() -> Vec<InputSpec> {
        let mut cloud = spec("cloud", InputType::String);
        cloud.options = Some(seq(vec![s("aws"), s("gcp")]));
        cloud.default = Some(s("aws"));
        let mut size = spec("size", InputType::String);
        size.rules = Some(vec![
            rule(
                Some("$[[ inputs.cloud ]] == 'aws'"),
                Some(vec!["t3.micro", "t3.small"]),
                Some(s("t3.micro")),
            ),
            rule(
                Some("$[[ inputs.cloud ]] == 'gcp'"),
                Some(vec!["e2-small", "e2-medium"]),
                Some(s("e2-small")),
            ),
        ]);
        vec![cloud, size]
    }

    fn resolved(specs: &[InputSpec], given: Vec<(&str, Node)>) -> Mapping {
        let given = args(given);
        resolve(specs, Some(&given), ArgumentSource::Include, sp()).expect("inputs resolve")
    }

    fn value_of<'m>(values: &'m Mapping, name: &str) -> Option<&'m str> {
        values.get(name).and_then(Node::as_str)
    }

    #[test]
    fn rules_default_follows_earlier_input() {
        let specs = cloud_and_size();
        let values = resolved(&specs, vec![]);
        assert_eq!(value_of(&values, "size"), Some("t3.micro"));
        let values = resolved(&specs, vec![("cloud", s("gcp"))]);
        assert_eq!(value_of(&values, "size"), Some("e2-small"));
    }

    #[test]
    fn rules_options_restrict_argument() {
        let specs = cloud_and_size();
        let given = args(vec![("size", s("e2-small"))]);
        let got = errors(&specs, Some(&given));
        assert_eq!(
            got,
            [
                "`size` input: `e2-small` cannot be used because it is not in the list of allowed options"
            ]
        );
        let values = resolved(&specs, vec![("cloud", s("gcp")), ("size", s("e2-medium"))]);
        assert_eq!(value_of(&values, "size"), Some("e2-medium"));
    }

    #[test]
    fn rules_first_match_wins() {
        let mut size = spec("size", InputType::String);
        size.rules = Some(vec![
            rule(Some("true"), None, Some(s("first"))),
            rule(Some("true"), None, Some(s("second"))),
            rule(None, Some(vec!["third"]), Some(s("third"))),
        ]);
        let values = resolved(&[size], vec![]);
        assert_eq!(value_of(&values, "size"), Some("first"));
    }

    #[test]
    fn rules_fallback_when_nothing_matches() {
        let mut size = spec("size", InputType::String);
        size.rules = Some(vec![
            rule(Some("$[[ inputs.missing ]] == 'x'"), Some(vec!["a"]), None),
            rule(Some("&&&&"), Some(vec!["b"]), None),
            rule(None, Some(vec!["large"]), Some(s("large"))),
        ]);
        let values = resolved(&[size.clone()], vec![]);
        assert_eq!(value_of(&values, "size"), Some("large"));
        let given = args(vec![("size", s("a"))]);
        let got = errors(&[size], Some(&given));
        assert_eq!(
            got,
            ["`size` input: `a` cannot be used because it is not in the list of allowed options"]
        );
    }

    #[test]
    fn rules_without_match_allow_any_value() {
        let mut size = spec("size", InputType::String);
        size.rules = Some(vec![rule(
            Some("$[[ inputs.cloud ]] == 'aws'"),
            Some(vec!["small"]),
            Some(s("small")),
        )]);
        let values = resolved(&[size.clone()], vec![("size", s("anything"))]);
        assert_eq!(value_of(&values, "size"), Some("anything"));
        // The rule's default makes the input optional; without a match it has no value.
        let values = resolved(&[size], vec![]);
        assert_eq!(value_of(&values, "size"), Some(""));
    }

    #[test]
    fn rules_empty_argument_takes_default() {
        let specs = cloud_and_size();
        let values = resolved(&specs, vec![("size", s(""))]);
        assert_eq!(value_of(&values, "size"), Some("t3.micro"));
        let mut size = spec("size", InputType::String);
        size.rules = Some(vec![rule(Some("true"), Some(vec!["small"]), None)]);
        let given = args(vec![("size", s(""))]);
        let got = errors(&[size], Some(&given));
        assert_eq!(got, ["`size` input: required value has not been provided"]);
    }

    #[test]
    fn empty_argument_without_rules_is_a_value() {
        let mut name = spec("name", InputType::String);
        name.default = Some(s("d"));
        let values = resolved(&[name], vec![("name", s(""))]);
        assert_eq!(value_of(&values, "name"), Some(""));
    }

    #[test]
    fn rules_fallback_without_default_is_required() {
        let mut size = spec("size", InputType::String);
        size.rules = Some(vec![rule(None, Some(vec!["small"]), None)]);
        let got = errors(&[size], None);
        assert_eq!(got, ["`size` input: required value has not been provided"]);
    }

    #[test]
    fn rules_default_converted() {
        let mut count = spec("count", InputType::Number);
        count.rules = Some(vec![rule(Some("true"), None, Some(s("2")))]);
        let values = resolved(&[count], vec![]);
        assert_eq!(
            values.get("count").map(|node| &node.value),
            Some(&Value::Int(2))
        );
    }

    #[test]
    fn rules_options_restrict_arrays() {
        let mut targets = spec("targets", InputType::Array);
        targets.rules = Some(vec![rule(None, Some(vec!["a", "b"]), Some(seq(vec![])))]);
        let given = args(vec![("targets", seq(vec![s("a"), s("c")]))]);
        let got = errors(std::slice::from_ref(&targets), Some(&given));
        assert_eq!(
            got,
            ["`targets` input: c cannot be used because it is not in the list of allowed options"]
        );
        let values = resolved(&[targets], vec![("targets", seq(vec![s("b")]))]);
        assert!(
            values
                .get("targets")
                .is_some_and(|node| node.as_seq().is_some())
        );
    }

    #[test]
    fn rules_see_converted_values() {
        let mut count = spec("count", InputType::Number);
        count.default = Some(n(Value::Int(1)));
        let mut label = spec("label", InputType::String);
        label.rules = Some(vec![
            rule(Some("$[[ inputs.count ]] =~ /^3$/"), None, Some(s("three"))),
            rule(None, Some(vec!["three", "other"]), Some(s("other"))),
        ]);
        let specs = [count, label];
        let values = resolved(&specs, vec![("count", s(" 3 "))]);
        assert_eq!(value_of(&values, "label"), Some("three"));
    }

    #[test]
    fn rules_without_default_are_required() {
        let mut size = spec("size", InputType::String);
        size.rules = Some(vec![rule(Some("true"), Some(vec!["small"]), None)]);
        let got = errors(&[size], None);
        assert_eq!(got, ["`size` input: required value has not been provided"]);
    }

    #[test]
    fn rules_null_default_makes_input_optional() {
        let mut config = spec("config", InputType::Number);
        config.rules = Some(vec![rule(Some("true"), None, Some(Node::null(sp())))]);
        let values = resolved(&[config], vec![]);
        assert!(values.get("config").is_some_and(Node::is_null));
    }

    #[test]
    fn rules_default_checked_against_rule() {
        let mut size = spec("size", InputType::String);
        size.rules = Some(vec![rule(None, Some(vec!["small"]), Some(s("huge")))]);
        let got = errors(&[size], None);
        assert_eq!(
            got,
            [
                "`size` input: `huge` cannot be used because it is not in the list of allowed options"
            ]
        );
        let mut count = spec("count", InputType::Number);
        count.rules = Some(vec![rule(Some("true"), None, Some(s("two")))]);
        let got = errors(&[count], None);
        assert_eq!(got, ["`count` input: default value is not a number"]);
    }

    #[test]
    fn rules_options_ignored_for_booleans() {
        let mut flag = spec("flag", InputType::Boolean);
        flag.rules = Some(vec![rule(
            None,
            Some(vec!["yes"]),
            Some(n(Value::Bool(true))),
        )]);
        let values = resolved(&[flag], vec![("flag", n(Value::Bool(false)))]);
        assert_eq!(
            values.get("flag").map(|node| &node.value),
            Some(&Value::Bool(false))
        );
    }

    #[test]
    fn rules_chain_through_inputs() {
        let mut env = spec("env", InputType::String);
        env.default = Some(s("prod"));
        let mut region = spec("region", InputType::String);
        region.rules = Some(vec![rule(
            Some("$[[ inputs.env ]] == 'prod'"),
            None,
            Some(s("us-east-1")),
        )]);
        let mut zone = spec("zone", InputType::String);
        zone.rules = Some(vec![rule(
            Some("$[[ inputs.region ]] == 'us-east-1'"),
            None,
            Some(s("us-east-1a")),
        )]);
        let values = resolved(&[env, region, zone], vec![]);
        assert_eq!(value_of(&values, "zone"), Some("us-east-1a"));
    }

    #[test]
    fn rules_see_later_inputs_only_as_given() {
        let mut first = spec("first", InputType::String);
        first.rules = Some(vec![
            rule(Some("$[[ inputs.later ]] == 'x'"), None, Some(s("saw-x"))),
            rule(None, Some(vec!["saw-x", "fallback"]), Some(s("fallback"))),
        ]);
        let mut later = spec("later", InputType::String);
        later.default = Some(s("x"));
        let specs = [first, later];
        let values = resolved(&specs, vec![]);
        assert_eq!(value_of(&values, "first"), Some("fallback"));
        let values = resolved(&specs, vec![("later", s("x"))]);
        assert_eq!(value_of(&values, "first"), Some("saw-x"));
    }

    #[test]
    fn rules_compare_booleans_and_numbers() {
        let mut publish = spec("publish", InputType::Boolean);
        publish.default = Some(n(Value::Bool(true)));
        let mut count = spec("count", InputType::Number);
        count.default = Some(n(Value::Int(3)));
        let mut stage = spec("stage", InputType::String);
        stage.rules = Some(vec![
            rule(
                Some("$[[ inputs.publish ]] == 'false'"),
                None,
                Some(s("test")),
            ),
            rule(
                Some("$[[ inputs.count ]] == '3'"),
                None,
                Some(s("count-text")),
            ),
            rule(
                Some("$[[ inputs.count ]] =~ /^3$/"),
                None,
                Some(s("count-match")),
            ),
            rule(None, Some(vec!["other"]), Some(s("other"))),
        ]);
        let specs = [publish, count, stage];
        let values = resolved(&specs, vec![]);
        assert_eq!(value_of(&values, "stage"), Some("count-match"));
        let values = resolved(&specs, vec![("publish", n(Value::Bool(false)))]);
        assert_eq!(value_of(&values, "stage"), Some("test"));
    }

    #[test]
    fn resolve_uses_argument_then_default() {
        let mut stage = spec("stage", InputType::String);
        stage.default = Some(s("test"));
        let mut other = spec("other", InputType::String);
        other.default = Some(s("d"));
        let given = args(vec![("stage", s("build"))]);
        let values = resolve(&[stage, other], Some(&given), ArgumentSource::Include, sp()).unwrap();
        assert_eq!(values.get("stage").unwrap().as_str(), Some("build"));
        assert_eq!(values.get("other").unwrap().as_str(), Some("d"));
    }

    #[test]
    fn resolve_null_argument_counts_as_missing() {
        let given = args(vec![("name", Node::null(sp()))]);
        let got = errors(&[spec("name", InputType::String)], Some(&given));
        assert_eq!(got, ["`name` input: required value has not been provided"]);
    }

    #[test]
    fn resolve_empty_default_is_optional() {
        let mut name = spec("name", InputType::String);
        name.default = Some(s(""));
        assert!(resolve(&[name], None, ArgumentSource::Include, sp()).is_ok());
    }

    #[test]
    fn resolve_null_default_is_optional() {
        let mut name = spec("name", InputType::String);
        name.default = Some(Node::null(sp()));
        let mut count = spec("count", InputType::Number);
        count.default = Some(Node::null(sp()));
        let values = resolved(&[name, count], vec![]);
        assert_eq!(value_of(&values, "name"), Some(""));
        assert!(values.get("count").is_some_and(Node::is_null));
    }

    #[test]
    fn resolve_unknown_arguments_listed() {
        let given = args(vec![("a", s("1")), ("b", s("2"))]);
        let got = errors(&[], Some(&given));
        assert_eq!(got, ["unknown input arguments: a, b"]);
    }

    #[test]
    fn resolve_unknown_specification() {
        let mut unknown = spec("x", InputType::String);
        unknown.input_type = None;
        let got = errors(&[unknown], None);
        assert_eq!(
            got,
            ["unknown input specification for `x` (valid types: array, boolean, number, string)"]
        );
    }

    #[test]
    fn resolve_type_errors() {
        let cases = [
            (
                InputType::Number,
                s("abc"),
                "`x` input: provided value is not a number",
            ),
            (
                InputType::Number,
                s("0x10"),
                "`x` input: provided value is not a number",
            ),
            (
                InputType::Number,
                n(Value::Bool(true)),
                "`x` input: provided value is not a number",
            ),
            (
                InputType::Boolean,
                s("yes"),
                "`x` input: provided value is not a boolean",
            ),
            (
                InputType::Boolean,
                n(Value::Int(1)),
                "`x` input: provided value is not a boolean",
            ),
            (
                InputType::Array,
                s("a"),
                "`x` input: provided value is not an array",
            ),
            (
                InputType::Array,
                s("[a, b]"),
                "`x` input: provided value is not an array",
            ),
            (
                InputType::Array,
                s(r#"{"a": 1}"#),
                "`x` input: provided value is not an array",
            ),
        ];
        for (input_type, value, expected) in cases {
            let given = args(vec![("x", value)]);
            let got = errors(&[spec("x", input_type)], Some(&given));
            assert_eq!(got, [expected], "type {input_type:?}");
        }
    }

    #[test]
    fn resolve_converts_arguments() {
        let cases = [
            (
                InputType::String,
                n(Value::Int(123)),
                Value::String("123".to_owned()),
            ),
            (
                InputType::String,
                n(Value::Float(1.5)),
                Value::String("1.5".to_owned()),
            ),
            (
                InputType::String,
                n(Value::Bool(false)),
                Value::String("false".to_owned()),
            ),
            (
                InputType::String,
                n(Value::Seq(vec![s("a"), n(Value::Int(1))])),
                Value::String("[\"a\", 1]".to_owned()),
            ),
            (InputType::Number, s("3"), Value::Int(3)),
            (InputType::Number, s("2.5"), Value::Float(2.5)),
            (InputType::Boolean, s("true"), Value::Bool(true)),
            (InputType::Boolean, s("false"), Value::Bool(false)),
            (InputType::Array, s(r#"["a"]"#), Value::Seq(vec![s("a")])),
        ];
        for (input_type, given, expected) in cases {
            let values = resolved(&[spec("x", input_type)], vec![("x", given)]);
            let value = values.get("x").map(|node| &node.value);
            assert_eq!(value, Some(&expected), "type {input_type:?}");
        }
    }

    #[test]
    fn resolve_converts_defaults() {
        let mut count = spec("count", InputType::Number);
        count.default = Some(s("42"));
        let mut flag = spec("flag", InputType::Boolean);
        flag.default = Some(s("false"));
        let mut name = spec("name", InputType::String);
        name.default = Some(n(Value::Int(7)));
        let values = resolved(&[count, flag, name], vec![]);
        let value = |name: &str| values.get(name).map(|node| node.value.clone());
        assert_eq!(value("count"), Some(Value::Int(42)));
        assert_eq!(value("flag"), Some(Value::Bool(false)));
        assert_eq!(value("name"), Some(Value::String("7".to_owned())));
    }

    #[test]
    fn resolve_default_type_errors() {
        let mut number = spec("x", InputType::Number);
        number.default = Some(s("two"));
        let got = errors(&[number], None);
        assert_eq!(got, ["`x` input: default value is not a number"]);
    }

    #[test]
    fn resolve_options() {
        let options = n(Value::Seq(vec![s("dev"), s("prod")]));
        let mut env = spec("env", InputType::String);
        env.options = Some(options);
        let given = args(vec![("env", s("qa"))]);
        let got = errors(&[env.clone()], Some(&given));
        assert_eq!(
            got,
            ["`env` input: `qa` cannot be used because it is not in the list of allowed options"]
        );
        let given = args(vec![("env", s("prod"))]);
        assert!(resolve(&[env], Some(&given), ArgumentSource::Include, sp()).is_ok());
    }

    #[test]
    fn resolve_number_options_wording() {
        let mut n_input = spec("n", InputType::Number);
        n_input.options = Some(n(Value::Seq(vec![n(Value::Int(1)), n(Value::Int(2))])));
        let given = args(vec![("n", n(Value::Int(3)))]);
        let got = errors(&[n_input.clone()], Some(&given));
        assert_eq!(
            got,
            ["`n` input: `3` cannot be used because it is not in the list of the allowed options"]
        );
        let given = args(vec![("n", n(Value::Float(2.0)))]);
        assert!(resolve(&[n_input], Some(&given), ArgumentSource::Include, sp()).is_ok());
    }

    #[test]
    fn resolve_options_on_boolean_rejected() {
        let mut flag = spec("flag", InputType::Boolean);
        flag.options = Some(n(Value::Seq(vec![n(Value::Bool(true))])));
        let given = args(vec![("flag", n(Value::Bool(true)))]);
        let got = errors(&[flag], Some(&given));
        assert_eq!(
            got,
            ["`flag` input: Options can only be used with string, number, and array inputs"]
        );
    }

    #[test]
    fn resolve_string_options_compare_text() {
        let mut level = spec("level", InputType::String);
        level.options = Some(seq(vec![n(Value::Int(1)), n(Value::Float(2.0))]));
        for given in [s("1"), n(Value::Int(1)), s("2.0")] {
            let case_label = format!("{given:?}");
            let given = args(vec![("level", given)]);
            let got = errors(std::slice::from_ref(&level), Some(&given));
            assert!(got.is_empty(), "{case_label}: {got:?}");
        }
        let given = args(vec![("level", n(Value::Int(2)))]);
        let got = errors(&[level], Some(&given));
        assert_eq!(
            got,
            ["`level` input: `2` cannot be used because it is not in the list of allowed options"]
        );
    }

    #[test]
    fn resolve_number_options_after_conversion() {
        let mut count = spec("count", InputType::Number);
        count.options = Some(seq(vec![n(Value::Int(1)), n(Value::Int(2))]));
        let given = args(vec![("count", s("2"))]);
        assert!(errors(std::slice::from_ref(&count), Some(&given)).is_empty());
        // Options are not converted, so a string option never lists a number.
        count.options = Some(seq(vec![s("1")]));
        let given = args(vec![("count", s("1"))]);
        let got = errors(&[count], Some(&given));
        assert_eq!(
            got,
            [
                "`count` input: `1` cannot be used because it is not in the list of the allowed options"
            ]
        );
    }

    #[test]
    fn resolve_array_options() {
        let mut targets = spec("targets", InputType::Array);
        targets.options = Some(seq(vec![s("dev"), s("prod"), n(Value::Float(1.0))]));
        let ok = [
            seq(vec![s("dev"), s("prod")]),
            seq(vec![]),
            s(r#"["prod"]"#),
        ];
        for given in ok {
            let case_label = format!("{given:?}");
            let given = args(vec![("targets", given)]);
            let got = errors(std::slice::from_ref(&targets), Some(&given));
            assert!(got.is_empty(), "{case_label}: {got:?}");
        }
        let rejected = [
            (
                seq(vec![s("dev"), s("qa"), s("qa")]),
                "`targets` input: qa, qa cannot be used because it is not in the list of allowed \
                 options",
            ),
            (
                seq(vec![n(Value::Int(1))]),
                "`targets` input: 1 cannot be used because it is not in the list of allowed options",
            ),
            (s("dev"), "`targets` input: provided value is not an array"),
        ];
        for (given, expected) in rejected {
            let given = args(vec![("targets", given)]);
            let got = errors(std::slice::from_ref(&targets), Some(&given));
            assert_eq!(got, [expected]);
        }
        targets.default = Some(seq(vec![s("staging")]));
        let got = errors(&[targets], None);
        assert_eq!(
            got,
            [
                "`targets` input: staging cannot be used because it is not in the list of allowed options"
            ]
        );
    }

    #[test]
    fn resolve_regex() {
        let mut ver = spec("ver", InputType::String);
        ver.regex = Some(s(r"^v\d+\.\d+$"));
        let given = args(vec![("ver", s("v1.2"))]);
        assert!(resolve(&[ver.clone()], Some(&given), ArgumentSource::Include, sp()).is_ok());
        let given = args(vec![("ver", s("1.2"))]);
        let got = errors(&[ver.clone()], Some(&given));
        assert_eq!(
            got,
            ["`ver` input: provided value does not match required RegEx pattern"]
        );
        ver.default = Some(s("x"));
        let got = errors(&[ver], None);
        assert_eq!(
            got,
            ["`ver` input: default value does not match required RegEx pattern"]
        );
    }

    #[test]
    fn resolve_regex_unanchored() {
        let mut name = spec("name", InputType::String);
        name.regex = Some(s("b"));
        let given = args(vec![("name", s("abc"))]);
        assert!(resolve(&[name], Some(&given), ArgumentSource::Include, sp()).is_ok());
    }

    #[test]
    fn resolve_regex_matches_blank() {
        let cases = [(".*", " ", true), ("^$", "", true), ("a", "", false)];
        for (pattern, given, matches) in cases {
            let mut name = spec("name", InputType::String);
            name.regex = Some(s(pattern));
            let given = args(vec![("name", s(given))]);
            let got = errors(&[name], Some(&given));
            assert_eq!(got.is_empty(), matches, "{pattern} {given:?}: {got:?}");
        }
    }

    #[test]
    fn resolve_regex_checks_converted_value() {
        let mut digits = spec("digits", InputType::String);
        digits.regex = Some(s("^[0-9]+$"));
        let given = args(vec![("digits", n(Value::Int(123)))]);
        assert!(errors(std::slice::from_ref(&digits), Some(&given)).is_empty());
        let given = args(vec![("digits", n(Value::Bool(true)))]);
        let got = errors(&[digits], Some(&given));
        assert_eq!(
            got,
            ["`digits` input: provided value does not match required RegEx pattern"]
        );
    }

    #[test]
    fn resolve_invalid_regex() {
        let mut name = spec("name", InputType::String);
        name.regex = Some(s("a("));
        let given = args(vec![("name", s("a"))]);
        let got = errors(&[name], Some(&given));
        assert_eq!(got, ["`name` input: invalid regular expression"]);
    }

    #[test]
    fn resolve_regex_on_number_rejected() {
        let mut n_input = spec("n", InputType::Number);
        n_input.regex = Some(s("1"));
        let given = args(vec![("n", n(Value::Int(1)))]);
        let got = errors(&[n_input], Some(&given));
        assert_eq!(
            got,
            ["`n` input: RegEx validation can only be used with string inputs"]
        );
    }
}
