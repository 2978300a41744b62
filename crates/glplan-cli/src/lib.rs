//! The `glplan` command-line tool: reads a repository's pipeline configuration from disk,
//! resolves it with the `glplan` core and prints diagnostics, the merged configuration, the
//! pipeline GitLab would create for a push, tag or merge request, or one job's trace.
//!
//! The library exists so that tests can use the same [`files::DirFiles`] provider, renderer
//! and YAML writer as the binary.

#![deny(missing_docs)]

pub mod args;
pub mod children;
pub mod commands;
pub mod context;
pub mod explain;
pub mod files;
pub mod graph;
pub mod render;
pub mod runners;
pub mod schedule_out;
pub mod table;
pub mod terminal;
pub mod text_file;
pub mod yaml_out;
