//! The pipeline GitLab is asked to create: what was pushed or requested, for which project and
//! user, and with which CI/CD variables from the settings.
//!
//! A [`PipelineContext`] holds everything outside the configuration files that decides which
//! pipeline GitLab builds: the pipeline source (`CI_PIPELINE_SOURCE`), the ref and whether it
//! is protected, the commit, the merge request of a merge request pipeline, the changed and
//! existing files that `rules:changes` and `rules:exists` test, and the CI/CD variables set at
//! instance, group, project and pipeline level. [`crate::variables`] turns it into GitLab's
//! predefined variables and variable collections.
//!
//! Every field has a default, so a JSON or YAML context only needs the fields that differ from a
//! push to `main` of `group/project` on `https://gitlab.example.com`. The constructors
//! ([`PipelineContext::push`], [`PipelineContext::tag`], [`PipelineContext::merge_request`],
//! [`PipelineContext::schedule`], [`PipelineContext::web`]) set the fields that go together for
//! each kind of pipeline.

use serde::{Deserialize, Serialize};

mod maskable;
mod options;
mod ref_name;
mod skip_ci;

pub use maskable::{MASKED_VALUE_MIN_LENGTH, UnmaskableValue, check_maskable};
pub use options::{
    ContextError, ContextOptions, ContextWarning, GroupVariablesOption, check_environment_scope,
    is_project_path, is_server_host, is_variable_name, project_key, server_host_problem,
    set_variable, variables_from_json,
};
pub use ref_name::{InvalidRefName, check_ref_name, full_ref_prefix};

/// Trigger of a pipeline: the value of `CI_PIPELINE_SOURCE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PipelineSource {
    /// A `git push` of a branch or tag.
    #[default]
    Push,
    /// The **Run pipeline** button in the UI.
    Web,
    /// A pipeline trigger token (the trigger API or a webhook).
    Trigger,
    /// A pipeline schedule.
    Schedule,
    /// The pipelines API.
    Api,
    /// An external CI/CD service.
    External,
    /// A multi-project downstream pipeline started by a `trigger` job in another project.
    Pipeline,
    /// A ChatOps command.
    Chat,
    /// A commit from the Web IDE.
    Webide,
    /// A merge request: created, updated, or run from the merge request page.
    MergeRequestEvent,
    /// A pull request of an external repository (GitHub) mirrored to GitLab.
    ExternalPullRequestEvent,
    /// A child pipeline started by a `trigger:include` job.
    ParentPipeline,
    /// An on-demand DAST scan.
    OndemandDastScan,
    /// An on-demand DAST site validation.
    OndemandDastValidation,
    /// A security orchestration (scan execution) policy.
    SecurityOrchestrationPolicy,
}

impl PipelineSource {
    /// Every source, in the order GitLab's documentation lists them.
    pub const ALL: [PipelineSource; 15] = [
        PipelineSource::Api,
        PipelineSource::Chat,
        PipelineSource::External,
        PipelineSource::ExternalPullRequestEvent,
        PipelineSource::MergeRequestEvent,
        PipelineSource::OndemandDastScan,
        PipelineSource::OndemandDastValidation,
        PipelineSource::ParentPipeline,
        PipelineSource::Pipeline,
        PipelineSource::Push,
        PipelineSource::Schedule,
        PipelineSource::SecurityOrchestrationPolicy,
        PipelineSource::Trigger,
        PipelineSource::Web,
        PipelineSource::Webide,
    ];

    /// Returns the value of `CI_PIPELINE_SOURCE`.
    pub fn as_str(self) -> &'static str {
        match self {
            PipelineSource::Push => "push",
            PipelineSource::Web => "web",
            PipelineSource::Trigger => "trigger",
            PipelineSource::Schedule => "schedule",
            PipelineSource::Api => "api",
            PipelineSource::External => "external",
            PipelineSource::Pipeline => "pipeline",
            PipelineSource::Chat => "chat",
            PipelineSource::Webide => "webide",
            PipelineSource::MergeRequestEvent => "merge_request_event",
            PipelineSource::ExternalPullRequestEvent => "external_pull_request_event",
            PipelineSource::ParentPipeline => "parent_pipeline",
            PipelineSource::OndemandDastScan => "ondemand_dast_scan",
            PipelineSource::OndemandDastValidation => "ondemand_dast_validation",
            PipelineSource::SecurityOrchestrationPolicy => "security_orchestration_policy",
        }
    }
}

/// Project visibility: the value of `CI_PROJECT_VISIBILITY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Only members can view the project.
    #[default]
    Private,
    /// Every signed-in user can view the project.
    Internal,
    /// Everyone can view the project.
    Public,
}

impl Visibility {
    /// Returns the value of `CI_PROJECT_VISIBILITY`.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Internal => "internal",
            Visibility::Public => "public",
        }
    }
}

/// The kind of merge request pipeline: the value of `CI_MERGE_REQUEST_EVENT_TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum MergeRequestEventType {
    /// A pipeline for the source branch's head commit.
    #[default]
    Detached,
    /// A pipeline for the commit that merging the source into the target would create.
    MergedResult,
    /// A pipeline of a merge train.
    MergeTrain,
}

impl MergeRequestEventType {
    /// Returns the value of `CI_MERGE_REQUEST_EVENT_TYPE`.
    pub fn as_str(self) -> &'static str {
        match self {
            MergeRequestEventType::Detached => "detached",
            MergeRequestEventType::MergedResult => "merged_result",
            MergeRequestEventType::MergeTrain => "merge_train",
        }
    }
}

