//! The [`FileProvider`] over the maps of file texts that JavaScript passes in.

use std::collections::BTreeMap;

use glplan::context::{is_project_path, project_key};
use glplan::{FetchError, FileProvider, FileRequest};
use serde::Deserialize;
use serde::de::Error as _;

use crate::js_value::{Step, format_path, quote};

/// Files by path: the repository being planned, other projects, templates and remote URLs.
/// A kind of file the caller did not pass at all is reported as unavailable, with the field to
/// set, rather than as missing.
#[derive(Debug, Clone, Default)]
pub struct MapFiles {
    /// Files of the repository being planned, by path from its root.
    pub repository: BTreeMap<String, String>,
    /// Files of other projects: project path, then file path. The requested ref is ignored.
    pub projects: BTreeMap<String, BTreeMap<String, String>>,
    /// Templates by name, or `None` when the caller passed none.
    pub templates: Option<BTreeMap<String, String>>,
    /// Remote files by URL, or `None` when the caller passed none.
    pub remote: Option<BTreeMap<String, String>>,
}

impl MapFiles {
    fn project_files(
        &self,
        project: Option<&str>,
    ) -> Result<&BTreeMap<String, String>, FetchError> {
        let Some(project) = project else {
            return Ok(&self.repository);
        };
        self.projects.get(&project_key(project)).ok_or_else(|| {
            FetchError::Unavailable(format!(
                "no files given for project {}; add them to `{}`",
                quote(project),
                field_path("projects", project)
            ))
        })
    }
}

/// Returns the path as a repository key, without a leading `/`, `.` segments or empty
/// segments. Returns `None` for a path that climbs out of the repository with `..`, which a
/// Git tree cannot hold.
pub(crate) fn repository_key(path: &str) -> Option<String> {
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            name => parts.push(name),
        }
    }
    Some(parts.join("/"))
}

/// Deserializes the repository's files, with each path turned into its repository key, so
/// that `/ci/a.yml`, `./ci/a.yml` and `ci/a.yml` name the same file, as they do in the
/// `include:local` lookups of [`MapFiles::read`]. A path with `..`, a path with no file
/// name, and two paths for the same file are errors.
pub(crate) fn repository_files<'de, D>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let caller_files = BTreeMap::<String, String>::deserialize(deserializer)?;
    file_keys(caller_files).map_err(D::Error::custom)
}

/// Deserializes the files of other projects: each project's paths as [`repository_files`]
/// reads the repository's, and project paths without leading or trailing `/` and in lower
/// case. GitLab looks projects up without regard to case, and the include phase requests them
/// in lower case. A key that is not a project's full path ([`is_project_path`]) and two keys
/// for the same project are errors.
pub(crate) fn project_files<'de, D>(
    deserializer: D,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let caller_projects = BTreeMap::<String, BTreeMap<String, String>>::deserialize(deserializer)?;
    let mut projects = BTreeMap::new();
    for (project, caller_files) in caller_projects {
        let path = project.trim_matches('/');
        if !is_project_path(path) {
            return Err(D::Error::custom(format!(
                "{} is not a project's full path; expected NAMESPACE/NAME such as \
                 `my-group/ci-tools`, with letters, digits, `_`, `-` and `.` between the `/`",
                quote(&project)
            )));
        }
        let files = file_keys(caller_files)
            .map_err(|error| D::Error::custom(format!("{}: {error}", quote(&project))))?;
        let name = project_key(path);
        if projects.insert(name.clone(), files).is_some() {
            return Err(D::Error::custom(format!(
                "two entries name the project {}; keep one of them",
                quote(&name)
            )));
        }
    }
    Ok(projects)
}

/// Turns each path of `caller_files` into its repository key.
fn file_keys(caller_files: BTreeMap<String, String>) -> Result<BTreeMap<String, String>, String> {
    let mut files = BTreeMap::new();
    let mut caller_paths: BTreeMap<String, String> = BTreeMap::new();
    for (path, text) in caller_files {
        // A path that ends with `/` names a folder, and Git cannot store NUL in a path.
        let key = repository_key(&path)
            .filter(|key| !key.is_empty() && !path.ends_with('/') && !path.contains('\0'))
            .ok_or_else(|| invalid_path(&path))?;
        if let Some(other) = caller_paths.get(&key) {
            return Err(format!(
                "{} and {} are the same file {}; keep one of them",
                quote(other),
                quote(&path),
                quote(&key)
            ));
        }
        caller_paths.insert(key.clone(), path);
        files.insert(key, text);
    }
    Ok(files)
}

