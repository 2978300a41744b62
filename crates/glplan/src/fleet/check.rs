//! Executor checks.

use crate::diagnostic::Diagnostic;
use crate::pipeline::Pipeline;
use crate::source::SourceMap;

use super::{Fleet, Matching};

/// Reports executor settings that make jobs fail or behave differently from their
/// configuration, each job against the runners that can take it.
pub fn check(
    pipeline: &Pipeline,
    fleet: &Fleet,
    matching: &Matching,
    sources: &SourceMap,
) -> Vec<Diagnostic> {
    let _ = (pipeline, fleet, matching, sources);
    Vec::new()
}

/// Returns the host names Docker gives a service without `alias`: the image without tag or
/// digest, with `/` replaced by `__` and by `-`.
pub(super) fn derived_hostnames(image: &str) -> Vec<String> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last_slash = without_digest.rfind('/').map_or(0, |i| i + 1);
    let name = match without_digest
        .get(last_slash..)
        .and_then(|tail| tail.find(':'))
    {
        Some(colon) => without_digest
            .get(..last_slash + colon)
            .unwrap_or(without_digest),
        None => without_digest,
    };
    let mut names = vec![name.replace('/', "__")];
    let dashed = name.replace('/', "-");
    if !names.contains(&dashed) {
        names.push(dashed);
    }
    names
}
