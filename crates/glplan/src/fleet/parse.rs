//! Reading `config.toml` and GitLab settings files into a [`Fleet`].
//!
//! The TOML is parsed into `toml::de::DeTable`, which keeps the byte span of every key and
//! value, and each section is read by hand so that every key gets its own diagnostic. The key
//! lists follow gitlab-runner's `common/config.go`; keys glplan does not model but
//! gitlab-runner accepts are listed so that they are not reported as unknown.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::config::keywords::duration::parse_seconds;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::source::{FileId, SourceMap, Span};

use super::check::vm_pattern;
use super::{
    AccessLevel, AutoscalerSettings, CacheSettings, ContainerResources, DockerSettings, Executor,
    Fleet, Host, InstanceSettings, KubernetesSettings, MachineSettings, Runner, RunnerService,
    RunnerType, SpanMap, VmSettings,
};

/// GitLab's limit on the number of tags of a runner (`Ci::Runner::TAG_LIST_MAX_LENGTH`).
const MAX_RUNNER_TAGS: usize = 50;

/// GitLab's minimum `maximum_timeout`, in seconds.
const MIN_MAXIMUM_TIMEOUT: u64 = 600;

const PULL_POLICIES: [&str; 3] = ["always", "if-not-present", "never"];

const GLOBAL_KEYS: &[&str] = &[
    "concurrent",
    "check_interval",
    "log_level",
    "log_format",
    "user",
    "runners",
    "sentry_dsn",
    "listen_address",
    "session_server",
    "shutdown_timeout",
    "connection_max_age",
    "labels",
    "experimental",
];

/// The GitLab-side keys, accepted in `[[runners]]` and in a settings file.
const GITLAB_KEYS: &[&str] = &[
    "tags",
    "run_untagged",
    "locked",
    "paused",
    "access_level",
    "runner_type",
    "projects",
    "groups",
    "maximum_timeout",
];

/// `[[runners]]` keys of gitlab-runner that glplan reads or accepts without modelling.
const RUNNER_KEYS: &[&str] = &[
    "name",
    "url",
    "id",
    "token",
    "token_obtained_at",
    "token_expires_at",
    "tls-ca-file",
    "tls-cert-file",
    "tls-key-file",
    "limit",
    "output_limit",
    "request_concurrency",
    "unhealthy_requests_limit",
    "unhealthy_interval",
    "strict_check_interval",
    "executor",
    "builds_dir",
    "cache_dir",
    "clone_url",
    "environment",
    "pre_clone_script",
    "post_clone_script",
    "pre_get_sources_script",
    "post_get_sources_script",
    "pre_build_script",
    "post_build_script",
    "debug_trace_disabled",
    "safe_directory_checkout",
    "clean_git_config",
    "shell",
    "custom_build_dir",
    "referees",
    "cache",
    "feature_flags",
    "instance",
    "ssh",
    "docker",
    "parallels",
    "virtualbox",
    "machine",
    "kubernetes",
    "custom",
    "autoscaler",
    "labels",
    "step_runner_image",
    "job_status_final_update_retry_limit",
];

const DOCKER_KEYS: &[&str] = &[
    "host",
    "tls_cert_path",
    "tls_verify",
    "hostname",
    "image",
    "runtime",
    "memory",
    "memory_swap",
    "memory_reservation",
    "cpuset_cpus",
    "cpuset_mems",
    "cpus",
    "cpu_shares",
    "dns",
    "dns_search",
    "privileged",
    "services_privileged",
    "disable_entrypoint_overwrite",
    "user",
    "group_add",
    "userns_mode",
    "cap_add",
    "cap_drop",
    "oom_kill_disable",
    "oom_score_adjust",
    "security_opt",
    "services_security_opt",
    "devices",
    "device_cgroup_rules",
    "services_devices",
    "gpus",
    "disable_cache",
    "volumes",
    "volume_driver",
    "volume_driver_ops",
    "cache_dir",
    "extra_hosts",
    "volumes_from",
    "network_mode",
    "ipcmode",
    "mac_address",
    "links",
    "services",
    "services_limit",
    "wait_for_services_timeout",
    "allowed_images",
    "allowed_privileged_images",
    "allowed_privileged_services",
    "allowed_pull_policies",
    "allowed_services",
    "allowed_users",
    "pull_policy",
    "isolation",
    "shm_size",
    "tmpfs",
    "services_tmpfs",
    "sysctls",
    "helper_image",
    "helper_image_flavor",
    "helper_image_autoset_arch_and_os",
    "container_labels",
    "enable_ipv6",
    "ulimit",
    "network_mtu",
    "service_cpus",
    "service_cpuset_cpus",
    "service_cpu_shares",
    "service_memory",
    "service_memory_swap",
    "service_memory_reservation",
    "service_gpus",
    "log_options",
    "cgroup_parent",
    "service_cgroup_parent",
];

const KUBERNETES_KEYS: &[&str] = &[
    "host",
    "context",
    "cert_file",
    "key_file",
    "ca_file",
    "bearer_token_overwrite_allowed",
    "bearer_token",
    "image",
    "namespace",
    "namespace_overwrite_allowed",
    "namespace_per_job",
    "privileged",
    "runtime_class_name",
    "allow_privilege_escalation",
    "allowed_images",
    "allowed_pull_policies",
    "allowed_services",
    "allowed_users",
    "allowed_groups",
    "pull_policy",
    "node_selector",
    "node_selector_overwrite_allowed",
    "node_tolerations",
    "node_tolerations_overwrite_allowed",
    "affinity",
    "image_pull_secrets",
    "use_service_account_image_pull_secrets",
    "helper_image",
    "helper_image_flavor",
    "helper_image_autoset_arch_and_os",
    "terminationGracePeriodSeconds",
    "pod_termination_grace_period_seconds",
    "cleanup_grace_period_seconds",
    "cleanup_resources_timeout",
    "poll_interval",
    "poll_timeout",
    "resource_availability_check_max_attempts",
    "pod_labels",
    "pod_labels_overwrite_allowed",
    "scheduler_name",
    "service_account",
    "service_account_overwrite_allowed",
    "pod_annotations",
    "pod_annotations_overwrite_allowed",
    "pod_security_context",
    "init_permissions_container_security_context",
    "build_container_security_context",
    "helper_container_security_context",
    "service_container_security_context",
    "volumes",
    "host_aliases",
    "services",
    "cap_add",
    "cap_drop",
    "dns_policy",
    "dns_config",
    "container_lifecycle",
    "priority_class_name",
    "pod_spec",
    "logs_base_dir",
    "scripts_base_dir",
    "print_pod_warning_events",
    "retry_limit",
    "retry_limits",
    "retry_backoff_max",
];

/// The container kinds of a Kubernetes pod, as key prefixes.
const RESOURCE_PREFIXES: [&str; 4] = ["", "service_", "helper_", "pod_"];

/// The resource keys without prefix.
const RESOURCE_KEYS: [&str; 6] = [
    "cpu_request",
    "cpu_limit",
    "memory_request",
    "memory_limit",
    "ephemeral_storage_request",
    "ephemeral_storage_limit",
];

