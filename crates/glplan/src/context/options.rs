//! The pipeline to plan as a user describes it: the context options of `glplan plan` and
//! `glplan explain`, and the `context` object of the wasm package.
//!
//! [`ContextOptions::build`] turns the few facts a user gives (source, ref, merge request
//! branches, variables, changed files) into a full [`PipelineContext`], with the defaults that
//! go together for each kind of pipeline. The callers read files and word errors in their own
//! terms: the CLI names its flags, the wasm package its object fields.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Deserialize;

use super::maskable::{UnmaskableValue, check_maskable};
use super::ref_name::{InvalidRefName, check_ref_name, full_ref_prefix};
use super::{
    GroupVariables, MergeRequest, MergeRequestEventType, PipelineContext, PipelineSource, Project,
    SettingsVariable,
};

/// The user's description of the pipeline to plan. Every field is optional; with none, the
/// pipeline is a push to the default branch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContextOptions {
    /// `CI_PIPELINE_SOURCE`. Default `push`, or `merge_request_event` when a merge request
    /// field is set.
    pub source: Option<PipelineSource>,
    /// The branch or tag (`CI_COMMIT_REF_NAME`). Default: the default branch.
    pub ref_name: Option<String>,
    /// Whether [`ContextOptions::ref_name`] is a tag.
    pub tag: bool,
    /// `CI_DEFAULT_BRANCH`. Default `main`. A push to it counts as a push to a protected
    /// branch unless [`ContextOptions::protected_ref`] is `Some(false)`.
    pub default_branch: Option<String>,
    /// Whether the branch or tag is protected (`CI_COMMIT_REF_PROTECTED`), which decides
    /// whether protected CI/CD variables reach the pipeline. Default: `true` for the default
    /// branch, `false` for other branches and for tags. A merge request pipeline ignores it,
    /// because GitLab runs it on the merge request's own ref, which is never protected.
    pub protected_ref: Option<bool>,
    /// The project's full path, `namespace/name` (`CI_PROJECT_PATH`). Default
    /// `group/project`. Its namespace and the namespace's ancestors are the groups that
    /// [`ContextOptions::group_variables`] can name.
    pub project_path: Option<String>,
    /// The merge request's source branch. Default: [`ContextOptions::ref_name`], else the
    /// default branch. It must differ from the target branch.
    pub mr_source: Option<String>,
    /// The merge request's target branch. Default: the default branch.
    pub mr_target: Option<String>,
    /// The merge request's labels (`CI_MERGE_REQUEST_LABELS`).
    pub mr_labels: Vec<String>,
    /// `CI_MERGE_REQUEST_EVENT_TYPE`. Default `detached`.
    pub mr_event_type: Option<MergeRequestEventType>,
    /// The merge request's title (`CI_MERGE_REQUEST_TITLE`). A title that starts with
    /// `Draft:`, `[Draft]` or `(Draft)`, in any case, makes the merge request a draft
    /// (`CI_MERGE_REQUEST_DRAFT`), as in GitLab. Default `Add feature`.
    pub mr_title: Option<String>,
    /// Pipeline variables, as **Run pipeline** or the API would set them. With the source
    /// `schedule` they are the schedule's variables instead, because GitLab gives a scheduled
    /// pipeline the variables of its schedule and no pipeline variables. A later entry with
    /// the same key replaces an earlier one.
    pub variables: Vec<SettingsVariable>,
    /// Instance CI/CD variables, the lowest in precedence of the settings variables. A later
    /// entry with the same key replaces an earlier one.
    pub instance_variables: Vec<SettingsVariable>,
    /// Group CI/CD variables, above instance and below project variables in precedence. The
    /// entries may come in any order. [`ContextOptions::build`] merges the entries of each
    /// group, where a later variable with the same key and environment scope replaces an
    /// earlier one. It orders the groups from the top-level group down, so that the closest
    /// group's value wins.
    pub group_variables: Vec<GroupVariablesOption>,
    /// Project CI/CD variables, below pipeline variables in precedence. A later entry with the
    /// same key and environment scope replaces an earlier one. Entries that differ in scope
    /// are kept, as GitLab keeps one variable per key and scope.
    pub project_variables: Vec<SettingsVariable>,
    /// Names of variables whose values are shown as `[MASKED]`, at every level that sets
    /// them. Each name must be set at some level.
    pub masked: Vec<String>,
    /// The files the push or merge request changed. `None` means there is no diff, so every
    /// `changes` clause holds, as in GitLab's pipelines for a new branch, a tag, a schedule or
    /// a manual run.
    pub changed: Option<Vec<String>>,
    /// The commit message, whose first line is `CI_COMMIT_TITLE`.
    pub title: Option<String>,
    /// The GitLab server's host name or IPv6 address in brackets (`[2001:db8::1]`), followed
    /// by `:PORT` when the server does not listen on 443. The server URL becomes `https://HOST`
    /// without a `:443` (`CI_SERVER_URL`, `CI_SERVER_FQDN`), and `include:component` addresses
    /// must start with the host. Default `gitlab.example.com`. [`is_server_host`] must accept
    /// it.
    pub server_host: Option<String>,
}

/// The variables of one group in [`ContextOptions::group_variables`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupVariablesOption {
    /// The group's full path, such as `top/sub`: the project's namespace or one of its
    /// ancestors. `None` is the project's namespace, the closest group. As GitLab looks up
    /// paths, the comparison with the project's path ignores ASCII case.
    pub path: Option<String>,
    /// The group's variables.
    pub variables: Vec<SettingsVariable>,
}

/// Why [`ContextOptions::build`] rejected the options. Callers word the message with their
/// own names for the fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextError {
    /// A merge request field was set together with a source other than
    /// `merge_request_event` or `parent_pipeline`.
    SourceNotMergeRequest {
        /// The source that was given.
        source: PipelineSource,
    },
    /// The merge request's source and target branch are the same branch. GitLab's
    /// `MergeRequest#validate_branches` rejects such a merge request with "You can't use same
    /// project/branch for source and target".
    SameMergeRequestBranches {
        /// The branch.
        branch: String,
        /// The [`ContextOptions`] field the source branch came from: `mr_source` or
        /// `ref_name`, or `None` for the default branch.
        source_field: Option<&'static str>,
        /// Whether [`ContextOptions::mr_target`] was given; otherwise the target is the
        /// default branch.
        target_given: bool,
    },
    /// A ref or branch name is not a valid Git branch or tag name (see
    /// [`check_ref_name`](super::check_ref_name)).
    InvalidRefName {
        /// The [`ContextOptions`] field: `ref_name`, `default_branch`, `mr_source` or
        /// `mr_target`.
        field: &'static str,
        /// The name that was given.
        name: String,
        /// The rule it breaks.
        reason: InvalidRefName,
    },
    /// The ref and the merge request's source branch were both given and differ.
    RefNotMergeRequestSource {
        /// The ref that was given.
        ref_name: String,
        /// The merge request source branch that was given.
        mr_source: String,
    },
    /// A variable to mask is set at no level.
    MaskedVariableNotSet {
        /// The name to mask.
        name: String,
    },
    /// A ref, branch, label, changed path, project or group path or masked name is the empty
    /// string, which no GitLab pipeline has.
    EmptyValue {
        /// The [`ContextOptions`] field: `ref_name`, `default_branch`, `project_path`,
        /// `mr_source`, `mr_target`, `mr_title`, `mr_labels`, `changed`, `group_variables` (a
        /// group path) or `masked`.
        field: &'static str,
        /// The 0-based index of the empty entry in a list field (`mr_labels`, `changed`,
        /// `masked`) or of the group in `group_variables`; `None` for the other fields.
        index: Option<usize>,
    },
    /// The project path is not `namespace/name` with GitLab's path characters.
    InvalidProjectPath {
        /// The path that was given.
        path: String,
    },
    /// The server host is not `HOST` or `HOST:PORT` (see [`is_server_host`]).
    InvalidServerHost {
        /// The host that was given.
        host: String,
    },
    /// A group of [`ContextOptions::group_variables`] is neither the project's namespace nor
    /// one of its ancestors, so GitLab would not give its variables to the project's
    /// pipelines.
    GroupNotAncestor {
        /// The group's path.
        group: String,
        /// The project's full path.
        project_path: String,
    },
    /// A masked variable's value breaks GitLab's rules for masked values, so GitLab would
    /// reject the variable.
    UnmaskableValue {
        /// The [`ContextOptions`] field that sets the variable: `instance_variables`,
        /// `group_variables`, `project_variables` or `variables`.
        field: &'static str,
        /// The group's full path, for a group variable.
        group: Option<String>,
        /// The variable's name.
        key: String,
        /// Whether [`ContextOptions::masked`] lists the variable's name. When it does not,
        /// the variable's own flag masks it.
        masked_by_name: bool,
        /// The rules the value breaks.
        reason: UnmaskableValue,
    },
}