/// Formats the member `key` of the argument's field `field` as JavaScript writes it, such as
/// `remote["https://example.com/ci.yml"]`, with control characters escaped.
fn field_path(field: &str, key: &str) -> String {
    format_path(&[Step::Key(field.to_owned()), Step::Key(key.to_owned())])
}

/// Formats the message for a path that names no file of the repository.
pub(crate) fn invalid_path(path: &str) -> String {
    format!(
        "{} is not a file path in the repository; give the path from the repository root, \
         such as `ci/build.yml`, without `..`, a trailing `/` or NUL",
        quote(path)
    )
}

impl FileProvider for MapFiles {
    fn read(&self, request: FileRequest<'_>) -> Result<String, FetchError> {
        match request {
            FileRequest::Repository { project, path, .. } => {
                let files = self.project_files(project)?;
                let key = repository_key(path).ok_or(FetchError::NotFound)?;
                files.get(&key).cloned().ok_or(FetchError::NotFound)
            }
            FileRequest::Template { name } => {
                let Some(templates) = &self.templates else {
                    return Err(FetchError::Unavailable(
                        "no templates given; pass GitLab's templates in `templates`".to_owned(),
                    ));
                };
                templates.get(name).cloned().ok_or(FetchError::NotFound)
            }
            FileRequest::Remote { url } => {
                let Some(remote) = &self.remote else {
                    return Err(FetchError::Unavailable(format!(
                        "no remote files given for {}; pass its text in `{}`",
                        quote(url),
                        field_path("remote", url)
                    )));
                };
                remote.get(url).cloned().ok_or_else(|| {
                    FetchError::Unavailable(format!(
                        "{} is not in `remote`; add its text as `{}`",
                        quote(url),
                        field_path("remote", url)
                    ))
                })
            }
        }
    }

