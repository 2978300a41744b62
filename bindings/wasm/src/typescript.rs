//! The TypeScript declarations of the package, generated from JSON Schemas of the Rust types.
//!
//! The schemas come from `schemars`: the argument types of this crate for deserialization,
//! the result types for serialization, and `docs/plan.schema.json` for the pipeline, which the
//! core keeps equal to its `Pipeline` type with a test of its own. [`declarations`] turns them
//! into `export interface` and `export type` items; wasm-bindgen appends the checked-in copy,
//! `types.d.ts`, to the package's `.d.ts` files. [`declarations_up_to_date`] fails when that copy
//! differs from the types; run it with `GLPLAN_UPDATE_TYPES=1` to rewrite the file.
//!
//! The generator covers the schema keywords these types produce: `$ref`, `type` (one or a
//! list), `properties` with `required`, `additionalProperties`, `items`, `enum`, `const`,
//! `oneOf`, `anyOf` and `allOf`, with `description` as doc comments.
//!
//! A member outside `required` becomes an optional member (`name?: T`). In the result schemas,
//! which schemars generates for serialization, such a member is a field with
//! `skip_serializing_if`. With the predicates the result types use (`Option::is_none`,
//! `Vec::is_empty`, `std::ops::Not::not` and the like), the field is either left out or
//! written as a value other than `null`. So the generator drops the `null` that schemars adds
//! to the type of an optional `Option` member of a result, and TypeScript does not make
//! callers check for a value that never occurs. The tests crate validates real plan and
//! schedule outputs with `Validator::absent_not_null`, which fails when an optional member is
//! `null`. The argument's schema keeps that `null`, because serde reads `null` as `None` for an
//! `Option` field.
//!
//! A map in the argument (`files`, `variables` and the like) is declared as `MapLike<T>`, a
//! plain object or a JavaScript `Map`, because the functions read a `Map` wherever they read
//! an object with arbitrary keys.
//!
//! TypeScript also lets a caller set an optional member to `undefined`. The functions drop such
//! members before reading the argument, so `undefined` means "not given", as in JSON.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::input::Input;
use crate::output::{ConfigResult, Diagnostic, ExplainResult, PlanResult, ScheduleResult};

/// A field holding the pipeline's JSON: its schema is `docs/plan.schema.json`.
pub struct PipelineRef;

impl JsonSchema for PipelineRef {
    fn schema_name() -> Cow<'static, str> {
        "Pipeline".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"$ref": "#/$defs/Pipeline"})
    }
}

/// An entry of the schedule's `diagnostics`: an entry of the pipeline's `diagnostics`, declared
/// in `docs/plan.schema.json`, with `trigger_jobs` for a child pipeline's diagnostic.
pub struct ScheduleDiagnosticRef;

impl JsonSchema for ScheduleDiagnosticRef {
    fn schema_name() -> Cow<'static, str> {
        "ScheduleDiagnostic".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "allOf": [
                {"$ref": "#/$defs/PlanDiagnostic"},
                {
                    "type": "object",
                    "properties": {
                        "trigger_jobs": {
                            "description": "For a child pipeline's diagnostic, the trigger \
                                jobs above it, such as `[\"deploy\"]`.",
                            "type": "array",
                            "items": {"type": "string"}
                        }
                    }
                }
            ]
        })
    }
}

/// A field holding a created job from `docs/plan.schema.json`.
pub struct PlannedJobRef;

impl JsonSchema for PlannedJobRef {
    fn schema_name() -> Cow<'static, str> {
        "PlannedJob".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"$ref": "#/$defs/PlannedJob"})
    }
}

/// A field holding an absent job from `docs/plan.schema.json`.
pub struct AbsentJobRef;

impl JsonSchema for AbsentJobRef {
    fn schema_name() -> Cow<'static, str> {
        "AbsentJob".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"$ref": "#/$defs/AbsentJob"})
    }
}