/// Everything outside the configuration files that decides which pipeline GitLab creates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineContext {
    /// Trigger of the pipeline (`CI_PIPELINE_SOURCE`). Default `push`.
    pub source: PipelineSource,
    /// The branch or tag the pipeline runs for, without `refs/heads/` or `refs/tags/`. Default
    /// `main`. In a merge request pipeline GitLab runs on the merge request's own ref, and the
    /// branch variables come from [`MergeRequest::source_branch`] instead.
    #[serde(rename = "ref")]
    pub ref_name: String,
    /// Whether [`PipelineContext::ref_name`] is a tag. Default `false`.
    pub tag: bool,
    /// Whether the branch or tag is protected (`CI_COMMIT_REF_PROTECTED`). Protected CI/CD
    /// variables reach only pipelines of protected refs. GitLab ignores this for merge request
    /// pipelines, whose ref is never protected. Default `true`, because GitLab protects the
    /// default branch of a new project.
    pub ref_protected: bool,
    /// The project's default branch (`CI_DEFAULT_BRANCH`). Default `main`.
    pub default_branch: String,
    /// Path of the configuration file in the repository (`CI_CONFIG_PATH`). Default
    /// `.gitlab-ci.yml`.
    pub config_path: String,
    /// The project the pipeline belongs to.
    pub project: Project,
    /// The GitLab instance.
    pub server: Server,
    /// The commit the pipeline runs for.
    pub commit: Commit,
    /// The merge request of a merge request pipeline, used only when
    /// [`PipelineContext::source`] is `merge_request_event`, or `parent_pipeline` for a child
    /// pipeline of a merge request pipeline. GitLab creates no merge request pipeline without
    /// one, so with those sources and no merge request no `CI_MERGE_REQUEST_*` variable is
    /// defined.
    pub merge_request: Option<MergeRequest>,
    /// Paths changed by the push or the merge request, which `rules:changes` compares with its
    /// patterns. `None` means GitLab cannot compute a diff (a new branch, a tag, a schedule, a
    /// manual run without `compare_to`), which makes every `changes` clause true. Default
    /// `None`, matching the default all-zero [`Commit::before_sha`] of a new branch. GitLab's
    /// paths are relative to the repository root, so a leading `./` or `/` is dropped when the
    /// context is read from JSON (see [`normalize_changed_path`]). Rules read the files through
    /// [`PipelineContext::diff`], which also returns `None` for pipelines that have no diff.
    #[serde(deserialize_with = "deserialize_changed_files")]
    pub changed_files: Option<Vec<String>>,
    /// Paths of the files in the repository at the pipeline's commit, which `rules:exists`
    /// searches. Default empty.
    pub repository_files: Vec<String>,
    /// The user who started the pipeline (`GITLAB_USER_*`). `None` for a pipeline without a
    /// user, which defines no `GITLAB_USER_*` variable.
    pub user: Option<User>,
    /// Facts about the pipeline itself.
    pub pipeline: PipelineInfo,
    /// Instance-level CI/CD variables. GitLab has no environment scope for them, so
    /// [`SettingsVariable::environment_scope`] is ignored here.
    pub instance_variables: Vec<SettingsVariable>,
    /// Group-level CI/CD variables of the project's group and its ancestors, ordered from the
    /// top-level group to the project's own group. GitLab appends them in that order, so the
    /// closest group wins when two groups define the same key.
    pub group_variables: Vec<GroupVariables>,
    /// Project-level CI/CD variables.
    pub project_variables: Vec<SettingsVariable>,
    /// Pipeline variables: given when the pipeline was created by **Run pipeline**, the API or a
    /// trigger token, or forwarded by the `trigger` job of an upstream pipeline. They have no
    /// `protected` flag or environment scope in GitLab, so those two fields are ignored here.
    pub pipeline_variables: Vec<SettingsVariable>,
    /// Variables of the pipeline schedule that started the pipeline (ignored fields as for
    /// [`PipelineContext::pipeline_variables`]).
    pub schedule_variables: Vec<SettingsVariable>,
    /// Variables that deployment integrations add to jobs (a Kubernetes cluster's or agent's
    /// `KUBECONFIG`, for example). Each applies to the jobs whose environment matches its
    /// [`SettingsVariable::environment_scope`], like a project variable.
    pub deployment_variables: Vec<SettingsVariable>,
}

impl Default for PipelineContext {
    fn default() -> Self {
        PipelineContext {
            source: PipelineSource::Push,
            ref_name: DEFAULT_BRANCH.to_owned(),
            tag: false,
            ref_protected: true,
            default_branch: DEFAULT_BRANCH.to_owned(),
            config_path: ".gitlab-ci.yml".to_owned(),
            project: Project::default(),
            server: Server::default(),
            commit: Commit::default(),
            merge_request: None,
            changed_files: None,
            repository_files: Vec::new(),
            user: Some(User::default()),
            pipeline: PipelineInfo::default(),
            instance_variables: Vec::new(),
            group_variables: Vec::new(),
            project_variables: Vec::new(),
            pipeline_variables: Vec::new(),
            schedule_variables: Vec::new(),
            deployment_variables: Vec::new(),
        }
    }
}

const DEFAULT_BRANCH: &str = "main";

impl PipelineContext {
    /// Creates the context of a push of `branch`. The branch counts as protected when it is the
    /// default branch.
    pub fn push(branch: impl Into<String>) -> Self {
        let ref_name = branch.into();
        let default = PipelineContext::default();
        PipelineContext {
            ref_protected: ref_name == default.default_branch,
            ref_name,
            ..default
        }
    }

    /// Creates the context of a push of `tag`. The tag counts as unprotected, GitLab's default
    /// for tags.
    pub fn tag(tag: impl Into<String>) -> Self {
        PipelineContext {
            ref_name: tag.into(),
            tag: true,
            ref_protected: false,
            ..PipelineContext::default()
        }
    }

