//! The typed model of a resolved configuration, and the phase that builds it from the merged
//! YAML tree. The phase classifies top-level keys, validates every keyword and applies
//! `default:` and `inherit:`. It also injects the `.pre` and `.post` stages, expands `parallel`
//! jobs and checks the references between jobs.

pub(crate) mod check;
mod commands;
mod default;
mod jobs;
pub mod keywords;
mod leaf;
mod memo;
mod model;
mod needs;
mod parallel;
mod stages;
#[cfg(test)]
mod testing;
mod validate;
mod variables;

pub use model::{
    AllowFailure, Artifacts, Cache, Config, DastConfiguration, Defaults, Dependency, Duration,
    Environment, EnvironmentAction, ExitCode, Hooks, IdTokens, Image, Inherit, Instance, Job,
    JobKind, JobNeed, Matrix, MatrixSelection, Need, OnlyExcept, Pages, Parallel, PipelineNeed,
    ProjectNeed, Release, Retry, Rule, Rules, Run, SchedulingType, Secrets, Services, Trigger,
    UpstreamNeed, Variable, When, Workflow,
};

use crate::hash::HashSet;

use indexmap::IndexMap;

use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::inputs::ruby;
use crate::limits::Limits;
use crate::source::Span;
use crate::yaml::{Key, Mapping, Node};

use check::Ctx;

/// Top-level keys that can never be job names.
const RESERVED: [&str; 8] = [
    "include",
    "before_script",
    "image",
    "services",
    "after_script",
    "variables",
    "stages",
    "cache",
];

/// Every global keyword. `default` and `workflow` are not reserved: a value that looks like a
/// job makes them jobs.
const GLOBAL_KEYWORDS: [&str; 10] = [
    "default",
    "include",
    "before_script",
    "image",
    "services",
    "after_script",
    "variables",
    "stages",
    "cache",
    "workflow",
];

/// Builds the typed configuration from the merged tree (GitLab's steps 5 to 8).
///
/// The result is best-effort: it is returned even when `diags` received errors, with the
/// invalid parts left out, so that later phases and tools can show as much as possible.
pub(crate) fn build(root: &Mapping, limits: &Limits, diags: &mut Diagnostics) -> Option<Config> {
    let mut cx = Ctx::new(diags, limits);
    let first_entry_diagnostic = cx.diags.len();

    // 5. Stages, with `.pre` and `.post` injected.
    let stages = stages::parse(root, &mut cx);

    // 6. Entry composition: classify top-level keys, then compose globals and jobs.
    let top = classify(root, &mut cx);
    let variables = match root.get("variables") {
        Some(node) => variables::parse("variables", node, variables::Scope::Global, &mut cx),
        None => IndexMap::new(),
    };
    let workflow_has_rules = top
        .workflow
        .and_then(Node::as_map)
        .is_some_and(|w| w.contains_key("rules"));
    let workflow = top
        .workflow
        .filter(|w| !w.is_null())
        .and_then(|w| leaf::workflow("workflow", w, &mut cx));
    let defaults = default::parse(root, top.default, &mut cx);
    let context = jobs::Context { workflow_has_rules };
    let mut memos = memo::JobMemos::new();
    let mut composed = Vec::with_capacity(top.jobs.len());
    for entry in &top.jobs {
        let mut job = jobs::parse(
            entry.name, entry.span, entry.map, entry.kind, context, &mut memos, &mut cx,
        );
        default::apply(&defaults, &mut job);
        composed.push(job);
    }
    downcase_entry_errors(cx.diags.since_mut(first_entry_diagnostic));

    // 8. Normalization: parallel jobs become their instances. GitLab runs the logical checks
    // of step 7 on the normalized jobs, so this comes first.
    let parallel::Expanded { jobs, failed } = parallel::expand(composed, &mut cx);

    // 7. Logical validation of stages and the references between jobs, which GitLab skips
    // when a matrix expression failed in step 8.
    if !failed {
        validate::check(&stages, &jobs, &top.failed, &mut cx);
    }

    Some(Config {
        stages: stages.names,
        variables,
        workflow,
        default: defaults,
        jobs,
        hidden: top.hidden,
    })
}