// The core builds the JSON of `explain` from borrowed pipeline parts, so this type exists for
// its schema only; `explanation_fields_match` checks that it names the same fields.
/// One job's trace, as `glplan explain --format json` prints it.
#[derive(Serialize, JsonSchema)]
pub struct Explanation {
    /// The pipeline's format version, as in `plan`.
    version: u32,
    /// The pipeline source (`CI_PIPELINE_SOURCE`).
    source: String,
    /// The branch or tag (`CI_COMMIT_REF_NAME`).
    #[serde(rename = "ref")]
    ref_name: String,
    /// Whether GitLab creates the pipeline.
    created: bool,
    /// The job, when GitLab creates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    job: Option<PlannedJobRef>,
    /// The job, when GitLab leaves it out, with the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    absent: Option<AbsentJobRef>,
    /// The jobs of earlier stages a stage-scheduled job waits for.
    waits_for: Vec<String>,
    /// The jobs that list this one in `needs`.
    needed_by: Vec<String>,
    /// The stage-scheduled jobs of later stages that wait for this one.
    waited_for_by: Vec<String>,
    /// For a job of a child pipeline (named as in `deploy/rspec`), the trigger job that
    /// creates that pipeline, with the trigger jobs above it in front, as in `deploy/inner`.
    /// `source`, `ref` and `created` are then the child pipeline's.
    #[serde(skip_serializing_if = "Option::is_none")]
    trigger: Option<String>,
    /// For a job of a child pipeline, the names of the trigger jobs from the top pipeline down,
    /// such as `["deploy", "inner"]`: the array that `explain` takes, without the job's name.
    /// Unlike `trigger`, it keeps a name that contains `/` apart. Absent for the top pipeline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    trigger_jobs: Vec<String>,
    /// The manual jobs among the trigger jobs that lead to the job's child pipeline, outermost
    /// first and named as `trigger` is. GitLab creates that pipeline only once each of them is
    /// played. Absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    manual_triggers: Vec<String>,
}

impl Serialize for PlannedJobRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl Serialize for AbsentJobRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

/// Which way the JSON of a schema travels, which decides what an optional member can contain.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Direction {
    /// The argument of a function: an optional `Option` member may be absent or `null`, and a
    /// map may be a `Map`.
    Argument,
    /// A result: an optional member is absent, never `null`.
    Result,
}

/// The named schemas to declare, in order, with the first name of a schema winning.
#[derive(Default)]
struct Definitions {
    items: Vec<(String, Value)>,
}

impl Definitions {
    fn add(&mut self, name: &str, schema: Value) {
        if let Some((_, existing)) = self.items.iter().find(|(n, _)| n == name) {
            // Two sources name the same type (the core's `Severity` and the plan schema's
            // mirror of it); their schemas must agree apart from the descriptions.
            assert_eq!(
                without_descriptions(existing),
                without_descriptions(&schema),
                "two schemas named `{name}` differ"
            );
            return;
        }
        self.items.push((name.to_owned(), schema));
    }

    /// Adds a root schema under `name` and its `$defs`. A reference to the root itself (`#`,
    /// as in the pipeline's `downstream` pipeline) becomes a reference to `name`.
    fn add_root(&mut self, name: &str, mut root: Value, direction: Direction) {
        name_root_references(&mut root, name);
        match direction {
            Direction::Argument => mark_maps(&mut root),
            Direction::Result => drop_null_of_optional_members(&mut root),
        }
        let defs = root
            .as_object_mut()
            .and_then(|object| object.remove("$defs"))
            .unwrap_or_default();
        if let Some(object) = root.as_object_mut() {
            object.remove("$schema");
            object.remove("title");
        }
        self.add(name, root);
        if let Value::Object(defs) = defs {
            for (def_name, schema) in defs {
                self.add(&def_name, schema);
            }
        }
    }
}

