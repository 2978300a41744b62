//! Fixture tests of the fleet: parsing, matching and executor checks.

use crate::context::PipelineContext;
use crate::diagnostic::{Diagnostic, Severity};
use crate::files::MemoryFiles;
use crate::pipeline::{Pipeline, PlanOptions, plan};
use crate::source::SourceMap;

use super::*;

/// A planned pipeline with a fleet, matched and checked.
struct Setup {
    sources: SourceMap,
    pipeline: Pipeline,
    fleet: Fleet,
    parse_diags: Vec<Diagnostic>,
    matching: Matching,
    check_diags: Vec<Diagnostic>,
}

impl Setup {
    fn new(yaml: &str, tomls: &[(&str, &str)]) -> Setup {
        Setup::with_context(yaml, tomls, &PipelineContext::default())
    }

    fn with_context(yaml: &str, tomls: &[(&str, &str)], context: &PipelineContext) -> Setup {
        let files = MemoryFiles::new().with_file(".gitlab-ci.yml", yaml);
        let (mut resolution, pipeline) =
            plan(".gitlab-ci.yml", &files, context, &PlanOptions::default());
        let pipeline = pipeline.unwrap();
        let ids: Vec<_> = tomls
            .iter()
            .map(|(name, text)| (resolution.sources.add(*name, *text), *text))
            .collect();
        let (fleet, parse_diags) = Fleet::parse(&ids, &resolution.sources);
        let matching = match_jobs(&pipeline, &fleet, &MatchContext::from(context));
        let check_diags = check(&pipeline, &fleet, &matching, &resolution.sources);
        Setup {
            sources: resolution.sources,
            pipeline,
            fleet,
            parse_diags,
            matching,
            check_diags,
        }
    }

    fn eligible(&self, job: &str) -> Vec<&str> {
        self.matching
            .job(job)
            .unwrap()
            .eligible
            .iter()
            .map(|&i| self.fleet.runners[i].name.as_str())
            .collect()
    }

    fn rejection(&self, job: &str, runner: &str) -> Rejection {
        let (index, _) = self.fleet.runner(runner).unwrap();
        self.matching
            .job(job)
            .unwrap()
            .rejected
            .iter()
            .find(|r| r.runner == index)
            .unwrap()
            .reason
            .clone()
    }

    fn codes(&self) -> Vec<&'static str> {
        self.check_diags.iter().map(|d| d.code).collect()
    }

    fn check_diag(&self, code: &str) -> &Diagnostic {
        self.check_diags
            .iter()
            .find(|d| d.code == code)
            .unwrap_or_else(|| panic!("no {code} in {:#?}", self.check_diags))
    }
}

/// Parses TOML files on their own.
fn parse(tomls: &[(&str, &str)]) -> (SourceMap, Fleet, Vec<Diagnostic>) {
    let mut sources = SourceMap::new();
    let ids: Vec<_> = tomls
        .iter()
        .map(|(name, text)| (sources.add(*name, *text), *text))
        .collect();
    let (fleet, diags) = Fleet::parse(&ids, &sources);
    (sources, fleet, diags)
}

fn parse_one(text: &str) -> (SourceMap, Fleet, Vec<Diagnostic>) {
    parse(&[("config.toml", text)])
}

/// Line and column of a diagnostic's span start.
fn line_column(sources: &SourceMap, diagnostic: &Diagnostic) -> (u32, u32) {
    let (_, start, _) = sources.resolve(diagnostic.span.unwrap()).unwrap();
    (start.line, start.column)
}

fn snippet<'a>(sources: &'a SourceMap, diagnostic: &Diagnostic) -> &'a str {
    sources.snippet(diagnostic.span.unwrap())
}

/// Returns the warnings and errors among `diags`.
fn problems(diags: &[Diagnostic]) -> Vec<&Diagnostic> {
    diags
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .collect()
}

fn find<'a>(diags: &'a [Diagnostic], code: &str) -> &'a Diagnostic {
    diags
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("no {code} in {diags:#?}"))
}

const EXECUTORS: &str = include_str!("fixtures/executors.toml");
const DIND: &str = include_str!("fixtures/dind.toml");
const DIND_TLS: &str = include_str!("fixtures/dind-tls.yml");
const DIND_NO_TLS: &str = include_str!("fixtures/dind-no-tls.yml");
const SOCKET: &str = include_str!("fixtures/socket.toml");
const MULTI_ARCH_TOML: &str = include_str!("fixtures/multi-arch.toml");
const MULTI_ARCH_YML: &str = include_str!("fixtures/multi-arch.yml");
const CONCURRENCY: &str = include_str!("fixtures/concurrency.toml");
const GITLAB_SETTINGS: &str = include_str!("fixtures/gitlab-settings.toml");

// Parsing

#[test]
fn executors_fixture_parses_cleanly() {
    let (_, _, diags) = parse_one(EXECUTORS);
    assert!(problems(&diags).is_empty(), "{diags:#?}");
}

#[test]
fn executors_fixture_host() {
    let (_, fleet, _) = parse_one(EXECUTORS);
    assert_eq!(fleet.hosts.len(), 1);
    assert_eq!(fleet.hosts[0].name, "config.toml");
    assert_eq!(fleet.hosts[0].concurrent, 3);
    assert_eq!(fleet.hosts[0].check_interval, 10);
}

#[test]
fn executors_fixture_runners() {
    let (_, fleet, _) = parse_one(EXECUTORS);
    let executors: Vec<_> = fleet.runners.iter().map(|r| r.executor).collect();
    assert_eq!(
        executors,
        [
            Some(Executor::Shell),
            Some(Executor::Docker),
            Some(Executor::Kubernetes)
        ]
    );
    let docker = &fleet.runners[1];
    assert_eq!(docker.limit, 2);
    assert_eq!(docker.request_concurrency, 1);
    assert!(docker.has_token);
    assert_eq!(docker.url.as_deref(), Some("https://gitlab.example.com"));
    let settings = docker.docker.as_ref().unwrap();
    assert_eq!(settings.image.as_deref(), Some("alpine:3.20"));
    assert_eq!(settings.pull_policy, ["always", "if-not-present"]);
    assert_eq!(settings.volumes, ["/cache"]);
    let cache = docker.cache.as_ref().unwrap();
    assert_eq!(cache.cache_type.as_deref(), Some("s3"));
    assert!(cache.shared);
}

#[test]
fn kubernetes_settings() {
    let (_, fleet, _) = parse_one(EXECUTORS);
    let runner = &fleet.runners[2];
    assert_eq!(runner.request_concurrency, 4);
    assert_eq!(runner.tags, ["k8s", "linux"]);
    let kubernetes = runner.kubernetes.as_ref().unwrap();
    assert_eq!(kubernetes.namespace.as_deref(), Some("ci"));
    assert_eq!(kubernetes.build.cpu_request.as_deref(), Some("500m"));
    assert_eq!(kubernetes.build.memory_limit.as_deref(), Some("2Gi"));
    assert_eq!(kubernetes.poll_interval, 3);
    assert_eq!(kubernetes.poll_timeout, 600);
    assert_eq!(
        kubernetes
            .node_selector
            .get("kubernetes.io/arch")
            .map(String::as_str),
        Some("amd64")
    );
}

#[test]
fn token_never_serialized() {
    let (_, fleet, _) = parse_one(EXECUTORS);
    let json = serde_json::to_string(&fleet).unwrap();
    assert!(!json.contains("glrt-secret"));
    assert!(json.contains("\"has_token\":true"));
}

#[test]
fn json_shape_snake_case() {
    let (_, fleet, _) = parse_one(EXECUTORS);
    let json = serde_json::to_value(&fleet).unwrap();
    let runner = &json["runners"][1];
    assert_eq!(runner["executor"], "docker");
    assert_eq!(runner["access_level"], "not_protected");
    assert_eq!(runner["runner_type"], "instance_type");
    assert_eq!(runner["run_untagged"], false);
    assert_eq!(runner["cache"]["type"], "s3");
    assert_eq!(json["hosts"][0]["check_interval"], 10);
}

#[test]
fn defaults_without_keys() {
    let (_, fleet, diags) = parse_one("[[runners]]\nexecutor = \"shell\"\n");
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(fleet.hosts[0].concurrent, 1);
    assert_eq!(fleet.hosts[0].check_interval, 3);
    let runner = &fleet.runners[0];
    assert_eq!(runner.name, "runners[0]");
    assert_eq!(runner.limit, 0);
    assert_eq!(runner.request_concurrency, 1);
    assert!(runner.run_untagged);
    assert_eq!(runner.access_level, AccessLevel::NotProtected);
    assert_eq!(runner.runner_type, RunnerType::InstanceType);
    assert_eq!(runner.max_jobs(), None);
}

#[test]
fn check_interval_zero_and_negative() {
    for text in ["check_interval = 0\n", "check_interval = -5\n"] {
        let (_, fleet, _) = parse_one(text);
        assert_eq!(fleet.hosts[0].check_interval, 3, "{text}");
    }
}

#[test]
fn request_concurrency_at_least_one() {
    let (_, fleet, _) = parse_one("[[runners]]\nexecutor = \"shell\"\nrequest_concurrency = 0\n");
    assert_eq!(fleet.runners[0].request_concurrency, 1);
}

#[test]
fn strict_check_interval_read() {
    let (_, fleet, diagnostics) = parse_one(
        "[[runners]]\nexecutor = \"shell\"\nstrict_check_interval = true\n\
         [[runners]]\nexecutor = \"shell\"\n\
         [[runners]]\nexecutor = \"shell\"\nstrict_check_interval = \"yes\"\n",
    );
    let values: Vec<bool> = fleet
        .runners
        .iter()
        .map(|r| r.strict_check_interval)
        .collect();
    assert_eq!(values, [true, false, false]);
    let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0].message,
        "`runners[2].strict_check_interval` should be a boolean, but is string"
    );
}

#[test]
fn run_untagged_default_follows_tags() {
    let (_, fleet, _) = parse_one(
        "[[runners]]\nexecutor = \"shell\"\ntags = [\"a\"]\n\
         [[runners]]\nexecutor = \"shell\"\ntags = []\n\
         [[runners]]\nexecutor = \"shell\"\ntags = [\"a\"]\nrun_untagged = true\n",
    );
    let values: Vec<bool> = fleet.runners.iter().map(|r| r.run_untagged).collect();
    assert_eq!(values, [false, true, true]);
}

#[test]
fn tags_comma_string_trimmed_deduplicated() {
    let (_, fleet, _) = parse_one("[[runners]]\nexecutor = \"shell\"\ntags = \" a, b ,,a\"\n");
    assert_eq!(fleet.runners[0].tags, ["a", "b"]);
}

#[test]
fn tags_list_items_split_at_commas() {
    let (_, fleet, _) = parse_one(
        "[[runners]]\nexecutor = \"shell\"\ntags = [\"linux,arm64\", \" docker \", \"linux\", \",\"]\n",
    );
    assert_eq!(fleet.runners[0].tags, ["linux", "arm64", "docker"]);
}

#[test]
fn every_executor_name_accepted() {
    for executor in Executor::ALL {
        let text = format!("[[runners]]\nexecutor = \"{}\"\n", executor.as_str());
        let (_, fleet, diags) = parse_one(&text);
        assert!(diags.is_empty(), "{text}: {diags:#?}");
        assert_eq!(fleet.runners[0].executor, Some(executor));
    }
}

#[test]
fn unknown_executor_error() {
    let text = "[[runners]]\nname = \"x\"\nexecutor = \"dokcer\"\n";
    let (sources, fleet, diags) = parse_one(text);
    let diag = find(&diags, "fleet-invalid-value");
    assert_eq!(
        diag.message,
        "unknown executor `dokcer` in `runners[0].executor`"
    );
    assert_eq!(diag.help.as_deref(), Some("did you mean `docker`?"));
    assert_eq!(line_column(&sources, diag), (3, 12));
    assert_eq!(fleet.runners[0].executor, None);
}

#[test]
fn removed_docker_ssh_executor() {
    let (_, _, diags) = parse_one("[[runners]]\nexecutor = \"docker-ssh\"\n");
    let diag = find(&diags, "fleet-invalid-value");
    assert!(diag.help.as_deref().unwrap().contains("17.0"));
}

