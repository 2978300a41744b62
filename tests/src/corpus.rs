//! The conformance corpus: real GitLab CI/CD files with a known verdict.
//!
//! `MANIFEST.tsv` lists every file with the columns `local_path`, `repo`, `repo_path`, `commit`,
//! `kind` and `notes`. The kinds are GitLab's own CI schema tests (`schema-positive`,
//! `schema-negative`), GitLab's CI/CD templates (`template`), GitLab Runner's multi-file
//! pipeline (`real-project`) and the inputs of gitlab-ci-local's integration tests
//! (`peer-test`).
//!
//! Each kind has a default verdict: schema-negative files must produce an error, all others must
//! not. Files that glplan rightly judges otherwise are listed in an expectations file with a
//! reason. A listed file whose verdict flips back fails the test too, so the lists stay exact.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use glplan::{Diagnostic, FetchError, FileProvider, FileRequest, Resolution};
use glplan_cli::files::DirFiles;

/// Diagnostic codes for an include that no configured source supplies. The corpus cannot
/// supply other projects, CI/CD components outside it, most templates or remote URLs, so these
/// are expected and never count as a verdict.
pub const UNAVAILABLE_CODES: &[&str] = &["include-unavailable"];

/// The kinds of corpus files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A file GitLab's CI JSON schema accepts.
    SchemaPositive,
    /// A file GitLab's CI JSON schema rejects.
    SchemaNegative,
    /// A GitLab CI/CD template.
    Template,
    /// A file of GitLab Runner's own pipeline.
    RealProject,
    /// An input of a gitlab-ci-local integration test.
    PeerTest,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 5] = [
        Kind::SchemaPositive,
        Kind::SchemaNegative,
        Kind::Template,
        Kind::RealProject,
        Kind::PeerTest,
    ];

    /// Parses the manifest's `kind` column.
    pub fn parse(text: &str) -> Option<Kind> {
        Some(match text {
            "schema-positive" => Kind::SchemaPositive,
            "schema-negative" => Kind::SchemaNegative,
            "template" => Kind::Template,
            "real-project" => Kind::RealProject,
            "peer-test" => Kind::PeerTest,
            _ => return None,
        })
    }

    /// Returns the manifest's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::SchemaPositive => "schema-positive",
            Kind::SchemaNegative => "schema-negative",
            Kind::Template => "template",
            Kind::RealProject => "real-project",
            Kind::PeerTest => "peer-test",
        }
    }

    /// Returns whether a file of this kind should produce at least one error by default.
    pub fn expects_error(self) -> bool {
        self == Kind::SchemaNegative
    }

    /// Returns the name of the expectations file listing this kind's exceptions, under
    /// `tests/expectations/`.
    pub fn exceptions_file(self) -> &'static str {
        match self {
            Kind::SchemaPositive => "schema-positive-rejected.txt",
            Kind::SchemaNegative => "schema-negative-accepted.txt",
            Kind::Template => "template-rejected.txt",
            Kind::RealProject => "real-project-rejected.txt",
            Kind::PeerTest => "peer-test-rejected.txt",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One manifest row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the corpus folder, such as `gitlab-org-gitlab/lib/...`.
    pub path: String,
    /// The upstream repository.
    pub repo: String,
    /// The path inside the upstream repository.
    pub repo_path: String,
    /// The kind.
    pub kind: Kind,
    /// Free-text notes.
    pub notes: String,
}

impl Entry {
    /// Returns whether the notes mark the file as an auxiliary file (a variables or inputs file of a
    /// test tool) rather than a pipeline configuration.
    pub fn is_auxiliary(&self) -> bool {
        self.notes.contains("not a pipeline")
    }
}

/// Parses `MANIFEST.tsv`. The `local_path` column is relative to the folder that contains the
/// corpus (`shared/corpus/...`); the returned paths are relative to the corpus folder itself.
pub fn parse_manifest(text: &str) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let columns: Vec<&str> = line.split('\t').collect();
        let [local_path, repo, repo_path, _commit, kind, notes] = *columns.as_slice() else {
            return Err(format!(
                "MANIFEST.tsv line {}: expected 6 tab-separated columns, found {}",
                index + 1,
                columns.len()
            ));
        };
        let kind = Kind::parse(kind)
            .ok_or_else(|| format!("MANIFEST.tsv line {}: unknown kind `{kind}`", index + 1))?;
        let path = local_path
            .strip_prefix("shared/corpus/")
            .unwrap_or(local_path)
            .to_owned();
        entries.push(Entry {
            path,
            repo: repo.to_owned(),
            repo_path: repo_path.to_owned(),
            kind,
            notes: notes.to_owned(),
        });
    }
    Ok(entries)
}