/// Rewrites every reference to the document's root (`#`) in `schema` as a reference to the
/// definition `name`, because the declarations merge several documents into one namespace.
fn name_root_references(schema: &mut Value, name: &str) {
    match schema {
        Value::Object(object) => {
            if object.get("$ref").and_then(Value::as_str) == Some("#") {
                object.insert("$ref".to_owned(), format!("#/$defs/{name}").into());
            }
            for value in object.values_mut() {
                name_root_references(value, name);
            }
        }
        Value::Array(items) => {
            for item in items {
                name_root_references(item, name);
            }
        }
        _ => {}
    }
}

/// The annotation that [`mark_maps`] adds to a map of the argument, so that [`type_of`]
/// declares it as `MapLike<T>`.
const MAP_LIKE: &str = "x-map-like";

/// Marks every object with arbitrary keys and no named members in `schema`, and in every
/// schema nested in it, with [`MAP_LIKE`].
fn mark_maps(schema: &mut Value) {
    let Value::Object(object) = schema else {
        return;
    };
    let is_object = match object.get("type") {
        Some(Value::String(kind)) => kind == "object",
        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "object"),
        _ => false,
    };
    let has_extra = object
        .get("additionalProperties")
        .is_some_and(|extra| extra != &Value::Bool(false));
    if is_object && has_extra && !object.contains_key("properties") {
        object.insert(MAP_LIKE.to_owned(), Value::Bool(true));
    }

    for_each_subschema(object, mark_maps);
}

/// Drops `null` from the type of every member outside `required`, in `schema` and in every
/// schema nested in it. Only for result schemas: see the module documentation.
fn drop_null_of_optional_members(schema: &mut Value) {
    let Value::Object(object) = schema else {
        return;
    };
    let required: Vec<String> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        for (name, property) in properties.iter_mut() {
            if !required.contains(name) {
                drop_null(property);
            }
        }
    }

    for_each_subschema(object, drop_null_of_optional_members);
}

/// Calls `visit` on each schema nested directly in the schema `object`: its members,
/// definitions, `items`, `additionalProperties` and the options of `anyOf`, `oneOf` and `allOf`.
fn for_each_subschema(object: &mut Map<String, Value>, visit: fn(&mut Value)) {
    for key in ["properties", "$defs"] {
        if let Some(Value::Object(children)) = object.get_mut(key) {
            children.values_mut().for_each(visit);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = object.get_mut(key) {
            visit(child);
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(children)) = object.get_mut(key) {
            children.iter_mut().for_each(visit);
        }
    }
}

/// Removes `null` from the values a schema allows: from a list of `type`s, from `enum`, and
/// the `null` option of `anyOf` or `oneOf`, whose one remaining option then replaces them.
fn drop_null(schema: &mut Value) {
    let Value::Object(object) = schema else {
        return;
    };
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|kind| kind != "null");
        if let [single] = types.as_slice() {
            let single = single.clone();
            object.insert("type".to_owned(), single);
        }
    }
    if let Some(Value::Array(values)) = object.get_mut("enum") {
        values.retain(|value| !value.is_null());
    }
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(options)) = object.get_mut(key) else {
            continue;
        };
        options.retain(|option| !is_null_schema(option));
        if let [Value::Object(option)] = options.as_slice() {
            let option = option.clone();
            object.remove(key);
            for (keyword, value) in option {
                object.entry(keyword).or_insert(value);
            }
        }
    }
}

/// Returns true when `schema` allows `null` and nothing else.
fn is_null_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
        || schema.get("const") == Some(&Value::Null)
}

fn without_descriptions(value: &Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .iter()
                .filter(|(key, _)| key.as_str() != "description")
                .map(|(key, item)| (key.clone(), without_descriptions(item)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_descriptions).collect()),
        other => other.clone(),
    }
}

fn plan_schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/plan.schema.json")
}

fn types_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("types.d.ts")
}

