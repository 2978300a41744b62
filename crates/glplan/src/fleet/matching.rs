//! Which runner GitLab hands each job to.
//!
//! GitLab's `Ci::RegisterJobService` serves a runner's job request from a queue chosen by the
//! runner's type (instance, group or project), drops jobs of unprotected refs for
//! `ref_protected` runners, keeps jobs whose tags are a subset of the runner's tags, and drops
//! untagged jobs for runners without `run_untagged`. Paused runners get nothing,
//! gitlab-runner never polls for an entry whose executor it does not know, requests an entry's
//! jobs from the server of its `url`, and does not run at all on a host with `concurrent = 0`.
//! [`match_jobs`]
//! applies the same checks in the same order, so the first failing check is the reason GitLab
//! would give.
//!
//! Which eligible runner takes a job depends on which one polls first, so the eligible runners
//! are listed in fleet order without a preference. A job's timeout above a runner's
//! `maximum_timeout` does not stop the runner from taking it (GitLab lowers the timeout to the
//! maximum), so it is a [`super::check`] warning and not a rejection.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use compact_str::CompactString;

use crate::hash::HashMap;

use serde::Serialize;

use crate::config::JobKind;
use crate::context::{PipelineContext, PipelineSource};
use crate::pipeline::{Pipeline, PlannedJob};

use super::{AccessLevel, Fleet, Runner, RunnerFailure, RunnerType};

/// The facts about the pipeline that decide which runners may take its jobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchContext {
    /// Full path of the project (`group/subgroup/project`).
    pub project: String,
    /// Whether the pipeline's ref is a protected branch or tag.
    pub ref_protected: bool,
    /// Whether the project has instance runners enabled (**Settings > CI/CD > Runners**).
    pub shared_runners_enabled: bool,
    /// The GitLab server's host, `HOST` or `HOST:PORT`, when the user gave it. A runner whose
    /// `url` names another server is then rejected with [`Rejection::OtherServer`]. `None`
    /// compares no `url`, because the default server host is a placeholder.
    pub server_host: Option<String>,
}

impl Default for MatchContext {
    fn default() -> Self {
        MatchContext::from(&PipelineContext::default())
    }
}

impl From<&PipelineContext> for MatchContext {
    /// Takes the project path and the ref's protection from a pipeline context. A merge
    /// request pipeline and its child pipelines run on `refs/merge-requests/N/head`, which is
    /// never protected.
    fn from(context: &PipelineContext) -> Self {
        MatchContext {
            project: context.project.path.clone(),
            ref_protected: context.protected_ref()
                && context.source != PipelineSource::MergeRequestEvent,
            shared_runners_enabled: true,
            server_host: None,
        }
    }
}

/// The runners of every job of a pipeline.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Matching {
    /// One entry per job, in the order of [`Pipeline::jobs`].
    pub jobs: Vec<JobMatch>,
    /// The matching of each child pipeline that the schedule simulates (planned and created
    /// by GitLab), in the order of their trigger jobs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<ChildMatching>,
}

/// The runners of the jobs of one child pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChildMatching {
    /// The name of the trigger job that creates the child pipeline.
    pub trigger: String,
    /// The child pipeline's jobs and its own child pipelines.
    pub matching: Matching,
}

impl Matching {
    /// Returns the entry of the job called `name`.
    pub fn job(&self, name: &str) -> Option<&JobMatch> {
        self.jobs.iter().find(|job| job.job == name)
    }

    /// Returns the jobs that need a runner and have none.
    pub fn stuck(&self) -> impl Iterator<Item = &JobMatch> {
        self.jobs.iter().filter(|job| job.stuck)
    }
}

/// The runners one job can run on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobMatch {
    /// Job name.
    pub job: String,
    /// Whether the job needs a runner. Trigger jobs run in GitLab itself, and a job whose
    /// environment name is not valid after expansion is created as failed and never runs.
    pub needs_runner: bool,
    /// Indexes in [`Fleet::runners`] of the runners GitLab may hand the job to, in fleet order.
    pub eligible: Vec<usize>,
    /// Every other runner, with the first reason GitLab skips it.
    pub rejected: Vec<RunnerRejection>,
    /// Whether the job needs a runner and no runner can take it: GitLab leaves it pending
    /// (shown as stuck) until it drops it after an hour.
    pub stuck: bool,
    /// The eligible runners that take the job and then fail it, in fleet order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failing: Vec<RunnerFailure>,
}