    fn list(
        &self,
        project: Option<&str>,
        _git_ref: Option<&str>,
    ) -> Result<Vec<String>, FetchError> {
        // BTreeMap keys come in byte order, the order Git lists a tree's paths in.
        let files = self.project_files(project)?;
        Ok(files
            .keys()
            .filter_map(|path| repository_key(path))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> MapFiles {
        let mut files = MapFiles::default();
        files
            .repository
            .insert("ci/a.yml".to_owned(), "a".to_owned());
        files
    }

    fn repository(path: &str) -> FileRequest<'_> {
        FileRequest::Repository {
            project: None,
            git_ref: None,
            path,
        }
    }

    #[test]
    fn read_strips_leading_slash() {
        assert_eq!(files().read(repository("/ci/a.yml")), Ok("a".to_owned()));
    }

    #[test]
    fn read_rejects_parent_folder() {
        assert_eq!(
            files().read(repository("ci/../../a.yml")),
            Err(FetchError::NotFound)
        );
    }

    #[test]
    fn read_missing_is_not_found() {
        assert_eq!(files().read(repository("b.yml")), Err(FetchError::NotFound));
    }

    #[test]
    fn template_without_map_is_unavailable() {
        let error = files().read(FileRequest::Template { name: "A.yml" });
        assert!(matches!(error, Err(FetchError::Unavailable(m)) if m.contains("`templates`")));
    }

    #[test]
    fn unknown_project_is_unavailable() {
        let error = files().list(Some("group/tools"), None);
        assert!(matches!(error, Err(FetchError::Unavailable(m)) if m.contains("group/tools")));
    }

    fn entry_of(files: serde_json::Value, entry: &str) -> Result<String, String> {
        let json = serde_json::json!({"files": files, "entry": entry});
        crate::input::Input::from_json(json)?.entry()
    }

    #[test]
    fn entry_and_keys_normalized() {
        let cases = [
            ("/x.yml", "/x.yml"),
            ("./x.yml", "./x.yml"),
            ("x.yml", "/x.yml"),
            ("/x.yml", "x.yml"),
            ("./ci//x.yml", "ci/./x.yml"),
        ];
        for (key, entry) in cases {
            let files = serde_json::json!({key: "a: {script: x}"});
            let expected = if key.contains("ci") {
                "ci/x.yml"
            } else {
                "x.yml"
            };
            assert_eq!(
                entry_of(files, entry),
                Ok(expected.to_owned()),
                "{key} {entry}"
            );
        }
    }

    #[test]
    fn entry_outside_repository_rejected() {
        let files = serde_json::json!({"x.yml": ""});
        for entry in ["../x.yml", "ci/../../x.yml", "/", "."] {
            let error = entry_of(files.clone(), entry).unwrap_err();
            assert!(error.starts_with("invalid argument `entry`: "), "{error}");
            assert!(error.contains(&format!("`{entry}`")), "{error}");
        }
    }

    #[test]
    fn file_key_outside_repository_rejected() {
        let error = entry_of(serde_json::json!({"../x.yml": ""}), "x.yml").unwrap_err();
        assert!(error.starts_with("invalid argument `files`: "), "{error}");
        assert!(error.contains("`../x.yml`"), "{error}");
    }

    #[test]
    fn duplicate_file_keys_rejected() {
        let files = serde_json::json!({"/x.yml": "", "x.yml": ""});
        let error = entry_of(files, "x.yml").unwrap_err();
        assert_eq!(
            error,
            "invalid argument `files`: `/x.yml` and `x.yml` are the same file `x.yml`; keep one \
             of them"
        );
    }

    #[test]
    fn control_characters_escaped_in_messages() {
        let files = serde_json::json!({"a\nb.yml": "", "c\u{1b}.yml": ""});
        assert_eq!(
            entry_of(files, "x\ty.yml").unwrap_err(),
            "entry file `x\\ty.yml` is not in `files`; its paths are a\\nb.yml, c\\u001b.yml"
        );
        let files = serde_json::json!({"/a\nb": "", "a\nb": ""});
        assert_eq!(
            entry_of(files, "x.yml").unwrap_err(),
            "invalid argument `files`: `/a\\nb` and `a\\nb` are the same file `a\\nb`; keep \
             one of them"
        );
        let error = entry_of(serde_json::json!({"a\0b": ""}), "x.yml").unwrap_err();
        assert!(
            error.starts_with("invalid argument `files`: `a\\u0000b` is not a file path"),
            "{error}"
        );
        let json = serde_json::json!({"projects": {"a/b\r": {}}});
        let error = crate::input::Input::from_json(json).unwrap_err();
        assert!(
            error.starts_with("invalid argument `projects`: `a/b\\r` is not a project's"),
            "{error}"
        );
    }

    #[test]
    fn project_keys_normalized() {
        let json = serde_json::json!({
            "files": {"x.yml": ""},
            "projects": {"/Group/CI/": {"./templates//a.yml": "a: 1"}},
        });
        let input = crate::input::Input::from_json(json).unwrap();
        let files = input.projects.get("group/ci").unwrap();
        assert_eq!(files.keys().collect::<Vec<_>>(), ["templates/a.yml"]);

        let json = serde_json::json!({
            "files": {"x.yml": ""},
            "projects": {"group/ci": {}, "Group/CI/": {}},
        });
        let error = crate::input::Input::from_json(json).unwrap_err();
        assert_eq!(
            error,
            "invalid argument `projects`: two entries name the project `group/ci`; keep one of \
             them"
        );

        let json = serde_json::json!({
            "files": {"x.yml": ""},
            "projects": {"group/ci": {"../a.yml": ""}},
        });
        let error = crate::input::Input::from_json(json).unwrap_err();
        assert!(
            error.starts_with("invalid argument `projects`: `group/ci`: "),
            "{error}"
        );
        assert!(error.contains("`../a.yml`"), "{error}");
    }

    #[test]
    fn invalid_project_keys_rejected() {
        for key in ["a//b", "a/../b", " a/b ", "a\\b", "ab", "/"] {
            let json = serde_json::json!({
                "files": {"x.yml": ""},
                "projects": {key: {}},
            });
            let error = crate::input::Input::from_json(json).unwrap_err();
            assert_eq!(
                error,
                format!(
                    "invalid argument `projects`: {} is not a project's full path; \
                     expected NAMESPACE/NAME such as `my-group/ci-tools`, with letters, \
                     digits, `_`, `-` and `.` between the `/`",
                    quote(key)
                ),
                "{key}"
            );
        }
    }

    #[test]
    fn list_is_sorted() {
        let mut files = files();
        files.repository.insert("B.yml".to_owned(), String::new());
        assert_eq!(files.list(None, None).unwrap(), ["B.yml", "ci/a.yml"]);
    }
}
