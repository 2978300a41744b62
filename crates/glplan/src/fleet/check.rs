//! Executor checks: settings of the runners that can take a job which make the job fail, or
//! behave differently from what its configuration suggests.
//!
//! Each diagnostic points at the job when its location is known (the job's key in its file)
//! and carries a label on the runner setting involved. Runner settings that are a problem for
//! every job (a bound Docker socket, Kubernetes requests above limits) are reported once per
//! runner, at the setting.

use compact_str::CompactString;
use regex::{Regex, RegexBuilder};

use crate::diagnostic::Diagnostic;
use crate::glob::Fnmatch;
use crate::pipeline::{Pipeline, PlannedJob, SourceLocation};
use crate::source::{SourceMap, Span};

use super::matching::{JobMatch, Rejection};
use super::{ContainerResources, Executor, Fleet, Matching, Runner, RunnerService, quantity};

/// The Docker daemon port without TLS.
const DOCKER_PLAIN_PORT: u16 = 2375;
/// The Docker daemon port with TLS.
const DOCKER_TLS_PORT: u16 = 2376;
/// `DOCKER_TLS_CERTDIR` of the `docker:dind` image when the job does not set it.
const DIND_DEFAULT_CERTDIR: &str = "/certs";
/// Host paths of the Docker daemon socket.
const DOCKER_SOCKETS: [&str; 2] = ["/var/run/docker.sock", "/run/docker.sock"];

/// Reports executor settings that make jobs fail or behave differently from their
/// configuration, each job against the runners [`Matching`] found eligible for it, and
/// reports stuck jobs. The jobs of the child pipelines in `matching` are checked too, under
/// their `TRIGGER/JOB` names.
///
/// `sources` must hold the pipeline's configuration files (to point at jobs) and the fleet's
/// TOML files (to point at runner settings). A child job's diagnostic points at the job only
/// when [`add_child_sources`] added the child files to `sources`.
///
/// ```
/// use glplan::MemoryFiles;
/// use glplan::context::PipelineContext;
/// use glplan::fleet::{Fleet, MatchContext, check, match_jobs};
/// use glplan::pipeline::{PlanOptions, plan};
///
/// let files = MemoryFiles::new().with_file(".gitlab-ci.yml", "test:\n  image: ruby:3.3\n  script: rake\n");
/// let context = PipelineContext::default();
/// let (mut resolution, pipeline) = plan(".gitlab-ci.yml", &files, &context, &PlanOptions::default());
/// let pipeline = pipeline.unwrap();
///
/// // The runner files join the pipeline's files in one source map.
/// let text = "[[runners]]\nname = \"shell\"\nexecutor = \"shell\"\n";
/// let file = resolution.sources.add("config.toml", text);
/// let (fleet, _) = Fleet::parse(&[(file, text)], &resolution.sources);
///
/// let matching = match_jobs(&pipeline, &fleet, &MatchContext::from(&context));
/// let diagnostics = check(&pipeline, &fleet, &matching, &resolution.sources);
/// assert_eq!(diagnostics[0].code, "fleet-image-ignored");
/// ```
pub fn check(
    pipeline: &Pipeline,
    fleet: &Fleet,
    matching: &Matching,
    sources: &SourceMap,
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();

    // Settings that affect every job of a runner, once per runner.
    for runner in &fleet.runners {
        check_docker_socket(runner, &mut diags);
        check_kubernetes_resources(runner, &mut diags);
    }

    let locator = Locator::new(sources);
    check_jobs(pipeline, matching, "", fleet, &locator, &mut diags);
    diags
}

/// Checks each job of `pipeline` against its eligible runners, then the jobs of its child
/// pipelines. `prefix` is the trigger jobs that lead to `pipeline`, each followed by `/`, so
/// that child jobs are named as the schedule names them (`deploy/rspec`).
fn check_jobs(
    pipeline: &Pipeline,
    matching: &Matching,
    prefix: &str,
    fleet: &Fleet,
    locator: &Locator<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    for (job, job_match) in pipeline.jobs.iter().zip(&matching.jobs) {
        let name = format!("{prefix}{}", job.name);
        if job_match.stuck {
            let job_span = job.location.as_ref().and_then(|l| locator.locate(l));
            diags.push(stuck_job(&name, job_match, fleet, job_span));
        }
        for runner in job_match
            .eligible
            .iter()
            .filter_map(|&index| fleet.runners.get(index))
        {
            let at = At {
                job,
                name: &name,
                runner,
                locator,
            };
            check_on_runner(&at, diags);
        }
    }
    for child in &matching.children {
        let downstream = pipeline
            .job(&child.trigger)
            .and_then(crate::schedule::simulated_child);
        if let Some(downstream) = downstream {
            let prefix = format!("{prefix}{}/", child.trigger);
            check_jobs(downstream, &child.matching, &prefix, fleet, locator, diags);
        }
    }
}

/// Runs every check of one job on one of its eligible runners.
fn check_on_runner(at: &At<'_>, diags: &mut Vec<Diagnostic>) {
    // The Kubernetes executor's `Prepare` reads the overwrites before it checks the pull
    // policy, and the schedule fails a job with the first error of its earliest stage.
    check_job_overwrites(at, diags);
    check_ignored_image(at, diags);
    check_dind_privileged(at, diags);
    check_docker_host(at, diags);
    check_pull_policy(at, diags);
    check_allowed_images(at, diags);
    check_services_limit(at, diags);
    check_vm_image(at, diags);
    check_job_resources(at, diags);
    check_timeout(at, diags);
}

/// Returns the error diagnostics of job `job` (named `name` in messages) on `runner`, then
/// those of the runner's own settings that fail every job it takes. The diagnostics point at
/// the runner settings only, because no source map is given.
pub(super) fn runner_errors(job: &PlannedJob, name: &str, runner: &Runner) -> Vec<Diagnostic> {
    let sources = SourceMap::new();
    let locator = Locator::new(&sources);
    let at = At {
        job,
        name,
        runner,
        locator: &locator,
    };
    let mut diags = Vec::new();
    check_on_runner(&at, &mut diags);
    check_kubernetes_resources(runner, &mut diags);
    diags.retain(Diagnostic::is_error);
    diags
}

/// Adds the files of the child configurations that [`check`] covers to `sources`, so that the
/// diagnostics of a child pipeline's jobs point at their definitions. A file whose name
/// `sources` already has is skipped, because the checks locate jobs by file name.
pub fn add_child_sources(pipeline: &Pipeline, sources: &mut SourceMap) {
    for job in &pipeline.jobs {
        let Some(downstream) = crate::schedule::simulated_child(job) else {
            continue;
        };
        let configuration = job.trigger.as_ref().and_then(|t| t.configuration.as_ref());
        if let Some(configuration) = configuration {
            for (_, file) in configuration.sources.files() {
                if !sources.files().any(|(_, known)| known.name == file.name) {
                    sources.add(file.name.clone(), file.text.clone());
                }
            }
        }
        add_child_sources(downstream, sources);
    }
}