    /// Creates the context of a detached merge request pipeline for a merge request from
    /// `source_branch` into `target_branch`.
    pub fn merge_request(
        source_branch: impl Into<String>,
        target_branch: impl Into<String>,
    ) -> Self {
        let source_branch = source_branch.into();
        PipelineContext {
            source: PipelineSource::MergeRequestEvent,
            ref_name: source_branch.clone(),
            ref_protected: false,
            merge_request: Some(MergeRequest {
                source_branch,
                target_branch: target_branch.into(),
                ..MergeRequest::default()
            }),
            ..PipelineContext::default()
        }
    }

    /// Creates the context of a scheduled pipeline for `branch`.
    pub fn schedule(branch: impl Into<String>) -> Self {
        PipelineContext {
            source: PipelineSource::Schedule,
            pipeline: PipelineInfo {
                schedule_description: Some("Scheduled pipeline".to_owned()),
                ..PipelineInfo::default()
            },
            ..PipelineContext::push(branch)
        }
    }

    /// Creates the context of a pipeline started with **Run pipeline** for `branch`.
    pub fn web(branch: impl Into<String>) -> Self {
        PipelineContext {
            source: PipelineSource::Web,
            ..PipelineContext::push(branch)
        }
    }

    /// Returns the merge request when this is a merge request pipeline: the source is
    /// `merge_request_event`, or `parent_pipeline`, and a merge request is set. GitLab passes
    /// the parent's merge request to a child pipeline (`Ci::Bridge#child_params`), so the
    /// child of a merge request pipeline is a merge request pipeline too, with the branch,
    /// protection and `CI_MERGE_REQUEST_*` variables of one.
    pub fn merge_request_pipeline(&self) -> Option<&MergeRequest> {
        match self.source {
            PipelineSource::MergeRequestEvent | PipelineSource::ParentPipeline => {
                self.merge_request.as_ref()
            }
            _ => None,
        }
    }

    /// Returns the branch of a branch pipeline (`CI_COMMIT_BRANCH`), `None` for tag and merge
    /// request pipelines.
    pub fn branch(&self) -> Option<&str> {
        if self.tag || self.merge_request_pipeline().is_some() {
            None
        } else {
            Some(&self.ref_name)
        }
    }

    /// Returns the tag of a tag pipeline (`CI_COMMIT_TAG`).
    pub fn tag_name(&self) -> Option<&str> {
        if self.tag && self.merge_request_pipeline().is_none() {
            Some(&self.ref_name)
        } else {
            None
        }
    }

    /// Returns the branch or tag name GitLab reports as `CI_COMMIT_REF_NAME`: the merge
    /// request's source branch in a merge request pipeline, the ref otherwise.
    pub fn commit_ref_name(&self) -> &str {
        match self.merge_request_pipeline() {
            Some(merge_request) => &merge_request.source_branch,
            None => &self.ref_name,
        }
    }

    /// Returns the changed files that `changes` clauses compare with (job rules, `only` and
    /// `except`, workflow and include rules), or `None` when the pipeline has nothing to diff
    /// against, which makes every `changes` clause without `compare_to` true. GitLab has a diff
    /// only for branch pushes with a previous commit, merge request pipelines and external pull
    /// requests; tag pipelines, schedules and pipelines started from the UI, the API, a trigger
    /// or chat have none, whatever [`PipelineContext::changed_files`] holds. In a
    /// `parent_pipeline` context the changed files are the parent's diff, which
    /// [`PipelineContext::child`] copies, so a child pipeline has its parent's diff.
    pub fn diff(&self) -> Option<&[String]> {
        let has_diff = match self.source {
            PipelineSource::MergeRequestEvent => self.merge_request_pipeline().is_some(),
            PipelineSource::Push | PipelineSource::ParentPipeline => !self.tag,
            PipelineSource::ExternalPullRequestEvent => true,
            _ => false,
        };
        if has_diff {
            self.changed_files.as_deref()
        } else {
            None
        }
    }

    /// Creates the context of a child pipeline (`trigger:include`) of this pipeline: the same
    /// project, ref and commit, source `parent_pipeline`, and `pipeline_variables` as the
    /// variables the trigger job forwards.
    ///
    /// GitLab creates the child with the parent's merge request and the parent's before SHA
    /// (`Ci::Bridge#child_params`), so the child keeps the parent's merge request and diff.
    /// Pipelines started from the UI, the API, a trigger token, a schedule or an external
    /// pull request have the all-zero before SHA, and their child is not given the external
    /// pull request, so such a child has no diff either.
    pub fn child(&self, pipeline_variables: Vec<SettingsVariable>) -> PipelineContext {
        let merge_request = self.merge_request_pipeline().cloned();
        let changed_files = match self.source {
            PipelineSource::ExternalPullRequestEvent => None,
            _ => self.diff().map(<[String]>::to_vec),
        };
        let mut child = self.clone();
        child.source = PipelineSource::ParentPipeline;
        child.merge_request = merge_request;
        child.changed_files = changed_files;
        child.pipeline_variables = pipeline_variables;
        child.schedule_variables = Vec::new();
        child.pipeline.name = None;
        child.pipeline.schedule_description = None;
        child.pipeline.trigger_short_token = None;
        child
    }

    /// Returns whether the pipeline runs for a protected ref. A merge request pipeline never
    /// does, because GitLab runs it on the merge request's own ref, which cannot be protected.
    pub fn protected_ref(&self) -> bool {
        self.ref_protected && self.merge_request_pipeline().is_none()
    }
}

/// Writes a changed path as GitLab's diff does, relative to the repository root: `./`
/// segments, a leading `/` and repeated slashes are dropped, so `./src//a.rs` becomes
/// `src/a.rs`.
pub fn normalize_changed_path(path: &str) -> String {
    path.split('/')
        .filter(|segment| !segment.is_empty() && *segment != ".")
        .collect::<Vec<_>>()
        .join("/")
}