#[test]
fn missing_executor_error() {
    let (sources, _, diags) = parse_one("concurrent = 1\n[[runners]]\nname = \"x\"\n");
    let diag = find(&diags, "fleet-missing-executor");
    assert_eq!(diag.message, "runner `x` has no `executor`");
    assert_eq!(line_column(&sources, diag), (2, 1));
}

#[test]
fn wrong_types_with_positions() {
    let text = "concurrent = \"4\"\n\
                [[runners]]\n\
                executor = \"docker\"\n\
                limit = true\n\
                environment = [\"A=1\", 2]\n\
                [runners.docker]\n\
                privileged = \"yes\"\n";
    let (sources, _, diags) = parse_one(text);
    let found: Vec<(String, (u32, u32))> = diags
        .iter()
        .filter(|d| d.code == "fleet-invalid-type")
        .map(|d| (d.message.clone(), line_column(&sources, d)))
        .collect();
    assert_eq!(
        found,
        [
            (
                "`concurrent` should be an integer, but is string".to_owned(),
                (1, 14)
            ),
            (
                "`runners[0].limit` should be an integer, but is boolean".to_owned(),
                (4, 9)
            ),
            (
                "`runners[0].environment[1]` should be a string, but is integer".to_owned(),
                (5, 23)
            ),
            (
                "`runners[0].docker.privileged` should be a boolean, but is string".to_owned(),
                (7, 14)
            ),
        ]
    );
}

#[test]
fn wrong_type_help() {
    let (_, _, diags) = parse_one("[[runners]]\nexecutor = \"shell\"\nlimit = \"2\"\n");
    let diag = find(&diags, "fleet-invalid-type");
    assert_eq!(diag.help.as_deref(), Some("write it as `limit = 1`"));
}

#[test]
fn negative_limit_error() {
    let (_, fleet, diags) = parse_one("[[runners]]\nexecutor = \"shell\"\nlimit = -1\n");
    let diag = find(&diags, "fleet-invalid-value");
    assert_eq!(
        diag.message,
        "`runners[0].limit` must be between 0 and 4294967295, not -1"
    );
    assert_eq!(fleet.runners[0].limit, 0);
}

#[test]
fn concurrent_zero_error() {
    let (sources, fleet, diags) = parse_one("concurrent = 0\n");
    let diag = find(&diags, "fleet-invalid-value");
    assert_eq!(
        diag.message,
        "Current configuration 'concurrent = 0' means that no jobs will be processed"
    );
    assert_eq!(line_column(&sources, diag), (1, 14));
    assert_eq!(fleet.hosts[0].concurrent, 0);
}

/// gitlab-runner exits at start on a host with `concurrent = 0`, so its runners take no job.
#[test]
fn host_without_workers_rejects_runners() {
    let zero =
        "concurrent = 0\n[[runners]]\nname = \"z\"\nexecutor = \"shell\"\ntags = [\"gpu\"]\n";
    let one = "concurrent = 1\n[[runners]]\nname = \"o\"\nexecutor = \"shell\"\n";
    let setup = Setup::new(
        "a: {script: x, tags: [gpu]}\nb: {script: x}\n",
        &[("zero.toml", zero), ("one.toml", one)],
    );
    assert_eq!(setup.rejection("a", "z"), Rejection::HostNotRunning);
    assert_eq!(setup.rejection("b", "z"), Rejection::HostNotRunning);
    assert_eq!(setup.eligible("a"), Vec::<&str>::new());
    assert_eq!(setup.eligible("b"), ["o"]);
    assert!(setup.matching.job("a").unwrap().stuck);
    let stuck = setup.check_diag("fleet-stuck-job");
    assert!(stuck.message.contains("job `a`"), "{}", stuck.message);
}

/// Changing the job's `tags` cannot help when no runner was rejected for its tags, so the
/// help of a job stuck on a host with `concurrent = 0` names the host setting instead.
#[test]
fn stuck_job_help_fits_host_rejection() {
    let zero = "concurrent = 0\n[[runners]]\nname = \"z\"\nexecutor = \"shell\"\n";
    let setup = Setup::new("a: {script: x}\n", &[("zero.toml", zero)]);
    let help = setup.check_diag("fleet-stuck-job").help.clone().unwrap();
    assert!(!help.contains("`tags`"), "{help}");
    assert!(help.contains("`concurrent`"), "{help}");
    assert!(help.contains("runner `z` is on a host"), "{help}");
}

/// A runner rejected for the job's tags can take the job once its tags change, so the help
/// offers that too.
#[test]
fn stuck_job_help_offers_tags() {
    let zero = "concurrent = 0\n[[runners]]\nname = \"z\"\nexecutor = \"shell\"\n";
    let one = "concurrent = 1\n[[runners]]\nname = \"o\"\nexecutor = \"shell\"\n";
    let setup = Setup::new(
        "a: {script: x, tags: [gpu]}\n",
        &[("zero.toml", zero), ("one.toml", one)],
    );
    let help = setup.check_diag("fleet-stuck-job").help.clone().unwrap();
    assert!(help.contains("change the job's `tags`"), "{help}");
    assert!(help.contains("`concurrent`"), "{help}");
}

#[test]
fn invalid_toml_syntax_with_position() {
    let text = "concurrent = 1\n[[runners]]\nname = \"a\nexecutor = \"shell\"\n";
    let (sources, fleet, diags) = parse_one(text);
    let diag = find(&diags, "fleet-toml-syntax");
    assert!(diag.is_error());
    assert_eq!(line_column(&sources, diag).0, 3);
    assert!(fleet.hosts.is_empty());
    assert!(fleet.runners.is_empty());
}

#[test]
fn invalid_toml_value_position() {
    let (sources, _, diags) = parse_one("concurrent = \nlimit = 1\n");
    let diag = find(&diags, "fleet-toml-syntax");
    assert_eq!(line_column(&sources, diag), (1, 14));
    assert!(diag.message.starts_with("invalid TOML: "));
}

#[test]
fn duplicate_toml_key_error() {
    let (sources, _, diags) = parse_one("concurrent = 1\nconcurrent = 2\n");
    let diag = find(&diags, "fleet-toml-syntax");
    assert_eq!(diag.message, "invalid TOML: duplicate key");
    assert_eq!(line_column(&sources, diag), (2, 1));
}

/// A diagnostic's message, help, position and severity.
type Finding = (String, Option<String>, (u32, u32), Severity);

#[test]
fn unknown_keys_warn_with_suggestion() {
    let text = "concurent = 2\n[[runners]]\nexecutor = \"docker\"\nlimt = 1\n[runners.docker]\nprivilegd = true\n";
    let (sources, _, diags) = parse_one(text);
    let found: Vec<Finding> = diags
        .iter()
        .filter(|d| d.code == "fleet-unknown-key")
        .map(|d| {
            (
                d.message.clone(),
                d.help.clone(),
                line_column(&sources, d),
                d.severity,
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "unknown key `concurent` in `the global section`".to_owned(),
                Some("did you mean `concurrent`?".to_owned()),
                (1, 1),
                Severity::Warning
            ),
            (
                "unknown key `limt` in `[[runners]]`".to_owned(),
                Some("did you mean `limit`?".to_owned()),
                (4, 1),
                Severity::Warning
            ),
            (
                "unknown key `privilegd` in `[runners.docker]`".to_owned(),
                Some("did you mean `privileged`?".to_owned()),
                (6, 1),
                Severity::Warning
            ),
        ]
    );
}

#[test]
fn gitlab_runner_keys_not_unknown() {
    let text = "concurrent = 1\nlog_level = \"info\"\nconnection_max_age = \"15m\"\n\
                [session_server]\nsession_timeout = 1800\n\
                [[runners]]\nexecutor = \"docker+machine\"\nid = 3\noutput_limit = 8192\n\
                [runners.docker]\nhost = \"\"\ntls_verify = false\nshm_size = 0\n\
                services_limit = 2\n[runners.docker.sysctls]\n\"net.ipv4.ip_forward\" = \"1\"\n\
                [runners.machine]\nIdleCount = 2\nMaxBuilds = 10\nMachineOptions = [\"a=b\"]\n\
                [runners.feature_flags]\nFF_NETWORK_PER_BUILD = true\n";
    let (_, fleet, diags) = parse_one(text);
    assert!(diags.is_empty(), "{diags:#?}");
    let machine = fleet.runners[0].machine.as_ref().unwrap();
    assert_eq!(machine.idle_count, 2);
    assert_eq!(machine.max_builds, 10);
}

#[test]
fn pull_policy_string_or_list() {
    let (_, fleet, diags) = parse_one(
        "concurrent = 2\n[[runners]]\nexecutor = \"docker\"\n[runners.docker]\npull_policy = \"never\"\n\
         [[runners]]\nexecutor = \"docker\"\n[runners.docker]\npull_policy = [\"if-not-present\", \"always\"]\n",
    );
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(
        fleet.runners[0].docker.as_ref().unwrap().pull_policy,
        ["never"]
    );
    assert_eq!(
        fleet.runners[1].docker.as_ref().unwrap().pull_policy,
        ["if-not-present", "always"]
    );
}

#[test]
fn unsupported_pull_policy_error() {
    let (_, _, diags) = parse_one(
        "[[runners]]\nexecutor = \"docker\"\n[runners.docker]\npull_policy = \"sometimes\"\n",
    );
    let diag = find(&diags, "fleet-invalid-value");
    assert_eq!(
        diag.message,
        "unsupported pull_policy config: \"sometimes\""
    );
}

#[test]
fn kubernetes_quantity_invalid() {
    let (_, _, diags) = parse_one(
        "[[runners]]\nexecutor = \"kubernetes\"\n[runners.kubernetes]\ncpu_limit = \"lots\"\n",
    );
    let diag = find(&diags, "fleet-invalid-value");
    assert_eq!(
        diag.message,
        "`runners[0].kubernetes.cpu_limit` is not a Kubernetes quantity: `lots`"
    );
}

#[test]
fn kubernetes_helper_service_resources() {
    let (_, fleet, diags) = parse_one(
        "[[runners]]\nexecutor = \"kubernetes\"\n[runners.kubernetes]\n\
         helper_memory_limit = \"256Mi\"\nservice_cpu_request = \"100m\"\n\
         cpu_limit_overwrite_max_allowed = \"4\"\npod_cpu_request = \"1\"\n\
         [[runners.kubernetes.volumes.empty_dir]]\nname = \"certs\"\nmount_path = \"/certs/client\"\n",
    );
    assert!(diags.is_empty(), "{diags:#?}");
    let kubernetes = fleet.runners[0].kubernetes.as_ref().unwrap();
    assert_eq!(kubernetes.helper.memory_limit.as_deref(), Some("256Mi"));
    assert_eq!(kubernetes.service.cpu_request.as_deref(), Some("100m"));
    assert_eq!(
        kubernetes
            .overwrite_max_allowed
            .get("cpu_limit_overwrite_max_allowed")
            .map(String::as_str),
        Some("4")
    );
    assert_eq!(kubernetes.volume_mounts, ["/certs/client"]);
}

#[test]
fn autoscaler_bounds_capacity() {
    let (_, fleet, _) = parse_one(
        "[[runners]]\nexecutor = \"docker-autoscaler\"\nlimit = 10\n\
         [runners.autoscaler]\nplugin = \"aws\"\ncapacity_per_instance = 2\nmax_instances = 3\n",
    );
    let runner = &fleet.runners[0];
    assert_eq!(runner.autoscaler.as_ref().unwrap().max_jobs(), Some(6));
    assert_eq!(runner.max_jobs(), Some(6));
}

#[test]
fn limit_bounds_capacity_below_autoscaler() {
    let (_, fleet, _) = parse_one(
        "[[runners]]\nexecutor = \"docker-autoscaler\"\nlimit = 4\n\
         [runners.autoscaler]\ncapacity_per_instance = 2\nmax_instances = 3\n",
    );
    assert_eq!(fleet.runners[0].max_jobs(), Some(4));
}