/// A job on one of its eligible runners.
struct At<'a> {
    job: &'a PlannedJob,
    /// The job's name in messages: `TRIGGER/JOB` in a child pipeline.
    name: &'a str,
    runner: &'a Runner,
    locator: &'a Locator<'a>,
}

impl At<'_> {
    /// Builds a diagnostic at the job, labelled at runner setting `key`; at the runner
    /// setting when the job's location is unknown.
    fn diagnostic(&self, mut diagnostic: Diagnostic, key: &str, label: String) -> Diagnostic {
        let runner_span = self.runner.span_of(key);
        let job_span = self
            .job
            .location
            .as_ref()
            .and_then(|l| self.locator.locate(l));
        match job_span {
            Some(span) => {
                diagnostic = diagnostic.with_span(span).with_label(runner_span, label);
            }
            None => diagnostic = diagnostic.with_span(runner_span),
        }
        diagnostic
    }

    /// Returns the job's variable `name`, else the runner's `environment` entry.
    fn variable(&self, name: &str) -> Option<String> {
        if let Some(value) = self.job.runner_variable(name) {
            return Some(value.to_owned());
        }
        self.runner.environment.iter().find_map(|entry| {
            let (key, value) = entry.split_once('=')?;
            (key == name).then(|| value.to_owned())
        })
    }

    /// Returns the runner's services, which start with every job.
    fn runner_services(&self) -> &[RunnerService] {
        if let Some(docker) = self.runner.docker.as_ref().filter(|_| self.uses_docker()) {
            return &docker.services;
        }
        if let Some(kubernetes) = self
            .runner
            .kubernetes
            .as_ref()
            .filter(|_| self.is_kubernetes())
        {
            return &kubernetes.services;
        }
        &[]
    }

    fn executor(&self) -> Option<Executor> {
        self.runner.executor
    }

    fn uses_docker(&self) -> bool {
        self.executor().is_some_and(Executor::uses_docker)
    }

    fn is_kubernetes(&self) -> bool {
        self.executor() == Some(Executor::Kubernetes)
    }

    /// Returns every service of the job and of the runner as `(image, host names)`.
    fn services(&self) -> Vec<(String, Vec<String>)> {
        let mut services: Vec<(String, Vec<String>)> = self
            .job
            .runner_services()
            .iter()
            .map(|s| {
                let image = s.expanded.as_ref().unwrap_or(&s.name).to_string();
                let hostnames = s.hostnames.iter().map(ToString::to_string).collect();
                (image, hostnames)
            })
            .collect();
        services.extend(
            self.runner_services()
                .iter()
                .map(|s| (s.name.clone(), s.hostnames())),
        );
        services
    }
}

/// Turns job locations (file name, line, column) back into spans.
struct Locator<'s> {
    sources: &'s SourceMap,
}

impl<'s> Locator<'s> {
    fn new(sources: &'s SourceMap) -> Self {
        Locator { sources }
    }

    /// Returns a span from the location to the end of its line.
    fn locate(&self, location: &SourceLocation) -> Option<Span> {
        let (id, file) = self
            .sources
            .files()
            .find(|(_, file)| file.name == location.file)?;
        let start = file.offset_at(location.line, location.column)?;
        let line_start = *file
            .line_starts()
            .get(location.line.checked_sub(1)? as usize)?;
        let line_length = u32::try_from(file.line_text(location.line).len()).ok()?;
        let end = line_start + line_length;
        Some(Span::new(id, start, end.max(start)))
    }
}

/// Returns whether `image` is Docker-in-Docker: the `docker` image with a `dind` tag
/// (`docker:dind`, `docker:27-dind`, `docker:27-dind-rootless`), from any registry.
fn is_dind(image: &str) -> bool {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    match last.split_once(':') {
        Some((repository, tag)) => repository == "docker" && tag.contains("dind"),
        None => false,
    }
}

fn stuck_job(
    name: &str,
    job_match: &JobMatch,
    fleet: &Fleet,
    job_span: Option<Span>,
) -> Diagnostic {
    let mut diagnostic = Diagnostic::warning(
        "fleet-stuck-job",
        format!(
            "job `{name}` is stuck: no runner can take it, so it stays pending until GitLab drops it \
             after an hour"
        ),
    );
    if let Some(span) = job_span {
        diagnostic = diagnostic.with_span(span);
    }
    for rejection in &job_match.rejected {
        if let Some(runner) = fleet.runners.get(rejection.runner) {
            diagnostic = diagnostic.with_label(runner.span, rejection.message.clone());
        }
    }
    let help = if fleet.runners.is_empty() {
        "no runner is configured; give glplan the `config.toml` of the runners".to_owned()
    } else {
        let reasons: Vec<&str> = job_match
            .rejected
            .iter()
            .map(|r| r.message.as_str())
            .collect();
        let mut fixes: Vec<&str> = Vec::new();
        for rejection in &job_match.rejected {
            let fix = fix_for(&rejection.reason);
            if !fixes.contains(&fix) {
                fixes.push(fix);
            }
        }
        format!(
            "make one runner fit the job ({}): {}",
            reasons.join("; "),
            fixes.join(", or ")
        )
    };
    diagnostic.with_help(help)
}

/// Returns the change that lifts `rejection`, for the help of `fleet-stuck-job`. Only a
/// runner rejected for the job's tags can take the job once its `tags` change.
pub(super) fn fix_for(rejection: &Rejection) -> &'static str {
    match rejection {
        Rejection::HostNotRunning => "set `concurrent` to 1 or more on the runner's host",
        Rejection::OtherServer { .. } => "register the runner with this GitLab server",
        Rejection::ExecutorNotFound => "give the runner a valid `executor`",
        Rejection::Paused => "resume the runner",
        Rejection::SharedRunnersDisabled => "enable instance runners for the project",
        Rejection::ProjectNotAssigned { locked: false, .. } => "assign the runner to this project",
        Rejection::ProjectNotAssigned { locked: true, .. } => {
            "unlock the runner and assign it to this project"
        }
        Rejection::GroupNotAncestor { .. } => {
            "use a runner of this project or of a group that contains it"
        }
        Rejection::ProtectedRefOnly => {
            "protect this ref, or let the runner run jobs of unprotected refs"
        }
        Rejection::MissingTags { .. } => "change the job's `tags` or the runner's",
        Rejection::UntaggedJob => "set `run_untagged = true`, or change the job's `tags`",
    }
}