/// Lower-cases the messages of the errors that steps 5 and 6 reported, as GitLab's entry
/// validator does (`Gitlab::Config::Entry::Validator#messages` builds `"<location> <error>"`
/// and calls `downcase` on it), so `jobs:Build config contains unknown keys: Foo` reads
/// `jobs:build config contains unknown keys: foo`. The span and the help keep the names as
/// written.
///
/// Warnings keep their case, because GitLab adds entry warnings without `downcase`. Errors of
/// the later steps keep it too: GitLab's normalizer (matrix expressions) and YAML processor
/// (stages, `needs`, `dependencies`) build their own messages. So do the errors of the earlier
/// phases (YAML, `include`, `extends`, `!reference`, inputs), which never reach this function.
fn downcase_entry_errors(diagnostics: &mut [Diagnostic]) {
    for diagnostic in diagnostics.iter_mut().filter(|d| d.is_error()) {
        diagnostic.message = ruby::downcase(&diagnostic.message);
    }
}

/// Returns the job key as GitLab's `jobs <name> config should implement ...` message shows
/// it. ActiveModel's `full_messages` humanizes the key: `.` and `_` become spaces, leading
/// spaces go, and a trailing `_id` goes. After the message is lower-cased, GitLab turns the
/// spaces of a name made only of ASCII letters and whitespace back into underscores, so
/// `Build_Job` gives `build_job`, `my job` gives `my_job`, and `job_1` gives `job 1`.
fn humanize_job_key(key: &str) -> String {
    let underscored = key.replace('.', "_");
    let mut name = underscored.replace('_', " ");
    name = name
        .trim_start_matches(|c: char| {
            matches!(c, '\0' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ')
        })
        .to_owned();
    if underscored.ends_with("_id")
        && let Some(stem) = name.strip_suffix(" id")
    {
        name = stem.to_owned();
    }
    let name = ruby::downcase(&name);
    let letters_and_spaces = !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
        });
    if letters_and_spaces {
        name.replace(' ', "_")
    } else {
        name
    }
}

/// A top-level key taken as a job.
struct JobEntry<'r> {
    name: &'r str,
    span: Span,
    map: &'r Mapping,
    kind: JobKind,
}

/// The top-level keys sorted into their roles.
struct TopLevel<'r> {
    jobs: Vec<JobEntry<'r>>,
    hidden: Vec<String>,
    /// Keys that are not jobs only because an earlier phase failed on their value, which
    /// that phase reported. Needing one of them is not reported again.
    failed: HashSet<String>,
    default: Option<&'r Node>,
    workflow: Option<&'r Node>,
}

/// The role of a top-level key, decided by GitLab's rules in order (first match wins).
enum Class {
    /// A reserved keyword, or `default`/`workflow` when they do not look like a job.
    Global,
    /// A name starting with `.`.
    Hidden,
    /// A mapping with `script` or `run`.
    Job,
    /// A mapping with `trigger` or `needs`.
    Bridge,
    /// Anything else: an error.
    Unmatched,
}

fn classify_key(key: &Key, value: &Node) -> Class {
    if key.as_str().is_some_and(|k| RESERVED.contains(&k)) {
        return Class::Global;
    }
    let name = key.to_string();
    let map = value.as_map();
    let has = |k: &str| map.is_some_and(|m| m.contains_key(k));
    if name.starts_with('.') {
        Class::Hidden
    } else if has("script") || has("run") {
        Class::Job
    } else if has("trigger") || has("needs") {
        Class::Bridge
    } else if key.as_str().is_some_and(|k| GLOBAL_KEYWORDS.contains(&k)) {
        Class::Global
    } else {
        Class::Unmatched
    }
}

