//! A small JSON Schema validator for the subset of draft 2020-12 that `docs/plan.schema.json`
//! uses, so that tests can check real plan outputs against the checked-in schema.
//!
//! Supported keywords: `$ref` to `#` or `#/$defs/NAME`, `type` (a name or a list of names),
//! `properties`, `additionalProperties` (a schema), `required`, `items`, `anyOf`, `oneOf`,
//! `const`, `enum`, `minimum`, `maximum`, and `format` for the integer formats schemars writes (`uint8`, `uint16`, `uint32`,
//! `uint64`, `uint`, `int32`, `int64`) and its `double` for `f64`, which any JSON number meets. The annotations `$schema`, `title` and `description`
//! are ignored. Any other keyword is reported as an error, so a schema that starts using one
//! fails the tests instead of being checked loosely.
//!
//! [`Validator::strict`] also rejects object members that the schema does not declare. A member
//! counts as declared by `properties`, by `additionalProperties`, or by the `properties` of an
//! `anyOf` or `oneOf` option beside them, which is how schemars writes a struct with a flattened
//! enum. The
//! published schema leaves objects open, so that adding a field to the plan needs no new
//! format version, but the plan's own tests want to know when the schema is missing a field.

use std::collections::BTreeSet;

use serde_json::Value;

/// Keywords that only annotate and never fail.
const ANNOTATIONS: &[&str] = &["$schema", "title", "description"];

/// Keywords the validator checks.
const CHECKED: &[&str] = &[
    "$ref",
    "$defs",
    "type",
    "properties",
    "additionalProperties",
    "required",
    "items",
    "anyOf",
    "oneOf",
    "const",
    "enum",
    "minimum",
    "maximum",
    "format",
];

/// A validator for one schema document.
#[derive(Debug)]
pub struct Validator<'s> {
    root: &'s Value,
    strict: bool,
    absent_not_null: bool,
    /// Every `(definition, property)` pair that a validated instance had, with `#` for the
    /// root object, so a test can check that its inputs cover the schema.
    pub visited: BTreeSet<(String, String)>,
    /// The members declared beside the `anyOf` or `oneOf` options being checked, which the
    /// options' own objects accept as declared in strict mode.
    enclosing: BTreeSet<String>,
}

impl<'s> Validator<'s> {
    /// Creates a validator for `root`, which must be a schema object.
    pub fn new(root: &'s Value) -> Self {
        Validator {
            root,
            strict: false,
            absent_not_null: false,
            visited: BTreeSet::new(),
            enclosing: BTreeSet::new(),
        }
    }

    /// Rejects object members that the schema does not declare in `properties`.
    #[must_use]
    pub fn strict(mut self) -> Self {
        self.strict = true;
        self
    }

    /// Rejects `null` as the value of a member outside `required`. JSON Schema allows it when
    /// the member's type includes `null`, but the serialized types leave such a member out
    /// (`skip_serializing_if`) instead. The npm package's TypeScript declarations rely on that,
    /// because they declare the member optional and not nullable (`name?: T`).
    #[must_use]
    pub fn absent_not_null(mut self) -> Self {
        self.absent_not_null = true;
        self
    }

    /// Validates `instance` against the root schema and returns every violation, each as
    /// `path: problem` with a JSON pointer-like path such as `/jobs/0/when`.
    pub fn validate(&mut self, instance: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.check(self.root, "#", instance, "", &mut errors);
        errors
    }