const SERVICE_KEYS: &[&str] = &[
    "name",
    "alias",
    "command",
    "entrypoint",
    "environment",
    "ports",
];

const CACHE_KEYS: &[&str] = &[
    "Type",
    "Path",
    "Shared",
    "MaxUploadedArchiveSize",
    "s3",
    "gcs",
    "azure",
];

const MACHINE_KEYS: &[&str] = &[
    "MaxGrowthRate",
    "IdleCount",
    "IdleScaleFactor",
    "IdleCountMin",
    "IdleTime",
    "MaxBuilds",
    "MachineDriver",
    "MachineName",
    "MachineOptions",
    "MachineOptionsWithName",
    "OffPeakPeriods",
    "OffPeakTimezone",
    "OffPeakIdleCount",
    "OffPeakIdleTime",
    "autoscaling",
];

const AUTOSCALER_KEYS: &[&str] = &[
    "capacity_per_instance",
    "max_use_count",
    "max_instances",
    "plugin",
    "plugin_config",
    "connector_config",
    "policy",
    "delete_instances_on_shutdown",
    "vm_isolation",
    "state_storage",
    "instance_ready_command",
    "instance_acquire_timeout",
    "update_interval",
    "update_interval_when_expecting",
    "log_internal_ip",
    "log_external_ip",
    "instance_operation_time_buckets",
    "instance_creation_time_buckets",
    "instance_is_running_time_buckets",
    "instance_deletion_time_buckets",
    "instance_readiness_time_buckets",
    "instance_life_duration_buckets",
];

const INSTANCE_KEYS: &[&str] = &["allowed_images", "use_common_build_dir"];

/// A runner's GitLab-side settings as written, before defaults.
#[derive(Debug, Default)]
struct GitlabSettings {
    tags: Option<Vec<String>>,
    run_untagged: Option<bool>,
    locked: Option<bool>,
    paused: Option<bool>,
    access_level: Option<AccessLevel>,
    runner_type: Option<RunnerType>,
    projects: Option<Vec<String>>,
    groups: Option<Vec<String>>,
    maximum_timeout: Option<u64>,
}

impl GitlabSettings {
    fn overlay(&mut self, other: GitlabSettings) {
        fn take<T>(to: &mut Option<T>, from: Option<T>) {
            if from.is_some() {
                *to = from;
            }
        }
        take(&mut self.tags, other.tags);
        take(&mut self.run_untagged, other.run_untagged);
        take(&mut self.locked, other.locked);
        take(&mut self.paused, other.paused);
        take(&mut self.access_level, other.access_level);
        take(&mut self.runner_type, other.runner_type);
        take(&mut self.projects, other.projects);
        take(&mut self.groups, other.groups);
        take(&mut self.maximum_timeout, other.maximum_timeout);
    }
}

/// One value with the path it is reported under.
#[derive(Clone, Copy)]
struct Field<'p, 't, 'i> {
    /// Dotted path for messages, such as `runners[0].docker.privileged`.
    path: &'p str,
    value: &'t Spanned<DeValue<'i>>,
}

/// Diagnostics sink for one file.
struct Reader<'d> {
    file: FileId,
    diags: &'d mut Vec<Diagnostic>,
}

impl Reader<'_> {
    fn span(&self, range: Range<usize>) -> Span {
        Span::new(self.file, to_u32(range.start), to_u32(range.end))
    }

    fn value_span(&self, field: Field<'_, '_, '_>) -> Span {
        self.span(field.value.span())
    }

    fn wrong_type(&mut self, field: Field<'_, '_, '_>, expected: &str, example: &str) {
        let found = field.value.get_ref().type_str();
        let key = field.path.rsplit('.').next().unwrap_or(field.path);
        let diagnostic = Diagnostic::error(
            "fleet-invalid-type",
            format!("`{}` should be {expected}, but is {found}", field.path),
        )
        .with_span(self.value_span(field))
        .with_help(format!("write it as `{key} = {example}`"));
        self.diags.push(diagnostic);
    }

    fn invalid_value(&mut self, field: Field<'_, '_, '_>, message: String, help: String) {
        let diagnostic = Diagnostic::error("fleet-invalid-value", message)
            .with_span(self.value_span(field))
            .with_help(help);
        self.diags.push(diagnostic);
    }

    fn unknown_key(&mut self, section: &str, key: &str, key_span: Span, known: &[&str]) {
        let mut diagnostic = Diagnostic::warning(
            "fleet-unknown-key",
            format!("unknown key `{key}` in `{section}`"),
        )
        .with_span(key_span);
        diagnostic = match did_you_mean(key, known.iter().copied()) {
            Some(candidate) => diagnostic.with_help(format!("did you mean `{candidate}`?")),
            None => diagnostic.with_help(format!(
                "gitlab-runner ignores keys it does not know; remove `{key}`"
            )),
        };
        self.diags.push(diagnostic);
    }

    fn string(&mut self, field: Field<'_, '_, '_>) -> Option<String> {
        match field.value.get_ref() {
            DeValue::String(text) => Some(text.to_string()),
            _ => {
                self.wrong_type(field, "a string", "\"...\"");
                None
            }
        }
    }

    fn bool(&mut self, field: Field<'_, '_, '_>) -> Option<bool> {
        match field.value.get_ref() {
            DeValue::Boolean(value) => Some(*value),
            _ => {
                self.wrong_type(field, "a boolean", "true");
                None
            }
        }
    }

    fn integer(&mut self, field: Field<'_, '_, '_>) -> Option<i64> {
        match field.value.get_ref() {
            DeValue::Integer(integer) => {
                let parsed = i64::from_str_radix(integer.as_str(), integer.radix()).ok();
                if parsed.is_none() {
                    self.invalid_value(
                        field,
                        format!("`{}` is out of range", field.path),
                        "use a number between -9223372036854775808 and 9223372036854775807"
                            .to_owned(),
                    );
                }
                parsed
            }
            _ => {
                self.wrong_type(field, "an integer", "1");
                None
            }
        }
    }

    /// Reads an integer that must be at least 0 and fit in `u32`.
    fn count(&mut self, field: Field<'_, '_, '_>) -> Option<u32> {
        let value = self.integer(field)?;
        match u32::try_from(value) {
            Ok(count) => Some(count),
            Err(_) => {
                self.invalid_value(
                    field,
                    format!(
                        "`{}` must be between 0 and {}, not {value}",
                        field.path,
                        u32::MAX
                    ),
                    "use 0 or a positive number".to_owned(),
                );
                None
            }
        }
    }

    fn string_list(&mut self, field: Field<'_, '_, '_>) -> Option<Vec<String>> {
        let DeValue::Array(items) = field.value.get_ref() else {
            self.wrong_type(field, "a list of strings", "[\"...\"]");
            return None;
        };
        let mut out = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::String(text) => out.push(text.to_string()),
                other => {
                    let found = other.type_str();
                    let diagnostic = Diagnostic::error(
                        "fleet-invalid-type",
                        format!(
                            "`{}[{index}]` should be a string, but is {found}",
                            field.path
                        ),
                    )
                    .with_span(self.span(item.span()))
                    .with_help("quote the value");
                    self.diags.push(diagnostic);
                }
            }
        }
        Some(out)
    }

    /// Reads gitlab-runner's `StringOrArray`: one string or a list of strings.
    fn string_or_list(&mut self, field: Field<'_, '_, '_>) -> Option<Vec<String>> {
        match field.value.get_ref() {
            DeValue::String(text) => Some(vec![text.to_string()]),
            DeValue::Array(_) => self.string_list(field),
            _ => {
                self.wrong_type(field, "a string or a list of strings", "[\"...\"]");
                None
            }
        }
    }

    fn table<'t, 'i>(&mut self, field: Field<'_, 't, 'i>) -> Option<&'t DeTable<'i>> {
        match field.value.get_ref() {
            DeValue::Table(table) => Some(table),
            _ => {
                self.wrong_type(field, "a table", "{ ... }");
                None
            }
        }
    }

    fn string_map(&mut self, field: Field<'_, '_, '_>) -> BTreeMap<String, String> {
        let Some(table) = self.table(field) else {
            return BTreeMap::new();
        };
        let mut out = BTreeMap::new();
        for (key, _, value) in entries(table) {
            let path = format!("{}.{key}", field.path);
            if let Some(text) = self.string(Field { path: &path, value }) {
                out.insert(key.to_owned(), text);
            }
        }
        out
    }

    /// Reads a list of pull policies, each one of `always`, `if-not-present`, `never`.
    fn pull_policies(&mut self, field: Field<'_, '_, '_>, key: &str) -> Vec<String> {
        let policies = self.string_or_list(field).unwrap_or_default();
        for policy in &policies {
            if !PULL_POLICIES.contains(&policy.as_str()) {
                self.invalid_value(
                    field,
                    format!("unsupported {key} config: \"{policy}\""),
                    "use `always`, `if-not-present` or `never`".to_owned(),
                );
            }
        }
        policies
            .into_iter()
            .filter(|policy| PULL_POLICIES.contains(&policy.as_str()))
            .collect()
    }
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// Returns the entries of a table in file order, as `(key, key span, value)`.
fn entries<'t, 'i>(
    table: &'t DeTable<'i>,
) -> Vec<(&'t str, Range<usize>, &'t Spanned<DeValue<'i>>)> {
    let mut out: Vec<_> = table
        .iter()
        .map(|(key, value)| (key.get_ref().as_ref(), key.span(), value))
        .collect();
    crate::sort::sort_by_key(&mut out, |(_, span, _)| span.start);
    out
}