/// A runner that cannot take a job, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunnerRejection {
    /// Index of the runner in [`Fleet::runners`].
    pub runner: usize,
    /// The first reason.
    #[serde(flatten)]
    pub reason: Rejection,
    /// The reason as a sentence, naming the runner.
    pub message: String,
}

/// The reason a runner cannot take a job, serialized with the variant name in `reason`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Rejection {
    /// The runner's host has `concurrent = 0`. gitlab-runner's `run` command exits at start
    /// (`updateWorkers` in `commands/multi.go` logs a fatal error), so it requests no jobs for
    /// any runner of the host.
    HostNotRunning,
    /// The entry's `url` names another GitLab server than the pipeline's server host, so
    /// gitlab-runner requests the entry's jobs from that server.
    OtherServer {
        /// The runner's `url`.
        url: String,
        /// The pipeline's server host.
        server_host: String,
    },
    /// The entry has no valid `executor`, so gitlab-runner never requests jobs for it.
    ExecutorNotFound,
    /// The runner is paused.
    Paused,
    /// An instance runner, and the project has instance runners disabled.
    SharedRunnersDisabled,
    /// A project runner that is not assigned to the project.
    ProjectNotAssigned {
        /// The projects it is assigned to.
        projects: Vec<String>,
        /// Whether it is locked, so that it cannot be enabled for the project either.
        locked: bool,
    },
    /// A group runner of a group that does not contain the project.
    GroupNotAncestor {
        /// The runner's group.
        groups: Vec<String>,
    },
    /// A `ref_protected` runner, and the pipeline's ref is not protected.
    ProtectedRefOnly,
    /// The runner lacks some of the job's tags.
    MissingTags {
        /// The job's tags the runner does not have, in the job's order.
        tags: Vec<String>,
    },
    /// The job has no tags and the runner does not run untagged jobs.
    UntaggedJob,
}

impl Rejection {
    /// Returns the reason as a sentence about `runner`.
    pub fn message(&self, runner: &Runner) -> String {
        let name = &runner.name;
        match self {
            Rejection::HostNotRunning => format!(
                "runner `{name}` is on a host with `concurrent = 0`, where gitlab-runner exits \
                 at start, so it requests no jobs"
            ),
            Rejection::OtherServer { url, server_host } => format!(
                "runner `{name}` requests jobs from `{url}` (its `url`), not from the GitLab \
                 server `{server_host}` of this pipeline"
            ),
            Rejection::ExecutorNotFound => {
                format!("runner `{name}` has no valid `executor`, so it requests no jobs")
            }
            Rejection::Paused => format!("runner `{name}` is paused"),
            Rejection::SharedRunnersDisabled => format!(
                "runner `{name}` is an instance runner and the project has instance runners \
                 disabled"
            ),
            Rejection::ProjectNotAssigned { projects, locked } => {
                let locked = if *locked {
                    " and is locked to them"
                } else {
                    ""
                };
                format!(
                    "runner `{name}` is assigned to {}{locked}, not to this project",
                    backticked(projects)
                )
            }
            Rejection::GroupNotAncestor { groups } => format!(
                "runner `{name}` belongs to group {}, which does not contain this project",
                backticked(groups)
            ),
            Rejection::ProtectedRefOnly => format!(
                "runner `{name}` runs only jobs of protected branches and tags, and this ref is \
                 not protected"
            ),
            Rejection::MissingTags { tags } => {
                format!("runner `{name}` lacks the tags {}", backticked(tags))
            }
            Rejection::UntaggedJob => format!(
                "runner `{name}` does not run untagged jobs (`run_untagged = false`) and this \
                 job has no tags"
            ),
        }
    }
}