/// Generates the declarations of every argument and result type.
pub fn declarations() -> String {
    let mut definitions = Definitions::default();

    let mut reader = SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator();
    definitions.add_root(
        "Input",
        reader.root_schema_for::<Input>().to_value(),
        Direction::Argument,
    );

    let mut writer = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    definitions.add_root(
        "Diagnostic",
        writer.root_schema_for::<Diagnostic>().to_value(),
        Direction::Result,
    );
    definitions.add_root(
        "ConfigResult",
        writer.root_schema_for::<ConfigResult>().to_value(),
        Direction::Result,
    );
    definitions.add_root(
        "PlanResult",
        writer.root_schema_for::<PlanResult>().to_value(),
        Direction::Result,
    );
    definitions.add_root(
        "ExplainResult",
        writer.root_schema_for::<ExplainResult>().to_value(),
        Direction::Result,
    );
    definitions.add_root(
        "ScheduleResult",
        writer.root_schema_for::<ScheduleResult>().to_value(),
        Direction::Result,
    );

    let text = std::fs::read_to_string(plan_schema_path()).unwrap();
    let mut pipeline: Value = serde_json::from_str(&text).unwrap();
    add_runner_fields(&mut pipeline);
    definitions.add_root("Pipeline", pipeline, Direction::Result);
    definitions.add_root(
        "JobRunners",
        writer
            .root_schema_for::<glplan::report::JobRunners<'_>>()
            .to_value(),
        Direction::Result,
    );
    definitions.add_root(
        "Fleet",
        writer.root_schema_for::<glplan::fleet::Fleet>().to_value(),
        Direction::Result,
    );

    // The core's `FileId` describes itself in terms of the core's source map, which the
    // package does not expose.
    if let Some((_, file_id)) = definitions
        .items
        .iter_mut()
        .find(|(name, _)| name == "FileId")
    {
        file_id["description"] = "Index of the file among the files the call read.".into();
    }

    let mut out = String::from(
        "// Generated from the Rust types by `cargo test -p glplan-wasm typescript`; do not edit.\n",
    );
    out.push_str(
        "\n/**\n * A map with string keys: a plain object or a `Map`.\n */\n\
         export type MapLike<T> = { [key: string]: T } | Map<string, T>;\n",
    );
    for (name, schema) in &definitions.items {
        out.push('\n');
        declare(&mut out, name, schema);
    }
    out
}

/// Adds to the plan schema the optional fields that `plan` writes with runner files
/// (`glplan::report::add_runners`): the pipeline's `fleet` and each created job's `runners`.
fn add_runner_fields(pipeline: &mut Value) {
    pipeline["properties"]["fleet"] = serde_json::json!({
        "description": "The hosts and runners of the runner files; only with runner files.",
        "$ref": "#/$defs/Fleet",
    });
    pipeline["$defs"]["PlannedJob"]["properties"]["runners"] = serde_json::json!({
        "description": "The runners that can take the job, and why the others cannot; only \
            with runner files.",
        "$ref": "#/$defs/JobRunners",
    });
}

fn declare(out: &mut String, name: &str, schema: &Value) {
    doc_comment(out, schema, "");
    let is_interface = schema.get("properties").is_some()
        && schema.get("oneOf").is_none()
        && schema.get("anyOf").is_none();
    if is_interface {
        let _ = write!(out, "export interface {name} ");
        object_type(out, schema, "");
        out.push('\n');
    } else {
        let _ = writeln!(out, "export type {name} = {};", type_of(schema, ""));
    }
}

fn doc_comment(out: &mut String, schema: &Value, indent: &str) {
    let Some(description) = schema.get("description").and_then(Value::as_str) else {
        return;
    };
    let _ = writeln!(out, "{indent}/**");
    for line in description.lines() {
        let line = line.replace("*/", "*\\/");
        if line.is_empty() {
            let _ = writeln!(out, "{indent} *");
        } else {
            let _ = writeln!(out, "{indent} * {line}");
        }
    }
    let _ = writeln!(out, "{indent} */");
}