fn deserialize_changed_files<'de, D>(deserializer: D) -> Result<Option<Vec<String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let files: Option<Vec<String>> = Deserialize::deserialize(deserializer)?;
    Ok(files.map(|files| {
        files
            .iter()
            .map(|path| normalize_changed_path(path))
            .collect()
    }))
}

/// The project a pipeline belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Project {
    /// Full path, `namespace/name` (`CI_PROJECT_PATH`). Default `group/project`. The namespace
    /// (`CI_PROJECT_NAMESPACE`) is everything before the last `/`, the name
    /// (`CI_PROJECT_NAME`) the last part, and the root namespace
    /// (`CI_PROJECT_ROOT_NAMESPACE`) the first part.
    pub path: String,
    /// Project ID (`CI_PROJECT_ID`). Default 1.
    pub id: u64,
    /// ID of the project's namespace (`CI_PROJECT_NAMESPACE_ID`). Default 1.
    pub namespace_id: u64,
    /// Human-readable name (`CI_PROJECT_TITLE`); `None` uses the last part of the path.
    pub title: Option<String>,
    /// Description (`CI_PROJECT_DESCRIPTION`); `None` leaves the variable undefined.
    pub description: Option<String>,
    /// Visibility (`CI_PROJECT_VISIBILITY`). Default `private`.
    pub visibility: Visibility,
    /// Web address (`CI_PROJECT_URL`); `None` uses the server URL followed by the path.
    pub url: Option<String>,
    /// Languages of the repository, most used first (`CI_PROJECT_REPOSITORY_LANGUAGES`, joined
    /// with `,` and lowercased).
    pub repository_languages: Vec<String>,
    /// External authorization classification label (`CI_PROJECT_CLASSIFICATION_LABEL`); `None`
    /// leaves the variable undefined.
    pub classification_label: Option<String>,
    /// Licensed features of the instance and project (`GITLAB_FEATURES`, joined with `,`).
    /// Empty on GitLab Free.
    pub licensed_features: Vec<String>,
    /// Whether the project's container registry is enabled, which defines
    /// `CI_REGISTRY_IMAGE` when the instance has a registry. Default `true`.
    pub container_registry: bool,
}

impl Default for Project {
    fn default() -> Self {
        Project {
            path: "group/project".to_owned(),
            id: 1,
            namespace_id: 1,
            title: None,
            description: None,
            visibility: Visibility::Private,
            url: None,
            repository_languages: Vec::new(),
            classification_label: None,
            licensed_features: Vec::new(),
            container_registry: true,
        }
    }
}

impl Project {
    /// Returns the namespace: the path without its last part (`CI_PROJECT_NAMESPACE`).
    pub fn namespace(&self) -> &str {
        self.path
            .rsplit_once('/')
            .map_or("", |(namespace, _)| namespace)
    }

    /// Returns the project's own path segment (`CI_PROJECT_NAME`).
    pub fn name(&self) -> &str {
        self.path
            .rsplit_once('/')
            .map_or(&self.path, |(_, name)| name)
    }

    /// Returns the top-level group or user namespace (`CI_PROJECT_ROOT_NAMESPACE`).
    pub fn root_namespace(&self) -> &str {
        let namespace = self.namespace();
        namespace.split('/').next().unwrap_or(namespace)
    }

    /// Returns the web address (`CI_PROJECT_URL`).
    pub fn web_url(&self, server: &Server) -> String {
        match &self.url {
            Some(url) => url.clone(),
            None => format!("{}/{}", server.base_url(), self.path),
        }
    }
}

/// The GitLab instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Server {
    /// Base URL with protocol and, when it is not the protocol's default, port
    /// (`CI_SERVER_URL`). Default `https://gitlab.example.com`. `CI_SERVER_PROTOCOL`,
    /// `CI_SERVER_HOST` and `CI_SERVER_PORT` are taken from it.
    pub url: String,
    /// GitLab version (`CI_SERVER_VERSION`, split into `CI_SERVER_VERSION_MAJOR`, `_MINOR` and
    /// `_PATCH`). Default `18.0.0`, the release whose behaviour glplan follows.
    pub version: String,
    /// Git revision of the GitLab build (`CI_SERVER_REVISION`). Default empty.
    pub revision: String,
    /// Host name for Git over SSH (`CI_SERVER_SHELL_SSH_HOST`); `None` uses the server host.
    pub ssh_host: Option<String>,
    /// Port for Git over SSH (`CI_SERVER_SHELL_SSH_PORT`). Default 22.
    pub ssh_port: u16,
    /// Container registry address, `host[:port]` (`CI_REGISTRY`); `None` when the instance
    /// has no registry. Default `registry.gitlab.example.com`.
    pub registry: Option<String>,
    /// Whether the dependency proxy is enabled, which defines `CI_DEPENDENCY_PROXY_SERVER` and
    /// the image prefixes. Default `true`.
    pub dependency_proxy: bool,
    /// Whether the instance runs in FIPS mode (`CI_GITLAB_FIPS_MODE`). Default `false`.
    pub fips_mode: bool,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            url: "https://gitlab.example.com".to_owned(),
            version: "18.0.0".to_owned(),
            revision: String::new(),
            ssh_host: None,
            ssh_port: 22,
            registry: Some("registry.gitlab.example.com".to_owned()),
            dependency_proxy: true,
            fips_mode: false,
        }
    }
}