/// Warns about `image` and `services` on executors that do not run containers.
fn check_ignored_image(at: &At<'_>, diags: &mut Vec<Diagnostic>) {
    let Some(executor) = at.executor() else {
        return;
    };
    let image_ignored = matches!(executor, Executor::Shell | Executor::Ssh);
    let services_ignored = matches!(
        executor,
        Executor::Shell
            | Executor::Ssh
            | Executor::VirtualBox
            | Executor::Parallels
            | Executor::Instance
            | Executor::Custom
    );
    let name = executor.as_str();
    let runner = &at.runner.name;
    if image_ignored && let Some(image) = at.job.runner_image() {
        let diagnostic = Diagnostic::warning(
            "fleet-image-ignored",
            format!(
                "job `{}` sets `image` `{}`, which the `{name}` executor of runner `{runner}` \
                 ignores",
                at.name, image.name
            ),
        )
        .with_help(format!(
            "the job runs directly on the host of runner `{runner}`; give the job a tag only \
             Docker or Kubernetes runners have, or install its tools on that host"
        ));
        diags.push(at.diagnostic(diagnostic, "executor", format!("`{name}` executor")));
    }
    if services_ignored && !at.job.runner_services().is_empty() {
        let names: Vec<String> = at
            .job
            .services
            .iter()
            .map(|s| format!("`{}`", s.name))
            .collect();
        let diagnostic = Diagnostic::warning(
            "fleet-services-ignored",
            format!(
                "job `{}` sets `services` {}, which the `{name}` executor of runner `{runner}` \
                 does not start",
                at.name,
                names.join(", ")
            ),
        )
        .with_help(format!(
            "run the job on a Docker or Kubernetes runner, or provide the services on the host \
             of runner `{runner}`"
        ));
        diags.push(at.diagnostic(diagnostic, "executor", format!("`{name}` executor")));
    }
}

/// Reports `docker:dind` services on runners that do not run services privileged.
fn check_dind_privileged(at: &At<'_>, diags: &mut Vec<Diagnostic>) {
    let (privileged, key, section) = if at.uses_docker() {
        let docker = at.runner.docker.clone().unwrap_or_default();
        let key = if docker.services_privileged.is_some() {
            "docker.services_privileged"
        } else {
            "docker.privileged"
        };
        (docker.services_run_privileged(), key, "[runners.docker]")
    } else if at.is_kubernetes() {
        let privileged = at.runner.kubernetes.as_ref().is_some_and(|k| k.privileged);
        (privileged, "kubernetes.privileged", "[runners.kubernetes]")
    } else {
        return;
    };
    if privileged {
        return;
    }
    let runner = &at.runner.name;
    for (image, _) in at.services().iter().filter(|(image, _)| is_dind(image)) {
        let key = if at.runner.spans.get(key).is_some() {
            key
        } else {
            section_key(section)
        };
        let diagnostic = Diagnostic::error(
            "fleet-dind-not-privileged",
            format!(
                "job `{}` starts `{image}`, which needs a privileged container, but runner \
                 `{runner}` does not run services privileged",
                at.name
            ),
        )
        .with_help(format!(
            "set `privileged = true` in `{section}` of runner `{runner}`, or build images \
             without Docker-in-Docker (for example with Kaniko or Buildah)"
        ));
        diags.push(at.diagnostic(
            diagnostic,
            key,
            format!("runner `{runner}` is not privileged"),
        ));
    }
}

fn section_key(section: &str) -> &'static str {
    if section.contains("kubernetes") {
        "kubernetes"
    } else {
        "docker"
    }
}

/// A parsed `DOCKER_HOST`.
enum DockerHost {
    Tcp { host: String, port: Option<u16> },
    Unix(String),
    Other,
}

fn parse_docker_host(value: &str) -> DockerHost {
    if let Some(rest) = value.strip_prefix("tcp://") {
        let authority = rest.split('/').next().unwrap_or(rest);
        return match authority.rsplit_once(':') {
            Some((host, port)) => DockerHost::Tcp {
                host: host.to_owned(),
                port: port.parse().ok(),
            },
            None => DockerHost::Tcp {
                host: authority.to_owned(),
                port: None,
            },
        };
    }
    if let Some(path) = value.strip_prefix("unix://") {
        return DockerHost::Unix(path.to_owned());
    }
    DockerHost::Other
}

/// `DOCKER_HOST` against the job's services, and the TLS variables against the port.
///
/// The `docker:dind` image sets `DOCKER_TLS_CERTDIR=/certs`, so unless the job sets it to an
/// empty value the daemon generates certificates and listens with TLS on 2376. With an empty
/// value it listens without TLS on 2375. GitLab passes the job's YAML variables to the job
/// and to the service container.
fn check_docker_host(at: &At<'_>, diags: &mut Vec<Diagnostic>) {
    if !at.uses_docker() && !at.is_kubernetes() {
        return;
    }
    let services = at.services();
    let dind: Vec<&(String, Vec<String>)> = services.iter().filter(|(i, _)| is_dind(i)).collect();
    let docker_host = at.variable("DOCKER_HOST");
    let runner = &at.runner.name;

    let Some(docker_host) = docker_host else {
        check_dind_without_docker_host(at, &dind, diags);
        return;
    };
    match parse_docker_host(&docker_host) {
        DockerHost::Tcp { host, port } => {
            let local = matches!(host.as_str(), "localhost" | "127.0.0.1" | "::1" | "[::1]");
            if local && at.uses_docker() && !dind.is_empty() {
                let diagnostic = Diagnostic::error(
                    "fleet-docker-host-localhost",
                    format!(
                        "`DOCKER_HOST` is `{docker_host}`, but on the Docker executor of runner \
                         `{runner}` the `docker:dind` service runs in its own container, not \
                         on `{host}`"
                    ),
                )
                .with_help(format!(
                    "point `DOCKER_HOST` at the service's host name, for example \
                     `tcp://{}:{DOCKER_TLS_PORT}`",
                    dind_hostname(&dind)
                ));
                diags.push(at.diagnostic(diagnostic, "executor", "Docker executor".to_owned()));
                return;
            }
            // On Kubernetes every service shares the job pod's network, so `localhost`
            // reaches the daemon.
            let targets_dind = dind.iter().any(|(_, names)| names.contains(&host))
                || (local && at.is_kubernetes() && !dind.is_empty());
            let known = services.iter().any(|(_, names)| names.contains(&host));
            if !local && !known && (!host.contains('.') || !dind.is_empty()) {
                let diagnostic = Diagnostic::warning(
                    "fleet-docker-host-unknown",
                    format!(
                        "`DOCKER_HOST` points at `{host}`, but no service of job `{}` has that \
                         host name",
                        at.name
                    ),
                )
                .with_help(if dind.is_empty() {
                    format!(
                        "add a `docker:dind` service with `alias: {host}`, or point \
                         `DOCKER_HOST` at a daemon the job can reach"
                    )
                } else {
                    format!(
                        "use `tcp://{}:{DOCKER_TLS_PORT}`, or add `alias: {host}` to the \
                         `docker:dind` service",
                        dind_hostname(&dind)
                    )
                });
                diags.push(at.diagnostic(diagnostic, "executor", format!("runner `{runner}`")));
                return;
            }
            if targets_dind {
                check_dind_tls(at, &docker_host, port, diags);
            }
        }
        DockerHost::Unix(path) => {
            let bound = at.runner.docker.as_ref().is_some_and(|docker| {
                docker
                    .volumes
                    .iter()
                    .any(|volume| volume.split(':').nth(1).is_some_and(|c| c == path))
            });
            if at.uses_docker() && dind.is_empty() && !bound {
                let diagnostic = Diagnostic::warning(
                    "fleet-docker-socket-missing",
                    format!(
                        "`DOCKER_HOST` is `{docker_host}`, but runner `{runner}` does not mount \
                         `{path}` into the job container"
                    ),
                )
                .with_help(
                    "add a `docker:dind` service and point `DOCKER_HOST` at it, or bind the \
                     socket in the runner's `volumes` (which gives jobs control of the host)",
                );
                diags.push(at.diagnostic(diagnostic, "docker", format!("runner `{runner}`")));
            }
        }
        DockerHost::Other => {}
    }
}

