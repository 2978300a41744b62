//! `include`: loading, interpolating and deep-merging included files.
//!
//! GitLab processes a file's `include` key in these steps (its `External::Mapper`):
//!
//! 1. Normalize the items: a string becomes `local` or `remote`, after variable expansion.
//! 2. Drop the items whose `rules` do not match.
//! 3. Expand `project` file lists and `local` wildcards.
//! 4. Expand variables in the remaining values and find each item's kind.
//! 5. Fetch, load and interpolate each file, and process its own includes the same way.
//!
//! The included files are deep-merged in order and the including file is merged on top, so
//! later includes override earlier ones and the including file overrides them all.
//!
//! GitLab stops at the first broken include. glplan reports it and keeps going, so that one
//! missing file does not hide the rest of the configuration: a file that cannot be loaded
//! contributes nothing, everything else still merges. Only the include count and total size
//! limits stop further loading. Later phases then leave out the errors that only report something
//! as not defined, because the missing file may define it.

mod location;
mod rules;
#[cfg(test)]
mod tests;

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::expr::{NoVariables, Variables};
use crate::files::{FetchError, FileProvider, FileRequest, TEMPLATE_NAME_PREFIX};
use crate::glob;
use crate::inputs::{self, ruby};
use crate::limits::Limits;
use crate::source::{FileId, SourceMap, Span};
use crate::yaml::{self, Document, Mapping, Node, Value};

use location::{Item, Kind};

/// Inputs of include processing besides the files themselves.
#[derive(Clone, Copy)]
pub(crate) struct IncludeEnv<'a> {
    /// Provider of the included files.
    pub files: &'a dyn FileProvider,
    /// Limits in force.
    pub limits: &'a Limits,
    /// Variables visible to include locations and `include:rules`.
    pub variables: &'a [(String, String)],
    /// Pipeline inputs for the entry file.
    pub pipeline_inputs: Option<&'a Mapping>,
    /// The pipeline's changed files for `include:rules:changes`; `None` when the pipeline has
    /// no diff.
    pub changed_files: Option<&'a [String]>,
    /// Names of the masked variables among [`IncludeEnv::variables`].
    pub masked: &'a [String],
    /// For each definition of [`IncludeEnv::variables`], in order, whether it is raw
    /// (`expand: false`), so that `include:rules` uses its value as written when it expands
    /// `exists` and `changes` paths. A definition past the end is not raw.
    pub raw: &'a [bool],
    /// The GitLab server's host name that component addresses start with; `None` looks for
    /// [`FQDN_VARIABLE`] among [`IncludeEnv::variables`].
    pub server_fqdn: Option<&'a str>,
}

impl std::fmt::Debug for IncludeEnv<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncludeEnv")
            .field("limits", self.limits)
            .field("variables", &self.variables)
            .finish_non_exhaustive()
    }
}

/// Variable with the GitLab server's host name, which component addresses start with. Without
/// it, the first segment of a component address is taken as the host name.
const FQDN_VARIABLE: &str = "CI_SERVER_FQDN";

