//! A [`FileProvider`] that reads the repository being planned, and the other sources an
//! `include` can name, from local directories.
//!
//! GitLab reads included files from Git at a commit; glplan reads the working tree instead:
//!
//! - the repository being planned (`include:local`, wildcards, the entry file): the repository
//!   root directory;
//! - other projects (`include:project`, CI/CD components): one directory per project path,
//!   given with `--project PATH=DIR`; the requested ref is ignored;
//! - templates (`include:template`): a directory laid out like GitLab's
//!   `lib/gitlab/ci/templates`, so `Jobs/Build.gitlab-ci.yml` is `DIR/Jobs/Build.gitlab-ci.yml`;
//! - remote files (`include:remote`): a cache directory holding each URL's content at
//!   `DIR/<host>/<path>`, followed by `?<query>` when the URL has one, so
//!   `https://example.com/ci/lint.yml` is `DIR/example.com/ci/lint.yml` and
//!   `https://example.com/raw?file=ci/lint.yml` is `DIR/example.com/raw?file=ci%2Flint.yml`.
//!   A `/` in the query becomes `%2F`, the fragment is dropped, and a port stays part of the
//!   host folder name, as in `example.com:8443`. This is where `wget --force-directories`
//!   saves a URL on Unix (checked with GNU Wget 1.21.3).
//!
//! A source that no option configured returns [`FetchError::Unavailable`], whose message names
//! the option that would supply it.

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use glplan::context::project_key;
use glplan::{FetchError, FileProvider, FileRequest};

/// Reads configuration files from directories. See the module documentation for the layout.
#[derive(Debug)]
pub struct DirFiles {
    root: PathBuf,
    templates: Option<PathBuf>,
    projects: BTreeMap<String, PathBuf>,
    remote_cache: Option<PathBuf>,
    /// File listings by project (`None` for the repository being planned), since wildcard
    /// includes and `exists` rules may list the same tree many times in one run.
    listings: Mutex<BTreeMap<Option<String>, Vec<String>>>,
}

impl DirFiles {
    /// Creates a provider for the repository whose root directory is `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirFiles {
            root: root.into(),
            templates: None,
            projects: BTreeMap::new(),
            remote_cache: None,
            listings: Mutex::new(BTreeMap::new()),
        }
    }

    /// Sets the directory that contains `include:template` files.
    #[must_use]
    pub fn with_templates(mut self, dir: impl Into<PathBuf>) -> Self {
        self.templates = Some(dir.into());
        self
    }

    /// Maps the project `path` (as `include:project` or a component names it) to a directory.
    /// Project paths are compared by [`project_key`], without regard to case.
    #[must_use]
    pub fn with_project(mut self, path: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        self.projects.insert(project_key(&path.into()), dir.into());
        self
    }

    /// Sets the directory that contains cached `include:remote` files.
    #[must_use]
    pub fn with_remote_cache(mut self, dir: impl Into<PathBuf>) -> Self {
        self.remote_cache = Some(dir.into());
        self
    }

    /// Returns the root directory of the repository being planned.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn project_dir(&self, project: Option<&str>) -> Result<&Path, FetchError> {
        let Some(project) = project else {
            return Ok(&self.root);
        };
        self.projects
            .get(&project_key(project))
            .map(PathBuf::as_path)
            .ok_or_else(|| {
                FetchError::Unavailable(format!(
                    "no folder given for project `{project}`; pass --project {project}=DIR"
                ))
            })
    }

    fn read_remote(&self, url: &str) -> Result<String, FetchError> {
        let Some(cache) = &self.remote_cache else {
            return Err(FetchError::Unavailable(format!(
                "no remote cache given for `{url}`; pass --remote-cache DIR"
            )));
        };
        let Some(relative) = remote_cache_path(url) else {
            return Err(FetchError::Unavailable(format!(
                "`{url}` is not an http or https URL, so the remote cache cannot hold it"
            )));
        };
        match read_under(cache, &relative) {
            Err(FetchError::NotFound) => Err(FetchError::Unavailable(format!(
                "`{url}` is not in the remote cache; save it as `{}`",
                cache.join(&relative).display()
            ))),
            other => other,
        }
    }

    fn read_template(&self, name: &str) -> Result<String, FetchError> {
        let Some(dir) = &self.templates else {
            return Err(FetchError::Unavailable(
                "no templates directory given; pass --templates DIR".to_owned(),
            ));
        };
        read_under(dir, name)
    }
}