impl Server {
    /// Returns the protocol of [`Server::url`] (`CI_SERVER_PROTOCOL`): the part before `://`,
    /// `https` when the URL has none.
    pub fn protocol(&self) -> &str {
        self.url
            .split_once("://")
            .map_or("https", |(scheme, _)| scheme)
    }

    /// Returns the host of [`Server::url`] without protocol or port (`CI_SERVER_HOST`).
    pub fn host(&self) -> &str {
        let authority = self.authority();
        match authority.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => authority,
        }
    }

    /// Returns the port of [`Server::url`] (`CI_SERVER_PORT`): as written, or the protocol's
    /// default (443 for `https`, 80 otherwise).
    pub fn port(&self) -> u16 {
        let written = self
            .authority()
            .rsplit_once(':')
            .and_then(|(_, port)| port.parse().ok());
        written.unwrap_or(if self.protocol() == "https" { 443 } else { 80 })
    }

    /// Formats `host:port`, as GitLab's `Gitlab.host_with_port` does.
    pub fn host_with_port(&self) -> String {
        format!("{}:{}", self.host(), self.port())
    }

    /// Returns the host, followed by `:port` when the port is not the protocol's default
    /// (`CI_SERVER_FQDN`).
    pub fn fqdn(&self) -> String {
        let default_port = if self.protocol() == "https" { 443 } else { 80 };
        if self.port() == default_port {
            self.host().to_owned()
        } else {
            self.host_with_port()
        }
    }

    /// Returns the server URL as GitLab builds it (`CI_SERVER_URL`): protocol, host, the port
    /// only when it is not the protocol's default, and the path of [`Server::url`] without a
    /// trailing `/`. GitLab's settings leave out a default port (`base_url` in GitLab's
    /// `config/initializers/1_settings.rb`), so `https://gitlab.com:443` becomes
    /// `https://gitlab.com`.
    pub fn base_url(&self) -> String {
        let after_scheme = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, rest)| rest);
        let path = after_scheme
            .get(self.authority().len()..)
            .unwrap_or_default()
            .trim_end_matches('/');
        format!("{}://{}{path}", self.protocol(), self.fqdn())
    }

    /// Returns the part of the URL between `://` and the first `/` after it.
    fn authority(&self) -> &str {
        let after_scheme = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, rest)| rest);
        after_scheme.split('/').next().unwrap_or(after_scheme)
    }
}

/// The commit a pipeline runs for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Commit {
    /// Full commit SHA (`CI_COMMIT_SHA`; `CI_COMMIT_SHORT_SHA` is its first 8 characters). An
    /// empty SHA defines none of the `CI_COMMIT_*` variables, as in GitLab.
    pub sha: String,
    /// The previous head of the branch or tag (`CI_COMMIT_BEFORE_SHA`). Default 40 zeros, what
    /// GitLab reports for a new branch, a merge request pipeline or a manual run.
    pub before_sha: String,
    /// Full commit message (`CI_COMMIT_MESSAGE`). Default `Update .gitlab-ci.yml`.
    pub message: String,
    /// Commit title (`CI_COMMIT_TITLE`); `None` uses the first line of the message.
    pub title: Option<String>,
    /// Commit description (`CI_COMMIT_DESCRIPTION`); `None` uses the message without its first
    /// line, or the whole message when the first line has 100 or more characters.
    pub description: Option<String>,
    /// Author in `Name <email>` form (`CI_COMMIT_AUTHOR`).
    pub author: String,
    /// Commit time in ISO 8601 (`CI_COMMIT_TIMESTAMP`).
    pub timestamp: String,
    /// Message of an annotated tag (`CI_COMMIT_TAG_MESSAGE`, tag pipelines only). Default the
    /// empty message of a lightweight tag. `None` stands for a tag GitLab cannot find in the
    /// repository, which defines neither `CI_COMMIT_TAG` nor the message.
    pub tag_message: Option<String>,
}

impl Default for Commit {
    fn default() -> Self {
        Commit {
            sha: "5b7f8c2e9d1a4f3b6c0e8d7a2b1c9f4e3d6a5b8c".to_owned(),
            before_sha: "0000000000000000000000000000000000000000".to_owned(),
            message: "Update .gitlab-ci.yml".to_owned(),
            title: None,
            description: None,
            author: "Administrator <admin@example.com>".to_owned(),
            timestamp: "2024-01-01T00:00:00+00:00".to_owned(),
            tag_message: Some(String::new()),
        }
    }
}

