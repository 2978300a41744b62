//! The job lists GitLab would create for the gitlab-ci-local test inputs about rules, needs,
//! variables, workflow and matrix behaviour.
//!
//! `tests/expectations/peer-job-lists.txt` holds one block per case. A block names the input
//! file and the pipeline context and gives the reason for the expected result on a `why:`
//! line. Optional `note:` lines say where GitLab's documented behaviour differs from what a
//! naive reading of the file suggests. Then come either the created jobs or the errors that
//! stop pipeline creation. The expected lists come from GitLab's documentation and code, not
//! from gitlab-ci-local, whose own expectations are not part of the corpus.
//!
//! The corpus is looked up at `$GLPLAN_CORPUS`, or at `shared/corpus` beside the workspace
//! folder. Without it the test prints why it skipped and passes, unless
//! `GLPLAN_REQUIRE_CORPUS=1` is set, which makes it fail.
//!
//! Block format (`#` starts a comment line; the columns of a job line are separated by ` | `):
//!
//! ```text
//! == needs-optional/.gitlab-ci.yml | push main
//! why: an optional need on a job that rules leave out is dropped
//! job executed-job | test | on_success | []
//! var executed-job | NAME | value
//! ```
//!
//! The context is `push BRANCH`, `tag TAG`, `mr SOURCE TARGET`, `schedule BRANCH` or
//! `web BRANCH`, followed by any of `; var KEY=VALUE` (a pipeline variable), `; changed PATH`
//! (a changed file; `; changed` alone means a diff with no files) and `; files PATH` (a
//! repository file, for `exists`). A job line gives the name, stage, effective `when` and the
//! needs: `-` for a stage-scheduled job, otherwise a JSON list of the needed job names. A
//! `var` line checks one variable's value, `(unset)` meaning the job does not have it. An
//! `error:` line is a pipeline error; a case with errors expects no pipeline, and exactly
//! those errors. A `gap:` line marks a case where glplan does not produce GitLab's result yet:
//! the test then requires the difference to persist, so that closing the gap means removing
//! the line.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail the test on a broken fixture or expectations file"
)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use glplan::context::{PipelineContext, SettingsVariable};
use glplan::pipeline::{Pipeline, PlanOptions, PlannedJob, plan};
use glplan_tests::corpus::{CorpusFiles, Kind, corpus_dir, parse_manifest};

/// Where the gitlab-ci-local test cases sit inside the corpus.
const CASES: &str = "gitlab-ci-local/tests/test-cases";

/// The expectations file, relative to this package.
const EXPECTATIONS: &str = "expectations/peer-job-lists.txt";

/// One block of the expectations file.
#[derive(Debug, Default)]
struct Case {
    /// Line of the `==` header, for failure reports.
    line: usize,
    /// Path of the entry file under [`CASES`], such as `needs-optional/.gitlab-ci.yml`.
    path: String,
    /// The context as written.
    context: String,
    /// The `why:` line.
    why: String,
    /// The `note:` lines.
    notes: Vec<String>,
    /// The `gap:` line: why glplan does not yet produce GitLab's result for this case.
    gap: Option<String>,
    /// The expected jobs, rendered as [`render_job`] does.
    jobs: Vec<String>,
    /// `(job, variable, value)`; `None` for `(unset)`.
    variables: Vec<(String, String, Option<String>)>,
    /// The expected pipeline errors.
    errors: Vec<String>,
}

/// Parses the expectations file into cases.
fn parse_cases(text: &str) -> Result<Vec<Case>, String> {
    let mut cases: Vec<Case> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim_end();
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix("== ") {
            let (path, context) = header
                .split_once(" | ")
                .ok_or_else(|| format!("line {number}: expected `== PATH | CONTEXT`"))?;
            cases.push(Case {
                line: number,
                path: path.trim().to_owned(),
                context: context.trim().to_owned(),
                ..Case::default()
            });
            continue;
        }
        let case = cases
            .last_mut()
            .ok_or_else(|| format!("line {number}: expected a `==` header first"))?;
        if let Some(why) = line.strip_prefix("why: ") {
            if !case.why.is_empty() {
                return Err(format!("line {number}: a case has one `why:` line"));
            }
            case.why = why.trim().to_owned();
        } else if let Some(note) = line.strip_prefix("note: ") {
            case.notes.push(note.trim().to_owned());
        } else if let Some(gap) = line.strip_prefix("gap: ") {
            case.gap = Some(gap.trim().to_owned());
        } else if let Some(job) = line.strip_prefix("job ") {
            case.jobs.push(normalize_job_line(job, number)?);
        } else if let Some(variable) = line.strip_prefix("var ") {
            let columns: Vec<&str> = variable.split(" | ").map(str::trim).collect();
            let [job, name, value] = columns.as_slice() else {
                return Err(format!("line {number}: expected `var JOB | NAME | VALUE`"));
            };
            let value = (*value != "(unset)").then(|| (*value).to_owned());
            case.variables
                .push(((*job).to_owned(), (*name).to_owned(), value));
        } else if let Some(error) = line.strip_prefix("error: ") {
            case.errors.push(error.to_owned());
        } else {
            return Err(format!("line {number}: unknown line `{line}`"));
        }
    }
    for case in &cases {
        if case.why.is_empty() {
            return Err(format!("line {}: the case has no `why:` line", case.line));
        }
        if case.jobs.is_empty() && case.errors.is_empty() {
            return Err(format!(
                "line {}: the case expects neither jobs nor errors",
                case.line
            ));
        }
    }
    Ok(cases)
}

