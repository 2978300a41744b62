//! The diagnostics of child pipelines, gathered by the core so that the wasm package reports
//! the same ones.

pub use glplan::report::children::{Child, Children, NOT_CREATED_BY_RULES};
