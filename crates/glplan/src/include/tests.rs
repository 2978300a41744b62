//! Tests of include processing against in-memory files, through the real YAML loader.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::*;
use crate::files::MemoryFiles;

const ENTRY: &str = ".gitlab-ci.yml";

/// The outcome of processing an entry file.
struct Run {
    merged: Option<Mapping>,
    diagnostics: Vec<Diagnostic>,
    sources: SourceMap,
    /// Whether processing marked the configuration incomplete.
    incomplete: bool,
}

impl Run {
    fn merged(&self) -> &Mapping {
        self.merged.as_ref().expect("the entry file resolves")
    }

    /// Returns the node at a path of mapping keys.
    fn at(&self, path: &[&str]) -> &Node {
        let mut node = None;
        let mut map = self.merged();
        for (i, key) in path.iter().enumerate() {
            let found = map
                .get(key)
                .unwrap_or_else(|| panic!("missing key `{key}` in {path:?}"));
            node = Some(found);
            if i + 1 < path.len() {
                map = found.as_map().expect("a mapping");
            }
        }
        node.expect("a non-empty path")
    }

    fn str_at(&self, path: &[&str]) -> &str {
        self.at(path).as_str().expect("a string")
    }

    fn strings_at(&self, path: &[&str]) -> Vec<&str> {
        self.at(path)
            .as_seq()
            .expect("a sequence")
            .iter()
            .map(|n| n.as_str().expect("a string element"))
            .collect()
    }

    fn keys(&self) -> Vec<String> {
        self.merged().keys().map(ToString::to_string).collect()
    }

    fn errors(&self) -> Vec<&str> {
        self.messages(Severity::Error)
    }

    fn warnings(&self) -> Vec<&str> {
        self.messages(Severity::Warning)
    }

    fn messages(&self, severity: Severity) -> Vec<&str> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .map(|d| d.message.as_str())
            .collect()
    }

    fn only_error(&self) -> &Diagnostic {
        let errors: Vec<&Diagnostic> = self.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert_eq!(errors.len(), 1, "errors: {errors:#?}");
        errors[0]
    }

    /// Returns the text a span covers.
    fn snippet(&self, span: Span) -> &str {
        self.sources.snippet(span)
    }

    fn file_name(&self, span: Span) -> &str {
        &self.sources.get(span.file).expect("a known file").name
    }
}

#[derive(Default)]
struct Options {
    variables: Vec<(String, String)>,
    inputs: Option<Mapping>,
    limits: Limits,
    changed_files: Option<Vec<String>>,
    masked: Vec<String>,
    raw: Vec<bool>,
    server_fqdn: Option<String>,
}

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn run_with(files: &dyn FileProvider, entry: &str, options: &Options) -> Run {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let file = sources.add(ENTRY, entry);
    let document =
        yaml::load(file, entry, &options.limits, &mut diags).expect("the entry file loads as YAML");
    let env = IncludeEnv {
        files,
        limits: &options.limits,
        variables: &options.variables,
        pipeline_inputs: options.inputs.as_ref(),
        changed_files: options.changed_files.as_deref(),
        masked: &options.masked,
        raw: &options.raw,
        server_fqdn: options.server_fqdn.as_deref(),
    };
    let merged = process(document, file, &env, &mut sources, &mut diags);
    Run {
        merged,
        incomplete: diags.is_incomplete(),
        diagnostics: diags.into_vec(),
        sources,
    }
}

fn run(files: &dyn FileProvider, entry: &str) -> Run {
    run_with(files, entry, &Options::default())
}

fn repo(files: &[(&str, &str)]) -> MemoryFiles {
    let mut memory = MemoryFiles::new();
    for (path, text) in files {
        memory
            .repository
            .insert((*path).to_owned(), (*text).to_owned());
    }
    memory
}

fn project_files(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(path, text)| ((*path).to_owned(), (*text).to_owned()))
        .collect()
}

/// A provider that fails chosen requests and records every request it gets.
struct Scripted {
    inner: MemoryFiles,
    failures: Vec<(String, FetchError)>,
    list_failure: Option<FetchError>,
    requests: Mutex<Vec<String>>,
}

impl Scripted {
    fn new(inner: MemoryFiles) -> Self {
        Scripted {
            inner,
            failures: Vec::new(),
            list_failure: None,
            requests: Mutex::new(Vec::new()),
        }
    }