/// Lists, for each job of `pipeline`, the runners of `fleet` GitLab may hand it to, why the
/// others cannot take it, and which of the eligible runners fail the job once they take it
/// ([`JobMatch::failing`]).
///
/// Only a job's tags decide among runners once the runner-side checks are done, so the result
/// is computed once per distinct tag list and shared by the jobs that have it.
///
/// A child pipeline runs in the same project and on the same ref as its parent, so its jobs
/// are matched with the same `context`, in [`Matching::children`].
pub fn match_jobs(pipeline: &Pipeline, fleet: &Fleet, context: &MatchContext) -> Matching {
    let runner_checks: Vec<Option<Rejection>> = fleet
        .runners
        .iter()
        .map(|runner| reject_host(runner, fleet).or_else(|| reject_runner(runner, context)))
        .collect();
    let mut matching = match_pipeline(pipeline, fleet, &runner_checks);
    super::failure::add_failures(pipeline, fleet, &mut matching);
    matching
}

fn match_pipeline(
    pipeline: &Pipeline,
    fleet: &Fleet,
    runner_checks: &[Option<Rejection>],
) -> Matching {
    let mut by_tags: HashMap<&[CompactString], (Vec<usize>, Vec<RunnerRejection>)> =
        HashMap::default();

    let mut jobs = Vec::with_capacity(pipeline.jobs.len());
    for job in &pipeline.jobs {
        if job.kind == JobKind::Bridge || job.creation_failure().is_some() {
            jobs.push(JobMatch {
                job: job.name.to_string(),
                needs_runner: false,
                eligible: Vec::new(),
                rejected: Vec::new(),
                stuck: false,
                failing: Vec::new(),
            });
            continue;
        }
        let (eligible, rejected) = by_tags
            .entry(job.runner_tags())
            .or_insert_with(|| match_tags(job.runner_tags(), fleet, runner_checks));
        jobs.push(JobMatch {
            job: job.name.to_string(),
            needs_runner: true,
            stuck: eligible.is_empty(),
            eligible: eligible.clone(),
            rejected: rejected.clone(),
            failing: Vec::new(),
        });
    }
    let children = pipeline
        .jobs
        .iter()
        .filter_map(|job| {
            let child = crate::schedule::simulated_child(job)?;
            Some(ChildMatching {
                trigger: job.name.to_string(),
                matching: match_pipeline(child, fleet, runner_checks),
            })
        })
        .collect();
    Matching { jobs, children }
}

/// Splits the runners into those that take a job with `tags` and those that do not.
fn match_tags(
    tags: &[CompactString],
    fleet: &Fleet,
    runner_checks: &[Option<Rejection>],
) -> (Vec<usize>, Vec<RunnerRejection>) {
    let mut eligible = Vec::new();
    let mut rejected = Vec::new();
    for (index, (runner, runner_check)) in fleet.runners.iter().zip(runner_checks).enumerate() {
        let reason = runner_check.clone().or_else(|| reject_tags(tags, runner));
        match reason {
            None => eligible.push(index),
            Some(reason) => rejected.push(RunnerRejection {
                runner: index,
                message: reason.message(runner),
                reason,
            }),
        }
    }
    (eligible, rejected)
}

/// Returns [`Rejection::HostNotRunning`] when `runner`'s host has `concurrent = 0`.
fn reject_host(runner: &Runner, fleet: &Fleet) -> Option<Rejection> {
    let host = fleet.hosts.get(runner.host)?;
    (host.concurrent == 0).then_some(Rejection::HostNotRunning)
}

/// Returns the first reason `runner` cannot take `job`, in the order GitLab checks. The
/// runner's host is not looked at, so [`Rejection::HostNotRunning`] comes only from
/// [`match_jobs`].
pub fn reject(job: &PlannedJob, runner: &Runner, context: &MatchContext) -> Option<Rejection> {
    reject_runner(runner, context).or_else(|| reject_tags(job.runner_tags(), runner))
}

/// Runs the checks that do not depend on the job: server, executor, paused, scope and protected
/// refs.
fn reject_runner(runner: &Runner, context: &MatchContext) -> Option<Rejection> {
    if let Some(rejection) = reject_server(runner, context) {
        return Some(rejection);
    }
    if runner.executor.is_none() {
        return Some(Rejection::ExecutorNotFound);
    }
    if runner.paused {
        return Some(Rejection::Paused);
    }
    if let Some(rejection) = reject_scope(runner, context) {
        return Some(rejection);
    }
    if runner.access_level == AccessLevel::RefProtected && !context.ref_protected {
        return Some(Rejection::ProtectedRefOnly);
    }
    None
}