/// Interpolates the entry document's inputs, resolves its `include` key recursively and returns
/// the merged top-level mapping, or `None` when the entry file is not a usable mapping.
pub(crate) fn process(
    document: Document,
    entry: FileId,
    env: &IncludeEnv<'_>,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Option<Mapping> {
    let (name, text) = match sources.get(entry) {
        Some(file) => (file.name.clone(), file.text.clone()),
        None => (String::new(), String::new()),
    };
    if text.trim().is_empty() {
        diags.push(
            Diagnostic::error("empty-config", "Please provide content of .gitlab-ci.yml")
                .with_span(Span::new(entry, 0, text.len() as u32)),
        );
        return None;
    }
    // A file with text but no document that Rails considers present (only comments, `---`,
    // `{}` or `~`) loads as nothing, which is not a mapping either.
    if !matches!(document.body.value, Value::Map(_)) {
        diags.push(invalid_format(&document.body));
        return None;
    }

    let interpolated = match inputs::interpolate_entry(
        document,
        env.pipeline_inputs,
        env.variables,
        env.masked,
        env.limits,
        &text,
    ) {
        Ok(interpolated) => interpolated,
        Err(error) => {
            diags.push(error.into_diagnostic());
            return None;
        }
    };
    diags.extend(interpolated.warnings);
    let map = match interpolated.body.value {
        Value::Map(map) => map,
        Value::Null => Mapping::new(),
        _ => {
            diags.push(invalid_format(&interpolated.body));
            return None;
        }
    };

    let context = Context {
        repo: Some(Repo::default()),
        variables: true,
        path: Some(name),
    };
    // GitLab builds every include message from the location with masked values hidden; glplan
    // hides them in everything the include phase reports.
    let mut reported = Diagnostics::new();
    let mut processor = Processor {
        env,
        sources,
        diags: &mut reported,
        rule_variables: rules::RuleVariables::new(env.variables, env.raw, env.limits),
        included: 0,
        total_bytes: 0,
        count_exceeded: false,
        size_exceeded: false,
    };
    let merged = processor.expand(map, &context).map;
    let secrets = masked_values(env);
    diags.extend(reported.iter().map(|diagnostic| {
        let mut diagnostic = diagnostic.clone();
        diagnostic.message = mask_secrets(&diagnostic.message, &secrets);
        diagnostic.help = diagnostic.help.map(|help| mask_secrets(&help, &secrets));
        for label in &mut diagnostic.labels {
            label.message = mask_secrets(&label.message, &secrets);
        }
        diagnostic
    }));

    // Every include error leaves some file out of the merge. That file may define the jobs,
    // stages or templates that later phases would report missing, so those reports are
    // dropped; GitLab stops at the include error and reports nothing else.
    if reported.error_count() > 0 {
        diags.mark_incomplete();
    }
    Some(merged)
}

/// The values of the masked variables visible to the include phase.
fn masked_values<'e>(env: &IncludeEnv<'e>) -> Vec<&'e str> {
    env.masked
        .iter()
        .filter_map(|name| {
            env.variables
                .iter()
                .rev()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        })
        .filter(|value| !value.is_empty())
        .collect()
}

/// Hides each secret in `text` as GitLab's `MaskSecret` does: `[MASKED]` padded with `x` to the
/// secret's length in bytes, or only `x`s for a secret shorter than `[MASKED]`. Longer secrets
/// go first, so that a secret containing another is hidden whole. The form of a secret with `/`
/// written `%2F`, as in a URL's query, is hidden too.
fn mask_secrets(text: &str, secrets: &[&str]) -> String {
    const MASK: &str = "[MASKED]";
    let mut ordered = secrets.to_vec();
    crate::sort::sort_by_key(&mut ordered, |secret| std::cmp::Reverse(secret.len()));
    let mut masked = text.to_owned();
    for secret in ordered {
        let replacement = match secret.len().checked_sub(MASK.len()) {
            Some(padding) => format!("{MASK}{}", "x".repeat(padding)),
            None => "x".repeat(secret.len()),
        };
        masked = masked.replace(secret, &replacement);
        if secret.contains('/') {
            masked = masked.replace(&secret.replace('/', "%2F"), &replacement);
        }
    }
    masked
}

fn invalid_format(body: &Node) -> Diagnostic {
    Diagnostic::error("invalid-config-format", "Invalid configuration format")
        .with_span(body.span)
        .with_help(format!(
            "the configuration must be a mapping of keywords and jobs, found {}",
            body.type_name()
        ))
}

/// A repository files are read from: the project being planned when `project` is `None`,
/// otherwise another project at `git_ref` (`None` meaning its default, GitLab's `HEAD`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Repo {
    /// Full project path, lower-cased as GitLab looks it up.
    pub project: Option<String>,
    /// Branch, tag or SHA.
    pub git_ref: Option<String>,
}

impl Repo {
    fn request<'r>(&'r self, path: &'r str) -> FileRequest<'r> {
        FileRequest::Repository {
            project: self.project.as_deref(),
            git_ref: self.git_ref.as_deref(),
            path,
        }
    }

    /// Reads the file at `path`, an include's location without its leading `/`. A path with an
    /// empty or a `.` segment, such as `ci//a.yml` from `ci/$UNDEF/a.yml` or `./ci/a.yml`, is
    /// not found once the project and ref are, although the file providers read it as
    /// `ci/a.yml`. GitLab reads includes through Gitaly's `GetBlobs`, which finds a tree entry
    /// only when the entry's path equals the requested path, and GitLab.com reports
    /// `./ci/a.yml` as missing.
    fn read(&self, files: &dyn FileProvider, path: &str) -> Result<String, FetchError> {
        let text = files.read(self.request(path))?;
        if path
            .split('/')
            .any(|segment| segment.is_empty() || segment == ".")
        {
            return Err(FetchError::NotFound);
        }
        Ok(text)
    }