    fn failing(mut self, key: &str, error: FetchError) -> Self {
        self.failures.push((key.to_owned(), error));
        self
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl FileProvider for Scripted {
    fn read(&self, request: FileRequest<'_>) -> Result<String, FetchError> {
        let key = match request {
            FileRequest::Repository {
                project,
                git_ref,
                path,
            } => format!(
                "{}:{}:{path}",
                project.unwrap_or("-"),
                git_ref.unwrap_or("-")
            ),
            FileRequest::Remote { url } => url.to_owned(),
            FileRequest::Template { name } => name.to_owned(),
        };
        if let Ok(mut requests) = self.requests.lock() {
            requests.push(key.clone());
        }
        if let Some((_, error)) = self.failures.iter().find(|(k, _)| *k == key) {
            return Err(error.clone());
        }
        self.inner.read(request)
    }

    fn list(
        &self,
        project: Option<&str>,
        git_ref: Option<&str>,
    ) -> Result<Vec<String>, FetchError> {
        match &self.list_failure {
            Some(error) => Err(error.clone()),
            None => self.inner.list(project, git_ref),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Worked examples of the include section

#[test]
fn merge_order_and_deep_merge() {
    let files = repo(&[
        (
            "a.yml",
            "variables: {X: a, Y: a}\njob: {script: [from-a], artifacts: {paths: [a]}}\n",
        ),
        (
            "b.yml",
            "variables: {X: b}\njob: {script: [from-b], artifacts: {when: always}}\n",
        ),
    ]);
    let result = run(&files, "include: [a.yml, b.yml]\nvariables: {Y: main}\n");
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.str_at(&["variables", "X"]), "b");
    assert_eq!(result.str_at(&["variables", "Y"]), "main");
    assert_eq!(result.strings_at(&["job", "script"]), ["from-b"]);
    assert_eq!(result.strings_at(&["job", "artifacts", "paths"]), ["a"]);
    assert_eq!(result.str_at(&["job", "artifacts", "when"]), "always");
    assert!(!result.merged().contains_key("include"));
}

#[test]
fn including_file_wins() {
    let files = repo(&[("a.yml", "image: from-a\nstages: [a]\n")]);
    let result = run(&files, "image: main\ninclude: a.yml\n");
    assert_eq!(result.str_at(&["image"]), "main");
    assert_eq!(result.strings_at(&["stages"]), ["a"]);
}

#[test]
fn rules_and_variables() {
    let files = repo(&[
        ("ci/push.yml", "push-job: {script: [x]}\n"),
        ("extra.yml", "extra-job: {script: [x]}\n"),
    ]);
    let entry = r#"
include:
  - local: ci/$CI_PIPELINE_SOURCE.yml
  - local: extra.yml
    rules:
      - if: $INCLUDE_EXTRA == "true"
      - when: never
"#;
    let options = Options {
        variables: vars(&[("CI_PIPELINE_SOURCE", "push"), ("INCLUDE_EXTRA", "true")]),
        ..Options::default()
    };
    let result = run_with(&files, entry, &options);
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.keys(), ["push-job", "extra-job"]);
}

#[test]
fn yaml_variables_invisible_to_rules() {
    let files = repo(&[("extra.yml", "extra-job: {script: [x]}\n")]);
    let entry = r#"
variables: {INCLUDE_EXTRA: "true"}
include:
  - local: extra.yml
    rules:
      - if: $INCLUDE_EXTRA == "true"
"#;
    let result = run(&files, entry);
    assert_eq!(result.keys(), ["variables"]);
}

const TEMPLATE: &str = r#"spec:
  inputs:
    stage: {default: test}
    jobs: {type: array}
    par: {type: number, default: 2}
---
"$[[ inputs.stage ]]-job":
  stage: $[[ inputs.stage ]]
  parallel: $[[ inputs.par ]]
  needs: $[[ inputs.jobs ]]
  script: echo "par=$[[ inputs.par ]]"
"#;

#[test]
fn typed_inputs() {
    let files = repo(&[("tmpl.yml", TEMPLATE)]);
    let entry = "stages: [build, test]\ninclude:\n  - local: tmpl.yml\n    inputs: {stage: build, jobs: []}\n";
    let result = run(&files, entry);
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.keys(), ["build-job", "stages"]);
    assert_eq!(result.str_at(&["build-job", "stage"]), "build");
    assert_eq!(result.at(&["build-job", "parallel"]).as_int(), Some(2));
    assert_eq!(
        result
            .at(&["build-job", "needs"])
            .as_seq()
            .map(<[Node]>::len),
        Some(0)
    );
    assert_eq!(result.str_at(&["build-job", "script"]), r#"echo "par=2""#);
}

#[test]
fn include_inputs_converted_to_type() {
    let template = "spec:\n  inputs:\n    n: {type: number}\n    s:\n    b: {type: boolean}\n\
                    ---\njob:\n  parallel: $[[ inputs.n ]]\n  stage: $[[ inputs.s ]]\n\
                    \x20 interruptible: $[[ inputs.b ]]\n  script: echo\n";
    let files = repo(&[("tmpl.yml", template)]);
    let entry = "include:\n  - local: tmpl.yml\n    inputs: {n: '3', s: 5, b: 'false'}\n";
    let result = run(&files, entry);
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.at(&["job", "parallel"]).as_int(), Some(3));
    assert_eq!(result.str_at(&["job", "stage"]), "5");
    assert_eq!(result.at(&["job", "interruptible"]).as_bool(), Some(false));
}

#[test]
fn unconvertible_include_input_error_span() {
    let template = "spec:\n  inputs:\n    n: {type: number}\n---\njob: {script: echo}\n";
    let files = repo(&[("tmpl.yml", template)]);
    let entry = "include: [{local: tmpl.yml, inputs: {n: '3x'}}]\n";
    let result = run(&files, entry);
    let error = result.only_error();
    assert_eq!(
        error.message,
        "`tmpl.yml`: `n` input: provided value is not a number"
    );
    let span = error.span.expect("a span");
    assert_eq!(result.file_name(span), ENTRY);
    assert_eq!(result.snippet(span), "'3x'");
}

const RULES_TEMPLATE: &str = r#"spec:
  inputs:
    cloud:
      options: [aws, gcp]
      default: aws
    size:
      rules:
        - if: $[[ inputs.cloud ]] == 'aws'
          options: [t3.micro, t3.small]
          default: t3.micro
        - if: $[[ inputs.cloud ]] == 'gcp'
          options: [e2-small, e2-medium]
          default: e2-small
---
"deploy-$[[ inputs.size ]]":
  script: echo $[[ inputs.size ]]
"#;

#[test]
fn input_rules_choose_default() {
    let files = repo(&[("tmpl.yml", RULES_TEMPLATE)]);
    let cases = [
        ("include: [{local: tmpl.yml}]", "deploy-t3.micro"),
        (
            "include: [{local: tmpl.yml, inputs: {cloud: gcp}}]",
            "deploy-e2-small",
        ),
        (
            "include: [{local: tmpl.yml, inputs: {cloud: gcp, size: e2-medium}}]",
            "deploy-e2-medium",
        ),
    ];
    for (entry, job) in cases {
        let result = run(&files, entry);
        assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
        assert_eq!(result.keys(), [job], "entry {entry:?}");
    }
}

#[test]
fn input_rules_reject_argument() {
    let files = repo(&[("tmpl.yml", RULES_TEMPLATE)]);
    let entry = "include: [{local: tmpl.yml, inputs: {size: e2-small}}]";
    let result = run(&files, entry);
    assert_eq!(
        result.errors(),
        [
            "`tmpl.yml`: `size` input: `e2-small` cannot be used because it is not in the list of \
          allowed options"
        ]
    );
    let span = result.diagnostics[0].span.expect("the error has a span");
    assert_eq!(result.file_name(span), ENTRY);
    assert_eq!(result.snippet(span), "e2-small");
}

#[test]
fn input_rules_invalid_header() {
    let template =
        "spec:\n  inputs:\n    size:\n      default: a\n      rules: []\n---\nj: {script: x}\n";
    let files = repo(&[("tmpl.yml", template)]);
    let result = run(&files, "include: [{local: tmpl.yml}]");
    assert_eq!(
        result.errors(),
        [
            "`tmpl.yml`: header:spec:inputs:size config these keys cannot be used together: \
          default, rules"
        ]
    );
    let span = result.diagnostics[0].span.expect("the error has a span");
    assert_eq!(result.file_name(span), "tmpl.yml");
    assert_eq!(result.snippet(span), "default");
}

#[test]
fn input_errors() {
    let files = repo(&[
        ("tmpl.yml", TEMPLATE),
        ("plain.yml", "job: {script: [x]}\n"),
    ]);
    let cases = [
        (
            "include: [{local: tmpl.yml}]",
            "`tmpl.yml`: `jobs` input: required value has not been provided",
        ),
        (
            "include: [{local: tmpl.yml, inputs: {jobs: [], zzz: 1}}]",
            "`tmpl.yml`: unknown input arguments: zzz",
        ),
        (
            "include: [{local: plain.yml, inputs: {a: 1}}]",
            "`plain.yml`: Given inputs not defined in the `spec` section of the included configuration file",
        ),
    ];
    for (entry, expected) in cases {
        let result = run(&files, entry);
        assert_eq!(result.errors(), [expected], "entry {entry:?}");
    }
}

#[test]
fn wildcard_local() {
    let files = repo(&[
        ("ci/a.yml", "a: {script: [x]}\n"),
        ("ci/sub/b.yml", "b: {script: [x]}\n"),
        ("ci/readme.md", "not yaml"),
    ]);
    let cases = [
        ("include: 'ci/*.yml'", vec!["a"]),
        ("include: 'ci/**.yml'", vec!["a", "b"]),
        ("include: 'ci/**/*.yml'", vec!["b"]),
    ];
    for (entry, expected) in cases {
        let result = run(&files, entry);
        assert!(
            result.diagnostics.is_empty(),
            "{entry}: {:#?}",
            result.diagnostics
        );
        assert_eq!(result.keys(), expected, "entry {entry:?}");
    }
}

/// Every match of a wildcard is a `local` include, so a match that is not a YAML file fails
/// the configuration as it does in GitLab, instead of being left out.
#[test]
fn wildcard_match_without_yaml_extension_fails() {
    let files = repo(&[
        ("ci/a.yml", "a: {script: [x]}\n"),
        ("ci/readme.md", "not yaml"),
    ]);
    for entry in ["include: 'ci/*'", "include: {local: 'ci/*.md'}"] {
        let result = run(&files, entry);
        assert_eq!(
            result.errors(),
            ["Included file `ci/readme.md` does not have YAML extension!"],
            "{entry}"
        );
    }
}

#[test]
fn wildcard_without_match_warns() {
    let files = repo(&[("ci/a.yml", "a: {script: [x]}\n"), ("ci/readme.md", "x")]);
    let cases = [
        (
            "include: 'nothing/*.yml'\nj: {script: x}\n",
            "nothing/*.yml",
        ),
        (
            "include: {local: './ci/*.yml'}\nj: {script: x}\n",
            "./ci/*.yml",
        ),
        ("include: {local: 'ci/*.txt'}\nj: {script: x}\n", "ci/*.txt"),
    ];
    for (entry, pattern) in cases {
        let result = run(&files, entry);
        assert_eq!(result.errors(), Vec::<&str>::new(), "{entry}");
        assert_eq!(result.keys(), ["j"], "{entry}");
        let warnings: Vec<(&str, &str)> = result
            .diagnostics
            .iter()
            .map(|d| (d.code, d.message.as_str()))
            .collect();
        let message =
            format!("`{pattern}` matches no file of the repository, so this include adds nothing");
        assert_eq!(
            warnings,
            [("include-wildcard-no-match", message.as_str())],
            "{entry}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Forms and normalization

#[test]
fn string_url_becomes_remote() {
    let mut files = MemoryFiles::new();
    files.remote.insert(
        "https://example.com/ci.yml".to_owned(),
        "remote-job: {script: [x]}\n".to_owned(),
    );
    let result = run(&files, "include: https://example.com/ci.yml\n");
    assert_eq!(result.keys(), ["remote-job"]);
}

#[test]
fn null_entries_dropped() {
    let files = repo(&[("a.yml", "a: {script: [x]}\n")]);
    let result = run(&files, "include: [~, a.yml, null]\n");
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.keys(), ["a"]);
}

#[test]
fn null_include_includes_nothing() {
    let result = run(&MemoryFiles::new(), "include:\njob: {script: [x]}\n");
    assert!(result.diagnostics.is_empty());
    assert_eq!(result.keys(), ["job"]);
}

#[test]
fn expansion_order_string_vs_hash() {
    let files = repo(&[("ci/build/a.yml", "a: {script: [x]}\n")]);
    let options = Options {
        variables: vars(&[("DIR", "build")]),
        ..Options::default()
    };
    let string_form = run_with(&files, "include: 'ci/$DIR/*.yml'\n", &options);
    assert_eq!(string_form.keys(), ["a"]);
    let hash_form = run_with(&files, "include: {local: 'ci/$DIR/*.yml'}\n", &options);
    assert_eq!(hash_form.keys(), Vec::<String>::new());
    let help: Vec<&str> = hash_form
        .diagnostics
        .iter()
        .filter(|d| d.code == "include-wildcard-no-match")
        .filter_map(|d| d.help.as_deref())
        .collect();
    assert_eq!(help.len(), 1, "{:#?}", hash_form.diagnostics);
    assert!(
        help[0].ends_with(
            "write the include as a plain string (`include: 'ci/$DIR/*.yml'`) to expand them"
        ),
        "{}",
        help[0]
    );
    assert_eq!(hash_form.errors(), Vec::<&str>::new());
}

#[test]
fn unknown_variables_expand_to_empty() {
    let files = repo(&[("ci/.yml.d/a.yml", ""), ("ci/a.yml", "a: {script: [x]}\n")]);
    let result = run(&files, "include: {local: 'ci/${MISSING}a.yml'}\n");
    assert_eq!(result.keys(), ["a"]);
}

#[test]
fn expanded_location_not_found_help() {
    let mut files = repo(&[]);
    files.projects.insert("g/p".to_owned(), project_files(&[]));
    let cases = [
        ("include: ci/$YAML_DIR/a.yml\n", Some("ci/$YAML_DIR/a.yml")),
        (
            "include: {local: 'ci/${YAML_DIR}a.yml'}\n",
            Some("ci/${YAML_DIR}a.yml"),
        ),
        ("include: ci/a.yml\n", None),
    ];
    for (entry, written) in cases {
        let result = run(&files, entry);
        let help = result
            .diagnostics
            .last()
            .and_then(|error| error.help.as_deref());
        match written {
            Some(written) => assert!(
                help.is_some_and(|help| help.starts_with(&format!("`{written}` is expanded"))),
                "{entry}: {help:?}"
            ),
            None => assert_eq!(help, None, "{entry}"),
        }
    }
    let project = run(
        &files,
        "include: {project: g/p, file: ['%YAML_DIR%b.yml']}\n",
    );
    let help = project.only_error().help.as_deref();
    assert!(
        help.is_some_and(|help| help.starts_with("`%YAML_DIR%b.yml` is expanded")),
        "{help:?}"
    );
}

#[test]
fn project_include_with_file_list() {
    let mut files = MemoryFiles::new();
    files.projects.insert(
        "group/lib".to_owned(),
        project_files(&[
            ("a.yml", "a: {script: [x]}\n"),
            ("b.yml", "b: {script: [x]}\n"),
        ]),
    );
    let scripted = Scripted::new(files);
    let entry = "include:\n  - project: Group/Lib\n    ref: v1\n    file: [/a.yml, b.yml]\n";
    let result = run(&scripted, entry);
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.keys(), ["a", "b"]);
    assert_eq!(
        scripted.requests(),
        ["group/lib:v1:a.yml", "group/lib:v1:b.yml"]
    );
    let job_span = result.merged().entry("a").unwrap().key_span;
    assert_eq!(result.file_name(job_span), "group/lib:v1:a.yml");
}

#[test]
fn template_include() {
    let mut files = MemoryFiles::new();
    files.templates.insert(
        "Jobs/Build.gitlab-ci.yml".to_owned(),
        "build: {script: [x]}\n".to_owned(),
    );
    let result = run(&files, "include: {template: Jobs/Build.gitlab-ci.yml}\n");
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.keys(), ["build"]);
}

#[test]
fn file_names_by_include_kind() {
    let mut files = repo(&[
        ("ci/a.yml", "local-slash: {script: [x]}\n"),
        (
            "Jobs/Build.gitlab-ci.yml",
            "local-like-template: {script: [x]}\n",
        ),
    ]);
    files.templates.insert(
        "Jobs/Build.gitlab-ci.yml".to_owned(),
        "template: {script: [x]}\n".to_owned(),
    );
    files.projects.insert(
        "g/p".to_owned(),
        project_files(&[
            ("ci/p.yml", "project: {script: [x]}\n"),
            ("templates/c.yml", "component: {script: [x]}\n"),
        ]),
    );
    files.remote.insert(
        "https://example.com/r.yml".to_owned(),
        "remote: {script: [x]}\n".to_owned(),
    );
    let entry = "\
include:
  - local: /ci/a.yml
  - local: Jobs/Build.gitlab-ci.yml
  - template: Jobs/Build.gitlab-ci.yml
  - project: g/p
    file: /ci/p.yml
  - component: gitlab.com/g/p/c@1.0
  - remote: https://example.com/r.yml
";
    let options = Options {
        server_fqdn: Some("gitlab.com".to_owned()),
        ..Options::default()
    };
    let result = run_with(&files, entry, &options);
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);

    let cases = [
        ("local-slash", "ci/a.yml"),
        ("local-like-template", "Jobs/Build.gitlab-ci.yml"),
        ("template", "template:Jobs/Build.gitlab-ci.yml"),
        ("project", "g/p:HEAD:ci/p.yml"),
        ("component", "g/p:1.0:templates/c.yml"),
        ("remote", "https://example.com/r.yml"),
    ];
    for (job, name) in cases {
        let span = result.merged().entry(job).unwrap().key_span;
        assert_eq!(result.file_name(span), name, "file of `{job}`");
    }
}

#[test]
fn legacy_with_passes_inputs() {
    let files = repo(&[("tmpl.yml", TEMPLATE)]);
    let entry = "include: [{local: tmpl.yml, with: {stage: deploy, jobs: [a]}}]\n";
    let result = run(&files, entry);
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.strings_at(&["deploy-job", "needs"]), ["a"]);
}

