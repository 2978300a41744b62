//! Conformance over the shared corpus of real GitLab CI/CD files (see `glplan_tests::corpus`
//! for the kinds and the expectation lists).
//!
//! The corpus is looked up at `$GLPLAN_CORPUS`, or at `shared/corpus` beside the workspace
//! folder. Without it the test prints why it skipped and passes, unless
//! `GLPLAN_REQUIRE_CORPUS=1` is set, as CI does, which makes it fail.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on a broken fixture or oracle"
)]
#![expect(
    clippy::panic,
    reason = "a malformed expectations file fails the test with its path"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;

use glplan::{FileProvider, Resolution, ResolveOptions};
use glplan_tests::corpus::{
    CorpusFiles, Entry, Kind, SingleFile, corpus_dir, describe, parse_expectations, parse_manifest,
    peer_test_root, pipeline_variables, verdict_errors,
};

/// Where GitLab's templates sit inside the corpus.
const TEMPLATES: &str = "gitlab-org-gitlab/lib/gitlab/ci/templates";
/// GitLab Runner's repository inside the corpus.
const RUNNER: &str = "gitlab-org-gitlab-runner";
/// The project path peer tests and templates run as; peer tests include CI/CD components of
/// `$CI_PROJECT_PATH`, which then resolve to the test case folder itself.
const PROJECT: &str = "corpus/project";

/// What happened to one corpus file.
#[derive(Debug)]
enum Outcome {
    /// No error diagnostic (apart from includes the corpus cannot supply).
    Accepted,
    /// At least one error; the strings describe the first few.
    Rejected(Vec<String>),
    /// The resolver panicked, which untrusted input must never cause.
    Panicked(String),
}

impl Outcome {
    fn of(resolution: &Resolution) -> Outcome {
        let errors = verdict_errors(resolution);
        if errors.is_empty() {
            Outcome::Accepted
        } else {
            Outcome::Rejected(
                errors
                    .iter()
                    .take(3)
                    .map(|d| describe(d, resolution))
                    .collect(),
            )
        }
    }
}

fn resolve_guarded(
    entry: &str,
    files: &dyn FileProvider,
    options: &ResolveOptions,
) -> Result<Resolution, Outcome> {
    catch_unwind(AssertUnwindSafe(|| glplan::resolve(entry, files, options))).map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        Outcome::Panicked(message)
    })
}

fn options(project_path: &str) -> ResolveOptions {
    ResolveOptions {
        variables: pipeline_variables(project_path),
        ..ResolveOptions::default()
    }
}

fn outcome_or_panic(result: Result<Resolution, Outcome>) -> Outcome {
    match result {
        Ok(resolution) => Outcome::of(&resolution),
        Err(panicked) => panicked,
    }
}

/// Resolves one of GitLab's schema tests alone, with nothing else to include.
fn run_schema(corpus: &Path, entry: &Entry) -> Outcome {
    let name = entry
        .path
        .rsplit('/')
        .next()
        .unwrap_or(&entry.path)
        .to_owned();
    let text = match std::fs::read_to_string(corpus.join(&entry.path)) {
        Ok(text) => text,
        Err(error) => return Outcome::Rejected(vec![format!("cannot read: {error}")]),
    };
    let files = SingleFile {
        path: name.clone(),
        text,
    };
    outcome_or_panic(resolve_guarded(&name, &files, &options(PROJECT)))
}

/// Resolves a GitLab template, with the corpus's other templates available to `include:template`.
fn run_template(corpus: &Path, entry: &Entry) -> Outcome {
    let root = corpus.join(TEMPLATES);
    let relative = entry
        .path
        .strip_prefix(&format!("{TEMPLATES}/"))
        .unwrap_or(&entry.path);
    let files = CorpusFiles::new(&root).with_templates(&root);
    outcome_or_panic(resolve_guarded(relative, &files, &options(PROJECT)))
}

/// Resolves a gitlab-ci-local test input, rooted at its test case folder.
fn run_peer_test(corpus: &Path, entry: &Entry, all_paths: &BTreeSet<String>) -> Outcome {
    let root = peer_test_root(&entry.path, all_paths);
    let relative = entry
        .path
        .strip_prefix(&format!("{root}/"))
        .unwrap_or(&entry.path);
    let templates = corpus.join(TEMPLATES);
    let case = corpus.join(&root);
    let files = CorpusFiles::new(&case)
        .with_templates(&templates)
        .with_project(PROJECT, &case);
    outcome_or_panic(resolve_guarded(relative, &files, &options(PROJECT)))
}

