//! Helpers the end-to-end tests share: running the built binary from the workspace root and
//! reading its output. Each test file uses a part of them.

#![allow(
    dead_code,
    reason = "each test file compiles this module and uses a part of it"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