    /// Returns the name of a file of this repository in diagnostics: the path for the planned
    /// repository, `project:ref:path` for another project. The path is written as the
    /// repository's tree lists it, without a leading `/`, `.` segments or empty segments, so
    /// that `/ci/a.yml`, `./ci/a.yml` and `ci//a.yml` give one file one name.
    fn display_name(&self, path: &str) -> String {
        let path = crate::context::normalize_changed_path(path);
        match &self.project {
            None => path,
            Some(project) => {
                let git_ref = self.git_ref.as_deref().unwrap_or("HEAD");
                format!("{project}:{git_ref}:{path}")
            }
        }
    }
}

/// The view a file's own includes get, after GitLab's include context. Their `local` reads
/// the repository the file came from. Remote and template files have no repository and see no
/// variables.
#[derive(Debug, Clone)]
struct Context {
    /// The file's repository, or `None` for remote and template files.
    repo: Option<Repo>,
    /// Whether include-time variables are visible.
    variables: bool,
    /// The file's path inside `repo`, which wildcard includes skip.
    path: Option<String>,
}

/// A file's mapping after its includes were merged in.
struct Expanded {
    map: Mapping,
    /// Whether the file's `include` produced any file to load (GitLab keeps a file whose
    /// `include` produced none as it is, so it is never blank).
    had_files: bool,
    /// Whether an included file could not be loaded (already reported).
    had_failures: bool,
}

/// A fetched file, ready to load.
struct Fetched {
    text: String,
    /// Name for the source map.
    name: String,
    /// The view the file's own includes get.
    context: Context,
}

struct Processor<'p, 'e> {
    env: &'p IncludeEnv<'e>,
    sources: &'p mut SourceMap,
    diags: &'p mut Diagnostics,
    /// The variables of `include:rules`, which expand [`IncludeEnv::variables`] once for all
    /// files.
    rule_variables: rules::RuleVariables<'e>,
    /// Files counted against `max_includes` so far; repeated and nested files count too.
    included: usize,
    /// Bytes of all included files so far.
    total_bytes: usize,
    /// Set when the include count limit was reached: no further include is counted or loaded.
    /// Files counted before it still load.
    count_exceeded: bool,
    /// Set when the total size limit was reached: nothing more is loaded.
    size_exceeded: bool,
}