/// Parses every file; see [`Fleet::parse`].
pub(super) fn parse_fleet(
    files: &[(FileId, &str)],
    sources: &SourceMap,
) -> (Fleet, Vec<Diagnostic>) {
    let mut fleet = Fleet::default();
    let mut diags = Vec::new();
    let mut gitlab: Vec<GitlabSettings> = Vec::new();
    let mut settings_files = Vec::new();

    for &(file, text) in files {
        let (document, errors) = DeTable::parse_recoverable(text);
        if !errors.is_empty() {
            push_syntax_errors(file, text, errors, &mut diags);
            continue;
        }
        let root = document.into_inner();
        let is_settings = root.iter().any(|(key, value)| {
            key.get_ref() == "runners"
                && value
                    .get_ref()
                    .as_table()
                    .is_some_and(|runners| runners.values().all(|v| v.get_ref().is_table()))
        });
        if is_settings {
            settings_files.push((file, root));
            continue;
        }
        let name = sources
            .get(file)
            .map(|source| source.name.clone())
            .unwrap_or_default();
        let mut reader = Reader {
            file,
            diags: &mut diags,
        };
        read_config(&mut reader, &root, name, &mut fleet, &mut gitlab);
    }

    for (file, root) in &settings_files {
        let mut reader = Reader {
            file: *file,
            diags: &mut diags,
        };
        read_settings_file(&mut reader, root, &mut fleet, &mut gitlab);
    }

    for (runner, settings) in fleet.runners.iter_mut().zip(gitlab) {
        apply_gitlab_settings(runner, settings, &mut diags);
    }
    check_duplicate_names(&fleet, &mut diags);
    (fleet, diags)
}

fn push_syntax_errors(
    file: FileId,
    text: &str,
    errors: Vec<toml::de::Error>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut located: Vec<(Span, String)> = errors
        .iter()
        .map(|error| {
            let range = error.span().unwrap_or(text.len()..text.len());
            let span = Span::new(file, to_u32(range.start), to_u32(range.end));
            (span, error.message().to_owned())
        })
        .collect();
    crate::sort::sort_by_key(&mut located, |(span, _)| (span.start, span.end));
    for (span, message) in located {
        diags.push(
            Diagnostic::error("fleet-toml-syntax", format!("invalid TOML: {message}"))
                .with_span(span)
                .with_help("fix the TOML syntax; glplan ignores this file until it parses"),
        );
    }
}

/// Reads one `config.toml` into a host and its runners.
fn read_config(
    reader: &mut Reader<'_>,
    root: &DeTable<'_>,
    name: String,
    fleet: &mut Fleet,
    gitlab: &mut Vec<GitlabSettings>,
) {
    let host_index = fleet.hosts.len();
    let mut host = Host {
        name,
        file: reader.file,
        concurrent: 1,
        check_interval: 3,
        concurrent_span: None,
    };
    let mut runner_tables = Vec::new();

    for (key, key_range, value) in entries(root) {
        let field = Field { path: key, value };
        match key {
            "concurrent" => {
                host.concurrent_span = Some(reader.value_span(field));
                if let Some(concurrent) = reader.integer(field) {
                    if concurrent < 1 {
                        reader.invalid_value(
                            field,
                            format!(
                                "Current configuration 'concurrent = {concurrent}' means that \
                                 no jobs will be processed"
                            ),
                            "set `concurrent` to 1 or more: gitlab-runner exits at start \
                             otherwise, so the runners of this file take no job"
                                .to_owned(),
                        );
                        host.concurrent = 0;
                    } else {
                        host.concurrent = u32::try_from(concurrent).unwrap_or(u32::MAX);
                    }
                }
            }
            "check_interval" => {
                if let Some(interval) = reader.integer(field) {
                    // gitlab-runner's GetCheckInterval uses the default for 0 and below.
                    host.check_interval = if interval <= 0 {
                        3
                    } else {
                        u32::try_from(interval).unwrap_or(u32::MAX)
                    };
                }
            }
            "runners" => match value.get_ref() {
                DeValue::Array(items) => {
                    for (index, item) in items.iter().enumerate() {
                        let path = format!("runners[{index}]");
                        let field = Field {
                            path: &path,
                            value: item,
                        };
                        if let Some(table) = reader.table(field) {
                            runner_tables.push((index, table, item.span()));
                        }
                    }
                }
                _ => {
                    let found = value.get_ref().type_str();
                    reader.diags.push(
                        Diagnostic::error(
                            "fleet-invalid-type",
                            format!("`runners` should be an array of tables, but is {found}"),
                        )
                        .with_span(reader.value_span(field))
                        .with_help("write each runner under `[[runners]]`, with two brackets"),
                    );
                }
            },
            "session_server" | "experimental" => {
                reader.table(field);
            }
            _ if GLOBAL_KEYS.contains(&key) => {}
            _ => {
                let span = reader.span(key_range);
                reader.unknown_key("the global section", key, span, GLOBAL_KEYS);
            }
        }
    }

    for (index, table, range) in runner_tables {
        let span = reader.span(range);
        let (runner, settings) = read_runner(reader, table, index, host_index, span);
        fleet.runners.push(runner);
        gitlab.push(settings);
    }
    fleet.hosts.push(host);
    check_concurrency(reader, fleet, host_index);
}