impl FileProvider for DirFiles {
    fn read(&self, request: FileRequest<'_>) -> Result<String, FetchError> {
        match request {
            FileRequest::Repository { project, path, .. } => {
                read_under(self.project_dir(project)?, path)
            }
            FileRequest::Remote { url } => self.read_remote(url),
            FileRequest::Template { name } => self.read_template(name),
        }
    }

    fn list(
        &self,
        project: Option<&str>,
        _git_ref: Option<&str>,
    ) -> Result<Vec<String>, FetchError> {
        let key = project.map(|p| p.trim_matches('/').to_owned());
        let cached = self
            .listings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        if let Some(listing) = cached {
            return Ok(listing);
        }
        let dir = self.project_dir(project)?;
        let mut paths = Vec::new();
        walk(dir, dir, "", &mut paths)
            .map_err(|e| FetchError::Other(format!("cannot list `{}`: {e}", dir.display())))?;
        // Git lists a tree's paths in byte order of the full path; wildcard matches keep that
        // order.
        paths.sort();
        self.listings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, paths.clone());
        Ok(paths)
    }
}

/// Reads `relative` under `base`. A path that climbs out of `base` (through `..` or a symbolic
/// link) is reported as not found, which is what GitLab reports: a Git tree has no such path.
fn read_under(base: &Path, relative: &str) -> Result<String, FetchError> {
    let mut path = base.to_path_buf();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(FetchError::NotFound),
            name => path.push(name),
        }
    }
    if !stays_inside(base, &path) {
        return Err(FetchError::NotFound);
    }
    if path.is_dir() {
        return Err(FetchError::NotFound);
    }
    // A Git tree holds only regular files and links to them; reading a FIFO or a device would
    // block or never end.
    if let Ok(metadata) = std::fs::metadata(&path)
        && !metadata.is_file()
    {
        return Err(FetchError::Other(format!(
            "cannot read `{}`: not a regular file",
            path.display()
        )));
    }
    let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => FetchError::NotFound,
        _ => FetchError::Other(format!("cannot read `{}`: {e}", path.display())),
    })?;
    // The file was read, so invalid UTF-8 is a problem of its content, like a YAML syntax
    // error, and GitLab rejects such a file too. The position lets the user find the byte.
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let (line, column) = line_column(e.as_bytes().get(..offset).unwrap_or_default());
        FetchError::Other(format!(
            "`{relative}` is not valid UTF-8: invalid byte at line {line}, column {column} \
             (offset {offset})"
        ))
    })
}

/// Returns the 1-based line and column, in characters, of the position after `valid`, which
/// is valid UTF-8.
fn line_column(valid: &[u8]) -> (usize, usize) {
    let text = std::str::from_utf8(valid).unwrap_or_default();
    let line = text.matches('\n').count() + 1;
    let last_line = text.rsplit('\n').next().unwrap_or_default();
    (line, last_line.chars().count() + 1)
}

/// Returns whether `path`, with symbolic links followed, is inside `base`. A path that does not exist
/// counts as inside, so that reading it reports "not found".
fn stays_inside(base: &Path, path: &Path) -> bool {
    let (Ok(base), Ok(path)) = (base.canonicalize(), path.canonicalize()) else {
        return true;
    };
    path.starts_with(base)
}