    fn check(
        &mut self,
        schema: &'s Value,
        definition: &str,
        instance: &Value,
        path: &str,
        errors: &mut Vec<String>,
    ) {
        let Some(schema) = schema.as_object() else {
            errors.push(format!("{path}: schema is not an object"));
            return;
        };
        for keyword in schema.keys() {
            if !ANNOTATIONS.contains(&keyword.as_str()) && !CHECKED.contains(&keyword.as_str()) {
                errors.push(format!("{path}: unsupported schema keyword `{keyword}`"));
            }
        }

        if let Some(reference) = schema.get("$ref") {
            match self.resolve(reference) {
                Ok((name, target)) => self.check(target, &name, instance, path, errors),
                Err(error) => errors.push(format!("{path}: {error}")),
            }
        }
        if let Some(expected) = schema.get("type") {
            check_type(expected, instance, path, errors);
        }
        if let Some(constant) = schema.get("const")
            && constant != instance
        {
            errors.push(format!("{path}: expected {constant}, found {instance}"));
        }
        if let Some(Value::Array(values)) = schema.get("enum")
            && !values.contains(instance)
        {
            errors.push(format!("{path}: {instance} is not one of {values:?}"));
        }
        check_bounds(schema, instance, path, errors);
        self.check_object(schema, definition, instance, path, errors);
        if let (Some(items), Value::Array(elements)) = (schema.get("items"), instance) {
            for (index, element) in elements.iter().enumerate() {
                self.check(
                    items,
                    definition,
                    element,
                    &format!("{path}/{index}"),
                    errors,
                );
            }
        }
        if let Some(Value::Array(options)) = schema.get("anyOf") {
            let matching = self.count_matching(schema, options, definition, instance, path);
            if matching == 0 {
                errors.push(format!("{path}: {instance} matches no `anyOf` option"));
            }
        }
        if let Some(Value::Array(options)) = schema.get("oneOf") {
            let matching = self.count_matching(schema, options, definition, instance, path);
            if matching != 1 {
                errors.push(format!(
                    "{path}: {instance} matches {matching} `oneOf` options, expected 1"
                ));
            }
        }
    }

