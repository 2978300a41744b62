//! glplan: an offline planner for GitLab CI/CD pipelines.
//!
//! The crate turns `.gitlab-ci.yml` and the files it includes into the configuration GitLab
//! would build, with positioned diagnostics for everything GitLab would reject. It does no I/O:
//! files arrive through a [`FileProvider`].

pub mod config;
pub mod context;
pub mod diagnostic;
pub mod expr;
pub mod files;
pub mod fleet;
pub mod glob;
pub mod limits;
pub mod pipeline;
pub mod plan;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod schedule;
pub mod source;
pub mod variables;
pub mod yaml;

mod expand;
mod extends;
mod hash;
mod include;
mod inputs;
pub mod re2;
mod reference;
mod sort;

/// The text type of the planned pipeline's short fields (names, values, tags, file names) and
/// of expression values. It stores up to 24 bytes (12 on 32-bit targets) inline, without a heap
/// allocation.
pub use compact_str::CompactString;
pub use config::Config;
pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use files::{FetchError, FileProvider, FileRequest, MemoryFiles, TEMPLATE_NAME_PREFIX};
pub use limits::Limits;
pub use resolve::{Resolution, ResolveOptions, resolve};
pub use source::{FileId, SourceMap, Span};