impl<'e> Processor<'_, 'e> {
    fn variables(&self, context: &Context) -> &'e [(String, String)] {
        if context.variables {
            self.env.variables
        } else {
            &[]
        }
    }

    /// Resolves the `include` key of a file's mapping and merges the included files under it.
    fn expand(&mut self, mut map: Mapping, context: &Context) -> Expanded {
        let Some(include) = map.remove("include") else {
            return Expanded {
                map,
                had_files: false,
                had_failures: false,
            };
        };
        let locations = self.locations(&include.value, context);
        let had_files = !locations.is_empty();
        let location_count = locations.len();

        // GitLab counts every file of one include list before it loads any of them.
        let mut admitted = Vec::new();
        for (kind, item) in locations {
            if self.count_exceeded {
                break;
            }
            self.included += 1;
            if self.included > self.env.limits.max_includes {
                self.diags.push(
                    Diagnostic::error(
                        "too-many-includes",
                        format!(
                            "Maximum of {} nested includes are allowed!",
                            self.env.limits.max_includes
                        ),
                    )
                    .with_span(item.span)
                    .with_help(
                        "every included file counts, including repeated and nested ones; \
                         an include cycle also ends here",
                    ),
                );
                self.count_exceeded = true;
                break;
            }
            admitted.push((kind, item));
        }

        // Files left out by a limit count as failures: the limit's error is already reported,
        // and GitLab stops there without reporting the file that includes them.
        let mut merged = Mapping::new();
        let mut had_failures = admitted.len() < location_count;
        for (kind, item) in admitted {
            if self.size_exceeded {
                had_failures = true;
                break;
            }
            match self.load(kind, &item, context) {
                Some(content) => merged.deep_merge(content),
                None => had_failures = true,
            }
        }
        merged.deep_merge(map);
        Expanded {
            map: merged,
            had_files,
            had_failures,
        }
    }

    /// Turns the `include` value into typed items, in GitLab's order of steps.
    fn locations(&mut self, include: &Node, context: &Context) -> Vec<(Kind, Item)> {
        let variables = self.variables(context);
        let items = location::normalize(include, variables, self.diags);
        let mut result = Vec::new();
        for item in items {
            if !location::check_shape(&item, self.diags) {
                continue;
            }
            if let Some(rules) = item.get("rules") {
                let rule_variables = context.variables.then_some(&self.rule_variables);
                let visible: &dyn Variables = match rule_variables {
                    Some(rule_variables) => rule_variables,
                    None => &NoVariables,
                };
                let env = rules::RuleEnv {
                    variables: visible,
                    rule_variables,
                    files: self.env.files,
                    repo: context.repo.as_ref(),
                    limits: self.env.limits,
                    changed_files: self.env.changed_files,
                };
                if !rules::evaluate(rules, &describe(&item), &env, self.diags) {
                    continue;
                }
            }
            for mut expanded in self.expand_item(item, context) {
                location::expand_values(&mut expanded, variables);
                if let Some(kind) = location::match_kind(&expanded, self.diags) {
                    result.push((kind, expanded));
                }
            }
        }
        result
    }

    /// Expands a `project` item with a list of files into one item per file, and a `local`
    /// item with `*` into one item per matching file.
    fn expand_item(&mut self, item: Item, context: &Context) -> Vec<Item> {
        if item
            .get("project")
            .is_some_and(|node| !matches!(node.value, Value::Bool(false)))
        {
            return match item.get("file").map(|node| &node.value) {
                None => Vec::new(),
                Some(Value::Seq(files)) => files
                    .iter()
                    .map(|file| Item {
                        file_span: Some(file.span),
                        ..item.with("file", file.clone())
                    })
                    .collect(),
                Some(_) => vec![item],
            };
        }
        let pattern = item
            .get("local")
            .and_then(Node::as_str)
            .filter(|local| local.contains('*'))
            .map(str::to_owned);
        match pattern {
            Some(pattern) => self.expand_wildcard(&item, &pattern, context),
            None => vec![item],
        }
    }

    /// Lists the repository and makes one `local` item per matching YAML file, in listing
    /// order, skipping the file that contains the include. Other keys (such as `inputs`) are
    /// copied to every item. No match includes nothing, as in GitLab, with a warning.
    fn expand_wildcard(&mut self, item: &Item, pattern: &str, context: &Context) -> Vec<Item> {
        let Some(repo) = &context.repo else {
            // Loading reports that a file without a project cannot use `local`.
            return vec![item.clone()];
        };
        let pattern = pattern.trim_start_matches('/');
        let paths = match self
            .env
            .files
            .list(repo.project.as_deref(), repo.git_ref.as_deref())
        {
            Ok(paths) => paths,
            Err(error) => {
                self.diags.push(
                    Diagnostic::error(
                        "include-unavailable",
                        format!(
                            "include `{pattern}` could not be expanded because the repository \
                             files could not be listed: {error}"
                        ),
                    )
                    .with_span(item.span),
                );
                return Vec::new();
            }
        };
        let wildcard = glob::Wildcard::new(pattern);
        let span = item.get("local").map_or(item.span, |node| node.span);
        let items: Vec<Item> = paths
            .into_iter()
            .filter(|path| wildcard.matches(path))
            // Every match is a `local` include, so a match without a YAML extension fails
            // like any other such include (`Repository#search_files_by_wildcard_path`
            // returns every path that matches).
            .filter(|path| context.path.as_deref() != Some(path.as_str()))
            .map(|path| item.with("local", Node::string(path, span)))
            .collect();
        if items.is_empty() {
            let mut help = String::from(
                "GitLab matches the pattern against each file's path from the repository root, \
                 without `./`: `*` stays inside one folder and `**` crosses folders; the \
                 including file itself is skipped",
            );
            if pattern.contains('$') {
                help.push_str(
                    "; GitLab matches a `local:` pattern before it expands variables, so write \
                     the include as a plain string (`include: 'ci/$DIR/*.yml'`) to expand them",
                );
            }
            self.diags.push(
                Diagnostic::warning(
                    "include-wildcard-no-match",
                    format!(
                        "`{pattern}` matches no file of the repository, so this include adds \
                         nothing"
                    ),
                )
                .with_span(span)
                .with_help(help),
            );
        }
        items
    }

    /// Fetches, loads, interpolates and expands one included file. Reports the problem and
    /// returns `None` when the file cannot be used.
    fn load(&mut self, kind: Kind, item: &Item, context: &Context) -> Option<Mapping> {
        let location_node = item.get(kind.location_key())?;
        let Some(raw) = location_node.as_str() else {
            let location_text = ruby::to_s(location_node);
            self.location_error(
                "invalid-include-location",
                format!("Included file `{location_text}` needs to be a string"),
                item,
            );
            return None;
        };
        // `local` and `file` paths are read without their leading slashes.
        let location = match kind {
            Kind::Local | Kind::Project => raw.trim_start_matches('/'),
            _ => raw,
        };
        if !self.check_location(kind, location, item) {
            return None;
        }
        let fetched = self.fetch(kind, location, item, context)?;
        self.read_content(location, item, fetched)
    }

    /// GitLab's location checks: the YAML extension (not for components), a valid address for
    /// remote files and the `.gitlab-ci.yml` suffix for templates.
    fn check_location(&mut self, kind: Kind, location: &str, item: &Item) -> bool {
        if kind != Kind::Component && !has_yaml_extension(location) {
            self.location_error(
                "invalid-include-location",
                format!("Included file `{location}` does not have YAML extension!"),
                item,
            );
            return false;
        }
        if kind == Kind::Remote && !location::is_valid_url(location) {
            self.location_error(
                "invalid-include-location",
                format!("Remote file `{location}` does not have a valid address!"),
                item,
            );
            return false;
        }
        if kind == Kind::Template && !location.ends_with(".gitlab-ci.yml") {
            self.location_error(
                "invalid-include-location",
                format!("Template file `{location}` is not a valid location!"),
                item,
            );
            return false;
        }
        true
    }

    /// Reads the file from the provider and maps failures to GitLab's messages.
    fn fetch(
        &mut self,
        kind: Kind,
        location: &str,
        item: &Item,
        context: &Context,
    ) -> Option<Fetched> {
        let no_repository = Context {
            repo: None,
            variables: false,
            path: None,
        };
        match kind {
            Kind::Local => {
                let Some(repo) = context.repo.clone() else {
                    self.error(
                        "include-without-project",
                        format!("Local file `{location}` does not have project!"),
                        item,
                    );
                    return None;
                };
                let result = repo.read(self.env.files, location);
                let text = self.fetch_result(
                    result,
                    location,
                    item,
                    |error| match error {
                        FetchError::NotFound => {
                            Some(format!("Local file `{location}` does not exist!"))
                        }
                        _ => None,
                    },
                    &repo,
                )?;
                if text.trim().is_empty() {
                    self.error(
                        "include-empty",
                        format!("Local file `{location}` is empty!"),
                        item,
                    );
                    return None;
                }
                Some(Fetched {
                    name: repo.display_name(location),
                    context: Context {
                        repo: Some(repo),
                        variables: context.variables,
                        path: Some(location.to_owned()),
                    },
                    text,
                })
            }
            Kind::Project => {
                let repo = Repo {
                    project: Some(location::project_name(item)),
                    git_ref: location::project_ref(item),
                };
                let project = repo.project.clone().unwrap_or_default();
                let result = repo.read(self.env.files, location);
                let text = self.fetch_result(
                    result,
                    location,
                    item,
                    |error| match error {
                        FetchError::NotFound => Some(format!(
                            "Project `{project}` file `{location}` does not exist!"
                        )),
                        _ => None,
                    },
                    &repo,
                )?;
                if text.trim().is_empty() {
                    self.location_error(
                        "include-empty",
                        format!("Project `{project}` file `{location}` is empty!"),
                        item,
                    );
                    return None;
                }
                Some(Fetched {
                    name: repo.display_name(location),
                    context: Context {
                        repo: Some(repo),
                        variables: context.variables,
                        path: Some(location.to_owned()),
                    },
                    text,
                })
            }
            Kind::Remote => {
                let result = self.env.files.read(FileRequest::Remote { url: location });
                let text = self.fetch_result(result, location, item, |error| match error {
                    FetchError::NotFound => Some(format!(
                        "Remote file `{location}` could not be fetched because of HTTP code `404` error!"
                    )),
                    _ => None,
                }, &Repo::default())?;
                if text.trim().is_empty() {
                    self.error(
                        "include-empty",
                        format!("Included file `{location}` is empty or does not exist!"),
                        item,
                    );
                    return None;
                }
                if !self.check_integrity(&text, location, item) {
                    return None;
                }
                Some(Fetched {
                    name: location.to_owned(),
                    context: no_repository,
                    text,
                })
            }
            Kind::Template => {
                let result = self
                    .env
                    .files
                    .read(FileRequest::Template { name: location });
                let missing = format!("Included file `{location}` is empty or does not exist!");
                let text = self.fetch_result(
                    result,
                    location,
                    item,
                    |error| match error {
                        FetchError::NotFound => Some(missing.clone()),
                        _ => None,
                    },
                    &Repo::default(),
                )?;
                if text.trim().is_empty() {
                    self.error("include-empty", missing, item);
                    return None;
                }
                Some(Fetched {
                    name: format!("{TEMPLATE_NAME_PREFIX}{location}"),
                    context: no_repository,
                    text,
                })
            }
            Kind::Component => self.fetch_component(location, item, context),
            Kind::Artifact => {
                self.error(
                    "include-artifact-outside-child-pipeline",
                    "Including configs from artifacts is only allowed when triggering child pipelines",
                    item,
                );
                None
            }
        }
    }

    /// Maps a read result to the text and reports GitLab's message for a failure. `not_found`
    /// returns the kind-specific message for the errors it covers.
    fn fetch_result(
        &mut self,
        result: Result<String, FetchError>,
        location: &str,
        item: &Item,
        not_found: impl Fn(&FetchError) -> Option<String>,
        repo: &Repo,
    ) -> Option<String> {
        let error = match result {
            Ok(text) => return Some(text),
            Err(error) => error,
        };
        if let Some(message) = not_found(&error) {
            let span = item.file_span.unwrap_or(item.span);
            let mut diagnostic = Diagnostic::error("include-not-found", message).with_span(span);
            if let Some(written) = &item.written_location {
                diagnostic = diagnostic.with_help(format!(
                    "`{written}` is expanded with the predefined, instance, group, project and \
                     pipeline variables only, because the `variables:` of the YAML do not reach \
                     `include`"
                ));
            }
            self.diags.push(diagnostic);
            return None;
        }
        let project = repo.project.as_deref().unwrap_or_default();
        match error {
            FetchError::ProjectNotFound => self.error(
                "include-project-not-found",
                format!(
                    "Project `{project}` not found or access denied! Make sure any includes in \
                     the pipeline configuration are correctly defined."
                ),
                item,
            ),
            FetchError::RefNotFound => {
                let git_ref = repo.git_ref.as_deref().unwrap_or("HEAD");
                self.error(
                    "include-ref-not-found",
                    format!("Project `{project}` reference `{git_ref}` does not exist!"),
                    item,
                );
            }
            FetchError::Unavailable(message) => self.location_error(
                "include-unavailable",
                format!("include `{location}` could not be loaded: {message}"),
                item,
            ),
            FetchError::NotFound => self.location_error(
                "include-not-found",
                format!("Included file `{location}` is empty or does not exist!"),
                item,
            ),
            FetchError::Other(message) => self.location_error(
                "include-fetch-failed",
                format!("include `{location}` could not be loaded: {message}"),
                item,
            ),
        }
        None
    }

    /// Fetches a CI/CD component `<fqdn>/<project-path>/<name>@<version>`: the file
    /// `templates/<name>.yml`, else `templates/<name>/template.yml`, of `<project-path>` at
    /// `<version>`.
    fn fetch_component(
        &mut self,
        address: &str,
        item: &Item,
        context: &Context,
    ) -> Option<Fetched> {
        if context.repo.is_none() {
            self.error(
                "include-without-project",
                "Unable to use components outside of a project context",
                item,
            );
            return None;
        }
        // GitLab matches components against its own host name setting, which a pipeline
        // variable of the same name does not change.
        let fqdn = self.env.server_fqdn.or_else(|| {
            self.env
                .variables
                .iter()
                .rev()
                .find(|(name, _)| name == FQDN_VARIABLE)
                .map(|(_, value)| value.as_str())
        });
        let component = match parse_component(address, fqdn) {
            Ok(component) => component,
            Err(reason) => {
                self.error(
                    "include-not-found",
                    format!("Component '{address}' - {reason}"),
                    item,
                );
                return None;
            }
        };
        let repo = Repo {
            project: Some(component.project.to_lowercase()),
            git_ref: Some(component.version.to_owned()),
        };
        let candidates = [
            format!("templates/{}.yml", component.name),
            format!("templates/{}/template.yml", component.name),
        ];
        for path in candidates {
            match self.env.files.read(repo.request(&path)) {
                Ok(text) if !text.trim().is_empty() => {
                    return Some(Fetched {
                        name: repo.display_name(&path),
                        context: Context {
                            repo: Some(repo),
                            variables: context.variables,
                            path: Some(path),
                        },
                        text,
                    });
                }
                Ok(_) | Err(FetchError::NotFound) => {}
                Err(FetchError::ProjectNotFound | FetchError::RefNotFound) => break,
                Err(FetchError::Unavailable(message) | FetchError::Other(message)) => {
                    self.error(
                        "include-unavailable",
                        format!("include `{address}` could not be loaded: {message}"),
                        item,
                    );
                    return None;
                }
            }
        }
        self.error(
            "include-not-found",
            format!("Component '{address}' - content not found"),
            item,
        );
        None
    }

    /// Compares a remote file with its `integrity` hash (SHA-256, base64-encoded).
    fn check_integrity(&mut self, text: &str, location: &str, item: &Item) -> bool {
        let Some(expected) = item
            .get("integrity")
            .and_then(Node::as_str)
            .and_then(|integrity| integrity.strip_prefix("sha256-"))
        else {
            return true;
        };
        let actual = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text));
        if actual == expected {
            return true;
        }
        self.error(
            "include-integrity-mismatch",
            format!("Remote file `{location}` failed integrity check!"),
            item,
        );
        false
    }

    /// Loads a fetched file, interpolates it with the item's inputs and expands its includes.
    fn read_content(&mut self, location: &str, item: &Item, fetched: Fetched) -> Option<Mapping> {
        self.total_bytes = self.total_bytes.saturating_add(fetched.text.len());
        if self.total_bytes > self.env.limits.max_total_yaml_size_bytes {
            self.error(
                "config-too-big",
                "Total size of combined CI/CD configuration is too big",
                item,
            );
            self.size_exceeded = true;
            return None;
        }

        // A location built from a masked variable must not show it in diagnostics and job
        // locations, so the file is named with its location masked, as GitLab's include
        // metadata names it (`masked_location`).
        let name = mask_secrets(&fetched.name, &masked_values(self.env));
        let file = self.sources.add(name, fetched.text.clone());
        let mut loader_diags = Diagnostics::new();
        let document = yaml::load(file, &fetched.text, self.env.limits, &mut loader_diags);
        for diagnostic in loader_diags {
            self.push_from_file(diagnostic, location, item);
        }
        let document = document?;
        if !matches!(document.body.value, Value::Map(_) | Value::Null) {
            let diagnostic = invalid_format(&document.body);
            self.push_from_file(diagnostic, location, item);
            return None;
        }

        let arguments = match item.inputs() {
            None => None,
            Some(node) => match &node.value {
                Value::Null => None,
                Value::Map(map) => Some(map),
                _ => {
                    self.diags.push(
                        Diagnostic::error(
                            "invalid-include-inputs",
                            format!("include `inputs` of `{location}` should be a hash"),
                        )
                        .with_span(node.span),
                    );
                    return None;
                }
            },
        };
        let variables = self.variables(&fetched.context);
        let interpolated = inputs::interpolate(
            document,
            arguments,
            variables,
            self.env.masked,
            self.env.limits,
            &fetched.text,
        );
        let interpolated = match interpolated {
            Ok(interpolated) => interpolated,
            Err(error) => {
                let mut diagnostic = Diagnostic::error(error.code, error.message());
                if let Some(span) = error.span() {
                    diagnostic = diagnostic.with_span(span);
                }
                self.push_from_file(diagnostic, location, item);
                return None;
            }
        };
        self.diags.extend(interpolated.warnings);

        let map = match interpolated.body.value {
            Value::Map(map) => map,
            _ => Mapping::new(),
        };
        if map.is_empty() {
            self.invalid_syntax(location, item);
            return None;
        }
        let expanded = self.expand(map, &fetched.context);
        if expanded.had_files && expanded.map.is_empty() {
            // A file left empty only because its own includes failed adds nothing new to
            // report: GitLab would have stopped at that first failure.
            if !expanded.had_failures {
                self.invalid_syntax(location, item);
            }
            return None;
        }
        Some(expanded.map)
    }

    fn invalid_syntax(&mut self, location: &str, item: &Item) {
        self.location_error(
            "include-invalid-yaml",
            format!("Included file `{location}` does not have valid YAML syntax!"),
            item,
        );
    }

    /// Reports a problem found inside an included file: errors get GitLab's `` `<file>`: ``
    /// prefix, keep their own span, and point back at the include: at the entry of its `file:`
    /// list when it has one, else at the item.
    fn push_from_file(&mut self, mut diagnostic: Diagnostic, location: &str, item: &Item) {
        if diagnostic.severity == Severity::Error {
            diagnostic.message = format!("`{location}`: {}", diagnostic.message);
        }
        let include_span = item.file_span.unwrap_or(item.span);
        match diagnostic.span {
            Some(span) if span != include_span => {
                diagnostic = diagnostic.with_label(include_span, "included here");
            }
            Some(_) => {}
            None => diagnostic = diagnostic.with_span(include_span),
        }
        self.diags.push(diagnostic);
    }

    /// Reports a problem with an include item at the item's span.
    fn error(&mut self, code: &'static str, message: impl Into<String>, item: &Item) {
        self.diags
            .push(Diagnostic::error(code, message).with_span(item.span));
    }

    /// Reports an error about the file an item names, at the entry of its `file:` list when
    /// it has one, else at the item.
    fn location_error(&mut self, code: &'static str, message: impl Into<String>, item: &Item) {
        let span = item.file_span.unwrap_or(item.span);
        self.diags
            .push(Diagnostic::error(code, message).with_span(span));
    }
}