/// Sorts the top-level keys and reports keys that are neither globals nor jobs, blank hidden
/// keys, invalid job names, and a configuration without visible jobs.
fn classify<'r>(root: &'r Mapping, cx: &mut Ctx) -> TopLevel<'r> {
    let mut top = TopLevel {
        jobs: Vec::new(),
        hidden: Vec::new(),
        failed: HashSet::default(),
        default: None,
        workflow: None,
    };
    let mut visible = false;
    for (key, entry) in root.entries() {
        let value = &entry.value;
        match classify_key(key, value) {
            Class::Global => match key.as_str() {
                Some("default") => top.default = Some(value),
                Some("workflow") => top.workflow = Some(value),
                _ => {}
            },
            Class::Hidden => {
                let name = key.to_string();
                if value.is_blank() {
                    cx.diags.push(
                        Diagnostic::error(
                            "blank-hidden-key",
                            format!("jobs:{name} config can't be blank"),
                        )
                        .with_span(value.span)
                        .with_help("give the hidden key some content, or remove it"),
                    );
                }
                top.hidden.push(name);
            }
            class @ (Class::Job | Class::Bridge) => {
                visible = true;
                let kind = match class {
                    Class::Bridge => JobKind::Bridge,
                    _ => JobKind::Job,
                };
                let Some(name) = check_job_name(key, entry.key_span, cx) else {
                    continue;
                };
                if let Some(map) = value.as_map() {
                    top.jobs.push(JobEntry {
                        name,
                        span: entry.key_span,
                        map,
                        kind,
                    });
                }
            }
            // A value left incomplete by a failed `extends` or `!reference` was reported
            // there; without the failure it may have been a job.
            Class::Unmatched
                if cx.diags.is_failed_value(entry.key_span)
                    || cx.diags.is_failed_value(value.span) =>
            {
                top.failed.insert(key.to_string());
            }
            Class::Unmatched => report_unmatched(key, entry.key_span, value, cx),
        }
    }

    if !visible && top.failed.is_empty() {
        let mut diagnostic = Diagnostic::error(
            "no-visible-job",
            "jobs config should contain at least one visible job",
        )
        .with_help("add a job with `script:`; keys starting with `.` are hidden and never run")
        .missing_definition();
        if let Some((_, first)) = root.entries().next() {
            diagnostic = diagnostic.with_span(first.key_span);
        }
        cx.diags.push(diagnostic);
    }
    top
}

/// Checks a job's key: a string (GitLab symbolizes string keys only), not blank, and at most
/// `max_job_name_length` characters. Returns the name when the job can be built.
fn check_job_name<'r>(key: &'r Key, span: Span, cx: &mut Ctx) -> Option<&'r str> {
    let Some(name) = key.as_str() else {
        cx.diags.push(
            Diagnostic::error(
                "invalid-job-name",
                format!("jobs:{key} name should be a symbol"),
            )
            .with_span(span)
            .with_help(format!("quote the job name: `\"{key}\":`")),
        );
        return None;
    };
    let max = cx.limits.max_job_name_length;
    if name.is_empty() {
        cx.diags.push(
            Diagnostic::error("invalid-job-name", "jobs: name can't be blank").with_span(span),
        );
    } else if name.chars().count() > max {
        cx.diags.push(
            Diagnostic::error(
                "job-name-too-long",
                format!("jobs:{name} name is too long (maximum is {max} characters)"),
            )
            .with_span(span),
        );
    }
    Some(name)
}

/// `jobs <name> config should implement the script:, run:, or trigger: keyword`, with a hint
/// when the key looks like a misspelled global keyword.
fn report_unmatched(key: &Key, span: Span, value: &Node, cx: &mut Ctx) {
    let name = key.to_string();
    // A hash that does not look like a misplaced keyword may be a partial job whose `script`
    // comes from an included file: it is deep-merged over the same key of the included files.
    let mut partial_job = false;
    let help = if name == "types" {
        "`types` was removed from GitLab; use `stages`".to_owned()
    } else if name == "spec" {
        "a `spec:` header must be its own YAML document, followed by `---`".to_owned()
    } else if let Some(global) = did_you_mean(&name, GLOBAL_KEYWORDS) {
        format!("did you mean the global keyword `{global}`?")
    } else if value.as_map().is_some() {
        partial_job = true;
        "add `script:` with the commands to run, or `trigger:` to start a downstream pipeline"
            .to_owned()
    } else {
        "a job must be a hash with `script:`, `run:` or `trigger:`".to_owned()
    };
    let mut diagnostic = Diagnostic::error(
        "unmatched-job",
        format!(
            "jobs {} config should implement the script:, run:, or trigger: keyword",
            humanize_job_key(&name)
        ),
    )
    .with_span(span)
    .with_help(help);
    if partial_job {
        diagnostic = diagnostic.missing_definition();
    }
    cx.diags.push(diagnostic);
}