/// Returns [`Rejection::OtherServer`] when the server host is known and `runner`'s `url` names
/// another server.
fn reject_server(runner: &Runner, context: &MatchContext) -> Option<Rejection> {
    let server_host = context.server_host.as_deref()?;
    let url = runner.url.as_deref()?;
    let runner_address = UrlAddress::parse(url)?;
    let server_url = format!("https://{server_host}");
    let server_address = UrlAddress::parse(&server_url)?;
    (!runner_address.same_server(&server_address)).then(|| Rejection::OtherServer {
        url: url.to_owned(),
        server_host: server_host.to_owned(),
    })
}

/// The host and port of an `http` or `https` URL, the parts that tell which GitLab server a
/// runner's `url` names.
///
/// NOTE: the path is not compared, because a server host has none. A runner of
/// `https://example.com/gitlab` matches the server host `example.com`, although a GitLab under
/// a relative URL root at `/gitlab` and one at `/` can be different servers.
#[derive(Debug, PartialEq, Eq)]
struct UrlAddress<'a> {
    host: UrlHost<'a>,
    /// The port as written, else 443 for `https`. `None` for `http` without a port or with
    /// port 80, because a server that listens on 443 often serves plain HTTP on 80 as well.
    port: Option<u16>,
}

/// The host of a URL: an IP address, or a host name as written without a final `.`.
#[derive(Debug, PartialEq, Eq)]
enum UrlHost<'a> {
    /// An IPv4 address, or an IPv6 address written in brackets. An IPv4-mapped IPv6 address
    /// (`[::ffff:192.0.2.1]`) is stored as its IPv4 address, which Go's dialer connects to.
    Ip(IpAddr),
    Name(&'a str),
}

impl UrlHost<'_> {
    /// Returns whether both hosts name the same server: equal IP addresses, or host names that
    /// are equal without regard to ASCII case. A name and an address never match, because
    /// comparing them would need DNS.
    fn same_host(&self, other: &UrlHost<'_>) -> bool {
        match (self, other) {
            (UrlHost::Ip(mine), UrlHost::Ip(theirs)) => mine == theirs,
            (UrlHost::Name(mine), UrlHost::Name(theirs)) => mine.eq_ignore_ascii_case(theirs),
            _ => false,
        }
    }
}