#[test]
fn spec_concurrency_example() {
    // gitlab-semantics T9.2.
    let text = "concurrent = 2\ncheck_interval = 10\n[[runners]]\n  name = \"a\"\n  limit = 1\n  \
                executor = \"docker\"\n[[runners]]\n  name = \"b\"\n  executor = \"shell\"\n";
    let (_, fleet, diags) = parse_one(text);
    assert_eq!(fleet.hosts[0].concurrent, 2);
    assert_eq!(fleet.hosts[0].check_interval, 10);
    assert_eq!(fleet.runners[0].max_jobs(), Some(1));
    assert_eq!(fleet.runners[1].max_jobs(), None);
    assert!(
        diags.iter().all(|d| d.severity == Severity::Info),
        "{diags:#?}"
    );
}

#[test]
fn concurrent_below_sum_of_limits() {
    let (sources, _, diags) = parse(&[("concurrency.toml", CONCURRENCY)]);
    let diag = find(&diags, "fleet-concurrent-below-limits");
    assert_eq!(diag.severity, Severity::Info);
    assert_eq!(
        diag.message,
        "`concurrent = 2` is lower than the sum of the runners' `limit`s (8), so at most 2 jobs \
         run at once on this host"
    );
    assert_eq!(snippet(&sources, diag), "2");
}

#[test]
fn worker_starvation_warning() {
    let (_, _, diags) = parse(&[("concurrency.toml", CONCURRENCY)]);
    let diag = find(&diags, "fleet-worker-starvation");
    assert_eq!(diag.severity, Severity::Warning);
    assert_eq!(
        diag.message,
        "Worker starvation bottleneck: 'concurrent' setting (2) is less than number of runners (3)"
    );
}

#[test]
fn build_limit_bottleneck_info() {
    let (_, _, diags) = parse(&[("concurrency.toml", CONCURRENCY)]);
    let diag = find(&diags, "fleet-build-limit-bottleneck");
    assert_eq!(diag.severity, Severity::Info);
    assert!(diag.help.as_deref().unwrap().contains("`c`"));
}