/// A merge request, for merge request pipelines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MergeRequest {
    /// Project-level number (`CI_MERGE_REQUEST_IID`). Default 1.
    pub iid: u64,
    /// Instance-level ID (`CI_MERGE_REQUEST_ID`). Default 1.
    pub id: u64,
    /// Source branch (`CI_MERGE_REQUEST_SOURCE_BRANCH_NAME`, and `CI_COMMIT_REF_NAME`). Default
    /// `feature`.
    pub source_branch: String,
    /// Target branch (`CI_MERGE_REQUEST_TARGET_BRANCH_NAME`). Default `main`.
    pub target_branch: String,
    /// Path of the source project when the merge request comes from a fork
    /// (`CI_MERGE_REQUEST_SOURCE_PROJECT_PATH`); `None` for the pipeline's own project.
    pub source_project_path: Option<String>,
    /// ID of the source project of a fork (`CI_MERGE_REQUEST_SOURCE_PROJECT_ID`); `None` for
    /// the pipeline's own project.
    pub source_project_id: Option<u64>,
    /// Title (`CI_MERGE_REQUEST_TITLE`). Default `Add feature`. GitLab takes a merge request
    /// whose title starts with `Draft:`, `[Draft]` or `(Draft)` as a draft, so set
    /// [`MergeRequest::draft`] with such a title.
    pub title: String,
    /// Description (`CI_MERGE_REQUEST_DESCRIPTION`, cut to 2700 characters).
    pub description: String,
    /// Label names (`CI_MERGE_REQUEST_LABELS`, joined with `,`; undefined when empty).
    pub labels: Vec<String>,
    /// Milestone title (`CI_MERGE_REQUEST_MILESTONE`).
    pub milestone: Option<String>,
    /// Usernames of the assignees (`CI_MERGE_REQUEST_ASSIGNEES`; undefined when empty).
    pub assignees: Vec<String>,
    /// Detached, merged results or merge train (`CI_MERGE_REQUEST_EVENT_TYPE`).
    pub event_type: MergeRequestEventType,
    /// Whether the merge request is a draft (`CI_MERGE_REQUEST_DRAFT`).
    pub draft: bool,
    /// Whether the merge request is approved. GitLab Premium defines
    /// `CI_MERGE_REQUEST_APPROVED=true` only when it is.
    pub approved: bool,
    /// Whether the merge request squashes on merge (`CI_MERGE_REQUEST_SQUASH_ON_MERGE`).
    pub squash_on_merge: bool,
    /// Whether the source branch is protected (`CI_MERGE_REQUEST_SOURCE_BRANCH_PROTECTED`).
    pub source_branch_protected: bool,
    /// Whether the target branch is protected (`CI_MERGE_REQUEST_TARGET_BRANCH_PROTECTED`).
    /// Default `true` for the default target `main`.
    pub target_branch_protected: bool,
    /// Version of the merge request diff (`CI_MERGE_REQUEST_DIFF_ID`). Default 1.
    pub diff_id: u64,
    /// Base commit of the merge request diff (`CI_MERGE_REQUEST_DIFF_BASE_SHA`); `None` when the
    /// merge request has no diff yet, which also leaves `CI_MERGE_REQUEST_DIFF_ID` undefined.
    pub diff_base_sha: Option<String>,
    /// Head of the source branch (`CI_MERGE_REQUEST_SOURCE_BRANCH_SHA`). GitLab sets it only in
    /// merged results and merge train pipelines; detached pipelines define it as empty.
    pub source_branch_sha: Option<String>,
    /// Head of the target branch (`CI_MERGE_REQUEST_TARGET_BRANCH_SHA`), with the same rule as
    /// [`MergeRequest::source_branch_sha`].
    pub target_branch_sha: Option<String>,
}

impl Default for MergeRequest {
    fn default() -> Self {
        MergeRequest {
            iid: 1,
            id: 1,
            source_branch: "feature".to_owned(),
            target_branch: DEFAULT_BRANCH.to_owned(),
            source_project_path: None,
            source_project_id: None,
            title: "Add feature".to_owned(),
            description: String::new(),
            labels: Vec::new(),
            milestone: None,
            assignees: Vec::new(),
            event_type: MergeRequestEventType::Detached,
            draft: false,
            approved: false,
            squash_on_merge: false,
            source_branch_protected: false,
            target_branch_protected: true,
            diff_id: 1,
            diff_base_sha: Some("1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b".to_owned()),
            source_branch_sha: None,
            target_branch_sha: None,
        }
    }
}

/// The user who started a pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct User {
    /// User ID (`GITLAB_USER_ID`). Default 1.
    pub id: u64,
    /// Username (`GITLAB_USER_LOGIN`). Default `root`.
    pub login: String,
    /// Display name (`GITLAB_USER_NAME`). Default `Administrator`.
    pub name: String,
    /// Email address (`GITLAB_USER_EMAIL`). Default `admin@example.com`.
    pub email: String,
}

impl Default for User {
    fn default() -> Self {
        User {
            id: 1,
            login: "root".to_owned(),
            name: "Administrator".to_owned(),
            email: "admin@example.com".to_owned(),
        }
    }
}

/// Facts about the pipeline itself, several of which exist only once GitLab has saved it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineInfo {
    /// Project-level pipeline number (`CI_PIPELINE_IID`). Default 1.
    pub iid: u64,
    /// Instance-level pipeline ID (`CI_PIPELINE_ID` and `CI_PIPELINE_URL`, job-only
    /// variables); `None` leaves both undefined. Default 1.
    pub id: Option<u64>,
    /// Pipeline name from `workflow:name` (`CI_PIPELINE_NAME`), once it has been expanded.
    pub name: Option<String>,
    /// Creation time in ISO 8601 (`CI_PIPELINE_CREATED_AT`, defined in running jobs only).
    pub created_at: Option<String>,
    /// Description of the schedule (`CI_PIPELINE_SCHEDULE_DESCRIPTION`, schedule pipelines
    /// only).
    pub schedule_description: Option<String>,
    /// First characters of the trigger token of a `trigger` pipeline
    /// (`CI_TRIGGER_SHORT_TOKEN`). A `trigger` source defines `CI_PIPELINE_TRIGGERED=true`
    /// with or without it.
    pub trigger_short_token: Option<String>,
    /// Open merge requests whose source is the pipeline's branch, as references such as
    /// `group/project!1` (`CI_OPEN_MERGE_REQUESTS`; GitLab lists at most four). In a merge
    /// request pipeline an empty list stands for the pipeline's own merge request.
    pub open_merge_requests: Vec<String>,
    /// Whether a Kubernetes cluster is available for deployments (`CI_KUBERNETES_ACTIVE`).
    pub kubernetes_active: bool,
    /// Whether the pipeline runs during a deploy freeze (`CI_DEPLOY_FREEZE`).
    pub deploy_freeze: bool,
    /// Description of the release of the tag (`CI_RELEASE_DESCRIPTION`, tag pipelines only, cut
    /// to 1024 characters).
    pub release_description: Option<String>,
}

