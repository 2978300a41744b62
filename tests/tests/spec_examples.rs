//! The worked examples of GitLab's configuration semantics (YAML layer, `include` and inputs,
//! `extends`, `default:` and `inherit:`), run end to end through [`glplan::resolve`].
//!
//! Each test states GitLab's documented or observed behaviour. Checks look at the merged tree
//! (after `include`, `extends` and `!reference`, as GitLab's merged-YAML view shows it), at the
//! typed configuration through its JSON form where the behaviour only shows after composition
//! (`default:`, flattening, `parallel`), and at the diagnostics' messages.

use glplan::yaml::{Node, Value};
use glplan::{MemoryFiles, Resolution, ResolveOptions, Span};
use serde_json::{Value as Json, json};

const ENTRY: &str = ".gitlab-ci.yml";

/// Removes the indentation common to all non-blank lines, so YAML can sit indented in the code.
fn dedent(text: &str) -> String {
    let indent = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for line in text.lines() {
        out.push_str(line.get(indent..).unwrap_or("").trim_end());
        out.push('\n');
    }
    out.trim_start_matches('\n').to_owned()
}

/// Resolves `entry_text` as `.gitlab-ci.yml`, with `others` as further repository files.
fn resolve_files(
    entry_text: &str,
    others: &[(&str, &str)],
    options: &ResolveOptions,
) -> Resolution {
    let mut files = MemoryFiles::new().with_file(ENTRY, dedent(entry_text));
    for (path, text) in others {
        files = files.with_file(*path, dedent(text));
    }
    glplan::resolve(ENTRY, &files, options)
}

fn resolve(entry_text: &str) -> Resolution {
    resolve_files(entry_text, &[], &ResolveOptions::default())
}

fn resolve_with(entry_text: &str, others: &[(&str, &str)]) -> Resolution {
    resolve_files(entry_text, others, &ResolveOptions::default())
}

fn options_with_variables(variables: &[(&str, &str)]) -> ResolveOptions {
    ResolveOptions {
        variables: variables
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..ResolveOptions::default()
    }
}

/// Returns the merged tree as JSON, or `null` when there is none.
fn merged(resolution: &Resolution) -> Json {
    match &resolution.merged {
        Some(map) => Node::new(Value::Map(map.clone()), Span::default()).to_json(),
        None => Json::Null,
    }
}

/// Returns the typed configuration as JSON, or `null` when there is none.
fn config(resolution: &Resolution) -> Json {
    serde_json::to_value(&resolution.config).unwrap_or(Json::Null)
}

fn messages(resolution: &Resolution) -> Vec<String> {
    resolution
        .diagnostics
        .iter()
        .map(|d| d.message.clone())
        .collect()
}

fn errors(resolution: &Resolution) -> Vec<String> {
    resolution
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect()
}

#[track_caller]
fn assert_no_errors(resolution: &Resolution) {
    assert!(
        errors(resolution).is_empty(),
        "unexpected errors: {:?}",
        messages(resolution)
    );
}

/// Asserts that one error has exactly `expected` as its message.
#[track_caller]
fn assert_error(resolution: &Resolution, expected: &str) {
    let errors = errors(resolution);
    assert!(
        errors.iter().any(|m| m == expected),
        "no error `{expected}` among {errors:?}"
    );
}

/// Asserts that one error message contains `expected`.
#[track_caller]
fn assert_error_containing(resolution: &Resolution, expected: &str) {
    let errors = errors(resolution);
    assert!(
        errors.iter().any(|m| m.contains(expected)),
        "no error containing `{expected}` among {errors:?}"
    );
}

/// Returns the keys of a JSON object, in order.
fn keys(value: &Json) -> Vec<String> {
    value
        .as_object()
        .map(|object| object.keys().cloned().collect())
        .unwrap_or_default()
}

/// Flattens nested arrays fully, as `script` does after `!reference` resolution.
fn flatten(value: &Json) -> Vec<Json> {
    match value {
        Json::Array(items) => items.iter().flat_map(flatten).collect(),
        other => vec![other.clone()],
    }
}

// YAML layer: parser and scalar typing.