/// Writes `{ ... }` for an object schema with properties.
fn object_type(out: &mut String, schema: &Value, indent: &str) {
    let empty = Map::new();
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let inner = format!("{indent}  ");
    out.push_str("{\n");
    for (key, property) in properties {
        doc_comment(out, property, &inner);
        let optional = if required.contains(&key.as_str()) {
            ""
        } else {
            "?"
        };
        let _ = writeln!(
            out,
            "{inner}{}{optional}: {};",
            property_name(key),
            type_of(property, &inner)
        );
    }
    if let Some(extra) = schema.get("additionalProperties")
        && extra != &Value::Bool(false)
    {
        let _ = writeln!(out, "{inner}[key: string]: {};", type_of(extra, &inner));
    }
    let _ = write!(out, "{indent}}}");
}

fn property_name(key: &str) -> String {
    let plain = key.chars().enumerate().all(|(i, c)| {
        c == '_' || c == '$' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
    });
    if plain && !key.is_empty() {
        key.to_owned()
    } else {
        serde_json::to_string(key).unwrap()
    }
}

/// Returns the TypeScript type of a schema used inline.
fn type_of(schema: &Value, indent: &str) -> String {
    let Value::Object(object) = schema else {
        // `true` accepts anything; `false` nothing.
        return if schema == &Value::Bool(false) {
            "never"
        } else {
            "unknown"
        }
        .to_owned();
    };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        return reference.rsplit('/').next().unwrap_or("unknown").to_owned();
    }
    if let Some(value) = object.get("const") {
        return serde_json::to_string(value).unwrap();
    }
    if let Some(Value::Array(values)) = object.get("enum") {
        let literals: Vec<String> = values
            .iter()
            .map(|value| serde_json::to_string(value).unwrap())
            .collect();
        return literals.join(" | ");
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(variants)) = object.get(key) {
            let mut base = object.clone();
            base.remove(key);
            base.remove("description");
            let union = union(variants.iter().map(|variant| type_of(variant, indent)));
            if base.contains_key("properties") {
                let mut out = String::new();
                object_type(&mut out, &Value::Object(base), indent);
                return format!("{out} & ({union})");
            }
            return union;
        }
    }
    if let Some(Value::Array(parts)) = object.get("allOf") {
        let parts: Vec<String> = parts.iter().map(|part| type_of(part, indent)).collect();
        return parts.join(" & ");
    }
    match object.get("type") {
        Some(Value::Array(types)) => union(types.iter().map(|kind| {
            let mut single = object.clone();
            single.insert("type".to_owned(), kind.clone());
            type_of(&Value::Object(single), indent)
        })),
        Some(Value::String(kind)) => match kind.as_str() {
            "string" => "string".to_owned(),
            "integer" | "number" => "number".to_owned(),
            "boolean" => "boolean".to_owned(),
            "null" => "null".to_owned(),
            "array" => {
                let items = object
                    .get("items")
                    .map_or("unknown".to_owned(), |items| type_of(items, indent));
                if items.contains(' ') && !items.starts_with('{') {
                    format!("({items})[]")
                } else {
                    format!("{items}[]")
                }
            }
            "object" if object.contains_key("properties") => {
                let mut out = String::new();
                object_type(&mut out, schema, indent);
                out
            }
            "object" => {
                let values = object
                    .get("additionalProperties")
                    .map_or("unknown".to_owned(), |extra| type_of(extra, indent));
                if object.get(MAP_LIKE) == Some(&Value::Bool(true)) {
                    format!("MapLike<{values}>")
                } else {
                    format!("{{ [key: string]: {values} }}")
                }
            }
            _ => "unknown".to_owned(),
        },
        _ => "unknown".to_owned(),
    }
}

fn union(types: impl Iterator<Item = String>) -> String {
    let mut seen: Vec<String> = Vec::new();
    for kind in types {
        if !seen.contains(&kind) {
            seen.push(kind);
        }
    }
    seen.join(" | ")
}

#[test]
fn declarations_up_to_date() {
    let generated = declarations();
    let path = types_path();
    if std::env::var_os("GLPLAN_UPDATE_TYPES").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{} is out of date; run `GLPLAN_UPDATE_TYPES=1 cargo test -p glplan-wasm typescript`",
        path.display()
    );
}