/// Collects the paths of all files under `dir`, relative to `root` and separated by `/`. Skips
/// `.git` folders, does not follow symbolic links to folders (so link cycles cannot loop), skips
/// links to files outside `root` (which reading rejects), and skips names that are not UTF-8,
/// which no YAML `include` could name.
fn walk(root: &Path, dir: &Path, prefix: &str, out: &mut Vec<String>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let file_type = entry.file_type()?;
        let relative = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        if file_type.is_dir() {
            if name != ".git" {
                walk(root, &entry.path(), &relative, out)?;
            }
        } else if file_type.is_file()
            || (file_type.is_symlink()
                && entry.path().is_file()
                && stays_inside(root, &entry.path()))
        {
            out.push(relative);
        }
    }
    Ok(())
}

/// Returns where the remote cache keeps `url`: `<host>/<path>`, then `?<query>` with each `/`
/// of the query written `%2F`, or `None` when `url` is not an http or https URL. The query
/// is kept because GitLab fetches the URL with it, and two queries can name two files.
pub fn remote_cache_path(url: &str) -> Option<String> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        url.get(8..)?
    } else if lower.starts_with("http://") {
        url.get(7..)?
    } else {
        return None;
    };
    let end = rest.find('#').unwrap_or(rest.len());
    let rest = rest.get(..end)?;
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
        .to_ascii_lowercase();
    if host.is_empty() || host == "." || host == ".." {
        return None;
    }
    let mut relative = format!("{host}/{path}");
    if let Some(query) = query {
        relative.push('?');
        relative.push_str(&query.replace('/', "%2F"));
    }
    Some(relative)
}