/// Parses `NAME | STAGE | WHEN | NEEDS` and renders it back the way [`render_job`] does, so
/// that spacing inside the needs list does not matter.
fn normalize_job_line(text: &str, number: usize) -> Result<String, String> {
    let columns: Vec<&str> = text.split(" | ").map(str::trim).collect();
    let [name, stage, when, needs] = columns.as_slice() else {
        return Err(format!(
            "line {number}: expected `job NAME | STAGE | WHEN | NEEDS`"
        ));
    };
    let needs = match *needs {
        "-" => None,
        list => Some(
            serde_json::from_str::<Vec<String>>(list)
                .map_err(|error| format!("line {number}: needs `{list}`: {error}"))?,
        ),
    };
    Ok(job_line(name, stage, when, needs.as_deref()))
}

fn job_line(name: &str, stage: &str, when: &str, needs: Option<&[String]>) -> String {
    let needs = match needs {
        None => "-".to_owned(),
        Some(list) => serde_json::to_string(list).unwrap(),
    };
    format!("{name} | {stage} | {when} | {needs}")
}

fn render_job(job: &PlannedJob) -> String {
    let needs: Option<Vec<String>> = job
        .needs
        .as_ref()
        .map(|needs| needs.iter().map(|need| need.job.to_string()).collect());
    job_line(&job.name, &job.stage, job.when.as_str(), needs.as_deref())
}

/// Builds the pipeline context a case's context text describes.
fn parse_context(text: &str) -> Result<PipelineContext, String> {
    let mut parts = text.split(';').map(str::trim);
    let base: Vec<&str> = parts
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let mut context = match base.as_slice() {
        ["push", branch] => PipelineContext::push(*branch),
        ["tag", tag] => PipelineContext::tag(*tag),
        ["mr", source, target] => PipelineContext::merge_request(*source, *target),
        ["schedule", branch] => PipelineContext::schedule(*branch),
        ["web", branch] => PipelineContext::web(*branch),
        _ => return Err(format!("unknown pipeline kind `{}`", base.join(" "))),
    };
    for part in parts {
        let (key, value) = part.split_once(' ').unwrap_or((part, ""));
        match key {
            "var" => {
                let (name, value) = value
                    .split_once('=')
                    .ok_or_else(|| format!("expected `var KEY=VALUE`, found `{part}`"))?;
                context
                    .pipeline_variables
                    .push(SettingsVariable::new(name, value));
            }
            "changed" => {
                let changed = context.changed_files.get_or_insert_with(Vec::new);
                if !value.is_empty() {
                    changed.push(value.to_owned());
                }
            }
            "files" => context.repository_files.push(value.to_owned()),
            _ => return Err(format!("unknown context part `{part}`")),
        }
    }
    Ok(context)
}

/// Plans one case and returns what differs from the expectation, or nothing.
fn check_case(corpus: &Path, case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let Some((folder, entry)) = case.path.split_once('/') else {
        return vec![format!("path `{}` names no test case folder", case.path)];
    };
    let context = match parse_context(&case.context) {
        Ok(context) => context,
        Err(error) => return vec![error],
    };
    let root = corpus.join(CASES).join(folder);
    let files = CorpusFiles::new(&root);
    let (resolution, pipeline) = plan(entry, &files, &context, &PlanOptions::default());

    let errors: Vec<String> = match &pipeline {
        Some(pipeline) => pipeline.errors.clone(),
        None => resolution
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.message.clone())
            .collect(),
    };
    let expected_errors: BTreeSet<&String> = case.errors.iter().collect();
    let found_errors: BTreeSet<&String> = errors.iter().collect();
    if expected_errors != found_errors {
        problems.push(format!(
            "errors differ\n    expected: {:#?}\n    found:    {:#?}",
            case.errors, errors
        ));
    }
    let Some(pipeline) = pipeline else {
        if !case.jobs.is_empty() {
            problems.push("no configuration was built".to_owned());
        }
        return problems;
    };
    let created = case.errors.is_empty();
    if pipeline.created != created {
        problems.push(format!(
            "expected created = {created}, found {}",
            pipeline.created
        ));
    }
    if created {
        check_jobs(case, &pipeline, &mut problems);
    }
    problems
}