#[test]
fn inputs_preferred_over_with() {
    let files = repo(&[("tmpl.yml", TEMPLATE)]);
    let entry = "include: [{local: tmpl.yml, inputs: {jobs: [a]}, with: {jobs: [b]}}]\n";
    let result = run(&files, entry);
    assert_eq!(result.strings_at(&["test-job", "needs"]), ["a"]);
}

#[test]
fn wildcard_copies_inputs_skips_self() {
    let template = "spec:\n  inputs:\n    name:\n---\n\"$[[ inputs.name ]]-$[[ inputs.name ]]\": {script: [x]}\n";
    let files = repo(&[
        ("ci/one.yml", template),
        (
            "ci/two.yml",
            "two: {script: [x]}\ninclude: {local: 'ci/*.yml', inputs: {name: n}}\n",
        ),
    ]);
    // `ci/two.yml` includes every file of `ci/` but itself; `ci/one.yml` gets the inputs.
    let result = run(&files, "include: ci/two.yml\n");
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.keys(), ["n-n", "two"]);
}

// ---------------------------------------------------------------------------------------------
// Contexts: where nested includes look

#[test]
fn local_in_project_reads_project() {
    let mut files = MemoryFiles::new();
    files.projects.insert(
        "group/lib".to_owned(),
        project_files(&[
            (
                "entry.yml",
                "include: {local: nested.yml}\nlib-entry: {script: [x]}\n",
            ),
            ("nested.yml", "lib-nested: {script: [x]}\n"),
        ]),
    );
    files
        .repository
        .insert("nested.yml".to_owned(), "wrong: {script: [x]}\n".to_owned());
    let scripted = Scripted::new(files);
    let result = run(
        &scripted,
        "include: {project: group/lib, file: entry.yml}\n",
    );
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.keys(), ["lib-nested", "lib-entry"]);
    assert_eq!(
        scripted.requests(),
        ["group/lib:-:entry.yml", "group/lib:-:nested.yml"]
    );
}

#[test]
fn remote_file_context_is_empty() {
    let mut files = repo(&[("local.yml", "local: {script: [x]}\n")]);
    files.remote.insert(
        "https://example.com/ci.yml".to_owned(),
        "include: [{local: local.yml}, {remote: 'https://example.com/x$NAME.yml'}]\nremote: {script: [x]}\n"
            .to_owned(),
    );
    files.remote.insert(
        "https://example.com/x.yml".to_owned(),
        "unnamed: {script: [x]}\n".to_owned(),
    );
    let options = Options {
        variables: vars(&[("NAME", "named")]),
        ..Options::default()
    };
    let result = run_with(&files, "include: https://example.com/ci.yml\n", &options);
    assert_eq!(
        result.errors(),
        ["Local file `local.yml` does not have project!"]
    );
    assert_eq!(result.keys(), ["unnamed", "remote"]);
}