/// Splits `path` into the repository root and the entry file's path inside it. The root is
/// `repo` when given, otherwise the directory that contains `path`.
///
/// Returns an error message when `path` is not inside `repo`.
pub fn split_entry(path: &Path, repo: Option<&Path>) -> Result<(PathBuf, String), String> {
    let root = match repo {
        Some(repo) => repo.to_path_buf(),
        None => match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        },
    };
    let absolute_path = path
        .canonicalize()
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if absolute_path.is_dir() {
        return Err(format!("`{}` is a folder, not a file", path.display()));
    }
    let absolute_root = root
        .canonicalize()
        .map_err(|e| format!("cannot open repository folder `{}`: {e}", root.display()))?;
    let relative = absolute_path.strip_prefix(&absolute_root).map_err(|_| {
        format!(
            "`{}` is not inside the repository folder `{}`",
            path.display(),
            root.display()
        )
    })?;
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push(
                part.to_str()
                    .ok_or_else(|| format!("the path `{}` is not valid UTF-8", path.display()))?,
            ),
            _ => return Err(format!("`{}` is not a file path", path.display())),
        }
    }
    Ok((root, parts.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh scratch folder under the target directory's temp area, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir =
                std::env::temp_dir().join(format!("glplan-files-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        fn write(&self, path: &str, text: &str) {
            let full = self.0.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, text).unwrap();
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn local(path: &str) -> FileRequest<'_> {
        FileRequest::Repository {
            project: None,
            git_ref: None,
            path,
        }
    }

    #[test]
    fn read_local_file() {
        let dir = Scratch::new("read");
        dir.write("ci/a.yml", "a: 1\n");
        let files = DirFiles::new(&dir.0);
        assert_eq!(files.read(local("ci/a.yml")).unwrap(), "a: 1\n");
    }

    #[test]
    fn read_strips_leading_slash() {
        let dir = Scratch::new("slash");
        dir.write("ci/a.yml", "a: 1\n");
        let files = DirFiles::new(&dir.0);
        assert_eq!(files.read(local("/ci/a.yml")).unwrap(), "a: 1\n");
    }

    #[test]
    fn read_missing_is_not_found() {
        let dir = Scratch::new("missing");
        let files = DirFiles::new(&dir.0);
        assert_eq!(files.read(local("nope.yml")), Err(FetchError::NotFound));
    }

    #[test]
    fn read_folder_is_not_found() {
        let dir = Scratch::new("folder");
        dir.write("ci/a.yml", "");
        let files = DirFiles::new(&dir.0);
        assert_eq!(files.read(local("ci")), Err(FetchError::NotFound));
    }

    #[test]
    fn read_rejects_parent_components() {
        let dir = Scratch::new("parent");
        dir.write("repo/a.yml", "a: 1\n");
        dir.write("outside.yml", "secret: 1\n");
        let files = DirFiles::new(dir.0.join("repo"));
        for path in ["../outside.yml", "ci/../../outside.yml", "ci/../a.yml"] {
            assert_eq!(files.read(local(path)), Err(FetchError::NotFound), "{path}");
        }
    }

    #[test]
    fn read_rejects_symlink_out_of_root() {
        let dir = Scratch::new("symlink");
        dir.write("repo/a.yml", "a: 1\n");
        dir.write("outside.yml", "secret: 1\n");
        std::os::unix::fs::symlink(dir.0.join("outside.yml"), dir.0.join("repo/link.yml")).unwrap();
        let files = DirFiles::new(dir.0.join("repo"));
        assert_eq!(files.read(local("link.yml")), Err(FetchError::NotFound));
    }

    #[test]
    fn read_non_utf8_is_other() {
        let dir = Scratch::new("utf8");
        std::fs::write(dir.0.join("bad.yml"), [0xff, 0xfe, 0x00]).unwrap();
        let files = DirFiles::new(&dir.0);
        assert!(matches!(
            files.read(local("bad.yml")),
            Err(FetchError::Other(_))
        ));
    }

    #[test]
    fn read_non_utf8_names_position() {
        let dir = Scratch::new("utf8-offset");
        std::fs::write(dir.0.join("bad.yml"), b"a: b\nc: \xff\n").unwrap();
        std::fs::write(
            dir.0.join("wide.yml"),
            "a: b\r\n\u{e9}: "
                .bytes()
                .chain([0xc3])
                .collect::<Vec<u8>>(),
        )
        .unwrap();
        let files = DirFiles::new(&dir.0);
        let Err(FetchError::Other(message)) = files.read(local("bad.yml")) else {
            panic!("bad.yml was read");
        };
        assert_eq!(
            message,
            "`bad.yml` is not valid UTF-8: invalid byte at line 2, column 4 (offset 8)"
        );
        let Err(FetchError::Other(message)) = files.read(local("wide.yml")) else {
            panic!("wide.yml was read");
        };
        assert_eq!(
            message,
            "`wide.yml` is not valid UTF-8: invalid byte at line 2, column 4 (offset 10)"
        );
    }

    #[test]
    fn list_sorted_without_git() {
        let dir = Scratch::new("list");
        dir.write("b.yml", "");
        dir.write("a/z.yml", "");
        dir.write("a.yml", "");
        dir.write(".git/config", "");
        dir.write("sub/.git/HEAD", "");
        let files = DirFiles::new(&dir.0);
        assert_eq!(
            files.list(None, None).unwrap(),
            ["a.yml", "a/z.yml", "b.yml"]
        );
    }

    #[test]
    fn list_skips_links_out_of_root() {
        let dir = Scratch::new("list-links");
        dir.write("repo/a.yml", "");
        dir.write("outside.yml", "");
        std::os::unix::fs::symlink(dir.0.join("outside.yml"), dir.0.join("repo/out.yml")).unwrap();
        std::os::unix::fs::symlink(dir.0.join("repo/a.yml"), dir.0.join("repo/in.yml")).unwrap();
        let files = DirFiles::new(dir.0.join("repo"));
        assert_eq!(files.list(None, None).unwrap(), ["a.yml", "in.yml"]);
    }

    #[test]
    fn list_unknown_project_is_unavailable() {
        let dir = Scratch::new("list-project");
        let files = DirFiles::new(&dir.0);
        assert!(matches!(
            files.list(Some("group/p"), None),
            Err(FetchError::Unavailable(_))
        ));
    }

    #[test]
    fn fifo_is_not_read() {
        let scratch = Scratch::new("fifo");
        let fifo = scratch.0.join("fifo.yml");
        let mkfifo = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(mkfifo.is_ok_and(|status| status.success()), "mkfifo failed");
        let files = DirFiles::new(&scratch.0);
        let error = files.read(local("fifo.yml")).unwrap_err();
        let message = error.to_string();
        assert!(message.ends_with("not a regular file"), "{message}");
    }

    #[test]
    fn template_without_dir_is_unavailable() {
        let dir = Scratch::new("template-none");
        let files = DirFiles::new(&dir.0);
        let error = files
            .read(FileRequest::Template {
                name: "Jobs/Build.gitlab-ci.yml",
            })
            .unwrap_err();
        assert_eq!(
            error,
            FetchError::Unavailable("no templates directory given; pass --templates DIR".into())
        );
    }

    #[test]
    fn template_read_from_dir() {
        let dir = Scratch::new("template");
        dir.write("t/Jobs/Build.gitlab-ci.yml", "build: {script: x}\n");
        let files = DirFiles::new(&dir.0).with_templates(dir.0.join("t"));
        let text = files.read(FileRequest::Template {
            name: "Jobs/Build.gitlab-ci.yml",
        });
        assert_eq!(text.unwrap(), "build: {script: x}\n");
    }

    #[test]
    fn project_read_from_mapped_dir() {
        let dir = Scratch::new("project");
        dir.write("other/templates/a.yml", "x: 1\n");
        let files =
            DirFiles::new(dir.0.join("repo")).with_project("group/other", dir.0.join("other"));
        let text = files.read(FileRequest::Repository {
            project: Some("group/other"),
            git_ref: Some("v1"),
            path: "templates/a.yml",
        });
        assert_eq!(text.unwrap(), "x: 1\n");
    }

    #[test]
    fn project_path_case_ignored() {
        let dir = Scratch::new("project-case");
        dir.write("other/a.yml", "x: 1\n");
        let files =
            DirFiles::new(dir.0.join("repo")).with_project("/Group/Other/", dir.0.join("other"));
        let text = files.read(FileRequest::Repository {
            project: Some("group/other"),
            git_ref: None,
            path: "a.yml",
        });
        assert_eq!(text.unwrap(), "x: 1\n");
    }

    #[test]
    fn project_unmapped_is_unavailable() {
        let dir = Scratch::new("project-none");
        let files = DirFiles::new(&dir.0);
        let error = files
            .read(FileRequest::Repository {
                project: Some("group/other"),
                git_ref: None,
                path: "a.yml",
            })
            .unwrap_err();
        assert_eq!(
            error,
            FetchError::Unavailable(
                "no folder given for project `group/other`; pass --project group/other=DIR".into()
            )
        );
    }

    #[test]
    fn remote_read_from_cache() {
        let dir = Scratch::new("remote");
        dir.write("cache/example.com/ci/lint.yml", "lint: {script: x}\n");
        let files = DirFiles::new(&dir.0).with_remote_cache(dir.0.join("cache"));
        let text = files.read(FileRequest::Remote {
            url: "https://example.com/ci/lint.yml#top",
        });
        assert_eq!(text.unwrap(), "lint: {script: x}\n");
    }

    #[test]
    fn remote_query_selects_cache_file() {
        let dir = Scratch::new("remote-query");
        dir.write("cache/example.com/raw?file=a.yml", "a: {script: x}\n");
        dir.write("cache/example.com/raw?file=ci%2Fb.yml", "b: {script: x}\n");
        let files = DirFiles::new(&dir.0).with_remote_cache(dir.0.join("cache"));
        let read = |url| files.read(FileRequest::Remote { url });
        assert_eq!(
            read("https://example.com/raw?file=a.yml").unwrap(),
            "a: {script: x}\n"
        );
        assert_eq!(
            read("https://example.com/raw?file=ci/b.yml").unwrap(),
            "b: {script: x}\n"
        );
        let missing = read("https://example.com/raw?file=c.yml").unwrap_err();
        assert!(
            matches!(&missing, FetchError::Unavailable(m) if m.contains("raw?file=c.yml")),
            "{missing:?}"
        );
    }

    #[test]
    fn remote_missing_from_cache_is_unavailable() {
        let dir = Scratch::new("remote-missing");
        let files = DirFiles::new(&dir.0).with_remote_cache(dir.0.join("cache"));
        let error = files
            .read(FileRequest::Remote {
                url: "https://example.com/x.yml",
            })
            .unwrap_err();
        assert!(matches!(error, FetchError::Unavailable(m) if m.contains("example.com/x.yml")));
    }

    #[test]
    fn remote_without_cache_is_unavailable() {
        let dir = Scratch::new("remote-none");
        let files = DirFiles::new(&dir.0);
        let error = files
            .read(FileRequest::Remote {
                url: "https://example.com/x.yml",
            })
            .unwrap_err();
        assert!(matches!(error, FetchError::Unavailable(m) if m.contains("--remote-cache")));
    }

    #[test]
    fn remote_cache_path_cases() {
        let cases = [
            ("https://example.com/ci/a.yml", Some("example.com/ci/a.yml")),
            ("HTTP://Example.COM/a.yml", Some("example.com/a.yml")),
            (
                "https://example.com:8443/a.yml#x",
                Some("example.com:8443/a.yml"),
            ),
            (
                "https://user:pw@example.com/a.yml",
                Some("example.com/a.yml"),
            ),
            (
                "https://example.com/a.yml?x=/y",
                Some("example.com/a.yml?x=%2Fy"),
            ),
            (
                "https://example.com/get?f=a.yml#part",
                Some("example.com/get?f=a.yml"),
            ),
            (
                "https://example.com/get?f=../../a.yml",
                Some("example.com/get?f=..%2F..%2Fa.yml"),
            ),
            ("ftp://example.com/a.yml", None),
            ("https:///a.yml", None),
        ];
        for (url, expected) in cases {
            assert_eq!(remote_cache_path(url).as_deref(), expected, "{url}");
        }
    }

    #[test]
    fn split_entry_uses_parent_folder() {
        let dir = Scratch::new("split");
        dir.write("proj/.gitlab-ci.yml", "");
        let (root, entry) = split_entry(&dir.0.join("proj/.gitlab-ci.yml"), None).unwrap();
        assert_eq!(root, dir.0.join("proj"));
        assert_eq!(entry, ".gitlab-ci.yml");
    }

    #[test]
    fn split_entry_with_repo() {
        let dir = Scratch::new("split-repo");
        dir.write("proj/ci/main.yml", "");
        let (_, entry) =
            split_entry(&dir.0.join("proj/ci/main.yml"), Some(&dir.0.join("proj"))).unwrap();
        assert_eq!(entry, "ci/main.yml");
    }

    #[test]
    fn split_entry_outside_repo() {
        let dir = Scratch::new("split-outside");
        dir.write("a/x.yml", "");
        dir.write("b/y.yml", "");
        let error = split_entry(&dir.0.join("a/x.yml"), Some(&dir.0.join("b"))).unwrap_err();
        assert!(
            error.contains("is not inside the repository folder"),
            "{error}"
        );
    }

    #[test]
    fn split_entry_folder() {
        let dir = Scratch::new("split-folder");
        dir.write("proj/.gitlab-ci.yml", "");
        let error = split_entry(&dir.0.join("proj"), None).unwrap_err();
        assert!(error.ends_with("is a folder, not a file"), "{error}");
    }

    #[test]
    fn split_entry_missing_file() {
        let dir = Scratch::new("split-missing");
        let error = split_entry(&dir.0.join("nope.yml"), None).unwrap_err();
        assert!(error.starts_with("cannot read"), "{error}");
    }
}