/// Stand-ins for the template, project file and components GitLab Runner's pipeline includes
/// from outside its repository, by project path (`None` for the templates folder).
const RUNNER_STAND_INS: [(Option<&str>, &str); 5] = [
    (None, "templates"),
    (
        Some(
            "gitlab-com/gl-security/security-operations/infrastructure-security-public/oidc-modules",
        ),
        "projects/oidc-modules",
    ),
    (
        Some("components/dependency-scanning"),
        "projects/dependency-scanning",
    ),
    (Some("components/sast"), "projects/sast"),
    (
        Some("gitlab-org/components/danger-review"),
        "projects/danger-review",
    ),
];

fn runner_files(root: &Path) -> CorpusFiles {
    let stand_ins =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus-stand-ins/gitlab-runner");
    let mut files = CorpusFiles::new(root);
    for (project, dir) in RUNNER_STAND_INS {
        files = match project {
            Some(project) => files.with_project(project, &stand_ins.join(dir)),
            None => files.with_templates(&stand_ins.join(dir)),
        };
    }
    files
}

/// GitLab Runner's pipeline, resolved from its entry file twice: as the canonical project and as
/// a fork, because `include:rules` pick a different file for each. A file passes when it was
/// loaded in one of the runs and no error points into it. Errors without a position count
/// against the entry file. The includes from outside the repository are served by the
/// stand-ins in `tests/fixtures/corpus-stand-ins/gitlab-runner`.
fn run_real_project(corpus: &Path, entries: &[&Entry]) -> BTreeMap<String, Outcome> {
    let root = corpus.join(RUNNER);
    let mut loaded: BTreeSet<String> = BTreeSet::new();
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut panicked = None;
    for project in ["gitlab-org/gitlab-runner", "contributor/gitlab-runner"] {
        let files = runner_files(&root);
        let resolution = match resolve_guarded(".gitlab-ci.yml", &files, &options(project)) {
            Ok(resolution) => resolution,
            Err(outcome) => {
                panicked = Some(outcome);
                continue;
            }
        };
        for (_, file) in resolution.sources.files() {
            loaded.insert(file.name.trim_start_matches('/').to_owned());
        }
        for diagnostic in verdict_errors(&resolution) {
            let file = diagnostic
                .span
                .and_then(|span| resolution.sources.get(span.file))
                .map_or(".gitlab-ci.yml".to_owned(), |f| {
                    f.name.trim_start_matches('/').to_owned()
                });
            errors.entry(file).or_default().push(format!(
                "as {project}: {}",
                describe(diagnostic, &resolution)
            ));
        }
    }

    let mut outcomes = BTreeMap::new();
    for entry in entries {
        let repo_path = entry.repo_path.trim_start_matches('/');
        let outcome = if let Some(Outcome::Panicked(message)) = &panicked {
            Outcome::Panicked(message.clone())
        } else if let Some(list) = errors.get(repo_path) {
            Outcome::Rejected(list.iter().take(3).cloned().collect())
        } else if !loaded.contains(repo_path) {
            Outcome::Rejected(vec!["never loaded by the pipeline's includes".to_owned()])
        } else {
            Outcome::Accepted
        };
        outcomes.insert(entry.path.clone(), outcome);
    }
    outcomes
}