#[test]
fn component_lookup() {
    let mut files = MemoryFiles::new();
    files.projects.insert(
        "group/components".to_owned(),
        project_files(&[
            ("templates/simple.yml", "simple: {script: [x]}\n"),
            (
                "templates/complex/template.yml",
                "include: {local: templates/complex/extra.yml}\ncomplex: {script: [x]}\n",
            ),
            ("templates/complex/extra.yml", "extra: {script: [x]}\n"),
        ]),
    );
    let scripted = Scripted::new(files);
    let entry = "include:\n  - component: gitlab.com/group/components/simple@1.0\n  - component: gitlab.com/group/components/complex@main\n";
    let result = run(&scripted, entry);
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.keys(), ["simple", "extra", "complex"]);
    assert_eq!(
        scripted.requests(),
        [
            "group/components:1.0:templates/simple.yml",
            "group/components:main:templates/complex.yml",
            "group/components:main:templates/complex/template.yml",
            "group/components:main:templates/complex/extra.yml",
        ]
    );
}

#[test]
fn component_empty_version_not_found() {
    let mut files = MemoryFiles::new();
    files.projects.insert(
        "group/components".to_owned(),
        project_files(&[("templates/simple.yml", "simple: {script: [x]}\n")]),
    );
    let result = run(
        &files,
        "include: {component: gitlab.com/group/components/simple@}\n",
    );
    assert_eq!(
        result.errors(),
        ["Component 'gitlab.com/group/components/simple@' - content not found"]
    );
}

#[test]
fn component_errors() {
    let files = MemoryFiles::new();
    let cases = [
        (
            "gitlab.com/group/p/name",
            "Component 'gitlab.com/group/p/name' - the component path is not supported",
        ),
        (
            "gitlab.com/group/p/name@1",
            "Component 'gitlab.com/group/p/name@1' - content not found",
        ),
        (
            "gitlab.com/name@1",
            "Component 'gitlab.com/name@1' - content not found",
        ),
    ];
    for (address, expected) in cases {
        let result = run(&files, &format!("include: {{component: '{address}'}}\n"));
        assert_eq!(result.errors(), [expected], "address {address}");
    }
}

#[test]
fn component_checks_known_server_name() {
    let options = Options {
        variables: vars(&[("CI_SERVER_FQDN", "gitlab.example.com")]),
        ..Options::default()
    };
    let result = run_with(
        &MemoryFiles::new(),
        "include: {component: 'gitlab.com/g/p/c@1'}\n",
        &options,
    );
    assert_eq!(
        result.errors(),
        ["Component 'gitlab.com/g/p/c@1' - the component path is not supported"]
    );
}

#[test]
fn component_server_name_beats_variable() {
    let mut files = MemoryFiles::new();
    files.projects.insert(
        "g/p".to_owned(),
        project_files(&[("templates/c.yml", "c: {script: [x]}\n")]),
    );
    let options = Options {
        variables: vars(&[("CI_SERVER_FQDN", "gitlab.example.com")]),
        server_fqdn: Some("gitlab.com".to_owned()),
        ..Options::default()
    };
    let result = run_with(
        &files,
        "include: {component: 'gitlab.com/g/p/c@1'}\n",
        &options,
    );
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.keys(), ["c"]);
    let other = run_with(
        &files,
        "include: {component: 'gitlab.example.com/g/p/c@1'}\n",
        &options,
    );
    assert_eq!(
        other.errors(),
        ["Component 'gitlab.example.com/g/p/c@1' - the component path is not supported"]
    );
}

#[test]
fn component_outside_project_context() {
    let mut files = MemoryFiles::new();
    files.templates.insert(
        "T.gitlab-ci.yml".to_owned(),
        "include: {component: 'gitlab.com/g/p/c@1'}\nt: {script: [x]}\n".to_owned(),
    );
    let result = run(&files, "include: {template: T.gitlab-ci.yml}\n");
    assert_eq!(
        result.errors(),
        ["Unable to use components outside of a project context"]
    );
    assert_eq!(result.keys(), ["t"]);
}

// ---------------------------------------------------------------------------------------------
// Errors, each at the include that caused it

#[test]
fn item_errors() {
    let mut files = repo(&[("empty.yml", "  \n"), ("ci.txt", "x: 1\n")]);
    files
        .projects
        .insert("g/p".to_owned(), project_files(&[("blank.yml", "\n")]));
    files
        .templates
        .insert("Empty.gitlab-ci.yml".to_owned(), String::new());
    let cases = [
        ("include: 42", "Each include must be a hash or a string"),
        (
            "include: [[a.yml]]",
            "Each include must be a hash or a string",
        ),
        (
            "include: {invalid: secret-file.yml}",
            "`{\"invalid\":\"secret-file.yml\"}` does not have a valid subkey for include. \
             Valid subkeys are: `local`, `project`, `remote`, `template`, `artifact`, `component`",
        ),
        (
            "include: {local: a.yml, template: b.gitlab-ci.yml}",
            "Each include must use only one of: `local`, `project`, `remote`, `template`, `artifact`, `component`",
        ),
        (
            "include: {project: g/p}",
            "include config must specify the file where to fetch the config from",
        ),
        (
            "include: {artifact: gen.yml}",
            "include config must specify the job where to fetch the artifact from",
        ),
        (
            "include: {artifact: gen.yml, job: build}",
            "Including configs from artifacts is only allowed when triggering child pipelines",
        ),
        (
            "include: missing.yml",
            "Local file `missing.yml` does not exist!",
        ),
        (
            "include: /missing.yml",
            "Local file `missing.yml` does not exist!",
        ),
        ("include: empty.yml", "Local file `empty.yml` is empty!"),
        (
            "include: ci.txt",
            "Included file `ci.txt` does not have YAML extension!",
        ),
        (
            "include: .yml",
            "Included file `.yml` does not have YAML extension!",
        ),
        (
            "include: {local: 12}",
            "Included file `12` needs to be a string",
        ),
        (
            "include: {local: [a.yml]}",
            "Included file `[\"a.yml\"]` needs to be a string",
        ),
        (
            "include: {project: g/none, file: a.yml}",
            "Project `g/none` not found or access denied! Make sure any includes in the \
             pipeline configuration are correctly defined.",
        ),
        (
            "include: {project: g/p, file: a.yml}",
            "Project `g/p` file `a.yml` does not exist!",
        ),
        (
            "include: {project: g/p, file: blank.yml}",
            "Project `g/p` file `blank.yml` is empty!",
        ),
        (
            "include: https://example.com/missing.yml",
            "Remote file `https://example.com/missing.yml` could not be fetched because of HTTP code `404` error!",
        ),
        (
            "include: {remote: 'ftp://example.com/a.yml'}",
            "Remote file `ftp://example.com/a.yml` does not have a valid address!",
        ),
        (
            "include: {template: Jobs/Build.yml}",
            "Template file `Jobs/Build.yml` is not a valid location!",
        ),
        (
            "include: {template: Missing.gitlab-ci.yml}",
            "Included file `Missing.gitlab-ci.yml` is empty or does not exist!",
        ),
        (
            "include: {template: Empty.gitlab-ci.yml}",
            "Included file `Empty.gitlab-ci.yml` is empty or does not exist!",
        ),
    ];
    for (entry, expected) in cases {
        let result = run(&files, entry);
        assert_eq!(result.errors(), [expected], "entry {entry:?}");
    }
}

#[test]
fn error_span_is_the_include_item() {
    let entry = "include:\n  - a.yml\n  - local: missing.yml\n";
    let files = repo(&[("a.yml", "a: {script: [x]}\n")]);
    let result = run(&files, entry);
    let error = result.only_error();
    let span = error.span.expect("a span");
    assert_eq!(result.file_name(span), ENTRY);
    assert_eq!(result.snippet(span), "local: missing.yml");
}

#[test]
fn project_file_list_error_spans() {
    let mut files = MemoryFiles::new();
    files.projects.insert(
        "g/p".to_owned(),
        project_files(&[("a.yml", "a: {script: [x]}\n"), ("empty.yml", "\n")]),
    );
    let entry = "include:\n  - project: g/p\n    file:\n      - a.yml\n      - missing.yml\n      \
                 - empty.yml\n      - notes.txt\n      - [nested.yml]\n";
    let result = run(&files, entry);
    let errors: Vec<(&str, &str)> = result
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.code, result.snippet(d.span.expect("a span"))))
        .collect();
    assert_eq!(
        errors,
        [
            ("include-not-found", "missing.yml"),
            ("include-empty", "empty.yml"),
            ("invalid-include-location", "notes.txt"),
            ("invalid-include-location", "[nested.yml]"),
        ]
    );
}

