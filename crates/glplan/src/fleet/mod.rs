//! The runner fleet: gitlab-runner `config.toml` files, the settings GitLab keeps for each
//! runner, which runner can take which job, and executor checks.
//!
//! # Input
//!
//! [`Fleet::parse`] reads any number of TOML files that the caller has already added to a
//! [`SourceMap`]. Each file is one of two kinds, recognised by the shape of its `runners` key:
//!
//! - **A gitlab-runner `config.toml`**, with `[[runners]]` as an array of tables. Each such file
//!   is one host: one gitlab-runner process with its own `concurrent` worker pool and
//!   `check_interval`. Besides gitlab-runner's own keys, every `[[runners]]` table accepts the
//!   settings GitLab stores for the registered runner, because those decide which jobs it gets:
//!
//!   | key | type | default | meaning |
//!   |-----|------|---------|---------|
//!   | `tags` | list of strings, or one comma-separated string | `[]` | the runner's tags |
//!   | `run_untagged` | bool | `true` without tags, `false` with tags | whether it takes jobs without tags |
//!   | `locked` | bool | `false` | a project runner that cannot be enabled for other projects |
//!   | `paused` | bool | `false` | a paused runner receives no jobs |
//!   | `access_level` | `not_protected` or `ref_protected` | `not_protected` | `ref_protected` runners take only jobs of protected branches and tags |
//!   | `runner_type` | `instance_type`, `group_type` or `project_type` | `group_type` with `groups`, `project_type` with `projects`, else `instance_type` | the runner's scope |
//!   | `projects` | list of project paths | `[]` | the projects a project runner is assigned to |
//!   | `groups` | list of one group path | `[]` | the group of a group runner |
//!   | `maximum_timeout` | seconds, or a duration such as `"1h 30m"` | none | the cap GitLab puts on the timeout of the runner's jobs (at least 600 s) |
//!
//!   The `run_untagged` default follows `gitlab-runner register`, which registers a runner
//!   without tags with `run_untagged = true` and a runner with tags with `false`.
//!
//! - **A GitLab settings file**, with `runners` as a table of tables keyed by runner name. It
//!   holds only the GitLab-side keys above and applies them to every `[[runners]]` entry of that
//!   name in any `config.toml`. Its values override the same keys written in `config.toml`:
//!
//!   ```toml
//!   [runners."docker-arm64"]
//!   tags = ["docker", "arm64"]
//!   access_level = "ref_protected"
//!   maximum_timeout = "2h"
//!   ```
//!
//! Unknown keys are warnings; wrong types and invalid values are errors. Each diagnostic points
//! at the key or value in its file. A file with invalid TOML syntax contributes nothing but its
//! syntax errors. The runner `token` is read only to note that it is set, and is never stored.
//!
//! # Matching and checks
//!
//! [`match_jobs`] lists, for each job of a planned [`Pipeline`], the runners GitLab would hand
//! it to and, for every other runner, the first reason GitLab skips it. A job no runner can take
//! is stuck: GitLab leaves it pending until it drops it. [`check`] then reports executor
//! settings that make a job fail or behave differently from what its configuration suggests,
//! for each job against the runners that can take it. For the schedule, the matching also
//! lists in [`JobMatch::failing`] the eligible runners whose settings make gitlab-runner fail
//! the job after taking it, with the point of the run where it fails. The matching and the
//! checks cover the jobs of the child pipelines GitLab creates, at every depth, and the checks
//! name such a job `TRIGGER/JOB` as the schedule does.
//!
//! ```
//! use glplan::SourceMap;
//! use glplan::fleet::Fleet;
//!
//! let mut sources = SourceMap::new();
//! let text = r#"
//! concurrent = 4
//!
//! [[runners]]
//! name = "docker-amd64"
//! executor = "docker"
//! limit = 4
//! tags = ["docker", "amd64"]
//! [runners.docker]
//! image = "alpine:3.20"
//! "#;
//! let file = sources.add("config.toml", text);
//! let (fleet, diagnostics) = Fleet::parse(&[(file, text)], &sources);
//! assert!(diagnostics.is_empty());
//! assert_eq!(fleet.hosts[0].concurrent, 4);
//! assert_eq!(fleet.runners[0].limit, 4);
//! assert!(!fleet.runners[0].run_untagged);
//! ```
//!
//! The core does no I/O: the caller reads the files. All output types serialize to JSON with
//! snake_case keys; spans are left out of the JSON and kept for diagnostics.

