//! The eligible runners that take a job and then fail it, found from the executor checks'
//! errors.
//!
//! Matching decides only which runners GitLab hands a job to. Some settings of such a runner
//! make gitlab-runner fail the job after it took it, each at a known point of the run (all
//! read from gitlab-runner's source, `common/build.go` and the executors):
//!
//! - In the executor's `Prepare`. The Docker executors check `allowed_images`,
//!   `allowed_services` and `services_limit` there, Docker and Kubernetes check
//!   `allowed_pull_policies`, Kubernetes checks each `KUBERNETES_*` resource variable against
//!   its `*_overwrite_max_allowed` (`createOverwrites`, before the pull policy), and VirtualBox
//!   and Parallels check `allowed_images`. These errors are not `common.BuildError`s, so
//!   `retryCreateExecutor` tries `Prepare` `PreparationRetries` (3) times, waiting
//!   `PreparationRetryInterval` (3 s) after each failure. Then the job fails with
//!   `runner_system_failure`.
//! - When the Kubernetes executor creates the job pod, in the first stage of the job: an
//!   image or service outside `allowed_images` or `allowed_services`, and a request above its
//!   limit, which Kubernetes rejects. The error is not a `common.BuildError` either, so the job
//!   fails with `runner_system_failure`, without another try.
//! - In the job's script: a Docker-in-Docker service that cannot start without privileges, or
//!   a `DOCKER_HOST` or TLS setting that points the Docker client away from the daemon. The
//!   runner only warns (a service health check that fails is a warning), and the script fails
//!   at its first Docker command, which exits with code 1.

use serde::Serialize;

use crate::pipeline::{Pipeline, PlannedJob};

use super::check::runner_errors;
use super::{Executor, Fleet, Matching, Runner};

/// The failure reason gitlab-runner sends for an error that is not a `common.BuildError`.
pub const RUNNER_SYSTEM_FAILURE: &str = "runner_system_failure";
/// The failure reason of a script that exits with a code other than 0.
pub const SCRIPT_FAILURE: &str = "script_failure";

/// Seconds from the start of a job to its failure in the executor's `Prepare`: three tries,
/// each followed by gitlab-runner's 3-second `PreparationRetryInterval`. The time `Prepare`
/// itself takes (connecting to the Docker daemon, creating the network and volumes) is not
/// counted, so a real job fails a little later.
pub const PREPARE_FAILURE_SECONDS: u64 = 9;
/// Seconds from the start of a job to its failure when the Kubernetes executor creates the
/// pod. NOTE: this is an estimate. The runner makes a few API requests before the API rejects
/// the pod, usually within a second, and the simulation counts whole seconds.
pub const POD_FAILURE_SECONDS: u64 = 1;
/// The exit code of a Docker client that cannot reach the daemon.
pub const DOCKER_CLIENT_EXIT_CODE: i64 = 1;

/// The point of a job's run at which a runner fails it, in the order a run reaches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureStage {
    /// The executor's `Prepare`, before any part of the job runs: `runner_system_failure`
    /// after [`PREPARE_FAILURE_SECONDS`].
    Prepare,
    /// The creation of the Kubernetes job pod: `runner_system_failure` after
    /// [`POD_FAILURE_SECONDS`].
    PodCreation,
    /// The job's script: `script_failure` with exit code [`DOCKER_CLIENT_EXIT_CODE`], at the
    /// job's run time, because where the script first calls Docker is not known.
    Script,
}

/// An eligible runner that takes a job and fails it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunnerFailure {
    /// Index of the runner in [`Fleet::runners`].
    pub runner: usize,
    /// When the run fails.
    pub stage: FailureStage,
    /// The code of the executor check's error, such as `fleet-image-not-allowed`.
    pub code: &'static str,
    /// The error's message.
    pub message: String,
}