#[test]
fn scalars_follow_yaml_1_1() {
    let resolution = resolve(
        r#"
        variables:
          V_OCT: 012345
          V_HEX: 0x1f
          V_BIN: 0b101
          V_UNDERSCORE: 1_000
          V_COMMA: 1,000
          V_NOT_OCTAL: 08
          V_YAML12_OCTAL: 0o17
          V_SEXAGESIMAL2: 1:20
          V_SEXAGESIMAL3: 1:20:30
          V_NOT_SEXAGESIMAL: 1:70
          V_FLOAT: 1.10
          V_FLOAT_EXP: 1.0e+3
          V_NOT_FLOAT: 1e3
          V_NOT_FLOAT2: 1.0e3
          V_YES: yes
          V_OFF: Off
          V_NULL: nUll
          V_TILDE: ~
          V_EMPTY:
        job:
          script: [x]
        "#,
    );
    let variables = &merged(&resolution)["variables"];
    let cases = [
        ("V_OCT", json!(5349)),
        ("V_HEX", json!(31)),
        ("V_BIN", json!(5)),
        ("V_UNDERSCORE", json!(1000)),
        ("V_COMMA", json!(1000)),
        ("V_NOT_OCTAL", json!("08")),
        ("V_YAML12_OCTAL", json!("0o17")),
        ("V_SEXAGESIMAL2", json!(4800)),
        ("V_SEXAGESIMAL3", json!(4830)),
        ("V_NOT_SEXAGESIMAL", json!("1:70")),
        ("V_FLOAT", json!(1.1)),
        ("V_FLOAT_EXP", json!(1000.0)),
        ("V_NOT_FLOAT", json!("1e3")),
        ("V_NOT_FLOAT2", json!("1.0e3")),
        ("V_YES", json!(true)),
        ("V_OFF", json!(false)),
        ("V_NULL", json!(null)),
        ("V_TILDE", json!(null)),
        ("V_EMPTY", json!(null)),
    ];
    for (name, expected) in cases {
        assert_eq!(variables[name], expected, "{name}");
    }
}

#[test]
fn special_floats_load() {
    let resolution = resolve(
        "
        .x:
          inf: .inf
          minus: -.inf
          nan: .nan
        job: {script: [x]}
        ",
    );
    let x = &merged(&resolution)[".x"];
    assert_eq!(x["inf"], json!("Infinity"));
    assert_eq!(x["minus"], json!("-Infinity"));
    assert_eq!(x["nan"], json!("NaN"));
}

#[test]
fn unknown_tags_dropped() {
    let resolution = resolve(
        "
        .x:
          a: !foo x
          b: !foo [1]
          c: !!str 123
          d: !!binary aGVsbG8=
        job: {script: [x]}
        ",
    );
    let x = &merged(&resolution)[".x"];
    assert_no_errors(&resolution);
    assert_eq!(x["a"], json!("x"));
    assert_eq!(x["b"], json!([1]));
    assert_eq!(x["c"], json!("123"));
    assert_eq!(x["d"], json!("hello"));
}

#[test]
fn unquoted_date_rejected() {
    let resolution = resolve(
        "
        variables:
          RELEASE: 2021-03-15
        job: {script: [x]}
        ",
    );
    assert_error_containing(&resolution, "Tried to load unspecified class: Date");
}

#[test]
fn top_level_sequence_rejected() {
    let resolution = resolve("- a\n- b\n");
    assert_error(&resolution, "Invalid configuration format");
}

#[test]
fn empty_file_rejected() {
    let resolution = resolve("");
    assert_error(&resolution, "Please provide content of .gitlab-ci.yml");
}

#[test]
fn duplicate_key_last_wins() {
    let resolution = resolve(
        "
        job:
          script: [first]
        job:
          script: [second]
        ",
    );
    assert_no_errors(&resolution);
    assert_eq!(merged(&resolution)["job"]["script"], json!(["second"]));
}

// YAML layer: anchors, aliases and merge keys.

#[test]
fn merge_key_order() {
    let resolution = resolve(
        "
        .t: &t
          image: alpine
          script: [tmpl]
        a:
          script: [mine]
          <<: *t
        b:
          <<: *t
          script: [mine]
        ",
    );
    let tree = merged(&resolution);
    assert_eq!(tree["a"]["script"], json!(["tmpl"]));
    assert_eq!(tree["b"]["script"], json!(["mine"]));
    assert_eq!(tree["a"]["image"], json!("alpine"));
    assert_eq!(tree["b"]["image"], json!("alpine"));
}