#[test]
fn project_file_list_content_error_spans() {
    let mut files = MemoryFiles::new();
    files.projects.insert(
        "g/p".to_owned(),
        project_files(&[
            ("a.yml", "a: {script: [x]}\n"),
            ("bad.yml", "b: [\n"),
            ("list.yml", "- x\n"),
        ]),
    );
    let entry = "include:\n  - project: g/p\n    file:\n      - a.yml\n      - bad.yml\n      \
                 - list.yml\n";
    let result = run(&files, entry);
    let anchors: Vec<(&str, &str)> = result
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let span = d
                .labels
                .iter()
                .map(|label| label.span)
                .find(|span| result.file_name(*span) == ENTRY)
                .or(d.span)
                .expect("a span");
            (d.code, result.snippet(span))
        })
        .collect();
    assert_eq!(
        anchors,
        [
            ("yaml-syntax-error", "bad.yml"),
            ("invalid-config-format", "list.yml"),
        ]
    );
}

#[test]
fn project_file_list_blank_entry_span() {
    let mut files = MemoryFiles::new();
    files.projects.insert(
        "g/p".to_owned(),
        project_files(&[("a.yml", "a: {script: [x]}\n")]),
    );
    let result = run(
        &files,
        "include:\n  - project: g/p\n    file:\n      - a.yml\n      - ''\n",
    );
    let error = result.only_error();
    assert_eq!(error.code, "include-without-type");
    assert_eq!(result.snippet(error.span.expect("a span")), "''");
}

#[test]
fn project_file_list_blank_project_span() {
    let result = run(
        &MemoryFiles::new(),
        "include:\n  - project: ''\n    file: [a.yml]\n",
    );
    let error = result.only_error();
    assert_eq!(error.code, "include-without-type");
    assert_eq!(
        result.snippet(error.span.expect("a span")),
        "project: ''\n    file: [a.yml]"
    );
}

#[test]
fn project_single_file_error_span() {
    let mut files = MemoryFiles::new();
    files.projects.insert(
        "g/p".to_owned(),
        project_files(&[("a.yml", "a: {script: [x]}\n")]),
    );
    let result = run(
        &files,
        "include:\n  - project: g/p\n    file: missing.yml\n",
    );
    let span = result.only_error().span.expect("a span");
    assert_eq!(result.snippet(span), "project: g/p\n    file: missing.yml");
}

#[test]
fn ref_and_unavailable_errors() {
    let mut files = MemoryFiles::new();
    files.projects.insert(
        "g/p".to_owned(),
        project_files(&[("a.yml", "a: {script: [x]}\n")]),
    );
    let scripted = Scripted::new(files)
        .failing("g/p:nope:a.yml", FetchError::RefNotFound)
        .failing(
            "Jobs/SAST.gitlab-ci.yml",
            FetchError::Unavailable(
                "no templates directory was given; pass --templates DIR".to_owned(),
            ),
        )
        .failing(
            "-:-:broken.yml",
            FetchError::Other("permission denied".to_owned()),
        );
    let cases = [
        (
            "include: {project: g/p, ref: nope, file: a.yml}",
            "Project `g/p` reference `nope` does not exist!",
        ),
        (
            "include: {template: Jobs/SAST.gitlab-ci.yml}",
            "include `Jobs/SAST.gitlab-ci.yml` could not be loaded: no templates directory was \
             given; pass --templates DIR",
        ),
        (
            "include: broken.yml",
            "include `broken.yml` could not be loaded: permission denied",
        ),
    ];
    for (entry, expected) in cases {
        let result = run(&scripted, entry);
        assert_eq!(result.errors(), [expected], "entry {entry:?}");
    }
}

#[test]
fn missing_include_keeps_the_rest() {
    let files = repo(&[
        ("a.yml", "a: {script: [x]}\n"),
        ("c.yml", "include: gone.yml\nc: {script: [x]}\n"),
    ]);
    let entry = "include: [a.yml, missing.yml, c.yml]\nmain: {script: [x]}\n";
    let result = run(&files, entry);
    assert_eq!(
        result.errors(),
        [
            "Local file `missing.yml` does not exist!",
            "Local file `gone.yml` does not exist!",
        ]
    );
    assert_eq!(result.keys(), ["a", "c", "main"]);
}

#[test]
fn included_file_yaml_problems() {
    let files = repo(&[
        ("empty-map.yml", "{}\n"),
        ("comments.yml", "# only a comment\n"),
        ("list.yml", "- a\n- b\n"),
        ("nothing-left.yml", "include: gone.yml\n"),
    ]);
    let cases = [
        (
            "include: empty-map.yml",
            vec!["Included file `empty-map.yml` does not have valid YAML syntax!"],
        ),
        (
            "include: comments.yml",
            vec!["Included file `comments.yml` does not have valid YAML syntax!"],
        ),
        (
            "include: list.yml",
            vec!["`list.yml`: Invalid configuration format"],
        ),
        (
            "include: nothing-left.yml",
            vec!["Local file `gone.yml` does not exist!"],
        ),
    ];
    for (entry, expected) in cases {
        let result = run(&files, entry);
        assert_eq!(result.errors(), expected, "entry {entry:?}");
    }
}

#[test]
fn include_of_nothing_is_not_blank() {
    let files = repo(&[("only-include.yml", "include: []\n")]);
    let result = run(&files, "include: only-include.yml\n");
    assert!(result.errors().is_empty(), "{:#?}", result.diagnostics);
}

#[test]
fn syntax_error_keeps_its_span() {
    let files = repo(&[("bad.yml", "job:\n  script: [a\n")]);
    let result = run(&files, "include: bad.yml\n");
    let error = result.only_error();
    assert!(
        error.message.starts_with("`bad.yml`: "),
        "{}",
        error.message
    );
    let span = error.span.expect("a span");
    assert_eq!(result.file_name(span), "bad.yml");
    assert_eq!(error.labels.len(), 1);
    assert_eq!(result.file_name(error.labels[0].span), ENTRY);
}

#[test]
fn interpolation_error_points_at_block() {
    let template = "spec:\n  inputs:\n    name:\n---\njob:\n  script: echo $[[ inputs.nope ]]\n";
    let files = repo(&[("t.yml", template)]);
    let result = run(&files, "include: [{local: t.yml, inputs: {name: x}}]\n");
    let error = result.only_error();
    assert_eq!(error.message, "`t.yml`: unknown interpolation key: `nope`");
    let span = error.span.expect("a span");
    assert_eq!(result.file_name(span), "t.yml");
    assert_eq!(result.snippet(span), "$[[ inputs.nope ]]");
}

#[test]
fn matrix_expression_survives_interpolation() {
    let template = "spec:\n  inputs:\n    name:\n---\n$[[ inputs.name ]]:\n  needs:\n    os: $[[ matrix.OS ]]\n";
    let files = repo(&[("t.yml", template)]);
    let result = run(&files, "include: [{local: t.yml, inputs: {name: test}}]\n");
    assert!(result.errors().is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.str_at(&["test", "needs", "os"]), "$[[ matrix.OS ]]");
}

#[test]
fn file_without_header_is_not_interpolated() {
    let files = repo(&[("plain.yml", "job: {script: ['$[[ inputs.x ]]']}\n")]);
    let result = run(&files, "include: plain.yml\n");
    assert!(result.diagnostics.is_empty());
    assert_eq!(result.strings_at(&["job", "script"]), ["$[[ inputs.x ]]"]);
}

#[test]
fn inputs_must_be_a_mapping() {
    let files = repo(&[("tmpl.yml", TEMPLATE)]);
    let result = run(&files, "include: [{local: tmpl.yml, inputs: [a]}]\n");
    assert_eq!(
        result.errors(),
        ["include `inputs` of `tmpl.yml` should be a hash"]
    );
}

#[test]
fn invalid_rules_reported_and_item_skipped() {
    let files = repo(&[
        ("a.yml", "a: {script: [x]}\n"),
        ("b.yml", "b: {script: [x]}\n"),
    ]);
    let entry = "include:\n  - local: a.yml\n    rules: [{when: on_success}]\n  - b.yml\n";
    let result = run(&files, entry);
    assert_eq!(
        result.errors(),
        ["include:rule when unknown value: on_success"]
    );
    assert_eq!(result.keys(), ["b"]);
}

