//! WebAssembly bindings of glplan: the npm package `glplan`.
//!
//! Each exported function takes one object with the repository's files (a plain object or a
//! `Map` of path to text), the entry file's path and the pipeline to plan. It returns plain
//! JavaScript objects in the shape of the CLI's `--format json` output. The TypeScript
//! declarations of those objects are generated from the Rust types (see `typescript.rs`).
//!
//! Every function returns a `Result`: invalid arguments and failures become a JavaScript
//! `Error` with the message intact, never a wasm trap. Problems in the configuration are not
//! errors but diagnostics in the result. Running out of memory does trap, because Rust aborts
//! when an allocation fails, and so does a panic, which is a bug in glplan. The package's entry
//! points throw the trap as an `Error` that names the panic's message when the panic hook of
//! `panic.rs` stored one (`npm/trap.js`).

#![deny(missing_docs)]

pub mod api;
pub mod files;
pub mod input;
pub mod js_value;
pub mod output;
#[cfg(target_arch = "wasm32")]
mod panic;
#[cfg(test)]
mod typescript;

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::input::Input;

// The declarations of `Input`, `Diagnostic`, `Pipeline` and the other objects, generated from
// the Rust types; wasm-bindgen appends them to the package's `.d.ts` files.
#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("../types.d.ts");

/// Returns the diagnostics of the configuration, as `glplan lint --format json` prints them.
#[wasm_bindgen(unchecked_return_type = "Diagnostic[]")]
pub fn lint(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
) -> Result<JsValue, JsError> {
    install_panic_hook();
    let input = read_input(input)?;
    to_js(&api::lint(input).map_err(|message| error(&message))?)
}

/// Returns the merged configuration, as `glplan config --format json` prints it, with its
/// diagnostics.
#[wasm_bindgen(js_name = resolveConfig, unchecked_return_type = "ConfigResult")]
pub fn resolve_config(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
) -> Result<JsValue, JsError> {
    install_panic_hook();
    let input = read_input(input)?;
    to_js(&api::resolve_config(input).map_err(|message| error(&message))?)
}

/// Returns the pipeline GitLab would create for `input.context`, as `glplan plan --format json`
/// prints it, with every diagnostic.
#[wasm_bindgen(unchecked_return_type = "PlanResult")]
pub fn plan(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
) -> Result<JsValue, JsError> {
    install_panic_hook();
    let input = read_input(input)?;
    to_js(&api::plan(input).map_err(|message| error(&message))?)
}

/// Returns one job's trace, as `glplan explain JOB --format json` prints it, with every
/// diagnostic. `job` is a name such as `deploy/rspec`, or an array of names such as
/// `["deploy", "rspec"]`: the trigger jobs that lead to the job's child pipeline, then the job.
/// Throws when the configuration has no such job.
#[wasm_bindgen(unchecked_return_type = "ExplainResult")]
pub fn explain(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | readonly string[]")] job: JsValue,
) -> Result<JsValue, JsError> {
    install_panic_hook();
    let job = read_job(job)?;
    let input = read_input(input)?;
    to_js(&api::explain(input, job).map_err(|message| error(&message))?)
}

/// Reads `explain`'s `job`: a string, a `String` object, or an array of them.
fn read_job(job: JsValue) -> Result<api::JobSelector, JsError> {
    const EXPECTED: &str = "expected the name of a job as a string, or an array of the names of \
                            the trigger jobs and the job";
    if js_sys::Array::is_array(&job) {
        // Read through the same conversion as `input`, inside an object, so that messages name
        // an item as `job[1]`. Every string is a name, so a lone surrogate is an error.
        let wrapper = js_sys::Object::new();
        js_sys::Reflect::set(&wrapper, &"job".into(), &job)
            .map_err(|_| JsError::new("invalid argument `job`: failed to read the array"))?;
        let argument = js_value::to_json(&wrapper, |_| false).map_err(|message| error(&message))?;
        let Some(serde_json::Value::Array(items)) = argument.json.get("job") else {
            return Err(error(&format!("invalid argument `job`: {EXPECTED}")));
        };
        if items.is_empty() {
            return Err(JsError::new(
                "invalid argument `job`: the array is empty; give at least the job's name",
            ));
        }
        let mut names = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let serde_json::Value::String(name) = item else {
                return Err(JsError::new(&format!(
                    "invalid argument `job[{index}]`: expected the name of a job as a string"
                )));
            };
            names.push(name.clone());
        }
        return Ok(api::JobSelector::Path(names));
    }
    let name = js_value::name_argument(&job)
        .map_err(|message| error(&format!("invalid argument `job`: {message}")))?;
    match name {
        Some(name) => Ok(api::JobSelector::Name(name)),
        None => Err(error(&format!("invalid argument `job`: {EXPECTED}"))),
    }
}

/// Simulates the pipeline on the runners of `input.runners` with the run times of
/// `input.durations`, and returns the run as `glplan schedule --format json` prints it, with
/// every diagnostic.
#[wasm_bindgen(unchecked_return_type = "ScheduleResult")]
pub fn schedule(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
) -> Result<JsValue, JsError> {
    install_panic_hook();
    let input = read_input(input)?;
    to_js(&api::schedule(input).map_err(|message| error(&message))?)
}

/// Returns the package's version, which is the version of the `glplan` crate it was built
/// from.
#[wasm_bindgen]
pub fn version() -> String {
    install_panic_hook();
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Panics with `message`, so that the package's tests can check what a panic throws in
/// JavaScript. Only builds with the `panic-for-test` feature export it, and build.sh does not
/// enable the feature.
#[cfg(feature = "panic-for-test")]
#[wasm_bindgen(js_name = panicForTest)]
#[expect(clippy::panic, reason = "the function exists to panic")]
pub fn panic_for_test(message: &str) {
    install_panic_hook();
    panic!("{message}");
}

/// Installs the panic hook of `panic.rs` on the first call of an exported function, so that a
/// panic's message reaches the `Error` that the package throws.
fn install_panic_hook() {
    #[cfg(target_arch = "wasm32")]
    panic::install_hook();
}

/// Creates the `Error` that a function throws with `message`, with the characters that
/// [`js_value::escape_hidden`] escapes written as escapes. Not every message quotes the names
/// from the argument and the configuration through [`js_value::quote`]: the core's do not.
fn error(message: &str) -> JsError {
    JsError::new(&js_value::escape_hidden(message))
}

fn read_input(value: JsValue) -> Result<Input, JsError> {
    // Through a JSON value first, so that `deny_unknown_fields` sees every member, and so that
    // values JSON cannot hold are rejected with the field's path.
    let argument =
        js_value::to_json(&value, input::is_text_path).map_err(|message| error(&message))?;
    Input::from_argument(argument).map_err(|message| error(&message))
}

/// Converts a result to a JavaScript object through JSON text, so that the object is exactly
/// the CLI's JSON: plain objects, and numbers as JSON numbers.
fn to_js(value: &impl Serialize) -> Result<JsValue, JsError> {
    let text = serde_json::to_string(value)
        .map_err(|error| JsError::new(&format!("cannot convert the result to JSON: {error}")))?;
    js_sys::JSON::parse(&text).map_err(|_| JsError::new("cannot read the result's JSON"))
}

/// The module's allocator. Pipeline evaluation makes many small allocations, and Talc serves
/// them faster than dlmalloc, the standard library's allocator on wasm32-unknown-unknown. It
/// saved 2 to 5% of a `plan` call in Node.js (docs/benchmarks.md, "Speed" of the wasm
/// package). Talc's wasm allocator is for single-threaded modules only, hence the `cfg`.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