impl Default for PipelineInfo {
    fn default() -> Self {
        PipelineInfo {
            iid: 1,
            id: Some(1),
            name: None,
            created_at: None,
            schedule_description: None,
            trigger_short_token: None,
            open_merge_requests: Vec::new(),
            kubernetes_active: false,
            deploy_freeze: false,
            release_description: None,
        }
    }
}

/// A CI/CD variable from the settings of the instance, a group or the project, or given to the
/// pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SettingsVariable {
    /// Variable name.
    pub key: String,
    /// Value; for a file variable, the file's content.
    pub value: String,
    /// Whether the value is hidden in job logs and in glplan's output (`[MASKED]`). GitLab
    /// accepts only masked values that pass [`check_maskable`]. [`ContextOptions::build`]
    /// checks them, but a context deserialized or built field by field is not checked.
    pub masked: bool,
    /// Whether only pipelines of protected branches and tags receive the variable.
    pub protected: bool,
    /// Whether the value is used as written, without variable expansion (**Expand variable
    /// reference** turned off).
    pub raw: bool,
    /// Whether the variable is of type file: the runner writes the value to a temporary file
    /// and sets the variable to the file's path.
    pub file: bool,
    /// Environments whose jobs receive the variable: `*` for all (the default), an exact
    /// environment name, or a pattern where `*` matches any characters (`review/*`).
    pub environment_scope: String,
}

impl Default for SettingsVariable {
    fn default() -> Self {
        SettingsVariable {
            key: String::new(),
            value: String::new(),
            masked: false,
            protected: false,
            raw: false,
            file: false,
            environment_scope: "*".to_owned(),
        }
    }
}

impl SettingsVariable {
    /// Creates a plain variable: not masked, not protected, expanded, of type env var, scope
    /// `*`.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        SettingsVariable {
            key: key.into(),
            value: value.into(),
            ..SettingsVariable::default()
        }
    }
}