#[test]
fn changes_rule_uses_changed_files() {
    let files = repo(&[("a.yml", "a: {script: [x]}\n")]);
    let entry = "include:\n  - local: a.yml\n    rules: [{changes: [src/*]}]\nmain: {script: x}\n";
    let cases: &[(Option<&[&str]>, &[&str])] = &[
        (Some(&["docs/readme.md"]), &["main"]),
        (Some(&["src/a.rs"]), &["a", "main"]),
        (None, &["a", "main"]),
    ];
    for (changed, expected) in cases {
        let options = Options {
            changed_files: changed.map(|files| files.iter().map(|f| (*f).to_owned()).collect()),
            ..Options::default()
        };
        let result = run_with(&files, entry, &options);
        assert_eq!(result.keys(), *expected, "{changed:?}");
        assert!(result.warnings().is_empty(), "{changed:?}");
    }
}

#[test]
fn rule_paths_expand_nested_values() {
    let files = repo(&[("a.yml", "a: {script: [x]}\n"), ("app/src/main.rs", "")]);
    let entry = "include:\n  - local: a.yml\n    rules: [{exists: [$DIR/main.rs]}]\n\
                 main: {script: x}\n";
    let cases: &[(&[bool], &[&str])] = &[(&[], &["a", "main"]), (&[false, true], &["main"])];
    for (raw, expected) in cases {
        let options = Options {
            variables: vars(&[("BASE", "app"), ("DIR", "$BASE/src")]),
            raw: raw.to_vec(),
            ..Options::default()
        };
        let result = run_with(&files, entry, &options);
        assert_eq!(result.keys(), *expected, "exists, raw {raw:?}");
    }

    let entry = "include:\n  - local: a.yml\n    rules: [{changes: [$DIR/*]}]\nmain: {script: x}\n";
    for (raw, expected) in cases {
        let options = Options {
            variables: vars(&[("BASE", "app"), ("DIR", "$BASE/src")]),
            raw: raw.to_vec(),
            changed_files: Some(vec!["app/src/main.rs".to_owned()]),
            ..Options::default()
        };
        let result = run_with(&files, entry, &options);
        assert_eq!(result.keys(), *expected, "changes, raw {raw:?}");
    }
}

/// GitLab's `sort_and_expand_all` looks at every definition of a name with its own raw flag.
/// A non-raw definition that a raw one overrides still closes the cycle `A` -> `B` -> `A`, and
/// with a cycle GitLab keeps every value as written.
#[test]
fn rule_paths_read_raw_flag_per_definition() {
    let files = repo(&[("a.yml", "a: {script: [x]}\n"), ("xplain/main.rs", "")]);
    let entry = "include:\n  - local: a.yml\n    rules: [{exists: [$B/main.rs]}]\n\
                 main: {script: x}\n";
    let cases: &[(&[bool], &[&str])] = &[
        (&[false, true, false], &["main"]),
        (&[true, true, false], &["a", "main"]),
    ];
    for (raw, expected) in cases {
        let options = Options {
            variables: vars(&[("A", "$B"), ("A", "plain"), ("B", "x$A")]),
            raw: raw.to_vec(),
            ..Options::default()
        };
        let result = run_with(&files, entry, &options);
        assert_eq!(result.keys(), *expected, "raw {raw:?}");
    }
}

/// GitLab expands the include variables without a size limit. glplan stops at
/// `max_variable_expansion_bytes`, compares the values as written, and warns at the clause
/// whose paths read them.
#[test]
fn rule_expansion_too_large_warns() {
    let files = repo(&[("a.yml", "a: {script: [x]}\n")]);
    let entry = "include:\n  - local: a.yml\n    rules: [{exists: [$P/main.rs]}]\n\
                 main: {script: x}\n";
    let mut variables = vec![("L0".to_owned(), "x".repeat(2000))];
    for level in 1..=6 {
        let previous = format!("$L{}", level - 1);
        variables.push((format!("L{level}"), previous.repeat(4)));
    }
    variables.push(("P".to_owned(), "$L6".to_owned()));
    let options = Options {
        variables,
        ..Options::default()
    };
    let result = run_with(&files, entry, &options);

    assert_eq!(result.keys(), ["main"]);
    assert_eq!(result.warnings().len(), 1, "{:#?}", result.diagnostics);
    let warning = &result.diagnostics[0];
    assert_eq!(warning.code, "include-rules-expansion-too-large");
    assert!(warning.message.contains("`a.yml`"), "{}", warning.message);
    assert!(warning.message.contains("`L5`"), "{}", warning.message);
    let span = warning.span.unwrap();
    assert_eq!(result.snippet(span), "[$P/main.rs]");
    assert_eq!(result.file_name(span), ENTRY);
}

/// A rule that reads no expanded value gets no warning, even when some variable is too
/// large to expand.
#[test]
fn rule_without_expanded_paths_is_quiet() {
    let files = repo(&[("a.yml", "a: {script: [x]}\n")]);
    let entry = "include:\n  - local: a.yml\n    rules: [{exists: [main.rs]}]\n\
                 main: {script: x}\n";
    let mut variables = vec![("L0".to_owned(), "x".repeat(2000))];
    for level in 1..=6 {
        let previous = format!("$L{}", level - 1);
        variables.push((format!("L{level}"), previous.repeat(4)));
    }
    let options = Options {
        variables,
        ..Options::default()
    };
    let result = run_with(&files, entry, &options);

    assert_eq!(result.keys(), ["main"]);
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
}

#[test]
fn changes_compare_to_warns_with_location() {
    let files = repo(&[("a.yml", "a: {script: [x]}\n")]);
    let entry =
        "include:\n  - local: a.yml\n    rules: [{changes: {paths: [src/*], compare_to: main}}]\n";
    let result = run(&files, entry);
    assert_eq!(result.keys(), ["a"]);
    assert_eq!(result.warnings().len(), 1);
    let warning = &result.diagnostics[0];
    assert_eq!(warning.code, "include-rules-not-evaluated");
    assert_eq!(
        result.snippet(warning.span.unwrap()),
        "{paths: [src/*], compare_to: main}"
    );
}

#[test]
fn changes_compare_to_without_ref_fails() {
    let files = repo(&[("a.yml", "a: {script: [x]}\n")]);
    let entry = "include:\n  - local: a.yml\n    \
                 rules: [{changes: {paths: [src/*], compare_to: $CI_MERGE_REQUEST_TARGET_BRANCH_NAME}}]\n\
                 main: {script: x}\n";
    let result = run(&files, entry);
    assert_eq!(result.keys(), ["main"]);
    let errors: Vec<&Diagnostic> = result.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].message,
        "include:rules:changes:compare_to is not a valid ref"
    );
    assert_eq!(
        result.snippet(errors[0].span.unwrap()),
        "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
    );
    let help = errors[0].help.as_deref().unwrap_or_default();
    assert!(
        help.contains("`CI_MERGE_REQUEST_TARGET_BRANCH_NAME`"),
        "{help}"
    );
}

#[test]
fn exists_rule_uses_repository() {
    let files = repo(&[("a.yml", "a: {script: [x]}\n"), ("Dockerfile", "FROM x\n")]);
    let entry = "include:\n  - local: a.yml\n    rules: [{exists: [Dockerfile]}]\n  - local: a.yml\n    rules: [{exists: [Gemfile]}]\n";
    let result = run(&files, entry);
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.keys(), ["a"]);
}

#[test]
fn integrity_checked() {
    let text = "remote-job: {script: [x]}\n";
    let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text));
    let mut files = MemoryFiles::new();
    files
        .remote
        .insert("https://example.com/ci.yml".to_owned(), text.to_owned());
    let good = format!(
        "include: {{remote: 'https://example.com/ci.yml', integrity: 'sha256-{digest}'}}\n"
    );
    let result = run(&files, &good);
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.keys(), ["remote-job"]);

    let bad = "include: {remote: 'https://example.com/ci.yml', integrity: 'sha256-AAAA'}\n";
    let result = run(&files, bad);
    assert_eq!(
        result.errors(),
        ["Remote file `https://example.com/ci.yml` failed integrity check!"]
    );
}

// ---------------------------------------------------------------------------------------------
// Limits

fn many_files(count: usize) -> (MemoryFiles, String) {
    let mut files = MemoryFiles::new();
    let mut entry = String::from("include:\n");
    for i in 0..count {
        let path = format!("f{i}.yml");
        files
            .repository
            .insert(path.clone(), format!("job{i}: {{script: [x]}}\n"));
        entry.push_str(&format!("  - {path}\n"));
    }
    (files, entry)
}