mod check;
mod failure;
mod matching;
mod parse;
mod quantity;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::keywords::services::default_hostnames;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, SourceMap, Span};

pub use check::{add_child_sources, check};
pub use failure::{
    DOCKER_CLIENT_EXIT_CODE, FailureStage, POD_FAILURE_SECONDS, PREPARE_FAILURE_SECONDS,
    RunnerFailure,
};
pub use matching::{
    ChildMatching, JobMatch, MatchContext, Matching, Rejection, RunnerRejection, match_jobs, reject,
};

#[cfg(doc)]
use crate::pipeline::Pipeline;

/// Every runner of every host, in file order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct Fleet {
    /// One entry per gitlab-runner `config.toml`.
    pub hosts: Vec<Host>,
    /// Every `[[runners]]` entry of every host, host by host in the order the files were given,
    /// then in file order.
    pub runners: Vec<Runner>,
}

impl Fleet {
    /// Parses gitlab-runner `config.toml` files and GitLab settings files into one fleet.
    ///
    /// Each file must already be in `sources` under `FileId`; its name there is the host's
    /// name. Returns the fleet and the diagnostics, in file order. The fleet contains every
    /// runner that could be read, even when some of its keys were invalid.
    pub fn parse(files: &[(FileId, &str)], sources: &SourceMap) -> (Fleet, Vec<Diagnostic>) {
        parse::parse_fleet(files, sources)
    }

    /// Returns the runners of host `host`, with their indexes in [`Fleet::runners`].
    pub fn host_runners(&self, host: usize) -> impl Iterator<Item = (usize, &Runner)> {
        self.runners
            .iter()
            .enumerate()
            .filter(move |(_, runner)| runner.host == host)
    }

    /// Returns the first runner called `name`, with its index.
    pub fn runner(&self, name: &str) -> Option<(usize, &Runner)> {
        self.runners
            .iter()
            .enumerate()
            .find(|(_, runner)| runner.name == name)
    }
}

/// One gitlab-runner process, described by one `config.toml`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct Host {
    /// The runner file's name.
    pub name: String,
    /// The file.
    pub file: FileId,
    /// `concurrent`: the size of the worker pool, which bounds the jobs running at once over
    /// all of the host's runners. Default 1.
    pub concurrent: u32,
    /// `check_interval` in seconds: the length of one polling round over the host's runners.
    /// Default 3; values of 0 or less also mean 3.
    pub check_interval: u32,
    /// Span of the `concurrent` value.
    #[serde(skip)]
    pub concurrent_span: Option<Span>,
}

/// One `[[runners]]` entry: a runner registered in GitLab, run by one host.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct Runner {
    /// Index of the host in the fleet's `hosts`, from 0.
    pub host: usize,
    /// `name`; `runners[N]` (from 0, in its file) when the entry has none.
    pub name: String,
    /// `url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Whether `token` is set. The token itself is never kept.
    pub has_token: bool,
    /// `executor`; `None` when it is missing or not one gitlab-runner supports, in which case the
    /// runner requests no jobs.
    pub executor: Option<Executor>,
    /// `limit`: the most jobs this runner runs at once; 0 means no limit of its own.
    pub limit: u32,
    /// `request_concurrency`: the most job requests in flight at once. Default 1.
    pub request_concurrency: u32,
    /// `strict_check_interval`: after a job, the runner waits for its next turn of the
    /// feeder (`check_interval`) instead of requesting the next job at once. Default `false`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub strict_check_interval: bool,
    /// `environment`: `NAME=value` entries added to every job's environment.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<String>,
    /// The runner's tags.
    pub tags: Vec<String>,
    /// Whether the runner takes jobs without tags.
    pub run_untagged: bool,
    /// Whether this project runner is locked to its projects.
    pub locked: bool,
    /// Whether the runner is paused.
    pub paused: bool,
    /// The refs whose jobs the runner takes.
    pub access_level: AccessLevel,
    /// The runner's scope.
    pub runner_type: RunnerType,
    /// The projects a project runner is assigned to. Empty means the planned project.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<String>,
    /// The group of a group runner. Empty means the planned project's group.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The maximum job timeout in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_timeout: Option<u64>,
    /// `[runners.docker]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docker: Option<DockerSettings>,
    /// `[runners.kubernetes]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesSettings>,
    /// `[runners.cache]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheSettings>,
    /// `[runners.machine]` of a `docker+machine` runner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine: Option<MachineSettings>,
    /// `[runners.autoscaler]` of a `docker-autoscaler` or `instance` runner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscaler: Option<AutoscalerSettings>,
    /// `[runners.instance]` of an `instance` runner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<InstanceSettings>,
    /// `[runners.virtualbox]` of a `virtualbox` runner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtualbox: Option<VmSettings>,
    /// `[runners.parallels]` of a `parallels` runner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallels: Option<VmSettings>,
    /// Spans of the entry's keys, by dotted path inside the entry (`limit`,
    /// `docker.privileged`, `docker.volumes.0`). The settings file's keys replace the
    /// `config.toml` ones they override.
    #[serde(skip)]
    pub spans: SpanMap,
    /// The `[[runners]]` header of the entry.
    #[serde(skip)]
    pub span: Span,
}