fn check_jobs(case: &Case, pipeline: &Pipeline, problems: &mut Vec<String>) {
    let found: Vec<String> = pipeline.jobs.iter().map(render_job).collect();
    if found != case.jobs {
        let mut text = String::from("jobs differ\n    expected:\n");
        for line in &case.jobs {
            let _ = writeln!(text, "      job {line}");
        }
        text.push_str("    found:\n");
        for line in &found {
            let _ = writeln!(text, "      job {line}");
        }
        problems.push(text);
    }
    for (job, name, value) in &case.variables {
        let Some(planned) = pipeline.job(job) else {
            problems.push(format!(
                "`{job}` is not planned, so `{name}` cannot be checked"
            ));
            continue;
        };
        let found = planned.variable(name);
        if found != value.as_deref() {
            problems.push(format!(
                "`{job}`: `{name}` expected {value:?}, found {found:?}"
            ));
        }
    }
}

#[test]
fn peer_job_lists() {
    let package = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = corpus_dir(&package.join(".."));
    let manifest = match std::fs::read_to_string(corpus.join("MANIFEST.tsv")) {
        Ok(text) => text,
        Err(error) => {
            let message = format!("corpus not found at {} ({error})", corpus.display());
            assert!(
                std::env::var_os("GLPLAN_REQUIRE_CORPUS").is_none_or(|value| value != "1"),
                "{message}, and GLPLAN_REQUIRE_CORPUS=1 requires it"
            );
            // Written past the test harness's capture, so that a local run shows the skip.
            let _ = writeln!(std::io::stderr(), "skipped: {message}");
            return;
        }
    };
    let peer_paths: BTreeSet<String> = parse_manifest(&manifest)
        .unwrap()
        .into_iter()
        .filter(|entry| entry.kind == Kind::PeerTest)
        .map(|entry| entry.path)
        .collect();
    let text = std::fs::read_to_string(package.join(EXPECTATIONS)).unwrap();
    let cases = parse_cases(&text).unwrap_or_else(|error| panic!("{EXPECTATIONS}: {error}"));

    let mut report = String::new();
    for case in &cases {
        let corpus_path = format!("{CASES}/{}", case.path);
        let mut problems = if peer_paths.contains(&corpus_path) {
            check_case(&corpus, case)
        } else {
            vec![format!(
                "`{corpus_path}` is not a peer-test file of the corpus"
            )]
        };
        // A known gap must still show, so that closing it updates the file.
        if let Some(gap) = &case.gap {
            problems = if problems.is_empty() {
                vec![format!(
                    "glplan now matches GitLab, so remove the gap line: {gap}"
                )]
            } else {
                Vec::new()
            };
        }
        for problem in problems {
            let _ = writeln!(
                report,
                "{EXPECTATIONS}:{}: {} ({}): {problem}",
                case.line, case.path, case.context
            );
        }
    }
    assert!(report.is_empty(), "{report}");
}

#[test]
fn expectations_parse() {
    let text = "# comment\n\
                == a/.gitlab-ci.yml | push main; var X=1; changed\n\
                why: reason\n\
                note: a note\n\
                job b | test | on_success | [\"a\",  \"c\"]\n\
                var b | X | (unset)\n";
    let cases = parse_cases(text).unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].path, "a/.gitlab-ci.yml");
    assert_eq!(cases[0].context, "push main; var X=1; changed");
    assert_eq!(cases[0].notes, ["a note"]);
    assert_eq!(cases[0].jobs, ["b | test | on_success | [\"a\",\"c\"]"]);
    assert_eq!(cases[0].variables, [("b".to_owned(), "X".to_owned(), None)]);
}

#[test]
fn expectations_need_reason() {
    let text = "== a/.gitlab-ci.yml | push main\njob b | test | on_success | -\n";
    assert!(parse_cases(text).unwrap_err().contains("no `why:`"));
}

#[test]
fn expectations_need_outcome() {
    let text = "== a/.gitlab-ci.yml | push main\nwhy: reason\n";
    assert!(
        parse_cases(text)
            .unwrap_err()
            .contains("neither jobs nor errors")
    );
}

#[test]
fn context_parts() {
    let context = parse_context("push main; var A=1; changed x; files y").unwrap();
    assert_eq!(context.pipeline_variables.len(), 1);
    assert_eq!(context.changed_files, Some(vec!["x".to_owned()]));
    assert_eq!(context.repository_files, ["y"]);
}

#[test]
fn context_empty_diff() {
    let context = parse_context("push main; changed").unwrap();
    assert_eq!(context.changed_files, Some(Vec::new()));
}

#[test]
fn context_unknown_kind() {
    assert!(parse_context("fork main").is_err());
}