impl<'a> UrlAddress<'a> {
    /// Parses `url`, or returns `None` when it cannot be compared: no `http` or `https`
    /// scheme, no host, a port that is not 0 to 65535 in digits, a `$` that gitlab-runner
    /// expands from its environment, a host with non-ASCII letters, or brackets around
    /// something other than an IPv6 address without a zone.
    ///
    /// An IPv6 host is compared by its address, as Go's `net/url` parses it and its dialer
    /// connects to it, so `[2001:DB8::1]` and `[2001:db8:0:0:0:0:0:1]` are one host. Go's
    /// `url.Parse` accepts only `:PORT` after the `]`, and a port of no digits (`host:`)
    /// means the scheme's default.
    ///
    /// NOTE: Go's `net/http` connects to a Unicode host by its IDNA ASCII form
    /// (`canonicalAddr` calls `idnaASCII`), so `bücher.example` is `xn--bcher-kva.example`.
    /// This crate has no IDNA mapping, so such a host is not compared. An IPv6 address with a
    /// zone (`[fe80::1%25eth0]`) is not compared either, because a server host has no zone.
    fn parse(url: &'a str) -> Option<UrlAddress<'a>> {
        if url.contains('$') {
            return None;
        }
        let (scheme, rest) = url.split_once("://")?;
        let https = if scheme.eq_ignore_ascii_case("https") {
            true
        } else if scheme.eq_ignore_ascii_case("http") {
            false
        } else {
            return None;
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let authority = authority
            .rsplit_once('@')
            .map_or(authority, |(_, after)| after);
        let (host, written_port) = match authority.strip_prefix('[') {
            Some(bracketed) => {
                let (literal, after) = bracketed.rsplit_once(']')?;
                let address = literal.parse::<Ipv6Addr>().ok()?;
                let port = match after {
                    "" => None,
                    _ => Some(after.strip_prefix(':')?),
                };
                (UrlHost::Ip(address.to_canonical()), port)
            }
            None => {
                let (host, port) = match authority.rsplit_once(':') {
                    Some((host, port)) => (host, Some(port)),
                    None => (authority, None),
                };
                let host = host.strip_suffix('.').unwrap_or(host);
                if host.is_empty() || !host.is_ascii() {
                    return None;
                }
                let host = match host.parse::<Ipv4Addr>() {
                    Ok(address) => UrlHost::Ip(IpAddr::V4(address)),
                    Err(_) => UrlHost::Name(host),
                };
                (host, port)
            }
        };
        // Go's `url.Parse` accepts digits only, where Rust's `parse` also takes a leading `+`.
        let written_port = match written_port {
            None | Some("") => None,
            Some(port) if !port.bytes().all(|byte| byte.is_ascii_digit()) => return None,
            Some(port) => Some(port.parse::<u16>().ok()?),
        };
        let port = match written_port {
            Some(80) if !https => None,
            Some(port) => Some(port),
            None => https.then_some(443),
        };
        Some(UrlAddress { host, port })
    }

    /// Returns whether both addresses name the same server: the same host (see
    /// [`UrlHost::same_host`]), and the same port where both have one.
    fn same_server(&self, other: &UrlAddress<'_>) -> bool {
        let same_port = match (self.port, other.port) {
            (Some(mine), Some(theirs)) => mine == theirs,
            _ => true,
        };
        self.host.same_host(&other.host) && same_port
    }
}

/// The tag checks: every job tag must be a runner tag, and a job without tags needs
/// `run_untagged`.
fn reject_tags(tags: &[CompactString], runner: &Runner) -> Option<Rejection> {
    let mut missing: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.as_str();
        if !runner.tags.iter().any(|have| have == tag)
            && !missing.iter().any(|listed| listed == tag)
        {
            missing.push(tag.to_owned());
        }
    }
    if !missing.is_empty() {
        return Some(Rejection::MissingTags { tags: missing });
    }
    if tags.is_empty() && !runner.run_untagged {
        return Some(Rejection::UntaggedJob);
    }
    None
}

/// Checks the queue GitLab builds for the runner's type: instance runners serve projects with
/// instance runners enabled, group runners the projects under their group, project runners
/// their assigned projects. A group or project runner without a list serves the planned
/// project.
fn reject_scope(runner: &Runner, context: &MatchContext) -> Option<Rejection> {
    match runner.runner_type {
        RunnerType::InstanceType => {
            (!context.shared_runners_enabled).then_some(Rejection::SharedRunnersDisabled)
        }
        RunnerType::GroupType => {
            let served = runner.groups.is_empty()
                || runner
                    .groups
                    .iter()
                    .any(|group| group_contains(group, &context.project));
            (!served).then(|| Rejection::GroupNotAncestor {
                groups: runner.groups.clone(),
            })
        }
        RunnerType::ProjectType => {
            let served = runner.projects.is_empty()
                || runner.projects.iter().any(|project| {
                    project
                        .trim_matches('/')
                        .eq_ignore_ascii_case(&context.project)
                });
            (!served).then(|| Rejection::ProjectNotAssigned {
                projects: runner.projects.clone(),
                locked: runner.locked,
            })
        }
    }
}

/// Returns whether `project` is in `group` or one of its subgroups. GitLab finds groups and
/// projects by path without regard to ASCII case, so `Team` contains `team/app`.
fn group_contains(group: &str, project: &str) -> bool {
    let group = group.trim_matches('/');
    let Some(head) = project.get(..group.len()) else {
        return false;
    };
    let rest = project.get(group.len()..).unwrap_or_default();
    head.eq_ignore_ascii_case(group) && rest.starts_with('/')
}

fn backticked(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