#[test]
fn merge_key_list_earlier_wins() {
    let resolution = resolve(
        "
        .a: &a {image: a, tags: [a]}
        .b: &b {image: b, stage: b}
        job:
          image: mine
          <<: [*a, *b]
          script: [x]
        ",
    );
    let job = &merged(&resolution)["job"];
    assert_eq!(job["image"], json!("a"));
    assert_eq!(job["tags"], json!(["a"]));
    assert_eq!(job["stage"], json!("b"));
}

#[test]
fn merge_key_is_shallow() {
    let resolution = resolve(
        r#"
        .t: &t {variables: {A: "1", B: "2"}}
        job:
          <<: *t
          variables: {C: "3"}
          script: [x]
        "#,
    );
    assert_eq!(merged(&resolution)["job"]["variables"], json!({"C": "3"}));
}

#[test]
fn merge_key_non_mapping_kept_literally() {
    let resolution = resolve(
        "
        .a: &a {image: a}
        job:
          <<: [*a, 1]
          script: [x]
        ",
    );
    let job = &merged(&resolution)["job"];
    assert_eq!(job["<<"], json!([{"image": "a"}, 1]));
    assert_eq!(job["image"], Json::Null);
}

#[test]
fn merge_key_quoted_still_merges() {
    let resolution = resolve(
        r#"
        .a: &a {image: a}
        quoted:
          "<<": *a
          script: [x]
        tagged:
          !!str <<: *a
          script: [x]
        "#,
    );
    let tree = merged(&resolution);
    assert_eq!(tree["quoted"]["image"], json!("a"));
    assert_eq!(tree["tagged"]["<<"], json!({"image": "a"}));
}

#[test]
fn sequence_alias_nests() {
    let resolution = resolve(
        "
        .setup: &setup [a, b]
        job:
          script: [*setup, make]
        ",
    );
    assert_eq!(
        merged(&resolution)["job"]["script"],
        json!([["a", "b"], "make"])
    );
    assert_eq!(
        config(&resolution)["jobs"]["job"]["script"],
        json!(["a", "b", "make"])
    );
}

// YAML layer: multi-document files and the `spec` header.

#[test]
fn second_document_ignored_without_header() {
    let resolution = resolve("job1: {script: a}\n---\njob2: {script: b}\n");
    let tree = merged(&resolution);
    assert_eq!(keys(&tree), ["job1"]);
}

#[test]
fn header_inputs_interpolated() {
    let resolution = resolve(
        r#"
        spec: {inputs: {x: {default: y}}}
        ---
        job: {script: "$[[ inputs.x ]]"}
        "#,
    );
    assert_no_errors(&resolution);
    assert_eq!(merged(&resolution)["job"]["script"], json!("y"));
    assert_eq!(config(&resolution)["jobs"]["job"]["script"], json!(["y"]));
}

#[test]
fn spec_in_single_document_is_a_job() {
    let resolution = resolve(
        "
        spec: {inputs: {x: {default: y}}}
        job: {script: x}
        ",
    );
    assert_error(
        &resolution,
        "jobs spec config should implement the script:, run:, or trigger: keyword",
    );
}