/// Parses an expectations file: one `path<TAB>reason` per line (the reason may also follow the
/// path after two or more spaces); `#` starts a comment line. Every path needs a reason.
pub fn parse_expectations(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut listed = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let split = line
            .split_once('\t')
            .or_else(|| line.split_once("  "))
            .map(|(path, reason)| (path.trim(), reason.trim()));
        match split {
            Some((path, reason)) if !path.is_empty() && !reason.is_empty() => {
                if listed.insert(path.to_owned(), reason.to_owned()).is_some() {
                    return Err(format!("line {}: `{path}` is listed twice", index + 1));
                }
            }
            _ => {
                return Err(format!(
                    "line {}: expected `path<TAB>reason`, found `{line}`",
                    index + 1
                ));
            }
        }
    }
    Ok(listed)
}

/// Returns the error diagnostics that count toward a verdict: every error except those for includes
/// that the corpus cannot supply.
pub fn verdict_errors(resolution: &Resolution) -> Vec<&Diagnostic> {
    resolution
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && !UNAVAILABLE_CODES.contains(&d.code))
        .collect()
}

/// Formats a diagnostic on one line with its position, for failure reports.
pub fn describe(diagnostic: &Diagnostic, resolution: &Resolution) -> String {
    let located = diagnostic.locate(&resolution.sources);
    match located.location {
        Some(location) => format!(
            "{}:{}:{}: {}[{}]",
            location.file,
            location.start.line,
            location.start.column,
            diagnostic.message,
            diagnostic.code
        ),
        None => format!("{}[{}]", diagnostic.message, diagnostic.code),
    }
}

/// Returns the repository root for a gitlab-ci-local test input: the test case folder. Starting
/// at the file's folder, it climbs while the parent folder directly contains other corpus files, and never
/// above `tests/test-cases`. So `include-local-wildcard/configs/.gitlab-ci.yml` is rooted at
/// `include-local-wildcard`, and `include-inputs/input-templates/default/.gitlab-ci.yml` at
/// `default`.
pub fn peer_test_root(path: &str, all_paths: &BTreeSet<String>) -> String {
    let mut root = parent(path);
    loop {
        let up = parent(&root);
        if up.is_empty() || up.ends_with("tests/test-cases") {
            return root;
        }
        let holds_files = all_paths.iter().any(|p| {
            p.strip_prefix(&format!("{up}/"))
                .is_some_and(|rest| !rest.contains('/'))
        });
        if !holds_files {
            return root;
        }
        root = up;
    }
}

fn parent(path: &str) -> String {
    path.rsplit_once('/')
        .map(|(dir, _)| dir.to_owned())
        .unwrap_or_default()
}

