//! Conversion of input values to the input's type before GitLab checks them, as its
//! `coerced_value` in `lib/ci/inputs/base_input.rb` and `string_input.rb` does.
//!
//! GitLab converts every value of an input (given, declared `default`, or chosen by a rule)
//! before it checks the type, `options` and `regex`, and interpolates the converted value:
//!
//! - A string input takes any value and converts it with Ruby's `to_s`, so `123` becomes
//!   `"123"`, `true` becomes `"true"`, `[a, 1]` becomes `"[\"a\", 1]"` and `null` becomes `""`.
//! - A number, boolean or array input reads a string as JSON (`Gitlab::Json.parse`) and keeps
//!   the result, so `"3"` becomes `3`, `"true"` becomes `true` and `"[\"a\"]"` becomes
//!   `["a"]`. A string that is not JSON stays a string and then fails the type check. GitLab
//!   also passes other values through `to_s` and JSON, which gives back the same value or
//!   fails and keeps it, so glplan keeps them as they are.
//!
//! NOTE: this follows the newest GitLab source read (`lib/ci/inputs/`, which `include:inputs`
//! and pipeline inputs both go through). The earlier `lib/gitlab/ci/config/interpolation/inputs/`
//! converted nothing, so `123` for a string input failed with `provided value is not a string`.
//! The newest `base_input.rb` also rejects a YAML tag such as `!reference` inside a value,
//! behind the feature flag `ci_reject_yaml_tags_in_inputs` (off by default). glplan keeps such
//! values, as GitLab does with the flag off.

use crate::source::Span;
use crate::yaml::{Mapping, Node, Value};

use super::ruby;
use super::spec::InputType;

/// Converts `value` as GitLab converts a value of an input of `input_type`.
pub(super) fn coerce(input_type: InputType, value: &Node) -> Node {
    match input_type {
        InputType::String => match &value.value {
            Value::String(_) => value.clone(),
            _ => Node::string(ruby::to_s(value), value.span),
        },
        InputType::Number | InputType::Boolean | InputType::Array => match &value.value {
            Value::String(text) => parse_json(text, value.span).unwrap_or_else(|| value.clone()),
            _ => value.clone(),
        },
    }
}

/// Reads `text` as one JSON value, as `Gitlab::Json.parse` (Oj in `rails` mode) does, and
/// returns it with every node at `span`, or `None` when `text` is not JSON.
///
/// NOTE: Oj reads an integer of more than 64 bits inside an array as a Bignum, and a decimal
/// number with more digits than a float can represent as a `BigDecimal`. glplan keeps such integers
/// exact only when they are the whole text, and reads the others as the nearest float.
fn parse_json(text: &str, span: Span) -> Option<Node> {
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    if json.is_number() {
        let literal = text.trim_matches([' ', '\t', '\n', '\r']);
        if let Some(digits) = big_integer_digits(literal) {
            return Some(Node::new(Value::BigInt(digits.to_owned()), span));
        }
    }
    Some(json_node(&json, span))
}

/// Returns the digits of a JSON integer literal outside `i64`, which Ruby keeps exactly.
fn big_integer_digits(literal: &str) -> Option<&str> {
    let unsigned = literal.strip_prefix('-').unwrap_or(literal);
    let integral = !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit());
    (integral && literal.parse::<i64>().is_err()).then_some(literal)
}