/// Checks GitLab's YAML extension rule: the file name ends in `.yml` or `.yaml` (any case)
/// after at least one character.
fn has_yaml_extension(location: &str) -> bool {
    let basename = location
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let stem = basename
        .strip_suffix(".yml")
        .or_else(|| basename.strip_suffix(".yaml"));
    stem.is_some_and(|stem| !stem.is_empty())
}

/// Returns a short name for an include item in diagnostics: its location when it has one,
/// otherwise the item as JSON.
fn describe(item: &Item) -> String {
    [
        "local",
        "file",
        "remote",
        "template",
        "component",
        "artifact",
    ]
    .into_iter()
    .find_map(|key| item.get(key).and_then(Node::as_str))
    .map_or_else(
        || location::ruby_json(&Node::new(Value::Map(item.map.clone()), item.span)),
        str::to_owned,
    )
}

/// The parts of a component address.
#[derive(Debug, PartialEq, Eq)]
struct Component<'a> {
    project: &'a str,
    name: &'a str,
    version: &'a str,
}

/// Splits `<fqdn>/<project-path>/<name>@<version>`. Without a known server name, the first
/// path segment is taken as the server. Returns GitLab's reason when the address is unusable.
fn parse_component<'a>(
    address: &'a str,
    fqdn: Option<&str>,
) -> Result<Component<'a>, &'static str> {
    const UNSUPPORTED: &str = "the component path is not supported";
    const NOT_FOUND: &str = "content not found";
    let (full_path, version) = address.split_once('@').ok_or(UNSUPPORTED)?;
    // GitLab looks the version up as a commit of the component project, and the empty string
    // names none. glplan ignores other versions, which may name a real tag or commit.
    if version.is_empty() {
        return Err(NOT_FOUND);
    }
    let instance_path = match fqdn {
        Some(fqdn) => full_path
            .strip_prefix(fqdn)
            .and_then(|rest| rest.strip_prefix('/'))
            .ok_or(UNSUPPORTED)?,
        None => full_path.split_once('/').ok_or(UNSUPPORTED)?.1,
    };
    if instance_path.starts_with('/') {
        return Err(NOT_FOUND);
    }
    let (project, name) = instance_path.rsplit_once('/').ok_or(NOT_FOUND)?;
    if project.is_empty() || name.is_empty() {
        return Err(NOT_FOUND);
    }
    Ok(Component {
        project,
        name,
        version,
    })
}
