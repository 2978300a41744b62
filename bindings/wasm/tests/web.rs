//! The exported functions called through wasm-bindgen, as JavaScript calls them: under Node.js
//! with `cargo test -p glplan-wasm --target wasm32-unknown-unknown`, and in headless Chromium
//! with `WASM_BINDGEN_USE_BROWSER=1` as well.

#![cfg(target_arch = "wasm32")]
// Clippy treats `#[wasm_bindgen_test]` functions as library code, not as tests.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use glplan_wasm::{explain, lint, plan, resolve_config, schedule, version};
use js_sys::{Array, Error, Function, JSON, Map, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

/// Parses JSON text into a JavaScript value.
fn js(text: &str) -> JsValue {
    JSON::parse(text).unwrap()
}

fn get(value: &JsValue, path: &str) -> JsValue {
    let mut current = value.clone();
    for key in path.split('.') {
        current = match key.parse::<u32>() {
            Ok(index) => Reflect::get_u32(&current, index).unwrap(),
            Err(_) => Reflect::get(&current, &JsValue::from_str(key)).unwrap(),
        };
    }
    current
}

fn error_message(result: Result<JsValue, wasm_bindgen::JsError>) -> String {
    let value: JsValue = result.unwrap_err().into();
    let error: Error = value.dyn_into().unwrap();
    error.message().into()
}

const PIPELINE: &str = r#"{".gitlab-ci.yml": "stages: [build, test]\nbuild: {stage: build, script: make}\ntest: {stage: test, script: make test, needs: [build]}\nrelease: {stage: test, script: x, rules: [{if: $CI_COMMIT_TAG}]}\n"}"#;

#[wasm_bindgen_test]
fn lint_returns_plain_objects() {
    let input = js(r#"{"files": {".gitlab-ci.yml": "a:\n  stage: biuld\n  script: x\n"}}"#);
    let diagnostics = lint(input).unwrap();
    assert!(Array::is_array(&diagnostics));
    assert_eq!(get(&diagnostics, "0.code"), "unknown-stage");
    assert_eq!(get(&diagnostics, "0.location.start.line"), 2);
    assert_eq!(get(&diagnostics, "0.location.file"), ".gitlab-ci.yml");
}

#[wasm_bindgen_test]
fn lint_utf16_column_after_emoji() {
    // The emoji before `nope` is one character, two UTF-16 units and four bytes.
    let input = js(
        r#"{"files": {".gitlab-ci.yml": "j: {variables: {A: \"😀\"}, stage: nope, script: x}\n"}}"#,
    );
    let diagnostics = lint(input).unwrap();
    assert_eq!(get(&diagnostics, "0.location.start.column"), 33);
    assert_eq!(get(&diagnostics, "0.location.start.column_utf16"), 34);
    assert_eq!(get(&diagnostics, "0.location.start.offset"), 35);
}

#[wasm_bindgen_test]
fn lint_accepts_map_of_files() {
    let files = Map::new();
    files.set(&".gitlab-ci.yml".into(), &"include: ci/a.yml\n".into());
    files.set(&"ci/a.yml".into(), &"a: {script: x, stage: nope}\n".into());
    let input = Object::new();
    Reflect::set(&input, &"files".into(), &files).unwrap();
    let diagnostics = lint(input.into()).unwrap();
    assert_eq!(get(&diagnostics, "0.location.file"), "ci/a.yml");
}

#[wasm_bindgen_test]
fn lint_accepts_nested_maps() {
    let project_files = Map::new();
    project_files.set(&"ci.yml".into(), &"b: {script: x, stage: nope}\n".into());
    let projects = Map::new();
    projects.set(&"group/tools".into(), &project_files);
    let input =
        js(r#"{"files": {".gitlab-ci.yml": "include: {project: group/tools, file: ci.yml}\n"}}"#);
    Reflect::set(&input, &"projects".into(), &projects).unwrap();
    let diagnostics = lint(input).unwrap();
    assert_eq!(get(&diagnostics, "0.code"), "unknown-stage");
    assert_eq!(
        get(&diagnostics, "0.location.file"),
        "group/tools:HEAD:ci.yml"
    );
}

#[wasm_bindgen_test]
fn lint_missing_entry_throws_error() {
    let input = js(r#"{"files": {"a.yml": ""}}"#);
    assert_eq!(
        error_message(lint(input)),
        "entry file `.gitlab-ci.yml` is not in `files`; its paths are a.yml"
    );
}

#[wasm_bindgen_test]
fn lint_wrong_type_throws_error() {
    let input = js(r#"{"files": {".gitlab-ci.yml": 3}}"#);
    let message = error_message(lint(input));
    assert!(
        message.starts_with("invalid argument `files[\".gitlab-ci.yml\"]`: "),
        "{message}"
    );
}

/// Returns `{files: {".gitlab-ci.yml": ...}, inputs: {n: value}}` for `spec:inputs` with a
/// number input `n` that has a default, so a dropped value would pass unnoticed.
fn input_with(value: &JsValue) -> JsValue {
    let input = js(r#"{"files": {".gitlab-ci.yml":
        "spec:\n  inputs:\n    n: {type: number, default: 1}\n---\na: {script: echo $[[ inputs.n ]]}\n"}}"#);
    let inputs = Object::new();
    Reflect::set(&inputs, &JsValue::from_str("n"), value).unwrap();
    Reflect::set(&input, &JsValue::from_str("inputs"), &inputs).unwrap();
    input
}

#[wasm_bindgen_test]
fn non_json_values_throw_with_path() {
    let function = Function::new_no_args("return 1");
    let bigint = js_sys::BigInt::new(&JsValue::from_str("1180591620717411303424")).unwrap();
    let cases: [(JsValue, &str); 7] = [
        (JsValue::from_f64(f64::NAN), "NaN is not a JSON number"),
        (
            JsValue::from_f64(f64::INFINITY),
            "Infinity is not a JSON number",
        ),
        (
            JsValue::from_f64(f64::NEG_INFINITY),
            "-Infinity is not a JSON number",
        ),
        (
            js_sys::Symbol::for_("x").into(),
            "a symbol is not a JSON value",
        ),
        (function.into(), "a function is not a JSON value"),
        (
            js_sys::Uint8Array::new_with_length(2).into(),
            "a Uint8Array is not a JSON value",
        ),
        (
            bigint.into(),
            "the bigint is outside the range of 64-bit integers",
        ),
    ];
    for (value, expected) in cases {
        let message = error_message(plan(input_with(&value)));
        assert!(
            message.starts_with(&format!("invalid argument `inputs.n`: {expected}")),
            "{message}"
        );
    }
}

#[wasm_bindgen_test]
fn map_number_key_throws_error() {
    let files = Map::new();
    files.set(
        &JsValue::from_f64(1.0),
        &JsValue::from_str("a: {script: x}\n"),
    );
    let input = Object::new();
    Reflect::set(&input, &JsValue::from_str("files"), &files).unwrap();
    assert_eq!(
        error_message(lint(input.into())),
        "invalid argument `files`: a Map key must be a string, found number 1"
    );
}

#[wasm_bindgen_test]
fn context_null_names_no_rust_type() {
    let message = error_message(plan(js(r#"{"files": {}, "context": null}"#)));
    assert_eq!(
        message,
        "invalid argument `context`: invalid type: null, expected an object"
    );
}

#[wasm_bindgen_test]
fn lint_undefined_throws_error() {
    let message = error_message(lint(JsValue::UNDEFINED));
    assert!(
        message.starts_with("invalid argument: expected an object"),
        "{message}"
    );
}

#[wasm_bindgen_test]
fn lint_unknown_field_throws_error() {
    let input = js(r#"{"files": {}, "contxt": {}}"#);
    let message = error_message(lint(input));
    assert!(message.contains("unknown field `contxt`"), "{message}");
}

#[wasm_bindgen_test]
fn resolve_config_merges_include() {
    let input = js(
        r#"{"files": {".gitlab-ci.yml": "include: ci/a.yml\n", "ci/a.yml": "a: {script: x}\n"}}"#,
    );
    let result = resolve_config(input).unwrap();
    assert!(get(&result, "config.jobs.a").is_object());
    assert_eq!(Array::from(&get(&result, "diagnostics")).length(), 0);
}

#[wasm_bindgen_test]
fn plan_for_tag() {
    let input = Object::new();
    Reflect::set(&input, &"files".into(), &js(PIPELINE)).unwrap();
    Reflect::set(
        &input,
        &"context".into(),
        &js(r#"{"ref": "v1", "tag": true}"#),
    )
    .unwrap();
    let result = plan(input.into()).unwrap();
    assert_eq!(get(&result, "pipeline.ref"), "v1");
    assert_eq!(get(&result, "pipeline.jobs.2.name"), "release");
    assert_eq!(get(&result, "pipeline.created"), true);
}

#[wasm_bindgen_test]
fn plan_bad_source_throws_error() {
    let input = Object::new();
    Reflect::set(&input, &"files".into(), &js(PIPELINE)).unwrap();
    Reflect::set(&input, &"context".into(), &js(r#"{"source": "psuh"}"#)).unwrap();
    let message = error_message(plan(input.into()));
    assert!(
        message.starts_with("invalid argument `context.source`: "),
        "{message}"
    );
}

#[wasm_bindgen_test]
fn explain_absent_job() {
    let input = Object::new();
    Reflect::set(&input, &"files".into(), &js(PIPELINE)).unwrap();
    let result = explain(input.into(), "release".into()).unwrap();
    assert_eq!(get(&result, "explanation.absent.name"), "release");
}

#[wasm_bindgen_test]
fn explain_unknown_job_throws_error() {
    let input = Object::new();
    Reflect::set(&input, &"files".into(), &js(PIPELINE)).unwrap();
    assert_eq!(
        error_message(explain(input.into(), "tset".into())),
        "job `tset` not found; did you mean `test`?"
    );
}

#[wasm_bindgen_test]
fn explain_job_not_string_throws_error() {
    let input = Object::new();
    Reflect::set(&input, &"files".into(), &js(PIPELINE)).unwrap();
    let message = error_message(explain(input.into(), JsValue::from(3)));
    assert!(message.starts_with("invalid argument `job`"), "{message}");
}

/// Checks that an array of names reaches a child pipeline's job that a top pipeline job named
/// `TRIGGER/JOB` hides from the string form.
#[wasm_bindgen_test]
fn explain_path_reaches_shadowed_job() {
    let input = js(r#"{"files": {
        ".gitlab-ci.yml": "h/i: {script: top}\nh: {trigger: {include: child.yml}}\n",
        "child.yml": "i: {script: child}\n"
    }}"#);
    let top = explain(input.clone(), "h/i".into()).unwrap();
    assert_eq!(get(&top, "explanation.job.location.file"), ".gitlab-ci.yml");
    let child = explain(input.clone(), run_js("return ['h', new String('i')];")).unwrap();
    assert_eq!(get(&child, "explanation.job.location.file"), "child.yml");
    assert_eq!(get(&child, "explanation.trigger"), "h");
    let whole = explain(input.clone(), run_js("return ['h/i'];")).unwrap();
    assert_eq!(
        get(&whole, "explanation.job.location.file"),
        ".gitlab-ci.yml"
    );

    assert_eq!(
        error_message(explain(input.clone(), run_js("return ['h/i', 'i'];"))),
        "job `h/i` is not a trigger job"
    );
    assert_eq!(
        error_message(explain(input.clone(), run_js("return [];"))),
        "invalid argument `job`: the array is empty; give at least the job's name"
    );
    assert_eq!(
        error_message(explain(input.clone(), run_js("return ['h', 3];"))),
        "invalid argument `job[1]`: expected the name of a job as a string"
    );
    let message = error_message(explain(input, run_js("return ['h', '\\uD800'];")));
    assert!(
        message.starts_with("invalid argument `job[1]`: "),
        "{message}"
    );
}

/// Checks that a `String` object names a job by its text, as `String` objects inside `input` do.
#[wasm_bindgen_test]
fn explain_job_string_object() {
    let input = Object::new();
    Reflect::set(&input, &"files".into(), &js(PIPELINE)).unwrap();
    let jobs = [
        "return new String('test');",
        "return new (class extends String { toString() { return 'test'; } })('build');",
        "return Object.assign(new String('test'), { [Symbol.toStringTag]: 'S' });",
    ];
    for job in jobs {
        let result = explain(input.clone().into(), run_js(job)).unwrap();
        assert_eq!(get(&result, "explanation.job.name"), "test", "{job}");
    }

    let job = run_js(
        "return new (class extends String { toString() { throw new Error('boom'); } })('test');",
    );
    assert_eq!(
        error_message(explain(input.clone().into(), job)),
        "invalid argument `job`: reading it threw Error: boom"
    );
    let job = run_js("return new String('\\uD800');");
    assert_eq!(
        error_message(explain(input.into(), job)),
        "invalid argument `job`: `\\ud800` contains the lone surrogate `\\ud800` (half of a \
         UTF-16 pair), which is invalid in a name"
    );
}

#[wasm_bindgen_test]
fn schedule_runs_on_runner_file() {
    let input = Object::new();
    Reflect::set(&input, &"files".into(), &js(PIPELINE)).unwrap();
    let runners = js(
        r#"{"config.toml": "concurrent = 1\n[[runners]]\nname = \"one\"\nexecutor = \"shell\"\n"}"#,
    );
    Reflect::set(&input, &"runners".into(), &runners).unwrap();
    let result = schedule(input.into()).unwrap();
    assert_eq!(get(&result, "schedule.finished"), true);
    assert_eq!(get(&result, "schedule.runners.0.name"), "one");
}

#[wasm_bindgen_test]
fn version_is_crate_version() {
    assert_eq!(version(), env!("CARGO_PKG_VERSION"));
}

/// Builds the input of a configuration of `length` jobs where each job needs the one before.
fn needs_chain(length: usize) -> JsValue {
    let mut yaml = String::from("job0:\n  script: x\n  needs: []\n");
    for index in 1..length {
        yaml.push_str(&format!(
            "job{index}:\n  script: x\n  needs: [job{}]\n",
            index - 1
        ));
    }
    let files = Object::new();
    Reflect::set(&files, &".gitlab-ci.yml".into(), &yaml.into()).unwrap();
    let input = Object::new();
    Reflect::set(&input, &"files".into(), &files).unwrap();
    input.into()
}

#[wasm_bindgen_test]
fn long_needs_chain_plans_and_schedules() {
    // A cycle check that recurses once per job overflows the module's stack at about 7,000
    // jobs.
    let length = 10_000;
    let planned = plan(needs_chain(length)).unwrap();
    assert_eq!(get(&planned, "pipeline.created"), true);
    assert_eq!(get(&planned, "pipeline.jobs.length"), length as u32);
    let scheduled = schedule(needs_chain(length)).unwrap();
    assert_eq!(get(&scheduled, "schedule.finished"), true);
    assert_eq!(
        get(&scheduled, "schedule.critical_path.length"),
        length as u32
    );
}

#[wasm_bindgen_test]
fn lint_entry_with_leading_slash_or_dot() {
    for path in ["/x.yml", "./x.yml"] {
        let input = Object::new();
        let files = Object::new();
        Reflect::set(&files, &path.into(), &"a:\n  script: x\n".into()).unwrap();
        Reflect::set(&input, &"files".into(), &files).unwrap();
        Reflect::set(&input, &"entry".into(), &path.into()).unwrap();
        let diagnostics = lint(input.into()).unwrap();
        assert_eq!(get(&diagnostics, "length"), 0, "{path}");
    }
}

#[wasm_bindgen_test]
fn lint_entry_outside_repository_throws_error() {
    let input = js(r#"{"files": {"x.yml": "a:\n  script: x\n"}, "entry": "../x.yml"}"#);
    let message = error_message(lint(input));
    assert!(
        message.starts_with("invalid argument `entry`: `../x.yml` is not a file path"),
        "{message}"
    );
}

#[wasm_bindgen_test]
fn plan_masks_values_in_child_pipeline() {
    let input = js(r#"{
        "files": {
            ".gitlab-ci.yml": "child:\n  variables: {TV: $SEC}\n  trigger: {include: c.yml, forward: {pipeline_variables: true}}\n",
            "c.yml": "c:\n  script: x\n  image: i:$TV\n  variables: {K: k-$SEC}\n"
        },
        "variables": {"SEC": {"value": "s3cr3tval", "masked": true}}
    }"#);
    let result = plan(input).unwrap();
    let text: String = JSON::stringify(&result).unwrap().into();
    assert!(text.contains("\"downstream\""), "{text}");
    assert!(!text.contains("s3cr3tval"), "{text}");
    assert!(text.contains("i:[MASKED]"), "{text}");
}

#[wasm_bindgen_test]
fn plan_variable_levels_and_group_chain() {
    let input = js(r#"{
        "files": {".gitlab-ci.yml": "a: {script: x}\n"},
        "variables": {"V": "pipeline"},
        "context": {
            "source": "schedule",
            "project_path": "top/sub/app",
            "instance_variables": {"X": "instance"},
            "group_variables": [
                {"variables": {"X": "sub"}},
                {"path": "top", "variables": {"X": "top", "T": "top"}}
            ],
            "project_variables": {"P": "project"}
        }
    }"#);
    let result = plan(input).unwrap();
    let variables: Array = get(&result, "pipeline.jobs.0.variables")
        .dyn_into()
        .unwrap();
    let find = |name: &str| {
        variables
            .iter()
            .find(|variable| get(variable, "name") == name)
            .unwrap_or_else(|| panic!("no variable {name}"))
    };
    assert_eq!(get(&find("X"), "value"), "sub");
    assert_eq!(get(&find("X"), "source"), "group");
    assert_eq!(get(&find("T"), "value"), "top");
    assert_eq!(get(&find("P"), "source"), "project");
    assert_eq!(get(&find("V"), "source"), "schedule");
}

#[wasm_bindgen_test]
fn plan_unmaskable_value_throws_error() {
    let input = js(r#"{
        "files": {".gitlab-ci.yml": "a: {script: x}\n"},
        "context": {"project_variables": {"T": "main"}, "masked": ["T"]}
    }"#);
    let message = error_message(plan(input));
    assert!(
        message.starts_with(
            "invalid argument `context.project_variables.T`: the variable cannot be masked: "
        ),
        "{message}"
    );
    assert!(message.contains("the value has 4 characters"), "{message}");
}

#[wasm_bindgen_test]
fn deeply_nested_or_cyclic_argument_throws_error() {
    let valid = || js(r#"{"files": {".gitlab-ci.yml": "a: {script: x}\n"}}"#);
    // Inputs nested 5,000 levels deep.
    let mut nested: JsValue = JsValue::from_str("x");
    for _ in 0..5_000 {
        nested = Array::of1(&nested).into();
    }
    let deep = valid();
    let inputs = Object::new();
    Reflect::set(&inputs, &"list".into(), &nested).unwrap();
    Reflect::set(&deep, &"inputs".into(), &inputs).unwrap();
    let message = error_message(plan(deep));
    assert!(message.contains("nested more than 100 levels"), "{message}");
    assert!(message.contains("`inputs`"), "{message}");

    // An object that contains itself.
    let cyclic = valid();
    let variables = Object::new();
    Reflect::set(&variables, &"self".into(), &variables).unwrap();
    Reflect::set(&cyclic, &"variables".into(), &variables).unwrap();
    let message = error_message(lint(cyclic));
    assert!(message.contains("contains itself"), "{message}");

    // The module still works afterwards.
    assert!(Array::is_array(&lint(valid()).unwrap()));
}

#[wasm_bindgen_test]
fn undefined_members_mean_not_given() {
    let context = Object::new();
    Reflect::set(&context, &"ref".into(), &"v1.0".into()).unwrap();
    Reflect::set(&context, &"tag".into(), &JsValue::TRUE).unwrap();
    Reflect::set(&context, &"mr_labels".into(), &JsValue::UNDEFINED).unwrap();
    Reflect::set(&context, &"default_branch".into(), &JsValue::UNDEFINED).unwrap();
    let input = Object::new();
    Reflect::set(&input, &"files".into(), &js(PIPELINE)).unwrap();
    Reflect::set(&input, &"entry".into(), &JsValue::UNDEFINED).unwrap();
    Reflect::set(&input, &"runners".into(), &JsValue::UNDEFINED).unwrap();
    Reflect::set(&input, &"play".into(), &JsValue::UNDEFINED).unwrap();
    Reflect::set(&input, &"context".into(), &context).unwrap();
    let result = plan(input.into()).unwrap();
    assert_eq!(get(&result, "pipeline.ref"), "v1.0");
    let jobs = Array::from(&get(&result, "pipeline.jobs"));
    assert_eq!(jobs.length(), 3);
}

#[wasm_bindgen_test]
fn file_named_proto_kept() {
    let input = js(r#"{"entry": "__proto__", "files": {"__proto__": "j: {script: x}\n"}}"#);
    let result = plan(input).unwrap();
    assert_eq!(get(&result, "pipeline.jobs.0.name"), "j");
}

/// Runs `body` as the body of a JavaScript function and returns what it returns.
fn run_js(body: &str) -> JsValue {
    Function::new_no_args(body).call0(&JsValue::NULL).unwrap()
}

#[wasm_bindgen_test]
fn argument_read_exception_throws_error() {
    let cases = [
        (
            "return { files: { get ['.gitlab-ci.yml']() { throw new Error('boom'); } } };",
            "invalid argument `files`: reading it threw Error: boom",
        ),
        (
            "return { files: new Proxy({}, { ownKeys() { throw new TypeError('no keys'); } }) };",
            "invalid argument `files`: reading it threw TypeError: no keys",
        ),
        (
            "const revocable = Proxy.revocable({}, {}); revocable.revoke(); \
             return { files: revocable.proxy };",
            "invalid argument `files`: reading it threw TypeError",
        ),
        (
            "class Files extends Map { forEach() { throw 'a plain string'; } } \
             return { files: new Files([['.gitlab-ci.yml', 'a: {script: x}']]) };",
            "invalid argument `files`: reading it threw a plain string",
        ),
    ];
    // Before the reads caught exceptions, each one lost about 1.8 KB of wasm's stack, and
    // after 567 of them every call failed with "memory access out of bounds".
    for (body, expected) in cases {
        for _ in 0..1_000 {
            let message = error_message(lint(run_js(body)));
            assert!(message.starts_with(expected), "{message}");
        }
    }
    // A getter 90 levels deep that throws, which lost about 30 KB of stack per call.
    let deep = "let value = { get leaf() { throw new Error('deep read'); } }; \
        for (let i = 0; i < 90; i++) { value = [value]; } \
        return { files: { '.gitlab-ci.yml': 'a: {script: x}' }, inputs: { deep: value } };";
    for _ in 0..200 {
        let message = error_message(lint(run_js(deep)));
        assert!(
            message.starts_with("invalid argument `inputs.deep[0][0]")
                && message.ends_with("`: reading it threw Error: deep read"),
            "{message}"
        );
    }
    let valid = js(r#"{"files": {".gitlab-ci.yml": "a: {script: x}\n"}}"#);
    assert!(Array::is_array(&lint(valid).unwrap()));
    assert_eq!(version(), env!("CARGO_PKG_VERSION"));
}

#[wasm_bindgen_test]
fn getters_run_once() {
    // `counter` is not enumerable, so the conversion does not read it as a field.
    let input = run_js(
        "const counter = { reads: 0 }; \
         const input = { get files() { counter.reads += 1; return { '.gitlab-ci.yml': 'a: {script: x}' }; } }; \
         Object.defineProperty(input, 'counter', { value: counter }); \
         return input;",
    );
    lint(input.clone()).unwrap();
    assert_eq!(get(&input, "counter.reads"), 1);
}

#[wasm_bindgen_test]
fn to_json_replaces_argument_values() {
    let input = run_js(
        "const files = { toJSON(key) { return { '.gitlab-ci.yml': `${key}: {script: x}\\n` }; } }; \
         return { toJSON(key) { return { files, context: { ref: 'main' }, entry: key || undefined }; } };",
    );
    let result = plan(input).unwrap();
    assert_eq!(get(&result, "pipeline.jobs.0.name"), "files");
    assert_eq!(get(&result, "pipeline.ref"), "main");

    // `Date.prototype.toJSON` writes ISO 8601 text, which is no valid Git ref name.
    let input = run_js(
        "return { files: { '.gitlab-ci.yml': 'a: {script: x}' }, context: { ref: new Date(0) } };",
    );
    let message = error_message(plan(input));
    assert!(
        message.starts_with("invalid argument `context.ref`: `1970-01-01T00:00:00.000Z` is not"),
        "{message}"
    );
}

#[wasm_bindgen_test]
fn to_json_failures_throw_error() {
    let cases = [
        (
            "return { files: { toJSON() { throw new Error('no JSON'); } } };",
            "invalid argument `files`: reading it threw Error: no JSON",
        ),
        (
            "const cycle = {}; cycle.self = cycle; \
             return { files: { '.gitlab-ci.yml': 'a: {script: x}' }, inputs: { toJSON() { return cycle; } } };",
            "invalid argument: objects and arrays in `inputs` are nested more than 100 levels \
             deep, or an object contains itself",
        ),
        (
            "const wide = { toJSON() { return new Array(2000000).fill(0); } }; \
             return { files: { '.gitlab-ci.yml': 'a: {script: x}' }, inputs: { wide } };",
            "invalid argument: it holds more than 1000000 values",
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(error_message(lint(run_js(body))), expected);
    }
    let valid = js(r#"{"files": {".gitlab-ci.yml": "a: {script: x}\n"}}"#);
    assert!(Array::is_array(&lint(valid).unwrap()));
}

/// `JSON.stringify` reads an object literal by its members, whatever its `Symbol.toStringTag`,
/// and so does the package, also for an object without a prototype.
#[wasm_bindgen_test]
fn object_literal_read_whatever_its_tag() {
    let input = run_js(
        "return { files: { [Symbol.toStringTag]: 'Config', '.gitlab-ci.yml': 'a: {script: x}' } };",
    );
    assert_eq!(Array::from(&lint(input).unwrap()).length(), 0);
    let input = run_js(
        "const files = Object.create(null); files['.gitlab-ci.yml'] = 'a: {script: x}'; \
         return { files };",
    );
    assert_eq!(Array::from(&lint(input).unwrap()).length(), 0);
}

#[wasm_bindgen_test]
fn object_tagged_map_read_as_object() {
    let input = run_js(
        "return { files: { [Symbol.toStringTag]: 'Map', '.gitlab-ci.yml': 'a: {script: x}' } };",
    );
    let diagnostics = lint(input).unwrap();
    assert_eq!(Array::from(&diagnostics).length(), 0);
    let input = run_js(
        "return { files: { '.gitlab-ci.yml': 'a: {script: x}' }, inputs: { n: { [Symbol.toStringTag]: 'Uint8Array' } } };",
    );
    assert!(lint(input).is_ok());
    // A real typed array is still rejected.
    let input = run_js("return { files: { '.gitlab-ci.yml': new Uint8Array(1) } };");
    assert_eq!(
        error_message(lint(input)),
        "invalid argument `files[\".gitlab-ci.yml\"]`: a Uint8Array is not a JSON value; pass \
         a string, number, boolean, array or plain object"
    );
}

#[wasm_bindgen_test]
fn context_array_throws_error() {
    let input = js(
        r#"{"files": {".gitlab-ci.yml": "a: {script: x}\n"}, "context": ["merge_request_event", "feat"]}"#,
    );
    assert_eq!(
        error_message(plan(input)),
        "invalid argument `context`: expected an object, found an array"
    );
}

#[wasm_bindgen_test]
fn lone_surrogate_name_throws_error() {
    let input =
        run_js("return { files: { '.gitlab-ci.yml': 'a: {script: x}', 'a\\uD800.yml': '' } };");
    assert_eq!(
        error_message(lint(input)),
        "invalid argument `files`: `a\\ud800.yml` contains the lone surrogate `\\ud800` (half of \
         a UTF-16 pair), which is invalid in a name"
    );
    let input = js(r#"{"files": {".gitlab-ci.yml": "\"\uFFFD\": {script: x}\n"}}"#);
    let job = run_js("return '\\uDC00';");
    assert_eq!(
        error_message(explain(input.clone(), job)),
        "invalid argument `job`: `\\udc00` contains the lone surrogate `\\udc00` (half of a \
         UTF-16 pair), which is invalid in a name"
    );
    // U+FFFD itself is a character like any other.
    let result = explain(input, JsValue::from_str("\u{FFFD}")).unwrap();
    assert_eq!(get(&result, "explanation.job.name"), "\u{FFFD}");
}

#[wasm_bindgen_test]
fn large_integer_input_keeps_digits() {
    let yaml = "spec:\n  inputs:\n    n: {type: number}\n---\nbuild:\n  script: make\n  variables:\n    N: $[[ inputs.n ]]\n";
    let files = Object::new();
    Reflect::set(&files, &".gitlab-ci.yml".into(), &yaml.into()).unwrap();
    let input = run_js("return { inputs: { n: 2 ** 53 + 2 } };");
    Reflect::set(&input, &"files".into(), &files).unwrap();
    let result = plan(input).unwrap();
    assert_eq!(
        get(&result, "pipeline.jobs.0.variables.0.value"),
        "9007199254740994"
    );
}

#[wasm_bindgen_test]
fn shared_reference_argument_throws_error() {
    // 21 levels of arrays that hold the level below twice: 4,194,303 values once expanded.
    let input = run_js(
        "let value = ['x']; for (let i = 0; i < 21; i++) { value = [value, value]; } \
         return { files: { '.gitlab-ci.yml': 'a: {script: x}' }, inputs: { wide: value } };",
    );
    assert_eq!(
        error_message(lint(input)),
        "invalid argument: it holds more than 1000000 values"
    );
}

#[wasm_bindgen_test]
fn bigint_named_in_messages() {
    let bigint = |text: &str| JsValue::from(js_sys::BigInt::new(&JsValue::from_str(text)).unwrap());
    assert_eq!(
        error_message(plan(bigint("10"))),
        "invalid argument: expected an object with `files` and `entry`, found a bigint"
    );

    let input = js(r#"{"files": {".gitlab-ci.yml": "a: {script: x}\n"}}"#);
    Reflect::set(&input, &"entry".into(), &bigint("10")).unwrap();
    assert_eq!(
        error_message(plan(input)),
        "invalid argument `entry`: invalid type: bigint `10n`, expected a string"
    );

    let input = js(r#"{"files": {".gitlab-ci.yml": "a: {script: x}\n"}, "variables": {}}"#);
    Reflect::set(&get(&input, "variables"), &"PORT".into(), &bigint("8080")).unwrap();
    assert_eq!(
        error_message(plan(input)),
        "invalid argument `variables.PORT`: expected a string, found the bigint `8080n`. \
         GitLab's API takes variable values as strings, so quote it: `\"8080\"`"
    );

    let input = js(r#"{"files": {".gitlab-ci.yml": "a: {script: x}\n"}, "context": {}}"#);
    Reflect::set(
        &get(&input, "context"),
        &"group_variables".into(),
        &bigint("5"),
    )
    .unwrap();
    assert_eq!(
        error_message(plan(input)),
        "invalid argument `context.group_variables`: expected an object of variables or an \
         array of `{path, variables}` objects, found a bigint"
    );

    let input = js(r#"{"files": {".gitlab-ci.yml": "a: {script: x}\n"},
            "context": {"group_variables": [{"variables": {}}]}}"#);
    let group = get(&input, "context.group_variables.0");
    Reflect::set(&group, &"path".into(), &bigint("7")).unwrap();
    assert_eq!(
        error_message(plan(input)),
        "invalid argument `context.group_variables[0].path`: expected a string, found a bigint"
    );

    // A bigint where JSON takes a number is read as that number.
    let yaml = "spec:\n  inputs:\n    n: {type: number}\n---\nbuild:\n  script: make\n  variables:\n    N: $[[ inputs.n ]]\n";
    let files = Object::new();
    Reflect::set(&files, &".gitlab-ci.yml".into(), &yaml.into()).unwrap();
    let inputs = Object::new();
    Reflect::set(&inputs, &"n".into(), &bigint("5")).unwrap();
    let input = Object::new();
    Reflect::set(&input, &"files".into(), &files).unwrap();
    Reflect::set(&input, &"inputs".into(), &inputs).unwrap();
    let result = plan(input.into()).unwrap();
    assert_eq!(get(&result, "pipeline.jobs.0.variables.0.value"), "5");
}

/// `JSON.stringify` reads an instance of the caller's class by its own enumerable members,
/// whatever `Symbol.toStringTag` it declares, and so does the package.
#[wasm_bindgen_test]
fn class_with_custom_tag_read_by_members() {
    let bodies = [
        "class Files { constructor() { this['.gitlab-ci.yml'] = 'a: {script: x}'; } \
         get [Symbol.toStringTag]() { return 'Files'; } } \
         return { files: new Files() };",
        "class Input { constructor() { this.files = { '.gitlab-ci.yml': 'a: {script: x}' }; } \
         get [Symbol.toStringTag]() { return 'Input'; } } \
         return new Input();",
        "class Input { [Symbol.toStringTag] = 'Date'; files = { '.gitlab-ci.yml': 'a: {script: x}' }; } \
         return new Input();",
        "class Base { get [Symbol.toStringTag]() { return 'Promise'; } } class Files extends Base { \
         constructor() { super(); this['.gitlab-ci.yml'] = 'a: {script: x}'; } } \
         return { files: new Files() };",
    ];
    for body in bodies {
        let diagnostics = lint(run_js(body)).unwrap_or_else(|error| {
            let value: JsValue = error.into();
            panic!("{body}: {:?}", value)
        });
        assert_eq!(Array::from(&diagnostics).length(), 0, "{body}");
    }
}

/// The tag decides, not the `constructor`, which may be a bound function or a `Proxy` that
/// `Function.prototype.toString` writes as native code.
#[wasm_bindgen_test]
fn class_with_disguised_constructor_read_by_members() {
    let bodies = [
        "class Files { constructor() { this['.gitlab-ci.yml'] = 'a: {script: x}'; } \
         get [Symbol.toStringTag]() { return 'Files'; } } \
         Object.defineProperty(Files.prototype, 'constructor', { value: Files.bind(null) }); \
         return { files: new Files() };",
        "class Files { constructor() { this['.gitlab-ci.yml'] = 'a: {script: x}'; } \
         get [Symbol.toStringTag]() { return 'Files'; } } \
         Object.defineProperty(Files.prototype, 'constructor', { value: new Proxy(Files, {}) }); \
         return { files: new Files() };",
        "class Files { constructor() { this['.gitlab-ci.yml'] = 'a: {script: x}'; } } \
         Files.prototype[Symbol.toStringTag] = 'Files'; \
         Object.defineProperty(Files.prototype, 'constructor', { value: new Proxy(Files, {}) }); \
         return { files: new Files() };",
    ];
    for body in bodies {
        let diagnostics = lint(run_js(body)).unwrap_or_else(|error| {
            let value: JsValue = error.into();
            panic!("{body}: {:?}", value)
        });
        assert_eq!(Array::from(&diagnostics).length(), 0, "{body}");
    }
}

#[wasm_bindgen_test]
fn built_in_objects_still_rejected() {
    let cases = [
        ("Promise.resolve('a: {script: x}')", "a Promise"),
        ("new Error('x')", "an Error"),
        ("[1].values()", "an Array Iterator"),
        ("new WeakMap()", "a WeakMap"),
        (
            "new (class Tagged extends Set { get [Symbol.toStringTag]() { return 'Tagged'; } })()",
            "a Tagged",
        ),
        (
            "new (class Bytes extends Uint8Array { get [Symbol.toStringTag]() { return 'Bytes'; } })(1)",
            "a Bytes",
        ),
    ];
    for (expression, kind) in cases {
        let input = run_js(&format!(
            "return {{ files: {{ '.gitlab-ci.yml': {expression} }} }};"
        ));
        assert_eq!(
            error_message(lint(input)),
            format!(
                "invalid argument `files[\".gitlab-ci.yml\"]`: {kind} is not a JSON value; pass \
                 a string, number, boolean, array or plain object"
            ),
            "{expression}"
        );
    }
}

#[wasm_bindgen_test]
fn lone_surrogate_in_name_values_throws() {
    let cases = [
        (
            "context: { masked: ['\\uD800'] }",
            "context.masked[0]",
            "`\\ud800`",
            "\\ud800",
        ),
        ("play: ['a\\uDC00']", "play[0]", "`a\\udc00`", "\\udc00"),
        (
            "context: { ref: 'x\\uD800\\n' }",
            "context.ref",
            "`x\\ud800\\n`",
            "\\ud800",
        ),
        (
            "entry: 'a\\uDBFF.yml'",
            "entry",
            "`a\\udbff.yml`",
            "\\udbff",
        ),
        (
            "context: { changed: ['src/\\uDFFF'] }",
            "context.changed[0]",
            "`src/\\udfff`",
            "\\udfff",
        ),
        (
            "context: { group_variables: [{ path: 'top\\uD800', variables: {} }] }",
            "context.group_variables[0].path",
            "`top\\ud800`",
            "\\ud800",
        ),
        (
            "context: { project_variables: { U: { value: 'v', environment_scope: '\\uD800' } } }",
            "context.project_variables.U.environment_scope",
            "`\\ud800`",
            "\\ud800",
        ),
    ];
    for (fields, path, name, unit) in cases {
        let input = run_js(&format!(
            "return {{ files: {{ '.gitlab-ci.yml': 'a: {{script: x}}' }}, {fields} }};"
        ));
        assert_eq!(
            error_message(plan(input)),
            format!(
                "invalid argument `{path}`: {name} contains the lone surrogate `{unit}` (half of \
                 a UTF-16 pair), which is invalid in a name"
            ),
            "{fields}"
        );
    }
}

#[wasm_bindgen_test]
fn lone_surrogate_in_text_becomes_replacement() {
    let input = run_js(
        "const yaml = 'spec: {inputs: {s: {}}}\\n---\\n' + \
             'a: {variables: {A: \"\\uD800\", S: \"$[[ inputs.s ]]\"}, script: x}\\n'; \
         return { files: { '.gitlab-ci.yml': yaml }, \
         variables: { P: 'x\\uDC00', Q: { value: '\\uD800' } }, inputs: { s: '\\uD800' }, \
         context: { title: 'fix \\uD800', project_variables: { R: [{ value: '\\uD800' }] } } };",
    );
    let result = plan(input).unwrap();
    let variables: Array = get(&result, "pipeline.jobs.0.variables")
        .dyn_into()
        .unwrap();
    let value = |name: &str| {
        let variable = variables
            .iter()
            .find(|variable| get(variable, "name") == name)
            .unwrap_or_else(|| panic!("no variable {name}"));
        get(&variable, "value")
    };
    assert_eq!(value("A"), "\u{FFFD}");
    assert_eq!(value("P"), "x\u{FFFD}");
    assert_eq!(value("Q"), "\u{FFFD}");
    assert_eq!(value("R"), "\u{FFFD}");
    assert_eq!(value("S"), "\u{FFFD}");

    // U+FFFD is one UTF-16 unit, like the surrogate it replaces, so columns stay right.
    let input = run_js(
        "return { files: { '.gitlab-ci.yml': 'a: {variables: {A: \"\\uD800\"}, stage: nope, script: x}\\n' } };",
    );
    let diagnostics = lint(input).unwrap();
    assert_eq!(get(&diagnostics, "0.code"), "unknown-stage");
    assert_eq!(get(&diagnostics, "0.location.start.column_utf16"), 33);
}

#[wasm_bindgen_test]
fn thrown_messages_escape_control_characters() {
    let bodies = [
        "return { files: { '.gitlab-ci.yml': 'a: {script: x}' }, context: { ref: 'a\\nb\\u001b' } };",
        "return { files: { 'a\\tb.yml': 'a: {script: x}' }, entry: 'c\\rd.yml' };",
        "return { files: { '.gitlab-ci.yml': 'a: {script: x}' }, play: ['x\\u202e'] };",
    ];
    for body in bodies {
        let message = error_message(schedule(run_js(body)));
        let raw: Vec<char> = message.chars().filter(|ch| ch.is_control()).collect();
        assert_eq!(raw, [], "{message}");
        assert!(!message.contains('\u{202e}'), "{message}");
    }
    let message = error_message(schedule(run_js(bodies[0])));
    assert!(message.contains("`a\\nb\\u001b`"), "{message}");
}

/// `JSON.stringify` reads a `String`, `Number`, `Boolean` or `BigInt` object as its primitive
/// value, whatever `Symbol.toStringTag` it has, and so does the package.
#[wasm_bindgen_test]
fn wrapper_objects_read_as_primitives() {
    let yaml = "spec:\n  inputs:\n    n: {type: number}\n    b: {type: boolean}\n    s: {}\n---\n\
                build:\n  script: make\n  variables:\n    N: $[[ inputs.n ]]\n    B: $[[ inputs.b ]]\n    S: $[[ inputs.s ]]\n";
    let cases = [
        ("new Number(3)", "new Boolean(true)", "new String('x')"),
        (
            "new (class N extends Number { get [Symbol.toStringTag]() { return 'N'; } })(3)",
            "new (class B extends Boolean { get [Symbol.toStringTag]() { return 'B'; } })(true)",
            "new (class S extends String { get [Symbol.toStringTag]() { return 'S'; } })('x')",
        ),
        (
            "Object.assign(new Number(3), { [Symbol.toStringTag]: 'N' })",
            "Object.assign(new Boolean(true), { [Symbol.toStringTag]: 'B' })",
            "Object.assign(new String('x'), { [Symbol.toStringTag]: 'S' })",
        ),
        // As `JSON.stringify` does, a `Number` is read through `valueOf` and a `String`
        // through `toString`, and a `Boolean` by its value alone.
        (
            "new (class extends Number { valueOf() { return 3; } })(1)",
            "new (class extends Boolean { valueOf() { return false; } })(true)",
            "new (class extends String { toString() { return 'x'; } })('y')",
        ),
        ("Object(3n)", "true", "'x'"),
    ];
    for (number, boolean, string) in cases {
        let body = format!(
            "return {{ files: {{ '.gitlab-ci.yml': new String({yaml:?}) }}, \
             inputs: {{ n: {number}, b: {boolean}, s: {string} }}, \
             context: {{ ref: new String('release') }} }};"
        );
        let result = plan(run_js(&body)).unwrap_or_else(|error| {
            let value: JsValue = error.into();
            panic!("{body}: {:?}", value)
        });
        assert_eq!(get(&result, "pipeline.ref"), "release", "{body}");
        assert_eq!(
            get(&result, "pipeline.jobs.0.variables.0.value"),
            "3",
            "{body}"
        );
        assert_eq!(
            get(&result, "pipeline.jobs.0.variables.1.value"),
            "true",
            "{body}"
        );
        assert_eq!(
            get(&result, "pipeline.jobs.0.variables.2.value"),
            "x",
            "{body}"
        );
    }
}

#[wasm_bindgen_test]
fn wrapper_object_failures_throw_error() {
    let cases = [
        (
            "return { files: { '.gitlab-ci.yml': 'a: {script: x}' }, context: { ref: \
             new (class extends String { toString() { throw new Error('boom'); } })('main') } };",
            "invalid argument `context.ref`: reading it threw Error: boom",
        ),
        (
            "return { files: { '.gitlab-ci.yml': 'a: {script: x}' }, \
             context: { masked: [new String('\\uD800')] } };",
            "invalid argument `context.masked[0]`: `\\ud800` contains the lone surrogate \
             `\\ud800` (half of a UTF-16 pair), which is invalid in a name",
        ),
        (
            "return { files: { '.gitlab-ci.yml': 'a: {script: x}' }, \
             variables: { PORT: new Number(8080) } };",
            "invalid argument `variables.PORT`: expected a string, found the number `8080`. \
             GitLab's API takes variable values as strings, so quote it: `\"8080\"`",
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(error_message(plan(run_js(body))), expected, "{body}");
    }
}