    fn check_object(
        &mut self,
        schema: &'s serde_json::Map<String, Value>,
        definition: &str,
        instance: &Value,
        path: &str,
        errors: &mut Vec<String>,
    ) {
        let Value::Object(members) = instance else {
            return;
        };
        let required: Vec<&str> = match schema.get("required") {
            Some(Value::Array(required)) => required.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for name in &required {
            if !members.contains_key(*name) {
                errors.push(format!("{path}: missing required member `{name}`"));
            }
        }
        if self.absent_not_null
            && let Some(Value::Object(properties)) = schema.get("properties")
        {
            for (name, value) in members {
                if value.is_null()
                    && properties.contains_key(name)
                    && !required.contains(&name.as_str())
                {
                    errors.push(format!(
                        "{path}/{name}: optional member is `null` instead of left out"
                    ));
                }
            }
        }
        // Only the options' own objects accept the enclosing members, not objects nested in them.
        let enclosing = std::mem::take(&mut self.enclosing);
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        if properties.is_none() && additional.is_none() {
            return;
        }
        let option_members = option_members(schema);
        for (name, value) in members {
            let member_path = format!("{path}/{name}");
            if let Some(property) = properties.and_then(|properties| properties.get(name)) {
                self.visited.insert((definition.to_owned(), name.clone()));
                self.check(property, definition, value, &member_path, errors);
            } else if let Some(additional) = additional {
                self.check(additional, definition, value, &member_path, errors);
            } else if self.strict
                && !enclosing.contains(name)
                && !option_members.contains(name.as_str())
            {
                errors.push(format!("{member_path}: member not declared in the schema"));
            }
        }
    }

    /// Counts the options `instance` is valid against, checking each on its own. Only the
    /// options that match count toward [`Validator::visited`].
    fn count_matching(
        &mut self,
        schema: &'s serde_json::Map<String, Value>,
        options: &'s [Value],
        definition: &str,
        instance: &Value,
        path: &str,
    ) -> usize {
        let mut matching = 0;
        let declared: BTreeSet<String> = match schema.get("properties") {
            Some(Value::Object(properties)) => properties.keys().cloned().collect(),
            _ => BTreeSet::new(),
        };
        for option in options {
            self.enclosing.clone_from(&declared);
            let visited = self.visited.clone();
            let mut option_errors = Vec::new();
            self.check(option, definition, instance, path, &mut option_errors);
            if option_errors.is_empty() {
                matching += 1;
            } else {
                self.visited = visited;
            }
        }
        matching
    }

    fn resolve(&self, reference: &Value) -> Result<(String, &'s Value), String> {
        let text = reference.as_str().unwrap_or_default();
        if text == "#" {
            return Ok(("#".to_owned(), self.root));
        }
        let name = text
            .strip_prefix("#/$defs/")
            .ok_or_else(|| format!("unsupported reference `{text}`"))?;
        self.root
            .get("$defs")
            .and_then(|definitions| definitions.get(name))
            .map(|target| (name.to_owned(), target))
            .ok_or_else(|| format!("reference `{text}` names no definition"))
    }
}

/// Returns the names in the `properties` of the `anyOf` and `oneOf` options of `schema`.
fn option_members(schema: &serde_json::Map<String, Value>) -> BTreeSet<&str> {
    ["anyOf", "oneOf"]
        .iter()
        .filter_map(|keyword| schema.get(*keyword).and_then(Value::as_array))
        .flatten()
        .filter_map(|option| option.get("properties").and_then(Value::as_object))
        .flat_map(|properties| properties.keys().map(String::as_str))
        .collect()
}

fn type_matches(name: &str, instance: &Value) -> bool {
    match name {
        "null" => instance.is_null(),
        "boolean" => instance.is_boolean(),
        "string" => instance.is_string(),
        "array" => instance.is_array(),
        "object" => instance.is_object(),
        "number" => instance.is_number(),
        "integer" => instance.is_i64() || instance.is_u64(),
        _ => false,
    }
}

fn check_type(expected: &Value, instance: &Value, path: &str, errors: &mut Vec<String>) {
    let names: Vec<&str> = match expected {
        Value::String(name) => vec![name.as_str()],
        Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
        _ => {
            errors.push(format!("{path}: `type` must be a string or a list"));
            return;
        }
    };
    if !names.iter().any(|name| type_matches(name, instance)) {
        errors.push(format!("{path}: expected type {names:?}, found {instance}"));
    }
}

/// Checks `minimum`, `maximum` and the integer `format`s.
fn check_bounds(
    schema: &serde_json::Map<String, Value>,
    instance: &Value,
    path: &str,
    errors: &mut Vec<String>,
) {
    let Some(number) = instance.as_f64() else {
        return;
    };
    if let Some(minimum) = schema.get("minimum").and_then(Value::as_f64)
        && number < minimum
    {
        errors.push(format!("{path}: {instance} is below the minimum {minimum}"));
    }
    if let Some(maximum) = schema.get("maximum").and_then(Value::as_f64)
        && number > maximum
    {
        errors.push(format!("{path}: {instance} is above the maximum {maximum}"));
    }
    let range = match schema.get("format").and_then(Value::as_str) {
        Some("uint8") => Some((0.0, f64::from(u8::MAX))),
        Some("uint16") => Some((0.0, f64::from(u16::MAX))),
        Some("uint32") => Some((0.0, f64::from(u32::MAX))),
        Some("int32") => Some((f64::from(i32::MIN), f64::from(i32::MAX))),
        Some("uint64" | "uint") => Some((0.0, f64::MAX)),
        Some("int64") => Some((f64::MIN, f64::MAX)),
        Some("double") => None,
        Some(other) => {
            errors.push(format!("{path}: unsupported format `{other}`"));
            None
        }
        None => None,
    };
    if let Some((low, high)) = range
        && (number < low || number > high || number.fract() != 0.0)
    {
        errors.push(format!("{path}: {instance} is outside its integer format"));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn errors(schema: &Value, instance: &Value) -> Vec<String> {
        Validator::new(schema).strict().validate(instance)
    }

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "when": {"$ref": "#/$defs/When"},
                "count": {"type": "integer", "format": "uint8", "minimum": 0},
                "name": {"type": ["string", "null"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "allow": {"anyOf": [{"type": "boolean"}, {"type": "object", "required": ["codes"]}]}
            },
            "required": ["when"],
            "$defs": {
                "When": {"oneOf": [{"const": "always"}, {"enum": ["never", "manual"]}]}
            }
        })
    }

    #[test]
    fn valid_instance_passes() {
        let instance = json!({"when": "manual", "count": 3, "name": null, "tags": ["a"],
                              "allow": {"codes": [1]}});
        assert_eq!(errors(&schema(), &instance), Vec::<String>::new());
    }

    #[test]
    fn violations_are_reported() {
        let cases = [
            (json!({}), "missing required member `when`"),
            (json!({"when": "sometimes"}), "matches 0 `oneOf` options"),
            (
                json!({"when": "always", "count": 300}),
                "outside its integer format",
            ),
            (json!({"when": "always", "count": -1}), "below the minimum"),
            (json!({"when": "always", "name": 1}), "expected type"),
            (
                json!({"when": "always", "tags": [1]}),
                "/tags/0: expected type",
            ),
            (
                json!({"when": "always", "allow": "yes"}),
                "matches no `anyOf` option",
            ),
            (
                json!({"when": "always", "extra": 1}),
                "/extra: member not declared",
            ),
        ];
        for (instance, expected) in cases {
            let found = errors(&schema(), &instance);
            assert!(
                found.iter().any(|error| error.contains(expected)),
                "{instance}: expected `{expected}` in {found:?}"
            );
        }
    }