/// A likely mistake in the options that still describes a pipeline GitLab can create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextWarning {
    /// A ref or branch is a full Git ref name such as `refs/heads/main`. GitLab names
    /// branches and tags without the prefix, so the pipeline runs for a branch or tag whose
    /// name starts with `refs/`.
    FullRefName {
        /// The [`ContextOptions`] field: `ref_name`, `default_branch`, `mr_source` or
        /// `mr_target`.
        field: &'static str,
        /// The name that was given.
        name: String,
        /// The prefix: `refs/heads/`, `refs/tags/`, or `refs/` for other refs.
        prefix: &'static str,
    },
}

impl ContextWarning {
    /// Returns the name without its `refs/heads/` or `refs/tags/` prefix, which is most likely
    /// the name the user meant; `None` for other full ref names.
    pub fn short_name(&self) -> Option<&str> {
        match self {
            ContextWarning::FullRefName { name, prefix, .. } => {
                if *prefix == "refs/" {
                    return None;
                }
                name.strip_prefix(prefix).filter(|short| !short.is_empty())
            }
        }
    }
}

impl ContextOptions {
    /// Returns whether a merge request field was set.
    pub fn is_merge_request(&self) -> bool {
        self.mr_source.is_some()
            || self.mr_target.is_some()
            || !self.mr_labels.is_empty()
            || self.mr_event_type.is_some()
            || self.mr_title.is_some()
    }

    fn default_branch(&self) -> &str {
        self.default_branch
            .as_deref()
            .unwrap_or(super::DEFAULT_BRANCH)
    }

    /// Builds the pipeline context the options describe.
    pub fn build(&self) -> Result<PipelineContext, ContextError> {
        if let Some((field, index)) = self.empty_field() {
            return Err(ContextError::EmptyValue { field, index });
        }
        for (field, name) in self.ref_fields() {
            if let Err(reason) = check_ref_name(name) {
                return Err(ContextError::InvalidRefName {
                    field,
                    name: name.to_owned(),
                    reason,
                });
            }
        }
        let merge_request =
            self.is_merge_request() || self.source == Some(PipelineSource::MergeRequestEvent);
        // `parent_pipeline` with a merge request is the child of a merge request pipeline,
        // which keeps its parent's merge request.
        if let Some(source) = self.source
            && merge_request
            && !matches!(
                source,
                PipelineSource::MergeRequestEvent | PipelineSource::ParentPipeline
            )
        {
            return Err(ContextError::SourceNotMergeRequest { source });
        }

        let mut context = if merge_request {
            let mut context = self.merge_request_context()?;
            if self.source == Some(PipelineSource::ParentPipeline) {
                context.source = PipelineSource::ParentPipeline;
            }
            context
        } else {
            self.ref_context()
        };

        if let Some(message) = &self.title {
            context.commit.message = message.clone();
        }
        context.changed_files = self.changed.as_ref().map(|files| {
            files
                .iter()
                .map(|path| super::normalize_changed_path(path))
                .collect()
        });

        if let Some(path) = &self.project_path {
            if !is_project_path(path) {
                return Err(ContextError::InvalidProjectPath { path: path.clone() });
            }
            context.project.path = path.clone();
        }
        if let Some(host) = &self.server_host {
            if !is_server_host(host) {
                return Err(ContextError::InvalidServerHost { host: host.clone() });
            }
            // GitLab leaves the protocol's default port out of the server URL.
            let host = host.strip_suffix(":443").unwrap_or(host);
            context.server.url = format!("https://{host}");
        }
        self.set_variables(&mut context)?;
        Ok(context)
    }

    /// Returns the likely mistakes in the options: refs given as full Git ref names.
    pub fn warnings(&self) -> Vec<ContextWarning> {
        self.ref_fields()
            .filter_map(|(field, name)| {
                let prefix = full_ref_prefix(name)?;
                Some(ContextWarning::FullRefName {
                    field,
                    name: name.to_owned(),
                    prefix,
                })
            })
            .collect()
    }