/// The CI/CD variables of one group.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroupVariables {
    /// Full path of the group, for display.
    pub path: String,
    /// The group's variables.
    pub variables: Vec<SettingsVariable>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_names_round_trip() {
        for source in PipelineSource::ALL {
            let json = serde_json::to_string(&source).unwrap();
            assert_eq!(json, format!("\"{}\"", source.as_str()), "{source:?}");
            let back: PipelineSource = serde_json::from_str(&json).unwrap();
            assert_eq!(back, source);
        }
    }

    #[test]
    fn default_merge_request_title_not_draft() {
        let merge_request = MergeRequest::default();
        assert!(!merge_request.draft);
        // GitLab's `Gitlab::Regex.merge_request_draft`: `/\A(?i)(\[draft\]|\(draft\)|draft:)/`.
        let title = merge_request.title.to_ascii_lowercase();
        for prefix in ["[draft]", "(draft)", "draft:"] {
            assert!(!title.starts_with(prefix), "{title}");
        }
    }

    #[test]
    fn context_defaults_from_empty_json() {
        let context: PipelineContext = serde_json::from_str("{}").unwrap();
        assert_eq!(context, PipelineContext::default());
    }

    #[test]
    fn changed_paths_normalized() {
        let cases = [
            ("src/a.rs", "src/a.rs"),
            ("./src/a.rs", "src/a.rs"),
            ("/src/a.rs", "src/a.rs"),
            ("src//a.rs", "src/a.rs"),
            ("src/./a.rs", "src/a.rs"),
            (".gitlab-ci.yml", ".gitlab-ci.yml"),
        ];
        for (path, expected) in cases {
            assert_eq!(normalize_changed_path(path), expected, "{path}");
        }
    }

    #[test]
    fn changed_files_json_normalized() {
        let context: PipelineContext =
            serde_json::from_str(r#"{"changed_files": ["./src/a.rs"]}"#).unwrap();
        assert_eq!(context.changed_files, Some(vec!["src/a.rs".to_owned()]));
    }

    #[test]
    fn diff_only_where_gitlab_has_one() {
        let changed = Some(vec!["a".to_owned()]);
        let with_changes = |context: PipelineContext| PipelineContext {
            changed_files: changed.clone(),
            ..context
        };
        let api = PipelineContext {
            source: PipelineSource::Api,
            ..PipelineContext::push("main")
        };
        let cases = [
            ("push", with_changes(PipelineContext::push("main")), true),
            (
                "merge request",
                with_changes(PipelineContext::merge_request("f", "main")),
                true,
            ),
            ("tag", with_changes(PipelineContext::tag("v1")), false),
            (
                "schedule",
                with_changes(PipelineContext::schedule("main")),
                false,
            ),
            ("web", with_changes(PipelineContext::web("main")), false),
            ("api", with_changes(api), false),
        ];
        for (name, context, has_diff) in cases {
            assert_eq!(context.diff().is_some(), has_diff, "{name}");
        }
    }

    #[test]
    fn context_json_uses_ref_key() {
        let context: PipelineContext =
            serde_json::from_str(r#"{"ref": "v1.0", "tag": true}"#).unwrap();
        assert_eq!(context.ref_name, "v1.0");
        assert_eq!(context.tag_name(), Some("v1.0"));
    }

    #[test]
    fn context_rejects_unknown_field() {
        let error = serde_json::from_str::<PipelineContext>(r#"{"branch": "main"}"#).unwrap_err();
        assert!(
            error.to_string().contains("unknown field `branch`"),
            "{error}"
        );
    }

    #[test]
    fn context_round_trips() {
        let mut context = PipelineContext::merge_request("feat", "main");
        context.project_variables.push(SettingsVariable {
            masked: true,
            environment_scope: "review/*".to_owned(),
            ..SettingsVariable::new("TOKEN", "secret-value")
        });
        let json = serde_json::to_string(&context).unwrap();
        let back: PipelineContext = serde_json::from_str(&json).unwrap();
        assert_eq!(back, context);
    }

    #[test]
    fn project_path_parts() {
        let project = Project {
            path: "top/sub/app".to_owned(),
            ..Project::default()
        };
        assert_eq!(project.namespace(), "top/sub");
        assert_eq!(project.name(), "app");
        assert_eq!(project.root_namespace(), "top");
        assert_eq!(
            project.web_url(&Server::default()),
            "https://gitlab.example.com/top/sub/app"
        );
    }

    #[test]
    fn server_url_parts() {
        let cases = [
            (
                "https://gitlab.example.com",
                "https",
                "gitlab.example.com",
                443,
                "gitlab.example.com",
            ),
            (
                "http://gitlab.local:8080/",
                "http",
                "gitlab.local",
                8080,
                "gitlab.local:8080",
            ),
            ("http://10.0.0.1", "http", "10.0.0.1", 80, "10.0.0.1"),
            (
                "https://git.example.com:443/gitlab",
                "https",
                "git.example.com",
                443,
                "git.example.com",
            ),
        ];
        for (url, protocol, host, port, fqdn) in cases {
            let server = Server {
                url: url.to_owned(),
                ..Server::default()
            };
            assert_eq!(server.protocol(), protocol, "protocol of {url}");
            assert_eq!(server.host(), host, "host of {url}");
            assert_eq!(server.port(), port, "port of {url}");
            assert_eq!(server.fqdn(), fqdn, "fqdn of {url}");
        }
    }

    #[test]
    fn server_base_url_drops_default_port() {
        let cases = [
            ("https://gitlab.com", "https://gitlab.com"),
            ("https://gitlab.com/", "https://gitlab.com"),
            ("https://gitlab.com:443", "https://gitlab.com"),
            (
                "https://gitlab.com:443/gitlab/",
                "https://gitlab.com/gitlab",
            ),
            ("https://gitlab.com:80", "https://gitlab.com:80"),
            ("http://gitlab.local:80", "http://gitlab.local"),
            ("http://gitlab.local:8080", "http://gitlab.local:8080"),
            ("http://gitlab.local:443", "http://gitlab.local:443"),
        ];
        for (url, expected) in cases {
            let server = Server {
                url: url.to_owned(),
                ..Server::default()
            };
            assert_eq!(server.base_url(), expected, "base URL of {url}");
        }
    }

    #[test]
    fn ref_kinds() {
        let push = PipelineContext::push("feat");
        assert_eq!(push.branch(), Some("feat"));
        assert!(!push.protected_ref());

        let main = PipelineContext::push("main");
        assert!(main.protected_ref());

        let tag = PipelineContext::tag("v1");
        assert_eq!(tag.branch(), None);
        assert_eq!(tag.tag_name(), Some("v1"));

        let mut merge_request = PipelineContext::merge_request("feat", "main");
        merge_request.ref_protected = true;
        assert_eq!(merge_request.branch(), None);
        assert_eq!(merge_request.commit_ref_name(), "feat");
        assert!(!merge_request.protected_ref());
    }

    #[test]
    fn child_keeps_merge_request() {
        let parent = PipelineContext::merge_request("feat", "main");
        let child = parent.child(Vec::new());
        assert_eq!(child.source, PipelineSource::ParentPipeline);
        assert_eq!(
            child.merge_request_pipeline(),
            parent.merge_request.as_ref()
        );
        assert_eq!(child.branch(), None);
        assert_eq!(child.tag_name(), None);
        assert_eq!(child.commit_ref_name(), "feat");
        assert!(!child.protected_ref());

        let grandchild = child.child(Vec::new());
        assert_eq!(
            grandchild.merge_request_pipeline(),
            parent.merge_request.as_ref()
        );
    }

    #[test]
    fn child_of_push_drops_merge_request() {
        let mut parent = PipelineContext::push("feat");
        parent.merge_request = Some(MergeRequest::default());
        let child = parent.child(Vec::new());
        assert_eq!(child.merge_request, None);
        assert!(child.merge_request_pipeline().is_none());
        assert_eq!(child.branch(), Some("feat"));
    }

    #[test]
    fn child_diff_matches_parent() {
        let with_source = |source| PipelineContext {
            source,
            ..PipelineContext::push("feat")
        };
        // The child of an external pull request pipeline gets neither the pull request nor a
        // before SHA, so it has no diff although its parent has one.
        let cases = [
            ("push", PipelineContext::push("feat"), true),
            (
                "merge request",
                PipelineContext::merge_request("feat", "main"),
                true,
            ),
            ("tag", PipelineContext::tag("v1"), false),
            ("schedule", PipelineContext::schedule("feat"), false),
            ("web", PipelineContext::web("feat"), false),
            ("api", with_source(PipelineSource::Api), false),
            ("trigger", with_source(PipelineSource::Trigger), false),
            (
                "external pull request",
                with_source(PipelineSource::ExternalPullRequestEvent),
                false,
            ),
        ];
        for (name, parent, child_has_diff) in cases {
            let parent = PipelineContext {
                changed_files: Some(vec!["docs/a.md".to_owned()]),
                ..parent
            };
            let child = parent.child(Vec::new());
            assert_eq!(child.diff().is_some(), child_has_diff, "child of {name}");
            let grandchild = child.child(Vec::new());
            assert_eq!(grandchild.diff(), child.diff(), "grandchild of {name}");
        }
    }

    #[test]
    fn merge_request_ignored_for_other_sources() {
        let mut context = PipelineContext::push("feat");
        context.merge_request = Some(MergeRequest::default());
        assert!(context.merge_request_pipeline().is_none());
        assert_eq!(context.branch(), Some("feat"));
    }
}
