//! Access to configuration files. The core does no I/O: callers implement [`FileProvider`].

use std::collections::BTreeMap;

/// A file that an `include` (or the entry point) asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileRequest<'a> {
    /// A file in a Git repository: the repository being planned when `project` is `None`,
    /// otherwise another project (`include:project`, components, and `include:local` inside a
    /// file that came from another project).
    Repository {
        /// Full project path such as `gitlab-org/ci-templates`, or `None` for the repository
        /// being planned.
        project: Option<&'a str>,
        /// Branch, tag or SHA; `None` for the default (GitLab's `HEAD`).
        git_ref: Option<&'a str>,
        /// Path inside the repository, without a leading `/`.
        path: &'a str,
    },
    /// An `include:remote` URL.
    Remote {
        /// The URL as written, after variable expansion.
        url: &'a str,
    },
    /// An `include:template` name such as `Jobs/SAST.gitlab-ci.yml`.
    Template {
        /// The template name.
        name: &'a str,
    },
}

/// The start of the name that diagnostics and source locations give a file of
/// `include:template`, as in `template:Jobs/SAST.gitlab-ci.yml`. A repository file of the same
/// path is named `Jobs/SAST.gitlab-ci.yml`, so the two names differ.
pub const TEMPLATE_NAME_PREFIX: &str = "template:";

/// Why a file could not be supplied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The file does not exist in an available source.
    #[error("file not found")]
    NotFound,
    /// The project is unknown to the provider.
    #[error("project not found")]
    ProjectNotFound,
    /// The project exists but not at that ref.
    #[error("reference not found")]
    RefNotFound,
    /// Nothing supplies this kind of file (for example no templates directory or remote cache
    /// was configured). The message says what the user can configure.
    #[error("{0}")]
    Unavailable(String),
    /// Reading failed for another reason.
    #[error("{0}")]
    Other(String),
}

/// Supplies configuration files to the resolver. The CLI reads directories; the wasm package
/// and tests use [`MemoryFiles`].
///
/// Providers are `Sync` because pipeline creation evaluates the rules of large pipelines
/// (`exists` in other projects) on several threads at once.
pub trait FileProvider: Sync {
    /// Returns the text of a file.
    fn read(&self, request: FileRequest<'_>) -> Result<String, FetchError>;

    /// Lists every file path of a repository (for `include:local` wildcards and `exists`), in a
    /// stable order. `project` and `git_ref` mean the same as in [`FileRequest::Repository`].
    fn list(&self, project: Option<&str>, git_ref: Option<&str>)
    -> Result<Vec<String>, FetchError>;
}

/// An in-memory [`FileProvider`]: repository files by path, plus optional other projects,
/// templates and remote URLs.
#[derive(Debug, Clone, Default)]
pub struct MemoryFiles {
    /// Files of the repository being planned, by path.
    pub repository: BTreeMap<String, String>,
    /// Files of other projects: project path, then file path. The ref is ignored.
    pub projects: BTreeMap<String, BTreeMap<String, String>>,
    /// Templates by name.
    pub templates: BTreeMap<String, String>,
    /// Remote files by URL.
    pub remote: BTreeMap<String, String>,
}

impl MemoryFiles {
    /// Creates an empty provider.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a repository file and returns `self`, for chaining.
    #[must_use]
    pub fn with_file(mut self, path: impl Into<String>, text: impl Into<String>) -> Self {
        self.repository.insert(path.into(), text.into());
        self
    }

    fn project_files(
        &self,
        project: Option<&str>,
    ) -> Result<&BTreeMap<String, String>, FetchError> {
        match project {
            None => Ok(&self.repository),
            Some(p) => self.projects.get(p).ok_or(FetchError::ProjectNotFound),
        }
    }
}

impl FileProvider for MemoryFiles {
    fn read(&self, request: FileRequest<'_>) -> Result<String, FetchError> {
        match request {
            // As in a Git tree, `/ci/a.yml`, `./ci/a.yml` and `ci//a.yml` are `ci/a.yml`.
            FileRequest::Repository { project, path, .. } => self
                .project_files(project)?
                .get(&crate::context::normalize_changed_path(path))
                .cloned()
                .ok_or(FetchError::NotFound),
            FileRequest::Remote { url } => {
                self.remote.get(url).cloned().ok_or(FetchError::NotFound)
            }
            FileRequest::Template { name } => self
                .templates
                .get(name)
                .cloned()
                .ok_or(FetchError::NotFound),
        }
    }

    fn list(
        &self,
        project: Option<&str>,
        _git_ref: Option<&str>,
    ) -> Result<Vec<String>, FetchError> {
        Ok(self.project_files(project)?.keys().cloned().collect())
    }
}