#[test]
fn include_limit_at_150() {
    let (files, entry) = many_files(150);
    let result = run(&files, &entry);
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.merged().len(), 150);
}

#[test]
fn include_limit_past_150() {
    let (files, entry) = many_files(151);
    let result = run(&files, &entry);
    let error = result.only_error();
    assert_eq!(error.message, "Maximum of 150 nested includes are allowed!");
    assert_eq!(result.snippet(error.span.expect("a span")), "f150.yml");
    assert_eq!(result.merged().len(), 150);
}

#[test]
fn repeated_and_nested_includes_count() {
    let files = repo(&[
        ("a.yml", "include: [b.yml, b.yml]\na: {script: [x]}\n"),
        ("b.yml", "b: {script: [x]}\n"),
    ]);
    let options = Options {
        limits: Limits {
            max_includes: 3,
            ..Limits::default()
        },
        ..Options::default()
    };
    let result = run_with(&files, "include: a.yml\n", &options);
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    let result = run_with(&files, "include: [a.yml, b.yml]\n", &options);
    assert_eq!(
        result.errors(),
        ["Maximum of 3 nested includes are allowed!"]
    );
}

#[test]
fn include_cycle_hits_the_limit() {
    let files = repo(&[
        ("a.yml", "include: b.yml\na: {script: [x]}\n"),
        ("b.yml", "include: a.yml\nb: {script: [x]}\n"),
    ]);
    let result = run(&files, "include: a.yml\nmain: {script: [x]}\n");
    assert_eq!(
        result.errors(),
        ["Maximum of 150 nested includes are allowed!"]
    );
    assert_eq!(result.keys(), ["b", "a", "main"]);
}

#[test]
fn include_only_cycle_reports_once() {
    let files = repo(&[
        ("loop1.yml", "include: loop2.yml\n"),
        ("loop2.yml", "include: loop1.yml\n"),
    ]);
    let result = run(&files, "include: loop1.yml\nmain: {script: [x]}\n");
    assert_eq!(
        result.errors(),
        ["Maximum of 150 nested includes are allowed!"]
    );
}

#[test]
fn size_limit_reports_once() {
    let files = repo(&[
        ("a.yml", "include: [b.yml, c.yml]\n"),
        ("b.yml", "b: {script: [x]}\n"),
        ("c.yml", "c: {script: [x]}\n"),
    ]);
    let options = Options {
        limits: Limits {
            max_total_yaml_size_bytes: "include: [b.yml, c.yml]\n".len(),
            ..Limits::default()
        },
        ..Options::default()
    };
    let result = run_with(&files, "include: a.yml\nmain: {script: [x]}\n", &options);
    assert_eq!(
        result.errors(),
        ["Total size of combined CI/CD configuration is too big"]
    );
}

#[test]
fn total_size_limit() {
    let files = repo(&[
        ("a.yml", "a: {script: [x]}\n"),
        ("b.yml", "b: {script: [x]}\n"),
    ]);
    let size = "a: {script: [x]}\n".len();
    let limits = |max| Options {
        limits: Limits {
            max_total_yaml_size_bytes: max,
            ..Limits::default()
        },
        ..Options::default()
    };
    let result = run_with(&files, "include: [a.yml, b.yml]\n", &limits(2 * size));
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    let result = run_with(&files, "include: [a.yml, b.yml]\n", &limits(2 * size - 1));
    assert_eq!(
        result.errors(),
        ["Total size of combined CI/CD configuration is too big"]
    );
    assert_eq!(result.keys(), ["a"]);
}

// ---------------------------------------------------------------------------------------------
// The entry file

#[test]
fn entry_empty() {
    let result = run(&MemoryFiles::new(), "  \n");
    assert!(result.merged.is_none());
    assert_eq!(
        result.errors(),
        ["Please provide content of .gitlab-ci.yml"]
    );
}

#[test]
fn entry_not_a_mapping() {
    let result = run(&MemoryFiles::new(), "- a\n- b\n");
    assert!(result.merged.is_none());
    assert_eq!(result.errors(), ["Invalid configuration format"]);
}

#[test]
fn entry_comments_only_invalid() {
    let result = run(&MemoryFiles::new(), "# nothing yet\n");
    assert!(result.merged.is_none());
    assert_eq!(result.errors(), ["Invalid configuration format"]);
}

#[test]
fn entry_pipeline_inputs() {
    let entry = "spec:\n  inputs:\n    env:\n      options: [dev, prod]\n---\ndeploy-$[[ inputs.env ]]: {script: [x]}\n";
    let mut inputs = Mapping::new();
    inputs.insert(
        "env",
        Span::default(),
        Node::string("prod", Span::default()),
    );
    let options = Options {
        inputs: Some(inputs),
        ..Options::default()
    };
    let result = run_with(&MemoryFiles::new(), entry, &options);
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.keys(), ["deploy-prod"]);

    let result = run(&MemoryFiles::new(), entry);
    assert!(result.merged.is_none());
    assert_eq!(
        result.errors(),
        ["`env` input: required value has not been provided"]
    );
}

#[test]
fn entry_inputs_without_header() {
    let mut inputs = Mapping::new();
    inputs.insert(
        "env",
        Span::default(),
        Node::string("prod", Span::default()),
    );
    let options = Options {
        inputs: Some(inputs),
        ..Options::default()
    };
    let result = run_with(&MemoryFiles::new(), "job: {script: [x]}\n", &options);
    assert!(result.merged.is_none());
    assert_eq!(
        result.errors(),
        ["Given inputs not defined in the `spec` section of the included configuration file"]
    );
}

#[test]
fn has_yaml_extension_cases() {
    let cases = [
        ("a.yml", true),
        ("dir/a.YAML", true),
        ("a.yml/", true),
        (".yml", false),
        ("dir/.yaml", false),
        ("a.yml.txt", false),
        ("a", false),
    ];
    for (location, expected) in cases {
        assert_eq!(has_yaml_extension(location), expected, "{location:?}");
    }
}

#[test]
fn component_address_parts() {
    assert_eq!(
        parse_component("gitlab.com/a/b/c@1.0", None),
        Ok(Component {
            project: "a/b",
            name: "c",
            version: "1.0"
        })
    );
    assert_eq!(
        parse_component("host/a/c@~latest", Some("host")),
        Ok(Component {
            project: "a",
            name: "c",
            version: "~latest"
        })
    );
    assert_eq!(
        parse_component("host/a/c@", Some("host")),
        Err("content not found")
    );
}

#[test]
fn resolve_reports_empty_entry() {
    let files = repo(&[(ENTRY, "\n")]);
    let resolution =
        crate::resolve::resolve(ENTRY, &files, &crate::resolve::ResolveOptions::default());
    assert!(resolution.merged.is_none());
    let messages: Vec<&str> = resolution
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(messages, ["Please provide content of .gitlab-ci.yml"]);
}

#[test]
fn resolve_merges_includes() {
    let files = repo(&[
        (ENTRY, "include: ci/jobs.yml\nstages: [build]\n"),
        ("ci/jobs.yml", "build: {stage: build, script: [make]}\n"),
    ]);
    let resolution =
        crate::resolve::resolve(ENTRY, &files, &crate::resolve::ResolveOptions::default());
    let merged = resolution.merged.expect("the configuration resolves");
    let keys: Vec<String> = merged.keys().map(ToString::to_string).collect();
    assert_eq!(keys, ["build", "stages"]);
    assert_eq!(resolution.sources.files().count(), 2);
}

#[test]
fn wildcard_listing_failure_reported() {
    let mut scripted = Scripted::new(repo(&[("ci/a.yml", "a: {script: [x]}\n")]));
    scripted.list_failure = Some(FetchError::Unavailable("no repository listing".to_owned()));
    let result = run(&scripted, "include: 'ci/*.yml'\nmain: {script: [x]}\n");
    assert_eq!(
        result.errors(),
        [
            "include `ci/*.yml` could not be expanded because the repository files could not be \
          listed: no repository listing"
        ]
    );
    assert_eq!(result.keys(), ["main"]);
}

#[test]
fn exists_listing_failure_warns() {
    let mut scripted = Scripted::new(repo(&[("a.yml", "a: {script: [x]}\n")]));
    scripted.list_failure = Some(FetchError::Unavailable("no repository listing".to_owned()));
    let entry = "include:\n  - local: a.yml\n    rules: [{exists: [Dockerfile]}]\n";
    let result = run(&scripted, entry);
    assert_eq!(result.keys(), ["a"]);
    assert!(result.errors().is_empty());
    assert_eq!(result.warnings().len(), 1);
}