impl RunnerFailure {
    /// Returns GitLab's failure reason of the attempt.
    pub fn failure_reason(&self) -> &'static str {
        match self.stage {
            FailureStage::Prepare | FailureStage::PodCreation => RUNNER_SYSTEM_FAILURE,
            FailureStage::Script => SCRIPT_FAILURE,
        }
    }

    /// Returns the seconds from the attempt's start to its failure, or `None` when the attempt
    /// runs for the job's own run time.
    pub fn seconds(&self) -> Option<u64> {
        match self.stage {
            FailureStage::Prepare => Some(PREPARE_FAILURE_SECONDS),
            FailureStage::PodCreation => Some(POD_FAILURE_SECONDS),
            FailureStage::Script => None,
        }
    }

    /// Returns the exit code of the failed attempt, for a failure in the script.
    pub fn exit_code(&self) -> Option<i64> {
        (self.stage == FailureStage::Script).then_some(DOCKER_CLIENT_EXIT_CODE)
    }
}

/// Fills [`super::JobMatch::failing`] of every job of `pipeline` and of its child pipelines
/// in `matching`.
pub(super) fn add_failures(pipeline: &Pipeline, fleet: &Fleet, matching: &mut Matching) {
    add_pipeline_failures(pipeline, fleet, matching, "");
}

/// `prefix` is the trigger jobs that lead to `pipeline`, each followed by `/`, so that
/// messages name child jobs as the schedule does.
fn add_pipeline_failures(
    pipeline: &Pipeline,
    fleet: &Fleet,
    matching: &mut Matching,
    prefix: &str,
) {
    for (job, job_match) in pipeline.jobs.iter().zip(&mut matching.jobs) {
        let name = format!("{prefix}{}", job.name);
        job_match.failing = job_match
            .eligible
            .iter()
            .filter_map(|&index| {
                let runner = fleet.runners.get(index)?;
                failure_on(job, &name, runner, index)
            })
            .collect();
    }
    for child in &mut matching.children {
        let downstream = pipeline
            .job(&child.trigger)
            .and_then(crate::schedule::simulated_child);
        if let Some(downstream) = downstream {
            let prefix = format!("{prefix}{}/", child.trigger);
            add_pipeline_failures(downstream, fleet, &mut child.matching, &prefix);
        }
    }
}

/// Returns how `runner` (at `index` in the fleet) fails `job`, when it does: the error that
/// the run reaches first.
fn failure_on(
    job: &PlannedJob,
    name: &str,
    runner: &Runner,
    index: usize,
) -> Option<RunnerFailure> {
    let executor = runner.executor?;
    let mut first: Option<RunnerFailure> = None;
    for diagnostic in runner_errors(job, name, runner) {
        let Some(stage) = stage_of(diagnostic.code, executor) else {
            continue;
        };
        if first.as_ref().is_some_and(|found| found.stage <= stage) {
            continue;
        }
        first = Some(RunnerFailure {
            runner: index,
            stage,
            code: diagnostic.code,
            message: diagnostic.message.clone(),
        });
    }
    first
}