fn dind_hostname(dind: &[&(String, Vec<String>)]) -> String {
    dind.first()
        .and_then(|(_, names)| names.first())
        .cloned()
        .unwrap_or_else(|| "docker".to_owned())
}

/// A `docker:dind` service without `DOCKER_HOST`: the `docker` image's entry point finds the
/// daemon only under the host name `docker`.
fn check_dind_without_docker_host(
    at: &At<'_>,
    dind: &[&(String, Vec<String>)],
    diags: &mut Vec<Diagnostic>,
) {
    let Some((image, names)) = dind.first() else {
        return;
    };
    if names.iter().any(|name| name == "docker") || at.is_kubernetes() {
        return;
    }
    let name = names.first().cloned().unwrap_or_default();
    let diagnostic = Diagnostic::warning(
        "fleet-docker-host-missing",
        format!(
            "job `{}` starts `{image}` as `{name}` but does not set `DOCKER_HOST`, and the \
             Docker client looks for a daemon only at `docker`",
            at.name
        ),
    )
    .with_help(format!(
        "set `DOCKER_HOST: tcp://{name}:{DOCKER_TLS_PORT}`, or give the service `alias: docker`"
    ));
    diags.push(at.diagnostic(
        diagnostic,
        "executor",
        format!("runner `{}`", at.runner.name),
    ));
}

/// Compares the port and the TLS variables with the daemon's TLS setting.
fn check_dind_tls(at: &At<'_>, docker_host: &str, port: Option<u16>, diags: &mut Vec<Diagnostic>) {
    let certdir = at.variable("DOCKER_TLS_CERTDIR");
    let tls = certdir.as_deref() != Some("");
    let why = match certdir.as_deref() {
        None => format!(
            "`DOCKER_TLS_CERTDIR` is not set and the `docker:dind` image defaults it to \
             `{DIND_DEFAULT_CERTDIR}`"
        ),
        Some("") => "`DOCKER_TLS_CERTDIR` is empty".to_owned(),
        Some(dir) => format!("`DOCKER_TLS_CERTDIR` is `{dir}`"),
    };
    let runner = &at.runner.name;
    let verify = at.variable("DOCKER_TLS_VERIFY").filter(|v| !v.is_empty());
    let cert_path = at.variable("DOCKER_CERT_PATH").filter(|v| !v.is_empty());

    if tls && port == Some(DOCKER_PLAIN_PORT) {
        let diagnostic = Diagnostic::error(
            "fleet-docker-tls-port",
            format!(
                "`DOCKER_HOST` is `{docker_host}`, but the `docker:dind` service listens with \
                 TLS on port {DOCKER_TLS_PORT}, because {why}"
            ),
        )
        .with_help(format!(
            "use port {DOCKER_TLS_PORT}, or set `DOCKER_TLS_CERTDIR: \"\"` to run the daemon \
             without TLS on port {DOCKER_PLAIN_PORT}"
        ));
        diags.push(at.diagnostic(diagnostic, "executor", format!("runner `{runner}`")));
        return;
    }
    if !tls && port == Some(DOCKER_TLS_PORT) {
        let diagnostic = Diagnostic::error(
            "fleet-docker-tls-port",
            format!(
                "`DOCKER_HOST` is `{docker_host}`, but the `docker:dind` service listens \
                 without TLS on port {DOCKER_PLAIN_PORT}, because {why}"
            ),
        )
        .with_help(format!(
            "use port {DOCKER_PLAIN_PORT}, or set `DOCKER_TLS_CERTDIR: \"/certs\"` to turn TLS on"
        ));
        diags.push(at.diagnostic(diagnostic, "executor", format!("runner `{runner}`")));
        return;
    }
    if !tls && verify.is_some() {
        let diagnostic = Diagnostic::error(
            "fleet-docker-tls-verify",
            format!(
                "`DOCKER_TLS_VERIFY` is set, but the `docker:dind` service listens without TLS, \
                 because {why}"
            ),
        )
        .with_help(
            "remove `DOCKER_TLS_VERIFY`, or turn TLS on with `DOCKER_TLS_CERTDIR: \"/certs\"`",
        );
        diags.push(at.diagnostic(diagnostic, "executor", format!("runner `{runner}`")));
        return;
    }
    if !tls && cert_path.is_some() {
        let diagnostic = Diagnostic::warning(
            "fleet-docker-cert-path-unused",
            format!("`DOCKER_CERT_PATH` is set, but the `docker:dind` service listens without TLS, because {why}"),
        )
        .with_help("remove `DOCKER_CERT_PATH`, or turn TLS on with `DOCKER_TLS_CERTDIR: \"/certs\"`");
        diags.push(at.diagnostic(diagnostic, "executor", format!("runner `{runner}`")));
        return;
    }
    if tls {
        check_shared_certs(
            at,
            certdir.as_deref().unwrap_or(DIND_DEFAULT_CERTDIR),
            diags,
        );
    }
}

