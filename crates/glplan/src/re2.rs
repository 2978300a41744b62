//! Regular expressions with RE2's syntax and semantics, on top of the `regex` crate.

/// Compiles a pattern written for RE2 (GitLab's regex engine).
pub(crate) fn compile(pattern: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(pattern).map_err(|e| e.to_string())
}
