//! The YAML layer: Psych-compatible loading with a span on every node.

mod node;

pub use node::{Entry, Key, Mapping, Node, Value, format_float};

use crate::diagnostic::Diagnostics;
use crate::limits::Limits;
use crate::source::FileId;

/// One configuration file after loading: the optional `spec:` header document and the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The header document (a mapping with a `spec` key), when the file has one.
    pub header: Option<Node>,
    /// The body document.
    pub body: Node,
}

/// Loads a configuration file as GitLab's loader does, reporting problems to `diags`. Returns
/// `None` when the file cannot be loaded at all.
pub fn load(
    file: FileId,
    text: &str,
    limits: &Limits,
    diags: &mut Diagnostics,
) -> Option<Document> {
    let _ = (file, text, limits, diags);
    None
}