#[test]
fn interpolation_literal_without_header() {
    let resolution = resolve(r#"job: {script: "echo $[[ inputs.x ]]"}"#);
    assert_no_errors(&resolution);
    assert_eq!(
        merged(&resolution)["job"]["script"],
        json!("echo $[[ inputs.x ]]")
    );
}

// YAML layer: `!reference`.

#[test]
fn reference_nested_in_script() {
    let resolution = resolve(
        "
        .snip:
          one: [\"echo 1\"]
          two:
            - !reference [.snip, one]
            - echo 2
        job:
          script:
            - !reference [.snip, two]
            - echo 3
        ",
    );
    assert_no_errors(&resolution);
    let script = &merged(&resolution)["job"]["script"];
    assert_eq!(script, &json!([[["echo 1"], "echo 2"], "echo 3"]));
    assert_eq!(
        flatten(script),
        [json!("echo 1"), json!("echo 2"), json!("echo 3")]
    );
    assert_eq!(
        config(&resolution)["jobs"]["job"]["script"],
        json!(["echo 1", "echo 2", "echo 3"])
    );
}

#[test]
fn reference_sees_extends() {
    let resolution = resolve(
        r#"
        .base: {script: [base]}
        .mid: {extends: .base, variables: {A: "1"}}
        job:
          script: [!reference [.mid, script], own]
          variables: !reference [.mid, variables]
        "#,
    );
    assert_no_errors(&resolution);
    let job = &merged(&resolution)["job"];
    assert_eq!(flatten(&job["script"]), [json!("base"), json!("own")]);
    assert_eq!(job["variables"], json!({"A": "1"}));
}

#[test]
fn reference_into_included_file() {
    let resolution = resolve_with(
        "
        include: tmpl.yml
        job:
          script:
            - !reference [.setup, script]
            - make
        ",
        &[("tmpl.yml", ".setup: {script: [configure]}")],
    );
    assert_no_errors(&resolution);
    assert_eq!(
        merged(&resolution)["job"]["script"],
        json!([["configure"], "make"])
    );
}

#[test]
fn reference_missing() {
    let resolution = resolve("a: {script: [!reference [.missing, script]]}");
    assert_error(
        &resolution,
        r#"!reference [".missing", "script"] could not be found"#,
    );
}

#[test]
fn reference_circular() {
    let resolution = resolve(
        "
        .x: {script: !reference [.y, script]}
        .y: {script: !reference [.x, script]}
        j: {script: !reference [.x, script]}
        ",
    );
    assert_error(
        &resolution,
        r#"!reference [".y", "script"] is part of a circular chain"#,
    );
}

#[test]
fn reference_invalid_values() {
    let cases = [
        ("!reference a", r#"!reference "a" is not valid"#),
        ("!reference []", "!reference [] is not valid"),
        ("!reference [1]", "!reference [1] is not valid"),
    ];
    for (tag, expected) in cases {
        let resolution = resolve(&format!("j: {{script: [x], variables: {tag}}}"));
        assert_error(&resolution, expected);
    }
}

#[test]
fn reference_to_false_not_found() {
    let resolution = resolve(
        "
        .tmpl: {interruptible: false}
        job:
          script: [x]
          interruptible: !reference [.tmpl, interruptible]
        ",
    );
    assert_error(
        &resolution,
        r#"!reference [".tmpl", "interruptible"] could not be found"#,
    );
}

#[test]
fn reference_whole_mapping_value() {
    let resolution = resolve(
        r#"
        .vars:
          variables: {A: "1", B: "2"}
        job:
          script: [x]
          variables: !reference [.vars, variables]
        "#,
    );
    assert_eq!(
        merged(&resolution)["job"]["variables"],
        json!({"A": "1", "B": "2"})
    );
}

#[test]
fn reference_in_matrix_rejected() {
    let resolution = resolve(
        "
        .m:
          matrix: [{A: [a, b]}]
        job:
          script: [x]
          parallel:
            matrix:
              - !reference [.m, matrix]
        ",
    );
    assert_error_containing(&resolution, "config should be an array of hashes");
}

#[test]
fn reference_not_seen_by_extends() {
    // `extends` runs first: the child's `!reference` replaces the parent's hash unmerged.
    let resolution = resolve(
        r#"
        .vars: {variables: {B: "2"}}
        .base: {variables: {A: "1"}}
        job:
          extends: .base
          script: [x]
          variables: !reference [.vars, variables]
        "#,
    );
    assert_eq!(merged(&resolution)["job"]["variables"], json!({"B": "2"}));
}

// YAML layer: top-level keys.

#[test]
fn reserved_and_unreserved_keys() {
    let resolution = resolve(
        "
        variables: {script: x}
        default: {script: [x]}
        ",
    );
    assert_no_errors(&resolution);
    let jobs = keys(&config(&resolution)["jobs"]);
    assert_eq!(jobs, ["default"]);
}

#[test]
fn hidden_keys_must_not_be_blank() {
    let resolution = resolve(
        r#"
        .map: {}
        .seq: []
        .null: null
        .empty: ""
        .false: false
        .scalar: 1
        job: {script: [x]}
        "#,
    );
    for name in [".map", ".seq", ".null", ".empty", ".false"] {
        assert_error(&resolution, &format!("jobs:{name} config can't be blank"));
    }
    assert!(
        !messages(&resolution).iter().any(|m| m.contains(".scalar")),
        "{:?}",
        messages(&resolution)
    );
}

#[test]
fn unmatched_job_rejected() {
    let resolution = resolve(
        "
        foo: {image: alpine}
        job: {script: [x]}
        ",
    );
    assert_error(
        &resolution,
        "jobs foo config should implement the script:, run:, or trigger: keyword",
    );
}

#[test]
fn hidden_only_rejected() {
    let resolution = resolve(".hidden: {script: [x]}");
    assert_error(
        &resolution,
        "jobs config should contain at least one visible job",
    );
}

#[test]
fn script_line_with_colon_is_mapping() {
    let resolution = resolve(
        "
        job:
          script:
            - echo status: ok
        ",
    );
    assert_error_containing(
        &resolution,
        "config should be a string or a nested array of strings up to 10 levels deep",
    );
}

// include.

#[test]
fn include_merge_order() {
    let resolution = resolve_with(
        "
        include: [a.yml, b.yml]
        variables: {Y: main}
        ",
        &[
            (
                "a.yml",
                "
                variables: {X: a, Y: a}
                job: {script: [from-a], artifacts: {paths: [a]}}
                ",
            ),
            (
                "b.yml",
                "
                variables: {X: b}
                job: {script: [from-b], artifacts: {when: always}}
                ",
            ),
        ],
    );
    assert_no_errors(&resolution);
    let tree = merged(&resolution);
    assert_eq!(tree["variables"], json!({"X": "b", "Y": "main"}));
    assert_eq!(tree["job"]["script"], json!(["from-b"]));
    assert_eq!(
        tree["job"]["artifacts"],
        json!({"paths": ["a"], "when": "always"})
    );
    assert!(tree.get("include").is_none(), "include key left in {tree}");
}

const RULES_ENTRY: &str = r#"
include:
  - local: ci/$CI_PIPELINE_SOURCE.yml
  - local: extra.yml
    rules:
      - if: $INCLUDE_EXTRA == "true"
      - when: never
"#;

const RULES_FILES: &[(&str, &str)] = &[
    ("ci/push.yml", "push-job: {script: [x]}"),
    ("extra.yml", "extra-job: {script: [x]}"),
];

#[test]
fn include_rules_with_pipeline_variables() {
    let options =
        options_with_variables(&[("CI_PIPELINE_SOURCE", "push"), ("INCLUDE_EXTRA", "true")]);
    let resolution = resolve_files(RULES_ENTRY, RULES_FILES, &options);
    assert_no_errors(&resolution);
    assert_eq!(keys(&merged(&resolution)), ["push-job", "extra-job"]);
}

#[test]
fn include_rules_ignore_yaml_variables() {
    let entry = format!("{RULES_ENTRY}variables: {{INCLUDE_EXTRA: \"true\"}}\n");
    let options = options_with_variables(&[("CI_PIPELINE_SOURCE", "push")]);
    let resolution = resolve_files(&entry, RULES_FILES, &options);
    let tree = merged(&resolution);
    assert!(tree.get("push-job").is_some(), "{tree}");
    assert!(tree.get("extra-job").is_none(), "{tree}");
}

const TYPED_TEMPLATE: &str = r#"
spec:
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
fn include_typed_inputs() {
    let resolution = resolve_with(
        "
        stages: [build, test]
        include:
          - local: tmpl.yml
            inputs: {stage: build, jobs: []}
        ",
        &[("tmpl.yml", TYPED_TEMPLATE)],
    );
    assert_no_errors(&resolution);
    let job = &merged(&resolution)["build-job"];
    assert_eq!(job["stage"], json!("build"));
    assert_eq!(job["parallel"], json!(2));
    assert_eq!(job["needs"], json!([]));
    assert_eq!(job["script"], json!("echo \"par=2\""));
    let jobs = keys(&config(&resolution)["jobs"]);
    assert_eq!(jobs, ["build-job 1/2", "build-job 2/2"]);
}

#[test]
fn include_missing_input() {
    let resolution = resolve_with(
        "
        include:
          - local: tmpl.yml
        job: {script: [x]}
        ",
        &[("tmpl.yml", TYPED_TEMPLATE)],
    );
    assert_error(
        &resolution,
        "`tmpl.yml`: `jobs` input: required value has not been provided",
    );
}

#[test]
fn include_unknown_input() {
    let resolution = resolve_with(
        "
        include:
          - local: tmpl.yml
            inputs: {jobs: [], zzz: 1}
        job: {script: [x]}
        ",
        &[("tmpl.yml", TYPED_TEMPLATE)],
    );
    assert_error_containing(&resolution, "unknown input arguments: zzz");
}

#[test]
fn include_inputs_without_header() {
    let resolution = resolve_with(
        "
        include:
          - local: plain.yml
            inputs: {x: 1}
        job: {script: [x]}
        ",
        &[("plain.yml", "other: {script: [x]}")],
    );
    assert_error_containing(
        &resolution,
        "Given inputs not defined in the `spec` section of the included configuration file",
    );
}

const WILDCARD_FILES: &[(&str, &str)] = &[
    ("ci/a.yml", "job-a: {script: [x]}"),
    ("ci/sub/b.yml", "job-b: {script: [x]}"),
];

#[test]
fn include_wildcards() {
    let cases = [
        ("ci/*.yml", vec!["job-a"]),
        ("ci/**.yml", vec!["job-a", "job-b"]),
        ("ci/**/*.yml", vec!["job-b"]),
    ];
    for (pattern, expected) in cases {
        let resolution = resolve_with(&format!("include: '{pattern}'\n"), WILDCARD_FILES);
        assert_no_errors(&resolution);
        assert_eq!(keys(&merged(&resolution)), expected, "{pattern}");
    }
}

#[test]
fn include_wildcard_hash_form_not_expanded() {
    // For hash items, wildcard matching runs before variable expansion.
    let options = options_with_variables(&[("DIR", "sub")]);
    let string_form = resolve_files("include: 'ci/$DIR/*.yml'\n", WILDCARD_FILES, &options);
    let hash_form = resolve_files(
        "include: {local: 'ci/$DIR/*.yml'}\n",
        WILDCARD_FILES,
        &options,
    );
    assert_eq!(keys(&merged(&string_form)), ["job-b"]);
    assert_eq!(keys(&merged(&hash_form)), Vec::<String>::new());
}

#[test]
fn include_item_errors() {
    let cases = [
        (
            "include: [1]",
            "Each include must be a hash or a string".to_owned(),
        ),
        (
            "include: {local: a.yml, remote: 'https://example.com/a.yml'}",
            "Each include must use only one of: `local`, `project`, `remote`, `template`, \
             `artifact`, `component`"
                .to_owned(),
        ),
        (
            "include: {local: a.txt}",
            "Included file `a.txt` does not have YAML extension!".to_owned(),
        ),
        (
            "include: {local: missing.yml}",
            "Local file `missing.yml` does not exist!".to_owned(),
        ),
    ];
    for (entry, expected) in cases {
        let resolution = resolve(&format!("{entry}\njob: {{script: [x]}}\n"));
        assert_error(&resolution, &expected);
    }
}

#[test]
fn include_without_type() {
    let resolution = resolve("include: {inputs: {a: 1}}\njob: {script: [x]}\n");
    assert_error_containing(
        &resolution,
        "does not have a valid subkey for include. Valid subkeys are: `local`, `project`, \
         `remote`, `template`, `artifact`, `component`",
    );
}

#[test]
fn include_cycle_hits_limit() {
    let resolution = resolve_with(
        "include: a.yml\njob: {script: [x]}\n",
        &[("a.yml", "include: b.yml\n"), ("b.yml", "include: a.yml\n")],
    );
    assert_error(&resolution, "Maximum of 150 nested includes are allowed!");
}

#[test]
fn interpolation_splices_array_element() {
    let resolution = resolve_with(
        "
        include:
          - local: tmpl.yml
            inputs: {more: [b, c]}
        ",
        &[(
            "tmpl.yml",
            r#"
            spec:
              inputs:
                more: {type: array}
            ---
            job:
              script: [x]
              needs: [a, "$[[ inputs.more ]]"]
            a: {script: [x]}
            b: {script: [x]}
            c: {script: [x]}
            "#,
        )],
    );
    assert_eq!(merged(&resolution)["job"]["needs"], json!(["a", "b", "c"]));
}

#[test]
fn interpolation_inside_text_is_textual() {
    let resolution = resolve_with(
        "
        include:
          - local: tmpl.yml
            inputs: {b: main}
        ",
        &[(
            "tmpl.yml",
            "
            spec:
              inputs:
                b:
            ---
            job:
              script: [x]
              rules:
                - if: $CI_COMMIT_REF_NAME == $[[ inputs.b ]]
            ",
        )],
    );
    assert_eq!(
        merged(&resolution)["job"]["rules"][0]["if"],
        json!("$CI_COMMIT_REF_NAME == main")
    );
}

#[test]
fn input_default_null_is_empty_string() {
    // GitLab skips the checks of a null default and converts `nil` for a string input with
    // `to_s`, which gives the empty string.
    let resolution = resolve_with(
        "
        include:
          - local: tmpl.yml
        ",
        &[(
            "tmpl.yml",
            "
            spec:
              inputs:
                x: {default: null}
            ---
            job: {script: ['echo [$[[ inputs.x ]]]']}
            ",
        )],
    );
    assert_no_errors(&resolution);
    assert_eq!(merged(&resolution)["job"]["script"], json!(["echo []"]));
}

#[test]
fn input_unknown_type() {
    // GitLab validates the header before it builds the inputs, so an unknown `type` fails there.
    // Only a spec that is not a hash reaches `unknown input specification for ...`.
    let resolution = resolve_with(
        "
        include:
          - local: tmpl.yml
            inputs: {x: 1}
        ",
        &[(
            "tmpl.yml",
            "
            spec:
              inputs:
                x: {type: integer}
            ---
            job: {script: [x]}
            ",
        )],
    );
    assert_error_containing(
        &resolution,
        "header:spec:inputs:x input type unknown value: integer",
    );
}

// extends.

#[test]
fn extends_multiple_parents() {
    let resolution = resolve(
        r#"
        .only-important:
          variables: {URL: "http://my-url.internal", IMPORTANT_VAR: "the details"}
          rules: [{if: $CI_COMMIT_BRANCH == "stable"}]
          tags: [production]
          script: ['echo "Hello world!"']
        .in-docker:
          variables: {URL: "http://docker-url.internal"}
          tags: [docker]
          image: alpine
        rspec:
          variables: {GITLAB: "is-awesome"}
          extends: [.only-important, .in-docker]
          script: [rake rspec]
        "#,
    );
    assert_no_errors(&resolution);
    let rspec = &merged(&resolution)["rspec"];
    assert_eq!(
        rspec["variables"],
        json!({
            "URL": "http://docker-url.internal",
            "IMPORTANT_VAR": "the details",
            "GITLAB": "is-awesome"
        })
    );
    assert_eq!(rspec["tags"], json!(["docker"]));
    assert_eq!(rspec["image"], json!("alpine"));
    assert_eq!(
        rspec["rules"],
        json!([{"if": "$CI_COMMIT_BRANCH == \"stable\""}])
    );
    assert_eq!(rspec["script"], json!(["rake rspec"]));
}

#[test]
fn extends_removing_keys() {
    let resolution = resolve(
        "
        .base: {script: test, variables: {VAR1: base}}
        t1: {extends: .base, variables: {}}
        t2: {extends: .base, variables: null}
        ",
    );
    let tree = merged(&resolution);
    assert_eq!(tree["t1"]["variables"], json!({"VAR1": "base"}));
    assert_eq!(tree["t2"]["variables"], Json::Null);
    assert!(
        tree["t2"]
            .as_object()
            .is_some_and(|job| job.contains_key("variables"))
    );
}

#[test]
fn extends_errors() {
    let cases = [
        (
            "a: {extends: .nope, script: x}",
            "a: unknown keys in `extends` (.nope)",
        ),
        (
            ".s: \"str\"\na: {extends: .s, script: x}",
            "a: invalid base hashes in `extends` (.s)",
        ),
        (
            ".a: {extends: .b}\n.b: {extends: .a}\nj: {extends: .a, script: x}",
            ".a: circular dependency detected in `extends`",
        ),
    ];
    for (entry, expected) in cases {
        assert_error(&resolve(entry), expected);
    }
}

/// Keys `.l1` to `.l<levels>`, each extending the next, and a job `j` extending `.l1`.
fn extends_chain(levels: usize) -> String {
    let mut text = String::new();
    for n in 1..=levels {
        if n < levels {
            text.push_str(&format!(
                ".l{n}: {{extends: .l{}, variables: {{V{n}: x}}}}\n",
                n + 1
            ));
        } else {
            text.push_str(&format!(".l{n}: {{image: x}}\n"));
        }
    }
    text.push_str("j: {extends: .l1, script: [x]}\n");
    text
}

#[test]
fn extends_eleven_levels_allowed() {
    let resolution = resolve(&extends_chain(11));
    assert_no_errors(&resolution);
    assert_eq!(merged(&resolution)["j"]["image"], json!("x"));
}

#[test]
fn extends_twelve_levels_rejected() {
    let resolution = resolve(&extends_chain(12));
    assert_error(&resolution, ".l11: nesting too deep in `extends`");
}

#[test]
fn extends_parent_in_included_file() {
    let resolution = resolve_with(
        "
        include: tmpl.yml
        job: {extends: .tmpl, script: [x]}
        ",
        &[("tmpl.yml", ".tmpl: {image: ruby}")],
    );
    assert_no_errors(&resolution);
    assert_eq!(merged(&resolution)["job"]["image"], json!("ruby"));
}

#[test]
fn extends_from_included_file_into_entry() {
    // An included template may extend a key that only the including file defines.
    let resolution = resolve_with(
        "
        include: tmpl.yml
        .local: {tags: [docker]}
        job: {extends: .tmpl, script: [x]}
        ",
        &[("tmpl.yml", ".tmpl: {image: ruby, extends: .local}")],
    );
    assert_no_errors(&resolution);
    assert_eq!(merged(&resolution)["job"]["tags"], json!(["docker"]));
    assert_eq!(merged(&resolution)["job"]["image"], json!("ruby"));
}

#[test]
fn extends_only_with_parent_rules() {
    let resolution = resolve(
        "
        .base:
          rules: [{when: always}]
        job:
          extends: .base
          script: [x]
          only: [main]
        ",
    );
    assert_error_containing(&resolution, "config key may not be used with `rules`: only");
}

#[test]
fn extends_in_default_rejected() {
    let resolution = resolve(
        "
        .tmpl: {image: ruby}
        default: {extends: .tmpl}
        job: {script: [x]}
        ",
    );
    assert_eq!(merged(&resolution)["default"]["image"], json!("ruby"));
    assert_error(&resolution, "default config contains unknown keys: extends");
}

// default: and inherit:.

#[test]
fn default_and_inherit() {
    let resolution = resolve(
        r#"
        default:
          image: ruby:3.0
          retry: 2
          tags: [docker]
          interruptible: true
        variables: {V1: "1", V2: "2", V3: "3"}
        j1: {script: x, inherit: {default: false, variables: false}}
        j2: {script: x, inherit: {default: [retry, image], variables: [V1, V2]}}
        j3: {script: x, image: ruby:2.7, tags: [arm]}
        "#,
    );
    assert_no_errors(&resolution);
    let jobs = &config(&resolution)["jobs"];
    assert_eq!(keys(jobs), ["j1", "j2", "j3"]);

    let j1 = &jobs["j1"];
    assert_eq!(j1.get("image"), None, "{j1}");
    assert_eq!(j1.get("retry"), None, "{j1}");
    assert_eq!(j1.get("tags"), None, "{j1}");
    assert_eq!(j1.get("interruptible"), None, "{j1}");

    let j2 = &jobs["j2"];
    assert_eq!(j2["image"]["name"], json!("ruby:3.0"));
    assert_eq!(j2["retry"]["max"], json!(2));
    assert_eq!(j2.get("tags"), None, "{j2}");
    assert_eq!(j2.get("interruptible"), None, "{j2}");

    let j3 = &jobs["j3"];
    assert_eq!(j3["image"]["name"], json!("ruby:2.7"));
    assert_eq!(j3["retry"]["max"], json!(2));
    assert_eq!(j3["tags"], json!(["arm"]));
    assert_eq!(j3["interruptible"], json!(true));
}

#[test]
fn default_conflicts_with_top_level() {
    let resolution = resolve(
        "
        image: a
        default: {image: b}
        job: {script: [x]}
        ",
    );
    assert_error(
        &resolution,
        "image is defined in top-level and `default:` entry",
    );
}

#[test]
fn extends_beats_default() {
    let resolution = resolve(
        "
        default: {image: ruby}
        .tmpl: {image: alpine}
        j: {extends: .tmpl, script: x}
        ",
    );
    assert_eq!(merged(&resolution)["j"]["image"], json!("alpine"));
    assert_eq!(
        config(&resolution)["jobs"]["j"]["image"]["name"],
        json!("alpine")
    );
}

#[test]
fn default_unknown_key() {
    let resolution = resolve(
        "
        default: {stage: build}
        job: {script: [x]}
        ",
    );
    assert_error(&resolution, "default config contains unknown keys: stage");
}