impl Runner {
    /// Returns the most jobs this runner can run at once by its own settings: `limit`, and
    /// for `docker-autoscaler` and `instance` runners with `max_instances`, `max_instances ×
    /// capacity_per_instance`. `None` means no bound of its own (the host's `concurrent` still
    /// applies).
    pub fn max_jobs(&self) -> Option<u32> {
        let limit = (self.limit > 0).then_some(self.limit);
        let autoscaled = self
            .autoscaler
            .as_ref()
            .filter(|_| {
                matches!(
                    self.executor,
                    Some(Executor::DockerAutoscaler | Executor::Instance)
                )
            })
            .and_then(AutoscalerSettings::max_jobs);
        match (limit, autoscaled) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Returns the span of the key at dotted path `key`, else the `[[runners]]` header.
    pub fn span_of(&self, key: &str) -> Span {
        self.spans.get(key).unwrap_or(self.span)
    }
}

/// Spans of keys by dotted path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpanMap(BTreeMap<String, Span>);

impl SpanMap {
    /// Returns the span recorded for `key`.
    pub fn get(&self, key: &str) -> Option<Span> {
        self.0.get(key).copied()
    }

    fn insert(&mut self, key: String, span: Span) {
        self.0.insert(key, span);
    }
}

/// An executor gitlab-runner supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub enum Executor {
    /// `shell`: the job runs on the host; `image` and `services` are ignored.
    #[serde(rename = "shell")]
    Shell,
    /// `docker`.
    #[serde(rename = "docker")]
    Docker,
    /// `docker-windows`.
    #[serde(rename = "docker-windows")]
    DockerWindows,
    /// `docker+machine`: Docker on machines created by Docker Machine.
    #[serde(rename = "docker+machine")]
    DockerMachine,
    /// `docker-autoscaler`: Docker on instances of a fleeting plugin.
    #[serde(rename = "docker-autoscaler")]
    DockerAutoscaler,
    /// `instance`: the job runs on an autoscaled instance.
    #[serde(rename = "instance")]
    Instance,
    /// `kubernetes`.
    #[serde(rename = "kubernetes")]
    Kubernetes,
    /// `ssh`.
    #[serde(rename = "ssh")]
    Ssh,
    /// `parallels`.
    #[serde(rename = "parallels")]
    Parallels,
    /// `virtualbox`.
    #[serde(rename = "virtualbox")]
    VirtualBox,
    /// `custom`.
    #[serde(rename = "custom")]
    Custom,
}

impl Executor {
    /// Every executor, in the order of gitlab-runner's documentation.
    pub const ALL: [Executor; 11] = [
        Executor::Shell,
        Executor::Docker,
        Executor::DockerWindows,
        Executor::DockerMachine,
        Executor::DockerAutoscaler,
        Executor::Instance,
        Executor::Kubernetes,
        Executor::Ssh,
        Executor::Parallels,
        Executor::VirtualBox,
        Executor::Custom,
    ];