#[test]
fn no_concurrency_note_with_unlimited_runner() {
    let (_, _, diags) = parse_one("concurrent = 1\n[[runners]]\nexecutor = \"shell\"\n");
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn several_files_form_one_fleet() {
    let (_, fleet, diags) = parse(&[
        ("amd64/config.toml", MULTI_ARCH_TOML),
        ("executors/config.toml", EXECUTORS),
    ]);
    assert!(problems(&diags).is_empty(), "{diags:#?}");
    assert_eq!(fleet.hosts.len(), 2);
    assert_eq!(fleet.runners.len(), 5);
    let hosts: Vec<usize> = fleet.runners.iter().map(|r| r.host).collect();
    assert_eq!(hosts, [0, 0, 1, 1, 1]);
    assert_eq!(fleet.host_runners(1).count(), 3);
}

#[test]
fn settings_file_overrides() {
    let (_, fleet, _) = parse(&[("gitlab.toml", GITLAB_SETTINGS), ("config.toml", EXECUTORS)]);
    let (_, docker) = fleet.runner("docker").unwrap();
    assert_eq!(docker.tags, ["docker", "linux"]);
    assert_eq!(docker.access_level, AccessLevel::RefProtected);
    assert_eq!(docker.maximum_timeout, Some(3600));
    assert!(!docker.run_untagged);
}

#[test]
fn settings_file_unknown_runner() {
    let (sources, _, diags) =
        parse(&[("gitlab.toml", GITLAB_SETTINGS), ("config.toml", EXECUTORS)]);
    let diag = find(&diags, "fleet-unknown-runner");
    assert_eq!(diag.message, "no runner is called `missing`");
    assert_eq!(line_column(&sources, diag), (7, 10));
}

#[test]
fn settings_file_span_replaces_config_span() {
    let (sources, fleet, _) =
        parse(&[("gitlab.toml", GITLAB_SETTINGS), ("config.toml", EXECUTORS)]);
    let (_, docker) = fleet.runner("docker").unwrap();
    let span = docker.spans.get("tags").unwrap();
    assert_eq!(sources.get(span.file).unwrap().name, "gitlab.toml");
}

#[test]
fn untagged_without_tags_error() {
    let (sources, _, diags) =
        parse_one("[[runners]]\nexecutor = \"shell\"\nrun_untagged = false\n");
    let diag = find(&diags, "fleet-untagged-without-tags");
    assert_eq!(
        diag.message,
        "Tags list can not be empty when runner is not allowed to pick untagged jobs"
    );
    assert_eq!(snippet(&sources, diag), "false");
}

#[test]
fn maximum_timeout_below_ten_minutes() {
    let (_, fleet, diags) = parse_one("[[runners]]\nexecutor = \"shell\"\nmaximum_timeout = 599\n");
    let diag = find(&diags, "fleet-invalid-value");
    assert_eq!(
        diag.message,
        "Maximum timeout needs to be at least 10 minutes"
    );
    assert_eq!(fleet.runners[0].maximum_timeout, None);
}

#[test]
fn maximum_timeout_at_ten_minutes() {
    let (_, fleet, diags) = parse_one("[[runners]]\nexecutor = \"shell\"\nmaximum_timeout = 600\n");
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(fleet.runners[0].maximum_timeout, Some(600));
}

#[test]
fn maximum_timeout_duration_text() {
    let (_, fleet, _) =
        parse_one("[[runners]]\nexecutor = \"shell\"\nmaximum_timeout = \"2h 30m\"\n");
    assert_eq!(fleet.runners[0].maximum_timeout, Some(9000));
}

#[test]
fn too_many_tags() {
    let tags: Vec<String> = (0..51).map(|i| format!("\"t{i}\"")).collect();
    let text = format!(
        "[[runners]]\nexecutor = \"shell\"\ntags = [{}]\n",
        tags.join(", ")
    );
    let (_, _, diags) = parse_one(&text);
    let diag = find(&diags, "fleet-invalid-value");
    assert_eq!(
        diag.message,
        "Too many tags specified. Please limit the number of tags to 50"
    );
}

#[test]
fn fifty_tags_accepted() {
    let tags: Vec<String> = (0..50).map(|i| format!("\"t{i}\"")).collect();
    let text = format!(
        "[[runners]]\nexecutor = \"shell\"\ntags = [{}]\n",
        tags.join(", ")
    );
    let (_, _, diags) = parse_one(&text);
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn runner_type_inferred_from_lists() {
    let (_, fleet, _) = parse_one(
        "[[runners]]\nexecutor = \"shell\"\ngroups = [\"g\"]\n\
         [[runners]]\nexecutor = \"shell\"\nprojects = [\"g/p\"]\n",
    );
    assert_eq!(fleet.runners[0].runner_type, RunnerType::GroupType);
    assert_eq!(fleet.runners[1].runner_type, RunnerType::ProjectType);
}

#[test]
fn scope_errors() {
    let cases = [
        (
            "runner_type = \"instance_type\"\nprojects = [\"g/p\"]\n",
            "Runner cannot have projects assigned",
        ),
        (
            "runner_type = \"project_type\"\ngroups = [\"g\"]\n",
            "Runner cannot have groups assigned",
        ),
        (
            "groups = [\"a\", \"b\"]\n",
            "Runner needs to be assigned to exactly one group",
        ),
    ];
    for (keys, message) in cases {
        let text = format!("[[runners]]\nexecutor = \"shell\"\n{keys}");
        let (_, _, diags) = parse_one(&text);
        let diag = find(&diags, "fleet-invalid-scope");
        assert_eq!(diag.message, message, "{keys}");
    }
}

#[test]
fn invalid_access_level() {
    let (_, _, diags) =
        parse_one("[[runners]]\nexecutor = \"shell\"\naccess_level = \"protected\"\n");
    let diag = find(&diags, "fleet-invalid-value");
    assert_eq!(
        diag.message,
        "unknown access_level `protected` in `runners[0].access_level`"
    );
}

#[test]
fn duplicate_runner_names_warn() {
    let (_, _, diags) = parse_one(
        "[[runners]]\nname = \"a\"\nexecutor = \"shell\"\n[[runners]]\nname = \"a\"\nexecutor = \"shell\"\n",
    );
    let diag = find(&diags, "fleet-duplicate-runner-name");
    assert_eq!(diag.labels.len(), 1);
}

#[test]
fn service_without_name_error() {
    let (_, _, diags) = parse_one(
        "[[runners]]\nexecutor = \"docker\"\n[[runners.docker.services]]\nalias = \"db\"\n",
    );
    let diag = find(&diags, "fleet-missing-key");
    assert_eq!(
        diag.message,
        "`runners[0].docker.services[0]` has no `name`"
    );
}

#[test]
fn runner_service_hostnames() {
    let service = RunnerService {
        name: "registry.example.com:5000/tools/postgres:16".to_owned(),
        alias: None,
        environment: Vec::new(),
    };
    assert_eq!(
        service.hostnames(),
        [
            "registry.example.com__tools__postgres",
            "registry.example.com-tools-postgres"
        ]
    );
    let aliased = RunnerService {
        alias: Some("db, pg".to_owned()),
        ..service
    };
    assert_eq!(
        aliased.hostnames(),
        [
            "registry.example.com__tools__postgres",
            "registry.example.com-tools-postgres",
            "db",
            "pg"
        ]
    );
}

// Matching

const SPEC_RUNNERS: &str = "\
[[runners]]
name = \"R1\"
executor = \"docker\"
tags = [\"docker\", \"linux\"]
run_untagged = false
[[runners]]
name = \"R2\"
executor = \"docker\"
tags = []
run_untagged = true
[[runners]]
name = \"R3\"
executor = \"docker\"
tags = [\"docker\"]
run_untagged = true
access_level = \"ref_protected\"
";

const SPEC_JOBS: &str = "\
docker: {tags: [docker], script: x}
untagged: {script: x}
gpu: {tags: [docker, gpu], script: x}
linux: {tags: [linux, docker], script: x}
";

fn unprotected() -> PipelineContext {
    PipelineContext {
        ref_name: "feature".to_owned(),
        ref_protected: false,
        ..PipelineContext::default()
    }
}

#[test]
fn spec_tag_matching_unprotected() {
    // gitlab-semantics T9.1 on an unprotected branch.
    let setup = Setup::with_context(SPEC_JOBS, &[("config.toml", SPEC_RUNNERS)], &unprotected());
    assert_eq!(setup.eligible("docker"), ["R1"]);
    assert_eq!(setup.eligible("untagged"), ["R2"]);
    assert!(setup.eligible("gpu").is_empty());
    assert!(setup.matching.job("gpu").unwrap().stuck);
}

#[test]
fn spec_tag_matching_protected_tag() {
    // gitlab-semantics T9.1: `[linux, docker]` on a protected tag runs on R1 only.
    let context = PipelineContext {
        ref_name: "v1.0".to_owned(),
        tag: true,
        ref_protected: true,
        ..PipelineContext::default()
    };
    let setup = Setup::with_context(SPEC_JOBS, &[("config.toml", SPEC_RUNNERS)], &context);
    assert_eq!(setup.eligible("linux"), ["R1"]);
    assert_eq!(setup.eligible("untagged"), ["R2", "R3"]);
    assert_eq!(
        setup.rejection("linux", "R3"),
        Rejection::MissingTags {
            tags: vec!["linux".to_owned()]
        }
    );
}

#[test]
fn rejection_untagged_job() {
    let setup = Setup::with_context(SPEC_JOBS, &[("config.toml", SPEC_RUNNERS)], &unprotected());
    assert_eq!(setup.rejection("untagged", "R1"), Rejection::UntaggedJob);
}

#[test]
fn blank_tag_saved_as_untagged_job() {
    // GitLab drops blank tags when it saves a job, so `tags: [""]` is an untagged job.
    let jobs =
        "blank: {tags: [\"\", \"  \"], script: x}\npadded: {tags: [\" docker \"], script: x}\n";
    let setup = Setup::with_context(jobs, &[("config.toml", SPEC_RUNNERS)], &unprotected());
    assert_eq!(setup.eligible("blank"), ["R2"]);
    assert_eq!(setup.rejection("blank", "R1"), Rejection::UntaggedJob);
    assert!(!setup.matching.job("blank").unwrap().stuck);
    assert_eq!(setup.eligible("padded"), ["R1"]);
}

#[test]
fn rejection_protected_ref_only() {
    let setup = Setup::with_context(SPEC_JOBS, &[("config.toml", SPEC_RUNNERS)], &unprotected());
    assert_eq!(setup.rejection("docker", "R3"), Rejection::ProtectedRefOnly);
}

#[test]
fn rejection_missing_tags_names_them() {
    let setup = Setup::with_context(SPEC_JOBS, &[("config.toml", SPEC_RUNNERS)], &unprotected());
    assert_eq!(
        setup.rejection("gpu", "R1"),
        Rejection::MissingTags {
            tags: vec!["gpu".to_owned()]
        }
    );
    let (index, _) = setup.fleet.runner("R1").unwrap();
    let rejected = &setup.matching.job("gpu").unwrap().rejected;
    let message = &rejected.iter().find(|r| r.runner == index).unwrap().message;
    assert_eq!(message, "runner `R1` lacks the tags `gpu`");
}

#[test]
fn merge_request_ref_never_protected() {
    let context = PipelineContext {
        source: crate::context::PipelineSource::MergeRequestEvent,
        ref_protected: true,
        ..PipelineContext::default()
    };
    assert!(!MatchContext::from(&context).ref_protected);
}

#[test]
fn merge_request_child_ref_never_protected() {
    let mut parent = PipelineContext::merge_request("feat", "main");
    parent.ref_protected = true;
    assert!(!MatchContext::from(&parent.child(Vec::new())).ref_protected);
}

const SCOPE_RUNNERS: &str = "\
[[runners]]
name = \"broken\"
executor = \"nope\"
[[runners]]
name = \"paused\"
executor = \"shell\"
paused = true
[[runners]]
name = \"other-project\"
executor = \"shell\"
projects = [\"other/project\"]
locked = true
[[runners]]
name = \"other-group\"
executor = \"shell\"
groups = [\"other\"]
[[runners]]
name = \"parent-group\"
executor = \"shell\"
groups = [\"team\"]
[[runners]]
name = \"own-project\"
executor = \"shell\"
projects = [\"team/app/api\"]
";

fn team_context() -> PipelineContext {
    let mut context = PipelineContext::default();
    context.project.path = "team/app/api".to_owned();
    context
}

#[test]
fn rejection_reasons_by_scope() {
    let setup = Setup::with_context(
        "job: {script: x}\n",
        &[("config.toml", SCOPE_RUNNERS)],
        &team_context(),
    );
    assert_eq!(
        setup.rejection("job", "broken"),
        Rejection::ExecutorNotFound
    );
    assert_eq!(setup.rejection("job", "paused"), Rejection::Paused);
    assert_eq!(
        setup.rejection("job", "other-project"),
        Rejection::ProjectNotAssigned {
            projects: vec!["other/project".to_owned()],
            locked: true
        }
    );
    assert_eq!(
        setup.rejection("job", "other-group"),
        Rejection::GroupNotAncestor {
            groups: vec!["other".to_owned()]
        }
    );
    assert_eq!(setup.eligible("job"), ["parent-group", "own-project"]);
}

#[test]
fn scope_paths_ignore_letter_case() {
    let runners = "\
[[runners]]
name = \"group\"
executor = \"shell\"
groups = [\"Team\"]
[[runners]]
name = \"subgroup\"
executor = \"shell\"
groups = [\"TEAM/App\"]
[[runners]]
name = \"project\"
executor = \"shell\"
projects = [\"Team/App/API\"]
[[runners]]
name = \"prefix-only\"
executor = \"shell\"
groups = [\"TEA\"]
";
    let setup = Setup::with_context(
        "job: {script: x}\n",
        &[("config.toml", runners)],
        &team_context(),
    );
    assert_eq!(setup.eligible("job"), ["group", "subgroup", "project"]);
    assert_eq!(
        setup.rejection("job", "prefix-only"),
        Rejection::GroupNotAncestor {
            groups: vec!["TEA".to_owned()]
        }
    );
}

#[test]
fn rejection_shared_runners_disabled() {
    let pipeline_setup = Setup::new(
        "job: {script: x}\n",
        &[("config.toml", "[[runners]]\nexecutor = \"shell\"\n")],
    );
    let context = MatchContext {
        shared_runners_enabled: false,
        ..MatchContext::default()
    };
    let matching = match_jobs(&pipeline_setup.pipeline, &pipeline_setup.fleet, &context);
    assert_eq!(
        matching.jobs[0].rejected[0].reason,
        Rejection::SharedRunnersDisabled
    );
}

/// Matches `job` against one runner per URL, with the server host given as `server_host`.
fn match_urls(server_host: Option<&str>, urls: &[&str]) -> (Setup, Matching) {
    let toml: String = urls
        .iter()
        .enumerate()
        .map(|(i, url)| {
            format!("[[runners]]\nname = \"r{i}\"\nurl = \"{url}\"\nexecutor = \"shell\"\n")
        })
        .collect();
    let setup = Setup::new("job: {script: x}\n", &[("config.toml", &toml)]);
    let context = MatchContext {
        server_host: server_host.map(str::to_owned),
        ..MatchContext::default()
    };
    let matching = match_jobs(&setup.pipeline, &setup.fleet, &context);
    (setup, matching)
}

#[test]
fn runner_url_other_server_rejected() {
    let (_, matching) = match_urls(Some("gitlab.internal.test"), &["https://gitlab.com/"]);
    let rejected = &matching.jobs[0].rejected[0];
    assert_eq!(
        rejected.reason,
        Rejection::OtherServer {
            url: "https://gitlab.com/".to_owned(),
            server_host: "gitlab.internal.test".to_owned(),
        }
    );
    assert_eq!(
        rejected.message,
        "runner `r0` requests jobs from `https://gitlab.com/` (its `url`), not from the GitLab \
         server `gitlab.internal.test` of this pipeline"
    );
    assert!(matching.jobs[0].stuck);
}

#[test]
fn runner_url_same_server_forms() {
    let urls = [
        "https://gitlab.internal.test",
        "https://gitlab.internal.test/",
        "https://GitLab.Internal.Test/",
        "HTTPS://gitlab.internal.test",
        "https://gitlab.internal.test:443/",
        "https://gitlab.internal.test./",
        "http://gitlab.internal.test/",
        "https://user@gitlab.internal.test/",
        "https://gitlab.internal.test/gitlab/",
        "$CI_SERVER_URL",
        "https://${GITLAB_HOST}/",
        "gitlab.internal.test",
        "",
    ];
    let (_, matching) = match_urls(Some("gitlab.internal.test"), &urls);
    assert_eq!(matching.jobs[0].rejected, Vec::new());
    assert_eq!(matching.jobs[0].eligible.len(), urls.len());
}

/// Asserts that each runner url of `cases` is taken with its server host.
fn assert_same_server(cases: &[(&str, &str)]) {
    for &(server_host, url) in cases {
        let (_, matching) = match_urls(Some(server_host), &[url]);
        assert_eq!(
            matching.jobs[0].eligible,
            [0],
            "`{url}` is rejected with the server host `{server_host}`"
        );
    }
}

/// Asserts that each runner url of `cases` is rejected with its server host.
fn assert_other_server(cases: &[(&str, &str)]) {
    for &(server_host, url) in cases {
        let (_, matching) = match_urls(Some(server_host), &[url]);
        assert_eq!(
            matching.jobs[0].eligible,
            Vec::<usize>::new(),
            "`{url}` is eligible with the server host `{server_host}`"
        );
    }
}

#[test]
fn runner_url_other_port_rejected() {
    let cases = [
        ("gitlab.internal.test", "https://gitlab.internal.test:8443/"),
        ("gitlab.internal.test", "http://gitlab.internal.test:8080/"),
        ("gitlab.internal.test:8443", "https://gitlab.internal.test/"),
        (
            "gitlab.internal.test:8443",
            "https://gitlab.internal.test:9443/",
        ),
        ("gitlab.internal.test", "https://gitlab.internal.test.evil/"),
        ("gitlab.internal.test", "https://[::1]:443/"),
        // Go's `url.Parse` reads `host:` as the host with the scheme's default port.
        (
            "gitlab.internal.test:8443",
            "https://gitlab.internal.test:/",
        ),
    ];
    assert_other_server(&cases);
}

#[test]
fn runner_url_same_port_accepted() {
    let cases = [
        (
            "gitlab.internal.test:8443",
            "https://gitlab.internal.test:8443",
        ),
        ("gitlab.internal.test:8443", "http://gitlab.internal.test/"),
        ("gitlab.internal.test:80", "http://gitlab.internal.test:80/"),
        ("gitlab.internal.test:80", "http://gitlab.internal.test/"),
        // Port 80 is the default of `http`, so both URLs name one address.
        ("gitlab.internal.test", "http://gitlab.internal.test:80/"),
    ];
    assert_same_server(&cases);
}

#[test]
fn runner_url_ipv6_same_server() {
    let cases = [
        ("[2001:db8::1]:8443", "https://[2001:db8::1]:8443/"),
        ("[2001:db8::1]:8443", "https://[2001:DB8::1]:8443"),
        (
            "[2001:db8::1]:8443",
            "https://[2001:db8:0:0:0:0:0:1]:8443/gitlab/",
        ),
        ("[2001:db8::1]:8443", "https://user@[2001:0db8::0001]:8443/"),
        ("[2001:db8::1]:8443", "http://[2001:db8::1]/"),
        ("[2001:DB8::1]", "https://[2001:db8::1]:443/"),
        ("[::1]", "https://[0:0::1]/"),
        ("[::1]", "https://[::1]:/"),
        ("[::1]:443", "https://[::1]"),
        // Go dials an IPv4-mapped IPv6 address as the IPv4 address.
        ("192.0.2.1", "https://[::ffff:192.0.2.1]/"),
        ("[::ffff:192.0.2.1]", "https://192.0.2.1/"),
        ("[::ffff:c000:201]:8443", "https://[::ffff:192.0.2.1]:8443/"),
    ];
    assert_same_server(&cases);
}

#[test]
fn runner_url_ipv6_other_server() {
    let cases = [
        ("[2001:db8::1]:8443", "https://[2001:db8::2]:8443/"),
        ("[2001:db8::1]:8443", "https://[2001:db8::1]/"),
        ("[2001:db8::1]:8443", "https://[2001:db8::1]:9443/"),
        ("[2001:db8::1]:8443", "https://gitlab.internal.test:8443/"),
        // An address and a host name never match, because comparing them would need DNS.
        ("[::1]", "https://localhost/"),
        ("[::1]", "https://127.0.0.1/"),
        // `::192.0.2.1` is an IPv4-compatible address, which Go dials over IPv6.
        ("192.0.2.1", "https://[::192.0.2.1]/"),
        ("gitlab.internal.test", "https://[2001:db8::1]/"),
    ];
    assert_other_server(&cases);
}

#[test]
fn runner_url_invalid_ipv6_not_compared() {
    // Go's `url.Parse`, in the versions that check a bracketed host with `netip.ParseAddr`,
    // rejects each of these but the one with a zone, which a server host cannot have.
    let urls = [
        "https://[fe80::1%25eth0]/",
        "https://[::1/",
        "https://[::1]x/",
        "https://[10.0.0.1]/",
        "https://[gitlab.internal.test]/",
    ];
    let (_, matching) = match_urls(Some("[2001:db8::1]"), &urls);
    assert_eq!(matching.jobs[0].rejected, Vec::new());
    assert_eq!(matching.jobs[0].eligible, [0, 1, 2, 3, 4]);
}

#[test]
fn runner_url_signed_port_not_compared() {
    // Go's `url.Parse` accepts only digits after the `:`, so it rejects these URLs.
    let urls = [
        "https://gitlab.other.test:+443/",
        "https://[2001:db8::2]:+443/",
    ];
    let (_, matching) = match_urls(Some("gitlab.internal.test"), &urls);
    assert_eq!(matching.jobs[0].rejected, Vec::new());
    assert_eq!(matching.jobs[0].eligible, [0, 1]);
}

#[test]
fn runner_url_unicode_host_not_compared() {
    // Go's HTTP client sends a Unicode host name in its IDNA ASCII form, so both URLs name the
    // server `xn--bcher-kva.example`.
    let urls = ["https://bücher.example/", "https://BÜCHER.example/"];
    let (_, matching) = match_urls(Some("xn--bcher-kva.example"), &urls);
    assert_eq!(matching.jobs[0].rejected, Vec::new());
    assert_eq!(matching.jobs[0].eligible, [0, 1]);
}

#[test]
fn runner_url_ignored_without_server_host() {
    let (_, matching) = match_urls(None, &["https://gitlab.com/"]);
    assert_eq!(matching.jobs[0].eligible, [0]);
}

#[test]
fn rejection_json_shape() {
    let setup = Setup::with_context(SPEC_JOBS, &[("config.toml", SPEC_RUNNERS)], &unprotected());
    let json = serde_json::to_value(&setup.matching).unwrap();
    let gpu = &json["jobs"][2];
    assert_eq!(gpu["job"], "gpu");
    assert_eq!(gpu["stuck"], true);
    assert_eq!(gpu["rejected"][0]["reason"], "missing_tags");
    assert_eq!(gpu["rejected"][0]["tags"][0], "gpu");
    assert_eq!(gpu["rejected"][0]["runner"], 0);
}

#[test]
fn bridge_needs_no_runner() {
    let yaml = "child:\n  trigger:\n    include: child.yml\n";
    let setup = Setup::new(
        yaml,
        &[(
            "config.toml",
            "[[runners]]\nexecutor = \"shell\"\ntags = [\"x\"]\n",
        )],
    );
    let job = setup.matching.job("child").unwrap();
    assert!(!job.needs_runner);
    assert!(!job.stuck);
    assert!(job.rejected.is_empty());
}

#[test]
fn empty_fleet_every_job_stuck() {
    let setup = Setup::new("a: {script: x}\nb: {script: x}\n", &[]);
    assert_eq!(setup.matching.stuck().count(), 2);
    let diag = setup.check_diag("fleet-stuck-job");
    assert!(
        diag.help
            .as_deref()
            .unwrap()
            .starts_with("no runner is configured")
    );
}

#[test]
fn job_created_as_failed_is_not_stuck() {
    let yaml = "variables: {BRANCH: 'a:b'}
deploy: {script: x, tags: [nowhere], environment: review/$BRANCH}
";
    let setup = Setup::new(yaml, &[]);
    let job = setup.matching.job("deploy").unwrap();
    assert!(!job.needs_runner);
    assert!(!job.stuck);
    assert_eq!(setup.matching.stuck().count(), 0);
    assert!(
        !setup.codes().contains(&"fleet-stuck-job"),
        "{:#?}",
        setup.check_diags
    );
}

#[test]
fn stuck_job_diagnostic_points_at_job() {
    let setup = Setup::with_context(SPEC_JOBS, &[("config.toml", SPEC_RUNNERS)], &unprotected());
    let diag = setup.check_diag("fleet-stuck-job");
    assert_eq!(
        diag.message,
        "job `gpu` is stuck: no runner can take it, so it stays pending until GitLab drops it \
         after an hour"
    );
    assert_eq!(line_column(&setup.sources, diag), (3, 1));
    assert_eq!(diag.labels.len(), 3);
}

#[test]
fn stuck_job_located_after_cr_line_breaks() {
    let jobs = SPEC_JOBS.replace('\n', "\r");
    let setup = Setup::with_context(&jobs, &[("config.toml", SPEC_RUNNERS)], &unprotected());
    let diag = setup.check_diag("fleet-stuck-job");
    assert_eq!(line_column(&setup.sources, diag), (3, 1));
    let shown = snippet(&setup.sources, diag);
    assert!(shown.starts_with("gpu:"), "{shown:?}");
    assert!(!shown.contains('\r'), "{shown:?}");
}

#[test]
fn multi_arch_matrix_on_matching_runners() {
    let setup = Setup::new(MULTI_ARCH_YML, &[("config.toml", MULTI_ARCH_TOML)]);
    assert_eq!(setup.eligible("build: [amd64]"), ["docker-amd64"]);
    assert_eq!(setup.eligible("build: [arm64]"), ["docker-arm64"]);
    assert_eq!(setup.eligible("manifest"), ["docker-amd64", "docker-arm64"]);
    assert_eq!(
        setup.rejection("build: [amd64]", "docker-arm64"),
        Rejection::MissingTags {
            tags: vec!["amd64".to_owned()]
        }
    );
    assert!(setup.check_diags.is_empty(), "{:#?}", setup.check_diags);
}

// Executor checks

const CHECK_RUNNERS: &str = "\
[[runners]]
name = \"shell\"
executor = \"shell\"
tags = [\"shell\"]
[[runners]]
name = \"docker\"
executor = \"docker\"
tags = [\"docker\"]
maximum_timeout = 3600
[runners.docker]
image = \"alpine:3.20\"
pull_policy = [\"always\", \"if-not-present\"]
allowed_pull_policies = [\"if-not-present\", \"never\"]
allowed_images = [\"ruby:*\", \"registry.example.com/**\"]
allowed_services = [\"postgres:*\", \"redis:7*\"]
[[runners]]
name = \"kubernetes\"
executor = \"kubernetes\"
tags = [\"k8s\"]
[runners.kubernetes]
cpu_request = \"2\"
cpu_limit = \"1\"
memory_request = \"1Gi\"
memory_limit = \"2Gi\"
memory_limit_overwrite_max_allowed = \"4Gi\"
";

#[test]
fn image_on_shell_runner_ignored() {
    let yaml = "job:\n  image: ruby:3.3\n  services: [postgres:16]\n  tags: [shell]\n  script: x\n";
    let setup = Setup::new(yaml, &[("config.toml", CHECK_RUNNERS)]);
    let diag = setup.check_diag("fleet-image-ignored");
    assert_eq!(
        diag.message,
        "job `job` sets `image` `ruby:3.3`, which the `shell` executor of runner `shell` ignores"
    );
    assert_eq!(line_column(&setup.sources, diag), (1, 1));
    assert_eq!(setup.sources.snippet(diag.labels[0].span), "\"shell\"");
    assert!(setup.codes().contains(&"fleet-services-ignored"));
}

#[test]
fn pull_policy_spec_cases() {
    // gitlab-semantics T9.3.
    let cases = [
        ("ruby:3.3", None),
        ("{name: ruby:3.3, pull_policy: never}", None),
        (
            "{name: ruby:3.3, pull_policy: always}",
            Some(
                "invalid pull policy for image \"ruby:3.3\": pull_policy ([always]) defined in \
                 GitLab pipeline config is not one of the allowed_pull_policies ([if-not-present \
                 never])",
            ),
        ),
    ];
    for (image, expected) in cases {
        let yaml = format!("job:\n  image: {image}\n  tags: [docker]\n  script: x\n");
        let setup = Setup::new(&yaml, &[("config.toml", CHECK_RUNNERS)]);
        let found = setup
            .check_diags
            .iter()
            .find(|d| d.code == "fleet-pull-policy-not-allowed")
            .map(|d| d.message.as_str());
        assert_eq!(found, expected, "{image}");
    }
}

#[test]
fn pull_policy_without_allowed_list() {
    // Without `allowed_pull_policies` the runner's `pull_policy` list is what is allowed.
    let toml = "[[runners]]\nexecutor = \"docker\"\n[runners.docker]\npull_policy = \"always\"\n";
    let yaml = "job:\n  image: {name: ruby:3.3, pull_policy: never}\n  script: x\n";
    let setup = Setup::new(yaml, &[("config.toml", toml)]);
    let diag = setup.check_diag("fleet-pull-policy-not-allowed");
    assert!(diag.message.contains("allowed_pull_policies ([always])"));
}

#[test]
fn allowed_images_globs() {
    let cases = [
        ("ruby:3.3", true),
        ("ruby", false),
        ("registry.example.com/team/tool:1", true),
        ("registry.example.com/a/b/c:1", true),
        ("python:3.12", false),
        ("alpine:3.20", true),
    ];
    for (image, allowed) in cases {
        let yaml = format!("job:\n  image: {image}\n  tags: [docker]\n  script: x\n");
        let setup = Setup::new(&yaml, &[("config.toml", CHECK_RUNNERS)]);
        let rejected = setup.codes().contains(&"fleet-image-not-allowed");
        assert_eq!(rejected, !allowed, "{image}");
    }
}

#[test]
fn image_not_allowed_message() {
    let yaml = "job:\n  image: python:3.12\n  tags: [docker]\n  script: x\n";
    let setup = Setup::new(yaml, &[("config.toml", CHECK_RUNNERS)]);
    let diag = setup.check_diag("fleet-image-not-allowed");
    assert_eq!(
        diag.message,
        "The \"python:3.12\" image is not present on list of allowed images"
    );
    assert!(diag.is_error());
}

#[test]
fn services_not_allowed() {
    let yaml = "job:\n  image: ruby:3.3\n  services: [postgres:16, mysql:8, redis:7.2]\n  tags: [docker]\n  script: x\n";
    let setup = Setup::new(yaml, &[("config.toml", CHECK_RUNNERS)]);
    let messages: Vec<&str> = setup
        .check_diags
        .iter()
        .filter(|d| d.code == "fleet-service-not-allowed")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        messages,
        ["The \"mysql:8\" image is not present on list of allowed services"]
    );
}

#[test]
fn image_allowed_double_star() {
    let patterns = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert!(check::image_allowed("a/b/c:1", &patterns(&["**"])));
    assert!(check::image_allowed("a/b:1", &patterns(&["*/*:*"])));
    assert!(!check::image_allowed("a/b/c:1", &patterns(&["*/*:*"])));
    assert!(check::image_allowed("a/b/c:1", &patterns(&["a/**"])));
    assert!(!check::image_allowed("b/c:1", &patterns(&["a/**"])));
}

#[test]
fn kubernetes_request_above_limit_once_per_runner() {
    let yaml = "a: {tags: [k8s], script: x}\nb: {tags: [k8s], script: x}\n";
    let setup = Setup::new(yaml, &[("config.toml", CHECK_RUNNERS)]);
    let found: Vec<&Diagnostic> = setup
        .check_diags
        .iter()
        .filter(|d| d.code == "fleet-kubernetes-request-above-limit")
        .collect();
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].message,
        "`cpu_request` (`2`) is above `cpu_limit` (`1`) on runner `kubernetes`, so Kubernetes \
         rejects the job pod"
    );
    assert_eq!(setup.sources.snippet(found[0].span.unwrap()), "\"2\"");
}

#[test]
fn kubernetes_job_override_below_request() {
    // The job lowers the memory limit to 512Mi, under the 1Gi request.
    let yaml = "a:\n  tags: [k8s]\n  variables: {KUBERNETES_MEMORY_LIMIT: 512Mi}\n  script: x\n";
    let setup = Setup::new(yaml, &[("config.toml", CHECK_RUNNERS)]);
    let found: Vec<&str> = setup
        .check_diags
        .iter()
        .filter(|d| d.code == "fleet-kubernetes-request-above-limit")
        .map(|d| d.message.as_str())
        .collect();
    assert!(found.contains(
        &"`memory_request` (`1Gi`) is above `memory_limit` (`512Mi`) on runner `kubernetes`, so \
          Kubernetes rejects the job pod"
    ));
}

#[test]
fn kubernetes_override_ignored_without_max() {
    let yaml = "a:\n  tags: [k8s]\n  variables: {KUBERNETES_CPU_REQUEST: 500m}\n  script: x\n";
    let setup = Setup::new(yaml, &[("config.toml", CHECK_RUNNERS)]);
    let diag = setup.check_diag("fleet-kubernetes-overwrite-ignored");
    assert_eq!(
        diag.message,
        "job `a` sets `KUBERNETES_CPU_REQUEST`, but runner `kubernetes` has no \
         `cpu_request_overwrite_max_allowed`, so the runner ignores it"
    );
}

#[test]
fn kubernetes_pod_override_ignored_without_max() {
    let yaml = "a:\n  tags: [k8s]\n  variables: {KUBERNETES_POD_CPU_LIMIT: \"3\"}\n  script: x\n";
    let setup = Setup::new(yaml, &[("config.toml", CHECK_RUNNERS)]);
    let diag = setup.check_diag("fleet-kubernetes-overwrite-ignored");
    assert_eq!(
        diag.message,
        "job `a` sets `KUBERNETES_POD_CPU_LIMIT`, but runner `kubernetes` has no \
         `pod_cpu_limit_overwrite_max_allowed`, so the runner ignores it"
    );
}

#[test]
fn kubernetes_override_above_max() {
    let yaml = "a:\n  tags: [k8s]\n  variables: {KUBERNETES_MEMORY_LIMIT: 8Gi}\n  script: x\n";
    let setup = Setup::new(yaml, &[("config.toml", CHECK_RUNNERS)]);
    let diag = setup.check_diag("fleet-kubernetes-overwrite-too-high");
    assert!(diag.is_error());
    assert_eq!(
        diag.message,
        "invalid build limits specified: the resource \"MemoryLimit\" requested \"8Gi\" is \
         higher than limit allowed \"4Gi\""
    );
    assert_eq!(line_column(&setup.sources, diag), (1, 1));
    assert_eq!(setup.sources.snippet(diag.labels[0].span), "\"4Gi\"");
}

#[test]
fn kubernetes_override_invalid_quantity() {
    let cases = [
        (
            "lots",
            "invalid build limits specified: parsing resource limit: \"quantities must match \
             the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'\"",
        ),
        (
            "1Gb",
            "invalid build limits specified: parsing resource limit: \"quantities must match \
             the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'\"",
        ),
        (
            "1iK",
            "invalid build limits specified: parsing resource limit: \"unable to parse \
             quantity's suffix\"",
        ),
    ];
    for (value, message) in cases {
        let yaml = format!(
            "a:\n  tags: [k8s]\n  variables: {{KUBERNETES_MEMORY_LIMIT: {value}}}\n  script: x\n"
        );
        let setup = Setup::new(&yaml, &[("config.toml", CHECK_RUNNERS)]);
        let diag = setup.check_diag("fleet-kubernetes-overwrite-invalid");
        assert!(diag.is_error(), "{value}");
        assert_eq!(diag.message, message, "{value}");
    }
}

#[test]
fn kubernetes_override_at_max_allowed() {
    let yaml = "a:\n  tags: [k8s]\n  variables: {KUBERNETES_MEMORY_LIMIT: 4Gi}\n  script: x\n";
    let setup = Setup::new(yaml, &[("config.toml", CHECK_RUNNERS)]);
    let codes = setup.codes();
    assert!(!codes.contains(&"fleet-kubernetes-overwrite-too-high"));
    assert!(!codes.contains(&"fleet-kubernetes-overwrite-invalid"));
}

#[test]
fn kubernetes_empty_override_ignored() {
    let yaml = "a:\n  tags: [k8s]\n  variables: {KUBERNETES_MEMORY_LIMIT: \"\"}\n  script: x\n";
    let setup = Setup::new(yaml, &[("config.toml", CHECK_RUNNERS)]);
    let codes = setup.codes();
    assert!(!codes.contains(&"fleet-kubernetes-overwrite-invalid"));
    let found = setup
        .check_diags
        .iter()
        .filter(|d| d.code == "fleet-kubernetes-request-above-limit")
        .count();
    // Only the runner's own `cpu_request` above `cpu_limit`.
    assert_eq!(found, 1);
}

#[test]
fn timeout_above_maximum() {
    let yaml = "job:\n  image: ruby:3.3\n  timeout: 2h\n  tags: [docker]\n  script: x\n";
    let setup = Setup::new(yaml, &[("config.toml", CHECK_RUNNERS)]);
    let diag = setup.check_diag("fleet-timeout-above-maximum");
    assert_eq!(
        diag.message,
        "job `job` sets `timeout` to `2h` (7200 s), but runner `docker` caps its jobs at 3600 s"
    );
    assert_eq!(setup.sources.snippet(diag.labels[0].span), "3600");
}

#[test]
fn timeout_at_maximum_accepted() {
    let yaml = "job:\n  image: ruby:3.3\n  timeout: 1h\n  tags: [docker]\n  script: x\n";
    let setup = Setup::new(yaml, &[("config.toml", CHECK_RUNNERS)]);
    assert!(!setup.codes().contains(&"fleet-timeout-above-maximum"));
}

#[test]
fn socket_binding_warns_naming_runner() {
    let setup = Setup::new("job: {script: x}\n", &[("socket.toml", SOCKET)]);
    let diag = setup.check_diag("fleet-docker-socket");
    assert_eq!(
        diag.message,
        "runner `socket` binds the host's Docker socket `/var/run/docker.sock` into every job \
         container"
    );
    assert_eq!(
        snippet(&setup.sources, diag),
        "\"/var/run/docker.sock:/var/run/docker.sock\""
    );
    assert_eq!(line_column(&setup.sources, diag), (8, 26));
}

#[test]
fn socket_as_docker_host_with_binding() {
    let yaml = "job:\n  variables: {DOCKER_HOST: unix:///var/run/docker.sock}\n  script: x\n";
    let setup = Setup::new(yaml, &[("socket.toml", SOCKET)]);
    assert!(!setup.codes().contains(&"fleet-docker-socket-missing"));
}

#[test]
fn socket_as_docker_host_without_binding() {
    let yaml = "job:\n  variables: {DOCKER_HOST: unix:///var/run/docker.sock}\n  tags: [dind]\n  script: x\n";
    let setup = Setup::new(yaml, &[("dind.toml", DIND)]);
    assert!(setup.codes().contains(&"fleet-docker-socket-missing"));
}

// Docker-in-Docker

fn dind_job(variables: &str, tag: &str, service: &str) -> String {
    format!(
        "build:\n  image: docker:27\n  services:\n    - {service}\n  variables: {variables}\n  \
         tags: [{tag}]\n  script: docker build .\n"
    )
}

#[test]
fn dind_tls_fixture_clean() {
    let setup = Setup::new(DIND_TLS, &[("dind.toml", DIND)]);
    assert!(setup.check_diags.is_empty(), "{:#?}", setup.check_diags);
}

#[test]
fn dind_no_tls_fixture_clean() {
    let setup = Setup::new(DIND_NO_TLS, &[("dind.toml", DIND)]);
    assert!(setup.check_diags.is_empty(), "{:#?}", setup.check_diags);
}

#[test]
fn dind_without_docker_host_clean() {
    let yaml = dind_job("{}", "dind", "docker:27-dind");
    let setup = Setup::new(&yaml, &[("dind.toml", DIND)]);
    assert!(setup.check_diags.is_empty(), "{:#?}", setup.check_diags);
}

#[test]
fn dind_checks() {
    let cases = [
        (
            "{DOCKER_HOST: \"tcp://docker:2375\"}",
            "dind",
            "docker:27-dind",
            "fleet-docker-tls-port",
        ),
        (
            "{DOCKER_HOST: \"tcp://docker:2376\", DOCKER_TLS_CERTDIR: \"\"}",
            "dind",
            "docker:27-dind",
            "fleet-docker-tls-port",
        ),
        (
            "{DOCKER_HOST: \"tcp://docker:2375\", DOCKER_TLS_CERTDIR: \"\", DOCKER_TLS_VERIFY: \"1\"}",
            "dind",
            "docker:27-dind",
            "fleet-docker-tls-verify",
        ),
        (
            "{DOCKER_HOST: \"tcp://docker:2375\", DOCKER_TLS_CERTDIR: \"\", DOCKER_CERT_PATH: \"/certs/client\"}",
            "dind",
            "docker:27-dind",
            "fleet-docker-cert-path-unused",
        ),
        (
            "{DOCKER_HOST: \"tcp://docker:2376\"}",
            "dind-no-certs",
            "docker:27-dind",
            "fleet-docker-tls-certs",
        ),
        (
            "{DOCKER_HOST: \"tcp://dind:2376\"}",
            "dind",
            "docker:27-dind",
            "fleet-docker-host-unknown",
        ),
        (
            "{DOCKER_HOST: \"tcp://localhost:2376\"}",
            "dind",
            "docker:27-dind",
            "fleet-docker-host-localhost",
        ),
        (
            "{}",
            "dind",
            "registry.example.com/proxy/docker:27-dind",
            "fleet-docker-host-missing",
        ),
        (
            "{}",
            "unprivileged",
            "docker:27-dind",
            "fleet-dind-not-privileged",
        ),
    ];
    for (variables, tag, service, code) in cases {
        let yaml = dind_job(variables, tag, service);
        let setup = Setup::new(&yaml, &[("dind.toml", DIND)]);
        assert_eq!(setup.codes(), [code], "{variables} on {tag}");
    }
}

#[test]
fn dind_tls_port_message() {
    let yaml = dind_job(
        "{DOCKER_HOST: \"tcp://docker:2375\"}",
        "dind",
        "docker:27-dind",
    );
    let setup = Setup::new(&yaml, &[("dind.toml", DIND)]);
    let diag = setup.check_diag("fleet-docker-tls-port");
    assert_eq!(
        diag.message,
        "`DOCKER_HOST` is `tcp://docker:2375`, but the `docker:dind` service listens with TLS on \
         port 2376, because `DOCKER_TLS_CERTDIR` is not set and the `docker:dind` image defaults \
         it to `/certs`"
    );
    assert!(diag.is_error());
}

#[test]
fn dind_not_privileged_label() {
    let yaml = dind_job("{}", "unprivileged", "docker:27-dind");
    let setup = Setup::new(&yaml, &[("dind.toml", DIND)]);
    let diag = setup.check_diag("fleet-dind-not-privileged");
    assert_eq!(
        diag.message,
        "job `build` starts `docker:27-dind`, which needs a privileged container, but runner \
         `unprivileged` does not run services privileged"
    );
    assert_eq!(
        setup.sources.snippet(diag.labels[0].span),
        "[runners.docker]"
    );
}

#[test]
fn dind_services_privileged_overrides() {
    let toml = "[[runners]]\nexecutor = \"docker\"\n[runners.docker]\nprivileged = false\n\
                services_privileged = true\nvolumes = [\"/certs/client\"]\n";
    let setup = Setup::new(
        &dind_job("{}", "x", "docker:dind").replace("tags: [x]", "tags: []"),
        &[("config.toml", toml)],
    );
    assert!(!setup.codes().contains(&"fleet-dind-not-privileged"));
}

#[test]
fn dind_on_kubernetes_localhost() {
    let toml = "[[runners]]\nexecutor = \"kubernetes\"\n[runners.kubernetes]\nprivileged = true\n\
                [[runners.kubernetes.volumes.empty_dir]]\nname = \"certs\"\nmount_path = \"/certs/client\"\n";
    let yaml = dind_job(
        "{DOCKER_HOST: \"tcp://localhost:2376\"}",
        "x",
        "docker:27-dind",
    )
    .replace("tags: [x]", "tags: []");
    let setup = Setup::new(&yaml, &[("config.toml", toml)]);
    assert!(setup.check_diags.is_empty(), "{:#?}", setup.check_diags);
}

#[test]
fn dind_on_kubernetes_not_privileged() {
    let toml = "[[runners]]\nexecutor = \"kubernetes\"\n";
    let yaml = dind_job("{}", "x", "docker:27-dind").replace("tags: [x]", "tags: []");
    let setup = Setup::new(&yaml, &[("config.toml", toml)]);
    assert!(setup.codes().contains(&"fleet-dind-not-privileged"));
}

#[test]
fn dind_image_names() {
    let cases = [
        ("docker:dind", true),
        ("docker:27.3-dind", true),
        ("docker:27-dind-rootless", true),
        ("registry.example.com/proxy/docker:dind", true),
        ("docker:27", false),
        ("docker", false),
        ("mydocker:dind", false),
    ];
    for (image, expected) in cases {
        let yaml = format!("job:\n  services: [\"{image}\"]\n  script: x\n");
        let toml = "[[runners]]\nexecutor = \"docker\"\n";
        let setup = Setup::new(&yaml, &[("config.toml", toml)]);
        let found = setup.codes().contains(&"fleet-dind-not-privileged");
        assert_eq!(found, expected, "{image}");
    }
}

#[test]
fn docker_host_external_daemon_accepted() {
    let yaml = "job:\n  variables: {DOCKER_HOST: \"tcp://build.example.com:2376\"}\n  script: x\n";
    let setup = Setup::new(
        yaml,
        &[("config.toml", "[[runners]]\nexecutor = \"docker\"\n")],
    );
    assert!(setup.check_diags.is_empty(), "{:#?}", setup.check_diags);
}

#[test]
fn docker_host_from_runner_environment() {
    let toml = "[[runners]]\nexecutor = \"docker\"\nenvironment = [\"DOCKER_HOST=tcp://docker:2375\"]\n\
                [runners.docker]\nprivileged = true\n";
    let yaml = "job:\n  services: [\"docker:dind\"]\n  script: x\n";
    let setup = Setup::new(yaml, &[("config.toml", toml)]);
    assert_eq!(setup.codes(), ["fleet-docker-tls-port"]);
}

#[test]
fn fixtures_serialize() {
    let setup = Setup::new(MULTI_ARCH_YML, &[("config.toml", MULTI_ARCH_TOML)]);
    let json = serde_json::to_value(&setup.matching).unwrap();
    assert_eq!(json["jobs"][0]["job"], "build: [amd64]");
    assert_eq!(json["jobs"][0]["eligible"][0], 0);
    assert!(
        problems(&setup.parse_diags).is_empty(),
        "{:#?}",
        setup.parse_diags
    );
    assert_eq!(setup.pipeline.jobs.len(), 3);
}

#[test]
fn single_bracket_runners_table() {
    let (sources, fleet, diags) =
        parse_one("concurrent = 1\n[runners]\nname = \"a\"\nexecutor = \"shell\"\n");
    let diag = find(&diags, "fleet-invalid-type");
    assert_eq!(
        diag.message,
        "`runners` should be an array of tables, but is table"
    );
    assert_eq!(line_column(&sources, diag), (2, 1));
    assert_eq!(fleet.hosts.len(), 1);
}

const VM_RUNNERS: &str = "\
concurrent = 2
[[runners]]
name = \"vbox\"
executor = \"virtualbox\"
tags = [\"vbox\"]
[runners.virtualbox]
base_name = \"win-2022\"
allowed_images = [\"^win-20(19|22)$\", \"macos\"]
[[runners]]
name = \"prl\"
executor = \"parallels\"
tags = [\"prl\"]
[runners.parallels]
base_name = \"macos-14\"
";

#[test]
fn vm_settings_parsed() {
    let (_, fleet, diags) = parse_one(VM_RUNNERS);
    assert!(problems(&diags).is_empty(), "{diags:?}");
    let vbox = fleet.runners[0].virtualbox.as_ref().unwrap();
    assert_eq!(vbox.base_name.as_deref(), Some("win-2022"));
    assert_eq!(vbox.allowed_images, ["^win-20(19|22)$", "macos"]);
    let prl = fleet.runners[1].parallels.as_ref().unwrap();
    assert_eq!(prl.base_name.as_deref(), Some("macos-14"));
    assert!(prl.allowed_images.is_empty());
}

#[test]
fn vm_allowed_images_invalid_regex() {
    let toml = "[[runners]]\nexecutor = \"virtualbox\"\n[runners.virtualbox]\nallowed_images = [\"ok\", \"(bad\"]\n";
    let (sources, _, diags) = parse_one(toml);
    let diag = find(&diags, "fleet-invalid-value");
    assert_eq!(
        diag.message,
        "`(bad` in `runners[0].virtualbox.allowed_images` is not a valid regular expression"
    );
    assert_eq!(snippet(&sources, diag), "\"(bad\"");
}

#[test]
fn vm_image_allowed_regexes() {
    // gitlab-runner matches the regular expressions unanchored, and always allows `base_name`.
    let cases = [
        ("win-2019", "vbox", true),
        ("win-2022", "vbox", true),
        ("win-2016", "vbox", false),
        ("old-win-2019", "vbox", false),
        ("macos-13-xcode", "vbox", true),
        ("linux", "vbox", false),
    ];
    for (image, tag, allowed) in cases {
        let yaml = format!("job:\n  image: {image}\n  tags: [{tag}]\n  script: x\n");
        let setup = Setup::new(&yaml, &[("config.toml", VM_RUNNERS)]);
        let rejected = setup.codes().contains(&"fleet-image-not-allowed");
        assert_eq!(rejected, !allowed, "{image}");
        assert!(!setup.codes().contains(&"fleet-image-ignored"), "{image}");
    }
}

#[test]
fn vm_image_not_allowed_message() {
    let yaml = "job:\n  image: linux\n  tags: [vbox]\n  script: x\n";
    let setup = Setup::new(yaml, &[("config.toml", VM_RUNNERS)]);
    let diag = setup.check_diag("fleet-image-not-allowed");
    assert_eq!(
        diag.message,
        "The linux is not present on list of allowed images"
    );
    assert!(diag.is_error());
    assert_eq!(
        setup.sources.snippet(diag.labels[0].span),
        "[\"^win-20(19|22)$\", \"macos\"]"
    );
}

#[test]
fn vm_image_without_allowed_images() {
    // Without `allowed_images` the runner clones `base_name` whatever image the job names.
    let cases = [("macos-14", false), ("macos-15", true)];
    for (image, ignored) in cases {
        let yaml = format!("job:\n  image: {image}\n  tags: [prl]\n  script: x\n");
        let setup = Setup::new(&yaml, &[("config.toml", VM_RUNNERS)]);
        let found = setup
            .check_diags
            .iter()
            .find(|d| d.code == "fleet-image-ignored")
            .map(|d| d.message.as_str());
        let expected = ignored.then(|| {
            format!(
                ".gitlab-ci.yml provided image \"{image}\" is ignored, default VM image is being \
                 used instead"
            )
        });
        assert_eq!(found, expected.as_deref(), "{image}");
        assert!(
            !setup.codes().contains(&"fleet-image-not-allowed"),
            "{image}"
        );
    }
}

#[test]
fn service_pull_policy_checked() {
    let yaml = "job:
  image: {name: ruby:3.3, pull_policy: never}
  services:
    - {name: postgres:16, pull_policy: [always]}
    - {name: redis:7.2, pull_policy: if-not-present}
  tags: [docker]
  script: x
";
    let setup = Setup::new(yaml, &[("config.toml", CHECK_RUNNERS)]);
    let found: Vec<&Diagnostic> = setup
        .check_diags
        .iter()
        .filter(|d| d.code == "fleet-pull-policy-not-allowed")
        .collect();
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].message,
        "invalid pull policy for image \"postgres:16\": pull_policy ([always]) defined in GitLab \
         pipeline config is not one of the allowed_pull_policies ([if-not-present never])"
    );
    assert_eq!(
        found[0].help.as_deref(),
        Some(
            "use one of `if-not-present`, `never` in the `pull_policy` of service `postgres:16`, \
             or allow `always` in `allowed_pull_policies` of runner `docker`"
        )
    );
}

#[test]
fn service_pull_policy_in_plan() {
    let yaml = "job:\n  services: [{name: redis:7.2, pull_policy: [never, if-not-present]}]\n  script: x\n";
    let setup = Setup::new(yaml, &[]);
    let service = &setup.pipeline.jobs[0].services[0];
    assert_eq!(service.pull_policy, ["never", "if-not-present"]);
}

#[test]
fn vm_pattern_perl_classes_are_ascii() {
    let pattern = check::vm_pattern(r"^\w+-\d$").unwrap();
    assert!(pattern.is_match("ubuntu-2"));
    assert!(!pattern.is_match("ubuntué-2"));
    assert!(!pattern.is_match("ubuntu-٣"));
}

#[test]
fn masked_values_match_as_real_values() {
    let secret = "pool-7f3a9c42";
    let mut context = PipelineContext::default();
    context.project_variables = vec![crate::context::SettingsVariable {
        masked: true,
        ..crate::context::SettingsVariable::new("POOL", secret)
    }];
    let yaml = "
allowed: {script: x, tags: [$POOL], image: registry.example.com/$POOL/tool:1}
denied: {script: x, tags: [$POOL], image: other.example.com/$POOL:1}
gpu: {script: x, tags: [$POOL, gpu]}
";
    let toml = format!(
        "[[runners]]\nname = \"pool\"\nexecutor = \"docker\"\ntags = [\"{secret}\"]\n\
         [runners.docker]\nimage = \"alpine\"\n\
         allowed_images = [\"registry.example.com/{secret}/*\"]\n"
    );
    let setup = Setup::with_context(yaml, &[("config.toml", &toml)], &context);
    assert_eq!(setup.eligible("allowed"), ["pool"]);
    assert_eq!(setup.pipeline.job("allowed").unwrap().tags, ["[MASKED]"]);
    assert_eq!(
        setup.rejection("gpu", "pool"),
        Rejection::MissingTags {
            tags: vec!["gpu".to_owned()]
        }
    );

    let files = [(config_id(&setup.sources), toml.as_str())];
    let report = crate::report::MatchedFleet::new(
        &files,
        &setup.pipeline,
        &MatchContext::from(&context),
        &setup.sources,
    );
    let not_allowed: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == "fleet-image-not-allowed")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        not_allowed,
        ["The \"other.example.com/[MASKED]:1\" image is not present on list of allowed images"]
    );
    let json = serde_json::to_string(&report.matching).unwrap();
    assert!(!json.contains(secret), "{json}");
}

#[test]
fn masked_tag_rejection_hidden() {
    let secret = "pool-7f3a9c42";
    let mut context = PipelineContext::default();
    context.project_variables = vec![crate::context::SettingsVariable {
        masked: true,
        ..crate::context::SettingsVariable::new("POOL", secret)
    }];
    let yaml = "job: {script: x, tags: [$POOL]}\n";
    let toml = "[[runners]]\nname = \"other\"\nexecutor = \"shell\"\ntags = [\"x\"]\n";
    let setup = Setup::with_context(yaml, &[("config.toml", toml)], &context);
    let files = [(config_id(&setup.sources), toml)];
    let report = crate::report::MatchedFleet::new(
        &files,
        &setup.pipeline,
        &MatchContext::from(&context),
        &setup.sources,
    );
    let found = report.matching.job("job").unwrap();
    assert!(found.stuck);
    let rejection = &found.rejected[0];
    assert_eq!(
        rejection.reason,
        Rejection::MissingTags {
            tags: vec!["[MASKED]".to_owned()]
        }
    );
    assert_eq!(
        rejection.message,
        "runner `other` lacks the tags `[MASKED]`"
    );
}

fn config_id(sources: &SourceMap) -> FileId {
    let (id, _) = sources
        .files()
        .find(|(_, file)| file.name == "config.toml")
        .unwrap();
    id
}

#[test]
fn masked_variable_checked_as_real_value() {
    let mut context = PipelineContext::default();
    context.project_variables = vec![crate::context::SettingsVariable {
        masked: true,
        ..crate::context::SettingsVariable::new("DIND_ADDR", "localhost")
    }];
    let yaml = "
docker-build:
  image: docker:27
  services: [docker:27-dind]
  variables: {DOCKER_HOST: 'tcp://$DIND_ADDR:2375'}
  script: docker info
";
    let toml = "[[runners]]\nname = \"docker-a\"\nexecutor = \"docker\"\n\
                [runners.docker]\nimage = \"alpine\"\nprivileged = true\n";
    let setup = Setup::with_context(yaml, &[("config.toml", toml)], &context);
    assert_eq!(
        setup
            .pipeline
            .job("docker-build")
            .unwrap()
            .variable("DOCKER_HOST"),
        Some("tcp://[MASKED]:2375")
    );
    assert!(
        setup.codes().contains(&"fleet-docker-host-localhost"),
        "{:?}",
        setup.codes()
    );
    let files = [(config_id(&setup.sources), toml)];
    let report = crate::report::MatchedFleet::new(
        &files,
        &setup.pipeline,
        &MatchContext::from(&context),
        &setup.sources,
    );
    let diagnostic = report
        .diagnostics
        .iter()
        .find(|d| d.code == "fleet-docker-host-localhost")
        .unwrap();
    assert!(
        !diagnostic.message.contains("localhost"),
        "{}",
        diagnostic.message
    );
    assert!(
        diagnostic.message.contains("[MASKED]"),
        "{}",
        diagnostic.message
    );
}

/// Plans `.gitlab-ci.yml` with the other `files` beside it, adds the child configurations'
/// files and the runner file, and returns the sources and the check's diagnostics.
fn check_with_children(files: &[(&str, &str)], toml: &str) -> (SourceMap, Vec<Diagnostic>) {
    let mut memory = MemoryFiles::new();
    for (name, text) in files {
        memory = memory.with_file(*name, *text);
    }
    let context = PipelineContext::default();
    let (mut resolution, pipeline) =
        plan(".gitlab-ci.yml", &memory, &context, &PlanOptions::default());
    let pipeline = pipeline.unwrap();
    add_child_sources(&pipeline, &mut resolution.sources);
    let file = resolution.sources.add("config.toml", toml);
    let (fleet, _) = Fleet::parse(&[(file, toml)], &resolution.sources);
    let matching = match_jobs(&pipeline, &fleet, &MatchContext::from(&context));
    let diags = check(&pipeline, &fleet, &matching, &resolution.sources);
    (resolution.sources, diags)
}

const CHILD_PARENT: &str = "build: {script: make}\ndeploy:\n  trigger:\n    include: child.yml\n";
const DOCKER_RUNNER: &str = "[[runners]]\nname = \"docker\"\nexecutor = \"docker\"\n";

#[test]
fn stuck_child_job_named_after_trigger() {
    let (sources, diags) = check_with_children(
        &[
            (".gitlab-ci.yml", CHILD_PARENT),
            (
                "child.yml",
                "test: {script: x}\ngpu: {script: x, tags: [gpu]}\n",
            ),
        ],
        DOCKER_RUNNER,
    );
    let stuck: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.code == "fleet-stuck-job")
        .collect();
    assert_eq!(stuck.len(), 1, "{diags:#?}");
    assert!(
        stuck[0].message.starts_with("job `deploy/gpu` is stuck"),
        "{}",
        stuck[0].message
    );
    let span = stuck[0].span.unwrap();
    assert_eq!(sources.get(span.file).unwrap().name, "child.yml");
    assert!(sources.snippet(span).starts_with("gpu:"));
}

#[test]
fn grandchild_job_checked() {
    let child = "test: {script: x}\ninner:\n  trigger:\n    include: grandchild.yml\n";
    let grandchild = "build:\n  image: ruby:3.3\n  script: x\n";
    let shell = "[[runners]]\nname = \"shell\"\nexecutor = \"shell\"\n";
    let (sources, diags) = check_with_children(
        &[
            (".gitlab-ci.yml", CHILD_PARENT),
            ("child.yml", child),
            ("grandchild.yml", grandchild),
        ],
        shell,
    );
    let ignored: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.code == "fleet-image-ignored")
        .collect();
    assert_eq!(ignored.len(), 1, "{diags:#?}");
    assert!(
        ignored[0]
            .message
            .starts_with("job `deploy/inner/build` sets `image` `ruby:3.3`"),
        "{}",
        ignored[0].message
    );
    let span = ignored[0].span.unwrap();
    assert_eq!(sources.get(span.file).unwrap().name, "grandchild.yml");
    assert_eq!(sources.snippet(span), "build:");
}

#[test]
fn child_job_unlocated_without_sources() {
    let files = MemoryFiles::new()
        .with_file(".gitlab-ci.yml", CHILD_PARENT)
        .with_file("child.yml", "gpu: {script: x, tags: [gpu]}\n");
    let context = PipelineContext::default();
    let (mut resolution, pipeline) =
        plan(".gitlab-ci.yml", &files, &context, &PlanOptions::default());
    let pipeline = pipeline.unwrap();
    let file = resolution.sources.add("config.toml", DOCKER_RUNNER);
    let (fleet, _) = Fleet::parse(&[(file, DOCKER_RUNNER)], &resolution.sources);
    let matching = match_jobs(&pipeline, &fleet, &MatchContext::from(&context));
    let diags = check(&pipeline, &fleet, &matching, &resolution.sources);
    let stuck = diags.iter().find(|d| d.code == "fleet-stuck-job").unwrap();
    assert!(stuck.message.starts_with("job `deploy/gpu` is stuck"));
    assert_eq!(stuck.span, None);
    assert_eq!(stuck.labels.len(), 1);
}

#[test]
fn child_not_created_not_checked() {
    let child = "workflow: {rules: [{when: never}]}\ngpu: {script: x, tags: [gpu]}\n";
    let (_, diags) = check_with_children(
        &[(".gitlab-ci.yml", CHILD_PARENT), ("child.yml", child)],
        DOCKER_RUNNER,
    );
    assert!(
        !diags.iter().any(|d| d.code == "fleet-stuck-job"),
        "{diags:#?}"
    );
}

#[test]
fn add_child_sources_skips_known_names() {
    let files = MemoryFiles::new()
        .with_file(".gitlab-ci.yml", CHILD_PARENT)
        .with_file("child.yml", "test: {script: x}\n");
    let (mut resolution, pipeline) = plan(
        ".gitlab-ci.yml",
        &files,
        &PipelineContext::default(),
        &PlanOptions::default(),
    );
    let pipeline = pipeline.unwrap();
    add_child_sources(&pipeline, &mut resolution.sources);
    let count = resolution.sources.files().count();
    assert!(
        resolution
            .sources
            .files()
            .any(|(_, file)| file.name == "child.yml")
    );
    add_child_sources(&pipeline, &mut resolution.sources);
    assert_eq!(resolution.sources.files().count(), count);
}

#[test]
fn masked_tag_hidden_in_child_stuck_job() {
    let secret = "pool-7f3a9c42";
    let mut context = PipelineContext::default();
    context.project_variables = vec![crate::context::SettingsVariable {
        masked: true,
        ..crate::context::SettingsVariable::new("POOL", secret)
    }];
    let files = MemoryFiles::new()
        .with_file(".gitlab-ci.yml", CHILD_PARENT)
        .with_file("child.yml", "job: {script: x, tags: [$POOL]}\n");
    let (mut resolution, pipeline) =
        plan(".gitlab-ci.yml", &files, &context, &PlanOptions::default());
    let pipeline = pipeline.unwrap();
    add_child_sources(&pipeline, &mut resolution.sources);

    let toml = "[[runners]]\nname = \"other\"\nexecutor = \"shell\"\ntags = [\"x\"]\n";
    let file = resolution.sources.add("config.toml", toml);
    let report = crate::report::MatchedFleet::new(
        &[(file, toml)],
        &pipeline,
        &MatchContext::from(&context),
        &resolution.sources,
    );
    let stuck = report
        .diagnostics
        .iter()
        .find(|d| d.code == "fleet-stuck-job" && d.message.starts_with("job `deploy/job` "))
        .unwrap_or_else(|| panic!("no stuck child job in {:#?}", report.diagnostics));
    let help = stuck.help.as_deref().unwrap();

    assert!(!help.contains(secret), "{help}");
    assert!(help.contains("`[MASKED]`"), "{help}");
    for label in &stuck.labels {
        assert!(!label.message.contains(secret), "{}", label.message);
    }
}

/// A runner of another GitLab server takes the job only once it is registered with this one.
#[test]
fn stuck_job_help_for_other_server() {
    let (_, matching) = match_urls(Some("gitlab.internal.test"), &["https://gitlab.com/"]);
    let reason = &matching.jobs[0].rejected[0].reason;
    assert_eq!(
        check::fix_for(reason),
        "register the runner with this GitLab server"
    );
}

const SERVICES_LIMIT: &str = "[[runners]]\nname = \"d\"\nexecutor = \"docker\"\n\
    [runners.docker]\nimage = \"alpine\"\nservices_limit = 2\n";

#[test]
fn services_limit_parsed() {
    let (_, fleet, diags) = parse_one(SERVICES_LIMIT);
    assert!(problems(&diags).is_empty(), "{diags:#?}");
    let docker = fleet.runners[0].docker.as_ref().unwrap();
    assert_eq!(docker.services_limit, Some(2));
}

#[test]
fn services_limit_unset_by_default() {
    let (_, fleet, _) = parse_one("[[runners]]\nexecutor = \"docker\"\n[runners.docker]\n");
    assert_eq!(
        fleet.runners[0].docker.as_ref().unwrap().services_limit,
        None
    );
}

#[test]
fn services_limit_wrong_type() {
    let (_, _, diags) =
        parse_one("[[runners]]\nexecutor = \"docker\"\n[runners.docker]\nservices_limit = \"2\"\n");
    let diag = find(&diags, "fleet-invalid-type");
    assert!(diag.message.contains("services_limit"), "{}", diag.message);
}

#[test]
fn services_limit_at_and_above() {
    let at = "a: {script: x, services: [postgres:16, redis:7]}\n";
    let setup = Setup::new(at, &[("config.toml", SERVICES_LIMIT)]);
    assert!(!setup.codes().contains(&"fleet-services-limit-exceeded"));

    let above = "a: {script: x, services: [postgres:16, redis:7, mysql:8]}\n";
    let setup = Setup::new(above, &[("config.toml", SERVICES_LIMIT)]);
    let diag = setup.check_diag("fleet-services-limit-exceeded");
    assert_eq!(diag.severity, Severity::Error);
    assert_eq!(
        diag.message,
        "job `a` needs 3 services, but runner `d` allows at most 2 (`services_limit`)"
    );
    assert_eq!(
        snippet(&setup.sources, diag),
        "a: {script: x, services: [postgres:16, redis:7, mysql:8]}"
    );
    let label = &diag.labels[0];
    assert_eq!(
        snippet(
            &setup.sources,
            &Diagnostic::error("x", "").with_span(label.span)
        ),
        "2"
    );
}

#[test]
fn services_limit_counts_runner_services() {
    let toml = format!("{SERVICES_LIMIT}[[runners.docker.services]]\nname = \"redis:7\"\n");
    let yaml = "a: {script: x, services: [postgres:16, mysql:8]}\n";
    let setup = Setup::new(yaml, &[("config.toml", &toml)]);
    let diag = setup.check_diag("fleet-services-limit-exceeded");
    assert_eq!(
        diag.message,
        "job `a` needs 3 services (1 of them from the runner's `services`), but runner `d` \
         allows at most 2 (`services_limit`)"
    );
}

#[test]
fn services_limit_zero_rejects_one_service() {
    let toml = SERVICES_LIMIT.replace("services_limit = 2", "services_limit = 0");
    let setup = Setup::new(
        "a: {script: x, services: [redis:7]}\n",
        &[("config.toml", &toml)],
    );
    assert!(setup.codes().contains(&"fleet-services-limit-exceeded"));
    let setup = Setup::new("a: {script: x}\n", &[("config.toml", &toml)]);
    assert!(!setup.codes().contains(&"fleet-services-limit-exceeded"));
}

#[test]
fn services_limit_negative_is_unlimited() {
    let toml = SERVICES_LIMIT.replace("services_limit = 2", "services_limit = -1");
    let yaml = "a: {script: x, services: [postgres:16, redis:7, mysql:8]}\n";
    let setup = Setup::new(yaml, &[("config.toml", &toml)]);
    assert!(!setup.codes().contains(&"fleet-services-limit-exceeded"));
}

#[test]
fn services_limit_only_for_docker_executors() {
    // `[runners.docker]` of a Kubernetes runner is not read.
    let toml = SERVICES_LIMIT.replace("executor = \"docker\"", "executor = \"kubernetes\"");
    let yaml = "a: {script: x, services: [postgres:16, redis:7, mysql:8]}\n";
    let setup = Setup::new(yaml, &[("config.toml", &toml)]);
    assert!(!setup.codes().contains(&"fleet-services-limit-exceeded"));
}
