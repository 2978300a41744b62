//! The configuration phase driver: GitLab's steps, in GitLab's order.

use crate::config::{self, Config};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::files::{FetchError, FileProvider, FileRequest};
use crate::limits::Limits;
use crate::source::SourceMap;
use crate::yaml::Mapping;
use crate::{extends, include, reference, yaml};

/// What the configuration phase needs besides the files.
#[derive(Debug, Clone, Default)]
pub struct ResolveOptions {
    /// Limits to enforce.
    pub limits: Limits,
    /// Variables visible to `include` (expansion of include locations and `include:rules`):
    /// predefined pipeline variables, CI/CD settings variables and pipeline variables. YAML
    /// `variables:` are never visible there.
    pub variables: Vec<(String, String)>,
    /// Pipeline inputs for the entry file's `spec:inputs`.
    pub inputs: Option<Mapping>,
    /// The files `include:rules:changes` compares with, as
    /// [`PipelineContext::diff`](crate::context::PipelineContext::diff) gives them. `None`
    /// means the pipeline has no diff, which makes every `changes` clause true.
    pub changed_files: Option<Vec<String>>,
    /// Names of the masked variables among [`ResolveOptions::variables`]: `expand_vars` rejects
    /// their references and error messages show their values as `[MASKED]`.
    pub masked: Vec<String>,
    /// For each definition of [`ResolveOptions::variables`], in order, whether it is raw
    /// (`expand: false`). A definition past the end is not raw. The values of the others are
    /// expanded with each other before `include:rules` expands `exists` and `changes` paths
    /// with them, as GitLab does.
    pub raw: Vec<bool>,
    /// The GitLab server's host name, with `:port` when the port is not the protocol's
    /// default ([`Server::fqdn`](crate::context::Server::fqdn)). `include:component`
    /// addresses must start with it. `None` falls back to a `CI_SERVER_FQDN` entry of
    /// [`ResolveOptions::variables`], and without one to the first segment of each address.
    pub server_fqdn: Option<String>,
}

/// The outcome of the configuration phase. Phases keep going after errors where GitLab's
/// behaviour still defines a result, so a run reports as many problems as it can find.
#[derive(Debug, Clone)]
pub struct Resolution {
    /// Every file that was loaded, for rendering diagnostics.
    pub sources: SourceMap,
    /// The merged tree after `include`, `extends` and `!reference`: what GitLab's merged YAML
    /// view shows. `None` when the entry file could not be loaded at all.
    pub merged: Option<Mapping>,
    /// The typed configuration after `default:`, `inherit:` and `parallel` expansion. `None`
    /// when the merged tree could not be built.
    pub config: Option<Config>,
    /// Everything the phases reported, in phase order.
    pub diagnostics: Diagnostics,
}

/// Resolves the configuration whose entry file is `entry` in the repository being planned.
pub fn resolve(entry: &str, files: &dyn FileProvider, options: &ResolveOptions) -> Resolution {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let limits = &options.limits;

    let request = FileRequest::Repository {
        project: None,
        git_ref: None,
        path: entry,
    };
    let text = match files.read(request) {
        Ok(text) => text,
        Err(error) => {
            diags.push(entry_fetch_error(entry, &error));
            return Resolution {
                sources,
                merged: None,
                config: None,
                diagnostics: diags,
            };
        }
    };
    // The source map keeps the text for diagnostics. Loading borrows it from there, which
    // saves copying the whole file.
    let entry_file = sources.add(entry, text);

    // 1. YAML load of the entry file, with `spec:inputs` interpolation when it has a header.
    let document = sources
        .get(entry_file)
        .and_then(|file| yaml::load(entry_file, &file.text, limits, &mut diags));
    let Some(document) = document else {
        return Resolution {
            sources,
            merged: None,
            config: None,
            diagnostics: diags,
        };
    };

    // 2. include: load, interpolate and deep-merge every included file under the entry file.
    let env = include::IncludeEnv {
        files,
        limits,
        variables: &options.variables,
        pipeline_inputs: options.inputs.as_ref(),
        changed_files: options.changed_files.as_deref(),
        masked: &options.masked,
        raw: &options.raw,
        server_fqdn: options.server_fqdn.as_deref(),
    };
    let Some(mut merged) = include::process(document, entry_file, &env, &mut sources, &mut diags)
    else {
        return Resolution {
            sources,
            merged: None,
            config: None,
            diagnostics: diags,
        };
    };

    // 3. extends, over every top-level key.
    extends::resolve(&mut merged, limits, &mut diags);

    // 4. !reference, over the merged and extended tree.
    reference::resolve(&mut merged, limits, &mut diags);

    // 5-8. Stage injection, entry composition and validation, logical validation, parallel
    // expansion.
    let config = config::build(&merged, limits, &mut diags);

    Resolution {
        sources,
        merged: Some(merged),
        config,
        diagnostics: diags,
    }
}

fn entry_fetch_error(entry: &str, error: &FetchError) -> Diagnostic {
    match error {
        FetchError::NotFound => Diagnostic::error(
            "entry-not-found",
            format!("configuration file `{entry}` does not exist"),
        ),
        other => Diagnostic::error(
            "entry-not-readable",
            format!("configuration file `{entry}` could not be read: {other}"),
        ),
    }
}
