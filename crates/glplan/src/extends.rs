//! `extends`: reverse deep merge of parent keys into the keys that extend them.

use crate::diagnostic::Diagnostics;
use crate::limits::Limits;
use crate::yaml::Mapping;

/// Resolves `extends` over every top-level key of the merged configuration, in place.
pub(crate) fn resolve(_config: &mut Mapping, _limits: &Limits, _diags: &mut Diagnostics) {}