#[test]
fn declarations_name_no_rust_items() {
    let generated = declarations();
    for rust_only in ["[`", "crate::", "Mirror of", "Only its JSON Schema"] {
        let lines: Vec<&str> = generated
            .lines()
            .filter(|line| line.contains(rust_only))
            .collect();
        assert!(lines.is_empty(), "`{rust_only}` in {lines:?}");
    }
}

#[test]
fn explanation_fields_match() {
    let files = glplan::MemoryFiles::new()
        .with_file(
            ".gitlab-ci.yml",
            "a: {script: x}\nb: {script: x, rules: [{when: never}]}\n\
             t: {trigger: {include: child.yml}}\n",
        )
        .with_file("child.yml", "c: {script: x}\n");
    let context = glplan::context::PipelineContext::default();
    let (_, pipeline) = glplan::pipeline::plan(
        ".gitlab-ci.yml",
        &files,
        &context,
        &glplan::pipeline::PlanOptions::default(),
    );
    let pipeline = pipeline.unwrap();
    let schema = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<Explanation>()
        .to_value();
    let declared: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    for name in ["a", "b", "t/c"] {
        let found = glplan::report::find_nested(&pipeline, name).unwrap();
        let value = serde_json::to_value(glplan::report::Explanation::of_found(&found)).unwrap();
        for key in value.as_object().unwrap().keys() {
            assert!(declared.contains(&key), "field `{key}` is not declared");
        }
    }
    let required = schema["required"].as_array().unwrap();
    let created = glplan::report::find(&pipeline, "a").unwrap();
    let value = glplan::report::explanation(&pipeline, &created).unwrap();
    for key in required {
        assert!(
            value.get(key.as_str().unwrap()).is_some(),
            "missing `{key}`"
        );
    }
}

#[test]
fn type_of_cases() {
    let cases = [
        (
            serde_json::json!({"type": ["string", "null"]}),
            "string | null",
        ),
        (
            serde_json::json!({"type": "array", "items": {"$ref": "#/$defs/A"}}),
            "A[]",
        ),
        (
            serde_json::json!({"type": "array", "items": {"type": ["string", "null"]}}),
            "(string | null)[]",
        ),
        (serde_json::json!({"enum": ["a", "b"]}), "\"a\" | \"b\""),
        (
            serde_json::json!({"type": "object", "additionalProperties": {"type": "string"}}),
            "{ [key: string]: string }",
        ),
        (serde_json::json!(true), "unknown"),
        (serde_json::json!({"const": 3}), "3"),
    ];
    for (schema, expected) in cases {
        assert_eq!(type_of(&schema, ""), expected, "{schema}");
    }
}

#[test]
fn definitions_reject_conflicting_names() {
    let result = std::panic::catch_unwind(|| {
        let mut definitions = Definitions::default();
        definitions.add("A", serde_json::json!({"type": "string"}));
        definitions.add("A", serde_json::json!({"type": "number"}));
    });
    assert!(result.is_err());
}

#[test]
fn map_is_index_signature() {
    let schema = SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator()
        .into_root_schema_for::<BTreeMap<String, String>>()
        .to_value();
    assert_eq!(type_of(&schema, ""), "{ [key: string]: string }");
}

#[test]
fn optional_result_members_drop_null() {
    let mut schema = serde_json::json!({
        "type": "object",
        "properties": {
            "name": {"type": ["string", "null"]},
            "location": {
                "description": "Where.",
                "anyOf": [{"$ref": "#/$defs/Location"}, {"type": "null"}]
            },
            "config": {"type": ["object", "null"]},
            "either": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}
        },
        "required": ["config"],
        "$defs": {
            "Location": {
                "type": "object",
                "properties": {"line": {"type": ["integer", "null"]}}
            }
        }
    });
    drop_null_of_optional_members(&mut schema);
    let properties = &schema["properties"];
    assert_eq!(properties["name"], serde_json::json!({"type": "string"}));
    assert_eq!(
        properties["location"],
        serde_json::json!({"description": "Where.", "$ref": "#/$defs/Location"})
    );
    assert_eq!(
        properties["config"],
        serde_json::json!({"type": ["object", "null"]})
    );
    assert_eq!(type_of(&properties["either"], ""), "string | number");
    assert_eq!(
        schema["$defs"]["Location"]["properties"]["line"],
        serde_json::json!({"type": "integer"})
    );
}