fn json_node(json: &serde_json::Value, span: Span) -> Node {
    let value = match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(flag) => Value::Bool(*flag),
        serde_json::Value::Number(number) => match (number.as_i64(), number.as_u64()) {
            (Some(integer), _) => Value::Int(integer),
            (None, Some(unsigned)) => Value::BigInt(unsigned.to_string()),
            (None, None) => Value::Float(number.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(text) => Value::String(text.clone()),
        serde_json::Value::Array(items) => {
            Value::Seq(items.iter().map(|item| json_node(item, span)).collect())
        }
        serde_json::Value::Object(object) => {
            let mut mapping = Mapping::new();
            for (key, item) in object {
                mapping.insert(key.clone(), span, json_node(item, span));
            }
            Value::Map(mapping)
        }
    };
    Node::new(value, span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(value: Value) -> Node {
        Node::new(value, Span::default())
    }

    fn s(text: &str) -> Node {
        n(Value::String(text.to_owned()))
    }

    fn coerced(input_type: InputType, value: Node) -> Value {
        coerce(input_type, &value).value
    }

    fn text(value: &str) -> Value {
        Value::String(value.to_owned())
    }

    #[test]
    fn string_takes_to_s_of_any_value() {
        let list = n(Value::Seq(vec![s("a"), n(Value::Int(1)), n(Value::Null)]));
        let cases = [
            (s("x"), text("x")),
            (n(Value::Int(123)), text("123")),
            (n(Value::Float(1.5)), text("1.5")),
            (n(Value::Float(1e20)), text("1.0e+20")),
            (
                n(Value::BigInt("99999999999999999999".to_owned())),
                text("99999999999999999999"),
            ),
            (n(Value::Bool(true)), text("true")),
            (n(Value::Bool(false)), text("false")),
            (n(Value::Null), text("")),
            (list, text("[\"a\", 1, nil]")),
        ];
        for (value, expected) in cases {
            let case_label = format!("{value:?}");
            assert_eq!(coerced(InputType::String, value), expected, "{case_label}");
        }
    }

    #[test]
    fn typed_inputs_read_strings_as_json() {
        let cases = [
            (InputType::Number, "3", Value::Int(3)),
            (InputType::Number, " -3 ", Value::Int(-3)),
            (InputType::Number, "1.50", Value::Float(1.5)),
            (InputType::Number, "1e3", Value::Float(1000.0)),
            (
                InputType::Number,
                "18446744073709551616",
                Value::BigInt("18446744073709551616".to_owned()),
            ),
            (InputType::Boolean, "true", Value::Bool(true)),
            (InputType::Boolean, "false", Value::Bool(false)),
            (InputType::Array, "[]", Value::Seq(Vec::new())),
            (InputType::Array, "null", Value::Null),
        ];
        for (input_type, given, expected) in cases {
            assert_eq!(
                coerced(input_type, s(given)),
                expected,
                "{input_type:?} {given}"
            );
        }
    }

    #[test]
    fn json_array_keeps_item_types() {
        let Value::Seq(items) = coerced(InputType::Array, s(r#"["a", 2, true, {"k": "v"}]"#))
        else {
            panic!("not an array");
        };
        let values: Vec<&Value> = items.iter().map(|item| &item.value).collect();
        assert_eq!(values[0], &text("a"));
        assert_eq!(values[1], &Value::Int(2));
        assert_eq!(values[2], &Value::Bool(true));
        assert!(matches!(values[3], Value::Map(map) if map.get("k").is_some()));
    }

    #[test]
    fn typed_inputs_keep_text_that_is_not_json() {
        let cases = [
            (InputType::Number, "abc"),
            (InputType::Number, ""),
            (InputType::Number, "0x10"),
            (InputType::Number, "NaN"),
            (InputType::Boolean, "yes"),
            (InputType::Boolean, "True"),
            (InputType::Array, "[a, b]"),
            (InputType::Array, "a,b"),
        ];
        for (input_type, given) in cases {
            assert_eq!(
                coerced(input_type, s(given)),
                text(given),
                "{input_type:?} {given}"
            );
        }
    }

    #[test]
    fn typed_inputs_keep_other_values() {
        let list = n(Value::Seq(vec![s("a")]));
        assert_eq!(coerced(InputType::Number, n(Value::Int(7))), Value::Int(7));
        assert_eq!(coerced(InputType::Boolean, n(Value::Int(1))), Value::Int(1));
        assert_eq!(coerced(InputType::Array, list.clone()), list.value);
        assert_eq!(coerced(InputType::Number, n(Value::Null)), Value::Null);
    }

    #[test]
    fn coerce_keeps_span() {
        let span = Span::new(crate::source::FileId(3), 5, 8);
        let value = Node::new(Value::Int(123), span);
        assert_eq!(coerce(InputType::String, &value).span, span);
        let value = Node::string("[1]", span);
        let Value::Seq(items) = coerce(InputType::Array, &value).value else {
            panic!("not an array");
        };
        assert_eq!(items[0].span, span);
    }
}