#[test]
fn corpus_conformance() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let corpus = corpus_dir(&workspace);
    let manifest = corpus.join("MANIFEST.tsv");
    let Ok(manifest_text) = std::fs::read_to_string(&manifest) else {
        let message = format!(
            "corpus not found at {} (set GLPLAN_CORPUS)",
            corpus.display()
        );
        assert!(
            std::env::var_os("GLPLAN_REQUIRE_CORPUS").is_none_or(|value| value != "1"),
            "{message}, and GLPLAN_REQUIRE_CORPUS=1 requires it"
        );
        // Written past the test harness's capture, so that a local run shows the skip.
        let _ = writeln!(std::io::stderr(), "skipped: {message}");
        return;
    };
    let entries = parse_manifest(&manifest_text).unwrap();
    let all_paths: BTreeSet<String> = entries.iter().map(|e| e.path.clone()).collect();
    let expectations_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("expectations");

    let mut failures = Vec::new();
    let mut summary = Vec::new();
    for kind in Kind::ALL {
        let listed = load_expectations(&expectations_dir, kind);
        let of_kind: Vec<&Entry> = entries.iter().filter(|e| e.kind == kind).collect();
        let (pipelines, auxiliary): (Vec<&Entry>, Vec<&Entry>) =
            of_kind.iter().partition(|e| !e.is_auxiliary());

        let outcomes: BTreeMap<String, Outcome> = match kind {
            Kind::RealProject => run_real_project(&corpus, &pipelines),
            _ => pipelines
                .iter()
                .map(|entry| {
                    let outcome = match kind {
                        Kind::SchemaPositive | Kind::SchemaNegative => run_schema(&corpus, entry),
                        Kind::Template => run_template(&corpus, entry),
                        _ => run_peer_test(&corpus, entry, &all_paths),
                    };
                    (entry.path.clone(), outcome)
                })
                .collect(),
        };

        let mut ok = 0;
        for (path, outcome) in &outcomes {
            let expect_error = kind.expects_error() != listed.contains_key(path);
            match (outcome, expect_error) {
                (Outcome::Accepted, false) | (Outcome::Rejected(_), true) => ok += 1,
                (Outcome::Panicked(message), _) => {
                    failures.push(format!("{kind} {path}: panicked: {message}"));
                }
                (Outcome::Accepted, true) => failures.push(format!(
                    "{kind} {path}: accepted, but an error is expected ({})",
                    listed
                        .get(path)
                        .map_or("schema-negative files must be rejected".to_owned(), |r| {
                            format!("listed in {}: {r}", kind.exceptions_file())
                        })
                )),
                (Outcome::Rejected(errors), false) => failures.push(format!(
                    "{kind} {path}: rejected{}:\n      {}",
                    if listed.contains_key(path) {
                        format!(", but listed in {} as accepted", kind.exceptions_file())
                    } else {
                        String::new()
                    },
                    errors.join("\n      ")
                )),
            }
        }
        for path in listed.keys() {
            if !outcomes.contains_key(path) {
                failures.push(format!(
                    "{}: `{path}` is not a {kind} pipeline file of the manifest",
                    kind.exceptions_file()
                ));
            }
        }
        summary.push(format!(
            "{kind}: {ok}/{} ok ({} listed in {}{})",
            outcomes.len(),
            listed.len(),
            kind.exceptions_file(),
            if auxiliary.is_empty() {
                String::new()
            } else {
                format!(", {} auxiliary files skipped", auxiliary.len())
            }
        ));
    }

    // Written to the standard error handle rather than with `eprintln!`, which the test
    // harness captures, so that the counts show in every run's log.
    let mut stderr = std::io::stderr().lock();
    for line in &summary {
        let _ = writeln!(stderr, "{line}");
    }
    assert!(
        failures.is_empty(),
        "{} corpus files differ from their expected verdict:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

fn load_expectations(dir: &Path, kind: Kind) -> BTreeMap<String, String> {
    let path: PathBuf = dir.join(kind.exceptions_file());
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_expectations(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `corpus_conformance` alone in a child process of this test binary, with the corpus
/// pointed at a folder that does not exist.
fn run_without_corpus(require: Option<&str>) -> std::process::Output {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["corpus_conformance", "--exact", "--nocapture"])
        .env("GLPLAN_CORPUS", "/nonexistent/glplan-corpus")
        .env_remove("GLPLAN_REQUIRE_CORPUS");
    if let Some(value) = require {
        command.env("GLPLAN_REQUIRE_CORPUS", value);
    }
    command.output().unwrap()
}

#[test]
fn missing_corpus_skips_locally() {
    let output = run_without_corpus(None);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("skipped: corpus not found"), "{stderr}");
}

#[test]
fn missing_corpus_fails_when_required() {
    let output = run_without_corpus(Some("1"));
    assert!(!output.status.success());
}
