//! End-to-end tests of `glplan schedule` and of `glplan plan --runners` on the fixtures in
//! `tests/fixtures/schedule`: shell, Docker and Kubernetes runners, Docker-in-Docker, tags with
//! `run_untagged`, a multi-architecture build, `concurrent` below the sum of `limit`s, a
//! stuck job, and child pipelines that share the parent's runner.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers and assertions fail the test on unexpected output"
)]

mod common;

use std::process::{Command, Output};

use serde_json::Value;

use common::{stderr, stdout, workspace};

const FIXTURES: &str = "crates/glplan-cli/tests/fixtures/schedule";

/// Runs the binary as `common::glplan` does, but with `NO_COLOR` set, so that the tables
/// have no color codes whatever `--color` defaults to.
fn glplan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glplan"))
        .args(args)
        .current_dir(workspace())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn fixture(path: &str) -> String {
    format!("{FIXTURES}/{path}")
}

/// Runs `glplan schedule` on a fixture folder's `.gitlab-ci.yml` with JSON output.
fn schedule_json(folder: &str, runners: &[&str], extra: &[&str]) -> Value {
    let config = fixture(&format!("{folder}/.gitlab-ci.yml"));
    let runner_paths: Vec<String> = runners
        .iter()
        .map(|name| fixture(&format!("{folder}/{name}")))
        .collect();
    let mut args = vec!["schedule", config.as_str(), "--format", "json"];
    for path in &runner_paths {
        args.push("--runners");
        args.push(path);
    }
    args.extend_from_slice(extra);
    let output = glplan(&args);
    serde_json::from_str(&stdout(&output)).unwrap_or_else(|error| {
        panic!("{error}: {}\n{}", stdout(&output), stderr(&output));
    })
}

fn job<'a>(schedule: &'a Value, name: &str) -> &'a Value {
    schedule["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|job| job["name"] == name)
        .unwrap_or_else(|| panic!("no job {name} in {schedule:#}"))
}

const EXECUTOR_RUNNERS: [&str; 3] = ["shell.toml", "docker.toml", "kubernetes.toml"];

#[test]
fn executors_each_take_their_jobs() {
    let durations = fixture("executors/durations.yml");
    let schedule = schedule_json("executors", &EXECUTOR_RUNNERS, &["--durations", &durations]);
    let cases = [
        ("compile", "docker"),
        ("unit", "kubernetes"),
        ("lint", "shell"),
    ];
    for (name, runner) in cases {
        assert_eq!(job(&schedule, name)["runner"], runner, "{name}");
    }
    assert_eq!(job(&schedule, "unit")["started_at"], 240);
    assert_eq!(job(&schedule, "deploy")["status"], "manual");
    assert_eq!(
        schedule["status"], "success",
        "an optional manual job is ignored"
    );
}

#[test]
fn play_runs_manual_job() {
    let durations = fixture("executors/durations.yml");
    let schedule = schedule_json(
        "executors",
        &EXECUTOR_RUNNERS,
        &["--durations", &durations, "--play", "deploy"],
    );
    let deploy = job(&schedule, "deploy");
    assert_eq!(deploy["status"], "success");
    assert_eq!(deploy["runner"], "shell");
    assert_eq!(deploy["started_at"], 630, "after unit ends at 4:00 + 6:30");
    assert_eq!(schedule["duration"], 750);
}