/// Predefined variables given to every corpus resolution, as a push pipeline on the default
/// branch of project `project_path` on gitlab.com would have them.
pub fn pipeline_variables(project_path: &str) -> Vec<(String, String)> {
    [
        ("CI", "true"),
        ("GITLAB_CI", "true"),
        ("CI_SERVER_HOST", "gitlab.com"),
        ("CI_SERVER_FQDN", "gitlab.com"),
        ("CI_SERVER_URL", "https://gitlab.com"),
        ("CI_PROJECT_PATH", project_path),
        ("CI_DEFAULT_BRANCH", "main"),
        ("CI_COMMIT_BRANCH", "main"),
        ("CI_COMMIT_REF_NAME", "main"),
        ("CI_COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567"),
        ("CI_PIPELINE_SOURCE", "push"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// A provider that supplies only the files of one corpus folder and returns
/// [`FetchError::Unavailable`] for everything else: templates missing from the corpus, other
/// projects and remote URLs.
#[derive(Debug)]
pub struct CorpusFiles {
    inner: DirFiles,
}

impl CorpusFiles {
    /// Serves the repository whose root folder is `root`.
    pub fn new(root: &Path) -> Self {
        CorpusFiles {
            inner: DirFiles::new(root),
        }
    }

    /// Serves `include:template` from `dir`.
    #[must_use]
    pub fn with_templates(mut self, dir: &Path) -> Self {
        self.inner = self.inner.with_templates(dir);
        self
    }

    /// Serves the files of project `path` (for `include:project` and CI/CD components) from
    /// `dir`.
    #[must_use]
    pub fn with_project(mut self, path: &str, dir: &Path) -> Self {
        self.inner = self.inner.with_project(path, dir);
        self
    }
}

impl FileProvider for CorpusFiles {
    fn read(&self, request: FileRequest<'_>) -> Result<String, FetchError> {
        match (request, self.inner.read(request)) {
            (FileRequest::Template { name }, Err(FetchError::NotFound)) => Err(
                FetchError::Unavailable(format!("template `{name}` is not in the corpus")),
            ),
            (_, result) => result,
        }
    }

    fn list(
        &self,
        project: Option<&str>,
        git_ref: Option<&str>,
    ) -> Result<Vec<String>, FetchError> {
        self.inner.list(project, git_ref)
    }
}

/// A provider that supplies exactly one file and nothing else, for GitLab's schema tests: they
/// were written for a JSON schema, not for resolution, so whatever they include exists nowhere.
#[derive(Debug)]
pub struct SingleFile {
    /// The file's path, as requested by the resolver.
    pub path: String,
    /// Its text.
    pub text: String,
}

impl FileProvider for SingleFile {
    fn read(&self, request: FileRequest<'_>) -> Result<String, FetchError> {
        match request {
            FileRequest::Repository {
                project: None,
                path,
                ..
            } if path.trim_start_matches('/') == self.path => Ok(self.text.clone()),
            _ => Err(FetchError::Unavailable(
                "schema tests include files that are not part of the corpus".to_owned(),
            )),
        }
    }

    fn list(
        &self,
        project: Option<&str>,
        _git_ref: Option<&str>,
    ) -> Result<Vec<String>, FetchError> {
        match project {
            None => Ok(vec![self.path.clone()]),
            Some(_) => Err(FetchError::Unavailable(
                "schema tests include projects that are not part of the corpus".to_owned(),
            )),
        }
    }
}

/// Returns the corpus folder: `$GLPLAN_CORPUS`, or `shared/corpus` beside the workspace folder.
pub fn corpus_dir(workspace: &Path) -> PathBuf {
    match std::env::var_os("GLPLAN_CORPUS") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace.join("../shared/corpus"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_rows() {
        let text = "local_path\trepo\trepo_path\tcommit\tkind\tnotes\n\
                    shared/corpus/a/b.yml\tr/x\tb.yml\tabc\ttemplate\tnote\n";
        let entries = parse_manifest(text).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].path, "a/b.yml");
        assert_eq!(entries[0].kind, Kind::Template);
    }

    #[test]
    fn manifest_bad_kind() {
        let text = "header\nshared/corpus/a.yml\tr\ta.yml\tc\tweird\tn\n";
        assert!(
            parse_manifest(text)
                .unwrap_err()
                .contains("unknown kind `weird`")
        );
    }

    #[test]
    fn manifest_bad_columns() {
        let text = "header\nshared/corpus/a.yml\tr\n";
        assert!(parse_manifest(text).unwrap_err().contains("expected 6"));
    }

    #[test]
    fn expectations_tab_and_spaces() {
        let text = "# comment\n\na.yml\tneeds an undefined job\nb.yml   uses `type:`\n";
        let listed = parse_expectations(text).unwrap();
        assert_eq!(
            listed.get("a.yml").map(String::as_str),
            Some("needs an undefined job")
        );
        assert_eq!(
            listed.get("b.yml").map(String::as_str),
            Some("uses `type:`")
        );
    }

    #[test]
    fn expectations_need_reason() {
        assert!(parse_expectations("a.yml\n").is_err());
        assert!(parse_expectations("a.yml\t \n").is_err());
    }

    #[test]
    fn expectations_reject_duplicates() {
        assert!(parse_expectations("a.yml\tx\na.yml\ty\n").is_err());
    }

    #[test]
    fn peer_root_climbs_to_case() {
        let paths: BTreeSet<String> = [
            "t/tests/test-cases/wild/.gitlab-ci.yml",
            "t/tests/test-cases/wild/configs/.gitlab-ci.yml",
            "t/tests/test-cases/inputs/templates/basic/.gitlab-ci.yml",
            "t/tests/test-cases/nested/a.yml",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        let cases = [
            (
                "t/tests/test-cases/wild/configs/.gitlab-ci.yml",
                "t/tests/test-cases/wild",
            ),
            (
                "t/tests/test-cases/wild/.gitlab-ci.yml",
                "t/tests/test-cases/wild",
            ),
            (
                "t/tests/test-cases/inputs/templates/basic/.gitlab-ci.yml",
                "t/tests/test-cases/inputs/templates/basic",
            ),
            (
                "t/tests/test-cases/nested/a.yml",
                "t/tests/test-cases/nested",
            ),
        ];
        for (path, root) in cases {
            assert_eq!(peer_test_root(path, &paths), root, "{path}");
        }
    }

    #[test]
    fn single_file_serves_only_itself() {
        let files = SingleFile {
            path: "a.yml".into(),
            text: "x: 1".into(),
        };
        let own = FileRequest::Repository {
            project: None,
            git_ref: None,
            path: "a.yml",
        };
        let other = FileRequest::Repository {
            project: None,
            git_ref: None,
            path: "b.yml",
        };
        assert_eq!(files.read(own).unwrap(), "x: 1");
        assert!(matches!(files.read(other), Err(FetchError::Unavailable(_))));
    }
}
