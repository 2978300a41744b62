//! The typed model of a resolved configuration, and the phase that builds it from the merged
//! YAML tree: classifying top-level keys, validating every keyword, applying `default:` and
//! `inherit:`, and injecting the `.pre` and `.post` stages.

pub(crate) mod check;
pub mod keywords;

use crate::diagnostic::Diagnostics;
use crate::limits::Limits;
use crate::yaml::Mapping;

/// The resolved configuration.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Config {}

/// Builds the typed configuration from the merged tree (GitLab's steps 5 to 8).
pub(crate) fn build(_root: &Mapping, _limits: &Limits, _diags: &mut Diagnostics) -> Option<Config> {
    None
}