/// With TLS, the daemon writes the client certificates to `$DOCKER_TLS_CERTDIR/client`, and
/// the job container reads them only through a volume the runner shares with the services.
fn check_shared_certs(at: &At<'_>, certdir: &str, diags: &mut Vec<Diagnostic>) {
    let certdir = certdir.trim_end_matches('/');
    let client = format!("{certdir}/client");
    let shares = |path: &str| {
        let path = path.trim_end_matches('/');
        path == client || path == certdir
    };
    let (shared, key, section) = if at.uses_docker() {
        let shared = at.runner.docker.as_ref().is_some_and(|docker| {
            docker.volumes.iter().any(|volume| {
                let parts: Vec<&str> = volume.split(':').collect();
                let container = match parts.as_slice() {
                    [only] => only,
                    [_, container, ..] => container,
                    [] => "",
                };
                shares(container)
            })
        });
        (shared, "docker.volumes", "[runners.docker]")
    } else {
        let shared = at
            .runner
            .kubernetes
            .as_ref()
            .is_some_and(|k| k.volume_mounts.iter().any(|m| shares(m)));
        (shared, "kubernetes.volumes", "[runners.kubernetes.volumes]")
    };
    if shared {
        return;
    }
    let runner = &at.runner.name;
    let key = if at.runner.spans.get(key).is_some() {
        key
    } else {
        section_key(section)
    };
    let diagnostic = Diagnostic::warning(
        "fleet-docker-tls-certs",
        format!(
            "job `{}` uses Docker-in-Docker with TLS, but runner `{runner}` shares no \
             `{client}` volume, so the job container cannot read the client certificates",
            at.name
        ),
    )
    .with_help(format!(
        "add a `\"{client}\"` volume in `{section}` of runner `{runner}`, or set \
         `DOCKER_TLS_CERTDIR: \"\"` and use port {DOCKER_PLAIN_PORT}"
    ));
    diags.push(at.diagnostic(diagnostic, key, format!("runner `{runner}`")));
}

/// Warns about a runner that binds the host's Docker socket, which gives every job control of
/// the host.
fn check_docker_socket(runner: &Runner, diags: &mut Vec<Diagnostic>) {
    let Some(docker) = &runner.docker else {
        return;
    };
    for (index, volume) in docker.volumes.iter().enumerate() {
        let host_path = volume.split(':').next().unwrap_or(volume);
        if !DOCKER_SOCKETS.contains(&host_path) || !volume.contains(':') {
            continue;
        }
        let name = &runner.name;
        diags.push(
            Diagnostic::warning(
                "fleet-docker-socket",
                format!(
                    "runner `{name}` binds the host's Docker socket `{host_path}` into every \
                     job container"
                ),
            )
            .with_span(runner.span_of(&format!("docker.volumes.{index}")))
            .with_help(format!(
                "any job on runner `{name}` can start privileged containers on the host and \
                 take it over; use Docker-in-Docker or a rootless builder, or keep the runner \
                 to trusted projects and protected refs"
            )),
        );
    }
}

/// Returns the pull policies requested for the job's image, with where they come from.
fn requested_policies(job: &[CompactString], runner: &[String]) -> (Vec<String>, &'static str) {
    if !job.is_empty() {
        let job = job.iter().map(ToString::to_string).collect();
        (job, "GitLab pipeline config")
    } else if !runner.is_empty() {
        (runner.to_vec(), "Runner config")
    } else {
        (vec!["always".to_owned()], "Runner config (default)")
    }
}

/// Checks the pull policies of the job's `image` and of each of its `services` against the
/// runner's allowed policies. gitlab-runner's pull manager keeps the requested policies that are
/// allowed, in requested order, and fails the job when none is left for any one image.
fn check_pull_policy(at: &At<'_>, diags: &mut Vec<Diagnostic>) {
    let (runner_policies, allowed_policies, section) = if at.uses_docker() {
        let Some(docker) = &at.runner.docker else {
            return;
        };
        (&docker.pull_policy, &docker.allowed_pull_policies, "docker")
    } else if at.is_kubernetes() {
        let Some(kubernetes) = &at.runner.kubernetes else {
            return;
        };
        // NOTE: without `pull_policy` the Kubernetes executor leaves the choice to the cluster,
        // and how a job's policy is then checked was not confirmed, so only runners that set
        // one of the lists are checked.
        if kubernetes.pull_policy.is_empty() && kubernetes.allowed_pull_policies.is_empty() {
            return;
        }
        (
            &kubernetes.pull_policy,
            &kubernetes.allowed_pull_policies,
            "kubernetes",
        )
    } else {
        return;
    };
    let (allowed, allowed_key) = if !allowed_policies.is_empty() {
        (allowed_policies.as_slice(), "allowed_pull_policies")
    } else if !runner_policies.is_empty() {
        (runner_policies.as_slice(), "pull_policy")
    } else {
        (&["always".to_owned()][..], "pull_policy")
    };
    let key = format!("{section}.{allowed_key}");
    let key = if at.runner.spans.get(&key).is_some() {
        key
    } else {
        "executor".to_owned()
    };
    let checks = PullPolicyCheck {
        at,
        runner_policies,
        allowed,
        key: &key,
    };

    if let Some(image) = at.job.runner_image() {
        let name = image.expanded.as_deref().unwrap_or(&image.name);
        checks.check(
            name,
            &image.pull_policy,
            "the job's `image:pull_policy`",
            diags,
        );
    }
    for service in at.job.runner_services() {
        let name = service.expanded.as_deref().unwrap_or(&service.name);
        let place = format!("the `pull_policy` of service `{}`", service.name);
        checks.check(name, &service.pull_policy, &place, diags);
    }
}

/// What a runner allows, to check one image's pull policies against.
struct PullPolicyCheck<'a> {
    at: &'a At<'a>,
    /// The runner's `pull_policy`, used when the job requests none.
    runner_policies: &'a [String],
    allowed: &'a [String],
    /// Runner key the diagnostic points at.
    key: &'a str,
}

impl PullPolicyCheck<'_> {
    /// Reports image `name` when none of the policies the job requests for it (`job`, set at
    /// `place`) is allowed.
    fn check(&self, name: &str, job: &[CompactString], place: &str, diags: &mut Vec<Diagnostic>) {
        let (requested, source) = requested_policies(job, self.runner_policies);
        if requested.iter().any(|policy| self.allowed.contains(policy)) {
            return;
        }
        let runner = &self.at.runner.name;
        let diagnostic = Diagnostic::error(
            "fleet-pull-policy-not-allowed",
            format!(
                "invalid pull policy for image \"{name}\": pull_policy ([{}]) defined in \
                 {source} is not one of the allowed_pull_policies ([{}])",
                requested.join(" "),
                self.allowed.join(" ")
            ),
        )
        .with_help(format!(
            "use one of `{}` in {place}, or allow `{}` in `allowed_pull_policies` of runner \
             `{runner}`",
            self.allowed.join("`, `"),
            requested.join("`, `")
        ));
        diags.push(self.at.diagnostic(
            diagnostic,
            self.key,
            format!("what runner `{runner}` allows"),
        ));
    }
}

/// Returns whether `image` matches one of gitlab-runner's `allowed_images` patterns. gitlab-runner
/// matches with doublestar, where `*` stays within one `/`-separated part and a `**` part
/// matches any number of parts, including at the end of the pattern.
pub(super) fn image_allowed(image: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|pattern| {
        let pattern = if pattern == "**" {
            "**/*".to_owned()
        } else if let Some(prefix) = pattern.strip_suffix("/**") {
            format!("{prefix}/**/*")
        } else {
            pattern.clone()
        };
        Fnmatch::new(&pattern).matches(image)
    })
}