    #[test]
    fn double_format_takes_fractions() {
        let schema = json!({"type": "number", "format": "double"});
        assert_eq!(errors(&schema, &json!(0.25)), Vec::<String>::new());
        assert_eq!(errors(&schema, &json!(3)), Vec::<String>::new());
        let found = errors(&schema, &json!("0.25"));
        assert!(
            found.iter().any(|error| error.contains("expected type")),
            "{found:?}"
        );
    }

    #[test]
    fn optional_null_rejected_on_request() {
        let instance = json!({"when": "always", "name": null});
        assert!(errors(&schema(), &instance).is_empty());
        let found = Validator::new(&schema())
            .strict()
            .absent_not_null()
            .validate(&instance);
        assert_eq!(
            found,
            vec!["/name: optional member is `null` instead of left out".to_owned()]
        );
    }

    #[test]
    fn required_null_still_accepted() {
        let schema = json!({
            "type": "object",
            "properties": {"value": {"type": ["string", "null"]}},
            "required": ["value"]
        });
        let found = Validator::new(&schema)
            .absent_not_null()
            .validate(&json!({"value": null}));
        assert_eq!(found, Vec::<String>::new());
    }

    #[test]
    fn lenient_mode_allows_extra_members() {
        let instance = json!({"when": "always", "extra": 1});
        assert!(Validator::new(&schema()).validate(&instance).is_empty());
    }

    #[test]
    fn unsupported_keyword_is_an_error() {
        let schema = json!({"type": "string", "pattern": "^a"});
        let found = errors(&schema, &json!("a"));
        assert!(
            found.iter().any(|error| error.contains("`pattern`")),
            "{found:?}"
        );
    }

    #[test]
    fn unknown_reference_is_an_error() {
        let schema = json!({"$ref": "#/$defs/Missing"});
        let found = errors(&schema, &json!(1));
        assert!(
            found
                .iter()
                .any(|error| error.contains("names no definition")),
            "{found:?}"
        );
    }

    #[test]
    fn visited_members_are_recorded() {
        let schema = schema();
        let mut validator = Validator::new(&schema);
        validator.validate(&json!({"when": "always", "tags": []}));
        assert!(
            validator
                .visited
                .contains(&("#".to_owned(), "tags".to_owned()))
        );
        assert!(
            !validator
                .visited
                .contains(&("#".to_owned(), "count".to_owned()))
        );
    }

    #[test]
    fn additional_properties_checks_every_member() {
        let schema = json!({"type": "object", "additionalProperties": {"type": "string"}});
        assert_eq!(errors(&schema, &json!({"a": "x"})), Vec::<String>::new());
        let found = errors(&schema, &json!({"a": 1}));
        assert!(
            found
                .iter()
                .any(|error| error.contains("/a: expected type")),
            "{found:?}"
        );
    }

    /// Builds the schema shape schemars gives a struct with a flattened, internally tagged
    /// enum.
    fn flattened() -> Value {
        json!({
            "type": "object",
            "properties": {"runner": {"type": "string"}},
            "required": ["runner"],
            "oneOf": [
                {"type": "object", "properties": {"reason": {"const": "paused"}},
                 "required": ["reason"]},
                {"type": "object",
                 "properties": {"reason": {"const": "missing_tags"}, "tags": {"type": "array"}},
                 "required": ["reason", "tags"]}
            ]
        })
    }

    #[test]
    fn flattened_enum_members_are_declared() {
        let schema = flattened();
        let paused = json!({"runner": "a", "reason": "paused"});
        assert_eq!(errors(&schema, &paused), Vec::<String>::new());
        let missing = json!({"runner": "a", "reason": "missing_tags", "tags": []});
        assert_eq!(errors(&schema, &missing), Vec::<String>::new());
    }

    #[test]
    fn flattened_enum_rejects_other_members() {
        let schema = flattened();
        let cases = [
            json!({"runner": "a", "reason": "paused", "tags": []}),
            json!({"runner": "a", "reason": "paused", "extra": 1}),
            json!({"runner": "a", "reason": "missing_tags"}),
        ];
        for instance in cases {
            assert!(!errors(&schema, &instance).is_empty(), "{instance} passed");
        }
    }
}