impl Config {
    /// Returns the YAML variables a job receives before `rules:variables`: the global variables that
    /// `inherit:variables` lets through, overridden by the job's own (which include the matrix
    /// values of a parallel instance). This is GitLab's `inherit_yaml_variables`.
    pub fn yaml_variables(&self, job: &Job) -> IndexMap<String, Variable> {
        let mut out: IndexMap<String, Variable> = self
            .variables
            .iter()
            .filter(|(name, _)| leaf::inherits_variable(job.inherit.as_ref(), name))
            .map(|(name, variable)| (name.clone(), variable.clone()))
            .collect();
        for (name, variable) in &job.variables {
            out.insert(name.clone(), variable.clone());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::testing::{build, build_yaml, valid, valid_yaml};
    use super::*;

    #[test]
    fn reserved_and_default_keys() {
        // T1.6: `variables` is reserved, so this is the global block; `default` is not, so a
        // value with `script` makes it a job.
        let built = valid_yaml(
            "variables: {script: x}\n\
             default: {script: [x]}\n",
        );
        assert_eq!(built.config.jobs.keys().collect::<Vec<_>>(), ["default"]);
        assert_eq!(built.config.variables["script"].value, "x");
        assert!(built.config.default.is_empty());
    }

    #[test]
    fn workflow_with_script_is_job() {
        let built = valid(json!({"workflow": {"script": "x"}}));
        assert_eq!(built.job("workflow").kind, JobKind::Job);
        assert_eq!(built.config.workflow, None);
    }

    #[test]
    fn workflow_without_script_is_global() {
        let built = valid(json!({
            "workflow": {"rules": [{"when": "always"}]},
            "job": {"script": "x"},
        }));
        assert!(built.config.workflow.is_some());
        assert_eq!(built.config.jobs.len(), 1);
    }

    #[test]
    fn classify_kinds() {
        let built = valid(json!({
            "build": {"script": "x"},
            "steps": {"run": [{"name": "a", "script": "x"}]},
            "deploy": {"trigger": "group/project"},
            "mirror": {"needs": {"pipeline": "group/upstream"}},
            ".tmpl": {"script": "x"},
        }));
        assert_eq!(built.job("build").kind, JobKind::Job);
        assert_eq!(built.job("steps").kind, JobKind::Job);
        assert_eq!(built.job("deploy").kind, JobKind::Bridge);
        assert_eq!(built.job("mirror").kind, JobKind::Bridge);
        assert_eq!(built.config.hidden, [".tmpl"]);
        assert!(!built.config.jobs.contains_key(".tmpl"));
    }

    #[test]
    fn bignum_keywords() {
        let built = build_yaml(
            "variables:\n  BIG: 123456789012345678901234567890\n\
             a:\n  script: x\n  variables: {NEG: -0x10000000000000000}\n  \
             retry: 100000000000000000000\n",
        );
        assert_eq!(
            built.errors(),
            ["retry config must be less than or equal to 2"]
        );
        assert_eq!(
            built.config.variables["BIG"].value,
            "123456789012345678901234567890"
        );
        assert_eq!(
            built.job("a").variables["NEG"].value,
            "-18446744073709551616"
        );
    }

    #[test]
    fn entry_errors_lower_cased() {
        let built = build(json!({
            "Build": {"script": "x", "Foo": 1},
            "Lint_Job": {"image": "ruby"},
            "variables": {"MY_VAR": {"value": "x", "Bad": 1}},
        }));
        assert_eq!(
            built.errors(),
            [
                "jobs lint_job config should implement the script:, run:, or trigger: keyword",
                "variables:my_var config uses invalid data keys: bad",
                "jobs:build config contains unknown keys: foo",
            ]
        );
        // The span still points at the key as written.
        let unknown = built.diagnostic("jobs:build config contains unknown keys: foo");
        let job = built.root.get("Build").and_then(Node::as_map).unwrap();
        assert_eq!(unknown.span, Some(job.entry("Foo").unwrap().key_span));
    }

    #[test]
    fn later_errors_keep_case() {
        let built = build(json!({
            "Build": {"script": "x", "needs": ["Missing"], "stage": "Deploy"},
        }));
        assert_eq!(
            built.errors(),
            [
                "Build job: chosen stage Deploy does not exist; available stages are .pre, \
                 build, test, deploy, .post",
                "Build job: undefined need: Missing",
            ]
        );
    }

    #[test]
    fn humanize_job_key_table() {
        let cases = [
            ("build", "build"),
            ("Build_Job", "build_job"),
            ("my job", "my_job"),
            ("job_1", "job 1"),
            ("deploy.prod", "deploy_prod"),
            ("deploy.prod-1", "deploy prod-1"),
            ("image_id", "image"),
            ("_private", "private"),
            ("my-job", "my-job"),
            ("Café_Job", "café job"),
            ("id", "id"),
        ];
        for (key, expected) in cases {
            assert_eq!(humanize_job_key(key), expected, "{key:?}");
        }
    }

    #[test]
    fn unmatched_key() {
        let built = build(json!({"build": {"script": "x"}, "lint": {"image": "ruby"}}));
        assert_eq!(
            built.errors(),
            ["jobs lint config should implement the script:, run:, or trigger: keyword"]
        );
        let diagnostic = built.diagnostic(built.errors()[0]);
        assert_eq!(diagnostic.span, Some(built.key_span("lint")));
    }

    #[test]
    fn unmatched_scalar() {
        let built = build(json!({"build": {"script": "x"}, "stage": "test"}));
        assert_eq!(
            built.errors(),
            ["jobs stage config should implement the script:, run:, or trigger: keyword"]
        );
        let help = built.diagnostic(built.errors()[0]).help.clone();
        assert_eq!(
            help.as_deref(),
            Some("did you mean the global keyword `stages`?")
        );
    }

    #[test]
    fn spec_in_body_is_unmatched() {
        let built = build(json!({
            "spec": {"inputs": {"x": {"default": "y"}}},
            "job": {"script": "x"},
        }));
        assert_eq!(
            built.errors(),
            ["jobs spec config should implement the script:, run:, or trigger: keyword"]
        );
    }

    #[test]
    fn types_is_unmatched() {
        let built = build(json!({"types": ["build"], "job": {"script": "x"}}));
        assert_eq!(
            built.errors(),
            ["jobs types config should implement the script:, run:, or trigger: keyword"]
        );
    }

    #[test]
    fn no_visible_job() {
        let built = build(json!({".hidden": {"script": "x"}, "variables": {"A": "1"}}));
        assert_eq!(
            built.errors(),
            ["jobs config should contain at least one visible job"]
        );
    }

    #[test]
    fn hidden_blank_values() {
        for blank in [
            json!(null),
            json!(false),
            json!(""),
            json!("  "),
            json!({}),
            json!([]),
        ] {
            let built = build(json!({".x": blank.clone(), "job": {"script": "x"}}));
            assert_eq!(
                built.errors(),
                ["jobs:.x config can't be blank"],
                "value {blank}"
            );
        }
    }

    #[test]
    fn hidden_present_values() {
        for present in [
            json!(1),
            json!("x"),
            json!([1]),
            json!({"a": 1}),
            json!(true),
        ] {
            let built = build(json!({".x": present.clone(), "job": {"script": "x"}}));
            assert_eq!(built.errors(), Vec::<&str>::new(), "value {present}");
        }
    }

    #[test]
    fn job_name_length() {
        let ok = "a".repeat(255);
        assert!(
            valid(json!({ok.clone(): {"script": "x"}}))
                .config
                .jobs
                .contains_key(&ok)
        );

        let long = "a".repeat(256);
        let built = build(json!({long.clone(): {"script": "x"}}));
        assert_eq!(
            built.errors(),
            [format!(
                "jobs:{long} name is too long (maximum is 255 characters)"
            )]
        );
    }

    #[test]
    fn non_string_job_name() {
        let mut root = testing::tree(json!({"job": {"script": "x"}}));
        let script = testing::node(json!({"script": "x"}));
        root.insert(Key::Int(123), Span::default(), script);
        let mut diags = Diagnostics::new();
        let config = super::build(&root, &Limits::default(), &mut diags).unwrap();
        let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["jobs:123 name should be a symbol"]);
        assert_eq!(config.jobs.len(), 1);
    }

    #[test]
    fn empty_job_name() {
        let built = build(json!({"": {"script": "x"}}));
        assert_eq!(built.errors(), ["jobs: name can't be blank"]);
    }

    #[test]
    fn jobs_keep_config_order() {
        let built = valid(json!({
            "z": {"script": "x"},
            "a": {"script": "x"},
            "m": {"trigger": "p"},
        }));
        assert_eq!(
            built.config.jobs.keys().collect::<Vec<_>>(),
            ["z", "a", "m"]
        );
    }

    #[test]
    fn yaml_variables_job_wins() {
        let built = valid(json!({
            "variables": {"A": "global", "B": "global"},
            "job": {"script": "x", "variables": {"B": "job", "C": "job"}},
        }));
        let vars = built.config.yaml_variables(built.job("job"));
        let pairs: Vec<(&str, &str)> = vars
            .iter()
            .map(|(k, v)| (k.as_str(), v.value.as_str()))
            .collect();
        assert_eq!(pairs, [("A", "global"), ("B", "job"), ("C", "job")]);
    }

    #[test]
    fn empty_job_variables_keep_globals() {
        let built = valid(json!({
            "variables": {"A": "1"},
            "job": {"script": "x", "variables": {}},
        }));
        let vars = built.config.yaml_variables(built.job("job"));
        assert_eq!(vars.keys().collect::<Vec<_>>(), ["A"]);
    }

    #[test]
    fn serializes_keyword_names() {
        let built = valid(json!({"job": {"script": "x", "needs": []}}));
        let json = serde_json::to_value(&built.config).unwrap();
        assert_eq!(
            json,
            json!({
                "stages": [".pre", "build", "test", "deploy", ".post"],
                "jobs": {"job": {
                    "name": "job",
                    "kind": "job",
                    "stage": "test",
                    "scheduling_type": "dag",
                    "script": ["x"],
                    "only": {"refs": ["branches", "tags"]},
                    "needs": [],
                }},
            })
        );
    }
}

#[cfg(test)]
mod scale_tests {
    use serde_json::json;