    /// Returns the fields that name a branch or tag, with their values, when given.
    fn ref_fields(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("ref_name", &self.ref_name),
            ("default_branch", &self.default_branch),
            ("mr_source", &self.mr_source),
            ("mr_target", &self.mr_target),
        ]
        .into_iter()
        .filter_map(|(field, value)| Some((field, value.as_deref()?)))
    }

    /// Sets the CI/CD variables of every level, marks the variables named in
    /// [`ContextOptions::masked`] as masked, and checks the masked values.
    fn set_variables(&self, context: &mut PipelineContext) -> Result<(), ContextError> {
        let mut instance_variables = merged(&self.instance_variables);
        let mut group_variables = self.group_chain(&context.project)?;
        let mut project_variables = merged_per_scope(&self.project_variables);
        let mut pipeline_variables = merged(&self.variables);

        for name in &self.masked {
            let is_set = |variables: &[SettingsVariable]| variables.iter().any(|v| &v.key == name);
            let set_somewhere = is_set(&instance_variables)
                || group_variables.iter().any(|group| is_set(&group.variables))
                || is_set(&project_variables)
                || is_set(&pipeline_variables);
            if !set_somewhere {
                return Err(ContextError::MaskedVariableNotSet { name: name.clone() });
            }
        }
        self.mask(&mut instance_variables, "instance_variables", None)?;
        for group in &mut group_variables {
            self.mask(&mut group.variables, "group_variables", Some(&group.path))?;
        }
        self.mask(&mut project_variables, "project_variables", None)?;
        self.mask(&mut pipeline_variables, "variables", None)?;

        context.instance_variables = instance_variables;
        context.group_variables = group_variables;
        context.project_variables = project_variables;
        if context.source == PipelineSource::Schedule {
            context.schedule_variables = pipeline_variables;
        } else {
            context.pipeline_variables = pipeline_variables;
        }
        Ok(())
    }

    /// Marks the variables named in [`ContextOptions::masked`] as masked, then checks that
    /// every masked value is one GitLab accepts.
    fn mask(
        &self,
        variables: &mut [SettingsVariable],
        field: &'static str,
        group: Option<&str>,
    ) -> Result<(), ContextError> {
        for variable in variables {
            let masked_by_name = self.masked.contains(&variable.key);
            variable.masked |= masked_by_name;
            if !variable.masked {
                continue;
            }
            if let Err(reason) = check_maskable(&variable.value, variable.raw) {
                return Err(ContextError::UnmaskableValue {
                    field,
                    group: group.map(str::to_owned),
                    key: variable.key.clone(),
                    masked_by_name,
                    reason,
                });
            }
        }
        Ok(())
    }

    /// Returns the group variables as GitLab reads them for `project`: one entry per group,
    /// ordered from the top-level group down to the project's namespace.
    ///
    /// GitLab finds a namespace by its full path without regard to case, so group paths are
    /// compared with the project's path and with each other ignoring ASCII case. GitLab's
    /// paths are ASCII. A group keeps the path of its first entry, as written.
    fn group_chain(&self, project: &Project) -> Result<Vec<GroupVariables>, ContextError> {
        let namespace = project.namespace();
        let mut groups: Vec<GroupVariables> = Vec::new();
        for option in &self.group_variables {
            let path = option.path.as_deref().unwrap_or(namespace);
            if !is_namespace_or_ancestor(path, namespace) {
                return Err(ContextError::GroupNotAncestor {
                    group: path.to_owned(),
                    project_path: project.path.clone(),
                });
            }
            let same_group = |group: &GroupVariables| group.path.eq_ignore_ascii_case(path);
            let index = match groups.iter().position(same_group) {
                Some(index) => index,
                None => {
                    groups.push(GroupVariables {
                        path: path.to_owned(),
                        variables: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            if let Some(group) = groups.get_mut(index) {
                for variable in &option.variables {
                    set_scoped_variable(&mut group.variables, variable.clone());
                }
            }
        }
        // Every path is a prefix of the namespace, so the number of segments orders them.
        crate::sort::sort_by_key(&mut groups, |group| group.path.split('/').count());
        Ok(groups)
    }

    /// Returns the first field that is an empty string or contains one, with the index of the
    /// empty entry or group when the field is a list.
    fn empty_field(&self) -> Option<(&'static str, Option<usize>)> {
        let single = [
            ("ref_name", &self.ref_name),
            ("default_branch", &self.default_branch),
            ("project_path", &self.project_path),
            ("mr_source", &self.mr_source),
            ("mr_target", &self.mr_target),
            ("mr_title", &self.mr_title),
        ];
        if let Some((field, _)) = single
            .into_iter()
            .find(|(_, value)| value.as_deref() == Some(""))
        {
            return Some((field, None));
        }
        if let Some(index) = self
            .group_variables
            .iter()
            .position(|group| group.path.as_deref() == Some(""))
        {
            return Some(("group_variables", Some(index)));
        }
        let lists = [
            ("mr_labels", self.mr_labels.as_slice()),
            ("changed", self.changed.as_deref().unwrap_or_default()),
            ("masked", self.masked.as_slice()),
        ];
        lists.into_iter().find_map(|(field, values)| {
            let index = values.iter().position(String::is_empty)?;
            Some((field, Some(index)))
        })
    }

    /// A branch or tag pipeline of any source other than `merge_request_event`.
    fn ref_context(&self) -> PipelineContext {
        let default_branch = self.default_branch();
        let ref_name = self
            .ref_name
            .clone()
            .unwrap_or_else(|| default_branch.to_owned());
        let mut context = if self.tag {
            PipelineContext::tag(ref_name)
        } else {
            let protected = ref_name == default_branch;
            PipelineContext {
                ref_protected: protected,
                ..PipelineContext::push(ref_name)
            }
        };
        if let Some(protected) = self.protected_ref {
            context.ref_protected = protected;
        }
        context.default_branch = default_branch.to_owned();
        context.source = self.source.unwrap_or(PipelineSource::Push);
        if context.source == PipelineSource::Schedule {
            // GitLab defines `CI_PIPELINE_SCHEDULE_DESCRIPTION` in every scheduled pipeline.
            context.pipeline.schedule_description = Some("Scheduled pipeline".to_owned());
        }
        context
    }

    fn merge_request_context(&self) -> Result<PipelineContext, ContextError> {
        let default_branch = self.default_branch();
        let (source_branch, source_field) = match (&self.mr_source, &self.ref_name) {
            (Some(source), Some(ref_name)) if source != ref_name => {
                return Err(ContextError::RefNotMergeRequestSource {
                    ref_name: ref_name.clone(),
                    mr_source: source.clone(),
                });
            }
            (Some(source), _) => (source.as_str(), Some("mr_source")),
            (None, Some(ref_name)) => (ref_name.as_str(), Some("ref_name")),
            (None, None) => (default_branch, None),
        };
        let target_branch = self.mr_target.as_deref().unwrap_or(default_branch);
        // Every merge request glplan plans is between branches of the project itself.
        if source_branch == target_branch {
            return Err(ContextError::SameMergeRequestBranches {
                branch: source_branch.to_owned(),
                source_field,
                target_given: self.mr_target.is_some(),
            });
        }
        let mut context = PipelineContext::merge_request(source_branch, target_branch);
        context.default_branch = default_branch.to_owned();
        if let Some(merge_request) = &mut context.merge_request {
            merge_request.labels = self.mr_labels.clone();
            merge_request.event_type = self.mr_event_type.unwrap_or_default();
            if let Some(title) = &self.mr_title {
                merge_request.title = title.clone();
                merge_request.draft = is_draft_title(title);
            }
            merge_request.source_branch_protected = source_branch == default_branch;
            merge_request.target_branch_protected = target_branch == default_branch;
            if merge_request.event_type != MergeRequestEventType::Detached {
                set_merged_result_shas(merge_request);
            }
        }
        Ok(context)
    }
}

/// Returns whether GitLab takes a merge request with `title` as a draft: the title starts
/// with `[Draft]`, `(Draft)` or `Draft:`, ignoring ASCII case (`Gitlab::Regex.merge_request_draft`).
fn is_draft_title(title: &str) -> bool {
    ["[draft]", "(draft)", "draft:"].iter().any(|prefix| {
        title
            .get(..prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
    })
}

/// GitLab sets the head commits of both branches only in merged results and merge train
/// pipelines.
fn set_merged_result_shas(merge_request: &mut MergeRequest) {
    merge_request.source_branch_sha = Some("6c1b2a3d4e5f60718293a4b5c6d7e8f901234567".to_owned());
    merge_request.target_branch_sha = Some("7d2c3b4a5f6e70819203b4c5d6e7f8a012345678".to_owned());
}

/// Returns whether the group with full path `path` is `namespace` or one of its ancestors,
/// ignoring ASCII case.
fn is_namespace_or_ancestor(path: &str, namespace: &str) -> bool {
    let Some(head) = namespace.get(..path.len()) else {
        return false;
    };
    let rest = namespace.get(path.len()..).unwrap_or_default();
    head.eq_ignore_ascii_case(path) && (rest.is_empty() || rest.starts_with('/'))
}

/// Returns `variables` with each key once, at its first position with its last value.
fn merged(variables: &[SettingsVariable]) -> Vec<SettingsVariable> {
    let mut merged = Vec::new();
    for variable in variables {
        set_variable(&mut merged, variable.clone());
    }
    merged
}

/// Returns `variables` with each pair of key and environment scope once, at its first position
/// with its last value.
fn merged_per_scope(variables: &[SettingsVariable]) -> Vec<SettingsVariable> {
    let mut merged = Vec::new();
    for variable in variables {
        set_scoped_variable(&mut merged, variable.clone());
    }
    merged
}

/// Replaces the variable with the same key and environment scope, or appends a new one.
/// GitLab stores group and project variables once per key and scope, so `TOKEN` scoped to
/// `production` and `TOKEN` scoped to `*` are two variables.
fn set_scoped_variable(variables: &mut Vec<SettingsVariable>, variable: SettingsVariable) {
    let same = |existing: &&mut SettingsVariable| {
        existing.key == variable.key && existing.environment_scope == variable.environment_scope
    };
    match variables.iter_mut().find(same) {
        Some(existing) => *existing = variable,
        None => variables.push(variable),
    }
}

/// Returns whether `path` is a project path as GitLab writes them: a namespace and a name,
/// separated by `/`, each segment of ASCII letters, digits, `_`, `-` and `.`. GitLab rejects a
/// segment that starts with `-`, and `.` and `..` would name a folder rather than a project.
pub fn is_project_path(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    segments.len() >= 2 && segments.iter().all(|segment| is_path_segment(segment))
}

/// Returns the key a project's files are looked up by: the path without leading and trailing
/// `/`, in lower case, because GitLab finds projects without regard to case and the include
/// phase requests them in lower case.
pub fn project_key(path: &str) -> String {
    path.trim_matches('/').to_lowercase()
}

fn is_path_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment != "."
        && segment != ".."
        && !segment.starts_with('-')
        && segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Returns whether `text` is a server host as `CI_SERVER_FQDN` contains it: a host name or an
/// IPv6 address in brackets, optionally followed by `:PORT`. The host name has at most 253
/// characters in labels separated by `.`, and each label has 1 to 63 ASCII letters, digits and
/// `-`, neither first nor last (RFC 1123), so a trailing `.` and `_` are rejected. The IPv6
/// address is written as in a URL (RFC 3986), such as `[2001:db8::1]` or
/// `[::ffff:192.0.2.1]`, without a zone, because a zone names a network interface of one
/// machine. The port is 1 to 65535 in decimal digits without a sign or a leading zero. A URL
/// (`https://gitlab.com`), a path (`gitlab.com/group`), an IPv6 address without brackets and
/// an IPv4 address in brackets are not server hosts.
pub fn is_server_host(text: &str) -> bool {
    server_host_problem(text).is_none()
}

/// Says why `text` is not a server host (see [`is_server_host`]), or returns `None` when it
/// is one.
pub fn server_host_problem(text: &str) -> Option<String> {
    if text.is_empty() {
        return Some("the host is empty".to_owned());
    }
    if text.contains("://") {
        return Some(format!("`{text}` is a URL, not a host"));
    }
    if let Some(bracketed) = text.strip_prefix('[') {
        let Some((address, after)) = bracketed.split_once(']') else {
            return Some(format!("`{text}` has a `[` without its `]`"));
        };
        if address.contains('%') {
            return Some(format!(
                "`[{address}]` has a zone, which names a network interface of one machine, not a \
                 server"
            ));
        }
        if address.parse::<Ipv4Addr>().is_ok() {
            return Some(format!(
                "`[{address}]` is an IPv4 address in brackets; write it without them"
            ));
        }
        if address.parse::<Ipv6Addr>().is_err() {
            return Some(format!("`[{address}]` is not an IPv6 address"));
        }
        return match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => port_problem(text, port),
                None => Some(format!(
                    "`{text}` has `{after}` after the `]`, where only `:PORT` may follow"
                )),
            },
        };
    }
    if text.contains('/') {
        return Some(format!("`{text}` has a path after the host"));
    }
    if text.parse::<Ipv6Addr>().is_ok() {
        return Some(format!(
            "`{text}` is an IPv6 address without brackets; write `[{text}]`"
        ));
    }
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (text, None),
    };
    if !is_host_name(host) {
        return Some(format!(
            "`{host}` is not a host name: labels of 1 to 63 letters, digits and `-`, not \
             starting or ending with `-`, joined by `.`, 253 characters at most"
        ));
    }
    port.and_then(|port| port_problem(text, port))
}

/// Says why `port`, the port of the server host `text`, is not a port from 1 to 65535.
fn port_problem(text: &str, port: &str) -> Option<String> {
    (!is_port(port))
        .then(|| format!("the port of `{text}` is not a number from 1 to 65535 in plain digits"))
}

/// Maximum length of a host name in characters. DNS allows 255 octets in wire format, which
/// spends one length octet per label and one for the root.
const HOST_NAME_MAX_LEN: usize = 253;

/// Maximum length of one label of a host name in characters, the DNS limit.
const HOST_LABEL_MAX_LEN: usize = 63;

fn is_host_name(host: &str) -> bool {
    host.len() <= HOST_NAME_MAX_LEN && host.split('.').all(is_host_label)
}

fn is_host_label(label: &str) -> bool {
    (1..=HOST_LABEL_MAX_LEN).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

fn is_port(port: &str) -> bool {
    !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && !port.starts_with('0')
        && port.parse::<u16>().is_ok()
}

/// Replaces the variable of the same name, or appends a new one.
pub fn set_variable(variables: &mut Vec<SettingsVariable>, variable: SettingsVariable) {
    match variables.iter_mut().find(|v| v.key == variable.key) {
        Some(existing) => *existing = variable,
        None => variables.push(variable),
    }
}

/// GitLab accepts variable keys of letters, digits and underscores only.
pub fn is_variable_name(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks an environment scope with GitLab's rule for the `environment_scope` of CI/CD
/// variables: not empty, and only letters, digits, `-`, `_`, `/`, `$`, `{`, `}`, `.`, `*` and
/// spaces (`Gitlab::Regex.environment_scope_regex`).
pub fn check_environment_scope(scope: &str) -> Result<(), String> {
    if scope.is_empty() {
        return Err(
            "the environment scope is empty; write `*` for every environment, an \
                    environment name such as `production`, or a pattern such as `review/*`"
                .to_owned(),
        );
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_/${}.* ".contains(c);
    if let Some(invalid) = scope.chars().find(|&c| !allowed(c)) {
        return Err(format!(
            "environment scope `{scope}` contains `{invalid}`, but GitLab allows only letters, \
             digits, `-`, `_`, `/`, `$`, `{{`, `}}`, `.`, `*` and spaces"
        ));
    }
    Ok(())
}

/// The object form of a variable in a JSON object of variables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonVariable {
    value: String,
    #[serde(default)]
    masked: bool,
    #[serde(default)]
    raw: bool,
    #[serde(default)]
    file: bool,
}

/// Reads variables from a JSON object. A value is a string, a number or a boolean (used as
/// written), or an object with `value` and the optional flags `masked`, `raw` and `file`.
pub fn variables_from_json(
    object: serde_json::Map<String, serde_json::Value>,
) -> Result<Vec<SettingsVariable>, String> {
    let mut variables = Vec::new();
    for (key, value) in object {
        if !is_variable_name(&key) {
            return Err(format!(
                "{} is not a valid variable name (letters, digits and `_` only)",
                crate::diagnostic::code_span(&key)
            ));
        }
        let variable = match value {
            serde_json::Value::String(text) => SettingsVariable::new(&key, text),
            serde_json::Value::Number(number) => SettingsVariable::new(&key, number.to_string()),
            serde_json::Value::Bool(flag) => SettingsVariable::new(&key, flag.to_string()),
            serde_json::Value::Object(_) => {
                let parsed: JsonVariable = serde_json::from_value(value).map_err(|error| {
                    let error = error.to_string();
                    let error = crate::diagnostic::quote_serde_unknown_name(&error);
                    format!("variable `{key}`: {error}")
                })?;
                SettingsVariable {
                    masked: parsed.masked,
                    raw: parsed.raw,
                    file: parsed.file,
                    ..SettingsVariable::new(&key, parsed.value)
                }
            }
            serde_json::Value::Null | serde_json::Value::Array(_) => {
                return Err(format!(
                    "variable `{key}`: expected a string or an object with `value`"
                ));
            }
        };
        variables.push(variable);
    }
    Ok(variables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_push_to_main() {
        let context = ContextOptions::default().build().unwrap();
        assert_eq!(context.source, PipelineSource::Push);
        assert_eq!(context.branch(), Some("main"));
        assert!(context.protected_ref());
    }

    #[test]
    fn changed_paths_relative_to_root() {
        let options = ContextOptions {
            changed: Some(vec!["./src/a.rs".to_owned(), "/b.rs".to_owned()]),
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        assert_eq!(
            context.changed_files,
            Some(vec!["src/a.rs".to_owned(), "b.rs".to_owned()])
        );
    }

    #[test]
    fn empty_values_rejected() {
        let cases = [
            (
                ContextOptions {
                    ref_name: Some(String::new()),
                    ..ContextOptions::default()
                },
                ("ref_name", None),
            ),
            (
                ContextOptions {
                    default_branch: Some(String::new()),
                    ..ContextOptions::default()
                },
                ("default_branch", None),
            ),
            (
                ContextOptions {
                    mr_source: Some(String::new()),
                    ..ContextOptions::default()
                },
                ("mr_source", None),
            ),
            (
                ContextOptions {
                    mr_source: Some("feature".to_owned()),
                    mr_target: Some(String::new()),
                    ..ContextOptions::default()
                },
                ("mr_target", None),
            ),
            (
                ContextOptions {
                    mr_source: Some("feature".to_owned()),
                    mr_labels: vec!["backend".to_owned(), String::new()],
                    ..ContextOptions::default()
                },
                ("mr_labels", Some(1)),
            ),
            (
                ContextOptions {
                    changed: Some(vec!["a.rs".to_owned(), "b.rs".to_owned(), String::new()]),
                    ..ContextOptions::default()
                },
                ("changed", Some(2)),
            ),
            (
                ContextOptions {
                    masked: vec![String::new()],
                    ..ContextOptions::default()
                },
                ("masked", Some(0)),
            ),
            (
                ContextOptions {
                    project_path: Some(String::new()),
                    ..ContextOptions::default()
                },
                ("project_path", None),
            ),
            (
                ContextOptions {
                    group_variables: vec![
                        GroupVariablesOption {
                            path: None,
                            variables: vec![SettingsVariable::new("A", "1")],
                        },
                        GroupVariablesOption {
                            path: Some(String::new()),
                            variables: vec![SettingsVariable::new("A", "2")],
                        },
                    ],
                    ..ContextOptions::default()
                },
                ("group_variables", Some(1)),
            ),
        ];
        for (options, (field, index)) in cases {
            assert_eq!(
                options.build(),
                Err(ContextError::EmptyValue { field, index }),
                "{field}"
            );
        }
    }

    #[test]
    fn merge_request_default_source() {
        let options = ContextOptions {
            mr_target: Some("release".to_owned()),
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        let merge_request = context.merge_request_pipeline().unwrap();
        assert_eq!(merge_request.source_branch, "main");
        assert_eq!(merge_request.target_branch, "release");
        assert!(merge_request.source_branch_protected);
        assert!(!merge_request.target_branch_protected);
        assert_eq!(context.ref_name, "main");
    }

    #[test]
    fn merge_request_title_sets_draft() {
        let build = |title: &str| {
            let options = ContextOptions {
                ref_name: Some("feature".to_owned()),
                mr_title: Some(title.to_owned()),
                ..ContextOptions::default()
            };
            options.build().unwrap().merge_request.unwrap()
        };
        for title in ["Draft: x", "draft:x", "[DRAFT] x", "(Draft)x"] {
            let merge_request = build(title);
            assert_eq!(merge_request.title, title);
            assert!(merge_request.draft, "{title}");
        }
        for title in [
            "Drafts: x",
            "x Draft: y",
            "Draft x",
            " Draft: x",
            "[WIP] x",
            "Dräft: x",
        ] {
            assert!(!build(title).draft, "{title}");
        }
    }

    #[test]
    fn merge_request_title_empty_rejected() {
        let options = ContextOptions {
            mr_title: Some(String::new()),
            ..ContextOptions::default()
        };
        assert_eq!(
            options.build(),
            Err(ContextError::EmptyValue {
                field: "mr_title",
                index: None
            })
        );
    }

    #[test]
    fn merge_request_source_from_ref() {
        let options = ContextOptions {
            ref_name: Some("feature".to_owned()),
            mr_labels: vec!["backend".to_owned()],
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        let merge_request = context.merge_request_pipeline().unwrap();
        assert_eq!(merge_request.source_branch, "feature");
        assert_eq!(merge_request.target_branch, "main");
        assert!(!merge_request.source_branch_protected);
    }

    #[test]
    fn merge_request_same_branches_rejected() {
        let same = |source: Option<&str>, ref_name: Option<&str>, target: Option<&str>| {
            ContextOptions {
                mr_source: source.map(str::to_owned),
                ref_name: ref_name.map(str::to_owned),
                mr_target: target.map(str::to_owned),
                mr_event_type: Some(MergeRequestEventType::MergedResult),
                ..ContextOptions::default()
            }
            .build()
        };
        let error = |branch: &str, source_field, target_given| {
            Err(ContextError::SameMergeRequestBranches {
                branch: branch.to_owned(),
                source_field,
                target_given,
            })
        };
        assert_eq!(
            same(Some("main"), None, Some("main")),
            error("main", Some("mr_source"), true)
        );
        assert_eq!(
            same(Some("dev"), None, Some("dev")),
            error("dev", Some("mr_source"), true)
        );
        assert_eq!(
            same(None, Some("main"), None),
            error("main", Some("ref_name"), false)
        );
        assert_eq!(same(None, None, None), error("main", None, false));
    }

    #[test]
    fn merge_request_event_source_alone_rejected() {
        let options = ContextOptions {
            source: Some(PipelineSource::MergeRequestEvent),
            default_branch: Some("trunk".to_owned()),
            ..ContextOptions::default()
        };
        assert_eq!(
            options.build(),
            Err(ContextError::SameMergeRequestBranches {
                branch: "trunk".to_owned(),
                source_field: None,
                target_given: false,
            })
        );
    }

    #[test]
    fn invalid_ref_names_rejected() {
        let cases = [
            ("ref_name", "a..b", InvalidRefName::DoubleDot),
            (
                "default_branch",
                "trunk.lock",
                InvalidRefName::ComponentEndsWithLock,
            ),
            ("mr_source", "feat/", InvalidRefName::EmptyComponent),
            (
                "mr_target",
                "rel~1",
                InvalidRefName::ForbiddenCharacter('~'),
            ),
        ];
        for (field, name, reason) in cases {
            let mut options = ContextOptions::default();
            let value = Some(name.to_owned());
            match field {
                "ref_name" => options.ref_name = value,
                "default_branch" => options.default_branch = value,
                "mr_source" => options.mr_source = value,
                _ => options.mr_target = value,
            }
            assert_eq!(
                options.build(),
                Err(ContextError::InvalidRefName {
                    field,
                    name: name.to_owned(),
                    reason,
                }),
                "{field}"
            );
        }
    }

    #[test]
    fn full_ref_names_warned() {
        let options = ContextOptions {
            ref_name: Some("refs/heads/feat".to_owned()),
            mr_target: Some("refs/tags/v1".to_owned()),
            default_branch: Some("refs/remotes/origin/main".to_owned()),
            ..ContextOptions::default()
        };
        let warnings = options.warnings();
        assert_eq!(
            warnings,
            [
                ContextWarning::FullRefName {
                    field: "ref_name",
                    name: "refs/heads/feat".to_owned(),
                    prefix: "refs/heads/",
                },
                ContextWarning::FullRefName {
                    field: "default_branch",
                    name: "refs/remotes/origin/main".to_owned(),
                    prefix: "refs/",
                },
                ContextWarning::FullRefName {
                    field: "mr_target",
                    name: "refs/tags/v1".to_owned(),
                    prefix: "refs/tags/",
                },
            ]
        );
        let short: Vec<Option<&str>> = warnings.iter().map(ContextWarning::short_name).collect();
        assert_eq!(short, [Some("feat"), None, Some("v1")]);
        // The name is still a valid branch name, so the pipeline is planned for it.
        let context = options.build().unwrap();
        assert_eq!(context.ref_name, "refs/heads/feat");
    }

    #[test]
    fn short_ref_names_not_warned() {
        let options = ContextOptions {
            ref_name: Some("feature/refs/heads".to_owned()),
            mr_source: Some("feature/refs/heads".to_owned()),
            ..ContextOptions::default()
        };
        assert!(options.warnings().is_empty());
    }

    #[test]
    fn merge_request_child_context() {
        let options = ContextOptions {
            source: Some(PipelineSource::ParentPipeline),
            mr_source: Some("feature".to_owned()),
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        assert_eq!(context.source, PipelineSource::ParentPipeline);
        assert!(context.merge_request_pipeline().is_some());
        assert_eq!(context.ref_name, "feature");
    }

    #[test]
    fn merge_request_rejects_other_source() {
        let options = ContextOptions {
            source: Some(PipelineSource::Web),
            mr_source: Some("feature".to_owned()),
            ..ContextOptions::default()
        };
        assert_eq!(
            options.build(),
            Err(ContextError::SourceNotMergeRequest {
                source: PipelineSource::Web
            })
        );
    }

    #[test]
    fn later_variable_wins() {
        let options = ContextOptions {
            variables: vec![
                SettingsVariable::new("A", "1"),
                SettingsVariable::new("A", "2"),
            ],
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        assert_eq!(
            context.pipeline_variables,
            [SettingsVariable::new("A", "2")]
        );
    }

    fn group(path: Option<&str>, variables: &[(&str, &str)]) -> GroupVariablesOption {
        GroupVariablesOption {
            path: path.map(str::to_owned),
            variables: variables
                .iter()
                .map(|(key, value)| SettingsVariable::new(*key, *value))
                .collect(),
        }
    }

    fn pairs(variables: &[SettingsVariable]) -> Vec<(&str, &str)> {
        variables
            .iter()
            .map(|v| (v.key.as_str(), v.value.as_str()))
            .collect()
    }

    #[test]
    fn every_level_reaches_context() {
        let options = ContextOptions {
            instance_variables: vec![SettingsVariable::new("I", "instance")],
            group_variables: vec![group(None, &[("G", "group")])],
            project_variables: vec![SettingsVariable::new("P", "project")],
            variables: vec![SettingsVariable::new("V", "pipeline")],
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        assert_eq!(pairs(&context.instance_variables), [("I", "instance")]);
        assert_eq!(context.group_variables.len(), 1);
        assert_eq!(context.group_variables[0].path, "group");
        assert_eq!(
            pairs(&context.group_variables[0].variables),
            [("G", "group")]
        );
        assert_eq!(pairs(&context.project_variables), [("P", "project")]);
        assert_eq!(pairs(&context.pipeline_variables), [("V", "pipeline")]);
        assert!(context.schedule_variables.is_empty());
    }

    #[test]
    fn schedule_source_gets_schedule_variables() {
        let options = ContextOptions {
            source: Some(PipelineSource::Schedule),
            variables: vec![SettingsVariable::new("V", "1")],
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        assert_eq!(pairs(&context.schedule_variables), [("V", "1")]);
        assert!(context.pipeline_variables.is_empty());
    }

    #[test]
    fn later_level_variable_wins() {
        let options = ContextOptions {
            instance_variables: vec![
                SettingsVariable::new("A", "1"),
                SettingsVariable::new("B", "1"),
                SettingsVariable::new("A", "2"),
            ],
            project_variables: vec![
                SettingsVariable::new("A", "1"),
                SettingsVariable::new("A", "3"),
            ],
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        assert_eq!(pairs(&context.instance_variables), [("A", "2"), ("B", "1")]);
        assert_eq!(pairs(&context.project_variables), [("A", "3")]);
    }

    fn scoped_triples(variables: &[SettingsVariable]) -> Vec<(&str, &str, &str)> {
        variables
            .iter()
            .map(|v| {
                (
                    v.key.as_str(),
                    v.environment_scope.as_str(),
                    v.value.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn scoped_variables_kept_per_scope() {
        let scoped = |key: &str, scope: &str, value: &str| SettingsVariable {
            environment_scope: scope.to_owned(),
            ..SettingsVariable::new(key, value)
        };
        let variables = vec![
            scoped("URL", "*", "default"),
            scoped("URL", "production", "first"),
            scoped("URL", "review/*", "review"),
            scoped("URL", "production", "last"),
        ];
        let options = ContextOptions {
            group_variables: vec![GroupVariablesOption {
                path: None,
                variables: variables.clone(),
            }],
            project_variables: variables,
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        let expected = [
            ("URL", "*", "default"),
            ("URL", "production", "last"),
            ("URL", "review/*", "review"),
        ];
        assert_eq!(scoped_triples(&context.project_variables), expected);
        assert_eq!(
            scoped_triples(&context.group_variables[0].variables),
            expected
        );
    }

    #[test]
    fn protected_ref_option_overrides_default() {
        let cases = [
            ("default branch", None, false, None, true),
            (
                "default branch unprotected",
                None,
                false,
                Some(false),
                false,
            ),
            ("feature branch", Some("feat"), false, None, false),
            (
                "feature branch protected",
                Some("feat"),
                false,
                Some(true),
                true,
            ),
            ("tag", Some("v1"), true, None, false),
            ("tag protected", Some("v1"), true, Some(true), true),
        ];
        for (name, ref_name, tag, protected_ref, expected) in cases {
            let options = ContextOptions {
                ref_name: ref_name.map(str::to_owned),
                tag,
                protected_ref,
                ..ContextOptions::default()
            };
            let context = options.build().unwrap();
            assert_eq!(context.protected_ref(), expected, "{name}");
        }
    }

    #[test]
    fn protected_ref_option_ignored_for_merge_request() {
        let options = ContextOptions {
            mr_source: Some("feat".to_owned()),
            protected_ref: Some(true),
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        assert!(!context.protected_ref());
    }

    #[test]
    fn group_chain_ordered_from_top() {
        let options = ContextOptions {
            project_path: Some("top/sub/leaf/app".to_owned()),
            group_variables: vec![
                group(None, &[("A", "leaf")]),
                group(Some("top"), &[("A", "top"), ("B", "top")]),
                group(Some("top/sub"), &[("A", "sub")]),
                group(Some("top/sub/leaf"), &[("C", "leaf")]),
                group(Some("top"), &[("B", "top2")]),
            ],
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        let paths: Vec<&str> = context
            .group_variables
            .iter()
            .map(|group| group.path.as_str())
            .collect();
        assert_eq!(paths, ["top", "top/sub", "top/sub/leaf"]);
        assert_eq!(
            pairs(&context.group_variables[0].variables),
            [("A", "top"), ("B", "top2")]
        );
        assert_eq!(pairs(&context.group_variables[1].variables), [("A", "sub")]);
        assert_eq!(
            pairs(&context.group_variables[2].variables),
            [("A", "leaf"), ("C", "leaf")]
        );
        assert_eq!(context.project.path, "top/sub/leaf/app");
    }

    #[test]
    fn group_path_case_ignored() {
        let options = ContextOptions {
            project_path: Some("Top/Sub/app".to_owned()),
            group_variables: vec![
                group(Some("top"), &[("A", "top")]),
                group(Some("TOP/sub"), &[("A", "sub")]),
                group(None, &[("B", "own")]),
                group(Some("Top"), &[("C", "top")]),
            ],
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        let paths: Vec<&str> = context
            .group_variables
            .iter()
            .map(|group| group.path.as_str())
            .collect();
        assert_eq!(paths, ["top", "TOP/sub"]);
        assert_eq!(
            pairs(&context.group_variables[0].variables),
            [("A", "top"), ("C", "top")]
        );
        assert_eq!(
            pairs(&context.group_variables[1].variables),
            [("A", "sub"), ("B", "own")]
        );
    }

    #[test]
    fn group_outside_namespace_rejected() {
        let cases = [
            ("other", "top/sub/app"),
            ("top/sub/app", "top/sub/app"),
            ("top/su", "top/sub/app"),
            ("top/sub/x", "top/sub/app"),
            ("top/", "top/sub/app"),
            ("/top", "top/sub/app"),
            ("top", "group/project"),
            ("TOP/SU", "top/sub/app"),
            ("tóp", "top/sub/app"),
            ("top/sub/app/x", "top/sub/app"),
        ];
        for (path, project_path) in cases {
            let options = ContextOptions {
                project_path: Some(project_path.to_owned()),
                group_variables: vec![group(Some(path), &[("A", "1")])],
                ..ContextOptions::default()
            };
            assert_eq!(
                options.build(),
                Err(ContextError::GroupNotAncestor {
                    group: path.to_owned(),
                    project_path: project_path.to_owned(),
                }),
                "{path} of {project_path}"
            );
        }
    }

    #[test]
    fn project_path_cases() {
        for path in [
            "group/project",
            "a/b/c",
            "My.Group/my-app_2",
            ".hidden/a",
            "a/b-",
        ] {
            let options = ContextOptions {
                project_path: Some(path.to_owned()),
                ..ContextOptions::default()
            };
            assert_eq!(options.build().unwrap().project.path, path);
        }
        for path in [
            "project",
            "/group/project",
            "group/project/",
            "a//b",
            "a b/c",
            "a/b?",
            "a/../b",
            "a/./b",
            "../a",
            "a/..",
            " a/b ",
            "a\\b",
            "-a/b",
            "a/-b",
        ] {
            let options = ContextOptions {
                project_path: Some(path.to_owned()),
                ..ContextOptions::default()
            };
            assert_eq!(
                options.build(),
                Err(ContextError::InvalidProjectPath {
                    path: path.to_owned()
                }),
                "{path}"
            );
        }
    }

    #[test]
    fn mask_reaches_every_level() {
        let value = "s3cret-value";
        let options = ContextOptions {
            source: Some(PipelineSource::Schedule),
            instance_variables: vec![SettingsVariable::new("TOKEN", value)],
            group_variables: vec![group(None, &[("TOKEN", value), ("OTHER", "x")])],
            project_variables: vec![SettingsVariable::new("TOKEN", value)],
            variables: vec![SettingsVariable::new("TOKEN", value)],
            masked: vec!["TOKEN".to_owned()],
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        assert!(context.instance_variables[0].masked);
        assert!(context.group_variables[0].variables[0].masked);
        assert!(!context.group_variables[0].variables[1].masked);
        assert!(context.project_variables[0].masked);
        assert!(context.schedule_variables[0].masked);
    }

    #[test]
    fn mask_of_group_variable_only() {
        let options = ContextOptions {
            group_variables: vec![group(None, &[("TOKEN", "s3cret-value")])],
            masked: vec!["TOKEN".to_owned()],
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        assert!(context.group_variables[0].variables[0].masked);
    }

    #[test]
    fn mask_of_unset_name_rejected() {
        let options = ContextOptions {
            instance_variables: vec![SettingsVariable::new("A", "abcdefgh")],
            masked: vec!["TOKEN".to_owned()],
            ..ContextOptions::default()
        };
        assert_eq!(
            options.build(),
            Err(ContextError::MaskedVariableNotSet {
                name: "TOKEN".to_owned()
            })
        );
    }

    #[test]
    fn unmaskable_value_rejected_at_every_level() {
        let short = || SettingsVariable::new("TOKEN", "main");
        let with = |field: &str| {
            let mut options = ContextOptions {
                project_path: Some("top/sub/app".to_owned()),
                masked: vec!["TOKEN".to_owned()],
                ..ContextOptions::default()
            };
            match field {
                "instance_variables" => options.instance_variables.push(short()),
                "group_variables" => options.group_variables.push(GroupVariablesOption {
                    path: Some("top".to_owned()),
                    variables: vec![short()],
                }),
                "project_variables" => options.project_variables.push(short()),
                _ => options.variables.push(short()),
            }
            options
        };
        for field in [
            "instance_variables",
            "group_variables",
            "project_variables",
            "variables",
        ] {
            let group = (field == "group_variables").then(|| "top".to_owned());
            assert_eq!(
                with(field).build(),
                Err(ContextError::UnmaskableValue {
                    field,
                    group,
                    key: "TOKEN".to_owned(),
                    masked_by_name: true,
                    reason: UnmaskableValue {
                        raw: false,
                        too_short: Some(4),
                        invalid_character: None,
                        raw_accepts: false,
                    },
                }),
                "{field}"
            );
        }
    }

    #[test]
    fn unmaskable_schedule_variable_names_variables_field() {
        let options = ContextOptions {
            source: Some(PipelineSource::Schedule),
            variables: vec![SettingsVariable {
                masked: true,
                ..SettingsVariable::new("TOKEN", "two words")
            }],
            ..ContextOptions::default()
        };
        let Err(ContextError::UnmaskableValue {
            field,
            masked_by_name,
            reason,
            ..
        }) = options.build()
        else {
            panic!("expected UnmaskableValue");
        };
        assert_eq!(field, "variables");
        assert!(!masked_by_name);
        assert_eq!(reason.invalid_character, Some(' '));
    }

    #[test]
    fn raw_masked_value_uses_raw_rule() {
        let variable = |raw| SettingsVariable {
            masked: true,
            raw,
            ..SettingsVariable::new("TOKEN", "p@ss!word%")
        };
        let raw = ContextOptions {
            project_variables: vec![variable(true)],
            ..ContextOptions::default()
        };
        assert!(raw.build().is_ok());
        let expanded = ContextOptions {
            project_variables: vec![variable(false)],
            ..ContextOptions::default()
        };
        let Err(ContextError::UnmaskableValue { reason, .. }) = expanded.build() else {
            panic!("expected UnmaskableValue");
        };
        assert_eq!(reason.invalid_character, Some('!'));
        assert!(reason.raw_accepts);
    }

    #[test]
    fn unmasked_short_value_accepted() {
        let options = ContextOptions {
            project_variables: vec![SettingsVariable::new("TOKEN", "main")],
            ..ContextOptions::default()
        };
        assert!(options.build().is_ok());
    }

    #[test]
    fn server_host_sets_server_url() {
        let options = ContextOptions {
            server_host: Some("gitlab.acme.test:8443".to_owned()),
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        assert_eq!(context.server.url, "https://gitlab.acme.test:8443");
        assert_eq!(context.server.fqdn(), "gitlab.acme.test:8443");
        let default = ContextOptions::default().build().unwrap();
        assert_eq!(default.server.fqdn(), "gitlab.example.com");
    }

    #[test]
    fn server_host_forms() {
        for host in [
            "gitlab.com",
            "gitlab.internal:8443",
            "git-lab-1.test",
            "localhost:1",
            "localhost:65535",
            "10.0.0.1:8443",
            "a",
            "[::1]",
            "[::1]:8443",
            "[2001:db8::1]:65535",
            "[2001:DB8:0:0:0:0:0:1]",
            "[::ffff:192.0.2.1]",
        ] {
            assert!(is_server_host(host), "{host} is rejected");
        }
        let invalid = [
            "",
            "https://gitlab.com",
            "gitlab.com/group",
            "gitlab.com:",
            "gitlab.com:x",
            "gitlab.com:0",
            "gitlab.com:65536",
            ":80",
            "::1",
            "2001:db8::1",
            "[::1",
            "::1]",
            "[::1]8443",
            "[::1]:",
            "[::1]:0",
            "[::1]:0443",
            "[::1]:65536",
            "[::1]/",
            "[]",
            "[:::1]",
            "[10.0.0.1]",
            "[gitlab.com]",
            "[fe80::1%eth0]",
            "[fe80::1%25eth0]",
            "[::1]]",
            "gitlab.com:80:90",
            "git lab.com",
            "gitlab.cöm",
            "gitlab.com:+443",
            "gitlab.com:-443",
            "gitlab.com:0443",
            "gitlab.com:00",
            "gitlab.com: 443",
            ".",
            "-",
            "...",
            "a..b",
            ".gitlab.com",
            "gitlab.com.",
            "_",
            "git_lab.test",
            "-gitlab.com",
            "gitlab-.com",
        ];
        for host in invalid {
            assert!(!is_server_host(host), "{host} is accepted");
        }
    }

    #[test]
    fn server_host_ipv6_sets_server_url() {
        let options = ContextOptions {
            server_host: Some("[2001:db8::1]:8443".to_owned()),
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        assert_eq!(context.server.url, "https://[2001:db8::1]:8443");
        assert_eq!(context.server.host(), "[2001:db8::1]");
        assert_eq!(context.server.port(), 8443);
        assert_eq!(context.server.fqdn(), "[2001:db8::1]:8443");

        let options = ContextOptions {
            server_host: Some("[::1]:443".to_owned()),
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        assert_eq!(context.server.url, "https://[::1]");
        assert_eq!(context.server.host(), "[::1]");
        assert_eq!(context.server.port(), 443);
        assert_eq!(context.server.fqdn(), "[::1]");
    }

    #[test]
    fn server_host_lengths() {
        let label = "a".repeat(63);
        assert!(is_server_host(&label));
        assert!(!is_server_host(&"a".repeat(64)));
        let name = [label.as_str(); 4].join(".");
        assert_eq!(name.len(), 255);
        assert!(!is_server_host(&name));
        let name_253 = &name[2..];
        assert!(is_server_host(name_253));
        assert!(is_server_host(&format!("{name_253}:443")));
        assert!(!is_server_host(&"a".repeat(5000)));
    }

    #[test]
    fn server_host_default_port_dropped() {
        let options = ContextOptions {
            server_host: Some("gitlab.com:443".to_owned()),
            ..ContextOptions::default()
        };
        let context = options.build().unwrap();
        assert_eq!(context.server.url, "https://gitlab.com");
        assert_eq!(context.server.fqdn(), "gitlab.com");
        assert_eq!(context.server.host_with_port(), "gitlab.com:443");
    }

    #[test]
    fn server_host_problems_name_the_fault() {
        let cases = [
            ("", "the host is empty"),
            (
                "https://gitlab.com",
                "`https://gitlab.com` is a URL, not a host",
            ),
            (
                "gitlab.com/group",
                "`gitlab.com/group` has a path after the host",
            ),
            ("[::1", "`[::1` has a `[` without its `]`"),
            (
                "[fe80::1%eth0]",
                "`[fe80::1%eth0]` has a zone, which names a network interface of one machine, \
                 not a server",
            ),
            (
                "[10.0.0.1]",
                "`[10.0.0.1]` is an IPv4 address in brackets; write it without them",
            ),
            ("[gitlab.com]", "`[gitlab.com]` is not an IPv6 address"),
            (
                "[::1]x",
                "`[::1]x` has `x` after the `]`, where only `:PORT` may follow",
            ),
            (
                "[::1]:0",
                "the port of `[::1]:0` is not a number from 1 to 65535 in plain digits",
            ),
            (
                "::1",
                "`::1` is an IPv6 address without brackets; write `[::1]`",
            ),
            (
                "gitlab.com:",
                "the port of `gitlab.com:` is not a number from 1 to 65535 in plain digits",
            ),
            (
                "a..b:443",
                "`a..b` is not a host name: labels of 1 to 63 letters, digits and `-`, not \
                 starting or ending with `-`, joined by `.`, 253 characters at most",
            ),
        ];
        for (host, problem) in cases {
            assert_eq!(
                server_host_problem(host).as_deref(),
                Some(problem),
                "{host:?}"
            );
        }
        assert_eq!(server_host_problem("[2001:db8::1]:8443"), None);
    }

    #[test]
    fn invalid_server_host_rejected() {
        for host in ["", "https://gitlab.com"] {
            let options = ContextOptions {
                server_host: Some(host.to_owned()),
                ..ContextOptions::default()
            };
            assert_eq!(
                options.build().unwrap_err(),
                ContextError::InvalidServerHost {
                    host: host.to_owned()
                }
            );
        }
    }

    #[test]
    fn json_variable_object_form() {
        let object = serde_json::json!({"A": {"value": "x", "masked": true}, "B": 3});
        let variables = variables_from_json(object.as_object().unwrap().clone()).unwrap();
        assert!(variables[0].masked);
        assert_eq!(variables[1].value, "3");
    }

    #[test]
    fn json_variable_rejects_bad_name() {
        let object = serde_json::json!({"A-B": "x"});
        assert!(variables_from_json(object.as_object().unwrap().clone()).is_err());
        let object = serde_json::json!({"": "x"});
        assert_eq!(
            variables_from_json(object.as_object().unwrap().clone()).unwrap_err(),
            "`\"\"` (empty) is not a valid variable name (letters, digits and `_` only)"
        );
    }
}
