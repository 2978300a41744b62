//! Helpers the end-to-end tests share: running the built binary from the workspace root and
//! reading its output. Each test file uses a part of them.

#![allow(
    dead_code,
    reason = "each test file compiles this module and uses a part of it"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Returns the workspace root, where the tests run the binary.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the `glplan` binary with `args` from the workspace root, with `NO_COLOR` unset so that
/// `--color` alone decides.
pub fn glplan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glplan"))
        .args(args)
        .current_dir(workspace())
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

/// Returns the standard output of a run as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Returns the standard error of a run as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Runs `plan --format json` and returns the pipeline, failing on an exit status other than
/// `status`.
pub fn plan_json(args: &[&str], status: i32) -> Value {
    let mut all = vec!["plan", "--format", "json"];
    all.extend_from_slice(args);
    let output = glplan(&all);
    assert_eq!(
        output.status.code(),
        Some(status),
        "{args:?}: {}",
        stderr(&output)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Returns the names of the created jobs, in pipeline order.
pub fn created(pipeline: &Value) -> Vec<String> {
    pipeline["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|job| job["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Returns the created job `name` of a plan's JSON.
pub fn job<'a>(pipeline: &'a Value, name: &str) -> &'a Value {
    let found = pipeline["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|job| job["name"] == name);
    assert!(
        found.is_some(),
        "no job {name} in {}",
        created(pipeline).join(", ")
    );
    found.unwrap()
}