    use super::testing::build;

    /// Generates a configuration of `count` jobs over ten stages, where every job after the first stage
    /// needs two jobs of the previous stage and depends on one, and one in ten is parallel.
    fn large(count: usize) -> serde_json::Value {
        let stages: Vec<String> = (0..10).map(|i| format!("s{i}")).collect();
        let per_stage = count / stages.len();
        let mut root = serde_json::Map::new();
        root.insert("stages".into(), json!(stages));
        root.insert("variables".into(), json!({"GLOBAL": "1"}));
        root.insert(
            "default".into(),
            json!({"image": "ruby:3.3", "tags": ["docker"]}),
        );
        for i in 0..count {
            let stage = i / per_stage;
            let mut job = json!({
                "stage": format!("s{stage}"),
                "script": ["make", ["test"]],
                "variables": {"INDEX": i},
                "rules": [{"if": "$CI_COMMIT_BRANCH", "when": "always"}],
            });
            if stage > 0 {
                let previous = (stage - 1) * per_stage;
                job["needs"] = json!([format!("job-{previous}"), format!("job-{}", previous + 1)]);
                job["dependencies"] = json!([format!("job-{previous}")]);
            }
            if i % 10 == 5 {
                job["parallel"] = json!(2);
            }
            root.insert(format!("job-{i}"), job);
        }
        serde_json::Value::Object(root)
    }

    #[test]
    fn three_thousand_jobs() {
        let built = build(large(3000));
        assert_eq!(built.errors(), Vec::<&str>::new());
        assert_eq!(built.config.jobs.len(), 3300);
        let last = built.config.jobs.values().last().unwrap();
        assert_eq!(last.job_needs().count(), 2);
    }
}