#[test]
fn root_reference_names_root() {
    let mut definitions = Definitions::default();
    let root = serde_json::json!({
        "type": "object",
        "properties": {"child": {"$ref": "#/$defs/Child"}},
        "$defs": {
            "Child": {"type": "object", "properties": {"parent": {"$ref": "#"}}}
        }
    });
    definitions.add_root("Tree", root, Direction::Result);
    let (_, child) = definitions
        .items
        .iter()
        .find(|(name, _)| name == "Child")
        .unwrap();
    assert_eq!(type_of(&child["properties"]["parent"], ""), "Tree");
}

/// Lines of the declarations that show how results mark members left out (`?`) and members
/// written as `null` (`| null`), one of each kind of schema.
#[test]
fn results_separate_absent_from_null() {
    let declarations = declarations();
    let expected = [
        // Option with skip_serializing_if: absent, never null.
        "  location?: Location;\n",
        "  help?: string;\n",
        "  runner?: string;\n",
        "  needs?: NeedEdge[];\n",
        "  downstream?: Pipeline;\n",
        // Option without it: always present, `null` when empty.
        "  pipeline: Pipeline | null;\n",
        "  schedule: Schedule | null;\n",
        "  value: string | null;\n",
        "  executor: Executor | null;\n",
        // The argument: an Option member may be absent or null, other members only absent.
        "  entry?: string | null;\n",
        "  changed?: string[] | null;\n",
        "  files?: MapLike<string>;\n",
        "  projects?: MapLike<MapLike<string>>;\n",
        "  templates?: MapLike<string> | null;\n",
        // Maps of results stay plain objects.
        "  node_selector?: { [key: string]: string };\n",
    ];
    for line in expected {
        assert!(declarations.contains(line), "missing line {line:?}");
    }
}

/// Each member of the argument accepts `null` exactly when its declaration includes `| null`,
/// and every member may be left out.
#[test]
fn argument_null_matches_declarations() {
    let schema = SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator()
        .into_root_schema_for::<Input>()
        .to_value();
    let context = &schema["$defs"]["ContextInput"];
    for (object, parent) in [(&schema, None), (context, Some("context"))] {
        assert!(object.get("required").is_none(), "{object}");
        for (name, property) in object["properties"].as_object().unwrap() {
            let mut argument = serde_json::json!({ name: null });
            if let Some(parent) = parent {
                argument = serde_json::json!({ parent: argument });
            }
            let declared = type_of(property, "");
            let nullable = declared.split(" | ").any(|part| part == "null");
            let result = Input::from_json(argument.clone());
            assert_eq!(
                result.is_ok(),
                nullable,
                "{argument} is declared as `{declared}` but returns {:?}",
                result.err()
            );
        }
    }
    assert!(Input::from_json(serde_json::json!({})).is_ok());
    assert!(Input::from_json(serde_json::json!({"context": {}})).is_ok());
}

#[test]
fn argument_maps_accept_map() {
    let mut schema = serde_json::json!({
        "type": "object",
        "properties": {
            "files": {"type": "object", "additionalProperties": {"type": "string"}},
            "remote": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
            "context": {"type": "object", "properties": {"ref": {"type": "string"}}},
            "closed": {"type": "object", "additionalProperties": false}
        }
    });
    mark_maps(&mut schema);
    let properties = &schema["properties"];
    assert_eq!(type_of(&properties["files"], ""), "MapLike<string>");
    assert_eq!(type_of(&properties["remote"], ""), "MapLike<string> | null");
    assert!(properties["context"].get(MAP_LIKE).is_none());
    assert!(properties["closed"].get(MAP_LIKE).is_none());
    assert!(schema.get(MAP_LIKE).is_none());
}