#[test]
fn critical_path_through_slowest_job() {
    let durations = fixture("executors/durations.yml");
    let schedule = schedule_json(
        "executors",
        &EXECUTOR_RUNNERS,
        &["--durations", &durations, "--play", "deploy"],
    );
    let path: Vec<&str> = schedule["critical_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["job"].as_str().unwrap())
        .collect();
    assert_eq!(path, ["compile", "unit", "deploy"]);
}

#[test]
fn plan_table_has_runners_column() {
    let config = fixture("executors/.gitlab-ci.yml");
    let runners: Vec<String> = EXECUTOR_RUNNERS
        .iter()
        .map(|name| fixture(&format!("executors/{name}")))
        .collect();
    let mut args = vec!["plan", config.as_str()];
    for path in &runners {
        args.push("--runners");
        args.push(path);
    }
    let output = glplan(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let header = text.lines().find(|l| l.starts_with("STAGE")).unwrap();
    assert!(header.ends_with("RUNNERS"), "{text}");
    let unit = text.lines().find(|l| l.contains(" unit ")).unwrap();
    assert!(unit.ends_with("kubernetes"), "{text}");
}

#[test]
fn plan_json_has_runner_info() {
    let config = fixture("untagged/.gitlab-ci.yml");
    let runners = fixture("untagged/runners.toml");
    let output = glplan(&["plan", &config, "--runners", &runners, "--format", "json"]);
    let value: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let special = &value["jobs"][1];
    assert_eq!(special["name"], "special");
    assert_eq!(
        special["runners"]["eligible"],
        serde_json::json!(["tagged-only"])
    );
    assert_eq!(special["runners"]["rejected"][0]["runner"], "catch-all");
    assert_eq!(value["fleet"]["runners"][0]["name"], "tagged-only");
}

#[test]
fn plan_json_has_child_job_runners() {
    let config = fixture("children/.gitlab-ci.yml");
    let runners = fixture("children/runners.toml");
    let output = glplan(&["plan", &config, "--runners", &runners, "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let child = &job(&value, "deploy")["trigger"]["downstream"];
    assert_eq!(
        job(child, "unit")["runners"]["eligible"],
        serde_json::json!(["docker"])
    );
    assert_eq!(job(child, "nested")["runners"]["needs_runner"], false);
    let grandchild = &job(child, "nested")["trigger"]["downstream"];
    assert_eq!(
        job(grandchild, "smoke")["runners"]["eligible"],
        serde_json::json!(["docker"])
    );
}

#[test]
fn untagged_job_needs_run_untagged() {
    let schedule = schedule_json("untagged", &["runners.toml"], &[]);
    assert_eq!(job(&schedule, "anything")["runner"], "catch-all");
    assert_eq!(job(&schedule, "special")["runner"], "tagged-only");
}

#[test]
fn runners_takes_one_file_per_option() {
    // The pipeline path after `--runners FILE` is the pipeline, not a second runner file.
    let config = fixture("untagged/.gitlab-ci.yml");
    let runners = fixture("untagged/runners.toml");
    for command in ["plan", "schedule"] {
        let output = glplan(&[command, "--runners", &runners, &config, "--format", "json"]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{command}: {}",
            stderr(&output)
        );
        assert!(!stderr(&output).contains("fleet-toml-syntax"), "{command}");
        let value: Value = serde_json::from_str(&stdout(&output)).unwrap();
        let names: Vec<&str> = value["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|job| job["name"].as_str())
            .collect();
        assert_eq!(names, ["anything", "special"], "{command}");
    }
}

#[test]
fn runners_rejects_two_files_at_once() {
    let config = fixture("untagged/.gitlab-ci.yml");
    let runners = fixture("untagged/runners.toml");
    let output = glplan(&["plan", &config, "--runners", &runners, &runners]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("unexpected argument"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn table_shows_each_attempt() {
    let config = fixture("retry/.gitlab-ci.yml");
    let durations = fixture("retry/durations.yml");
    let output = glplan(&["schedule", &config, "--durations", &durations]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let schedule = schedule_json("retry", &[], &["--durations", &durations]);
    let attempts = job(&schedule, "r3")["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);

    // Columns: JOB STAGE STATUS RUNNER SLOT QUEUED START END WAIT NOTE.
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|line| line.starts_with("r3 "))
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    for (row, attempt) in rows.iter().zip(attempts) {
        assert_eq!(row[4], attempt["slot"].to_string(), "{text}");
        assert_eq!(
            row[6],
            clock(attempt["started_at"].as_u64().unwrap()),
            "{text}"
        );
        assert_eq!(
            row[7],
            clock(attempt["finished_at"].as_u64().unwrap()),
            "{text}"
        );
    }
    assert_eq!(rows[0][2], "failed", "{text}");
    assert!(rows[0].join(" ").contains("attempt 1 of 2"), "{text}");
    assert_eq!(rows[1][2], "success", "{text}");
    assert!(rows[1].join(" ").contains("attempt 2 of 2"), "{text}");

    // As the table shows them, no slot runs two attempts at once.
    let spans: Vec<(&str, u64, u64)> = text
        .lines()
        .filter(|line| line.starts_with("r2 ") || line.starts_with("r3 "))
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            (cells[4], seconds(cells[6]), seconds(cells[7]))
        })
        .collect();
    assert_eq!(spans.len(), 3, "{text}");
    for (index, (slot, start, end)) in spans.iter().enumerate() {
        for (other_slot, other_start, other_end) in spans.iter().skip(index + 1) {
            let overlap = start < other_end && other_start < end;
            assert!(!(slot == other_slot && overlap), "{text}");
        }
    }
}

/// Runs `glplan schedule` on the `retry-resource` fixture in one output format.
fn retry_resource_output(format: &str) -> String {
    let config = fixture("retry-resource/.gitlab-ci.yml");
    let runners = fixture("retry-resource/runners.toml");
    let durations = fixture("retry-resource/durations.yml");
    let output = glplan(&[
        "schedule",
        &config,
        "--runners",
        &runners,
        "--durations",
        &durations,
        "--format",
        format,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    stdout(&output)
}

#[test]
fn retry_waiting_for_resource_has_own_row() {
    let text = retry_resource_output("table");
    // Columns: JOB STAGE STATUS RUNNER SLOT QUEUED START END WAIT NOTE.
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|line| line.starts_with("a "))
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert_eq!(
        rows[0][..9],
        [
            "a", "test", "failed", "r1", "0", "0:00", "0:00", "1:00", "0:00"
        ],
        "{text}"
    );
    assert!(rows[0].join(" ").contains("attempt 1 of 2"), "{text}");
    assert_eq!(
        rows[1][..9],
        [
            "a",
            "test",
            "waiting_for_resource",
            "-",
            "-",
            "-",
            "-",
            "-",
            "-"
        ],
        "{text}"
    );
    assert!(rows[1].join(" ").contains("attempt 2 of 2"), "{text}");

    let schedule: Value = serde_json::from_str(&retry_resource_output("json")).unwrap();
    let a = job(&schedule, "a");
    assert_eq!(a["status"], "waiting_for_resource", "{a:#}");
    assert!(a.get("runner").is_none(), "{a:#}");
    assert!(a.get("slot").is_none(), "{a:#}");
    assert!(a.get("finished_at").is_none(), "{a:#}");
    assert_eq!(a["started_at"], 0, "{a:#}");
    let attempts = a["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{a:#}");
    assert_eq!(attempts[0]["status"], "failed", "{a:#}");
    assert_eq!(attempts[0]["finished_at"], 60, "{a:#}");
    assert_eq!(
        attempts[1],
        serde_json::json!({"status": "waiting_for_resource"}),
        "{a:#}"
    );

    let chart = retry_resource_output("mermaid");
    assert_eq!(chart.matches("    a :").count(), 1, "{chart}");
    assert!(
        chart.contains("    a :crit, active, j0, 0, 60\n"),
        "{chart}"
    );
    assert!(
        chart.contains("    %% a: waiting_for_resource\n"),
        "{chart}"
    );
    assert!(!chart.contains("section trigger jobs"), "{chart}");
}

/// Reads a table time (`m:ss`) as seconds.
fn seconds(time: &str) -> u64 {
    let (minutes, seconds) = time.split_once(':').unwrap();
    minutes.parse::<u64>().unwrap() * 60 + seconds.parse::<u64>().unwrap()
}

/// Formats seconds as the table does (`m:ss`), for times under an hour.
fn clock(seconds: u64) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

#[test]
fn dind_without_privileged_is_an_error() {
    let config = fixture("dind/.gitlab-ci.yml");
    let runners = fixture("dind/unprivileged.toml");
    let output = glplan(&["plan", &config, "--runners", &runners]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains("error[fleet-dind-not-privileged]"), "{text}");
    assert!(text.contains("`docker-plain`"), "{text}");
}

#[test]
fn dind_with_privileged_runner() {
    let config = fixture("dind/.gitlab-ci.yml");
    let runners = fixture("dind/privileged.toml");
    let output = glplan(&["plan", &config, "--runners", &runners]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stderr(&output).contains("fleet-dind-not-privileged"));
}

#[test]
fn dind_jobs_share_runner_slots() {
    let schedule = schedule_json("dind", &["privileged.toml"], &[]);
    let slots: Vec<&Value> = ["image-tls", "image-plain"]
        .iter()
        .map(|name| &job(&schedule, name)["slot"])
        .collect();
    assert_eq!(slots, [&serde_json::json!(0), &serde_json::json!(1)]);
}

#[test]
fn multi_arch_matrix_runs_per_architecture() {
    let durations = fixture("multi-arch/durations.yml");
    let schedule = schedule_json(
        "multi-arch",
        &["runners.toml"],
        &["--durations", &durations],
    );
    assert_eq!(job(&schedule, "build: [amd64]")["runner"], "amd64");
    assert_eq!(job(&schedule, "build: [arm64]")["runner"], "arm64");
    let arm_end = job(&schedule, "build: [arm64]")["finished_at"]
        .as_u64()
        .unwrap();
    let manifest_start = job(&schedule, "manifest")["started_at"].as_u64().unwrap();
    assert!(manifest_start >= arm_end, "{manifest_start} < {arm_end}");
    let last = schedule["critical_path"]
        .as_array()
        .unwrap()
        .last()
        .unwrap();
    assert_eq!(last["job"], "manifest");
}

#[test]
fn concurrent_below_sum_of_limits() {
    let durations = fixture("concurrent/durations.yml");
    let schedule = schedule_json(
        "concurrent",
        &["runners.toml"],
        &["--durations", &durations],
    );
    let jobs = schedule["jobs"].as_array().unwrap();
    let spans: Vec<(u64, u64)> = jobs
        .iter()
        .map(|job| {
            let start = job["started_at"].as_u64().unwrap();
            (start, job["finished_at"].as_u64().unwrap())
        })
        .collect();
    let most_at_once = spans
        .iter()
        .map(|&(start, _)| {
            spans
                .iter()
                .filter(|&&(s, e)| s <= start && start < e)
                .count()
        })
        .max();
    assert_eq!(
        most_at_once,
        Some(2),
        "concurrent = 2 although the limits add up to 4"
    );
    // `a` takes two jobs at 0 and fills both workers, so the feeder waits with `b` until
    // they end at 600, and `b` takes the other two then.
    let runners: Vec<&str> = jobs
        .iter()
        .map(|job| job["runner"].as_str().unwrap())
        .collect();
    assert_eq!(runners, ["a", "a", "b", "b"]);
    assert_eq!(schedule["duration"], 1200);
    assert_eq!(schedule["longest_waits"][0]["wait"], 600);
}

#[test]
fn stuck_job_reported_with_reason() {
    let durations = fixture("stuck/durations.yml");
    let schedule = schedule_json("stuck", &["runners.toml"], &["--durations", &durations]);
    // `train` becomes pending when `build` ends at 3:00, and GitLab drops it an hour later.
    let train = job(&schedule, "train");
    assert_eq!(train["status"], "failed");
    assert_eq!(train["failure_reason"], "stuck_pending_no_matching_runners");
    assert_eq!(train["queued_at"], 180);
    assert_eq!(train["finished_at"], 3780);
    assert!(train.get("started_at").is_none(), "{train:#}");
    assert!(train.get("runner").is_none(), "{train:#}");
    let stuck = &schedule["stuck"][0];
    assert_eq!(stuck["job"], "train");
    assert!(
        stuck["reason"]
            .as_str()
            .unwrap()
            .contains("lacks the tags `gpu`"),
        "{stuck}"
    );
    assert_eq!(schedule["status"], "failed");
    assert_eq!(schedule["finished"], true);
    assert_eq!(schedule["duration"], 3780);
}

#[test]
fn stuck_job_in_table() {
    let config = fixture("stuck/.gitlab-ci.yml");
    let runners = fixture("stuck/runners.toml");
    let output = glplan(&["schedule", &config, "--runners", &runners]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("stuck: `train`: runner `docker` lacks"),
        "{text}"
    );
    let row = text
        .lines()
        .find(|line| line.starts_with("train "))
        .unwrap();
    let columns: Vec<&str> = row.split_whitespace().collect();
    // Columns: JOB STAGE STATUS RUNNER SLOT QUEUED START END WAIT NOTE.
    assert_eq!(
        columns[..8],
        ["train", "test", "failed", "-", "-", "5:00", "-", "1:05:00"],
        "{text}"
    );
    assert!(row.contains("stuck_pending_no_matching_runners"), "{text}");
}

#[test]
fn retried_stuck_job_rows_give_reason() {
    let dir = std::env::temp_dir().join(format!("glplan-stuck-retry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join(".gitlab-ci.yml");
    std::fs::write(&config, "train: {script: x, tags: [gpu], retry: 2}\n").unwrap();
    let runners = fixture("stuck/runners.toml");
    let output = glplan(&["schedule", config.to_str().unwrap(), "--runners", &runners]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let rows: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("train "))
        .collect();
    assert_eq!(rows.len(), 3, "{text}");
    for row in rows {
        assert!(row.contains("stuck_pending_no_matching_runners"), "{text}");
        assert!(
            row.contains("runner `docker` lacks the tags `gpu`"),
            "{text}"
        );
    }
}

#[test]
fn fail_skips_later_stage() {
    let schedule = schedule_json("stuck", &["runners.toml"], &["--fail", "build"]);
    assert_eq!(job(&schedule, "build")["status"], "failed");
    assert_eq!(job(&schedule, "build")["failure_reason"], "script_failure");
    assert_eq!(job(&schedule, "train")["status"], "skipped");
    assert_eq!(schedule["status"], "failed");
}

/// `--fail` on a trigger job whose downstream pipeline is not simulated and that takes its
/// status (`strategy: depend` or `mirror`) fails it as a failed downstream pipeline would,
/// without a failure reason, and the help describes this.
#[test]
fn fail_help_names_trigger_outcomes() {
    let output = glplan(&["schedule", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    let words: Vec<&str> = text.split_whitespace().collect();
    let help = words.join(" ");
    let start = help.find("--fail <JOB>").unwrap();
    let fail = &help[start..];
    let end = fail.find("--format").unwrap_or(fail.len());
    let fail = &fail[..end];
    assert!(
        fail.contains("`downstream_pipeline_creation_failed`"),
        "{fail}"
    );
    assert!(fail.contains("`strategy: depend` or `mirror`"), "{fail}");
    assert!(fail.contains("without a failure reason"), "{fail}");
}

#[test]
fn bad_durations_entry_exits_one() {
    let config = fixture("stuck/.gitlab-ci.yml");
    let durations = fixture("stuck/bad-durations.yml");
    let output = glplan(&["schedule", &config, "--durations", &durations]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains("error[invalid-duration]"), "{text}");
    assert!(text.contains(&format!("{durations}:4:10")), "{text}");
}

#[test]
fn durations_file_errors_exit_one() {
    let config = fixture("stuck/.gitlab-ci.yml");
    let dir = std::env::temp_dir().join(format!("glplan-durations-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("array.yml", "[]\n", "error[invalid-durations-file]", ":1:1"),
        (
            "zero-timeout.yml",
            "timeout: 0\n",
            "error[invalid-project-timeout]",
            ":1:10",
        ),
        (
            "long-timeout.yml",
            "default: 1m\ntimeout: 31 days\n",
            "error[invalid-project-timeout]",
            ":2:10",
        ),
        (
            "exit-code-range.yml",
            "jobs:\n  build: {duration: 1m, fail: true, exit_code: 4294967296}\n",
            "error[invalid-durations-value]",
            ":2:48",
        ),
    ];
    let mut outputs = Vec::new();
    for (name, text, _, _) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        outputs.push(glplan(&[
            "schedule",
            &config,
            "--durations",
            path.to_str().unwrap(),
        ]));
    }
    let _ = std::fs::remove_dir_all(&dir);
    for ((name, _, code, position), output) in cases.iter().zip(&outputs) {
        assert_eq!(output.status.code(), Some(1), "{name}");
        let text = stderr(output);
        assert!(text.contains(code), "{name}: {text}");
        assert!(
            text.contains(&format!("{name}{position}")),
            "{name}: {text}"
        );
    }
}

#[test]
fn unreported_exit_code_warns() {
    let config = fixture("stuck/.gitlab-ci.yml");
    let dir = std::env::temp_dir().join(format!("glplan-exit-code-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("durations.yml");
    std::fs::write(
        &path,
        "jobs:\n  build: {duration: 1m, fail: true, exit_code: 0}\n",
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let output = glplan(&["schedule", &config, "--durations", path]);
    let _ = std::fs::remove_dir_all(&dir);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("warning[exit-code-not-reported]"), "{text}");
    assert!(text.contains(&format!("{path}:2:48")), "{text}");
}

#[test]
fn empty_mapping_durations_file_accepted() {
    let config = fixture("stuck/.gitlab-ci.yml");
    let dir = std::env::temp_dir().join(format!("glplan-empty-durations-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("durations.yml");
    std::fs::write(&path, "{}\n").unwrap();
    let output = glplan(&["schedule", &config, "--durations", path.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!stderr(&output).contains("error"), "{}", stderr(&output));
}

#[test]
fn unknown_played_job_exits_two() {
    let config = fixture("stuck/.gitlab-ci.yml");
    let output = glplan(&["schedule", &config, "--play", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--play: job `nope` is not in the pipeline"));
}

#[test]
fn unknown_played_job_quotes_backtick() {
    let config = fixture("stuck/.gitlab-ci.yml");
    let output = glplan(&["schedule", &config, "--play", "t`ick"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--play: job ``t`ick`` is not in the pipeline"));
}

#[test]
fn created_failed_played_job_exits_two() {
    let dir = std::env::temp_dir().join(format!("glplan-play-failed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(".gitlab-ci.yml");
    let yaml = "variables: {BRANCH: 'a:b'}\n\
        deploy: {script: x, when: manual, environment: review/$BRANCH}\n";
    std::fs::write(&path, yaml).unwrap();
    let output = glplan(&["schedule", path.to_str().unwrap(), "--play", "deploy"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    let errors = stderr(&output);
    assert!(
        errors.contains(
            "error: --play: job `deploy` cannot be played, because GitLab creates it as failed \
             (`environment_creation_failure`)"
        ),
        "{errors}"
    );
    // The plan's warning, which gives the reason, comes first.
    assert!(errors.contains("environment-creation-failure"), "{errors}");
}

#[test]
fn not_manual_played_job_warns() {
    let dir = std::env::temp_dir().join(format!("glplan-play-auto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(".gitlab-ci.yml");
    std::fs::write(
        &path,
        "build: {script: x}\ndeploy: {script: x, when: manual}\n",
    )
    .unwrap();
    let output = glplan(&["schedule", path.to_str().unwrap(), "--play", "build"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(0));
    let errors = stderr(&output);
    assert!(
        errors.contains(
            "warning[play-not-manual]: --play names job `build`, whose `when` is `on_success`, \
             not `manual`, so playing it changes nothing"
        ),
        "{errors}"
    );
    assert!(
        errors.contains("runner and durations files, --play and --fail: 0 errors, 1 warning"),
        "{errors}"
    );
    assert!(
        stdout(&output).contains("build   test   success"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn play_never_reached_warns() {
    let dir = std::env::temp_dir().join(format!("glplan-play-unreached-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(".gitlab-ci.yml");
    std::fs::write(
        &path,
        "stages: [build, deploy]\nbuild: {stage: build, script: x}\n\
         deploy: {stage: deploy, script: x, when: manual}\n",
    )
    .unwrap();

    let path = path.to_str().unwrap();
    let output = glplan(&["schedule", path, "--play", "deploy", "--fail", "build"]);
    let reached = glplan(&["schedule", path, "--play", "deploy"]);
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(output.status.code(), Some(0));
    let errors = stderr(&output);
    assert!(
        errors.contains(
            "warning[play-not-reached]: --play names job `deploy`, which the simulated run \
             never reaches: it ends as `skipped` (the jobs it waits for ended `failed` and it \
             runs `when: manual`), so playing it changes nothing"
        ),
        "{errors}"
    );
    assert!(
        errors.contains("runner and durations files, --play and --fail: 0 errors, 1 warning"),
        "{errors}"
    );
    assert!(
        !stderr(&reached).contains("play-not-reached"),
        "{}",
        stderr(&reached)
    );
}

#[test]
fn gantt_chart_sections_per_runner() {
    let config = fixture("multi-arch/.gitlab-ci.yml");
    let runners = fixture("multi-arch/runners.toml");
    let durations = fixture("multi-arch/durations.yml");
    let output = glplan(&[
        "schedule",
        &config,
        "--runners",
        &runners,
        "--durations",
        &durations,
        "--format",
        "mermaid",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("gantt\n"), "{text}");
    assert!(text.contains("    dateFormat X\n"), "{text}");
    assert!(text.contains("    section arm64\n"), "{text}");
    assert!(
        text.contains("    build\u{a789} [arm64] :active, j"),
        "{text}"
    );
}

#[test]
fn without_runners_jobs_start_when_ready() {
    let schedule = schedule_json("executors", &[], &["--play", "deploy"]);
    assert_eq!(job(&schedule, "unit")["started_at"], 300);
    assert_eq!(job(&schedule, "lint")["started_at"], 300);
    assert_eq!(schedule["duration"], 900);
}

/// The codes and `file:line` locations of a JSON output's `diagnostics`.
fn diagnostic_locations(value: &Value) -> Vec<(String, String)> {
    value["diagnostics"]
        .as_array()
        .unwrap_or_else(|| panic!("no diagnostics in {value:#}"))
        .iter()
        .map(|d| {
            let location = &d["location"];
            (
                d["code"].as_str().unwrap_or_default().to_owned(),
                format!(
                    "{}:{}",
                    location["file"].as_str().unwrap_or_default(),
                    location["line"]
                ),
            )
        })
        .collect()
}

#[test]
fn schedule_json_has_file_diagnostics() {
    let config = fixture("stuck/.gitlab-ci.yml");
    let durations = fixture("stuck/bad-durations.yml");
    let args = [
        "schedule",
        &config,
        "--durations",
        &durations,
        "--format",
        "json",
    ];
    let output = glplan(&args);
    assert_eq!(output.status.code(), Some(1));
    let value: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        diagnostic_locations(&value),
        [("invalid-duration".to_owned(), format!("{durations}:4"))]
    );
}

#[test]
fn schedule_json_clean_has_empty_diagnostics() {
    let schedule = schedule_json("untagged", &["runners.toml"], &[]);
    assert_eq!(schedule["diagnostics"], serde_json::json!([]));
}

#[test]
fn plan_json_has_fleet_diagnostics() {
    let config = fixture("dind/.gitlab-ci.yml");
    let runners = fixture("dind/unprivileged.toml");
    let output = glplan(&["plan", &config, "--runners", &runners, "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let value: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let codes: Vec<String> = diagnostic_locations(&value)
        .into_iter()
        .map(|(code, _)| code)
        .collect();
    assert!(
        codes.contains(&"fleet-dind-not-privileged".to_owned()),
        "{codes:?}"
    );
}

#[test]
fn trigger_without_child_fails() {
    let schedule = schedule_json("trigger", &[], &[]);
    let trigger = job(&schedule, "filtered");
    assert_eq!(trigger["status"], "failed");
    assert_eq!(
        trigger["failure_reason"],
        "downstream_pipeline_creation_failed"
    );
    assert_eq!(job(&schedule, "after")["status"], "skipped");
    assert_eq!(schedule["status"], "failed");
}

/// Runs `glplan schedule --format json` on a fixture that GitLab would not create a pipeline
/// for, and returns the JSON object on standard output.
fn schedule_json_not_created(folder: &str) -> Value {
    let config = fixture(&format!("{folder}/.gitlab-ci.yml"));
    let output = glplan(&["schedule", &config, "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let value: Value = serde_json::from_str(&stdout(&output)).unwrap_or_else(|error| {
        panic!("{error}: {:?}\n{}", stdout(&output), stderr(&output));
    });
    assert_eq!(value.get("schedule"), Some(&Value::Null));
    value
}

#[test]
fn schedule_json_when_not_created() {
    let value = schedule_json_not_created("not-created");
    let codes: Vec<String> = diagnostic_locations(&value)
        .into_iter()
        .map(|(code, _)| code)
        .collect();
    assert_eq!(codes, ["workflow-filtered"]);
}

#[test]
fn schedule_of_skipped_pipeline() {
    let config = fixture("not-created/.gitlab-ci.yml");
    let output = glplan(&["schedule", &config, "--title", "Docs [skip ci]"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "error: GitLab skips this pipeline, because the commit message contains \
             `[skip ci]`, so there is nothing to simulate"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn schedule_json_without_configuration() {
    let value = schedule_json_not_created("invalid-yaml");
    let config = fixture("invalid-yaml/.gitlab-ci.yml");
    assert_eq!(
        diagnostic_locations(&value),
        [("yaml-syntax-error".to_owned(), format!("{config}:3"))]
    );
}

/// Runs `glplan schedule` on the `children` fixture with its runner and durations files.
fn children_json(extra: &[&str]) -> Value {
    let durations = fixture("children/durations.yml");
    let mut args = vec!["--durations", durations.as_str()];
    args.extend_from_slice(extra);
    schedule_json("children", &["runners.toml"], &args)
}

#[test]
fn child_jobs_share_parent_runner() {
    let schedule = children_json(&[]);
    let unit = job(&schedule, "deploy/unit");
    assert_eq!(unit["pipeline"], "deploy");
    assert_eq!(unit["runner"], "docker");
    assert_eq!(unit["queued_at"], 60);
    assert_eq!(unit["started_at"], 180, "waits for the parent's `docs`");
    assert_eq!(job(&schedule, "docs")["started_at"], 60);
    assert_eq!(job(&schedule, "deploy/approve")["status"], "manual");
    assert_eq!(job(&schedule, "build").get("pipeline"), None);
    assert_eq!(schedule["runners"][0]["jobs"], 5);
}

#[test]
fn depend_trigger_ends_with_child() {
    let schedule = children_json(&[]);
    assert_eq!(job(&schedule, "deploy")["finished_at"], 390);
    assert_eq!(job(&schedule, "deploy/nested")["finished_at"], 390);
    assert_eq!(
        job(&schedule, "deploy/nested/smoke")["pipeline"],
        "deploy/nested"
    );
    assert_eq!(job(&schedule, "notify")["started_at"], 390);
    let pipelines: Vec<(&str, &str, u64)> = schedule["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["trigger"].as_str().unwrap(),
                p["status"].as_str().unwrap(),
                p["finished_at"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pipelines,
        [
            ("deploy", "success", 390),
            ("deploy/nested", "success", 390)
        ]
    );
    assert_eq!(schedule["duration"], 450);
}

#[test]
fn failing_child_job_skips_parent_stage() {
    let schedule = children_json(&["--fail", "deploy/unit"]);
    assert_eq!(job(&schedule, "deploy/unit")["status"], "failed");
    assert_eq!(job(&schedule, "deploy/nested")["status"], "skipped");
    assert_eq!(job(&schedule, "deploy")["status"], "failed");
    assert_eq!(
        job(&schedule, "deploy")["reason"],
        "its child pipeline ended `failed`"
    );
    assert_eq!(job(&schedule, "notify")["status"], "skipped");
    assert_eq!(schedule["status"], "failed");
}

#[test]
fn play_child_manual_job() {
    let schedule = children_json(&["--play", "deploy/approve"]);
    assert_eq!(job(&schedule, "deploy/approve")["status"], "success");
    assert_eq!(job(&schedule, "deploy/approve")["runner"], "docker");
}

#[test]
fn unknown_child_job_exits_two() {
    let config = fixture("children/.gitlab-ci.yml");
    let output = glplan(&["schedule", &config, "--fail", "deploy/nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--fail: job `deploy/nope` is not in the pipeline"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn child_pipelines_in_table() {
    let config = fixture("children/.gitlab-ci.yml");
    let runners = fixture("children/runners.toml");
    let durations = fixture("children/durations.yml");
    let output = glplan(&[
        "schedule",
        &config,
        "--runners",
        &runners,
        "--durations",
        &durations,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip_while(|line| !line.starts_with("CHILD PIPELINE OF"))
        .take(3)
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        [
            vec![
                "CHILD", "PIPELINE", "OF", "STRATEGY", "STATUS", "CREATED", "END"
            ],
            vec!["deploy", "depend", "success", "1:00", "6:30"],
            vec!["deploy/nested", "depend", "success", "6:00", "6:30"],
        ]
    );
    assert!(
        text.contains("critical path: build -> deploy/unit -> deploy/nested/smoke -> notify"),
        "{text}"
    );
}

#[test]
fn trigger_duration_warns() {
    let config = fixture("children/.gitlab-ci.yml");
    let durations = fixture("children/trigger-durations.yml");
    let output = glplan(&["schedule", &config, "--durations", &durations]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("warning[trigger-duration-ignored]"),
        "{}",
        stderr(&output)
    );
    let schedule = schedule_json("children", &[], &["--durations", &durations]);
    assert_eq!(job(&schedule, "deploy")["finished_at"], 900);
}

#[test]
fn unused_durations_entries_warn() {
    let config = fixture("children/.gitlab-ci.yml");
    let dir = std::env::temp_dir().join(format!("glplan-unused-durations-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("durations.yml");
    std::fs::write(
        &path,
        "jobs:\n  'deploy/*': 2m\n  deploy/unti: 1m\n  build: 1m\n",
    )
    .unwrap();
    let output = glplan(&["schedule", &config, "--durations", path.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            "warning[duration-entry-unknown]: the durations entry `deploy/unti` selects no job \
             of the pipeline"
        ),
        "{text}"
    );
    assert!(text.contains("durations.yml:3:3"), "{text}");
    assert!(text.contains("help: did you mean `deploy/unit`?"), "{text}");
    assert_eq!(text.matches("warning[").count(), 1, "{text}");
}

#[test]
fn unclosed_durations_glob_warns_at_bracket() {
    let config = fixture("children/.gitlab-ci.yml");
    let dir = std::env::temp_dir().join(format!("glplan-unclosed-glob-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("durations.yml");
    std::fs::write(&path, "jobs:\n  'build: [linux*': 1m\n").unwrap();
    let output = glplan(&["schedule", &config, "--durations", path.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            "warning[duration-entry-unknown]: the durations entry `build: [linux*` selects no \
             job of the pipeline, because its `[` opens a character class that is never closed"
        ),
        "{text}"
    );
    assert!(text.contains("durations.yml:2:11"), "{text}");
    assert!(text.contains("as in `build: \\[linux*`"), "{text}");
}

#[test]
fn trigger_exit_code_warns_with_position() {
    let dir = std::env::temp_dir().join(format!("glplan-trigger-exit-code-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join(".gitlab-ci.yml");
    std::fs::write(
        &config,
        "build: {script: x}\nupstream: {trigger: {project: g/p, strategy: depend}}\n",
    )
    .unwrap();
    let path = dir.join("durations.yml");
    std::fs::write(
        &path,
        "jobs:\n  upstream:\n    duration: 1m\n    fail: true\n    exit_code: 137\n",
    )
    .unwrap();
    let output = glplan(&[
        "schedule",
        config.to_str().unwrap(),
        "--durations",
        path.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("warning[trigger-exit-code-ignored]: the durations entry `upstream` sets"),
        "{text}"
    );
    assert!(text.contains("durations.yml:5:5"), "{text}");
    assert_eq!(text.matches("warning[").count(), 1, "{text}");
}

#[test]
fn header_names_child_that_does_not_finish() {
    // The child pipeline's job runs until 5:00, then a blocking manual job stops it, while the
    // parent's own jobs end at 0:00 because its trigger job has no `strategy`.
    let dir = std::env::temp_dir().join(format!("glplan-child-blocked-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join(".gitlab-ci.yml");
    std::fs::write(&config, "fire: {trigger: {include: child.yml}}\n").unwrap();
    let child = "work: {script: x}\ngate: {stage: deploy, script: x, when: manual, \
                 allow_failure: false}\n";
    std::fs::write(dir.join("child.yml"), child).unwrap();
    let table = glplan(&["schedule", config.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        stdout(&table).contains(
            "status: success, duration 5:00 (its own jobs end at 0:00, a child pipeline does \
             not finish)"
        ),
        "{}",
        stdout(&table)
    );
}

#[test]
fn header_gives_own_end_before_child_end() {
    let dir = std::env::temp_dir().join(format!("glplan-own-end-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join(".gitlab-ci.yml");
    std::fs::write(&config, "fire: {trigger: {include: child.yml}}\n").unwrap();
    std::fs::write(dir.join("child.yml"), "work: {script: x}\n").unwrap();
    let table = glplan(&["schedule", config.to_str().unwrap()]);
    let json = glplan(&["schedule", config.to_str().unwrap(), "--format", "json"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        stdout(&table).contains(
            "status: success, duration 5:00 (its own jobs end at 0:00, its child pipelines later)"
        ),
        "{}",
        stdout(&table)
    );
    let value: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["duration"], 300);
    assert_eq!(value["finished_at"], 0);
}

#[test]
fn explain_says_child_pipeline_not_created() {
    let dir = std::env::temp_dir().join(format!("glplan-child-filtered-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join(".gitlab-ci.yml");
    std::fs::write(&config, "w: {trigger: {include: wf.yml}}\n").unwrap();
    let child = "workflow: {rules: [{if: $NOPE}]}\nx: {script: x}\n";
    std::fs::write(dir.join("wf.yml"), child).unwrap();
    let output = glplan(&["explain", "w/x", config.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    let text = stdout(&output);
    assert!(
        text.contains("child pipeline: of trigger job `w`, not created\njob: x\n"),
        "{text}"
    );
}

#[test]
fn explain_warns_about_namesake_jobs() {
    // Job `z` of the child pipeline of `x/y` and job `y/z` of the child pipeline of `x` are
    // both `x/y/z`.
    let dir = std::env::temp_dir().join(format!("glplan-namesakes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join(".gitlab-ci.yml");
    let parent = "'x/y': {trigger: {include: c1.yml}}\nx: {trigger: {include: c2.yml}}\n";
    std::fs::write(&config, parent).unwrap();
    std::fs::write(dir.join("c1.yml"), "z: {script: x}\n").unwrap();
    std::fs::write(dir.join("c2.yml"), "'y/z': {script: x}\n").unwrap();
    let output = glplan(&["explain", "x/y/z", config.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "warning: 2 jobs are named `x/y/z`, because job names may contain `/`; this is the \
             one of the child pipeline of trigger job `x`."
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn job_path_picks_namesake_job() {
    // `x/y/z` names job `z` of the child of `x/y` and job `y/z` of the child of `x`. A path
    // names one of them, in `--fail`, `--play` and the durations file.
    let dir = std::env::temp_dir().join(format!("glplan-job-path-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join(".gitlab-ci.yml");
    let parent = "'x/y': {trigger: {include: c1.yml, strategy: depend}}\n\
                  x: {trigger: {include: c2.yml, strategy: depend}}\n";
    std::fs::write(&config, parent).unwrap();
    std::fs::write(dir.join("c1.yml"), "z: {script: one}\n").unwrap();
    std::fs::write(
        dir.join("c2.yml"),
        "'y/z': {script: two}\nlater: {script: x, when: manual}\n",
    )
    .unwrap();
    let durations = dir.join("durations.yml");
    std::fs::write(&durations, "default: 10\njobs:\n  [x/y, z]: 40\n").unwrap();
    let config = config.to_str().unwrap();
    let durations = durations.to_str().unwrap();

    let output = glplan(&[
        "schedule",
        config,
        "--format",
        "json",
        "--durations",
        durations,
        "--fail",
        "[x, y/z]",
        "--play",
        "[x, later]",
    ]);
    let unknown = glplan(&["schedule", config, "--fail", "[x, z]"]);
    let invalid = glplan(&["schedule", config, "--fail", "[x, 1]"]);
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let schedule: Value = serde_json::from_slice(&output.stdout).unwrap();
    let jobs: Vec<(&str, &str, &str, u64)> = schedule["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|job| {
            (
                job["name"].as_str().unwrap(),
                job["pipeline"].as_str().unwrap_or(""),
                job["status"].as_str().unwrap(),
                job["finished_at"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        jobs,
        [
            ("x/y", "", "success", 40),
            ("x", "", "failed", 10),
            ("x/y/z", "x/y", "success", 40),
            ("x/y/z", "x", "failed", 10),
            ("x/later", "x", "success", 10),
        ]
    );

    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("--fail: job `[\"x\", \"z\"]` is not in the pipeline"),
        "{}",
        stderr(&unknown)
    );
    assert_eq!(invalid.status.code(), Some(2));
    assert!(
        stderr(&invalid).contains("item 2 of the job path is integer"),
        "{}",
        stderr(&invalid)
    );
}

#[test]
fn explain_in_trigger_picks_namesake_job() {
    // As above, `x/y/z` names two jobs; `--in` names the trigger jobs by whole names.
    let dir = std::env::temp_dir().join(format!("glplan-explain-in-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join(".gitlab-ci.yml");
    let parent = "'x/y': {trigger: {include: c1.yml}}\nx: {trigger: {include: c2.yml}}\n";
    std::fs::write(&config, parent).unwrap();
    std::fs::write(dir.join("c1.yml"), "z: {script: one}\n").unwrap();
    std::fs::write(dir.join("c2.yml"), "'y/z': {script: two}\n").unwrap();
    let config = config.to_str().unwrap();
    let json = |args: &[&str]| {
        let output = glplan(&[&["explain"], args, &[config, "--format", "json"]].concat());
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert_eq!(stderr(&output), "");
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };
    let first = json(&["z", "--in", "x/y"]);
    assert_eq!(first["trigger"], "x/y");
    assert_eq!(first["job"]["name"], "z");
    let second = json(&["y/z", "--in", "x"]);
    assert_eq!(second["trigger"], "x");
    assert_eq!(second["job"]["name"], "y/z");

    let missing = glplan(&["explain", "z", "--in", "x", config]);
    let unknown = glplan(&["explain", "z", "--in", "w", config]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).starts_with("error: in the child pipeline of `x`: job `z` not found"),
        "{}",
        stderr(&missing)
    );
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).starts_with("error: job `w` not found"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn explain_names_grandchild_job_as_schedule_does() {
    let config = fixture("children/.gitlab-ci.yml");
    let output = glplan(&["explain", "deploy/nested/smoke", &config]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("child pipeline: created by trigger job `deploy/nested`\njob: smoke\n"),
        "{text}"
    );
    assert!(text.contains("defined at: "), "{text}");
    assert!(text.contains("grand.yml:1:1"), "{text}");

    let json = glplan(&[
        "explain",
        "deploy/nested/smoke",
        &config,
        "--format",
        "json",
    ]);
    let value: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["trigger"], "deploy/nested");
    assert_eq!(value["source"], "parent_pipeline");
    assert_eq!(value["job"]["name"], "smoke");

    let typo = glplan(&["explain", "deploy/nested/smok", &config]);
    assert_eq!(typo.status.code(), Some(1));
    assert_eq!(
        stderr(&typo),
        "error: job `deploy/nested/smok` not found; did you mean `deploy/nested/smoke`?\n"
    );
}

/// `plan` keeps a child pipeline's errors in its trigger job, which the schedule does not
/// show, so the schedule's `diagnostics` list them with `trigger_jobs`.
#[test]
fn schedule_json_has_child_errors() {
    let config = fixture("child-error/.gitlab-ci.yml");
    let output = glplan(&["schedule", &config, "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let schedule: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        job(&schedule, "bad")["failure_reason"],
        "downstream_pipeline_creation_failed"
    );
    let diagnostics = schedule["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let error = &diagnostics[0];
    assert_eq!(error["severity"], "error");
    assert_eq!(error["trigger_jobs"], serde_json::json!(["bad"]));
    assert_eq!(
        error["location"]["file"],
        fixture("child-error/bad.yml"),
        "{error}"
    );
}

#[test]
fn stuck_child_jobs_warn_in_plan() {
    let config = fixture("children/.gitlab-ci.yml");
    let runners = fixture("children/shell.toml");
    let output = glplan(&["plan", &config, "--runners", &runners]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stderr(&output);
    let child = fixture("children/child.yml");
    let grandchild = fixture("children/grand.yml");
    let expected = [
        ("deploy/unit", format!("{child}:3:1")),
        ("deploy/approve", format!("{child}:8:1")),
        ("deploy/nested/smoke", format!("{grandchild}:1:1")),
    ];
    for (name, location) in expected {
        let heading = format!("warning[fleet-stuck-job]: job `{name}` is stuck");
        let (_, after) = text
            .split_once(&heading)
            .unwrap_or_else(|| panic!("no warning for {name} in {text}"));
        let first_location = after.lines().nth(1).unwrap_or_default();
        assert!(
            first_location.ends_with(&location),
            "{name}: {first_location}"
        );
    }
}

#[test]
fn stuck_child_jobs_in_schedule_json() {
    let schedule = schedule_json("children", &["shell.toml"], &[]);
    let child = fixture("children/child.yml");
    let grandchild = fixture("children/grand.yml");
    let stuck: Vec<(String, String)> = diagnostic_locations(&schedule)
        .into_iter()
        .filter(|(code, _)| code == "fleet-stuck-job")
        .collect();
    let top = fixture("children/.gitlab-ci.yml");
    let expected = [
        format!("{top}:6"),
        format!("{top}:17"),
        format!("{top}:22"),
        format!("{child}:3"),
        format!("{child}:8"),
        format!("{grandchild}:1"),
    ];
    let locations: Vec<&str> = stuck.iter().map(|(_, at)| at.as_str()).collect();
    assert_eq!(locations, expected);
    let messages: Vec<&str> = schedule["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("job `deploy/nested/smoke` is stuck")),
        "{messages:?}"
    );
}

#[test]
fn runner_failure_in_json() {
    let schedule = schedule_json("runner-failure", &["runners.toml"], &[]);
    assert_eq!(schedule["status"], "failed");
    for name in ["bad", "pp", "svc"] {
        let failed = job(&schedule, name);
        assert_eq!(failed["status"], "failed", "{name}");
        assert_eq!(failed["failure_reason"], "runner_system_failure", "{name}");
        assert_eq!(failed["started_at"], 0, "{name}");
        assert_eq!(failed["finished_at"], 9, "{name}");
    }
    let bad = job(&schedule, "bad");
    let reason = bad["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("runner `d` fails the job before its script: The \"docker.io/kalilinux/kali:latest\" image"),
        "{reason}"
    );
    assert_eq!(bad["attempts"][0]["reason"], bad["reason"]);
    assert_eq!(job(&schedule, "ok")["status"], "success");
    assert_eq!(job(&schedule, "noimg")["started_at"], 9);
}

#[test]
fn runner_failure_retried_in_json() {
    let schedule = schedule_json("runner-failure", &["runners.toml"], &[]);
    let attempts = job(&schedule, "retried")["attempts"].as_array().unwrap();
    let reasons: Vec<&Value> = attempts.iter().map(|a| &a["failure_reason"]).collect();
    assert_eq!(reasons, ["runner_system_failure", "runner_system_failure"]);
    let ends: Vec<&Value> = attempts.iter().map(|a| &a["finished_at"]).collect();
    assert_eq!(ends, [18, 27]);
}

#[test]
fn kubernetes_overwrite_failure_in_json() {
    let schedule = schedule_json("kubernetes-overwrite", &["runners.toml"], &[]);
    assert_eq!(schedule["status"], "failed");
    let big = job(&schedule, "big");
    assert_eq!(big["status"], "failed");
    assert_eq!(big["failure_reason"], "runner_system_failure");
    assert_eq!(big["finished_at"], 9);
    assert_eq!(
        big["reason"],
        "runner `k` fails the job before its script: invalid build requests specified: the \
         resource \"CPURequest\" requested \"4\" is higher than limit allowed \"2\"; every \
         runner that can take the job fails it"
    );
    let broken = job(&schedule, "broken");
    assert_eq!(broken["failure_reason"], "runner_system_failure");
    let reason = broken["reason"].as_str().unwrap();
    assert!(
        reason.contains("invalid build requests specified: parsing resource limit:"),
        "{reason}"
    );
    assert_eq!(job(&schedule, "fits")["status"], "success");
}

#[test]
fn kubernetes_overwrite_errors_in_plan() {
    let config = fixture("kubernetes-overwrite/.gitlab-ci.yml");
    let runners = fixture("kubernetes-overwrite/runners.toml");
    let output = glplan(&["plan", &config, "--runners", &runners, "--color", "never"]);
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert!(
        text.contains("error[fleet-kubernetes-overwrite-too-high]"),
        "{text}"
    );
    assert!(
        text.contains("error[fleet-kubernetes-overwrite-invalid]"),
        "{text}"
    );
    assert!(text.contains("higher than limit allowed \"2\""), "{text}");
}

#[test]
fn runner_failure_in_table() {
    let config = fixture("runner-failure/.gitlab-ci.yml");
    let runners = fixture("runner-failure/runners.toml");
    let output = glplan(&["schedule", &config, "--runners", &runners]);
    let text = stdout(&output);
    let row = text
        .lines()
        .find(|line| line.starts_with("bad "))
        .unwrap_or_else(|| panic!("no row of `bad` in {text}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cells[..8],
        ["bad", "test", "failed", "d", "1", "0:00", "0:00", "0:09"]
    );
    assert!(
        row.contains("runner_system_failure; runner `d` fails the job before its script"),
        "{row}"
    );
    assert!(
        row.ends_with("every runner that can take the job fails it"),
        "{row}"
    );
    assert!(text.contains("status: failed, duration 5:09"), "{text}");
}

#[test]
fn runner_failure_in_mermaid() {
    let config = fixture("runner-failure/.gitlab-ci.yml");
    let runners = fixture("runner-failure/runners.toml");
    let output = glplan(&[
        "schedule",
        &config,
        "--runners",
        &runners,
        "--format",
        "mermaid",
    ]);
    let text = stdout(&output);
    assert!(text.contains("    bad :crit, j1, 0, 9\n"), "{text}");
    assert!(
        text.contains(
            "    %% svc: runner_system_failure: runner `d` fails the job before its script: The \
             \"redis:7\" image is not present on list of allowed services;"
        ),
        "{text}"
    );
}