/// Checks the job's image and services against the runner's `allowed_images` and
/// `allowed_services`. gitlab-runner always allows the images its own configuration names
/// (the default image and the configured services).
fn check_allowed_images(at: &At<'_>, diags: &mut Vec<Diagnostic>) {
    let (allowed_images, allowed_services, default_image, section) = if at.uses_docker() {
        let Some(docker) = &at.runner.docker else {
            return;
        };
        (
            &docker.allowed_images,
            &docker.allowed_services,
            docker.image.as_deref(),
            "docker",
        )
    } else if at.is_kubernetes() {
        let Some(kubernetes) = &at.runner.kubernetes else {
            return;
        };
        (
            &kubernetes.allowed_images,
            &kubernetes.allowed_services,
            kubernetes.image.as_deref(),
            "kubernetes",
        )
    } else {
        return;
    };
    let runner = &at.runner.name;

    if let Some(image) = at.job.runner_image() {
        let name = image.expanded.as_deref().unwrap_or(&image.name);
        let internal = default_image == Some(name);
        // An image that still contains `$` depends on variables that only the runner expands.
        if !allowed_images.is_empty()
            && !name.contains('$')
            && !internal
            && !image_allowed(name, allowed_images)
        {
            let diagnostic = Diagnostic::error(
                "fleet-image-not-allowed",
                format!("The \"{name}\" image is not present on list of allowed images"),
            )
            .with_help(format!(
                "use an image that matches `allowed_images` of runner `{runner}` ({}), or add a \
                 pattern for it there",
                quoted(allowed_images)
            ));
            diags.push(at.diagnostic(
                diagnostic,
                &format!("{section}.allowed_images"),
                format!("`allowed_images` of runner `{runner}`"),
            ));
        }
    }

    if allowed_services.is_empty() {
        return;
    }
    let internal: Vec<&str> = at
        .runner_services()
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    for service in at.job.runner_services() {
        let name = service.expanded.as_deref().unwrap_or(&service.name);
        if name.contains('$') || internal.contains(&name) || image_allowed(name, allowed_services) {
            continue;
        }
        let diagnostic = Diagnostic::error(
            "fleet-service-not-allowed",
            format!("The \"{name}\" image is not present on list of allowed services"),
        )
        .with_help(format!(
            "use a service that matches `allowed_services` of runner `{runner}` ({}), or add a \
             pattern for it there",
            quoted(allowed_services)
        ));
        diags.push(at.diagnostic(
            diagnostic,
            &format!("{section}.allowed_services"),
            format!("`allowed_services` of runner `{runner}`"),
        ));
    }
}

/// Reports a job with more services than the Docker runner's `services_limit` allows.
/// gitlab-runner counts the runner's own `services` with the job's, and with a limit of 0 or
/// more it fails the job before the script with `too many services requested` (the
/// `getServicesDefinitions` step of its Docker executor). A negative limit, the default -1,
/// allows any number.
fn check_services_limit(at: &At<'_>, diags: &mut Vec<Diagnostic>) {
    if !at.uses_docker() {
        return;
    }
    let limit = at.runner.docker.as_ref().and_then(|d| d.services_limit);
    let Some(Ok(limit)) = limit.map(usize::try_from) else {
        return;
    };
    let from_runner = at.runner_services().len();
    let requested = from_runner + at.job.runner_services().len();
    if requested <= limit {
        return;
    }
    let runner = &at.runner.name;
    let counted = if from_runner > 0 {
        format!(" ({from_runner} of them from the runner's `services`)")
    } else {
        String::new()
    };
    let diagnostic = Diagnostic::error(
        "fleet-services-limit-exceeded",
        format!(
            "job `{}` needs {requested} services{counted}, but runner `{runner}` allows at most \
             {limit} (`services_limit`)",
            at.name
        ),
    )
    .with_help(format!(
        "gitlab-runner fails the job with `too many services requested`; start fewer services \
         in the job, or raise `services_limit` of runner `{runner}`"
    ));
    diags.push(at.diagnostic(
        diagnostic,
        "docker.services_limit",
        format!("`services_limit` of runner `{runner}`"),
    ));
}

/// Compiles one `allowed_images` pattern of a VirtualBox or Parallels runner, or `None` when it
/// is not a valid regular expression. gitlab-runner matches these patterns as regular
/// expressions anywhere in the name: `^` and `$` must be written to anchor them.
pub(super) fn vm_pattern(pattern: &str) -> Option<Regex> {
    // NOTE: patterns match anywhere in the name, read from gitlab-runner's documented example
    // `^test[1-2]$`, which writes its own anchors; the runner's source was not checked.
    // gitlab-runner is written in Go, whose `regexp` package has RE2's syntax with ASCII `\d`,
    // `\w`, `\s` and `\b`, so the pattern goes through the RE2 translation first. Go rejects
    // RE2's `\C`, which passes here.
    // Patterns come from an untrusted file, so the compiled size is bounded.
    let translated = crate::re2::translate(pattern).ok()?;
    RegexBuilder::new(&translated)
        .size_limit(1 << 20)
        .build()
        .ok()
}

/// Checks the job's `image` on a VirtualBox or Parallels runner, where it names the VM to clone.
/// Without `allowed_images`, gitlab-runner ignores the image with a warning. With it, the image
/// must match one of its patterns or be the runner's `base_name`, or the job fails.
fn check_vm_image(at: &At<'_>, diags: &mut Vec<Diagnostic>) {
    let (settings, section) = match at.executor() {
        Some(Executor::VirtualBox) => (at.runner.virtualbox.as_ref(), "virtualbox"),
        Some(Executor::Parallels) => (at.runner.parallels.as_ref(), "parallels"),
        _ => return,
    };
    let Some(image) = at.job.runner_image() else {
        return;
    };
    let name = image.expanded.as_deref().unwrap_or(&image.name);
    let base_name = settings.and_then(|vm| vm.base_name.as_deref());
    // An image that still contains `$` depends on variables that only the runner expands.
    if name.contains('$') || base_name == Some(name) {
        return;
    }
    let allowed = settings.map_or(&[][..], |vm| vm.allowed_images.as_slice());
    let runner = &at.runner.name;
    if allowed.is_empty() {
        let diagnostic = Diagnostic::warning(
            "fleet-image-ignored",
            format!(
                ".gitlab-ci.yml provided image \"{name}\" is ignored, default VM image is being \
                 used instead"
            ),
        )
        .with_help(format!(
            "runner `{runner}` clones its `base_name` VM for every job; list the VMs jobs may \
             select in `[runners.{section}] allowed_images`, or drop the job's `image`"
        ));
        let key = format!("{section}.base_name");
        let key = if at.runner.spans.get(&key).is_some() {
            key
        } else {
            "executor".to_owned()
        };
        diags.push(at.diagnostic(diagnostic, &key, format!("VM of runner `{runner}`")));
        return;
    }
    if allowed
        .iter()
        .filter_map(|pattern| vm_pattern(pattern))
        .any(|pattern| pattern.is_match(name))
    {
        return;
    }
    let diagnostic = Diagnostic::error(
        "fleet-image-not-allowed",
        format!("The {name} is not present on list of allowed images"),
    )
    .with_help(format!(
        "use a VM name that matches `allowed_images` of runner `{runner}` ({}), or add a \
         regular expression for it there",
        quoted(allowed)
    ));
    diags.push(at.diagnostic(
        diagnostic,
        &format!("{section}.allowed_images"),
        format!("`allowed_images` of runner `{runner}`"),
    ));
}

fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The containers of a Kubernetes job pod, with their key prefix and the prefix of the job
/// variables that override them.
const CONTAINERS: [(&str, &str, &str); 3] = [
    ("build", "", "KUBERNETES_"),
    ("service", "service_", "KUBERNETES_SERVICE_"),
    ("helper", "helper_", "KUBERNETES_HELPER_"),
];

/// The resources with a request and a limit: `(request key, limit key)`.
const RESOURCE_PAIRS: [(&str, &str); 3] = [
    ("cpu_request", "cpu_limit"),
    ("memory_request", "memory_limit"),
    ("ephemeral_storage_request", "ephemeral_storage_limit"),
];

fn resource<'r>(resources: &'r ContainerResources, key: &str) -> Option<&'r String> {
    match key {
        "cpu_request" => resources.cpu_request.as_ref(),
        "cpu_limit" => resources.cpu_limit.as_ref(),
        "memory_request" => resources.memory_request.as_ref(),
        "memory_limit" => resources.memory_limit.as_ref(),
        "ephemeral_storage_request" => resources.ephemeral_storage_request.as_ref(),
        "ephemeral_storage_limit" => resources.ephemeral_storage_limit.as_ref(),
        _ => None,
    }
}

fn container_resources<'k>(
    kubernetes: &'k super::KubernetesSettings,
    container: &str,
) -> &'k ContainerResources {
    match container {
        "service" => &kubernetes.service,
        "helper" => &kubernetes.helper,
        _ => &kubernetes.build,
    }
}

/// Kubernetes rejects a pod whose request is above its limit, so every job of the runner
/// fails.
fn check_kubernetes_resources(runner: &Runner, diags: &mut Vec<Diagnostic>) {
    let Some(kubernetes) = &runner.kubernetes else {
        return;
    };
    for (container, prefix, _) in CONTAINERS {
        let resources = container_resources(kubernetes, container);
        for (request_key, limit_key) in RESOURCE_PAIRS {
            let (Some(request), Some(limit)) = (
                resource(resources, request_key),
                resource(resources, limit_key),
            ) else {
                continue;
            };
            if !above(request, limit) {
                continue;
            }
            let request_key = format!("{prefix}{request_key}");
            let limit_key = format!("{prefix}{limit_key}");
            diags.push(
                request_above_limit(&runner.name, &request_key, request, &limit_key, limit)
                    .with_span(runner.span_of(&format!("kubernetes.{request_key}")))
                    .with_label(
                        runner.span_of(&format!("kubernetes.{limit_key}")),
                        "the limit",
                    ),
            );
        }
    }
}

fn above(request: &str, limit: &str) -> bool {
    match (quantity::parse(request), quantity::parse(limit)) {
        (Some(request), Some(limit)) => request > limit,
        _ => false,
    }
}

fn request_above_limit(
    runner: &str,
    request_key: &str,
    request: &str,
    limit_key: &str,
    limit: &str,
) -> Diagnostic {
    Diagnostic::error(
        "fleet-kubernetes-request-above-limit",
        format!(
            "`{request_key}` (`{request}`) is above `{limit_key}` (`{limit}`) on runner \
             `{runner}`, so Kubernetes rejects the job pod"
        ),
    )
    .with_help(format!("lower `{request_key}` or raise `{limit_key}`"))
}

/// Checks the job's `KUBERNETES_*` resource variables. The runner ignores each one without the
/// matching `*_overwrite_max_allowed` and uses it otherwise, and the result is compared with
/// the other side of its request and limit pair. A value above its maximum or not a quantity
/// fails the job in `Prepare` ([`check_job_overwrites`]), so the pod is never created and the
/// pair is not compared.
fn check_job_resources(at: &At<'_>, diags: &mut Vec<Diagnostic>) {
    let Some(kubernetes) = at.runner.kubernetes.as_ref().filter(|_| at.is_kubernetes()) else {
        return;
    };
    let runner = &at.runner.name;
    for (container, prefix, variable_prefix) in CONTAINERS {
        let resources = container_resources(kubernetes, container);
        for (request_key, limit_key) in RESOURCE_PAIRS {
            let mut effective = [request_key, limit_key].map(|key| {
                resource(resources, key)
                    .cloned()
                    .map(|value| (value, false))
            });
            let mut rejected = false;
            for (slot, key) in effective.iter_mut().zip([request_key, limit_key]) {
                let variable = format!("{variable_prefix}{}", key.to_uppercase());
                let Some(value) = at.job.runner_variable(&variable) else {
                    continue;
                };
                let max_key = format!("{prefix}{key}_overwrite_max_allowed");
                // Without a maximum the runner ignores the variable, and an empty variable
                // counts as unset.
                let Some(max) = kubernetes.overwrite_max_allowed.get(&max_key) else {
                    continue;
                };
                if value.is_empty() {
                    continue;
                }
                if quantity::parse(value).is_none() || above(value, max) {
                    rejected = true;
                    continue;
                }
                *slot = Some((value.to_owned(), true));
            }
            let [
                Some((request, from_job_request)),
                Some((limit, from_job_limit)),
            ] = effective
            else {
                continue;
            };
            // Runner-only values are reported once per runner.
            if rejected || !(from_job_request || from_job_limit) || !above(&request, &limit) {
                continue;
            }
            let request_key = format!("{prefix}{request_key}");
            let limit_key = format!("{prefix}{limit_key}");
            let diagnostic =
                request_above_limit(runner, &request_key, &request, &limit_key, &limit);
            diags.push(at.diagnostic(
                diagnostic,
                &format!("kubernetes.{limit_key}"),
                format!("runner `{runner}`"),
            ));
        }
    }
}

fn overwrite_ignored(at: &At<'_>, variable: &str, max_key: &str) -> Diagnostic {
    let runner = &at.runner.name;
    let diagnostic = Diagnostic::warning(
        "fleet-kubernetes-overwrite-ignored",
        format!(
            "job `{}` sets `{variable}`, but runner `{runner}` has no `{max_key}`, so the \
             runner ignores it",
            at.name
        ),
    )
    .with_help(format!(
        "set `{max_key}` in `[runners.kubernetes]` of runner `{runner}` to let jobs choose up \
         to that value"
    ));
    at.diagnostic(diagnostic, "kubernetes", format!("runner `{runner}`"))
}