/// Reports gitlab-runner's start-up warnings about `concurrent`, and notes when `concurrent`
/// is the binding bound rather than the runners' `limit`s.
fn check_concurrency(reader: &mut Reader<'_>, fleet: &Fleet, host_index: usize) {
    let Some(host) = fleet.hosts.get(host_index) else {
        return;
    };
    let runners: Vec<&Runner> = fleet.host_runners(host_index).map(|(_, r)| r).collect();
    let span = host
        .concurrent_span
        .unwrap_or_else(|| Span::new(reader.file, 0, 0));
    if host.concurrent == 0 {
        return;
    }
    let count = u32::try_from(runners.len()).unwrap_or(u32::MAX);
    if host.concurrent < count {
        reader.diags.push(
            Diagnostic::warning(
                "fleet-worker-starvation",
                format!(
                    "Worker starvation bottleneck: 'concurrent' setting ({}) is less than number \
                     of runners ({count})",
                    host.concurrent
                ),
            )
            .with_span(span)
            .with_help(format!(
                "increase `concurrent` to at least {} so that every runner entry can poll",
                count.saturating_add(1)
            )),
        );
    }

    // gitlab-runner also warns about runners with `request_concurrency = 1`, which is the
    // default and would fire for nearly every fleet, so glplan leaves that warning out.
    let restrictive: Vec<&str> = runners
        .iter()
        .filter(|r| r.limit > 0 && r.limit <= 2 && r.request_concurrency == 1)
        .map(|r| r.name.as_str())
        .collect();
    if !restrictive.is_empty() {
        reader.diags.push(
            Diagnostic::info(
                "fleet-build-limit-bottleneck",
                format!(
                    "Build limit bottleneck: {} runners have low 'limit' settings (≤2) with \
                     request_concurrency=1",
                    restrictive.len()
                ),
            )
            .with_span(span)
            .with_help(format!(
                "for {}: increase `limit` to 5 or more, or `request_concurrency` to 2 or more",
                restrictive
                    .iter()
                    .map(|name| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
    }

    let limits: Option<u32> = runners
        .iter()
        .map(|r| r.max_jobs())
        .try_fold(0u32, |sum, max| max.map(|max| sum.saturating_add(max)));
    if let Some(sum) = limits.filter(|&sum| sum > host.concurrent) {
        reader.diags.push(
            Diagnostic::info(
                "fleet-concurrent-below-limits",
                format!(
                    "`concurrent = {}` is lower than the sum of the runners' `limit`s ({sum}), so \
                     at most {} jobs run at once on this host",
                    host.concurrent, host.concurrent
                ),
            )
            .with_span(span)
            .with_help(format!(
                "raise `concurrent` to {sum} to let every runner reach its `limit`"
            )),
        );
    }
}

/// Reads one `[[runners]]` table.
fn read_runner(
    reader: &mut Reader<'_>,
    table: &DeTable<'_>,
    index: usize,
    host: usize,
    span: Span,
) -> (Runner, GitlabSettings) {
    let mut runner = Runner {
        host,
        name: format!("runners[{index}]"),
        url: None,
        has_token: false,
        executor: None,
        limit: 0,
        request_concurrency: 1,
        strict_check_interval: false,
        environment: Vec::new(),
        tags: Vec::new(),
        run_untagged: true,
        locked: false,
        paused: false,
        access_level: AccessLevel::NotProtected,
        runner_type: RunnerType::InstanceType,
        projects: Vec::new(),
        groups: Vec::new(),
        maximum_timeout: None,
        docker: None,
        kubernetes: None,
        cache: None,
        machine: None,
        autoscaler: None,
        instance: None,
        virtualbox: None,
        parallels: None,
        spans: SpanMap::default(),
        span,
    };
    let mut settings = GitlabSettings::default();
    let mut executor_seen = false;
    let prefix = format!("runners[{index}]");

    for (key, key_range, value) in entries(table) {
        let path = format!("{prefix}.{key}");
        let field = Field { path: &path, value };
        runner
            .spans
            .insert(key.to_owned(), reader.span(value.span()));
        match key {
            "name" => {
                if let Some(name) = reader.string(field) {
                    runner.name = name;
                }
            }
            "url" => runner.url = reader.string(field),
            "token" => runner.has_token = reader.string(field).is_some_and(|t| !t.is_empty()),
            "executor" => {
                executor_seen = true;
                runner.executor = read_executor(reader, field);
            }
            "limit" => {
                if let Some(limit) = reader.count(field) {
                    runner.limit = limit;
                }
            }
            "strict_check_interval" => {
                runner.strict_check_interval = reader.bool(field).unwrap_or(false);
            }
            "request_concurrency" => {
                if let Some(value) = reader.integer(field) {
                    // gitlab-runner's GetRequestConcurrency uses max(1, value).
                    runner.request_concurrency = u32::try_from(value.max(1)).unwrap_or(u32::MAX);
                }
            }
            "environment" => runner.environment = reader.string_list(field).unwrap_or_default(),
            "docker" => {
                if let Some(section) = reader.table(field) {
                    runner.docker = Some(read_docker(reader, section, &path, &mut runner.spans));
                }
            }
            "kubernetes" => {
                if let Some(section) = reader.table(field) {
                    runner.kubernetes =
                        Some(read_kubernetes(reader, section, &path, &mut runner.spans));
                }
            }
            "cache" => {
                if let Some(section) = reader.table(field) {
                    runner.cache = Some(read_cache(reader, section, &path));
                }
            }
            "machine" => {
                if let Some(section) = reader.table(field) {
                    runner.machine = Some(read_machine(reader, section, &path));
                }
            }
            "autoscaler" => {
                if let Some(section) = reader.table(field) {
                    runner.autoscaler = Some(read_autoscaler(reader, section, &path));
                }
            }
            "instance" => {
                if let Some(section) = reader.table(field) {
                    runner.instance = Some(read_instance(reader, section, &path));
                }
            }
            "virtualbox" => {
                if let Some(section) = reader.table(field) {
                    runner.virtualbox = Some(read_vm(
                        reader,
                        section,
                        &path,
                        "virtualbox",
                        &mut runner.spans,
                    ));
                }
            }
            "parallels" => {
                if let Some(section) = reader.table(field) {
                    runner.parallels = Some(read_vm(
                        reader,
                        section,
                        &path,
                        "parallels",
                        &mut runner.spans,
                    ));
                }
            }
            "ssh" | "custom" | "custom_build_dir" | "referees" | "feature_flags" => {
                reader.table(field);
            }
            _ if GITLAB_KEYS.contains(&key) => read_gitlab_key(reader, key, field, &mut settings),
            _ if RUNNER_KEYS.contains(&key) => {}
            _ => {
                let span = reader.span(key_range);
                let known: Vec<&str> = RUNNER_KEYS.iter().chain(GITLAB_KEYS).copied().collect();
                reader.unknown_key("[[runners]]", key, span, &known);
            }
        }
    }

    if !executor_seen {
        reader.diags.push(
            Diagnostic::error(
                "fleet-missing-executor",
                format!("runner `{}` has no `executor`", runner.name),
            )
            .with_span(span)
            .with_help(format!(
                "add `executor = \"docker\"` or another of: {}",
                executor_names()
            )),
        );
    }
    (runner, settings)
}

fn executor_names() -> String {
    Executor::ALL
        .iter()
        .map(|e| format!("`{}`", e.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn read_executor(reader: &mut Reader<'_>, field: Field<'_, '_, '_>) -> Option<Executor> {
    let name = reader.string(field)?;
    if let Some(executor) = Executor::from_name(&name) {
        return Some(executor);
    }
    let help = match name.as_str() {
        "docker-ssh" | "docker-ssh+machine" => format!(
            "GitLab Runner 17.0 removed `{name}`; use `docker` or `docker+machine` and connect \
             to the container directly"
        ),
        _ => match did_you_mean(&name, Executor::ALL.iter().map(|e| e.as_str())) {
            Some(candidate) => format!("did you mean `{candidate}`?"),
            None => format!("use one of: {}", executor_names()),
        },
    };
    reader.invalid_value(
        field,
        format!("unknown executor `{name}` in `{}`", field.path),
        help,
    );
    None
}

/// Reads one GitLab-side key into `settings`.
fn read_gitlab_key(
    reader: &mut Reader<'_>,
    key: &str,
    field: Field<'_, '_, '_>,
    settings: &mut GitlabSettings,
) {
    match key {
        "tags" => settings.tags = read_tags(reader, field),
        "run_untagged" => settings.run_untagged = reader.bool(field),
        "locked" => settings.locked = reader.bool(field),
        "paused" => settings.paused = reader.bool(field),
        "access_level" => {
            let value = reader.string(field);
            settings.access_level = match value.as_deref() {
                Some("not_protected") => Some(AccessLevel::NotProtected),
                Some("ref_protected") => Some(AccessLevel::RefProtected),
                Some(other) => {
                    reader.invalid_value(
                        field,
                        format!("unknown access_level `{other}` in `{}`", field.path),
                        "use `not_protected` or `ref_protected`".to_owned(),
                    );
                    None
                }
                None => None,
            };
        }
        "runner_type" => {
            let value = reader.string(field);
            settings.runner_type = match value.as_deref() {
                Some("instance_type") => Some(RunnerType::InstanceType),
                Some("group_type") => Some(RunnerType::GroupType),
                Some("project_type") => Some(RunnerType::ProjectType),
                Some(other) => {
                    reader.invalid_value(
                        field,
                        format!("unknown runner_type `{other}` in `{}`", field.path),
                        "use `instance_type`, `group_type` or `project_type`".to_owned(),
                    );
                    None
                }
                None => None,
            };
        }
        "projects" => settings.projects = reader.string_list(field),
        "groups" => settings.groups = reader.string_list(field),
        "maximum_timeout" => settings.maximum_timeout = read_maximum_timeout(reader, field),
        _ => {}
    }
}

/// Reads `tags`: a list, or one comma-separated string as `gitlab-runner register
/// --tag-list` takes it. GitLab's runner API splits the string, and each item of a list, at
/// commas (`API::Validations::Types::CommaSeparatedToArray`), so `["linux,arm64"]` is two
/// tags. GitLab strips spaces and drops empty and repeated tags.
fn read_tags(reader: &mut Reader<'_>, field: Field<'_, '_, '_>) -> Option<Vec<String>> {
    let raw: Vec<String> = match field.value.get_ref() {
        DeValue::String(text) => text.split(',').map(str::to_owned).collect(),
        DeValue::Array(_) => reader
            .string_list(field)?
            .iter()
            .flat_map(|item| item.split(','))
            .map(str::to_owned)
            .collect(),
        _ => {
            reader.wrong_type(field, "a list of strings", "[\"docker\", \"linux\"]");
            return None;
        }
    };
    let mut tags: Vec<String> = Vec::new();
    for tag in raw {
        let tag = tag.trim();
        if !tag.is_empty() && !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    if tags.len() > MAX_RUNNER_TAGS {
        reader.invalid_value(
            field,
            format!(
                "Too many tags specified. Please limit the number of tags to {MAX_RUNNER_TAGS}"
            ),
            format!("remove {} tags", tags.len() - MAX_RUNNER_TAGS),
        );
    }
    Some(tags)
}

/// Reads `maximum_timeout`: whole seconds, or a duration in GitLab's words.
fn read_maximum_timeout(reader: &mut Reader<'_>, field: Field<'_, '_, '_>) -> Option<u64> {
    let seconds = match field.value.get_ref() {
        DeValue::Integer(_) => reader.integer(field)?,
        DeValue::String(text) => match parse_seconds(text) {
            // Durations are whole seconds in GitLab; fractions are dropped.
            Some(seconds) => seconds as i64,
            None => {
                reader.invalid_value(
                    field,
                    "Maximum job timeout has a value which could not be accepted".to_owned(),
                    "write seconds (`3600`) or a duration such as `\"1h 30m\"`".to_owned(),
                );
                return None;
            }
        },
        _ => {
            reader.wrong_type(field, "seconds or a duration", "3600");
            return None;
        }
    };
    match u64::try_from(seconds) {
        Ok(seconds) if seconds >= MIN_MAXIMUM_TIMEOUT => Some(seconds),
        _ => {
            reader.invalid_value(
                field,
                "Maximum timeout needs to be at least 10 minutes".to_owned(),
                format!("set `maximum_timeout` to {MIN_MAXIMUM_TIMEOUT} seconds or more"),
            );
            None
        }
    }
}

fn read_service(reader: &mut Reader<'_>, table: &DeTable<'_>, path: &str) -> Option<RunnerService> {
    let mut name = None;
    let mut alias = None;
    let mut environment = Vec::new();
    for (key, key_range, value) in entries(table) {
        let key_path = format!("{path}.{key}");
        let field = Field {
            path: &key_path,
            value,
        };
        match key {
            "name" => name = reader.string(field),
            "alias" => alias = reader.string(field),
            "environment" => environment = reader.string_list(field).unwrap_or_default(),
            "command" | "entrypoint" => {
                reader.string_list(field);
            }
            _ if SERVICE_KEYS.contains(&key) => {}
            _ => {
                let span = reader.span(key_range);
                reader.unknown_key(path, key, span, SERVICE_KEYS);
            }
        }
    }
    name.map(|name| RunnerService {
        name,
        alias,
        environment,
    })
}

fn read_services(reader: &mut Reader<'_>, field: Field<'_, '_, '_>) -> Vec<RunnerService> {
    let DeValue::Array(items) = field.value.get_ref() else {
        reader.wrong_type(field, "an array of tables", "[{ name = \"redis:7\" }]");
        return Vec::new();
    };
    let mut services = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let path = format!("{}[{index}]", field.path);
        let item_field = Field {
            path: &path,
            value: item,
        };
        let Some(table) = reader.table(item_field) else {
            continue;
        };
        match read_service(reader, table, &path) {
            Some(service) => services.push(service),
            None => reader.diags.push(
                Diagnostic::error("fleet-missing-key", format!("`{path}` has no `name`"))
                    .with_span(reader.span(item.span()))
                    .with_help("add `name = \"<image>\"`"),
            ),
        }
    }
    services
}

/// Records the span of each item of a list value as `key.N`.
fn record_items(reader: &Reader<'_>, spans: &mut SpanMap, key: &str, value: &Spanned<DeValue<'_>>) {
    if let DeValue::Array(items) = value.get_ref() {
        for (index, item) in items.iter().enumerate() {
            spans.insert(format!("{key}.{index}"), reader.span(item.span()));
        }
    }
}

fn read_docker(
    reader: &mut Reader<'_>,
    table: &DeTable<'_>,
    path: &str,
    spans: &mut SpanMap,
) -> DockerSettings {
    let mut docker = DockerSettings::default();
    for (key, key_range, value) in entries(table) {
        let key_path = format!("{path}.{key}");
        let field = Field {
            path: &key_path,
            value,
        };
        let span_key = format!("docker.{key}");
        record_items(reader, spans, &span_key, value);
        spans.insert(span_key, reader.span(value.span()));
        match key {
            "image" => docker.image = reader.string(field),
            "privileged" => docker.privileged = reader.bool(field).unwrap_or(false),
            "services_privileged" => docker.services_privileged = reader.bool(field),
            "volumes" => docker.volumes = reader.string_list(field).unwrap_or_default(),
            "pull_policy" => docker.pull_policy = reader.pull_policies(field, "pull_policy"),
            "allowed_pull_policies" => {
                docker.allowed_pull_policies = match value.get_ref() {
                    DeValue::Array(_) => reader.pull_policies(field, "allowed_pull_policies"),
                    _ => {
                        reader.wrong_type(field, "a list of strings", "[\"if-not-present\"]");
                        Vec::new()
                    }
                };
            }
            "allowed_images" => {
                docker.allowed_images = reader.string_list(field).unwrap_or_default()
            }
            "allowed_services" => {
                docker.allowed_services = reader.string_list(field).unwrap_or_default();
            }
            "services" => docker.services = read_services(reader, field),
            "host" => docker.host = reader.string(field),
            "network_mode" => docker.network_mode = reader.string(field),
            "services_limit" => docker.services_limit = reader.integer(field),
            "tls_verify"
            | "disable_cache"
            | "oom_kill_disable"
            | "disable_entrypoint_overwrite"
            | "enable_ipv6"
            | "helper_image_autoset_arch_and_os" => {
                reader.bool(field);
            }
            "cpu_shares"
            | "shm_size"
            | "oom_score_adjust"
            | "wait_for_services_timeout"
            | "network_mtu"
            | "service_cpu_shares" => {
                reader.integer(field);
            }
            "dns"
            | "dns_search"
            | "cap_add"
            | "cap_drop"
            | "security_opt"
            | "devices"
            | "extra_hosts"
            | "volumes_from"
            | "links"
            | "allowed_users"
            | "group_add"
            | "allowed_privileged_images"
            | "allowed_privileged_services"
            | "device_cgroup_rules"
            | "services_security_opt" => {
                reader.string_list(field);
            }
            "tmpfs" | "services_tmpfs" | "sysctls" | "ulimit" | "container_labels"
            | "volume_driver_ops" => {
                reader.string_map(field);
            }
            _ if DOCKER_KEYS.contains(&key) => {}
            _ => {
                let span = reader.span(key_range);
                reader.unknown_key("[runners.docker]", key, span, DOCKER_KEYS);
            }
        }
    }
    docker
}

fn resources_for<'r>(
    kubernetes: &'r mut KubernetesSettings,
    prefix: &str,
) -> Option<&'r mut ContainerResources> {
    match prefix {
        "" => Some(&mut kubernetes.build),
        "service_" => Some(&mut kubernetes.service),
        "helper_" => Some(&mut kubernetes.helper),
        _ => None,
    }
}

fn set_resource(resources: &mut ContainerResources, key: &str, value: String) {
    let slot = match key {
        "cpu_request" => &mut resources.cpu_request,
        "cpu_limit" => &mut resources.cpu_limit,
        "memory_request" => &mut resources.memory_request,
        "memory_limit" => &mut resources.memory_limit,
        "ephemeral_storage_request" => &mut resources.ephemeral_storage_request,
        "ephemeral_storage_limit" => &mut resources.ephemeral_storage_limit,
        _ => return,
    };
    *slot = Some(value);
}

/// Splits a resource key such as `helper_memory_limit_overwrite_max_allowed` into its prefix,
/// its resource key and whether it is the overwrite maximum.
fn split_resource_key(key: &str) -> Option<(&'static str, &'static str, bool)> {
    for prefix in RESOURCE_PREFIXES {
        let Some(rest) = key.strip_prefix(prefix) else {
            continue;
        };
        for resource in RESOURCE_KEYS {
            if rest == resource {
                return Some((prefix, resource, false));
            }
            if rest
                .strip_prefix(resource)
                .is_some_and(|tail| tail == "_overwrite_max_allowed")
            {
                return Some((prefix, resource, true));
            }
        }
    }
    None
}

fn read_kubernetes(
    reader: &mut Reader<'_>,
    table: &DeTable<'_>,
    path: &str,
    spans: &mut SpanMap,
) -> KubernetesSettings {
    let mut kubernetes = KubernetesSettings::default();
    for (key, key_range, value) in entries(table) {
        let key_path = format!("{path}.{key}");
        let field = Field {
            path: &key_path,
            value,
        };
        let span_key = format!("kubernetes.{key}");
        record_items(reader, spans, &span_key, value);
        spans.insert(span_key, reader.span(value.span()));
        if let Some((prefix, resource, overwrite)) = split_resource_key(key) {
            let Some(text) = reader.string(field) else {
                continue;
            };
            if super::quantity::parse(&text).is_none() {
                reader.invalid_value(
                    field,
                    format!("`{key_path}` is not a Kubernetes quantity: `{text}`"),
                    "write a quantity such as `\"500m\"`, `\"2\"` or `\"1Gi\"`".to_owned(),
                );
                continue;
            }
            if overwrite {
                kubernetes
                    .overwrite_max_allowed
                    .insert(key.to_owned(), text);
            } else if let Some(resources) = resources_for(&mut kubernetes, prefix) {
                set_resource(resources, resource, text);
            }
            continue;
        }
        match key {
            "image" => kubernetes.image = reader.string(field),
            "namespace" => kubernetes.namespace = reader.string(field),
            "privileged" => kubernetes.privileged = reader.bool(field).unwrap_or(false),
            "poll_interval" => {
                if let Some(seconds) = reader.integer(field) {
                    // gitlab-runner uses the default for 0 and below.
                    kubernetes.poll_interval =
                        u32::try_from(seconds).ok().filter(|&s| s > 0).unwrap_or(3);
                }
            }
            "poll_timeout" => {
                if let Some(seconds) = reader.integer(field) {
                    kubernetes.poll_timeout = u32::try_from(seconds)
                        .ok()
                        .filter(|&s| s > 0)
                        .unwrap_or(180);
                }
            }
            "node_selector" => {
                kubernetes.node_selector = reader.string_map(field);
            }
            "services" => kubernetes.services = read_services(reader, field),
            "allowed_images" => {
                kubernetes.allowed_images = reader.string_list(field).unwrap_or_default();
            }
            "allowed_services" => {
                kubernetes.allowed_services = reader.string_list(field).unwrap_or_default();
            }
            "pull_policy" => kubernetes.pull_policy = reader.pull_policies(field, "pull_policy"),
            "allowed_pull_policies" => {
                kubernetes.allowed_pull_policies =
                    reader.pull_policies(field, "allowed_pull_policies");
            }
            "volumes" => {
                if let Some(volumes) = reader.table(field) {
                    kubernetes.volume_mounts = kubernetes_mounts(volumes);
                }
            }
            "node_tolerations" | "pod_labels" | "pod_annotations" => {
                reader.string_map(field);
            }
            "image_pull_secrets" | "cap_add" | "cap_drop" | "allowed_users" | "allowed_groups" => {
                reader.string_list(field);
            }
            _ if KUBERNETES_KEYS.contains(&key) => {}
            _ => {
                let span = reader.span(key_range);
                reader.unknown_key("[runners.kubernetes]", key, span, KUBERNETES_KEYS);
            }
        }
    }
    kubernetes
}

/// Collects `mount_path` of every volume kind under `[runners.kubernetes.volumes]`.
fn kubernetes_mounts(volumes: &DeTable<'_>) -> Vec<String> {
    let mut mounts = Vec::new();
    for (_, _, kind) in entries(volumes) {
        let DeValue::Array(items) = kind.get_ref() else {
            continue;
        };
        for item in items.iter() {
            let DeValue::Table(volume) = item.get_ref() else {
                continue;
            };
            for (key, _, value) in entries(volume) {
                if let ("mount_path", DeValue::String(path)) = (key, value.get_ref()) {
                    mounts.push(path.to_string());
                }
            }
        }
    }
    mounts
}

fn read_cache(reader: &mut Reader<'_>, table: &DeTable<'_>, path: &str) -> CacheSettings {
    let mut cache = CacheSettings::default();
    for (key, key_range, value) in entries(table) {
        let key_path = format!("{path}.{key}");
        let field = Field {
            path: &key_path,
            value,
        };
        match key {
            "Type" => cache.cache_type = reader.string(field).filter(|t| !t.is_empty()),
            "Path" => cache.path = reader.string(field),
            "Shared" => cache.shared = reader.bool(field).unwrap_or(false),
            "MaxUploadedArchiveSize" => {
                reader.integer(field);
            }
            "s3" | "gcs" | "azure" => {
                reader.table(field);
            }
            _ => {
                let span = reader.span(key_range);
                reader.unknown_key("[runners.cache]", key, span, CACHE_KEYS);
            }
        }
    }
    cache
}

fn read_machine(reader: &mut Reader<'_>, table: &DeTable<'_>, path: &str) -> MachineSettings {
    let mut machine = MachineSettings::default();
    for (key, key_range, value) in entries(table) {
        let key_path = format!("{path}.{key}");
        let field = Field {
            path: &key_path,
            value,
        };
        match key {
            "IdleCount" => machine.idle_count = reader.count(field).unwrap_or(0),
            "IdleTime" => machine.idle_time = reader.count(field).unwrap_or(0),
            "MaxBuilds" => machine.max_builds = reader.count(field).unwrap_or(0),
            "MaxGrowthRate" => machine.max_growth_rate = reader.count(field).unwrap_or(0),
            "MachineDriver" => machine.machine_driver = reader.string(field),
            "MachineName" | "OffPeakTimezone" => {
                reader.string(field);
            }
            "MachineOptions" | "OffPeakPeriods" => {
                reader.string_list(field);
            }
            _ if MACHINE_KEYS.contains(&key) => {}
            _ => {
                let span = reader.span(key_range);
                reader.unknown_key("[runners.machine]", key, span, MACHINE_KEYS);
            }
        }
    }
    machine
}

fn read_autoscaler(reader: &mut Reader<'_>, table: &DeTable<'_>, path: &str) -> AutoscalerSettings {
    let mut autoscaler = AutoscalerSettings::default();
    for (key, key_range, value) in entries(table) {
        let key_path = format!("{path}.{key}");
        let field = Field {
            path: &key_path,
            value,
        };
        match key {
            "plugin" => autoscaler.plugin = reader.string(field),
            "capacity_per_instance" => {
                // gitlab-runner treats 0 as 1 job per instance.
                autoscaler.capacity_per_instance = reader.count(field).unwrap_or(1).max(1);
            }
            "max_use_count" => autoscaler.max_use_count = reader.count(field).unwrap_or(0),
            "max_instances" => autoscaler.max_instances = reader.count(field).unwrap_or(0),
            _ if AUTOSCALER_KEYS.contains(&key) => {}
            _ => {
                let span = reader.span(key_range);
                reader.unknown_key("[runners.autoscaler]", key, span, AUTOSCALER_KEYS);
            }
        }
    }
    autoscaler
}

fn read_instance(reader: &mut Reader<'_>, table: &DeTable<'_>, path: &str) -> InstanceSettings {
    let mut instance = InstanceSettings::default();
    for (key, key_range, value) in entries(table) {
        let key_path = format!("{path}.{key}");
        let field = Field {
            path: &key_path,
            value,
        };
        match key {
            "allowed_images" => {
                instance.allowed_images = reader.string_list(field).unwrap_or_default();
            }
            "use_common_build_dir" => {
                reader.bool(field);
            }
            _ => {
                let span = reader.span(key_range);
                reader.unknown_key("[runners.instance]", key, span, INSTANCE_KEYS);
            }
        }
    }
    instance
}

/// Reads the keys of `[runners.virtualbox]` or `[runners.parallels]` that decide which VM a job
/// gets. The other keys (snapshots, SSH access, start type) do not change a plan, so they are
/// skipped unchecked.
fn read_vm(
    reader: &mut Reader<'_>,
    table: &DeTable<'_>,
    path: &str,
    section: &str,
    spans: &mut SpanMap,
) -> VmSettings {
    let mut vm = VmSettings::default();
    for (key, _, value) in entries(table) {
        let key_path = format!("{path}.{key}");
        let span_key = format!("{section}.{key}");
        let field = Field {
            path: &key_path,
            value,
        };
        match key {
            "base_name" => vm.base_name = reader.string(field),
            "allowed_images" => {
                vm.allowed_images = reader.string_list(field).unwrap_or_default();
                for (index, pattern) in vm.allowed_images.iter().enumerate() {
                    if vm_pattern(pattern).is_none() {
                        let item = Field {
                            path: &format!("{key_path}.{index}"),
                            value: match value.get_ref() {
                                DeValue::Array(items) => items.get(index).unwrap_or(value),
                                _ => value,
                            },
                        };
                        reader.invalid_value(
                            item,
                            format!(
                                "`{pattern}` in `{key_path}` is not a valid regular expression"
                            ),
                            "write a regular expression such as `^windows-[0-9]+$`".to_owned(),
                        );
                    }
                }
            }
            _ => continue,
        }
        record_items(reader, spans, &span_key, value);
        spans.insert(span_key, reader.span(value.span()));
    }
    vm
}

/// Reads a settings file: `[runners."name"]` tables of GitLab-side keys.
fn read_settings_file(
    reader: &mut Reader<'_>,
    root: &DeTable<'_>,
    fleet: &mut Fleet,
    gitlab: &mut [GitlabSettings],
) {
    for (key, key_range, value) in entries(root) {
        if key != "runners" {
            let span = reader.span(key_range);
            reader.unknown_key("the settings file", key, span, &["runners"]);
            continue;
        }
        let DeValue::Table(runners) = value.get_ref() else {
            continue;
        };
        for (name, name_range, entry) in entries(runners) {
            let path = format!("runners.{name}");
            let field = Field {
                path: &path,
                value: entry,
            };
            let Some(table) = reader.table(field) else {
                continue;
            };
            let mut settings = GitlabSettings::default();
            let mut spans = Vec::new();
            for (key, key_range, value) in entries(table) {
                let key_path = format!("{path}.{key}");
                let field = Field {
                    path: &key_path,
                    value,
                };
                if GITLAB_KEYS.contains(&key) {
                    read_gitlab_key(reader, key, field, &mut settings);
                    spans.push((key.to_owned(), reader.span(value.span())));
                } else {
                    let span = reader.span(key_range);
                    reader.unknown_key(&format!("[runners.{name}]"), key, span, GITLAB_KEYS);
                }
            }

            let targets: Vec<usize> = fleet
                .runners
                .iter()
                .enumerate()
                .filter(|(_, runner)| runner.name == name)
                .map(|(index, _)| index)
                .collect();
            if targets.is_empty() {
                let names = fleet.runners.iter().map(|r| r.name.as_str());
                let help = match did_you_mean(name, names) {
                    Some(candidate) => format!("did you mean `{candidate}`?"),
                    None => "name a runner of a `config.toml` given with this file".to_owned(),
                };
                reader.diags.push(
                    Diagnostic::warning(
                        "fleet-unknown-runner",
                        format!("no runner is called `{name}`"),
                    )
                    .with_span(reader.span(name_range))
                    .with_help(help),
                );
                continue;
            }
            for target in targets {
                if let (Some(runner), Some(current)) =
                    (fleet.runners.get_mut(target), gitlab.get_mut(target))
                {
                    for (key, span) in &spans {
                        runner.spans.insert(key.clone(), *span);
                    }
                    current.overlay(GitlabSettings {
                        tags: settings.tags.clone(),
                        run_untagged: settings.run_untagged,
                        locked: settings.locked,
                        paused: settings.paused,
                        access_level: settings.access_level,
                        runner_type: settings.runner_type,
                        projects: settings.projects.clone(),
                        groups: settings.groups.clone(),
                        maximum_timeout: settings.maximum_timeout,
                    });
                }
            }
        }
    }
}

/// Applies defaults and GitLab's validations to the GitLab-side settings of a runner.
fn apply_gitlab_settings(
    runner: &mut Runner,
    settings: GitlabSettings,
    diags: &mut Vec<Diagnostic>,
) {
    runner.tags = settings.tags.unwrap_or_default();
    runner.run_untagged = settings.run_untagged.unwrap_or(runner.tags.is_empty());
    runner.locked = settings.locked.unwrap_or(false);
    runner.paused = settings.paused.unwrap_or(false);
    runner.access_level = settings.access_level.unwrap_or_default();
    runner.projects = settings.projects.unwrap_or_default();
    runner.groups = settings.groups.unwrap_or_default();
    runner.maximum_timeout = settings.maximum_timeout;
    runner.runner_type = settings
        .runner_type
        .unwrap_or(if !runner.groups.is_empty() {
            RunnerType::GroupType
        } else if !runner.projects.is_empty() {
            RunnerType::ProjectType
        } else {
            RunnerType::InstanceType
        });

    if !runner.run_untagged && runner.tags.is_empty() {
        diags.push(
            Diagnostic::error(
                "fleet-untagged-without-tags",
                "Tags list can not be empty when runner is not allowed to pick untagged jobs",
            )
            .with_span(runner.span_of("run_untagged"))
            .with_help(format!(
                "give runner `{}` `tags`, or set `run_untagged = true`",
                runner.name
            )),
        );
    }

    let scope_error = match runner.runner_type {
        RunnerType::InstanceType if !runner.projects.is_empty() => {
            Some(("projects", "Runner cannot have projects assigned"))
        }
        RunnerType::InstanceType | RunnerType::ProjectType if !runner.groups.is_empty() => {
            Some(("groups", "Runner cannot have groups assigned"))
        }
        RunnerType::GroupType if !runner.projects.is_empty() => {
            Some(("projects", "Runner cannot have projects assigned"))
        }
        RunnerType::GroupType if runner.groups.len() > 1 => {
            Some(("groups", "Runner needs to be assigned to exactly one group"))
        }
        _ => None,
    };
    if let Some((key, message)) = scope_error {
        diags.push(
            Diagnostic::error("fleet-invalid-scope", message)
                .with_span(runner.span_of(key))
                .with_help(format!(
                    "an instance runner has neither `projects` nor `groups`, a group runner has \
                     one entry in `groups`, a project runner lists `projects`; check `{}`",
                    runner.name
                )),
        );
    }
}

/// Warns when two runners share a name, because a settings file entry then applies to both.
fn check_duplicate_names(fleet: &Fleet, diags: &mut Vec<Diagnostic>) {
    for (index, runner) in fleet.runners.iter().enumerate() {
        let first = fleet
            .runners
            .iter()
            .take(index)
            .find(|other| other.name == runner.name);
        if let Some(first) = first {
            diags.push(
                Diagnostic::warning(
                    "fleet-duplicate-runner-name",
                    format!("two runners are called `{}`", runner.name),
                )
                .with_span(runner.span_of("name"))
                .with_label(first.span_of("name"), "first runner with this name")
                .with_help(
                    "give each runner its own `name`, so that matching results and GitLab \
                     settings files can tell them apart",
                ),
            );
        }
    }
}