    /// Returns the name written in `config.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Executor::Shell => "shell",
            Executor::Docker => "docker",
            Executor::DockerWindows => "docker-windows",
            Executor::DockerMachine => "docker+machine",
            Executor::DockerAutoscaler => "docker-autoscaler",
            Executor::Instance => "instance",
            Executor::Kubernetes => "kubernetes",
            Executor::Ssh => "ssh",
            Executor::Parallels => "parallels",
            Executor::VirtualBox => "virtualbox",
            Executor::Custom => "custom",
        }
    }

    /// Returns the executor called `name`.
    pub fn from_name(name: &str) -> Option<Executor> {
        Executor::ALL.into_iter().find(|e| e.as_str() == name)
    }

    /// Returns whether jobs run in Docker containers configured by `[runners.docker]`.
    pub fn uses_docker(self) -> bool {
        matches!(
            self,
            Executor::Docker
                | Executor::DockerWindows
                | Executor::DockerMachine
                | Executor::DockerAutoscaler
        )
    }
}

/// The refs whose jobs a runner takes (`access_level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccessLevel {
    /// Jobs of any ref.
    #[default]
    NotProtected,
    /// Only jobs of protected branches and tags.
    RefProtected,
}

/// The scope of a runner (`runner_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RunnerType {
    /// An instance (shared) runner: jobs of every project with shared runners enabled.
    #[default]
    InstanceType,
    /// A group runner: jobs of the projects in its group and the group's subgroups.
    GroupType,
    /// A project runner: jobs of the projects it is assigned to.
    ProjectType,
}

/// A service a runner starts with every job (`[[runners.docker.services]]`,
/// `[[runners.kubernetes.services]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct RunnerService {
    /// `name`: the image.
    pub name: String,
    /// `alias`: space- or comma-separated host names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// `environment`: `NAME=value` entries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<String>,
}

impl RunnerService {
    /// Returns the host names a job reaches the service at: the names Docker derives from
    /// the image, then the aliases, as for a job's service.
    pub fn hostnames(&self) -> Vec<String> {
        let mut names = default_hostnames(&self.name);
        let aliases = self
            .alias
            .iter()
            .flat_map(|alias| alias.split([' ', ',']))
            .filter(|alias| !alias.is_empty());
        for alias in aliases {
            if !names.iter().any(|name| name == alias) {
                names.push(alias.to_owned());
            }
        }
        names
    }
}

/// `[runners.docker]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct DockerSettings {
    /// `image`: used when the job has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `privileged`: build and service containers run privileged.
    pub privileged: bool,
    /// `services_privileged`: overrides `privileged` for service containers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services_privileged: Option<bool>,
    /// `volumes`, in Docker's `-v` syntax.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<String>,
    /// `pull_policy`, in order; empty means `always`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pull_policy: Vec<String>,
    /// `allowed_pull_policies`; empty means the `pull_policy` list.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_pull_policies: Vec<String>,
    /// `allowed_images`: patterns; empty allows every image.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_images: Vec<String>,
    /// `allowed_services`: patterns; empty allows every service.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_services: Vec<String>,
    /// `services` started with every job.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<RunnerService>,
    /// `services_limit`: the maximum number of services of a job, the runner's own `services`
    /// included. Unset or negative means no limit, and gitlab-runner's default is -1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services_limit: Option<i64>,
    /// `host`: the Docker daemon the runner uses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// `network_mode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
}

impl DockerSettings {
    /// Returns whether service containers run privileged.
    pub fn services_run_privileged(&self) -> bool {
        self.services_privileged.unwrap_or(self.privileged)
    }
}

/// Resource requests and limits of one kind of container in a Kubernetes job pod, as written
/// (Kubernetes quantities such as `500m` or `1Gi`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct ContainerResources {
    /// `*cpu_request`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_request: Option<String>,
    /// `*cpu_limit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<String>,
    /// `*memory_request`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_request: Option<String>,
    /// `*memory_limit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<String>,
    /// `*ephemeral_storage_request`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage_request: Option<String>,
    /// `*ephemeral_storage_limit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage_limit: Option<String>,
}