/// A group of resource overwrites that gitlab-runner's `createOverwrites`
/// (`executors/kubernetes/overwrites.go`) evaluates together.
struct OverwriteGroup {
    /// The group in gitlab-runner's error, as in `invalid build requests specified`.
    name: &'static str,
    /// Prefix of the runner keys, such as `service_`.
    key_prefix: &'static str,
    /// Prefix of the job variables, such as `KUBERNETES_SERVICE_`.
    variable_prefix: &'static str,
    /// Prefix of the resource names in gitlab-runner's error, such as `Service`.
    field_prefix: &'static str,
    /// Whether the group has ephemeral storage overwrites. The pod has none.
    ephemeral_storage: bool,
}

/// The overwrite groups in the order `createOverwrites` evaluates them: the requests, then
/// the limits, of the build, service and helper containers and of the pod.
const OVERWRITE_GROUPS: [OverwriteGroup; 4] = [
    OverwriteGroup {
        name: "build",
        key_prefix: "",
        variable_prefix: "KUBERNETES_",
        field_prefix: "",
        ephemeral_storage: true,
    },
    OverwriteGroup {
        name: "service",
        key_prefix: "service_",
        variable_prefix: "KUBERNETES_SERVICE_",
        field_prefix: "Service",
        ephemeral_storage: true,
    },
    OverwriteGroup {
        name: "helper",
        key_prefix: "helper_",
        variable_prefix: "KUBERNETES_HELPER_",
        field_prefix: "Helper",
        ephemeral_storage: true,
    },
    OverwriteGroup {
        name: "Pod",
        key_prefix: "pod_",
        variable_prefix: "KUBERNETES_POD_",
        field_prefix: "Pod",
        ephemeral_storage: false,
    },
];

/// The resources of an overwrite group, in evaluation order: `(key, name in errors)`.
const OVERWRITE_RESOURCES: [(&str, &str); 3] = [
    ("cpu", "CPU"),
    ("memory", "Memory"),
    ("ephemeral_storage", "EphemeralStorage"),
];

/// Reports each `KUBERNETES_*` resource variable above its `*_overwrite_max_allowed`, or not
/// a Kubernetes quantity, with gitlab-runner's error. gitlab-runner stops at the first one in
/// `Prepare`, which fails the job, and the errors are reported in that order. Warns about a
/// variable without its maximum, which the runner ignores.
fn check_job_overwrites(at: &At<'_>, diags: &mut Vec<Diagnostic>) {
    let Some(kubernetes) = at.runner.kubernetes.as_ref().filter(|_| at.is_kubernetes()) else {
        return;
    };
    for group in &OVERWRITE_GROUPS {
        for (kind, kind_name) in [("request", "Request"), ("limit", "Limit")] {
            for (resource, resource_name) in OVERWRITE_RESOURCES {
                if resource == "ephemeral_storage" && !group.ephemeral_storage {
                    continue;
                }
                let max_key = format!(
                    "{}{resource}_{kind}_overwrite_max_allowed",
                    group.key_prefix
                );
                let variable = format!(
                    "{}{}_{}",
                    group.variable_prefix,
                    resource.to_uppercase(),
                    kind.to_uppercase()
                );
                let Some(value) = at.job.runner_variable(&variable) else {
                    continue;
                };
                let Some(max) = kubernetes.overwrite_max_allowed.get(&max_key) else {
                    diags.push(overwrite_ignored(at, &variable, &max_key));
                    continue;
                };
                // gitlab-runner treats an empty variable as unset.
                if value.is_empty() {
                    continue;
                }
                let field = format!("{}{resource_name}{kind_name}", group.field_prefix);
                let context = format!("invalid {} {kind}s specified", group.name);
                let overwrite = Overwrite {
                    at,
                    variable: &variable,
                    value,
                    max_key: &max_key,
                    max,
                };
                if quantity::parse(value).is_none() {
                    diags.push(overwrite.invalid(&context));
                } else if above(value, max) {
                    diags.push(overwrite.too_high(&context, &field));
                }
            }
        }
    }
}

/// A job's resource variable and the runner's maximum for it.
struct Overwrite<'a> {
    at: &'a At<'a>,
    variable: &'a str,
    value: &'a str,
    max_key: &'a str,
    max: &'a str,
}

impl Overwrite<'_> {
    fn too_high(&self, context: &str, field: &str) -> Diagnostic {
        let (variable, value, max_key, max) = (self.variable, self.value, self.max_key, self.max);
        let runner = &self.at.runner.name;
        let diagnostic = Diagnostic::error(
            "fleet-kubernetes-overwrite-too-high",
            format!(
                "{context}: the resource \"{field}\" requested \"{value}\" is higher than limit \
                 allowed \"{max}\""
            ),
        )
        .with_help(format!(
            "lower `{variable}` of job `{}` to at most `{max}`, or raise `{max_key}` of runner \
             `{runner}`",
            self.at.name
        ));
        self.at.diagnostic(
            diagnostic,
            &format!("kubernetes.{max_key}"),
            format!("`{max_key}` of runner `{runner}`"),
        )
    }

    fn invalid(&self, context: &str) -> Diagnostic {
        let runner = &self.at.runner.name;
        let diagnostic = Diagnostic::error(
            "fleet-kubernetes-overwrite-invalid",
            format!(
                "{context}: parsing resource limit: \"{}\"",
                quantity::parse_error(self.value)
            ),
        )
        .with_help(format!(
            "set `{}` of job `{}` to a Kubernetes quantity such as `500m`, `2` or `1Gi` (it is \
             `{}`)",
            self.variable, self.at.name, self.value
        ));
        self.at.diagnostic(
            diagnostic,
            &format!("kubernetes.{}", self.max_key),
            format!("`{}` of runner `{runner}`", self.max_key),
        )
    }
}

/// Warns about a job timeout above the runner's `maximum_timeout`, because GitLab lowers the timeout to the
/// maximum, so the job is cut short.
fn check_timeout(at: &At<'_>, diags: &mut Vec<Diagnostic>) {
    let (Some(timeout), Some(maximum)) = (&at.job.timeout, at.runner.maximum_timeout) else {
        return;
    };
    if timeout.seconds <= maximum {
        return;
    }
    let runner = &at.runner.name;
    let diagnostic = Diagnostic::warning(
        "fleet-timeout-above-maximum",
        format!(
            "job `{}` sets `timeout` to `{}` ({} s), but runner `{runner}` caps its jobs at \
             {maximum} s",
            at.name, timeout.text, timeout.seconds
        ),
    )
    .with_help(format!(
        "GitLab lowers the job's timeout to {maximum} s on this runner; raise `maximum_timeout` \
         of runner `{runner}` or shorten the job"
    ));
    diags.push(at.diagnostic(
        diagnostic,
        "maximum_timeout",
        format!("`maximum_timeout` of runner `{runner}`"),
    ));
}