#[test]
fn header_error_in_included_file() {
    let template = "spec:\n  inputs:\n    x: {type: text}\n---\njob: {script: [x]}\n";
    let files = repo(&[("t.yml", template)]);
    let result = run(&files, "include: t.yml\n");
    let error = result.only_error();
    assert_eq!(
        error.message,
        "`t.yml`: header:spec:inputs:x input type unknown value: text"
    );
    assert_eq!(result.snippet(error.span.expect("a span")), "text");
}

#[test]
fn expand_vars_uses_include_variables() {
    let template =
        "spec:\n  inputs:\n    image:\n---\njob:\n  image: $[[ inputs.image | expand_vars ]]\n";
    let files = repo(&[("t.yml", template)]);
    let options = Options {
        variables: vars(&[("REGISTRY", "registry.example.com")]),
        ..Options::default()
    };
    let entry = "include: [{local: t.yml, inputs: {image: '$REGISTRY/app:$TAG'}}]\n";
    let result = run_with(&files, entry, &options);
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(
        result.str_at(&["job", "image"]),
        "registry.example.com/app:$TAG"
    );
}

fn masked_secret() -> Options {
    Options {
        variables: vars(&[("SECRET", "hunter2hunter2")]),
        masked: vec!["SECRET".to_owned()],
        ..Options::default()
    }
}

#[test]
fn expand_vars_fails_on_masked() {
    let template =
        "spec:\n  inputs:\n    v:\n---\n\"job-$[[ inputs.v | expand_vars ]]\": {script: x}\n";
    let files = repo(&[("t.yml", template)]);
    let entry = "include: [{local: t.yml, inputs: {v: '$SECRET'}}]\nj: {script: x}\n";
    let result = run_with(&files, entry, &masked_secret());
    assert_eq!(result.keys(), ["j"]);
    let error = result.only_error();
    assert!(
        error
            .message
            .contains("masked variables cannot be expanded"),
        "{}",
        error.message
    );
}

#[test]
fn masked_value_hidden_in_location() {
    let entry = "include:\n  - local: \"ci/$SECRET.yml\"\nj: {script: x}\n";
    let result = run_with(&repo(&[]), entry, &masked_secret());
    assert_eq!(
        result.errors(),
        ["Local file `ci/[MASKED]xxxxxx.yml` does not exist!"]
    );
}

#[test]
fn dot_segment_names_no_file() {
    // Gitaly looks a path up as written, so `./ci/a.yml` names no file although `ci/a.yml`
    // exists; a leading `/` is removed before the lookup.
    let mut files = repo(&[("ci/a.yml", "a: {script: x}\n")]);
    files.projects.insert(
        "g/p".to_owned(),
        project_files(&[("ci/a.yml", "b: {script: x}\n")]),
    );
    let cases = [
        (
            "include: {local: ./ci/a.yml}\nj: {script: x}\n",
            "Local file `./ci/a.yml` does not exist!",
        ),
        (
            "include: {local: ci/./a.yml}\nj: {script: x}\n",
            "Local file `ci/./a.yml` does not exist!",
        ),
        (
            "include: {project: g/p, file: ./ci/a.yml}\nj: {script: x}\n",
            "Project `g/p` file `./ci/a.yml` does not exist!",
        ),
    ];
    for (entry, message) in cases {
        let result = run(&files, entry);
        assert_eq!(result.errors(), [message], "{entry}");
        assert_eq!(result.keys(), ["j"], "{entry}");
    }
    let result = run(&files, "include: {local: //ci/a.yml}\nj: {script: x}\n");
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
    assert_eq!(result.keys(), ["a", "j"]);
}

#[test]
fn undefined_variable_leaves_empty_segment() {
    // GitLab expands an undefined variable in a location to nothing, so `ci/$UNDEF/a.yml`
    // becomes `ci//a.yml`, which names no file in a Git tree although `ci/a.yml` exists.
    let mut files = repo(&[("ci/a.yml", "a: {script: x}\n")]);
    files.projects.insert(
        "g/p".to_owned(),
        project_files(&[("ci/a.yml", "b: {script: x}\n")]),
    );
    let cases = [
        (
            "include: {local: 'ci/$UNDEF/a.yml'}\nj: {script: x}\n",
            "Local file `ci//a.yml` does not exist!",
        ),
        (
            "include: 'ci/${UNDEF}/a.yml'\nj: {script: x}\n",
            "Local file `ci//a.yml` does not exist!",
        ),
        (
            "include: {project: g/p, file: 'ci/$UNDEF/a.yml'}\nj: {script: x}\n",
            "Project `g/p` file `ci//a.yml` does not exist!",
        ),
    ];
    for (entry, message) in cases {
        let result = run(&files, entry);
        assert_eq!(result.errors(), [message], "{entry}");
        assert_eq!(result.keys(), ["j"], "{entry}");
    }

    // The project's own errors come first, as GitLab checks the project before the file.
    let result = run(
        &files,
        "include: {project: g/none, file: 'ci/$UNDEF/a.yml'}\nj: {script: x}\n",
    );
    assert_eq!(
        result.errors(),
        [
            "Project `g/none` not found or access denied! Make sure any includes in the pipeline \
             configuration are correctly defined."
        ]
    );
}

#[test]
fn short_secret_masked_with_x() {
    assert_eq!(mask_secrets("a/abc/b", &["abc"]), "a/xxx/b");
}

#[test]
fn provided_value_error_span() {
    let files = repo(&[("tmpl.yml", TEMPLATE)]);
    let entry = "include: [{local: tmpl.yml, inputs: {jobs: not-a-list}}]\n";
    let result = run(&files, entry);
    let error = result.only_error();
    assert_eq!(
        error.message,
        "`tmpl.yml`: `jobs` input: provided value is not an array"
    );
    let span = error.span.expect("a span");
    assert_eq!(result.file_name(span), ENTRY);
    assert_eq!(result.snippet(span), "not-a-list");
}

/// Resolves the whole configuration phase and returns every message.
fn resolve_messages(files: &[(&str, &str)]) -> Vec<String> {
    let files = repo(files);
    let resolution = crate::resolve(ENTRY, &files, &crate::ResolveOptions::default());
    resolution
        .diagnostics
        .iter()
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn failed_include_marks_incomplete() {
    let run = run(&repo(&[]), "include: missing.yml\njob: {script: x}\n");
    assert!(run.incomplete);
}

#[test]
fn loaded_include_keeps_complete() {
    let files = repo(&[("a.yml", "a: {script: x}\n")]);
    let run = run(&files, "include: a.yml\njob: {script: x}\n");
    assert!(!run.incomplete);
}

#[test]
fn failed_include_has_no_follow_on_errors() {
    let template = "spec:\n  inputs:\n    n:\n      type: number\n---\n\
                    job-x:\n  script: x\n  parallel: $[[ inputs.n ]]\n";
    let cases: [(&str, &str); 4] = [
        (
            "include: missing.yml\nother:\n  extends: .from-missing\n",
            "Local file `missing.yml` does not exist!",
        ),
        (
            "include: missing.yml\njob-x: {stage: build}\n\
             other: {script: x, stage: late, needs: [job-x, job-y], dependencies: [job-y]}\n",
            "Local file `missing.yml` does not exist!",
        ),
        (
            "include: [{local: tmpl.yml, inputs: {n: abc}}]\njob-x: {stage: build}\n\
             other: {script: [!reference [.shared, script]], needs: [job-x]}\n",
            "`tmpl.yml`: `n` input: provided value is not a number",
        ),
        (
            "include: [{local: tmpl.yml}]\n\
             other: {script: x, environment: {name: e, on_stop: job-x}}\n",
            "`tmpl.yml`: `n` input: required value has not been provided",
        ),
    ];
    for (entry, error) in cases {
        let messages = resolve_messages(&[(ENTRY, entry), ("tmpl.yml", template)]);
        assert_eq!(messages, [error], "{entry}");
    }
}

#[test]
fn failed_include_keeps_independent_errors() {
    let messages = resolve_messages(&[(
        ENTRY,
        "include: missing.yml\nstage: test\njob: {script: x, when: sometimes}\n",
    )]);
    assert_eq!(
        messages,
        [
            "Local file `missing.yml` does not exist!",
            "jobs stage config should implement the script:, run:, or trigger: keyword",
            "jobs:job when should be one of: on_success, on_failure, always, manual, delayed",
        ]
    );
}