/// Returns when a runner with `executor` fails a job for the executor check error `code`, or
/// `None` for an error that does not fail the job.
fn stage_of(code: &str, executor: Executor) -> Option<FailureStage> {
    let kubernetes = executor == Executor::Kubernetes;
    match code {
        "fleet-pull-policy-not-allowed" | "fleet-services-limit-exceeded" => {
            Some(FailureStage::Prepare)
        }
        "fleet-kubernetes-overwrite-too-high" | "fleet-kubernetes-overwrite-invalid"
            if kubernetes =>
        {
            Some(FailureStage::Prepare)
        }
        "fleet-image-not-allowed" | "fleet-service-not-allowed" if kubernetes => {
            Some(FailureStage::PodCreation)
        }
        "fleet-image-not-allowed" | "fleet-service-not-allowed" => Some(FailureStage::Prepare),
        "fleet-kubernetes-request-above-limit" if kubernetes => Some(FailureStage::PodCreation),
        "fleet-dind-not-privileged"
        | "fleet-docker-host-localhost"
        | "fleet-docker-tls-port"
        | "fleet-docker-tls-verify" => Some(FailureStage::Script),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::PipelineContext;
    use crate::files::MemoryFiles;
    use crate::fleet::{JobMatch, MatchContext, match_jobs};
    use crate::pipeline::{PlanOptions, plan};
    use crate::source::SourceMap;

    /// Plans `yaml` and matches it to the runners of `toml`.
    fn matched(yaml: &str, toml: &str) -> (Fleet, Matching) {
        let files = MemoryFiles::new().with_file(".gitlab-ci.yml", yaml);
        let context = PipelineContext::default();
        let (_, pipeline) = plan(".gitlab-ci.yml", &files, &context, &PlanOptions::default());
        let pipeline = pipeline.unwrap();
        let mut sources = SourceMap::new();
        let file = sources.add("config.toml", toml);
        let (fleet, diagnostics) = Fleet::parse(&[(file, toml)], &sources);
        assert!(!diagnostics.iter().any(|d| d.is_error()), "{diagnostics:?}");
        let matching = match_jobs(&pipeline, &fleet, &MatchContext::from(&context));
        (fleet, matching)
    }

    fn job<'m>(matching: &'m Matching, name: &str) -> &'m JobMatch {
        matching.job(name).unwrap()
    }

    /// Returns the single failure of job `name`, as (runner index, stage, code).
    fn only_failure(matching: &Matching, name: &str) -> (usize, FailureStage, &'static str) {
        let failing = &job(matching, name).failing;
        assert_eq!(failing.len(), 1, "{failing:#?}");
        let failure = &failing[0];
        (failure.runner, failure.stage, failure.code)
    }

    const DOCKER: &str = "[[runners]]\nname = \"d\"\nexecutor = \"docker\"\n\
        [runners.docker]\nimage = \"alpine\"\n\
        allowed_images = [\"registry.example.com/**\", \"alpine*\"]\n\
        allowed_services = [\"postgres:*\"]\n\
        pull_policy = [\"if-not-present\"]\n\
        allowed_pull_policies = [\"if-not-present\", \"never\"]\n\
        services_limit = 1\n";

    const KUBERNETES: &str = "[[runners]]\nname = \"k\"\nexecutor = \"kubernetes\"\n\
        [runners.kubernetes]\nimage = \"alpine\"\n\
        allowed_images = [\"alpine*\"]\n\
        allowed_services = [\"postgres:*\"]\n\
        pull_policy = [\"if-not-present\"]\n";

    #[test]
    fn docker_checks_fail_in_prepare() {
        let yaml = "bad: {script: x, image: \"docker.io/kalilinux/kali:latest\"}\n\
            pp: {script: x, image: {name: alpine, pull_policy: always}}\n\
            svc: {script: x, image: alpine, services: [redis:7]}\n\
            many: {script: x, image: alpine, services: [postgres:15, postgres:16]}\n";
        let (_, matching) = matched(yaml, DOCKER);
        let cases = [
            ("bad", "fleet-image-not-allowed"),
            ("pp", "fleet-pull-policy-not-allowed"),
            ("svc", "fleet-service-not-allowed"),
            ("many", "fleet-services-limit-exceeded"),
        ];
        for (name, code) in cases {
            assert_eq!(
                only_failure(&matching, name),
                (0, FailureStage::Prepare, code),
                "{name}"
            );
        }
    }

    #[test]
    fn allowed_job_not_failing() {
        let yaml = "ok: {script: x, image: \"registry.example.com/team/app:1\"}\n\
            noimg: {script: x}\n\
            one: {script: x, image: alpine, services: [postgres:16]}\n";
        let (_, matching) = matched(yaml, DOCKER);
        for name in ["ok", "noimg", "one"] {
            assert!(job(&matching, name).failing.is_empty(), "{name}");
        }
    }

    #[test]
    fn prepare_failure_timing() {
        let yaml = "bad: {script: x, image: ubuntu}\n";
        let (_, matching) = matched(yaml, DOCKER);
        let failure = &job(&matching, "bad").failing[0];
        assert_eq!(failure.failure_reason(), "runner_system_failure");
        assert_eq!(failure.seconds(), Some(PREPARE_FAILURE_SECONDS));
        assert_eq!(failure.exit_code(), None);
        assert_eq!(
            failure.message,
            "The \"ubuntu\" image is not present on list of allowed images"
        );
    }

    #[test]
    fn kubernetes_allowed_images_fail_at_pod() {
        let yaml = "bad: {script: x, image: ubuntu}\n\
            svc: {script: x, services: [redis:7]}\n";
        let (_, matching) = matched(yaml, KUBERNETES);
        for (name, code) in [
            ("bad", "fleet-image-not-allowed"),
            ("svc", "fleet-service-not-allowed"),
        ] {
            assert_eq!(
                only_failure(&matching, name),
                (0, FailureStage::PodCreation, code),
                "{name}"
            );
        }
        let failure = &job(&matching, "bad").failing[0];
        assert_eq!(failure.failure_reason(), "runner_system_failure");
        assert_eq!(failure.seconds(), Some(POD_FAILURE_SECONDS));
    }

    #[test]
    fn kubernetes_pull_policy_fails_in_prepare() {
        // The pull policy is checked in `Prepare`, before the pod with the image exists.
        let yaml = "pp: {script: x, image: {name: alpine, pull_policy: always}}\n";
        let (_, matching) = matched(yaml, KUBERNETES);
        assert_eq!(
            only_failure(&matching, "pp"),
            (0, FailureStage::Prepare, "fleet-pull-policy-not-allowed")
        );
    }

    #[test]
    fn kubernetes_request_above_limit_fails_every_job() {
        let toml = "[[runners]]\nname = \"k\"\nexecutor = \"kubernetes\"\n\
            [runners.kubernetes]\ncpu_request = \"2\"\ncpu_limit = \"1\"\n";
        let (_, matching) = matched("a: {script: x}\n", toml);
        assert_eq!(
            only_failure(&matching, "a"),
            (
                0,
                FailureStage::PodCreation,
                "fleet-kubernetes-request-above-limit"
            )
        );
    }

    #[test]
    fn kubernetes_job_request_above_limit() {
        let toml = "[[runners]]\nname = \"k\"\nexecutor = \"kubernetes\"\n\
            [runners.kubernetes]\ncpu_limit = \"1\"\ncpu_request_overwrite_max_allowed = \"4\"\n";
        let yaml = "a: {script: x, variables: {KUBERNETES_CPU_REQUEST: \"2\"}}\n";
        let (_, matching) = matched(yaml, toml);
        assert_eq!(
            only_failure(&matching, "a"),
            (
                0,
                FailureStage::PodCreation,
                "fleet-kubernetes-request-above-limit"
            )
        );
    }

    #[test]
    fn kubernetes_overwrite_above_max_fails_in_prepare() {
        let toml = "[[runners]]\nname = \"k\"\nexecutor = \"kubernetes\"\n\
            [runners.kubernetes]\ncpu_request_overwrite_max_allowed = \"2\"\n";
        let yaml = "a: {script: x, variables: {KUBERNETES_CPU_REQUEST: \"4\"}}\n";
        let (_, matching) = matched(yaml, toml);
        assert_eq!(
            only_failure(&matching, "a"),
            (
                0,
                FailureStage::Prepare,
                "fleet-kubernetes-overwrite-too-high"
            )
        );
        let failure = &job(&matching, "a").failing[0];
        assert_eq!(failure.failure_reason(), "runner_system_failure");
        assert_eq!(failure.seconds(), Some(PREPARE_FAILURE_SECONDS));
        assert_eq!(
            failure.message,
            "invalid build requests specified: the resource \"CPURequest\" requested \"4\" is \
             higher than limit allowed \"2\""
        );
    }

    #[test]
    fn kubernetes_overwrite_keys_checked() {
        // Every group gitlab-runner checks: build, service, helper and pod; requests and
        // limits; CPU, memory and ephemeral storage (the pod has no ephemeral storage).
        let cases = [
            (
                "cpu_request",
                "KUBERNETES_CPU_REQUEST",
                "build requests",
                "CPURequest",
            ),
            (
                "memory_limit",
                "KUBERNETES_MEMORY_LIMIT",
                "build limits",
                "MemoryLimit",
            ),
            (
                "ephemeral_storage_request",
                "KUBERNETES_EPHEMERAL_STORAGE_REQUEST",
                "build requests",
                "EphemeralStorageRequest",
            ),
            (
                "service_cpu_limit",
                "KUBERNETES_SERVICE_CPU_LIMIT",
                "service limits",
                "ServiceCPULimit",
            ),
            (
                "service_ephemeral_storage_limit",
                "KUBERNETES_SERVICE_EPHEMERAL_STORAGE_LIMIT",
                "service limits",
                "ServiceEphemeralStorageLimit",
            ),
            (
                "helper_memory_request",
                "KUBERNETES_HELPER_MEMORY_REQUEST",
                "helper requests",
                "HelperMemoryRequest",
            ),
            (
                "helper_ephemeral_storage_limit",
                "KUBERNETES_HELPER_EPHEMERAL_STORAGE_LIMIT",
                "helper limits",
                "HelperEphemeralStorageLimit",
            ),
            (
                "pod_cpu_request",
                "KUBERNETES_POD_CPU_REQUEST",
                "Pod requests",
                "PodCPURequest",
            ),
            (
                "pod_memory_limit",
                "KUBERNETES_POD_MEMORY_LIMIT",
                "Pod limits",
                "PodMemoryLimit",
            ),
        ];
        for (key, variable, group, resource) in cases {
            let toml = format!(
                "[[runners]]\nname = \"k\"\nexecutor = \"kubernetes\"\n\
                 [runners.kubernetes]\n{key}_overwrite_max_allowed = \"1\"\n"
            );
            let yaml = format!("a: {{script: x, variables: {{{variable}: \"3\"}}}}\n");
            let (_, matching) = matched(&yaml, &toml);
            assert_eq!(
                only_failure(&matching, "a"),
                (
                    0,
                    FailureStage::Prepare,
                    "fleet-kubernetes-overwrite-too-high"
                ),
                "{key}"
            );
            assert_eq!(
                job(&matching, "a").failing[0].message,
                format!(
                    "invalid {group} specified: the resource \"{resource}\" requested \"3\" is \
                     higher than limit allowed \"1\""
                ),
                "{key}"
            );
        }
    }

    #[test]
    fn kubernetes_overwrite_without_max_ignored() {
        let toml = "[[runners]]\nname = \"k\"\nexecutor = \"kubernetes\"\n\
            [runners.kubernetes]\ncpu_limit_overwrite_max_allowed = \"2\"\n";
        let yaml = "a: {script: x, variables: {KUBERNETES_CPU_REQUEST: \"4\", \
            KUBERNETES_POD_EPHEMERAL_STORAGE_LIMIT: \"9\"}}\n";
        let (_, matching) = matched(yaml, toml);
        assert!(job(&matching, "a").failing.is_empty());
    }

    #[test]
    fn kubernetes_overwrite_before_pull_policy() {
        // `Prepare` reads the overwrites before it checks the pull policy.
        let toml = format!("{KUBERNETES}cpu_request_overwrite_max_allowed = \"2\"\n");
        let yaml = "a: {script: x, image: {name: alpine, pull_policy: always}, \
            variables: {KUBERNETES_CPU_REQUEST: \"4\"}}\n";
        let (_, matching) = matched(yaml, &toml);
        assert_eq!(
            only_failure(&matching, "a"),
            (
                0,
                FailureStage::Prepare,
                "fleet-kubernetes-overwrite-too-high"
            )
        );
    }

    #[test]
    fn vm_image_fails_in_prepare() {
        let toml = "[[runners]]\nname = \"vb\"\nexecutor = \"virtualbox\"\n\
            [runners.virtualbox]\nbase_name = \"win-2022\"\nallowed_images = [\"^win-\"]\n";
        let (_, matching) = matched("a: {script: x, image: macos-14}\n", toml);
        assert_eq!(
            only_failure(&matching, "a"),
            (0, FailureStage::Prepare, "fleet-image-not-allowed")
        );
    }

    #[test]
    fn docker_client_errors_fail_script() {
        let toml = "[[runners]]\nname = \"d\"\nexecutor = \"docker\"\n\
            [runners.docker]\nimage = \"docker:27\"\nvolumes = [\"/certs/client\"]\n";
        let privileged = toml.replace("image = ", "privileged = true\nimage = ");
        let cases = [
            (
                "a: {script: x, services: [docker:27-dind], variables: {DOCKER_HOST: tcp://docker:2376}}\n",
                toml,
                "fleet-dind-not-privileged",
            ),
            (
                "a: {script: x, services: [docker:27-dind], variables: {DOCKER_HOST: tcp://localhost:2376}}\n",
                privileged.as_str(),
                "fleet-docker-host-localhost",
            ),
            (
                "a: {script: x, services: [docker:27-dind], variables: {DOCKER_HOST: tcp://docker:2375}}\n",
                privileged.as_str(),
                "fleet-docker-tls-port",
            ),
            (
                "a: {script: x, services: [docker:27-dind], variables: {DOCKER_HOST: tcp://docker:2375, DOCKER_TLS_CERTDIR: \"\", DOCKER_TLS_VERIFY: \"1\"}}\n",
                privileged.as_str(),
                "fleet-docker-tls-verify",
            ),
        ];
        for (yaml, toml, code) in cases {
            let (_, matching) = matched(yaml, toml);
            assert_eq!(
                only_failure(&matching, "a"),
                (0, FailureStage::Script, code),
                "{code}"
            );
            let failure = &job(&matching, "a").failing[0];
            assert_eq!(failure.failure_reason(), "script_failure", "{code}");
            assert_eq!(failure.seconds(), None, "{code}");
            assert_eq!(failure.exit_code(), Some(1), "{code}");
        }
    }

    #[test]
    fn warnings_do_not_fail() {
        let toml = "[[runners]]\nname = \"s\"\nexecutor = \"shell\"\nmaximum_timeout = 600\n";
        let yaml = "a: {script: x, image: ruby, timeout: 2h}\n";
        let (_, matching) = matched(yaml, toml);
        assert!(job(&matching, "a").failing.is_empty());
    }

    #[test]
    fn earliest_stage_wins() {
        // On Kubernetes the pull policy fails `Prepare` before the pod with the image exists.
        let yaml = "a: {script: x, image: {name: ubuntu, pull_policy: always}}\n";
        let (_, matching) = matched(yaml, KUBERNETES);
        assert_eq!(
            only_failure(&matching, "a"),
            (0, FailureStage::Prepare, "fleet-pull-policy-not-allowed")
        );
    }

    #[test]
    fn only_failing_runner_listed() {
        let toml = format!(
            "{DOCKER}[[runners]]\nname = \"open\"\nexecutor = \"docker\"\n[runners.docker]\nimage = \"alpine\"\n"
        );
        let (fleet, matching) = matched("bad: {script: x, image: ubuntu}\n", &toml);
        assert_eq!(job(&matching, "bad").eligible, [0, 1]);
        let failing: Vec<&str> = job(&matching, "bad")
            .failing
            .iter()
            .map(|f| fleet.runners[f.runner].name.as_str())
            .collect();
        assert_eq!(failing, ["d"]);
    }
}