/// `[runners.kubernetes]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct KubernetesSettings {
    /// `image`: used when the job has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `namespace`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `privileged`: every container of the pod runs privileged.
    pub privileged: bool,
    /// The build container's `cpu_request`, `memory_limit` and so on.
    pub build: ContainerResources,
    /// The service containers' `service_cpu_request` and so on.
    pub service: ContainerResources,
    /// The helper container's `helper_cpu_request` and so on.
    pub helper: ContainerResources,
    /// `poll_interval` in seconds. Default 3.
    pub poll_interval: u32,
    /// `poll_timeout` in seconds: how long the runner waits for the pod to start. Default 180.
    pub poll_timeout: u32,
    /// `node_selector`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// `services` started with every job.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<RunnerService>,
    /// `allowed_images`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_images: Vec<String>,
    /// `allowed_services`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_services: Vec<String>,
    /// `pull_policy`; empty means the cluster's default.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pull_policy: Vec<String>,
    /// `allowed_pull_policies`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_pull_policies: Vec<String>,
    /// The `mount_path` of every volume under `[runners.kubernetes.volumes]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volume_mounts: Vec<String>,
    /// The `*_overwrite_max_allowed` keys that are set, which let jobs override the matching
    /// request or limit with `KUBERNETES_*` variables.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub overwrite_max_allowed: BTreeMap<String, String>,
}

impl Default for KubernetesSettings {
    fn default() -> Self {
        KubernetesSettings {
            image: None,
            namespace: None,
            privileged: false,
            build: ContainerResources::default(),
            service: ContainerResources::default(),
            helper: ContainerResources::default(),
            poll_interval: 3,
            poll_timeout: 180,
            node_selector: BTreeMap::new(),
            services: Vec::new(),
            allowed_images: Vec::new(),
            allowed_services: Vec::new(),
            pull_policy: Vec::new(),
            allowed_pull_policies: Vec::new(),
            volume_mounts: Vec::new(),
            overwrite_max_allowed: BTreeMap::new(),
        }
    }
}

/// `[runners.cache]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct CacheSettings {
    /// `Type`: `s3`, `gcs` or `azure`; none means a local cache on the host.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub cache_type: Option<String>,
    /// `Path`: prefix of the cache keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `Shared`: whether runners share the cache.
    pub shared: bool,
}

/// `[runners.machine]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct MachineSettings {
    /// `IdleCount`: machines kept idle.
    pub idle_count: u32,
    /// `IdleTime` in seconds.
    pub idle_time: u32,
    /// `MaxBuilds`: jobs per machine before it is removed; 0 means no maximum.
    pub max_builds: u32,
    /// `MaxGrowthRate`: machines created at once; 0 means no maximum.
    pub max_growth_rate: u32,
    /// `MachineDriver`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine_driver: Option<String>,
}

/// `[runners.autoscaler]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct AutoscalerSettings {
    /// `plugin`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// `capacity_per_instance`: jobs one instance runs at once. Default 1.
    pub capacity_per_instance: u32,
    /// `max_use_count`: jobs per instance before it is removed; 0 means no maximum.
    pub max_use_count: u32,
    /// `max_instances`: 0 means no maximum.
    pub max_instances: u32,
}

impl AutoscalerSettings {
    /// Returns `max_instances × capacity_per_instance`, or `None` without `max_instances`.
    pub fn max_jobs(&self) -> Option<u32> {
        (self.max_instances > 0).then(|| {
            self.max_instances
                .saturating_mul(self.capacity_per_instance.max(1))
        })
    }
}

impl Default for AutoscalerSettings {
    fn default() -> Self {
        AutoscalerSettings {
            plugin: None,
            capacity_per_instance: 1,
            max_use_count: 0,
            max_instances: 0,
        }
    }
}

/// `[runners.instance]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct InstanceSettings {
    /// `allowed_images`: which job images may select the VM image when VM isolation is on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_images: Vec<String>,
}

/// `[runners.virtualbox]` or `[runners.parallels]`: the virtual machine each job runs in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct VmSettings {
    /// `base_name`: the VM the runner clones for a job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_name: Option<String>,
    /// `allowed_images`: regular expressions of the VM names a job's `image` may select instead
    /// of `base_name`. Empty: the runner ignores the job's `image`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_images: Vec<String>,
}
